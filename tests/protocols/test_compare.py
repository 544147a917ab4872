"""Comparisons: symmetry index, SEM/MDC, flags, words, progress — against hand values and scipy."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from scipy import stats

from protocols.compare import (
    LITERATURE_MDC_PCT,
    SessionPoint,
    compare_change,
    compare_sides,
    compare_values,
    mdc95,
    mdc_from_groups,
    noise,
    progress,
    sem_pooled,
    symmetry_index,
)


def test_symmetry_index_hand_values():
    assert symmetry_index(20.0, 30.0) == pytest.approx(40.0)  # 100·10/25
    assert symmetry_index(30.0, 20.0) == pytest.approx(-40.0)
    assert symmetry_index(5.0, 5.0) == 0.0
    assert math.isnan(symmetry_index(0.0, 0.0))
    np.testing.assert_allclose(symmetry_index([1.0, 2.0], [3.0, 2.0]), [100.0, 0.0])


def test_mdc95_formula():
    assert mdc95(1.0) == pytest.approx(1.96 * math.sqrt(2.0))
    assert mdc95(2.5) == pytest.approx(2.5 * 2.771859)


def test_sem_pooled_equals_anova_within_mean_square():
    rng = np.random.default_rng(3)
    groups = [rng.normal(10, 2, n) for n in (3, 4, 6)]
    sem, df = sem_pooled(groups)
    assert df == 2 + 3 + 5
    # MS_within from scipy's one-way ANOVA: F = MS_between / MS_within
    f, _ = stats.f_oneway(*groups)
    allv = np.concatenate(groups)
    ms_between = sum(g.size * (g.mean() - allv.mean()) ** 2 for g in groups) / (len(groups) - 1)
    assert sem**2 == pytest.approx(ms_between / f, rel=1e-10)
    # singletons and NaNs add nothing
    sem2, df2 = sem_pooled([*groups, [5.0], [np.nan, 1.0]])
    assert (sem2, df2) == pytest.approx((sem, df))
    assert math.isnan(sem_pooled([[1.0], [2.0]])[0])


def test_noise_own_vs_literature():
    own = noise("mean_velocity_ml_mm_s", [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], mean=2.5)
    assert own.source == "own" and own.df == 4 and own.sem == pytest.approx(1.0)
    lit = noise("mean_velocity_ml_mm_s", [[30.0], [40.0]], mean=35.0)
    assert lit.source == "literature"
    assert lit.mdc95 == pytest.approx(0.189 * 35.0)
    assert lit.sem == pytest.approx(0.189 * 35.0 / (1.96 * math.sqrt(2)))
    area = noise("prediction_ellipse_area_mm2", [[1.0]], mean=100.0)
    assert area.mdc95 == pytest.approx(35.8) and "35.8" in area.reference
    assert set(LITERATURE_MDC_PCT) == {"velocity", "area", "path", "other"}


def test_compare_values_names_the_side_and_flags_beyond_mdc():
    left = [20.0, 21.0, 19.0]
    right = [30.0, 31.0, 29.0]
    c = compare_values(left, right, measure="mean_velocity_ml_mm_s")
    assert c.left_mean == pytest.approx(20.0) and c.right_mean == pytest.approx(30.0)
    assert c.symmetry_index_pct == pytest.approx(40.0)
    assert c.more_side == "right" and c.more_sway_side == "right"
    assert c.percent_more == pytest.approx(50.0)
    assert c.sem == pytest.approx(1.0) and c.mdc95 == pytest.approx(2.7719, abs=1e-4)
    assert c.beyond_mdc and c.flagged and c.sem_source == "own"
    assert c.sentence.startswith("Right leg: 50 % more side-to-side (mediolateral) sway than left")
    assert "larger than this athlete's trial-to-trial noise" in c.sentence
    # one number in words: the symmetry index (+40 %) only in tables, never beside "% more"
    assert "symmetry index" not in c.sentence and "40 %" not in c.sentence
    assert "(side-to-side sway speed: 20.0 left vs 30.0 right mm/s)" in c.sentence
    assert "CoP" not in c.sentence and "Mean resultant" not in c.sentence
    assert "diagnos" not in c.sentence
    # a 1 mm/s difference with 1 mm/s trial noise is within the MDC
    c2 = compare_values([20, 21, 19], [21, 22, 20], measure="mean_velocity_ml_mm_s")
    assert not c2.beyond_mdc and "not a real difference" in c2.sentence
    # the two call forms agree
    c3 = compare_sides(left, right, measure="mean_velocity_ml_mm_s")
    assert c3 == c
    with pytest.raises(ValueError, match="each side"):
        compare_values([], [1.0], measure="rms_ml_mm")


def test_false_flag_rate_matches_t_distribution():
    """No true difference, 3 trials per side: flagged when |mean diff| > 1.96·√2·s_p, i.e. when
    |t| > 1.96·√3 with 4 degrees of freedom. Monte Carlo vs scipy's t distribution."""
    rng = np.random.default_rng(7)
    n = 4000
    flags = 0
    for _ in range(n):
        lv, rv = rng.normal(30, 3, 3), rng.normal(30, 3, 3)
        flags += compare_values(lv, rv, measure="mean_velocity_ml_mm_s").beyond_mdc
    expected = 2 * stats.t.sf(1.96 * math.sqrt(3), 4)
    assert expected < 0.05
    assert flags / n == pytest.approx(expected, abs=3 * math.sqrt(expected * (1 - expected) / n))


def test_compare_change_before_after():
    c = compare_change([30.0, 31.0, 29.0], [24.0, 25.0, 23.0], measure="mean_velocity_ml_mm_s", side="left",
                       a_label="before", b_label="after")
    assert c.change == pytest.approx(-6.0) and c.change_pct == pytest.approx(-20.0)
    assert c.ratio == pytest.approx(0.8)
    assert c.beyond_mdc
    assert c.sentence.startswith("Left leg: 20 % less side-to-side (mediolateral) sway after than before")


def _pts(means_l, means_r, sd=1.0, n=3, seed=0, start=datetime(2026, 1, 5, tzinfo=timezone.utc)):
    rng = np.random.default_rng(seed)
    out = []
    for k, (ml, mr) in enumerate(zip(means_l, means_r)):
        el = rng.normal(0, sd, n)
        er = rng.normal(0, sd, n)
        out.append(
            SessionPoint(
                when=start + timedelta(days=7 * k),
                left=tuple((ml + el - el.mean()).tolist()),
                right=tuple((mr + er - er.mean()).tolist()),
                session_id=k,
            )
        )
    return out


def test_progress_slope_change_and_flags():
    means_l = [30.0, 29.0, 27.0, 26.0, 24.0]
    means_r = [40.0, 37.0, 33.0, 31.0, 28.0]
    pts = _pts(means_l, means_r)
    pr = progress(pts[::-1], measure="mean_velocity_ml_mm_s")  # any order
    lr = stats.linregress(np.arange(5.0), means_r)
    assert pr.right.slope_per_week == pytest.approx(lr.slope, rel=1e-9)
    assert pr.right.baseline == pytest.approx(40.0) and pr.right.latest == pytest.approx(28.0)
    assert pr.right.change == pytest.approx(-12.0) and pr.right.change_pct == pytest.approx(-30.0)
    # equal group sizes: the pooled variance is the mean of the per-session variances
    want_sem = math.sqrt(np.mean([np.var(p.right, ddof=1) for p in pts]))
    assert pr.right.noise.source == "own" and pr.right.noise.sem == pytest.approx(want_sem)
    assert pr.right.beyond_mdc and pr.left.beyond_mdc
    si = symmetry_index(np.array(means_l), np.array(means_r))
    np.testing.assert_allclose(pr.asymmetry.si_pct, si)
    assert pr.asymmetry.change == pytest.approx(si[-1] - si[0])
    assert pr.asymmetry.slope_per_week == pytest.approx(stats.linregress(np.arange(5.0), si).slope)
    assert pr.asymmetry.beyond_mdc
    assert "trend" in pr.right.sentence and "real change" in pr.right.sentence
    # one session: the baseline, nothing flagged
    one = progress(pts[:1], measure="mean_velocity_ml_mm_s")
    assert not one.left.beyond_mdc and "baseline" in one.left.sentence
    assert math.isnan(one.left.slope_per_week)


def test_progress_same_day_retests_give_no_weekly_trend():
    # Two sessions ten minutes apart: the change is reported, but no per-week trend is
    # extrapolated from it (it would be ~1000x the change).
    pts = _pts([30.0, 28.0], [40.0, 36.0])
    pts[1] = SessionPoint(when=pts[0].when + timedelta(minutes=10), left=pts[1].left, right=pts[1].right, session_id=1)
    pr = progress(pts, measure="mean_velocity_ml_mm_s")
    assert pr.right.change == pytest.approx(-4.0)
    assert math.isnan(pr.right.slope_per_week) and math.isnan(pr.asymmetry.slope_per_week)
    assert "per week" not in pr.right.sentence and "per week" not in pr.asymmetry.sentence
    # a day apart is enough for a trend: -4 mm/s in 1/7 week = -28 mm/s per week
    pts[1] = SessionPoint(when=pts[0].when + timedelta(days=1), left=pts[1].left, right=pts[1].right, session_id=1)
    assert progress(pts, measure="mean_velocity_ml_mm_s").right.slope_per_week == pytest.approx(-28.0)


def test_progress_stable_athlete_not_flagged():
    pts = _pts([30.0, 30.3, 29.8], [31.0, 30.6, 31.2], sd=1.5)
    pr = progress(pts, measure="mean_velocity_ml_mm_s")
    assert not pr.left.beyond_mdc and not pr.right.beyond_mdc and not pr.asymmetry.beyond_mdc


def test_si_mdc_delta_method_matches_monte_carlo():
    """SEM of one trial's SI (trial SD 2 on each side) by the delta method, vs simulation."""
    rng = np.random.default_rng(11)
    lm, rm, sd = 30.0, 36.0, 2.0
    sims = symmetry_index(rng.normal(lm, sd, 200000), rng.normal(rm, sd, 200000))
    d = mdc_from_groups([[lm - sd, lm, lm + sd]] * 4, measure="mean_velocity_ml_mm_s", left_mean=lm, right_mean=rm)
    assert d["source"] == "own" and d["sem"] == pytest.approx(sd)
    assert d["mdc_si_pct"] == pytest.approx(mdc95(float(np.std(sims))), rel=0.02)
    assert d["mdc"] == pytest.approx(mdc95(sd))


def test_single_trials_use_the_literature_noise_and_say_so():
    c = compare_values([30.0], [40.0], measure="mean_velocity_ml_mm_s")
    assert c.noise.source == "literature" and c.mdc95 == pytest.approx(0.189 * 35.0)
    assert c.beyond_mdc  # 10 mm/s > 6.6 mm/s
    assert "published value" in c.sentence and "this athlete's" not in c.sentence


def test_few_own_trials_noisier_than_the_literature_use_their_own():
    # 2 trials per side (df 2 < 4): own SD 7.1 mm/s → MDC 19.6 mm/s, larger than 18.9 % of 30 = 5.7
    nz = noise("mean_velocity_ml_mm_s", [[25.0, 35.0], [25.0, 35.0]], mean=30.0)
    assert nz.source == "own" and nz.df == 2
    assert nz.sem == pytest.approx(math.sqrt(50.0)) and "larger than the published" in nz.reference
    # quieter than the literature: the published (larger) value stays
    quiet = noise("mean_velocity_ml_mm_s", [[29.9, 30.1], [29.9, 30.1]], mean=30.0)
    assert quiet.source == "literature" and quiet.mdc95 == pytest.approx(0.189 * 30.0)
