"""Stabilogram-diffusion analysis (Collins & De Luca 1993, Exp Brain Res 95:308-318).

The CoP is treated as a random walk: the mean-square displacement ``⟨Δx²⟩(Δt)`` is plotted against the
time interval Δt and two straight regions are fitted, a short-term one and a long-term one
(``../shared/docs/posturography.md`` §1.4). Conventions used here:

* MSD for lags ``1 … M`` samples, ``M = min(max_lag_s·fs, N//3)`` (Collins & De Luca used intervals up
  to 10 s; Quijoux caps at a third of the record). Computed with an FFT autocorrelation and cumulative
  sums in O(N log N); identical (to rounding) to ``mean((x[m:] − x[:-m])²)`` per lag.
* The break between regions is the lag ``t_b`` in ``break_range_s`` (default 0.3–2.5 s, Quijoux's search
  range) that minimises the summed squared error of two straight-line fits in log-log coordinates
  (the regions share the break lag). Searched for all candidates at once with cumulative sums.
* Diffusion coefficients (Collins & De Luca): slope of the *linear* MSD fit in each region divided by 2
  for one axis (``⟨Δx²⟩ = 2DΔt``) and by 4 for the planar resultant (``⟨Δr²⟩ = 4DΔt``); mm²/s. This
  slope/2 vs slope/4 convention is the Einstein relation; posturography.md §1.4 marks it as not
  confirmed against the original paper. (Quijoux's "diffusion coefficients" are a different quantity,
  exp(intercept) of the log-log fits; see :mod:`balance.quijoux`.)
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
#: Range searched for the break between the short- and long-term regions (s), as Quijoux's SDA (posturography.md §1.4).
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
    nfft = 1 << int(np.ceil(np.log2(2 * n - 1)))
    spec = np.fft.rfft(x, nfft, axis=-1)
    acf = np.fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=-1)[..., : max_lag + 1]
    sq = x * x
    csum = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(sq, axis=-1)], axis=-1)
    lags = np.arange(max_lag + 1)
    total = csum[..., -1:]
    # Σ_{n=m}^{N-1} x² + Σ_{n=0}^{N-1-m} x²  −  2·Σ x[n]x[n+m]
    head = csum[..., n - lags]  # Σ_{n<N-m} x²
    tail = total - csum[..., lags]  # Σ_{n>=m} x²
    s = head + tail - 2.0 * acf
    msd = np.maximum(s, 0.0) / (n - lags)
    msd[..., 0] = 0.0
    return np.asarray(msd)


def _line_fits(t: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Cumulative sums for OLS fits of y on t over prefixes: returns (S1, St, Stt, Sy, Sty, Syy), each (L+1,)."""
    z = np.zeros(1)
    return tuple(np.concatenate([z, np.cumsum(v)]) for v in (np.ones_like(t), t, t * t, y, t * y, y * y))


def _ols(c: tuple[NDArray[np.float64], ...], a: NDArray[np.intp], b: NDArray[np.intp]) -> tuple[NDArray[np.float64], ...]:
    """Slope, intercept and SSE of OLS fits over index ranges [a, b) given prefix sums ``c``."""
    n, st, stt, sy, sty, syy = (v[b] - v[a] for v in c)
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = stt - st * st / n
        cty = sty - st * sy / n
        vy = syy - sy * sy / n
        slope = cty / vt
        intercept = (sy - slope * st) / n
        sse = np.maximum(vy - slope * cty, 0.0)
    return slope, intercept, sse


def _analyse_axis(
    t_s: NDArray[np.float64], msd: NDArray[np.float64], candidates: NDArray[np.intp], planar: bool
) -> dict[str, float]:
    """Fit one diffusion plot. ``t_s``/``msd`` exclude lag 0; ``candidates`` are break indices into them."""
    nan = float("nan")
    if np.any(msd <= 0) or candidates.size == 0:
        return dict(d_short=nan, d_long=nan, h_short=nan, h_long=nan, t_c=nan, msd_c=nan)
    lt = np.log(t_s)
    ly = np.log(msd)
    L = t_s.shape[0]
    cl = _line_fits(lt, ly)
    zero = np.zeros_like(candidates)
    end = np.full_like(candidates, L)
    s1, _, e1 = _ols(cl, zero, candidates + 1)  # short: indices 0..k
    s2, _, e2 = _ols(cl, candidates, end)  # long: indices k..L-1
    k = int(candidates[int(np.argmin(e1 + e2))])
    h_short = float(s1[candidates == k][0]) / 2.0
    h_long = float(s2[candidates == k][0]) / 2.0
    cy = _line_fits(t_s, msd)
    a_s, b_s, _ = (float(v[0]) for v in _ols(cy, np.array([0]), np.array([k + 1])))
    a_l, b_l, _ = (float(v[0]) for v in _ols(cy, np.array([k]), np.array([L])))
    div = 4.0 if planar else 2.0
    t_c = (b_l - b_s) / (a_s - a_l) if a_s != a_l else nan
    if not (np.isfinite(t_c) and t_s[0] <= t_c <= t_s[-1]):
        t_c = float(t_s[k])
    return dict(
        d_short=a_s / div, d_long=a_l / div, h_short=h_short, h_long=h_long, t_c=float(t_c), msd_c=a_s * t_c + b_s
    )


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
    msds = {"": msd2[0] + msd2[1], "_ml": msd2[0], "_ap": msd2[1]}
    t_s = np.arange(1, max_lag + 1) / fs_hz
    lo = max(int(np.ceil(break_range_s[0] * fs_hz)) - 1, 2)
    hi = min(int(np.floor(break_range_s[1] * fs_hz)) - 1, max_lag - 3)
    candidates = np.arange(lo, hi + 1) if hi >= lo else np.zeros(0, dtype=np.intp)
    for suffix, msd in msds.items():
        r = _analyse_axis(t_s, msd, candidates, planar=(suffix == ""))
        out[f"diffusion_short{suffix}_mm2_s"] = r["d_short"]
        out[f"diffusion_long{suffix}_mm2_s"] = r["d_long"]
        out[f"scaling_exponent_short{suffix}"] = r["h_short"]
        out[f"scaling_exponent_long{suffix}"] = r["h_long"]
        out[f"critical_time{suffix}_s"] = r["t_c"]
        out[f"critical_msd{suffix}_mm2"] = r["msd_c"]
    return out
