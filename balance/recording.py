"""The recording data model shared by every layer: samples in memory, with their metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from balance.cop import WII_BALANCE_BOARD, BoardGeometry, cop_from_corners

__all__ = ["Recording", "CORNER_NAMES"]

#: Column order of :attr:`Recording.corners_kg`.
CORNER_NAMES: tuple[str, str, str, str] = ("tl", "tr", "bl", "br")


@dataclass(frozen=True)
class Recording:
    """A CoP recording: timestamps, CoP and (when known) the four corner loads.

    Attributes
    ----------
    time_s : ndarray, shape (N,)
        Sample times (s), strictly increasing; may be irregular.
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        CoP, mediolateral (+ right) and anteroposterior (+ forward), in mm. NaN where
        nobody stood on the board.
    total_kg : ndarray, shape (N,) or None
        Total vertical load (kg) where known.
    corners_kg : ndarray, shape (N, 4) or None
        Corner loads (kg), columns TL, TR, BL, BR (:data:`CORNER_NAMES`), for board recordings.
    fs_hz : float or None
        Nominal sampling rate (Hz) when the stream is uniform, else None.
    meta : dict
        Free-form provenance: source file, board, calibration, subject, conditions.
    """

    time_s: NDArray[np.float64]
    cop_ml_mm: NDArray[np.float64]
    cop_ap_mm: NDArray[np.float64]
    total_kg: NDArray[np.float64] | None = None
    corners_kg: NDArray[np.float64] | None = None
    fs_hz: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = np.shape(self.time_s)[0] if np.ndim(self.time_s) == 1 else -1
        if n < 0:
            raise ValueError(f"time_s must be 1-D, got shape {np.shape(self.time_s)}")
        for name in ("cop_ml_mm", "cop_ap_mm", "total_kg"):
            v = getattr(self, name)
            if v is not None and np.shape(v) != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {np.shape(v)}")
        if self.corners_kg is not None and np.shape(self.corners_kg) != (n, 4):
            raise ValueError(f"corners_kg must have shape ({n}, 4), got {np.shape(self.corners_kg)}")

    def __len__(self) -> int:
        return int(np.shape(self.time_s)[0])

    @property
    def duration_s(self) -> float:
        """Time from first to last sample (s); 0 for fewer than two samples."""
        return float(self.time_s[-1] - self.time_s[0]) if len(self) > 1 else 0.0

    @classmethod
    def from_corners(
        cls,
        time_s: NDArray[np.float64],
        corners_kg: NDArray[np.float64],
        *,
        geometry: BoardGeometry = WII_BALANCE_BOARD,
        min_total_kg: float = 1.0,
        fs_hz: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> "Recording":
        """Build a recording from corner loads, computing the CoP.

        Parameters
        ----------
        time_s : ndarray, shape (N,)
            Sample times (s).
        corners_kg : ndarray, shape (N, 4)
            Corner loads (kg), columns TL, TR, BL, BR.
        geometry : BoardGeometry, optional
            Sensor spacing (Wii Balance Board by default).
        min_total_kg : float, optional
            Below this total load the CoP is NaN.
        fs_hz : float, optional
            Nominal rate if uniform.
        meta : dict, optional
            Provenance.
        """
        c = np.asarray(corners_kg, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != 4:
            raise ValueError(f"corners_kg must have shape (N, 4) [TL, TR, BL, BR], got {c.shape}")
        res = cop_from_corners(c[:, 0], c[:, 1], c[:, 2], c[:, 3], geometry=geometry, min_total=min_total_kg)
        return cls(
            time_s=np.asarray(time_s, dtype=np.float64),
            cop_ml_mm=res.cop_ml_mm,
            cop_ap_mm=res.cop_ap_mm,
            total_kg=res.total,
            corners_kg=c,
            fs_hz=fs_hz,
            meta=dict(meta or {}),
        )

    def slice_time(self, start_s: float, stop_s: float) -> "Recording":
        """The part of the recording with ``start_s <= t < stop_s`` (s)."""
        m = (self.time_s >= start_s) & (self.time_s < stop_s)
        return Recording(
            time_s=self.time_s[m],
            cop_ml_mm=self.cop_ml_mm[m],
            cop_ap_mm=self.cop_ap_mm[m],
            total_kg=None if self.total_kg is None else self.total_kg[m],
            corners_kg=None if self.corners_kg is None else self.corners_kg[m],
            fs_hz=self.fs_hz,
            meta=dict(self.meta),
        )
