"""What a protocol run produces: one frozen :class:`balance.model.TrialRecord` per trial, and a
:class:`SessionResult` that carries them and the frozen :class:`balance.model.SessionRecord` of
the session.

The records are the house's one vocabulary: the app stores them (``balance/app/store/``) and
reloads them as they are, and every view (console, report, export, history) reads them.
:class:`SessionResult` adds what only the run itself has: the protocol object, the comparison
object, and how the run ended (stopped, disconnected, error).

Trial status words (:attr:`balance.model.TrialRecord.status`)
-------------------------------------------------------------
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

from balance.model import SessionRecord, Side, TrialRecord

if TYPE_CHECKING:  # pragma: no cover - typing only
    from drivers.base import BoardInfo
    from protocols.compare import SessionComparison
    from protocols.spec import ProtocolSpec

__all__ = ["Side", "TrialStatus", "TrialRecord", "SessionResult", "SessionStatus"]

TrialStatus = Literal["complete", "failed", "incomplete"]
SessionStatus = Literal["complete", "stopped", "disconnected", "error"]


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
    trials : list of TrialRecord
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
    record : SessionRecord or None
        The frozen record of the session (its trials are :attr:`trials`), made by the engine
        when the run ends; what the views read (``balance.app.report``).
    """

    spec: "ProtocolSpec"
    athlete: str | None
    started_at: datetime
    board: "BoardInfo | None"
    trials: list[TrialRecord] = field(default_factory=list)
    comparison: "SessionComparison | None" = None
    status: SessionStatus = "complete"
    ended_at: datetime | None = None
    body_mass_kg: float | None = None
    error: str | None = None
    record: SessionRecord | None = None

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
    ) -> list[TrialRecord]:
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

