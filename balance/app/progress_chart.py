"""Progress across weeks: per measure, left and right over time and the asymmetry, on one page.

:func:`write_progress` draws, for each measure asked for, two panels on a true date axis:

* left and right, one point per session (the mean of its valid trials) with the trial spread
  (lowest to highest trial) as a vertical bar, the baseline of each side (the first session)
  as a dashed line and a shaded band of ± MDC around it, so that real change stands out;
* the symmetry index 100·(R−L)/((R+L)/2) per session with a band of ± its MDC around zero.

The MDC95 = 1.96·√2·SEM comes from the athlete's own repeated trials
(``../shared/docs/posturography.md`` §4.4-4.5), computed by :mod:`protocols.compare`.

Input is the athlete's history as the store gives it: a mapping from measure key to the list
of :class:`balance.app.store.HistoryPoint` (``Store.history(athlete, measure)``), or any
objects with ``session_id``, ``started_at``, ``side``, ``values`` and ``mean``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_MEASURES",
    "MeasureProgress",
    "progress_data",
    "progress_figure",
    "write_progress",
]

#: Measures drawn when none are asked for: the mediolateral velocity first (the hip-control proxy).
DEFAULT_MEASURES: tuple[str, ...] = (
    "mean_velocity_ml_mm_s",
    "mean_velocity_mm_s",
    "prediction_ellipse_area_mm2",
)


@dataclass
class MeasureProgress:
    """One measure across sessions, ready to draw.

    Attributes
    ----------
    measure : str
        Measure key (unit in the key).
    dates : list of datetime
        One per session, oldest first (naive UTC).
    session_ids : list
        Session ids, same order.
    left, right : ndarray, shape (S,)
        Mean of the valid trials per session (NaN where that side has none).
    left_spread, right_spread : ndarray, shape (2, S)
        Lowest and highest trial per session.
    si_pct : ndarray, shape (S,)
        Symmetry index 100·(R−L)/((R+L)/2) per session (%).
    baseline_left, baseline_right : float
        The first session's mean per side.
    mdc : float
        MDC95 of the measure (its unit), from the athlete's repeated trials; NaN if unknown.
    mdc_si_pct : float
        MDC95 of the symmetry index (% points); NaN if unknown.
    sem : float
        Standard error of measurement the MDC comes from (the measure's unit).
    mdc_source : str
        Where the MDC comes from (own trials or a literature default), in words.
    """

    measure: str
    dates: list[datetime]
    session_ids: list[Any]
    left: np.ndarray
    right: np.ndarray
    left_spread: np.ndarray
    right_spread: np.ndarray
    si_pct: np.ndarray
    baseline_left: float
    baseline_right: float
    mdc: float = math.nan
    mdc_si_pct: float = math.nan
    sem: float = math.nan
    mdc_source: str = ""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _when(v: Any) -> datetime:
    if isinstance(v, datetime):
        d = v
    else:
        d = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    if d.tzinfo is not None:
        from datetime import timezone

        d = d.astimezone(timezone.utc).replace(tzinfo=None)
    return d


def _symmetry_index_pct(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    # 100·(R−L)/((R+L)/2): Robinson et al. 1987, posturography.md §4.4
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (right - left) / ((right + left) / 2.0)


def progress_data(
    points: Sequence[Any],
    *,
    measure: str | None = None,
    mdc: float | None = None,
    mdc_si_pct: float | None = None,
) -> MeasureProgress:
    """Per-session left/right values of one measure from history points.

    Parameters
    ----------
    points : sequence of HistoryPoint
        ``Store.history(athlete, measure)``: one point per session, condition and side,
        with the valid trials' ``values``.
    measure : str, optional
        The key (default: the points' ``measure``).
    mdc, mdc_si_pct : float, optional
        Override the MDC of the measure (its unit) and of the symmetry index (% points).
        Default: :func:`protocols.compare.mdc_from_history` on the same points.

    Returns
    -------
    MeasureProgress
    """
    if not points:
        raise ValueError(
            f"no history for {measure or 'this measure'}: record a session first (balance test or balance demo)"
        )
    key = measure or str(_get(points[0], "measure", "measure"))
    order: dict[Any, datetime] = {}
    by_side: dict[tuple[Any, str], list[float]] = {}
    for p in points:
        sid = _get(p, "session_id")
        order.setdefault(sid, _when(_get(p, "started_at")))
        side = str(_get(p, "side"))
        vals = [float(v) for v in (_get(p, "values", ()) or ()) if v is not None and math.isfinite(float(v))]
        by_side.setdefault((sid, side), []).extend(vals)
    sids = sorted(order, key=lambda s: (order[s], str(s)))
    s_n = len(sids)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for side in ("left", "right"):
        mean = np.full(s_n, np.nan)
        spread = np.full((2, s_n), np.nan)
        for i, sid in enumerate(sids):
            v = by_side.get((sid, side), [])
            if v:
                mean[i] = float(np.mean(v))
                spread[:, i] = (min(v), max(v))
        out[side] = (mean, spread)
    left, ls = out["left"]
    right, rs = out["right"]
    si = _symmetry_index_pct(left, right)

    def first(a: np.ndarray) -> float:
        f = a[np.isfinite(a)]
        return float(f[0]) if f.size else math.nan

    sem, source = math.nan, ""
    m_val = math.nan if mdc is None else float(mdc)
    m_si = math.nan if mdc_si_pct is None else float(mdc_si_pct)
    if mdc is None or mdc_si_pct is None:
        est = _mdc_estimate(key, by_side, left, right)
        if est is not None:
            sem = est["sem"]
            source = est["source"]
            if mdc is None:
                m_val = est["mdc"]
            if mdc_si_pct is None:
                m_si = est["mdc_si_pct"]
    return MeasureProgress(
        measure=key, dates=[order[s] for s in sids], session_ids=sids, left=left, right=right,
        left_spread=ls, right_spread=rs, si_pct=si, baseline_left=first(left), baseline_right=first(right),
        mdc=m_val, mdc_si_pct=m_si, sem=sem, mdc_source=source,
    )


def _mdc_estimate(
    key: str, by_side: Mapping[tuple[Any, str], list[float]], left: np.ndarray, right: np.ndarray
) -> dict[str, Any] | None:
    """SEM and MDC95 from the athlete's own repeated trials via :mod:`protocols.compare`."""
    try:
        from protocols import compare
    except ImportError:  # pragma: no cover - protocols always shipped with the app
        return None
    groups = [v for v in by_side.values() if len(v) >= 1]
    fn = getattr(compare, "mdc_from_groups", None)
    if fn is None:
        return None
    return dict(fn(groups, measure=key, left_mean=float(np.nanmean(left)) if np.isfinite(left).any() else math.nan,
                   right_mean=float(np.nanmean(right)) if np.isfinite(right).any() else math.nan))


def progress_figure(
    data: Sequence[MeasureProgress],
    *,
    athlete: str = "",
    protocol: str = "",
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
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
    try:
        from balance.sway import MEASURES
    except ImportError:  # pragma: no cover
        MEASURES = {}
    from balance.app.report import _SENTENCE_NAMES

    for d in data:
        info = MEASURES.get(d.measure)
        if d.measure not in labels:
            name = _SENTENCE_NAMES.get(d.measure, d.measure.replace("_", " "))
            labels[d.measure] = name[0].upper() + name[1:] + f"  [{d.measure}]"
        if d.measure not in units:
            units[d.measure] = info.unit if info else ""

    n = len(data)
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100)
    ratios = [0.55] + [2.2, 1.25] * n
    gs = fig.add_gridspec(1 + 2 * n, 1, height_ratios=ratios, left=0.1, right=0.97, top=0.975, bottom=0.075,
                          hspace=0.55 if n > 1 else 0.45)
    hx = fig.add_subplot(gs[0], label="header")
    hx.set_axis_off()
    hx.text(0.0, 1.0, "Balance progress", fontsize=15, fontweight="bold", va="top", transform=hx.transAxes)
    all_dates = sorted({dt for d in data for dt in d.dates})
    span = f"{all_dates[0]:%Y-%m-%d} to {all_dates[-1]:%Y-%m-%d}" if all_dates else "no sessions"
    n_sess = len({sid for d in data for sid in d.session_ids})
    hx.text(0.0, 0.35, f"Athlete: {athlete or 'unknown'}    Protocol: {protocol or 'single-leg stance'}    "
            f"{n_sess} session{'s' if n_sess != 1 else ''}, {span}", fontsize=9, va="top", transform=hx.transAxes)
    for i, d in enumerate(data):
        ax = fig.add_subplot(gs[1 + 2 * i], label=f"progress-{d.measure}")
        sx = fig.add_subplot(gs[2 + 2 * i], label=f"asymmetry-{d.measure}", sharex=ax)
        unit = units[d.measure]
        plots.plot_progress(
            d.dates, d.left, d.right, left_spread=d.left_spread, right_spread=d.right_spread,
            baseline_left=d.baseline_left, baseline_right=d.baseline_right,
            mdc=d.mdc if math.isfinite(d.mdc) else None, ax=ax, label=labels[d.measure], unit=unit,
        )
        plots.plot_asymmetry(d.dates, d.si_pct, mdc_pct=d.mdc_si_pct if math.isfinite(d.mdc_si_pct) else None,
                             ax=sx)
        ax.tick_params(labelbottom=False, labelsize=8)
        ax.xaxis.get_offset_text().set_visible(False)
        sx.tick_params(labelsize=8)
        ax.title.set_fontsize(10)
        for a in (ax, sx):
            leg = a.get_legend()
            if leg is not None:
                for t in leg.get_texts():
                    t.set_fontsize(7.5)
        note = (f"MDC95 {d.mdc:.3g} {unit} ({d.mdc_source})" if math.isfinite(d.mdc)
                else "MDC unknown: more repeated trials needed")
        ax.text(1.0, 1.02, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.35")
    foot = ("One point per session: mean of its valid trials; vertical bars: lowest to highest trial. Dashed: "
            "baseline (first session); shaded: baseline \u00b1 MDC95 (1.96\u00b7\u221a2\u00b7SEM from this "
            "athlete's repeated trials): points outside changed by more than measurement noise. "
            "SI = 100\u00b7(R\u2212L)/((R+L)/2). Describes sway; not a diagnosis.")
    import textwrap

    fig.text(0.1, 0.012, "\n".join(textwrap.wrap(foot, 150)), fontsize=6.5, color="0.35", va="bottom")
    return fig


def write_progress(
    history: Mapping[str, Sequence[Any]],
    out_path: str | Path,
    *,
    measures: Sequence[str] | None = None,
    athlete: str = "",
    protocol: str = "",
    dpi: int = 150,
) -> Path:
    """Write the progress page of an athlete as a PDF or PNG.

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
    dpi : int, optional
        PNG resolution (dots per inch).

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
    missing = [m for m in measures if not history.get(m)]
    if missing:
        raise ValueError(f"no history for {', '.join(missing)}: choose among {', '.join(sorted(history)) or 'none'}")
    data = [progress_data(history[m], measure=m) for m in measures]
    fig = progress_figure(data, athlete=athlete, protocol=protocol)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Title": f"Balance progress: {athlete}"}
    fig.savefig(out, format=fmt, dpi=dpi, metadata=meta)
    return out
