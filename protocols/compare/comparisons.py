"""Left vs right, a change (before vs after, eyes open vs closed), and the comparison of a whole
session, flagged against the noise (:mod:`protocols.compare.reliability`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from protocols.compare.reliability import (
    LITERATURE_MDC_PCT,
    MDC_FACTOR,
    Noise,
    mdc95,
    noise,
    symmetry_index,
)
from protocols.compare.wording import _fmt, _side_sentence, _unit, measure_words

if TYPE_CHECKING:  # pragma: no cover
    from protocols.results import SessionResult


# ------------------------------------------------------------------------------------------
# left vs right
# ------------------------------------------------------------------------------------------
#: Version of the comparison rules (symmetry index, noise, flag, words), stored with every
#: comparison; a stored comparison of another version is recomputed by the views
#: (:func:`protocols.sides.side_comparisons`). 1: until 2026-12; 2: one number in words
#: ("% more"), the symmetry index only in tables, coach's measure names (docs/comparison.md).
RULES_VERSION = 2

@dataclass(frozen=True)
class SideComparison:
    """Left vs right for one measure.

    Attributes
    ----------
    measure, unit : str
    condition : str
    left_values, right_values : tuple of float
        The valid trials' values.
    left_mean, right_mean : float
    difference : float
        right_mean − left_mean (measure's unit).
    symmetry_index_pct : float
        100·(R − L)/((R + L)/2).
    more_side : {"left", "right"} or None
        The side with the larger value (more sway for sway measures); None if equal or unknown.
    percent_more : float
        How much larger, % of the smaller side: 100·(larger − smaller)/smaller.
    noise : Noise
    beyond_mdc : bool
        |difference| > MDC95: larger than this athlete's trial-to-trial noise.
    sentence : str
        Plain words, e.g. "Right leg: 18 % more mediolateral sway than left (...)".
    """

    measure: str
    unit: str
    condition: str
    left_values: tuple[float, ...]
    right_values: tuple[float, ...]
    left_mean: float
    right_mean: float
    difference: float
    symmetry_index_pct: float
    more_side: str | None
    percent_more: float
    noise: Noise
    beyond_mdc: bool
    sentence: str

    @property
    def mdc95(self) -> float:
        """MDC95 (measure's unit)."""
        return self.noise.mdc95

    @property
    def sem(self) -> float:
        """SEM (measure's unit)."""
        return self.noise.sem

    @property
    def sem_source(self) -> str:
        """``"own"`` (this athlete's trials) or ``"literature"``."""
        return self.noise.source

    @property
    def more_sway_side(self) -> str:
        """``"left"``, ``"right"`` or ``"equal"`` (the side with the larger value)."""
        return self.more_side or "equal"

    @property
    def flagged(self) -> bool:
        """Alias of :attr:`beyond_mdc`."""
        return self.beyond_mdc


def compare_values(
    left: ArrayLike,
    right: ArrayLike,
    *,
    measure: str,
    condition: str = "",
    min_df: int = 4,
) -> SideComparison:
    """Left vs right of one measure from the trial values of each side.

    Parameters
    ----------
    left, right : array_like
        Values of the valid trials of each side (NaNs dropped); at least one each.
    measure : str
        Measure key (units, words, literature default).
    condition : str
        Condition label copied into the result.
    min_df : int
        Own SEM only from this many degrees of freedom (see :func:`noise`).
    """
    lv = np.asarray(left, dtype=np.float64).ravel()
    rv = np.asarray(right, dtype=np.float64).ravel()
    lv, rv = lv[np.isfinite(lv)], rv[np.isfinite(rv)]
    if lv.size == 0 or rv.size == 0:
        raise ValueError(
            f"{measure}: need at least one valid trial on each side (got {lv.size} left, {rv.size} right)"
        )
    lm, rm = float(lv.mean()), float(rv.mean())
    nz = noise(measure, [lv, rv], mean=(lm + rm) / 2.0, min_df=min_df)
    diff = rm - lm
    more = None if diff == 0 else ("right" if diff > 0 else "left")
    small = min(lm, rm)
    pct = 100.0 * abs(diff) / small if small > 0 else math.nan
    beyond = bool(math.isfinite(nz.mdc95) and abs(diff) > nz.mdc95)
    unit = _unit(measure)
    si = float(symmetry_index(lm, rm))
    return SideComparison(
        measure=measure,
        unit=unit,
        condition=condition,
        left_values=tuple(lv.tolist()),
        right_values=tuple(rv.tolist()),
        left_mean=lm,
        right_mean=rm,
        difference=diff,
        symmetry_index_pct=si,
        more_side=more,
        percent_more=pct,
        noise=nz,
        beyond_mdc=beyond,
        sentence=_side_sentence(measure, unit, lm, rm, more, pct, nz, beyond, si),
    )


def compare_sides(
    trials_or_left: Any,
    right: ArrayLike | None = None,
    *,
    measure: str | None = None,
    measures: Sequence[str] | None = None,
    condition: str | None = None,
    min_df: int = 4,
) -> Any:
    """Left vs right, from trials (a list per measure) or from two arrays of values.

    ``compare_sides(trials, measures=[...], condition=None)`` takes the valid, non-practice
    trials of ``condition`` and returns a list of :class:`SideComparison`, one per measure
    with at least one valid trial on each side. ``compare_sides(left_values, right_values,
    measure="...")`` is :func:`compare_values` and returns one :class:`SideComparison`.
    """
    if right is not None:
        if measure is None:
            raise TypeError("compare_sides(left, right, measure=...) needs the measure key")
        return compare_values(trials_or_left, right, measure=measure, condition=condition or "", min_df=min_df)
    keys = list(measures) if measures is not None else ([measure] if measure else [])
    if not keys:
        raise TypeError("compare_sides(trials, measures=[...]) needs the measure keys")
    use = [
        t for t in trials_or_left if t.valid and not t.practice and (condition is None or t.condition == condition)
    ]
    out: list[SideComparison] = []
    for m in keys:
        lv = [t.measures.get(m, math.nan) for t in use if t.side == "left"]
        rv = [t.measures.get(m, math.nan) for t in use if t.side == "right"]
        if not (np.isfinite(lv).any() and np.isfinite(rv).any()):
            continue
        cond = condition if condition is not None else (use[0].condition if use else "")
        out.append(compare_values(lv, rv, measure=m, condition=cond, min_df=min_df))
    return out


def mdc_from_groups(
    groups: Sequence[ArrayLike],
    *,
    measure: str,
    left_mean: float,
    right_mean: float,
    min_df: int = 4,
) -> dict[str, Any]:
    """SEM, MDC95 and the MDC95 of the symmetry index from repeated trials.

    Parameters
    ----------
    groups : sequence of array_like
        Repeated trial values, one array per (session, side).
    measure : str
    left_mean, right_mean : float
        The athlete's typical left and right values (for the literature default and the SI).
    min_df : int

    Returns
    -------
    dict
        ``sem``, ``mdc`` (measure's unit), ``source`` (``own``/``literature``), ``df``,
        ``reference``, ``mdc_si_pct`` (percentage points: 1.96·√2 times the SEM of one
        trial's SI by the delta method at the given means).
    """
    mean = float(np.nanmean([left_mean, right_mean])) if np.isfinite([left_mean, right_mean]).any() else math.nan
    nz = noise(measure, groups, mean=mean, min_df=min_df)
    return {
        "sem": nz.sem,
        "mdc": nz.mdc95,
        "source": nz.source,
        "df": nz.df,
        "reference": nz.reference,
        "mdc_si_pct": mdc95(_sem_si(left_mean, right_mean, nz.sem, nz.sem)),
    }


def _sem_si(lbar: float, rbar: float, sem_l: float, sem_r: float) -> float:
    """SEM of a symmetry index of one left and one right trial (delta method).

    dSI/dR = 400·L/(R+L)², dSI/dL = −400·R/(R+L)²; each value has variance SEM². Like the
    measures' own MDC95 = 1.96·√2·SEM (the change of one trial's value), this is the noise of
    one trial's SI, so the SI's MDC and the measures' MDCs follow the same convention.
    """
    s = lbar + rbar
    if not (math.isfinite(s) and s != 0):
        return math.nan
    k = 400.0 / s**2
    return k * math.sqrt(lbar**2 * sem_r**2 + rbar**2 * sem_l**2)


# ------------------------------------------------------------------------------------------
# a change: before vs after, eyes open vs closed
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeComparison:
    """A change of one measure from ``a`` (before, baseline, eyes open) to ``b``.

    Attributes
    ----------
    measure, unit : str
    side : str
        ``"left"``, ``"right"`` or ``"both"``.
    a_label, b_label : str
        E.g. ``"before"``, ``"after"``.
    a_values, b_values : tuple of float
    a_mean, b_mean : float
    change : float
        b_mean − a_mean.
    change_pct : float
        100·change/a_mean.
    ratio : float
        b_mean / a_mean (the Romberg quotient for eyes closed / eyes open).
    noise : Noise
    beyond_mdc : bool
    sentence : str
    """

    measure: str
    unit: str
    side: str
    a_label: str
    b_label: str
    a_values: tuple[float, ...]
    b_values: tuple[float, ...]
    a_mean: float
    b_mean: float
    change: float
    change_pct: float
    ratio: float
    noise: Noise
    beyond_mdc: bool
    sentence: str


def compare_change(
    a_values: ArrayLike,
    b_values: ArrayLike,
    *,
    measure: str,
    side: str,
    a_label: str,
    b_label: str,
    min_df: int = 4,
) -> ChangeComparison:
    """The change from ``a`` to ``b`` of one measure, flagged only beyond MDC95."""
    av = np.asarray(a_values, dtype=np.float64)
    bv = np.asarray(b_values, dtype=np.float64)
    av, bv = av[np.isfinite(av)], bv[np.isfinite(bv)]
    am = float(av.mean()) if av.size else math.nan
    bm = float(bv.mean()) if bv.size else math.nan
    nz = noise(measure, [av, bv], mean=am, min_df=min_df)
    ch = bm - am
    beyond = bool(math.isfinite(nz.mdc95) and math.isfinite(ch) and abs(ch) > nz.mdc95)
    unit = _unit(measure)
    label, what, sway_like = measure_words(measure)
    side_words = "" if side == "both" else f"{side.capitalize()} leg: "
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * ch / am if am else math.nan
        ratio = bm / am if am else math.nan
    if not math.isfinite(ch):
        sentence = f"{side_words}{label}: not enough valid trials to compare {a_label} and {b_label}."
    else:
        direction = "more" if ch > 0 else "less"
        amount = what if sway_like else label.lower()
        verdict = (
            f"beyond the noise (MDC {_fmt(nz.mdc95)} {unit})"
            if beyond
            else f"within the noise (MDC {_fmt(nz.mdc95)} {unit}): no real change"
        )
        sentence = (
            f"{side_words}{abs(pct):.0f} % {direction} {amount} {b_label} than {a_label} "
            f"({label} {_fmt(am)} → {_fmt(bm)} {unit}); {verdict}."
        )
    return ChangeComparison(
        measure=measure,
        unit=unit,
        side=side,
        a_label=a_label,
        b_label=b_label,
        a_values=tuple(av.tolist()),
        b_values=tuple(bv.tolist()),
        a_mean=am,
        b_mean=bm,
        change=ch,
        change_pct=float(pct),
        ratio=float(ratio),
        noise=nz,
        beyond_mdc=beyond,
        sentence=sentence,
    )


# ------------------------------------------------------------------------------------------
# a whole session
# ------------------------------------------------------------------------------------------
@dataclass
class SessionComparison:
    """The comparison attached to a :class:`~protocols.results.SessionResult`.

    Attributes
    ----------
    kind : {"left_right", "romberg", "squat", "before_after"}
    sides : list of SideComparison
        Left vs right per measure (single-leg; before/after: one set per phase, see
        ``condition``; squat: the load share).
    changes : list of ChangeComparison
        Before → after per side and measure; eyes open → closed per measure (``ratio`` is
        the Romberg quotient).
    values : dict
        Other numbers: ``romberg_quotient`` per measure, ``weight_left_pct`` per condition,
        squat ``rep_count``.
    summary : list of str
        Plain-words lines, the primary measure first.
    primary : str or None
        The protocol's primary measure (the first of ``spec.measures``): the one whose flag
        is the session's headline. Each measure is flagged at the 95 % level on its own, so
        among six measures some flag by chance more often than 5 % of the time; the
        headline keeps the false-flag rate at the stated level.
    """

    kind: str
    sides: list[SideComparison] = field(default_factory=list)
    changes: list[ChangeComparison] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    primary: str | None = None

    @property
    def headline(self) -> SideComparison | ChangeComparison | None:
        """The comparison of the primary measure (left vs right; for before/after the
        first flagged side's change, else the left leg's), or None."""
        if self.primary is None:
            return self.sides[0] if self.sides else (self.changes[0] if self.changes else None)
        if self.kind == "before_after":
            ch = [c for c in self.changes if c.measure == self.primary]
            flagged = [c for c in ch if c.beyond_mdc]
            pick = flagged or ch
            return pick[0] if pick else None
        if self.kind == "romberg":
            return next((c for c in self.changes if c.measure == self.primary), None)
        return self.side(self.primary)

    def side(self, measure: str, condition: str | None = None) -> SideComparison | None:
        """The left/right comparison of ``measure`` (first match), or None."""
        for s in self.sides:
            if s.measure == measure and (condition is None or s.condition == condition):
                return s
        return None

    @property
    def flagged(self) -> list[SideComparison | ChangeComparison]:
        """Comparisons whose difference is beyond MDC95."""
        both: list[SideComparison | ChangeComparison] = [*self.sides, *self.changes]
        return [c for c in both if c.beyond_mdc]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""

        def clean(o: Any) -> Any:
            if isinstance(o, dict):
                return {k: clean(v) for k, v in o.items()}
            if isinstance(o, (list, tuple)):
                return [clean(v) for v in o]
            if isinstance(o, float) and not math.isfinite(o):
                return None
            return o

        out: dict[str, Any] = clean(
            {
                "kind": self.kind,
                "rules_version": RULES_VERSION,
                "sides": [asdict(s) for s in self.sides],
                "changes": [asdict(c) for c in self.changes],
                "values": self.values,
                "summary": list(self.summary),
                "primary": self.primary,
            }
        )
        return out


def _primary_first(items: list[SideComparison], primary: str | None) -> list[str]:
    """Summary lines: the primary measure's first, then the others in the spec's order."""
    first = [s.sentence for s in items if s.measure == primary]
    return first + [s.sentence for s in items if s.measure != primary]


def compare_session(session: "SessionResult", *, min_df: int = 4) -> SessionComparison | None:
    """The comparison the session's protocol asks for (``spec.comparison``); None if nothing
    can be compared (e.g. no valid trial)."""
    spec = session.spec
    trials = [t for t in session.trials if t.valid and not t.practice]
    if not trials:
        return None
    kind = spec.comparison
    measures = [m for m in spec.measures]
    primary = measures[0] if measures else None
    if kind == "left_right":
        comp = SessionComparison(kind=kind, primary=primary)
        for cond in dict.fromkeys(t.condition for t in trials):
            comp.sides.extend(compare_sides(trials, measures=measures, condition=cond, min_df=min_df))
        comp.summary = _primary_first(comp.sides, primary)
        return comp
    if kind == "before_after":
        comp = SessionComparison(kind=kind, primary=primary)
        conds = list(dict.fromkeys(t.condition for t in trials))
        for cond in conds:
            comp.sides.extend(compare_sides(trials, measures=measures, condition=cond, min_df=min_df))
        before = [t for t in trials if t.phase == "before"]
        after = [t for t in trials if t.phase == "after"]
        for side in ("left", "right"):
            for m in measures:
                a = [t.measures.get(m, math.nan) for t in before if t.side == side]
                b = [t.measures.get(m, math.nan) for t in after if t.side == side]
                if a and b:
                    comp.changes.append(
                        compare_change(a, b, measure=m, side=side, a_label="before", b_label="after", min_df=min_df)
                    )
        comp.summary = [c.sentence for c in comp.changes if c.beyond_mdc] + [
            s.sentence for s in comp.sides if s.beyond_mdc
        ]
        if not comp.summary:
            comp.summary = ["No change beyond the noise between before and after, on either leg."]
        return comp
    if kind == "romberg":
        comp = SessionComparison(kind=kind, primary=primary)
        eo = [t for t in trials if t.eyes == "open"]
        ec = [t for t in trials if t.eyes == "closed"]
        rq: dict[str, float] = {}
        for m in measures:
            if m.startswith("weight_"):
                continue
            a = [t.measures.get(m, math.nan) for t in eo]
            b = [t.measures.get(m, math.nan) for t in ec]
            if a and b:
                c = compare_change(a, b, measure=m, side="both", a_label="eyes open", b_label="eyes closed", min_df=min_df)
                comp.changes.append(c)
                rq[m] = c.ratio
        comp.values["romberg_quotient"] = rq
        wb: dict[str, dict[str, float]] = {}
        for cond in dict.fromkeys(t.condition for t in trials):
            vals = [t.measures.get("weight_left_pct", math.nan) for t in trials if t.condition == cond]
            vals = [v for v in vals if math.isfinite(v)]
            if vals:
                left = float(np.mean(vals))
                wb[cond] = {"weight_left_pct": left, "weight_right_pct": 100.0 - left}
        comp.values["weight_bearing"] = wb
        for m, q in rq.items():
            label, _, _ = measure_words(m)
            comp.summary.append(f"Romberg quotient (eyes closed / open) of {label}: {q:.2f}.")
        for cond, d in wb.items():
            comp.summary.append(
                f"Weight bearing, {cond.replace('_', ' ')}: left {d['weight_left_pct']:.0f} %, "
                f"right {d['weight_right_pct']:.0f} % of the load."
            )
        return comp
    if kind == "squat":
        comp = SessionComparison(kind=kind, primary="weight_pct")
        reps = [r for t in trials for r in t.extra.get("reps", [])]
        if not reps:
            return None
        lv = np.array([r["weight_left_pct"] for r in reps])
        rv = 100.0 - lv
        lm, rm = float(lv.mean()), float(rv.mean())
        diff = rm - lm
        d = rv - lv
        sd = float(d.std(ddof=1)) if d.size > 1 else math.nan
        df = d.size - 1
        if df >= min_df and math.isfinite(sd):
            nz = Noise(sd, mdc95(sd), "own", df, f"SD of this athlete's rep-to-rep load difference (df={df})")
        else:
            pct, ref = LITERATURE_MDC_PCT["other"]
            nz = Noise(pct / 100 * 50.0 / MDC_FACTOR, pct / 100 * 50.0, "literature", 0, ref)
        beyond = bool(abs(diff) > nz.mdc95)
        less = "left" if diff > 0 else "right"
        more = "right" if less == "left" else "left"
        verdict = (
            f"beyond the rep-to-rep variation (MDC {nz.mdc95:.1f} points)"
            if beyond
            else f"within the rep-to-rep variation (MDC {nz.mdc95:.1f} points): no real offloading"
        )
        sentence = (
            f"Through {len(reps)} squats the {less} leg carried {min(lm, rm):.0f} % of the load and the "
            f"{more} leg {max(lm, rm):.0f} %: {abs(diff):.1f} points less on the {less}; {verdict}."
        )
        comp.sides.append(
            SideComparison(
                measure="weight_pct",
                unit="%",
                condition=trials[0].condition,
                left_values=tuple(lv.tolist()),
                right_values=tuple(rv.tolist()),
                left_mean=lm,
                right_mean=rm,
                difference=diff,
                symmetry_index_pct=float(symmetry_index(lm, rm)),
                more_side=None if diff == 0 else more,
                percent_more=100.0 * abs(diff) / min(lm, rm) if min(lm, rm) > 0 else math.nan,
                noise=nz,
                beyond_mdc=beyond,
                sentence=sentence,
            )
        )
        comp.values["rep_count"] = len(reps)
        comp.summary.append(sentence)
        return comp
    raise ValueError(f"unknown comparison {kind!r}")
