"""Input checks and preprocessing steps of the default analysis pipeline.

Each function does one step of ``docs/methods.md`` §3.2 "Suggested pipeline" (resample,
low-pass, trim, remove the mean) or one check of the input, and raises
:class:`balance.errors.BalanceInputError` naming the problem and the fix. :func:`balance.pipeline.analyze`
chains them; they are public so that protocols can reuse single steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.errors import BalanceInputError

__all__ = [
    "MIN_DURATION_S",
    "MIN_RANGE_MM",
    "MAX_RANGE_MM",
    "UNIFORM_REL_TOL",
    "check_timestamps",
    "sampling_rate",
    "drop_nan",
    "check_duration",
    "check_signal",
    "trim_start",
    "centre",
]

#: Shortest recording analysed (s): the issue's rule for "too short".
MIN_DURATION_S: float = 2.0
#: A standing person's CoP always moves more than this (mm) over a trial; less looks like metres
#: (a CoP range of 0.01 m would read as 0.01 mm).
MIN_RANGE_MM: float = 0.5
#: A CoP range wider than this (mm) cannot come from a person standing on a board or plate (the WBB sensor
#: spacing is 433 x 238 mm, docs/wii-balance-board.md §5): it looks like micrometres or a wrong scale.
MAX_RANGE_MM: float = 1000.0
#: Relative spread of the sampling intervals below which a stream counts as uniform.
UNIFORM_REL_TOL: float = 0.01


def check_timestamps(time_s: ArrayLike) -> NDArray[np.float64]:
    """Check that timestamps are finite, strictly increasing and without duplicates.

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample times (s).

    Returns
    -------
    ndarray, shape (N,)
        ``time_s`` as float64.

    Raises
    ------
    BalanceInputError
        Empty, not 1-D, NaN/inf times, duplicated times, times going backwards.
    """
    t = np.asarray(time_s, dtype=np.float64)
    if t.ndim != 1:
        raise BalanceInputError(f"time_s must be 1-D, got shape {t.shape}: pass one timestamp per sample")
    if t.size == 0:
        raise BalanceInputError("the recording is empty (no samples): record a trial first")
    if not np.all(np.isfinite(t)):
        i = int(np.argmax(~np.isfinite(t)))
        raise BalanceInputError(
            f"timestamp {i} is {t[i]}: every sample needs a finite time in s; remove the rows without a time"
        )
    dt = np.diff(t)
    if np.any(dt == 0):
        k = np.flatnonzero(dt == 0)
        raise BalanceInputError(
            f"{k.size} duplicate timestamps (first at t={t[k[0]]:.6g} s, samples {k[0]} and {k[0] + 1}): two samples "
            "cannot share a time. A Wii Balance Board repeats identical *values* when polled too fast, never "
            "identical *times*, so the clock or the export is at fault: drop the duplicated rows or re-time them"
        )
    if np.any(dt < 0):
        k = np.flatnonzero(dt < 0)
        raise BalanceInputError(
            f"timestamps go backwards {k.size} time(s) (first between samples {k[0]} and {k[0] + 1}: "
            f"{t[k[0]]:.6g} s then {t[k[0] + 1]:.6g} s): sort the samples by time or fix the clock"
        )
    return t


def sampling_rate(
    time_s: NDArray[np.float64], *, nominal_fs_hz: float | None = None, rel_tol: float = UNIFORM_REL_TOL
) -> tuple[bool, float]:
    """Whether a stream is uniformly sampled, and its rate.

    Parameters
    ----------
    time_s : ndarray, shape (N,)
        Strictly increasing sample times (s), N >= 2.
    nominal_fs_hz : float, optional
        The rate the source claims (Hz); used as the rate when the timestamps agree with it to ``rel_tol``.
    rel_tol : float, optional
        Largest ``|Δt − median Δt| / median Δt`` of a uniform stream (default 1 %).

    Returns
    -------
    uniform : bool
    fs_hz : float
        The nominal rate when it agrees, else ``1 / median Δt`` (Hz).
    """
    if time_s.shape[0] < 2:
        raise BalanceInputError("a recording needs at least 2 samples to have a sampling rate: record a longer trial")
    dt = np.diff(time_s)
    med = float(np.median(dt))
    uniform = bool(np.max(np.abs(dt - med)) <= rel_tol * med)
    # Uniform: the mean interval is the best estimate; 9 significant digits drop the rounding of
    # timestamps written as text (0.010, 0.020, ... gives 100 Hz, not 99.99999999999).
    fs = (time_s.shape[0] - 1) / float(time_s[-1] - time_s[0]) if uniform else 1.0 / med
    fs = float(f"{fs:.9g}")
    if nominal_fs_hz is not None and abs(fs - nominal_fs_hz) <= rel_tol * nominal_fs_hz:
        fs = float(nominal_fs_hz)
    return uniform, fs


def drop_nan(
    time_s: NDArray[np.float64], cop_ml_mm: ArrayLike, cop_ap_mm: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int]:
    """Drop the samples whose CoP is NaN/inf (e.g. nobody on the board).

    The remaining samples keep their times, so a NaN run becomes a gap in the timestamps, which the
    resampler bridges when short and :func:`balance.resample.find_gaps` reports when long.

    Returns
    -------
    time_s, cop_ml_mm, cop_ap_mm : ndarray
        The finite samples.
    n_dropped : int
        How many samples were dropped.
    """
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    ap = np.asarray(cop_ap_mm, dtype=np.float64)
    if ml.shape != time_s.shape or ap.shape != time_s.shape:
        raise BalanceInputError(
            f"time_s, cop_ml_mm and cop_ap_mm must have the same length, got {time_s.shape}, {ml.shape}, "
            f"{ap.shape}: pass one CoP sample per timestamp"
        )
    ok = np.isfinite(ml) & np.isfinite(ap)
    n_bad = int(ok.size - np.count_nonzero(ok))
    if n_bad == 0:
        return time_s, ml, ap, 0
    if n_bad == ok.size:
        raise BalanceInputError(
            "every CoP sample is NaN (nobody on the board, or the load was under the threshold throughout): "
            "check that the person stood on the board during the recording"
        )
    return time_s[ok], ml[ok], ap[ok], n_bad


def check_duration(duration_s: float, *, min_duration_s: float = MIN_DURATION_S, what: str = "recording") -> None:
    """Raise if ``duration_s`` is shorter than ``min_duration_s`` (s)."""
    if not duration_s >= min_duration_s:
        raise BalanceInputError(
            f"the {what} is {duration_s:.3g} s long; at least {min_duration_s:g} s is needed: record a longer trial"
            + (" or trim less" if what != "recording" else "")
        )


def check_signal(cop_ml_mm: NDArray[np.float64], cop_ap_mm: NDArray[np.float64], *, check_units: bool = True) -> None:
    """Raise for a constant CoP, or (``check_units``) a range that looks like the wrong unit.

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        Finite CoP (mm).
    check_units : bool, optional
        Also check that the CoP range is plausible in mm for a standing person:
        between :data:`MIN_RANGE_MM` and :data:`MAX_RANGE_MM`.
    """
    r_ml = float(np.ptp(cop_ml_mm))
    r_ap = float(np.ptp(cop_ap_mm))
    if r_ml == 0.0 and r_ap == 0.0:
        raise BalanceInputError(
            f"the CoP is constant (ML {cop_ml_mm[0]:.6g} mm, AP {cop_ap_mm[0]:.6g} mm throughout): there is no sway "
            "to measure; check that someone stood on the board and that the file holds a real CoP"
        )
    if not check_units:
        return
    r = float(np.hypot(r_ml, r_ap))
    if r < MIN_RANGE_MM:
        raise BalanceInputError(
            f"the CoP moves only {r:.3g} mm over the whole recording (ML range {r_ml:.3g}, AP range {r_ap:.3g}); a "
            f"standing person sways more than {MIN_RANGE_MM:g} mm, so the CoP looks like it is in metres: "
            "convert it to mm (x 1000), or pass check_units=False if the sway really is that small"
        )
    if r > MAX_RANGE_MM:
        raise BalanceInputError(
            f"the CoP spans {r:.4g} mm (ML range {r_ml:.4g}, AP range {r_ap:.4g}); no board or plate is that large "
            f"(over {MAX_RANGE_MM:g} mm), so the CoP looks like it is in micrometres or wrongly scaled: convert it to "
            "mm, or pass check_units=False"
        )


def trim_start(
    time_s: NDArray[np.float64],
    cop_ml_mm: NDArray[np.float64],
    cop_ap_mm: NDArray[np.float64],
    *,
    trim_s: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Drop the first ``trim_s`` seconds (samples with ``t < t[0] + trim_s``).

    Raises
    ------
    BalanceInputError
        If ``trim_s`` is negative or not finite.
    """
    if not (np.isfinite(trim_s) and trim_s >= 0):
        raise BalanceInputError(f"trim_s={trim_s!r} must be a non-negative number of seconds")
    if trim_s == 0:
        return time_s, cop_ml_mm, cop_ap_mm
    keep = time_s >= time_s[0] + trim_s - 1e-9
    return time_s[keep], cop_ml_mm[keep], cop_ap_mm[keep]


def centre(
    cop_ml_mm: NDArray[np.float64], cop_ap_mm: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """Remove the mean (docs/methods.md §3.2 step 8).

    Returns
    -------
    cop_ml_mm, cop_ap_mm : ndarray
        Centred CoP (mm).
    mean_ml_mm, mean_ap_mm : float
        The removed means (mm).
    """
    m_ml = float(cop_ml_mm.mean())
    m_ap = float(cop_ap_mm.mean())
    return cop_ml_mm - m_ml, cop_ap_mm - m_ap, m_ml, m_ap
