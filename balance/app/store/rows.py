"""Row mapping: Python values to SQLite columns and back (times, JSON, numbers, packed recordings)."""

from __future__ import annotations

import io
import json
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from balance.app.jsonable import to_jsonable as _jsonable
from balance.app.store.errors import StoreError
from balance.app.store.records import Athlete, When

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.recording import Recording


# -- helpers -----------------------------------------------------------------------------------
def utc_now_iso() -> str:
    """Current wall-clock time, ISO 8601 UTC with seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _iso(value: When) -> str:
    """A datetime / epoch seconds / ISO string as ISO 8601 UTC."""
    if value is None:
        return utc_now_iso()
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.astimezone()
        return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(float(value), timezone.utc).replace(microsecond=0).isoformat()
        except (OverflowError, OSError, ValueError):  # 1e308, NaN, before year 1 or after 9999
            raise StoreError(
                f"time {value!r} (seconds since 1970) is not a date between the years 1 and 9999: "
                "give the date with --date, e.g. 2026-03-01"
            ) from None
    if isinstance(value, str):
        try:
            return _iso(datetime.fromisoformat(value))
        except (ValueError, OverflowError):
            raise StoreError(f"date {value!r} is not ISO 8601: write it like 2026-03-01 or 2026-03-01T09:30") from None
    raise StoreError(f"cannot read a date from {value!r} ({type(value).__name__})")


def _dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True, allow_nan=False)


def _float_or_none(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _pack_recording(recording: Recording) -> tuple[bytes, int, float | None, dict[str, Any]]:
    """Recording -> (npz bytes, n samples, fs_hz, meta). Arrays kept in float64."""
    import numpy as np

    arrays: dict[str, Any] = {
        "time_s": np.asarray(recording.time_s, dtype=np.float64),
        "cop_ml_mm": np.asarray(recording.cop_ml_mm, dtype=np.float64),
        "cop_ap_mm": np.asarray(recording.cop_ap_mm, dtype=np.float64),
    }
    if recording.total_kg is not None:
        arrays["total_kg"] = np.asarray(recording.total_kg, dtype=np.float64)
    if recording.corners_kg is not None:
        arrays["corners_kg"] = np.asarray(recording.corners_kg, dtype=np.float64)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue(), int(arrays["time_s"].shape[0]), _float_or_none(recording.fs_hz), dict(recording.meta or {})


def _unpack_recording(blob: bytes, fs_hz: float | None, meta: dict[str, Any]) -> Recording:
    import numpy as np

    from balance.recording import Recording

    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return Recording(
            time_s=z["time_s"],
            cop_ml_mm=z["cop_ml_mm"],
            cop_ap_mm=z["cop_ap_mm"],
            total_kg=z["total_kg"] if "total_kg" in z.files else None,
            corners_kg=z["corners_kg"] if "corners_kg" in z.files else None,
            fs_hz=fs_hz,
            meta=dict(meta),
        )


#: TrialRecord.summary() keys kept in their own columns (not duplicated into ``extra_json``).
_TRIAL_COLUMNS_IN_SUMMARY = frozenset(
    {"protocol", "side", "condition", "trial_index", "practice", "valid", "failure_kind", "failure_time_s",
     "duration_s", "measures", "analysis_params", "n_samples", "started_at"}
)


def athlete_from_row(row: tuple[Any, ...]) -> Athlete:
    """An ``athletes`` row (``AthletesMixin._ATHLETE_SQL``) as an :class:`Athlete`."""
    return Athlete(
        id=row[0], code=row[1], name=row[2], birth_year=row[3], mass_kg=row[4], created_at=row[5],
        notes=row[6] or "", n_sessions=row[7], n_trials=row[8], last_session_at=row[9],
        sex=row[10], group=row[11],
    )  # fmt: skip
