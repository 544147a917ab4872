"""Sway density (Baratto et al. 2002, Motor Control 6:246-270).

For every sample ``i`` the sway-density curve is the time the CoP stays within a circle of radius ``R``
centred on ``p[i]``: the number of *consecutive* samples around ``i`` (before and after, ``i`` itself not
counted) whose distance to ``p[i]`` is at most ``R``, divided by the sampling rate. The curve is then
low-passed (Baratto: 2.5 Hz; here the zero-phase 4th-order Butterworth of :mod:`balance.filters`) and its
peaks (strict local maxima) are summarised: mean peak height (s), mean distance between the CoP
positions of successive peaks (mm) and mean time between successive peaks (s). ``R = 3 mm`` by default,
Quijoux's default (docs/methods.md §1.5). The run definition (inside means ``distance <= R``) is the one
of Quijoux's ``stato.py``.

Complexity: the forward and backward exits of all samples are found together by binary lifting over a
sparse table of bounding boxes (a block is certainly inside the circle when the box corner farthest from
``p[i]`` is). One pass costs O(N log N) and each pass either finds an exit exactly or advances every
unfinished sample, so typical CoP needs a handful of passes, after which the few samples left are finished
by exact scans in short bands; no pairwise N×N distances are formed. Exact: equal to the brute-force
definition (tested). Measured: 1 ms for 30 s of quiet stance at 100 Hz (runs of ~1-10 s). The box test
can only certify blocks whose bounding box fits in the circle, so inputs that stay within ``R`` while
filling a box wider than ``R·√2`` (the CoP jumping between the corners of a triangle of side 0.97·R) need
many passes: 190 ms for 3000 such samples, growing about as N^1.7. No CoP trajectory we have seen does this.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_RADIUS_MM", "DEFAULT_CUTOFF_HZ", "run_lengths_within", "sway_density_curve", "sway_density_measures"]

#: Circle radius (mm): Quijoux default 0.3 cm (docs/methods.md §1.5).
DEFAULT_RADIUS_MM: float = 3.0
#: Low-pass cut-off of the sway-density curve (Hz), Baratto et al. 2002 (docs/methods.md §1.5).
DEFAULT_CUTOFF_HZ: float = 2.5

_BIG = 1e150  # barrier coordinate: farther than any radius from any real point, yet finite when squared
_TAIL = 150  # below this many unfinished samples, finish with exact banded scans
_CHUNK = 64  # width of one banded scan (samples)


def _runs_forward(
    x: NDArray[np.float64], y: NDArray[np.float64], r2: float, skip: int, tail: int = _TAIL
) -> NDArray[np.intp]:
    """For each i, how many consecutive samples after i have squared distance <= r2 to p[i] (``skip``: a barrier index).

    Binary lifting over a sparse table of bounding boxes: level k holds, for blocks [s, s + 2**k), the
    maxima of (x, −x, y, −y). A block is certainly inside the circle around c when its box corner
    farthest from c is, i.e. max(xmax − cx, cx − xmin)² + max(ymax − cy, cy − ymin)² <= r2. Descending the
    levels once per pass advances every sample as far as whole blocks allow; the single sample after it
    is then tested exactly. The few samples still unfinished after some passes are finished with exact
    distance scans in bands of _CHUNK samples (once ``tail`` or fewer are left: 0 for lifting only, a huge
    value for scans only).
    """
    m = x.shape[0]
    k_max = max(int(m - 1).bit_length() - 1, 0)
    # one barrier at the end: a block running off the end is clipped to the last block, which holds it
    xp = np.append(x, _BIG)
    yp = np.append(y, _BIG)
    p = m + 1
    # All levels in one allocation: one large block is kept by the allocator between calls, where a dozen
    # smaller ones are returned to the OS and page-faulted back in on every call (2x slower). Levels above
    # the last useful one are never written (nor touched).
    store = np.empty((k_max + 1, p, 4))
    store[0] = np.column_stack([xp, -xp, yp, -yp])
    tables = [store[0]]
    d4 = 4.0 * r2
    for k in range(1, k_max + 1):
        h = 1 << (k - 1)
        prev = tables[-1]
        size = prev.shape[0] - h
        nxt = np.maximum(prev[:size], prev[h : h + size], out=store[k, :size])
        ex = nxt[:, 0] + nxt[:, 1]
        ey = nxt[:, 2] + nxt[:, 3]
        if not np.any(ex * ex + ey * ey <= d4):
            break  # no block of this length fits in a circle of radius R: longer ones cannot either
        tables.append(nxt)
    top = len(tables) - 1
    cur = np.arange(m)
    active = np.delete(np.arange(m), skip) if skip >= 0 else np.arange(m)
    while active.size > tail:
        off = np.column_stack([x[active], -x[active], y[active], -y[active]])
        nxt = cur[active] + 1  # first sample not yet known to be inside
        for k in range(top, -1, -1):
            d = np.take(tables[k], nxt, axis=0, mode="clip")  # clipped to the last valid block start
            d -= off
            d *= d  # (xmax − cx) + (cx − xmin) >= 0, so max(a, b)² = max(a², b²)
            dd = np.maximum(d[:, 0], d[:, 1])
            dd += np.maximum(d[:, 2], d[:, 3])
            np.add(nxt, 1 << k, out=nxt, where=dd <= r2)
        cur[active] = nxt - 1
        nx = xp.take(nxt) - off[:, 0]
        ny = yp.take(nxt) - off[:, 2]
        active = active[nx * nx + ny * ny <= r2]
    if active.size:
        cx = x[active][:, None]
        cy = y[active][:, None]
        c = cur[active]
        steps = np.arange(1, _CHUNK + 1)
        while active.size:
            j = np.minimum(c[:, None] + steps, m)
            ddx = xp.take(j) - cx
            ddy = yp.take(j) - cy
            out = ddx * ddx + ddy * ddy > r2
            found = out.any(axis=1)
            c = np.where(found, c + out.argmax(axis=1), c + _CHUNK)
            cur[active] = c
            keep = ~found
            active, c, cx, cy = active[keep], c[keep], cx[keep], cy[keep]
    return cur - np.arange(m)


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
    return run_lengths_squared(cop_ml_mm, cop_ap_mm, r2=float(radius_mm) ** 2)


def run_lengths_squared(
    x: NDArray[np.float64], y: NDArray[np.float64], *, r2: float, tail: int = _TAIL
) -> NDArray[np.intp]:
    """:func:`run_lengths_within` with the inside test given as a squared-distance bound.

    Also serves :func:`balance.quijoux.sway_density`, whose inside test ``sqrt(d²) <= R`` is
    ``d² <= r2`` for a suitably rounded ``r2``.

    Parameters
    ----------
    x, y : ndarray, shape (N,)
        Points (mm, or any length unit), finite and below 1e100 in magnitude.
    r2 : float
        A sample ``j`` is inside the circle around ``i`` when ``dx² + dy² <= r2`` (unit²).
    tail : int, optional
        Below this many unfinished samples the runs are finished by exact banded scans.

    Returns
    -------
    ndarray of int, shape (N,)
        Samples before plus samples after ``i`` in the unbroken run inside the circle around ``p[i]``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    if n and not (np.abs(x).max() < 1e100 and np.abs(y).max() < 1e100):
        raise ValueError("the CoP must be finite and smaller than 1e100 mm in magnitude")
    # Forward and backward runs in one pass: the record, a barrier point, the record reversed.
    xx = np.concatenate([x, [_BIG], x[::-1]])
    yy = np.concatenate([y, [_BIG], y[::-1]])
    run = _runs_forward(xx, yy, r2, skip=n, tail=tail)
    return run[:n] + run[n + 1 :][::-1]


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
