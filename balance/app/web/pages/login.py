"""Sign in with the access code (only when the server listens off loopback), and sign out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from balance.app.web.security import ACCESS_COOKIE, safe_next, set_cookie

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[Any]:
    """``GET/POST /login`` and ``POST /logout``."""
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    gate = ctx.gate

    async def login_page(request: Request) -> Response:
        if not gate.required:
            return RedirectResponse("/", status_code=303)
        return ctx.render(request, "login.html", code=request.query_params.get("code", ""),
                          next=safe_next(request.query_params.get("next")), error=None)  # fmt: skip

    async def login(request: Request) -> Response:
        if not gate.required:
            return RedirectResponse("/", status_code=303)
        form = await request.form()
        target = safe_next(str(form.get("next") or "/"))
        client = request.client.host if request.client else "unknown"
        wait_s = gate.retry_after_s(client)
        if wait_s > 0:
            wait = math.ceil(wait_s)
            return ctx.render(request, "login.html", status_code=429, code="", next=target,
                              error=f"Too many wrong codes: wait {wait} s and try again.",
                              headers={"Retry-After": str(wait)})  # fmt: skip
        if not gate.code_matches(str(form.get("code") or "")):
            gate.record_failure(client)
            return ctx.render(request, "login.html", status_code=401, code="", next=target,
                              error="That is not the access code: it was printed where `balance serve` was started.")  # fmt: skip
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, ACCESS_COOKIE, gate.issue_token(client), secure=request.url.scheme == "https")
        return response

    async def logout(request: Request) -> Response:
        gate.revoke(request.cookies.get(ACCESS_COOKIE))
        response = RedirectResponse("/login" if gate.required else "/", status_code=303)
        set_cookie(response, ACCESS_COOKIE, "", secure=request.url.scheme == "https", max_age=0)
        return response

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
