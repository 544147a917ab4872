"""The console face of `balance test` in an 80-column terminal (issue 11, point 5)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from balance.app.cli import main
from balance.app.console import ConsoleUI
from balance.app.store import Store
from protocols import events as ev


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BALANCE_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "80")  # shutil.get_terminal_size reads it first
    return tmp_path / "h.db"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_test_output_fits_80_columns_and_says_where_we_are(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    code, out, err = _run(capsys, "test", "single-leg", "Sam", "--board", "sim", "--fast", "--no-live", "--seed", "2",
                          "--sim-ratio", "1.5", "--db", str(db))  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    too_wide = [ln for ln in lines if len(ln.replace(str(db), "FILE")) > 80]  # a file path is as long as it is
    assert not too_wide, too_wide
    # where we are: trial k of 6 with the planned time left in the session, falling
    starts = [ln for ln in lines if ln.startswith("-- Trial")]
    assert [re.search(r"Trial (\d) of 6", ln).group(1) for ln in starts] == list("123456")  # type: ignore[union-attr]
    left = [re.search(r"about (\d+) min (\d+) s left", ln) for ln in starts[:-2]]
    secs = [int(m.group(1)) * 60 + int(m.group(2)) for m in left if m]
    assert len(secs) == 4 and secs == sorted(secs, reverse=True)
    # default single-leg: 30 s trials, 10 s rest, 2 s steady stance + 3 s countdown before each trial
    assert secs[0] - secs[1] == 30 + 10 + 2 + 3
    # the trial timer counts down (like the live window)
    first = lines.index(starts[0])
    timer = [ln.strip() for ln in lines[first:first + 6] if "left of 30 s" in ln]
    assert timer == ["30 s left of 30 s", "20 s left of 30 s", "10 s left of 30 s"]
    # the rest counts down and names the next leg
    assert "   rest 10 s, then RIGHT leg" in lines and "   rest: 5 s left, then RIGHT leg" in lines
    assert "   rest 10 s, then LEFT leg" in lines
    # after the table: headline and flags only; the definitions with --verbose
    tail = out[out.index("beyond noise?"):]
    assert "R vs L is the symmetry index" not in tail and "add --verbose" in tail
    code, out_v, _ = _run(capsys, "test", "single-leg", "Sam", "--board", "sim", "--fast", "--no-live", "--seed", "2",
                          "--sim-ratio", "1.5", "--db", str(db), "--verbose")  # fmt: skip
    assert code == 0 and "R vs L is the symmetry index" in out_v
    assert all(len(ln.replace(str(db), "FILE")) <= 80 for ln in out_v.splitlines())
    assert len(out_v.splitlines()) > len(lines)


def test_live_timer_counts_down_in_place() -> None:
    buf = io.StringIO()
    ui = ConsoleUI(buf, live_timer=True)
    ui.on_event(ev.Elapsed(12.0, duration_s=30.0, at_s=112.0))
    assert "18.0 s left of 30 s" in buf.getvalue() and "\r" in buf.getvalue()
    ui.on_event(ev.RestStarted(10.0, at_s=200.0, next_side="left"))
    for t in (200.5, 201.2, 203.9):
        ui.on_sample(type("S", (), {"t_s": t})())
    assert "rest:   7 s left, then LEFT leg" in buf.getvalue()


def test_ctrl_c_before_the_first_trial_leaves_no_empty_session(db: Path) -> None:
    import _thread

    from balance.app.runner import run_session
    from drivers.sim import SimulatedBoard
    from protocols.library import get_protocol

    class CtrlC:
        def __init__(self) -> None:
            self.sent = False

        def on_event(self, e: object) -> None:
            if isinstance(e, ev.Instruction) and not self.sent:
                self.sent = True
                _thread.interrupt_main()  # what Ctrl-C does to the console's main thread

    with Store.open(db) as store:
        sam = store.add_athlete("Sam", mass_kg=70.0)
        board = SimulatedBoard(seed=1, realtime=True)  # slow enough for the interrupt to land first
        board.open()
        try:
            out = run_session(store, sam, get_protocol("single-leg"), board, listeners=[CtrlC()])
        finally:
            board.close()
        assert out.discarded and out.trial_ids == []
        assert store.sessions() == []
        assert not out.raw_dir.exists()


def test_history_rows_have_local_time_and_session_and_fit(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime

    _run(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    for seed in ("3", "4"):  # two sessions on the same day
        code, _, err = _run(capsys, "test", "single-leg", "Sam", "--board", "sim", "--fast", "--no-live", "--seed", seed,
                            "--trials", "2", "--seconds", "10", "--rest", "0", "--db", str(db))  # fmt: skip
        assert code == 0, err
    code, out, _ = _run(capsys, "history", "Sam", "--db", str(db))
    assert code == 0
    assert all(len(ln) <= 80 for ln in out.splitlines()), out
    with Store.open(db) as s:
        sessions = s.sessions(s.get_athlete("Sam"))
    for sess in sessions:
        local = datetime.fromisoformat(sess.started_at).astimezone()
        rows = [ln for ln in out.splitlines() if ln.startswith(f"{local:%Y-%m-%d %H:%M}")]
        row = next(ln for ln in rows if ln.split()[2] == str(sess.id))  # the session id beside the date and time
        si = re.search(r"([+-]\d+\.\d) %", row)
        assert si is not None  # the symmetry index to 0.1 %, as in the sentences under the table
