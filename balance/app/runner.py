"""Run a protocol on a board and save it as it happens: the glue behind ``balance test`` and ``balance demo``.

Order of safety: every sample goes to the trial's raw file (:class:`~balance.app.sink.RawFileSink`)
as it arrives; when a trial ends it is committed to the history database in one transaction
(:meth:`~balance.app.store.Store.add_trial`); when the session ends it gets its status and
comparison. A crash loses at most the trial in progress (and even then its raw file stays).
If a trial cannot be saved (full disk), the run stops at once and says where the raw files are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.sink import RawFileSink
    from balance.app.store import Athlete, Store
    from drivers.base import Board
    from protocols.engine import Engine
    from protocols.events import Event
    from protocols.results import SessionResult
    from protocols.retry import RetryPolicy
    from protocols.spec import ProtocolSpec

__all__ = ["RunOutcome", "StoreRecorder", "run_session"]


@dataclass
class RunOutcome:
    """What :func:`run_session` did.

    Attributes
    ----------
    session_id : int
    result : protocols.results.SessionResult or None
        What the engine produced (None if it could not start).
    trial_ids : list of int
        Trials committed to the database, in order.
    raw_dir : Path
        Folder of this session's raw recording files.
    error : str or None
        Why the session did not complete (board lost, disk full, stopped), in plain words.
    status : str
        ``complete`` or ``incomplete`` (as stored).
    discarded : bool
        Stopped with Ctrl-C before any trial was saved: the empty session was deleted, not kept.
    """

    session_id: int
    result: SessionResult | None
    trial_ids: list[int] = field(default_factory=list)
    raw_dir: Path | None = None
    error: str | None = None
    status: str = "complete"
    discarded: bool = False


class StoreRecorder:
    """Engine listener committing each trial to the store as soon as it ends.

    If a save fails it keeps the error and calls ``on_failure`` (the runner stops the engine).
    """

    def __init__(
        self,
        store: Store,
        session_id: int,
        sink: RawFileSink,
        *,
        on_failure: Callable[[], None] | None = None,
        clock_offset: timedelta | None = None,
    ) -> None:
        self.store = store
        self.clock_offset = clock_offset
        self.session_id = session_id
        self.sink = sink
        self.on_failure = on_failure
        self.trial_ids: list[int] = []
        self.error: BaseException | None = None

    def on_event(self, event: Event) -> None:
        from protocols.events import TrialEnded

        if not isinstance(event, TrialEnded) or self.error is not None:
            return
        trial = event.result
        when: datetime | None = datetime.fromisoformat(trial.recorded_at) if trial.recorded_at else None
        if when is not None and self.clock_offset is not None:
            when = when + self.clock_offset  # a back-dated session (balance demo)
        try:
            self.trial_ids.append(
                self.store.add_trial(self.session_id, trial, raw_path=self.sink.path_for(trial), recorded_at=when)
            )
        except Exception as err:  # noqa: BLE001 - reported after the run; the raw file keeps the data
            self.error = err
            if self.on_failure is not None:
                self.on_failure()


def run_session(
    store: Store,
    athlete: Athlete,
    spec: ProtocolSpec,
    board: Board,
    *,
    listeners: Iterable[object] = (),
    retry: RetryPolicy | None = None,
    source: str = "test",
    live: bool = False,
    started_at: datetime | str | None = None,
    confirm: Callable[[str], object] | None = None,
    on_start: Callable[[int, Engine], object] | None = None,
) -> RunOutcome:
    """Run ``spec`` on the open ``board`` for ``athlete``, saving every trial as it ends.

    Parameters
    ----------
    store : Store
    athlete : Athlete
    spec : protocols.spec.ProtocolSpec
    board : drivers.base.Board
        Open board.
    listeners : iterable
        More engine listeners (``on_event``/``on_sample``, e.g. the console UI).
    retry : RetryPolicy, optional
    source : str
        ``test`` or ``demo``.
    live : bool
        Show :mod:`balance.app.live` (the caller checked that a display exists).
    started_at : optional
        Wall-clock start to record (default now).
    confirm : callable, optional
        Passed to the engine (before/after: "ready after the intervention?").
    on_start : callable, optional
        ``on_start(session_id, engine)`` once the session record exists, before the engine starts
        (the web app's live page: its Stop button calls ``engine.stop()``, its link names the session).

    Returns
    -------
    RunOutcome
        Never raises for a lost board, a stop or a failed save: ``error`` says what happened.
    """
    from balance.app.jsonable import to_jsonable
    from balance.app.sink import RawFileSink
    from protocols.engine import Engine
    from protocols.errors import SessionAborted

    try:
        info = board.info
        board_d = to_jsonable(info)
    except Exception:  # noqa: BLE001 - a board that cannot describe itself still records
        board_d = {"kind": getattr(board, "kind", "unknown")}
    sid = store.start_session(
        athlete, protocol=spec.name, board=board_d, conditions=spec.conditions(), spec=spec.to_dict(), source=source,
        started_at=started_at,
    )  # fmt: skip
    raw_dir = store.athlete_raw_dir(athlete) / f"session_{sid:05d}"
    sink = RawFileSink(
        raw_dir,
        header={"athlete_code": athlete.code, "session_id": sid, "protocol": spec.name, "board": board_d,
                "calibration": board_d.get("calibration", {}) if isinstance(board_d, dict) else {}},
    )  # fmt: skip
    engine: Engine | None = None

    def stop() -> None:
        if engine is not None:
            engine.stop()

    offset = None
    if started_at is not None:
        stored_start = datetime.fromisoformat(store.session(sid, with_recordings=False).started_at)
        offset = stored_start - datetime.now(timezone.utc)
    recorder = StoreRecorder(store, sid, sink, on_failure=stop, clock_offset=offset)
    engine = Engine(spec, board, athlete=athlete.code, sink=sink, retry=retry, listeners=[recorder, *listeners],
                    confirm=confirm)  # fmt: skip
    result = None
    error: str | None = None
    interrupted = False
    try:
        if on_start is not None:
            on_start(sid, engine)
        if live:
            from balance.app.live import LiveView, run_live

            view = LiveView(body_mass_kg=athlete.mass_kg)
            engine.add_listener(view)
            result = run_live(engine.run, view=view, stop=engine.stop)
        else:
            try:
                engine.start()  # Ctrl-C can land while the thread starts, too
                while True:
                    result = engine.join(0.2)
                    if result is not None or not engine.running:
                        break
            except KeyboardInterrupt:
                interrupted = True
                engine.stop()
                result = engine.join() if engine.started else None
                error = "stopped with Ctrl-C; the trials recorded so far are saved"
    except SessionAborted as err:
        result = err.result
        error = str(err)
    except BaseException:
        sink.close_all("incomplete")
        store.finish_session(sid, status="incomplete")
        raise
    finally:
        sink.close_all("incomplete")
    if result is None:
        result = engine.result
    if recorder.error is not None:
        error = (
            f"{recorder.error} — the test was stopped; the raw samples of every trial are in {raw_dir}"
        )
    elif error is None and result is not None and result.status != "complete":
        error = result.error or f"session {result.status}"
    if interrupted and not recorder.trial_ids and recorder.error is None:
        # Ctrl-C before the first trial ended: nothing was recorded, so leave no empty session behind
        try:
            if store.discard_empty_session(sid):
                with contextlib.suppress(OSError):
                    raw_dir.rmdir()  # only when empty
                return RunOutcome(session_id=sid, result=result, raw_dir=raw_dir, status="discarded",
                                  error="stopped with Ctrl-C before the first trial: nothing was saved",
                                  discarded=True)  # fmt: skip
        except Exception:  # noqa: BLE001 - then it is closed as incomplete below, as before
            pass
    comparison = result.comparison if result is not None else None
    status = "complete" if error is None else "incomplete"
    try:
        # stored with its rules_version: every view reads this one (protocols.sides)
        store.finish_session(sid, status=status, comparison=None if comparison is None else comparison.to_dict())
    except Exception as err:  # noqa: BLE001 - the trials are committed already
        error = (error + "; " if error else "") + f"could not close the session record: {err}"
    return RunOutcome(session_id=sid, result=result, trial_ids=list(recorder.trial_ids), raw_dir=raw_dir,
                      error=error, status=status)  # fmt: skip

