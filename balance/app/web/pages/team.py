"""The team page ``/`` (and ``/team.json``): every athlete, the last test, the headline, who got worse;
search; add an athlete (``POST /athletes``)."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from balance.app.web.urls import athlete_url

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[Any]:
    """``GET /``, ``GET /team.json``, ``POST /athletes``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, RedirectResponse
    from starlette.routing import Route

    from balance.app.store import StoreError
    def rows_for(query: str) -> list[Any]:
        with ctx.open_store() as store:
            return ctx.team_cache.rows(store, query)

    async def team(request: Request, *, error: str | None = None, form: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:  # fmt: skip
        q = request.query_params.get("q", "").strip()
        rows = await run_in_threadpool(rows_for, q)
        return ctx.render(request, "team.html", status_code=status_code, rows=rows, q=q, error=error,
                          form=form or {}, worse=[r for r in rows if r.worse])  # fmt: skip

    async def team_json(request: Request) -> Response:
        rows = await run_in_threadpool(rows_for, request.query_params.get("q", "").strip())
        return JSONResponse([_jsonable(dataclasses.asdict(r)) for r in rows])

    async def add_athlete(request: Request) -> Response:
        form = await request.form()
        fields = {k: str(form.get(k) or "").strip() for k in ("code", "name", "group")}

        def add() -> str:
            with ctx.open_store() as store:
                a = store.add_athlete(fields["name"] or None, code=fields["code"] or None,
                                      group=fields["group"] or None)  # fmt: skip
                return a.code

        try:
            code = await run_in_threadpool(add)
        except StoreError as err:
            return await team(request, error=str(err), form=fields, status_code=400)
        return RedirectResponse(athlete_url(code), status_code=303)

    return [
        Route("/", team, methods=["GET"]),
        Route("/team.json", team_json, methods=["GET"]),
        Route("/athletes", add_athlete, methods=["POST"]),
    ]


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """NaN as null (JSON has no NaN)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
