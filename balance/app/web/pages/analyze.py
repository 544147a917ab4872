"""The analyse page ``/analyze``: upload recordings (every layout ``balance analyze`` reads) and get the
measures table and the CSV ``balance analyze --csv`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.web.context import WebContext

__all__ = ["routes", "PRESETS"]

#: Analysis presets offered (``balance analyze --preset``).
PRESETS = ("standard", "quijoux")


def routes(ctx: WebContext) -> list[Any]:
    """``GET /analyze``, ``POST /analyze`` (multipart), ``GET /analyze/<token>.csv``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from balance.app.web.security import check_form_csrf
    from balance.app.web.uploads import MAX_FILES, BodyTooLarge, ResultStore, analyze_uploads, limited_receive

    limit = ctx.settings.max_upload_bytes
    kept = ResultStore()
    limit_words = f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"

    def page(request: Request, status_code: int = 200, **extra: Any) -> Response:
        variables: dict[str, Any] = {"results": None, "columns": [], "token": None, "error": None,
                                     "preset": "standard", "presets": PRESETS, "limit_words": limit_words,
                                     "max_files": MAX_FILES}  # fmt: skip
        variables.update(extra)
        return ctx.render(request, "analyze.html", status_code=status_code, **variables)

    def too_large(request: Request) -> Response:
        return page(request, status_code=413,
                    error=f"The upload is larger than the limit of {limit_words}: send fewer or smaller files "
                    "(or run `balance analyze FILE...` on this computer, which has no such limit).")  # fmt: skip

    async def analyze_form(request: Request) -> Response:
        return page(request)

    async def analyze_post(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return too_large(request)
        limited = StarletteRequest(request.scope, limited_receive(request.receive, limit))
        try:
            form = await limited.form(max_files=MAX_FILES, max_fields=20)
        except BodyTooLarge:
            return too_large(request)
        try:
            if not check_form_csrf(request, form):
                return PlainTextResponse("Refused: this form has expired or did not come from this app (CSRF "
                                         "check). Reload the page and try again.", status_code=403)  # fmt: skip
            preset = str(form.get("preset") or "standard")
            if preset not in PRESETS:
                return page(request, status_code=400, error=f"Unknown preset {preset!r}: choose standard or quijoux.")
            uploads = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
            if not uploads:
                return page(request, status_code=400, preset=preset, error="Choose one or more recording files.")
            raw = form.get("raw") == "1"
            if raw and preset == "quijoux":
                return page(request, status_code=400, preset=preset,
                            error="The quijoux preset uses the authors' own preprocessing: untick 'as given'.")  # fmt: skip
            options = {"raw": raw, "preset": preset, "params": {}, "measures": None, "limits": {},
                       "max_samples": None, "segment": False}  # fmt: skip
            files = [(str(f.filename), f.file) for f in uploads]
            results = await run_in_threadpool(analyze_uploads, files, options)
        finally:
            await form.close()
        from balance.app.commands.analyze import KEY_MEASURES, format_csv

        ok = [r for r in results if r["ok"]]
        keys = list(dict.fromkeys(k for r in ok for k in r["measures"]))
        columns = [k for k in KEY_MEASURES[preset] if k in keys] or keys[:6]
        token = kept.put(format_csv(results)) if ok else None
        return page(request, results=results, columns=columns, token=token, preset=preset,
                    status_code=200 if ok else 422)  # fmt: skip

    async def analyze_csv(request: Request) -> Response:
        text = kept.get(request.path_params["token"])
        if text is None:
            return PlainTextResponse("This result has expired: analyse the files again.", status_code=404)
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="balance-analyze.csv"'})  # fmt: skip

    return [
        Route("/analyze", analyze_form, methods=["GET"]),
        Route("/analyze", analyze_post, methods=["POST"]),
        Route("/analyze/{token:str}.csv", analyze_csv, methods=["GET"]),
    ]
