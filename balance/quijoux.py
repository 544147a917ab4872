"""The 72 CoP features of Quijoux et al. 2021, with the same definitions, keys and units.

Quijoux F, Nicolaï A, Chairi I, et al. *A review of center of pressure (COP) variables to
quantify standing balance in elderly people: algorithms and open-access code.* Physiol Rep
2021;9(22):e15067, doi 10.14814/phy2.15067. Their code (``Jythen/code_descriptors_postural_control``
@ c66a0e4, MIT) is the definition reproduced here: :func:`features` returns the dict their
``compute_all_features`` returns, key for key, to rounding error (``docs/methods.md``
§2.1). Researchers can therefore reproduce that review's numbers with this package.

Units follow the authors, not the rest of this package: their input is in **cm** and so are
their outputs (cm, cm/s, cm², Hz, s...; see :data:`QUIJOUX_UNITS`). :func:`features` takes the
CoP in mm (this package's convention) and divides by 10 before anything else.

What is computed differently (same result, faster): the 2-D range is
:func:`balance.sway.max_distance` (bounding-box pre-filter, then few pairs or the convex hull's
antipodal pairs) instead of all pairs; sway density takes the run counts of
:mod:`balance.density` (binary lifting over a sparse table of bounding boxes); the diffusion plot uses
FFT autocorrelation; the OLS fits of the stabilogram-diffusion analysis (all candidate
breakpoints at once, from prefix sums) and the PCA are closed-form NumPy; the Welch PSD,
Savitzky-Golay derivative and ``filtfilt`` are re-implemented with cached designs; SWARII is
:func:`balance.resample.swarii`. No statsmodels or scikit-learn is needed.

The reference also defines ``vfy`` (speed variance over mean AP position) but never returns
it (its axis label is missing from the list it iterates), so it is not among the 72 keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance import density as _density
from balance.errors import BalanceInputError
from balance.resample import DEFAULT_MAX_SAMPLES, swarii
from balance.sway import max_distance

__all__ = [
    "QUIJOUX_KEYS",
    "QUIJOUX_UNITS",
    "ISOTROPY_REL_TOL",
    "features",
    "preprocess_signal",
    "purge_artefacts",
    "range_2d",
    "sway_density",
]

# --------------------------------------------------------------------------------------------
# Keys (in the order of the reference's compute_all_features) and their units.
# --------------------------------------------------------------------------------------------

_ML, _AP, _R, _MLAP = "ML", "AP", "Radius", "ML_AND_AP"
_PSD_ML, _PSD_AP = "Power_Spectrum_Density_ML", "Power_Spectrum_Density_AP"
_SPD_ML, _SPD_AP = "SPD_ML", "SPD_AP"
_DIFF_ML, _DIFF_AP, _SWD = "Diffusion_ML", "Diffusion_AP", "Sway_Density"

_UNIT_OF_FEATURE: dict[str, tuple[str, tuple[str, ...]]] = {
    # feature name: (unit, axes), in the reference's order
    "mean_value": ("cm", (_ML, _AP)),
    "mean_distance": ("cm", (_ML, _AP, _R)),
    "maximal_distance": ("cm", (_ML, _AP, _R)),
    "rms": ("cm", (_ML, _AP, _R)),
    "range": ("cm", (_ML, _AP, _MLAP)),
    "range_ratio": ("1", (_MLAP,)),
    "planar_deviation": ("cm", (_MLAP,)),
    "coefficient_sway_direction": ("1", (_MLAP,)),
    "confidence_ellipse_area": ("cm2", (_MLAP,)),
    "principal_sway_direction": ("deg", (_MLAP,)),
    "mean_velocity": ("cm/s", (_ML, _AP, _MLAP)),
    "sway_area_per_second": ("cm2/s", (_MLAP,)),
    "phase_plane_parameter": ("sqrt(cm2 + (cm/s)2)", (_ML, _AP)),
    "LFS": ("1/cm", (_MLAP,)),
    "fractal_dimension": ("1", (_MLAP,)),
}
_KEYS: list[str] = [f"{name}_{axis}" for name, (_, axes) in _UNIT_OF_FEATURE.items() for axis in axes]
_UNITS: dict[str, str] = {
    f"{name}_{axis}": unit for name, (unit, axes) in _UNIT_OF_FEATURE.items() for axis in axes
}
for _axis in (_SPD_ML, _SPD_AP):
    for _name, _unit in (
        ("zero_crossing", "count"),
        ("peak_velocity_pos", "cm/s"),
        ("peak_velocity_neg", "cm/s"),
        ("peak_velocity_all", "cm/s"),
    ):
        _KEYS.append(f"{_name}_{_axis}")
        _UNITS[f"{_name}_{_axis}"] = _unit
for _name, _unit in (("mean_peak", "s"), ("mean_distance_peak", "cm")):
    _KEYS.append(f"{_name}_{_SWD}")
    _UNITS[f"{_name}_{_SWD}"] = _unit
for _axis in (_ML, _AP, _MLAP):
    _KEYS.append(f"mean_frequency_{_axis}")
    _UNITS[f"mean_frequency_{_axis}"] = "Hz"
for _name, _unit in (
    # "powers" are sums of Welch PSD bins (cm2/Hz), not integrals (docs/methods.md §1.3)
    ("total_power", "cm2/Hz"),
    ("power_frequency_50", "Hz"),
    ("power_frequency_95", "Hz"),
    ("frequency_mode", "Hz"),
    ("centroid_frequency", "Hz"),
    ("frequency_dispersion", "1"),
    ("energy_content_below_05", "cm2/Hz"),
    ("energy_content_05_2", "cm2/Hz"),
    ("energy_content_above_2", "cm2/Hz"),
    ("frequency_quotient", "1"),
):
    for _axis in (_PSD_ML, _PSD_AP):
        _KEYS.append(f"{_name}_{_axis}")
        _UNITS[f"{_name}_{_axis}"] = _unit
for _axis in (_DIFF_ML, _DIFF_AP):
    for _name, _unit in (
        # "diffusion" = MSD extrapolated to 1 s by the log-log fit (docs/methods.md §1.4)
        ("short_time_diffusion", "cm2"),
        ("long_time_diffusion", "cm2"),
        ("critical_time", "s"),
        ("critical_displacement", "cm2"),
        ("short_time_scaling", "1"),
        ("long_time_scaling", "1"),
    ):
        _KEYS.append(f"{_name}_{_axis}")
        _UNITS[f"{_name}_{_axis}"] = _unit

#: The 72 feature keys, in the order of the reference implementation's output.
QUIJOUX_KEYS: tuple[str, ...] = tuple(_KEYS)
#: Unit of every feature in :data:`QUIJOUX_KEYS` (the authors' units: lengths in cm).
#: ``"1"`` is dimensionless; ``"count"`` a number of events; ``phase_plane_parameter`` adds a
#: position variance (cm²) to a velocity variance ((cm/s)²), as the authors do.
QUIJOUX_UNITS: dict[str, str] = dict(_UNITS)

del _axis, _name, _unit

#: An isotropic CoP cloud has no principal sway direction (the two eigenvalues of its scatter
#: matrix are equal, so every direction is a principal axis). ``principal_sway_direction_*`` is
#: NaN (``null`` in JSON, ``-`` in tables, with a note from ``balance analyze``) when
#: ``lambda_1 - lambda_2 <= ISOTROPY_REL_TOL * (lambda_1 + lambda_2)``; the reference's
#: ``arccos(|v_y| / |v|)`` is 0/0 there.
ISOTROPY_REL_TOL: float = 1e-9

# Default preprocessing of Stabilogram.from_array (docs/methods.md §2.1 "Preprocessing defaults").
_RESAMPLE_HZ = 25.0
_SWARII_WINDOW_S = 0.08 - 1e-6  # SWARII.resample passes window_size - 1e-6 to Local_SWARII
_FILTER_CUTOFF_HZ = 10.0
_FILTER_ORDER = 4
_BAND_HZ = (0.15, 5.0)  # spectral features use 0.15-5 Hz (docs/methods.md §1.3)


# --------------------------------------------------------------------------------------------
# Cached constants (filter designs, window, quantile, Savitzky-Golay weights)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _butter_lowpass(
    order: int, wn: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Butterworth low-pass (b, a) and the steady-state initial conditions ``lfilter_zi``."""
    from scipy.signal import butter, lfilter_zi

    b, a = butter(order, wn, btype="lowpass")
    zi = lfilter_zi(b, a)
    for arr in (b, a, zi):
        arr.flags.writeable = False  # cached: shared by every call
    return b, a, zi


def _filtfilt(order: int, wn: float, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``scipy.signal.filtfilt(b, a, x, axis=0)`` of a Butterworth low-pass, with its design and
    ``lfilter_zi`` cached: odd extension by ``3 * (order + 1)`` samples, forward and backward
    ``lfilter`` started in steady state."""
    from scipy.signal import lfilter

    b, a, zi = _butter_lowpass(order, wn)
    edge = 3 * max(len(a), len(b))
    if x.shape[0] <= edge:
        raise BalanceInputError(
            f"{x.shape[0]} samples are too few to filter (more than {edge} are needed): record a "
            "longer trial"
        )
    zi_shape = (zi.size,) + (1,) * (x.ndim - 1)
    zi = zi.reshape(zi_shape)
    ext = np.concatenate([2 * x[:1] - x[edge:0:-1], x, 2 * x[-1:] - x[-2 : -(edge + 2) : -1]], axis=0)
    y, _ = lfilter(b, a, ext, axis=0, zi=zi * ext[:1])
    y, _ = lfilter(b, a, y[::-1], axis=0, zi=zi * y[-1:])
    return np.asarray(y[::-1][edge:-edge], dtype=np.float64)


@lru_cache(maxsize=32)
def _f_quantile_95(n: int) -> float:
    from scipy import stats

    return float(stats.f.ppf(0.95, 2, n - 2))


@lru_cache(maxsize=8)
def _hann(nperseg: int) -> NDArray[np.float64]:
    from scipy.signal import get_window

    win = get_window("hann", nperseg)  # periodic Hann, scipy.signal.welch's default
    win.flags.writeable = False  # cached: shared by every call
    return np.asarray(win, dtype=np.float64)


@lru_cache(maxsize=1)
def _savgol_5_3_deriv1() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights of the first derivative of the least-squares cubic through 5 samples.

    Returns the weights at positions 0-1 (start), 2 (centre) and 3-4 (end), each row
    applied to the 5 samples, for unit sample spacing.
    """
    pos = np.arange(5.0)
    vander = np.vander(pos, 4)  # columns t^3, t^2, t, 1
    coef = np.linalg.pinv(vander)  # (4, 5): polynomial coefficients per unit sample
    deriv = np.stack([3 * pos**2, 2 * pos, np.ones(5), np.zeros(5)], axis=1)  # d/dt of each column
    w = deriv @ coef  # (5 positions, 5 samples)
    w.flags.writeable = False  # cached: shared by every call
    return w[:2], w[2], w[3:]


def _savgol_speed(sig: NDArray[np.float64], fs: float) -> NDArray[np.float64]:
    """``savgol_filter(sig, 5, 3, deriv=1, delta=1/fs, axis=0)`` (mode "interp"), in cm/s.

    ``sig`` is (N,) or (N, k); the result has the same shape.
    """
    start, centre, end = _savgol_5_3_deriv1()
    n = sig.shape[0]
    if n < 5:
        raise BalanceInputError(f"{n} samples are too few for the speed (5 are needed)")
    if sig.ndim > 1:
        cols = [_savgol_speed(np.ascontiguousarray(sig[:, j]), fs) for j in range(sig.shape[1])]
        return np.column_stack(cols)
    out = np.empty(n)
    out[2 : n - 2] = np.lib.stride_tricks.sliding_window_view(sig, 5) @ centre
    out[:2] = start @ sig[:5]
    out[n - 2 :] = end @ sig[n - 5 :]
    out *= fs
    return out


def _welch(sig: NDArray[np.float64], fs: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The reference's Welch PSD (cm²/Hz) of each column: 10 s Hann segments, 50 % overlap,
    linear detrend per segment, ``nfft = N``, one-sided density, mean over segments, as
    ``scipy.signal.welch(sig, fs, detrend="linear", nperseg=10*fs, noverlap=5*fs, nfft=N)``.
    """
    n = sig.shape[0]
    nperseg = min(int(10 * fs), n)
    noverlap = int(0.5 * 10 * fs)
    if noverlap >= nperseg:
        noverlap = nperseg // 2
    step = nperseg - noverlap
    n_seg = (n - noverlap) // step
    win = _hann(nperseg)
    starts = np.arange(n_seg) * step
    segs = np.lib.stride_tricks.sliding_window_view(sig, nperseg, axis=0)[starts]  # (S, 2, L)
    tt = np.arange(nperseg, dtype=np.float64)
    tc = tt - tt.mean()
    slope = (segs @ tc) / np.dot(tc, tc)
    segs = segs - segs.mean(axis=-1, keepdims=True) - slope[..., None] * tc
    segs = segs * win
    if n >= 2 * nperseg - 1:
        # The segments are zero-padded to nfft = N, so sum_s |FFT_N(seg_s)|^2 is the length-N
        # DFT of the summed autocorrelations of the segments (lags below nperseg): one FFT of
        # length N instead of one per segment (O(N log N) rather than O(N^2 / nperseg)).
        from scipy.fft import next_fast_len

        size = next_fast_len(2 * nperseg - 1, real=True)
        spec = np.fft.rfft(segs, n=size, axis=-1)
        acf = np.fft.irfft((spec.real**2 + spec.imag**2).sum(axis=0), size, axis=-1)  # (2, size)
        lags = np.zeros(acf.shape[:-1] + (n,))
        lags[..., :nperseg] = acf[..., :nperseg]
        lags[..., n - nperseg + 1 :] = acf[..., size - nperseg + 1 :]
        power = np.fft.rfft(lags, axis=-1).real
    else:
        spec = np.fft.rfft(segs, n=n, axis=-1)
        power = (spec.real**2 + spec.imag**2).sum(axis=0)
    psd = power / (n_seg * fs * np.dot(win, win))
    if n % 2:
        psd[..., 1:] *= 2
    else:
        psd[..., 1:-1] *= 2
    freqs = np.fft.rfftfreq(n, 1 / fs)
    return np.asarray(freqs, dtype=np.float64), np.asarray(psd.T, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Preprocessing
# --------------------------------------------------------------------------------------------


def purge_artefacts(
    time_s: ArrayLike,
    values_cm: ArrayLike,
    *,
    threshold_up_cm: float = 2.0,
    threshold_down_cm: float = 0.5,
    min_time_s: float = 0.1,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Drop isolated spikes, the first and last samples and samples before ``min_time_s``.

    The authors' ``Local_SWARII.purge_artefact``: sample ``i`` (never the first or last) is
    dropped if ``t_i < min_time_s``, or if it jumps by more than ``threshold_up_cm`` (L1 norm
    over the columns) from the last kept sample ``L`` while sample ``i+1`` (or ``i+2``) is back
    within ``threshold_down_cm`` of ``L``. The thresholds assume cm.

    The decision depends on the last *kept* sample, so it is sequential; here all samples are
    tested at once assuming their predecessor was kept, and only the rare runs after a
    rejection are walked one by one (a loop over artefacts, not over samples).

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample instants (s), increasing.
    values_cm : array_like, shape (N, k)
        CoP (cm), one column per axis.
    threshold_up_cm, threshold_down_cm : float, optional
        Jump that makes a spike (cm) and distance of the return (cm). Keyword-only.
    min_time_s : float, optional
        Samples before this instant (s) are dropped. Keyword-only.

    Returns
    -------
    time_s : ndarray, shape (M,)
        Instants of the kept samples (s).
    values_cm : ndarray, shape (M, k)
        Kept samples (cm).
    """
    t = np.asarray(time_s, dtype=np.float64)
    s = np.asarray(values_cm, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    n = t.size
    if s.shape[0] != n:
        raise BalanceInputError(
            f"values_cm has {s.shape[0]} rows but time_s has {n}: pass one row per timestamp"
        )
    ids = np.arange(1, max(n - 1, 1))
    ids = ids[t[ids] >= min_time_s]
    if ids.size == 0:
        return t[:0], s[:0]

    def l1(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.sum(np.abs(a - b), axis=-1), dtype=np.float64)

    def rejected(i: int, last: NDArray[np.float64]) -> bool:
        jump = l1(s[i], last) > threshold_up_cm
        back1 = l1(s[i + 1], last) < threshold_down_cm
        back2 = 1 < i < n - 2 and l1(s[i + 2], last) < threshold_down_cm
        return bool(jump and (back1 or back2))

    # Vectorised test of every candidate against its predecessor (valid while in sync), with
    # shifted slices: prev = s[c - 1], cur = s[c], nxt = s[c + 1], nxt2 = s[c + 2].
    c0 = int(ids[0]) + 1
    cols = [np.ascontiguousarray(s[:, j]) for j in range(s.shape[1])]

    def l1_shift(a: int, b: int, m: int) -> NDArray[np.float64]:
        """sum_j |s[c + b, j] - s[c + a, j]| for the m candidates c = c0, c0 + 1, ..."""
        total = np.zeros(m)
        for col in cols:
            total += np.abs(col[c0 + b : c0 + b + m] - col[c0 + a : c0 + a + m])
        return total

    m = n - 1 - c0  # candidates c0 .. n - 2
    if m > 0:
        jump = l1_shift(-1, 0, m) > threshold_up_cm
        back1 = l1_shift(-1, 1, m) < threshold_down_cm
        back2 = np.zeros(m, dtype=bool)
        m2 = max(n - 2 - c0, 0)  # back2 needs c < n - 2
        if m2:
            back2[:m2] = l1_shift(-1, 2, m2) < threshold_down_cm
        back2[: max(0, 2 - c0)] = False  # and c > 1
        suspects = c0 + np.flatnonzero(jump & (back1 | back2))
    else:
        suspects = np.zeros(0, dtype=np.intp)

    keep = np.zeros(n, dtype=bool)
    keep[ids] = True
    resync = ids[0] + 1
    for i in suspects:  # one iteration per artefact
        if i < resync:
            continue
        last = s[i - 1]
        j = int(i)
        while j <= ids[-1] and rejected(j, last):
            keep[j] = False
            j += 1
        resync = j + 1
    return t[keep], s[keep]


def preprocess_signal(
    cop_ml_cm: ArrayLike,
    cop_ap_cm: ArrayLike,
    *,
    fs_hz: float | None = None,
    time_s: ArrayLike | None = None,
    center: bool = True,
    resample: bool = True,
    resample_hz: float = _RESAMPLE_HZ,
    filter_: bool = True,
    cutoff_hz: float = _FILTER_CUTOFF_HZ,
    order: int = _FILTER_ORDER,
    max_samples: int | None = None,
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """The authors' ``Stabilogram.from_array`` preprocessing, on a CoP in cm.

    Steps (``docs/methods.md`` §2.1): drop rows with NaN; subtract the mean
    (``center``); if ``resample``, :func:`purge_artefacts` then SWARII to ``resample_hz``
    (window 0.08 s - 1e-6 s) with empty windows linearly interpolated as the reference does
    (onto ``arange(first, last, 1/resample_hz)``); if ``filter_``, an ``order``-th order
    Butterworth low-pass at ``cutoff_hz`` run with :func:`scipy.signal.filtfilt`.

    Parameters
    ----------
    cop_ml_cm, cop_ap_cm : array_like, shape (N,)
        CoP mediolateral and anteroposterior coordinates (cm).
    fs_hz : float, optional
        Sampling rate of a uniformly sampled CoP (Hz). Give this or ``time_s``.
    time_s : array_like, shape (N,), optional
        Sample instants (s) of an irregular CoP (needs ``resample=True``).
    center, resample, filter_ : bool, optional
        Steps to run (all on by default, as in the reference).
    resample_hz, cutoff_hz : float, optional
        SWARII output rate (Hz, default 25) and filter cut-off (Hz, default 10).
    order : int, optional
        Butterworth order (default 4).
    max_samples : int, optional
        Most SWARII grid points (:func:`balance.resample.check_grid_size`), default
        :data:`balance.resample.DEFAULT_MAX_SAMPLES`.

    Returns
    -------
    signal_cm : ndarray, shape (M, 2)
        Preprocessed [ML, AP] (cm).
    fs_hz : float
        Its sampling rate (Hz).
    mean_cm : ndarray, shape (2,)
        Mean [ML, AP] of the input before centring (cm), the reference's ``mean_value``.
    """
    ml = np.asarray(cop_ml_cm, dtype=np.float64).ravel()
    ap = np.asarray(cop_ap_cm, dtype=np.float64).ravel()
    if ml.shape != ap.shape:
        raise BalanceInputError(
            f"cop_ml and cop_ap have {ml.size} and {ap.size} samples: pass two arrays of equal "
            "length"
        )
    if (fs_hz is None) == (time_s is None):
        raise BalanceInputError(
            "give either fs_hz (uniformly sampled CoP) or time_s (timestamps in s), not "
            f"{'both' if fs_hz is not None else 'neither'}"
        )
    if fs_hz is not None:
        fs = float(fs_hz)
        if not (np.isfinite(fs) and fs > 0):
            raise BalanceInputError(f"fs_hz={fs_hz!r} must be a positive sampling rate in Hz")
        t = np.arange(ml.size) / fs
    else:
        if not resample:
            raise BalanceInputError(
                "time_s was given with resample=False: an irregular CoP must be resampled "
                "(resample=True), or give fs_hz for a uniformly sampled one"
            )
        t = np.asarray(time_s, dtype=np.float64).ravel()
        if t.shape != ml.shape:
            raise BalanceInputError(
                f"time_s has {t.size} samples but the CoP has {ml.size}: pass one timestamp "
                "per sample"
            )
        fs = float("nan")
    valid = ~(np.isnan(ml) | np.isnan(ap))
    if not valid.all():
        ml, ap, t = ml[valid], ap[valid], t[valid]
    if time_s is not None:
        dt = np.diff(t)
        if not np.all(dt > 0):  # also catches NaN timestamps
            bad = int(np.flatnonzero(~(dt > 0))[0])
            raise BalanceInputError(
                f"time_s is not strictly increasing at sample {bad} ({t[bad]!r} s then "
                f"{t[bad + 1]!r} s): sort the samples by time and drop duplicate or missing timestamps"
            )
    if ml.size < 10:
        raise BalanceInputError(
            f"the CoP has {ml.size} valid samples; the Quijoux features need a trial "
            "of a few seconds (at least 10 samples): record a longer trial"
        )
    mean = np.array([ml.mean(), ap.mean()])
    if center:
        signal = np.column_stack([ml - mean[0], ap - mean[1]])
    else:
        signal = np.column_stack([ml, ap])
    if resample:
        t, signal = purge_artefacts(t, signal)
        if t.size < 2:
            raise BalanceInputError(
                "fewer than 2 samples are left after dropping the first 0.1 s and artefacts: "
                "record a longer trial"
            )
        t_grid, signal = swarii(
            t, signal, fs_hz=resample_hz, window_s=_SWARII_WINDOW_S, empty="nan",
            max_samples=DEFAULT_MAX_SAMPLES if max_samples is None else max_samples,
        )
        filled = ~np.isnan(signal[:, 0])
        if not filled.all():
            # reference: interp1d(linear) over the filled windows onto arange(first, last, step)
            tk = t_grid[filled]
            grid = np.arange(tk[0], tk[-1], 1.0 / resample_hz)
            signal = np.column_stack([np.interp(grid, tk, signal[filled, j]) for j in range(2)])
        fs = float(resample_hz)
    if filter_:
        signal = _filtfilt(int(order), cutoff_hz / (0.5 * fs), signal)
    return signal, fs, mean


# --------------------------------------------------------------------------------------------
# Fast versions of the two O(N^2) loops
# --------------------------------------------------------------------------------------------


def range_2d(points: ArrayLike) -> float:
    """Largest distance between any two points (the 2-D range / diameter), exact, in O(N log N).

    The same computation as :func:`balance.sway.max_distance` (a bounding-box pre-filter, then
    all pairs among the few candidates, or the antipodal pairs of the convex hull), instead of
    the reference's N² pairs.

    Parameters
    ----------
    points : array_like, shape (N, 2)
        Points (any length unit).

    Returns
    -------
    float
        The diameter, same unit as ``points``; 0 for a single point.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise BalanceInputError(f"points has shape {p.shape}; (N, 2) with N >= 1 is needed")
    return max_distance(np.ascontiguousarray(p[:, 0]), np.ascontiguousarray(p[:, 1]))


def sway_density(signal_cm: ArrayLike, *, fs_hz: float, radius_cm: float = 0.3) -> NDArray[np.float64]:
    """Sway density curve (Baratto et al. 2002) as the reference computes it.

    For each sample ``t`` (all but the last), the number of consecutive samples around ``t``
    that stay within ``radius_cm`` of it, minus one, divided by ``fs_hz`` (s); then a 4th-order
    Butterworth low-pass at 2.5 Hz (``filtfilt``).

    The counts are those of :func:`balance.density.run_lengths_within` (binary lifting over a
    sparse table of bounding boxes, O(N log N) in typical use, instead of the reference's
    per-sample loops), with the reference's test ``sqrt(dx² + dy²) <= radius`` expressed
    exactly as a squared-distance bound (:func:`_squared_bound`).

    Parameters
    ----------
    signal_cm : array_like, shape (N, 2)
        CoP [ML, AP] (cm), uniformly sampled.
    fs_hz : float
        Sampling rate (Hz). Keyword-only.
    radius_cm : float, optional
        Disc radius (cm), default 0.3 (3 mm, the authors' default).

    Returns
    -------
    ndarray, shape (N - 1,)
        Sway density (s), filtered.
    """
    s = np.asarray(signal_cm, dtype=np.float64)
    x, y = np.ascontiguousarray(s[:, 0]), np.ascontiguousarray(s[:, 1])
    runs = _density.run_lengths_squared(x, y, r2=_squared_bound(float(radius_cm)), tail=_SCAN_BELOW)
    sway = runs[:-1] / fs_hz
    return _filtfilt(4, 2.5 / (0.5 * fs_hz), sway)


def _squared_bound(radius: float) -> float:
    """The largest double ``b`` with ``sqrt(b) <= radius``: then ``d2 <= b`` exactly when
    ``sqrt(d2) <= radius`` (``sqrt`` is correctly rounded, hence monotone), which ``radius**2``,
    rounded, does not guarantee."""
    b = radius * radius
    while math.sqrt(b) > radius:
        b = math.nextafter(b, 0.0)
    while math.sqrt(math.nextafter(b, math.inf)) <= radius:
        b = math.nextafter(b, math.inf)
    return b


# Below this many unfinished samples the runs are finished by exact banded scans. 512 rather than
# balance.density's 150: measured ~6 % faster on the raw 3000-sample, 100 Hz bench trial.
_SCAN_BELOW = 512


# --------------------------------------------------------------------------------------------
# Feature groups (each takes the preprocessed signal and returns a dict)
# --------------------------------------------------------------------------------------------


def _mean(x: NDArray[np.float64]) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def _positional(sig: NDArray[np.float64], mean_cm: NDArray[np.float64]) -> dict[str, float]:
    """Positional features (reference ``descriptors/positional.py``), cm, cm², deg."""
    n = sig.shape[0]
    # contiguous 1-D columns: reductions along axis 0 of an (N, k) array are much slower
    ml, ap = np.ascontiguousarray(sig[:, 0]), np.ascontiguousarray(sig[:, 1])
    radius = np.sqrt(ml * ml + ap * ap)
    aml, aap = np.abs(ml), np.abs(ap)
    mean_abs = (aml.mean(), aap.mean(), radius.mean())
    max_abs = (aml.max(), aap.max(), radius.max())
    rms3 = (np.sqrt(np.dot(ml, ml) / n), np.sqrt(np.dot(ap, ap) / n), np.sqrt(np.dot(radius, radius) / n))
    hi, lo = (np.max(ml), np.max(ap)), (np.min(ml), np.min(ap))
    out: dict[str, float] = {"mean_value_ML": float(mean_cm[0]), "mean_value_AP": float(mean_cm[1])}
    for name, vals in (("mean_distance", mean_abs), ("maximal_distance", max_abs), ("rms", rms3)):
        for i, axis in enumerate((_ML, _AP, _R)):
            out[f"{name}_{axis}"] = float(vals[i])
    range_ml, range_ap = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    out["range_ML"] = range_ml
    out["range_AP"] = range_ap
    out["range_ML_AND_AP"] = range_2d(sig)
    out["range_ratio_ML_AND_AP"] = range_ml / range_ap
    s_ml, s_ap = float(rms3[0]), float(rms3[1])
    out["planar_deviation_ML_AND_AP"] = float(np.sqrt(s_ml**2 + s_ap**2))
    cov = (1 / n) * float(np.dot(ml, ap))
    out["coefficient_sway_direction_ML_AND_AP"] = cov / (s_ml * s_ap)
    # prediction ellipse with 1/n moments (docs/methods.md §1.2, "Quijoux confidence_ellipse_area")
    quant = _f_quantile_95(n)
    coeff = ((n + 1) * (n - 1)) / (n * (n - 2))
    det = (s_ml**2) * (s_ap**2) - cov**2
    if not det > 1e-12 * (s_ml * s_ap) ** 2:  # |correlation| = 1 to rounding
        raise BalanceInputError(
            "the CoP lies on a straight line (ML and AP perfectly correlated), so the ellipse "
            "area is 0 and the area-based Quijoux features are undefined: check that ML and AP "
            "are two different channels"
        )
    out["confidence_ellipse_area_ML_AND_AP"] = float(2 * np.pi * quant * np.sqrt(det) * coeff)
    # PCA: first principal axis of the (re-centred) cloud, angle to the AP axis in degrees.
    # Eigenvector of the largest eigenvalue of the 2x2 scatter matrix [[a, b], [b, c]], in
    # closed form: (b, lam - a) or (lam - c, b), whichever is better conditioned.
    # An isotropic cloud (equal eigenvalues: a circle, or a cloud with no sway) has no principal
    # axis: every direction is one. The direction is then NaN, by definition, when the two
    # eigenvalues differ by less than ISOTROPY_REL_TOL of their sum (rounding noise, not sway).
    mlc, apc = ml - ml.mean(), ap - ap.mean()
    a_, c_, b_ = float(np.dot(mlc, mlc)), float(np.dot(apc, apc)), float(np.dot(mlc, apc))
    half_gap = float(np.hypot(0.5 * (a_ - c_), b_))  # (lambda_1 - lambda_2) / 2
    if not half_gap > 0.5 * ISOTROPY_REL_TOL * (a_ + c_):
        out["principal_sway_direction_ML_AND_AP"] = float("nan")
        return out
    lam = 0.5 * (a_ + c_) + half_gap
    v1, v2 = (b_, lam - a_), (lam - c_, b_)
    vx, vy = v1 if np.hypot(*v1) >= np.hypot(*v2) else v2
    angle = np.arccos(min(1.0, abs(vy) / float(np.hypot(vx, vy))))
    out["principal_sway_direction_ML_AND_AP"] = float(angle * (180 / np.pi))
    return out


def _velocity_peaks(v: NDArray[np.float64], axis: str) -> dict[str, float]:
    """Zero crossings and mean peak speeds between crossings (reference ``velocity_peaks``).

    A crossing is a non-zero sample whose sign differs from the previous non-zero sample. The
    peak of a half-wave is its first sample of largest magnitude; the half-waves before the
    first and after the last crossing are not counted.
    """
    n = v.size
    nz = np.flatnonzero(v != 0)
    if nz.size == 0:
        crossings = np.zeros(0, dtype=np.intp)
    else:
        sgn = np.sign(v[nz])
        crossings = nz[1:][sgn[1:] != sgn[:-1]]
    out = {f"zero_crossing_{axis}": float(crossings.size)}
    pos: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
    neg: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
    if crossings.size >= 2:
        # half-wave k runs from crossings[k] to crossings[k+1] - 1
        starts = crossings[:-1]
        seg: NDArray[np.intp] = np.zeros(n, dtype=np.intp)
        seg[crossings] = 1
        seg = np.cumsum(seg) - 1  # index of the half-wave each sample is in (-1 before the first)
        mag = np.abs(v)
        seg_max = np.maximum.reduceat(mag[: crossings[-1]], starts)
        in_waves = np.arange(crossings[0], crossings[-1])
        is_max = mag[in_waves] == seg_max[seg[in_waves]]
        cand = np.where(is_max, in_waves, n)
        peak = np.minimum.reduceat(cand, starts - crossings[0])
        ends_negative = v[crossings[1:]] < 0  # half-wave followed by a negative crossing
        pos = peak[ends_negative]
        neg = peak[~ends_negative]
    out[f"peak_velocity_pos_{axis}"] = _mean(v[pos])
    out[f"peak_velocity_neg_{axis}"] = _mean(np.abs(v[neg]))
    out[f"peak_velocity_all_{axis}"] = _mean(np.abs(v[np.concatenate([pos, neg])]))
    return out


def _dynamic(
    sig: NDArray[np.float64],
    fs: float,
    pos: dict[str, float],
    want_velocity_peaks: bool,
) -> dict[str, float]:
    """Dynamic features (reference ``descriptors/dynamic.py``): cm/s, cm²/s, Hz, 1/cm, 1.

    ``pos`` holds the positional features (ellipse area, rms, mean distances) they reuse.
    """
    n = sig.shape[0]
    ml, ap = np.ascontiguousarray(sig[:, 0]), np.ascontiguousarray(sig[:, 1])
    dml, dap = np.diff(ml), np.diff(ap)
    step = np.sqrt(dml * dml + dap * dap)
    path_ml, path_ap = float(np.abs(dml).sum()), float(np.abs(dap).sum())
    path = float(np.sum(step))
    out: dict[str, float] = {}
    for axis, length in ((_ML, path_ml), (_AP, path_ap), (_MLAP, path)):
        out[f"mean_velocity_{axis}"] = float(length * (fs / n))
    duration = (n - 1) * (1 / fs)
    triangles = np.abs(ml[1:] * ap[:-1] - ap[1:] * ml[:-1])
    out["sway_area_per_second_ML_AND_AP"] = float(np.sum(triangles) / (2 * duration))
    speed_ml, speed_ap = _savgol_speed(ml, fs), _savgol_speed(ap, fs)
    out["phase_plane_parameter_ML"] = float(np.sqrt(pos["rms_ML"] ** 2 + speed_ml.var()))
    out["phase_plane_parameter_AP"] = float(np.sqrt(pos["rms_AP"] ** 2 + speed_ap.var()))
    area = pos["confidence_ellipse_area_ML_AND_AP"]
    out["LFS_ML_AND_AP"] = path / area
    diameter = np.sqrt((area * 4) / np.pi)
    out["fractal_dimension_ML_AND_AP"] = float(np.log(n) / (np.log(n) + np.log(diameter) - np.log(path)))
    if want_velocity_peaks:
        out.update(_velocity_peaks(speed_ml, _SPD_ML))
        out.update(_velocity_peaks(speed_ap, _SPD_AP))
    # mean speed |fs * diff| over the n - 1 steps, divided by the mean distance (Prieto's models)
    k1 = 1 / (4 * np.sqrt(2))
    out["mean_frequency_ML"] = float(k1 * ((fs * path_ml / (n - 1)) / pos["mean_distance_ML"]))
    out["mean_frequency_AP"] = float(k1 * ((fs * path_ap / (n - 1)) / pos["mean_distance_AP"]))
    out["mean_frequency_ML_AND_AP"] = float(
        (1 / (2 * np.pi)) * ((fs * path / (n - 1)) / pos["mean_distance_Radius"])
    )
    return out


def _sway_density_features(sig: NDArray[np.float64], fs: float, radius_cm: float) -> dict[str, float]:
    swd = sway_density(sig, fs_hz=fs, radius_cm=radius_cm)
    idx = np.flatnonzero((swd[1:-1] > swd[:-2]) & (swd[1:-1] > swd[2:])) + 1
    pos = sig[idx]
    dd = np.diff(pos, axis=0)
    return {
        f"mean_peak_{_SWD}": _mean(swd[idx]),
        f"mean_distance_peak_{_SWD}": _mean(np.sqrt(dd[:, 0] ** 2 + dd[:, 1] ** 2)),
    }


def _spectral(sig: NDArray[np.float64], fs: float) -> dict[str, float]:
    """Spectral features (reference ``descriptors/frequentist.py``) on the 0.15-5 Hz band of
    the Welch PSD: sums of bins (cm²/Hz), frequencies (Hz), ratios (1)."""
    freqs, psd = _welch(sig, fs)
    fmin, fmax = _BAND_HZ
    band = (freqs >= fmin) & (freqs <= fmax)
    f = freqs[band]
    p = psd[band]  # (F, 2)
    cum = np.cumsum(p, axis=0)
    m0 = p.sum(axis=0)
    m1 = f @ p
    m2 = (f * f) @ p

    def band_sum(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.asarray(np.where(mask[:, None], p, 0.0).sum(axis=0), dtype=np.float64)

    values = {
        "total_power": m0,
        "power_frequency_50": f[np.argmax(cum >= cum[-1] * 0.5, axis=0)],
        "power_frequency_95": f[np.argmax(cum >= cum[-1] * 0.95, axis=0)],
        "frequency_mode": f[np.argmax(p, axis=0)],
        "centroid_frequency": np.sqrt(m2 / m0),
        "frequency_dispersion": np.sqrt(1 - ((m1**2) / (m0 * m2))),
        "energy_content_below_05": band_sum((f > 0.0) & (f <= 0.5)),
        "energy_content_05_2": band_sum((f > 0.5) & (f <= 2)),
        "energy_content_above_2": band_sum(f > 2),
        "frequency_quotient": band_sum((f > 2) & (f <= 5)) / band_sum((f > 0) & (f <= 2)),
    }
    return {
        f"{name}_{axis}": float(v[col])
        for name, v in values.items()
        for col, axis in ((0, _PSD_ML), (1, _PSD_AP))
    }


def _msd(x: NDArray[np.float64], max_lag: int) -> NDArray[np.float64]:
    """Mean squared displacement for lags 1..max_lag, ``mean((x[k:] - x[:-k])**2, axis=0)``,
    of each column of ``x`` (shape (n,) or (n, c)), via FFT autocorrelation and prefix sums."""
    from scipy.fft import next_fast_len

    n = x.shape[0]
    nfft = next_fast_len(2 * n - 1, real=True)  # no circular wrap for lags < n
    fx = np.fft.rfft(x, nfft, axis=0)
    acf = np.fft.irfft(fx.real**2 + fx.imag**2, nfft, axis=0)[1 : max_lag + 1]
    csum = np.concatenate([np.zeros((1,) + x.shape[1:]), np.cumsum(x * x, axis=0)], axis=0)
    k = np.arange(1, max_lag + 1)
    head = csum[n - k]  # sum x[:n-k]**2
    tail = csum[n] - csum[k]  # sum x[k:]**2
    denom = (n - k).reshape((-1,) + (1,) * (x.ndim - 1))
    return np.asarray((head + tail - 2 * acf) / denom, dtype=np.float64)


def _ols_ranges(
    x: NDArray[np.float64], y: NDArray[np.float64], start: NDArray[np.intp], stop: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares lines ``y = a + b x`` on ``x[start:stop]`` for every range: (a, b, rmse).

    ``y`` may have several columns (shape (M, c)); the results then have shape (R, c).
    Prefix sums of the globally centred data give every fit in O(1) (no loop over ranges).
    """
    mx = x.mean()
    my = y.mean(axis=0)
    xc = x - mx
    yc = (y - my).reshape(y.shape[0], -1)
    xc2 = xc[:, None]
    cols = np.concatenate([np.ones_like(xc2), xc2, xc2 * xc2, yc, xc2 * yc, yc * yc], axis=1)
    pre = np.concatenate([np.zeros((1, cols.shape[1])), np.cumsum(cols, axis=0)], axis=0)
    sums = pre[stop] - pre[start]
    c = yc.shape[1]
    n, sx, sxx = sums[:, 0:1], sums[:, 1:2], sums[:, 2:3]
    sy, sxy, syy = sums[:, 3 : 3 + c], sums[:, 3 + c : 3 + 2 * c], sums[:, 3 + 2 * c :]
    xm, ym = sx / n, sy / n
    cxx = sxx - sx * xm
    cxy = sxy - sx * ym
    cyy = syy - sy * ym
    b = cxy / cxx
    a = (ym + my) - b * (xm + mx)
    rmse = np.sqrt(np.maximum(cyy - b * cxy, 0.0) / n)
    if y.ndim == 1:
        return a[:, 0], b[:, 0], rmse[:, 0]
    return a, b, rmse


def _line_exact(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float, float]:
    """Least-squares line on all points, two-pass: (a, b, rmse)."""
    xm, ym = x.mean(), y.mean()
    dx = x - xm
    b = float(np.dot(dx, y - ym) / np.dot(dx, dx))
    a = float(ym - b * xm)
    resid = y - (a + b * x)
    return a, b, float(np.sqrt(np.mean(resid * resid)))


def _pick_line(
    x: NDArray[np.float64], y: NDArray[np.float64], start: NDArray[np.intp], stop: NDArray[np.intp],
    rmse: NDArray[np.float64],
) -> tuple[float, float]:
    """(a, b) of the range with the smallest ``rmse``, the last one on ties (the reference's ``<=``).

    Candidates within 1e-9 of the minimum (by the prefix-sum rmse) are re-fitted two-pass so
    that rounding cannot change the choice.
    """
    near = np.flatnonzero(rmse <= np.min(rmse) * (1 + 1e-9) + 1e-300)
    fits = [_line_exact(x[start[i] : stop[i]], y[start[i] : stop[i]]) for i in near]
    exact = np.array([f[2] for f in fits])
    best = len(fits) - 1 - int(np.argmin(exact[::-1]))
    return fits[best][0], fits[best][1]


def _diffusion(sig: NDArray[np.float64], fs: float) -> dict[str, float]:
    """Stabilogram-diffusion analysis as in the reference ``SDA`` (docs/methods.md §1.4).

    MSD up to a third of the record; for each axis, the short-term line is the best (least
    rmse) log-log fit on the first ``i`` lags and the long-term line the best on lags ``i-1``
    onward, ``i`` from 0.3 s to 2.5 s; "diffusion" = exp(intercept), scaling = slope / 2,
    critical point = intersection (clamped to the last lag).
    """
    n = sig.shape[0]
    max_ind = int(n * (1 / 3))
    time = np.arange(n) / fs
    log_time = np.log(time[1 : max_ind + 1])
    ind_start = int(0.3 * fs) + 1
    ind_stop = int(2.5 * fs)
    if ind_stop < ind_start or ind_stop > log_time.size:
        raise BalanceInputError(
            f"{n} samples at {fs} Hz are too few for the diffusion analysis (the fits need "
            f"{3 * ind_stop / fs:.1f} s or more): record a longer trial"
        )
    cand = np.arange(ind_start, ind_stop + 1)
    m, n_cand = log_time.size, cand.size
    # short-term region: log_*[:i]; long-term region: log_*[i-1:], for i in cand
    start = np.concatenate([np.zeros_like(cand), cand - 1])
    stop = np.concatenate([cand, np.full_like(cand, m)])
    msd = _msd(sig, max_ind)  # (max_ind, 2)
    valid = np.all(msd > 0, axis=0)
    log_msd = np.log(np.where(valid, msd, 1.0))
    _, _, rmse = _ols_ranges(log_time, log_msd, start, stop)
    out: dict[str, float] = {}
    for col, axis in ((0, _DIFF_ML), (1, _DIFF_AP)):
        if not valid[col]:  # a displacement that returns exactly: log-log fit undefined
            for name in ("short_time_diffusion", "long_time_diffusion", "critical_time",
                         "critical_displacement", "short_time_scaling", "long_time_scaling"):
                out[f"{name}_{axis}"] = float("nan")
            continue
        y = log_msd[:, col]
        as_, bs = _pick_line(log_time, y, start[:n_cand], stop[:n_cand], rmse[:n_cand, col])
        al, bl = _pick_line(log_time, y, start[n_cand:], stop[n_cand:], rmse[n_cand:, col])
        log_ct = (al - as_) / (bs - bl)
        if log_ct > log_time[-1]:
            log_ct = log_time[-1]
        out[f"short_time_diffusion_{axis}"] = float(np.exp(as_))
        out[f"long_time_diffusion_{axis}"] = float(np.exp(al))
        out[f"critical_time_{axis}"] = float(np.exp(log_ct))
        out[f"critical_displacement_{axis}"] = float(np.exp(as_ + bs * log_ct))
        out[f"short_time_scaling_{axis}"] = float(bs / 2)
        out[f"long_time_scaling_{axis}"] = float(bl / 2)
    return out


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------

_GROUP_OF: dict[str, str] = {}
for _k in QUIJOUX_KEYS:
    if _k.startswith(("zero_crossing", "peak_velocity")):
        _GROUP_OF[_k] = "velocity_peaks"
    elif _k.endswith(_SWD):
        _GROUP_OF[_k] = "sway_density"
    elif _k.endswith((_PSD_ML, _PSD_AP)):
        _GROUP_OF[_k] = "spectral"
    elif _k.endswith((_DIFF_ML, _DIFF_AP)):
        _GROUP_OF[_k] = "diffusion"
    elif _k.startswith(("mean_velocity", "sway_area", "phase_plane", "LFS", "fractal", "mean_frequency")):
        _GROUP_OF[_k] = "dynamic"
    else:
        _GROUP_OF[_k] = "positional"
del _k


def features(
    cop_ml_mm: ArrayLike | None = None,
    cop_ap_mm: ArrayLike | None = None,
    *,
    fs_hz: float | None = None,
    time_s: ArrayLike | None = None,
    preprocess: bool = True,
    sway_density_radius_cm: float = 0.3,
    select: Iterable[str] | None = None,
    max_samples: int | None = None,
) -> dict[str, float]:
    """The 72 features of Quijoux et al. 2021, keyed and valued as their code does.

    The CoP is given in mm (this package's convention) and converted to cm, the authors'
    input unit, before anything else; every output is in the authors' units, listed in
    :data:`QUIJOUX_UNITS`:

    ========================================================  ===========================
    keys (``*`` = ML, AP, Radius, ML_AND_AP, SPD_*, ...)       unit
    ========================================================  ===========================
    mean_value_*, mean_distance_*, maximal_distance_*,        cm
    rms_*, range_*, planar_deviation_*, mean_distance_peak_*
    confidence_ellipse_area_* (95 % prediction ellipse,       cm²
    1/n moments)
    principal_sway_direction_* (angle to the AP axis; NaN      deg
    for an isotropic cloud, see :data:`ISOTROPY_REL_TOL`)
    mean_velocity_*, peak_velocity_*                          cm/s
    sway_area_per_second_*                                    cm²/s
    phase_plane_parameter_*                                   sqrt(cm² + (cm/s)²)
    LFS_* (path length / ellipse area)                        1/cm
    mean_peak_Sway_Density, critical_time_*                   s
    mean_frequency_*, power_frequency_*, frequency_mode_*,    Hz
    centroid_frequency_*
    total_power_*, energy_content_* (sums of PSD bins)         cm²/Hz
    *_diffusion_*, critical_displacement_* (MSD)               cm²
    range_ratio, coefficient_sway_direction,                  1 (dimensionless)
    fractal_dimension, frequency_dispersion,
    frequency_quotient, *_scaling_*
    zero_crossing_*                                           count
    ========================================================  ===========================

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP mediolateral (x) and anteroposterior (y) coordinates (mm), any offset. Rows with
        NaN are dropped, as in the reference.
    fs_hz : float, optional
        Sampling rate of a uniformly sampled CoP (Hz). Keyword-only. Give this or ``time_s``.
    time_s : array_like, shape (N,), optional
        Sample instants (s) of an irregularly sampled CoP (only with ``preprocess=True``).
    preprocess : bool, optional
        True (default): the authors' default preprocessing (:func:`preprocess_signal`):
        centre, purge artefacts, SWARII to 25 Hz, 4th-order Butterworth 10 Hz ``filtfilt``.
        False: centre only (their ``resample=False, filter_=False``), at ``fs_hz``.
    sway_density_radius_cm : float, optional
        Radius of the sway-density disc (cm), default 0.3 (3 mm) as in the authors' example.
    select : iterable of str, optional
        Keys to return (default all 72, in the reference's order). Groups not needed by the
        selection are not computed.
    max_samples : int, optional
        Most SWARII grid points when preprocessing (:func:`balance.resample.check_grid_size`).

    Returns
    -------
    dict of str to float
        Feature values by key.

    Raises
    ------
    BalanceInputError
        On missing or inconsistent inputs, an unknown key in ``select``, or a trial too short
        for the features (the diffusion analysis needs about 7.5 s at 25 Hz).
    """
    if cop_ml_mm is None or cop_ap_mm is None:
        raise BalanceInputError(
            "cop_ml_mm and cop_ap_mm are both required: pass the CoP coordinates in mm"
        )
    if select is None:
        keys = list(QUIJOUX_KEYS)
    else:
        keys = list(select)
        unknown = [k for k in keys if k not in _GROUP_OF]
        if unknown:
            raise BalanceInputError(
                f"unknown Quijoux feature key(s) {unknown}: choose from balance.quijoux.QUIJOUX_KEYS"
            )
    groups = {_GROUP_OF[k] for k in keys}
    radius = float(sway_density_radius_cm)
    if not (np.isfinite(radius) and radius > 0):
        raise BalanceInputError(f"sway_density_radius_cm={sway_density_radius_cm!r} must be positive")

    ml_cm = np.asarray(cop_ml_mm, dtype=np.float64) / 10.0
    ap_cm = np.asarray(cop_ap_mm, dtype=np.float64) / 10.0
    if preprocess:
        sig, fs, mean_cm = preprocess_signal(ml_cm, ap_cm, fs_hz=fs_hz, time_s=time_s, max_samples=max_samples)
    else:
        if fs_hz is None:
            raise BalanceInputError(
                "preprocess=False needs fs_hz (the CoP must already be uniformly sampled): "
                "give fs_hz, or keep preprocess=True to resample timestamps with SWARII"
            )
        sig, fs, mean_cm = preprocess_signal(
            ml_cm, ap_cm, fs_hz=fs_hz, resample=False, filter_=False
        )
    if sig.shape[0] < 10 or np.ptp(sig[:, 0]) == 0 or np.ptp(sig[:, 1]) == 0:
        raise BalanceInputError(
            "the CoP is constant (or nearly empty) on at least one axis after preprocessing; "
            "the Quijoux features need a moving CoP: check the recording"
        )

    if "diffusion" in groups:
        n_min = 3 * int(2.5 * fs) + 3
        if sig.shape[0] < n_min:
            raise BalanceInputError(
                f"{sig.shape[0]} samples at {fs} Hz ({sig.shape[0] / fs:.1f} s) are too few for the "
                f"diffusion features, which fit the MSD up to 2.5 s over a third of the trial: "
                f"at least {n_min} samples ({n_min / fs:.1f} s) are needed; record a longer trial "
                "or leave the Diffusion keys out of select"
            )

    out: dict[str, Any] = {}
    need_pos = groups & {"positional", "dynamic"}
    if need_pos:
        out.update(_positional(sig, mean_cm))
    if groups & {"dynamic", "velocity_peaks"}:
        if not need_pos:
            out.update(_positional(sig, mean_cm))
        out.update(_dynamic(sig, fs, out, "velocity_peaks" in groups))
    if "sway_density" in groups:
        out.update(_sway_density_features(sig, fs, radius))
    if "spectral" in groups:
        out.update(_spectral(sig, fs))
    if "diffusion" in groups:
        out.update(_diffusion(sig, fs))
    return {k: float(out[k]) for k in keys}
