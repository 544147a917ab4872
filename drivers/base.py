"""The one small interface every source of samples implements (python-can ``BusABC`` style).

A backend implements :meth:`Board._open`, :meth:`Board._close` and
:meth:`Board._read_internal`; the base class owns the context manager, the timeout loop,
iteration and safe repeated close.
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from balance.model import WII_BALANCE_BOARD, BoardGeometry

__all__ = ["SampleFlag", "Sample", "BoardInfo", "Board", "CueableBoard"]


class SampleFlag(enum.IntFlag):
    """Per-sample quality flags."""

    NONE = 0
    #: All four corner values identical to the previous report (the WBB repeats ~37 % of reports).
    DUPLICATE = 1
    #: At least one sensor at the top of its range.
    SATURATED = 2
    #: At least one corner below zero after calibration/tare (by more than noise).
    BELOW_ZERO = 4
    #: Sensor data all zero: the board is running out of battery or not streaming real data.
    NO_DATA = 8


@dataclass(frozen=True, slots=True)
class Sample:
    """One timestamped reading of the four corner loads.

    Attributes
    ----------
    t_s : float
        Monotonic timestamp (s) on the board's or the host's monotonic clock.
    tl_kg, tr_kg, bl_kg, br_kg : float
        Calibrated loads at the top-left, top-right, bottom-left, bottom-right sensors (kg).
    button : bool
        The front (power) button is pressed.
    flags : SampleFlag
        Quality flags.
    """

    t_s: float
    tl_kg: float
    tr_kg: float
    bl_kg: float
    br_kg: float
    button: bool = False
    flags: SampleFlag = SampleFlag.NONE

    @property
    def total_kg(self) -> float:
        """Sum of the four corners (kg)."""
        return self.tl_kg + self.tr_kg + self.bl_kg + self.br_kg

    @property
    def corners_kg(self) -> tuple[float, float, float, float]:
        """(TL, TR, BL, BR) in kg."""
        return (self.tl_kg, self.tr_kg, self.bl_kg, self.br_kg)


@dataclass
class BoardInfo:
    """What a board says about itself.

    Attributes
    ----------
    kind : str
        Registry name (``wii``, ``evdev``, ``sim``, ``replay``, ``file``).
    name : str
        Human-readable name.
    serial : str or None
        Serial number or Bluetooth address; calibration profiles are stored under it.
    battery : float or None
        Battery level, 0..1, where known.
    calibration : dict
        The calibration in use (factory points, tare, per-board profile), JSON-serialisable.
    extra : dict
        Anything else worth recording in a file header.
    geometry : BoardGeometry
        Sensor spacing (mm), for the centre of pressure from the corner loads; the Wii
        Balance Board's (433 mm x 238 mm) unless the board says otherwise.
    """

    kind: str
    name: str
    serial: str | None = None
    battery: float | None = None
    calibration: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    geometry: BoardGeometry = WII_BALANCE_BOARD


class Board(ABC):
    """Base class of every board driver.

    Use as a context manager; ``read(timeout_s)`` returns one :class:`Sample` or None on
    timeout; iterating yields samples until the source ends (a file) or forever (a device).
    """

    #: Registry name of the backend.
    kind: str = "abstract"
    #: Per-board known-mass calibration applied to every sample read (see :meth:`apply_calibration`).
    _profile: Any = None

    def __init__(self) -> None:
        self._is_open = False

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self) -> "Board":
        """Open the device (idempotent)."""
        if not self._is_open:
            self._open()
            self._is_open = True
        return self

    def close(self) -> None:
        """Close the device; safe to call more than once."""
        if self._is_open:
            self._is_open = False
            self._close()

    @property
    def is_open(self) -> bool:
        return self._is_open

    def reconnect(self, *, attempts: int = 3, delay_s: float = 1.0) -> bool:
        """Close and re-open the board (after :class:`~drivers.errors.BoardDisconnected`).

        Parameters
        ----------
        attempts : int
            How many times to try.
        delay_s : float
            Pause between attempts (s).

        Returns
        -------
        bool
            True when the board is open again; the calibration profile stays applied.
        """
        from drivers.errors import BoardError

        for i in range(max(0, attempts)):
            try:
                self.close()
            except BoardError:
                self._is_open = False
            try:
                self.open()
                return True
            except BoardError:
                if i + 1 < attempts:
                    time.sleep(delay_s)
        return False

    def __enter__(self) -> "Board":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    # -- reading -----------------------------------------------------------------------------
    def read(self, timeout_s: float | None = None) -> Sample | None:
        """Read one sample.

        Parameters
        ----------
        timeout_s : float or None
            Seconds to wait; None waits forever, 0 polls.

        Returns
        -------
        Sample or None
            None when nothing arrived within the timeout.

        Raises
        ------
        StopIteration
            Never; a finite source that is exhausted raises :class:`EOFError`.
        """
        if not self._is_open:
            raise RuntimeError(f"{type(self).__name__} is not open: use `with board:` or call open()")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            sample, filtered = self._read_internal(remaining)
            if sample is not None and not filtered:
                return sample if self._profile is None else self._calibrated(sample)
            if deadline is not None and time.monotonic() >= deadline:
                return None

    # -- per-board calibration ---------------------------------------------------------------
    def apply_calibration(self, profile: Any) -> None:
        """Apply a :class:`drivers.calibration.CalibrationProfile` to every sample from now on (None removes it)."""
        self._profile = profile

    @property
    def calibration_profile(self) -> Any:
        """The known-mass calibration profile in use, or None."""
        return self._profile

    def _calibrated(self, s: Sample) -> Sample:
        from drivers.calibration import apply_profile

        c = apply_profile([s.tl_kg, s.tr_kg, s.bl_kg, s.br_kg], self._profile)
        return Sample(s.t_s, float(c[0]), float(c[1]), float(c[2]), float(c[3]), s.button, s.flags)

    def __iter__(self) -> Iterator[Sample]:
        while True:
            try:
                s = self.read(timeout_s=None)
            except EOFError:
                return
            if s is not None:
                yield s

    @property
    @abstractmethod
    def info(self) -> BoardInfo:
        """What the board says about itself."""

    # -- backend hooks -----------------------------------------------------------------------
    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        """Return ``(sample_or_None, filtered)``; raise :class:`EOFError` at the end of a finite source."""


class CueableBoard(ABC):
    """A board that follows the protocol's instructions (the simulator: a simulated person).

    The protocol engine tells such a board every instruction it gives the person on the
    board (``isinstance(board, CueableBoard)``); a real board ignores instructions and is not
    one. Cue words: ``"step_on_both"``, ``"stand_left"``, ``"stand_right"``, ``"step_off"``,
    ``"rest"``, ``"squat"``, ``"eyes_closed"``.
    """

    @abstractmethod
    def cue(self, instruction: str) -> float | None:
        """Follow ``instruction`` (a cue word).

        Returns
        -------
        float or None
            Board time (s) the board starts to follow it, or None when it already does.

        Raises
        ------
        ValueError
            The cue word is unknown.
        """
