"""One contract every driver passes (python-can ``back2back_test`` style): sim, replay, file, the
fake-backed wii and the fake-backed evdev board."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_evdev import FakeInputDevice

from drivers import BACKENDS, board_class
from drivers.base import Board, BoardInfo, Sample
from drivers.calibration import CalibrationProfile
from drivers.evdev_board import EvdevBoard
from drivers.fake_wii import FakeWiiBoard
from drivers.file import FileBoard
from drivers.recording_file import RecordingWriter, header_from_board, read_samples
from drivers.replay import ReplayBoard
from drivers.sim import SimulatedBoard
from drivers.wii import WiiBalanceBoard

N = 300


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("conf") / "rec.csv"
    with SimulatedBoard(seed=8, stance="both") as b, RecordingWriter(p, header=header_from_board(b)) as w:
        for _ in range(N + 50):
            w.write(b.read())  # type: ignore[arg-type]
    return p


def _evdev() -> EvdevBoard:
    dev = FakeInputDevice()
    for i in range(N + 50):
        dev.push_frame(1000 + i % 7, 2000 + i % 5, 1500 + i % 3, 1800 + i % 11)
    return EvdevBoard(device=dev)


def _wii() -> WiiBalanceBoard:
    fake = FakeWiiBoard(load=lambda t: (10 + math.sin(t), 20.0, 15 + math.cos(t), 18.0))
    return WiiBalanceBoard(device=fake, clock=fake.now)


FACTORIES: dict[str, Callable[[Path], Board]] = {
    "sim": lambda p: SimulatedBoard(seed=1),
    "replay": lambda p: ReplayBoard(path=p, speed=0),
    "file": lambda p: FileBoard(path=p),
    "wii": lambda p: _wii(),
    "evdev": lambda p: _evdev(),
}


@pytest.fixture(params=sorted(FACTORIES))
def make_board(request: pytest.FixtureRequest, recorded: Path) -> Callable[[], Board]:
    return lambda: FACTORIES[request.param](recorded)


def read_samples_from(board: Board, n: int) -> list[Sample]:
    out: list[Sample] = []
    while len(out) < n:
        s = board.read(timeout_s=1.0)
        assert s is not None, "a streaming board returned nothing within 1 s"
        out.append(s)
    return out


class TestBoardConformance:
    def test_registered_under_its_kind(self, make_board: Callable[[], Board]) -> None:
        b = make_board()
        assert isinstance(b, Board) and b.kind in BACKENDS
        assert board_class(b.kind) is type(b)

    def test_lifecycle(self, make_board: Callable[[], Board]) -> None:
        b = make_board()
        assert not b.is_open
        with pytest.raises(RuntimeError, match="not open"):
            b.read(timeout_s=0)
        with b as opened:
            assert opened is b and b.is_open
        assert not b.is_open
        b.close()  # a second close is harmless
        assert not b.is_open

    def test_samples(self, make_board: Callable[[], Board]) -> None:
        with make_board() as b:
            samples = read_samples_from(b, N)
        assert all(isinstance(s, Sample) for s in samples)
        for s in samples:
            assert all(math.isfinite(v) for v in (s.t_s, *s.corners_kg))
            assert isinstance(s.button, bool)
        t = [s.t_s for s in samples]
        assert all(b > a for a, b in zip(t, t[1:])), "timestamps must increase"
        assert 1.0 < sum(s.total_kg for s in samples) / N < 200.0

    def test_poll(self, make_board: Callable[[], Board]) -> None:
        with make_board() as b:
            s = b.read(timeout_s=0)
        assert s is None or isinstance(s, Sample)

    def test_iteration(self, make_board: Callable[[], Board]) -> None:
        with make_board() as b:
            samples = list(itertools.islice(b, 50))
        assert len(samples) == 50 and all(isinstance(s, Sample) for s in samples)

    def test_info(self, make_board: Callable[[], Board]) -> None:
        with make_board() as b:
            read_samples_from(b, 2)
            info = b.info
        assert isinstance(info, BoardInfo) and info.kind == b.kind
        assert isinstance(info.name, str) and info.name
        assert info.battery is None or 0.0 <= info.battery <= 1.0
        json.dumps(dataclasses.asdict(info), allow_nan=False)  # goes into file headers

    def test_recorded_and_read_back(self, make_board: Callable[[], Board], tmp_path: Path) -> None:
        p = tmp_path / "out.csv"
        with make_board() as b, RecordingWriter(p, header=header_from_board(b)) as w:
            samples = read_samples_from(b, 100)
            w.write_many(samples)
        back = read_samples(p)
        assert len(back) == 100
        for a, c in zip(samples, back):
            assert c.corners_kg == pytest.approx(a.corners_kg, abs=1e-4)
            assert c.flags == a.flags

    def test_calibration_profile_applied(self, make_board: Callable[[], Board]) -> None:
        b1, b2 = make_board(), make_board()
        b2.apply_calibration(CalibrationProfile(serial="x", gains=(1.0, 2.0, 1.0, 0.5)))
        with b1, b2:
            s1, s2 = read_samples_from(b1, 5)[-1], read_samples_from(b2, 5)[-1]
        assert s2.tr_kg == pytest.approx(2 * s1.tr_kg) and s2.br_kg == pytest.approx(0.5 * s1.br_kg)
        assert b2.calibration_profile is not None

    def test_reconnect(self, make_board: Callable[[], Board]) -> None:
        with make_board() as b:
            read_samples_from(b, 3)
            assert b.reconnect(attempts=1, delay_s=0.0) and b.is_open
            assert isinstance(read_samples_from(b, 3)[-1], Sample)


HARDWARE = os.environ.get("BALANCE_TEST_HARDWARE", "")


@pytest.mark.skipif(HARDWARE not in ("wii", "evdev"), reason="set BALANCE_TEST_HARDWARE=wii or evdev with a board attached")
class TestRealBoardConformance(TestBoardConformance):
    """The same contract on a physical board (python-can back2back style, gated by an environment flag)."""

    @pytest.fixture
    def make_board(self) -> Callable[[], Board]:  # type: ignore[override]
        return lambda: board_class(HARDWARE)()
