"""Reference values: where a result stands among people like this athlete, and a plain traffic light.

Three kinds of reference, chosen in this order for each headline measure:

1. **Published percentiles** (``data/norms/hbedb_bipedal.csv``): bipedal quiet standing, HBEDB
   (Santos & Duarte 2016, PeerJ 4:e2648; 163 people, force plate, 60 s, raw 100 Hz), by eyes,
   surface, age band and sex; rebuilt by :mod:`protocols.norms_build`.
2. **Published cut-offs** (``data/norms/published.csv``): single-leg stance, eyes open, older adults:
   the fallers' cut-offs of Oliveira et al. 2018 (PLoS One 13:e0203887). No published single-leg
   percentiles were found with numbers we could check, so younger athletes get no published
   single-leg reference (the reason is written).
3. **The squad's own norms**: the same measure among the athletes in this history who did the same
   protocol and condition (latest valid session each), shown from :data:`SQUAD_MIN_N` people.

The asymmetry verdict sets the population threshold |SI| >= 16 % (Nolff et al. 2023, BTrackS,
161 adults aged 18-29) beside the athlete's own MDC flag (:mod:`protocols.compare`): the first says
"unusual for young adults", the second "bigger than this athlete's own trial-to-trial noise".

Everything here is pure: tables come in as parsed rows (:func:`parse_percentile_table`,
:func:`parse_published_table`); :func:`load_reference_tables` is the one small loader.
Verdicts are never a diagnosis: :data:`CAVEAT` goes with every one.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ASYMMETRY_RULE",
    "CAVEAT",
    "HEADLINE_MEASURES",
    "LIGHT_RULE",
    "NO_LIGHT_RULE",
    "NORMS_DIR_ENV",
    "SHORT_CAVEAT",
    "SQUAD_MIN_N",
    "AsymmetryVerdict",
    "PercentileRow",
    "PublishedValue",
    "ReferenceTables",
    "Verdict",
    "age_in_years",
    "asymmetry_verdict",
    "chosen",
    "light_for_percentile",
    "load_reference_tables",
    "norms_dir",
    "parse_percentile_table",
    "parse_published_table",
    "percentile_in_table",
    "percentile_rank",
    "percentile_row",
    "squad_population",
    "verdict",
]

#: Fewest athletes for a squad percentile.
SQUAD_MIN_N = 10
#: Environment variable naming a folder with the reference tables (overrides the shipped ones).
NORMS_DIR_ENV = "BALANCE_NORMS_DIR"
#: The traffic light of a percentile (more sway = higher percentile = worse).
LIGHT_RULE = "green below the 75th percentile, amber from the 75th to the 90th, red above the 90th"
#: No light for these: a higher or lower value is not better or worse (the percentile is still given).
NO_LIGHT_RULE = "no light: a higher or lower sway frequency is neither better nor worse"
#: The traffic light of a cut-off.
CUTOFF_RULE = "green below the published cut-off, amber at or above it (never red: a cut-off is not a diagnosis)"
#: The traffic light of a left/right difference.
ASYMMETRY_RULE = (
    "green when within this athlete's noise (MDC); amber when beyond the MDC or at least the population "
    "threshold; red when beyond both"
)
#: Said with every verdict.
CAVEAT = (
    "A reference, not a diagnosis. Wii Balance Boards read a higher CoP path velocity than a laboratory "
    "force plate (Huurnink et al. 2013, J Biomech 46:1392-1395), and published values come from force "
    "plates with their own protocols: read percentiles as indicative."
)
#: :data:`CAVEAT` in one line (report panel).
SHORT_CAVEAT = ("Not a diagnosis; a WBB reads higher path velocity than a lab force plate (Huurnink et al. 2013), "
                "so published values are indicative.")  # fmt: skip
#: Headline measures per stance (``ProtocolSpec`` block ``stance``).
HEADLINE_MEASURES: dict[str, tuple[str, ...]] = {
    "bipedal": ("mean_velocity_mm_s", "prediction_ellipse_area_mm2", "mean_power_frequency_hz"),
    "single_leg": ("mean_velocity_mm_s", "mean_velocity_ml_mm_s", "mean_velocity_ap_mm_s",
                   "prediction_ellipse_area_mm2"),
}  # fmt: skip
#: Stance words of the protocols (``bilateral``) mapped to the table's (``bipedal``).
_STANCE = {"bilateral": "bipedal", "bipedal": "bipedal", "single_leg": "single_leg"}

_LABELS = {
    "hbedb2016": "HBEDB (Santos & Duarte 2016, PeerJ 4:e2648), force plate, bipedal 60 s",
    "oliveira2018": "Oliveira et al. 2018 (PLoS One 13:e0203887), older fallers' cut-off, force plate",
    "nolff2023": "Nolff et al. 2023 (J Mot Behav, BTrackS), 161 adults aged 18-29",
}


# ------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PercentileRow:
    """One group of a percentile table: e.g. bipedal, eyes open, firm, 18-39 y, women, mean velocity.

    ``percentiles`` maps the percentile (5, 10, ..., 95) to the value (measure's unit); empty when
    the group has too few people (``n`` still says how many).
    """

    reference_id: str
    stance: str
    eyes: str
    surface: str
    age_band: str
    age_min: float
    age_max: float
    sex: str
    measure: str
    unit: str
    n: int
    percentiles: Mapping[int, float]


@dataclass(frozen=True)
class PublishedValue:
    """One published number (a cut-off or a threshold) with its full citation and protocol."""

    reference_id: str
    stance: str
    eyes: str
    surface: str
    age_min: float
    age_max: float
    measure: str
    unit: str
    value: float
    kind: str
    source_value: str
    population: str
    n: int
    device: str
    protocol: str
    citation: str
    where_in_source: str
    note: str


@dataclass(frozen=True)
class ReferenceTables:
    """The parsed reference tables."""

    percentiles: tuple[PercentileRow, ...] = ()
    published: tuple[PublishedValue, ...] = ()

    def asymmetry_threshold(self) -> PublishedValue | None:
        """The population |SI| threshold (Nolff et al. 2023), if shipped."""
        for p in self.published:
            if p.kind == "asymmetry_threshold":
                return p
        return None


def _f(s: str) -> float:
    return float(s) if s.strip() else math.nan


def parse_percentile_table(text: str) -> list[PercentileRow]:
    """Rows of a percentile table (CSV text as written by :mod:`protocols.norms_build`)."""
    out: list[PercentileRow] = []
    for r in csv.DictReader(io.StringIO(text)):
        pct = {int(k[1:]): float(v) for k, v in r.items() if k.startswith("p") and k[1:].isdigit() and v.strip()}
        out.append(PercentileRow(r["reference_id"], r["stance"], r["eyes"], r["surface"], r["age_band"],
                                 _f(r["age_min"]), _f(r["age_max"]), r["sex"], r["measure"], r["unit"], int(r["n"]),
                                 pct))  # fmt: skip
    return out


def parse_published_table(text: str) -> list[PublishedValue]:
    """Rows of ``published.csv``."""
    return [
        PublishedValue(r["reference_id"], r["stance"], r["eyes"], r["surface"], _f(r["age_min"]), _f(r["age_max"]),
                       r["measure"], r["unit"], float(r["value"]), r["kind"], r["source_value"], r["population"],
                       int(r["n"]), r["device"], r["protocol"], r["citation"], r["where_in_source"], r["note"])
        for r in csv.DictReader(io.StringIO(text))
    ]  # fmt: skip


def norms_dir() -> Path:
    """Folder of the reference tables: ``$BALANCE_NORMS_DIR`` if set, else the repository's ``data/norms``.

    The tables ship in the repository (``data/norms/``), beside ``protocols/``; an installed copy
    finds them there when installed from a checkout (``pip install -e .``). Any other install sets
    ``BALANCE_NORMS_DIR`` to a copy of that folder.
    """
    env = os.environ.get(NORMS_DIR_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data" / "norms"


def load_reference_tables(directory: str | os.PathLike[str] | None = None) -> ReferenceTables:
    """Read ``hbedb_bipedal.csv`` and ``published.csv`` from ``directory`` (default :func:`norms_dir`).

    Raises
    ------
    FileNotFoundError
        A table is missing; the message names the folder and the fix.
    """
    d = Path(directory) if directory is not None else norms_dir()
    files = {"hbedb_bipedal.csv": parse_percentile_table, "published.csv": parse_published_table}
    missing = [n for n in files if not (d / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"reference tables {missing} not found in {d}: set {NORMS_DIR_ENV} to a copy of the repository's "
            "data/norms folder"
        )
    pct = parse_percentile_table((d / "hbedb_bipedal.csv").read_text(encoding="utf-8"))
    pub = parse_published_table((d / "published.csv").read_text(encoding="utf-8"))
    return ReferenceTables(tuple(pct), tuple(pub))


# ------------------------------------------------------------------------------------------
# percentiles
# ------------------------------------------------------------------------------------------
def percentile_rank(value: float, population: Iterable[float]) -> float:
    """Percentile rank (0-100) of ``value`` in ``population``: mid-rank, ties count half.

    ``100 · (#{x < value} + ½ #{x == value}) / n`` over the finite values (Hazen's definition: a
    value equal to the only member is the 50th percentile). NaN for an empty population or a
    non-finite value.
    """
    pop = np.asarray(list(population), dtype=np.float64)
    pop = pop[np.isfinite(pop)]
    if pop.size == 0 or not math.isfinite(value):
        return math.nan
    below = np.count_nonzero(pop < value)
    ties = np.count_nonzero(pop == value)
    return float(100.0 * (below + 0.5 * ties) / pop.size)


def percentile_in_table(value: float, percentiles: Mapping[int, float]) -> tuple[float, str]:
    """Where ``value`` stands among tabulated percentiles.

    Linear interpolation between the neighbouring tabulated percentiles; outside the table's
    range the percentile is the bound and the text says so.

    Returns
    -------
    pct : float
        Estimated percentile (0-100); the lowest/highest tabulated one when outside; NaN when
        the table is empty or the value not finite.
    text : str
        ``"P62"``, ``"below P5"``, ``"above P95"``.
    """
    if not percentiles or not math.isfinite(value):
        return math.nan, "n/a"
    ps = sorted(percentiles)
    vs = np.array([percentiles[p] for p in ps], dtype=np.float64)
    if value < vs[0]:
        return float(ps[0]), f"below P{ps[0]}"
    if value > vs[-1]:
        return float(ps[-1]), f"above P{ps[-1]}"
    # ties in the table (equal values at several percentiles): the middle of the tied run
    lo = int(np.searchsorted(vs, value, side="left"))
    hi = int(np.searchsorted(vs, value, side="right"))
    if hi > lo:
        pct = (ps[lo] + ps[hi - 1]) / 2.0
    else:
        pct = float(np.interp(value, vs, np.asarray(ps, dtype=np.float64)))
    return float(pct), f"P{pct:.0f}"


def _light(measure: str, pct: float) -> tuple[str, str]:
    """Light and rule of a percentile of ``measure`` (frequencies get none)."""
    if "frequency" in measure:
        return "none", NO_LIGHT_RULE
    return light_for_percentile(pct), LIGHT_RULE


def light_for_percentile(pct: float) -> str:
    """``green`` (< P75), ``amber`` (P75-P90), ``red`` (> P90), ``none`` (unknown); see :data:`LIGHT_RULE`."""
    if not math.isfinite(pct):
        return "none"
    return "green" if pct < 75.0 else ("amber" if pct <= 90.0 else "red")


def age_in_years(birth_year: int | None, test_year: int) -> int | None:
    """Age at the test from the birth year (years; the birthday is not stored, so ±1 year)."""
    return None if birth_year is None else int(test_year) - int(birth_year)


# ------------------------------------------------------------------------------------------
# the verdict
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """Where one value stands against one reference (or why no reference applies).

    Attributes
    ----------
    measure, unit : str
    value : float
    side : str
        ``left``, ``right`` or ``both``.
    reference_id : str or None
        ``hbedb2016``, ``oliveira2018``, ``squad`` ... None when none applies.
    reference : str
        The reference in words (with the group, e.g. "women 18-39 y, eyes open, firm").
    n : int
        People in the reference group.
    percentile : float
        0-100; NaN for a cut-off or no reference.
    percentile_text : str
        ``"P62"``, ``"above P95"``, ``"above the cut-off (34 mm/s)"``, ``""``.
    light : str
        ``green``, ``amber``, ``red`` or ``none``.
    rule : str
        The traffic-light rule in words.
    reason : str
        Why no reference applies (empty when one does).
    condition : str
        The session's condition label (``eyes_open``, ``eyes_closed``, ...), for display.
    """

    measure: str
    unit: str
    value: float
    side: str
    reference_id: str | None
    reference: str
    n: int
    percentile: float
    percentile_text: str
    light: str
    rule: str
    reason: str = ""
    condition: str = ""

    @property
    def applies(self) -> bool:
        return self.reference_id is not None

    def sentence(self) -> str:
        """One line: "mean velocity 9.1 mm/s: P62 of HBEDB ... (n = 80): green (rule)"."""
        from protocols.compare import measure_words

        v = f"{self.value:.3g} {self.unit}"
        side = "" if self.side == "both" else f"{self.side.capitalize()} leg"
        cond = self.condition.replace("_", " ")
        side = f"{side}, {cond}: " if side and cond else (f"{side or cond.capitalize()}: " if side or cond else "")
        label = measure_words(self.measure)[0]
        what = f"{side}{label[:1].lower() + label[1:]} {v}"
        if not self.applies:
            return f"{what}: no reference ({self.reason})"
        light = "no light" if self.light == "none" else self.light
        return f"{what}: {self.percentile_text} of {self.reference} (n = {self.n}): {light}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure, "unit": self.unit, "value": _fin(self.value), "side": self.side,
            "reference_id": self.reference_id, "reference": self.reference, "n": self.n,
            "percentile": _fin(self.percentile), "percentile_text": self.percentile_text, "light": self.light,
            "rule": self.rule, "reason": self.reason, "condition": self.condition,
        }  # fmt: skip


def _fin(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def _none(measure: str, unit: str, value: float, side: str, reason: str) -> Verdict:
    return Verdict(measure, unit, value, side, None, "", 0, math.nan, "", "none", "", reason)


def _in_band(age: float, lo: float, hi: float) -> bool:
    return (math.isnan(lo) or age >= lo) and (math.isnan(hi) or age < hi)


def _pick_row(band: Sequence[PercentileRow], sex: str | None) -> PercentileRow | None:
    """The row of this sex with percentiles, else both sexes (too few of one sex in the band)."""
    sx = sex if sex in ("F", "M") else "all"
    row = next((r for r in band if r.sex == sx and r.percentiles), None)
    return row if row is not None else next((r for r in band if r.sex == "all" and r.percentiles), None)


def percentile_row(
    tables: ReferenceTables, *, measure: str, stance: str, eyes: str, surface: str, age: int | None, sex: str | None
) -> PercentileRow | None:
    """The published percentile row that applies (same stance, eyes, surface, age band; sex if
    enough people), or None."""
    if age is None:
        return None
    st = _STANCE.get(stance, stance)
    band = [r for r in tables.percentiles if r.stance == st and r.measure == measure and r.eyes == eyes
            and r.surface == surface and _in_band(age, r.age_min, r.age_max)]  # fmt: skip
    return _pick_row(band, sex)


def _published_verdict(
    value: float, measure: str, unit: str, side: str, *, stance: str, eyes: str, surface: str,
    age: int | None, sex: str | None, tables: ReferenceTables,
) -> Verdict:  # fmt: skip
    """The published reference for this measure, or a Verdict with ``reason`` saying why none applies."""
    cond = f"eyes {eyes}, {surface}"
    if stance == "bipedal":
        rows = [r for r in tables.percentiles if r.stance == stance and r.measure == measure
                and r.eyes == eyes and r.surface == surface]  # fmt: skip
        if not rows:
            return _none(measure, unit, value, side, f"no published bipedal percentiles of {measure} ({cond})")
        if age is None:
            return _none(measure, unit, value, side, "no birth year: published norms are by age band")
        band = [r for r in rows if _in_band(age, r.age_min, r.age_max)]
        if not band:
            lo = min(r.age_min for r in rows)
            hi = max(r.age_max for r in rows)
            return _none(measure, unit, value, side,
                         f"this athlete's age is outside HBEDB's {lo:.0f}-{hi - 1:.0f} y")  # fmt: skip
        row = _pick_row(band, sex)
        if row is None:
            n_all = next((r.n for r in band if r.sex == "all"), 0)
            return _none(measure, unit, value, side,
                         f"HBEDB has only {n_all} people aged {band[0].age_band} y (percentiles need 10)")  # fmt: skip
        pct, text = percentile_in_table(value, row.percentiles)
        who = {"F": "women", "M": "men", "all": "women and men"}[row.sex]
        return Verdict(measure, unit, value, side, row.reference_id,
                       f"{_LABELS.get(row.reference_id, row.reference_id)}: {who} {row.age_band} y, {cond}",
                       row.n, pct, text, *_light(measure, pct))  # fmt: skip
    cut = [p for p in tables.published if p.stance == stance and p.measure == measure and p.kind == "faller_cutoff"
           and p.eyes == eyes and p.surface == surface]  # fmt: skip
    if not cut:
        return _none(measure, unit, value, side, f"no published single-leg norm of {measure} ({cond})")
    if age is None:
        return _none(measure, unit, value, side,
                     "no birth year: the published single-leg cut-offs are for older adults")  # fmt: skip
    fit = [p for p in cut if _in_band(age, p.age_min, p.age_max)]
    if not fit:
        lo = min(p.age_min for p in cut)
        return _none(measure, unit, value, side,
                     f"no published single-leg norm for this age (the only one found is for adults of {lo:.0f}+ y)")
    p = fit[0]
    above = value >= p.value
    text = f"{'at or above' if above else 'below'} the cut-off ({p.value:g} {unit})"
    return Verdict(measure, unit, value, side, p.reference_id, _LABELS.get(p.reference_id, p.reference_id), p.n,
                   math.nan, text, "amber" if above else "green", CUTOFF_RULE)  # fmt: skip


def verdict(
    value: float,
    *,
    measure: str,
    unit: str,
    stance: str,
    eyes: str = "open",
    surface: str = "firm",
    side: str = "both",
    age: int | None = None,
    sex: str | None = None,
    tables: ReferenceTables | None = None,
    squad: Sequence[float] | None = None,
    squad_label: str = "this squad",
    condition: str = "",
) -> list[Verdict]:
    """Verdicts of one value: the published reference (or the reason none applies), then the squad's.

    Parameters
    ----------
    value : float
        The athlete's value (measure's unit; the mean of the session's valid trials on ``side``).
    measure, unit : str
        Measure key and unit (``balance.sway.MEASURES``).
    stance : {"bipedal", "bilateral", "single_leg"}
    eyes : {"open", "closed"}
    surface : {"firm", "foam"}
    side : {"left", "right", "both"}
    age : int or None
        Age at the test (years); None when no birth year is stored.
    sex : {"F", "M"} or None
    tables : ReferenceTables, optional
        Published tables; None: no published reference.
    squad : sequence of float, optional
        The squad's values (one per athlete, see :func:`squad_population`); used from
        :data:`SQUAD_MIN_N` athletes.
    squad_label : str
        Words for the squad group (e.g. "this squad, group 'U18'").
    condition : str
        The session's condition label, copied into each verdict (display only).

    Returns
    -------
    list of Verdict
        ``[published_or_reason]`` plus ``[squad_or_reason]``; the first one that applies is the
        chosen reference (published before squad).
    """
    st = _STANCE.get(stance, stance)
    out = [_published_verdict(value, measure, unit, side, stance=st, eyes=eyes, surface=surface, age=age, sex=sex,
                              tables=tables or ReferenceTables())]  # fmt: skip
    pop = [] if squad is None else [v for v in squad if math.isfinite(v)]
    if len(pop) >= SQUAD_MIN_N:
        pct = percentile_rank(value, pop)
        out.append(Verdict(measure, unit, value, side, "squad", squad_label, len(pop), pct, f"P{pct:.0f}",
                           *_light(measure, pct)))  # fmt: skip
    else:
        out.append(_none(measure, unit, value, side,
                         f"{squad_label}: {len(pop)} athlete(s) with this test, {SQUAD_MIN_N} needed"))  # fmt: skip
    return [dataclasses.replace(v, condition=condition) for v in out]


def chosen(verdicts: Sequence[Verdict]) -> Verdict:
    """The chosen reference: the first verdict that applies, else one carrying every reason."""
    hit = next((v for v in verdicts if v.applies), None)
    if hit is not None:
        return hit
    v = verdicts[0]
    reason = "; ".join(dict.fromkeys(x.reason for x in verdicts if x.reason))
    return dataclasses.replace(_none(v.measure, v.unit, v.value, v.side, reason), condition=v.condition)


# ------------------------------------------------------------------------------------------
# asymmetry
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AsymmetryVerdict:
    """A left/right difference against the athlete's own noise and a population threshold."""

    measure: str
    symmetry_index_pct: float
    mdc_si_pct: float
    beyond_mdc: bool
    threshold_pct: float
    beyond_threshold: bool
    threshold_applies: bool
    light: str
    rule: str
    sentence: str
    reference_id: str | None = None
    notes: list[str] = field(default_factory=list)
    threshold_n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure, "symmetry_index_pct": _fin(self.symmetry_index_pct),
            "mdc_si_pct": _fin(self.mdc_si_pct), "beyond_mdc": self.beyond_mdc,
            "threshold_pct": _fin(self.threshold_pct), "beyond_threshold": self.beyond_threshold,
            "threshold_applies": self.threshold_applies, "light": self.light, "rule": self.rule,
            "sentence": self.sentence, "reference_id": self.reference_id,
        }  # fmt: skip


def asymmetry_verdict(
    symmetry_index_pct: float,
    *,
    beyond_mdc: bool,
    mdc_si_pct: float = math.nan,
    measure: str = "mean_velocity_mm_s",
    age: int | None = None,
    tables: ReferenceTables | None = None,
) -> AsymmetryVerdict:
    """Left vs right: the own-noise flag (MDC) beside the population threshold |SI| >= 16 %.

    The two answer different questions. The MDC flag (:mod:`protocols.compare`) says the difference
    is bigger than this athlete's own trial-to-trial noise, so it is real for this athlete. The
    threshold (Nolff et al. 2023) says it is bigger than what young adults (18-29, BTrackS, path
    length) typically show, so it is unusual. Red only when both hold.

    Parameters
    ----------
    symmetry_index_pct : float
        100·(R − L)/((R + L)/2) of the measure (%).
    beyond_mdc : bool
        The comparison's own-noise flag.
    mdc_si_pct : float
        MDC of the symmetry index (percentage points), for the text.
    measure : str
        The compared measure; the threshold was set on path length (equal to mean velocity
        over equal durations), so it is applied to ``path_length*`` and ``mean_velocity*`` only.
    age : int or None
        The threshold's population is 18-29 y: outside it (or unknown) the comparison is still
        shown, with that said.
    """
    thr_row = (tables or ReferenceTables()).asymmetry_threshold()
    thr = thr_row.value if thr_row is not None else math.nan
    si = abs(symmetry_index_pct)
    same_measure = measure.startswith(("path_length", "mean_velocity"))
    beyond_thr = bool(math.isfinite(thr) and math.isfinite(si) and si >= thr and same_measure)
    notes: list[str] = []
    if thr_row is None:
        notes.append("no population threshold shipped")
    elif not same_measure:
        notes.append(f"the population threshold was set on path length, not on {measure}")
    elif age is None or not _in_band(age, thr_row.age_min, thr_row.age_max):
        notes.append(f"the threshold's population is aged {thr_row.age_min:.0f}-{thr_row.age_max - 1:.0f}"
                     + ("; this athlete's age is unknown" if age is None else "; this athlete is not"))  # fmt: skip
    light = "red" if (beyond_mdc and beyond_thr) else ("amber" if (beyond_mdc or beyond_thr) else "green")
    mdc_words = f" (MDC {mdc_si_pct:.0f} points)" if math.isfinite(mdc_si_pct) else ""
    own = f"{'beyond' if beyond_mdc else 'within'} this athlete's own noise{mdc_words}"
    if thr_row is not None and math.isfinite(thr):  # thr is finite only with a row
        pop = (f"{'at or above' if beyond_thr else 'below'} the {thr:g} % that is unusual for young adults "
               f"(Nolff et al. 2023, BTrackS, n = {thr_row.n})")  # fmt: skip
    else:
        pop = "no population threshold"
    sentence = f"Asymmetry |SI| {si:.0f} %: {own}; {pop}: {light}."
    if notes:
        sentence += " (" + "; ".join(notes) + ")"
    return AsymmetryVerdict(measure, float(symmetry_index_pct), float(mdc_si_pct), bool(beyond_mdc), float(thr),
                            beyond_thr, bool(thr_row is not None and same_measure), light, ASYMMETRY_RULE, sentence,
                            None if thr_row is None else thr_row.reference_id, notes,
                            None if thr_row is None else thr_row.n)  # fmt: skip


# ------------------------------------------------------------------------------------------
# the squad
# ------------------------------------------------------------------------------------------
def squad_population(
    sessions: Iterable[Mapping[str, Any]],
    *,
    exclude_athlete: Any = None,
) -> list[float]:
    """One value per athlete: the value of each athlete's latest session.

    Parameters
    ----------
    sessions : iterable of mapping
        Each with ``athlete`` (any hashable id), ``started_at`` (sortable, e.g. ISO 8601) and
        ``value`` (float; NaN when the session had no valid trial of the measure). The caller
        has already kept only the same protocol, condition, side and any group/age/sex filter.
    exclude_athlete : optional
        An athlete id left out (the athlete being judged, so they are not their own reference).

    Returns
    -------
    list of float
        The latest finite value of each athlete, ordered by athlete id.
    """
    latest: dict[Any, tuple[Any, float]] = {}
    for s in sessions:
        a, when, v = s["athlete"], s["started_at"], float(s["value"])
        if a == exclude_athlete or not math.isfinite(v):
            continue
        if a not in latest or when > latest[a][0]:
            latest[a] = (when, v)
    return [latest[a][1] for a in sorted(latest, key=str)]
