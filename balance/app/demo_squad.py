"""A small simulated squad for ``balance demo``, so the squad's own norms show in every picture.

Each squad member gets one single-leg session (3 trials per leg) whose measures are the demo
athlete's recorded trials scaled by a per-person factor (log-normal, SD 0.25 in log units: people
differ in sway by about ±25 %) and a per-trial factor (SD 0.05: trial-to-trial noise), with a
per-person right/left factor (SD 0.08). Only measures, no samples: the members are labelled
synthetic (notes and session source ``demo``). Seconds to create, instead of minutes of simulated
recordings.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from balance.model import TrialRecord

__all__ = ["SQUAD_SIZE", "SQUAD_GROUP", "add_demo_squad"]

#: Simulated squad members (besides the demo athlete): more than protocols.norms.SQUAD_MIN_N.
SQUAD_SIZE = 11
#: Group tag of the demo athlete and the squad.
SQUAD_GROUP = "demo squad"

def _power(key: str) -> int | None:
    """How a measure scales with the person's sway factor f: lengths f, areas f², frequencies and times 1."""
    if key.endswith("mm2_s") or key.endswith("mm2"):
        return 2
    if key.endswith("_mm_s") or key.endswith("_mm"):
        return 1
    if key.endswith("_hz") or key == "hold_time_s":
        return 0
    return None  # dimensionless or other: not stored for squad members


def add_demo_squad(store: Any, template: Any, *, seed: int, when: Any) -> list[Any]:
    """Add :data:`SQUAD_SIZE` synthetic athletes, each with one session like ``template``.

    Parameters
    ----------
    store : balance.app.store.Store
    template : balance.app.store.Session
        A stored single-leg session (the demo athlete's first): its valid trials' measures
        are the starting point.
    seed : int
        Random seed (the squad is the same for the same seed).
    when : datetime
        Start of the squad's sessions (each member a few hours apart before it).

    Returns
    -------
    list of Athlete
    """
    rng = np.random.default_rng(seed)
    trials = [t for t in template.trials if t.valid and not t.practice]
    athletes = []
    for k in range(SQUAD_SIZE):
        sex = "F" if k % 2 == 0 else "M"
        a = store.add_athlete(f"Squad member {k + 1:02d}", code=f"SQ{k + 1:02d}",
                              birth_year=int(1990 + rng.integers(0, 15)), mass_kg=float(round(rng.normal(70.0, 8.0), 1)),
                              sex=sex, group=SQUAD_GROUP,
                              notes="synthetic squad member created by balance demo: measures only, no samples")  # fmt: skip
        person = math.exp(rng.normal(0.0, 0.25))
        right = math.exp(rng.normal(0.0, 0.08))
        start = when - timedelta(hours=3 * (SQUAD_SIZE - k))
        sid = store.start_session(a, protocol=template.protocol, started_at=start, board={"kind": "sim"},
                                  conditions=template.conditions, spec=template.spec, source="demo",
                                  notes="synthetic squad member: measures scaled from the demo athlete's")  # fmt: skip
        for t in trials:
            f = person * (right if t.side == "right" else 1.0) * math.exp(rng.normal(0.0, 0.05))
            measures = {}
            for key, v in t.measures.items():
                p = _power(key)
                if p is not None and v is not None and math.isfinite(v):
                    measures[key] = float(v) * f**p
            store.add_trial(sid, TrialRecord(
                protocol=t.protocol, side=t.side, condition=t.condition, trial_index=t.trial_index, practice=False,
                valid=True, status="complete", failure_kind=None, failure_time_s=None, duration_s=t.duration_s,
                planned_duration_s=t.duration_s, recording=None,  # summary rows only, no samples
                measures=measures, eyes=t.eyes, surface=t.surface, params=dict(t.params),
            ), recorded_at=start)  # fmt: skip
        store.finish_session(sid, status="complete", finished_at=start + timedelta(minutes=10))
        athletes.append(a)
    return athletes
