"""The live sway view: one matplotlib window the athlete and the coach read from two metres.

It shows the board to scale with the CoP trace of the current trial (the last few seconds
bright, older samples faded), the same trace zoomed around its mean (sway is a few cm on a
51 cm board), a large timer, the side being tested, a load bar (body weight on the board) and
the instruction of the moment.

It is a listener in the python-can ``Listener``/``Notifier`` style (``can/listener.py``,
``can/notifier.py``: recorder, live view and protocol fed from one stream):
:meth:`LiveView.on_sample` and :meth:`LiveView.on_event` only put the item on a queue and return
at once, so the recorder never waits for the plot. :meth:`LiveView.update` drains the queue
and moves the artists; :meth:`LiveView.render` draws. Both run in the GUI thread, or headless
(Agg) in tests, driven by hand.

:func:`run_live` runs a test in a background thread while the window redraws at
``fps`` frames per second; closing the window calls ``stop()`` (the test stops and keeps what
was recorded).
"""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from balance.cop import WII_BALANCE_BOARD, BoardGeometry, cop_from_corners
from balance.model import Side
from protocols import events

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["LiveView", "run_live", "display_available"]

T = TypeVar("T")

_SIDE_WORDS = {s.value: s.words for s in Side}
_CUE_SIDE = {"stand_left": "left", "stand_right": "right", "step_on_both": "both"}
#: The load bar's full scale (x body weight) and the room kept for its label to the right (same units).
_BAR_MAX = 1.3
_LABEL_SPACE = 0.35


def display_available() -> bool:
    """True when an interactive matplotlib window can be opened here.

    False on a headless Linux machine (no ``DISPLAY``/``WAYLAND_DISPLAY``) or when the
    configured matplotlib backend is a non-interactive one (Agg, PDF ...).
    """
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import matplotlib

    backend = str(matplotlib.get_backend()).lower()
    return not (backend in {"agg", "pdf", "ps", "svg", "cairo", "pgf", "template"} or "inline" in backend)


class LiveView:
    """Live CoP view fed by a sample stream; a listener that never blocks the recorder.

    Parameters
    ----------
    fig : Figure, optional
        Figure to draw into (cleared). None makes one with :func:`matplotlib.pyplot.figure`
        (a window under an interactive backend).
    geometry : BoardGeometry, optional
        Sensor spacing (mm) for the CoP and the outline; Wii Balance Board by default.
    body_mass_kg : float, optional
        Full scale of the load bar (kg). None: the largest load seen so far, at least 50 kg.
    trail_s : float, optional
        The last ``trail_s`` seconds (s) of the trace are drawn bright, older ones faded.
    zoom_half_range_mm : float, optional
        Half-width (mm) of the zoomed panel beside the board, centred on the trial's mean CoP:
        single-leg sway (a few cm) is small next to the 51 cm board.
    min_total_kg : float, optional
        Below this total load (kg) the CoP is undefined (nobody on the board).
    capacity : int, optional
        Samples kept for the trace (oldest dropped first); 20000 is over 3 min at 100 Hz.
    blit : bool, optional
        Redraw only the moving parts over a cached background when the canvas can (default).

    Notes
    -----
    :meth:`on_sample` and :meth:`on_event` may be called from any thread; :meth:`update`,
    :meth:`render` and :meth:`close` only from the thread that owns the figure.
    """

    def __init__(
        self,
        *,
        fig: "Figure | None" = None,
        geometry: BoardGeometry = WII_BALANCE_BOARD,
        body_mass_kg: float | None = None,
        trail_s: float = 3.0,
        zoom_half_range_mm: float = 30.0,
        min_total_kg: float = 5.0,
        capacity: int = 20000,
        blit: bool = True,
    ) -> None:
        if trail_s <= 0:
            raise ValueError(f"trail_s={trail_s} must be positive (seconds of bright trace, e.g. 3)")
        self.geometry = geometry
        self.body_mass_kg = body_mass_kg
        self.trail_s = float(trail_s)
        self.zoom_mm = float(zoom_half_range_mm)
        #: Centre (ML, AP) of the zoomed panel: the mean CoP of the current trace (mm).
        self.zoom_center_mm: tuple[float, float] = (0.0, 0.0)
        self.min_total_kg = float(min_total_kg)
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._cap = int(capacity)
        self._t = np.empty(0)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._total_kg = math.nan
        self._max_total_kg = 0.0
        self.side: str | None = None
        self.instruction: str = "Step on the board"
        self.timer_s: float | None = None
        self.duration_s: float | None = None
        self.countdown: int | None = None
        self.alert: bool = False
        #: During a rest: its end (board time, s) and the leg that comes next.
        self.rest_end_s: float | None = None
        self.next_side: str = ""
        #: Latest board time seen (s), from samples and events.
        self.now_s = math.nan
        self.held_s: float | None = None
        self.finished = False
        self.closed = False
        self.frames = 0
        self.samples_seen = 0
        self._on_close: list[Callable[[], None]] = []
        self._want_blit = bool(blit)
        self._build(fig)

    # -- listener side (any thread, never blocks) -------------------------------------------------
    def on_sample(self, sample: Any) -> None:
        """Queue one :class:`drivers.base.Sample`; returns at once."""
        self._queue.put(("s", sample))

    def on_event(self, event: Any) -> None:
        """Queue one protocol event (:mod:`protocols.events`); returns at once."""
        self._queue.put(("e", event))

    # -- GUI side ------------------------------------------------------------------------------
    def add_close_callback(self, func: Callable[[], None]) -> None:
        """Call ``func()`` when the window is closed (e.g. the engine's ``stop``)."""
        self._on_close.append(func)

    def update(self) -> int:
        """Drain the queue and move the artists (no drawing); returns samples consumed.

        Samples and events are applied in the order they arrived, so a trial-start event
        clears the trace of the samples before it and keeps those after it.
        """
        batch: list[Any] = []
        n_used = 0
        while True:
            try:
                kind, item = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "s":
                batch.append(item)
            else:
                if batch:
                    n_used += self._add_samples(batch)
                    batch = []
                self._apply_event(item)
        if batch:
            n_used += self._add_samples(batch)
        self._refresh_artists()
        return n_used

    def render(self) -> None:
        """Draw a frame now.

        With ``blit=True`` (the default where the canvas supports it, e.g. Agg, TkAgg, QtAgg)
        only the moving parts are redrawn over a cached background (a few ms a frame); the
        background is redrawn in full after a resize. Otherwise the whole figure is drawn.
        """
        canvas = self.fig.canvas
        if not (self.blit and canvas.supports_blit):
            canvas.draw()
        else:
            if self._background is None:
                canvas.draw()  # draw_event -> _on_draw caches the background and draws the dynamic parts
            else:
                canvas.restore_region(self._background)
                self._draw_dynamic()
            canvas.blit(self.fig.bbox)
        self.frames += 1

    def save(self, path: Any, **savefig_kwargs: Any) -> None:
        """Save the current frame as an image (``Figure.savefig`` with every artist drawn)."""
        for a in self._dynamic:
            a.set_animated(False)
        try:
            self.fig.savefig(path, **savefig_kwargs)
        finally:
            for a in self._dynamic:
                a.set_animated(self.blit)
            self._background = None

    def _on_draw(self, _event: Any) -> None:
        """After a full draw (first frame, resize): cache the background, then draw the moving parts."""
        if not self.blit:
            return
        canvas = self.fig.canvas
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._draw_dynamic()

    def _draw_dynamic(self) -> None:
        for a in self._dynamic:
            self.fig.draw_artist(a)

    def step(self) -> int:
        """:meth:`update` then :meth:`render`; what the window's timer calls each frame."""
        n = self.update()
        self.render()
        return n

    def close(self) -> None:
        """Close the window (if any) and run the close callbacks once."""
        if self.closed:
            return
        self.closed = True
        for func in self._on_close:
            func()
        try:
            import matplotlib.pyplot as plt

            if plt.fignum_exists(self.fig.number):  # type: ignore[attr-defined]  # Figure.number exists on pyplot figures only
                plt.close(self.fig)
        except AttributeError:  # a Figure not managed by pyplot
            pass

    # -- data ----------------------------------------------------------------------------------
    @property
    def trace(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(time_s, cop_ml_mm, cop_ap_mm)`` of the current trial's trace, board coordinates."""
        return self._t.copy(), self._x.copy(), self._y.copy()

    @property
    def total_kg(self) -> float:
        """Total load (kg) of the latest sample."""
        return self._total_kg

    def _add_samples(self, batch: list[Any]) -> int:
        a = np.array([(s.t_s, s.tl_kg, s.tr_kg, s.bl_kg, s.br_kg) for s in batch], dtype=np.float64)
        res = cop_from_corners(a[:, 1], a[:, 2], a[:, 3], a[:, 4], geometry=self.geometry,
                               min_total=self.min_total_kg)
        self._t = np.concatenate([self._t, a[:, 0]])[-self._cap:]
        self._x = np.concatenate([self._x, res.cop_ml_mm])[-self._cap:]
        self._y = np.concatenate([self._y, res.cop_ap_mm])[-self._cap:]
        self._total_kg = float(res.total[-1])
        self.now_s = float(a[-1, 0])
        self._max_total_kg = max(self._max_total_kg, float(np.nanmax(res.total)))
        self.samples_seen += len(batch)
        return len(batch)

    def _clear_trace(self) -> None:
        self._t, self._x, self._y = np.empty(0), np.empty(0), np.empty(0)

    def _apply_event(self, ev: events.Event) -> None:
        at = float(ev.at_s)
        if math.isfinite(at):
            self.now_s = at
        if isinstance(ev, (events.Countdown, events.TrialStarted, events.SessionEnded)):
            self.rest_end_s = None
        if isinstance(ev, (events.Countdown, events.TrialStarted, events.RestStarted, events.SessionEnded)):
            self.held_s = None
        if isinstance(ev, events.Instruction):
            self.instruction = str(ev.text)
            self.alert = False
            side = _CUE_SIDE.get(ev.cue or "")
            if side is not None:  # a new stance: start a fresh trace (and any rest is over)
                self.side = side
                self.rest_end_s = None
                self._clear_trace()
        elif isinstance(ev, events.Countdown):
            self.countdown = int(ev.seconds_left)
            self.timer_s = None
        elif isinstance(ev, events.TrialStarted):
            self.side = str(ev.side)
            self.countdown = None
            self.timer_s = 0.0
            d = float(ev.duration_s)
            self.duration_s = d if math.isfinite(d) else None
            self.alert = False
            self._clear_trace()
        elif isinstance(ev, events.Elapsed):
            self.timer_s = float(ev.t_s)
            d = float(ev.duration_s)
            if math.isfinite(d):
                self.duration_s = d
        elif isinstance(ev, events.FailureDetected):
            words = str(ev.kind).replace("_", "-")
            self.instruction = f"{words.capitalize()} detected"
            self.alert = True
        elif isinstance(ev, events.TrialEnded):
            self.timer_s = None  # not "0.0 s left": the trial is over, say how long it was held
            self.held_s = float(ev.result.duration_s)
        elif isinstance(ev, events.RestStarted):
            self.instruction = f"Rest {float(ev.seconds):.0f} s"
            self.rest_end_s = at + float(ev.seconds) if math.isfinite(at) else None
            self.next_side = str(ev.next_side or "")
            self.timer_s = None
            self.countdown = None
            self.alert = False
        elif isinstance(ev, events.SessionEnded):
            self.instruction = "Test finished"
            self.finished = True
            self.alert = False

    # -- drawing -------------------------------------------------------------------------------
    def _build(self, fig: "Figure | None") -> None:
        from matplotlib.patches import Rectangle
        from matplotlib.ticker import MultipleLocator

        from balance.app.plots import plot_board

        if fig is None:
            import matplotlib.pyplot as plt

            with plt.rc_context({"toolbar": "None"}):  # a display for the athlete, not a plot to zoom
                fig = plt.figure(figsize=(13.0, 6.5))
            try:
                fig.canvas.manager.set_window_title("balance: live sway")  # type: ignore[union-attr]  # a pyplot figure always has a manager
            except AttributeError:  # headless canvases have no manager
                pass
        from matplotlib.backend_bases import FigureCanvasBase

        if type(fig.canvas) is FigureCanvasBase:  # a bare Figure(): give it a real (Agg) canvas to draw on
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
        fig.clear()
        self.fig = fig
        gs = fig.add_gridspec(3, 3, width_ratios=[1.75, 1.0, 1.2], height_ratios=[0.15, 1.0, 0.14],
                              left=0.04, right=0.97, top=0.98, bottom=0.06, wspace=0.12, hspace=0.12)
        tax = fig.add_subplot(gs[0, :])
        tax.set_axis_off()
        self._instr_text = tax.text(0.5, 0.5, "", ha="center", va="center", fontsize=40, fontweight="bold")
        self.ax_text = tax
        ax = fig.add_subplot(gs[1, 0])
        plot_board(ax=ax, geometry=self.geometry, linewidth=3.0, color="0.35")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():
            sp.set_visible(False)
        ax.text(-0.01, 0.5, "LEFT", transform=ax.transAxes, fontsize=18, color="0.45", va="center", ha="right",
                rotation=90)
        ax.text(1.01, 0.5, "RIGHT", transform=ax.transAxes, fontsize=18, color="0.45", va="center", ha="left",
                rotation=270)
        ax.text(0.5, 1.0, "front \u2191", transform=ax.transAxes, fontsize=16, color="0.45", va="bottom",
                ha="center")
        (self._old,) = ax.plot([], [], color="0.55", linewidth=1.2, alpha=0.45)
        (self._new,) = ax.plot([], [], color="#0072B2", linewidth=3.0)
        (self._head,) = ax.plot([], [], marker="o", markersize=18, color="#0072B2", markeredgecolor="white",
                                markeredgewidth=2.0, linestyle="none")
        self._old.set_gid("trace-old")
        self._new.set_gid("trace-recent")
        self._head.set_gid("cop-now")
        self.ax_board = ax

        zx = fig.add_subplot(gs[1, 1])
        zx.set_aspect("equal", adjustable="box")
        zx.set_xlim(-self.zoom_mm, self.zoom_mm)
        zx.set_ylim(-self.zoom_mm, self.zoom_mm)
        zx.xaxis.set_major_locator(MultipleLocator(10.0))
        zx.yaxis.set_major_locator(MultipleLocator(10.0))
        zx.tick_params(labelbottom=False, labelleft=False, length=0)
        zx.grid(True, color="0.85", linewidth=0.8)
        zx.set_title("sway, zoomed (grid 10 mm)", fontsize=15, color="0.35")
        (self._zold,) = zx.plot([], [], color="0.55", linewidth=1.2, alpha=0.45)
        (self._znew,) = zx.plot([], [], color="#0072B2", linewidth=3.0)
        (self._zhead,) = zx.plot([], [], marker="o", markersize=16, color="#0072B2", markeredgecolor="white",
                                 markeredgewidth=2.0, linestyle="none")
        self._zold.set_gid("zoom-old")
        self._znew.set_gid("zoom-recent")
        self._zhead.set_gid("zoom-now")
        self.ax_zoom = zx

        info = fig.add_subplot(gs[1, 2])
        info.set_axis_off()
        self._side_text = info.text(0.5, 0.93, "", ha="center", va="top", fontsize=36, fontweight="bold")
        self._timer_text = info.text(0.5, 0.55, "", ha="center", va="center", fontsize=96,
                                     fontweight="bold", family="DejaVu Sans Mono")
        self._timer_sub = info.text(0.5, 0.30, "", ha="center", va="center", fontsize=17, color="0.35")
        self.ax_info = info

        lax = fig.add_subplot(gs[2, :])
        # the bar runs from 0 to _BAR_MAX (x body weight); the label has its own space to the right of it
        lax.set_xlim(0.0, _BAR_MAX + _LABEL_SPACE)
        lax.set_ylim(0.0, 1.0)
        lax.set_yticks([])
        lax.set_xticks([0.0, 0.5, 1.0], ["0", "50 %", "100 % body weight"], fontsize=14)
        lax.axvline(1.0, color="0.3", linewidth=2)
        lax.axvline(_BAR_MAX, color="0.8", linewidth=1)
        self._load_bar = Rectangle((0.0, 0.15), 0.0, 0.7, color="0.4", clip_on=True)
        self._load_bar.set_gid("load-bar")
        lax.add_patch(self._load_bar)
        self._load_text = lax.text(_BAR_MAX + _LABEL_SPACE - 0.01, 0.5, "", ha="right", va="center", fontsize=20,
                                   clip_on=True)  # fmt: skip
        self.ax_load = lax

        self._instr_text.set_gid("instruction")
        self._timer_text.set_gid("timer")
        self._side_text.set_gid("side")
        fig.canvas.mpl_connect("close_event", lambda _evt: self.close())
        self._dynamic = [self._old, self._new, self._head, self._zold, self._znew, self._zhead, self._instr_text,
                         self._side_text, self._timer_text, self._timer_sub, self._load_bar, self._load_text]
        self._background: Any = None
        self.blit = self._want_blit and fig.canvas.supports_blit
        for a in self._dynamic:
            a.set_animated(self.blit)
        fig.canvas.mpl_connect("draw_event", self._on_draw)
        self._refresh_artists()

    def _refresh_artists(self) -> None:
        from balance.app.plots import SIDE_COLORS

        t, x, y = self._t, self._x, self._y
        color = SIDE_COLORS.get(self.side or "", "0.2")
        if t.size:
            cut = int(np.searchsorted(t, t[-1] - self.trail_s, side="left"))
            self._old.set_data(x[: cut + 1], y[: cut + 1])
            self._new.set_data(x[cut:], y[cut:])
            self._head.set_data(x[-1:], y[-1:])
            ok = np.isfinite(x) & np.isfinite(y)
            cx, cy = (float(x[ok].mean()), float(y[ok].mean())) if ok.any() else (0.0, 0.0)
            self.zoom_center_mm = (cx, cy)
            self._zold.set_data(x[: cut + 1] - cx, y[: cut + 1] - cy)
            self._znew.set_data(x[cut:] - cx, y[cut:] - cy)
            self._zhead.set_data(x[-1:] - cx, y[-1:] - cy)
        else:
            for ln in (self._old, self._new, self._head, self._zold, self._znew, self._zhead):
                ln.set_data([], [])
        for ln in (self._new, self._head, self._znew, self._zhead):
            ln.set_color(color)
        self._head.set_markeredgecolor("white")
        self._zhead.set_markeredgecolor("white")

        self._side_text.set_text(_SIDE_WORDS.get(self.side or "", ""))
        self._side_text.set_color(color)
        resting = self.rest_end_s is not None and self.countdown is None
        if resting:
            nxt = _SIDE_WORDS.get(self.next_side, "")
            self._side_text.set_text(f"next: {nxt}" if nxt else "rest")
            self._side_text.set_color(SIDE_COLORS.get(self.next_side, "0.2"))
        if self.countdown is not None:
            self._timer_text.set_text(f"{self.countdown}")
            self._timer_sub.set_text("get ready")
        elif resting:
            left = max(0.0, self.rest_end_s - self.now_s) if math.isfinite(self.now_s) else math.nan
            self._timer_text.set_text(f"{math.ceil(left):.0f}" if math.isfinite(left) else "")
            self._timer_sub.set_text("s rest left")
        elif self.held_s is not None:
            self._timer_text.set_text(f"{self.held_s:4.1f}")
            self._timer_sub.set_text("s held")
        elif self.timer_s is not None:
            if self.duration_s:
                left = max(0.0, self.duration_s - self.timer_s)
                self._timer_text.set_text(f"{left:4.1f}")
                self._timer_sub.set_text(f"s left of {self.duration_s:.0f} s  (held {self.timer_s:.1f} s)")
            else:
                self._timer_text.set_text(f"{self.timer_s:4.1f}")
                self._timer_sub.set_text("s")
        else:
            self._timer_text.set_text("")
            self._timer_sub.set_text("")

        self._instr_text.set_text(self.instruction)
        # as large as fits the width: about 0.6 em per character, 40 pt at most
        width_pt = self.fig.get_figwidth() * 72.0 * 0.94
        self._instr_text.set_fontsize(max(16.0, min(40.0, width_pt / (0.62 * max(len(self.instruction), 1)))))
        self._instr_text.set_color("#C00000" if self.alert else "black")

        full = self.body_mass_kg or max(50.0, self._max_total_kg)
        load = self._total_kg if math.isfinite(self._total_kg) else 0.0
        frac = max(0.0, load) / full
        self._load_bar.set_width(min(frac, _BAR_MAX))
        ok = 0.9 <= frac <= 1.1 if self.body_mass_kg else True
        self._load_bar.set_color("#009E73" if ok else "#E69F00")
        self._load_text.set_text(f"{load:5.1f} kg")


def run_live(
    run: Callable[[], T],
    *,
    view: LiveView,
    stop: Callable[[], None],
    fps: float = 30.0,
    linger_s: float = 1.5,
) -> T:
    """Run ``run()`` in a background thread while ``view`` redraws; return its result.

    With a display the window's timer calls :meth:`LiveView.update` and redraws ``fps`` times
    a second, and :func:`matplotlib.pyplot.show` blocks until the window closes. Without one
    (Agg backend, tests) the same frames are driven by a plain loop in this thread.

    Parameters
    ----------
    run : callable
        The test, e.g. ``engine.run``; it must feed ``view`` (add it as a listener) and return
        when the test ends or after ``stop()``.
    view : LiveView
        The live view, already listening.
    stop : callable
        Asks ``run`` to stop early (e.g. ``engine.stop``); called when the window is closed.
        What was recorded is kept by ``run``.
    fps : float, optional
        Target redraw rate (frames/s), at least 20 (default 30, a margin over the 20 asked for
        when the machine is busy).
    linger_s : float, optional
        Seconds the last frame stays up after the test ends (window only).

    Returns
    -------
    object
        Whatever ``run()`` returned. An exception in ``run`` is re-raised here.
    """
    import time

    if fps < 20:
        raise ValueError(f"fps={fps} is too slow for a live view: use at least 20 frames/s")
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["result"] = run()
        except BaseException as err:  # re-raised in the caller's thread
            out["error"] = err

    view.add_close_callback(stop)
    worker = threading.Thread(target=target, name="balance-test", daemon=True)
    period = 1.0 / fps
    if display_available():
        import matplotlib.pyplot as plt

        timer = view.fig.canvas.new_timer(interval=int(1000 * period))
        done_at: list[float] = []
        interrupted: list[bool] = []

        def on_sigint(_signum: int, _frame: Any) -> None:
            # Ctrl-C while Tk's main loop runs: a KeyboardInterrupt raised inside a Tk callback is
            # printed as a traceback by Tkinter and the loop goes on. Stop the test instead (what
            # was recorded is kept, as when the window is closed); the next tick closes the window.
            interrupted.append(True)
            stop()

        def tick() -> None:
            if interrupted:
                timer.stop()
                plt.close(view.fig)
                return
            t0 = time.monotonic()
            view.update()
            view.render()
            # the GUI re-arms the timer after this callback: keep the period, not the gap, at 1/fps
            timer.interval = max(1, int(1000 * (period - (time.monotonic() - t0))))
            if not worker.is_alive():
                if not done_at:
                    done_at.append(time.monotonic())
                elif time.monotonic() - done_at[0] >= linger_s:
                    timer.stop()
                    plt.close(view.fig)

        timer.add_callback(tick)
        # Hold the window's GUI objects until the worker has ended: once closed they are garbage,
        # and a garbage collection run in the worker thread would call Tk from the wrong thread
        # (Tk then stalls ~20 s and reports "main thread is not in main loop").
        keep_alive: list[Any] = [view.fig.canvas.manager, timer]
        worker.start()
        timer.start()
        old_handler = _install_sigint(on_sigint)
        try:
            plt.show(block=True)  # returns when the window closes
        finally:
            _install_sigint(old_handler)
        timer.stop()
        if worker.is_alive():
            stop()
        worker.join()
        keep_alive.clear()
        import gc

        gc.collect()  # here, in the GUI thread
    else:
        worker.start()
        while worker.is_alive() and not view.closed:
            t0 = time.monotonic()
            view.step()
            rest = period - (time.monotonic() - t0)
            if rest > 0:
                worker.join(rest)
        view.step()  # the last samples and the end of the session
    if worker.is_alive():
        stop()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["result"]


def _install_sigint(handler: Any) -> Any:
    """Install ``handler`` for SIGINT (main thread only); returns the previous one, or None."""
    import signal

    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGINT, handler)
    except (ValueError, OSError):  # pragma: no cover - not the main interpreter
        return None
