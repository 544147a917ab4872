"""The coach's commands end to end through ``main(argv)``: athlete, test, history, export, import; bad input."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from balance.app import migrations
from balance.app.cli import main
from balance.app.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands_in_subprocess() -> None:
    r = subprocess.run([sys.executable, "-m", "balance.app", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0
    for name in ("demo", "athlete", "test", "history", "export", "import"):
        assert name in r.stdout
    for name in ("athlete", "test", "history", "export", "import", "demo"):
        r = subprocess.run([sys.executable, "-m", "balance.app", name, "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60)  # fmt: skip
        assert r.returncode == 0 and "examples:" in r.stdout, name


def test_athlete_commands(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "athlete", "add", "Sam", "--born", "1998", "--mass-kg", "72", "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["code"] == "A001"
    assert run_cli(capsys, "athlete", "add", "--code", "P07", "--db", str(db))[0] == 0
    code, out, _ = run_cli(capsys, "athlete", "list", "--db", str(db), "--json")
    assert [a["code"] for a in json.loads(out)] == ["A001", "P07"]
    code, out, err = run_cli(capsys, "athlete", "add", "sam", "--db", str(db))
    assert code == 1 and "already exists" in err
    code, _, err = run_cli(capsys, "athlete", "add", "--db", str(db))
    assert code == 2 and "NAME or --code" in err
    code, out, _ = run_cli(capsys, "athlete", "edit", "Sam", "--mass-kg", "73.5", "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["mass_kg"] == 73.5
    assert run_cli(capsys, "athlete", "edit", "Sam", "--db", str(db))[0] == 2
    code, out, _ = run_cli(capsys, "athlete", "show", "Sam", "--db", str(db))
    assert code == 0 and "born 1998" in out and "73.5 kg" in out
    code, _, err = run_cli(capsys, "athlete", "delete", "P07", "--db", str(db))  # stdin is not a terminal
    assert code == 2 and "--yes" in err
    code, out, _ = run_cli(capsys, "athlete", "delete", "P07", "--yes", "--db", str(db))
    assert code == 0 and "deleted athlete P07" in out
    code, out, _ = run_cli(capsys, "athlete", "list", "--db", str(db), "--json")
    assert [a["code"] for a in json.loads(out)] == ["A001"]


def test_unknown_athlete_everywhere(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Samantha", "--db", str(db))
    with Store.open(db) as s:  # closed: an open connection is a ResourceWarning on Python 3.13
        before = s.list_athletes()
    for argv in (
        ("test", "single-leg", "--athlete", "Samanta", "--board", "sim", "--fast", "--no-live"),
        ("history", "Samanta"),
        ("export", "Samanta", "--out", str(db.parent / "x")),
        ("import", str(ROOT / "data/hbedb/BDS00001.txt.gz"), "--athlete", "Samanta"),
        ("athlete", "show", "Samanta"),
    ):
        code, _, err = run_cli(capsys, *argv, "--db", str(db))
        assert code == 1, argv
        assert "no athlete 'Samanta'" in err and "Did you mean Samantha" in err, argv
    with Store.open(db) as s:
        assert s.list_athletes() == before and s.sessions() == []
    assert not (db.parent / "x").exists()


def _sim_test(capsys: pytest.CaptureFixture[str], db: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "test", "single-leg", "--athlete", "Sam", "--board", "sim", "--fast", "--no-live",
                             "--seconds", "12", "--rest", "2", "--db", str(db), "--json", *extra)  # fmt: skip
    return code, json.loads(out), err


def test_test_command_finds_the_weaker_side_and_saves_everything(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    code, res, err = _sim_test(capsys, db, "--seed", "11", "--sim-ratio", "1.6")
    assert code == 0, err
    # the console UI went to stderr with --json: instructions, countdown, trial lines
    assert "Stand on your LEFT leg" in err and "3..." in err and "trial 3 RIGHT leg: held 12 s" in err
    assert res["status"] == "complete" and len(res["trial_ids"]) == 6
    row = next(r for r in res["comparison"] if r["measure"] == "mean_velocity_ml_mm_s")
    assert row["more_sway_side"] == "right" and row["flag"] is True
    with Store.open(db) as s:
        sess = s.session(res["session_id"])
        assert sess.status == "complete" and sess.source == "test" and sess.board["kind"] == "sim"
        assert sess.comparison is not None and sess.comparison["kind"] == "left_right"
        assert [t.side for t in sess.trials] == ["left", "right"] * 3
        # raw file written before analysis holds the same samples as the stored recording
        import stat

        from drivers.recording_file import read_recording

        for d in (Path(sess.trials[0].raw_path).parent, s.athlete_raw_dir("Sam"), s.raw_dir):
            assert stat.S_IMODE(d.stat().st_mode) & 0o077 == 0, d  # raw recordings are private
        for t in sess.trials:
            raw = read_recording(t.raw_path)
            assert raw.meta["complete"] is True
            np.testing.assert_allclose(raw.corners_kg, t.recording.corners_kg, atol=5e-5)
        # the comparison's means are the means of the stored trials (by hand)
        left = [t.measures["mean_velocity_ml_mm_s"] for t in sess.trials if t.side == "left"]
        assert row["left_mean"] == pytest.approx(sum(left) / 3)
    # history: both sessions, SI by hand
    code2, res2, _ = _sim_test(capsys, db, "--seed", "12", "--sim-ratio", "1.0")
    code, out, _ = run_cli(capsys, "history", "Sam", "--db", str(db), "--json")
    assert code == 0
    h = json.loads(out)["measures"][0]
    assert h["measure"] == "mean_velocity_ml_mm_s" and len(h["sessions"]) == 2
    s0 = h["sessions"][0]
    lm, rm = np.mean(s0["left"]), np.mean(s0["right"])
    assert s0["symmetry_index_pct"] == pytest.approx(100 * (rm - lm) / ((rm + lm) / 2))
    assert h["progress"]["asymmetry"]["latest_pct"] < h["progress"]["asymmetry"]["baseline_pct"]
    code, out, _ = run_cli(capsys, "history", "Sam", "--db", str(db))
    assert code == 0 and "R vs L" in out and "Asymmetry" in out


def test_board_disappears_mid_test(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import balance.app.commands.test as test_cmd
    from drivers.sim import SimulatedBoard

    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    boards = []

    def open_flaky(kind: str, **kw: object) -> SimulatedBoard:
        # the link drops 40 s into the session: after the first trials, in the middle of one
        b = SimulatedBoard(seed=5, disconnect_at_s=40.0).open()
        boards.append(b)
        return b

    monkeypatch.setattr(test_cmd, "open_test_board", open_flaky)
    code, res, err = _sim_test(capsys, db)
    assert code == 1
    assert "disconnect" in err.lower() or "lost" in err.lower()
    assert res["status"] == "incomplete" and res["trial_ids"]
    with Store.open(db) as s:
        assert s.integrity_check() == "ok"
        sess = s.session(res["session_id"])
        assert sess.status == "incomplete"
        assert [t.id for t in sess.trials] == res["trial_ids"]
        last = sess.trials[-1]
        assert not last.valid and last.status == "incomplete" and last.n_samples > 0
        from drivers.recording_file import read_recording

        raw = read_recording(last.raw_path)  # the interrupted trial's raw file: kept, marked incomplete
        assert raw.meta["complete"] is False and len(raw) == last.n_samples
    assert not boards[0].is_open


def test_full_disk_during_test_stops_and_keeps_what_was_saved(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def small_disk(cls, path=None, **kw):  # type: ignore[no-untyped-def]
        s = real_open(cls, path, **kw)
        pages = s._db.execute("PRAGMA page_count").fetchone()[0]
        s._db.execute(f"PRAGMA max_page_count = {pages + 12}")  # room for about one trial
        return s

    monkeypatch.setattr(Store, "open", classmethod(small_disk))
    code, res, err = _sim_test(capsys, db, "--seed", "2")
    assert code == 1
    assert "full" in err and "raw samples of every trial are in" in err
    monkeypatch.undo()
    with Store.open(db) as s:
        assert s.integrity_check() == "ok"
        sess = s.sessions("Sam")[0]
        assert 1 <= len(sess.trials) < 6 and sess.status == "incomplete"
        assert [t.id for t in sess.trials] == res["trial_ids"]
        raw_files = sorted((s.athlete_raw_dir("Sam")).rglob("*.csv"))
        assert len(raw_files) > len(sess.trials)  # the trial that could not be saved is still on disk


def test_newer_database_refused_by_commands(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for argv in (("athlete", "list"), ("history", "Sam"), ("athlete", "add", "Kim"),
                 ("test", "single-leg", "--athlete", "Sam", "--board", "sim", "--fast", "--no-live")):  # fmt: skip
        code, _, err = run_cli(capsys, *argv, "--db", str(db))
        assert code == 1 and "newer version of balance" in err, argv
    assert db.read_bytes() == before


def test_import_reproduces_published_velocity_and_is_all_or_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    files = [str(ROOT / f"data/hbedb/BDS0000{i}.txt.gz") for i in (1, 2)]
    bad = db.parent / "broken.csv"
    bad.write_text("time_s,cop_ml_mm,cop_ap_mm\n0.0,1.0,2.0\n0.01,nope,3\n")
    code, _, err = run_cli(capsys, "import", files[0], str(bad), "--athlete", "Sam", "--db", str(db))
    assert code == 1 and "broken.csv" in err and "nothing was added" in err
    with Store.open(db) as s:
        assert s.sessions("Sam") == []
    code, out, err = run_cli(capsys, "import", *files, "--athlete", "Sam", "--side", "both", "--raw",
                             "--date", "2024-05-06", "--db", str(db), "--json")  # fmt: skip
    assert code == 0, err
    res = json.loads(out)
    with open(ROOT / "data/hbedb/reference_BDSinfoCOP.csv", newline="") as fh:
        ref = {r["Trial"]: float(r["COPvelo"]) for r in csv.DictReader(fh)}
    with Store.open(db) as s:
        sess = s.session(res["session_id"])
        assert sess.source == "import" and sess.date == "2024-05-06" and len(sess.trials) == 2
        for t, name in zip(sess.trials, ("BDS00001", "BDS00002")):
            # published COPvelo is in cm/s: 10x in mm/s (data/hbedb/PROVENANCE.md)
            assert t.measures["mean_velocity_mm_s"] == pytest.approx(10 * ref[name], rel=1e-6)
            assert Path(t.raw_path).read_bytes() == (ROOT / f"data/hbedb/{name}.txt.gz").read_bytes()
            assert t.duration_s == pytest.approx(60.0, abs=0.02)


def test_export_command(db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    _sim_test(capsys, db, "--seed", "3")
    out_dir = tmp_path / "physio"
    code, out, _ = run_cli(capsys, "export", "Sam", "--out", str(out_dir), "--db", str(db), "--json")
    assert code == 0
    res = json.loads(out)
    assert res["trials"] == 6 and (out_dir / "trials.csv").exists() and len(list((out_dir / "samples").iterdir())) == 6
    code, _, err = run_cli(capsys, "export", "Sam", "--out", str(out_dir), "--db", str(db))
    assert code == 1 and "--overwrite" in err
    code, _, err = run_cli(capsys, "export", "--out", str(out_dir), "--db", str(db))
    assert code == 2 and "--all" in err
    code, _, err = run_cli(capsys, "export", "--all", "--out", str(tmp_path / "p"), "--pseudonymise", "--db", str(db))
    assert code == 0
    with open(tmp_path / "p" / "trials.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["athlete_code"] for r in rows} == {"P001"} and "athlete_name" not in rows[0]
    assert all(math.isfinite(float(r["mean_velocity_ml [mm/s]"])) for r in rows if r["valid"] == "1")


def test_ctrl_c_mid_session_keeps_the_trials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C arrives in the main thread while the engine records: it stops, every trial so far is saved."""
    import threading

    from balance.app.runner import run_session
    from drivers.sim import SimulatedBoard
    from protocols.engine import Engine
    from protocols.library import get_protocol

    reached, release = threading.Event(), threading.Event()

    class HoldAfterSecondTrial:
        n = 0

        def on_event(self, event: object) -> None:
            if type(event).__name__ == "TrialEnded":
                self.n += 1
                if self.n == 2:
                    reached.set()
                    release.wait(10)

    real_join = Engine.join
    calls = []

    def join(self: Engine, timeout_s: float | None = None):  # type: ignore[no-untyped-def]
        calls.append(timeout_s)
        if len(calls) == 1:
            assert reached.wait(10)
            raise KeyboardInterrupt  # as if the coach pressed Ctrl-C
        release.set()
        return real_join(self, timeout_s)

    monkeypatch.setattr(Engine, "join", join)
    with Store.open(tmp_path / "h.db") as s:
        a = s.add_athlete("Sam")
        spec = get_protocol("single-leg", duration_s=10, rest_s=1)
        with SimulatedBoard(seed=3) as board:
            out = run_session(s, a, spec, board, listeners=[HoldAfterSecondTrial()])
        assert out.error is not None and "Ctrl-C" in out.error and out.status == "incomplete"
        sess = s.session(out.session_id)
        assert sess.status == "incomplete"
        assert [t.status for t in sess.trials][:2] == ["complete", "complete"]
        assert len(sess.trials) == len(out.trial_ids) <= 3
        assert all(t.status == "incomplete" for t in sess.trials[2:])


def test_bilateral_test_prints_romberg_and_writes_report(db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    png = tmp_path / "report.png"
    code, out, err = run_cli(capsys, "test", "bilateral", "--athlete", "Sam", "--board", "sim", "--fast", "--seed", "4",
                             "--no-live", "--seconds", "10", "--report", str(png), "--db", str(db))  # fmt: skip
    assert code == 0, err
    assert "eyes open" in out and "eyes closed" in out and "Romberg quotient" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Store.open(db) as s:
        (sess,) = s.sessions("Sam")
        assert [(t.side, t.condition) for t in sess.trials] == [("both", "eyes_open"), ("both", "eyes_closed")]
        # the table's eyes-open total sway speed is the stored trial's value
        v = sess.trials[0].measures["mean_velocity_mm_s"]
        assert f"{v:.1f}" in out


def test_squat_test_on_the_simulated_board_counts_the_reps(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The simulated person squats on the protocol's "squat" cue (5 reps by default), symmetrically.
    run_cli(capsys, "athlete", "add", "Sam", "--mass-kg", "70", "--db", str(db))
    code, out, err = run_cli(capsys, "test", "squat", "--athlete", "Sam", "--board", "sim", "--fast", "--seed", "4",
                             "--no-live", "--db", str(db))  # fmt: skip
    assert code == 0, err
    assert "5 squats" in out and "no real offloading" in out
    with Store.open(db) as s:
        (sess,) = s.sessions("Sam")
        (trial,) = sess.trials
        assert trial.valid and trial.measures["rep_count"] == 5
        assert 45.0 < trial.measures["weight_left_pct"] < 55.0


def test_raw_file_disk_full_mid_trial(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw recording cannot be written (ENOSPC) in the 3rd trial: the test stops with a clear message;
    the earlier trials are saved, and so are the samples of the interrupted one (in the database)."""
    import errno
    import os

    from balance.app.sink import RawTrialWriter

    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    real_write = RawTrialWriter.write
    state = {"trial": None, "n": 0}

    def write(self: RawTrialWriter, sample: object) -> None:
        if self is not state["trial"]:
            state["trial"], state["n"] = self, 0
        state["n"] += 1
        if self.path.name.startswith("003_") and state["n"] == 400:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(self, sample)

    monkeypatch.setattr(RawTrialWriter, "write", write)
    code, res, err = _sim_test(capsys, db, "--seed", "6")
    assert code == 1
    assert "No space left on device" in err and "saved: 3 trial(s)" in err
    with Store.open(db) as s:
        sess = s.session(res["session_id"])
        assert sess.status == "incomplete"
        assert [t.status for t in sess.trials] == ["complete", "complete", "incomplete"]
        assert sess.trials[2].n_samples >= 399  # what was recorded before the failure is kept


def test_measures_lists_every_key_with_unit_and_plain_name(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from balance import catalogue

    code, out, _ = run_cli(capsys, "measures")
    assert code == 0
    rows = {ln.split()[0]: ln for ln in out.splitlines()[2:] if ln.strip() and not ln.startswith(" ")}
    for key in catalogue.all_keys():
        assert key in rows and catalogue.name(key) in rows[key] and f" {catalogue.unit(key)} " in rows[key]
    code, out, _ = run_cli(capsys, "measures", "--json", "velocity_ml")
    doc = json.loads(out)
    assert code == 0 and [d["key"] for d in doc] == ["mean_velocity_ml_mm_s"]
    assert doc[0]["unit"] == "mm/s" and doc[0]["name"] == "Side-to-side sway speed" and "Prieto" in doc[0]["reference"]
    code, out, _ = run_cli(capsys, "measures", "no_such_measure")
    assert code == 1 and "balance measures" in out


@pytest.mark.parametrize("value", ["-1", "nan", "abc"])
def test_import_trim_is_checked_by_the_shared_validator(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, _, err = run_cli(capsys, "import", "Sam", "x.csv", f"--trim-s={value}")
    assert code == 2 and "--trim-s" in err and ("zero or a positive number" in err or "not a number" in err)
