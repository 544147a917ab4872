"""The web app's guards: access code off loopback, CSRF tokens, security headers, WebSocket checks.

The shape follows Jupyter Server's model (a code printed at start, exchanged once for a cookie; an XSRF
token on every state-changing request; loopback by default) and the OWASP ASVS items that apply to a
local app serving health-related data:

* **Host check** on loopback: without an access code the server answers only requests addressed to
  ``localhost``/``127.0.0.1``/``[::1]``, so a web page elsewhere cannot reach it by DNS rebinding.
* **Access code** off loopback: every page but ``/login`` and ``/static`` needs the cookie
  ``balance_access`` (HttpOnly, SameSite=Strict; a random session token, never the code itself).
  Wrong codes are rate-limited per client (:class:`AccessGate`).
* **CSRF**: a random token in the cookie ``balance_csrf`` must come back with every POST/PUT/PATCH/DELETE,
  as the form field ``csrf_token`` or the header ``X-CSRF-Token`` (double submit; the cookie is
  SameSite=Strict as well). Multipart uploads are checked by their handler after the size-limited
  parse (:func:`check_form_csrf`); any other unchecked body is refused.
* **Headers** on every response: a strict Content-Security-Policy (``default-src 'self'``, no inline
  script or style, ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``; pages are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from balance.app.web.settings import WebSettings, is_loopback_host

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from balance.app.web.context import WebContext

__all__ = [
    "AccessGate",
    "SecurityMiddleware",
    "check_form_csrf",
    "check_websocket",
    "csrf_token",
    "generate_access_code",
    "safe_next",
    "CSRF_COOKIE",
    "ACCESS_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SECURITY_HEADERS",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "balance_csrf"
ACCESS_COOKIE = "balance_access"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Where the CSRF token of the current request is kept in the ASGI scope.
_SCOPE_KEY = "balance.csrf_token"
#: Paths open without the access code: the login page and the static assets (package files).
PUBLIC_PREFIXES = ("/login", "/static/")
#: Largest urlencoded form body the middleware reads to find ``csrf_token`` (bytes).
MAX_FORM_BYTES = 1024 * 1024
#: Wrong access codes allowed per client within :data:`RATE_WINDOW_S` before 429.
MAX_FAILURES = 5
RATE_WINDOW_S = 60.0
#: Session tokens kept (oldest dropped first): one per browser that entered the code.
MAX_SESSIONS = 1000
#: Characters of generated access codes: no 0/o, 1/l/i, easy to type on a tablet.
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Headers added to every HTTP response.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
)
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def generate_access_code(n_chars: int = 10) -> str:
    """A random access code, easy to type (lower case, no look-alike characters).

    Parameters
    ----------
    n_chars : int
        Length; 10 characters of a 31-letter alphabet are about 50 bits, far beyond reach at
        :data:`MAX_FAILURES` guesses a minute.
    """
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n_chars))


class AccessGate:
    """The access code, the session tokens of browsers that entered it, and the wrong-code rate limit.

    Parameters
    ----------
    settings : WebSettings
        ``access_code`` and whether it is required (``code_required``: listening off loopback).
    clock : callable, optional
        Monotonic seconds (tests pass a fake clock).
    """

    def __init__(self, settings: WebSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.required = settings.code_required
        self._code = settings.access_code
        if self.required and not self._code:
            raise ValueError("listening off loopback needs an access code: pass access_code (balance serve makes one)")
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, None] = {}  # insertion-ordered set
        self._failures: dict[str, deque[float]] = {}

    def code_matches(self, code: str) -> bool:
        """True when ``code`` (surrounding spaces ignored) is the access code (constant-time compare)."""
        if not self._code:
            return False
        return hmac.compare_digest(code.strip().encode(), self._code.strip().encode())

    def retry_after_s(self, client: str) -> float:
        """Seconds ``client`` must wait before trying another code (0 when it may try now)."""
        now = self._clock()
        with self._lock:
            q = self._failures.get(client)
            if q is None:
                return 0.0
            while q and now - q[0] >= RATE_WINDOW_S:
                q.popleft()
            if not q:
                del self._failures[client]
                return 0.0
            return max(0.0, RATE_WINDOW_S - (now - q[0])) if len(q) >= MAX_FAILURES else 0.0

    def record_failure(self, client: str) -> None:
        """Count a wrong code from ``client``."""
        with self._lock:
            self._failures.setdefault(client, deque(maxlen=MAX_FAILURES)).append(self._clock())

    def issue_token(self, client: str) -> str:
        """A new session token for a browser that entered the right code (its failures forgotten)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._failures.pop(client, None)
            self._tokens[token] = None
            while len(self._tokens) > MAX_SESSIONS:
                del self._tokens[next(iter(self._tokens))]
        return token

    def token_valid(self, token: str | None) -> bool:
        """True when ``token`` was issued by :meth:`issue_token` and not revoked."""
        if not token:
            return False
        with self._lock:
            return token in self._tokens

    def revoke(self, token: str | None) -> None:
        """Forget a session token (sign out)."""
        with self._lock:
            self._tokens.pop(token or "", None)

    def allowed(self, cookies: dict[str, str]) -> bool:
        """True when no code is required or the request carries a valid access cookie."""
        return not self.required or self.token_valid(cookies.get(ACCESS_COOKIE))


def _cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is ignored, not fatal
                continue
            out.update({k: m.value for k, m in jar.items()})
    return out


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _host_name(host_header: str | None) -> str:
    """The host name of a ``Host`` header value (``[::1]:8000`` -> ``::1``)."""
    if not host_header:
        return ""
    return urlsplit("//" + host_header).hostname or ""


def _client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (set by :class:`SecurityMiddleware`), for forms and ``fetch()``."""
    return str(request.scope.get(_SCOPE_KEY, ""))


def _token_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())


def check_form_csrf(request: Request, form: Any) -> bool:
    """True when a parsed form (or the ``X-CSRF-Token`` header) carries this browser's CSRF token.

    Handlers of multipart forms call this after the size-limited parse; every other unsafe request
    is checked by :class:`SecurityMiddleware` before it reaches a handler.
    """
    expected = _cookies(request.scope).get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    return _token_ok(expected, given if isinstance(given, str) else None)


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in (anything else, e.g. ``//evil.example``, gives ``/``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def host_allowed(settings: WebSettings, host_header: str | None) -> bool:
    """True when a request addressed to ``host_header`` may be answered.

    On loopback (no access code) only loopback names are answered, which defeats DNS rebinding;
    off loopback any name is (the access cookie protects every page).
    """
    return settings.code_required or is_loopback_host(_host_name(host_header))


def check_websocket(websocket: WebSocket, ctx: WebContext) -> bool:
    """True when a WebSocket upgrade may be accepted.

    The ``Origin`` must be present and name the same host and port as ``Host`` (a page of this app),
    the host must be allowed (:func:`host_allowed`), and when an access code is required the access
    cookie must be valid. Call it before ``websocket.accept()``; on False close with code 1008.
    """
    host = websocket.headers.get("host")
    origin = websocket.headers.get("origin")
    if not host or not origin or not host_allowed(ctx.settings, host):
        return False
    if urlsplit(origin).netloc.lower() != host.lower():
        return False
    return ctx.gate.allowed(_cookies(websocket.scope))


class SecurityMiddleware:
    """ASGI middleware applying the host check, the access code, CSRF and the security headers.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    ctx : WebContext
        Gives the settings and the :class:`AccessGate`.
    self_checked : iterable of str
        Paths whose multipart POSTs are checked by their handler (:func:`check_form_csrf`).
    """

    def __init__(self, app: ASGIApp, ctx: WebContext, self_checked: tuple[str, ...] = ()) -> None:
        self.app = app
        self.ctx = ctx
        self.self_checked = frozenset(self_checked)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # websockets: check_websocket in their handler
            return
        from starlette.responses import PlainTextResponse, RedirectResponse

        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        cookies = _cookies(scope)
        token = cookies.get(CSRF_COOKIE)
        new_token = None
        if not token or len(token) > 100:
            token = new_token = secrets.token_urlsafe(32)
        scope[_SCOPE_KEY] = token
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS if k.encode() not in present]
                if not path.startswith("/static/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if new_token is not None:
                    headers.append((b"set-cookie", _cookie_header(CSRF_COOKIE, new_token, secure=secure).encode()))
                message["headers"] = headers
            await send(message)

        if not host_allowed(self.ctx.settings, _header(scope, b"host")):
            response: Any = PlainTextResponse(
                "This balance server answers requests to localhost only (it listens on loopback). "
                "Open it as http://127.0.0.1:PORT/, or start it with --host and an access code.",
                status_code=403,
            )
            await response(scope, receive, send_with_headers)
            return
        public = any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES)
        if not public and not self.ctx.gate.allowed(cookies):
            if method in ("GET", "HEAD"):
                from urllib.parse import quote

                query = scope.get("query_string", b"").decode("latin-1")
                target = path + ("?" + query if query else "")
                response = RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
            else:
                response = PlainTextResponse("Enter the access code first: open /login.", status_code=401)
            await response(scope, receive, send_with_headers)
            return
        if method in _UNSAFE_METHODS:
            ok, receive = await self._check_csrf(scope, receive, token if new_token is None else None, path)
            if not ok:
                response = PlainTextResponse(
                    "Refused: this form has expired or did not come from this app (CSRF check). "
                    "Reload the page and try again.",
                    status_code=403,
                )
                await response(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)

    async def _check_csrf(self, scope: Scope, receive: Receive, expected: str | None, path: str) -> tuple[bool, Receive]:
        """(token ok, the receive channel to pass on: the body replayed when it was read here)."""
        if _token_ok(expected, _header(scope, CSRF_HEADER.encode())):
            return True, receive
        ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            return path in self.self_checked, receive
        if ctype != "application/x-www-form-urlencoded" or expected is None:
            return False, receive
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return False, receive
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > MAX_FORM_BYTES:
                return False, receive
        fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        given = (fields.get(CSRF_FIELD) or [None])[0]
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        return _token_ok(expected, given), replay


def _cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Strict, Path=/ (Secure over TLS)."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def set_cookie(response: Any, name: str, value: str, *, secure: bool, max_age: int | None = None) -> None:
    """Add a cookie to a Starlette response with this app's attributes (see :func:`_cookie_header`)."""
    response.headers.append("set-cookie", _cookie_header(name, value, secure=secure, max_age=max_age))
