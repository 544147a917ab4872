"""The default analysis pipeline: parameters recorded, resampling and filtering, every bad-input error."""

from __future__ import annotations

import numpy as np
import pytest

import balance
from balance import sway
from balance.errors import BalanceInputError
from balance.pipeline import DEFAULTS, AnalysisResult, analyze
from balance.recording import Recording


def _sway(fs: float = 100.0, dur: float = 30.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slow, smooth CoP (sum of sines below 2 Hz) in mm, uniformly sampled."""
    t = np.arange(int(round(dur * fs))) / fs
    return (t, *_truth(t, seed))


def _truth(t: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The same CoP (mm) at any instants ``t`` (s)."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.1, 1.5, size=(2, 5))
    ph = rng.uniform(0, 2 * np.pi, size=(2, 5))
    a = rng.uniform(0.5, 3.0, size=(2, 5))
    ml = 20 + (a[0] * np.sin(2 * np.pi * f[0] * t[:, None] + ph[0])).sum(axis=1)
    ap = -40 + (a[1] * np.sin(2 * np.pi * f[1] * t[:, None] + ph[1])).sum(axis=1)
    return ml, ap


def test_uniform_stream_keeps_rate_and_records_params() -> None:
    t, ml, ap = _sway()
    res = analyze(Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap, fs_hz=100.0))
    assert isinstance(res, AnalysisResult)
    p = res.params
    assert p["version"] == balance.__version__
    assert p["fs_hz"] == 100.0 and res.fs_hz == 100.0
    assert p["resample"] == "none"
    assert p["cutoff_hz"] == DEFAULTS["cutoff_hz"] == 10.0 and p["order"] == 4
    assert "Butterworth" in p["filter"] and "zero-phase" in p["filter"]
    assert p["trim_s"] == 0.0 and p["preset"] == "standard" and p["raw"] is False
    assert res.gaps.shape == (0, 2)
    assert set(res.measures) == set(sway.MEASURES)
    # the analysed signal is centred and has the input's length
    assert res.cop_ml_mm.shape == t.shape
    assert abs(res.cop_ml_mm.mean()) < 1e-9 and abs(res.cop_ap_mm.mean()) < 1e-9
    assert p["mean_ml_mm"] == pytest.approx(ml.mean()) and p["mean_ap_mm"] == pytest.approx(ap.mean())
    # a 10 Hz low-pass leaves a < 2 Hz signal untouched (gain > 0.9999): measures as on the raw signal
    raw = analyze((t, ml, ap), raw=True)
    assert raw.params["filter"] == "none"
    for k in ("rms_ml_mm", "rms_ap_mm", "prediction_ellipse_area_mm2", "mean_velocity_mm_s"):
        assert res.measures[k] == pytest.approx(raw.measures[k], rel=1e-3)


def test_irregular_stream_is_resampled_with_swarii() -> None:
    # Wii-Balance-Board-like timing: intervals of 10-40 ms (mean 40 Hz), a slow CoP.
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.010, 0.040, size=1500))
    t -= t[0]
    ml, ap = _truth(t)
    res = analyze((t, ml, ap))
    assert res.params["input_uniform"] is False
    assert res.params["resample"] == "swarii"
    assert res.params["fs_hz"] == DEFAULTS["resample_fs_hz"] == 50.0
    # issue 10: the default window is two output periods (was 0.08 s whatever the rate)
    assert res.params["window_s"] == pytest.approx(2 / 50.0)
    np.testing.assert_allclose(np.diff(res.time_s), 1 / 50.0, rtol=1e-6)
    # compare with the same CoP sampled ideally at 50 Hz: a slow signal survives resampling closely
    tu = np.arange(t[0], t[-1], 1 / 50.0)
    ref = sway.measures(*_truth(tu), fs_hz=50.0)
    for k in ("rms_ml_mm", "rms_ap_mm", "prediction_ellipse_area_mm2", "range_mm"):
        assert res.measures[k] == pytest.approx(ref[k], rel=0.02), k


def test_requested_rate_resamples_a_uniform_stream() -> None:
    t, ml, ap = _sway()
    res = analyze((t, ml, ap), fs_hz=50.0)
    assert res.params["resample"] == "swarii" and res.fs_hz == 50.0
    assert res.cop_ml_mm.size == pytest.approx(1500, abs=2)
    res = analyze((t, ml, ap), fs_hz=50.0, resample="window")
    assert res.params["resample"] == "window"


def test_trim_and_filter_options() -> None:
    t, ml, ap = _sway()
    res = analyze((t, ml, ap), trim_s=5.0, cutoff_hz=4.0, order=2)
    assert res.time_s[0] == pytest.approx(5.0)
    assert res.params["samples"] == 2500
    assert res.params["cutoff_hz"] == 4.0 and res.params["order"] == 2
    none = analyze((t, ml, ap), cutoff_hz=None)
    assert none.params["filter"] == "none"


def test_measure_options_are_forwarded_and_recorded() -> None:
    t, ml, ap = _sway()
    res = analyze((t, ml, ap), select=["time"], sway_density_radius_mm=2.0)
    assert set(res.measures) == set(sway.GROUPS["time"])
    assert res.params["sway_density_radius_mm"] == 2.0
    with pytest.raises(ValueError, match="unknown option"):
        analyze((t, ml, ap), cutof_hz=5.0)


def test_short_nan_run_is_bridged_and_reported() -> None:
    t, ml, ap = _sway()
    ml = ml.copy()
    ml[1000:1020] = np.nan  # 0.2 s without CoP
    res = analyze((t, ml, ap))
    assert res.params["nan_samples_dropped"] == 20
    assert res.params["resample"] == "swarii"
    assert res.gaps.shape == (0, 2)
    assert np.all(np.isfinite(res.cop_ml_mm))


def test_long_nan_run_is_an_error_or_the_longest_stretch() -> None:
    t, ml, ap = _sway()
    ml = ml.copy()
    ml[800:1000] = np.nan  # 2 s without CoP, from 8 s to 10 s
    with pytest.raises(BalanceInputError, match=r"gap.*longer than max_gap_s=0.5 s.*7.990-10.000 s"):
        analyze((t, ml, ap))
    res = analyze((t, ml, ap), gap_policy="longest")
    np.testing.assert_allclose(res.gaps, [[7.99, 10.0]])
    assert res.time_s[0] >= 10.0 - 1e-9
    assert res.params["gaps"] == 1


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda t, ml, ap: (t[:0], ml[:0], ap[:0]), "empty"),
        (lambda t, ml, ap: (t[:150], ml[:150], ap[:150]), r"1.49 s long; at least 2 s"),
        (lambda t, ml, ap: (np.r_[t[:100], t[99], t[100:-1] + 0.01], ml, ap), r"duplicate timestamps.*identical \*values\*"),
        (lambda t, ml, ap: (np.r_[t[:100], t[100:][::-1]], ml, ap), "backwards"),
        (lambda t, ml, ap: (t, np.full_like(ml, 3.0), np.full_like(ap, 4.0)), "constant"),
        (lambda t, ml, ap: (t, (ml - 20) / 1000, (ap + 40) / 1000), "metres"),
        (lambda t, ml, ap: (t, ml * 1000, ap * 1000), "micrometres"),
        (lambda t, ml, ap: (t, np.full_like(ml, np.nan), ap), "every CoP sample is NaN"),
        (lambda t, ml, ap: (t, ml[:-1], ap), "same length"),
        (lambda t, ml, ap: (np.r_[t[:10], np.nan, t[11:]], ml, ap), "timestamp 10 is nan"),
    ],
    ids=["empty", "short", "duplicates", "non-monotonic", "constant", "metres", "micrometres", "all-nan", "shape",
         "nan-time"],
)
def test_bad_input_errors_name_problem_and_fix(make, match: str) -> None:  # type: ignore[no-untyped-def]
    t, ml, ap = _sway()
    with pytest.raises(BalanceInputError, match=match):
        analyze(make(t, ml, ap))


def test_units_check_can_be_disabled() -> None:
    t, ml, ap = _sway()
    res = analyze((t, (ml - 20) / 1000, (ap + 40) / 1000), check_units=False, raw=True)
    assert res.measures["rms_ml_mm"] > 0


def test_raw_requirements() -> None:
    t, ml, ap = _sway()
    with pytest.raises(ValueError, match="raw=True .* cutoff_hz"):
        analyze((t, ml, ap), raw=True, cutoff_hz=5.0)
    bad = ml.copy()
    bad[5] = np.nan
    with pytest.raises(BalanceInputError, match="NaN"):
        analyze((t, bad, ap), raw=True)
    rng = np.random.default_rng(0)
    ti = np.cumsum(rng.uniform(0.005, 0.015, size=t.size))
    with pytest.raises(BalanceInputError, match="irregular"):
        analyze((ti, ml, ap), raw=True)


def test_cutoff_above_nyquist_is_explained() -> None:
    t = np.arange(400) / 20.0  # 20 Hz stream: Nyquist 10 Hz
    ml, ap = _truth(t)
    with pytest.raises(BalanceInputError, match="Nyquist.*cutoff_hz=None"):
        analyze((t, ml, ap))
    assert analyze((t, ml, ap), cutoff_hz=6.0).params["fs_hz"] == 20.0


def test_not_a_recording() -> None:
    with pytest.raises(BalanceInputError, match="Recording or a tuple"):
        analyze(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="preset"):
        analyze(_sway(), preset="nope")  # type: ignore[arg-type]


def test_quijoux_preset_delegates() -> None:
    quijoux = pytest.importorskip("balance.quijoux")
    t, ml, ap = _sway()
    res = analyze((t, ml, ap), preset="quijoux")
    assert set(res.measures) == set(quijoux.QUIJOUX_KEYS)
    assert res.measures == pytest.approx(quijoux.features(cop_ml_mm=ml, cop_ap_mm=ap, fs_hz=100.0), nan_ok=True)
    assert res.params["preset"] == "quijoux"
    raw = analyze((t, ml, ap), preset="quijoux", raw=True)
    assert raw.measures == pytest.approx(
        quijoux.features(cop_ml_mm=ml, cop_ap_mm=ap, fs_hz=100.0, preprocess=False), nan_ok=True
    )
    with pytest.raises(ValueError, match="authors' own preprocessing"):
        analyze((t, ml, ap), preset="quijoux", cutoff_hz=5.0)


def test_corner_recording_gives_the_same_measures_as_its_cop() -> None:
    # Corner loads built so that the Wii-board CoP formula returns a known CoP (70 kg person).
    from balance.cop import WII_BALANCE_BOARD as G

    t, ml, ap = _sway()
    u = ml / (G.width_mm / 2)  # ((TR+BR) − (TL+BL)) / Σ
    v = ap / (G.length_mm / 2)  # ((TL+TR) − (BL+BR)) / Σ
    w = 70.0 / 4
    tl, tr, bl, br = w * (1 - u + v), w * (1 + u + v), w * (1 - u - v), w * (1 + u - v)
    rec = Recording.from_corners(t, np.column_stack([tl, tr, bl, br]), fs_hz=100.0)
    a = analyze(rec).measures
    b = analyze((t, ml, ap)).measures
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12, nan_ok=True), k


def test_effective_cutoff_is_what_the_pipeline_does() -> None:
    # issue 10: res.params states the -3 dB frequency of the whole preprocessing.
    from balance.pipeline import effective_cutoff_hz

    # zero-phase Butterworth alone, analog prototype: |H|² = 1/(1 + (f/fc)^(2n)) = 1/√2  <=>
    # f = fc·(√2 − 1)^(1/(2n)) = 8.96 Hz; the digital (bilinear) design differs a little this far from DC
    assert effective_cutoff_hz(window_s=None, cutoff_hz=10.0, order=4, fs_hz=100.0) == pytest.approx(
        10.0 * (np.sqrt(2) - 1) ** (1 / 8), abs=0.1)
    # a moving average of w alone: sinc(f·w) = 1/√2 at f·w = 0.4429 (the textbook constant)
    assert effective_cutoff_hz(window_s=0.08, cutoff_hz=None, order=None, fs_hz=50.0) == pytest.approx(
        0.4429 / 0.08, abs=0.01)
    # through the pipeline: a uniform 100 Hz sine at the stated frequency comes out at 1/√2 of its amplitude
    fs = 100.0
    t = np.arange(0, 30, 1 / fs)
    res0 = analyze((t, np.sin(t), np.cos(0.7 * t)))
    f3 = res0.params["effective_cutoff_hz"]
    assert "-3 dB at" in res0.params["smoothing"]
    res = analyze((t, np.sin(2 * np.pi * f3 * t) * 5, np.cos(0.7 * t) * 5))
    k = slice(300, -300)
    gain = np.sqrt(2) * np.std(res.cop_ml_mm[k]) / 5
    assert gain == pytest.approx(1 / np.sqrt(2), abs=0.01)
