"""Reading back: sessions with their trials and measures, a trial's samples, a measure's history per side."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from balance.app.store.athletes import AthletesMixin
from balance.app.store.errors import StoreError, UnknownSessionError
from balance.app.store.records import Athlete, HistoryPoint, Session, StoredTrial
from balance.app.store.rows import _unpack_recording

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.recording import Recording


class HistoryMixin(AthletesMixin):
    """Sessions, trials and history read from a :class:`Store`."""

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
            stored = json.loads(r[16] or "{}")  # TrialRecord.summary() without the columns
            meta = stored.pop("recording_meta", {})
            rec = self._load_recording(r[0], r[14], meta, r[12]) if with_recordings else None
            window = stored.get("analysis_window_s")
            out[r[1]].append(
                StoredTrial(
                    id=r[0], session_id=r[1], protocol=r[2], side=r[3], condition=r[4], trial_index=r[5],
                    practice=bool(r[6]), valid=bool(r[7]), failure_kind=r[8], failure_time_s=r[9],
                    duration_s=r[10], recorded_at=r[11], raw_path=r[12], n_samples=r[13], fs_hz=r[14],
                    params=json.loads(r[15] or "{}"), measures=measures[r[0]], extra=stored.get("extra") or {},
                    recording=rec, status=stored.get("status"), attempt=int(stored.get("attempt") or 1),
                    planned_duration_s=stored.get("planned_duration_s"), eyes=stored.get("eyes") or "open",
                    surface=stored.get("surface") or "firm", phase=stored.get("phase"),
                    start_s=_nan(stored.get("start_s")), end_s=_nan(stored.get("end_s")),
                    liftoff_s=stored.get("liftoff_s"), analysis_window_s=None if window is None else tuple(window),
                    analysis_error=stored.get("analysis_error"), body_mass_kg=stored.get("body_mass_kg"),
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

    def _session_objs(
        self,
        rows: list[tuple[Any, ...]],
        *,
        with_recordings: bool,
        with_trials: bool = True,
        athletes: dict[int, Athlete] | None = None,
    ) -> list[Session]:
        if with_trials:
            trials = self._trials([r[0] for r in rows], with_recordings=with_recordings)
        else:
            trials = {r[0]: [] for r in rows}
        athletes = {} if athletes is None else dict(athletes)
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
        return history_points(rows, measure)


def history_points(rows: Iterable[tuple[Any, ...]], measure: str) -> list[HistoryPoint]:
    """One :class:`HistoryPoint` per session, condition and side from rows ``(session id, started_at,
    protocol, condition, side, value)`` in session order (the rows of :meth:`HistoryMixin.history`)."""
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
        sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1)) if len(finite) > 1 else float("nan")
        started, proto = info[(sid, cond, side)]
        out.append(HistoryPoint(sid, started, proto, cond, side, measure, tuple(finite), mean, sd))
    return out


def _nan(v: float | None) -> float:
    """A stored JSON number (None for NaN) as a float."""
    return math.nan if v is None else float(v)
