"""Reference values in the app: athletes' sex and group (migration 3, CLI), the session panel for a
30- and a 70-year-old, no birth year, the squad's own norms, the report panel, the export columns."""

from __future__ import annotations

import csv
import dataclasses
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from balance.app import migrations
from balance.app.cli import main
from balance.app.references import SquadFilter, compact_lines, progress_bands, session_references
from balance.app.store import Store, StoreError
from balance.model import TrialRecord
from protocols import norms

ROOT = Path(__file__).resolve().parents[2]
TABLES = norms.load_reference_tables(ROOT / "data" / "norms")
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _trial(side: str, condition: str, index: int, measures: dict[str, float], eyes: str = "open") -> TrialRecord:
    return TrialRecord(protocol="x", side=side, condition=condition, trial_index=index, practice=False, valid=True,
                       status="complete", failure_kind=None, failure_time_s=None, duration_s=30.0,
                       planned_duration_s=30.0, recording=None,  # no samples stored
                       measures=measures, eyes=eyes, surface="firm")  # fmt: skip


def _bilateral_session(store: Store, athlete: object, velocity: float, when: datetime = T0) -> int:
    spec = {"name": "bilateral", "blocks": [{"stance": "bilateral", "sides": ["both"], "eyes": "open"}]}
    sid = store.start_session(athlete, protocol="bilateral", started_at=when, spec=spec, source="test")
    for eyes, f in (("open", 1.0), ("closed", 1.2)):
        t = _trial("both", f"eyes_{eyes}", 1, {"mean_velocity_mm_s": velocity * f,
                                                "prediction_ellipse_area_mm2": 150.0 * f,
                                                "mean_power_frequency_hz": 0.22}, eyes=eyes)  # fmt: skip
        t = dataclasses.replace(t, protocol="bilateral")
        store.add_trial(sid, t, recorded_at=when)
    store.finish_session(sid, status="complete")
    return sid


def _single_leg_session(store: Store, athlete: object, left: float, right: float, when: datetime = T0) -> int:
    spec = {"name": "single_leg", "blocks": [{"stance": "single_leg", "sides": ["left", "right"], "eyes": "open"}]}
    sid = store.start_session(athlete, protocol="single_leg", started_at=when, spec=spec, source="test")
    for i, d in enumerate((-0.5, 0.0, 0.5), 1):
        for side, v in (("left", left), ("right", right)):
            t = _trial(side, "eyes_open", i, {"mean_velocity_mm_s": v + d, "mean_velocity_ml_mm_s": 0.8 * (v + d),
                                              "mean_velocity_ap_mm_s": 0.5 * (v + d),
                                              "prediction_ellipse_area_mm2": 20.0 * (v + d)})  # fmt: skip
            t = dataclasses.replace(t, protocol="single_leg")
            store.add_trial(sid, t, recorded_at=when)
    store.finish_session(sid, status="complete")
    return sid


# -- migration and CLI -----------------------------------------------------------------------------
def test_version_2_database_gains_sex_and_group(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, target=2)
    conn.execute("INSERT INTO athletes (code, name, birth_year, created_at) VALUES ('A001', 'Old', 1990, '2020-01-01')")
    conn.close()
    with Store.open(path) as s:
        assert s.schema_version == 3 == migrations.LATEST_VERSION
        a = s.get_athlete("Old")
        assert a.sex is None and a.group is None and a.birth_year == 1990
        a = s.update_athlete("Old", sex="female", group=" U18 football ")
        assert (a.sex, a.group) == ("F", "U18 football")
        a = s.update_athlete("Old", mass_kg=70.0)  # other edits leave them alone
        assert (a.sex, a.group, a.mass_kg) == ("F", "U18 football", 70.0)
        a = s.update_athlete("Old", sex="", group="")
        assert (a.sex, a.group) == (None, None)
        with pytest.raises(StoreError, match="use F or M"):
            s.add_athlete("New", sex="x")


def test_athlete_add_and_edit_sex_and_group(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "h.db")
    code, out, err = run_cli(capsys, "athlete", "add", "Sam", "--born", "1998", "--sex", "M", "--group", "rowing",
                             "--db", db, "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["sex"] == "M" and json.loads(out)["group"] == "rowing"
    code, out, err = run_cli(capsys, "athlete", "edit", "Sam", "--group", "U23 rowing", "--db", db, "--json")
    assert code == 0 and json.loads(out)["group"] == "U23 rowing" and json.loads(out)["sex"] == "M"
    code, out, _ = run_cli(capsys, "athlete", "show", "Sam", "--db", db)
    assert "sex M, group U23 rowing" in out
    code, _, err = run_cli(capsys, "athlete", "edit", "Sam", "--sex", "unknown", "--db", db)
    assert code != 0 and "use F or M" in err


# -- the panel ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("born", "band"), [(1996, "18-39"), (1956, "70-85")])
def test_bipedal_session_of_a_30_and_a_70_year_old_picks_the_band(tmp_path: Path, born: int, band: str) -> None:
    row = next(r for r in TABLES.percentiles if (r.eyes, r.surface, r.sex, r.age_band, r.measure)
               == ("open", "firm", "F", band, "mean_velocity_mm_s"))  # fmt: skip
    with Store.open(tmp_path / "h.db") as s:
        a = s.add_athlete("Ann", birth_year=born, sex="F")
        sid = _bilateral_session(s, a, velocity=row.percentiles[75])
        refs = session_references(s, s.session(sid, with_recordings=False))
    assert refs.age == 2026 - born
    v = next(v for v in refs.chosen() if v.measure == "mean_velocity_mm_s" and "eyes open" in v.reference)
    assert v.reference_id == "hbedb2016" and f"women {band} y" in v.reference and v.n == row.n
    assert v.percentile == pytest.approx(75.0) and v.light == "amber"
    assert "Huurnink" in refs.notes[0]
    closed = [v for v in refs.chosen() if v.condition == "eyes_closed"]
    assert {v.measure for v in closed} == set(norms.HEADLINE_MEASURES["bipedal"])  # both conditions judged
    assert all("eyes closed" in v.reference for v in closed)
    freq = [v for v in refs.chosen() if v.measure == "mean_power_frequency_hz"]
    assert freq and all(v.light == "none" and v.rule == norms.NO_LIGHT_RULE for v in freq)
    text = "\n".join(compact_lines(refs))
    assert f"women {band} y" in text and f"n = {row.n}" in text


def test_no_birth_year_gets_the_reason_then_the_squad(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as s:
        a = s.add_athlete("Nobody")
        sid = _bilateral_session(s, a, velocity=9.0)
        refs = session_references(s, s.session(sid, with_recordings=False))
        v = next(v for v in refs.chosen() if v.measure == "mean_velocity_mm_s")
        assert not v.applies and "no birth year" in v.reason and "1 athlete(s) with this test, 10 needed" in v.reason
        assert any("No birth year stored" in n for n in refs.notes)
        # nine more athletes: the squad reference applies (n = 10), the published one still does not
        vals = [9.0] + [float(x) for x in range(4, 13)]
        for k, val in enumerate(vals[1:]):
            b = s.add_athlete(f"P{k}", birth_year=1990)
            _bilateral_session(s, b, velocity=val, when=T0 - timedelta(days=1))
        refs = session_references(s, s.session(sid, with_recordings=False))
    v = next(v for v in refs.chosen() if v.measure == "mean_velocity_mm_s" and v.side == "both")
    assert v.reference_id == "squad" and v.n == 10
    assert v.percentile == pytest.approx(stats.percentileofscore(vals, 9.0, kind="mean"))


def test_squad_filters_and_latest_session(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as s:
        me = s.add_athlete("Me", birth_year=2000, sex="F", group="A")
        rng = np.random.default_rng(1)
        for k in range(12):
            b = s.add_athlete(f"S{k}", birth_year=1995, sex="F" if k % 2 else "M", group="A" if k < 10 else "B")
            _single_leg_session(s, b, 100.0, 100.0, when=T0 - timedelta(days=30))  # old: superseded
            v = float(rng.uniform(20, 40))
            _single_leg_session(s, b, v, v, when=T0 - timedelta(days=1))
        sid = _single_leg_session(s, me, 30.0, 36.0)
        sess = s.session(sid, with_recordings=False)
        everyone = s.sessions(None, protocol="single_leg")
        latest = {}
        for x in everyone:
            latest[x.athlete.code] = x  # oldest first: the last one wins
        pop = [np.mean([t.measures["mean_velocity_mm_s"] for t in x.trials if t.side == "left"])
               for x in latest.values()]  # fmt: skip
        refs = session_references(s, sess)
        v = next(v for v in refs.verdicts if v.reference_id == "squad" and v.side == "left"
                 and v.measure == "mean_velocity_mm_s")  # fmt: skip
        assert v.n == 13 and v.percentile == pytest.approx(stats.percentileofscore(pop, 30.0, kind="mean"))
        group_a = session_references(s, sess, squad=SquadFilter(group="a"))
        va = next(v for v in group_a.chosen() if v.side == "left" and v.measure == "mean_velocity_mm_s")
        assert va.reference_id == "squad" and va.n == 11 and "group 'a'" in va.reference
        women = session_references(s, sess, squad=SquadFilter(sex="F"))
        vw = next(v for v in women.chosen() if v.side == "left" and v.measure == "mean_velocity_mm_s")
        assert not vw.applies and "7 athlete(s)" in vw.reason  # 6 women + me: fewer than 10
        # asymmetry: 30 vs 36 mm/s, SI +18 %, beyond the MDC (trials ±0.5) and >= 16 %: red
        (asym,) = refs.asymmetry
        assert asym.symmetry_index_pct == pytest.approx(200 * 6 / 66, rel=1e-3) and asym.light == "red"
        bands = progress_bands(s, sess, ["mean_velocity_mm_s"])
        assert bands["mean_velocity_mm_s"][2].startswith("squad P25-P75 (n = 13")


def test_demo_history_shows_the_squad(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    code, out, err = run_cli(capsys, "demo", "--weeks", "1", "--seconds", "5", "--no-report")
    assert code == 0, err
    assert "of this squad (n = 12)" in out and "not a diagnosis" in out
    db = next((tmp_path / "home").rglob("demo.db"))
    code, out, err = run_cli(capsys, "history", "Demo Athlete", "--db", str(db), "--json")
    assert code == 0, err
    refs = json.loads(out)["latest_session_references"]
    squad = [v for v in refs["verdicts"] if v["reference_id"] == "squad"]
    assert squad and all(v["n"] == 12 for v in squad)
    # the export carries the percentile and the reference id, explained in the dictionary
    code, _, err = run_cli(capsys, "export", "Demo Athlete", "--db", str(db), "--out", str(tmp_path / "x"))
    assert code == 0, err
    with open(tmp_path / "x" / "references.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["reference_id"] for r in rows} >= {"squad", "nolff2023", ""}
    assert all(0 <= float(r["percentile"]) <= 100 for r in rows if r["reference_id"] == "squad")
    assert "`reference_id`" in (tmp_path / "x" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
