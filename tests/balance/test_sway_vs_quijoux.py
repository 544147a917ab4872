"""Peer implementation: our measures against the Quijoux et al. 2021 reference code's own outputs.

The authors' code (Jythen/code_descriptors_postural_control @ c66a0e4) computed
``data/quijoux/reference_features_HEAD_c66a0e4_numpy2.4.json`` on its example trial after its default
preprocessing. We rebuild that preprocessed signal (748 samples at 25 Hz, cm) with
:func:`balance.quijoux.preprocess_signal` (itself checked against the same JSON in test_quijoux.py) and
compare every feature whose definition matches one of ours — exactly, or up to a stated convention
factor (their sway area and mean frequencies divide by T = (N−1)/fs, ours by N/fs; their "confidence
ellipse" is a prediction ellipse with 1/N moments, i.e. ours × (N−1)/N; docs/methods.md §1.2).

One more difference is measured, not assumed: their features are computed on the preprocessed signal as
it is, whose mean is no longer exactly zero after resampling and filtering (μ = 0.0002 cm ML, −0.0018 cm
AP), while ours remove the mean first (docs/methods.md §1.1). Where that matters the comparison uses the
exact relation (RMS² = SD² + μ²) or a rigorous bound (|Δ mean distance| <= |μ|).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from balance import sway

quijoux = pytest.importorskip("balance.quijoux")


@pytest.fixture(scope="module")
def reference(data_dir) -> dict[str, float]:  # type: ignore[no-untyped-def]
    with open(data_dir / "quijoux" / "reference_features_HEAD_c66a0e4_numpy2.4.json") as fh:
        return json.load(fh)


def _their_signal(data_dir: Path) -> tuple[np.ndarray, float]:
    """Rows 4000:7000 of test.csv through their preprocessing: (signal in cm, shape (n, 2); fs in Hz)."""
    import pandas as pd

    # ML = 100·My/Fz, AP = 100·Mx/Fz (cm), mean removed: the authors' main.py
    # (the all-zero dropped frames give 0/0 = NaN, which their pandas mean skips)
    df = pd.read_csv(data_dir / "quijoux" / "test.csv.gz", header=[31], sep=",", index_col=0)
    ml = (df[" My"] / df[" Fz"]).to_numpy()
    ap = (df[" Mx"] / df[" Fz"]).to_numpy()
    ml = 100 * (ml - np.nanmean(ml))
    ap = 100 * (ap - np.nanmean(ap))
    sig_cm, fs, _ = quijoux.preprocess_signal(ml[4000:7000], ap[4000:7000], fs_hz=100.0)
    return sig_cm, fs


@pytest.fixture(scope="module")
def ours(data_dir) -> tuple[dict[str, float], int, np.ndarray]:  # type: ignore[no-untyped-def]
    sig_cm, fs = _their_signal(data_dir)
    assert sig_cm.shape == (748, 2) and fs == 25.0
    mu_mm = sig_cm.mean(axis=0) * 10.0  # residual mean of their analysed signal
    return sway.measures(sig_cm[:, 0] * 10.0, sig_cm[:, 1] * 10.0, fs_hz=fs), sig_cm.shape[0], mu_mm


@pytest.fixture(scope="module")
def their_psd(data_dir):  # type: ignore[no-untyped-def]
    """Their PSD estimator (stato.py): Welch, 10 s Hann segments, 50 % overlap, linear detrend, nfft = N."""
    from scipy.signal import welch

    sig_cm, fs = _their_signal(data_dir)
    f, p = welch(sig_cm * 10.0, fs=fs, detrend="linear", nperseg=250, noverlap=125, axis=0, nfft=sig_cm.shape[0])
    return f, p[:, 0], p[:, 1]


# (their key, our key, their unit per ours: cm = mm / 10); definitions independent of the mean
SAME = [
    ("range_ML", "range_ml_mm", 0.1),
    ("range_AP", "range_ap_mm", 0.1),
    ("range_ML_AND_AP", "range_mm", 0.1),
    ("mean_velocity_ML", "mean_velocity_ml_mm_s", 0.1),
    ("mean_velocity_AP", "mean_velocity_ap_mm_s", 0.1),
    ("mean_velocity_ML_AND_AP", "mean_velocity_mm_s", 0.1),
]


@pytest.mark.parametrize("theirs, key, scale", SAME, ids=[s[0] for s in SAME])
def test_identical_definitions(reference, ours, theirs: str, key: str, scale: float) -> None:  # type: ignore[no-untyped-def]
    m = ours[0]
    assert m[key] * scale == pytest.approx(reference[theirs], rel=1e-9)


def test_rms_and_mean_distance_up_to_their_residual_mean(reference, ours) -> None:  # type: ignore[no-untyped-def]
    m, _, mu = ours
    for ax, i in (("ML", 0), ("AP", 1)):
        low = ax.lower()
        # RMS about the origin² = SD² + mean², exactly
        assert np.hypot(m[f"rms_{low}_mm"], mu[i]) / 10 == pytest.approx(reference[f"rms_{ax}"], rel=1e-9)
        # | mean|x − μ| − mean|x| | <= |μ|
        assert abs(m[f"mean_distance_{low}_mm"] / 10 - reference[f"mean_distance_{ax}"]) <= abs(mu[i]) / 10 + 1e-15
    assert np.sqrt(m["rms_mm"] ** 2 + mu @ mu) / 10 == pytest.approx(reference["rms_Radius"], rel=1e-9)
    assert abs(m["mean_distance_mm"] / 10 - reference["mean_distance_Radius"]) <= np.hypot(*mu) / 10 + 1e-15


def test_mean_frequency_differs_by_duration_convention_and_mean_distance(reference, ours) -> None:  # type: ignore[no-untyped-def]
    # MFREQ = path / (k · MDIST · T): same path; T = (N−1)/fs for them; their MDIST is about the origin.
    m, n, _ = ours
    for theirs, key, md_theirs, md_ours in (
        ("mean_frequency_ML", "mean_frequency_ml_hz", "mean_distance_ML", "mean_distance_ml_mm"),
        ("mean_frequency_AP", "mean_frequency_ap_hz", "mean_distance_AP", "mean_distance_ap_mm"),
        ("mean_frequency_ML_AND_AP", "mean_frequency_hz", "mean_distance_Radius", "mean_distance_mm"),
    ):
        expected = m[key] * n / (n - 1) * (m[md_ours] / 10) / reference[md_theirs]
        assert expected == pytest.approx(reference[theirs], rel=1e-9)


def test_sway_area_per_second_within_the_residual_mean_bound(reference, ours) -> None:  # type: ignore[no-untyped-def]
    # each triangle (origin, p_n, p_n+1) changes by at most |μ|·|Δp| when the origin moves by μ
    m, n, mu = ours
    theirs_mm2_s = reference["sway_area_per_second_ML_AND_AP"] * 100
    ours_their_t = m["sway_area_mm2_s"] * n / (n - 1)
    bound = np.hypot(*mu) * m["path_length_mm"] / (2 * (n - 1) / 25.0)
    assert abs(ours_their_t - theirs_mm2_s) <= bound
    assert ours_their_t == pytest.approx(theirs_mm2_s, rel=1e-3)


def test_their_ellipse_is_the_prediction_ellipse_with_biased_moments(reference, ours) -> None:  # type: ignore[no-untyped-def]
    m, n, mu = ours
    # equal up to their uncentred moments: a relative effect of order (μ/σ)² ≈ 2e-5
    assert (mu[1] / m["rms_ap_mm"]) ** 2 < 3e-5
    assert m["prediction_ellipse_area_mm2"] / 100 * (n - 1) / n == pytest.approx(
        reference["confidence_ellipse_area_ML_AND_AP"], rel=1e-4
    )
    # and the table of docs/methods.md §1.2 (n = 748, cm²): Duarte 2.0397, Prieto 2.0315, chi² 2.0261
    assert m["prediction_ellipse_area_mm2"] / 100 == pytest.approx(2.0397, abs=1e-4)
    assert m["confidence_ellipse_area_mm2"] / 100 == pytest.approx(2.0315, abs=1e-4)
    assert m["prediction_ellipse_chi2_area_mm2"] / 100 == pytest.approx(2.0261, abs=1e-4)


def test_spectral_formulas_on_their_psd(reference, their_psd) -> None:  # type: ignore[no-untyped-def]
    # Our spectral measures from *their* PSD estimate: the band (0.15-5 Hz, inclusive), the cumulative
    # 50 %/95 % rule and the spectral moments are the same definitions. Their total power is a plain sum
    # of bins (no Δf) in cm²/Hz; ours integrates (mm²).
    from balance.spectral import spectral_measures

    f, p_ml, p_ap = their_psd
    m = spectral_measures(f, p_ml, p_ap)
    df = f[1] - f[0]
    for ax in ("ML", "AP"):
        low = ax.lower()
        tag = f"Power_Spectrum_Density_{ax}"
        assert m[f"power_frequency_50_{low}_hz"] == pytest.approx(reference[f"power_frequency_50_{tag}"], rel=1e-12)
        assert m[f"power_frequency_95_{low}_hz"] == pytest.approx(reference[f"power_frequency_95_{tag}"], rel=1e-12)
        assert m[f"centroidal_frequency_{low}_hz"] == pytest.approx(reference[f"centroid_frequency_{tag}"], rel=1e-9)
        assert m[f"frequency_dispersion_{low}"] == pytest.approx(reference[f"frequency_dispersion_{tag}"], rel=1e-9)
        assert m[f"total_power_{low}_mm2"] / df / 100 == pytest.approx(reference[f"total_power_{tag}"], rel=1e-9)
