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


@dataclass(frozen=True, kw_only=True)
class TrialRecord:
    """One trial: what the engine emits, the store keeps and reloads, and every view reads.

    Times called ``*_s`` without "board" in the description are seconds since the trial started
    (the beep); ``start_s``/``end_s`` are on the board's clock, the same clock as the samples in
    :attr:`recording`. Status words (``docs/failure-detection.md``): ``"complete"`` (ran its whole
    planned duration, or all squat repetitions), ``"failed"`` (a failure rule fired: kept, marked
    invalid, with its failure kind and time to failure), ``"incomplete"`` (the board disappeared,
    the run was stopped or the stance never became stable: whatever was recorded is kept).

    Attributes
    ----------
    protocol : str
        Protocol name (``single_leg``, ``bilateral``, ``squat``, ``before_after``, ``import``).
    side : Side
        Stance leg, or both feet (bilateral stance, squats); a plain ``"left"`` given to the
        constructor is read as ``Side.LEFT``.
    condition : str
        ``eyes_open``, ``eyes_closed``; ``before/eyes_open`` in a before/after protocol.
    trial_index : int
        1-based number within side and condition (a retry keeps it); 0 for a practice trial.
    practice : bool
        A practice trial: recorded and stored, never compared.
    valid : bool
        True only for a ``"complete"`` trial whose analysis succeeded.
    failure_kind : str or None
        ``touch_down``, ``step_off``, ``hop`` (failure rules), ``no_stance`` (the stance never
        became stable), ``disconnected``, ``stopped``, ``error``; None when complete.
    failure_time_s : float or None
        Time from the trial start (beep) to the failure (s).
    duration_s : float or None
        Time held from the start beep (s): the planned duration for a complete trial, the time
        to failure for a failed one.
    measures : dict of str to float
        Measure key (unit in the key, ``balance.catalogue``) -> value: sway measures plus
        ``hold_time_s``, ``weight_left_pct``/``weight_right_pct`` (bilateral, squat), ``rep_count``.
    params : dict
        Every preprocessing choice the measures were computed with (``AnalysisResult.params``).
    extra : dict
        Protocol details that are not single numbers: ``"reps"`` (one dict per squat
        repetition), ``"failure_detail"`` (plain-words reason of a failure).
    recording : Recording or None
        The samples (from the stance instruction to the end, board clock, corner loads in kg),
        when loaded.
    status : str or None
        ``"complete"``, ``"failed"`` or ``"incomplete"`` (None in databases older than the
        status: read from ``valid``/``failure_kind`` by :attr:`outcome`).
    attempt : int
        1 for the first attempt, 2 for the first retry.
    planned_duration_s : float or None
        Planned duration (s).
    eyes, surface : str
        ``"open"``/``"closed"``; ``"firm"``/``"foam"``.
    phase : str or None
        ``"before"``/``"after"`` in a before/after protocol.
    start_s, end_s : float
        Board time (s) of the trial start (beep) and end (NaN when unknown).
    liftoff_s : float or None
        Board time (s) the free foot left the board (single-leg stance).
    analysis_window_s : tuple of float or None
        Board-time window ``(start, stop)`` that was analysed (after the trim).
    analysis_error : str or None
        Why the analysis failed (e.g. the held part was too short), when it did.
    body_mass_kg : float or None
        Load (kg) measured on the board in the stable stance before the trial.
    recorded_at : str
        Wall-clock start of the trial, ISO 8601 UTC ("" when unknown).
    id, session_id : int
        Database ids (0 before the trial is stored).
    raw_path : str or None
        Raw recording file written before analysis.
    n_samples : int
        Number of samples (those of :attr:`recording` when it is given).
    fs_hz : float or None
        Nominal sampling rate (Hz) (that of :attr:`recording` when it is given).
    """

    protocol: str
    side: Side
    condition: str
    trial_index: int
    practice: bool
    valid: bool
    failure_kind: str | None
    failure_time_s: float | None
    duration_s: float | None
    measures: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    recording: Recording | None = None
    status: str | None = None
    attempt: int = 1
    planned_duration_s: float | None = None
    eyes: str = "open"
    surface: str = "firm"
    phase: str | None = None
    start_s: float = math.nan
    end_s: float = math.nan
    liftoff_s: float | None = None
    analysis_window_s: tuple[float, float] | None = None
    analysis_error: str | None = None
    body_mass_kg: float | None = None
    recorded_at: str = ""
    id: int = 0
    session_id: int = 0
    raw_path: str | None = None
    n_samples: int = 0
    fs_hz: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side.of(self.side))
        if self.analysis_window_s is not None:
            lo, hi = self.analysis_window_s
            object.__setattr__(self, "analysis_window_s", (float(lo), float(hi)))
        if self.recording is not None:  # the samples, when given, say how many and at what rate
            object.__setattr__(self, "n_samples", len(self.recording))
            object.__setattr__(self, "fs_hz", self.recording.fs_hz)

    @property
    def leg(self) -> Side:
        """:attr:`side` (a :class:`Side`)."""
        return self.side

    @property
    def outcome(self) -> TrialStatus:
        """How the trial ended: the stored status, else read from ``valid`` and ``failure_kind``."""
        if self.status:
            return TrialStatus(self.status)
        if self.valid:
            return TrialStatus.COMPLETE
        return TrialStatus.FAILED if self.failure_kind in ("touch_down", "step_off", "hop") else TrialStatus.INCOMPLETE

    @property
    def failed(self) -> bool:
        """True when a failure rule fired."""
        return self.outcome is TrialStatus.FAILED

    def measure(self, key: str) -> float:
        """The value of ``key`` (NaN when absent)."""
        v = self.measures.get(key)
        return math.nan if v is None else float(v)

    def analysed_recording(self) -> Recording:
        """The analysed part of :attr:`recording` (empty if nothing was analysed).

        Raises
        ------
        ValueError
            The samples were not loaded with the trial.
        """
        rec = self._samples()
        if self.analysis_window_s is None:
            return rec.slice_time(math.inf, math.inf)
        lo, hi = self.analysis_window_s
        return rec.slice_time(lo, hi + 1e-9)

    def trial_recording(self) -> Recording:
        """The samples from the trial start (beep) to its end (see :meth:`analysed_recording`)."""
        rec = self._samples()
        if not math.isfinite(self.start_s):
            return rec.slice_time(math.inf, math.inf)
        return rec.slice_time(self.start_s, self.end_s + 1e-9)

    def _samples(self) -> Recording:
        if self.recording is None:
            raise ValueError(f"trial {self.side} #{self.trial_index} was loaded without its samples: "
                             "load the session with its recordings")  # fmt: skip
        return self.recording

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable description of the trial without the samples (NaN as None).

        The keys other than the database columns are what the store keeps in ``extra_json``.
        """
        return {
            "protocol": self.protocol,
            "side": self.side.value,
            "condition": self.condition,
            "trial_index": self.trial_index,
            "attempt": self.attempt,
            "practice": self.practice,
            "valid": self.valid,
            "status": self.outcome.value,
            "failure_kind": self.failure_kind,
            "failure_time_s": self.failure_time_s,
            "duration_s": self.duration_s,
            "planned_duration_s": self.planned_duration_s,
            "eyes": self.eyes,
            "surface": self.surface,
            "phase": self.phase,
            "start_s": _finite_or_none(self.start_s),
            "end_s": _finite_or_none(self.end_s),
            "liftoff_s": self.liftoff_s,
            "analysis_window_s": None if self.analysis_window_s is None else list(self.analysis_window_s),
            "analysis_params": _jsonable(self.params),
            "measures": {k: _finite_or_none(v) for k, v in self.measures.items()},
            "extra": _jsonable(self.extra),
            "analysis_error": self.analysis_error,
            "started_at": self.recorded_at or None,
            "body_mass_kg": self.body_mass_kg,
            "n_samples": self.n_samples,
        }


def _finite_or_none(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays and tuples as JSON-friendly values (non-finite floats as None)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    tolist = getattr(obj, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return _jsonable(tolist())
    if isinstance(obj, float):
        return _finite_or_none(obj)
    return obj


@dataclass(frozen=True)
class SessionRecord:
    """One test session as every view reads it: its trials and its stored comparison.

    The store hands it out (:meth:`balance.app.store.Store.session`); the engine makes one
    when a run ends (``SessionResult.record``, database id 0, not yet stored).

    Attributes
    ----------
    id : int
        Database id (0 for a run not stored).
    athlete : Any
        The athlete record of the store (``balance.app.store.Athlete``); for a run straight
        from the engine, the caller's reference to the athlete (a code, or None).
    protocol : str
    started_at, finished_at : str
        ISO 8601 UTC (``finished_at`` None while open or after a crash).
    status : str
        Stored: ``open``, ``complete`` or ``incomplete``; from the engine: ``complete``,
        ``stopped``, ``disconnected`` or ``error``.
    source : str
        ``test``, ``import`` or ``demo``.
    board, conditions, spec : dict
        Board (kind, name, serial, calibration, geometry), conditions and the protocol as run.
    comparison : dict or None
        The comparison made at the end of the session, with its ``rules_version``
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
