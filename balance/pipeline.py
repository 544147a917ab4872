"""The documented default analysis: check, resample, low-pass, trim, centre, measure.

:func:`analyze` turns a :class:`~balance.recording.Recording` (or ``(time_s, cop_ml_mm, cop_ap_mm)`` arrays)
into an :class:`AnalysisResult` holding the sway measures, the analysed signal, the gaps found and every
preprocessing choice (with the library version), so a result can always be traced to how it was made.

The ``"standard"`` preset follows ``docs/methods.md`` §3.2 "Suggested pipeline":

1. **Check** the input (:mod:`balance.preprocess`): at least 2 s; finite, strictly increasing timestamps
   (duplicates are reported as such); NaN CoP samples (nobody on the board) are dropped, and the gaps they
   leave, like gaps in the timestamps, are bridged by the resampler when up to ``max_gap_s`` long and
   reported (``gap_policy``) when longer; a constant CoP or a range that looks like metres or micrometres
   is an error.
2. **Resample** irregular streams (a Wii Balance Board's) onto a uniform grid with SWARII (Audiffren &
   Contal 2016; :func:`balance.resample.swarii`), never by linear interpolation (docs/methods.md §3.2,
   "Resample to a uniform grid"). Default rate 50 Hz, the ISPGR minimum (Scoppa et al. 2013,
   docs/methods.md §3.2 "Duration / rate"), window two output periods (0.04 s at 50 Hz: the ratio of
   Quijoux's 0.08 s at 25 Hz; issue 10: the fixed 0.08 s window, a 0.08 s moving average with its -3 dB
   point at 5.5 Hz, removed 11-12 % of a WBB single-leg ML path by itself while the report named only the
   10 Hz filter). Uniform streams keep their rate unless ``fs_hz`` asks for another.
3. **Low-pass** with the zero-phase 4th-order Butterworth at 10 Hz (:func:`balance.filters.lowpass`;
   docs/methods.md §3.2 "Low-pass filter"). ``cutoff_hz=None`` skips it.
4. **Trim** the first ``trim_s`` seconds (default 0: the protocol layer knows when the lift-off happened
   and cuts the trial before calling this).
5. **Centre** (remove the mean) and compute :func:`balance.sway.measures`.

What the user really gets is recorded in :attr:`AnalysisResult.params`: ``effective_cutoff_hz``, the
-3 dB frequency of the whole preprocessing (the resampler's moving average of ``window_s`` times the
zero-phase Butterworth, :func:`effective_cutoff_hz`; measured on simulated WBB timing by
``bench/bench_smoothing.py``), and ``smoothing``, the same in words.

``raw=True`` analyses the CoP exactly as given: the mean is removed, nothing is resampled, filtered or
trimmed (the stream must then be uniform and NaN-free). This is how published values computed on raw data
(HBEDB ``COPvelo``/``COParea``/``COPmfreq``) are reproduced.

``preset="quijoux"`` returns the 72 features of Quijoux et al. 2021 instead, with the authors' own
preprocessing (:func:`balance.quijoux.features`; their keys and units, cm based).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance import __version__
from balance import preprocess as pp
from balance.errors import BalanceInputError
from balance.recording import Recording

__all__ = ["AnalysisResult", "PRESETS", "DEFAULTS", "analyze", "effective_cutoff_hz", "WINDOW_PERIODS"]

#: SWARII window in output periods when ``window_s`` is not given: 2, Quijoux's 0.08 s at 25 Hz.
WINDOW_PERIODS: float = 2.0

PRESETS: tuple[str, ...] = ("standard", "quijoux")

#: Defaults of the "standard" preset (every one is recorded in :attr:`AnalysisResult.params`).
DEFAULTS: dict[str, Any] = {
    "fs_hz": None,  # None: uniform streams keep their rate, irregular ones go to resample_fs_hz
    "resample_fs_hz": 50.0,  # ISPGR minimum rate (docs/methods.md §3.2)
    "resample": "auto",  # "auto" | "swarii" | "window" | "none"
    "window_s": None,  # SWARII window (s); None: WINDOW_PERIODS / output rate (Quijoux's ratio, 0.08 s at 25 Hz)
    "max_gap_s": 0.5,  # longest gap bridged by the resampler (WBB gaps reach ~0.55 s, docs/methods.md §0)
    "gap_policy": "error",  # "error" | "longest"
    "cutoff_hz": 10.0,  # docs/methods.md §3.2: 4th order, 10 Hz (Quijoux)
    "order": 4,
    "trim_s": 0.0,
    "min_duration_s": pp.MIN_DURATION_S,
    "check_units": True,
}

_MEASURE_PARAMS = (
    "select",
    "band_hz",
    "diffusion_max_lag_s",
    "diffusion_break_range_s",
    "sway_density_radius_mm",
    "sway_density_cutoff_hz",
)


@dataclass(frozen=True)
class AnalysisResult:
    """The outcome of :func:`analyze`.

    Attributes
    ----------
    measures : dict of str to float
        Sway measures keyed as in :data:`balance.sway.MEASURES` (or the Quijoux keys for that preset).
    params : dict
        Every preprocessing choice, the input's sampling, the library version and the measure settings.
    time_s : ndarray, shape (M,)
        Times of the analysed samples (s).
    cop_ml_mm, cop_ap_mm : ndarray, shape (M,)
        The analysed CoP (mm), centred: what the measures were computed on.
    gaps : ndarray, shape (G, 2)
        ``(start_s, stop_s)`` of every gap in the input longer than ``max_gap_s`` (s); empty if none.
    """

    measures: dict[str, float]
    params: dict[str, Any]
    time_s: NDArray[np.float64]
    cop_ml_mm: NDArray[np.float64]
    cop_ap_mm: NDArray[np.float64]
    gaps: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def fs_hz(self) -> float:
        """Sampling rate of the analysed signal (Hz)."""
        return float(self.params["fs_hz"])


def _unpack(src: Recording | tuple[ArrayLike, ArrayLike, ArrayLike]) -> tuple[Any, Any, Any, float | None]:
    if isinstance(src, Recording):
        return src.time_s, src.cop_ml_mm, src.cop_ap_mm, src.fs_hz
    try:
        t, ml, ap = src
    except (TypeError, ValueError):
        raise BalanceInputError(
            f"cannot analyse a {type(src).__name__}: pass a balance.recording.Recording or a tuple "
            "(time_s, cop_ml_mm, cop_ap_mm)"
        ) from None
    return t, ml, ap, None


def _longest_stretch(t: NDArray[np.float64], gaps: NDArray[np.float64]) -> NDArray[np.bool_]:
    edges = np.concatenate([[t[0]], gaps.ravel(), [t[-1]]]).reshape(-1, 2)  # (start, stop) of gap-free stretches
    k = int(np.argmax(edges[:, 1] - edges[:, 0]))
    return np.asarray((t >= edges[k, 0]) & (t <= edges[k, 1]), dtype=np.bool_)


def analyze(
    recording_or_arrays: Recording | tuple[ArrayLike, ArrayLike, ArrayLike],
    *,
    raw: bool = False,
    preset: Literal["standard", "quijoux"] = "standard",
    fs_hz: float | None = None,
    resample_fs_hz: float | None = None,
    resample: Literal["auto", "swarii", "window", "none"] | None = None,
    window_s: float | None = None,
    max_gap_s: float | None = None,
    gap_policy: Literal["error", "longest"] | None = None,
    cutoff_hz: float | None = DEFAULTS["cutoff_hz"],
    order: int | None = None,
    trim_s: float | None = None,
    min_duration_s: float | None = None,
    check_units: bool | None = None,
    max_samples: int | None = None,
    **measure_params: Any,
) -> AnalysisResult:
    """Analyse one recording with the documented default pipeline (module docstring).

    Parameters
    ----------
    recording_or_arrays : Recording or (time_s, cop_ml_mm, cop_ap_mm)
        Sample times (s) and CoP (mm), ML positive to the right, AP positive forward.
    raw : bool, optional
        Analyse exactly as given (mean removed only). Needs a uniform, NaN-free stream.
    preset : {"standard", "quijoux"}, optional
        ``"quijoux"`` returns Quijoux et al.'s 72 features with their own preprocessing.
    fs_hz : float, optional
        Rate of the analysed signal (Hz). Default: a uniform stream keeps its rate, an irregular one is
        resampled to ``resample_fs_hz``.
    resample_fs_hz : float, optional
        Rate for irregular streams when ``fs_hz`` is not given (Hz), default 50.
    resample : {"auto", "swarii", "window", "none"}, optional
        ``"auto"`` (default): SWARII when the stream is irregular, has bridged gaps, or ``fs_hz`` differs
        from its rate. ``"window"`` uses plain window averaging; ``"none"`` refuses irregular input.
    window_s : float, optional
        Resampling window (s), default two output periods (0.04 s at 50 Hz; 0.08 s at 25 Hz as Quijoux).
    max_gap_s : float, optional
        Longest gap between valid samples bridged by resampling (s), default 0.5.
    gap_policy : {"error", "longest"}, optional
        What to do with longer gaps: raise (default), or analyse the longest gap-free stretch. Either way
        the gaps are listed in :attr:`AnalysisResult.gaps`.
    cutoff_hz : float or None, optional
        Low-pass cut-off (Hz), default 10; None skips the filter.
    order : int, optional
        Butterworth order, default 4 (zero-phase: twice the roll-off).
    trim_s : float, optional
        Seconds dropped at the start, after filtering, default 0.
    min_duration_s : float, optional
        Shortest analysable signal (s), default 2.
    check_units : bool, optional
        Refuse CoP ranges that look like metres or micrometres (default True).
    max_samples : int, optional
        Most samples the resampled (gap-filled) signal may have, checked before it is allocated;
        default :data:`balance.resample.DEFAULT_MAX_SAMPLES` (4,000,000). A guard against a
        mistaken rate or timestamps far apart; raise it for genuinely long recordings.
    **measure_params
        Passed to :func:`balance.sway.measures`: ``select``, ``band_hz``, ``diffusion_max_lag_s``,
        ``diffusion_break_range_s``, ``sway_density_radius_mm``, ``sway_density_cutoff_hz``. For the
        Quijoux preset: ``select`` and ``sway_density_radius_cm``.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    BalanceInputError
        Input that cannot be analysed; the message names the problem and the fix.
    ValueError
        Unknown preset or option, or options that do not apply (e.g. a cut-off with ``raw=True``).
    """
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r} is not one of {PRESETS}")
    given: dict[str, Any] = {
        k: v
        for k, v in dict(
            fs_hz=fs_hz, resample_fs_hz=resample_fs_hz, resample=resample, window_s=window_s, max_gap_s=max_gap_s,
            gap_policy=gap_policy, order=order, trim_s=trim_s, min_duration_s=min_duration_s,
            check_units=check_units,
        ).items()
        if v is not None
    }
    if cutoff_hz != DEFAULTS["cutoff_hz"] and not (cutoff_hz is None and raw):  # raw already means "no filter"
        given["cutoff_hz"] = cutoff_hz
    t_in, ml_in, ap_in, nominal_fs = _unpack(recording_or_arrays)
    from balance.resample import DEFAULT_MAX_SAMPLES

    cap = DEFAULT_MAX_SAMPLES if max_samples is None else int(max_samples)
    if cap < 1:
        raise ValueError(f"max_samples={max_samples!r} must be a positive number of samples")
    if preset == "quijoux":
        return _analyze_quijoux(
            t_in, ml_in, ap_in, nominal_fs, raw=raw, given=given, extra=measure_params, max_samples=cap
        )
    unknown = sorted(set(measure_params) - set(_MEASURE_PARAMS))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for analyze(); known: {', '.join(sorted(DEFAULTS))}, "
            f"{', '.join(_MEASURE_PARAMS)}"
        )
    if raw:
        bad = sorted(set(given) - {"min_duration_s", "check_units"})
        if bad:
            raise ValueError(
                f"raw=True analyses the CoP exactly as given, so {', '.join(bad)} cannot apply: drop raw or those options"
            )
    p: dict[str, Any] = {**DEFAULTS, **given}
    if p["gap_policy"] not in ("error", "longest"):
        raise ValueError(f"gap_policy={p['gap_policy']!r} must be 'error' or 'longest'")
    if p["resample"] not in ("auto", "swarii", "window", "none"):
        raise ValueError(f"resample={p['resample']!r} must be 'auto', 'swarii', 'window' or 'none'")

    from balance import sway

    t = pp.check_timestamps(t_in)
    pp.check_duration(float(t[-1] - t[0]) if t.size > 1 else 0.0, min_duration_s=p["min_duration_s"])
    uniform_in, fs_in = pp.sampling_rate(t, nominal_fs_hz=nominal_fs)
    params: dict[str, Any] = {
        "version": __version__,
        "preset": preset,
        "raw": bool(raw),
        "input_samples": int(t.shape[0]),
        "input_duration_s": float(t[-1] - t[0]),
        "input_uniform": uniform_in,
        "input_fs_hz": fs_in,
    }
    t, ml, ap, n_nan = pp.drop_nan(t, ml_in, ap_in)
    params["nan_samples_dropped"] = n_nan
    gaps: NDArray[np.float64] = np.zeros((0, 2))

    if raw:
        if n_nan:
            raise BalanceInputError(
                f"{n_nan} CoP samples are NaN; raw analysis uses the CoP exactly as given, so it must be complete: "
                "drop raw=True (--raw) to let the pipeline bridge short gaps, or cut the recording"
            )
        if not uniform_in:
            raise BalanceInputError(
                "the timestamps are irregular; raw analysis needs a uniformly sampled CoP: drop raw=True (--raw) to "
                "resample it"
            )
        pp.check_signal(ml, ap, check_units=p["check_units"])
        fs = fs_in
        params.update(fs_hz=fs, resample="none", filter="none", trim_s=0.0)
    else:
        from balance.resample import find_gaps

        gaps = find_gaps(t, max_gap_s=p["max_gap_s"])
        if gaps.shape[0]:
            desc = ", ".join(f"{a:.3f}-{b:.3f} s" for a, b in gaps[:3]) + (" ..." if gaps.shape[0] > 3 else "")
            if p["gap_policy"] == "error":
                raise BalanceInputError(
                    f"{gaps.shape[0]} gap(s) longer than max_gap_s={p['max_gap_s']:g} s without valid CoP ({desc}); "
                    "they are not bridged: cut the recording around them, record again, or (from Python) pass "
                    "gap_policy='longest' to analyse the longest gap-free stretch"
                )
            keep = _longest_stretch(t, gaps)
            t, ml, ap = t[keep], ml[keep], ap[keep]
            pp.check_duration(float(t[-1] - t[0]), min_duration_s=p["min_duration_s"], what="longest gap-free stretch")
        pp.check_signal(ml, ap, check_units=p["check_units"])
        holes = n_nan > 0
        target = p["fs_hz"] if p["fs_hz"] is not None else (fs_in if uniform_in else p["resample_fs_hz"])
        if not (np.isfinite(target) and target > 0):
            raise ValueError(f"fs_hz={target!r} must be a positive rate in Hz")
        method = p["resample"]
        if method == "auto":
            method = "swarii" if (not uniform_in or holes or abs(target - fs_in) > 1e-9 * fs_in) else "none"
        if method == "none":
            if not uniform_in or holes:
                raise BalanceInputError(
                    "the stream is irregular (or has NaN holes) and resample='none' was asked: use resample='auto'"
                )
            if abs(target - fs_in) > 1e-9 * fs_in:
                raise ValueError(f"fs_hz={target} differs from the stream's {fs_in} Hz but resample='none'")
        else:
            from balance import resample as rs

            fn = rs.swarii if method == "swarii" else rs.window_average
            if p["window_s"] is None:
                p["window_s"] = WINDOW_PERIODS / float(target)
            rs.check_grid_size(float(t[-1] - t[0]), float(target), max_samples=cap)  # before any allocation
            t, v = fn(t, np.column_stack([ml, ap]), fs_hz=float(target), window_s=p["window_s"], max_samples=cap)
            ml, ap = np.ascontiguousarray(v[:, 0]), np.ascontiguousarray(v[:, 1])
        fs = float(target)
        filt = "none"
        if p["cutoff_hz"] is not None:
            from balance.filters import lowpass

            if not p["cutoff_hz"] < fs / 2:
                raise BalanceInputError(
                    f"cutoff_hz={p['cutoff_hz']:g} Hz is not below the Nyquist frequency {fs / 2:g} Hz of the "
                    f"{fs:g} Hz signal: lower the cut-off, raise fs_hz, or pass cutoff_hz=None to skip the filter"
                )
            try:
                v = lowpass(np.column_stack([ml, ap]), fs_hz=fs, cutoff_hz=p["cutoff_hz"], order=p["order"])
            except ValueError as err:
                raise BalanceInputError(f"{err}") from err
            ml, ap = v[:, 0], v[:, 1]
            filt = f"Butterworth low-pass, order {p['order']}, {p['cutoff_hz']:g} Hz, zero-phase (sosfiltfilt)"
        t, ml, ap = pp.trim_start(t, ml, ap, trim_s=p["trim_s"])
        pp.check_duration(
            float(t[-1] - t[0]) if t.size > 1 else 0.0, min_duration_s=p["min_duration_s"], what="analysed signal"
        )
        params.update(
            fs_hz=fs,
            resample=method,
            window_s=p["window_s"] if method != "none" else None,
            max_gap_s=p["max_gap_s"],
            gap_policy=p["gap_policy"],
            cutoff_hz=p["cutoff_hz"],
            order=p["order"] if p["cutoff_hz"] is not None else None,
            filter=filt,
            trim_s=p["trim_s"],
        )
        win = p["window_s"] if method != "none" else None
        f3 = effective_cutoff_hz(window_s=win, cutoff_hz=p["cutoff_hz"], order=p["order"], fs_hz=fs)
        params.update(
            effective_cutoff_hz=f3,
            smoothing=(
                f"effective low-pass -3 dB at {f3:.1f} Hz ("
                + " x ".join(x for x in (
                    f"{win * 1000:.0f} ms resampling window" if win else "",
                    f"Butterworth {p['cutoff_hz']:g} Hz order {p['order']} zero-phase" if p["cutoff_hz"] else "",
                ) if x)
                + ")"
            ) if np.isfinite(f3) else "no smoothing",
        )
    ml, ap, mean_ml, mean_ap = pp.centre(np.asarray(ml, dtype=np.float64), np.asarray(ap, dtype=np.float64))
    m = sway.measures(ml, ap, fs_hz=fs, **measure_params)
    from balance import density, diffusion, spectral

    params.update(
        samples=int(ml.shape[0]),
        duration_s=float(ml.shape[0] / fs),
        mean_ml_mm=mean_ml,
        mean_ap_mm=mean_ap,
        check_units=p["check_units"],
        psd="Welch, Hann, nperseg N//2, noverlap N//4, nfft N//2, constant detrend",
        band_hz=tuple(measure_params.get("band_hz", spectral.DEFAULT_BAND_HZ)),
        diffusion_max_lag_s=measure_params.get("diffusion_max_lag_s", diffusion.DEFAULT_MAX_LAG_S),
        diffusion_break_range_s=tuple(measure_params.get("diffusion_break_range_s", diffusion.DEFAULT_BREAK_RANGE_S)),
        sway_density_radius_mm=measure_params.get("sway_density_radius_mm", density.DEFAULT_RADIUS_MM),
        sway_density_cutoff_hz=measure_params.get("sway_density_cutoff_hz", density.DEFAULT_CUTOFF_HZ),
        gaps=int(gaps.shape[0]),
    )
    return AnalysisResult(measures=m, params=params, time_s=np.asarray(t), cop_ml_mm=ml, cop_ap_mm=ap, gaps=gaps)


def effective_cutoff_hz(
    *, window_s: float | None, cutoff_hz: float | None, order: int | None, fs_hz: float
) -> float:
    """-3 dB frequency (Hz) of the preprocessing: a moving average of ``window_s`` then a zero-phase
    Butterworth low-pass.

    Gain ``|sinc(f·window_s)| · |H(f)|²`` with ``H`` the digital Butterworth that
    :func:`balance.filters.lowpass` designs (``scipy.signal.butter``, applied forwards and backwards by
    ``sosfiltfilt``, hence the square), solved for 1/√2 on a 0.0025 Hz grid up to the Nyquist frequency.
    SWARII on an irregular stream approaches a moving average of ``window_s`` when the samples are
    dense in the window (``bench/bench_smoothing.py`` checks it on simulated WBB timing). NaN when
    nothing smooths (no window, no filter).
    """
    if not window_s and cutoff_hz is None:
        return float("nan")
    f = np.linspace(1e-3, fs_hz / 2.0, 20001)
    g = np.ones_like(f)
    if window_s:
        g *= np.abs(np.sinc(f * window_s))
    if cutoff_hz is not None and cutoff_hz < fs_hz / 2.0:
        from scipy.signal import butter, sosfreqz

        sos = butter(int(order or 4), cutoff_hz, btype="low", fs=fs_hz, output="sos")
        _, h = sosfreqz(sos, worN=f, fs=fs_hz)
        g *= np.abs(h) ** 2
    below = np.flatnonzero(g < 1.0 / np.sqrt(2.0))
    return float(f[below[0]]) if below.size else float(fs_hz / 2.0)


def _analyze_quijoux(
    t_in: Any, ml_in: Any, ap_in: Any, nominal_fs: float | None, *, raw: bool, given: dict[str, Any],
    extra: dict[str, Any], max_samples: int | None = None,
) -> AnalysisResult:
    """The Quijoux et al. 2021 preset: their 72 features with their preprocessing (or none when raw)."""
    bad = sorted(set(given) - {"min_duration_s", "check_units"})
    if bad:
        raise ValueError(
            f"the quijoux preset uses the authors' own preprocessing (centre, artefact purge, SWARII 25 Hz, "
            f"Butterworth 4th order 10 Hz filtfilt), so {', '.join(bad)} cannot apply: drop those options or use "
            "preset='standard'"
        )
    unknown = sorted(set(extra) - {"select", "sway_density_radius_cm"})
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for the quijoux preset; known: select, sway_density_radius_cm"
        )
    from balance import quijoux  # helper B's module, imported only for this preset

    t = pp.check_timestamps(t_in)
    min_duration_s = given.get("min_duration_s", pp.MIN_DURATION_S)
    pp.check_duration(float(t[-1] - t[0]) if t.size > 1 else 0.0, min_duration_s=min_duration_s)
    uniform_in, fs_in = pp.sampling_rate(t, nominal_fs_hz=nominal_fs)
    t, ml, ap, n_nan = pp.drop_nan(t, ml_in, ap_in)
    pp.check_signal(ml, ap, check_units=given.get("check_units", True))
    if raw and (n_nan or not uniform_in):
        raise BalanceInputError(
            "raw analysis needs a uniform, NaN-free CoP; this one is "
            + ("irregular" if not uniform_in else f"missing {n_nan} samples")
            + ": drop raw=True (--raw)"
        )
    kwargs: dict[str, Any] = dict(preprocess=not raw, **extra)
    if not raw:
        from balance.resample import check_grid_size

        check_grid_size(float(t[-1] - t[0]) if t.size > 1 else 0.0, 25.0, max_samples=max_samples)
        kwargs["max_samples"] = max_samples
    if uniform_in and not n_nan:
        m = quijoux.features(cop_ml_mm=ml, cop_ap_mm=ap, fs_hz=fs_in, **kwargs)
    else:
        m = quijoux.features(cop_ml_mm=ml, cop_ap_mm=ap, time_s=t, **kwargs)
    params: dict[str, Any] = {
        "version": __version__,
        "preset": "quijoux",
        "raw": bool(raw),
        "input_samples": int(np.shape(t_in)[0]),
        "input_uniform": uniform_in,
        "input_fs_hz": fs_in,
        "nan_samples_dropped": n_nan,
        "fs_hz": fs_in if raw else 25.0,
        "preprocessing": "none (raw)" if raw else (
            "Quijoux et al. 2021 defaults: centre, purge artefacts, SWARII to 25 Hz (window 0.08 s), "
            "Butterworth 4th order 10 Hz filtfilt"
        ),
        "sway_density_radius_cm": extra.get("sway_density_radius_cm", 0.3),
        "units": "Quijoux keys and units (cm, cm/s, cm², Hz, s; see balance.quijoux.QUIJOUX_UNITS)",
    }
    mlc, apc, _, _ = pp.centre(ml, ap)
    return AnalysisResult(measures=dict(m), params=params, time_s=t, cop_ml_mm=mlc, cop_ap_mm=apc)
