"""The team page ``/``: every athlete, their last test and headline, who got worse; add an athlete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[Any]:
    """``GET /`` (the team page)."""
    from starlette.routing import Route

    async def team(request: Request) -> Response:
        with ctx.open_store() as store:
            athletes = store.list_athletes()
        return ctx.render(request, "team.html", athletes=athletes, q=request.query_params.get("q", ""))

    return [Route("/", team, methods=["GET"])]
