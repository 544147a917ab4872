"""The house vocabulary: sides, stances, eyes, surfaces, board geometry and the records of a
trial and a session. Pure data, no I/O.

The enums are ``str``-valued: ``Side.LEFT == "left"``, ``json.dumps(Side.LEFT)`` writes
``"left"`` and ``f"{Side.LEFT}"`` is ``left`` on every supported Python, so stored values,
JSON and CSV stay what they were; a plain string from an old database or a JSON file reads
back with ``Side(value)``.

:class:`TrialRecord` and :class:`SessionRecord` are the frozen records every view reads
(console, report, export, history). The store persists them and reloads them as they are.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.recording import Recording

__all__ = [
    "Side",
    "Stance",
    "Eyes",
    "Surface",
    "TrialStatus",
    "BoardGeometry",
    "WII_BALANCE_BOARD",
    "MeasureInfo",
    "TrialRecord",
    "SessionRecord",
]


class _StrEnum(str, enum.Enum):
    """A str-valued enum that prints and formats as its value on Python 3.10-3.13
    (``enum.StrEnum`` arrived in 3.11)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Side(_StrEnum):
    """Stance leg of a trial: one leg, or both feet (bilateral stance, squats)."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"

    @property
    def words(self) -> str:
        """How the console and the live window say it: "LEFT leg", "RIGHT leg", "both legs"."""
        return {"left": "LEFT leg", "right": "RIGHT leg", "both": "both legs"}[self.value]

    @classmethod
    def of(cls, value: object) -> "Side":
        """``value`` (a Side, ``"left"``, ``"Left"``, an enum whose value is one of these) as a Side.

        Raises
        ------
        ValueError
            When ``value`` names no side; the message lists the valid ones.
        """
        raw = value.value if isinstance(value, enum.Enum) else value
        try:
            return cls(str(raw).strip().lower())
        except ValueError:
            raise ValueError(f"side {value!r} is not one of {', '.join(s.value for s in cls)}") from None


class Stance(_StrEnum):
    """What the person stands on in a block of a protocol."""

    SINGLE_LEG = "single_leg"
    BILATERAL = "bilateral"
    SQUAT = "squat"


class Eyes(_StrEnum):
    """Eyes open or closed during a trial."""

    OPEN = "open"
    CLOSED = "closed"


class Surface(_StrEnum):
    """What the board is covered with during a trial."""

    FIRM = "firm"
    FOAM = "foam"


class TrialStatus(_StrEnum):
    """How a trial ended (``docs/failure-detection.md``)."""

    COMPLETE = "complete"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class BoardGeometry:
    """Distances between the load cells of a four-sensor board.

    Parameters
    ----------
    width_mm : float
        Left-right (mediolateral) distance between sensor centres (mm).
    length_mm : float
        Front-back (anteroposterior) distance between sensor centres (mm).
    """

    width_mm: float
    length_mm: float

    def __post_init__(self) -> None:
        if not (self.width_mm > 0 and self.length_mm > 0):
            raise ValueError(
                f"sensor spacing must be positive, got width_mm={self.width_mm}, "
                f"length_mm={self.length_mm}"
            )


#: Wii Balance Board sensor spacing, 433 mm x 238 mm (Leach et al. 2014, Sensors 14:18244;
#: ``docs/wii-balance-board.md``).
WII_BALANCE_BOARD = BoardGeometry(width_mm=433.0, length_mm=238.0)


@dataclass(frozen=True)
class MeasureInfo:
    """One entry of the measure catalogue (:data:`balance.sway.MEASURES`, :mod:`balance.catalogue`).

    Attributes
    ----------
    key : str
        Column name, with its unit (``mean_velocity_ml_mm_s``).
    unit : str
        Unit (``"mm"``, ``"mm/s"``, ``"mm²"``, ``"mm²/s"``, ``"Hz"``, ``"s"``, ``"1"`` for dimensionless).
    description : str
        Plain-language description.
    formula : str
        The formula, in the notation of the module docstring.
    reference : str
        Where the definition comes from.
    group : str
        Computation group (module docstring).
    axis : str
        ``"ml"``, ``"ap"`` or ``"planar"``.
    """

    key: str
    unit: str
    description: str
    formula: str
    reference: str
    group: str
    axis: str


@dataclass(frozen=True)
class TrialRecord:
    """One trial as every view reads it (and as the store keeps it).

    Attributes
    ----------
    id, session_id : int
        Database ids (0 before the trial is stored).
    protocol : str
        Protocol name (``single_leg``, ``bilateral``, ``squat``, ``before_after``, ``import``).
    side : Side
        Stance leg, or both feet.
    condition : str
        ``eyes_open``, ``eyes_closed``; ``before/eyes_open`` in a before/after protocol.
    trial_index : int
        1-based number within side and condition; 0 for a practice trial.
    practice, valid : bool
    failure_kind : str or None
        ``touch_down``, ``step_off``, ``hop``, ``no_stance``, ``disconnected``, ``stopped``.
    failure_time_s : float or None
        Time from the trial start (beep) to the failure (s).
    duration_s : float or None
        Time held from the start beep (s).
    recorded_at : str
        Start of the trial, ISO 8601 UTC.
    raw_path : str or None
        Raw recording file written before analysis.
    n_samples : int
    fs_hz : float or None
    params : dict
        Every preprocessing choice the measures were computed with.
    measures : dict of str to float
        Measure key (unit in the key, ``balance.catalogue``) -> value.
    extra : dict
        Protocol details that are not single numbers (squat reps, failure detail).
    recording : Recording or None
        The samples, when loaded.
    status : TrialStatus or None
        How the trial ended (None in databases older than the status column: read from
        ``valid``/``failure_kind`` by :attr:`outcome`).
    attempt : int
        1 for the first attempt, 2 for the first retry.
    """

    id: int
    session_id: int
    protocol: str
    side: str
    condition: str
    trial_index: int
    practice: bool
    valid: bool
    failure_kind: str | None
    failure_time_s: float | None
    duration_s: float | None
    recorded_at: str
    raw_path: str | None
    n_samples: int
    fs_hz: float | None
    params: dict[str, Any]
    measures: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)
    recording: Recording | None = None
    status: str | None = None
    attempt: int = 1

    @property
    def leg(self) -> Side:
        """:attr:`side` as a :class:`Side`."""
        return Side.of(self.side)

    @property
    def outcome(self) -> TrialStatus:
        """How the trial ended: the stored status, else read from ``valid`` and ``failure_kind``."""
        if self.status:
            return TrialStatus(self.status)
        if self.valid:
            return TrialStatus.COMPLETE
        return TrialStatus.FAILED if self.failure_kind in ("touch_down", "step_off", "hop") else TrialStatus.INCOMPLETE

    def measure(self, key: str) -> float:
        """The value of ``key`` (NaN when absent)."""
        v = self.measures.get(key)
        return math.nan if v is None else float(v)


@dataclass(frozen=True)
class SessionRecord:
    """One test session as every view reads it: its trials and its stored comparison.

    Attributes
    ----------
    id : int
    athlete : Any
        The athlete record of the store (``balance.app.store.Athlete``).
    protocol : str
    started_at, finished_at : str
        ISO 8601 UTC (``finished_at`` None while open or after a crash).
    status : str
        ``open``, ``complete`` or ``incomplete``.
    source : str
        ``test``, ``import`` or ``demo``.
    board, conditions, spec : dict
        Board (kind, name, serial, calibration), conditions and the protocol as run.
    comparison : dict or None
        The comparison stored at the end of the session, with its ``rules_version``
        (``protocols.sides`` reads it).
    software_version : str
    notes : str
    trials : list of TrialRecord
        In recording order.
    """

    id: int
    athlete: Any
    protocol: str
    started_at: str
    finished_at: str | None
    status: str
    source: str
    board: dict[str, Any]
    conditions: dict[str, Any]
    spec: dict[str, Any]
    comparison: dict[str, Any] | None
    software_version: str
    notes: str
    trials: list[TrialRecord]

    @property
    def date(self) -> str:
        """ISO date (YYYY-MM-DD, UTC) of the start."""
        return self.started_at[:10]

    def trials_on(self, side: str, *, valid_only: bool = True, include_practice: bool = False) -> list[TrialRecord]:
        """Trials of one side (``left``/``right``/``both``)."""
        return [
            t
            for t in self.trials
            if t.side == side and (t.valid or not valid_only) and (include_practice or not t.practice)
        ]

    def board_value(self, key: str) -> Any:
        """One entry of the board description (None when absent)."""
        return self.board.get(key) if isinstance(self.board, Mapping) else None
