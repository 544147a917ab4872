"""The history database: athletes, sessions, trials, measures and raw samples, in one SQLite file.

This package is the facade; each part has its own module: :mod:`~balance.app.store.connection`
(opening, migrations), :mod:`~balance.app.store.errors`, :mod:`~balance.app.store.athletes`,
:mod:`~balance.app.store.writes` (sessions and trials), :mod:`~balance.app.store.rows` (row
mapping), :mod:`~balance.app.store.history` (reading back), :mod:`~balance.app.store.housekeeping`,
:mod:`~balance.app.store.records` and :mod:`~balance.app.store.checks` (input checks).

Public API (other parts of the app call exactly these)::

    from balance.app.store import Store

    store = Store.open(path=None)            # --db PATH > $BALANCE_DB > <data dir>/balance.db
    a = store.add_athlete("Sam", birth_year=1998, mass_kg=72.0)   # or add_athlete(code="P07")
    a = store.get_athlete("Sam")             # by name or code; UnknownAthleteError if absent
    store.update_athlete("Sam", mass_kg=74.0)
    store.list_athletes() -> list[Athlete]
    report = store.delete_athlete("Sam")     # DeleteReport: rows and raw files removed
    sid = store.start_session(a, protocol="single_leg", board={...}, conditions={...})
    tid = store.add_trial(sid, trial, raw_path=None)          # one transaction per trial
    store.finish_session(sid, status="complete", comparison={...})
    store.sessions(a) -> list[Session]       # newest last; trials and measures, no samples
    store.session(sid) -> Session            # trials with measures and their Recording
    store.history(a, "mean_velocity_ml_mm_s") -> list[HistoryPoint]   # per session and side
    store.trial_recording(tid) -> Recording | None
    store.close()                            # or use ``with Store.open() as store:``

``trial`` is a :class:`balance.model.TrialRecord` (what the engine and ``balance import`` emit);
the store reloads it as the same record, with its database ids, raw path and sample count.

Safety
------
* The file is created private (mode 0600; its directory 0700 when we create it); SQLite gives
  the ``-wal``/``-shm`` files the same mode.
* WAL journal, ``synchronous=FULL``, foreign keys on; every write is one ``BEGIN IMMEDIATE``
  transaction, so a crash or ``kill -9`` loses at most the trial being written, never a
  committed one, and never corrupts the file.
* Raw samples are written to disk (a recording file, see :mod:`balance.app.sink`) *before*
  analysis; the trial row keeps its path and, by default, a compressed copy of the arrays so
  the database alone is enough for reports and exports.
* A database written by a newer ``balance`` (schema above :data:`LATEST_VERSION`) is refused,
  untouched; an older one is backed up (``<name>.v<N>.bak``) and migrated step by step.
"""

from __future__ import annotations

import os
from typing import Any

from balance.app.store import errors as _errors
from balance.app.store.checks import MAX_LABEL_CHARS, printable
from balance.app.store.connection import connect
from balance.app.store.errors import (
    DamagedDatabaseError,
    DuplicateAthleteError,
    NewerDatabaseError,
    NotADatabaseError,
    StoreError,
    UnknownAthleteError,
    UnknownSessionError,
    database_error,
)
from balance.app.store.records import SIDES, Athlete, DeleteReport, HistoryPoint, Session, StoredTrial
from balance.app.store.records import When as When
from balance.app.store.rows import _iso as _iso  # `x as x`: kept importable here (balance import)
from balance.app.store.rows import utc_now_iso
from balance.app.store.team import TeamMixin
from balance.app.store.writes import WritesMixin

__all__ = [
    "Store",
    "Athlete",
    "Session",
    "StoredTrial",
    "HistoryPoint",
    "DeleteReport",
    "StoreError",
    "UnknownAthleteError",
    "DuplicateAthleteError",
    "NewerDatabaseError",
    "NotADatabaseError",
    "DamagedDatabaseError",
    "database_error",
    "UnknownSessionError",
    "SIDES",
    "utc_now_iso",
    "printable",
    "MAX_LABEL_CHARS",
]


class Store(WritesMixin, TeamMixin):
    """The history database. Create with :meth:`Store.open`; thread-safe (one lock)."""

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> "Store":
        """Open (and create or migrate) the history database.

        Parameters
        ----------
        path : path-like, optional
            Database file; default ``$BALANCE_DB`` or ``<data dir>/balance.db``
            (:func:`balance.app.paths.default_db_path`).
        create : bool, optional
            Create the file if missing (default). With False a missing file is an error.

        Raises
        ------
        NewerDatabaseError
            The schema version is above :data:`LATEST_VERSION`; nothing was changed.
        NotADatabaseError
            The file exists but is not a balance history database.
        StoreError
            The file is missing (``create=False``) or cannot be created.
        """
        conn, p = connect(path, create=create)
        store = cls(conn, p)
        try:
            store._migrate_raw_dirs()
            store.close_abandoned_sessions()
        except BaseException:
            store.close()
            raise
        return store


def __getattr__(name: str) -> Any:
    """``last_opened_path``: the database the last :meth:`Store.open` of this process tried (kept in
    :mod:`balance.app.store.errors`, read live for the CLI's message)."""
    if name == "last_opened_path":
        return _errors.last_opened_path
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
