"""Protocol measures on real data: weight bearing from the CoP, checked against two force plates.

The Posture Data Set (dos Santos et al. 2017, PeerJ 5:e3626, CC-BY-4.0; ``data/pds/PROVENANCE.md``)
has a force plate under each foot, so the true share of the weight on each foot is known
sample by sample: ``LGRF_Y / (LGRF_Y + RGRF_Y)``. From the net CoP alone (what one board sees)
the lever rule recovers it given where the feet are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from balance.recording import Recording
from protocols.analysis import squat_measures, weight_bearing
from protocols.detect import detect_failures, foot_share_left_pct, load_share_left_pct, stable_stance

G = 9.80665


def _pds(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / "pds" / name, sep="\t")


@pytest.mark.parametrize("name", ["PDS13OR1grf.txt.gz", "PDS13CF1grf.txt.gz"])
def test_weight_bearing_matches_two_force_plates(data_dir, name):
    d = _pds(data_dir, name)
    true_left = 100.0 * d.LGRF_Y / (d.LGRF_Y + d.RGRF_Y)  # one plate per foot
    ml_mm = 1000.0 * d.COPNET_Z.to_numpy()  # PDS: Z = ML, positive to the right (RCOP_Z > 0)
    rec = Recording(time_s=d.Time.to_numpy(), cop_ml_mm=ml_mm, cop_ap_mm=1000.0 * d.COPNET_X.to_numpy())
    # per-sample feet positions: the lever rule is exact statics
    per_sample = foot_share_left_pct(ml_mm, feet_ml_mm=(1000 * d.LCOP_Z.to_numpy(), 1000 * d.RCOP_Z.to_numpy()))
    np.testing.assert_allclose(per_sample, true_left, atol=0.01)
    # the feet's mean positions, as a board app would know them: the trial mean within 0.2 points
    feet = (1000 * float(d.LCOP_Z.mean()), 1000 * float(d.RCOP_Z.mean()))
    wb = weight_bearing(rec, feet_ml_mm=feet)
    assert wb["weight_left_pct"] == pytest.approx(float(true_left.mean()), abs=0.2)
    assert wb["weight_left_pct"] + wb["weight_right_pct"] == pytest.approx(100.0)
    # where the feet stand matters (on foam this subject stood at -116/+129 mm): a protocol
    # states it in ProtocolSpec.feet_ml_mm


def test_board_halves_are_not_the_feet(data_dir):
    """Why the lever rule: the board's left half (TL+BL) understates a lean onto one foot."""
    d = _pds(data_dir, "PDS13OR1grf.txt.gz")
    true_left = float((100.0 * d.LGRF_Y / (d.LGRF_Y + d.RGRF_Y)).mean())
    # corner loads of a Wii board under this net CoP (bilinear split, 433 mm between sensors)
    ml = 1000.0 * d.COPNET_Z.to_numpy()
    w = d.GRFNET_Y.to_numpy() / G
    u = 0.5 + ml / 433.0
    corners = np.column_stack([w * (1 - u) / 2, w * u / 2, w * (1 - u) / 2, w * u / 2])
    halves = float(np.mean(load_share_left_pct(corners)))
    assert abs(halves - 50.0) < 0.6 * abs(true_left - 50.0)


def test_real_quiet_stance_is_stable_and_raises_no_failure(data_dir):
    """Real two-legged stance (eyes closed on foam, a 70.8-year-old): stable within seconds,
    body mass from the load, and not a single step-off or hop alarm in 60 s."""
    for name in ("PDS13OR1grf.txt.gz", "PDS13CF1grf.txt.gz"):
        d = _pds(data_dir, name)
        t = d.Time.to_numpy()
        w = d.GRFNET_Y.to_numpy() / G
        ml = 1000.0 * d.COPNET_Z.to_numpy()
        got = stable_stance(t, w, ml, stance="both")
        assert got is not None and got.stable_at_s < t[0] + 3.0
        assert got.load_kg == pytest.approx(float(np.median(w)), rel=0.01)
        assert detect_failures(t, w, ml, body_mass_kg=got.load_kg, stance="both") == []


def test_squat_measures_needs_load():
    rec = Recording(time_s=np.arange(3.0), cop_ml_mm=np.zeros(3), cop_ap_mm=np.zeros(3))
    with pytest.raises(ValueError, match="total load"):
        squat_measures(rec, body_mass_kg=70.0)
    with pytest.raises(ValueError, match="left must be left|left foot must be left"):
        foot_share_left_pct([0.0], feet_ml_mm=(100.0, -100.0))


def test_every_protocol_measure_is_catalogued():
    """Every measure key the protocols can add to a trial has a catalogue entry with a unit."""
    from balance.sway import MEASURES
    from protocols.analysis import PROTOCOL_MEASURES
    from protocols.library import PROTOCOLS

    keys = {m for spec in PROTOCOLS.values() for m in spec.measures}
    assert keys <= set(MEASURES) | set(PROTOCOL_MEASURES)
    assert not set(MEASURES) & set(PROTOCOL_MEASURES)
    assert all(m.unit and m.description and m.reference for m in PROTOCOL_MEASURES.values())
