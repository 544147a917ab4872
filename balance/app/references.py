"""The reference panel of a stored session: published norms, the squad's own norms, the asymmetry verdict.

Glue between the history database and :mod:`protocols.norms` (which holds every rule): it finds the
stance, eyes and surface of a session's trials, the athlete's age at the test, the squad's values
(latest valid session of each athlete with the same protocol, condition and side, optionally of one
group tag, sex or age band) and asks :func:`protocols.norms.verdict` where each headline measure stands.
Used by ``balance test``, ``balance history``, the report, the progress chart and the export.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from balance.app.squad import SquadFilter, add_squad_arguments, squad_filter
from protocols import norms

__all__ = [
    "SessionReferences",
    "SquadFilter",
    "EXPORT_COLUMNS",
    "add_squad_arguments",
    "export_rows",
    "compact_lines",
    "panel_text",
    "progress_bands",
    "reference_lines",
    "session_references",
    "squad_filter",
    "squad_values",
    "tables",
]


@dataclass
class SessionReferences:
    """Every verdict of one session.

    Attributes
    ----------
    verdicts : list of protocols.norms.Verdict
        Per headline measure and side: the published reference (or why none applies), then the squad's.
    asymmetry : list of protocols.norms.AsymmetryVerdict
        Single-leg sessions: the primary left/right measure.
    age : int or None
    notes : list of str
        Anything the reader must know (the caveat first).
    """

    verdicts: list[norms.Verdict] = field(default_factory=list)
    asymmetry: list[norms.AsymmetryVerdict] = field(default_factory=list)
    age: int | None = None
    notes: list[str] = field(default_factory=list)

    def chosen(self) -> list[norms.Verdict]:
        """Per (measure, side): the chosen reference (published first, then squad), else the reason."""
        groups: dict[tuple[str, str, str], list[norms.Verdict]] = {}
        for v in self.verdicts:
            groups.setdefault((v.measure, v.side, v.condition), []).append(v)
        return [norms.chosen(vs) for vs in groups.values()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "age": self.age,
            "verdicts": [v.to_dict() for v in self.verdicts],
            "asymmetry": [a.to_dict() for a in self.asymmetry],
            "notes": list(self.notes),
            "rule": norms.LIGHT_RULE,
        }


@functools.lru_cache(maxsize=1)
def tables() -> norms.ReferenceTables:
    """The shipped reference tables (read once); empty tables if they cannot be found."""
    try:
        return norms.load_reference_tables()
    except (FileNotFoundError, OSError, ValueError, KeyError):
        return norms.ReferenceTables()


def _stance(session: Any, trial: Any) -> str | None:
    if trial.side in ("left", "right"):
        return "single_leg"
    blocks = (session.spec or {}).get("blocks") or []
    stances = {b.get("stance") for b in blocks}
    if "bilateral" in stances or session.protocol == "bilateral":
        return "bipedal"
    return None  # squats and anything else: no reference


def _groups(session: Any) -> dict[tuple[str, str, str, str], list[Any]]:
    """(stance, condition, side, eyes|surface) -> valid non-practice trials."""
    out: dict[tuple[str, str, str, str], list[Any]] = {}
    for t in session.trials:
        if not t.valid or t.practice:
            continue
        st = _stance(session, t)
        if st is None:
            continue
        key = (st, t.condition, t.side, f"{t.eyes}|{t.surface}")
        out.setdefault(key, []).append(t)
    return out


def _mean(trials: Sequence[Any], measure: str) -> float:
    vals = [t.measures.get(measure) for t in trials]
    vals = [float(v) for v in vals if v is not None and math.isfinite(float(v))]
    return sum(vals) / len(vals) if vals else math.nan


def _year(iso: str) -> int:
    return int(iso[:4])


def squad_values(
    sessions: Sequence[Any], *, condition: str, side: str, measure: str, squad: SquadFilter | None = None
) -> list[float]:
    """The squad's values: each athlete's latest session among ``sessions`` (stored sessions of one
    protocol) with valid trials of ``condition`` and ``side`` (mean of those trials), filtered by ``squad``."""
    f = squad or SquadFilter()
    rows = []
    for s in sessions:
        a = s.athlete
        if f.group and (a.group or "").lower() != f.group.lower():
            continue
        if f.sex and (a.sex or "").upper() != f.sex.upper():
            continue
        if f.age_band:
            age = norms.age_in_years(a.birth_year, _year(s.started_at))
            if age is None or not f.age_band[0] <= age < f.age_band[1]:
                continue
        ts = [t for t in s.trials if t.valid and not t.practice and t.condition == condition and t.side == side]
        if ts:
            rows.append({"athlete": a.id, "started_at": s.started_at, "value": _mean(ts, measure)})
    return norms.squad_population(rows)


def session_references(
    store: Any, session: Any, *, squad: SquadFilter | None = None, everyone: Sequence[Any] | None = None
) -> SessionReferences:
    """All verdicts of ``session`` (a stored :class:`balance.app.store.Session`).

    ``everyone``: the stored sessions of the session's protocol, when the caller already has them
    (read from ``store`` otherwise).
    """
    import numpy as np

    from balance.sway import MEASURES
    from protocols.compare import compare_values, mdc_from_groups

    tab = tables()
    if everyone is None:
        everyone = store.sessions(None, protocol=session.protocol)
    # the squad as it stood on the day: sessions up to this one (so this athlete counts with this session)
    everyone = [s for s in everyone if s.started_at <= session.started_at]
    a = session.athlete
    age = norms.age_in_years(a.birth_year, _year(session.started_at))
    out = SessionReferences(age=age, notes=[norms.CAVEAT])
    label = (squad or SquadFilter()).label()
    for (stance, condition, side, es), trials in _groups(session).items():
        eyes, surface = es.split("|")
        for m in norms.HEADLINE_MEASURES[stance]:
            value = _mean(trials, m)
            if not math.isfinite(value):
                continue
            unit = MEASURES[m].unit if m in MEASURES else ""
            pop = squad_values(everyone, condition=condition, side=side, measure=m, squad=squad)
            out.verdicts.extend(norms.verdict(value, measure=m, unit=unit, stance=stance, eyes=eyes, surface=surface,
                                              side=side, age=age, sex=a.sex, tables=tab, squad=pop,
                                              squad_label=label, condition=condition))  # fmt: skip
    primary = "mean_velocity_mm_s"  # path length over equal durations: the threshold's measure
    for (stance, condition, side, _es), trials in _groups(session).items():
        if stance != "single_leg" or side != "left":
            continue
        lv = [t.measures.get(primary, math.nan) for t in trials]
        rv = [t.measures.get(primary, math.nan) for t in _groups(session).get((stance, condition, "right", _es), [])]
        if not (np.isfinite(lv).any() and np.isfinite(rv).any()):
            continue
        sc = compare_values(lv, rv, measure=primary, condition=condition)
        mdc = mdc_from_groups([sc.left_values, sc.right_values], measure=primary, left_mean=sc.left_mean,
                              right_mean=sc.right_mean)  # fmt: skip
        out.asymmetry.append(norms.asymmetry_verdict(sc.symmetry_index_pct, beyond_mdc=sc.beyond_mdc,
                                                     mdc_si_pct=mdc["mdc_si_pct"], measure=primary, age=age,
                                                     tables=tab))  # fmt: skip
    if any(v.reference_id == "squad" for v in out.verdicts):
        out.notes.append("Squad percentiles: the latest session of each athlete in this history with the same "
                         "protocol, condition and leg, this athlete included.")  # fmt: skip
    if age is None:
        out.notes.append("No birth year stored: published norms are by age, so only the squad's own norms can apply "
                         "(balance athlete edit NAME --born YEAR).")  # fmt: skip
    return out


def reference_lines(refs: SessionReferences, *, indent: str = "  ") -> list[str]:
    """Plain-words lines: the chosen reference per headline measure and leg (measures without one
    grouped under their reason), the asymmetry verdicts, the rules and the caveat."""
    from protocols.compare import measure_words

    lines = []
    missing: dict[str, list[str]] = {}
    for v in refs.chosen():
        if v.applies:
            lines.append(f"{indent}{v.sentence()}")
        else:
            side = "" if v.side == "both" else f"{v.side} "
            cond = f" ({v.condition.replace('_', ' ')})" if v.condition else ""
            missing.setdefault(v.reason, []).append(f"{side}{measure_words(v.measure)[0].lower()}{cond}")
    for reason, what in missing.items():
        lines.append(f"{indent}No reference for {', '.join(what)}: {reason}.")
    for a in refs.asymmetry:
        lines.append(f"{indent}{a.sentence}")
    lines.append(f"{indent}{_rules(refs)}")
    lines.extend(f"{indent}{n}" for n in refs.notes)
    return lines


def progress_bands(
    store: Any, session: Any, measures: Sequence[str], *, squad: SquadFilter | None = None
) -> dict[str, tuple[float, float, str]]:
    """Reference bands for the progress chart: measure -> (P25, P75, label).

    The published P25-P75 when a published percentile table applies to ``session`` (bipedal,
    same eyes, surface, age band), else the squad's P25-P75 (both legs pooled: one value per
    athlete and leg) from :data:`protocols.norms.SQUAD_MIN_N` athletes; measures with neither
    are left out.
    """
    import numpy as np

    tab = tables()
    a = session.athlete
    age = norms.age_in_years(a.birth_year, _year(session.started_at))
    everyone = store.sessions(None, protocol=session.protocol)
    out: dict[str, tuple[float, float, str]] = {}
    for (stance, condition, side, es), _trials in _groups(session).items():
        eyes, surface = es.split("|")
        for m in measures:
            if m in out:
                continue
            row = norms.percentile_row(tab, measure=m, stance=stance, eyes=eyes, surface=surface, age=age, sex=a.sex)
            if row is not None and 25 in row.percentiles and 75 in row.percentiles:
                out[m] = (row.percentiles[25], row.percentiles[75], f"HBEDB P25-P75 ({row.age_band} y, n = {row.n})")
                continue
            sides = ("left", "right") if stance == "single_leg" else (side,)
            pop = [v for sd in sides for v in squad_values(everyone, condition=condition, side=sd, measure=m,
                                                           squad=squad)]  # fmt: skip
            n_athletes = len(squad_values(everyone, condition=condition, side=side, measure=m, squad=squad))
            if n_athletes >= norms.SQUAD_MIN_N:
                lo, hi = np.percentile(np.asarray(pop), [25, 75])
                out[m] = (float(lo), float(hi), f"squad P25-P75 (n = {n_athletes} athletes)")
    return out


_SHORT = {
    "mean_velocity_mm_s": "velocity", "mean_velocity_ml_mm_s": "ML velocity", "mean_velocity_ap_mm_s": "AP velocity",
    "prediction_ellipse_area_mm2": "ellipse area", "mean_power_frequency_hz": "mean frequency",
}  # fmt: skip


def compact_lines(refs: SessionReferences) -> list[str]:
    """Few short lines for the report's "Against reference" panel: per leg and reference, each
    headline measure's percentile and light; the reasons where none applies; asymmetry; rule and caveat."""
    groups: dict[tuple[str, str, int], list[str]] = {}
    missing: dict[str, list[str]] = {}
    for v in refs.chosen():
        name = _SHORT.get(v.measure, v.measure)
        side = "Both feet" if v.side == "both" else f"{v.side.capitalize()} leg"
        side += f", {v.condition.replace('_', ' ')}" if v.condition else ""
        light = "" if v.light == "none" else f" ({v.light})"
        if v.applies:
            groups.setdefault((side, v.reference, v.n), []).append(f"{name} {v.percentile_text}{light}")
        else:
            missing.setdefault(v.reason, []).append(f"{side.lower()} {name}")
    lines = [f"{side} vs {ref} (n = {n}): {', '.join(items)}." for (side, ref, n), items in groups.items()]
    lines += [f"No reference for {', '.join(w)}: {r}." for r, w in missing.items()]
    lines += [a.sentence for a in refs.asymmetry]
    lines.append(f"{_rules(refs)} {norms.SHORT_CAVEAT}")
    return lines


def _rules(refs: SessionReferences) -> str:
    """The traffic-light rules that the verdicts used, in one sentence."""
    rules = [norms.LIGHT_RULE] + sorted({v.rule for v in refs.verdicts if v.rule and v.rule != norms.LIGHT_RULE})
    if refs.asymmetry:
        rules.append(f"asymmetry: {norms.ASYMMETRY_RULE}")
    return "Lights: " + "; ".join(rules) + "."


def panel_text(store: Any, session: Any, *, squad: SquadFilter | None = None) -> tuple[str, SessionReferences | None]:
    """The console panel "Against reference" of one session, and its verdicts (None if it failed)."""
    try:
        refs = session_references(store, session, squad=squad)
    except (ValueError, KeyError, TypeError, OSError) as err:  # the saved session is never at stake
        return f"Against reference: not available ({err})", None
    if not refs.verdicts and not refs.asymmetry:
        return "Against reference: none for this protocol (references exist for bipedal and single-leg stance).", refs
    return "\n".join(["Against reference (percentile: higher = more sway than the reference group):",
                      *reference_lines(refs)]), refs  # fmt: skip


#: references.csv of the export: column -> (meaning, unit).
EXPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "athlete_code": ("Athlete's code (as in the other files)", ""),
    "session_id": ("Session number in the history database", ""),
    "date": ("Date of the session in local time (YYYY-MM-DD)", ""),
    "protocol": ("Test protocol", ""),
    "condition": ("Condition (eyes_open, eyes_closed, ...)", ""),
    "side": ("left, right, both (two-legged stance), or 'left vs right' (asymmetry rows)", ""),
    "measure": ("Measure key; symmetry_index_pct(<key>) for the left/right asymmetry of that measure", ""),
    "unit": ("Unit of value", ""),
    "value": ("The athlete's value: mean of the session's valid trials on that side (or the symmetry index)",
              "unit column"),
    "reference_id": ("Reference used: hbedb2016 (HBEDB, Santos & Duarte 2016, PeerJ 4:e2648: bipedal percentiles "
                     "by age band and sex), oliveira2018 (PLoS One 13:e0203887: single-leg fallers' cut-off, 60+ y), "
                     "nolff2023 (J Mot Behav, BTrackS: |SI| >= 16 % in adults 18-29), squad (this history's athletes: "
                     "latest session of each with the same protocol, condition and leg); empty: none applies "
                     "(see reason). Tables and provenance: data/norms/ of the balance repository", ""),
    "reference": ("The reference group in words", ""),
    "reference_n": ("People in the reference group", ""),
    "percentile": ("Where the value stands, 0-100 (higher = more sway); published tables: interpolated between "
                   "P5, P10, P25, P50, P75, P90, P95 (the bound outside them); squad: mid-rank, ties count half",
                   "%"),
    "percentile_text": ("The percentile in words (P62, above P95, below the cut-off ...)", ""),
    "light": ("green, amber, red, or none (see rule)", ""),
    "rule": ("The traffic-light rule", ""),
    "reason": ("Why no reference applies (e.g. no birth year, fewer than 10 athletes in the squad)", ""),
}  # fmt: skip


def export_rows(store: Any, sessions: Sequence[Any], code_of: Any) -> list[list[Any]]:
    """Rows of references.csv (:data:`EXPORT_COLUMNS`) for ``sessions``: every verdict (published and
    squad) of every headline measure, and the asymmetry verdicts."""
    cache: dict[str, list[Any]] = {}
    rows: list[list[Any]] = []
    for s in sessions:
        if s.protocol not in cache:
            cache[s.protocol] = store.sessions(None, protocol=s.protocol)
        refs = session_references(store, s, everyone=cache[s.protocol])
        cond = {t.side: t.condition for t in s.trials if t.valid}
        for v in refs.verdicts:
            d = v.to_dict()
            rows.append([code_of(s.athlete), s.id, s.date, s.protocol, cond.get(v.side, ""), v.side, v.measure,
                         v.unit, d["value"], v.reference_id, v.reference, v.n if v.applies else None,
                         d["percentile"], v.percentile_text, v.light, v.rule, v.reason])  # fmt: skip
        for a in refs.asymmetry:
            text = (f"beyond own MDC ({a.mdc_si_pct:.0f} points): {'yes' if a.beyond_mdc else 'no'}; "
                    f"|SI| >= {a.threshold_pct:g} %: {'yes' if a.beyond_threshold else 'no'}")  # fmt: skip
            rows.append([code_of(s.athlete), s.id, s.date, s.protocol, cond.get("left", ""), "left vs right",
                         f"symmetry_index_pct({a.measure})", "%", a.symmetry_index_pct, a.reference_id,
                         "Nolff et al. 2023 threshold beside this athlete's MDC", a.threshold_n, None, text, a.light,
                         a.rule, "; ".join(a.notes)])  # fmt: skip
    return rows
