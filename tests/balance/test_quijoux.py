"""Tests of balance.quijoux: the 72 features of Quijoux et al. 2021.

The main check reproduces the values the authors' code (Jythen/code_descriptors_postural_control
@ c66a0e4) gives on its own example trial, shipped in data/quijoux with provenance. The fast
re-implementations of the reference's loops (2-D range, sway density, velocity peaks, artefact
purge, diffusion plot, OLS) are checked against straightforward loop transcriptions of their
definitions written here, and a few features against analytic cases.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance import quijoux
from balance.errors import BalanceInputError
from balance.quijoux import (
    QUIJOUX_KEYS,
    QUIJOUX_UNITS,
    features,
    preprocess_signal,
    purge_artefacts,
    range_2d,
    sway_density,
)


@pytest.fixture(scope="module")
def quijoux_trial(data_dir):
    """ML, AP (cm) of rows 4000:7000 of test.csv, exactly as the authors' main.py builds them."""
    import pandas as pd

    df = pd.read_csv(data_dir / "quijoux" / "test.csv.gz", header=[31], sep=",", index_col=0)
    x = df.get(" My") / df.get(" Fz")
    y = df.get(" Mx") / df.get(" Fz")
    x = 100 * (x - np.mean(x))
    y = 100 * (y - np.mean(y))
    return x.to_numpy()[4000:7000], y.to_numpy()[4000:7000]


def _load(data_dir, name):
    with open(data_dir / "quijoux" / name) as fh:
        return json.load(fh)


def test_keys_and_units_match_the_reference(data_dir):
    ref = _load(data_dir, "reference_features_HEAD_c66a0e4_numpy2.4.json")
    assert len(QUIJOUX_KEYS) == 72
    assert list(QUIJOUX_KEYS) == list(ref)
    assert set(QUIJOUX_UNITS) == set(QUIJOUX_KEYS)


def test_reproduces_reference_json_head(quijoux_trial, data_dir):
    ref = _load(data_dir, "reference_features_HEAD_c66a0e4_numpy2.4.json")
    ml_cm, ap_cm = quijoux_trial
    got = features(ml_cm * 10.0, ap_cm * 10.0, fs_hz=100.0)  # mm in
    assert list(got) == list(ref)
    for key, expected in ref.items():
        assert got[key] == pytest.approx(expected, rel=1e-6, abs=0), key


def test_close_to_the_published_notebook_values(quijoux_trial, data_dir):
    # the notebook was run in 2021 with older numpy/scipy: 69 identical, 3 within 0.13 %
    nb = _load(data_dir, "reference_features_from_main_ipynb.json")
    ml_cm, ap_cm = quijoux_trial
    got = features(ml_cm * 10.0, ap_cm * 10.0, fs_hz=100.0)
    rel = {k: abs(got[k] - v) / abs(v) for k, v in nb.items()}
    assert max(rel.values()) < 1.5e-3
    assert sum(r < 1e-9 for r in rel.values()) >= 69


def test_preprocessing_gives_748_samples_at_25_hz(quijoux_trial):
    ml_cm, ap_cm = quijoux_trial
    sig, fs, mean = preprocess_signal(ml_cm, ap_cm, fs_hz=100.0)
    assert sig.shape == (748, 2) and fs == 25.0
    np.testing.assert_allclose(mean, [np.mean(ml_cm), np.mean(ap_cm)], rtol=1e-14)


def test_select_returns_a_subset_with_equal_values(quijoux_trial):
    ml_cm, ap_cm = quijoux_trial
    full = features(ml_cm * 10, ap_cm * 10, fs_hz=100.0)
    pick = ["rms_AP", "mean_velocity_ML_AND_AP", "mean_peak_Sway_Density", "critical_time_Diffusion_AP"]
    sub = features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, select=pick)
    assert list(sub) == pick
    assert all(sub[k] == full[k] for k in pick)
    with pytest.raises(BalanceInputError, match="rms_XY"):
        features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, select=["rms_XY"])


# ---------------------------------------------------------------- analytic cases, raw mode


def test_circle_without_preprocessing():
    # r = 10 mm = 1 cm, 0.25 Hz, 20 s at 100 Hz: 5 turns
    fs, f0, r_cm = 100.0, 0.25, 1.0
    # (select: the periodic MSD returns to 0 at 4 s, where the diffusion log-log fit is undefined)
    keys = [k for k in QUIJOUX_KEYS if "Diffusion" not in k]
    t = np.arange(2000) / fs
    ml, ap = r_cm * np.cos(2 * np.pi * f0 * t), r_cm * np.sin(2 * np.pi * f0 * t)
    got = features(10 * ml, 10 * ap, fs_hz=fs, preprocess=False, select=keys)
    assert got["mean_distance_Radius"] == pytest.approx(r_cm, rel=1e-6)
    assert got["rms_ML"] == pytest.approx(r_cm / math.sqrt(2), rel=1e-3)
    assert got["range_ML_AND_AP"] == pytest.approx(2 * r_cm, rel=1e-5)
    # path length: 1999 chords of angle dtheta = 2 pi f0 / fs, over N/fs = 20 s
    dtheta = 2 * np.pi * f0 / fs
    chord = 2 * r_cm * np.sin(dtheta / 2)
    assert got["mean_velocity_ML_AND_AP"] == pytest.approx(1999 * chord / 20, rel=1e-9)
    # mean frequency (2-D model of Prieto): mean speed / (2 pi mean distance) -> f0
    assert got["mean_frequency_ML_AND_AP"] == pytest.approx(fs * chord / (2 * np.pi * r_cm), rel=1e-9)
    assert got["mean_frequency_ML_AND_AP"] == pytest.approx(f0, rel=2e-5)  # chord vs arc
    # swept area: 1999 triangles of area r^2 sin(dtheta) / 2, over (N - 1)/fs s
    assert got["sway_area_per_second_ML_AND_AP"] == pytest.approx(
        1999 * r_cm**2 * np.sin(dtheta) / 2 / 19.99, rel=1e-9
    )
    assert got["coefficient_sway_direction_ML_AND_AP"] == pytest.approx(0, abs=1e-3)
    # whole turns of a circle: equal variance in every direction, so no principal direction
    assert math.isnan(got["principal_sway_direction_ML_AND_AP"])


def test_principal_direction_of_a_nearly_isotropic_cloud_is_defined():
    # an ellipse with semi-axes 1.0 and 0.99 cm along AP: the direction is 0 deg, not NaN
    t = np.arange(2000) / 100.0
    ml, ap = 0.99 * np.cos(2 * np.pi * 0.25 * t), np.sin(2 * np.pi * 0.25 * t)
    got = features(10 * ml, 10 * ap, fs_hz=100.0, preprocess=False, select=["principal_sway_direction_ML_AND_AP"])
    assert got["principal_sway_direction_ML_AND_AP"] == pytest.approx(0, abs=1e-6)


def test_principal_sway_direction_and_scaling():
    rng = np.random.default_rng(0)
    fs = 50.0
    a = np.cumsum(rng.normal(size=1500)) * 0.05
    b = np.cumsum(rng.normal(size=1500)) * 0.005
    along_ap = features(10 * b, 10 * a, fs_hz=fs, preprocess=False, select=["principal_sway_direction_ML_AND_AP"])
    along_ml = features(10 * a, 10 * b, fs_hz=fs, preprocess=False, select=["principal_sway_direction_ML_AND_AP"])
    assert along_ap["principal_sway_direction_ML_AND_AP"] < 10
    assert along_ml["principal_sway_direction_ML_AND_AP"] > 80
    # scaling laws: lengths x k, areas x k^2, frequencies unchanged
    k = 3.0
    f1 = features(10 * a, 10 * b, fs_hz=fs, preprocess=False)
    fk = features(10 * k * a, 10 * k * b, fs_hz=fs, preprocess=False, sway_density_radius_cm=0.3 * k)
    for key in ("rms_ML", "range_ML_AND_AP", "mean_velocity_AP", "mean_distance_peak_Sway_Density"):
        assert fk[key] == pytest.approx(k * f1[key], rel=1e-9), key
    for key in ("confidence_ellipse_area_ML_AND_AP", "total_power_Power_Spectrum_Density_ML"):
        assert fk[key] == pytest.approx(k * k * f1[key], rel=1e-9), key
    for key in ("mean_frequency_ML", "power_frequency_50_Power_Spectrum_Density_AP", "mean_peak_Sway_Density",
                "short_time_scaling_Diffusion_ML", "critical_time_Diffusion_AP", "zero_crossing_SPD_ML"):
        assert fk[key] == pytest.approx(f1[key], rel=1e-9), key


def test_irregular_timestamps_close_to_uniform():
    # the same smooth CoP given with uniform and with jittered timestamps
    rng = np.random.default_rng(4)
    def cop(t):
        return np.sin(2 * np.pi * 0.3 * t) + 0.5 * np.sin(2 * np.pi * 0.11 * t + 1), np.cos(2 * np.pi * 0.2 * t)
    tu = np.arange(3000) / 100.0
    tj = np.sort(tu + rng.uniform(-0.003, 0.003, tu.size))
    tj[0] = 0.0
    fu = features(*(10 * c for c in cop(tu)), fs_hz=100.0, select=["rms_ML", "mean_velocity_ML_AND_AP"])
    fj = features(*(10 * c for c in cop(tj)), time_s=tj, select=["rms_ML", "mean_velocity_ML_AND_AP"])
    for key in fu:
        assert fj[key] == pytest.approx(fu[key], rel=2e-3), key


def test_bad_inputs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=500), rng.normal(size=500)
    with pytest.raises(BalanceInputError, match="required"):
        features(x)
    with pytest.raises(BalanceInputError, match="either fs_hz"):
        features(x, y)
    with pytest.raises(BalanceInputError, match="strictly increasing"):
        features(x, y, time_s=np.r_[np.arange(250), np.arange(250)] / 25.0)
    with pytest.raises(BalanceInputError, match="needs fs_hz"):
        features(x, y, time_s=np.arange(500) / 25.0, preprocess=False)
    with pytest.raises(BalanceInputError, match="constant"):
        features(np.ones(1000), y[:1].repeat(1000), fs_hz=100.0, preprocess=False)
    with pytest.raises(BalanceInputError, match="straight line"):
        features(x, 2 * x, fs_hz=25.0, preprocess=False)
    with pytest.raises(BalanceInputError, match="too few"):
        features(x[:300], y[:300], fs_hz=100.0)  # 3 s: too short for the diffusion fits
    # without the diffusion keys a 3 s trial is fine
    keys = [k for k in QUIJOUX_KEYS if "Diffusion" not in k]
    assert len(features(x[:300], y[:300], fs_hz=100.0, select=keys)) == 60


# ---------------------------------------------------------------- fast parts vs definitions


def _range_brute(p):
    """Largest pairwise distance, all pairs (in row blocks to bound memory)."""
    best = 0.0
    for i in range(0, len(p), 256):
        d = p[i : i + 256, None, :] - p[None, :, :]
        best = max(best, float(np.sqrt((d**2).sum(-1)).max()))
    return best


@pytest.mark.parametrize("seed", range(20))
def test_range_2d_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200)) if seed < 12 else int(rng.integers(500, 2500))
    kind = seed % 4
    if kind == 0:
        p = rng.normal(size=(n, 2))
    elif kind == 1:  # all points on a circle: every point is a hull vertex
        a = rng.uniform(0, 2 * np.pi, n)
        p = np.c_[np.cos(a), np.sin(a)] * rng.uniform(0.5, 3)
    elif kind == 2:  # a random walk, like a CoP
        p = np.cumsum(rng.normal(size=(n, 2)), axis=0)
    else:  # a thin, elongated cloud with duplicates
        p = np.c_[rng.normal(size=n), 1e-3 * rng.normal(size=n)]
        p = np.r_[p, p[: n // 2]]
    assert range_2d(p) == pytest.approx(_range_brute(p), rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "p",
    [
        np.array([[1.0, 2.0]]),
        np.array([[0.0, 0.0], [3.0, 4.0]]),
        np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [5.0, 5.0]]),  # collinear
        np.array([[1.0, 1.0]] * 5),  # coincident
        np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], dtype=float),  # square
    ],
)
def test_range_2d_degenerate(p):
    assert range_2d(p) == pytest.approx(_range_brute(p), rel=1e-12)


def _sway_count_brute(s, radius):
    """Loop transcription of the sway-density count (before division by fs and filtering)."""
    n = len(s)
    out = np.zeros(n - 1)
    for t in range(n - 1):
        stop = t + 1
        while stop < n and np.hypot(*(s[stop] - s[t])) <= radius:
            stop += 1
        start = t - 1
        while start >= 0 and np.hypot(*(s[start] - s[t])) <= radius:
            start -= 1
        out[t] = (stop - 1) - (start + 1)
    return out


@pytest.mark.parametrize("scan_below", [0, 512, 10**9])  # lifting only, mixed, direct scan only
@pytest.mark.parametrize("seed", range(5))
def test_sway_density_equals_brute_force(seed, scan_below, monkeypatch):
    from scipy.signal import butter, filtfilt

    monkeypatch.setattr(quijoux, "_SCAN_BELOW", scan_below)

    rng = np.random.default_rng(seed)
    n = 300
    s = np.cumsum(rng.normal(size=(n, 2)) * 0.03, axis=0)
    if seed == 4:
        s *= 0.05  # almost still: the discs are never left, dwell spans the record
    fs, radius = 25.0, 0.3
    counts = _sway_count_brute(s, radius)
    b, a = butter(N=4, Wn=2.5 / (0.5 * fs), btype="lowpass")
    expected = filtfilt(b, a, counts / fs)
    np.testing.assert_allclose(sway_density(s, fs_hz=fs, radius_cm=radius), expected, rtol=1e-12, atol=1e-12)


def _velocity_peaks_brute(v):
    """Loop transcription of the half-wave definition: peak = first largest |v| between crossings."""
    crossings, last_sign = [], 0.0
    for i, x in enumerate(v):
        if x != 0:
            if last_sign != 0 and np.sign(x) != last_sign:
                crossings.append(i)
            last_sign = np.sign(x)
    pos, neg = [], []
    for k in range(len(crossings) - 1):
        seg = v[crossings[k] : crossings[k + 1]]
        peak = crossings[k] + int(np.argmax(np.abs(seg)))
        (pos if v[crossings[k + 1]] < 0 else neg).append(peak)
    return len(crossings), pos, neg


@pytest.mark.parametrize("seed", range(8))
def test_velocity_peaks_equal_loop(seed):
    rng = np.random.default_rng(seed)
    v = np.round(rng.normal(size=400) + 0.3 * np.sin(np.arange(400) / 7), 1)  # many exact zeros and ties
    n_cross, pos, neg = _velocity_peaks_brute(v)
    got = quijoux._velocity_peaks(v, "X")
    assert got["zero_crossing_X"] == n_cross
    assert got["peak_velocity_pos_X"] == pytest.approx(np.mean(v[pos]), rel=1e-12)
    assert got["peak_velocity_neg_X"] == pytest.approx(np.mean(np.abs(v[neg])), rel=1e-12)
    assert got["peak_velocity_all_X"] == pytest.approx(np.mean(np.abs(v[pos + neg])), rel=1e-12)


def _purge_brute(t, s, up=2.0, down=0.5):
    kept_t, kept_s = [], []
    n = len(t)
    for i in range(1, n - 1):
        if t[i] < 0.1:
            continue
        if kept_s:
            last = kept_s[-1]
            jump = np.abs(s[i] - last).sum() > up
            if jump and np.abs(s[i + 1] - last).sum() < down:
                continue
            if jump and 1 < i < n - 2 and np.abs(s[i + 2] - last).sum() < down:
                continue
        kept_t.append(t[i])
        kept_s.append(s[i])
    return np.array(kept_t), np.array(kept_s)


@pytest.mark.parametrize("seed", range(6))
def test_purge_artefacts_equals_loop(seed):
    rng = np.random.default_rng(seed)
    n = 400
    t = np.arange(n) / 50.0
    s = np.cumsum(rng.normal(size=(n, 2)) * 0.05, axis=0)
    spikes = rng.choice(np.arange(3, n - 3), 25, replace=False)
    s[spikes] += rng.choice([-5.0, 5.0], size=(25, 1))  # single-sample spikes
    s[spikes[:5] + 1] += 5.0  # and a few two-sample spikes
    t_ref, s_ref = _purge_brute(t, s)
    t_got, s_got = purge_artefacts(t, s)
    assert 0 < n - 2 - t_got.size  # something was purged
    np.testing.assert_array_equal(t_got, t_ref)
    np.testing.assert_array_equal(s_got, s_ref)


def test_msd_and_ols_helpers():
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.normal(size=700))
    msd = quijoux._msd(x, 233)
    direct = np.array([np.mean((x[k:] - x[:-k]) ** 2) for k in range(1, 234)])
    np.testing.assert_allclose(msd, direct, rtol=1e-10)
    two = np.column_stack([x, np.cumsum(rng.normal(size=700))])
    np.testing.assert_allclose(quijoux._msd(two, 233)[:, 0], msd, rtol=1e-12)
    x = np.sort(rng.normal(size=60))
    y = 2 * x + 1 + 0.1 * rng.normal(size=60)
    start = np.array([0, 0, 10, 30])
    stop = np.array([10, 60, 60, 45])
    a, b, rmse = quijoux._ols_ranges(x, y, start, stop)
    for row in range(4):
        xs, ys = x[start[row] : stop[row]], y[start[row] : stop[row]]
        slope, icpt = np.polyfit(xs, ys, 1)
        resid = ys - (icpt + slope * xs)
        assert (a[row], b[row]) == (pytest.approx(icpt, rel=1e-10), pytest.approx(slope, rel=1e-10))
        assert rmse[row] == pytest.approx(np.sqrt(np.mean(resid**2)), rel=1e-8)
    # _pick_line keeps the range of smallest rmse, the last one on ties
    best = np.argmin([np.sqrt(np.mean((y[i:j] - np.polyval(np.polyfit(x[i:j], y[i:j], 1), x[i:j])) ** 2))
                      for i, j in zip(start, stop)])
    picked = quijoux._pick_line(x, y, start, stop, rmse)
    assert picked == (pytest.approx(a[best], rel=1e-10), pytest.approx(b[best], rel=1e-10))
    tied = np.r_[start, start[best]], np.r_[stop, stop[best]]
    rmse_tied = np.r_[rmse, rmse[best]]
    assert quijoux._pick_line(x, y, tied[0], tied[1], rmse_tied) == picked


def test_empty_windows_are_interpolated_like_the_reference():
    # A 0.5 s hole in the timestamps of a straight line x = 2 t + 1. SWARII leaves the windows in
    # the hole empty; the reference fills them by linear interpolation between the filled windows
    # onto arange(first filled, last filled, 1/25), which drops the last grid point.
    t = np.r_[np.arange(0, 10, 0.01), np.arange(10.5, 20, 0.01)]
    x = 2 * t + 1
    sig, fs, mean = preprocess_signal(x, np.cos(t), time_s=t, filter_=False)
    assert fs == 25.0
    # purge drops t < 0.1 and the last sample: filled grid from 0.1 to just below t[-2]
    swarii_grid, c = [], 0.1
    while c < t[-2]:
        swarii_grid.append(c)
        c += 1 / 25
    assert sig.shape[0] == len(swarii_grid) - 1
    grid = 0.1 + 0.04 * np.arange(sig.shape[0])
    line = sig[:, 0] + mean[0]
    # away from the record ends and the hole edges, SWARII of a line on uniform samples is the line
    clean = ((grid > 0.2) & (grid < 9.9)) | ((grid > 10.6) & (grid < t[-2] - 0.1))
    np.testing.assert_allclose(line[clean], 2 * grid[clean] + 1, atol=1e-9)
    # inside the hole, values lie on the chord between the two filled windows around it
    # (empty windows: no sample within 0.04 s, between the samples at 9.99 s and 10.5 s)
    hole = np.flatnonzero((grid > 9.99 + 0.04) & (grid < 10.5 - 0.04))
    a, b = hole[0] - 1, hole[-1] + 1
    chord = line[a] + (line[b] - line[a]) * (grid[hole] - grid[a]) / (grid[b] - grid[a])
    np.testing.assert_allclose(line[hole], chord, atol=1e-9)


@pytest.mark.parametrize("n, fs", [(748, 25.0), (3000, 100.0), (333, 25.0), (1001, 40.0), (6001, 100.0)])
def test_welch_and_savgol_equal_scipy(n, fs):
    from scipy.signal import savgol_filter, welch

    rng = np.random.default_rng(n)
    sig = np.cumsum(rng.normal(size=(n, 2)), axis=0)
    f_ref, p_ref = welch(sig, fs=fs, detrend="linear", nperseg=min(int(10 * fs), n),
                         noverlap=int(5 * fs), axis=0, nfft=n)
    f_got, p_got = quijoux._welch(sig, fs)
    np.testing.assert_allclose(f_got, f_ref, rtol=1e-14)
    np.testing.assert_allclose(p_got, p_ref, rtol=1e-9, atol=1e-12 * p_ref.max())
    v_ref = savgol_filter(sig, window_length=5, polyorder=3, deriv=1, axis=0, delta=1 / fs)
    np.testing.assert_allclose(quijoux._savgol_speed(sig, fs), v_ref, rtol=1e-9, atol=1e-10 * np.abs(v_ref).max())


@pytest.mark.parametrize("order, wn, shape", [(4, 0.8, (748, 2)), (4, 0.2, (747,)), (2, 0.05, (300, 2))])
def test_filtfilt_equals_scipy(order, wn, shape):
    from scipy.signal import butter, filtfilt

    x = np.cumsum(np.random.default_rng(1).normal(size=shape), axis=0)
    b, a = butter(order, wn, btype="lowpass")
    np.testing.assert_allclose(quijoux._filtfilt(order, wn, x), filtfilt(b, a, x, axis=0), rtol=1e-12, atol=1e-12)


def test_nan_rows_are_dropped_with_their_timestamps(quijoux_trial):
    # as the reference does: time = arange(N)/fs is built first, then NaN rows (and their
    # instants) are removed, leaving a hole that SWARII resamples across
    ml_cm, ap_cm = quijoux_trial
    ml, ap = ml_cm * 10, ap_cm * 10
    bad = np.r_[500:520, 1700, 2222]
    ml_nan, ap_nan = ml.copy(), ap.copy()
    ml_nan[bad] = np.nan
    ap_nan[bad[::2]] = np.nan
    rows = np.isnan(ml_nan) | np.isnan(ap_nan)
    t = np.arange(ml.size) / 100.0
    with_nan = features(ml_nan, ap_nan, fs_hz=100.0)
    without = features(ml[~rows], ap[~rows], time_s=t[~rows])
    assert with_nan == without
    assert with_nan != features(ml, ap, fs_hz=100.0)


def test_units_table_is_consistent_with_scaling():
    # every feature whose unit is a length (cm), area (cm2) or PSD (cm2/Hz) scales as such
    rng = np.random.default_rng(9)
    a = np.cumsum(rng.normal(size=(2000, 2)), axis=0) * 0.02
    k = 2.5
    f1 = features(10 * a[:, 0], 10 * a[:, 1], fs_hz=50.0, preprocess=False)
    fk = features(10 * k * a[:, 0], 10 * k * a[:, 1], fs_hz=50.0, preprocess=False, sway_density_radius_cm=0.3 * k)
    power = {"cm": 1, "cm/s": 1, "cm2": 2, "cm2/s": 2, "cm2/Hz": 2, "1/cm": -1, "1": 0, "Hz": 0, "s": 0,
             "deg": 0, "count": 0}
    for key, unit in QUIJOUX_UNITS.items():
        if key.startswith("mean_value") or unit not in power:
            continue  # mean_value is the raw mean (scales too, checked below); phase plane mixes units
        assert fk[key] == pytest.approx(f1[key] * k ** power[unit], rel=1e-8, abs=1e-12), key
    assert fk["mean_value_ML"] == pytest.approx(k * f1["mean_value_ML"], rel=1e-12)
    assert fk["phase_plane_parameter_AP"] == pytest.approx(k * f1["phase_plane_parameter_AP"], rel=1e-12)


@pytest.mark.parametrize("theta_deg", [0.0, 13.0, 45.0, 90.0, 120.0, 179.0])
def test_principal_sway_direction_equals_svd(theta_deg):
    # sklearn's PCA (used by the reference) = first right singular vector of the centred data
    rng = np.random.default_rng(int(theta_deg))
    cloud = rng.normal(size=(800, 2)) * [2.0, 0.5]
    th = np.deg2rad(theta_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    sig = cloud @ rot.T + [0.3, -0.2]
    _, _, vt = np.linalg.svd(sig - sig.mean(axis=0), full_matrices=False)
    expected = np.degrees(np.arccos(abs(vt[0, 1]) / np.linalg.norm(vt[0])))
    got = quijoux._positional(sig, np.zeros(2))["principal_sway_direction_ML_AND_AP"]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # the long axis (x before rotation) makes an angle of |90 - theta| with AP (folded to 0..90)
    assert got == pytest.approx(90 - min(theta_deg % 180, 180 - theta_deg % 180), abs=5.0)


_RESULTANT = [
    "mean_distance_Radius", "maximal_distance_Radius", "rms_Radius", "range_ML_AND_AP",
    "planar_deviation_ML_AND_AP", "confidence_ellipse_area_ML_AND_AP", "mean_velocity_ML_AND_AP",
    "sway_area_per_second_ML_AND_AP", "LFS_ML_AND_AP", "fractal_dimension_ML_AND_AP",
    "mean_peak_Sway_Density", "mean_distance_peak_Sway_Density", "mean_frequency_ML_AND_AP",
]


@given(st.floats(-np.pi, np.pi), st.floats(-500, 500), st.floats(-500, 500), st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_invariances_without_preprocessing(angle, dx_mm, dy_mm, seed):
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=(1200, 2)), axis=0) * [0.4, 0.8]  # mm, 40 Hz, 30 s
    base = features(walk[:, 0], walk[:, 1], fs_hz=40.0, preprocess=False)
    # translation: only the raw means change (by the offset, in cm)
    moved = features(walk[:, 0] + dx_mm, walk[:, 1] + dy_mm, fs_hz=40.0, preprocess=False)
    for key in QUIJOUX_KEYS:
        if key.startswith("mean_value"):
            continue
        assert moved[key] == pytest.approx(base[key], rel=1e-7, abs=1e-9), key
    assert moved["mean_value_ML"] == pytest.approx(base["mean_value_ML"] + dx_mm / 10, rel=1e-9, abs=1e-9)
    # rotation: the resultant (2-D) features do not change
    c, s = np.cos(angle), np.sin(angle)
    rot = walk @ np.array([[c, -s], [s, c]]).T
    turned = features(rot[:, 0], rot[:, 1], fs_hz=40.0, preprocess=False, select=_RESULTANT)
    for key in _RESULTANT:
        assert turned[key] == pytest.approx(base[key], rel=1e-7), key
    # axis swap: the ML and AP features trade places
    swapped = features(walk[:, 1], walk[:, 0], fs_hz=40.0, preprocess=False)
    for key in QUIJOUX_KEYS:
        for a, b in (("_ML", "_AP"), ("_AP", "_ML")):
            if key.endswith(a) and not key.endswith("ML_AND_AP"):
                assert swapped[key[: -len(a)] + b] == pytest.approx(base[key], rel=1e-9, abs=1e-12), key


def _hbedb_cm(data_dir, trial):
    import gzip

    with gzip.open(data_dir / "hbedb" / f"{trial}.txt.gz", "rt") as fh:
        tab = np.loadtxt(fh, skiprows=1)
    return tab[:, 8], tab[:, 7]  # COPy is mediolateral, COPx anteroposterior (cm)


@pytest.mark.parametrize("trial", ["BDS00001", "BDS00040"])
def test_reproduces_reference_code_on_more_inputs(data_dir, trial):
    # values of the authors' code (c66a0e4) on two HBEDB trials (default and raw) and on
    # irregular, gappy, spiky WBB-like streams made from them (see data/quijoux/PROVENANCE.md)
    import gzip

    ref = _load(data_dir, "reference_features_extra_c66a0e4.json")
    ml_cm, ap_cm = _hbedb_cm(data_dir, trial)
    with gzip.open(data_dir / "quijoux" / f"wbb_like_{trial}.csv.gz", "rt") as fh:
        wbb = np.loadtxt(fh, delimiter=",", skiprows=1)
    got = {
        f"{trial}_default": features(10 * ml_cm, 10 * ap_cm, fs_hz=100.0),
        f"{trial}_raw": features(10 * ml_cm, 10 * ap_cm, fs_hz=100.0, preprocess=False),
        f"wbb_like_{trial}": features(10 * wbb[:, 1], 10 * wbb[:, 2], time_s=wbb[:, 0]),
    }
    for case, values in got.items():
        assert list(values) == list(ref[case])
        for key, expected in ref[case].items():
            assert values[key] == pytest.approx(expected, rel=1e-6, abs=1e-12), (case, key)


def test_sway_density_far_from_the_origin():
    # the box certificates must stay exact for coordinates far from 0 (e.g. uncentred plate data)
    from scipy.signal import butter, filtfilt

    rng = np.random.default_rng(12)
    s = np.cumsum(rng.normal(size=(400, 2)) * 0.03, axis=0) + [1000.0, -2500.0]
    b, a = butter(N=4, Wn=2.5 / 12.5, btype="lowpass")
    expected = filtfilt(b, a, _sway_count_brute(s, 0.3) / 25.0)
    np.testing.assert_allclose(sway_density(s, fs_hz=25.0, radius_cm=0.3), expected, rtol=1e-12, atol=1e-12)
