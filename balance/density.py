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
table of bounding boxes (a block is certainly inside the circle when the box corner farthest from
``p[i]`` is). One pass costs O(N log N) and each pass either finds an exit exactly or advances every
unfinished sample, so typical CoP needs a handful of passes, after which the few samples left are finished
by exact scans in short bands; no pairwise N×N distances are formed. Exact: equal to the brute-force
definition (tested). Measured: 1 ms for 30 s of quiet stance at 100 Hz (runs of ~1-10 s). The box test
can only certify blocks whose bounding box fits in the circle, so inputs that stay within ``R`` while
filling a box wider than ``R·√2`` (the CoP jumping between the corners of a triangle of side 0.97·R) need
many passes: 190 ms for 3000 such samples, growing about as N^1.7. No CoP trajectory we have seen does this.

Memory: up to :data:`_SPARSE_TABLE_BYTES` the table holds a box for every block start and every length
2**k (N log N memory, the fastest walk); longer recordings use boxes of *aligned* blocks only (a segment
tree: 2N boxes in all) walked like a segment-tree search, and the starts are processed in batches, so the
memory is linear: about 40 MiB at 300,000 samples (50 min at 100 Hz), against 470 MiB for the full table
(``bench/bench_density.py``). Both walks are exact.
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
#: Largest full sparse table (bytes); above it the linear-memory aligned-block walk is used.
_SPARSE_TABLE_BYTES = 32 * 1024 * 1024
_STARTS = 1 << 15  # starts walked together by the aligned walk (bounds its temporaries)


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
        cur[active] = _banded_exit(xp, yp, x[active], y[active], cur[active] + 1, m, r2) - 1
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
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    r2: float,
    tail: int = _TAIL,
    table_bytes: int | None = None,
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
    table_bytes : int, optional
        Largest full sparse table (bytes) before the linear-memory walk is used instead; default
        :data:`_SPARSE_TABLE_BYTES` (32 MiB, about 30,000 samples). Both give the same runs.

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
    p = 2 * n + 2
    if table_bytes is None:
        table_bytes = _SPARSE_TABLE_BYTES
    if 32 * p * max(int(p).bit_length(), 1) <= table_bytes:
        # Forward and backward runs in one pass: the record, a barrier point, the record reversed.
        xx = np.concatenate([x, [_BIG], x[::-1]])
        yy = np.concatenate([y, [_BIG], y[::-1]])
        run = _runs_forward(xx, yy, r2, skip=n, tail=tail)
    else:
        run = _runs_forward_aligned(x, y, r2, tail=tail)
    return run[:n] + run[n + 1 :][::-1]


def _level_sizes(p: int) -> list[int]:
    sizes = [p]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def _runs_forward_aligned(
    x: NDArray[np.float64], y: NDArray[np.float64], r2: float, *, tail: int = _TAIL
) -> NDArray[np.intp]:
    """Forward runs of ``[x, barrier, x reversed]`` (as :func:`_runs_forward` with ``skip=n``) in linear memory.

    Level k of the table holds the bounding box of every *aligned* block ``[j·2**k, (j+1)·2**k)`` (level 0:
    the points), so all levels together hold 2·(2N + 2) boxes. From the first sample not yet known to be
    inside, ``pos``, a start tests the aligned block of level ``k = min(trailing zeros of pos, top)``; a block
    certainly inside the circle (farthest box corner inside) moves ``pos`` past it, one that is not sends the
    test one level down, and a failed level-0 test is the exact exit. The starts are walked in batches of
    :data:`_STARTS`; the last ``tail`` of a batch are finished by exact banded scans, as in
    :func:`_runs_forward`.
    """
    n = x.shape[0]
    p = 2 * n + 2  # the record, a barrier, the record reversed, a barrier
    m = p - 1
    sizes = _level_sizes(p)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    # Level 0 of the high corners is the points themselves; low corners are stored from level 1 on.
    hx = np.empty(int(offsets[-1]))
    hy = np.empty(int(offsets[-1]))
    lx = np.empty(int(offsets[-1] - p))
    ly = np.empty(int(offsets[-1] - p))
    for h, v in ((hx, x), (hy, y)):
        h[:n] = v
        h[n] = _BIG
        h[n + 1 : 2 * n + 1] = v[::-1]
        h[2 * n + 1] = _BIG
    d4 = 4.0 * r2
    top = 0
    for lvl in range(1, len(sizes)):
        a, b = int(offsets[lvl - 1]), int(offsets[lvl])
        starts = np.arange(0, sizes[lvl - 1], 2)
        o, e = b - p, b - p + sizes[lvl]
        np.maximum.reduceat(hx[a:b], starts, out=hx[b : b + sizes[lvl]])
        np.maximum.reduceat(hy[a:b], starts, out=hy[b : b + sizes[lvl]])
        if lvl == 1:
            np.minimum.reduceat(hx[a:b], starts, out=lx[o:e])
            np.minimum.reduceat(hy[a:b], starts, out=ly[o:e])
        else:
            np.minimum.reduceat(lx[a - p : b - p], starts, out=lx[o:e])
            np.minimum.reduceat(ly[a - p : b - p], starts, out=ly[o:e])
        ex = hx[b : b + sizes[lvl]] - lx[o:e]
        ey = hy[b : b + sizes[lvl]] - ly[o:e]
        if not np.any(ex * ex + ey * ey <= d4):
            break  # no aligned block of this length fits in the circle: longer ones cannot either
        top = lvl
    off = offsets[: top + 1]
    run = np.zeros(m, dtype=np.intp)
    every = np.delete(np.arange(m), n)  # the barrier between the halves is no start
    for s0 in range(0, every.size, _STARTS):
        i = every[s0 : s0 + _STARTS]
        cx = hx[i]
        cy = hy[i]
        pos = i + 1
        k: NDArray[np.intp] = np.minimum(np.frexp((pos & -pos).astype(np.float64))[1] - 1, top)
        while i.size > tail:
            flat = off[k] + (pos >> k)
            bx = hx.take(flat)
            by = hy.take(flat)
            if top:
                low = np.maximum(flat - p, 0)
                z = k == 0
                ax = np.where(z, bx, lx.take(low))
                ay = np.where(z, by, ly.take(low))
            else:
                ax, ay = bx, by
            dx = np.maximum(bx - cx, cx - ax)
            dy = np.maximum(by - cy, cy - ay)
            ok = dx * dx + dy * dy <= r2
            done = ~ok & (k == 0)  # a level-0 test is exact: pos is the first sample outside
            if done.any():
                run[i[done]] = pos[done] - i[done] - 1
                keep = ~done
                i, cx, cy, pos, k, ok = i[keep], cx[keep], cy[keep], pos[keep], k[keep], ok[keep]
            pos = pos + np.where(ok, 1 << k, 0)
            k = np.where(ok, np.minimum(np.frexp((pos & -pos).astype(np.float64))[1] - 1, top), k - 1)
        if i.size:
            run[i] = _banded_exit(hx, hy, cx, cy, pos, m, r2) - i - 1
    return run


def _banded_exit(
    xp: NDArray[np.float64],
    yp: NDArray[np.float64],
    cx: NDArray[np.float64],
    cy: NDArray[np.float64],
    first: NDArray[np.intp],
    last: int,
    r2: float,
) -> NDArray[np.intp]:
    """First index ``>= first`` whose point is farther than ``sqrt(r2)`` from (cx, cy), by exact scans of _CHUNK samples.

    ``xp[last]`` must be a barrier (outside every circle).
    """
    exit_at: NDArray[np.intp] = first.copy()
    act: NDArray[np.intp] = np.arange(first.size)
    c = first.copy()
    cxc = cx[:, None]
    cyc = cy[:, None]
    steps = np.arange(_CHUNK)
    while act.size:
        j = np.minimum(c[:, None] + steps, last)
        ddx = xp.take(j) - cxc
        ddy = yp.take(j) - cyc
        out = ddx * ddx + ddy * ddy > r2
        found = out.any(axis=1)
        c = np.where(found, c + out.argmax(axis=1), c + _CHUNK)
        exit_at[act] = c
        keep = ~found
        act, c, cxc, cyc = act[keep], c[keep], cxc[keep], cyc[keep]
    return exit_at


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
