"""Tests of balance.resample: SWARII, window averaging and gap reporting.

Expected values are derived independently: analytic inputs (constants, lines, steps, sines)
and a direct, loop-based transcription of the SWARII definition (Audiffren & Contal 2016)
written here in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance.errors import BalanceInputError
from balance.resample import find_gaps, swarii, window_average


def _swarii_by_definition(t, x, fs, window):
    """Loop transcription of SWARII: per grid point, weighted mean of the window's samples.

    Each sample owns the interval between the midpoints with its neighbours, clipped to the
    window and to the record; a one-sample window takes that sample; empty windows are skipped.
    """
    h = window * 0.5
    grid, vals = [], []
    c = t[0]
    while c < t[-1]:
        members = [i for i in range(len(t)) if abs(t[i] - c) < h]
        if members:
            if len(members) == 1:
                vals.append(x[members[0]])
            else:
                num, den = 0.0, 0.0
                for k, i in enumerate(members):
                    left = max(t[0], c - h) if k == 0 else 0.5 * (t[i] + t[i - 1])
                    right = min(t[-1], c + h) if k == len(members) - 1 else 0.5 * (t[i + 1] + t[i])
                    num += x[i] * (right - left)
                    den += right - left
                vals.append(num / den)
            grid.append(c)
        c += 1.0 / fs
    return np.array(grid), np.array(vals)


@pytest.mark.parametrize("seed", range(6))
def test_swarii_matches_definition_on_irregular_input(seed):
    rng = np.random.default_rng(seed)
    n = 150
    dt = rng.uniform(0.005, 0.05, n)
    dt[[20, 90]] = [0.3, 0.2]  # two gaps: empty windows
    t = np.cumsum(dt)
    x = rng.normal(size=(n, 2))
    fs, window = (25.0, 0.08 - 1e-6) if seed % 2 else (40.0, 0.1)
    t_ref, x_ref = _swarii_by_definition(t, x, fs, window)
    t_out, x_out = swarii(t, x, fs_hz=fs, window_s=window, empty="nan")
    filled = ~np.isnan(x_out[:, 0])
    assert np.count_nonzero(~filled) > 0  # the gaps did leave empty windows
    np.testing.assert_array_equal(t_out[filled], t_ref)
    np.testing.assert_allclose(x_out[filled], x_ref, rtol=0, atol=1e-12)


def test_swarii_uniform_input_at_same_rate_is_identity():
    fs = 100.0
    t = np.arange(500) / fs
    x = np.sin(2 * np.pi * 1.3 * t) + 0.1 * np.cos(2 * np.pi * 7 * t)
    # window narrower than the sample spacing: exactly one sample per window
    t_out, x_out = swarii(t, x, fs_hz=fs, window_s=0.5 / fs)
    # the grid stops strictly before the last timestamp; repeated addition of 0.01 drifts by
    # a few ulp, so the last grid point may land just below t[-1] (as in the reference code)
    assert np.all(t_out < t[-1]) and t_out.size in (t.size - 1, t.size)
    np.testing.assert_allclose(t_out, t[: t_out.size], atol=1e-9)
    np.testing.assert_array_equal(x_out, x[: t_out.size])


def test_swarii_preserves_constants_and_lines_in_the_interior():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.01, 0.03, 400))
    const = np.full(t.size, 3.5)
    _, out = swarii(t, const, fs_hz=25.0, window_s=0.08)
    np.testing.assert_allclose(out, 3.5, rtol=1e-13)
    # a line on uniform input with a symmetric window is reproduced exactly
    tu = np.arange(1000) * 0.01
    t_out, out = swarii(tu, 2.0 * tu - 1.0, fs_hz=25.0, window_s=0.0799)
    interior = (t_out > 0.1) & (t_out < tu[-1] - 0.1)
    np.testing.assert_allclose(out[interior], 2.0 * t_out[interior] - 1.0, atol=1e-12)


def test_swarii_step_is_weighted_by_time_owned():
    # uniform 100 Hz, step from 0 to 1 at sample 50 (t = 0.5 s); output at 25 Hz, window 0.08 s
    t = np.arange(100) * 0.01
    x = (np.arange(100) >= 50).astype(float)
    t_out, out = swarii(t, x, fs_hz=25.0, window_s=0.0801)
    # the window at c = 0.48 s spans (0.43995, 0.52005): samples 0.44..0.52 (9 samples);
    # owned intervals: first [0.43995, 0.445] and last [0.515, 0.52005] are 0.00505 s, the
    # seven inner ones 0.01 s; ones at 0.50, 0.51 (0.01 s each) and 0.52 (0.00505 s).
    k = int(np.argmin(np.abs(t_out - 0.48)))
    assert out[k] == pytest.approx((0.02 + 0.00505) / 0.0801, rel=1e-9)
    assert np.all(out[t_out < 0.43] == 0) and np.all(out[t_out > 0.57] == 1)
    assert np.all(np.diff(out) >= 0)


def test_swarii_jittered_sine_error_bound():
    # Irregular sampling (mean 50 Hz, +-40 % jitter, so dt <= 0.028 s) of a unit 0.5 Hz sine,
    # resampled to 25 Hz with a 0.08 s window. Bound, away from the record ends:
    # each sample stands for its owned interval, within dt_max/2 of it, so it differs from the
    # sine there by <= max|x'| dt_max / 2 = pi * 0.014 = 0.044; the exact window mean of a sine
    # is sinc(f w) x(c), off by <= 1 - sinc(0.04) = 2.6e-3. Total <= 0.047.
    rng = np.random.default_rng(7)
    t = np.cumsum(0.02 * (1 + rng.uniform(-0.4, 0.4, 3000)))
    x = np.sin(2 * np.pi * 0.5 * t)
    t_out, out = swarii(t, x, fs_hz=25.0, window_s=0.08)
    interior = (t_out > t[0] + 0.1) & (t_out < t[-1] - 0.1)
    err = np.abs(out - np.sin(2 * np.pi * 0.5 * t_out))[interior]
    assert err.max() < 0.047
    # errors of the ~4 samples in a window partly cancel: RMS well under the bound
    assert np.sqrt(np.mean(err**2)) < 0.01
    # linear interpolation at the grid would be biased by the jitter too; the 25 Hz grid is exact
    assert np.median(np.diff(t_out)) == pytest.approx(0.04, abs=1e-12)


def test_swarii_two_columns_equal_two_single_columns():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.01, 0.04, 200))
    x = rng.normal(size=(200, 2))
    _, both = swarii(t, x, fs_hz=25.0)
    _, a = swarii(t, x[:, 0], fs_hz=25.0)
    _, b = swarii(t, x[:, 1], fs_hz=25.0)
    np.testing.assert_array_equal(both, np.column_stack([a, b]))


def test_swarii_empty_window_policies():
    t = np.r_[np.arange(0, 1, 0.01), np.arange(1.5, 2.5, 0.01)]  # 0.51 s gap
    x = np.r_[np.zeros(100), np.ones(100)]
    t_nan, x_nan = swarii(t, x, fs_hz=25.0, window_s=0.08, empty="nan")
    hole = np.isnan(x_nan)
    assert np.all((t_nan[hole] > 0.99) & (t_nan[hole] < 1.5))
    assert hole.sum() >= 10
    t_lin, x_lin = swarii(t, x, fs_hz=25.0, window_s=0.08, empty="linear")
    np.testing.assert_array_equal(t_lin, t_nan)
    inside = np.flatnonzero(hole)
    # linear interpolation between the neighbouring filled windows
    a, b = inside[0] - 1, inside[-1] + 1
    expect = np.interp(t_lin[inside], [t_lin[a], t_lin[b]], [x_lin[a], x_lin[b]])
    np.testing.assert_allclose(x_lin[inside], expect, atol=1e-12)
    _, x_prev = swarii(t, x, fs_hz=25.0, window_s=0.08, empty="previous")
    np.testing.assert_array_equal(x_prev[inside], x_prev[a])
    # long gaps are reported as NaN, never bridged, when max_gap_s is given
    # (every grid point strictly between the samples at 0.99 s and 1.5 s)
    t_gap, x_gap = swarii(t, x, fs_hz=25.0, window_s=0.08, empty="linear", max_gap_s=0.2)
    in_gap = (t_gap > t[99]) & (t_gap < t[100])
    assert in_gap.sum() > inside.size
    np.testing.assert_array_equal(np.isnan(x_gap), in_gap)


def test_window_average_bins_and_means():
    t = np.arange(0, 2, 0.01)  # 100 Hz
    x = np.arange(t.size, dtype=float)
    t_out, out = window_average(t, x, fs_hz=10.0, window_s=0.1)
    np.testing.assert_allclose(np.diff(t_out), 0.1, atol=1e-12)
    # window [c - 0.05, c + 0.05) at c = 0.5 s holds samples 45..54 (up to rounding of 0.01*k)
    k = int(np.argmin(np.abs(t_out - 0.5)))
    lo = np.searchsorted(t, 0.45, side="left")
    hi = np.searchsorted(t, 0.55, side="left")
    assert out[k] == pytest.approx(x[lo:hi].mean(), rel=1e-14)
    # a constant stays constant; a line stays a line in the interior
    _, c_out = window_average(t, np.full(t.size, -2.0), fs_hz=10.0, window_s=0.3)
    np.testing.assert_allclose(c_out, -2.0)


def test_window_average_irregular_brute_force():
    rng = np.random.default_rng(11)
    t = np.cumsum(rng.uniform(0.005, 0.05, 300))
    x = rng.normal(size=(300, 2))
    t_out, out = window_average(t, x, fs_hz=20.0, window_s=0.15, empty="nan")
    for c, row in zip(t_out, out):
        sel = (t >= c - 0.075) & (t < c + 0.075)
        if sel.any():
            np.testing.assert_allclose(row, x[sel].mean(axis=0), rtol=1e-12, atol=1e-14)
        else:
            assert np.isnan(row).all()


def test_find_gaps():
    t = np.r_[0.0, 0.02, 0.04, 0.6, 0.62, 1.5, 1.52]
    gaps = find_gaps(t, max_gap_s=0.25)
    np.testing.assert_array_equal(gaps, [[0.04, 0.6], [0.62, 1.5]])
    assert find_gaps(t, max_gap_s=1.0).shape == (0, 2)


@given(st.lists(st.floats(0.001, 0.2), min_size=2, max_size=60), st.floats(0.01, 0.5))
@settings(max_examples=60, deadline=None)
def test_find_gaps_property(dts, limit):
    t = np.cumsum(dts)
    gaps = find_gaps(t, max_gap_s=limit)
    assert gaps.shape[1] == 2
    assert np.all(gaps[:, 1] - gaps[:, 0] > limit)
    assert len(gaps) == int(np.sum(np.diff(t) > limit))


@pytest.mark.parametrize(
    "time_s, values, match",
    [
        ([0.0, 0.1, 0.1, 0.2], [1, 2, 3, 4], "duplicate"),
        ([0.0, 0.2, 0.1, 0.3], [1, 2, 3, 4], "decreasing"),
        ([[0.0], [0.1]], [1, 2], "1-D"),
        ([0.0, 0.1, 0.2], [1, 2], "shape"),
        ([0.0, np.nan, 0.2], [1, 2, 3], "finite"),
        ([0.0, 0.1, 0.2], [1, np.nan, 3], "NaN"),
        ([0.0], [1], "at least 2"),
    ],
)
def test_bad_input_is_named(time_s, values, match):
    with pytest.raises(BalanceInputError, match=match):
        swarii(time_s, values, fs_hz=25.0)
    with pytest.raises(BalanceInputError, match=match):
        window_average(time_s, values, fs_hz=25.0, window_s=0.08)


@pytest.mark.parametrize("kw", [{"fs_hz": 0.0}, {"fs_hz": -1.0}, {"window_s": 0.0}, {"empty": "zero"}])
def test_bad_parameters(kw):
    args = {"fs_hz": 25.0, "window_s": 0.08} | kw
    t = np.r_[0.0, 0.01, 0.5, 0.51]
    with pytest.raises(BalanceInputError):
        swarii(t, np.arange(4.0), **args)


@given(
    st.lists(st.floats(0.002, 0.2), min_size=2, max_size=80),
    st.floats(5.0, 60.0),
    st.floats(0.01, 0.3),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=80, deadline=None)
def test_swarii_property_matches_definition(dts, fs, window, seed):
    t = np.cumsum(dts)
    x = np.random.default_rng(seed).normal(size=t.size)
    t_ref, x_ref = _swarii_by_definition(t, x, fs, window)
    t_out, x_out = swarii(t, x, fs_hz=fs, window_s=window, empty="nan")
    filled = ~np.isnan(x_out)
    np.testing.assert_array_equal(t_out[filled], t_ref)
    np.testing.assert_allclose(x_out[filled], x_ref, rtol=0, atol=1e-12)
    # every output lies within the range of the input (a weighted mean)
    assert np.all(x_out[filled] >= x.min() - 1e-12) and np.all(x_out[filled] <= x.max() + 1e-12)


@given(
    st.lists(st.floats(0.002, 0.2), min_size=2, max_size=80),
    st.floats(2.0, 60.0),
    st.floats(0.01, 0.5),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=80, deadline=None)
def test_window_average_property_matches_definition(dts, fs, window, seed):
    t = np.cumsum(dts)
    x = np.random.default_rng(seed).normal(size=t.size)
    t_out, out = window_average(t, x, fs_hz=fs, window_s=window, empty="nan")
    assert t_out[0] == t[0] and t_out[-1] <= t[-1] + 1e-9
    for c, v in zip(t_out, out):
        sel = (t >= c - 0.5 * window) & (t < c + 0.5 * window)
        if sel.any():
            assert v == pytest.approx(x[sel].mean(), rel=1e-12, abs=1e-12)
        else:
            assert np.isnan(v)
