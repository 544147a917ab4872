"""The left/right comparison of a session, computed once and read the same way by every view.

The engine computes the comparison at the end of a session
(:func:`protocols.compare.compare_session`) and the app stores it with the version of its rules
(:data:`protocols.compare.RULES_VERSION`). Every view - the console summary, ``balance test``,
the report, the export and ``balance history`` - asks :func:`side_comparisons`, which returns
the stored comparison when it was made under the current rules and computes the same thing
with :func:`protocols.compare.compare_sides` otherwise (an older session, or a measure the
protocol did not list). So two views of one session can never disagree. The rules are in
``docs/comparison.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from protocols.compare import RULES_VERSION, Noise, SessionComparison, SideComparison, compare_sides

__all__ = ["ComparableTrial", "side_comparisons", "stored_sides", "side_from_dict"]


class ComparableTrial(Protocol):
    """What a comparison reads of a trial (:class:`~balance.model.TrialRecord`, from the engine or the store)."""

    @property
    def side(self) -> str: ...
    @property
    def condition(self) -> str: ...
    @property
    def valid(self) -> bool: ...
    @property
    def practice(self) -> bool: ...
    @property
    def measures(self) -> Mapping[str, float]: ...


def _nan(v: Any) -> float:
    """A stored JSON number (None for NaN) as a float."""
    return math.nan if v is None else float(v)


def side_from_dict(d: Mapping[str, Any]) -> SideComparison:
    """A :class:`SideComparison` from its stored form (``SessionComparison.to_dict()["sides"][i]``)."""
    nz = d.get("noise") or {}
    return SideComparison(
        measure=str(d["measure"]),
        unit=str(d.get("unit") or ""),
        condition=str(d.get("condition") or ""),
        left_values=tuple(_nan(v) for v in d.get("left_values") or ()),
        right_values=tuple(_nan(v) for v in d.get("right_values") or ()),
        left_mean=_nan(d.get("left_mean")),
        right_mean=_nan(d.get("right_mean")),
        difference=_nan(d.get("difference")),
        symmetry_index_pct=_nan(d.get("symmetry_index_pct")),
        more_side=d.get("more_side"),
        percent_more=_nan(d.get("percent_more")),
        noise=Noise(_nan(nz.get("sem")), _nan(nz.get("mdc95")), str(nz.get("source") or ""), int(nz.get("df") or 0),
                    str(nz.get("reference") or "")),
        beyond_mdc=bool(d.get("beyond_mdc")),
        sentence=str(d.get("sentence") or ""),
    )  # fmt: skip


def stored_sides(comparison: SessionComparison | Mapping[str, Any] | None) -> list[SideComparison]:
    """The left/right comparisons of a stored (or just computed) session comparison, or []
    when there is none or it was made under other rules (:data:`RULES_VERSION`)."""
    if comparison is None:
        return []
    if isinstance(comparison, SessionComparison):
        return list(comparison.sides) if comparison.kind != "squat" else []
    if comparison.get("rules_version") != RULES_VERSION or comparison.get("kind") == "squat":
        return []
    return [side_from_dict(d) for d in comparison.get("sides") or []]


def side_comparisons(
    trials: Sequence[ComparableTrial],
    comparison: SessionComparison | Mapping[str, Any] | None,
    *,
    measures: Iterable[str],
    condition: str,
) -> dict[str, SideComparison]:
    """Left vs right of each measure in one condition: the stored one, else computed.

    Parameters
    ----------
    trials : sequence of trials
        The session's trials (valid and non-practice ones are compared).
    comparison : SessionComparison, dict or None
        The session's stored comparison (``SessionComparison.to_dict()``) or the engine's.
    measures : iterable of str
        Measure keys wanted.
    condition : str
        The condition compared.

    Returns
    -------
    dict of str to SideComparison
        Per measure with at least one valid trial on each side, in the order asked.
    """
    keys = list(dict.fromkeys(measures))
    stored = {s.measure: s for s in stored_sides(comparison) if s.condition == condition}
    missing = [k for k in keys if k not in stored]
    computed = {c.measure: c for c in compare_sides(trials, measures=missing, condition=condition)} if missing else {}
    both = {**computed, **stored}
    return {k: both[k] for k in keys if k in both}
