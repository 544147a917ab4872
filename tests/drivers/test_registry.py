"""The registry and the base class's own behaviour."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drivers import BACKENDS, board_class, open_board
from drivers.base import Board, BoardInfo, Sample
from drivers.errors import BoardDisconnected, BoardError, BoardTimeout, UnknownBoardKind


def test_unknown_kind_lists_the_choices() -> None:
    with pytest.raises(UnknownBoardKind, match="evdev, file, replay, sim, wii"):
        board_class("wiimote")


def test_every_backend_imports_and_is_a_board() -> None:
    for kind in BACKENDS:
        cls = board_class(kind)
        assert issubclass(cls, Board) and cls.kind == kind


def test_import_drivers_imports_no_backend() -> None:
    code = "import sys, drivers; print(sorted(m for m in sys.modules if m.startswith('drivers.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['drivers.base', 'drivers.errors']"


def test_errors_are_also_builtin_errors() -> None:
    assert issubclass(BoardDisconnected, ConnectionError) and issubclass(BoardTimeout, TimeoutError)
    assert issubclass(UnknownBoardKind, KeyError) and issubclass(BoardDisconnected, BoardError)


class Scripted(Board):
    """A board that returns a script of results: a Sample, None (nothing yet), 'skip' (filtered) or EOF."""

    kind = "scripted"

    def __init__(self, script: list[object]) -> None:
        super().__init__()
        self.script = list(script)
        self.closed_count = 0

    @property
    def info(self) -> BoardInfo:
        return BoardInfo(kind="scripted", name="scripted")

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        self.closed_count += 1

    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        if not self.script:
            raise EOFError
        item = self.script.pop(0)
        if item == "skip":
            return None, True
        return item, False  # type: ignore[return-value]


def test_read_skips_filtered_and_times_out() -> None:
    s = Sample(1.0, 1, 2, 3, 4)
    with Scripted(["skip", "skip", s]) as b:
        assert b.read(timeout_s=1.0) == s
    with Scripted([None] * 1000) as b:
        assert b.read(timeout_s=0) is None


def test_iteration_ends_at_eof_and_close_is_idempotent() -> None:
    samples = [Sample(float(i), 1, 1, 1, 1) for i in range(5)]
    b = Scripted(samples[:2] + ["skip"] + samples[2:])
    with b:
        assert list(b) == samples
    b.close()
    assert b.closed_count == 1


def test_exception_inside_with_still_closes() -> None:
    b = Scripted([])
    with pytest.raises(KeyError):
        with b:
            raise KeyError("boom")
    assert not b.is_open and b.closed_count == 1


def test_open_board_opens() -> None:
    b = open_board("sim", seed=3)
    try:
        assert b.is_open and isinstance(b.read(), Sample)
    finally:
        b.close()
