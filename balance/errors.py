"""Errors raised by the numeric core for input it cannot analyse."""

from __future__ import annotations

__all__ = ["BalanceInputError"]


class BalanceInputError(ValueError):
    """Input the core cannot analyse: too short, NaN runs, bad timestamps, constant, wrong units.

    The message names the problem and the fix, e.g. ``"recording is 1.2 s long; at least 2 s is
    needed: record a longer trial"``.
    """
