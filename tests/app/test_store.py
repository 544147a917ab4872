"""The history database: CRUD, migrations, refusal of newer schemas, file mode, cascade delete."""

from __future__ import annotations

import math
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest
from e2_factories import make_trial

from balance.app import migrations
from balance.app.store import (
    DuplicateAthleteError,
    NewerDatabaseError,
    NotADatabaseError,
    Store,
    StoreError,
    UnknownAthleteError,
    UnknownSessionError,
)


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "h.db")
    yield s
    s.close()


def test_file_created_private_with_wal(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "h.db"
    with Store.open(p) as s:
        s.add_athlete("Sam")
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        wal = p.with_name("h.db-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
        assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.schema_version == migrations.LATEST_VERSION
    assert stat.S_IMODE(p.parent.stat().st_mode) & 0o077 == 0


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BALANCE_DB", raising=False)
    with Store.open() as s:
        assert s.path == (tmp_path / "home" / "balance.db").resolve()
    monkeypatch.setenv("BALANCE_DB", str(tmp_path / "x.db"))
    with Store.open() as s:
        assert s.path == (tmp_path / "x.db").resolve()
        assert s.raw_dir == (tmp_path / "raw").resolve()


def test_athlete_crud(store: Store) -> None:
    sam = store.add_athlete("Sam", birth_year=1998, mass_kg=72.0)
    p = store.add_athlete(code="P07")
    assert sam.code == "A001" and sam.name == "Sam" and sam.mass_kg == 72.0 and sam.birth_year == 1998
    assert p.code == "P07" and p.name is None and p.label == "P07"
    assert store.get_athlete("sam").id == sam.id  # case-insensitive
    assert store.get_athlete("A001").id == sam.id
    assert store.get_athlete("p07").id == p.id
    assert [a.code for a in store.list_athletes()] == ["A001", "P07"]
    with pytest.raises(DuplicateAthleteError, match="already exists"):
        store.add_athlete("SAM")
    with pytest.raises(DuplicateAthleteError):
        store.add_athlete("A001")  # a name equal to someone's code would be ambiguous
    with pytest.raises(StoreError, match="birth year"):
        store.add_athlete("Kid", birth_year=98)
    with pytest.raises(StoreError, match="kg"):
        store.add_athlete("Heavy", mass_kg=72000)
    sam2 = store.update_athlete("Sam", mass_kg=74.5, notes="knee")
    assert (sam2.mass_kg, sam2.notes, sam2.birth_year, sam2.name) == (74.5, "knee", 1998, "Sam")
    with pytest.raises(DuplicateAthleteError):
        store.update_athlete("Sam", name="p07")
    assert store.update_athlete("Sam", name="Samuel").name == "Samuel" and store.get_athlete("A001").name == "Samuel"


def test_unknown_athlete_message_suggests(store: Store) -> None:
    store.add_athlete("Samantha")
    with pytest.raises(UnknownAthleteError) as ei:
        store.get_athlete("Samanta")
    msg = str(ei.value)
    assert "Samanta" in msg and "Did you mean Samantha" in msg and "balance athlete add" in msg


def test_the_record_the_engine_emits_reloads_as_it_was(store: Store) -> None:
    """One record type: every field of an engine trial comes back from the store unchanged,
    only the database fields (id, session id, raw path) filled in."""
    import dataclasses

    from drivers.sim import SimulatedBoard
    from protocols.engine import Engine
    from protocols.library import get_protocol

    board = SimulatedBoard(seed=3)
    board.person.touch_down(at_s=11.0, duration_s=0.6)  # the first trial fails: failure fields set
    run = Engine(get_protocol("single-leg", duration_s=6.0, trials_per_side=1), board, athlete="R1").run()
    a = store.add_athlete("Rita")
    sid = store.start_session(a, protocol=run.spec.name)
    ids = [store.add_trial(sid, t) for t in run.trials]
    back = store.session(sid).trials
    assert any(t.failure_kind for t in run.trials) and any(t.extra for t in run.trials)
    for emitted, stored, tid in zip(run.trials, back, ids, strict=True):
        assert type(stored) is type(emitted)
        skip = {"id", "session_id", "recording", "recorded_at", "measures", "params", "extra", "start_s", "end_s"}
        for f in dataclasses.fields(emitted):
            if f.name not in skip:
                assert getattr(stored, f.name) == getattr(emitted, f.name), f.name
        assert stored.id == tid and stored.session_id == sid
        assert stored.start_s == emitted.start_s and stored.end_s == emitted.end_s  # finite here
        assert stored.recorded_at == emitted.recorded_at[:19] + "+00:00"  # stored to the second, UTC
        assert stored.measures.keys() == emitted.measures.keys()
        assert all(stored.measures[k] == v or (math.isnan(v) and math.isnan(stored.measures[k]))
                   for k, v in emitted.measures.items())
        assert stored.params == json_round_trip(emitted.params) and stored.extra == json_round_trip(emitted.extra)
        np.testing.assert_array_equal(stored.recording.corners_kg, emitted.recording.corners_kg)


def json_round_trip(value: object) -> object:
    import json

    from balance.app.jsonable import to_jsonable

    return json.loads(json.dumps(to_jsonable(value)))


def test_trial_round_trip(store: Store) -> None:
    a = store.add_athlete("Sam")
    sid = store.start_session(a, protocol="single_leg", board={"kind": "sim", "serial": "x"}, conditions={"eyes": "open"})
    t1 = make_trial("left", 1, measures={"mean_velocity_ml_mm_s": 25.0, "rms_ml_mm": -0.0, "weird": math.nan})
    t2 = make_trial("right", 1, valid=False, failure_kind="touch_down", failure_time_s=12.5, seed=3,
                    measures={"mean_velocity_ml_mm_s": 31.0})  # fmt: skip
    id1 = store.add_trial(sid, t1, raw_path="/tmp/raw1.csv")
    store.add_trial(sid, t2)
    store.finish_session(sid, comparison={"rows": [{"measure": "x", "si_pct": 21.4}]})
    s = store.session(sid)
    assert s.status == "complete" and s.finished_at is not None and s.board["kind"] == "sim"
    assert s.comparison == {"rows": [{"measure": "x", "si_pct": 21.4}]}
    left, right = s.trials
    assert left.id == id1 and left.side == "left" and left.valid and left.condition == "eyes_open"
    assert left.measures["mean_velocity_ml_mm_s"] == 25.0 and math.isnan(left.measures["weird"])
    assert left.params == {"fs_hz": 100.0, "cutoff_hz": 10.0, "trim_s": 2.0}
    assert left.raw_path == "/tmp/raw1.csv" and left.recorded_at.startswith("2026-03-02T09:30")
    assert left.status == "complete" and left.analysis_window_s == (0.5, 2.99)
    assert not right.valid and right.failure_kind == "touch_down" and right.failure_time_s == 12.5
    # samples survive bit for bit
    for stored, orig in ((left, t1), (right, t2)):
        assert stored.n_samples == len(orig.recording)
        np.testing.assert_array_equal(stored.recording.corners_kg, orig.recording.corners_kg)
        np.testing.assert_array_equal(stored.recording.cop_ml_mm, orig.recording.cop_ml_mm)
        np.testing.assert_array_equal(stored.recording.time_s, orig.recording.time_s)
    assert store.sessions(a)[0].trials[0].recording is None  # listing does not load samples
    assert store.trial_recording(id1).fs_hz == 100.0
    with pytest.raises(UnknownSessionError):
        store.add_trial(999, t1)
    with pytest.raises(UnknownSessionError):
        store.session(999)


def test_history_means_and_sd(store: Store) -> None:
    a = store.add_athlete("Sam")
    for week, (lv, rv) in enumerate([([20.0, 22.0, 24.0], [30.0, 33.0]), ([19.0, 21.0], [25.0])]):
        sid = store.start_session(a, protocol="single_leg", started_at=f"2026-03-{2 + 7 * week:02d}T10:00:00+00:00")
        for i, v in enumerate(lv, 1):
            store.add_trial(sid, make_trial("left", i, measures={"m_mm": v}))
        for i, v in enumerate(rv, 1):
            store.add_trial(sid, make_trial("right", i, measures={"m_mm": v}))
        store.add_trial(sid, make_trial("right", 9, measures={"m_mm": 1000.0}, practice=True))
        store.add_trial(sid, make_trial("right", 8, measures={"m_mm": 2000.0}, valid=False, failure_kind="hop"))
    pts = store.history("Sam", "m_mm")
    assert [(p.started_at[:10], p.side, p.n) for p in pts] == [
        ("2026-03-02", "left", 3), ("2026-03-02", "right", 2), ("2026-03-09", "left", 2), ("2026-03-09", "right", 1)
    ]  # fmt: skip
    assert pts[0].mean == pytest.approx(22.0) and pts[0].sd == pytest.approx(2.0)
    assert pts[1].mean == pytest.approx(31.5) and pts[1].sd == pytest.approx(math.sqrt(4.5))
    assert math.isnan(pts[3].sd)
    assert len(store.history("Sam", "m_mm", include_practice=True, valid_only=False)[1].values) == 4
    with pytest.raises(StoreError, match="did you mean m_mm"):
        store.history("Sam", "m_m")


def test_delete_cascades_and_counts(store: Store, tmp_path: Path) -> None:
    a = store.add_athlete("Sam")
    b = store.add_athlete("Kim")
    raw = store.athlete_raw_dir(a) / "s1"
    raw.mkdir(parents=True)
    files = []
    for k in range(3):
        f = raw / f"t{k}.csv"
        f.write_bytes(b"x" * (100 + k))
        files.append(f)
    orphan = raw / "crashed_trial.csv"  # a trial in progress when the app crashed: not in the db
    orphan.write_bytes(b"y" * 50)
    for who in (a, b):
        sid = store.start_session(who, protocol="single_leg")
        for k in range(3):
            store.add_trial(sid, make_trial("left", k + 1, measures={"a": 1.0, "b": 2.0}),
                            raw_path=files[k] if who is a else None)  # fmt: skip
    store.start_session(a, protocol="bilateral")
    rep = store.delete_athlete("Sam")
    assert (rep.sessions, rep.trials, rep.measures, rep.raw_files, rep.raw_bytes) == (2, 3, 6, 4, 100 + 101 + 102 + 50)
    assert rep.rows == 12
    assert "2 session(s), 3 trial(s)" in rep.describe() and "4 raw recording file(s)" in rep.describe()
    assert not store.athlete_raw_dir(a).exists()
    db = store._db
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM trials").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM measures").fetchone()[0] == 6
    assert [x.label for x in store.list_athletes()] == ["Kim"]
    with pytest.raises(UnknownAthleteError):
        store.get_athlete("Sam")


def _make_v1(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, target=1)
    conn.execute("INSERT INTO athletes (code, name, created_at) VALUES ('A001', 'Old', '2025-01-01T00:00:00+00:00')")
    conn.execute(
        "INSERT INTO sessions (athlete_id, protocol, started_at, status, software_version) VALUES (1, 'single_leg', "
        "'2025-01-02T00:00:00+00:00', 'complete', '0.0.1')"  # (an open empty one would be tidied away)
    )
    conn.close()


def test_migration_from_v1_keeps_data_and_backs_up(tmp_path: Path) -> None:
    p = tmp_path / "old.db"
    _make_v1(p)
    with Store.open(p) as s:
        assert s.schema_version == migrations.LATEST_VERSION
        old = s.get_athlete("Old")
        assert old.notes == "" and old.n_sessions == 1  # v2 column present with its default
        assert s._db.execute("SELECT name FROM sqlite_master WHERE name='measures_key'").fetchone()
    bak = tmp_path / "old.db.v1.bak"
    assert bak.exists() and stat.S_IMODE(bak.stat().st_mode) == 0o600
    conn = sqlite3.connect(bak)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_each_migration_step_is_atomic(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    migrations.migrate(conn, target=1)
    conn.execute("ALTER TABLE athletes ADD COLUMN notes TEXT")  # makes step 2 fail half-way
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(conn)
    assert migrations.schema_version(conn) == 1
    assert not conn.execute("SELECT 1 FROM pragma_table_info('sessions') WHERE name='notes'").fetchone()
    conn.close()


def test_newer_database_refused_untouched(tmp_path: Path) -> None:
    p = tmp_path / "new.db"
    with Store.open(p) as s:
        s.add_athlete("Sam")
    conn = sqlite3.connect(p)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 5}")
    conn.commit()
    conn.close()
    before = p.read_bytes()
    with pytest.raises(NewerDatabaseError) as ei:
        Store.open(p)
    msg = str(ei.value)
    assert f"schema {migrations.LATEST_VERSION + 5}" in msg and "upgrade" in msg and "untouched" in msg
    assert p.read_bytes() == before


def test_not_a_database(tmp_path: Path) -> None:
    p = tmp_path / "notes.db"
    p.write_text("shopping list\n")
    with pytest.raises(NotADatabaseError, match="not an SQLite file"):
        Store.open(p)
    assert p.read_text() == "shopping list\n"
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotADatabaseError, match="not a balance history"):
        Store.open(other)
    with pytest.raises(StoreError, match="no history database"):
        Store.open(tmp_path / "missing.db", create=False)


def test_disk_full_on_trial_keeps_earlier(tmp_path: Path) -> None:
    """SQLite reports a full disk as 'database or disk is full': the trial is refused, nothing else lost."""
    p = tmp_path / "full.db"
    with Store.open(p) as s:
        a = s.add_athlete("Sam")
        sid = s.start_session(a, protocol="single_leg")
        s.add_trial(sid, make_trial("left", 1, measures={"m": 1.0}))
        page_count = s._db.execute("PRAGMA page_count").fetchone()[0]
        s._db.execute(f"PRAGMA max_page_count = {page_count + 1}")  # no room for another trial's samples
        with pytest.raises(StoreError, match="full.*not saved.*raw.csv.*every earlier trial is saved"):
            s.add_trial(sid, make_trial("right", 1, measures={"m": 2.0}, n=20000), raw_path=tmp_path / "raw.csv")
    with Store.open(p) as s:
        assert s.integrity_check() == "ok"
        trials = s.session(sid).trials
        assert [(t.side, t.measures) for t in trials] == [("left", {"m": 1.0})]
