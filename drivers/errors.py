"""One small tree of errors for every board (python-can ``can/exceptions.py`` style).

Low-level errors (``OSError`` from hidapi, evdev, a file) are re-raised as one of these
with ``raise ... from err`` so the user sees the domain problem and the cause.
"""

from __future__ import annotations

__all__ = [
    "BoardError",
    "BoardNotFound",
    "BoardDisconnected",
    "BoardTimeout",
    "CalibrationError",
    "ProtocolError",
    "UnknownBoardKind",
]


class BoardError(Exception):
    """Base class of every driver error."""


class BoardNotFound(BoardError, LookupError):
    """No board of the requested kind is attached (or it is not paired / not permitted)."""


class BoardDisconnected(BoardError, ConnectionError):
    """The board went away while open (Bluetooth link dropped, device unplugged)."""


class BoardTimeout(BoardError, TimeoutError):
    """The board did not answer a request in time."""


class CalibrationError(BoardError, ValueError):
    """The board's calibration is missing, corrupt (bad CRC) or not monotonic."""


class ProtocolError(BoardError, ValueError):
    """The device sent bytes that do not follow its protocol (malformed or short report)."""


class UnknownBoardKind(BoardError, KeyError):
    """A board name that is not in the registry."""
