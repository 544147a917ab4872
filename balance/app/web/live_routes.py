"""The live test routes: the test form, starting, the live page, its WebSocket, stop/retry/ready.

``GET /test/new``           the form: protocol and its options, board (as ``balance boards`` lists
                            them), athlete or guest
``POST /test/start``        start it (CSRF checked by the security middleware) -> 303 to ``/live/{board}``;
                            sets the cookie that makes this browser the test's controller
``GET /live/{board}``       the full-screen live page (read-only for any other browser)
``WS /ws/live/{board}``     frames of the board's test (query ``run`` and ``from``: rejoin after a
                            sequence number); Origin and the access cookie are checked first
``POST /test/stop``         stop (what was recorded is kept)
``POST /test/retry``        stop and start the same test again
``POST /test/ready``        before/after: the person is ready after the intervention
``GET /live/{board}/state.json``   the board's test state

A state-changing ``fetch()`` from ``static/live.js`` gets JSON; a plain form post is redirected to
the live page (303).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import TYPE_CHECKING, Any

from balance.app.web.live import PROTOCOLS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from balance.app.web.context import WebContext
    from balance.app.web.live import LiveHub, LiveRun

__all__ = ["routes", "CONTROL_COOKIE_PREFIX", "protocol_choices", "request_from_form"]

#: Cookie naming the browser that controls a board's test: ``balance_live_<board>`` = the run's control token.
CONTROL_COOKIE_PREFIX = "balance_live_"

def protocol_choices() -> list[tuple[str, str, str]]:
    """The form's protocols as ``(value, title, what it is and its defaults)``, from the protocol specs themselves."""
    from protocols.library import get_protocol

    out = []
    for name in PROTOCOLS:
        spec = get_protocol(name)
        blocks = list(getattr(spec, "blocks", ()))
        plan = ", then ".join(f"{getattr(b, 'trials_per_side', 1)} × {getattr(b, 'duration_s', 0):g} s" for b in blocks)
        defaults = f"default: {plan}" + (f", rest {spec.rest_s:g} s" if spec.rest_s else "")
        out.append((name, spec.title, f"{getattr(spec, 'description', '')} ({defaults})"))
    return out


def _cookie_name(board: str) -> str:
    return CONTROL_COOKIE_PREFIX + board


def _hub(ctx: WebContext) -> LiveHub:
    hub = ctx.hub
    if hub is None:
        raise RuntimeError("the live hub is not running (the app's lifespan starts it)")
    return hub


def _is_controller(request: Any, run: LiveRun | None) -> bool:
    import secrets

    if run is None:
        return False
    token = request.cookies.get(_cookie_name(run.board))
    return bool(token) and secrets.compare_digest(str(token), run.control_token)


def _opt_number(form: Any, name: str, lo: float, hi: float, *, whole: bool = False) -> Any:
    """Form field ``name`` as a number in ``[lo, hi]`` (an int when ``whole``); None when empty."""
    from balance.app.web.live import LiveError

    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    label = name.replace("_", " ")
    try:
        v = int(raw) if whole else float(raw)
    except ValueError:
        raise LiveError(f"{label}: {raw!r} is not a {'whole number' if whole else 'number'}") from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise LiveError(f"{label}: {v:g} is out of range ({lo:g} to {hi:g})")
    return v


def request_from_form(form: Any) -> Any:
    """The :class:`~balance.app.web.live.TestRequest` of a submitted test form (raises LiveError naming a bad field)."""
    from balance.app.web.live import LiveError, TestRequest

    athlete = str(form.get("athlete") or "").strip()
    guest = athlete in ("", "__guest__") or str(form.get("guest") or "") in ("1", "on", "yes")
    eyes = str(form.get("eyes") or "").strip() or None
    if eyes not in (None, "open", "closed"):
        raise LiveError(f"eyes: {eyes!r} must be open or closed")
    req = TestRequest(
        protocol=str(form.get("protocol") or "").strip(),
        board=str(form.get("board") or "").strip(),
        athlete=None if guest else athlete,
        guest=guest,
        trials=_opt_number(form, "trials", 1, 20, whole=True),
        seconds=_opt_number(form, "seconds", 5.0, 300.0),
        eyes=eyes,
        practice=str(form.get("practice") or "") in ("1", "on", "yes"),
        rest_s=_opt_number(form, "rest_s", 0.0, 600.0),
        reps=_opt_number(form, "reps", 1, 50, whole=True),
        retries=_opt_number(form, "retries", 0, 5, whole=True),
    )
    req.spec()  # every other check (protocol, board, options) with the CLI's words
    return req


def routes(ctx: WebContext) -> list[Any]:
    """The live test routes (see the module docstring)."""
    from starlette.responses import JSONResponse, RedirectResponse
    from starlette.routing import Route, WebSocketRoute

    from balance.app.web.live import BOARDS, BoardBusy, LiveError, NotAllowed, iter_boards

    choices = protocol_choices()
    from balance.app.web.security import check_websocket, set_cookie

    def form_page(request: Request, *, values: dict[str, Any], error: str | None = None,
                  status_code: int = 200) -> Response:  # fmt: skip
        with ctx.open_store() as store:
            athletes = [a for a in store.list_athletes()]
        hub = _hub(ctx)
        busy = {b for b, r in hub.runs().items() if r.active}
        boards = list(iter_boards())
        default_board = values.get("board") or hub.default_board
        return ctx.render(request, "test_new.html", status_code=status_code, athletes=athletes, boards=boards,
                          busy=busy, protocols=choices, values=values, error=error,
                          default_board=default_board)  # fmt: skip

    async def test_new(request: Request) -> Response:
        q = request.query_params
        values = {"protocol": q.get("protocol") or "single-leg", "athlete": q.get("athlete") or "",
                  "board": q.get("board") or ""}  # fmt: skip
        if q.get("guest"):
            values["athlete"] = "__guest__"
        return form_page(request, values=values)

    async def test_start(request: Request) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        try:
            req = request_from_form(form)
            run = _hub(ctx).start(req)
        except BoardBusy as err:
            return form_page(request, values=values, error=str(err), status_code=409)
        except LiveError as err:
            return form_page(request, values=values, error=str(err), status_code=400)
        response = RedirectResponse(f"/live/{run.board}", status_code=303)
        set_cookie(response, _cookie_name(run.board), run.control_token, secure=request.url.scheme == "https")
        return response

    def _board_of(request: Request) -> str:
        from starlette.exceptions import HTTPException

        board = request.path_params["board"]
        if board not in BOARDS:
            raise HTTPException(404, f"no board {board!r}: one of {', '.join(BOARDS)}")
        return str(board)

    async def live_page(request: Request) -> Response:
        board = _board_of(request)
        hub = _hub(ctx)
        run = hub.run_for(board)
        snap = hub.state(board)
        phase = snap["state"].get("phase", "idle")
        body_state = phase if phase in ("waiting", "running", "rest", "done", "error") else "waiting"
        return ctx.render(request, "live.html", board=board, run=run, snap=snap, body_state=body_state,
                          controller=_is_controller(request, run))  # fmt: skip

    async def live_state(request: Request) -> Response:
        board = _board_of(request)
        hub = _hub(ctx)
        snap = hub.state(board)
        snap["controller"] = _is_controller(request, hub.run_for(board))
        return JSONResponse(snap)

    async def _control(request: Request, action: str) -> Response:
        form = await request.form()
        board = str(form.get("board") or "")
        wants_json = "x-csrf-token" in request.headers
        if board not in BOARDS:
            msg = f"no board {board!r}: one of {', '.join(BOARDS)}"
            return JSONResponse({"ok": False, "error": msg}, status_code=404)
        hub = _hub(ctx)
        token = request.cookies.get(_cookie_name(board)) or ""
        try:
            if action == "stop":
                run = hub.stop(board, token=token)
            elif action == "ready":
                run = hub.confirm(board, token=token)
            else:
                run = await hub.aretry(board, token=token)
        except NotAllowed as err:
            return JSONResponse({"ok": False, "error": str(err)}, status_code=403)
        except BoardBusy as err:
            return JSONResponse({"ok": False, "error": str(err)}, status_code=409)
        except LiveError as err:
            return JSONResponse({"ok": False, "error": str(err)}, status_code=409)
        if wants_json:
            response: Response = JSONResponse({"ok": True, "board": board, "run": run.id})
        else:
            response = RedirectResponse(f"/live/{board}", status_code=303)
        if action == "retry":
            set_cookie(response, _cookie_name(board), run.control_token, secure=request.url.scheme == "https")
        return response

    async def test_stop(request: Request) -> Response:
        return await _control(request, "stop")

    async def test_retry(request: Request) -> Response:
        return await _control(request, "retry")

    async def test_ready(request: Request) -> Response:
        return await _control(request, "ready")

    async def live_ws(websocket: WebSocket) -> None:
        board = websocket.path_params["board"]
        if board not in BOARDS or not check_websocket(websocket, ctx):
            await websocket.close(code=1008)
            return
        hub = _hub(ctx)
        await websocket.accept()
        try:
            from_seq = max(0, int(websocket.query_params.get("from") or 0))
        except ValueError:
            from_seq = 0
        run_id = websocket.query_params.get("run") or None
        viewer = hub.subscribe(board, run_id=run_id, from_seq=from_seq)
        send_lock = asyncio.Lock()
        run = hub.run_for(board)

        async def send(text: str) -> None:
            async with send_lock:
                await websocket.send_text(text)

        async def sender() -> None:
            async for frame in viewer.frames():
                await send(frame.stamped())

        async def receiver() -> None:
            while True:
                msg = await websocket.receive()
                if msg["type"] == "websocket.disconnect":
                    return
                try:
                    data = json.loads(msg.get("text") or "{}")
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("type") == "ping":
                    await send(json.dumps({"type": "pong", "client_ms": data.get("client_ms"),
                                           "server_ms": round(time.time() * 1000.0, 2)}))  # fmt: skip

        hello = {"type": "hello", "board": board, "run": None if run is None else run.id,
                 "controller": _is_controller(websocket, run), "server_ms": round(time.time() * 1000.0, 2)}  # fmt: skip
        tasks: list[asyncio.Task[None]] = []
        closed_by_server = False
        try:
            await send(json.dumps(hello))
            tasks = [asyncio.ensure_future(sender()), asyncio.ensure_future(receiver())]
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            closed_by_server = tasks[0] in done
        finally:
            viewer.close()
            for t in tasks:
                t.cancel()
            for t in tasks:
                try:
                    await t
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - a gone browser: nothing to report
                    pass
        if closed_by_server:
            try:
                await websocket.close(code=1001)
            except RuntimeError:  # already closed by the browser
                pass

    return [
        Route("/test/new", test_new, methods=["GET"]),
        Route("/test/start", test_start, methods=["POST"]),
        Route("/test/stop", test_stop, methods=["POST"]),
        Route("/test/retry", test_retry, methods=["POST"]),
        Route("/test/ready", test_ready, methods=["POST"]),
        Route("/live/{board}", live_page, methods=["GET"]),
        Route("/live/{board}/state.json", live_state, methods=["GET"]),
        WebSocketRoute("/ws/live/{board}", live_ws),
    ]
