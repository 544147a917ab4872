"""Housekeeping at open: sessions left open by processes that died, raw folders of older versions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime, timezone

from balance.app.store.base import StoreBase
from balance.app.store.checks import _safe_component
from balance.app.store.errors import StoreError
from balance.app.store.rows import utc_now_iso

#: A session left ``open`` without a lock file (older versions) is abandoned after this long (s).
ABANDONED_AFTER_S = 6 * 3600.0


class HousekeepingMixin(StoreBase):
    """Tidying a :class:`Store` after crashes and upgrades."""

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
