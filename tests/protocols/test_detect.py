"""Event detection: synthetic arrays with known events, and the simulated board's events."""

from __future__ import annotations

import numpy as np
import pytest

from balance.recording import Recording
from drivers.sim import SimulatedBoard
from protocols.detect import (
    LiveDetector,
    LiveStance,
    detect_failures,
    lift_off,
    load_share_left_pct,
    moving_mean,
    squat_reps,
    stable_stance,
    true_runs,
)
from protocols.spec import FailureRules, StartRule
from tests.protocols.conftest import squat_load_factor

BW = 70.0


def _clean(n_s: float = 20.0, fs: float = 100.0, seed: int = 0, ml0: float = -100.0):
    """Quiet single-leg stance on the left: load BW ± 1 %, CoP ML around -100 mm (sd 5 mm)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, n_s, 1 / fs)
    w = BW * (1 + 0.01 * rng.standard_normal(t.size))
    ml = ml0 + np.cumsum(rng.standard_normal(t.size)) * 0.3
    ml = ml - ml.mean() + ml0
    return t, w, ml


# -- helpers ---------------------------------------------------------------------------------
def test_moving_mean_matches_brute_force_on_irregular_times():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.001, 0.05, 300))
    x = rng.standard_normal(300)
    x[[5, 50, 51]] = np.nan
    got = moving_mean(t, x, window_s=0.1)
    for i in range(t.size):
        m = (t > t[i] - 0.1) & (t <= t[i]) & np.isfinite(x)
        want = x[m].mean() if m.any() else np.nan
        np.testing.assert_allclose(got[i], want, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_true_runs_hand_case():
    s, e = true_runs([0, 1, 1, 0, 1, 0, 0, 1])
    assert s.tolist() == [1, 4, 7] and e.tolist() == [3, 5, 8]
    s, e = true_runs([])
    assert s.size == 0 and e.size == 0


def test_load_share_left_pct_hand_values():
    c = np.array([[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 0.0, 0.0]])
    got = load_share_left_pct(c)
    assert got[0] == pytest.approx(100 * 40 / 100)
    assert np.isnan(got[1])


# -- stance ----------------------------------------------------------------------------------
def test_stable_stance_found_2s_after_liftoff():
    fs = 100.0
    t = np.arange(0, 10, 1 / fs)
    # both feet until 3 s, then CoP moves to the left foot over 0.4 s
    ml = np.where(t < 3.0, 0.0, np.where(t < 3.4, -100 * (t - 3.0) / 0.4, -100.0))
    w = np.full(t.size, BW)
    got = stable_stance(t, w, ml, stance="left", body_mass_kg=BW, rule=StartRule(stable_s=2.0, side_offset_mm=40.0))
    assert got is not None
    # CoP passes -40 mm at 3.16 s; stable 2 s later
    assert got.onset_s == pytest.approx(3.16, abs=0.011)
    assert got.stable_at_s == pytest.approx(3.16 + 2.0, abs=0.03)
    assert got.load_kg == pytest.approx(BW)
    assert got.cop_ml_mm == pytest.approx(-100.0)
    # the right leg never stood alone
    assert stable_stance(t, w, ml, stance="right", body_mass_kg=BW) is None
    assert lift_off(t, w, ml, stance="left", body_mass_kg=BW) == got.onset_s
    assert lift_off(t, w, ml, stance="right") is None
    with pytest.raises(ValueError, match="single-leg"):
        lift_off(t, w, ml, stance="both")  # type: ignore[arg-type]


def test_stable_stance_rejects_unsteady_load():
    t = np.arange(0, 6, 0.01)
    w = BW * (1 + 0.2 * np.sin(2 * np.pi * 0.5 * t))  # ±20 % BW swings: not still
    ml = np.zeros(t.size)
    assert stable_stance(t, w, ml, stance="both") is None
    assert stable_stance(t, np.full(t.size, BW), ml, stance="both") is not None


def test_live_stance_agrees_with_offline():
    t, w, ml = _clean(8.0)
    ml[:300] = 0.0  # both feet for 3 s first
    offline = stable_stance(t, w, ml, stance="left", body_mass_kg=BW)
    live = LiveStance(stance="left", body_mass_kg=BW, check_every=1)
    got = None
    for i in range(t.size):
        got = live.update(t[i], w[i], ml[i])
        if got is not None:
            break
    assert offline is not None and got is not None
    assert got.stable_at_s == pytest.approx(offline.stable_at_s)
    assert got.onset_s == pytest.approx(offline.onset_s)


# -- failures on synthetic arrays ------------------------------------------------------------
def test_no_false_alarm_in_clean_single_leg_trials():
    for seed in range(20):
        t, w, ml = _clean(30.0, seed=seed)
        assert detect_failures(t, w, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0) == []


@pytest.mark.parametrize("drop", [0.15, 0.25, 0.4])
def test_touch_down_load_drop(drop):
    t, w, ml = _clean(20.0)
    onset = 8.0
    m = (t >= onset) & (t < onset + 0.5)
    w[m] *= 1 - drop
    got = detect_failures(t, w, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    assert [f.kind for f in got] == ["touch_down"]
    assert abs(got[0].onset_s - onset) <= 0.2
    assert f"{100 * drop:.0f} %" in got[0].detail or "dropped" in got[0].detail


def test_touch_down_cop_jump_towards_centre():
    t, w, ml = _clean(20.0)
    onset = 11.0
    m = (t >= onset) & (t < onset + 0.6)
    ml[m] += 60.0  # free (right) foot put on the board: CoP moves right, towards the centre
    got = detect_failures(t, w, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    assert [f.kind for f in got] == ["touch_down"]
    assert abs(got[0].onset_s - onset) <= 0.2
    # mirrored on the right leg: also towards the centre, also a touch-down
    got_r = detect_failures(t, w, -ml, body_mass_kg=BW, stance="right", baseline_ml_mm=100.0)
    assert [f.kind for f in got_r] == ["touch_down"]
    # the same jump away from the centre (further out) is not a touch-down
    t2, w2, ml2 = _clean(20.0)
    ml2[m] -= 60.0
    assert detect_failures(t2, w2, ml2, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0) == []


def test_step_off_and_hop():
    t, w, ml = _clean(20.0)
    w1 = w.copy()
    w1[t >= 9.0] = 0.0  # off for good
    got = detect_failures(t, w1, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    assert [f.kind for f in got] == ["step_off"] and abs(got[0].onset_s - 9.0) <= 0.2
    w2 = w.copy()
    w2[(t >= 6.0) & (t < 6.25)] = 0.0  # 0.25 s of flight
    w2[(t >= 6.25) & (t < 6.45)] = 1.8 * BW  # landing
    got = detect_failures(t, w2, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    assert got[0].kind == "hop" and abs(got[0].onset_s - 6.0) <= 0.2
    assert {f.kind for f in got} == {"hop"}


def test_kinds_switch_rules_off():
    t, w, ml = _clean(10.0)
    w[(t >= 5) & (t < 5.5)] *= 0.7
    rules = FailureRules(kinds=("step_off",))
    assert detect_failures(t, w, ml, body_mass_kg=BW, stance="left", rules=rules) == []


def test_live_detector_matches_offline_and_waits_for_certainty():
    t, w, ml = _clean(20.0)
    w[t >= 9.0] = 0.0
    offline = detect_failures(t, w, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    live = LiveDetector(body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0, check_every=1)
    got = None
    at = None
    for i in range(t.size):
        got = live.update(t[i], w[i], ml[i])
        if got is not None:
            at = t[i]
            break
    assert got is not None and got.kind == offline[0].kind == "step_off"
    assert got.onset_s == pytest.approx(offline[0].onset_s)
    # a step-off is only certain once the load stayed low longer than a hop's flight
    assert at is not None and at >= 9.0 + FailureRules().hop_max_flight_s - 0.1


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="body_mass_kg"):
        detect_failures([0.0, 1.0], [1.0, 1.0], [0.0, 0.0], body_mass_kg=0.0, stance="left")
    with pytest.raises(ValueError, match="equal length"):
        detect_failures([0.0, 1.0], [1.0], [0.0, 0.0], body_mass_kg=70.0, stance="left")
    with pytest.raises(ValueError, match="non-decreasing"):
        moving_mean([1.0, 0.0], [1.0, 1.0], window_s=0.1)


# -- failures on the simulated board -----------------------------------------------------------
def _sim_single_leg(seed: int, action=None, at_s: float = 10.0, side: str = "left", duration_s: float = 20.0):
    """Single-leg stance on the simulator from 2 s; an optional action at ``at_s``."""
    with SimulatedBoard(seed=seed, stance=side) as b:
        if action is not None:
            action(b.person, at_s)
        arr = b.read_arrays(duration_s)
    rec = Recording.from_corners(arr.t_s, arr.corners_kg)
    m = rec.time_s >= 2.0
    base = float(np.median(rec.cop_ml_mm[m & (rec.time_s < 6.0)]))
    return rec.time_s[m], rec.total_kg[m], rec.cop_ml_mm[m], base, b.person


@pytest.mark.parametrize("seed", range(6))
def test_sim_touch_down_found_within_0p2_s(seed):
    frac = 0.15 + 0.25 * seed / 5  # 15-40 % of body weight
    t, w, ml, base, person = _sim_single_leg(
        seed, lambda p, at: p.touch_down(at_s=at, duration_s=0.5, fraction=frac), at_s=9.0 + seed * 0.37
    )
    got = detect_failures(t, w, ml, body_mass_kg=person.mass_kg, stance="left", baseline_ml_mm=base)
    assert [f.kind for f in got] == ["touch_down"]
    true_t = [e[0] for e in person.events if e[1] == "touch_down"][0]
    assert abs(got[0].onset_s - true_t) <= 0.2


@pytest.mark.parametrize("seed", range(4))
def test_sim_step_off_and_hop_found_within_0p2_s(seed):
    t, w, ml, base, person = _sim_single_leg(seed, lambda p, at: p.step_off(at_s=at), at_s=8.5 + seed, side="right")
    got = detect_failures(t, w, ml, body_mass_kg=person.mass_kg, stance="right", baseline_ml_mm=base)
    true_t = [e[0] for e in person.events if e[1] == "stance" and e[2]["stance"] == "off"][0]
    assert got[0].kind == "step_off" and abs(got[0].onset_s - true_t) <= 0.2
    t, w, ml, base, person = _sim_single_leg(seed, lambda p, at: p.hop(at_s=at), at_s=7.0 + seed)
    got = detect_failures(t, w, ml, body_mass_kg=person.mass_kg, stance="left", baseline_ml_mm=base)
    true_t = [e[0] for e in person.events if e[1] == "hop"][0]
    assert got[0].kind == "hop" and abs(got[0].onset_s - true_t) <= 0.2


def test_sim_clean_trials_no_false_alarm():
    for seed in range(15):
        for side in ("left", "right"):
            t, w, ml, base, person = _sim_single_leg(100 + seed, side=side, duration_s=32.0)
            assert detect_failures(t, w, ml, body_mass_kg=person.mass_kg, stance=side, baseline_ml_mm=base) == []


# -- squats ------------------------------------------------------------------------------------
@pytest.mark.parametrize("period_s,reps", [(2.0, 5), (2.5, 3), (3.5, 6)])
def test_squat_reps_analytic(period_s, reps):
    fs = 100.0
    t = np.arange(0, 3 + reps * period_s + 3, 1 / fs)
    start = 3.0
    w = BW * squat_load_factor(t, start_s=start, reps=reps, period_s=period_s, depth_m=0.35)
    got = squat_reps(t, w, body_mass_kg=BW)
    assert len(got) == reps
    bottoms = np.array([r.bottom_s for r in got])
    want = start + period_s * (np.arange(reps) + 0.5)  # z is lowest half-way through each rep
    np.testing.assert_allclose(bottoms, want, atol=0.1)
    # peak load = 1 + depth·(2π/T)²/2/g
    peak = 100 * (1 + 0.35 * (2 * np.pi / period_s) ** 2 / 2 / 9.80665)
    assert got[0].peak_load_pct_bw == pytest.approx(peak, abs=1.0)
    assert squat_reps(t, np.full(t.size, BW), body_mass_kg=BW) == []


@pytest.mark.parametrize("seed", range(12))
def test_live_detector_first_failure_equals_offline(seed):
    """Random trials with a random event (or none): the live path (with its quiet-window fast
    path) reports the same first failure as the offline detector on the whole trial."""
    rng = np.random.default_rng(seed)
    t, w, ml = _clean(15.0, seed=seed)
    at = rng.uniform(3, 12)
    kind = ["none", "drop", "off", "hop", "jump"][seed % 5]
    m = (t >= at) & (t < at + 0.5)
    if kind == "drop":
        w[m] *= 1 - rng.uniform(0.12, 0.4)
    elif kind == "off":
        w[t >= at] = 0.0
    elif kind == "hop":
        w[(t >= at) & (t < at + 0.25)] = 0.0
    elif kind == "jump":
        ml[m] += 70.0
    offline = detect_failures(t, w, ml, body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0)
    live = LiveDetector(body_mass_kg=BW, stance="left", baseline_ml_mm=-100.0, start_s=0.0, check_every=3)
    got = None
    for i in range(t.size):
        got = live.update(t[i], w[i], ml[i]) or got
    got = got or live.finish()
    if kind == "none":
        assert offline == [] and got is None
    else:
        assert got is not None and offline
        assert (got.kind, got.onset_s) == pytest.approx((offline[0].kind, offline[0].onset_s))
        assert abs(got.onset_s - at) <= 0.2
