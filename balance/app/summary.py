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
    more, SEM/MDC95 and a flag (from :func:`protocols.compare.compare_sides`); two-legged
    sessions get ``both_mean``.
    """
    try:
        from protocols.compare import compare_sides  # type: ignore[attr-defined]
    except ImportError:
        compare_sides = _compare_sides

    rows: list[dict[str, Any]] = []
    keys = list(measures)
    for cond in conditions_of(session):
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
            if left and right:
                c = compare_sides(left, right, measure=key)
                row.update(
                    symmetry_index_pct=c.symmetry_index_pct,
                    more_sway_side=c.more_sway_side,
                    sem=c.sem,
                    mdc95=c.mdc95,
                    sem_source=c.sem_source,
                    flag=c.flagged,
                    summary=c.sentence,
                )
            rows.append(row)
    return rows


class _SideComparison:
    """Left vs right of one measure (fallback while protocols.compare is not importable)."""

    def __init__(self, left: Sequence[float], right: Sequence[float], *, measure: str) -> None:
        lm, rm = _mean(left), _mean(right)
        # symmetry index 100·(R−L)/((R+L)/2), signed (Robinson et al. 1987; posturography.md §4.4)
        self.symmetry_index_pct = 100.0 * (rm - lm) / ((rm + lm) / 2.0) if (rm + lm) != 0 else math.nan
        self.more_sway_side = "right" if rm > lm else "left" if lm > rm else "equal"
        # SEM: pooled within-side SD of the repeated trials; MDC95 = 1.96·√2·SEM (posturography.md §4.4)
        ss = sum((v - lm) ** 2 for v in left) + sum((v - rm) ** 2 for v in right)
        dof = max(len(left) - 1, 0) + max(len(right) - 1, 0)
        self.sem = math.sqrt(ss / dof) if dof > 0 else math.nan
        self.mdc95 = 1.96 * math.sqrt(2.0) * self.sem
        self.sem_source = "own_trials" if dof > 0 else "none"
        self.flagged = bool(abs(rm - lm) > self.mdc95) if math.isfinite(self.mdc95) else None
        beyond = "beyond" if self.flagged else "within"
        self.sentence = (
            f"{self.more_sway_side.capitalize()} leg: {abs(self.symmetry_index_pct):.0f} % more {measure} "
            f"({beyond} the trial-to-trial noise)"
            if self.more_sway_side != "equal"
            else f"No left/right difference in {measure}"
        )


def _compare_sides(left: Sequence[float], right: Sequence[float], *, measure: str) -> _SideComparison:
    return _SideComparison(left, right, measure=measure)
