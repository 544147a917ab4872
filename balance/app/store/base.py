"""The store's ground: the connection, one lock, the write transaction, session lock files, closing."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from balance.app.migrations import schema_version
from balance.app.paths import ensure_private_dir, raw_dir_for
from balance.app.store.errors import StoreError

_S = TypeVar("_S", bound="StoreBase")


class StoreBase:
    """The connection, its lock and the write transaction that every part of :class:`Store` uses."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        #: Directory of the raw recordings belonging to this database.
        self.raw_dir = raw_dir_for(path)
        self._lock = threading.RLock()
        #: Lock file descriptors of the sessions this process has open (see start_session).
        self._session_locks: dict[int, int] = {}

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

    def __enter__(self: _S) -> _S:
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
