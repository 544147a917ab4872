"""The export opens in any spreadsheet (issue 11, point 7): Excel's locale dialect, headline columns first,
stated precision, the unit once, each trial's start, local times, a self-contained data dictionary;
and ``balance report --show-name``."""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from e2_factories import make_trial

from balance.app import export as export_mod
from balance.app.cli import main
from balance.app.export import CsvDialect, ExportError, excel_dialect, export_history, headline_measures
from balance.app.store import Store

pd = pytest.importorskip("pandas")


@pytest.fixture
def filled(tmp_path: Path):
    s = Store.open(tmp_path / "h.db")
    sam = s.add_athlete("Sam Example", birth_year=1990, mass_kg=70.0)
    sid = s.start_session(sam, protocol="single_leg", board={"kind": "sim"}, started_at="2026-03-02T09:00:00+00:00")
    vals = {"left": [20.123456, 22.0, 24.0], "right": [30.0, 32.987654, 34.0]}
    for side in ("left", "right"):
        for i, v in enumerate(vals[side], 1):
            s.add_trial(sid, make_trial(side, i, measures={"mean_velocity_ml_mm_s": v, "rms_ml_mm": 1.0 + i / 3,
                                                           "prediction_ellipse_area_mm2": 700.0 + i / 7,
                                                           "zz_custom_ratio": math.pi * i}, seed=i))  # fmt: skip
    s.finish_session(sid)
    yield s, sam, vals
    s.close()


def test_excel_dialect_follows_the_locale_decimal_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    assert excel_dialect(",") == CsvDialect(";", ",")  # de_DE, fr_FR, es_ES...: Excel splits at ';'
    assert excel_dialect(".") == CsvDialect(",", ".")  # en_US, en_GB
    monkeypatch.setattr(export_mod, "_locale_decimal_point", lambda: ",")
    assert excel_dialect() == CsvDialect(";", ",")
    with pytest.raises(ExportError, match="--sep ';'"):
        CsvDialect(",", ",")


def test_sep_and_decimal_read_back_with_pandas(filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    store, sam, vals = filled
    monkeypatch.setattr(export_mod, "_locale_decimal_point", lambda: ",")  # a German user's Excel
    for argv in (["--excel"], ["--sep", ";", "--decimal", ","]):
        out = tmp_path / ("x" + argv[0])
        assert main(["export", "A001", "--out", str(out), "--db", str(store.path), *argv]) == 0, capsys.readouterr()
        raw = (out / "trials.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the encoding
        assert b";" in raw.splitlines()[0] and b"," not in raw.splitlines()[0]
        df = pd.read_csv(out / "trials.csv", sep=";", decimal=",", encoding="utf-8-sig")
        col = "mean_velocity_ml [mm/s]"
        assert df[col].dtype == np.float64
        left = df[df["side"] == "left"][col].to_numpy()
        np.testing.assert_allclose(left, [round(v, 2) for v in vals["left"]])  # mm/s to 0.01
        s = pd.read_csv(out / "sessions.csv", sep=";", decimal=",", encoding="utf-8-sig")
        row = s[s["measure"] == "mean_velocity_ml_mm_s"].iloc[0]
        assert row["left_mean"] == pytest.approx(np.mean(vals["left"]), abs=0.005)
        samples = pd.read_csv(out / df["samples_file"].iloc[0], sep=";", decimal=",", encoding="utf-8-sig")
        t1 = store.trial_recording(int(df["trial_id"].iloc[0]))
        # older pandas' fast float parser may be 1 ulp off with a decimal comma ...
        np.testing.assert_allclose(samples["cop_ml_mm"].to_numpy(), t1.cop_ml_mm, rtol=1e-15, atol=1e-12)
        # ... the file itself holds the recording exactly (raw samples: full precision)
        with open(out / df["samples_file"].iloc[0], encoding="utf-8-sig", newline="") as fh:
            cells = list(csv.reader(fh, delimiter=";"))
        col = cells[0].index("cop_ml_mm")
        exact = np.array([float(r[col].replace(",", ".")) if r[col] else np.nan for r in cells[1:]])
        np.testing.assert_array_equal(exact, t1.cop_ml_mm)
        np.testing.assert_array_equal([float(r[0].replace(",", ".")) for r in cells[1:]], t1.time_s)


def test_headline_first_precision_unit_once_trial_start_local_time(filled, tmp_path: Path) -> None:
    store, _, _ = filled
    export_history(store, None, tmp_path / "e")
    with open(tmp_path / "e" / "trials.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    df = pd.read_csv(tmp_path / "e" / "trials.csv")
    # headline measures right after who/when/which leg/valid, before the other columns
    heads = [export_mod.measure_column(k) for k in headline_measures() if k in ("mean_velocity_ml_mm_s", "rms_ml_mm",
                                                                              "prediction_ellipse_area_mm2")]  # fmt: skip
    assert header.index("valid") < header.index(heads[0])
    assert [c for c in header if c in heads] == heads
    assert max(header.index(h) for h in heads) < min(header.index(c) for c in ("session_id", "protocol", "status"))
    assert header.index("zz_custom_ratio [1]") > header.index("status")
    # the unit once per header
    for c in header:
        if "[" in c:
            name, unit = c[:-1].split(" [")
            suffix = {"mm/s": "_mm_s", "mm": "_mm", "mm²": "_mm2", "s": "_s", "%": "_pct", "Hz": "_hz"}.get(unit)
            assert suffix is None or not name.endswith(suffix), c
    # stated precision: mm 0.01, mm² 0.1, dimensionless 4 significant digits
    assert set(df["rms_ml [mm]"].round(2)) == set(df["rms_ml [mm]"])
    assert df["prediction_ellipse_area [mm²]"].iloc[0] == round(700.0 + 1 / 7, 1)
    assert df["zz_custom_ratio [1]"].iloc[0] == 3.142
    # each trial's start, on the samples' clock; time_from_start_s = time_s - start_s
    t = df.iloc[0]
    samples = pd.read_csv(tmp_path / "e" / t["samples_file"])
    np.testing.assert_allclose(samples["time_from_start_s"], samples["time_s"] - t["start_s"], atol=1e-12)
    assert samples.loc[samples["in_trial"] == 1, "time_from_start_s"].min() >= 0
    # local time with its offset
    local = datetime.fromisoformat("2026-03-02T09:00:00+00:00").astimezone()
    assert t["date"] == f"{local:%Y-%m-%d}"
    rec = datetime.fromisoformat(t["recorded_at"])
    assert rec.tzinfo is not None and rec.utcoffset() == rec.astimezone().utcoffset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", t["recorded_at"])
    # sessions.csv marks the headline rows, and lists them first
    s = pd.read_csv(tmp_path / "e" / "sessions.csv")
    assert dict(zip(s["measure"], s["headline"])) == {"mean_velocity_ml_mm_s": 1, "rms_ml_mm": 1,
                                                      "prediction_ellipse_area_mm2": 1, "zz_custom_ratio": 0}
    assert list(s["headline"]) == sorted(s["headline"], reverse=True)


def test_data_dictionary_is_self_contained(filled, tmp_path: Path) -> None:
    store, _, _ = filled
    export_history(store, None, tmp_path / "e")
    dd = (tmp_path / "e" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    in_export = {p.name for p in (tmp_path / "e").iterdir()}
    for ref in re.findall(r"[\w./-]+\.(?:md|csv|txt|py)\b", dd):
        name = ref.rsplit("/", 1)[-1]
        assert name in in_export or ref.startswith("samples/") or "<" in ref, ref
    assert "§" not in dd and "../" not in dd
    for paper in ("Prieto", "Robinson", "Weir", "Bartlett"):
        assert paper in dd
    assert "★ `mean_velocity_ml [mm/s]`" in dd and "0.01 mm/s" in dd and "4 significant digits" in dd
    assert "local" in dd and "offset from UTC" in dd


def test_report_name_only_with_show_name(filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from balance.app import report

    store, _, _ = filled
    seen: list[str] = []
    real = report.session_report_figure

    def spy(session, *, data, references=None):  # noqa: ANN001, ANN202 - main's report also takes the norms panel
        seen.append(data.athlete)
        return real(session, data=data, references=references)

    monkeypatch.setattr(report, "session_report_figure", spy)
    plain, named = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert main(["report", "Sam Example", "--out", str(plain), "--db", str(store.path)]) == 0
    assert main(["report", "--athlete", "A001", "--out", str(named), "--db", str(store.path), "--show-name"]) == 0
    assert seen == ["A001", "Sam Example (A001)"]
    assert b"Sam Example" not in plain.read_bytes() and b"Sam Example" in named.read_bytes()
