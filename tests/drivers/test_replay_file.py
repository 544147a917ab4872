"""Replay and file sources: our recordings and force-plate files as sample streams."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from balance.cop import cop_from_corners
from balance.recording import Recording
from drivers import open_board
from drivers.base import SampleFlag
from drivers.errors import BoardNotFound
from drivers.file import FileBoard
from drivers.recording_file import RecordingWriter, header_from_board
from drivers.replay import ReplayBoard, corners_from_cop
from drivers.sim import SimulatedBoard


@pytest.fixture
def recording_path(tmp_path: Path) -> Path:
    p = tmp_path / "trial.csv"
    with SimulatedBoard(seed=4, stance="left") as b, RecordingWriter(p, header=header_from_board(b)) as w:
        b.person.press_button(at_s=0.3, duration_s=0.1)
        for _ in range(150):
            w.write(b.read())  # type: ignore[arg-type]
    return p


def test_replay_gives_back_every_sample(recording_path: Path) -> None:
    with SimulatedBoard(seed=4, stance="left") as b:
        b.person.press_button(at_s=0.3, duration_s=0.1)
        original = [b.read() for _ in range(150)]
    with ReplayBoard(path=recording_path, speed=0) as r:
        back = list(r)
        assert r.info.serial == "sim-0004" and r.info.extra["complete"] is True
    assert len(back) == 150
    for a, s in zip(original, back):
        assert s.t_s == pytest.approx(a.t_s, abs=1e-6)  # type: ignore[union-attr]
        assert s.corners_kg == pytest.approx(a.corners_kg, abs=1e-4)  # type: ignore[union-attr]
        assert (s.button, s.flags) == (a.button, a.flags)  # type: ignore[union-attr]
    assert any(s.button for s in back) and any(s.flags & SampleFlag.DUPLICATE for s in back)


def test_replay_end_of_stream(recording_path: Path) -> None:
    with ReplayBoard(path=recording_path, speed=0) as r:
        for _ in range(150):
            r.read()
        with pytest.raises(EOFError):
            r.read()


def test_replay_in_real_time(recording_path: Path) -> None:
    with ReplayBoard(path=recording_path, speed=5.0) as r:
        t0 = time.monotonic()
        samples = [r.read(timeout_s=1.0) for _ in range(100)]
        elapsed = time.monotonic() - t0
    # 100 samples span ~1 s of recording: at 5x, ~0.2 s
    assert 0.15 <= elapsed <= 0.9  # paced (not instant) and faster than real time (1 s)
    t = np.array([s.t_s for s in samples])  # type: ignore[union-attr]
    assert np.all(np.diff(t) > 0) and abs(t[-1] - time.monotonic()) < 0.5


def test_replay_loop(recording_path: Path) -> None:
    with ReplayBoard(path=recording_path, speed=0, loop=True) as r:
        t = np.array([r.read().t_s for _ in range(400)])  # type: ignore[union-attr]
    assert np.all(np.diff(t) > 0)


def test_corners_from_cop_inverts_cop_from_corners() -> None:
    rng = np.random.default_rng(1)
    total = rng.uniform(20, 100, 200)
    ml, ap = rng.uniform(-200, 200, 200), rng.uniform(-110, 110, 200)
    c = corners_from_cop(total, ml, ap)
    r = cop_from_corners(*c.T)
    np.testing.assert_allclose(r.total, total)
    np.testing.assert_allclose(r.cop_ml_mm, ml, atol=1e-9)
    np.testing.assert_allclose(r.cop_ap_mm, ap, atol=1e-9)
    assert np.all(corners_from_cop([70.0], [np.nan], [0.0]) == 0)


def test_file_board_reads_a_force_plate_file(data_dir: Path) -> None:
    from drivers.formats import read_any

    path = data_dir / "hbedb" / "BDS00001.txt.gz"
    rec = read_any(path)
    with open_board("file", path=path) as f:
        samples = list(f)
        assert f.info.kind == "file" and f.info.extra["layout"] == "hbedb"
    assert len(samples) == len(rec)
    c = np.array([s.corners_kg for s in samples])
    r = cop_from_corners(*c.T)
    np.testing.assert_allclose(r.cop_ml_mm, rec.cop_ml_mm, atol=1e-9)
    np.testing.assert_allclose(r.cop_ap_mm, rec.cop_ap_mm, atol=1e-9)
    np.testing.assert_allclose([s.t_s for s in samples], rec.time_s)


def test_replay_of_a_recording_in_memory() -> None:
    rec = Recording(time_s=np.arange(5) * 0.01, cop_ml_mm=np.zeros(5), cop_ap_mm=np.full(5, 10.0))
    with ReplayBoard(recording=rec, speed=0, mass_kg=50.0) as r:
        s = list(r)
    assert len(s) == 5 and s[0].total_kg == pytest.approx(50.0)
    assert float(cop_from_corners(*s[0].corners_kg).cop_ap_mm) == pytest.approx(10.0)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(BoardNotFound, match="does not exist"):
        FileBoard(path=tmp_path / "nope.csv").open()
    with pytest.raises(ValueError, match="exactly one"):
        ReplayBoard()
    with pytest.raises(ValueError, match="speed"):
        ReplayBoard(path="x", speed=-1)
