"""The session page ``/sessions/<id>``: the report's content as a page, the report as PDF/PNG, the trials,
and a free-text note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from balance.app.web.urls import session_url

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[Any]:
    """``GET /sessions/<id>`` (and ``.json``), ``/sessions/<id>/{stato,bars}.png``, ``/sessions/<id>/report.{pdf,png}``,
    ``POST /sessions/<id>/note``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    from balance.app.store import StoreError, UnknownSessionError
    from balance.app.web.downloads import download_name, report_file
    from balance.app.web.session_view import left_right_rows, report_images, trial_lines

    def missing(request: Request, sid: int) -> Response:
        return ctx.render(request, "not_found.html", status_code=404, what=f"No session {sid} in this database.")

    async def session_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
        sid = request.path_params["sid"]

        def work() -> dict[str, Any]:
            from balance.app.references import panel_text
            from balance.app.report import report_data

            with ctx.open_store() as store:
                session = store.session(sid, with_recordings=False)
                references, _ = panel_text(store, session)  # the console's "Against reference" panel
            from balance import catalogue
            from balance.app.localtime import local_minute
            from balance.app.summary import conditions_of

            data = report_data(session)
            return {"session": session, "report": data, "lr_rows": left_right_rows(session),
                    "trials": trial_lines(session), "when": local_minute(session.started_at),
                    "conditions": conditions_of(session), "references": references.splitlines(),
                    "headline_measure_name": catalogue.name(catalogue.LEFT_RIGHT_TABLE[0])}  # fmt: skip

        try:
            page = await run_in_threadpool(work)
        except UnknownSessionError:
            return missing(request, sid)
        return ctx.render(request, "session.html", status_code=status_code, error=error, **page)

    async def session_json(request: Request) -> Response:
        sid = request.path_params["sid"]

        def work() -> dict[str, Any]:
            import dataclasses

            from balance.app.report import report_data

            with ctx.open_store() as store:
                session = store.session(sid, with_recordings=False)
            data = report_data(session)
            return {
                "id": session.id, "athlete": session.athlete.code, "protocol": session.protocol,
                "started_at": session.started_at, "status": session.status, "notes": session.notes,
                "headline": data.headline, "summary": data.summary, "failures": data.failures,
                "left_right": [dataclasses.asdict(r) for r in left_right_rows(session)],
                "trials": [dataclasses.asdict(t) for t in trial_lines(session)],
            }  # fmt: skip

        try:
            doc = await run_in_threadpool(work)
        except UnknownSessionError:
            return JSONResponse({"error": f"no session {sid}"}, status_code=404)
        return JSONResponse(doc)

    async def image(request: Request) -> Response:
        sid, name = request.path_params["sid"], request.path_params["name"]

        def work() -> bytes | None:
            with ctx.open_store() as store:
                session = store.session(sid)
            return report_images(session).get(name)

        try:
            png = await run_in_threadpool(work)
        except UnknownSessionError:
            return missing(request, sid)
        if png is None:
            return PlainTextResponse("Nothing to draw for this session.", status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    async def report(request: Request) -> Response:
        sid, fmt = request.path_params["sid"], request.path_params["fmt"]
        if fmt not in ("pdf", "png"):
            return PlainTextResponse("The report is a .pdf or a .png.", status_code=404)

        def work() -> tuple[bytes, str]:
            with ctx.open_store() as store:
                session = store.session(sid)
                return report_file(store, session, fmt), session.athlete.code

        try:
            body, code = await run_in_threadpool(work)
        except UnknownSessionError:
            return missing(request, sid)
        name = download_name(f"report-{code}-{sid}", f".{fmt}")
        media = "application/pdf" if fmt == "pdf" else "image/png"
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def note(request: Request) -> Response:
        sid = request.path_params["sid"]
        form = await request.form()
        text = str(form.get("note") or "").replace("\r\n", "\n")

        def work() -> None:
            with ctx.open_store() as store:
                store.set_session_notes(sid, text)

        try:
            await run_in_threadpool(work)
        except UnknownSessionError:
            return missing(request, sid)
        except StoreError as err:
            return await session_page(request, error=str(err), status_code=400)
        return RedirectResponse(session_url(sid) + "#note-form", status_code=303)

    return [
        Route("/sessions/{sid:int}", session_page, methods=["GET"]),
        Route("/sessions/{sid:int}.json", session_json, methods=["GET"]),
        Route("/sessions/{sid:int}/report.{fmt:str}", report, methods=["GET"]),
        Route("/sessions/{sid:int}/{name:str}.png", image, methods=["GET"]),
        Route("/sessions/{sid:int}/note", note, methods=["POST"]),
    ]
