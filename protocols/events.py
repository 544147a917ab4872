"""Events the protocol engine emits to its listeners (small frozen dataclasses).

Every event carries ``at_s``, the board time (s, the samples' monotonic clock) at which it
happened, so a listener can line events up with samples. A console UI prints
:class:`Instruction` texts, a live view draws :class:`Elapsed`, a sound module plays
:class:`Beep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.model import TrialRecord
    from protocols.results import SessionResult

__all__ = [
    "Event",
    "Instruction",
    "Countdown",
    "Beep",
    "TrialStarted",
    "Elapsed",
    "FailureDetected",
    "TrialEnded",
    "SessionEnded",
    "StanceStable",
    "RestStarted",
]


@dataclass(frozen=True)
class Instruction:
    """Say this to the person on the board.

    Attributes
    ----------
    text : str
        Plain words, e.g. ``"Stand on your LEFT leg"``.
    cue : str or None
        The machine-readable instruction also sent to a board that can obey (the simulated
        board): ``"step_on_both"``, ``"stand_left"``, ``"stand_right"``, ``"step_off"``,
        ``"rest"``; None for purely informative texts.
    at_s : float
        Board time (s).
    """

    text: str
    cue: str | None = None
    at_s: float = float("nan")


@dataclass(frozen=True)
class Countdown:
    """``seconds_left`` whole seconds before the trial starts (3, 2, 1)."""

    seconds_left: int
    at_s: float = float("nan")


@dataclass(frozen=True)
class Beep:
    """Play a beep: the trial starts now (``kind="start"``) or ends (``kind="end"``)."""

    kind: str = "start"
    at_s: float = float("nan")


@dataclass(frozen=True)
class StanceStable:
    """The stance the protocol asked for has been stable long enough (auto-start)."""

    stance: str
    at_s: float = float("nan")


@dataclass(frozen=True)
class TrialStarted:
    """A trial's clock started.

    Attributes
    ----------
    side : str
        ``"left"``, ``"right"`` or ``"both"`` (the stance leg).
    index : int
        Trial number (1-based) within its side and condition.
    condition : str
        Condition label, e.g. ``"eyes_open"`` or ``"before/eyes_open"``.
    practice : bool
        A practice trial (kept but not compared).
    attempt : int
        1 for the first attempt, 2 for the first retry, ...
    duration_s : float
        Planned duration (s).
    """

    side: str
    index: int
    condition: str = ""
    practice: bool = False
    attempt: int = 1
    duration_s: float = float("nan")
    at_s: float = float("nan")


@dataclass(frozen=True)
class Elapsed:
    """Live timer: ``t_s`` seconds since the trial started (emitted about every 0.1 s)."""

    t_s: float
    duration_s: float = float("nan")
    at_s: float = float("nan")


@dataclass(frozen=True)
class FailureDetected:
    """A failure rule fired.

    Attributes
    ----------
    kind : str
        ``"touch_down"``, ``"step_off"``, ``"hop"`` (see :mod:`protocols.detect`).
    t_s : float
        Onset, seconds since the trial started (the time to failure).
    detail : str
        Plain-words reason, e.g. ``"total load dropped by 24 % of body weight"``.
    """

    kind: str
    t_s: float
    detail: str = ""
    at_s: float = float("nan")


@dataclass(frozen=True)
class RestStarted:
    """A rest of ``seconds`` begins (between trials); it ends at board time ``at_s + seconds``.

    ``next_side`` (``"left"``, ``"right"``, ``"both"``) and ``next_condition`` say what comes after
    the rest ("" when unknown), so a display can count the rest down and name the next leg.
    """

    seconds: float
    at_s: float = float("nan")
    next_side: str = ""
    next_condition: str = ""


@dataclass(frozen=True)
class TrialEnded:
    """A trial ended (complete, failed, stopped or interrupted); ``result`` says which."""

    result: "TrialRecord"
    at_s: float = float("nan")


@dataclass(frozen=True)
class SessionEnded:
    """The session ended; ``result`` holds every trial recorded, complete or not."""

    result: "SessionResult"
    at_s: float = float("nan")


Event = (
    Instruction
    | Countdown
    | Beep
    | StanceStable
    | TrialStarted
    | Elapsed
    | FailureDetected
    | RestStarted
    | TrialEnded
    | SessionEnded
)
