"""Resampling of irregularly sampled streams onto a uniform time grid.

A Wii Balance Board delivers samples at irregular instants (mean 24-55 Hz with gaps of up to
0.55 s, ``docs/methods.md`` §0 item 5 and §3). Audiffren & Contal (2016,
Sensors 16:1208) show that linear or zero-order-hold interpolation biases CoP velocity; they
propose SWARII (Sliding Windows Weighted Averaged Interpolation), implemented here by
:func:`swarii`. :func:`window_average` is the plain (unweighted) moving-window mean.
:func:`find_gaps` reports the gaps that no window can honestly bridge.

Every function is vectorised: window bounds come from :func:`numpy.searchsorted` and window
sums from :func:`numpy.add.reduceat`; there is no Python loop over samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.errors import BalanceInputError

__all__ = ["swarii", "window_average", "find_gaps", "check_grid_size", "DEFAULT_MAX_SAMPLES", "EmptyWindowPolicy"]

#: Most samples a resampled (gap-filled) grid may have: 4,000,000 is 11 h at 100 Hz, 22 h at
#: 50 Hz. A guard against a mistaken rate (``fs_hz=1e9``) or timestamps far apart (a file whose
#: rows are 10**6 s apart), which would otherwise exhaust the memory; raise it per call with
#: ``max_samples``.
DEFAULT_MAX_SAMPLES: int = 4_000_000


def check_grid_size(duration_s: float, fs_hz: float, *, max_samples: int | None = DEFAULT_MAX_SAMPLES) -> int:
    """The number of grid points of ``duration_s`` at ``fs_hz``, refused above ``max_samples``.

    Checked before the grid is allocated.

    Parameters
    ----------
    duration_s : float
        Span of the stream (s).
    fs_hz : float
        Grid rate (Hz).
    max_samples : int or None, optional
        The cap; None for no cap.

    Returns
    -------
    int
        ``floor(duration_s * fs_hz) + 1``.

    Raises
    ------
    BalanceInputError
        More grid points than ``max_samples``; the message names the cap and how to raise it.
    """
    n = float(duration_s) * float(fs_hz)
    if max_samples is not None and not n + 1 <= max_samples:
        raise BalanceInputError(
            f"resampling {duration_s:.6g} s at {fs_hz:g} Hz would make {n:.3g} samples, over the cap of "
            f"{int(max_samples):,} (max_samples, a guard against exhausting the memory): lower the rate "
            "(fs_hz, --fs-hz), cut the recording, or, if this is intended, raise the cap "
            "(`balance analyze --max-samples N`; Python: max_samples=N)"
        )
    return int(np.floor(n + 1e-9)) + 1

#: What to do with grid points whose window holds no sample: ``"linear"`` interpolates them
#: linearly from the neighbouring non-empty windows (the SWARII reference behaviour),
#: ``"previous"`` holds the previous value, ``"nan"`` leaves NaN. With ``"linear"`` and
#: ``"previous"``, empty windows before the first or after the last non-empty window are
#: dropped from the output rather than extrapolated.
EmptyWindowPolicy = Literal["linear", "previous", "nan"]


def _check_time(time_s: ArrayLike, *, min_samples: int = 2) -> NDArray[np.float64]:
    t = np.asarray(time_s, dtype=np.float64)
    if t.ndim != 1:
        raise BalanceInputError(
            f"time_s has shape {t.shape}; a 1-D array of timestamps in s is needed: "
            "pass a flat array (use .ravel() on an (N, 1) column)"
        )
    if t.size < min_samples:
        raise BalanceInputError(
            f"time_s has {t.size} sample(s); at least {min_samples} are needed: "
            "record a longer stream"
        )
    if not np.all(np.isfinite(t)):
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise BalanceInputError(
            f"time_s[{bad}] is {t[bad]}; timestamps must be finite: drop the samples "
            "without a timestamp"
        )
    dt = np.diff(t)
    if np.any(dt <= 0):
        bad = int(np.flatnonzero(dt <= 0)[0])
        what = "duplicate" if dt[bad] == 0 else "decreasing"
        raise BalanceInputError(
            f"time_s is not strictly increasing: time_s[{bad}]={t[bad]!r} s and "
            f"time_s[{bad + 1}]={t[bad + 1]!r} s are {what}; sort the samples by time and "
            "drop duplicate timestamps"
        )
    return t


def _check_values(values: ArrayLike, n: int) -> tuple[NDArray[np.float64], bool]:
    v = np.asarray(values, dtype=np.float64)
    one_d = v.ndim == 1
    if one_d:
        v = v[:, None]
    if v.ndim != 2 or v.shape[0] != n:
        raise BalanceInputError(
            f"values has shape {np.shape(values)}; (N,) or (N, k) with N={n} (the length of "
            "time_s) is needed: pass one row per timestamp"
        )
    if not np.all(np.isfinite(v)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(v), axis=1))[0])
        raise BalanceInputError(
            f"values row {bad} (time {bad}) is not finite; resampling needs finite values: "
            "drop the rows containing NaN or inf (with their timestamps) first"
        )
    return v, one_d


def _check_positive(name: str, value: float) -> float:
    x = float(value)
    if not (np.isfinite(x) and x > 0):
        raise BalanceInputError(f"{name}={value!r} must be a positive, finite number")
    return x


def _segment_sums(a: NDArray[np.float64], start: NDArray[np.intp], stop: NDArray[np.intp]) -> (
    NDArray[np.float64]
):
    """Sums of ``a[start[i]:stop[i]]`` along axis 0 (0 where the segment is empty).

    Uses :func:`numpy.add.reduceat` on interleaved bounds: each segment is summed on its own
    (no difference of cumulative sums, hence no cancellation error).
    """
    m = a.shape[0]
    padded = np.concatenate([a, np.zeros((1,) + a.shape[1:])], axis=0)
    start_c = np.minimum(start, m)
    stop_c = np.minimum(stop, m)
    idx = np.empty(2 * start.size, dtype=np.intp)
    idx[0::2] = start_c
    idx[1::2] = stop_c
    if idx.size == 0:
        return np.zeros((0,) + a.shape[1:])
    sums: NDArray[np.float64] = np.add.reduceat(padded, idx, axis=0)[0::2]
    sums[stop_c <= start_c] = 0.0
    return sums


def _fill_empty(
    t_grid: NDArray[np.float64],
    out: NDArray[np.float64],
    filled: NDArray[np.bool_],
    empty: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Apply the empty-window policy to grid values ``out`` (rows where ``~filled`` are empty)."""
    if empty not in ("linear", "previous", "nan"):
        raise BalanceInputError(
            f"empty={empty!r} is not a known policy: use 'linear', 'previous' or 'nan'"
        )
    if filled.all():
        return t_grid, out
    out[~filled] = np.nan
    if empty == "nan":
        return t_grid, out
    ok = np.flatnonzero(filled)
    first, last = ok[0], ok[-1]
    t_grid = t_grid[first : last + 1]
    out = out[first : last + 1]
    ok = ok - first
    if empty == "linear":
        for j in range(out.shape[1]):  # loop over signal columns, not samples
            out[:, j] = np.interp(t_grid, t_grid[ok], out[ok, j])
    else:  # previous: index of the last non-empty row at or before each row
        prev = np.maximum.accumulate(np.where(np.isnan(out[:, 0]), 0, np.arange(out.shape[0])))
        out = out[prev]
    return t_grid, out


def _blank_gaps(
    t: NDArray[np.float64],
    t_grid: NDArray[np.float64],
    out: NDArray[np.float64],
    max_gap_s: float | None,
) -> NDArray[np.float64]:
    """Set to NaN the grid points that fall strictly inside a gap longer than ``max_gap_s``."""
    if max_gap_s is None:
        return out
    gaps = find_gaps(t, max_gap_s=max_gap_s)
    if gaps.size:
        k = np.searchsorted(gaps[:, 0], t_grid, side="right") - 1
        inside = (k >= 0) & (t_grid > gaps[np.maximum(k, 0), 0]) & (
            t_grid < gaps[np.maximum(k, 0), 1]
        )
        out[inside] = np.nan
    return out


def swarii(
    time_s: ArrayLike,
    values: ArrayLike,
    *,
    fs_hz: float,
    window_s: float = 0.08,
    empty: EmptyWindowPolicy = "linear",
    max_gap_s: float | None = None,
    max_samples: int | None = DEFAULT_MAX_SAMPLES,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Resample an irregular stream onto a uniform grid with SWARII.

    SWARII (Audiffren & Contal 2016, Sensors 16:1208; ``docs/methods.md``
    §2.1 and §3) gives each grid instant ``c`` the time-weighted mean of the samples ``i``
    with ``|t_i - c| < window_s / 2``. Sample ``i`` weighs the length of the interval it
    "owns": from the midpoint with its predecessor to the midpoint with its successor, the
    first and last owned intervals being clipped to the window and to the record. A window
    holding a single sample takes that sample's value.

    Every grid point whose window holds a sample gets the value of the authors' reference
    implementation (``Local_SWARII.resample`` in ``Jythen/code_descriptors_postural_control``)
    to rounding error (1 ulp in our comparisons), for any input whose first timestamp is >= 0:
    the grid starts at ``time_s[0]``, advances by repeated addition of ``1 / fs_hz`` (as the
    reference does, so that grid points on a window edge fall on the same side) and stops
    before ``time_s[-1]``. Where windows are empty the reference moves to a new grid
    (``arange`` between the first and last filled windows, last point dropped); that quirk and
    its artefact purge, which assumes cm, live in :func:`balance.quijoux.preprocess_signal`.

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample instants (s), strictly increasing.
    values : array_like, shape (N,) or (N, k)
        Sample values (any unit; the output has the same unit), finite.
    fs_hz : float
        Output sampling rate (Hz). Keyword-only.
    window_s : float, optional
        Width of the sliding window (s). Default 0.08 s, the value used by Quijoux et al.
        2021 for 25 Hz output (their code passes ``0.08 - 1e-6``).
    empty : {"linear", "previous", "nan"}, optional
        Policy for grid points whose window holds no sample (see :data:`EmptyWindowPolicy`).
        Default ``"linear"``, as in the reference implementation.
    max_gap_s : float or None, optional
        If given, grid points strictly inside a gap between consecutive samples longer than
        this (s) are NaN whatever ``empty`` says: long gaps are reported, not bridged. Use
        :func:`find_gaps` to list them.
    max_samples : int or None, optional
        Most grid points allowed (:func:`check_grid_size`), checked before the grid is built;
        default :data:`DEFAULT_MAX_SAMPLES`, None for no cap.

    Returns
    -------
    t_uniform_s : ndarray, shape (M,)
        Grid instants (s), spaced ``1 / fs_hz``.
    values_uniform : ndarray, shape (M,) or (M, k)
        Resampled values, same unit and same number of columns as ``values``.

    Raises
    ------
    BalanceInputError
        If ``time_s`` is not 1-D, finite and strictly increasing, if ``values`` does not
        match it or is not finite, or if ``fs_hz`` or ``window_s`` is not positive.
    """
    t = _check_time(time_s)
    v, one_d = _check_values(values, t.size)
    fs = _check_positive("fs_hz", fs_hz)
    window = _check_positive("window_s", window_s)
    if max_gap_s is not None:
        _check_positive("max_gap_s", max_gap_s)

    check_grid_size(float(t[-1] - t[0]), fs, max_samples=max_samples)
    # Grid by repeated addition (sequential np.cumsum), stopping strictly before t[-1].
    step = 1.0 / fs
    n_max = int(np.ceil((t[-1] - t[0]) * fs)) + 2
    c = np.cumsum(np.concatenate([[t[0]], np.full(n_max, step)]))
    c = c[: int(np.searchsorted(c, t[-1], side="left"))]

    # Window membership |t_i - c| < h, i.e. -h < t_i - c < h evaluated exactly as written;
    # searchsorted gives the bounds up to rounding, then one-step corrections (t_i - c is
    # monotone in i) make them exact; they stop as soon as none is needed (usually at once).
    h = window * 0.5
    m = t.size
    lo = np.searchsorted(t, c - h, side="right")
    hi = np.searchsorted(t, c + h, side="left")  # one past the last member
    tp = np.concatenate([[-np.inf], t, [np.inf]])  # tp[i + 1] = t[i], padded at both ends
    while True:
        # lo: t[lo - 1] must be out (t - c <= -h) and t[lo] in (t - c > -h)
        back = tp.take(lo) - c > -h
        fwd = ~(tp.take(lo + 1) - c > -h) & (lo < m)
        # hi: t[hi - 1] must be in (t - c < h) and t[hi] out
        hback = ~(tp.take(hi) - c < h) & (hi > 0)
        hfwd = tp.take(hi + 1) - c < h
        if not (back.any() or fwd.any() or hback.any() or hfwd.any()):
            break
        lo = lo - back + fwd
        hi = hi - hback + hfwd
    count = hi - lo

    mid = 0.5 * (t[1:] + t[:-1])  # boundary between sample j and j+1
    own = np.zeros(m)  # interval owned by an interior sample j: mid[j] - mid[j-1]
    own[1:-1] = mid[1:] - mid[:-1]

    # per column (1-D gathers and reductions are much faster than row gathers of (N, k))
    out: NDArray[np.float64] = np.full((v.shape[1], c.size), np.nan)
    one = np.flatnonzero(count == 1)
    many = np.flatnonzero(count >= 2)
    lo_one = lo.take(one)
    if many.size:
        lo_m, last_m, c_m = lo.take(many), hi.take(many) - 1, c.take(many)
        w_first = mid.take(lo_m) - np.maximum(t[0], c_m - h)
        w_last = np.minimum(t[-1], c_m + h) - mid.take(last_m - 1)
        den = w_first + _segment_sums(own, lo_m + 1, last_m) + w_last
    for j in range(v.shape[1]):  # loop over signal columns, not samples
        col = np.ascontiguousarray(v[:, j])
        out[j, one] = col.take(lo_one)
        if many.size:
            inner = _segment_sums(col * own, lo_m + 1, last_m)
            out[j, many] = (col.take(lo_m) * w_first + inner + col.take(last_m) * w_last) / den
    out = np.ascontiguousarray(out.T)

    t_out, out = _fill_empty(c, out, count >= 1, empty)
    out = _blank_gaps(t, t_out, out, max_gap_s)
    return t_out, (out[:, 0] if one_d else out)


def window_average(
    time_s: ArrayLike,
    values: ArrayLike,
    *,
    fs_hz: float,
    window_s: float,
    empty: EmptyWindowPolicy = "linear",
    max_gap_s: float | None = None,
    max_samples: int | None = DEFAULT_MAX_SAMPLES,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Resample an irregular stream onto a uniform grid by unweighted window averaging.

    Grid instant ``t_k = time_s[0] + k / fs_hz`` (for every ``t_k <= time_s[-1]``) takes the
    arithmetic mean of the samples with ``t_k - window_s/2 <= t_i < t_k + window_s/2``. With
    ``window_s = 1 / fs_hz`` every sample belongs to exactly one window (binning); a wider
    window smooths more. Averaging rather than interpolating keeps the CoP velocity
    unbiased (Audiffren & Contal 2016; ``docs/methods.md`` §3).

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample instants (s), strictly increasing.
    values : array_like, shape (N,) or (N, k)
        Sample values (any unit; the output has the same unit), finite.
    fs_hz : float
        Output sampling rate (Hz). Keyword-only.
    window_s : float
        Width of the averaging window (s). Keyword-only.
    empty : {"linear", "previous", "nan"}, optional
        Policy for grid points whose window holds no sample (see :data:`EmptyWindowPolicy`).
    max_gap_s : float or None, optional
        If given, grid points strictly inside a gap longer than this (s) are NaN.
    max_samples : int or None, optional
        Most grid points allowed (:func:`check_grid_size`); default :data:`DEFAULT_MAX_SAMPLES`.

    Returns
    -------
    t_uniform_s : ndarray, shape (M,)
        Grid instants (s).
    values_uniform : ndarray, shape (M,) or (M, k)
        Window means, same unit and number of columns as ``values``.

    Raises
    ------
    BalanceInputError
        On malformed time stamps or values, or non-positive ``fs_hz`` / ``window_s``.
    """
    t = _check_time(time_s)
    v, one_d = _check_values(values, t.size)
    fs = _check_positive("fs_hz", fs_hz)
    window = _check_positive("window_s", window_s)
    if max_gap_s is not None:
        _check_positive("max_gap_s", max_gap_s)

    check_grid_size(float(t[-1] - t[0]), fs, max_samples=max_samples)
    n_grid = int(np.floor((t[-1] - t[0]) * fs + 1e-9)) + 1
    c = t[0] + np.arange(n_grid) / fs
    lo = np.searchsorted(t, c - 0.5 * window, side="left")
    hi = np.searchsorted(t, c + 0.5 * window, side="left")
    count = hi - lo
    sums = _segment_sums(v, lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / count[:, None]
    t_out, out = _fill_empty(c, out, count >= 1, empty)
    out = _blank_gaps(t, t_out, out, max_gap_s)
    return t_out, (out[:, 0] if one_d else out)


def find_gaps(time_s: ArrayLike, *, max_gap_s: float) -> NDArray[np.float64]:
    """List the gaps between consecutive samples that are longer than ``max_gap_s``.

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample instants (s), strictly increasing.
    max_gap_s : float
        Longest tolerated interval between consecutive samples (s). Keyword-only.

    Returns
    -------
    gaps : ndarray, shape (G, 2)
        One row ``(start_s, stop_s)`` per gap: the instants of the last sample before and
        the first sample after it, so ``stop_s - start_s > max_gap_s``. Shape (0, 2) when
        there is none.

    Raises
    ------
    BalanceInputError
        If ``time_s`` is not 1-D, finite and strictly increasing, or ``max_gap_s`` is not
        positive.
    """
    t = _check_time(time_s, min_samples=1)
    _check_positive("max_gap_s", max_gap_s)
    k = np.flatnonzero(np.diff(t) > max_gap_s)
    return np.column_stack([t[k], t[k + 1]]) if k.size else np.zeros((0, 2))
