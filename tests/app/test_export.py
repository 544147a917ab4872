"""Export for physios: columns, units, formula-injection neutralisation, pandas round trip, atomicity."""

from __future__ import annotations

import csv
import dataclasses
import errno
import math
import os
from pathlib import Path

import numpy as np
import pytest
from e2_factories import make_trial

from balance.app import export as export_mod
from balance.app.export import ExportError, export_history, format_cell, measure_column, neutralise_cell
from balance.app.store import Store


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-3.25, "-3.25"),  # a negative NUMBER stays a number
        (-0.0, "-0.0"),
        (1e-7, "1e-07"),
        (12, "12"),
        (True, "1"),
        (None, ""),
        (math.nan, ""),
        (np.float64(-2.5), "-2.5"),
        (np.int64(-4), "-4"),
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),  # text that starts like a negative number is still text
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("Zoë", "Zoë"),
        ("a=b", "a=b"),
    ],
)
def test_format_cell(value: object, cell: str) -> None:
    assert format_cell(value) == cell


def test_neutralise_only_triggers() -> None:
    assert neutralise_cell("") == ""
    assert neutralise_cell("Sam") == "Sam"


def test_measure_columns_carry_units() -> None:
    from balance.sway import MEASURES

    # units straight from the catalogue, said once: the key's unit suffix gives way to the bracket
    assert measure_column("mean_velocity_ml_mm_s") == f"mean_velocity_ml [{MEASURES['mean_velocity_ml_mm_s'].unit}]"
    assert MEASURES["mean_velocity_ml_mm_s"].unit == "mm/s"
    # keys outside the catalogue: unit from the suffix
    assert measure_column("something_mm2") == "something [mm²]"
    assert measure_column("weight_left_pct") == "weight_left [%]"
    assert measure_column("rep_count") == "rep_count [1]"


@pytest.fixture
def filled(tmp_path: Path):
    s = Store.open(tmp_path / "h.db")
    sam = s.add_athlete("=cmd|' /C calc'!A0", birth_year=1990, mass_kg=70.0)  # a hostile name
    kim = s.add_athlete("Kim")
    sid = s.start_session(sam, protocol="single_leg", board={"kind": "sim", "serial": "sim-0001"}, started_at="2026-03-02T09:00:00+00:00")
    vals = {"left": [20.0, 22.0, 24.0], "right": [30.0, 32.0, 34.0]}
    for side in ("left", "right"):
        for i, v in enumerate(vals[side], 1):
            s.add_trial(sid, make_trial(side, i, measures={"mean_velocity_ml_mm_s": v, "rms_ml_mm": -1.5 * i}, seed=i))
    s.add_trial(sid, make_trial("left", 4, valid=False, failure_kind="touch_down", failure_time_s=7.25,
                                measures={"mean_velocity_ml_mm_s": math.nan}))  # fmt: skip
    s.finish_session(sid)
    sid2 = s.start_session(kim, protocol="single_leg", started_at="2026-03-03T09:00:00+00:00")
    s.add_trial(sid2, make_trial("left", 1, measures={"mean_velocity_ml_mm_s": 10.0}))
    yield s, sam, kim
    s.close()


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_export_files_columns_and_values(filled, tmp_path: Path) -> None:
    store, sam, _ = filled
    res = export_history(store, [sam.code], tmp_path / "out")
    out = tmp_path / "out"
    assert res.n_trials == 7 and res.n_sessions == 1 and res.n_athletes == 1
    names = sorted(p.name for p in out.iterdir())
    assert names == ["DATA_DICTIONARY.md", "athletes.csv", "references.csv", "samples", "sessions.csv", "trials.csv"]
    raw = (out / "trials.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # UTF-8 BOM, RFC 4180 line ends
    rows = _read(out / "trials.csv")
    header = rows[0]
    assert header[:3] == ["athlete_code", "athlete_name", "date"]
    assert "mean_velocity_ml [mm/s]" in header and "rms_ml [mm]" in header
    body = [dict(zip(header, r)) for r in rows[1:]]
    assert len(body) == 7
    first = body[0]
    assert first["athlete_name"] == "'=cmd|' /C calc'!A0"  # neutralised text
    assert first["date"] == "2026-03-02" and first["side"] == "left" and first["valid"] == "1"
    assert first["rms_ml [mm]"] == "-1.5"  # negative number kept as a number
    failed = body[6]
    assert failed["valid"] == "0" and failed["failure_kind"] == "touch_down" and failed["failure_time_s"] == "7.25"
    assert failed["mean_velocity_ml [mm/s]"] == ""
    # samples: the exact stored arrays
    t1 = store.session(1).trials[0]
    srows = _read(out / first["samples_file"])
    assert srows[0] == list(export_mod.SAMPLE_COLUMNS)
    arr = np.array([[float(x) if x else np.nan for x in r[:9]] for r in srows[1:]])
    np.testing.assert_array_equal(arr[:, 0], t1.recording.time_s)
    np.testing.assert_array_equal(arr[:, 2:6], t1.recording.corners_kg)
    np.testing.assert_array_equal(arr[:, 7], t1.recording.cop_ml_mm)
    analysed = np.array([int(r[10]) for r in srows[1:]], bool)
    assert analysed.sum() == np.count_nonzero(t1.recording.time_s >= 0.5)
    # sessions.csv: the left/right row of the measure, SI by hand
    srows = [dict(zip(_read(out / "sessions.csv")[0], r)) for r in _read(out / "sessions.csv")[1:]]
    row = next(r for r in srows if r["measure"] == "mean_velocity_ml_mm_s")
    assert float(row["left_mean"]) == 22.0 and float(row["right_mean"]) == 32.0
    assert float(row["symmetry_index_pct"]) == pytest.approx(100 * 10 / 27, abs=0.05)  # to 0.1 %
    assert row["more_sway_side"] == "right" and row["unit"] == "mm/s"
    # pooled within-side SD = 2 mm/s -> MDC95 = 1.96*sqrt(2)*2 = 5.54 < 10 -> flagged
    assert float(row["mdc95"]) == pytest.approx(1.96 * math.sqrt(2) * 2.0, abs=0.005)  # to 0.01 mm/s
    assert row["flag"] == "1"
    # dictionary lists every column of every file
    dd = (out / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    for col in header + list(export_mod.SESSION_COLUMNS) + list(export_mod.SAMPLE_COLUMNS):
        assert f"`{col}`" in dd, col
    assert "Prieto" in dd or "prieto" in dd.lower()  # formula/reference from balance.sway.MEASURES


def test_round_trip_through_pandas(filled, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    store, _, _ = filled
    export_history(store, None, tmp_path / "all")
    df = pd.read_csv(tmp_path / "all" / "trials.csv")
    assert list(df.columns[:2]) == ["athlete_code", "athlete_name"]  # BOM stripped by pandas
    assert len(df) == 8 and set(df["athlete_code"]) == {"A001", "A002"}
    assert df["rms_ml [mm]"].dtype == np.float64 and df["rms_ml [mm]"].min() == -4.5
    assert df["valid"].sum() == 7
    # the samples are written as shortest round-trip decimals; pandas < 3 (the newest on Python
    # 3.10) parses with a faster parser that can be 1 ulp off unless asked for "round_trip"
    # (pandas 3 parses exactly by default and deprecates the option)
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    s = pd.read_csv(tmp_path / "all" / "samples" / "trial_000001.csv", **exact)
    t1 = store.trial_recording(1)
    # pandas < 3 parses floats to within 1 ulp by default (float_precision="high"); the file is exact
    # (test_export_files_columns_and_values reads it with the csv module)
    np.testing.assert_allclose(s["cop_ap_mm"].to_numpy(), t1.cop_ap_mm, rtol=1e-15, atol=1e-12)


def test_pseudonymise_leaves_out_identity(filled, tmp_path: Path) -> None:
    store, _, _ = filled
    res = export_history(store, None, tmp_path / "p", pseudonymise=True)
    assert dict(res.pseudonyms) == {"A001": "P001", "A002": "P002"}
    for f in (tmp_path / "p").rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8-sig")
            assert "Kim" not in text and "calc" not in text and "sim-0001" not in text, f
            if f.suffix == ".csv":
                assert not any("1990" in row for row in _read(f)), f  # no birth-year cell
    header = _read(tmp_path / "p" / "trials.csv")[0]
    assert "athlete_name" not in header


def test_existing_folder_refused_then_overwritten(filled, tmp_path: Path) -> None:
    store, _, _ = filled
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty.*--overwrite"):
        export_history(store, None, out)
    assert (out / "keep.txt").read_text() == "mine"
    export_history(store, None, out, overwrite=True)
    assert (out / "trials.csv").exists() and not (out / "keep.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x.")]


def test_full_disk_leaves_nothing(filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _, _ = filled
    real = export_mod._write_samples
    calls = []

    def failing(path, rec, trial, *dialect):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, rec, trial, *dialect)

    monkeypatch.setattr(export_mod, "_write_samples", failing)
    with pytest.raises(ExportError, match="disk is full.*nothing half-written"):
        export_history(store, None, tmp_path / "full")
    assert not (tmp_path / "full").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".full")] == []
    # an existing export survives a failed overwrite untouched
    monkeypatch.setattr(export_mod, "_write_samples", real)
    export_history(store, None, tmp_path / "full")
    before = (tmp_path / "full" / "trials.csv").read_bytes()
    calls.clear()
    monkeypatch.setattr(export_mod, "_write_samples", failing)
    with pytest.raises(ExportError):
        export_history(store, None, tmp_path / "full", overwrite=True)
    assert (tmp_path / "full" / "trials.csv").read_bytes() == before


def test_cop_only_recording_exports_empty_corner_cells(tmp_path: Path) -> None:
    """A force-plate import has CoP but no corner loads: those cells are empty, not zero."""
    from balance.recording import Recording

    t = np.arange(400) / 100.0
    rec = Recording(time_s=t, cop_ml_mm=np.sin(t), cop_ap_mm=-np.cos(t), fs_hz=100.0)
    trial = dataclasses.replace(make_trial("both", 1, measures={"mean_velocity_mm_s": 1.0}), recording=rec)
    with Store.open(tmp_path / "h.db") as s:
        a = s.add_athlete("Lab")
        s.add_trial(s.start_session(a, protocol="import", source="import"), trial)
        export_history(s, None, tmp_path / "out")
    rows = _read(tmp_path / "out" / "samples" / "trial_000001.csv")
    header, body = rows[0], rows[1:]
    assert len(body) == 400
    for col in ("tl_kg", "tr_kg", "bl_kg", "br_kg", "total_kg"):
        assert {r[header.index(col)] for r in body} == {""}
    np.testing.assert_array_equal([float(r[header.index("cop_ap_mm")]) for r in body], -np.cos(t))
