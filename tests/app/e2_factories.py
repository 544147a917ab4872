"""Small builders shared by the app tests (store, export, crash safety): trials with known values."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import numpy as np

from balance.model import TrialRecord
from balance.recording import Recording


def corners_recording(*, n: int = 300, fs_hz: float = 100.0, seed: int = 0, ml_offset_mm: float = 0.0) -> Recording:
    """A recording with random but positive corner loads (kg) and the CoP computed from them."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs_hz
    base = np.array([17.0, 18.0, 17.5, 18.5])
    corners = base + rng.normal(0.0, 0.4, size=(n, 4))
    corners[:, [1, 3]] += ml_offset_mm / 100.0
    return Recording.from_corners(t, corners, fs_hz=fs_hz, meta={"source": "test"})


def make_trial(
    side: str = "left",
    index: int = 1,
    *,
    measures: dict[str, float] | None = None,
    valid: bool = True,
    failure_kind: str | None = None,
    failure_time_s: float | None = None,
    practice: bool = False,
    condition: str = "eyes_open",
    seed: int = 0,
    n: int = 300,
) -> TrialRecord:
    rec = corners_recording(n=n, seed=seed)
    return TrialRecord(
        protocol="single_leg",
        side=side,  # type: ignore[arg-type]
        condition=condition,
        trial_index=index,
        practice=practice,
        valid=valid,
        status="complete" if valid else "failed",
        failure_kind=failure_kind,
        failure_time_s=failure_time_s,
        duration_s=rec.duration_s if failure_time_s is None else failure_time_s,
        planned_duration_s=30.0,
        recording=rec,
        start_s=0.0,
        end_s=float(rec.time_s[-1]),
        analysis_window_s=(0.5, float(rec.time_s[-1])),
        params={"fs_hz": 100.0, "cutoff_hz": 10.0, "trim_s": 2.0},
        measures=dict(measures or {}),
        recorded_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc).isoformat(),
    )


def nan() -> float:
    return math.nan


def store_run(store: Any, athlete: Any, run: Any, *, board: dict[str, Any] | None = None,
              started_at: Any = None) -> int:  # fmt: skip
    """Save an engine run the way ``balance test`` does (start, each trial, finish with the
    comparison); returns the session id."""
    sid = store.start_session(athlete, protocol=run.spec.name, spec=run.spec.to_dict(), started_at=started_at,
                              board=board or {"kind": "sim", "name": "Simulated board"})  # fmt: skip
    for t in run.trials:
        store.add_trial(sid, t)
    store.finish_session(sid, comparison=None if run.comparison is None else run.comparison.to_dict())
    return int(sid)
