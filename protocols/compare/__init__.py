"""Left vs right, before vs after, eyes closed vs open, and week to week — with the noise in mind.

Formulas
--------
Symmetry index (Robinson et al. 1987; ``docs/methods.md`` §4.4)::

    SI = 100 · (R − L) / ((R + L) / 2)      [%, signed: positive = right larger]

Standard error of measurement, from the athlete's own repeated trials: the pooled
within-group standard deviation of single trials (groups: the sides of one session, or one
side in each session)::

    SEM = sqrt( Σ_g Σ_i (x_gi − mean_g)² / Σ_g (n_g − 1) ),   df = Σ_g (n_g − 1)

Minimal detectable change (docs/comparison.md §1, §3)::

    MDC95 = 1.96 · √2 · SEM

A difference (right − left, after − before, latest − baseline) is flagged only when its size
exceeds MDC95. Until the athlete has ``min_df`` degrees of freedom of their own (3 trials
per side give 4), a documented literature default is used instead: the MDC as a percentage
of the mean measured on the Wii Balance Board (docs/comparison.md §3), turned back into an
SEM with ``SEM = MDC% · mean / (1.96·√2)``. Those between-day MDCs are larger than a
within-session trial-to-trial error, so the default is conservative.

The mediolateral measures are reported as "mediolateral sway" — a plausible indicator of
frontal-plane hip/ankle control, not a diagnosis and not a measure of gluteus medius
strength (docs/methods.md §4.6).
"""

from __future__ import annotations

from protocols.compare.comparisons import (
    RULES_VERSION as RULES_VERSION,  # the rules' version, stored with each comparison
)
from protocols.compare.comparisons import (
    ChangeComparison,
    SessionComparison,
    SideComparison,
    compare_change,
    compare_session,
    compare_sides,
    compare_values,
    mdc_from_groups,
)
from protocols.compare.reliability import (
    LITERATURE_MDC_PCT,
    MDC_FACTOR,
    Z95,
    Noise,
    literature_mdc_pct,
    mdc95,
    noise,
    sem_pooled,
    symmetry_index,
)
from protocols.compare.trends import (
    AsymmetryProgress,
    Progress,
    SessionPoint,
    SideProgress,
    points_from_sessions,
    progress,
)
from protocols.compare.wording import measure_words

__all__ = [
    "Z95",
    "MDC_FACTOR",
    "LITERATURE_MDC_PCT",
    "Noise",
    "SideComparison",
    "ChangeComparison",
    "SessionComparison",
    "SessionPoint",
    "SideProgress",
    "AsymmetryProgress",
    "Progress",
    "symmetry_index",
    "sem_pooled",
    "mdc95",
    "literature_mdc_pct",
    "noise",
    "compare_sides",
    "compare_values",
    "mdc_from_groups",
    "compare_change",
    "compare_session",
    "points_from_sessions",
    "progress",
    "measure_words",
]
