"""The one-page session report: what is drawn equals what was measured and stored."""

from __future__ import annotations

import re

import matplotlib.text
import numpy as np
import pytest
from e2_factories import store_run
from PIL import Image

from balance import pipeline
from balance.app import report
from balance.app.plots import find_artists
from drivers.sim import SimulatedBoard
from protocols.engine import Engine
from protocols.library import get_protocol


@pytest.fixture(scope="module")
def session():
    """A simulated athlete whose right leg sways 1.5x more mediolaterally; one touch-down."""
    board = SimulatedBoard(seed=11, ml_sway_ratio_right_over_left=1.5)
    board.person.touch_down(at_s=20.0, duration_s=0.6)  # during the first left trial
    return Engine(get_protocol("single-leg", duration_s=15.0), board, athlete="A9").run()


def _ax(fig, label):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _valid(session, side):
    return [t for t in session.trials if t.side == side and t.valid and not t.practice]


def test_statokinesigram_is_the_analysed_cop_and_its_ellipse_is_the_stored_measure(session) -> None:
    fig = report.session_report_figure(session.record)
    for side in ("left", "right"):
        trials = _valid(session, side)
        # the representative trial: the median mean velocity of the side's valid trials
        v = [t.measures["mean_velocity_mm_s"] for t in trials]
        shown = trials[int(np.argsort(v)[(len(v) - 1) // 2])]
        lo, hi = shown.analysis_window_s
        res = pipeline.analyze(shown.recording.slice_time(lo, hi + 1e-9))
        ax = _ax(fig, f"stato-{side}")
        (line,) = find_artists(ax, "cop")
        np.testing.assert_array_equal(line.get_xdata(), res.cop_ml_mm)
        np.testing.assert_array_equal(line.get_ydata(), res.cop_ap_mm)
        (ell,) = find_artists(ax, "ellipse")
        area = np.pi * ell.width * ell.height / 4.0
        assert area == pytest.approx(shown.measures["prediction_ellipse_area_mm2"], rel=1e-9)
        (ml,) = find_artists(_ax(fig, f"time-{side}"), "ml")
        np.testing.assert_array_equal(ml.get_ydata(), res.cop_ml_mm)
        assert f"trial {shown.trial_index}" in ax.get_title()
    # same scale on both sides
    assert _ax(fig, "stato-left").get_xlim() == _ax(fig, "stato-right").get_xlim()
    assert _ax(fig, "stato-left").get_ylim() == _ax(fig, "stato-right").get_ylim()


def test_bars_are_the_stored_measures_and_the_band_is_the_mdc(session) -> None:
    fig = report.session_report_figure(session.record)
    comp = session.comparison
    for key in report.KEY_MEASURES:
        ax = _ax(fig, f"bars-{key}")
        (bl,) = find_artists(ax, "bar-left")
        (br,) = find_artists(ax, "bar-right")
        assert bl.get_height() == pytest.approx(np.mean([t.measures[key] for t in _valid(session, "left")]), rel=1e-12)
        assert br.get_height() == pytest.approx(np.mean([t.measures[key] for t in _valid(session, "right")]), rel=1e-12)
        row = comp.side(key)
        (band,) = find_artists(ax, "mdc-band")
        assert band.get_height() == pytest.approx(row.noise.mdc95, rel=1e-12)
        assert bool(find_artists(ax, "beyond-mdc")) == row.beyond_mdc
        assert f"SI {row.symmetry_index_pct:+.0f} %" in " ".join(t.get_text() for t in ax.texts)
    # the simulated athlete's right leg sways more mediolaterally, beyond the noise
    assert comp.side("mean_velocity_ml_mm_s").beyond_mdc


def test_summary_and_failed_trials_in_plain_words(session) -> None:
    d = report.report_data(session.record)
    assert d.summary[0].startswith("Right leg:") and "side-to-side (mediolateral) sway" in d.summary[0]
    ml = session.comparison.side("mean_velocity_ml_mm_s")
    assert d.headline == (f"RIGHT leg: {ml.percent_more:.0f} % more side-to-side (mediolateral) sway than the left "
                          "(beyond measurement noise)")
    assert d.failures == ["Left trial 1: free foot touched down after 11.4 s; kept, not compared."]
    fig = report.session_report_figure(session.record, data=d)
    text = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "not a diagnosis" in text
    assert "A9" in text and "SWARII resampling to 50 Hz" in text


def test_pdf_opens_with_one_a4_page(session, tmp_path) -> None:
    out = report.write_session_report(session.record, tmp_path / "r.pdf")
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", raw)) == 1
    (box,) = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", raw)
    w_pt, h_pt = float(box[0]), float(box[1])
    assert w_pt == pytest.approx(210 / 25.4 * 72, abs=0.5) and h_pt == pytest.approx(297 / 25.4 * 72, abs=0.5)


def test_png_has_a4_aspect(session, tmp_path) -> None:
    out = report.write_session_report(session.record, tmp_path / "r.png", dpi=100)
    with Image.open(out) as im:
        w, h = im.size
    assert h / w == pytest.approx(297 / 210, rel=0.01)
    assert w == pytest.approx(210 / 25.4 * 100, abs=2)


def test_from_the_store(session, tmp_path) -> None:
    from balance.app.store import Store

    with Store.open(tmp_path / "h.db") as store:
        a = store.add_athlete(code="P01", mass_kg=70.0)
        sid = store_run(store, a, session, board={"kind": "sim", "name": "Simulated board", "serial": "S1"})
        stored = store.session(sid)
    fig = report.session_report_figure(stored)
    for key in report.KEY_MEASURES:
        ax = _ax(fig, f"bars-{key}")
        (bl,) = find_artists(ax, "bar-left")
        vals = [t.measures[key] for t in stored.trials if t.side == "left" and t.valid]
        assert bl.get_height() == pytest.approx(np.mean(vals), rel=1e-12)
        (band,) = find_artists(ax, "mdc-band")
        assert band.get_height() == pytest.approx(session.comparison.side(key).noise.mdc95, rel=1e-9)
    for side in ("left", "right"):  # the statokinesigram redrawn from the stored samples
        shown = report.report_data(stored).left if side == "left" else report.report_data(stored).right
        (ell,) = find_artists(_ax(fig, f"stato-{side}"), "ellipse")
        assert np.pi * ell.width * ell.height / 4 == pytest.approx(
            shown.shown.measures["prediction_ellipse_area_mm2"], rel=1e-9)
    d = report.report_data(stored)
    live = report.report_data(session.record)  # one path: the run's record says what the stored one says
    assert (live.summary, live.failures, live.headline, live.preprocessing) == (d.summary, d.failures, d.headline,
                                                                                d.preprocessing)
    assert live.si_pct == pytest.approx(d.si_pct, rel=1e-12) and live.mdc == pytest.approx(d.mdc, rel=1e-12)
    assert d.athlete == "P01" and "Simulated board" in d.board
    assert d.failures and "touched down" in d.failures[0]
    out = report.write_session_report(stored, tmp_path / "stored.pdf")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes())) == 1


def test_one_side_without_a_valid_trial(session) -> None:
    import dataclasses

    s = dataclasses.replace(session.record, trials=[t for t in session.trials if t.side == "left"], comparison=None)
    d = report.report_data(s)
    assert "No valid trial on the right side" in d.summary[0]
    fig = report.session_report_figure(s, data=d)
    assert not find_artists(_ax(fig, "stato-right"), "cop")


def test_unknown_suffix_is_refused(session, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"\.pdf or \.png"):
        report.write_session_report(session.record, tmp_path / "r.jpg")


def test_bilateral_session_compares_its_two_conditions(tmp_path) -> None:
    s = Engine(get_protocol("bilateral", duration_s=15.0), SimulatedBoard(seed=2), athlete="B1").run()
    d = report.report_data(s.record)
    assert not d.single_leg
    assert (d.left.side, d.right.side) == ("eyes_open", "eyes_closed")
    assert d.summary == list(s.comparison.summary) and "Romberg" in d.summary[0]
    fig = report.session_report_figure(s.record, data=d)
    for cond in ("eyes_open", "eyes_closed"):
        (trial,) = [t for t in s.trials if t.condition == cond and t.valid]
        (ell,) = find_artists(_ax(fig, f"stato-{cond}"), "ellipse")
        assert np.pi * ell.width * ell.height / 4 == pytest.approx(trial.measures["prediction_ellipse_area_mm2"],
                                                                   rel=1e-9)
    ax = _ax(fig, "bars-mean_velocity_ml_mm_s")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["EO", "EC"]
    assert not find_artists(ax, "mdc-band")
    out = report.write_session_report(s.record, tmp_path / "b.pdf")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes())) == 1
