"""The live test path of the web app: run a test on a board and stream it to browsers.

:class:`LiveHub` starts a test with the same :func:`balance.app.runner.run_session` that
``balance test`` uses (same protocol specs, same guest handling, same board opening, same store),
in a worker thread per board, one test per board at a time. Every sample goes to disk through the
runner first (its raw trial files, then the history database when each trial ends); what the
browsers do (close, reload, join twice, lag) never reaches the recording.

The browsers get **frames**: a listener in the python-can ``Listener`` style
(:mod:`protocols.listeners`) collects the samples and events the engine reports and, at a fixed
rate (``frame_hz``, 40 by default) or at once when an event happens, packs the samples since the
last frame (centre of pressure from the corners with the board's geometry,
:func:`balance.cop.cop_from_corners`; decimated to ``max_samples_per_frame``), the events and the
state of the moment (instruction, side, timer, rest, load) into one frame with a sequence number
(1, 2, ...), the board time of its newest sample and the wall-clock time that sample reached the
listener. The hub keeps the current test's frames (bounded), so a page that reconnects asks
"from sequence N" and gets the missing frames, in order, without duplicates.

Each browser connection is a :class:`Viewer`: a bounded :class:`asyncio.Queue` on the server's
event loop, fed with ``loop.call_soon_threadsafe``; a full queue drops frames for that viewer only
(the sender fills such gaps from the history when it catches up).

The listener is python-can's ``Listener`` shape (``can/listener.py``: several consumers fed from one
stream, each returning at once), as :mod:`protocols.listeners` and the matplotlib live window
(:mod:`balance.app.live`) use it; rejoining "after sequence N" is the shape of server-sent events'
``Last-Event-ID`` (WHATWG HTML Living Standard, section 9.2 "Server-sent events").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.runner import RunOutcome
    from balance.app.store import Store
    from drivers.base import Board, Sample
    from protocols.spec import ProtocolSpec

__all__ = [
    "LiveHub",
    "LiveRun",
    "LiveError",
    "BoardBusy",
    "NotAllowed",
    "TestRequest",
    "Viewer",
    "Frame",
    "PROTOCOLS",
    "BOARDS",
]

log = logging.getLogger(__name__)

#: The protocols a page can start (those of ``balance test``).
PROTOCOLS: tuple[str, ...] = ("single-leg", "bilateral", "squat", "before-after")
#: The boards a test can run on (those of ``balance test --board``).
BOARDS: tuple[str, ...] = ("wii", "evdev", "sim")
#: Below this total load (kg) nobody stands on the board: no centre of pressure (as the live window).
MIN_TOTAL_KG = 5.0
#: Stance cues of :class:`protocols.events.Instruction` and the side they mean (a new stance clears the trail).
_CUE_SIDE = {"stand_left": "left", "stand_right": "right", "step_on_both": "both"}


class LiveError(Exception):
    """A test cannot be started or controlled; the message says why and what to do."""


class BoardBusy(LiveError):
    """A test already runs on that board."""


class NotAllowed(LiveError):
    """This browser watches the test read-only (another one started it)."""


@dataclass(frozen=True)
class TestRequest:
    """What to run: the options of ``balance test`` a page can set.

    Attributes
    ----------
    protocol : str
        ``single-leg``, ``bilateral``, ``squat`` or ``before-after``.
    board : str
        ``sim``, ``wii`` or ``evdev``.
    athlete : str or None
        Code or name of a stored athlete; None with ``guest``.
    guest : bool
        Save under a new guest code (GUEST-001, ...), as ``balance test --guest``.
    trials, seconds, eyes, practice, rest_s, reps, retries
        As ``--trials`` (per leg), ``--seconds`` (s), ``--eyes``, ``--practice``, ``--rest`` (s),
        ``--reps``, ``--retries``; None keeps the protocol's default.
    seed : int or None
        Simulated board: random seed (None: a new one each run).
    sim_ratio : float
        Simulated board: right-leg mediolateral sway relative to the left.
    """

    __test__ = False  # not a pytest test class despite its name

    protocol: str
    board: str = "sim"
    athlete: str | None = None
    guest: bool = False
    trials: int | None = None
    seconds: float | None = None
    eyes: str | None = None
    practice: bool = False
    rest_s: float | None = None
    reps: int | None = None
    retries: int | None = None
    seed: int | None = None
    sim_ratio: float = 1.0

    def spec(self) -> ProtocolSpec:
        """The protocol spec, built as ``balance test`` builds it (:func:`protocols.library.get_protocol`).

        Raises
        ------
        LiveError
            Unknown protocol or board, no athlete and no guest, or options the protocol refuses.
        """
        from protocols.library import get_protocol
        from protocols.spec import SpecError

        if self.protocol not in PROTOCOLS:
            raise LiveError(f"unknown protocol {self.protocol!r}: choose one of {', '.join(PROTOCOLS)}")
        if self.board not in BOARDS:
            raise LiveError(f"unknown board {self.board!r}: choose one of {', '.join(BOARDS)}")
        if self.guest and self.athlete:
            raise LiveError("a guest test saves under a new guest code: leave out the athlete, or untick guest")
        if not self.guest and not self.athlete:
            raise LiveError("which athlete? choose one, or run a guest test")
        if self.retries is not None and self.retries < 0:
            raise LiveError(f"retries={self.retries} must be 0 or more")
        try:
            return get_protocol(self.protocol, trials_per_side=self.trials, duration_s=self.seconds, eyes=self.eyes,
                                practice=True if self.practice else None, rest_s=self.rest_s, reps=self.reps)  # fmt: skip
        except (SpecError, ValueError) as err:
            raise LiveError(str(err)) from err


@dataclass(frozen=True)
class Frame:
    """One frame of a test: ``seq`` (1, 2, ... within its run) and its JSON text (without ``sent_ms``)."""

    seq: int
    run_id: str
    text: str
    #: Sent again from the history (a rejoin or a gap), not as it happened: no latency to measure.
    replay: bool = False

    def stamped(self, sent_ms: float | None = None) -> str:
        """The JSON text with the server's send time ``sent_ms`` (ms since the epoch) added."""
        sent = time.time() * 1000.0 if sent_ms is None else sent_ms
        flag = ',"replay":true' if self.replay else ""
        return f'{self.text[:-1]}{flag},"sent_ms":{sent:.1f}}}'


class Viewer:
    """One browser connection: a bounded queue of frames on the server's event loop.

    Created by :meth:`LiveHub.subscribe` in the loop's thread; the engine's thread feeds it with
    ``loop.call_soon_threadsafe``. A full queue drops the frame for this viewer only
    (:attr:`dropped`); :meth:`frames` fills such gaps from the run's history when it can.
    """

    def __init__(self, hub: LiveHub, board: str, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.hub = hub
        self.board = board
        self.loop = loop
        self.queue: asyncio.Queue[Frame | None] = asyncio.Queue(maxsize)
        self.dropped = 0
        self.closed = False
        self.run_id = ""
        self.last_seq = 0
        self._backlog: list[Frame] = []

    # -- the engine's side (any thread) -------------------------------------------------------
    def _offer(self, frame: Frame | None) -> bool:
        """Hand ``frame`` (None: the end) to the loop; False if the loop is gone."""
        try:
            self.loop.call_soon_threadsafe(self._put, frame)
            return True
        except RuntimeError:  # the loop is closed: this viewer is gone
            self.closed = True
            return False

    # -- the loop's side ----------------------------------------------------------------------
    def _put(self, frame: Frame | None) -> None:
        if frame is None:
            self.closed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return
        if self.closed:
            return
        if self.queue.full():  # a slow browser: drop its oldest frame, keep the newest (its state is current)
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(frame)

    async def frames(self) -> Any:
        """Yield the frames to send, in order, without duplicates, until the viewer is closed.

        First the backlog taken when the viewer subscribed, then the frames as they come. A frame
        from a new run (a test started on the board meanwhile) resets the sequence. Frames this viewer
        dropped are taken from the run's history (at most a queue's worth: a browser that slow skips
        ahead, and its trail restarts with the next trial).
        """
        backlog, self._backlog = self._backlog, []
        for frame in backlog:
            if frame.run_id != self.run_id:
                self.run_id, self.last_seq = frame.run_id, 0
            if frame.seq > self.last_seq:
                self.last_seq = frame.seq
                yield replace(frame, replay=True)
        while True:
            item = await self.queue.get()
            if item is None:
                return
            frame = item
            if frame.run_id != self.run_id:
                self.run_id, self.last_seq = frame.run_id, 0
            if frame.seq <= self.last_seq:
                continue
            if frame.seq > self.last_seq + 1:
                missed = self.hub.frames_since(self.board, self.run_id, self.last_seq, until=frame.seq)
                for m in missed[-self.queue.maxsize :]:
                    self.last_seq = m.seq
                    yield replace(m, replay=True)
            self.last_seq = frame.seq
            yield frame

    def close(self) -> None:
        """Stop receiving frames (the connection closed)."""
        self.closed = True
        self.hub._unsubscribe(self)


@dataclass
class LiveRun:
    """One test on one board: its request, its state, its frames and its worker thread."""

    board: str
    request: TestRequest
    spec: ProtocolSpec
    id: str = field(default_factory=lambda: secrets.token_hex(6))
    #: A browser holding this token (cookie) controls the test; the others watch read-only.
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    state: dict[str, Any] = field(default_factory=dict)
    thread: threading.Thread | None = None
    engine: Any = None
    session_id: int | None = None
    athlete_code: str | None = None
    athlete_label: str = ""
    outcome: RunOutcome | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    stop_requested: bool = False
    #: Samples the listener was told about (every one the engine read), and those put in frames.
    samples_seen: int = 0
    samples_framed: int = 0
    _seq: int = 0
    #: Sequence number of the frame where the current trail starts (a trial or a new stance).
    _trail_seq: int = 1
    _history: deque[Frame] = field(default_factory=deque)
    _confirm: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        """True from the start until the worker thread has finished (results stored)."""
        return self.state.get("phase") not in ("done", "error")

    @property
    def seq(self) -> int:
        """Sequence number of the latest frame."""
        return self._seq

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the worker thread; True when it has finished."""
        if self.thread is None:
            return True
        self.thread.join(timeout_s)
        return not self.thread.is_alive()


def _num(x: float, digits: int = 1) -> float | None:
    """``x`` rounded for JSON; None for NaN/inf."""
    return round(float(x), digits) if math.isfinite(x) else None


def _decimate(n: int, keep: int) -> list[int]:
    """At most ``keep`` indices of ``range(n)``, evenly spread, the last one always kept."""
    if n <= keep:
        return list(range(n))
    step = n / keep
    return sorted({min(n - 1, int(round((k + 1) * step)) - 1) for k in range(keep)})


class _FrameListener:
    """Engine listener: turns samples and events into frames (runs in the engine's thread, returns quickly)."""

    def __init__(self, hub: LiveHub, run: LiveRun, *, period_s: float, max_samples: int, geometry: Any) -> None:
        self.hub = hub
        self.run = run
        self.period_s = period_s
        self.max_samples = max_samples
        self.geometry = geometry
        self._samples: list[tuple[float, float, float, float, float]] = []
        self._last_wall_ms = math.nan
        self._first_wall_ms = math.nan
        self._events: list[dict[str, Any]] = []
        self._next_flush = 0.0
        # The console's own count of planned trials and time left ("trial 3 of 6", "about 4 min 10 s
        # left"), kept quiet: the same numbers on the page as in the terminal.
        import io

        from balance.app.console import ConsoleUI

        self._console = ConsoleUI(io.StringIO(), live_timer=False, quiet=True, spec=run.spec)
        self._n_planned = len(run.spec.plan())

    def on_sample(self, sample: Sample) -> None:
        self._samples.append((sample.t_s, sample.tl_kg, sample.tr_kg, sample.bl_kg, sample.br_kg))
        self._last_wall_ms = time.time() * 1000.0
        if len(self._samples) == 1:  # the first sample of this frame
            self._first_wall_ms = self._last_wall_ms
        self.run.samples_seen += 1
        now = time.monotonic()
        if now >= self._next_flush:
            # a fixed schedule, not "period after the last frame": samples come every 10 ms, and
            # waiting a full period after each frame would round 33 ms up to 40 ms (25 frames/s)
            late = now - self._next_flush >= self.period_s
            self._next_flush = now + self.period_s if late else self._next_flush + self.period_s
            self.flush()

    def on_event(self, event: Any) -> None:
        from protocols import events as ev

        d = _event_dict(event)
        self.hub._apply_event(self.run, d)
        if isinstance(event, ev.TrialStarted):
            self._console.on_event(event)
            self._console.stream.seek(0)  # its quiet summary lines are not needed here
            self._console.stream.truncate()
            k = self._console.trials_started
            extra = " (practice)" if event.practice else (f" (retry {event.attempt - 1})" if event.attempt > 1 else "")
            left = self._console.session_left_s(event.duration_s)
            with self.hub._lock:
                self.run.state["trial"] = f"trial {k} of {self._n_planned}{extra}"
                self.run.state["session_left_s"] = None if left is None else round(left)
        if isinstance(event, ev.Elapsed):
            return  # the timer: carried by the state of the next frame
        self._events.append(d)
        self.flush()

    def flush(self) -> None:
        """Send what was gathered since the last frame as one frame (nothing when there is nothing new)."""
        if not self._samples and not self._events:
            return
        rows = self._samples
        self._samples = []
        events = self._events
        self._events = []
        pts: list[list[float | None]] = []
        if rows:
            import numpy as np

            from balance.cop import cop_from_corners

            a = np.asarray(rows, dtype=np.float64)
            idx = _decimate(len(rows), self.max_samples)
            a = a[idx]
            res = cop_from_corners(a[:, 1], a[:, 2], a[:, 3], a[:, 4], geometry=self.geometry, min_total=MIN_TOTAL_KG)
            pts = [[_num(t, 3), _num(x), _num(y), _num(w, 2)]
                   for t, x, y, w in zip(a[:, 0].tolist(), res.cop_ml_mm.tolist(), res.cop_ap_mm.tolist(),
                                         res.total.tolist())]  # fmt: skip
            self.run.samples_framed += len(rows)
            st = self.run.state
            st["now_s"] = float(a[-1, 0])
            st["load_kg"] = _num(float(res.total[-1]), 1)
        wall = {"first_wall_ms": _num(self._first_wall_ms, 1), "sample_wall_ms": _num(self._last_wall_ms, 1)} if rows else {
            "first_wall_ms": None, "sample_wall_ms": None}  # fmt: skip
        self.hub._publish(self.run, {"samples": pts, "events": events, **wall})


def _starts_trail(e: dict[str, Any]) -> bool:
    """True for the events after which the page draws a fresh trace (as the live window clears it)."""
    return e.get("kind") in ("started", "trial_started") or (
        e.get("kind") == "instruction" and (e.get("cue") or "") in _CUE_SIDE
    )


def _event_dict(event: Any) -> dict[str, Any]:
    """A protocol event as a small JSON-able dict (``kind`` plus its fields)."""
    from protocols import events as ev

    at = _num(float(getattr(event, "at_s", math.nan)), 3)
    if isinstance(event, ev.Instruction):
        return {"kind": "instruction", "text": event.text, "cue": event.cue, "at_s": at}
    if isinstance(event, ev.Countdown):
        return {"kind": "countdown", "seconds_left": int(event.seconds_left), "at_s": at}
    if isinstance(event, ev.Beep):
        return {"kind": "beep", "beep": event.kind, "at_s": at}
    if isinstance(event, ev.StanceStable):
        return {"kind": "stance_stable", "stance": event.stance, "at_s": at}
    if isinstance(event, ev.TrialStarted):
        return {"kind": "trial_started", "side": event.side, "index": event.index, "condition": event.condition,
                "practice": event.practice, "attempt": event.attempt, "duration_s": _num(event.duration_s, 3),
                "at_s": at}  # fmt: skip
    if isinstance(event, ev.Elapsed):
        return {"kind": "elapsed", "t_s": _num(event.t_s, 3), "duration_s": _num(event.duration_s, 3), "at_s": at}
    if isinstance(event, ev.FailureDetected):
        return {"kind": "failure", "failure": event.kind, "t_s": _num(event.t_s, 2), "detail": event.detail,
                "at_s": at}  # fmt: skip
    if isinstance(event, ev.RestStarted):
        return {"kind": "rest", "seconds": _num(event.seconds, 2), "next_side": event.next_side,
                "next_condition": event.next_condition, "at_s": at}  # fmt: skip
    if isinstance(event, ev.TrialEnded):
        r = event.result
        return {"kind": "trial_ended", "side": getattr(r, "side", ""), "status": str(getattr(r, "status", "")),
                "failure_kind": getattr(r, "failure_kind", None),
                "duration_s": _num(float(getattr(r, "duration_s", math.nan)), 2), "at_s": at}  # fmt: skip
    if isinstance(event, ev.SessionEnded):
        return {"kind": "session_ended", "status": str(getattr(event.result, "status", "")), "at_s": at}
    return {"kind": type(event).__name__.lower(), "at_s": at}


def _geometry(board: Any) -> Any:
    """The board's sensor spacing (:class:`balance.model.BoardGeometry`); the Wii board's when it does not say."""
    from balance.cop import WII_BALANCE_BOARD

    try:
        return board.info.geometry
    except Exception:  # noqa: BLE001 - a board that cannot describe itself still records
        return WII_BALANCE_BOARD


def _outline(geometry: Any) -> dict[str, float]:
    """What the page draws: sensor spacing and standing surface (mm), as :func:`balance.app.plots.plot_board`."""
    from balance.app.plots import WII_SURFACE_MM
    from balance.cop import WII_BALANCE_BOARD

    w, h = WII_SURFACE_MM if geometry == WII_BALANCE_BOARD else (geometry.width_mm, geometry.length_mm)
    return {"sensors_ml": geometry.width_mm, "sensors_ap": geometry.length_mm, "surface_ml": w, "surface_ap": h}


def _initial_state(run: LiveRun, who: str) -> dict[str, Any]:
    return {
        "phase": "waiting", "instruction": "Getting the board ready", "alert": False, "side": "", "condition": "",
        "trial": "", "countdown": None, "duration_s": None, "start_s": None, "held_s": None, "rest_end_s": None,
        "next_side": "", "next_condition": "", "now_s": None, "load_kg": None, "body_mass_kg": None,
        "confirm": None, "failure": None, "session_id": None, "error": None, "protocol": run.request.protocol,
        "title": run.spec.title, "athlete": who, "board": run.board, "board_mm": None, "session_left_s": None,
    }  # fmt: skip


def _default_open_board(request: TestRequest, *, mass_kg: float | None, realtime: bool) -> Board:
    """Open the board as ``balance test --board KIND`` does (stored calibration profile applied)."""
    from balance.app.commands.test import open_test_board

    board: Board = open_test_board(request.board, mass_kg=mass_kg, realtime=realtime, seed=request.seed,
                                   ratio=request.sim_ratio)  # fmt: skip
    return board


class LiveHub:
    """Runs tests on boards and hands their frames to viewers.

    Parameters
    ----------
    source : WebContext or callable
        The web app's context (its ``open_store`` and ``settings.realtime``), or an ``open_store()``
        callable returning a context manager that gives a :class:`balance.app.store.Store`.
    realtime : bool, optional
        Simulated boards at real speed (False: as fast as possible, for tests); default: the
        context's ``settings.realtime``, else True.
    frame_hz : float
        Frames per second sent while samples arrive (30–60; 40 by default, two or three 100 Hz samples each).
    max_samples_per_frame : int
        Samples per frame at most (more are decimated: the display needs no more than this).
    history_frames : int
        Frames of the current test kept for pages that rejoin, the oldest dropped first (default: 3 min
        at 40 frames/s, about 5 MB; a new page needs only the current trial, a reconnect the frames it missed).
    viewer_queue : int
        Frames queued per viewer before frames are dropped for it.
    open_board : callable, optional
        ``open_board(request, mass_kg=..., realtime=...) -> Board``; default: as ``balance test``.
    """

    def __init__(
        self,
        source: Any,
        *,
        realtime: bool | None = None,
        frame_hz: float = 40.0,
        max_samples_per_frame: int = 16,
        history_frames: int = 40 * 60 * 3,
        viewer_queue: int = 256,
        open_board: Callable[..., Board] | None = None,
    ) -> None:
        if not 1.0 <= frame_hz <= 120.0:
            raise ValueError(f"frame_hz={frame_hz} must be between 1 and 120 (30 to 60 is the usual rate)")
        settings = getattr(source, "settings", None)
        self._open_store: Callable[[], AbstractContextManager[Store]] = getattr(source, "open_store", source)
        self.realtime = bool(getattr(settings, "realtime", True) if realtime is None else realtime)
        #: The board a new test uses unless told otherwise (``balance serve --board``).
        self.default_board: str = str(getattr(settings, "board", "sim") or "sim")
        self.frame_hz = float(frame_hz)
        self.max_samples_per_frame = int(max_samples_per_frame)
        self.history_frames = int(history_frames)
        self.viewer_queue = int(viewer_queue)
        self._open_board = open_board or _default_open_board
        self._lock = threading.RLock()
        self._runs: dict[str, LiveRun] = {}
        self._viewers: dict[str, set[Viewer]] = {}
        self._closed = False

    # -- starting and controlling -------------------------------------------------------------
    def start(self, request: TestRequest) -> LiveRun:
        """Start ``request`` in a worker thread and return its run at once.

        Raises
        ------
        BoardBusy
            A test is running on that board already.
        LiveError
            The request is not valid (protocol options, no athlete) or the hub is closed.
        """
        spec = request.spec()
        with self._lock:
            if self._closed:
                raise LiveError("the server is shutting down: no new test")
            old = self._runs.get(request.board)
            if old is not None and old.active:
                who = old.athlete_label or old.state.get("athlete") or "someone"
                raise BoardBusy(
                    f"a test is already running on the {request.board} board ({old.spec.title} for {who}): "
                    f"watch it at /live/{request.board}, or stop it there first"
                )
            run = LiveRun(board=request.board, request=request, spec=spec)
            who = "guest" if request.guest else str(request.athlete)
            run.state = _initial_state(run, who)
            self._runs[request.board] = run
            self._publish(run, {"samples": [], "events": [{"kind": "started"}], "sample_wall_ms": None})
            run.thread = threading.Thread(target=self._work, args=(run,), name=f"balance-live-{request.board}",
                                          daemon=True)  # fmt: skip
            run.thread.start()
        return run

    def run_for(self, board: str) -> LiveRun | None:
        """The board's current test, or its last one (None if none was run since the server started)."""
        with self._lock:
            return self._runs.get(board)

    def runs(self) -> dict[str, LiveRun]:
        """Every board's current or last test."""
        with self._lock:
            return dict(self._runs)

    def _controlled(self, board: str, token: str | None) -> LiveRun:
        run = self.run_for(board)
        if run is None:
            raise LiveError(f"no test on the {board} board")
        if token is not None and not secrets.compare_digest(token, run.control_token):
            raise NotAllowed("this test was started from another browser: this page watches it read-only")
        return run

    def stop(self, board: str, *, token: str | None = None) -> LiveRun:
        """Stop the board's test: the trial in progress is kept (incomplete), the rest as recorded.

        ``token`` (the controlling browser's) is checked when given.
        """
        run = self._controlled(board, token)
        self._stop_run(run)
        return run

    def _stop_run(self, run: LiveRun) -> None:
        with self._lock:
            run.stop_requested = True
            engine = run.engine
        if engine is not None:
            engine.stop()
        run._confirm.set()  # a before/after test waiting for "ready" stops too

    def confirm(self, board: str, *, token: str | None = None) -> LiveRun:
        """Before/after: the person is ready after the intervention (the engine goes on)."""
        run = self._controlled(board, token)
        if run.state.get("confirm") is None:
            raise LiveError("the test is not waiting for a confirmation")
        run._confirm.set()
        return run

    def retry_request(self, board: str, *, token: str | None = None) -> tuple[LiveRun, TestRequest]:
        """The run to replace and the request that runs the same test again (same athlete, a guest kept).

        Retry is: stop the test (keeping what was recorded), then :meth:`start` this request.
        The engine itself already repeats a *failed* trial up to the protocol's ``max_retries``.
        """
        run = self._controlled(board, token)
        req = run.request
        if run.athlete_code is not None:
            req = replace(req, athlete=run.athlete_code, guest=False)
        return run, req

    def retry(self, board: str, *, token: str | None = None, timeout_s: float | None = None) -> LiveRun:
        """Stop the board's test (what was recorded is kept), wait for it, start the same test again."""
        run, req = self.retry_request(board, token=token)
        self._stop_run(run)
        run.join(timeout_s)
        return self.start(req)

    async def aretry(self, board: str, *, token: str | None = None) -> LiveRun:
        """:meth:`retry` for the event loop: waits for the old test without blocking the loop."""
        run, req = self.retry_request(board, token=token)
        self._stop_run(run)
        await _await_thread(run)
        return self.start(req)

    # -- the worker ---------------------------------------------------------------------------
    def _work(self, run: LiveRun) -> None:
        try:
            self._run_test(run)
        except Exception as err:  # noqa: BLE001 - said on the page; samples already on disk stay there
            if not isinstance(err, LiveError):
                log.exception("live test on %s failed", run.board)
            self._finish(run, error=f"{type(err).__name__}: {err}" if not isinstance(err, LiveError) else str(err))
        finally:
            if run.active:  # whatever happened, the board is free again
                self._finish(run, error="the test ended unexpectedly; what was recorded is saved")

    def _run_test(self, run: LiveRun) -> None:
        from balance.app.commands._board import board_error_message
        from balance.app.commands.test import _guest
        from balance.app.runner import run_session
        from balance.app.store import StoreError
        from drivers.errors import BoardError
        from protocols.retry import AutoRetry

        req = run.request
        with self._open_store() as store:
            try:
                athlete = None if req.guest else store.get_athlete(str(req.athlete))
            except StoreError as err:
                raise LiveError(str(err)) from err
            try:
                board = self._open_board(req, mass_kg=None if athlete is None else athlete.mass_kg,
                                         realtime=self.realtime)  # fmt: skip
            except BoardError as err:
                said = Exception(err.args[0]) if isinstance(err, KeyError) and err.args else err  # no KeyError quotes
                raise LiveError(board_error_message(said, req.board)) from err
            try:
                if run.stop_requested:
                    raise LiveError("stopped before the test started: nothing was saved")
                if athlete is None:  # a guest: created once the board is there, as `balance test --guest`
                    athlete = _guest(store)
                run.athlete_code, run.athlete_label = athlete.code, athlete.label
                geometry = _geometry(board)
                with self._lock:
                    run.state["athlete"] = athlete.label
                    run.state["body_mass_kg"] = athlete.mass_kg
                    run.state["board_mm"] = _outline(geometry)
                listener = _FrameListener(self, run, period_s=1.0 / self.frame_hz,
                                          max_samples=self.max_samples_per_frame, geometry=geometry)  # fmt: skip

                def on_start(session_id: int, engine: Any) -> None:
                    with self._lock:
                        run.session_id, run.engine = session_id, engine
                        run.state["session_id"] = session_id
                        stop = run.stop_requested
                    if stop:
                        engine.stop()

                retry = AutoRetry(req.retries) if req.retries is not None else None
                outcome = run_session(store, athlete, run.spec, board, listeners=[listener], retry=retry,
                                      source="test", confirm=lambda text: self._wait_confirm(run, listener, text),
                                      on_start=on_start)  # fmt: skip
                listener.flush()
            finally:
                board.close()
            # The stored session is the record now: keep the outcome's ids and status, not the run's
            # trials and their samples (a server runs test after test).
            outcome.result = None
            run.outcome = outcome
            with self._lock:
                run.engine = None  # it holds the session's trials too; stop() has nothing left to stop
            result = None
            if run.stop_requested and not outcome.trial_ids and store.discard_empty_session(outcome.session_id):
                # stopped before the first trial: nothing recorded, no empty session left (as Ctrl-C in the console)
                with contextlib.suppress(OSError):
                    if outcome.raw_dir is not None:
                        outcome.raw_dir.rmdir()
                self._finish(run, error="stopped before the first trial: nothing was saved", discarded=True)
                return
            try:
                result = session_result(store, outcome.session_id)
            except Exception as err:  # noqa: BLE001 - the session is stored; the page links to it anyway
                log.exception("could not summarise session %s", outcome.session_id)
                result = {"headline": f"saved as session {outcome.session_id} (summary unavailable: {err})",
                          "rows": [], "summary": [], "conditions": [], "n_trials": len(outcome.trial_ids),
                          "status": outcome.status}  # fmt: skip
        self._finish(run, error=outcome.error, result=result)

    def _wait_confirm(self, run: LiveRun, listener: _FrameListener, text: str) -> None:
        """The engine asks "ready after the intervention?": show the button, wait for it (or a stop)."""
        with self._lock:
            run.state["confirm"] = text
            run.state["phase"] = "waiting"
        listener._events.append({"kind": "confirm", "text": text})
        listener.flush()
        while not run._confirm.wait(0.2):
            if run.stop_requested:
                break
        run._confirm.clear()
        with self._lock:
            run.state["confirm"] = None
        listener._events.append({"kind": "confirmed"})
        listener.flush()

    def _finish(self, run: LiveRun, *, error: str | None = None, result: dict[str, Any] | None = None,
                discarded: bool = False) -> None:  # fmt: skip
        with self._lock:
            run.error = error
            run.result = result
            st = run.state
            ok = result is not None
            st["phase"] = "done" if ok else "error"
            st["error"] = error
            st["countdown"] = None
            st["confirm"] = None
            st["rest_end_s"] = None
            if ok:
                st["instruction"] = "Test finished" if error is None else "Test stopped: what was recorded is saved"
            else:
                st["instruction"] = "Test stopped" if discarded or run.stop_requested else "The test could not run"
            st["session_id"] = None if discarded else run.session_id
            self._publish(run, {"samples": [], "sample_wall_ms": None, "events": [
                {"kind": "done", "session_id": st["session_id"], "status": None if run.outcome is None else
                 run.outcome.status, "error": error, "result": result}]})  # fmt: skip

    # -- state and frames ---------------------------------------------------------------------
    def _apply_event(self, run: LiveRun, d: dict[str, Any]) -> None:
        """Update the run's state with one event dict (engine thread)."""
        with self._lock:
            _apply(run.state, d)

    def _publish(self, run: LiveRun, body: dict[str, Any]) -> None:
        """Number a frame, keep it in the history and offer it to every viewer of the board."""
        with self._lock:
            run._seq += 1
            frame_d = {"type": "frame", "run": run.id, "seq": run._seq,
                       "t_s": run.state.get("now_s"), **body, "state": _public_state(run.state)}  # fmt: skip
            frame = Frame(run._seq, run.id, json.dumps(frame_d, separators=(",", ":"), allow_nan=False))
            if any(_starts_trail(e) for e in body.get("events", ())):
                run._trail_seq = run._seq
            hist = run._history
            hist.append(frame)
            while len(hist) > self.history_frames:
                hist.popleft()
            self._deliver(run.board, frame)

    def _deliver(self, board: str, frame: Frame | None) -> None:
        """Hand ``frame`` to every viewer of ``board``: one wake-up per event loop, not one per viewer
        (under the hub's lock). Viewers whose loop is gone are dropped."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Viewer]] = {}
        for v in self._viewers.get(board, ()):
            by_loop.setdefault(v.loop, []).append(v)
        for loop, viewers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_put_all, viewers, frame)
            except RuntimeError:  # the loop is closed: these viewers are gone
                for v in viewers:
                    v.closed = True
                    self._viewers[board].discard(v)

    def frames_since(self, board: str, run_id: str, seq: int, *, until: int | None = None) -> list[Frame]:
        """Frames of the board's run ``run_id`` after ``seq`` (and before ``until``), oldest first."""
        with self._lock:
            run = self._runs.get(board)
            if run is None or run.id != run_id:
                return []
            return [f for f in run._history if f.seq > seq and (until is None or f.seq < until)]

    def state(self, board: str) -> dict[str, Any]:
        """The board's test state as JSON-able data (``GET /live/{board}/state.json``)."""
        with self._lock:
            run = self._runs.get(board)
            if run is None:
                return {"board": board, "run": None, "seq": 0, "state": {"phase": "idle"}}
            return {"board": board, "run": run.id, "seq": run._seq, "state": _public_state(run.state),
                    "result": run.result, "samples_seen": run.samples_seen}  # fmt: skip

    def subscribe(self, board: str, *, run_id: str | None = None, from_seq: int = 0,
                  loop: asyncio.AbstractEventLoop | None = None) -> Viewer:  # fmt: skip
        """A viewer of ``board`` (call it in the event loop's thread).

        A page that lost its connection names its run and the last sequence number it drew
        (``run_id``, ``from_seq``): it gets every later frame the history still holds. A new page
        (another or no ``run_id``) gets the current test from the start of its current trail (the
        latest trial or stance), which redraws the trace and the state of the moment.
        """
        loop = loop or asyncio.get_running_loop()
        v = Viewer(self, board, loop, self.viewer_queue)
        with self._lock:
            if self._closed:
                v._put(None)
                return v
            run = self._runs.get(board)
            if run is not None:
                if run_id == run.id:
                    v.run_id, v.last_seq = run.id, max(0, int(from_seq))
                    start = v.last_seq
                else:
                    start = run._trail_seq - 1
                v._backlog = [f for f in run._history if f.seq > start]
            self._viewers.setdefault(board, set()).add(v)
        return v

    def _unsubscribe(self, viewer: Viewer) -> None:
        with self._lock:
            self._viewers.get(viewer.board, set()).discard(viewer)

    def viewer_count(self, board: str) -> int:
        """Viewers connected to ``board``."""
        with self._lock:
            return len(self._viewers.get(board, ()))

    # -- shutting down ------------------------------------------------------------------------
    def _begin_close(self) -> list[LiveRun]:
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
        for run in runs:
            if run.thread is not None and run.thread.is_alive():
                self._stop_run(run)
        return runs

    def _end_close(self) -> None:
        with self._lock:
            viewers = [v for vs in self._viewers.values() for v in vs]
            self._viewers.clear()
        for v in viewers:
            v._offer(None)

    def close(self) -> None:
        """Stop every running test (what was recorded is kept), wait for the threads, end the viewers."""
        for run in self._begin_close():
            run.join()
        self._end_close()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        for run in self._begin_close():
            await _await_thread(run)
        self._end_close()

    def __enter__(self) -> LiveHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _put_all(viewers: list[Viewer], frame: Frame | None) -> None:
    for v in viewers:
        v._put(frame)


async def _await_thread(run: LiveRun) -> None:
    while not run.join(0):
        await asyncio.sleep(0.02)


_PUBLIC = ("phase", "instruction", "alert", "side", "condition", "trial", "countdown", "duration_s", "start_s",
           "held_s", "rest_end_s", "next_side", "next_condition", "now_s", "load_kg", "body_mass_kg", "confirm",
           "failure", "session_id", "error", "title", "athlete", "board", "protocol", "board_mm", "session_left_s")  # fmt: skip


def _public_state(st: dict[str, Any]) -> dict[str, Any]:
    out = {k: st.get(k) for k in _PUBLIC}
    now, start, dur, rest_end = st.get("now_s"), st.get("start_s"), st.get("duration_s"), st.get("rest_end_s")
    left = None
    if st.get("phase") == "running" and now is not None and start is not None:
        elapsed = max(0.0, now - start)
        left = max(0.0, dur - elapsed) if dur else None
        out["elapsed_s"] = _num(elapsed, 2)
    elif st.get("phase") == "rest" and now is not None and rest_end is not None:
        left = max(0.0, rest_end - now)
    out["left_s"] = None if left is None else _num(left, 2)
    return out


def _apply(st: dict[str, Any], d: dict[str, Any]) -> None:
    """Fold one event into the display state (the same reading of the events as the live window)."""
    kind = d["kind"]
    at = d.get("at_s")
    if at is not None:
        st["now_s"] = at
    if kind == "instruction":
        st["instruction"] = d["text"]
        st["alert"] = False
        side = _CUE_SIDE.get(d.get("cue") or "")
        if side is not None:
            st["side"] = side
            st["held_s"] = None
            if st.get("phase") == "rest":
                st["phase"] = "waiting"
                st["rest_end_s"] = None
    elif kind == "countdown":
        st["countdown"] = d["seconds_left"]
        st["phase"] = "waiting"
        st["rest_end_s"] = None
        st["held_s"] = None
    elif kind == "trial_started":
        st.update(phase="running", side=d["side"], condition=d["condition"], countdown=None, start_s=at,
                  duration_s=d["duration_s"], held_s=None, alert=False, failure=None, rest_end_s=None)  # fmt: skip
        extra = " (practice)" if d["practice"] else (f" (retry {d['attempt'] - 1})" if d["attempt"] > 1 else "")
        st["trial"] = f"trial {d['index']}{extra}"
    elif kind == "elapsed":
        if d.get("duration_s") is not None:
            st["duration_s"] = d["duration_s"]
    elif kind == "failure":
        st["failure"] = {"kind": d["failure"], "t_s": d["t_s"], "detail": d["detail"]}
        st["instruction"] = f"{str(d['failure']).replace('_', '-').capitalize()} detected"
        st["alert"] = True
    elif kind == "trial_ended":
        st["phase"] = "waiting"
        st["held_s"] = d["duration_s"]
        st["start_s"] = None
    elif kind == "rest":
        st.update(phase="rest", rest_end_s=None if at is None else at + float(d["seconds"] or 0.0),
                  next_side=d["next_side"], next_condition=d["next_condition"], countdown=None, alert=False,
                  held_s=None)  # fmt: skip
        st["instruction"] = f"Rest {float(d['seconds'] or 0):.0f} s"
    elif kind == "session_ended":
        st["instruction"] = "Test finished: saving"
        st["countdown"] = None
        st["rest_end_s"] = None


def session_result(store: Store, session_id: int) -> dict[str, Any]:
    """The end-of-test result of a stored session: what its session page ``/sessions/{id}`` shows first.

    Read from the stored session and its stored comparison with the session page's own helpers
    (:func:`balance.app.web.session_view.left_right_rows`: the left/right table with the export's digits
    and each measure's sentence; :func:`balance.app.report.report_data`: the summary sentences). The
    headline is the sentence ``balance test`` prints under its table (side-to-side sway speed); nothing
    is recomputed here, so the live page, the session page, the PDF and the CSV agree.

    Returns
    -------
    dict
        ``headline`` (one sentence), ``rows`` (the left/right table rows that have a left or right
        value, as :class:`~balance.app.web.session_view.LeftRightRow` dicts), ``summary`` (the report's
        sentences), ``conditions``, ``n_trials``, ``status``.
    """
    import dataclasses

    from balance import catalogue
    from balance.app.report import report_data
    from balance.app.summary import conditions_of
    from balance.app.web.session_view import left_right_rows

    session = store.session(session_id, with_recordings=False)
    data = report_data(session)
    lr = [r for r in left_right_rows(session) if r.left or r.right]
    summary = [str(line) for line in (data.summary or [])]
    # the console's headline after `balance test`: the sentence of the side-to-side sway speed row
    # (balance.app.console.comparison_table); without a left and a right leg, the report's headline
    head = next((r for r in lr if r.measure == catalogue.LEFT_RIGHT_TABLE[0] and r.sentence), None)
    headline = head.sentence if head is not None else (
        data.headline or (summary[0] if summary else "No comparison could be made."))  # fmt: skip
    rows = [dataclasses.asdict(r) for r in lr]
    return {"headline": headline, "rows": rows, "summary": summary, "conditions": conditions_of(session),
            "n_trials": len(session.trials), "status": session.status}  # fmt: skip


def iter_boards() -> Iterator[dict[str, Any]]:
    """The boards a test can use, as ``balance boards`` lists them (hardware found, then the simulated one)."""
    from balance.app.commands.boards import scan

    try:
        found, _notes = scan()
    except Exception:  # noqa: BLE001 - a broken hidapi install must not break the test form
        found = []
    for b in found:
        if b.get("board") in BOARDS:
            yield {"board": b["board"], "name": b.get("name", b["board"]), "address": b.get("address", ""),
                   "note": b.get("note", "")}  # fmt: skip
    yield {"board": "sim", "name": "Simulated Wii Balance Board", "address": "-", "note": "always available"}
