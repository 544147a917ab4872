"""Real data: the raw HBEDB CoP reproduces the authors' published COPvelo, COParea and COPmfreq.

The reference values (``data/hbedb/reference_BDSinfoCOP.csv``) were computed by Santos & Duarte with
their own code (``hyperellipsoid.py``, ``psd2.py``) on the raw 60 s, 100 Hz CoP; see
``data/hbedb/PROVENANCE.md``. The files are read with numpy only (no project reader), so this checks the
measures, not a file parser.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from balance import sway
from balance.pipeline import analyze

HBEDB = Path(__file__).resolve().parents[2] / "data" / "hbedb"


def _reference() -> list[dict[str, str]]:
    with open(HBEDB / "reference_BDSinfoCOP.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


REFERENCE = _reference()


def _load(trial: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with gzip.open(HBEDB / f"{trial}.txt.gz", "rt", newline="") as f:
        a = np.loadtxt(f, delimiter="\t", skiprows=1)
    t = a[:, 0]
    cop_ap_mm = a[:, 7] * 10.0  # COPx [cm] is anteroposterior
    cop_ml_mm = a[:, 8] * 10.0  # COPy [cm] is mediolateral
    return t, cop_ml_mm, cop_ap_mm


def test_all_24_trials_are_shipped() -> None:
    assert len(REFERENCE) == 24
    for row in REFERENCE:
        assert (HBEDB / f"{row['Trial']}.txt.gz").is_file()


@pytest.mark.parametrize("row", REFERENCE, ids=[r["Trial"] for r in REFERENCE])
def test_raw_cop_reproduces_published_values(row: dict[str, str]) -> None:
    t, ml, ap = _load(row["Trial"])
    assert ml.shape == (6000,)
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    m = sway.measures(ml, ap, fs_hz=100.0, select=["mean_velocity_mm_s", "prediction_ellipse_area_mm2",
                                                    "mean_power_frequency_hz"])
    assert m["mean_velocity_mm_s"] == pytest.approx(float(row["COPvelo"]) * 10.0, rel=1e-6)  # cm/s -> mm/s
    assert m["prediction_ellipse_area_mm2"] == pytest.approx(float(row["COParea"]) * 100.0, rel=1e-6)  # cm² -> mm²
    assert m["mean_power_frequency_hz"] == pytest.approx(float(row["COPmfreq"]), rel=1e-6)


@pytest.mark.parametrize("row", REFERENCE[:4], ids=[r["Trial"] for r in REFERENCE[:4]])
def test_pipeline_raw_reproduces_published_values(row: dict[str, str]) -> None:
    t, ml, ap = _load(row["Trial"])
    res = analyze((t, ml, ap), raw=True)
    assert res.params["raw"] is True
    assert res.measures["mean_velocity_mm_s"] == pytest.approx(float(row["COPvelo"]) * 10.0, rel=1e-6)
    assert res.measures["prediction_ellipse_area_mm2"] == pytest.approx(float(row["COParea"]) * 100.0, rel=1e-6)
    assert res.measures["mean_power_frequency_hz"] == pytest.approx(float(row["COPmfreq"]), rel=1e-6)


def test_bipedal_stance_sways_more_in_ap_than_ml() -> None:
    # docs/methods.md §4.3: for HBEDB BDS00001/37 (raw, 100 Hz) RMS_AP is 1.8-2.2 x RMS_ML.
    for trial in ("BDS00001", "BDS00037"):
        _, ml, ap = _load(trial)
        m = sway.measures(ml, ap, fs_hz=100.0, select=["time"])
        assert 1.5 < m["rms_ap_mm"] / m["rms_ml_mm"] < 2.5
