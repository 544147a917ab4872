"""Reference values: the HBEDB table rebuilt byte for byte, percentiles, bands, reasons, asymmetry lights."""

from __future__ import annotations

import csv
import gzip
import io
import math
import statistics
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from protocols import norms, norms_build

ROOT = Path(__file__).resolve().parents[2]
NORMS = ROOT / "data" / "norms"
TABLES = norms.load_reference_tables(NORMS)


# -- the shipped HBEDB table ------------------------------------------------------------------
def test_hbedb_table_is_rebuilt_byte_for_byte_from_the_shipped_source() -> None:
    rebuilt = norms_build.build_table(norms_build.read_source(NORMS / "hbedb_BDSinfoCOP_columns.tsv.gz"))
    assert rebuilt.encode("utf-8") == (NORMS / "hbedb_bipedal.csv").read_bytes()


def test_check_mode_reports_identical(capsys: pytest.CaptureFixture[str]) -> None:
    assert norms_build.main(["--check"]) == 0
    assert "identical" in capsys.readouterr().out


def _source_rows() -> list[dict[str, str]]:
    with gzip.open(NORMS / "hbedb_BDSinfoCOP_columns.tsv.gz", "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_shipped_source_columns_match_the_published_values_already_in_the_repository() -> None:
    # data/hbedb/reference_BDSinfoCOP.csv holds 24 rows of the same upstream file, copied separately.
    src = {r["Trial"]: r for r in _source_rows()}
    assert len(src) == 1930 and len({r["Subject"] for r in src.values()}) == 163
    with open(ROOT / "data" / "hbedb" / "reference_BDSinfoCOP.csv", newline="", encoding="utf-8") as f:
        ref = list(csv.DictReader(f))
    for r in ref:
        for col in ("COPvelo", "COParea", "COPmfreq", "Vision", "Surface"):
            assert src[r["Trial"]][col] == r[col]


def test_one_group_against_an_independent_computation() -> None:
    # Young women, eyes closed on foam: per-person median of the trials (cm/s -> mm/s), then the
    # percentiles with the standard library's 'inclusive' quantiles (= Hyndman & Fan type 7).
    per: dict[str, list[float]] = {}
    for r in _source_rows():
        if r["Vision"] == "Closed" and r["Surface"] == "Foam" and r["Gender"] == "F" and 18 <= float(r["Age"]) < 40:
            per.setdefault(r["Subject"], []).append(float(r["COPvelo"]))
    vals = [statistics.median(v) * 10.0 for v in per.values()]
    q = statistics.quantiles(vals, n=100, method="inclusive")
    row = next(r for r in TABLES.percentiles if (r.eyes, r.surface, r.sex, r.age_band, r.measure)
               == ("closed", "foam", "F", "18-39", "mean_velocity_mm_s"))  # fmt: skip
    assert row.n == len(vals)
    for p in norms_build.PERCENTILES:
        assert row.percentiles[p] == pytest.approx(q[p - 1], rel=1e-5)  # 6 significant digits shipped


def test_table_units_follow_the_measure_keys() -> None:
    # HBEDB medians (docs/methods.md §4.3, all trials): ~0.9 cm/s eyes open firm, ~3.5 cm/s eyes closed foam.
    def p50(eyes: str, surface: str) -> float:
        r = next(r for r in TABLES.percentiles if (r.eyes, r.surface, r.sex, r.age_band, r.measure)
                 == (eyes, surface, "all", "18-39", "mean_velocity_mm_s"))  # fmt: skip
        return r.percentiles[50]

    assert 6.0 < p50("open", "firm") < 12.0  # mm/s, not cm/s
    assert 25.0 < p50("closed", "foam") < 40.0
    assert {r.unit for r in TABLES.percentiles} == {"mm/s", "mm2", "Hz"}


def test_small_groups_keep_n_but_no_percentiles() -> None:
    small = [r for r in TABLES.percentiles if r.n < norms_build.MIN_N]
    assert small and all(not r.percentiles for r in small)
    assert all(len(r.percentiles) == 7 for r in TABLES.percentiles if r.n >= norms_build.MIN_N)


def test_published_values_carry_citation_and_location() -> None:
    pub = {(p.reference_id, p.measure): p for p in TABLES.published}
    assert pub[("oliveira2018", "prediction_ellipse_area_mm2")].value == 1030.0  # 10.3 cm²
    assert pub[("oliveira2018", "mean_velocity_ap_mm_s")].value == 29.0  # 2.9 cm/s
    assert pub[("oliveira2018", "mean_velocity_ml_mm_s")].value == 34.0  # 3.4 cm/s
    assert TABLES.asymmetry_threshold().value == 16.0
    for p in TABLES.published:
        assert p.citation and p.where_in_source and p.protocol and p.n > 0
        # the source's own number, converted: cm -> mm (x10), cm² -> mm² (x100)
        num = float(p.source_value.split()[0])
        factor = {"cm2": 100.0, "cm/s": 10.0, "%": 1.0}[p.source_value.split()[1]]
        assert p.value == pytest.approx(num * factor)


# -- percentiles -------------------------------------------------------------------------------
def test_percentile_rank_on_a_uniform_population() -> None:
    pop = np.arange(1, 101, dtype=float)  # 1..100
    assert norms.percentile_rank(50.5, pop) == 50.0
    assert norms.percentile_rank(0.0, pop) == 0.0
    assert norms.percentile_rank(101.0, pop) == 100.0
    assert norms.percentile_rank(50.0, pop) == 49.5  # 49 below, one tie counted half


def test_percentile_rank_ties_tiny_and_missing() -> None:
    assert norms.percentile_rank(3.0, [3.0, 3.0, 3.0, 3.0]) == 50.0
    assert norms.percentile_rank(2.0, [1.0, 2.0, 2.0, 3.0]) == 50.0
    assert norms.percentile_rank(5.0, [5.0]) == 50.0
    assert math.isnan(norms.percentile_rank(5.0, []))
    assert norms.percentile_rank(2.0, [1.0, float("nan"), 3.0]) == 50.0  # NaNs dropped
    assert math.isnan(norms.percentile_rank(float("nan"), [1.0, 2.0]))


def test_percentile_rank_matches_scipy_mean_kind() -> None:
    rng = np.random.default_rng(3)
    pop = np.round(rng.normal(10, 2, 57), 1)  # rounding makes ties
    for v in (6.0, 9.9, 10.0, 12.3, 15.0):
        assert norms.percentile_rank(v, pop) == pytest.approx(stats.percentileofscore(pop, v, kind="mean"))


def test_percentile_in_table_of_a_normal_distribution() -> None:
    ps = (5, 10, 25, 50, 75, 90, 95)
    table = {p: float(stats.norm.ppf(p / 100.0, loc=20.0, scale=4.0)) for p in ps}
    for p in ps:
        assert norms.percentile_in_table(table[p], table) == (pytest.approx(float(p)), f"P{p}")
    pct, _ = norms.percentile_in_table(20.0, table)
    assert pct == pytest.approx(50.0)
    # between tabulated points: linear in the value, so within the bracket and close to the truth
    v = float(stats.norm.ppf(0.62, loc=20.0, scale=4.0))
    pct, text = norms.percentile_in_table(v, table)
    assert 50.0 < pct < 75.0 and abs(pct - 62.0) < 2.0 and text == f"P{pct:.0f}"
    assert norms.percentile_in_table(1.0, table) == (5.0, "below P5")
    assert norms.percentile_in_table(99.0, table) == (95.0, "above P95")
    assert math.isnan(norms.percentile_in_table(1.0, {})[0])


def test_percentile_in_table_with_tied_values() -> None:
    table = {5: 1.0, 10: 2.0, 25: 2.0, 50: 2.0, 75: 3.0, 90: 4.0, 95: 5.0}
    assert norms.percentile_in_table(2.0, table) == (pytest.approx(30.0), "P30")  # middle of P10..P50


def test_lights() -> None:
    assert [norms.light_for_percentile(p) for p in (0, 74.9, 75, 90, 90.1, 100, float("nan"))] == [
        "green", "green", "amber", "amber", "red", "red", "none"]  # fmt: skip


# -- choosing the reference ----------------------------------------------------------------------
def _band_row(age_band: str, sex: str = "F") -> norms.PercentileRow:
    return next(r for r in TABLES.percentiles if (r.eyes, r.surface, r.sex, r.age_band, r.measure)
                == ("open", "firm", sex, age_band, "mean_velocity_mm_s"))  # fmt: skip


@pytest.mark.parametrize(("age", "band"), [(30, "18-39"), (70, "70-85"), (65, "60-69")])
def test_bipedal_verdict_picks_the_age_band(age: int, band: str) -> None:
    row = _band_row(band)
    value = row.percentiles[50]
    v = norms.verdict(value, measure="mean_velocity_mm_s", unit="mm/s", stance="bilateral", age=age, sex="F",
                      tables=TABLES)[0]  # fmt: skip
    assert v.reference_id == "hbedb2016" and f"women {band} y" in v.reference and v.n == row.n
    assert v.percentile == pytest.approx(50.0) and v.light == "green"


def test_same_value_stands_differently_at_30_and_70() -> None:
    value = _band_row("18-39").percentiles[90]
    young = norms.verdict(value, measure="mean_velocity_mm_s", unit="mm/s", stance="bipedal", age=30, sex="F",
                          tables=TABLES)[0]  # fmt: skip
    old = norms.verdict(value, measure="mean_velocity_mm_s", unit="mm/s", stance="bipedal", age=70, sex="F",
                        tables=TABLES)[0]  # fmt: skip
    assert young.percentile == pytest.approx(90.0)
    assert old.percentile < young.percentile  # older women sway more: the same value is less unusual


def test_too_few_of_one_sex_falls_back_to_both_sexes() -> None:
    men70 = _band_row("70-85", "M")
    assert men70.n < 10 and not men70.percentiles
    v = norms.verdict(10.0, measure="mean_velocity_mm_s", unit="mm/s", stance="bipedal", age=75, sex="M",
                      tables=TABLES)[0]  # fmt: skip
    assert "women and men 70-85 y" in v.reference


@pytest.mark.parametrize(
    ("age", "words"),
    [(None, "no birth year"), (50, "only 7 people aged 40-59"), (95, "outside HBEDB's 18-85 y")],
)
def test_no_published_reference_says_why(age: int | None, words: str) -> None:
    v = norms.verdict(10.0, measure="mean_velocity_mm_s", unit="mm/s", stance="bipedal", age=age, tables=TABLES)
    assert not v[0].applies and words in v[0].reason and v[0].light == "none"
    assert norms.chosen(v).reason.startswith(v[0].reason)


def test_single_leg_cutoff_for_older_adults_only() -> None:
    old = norms.verdict(36.0, measure="mean_velocity_ml_mm_s", unit="mm/s", stance="single_leg", side="left", age=70,
                        tables=TABLES)[0]  # fmt: skip
    assert old.reference_id == "oliveira2018" and old.light == "amber"
    assert "at or above the cut-off (34" in old.percentile_text
    assert math.isnan(old.percentile)
    below = norms.verdict(30.0, measure="mean_velocity_ml_mm_s", unit="mm/s", stance="single_leg", age=70,
                          tables=TABLES)[0]  # fmt: skip
    assert below.light == "green"
    young = norms.verdict(30.0, measure="mean_velocity_ml_mm_s", unit="mm/s", stance="single_leg", age=30,
                          tables=TABLES)[0]  # fmt: skip
    assert not young.applies
    assert "no published single-leg norm for this age (the only one found is for adults of 60+ y)" in young.reason
    eyes_closed = norms.verdict(30.0, measure="mean_velocity_ml_mm_s", unit="mm/s", stance="single_leg", eyes="closed",
                                age=70, tables=TABLES)[0]  # fmt: skip
    assert not eyes_closed.applies


def test_squad_reference_from_ten_athletes() -> None:
    squad = list(np.arange(1.0, 13.0))  # 12 athletes
    vs = norms.verdict(9.5, measure="mean_velocity_ml_mm_s", unit="mm/s", stance="single_leg", age=None, squad=squad,
                       tables=TABLES)  # fmt: skip
    assert not vs[0].applies and "no birth year" in vs[0].reason
    assert vs[1].reference_id == "squad" and vs[1].n == 12 and vs[1].percentile == pytest.approx(100 * 9 / 12)
    assert norms.chosen(vs) is vs[1]
    few = norms.verdict(9.5, measure="mean_velocity_mm_s", unit="mm/s", stance="single_leg", squad=squad[:9])
    assert not few[1].applies and "9 athlete(s)" in few[1].reason and not norms.chosen(few).applies


def test_squad_population_takes_each_athletes_latest_valid_session() -> None:
    rows = [
        {"athlete": 1, "started_at": "2026-01-01", "value": 5.0},
        {"athlete": 1, "started_at": "2026-02-01", "value": 7.0},
        {"athlete": 1, "started_at": "2026-03-01", "value": float("nan")},  # no valid trial: skipped
        {"athlete": 2, "started_at": "2026-01-15", "value": 3.0},
    ]
    assert norms.squad_population(rows) == [7.0, 3.0]
    assert norms.squad_population(rows, exclude_athlete=2) == [7.0]


# -- asymmetry -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("si", "beyond_mdc", "light"),
    [(20.0, True, "red"), (-20.0, True, "red"), (10.0, True, "amber"), (20.0, False, "amber"), (5.0, False, "green")],
)
def test_asymmetry_light_needs_both_for_red(si: float, beyond_mdc: bool, light: str) -> None:
    a = norms.asymmetry_verdict(si, beyond_mdc=beyond_mdc, mdc_si_pct=8.0, age=24, tables=TABLES)
    assert a.light == light and a.threshold_pct == 16.0 and a.reference_id == "nolff2023"
    assert "unusual for young adults" in a.sentence and "own noise" in a.sentence


def test_asymmetry_threshold_is_for_path_length_and_young_adults() -> None:
    a = norms.asymmetry_verdict(30.0, beyond_mdc=True, measure="rms_ml_mm", age=24, tables=TABLES)
    assert not a.beyond_threshold and a.light == "amber" and "set on path length" in a.sentence
    b = norms.asymmetry_verdict(30.0, beyond_mdc=True, age=45, tables=TABLES)
    assert b.light == "red" and "aged 18-29; this athlete is not" in b.sentence
    c = norms.asymmetry_verdict(30.0, beyond_mdc=True, age=24)  # no tables: no threshold
    assert c.light == "amber" and "no population threshold" in c.sentence


def test_load_reference_tables_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="BALANCE_NORMS_DIR"):
        norms.load_reference_tables(tmp_path)


def test_env_variable_points_to_another_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("hbedb_bipedal.csv", "published.csv"):
        (tmp_path / name).write_bytes((NORMS / name).read_bytes())
    monkeypatch.setenv(norms.NORMS_DIR_ENV, str(tmp_path))
    assert norms.norms_dir() == tmp_path
    assert len(norms.load_reference_tables().percentiles) == len(TABLES.percentiles)


def test_parse_roundtrip_of_a_tiny_table() -> None:
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(["reference_id", "stance", "eyes", "surface", "age_band", "age_min", "age_max", "sex", "measure", "unit",
                "n", "p5", "p50", "p95"])  # fmt: skip
    w.writerow(["x", "bipedal", "open", "firm", "20-29", "20", "30", "all", "m", "mm", "12", "1", "2", "3"])
    (row,) = norms.parse_percentile_table(text.getvalue())
    assert row.percentiles == {5: 1.0, 50: 2.0, 95: 3.0} and row.n == 12
