"""Reliability statistics: the symmetry index, the pooled SEM of an athlete's own trials, MDC95, and
the literature MDCs used until there are enough trials. Formulas in :mod:`protocols.compare`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # pragma: no cover
    pass


#: Two-sided 95 % normal quantile.
Z95 = 1.96
#: MDC95 / SEM = 1.96·√2 (docs/comparison.md §1, §3).
MDC_FACTOR = Z95 * math.sqrt(2.0)

#: Literature MDC95 as % of the mean, by measure family, with its source
#: (``docs/methods.md`` §4.5; §0 item 7: "MDCs of about 19–43 % of the mean
#: are typical for WBB speed and area measures").
LITERATURE_MDC_PCT: dict[str, tuple[float, str]] = {
    "velocity": (
        18.9,
        "COP speed MDC 18.9 % in one-leg stance on the WBB, between days "
        "(Pediatr Rehabil Med, doi 10.3233/PRM-210106; docs/comparison.md §3)",
    ),
    "area": (
        35.8,
        "COP area MDC 35.8 % in one-leg stance on the WBB, between days "
        "(Pediatr Rehabil Med, doi 10.3233/PRM-210106; docs/comparison.md §3)",
    ),
    "path": (
        28.2,
        "path length MDC 26.3-28.2 % in unilateral stance on the WBB "
        "(BMC Pediatrics 14:144, 2014; docs/comparison.md §3)",
    ),
    "other": (
        43.0,
        "no measure-specific value found; 43 %, the upper end of the 19-43 % typical of WBB "
        "speed and area MDCs (docs/methods.md §0, §4.5)",
    ),
}


def _family(measure: str) -> str:
    if "velocity" in measure or "speed" in measure:
        return "velocity"
    if "area" in measure:
        return "area"
    if "path_length" in measure:
        return "path"
    return "other"


def literature_mdc_pct(measure: str) -> tuple[float, str]:
    """Literature MDC95 (% of the mean) for ``measure`` and its source."""
    return LITERATURE_MDC_PCT[_family(measure)]


def symmetry_index(left: ArrayLike, right: ArrayLike) -> NDArray[np.float64] | float:
    """Symmetry index 100·(R − L)/((R + L)/2), %; positive when right is larger.

    NaN where R + L is 0. Works element-wise on arrays.
    """
    lft = np.asarray(left, dtype=np.float64)
    rgt = np.asarray(right, dtype=np.float64)
    s = (rgt + lft) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        si = np.where(s != 0, 100.0 * (rgt - lft) / np.where(s != 0, s, 1.0), np.nan)
    return float(si) if si.ndim == 0 else si


def sem_pooled(groups: Iterable[ArrayLike]) -> tuple[float, int]:
    """Pooled within-group SD of single values (the SEM) and its degrees of freedom.

    Parameters
    ----------
    groups : iterable of array_like
        Repeated values of one measure, one array per group (side, session); NaNs dropped.

    Returns
    -------
    sem : float
        ``sqrt(Σ SS_g / Σ (n_g − 1))`` in the measure's unit; NaN when df is 0.
    df : int
        ``Σ (n_g − 1)`` over groups with at least one value.
    """
    ss = 0.0
    df = 0
    for g in groups:
        a = np.asarray(g, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size >= 2:
            ss += float(np.sum((a - a.mean()) ** 2))
            df += a.size - 1
    return (math.sqrt(ss / df) if df > 0 else math.nan), df


def mdc95(sem: float) -> float:
    """MDC95 = 1.96·√2·SEM (same unit as the SEM)."""
    return MDC_FACTOR * sem


@dataclass(frozen=True)
class Noise:
    """The measurement noise used to judge a difference.

    Attributes
    ----------
    sem : float
        Standard error of measurement (measure's unit).
    mdc95 : float
        1.96·√2·SEM.
    source : {"own", "literature"}
        From the athlete's own repeated trials, or the literature default.
    df : int
        Degrees of freedom of the own estimate (0 for literature).
    reference : str
        Where the number comes from.
    """

    sem: float
    mdc95: float
    source: str
    df: int
    reference: str


def noise(measure: str, groups: Sequence[ArrayLike], *, mean: float, min_df: int = 4) -> Noise:
    """SEM/MDC95 from the athlete's own trials, or the literature default if df < ``min_df``.

    With too few own trials (``0 < df < min_df``) the larger of the two is used: a published
    value must not make a noisier athlete look steadier than their own trials show.

    Parameters
    ----------
    measure : str
        Measure key (chooses the literature family).
    groups : sequence of array_like
        Repeated trials per group (see :func:`sem_pooled`).
    mean : float
        Mean of the measure (for the literature MDC, a % of the mean).
    min_df : int
        Least degrees of freedom for the own estimate (3 trials per side on two sides give 4).
    """
    sem, df = sem_pooled(groups)
    if df >= min_df and math.isfinite(sem):
        return Noise(sem, mdc95(sem), "own", df, f"pooled SD of this athlete's repeated trials (df={df})")
    pct, ref = literature_mdc_pct(measure)
    mdc = pct / 100.0 * abs(mean) if math.isfinite(mean) else math.nan
    if df > 0 and math.isfinite(sem) and mdc95(sem) > mdc:
        # a few own trials already noisier than the published value: use the larger
        return Noise(
            sem,
            mdc95(sem),
            "own",
            df,
            f"pooled SD of this athlete's repeated trials (df={df}), larger than the published "
            f"MDC of {pct:g} % of the mean",
        )
    return Noise(mdc / MDC_FACTOR, mdc, "literature", 0, ref)
