"""Sway measures on analytic cases with stated tolerances (circle, line, Gaussian clouds, sines, random walks)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from balance import density, diffusion, sway
from balance.ellipse import ellipse_area, ellipse_scale, sway_ellipse
from balance.errors import BalanceInputError


# --------------------------------------------------------------------------- circle
@pytest.mark.parametrize("n_per_turn, turns", [(200, 3), (64, 10)])
def test_circle(n_per_turn: int, turns: int) -> None:
    r, fs = 7.5, 100.0
    n = n_per_turn * turns
    th = 2 * np.pi * np.arange(n) / n_per_turn
    ml, ap = 30 + r * np.cos(th), -12 + r * np.sin(th)
    m = sway.measures(ml, ap, fs_hz=fs)
    t_total = n / fs
    chord = 2 * r * np.sin(np.pi / n_per_turn)
    assert m["mean_distance_mm"] == pytest.approx(r, rel=1e-12)
    assert m["rms_mm"] == pytest.approx(r, rel=1e-12)
    assert m["rms_ml_mm"] == pytest.approx(r / np.sqrt(2), rel=1e-12)
    assert m["path_length_mm"] == pytest.approx((n - 1) * chord, rel=1e-12)
    # 2πr per turn, up to the chord/arc ratio sin(x)/x with x = π/n
    assert m["path_length_mm"] / (turns * 2 * np.pi * r) == pytest.approx(1.0, abs=(np.pi / n_per_turn) ** 2 / 6 + 1 / n)
    assert m["mean_velocity_mm_s"] == pytest.approx((n - 1) * chord / t_total, rel=1e-12)
    assert m["range_mm"] == pytest.approx(2 * r, rel=1e-12)
    assert m["range_ml_mm"] == pytest.approx(2 * r, rel=1e-12)
    assert m["confidence_circle_area_mm2"] == pytest.approx(np.pi * r * r, rel=1e-9)  # SD of RD is 0
    f_prieto = stats.f.ppf(0.95, 2, n - 2)
    assert m["confidence_ellipse_area_mm2"] == pytest.approx(np.pi * f_prieto * r * r, rel=1e-9)
    # (1/(2T)) Σ |cross| with each triangle 0.5·r²·sin(2π/n)
    assert m["sway_area_mm2_s"] == pytest.approx((n - 1) * r * r * np.sin(2 * np.pi / n_per_turn) / (2 * t_total), rel=1e-9)
    turn_rate_hz = fs / n_per_turn
    assert m["mean_frequency_hz"] == pytest.approx(turn_rate_hz * (n - 1) / n * chord / (2 * np.pi * r / n_per_turn), rel=1e-9)


def test_sine_per_axis_mean_frequency() -> None:
    # Prieto's 1-D mean frequency TOTEX/(4√2·MDIST·T) gives π/(2√2)·f for a sine of frequency f.
    fs, f0 = 200.0, 0.5
    t = np.arange(int(60 * fs)) / fs
    ml = 4 * np.sin(2 * np.pi * f0 * t)
    ap = 0.5 * np.sin(2 * np.pi * 0.25 * t + 0.3)
    m = sway.measures(ml, ap, fs_hz=fs, select=["time"])
    assert m["mean_frequency_ml_hz"] == pytest.approx(np.pi / (2 * np.sqrt(2)) * f0, rel=2e-3)
    assert m["mean_distance_ml_mm"] == pytest.approx(4 * 2 / np.pi, rel=1e-3)
    assert m["path_length_ml_mm"] == pytest.approx(4 * 4 * f0 * 60, rel=1e-3)


# --------------------------------------------------------------------------- straight line
def test_uniform_straight_line() -> None:
    fs, v, n = 50.0, 3.0, 500  # 3 mm/s along ML
    t = np.arange(n) / fs
    ml, ap = v * t, np.zeros(n)
    m = sway.measures(ml, ap, fs_hz=fs)
    length = v * (n - 1) / fs
    assert m["path_length_mm"] == pytest.approx(length, rel=1e-12)
    assert m["path_length_ml_mm"] == pytest.approx(length, rel=1e-12)
    assert m["path_length_ap_mm"] == 0
    assert m["mean_velocity_mm_s"] == pytest.approx(v * (n - 1) / n, rel=1e-12)
    assert m["range_mm"] == pytest.approx(length, rel=1e-12)
    assert m["range_ml_mm"] == pytest.approx(length, rel=1e-12)
    k = np.arange(n) - (n - 1) / 2
    assert m["mean_distance_mm"] == pytest.approx(v / fs * np.abs(k).mean(), rel=1e-12)
    assert m["rms_mm"] == pytest.approx(v / fs * np.sqrt((n * n - 1) / 12), rel=1e-12)
    assert m["sway_area_mm2_s"] == pytest.approx(0, abs=1e-12)
    for key in ("confidence_ellipse_area_mm2", "prediction_ellipse_area_mm2", "prediction_ellipse_chi2_area_mm2"):
        assert m[key] == pytest.approx(0, abs=1e-9)
    assert np.isnan(m["mean_frequency_ap_hz"])  # undefined: no AP movement
    assert np.isnan(m["fractal_dimension_ce"])  # ellipse of zero size
    # MSD of a ramp is (v·Δt)²: a log-log slope of 2, H = 1 in both regions
    assert m["scaling_exponent_short_ml"] == pytest.approx(1.0, abs=1e-9)
    assert m["scaling_exponent_long_ml"] == pytest.approx(1.0, abs=1e-9)


def test_diagonal_line_range_uses_degenerate_hull() -> None:
    t = np.linspace(0, 1, 300)
    m = sway.measures(3 * t, 4 * t, fs_hz=100.0, select=["range_mm", "range_ml_mm", "range_ap_mm"])
    assert m == pytest.approx({"range_mm": 5.0, "range_ml_mm": 3.0, "range_ap_mm": 4.0}, rel=1e-12)


# --------------------------------------------------------------------------- Gaussian clouds
def test_gaussian_cloud_ellipses_within_sampling_error() -> None:
    rng = np.random.default_rng(42)
    cov = np.array([[4.0, 1.5], [1.5, 9.0]])
    n = 40_000
    p = rng.multivariate_normal([5.0, -3.0], cov, size=n)
    m = sway.measures(p[:, 0], p[:, 1], fs_hz=100.0, select=["time", "area"])
    true_area = np.pi * stats.chi2.ppf(0.95, 2) * np.sqrt(np.linalg.det(cov))
    # √det of the sample covariance has a relative SD of about 1/√n (0.5 %); allow 3 %.
    for key in ("prediction_ellipse_area_mm2", "prediction_ellipse_chi2_area_mm2", "confidence_ellipse_area_mm2"):
        assert m[key] == pytest.approx(true_area, rel=0.03)
    assert m["rms_ml_mm"] == pytest.approx(2.0, rel=0.02)
    assert m["rms_ap_mm"] == pytest.approx(3.0, rel=0.02)
    # the prediction ellipse holds 95 % of the points (binomial SD 0.1 %)
    e = sway_ellipse(p[:, 0], p[:, 1])
    ang = np.radians(e.angle_deg)
    d = p - [e.center_ml_mm, e.center_ap_mm]
    u = d[:, 0] * np.cos(ang) + d[:, 1] * np.sin(ang)
    w = -d[:, 0] * np.sin(ang) + d[:, 1] * np.cos(ang)
    inside = (u / e.semi_major_mm) ** 2 + (w / e.semi_minor_mm) ** 2 <= 1
    assert inside.mean() == pytest.approx(0.95, abs=0.005)
    assert e.area_mm2 == pytest.approx(m["prediction_ellipse_area_mm2"], rel=1e-12)
    # major axis of cov: eigenvector of the largest eigenvalue
    w_, v_ = np.linalg.eigh(cov)
    true_angle = np.degrees(np.arctan2(v_[1, 1], v_[0, 1])) % 180
    assert (e.angle_deg % 180) == pytest.approx(true_angle, abs=2.0)


@pytest.mark.parametrize("n", [10, 30, 748])
def test_ellipse_variants_relations(n: int) -> None:
    rng = np.random.default_rng(n)
    ml, ap = rng.normal(size=n), 0.5 * rng.normal(size=n) + 0.2 * np.arange(n) / n
    prieto = ellipse_area(ml, ap, variant="prieto")
    duarte = ellipse_area(ml, ap, variant="duarte")
    chi2 = ellipse_area(ml, ap, variant="chi2")
    # Duarte (n-1 covariance, prediction factor) / Prieto (1/n covariance) = (n+1)/(n-2) exactly
    assert duarte / prieto == pytest.approx((n + 1) / (n - 2), rel=1e-12)
    f = stats.f.ppf(0.95, 2, n - 2)
    assert chi2 / duarte == pytest.approx(stats.chi2.ppf(0.95, 2) / (2 * f * (n - 1) * (n + 1) / (n * (n - 2))), rel=1e-9)
    assert ellipse_scale(n, variant="prieto") == pytest.approx(2 * f, rel=1e-10)
    cov = np.cov(ml, ap)
    lam = np.linalg.eigvalsh(cov)
    # Duarte's hyperellipsoid formula, written out (docs/data-formats.md)
    assert duarte == pytest.approx(np.pi * np.sqrt(lam.prod()) * f * 2 * (n - 1) * (n + 1) / (n * (n - 2)), rel=1e-10)
    m = sway.measures(ml, ap, fs_hz=10.0, select=["area"]) if n >= 16 else None
    if m is not None:
        assert m["prediction_ellipse_area_mm2"] == pytest.approx(duarte, rel=1e-12)
        assert m["confidence_ellipse_area_mm2"] == pytest.approx(prieto, rel=1e-12)
        assert m["prediction_ellipse_chi2_area_mm2"] == pytest.approx(chi2, rel=1e-12)


def test_quijoux_example_variant_ordering_from_posturography_table() -> None:
    # docs/methods.md §1.2, n = 748: Duarte 2.0397 > Prieto exact F 2.0315 > chi² 2.0261 (cm²).
    n = 748
    assert (n + 1) / (n - 2) == pytest.approx(2.0397 / 2.0315, rel=2e-4)
    ratio_chi2 = stats.chi2.ppf(0.95, 2) / (2 * stats.f.ppf(0.95, 2, n - 2) * (n - 1) * (n + 1) / (n * (n - 2)))
    assert ratio_chi2 == pytest.approx(2.0261 / 2.0397, rel=2e-4)


# --------------------------------------------------------------------------- spectra
def test_sines_of_known_frequency() -> None:
    fs, dur = 100.0, 60.0
    t = np.arange(int(fs * dur)) / fs
    a_ml, f_ml = 3.0, 1.0  # on a PSD bin: Δf = 1/30 Hz
    a_ap, f_ap = 5.0, 0.4
    ml = a_ml * np.sin(2 * np.pi * f_ml * t)
    ap = a_ap * np.sin(2 * np.pi * f_ap * t + 1.0)
    m = sway.measures(ml, ap, fs_hz=fs, select=["spectral"])
    df = 1 / 30
    for ax, a, f in (("ml", a_ml, f_ml), ("ap", a_ap, f_ap)):
        assert m[f"total_power_{ax}_mm2"] == pytest.approx(a * a / 2, rel=0.01)  # variance of a sine
        assert m[f"power_frequency_50_{ax}_hz"] == pytest.approx(f, abs=1e-9)
        assert f <= m[f"power_frequency_95_{ax}_hz"] <= f + df + 1e-9
        assert m[f"centroidal_frequency_{ax}_hz"] == pytest.approx(f, abs=df / 2)
        assert m[f"frequency_dispersion_{ax}"] < 0.05
        assert m[f"mean_power_frequency_{ax}_hz"] == pytest.approx(f, rel=0.01)
    w_ml, w_ap = a_ml**2, a_ap**2
    assert m["mean_power_frequency_hz"] == pytest.approx((f_ml * w_ml + f_ap * w_ap) / (w_ml + w_ap), rel=0.01)


def test_white_noise_is_broadband() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6000))
    m = sway.measures(x[0], x[1], fs_hz=100.0, select=["spectral"])
    assert m["frequency_dispersion_ml"] > 0.4
    # white noise of unit variance: power in 0.15–5 Hz is (5 − 0.15)/50 of the variance
    assert m["total_power_ml_mm2"] == pytest.approx((5 - 0.15) / 50, rel=0.1)
    assert m["mean_power_frequency_ml_hz"] == pytest.approx(25.0, rel=0.05)


# --------------------------------------------------------------------------- diffusion
def test_msd_matches_direct_definition() -> None:
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(size=(2, 500)), axis=1)
    x -= x.mean(axis=1, keepdims=True)
    got = diffusion.mean_square_displacement(x, max_lag=166)
    for m in (1, 2, 50, 166):
        np.testing.assert_allclose(got[:, m], ((x[:, m:] - x[:, :-m]) ** 2).mean(axis=1), rtol=1e-10)
    assert np.all(got[:, 0] == 0)


def test_brownian_motion_diffusion_coefficient() -> None:
    # Random walks with step SDs σ_ml ≠ σ_ap at fs: ⟨Δx²⟩ = σ²·fs·Δt = 2DΔt, so D = σ²fs/2 per axis, and
    # Collins & De Luca's planar ⟨Δr²⟩ = 2·D_r·Δt gives D_r = D_ml + D_ap (not their mean: the convention
    # was slope/4 before issue 10, which this test would catch).
    rng = np.random.default_rng(11)
    fs, s_ml, s_ap = 100.0, 0.1, 0.2
    # 2000 s, so that the MSD up to 2.5 s has a sampling error of a few % (√(2m/N) at lag m)
    ml = np.cumsum(rng.normal(scale=s_ml, size=200_000))
    ap = np.cumsum(rng.normal(scale=s_ap, size=200_000))
    m = sway.measures(ml, ap, fs_hz=fs, select=["diffusion"])
    d_ml, d_ap = s_ml**2 * fs / 2, s_ap**2 * fs / 2
    for sfx, d_true in (("_ml", d_ml), ("_ap", d_ap), ("", d_ml + d_ap)):
        assert m[f"diffusion_short{sfx}_mm2_s"] == pytest.approx(d_true, rel=0.06)
        assert m[f"scaling_exponent_short{sfx}"] == pytest.approx(0.5, abs=0.02)
        assert m[f"scaling_exponent_long{sfx}"] == pytest.approx(0.5, abs=0.1)
    # the identity holds exactly for the fits (the planar MSD is the sum of the axes' MSDs) when the
    # three fits share their break lag; here check it to the sampling error
    assert m["diffusion_short_mm2_s"] == pytest.approx(m["diffusion_short_ml_mm2_s"] + m["diffusion_short_ap_mm2_s"],
                                                       rel=0.05)


def test_planar_diffusion_is_the_sum_of_the_axes_for_a_shared_break() -> None:
    # The linear fits are linear in the MSD, so with the break lag fixed (a one-lag search range) the
    # planar coefficient must equal D_ml + D_ap to rounding, for any signal.
    rng = np.random.default_rng(3)
    ml, ap = np.cumsum(rng.normal(size=(2, 6000)), axis=1)
    m = sway.measures(ml, ap, fs_hz=100.0, select=["diffusion"], diffusion_break_range_s=(1.0, 1.0))
    for reg in ("short", "long"):
        assert m[f"diffusion_{reg}_mm2_s"] == pytest.approx(
            m[f"diffusion_{reg}_ml_mm2_s"] + m[f"diffusion_{reg}_ap_mm2_s"], rel=1e-9)


def test_diffusion_finds_the_break_of_a_bounded_walk() -> None:
    # Ornstein-Uhlenbeck CoP (random walk pulled back to the centre, time constant 1 s): persistent
    # (H ≈ 0.5) at short lags, flattening (H → 0) beyond ~1 s, so the fitted long-term H is well below 0.5.
    rng = np.random.default_rng(5)
    fs, tau, n = 100.0, 1.0, 12_000
    a = np.exp(-1 / (tau * fs))
    e = rng.normal(scale=0.2, size=(2, n))
    from scipy.signal import lfilter

    ml, ap = lfilter([1.0], [1.0, -a], e, axis=1)
    m = sway.measures(ml, ap, fs_hz=fs, select=["diffusion"])
    assert m["scaling_exponent_short"] > 0.4
    assert m["scaling_exponent_long"] < 0.3
    assert 0.3 <= m["critical_time_s"] <= 3.0
    assert m["diffusion_long_mm2_s"] < m["diffusion_short_mm2_s"]


# --------------------------------------------------------------------------- sway density
def _brute_runs(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    n = x.size
    out = np.zeros(n, dtype=int)
    for i in range(n):
        j = i + 1
        while j < n and (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= r * r:
            j += 1
        k = i - 1
        while k >= 0 and (x[k] - x[i]) ** 2 + (y[k] - y[i]) ** 2 <= r * r:
            k -= 1
        out[i] = (j - 1) - (k + 1)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_sway_density_runs_equal_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 400))
    x, y = np.cumsum(rng.normal(size=(2, n)) * rng.uniform(0.05, 1.0), axis=1)
    r = float(rng.uniform(0.3, 4.0))
    np.testing.assert_array_equal(density.run_lengths_within(x, y, radius_mm=r), _brute_runs(x, y, r))


def test_sway_density_runs_long_stays() -> None:
    # a CoP that stays inside the circle for the whole record: every run is the whole record
    t = np.linspace(0, 1, 5000)
    x, y = 0.1 * np.sin(20 * t), 0.1 * np.cos(13 * t)
    np.testing.assert_array_equal(density.run_lengths_within(x, y, radius_mm=1.0), np.full(5000, 4999))


def test_sway_density_runs_of_stop_and_go() -> None:
    # The CoP holds still for 1 s at each corner of a 10 mm square, then moves in a straight line to
    # the next corner in 0.2 s. A sample in the middle of a hold sees its whole hold plus the ramp
    # samples within 3 mm on either side (ramp step 10/21 mm).
    hold, move = 100, 20
    corners = np.array([[0, 0], [10, 0], [10, 10], [0, 10]] * 3, dtype=float)
    parts = []
    for a, b in zip(corners[:-1], corners[1:]):
        parts.append(np.repeat(a[None, :], hold, axis=0))
        parts.append(a + (b - a) * (np.arange(1, move + 1) / (move + 1))[:, None])
    parts.append(np.repeat(corners[-1][None, :], hold, axis=0))
    p = np.vstack(parts)
    runs = density.run_lengths_within(p[:, 0], p[:, 1], radius_mm=3.0)
    k = int(np.floor(3.0 / (10 / 21)))
    assert runs[hold // 2 + hold + move] == hold - 1 + 2 * k
    assert runs[0] == hold - 1 + k  # first hold: ramp on one side only
    np.testing.assert_array_equal(runs, _brute_runs(p[:, 0], p[:, 1], 3.0))


@pytest.mark.parametrize("seed", range(3))
def test_sway_density_measures_equal_independent_pipeline(seed: int) -> None:
    # brute-force runs -> seconds -> 4th-order 2.5 Hz zero-phase Butterworth -> scipy find_peaks
    from scipy.signal import butter, find_peaks, sosfiltfilt

    rng = np.random.default_rng(seed)
    fs = 50.0
    ml, ap = np.cumsum(rng.normal(size=(2, 1000)) * [[0.3], [0.4]], axis=1)
    curve = sosfiltfilt(butter(4, 2.5, fs=fs, output="sos"), _brute_runs(ml, ap, 3.0) / fs)
    pk, _ = find_peaks(curve)
    m = sway.measures(ml, ap, fs_hz=fs, select=["density"])
    assert m["sway_density_mean_peak_s"] == pytest.approx(curve[pk].mean(), rel=1e-9)
    assert m["sway_density_mean_distance_mm"] == pytest.approx(np.hypot(np.diff(ml[pk]), np.diff(ap[pk])).mean(), rel=1e-9)
    assert m["sway_density_mean_interval_s"] == pytest.approx(np.diff(pk).mean() / fs, rel=1e-9)


# --------------------------------------------------------------------------- range
@pytest.mark.parametrize("seed", range(5))
def test_range_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 600))
    p = np.cumsum(rng.normal(size=(n, 2)), axis=0) if seed % 2 else rng.normal(size=(n, 2))
    brute = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)).max()
    assert sway.max_distance(p[:, 0], p[:, 1]) == pytest.approx(brute, rel=1e-12)


# --------------------------------------------------------------------------- API, catalogue, errors
def _walk(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ml, ap = np.cumsum(rng.normal(size=(2, n)) * [[0.2], [0.3]], axis=1)
    return ml, ap


def test_catalogue_matches_output() -> None:
    ml, ap = _walk()
    m = sway.measures(ml, ap, fs_hz=50.0)
    assert list(m) == list(sway.MEASURES)
    suffix_unit = {"_mm": "mm", "_mm_s": "mm/s", "_mm2": "mm²", "_mm2_s": "mm²/s", "_hz": "Hz", "_s": "s"}
    for key, info in sway.MEASURES.items():
        assert info.key == key
        assert info.description and info.formula and info.reference
        unit = next((u for s, u in sorted(suffix_unit.items(), key=lambda kv: -len(kv[0])) if key.endswith(s)), "1")
        assert info.unit == unit, key
        assert info.axis in ("ml", "ap", "planar")
        assert ("_ml" in key) == (info.axis == "ml") and ("_ap" in key) == (info.axis == "ap")
    assert set().union(*sway.GROUPS.values()) == set(sway.MEASURES)


def test_select_subset_equals_full() -> None:
    ml, ap = _walk()
    full = sway.measures(ml, ap, fs_hz=50.0)
    sub = sway.measures(ml, ap, fs_hz=50.0, select=["rms_ml_mm", "spectral"])
    assert set(sub) == {"rms_ml_mm", *sway.GROUPS["spectral"]}
    for k, v in sub.items():
        assert v == full[k]
    with pytest.raises(ValueError, match="unknown measure or group 'rms_ml'"):
        sway.measures(ml, ap, fs_hz=50.0, select=["rms_ml"])


def test_constant_signal_is_an_error() -> None:
    with pytest.raises(BalanceInputError, match="constant"):
        sway.measures(np.full(500, 3.0), np.full(500, -2.0), fs_hz=100.0)


@pytest.mark.parametrize(
    "ml, ap, fs, match",
    [
        (np.zeros(10), np.zeros(10), 100.0, "at least 16"),
        (np.r_[np.zeros(99), np.nan], np.arange(100.0), 100.0, "NaN"),
        (np.zeros(100), np.zeros(99), 100.0, "equal length"),
        (np.arange(100.0), np.arange(100.0), 0.0, "fs_hz"),
    ],
)
def test_bad_input(ml: np.ndarray, ap: np.ndarray, fs: float, match: str) -> None:
    with pytest.raises(BalanceInputError, match=match):
        sway.measures(ml, ap, fs_hz=fs)


@pytest.mark.parametrize("n", [8, 51, 3000, 6001])
def test_welch_psd_equals_scipy_welch(n: int) -> None:
    from scipy.signal import welch

    from balance.spectral import welch_psd

    x = np.cumsum(np.random.default_rng(n).normal(size=(2, n)), axis=1)
    f, p = welch_psd(x, fs_hz=100.0)
    f2, p2 = welch(x, 100.0, window="hann", nperseg=n // 2, noverlap=n // 4, nfft=n // 2, detrend="constant")
    np.testing.assert_allclose(f, f2, rtol=1e-14)
    np.testing.assert_allclose(p, p2, rtol=1e-12, atol=1e-14 * np.abs(p2).max())


def test_short_or_slow_records_give_nan_not_errors() -> None:
    rng = np.random.default_rng(0)
    ml, ap = np.cumsum(rng.normal(size=(2, 16)), axis=1)
    m = sway.measures(ml, ap, fs_hz=100.0)  # 0.16 s: no PSD bin in 0.15-5 Hz, no diffusion break
    assert np.isnan(m["total_power_ml_mm2"])
    assert np.isnan(m["critical_time_s"])
    assert m["path_length_mm"] > 0
    m = sway.measures(ml, ap, fs_hz=4.0)  # sway-density low-pass (2.5 Hz) impossible at 4 Hz
    assert all(np.isnan(m[k]) for k in sway.GROUPS["density"])


@pytest.mark.parametrize("noise", [0.0, 1e-13, 1e-6])
def test_range_of_nearly_collinear_points(noise: float) -> None:
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 10, size=400)
    p = np.column_stack([3 * t, -2 * t]) + noise * rng.normal(size=(400, 2))
    brute = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)).max()
    assert sway.max_distance(p[:, 0], p[:, 1]) == pytest.approx(brute, rel=1e-9)


@pytest.mark.parametrize("n", [3, 50, 300, 2000])
def test_range_of_points_on_a_circle_uses_the_hull_path(n: int) -> None:
    # every point of a circle passes the bounding-box test, so the hull fallback is exercised
    th = np.random.default_rng(n).uniform(0, 2 * np.pi, size=n)
    x, y = 5 * np.cos(th), 5 * np.sin(th)
    p = np.column_stack([x, y])
    brute = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)).max()
    assert sway.max_distance(x, y) == pytest.approx(brute, rel=1e-12)
    assert sway._hull_diameter(x, y) == pytest.approx(brute, rel=1e-12)
