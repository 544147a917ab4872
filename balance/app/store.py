"""The history database: athletes, sessions, trials, measures and raw samples, in one SQLite file.

Public API (other parts of the app call exactly these)::

    from balance.app.store import Store

    store = Store.open(path=None)            # --db PATH > $BALANCE_DB > <data dir>/balance.db
    a = store.add_athlete("Sam", birth_year=1998, mass_kg=72.0)   # or add_athlete(code="P07")
    a = store.get_athlete("Sam")             # by name or code; UnknownAthleteError if absent
    store.update_athlete("Sam", mass_kg=74.0)
    store.list_athletes() -> list[Athlete]
    report = store.delete_athlete("Sam")     # DeleteReport: rows and raw files removed
    sid = store.start_session(a, protocol="single_leg", board={...}, conditions={...})
    tid = store.add_trial(sid, trial_result, raw_path=None)   # one transaction per trial
    store.finish_session(sid, status="complete", comparison={...})
    store.sessions(a) -> list[Session]       # newest last; trials and measures, no samples
    store.session(sid) -> Session            # trials with measures and their Recording
    store.history(a, "mean_velocity_ml_mm_s") -> list[HistoryPoint]   # per session and side
    store.trial_recording(tid) -> Recording | None
    store.close()                            # or use ``with Store.open() as store:``

``trial_result`` is a :class:`protocols.results.TrialResult` or anything with the same
attributes (``protocol, side, condition, trial_index, practice, valid, failure_kind,
failure_time_s, duration_s, recording, params, measures``).

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

import contextlib
import difflib
import io
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from balance import __version__
from balance.app.jsonable import to_jsonable as _jsonable
from balance.app.migrations import LATEST_VERSION, migrate, schema_version
from balance.app.paths import default_db_path, ensure_private_dir, raw_dir_for
from balance.model import SessionRecord, Side, TrialRecord

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.recording import Recording
    from protocols.results import TrialResult

#: A wall-clock time as the store accepts it: a datetime, epoch seconds, an ISO 8601 string or None (now).
When = datetime | float | str | None

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

#: Values of ``trials.side``.
SIDES: tuple[str, ...] = tuple(s.value for s in Side)

_SQLITE_MAGIC = b"SQLite format 3\x00"

#: The database the last :meth:`Store.open` of this process tried (for the CLI's one message
#: about a database that fails in the middle of a command, see :func:`database_error`).
last_opened_path: Path | None = None

#: A session left ``open`` without a lock file (older versions) is abandoned after this long (s).
ABANDONED_AFTER_S = 6 * 3600.0


# -- errors ------------------------------------------------------------------------------------
class StoreError(Exception):
    """Base class of history-database errors; the message says what happened and what to do."""


class UnknownAthleteError(StoreError, LookupError):
    """No athlete with that name or code."""


class UnknownSessionError(StoreError, LookupError):
    """No session with that id."""


class DuplicateAthleteError(StoreError, ValueError):
    """An athlete with that name or code already exists."""


class NewerDatabaseError(StoreError):
    """The database was written by a newer version of balance; it is left untouched."""


class NotADatabaseError(StoreError):
    """The file is not a balance history database."""


class DamagedDatabaseError(NotADatabaseError):
    """The file is an SQLite database that SQLite cannot read (corrupt, malformed, locked)."""


def database_error(path: str | os.PathLike[str], err: BaseException) -> StoreError:
    """One message for every SQLite failure on the history database ``path``: the file, the cause, the fix."""
    text = str(err) or type(err).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        return DamagedDatabaseError(
            f"the history database {path} is busy (another balance is writing to it: {text}); nothing was changed. "
            "Wait for it to finish and run the command again"
        )
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return DamagedDatabaseError(
            f"the history database {path} cannot be written ({text}); nothing was changed. Make the file and its "
            "folder writable, or copy the database to a writable folder and pass --db COPY"
        )
    return DamagedDatabaseError(
        f"the history database {path} is damaged and cannot be read ({text}); nothing was changed. Restore it "
        f"from a backup (for example a {Path(path).name}.v<N>.bak next to it), or move it away to start a new one, "
        "or pass another --db. `sqlite3 FILE .recover` may rescue its rows"
    )


# -- records -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Athlete:
    """An athlete (or a pseudonymous subject).

    Attributes
    ----------
    id : int
        Database id.
    code : str
        Pseudonymous code (always set; ``A001``, ``A002``... unless chosen).
    name : str or None
        Real name, when the coach chose to store one.
    birth_year : int or None
    mass_kg : float or None
        Body mass (kg).
    created_at : str
        ISO 8601 UTC.
    notes : str
    n_sessions, n_trials : int
        Counts at the time of the query.
    last_session_at : str or None
        Start of the newest session (ISO 8601 UTC).
    sex : {"F", "M"} or None
        For sex-specific reference values (optional).
    group : str or None
        Free group tag (sport, team), for the squad's own norms (optional).
    """

    id: int
    code: str
    name: str | None
    birth_year: int | None
    mass_kg: float | None
    created_at: str
    notes: str = ""
    n_sessions: int = 0
    n_trials: int = 0
    last_session_at: str | None = None
    sex: str | None = None
    group: str | None = None

    @property
    def label(self) -> str:
        """Name if stored, else the code (safe for a terminal: see :func:`printable`)."""
        return printable(self.name or self.code)


#: One trial as stored and reloaded: the house record (:class:`balance.model.TrialRecord`).
StoredTrial = TrialRecord
#: One test session with its trials: the house record (:class:`balance.model.SessionRecord`).
Session = SessionRecord


@dataclass(frozen=True)
class HistoryPoint:
    """One measure in one session on one side: the trials' values and their mean.

    Attributes
    ----------
    session_id : int
    started_at : str
        ISO 8601 UTC.
    protocol, condition, side : str
    measure : str
    values : tuple of float
        Valid, non-practice trials, in recording order (unit of the measure).
    mean, sd : float
        Mean and sample SD (ddof=1; NaN with fewer than two trials).
    """

    session_id: int
    started_at: str
    protocol: str
    condition: str
    side: str
    measure: str
    values: tuple[float, ...]
    mean: float
    sd: float

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class DeleteReport:
    """What :meth:`Store.delete_athlete` removed."""

    athlete: Athlete
    sessions: int
    trials: int
    measures: int
    raw_files: int
    raw_bytes: int
    raw_errors: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Database rows removed (athlete + sessions + trials + measures)."""
        return 1 + self.sessions + self.trials + self.measures

    def describe(self) -> str:
        """Plain-words summary."""
        s = (
            f"deleted athlete {self.athlete.label} ({self.athlete.code}): {self.sessions} session(s), "
            f"{self.trials} trial(s), {self.measures} measure value(s) ({self.rows} database rows) and "
            f"{self.raw_files} raw recording file(s) ({self.raw_bytes / 1e6:.2f} MB)"
        )
        if self.raw_errors:
            s += f"; could not remove {len(self.raw_errors)} file(s): " + "; ".join(self.raw_errors)
        return s


# -- helpers -----------------------------------------------------------------------------------
def utc_now_iso() -> str:
    """Current wall-clock time, ISO 8601 UTC with seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _iso(value: When) -> str:
    """A datetime / epoch seconds / ISO string as ISO 8601 UTC."""
    if value is None:
        return utc_now_iso()
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.astimezone()
        return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(float(value), timezone.utc).replace(microsecond=0).isoformat()
        except (OverflowError, OSError, ValueError):  # 1e308, NaN, before year 1 or after 9999
            raise StoreError(
                f"time {value!r} (seconds since 1970) is not a date between the years 1 and 9999: "
                "give the date with --date, e.g. 2026-03-01"
            ) from None
    if isinstance(value, str):
        try:
            return _iso(datetime.fromisoformat(value))
        except (ValueError, OverflowError):
            raise StoreError(f"date {value!r} is not ISO 8601: write it like 2026-03-01 or 2026-03-01T09:30") from None
    raise StoreError(f"cannot read a date from {value!r} ({type(value).__name__})")


def _dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True, allow_nan=False)


def _float_or_none(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _pack_recording(recording: Recording) -> tuple[bytes, int, float | None, dict[str, Any]]:
    """Recording -> (npz bytes, n samples, fs_hz, meta). Arrays kept in float64."""
    import numpy as np

    arrays: dict[str, Any] = {
        "time_s": np.asarray(recording.time_s, dtype=np.float64),
        "cop_ml_mm": np.asarray(recording.cop_ml_mm, dtype=np.float64),
        "cop_ap_mm": np.asarray(recording.cop_ap_mm, dtype=np.float64),
    }
    if getattr(recording, "total_kg", None) is not None:
        arrays["total_kg"] = np.asarray(recording.total_kg, dtype=np.float64)
    if getattr(recording, "corners_kg", None) is not None:
        arrays["corners_kg"] = np.asarray(recording.corners_kg, dtype=np.float64)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue(), int(arrays["time_s"].shape[0]), _float_or_none(getattr(recording, "fs_hz", None)), dict(
        getattr(recording, "meta", {}) or {}
    )


def _unpack_recording(blob: bytes, fs_hz: float | None, meta: dict[str, Any]) -> Recording:
    import numpy as np

    from balance.recording import Recording

    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return Recording(
            time_s=z["time_s"],
            cop_ml_mm=z["cop_ml_mm"],
            cop_ap_mm=z["cop_ap_mm"],
            total_kg=z["total_kg"] if "total_kg" in z.files else None,
            corners_kg=z["corners_kg"] if "corners_kg" in z.files else None,
            fs_hz=fs_hz,
            meta=dict(meta),
        )


def _is_disk_full(err: BaseException) -> bool:
    import errno

    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(err, sqlite3.Error) and "full" in str(err).lower()


# -- the store ---------------------------------------------------------------------------------
class Store:
    """The history database. Create with :meth:`Store.open`; thread-safe (one lock)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        #: Directory of the raw recordings belonging to this database.
        self.raw_dir = raw_dir_for(path)
        self._lock = threading.RLock()
        #: Lock file descriptors of the sessions this process has open (see start_session).
        self._session_locks: dict[int, int] = {}

    # -- lifecycle --------------------------------------------------------------------------
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
        p = default_db_path(path).resolve()
        global last_opened_path
        last_opened_path = p
        for parent in p.parents:  # `--db afile/x.db` where afile is a file
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    raise StoreError(
                        f"cannot use the history database {p}: {parent} is a file, not a folder; "
                        "pass --db with a path inside a folder"
                    )
                break
        if not p.exists():
            if not create:
                raise StoreError(f"no history database at {p}: run `balance athlete add NAME` first, or pass --db")
            try:
                ensure_private_dir(p.parent)
                fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.close(fd)
            except FileExistsError:
                pass
            except OSError as err:
                raise StoreError(f"cannot create the history database {p}: {err.strerror}; choose another --db") from err
        elif p.is_dir():
            raise NotADatabaseError(f"{p} is a directory, not a history database: pass a file path to --db")
        try:
            with open(p, "rb") as fh:
                head = fh.read(16)
        except OSError as err:
            raise StoreError(
                f"cannot read the history database {p}: {err.strerror}; check its permissions or pass another --db"
            ) from err
        if head and head != _SQLITE_MAGIC:
            raise NotADatabaseError(
                f"{p} is not a balance history database (not an SQLite file); it was left untouched: "
                "pass another --db or move that file away"
            )
        # SQLite needs to write the file and to create its -wal/-shm journal next to it, even to
        # read. Refuse a read-only file or folder here, before SQLite leaves journal files behind.
        for what, target in (("file", p), ("folder", p.parent)):
            if not os.access(target, os.W_OK | (os.X_OK if what == "folder" else 0)):
                raise StoreError(
                    f"the history database {p} cannot be used: its {what} {target} is read-only, and balance "
                    f"writes a journal next to the database even to read it. Make it writable "
                    f"(chmod u+w {target}) or copy the database to a writable folder and pass --db COPY; "
                    "nothing was changed"
                )
        try:
            conn = sqlite3.connect(p, isolation_level=None, check_same_thread=False, timeout=10.0)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the history database {p}: {err}") from err
        try:
            version = schema_version(conn)
            if version > LATEST_VERSION:
                raise NewerDatabaseError(
                    f"{p} was written by a newer version of balance (database schema {version}; this "
                    f"balance {__version__} reads schema {LATEST_VERSION} or older). It was left untouched: "
                    "upgrade with `pip install -U balance-sway`, or pass another --db"
                )
            if version == 0:
                n_tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
                # Another balance process may have committed its first migration step (tables and
                # user_version together) between the two reads: read the version again before refusing.
                version = schema_version(conn) if n_tables else version
                if n_tables and version == 0:
                    raise NotADatabaseError(
                        f"{p} is an SQLite database but not a balance history (it has other tables); it was "
                        "left untouched: pass another --db"
                    )
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - filesystems without shared memory
                conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
            if version < LATEST_VERSION:
                backed_up: list[bool] = []

                def backup_once(_: int) -> None:
                    if version >= 1 and not backed_up:
                        cls._backup(conn, p.with_name(f"{p.name}.v{version}.bak"))
                        backed_up.append(True)

                migrate(conn, before_step=backup_once)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as err:  # damaged text decodes badly
            conn.close()
            raise database_error(p, err) from err
        except BaseException:
            conn.close()
            raise
        store = cls(conn, p)
        try:
            store._migrate_raw_dirs()
            store.close_abandoned_sessions()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def _backup(conn: sqlite3.Connection, dest: Path) -> None:
        fd = os.open(dest, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.close(fd)
        target = sqlite3.connect(dest)
        try:
            conn.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            for sid in list(self._session_locks):
                self._release_session_lock(sid)
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]  # closed: later use raises at once

    # -- open sessions of processes that died -------------------------------------------------
    def _session_lock_path(self, session_id: int) -> Path:
        return self.raw_dir / ".open-sessions" / f"{int(session_id)}.lock"

    def _hold_session_lock(self, session_id: int) -> None:
        """Create and lock ``raw/.open-sessions/<id>.lock`` while this process runs the session."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no housekeeping of open sessions
            return
        path = self._session_lock_path(session_id)
        try:
            ensure_private_dir(path.parent)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            return  # no lock, no harm: the session is then only closed once it is old
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return
        self._session_locks[session_id] = fd

    def _release_session_lock(self, session_id: int) -> None:
        fd = self._session_locks.pop(session_id, None)
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self._session_lock_path(session_id).unlink()
        with contextlib.suppress(OSError):
            os.close(fd)

    def close_abandoned_sessions(self, *, unlocked_age_s: float = ABANDONED_AFTER_S) -> tuple[int, int]:
        """Close the sessions left ``open`` by processes that died (``kill -9``, power loss).

        A session is abandoned when its lock file (``raw/.open-sessions/<id>.lock``, held by the
        process running it) can be locked here, or, without a lock file (older versions), when
        nothing happened in it for ``unlocked_age_s`` seconds. Abandoned sessions with trials are
        marked ``incomplete`` with the note "interrupted" (their trials are kept); empty ones are
        deleted. Returns (closed, deleted).
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return 0, 0
        with self._lock:
            rows = self._db.execute(
                """SELECT s.id, s.started_at, (SELECT count(*) FROM trials t WHERE t.session_id = s.id),
                          (SELECT max(recorded_at) FROM trials t WHERE t.session_id = s.id)
                   FROM sessions s WHERE s.status = 'open'"""
            ).fetchall()
        closed = deleted = 0
        now = datetime.now(timezone.utc)
        for sid, started, n_trials, last in rows:
            if sid in self._session_locks:
                continue
            path = self._session_lock_path(sid)
            fd = None
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                try:
                    age = (now - datetime.fromisoformat(max(started, last or started))).total_seconds()
                except (TypeError, ValueError):
                    continue
                if age < unlocked_age_s:
                    continue
            except OSError:
                continue
            try:
                if fd is not None:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        continue  # its process is alive
                with self._tx() as db:
                    if n_trials:
                        db.execute(
                            "UPDATE sessions SET status = 'incomplete', finished_at = ?, notes = trim(notes || ' ' || ?) "
                            "WHERE id = ? AND status = 'open'",
                            (utc_now_iso(), "interrupted (the process running it ended)", sid),
                        )
                        closed += 1
                    else:
                        db.execute("DELETE FROM sessions WHERE id = ? AND status = 'open'", (sid,))
                        deleted += 1
                with contextlib.suppress(OSError):
                    path.unlink()
            finally:
                if fd is not None:
                    os.close(fd)
        return closed, deleted

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._db)

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the history database {self.path} is closed")
        return self._conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # SQLITE_FULL and a few others roll back by themselves
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``"ok"`` when healthy)."""
        with self._lock:
            rows = self._db.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    # -- athletes ---------------------------------------------------------------------------
    _ATHLETE_SQL = """
        SELECT a.id, a.code, a.name, a.birth_year, a.mass_kg, a.created_at, a.notes,
               (SELECT count(*) FROM sessions s WHERE s.athlete_id = a.id),
               (SELECT count(*) FROM trials t JOIN sessions s ON t.session_id = s.id WHERE s.athlete_id = a.id),
               (SELECT max(started_at) FROM sessions s WHERE s.athlete_id = a.id),
               a.sex, a.group_tag
        FROM athletes a
    """

    @staticmethod
    def _athlete(row: tuple[Any, ...]) -> Athlete:
        return Athlete(
            id=row[0], code=row[1], name=row[2], birth_year=row[3], mass_kg=row[4], created_at=row[5],
            notes=row[6] or "", n_sessions=row[7], n_trials=row[8], last_session_at=row[9],
            sex=row[10], group=row[11],
        )  # fmt: skip

    def add_athlete(
        self,
        name: str | None = None,
        *,
        code: str | None = None,
        birth_year: int | None = None,
        mass_kg: float | None = None,
        notes: str = "",
        sex: str | None = None,
        group: str | None = None,
    ) -> Athlete:
        """Add an athlete by real name, by pseudonymous code, or both.

        Parameters
        ----------
        name : str, optional
            Real name (case-insensitively unique).
        code : str, optional
            Pseudonymous code; generated (``A001``, ``A002``...) when omitted.
        birth_year : int, optional
            Four-digit year (1900 to this year).
        mass_kg : float, optional
            Body mass (kg), 10 to 300.
        notes : str, optional
        sex : {"F", "M"}, optional
            For sex-specific reference values.
        group : str, optional
            Free group tag (sport, team) for the squad's own norms.

        Raises
        ------
        DuplicateAthleteError
            The name or code is taken (by a name or a code).
        StoreError
            Bad values, with the fix.
        """
        name = name.strip() if name else None
        code = code.strip() if code else None
        if not name and not code:
            raise StoreError("an athlete needs a name or a code: e.g. `balance athlete add Sam` or `--code P07`")
        _check_text("name", name)
        _check_text("code", code)
        _check_text("notes", notes, max_chars=10_000, lines=True)
        _check_person(birth_year, mass_kg)
        sex, group = _check_sex(sex), (group.strip() or None) if group else None
        with self._tx() as db:
            for label in (name, code):
                if label is None:
                    continue
                hit = db.execute(
                    "SELECT code, name FROM athletes WHERE lower(code) = lower(?) OR lower(name) = lower(?)",
                    (label, label),
                ).fetchone()
                if hit:
                    raise DuplicateAthleteError(
                        f"an athlete called {label!r} already exists (code {hit[0]}): choose another name or code, "
                        f"or use the existing one"
                    )
            if code is None:
                n = db.execute("SELECT coalesce(max(id), 0) FROM athletes").fetchone()[0] + 1
                while True:
                    code = f"A{n:03d}"
                    if not db.execute(
                        "SELECT 1 FROM athletes WHERE lower(code) = lower(?) OR lower(name) = lower(?)", (code, code)
                    ).fetchone():
                        break
                    n += 1
            cur = db.execute(
                "INSERT INTO athletes (code, name, birth_year, mass_kg, created_at, notes, sex, group_tag) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (code, name, None if birth_year is None else int(birth_year),
                 None if mass_kg is None else float(mass_kg), utc_now_iso(), notes, sex, group),
            )  # fmt: skip
            aid = cur.lastrowid
        return self._get_athlete_by_id(int(aid))

    def update_athlete(
        self,
        name_or_code: str | Athlete,
        *,
        name: str | None = None,
        birth_year: int | None = None,
        mass_kg: float | None = None,
        notes: str | None = None,
        sex: str | None = None,
        group: str | None = None,
    ) -> Athlete:
        """Change an athlete's name, birth year, body mass (kg), notes, sex or group tag; None leaves a
        field as it is (``sex=""``/``group=""`` clear them)."""
        a = self.get_athlete(name_or_code)
        _check_person(birth_year, mass_kg)
        if sex is not None or group is not None:
            new_sex = a.sex if sex is None else _check_sex(sex)
            new_group = a.group if group is None else (group.strip() or None)
            with self._tx() as db:
                db.execute("UPDATE athletes SET sex = ?, group_tag = ? WHERE id = ?", (new_sex, new_group, a.id))
        new_name = name.strip() if name else None
        _check_text("name", new_name)
        _check_text("notes", notes, max_chars=10_000, lines=True)
        _check_person(birth_year, mass_kg)
        with self._tx() as db:
            if new_name and new_name.lower() != (a.name or "").lower():
                hit = db.execute(
                    "SELECT code FROM athletes WHERE (lower(code) = lower(?) OR lower(name) = lower(?)) AND id != ?",
                    (new_name, new_name, a.id),
                ).fetchone()
                if hit:
                    raise DuplicateAthleteError(f"an athlete called {new_name!r} already exists (code {hit[0]})")
            db.execute(
                "UPDATE athletes SET name = coalesce(?, name), birth_year = coalesce(?, birth_year), "
                "mass_kg = coalesce(?, mass_kg), notes = coalesce(?, notes) WHERE id = ?",
                (new_name, None if birth_year is None else int(birth_year),
                 None if mass_kg is None else float(mass_kg), notes, a.id),
            )  # fmt: skip
        return self._get_athlete_by_id(a.id)

    def _get_athlete_by_id(self, athlete_id: int) -> Athlete:
        with self._lock:
            row = self._db.execute(self._ATHLETE_SQL + " WHERE a.id = ?", (athlete_id,)).fetchone()
        if row is None:
            raise UnknownAthleteError(f"no athlete with id {athlete_id} in {self.path}")
        return self._athlete(row)

    def find_athlete(self, name_or_code: str | Athlete) -> Athlete | None:
        """The athlete with that code or name (exact first, then case-insensitive), else None."""
        if isinstance(name_or_code, Athlete):
            return self._get_athlete_by_id(name_or_code.id)
        key = str(name_or_code).strip()
        with self._lock:
            db = self._db
            # plain "?" marks: numbered ones bound from a sequence are deprecated from Python 3.12
            for where in ("a.code = ?", "a.name = ?", "lower(a.code) = lower(?) OR lower(a.name) = lower(?)"):
                rows = db.execute(self._ATHLETE_SQL + f" WHERE {where}", (key,) * where.count("?")).fetchall()
                if len(rows) == 1:
                    return self._athlete(rows[0])
        return None

    def get_athlete(self, name_or_code: str | Athlete) -> Athlete:
        """The athlete with that name or code.

        Raises
        ------
        UnknownAthleteError
            Not found; the message lists close matches and how to add one.
        """
        found = self.find_athlete(name_or_code)
        if found is not None:
            return found
        with self._lock:
            labels = [r[0] for r in self._db.execute("SELECT code FROM athletes")] + [
                r[0] for r in self._db.execute("SELECT name FROM athletes WHERE name IS NOT NULL")
            ]
        close = difflib.get_close_matches(str(name_or_code), labels, n=3, cutoff=0.5)
        shown = printable(str(name_or_code))
        if len(shown) > MAX_LABEL_CHARS:
            shown = shown[:MAX_LABEL_CHARS] + "..."
        hint = f" Did you mean {', '.join(map(printable, close))}?" if close else ""
        known = f" Known athletes: {', '.join(map(printable, sorted(labels)[:10]))}." if labels else " There are no athletes yet."
        raise UnknownAthleteError(
            f"no athlete {shown!r} in {self.path}.{hint}{known} Add one with: balance athlete add \"{shown}\""
        )

    def list_athletes(self) -> list[Athlete]:
        """Every athlete, ordered by code."""
        with self._lock:
            rows = self._db.execute(self._ATHLETE_SQL + " ORDER BY a.code").fetchall()
        return [self._athlete(r) for r in rows]

    def delete_athlete(self, name_or_code: str | Athlete) -> DeleteReport:
        """Delete an athlete and everything recorded for them: sessions, trials, measures, raw files.

        The rows go in one transaction; raw files (those referenced by the trials, and everything
        under ``raw/<code>/``) are removed after the commit.
        """
        athlete = self.get_athlete(name_or_code)
        with self._tx() as db:
            n_sessions = db.execute("SELECT count(*) FROM sessions WHERE athlete_id = ?", (athlete.id,)).fetchone()[0]
            n_trials, n_measures = db.execute(
                """SELECT count(DISTINCT t.id), count(m.key) FROM sessions s JOIN trials t ON t.session_id = s.id
                   LEFT JOIN measures m ON m.trial_id = t.id WHERE s.athlete_id = ?""",
                (athlete.id,),
            ).fetchone()
            raw_paths = [
                r[0]
                for r in db.execute(
                    "SELECT t.raw_path FROM trials t JOIN sessions s ON t.session_id = s.id "
                    "WHERE s.athlete_id = ? AND t.raw_path IS NOT NULL",
                    (athlete.id,),
                )
            ]
            db.execute("DELETE FROM athletes WHERE id = ?", (athlete.id,))
        files: set[Path] = {Path(p) for p in raw_paths}
        # Only this athlete's own folder (keyed by the database id) is swept: never a folder
        # named after a code, which another athlete's code could share (see athlete_raw_dir).
        athlete_raw = self.athlete_raw_dir(athlete)
        if athlete_raw.is_dir():
            files.update(f for f in athlete_raw.rglob("*") if f.is_file())
        n_files = 0
        n_bytes = 0
        errors: list[str] = []
        for f in sorted(files):
            try:
                size = f.stat().st_size
                f.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                errors.append(f"{f}: {err.strerror}")
                continue
            n_files += 1
            n_bytes += size
        if athlete_raw.is_dir():
            for d in sorted((d for d in athlete_raw.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
                with contextlib.suppress(OSError):
                    d.rmdir()
            with contextlib.suppress(OSError):
                athlete_raw.rmdir()
        return DeleteReport(
            athlete=athlete, sessions=int(n_sessions), trials=int(n_trials), measures=int(n_measures),
            raw_files=n_files, raw_bytes=n_bytes, raw_errors=tuple(errors),
        )  # fmt: skip

    def assign_athlete(self, source: str | Athlete, target: str) -> tuple[Athlete, int]:
        """Give everything of ``source`` (typically a guest code, ``balance test --guest``) to ``target``.

        ``target`` names an existing athlete (name or code): every session of ``source`` moves to
        that athlete and ``source`` is removed (a merge). Otherwise ``source`` keeps its code and is
        given the name ``target`` (a rename: its id, and so its raw folder, stay). In a merge the raw
        recordings follow their sessions, from ``raw/athlete_<source id>/`` to ``raw/athlete_<target id>/``
        (:meth:`athlete_raw_dir`), and the trials' ``raw_path`` are updated in the same transaction; if a
        file cannot be moved, everything is put back and nothing changes. A session of ``source`` still
        being recorded (open, its lock held by a running test) is refused: assign once the test is over.

        Returns
        -------
        (Athlete, int)
            The athlete who now holds the sessions, and the number of sessions moved.
        """
        src = self.get_athlete(source)
        dst = self.find_athlete(target)
        if dst is None:
            return self.update_athlete(src, name=target), src.n_sessions
        if dst.id == src.id:
            raise StoreError(f"{printable(target)!r} is {src.label} ({printable(src.code)}) already: nothing to assign")
        self.close_abandoned_sessions()  # sessions of processes that died are closed first
        with self._lock:
            running = [r[0] for r in self._db.execute(
                "SELECT id FROM sessions WHERE athlete_id = ? AND status = 'open' ORDER BY id", (src.id,))]  # fmt: skip
        if running:
            raise StoreError(f"session {running[0]} of {printable(src.code)} is still being recorded: assign it "
                             "once the test is over")  # fmt: skip
        src_dir, dst_dir = self.athlete_raw_dir(src).resolve(), self.athlete_raw_dir(dst).resolve()
        moved: list[tuple[Path, Path]] = []
        try:
            with self._tx() as db:
                trials = db.execute(
                    "SELECT t.id, t.raw_path FROM trials t JOIN sessions s ON t.session_id = s.id "
                    "WHERE s.athlete_id = ? AND t.raw_path IS NOT NULL", (src.id,)
                ).fetchall()
                if src_dir.is_dir():
                    for d in sorted(src_dir.iterdir()):
                        dest = dst_dir / d.name
                        if dest.exists():
                            raise StoreError(f"cannot move {d} to {dest}: it exists; nothing was changed")
                        ensure_private_dir(dst_dir)
                        os.replace(d, dest)
                        moved.append((d, dest))
                for tid, raw in trials:
                    try:
                        rel = Path(raw).relative_to(src_dir)
                    except ValueError:
                        continue  # a file outside the athlete's folder (imported): left where it is
                    db.execute("UPDATE trials SET raw_path = ? WHERE id = ?", (str(dst_dir / rel), tid))
                n = db.execute("UPDATE sessions SET athlete_id = ? WHERE athlete_id = ?", (dst.id, src.id)).rowcount
                db.execute(
                    "UPDATE athletes SET mass_kg = coalesce(mass_kg, ?), birth_year = coalesce(birth_year, ?), "
                    "sex = coalesce(sex, ?), group_tag = coalesce(group_tag, ?) WHERE id = ?",
                    (src.mass_kg, src.birth_year, src.sex, src.group, dst.id),
                )
                db.execute("DELETE FROM athletes WHERE id = ?", (src.id,))
        except BaseException:
            for a, b in reversed(moved):
                with contextlib.suppress(OSError):
                    os.replace(b, a)
            raise
        with contextlib.suppress(OSError):
            src_dir.rmdir()
        return self._get_athlete_by_id(dst.id), int(n)

    def athlete_raw_dir(self, athlete: str | Athlete) -> Path:
        """Where raw recordings of this athlete go (``<raw dir>/athlete_<id>``); not created.

        Keyed by the athlete's database id, which never changes and is unique: two codes such as
        ``a/b`` and ``a_b`` never share a folder, so deleting one athlete cannot touch another's
        files. (Folders of balance 0.1, named after the code, are moved by :meth:`_migrate_raw_dirs`.)
        """
        a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
        return self.raw_dir / f"athlete_{int(a.id):05d}"

    def _migrate_raw_dirs(self) -> list[str]:
        """Move the raw folders of older versions (``raw/<code>``) to ``raw/athlete_<id>``.

        A legacy folder is moved only when exactly one athlete's code maps to it (and its new
        folder does not exist yet); the trials' ``raw_path`` are updated in the same step, and
        the folder is moved back if the database cannot be updated. A folder that several codes
        map to (``a/b``, ``a_b``) stays where it is: its files are still found through each
        trial's ``raw_path``, and no delete sweeps it. Returns the folders moved.
        """
        if not self.raw_dir.is_dir():
            return []
        with self._lock:
            rows = self._db.execute("SELECT id, code FROM athletes").fetchall()
        by_folder: dict[str, list[int]] = {}
        for aid, code in rows:
            by_folder.setdefault(_safe_component(code), []).append(int(aid))
        moved: list[str] = []
        for folder, ids in sorted(by_folder.items()):
            old = self.raw_dir / folder
            if len(ids) != 1 or folder.startswith("athlete_") or not old.is_dir() or old.is_symlink():
                continue
            new = self.raw_dir / f"athlete_{ids[0]:05d}"
            if new.exists():
                continue
            try:
                old.rename(new)
            except OSError:
                continue
            old_prefix, new_prefix = str(old.resolve().parent / folder) + os.sep, str(new.resolve()) + os.sep
            try:
                with self._tx() as db:
                    db.execute(
                        "UPDATE trials SET raw_path = ? || substr(raw_path, ?) WHERE substr(raw_path, 1, ?) = ? "
                        "AND session_id IN (SELECT id FROM sessions WHERE athlete_id = ?)",
                        (new_prefix, len(old_prefix) + 1, len(old_prefix), old_prefix, ids[0]),
                    )
            except (sqlite3.Error, StoreError):
                with contextlib.suppress(OSError):
                    new.rename(old)
                continue
            moved.append(folder)
        return moved

    # -- sessions and trials ----------------------------------------------------------------
    def start_session(
        self,
        athlete: str | Athlete,
        *,
        protocol: str,
        started_at: When = None,
        board: Mapping[str, Any] | None = None,
        conditions: Mapping[str, Any] | None = None,
        spec: Mapping[str, Any] | None = None,
        source: str = "test",
        notes: str = "",
    ) -> int:
        """Open a session for ``athlete``; returns its id.

        Parameters
        ----------
        athlete : str or Athlete
        protocol : str
            Protocol name (e.g. ``single_leg``).
        started_at : datetime, float (epoch s) or ISO str, optional
            Wall-clock start; now by default.
        board : dict or drivers.base.BoardInfo, optional
            Board kind, name, serial and calibration.
        conditions : dict, optional
            e.g. ``{"eyes": "open", "surface": "firm"}``.
        spec : dataclass or dict, optional
            The protocol description as run.
        source : str, optional
            ``test``, ``import`` or ``demo``.
        """
        a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
        when = _iso(started_at)
        with self._tx() as db:
            cur = db.execute(
                """INSERT INTO sessions (athlete_id, protocol, started_at, status, source, board_json,
                   conditions_json, spec_json, software_version, notes) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)""",
                (a.id, str(protocol), when, source, _dumps(board or {}), _dumps(conditions or {}),
                 _dumps(spec or {}), __version__, notes),
            )  # fmt: skip
            sid = int(cur.lastrowid)  # type: ignore[arg-type]  # lastrowid is set after an INSERT
            # held until finish_session or this process ends; taken before COMMIT, so no other
            # process can see this session open without its lock (see close_abandoned_sessions)
            self._hold_session_lock(sid)
            return sid

    def add_trial(
        self,
        session_id: int,
        trial: TrialResult,
        *,
        raw_path: str | os.PathLike[str] | None = None,
        store_samples: bool = True,
        recorded_at: When = None,
    ) -> int:
        """Store one trial and its measures in one transaction; returns the trial id.

        Parameters
        ----------
        session_id : int
        trial : protocols.results.TrialResult
            What the engine (or ``balance import``) produced.
        raw_path : path-like, optional
            The raw recording written before analysis (default: ``trial.raw_path`` if present).
        store_samples : bool, optional
            Keep a compressed copy of the samples in the database (default True).
        recorded_at : optional
            Wall-clock time of the trial; default ``trial.started_at`` if present, else now.

        Raises
        ------
        UnknownSessionError
        StoreError
            The disk is full or the database is read-only; nothing of this trial was stored and
            every earlier trial is intact. The message names the raw file, which still holds the data.
        """
        protocol = trial.protocol
        side = Side.of(trial.side or "both").value
        condition = trial.condition
        measures = dict(trial.measures)
        params = trial.params
        raw_s = str(Path(raw_path).expanduser().resolve()) if raw_path else None
        recording = trial.recording
        blob = None
        n = 0
        fs = None
        meta: dict[str, Any] = {}
        if recording is not None:
            packed, n, fs, meta = _pack_recording(recording)
            blob = packed if store_samples else None
        extra = {k: v for k, v in trial.summary().items() if k not in _TRIAL_COLUMNS_IN_SUMMARY}
        if meta:
            extra["recording_meta"] = meta
        when = recorded_at if recorded_at is not None else trial.started_at
        failure_kind = trial.failure_kind
        try:
            with self._tx() as db:
                if db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                    raise UnknownSessionError(f"no session {session_id} in {self.path}")
                cur = db.execute(
                    """INSERT INTO trials (session_id, protocol, side, condition, trial_index, practice, valid,
                       failure_kind, failure_time_s, duration_s, recorded_at, raw_path, n_samples, fs_hz,
                       samples_blob, params_json, extra_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (session_id, protocol, side, condition, int(trial.trial_index), int(trial.practice),
                     int(trial.valid), failure_kind, _float_or_none(trial.failure_time_s),
                     _float_or_none(trial.duration_s), _iso(when), raw_s, n, fs, blob,
                     _dumps(params), _dumps(extra)),
                )  # fmt: skip
                tid = int(cur.lastrowid)  # type: ignore[arg-type]  # lastrowid is set after an INSERT
                db.executemany(
                    "INSERT INTO measures (trial_id, key, value) VALUES (?, ?, ?)",
                    [(tid, str(k), _float_or_none(v)) for k, v in measures.items()],
                )
            return tid
        except (sqlite3.Error, OSError) as err:
            where = f"; its raw samples are safe in {raw_s}" if raw_s else ""
            if _is_disk_full(err):
                raise StoreError(
                    f"the disk holding {self.path} is full: trial {side} #{getattr(trial, 'trial_index', '?')} was not "
                    f"saved{where}; every earlier trial is saved. Free some space and run the test again"
                ) from err
            raise StoreError(f"could not save the trial in {self.path} ({err}){where}") from err

    def finish_session(
        self,
        session_id: int,
        *,
        status: str = "complete",
        comparison: Mapping[str, Any] | None = None,
        finished_at: When = None,
    ) -> None:
        """Close a session: ``status`` (``complete``/``incomplete``) and the left/right comparison."""
        if status not in ("complete", "incomplete", "open"):
            raise StoreError(f"session status {status!r} is not one of complete, incomplete, open")
        with self._tx() as db:
            cur = db.execute(
                "UPDATE sessions SET status = ?, finished_at = ?, comparison_json = ? WHERE id = ?",
                (status, _iso(finished_at), None if comparison is None else _dumps(comparison), session_id),
            )
            if cur.rowcount != 1:
                raise UnknownSessionError(f"no session {session_id} in {self.path}")
        if status != "open":
            self._release_session_lock(session_id)

    def discard_session(self, session_id: int) -> None:
        """Delete a session and its trials and measures (a failed import); its files are the caller's."""
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),))

    def discard_empty_session(self, session_id: int) -> bool:
        """Delete session ``session_id`` if no trial was saved in it (a test stopped before its first trial);
        True if it was deleted. A session with any trial is never touched."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM trials WHERE session_id = ? LIMIT 1", (session_id,)).fetchone():
                return False
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def set_session_comparison(self, session_id: int, comparison: Mapping[str, Any]) -> None:
        """Store (or replace) the left/right comparison of a session."""
        with self._tx() as db:
            db.execute("UPDATE sessions SET comparison_json = ? WHERE id = ?", (_dumps(comparison), session_id))

    _SESSION_SQL = """SELECT id, athlete_id, protocol, started_at, finished_at, status, source, board_json,
                      conditions_json, spec_json, comparison_json, software_version, notes FROM sessions"""
    _TRIAL_SQL = """SELECT id, session_id, protocol, side, condition, trial_index, practice, valid, failure_kind,
                    failure_time_s, duration_s, recorded_at, raw_path, n_samples, fs_hz, params_json, extra_json
                    FROM trials"""

    def _trials(self, session_ids: list[int], *, with_recordings: bool) -> dict[int, list[StoredTrial]]:
        out: dict[int, list[StoredTrial]] = {sid: [] for sid in session_ids}
        if not session_ids:
            return out
        db = self._db
        marks = ",".join("?" * len(session_ids))
        rows = db.execute(self._TRIAL_SQL + f" WHERE session_id IN ({marks}) ORDER BY id", session_ids).fetchall()
        measures: dict[int, dict[str, float]] = {r[0]: {} for r in rows}
        for tid, key, value in db.execute(
            f"SELECT m.trial_id, m.key, m.value FROM measures m JOIN trials t ON m.trial_id = t.id "
            f"WHERE t.session_id IN ({marks})",
            session_ids,
        ):
            measures[tid][key] = float("nan") if value is None else float(value)
        for r in rows:
            extra = json.loads(r[16] or "{}")
            rec = None
            if with_recordings:
                rec = self._load_recording(r[0], r[14], extra.get("recording_meta", {}), r[12])
            out[r[1]].append(
                StoredTrial(
                    id=r[0], session_id=r[1], protocol=r[2], side=r[3], condition=r[4], trial_index=r[5],
                    practice=bool(r[6]), valid=bool(r[7]), failure_kind=r[8], failure_time_s=r[9],
                    duration_s=r[10], recorded_at=r[11], raw_path=r[12], n_samples=r[13], fs_hz=r[14],
                    params=json.loads(r[15] or "{}"), measures=measures[r[0]], extra=extra, recording=rec,
                    status=extra.get("status"), attempt=int(extra.get("attempt") or 1),
                )  # fmt: skip
            )
        return out

    def _load_recording(
        self, trial_id: int, fs_hz: float | None, meta: dict[str, Any], raw_path: str | None
    ) -> Recording | None:
        row = self._db.execute("SELECT samples_blob FROM trials WHERE id = ?", (trial_id,)).fetchone()
        if row is not None and row[0] is not None:
            return _unpack_recording(row[0], fs_hz, meta)
        if raw_path and Path(raw_path).is_file():
            try:
                from drivers.formats import read_any  # type: ignore[import-not-found]  # drivers is not type-checked with the app
            except ImportError:  # pragma: no cover - formats module always shipped
                return None
            return read_any(raw_path)
        return None

    def trial_recording(self, trial_id: int) -> Recording | None:
        """The samples of one trial as a :class:`balance.recording.Recording` (None if not kept)."""
        with self._lock:
            row = self._db.execute("SELECT fs_hz, extra_json, raw_path FROM trials WHERE id = ?", (trial_id,)).fetchone()
            if row is None:
                raise StoreError(f"no trial {trial_id} in {self.path}")
            return self._load_recording(trial_id, row[0], json.loads(row[1] or "{}").get("recording_meta", {}), row[2])

    def _session_objs(self, rows: list[tuple[Any, ...]], *, with_recordings: bool) -> list[Session]:
        trials = self._trials([r[0] for r in rows], with_recordings=with_recordings)
        athletes: dict[int, Athlete] = {}
        out = []
        for r in rows:
            if r[1] not in athletes:
                athletes[r[1]] = self._get_athlete_by_id(r[1])
            out.append(
                Session(
                    id=r[0], athlete=athletes[r[1]], protocol=r[2], started_at=r[3], finished_at=r[4], status=r[5],
                    source=r[6], board=json.loads(r[7] or "{}"), conditions=json.loads(r[8] or "{}"),
                    spec=json.loads(r[9] or "{}"), comparison=None if r[10] is None else json.loads(r[10]),
                    software_version=r[11], notes=r[12] or "", trials=trials[r[0]],
                )  # fmt: skip
            )
        return out

    def sessions(
        self, athlete: str | Athlete | None = None, *, protocol: str | None = None, with_recordings: bool = False
    ) -> list[Session]:
        """Sessions of one athlete (or everyone's with None), oldest first, with trials and measures."""
        with self._lock:
            where, args = [], []
            if athlete is not None:
                a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
                where.append("athlete_id = ?")
                args.append(a.id)
            if protocol is not None:
                where.append("protocol = ?")
                args.append(protocol)
            sql = self._SESSION_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY started_at, id"
            rows = self._db.execute(sql, args).fetchall()
            return self._session_objs(rows, with_recordings=with_recordings)

    def session(self, session_id: int, *, with_recordings: bool = True) -> Session:
        """One session with its trials, measures and (by default) recordings."""
        with self._lock:
            rows = self._db.execute(self._SESSION_SQL + " WHERE id = ?", (int(session_id),)).fetchall()
            if not rows:
                raise UnknownSessionError(
                    f"no session {session_id} in {self.path}: list sessions with `balance history ATHLETE`"
                )
            return self._session_objs(rows, with_recordings=with_recordings)[0]

    def latest_session(self, athlete: str | Athlete, *, with_recordings: bool = True) -> Session:
        """The newest session of ``athlete``."""
        with self._lock:
            a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
            row = self._db.execute(
                "SELECT id FROM sessions WHERE athlete_id = ? ORDER BY started_at DESC, id DESC LIMIT 1", (a.id,)
            ).fetchone()
        if row is None:
            raise UnknownSessionError(f"{a.label} has no sessions yet: run `balance test single-leg --athlete {a.label}`")
        return self.session(row[0], with_recordings=with_recordings)

    def measure_keys(self, athlete: str | Athlete | None = None) -> list[str]:
        """Measure keys present (for one athlete, or anyone), sorted."""
        with self._lock:
            if athlete is None:
                rows = self._db.execute("SELECT DISTINCT key FROM measures ORDER BY key").fetchall()
            else:
                a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
                rows = self._db.execute(
                    "SELECT DISTINCT m.key FROM measures m JOIN trials t ON m.trial_id = t.id "
                    "JOIN sessions s ON t.session_id = s.id WHERE s.athlete_id = ? ORDER BY m.key",
                    (a.id,),
                ).fetchall()
        return [r[0] for r in rows]

    def history(
        self,
        athlete: str | Athlete,
        measure: str,
        *,
        protocol: str | None = None,
        condition: str | None = None,
        include_practice: bool = False,
        valid_only: bool = True,
    ) -> list[HistoryPoint]:
        """One measure across sessions: a point per session, condition and side, oldest first.

        Only valid, non-practice trials count by default. ``mean`` is the arithmetic mean of the
        trials, ``sd`` their sample SD (ddof=1).

        Raises
        ------
        StoreError
            ``measure`` was never recorded for this athlete; the message lists the keys that were.
        """
        a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
        sql = """SELECT s.id, s.started_at, s.protocol, t.condition, t.side, m.value
                 FROM measures m JOIN trials t ON m.trial_id = t.id JOIN sessions s ON t.session_id = s.id
                 WHERE s.athlete_id = ? AND m.key = ?"""
        args: list[Any] = [a.id, measure]
        if protocol is not None:
            sql += " AND s.protocol = ?"
            args.append(protocol)
        if condition is not None:
            sql += " AND t.condition = ?"
            args.append(condition)
        if not include_practice:
            sql += " AND t.practice = 0"
        if valid_only:
            sql += " AND t.valid = 1"
        sql += " ORDER BY s.started_at, s.id, t.condition, t.side, t.id"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        if not rows and measure not in self.measure_keys(a):
            keys = self.measure_keys(a)
            close = difflib.get_close_matches(measure, keys, n=3, cutoff=0.4)
            raise StoreError(
                f"no measure {measure!r} recorded for {a.label}"
                + (f"; did you mean {', '.join(close)}?" if close else "")
                + (f" Recorded measures include: {', '.join(keys[:8])}" if keys else " (no trials yet)")
            )
        groups: dict[tuple[int, str, str], list[Any]] = {}
        info: dict[tuple[int, str, str], tuple[str, str]] = {}
        for sid, started, proto, cond, side, value in rows:
            k = (sid, cond, side)
            groups.setdefault(k, []).append(float("nan") if value is None else float(value))
            info[k] = (started, proto)
        out = []
        for (sid, cond, side), vals in groups.items():
            finite = [v for v in vals if math.isfinite(v)]
            mean = sum(finite) / len(finite) if finite else float("nan")
            sd = (
                math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1)) if len(finite) > 1 else float("nan")
            )
            started, proto = info[(sid, cond, side)]
            out.append(HistoryPoint(sid, started, proto, cond, side, measure, tuple(finite), mean, sd))
        return out


def _check_sex(sex: str | None) -> str | None:
    """'F', 'M' or None (from f/m/female/male, any case; '' clears)."""
    if sex is None or not sex.strip():
        return None
    s = sex.strip().upper()[:1]
    if s not in ("F", "M") or sex.strip().lower() not in ("f", "m", "female", "male"):
        raise StoreError(f"sex {sex!r} is not understood: use F or M (or leave it out)")
    return s
#: Longest athlete name or code accepted (characters).
MAX_LABEL_CHARS = 100


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ANSI escapes, CR, LF) and undecodable
    bytes (surrogates) become U+FFFD, so a name can neither move the cursor nor crash a print."""
    import unicodedata

    if text.isprintable():
        return text
    return "".join(
        c if c == " " or unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp") else "\ufffd" for c in text
    )


def _check_text(what: str, text: str | None, *, max_chars: int | None = MAX_LABEL_CHARS, lines: bool = False) -> None:
    """Refuse a name, code or note that is too long, not valid text, or holds control characters."""
    import unicodedata

    if text is None:
        return
    if max_chars is not None and len(text) > max_chars:
        raise StoreError(f"the {what} is {len(text)} characters long: give at most {max_chars}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(
            f"the {what} {printable(text)!r} holds bytes that are not valid text (not UTF-8): type it again"
        ) from None
    allowed = "\n\t" if lines else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise StoreError(
            f"the {what} {printable(text)!r} holds control characters (escape sequences, line breaks): "
            "give plain text"
        )


def _check_person(birth_year: int | None, mass_kg: float | None) -> None:
    this_year = datetime.now(timezone.utc).year
    if birth_year is not None and not (1900 <= int(birth_year) <= this_year):
        raise StoreError(f"birth year {birth_year} is not plausible: give a four-digit year between 1900 and {this_year}")
    if mass_kg is not None and not (10.0 <= float(mass_kg) <= 300.0):
        raise StoreError(f"mass {mass_kg} kg is not plausible: give the body mass in kg (10 to 300)")


#: TrialResult.summary() keys kept in their own columns (not duplicated into ``extra_json``).
_TRIAL_COLUMNS_IN_SUMMARY = frozenset(
    {"protocol", "side", "condition", "trial_index", "practice", "valid", "failure_kind", "failure_time_s",
     "duration_s", "measures", "analysis_params", "n_samples", "started_at"}
)


def _safe_component(text: str) -> str:
    """A string usable as one path component (codes are already simple; be safe anyway)."""
    keep = "".join(c if (c.isalnum() or c in "-_.") else "_" for c in str(text)).strip(".")
    return keep or "_"
