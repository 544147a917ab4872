"""The simulated board: timing, resolution, the person's actions, and sway statistics against
docs/methods.md §4.3 — computed here with balance.cop and plain numpy path/velocity."""

from __future__ import annotations

import time

import numpy as np
import pytest

from balance.cop import cop_from_corners
from drivers.base import SampleFlag
from drivers.calibration import CalibrationProfile
from drivers.errors import BoardDisconnected
from drivers.sim import SimulatedBoard, SimulatedPerson


def sway(corners: np.ndarray, t: np.ndarray) -> dict[str, float]:
    r = cop_from_corners(corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3])
    ml, ap = r.cop_ml_mm, r.cop_ap_mm
    dur = t[-1] - t[0]
    dml, dap = np.diff(ml), np.diff(ap)
    return {
        "speed": float(np.hypot(dml, dap).sum() / dur),
        "speed_ml": float(np.abs(dml).sum() / dur),
        "speed_ap": float(np.abs(dap).sum() / dur),
        "rms_ml": float(np.std(ml)),
        "rms_ap": float(np.std(ap)),
        "mean_ml": float(np.mean(ml)),
        "total": float(np.mean(r.total)),
    }


def trial(stance: str, seed: int, seconds: float = 30.0, **kw: object) -> dict[str, float]:
    with SimulatedBoard(seed=seed, stance=stance, **kw) as b:  # type: ignore[arg-type]
        a = b.read_arrays(seconds)
    return sway(a.corners_kg, a.t_s)


class TestSwayStatistics:
    @pytest.mark.parametrize("stance", ["left", "right"])
    def test_single_leg_matches_posturography_4_3(self, stance: str) -> None:
        res = [trial(stance, seed) for seed in range(6)]
        speed = np.mean([r["speed"] for r in res])
        ratio = np.mean([r["speed_ml"] / r["speed_ap"] for r in res])
        rms_ml = np.mean([r["rms_ml"] for r in res])
        # Issue 10: the real values (total 3.6-4.0 cm/s, RMS_ML 0.51-0.68 cm, §4.3) hold AFTER the
        # pipeline (tests/drivers/test_sim_calibration.py); the raw stream checked here is faster by
        # what the pipeline's smoothing removes (SINGLE_LEG_SWAY_RAW: ~10 % more speed and RMS).
        assert 36.0 <= speed <= 46.0
        assert 1.2 <= ratio <= 1.7  # ML speed > AP speed, ~1.4x (§4.3: 2.6-3.0 vs 1.9-2.1 cm/s)
        assert 4.5 <= rms_ml <= 7.5
        # Each trial on its own stays in a plausible band (trial-to-trial variation ~±5-10 %).
        assert all(30 <= r["speed"] <= 50 for r in res)

    def test_bipedal_matches_hbedb(self) -> None:
        res = [trial("both", seed) for seed in range(6)]
        speed = np.mean([r["speed"] for r in res])
        ap_over_ml = np.mean([r["rms_ap"] / r["rms_ml"] for r in res])
        assert 7.0 <= speed <= 11.0  # HBEDB median 0.90 cm/s (§4.3)
        assert 1.75 <= ap_over_ml <= 2.25  # RMS_AP 1.8-2.2 x RMS_ML
        assert np.mean([r["speed_ap"] > r["speed_ml"] for r in res]) == 1.0

    def test_stance_foot_off_centre(self) -> None:
        left, right, both = trial("left", 1, 10), trial("right", 1, 10), trial("both", 1, 10)
        assert left["mean_ml"] == pytest.approx(-100, abs=20)
        assert right["mean_ml"] == pytest.approx(100, abs=20)
        assert both["mean_ml"] == pytest.approx(0, abs=10)
        assert left["total"] == pytest.approx(70.0, abs=0.05)

    @pytest.mark.parametrize("ratio", [1.5, 0.7])
    def test_left_right_knob_scales_ml_sway(self, ratio: float) -> None:
        left = trial("left", 4, ml_sway_ratio_right_over_left=ratio)
        right = trial("right", 4, ml_sway_ratio_right_over_left=ratio)
        # Same seed: the same sway process, the right one scaled in ML only.
        assert right["rms_ml"] / left["rms_ml"] == pytest.approx(ratio, rel=0.02)
        assert right["speed_ml"] / left["speed_ml"] == pytest.approx(ratio, rel=0.03)
        assert right["rms_ap"] == pytest.approx(left["rms_ap"], rel=0.02)


class TestTimingAndResolution:
    def test_report_rate_duplicates_and_jitter(self) -> None:
        with SimulatedBoard(seed=2, stance="left") as b:
            a = b.read_arrays(60.0)
        dt = np.diff(a.t_s)
        assert np.all(dt > 0)  # strictly increasing
        assert len(a) / 60.0 == pytest.approx(100.0, abs=1.0)
        assert dt.std() > 0.0005  # jittered, not a perfect grid
        dup = (a.flags & int(SampleFlag.DUPLICATE)) != 0
        assert dup.mean() == pytest.approx(0.37, abs=0.03)  # ~37 % repeated reports (docs/wii-balance-board.md §4)
        same = np.all(a.corners_kg[1:] == a.corners_kg[:-1], axis=1)
        np.testing.assert_array_equal(dup[1:], same)
        # runs of identical reports are 1-2 long (63 Hz sensors under ~100 Hz reports); a run of 3 needs two
        # sensor ticks that happen to quantise alike, which the doc saw once (§4)
        assert np.mean(same[1:] & same[:-1]) < 0.01

    def test_10_gram_resolution(self) -> None:
        with SimulatedBoard(seed=3) as b:
            a = b.read_arrays(5.0)
        counts = a.corners_kg / 0.01
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)

    def test_reproducible(self) -> None:
        def run(seed: int) -> np.ndarray:
            with SimulatedBoard(seed=seed, stance="both") as b:
                b.cue("stand_right")
                b.person.touch_down(at_s=5.0)
                return b.read_arrays(8.0).corners_kg

        np.testing.assert_array_equal(run(11), run(11))
        assert not np.array_equal(run(11), run(12))

    def test_read_and_read_arrays_agree(self) -> None:
        with SimulatedBoard(seed=5) as b1, SimulatedBoard(seed=5) as b2:
            a = b1.read_arrays(3.0)
            s = [b2.read() for _ in range(len(a))]
        np.testing.assert_array_equal(a.corners_kg, [x.corners_kg for x in s])  # type: ignore[union-attr]
        np.testing.assert_array_equal(a.t_s, [x.t_s for x in s])  # type: ignore[union-attr]

    def test_fast_mode_never_sleeps(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def no_sleep(_: float) -> None:
            raise AssertionError("SimulatedBoard(realtime=False) slept")

        monkeypatch.setattr(time, "sleep", no_sleep)
        with SimulatedBoard(seed=1) as b:
            for _ in range(3000):
                b.read(timeout_s=0)
            assert b.now_s == pytest.approx(30.0, abs=0.1)

    def test_realtime_is_paced_by_the_monotonic_clock(self) -> None:
        with SimulatedBoard(seed=1, realtime=True) as b:
            t_start = time.monotonic()
            samples = [b.read(timeout_s=1.0) for _ in range(20)]
            elapsed = time.monotonic() - t_start
        assert all(s is not None for s in samples)
        assert elapsed >= 0.15  # 20 reports at ~100/s
        assert abs(samples[-1].t_s - time.monotonic()) < 0.5  # type: ignore[union-attr]

    def test_realtime_timeout_returns_none(self) -> None:
        with SimulatedBoard(seed=1, realtime=True) as b:
            b.read(timeout_s=1.0)
            t0 = time.monotonic()
            for _ in range(5):
                b.read(timeout_s=0.001)  # a sample when one is due, else None after ~1 ms
            assert time.monotonic() - t0 < 0.5  # never blocks beyond the tiny timeouts (generous for loaded machines)


class TestPerson:
    def test_cue_is_obeyed_after_a_reaction_delay(self) -> None:
        with SimulatedBoard(seed=7, stance="both") as b:
            b.read_arrays(2.0)
            t_cue = b.now_s
            start = b.cue("stand_left")
            assert start is not None and 0.5 <= start - t_cue <= 1.5
            a = b.read_arrays(4.0)
        ml = cop_from_corners(*a.corners_kg.T).cop_ml_mm
        before = a.t_s < t_cue + 0.5
        assert np.all(np.abs(ml[before]) < 30)
        assert np.all(ml[a.t_s > start + 0.6] < -70)  # the move takes 0.3-0.5 s
        ev = [e for e in b.person.events if e[1] == "stance"][-1]
        assert ev[2]["stance"] == "left" and 0.3 <= ev[2]["duration_s"] <= 0.5

    @pytest.mark.parametrize(("cue", "total", "ml_sign"), [("step_off", 0.0, 0), ("stand_right", 70.0, 1), ("rest", 70.0, 0)])
    def test_cues(self, cue: str, total: float, ml_sign: int) -> None:
        with SimulatedBoard(seed=1, stance="left") as b:
            b.cue(cue)
            b.read_arrays(2.5)
            a = b.read_arrays(1.0)
        assert a.corners_kg.sum(axis=1).mean() == pytest.approx(total, abs=0.1)
        if total:
            ml = cop_from_corners(*a.corners_kg.T).cop_ml_mm
            assert np.sign(np.round(ml.mean() / 50)) == ml_sign

    def test_step_on_from_off(self) -> None:
        with SimulatedBoard(seed=1, stance="off") as b:
            assert b.read_arrays(1.0).corners_kg.sum(axis=1).max() < 0.1
            b.cue("step_on_both")
            b.read_arrays(2.0)
            assert b.read_arrays(1.0).corners_kg.sum(axis=1).mean() == pytest.approx(70.0, abs=0.1)

    def test_auto_follow_off_ignores_cues(self) -> None:
        with SimulatedBoard(seed=1, stance="both", auto_follow=False) as b:
            assert b.cue("stand_left") is None
            a = b.read_arrays(3.0)
        assert abs(cop_from_corners(*a.corners_kg.T).cop_ml_mm.mean()) < 20
        assert b.person.cues and b.person.cues[0][1] == "stand_left"

    def test_touch_down_drops_load(self) -> None:
        with SimulatedBoard(seed=1, stance="left", mass_kg=80.0) as b:
            b.person.touch_down(at_s=2.0, duration_s=0.5)
            a = b.read_arrays(4.0)
        tot = a.corners_kg.sum(axis=1)
        during = (a.t_s > 2.15) & (a.t_s < 2.45)
        drop = 1 - tot[during].mean() / 80.0
        assert 0.1 <= drop <= 0.4  # 10-40 % of body weight
        assert tot[a.t_s > 2.8].mean() == pytest.approx(80.0, abs=0.1)

    def test_hop(self) -> None:
        with SimulatedBoard(seed=1, stance="right") as b:
            b.person.hop(at_s=1.0)
            a = b.read_arrays(2.5)
        tot = a.corners_kg.sum(axis=1)
        air = a.t_s[tot < 1.0]
        assert air.size and 0.15 <= air[-1] - air[0] <= 0.3
        assert tot.max() > 1.3 * 70.0  # landing peak

    def test_schedule_and_disconnect(self) -> None:
        person = SimulatedPerson(mass_kg=60.0, stance="off", seed=3)
        person.schedule([(1.0, "set_stance", {"stance": "both"}), (3.0, "set_stance", {"stance": "left"}), (6.0, "step_off", {})])
        with SimulatedBoard(person=person, seed=3, disconnect_at_s=8.0) as b:
            a = b.read_arrays(5.0)
            assert a.corners_kg[a.t_s > 4.0].sum(axis=1).mean() == pytest.approx(60.0, abs=0.1)
            with pytest.raises(BoardDisconnected):
                for _ in range(1000):
                    b.read()

    def test_button_press(self) -> None:
        with SimulatedBoard(seed=1) as b:
            b.person.press_button(at_s=1.0, duration_s=0.2)
            a = b.read_arrays(2.0)
        assert a.button[(a.t_s > 1.02) & (a.t_s < 1.18)].all() and not a.button[a.t_s < 0.99].any()

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="stance"):
            SimulatedPerson(stance="sideways")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="ratio"):
            SimulatedBoard(ml_sway_ratio_right_over_left=0)
        with pytest.raises(ValueError, match="cue"):
            SimulatedBoard().cue("dance")


class TestKnownMasses:
    def test_mass_at_a_position(self) -> None:
        with SimulatedBoard(seed=1, stance="off") as b:
            b.place_mass(10.0, ml_mm=150.0, ap_mm=80.0)
            a = b.read_arrays(1.0)
            b.clear_masses()
            empty = b.read_arrays(0.5)
        r = cop_from_corners(*a.corners_kg.T)
        assert r.total.mean() == pytest.approx(10.0, abs=0.01)
        assert r.cop_ml_mm.mean() == pytest.approx(150.0, abs=1.0)
        assert r.cop_ap_mm.mean() == pytest.approx(80.0, abs=1.0)
        assert empty.corners_kg.sum(axis=1).max() < 0.1

    def test_profile_applied_to_read_and_read_arrays(self) -> None:
        prof = CalibrationProfile(serial="sim-0001", gains=(2.0, 1.0, 1.0, 1.0))
        with SimulatedBoard(seed=1) as b1, SimulatedBoard(seed=1) as b2:
            b2.apply_calibration(prof)
            raw = b1.read_arrays(0.5)
            cal = b2.read_arrays(0.5)
            s1, s2 = b1.read(), b2.read()
        np.testing.assert_allclose(cal.corners_kg[:, 0], 2 * raw.corners_kg[:, 0])
        assert s2.tl_kg == pytest.approx(2 * s1.tl_kg)  # type: ignore[union-attr]


def test_ar2_recursion_matches_scipy_lfilter() -> None:
    """The vectorised AR(2) of the sway model against a peer implementation (scipy.signal.lfilter)."""
    import math

    from scipy.signal import lfilter

    from drivers.sim import _ar2, _ar2_filter

    for f_hz, zeta in ((0.12, 0.7), (1.8, 0.35)):
        dt = 1 / 63
        phi1, phi2, gamma0, rho1 = _ar2(f_hz, zeta, dt)
        w = 2 * math.pi * f_hz
        pole = complex(math.exp(-zeta * w * dt) * math.cos(w * math.sqrt(1 - zeta**2) * dt),
                       math.exp(-zeta * w * dt) * math.sin(w * math.sqrt(1 - zeta**2) * dt))  # fmt: skip
        e = np.random.default_rng(0).standard_normal(5000)
        a, state = _ar2_filter(e[:1234], pole, 0j)
        b, _ = _ar2_filter(e[1234:], pole, state)  # state carried across chunks
        ref = lfilter([1.0], [1.0, -phi1, -phi2], e)
        np.testing.assert_allclose(np.concatenate([a, b]), ref, atol=1e-10)
        # the stationary variance and lag-1 correlation used to scale the modes, against a long run
        long = lfilter([1.0], [1.0, -phi1, -phi2], np.random.default_rng(1).standard_normal(400_000))[20_000:]
        assert long.var() == pytest.approx(gamma0, rel=0.05)
        assert np.corrcoef(long[1:], long[:-1])[0, 1] == pytest.approx(rho1, abs=0.002)


def test_reconnect_after_a_simulated_drop() -> None:
    with SimulatedBoard(seed=1, disconnect_at_s=1.0) as b:
        with pytest.raises(BoardDisconnected):
            b.read_arrays(2.0)
        assert b.reconnect(attempts=1, delay_s=0.0)
        a = b.read_arrays(1.0)
    assert len(a) > 90 and a.t_s[0] >= 1.0  # the stream goes on where it stopped


def test_squat_cue_gives_reps_with_the_analytic_load_and_the_offload() -> None:
    # Load of a squatting person = m·(g + z'')/g, z = -d·(1 - cos(2πu))/2 per rep (derived here):
    # min 1 - d·(2π/T)²/(2g) going down, max 1 + d·(2π/T)²/(2g) at the bottom.
    with SimulatedBoard(seed=5, mass_kg=70.0, stance="both", squat_offload_ml_mm=20.0) as b:
        b.read_arrays(2.0)
        start = b.cue("squat")
        assert start is not None
        a = b.read_arrays(20.0)
    total = a.corners_kg.sum(axis=1)
    u = (a.t_s - start) / 2.5
    inside = (u >= 0.05) & (u < 4.95)
    expected = 70.0 * (1.0 - 0.35 * (2 * np.pi / 2.5) ** 2 * np.cos(2 * np.pi * u) / (2 * 9.80665))
    # tolerance: the ADC updates ~63/s and reports repeat it (a held value lags a ~20 kg/s slope), 10 g steps, noise
    np.testing.assert_allclose(total[inside], expected[inside], atol=1.0)
    assert total[inside].max() > 70.0 * 1.08 and total[inside].min() < 70.0 * 0.92
    # the CoP sits ~20 mm right of the quiet-stance position while squatting
    from balance.cop import cop_from_corners

    ml = cop_from_corners(*a.corners_kg.T).cop_ml_mm
    after = u >= 5.5
    assert np.mean(ml[inside]) - np.mean(ml[after]) == pytest.approx(20.0, abs=4.0)
    assert [e for _, e, _ in b.person.events].count("squat") == 1


def test_eyes_closed_cue_scales_the_sway_and_a_stance_cue_opens_them() -> None:
    # Same seed, same person: with the eyes closed the single-leg sway is the same process x2
    # (EYES_CLOSED_SWAY_SCALE), so the CoP's RMS about its mean doubles.
    from balance.cop import cop_from_corners
    from drivers.sim import EYES_CLOSED_SWAY_SCALE

    def rms_ml(eyes_cue: bool) -> float:
        with SimulatedBoard(seed=9, stance="left") as b:
            b.read_arrays(2.0)
            if eyes_cue:
                b.cue("eyes_closed")
            a = b.read_arrays(30.0)
        ml = cop_from_corners(*a.corners_kg.T).cop_ml_mm[a.t_s > a.t_s[0] + 1.0]
        return float(np.std(ml))

    ratio = rms_ml(True) / rms_ml(False)
    assert ratio == pytest.approx(EYES_CLOSED_SWAY_SCALE[1], rel=0.05)  # 10 g quantisation and sensor noise
    with SimulatedBoard(seed=9, stance="left") as b:
        b.cue("eyes_closed")
        b.read_arrays(3.0)
        assert b.person.eyes_closed_at(np.array([b.now_s]))[0]
        start = b.cue("stand_right")
        assert start is not None and not b.person.eyes_closed_at(np.array([start + 0.01]))[0]
