"""The shipped protocols, each a :class:`~protocols.spec.ProtocolSpec` built from plain data.

``get_protocol("single-leg", trials_per_side=3, duration_s=30, eyes="closed")`` returns a
configured copy; ``PROTOCOLS`` maps names to the defaults. Hyphens and underscores in
names are interchangeable (``before-after`` == ``before_after``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from balance.catalogue import PROTOCOL_DEFAULT, REPORT_BARS
from protocols.spec import ProtocolSpec, SpecError

__all__ = ["PROTOCOLS", "PROTOCOL_DATA", "get_protocol", "load_protocol", "protocol_names"]

_SWAY = list(PROTOCOL_DEFAULT)

#: The shipped protocols as plain data (what a user's JSON file looks like).
PROTOCOL_DATA: dict[str, dict[str, Any]] = {
    # Single-leg stance: L/R alternating, 3 x 30 s per side; failure criteria after
    # Springer et al. 2007 (docs/failure-detection.md §1); 2 s trim after lift-off (§3.2 step 7).
    "single_leg": {
        "name": "single_leg",
        "title": "Single-leg stance",
        "description": (
            "Stand on one leg, hands on hips, free foot lifted near the stance ankle without "
            "touching it, eyes on a spot at eye level. Left and right alternate."
        ),
        "comparison": "left_right",
        "blocks": [
            {"stance": "single_leg", "sides": ["left", "right"], "trials_per_side": 3,
             "duration_s": 30.0, "eyes": "open", "order": "alternate"},
        ],
        "practice": False,
        "rest_s": 10.0,
        "trim_s": 2.0,
        "max_retries": 1,
        "measures": _SWAY,
    },
    # Bilateral quiet stance, Romberg: eyes open then eyes closed (ISPGR: >= 25 s,
    # Scoppa et al. 2013, docs/methods.md §3.2), plus left/right weight bearing.
    "bilateral": {
        "name": "bilateral",
        "title": "Bilateral quiet stance (Romberg, eyes open then closed)",
        "description": "Stand still on both feet, arms by the sides: first eyes open, then eyes closed.",
        "comparison": "romberg",
        "blocks": [
            {"stance": "bilateral", "sides": ["both"], "trials_per_side": 1, "duration_s": 30.0, "eyes": "open"},
            {"stance": "bilateral", "sides": ["both"], "trials_per_side": 1, "duration_s": 30.0, "eyes": "closed"},
        ],
        "rest_s": 5.0,
        "trim_s": 2.0,
        "measures": [*REPORT_BARS, "weight_left_pct", "weight_right_pct"],  # total sway speed first
        "failure": {"kinds": ["step_off"]},
    },
    # Squat symmetry: bodyweight squats, reps found from the total load, left/right load
    # share through each repetition.
    "squat": {
        "name": "squat",
        "title": "Squat symmetry",
        "description": "Bodyweight squats at an even pace, feet hip-width apart on the board.",
        "comparison": "squat",
        "blocks": [
            {"stance": "squat", "sides": ["both"], "trials_per_side": 1, "duration_s": 40.0, "reps": 5},
        ],
        "rest_s": 10.0,
        "trim_s": 0.0,
        "measures": ["rep_count", "weight_left_pct", "weight_right_pct", "weight_left_pct_bottom"],
        "failure": {"kinds": ["step_off"]},
    },
    # Before/after: the single-leg test before and after an intervention, compared in-session.
    "before_after": {
        "name": "before_after",
        "title": "Single-leg stance before and after an intervention",
        "description": "The single-leg test, then the intervention, then the same test again.",
        "comparison": "before_after",
        "blocks": [
            {"stance": "single_leg", "sides": ["left", "right"], "trials_per_side": 3,
             "duration_s": 30.0, "eyes": "open", "phase": "before"},
            {"stance": "single_leg", "sides": ["left", "right"], "trials_per_side": 3,
             "duration_s": 30.0, "eyes": "open", "phase": "after"},
        ],
        "rest_s": 10.0,
        "trim_s": 2.0,
        "measures": _SWAY,
        "intervention": "Now do the glute activation routine; step back on the board when done.",
        "intervention_s": 0.0,
    },
}

#: Default specs by name.
PROTOCOLS: dict[str, ProtocolSpec] = {k: ProtocolSpec.from_dict(v) for k, v in PROTOCOL_DATA.items()}


def protocol_names() -> list[str]:
    """Names of the shipped protocols, with hyphens (as typed on the command line)."""
    return [k.replace("_", "-") for k in PROTOCOLS]


def get_protocol(name: str, **options: Any) -> ProtocolSpec:
    """A shipped protocol by name, with options applied (see :meth:`ProtocolSpec.configured`).

    Parameters
    ----------
    name : str
        ``single-leg``, ``bilateral``, ``squat`` or ``before-after`` (``_`` also accepted).
    **options
        ``trials_per_side``, ``duration_s``, ``eyes``, ``practice``, ``rest_s``, ``reps``;
        None values are ignored.
    """
    key = name.strip().lower().replace("-", "_")
    try:
        spec = PROTOCOLS[key]
    except KeyError:
        raise SpecError(f"unknown protocol {name!r}; choose one of: {', '.join(protocol_names())}") from None
    opts = {k: v for k, v in options.items() if v is not None}
    return spec.configured(**opts) if opts else spec


def load_protocol(source: str | Path | dict[str, Any]) -> ProtocolSpec:
    """A protocol from a shipped name, a JSON file path or a dict."""
    if isinstance(source, dict):
        return ProtocolSpec.from_dict(source)
    p = Path(source)
    if p.suffix.lower() == ".json" or p.exists():
        return ProtocolSpec.load(p)
    return get_protocol(str(source))
