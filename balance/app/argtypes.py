"""Argument types for the commands' options, in one place: each checks one kind of value and
says what is wrong in plain words (argparse turns the message into a usage error, exit code 2).

>>> positive_float("2.5")
2.5
"""

from __future__ import annotations

import argparse
import math

__all__ = ["positive_float", "nonneg_float", "positive_int"]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_float(text: str) -> float:
    """A finite number above zero (seconds, Hz, kg)."""
    v = _number(text)
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return v


def nonneg_float(text: str) -> float:
    """A finite number, zero or more (a trim, a delay)."""
    v = _number(text)
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or a positive number")
    return v


def positive_int(text: str) -> int:
    """A whole number, 1 or more (a count, a filter order)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return v
