"""Plain words for comparisons: a measure's name and what it measures, numbers and units as printed,
the left/right sentence (docs/comparison.md)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from balance import catalogue as _catalogue
from protocols.compare.reliability import Noise

if TYPE_CHECKING:  # pragma: no cover
    pass


def measure_words(measure: str) -> tuple[str, str, bool]:
    """Plain words for a measure: (name, what it measures, is it an amount of sway).

    From the catalogue (:func:`balance.catalogue.words`): the name as in every table
    ("Side-to-side sway speed"); "what" is "side-to-side (mediolateral) sway", "front-back
    (anteroposterior) sway", "sway" or "load share".
    """
    w = _catalogue.words(measure)
    return w.name, w.what, w.sway_like


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def _unit(measure: str) -> str:
    u = _catalogue.unit(measure)
    return "" if u == "1" and _catalogue.info(measure) is None else u


def _side_sentence(
    measure: str, unit: str, lm: float, rm: float, more: str | None, pct: float, nz: Noise, beyond: bool, si: float
) -> str:
    label, what, sway_like = measure_words(measure)
    if more is None:
        return f"{label}: no left/right difference ({_fmt(lm)} vs {_fmt(rm)} {unit})."
    less = "left" if more == "right" else "right"
    amount = f"{what}" if sway_like else f"{label.lower()}"
    if nz.source == "own":
        noise_words = f"this athlete's trial-to-trial noise (MDC {_fmt(nz.mdc95)} {unit})"
    else:
        noise_words = (
            f"the typical measurement noise (MDC {_fmt(nz.mdc95)} {unit}, a published value "
            "used until there are 3 valid trials per side)"
        )
    verdict = f"larger than {noise_words}" if beyond else f"within {noise_words}: not a real difference"
    head = f"{more.capitalize()} leg: {pct:.0f} % more {amount} than {less}"
    # One number in words: "% more" (of the smaller side). The symmetry index (relative to the
    # mean of the two) appears only in tables and bars, labelled (docs/comparison.md).
    return f"{head} ({label.lower()}: {_fmt(lm)} left vs {_fmt(rm)} right {unit}); {verdict}."
