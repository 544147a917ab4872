"""Plot functions for sway: statokinesigram, CoP over time, left vs right, progress, asymmetry.

Every function follows the MNE-Python plotting convention (``mne/viz/misc.py``): it takes an optional ``ax`` (or ``axes``), draws into it, returns the
:class:`~matplotlib.figure.Figure`, and never calls ``show()``. Inputs are plain arrays and
mappings, so the functions know nothing of the store or the protocols.

Every artist that carries data has a ``gid`` (``"cop"``, ``"ellipse"``, ``"board"``,
``"bar-left"``, ``"mdc-band"`` ...) so tests and callers can find what was drawn with
:func:`find_artists`.

Conventions: ML (x) positive to the person's right, AP (y) positive forward (ISPGR; Scoppa et
al. 2013, ``docs/methods.md`` §3.1). Left is drawn in blue, right in vermillion
(Okabe-Ito colours, safe for colour-blind readers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.cop import WII_BALANCE_BOARD, BoardGeometry
from balance.ellipse import Ellipse, sway_ellipse

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LEFT_COLOR",
    "RIGHT_COLOR",
    "SIDE_COLORS",
    "WII_SURFACE_MM",
    "prediction_ellipse",
    "find_artists",
    "plot_board",
    "plot_statokinesigram",
    "plot_cop_time",
    "plot_left_right",
    "plot_progress",
    "plot_asymmetry",
    "session_ticks",
]

#: Colour of the left side (Okabe-Ito blue).
LEFT_COLOR = "#0072B2"
#: Colour of the right side (Okabe-Ito vermillion).
RIGHT_COLOR = "#D55E00"
SIDE_COLORS: dict[str, str] = {"left": LEFT_COLOR, "right": RIGHT_COLOR}
#: Standing surface of the Wii Balance Board, ML x AP (mm). Approximate: "an unattributed
#: document gives the surface as 511 x 316 mm" (``docs/wii-balance-board.md`` §5).
WII_SURFACE_MM: tuple[float, float] = (511.0, 316.0)
_ML_LABEL = "ML (mm)  \u2192 right"
_AP_LABEL = "AP (mm)  \u2192 forward"


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------
def prediction_ellipse(cop_ml_mm: ArrayLike, cop_ap_mm: ArrayLike, *, pvalue: float = 0.95) -> Ellipse:
    """The prediction ellipse drawn on a statokinesigram, from the finite samples.

    Duarte's 95 % prediction ellipse (:func:`balance.ellipse.sway_ellipse`, variant
    ``"duarte"``): the same ellipse whose area is the measure ``prediction_ellipse_area_mm2``
    and the HBEDB ``COParea`` (``docs/data-formats.md``; ``docs/methods.md``
    §1.2; Schubert & Kirchner 2014 recommend the prediction, not the confidence, ellipse).

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP (mm); NaN samples are left out.
    pvalue : float, optional
        Probability content, 0 < pvalue < 1 (default 0.95).

    Returns
    -------
    balance.ellipse.Ellipse
    """
    x = _as_1d("cop_ml_mm", cop_ml_mm)
    y = _as_1d("cop_ap_mm", cop_ap_mm)
    if x.shape != y.shape:
        raise ValueError(f"cop_ml_mm and cop_ap_mm must have equal length, got {x.size} and {y.size}")
    ok = np.isfinite(x) & np.isfinite(y)
    return sway_ellipse(x[ok], y[ok], variant="duarte", p=pvalue)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def find_artists(fig_or_ax: "Figure | Axes", gid: str) -> list["Artist"]:
    """All artists under ``fig_or_ax`` whose ``gid`` equals ``gid``, in drawing order."""
    return [a for a in fig_or_ax.findobj(lambda a: a.get_gid() == gid)]


def _new_ax(ax: "Axes | None", figsize: tuple[float, float]) -> "Axes":
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _fig(ax: "Axes") -> "Figure":
    try:
        fig = ax.get_figure(root=True)  # matplotlib >= 3.10: the root even inside subfigures
    except TypeError:  # pragma: no cover - older matplotlib
        fig = ax.figure
    assert fig is not None
    return fig


def _as_1d(name: str, v: ArrayLike) -> NDArray[np.float64]:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    return a


# ---------------------------------------------------------------------------------------------
# the board and the statokinesigram
# ---------------------------------------------------------------------------------------------
def plot_board(
    *,
    ax: "Axes | None" = None,
    geometry: BoardGeometry = WII_BALANCE_BOARD,
    surface_mm: tuple[float, float] | None = WII_SURFACE_MM,
    color: str = "0.55",
    linewidth: float = 1.5,
) -> "Figure":
    """Draw a four-sensor board to scale, centred on the origin (mm).

    Parameters
    ----------
    ax : Axes, optional
        Axes to draw into; a new figure when None.
    geometry : BoardGeometry, optional
        Sensor spacing (mm); the sensors are drawn at ``(+-width/2, +-length/2)``.
    surface_mm : (float, float) or None, optional
        Standing surface, ML x AP (mm); the Wii Balance Board's by default. None draws the
        rectangle through the sensors instead.
    color : str, optional
        Outline colour.
    linewidth : float, optional
        Outline width (points).

    Returns
    -------
    Figure
        The outline is the patch with gid ``"board"``; the sensors, gid ``"sensors"``.
    """
    from matplotlib.patches import FancyBboxPatch

    ax = _new_ax(ax, (6.0, 4.0))
    w, h = surface_mm if surface_mm is not None else (geometry.width_mm, geometry.length_mm)
    pad = min(w, h) * 0.08
    outline = FancyBboxPatch(
        (-w / 2 + pad, -h / 2 + pad), w - 2 * pad, h - 2 * pad,
        boxstyle=f"round,pad={pad}", fill=False, edgecolor=color, linewidth=linewidth, zorder=1,
    )
    outline.set_gid("board")
    ax.add_patch(outline)
    sx, sy = geometry.width_mm / 2.0, geometry.length_mm / 2.0
    (sensors,) = ax.plot(
        [-sx, sx, -sx, sx], [sy, sy, -sy, -sy], linestyle="none", marker="s", markersize=5,
        color=color, zorder=1,
    )  # TL, TR, BL, BR
    sensors.set_gid("sensors")
    ax.axhline(0.0, color=color, linewidth=0.5, alpha=0.5, zorder=0)
    ax.axvline(0.0, color=color, linewidth=0.5, alpha=0.5, zorder=0)
    ax.set_aspect("equal", adjustable="box")
    m = 0.04 * w
    ax.set_xlim(-w / 2 - m, w / 2 + m)
    ax.set_ylim(-h / 2 - m, h / 2 + m)
    return _fig(ax)


def plot_statokinesigram(
    cop_ml_mm: ArrayLike,
    cop_ap_mm: ArrayLike,
    *,
    ax: "Axes | None" = None,
    ellipse: bool | Ellipse = True,
    pvalue: float = 0.95,
    board: BoardGeometry | None = None,
    half_range_mm: float | None = None,
    center_mm: tuple[float, float] | None = None,
    color: str = LEFT_COLOR,
    linewidth: float = 0.8,
    title: str | None = None,
    show_area: bool = True,
    legend: bool = True,
) -> "Figure":
    """CoP trajectory in the horizontal plane, with its prediction ellipse.

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP (mm), ML positive to the right, AP positive forward. Plotted exactly as given.
    ax : Axes, optional
        Axes to draw into; a new figure when None.
    ellipse : bool or balance.ellipse.Ellipse, optional
        True computes the prediction ellipse of the plotted points with
        :func:`prediction_ellipse`; an :class:`~balance.ellipse.Ellipse` draws that one; False none.
    pvalue : float, optional
        Probability content of the computed ellipse (default 0.95).
    board : BoardGeometry, optional
        Draw this board's outline to scale (then the CoP must be in board coordinates, mm
        from the board centre). None: no outline, axes fitted to the data.
    half_range_mm : float, optional
        Without a board: show ``mean +- half_range_mm`` on both axes, so several plots share
        one scale. None fits the data.
    center_mm : (float, float), optional
        Centre (ML, AP) of that window (mm); default the mean CoP.
    color : str, optional
        Trace colour.
    linewidth : float, optional
        Trace width (points).
    title : str, optional
        Axes title.
    show_area : bool, optional
        Put the ellipse area in the legend.
    legend : bool, optional
        Draw the legend (the ellipse's label stays on the patch for callers' own legends).

    Returns
    -------
    Figure
        Artists: the trace (gid ``"cop"``), the ellipse (gid ``"ellipse"``) and, with a
        board, ``"board"`` and ``"sensors"``.
    """
    from matplotlib.patches import Ellipse as EllipsePatch

    x = _as_1d("cop_ml_mm", cop_ml_mm)
    y = _as_1d("cop_ap_mm", cop_ap_mm)
    if x.shape != y.shape:
        raise ValueError(f"cop_ml_mm and cop_ap_mm must have equal length, got {x.size} and {y.size}")
    ax = _new_ax(ax, (5.0, 5.0))
    if board is not None:
        plot_board(ax=ax, geometry=board)
    (line,) = ax.plot(x, y, color=color, linewidth=linewidth, alpha=0.85, zorder=2, label="CoP")
    line.set_gid("cop")
    geo: Ellipse | None
    if isinstance(ellipse, Ellipse):
        geo = ellipse
    elif ellipse and np.count_nonzero(np.isfinite(x) & np.isfinite(y)) >= 3:
        geo = prediction_ellipse(x, y, pvalue=pvalue)
    else:
        geo = None
    if geo is not None:
        label = f"{geo.p * 100:.0f} % prediction ellipse"
        if show_area:
            label += f"\n{geo.area_mm2:,.0f} mm\u00b2"
        patch = EllipsePatch(
            (geo.center_ml_mm, geo.center_ap_mm), 2 * geo.semi_major_mm, 2 * geo.semi_minor_mm, angle=geo.angle_deg,
            fill=False, edgecolor="black", linewidth=1.6, zorder=3, label=label,
        )
        patch.set_gid("ellipse")
        ax.add_patch(patch)
        if legend:
            ax.legend(loc="upper right", fontsize="small", frameon=True, framealpha=0.8)
    ax.set_xlabel(_ML_LABEL)
    ax.set_ylabel(_AP_LABEL)
    if board is None:
        if half_range_mm is not None:
            if center_mm is not None:
                cx, cy = float(center_mm[0]), float(center_mm[1])
            else:
                cx = float(np.nanmean(x)) if np.isfinite(x).any() else 0.0
                cy = float(np.nanmean(y)) if np.isfinite(y).any() else 0.0
            ax.set_xlim(cx - half_range_mm, cx + half_range_mm)
            ax.set_ylim(cy - half_range_mm, cy + half_range_mm)
            ax.set_aspect("equal", adjustable="box")
        else:
            ax.set_aspect("equal", adjustable="datalim")
        ax.grid(True, linewidth=0.4, alpha=0.5)
    if title:
        ax.set_title(title)
    return _fig(ax)


def plot_cop_time(
    time_s: ArrayLike,
    cop_ml_mm: ArrayLike,
    cop_ap_mm: ArrayLike,
    *,
    ax: "Axes | None" = None,
    ylim_mm: tuple[float, float] | None = None,
    title: str | None = None,
    legend: bool = True,
) -> "Figure":
    """ML and AP CoP against time.

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample times (s).
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP (mm); plotted as given (centre them first to compare trials).
    ax : Axes, optional
        Axes to draw into; a new figure when None.
    ylim_mm : (float, float), optional
        Shared vertical limits (mm), to put several plots on one scale.
    title : str, optional
        Axes title.
    legend : bool, optional
        Draw a legend.

    Returns
    -------
    Figure
        Lines with gid ``"ml"`` (solid, black) and ``"ap"`` (grey).
    """
    t = _as_1d("time_s", time_s)
    x = _as_1d("cop_ml_mm", cop_ml_mm)
    y = _as_1d("cop_ap_mm", cop_ap_mm)
    if not (t.shape == x.shape == y.shape):
        raise ValueError(
            f"time_s, cop_ml_mm, cop_ap_mm must have equal length, got {t.size}, {x.size}, {y.size}"
        )
    ax = _new_ax(ax, (7.0, 2.5))
    (ml,) = ax.plot(t, x, color="black", linewidth=0.9, label="ML (+ right)")
    (ap,) = ax.plot(t, y, color="0.55", linewidth=0.9, label="AP (+ forward)")
    ml.set_gid("ml")
    ap.set_gid("ap")
    ax.axhline(0.0, color="0.8", linewidth=0.5, zorder=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("CoP (mm)")
    if t.size:
        ax.set_xlim(float(t[0]), float(t[-1]))
    if ylim_mm is not None:
        ax.set_ylim(*ylim_mm)
    if legend:
        ax.legend(loc="upper right", fontsize="small", ncols=2, frameon=False)
    if title:
        ax.set_title(title)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    return _fig(ax)


# ---------------------------------------------------------------------------------------------
# left vs right
# ---------------------------------------------------------------------------------------------
def plot_left_right(
    left: Mapping[str, float],
    right: Mapping[str, float],
    *,
    measures: Sequence[str],
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    si_pct: Mapping[str, float] | None = None,
    mdc: Mapping[str, float] | None = None,
    left_spread: Mapping[str, Sequence[float]] | None = None,
    right_spread: Mapping[str, Sequence[float]] | None = None,
    tick_labels: tuple[str, str] = ("L", "R"),
    colors: tuple[str, str] = (LEFT_COLOR, RIGHT_COLOR),
    axes: "Sequence[Axes] | None" = None,
) -> "Figure":
    """Left and right bars per measure, one small panel each (the units differ).

    Parameters
    ----------
    left, right : mapping of str to float
        Value of each measure per side (the measure's unit, e.g. mm/s).
    measures : sequence of str
        Keys to draw, in order; one panel each.
    labels, units : mapping of str to str, optional
        Panel title and unit per key (default: the key, no unit).
    si_pct : mapping of str to float, optional
        Symmetry index per key (%), written above the bars. Signed, ``+`` means more on the
        right (100·(R−L)/((R+L)/2), ``docs/methods.md`` §4.4).
    mdc : mapping of str to float, optional
        Minimal detectable change of the left-right difference per key, in the measure's
        unit. Drawn as a grey band of total height MDC centred on the mean of the two bars:
        when both bar tops lie outside the band, ``|R - L| > MDC`` and the panel is marked
        "beyond MDC".
    left_spread, right_spread : mapping of str to sequence of float, optional
        The individual trials per key, drawn as dots on the bars.
    tick_labels : (str, str), optional
        Labels under the two bars (another pair of groups, e.g. ``("EO", "EC")``).
    colors : (str, str), optional
        Bar colours.
    axes : sequence of Axes, optional
        One Axes per measure; a new figure when None.

    Returns
    -------
    Figure
        Bars with gid ``"bar-left"`` and ``"bar-right"``, bands ``"mdc-band"``, trial dots
        ``"trials-left"``/``"trials-right"``, marks ``"beyond-mdc"``.
    """
    from matplotlib.patches import Rectangle

    measures = list(measures)
    if not measures:
        raise ValueError("measures is empty: name at least one measure key to draw")
    if axes is None:
        import matplotlib.pyplot as plt

        _, ax_arr = plt.subplots(1, len(measures), figsize=(1.6 * len(measures) + 1, 3.0), layout="constrained")
        axes = list(np.atleast_1d(ax_arr))
    axes = list(axes)
    if len(axes) != len(measures):
        raise ValueError(f"got {len(axes)} axes for {len(measures)} measures: pass one Axes per measure")
    labels = labels or {}
    units = units or {}
    for ax, key in zip(axes, measures):
        lv = float(left.get(key, np.nan))
        rv = float(right.get(key, np.nan))
        bars = ax.bar([0, 1], [lv, rv], width=0.7, color=list(colors), zorder=2)
        bars.patches[0].set_gid("bar-left")
        bars.patches[1].set_gid("bar-right")
        top = np.nanmax([lv, rv, 0.0])
        for side, vals, xpos in (("left", left_spread, 0), ("right", right_spread, 1)):
            if vals and key in vals and len(vals[key]):
                v = np.asarray(vals[key], dtype=np.float64)
                jitter = np.linspace(-0.15, 0.15, v.size) if v.size > 1 else np.zeros(1)
                (dots,) = ax.plot(
                    xpos + jitter, v, linestyle="none", marker="o", markersize=3.5,
                    markerfacecolor="white", markeredgecolor="black", markeredgewidth=0.8, zorder=4,
                )
                dots.set_gid(f"trials-{side}")
                top = np.nanmax([top, np.nanmax(v)])
        beyond = False
        if mdc is not None and key in mdc and np.isfinite(mdc[key]) and np.isfinite(lv) and np.isfinite(rv):
            m = float(mdc[key])
            mid = (lv + rv) / 2.0
            band = Rectangle(
                (-0.5, mid - m / 2.0), 2.0, m, facecolor="0.5", alpha=0.28, edgecolor="none", zorder=3,
            )
            band.set_gid("mdc-band")
            ax.add_patch(band)
            top = max(top, mid + m / 2.0)
            beyond = abs(rv - lv) > m
        head = ""
        if si_pct is not None and key in si_pct and np.isfinite(si_pct[key]):
            head = f"SI {si_pct[key]:+.0f} %"
        if beyond:
            txt = ax.text(
                0.5, 0.985, (head + "\n" if head else "") + "beyond MDC", transform=ax.transAxes,
                ha="center", va="top", fontsize="small", fontweight="bold", color="black",
            )
            txt.set_gid("beyond-mdc")
        elif head:
            within = mdc is not None and key in mdc and np.isfinite(mdc[key])
            ax.text(0.5, 0.985, head + ("\nwithin noise" if within else ""),
                    transform=ax.transAxes, ha="center", va="top", fontsize="small", color="0.3")
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(0.0, top * 1.35 if top > 0 else 1.0)
        ax.set_xticks([0, 1], list(tick_labels))
        unit = units.get(key, "")
        ax.set_title(labels.get(key, key), fontsize="medium")
        if unit:
            ax.set_ylabel(unit, fontsize="small")
        ax.tick_params(labelsize="small")
        ax.grid(True, axis="y", linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
    return _fig(axes[0])


# ---------------------------------------------------------------------------------------------
# progress across weeks
# ---------------------------------------------------------------------------------------------
def _dates(dates: Sequence[Any]) -> NDArray[Any]:
    out = []
    for d in dates:
        if isinstance(d, datetime):
            out.append(d)
        elif isinstance(d, date):
            out.append(datetime(d.year, d.month, d.day))
        elif isinstance(d, str):
            out.append(datetime.fromisoformat(d.replace("Z", "+00:00")))
        elif isinstance(d, np.datetime64):
            out.append(d.astype("datetime64[us]").astype(datetime))
        else:
            raise ValueError(f"date {d!r} is not a datetime, date, ISO string or numpy datetime64")
    return np.array([d.replace(tzinfo=None) for d in out], dtype=object)


def _date_axis(ax: "Axes", dts: NDArray[Any]) -> None:
    """A true time axis (sessions on the same day stay apart, at their times) with a tick at each session.

    The axis spans the sessions plus a margin (a week either side of a single session). Ticks sit at
    the sessions themselves, thinned so that labels do not collide (first and last always kept);
    a label gives the date, the time where that date has more than one session, and the year where
    it changes (the header of a chart gives the first).
    """
    import matplotlib.dates as mdates

    if not dts.size:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
        return
    order = sorted(dts)
    lo, hi = order[0], order[-1]
    span = hi - lo
    pad = timedelta(days=7) if span == timedelta(0) else max(span * 0.06, timedelta(minutes=20))
    ax.set_xlim(lo - pad, hi + pad)
    ticks = session_ticks(order)
    per_day: dict[Any, int] = {}
    for d in order:
        per_day[d.date()] = per_day.get(d.date(), 0) + 1
    labels = []
    prev_year = None
    for d in ticks:
        text = f"{d:%d %b}"
        if per_day[d.date()] > 1:
            text += f"\n{d:%H:%M}"
        if prev_year is not None and d.year != prev_year:
            text += f"\n{d:%Y}"
        prev_year = d.year
        labels.append(text)
    ax.set_xticks([mdates.date2num(d) for d in ticks], labels)


def session_ticks(dts: Sequence[datetime], *, max_ticks: int = 8) -> list[datetime]:
    """Session times to put ticks at: every session whose label has room, at most ``max_ticks``.

    Walking from the first session, a session gets a tick when it is at least 1/(``max_ticks`` - 1)
    of the span after the previous tick; the last session always gets one (replacing a tick too
    close before it)."""
    order = sorted(dts)
    if len(order) <= 1:
        return order
    span = order[-1] - order[0]
    if span == timedelta(0):
        return order[:1]
    gap = span / max(max_ticks - 1, 1)
    kept = [order[0]]
    for d in order[1:]:
        if d - kept[-1] >= gap:
            kept.append(d)
    if kept[-1] != order[-1]:
        if len(kept) > 1 and order[-1] - kept[-1] < gap:
            kept.pop()
        kept.append(order[-1])
    return kept


def _spread_err(values: NDArray[np.float64], spread: ArrayLike | None) -> NDArray[np.float64] | None:
    if spread is None:
        return None
    s = np.asarray(spread, dtype=np.float64)
    if s.shape != (2, values.size):
        raise ValueError(
            f"spread must have shape (2, {values.size}) [lowest, highest trial per session], got {s.shape}"
        )
    return np.vstack([values - s[0], s[1] - values]).clip(min=0.0)


def plot_progress(
    dates: Sequence[Any],
    left: ArrayLike,
    right: ArrayLike,
    *,
    left_spread: ArrayLike | None = None,
    right_spread: ArrayLike | None = None,
    baseline_left: float | None = None,
    baseline_right: float | None = None,
    mdc: float | None = None,
    mdc_left: float | None = None,
    mdc_right: float | None = None,
    ax: "Axes | None" = None,
    label: str | None = None,
    unit: str = "",
    legend: bool = True,
    mdc_label: str = "MDC",
) -> "Figure":
    """One measure per side across sessions, on a true date axis, with the baseline ± MDC band.

    Parameters
    ----------
    dates : sequence of datetime, date, ISO str or datetime64, length S
        Session dates.
    left, right : array_like, shape (S,)
        One value per session and side (the mean of its valid trials); NaN where missing.
    left_spread, right_spread : array_like, shape (2, S), optional
        Lowest and highest trial per session, drawn as a vertical bar.
    baseline_left, baseline_right : float, optional
        Baseline value per side (the measure's unit), drawn as a dashed line.
    mdc : float, optional
        Minimal detectable change (the measure's unit): a shaded band ``baseline +- mdc`` per
        side; points outside it changed by more than measurement noise.
    mdc_left, mdc_right : float, optional
        Per-side MDC (the measure's unit), overriding ``mdc`` for that side.
    ax : Axes, optional
        Axes to draw into; a new figure when None.
    label, unit : str, optional
        Measure name and unit, for the title and y label.
    legend : bool, optional
        Draw a legend.
    mdc_label : str, optional
        How the band is named in the legend (e.g. ``"MDC95 (own trials)"``).

    Returns
    -------
    Figure
        Lines with gid ``"progress-left"``/``"progress-right"``, baselines
        ``"baseline-left"``/``"baseline-right"``, bands ``"mdc-band-left"``/``"mdc-band-right"``.
    """
    dts = _dates(dates)
    lv = _as_1d("left", left)
    rv = _as_1d("right", right)
    if not (lv.size == rv.size == dts.size):
        raise ValueError(f"dates, left, right must have equal length, got {dts.size}, {lv.size}, {rv.size}")
    ax = _new_ax(ax, (7.0, 3.0))
    many = dts.size > 20
    ms = 3.5 if many else 6.0
    for side, v, spread, base, color, side_mdc in (
        ("left", lv, left_spread, baseline_left, LEFT_COLOR, mdc_left if mdc_left is not None else mdc),
        ("right", rv, right_spread, baseline_right, RIGHT_COLOR, mdc_right if mdc_right is not None else mdc),
    ):
        if base is not None and np.isfinite(base):
            if side_mdc is not None and np.isfinite(side_mdc):
                band = ax.axhspan(base - side_mdc, base + side_mdc, color=color, alpha=0.12, linewidth=0, zorder=0)
                band.set_gid(f"mdc-band-{side}")
            bl = ax.axhline(base, color=color, linestyle="--", linewidth=1.0, alpha=0.8, zorder=1)
            bl.set_gid(f"baseline-{side}")
        err = _spread_err(v, spread)
        if err is not None:
            eb = ax.errorbar(dts, v, yerr=err, fmt="none", ecolor=color, elinewidth=1.0, alpha=0.6, zorder=2)
            for child in eb.get_children():
                child.set_gid(f"spread-{side}")
        (ln,) = ax.plot(
            dts, v, color=color, marker="o", markersize=ms, linewidth=1.2 if many else 1.6,
            label=f"{side}", zorder=3,
        )
        ln.set_gid(f"progress-{side}")
    _date_axis(ax, dts)
    ax.set_ylabel(unit)
    if label:
        # room between the title and the axes for the legend, which sits above the data, off the bands
        ax.set_title(label, loc="left", fontsize="medium", pad=18.0 if legend else 6.0)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    if legend:
        from matplotlib.patches import Patch

        handles, _ = ax.get_legend_handles_labels()
        ml = mdc_left if mdc_left is not None else mdc
        mr = mdc_right if mdc_right is not None else mdc
        if ml is not None and mr is not None and np.isfinite(ml) and np.isfinite(mr):
            vals = f"{ml:.3g} {unit}" if ml == mr else f"L {ml:.3g}, R {mr:.3g} {unit}"
            handles.append(Patch(facecolor="0.6", alpha=0.35, label=f"baseline \u00b1 {mdc_label} ({vals.strip()})"))
        # one row (a reference band adds a fourth entry), so it stays in the room above the axes
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize="small", ncols=len(handles),
                  frameon=False, borderaxespad=0.1, borderpad=0.1)  # fmt: skip
    return _fig(ax)


def plot_asymmetry(
    dates: Sequence[Any],
    si_pct: ArrayLike,
    *,
    mdc_pct: float | None = None,
    baseline_pct: float = 0.0,
    flagged: ArrayLike | None = None,
    ax: "Axes | None" = None,
    label: str | None = None,
) -> "Figure":
    """The symmetry index across sessions, with a band of ± MDC around a reference.

    Parameters
    ----------
    dates : sequence of datetime, date, ISO str or datetime64, length S
        Session dates.
    si_pct : array_like, shape (S,)
        Symmetry index 100·(R−L)/((R+L)/2) per session (%); positive: the right side sways
        more (``docs/methods.md`` §4.4).
    mdc_pct : float, optional
        Minimal detectable change of the symmetry index (% points): a band
        ``baseline_pct +- mdc_pct``; points outside it differ from the reference by more than
        measurement noise.
    baseline_pct : float, optional
        Centre of the band (%): 0 (perfect symmetry, the default) or the baseline session's
        symmetry index (change since baseline).
    flagged : array_like of bool, shape (S,), optional
        Sessions to mark as beyond the MDC (filled markers). Default:
        ``|si - baseline_pct| > mdc_pct`` when ``mdc_pct`` is given.
    ax : Axes, optional
        Axes to draw into; a new figure when None.
    label : str, optional
        Title.

    Returns
    -------
    Figure
        Line gid ``"asymmetry"``, band ``"mdc-band"``, flagged points ``"flagged"``.
    """
    dts = _dates(dates)
    si = _as_1d("si_pct", si_pct)
    if si.size != dts.size:
        raise ValueError(f"dates and si_pct must have equal length, got {dts.size} and {si.size}")
    ax = _new_ax(ax, (7.0, 2.5))
    if mdc_pct is not None and np.isfinite(mdc_pct):
        ref = "baseline" if baseline_pct != 0.0 else "0"
        band = ax.axhspan(baseline_pct - mdc_pct, baseline_pct + mdc_pct, color="0.5", alpha=0.18, linewidth=0,
                          zorder=0, label=f"{ref} \u00b1 MDC ({mdc_pct:.0f} points)")
        band.set_gid("mdc-band")
    ax.axhline(0.0, color="0.3", linewidth=0.8, zorder=1)
    many = dts.size > 20
    (ln,) = ax.plot(dts, si, color="black", marker="o", markersize=3.5 if many else 6.0,
                    markerfacecolor="white", linewidth=1.2, zorder=2, label="symmetry index")
    ln.set_gid("asymmetry")
    if flagged is None and mdc_pct is not None and np.isfinite(mdc_pct):
        with np.errstate(invalid="ignore"):
            flagged = np.abs(si - baseline_pct) > mdc_pct
    if flagged is not None:
        f = np.asarray(flagged, dtype=bool)
        if f.any():
            (fl,) = ax.plot(dts[f], si[f], linestyle="none", marker="o", markersize=3.5 if many else 6.0,
                            color="black", zorder=3, label="beyond MDC")
            fl.set_gid("flagged")
    m = mdc_pct if mdc_pct is not None and np.isfinite(mdc_pct) else 0.0
    lim = np.nanmax(np.abs(np.r_[si[np.isfinite(si)], abs(baseline_pct) + m, 5.0]))
    ax.set_ylim(-lim * 1.3, lim * 1.3)
    ax.text(0.005, 0.97, "right sways more \u2191", transform=ax.transAxes, va="top", fontsize="x-small", color=RIGHT_COLOR)
    ax.text(0.005, 0.03, "left sways more \u2193", transform=ax.transAxes, va="bottom", fontsize="x-small", color=LEFT_COLOR)
    _date_axis(ax, dts)
    ax.set_ylabel("SI (%)")
    if label:
        ax.set_title(label, loc="left", fontsize="medium")
    ax.grid(True, linewidth=0.4, alpha=0.5)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", ncols=3, frameon=False,
              borderaxespad=0.1)
    return _fig(ax)
