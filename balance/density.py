"""Sway density (Baratto et al. 2002, Motor Control 6:246-270).

For every sample ``i`` the sway-density curve is the time the CoP stays within a circle of radius ``R``
centred on ``p[i]``: the number of *consecutive* samples around ``i`` (before and after, ``i`` itself not
counted) whose distance to ``p[i]`` is at most ``R``, divided by the sampling rate. The curve is then
low-passed (Baratto: 2.5 Hz; here the zero-phase 4th-order Butterworth of :mod:`balance.filters`) and its
peaks (strict local maxima) are summarised: mean peak height (s), mean distance between the CoP
positions of successive peaks (mm) and mean time between successive peaks (s). ``R = 3 mm`` by default,
Quijoux's default (posturography.md §1.5). The run definition (inside means ``distance <= R``) is the one
of Quijoux's ``stato.py``.

Complexity: the forward and backward exits of all samples are found together by binary lifting over a
sparse table of bounding boxes (a block is certainly inside the circle when the box corner farthest from
``p[i]`` is). One pass costs O(N log N) and each pass either finds an exit exactly or advances every
unfinished sample, so typical CoP needs a handful of passes; no pairwise N×N distances are formed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_RADIUS_MM", "DEFAULT_CUTOFF_HZ", "run_lengths_within", "sway_density_curve", "sway_density_measures"]

#: Circle radius (mm): Quijoux default 0.3 cm (posturography.md §1.5).
DEFAULT_RADIUS_MM: float = 3.0
#: Low-pass cut-off of the sway-density curve (Hz), Baratto et al. 2002 (posturography.md §1.5).
DEFAULT_CUTOFF_HZ: float = 2.5

_MAX_LEVEL = 16  # blocks up to 65 536 samples; longer stays take extra passes, never wrong results


def _forward_exit(x: NDArray[np.float64], y: NDArray[np.float64], r2: float) -> NDArray[np.intp]:
    """For each i, the number of consecutive samples after i within distance sqrt(r2) of p[i]."""
    n = x.shape[0]
    # Sparse tables of block minima/maxima: level k holds blocks [j, j + 2**k) for j <= n - 2**k.
    levels = [(x, x, y, y)]
    k = 1
    while (1 << k) <= n and k <= _MAX_LEVEL:
        h = 1 << (k - 1)
        xn, xx, yn, yx = levels[-1]
        m = n - (1 << k) + 1
        levels.append(
            (
                np.minimum(xn[:m], xn[h : h + m]),
                np.maximum(xx[:m], xx[h : h + m]),
                np.minimum(yn[:m], yn[h : h + m]),
                np.maximum(yx[:m], yx[h : h + m]),
            )
        )
        k += 1
    cur = np.arange(n)  # last index known to be inside, per sample
    active = np.arange(n)  # samples whose exit is not yet known
    while active.size:
        cx, cy = x[active], y[active]
        c = cur[active]
        for lev in range(len(levels) - 1, -1, -1):
            size = 1 << lev
            ok = c + size <= n - 1
            if not ok.any():
                continue
            idx = np.nonzero(ok)[0]
            start = c[idx] + 1
            xn, xx, yn, yx = (a[start] for a in levels[lev])
            ccx, ccy = cx[idx], cy[idx]
            dx = np.maximum(np.abs(xx - ccx), np.abs(xn - ccx))
            dy = np.maximum(np.abs(yx - ccy), np.abs(yn - ccy))
            inside = dx * dx + dy * dy <= r2
            c[idx[inside]] += size
        cur[active] = c
        # Exact check of the next sample: outside (or end of record) means the exit is found.
        nxt = c + 1
        at_end = nxt >= n
        nxt_c = np.minimum(nxt, n - 1)
        ddx = x[nxt_c] - cx
        ddy = y[nxt_c] - cy
        done = at_end | (ddx * ddx + ddy * ddy > r2)
        active = active[~done]
    return cur - np.arange(n)


def run_lengths_within(
    cop_ml_mm: NDArray[np.float64], cop_ap_mm: NDArray[np.float64], *, radius_mm: float
) -> NDArray[np.intp]:
    """Number of consecutive samples around each sample (itself excluded) within ``radius_mm`` of it.

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        CoP (mm).
    radius_mm : float
        Circle radius (mm); a sample at exactly ``radius_mm`` is inside.

    Returns
    -------
    ndarray of int, shape (N,)
        Samples before plus samples after ``i`` in the unbroken run inside the circle around ``p[i]``.
    """
    if not radius_mm > 0:
        raise ValueError(f"radius_mm={radius_mm!r} must be positive (3 mm is the usual choice)")
    x = np.ascontiguousarray(cop_ml_mm, dtype=np.float64)
    y = np.ascontiguousarray(cop_ap_mm, dtype=np.float64)
    r2 = float(radius_mm) ** 2
    fwd = _forward_exit(x, y, r2)
    bwd = _forward_exit(x[::-1].copy(), y[::-1].copy(), r2)[::-1]
    return fwd + bwd


def sway_density_curve(
    cop_ml_mm: NDArray[np.float64],
    cop_ap_mm: NDArray[np.float64],
    *,
    fs_hz: float,
    radius_mm: float = DEFAULT_RADIUS_MM,
    cutoff_hz: float | None = DEFAULT_CUTOFF_HZ,
) -> NDArray[np.float64]:
    """The sway-density curve (s), optionally low-passed (module docstring).

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        Uniformly sampled CoP (mm).
    fs_hz : float
        Sampling rate (Hz).
    radius_mm : float, optional
        Circle radius (mm), default 3 mm.
    cutoff_hz : float or None, optional
        Zero-phase 4th-order Butterworth low-pass of the curve (Hz), default 2.5 Hz; None for the raw
        curve.

    Returns
    -------
    ndarray, shape (N,)
        Time spent within ``radius_mm`` of each sample (s).
    """
    curve = run_lengths_within(cop_ml_mm, cop_ap_mm, radius_mm=radius_mm) / float(fs_hz)
    if cutoff_hz is None:
        return curve
    from balance.filters import lowpass

    return lowpass(curve, fs_hz=fs_hz, cutoff_hz=cutoff_hz, order=4)


def sway_density_measures(
    cop_ml_mm: NDArray[np.float64],
    cop_ap_mm: NDArray[np.float64],
    *,
    fs_hz: float,
    radius_mm: float = DEFAULT_RADIUS_MM,
    cutoff_hz: float = DEFAULT_CUTOFF_HZ,
) -> dict[str, float]:
    """Peaks of the sway-density curve: height, spacing in space and time (module docstring).

    Returns
    -------
    dict of str to float
        ``sway_density_mean_peak_s``, ``sway_density_mean_distance_mm``, ``sway_density_mean_interval_s``
        (NaN when fewer than one / two peaks exist).
    """
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    ap = np.asarray(cop_ap_mm, dtype=np.float64)
    curve = sway_density_curve(ml, ap, fs_hz=fs_hz, radius_mm=radius_mm, cutoff_hz=cutoff_hz)
    pk = np.nonzero((curve[1:-1] > curve[:-2]) & (curve[1:-1] > curve[2:]))[0] + 1
    nan = float("nan")
    out = {
        "sway_density_mean_peak_s": float(curve[pk].mean()) if pk.size else nan,
        "sway_density_mean_distance_mm": nan,
        "sway_density_mean_interval_s": nan,
    }
    if pk.size >= 2:
        out["sway_density_mean_distance_mm"] = float(np.hypot(np.diff(ml[pk]), np.diff(ap[pk])).mean())
        out["sway_density_mean_interval_s"] = float(np.diff(pk).mean() / fs_hz)
    return out
