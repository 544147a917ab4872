"""What the store hands out: athletes, sessions and trials (the house records), history points, delete reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from balance.app.store.checks import printable
from balance.model import SessionRecord, Side, TrialRecord

#: A wall-clock time as the store accepts it: a datetime, epoch seconds, an ISO 8601 string or None (now).
When = datetime | float | str | None

#: Values of ``trials.side``.
SIDES: tuple[str, ...] = tuple(s.value for s in Side)


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
