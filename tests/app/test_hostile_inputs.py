"""Bad files, bad names and broken databases through the ``balance`` CLI (issue 8): one message and
exit code 1 (2 for usage), never a traceback, nothing lost, nothing left behind."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_app_commands import run_cli

from balance.app import migrations
from balance.app.store import Store
from balance.model import TrialRecord
from balance.recording import Recording
from drivers.formats import format_hbedb, write_cop_csv, write_corners_csv

ROOT = Path(__file__).resolve().parents[2]
HBEDB = ROOT / "data" / "hbedb" / "BDS00001.txt.gz"


def _cop(path: Path, seconds: float = 20.0, fs: float = 50.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    ml = np.cumsum(rng.normal(size=t.size)) * 0.3
    ap = np.cumsum(rng.normal(size=t.size)) * 0.3
    return write_cop_csv(path, Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap))


# -- raw recordings keyed by the athlete's id ---------------------------------------------------------
def test_deleting_a_slash_b_keeps_a_underscore_b_files(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for code in ("a/b", "a_b"):
        assert run_cli(capsys, "athlete", "add", "--code", code, "--db", str(db))[0] == 0
        f = _cop(db.parent / f"{code.replace('/', 'S')}.csv")
        assert run_cli(capsys, "import", str(f), "--athlete", code, "--db", str(db))[0] == 0
    with Store.open(db) as s:
        dirs = {c: s.athlete_raw_dir(c) for c in ("a/b", "a_b")}
        assert dirs["a/b"] != dirs["a_b"]
        kept = sorted(p for p in dirs["a_b"].rglob("*") if p.is_file())
    assert len(kept) == 1
    code, _, err = run_cli(capsys, "athlete", "delete", "a/b", "--yes", "--db", str(db))
    assert code == 0, err
    assert sorted(p for p in dirs["a_b"].rglob("*") if p.is_file()) == kept
    assert not dirs["a/b"].exists()
    with Store.open(db) as s:
        (trial,) = s.sessions("a_b")[0].trials
        assert Path(trial.raw_path).is_file()


def test_legacy_code_folders_are_moved_to_id_folders(db: Path) -> None:
    with Store.open(db) as s:
        a = s.add_athlete(code="P07")
        s.add_athlete(code="x/y")
        s.add_athlete(code="x_y")
        legacy = s.raw_dir / "P07" / "session_00001"
        legacy.mkdir(parents=True)
        (legacy / "t.txt").write_text("samples")
        shared = s.raw_dir / "x_y"  # two codes map to it: left where it is
        shared.mkdir()
        (shared / "keep.txt").write_text("x")
        sid = s.start_session(a, protocol="single_leg")
        s.add_trial(sid, summary_trial(), raw_path=legacy / "t.txt")
        s.finish_session(sid)
    with Store.open(db) as s:
        new = s.athlete_raw_dir("P07")
        assert (new / "session_00001" / "t.txt").read_text() == "samples"
        assert not (s.raw_dir / "P07").exists()
        assert s.sessions("P07")[0].trials[0].raw_path == str(new / "session_00001" / "t.txt")
        assert (shared / "keep.txt").exists()


def summary_trial(velocity_mm_s: float = 10.0) -> TrialRecord:
    """A left-leg trial with one measure and no samples."""
    return TrialRecord(protocol="single_leg", side="left", condition="eyes_open", trial_index=1, practice=False,
                       valid=True, status="complete", failure_kind=None, failure_time_s=None, duration_s=30.0,
                       planned_duration_s=30.0, recording=None,  # no samples stored
                       measures={"mean_velocity_mm_s": velocity_mm_s})  # fmt: skip


# -- one message for every database problem -------------------------------------------------------------
def _real_db(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))[0] == 0
    for k in range(30):  # enough rows to fill pages beyond the first
        assert run_cli(capsys, "athlete", "add", f"Person {k} " + "x" * 60, "--db", str(db))[0] == 0


def _garbage_after_first_page(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    rng = np.random.default_rng(1)
    data[page:] = rng.integers(0, 256, size=len(data) - page, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))


COMMANDS = (
    ("athlete", "list"),
    ("athlete", "show", "Sam"),
    ("athlete", "add", "New"),
    ("history", "Sam"),
    ("export", "--all", "--out", "EXPORT"),
    ("import", str(HBEDB), "--athlete", "Sam"),
    ("test", "single-leg", "--athlete", "Sam", "--board", "sim", "--no-live", "--seconds", "3", "--trials", "1"),
)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_damaged_database_one_message(db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    _real_db(db, capsys)
    _garbage_after_first_page(db)
    before = db.read_bytes()
    argv = tuple(str(db.parent / "export") if a == "EXPORT" else a for a in argv)
    code, _, err = run_cli(capsys, *argv, "--db", str(db))
    assert code == 1, err
    assert str(db) in err and "Traceback" not in err
    assert err.count("error:") == 1
    assert db.read_bytes() == before  # nothing written into a database the app refused
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_read_only_database_and_folder(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))[0] == 0
    before = db.read_bytes()
    real_access = os.access
    for target in (db, db.parent):  # as root, permissions do not bind: pretend they do
        monkeypatch.setattr(os, "access", lambda p, mode, t=target: False if Path(p) == t else real_access(p, mode))
        code, _, err = run_cli(capsys, "test", "single-leg", "--athlete", "Sam", "--board", "sim", "--no-live",
                               "--db", str(db))  # fmt: skip
        assert code == 1 and "read-only" in err and str(target) in err and "chmod" in err
        assert db.read_bytes() == before
        assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_db_inside_a_file_and_newer_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, _, err = run_cli(capsys, "athlete", "add", "Sam", "--db", str(afile / "x.db"))
    assert code == 1 and "is a file, not a folder" in err and afile.read_text() == "x"
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 1}")
    conn.close()
    before = newer.read_bytes()
    code, _, err = run_cli(capsys, "athlete", "list", "--db", str(newer))
    assert code == 1 and "newer version" in err and newer.read_bytes() == before
    assert not Path(f"{newer}-wal").exists()


_CREATE = "import sys; from balance.app.store import Store; s = Store.open(sys.argv[1]); s.add_athlete(sys.argv[2]); s.close()"


def test_concurrent_creation_of_one_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", _CREATE, str(db), f"P{k}"], stderr=subprocess.PIPE, text=True)
        for k in range(4)
    ]
    errs = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errs
    with Store.open(db) as s:
        assert sorted(a.name for a in s.list_athletes()) == ["P0", "P1", "P2", "P3"]


# -- names, codes and file names --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["bad\udcffbytes", "\x1b[31mred", "two\r\nlines", "c" * 100_000], ids=["surrogate", "ansi", "crlf", "long"]
)
def test_hostile_names_are_refused(db: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    for argv in (("athlete", "add", name), ("athlete", "add", "--code", name)):
        code, out, err = run_cli(capsys, *argv, "--db", str(db))
        assert code == 1 and "Traceback" not in err
        assert "\x1b" not in err + out and "\r" not in err + out and len(err) < 2000
    code, out, _ = run_cli(capsys, "athlete", "list", "--json", "--db", str(db))
    assert json.loads(out) == []


def test_hostile_unknown_athlete_not_echoed_raw(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    code, out, err = run_cli(capsys, "history", "\x1b]0;owned\x07Sam\r\n", "--db", str(db))
    assert code == 1 and "\x1b" not in err and "\r" not in err


def test_names_stored_by_older_versions_are_shown_safely(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    conn = sqlite3.connect(db)  # what an older balance accepted
    conn.execute("UPDATE athletes SET name = ?, notes = ?", ("\x1b[2JEvil\r", "line 1\nline 2\x1b[31m"))
    conn.commit()
    conn.close()
    for argv in (("athlete", "list"), ("athlete", "show", "A001")):
        code, out, err = run_cli(capsys, *argv, "--db", str(db))
        assert code == 0 and "\x1b" not in out + err and "\r" not in out + err and "Evil" in out


def test_import_of_a_file_with_undecodable_name(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    f = _cop(db.parent / "x.csv")
    odd = db.parent / os.fsdecode(b"trial\xff.csv")
    f.rename(odd)
    code, out, err = run_cli(capsys, "import", str(odd), "--athlete", "Sam", "--db", str(db))
    assert code == 0, err
    with Store.open(db) as s:
        (session,) = s.sessions("Sam")
        assert session.status == "complete" and len(session.trials) == 1
        assert Path(session.trials[0].raw_path).read_bytes() == odd.read_bytes()


# -- bad files --------------------------------------------------------------------------------------------
def _recording_text(header: str, rows: int = 600, end: bool = True) -> str:
    from drivers.recording_file import COLUMNS, MAGIC

    lines = [f"{MAGIC} 1 {header}", ",".join(COLUMNS)]
    rng = np.random.default_rng(3)
    for i in range(rows):
        c = 17.5 + rng.normal(size=4) * 0.3
        lines.append(",".join([f"{i / 60:.4f}", *(f"{v:.3f}" for v in c), "0", "0"][: len(COLUMNS)]))
    if end:
        lines.append(f'# end {{"complete": true, "n_samples": {rows}, "reason": "finished"}}')
    return "\n".join(lines) + "\n"


def test_bad_files_give_one_message_and_leave_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    d = db.parent
    corrupt_gz = d / "corrupt.csv.gz"
    raw = bytearray(gzip.compress(_cop(d / "ok.csv").read_bytes()))
    raw[20:40] = b"\x00" * 20
    corrupt_gz.write_bytes(bytes(raw))
    nested = d / "nested.txt"
    nested.write_text(_recording_text("[" * 100_000 + "]" * 100_000))
    huge_date = d / "date.txt"
    huge_date.write_text(_recording_text('{"started_wall_utc": 1e308, "fs_hz": 60}'))
    t = np.arange(1000) / 50.0
    heavy = write_corners_csv(d / "heavy.csv", Recording(time_s=t, cop_ml_mm=np.zeros_like(t), cop_ap_mm=np.zeros_like(t),
                                                         corners_kg=np.full((t.size, 4), 1e30)))  # fmt: skip
    for f, pattern in ((corrupt_gz, "gzip"), (nested, "nested"), (heavy, "impossible")):
        code, _, err = run_cli(capsys, "analyze", str(f))
        assert code == 1 and pattern in err and "bug" not in err and "Traceback" not in err, err
        code, _, err = run_cli(capsys, "import", str(f), "--athlete", "Sam", "--db", str(db))
        assert code == 1 and pattern in err, err
    code, _, err = run_cli(capsys, "import", str(huge_date), "--athlete", "Sam", "--db", str(db))
    assert code == 0, err  # the absurd date is ignored (now is used), the samples are fine
    with Store.open(db) as s:
        assert [len(x.trials) for x in s.sessions("Sam")] == [1]
        files = [p for p in s.raw_dir.rglob("*") if p.is_file() and ".open-sessions" not in p.parts]
        assert len(files) == 1


def test_cut_and_incomplete_files_are_flagged_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(3000) / 100.0
    rec = Recording(time_s=t, cop_ml_mm=np.cumsum(rng.normal(size=t.size)) * 0.2,
                    cop_ap_mm=np.cumsum(rng.normal(size=t.size)) * 0.2)  # fmt: skip
    text = format_hbedb(rec)
    cut = tmp_path / "BDS_cut.txt"
    cut.write_text(text.rstrip("\r\n")[:-3])  # cut in the middle of the last number
    whole = tmp_path / "BDS_whole.txt"
    whole.write_text(text)
    unfinished = tmp_path / "unfinished.txt"
    unfinished.write_text(_recording_text('{"fs_hz": 60}', rows=1200, end=False))
    code, out, err = run_cli(capsys, "analyze", "--json", str(cut), str(whole), str(unfinished))
    assert code == 0, err
    res = {Path(r["file"]).name: r for r in json.loads(out)["results"]}
    assert res["BDS_whole.txt"]["complete"] is True and res["BDS_whole.txt"]["warnings"] == []
    assert res["BDS_cut.txt"]["complete"] is False and "line break" in res["BDS_cut.txt"]["warnings"][0]
    assert res["unfinished.txt"]["complete"] is False and "end marker" in res["unfinished.txt"]["warnings"][0]
    code, out, _ = run_cli(capsys, "analyze", "--csv", str(cut), str(whole))
    header, *rows = [line.split(",") for line in out.strip().splitlines()]
    col = header.index("complete")
    assert [r[col] for r in rows] == ["False", "True"]
    code, out, _ = run_cli(capsys, "analyze", str(unfinished))
    assert "note: unfinished.txt: incomplete recording" in out


def test_isotropic_cloud_is_explained_not_silently_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(2000) / 100.0
    circle = write_cop_csv(tmp_path / "circle.csv", Recording(time_s=t, cop_ml_mm=10 * np.cos(0.5 * np.pi * t),
                                                              cop_ap_mm=10 * np.sin(0.5 * np.pi * t)))  # fmt: skip
    code, out, err = run_cli(capsys, "analyze", "--preset", "quijoux", "--raw", "--json", str(circle))
    (r,) = json.loads(out)["results"]
    assert code == 0 and r["measures"]["principal_sway_direction_ML_AND_AP"] is None
    assert any("isotropic" in w for w in r["warnings"])
    assert "RuntimeWarning" not in err


# -- housekeeping -----------------------------------------------------------------------------------------
_DIE = """
import os, sys
from balance.app.store import Store
s = Store.open(sys.argv[1])
a = s.get_athlete("Sam")
for with_trial in (True, False):
    sid = s.start_session(a, protocol="single_leg")
    if with_trial:
        from balance.model import TrialRecord
        s.add_trial(sid, TrialRecord(protocol="single_leg", side="left", condition="eyes_open", trial_index=1,
                                     practice=False, valid=True, status="complete", failure_kind=None,
                                     failure_time_s=None, duration_s=30.0, planned_duration_s=30.0,
                                     recording=None, measures={"mean_velocity_mm_s": 9.0}))
os._exit(9)  # killed: no finish_session, no close
"""


def test_sessions_of_a_dead_process_are_closed_or_dropped(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    with Store.open(db) as live:  # a session of a live process is left alone
        live_sid = live.start_session("Sam", protocol="single_leg")
        assert subprocess.run([sys.executable, "-c", _DIE, str(db)]).returncode == 9
        with Store.open(db) as s:
            by_id = {x.id: x for x in s.sessions("Sam")}
        assert by_id[live_sid].status == "open"
        (dead,) = [x for x in by_id.values() if x.id != live_sid]
        assert dead.status == "incomplete" and "interrupted" in dead.notes and len(dead.trials) == 1
        live.finish_session(live_sid)
    assert not list((db.parent / "raw" / ".open-sessions").glob("*.lock"))


def test_stale_export_partials_are_removed(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = db.parent / f".out.partial-{dead.stdout.strip()}-abc"
    stale.mkdir()
    (stale / "trials.csv").write_text("half")
    mine = db.parent / f".out.partial-{os.getpid()}-xyz"  # a running export (this process): kept
    mine.mkdir()
    code, _, err = run_cli(capsys, "export", "Sam", "--out", str(db.parent / "out"), "--db", str(db))
    assert code == 0, err
    assert not stale.exists() and mine.exists()


# -- test, calibrate, record --------------------------------------------------------------------------------
def test_second_round_with_no_rest_reaches_a_steady_stance(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    code, out, err = run_cli(capsys, "test", "single-leg", "--athlete", "Sam", "--board", "sim", "--no-live",
                             "--trials", "2", "--seconds", "3", "--rest", "0", "--json", "--db", str(db))  # fmt: skip
    assert code == 0, err
    assert "not steady" not in err + out
    with Store.open(db) as s:
        trials = s.sessions("Sam")[0].trials
    assert sorted((t.side, t.valid) for t in trials if not t.practice) == [("left", True)] * 2 + [("right", True)] * 2


class _SilentBoard:
    def read(self, timeout_s: float = 1.0) -> None:
        return None


def test_calibrate_gives_up_on_a_silent_board(monkeypatch: pytest.MonkeyPatch) -> None:
    from balance.app.commands import calibrate
    from drivers.errors import BoardTimeout

    with pytest.raises(BoardTimeout, match="no samples"):
        calibrate._collect(_SilentBoard(), 1.0, silence_s=0.05)


def test_record_refusal_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.txt"
    out.write_text("keep")
    code, _, err = run_cli(capsys, "record", "--board", "sim", "--seconds", "1", "--out", str(out))
    assert code == 2 and "--overwrite" in err and "overwrite=True" not in err
    assert out.read_text() == "keep"
