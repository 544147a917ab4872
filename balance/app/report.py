"""The one-page session report a physio can file (A4, PDF or PNG).

:func:`write_session_report` draws, on one A4 page:

* a header: athlete code, date, protocol, conditions, board, software version and the
  preprocessing used;
* the statokinesigrams of the left and right leg side by side on the same scale, each with its
  95 % prediction ellipse (the representative trial of each side: the valid trial with the
  median mean CoP velocity);
* ML and AP against time for the same trials;
* left-vs-right bars of the key measures (mean velocity total/ML/AP, RMS ML/AP, prediction
  ellipse area) with the symmetry index and a mark where the difference exceeds the MDC;
* a plain-language summary: which side sways more, by how much, and whether that is beyond
  the measurement noise (it reports "mediolateral sway", never a diagnosis);
* the failed trials with their reason.

It reads one :class:`balance.model.SessionRecord`: a stored session
(:meth:`balance.app.store.Store.session`) or the record of a run straight from the engine
(:attr:`protocols.results.SessionResult.record`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balance import catalogue as _catalogue
from balance.model import SessionRecord, TrialRecord

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "A4_PORTRAIT_IN",
    "KEY_MEASURES",
    "ReportData",
    "SideSummary",
    "analysed_cop",
    "report_data",
    "session_report_figure",
    "write_session_report",
]

#: A4 portrait, width x height in inches (210 mm x 297 mm).
A4_PORTRAIT_IN: tuple[float, float] = (210 / 25.4, 297 / 25.4)

#: The measures of the left-right bar chart, in order (:data:`balance.catalogue.REPORT_BARS`).
KEY_MEASURES: tuple[str, ...] = _catalogue.REPORT_BARS

#: Bar titles: the catalogue's plain names, on two lines.
_LABELS: dict[str, str] = {k: textwrap.fill(_catalogue.name(k), 16) for k in KEY_MEASURES}
_UNITS: dict[str, str] = {k: _catalogue.unit(k) for k in KEY_MEASURES}
_FAILURE_WORDS = {
    "touch_down": "free foot touched down",
    "step_off": "stepped off the board",
    "hop": "hopped",
    "no_stance": "stance never became stable",
    "disconnected": "board disconnected",
    "stopped": "test stopped",
}


# ---------------------------------------------------------------------------------------------
# what the page shows, independent of where the session came from
# ---------------------------------------------------------------------------------------------
@dataclass
class SideSummary:
    """The trials of one side and the one drawn.

    Attributes
    ----------
    side : str
        ``"left"`` or ``"right"``; for sessions without single-leg trials (bilateral stance),
        the condition of the group (``"eyes_open"`` ...).
    trials : list of TrialRecord
        Valid, non-practice trials.
    label : str
        Panel title word, e.g. ``"LEFT leg"`` or ``"eyes closed"``.
    color : str
        Colour of the group's trace and bar.
    shown : TrialRecord or None
        The representative trial (median mean velocity) drawn on the page.
    time_s, cop_ml_mm, cop_ap_mm : ndarray or None
        The analysed, centred CoP of ``shown`` (time from the analysis start, s; CoP mm).
    means : dict of str to float
        Mean of each key measure over ``trials``.
    values : dict of str to list of float
        Each key measure per trial.
    """

    side: str
    trials: list[TrialRecord]
    label: str = ""
    color: str = "0.2"
    shown: TrialRecord | None = None
    time_s: np.ndarray | None = None
    cop_ml_mm: np.ndarray | None = None
    cop_ap_mm: np.ndarray | None = None
    means: dict[str, float] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class ReportData:
    """Everything on the page, as plain values (see :func:`report_data`)."""

    athlete: str
    started_at: datetime | None
    protocol: str
    conditions: str
    board: str
    software_version: str
    preprocessing: str
    left: SideSummary
    right: SideSummary
    si_pct: dict[str, float]
    mdc: dict[str, float]
    beyond_mdc: dict[str, bool]
    summary: list[str]
    failures: list[str]
    measures: tuple[str, ...] = KEY_MEASURES
    single_leg: bool = True
    headline: str = ""


def analysed_cop(
    trial: TrialRecord, *, analysis: Mapping[str, Any] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The analysed CoP of a trial: ``(time_s, cop_ml_mm, cop_ap_mm)``, centred.

    The samples of :attr:`TrialRecord.analysis_window_s` run again through
    :func:`balance.pipeline.analyze` with the protocol's analysis options (``spec.analysis``),
    so the drawn signal is exactly the one the stored measures were computed on (resampled,
    low-pass filtered, mean removed). Time is counted from the start of the window (s).

    Returns None when the trial has no recording or no analysis window; if the pipeline
    refuses the samples, the raw window with its mean removed is returned instead.
    """
    from balance import pipeline
    from balance.errors import BalanceInputError

    rec = trial.recording
    if rec is None or len(rec) == 0 or trial.analysis_window_s is None:
        return None
    lo, hi = trial.analysis_window_s
    seg = rec.slice_time(lo, hi + 1e-9)  # the engine's analysed window (protocols.engine._analyse)
    try:
        res = pipeline.analyze(seg, **dict(analysis or {}))
    except (BalanceInputError, ValueError):
        ok = np.isfinite(seg.cop_ml_mm) & np.isfinite(seg.cop_ap_mm)
        if ok.sum() < 3:
            return None
        t, x, y = seg.time_s[ok], seg.cop_ml_mm[ok], seg.cop_ap_mm[ok]
        return t - lo, x - x.mean(), y - y.mean()
    return res.time_s - lo, res.cop_ml_mm, res.cop_ap_mm


def _side(
    trials: list[TrialRecord], side: str, analysis: Mapping[str, Any], *, label: str = "", color: str = "0.2"
) -> SideSummary:
    mine = [t for t in trials if t.valid and not t.practice]
    s = SideSummary(side=side, trials=mine, label=label, color=color)
    for key in KEY_MEASURES:
        vals = [t.measures[key] for t in mine if key in t.measures and math.isfinite(t.measures[key])]
        s.values[key] = vals
        s.means[key] = float(np.mean(vals)) if vals else math.nan
    ranked = [t for t in mine if math.isfinite(t.measures.get("mean_velocity_mm_s", math.nan))]
    if ranked:
        ranked.sort(key=lambda t: t.measures["mean_velocity_mm_s"])
        s.shown = ranked[(len(ranked) - 1) // 2]
    elif mine:
        s.shown = mine[0]
    if s.shown is not None:
        cop = analysed_cop(s.shown, analysis=analysis)
        if cop is not None:
            s.time_s, s.cop_ml_mm, s.cop_ap_mm = cop
    return s


def _parse_time(v: str | None) -> datetime | None:
    if not v:
        return None
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None


def _board_text(board: Mapping[str, Any]) -> str:
    if not board:
        return "unknown"
    name = board.get("name") or board.get("kind") or "unknown"
    serial = board.get("serial")
    kind = board.get("kind")
    out = str(name)
    if kind and kind not in out.lower():
        out += f" ({kind})"
    if serial:
        out += f", serial {serial}"
    return out


def _preprocessing_text(params: Mapping[str, Any]) -> str:
    """The analysis parameters (``AnalysisResult.params``) in a few words."""
    if not params:
        return "not recorded"
    parts = []
    preset = params.get("preset")
    if preset:
        parts.append(f"balance.pipeline '{preset}'")
    method = params.get("resample")
    fs = params.get("fs_hz")
    if method in ("swarii", "window"):
        name = "SWARII" if method == "swarii" else "window averaging"
        parts.append(f"{name} resampling to {float(fs):g} Hz" if fs else f"{name} resampling")
    elif fs:
        parts.append(f"no resampling ({float(fs):g} Hz)")
    filt = params.get("filter")
    if filt:
        parts.append("no filter" if filt == "none" else str(filt))
    if params.get("smoothing"):
        parts.append(str(params["smoothing"]))
    trim = params.get("trim_s")
    if trim is not None:
        parts.append(f"first {float(trim):g} s trimmed (after lift-off in single-leg stance)")
    parts.append("mean removed; 95 % prediction ellipse (Duarte)")
    return "; ".join(parts)


def _conditions_text(trials: list[TrialRecord], spec: Mapping[str, Any], conditions: Mapping[str, Any]) -> str:
    conds = sorted({t.condition for t in trials if t.condition})
    words = ", ".join(c.replace("_", " ") for c in conds)
    blocks = spec.get("blocks") or []
    extra = []
    for b in blocks[:2]:
        n = b.get("trials_per_side")
        d = b.get("duration_s")
        surface = b.get("surface")
        if n and d:
            extra.append(f"{n} \u00d7 {float(d):g} s per side" + (f", {surface} surface" if surface else ""))
    if not words and conditions:
        words = ", ".join(f"{k} {v}" for k, v in dict(conditions).items())
    return "; ".join([w for w in [words, *extra] if w]) or "not recorded"


def _comparison(session: SessionRecord, condition: str) -> dict[str, dict[str, Any]]:
    """Per key measure: symmetry index, MDC95, beyond-MDC flag and the plain-words sentence.

    The session's comparison as every view reads it (:func:`protocols.sides.side_comparisons`:
    the stored one, computed with the same rules where it is missing; docs/comparison.md).
    """
    from protocols.sides import side_comparisons

    comps = side_comparisons(session.trials, session.comparison, measures=KEY_MEASURES, condition=condition)
    return {k: {"si_pct": c.symmetry_index_pct, "mdc": c.mdc95, "beyond": c.beyond_mdc, "sentence": c.sentence}
            for k, c in comps.items()}  # fmt: skip


_SUMMARY_ORDER: tuple[str, ...] = _catalogue.REPORT_SUMMARY_ORDER


def _summary(left: SideSummary, right: SideSummary, rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not left.trials or not right.trials:
        missing = [s.side for s in (left, right) if not s.trials]
        return [f"No valid trial on the {' and '.join(missing)} side: the sides cannot be compared."]
    lines = [str(rows[k]["sentence"]) for k in _SUMMARY_ORDER[:4] if k in rows and rows[k].get("sentence")]
    flagged_ap = [k for k in _SUMMARY_ORDER[4:] if k in rows and rows[k].get("beyond")]
    lines += [str(rows[k]["sentence"]) for k in flagged_ap]
    return lines


def _failures(trials: list[TrialRecord]) -> list[str]:
    out = []
    for t in trials:
        if t.valid:
            continue
        what = _FAILURE_WORDS.get(str(t.failure_kind), str(t.failure_kind or t.outcome.value).replace("_", " "))
        when = f" after {t.failure_time_s:.1f} s" if t.failure_time_s is not None else ""
        side = t.side.capitalize() if t.side else "Trial"
        retry = f" (attempt {t.attempt})" if t.attempt > 1 else ""
        prac = " practice" if t.practice else ""
        out.append(f"{side}{prac} trial {t.trial_index}{retry}: {what}{when}; kept, not compared.")
    return out


def _headline(left: SideSummary, right: SideSummary, beyond: Mapping[str, bool]) -> str:
    """One line for the top of the page: which leg sways more side to side, and is it real."""
    key = "mean_velocity_ml_mm_s"
    lv, rv = left.means.get(key, math.nan), right.means.get(key, math.nan)
    if not (math.isfinite(lv) and math.isfinite(rv)) or min(lv, rv) <= 0:
        return ""
    what = _catalogue.words(key).what
    if lv == rv:
        return f"{what[0].upper()}{what[1:]}: the same on both legs."
    more, less = ("RIGHT", "left") if rv > lv else ("LEFT", "right")
    pct = 100.0 * abs(rv - lv) / min(lv, rv)
    verdict = "beyond measurement noise" if beyond.get(key) else "within measurement noise"
    return f"{more} leg: {pct:.0f} % more {what} than the {less} ({verdict})"


def _main_condition(trials: list[TrialRecord]) -> tuple[str, list[str]]:
    """The condition with the most valid trials (first in order on a tie), and all conditions."""
    conds = list(dict.fromkeys(t.condition for t in trials))
    if not conds:
        return "", []
    counts = {c: sum(1 for t in trials if t.condition == c and t.valid and not t.practice) for c in conds}
    best = max(conds, key=lambda c: counts[c])
    return best, conds


def _athlete(session: SessionRecord) -> tuple[str, str | None]:
    """The athlete's code (or the engine's reference to the athlete) and stored name."""
    from balance.app.store.records import Athlete

    a = session.athlete
    if isinstance(a, Athlete):
        return a.code, a.name
    return ("unknown" if a is None or a == "" else str(a)), None


def report_data(session: SessionRecord) -> ReportData:
    """Everything the page shows, from the record of a session (stored, or just run).

    Only single-leg trials (side ``left``/``right``) of the main condition (the one with most
    valid trials) are drawn; other conditions are named in the header.

    Parameters
    ----------
    session : balance.model.SessionRecord
        The session, with its trials and their recordings (``Store.session(sid)``, or
        ``SessionResult.record`` of an engine run).

    Returns
    -------
    ReportData
    """
    from balance import __version__

    trials = list(session.trials)
    spec = session.spec or {}
    analysis = spec.get("analysis") or {}
    from balance.app.plots import LEFT_COLOR, RIGHT_COLOR

    single_leg = any(t.side in ("left", "right") for t in trials)
    si: dict[str, float] = {k: math.nan for k in KEY_MEASURES}
    mdc: dict[str, float] = {k: math.nan for k in KEY_MEASURES}
    beyond: dict[str, bool] = {k: False for k in KEY_MEASURES}
    if single_leg:
        cond, conds = _main_condition([t for t in trials if t.side in ("left", "right")])
        shown = [t for t in trials if t.condition == cond]
        left = _side([t for t in shown if t.side == "left"], "left", analysis, label="LEFT leg", color=LEFT_COLOR)
        right = _side([t for t in shown if t.side == "right"], "right", analysis, label="RIGHT leg",
                      color=RIGHT_COLOR)
        rows = _comparison(session, cond)
        for key in KEY_MEASURES:
            r = rows.get(key, {})
            si[key] = math.nan if r.get("si_pct") is None else float(r["si_pct"])
            mdc[key] = math.nan if r.get("mdc") is None else float(r["mdc"])
            beyond[key] = bool(r.get("beyond") or False)
        summary = _summary(left, right, rows)
        others = [c for c in conds if c != cond]
    else:
        # bilateral stance, squats: the first two conditions side by side (eyes open / closed)
        conds = list(dict.fromkeys(t.condition for t in trials))
        a, b = (conds + ["", ""])[:2]
        shown = [t for t in trials if t.condition in (a, b)]
        left = _side([t for t in shown if t.condition == a], a, analysis, label=a.replace("_", " ") or "trials",
                     color="0.2")
        right = _side([t for t in shown if t.condition == b], b, analysis, label=b.replace("_", " ") or "-",
                      color="#009E73")
        comp = session.comparison
        summary = [str(x) for x in (comp.get("summary") or [])] if comp is not None else []
        if not summary:
            summary = ["No comparison could be made (no valid trial with sway measures)."]
        others = conds[2:]
    protocol = spec.get("title") or session.protocol or "unknown"
    conditions = _conditions_text(shown, spec, session.conditions)
    if others:
        conditions += f" (shown; also recorded: {', '.join(c.replace('_', ' ') for c in others)})"
    first = next((t for t in shown if t.valid), shown[0] if shown else None)
    return ReportData(
        athlete=_athlete(session)[0],
        started_at=_parse_time(session.started_at),
        protocol=str(protocol).replace("_", " "),
        conditions=conditions,
        board=_board_text(session.board),
        software_version=session.software_version or __version__,
        preprocessing=_preprocessing_text(first.params if first else {}),
        left=left,
        right=right,
        si_pct=si,
        mdc=mdc,
        beyond_mdc=beyond,
        summary=summary,
        failures=_failures(trials),
        single_leg=single_leg,
        headline=_headline(left, right, beyond) if single_leg else "",
    )


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------
def _nice_half_range(*arrays: np.ndarray | None, ellipses: Sequence[Any] = ()) -> float:
    r = 5.0
    for a in arrays:
        if a is not None and a.size:
            r = max(r, float(np.nanmax(np.abs(a))))
    for e in ellipses:
        if e is not None:
            r = max(r, abs(e.center_ml_mm) + e.semi_major_mm, abs(e.center_ap_mm) + e.semi_major_mm)
    step = 5.0 if r <= 50 else 10.0
    return step * math.ceil(r * 1.08 / step)


def _short(condition: str) -> str:
    """A bar label for a condition: ``eyes_open`` -> ``EO``."""
    words = [w for w in condition.replace("/", "_").split("_") if w]
    return "".join(w[0].upper() for w in words)[:4] or "-"


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width=width)) or text


def session_report_figure(session: SessionRecord, *, data: ReportData | None = None, references: Any = None) -> "Figure":
    """Draw the one-page report into a new A4 :class:`~matplotlib.figure.Figure`.

    The figure is not registered with pyplot (no window, nothing to close).

    Parameters
    ----------
    session : balance.model.SessionRecord
        The session to report.
    data : ReportData, optional
        Precomputed :func:`report_data` of ``session``.
    references : balance.app.references.SessionReferences, optional
        Adds the "Against reference" panel (reference named, n, percentile, light, rule).

    Returns
    -------
    Figure
        Axes are labelled (``ax.get_label()``): ``"stato-left"``, ``"stato-right"``,
        ``"time-left"``, ``"time-right"``, ``"bars-<measure>"``, ``"text"``.
    """
    from matplotlib.figure import Figure

    from balance.app import plots

    d = data if data is not None else report_data(session)
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100)
    gs = fig.add_gridspec(
        5, 6, height_ratios=[1.0, 2.75, 1.15, 1.55, 2.45], left=0.09, right=0.96, top=0.975, bottom=0.05,
        hspace=0.5, wspace=0.9,
    )
    # header --------------------------------------------------------------------------------
    hx = fig.add_subplot(gs[0, :], label="header")
    hx.set_axis_off()
    heading = "Single-leg balance: session report" if d.single_leg else "Balance session report"
    hx.text(0.0, 1.0, heading, fontsize=15, fontweight="bold", va="top",
            transform=hx.transAxes)
    when = d.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if d.started_at else "unknown"
    rows = [
        ("Athlete", d.athlete, "Date", when),
        ("Protocol", d.protocol, "Board", d.board),
        ("Conditions", d.conditions, "Software", f"balance {d.software_version}"),
    ]
    y = 0.74
    line_h = 0.16
    for k1, v1, k2, v2 in rows:
        w1, w2 = _wrap(v1, 46), _wrap(v2, 50)
        hx.text(0.0, y, f"{k1}:", fontsize=8.5, fontweight="bold", va="top", transform=hx.transAxes)
        hx.text(0.16, y, w1, fontsize=8.5, va="top", transform=hx.transAxes)
        hx.text(0.555, y, f"{k2}:", fontsize=8.5, fontweight="bold", va="top", transform=hx.transAxes)
        hx.text(0.665, y, w2, fontsize=8.5, va="top", transform=hx.transAxes)
        y -= line_h * max(w1.count("\n") + 1, w2.count("\n") + 1)
    hx.text(0.0, y, "Preprocessing:", fontsize=8.5, fontweight="bold", va="top", transform=hx.transAxes)
    pre = _wrap(d.preprocessing, 118)
    hx.text(0.16, y, pre, fontsize=7.5, va="top", transform=hx.transAxes, color="0.2")
    y -= line_h * (pre.count("\n") + 1) + 0.06
    if d.headline:
        hx.text(0.5, y, d.headline, fontsize=9.5, fontweight="bold", va="top", ha="center", transform=hx.transAxes,
                color="black", bbox=dict(boxstyle="round,pad=0.35", facecolor="#F2F2F2", edgecolor="0.7"))

    # statokinesigrams, same scale -------------------------------------------------------------
    sides = (d.left, d.right)
    ells = []
    for s in sides:
        if s.cop_ml_mm is not None:
            ells.append(plots.prediction_ellipse(s.cop_ml_mm, s.cop_ap_mm))
        else:
            ells.append(None)
    half = _nice_half_range(*(a for s in sides for a in (s.cop_ml_mm, s.cop_ap_mm)), ellipses=ells)
    t_max = max([float(s.time_s[-1]) for s in sides if s.time_s is not None and s.time_s.size] or [1.0])
    ylim = max([float(np.nanmax(np.abs(np.r_[s.cop_ml_mm, s.cop_ap_mm]))) for s in sides
                if s.cop_ml_mm is not None] or [5.0]) * 1.15
    for col, s, ell in zip((0, 3), sides, ells):
        color = s.color
        ax = fig.add_subplot(gs[1, col:col + 3], label=f"stato-{s.side}")
        tx = fig.add_subplot(gs[2, col:col + 3], label=f"time-{s.side}")
        n_valid = len(s.trials)
        if s.shown is not None and s.cop_ml_mm is not None and ell is not None:
            title = (f"{s.label} \u2014 trial {s.shown.trial_index} (median of {n_valid} valid)\n"
                     f"95 % prediction ellipse (black): {ell.area_mm2:,.0f} mm\u00b2")
            plots.plot_statokinesigram(s.cop_ml_mm, s.cop_ap_mm, ax=ax, ellipse=ell, half_range_mm=half,
                                       center_mm=(0.0, 0.0), color=color, title=title, legend=False)
            ax.title.set_fontsize(9.5)
            ax.title.set_color(color)
            plots.plot_cop_time(s.time_s, s.cop_ml_mm, s.cop_ap_mm, ax=tx, ylim_mm=(-ylim, ylim),
                                legend=(col == 0))
            tx.set_xlim(0.0, t_max)
        else:
            for a in (ax, tx):
                a.set_axis_off()
            why = "no valid trial" if s.shown is None else "samples not stored"
            ax.text(0.5, 0.5, f"{s.label}: {why}", ha="center", va="center",
                    transform=ax.transAxes, fontsize=11, color=color)
        for a in (ax, tx):
            a.tick_params(labelsize=7.5)
            a.xaxis.label.set_fontsize(8)
            a.yaxis.label.set_fontsize(8)
        leg = ax.get_legend()
        if leg is not None:
            for t in leg.get_texts():
                t.set_fontsize(7)
        leg = tx.get_legend()
        if leg is not None:
            for t in leg.get_texts():
                t.set_fontsize(7)

    # left vs right bars ------------------------------------------------------------------------
    bar_axes = [fig.add_subplot(gs[3, i], label=f"bars-{k}") for i, k in enumerate(d.measures)]
    mdc = {k: v for k, v in d.mdc.items() if math.isfinite(v)}
    ticks = ("L", "R") if d.single_leg else tuple(_short(s.side) for s in (d.left, d.right))
    plots.plot_left_right(
        d.left.means, d.right.means, measures=d.measures, labels=_LABELS, units=_UNITS, si_pct=d.si_pct,
        mdc=mdc or None, left_spread=d.left.values, right_spread=d.right.values, axes=bar_axes,
        tick_labels=ticks, colors=(d.left.color, d.right.color),  # type: ignore[arg-type]  # colors are matplotlib colour specs, typed str
    )
    for a in bar_axes:
        a.title.set_fontsize(8)
        a.tick_params(labelsize=7)
        for t in a.texts:
            t.set_fontsize(6.5)

    # summary and failures ---------------------------------------------------------------------
    tx = fig.add_subplot(gs[4, :], label="text")
    tx.set_axis_off()
    failures = d.failures or ["None: every trial was held to the end."]
    if len(failures) > 8:
        failures = failures[:7] + [f"... and {len(failures) - 7} more (see balance export)"]
    blocks = [("Summary", d.summary or ["No measures to compare."]), ("Failed or incomplete trials", failures)]
    if references is not None:
        from balance.app.references import compact_lines

        blocks.append(("Against reference", compact_lines(references)))
    h_pt = tx.get_position().height * fig.get_figheight() * 72.0
    for scale in (1.0, 0.92, 0.85, 0.78, 0.7, 0.63, 0.57):  # shrink the text until it fits its box
        body, head = 8.3 * scale, 10.5 * scale
        width = int(118 / scale)
        lines = [(title, [_wrap("\u2022 " + ln, width) for ln in items]) for title, items in blocks]
        need = sum(1.6 * head + sum(1.3 * body * (w.count("\n") + 1) + 0.25 * body for w in ws) for _, ws in lines)
        if need <= h_pt:
            break
    y = 1.0
    for title, wrapped in lines:
        tx.text(0.0, y, title, fontsize=head, fontweight="bold", va="top", transform=tx.transAxes)
        y -= 1.6 * head / h_pt
        for w in wrapped:
            tx.text(0.0, y, w, fontsize=body, va="top", transform=tx.transAxes)
            y -= (1.3 * body * (w.count("\n") + 1) + 0.25 * body) / h_pt
        y -= 0.3 * head / h_pt
    foot = "Bars: mean of the valid trials (dots: each trial). "
    if d.single_leg:
        foot += (
            "SI = 100\u00b7(R\u2212L)/((R+L)/2), + means the right sways more. Grey band: MDC95 = "
            "1.96\u00b7\u221a2\u00b7SEM of this athlete's trials, centred on the L/R mean; bars reaching past it "
            "differ by more than measurement noise. "
        )
    foot += "This report describes sway (mediolateral sway as a proxy of hip control); it is not a diagnosis."
    fig.text(0.09, 0.012, _wrap(foot, 150), fontsize=6.3, color="0.35", va="bottom")
    return fig


def write_session_report(session: SessionRecord, out_path: str | Path, *, dpi: int = 150, references: Any = None,
                         show_name: bool = False) -> Path:  # fmt: skip
    """Write the one-page A4 report of ``session`` as a PDF or PNG.

    Parameters
    ----------
    session : balance.model.SessionRecord
        The session, with its trials and their recordings.
    out_path : str or Path
        Output file; its suffix (``.pdf`` or ``.png``) chooses the format.
    dpi : int, optional
        Resolution of a PNG (dots per inch; 150 gives 1240 x 1754 pixels).
    references : balance.app.references.SessionReferences, optional
        The "Against reference" panel's verdicts (``balance.app.references.session_references``).
    show_name : bool, optional
        Print the athlete's stored name beside the code (default: the code only, so a report
        shared or printed does not name the person).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    ValueError
        The suffix is neither ``.pdf`` nor ``.png``.
    """
    out = Path(out_path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise ValueError(f"report file {out} must end in .pdf or .png (got {out.suffix or 'no suffix'!r})")
    d = report_data(session)
    name = _athlete(session)[1]
    if show_name and name:
        import dataclasses

        from balance.app.store import printable  # names stored by older versions may hold escapes

        d = dataclasses.replace(d, athlete=f"{printable(str(name))} ({d.athlete})")
    fig = session_report_figure(session, data=d, references=references)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any]
    if fmt == "pdf":
        meta = {"Title": f"Balance session report: {d.athlete}", "Subject": d.protocol,
                "Creator": f"balance {d.software_version}"}
    else:
        meta = {"Title": f"Balance session report: {d.athlete}", "Software": f"balance {d.software_version}"}
    fig.savefig(out, format=fmt, dpi=dpi, metadata=meta)
    return out
