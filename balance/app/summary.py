"""Per-session, per-measure left/right rows (sessions.csv, ``balance history``) from stored trials.

The comparison itself (symmetry index, SEM, MDC95, flag, plain words) is
:mod:`protocols.compare`'s; this module only gathers a stored session's trial values by
condition and side and lays the result out as flat rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["session_measure_rows", "side_values", "conditions_of"]


def conditions_of(session: Any) -> list[str]:
    """Conditions of a stored session in recording order."""
    seen: list[str] = []
    for t in session.trials:
        if t.condition not in seen:
            seen.append(t.condition)
    return seen


def side_values(session: Any, measure: str, *, side: str, condition: str) -> list[float]:
    """Finite values of ``measure`` over the valid, non-practice trials of one side and condition."""
    out = []
    for t in session.trials:
        if t.side == side and t.condition == condition and t.valid and not t.practice:
            v = t.measures.get(measure)
            if v is not None and math.isfinite(v):
                out.append(float(v))
    return out


def _mean(v: Sequence[float]) -> float:
    return sum(v) / len(v) if v else math.nan


def session_measure_rows(session: Any, measures: Iterable[str]) -> list[dict[str, Any]]:
    """One dict per condition and measure of a stored session (keys = sessions.csv columns).

    Single-leg sessions get left/right means, the signed symmetry index, which side sways
    more, SEM/MDC95 (own trials, or the literature default until there are enough) and a
    flag, all from :func:`protocols.sides.side_comparisons` (the stored comparison, computed
    only where it is missing or of older rules); two-legged sessions get
    ``both_mean``.
    """
    from protocols.sides import side_comparisons

    rows: list[dict[str, Any]] = []
    keys = list(measures)
    for cond in conditions_of(session):
        comps = side_comparisons(session.trials, session.comparison, measures=keys, condition=cond)
        for key in keys:
            left = side_values(session, key, side="left", condition=cond)
            right = side_values(session, key, side="right", condition=cond)
            both = side_values(session, key, side="both", condition=cond)
            if not (left or right or both):
                continue
            row: dict[str, Any] = {
                "session_id": session.id,
                "date": session.date,
                "protocol": session.protocol,
                "condition": cond,
                "measure": key,
                "left_mean": _mean(left) if left else None,
                "right_mean": _mean(right) if right else None,
                "both_mean": _mean(both) if both else None,
                "n_left": len(left),
                "n_right": len(right),
            }
            c = comps.get(key)
            if c is not None:
                row.update(
                    symmetry_index_pct=c.symmetry_index_pct,
                    more_sway_side=c.more_side or "equal",
                    sem=c.sem,
                    mdc95=c.mdc95,
                    sem_source="own_trials" if c.noise.source == "own" else c.noise.source,
                    flag=c.beyond_mdc,
                    summary=c.sentence,
                )
            rows.append(row)
    return rows

