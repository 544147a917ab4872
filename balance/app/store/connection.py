"""Opening the history database: file checks, SQLite settings, schema migration with a backup."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from balance import __version__
from balance.app.migrations import LATEST_VERSION, migrate, schema_version
from balance.app.paths import default_db_path, ensure_private_dir
from balance.app.store import errors as _errors
from balance.app.store.errors import (
    NewerDatabaseError,
    NotADatabaseError,
    StoreError,
    database_error,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


def connect(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> tuple[sqlite3.Connection, Path]:
    """The SQLite connection to the history database ``path`` and its resolved path: refused when it is
    not a balance database or is newer than this balance, created or migrated (older schemas backed up
    first). See :meth:`balance.app.store.Store.open` for the parameters and errors."""
    p = default_db_path(path).resolve()
    _errors.last_opened_path = p
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
        mode = _set_wal(conn)
        if str(mode).lower() != "wal":  # pragma: no cover - filesystems without shared memory
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        if version < LATEST_VERSION:
            backed_up: list[bool] = []

            def backup_once(_: int) -> None:
                if version >= 1 and not backed_up:
                    _backup(conn, p.with_name(f"{p.name}.v{version}.bak"))
                    backed_up.append(True)

            migrate(conn, before_step=backup_once)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as err:  # damaged text decodes badly
        conn.close()
        raise database_error(p, err) from err
    except BaseException:
        conn.close()
        raise
    return conn, p


def _set_wal(conn: sqlite3.Connection, wait_s: float = 10.0) -> str:
    """Switch ``conn`` to write-ahead logging; returns the journal mode SQLite reports.

    Changing the journal mode needs a moment alone with the file, and SQLite answers "database
    is locked" at once (without its busy handler) while another process holds the file, as when
    several ``balance`` processes open a new database together. Retry for up to ``wait_s`` s.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _backup(conn: sqlite3.Connection, dest: Path) -> None:
    fd = os.open(dest, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.close(fd)
    target = sqlite3.connect(dest)
    try:
        conn.backup(target)
    finally:
        target.close()
