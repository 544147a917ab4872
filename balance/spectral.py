"""Frequency-domain sway measures from one Welch power spectral density per axis.

PSD estimator (the same for every spectral measure, computed once per call): Welch's method with a
Hann window, segments of ``N//2`` samples, ``N//4`` overlap, FFT length ``N//2``, constant (mean)
detrend per segment, one-sided density scaling (mm²/Hz). These are the settings of the HBEDB
reference values (Duarte's ``psd2`` as called in ``BalanceDatasetAnalysis.ipynb``;
``docs/data-formats.md`` "Formats", ``COPmfreq``), so ``mean_power_frequency_hz`` reproduces
the published ``COPmfreq``.

Two families of measures use that PSD ``G(f)``:

* Prieto et al. 1996 (docs/methods.md §1.3), restricted to the band 0.15–5 Hz (upper edge capped at
  Nyquist): spectral moments ``μ_k = Σ f_m^k G[m] Δf``; total power ``μ₀`` (mm², the variance in the
  band), 50 %/95 % power frequency (smallest bin frequency where the cumulative power reaches the
  fraction), centroidal frequency ``√(μ₂/μ₀)`` and frequency dispersion ``√(1 − μ₁²/(μ₀μ₂))``.
* Duarte's mean power frequency over the whole one-sided spectrum 0…fs/2:
  ``mpf = ∫f·G df / ∫G df`` (trapezoid rule), per axis, and the HBEDB ``COPmfreq`` combination
  ``(mpf_AP·ΣG_AP + mpf_ML·ΣG_ML)/(ΣG_AP + ΣG_ML)`` (plain sums of the PSD bins as weights, exactly as
  the reference notebook computes it).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_BAND_HZ", "welch_psd", "spectral_measures"]

#: Band of the Prieto spectral measures (Hz), docs/methods.md §1.3 "Restrict to 0.15–5 Hz".
DEFAULT_BAND_HZ: tuple[float, float] = (0.15, 5.0)


@lru_cache(maxsize=32)
def _hann(nperseg: int) -> tuple[NDArray[np.float64], float]:
    from scipy.signal import get_window

    w = np.asarray(get_window("hann", nperseg), dtype=np.float64)  # periodic Hann, as scipy.signal.welch uses
    return w, float(w @ w)


def welch_psd(x: NDArray[np.float64], *, fs_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-sided Welch PSD with the HBEDB settings (module docstring), along the last axis.

    Numerically the same as ``scipy.signal.welch(x, fs_hz, window="hann", nperseg=N//2,
    noverlap=N//4, nfft=N//2, detrend="constant")`` (tested), computed with one batched real FFT over
    all segments of all rows.

    Parameters
    ----------
    x : ndarray, shape (..., N)
        Signal(s) in mm (any unit u; the PSD is then in u²/Hz). At least 8 samples.
    fs_hz : float
        Sampling rate (Hz).

    Returns
    -------
    f_hz : ndarray, shape (N//4 + 1,)
        Bin frequencies (Hz).
    psd : ndarray, shape (..., N//4 + 1)
        Power spectral density (mm²/Hz).
    """
    import scipy.fft

    n = x.shape[-1]
    if n < 8:
        raise ValueError(f"the signal has {n} samples; the Welch PSD needs at least 8")
    nperseg = n // 2
    step = nperseg - n // 4
    nseg = (n - nperseg) // step + 1
    win, wss = _hann(nperseg)
    seg = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)[..., ::step, :][..., :nseg, :]
    seg = (seg - seg.mean(axis=-1, keepdims=True)) * win  # constant detrend, then window
    spec = scipy.fft.rfft(seg, axis=-1)
    p = (spec.real**2 + spec.imag**2).mean(axis=-2) / (fs_hz * wss)
    # one-sided: double every bin but DC and (for even lengths) Nyquist
    if nperseg % 2:
        p[..., 1:] *= 2.0
    else:
        p[..., 1:-1] *= 2.0
    f = np.arange(p.shape[-1]) * (fs_hz / nperseg)
    return f, p


def _trapz(y: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    dx = np.diff(x)
    return np.asarray(((y[..., 1:] + y[..., :-1]) * dx).sum(axis=-1) / 2.0)


def spectral_measures(
    f_hz: NDArray[np.float64],
    psd_ml: NDArray[np.float64],
    psd_ap: NDArray[np.float64],
    *,
    band_hz: tuple[float, float] = DEFAULT_BAND_HZ,
) -> dict[str, float]:
    """Spectral sway measures from per-axis PSDs (module docstring for the definitions).

    Parameters
    ----------
    f_hz : ndarray, shape (M,)
        Uniformly spaced bin frequencies (Hz), starting at 0.
    psd_ml, psd_ap : ndarray, shape (M,)
        PSD of the ML and AP CoP (mm²/Hz).
    band_hz : (float, float), optional
        Band of the Prieto measures (Hz), default (0.15, 5.0); the upper edge is capped at the last bin.

    Returns
    -------
    dict of str to float
        ``total_power_{ml,ap}_mm2``, ``power_frequency_50_{ml,ap}_hz``, ``power_frequency_95_{ml,ap}_hz``,
        ``centroidal_frequency_{ml,ap}_hz``, ``frequency_dispersion_{ml,ap}``,
        ``mean_power_frequency_{ml,ap}_hz`` and ``mean_power_frequency_hz``. NaN where undefined
        (no power in the band or spectrum).
    """
    lo, hi = band_hz
    if not 0.0 <= lo < hi:
        raise ValueError(f"band_hz={band_hz!r} must be (low, high) with 0 <= low < high, in Hz")
    psd = np.vstack([psd_ml, psd_ap])
    df = float(f_hz[1] - f_hz[0])
    inband = (f_hz >= lo) & (f_hz <= hi)
    fb = f_hz[inband]
    g = psd[:, inband] * df  # power per bin, mm²
    mu0 = g.sum(axis=1)
    mu1 = g @ fb
    mu2 = g @ (fb * fb)
    cum = np.cumsum(g, axis=1)
    out: dict[str, float] = {}
    # Mean power frequency over the full spectrum (Duarte psd2: trapezoid integrals).
    area = _trapz(psd, f_hz)
    farea = _trapz(psd * f_hz, f_hz)
    sums = psd.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mpf = np.where(area > 0, farea / np.where(area > 0, area, 1.0), np.nan)
    for i, ax in enumerate(("ml", "ap")):
        total = float(mu0[i])
        ok = total > 0 and fb.size > 0
        out[f"total_power_{ax}_mm2"] = total if fb.size else float("nan")  # no bin in the band: undefined
        if ok:
            i50 = int(np.searchsorted(cum[i], 0.5 * total, side="left"))
            i95 = int(np.searchsorted(cum[i], 0.95 * total, side="left"))
            out[f"power_frequency_50_{ax}_hz"] = float(fb[min(i50, fb.size - 1)])
            out[f"power_frequency_95_{ax}_hz"] = float(fb[min(i95, fb.size - 1)])
            out[f"centroidal_frequency_{ax}_hz"] = float(np.sqrt(mu2[i] / total))
            disp = 1.0 - mu1[i] ** 2 / (total * mu2[i]) if mu2[i] > 0 else np.nan
            out[f"frequency_dispersion_{ax}"] = float(np.sqrt(max(disp, 0.0)))
        else:
            for k in ("power_frequency_50", "power_frequency_95", "centroidal_frequency"):
                out[f"{k}_{ax}_hz"] = float("nan")
            out[f"frequency_dispersion_{ax}"] = float("nan")
        out[f"mean_power_frequency_{ax}_hz"] = float(mpf[i])
    wsum = sums[0] + sums[1]
    if wsum > 0:
        # HBEDB COPmfreq: (mf_ap·ΣP_ap + mf_ml·ΣP_ml)/(ΣP_ap + ΣP_ml); an axis without power has weight 0.
        num = sum(float(mpf[i]) * float(sums[i]) for i in range(2) if sums[i] > 0)
        out["mean_power_frequency_hz"] = num / float(wsum)
    else:
        out["mean_power_frequency_hz"] = float("nan")
    return out
