"""The rows of the team page: each athlete's last test, headline left-vs-right result, change since the
first session and whether they got worse, read for the whole team in a few queries.

The headline is the console's (:func:`balance.app.console.comparison_table`): the stored comparison of the
athlete's latest single-leg session (:func:`protocols.sides.side_comparisons`), for the first measure of the
left-vs-right table that the session has (side-to-side sway speed first), in the same words. The change
since the first session is ``balance progress``'s (:func:`protocols.compare.progress` of the same measure,
condition and sessions as the progress chart). Nothing is recomputed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from balance.app.localtime import local_minute
from balance.catalogue import LEFT_RIGHT_TABLE

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.store import Athlete, Session, Store
    from protocols.compare import Progress, SideComparison

__all__ = ["TeamRow", "TeamCache", "team_rows", "headline_of", "worse_reasons", "TEAM_PROTOCOL"]

#: The protocol whose sessions give the team page's left-vs-right headline and change.
TEAM_PROTOCOL = "single_leg"


@dataclass(frozen=True)
class TeamRow:
    """One athlete on the team page.

    Attributes
    ----------
    code, label : str
        Pseudonymous code; the name (or the code when no name is stored).
    group : str
        The athlete's group tag ("" if none).
    n_sessions : int
    last_test : str
        Local date and time of the newest session of any protocol ("" when none).
    session_id : int or None
        The latest single-leg session (the headline's).
    headline : str
        The console's sentence for that session ("" when there is no left/right comparison).
    more_side : str or None
        ``left``/``right``: the leg with more sway in the headline measure.
    percent_more : float
        How much more (% of the smaller side).
    beyond_noise : bool or None
        Whether the headline difference is larger than the MDC95 (None without a comparison).
    change : str
        Symmetry index at the first and latest single-leg session, e.g. ``+4 % → +19 %`` ("" with fewer
        than two sessions).
    change_words : str
        ``balance progress``'s sentences of that change (left, right, asymmetry).
    worse : tuple of str
        Why the athlete got worse since the first session (empty when they did not).
    """

    code: str
    label: str
    group: str
    n_sessions: int
    last_test: str
    session_id: int | None
    headline: str
    more_side: str | None
    percent_more: float
    beyond_noise: bool | None
    change: str
    change_words: tuple[str, ...]
    worse: tuple[str, ...]

    @property
    def search_text(self) -> str:
        """What the search box matches (code, name, group), lower case."""
        return f"{self.code} {self.label} {self.group}".lower()


def headline_of(session: Session) -> SideComparison | None:
    """The console's headline comparison of a session: the first measure of the left-vs-right table with a
    comparison (side-to-side sway speed first), in the first condition recorded; None without one."""
    from balance.app.summary import conditions_of
    from protocols.sides import side_comparisons, stored_sides

    stored = stored_sides(session.comparison)
    if stored:
        for key in LEFT_RIGHT_TABLE:
            hit = next((s for s in stored if s.measure == key), None)
            if hit is not None:
                return hit
    for key in LEFT_RIGHT_TABLE:
        for cond in conditions_of(session):
            comps = side_comparisons(session.trials, session.comparison, measures=[key], condition=cond)
            if key in comps:
                return comps[key]
    return None


def _needs_trials(session: Session) -> bool:
    """True when the stored comparison does not give the headline (older rules, none stored)."""
    from protocols.sides import stored_sides

    stored = {s.measure for s in stored_sides(session.comparison)}
    return not any(k in stored for k in LEFT_RIGHT_TABLE)


def worse_reasons(prog: Progress) -> tuple[str, ...]:
    """Why an athlete got worse since the first session, in words (empty when they did not).

    Worse means, beyond the athlete's own noise (MDC95, as ``balance progress`` judges change): the
    asymmetry grew (the symmetry index moved away from 0), or a leg sways more than at baseline.
    """
    out = []
    a = prog.asymmetry
    if a.beyond_mdc and math.isfinite(a.latest) and math.isfinite(a.baseline) and abs(a.latest) > abs(a.baseline):
        out.append(a.sentence)
    for side in (prog.left, prog.right):
        if side.beyond_mdc and side.change > 0:
            out.append(side.sentence)
    return tuple(out)


def _progress(points: list[Any], measure: str) -> Progress | None:
    """``balance progress``'s progress of one measure (its main condition), or None with no points."""
    from balance.app.progress_chart import session_points
    from protocols import compare

    if not points:
        return None
    key, _cond, pts = session_points(points, measure=measure)
    return compare.progress(pts, measure=key)


def team_rows(store: Store, query: str = "", memo: dict[Any, Any] | None = None) -> list[TeamRow]:
    """Every athlete's row of the team page (those matching ``query``), in the store's order (by code).

    Six queries whatever the team's size: the athletes, their latest single-leg sessions, the trials and
    measures of those whose stored comparison is missing (older rules), and one measure's history for
    everyone (two with two headline measures). ``memo`` (a dict kept by the caller) remembers each
    athlete's progress by its history, so after one new session only that athlete's is computed again.
    """
    everyone = store.list_athletes()
    by_id = {a.id: a for a in everyone}
    athletes = [a for a in everyone if _matches(a, query)]
    latest = store.latest_sessions(TEAM_PROTOCOL, athletes=by_id)
    reload = [s.id for s in latest.values() if _needs_trials(s)]
    if reload:
        full = store.sessions_by_id(reload, athletes=by_id)
        latest = {aid: full.get(s.id, s) for aid, s in latest.items()}
    heads = {aid: headline_of(s) for aid, s in latest.items()}
    measures = {h.measure for h in heads.values() if h is not None}
    history = {m: store.team_history(m, protocol=TEAM_PROTOCOL) for m in sorted(measures)}
    rows = []
    for a in athletes:
        rows.append(_row(a, latest.get(a.id), heads.get(a.id), history, {} if memo is None else memo))
    return rows


def _matches(a: Athlete, query: str) -> bool:
    """True when every word of ``query`` occurs in the athlete's code, name or group (case-insensitive)."""
    text = f"{a.code} {a.name or ''} {a.group or ''}".lower()
    return all(w in text for w in query.lower().split())


def _change(points: list[Any], measure: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(symmetry index first → latest, the progress sentences, why worse) of one athlete's history."""
    prog = _progress(points, measure)
    if prog is None:
        return "", (), ()
    si = [v for v in prog.asymmetry.si_pct if math.isfinite(v)]
    change = f"{prog.asymmetry.baseline:+.0f} % → {prog.asymmetry.latest:+.0f} %" if len(si) >= 2 else ""
    return change, tuple(prog.summary), worse_reasons(prog)


def _row(a: Athlete, session: Session | None, head: SideComparison | None,
         history: dict[str, dict[int, list[Any]]], memo: dict[Any, Any]) -> TeamRow:  # fmt: skip
    change: str = ""
    words: tuple[str, ...] = ()
    worse: tuple[str, ...] = ()
    if head is not None:
        points = history.get(head.measure, {}).get(a.id, [])
        key = (head.measure, tuple((p.session_id, p.started_at, p.condition, p.side, p.values) for p in points))
        if key not in memo:
            if len(memo) > 10_000:
                memo.clear()
            memo[key] = _change(points, head.measure)
        change, words, worse = memo[key]
    return TeamRow(
        code=a.code,
        label=a.name or a.code,
        group=a.group or "",
        n_sessions=a.n_sessions,
        last_test=local_minute(a.last_session_at),
        session_id=session.id if session is not None else None,
        headline=head.sentence if head is not None else "",
        more_side=head.more_side if head is not None else None,
        percent_more=head.percent_more if head is not None else math.nan,
        beyond_noise=head.beyond_mdc if head is not None else None,
        change=change,
        change_words=words,
        worse=worse,
    )


class TeamCache:
    """The whole team's rows, kept until the database changes (:meth:`Store.change_marker`), so a coach
    reloading the team page or searching does not recompute every athlete's progress."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._rows: list[TeamRow] = []
        self._memo: dict[Any, Any] = {}

    def rows(self, store: Store, query: str = "") -> list[TeamRow]:
        """:func:`team_rows` of ``store`` matching ``query`` (every word in the code, name or group)."""
        key = (str(store.path), store.change_marker())
        with self._lock:
            if key != self._key:
                self._rows, self._key = team_rows(store, memo=self._memo), key
            rows = self._rows
        words = query.lower().split()
        return [r for r in rows if all(w in r.search_text for w in words)]
