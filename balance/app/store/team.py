"""Reading the whole team at once: each athlete's latest session of a protocol and one measure's history,
in a few queries (the team page of ``balance serve`` lists hundreds of athletes)."""

from __future__ import annotations

from balance.app.store.history import HistoryMixin, history_points
from balance.app.store.records import Athlete, HistoryPoint, Session


class TeamMixin(HistoryMixin):
    """Team-wide reads of a :class:`Store`."""

    def latest_sessions(
        self, protocol: str, *, with_trials: bool = False, athletes: dict[int, Athlete] | None = None
    ) -> dict[int, Session]:
        """Each athlete's newest session of ``protocol`` that is not still running, by athlete id.

        Parameters
        ----------
        protocol : str
            Stored protocol name (``single_leg``...).
        with_trials : bool
            Load the sessions' trials and measures (no samples). By default ``trials`` is empty:
            the stored comparison is enough for most views, and :meth:`sessions_by_id` loads the
            trials of the few that need them.
        athletes : dict of int to Athlete, optional
            Every athlete by id, when the caller has them (:meth:`list_athletes`): saves a query.

        Returns
        -------
        dict of int to Session
            Athletes without such a session are absent.
        """
        sql = self._SESSION_SQL + """ WHERE id IN (
                   SELECT (SELECT s2.id FROM sessions s2 WHERE s2.athlete_id = a.id AND s2.protocol = ?
                           AND s2.status != 'open' ORDER BY s2.started_at DESC, s2.id DESC LIMIT 1)
                   FROM athletes a)"""
        if athletes is None:
            athletes = {a.id: a for a in self.list_athletes()}
        with self._lock:
            rows = self._db.execute(sql, (protocol,)).fetchall()
            sessions = self._session_objs(rows, with_recordings=False, with_trials=with_trials, athletes=athletes)
        return {s.athlete.id: s for s in sessions}

    def sessions_by_id(self, session_ids: list[int], *, athletes: dict[int, Athlete] | None = None) -> dict[int, Session]:
        """Sessions with their trials and measures (no samples), by id; unknown ids are absent.

        ``athletes`` (every athlete by id, when the caller has them) saves a query per athlete."""
        ids = sorted({int(i) for i in session_ids})
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(self._SESSION_SQL + f" WHERE id IN ({marks})", ids).fetchall()
            return {s.id: s for s in self._session_objs(rows, with_recordings=False, athletes=athletes)}

    def team_history(self, measure: str, *, protocol: str) -> dict[int, list[HistoryPoint]]:
        """:meth:`history` of ``measure`` for every athlete at once (valid, non-practice trials), by athlete id.

        One query for the whole team; each athlete's list equals ``history(athlete, measure,
        protocol=protocol)``. Athletes without any value are absent.
        """
        sql = """SELECT s.athlete_id, s.id, s.started_at, s.protocol, t.condition, t.side, m.value
                 FROM measures m JOIN trials t ON m.trial_id = t.id JOIN sessions s ON t.session_id = s.id
                 WHERE m.key = ? AND s.protocol = ? AND t.practice = 0 AND t.valid = 1
                 ORDER BY s.athlete_id, s.started_at, s.id, t.condition, t.side, t.id"""
        with self._lock:
            rows = self._db.execute(sql, (measure, protocol)).fetchall()
        per: dict[int, list[tuple[object, ...]]] = {}
        for r in rows:
            per.setdefault(r[0], []).append(r[1:])
        return {aid: history_points(rs, measure) for aid, rs in per.items()}

    def change_marker(self) -> tuple[int, int]:
        """A value that changes whenever the database changes, through this store or any other connection
        (``PRAGMA data_version`` and this connection's ``total_changes``): a cache key for team views."""
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            return int(version), int(self._conn.total_changes)
