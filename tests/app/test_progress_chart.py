"""Progress chart: L/R per session on a true date axis, baseline ± MDC band, asymmetry band."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from balance.app import progress_chart as pc
from balance.app.plots import find_artists
from balance.app.store import HistoryPoint

KEY = "mean_velocity_ml_mm_s"



def _points(values: dict[int, tuple[tuple[float, ...], tuple[float, ...]]], dates: list[datetime],
            *, condition: str = "eyes_open", measure: str = KEY) -> list[HistoryPoint]:
    out = []
    for sid, (lv, rv) in values.items():
        for side, v in (("left", lv), ("right", rv)):
            out.append(HistoryPoint(sid, dates[sid].isoformat(), "single_leg", condition, side, measure,
                                    tuple(v), float(np.mean(v)), float(np.std(v, ddof=1))))
    return out


D0 = datetime(2026, 2, 2, 10, 0, tzinfo=timezone.utc)
DATES = [D0, D0 + timedelta(days=7), D0 + timedelta(days=30)]
VALUES = {
    0: ((20.0, 22.0, 24.0), (30.0, 33.0, 36.0)),
    1: ((21.0, 22.0, 23.0), (28.0, 29.0, 30.0)),
    2: ((18.0, 19.0, 23.0), (24.0, 26.0, 25.0)),
}


def _hand_mdc(side: int) -> float:
    # SEM = pooled within-session SD (sum of squares / sum of (n-1)); MDC95 = 1.96*sqrt(2)*SEM
    ss = sum(np.sum((np.array(v[side]) - np.mean(v[side])) ** 2) for v in VALUES.values())
    df = sum(len(v[side]) - 1 for v in VALUES.values())
    return 1.96 * math.sqrt(2.0) * math.sqrt(ss / df)


def test_points_means_spread_baseline_and_mdc_band() -> None:
    d = pc.progress_data(_points(VALUES, DATES))
    fig = pc.progress_figure([d], athlete="A001")
    ax = [a for a in fig.axes if a.get_label() == f"progress-{KEY}"][0]
    (left,) = find_artists(ax, "progress-left")
    (right,) = find_artists(ax, "progress-right")
    np.testing.assert_allclose(left.get_ydata(), [22.0, 22.0, 20.0])
    np.testing.assert_allclose(right.get_ydata(), [33.0, 29.0, 25.0])
    # a true time axis: 7 days then 23 days apart
    x = mdates.date2num(left.get_xdata())
    np.testing.assert_allclose(np.diff(x), [7.0, 23.0])
    for side, i, base in (("left", 0, 22.0), ("right", 1, 33.0)):
        (band,) = find_artists(ax, f"mdc-band-{side}")
        assert band.get_height() == pytest.approx(2 * _hand_mdc(i), rel=1e-12)
        assert band.get_y() + band.get_height() / 2 == pytest.approx(base)
        (bl,) = find_artists(ax, f"baseline-{side}")
        assert bl.get_ydata()[0] == base
    # the trial spread: lowest to highest trial of each session
    segs = [c for c in find_artists(ax, "spread-left") if hasattr(c, "get_segments")]
    ys = sorted((float(s[0][1]), float(s[1][1])) for s in segs[0].get_segments())
    assert ys == sorted([(20.0, 24.0), (21.0, 23.0), (18.0, 23.0)])


def test_asymmetry_panel_and_its_band() -> None:
    d = pc.progress_data(_points(VALUES, DATES))
    fig = pc.progress_figure([d])
    sx = [a for a in fig.axes if a.get_label() == f"asymmetry-{KEY}"][0]
    (line,) = find_artists(sx, "asymmetry")
    lm = np.array([22.0, 22.0, 20.0])
    rm = np.array([33.0, 29.0, 25.0])
    np.testing.assert_allclose(line.get_ydata(), 100 * (rm - lm) / ((rm + lm) / 2))
    (band,) = find_artists(sx, "mdc-band")
    assert band.get_height() == pytest.approx(2 * d.mdc_si_pct)
    assert band.get_y() + band.get_height() / 2 == pytest.approx(100 * 11 / 27.5)  # baseline SI
    assert math.isfinite(d.mdc_si_pct) and d.mdc_si_pct > 0
    assert d.sentences[0].startswith("Left leg:")


def test_condition_is_chosen_and_filtered() -> None:
    pts = _points(VALUES, DATES) + _points({0: ((50.0, 51.0), (60.0, 61.0))}, DATES, condition="eyes_closed")
    d = pc.progress_data(pts)
    assert d.condition == "eyes_open" and np.allclose(d.left, [22.0, 22.0, 20.0])
    d2 = pc.progress_data(pts, condition="eyes_closed")
    assert np.allclose(d2.left, [50.5])


@pytest.mark.parametrize("n", [1, 50])
def test_readable_with_one_and_fifty_sessions(n, tmp_path) -> None:
    rng = np.random.default_rng(n)
    dates = [D0 + timedelta(days=7 * i) for i in range(n)]
    vals = {i: (tuple(20 + rng.normal(0, 1, 3)), tuple(26 - 6 * i / max(n, 1) + rng.normal(0, 1, 3)))
            for i in range(n)}
    hist = {KEY: _points(vals, dates), "mean_velocity_mm_s": _points(vals, dates, measure="mean_velocity_mm_s")}
    out = pc.write_progress(hist, tmp_path / "p.png", athlete="A001", dpi=80)
    with Image.open(out) as im:
        w, h = im.size
    assert 0.5 < h / w < 297 / 210  # two measures: sized to them, not a page with an empty third
    fig = pc.progress_figure([pc.progress_data(hist[KEY])])
    fig.canvas.draw()
    sx = [a for a in fig.axes if a.get_label() == f"asymmetry-{KEY}"][0]
    labels = [t.get_text() for t in sx.get_xticklabels() if t.get_text()]
    assert (len(labels) == 1) if n == 1 else (2 <= len(labels) <= 8)  # ticks at sessions
    lo, hi = sx.get_xlim()
    assert hi - lo >= 14.0  # even one session spans a readable fortnight
    (line,) = find_artists(fig, "progress-left")
    assert len(line.get_xdata()) == n


def test_pdf_one_page_and_unknown_measure(tmp_path) -> None:
    hist = {KEY: _points(VALUES, DATES)}
    out = pc.write_progress(hist, tmp_path / "p.pdf", athlete="A001")
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b(?!s)", raw)) == 1
    with pytest.raises(ValueError, match="no history for rms_ml_mm"):
        pc.write_progress(hist, tmp_path / "q.pdf", measures=["rms_ml_mm"])
    with pytest.raises(ValueError, match=r"\.pdf or \.png"):
        pc.write_progress(hist, tmp_path / "q.svg")


def test_many_measures_make_more_pdf_pages_and_a_png_says_so(tmp_path) -> None:
    keys = ["mean_velocity_ml_mm_s", "mean_velocity_mm_s", "prediction_ellipse_area_mm2", "rms_ml_mm"]
    hist = {k: _points(VALUES, DATES, measure=k) for k in keys}
    out = pc.write_progress(hist, tmp_path / "p.pdf", measures=keys)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes())) == 2
    with pytest.raises(ValueError, match="at most 3"):
        pc.write_progress(hist, tmp_path / "p.png", measures=keys)


def test_same_day_sessions_apart_with_ticks_at_sessions_and_the_legend_off_the_bands() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    dates = [t0, t0 + timedelta(hours=6), t0 + timedelta(days=7), t0 + timedelta(days=14, hours=1)]
    vals = {i: ((20.0 + i, 21.0 + i, 22.0 + i), (25.0, 26.0 - i, 27.0)) for i in range(4)}
    data = pc.progress_data(_points(vals, dates))
    fig = pc.progress_figure([data])
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    ax = [a for a in fig.axes if a.get_label() == f"progress-{KEY}"][0]
    sx = [a for a in fig.axes if a.get_label() == f"asymmetry-{KEY}"][0]
    local = [d.astimezone().replace(tzinfo=None) for d in dates]
    # the two sessions of 2 March are two points, 6 h apart on a time axis
    (line,) = find_artists(fig, "progress-left")
    x = mdates.date2num(line.get_xdata())
    np.testing.assert_allclose(x, mdates.date2num(local))
    assert x[1] - x[0] == pytest.approx(0.25)
    # ticks at sessions (the 15:00 one has no room for its own label on a fortnight), the time beside
    # the date where a day has two sessions, the year once
    np.testing.assert_allclose(sx.get_xticks(), mdates.date2num([local[0], local[2], local[3]]))
    labels = [t.get_text() for t in sx.get_xticklabels()]
    assert labels[0].splitlines() == [f"{local[0]:%d %b}", f"{local[0]:%H:%M}"]
    assert labels[1].splitlines() == [f"{local[2]:%d %b}"]
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in sx.get_xticklabels()]
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:]))  # labels do not collide
    # one day of sessions: the axis spans hours, every session has its tick and its time
    same_day = [t0, t0 + timedelta(hours=2), t0 + timedelta(hours=6)]
    fig2 = pc.progress_figure([pc.progress_data(_points({i: vals[i] for i in range(3)}, same_day))])
    FigureCanvasAgg(fig2)
    fig2.canvas.draw()
    sx2 = [a for a in fig2.axes if a.get_label() == f"asymmetry-{KEY}"][0]
    day = [d.astimezone().replace(tzinfo=None) for d in same_day]
    np.testing.assert_allclose(sx2.get_xticks(), mdates.date2num(day))
    assert [t.get_text().splitlines()[1] for t in sx2.get_xticklabels()] == [f"{d:%H:%M}" for d in day]
    lo, hi = sx2.get_xlim()
    assert hi - lo < 1.0  # hours, not the fortnight a single session gets
    # the legend sits above the plot (off the bands and points), below the title
    leg = ax.get_legend().get_window_extent(r)
    box = ax.get_window_extent(r)
    title = ax.title.get_window_extent(r)
    assert leg.y0 >= box.y1 - 1.0
    assert title.y0 >= leg.y1 - 1.0


def test_one_measure_png_is_sized_to_its_content(tmp_path) -> None:
    hist = {KEY: _points(VALUES, DATES)}
    sizes = []
    for n, keys in ((1, [KEY]), (3, None)):
        h3 = {KEY: hist[KEY], "mean_velocity_mm_s": _points(VALUES, DATES, measure="mean_velocity_mm_s"),
              "prediction_ellipse_area_mm2": _points(VALUES, DATES, measure="prediction_ellipse_area_mm2")}
        out = pc.write_progress(h3, tmp_path / f"p{n}.png", measures=keys, dpi=50)
        with Image.open(out) as im:
            sizes.append(im.size)
        fig = pc.progress_figure([pc.progress_data(h3[k], measure=k) for k in (keys or list(h3))], fit=True)
        FigureCanvasAgg(fig)
        fig.canvas.draw()
        content = fig.get_tightbbox(fig.canvas.get_renderer())
        assert content.height >= 0.9 * fig.get_figheight()  # no empty band below the content
    (w1, h1), (w3, h3_) = sizes
    assert w1 == w3 and h3_ / w3 == pytest.approx(297 / 210, rel=0.02)  # three measures: an A4 page
    assert h1 < 0.45 * h3_  # one measure: a third of it and the header
