"""Helpers for the protocol tests: a fast single-leg spec, a squatting simulated person, a
listener that makes the simulated person do things at chosen moments of a trial."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from drivers.sim import SimulatedPerson
from protocols import events as ev
from protocols.detect import G_M_S2
from protocols.library import get_protocol
from protocols.spec import ProtocolSpec


def fast_single_leg(**options: Any) -> ProtocolSpec:
    """The shipped single-leg protocol with short trials and rests (the engine's logic is the same)."""
    opts = {"duration_s": 12.0, "rest_s": 1.0}
    opts.update(options)
    return get_protocol("single-leg", **opts)


@pytest.fixture
def fast_spec() -> ProtocolSpec:
    return fast_single_leg()


class OnTrial:
    """Listener: at the start of chosen trials, call ``action(person, trial_start_s)``.

    ``which`` maps (side, trial_index, attempt) to the action.
    """

    def __init__(self, person: SimulatedPerson, which: dict[tuple[str, int, int], Callable[[SimulatedPerson, float], None]]) -> None:
        self.person = person
        self.which = which
        self.done: list[tuple[str, int, int, float]] = []

    def on_event(self, event: Any) -> None:
        if isinstance(event, ev.TrialStarted):
            key = (event.side, event.index, event.attempt)
            act = self.which.get(key)
            if act is not None:
                act(self.person, event.at_s)
                self.done.append((*key, event.at_s))


def squat_depth_m(t: NDArray[np.float64], *, start_s: float, reps: int, period_s: float, depth_m: float) -> NDArray[np.float64]:
    """CoM height change of ``reps`` squats: −depth·(1 − cos(2π(t − start)/T))/2 inside the reps."""
    u = (t - start_s) / period_s
    inside = (u >= 0) & (u < reps)
    return np.where(inside, -depth_m * (1 - np.cos(2 * np.pi * u)) / 2, 0.0)


def squat_load_factor(t: NDArray[np.float64], *, start_s: float, reps: int, period_s: float, depth_m: float) -> NDArray[np.float64]:
    """Load / body weight = 1 + a/g with a = z'' of :func:`squat_depth_m` (analytic)."""
    u = (t - start_s) / period_s
    inside = (u >= 0) & (u < reps)
    w = 2 * np.pi / period_s
    acc = -depth_m * (w**2) * np.cos(2 * np.pi * u) / 2
    return np.where(inside, 1.0 + acc / G_M_S2, 1.0)


class SquattingPerson(SimulatedPerson):
    """Kept for the protocol tests: squats (``person.squat(...)`` and the ``"squat"`` cue) are
    built into :class:`drivers.sim.SimulatedPerson`; the tests check the load they produce
    against :func:`squat_load_factor`, derived here independently."""


def left_share_for_shift(ml_shift_mm: float, feet_ml_mm: tuple[float, float] = (-100.0, 100.0)) -> float:
    """Left-foot share (%) for a CoP at ``ml_shift_mm`` between feet at ``feet_ml_mm`` (lever rule, by hand)."""
    xl, xr = feet_ml_mm
    return 100.0 * (xr - ml_shift_mm) / (xr - xl)

