"""A new user's first steps (issue 11): no board attached, the simulator at real speed, a guest test
given to an athlete later, the athlete given the same way in every command, help that teaches."""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path

import pytest
from test_app_commands import run_cli

from balance.app.cli import COMMANDS, build_parser, main
from balance.app.store import Store


def _no_hid_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """hidapi installed (PyPI shape) but nothing paired: enumerate() finds no device."""
    for name in ("hid", "hidraw"):
        mod = types.ModuleType(name)
        mod.enumerate = lambda vid=0, pid=0: []  # type: ignore[attr-defined]
        mod.device = object  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, mod)


def test_no_board_says_so_in_two_lines_and_offers_sim(db: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    _no_hid_devices(monkeypatch)
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    code, out, err = run_cli(capsys, "test", "single-leg", "Sam", "--no-live", "--db", str(db))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert "no balance board found" in lines[0] and "balance boards" in lines[0]
    assert all(len(ln) <= 80 for ln in lines)
    assert lines[1].strip() == "to practise without one: balance test single-leg Sam --board sim"
    with Store.open(db) as s:
        assert s.sessions() == []  # nothing half-started
    # --guest: the offered command keeps --guest, and no guest athlete is left behind
    code, _, err = run_cli(capsys, "test", "single-leg", "--guest", "--no-live", "--db", str(db))
    assert code == 1 and "balance test single-leg --guest --board sim" in err
    with Store.open(db) as s:
        assert [a.code for a in s.list_athletes()] == ["A001"]


def _read_board_seconds(board, seconds: float) -> float:  # noqa: ANN001
    first = None
    t0 = time.monotonic()
    try:
        while True:
            s = board.read(1.0)
            if s is None:
                continue
            first = s.t_s if first is None else first
            if s.t_s - first >= seconds:
                break
    finally:
        board.close()
    return time.monotonic() - t0


def test_sim_runs_at_real_speed_by_default_and_fast_on_request() -> None:
    from balance.app.commands.test import open_test_board

    for argv, realtime in ((["test", "single-leg", "Sam", "--board", "sim"], True),
                           (["test", "single-leg", "Sam", "--board", "sim", "--fast"], False)):  # fmt: skip
        args = build_parser().parse_args(argv)
        board = open_test_board(args.board, mass_kg=70.0, realtime=not args.fast, seed=1, ratio=1.0)
        assert board.realtime is realtime
        wall = _read_board_seconds(board, 2.0)
        if realtime:
            # a 2-s trial takes 2 s of wall time (a lower bound: sleeping cannot be faster)
            assert wall >= 1.9, wall


def test_guest_test_then_assign_to_an_existing_and_a_new_athlete(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quick = ("--board", "sim", "--fast", "--no-live", "--trials", "1", "--seconds", "4", "--rest", "0",
             "--db", str(db), "--json")  # fmt: skip
    code, out, err = run_cli(capsys, "test", "single-leg", "--guest", "--seed", "3", *quick)
    assert code == 0, err
    g1 = json.loads(out)
    assert "guest code GUEST-001" not in out  # JSON stays JSON
    code, out, err = run_cli(capsys, "test", "single-leg", "--guest", "--seed", "4", *quick)
    g2 = json.loads(out)
    run_cli(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    code, out, err = run_cli(capsys, "test", "single-leg", "Sam", "--seed", "5", *quick)
    sam_sid = json.loads(out)["session_id"]
    with Store.open(db) as s:
        assert [a.code for a in s.list_athletes()] == ["A003", "GUEST-001", "GUEST-002"]
        guest_raw = [Path(t.raw_path) for t in s.session(g1["session_id"], with_recordings=False).trials]
        # raw folders are keyed by the athlete's database id (raw/athlete_<id>/session_<id>/...)
        guest_dir = s.athlete_raw_dir(s.get_athlete("GUEST-001"))
        assert guest_dir.name.startswith("athlete_")
        assert guest_raw and all(p.is_file() and p.parent.parent == guest_dir.resolve() for p in guest_raw)
        guest2_dir = s.athlete_raw_dir(s.get_athlete("GUEST-002"))
    # merge into the existing athlete Sam
    code, out, err = run_cli(capsys, "athlete", "assign", "GUEST-001", "Sam", "--db", str(db))
    assert code == 0, err
    assert "1 session(s) of GUEST-001 given to Sam (A003)" in out
    with Store.open(db) as s:
        sam = s.get_athlete("Sam")
        assert sorted(x.id for x in s.sessions(sam)) == sorted([sam_sid, g1["session_id"]])
        assert s.find_athlete("GUEST-001") is None
        moved = s.session(g1["session_id"])
        for t, old in zip(moved.trials, guest_raw):
            p = Path(t.raw_path)
            assert p.is_file() and not old.exists() and p.parent.parent == s.athlete_raw_dir(sam).resolve()
            assert t.recording is not None and len(t.recording.time_s) > 0
        assert not guest_dir.exists()
    # a name nobody has: the guest is renamed, its code and raw folder stay
    code, out, err = run_cli(capsys, "athlete", "assign", "GUEST-002", "Alex", "--db", str(db))
    assert code == 0 and "GUEST-002 is now Alex" in out
    code, out, _ = run_cli(capsys, "history", "--athlete", "Alex", "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["measures"]
    with Store.open(db) as s:
        assert s.get_athlete("Alex").code == "GUEST-002"
        assert s.athlete_raw_dir(s.get_athlete("Alex")) == guest2_dir
        g2_raw = [Path(t.raw_path) for t in s.session(g2["session_id"], with_recordings=False).trials]
        assert g2_raw and all(p.is_file() and p.parent.parent == guest2_dir.resolve() for p in g2_raw)


def test_guest_and_athlete_are_exclusive(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "test", "single-leg", "Sam", "--guest", "--board", "sim", "--db", str(db))
    assert code == 2 and "--guest" in err
    code, _, err = run_cli(capsys, "test", "single-leg", "--board", "sim", "--db", str(db))
    assert code == 2 and "which athlete" in err and "--guest" in err


def test_athlete_positional_or_option_everywhere(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    for cmd in (("history",), ("athlete", "show"), ("progress",)):
        a = run_cli(capsys, *cmd, "Sam", "--db", str(db), "--json")
        b = run_cli(capsys, *cmd, "--athlete", "Sam", "--db", str(db), "--json")
        assert a[0] == b[0] and a[0] in (0, 1), (cmd, a)  # progress: 1 = no sessions yet, the same both ways
        assert a[1] == b[1], cmd
    code, _, err = run_cli(capsys, "history", "Sam", "--athlete", "Bob", "--db", str(db))
    assert code == 2 and "two athletes" in err
    code, _, err = run_cli(capsys, "history", "--db", str(db))
    assert code == 2 and "--athlete" in err
    # test and export take it both ways too
    args = build_parser().parse_args(["test", "single-leg", "Sam"])
    assert args.athlete == "Sam"
    out_dir = db.parent / "x"
    code, _, err = run_cli(capsys, "export", "--athlete", "Sam", "--out", str(out_dir), "--db", str(db))
    assert code == 0, err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_subcommand_has_a_description_and_examples() -> None:
    top = _subparsers(build_parser())
    assert set(top) == set(COMMANDS)
    todo = list(top.items())
    while todo:
        name, p = todo.pop()
        assert p.description, f"`balance {name}` has no description"
        assert p.epilog and "examples:" in p.epilog and "balance " in p.epilog, f"`balance {name}` has no examples"
        todo += [(f"{name} {k}", q) for k, q in _subparsers(p).items()]


def test_test_board_lists_its_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["test", "--help"])
    help_text = capsys.readouterr().out
    assert "{wii,evdev,sim}" in help_text
    code, _, err = run_cli(capsys, "test", "single-leg", "Sam", "--board", "wiii")
    assert code == 2 and "invalid choice: 'wiii'" in err


@pytest.mark.parametrize("cmd", [[], ["test"], ["athlete"], ["athlete", "assign"], ["history"], ["export"],
                                 ["report"], ["analyze"]])  # fmt: skip
def test_help_fits_80_columns(cmd: list[str], monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main([*cmd, "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text or not cmd
    wide = [ln for ln in text.splitlines() if len(ln) > 80]
    assert not wide, wide


def test_assign_refuses_a_guest_session_still_being_recorded(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(db) as s:
        guest = s.add_athlete(None, code="GUEST-001")
        s.add_athlete("Sam")
    with Store.open(db) as recording:  # another test, still running: its session is open and locked
        sid = recording.start_session("GUEST-001", protocol="single_leg", source="test")
        folder = recording.athlete_raw_dir(guest) / f"session_{sid:05d}"
        folder.mkdir(parents=True)
        (folder / "trial_001.csv").write_text("t_s\n0.0\n", encoding="utf-8")
        code, _, err = run_cli(capsys, "athlete", "assign", "GUEST-001", "Sam", "--db", str(db))
        assert code != 0 and f"session {sid} of GUEST-001 is still being recorded" in err
        assert (folder / "trial_001.csv").is_file()  # nothing moved
        assert recording.find_athlete("GUEST-001") is not None
        recording.finish_session(sid, status="complete")
    code, out, err = run_cli(capsys, "athlete", "assign", "GUEST-001", "Sam", "--db", str(db))
    assert code == 0, err
    with Store.open(db) as s:
        sam = s.get_athlete("Sam")
        assert [x.id for x in s.sessions(sam)] == [sid]
        assert (s.athlete_raw_dir(sam) / f"session_{sid:05d}" / "trial_001.csv").is_file()
        assert not folder.exists()
