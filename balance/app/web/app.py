"""The Starlette application of ``balance serve``: pages, live routes, static files, guards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from balance.app.web.context import STATIC_DIR, WebContext
from balance.app.web.settings import WebSettings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.applications import Starlette

__all__ = ["create_app"]


def create_app(settings: WebSettings) -> Starlette:
    """Build the web app for ``settings``.

    Parameters
    ----------
    settings : WebSettings
        Database, board, where it listens, access code, upload limit.

    Returns
    -------
    starlette.applications.Starlette
        The app, with ``app.state.ctx`` (the :class:`~balance.app.web.context.WebContext`). Its lifespan
        starts the live hub and, at shutdown, stops it and closes the database; use it under a lifespan
        (uvicorn, or ``with TestClient(app) as client``).
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from balance.app.web import live_routes, pages
    from balance.app.web.live import LiveHub
    from balance.app.web.security import SecurityMiddleware

    ctx = WebContext(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub = ctx.hub = LiveHub(ctx)
        warming = ctx.warm_up()
        try:
            yield
        finally:
            warming.join()
            if ctx.hub is hub:
                ctx.hub = None
            aclose = getattr(hub, "aclose", None)
            if aclose is not None:
                await aclose()
            else:
                hub.close()
            ctx.close()

    routes = [
        *pages.routes(ctx),
        *live_routes.routes(ctx),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityMiddleware, ctx=ctx, self_checked=pages.SELF_CHECKED_PATHS)],
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app
