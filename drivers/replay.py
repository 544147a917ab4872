"""Replay a recording as a sample stream, in real time or faster (registry name ``replay``).

The source is our own recording file (:mod:`drivers.recording_file`, flags and button kept), any file
:func:`drivers.formats.read_any` reads (force-plate files, CoP CSV, corner CSV), C3D force-plate files
(:mod:`drivers.c3d`, plates of type 2 and 4), a
:class:`~balance.recording.Recording` or a list of samples. Recordings without corner loads
(force plates, CoP-only files) are turned into corners with :func:`corners_from_cop`, the inverse of
the CoP formula (``docs/wii-balance-board.md`` §5), so every source yields the same
:class:`~drivers.base.Sample` stream.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.cop import WII_BALANCE_BOARD, BoardGeometry
from balance.recording import Recording
from drivers.base import Board, BoardInfo, Sample, SampleFlag
from drivers.errors import BoardNotFound

__all__ = ["ReplayBoard", "corners_from_cop", "load_source"]


def corners_from_cop(
    total_kg: ArrayLike,
    cop_ml_mm: ArrayLike,
    cop_ap_mm: ArrayLike,
    *,
    geometry: BoardGeometry = WII_BALANCE_BOARD,
) -> NDArray[np.float64]:
    """Corner loads (N, 4) TL, TR, BL, BR (kg) whose total and CoP are the given ones (bilinear split).

    NaN CoP (nobody on the board) gives zero corners. A CoP beyond the sensors is clipped to them.
    """
    tot = np.asarray(total_kg, dtype=np.float64)
    x = np.asarray(cop_ml_mm, dtype=np.float64)
    y = np.asarray(cop_ap_mm, dtype=np.float64)
    valid = np.isfinite(tot) & np.isfinite(x) & np.isfinite(y)
    t = np.where(valid, tot, 0.0)
    u = np.clip(0.5 + np.where(valid, x, 0.0) / geometry.width_mm, 0.0, 1.0)
    v = np.clip(0.5 + np.where(valid, y, 0.0) / geometry.length_mm, 0.0, 1.0)
    return np.stack([t * (1 - u) * v, t * u * v, t * (1 - u) * (1 - v), t * u * (1 - v)], axis=-1)


def load_source(
    source: str | os.PathLike[str] | Recording | Sequence[Sample], *, mass_kg: float = 70.0
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64], dict[str, Any]]:
    """Arrays ``(t_s, corners_kg (N, 4), button, flags, meta)`` from any replayable source."""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if not p.exists():
            raise BoardNotFound(f"{p} does not exist: give the path of a recording file")
        from drivers.recording_file import is_recording_text, read_recording_file

        with open(p, "rb") as fh:
            head = fh.read(4)
        from drivers.c3d import is_c3d, read_c3d

        if is_c3d(head):
            source = read_c3d(p)
            head = b""
        elif head[:2] != b"\x1f\x8b":
            with open(p, "rb") as fh:
                first = fh.readline()
        else:
            import gzip

            with gzip.open(p, "rb") as fh:
                first = fh.readline()
        if head and is_recording_text(first):
            rf = read_recording_file(p)
            meta = {"source": str(p), "layout": "balance-recording", "header": rf.header, "complete": rf.complete}
            return rf.time_s, rf.corners_kg, rf.button, rf.flags, meta
        if not isinstance(source, Recording):
            from drivers.formats import read_any

            source = read_any(p)
    if isinstance(source, Recording):
        rec = source
        if rec.corners_kg is not None:
            corners = np.asarray(rec.corners_kg, dtype=np.float64)
        else:
            total = rec.total_kg if rec.total_kg is not None else np.full(len(rec), float(mass_kg))
            corners = corners_from_cop(total, rec.cop_ml_mm, rec.cop_ap_mm)
        meta = dict(rec.meta)
        button = np.asarray(meta.get("button", np.zeros(len(rec), bool)), dtype=bool)
        flags = np.asarray(meta.get("flags", np.zeros(len(rec), np.int64)), dtype=np.int64)
        if button.shape != (len(rec),):
            button = np.zeros(len(rec), bool)
        if flags.shape != (len(rec),):
            flags = np.zeros(len(rec), np.int64)
        return np.asarray(rec.time_s, dtype=np.float64), corners, button, flags, meta
    samples = list(source)
    t = np.array([s.t_s for s in samples], dtype=np.float64)
    c = np.array([s.corners_kg for s in samples], dtype=np.float64).reshape(-1, 4)
    b = np.array([s.button for s in samples], dtype=bool)
    f = np.array([int(s.flags) for s in samples], dtype=np.int64)
    return t, c, b, f, {"source": "samples"}


class ReplayBoard(Board):
    """Replay a recording.

    Parameters
    ----------
    path : str or Path, optional
        A recording file (ours, or any layout :func:`drivers.formats.read_any` reads).
    recording : Recording, optional
        Or a recording in memory.
    samples : sequence of Sample, optional
        Or samples.
    speed : float
        1.0 = real time, 2.0 = twice as fast, ``math.inf`` or 0 = as fast as possible (never sleeps).
    loop : bool
        Start again at the end (timestamps keep increasing) instead of ending the stream.
    mass_kg : float
        Total load assumed for CoP-only files without a load column (kg).

    Notes
    -----
    Timestamps: as fast as possible, the recording's own times; in (scaled) real time, the host's
    ``time.monotonic()`` at which each sample is released.
    """

    kind = "replay"
    _default_speed = 1.0

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] | None = None,
        recording: Recording | None = None,
        samples: Sequence[Sample] | None = None,
        speed: float | None = None,
        loop: bool = False,
        mass_kg: float = 70.0,
    ) -> None:
        super().__init__()
        given = [x is not None for x in (path, recording, samples)]
        if sum(given) != 1:
            raise ValueError("give exactly one of path=, recording= or samples= to replay")
        self._source: Any = path if path is not None else recording if recording is not None else samples
        speed = self._default_speed if speed is None else float(speed)
        if speed < 0 or math.isnan(speed):
            raise ValueError(f"speed={speed} must be >= 0 (0 or inf = as fast as possible)")
        self.speed = math.inf if speed == 0 else speed
        self.loop = loop
        self.mass_kg = mass_kg
        self._meta: dict[str, Any] = {}
        self._i = 0
        self._n = 0
        self._offset = 0.0
        self._prev: tuple[float, float, float, float] | None = None

    def _open(self) -> None:
        t, c, b, f, meta = load_source(self._source, mass_kg=self.mass_kg)
        if t.size == 0:
            raise BoardNotFound(f"nothing to replay: {meta.get('source', 'the source')} holds no samples")
        self._t, self._c, self._b, self._f = t, c, b, f
        self._tl = t.tolist()
        self._cl = c.tolist()
        self._meta = meta
        self._n = t.size
        self._i = 0
        self._offset = 0.0
        self._period = float(np.median(np.diff(t))) if t.size > 1 else 0.01
        self._host0 = time.monotonic()

    def _close(self) -> None:
        pass

    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        if self._i >= self._n:
            if not self.loop:
                raise EOFError("end of recording")
            self._offset += self._t[-1] - self._t[0] + self._period
            self._i = 0
        i = self._i
        t_rec = self._tl[i] + self._offset
        if math.isinf(self.speed):
            t_s = t_rec
        else:
            t_s = self._host0 + (t_rec - self._tl[0]) / self.speed
            wait = t_s - time.monotonic()
            if wait > 0:
                if timeout_s is not None and wait > timeout_s:
                    time.sleep(timeout_s)
                    return None, False
                time.sleep(wait)
        c = self._cl[i]
        flags = SampleFlag(int(self._f[i]))
        self._i += 1
        return Sample(t_s, c[0], c[1], c[2], c[3], bool(self._b[i]), flags), False

    @property
    def info(self) -> BoardInfo:
        header = self._meta.get("header") or {}
        board = header.get("board") or {}
        return BoardInfo(
            kind=self.kind,
            name=f"{'Replay' if self.kind == 'replay' else 'File'} of {self._meta.get('source', 'a recording')}",
            serial=board.get("serial"),
            battery=None,
            calibration=dict(header.get("calibration") or {}),
            extra={
                "source": str(self._meta.get("source", "")),
                "layout": self._meta.get("layout"),
                "speed": None if math.isinf(self.speed) else self.speed,  # None = as fast as possible
                "original_board": board,
                "complete": self._meta.get("complete"),
            },
        )

    @property
    def n_samples(self) -> int:
        """Samples in the source (after open)."""
        return self._n
