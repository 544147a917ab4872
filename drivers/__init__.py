"""Every source of samples behind one small interface.

Backends are imported only when chosen (python-can ``BACKENDS`` style), so
``import drivers`` never needs hidapi or evdev.

Backends (registry name: module)
    ``wii``: :mod:`drivers.wii` (HID; pure protocol in :mod:`drivers.wii_protocol`, byte-level fake in
    :mod:`drivers.fake_wii`), ``evdev``: :mod:`drivers.evdev_board`, ``sim``: :mod:`drivers.sim`,
    ``replay``: :mod:`drivers.replay`, ``file``: :mod:`drivers.file`.
Files
    :mod:`drivers.recording_file` (our recording format: ``RecordingWriter``, ``read_recording``),
    :mod:`drivers.formats` (other layouts), :mod:`drivers.c3d` (C3D force plates).
Calibration
    :mod:`drivers.calibration` (known-mass profile fit; ``Board.apply_calibration(profile)``).
"""

from __future__ import annotations

import importlib
from typing import Any

from drivers.base import Board, BoardInfo, Sample, SampleFlag
from drivers.errors import (
    BoardDisconnected,
    BoardError,
    BoardNotFound,
    BoardTimeout,
    CalibrationError,
    ProtocolError,
    UnknownBoardKind,
)

__all__ = [
    "BACKENDS",
    "open_board",
    "board_class",
    "Board",
    "BoardInfo",
    "Sample",
    "SampleFlag",
    "BoardError",
    "BoardNotFound",
    "BoardDisconnected",
    "BoardTimeout",
    "CalibrationError",
    "ProtocolError",
    "UnknownBoardKind",
]

#: Registry name -> "module:Class". Imported only when chosen.
BACKENDS: dict[str, str] = {
    "wii": "drivers.wii:WiiBalanceBoard",
    "evdev": "drivers.evdev_board:EvdevBoard",
    "sim": "drivers.sim:SimulatedBoard",
    "replay": "drivers.replay:ReplayBoard",
    "file": "drivers.file:FileBoard",
}


def board_class(kind: str) -> type[Board]:
    """The class registered under ``kind``, imported now."""
    try:
        target = BACKENDS[kind]
    except KeyError:
        raise UnknownBoardKind(
            f"unknown board {kind!r}; choose one of: {', '.join(sorted(BACKENDS))}"
        ) from None
    module_name, _, cls_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls: type[Board] = getattr(module, cls_name)
    return cls


def open_board(kind: str, **kwargs: Any) -> Board:
    """Create and open the board registered under ``kind``."""
    return board_class(kind)(**kwargs).open()
