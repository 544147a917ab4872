"""The athlete page ``/athletes/<code>``: details and edit, sessions with their results, the progress chart,
start a test, the physio export (zip), delete with a confirmation that says how much goes, assign a guest.

Codes may hold any printable character, ``/`` included, so one route takes the rest of the path and
splits off a known action at the end (:func:`split_action`); a code is only ever looked up in the
database, never used as a path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from balance.app.web.urls import athlete_url

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response

    from balance.app.store import Athlete, Store
    from balance.app.web.context import WebContext

__all__ = ["routes", "split_action", "GET_ACTIONS", "POST_ACTIONS"]

#: What may follow ``/athletes/<code>/`` in a GET: the chart image, the export, the delete confirmation.
GET_ACTIONS = ("progress.png", "export.zip", "delete")
#: What may follow it in a POST.
POST_ACTIONS = ("edit", "delete", "assign")


def split_action(rest: str, actions: tuple[str, ...], exists: Any) -> tuple[str, str]:
    """(code, action) of the path after ``/athletes/``: the whole of it when it names an athlete
    (``exists(code)``), else the part before a known trailing action."""
    if exists(rest):
        return rest, ""
    head, _, tail = rest.rpartition("/")
    if head and tail in actions:
        return head, tail
    return rest, ""


def _form_number(value: Any, kind: type) -> Any:
    """A number typed in a form ("" -> None); ValueError names the field's problem."""
    text = str(value or "").strip().replace(",", ".")
    return kind(text) if text else None


def routes(ctx: WebContext) -> list[Any]:
    """``GET /athletes/<code>[/progress.png|/export.zip|/delete]``, ``POST /athletes/<code>/{edit,delete,assign}``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    from balance.app.store import StoreError
    from balance.app.web.downloads import download_name, export_zip, progress_png

    def lookup(store: Store, rest: str, actions: tuple[str, ...]) -> tuple[Athlete | None, str]:
        code, action = split_action(rest, actions, lambda c: store.find_athlete(c) is not None)
        found = store.find_athlete(code)
        return (found if found is not None and found.code == code else None), action

    def not_found(request: Request, rest: str) -> Response:
        return ctx.render(request, "not_found.html", status_code=404, what=f"No athlete with the code “{rest}”.")

    def page_data(store: Store, athlete: Athlete) -> dict[str, Any]:
        from balance.app.web.session_view import session_line

        sessions = store.sessions(athlete)
        return {
            "athlete": athlete,
            "sessions": [session_line(s) for s in reversed(sessions)],
            "has_progress": any(s.protocol == "single_leg" for s in sessions),
        }

    async def athlete_get(request: Request) -> Response:
        rest = request.path_params["rest"]

        def work() -> tuple[Athlete | None, str, Any]:
            with ctx.open_store() as store:
                athlete, action = lookup(store, rest, GET_ACTIONS)
                if athlete is None:
                    return None, action, None
                if action == "progress.png":
                    return athlete, action, progress_png(store, athlete)
                if action == "export.zip":
                    return athlete, action, export_zip(store, athlete)
                if action == "delete":
                    return athlete, action, store.delete_preview(athlete)
                return athlete, action, page_data(store, athlete)

        athlete, action, result = await run_in_threadpool(work)
        if athlete is None:
            return not_found(request, rest)
        if action == "progress.png":
            if result is None:
                return PlainTextResponse("No single-leg session with valid trials yet.", status_code=404)
            return Response(result, media_type="image/png")
        if action == "export.zip":
            name = download_name(f"balance-export-{athlete.code}", ".zip")
            return Response(result, media_type="application/zip",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
        if action == "delete":
            return ctx.render(request, "athlete_delete.html", athlete=athlete, preview=result, error=None)
        return ctx.render(request, "athlete.html", error=None, **result)

    async def athlete_post(request: Request) -> Response:
        rest = request.path_params["rest"]
        form = await request.form()

        def work() -> tuple[Athlete | None, str, Any]:
            with ctx.open_store() as store:
                athlete, action = lookup(store, rest, POST_ACTIONS)
                if athlete is None or not action:
                    return athlete, action, None
                try:
                    if action == "edit":
                        updated = store.update_athlete(
                            athlete,
                            name=str(form.get("name") or "").strip() or None,
                            birth_year=_form_number(form.get("birth_year"), int),
                            mass_kg=_form_number(form.get("mass_kg"), float),
                            sex=str(form.get("sex") or ""),
                            group=str(form.get("group") or ""),
                            notes=str(form.get("notes") or "").replace("\r\n", "\n"),
                        )
                        return updated, action, None
                    if action == "delete":
                        if str(form.get("confirm") or "") != athlete.code:
                            return athlete, action, "Type the athlete's code to confirm the deletion."
                        return athlete, action, store.delete_athlete(athlete)
                    target = str(form.get("target") or "").strip()
                    if not target:
                        return athlete, action, "Give the name of the athlete these sessions belong to."
                    moved_to, _n = store.assign_athlete(athlete, target)
                    return moved_to, action, None
                except ValueError as err:
                    return athlete, action, f"Not a number: {err}"
                except StoreError as err:
                    return athlete, action, str(err)

        athlete, action, result = await run_in_threadpool(work)
        if athlete is None:
            return not_found(request, rest)
        if not action:
            return PlainTextResponse("Unknown action.", status_code=404)
        if isinstance(result, str):  # a refusal: show the page again with the reason
            if action == "delete":
                with ctx.open_store() as store:
                    preview = store.delete_preview(athlete)
                return ctx.render(request, "athlete_delete.html", status_code=400, athlete=athlete, preview=preview,
                                  error=result)  # fmt: skip
            with ctx.open_store() as store:
                data = page_data(store, athlete)
            return ctx.render(request, "athlete.html", status_code=400, error=result, **data)
        if action == "delete":
            return ctx.render(request, "athlete_deleted.html", report=result)
        return RedirectResponse(athlete_url(athlete.code), status_code=303)

    return [
        Route("/athletes/{rest:path}", athlete_get, methods=["GET"]),
        Route("/athletes/{rest:path}", athlete_post, methods=["POST"]),
    ]
