"""What the plot functions draw: the arrays, the ellipse, the bars, the bands (balance.app.plots)."""

from __future__ import annotations

from datetime import datetime, timedelta

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from balance import sway
from balance.app import plots
from balance.app.plots import find_artists
from balance.cop import WII_BALANCE_BOARD


def _inside(geo, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points inside an ellipse given by centre, semi-axes and angle (plain geometry)."""
    th = np.radians(geo.angle_deg)
    dx, dy = x - geo.center_ml_mm, y - geo.center_ap_mm
    u = dx * np.cos(th) + dy * np.sin(th)
    v = -dx * np.sin(th) + dy * np.cos(th)
    return (u / geo.semi_major_mm) ** 2 + (v / geo.semi_minor_mm) ** 2 <= 1.0


def _yspan(band) -> np.ndarray:
    """Lower and upper data y of an axhspan (a Rectangle in matplotlib >= 3.9, else a Polygon)."""
    if hasattr(band, "get_height"):
        return np.array([band.get_y(), band.get_y() + band.get_height()])
    return np.asarray(band.get_xy())[:, 1]


# --- prediction ellipse ------------------------------------------------------------------------
def test_prediction_ellipse_covers_95_percent_of_new_samples() -> None:
    # Definition of a 95 % prediction ellipse for Gaussian data: a NEW sample from the same
    # distribution falls inside with probability 0.95, for any n (Duarte 2015 / Schubert &
    # Kirchner 2014). Checked by Monte Carlo with a small n, where the chi-square ellipse fails.
    rng = np.random.default_rng(1)
    reps, n = 3000, 12
    cov = np.array([[16.0, 6.0], [6.0, 9.0]])
    chol = np.linalg.cholesky(cov)
    hits = np.empty(reps, dtype=bool)
    for i in range(reps):
        xy = rng.standard_normal((n + 1, 2)) @ chol.T
        geo = plots.prediction_ellipse(xy[:n, 0], xy[:n, 1])
        hits[i] = _inside(geo, xy[n:, 0], xy[n:, 1])[0]
    se = np.sqrt(0.95 * 0.05 / reps)
    assert abs(hits.mean() - 0.95) < 4 * se


def test_prediction_ellipse_axes_of_an_axis_aligned_cloud() -> None:
    # Points placed exactly: covariance diag(a2, b2) with zero mean and no correlation.
    a, b = 3.0, 1.0
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    x, y = a * np.cos(t) + 5.0, b * np.sin(t) - 2.0
    geo = plots.prediction_ellipse(x, y)
    n = t.size
    k = stats.f.ppf(0.95, 2, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    var_x = a**2 / 2 * n / (n - 1)  # sample variance of a*cos over a full period, (n-1) normalised
    var_y = b**2 / 2 * n / (n - 1)
    assert geo.center_ml_mm == pytest.approx(5.0)
    assert geo.center_ap_mm == pytest.approx(-2.0)
    assert geo.semi_major_mm == pytest.approx(np.sqrt(k * var_x), rel=1e-9)
    assert geo.semi_minor_mm == pytest.approx(np.sqrt(k * var_y), rel=1e-9)
    assert abs(geo.angle_deg) < 1e-6 or abs(abs(geo.angle_deg) - 180) < 1e-6
    # for large n, k -> chi2_0.95(2) = 5.991 (docs/methods.md §1.2)
    assert k == pytest.approx(stats.chi2.ppf(0.95, 2), rel=0.02)


def test_prediction_ellipse_rejects_too_few_points() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        plots.prediction_ellipse([1.0, 2.0, 3.0], [0.0, np.nan, 1.0])


# --- statokinesigram ---------------------------------------------------------------------------
def _cloud(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.standard_normal(n)) * 0.3 + 80.0
    y = np.cumsum(rng.standard_normal(n)) * 0.2 - 10.0
    return x, y


def test_statokinesigram_draws_the_given_cop_and_its_ellipse() -> None:
    x, y = _cloud()
    fig = plots.plot_statokinesigram(x, y)
    (line,) = find_artists(fig, "cop")
    np.testing.assert_array_equal(line.get_xdata(), x)
    np.testing.assert_array_equal(line.get_ydata(), y)
    (patch,) = find_artists(fig, "ellipse")
    drawn_area = np.pi * patch.width * patch.height / 4.0
    # the measure the app stores, computed by the core on the same samples
    area = sway.measures(x, y, fs_hz=25.0, select=["prediction_ellipse_area_mm2"])["prediction_ellipse_area_mm2"]
    assert drawn_area == pytest.approx(area, rel=1e-9)
    # independent area: pi*sqrt(det(S))*k with S the (n-1) covariance (HBEDB COParea formula)
    n = x.size
    k = stats.f.ppf(0.95, 2, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    assert drawn_area == pytest.approx(np.pi * np.sqrt(np.linalg.det(np.cov(x, y))) * k, rel=1e-9)
    assert patch.center == pytest.approx((x.mean(), y.mean()))


def test_statokinesigram_board_outline_is_to_scale() -> None:
    x, y = _cloud()
    fig = plots.plot_statokinesigram(x, y, board=WII_BALANCE_BOARD)
    (outline,) = find_artists(fig, "board")
    ext = outline.get_path().get_extents(outline.get_patch_transform())
    assert ext.width == pytest.approx(plots.WII_SURFACE_MM[0], rel=1e-6)
    assert ext.height == pytest.approx(plots.WII_SURFACE_MM[1], rel=1e-6)
    (sensors,) = find_artists(fig, "sensors")
    # TL, TR, BL, BR at (+-433/2, +-238/2) mm (docs/wii-balance-board.md §5)
    np.testing.assert_allclose(sensors.get_xdata(), [-216.5, 216.5, -216.5, 216.5])
    np.testing.assert_allclose(sensors.get_ydata(), [119.0, 119.0, -119.0, -119.0])
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < -255.5 and ax.get_xlim()[1] > 255.5


def test_statokinesigram_into_given_axes_returns_its_figure_and_shares_scale() -> None:
    fig, (a1, a2) = plt.subplots(1, 2)
    n_before = len(plt.get_fignums())
    x, y = _cloud(1)
    out = plots.plot_statokinesigram(x, y, ax=a1, half_range_mm=40.0)
    plots.plot_statokinesigram(x - 200, y + 3, ax=a2, half_range_mm=40.0)
    assert out is fig and len(plt.get_fignums()) == n_before
    assert np.diff(a1.get_xlim())[0] == pytest.approx(80.0)
    assert np.diff(a2.get_ylim())[0] == pytest.approx(80.0)


def test_cop_time_draws_both_axes() -> None:
    t = np.arange(300) / 25.0
    x, y = _cloud(2, 300)
    fig = plots.plot_cop_time(t, x, y, ylim_mm=(-30, 30))
    (ml,) = find_artists(fig, "ml")
    (ap,) = find_artists(fig, "ap")
    np.testing.assert_array_equal(ml.get_xdata(), t)
    np.testing.assert_array_equal(ml.get_ydata(), x)
    np.testing.assert_array_equal(ap.get_ydata(), y)
    assert fig.axes[0].get_ylim() == (-30, 30)


# --- left vs right -----------------------------------------------------------------------------
def test_left_right_bar_heights_mdc_band_and_marks() -> None:
    left = {"a": 10.0, "b": 5.0, "c": 100.0}
    right = {"a": 13.0, "b": 5.5, "c": 80.0}
    mdc = {"a": 2.0, "b": 2.0, "c": 25.0}
    si = {k: 100 * (right[k] - left[k]) / ((right[k] + left[k]) / 2) for k in left}
    fig = plots.plot_left_right(
        left, right, measures=["a", "b", "c"], mdc=mdc, si_pct=si,
        left_spread={"a": [9.0, 10.0, 11.0]}, right_spread={"a": [12.0, 13.0, 14.0]},
    )
    assert len(fig.axes) == 3
    for ax, k in zip(fig.axes, ["a", "b", "c"]):
        (bl,) = find_artists(ax, "bar-left")
        (br,) = find_artists(ax, "bar-right")
        assert bl.get_height() == left[k] and br.get_height() == right[k]
        (band,) = find_artists(ax, "mdc-band")
        assert band.get_height() == pytest.approx(mdc[k])
        assert band.get_y() + band.get_height() / 2 == pytest.approx((left[k] + right[k]) / 2)
        marks = find_artists(ax, "beyond-mdc")
        assert bool(marks) == (abs(right[k] - left[k]) > mdc[k])
    (dots,) = find_artists(fig.axes[0], "trials-right")
    np.testing.assert_array_equal(dots.get_ydata(), [12.0, 13.0, 14.0])
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "SI +26 %" in texts  # 100*3/11.5 = 26.1


def test_left_right_needs_one_axes_per_measure() -> None:
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="one Axes per measure"):
        plots.plot_left_right({"a": 1.0}, {"a": 2.0}, measures=["a", "b"], axes=[ax])


# --- progress ----------------------------------------------------------------------------------
def test_progress_true_date_axis_baseline_and_band() -> None:
    d0 = datetime(2026, 1, 5, 9, 30)
    dates = [d0, d0 + timedelta(days=3), d0 + timedelta(days=17), d0 + timedelta(days=60)]
    left = np.array([10.0, 11.0, 9.0, 8.0])
    right = np.array([14.0, 13.0, 12.0, 10.0])
    spread = np.vstack([left - 1, left + 2])
    fig = plots.plot_progress(dates, left, right, left_spread=spread, baseline_left=10.0,
                              baseline_right=14.0, mdc=1.5, unit="mm/s")
    (ln,) = find_artists(fig, "progress-left")
    x = mdates.date2num(ln.get_xdata())
    np.testing.assert_allclose(x, mdates.date2num(dates))
    assert np.diff(x)[2] == pytest.approx(43.0)  # true spacing, not one slot per session
    np.testing.assert_array_equal(find_artists(fig, "progress-right")[0].get_ydata(), right)
    (band,) = find_artists(fig, "mdc-band-right")
    ys = _yspan(band)
    assert ys.max() - ys.min() == pytest.approx(2 * 1.5)
    assert (ys.max() + ys.min()) / 2 == pytest.approx(14.0)
    (bl,) = find_artists(fig, "baseline-left")
    assert bl.get_ydata()[0] == 10.0


def test_progress_readable_with_one_and_with_fifty_sessions() -> None:
    fig = plots.plot_progress([datetime(2026, 3, 1)], [5.0], [6.0], baseline_left=5.0, baseline_right=6.0, mdc=1.0)
    lo, hi = fig.axes[0].get_xlim()
    assert hi - lo >= 6.0  # one session still gets a readable week-wide axis
    fig.canvas.draw()
    d = [datetime(2025, 1, 1) + timedelta(days=7 * i) for i in range(50)]
    v = 10 + np.sin(np.arange(50) / 5)
    fig = plots.plot_progress(d, v, v + 1, mdc=0.5, baseline_left=10, baseline_right=11)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 12


def test_asymmetry_band_and_flags() -> None:
    d = [datetime(2026, 1, 1) + timedelta(days=7 * i) for i in range(5)]
    si = np.array([2.0, -15.0, 30.0, 5.0, np.nan])
    fig = plots.plot_asymmetry(d, si, mdc_pct=12.0)
    (band,) = find_artists(fig, "mdc-band")
    ys = _yspan(band)
    assert (ys.min(), ys.max()) == pytest.approx((-12.0, 12.0))
    (fl,) = find_artists(fig, "flagged")
    np.testing.assert_array_equal(fl.get_ydata(), [-15.0, 30.0])
