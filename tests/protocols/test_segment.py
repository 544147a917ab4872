"""Stance segmentation of continuous recordings (issue 10): simulated sessions on both report timings,
and a two-plate session built from a real PDS recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balance.recording import Recording
from drivers.formats import read_any
from drivers.sim import SimulatedBoard
from protocols.segment import segment, segment_recording, several_stances_warning, side_mismatch

ROOT = Path(__file__).resolve().parents[2]
RAMP_S = 0.4  # stance changes of the simulated person in these sessions (s)


def sim_session(timing: str, seed: int) -> tuple[Recording, list[tuple[str, float, float]]]:
    """A session of four single-leg stances of unequal length (5-23 s), a hop in the second and a
    touch-down in the third; returns the recording and the true stances (side, lift-off, end): a
    stance change's boundary is the middle of its 0.4 s weight shift, a hop or a touch-down its start,
    and the stance resumes when the foot has landed (hop) or lifted again (touch-down)."""
    b = SimulatedBoard(seed=seed, stance="both", auto_follow=False, timing=timing)  # type: ignore[arg-type]
    p = b.person
    plan = [("left", 5.0, 28.0), ("right", 34.0, 46.0), ("left", 52.0, 75.0), ("right", 81.0, 86.5)]
    for side, a, e in plan:
        p.set_stance(side, at_s=a, duration_s=RAMP_S)  # type: ignore[arg-type]
        p.set_stance("both", at_s=e, duration_s=RAMP_S)
    p.hop(at_s=40.0)
    flight = [ev[2]["flight_s"] for ev in p.events if ev[1] == "hop"][0]
    p.touch_down(at_s=62.0, duration_s=0.5, fraction=0.3)
    with b:
        arr = b.read_arrays(95.0)
    h = RAMP_S / 2
    truth = [
        ("left", 5.0 + h, 28.0 + h),
        ("right", 34.0 + h, 40.0),
        ("right", 40.0 + 0.15 + flight, 46.0 + h),
        ("left", 52.0 + h, 62.0),
        ("left", 62.0 + 0.5 + 0.1, 75.0 + h),
        ("right", 81.0 + h, 86.5 + h),
    ]
    return Recording.from_corners(arr.t_s, arr.corners_kg), truth


@pytest.mark.parametrize("timing", ["hid", "polled"])
@pytest.mark.parametrize("seed", [1, 7])
def test_every_simulated_stance_is_found_with_its_side_and_boundaries(timing: str, seed: int) -> None:
    rec, truth = sim_session(timing, seed)
    found = segment(rec)
    assert [s.side for s in found] == [t[0] for t in truth]
    for s, (_, a, e) in zip(found, truth):
        assert s.start_s == pytest.approx(a, abs=0.2)
        assert s.end_s == pytest.approx(e, abs=0.2)
    assert [s.status for s in found] == ["complete", "failed", "complete", "failed", "complete", "complete"]
    assert [s.failure_kind for s in found] == [None, "hop", None, "touch_down", None, None]
    # trimmed as the single-leg protocols: 2 s after the lift-off, 0.5 s before the end
    for s in found:
        assert s.analysis_window_s == pytest.approx((s.start_s + 2.0, s.end_s - 0.5))


def test_a_cop_only_file_is_segmented_without_the_load_rules() -> None:
    rec, truth = sim_session("hid", 2)
    cop = Recording(time_s=rec.time_s, cop_ml_mm=rec.cop_ml_mm, cop_ap_mm=rec.cop_ap_mm)
    found = segment(cop)
    # the touch-down to the floor cannot be seen without the load: stances 4 and 5 are one
    assert [s.side for s in found] == ["left", "right", "right", "left", "right"]
    assert found[1].failure_kind == "hop"
    assert found[3].start_s == pytest.approx(truth[3][1], abs=0.2)
    assert found[3].end_s == pytest.approx(truth[4][2], abs=0.2)


def test_a_bipedal_session_has_no_stance_and_no_warning() -> None:
    b = SimulatedBoard(seed=2, stance="both", auto_follow=False, timing="polled")
    b.person.set_stance("off", at_s=20.0)
    b.person.set_stance("both", at_s=24.0)
    with b:
        arr = b.read_arrays(45.0)
    rec = Recording.from_corners(arr.t_s, arr.corners_kg)
    assert segment(rec) == []
    assert several_stances_warning(rec) is None


def test_the_warning_names_the_stances_and_suggests_segment() -> None:
    rec, truth = sim_session("hid", 3)
    msg = several_stances_warning(rec)
    assert msg is not None and "--segment" in msg and "6 single-leg stance(s)" in msg
    for s in segment(rec):
        assert f"{s.side} {s.start_s:.1f}-{s.end_s:.1f} s" in msg


def test_side_mismatch_from_the_cop() -> None:
    rec, truth = sim_session("hid", 4)
    _, a, e = truth[1]  # a right-leg stance, cut out without its bipedal parts
    one = rec.slice_time(a + 0.5, e - 0.5)
    assert side_mismatch(one, "right") is None
    msg = side_mismatch(one, "left")
    assert msg is not None and "right foot" in msg and "board's centre" in msg
    assert side_mismatch(one, "both") is None


# ------------------------------------------------------------------------------ two force plates (PDS)
def _pds(name: str) -> Recording:
    return read_any(ROOT / "data/pds" / name)


def test_pds_bipedal_trials_hold_no_single_leg_stance() -> None:
    for name in ("PDS13OR1grf.txt.gz", "PDS13CF1grf.txt.gz"):
        rec = _pds(name)
        res = segment_recording(rec)
        assert res.stances == []
        # the bipedal centre is the midpoint of the two plates' CoPs (feet about 240 mm apart)
        lml, rml = rec.meta["left_cop_ml_mm"], rec.meta["right_cop_ml_mm"]
        assert res.centre_ml_mm == pytest.approx(0.5 * (np.median(lml) + np.median(rml)))
        assert several_stances_warning(rec) is None


def test_pds_two_plate_session_is_segmented_from_the_plates() -> None:
    # A session built from the real PDS13OR1 trial: where a foot is "lifted" its plate carries nothing
    # and the net CoP is the other plate's own (measured) CoP, with the whole load on it (statics of two
    # plates: the net CoP is the load-weighted mean of the plates' CoPs).
    rec = _pds("PDS13OR1grf.txt.gz")
    t = rec.time_s
    m = rec.meta
    lf, rf = np.array(m["left_load_kg"]), np.array(m["right_load_kg"])
    ml, ap = rec.cop_ml_mm.copy(), rec.cop_ap_mm.copy()
    total = rec.total_kg
    stances = [("left", 8.0, 24.0), ("right", 31.0, 42.5), ("left", 49.0, 55.0)]
    for side, a, e in stances:
        k = (t >= a) & (t < e)
        keep = "left" if side == "left" else "right"
        ml[k] = np.asarray(m[f"{keep}_cop_ml_mm"])[k]
        ap[k] = np.asarray(m[f"{keep}_cop_ap_mm"])[k]
        (lf if side == "left" else rf)[k] = total[k]
        (rf if side == "left" else lf)[k] = 0.0
    meta = {**m, "left_load_kg": lf, "right_load_kg": rf}
    sess = Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap, total_kg=total, fs_hz=rec.fs_hz, meta=meta)
    found = segment(sess)
    assert [(s.side, s.status) for s in found] == [(s, "complete") for s, _, _ in stances]
    for s, (_, a, e) in zip(found, stances):
        assert s.start_s == pytest.approx(a, abs=0.2)
        assert s.end_s == pytest.approx(e, abs=0.2)
    assert side_mismatch(sess.slice_time(31.5, 42.0), "left") is not None
    assert side_mismatch(sess.slice_time(31.5, 42.0), "right") is None
