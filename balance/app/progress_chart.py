"""Progress across weeks: per measure, left and right over time and the asymmetry, on A4 pages.

:func:`write_progress` draws, for each measure asked for (three per page), two panels on a true
date axis and the change in words:

* left and right, one point per session (the mean of its valid trials) with the trial spread
  (lowest to highest trial) as a vertical bar, the baseline of each side (the first session)
  as a dashed line and a shaded band of ± MDC around it, so that real change stands out;
* the symmetry index 100·(R−L)/((R+L)/2) per session with a band of ± its MDC around the
  baseline session's index (the MDC of a change of the index);
* the sentences of :func:`protocols.compare.progress` (change since baseline, trend per week).

The MDC95 = 1.96·√2·SEM comes from the athlete's own repeated trials, or a published Wii
Balance Board value until there are enough (``docs/methods.md`` §4.4-4.5),
computed by :mod:`protocols.compare`.

Input is the athlete's history as the store gives it: a mapping from measure key to the list
of :class:`balance.app.store.HistoryPoint` (``Store.history(athlete, measure)``), or any
objects with ``session_id``, ``started_at``, ``condition``, ``side`` and ``values``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balance.catalogue import PROGRESS_DEFAULT

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_MEASURES",
    "MEASURES_PER_PAGE",
    "MeasureProgress",
    "progress_data",
    "session_points",
    "progress_figure",
    "write_progress",
]

#: Measures on one page (a PDF gets as many pages as needed; a PNG holds one page).
MEASURES_PER_PAGE = 3

#: Measures drawn when none are asked for: the mediolateral velocity first (the hip-control proxy).
DEFAULT_MEASURES: tuple[str, ...] = PROGRESS_DEFAULT


@dataclass
class MeasureProgress:
    """One measure across sessions, ready to draw.

    Attributes
    ----------
    measure : str
        Measure key (unit in the key).
    condition : str
        The condition drawn (``eyes_open`` ...).
    dates : list of datetime
        One per session, oldest first (naive, local time).
    session_ids : list
        Session ids, same order.
    left, right : ndarray, shape (S,)
        Mean of the valid trials per session (NaN where that side has none).
    left_spread, right_spread : ndarray, shape (2, S)
        Lowest and highest trial per session.
    si_pct : ndarray, shape (S,)
        Symmetry index 100·(R−L)/((R+L)/2) per session (%).
    baseline_left, baseline_right, baseline_si_pct : float
        The first session's values.
    mdc_left, mdc_right : float
        MDC95 of the measure per side (its unit).
    mdc_si_pct : float
        MDC95 of the symmetry index (percentage points).
    mdc_source : str
        ``"own"`` (this athlete's repeated trials) or ``"literature"``.
    sentences : list of str
        Plain-words change since baseline: left, right, asymmetry.
    """

    measure: str
    condition: str
    dates: list[datetime]
    session_ids: list[Any]
    left: np.ndarray
    right: np.ndarray
    left_spread: np.ndarray
    right_spread: np.ndarray
    si_pct: np.ndarray
    baseline_left: float
    baseline_right: float
    baseline_si_pct: float
    mdc_left: float
    mdc_right: float
    mdc_si_pct: float
    mdc_source: str
    sentences: list[str]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _when(v: Any) -> datetime:
    from datetime import timezone

    d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)  # the store keeps UTC
    return d.astimezone().replace(tzinfo=None)  # the coach reads the local date and time


def main_condition(points: Sequence[Any]) -> str:
    """The condition with the most history points (first seen on a tie); ``""`` if none."""
    counts: dict[str, int] = {}
    for p in points:
        c = str(_get(p, "condition", "") or "")
        counts[c] = counts.get(c, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else ""


def session_points(
    points: Sequence[Any], *, measure: str | None = None, condition: str | None = None
) -> tuple[str, str, list[Any]]:
    """The history points of one condition as :class:`protocols.compare.SessionPoint`, one per session.

    Parameters
    ----------
    points : sequence of HistoryPoint
        ``Store.history(athlete, measure)``.
    measure : str, optional
        The key (default: the points' ``measure``).
    condition : str, optional
        Which condition (default: :func:`main_condition`).

    Returns
    -------
    (str, str, list of SessionPoint)
        The measure key, the condition, and the sessions oldest first (valid trial values per side),
        ready for :func:`protocols.compare.progress`.
    """
    from protocols import compare

    if not points:
        raise ValueError(
            f"no history for {measure or 'this measure'}: record a session first (balance test or balance demo)"
        )
    key = measure or str(_get(points[0], "measure", "measure"))
    cond = main_condition(points) if condition is None else condition
    use = [p for p in points if str(_get(p, "condition", "") or "") == cond]
    if not use:
        raise ValueError(f"no history for {key} in condition {cond!r}; recorded: {main_condition(points)!r}")
    when: dict[Any, datetime] = {}
    vals: dict[tuple[Any, str], list[float]] = {}
    for p in use:
        sid = _get(p, "session_id")
        when.setdefault(sid, _when(_get(p, "started_at")))
        side = str(_get(p, "side"))
        v = [float(x) for x in (_get(p, "values", ()) or ()) if x is not None and math.isfinite(float(x))]
        vals.setdefault((sid, side), []).extend(v)
    sids = sorted(when, key=lambda s: (when[s], str(s)))
    pts = [
        compare.SessionPoint(when=when[s], left=tuple(vals.get((s, "left"), ())),
                             right=tuple(vals.get((s, "right"), ())), session_id=s)
        for s in sids
    ]  # fmt: skip
    return key, cond, pts


def progress_data(points: Sequence[Any], *, measure: str | None = None, condition: str | None = None) -> MeasureProgress:
    """Per-session left/right values of one measure, with baseline, MDC and trend words.

    The numbers come from :func:`protocols.compare.progress`: session means, the baseline (first
    session), the change since baseline per side and for the symmetry index, and the MDC95
    from the athlete's own repeated trials (literature default until there are enough).

    Parameters
    ----------
    points : sequence of HistoryPoint
        ``Store.history(athlete, measure)``: one point per session, condition and side, with
        the valid trials' ``values``.
    measure : str, optional
        The key (default: the points' ``measure``).
    condition : str, optional
        Which condition to draw (default: :func:`main_condition`).

    Returns
    -------
    MeasureProgress
    """
    from protocols import compare

    key, cond, pts = session_points(points, measure=measure, condition=condition)
    sids = [p.session_id for p in pts]
    when = {p.session_id: p.when for p in pts}
    vals = {(p.session_id, side): list(getattr(p, side)) for p in pts for side in ("left", "right")}
    prog = compare.progress(pts, measure=key)
    spread = {}
    for side in ("left", "right"):
        sp = np.full((2, len(sids)), np.nan)
        for i, s in enumerate(sids):
            v = vals.get((s, side), [])
            if v:
                sp[:, i] = (min(v), max(v))
        spread[side] = sp
    return MeasureProgress(
        measure=key, condition=cond, dates=[when[s] for s in sids], session_ids=sids,
        left=np.asarray(prog.left.means, dtype=np.float64), right=np.asarray(prog.right.means, dtype=np.float64),
        left_spread=spread["left"], right_spread=spread["right"],
        si_pct=np.asarray(prog.asymmetry.si_pct, dtype=np.float64),
        baseline_left=prog.left.baseline, baseline_right=prog.right.baseline,
        baseline_si_pct=prog.asymmetry.baseline,
        mdc_left=prog.left.noise.mdc95, mdc_right=prog.right.noise.mdc95, mdc_si_pct=prog.asymmetry.mdc95,
        mdc_source=prog.left.noise.source, sentences=list(prog.summary),
    )


def progress_figure(
    data: Sequence[MeasureProgress],
    *,
    athlete: str = "",
    protocol: str = "",
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    reference_bands: Mapping[str, tuple[float, float, str]] | None = None,
    fit: bool = False,
) -> "Figure":
    """Draw the progress page (A4 portrait): per measure, L/R over time and the asymmetry.

    Parameters
    ----------
    data : sequence of MeasureProgress
        One per measure, from :func:`progress_data`.
    athlete, protocol : str, optional
        For the header.
    labels, units : mapping, optional
        Display name and unit per measure key (default from ``balance.sway.MEASURES``).
    reference_bands : mapping, optional
        Measure key -> ``(low, high, label)``: a reference band drawn behind the athlete's
        lines (``balance.app.references.progress_bands``: published or squad P25-P75).
    fit : bool, optional
        Size the page to its content (A4 width, the height the measures need: one measure is a
        third of a page) instead of a full A4 page; used for PNG files.

    Returns
    -------
    Figure
        Not registered with pyplot. Axes labels: ``"progress-<measure>"``,
        ``"asymmetry-<measure>"``.
    """
    from matplotlib.figure import Figure

    from balance.app import plots
    from balance.app.report import A4_PORTRAIT_IN

    if not data:
        raise ValueError("nothing to draw: pass at least one measure's progress")
    labels = dict(labels or {})
    units = dict(units or {})
    from balance import catalogue

    for d in data:
        if d.measure not in labels:
            labels[d.measure] = catalogue.name(d.measure)
        if d.measure not in units:
            units[d.measure] = catalogue.unit(d.measure)

    n = len(data)
    width_in, a4_height_in = A4_PORTRAIT_IN
    # inches: top margin, header, one measure (plot, asymmetry, words), bottom margin (ticks and footer)
    top_in, header_in, bottom_in = 0.29, 0.95, 0.76
    measure_in = (a4_height_in - top_in - header_in - bottom_in) / MEASURES_PER_PAGE
    height_in = top_in + header_in + n * measure_in + bottom_in if fit else a4_height_in
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    ratios = [header_in / measure_in * 3.87] + [2.0, 1.15, 0.72] * n  # 3.87: the three rows of one measure
    gs = fig.add_gridspec(1 + 3 * n, 1, height_ratios=ratios, left=0.1, right=0.97, top=1.0 - top_in / height_in,
                          bottom=bottom_in / height_in, hspace=0.5)  # fmt: skip
    hx = fig.add_subplot(gs[0], label="header")
    hx.set_axis_off()
    hx.text(0.0, 1.0, "Balance progress", fontsize=15, fontweight="bold", va="top", transform=hx.transAxes)
    all_dates = sorted({dt for d in data for dt in d.dates})
    span = f"{all_dates[0]:%Y-%m-%d} to {all_dates[-1]:%Y-%m-%d}" if all_dates else "no sessions"
    n_sess = len({sid for d in data for sid in d.session_ids})
    cond = data[0].condition.replace("_", " ")
    hx.text(0.0, 0.3, f"Athlete: {athlete or 'unknown'}    Protocol: {protocol or 'single-leg stance'}"
            f"{', ' + cond if cond else ''}    {n_sess} session{'s' if n_sess != 1 else ''}, {span}",
            fontsize=9, va="top", transform=hx.transAxes)
    import textwrap

    for i, d in enumerate(data):
        ax = fig.add_subplot(gs[1 + 3 * i], label=f"progress-{d.measure}")
        sx = fig.add_subplot(gs[2 + 3 * i], label=f"asymmetry-{d.measure}", sharex=ax)
        wx = fig.add_subplot(gs[3 + 3 * i], label=f"words-{d.measure}")
        wx.set_axis_off()
        unit = units[d.measure]
        band = (reference_bands or {}).get(d.measure)
        if band is not None:  # behind the athlete's lines; plot_progress puts it in the legend
            ax.axhspan(band[0], band[1], color="#DDEBF7", zorder=0, lw=0, label=band[2])
        plots.plot_progress(
            d.dates, d.left, d.right, left_spread=d.left_spread, right_spread=d.right_spread,
            baseline_left=d.baseline_left, baseline_right=d.baseline_right,
            mdc_left=d.mdc_left, mdc_right=d.mdc_right, ax=ax, label=labels[d.measure], unit=unit,
            mdc_label="MDC95 of own trials" if d.mdc_source == "own" else "MDC95 (published WBB value)",
        )
        base_si = d.baseline_si_pct if math.isfinite(d.baseline_si_pct) else 0.0
        plots.plot_asymmetry(d.dates, d.si_pct, mdc_pct=d.mdc_si_pct if math.isfinite(d.mdc_si_pct) else None,
                             baseline_pct=base_si, ax=sx)
        ax.tick_params(labelbottom=False, labelsize=8)
        ax.xaxis.get_offset_text().set_visible(False)
        sx.tick_params(labelsize=8)
        ax.title.set_fontsize(10)
        for a in (ax, sx):
            leg = a.get_legend()
            if leg is not None:
                for t in leg.get_texts():
                    t.set_fontsize(7.5)
        box = wx.get_position()
        w_pt, h_pt = box.width * fig.get_figwidth() * 72.0, box.height * fig.get_figheight() * 72.0
        for size in (7.0, 6.5, 6.0, 5.5, 5.0):  # the largest text that fits the box
            chars = int(w_pt / (0.56 * size))
            words = "\n".join("\u2022 " + "\n   ".join(textwrap.wrap(s_, chars)) for s_ in d.sentences)
            if (words.count("\n") + 1) * 1.22 * size <= h_pt:
                break
        wx.text(0.0, 1.0, words, transform=wx.transAxes, va="top", fontsize=size, color="0.15")
    foot = ("One point per session: mean of its valid trials; vertical bars: lowest to highest trial. Dashed: "
            "baseline (first session); shaded: baseline \u00b1 MDC95 (1.96\u00b7\u221a2\u00b7SEM from this "
            "athlete's repeated trials): points outside changed by more than measurement noise. "
            "SI = 100\u00b7(R\u2212L)/((R+L)/2), + means the right sways more. Describes sway; not a diagnosis.")
    fig.text(0.1, 0.14 / height_in, "\n".join(textwrap.wrap(foot, 150)), fontsize=6.5, color="0.35", va="bottom")
    return fig


def write_progress(
    history: Mapping[str, Sequence[Any]],
    out_path: str | Path,
    *,
    measures: Sequence[str] | None = None,
    athlete: str = "",
    protocol: str = "",
    condition: str | None = None,
    dpi: int = 150,
    reference_bands: Mapping[str, tuple[float, float, str]] | None = None,
) -> Path:
    """Write the progress chart of an athlete as a PDF (one page per 3 measures) or a PNG page.

    Parameters
    ----------
    history : mapping of str to sequence of HistoryPoint
        Measure key -> ``Store.history(athlete, key)``.
    out_path : str or Path
        ``.pdf`` or ``.png``.
    measures : sequence of str, optional
        Keys to draw, in order (default: those of :data:`DEFAULT_MEASURES` present in
        ``history``, else all keys of ``history``).
    athlete, protocol : str, optional
        For the header.
    condition : str, optional
        Condition to draw (default: the one with most history).
    dpi : int, optional
        PNG resolution (dots per inch).
    reference_bands : mapping, optional
        See :func:`progress_figure`.

    Returns
    -------
    Path
        ``out_path``.
    """
    out = Path(out_path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise ValueError(f"progress file {out} must end in .pdf or .png (got {out.suffix or 'no suffix'!r})")
    if measures is None:
        measures = [m for m in DEFAULT_MEASURES if history.get(m)] or list(history)
    if not measures:
        raise ValueError("no measures to draw: the history is empty")
    missing = [m for m in measures if not history.get(m)]
    if missing:
        raise ValueError(f"no history for {', '.join(missing)}: choose among {', '.join(sorted(history)) or 'none'}")
    if fmt == "png" and len(measures) > MEASURES_PER_PAGE:
        raise ValueError(
            f"{len(measures)} measures do not fit one PNG page (at most {MEASURES_PER_PAGE}): write a .pdf "
            "(one page per 3 measures) or choose fewer with --measure"
        )
    data = [progress_data(history[m], measure=m, condition=condition) for m in measures]
    pages = [data[i : i + MEASURES_PER_PAGE] for i in range(0, len(data), MEASURES_PER_PAGE)]
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Title": f"Balance progress: {athlete}"}
    if fmt == "png":
        progress_figure(pages[0], athlete=athlete, protocol=protocol, reference_bands=reference_bands,
                        fit=True).savefig(out, format="png", dpi=dpi, metadata=meta)  # fmt: skip
        return out
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(out, metadata=meta) as pdf:
        for page in pages:
            pdf.savefig(progress_figure(page, athlete=athlete, protocol=protocol, reference_bands=reference_bands))
    return out
