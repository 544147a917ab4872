"""Our recording file: round trip, header/footer, flushing, crash safety, bad files."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drivers import recording_file as rf
from drivers.base import BoardInfo, Sample, SampleFlag
from drivers.recording_file import RecordingFileError, RecordingWriter, header_from_board, read_recording, read_samples
from drivers.sim import SimulatedBoard

HERE = Path(__file__).resolve().parent


def some_samples(n: int = 300, seed: int = 1) -> list[Sample]:
    with SimulatedBoard(seed=seed, stance="right") as b:
        b.person.press_button(at_s=0.5, duration_s=0.1)
        return [b.read() for _ in range(n)]  # type: ignore[misc]


def test_round_trip(tmp_path: Path) -> None:
    samples = some_samples()
    p = tmp_path / "trial.csv"
    info = BoardInfo("sim", "Simulated", serial="sim-0001", battery=1.0, calibration={"type": "simulated"})
    with RecordingWriter(p, header=header_from_board(info, stance="right", athlete="A")) as w:
        w.write_many(samples)
    back = read_samples(p)
    assert len(back) == len(samples)
    for a, b in zip(samples, back):
        assert b.t_s == pytest.approx(a.t_s, abs=5e-7)
        np.testing.assert_allclose(b.corners_kg, a.corners_kg, atol=5e-5)
        assert (b.button, b.flags) == (a.button, a.flags)
    assert any(s.button for s in back) and any(s.flags & SampleFlag.DUPLICATE for s in back)
    rec = read_recording(p)
    assert len(rec) == len(samples) and rec.meta["complete"] is True
    assert rec.meta["header"]["stance"] == "right" and rec.meta["board"]["serial"] == "sim-0001"
    for key in ("software_version", "started_wall_utc", "started_monotonic_s", "format_version"):
        assert key in rec.meta["header"]
    assert rec.meta["footer"]["n_samples"] == len(samples)
    # CoP from the corners (balance.cop), ML of a right-leg stance positive
    assert np.nanmean(rec.cop_ml_mm) > 50


def test_spreadsheet_friendly(tmp_path: Path) -> None:
    import pandas as pd

    p = tmp_path / "t.csv"
    with RecordingWriter(p, header={"x": 1}) as w:
        w.write_many(some_samples(20))
    df = pd.read_csv(p, comment="#")
    assert list(df.columns) == list(rf.COLUMNS) and len(df) == 20


def test_incomplete_when_closed_with_reason(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    w = RecordingWriter(p, header={})
    w.write_many(some_samples(10))
    w.close(complete=False, reason="board disconnected")
    w.close()  # idempotent
    rec = read_recording(p)
    assert rec.meta["complete"] is False and rec.meta["footer"]["reason"] == "board disconnected"
    assert len(rec) == 10


def test_exception_in_with_marks_incomplete(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    with pytest.raises(KeyboardInterrupt):
        with RecordingWriter(p, header={}) as w:
            w.write_many(some_samples(5))
            raise KeyboardInterrupt
    rec = rf.read_recording_file(p)
    assert not rec.complete and rec.footer is not None and "KeyboardInterrupt" in rec.footer["reason"]


def test_flushed_at_least_every_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 100.0}
    monkeypatch.setattr(rf.time, "monotonic", lambda: clock["t"])
    p = tmp_path / "t.csv"
    s = some_samples(3)
    w = RecordingWriter(p, header={}, flush_interval_s=1.0)
    w.write(s[0])
    clock["t"] += 0.5
    w.write(s[1])
    assert len(rf.read_recording_file(p).time_s) == 0  # still in memory
    clock["t"] += 0.6  # > 1 s since the last flush
    w.write(s[2])
    assert len(rf.read_recording_file(p).time_s) == 3  # on disk without close
    w.close()


def test_killed_writer_leaves_readable_incomplete_file(tmp_path: Path) -> None:
    p = tmp_path / "crash.csv"
    env = dict(os.environ, PYTHONPATH=str(HERE.parent.parent))
    child = subprocess.Popen(
        [sys.executable, str(HERE / "_recording_writer_child.py"), str(p), "9"],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    flushed = 0
    assert child.stdout is not None
    for line in child.stdout:
        flushed = int(line.split()[1])
        if flushed >= 400:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    back = rf.read_recording_file(p)
    assert not back.complete and back.footer is None
    assert len(back.time_s) >= flushed  # every flushed sample is there
    assert back.header["note"] == "crash test"
    with SimulatedBoard(seed=9, stance="left") as b:
        expected = [b.read() for _ in range(len(back.time_s))]
    np.testing.assert_allclose(back.corners_kg, [s.corners_kg for s in expected], atol=5e-5)  # type: ignore[union-attr]


def test_cut_last_line_is_dropped(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    w = RecordingWriter(p, header={})
    w.write_many(some_samples(10))
    w.flush()
    with open(p, "ab") as fh:
        fh.write(b"12.5,1.0,2")  # a row cut by a crash
    back = rf.read_recording_file(p)
    assert len(back.time_s) == 10 and back.dropped_partial_line and not back.complete
    w._fh.close()  # type: ignore[union-attr]  # noqa: SLF001


def test_gzip(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    with RecordingWriter(p, header={"k": "v"}) as w:
        w.write_many(some_samples(10))
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert len(read_recording(gz)) == 10 and rf.read_header(gz)["k"] == "v"


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("precious")
    with pytest.raises(FileExistsError, match="already exists"):
        RecordingWriter(p, header={})
    assert p.read_text() == "precious"
    RecordingWriter(p, header={}, overwrite=True).close()
    assert rf.read_recording_file(p).complete


def test_header_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(RecordingFileError, match="JSON"):
        RecordingWriter(tmp_path / "t.csv", header={"x": object()})


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("t_s,cop\n1,2\n", "not a balance recording"),
        ("# balance-recording 99 {}\n", "version 99"),
        ("# balance-recording 1 {not json\n", "not valid JSON"),
        ("# balance-recording 1 []\n", "JSON object"),
        ('# balance-recording 1 {}\nt_s,tl_kg,tr_kg,bl_kg,br_kg,button,flags\n1,2,3\n4,5,6\n', "3 fields"),
        ('# balance-recording 1 {}\nt_s,tl_kg,tr_kg,bl_kg,br_kg,button,flags\n1,2,3,4,5,0,0\n4,5,x,1,1,0,0\n', "malformed"),
        ('# balance-recording 1 {}\nt_s,a,b\n', "columns"),
    ],
)
def test_bad_files(text: str, match: str) -> None:
    with pytest.raises(RecordingFileError, match=match):
        rf.parse_recording_text(text)


def test_header_line_is_one_json_object(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    with RecordingWriter(p, header={"a": [1, 2]}) as w:
        w.write_many(some_samples(2))
    first = p.read_text().splitlines()[0]
    assert rf.is_recording_text(first)
    assert json.loads(first.split(" ", 3)[3])["a"] == [1, 2]


def test_header_records_the_applied_profile(tmp_path: Path) -> None:
    from drivers.calibration import CalibrationProfile

    with SimulatedBoard(seed=1) as b:
        b.apply_calibration(CalibrationProfile(serial=b.info.serial or "", gains=(1.1, 1.0, 1.0, 0.9)))
        h = header_from_board(b, stance="both")
    assert h["calibration"]["profile"]["gains"] == [1.1, 1.0, 1.0, 0.9]
    assert h["calibration"]["type"] == "simulated" and h["stance"] == "both"


def test_new_file_appears_with_its_header_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file must never exist empty (a kill between create and first write would leave it
    # unreadable): at the moment it appears under its name it already holds the header.
    target = tmp_path / "trial.csv"
    seen: list[str] = []
    real_link = os.link

    def spy_link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        seen.append(Path(src).read_text(encoding="utf-8"))
        real_link(src, dst)

    monkeypatch.setattr(os, "link", spy_link)
    w = RecordingWriter(target, header={"board": "unit"})
    assert seen and seen[0].startswith("#") and "\n" in seen[0]
    assert len(read_recording(target)) == 0 and read_recording(target).meta["complete"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial.csv"]
    w.close()
    with pytest.raises(FileExistsError, match="already exists"):
        RecordingWriter(target, header={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial.csv"]
