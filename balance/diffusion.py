"""Stabilogram-diffusion analysis (Collins & De Luca 1993, Exp Brain Res 95:308-318).

The CoP is treated as a random walk: the mean-square displacement ``⟨Δx²⟩(Δt)`` is plotted against the
time interval Δt and two straight regions are fitted, a short-term one and a long-term one
(``docs/methods.md`` §1.4). Conventions used here:

* MSD for lags ``1 … M`` samples, ``M = min(max_lag_s·fs, N//3)`` (Collins & De Luca used intervals up
  to 10 s; Quijoux caps at a third of the record). Computed with an FFT autocorrelation and cumulative
  sums in O(N log N); identical (to rounding) to ``mean((x[m:] − x[:-m])²)`` per lag.
* The break between regions is the lag ``t_b`` in ``break_range_s`` (default 0.3–2.5 s, Quijoux's search
  range) that minimises the summed squared error of two straight-line fits in log-log coordinates
  (the regions share the break lag). Searched for all candidates at once with cumulative sums.
* Diffusion coefficients (Collins & De Luca 1993, Methods, "stabilogram-diffusion analysis"): the slope of
  the *linear* MSD fit in each region divided by 2, for one axis (``⟨Δx²⟩ = 2·D_x·Δt``) **and for the planar
  resultant** (``⟨Δr²⟩ = 2·D_r·Δt``); mm²/s. Since ``⟨Δr²⟩ = ⟨Δx²⟩ + ⟨Δy²⟩``, this makes
  ``D_r = D_x + D_y``: the planar coefficient is the sum of the per-axis ones, as in the paper (which
  treats the planar displacement like a one-dimensional one and reports D_rs, D_rl beside D_xs, D_ys),
  not the two-dimensional Einstein relation ``⟨Δr²⟩ = 4DΔt`` (which would give the mean ``(D_x + D_y)/2``
  and is what some later re-implementations use: compare conventions before comparing values).
  The convention is also the one of later published SDA definitions (e.g. J NeuroEng Rehabil
  2017, 14:19, doi:10.1186/s12984-017-0230-5, Fig. 1: D_s is half the slope of ⟨Δr²⟩); docs/methods.md §1.4.
  (Quijoux's "diffusion coefficients" are a different quantity, exp(intercept) of the log-log fits; see
  :mod:`balance.quijoux`.)
* Scaling exponents H: half the slope of the log-log fit in each region (H > 0.5 persistent, < 0.5
  anti-persistent).
* Critical point: the intersection of the two linear fits (``critical_time_s``, ``critical_msd_mm2``).
  When the lines do not cross inside the fitted lag range (near-parallel fits) the break lag ``t_b`` and
  the short-term fit's value there are reported instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["mean_square_displacement", "diffusion_measures", "DEFAULT_MAX_LAG_S", "DEFAULT_BREAK_RANGE_S"]

#: Longest interval of the diffusion plot (s): Collins & De Luca 1993 used up to 10 s.
DEFAULT_MAX_LAG_S: float = 10.0
#: Range searched for the break between the short- and long-term regions (s), as Quijoux's SDA (docs/methods.md §1.4).
DEFAULT_BREAK_RANGE_S: tuple[float, float] = (0.3, 2.5)


def mean_square_displacement(x: NDArray[np.float64], *, max_lag: int) -> NDArray[np.float64]:
    """Mean-square displacement for lags ``0 … max_lag`` samples, along the last axis.

    ``msd[m] = mean((x[m:] − x[:N−m])²)``, computed for all lags at once from an FFT
    autocorrelation and cumulative sums of ``x²`` (O(N log N)).

    Parameters
    ----------
    x : ndarray, shape (..., N)
        Signal(s) (mm). Centre it first for best rounding behaviour.
    max_lag : int
        Largest lag in samples, ``0 <= max_lag < N``.

    Returns
    -------
    ndarray, shape (..., max_lag + 1)
        MSD in mm² (``msd[..., 0] = 0``).
    """
    n = x.shape[-1]
    if not 0 <= max_lag < n:
        raise ValueError(f"max_lag={max_lag} must be in [0, N) with N={n} samples")
    import scipy.fft

    # zero padding to n + max_lag suffices: circular wrap-around then only reaches lags > max_lag
    nfft = scipy.fft.next_fast_len(n + max_lag, real=True)
    spec = scipy.fft.rfft(x, nfft, axis=-1)
    acf = scipy.fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=-1)[..., : max_lag + 1]
    csum = np.zeros(x.shape[:-1] + (n + 1,))
    np.cumsum(x * x, axis=-1, out=csum[..., 1:])
    lags = np.arange(max_lag + 1)
    total = csum[..., -1:]
    # Σ_{n=m}^{N-1} x² + Σ_{n=0}^{N-1-m} x²  −  2·Σ x[n]x[n+m]
    head = csum[..., n - lags]  # Σ_{n<N-m} x²
    tail = total - csum[..., lags]  # Σ_{n>=m} x²
    s = head + tail - 2.0 * acf
    msd = np.maximum(s, 0.0) / (n - lags)
    msd[..., 0] = 0.0
    return np.asarray(msd)


def _prefix_sums(t: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Prefix sums for OLS of y on t over index ranges.

    Returns ``ct`` of shape (3, L+1): prefix sums of (1, t, t²), shared by all series, and ``cy`` of
    shape (3, S, L+1): prefix sums of (y, t·y, y²) per series, for ``y`` of shape (S, L).
    """
    s, n = y.shape
    ct = np.zeros((3, n + 1))
    ct[0, 1:] = 1.0
    ct[1, 1:] = t
    ct[2, 1:] = t * t
    np.cumsum(ct, axis=-1, out=ct)  # in place; the leading zero column stays zero
    cy = np.zeros((3, s, n + 1))
    cy[0, :, 1:] = y
    cy[1, :, 1:] = t * y
    cy[2, :, 1:] = y * y
    np.cumsum(cy, axis=-1, out=cy)
    return ct, cy


def _ols(
    c: tuple[NDArray[np.float64], NDArray[np.float64]], a: NDArray[np.intp], b: NDArray[np.intp]
) -> tuple[NDArray[np.float64], ...]:
    """Slope, intercept and SSE of OLS fits over index ranges [a, b) (per series), from prefix sums ``c``.

    ``a`` and ``b`` have shape (S, C) (C ranges per series); results have shape (S, C).
    """
    ct, cy = c
    s, width = cy.shape[1], cy.shape[2]
    n, st, stt = np.take(ct, b, axis=1) - np.take(ct, a, axis=1)
    flat = cy.reshape(3, s * width)
    offs = (np.arange(s) * width)[:, None]
    sy, sty, syy = np.take(flat, b + offs, axis=1) - np.take(flat, a + offs, axis=1)
    # every range holds at least 3 distinct lags (the break search guarantees it): no zero divisor
    vt = stt - st * st / n
    cty = sty - st * sy / n
    vy = syy - sy * sy / n
    slope = cty / vt
    intercept = (sy - slope * st) / n
    sse = np.maximum(vy - slope * cty, 0.0)
    return slope, intercept, sse


def _analyse(
    t_s: NDArray[np.float64], msd: NDArray[np.float64], candidates: NDArray[np.intp], divisor: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Fit the diffusion plots ``msd`` (S, L) (lag 0 excluded) at once; ``candidates`` index the break lag."""
    s, L = msd.shape
    nan = np.full(s, np.nan)
    if candidates.size == 0 or L < 2:
        return dict(d_short=nan, d_long=nan, h_short=nan, h_long=nan, t_c=nan, msd_c=nan)
    ok = np.all(msd > 0, axis=1)
    ly = np.log(np.where(ok[:, None], msd, 1.0))  # rows with a zero MSD are reported as NaN below
    cl = _prefix_sums(np.log(t_s), ly)
    cand = np.broadcast_to(candidates, (s, candidates.size))
    zero = np.zeros_like(cand)
    end = np.full_like(cand, L)
    s1, _, e1 = _ols(cl, zero, cand + 1)  # short region: lags 0..k
    s2, _, e2 = _ols(cl, cand, end)  # long region: lags k..L-1
    best = np.argmin(e1 + e2, axis=1)
    r = np.arange(s)
    k = candidates[best]
    h_short = s1[r, best] / 2.0
    h_long = s2[r, best] / 2.0
    cy = _prefix_sums(t_s, msd)
    # per series: the short fit over lags [0, k], the long fit over [k, L)
    slope, icpt, _ = _ols(cy, np.column_stack([np.zeros_like(k), k]), np.column_stack([k + 1, np.full_like(k, L)]))
    a_s, b_s, a_l, b_l = slope[:, 0], icpt[:, 0], slope[:, 1], icpt[:, 1]
    den = a_s - a_l
    t_c = np.divide(b_l - b_s, den, out=np.full_like(den, np.nan), where=den != 0)
    inside = np.isfinite(t_c) & (t_c >= t_s[0]) & (t_c <= t_s[-1])
    t_c = np.where(inside, t_c, t_s[k])
    out = dict(d_short=a_s / divisor, d_long=a_l / divisor, h_short=h_short, h_long=h_long, t_c=t_c, msd_c=a_s * t_c + b_s)
    return {key: np.where(ok, v, np.nan) for key, v in out.items()}


def diffusion_measures(
    cop_ml_mm: NDArray[np.float64],
    cop_ap_mm: NDArray[np.float64],
    *,
    fs_hz: float,
    max_lag_s: float = DEFAULT_MAX_LAG_S,
    break_range_s: tuple[float, float] = DEFAULT_BREAK_RANGE_S,
) -> dict[str, float]:
    """Stabilogram-diffusion measures for ML, AP and the planar resultant (module docstring).

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        Uniformly sampled CoP (mm), centred.
    fs_hz : float
        Sampling rate (Hz).
    max_lag_s : float, optional
        Longest interval of the diffusion plot (s), default 10 s; capped at a third of the record.
    break_range_s : (float, float), optional
        Interval (s) searched for the break between the short- and long-term regions.

    Returns
    -------
    dict of str to float
        For each suffix ``s`` in ``("", "_ml", "_ap")`` (planar, ML, AP):
        ``diffusion_short{s}_mm2_s``, ``diffusion_long{s}_mm2_s``, ``scaling_exponent_short{s}``,
        ``scaling_exponent_long{s}``, ``critical_time{s}_s``, ``critical_msd{s}_mm2``. NaN when the
        record is too short for a break search (fewer than 3 lags on either side) or a MSD is zero.
    """
    n = cop_ml_mm.shape[0]
    max_lag = int(min(round(max_lag_s * fs_hz), n // 3))
    out: dict[str, float] = {}
    x = np.vstack([cop_ml_mm, cop_ap_mm])
    if max_lag >= 1:
        msd2 = mean_square_displacement(x, max_lag=max_lag)[:, 1:]
    else:
        msd2 = np.zeros((2, 0))
    msd3 = np.vstack([msd2[0] + msd2[1], msd2[0], msd2[1]]) if max_lag >= 1 else np.zeros((3, 0))
    t_s = np.arange(1, max_lag + 1) / fs_hz
    lo = max(int(np.ceil(break_range_s[0] * fs_hz)) - 1, 2)
    hi = min(int(np.floor(break_range_s[1] * fs_hz)) - 1, max_lag - 3)
    candidates = np.arange(lo, hi + 1) if hi >= lo else np.zeros(0, dtype=np.intp)
    # Collins & De Luca 1993: <Δr²> = 2·D_r·Δt for the planar resultant as for one axis, so D_r = D_x + D_y
    r = _analyse(t_s, msd3, candidates, np.array([2.0, 2.0, 2.0]))
    for i, suffix in enumerate(("", "_ml", "_ap")):
        out[f"diffusion_short{suffix}_mm2_s"] = float(r["d_short"][i])
        out[f"diffusion_long{suffix}_mm2_s"] = float(r["d_long"][i])
        out[f"scaling_exponent_short{suffix}"] = float(r["h_short"][i])
        out[f"scaling_exponent_long{suffix}"] = float(r["h_long"][i])
        out[f"critical_time{suffix}_s"] = float(r["t_c"][i])
        out[f"critical_msd{suffix}_mm2"] = float(r["msd_c"][i])
    return out
