"""The write path: a session started, each trial in its own transaction, the session finished or discarded."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from balance import __version__
from balance.app.store.athletes import AthletesMixin
from balance.app.store.checks import _check_text
from balance.app.store.errors import StoreError, UnknownSessionError, _is_disk_full
from balance.app.store.records import Athlete, When
from balance.app.store.rows import _TRIAL_COLUMNS_IN_SUMMARY, _dumps, _float_or_none, _iso, _pack_recording

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.model import TrialRecord


class WritesMixin(AthletesMixin):
    """Sessions and trials written to a :class:`Store`."""

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
        trial: TrialRecord,
        *,
        raw_path: str | os.PathLike[str] | None = None,
        store_samples: bool = True,
        recorded_at: When = None,
    ) -> int:
        """Store one trial and its measures in one transaction; returns the trial id.

        Parameters
        ----------
        session_id : int
        trial : balance.model.TrialRecord
            What the engine (or ``balance import``) produced; its database fields (``id``,
            ``session_id``, ``raw_path``) are not read.
        raw_path : path-like, optional
            The raw recording written before analysis.
        store_samples : bool, optional
            Keep a compressed copy of the samples in the database (default True).
        recorded_at : optional
            Wall-clock time of the trial; default ``trial.recorded_at`` when set, else now.

        Raises
        ------
        UnknownSessionError
        StoreError
            The disk is full or the database is read-only; nothing of this trial was stored and
            every earlier trial is intact. The message names the raw file, which still holds the data.
        """
        protocol = trial.protocol
        side = trial.side.value
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
        when = recorded_at if recorded_at is not None else (trial.recorded_at or None)
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
                    f"the disk holding {self.path} is full: trial {side} #{trial.trial_index} was not "
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

    def set_session_notes(self, session_id: int, notes: str) -> None:
        """Replace the free-text note of a session (at most 10 000 characters, lines allowed)."""
        _check_text("notes", notes, max_chars=10_000, lines=True)
        with self._tx() as db:
            if db.execute("UPDATE sessions SET notes = ? WHERE id = ?", (notes, int(session_id))).rowcount != 1:
                raise UnknownSessionError(f"no session {session_id} in {self.path}")
