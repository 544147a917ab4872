"""What a protocol run produces: one :class:`TrialResult` per trial, one :class:`SessionResult`.

Plain dataclasses: the app stores them (``balance/app/store/``), the reports draw them.
Times called ``*_s`` without "board" in the description are seconds since the trial started
(the beep); ``start_s``/``end_s`` are on the board's clock, the same clock as the samples in
:attr:`TrialResult.recording`.

Status words
------------
``"complete"``
    The trial ran for its whole planned duration (or, for squats, all repetitions); valid.
``"failed"``
    A failure rule fired (touch-down, step-off, hop): the trial is kept, marked invalid,
    with its failure kind and time to failure.
``"incomplete"``
    The trial did not finish: the board disappeared, the run was stopped, or the stance
    never became stable. Whatever was recorded is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from balance.model import Side
from balance.recording import Recording

if TYPE_CHECKING:  # pragma: no cover - typing only
    from drivers.base import BoardInfo
    from protocols.compare import SessionComparison
    from protocols.spec import ProtocolSpec

__all__ = ["Side", "TrialStatus", "TrialResult", "SessionResult", "SessionStatus"]

TrialStatus = Literal["complete", "failed", "incomplete"]
SessionStatus = Literal["complete", "stopped", "disconnected", "error"]


@dataclass
class TrialResult:
    """One trial: what was asked, what happened, the raw samples and the measures.

    Attributes
    ----------
    protocol : str
        Name of the protocol spec (``"single_leg"``, ``"bilateral"``, ...).
    side : Side
        Stance leg; ``Side.BOTH`` for bilateral stance and squats (a plain ``"left"`` given
        to the constructor is read as ``Side.LEFT``).
    condition : str
        Condition label: ``"eyes_open"``, ``"eyes_closed"``; before/after protocols prefix
        the phase, ``"before/eyes_open"``.
    trial_index : int
        Trial number (1-based) within its side and condition; a retry keeps the number;
        0 for a practice trial.
    practice : bool
        A practice trial: recorded and stored, never compared.
    valid : bool
        True only for a ``"complete"`` trial whose analysis succeeded.
    status : {"complete", "failed", "incomplete"}
        See the module docstring.
    failure_kind : str or None
        ``"touch_down"``, ``"step_off"``, ``"hop"`` (failure rules), ``"no_stance"`` (the
        stance never became stable), ``"disconnected"``, ``"stopped"``, ``"error"`` (the
        samples could not be saved); None when complete.
    failure_time_s : float or None
        Time to failure (s since the trial started); None when complete.
    duration_s : float
        Time actually held (s since the trial started): the planned duration for a complete
        trial, the time to failure for a failed one.
    planned_duration_s : float
        Planned duration (s).
    recording : Recording
        Every raw sample of the trial as written to the trial sink (from the stance
        instruction to the end), on the board's clock, corner loads in kg.
    attempt : int
        1 for the first attempt, 2 for the first retry, ...
    eyes : str
        ``"open"`` or ``"closed"``.
    surface : str
        ``"firm"`` or ``"foam"``.
    phase : str or None
        ``"before"``/``"after"`` in a before/after protocol.
    start_s, end_s : float
        Board time (s) of the trial start (beep) and end.
    liftoff_s : float or None
        Board time (s) the free foot left the board (single-leg stance).
    analysis_window_s : tuple of float or None
        Board-time window ``(start, stop)`` that was analysed (after the trim), or None.
    analysis_params : dict
        Every preprocessing choice of the analysis (``AnalysisResult.params``).
    measures : dict of str to float
        Sway measures (keys with units, ``balance.sway.MEASURES``) plus protocol measures:
        ``hold_time_s``, ``weight_left_pct``/``weight_right_pct`` (bilateral, squat),
        ``rep_count`` (squat), ...
    extra : dict
        Protocol details that are not single numbers: ``"reps"`` (list of dicts per squat
        repetition), ``"failure_detail"`` (plain-words reason of a failure, e.g. "total load
        dropped by 24 % of body weight: free foot touched down").
    analysis_error : str or None
        Why the analysis failed (e.g. the held part was too short), when it did.
    started_at : datetime or None
        Wall-clock time (UTC) the trial started.
    body_mass_kg : float or None
        Load (kg) measured on the board in the stable stance before the trial.
    """

    protocol: str
    side: Side
    condition: str
    trial_index: int
    practice: bool
    valid: bool
    status: TrialStatus
    failure_kind: str | None
    failure_time_s: float | None
    duration_s: float
    planned_duration_s: float
    recording: Recording
    attempt: int = 1
    eyes: str = "open"
    surface: str = "firm"
    phase: str | None = None
    start_s: float = math.nan
    end_s: float = math.nan
    liftoff_s: float | None = None
    analysis_window_s: tuple[float, float] | None = None
    analysis_params: dict[str, Any] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    analysis_error: str | None = None
    started_at: datetime | None = None
    body_mass_kg: float | None = None

    def __post_init__(self) -> None:
        self.side = Side.of(self.side)

    @property
    def params(self) -> dict[str, Any]:
        """Every preprocessing choice of the analysis (the name the stored record uses)."""
        return self.analysis_params

    @property
    def failed(self) -> bool:
        """True when a failure rule fired."""
        return self.status == "failed"

    def analysed_recording(self) -> Recording:
        """The analysed part of :attr:`recording` (empty if nothing was analysed)."""
        if self.analysis_window_s is None:
            return self.recording.slice_time(math.inf, math.inf)
        lo, hi = self.analysis_window_s
        return self.recording.slice_time(lo, hi + 1e-9)

    def trial_recording(self) -> Recording:
        """The samples from the trial start (beep) to its end."""
        if not math.isfinite(self.start_s):
            return self.recording.slice_time(math.inf, math.inf)
        return self.recording.slice_time(self.start_s, self.end_s + 1e-9)

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable description of the trial without the samples."""
        return {
            "protocol": self.protocol,
            "side": self.side,
            "condition": self.condition,
            "trial_index": self.trial_index,
            "attempt": self.attempt,
            "practice": self.practice,
            "valid": self.valid,
            "status": self.status,
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
            "analysis_params": _jsonable(self.analysis_params),
            "measures": {k: _finite_or_none(v) for k, v in self.measures.items()},
            "extra": _jsonable(self.extra),
            "analysis_error": self.analysis_error,
            "started_at": None if self.started_at is None else self.started_at.isoformat(),
            "body_mass_kg": self.body_mass_kg,
            "n_samples": 0 if self.recording is None else len(self.recording),  # summary-only trials (no samples)
        }


@dataclass
class SessionResult:
    """A protocol run: every trial recorded, in order, and the comparison.

    Attributes
    ----------
    spec : ProtocolSpec
        The protocol that was run (serialise with ``spec.to_dict()``).
    athlete : str or None
        The caller's reference to the athlete (name, code or database id as a string).
    started_at : datetime
        Wall-clock time (UTC) the session started.
    board : BoardInfo or None
        What the board said about itself.
    trials : list of TrialResult
        Every trial in the order run, practice, failed and incomplete ones included.
    comparison : SessionComparison or None
        Left vs right (single-leg), before vs after, eyes closed vs open (bilateral, with the
        Romberg quotient) or squat load distribution; None when nothing could be compared.
    status : {"complete", "stopped", "disconnected", "error"}
        How the session ended: ``"error"`` when nobody stood on the board or the samples
        could not be saved (see :attr:`error`).
    ended_at : datetime or None
        Wall-clock time (UTC) the session ended.
    body_mass_kg : float or None
        Load (kg) measured on the board in bilateral stance.
    error : str or None
        Plain-words reason when the session did not complete.
    """

    spec: "ProtocolSpec"
    athlete: str | None
    started_at: datetime
    board: "BoardInfo | None"
    trials: list[TrialResult] = field(default_factory=list)
    comparison: "SessionComparison | None" = None
    status: SessionStatus = "complete"
    ended_at: datetime | None = None
    body_mass_kg: float | None = None
    error: str | None = None

    @property
    def protocol(self) -> str:
        """Name of the protocol spec."""
        return self.spec.name

    def valid_trials(
        self,
        *,
        side: str | None = None,
        condition: str | None = None,
        include_practice: bool = False,
    ) -> list[TrialResult]:
        """The valid trials, optionally of one side and/or condition."""
        return [
            t
            for t in self.trials
            if t.valid
            and (include_practice or not t.practice)
            and (side is None or t.side == side)
            and (condition is None or t.condition == condition)
        ]

    def measure_values(
        self, measure: str, *, side: str | None = None, condition: str | None = None
    ) -> NDArray[np.float64]:
        """Values of ``measure`` over the valid non-practice trials, shape (n,)."""
        vals = [t.measures.get(measure, math.nan) for t in self.valid_trials(side=side, condition=condition)]
        return np.asarray(vals, dtype=np.float64)

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable description of the session (trials without samples)."""
        return {
            "protocol": self.spec.name,
            "spec": self.spec.to_dict(),
            "athlete": self.athlete,
            "started_at": self.started_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "status": self.status,
            "error": self.error,
            "body_mass_kg": self.body_mass_kg,
            "board": None
            if self.board is None
            else {"kind": self.board.kind, "name": self.board.name, "serial": self.board.serial},
            "trials": [t.summary() for t in self.trials],
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
        }


def _finite_or_none(v: float | None) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays and tuples into JSON-friendly values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.floating, float)):
        return _finite_or_none(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
