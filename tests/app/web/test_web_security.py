"""The web app's guards: security headers, CSRF, the access code off loopback and its rate limit, the
loopback host check, WebSocket checks, path traversal, and no state change on GET."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient
from web_helpers import csrf

from balance.app.web.app import create_app
from balance.app.web.security import (
    ACCESS_COOKIE,
    MAX_FAILURES,
    RATE_WINDOW_S,
    AccessGate,
    check_websocket,
    safe_next,
)
from balance.app.web.settings import WebSettings, is_loopback_host

#: Example values of the path parameters of every route, to visit each route with real ids.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "rest": ("SAM", "SAM/progress.png", "SAM/export.zip", "SAM/delete"),
    "name": ("stato", "bars"),
    "fmt": ("pdf", "png"),
    "board": ("sim",),
    "token": ("no-such-token",),
}


def _urls(app: Any, method: str, session_id: int) -> dict[str, list[str]]:
    """Concrete URLs of every route answering ``method``, by route path (path parameters filled in)."""
    out: dict[str, list[str]] = {}
    for route in app.routes:
        if not isinstance(route, Route) or method not in (route.methods or ()):
            continue
        urls = [route.path]
        for name in route.param_convertors:
            values = (str(session_id),) if name == "sid" else EXAMPLES[name]
            pattern = re.compile(r"\{" + name + r"(:[a-z]+)?\}")
            urls = [pattern.sub(v, u) for u in urls for v in values]
        out[route.path] = urls
    return out


def _state(db: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """Everything in the database (SQL dump) and the raw files beside it (name, size)."""
    conn = sqlite3.connect(db)
    try:
        dump = list(conn.iterdump())
    finally:
        conn.close()
    raw = db.parent / "raw"
    files = sorted((str(p.relative_to(raw)), p.stat().st_size) for p in raw.rglob("*") if p.is_file())
    return dump, files


def _first_session(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT min(s.id) FROM sessions s JOIN athletes a ON a.id = s.athlete_id "
                                "WHERE a.code = 'SAM'").fetchone()[0])  # fmt: skip
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------ GET is safe
def test_no_get_route_changes_the_database_or_the_files(team_client: TestClient, team_db: Path) -> None:
    sid = _first_session(team_db)
    before = _state(team_db)
    visited = 0
    for path, urls in _urls(team_client.app, "GET", sid).items():
        for url in urls:
            r = team_client.get(url)
            assert r.status_code < 500, (url, r.status_code)
            visited += 1
        assert urls, path
    assert visited >= 15
    assert _state(team_db) == before


# ------------------------------------------------------------------------------------------ headers
def _assert_security_headers(r: Any) -> None:
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_every_response_carries_the_security_headers(team_client: TestClient, team_db: Path) -> None:
    sid = _first_session(team_db)
    urls = [u for us in _urls(team_client.app, "GET", sid).values() for u in us]
    urls += ["/static/app.css", "/static/app.js", "/no/such/page", "/static/nope.css"]
    for url in urls:
        _assert_security_headers(team_client.get(url))
    for url in ("/athletes", "/athletes/SAM/edit", f"/sessions/{sid}/note"):  # refused POSTs too
        r = team_client.post(url, data={"name": "x"})
        assert r.status_code == 403
        _assert_security_headers(r)
    page = team_client.get("/")
    assert page.headers["cache-control"] == "no-store"  # health data is not kept in caches
    assert "<script>" not in page.text and "style=" not in page.text  # no inline script or style: CSP holds


# ------------------------------------------------------------------------------------------ CSRF
def test_every_post_route_refuses_a_request_without_the_csrf_token(team_client: TestClient, team_db: Path) -> None:
    sid = _first_session(team_db)
    before = _state(team_db)
    token = csrf(team_client)
    posts = _urls(team_client.app, "POST", sid)
    assert {"/athletes", "/athletes/{rest:path}", "/sessions/{sid:int}/note", "/analyze"} <= set(posts)
    for urls in posts.values():
        for url in urls:
            for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": token + "x"}):
                r = team_client.post(url, data={"name": "Mallory", "confirm": "SAM", "note": "x", **extra})
                assert r.status_code == 403, (url, extra, r.status_code)
            r = team_client.post(url, content=b'{"a": 1}', headers={"content-type": "application/json"})
            assert r.status_code == 403, url
    r = team_client.post("/analyze", files={"files": ("a.csv", b"1,2\n")}, data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert _state(team_db) == before


def test_the_csrf_token_is_accepted_as_form_field_or_header(client: TestClient) -> None:
    token = csrf(client)
    r = client.post("/athletes", data={"code": "F1", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/athletes/F1"
    r = client.post("/athletes", data={"code": "H1"}, headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert [row["code"] for row in client.get("/team.json").json()] == ["F1", "H1"]


def test_the_csrf_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    r = client.get("/")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("balance_csrf=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f'name="csrf-token" content="{client.cookies.get("balance_csrf")}"' in r.text


# ------------------------------------------------------------------------------------------ access code
@pytest.fixture
def lan_client(db: Path) -> Any:
    """A client of an app listening on every interface (0.0.0.0) with the access code ``tablet-code-1``,
    reached as a tablet on the gym's Wi-Fi would (Host 192.168.1.20, client 192.168.1.31)."""
    settings = WebSettings(db_path=db, host="0.0.0.0", access_code="tablet-code-1", realtime=False)
    with TestClient(create_app(settings), base_url="http://192.168.1.20:8000", client=("192.168.1.31", 50000)) as c:
        yield c


def test_off_loopback_every_page_needs_the_access_code(lan_client: TestClient) -> None:
    for url in ("/", "/athletes/SAM", "/sessions/1", "/analyze", "/team.json", "/test/new"):
        r = lan_client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    r = lan_client.post("/athletes", data={"code": "X", "csrf_token": csrf(lan_client)}, follow_redirects=False)
    assert r.status_code == 401
    assert lan_client.get("/static/app.css").status_code == 200  # the login page's own assets
    login = lan_client.get("/login?next=/analyze")
    assert login.status_code == 200 and 'name="code"' in login.text


def test_the_right_code_gives_a_session_cookie_not_the_code(lan_client: TestClient) -> None:
    token = csrf(lan_client)
    r = lan_client.post("/login", data={"code": "wrong", "next": "/", "csrf_token": token})
    assert r.status_code == 401 and ACCESS_COOKIE not in lan_client.cookies
    r = lan_client.post("/login", data={"code": " tablet-code-1 ", "next": "/analyze", "csrf_token": token},
                        follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/analyze"
    set_cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(ACCESS_COOKIE)][0]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "tablet-code-1" not in set_cookie
    assert lan_client.get("/", follow_redirects=False).status_code == 200
    # signing out forgets the session on the server: the old cookie no longer opens anything
    old = lan_client.cookies.get(ACCESS_COOKIE)
    lan_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    lan_client.cookies.set(ACCESS_COOKIE, old)
    assert lan_client.get("/", follow_redirects=False).status_code == 303


def test_a_forged_access_cookie_opens_nothing(lan_client: TestClient) -> None:
    lan_client.cookies.set(ACCESS_COOKIE, "tablet-code-1")  # the code itself is not a session
    assert lan_client.get("/", follow_redirects=False).status_code == 303


def test_wrong_codes_are_rate_limited_per_client(lan_client: TestClient) -> None:
    token = csrf(lan_client)
    for _ in range(MAX_FAILURES):
        assert lan_client.post("/login", data={"code": "guess", "csrf_token": token}).status_code == 401
    r = lan_client.post("/login", data={"code": "tablet-code-1", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= RATE_WINDOW_S
    assert ACCESS_COOKIE not in lan_client.cookies
    gate = lan_client.app.state.ctx.gate  # another tablet is not held back by this one's guesses
    assert gate.retry_after_s("192.168.1.31") > 0 and gate.retry_after_s("192.168.1.32") == 0


def test_the_rate_limit_window_ends() -> None:
    now = [1000.0]
    gate = AccessGate(WebSettings(host="0.0.0.0", access_code="c0de"), clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        assert gate.retry_after_s("a") == 0
        gate.record_failure("a")
    assert gate.retry_after_s("a") == pytest.approx(RATE_WINDOW_S)
    assert gate.retry_after_s("b") == 0
    now[0] += RATE_WINDOW_S / 2
    assert gate.retry_after_s("a") == pytest.approx(RATE_WINDOW_S / 2)
    now[0] += RATE_WINDOW_S / 2 + 0.001
    assert gate.retry_after_s("a") == 0
    assert gate.code_matches("c0de") and not gate.code_matches("C0DE") and not gate.code_matches("")


def test_off_loopback_without_a_code_is_refused() -> None:
    with pytest.raises(ValueError, match="access code"):
        AccessGate(WebSettings(host="192.168.1.20", access_code=None))


def test_on_loopback_no_code_is_asked(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/login", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("gym-laptop", False),
])  # fmt: skip
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
    assert WebSettings(host=host, access_code="x").code_required is (not loopback)


def test_on_loopback_a_foreign_host_name_is_refused(client: TestClient) -> None:
    """DNS rebinding: a page of evil.example resolving to 127.0.0.1 must not read the app."""
    r = client.get("/", headers={"host": "evil.example:8000"})
    assert r.status_code == 403 and "team-table" not in r.text
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "", None])
def test_sign_in_never_redirects_off_the_app(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/athletes/SAM?x=1") == "/athletes/SAM?x=1"


# ------------------------------------------------------------------------------------------ WebSocket
def _ws(headers: dict[str, str], cookies: str = "") -> Any:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if cookies:
        raw.append((b"cookie", cookies.encode()))
    return SimpleNamespace(headers={k.lower(): v for k, v in headers.items()}, scope={"headers": raw})


def test_check_websocket_wants_a_same_origin_page() -> None:
    ctx = SimpleNamespace(settings=WebSettings(), gate=AccessGate(WebSettings()))
    ok = {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}
    assert check_websocket(_ws(ok), ctx)  # type: ignore[arg-type]
    assert not check_websocket(_ws({"host": "127.0.0.1:8000"}), ctx)  # type: ignore[arg-type]
    assert not check_websocket(_ws({**ok, "origin": "http://evil.example"}), ctx)  # type: ignore[arg-type]
    assert not check_websocket(_ws({**ok, "origin": "http://127.0.0.1:9999"}), ctx)  # type: ignore[arg-type]
    assert not check_websocket(_ws({"host": "evil.example:8000", "origin": "http://evil.example:8000"}), ctx)  # type: ignore[arg-type]


def test_check_websocket_wants_the_access_cookie_off_loopback() -> None:
    settings = WebSettings(host="0.0.0.0", access_code="c0de")
    ctx = SimpleNamespace(settings=settings, gate=AccessGate(settings))
    headers = {"host": "192.168.1.20:8000", "origin": "http://192.168.1.20:8000"}
    assert not check_websocket(_ws(headers), ctx)  # type: ignore[arg-type]
    assert not check_websocket(_ws(headers, f"{ACCESS_COOKIE}=made-up"), ctx)  # type: ignore[arg-type]
    token = ctx.gate.issue_token("192.168.1.31")
    assert check_websocket(_ws(headers, f"{ACCESS_COOKIE}={token}"), ctx)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ traversal
@pytest.mark.parametrize("url", [
    "/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2F..%2Fetc%2Fpasswd",
    "/static/%2e%2e%2f%2e%2e%2fbalance%2fapp%2fweb%2fapp.py", "/athletes/..%2F..", "/athletes/../../etc/passwd",
    "/athletes/..%2F..%2Fetc%2Fpasswd/export.zip", "/sessions/..%2F1", "/analyze/..%2F..%2Fetc%2Fpasswd.csv",
])  # fmt: skip
def test_no_request_path_reaches_the_filesystem(team_client: TestClient, url: str) -> None:
    r = team_client.get(url)
    assert r.status_code == 404, url
    assert "root:" not in r.text and "create_app" not in r.text
