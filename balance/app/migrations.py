"""Schema of the history database and the migrations that build it, step by step.

The schema version lives in SQLite's ``PRAGMA user_version`` (0 = empty file). Migration ``n``
takes a database at version ``n - 1`` to version ``n``; :func:`migrate` runs the missing steps,
each in its own transaction together with the version bump, so an interrupted upgrade leaves
the database at the last complete version. A database whose version is above
:data:`LATEST_VERSION` was written by a newer ``balance`` and is refused, untouched.

Append new steps to :data:`MIGRATIONS`; never edit a released one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Migration", "MIGRATIONS", "LATEST_VERSION", "schema_version", "migrate"]


@dataclass(frozen=True)
class Migration:
    """One schema step: ``statements`` take the database from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = Migration(
    version=1,
    description="athletes, sessions, trials, measures",
    statements=(
        """
        CREATE TABLE athletes (
            id          INTEGER PRIMARY KEY,
            code        TEXT NOT NULL UNIQUE,          -- pseudonymous code, always set
            name        TEXT UNIQUE,                   -- optional real name
            birth_year  INTEGER,
            mass_kg     REAL,
            created_at  TEXT NOT NULL                  -- ISO 8601, UTC
        )
        """,
        """
        CREATE TABLE sessions (
            id               INTEGER PRIMARY KEY,
            athlete_id       INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
            protocol         TEXT NOT NULL,
            started_at       TEXT NOT NULL,            -- ISO 8601, UTC
            finished_at      TEXT,
            status           TEXT NOT NULL DEFAULT 'open',  -- open | complete | incomplete
            source           TEXT NOT NULL DEFAULT 'test',  -- test | import | demo
            board_json       TEXT NOT NULL DEFAULT '{}',    -- board kind, name, serial, calibration
            conditions_json  TEXT NOT NULL DEFAULT '{}',    -- eyes, surface, ... of the session
            spec_json        TEXT NOT NULL DEFAULT '{}',    -- the protocol description as run
            comparison_json  TEXT,                     -- left/right comparison at the end
            software_version TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_athlete ON sessions(athlete_id, started_at)",
        """
        CREATE TABLE trials (
            id              INTEGER PRIMARY KEY,
            session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            protocol        TEXT NOT NULL,
            side            TEXT NOT NULL,             -- left | right | both
            condition       TEXT NOT NULL DEFAULT '',  -- e.g. eyes_open
            trial_index     INTEGER NOT NULL,          -- 1-based within side and condition
            practice        INTEGER NOT NULL DEFAULT 0,
            valid           INTEGER NOT NULL,
            failure_kind    TEXT,
            failure_time_s  REAL,
            duration_s      REAL,
            recorded_at     TEXT NOT NULL,             -- ISO 8601, UTC
            raw_path        TEXT,                      -- raw recording written before analysis
            n_samples       INTEGER NOT NULL DEFAULT 0,
            fs_hz           REAL,
            samples_blob    BLOB,                      -- compressed arrays, see store._pack_recording
            params_json     TEXT NOT NULL DEFAULT '{}',-- preprocessing parameters of the measures
            extra_json      TEXT NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX trials_session ON trials(session_id)",
        """
        CREATE TABLE measures (
            trial_id  INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
            key       TEXT NOT NULL,
            value     REAL,
            PRIMARY KEY (trial_id, key)
        ) WITHOUT ROWID
        """,
    ),
)

_V2 = Migration(
    version=2,
    description="free-text notes on athletes and sessions; measure-key index for history queries",
    statements=(
        "ALTER TABLE athletes ADD COLUMN notes TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sessions ADD COLUMN notes TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX measures_key ON measures(key, trial_id)",
    ),
)

_V3 = Migration(
    version=3,
    description="optional sex and a free group tag (sport, team) on athletes, for reference values",
    statements=(
        "ALTER TABLE athletes ADD COLUMN sex TEXT",  # 'F', 'M' or NULL
        "ALTER TABLE athletes ADD COLUMN group_tag TEXT",  # free text, e.g. 'U18 football'
    ),
)

#: Every schema step, in order.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3)
#: The schema version this code writes.
LATEST_VERSION: int = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's schema version (``PRAGMA user_version``)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection,
    *,
    target: int = LATEST_VERSION,
    before_step: Callable[[int], None] | None = None,
) -> list[int]:
    """Bring ``conn`` to schema ``target``; returns the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each step runs in one
    ``BEGIN IMMEDIATE`` transaction with its ``user_version`` bump. ``before_step(version)`` is
    called before each step (the store uses it to back the file up once).
    """
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise RuntimeError(f"schema {current} is newer than this code's {LATEST_VERSION}")
    applied: list[int] = []
    for step in MIGRATIONS:
        if step.version <= current or step.version > target:
            continue
        if before_step is not None:
            before_step(step.version)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= step.version:
                # Another process applied this step between our read and our lock (two
                # processes creating the same new database): nothing to do.
                conn.execute("COMMIT")
                continue
            for sql in step.statements:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(step.version)
    return applied
