"""LiveHub: runs ``balance test``'s run_session in a worker thread and streams numbered frames.

The simulated board runs in fast mode (board time, no sleeping); a subclass counts every sample it
hands out, so the stored trials are checked against the board itself, not against the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from live_helpers import Boards

from balance.app.store import Store
from balance.app.web.live import BoardBusy, LiveError, LiveHub, NotAllowed, TestRequest


@pytest.fixture
def open_store(db: Path) -> Any:
    with Store.open(db) as s:
        s.add_athlete("Sam Lee", code="SAM", mass_kg=72.0)

    @contextlib.contextmanager
    def opener() -> Iterator[Store]:
        with Store.open(db) as store:
            yield store

    return opener


def _frames(run: Any) -> list[dict[str, Any]]:
    frames = list(run._history)  # one C-level copy under the GIL: the worker cannot append mid-way
    return [json.loads(f.text) for f in frames]


def _wait_for_event(run: Any, kind: str) -> None:
    """Wait (board time runs fast) until one of the run's frames carries an event of ``kind``."""
    for _ in range(3000):
        if any(e["kind"] == kind for f in _frames(run) for e in f["events"]):
            return
        run.join(0.01)
    raise AssertionError(f"no {kind} event")


SHORT = {"trials": 1, "seconds": 8.0, "rest_s": 1.0}


def test_a_test_runs_to_the_end_and_every_board_sample_of_each_trial_is_stored(open_store: Any, db: Path) -> None:
    boards = Boards()
    with LiveHub(open_store, realtime=False, open_board=boards) as hub:
        run = hub.start(TestRequest("single-leg", athlete="SAM", **SHORT))
        assert run.join(120)
        assert run.state["phase"] == "done", run.error
        frames = _frames(run)
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(1, len(seqs) + 1))
    kinds = [e["kind"] for f in frames for e in f["events"]]
    for k in ("instruction", "countdown", "trial_started", "trial_ended", "rest", "session_ended", "done"):
        assert k in kinds
    sides = [e["side"] for f in frames for e in f["events"] if e["kind"] == "trial_started"]
    assert sorted(sides) == ["left", "right"]
    # 1 trial per leg planned: the page counts them as the console does
    labels = [f["state"]["trial"] for f in frames if any(e["kind"] == "trial_started" for e in f["events"])]
    assert labels == ["trial 1 of 2", "trial 2 of 2"]
    done = frames[-1]["events"][-1]
    sid = done["session_id"]
    assert isinstance(sid, int) and done["error"] is None
    board = boards.opened[0]
    assert not board.is_open  # closed by the hub
    times = np.asarray(board.times)
    assert run.samples_seen == times.size  # every sample the board produced reached the listener
    with Store.open(db) as store:
        session = store.session(sid)
        assert session.status == "complete" and len(session.trials) == 2
        for t in session.trials:
            stored = np.asarray(t.recording.time_s)
            # the stored trial is exactly the board's samples over its span: none lost, none doubled
            lo, hi = np.searchsorted(times, [stored[0], stored[-1]], side="left")
            np.testing.assert_array_equal(stored, times[lo : hi + 1])
            assert t.n_samples == stored.size
    # the result is the stored session's left/right table in the console's words
    result = done["result"]
    assert result["rows"] and result["rows"][0]["measure"] == "mean_velocity_ml_mm_s"
    assert result["headline"].startswith(("Left leg", "Right leg", "Left and right"))


def test_frames_carry_cop_from_the_corners_and_the_board_time(open_store: Any) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        run = hub.start(TestRequest("single-leg", athlete="SAM", **SHORT))
        run.join(120)
        frames = _frames(run)
    pts = [p for f in frames for p in f["samples"]]
    assert pts
    t = [p[0] for p in pts]
    assert t == sorted(t)  # board time only goes forward
    loaded = [p for p in pts if p[3] is not None and p[3] > 20]
    assert loaded
    # a person stands on the board: CoP within the sensor rectangle (433 x 238 mm), load near 72 kg
    assert all(abs(p[1]) <= 216.5 and abs(p[2]) <= 119 for p in loaded if p[1] is not None)
    assert max(p[3] for p in loaded) == pytest.approx(72.0, rel=0.3)
    assert all(len(f["samples"]) <= 16 for f in frames)
    # each frame says when its oldest and newest samples left the driver (for the page's latency)
    walls = [(f["first_wall_ms"], f["sample_wall_ms"]) for f in frames if f["samples"]]
    assert walls and all(a <= b for a, b in walls)
    assert all(f["sample_wall_ms"] is None for f in frames if not f["samples"])


def test_a_second_start_on_a_busy_board_is_refused_and_stop_keeps_what_was_recorded(open_store: Any, db: Path) -> None:
    gate = threading.Event()
    gate.set()
    boards = Boards(gate)
    with LiveHub(open_store, realtime=False, open_board=boards) as hub:
        run = hub.start(TestRequest("single-leg", athlete="SAM", trials=3, seconds=20.0, rest_s=1.0))
        _wait_for_event(run, "trial_ended")  # let the first trial end, then hold the board while we check and stop
        gate.clear()
        with pytest.raises(BoardBusy, match="already running on the sim board"):
            hub.start(TestRequest("bilateral", guest=True))
        with pytest.raises(NotAllowed):
            hub.stop("sim", token="someone else")
        hub.stop("sim", token=run.control_token)
        gate.set()
        assert run.join(60)
        assert run.state["phase"] == "done"
        sid = run.state["session_id"]
    with Store.open(db) as store:
        session = store.session(sid)
        assert session.status == "incomplete"
        assert len(session.trials) >= 1 and session.trials[0].status == "complete"


def test_stop_before_the_first_trial_leaves_no_empty_session(open_store: Any, db: Path) -> None:
    gate = threading.Event()
    with LiveHub(open_store, realtime=False, open_board=Boards(gate)) as hub:
        run = hub.start(TestRequest("single-leg", guest=True, **SHORT))
        for _ in range(500):
            if run.engine is not None:
                break
            run.join(0.01)
        hub.stop("sim")
        gate.set()
        assert run.join(60)
        assert run.state["phase"] == "error" and "nothing was saved" in run.state["error"]
    with Store.open(db) as store:
        assert store.sessions() == []  # as Ctrl-C in `balance test`: nothing recorded, nothing kept


def test_a_guest_test_saves_under_a_new_guest_code_and_retry_keeps_it(open_store: Any, db: Path) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        run = hub.start(TestRequest("bilateral", guest=True, trials=1, seconds=6.0, rest_s=0.0))
        assert run.join(120)
        assert run.athlete_code == "GUEST-001"
        again = hub.retry("sim", token=run.control_token, timeout_s=60)
        assert again is not run and again.request.athlete == "GUEST-001" and not again.request.guest
        assert again.join(120)
        assert again.state["phase"] == "done"
    with Store.open(db) as store:
        codes = sorted(a.code for a in store.list_athletes())
        assert codes == ["GUEST-001", "SAM"]  # the retry did not make a second guest


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (TestRequest("handstand", athlete="SAM"), "unknown protocol"),
        (TestRequest("single-leg", board="forceplate", athlete="SAM"), "unknown board"),
        (TestRequest("single-leg"), "which athlete"),
        (TestRequest("single-leg", athlete="SAM", guest=True), "guest"),
        (TestRequest("single-leg", athlete="SAM", trials=0), "trial"),
    ],
)
def test_bad_requests_are_refused_before_anything_starts(open_store: Any, request_: TestRequest, words: str) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        with pytest.raises(LiveError, match=words):
            hub.start(request_)
        assert hub.run_for("sim") is None


def test_an_unknown_athlete_ends_the_run_with_the_stores_message(open_store: Any) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        run = hub.start(TestRequest("single-leg", athlete="Nobody", **SHORT))
        assert run.join(60)
        assert run.state["phase"] == "error" and "Nobody" in run.state["error"]


def test_before_after_waits_for_ready_then_runs_the_second_phase(open_store: Any) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        run = hub.start(TestRequest("before-after", athlete="SAM", trials=1, seconds=6.0, rest_s=0.0))
        for _ in range(3000):
            if run.state.get("confirm"):
                break
            run.join(0.01)
        assert run.state["confirm"], "the test should wait for the person to be ready"
        assert run.state["phase"] == "waiting"
        with pytest.raises(NotAllowed):
            hub.confirm("sim", token="not the controller")
        hub.confirm("sim", token=run.control_token)
        assert run.join(120)
        assert run.state["phase"] == "done", run.error
        kinds = [e["kind"] for f in _frames(run) for e in f["events"]]
        assert kinds.index("confirm") < kinds.index("confirmed") < kinds.index("done")
        conditions = {e["condition"] for f in _frames(run) for e in f["events"] if e["kind"] == "trial_started"}
        assert any(c.startswith("before") for c in conditions) and any(c.startswith("after") for c in conditions)


def test_close_stops_a_running_test_joins_its_thread_and_keeps_the_trials(open_store: Any, db: Path) -> None:
    gate = threading.Event()
    gate.set()
    hub = LiveHub(open_store, realtime=False, open_board=Boards(gate))
    run = hub.start(TestRequest("single-leg", athlete="SAM", trials=3, seconds=20.0, rest_s=1.0))
    _wait_for_event(run, "trial_ended")
    gate.clear()  # the board holds the test after its first trial: close() must stop it, not wait for the end
    opener = threading.Timer(0.2, gate.set)
    opener.start()
    try:
        hub.close()
    finally:
        opener.join()
    assert run.thread is not None and not run.thread.is_alive()
    with pytest.raises(LiveError, match="shutting down"):
        hub.start(TestRequest("single-leg", athlete="SAM"))
    sid = run.state["session_id"]
    with Store.open(db) as store:
        session = store.session(sid, with_recordings=False)
        assert session.status == "incomplete" and 1 <= len(session.trials) < 6
        assert session.trials[0].status == "complete"


def test_viewers_get_frames_in_order_and_rejoin_from_a_sequence_number(open_store: Any) -> None:
    async def scenario() -> tuple[list[int], list[int], list[int], int, int]:
        hub = LiveHub(open_store, realtime=False, open_board=Boards())
        try:
            run = hub.start(TestRequest("single-leg", athlete="SAM", **SHORT))
            first = hub.subscribe("sim")
            seen: list[int] = []

            async def read_until_done(v: Any, out: list[int]) -> None:
                async for f in v.frames():
                    out.append(f.seq)
                    if '"kind":"done"' in f.text:
                        return

            await asyncio.wait_for(read_until_done(first, seen), 120)
            first.close()
            middle = seen[len(seen) // 2]
            again = hub.subscribe("sim", run_id=run.id, from_seq=middle)
            rest: list[int] = []
            await asyncio.wait_for(read_until_done(again, rest), 10)
            again.close()
            other = hub.subscribe("sim", run_id="an old run", from_seq=middle)
            everything: list[int] = []
            await asyncio.wait_for(read_until_done(other, everything), 10)
            other.close()
            return seen, rest, everything, middle, run._trail_seq
        finally:
            await hub.aclose()

    seen, rest, everything, middle, trail = asyncio.run(scenario())
    assert seen == list(range(1, len(seen) + 1))
    assert rest == list(range(middle + 1, len(seen) + 1))
    # a new page (another run's numbers mean nothing here) gets the current trail onwards: the last trial
    assert 1 < trail < len(seen)
    assert everything == list(range(trail, len(seen) + 1))


def test_a_slow_viewer_drops_frames_for_itself_only(open_store: Any, db: Path) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        hub = LiveHub(open_store, realtime=False, open_board=Boards(), viewer_queue=4)
        try:
            run = hub.start(TestRequest("single-leg", athlete="SAM", **SHORT))
            slow = hub.subscribe("sim")  # never read while the test runs
            while run.thread is not None and run.thread.is_alive():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0)
            got = []
            async for f in slow.frames():
                got.append(f.seq)
                if '"kind":"done"' in f.text:
                    break
            slow.close()
            return run, slow, got
        finally:
            await hub.aclose()

    run, slow, got = asyncio.run(scenario())
    assert slow.dropped > 0
    assert run.state["phase"] == "done"
    # the gaps are filled from the history: in order, no duplicates, ending with the last frame
    assert got == sorted(set(got)) and got[-1] == run.seq
    with Store.open(db) as store:
        assert store.session(run.state["session_id"], with_recordings=False).status == "complete"


def _recordings_reachable_from(root: object) -> list[str]:
    """The path (types from ``root``) to every :class:`~balance.recording.Recording` reachable from ``root``
    through containers and instances (not through modules, classes or functions, which reach everything)."""
    import gc
    import types

    from balance.recording import Recording

    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.CodeType,
            types.FrameType)  # fmt: skip
    seen: set[int] = set()
    todo: list[tuple[object, tuple[str, ...]]] = [(root, ())]
    found: list[str] = []
    while todo:
        obj, path = todo.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, Recording):
            found.append(" <- ".join(path))
            continue
        todo.extend((o, (*path, type(obj).__name__)) for o in gc.get_referents(obj))
    return found


def test_a_finished_test_leaves_no_samples_in_the_servers_memory(open_store: Any) -> None:
    with LiveHub(open_store, realtime=False, open_board=Boards()) as hub:
        run = hub.start(TestRequest("single-leg", athlete="SAM", **SHORT))
        assert run.join(120)
        assert run.state["phase"] == "done", run.error
        assert run.outcome is not None and run.outcome.trial_ids  # what the page needs stays
        assert _recordings_reachable_from(hub) == []  # the samples are in the store, not held by the server
