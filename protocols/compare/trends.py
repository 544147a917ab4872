"""Week to week: one measure over sessions per side and its asymmetry, the trend and the change against
the athlete's own noise (:func:`progress`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from protocols.compare.comparisons import _sem_si
from protocols.compare.reliability import Noise, mdc95, noise, symmetry_index
from protocols.compare.wording import _fmt, _unit, measure_words

if TYPE_CHECKING:  # pragma: no cover
    from protocols.results import SessionResult


# ------------------------------------------------------------------------------------------
# week to week
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionPoint:
    """One session's trials of one measure, for :func:`progress`.

    Attributes
    ----------
    when : datetime
        Session date and time.
    left, right : tuple of float
        Valid trial values per side.
    session_id : Any
        The caller's id (for plotting labels, links).
    """

    when: datetime
    left: tuple[float, ...]
    right: tuple[float, ...]
    session_id: Any = None


@dataclass(frozen=True)
class SideProgress:
    """One side's measure across sessions.

    Attributes
    ----------
    side : str
    dates : tuple of datetime
    means : tuple of float
        Session means (NaN where the session had no valid trial of this side).
    baseline, latest : float
        First and last finite session means.
    change : float
        latest − baseline.
    change_pct : float
        100·change/baseline.
    slope_per_week : float
        Least-squares slope of the session means against time (unit per week); NaN with fewer
        than two sessions on different days.
    noise : Noise
        SEM from this athlete's within-session trial-to-trial SD, pooled over sessions.
    beyond_mdc : bool
        |change| > MDC95.
    sentence : str
    """

    side: str
    dates: tuple[datetime, ...]
    means: tuple[float, ...]
    baseline: float
    latest: float
    change: float
    change_pct: float
    slope_per_week: float
    noise: Noise
    beyond_mdc: bool
    sentence: str


@dataclass(frozen=True)
class AsymmetryProgress:
    """The symmetry index across sessions.

    Attributes
    ----------
    dates : tuple of datetime
    si_pct : tuple of float
        Symmetry index per session (%), 100·(R − L)/((R + L)/2).
    baseline, latest, change : float
        First, last, and their difference (percentage points).
    slope_per_week : float
        Least-squares slope (points per week).
    sem, mdc95 : float
        SEM of one trial's SI from the pooled trial SEMs (delta method) and 1.96·√2·SEM.
    beyond_mdc : bool
    sentence : str
    """

    dates: tuple[datetime, ...]
    si_pct: tuple[float, ...]
    baseline: float
    latest: float
    change: float
    slope_per_week: float
    sem: float
    mdc95: float
    beyond_mdc: bool
    sentence: str


@dataclass(frozen=True)
class Progress:
    """Week-to-week progress of one measure: each side and the asymmetry."""

    measure: str
    unit: str
    left: SideProgress
    right: SideProgress
    asymmetry: AsymmetryProgress

    @property
    def summary(self) -> list[str]:
        """Plain-words lines."""
        return [self.left.sentence, self.right.sentence, self.asymmetry.sentence]


def points_from_sessions(
    sessions: Iterable["SessionResult"], measure: str, *, condition: str | None = None
) -> list[SessionPoint]:
    """One :class:`SessionPoint` per session (valid, non-practice trials), in date order."""
    pts = []
    for s in sessions:
        left = s.measure_values(measure, side="left", condition=condition)
        right = s.measure_values(measure, side="right", condition=condition)
        pts.append(
            SessionPoint(
                when=s.started_at,
                left=tuple(left[np.isfinite(left)].tolist()),
                right=tuple(right[np.isfinite(right)].tolist()),
                session_id=getattr(s, "session_id", None),
            )
        )
    pts.sort(key=lambda p: p.when)
    return pts


def _weeks(dates: Sequence[datetime]) -> NDArray[np.float64]:
    t0 = dates[0]
    return np.array([(d - t0).total_seconds() / (7 * 86400.0) for d in dates])


#: A trend per week needs sessions at least this far apart (weeks): same-day retests minutes
#: apart would otherwise extrapolate a small change into thousands of units per week.
MIN_TREND_SPAN_WEEKS = 1.0 / 7.0


def _slope(weeks: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    m = np.isfinite(y)
    if m.sum() < 2 or np.ptp(weeks[m]) < MIN_TREND_SPAN_WEEKS:
        return math.nan
    return float(np.polyfit(weeks[m], y[m], 1)[0])


def _first_last(y: NDArray[np.float64]) -> tuple[float, float]:
    f = y[np.isfinite(y)]
    return (float(f[0]), float(f[-1])) if f.size else (math.nan, math.nan)


def progress(points: Sequence[SessionPoint], *, measure: str, min_df: int = 4) -> Progress:
    """Progress of ``measure`` across sessions, per side and for the asymmetry.

    Parameters
    ----------
    points : sequence of SessionPoint
        One per session (see :func:`points_from_sessions`), any order.
    measure : str
        Measure key (for units, words and the literature default).
    min_df : int
        Own SEM from this many degrees of freedom (pooled over sessions), else the literature.

    Notes
    -----
    The SEM is the athlete's within-session trial-to-trial SD. Day-to-day variation adds to
    it, so a change just beyond this MDC is a first sign rather than proof; the literature
    default (a between-day MDC) applies until enough trials exist.
    """
    if not points:
        raise ValueError("progress needs at least one session; record a test first")
    pts = sorted(points, key=lambda p: p.when)
    dates = tuple(p.when for p in pts)
    weeks = _weeks(dates)
    unit = _unit(measure)
    label, what, sway_like = measure_words(measure)
    sides: dict[str, SideProgress] = {}
    side_sem: dict[str, float] = {}
    for side in ("left", "right"):
        groups = [np.asarray(getattr(p, side), dtype=np.float64) for p in pts]
        means = np.array([g.mean() if g.size else math.nan for g in groups])
        base, last = _first_last(means)
        nz = noise(measure, groups, mean=base, min_df=min_df)
        side_sem[side] = nz.sem
        ch = last - base
        beyond = bool(math.isfinite(nz.mdc95) and math.isfinite(ch) and abs(ch) > nz.mdc95)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100.0 * ch / base if base else math.nan
        slope = _slope(weeks, means)
        if np.isfinite(means).sum() < 2:
            sentence = f"{side.capitalize()} leg: one session so far ({label} {_fmt(base)} {unit}); this is the baseline."
        else:
            direction = "more" if ch > 0 else "less"
            amount = what if sway_like else label.lower()
            verdict = (
                f"a real change (beyond the MDC of {_fmt(nz.mdc95)} {unit})"
                if beyond
                else f"within the noise (MDC {_fmt(nz.mdc95)} {unit})"
            )
            trend = "" if not math.isfinite(slope) else f", trend {slope:+.2f} {unit} per week"
            sentence = (
                f"{side.capitalize()} leg: {abs(pct):.0f} % {direction} {amount} than at baseline "
                f"({_fmt(base)} → {_fmt(last)} {unit}{trend}); {verdict}."
            )
        sides[side] = SideProgress(
            side=side,
            dates=dates,
            means=tuple(means.tolist()),
            baseline=base,
            latest=last,
            change=ch,
            change_pct=float(pct),
            slope_per_week=slope,
            noise=nz,
            beyond_mdc=beyond,
            sentence=sentence,
        )
    lm = np.array(sides["left"].means)
    rm = np.array(sides["right"].means)
    si = np.asarray(symmetry_index(lm, rm), dtype=np.float64)
    base, last = _first_last(si)
    # SEM of one trial's SI by the delta method at the athlete's average L and R
    # (dSI/dR = 400 L/(R+L)², dSI/dL = −400 R/(R+L)²), the convention of the measures' MDC.
    lbar, rbar = float(np.nanmean(lm)), float(np.nanmean(rm))
    sem_si = _sem_si(lbar, rbar, side_sem["left"], side_sem["right"])
    mdc_si = mdc95(sem_si)
    ch = last - base
    beyond = bool(math.isfinite(mdc_si) and math.isfinite(ch) and abs(ch) > mdc_si)
    slope = _slope(weeks, si)
    if np.isfinite(si).sum() < 2:
        sentence = f"Asymmetry: one session so far (symmetry index {_fmt(base)} %); this is the baseline."
    else:
        verdict = (
            f"a real change (beyond the MDC of {_fmt(mdc_si)} points)"
            if beyond
            else f"within the noise (MDC {_fmt(mdc_si)} points)"
        )
        trend = "" if not math.isfinite(slope) else f", trend {slope:+.1f} points per week"
        sentence = (
            f"Asymmetry of {what if sway_like else label.lower()}: symmetry index {_fmt(base)} % → {_fmt(last)} % "
            f"({ch:+.1f} points{trend}); {verdict}."
        )
    asym = AsymmetryProgress(
        dates=dates,
        si_pct=tuple(si.tolist()),
        baseline=base,
        latest=last,
        change=ch,
        slope_per_week=slope,
        sem=sem_si,
        mdc95=mdc_si,
        beyond_mdc=beyond,
        sentence=sentence,
    )
    return Progress(measure=measure, unit=unit, left=sides["left"], right=sides["right"], asymmetry=asym)
