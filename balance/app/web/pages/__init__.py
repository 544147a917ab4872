"""The server-rendered pages: team, athlete, session, analyse files, sign in.

Each module holds one page (or a family of them) and exposes ``routes(ctx) -> list[Route]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.web.context import WebContext

__all__ = ["routes", "SELF_CHECKED_PATHS"]

#: Paths whose multipart POSTs check the CSRF token themselves after the size-limited parse.
SELF_CHECKED_PATHS: tuple[str, ...] = ("/analyze",)


def routes(ctx: WebContext) -> list[Any]:
    """Every page route of the app (the live test routes are in :mod:`balance.app.web.live_routes`)."""
    from balance.app.web.pages import analyze, athlete, login, session, team

    return [*login.routes(ctx), *team.routes(ctx), *athlete.routes(ctx), *session.routes(ctx), *analyze.routes(ctx)]
