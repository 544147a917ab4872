"""The house vocabulary: str-valued enums that store and print as before, the board geometry,
the trial record."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from balance.cop import cop_from_corners
from balance.model import WII_BALANCE_BOARD, BoardGeometry, Eyes, Side, Stance, Surface, TrialRecord, TrialStatus


@pytest.mark.parametrize("enum_cls", [Side, Stance, Eyes, Surface, TrialStatus])
def test_enums_are_their_strings(enum_cls) -> None:
    for member in enum_cls:
        assert member == member.value and isinstance(member, str)
        assert str(member) == f"{member}" == f"{member:>0}" == member.value
        assert json.dumps({"v": member}) == json.dumps({"v": member.value})
        assert enum_cls(member.value) is member


def test_side_of_reads_old_values_and_names_the_valid_ones() -> None:
    assert Side.of("Left") is Side.LEFT and Side.of(" right ") is Side.RIGHT and Side.of(Side.BOTH) is Side.BOTH
    with pytest.raises(ValueError, match="left, right, both"):
        Side.of("middle")
    assert [s.words for s in Side] == ["LEFT leg", "RIGHT leg", "both legs"]


def test_geometry_scales_the_cop() -> None:
    # all the load on the two right sensors: CoP_ML = +W/2; on the two front sensors: CoP_AP = +L/2
    wide = BoardGeometry(width_mm=600.0, length_mm=400.0)
    r = cop_from_corners(0.0, 10.0, 0.0, 10.0, geometry=wide)
    assert float(r.cop_ml_mm) == 300.0 and float(r.cop_ap_mm) == 0.0
    r = cop_from_corners(10.0, 10.0, 0.0, 0.0)
    assert float(r.cop_ap_mm) == WII_BALANCE_BOARD.length_mm / 2 == 119.0
    with pytest.raises(ValueError, match="positive"):
        BoardGeometry(width_mm=0.0, length_mm=1.0)


def _record(**kw) -> TrialRecord:
    base = dict(id=1, session_id=1, protocol="single_leg", side="left", condition="eyes_open", trial_index=1,
                practice=False, valid=True, failure_kind=None, failure_time_s=None, duration_s=30.0,
                recorded_at="2026-01-01T00:00:00+00:00", raw_path=None, n_samples=0, fs_hz=None, params={},
                measures={"rms_ml_mm": 3.5})
    base.update(kw)
    return TrialRecord(**base)


def test_trial_record_is_frozen_and_reads_its_outcome() -> None:
    t = _record()
    with pytest.raises(AttributeError):
        t.valid = False  # type: ignore[misc]  # frozen: the assignment must fail
    assert t.leg is Side.LEFT and t.outcome is TrialStatus.COMPLETE
    assert t.measure("rms_ml_mm") == 3.5 and math.isnan(t.measure("absent"))
    assert _record(valid=False, failure_kind="hop").outcome is TrialStatus.FAILED
    assert _record(valid=False, failure_kind="disconnected").outcome is TrialStatus.INCOMPLETE
    assert _record(valid=False, status="incomplete", failure_kind="hop").outcome is TrialStatus.INCOMPLETE


def test_trial_record_reads_side_window_and_samples_as_given() -> None:
    from balance.recording import Recording

    t = _record(side="Right", analysis_window_s=[1, 4])
    assert t.side is Side.RIGHT and t.analysis_window_s == (1.0, 4.0)
    with pytest.raises(ValueError, match="side 'up'"):
        _record(side="up")
    with pytest.raises(ValueError, match="without its samples"):
        t.analysed_recording()
    time_s = np.arange(500) / 100.0  # 5 s at 100 Hz; the window 1-4 s holds 301 samples, the trial 0.5-2 s 151
    rec = Recording(time_s=time_s, cop_ml_mm=np.zeros(500), cop_ap_mm=np.zeros(500), fs_hz=100.0)
    t = dataclasses.replace(t, recording=rec, start_s=0.5, end_s=2.0)
    assert (t.n_samples, t.fs_hz) == (500, 100.0)  # the samples say how many, whatever was given
    assert len(t.analysed_recording()) == 301 and len(t.trial_recording()) == 151
    s = t.summary()
    assert s["side"] == "right" and s["analysis_window_s"] == [1.0, 4.0] and s["n_samples"] == 500
    assert s["start_s"] == 0.5 and _record().summary()["start_s"] is None  # NaN (unknown) as None
