"""The one engine that runs any :class:`~protocols.spec.ProtocolSpec` on any board.

Usage
-----
>>> from drivers.sim import SimulatedBoard                      # doctest: +SKIP
>>> from protocols import Engine, get_protocol, QueueListener    # doctest: +SKIP
>>> with SimulatedBoard(seed=1) as board:                        # doctest: +SKIP
...     engine = Engine(get_protocol("single-leg"), board, athlete="Sam")
...     engine.add_listener(my_console)      # on_event(event), on_sample(sample)
...     session = engine.run()               # or engine.start(); ...; engine.join()

What it does, for each planned trial (``spec.plan()``): says what to do
(:class:`~protocols.events.Instruction`; a board that can obey, the simulated one, also gets
the matching ``board.cue(...)``), waits until the stance is stable for ``start.stable_s``
(:func:`~protocols.detect.stable_stance`), counts down with :class:`~protocols.events.Countdown`
and a :class:`~protocols.events.Beep`, runs the trial with a live
:class:`~protocols.events.Elapsed` timer, watches the failure rules
(:class:`~protocols.detect.LiveDetector`: touch-down, step-off, hop), ends the trial, asks the
retry policy, rests, and alternates sides. Raw samples go to the trial sink *as they
arrive*, before any analysis; the engine then analyses each trial and, at the end, compares
the session (:mod:`protocols.compare`).

Clock: the engine runs on the board's clock (sample timestamps), so the simulated board runs
a 30 s trial in a fraction of a second and a real board in 30 s.

Listeners are called in the engine's thread for every sample and event: a slow listener
(drawing, sound) must hand work to another thread through a
:class:`~protocols.listeners.QueueListener`, or it delays the reading of the board.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from balance import __version__
from balance.cop import cop_from_corners
from balance.errors import BalanceInputError
from balance.model import WII_BALANCE_BOARD, BoardGeometry, SessionRecord, Side, TrialRecord
from balance.recording import Recording
from drivers.base import Board, CueableBoard, Sample
from drivers.errors import BoardDisconnected
from protocols import events as ev
from protocols.analysis import Analyzer, pipeline_analyzer, squat_measures, weight_bearing
from protocols.detect import Failure, LiveDetector, LiveStance, Stance, StanceOnset, squat_reps
from protocols.errors import SessionAborted
from protocols.results import SessionResult, TrialStatus
from protocols.retry import AutoRetry, RetryPolicy
from protocols.sinks import NullSink, TrialSink, TrialWriter
from protocols.spec import PlannedTrial, ProtocolSpec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from protocols.compare import SessionComparison

__all__ = ["Engine", "run_protocol"]

log = logging.getLogger(__name__)

#: Shortest analysed window (s); shorter held parts are kept but not analysed.
MIN_ANALYSIS_S = 2.0
#: A stance that breaks during the countdown this many times counts as not steady (no_stance).
_MAX_COUNTDOWN_RESTARTS = 5


class _Stop(Exception):
    """engine.stop() was called."""


class _Lost(Exception):
    """The board went away (disconnected, ended, silent)."""


class _SinkFailed(Exception):
    """The trial sink raised: samples cannot be saved."""


class _NoStance(Exception):
    """The stance never became stable within the timeout."""


@dataclass
class _TrialState:
    plan: PlannedTrial
    attempt: int
    writer: TrialWriter
    started_at: datetime | None = None
    rows: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    start_s: float = math.nan
    end_s: float = math.nan
    onset: StanceOnset | None = None
    failure: Failure | None = None
    closed: bool = False


class Engine:
    """Runs a protocol on a board and produces a :class:`~protocols.results.SessionResult`.

    Parameters
    ----------
    spec : ProtocolSpec
        What to run (see :mod:`protocols.library`).
    board : drivers.base.Board
        Any board; opened here if it is not open yet (and then closed at the end).
    athlete : str, optional
        The caller's reference to the athlete, copied into the results and the sink metadata.
    sink : TrialSink, optional
        Receives raw samples before any analysis (default: :class:`~protocols.sinks.NullSink`;
        each TrialRecord holds its samples anyway).
    retry : RetryPolicy, optional
        Whether to repeat a failed trial (default: :class:`~protocols.retry.AutoRetry` with
        ``spec.max_retries``). ``spec.max_retries`` caps every policy.
    analyzer : callable, optional
        ``analyzer(recording, **spec.analysis) -> (measures, params)``; default
        ``balance.pipeline.analyze``.
    listeners : iterable, optional
        Objects with ``on_sample(sample)`` and/or ``on_event(event)``.
    confirm : callable, optional
        ``confirm(text)`` is called (and blocks) where a person must say they are ready: after
        the before/after intervention. Without it the engine waits ``spec.intervention_s``.
        Samples are not read while it blocks, and :meth:`stop` takes effect when it returns.
    no_data_timeout_s : float
        Wall-clock seconds without any sample after which the board counts as lost.
    read_timeout_s : float
        Timeout of each ``board.read`` (s); bounds how quickly :meth:`stop` is noticed.
    elapsed_interval_s : float
        Board-time interval of :class:`~protocols.events.Elapsed` events (s).
    check_every : int
        Samples between two runs of the live detectors.
    """

    def __init__(
        self,
        spec: ProtocolSpec,
        board: Board,
        *,
        athlete: str | None = None,
        sink: TrialSink | None = None,
        retry: RetryPolicy | None = None,
        analyzer: Analyzer | None = None,
        listeners: Iterable[Any] = (),
        confirm: Callable[[str], Any] | None = None,
        no_data_timeout_s: float = 5.0,
        read_timeout_s: float = 0.2,
        elapsed_interval_s: float = 0.1,
        check_every: int = 5,
    ) -> None:
        self.spec = spec
        self.board = board
        self.athlete = athlete
        self.sink: TrialSink = sink if sink is not None else NullSink()
        self.retry: RetryPolicy = retry if retry is not None else AutoRetry(spec.max_retries)
        self.analyzer: Analyzer = analyzer if analyzer is not None else pipeline_analyzer
        self.confirm = confirm
        self.no_data_timeout_s = float(no_data_timeout_s)
        self.read_timeout_s = float(read_timeout_s)
        self.elapsed_interval_s = float(elapsed_interval_s)
        self.check_every = int(check_every)
        self._listeners: list[Any] = list(listeners)
        self._stop_evt = threading.Event()
        self._thread: threading.Thread | None = None
        self._result: SessionResult | None = None
        self._error: BaseException | None = None
        self._trial: _TrialState | None = None
        self._now_s = math.nan
        #: Sensor spacing of the board, for the live CoP (read from ``board.info`` when the run starts).
        self.geometry: BoardGeometry = WII_BALANCE_BOARD
        self.body_mass_kg: float | None = None
        #: Listener exceptions caught so far, as ``(listener, exception)``.
        self.listener_errors: list[tuple[Any, BaseException]] = []

    # -- listeners ---------------------------------------------------------------------------
    def add_listener(self, listener: Any) -> None:
        """Tell ``listener`` about every sample (``on_sample``) and event (``on_event``)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Any) -> None:
        """Stop telling ``listener``."""
        self._listeners.remove(listener)

    def _notify(self, method: str, obj: Any) -> None:
        for lst in tuple(self._listeners):
            fn = getattr(lst, method, None)
            if fn is None:
                continue
            try:
                fn(obj)
            except Exception as err:  # a listener must never break the recording
                log.exception("listener %r failed in %s; it is removed", lst, method)
                self.listener_errors.append((lst, err))
                try:
                    self._listeners.remove(lst)
                except ValueError:
                    pass

    def _emit(self, event: Any) -> None:
        self._notify("on_event", event)

    # -- control -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the run to stop; the trial in progress is kept, marked incomplete (thread-safe)."""
        self._stop_evt.set()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_evt.is_set()

    def start(self) -> threading.Thread:
        """Run in a background thread; collect the result with :meth:`join`."""
        if self._thread is not None:
            raise RuntimeError("this engine was already started; create a new Engine for another run")

        def target() -> None:
            try:
                self.run()
            except BaseException as err:  # handed to join()
                self._error = err

        self._thread = threading.Thread(target=target, name=f"protocol-{self.spec.name}", daemon=True)
        self._thread.start()
        return self._thread

    @property
    def started(self) -> bool:
        """True once :meth:`start` was called (a background run exists, running or ended)."""
        return self._thread is not None

    @property
    def running(self) -> bool:
        """True while a background run (:meth:`start`) is going on."""
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout_s: float | None = None) -> SessionResult | None:
        """Wait for a background run; return its result (None if still running after
        ``timeout_s``); re-raise its error (e.g. :class:`~protocols.errors.SessionAborted`)."""
        if self._thread is None:
            raise RuntimeError("the engine was not started; call start() first (or run())")
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            return None
        if self._error is not None:
            raise self._error
        return self._result

    @property
    def result(self) -> SessionResult | None:
        """The session result once the run has ended (also after an abort)."""
        return self._result

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> SessionResult:
        """Run the whole protocol in this thread.

        Returns
        -------
        SessionResult
            ``status`` is ``"complete"``, or ``"stopped"`` after :meth:`stop`.

        A ``KeyboardInterrupt`` (Ctrl-C) during the run ends it like :meth:`stop` (the trial in
        progress kept and marked incomplete, :class:`~protocols.events.SessionEnded` sent,
        :attr:`result` set) and is then re-raised.

        Raises
        ------
        SessionAborted
            The board disappeared (``BoardDisconnected``, the end of a finite source, or no
            samples for ``no_data_timeout_s``), nobody stood on the board, or the sink could
            not save samples. ``err.result`` holds everything recorded until then; the
            trial in progress is kept, marked ``"incomplete"``.
        """
        opened_here = False
        if not self.board.is_open:
            self.board.open()
            opened_here = True
        try:
            info = self.board.info
        except Exception:  # a board that cannot describe itself still records
            info = None
        if info is not None:
            self.geometry = info.geometry
        session = SessionResult(
            spec=self.spec, athlete=self.athlete, started_at=_utcnow(), board=info
        )
        self._result = session
        abort: SessionAborted | None = None
        cause: BaseException | None = None
        interrupted = False
        try:
            self._session_body(session)
        except _Stop:
            session.status = "stopped"
            session.error = "stopped before the end; the trials recorded so far are kept"
        except KeyboardInterrupt:
            # Ctrl-C: end like a stop (everything kept, SessionEnded sent), then re-raise
            interrupted = True
            session.status = "stopped"
            session.error = "interrupted (Ctrl-C); the trials recorded so far are kept"
        except _Lost as err:
            session.status = "disconnected"
            session.error = str(err)
            cause = err.__cause__ or err
            abort = SessionAborted(f"{err}; {len(session.trials)} trial(s) recorded and kept", session)
        except _SinkFailed as err:
            session.status = "error"
            session.error = str(err)
            cause = err.__cause__ or err
            abort = SessionAborted(str(err), session)
        except _NoStance as err:
            session.status = "error"
            session.error = str(err)
            abort = SessionAborted(str(err), session)
        finally:
            if self._trial is not None and not self._trial.closed:
                kind = "stopped" if session.status == "stopped" else (
                    "disconnected" if session.status == "disconnected" else "error"
                )
                tr = self._finish_trial(status="incomplete", failure_kind=kind, best_effort=True)
                session.trials.append(tr)
                self._emit(ev.TrialEnded(tr, at_s=self._now_s))
            if opened_here:
                self.board.close()
        session.ended_at = _utcnow()
        session.body_mass_kg = self.body_mass_kg
        session.comparison = _compare(session)
        session.record = self._record(session)
        self._emit(ev.SessionEnded(session, at_s=self._now_s))
        if interrupted:
            raise KeyboardInterrupt
        if abort is not None:
            if cause is not None:
                raise abort from cause
            raise abort
        return session

    def _record(self, session: SessionResult) -> SessionRecord:
        """The frozen record of the ended run (what the store would reload, without database ids)."""
        info = session.board
        return SessionRecord(
            id=0,
            athlete=session.athlete,
            protocol=self.spec.name,
            started_at=session.started_at.isoformat(),
            finished_at=None if session.ended_at is None else session.ended_at.isoformat(),
            status=session.status,
            source="test",
            board={} if info is None else {
                **{f.name: getattr(info, f.name) for f in dataclasses.fields(info)},  # shallow: handles stay as they are
                "geometry": dataclasses.asdict(info.geometry),
            },
            conditions=self.spec.conditions(),
            spec=self.spec.to_dict(),
            comparison=None if session.comparison is None else session.comparison.to_dict(),
            software_version=__version__,
            notes="",
            trials=list(session.trials),
        )

    def _session_body(self, session: SessionResult) -> None:
        spec = self.spec
        self._step_on_both("Step onto the board and stand still on both feet", after="")
        plan = spec.plan()
        prev_phase = plan[0].phase if plan else None
        for i, p in enumerate(plan):
            if p.phase != prev_phase:
                self._intervention(p.phase)
                prev_phase = p.phase
            retries = 0
            while True:
                tr = self._run_trial(p, attempt=retries + 1)
                session.trials.append(tr)
                self._emit(ev.TrialEnded(tr, at_s=self._now_s))
                retryable = tr.status == "failed" or tr.failure_kind == "no_stance"
                if (
                    retryable
                    and retries < spec.max_retries
                    and self.retry.should_retry(tr, retries_so_far=retries)
                ):
                    retries += 1
                    self._say("Let's try that one again")
                    self._rest(p)
                    continue
                break
            if i < len(plan) - 1:
                self._rest(plan[i + 1])
        self._say("Finished: thank you. You can step off the board", cue="step_off")

    # -- steps -------------------------------------------------------------------------------
    def _say(self, text: str, *, cue: str | None = None) -> None:
        self._emit(ev.Instruction(text, cue=cue, at_s=self._now_s))
        if cue is not None and isinstance(self.board, CueableBoard):
            try:
                self.board.cue(cue)
            except (ValueError, KeyError, NotImplementedError):
                log.debug("board cannot obey cue %r", cue)

    def _rest(self, next_trial: PlannedTrial | None = None) -> None:
        if self.spec.rest_s <= 0:
            return
        nxt = ("", "") if next_trial is None else (next_trial.side, next_trial.condition)
        self._emit(ev.RestStarted(self.spec.rest_s, at_s=self._now_s, next_side=nxt[0], next_condition=nxt[1]))
        self._say(f"Rest for {self.spec.rest_s:g} s, standing on both feet", cue="rest")
        self._read_for(self.spec.rest_s)

    def _intervention(self, phase: str | None) -> None:
        """Between the phases of a before/after protocol: off the board, the intervention,
        back on. Waits for the board to empty first (so a cue to step back on cannot overtake
        the stepping off), then for ``confirm`` or ``spec.intervention_s``."""
        text = self.spec.intervention or f"Next: the {phase} phase"
        self._say(f"Step off the board. {text}", cue="step_off")
        self._wait_empty()
        if self.confirm is not None:
            self.confirm(text)
        else:
            self._read_for(self.spec.intervention_s)
        self._step_on_both("Step back onto the board and stand still on both feet", after=" after the intervention")

    def _step_on_both(self, text: str, *, after: str) -> None:
        """Ask the person onto the board, wait for a still two-footed stance, take their weight.

        Raises ``_NoStance`` naming the timeout (and ``after``, e.g. " after the intervention").
        """
        self._say(text, cue="step_on_both")
        onset = self._wait_stance("both", body_mass_kg=None)
        if onset is None:
            raise _NoStance(
                f"nobody stood still on the board within {self.spec.start.timeout_s:g} s{after}; "
                "step on with both feet and start again"
            )
        self.body_mass_kg = onset.load_kg

    def _wait_empty(self, *, quiet_s: float = 0.5) -> bool:
        """Read until the load stays under the step-off threshold for ``quiet_s`` (True), or
        ``start.timeout_s`` passes (False: the protocol goes on anyway)."""
        bm = self.body_mass_kg or 0.0
        limit = max(self.spec.failure.step_off_load_pct_bw / 100.0 * bm, 5.0)
        s = self._read()
        deadline = s.t_s + self.spec.start.timeout_s
        since: float | None = None
        while s.t_s < deadline:
            if s.total_kg < limit:
                since = s.t_s if since is None else since
                if s.t_s - since >= quiet_s:
                    return True
            else:
                since = None
            s = self._read()
        return False

    def _read_for(self, seconds: float) -> None:
        s = self._read()
        end = s.t_s + seconds
        while s.t_s < end:
            s = self._read()

    def _wait_stance(self, stance: Stance, *, body_mass_kg: float | None) -> StanceOnset | None:
        """Read until the stance is stable; None after ``start.timeout_s`` (board time)."""
        live = LiveStance(
            stance=stance,
            body_mass_kg=body_mass_kg,
            rule=self.spec.start,
            check_every=self.check_every,
        )
        s = self._read()
        deadline = s.t_s + self.spec.start.timeout_s
        while True:
            got = live.update(s.t_s, s.total_kg, _cop_ml(s, self.geometry))
            if got is not None:
                return got
            if s.t_s >= deadline:
                return None
            s = self._read()

    def _run_trial(self, p: PlannedTrial, *, attempt: int) -> TrialRecord:
        spec = self.spec
        meta = {
            "protocol": spec.name,
            "side": p.side,
            "condition": p.condition,
            "trial_index": p.trial_index,
            "attempt": attempt,
            "practice": p.practice,
            "stance": p.stance,
            "eyes": p.eyes,
            "surface": p.surface,
            "phase": p.phase,
            "planned_duration_s": p.duration_s,
            "athlete": self.athlete,
            "board_kind": getattr(self.board, "kind", None),
            "session_started_at": None if self._result is None else self._result.started_at.isoformat(),
        }
        try:
            writer = self.sink.open_trial(meta)
        except Exception as err:
            raise _SinkFailed(f"could not open storage for the trial: {err}; check the disk and try again") from err
        self._trial = st = _TrialState(plan=p, attempt=attempt, writer=writer)
        stance: Stance = _leg(p.side) if p.stance == "single_leg" else "both"
        text, cue = _stance_instruction(p)
        bm = self.body_mass_kg
        restarts = 0
        while True:  # wait for a stable stance and count down; start again if the stance breaks
            onset = None
            if restarts <= _MAX_COUNTDOWN_RESTARTS:
                self._say(text, cue=cue)
                onset = self._wait_stance(stance, body_mass_kg=bm)
            if onset is None:
                self._say("The stance was not steady in time")
                return self._finish_trial(status="incomplete", failure_kind="no_stance")
            st.onset = onset
            self._emit(ev.StanceStable(stance, at_s=self._now_s))
            if self._countdown(onset, stance):
                break
            restarts += 1
            self._say("Hold still until the beep")
        st.start_s = self._now_s
        st.started_at = _utcnow()
        self._emit(ev.Beep("start", at_s=st.start_s))
        self._emit(
            ev.TrialStarted(
                p.side,
                p.trial_index,
                condition=p.condition,
                practice=p.practice,
                attempt=attempt,
                duration_s=p.duration_s,
                at_s=st.start_s,
            )
        )
        if p.stance == "squat":
            self._say(f"Squat {p.reps} times at an even pace", cue="squat")
        else:
            closed = p.eyes == "closed"
            self._say("Hold still" + (", eyes closed" if closed else ""), cue="eyes_closed" if closed else None)
        self._hold(st, stance)
        self._emit(ev.Beep("end", at_s=self._now_s))
        self._say("Done: stand on both feet", cue="step_on_both")
        if st.failure is None:
            return self._finish_trial(status="complete", failure_kind=None)
        return self._finish_trial(status="failed", failure_kind=st.failure.kind)

    def _detector(self, onset: StanceOnset, stance: Stance, *, start_s: float) -> LiveDetector:
        """The failure rules of the spec, watching a stance that became stable at ``onset``."""
        return LiveDetector(
            body_mass_kg=onset.load_kg,
            stance=stance,
            baseline_ml_mm=onset.cop_ml_mm if stance != "both" else None,
            rules=self.spec.failure,
            start_s=start_s,
            check_every=self.check_every,
        )

    def _countdown(self, onset: StanceOnset, stance: Stance) -> bool:
        """Count down; False if the stance broke meanwhile."""
        n = self.spec.start.countdown_s
        if n == 0:
            return True
        det = self._detector(onset, stance, start_s=self._now_s)
        t0 = self._now_s
        for k in range(n, 0, -1):
            self._emit(ev.Countdown(k, at_s=self._now_s))
            end = t0 + (n - k + 1)
            while True:
                s = self._read()
                if det.update(s.t_s, s.total_kg, _cop_ml(s, self.geometry)) is not None:
                    return False
                if s.t_s >= end:
                    break
        return True

    def _hold(self, st: _TrialState, stance: Stance) -> None:
        p = st.plan
        onset = st.onset
        assert onset is not None
        det = self._detector(onset, stance, start_s=st.start_s)
        end = st.start_s + p.duration_s
        next_tick = st.start_s + self.elapsed_interval_s
        squat_check = st.start_s + 1.0
        while True:
            s = self._read()
            t = s.t_s
            found = det.update(t, s.total_kg, _cop_ml(s, self.geometry))
            if found is None and t >= end:
                found = det.finish()
            if found is not None:
                st.failure = found
                t_fail = found.onset_s - st.start_s
                self._emit(ev.FailureDetected(found.kind, t_fail, detail=found.detail, at_s=t))
                self._say(_FAILURE_WORDS.get(found.kind, "Trial stopped"))
                return
            while t >= next_tick:
                self._emit(ev.Elapsed(min(next_tick, end) - st.start_s, duration_s=p.duration_s, at_s=t))
                next_tick += self.elapsed_interval_s
            if t >= end:
                return
            if p.stance == "squat" and p.reps is not None and t >= squat_check:
                squat_check = t + 0.5
                if self._squats_done(st, onset.load_kg, p.reps):
                    return

    def _squats_done(self, st: _TrialState, body_mass_kg: float, reps: int) -> bool:
        rows = np.asarray(st.rows)
        m = rows[:, 0] >= st.start_s
        found = squat_reps(rows[m, 0], rows[m, 1:].sum(axis=1), body_mass_kg=body_mass_kg)
        return len(found) >= reps and rows[-1, 0] - found[reps - 1].bottom_s > 1.5

    # -- the end of a trial ------------------------------------------------------------------
    def _finish_trial(self, *, status: TrialStatus, failure_kind: str | None, best_effort: bool = False) -> TrialRecord:
        """Close the trial's writer, build its result and analyse it.

        ``best_effort`` (the session is already ending on an error): a writer that fails to
        close is logged, not raised, so the trial still reaches the result.
        """
        st = self._trial
        assert st is not None
        st.closed = True
        st.end_s = self._now_s
        try:
            st.writer.close(status)
        except Exception as err:
            if not best_effort:
                self._trial = None
                raise _SinkFailed(f"could not finish saving the trial: {err}; check the disk") from err
            log.warning("the trial sink failed to close an interrupted trial: %s", err)
        p = st.plan
        rows = np.asarray(st.rows, dtype=np.float64).reshape(-1, 5)
        rec = Recording.from_corners(
            rows[:, 0],
            rows[:, 1:5],
            meta={
                "protocol": self.spec.name,
                "side": p.side,
                "condition": p.condition,
                "trial_index": p.trial_index,
                "attempt": st.attempt,
                "board_kind": getattr(self.board, "kind", None),
            },
        )
        started = math.isfinite(st.start_s)
        if st.failure is not None:
            fail_t: float | None = max(0.0, st.failure.onset_s - st.start_s)
        elif status == "incomplete" and started:
            fail_t = max(0.0, st.end_s - st.start_s)
        else:
            fail_t = None
        if status == "complete":
            # squats end when the repetitions are done, other trials at the planned duration
            held = p.duration_s if p.stance != "squat" else min(p.duration_s, st.end_s - st.start_s)
        elif started:
            held = float(fail_t if fail_t is not None else st.end_s - st.start_s)
        else:
            held = 0.0
        tr = TrialRecord(
            protocol=self.spec.name,
            side=Side.of(p.side),
            condition=p.condition,
            trial_index=p.trial_index,
            practice=p.practice,
            valid=False,
            status=status,
            failure_kind=failure_kind,
            failure_time_s=fail_t,
            duration_s=held,
            planned_duration_s=p.duration_s,
            recording=rec,
            attempt=st.attempt,
            eyes=p.eyes,
            surface=p.surface,
            phase=p.phase,
            start_s=st.start_s,
            end_s=st.end_s,
            liftoff_s=st.onset.onset_s if (st.onset is not None and p.stance == "single_leg") else None,
            recorded_at="" if st.started_at is None else st.started_at.isoformat(),
            body_mass_kg=None if st.onset is None else st.onset.load_kg,
            extra={} if st.failure is None else {"failure_detail": st.failure.detail},
        )
        self._trial = None
        if started:
            tr = dataclasses.replace(tr, **self._analyse(tr, st))
        return tr

    def _analyse(self, tr: TrialRecord, st: _TrialState) -> dict[str, Any]:
        """What the analysis adds to the frozen trial ``tr``: the fields to replace in it."""
        p = st.plan
        assert tr.recording is not None and tr.duration_s is not None
        held = tr.duration_s
        measures: dict[str, float] = {"hold_time_s": held}
        out: dict[str, Any] = {"measures": measures}
        hi = st.start_s + held
        if p.stance == "single_leg" and tr.liftoff_s is not None:
            lo = max(st.start_s, tr.liftoff_s + self.spec.trim_s)
        else:
            lo = st.start_s + self.spec.trim_s
        if p.stance == "squat":
            seg = tr.recording.slice_time(st.start_s, st.end_s + 1e-9)
            out["analysis_window_s"] = (st.start_s, st.end_s)
            bm = tr.body_mass_kg or self.body_mass_kg or float("nan")
            try:
                m, reps = squat_measures(seg, body_mass_kg=bm, feet_ml_mm=self.spec.feet_ml_mm)
            except ValueError as err:
                out["analysis_error"] = str(err)
                return out
            measures.update(m)
            out["extra"] = {**tr.extra, "reps": reps}
            out["params"] = {
                "detector": "protocols.detect.squat_reps",
                "body_mass_kg": bm,
                "feet_ml_mm": list(self.spec.feet_ml_mm),
            }
            out["valid"] = tr.status == "complete" and m["rep_count"] >= 1
            if tr.status == "complete" and m["rep_count"] < 1:
                out["analysis_error"] = "no squat repetition was found in the total load"
            return out
        if hi - lo < MIN_ANALYSIS_S:
            out["analysis_error"] = (
                f"only {max(hi - lo, 0.0):.1f} s held after the {self.spec.trim_s:g} s trim; "
                f"at least {MIN_ANALYSIS_S:g} s is needed for sway measures"
            )
            return out
        out["analysis_window_s"] = (lo, hi)
        seg = tr.recording.slice_time(lo, hi + 1e-9)
        try:
            sway, params = self.analyzer(seg, **dict(self.spec.analysis))
        except ValueError as err:  # BalanceInputError and other input problems: data kept
            out["analysis_error"] = str(err) if isinstance(err, BalanceInputError) else f"analysis failed: {err}"
            return out
        measures.update(sway)
        # The analysed span of the trial (s); "window_s" stays the resampler's SWARII window.
        out["params"] = {**params, "analysis_window_s": [lo, hi], "trim_s": self.spec.trim_s}
        if p.stance == "bilateral":
            out["params"]["feet_ml_mm"] = list(self.spec.feet_ml_mm)
            measures.update(weight_bearing(seg, feet_ml_mm=self.spec.feet_ml_mm))
        out["valid"] = tr.status == "complete"
        return out

    # -- reading -----------------------------------------------------------------------------
    def _read(self) -> Sample:
        """Next sample: to the listeners, the sink and the trial buffer, in that order."""
        last_data = time.monotonic()
        while True:
            if self._stop_evt.is_set():
                raise _Stop()
            try:
                s = self.board.read(self.read_timeout_s)
            except BoardDisconnected as err:
                raise _Lost(f"the board disconnected: {err}") from err
            except EOFError as err:
                raise _Lost("the board's recording ended before the protocol did") from err
            if s is not None:
                break
            if time.monotonic() - last_data > self.no_data_timeout_s:
                raise _Lost(
                    f"no samples from the board for {self.no_data_timeout_s:g} s; "
                    "check that it is switched on and connected"
                )
        self._now_s = s.t_s
        st = self._trial
        if st is not None and not st.closed:
            try:
                st.writer.write(s)
            except Exception as err:
                raise _SinkFailed(f"could not save samples: {err}; free disk space and run the trial again") from err
            st.rows.append((s.t_s, s.tl_kg, s.tr_kg, s.bl_kg, s.br_kg))
        self._notify("on_sample", s)
        return s


_FAILURE_WORDS = {
    "touch_down": "Touch-down detected",
    "step_off": "Step-off detected",
    "hop": "Hop detected",
}

_SIDE_WORDS = {"left": ("LEFT", "right"), "right": ("RIGHT", "left")}


def _stance_instruction(p: PlannedTrial) -> tuple[str, str]:
    eyes = "" if p.eyes == "open" else " (eyes will be closed)"
    if p.stance == "single_leg":
        leg, free = _SIDE_WORDS[p.side]
        return f"Stand on your {leg} leg: lift your {free} foot{eyes}", f"stand_{p.side}"
    if p.stance == "squat":
        return "Stand on both feet, hip-width apart, ready to squat", "step_on_both"
    return f"Stand still on both feet, arms by your sides{eyes}", "step_on_both"


def _leg(side: str) -> Stance:
    """A planned side as the detectors' stance word."""
    leg = Side.of(side)
    return "left" if leg is Side.LEFT else "right" if leg is Side.RIGHT else "both"


def _cop_ml(s: Sample, geometry: BoardGeometry) -> float:
    """CoP ML (mm) of one sample on the board's geometry (NaN under 1 kg): :func:`balance.cop.cop_from_corners`."""
    return float(cop_from_corners(s.tl_kg, s.tr_kg, s.bl_kg, s.br_kg, geometry=geometry).cop_ml_mm)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _compare(session: SessionResult) -> SessionComparison | None:
    from protocols.compare import compare_session

    return compare_session(session)


def run_protocol(spec: ProtocolSpec, board: Board, **kwargs: Any) -> SessionResult:
    """``Engine(spec, board, **kwargs).run()``."""
    return Engine(spec, board, **kwargs).run()
