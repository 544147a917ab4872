"""The web app end to end in a real browser (headless system Chromium through Playwright).

Uses the stable DOM ids of the web contract (team, athlete, test form, live, session pages). The
server is the app itself under uvicorn on the seeded data of ``web_harness.SEED_TEAM`` (see
``conftest.py``); expected values come from the store the app writes (the same records
``balance`` reads), never from the page under test.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from balance.app.store import Store
from browser.web_harness import SEED_TEAM, SeededTeam, ServerThread, start_single_leg, stop_test
from drivers.recording_file import read_recording_file
from drivers.sim.board import REPORT_RATE_HZ

#: A short single-leg test: one 5 s trial per leg, no rest (the form's own fields).
SHORT_TEST = {"trials": "1", "seconds": "5", "rest_s": "0"}


def _wait_state(page: Any, state: str, timeout_s: float) -> None:
    """Wait until the live page's ``<body data-state>`` is ``state``; on time-out say what the page shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(f"body[data-state={state}]", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        shown = page.evaluate("() => [document.body.dataset.state, document.getElementById('live-status').textContent]")
        raise AssertionError(f"the live page did not reach {state!r} in {timeout_s:g} s: state {shown[0]!r}, "
                             f"status {shown[1]!r}; browser console: {page.problems}") from None


def _wait_done(page: Any, timeout_s: float) -> None:
    _wait_state(page, "done", timeout_s)
    page.wait_for_selector("#live-result", state="visible")


def _headline_gist(text: str) -> tuple[str, int]:
    """The leg that sways more side to side and by how many per cent, from a headline sentence."""
    m = re.search(r"\b(left|right) leg: (\d+) %", text, re.IGNORECASE)
    assert m, f"no 'LEG: N %' in the headline {text!r}"
    return m.group(1).lower(), int(m.group(2))


def _stored_gist(session: Any) -> tuple[str, int]:
    """The leg whose side-to-side sway speed is larger in the stored comparison, and by how many per
    cent of the other leg's (rounded), from the stored left and right means."""
    from protocols.sides import stored_sides

    sides = [s for s in stored_sides(session.comparison) if s.measure == "mean_velocity_ml_mm_s"]
    assert len(sides) == 1, sides
    left, right = sides[0].left_mean, sides[0].right_mean
    return ("right", round(100 * (right - left) / left)) if right > left else ("left", round(100 * (left - right) / right))


def _session_id(page: Any) -> int:
    href = page.get_attribute("#result-link", "href")
    m = re.fullmatch(r"/sessions/(\d+)", href or "")
    assert m, href
    return int(m.group(1))


def test_team_page_lists_the_seeded_team(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    resp = page.goto(server.url + "/")
    assert resp.status == 200
    rows = page.locator("#team-table tr[data-athlete]")
    codes = rows.evaluate_all("rs => rs.map(r => r.dataset.athlete)")
    assert len(codes) == len(set(codes))
    assert {m.code for m in SEED_TEAM} <= set(codes)  # (other tests of the module may add athletes)
    for m in SEED_TEAM:
        assert m.name in page.locator(f'#team-table tr[data-athlete="{m.code}"]').inner_text()
    assert page.problems == []


def test_add_athlete_on_the_team_page(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    page.goto(server.url + "/")
    form = page.locator("#add-athlete-form")
    form.locator("[name=code]").fill("NEW01")
    form.locator("[name=name]").fill("Robin Okafor")
    page.click("#add-athlete")
    page.wait_for_load_state()
    page.goto(server.url + "/")
    row = page.locator('#team-table tr[data-athlete="NEW01"]')
    assert "Robin Okafor" in row.inner_text()
    with Store.open(seeded.db_path) as store:
        a = store.get_athlete("NEW01")
    assert a.name == "Robin Okafor"
    assert page.problems == []


def test_single_leg_test_on_the_simulated_board_shows_the_result(
    page: Any, server: ServerThread, seeded: SeededTeam
) -> None:
    start_single_leg(page, server.url, athlete="KD04", **SHORT_TEST)
    _wait_done(page, 30)
    headline = page.inner_text("#result-headline").strip()
    sid = _session_id(page)
    with Store.open(seeded.db_path) as store:
        session = store.session(sid, with_recordings=False)
    assert session.athlete.code == "KD04"
    assert session.status == "complete"
    assert sorted(t.side for t in session.trials if not t.practice) == ["left", "right"]
    assert session.comparison is not None
    # the one-line result: the leg and the difference of the stored comparison (the console's words),
    # the same sentence as on the team page and the same leg and figure as on the session page
    side, pct = _headline_gist(headline)
    assert (side, pct) == _stored_gist(session), headline
    page.click("#result-link")
    page.wait_for_selector("#session-headline")
    assert _headline_gist(page.inner_text("#session-headline")) == (side, pct)
    assert page.locator("#lr-table td[data-side=left]").count() > 0
    page.goto(server.url + "/")
    assert headline in page.inner_text('#team-table tr[data-athlete="KD04"]')
    assert page.problems == []


def test_progress_chart_on_the_athlete_page(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    page.goto(server.url + "/athletes/AM01")
    assert "Alex Morgan" in page.inner_text("#athlete-name")
    ids = page.locator("#sessions-table tr[data-session]").evaluate_all("rs => rs.map(r => +r.dataset.session)")
    assert sorted(ids) == sorted(seeded.sessions["AM01"])
    chart = page.locator("#progress-chart")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    if chart.evaluate("e => e.tagName") == "IMG":  # loaded, not a broken image
        assert chart.evaluate("e => e.complete && e.naturalWidth") > 0
    assert page.problems == []


def _lr_table(page: Any) -> dict[tuple[str, str], str]:
    cells = page.locator("#lr-table td[data-measure][data-side]").evaluate_all(
        "cs => cs.map(c => [c.dataset.measure, c.dataset.side, c.textContent.trim()])"
    )
    return {(m, s): text for m, s, text in cells}


def _number(text: str) -> float:
    m = re.search(r"[-+−]?\d+(?:[.,]\d+)?", text)
    assert m, f"no number in {text!r}"
    return float(m.group(0).replace("−", "-").replace(",", "."))


def test_export_zip_agrees_with_the_session_page(
    page: Any, server: ServerThread, seeded: SeededTeam, downloads: Path
) -> None:
    sid = seeded.sessions["AM01"][-1]
    page.goto(f"{server.url}/sessions/{sid}")
    shown = _lr_table(page)
    assert len(shown) >= 2
    page.goto(server.url + "/athletes/AM01")
    with page.expect_download() as info:
        page.click("#download-export")
    path = downloads / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".zip"
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("sessions.csv"))
        text = z.read(name).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = [r for r in rows if r.get("session_id") == str(sid)]
    assert mine, f"session {sid} not in {name}"
    checked = 0
    for (measure, side), cell in shown.items():
        row = next((r for r in mine if r.get("measure") == measure), None)
        if row is None or not row.get(side):
            continue
        assert _number(cell) == float(row[side]), (measure, side, cell, row[side])
        checked += 1
    assert checked >= 2, (shown, mine[:2])
    assert page.problems == []


def test_a_script_in_a_name_is_shown_as_text(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    name = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
    page.goto(server.url + "/")
    form = page.locator("#add-athlete-form")
    form.locator("[name=code]").fill("XSS01")
    form.locator("[name=name]").fill(name)
    page.click("#add-athlete")
    page.wait_for_load_state()
    for path in ("/", "/athletes/XSS01", "/test/new?athlete=XSS01"):
        page.goto(server.url + path)
        assert name in page.inner_text("body"), path
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("main script, main img[src=x]").count() == 0, path
        if path == "/athletes/XSS01":
            assert name in page.inner_text("#athlete-name")


#: What the live view must show inside a 1280x800 landscape screen, whole (text not cut off).
LIVE_PARTS = ("live-instruction", "live-side", "live-timer", "live-canvas", "live-zoom", "live-load", "stop", "retry")


def _live_view_problems(page: Any) -> list[str]:
    """Parts of the live view outside the viewport, empty, or whose text overflows its box."""
    return page.evaluate(
        """ids => ids.flatMap(id => {
            const e = document.getElementById(id);
            if (!e) return [id + ': missing'];
            const r = e.getBoundingClientRect(), out = [];
            if (r.width < 1 || r.height < 1) out.push(id + ': not shown');
            if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
                out.push(`${id}: outside the ${innerWidth}x${innerHeight} screen (${r.left},${r.top},${r.right},${r.bottom})`);
            if (e.scrollWidth > e.clientWidth + 1) out.push(`${id}: text wider than its box (${e.scrollWidth} > ${e.clientWidth})`);
            return out; })""",
        list(LIVE_PARTS),
    )


def test_reload_during_a_realtime_test_rejoins_it_and_the_trial_is_complete(
    page: Any, realtime_server: ServerThread, seeded: SeededTeam
) -> None:
    # 12 s trials: the timer shows its widest text ("11.9") while the layout is checked
    start_single_leg(page, realtime_server.url, athlete=None, trials="1", seconds="12", rest_s="0")
    _wait_state(page, "running", 20)
    page.wait_for_function("() => window.balanceLive && window.balanceLive.stats.frames > 10")
    run = page.evaluate("window.balanceLive.stats.run")
    assert page.evaluate("window.balanceLive.state.side") == "left"
    # readable from two metres on a landscape tablet: every part on screen, nothing cut off; no
    # before/after "Ready" button in a single-leg test
    assert _live_view_problems(page) == []
    assert page.is_hidden("#ready")
    page.reload()
    # the reloaded page rejoins the same run and shows it running again, frames flowing
    _wait_state(page, "running", 10)
    page.wait_for_function(f"() => window.balanceLive.stats.run === {run!r} && window.balanceLive.stats.frames > 5")
    assert page.evaluate("window.balanceLive.state.side") == "left"
    assert page.is_visible("#live-timer") and page.inner_text("#live-timer").strip()
    # the left trial ends while this page watches; stop during the right one (what was recorded is kept)
    page.wait_for_function("() => window.balanceLive.state.side === 'right'", timeout=30_000)
    stop_test(page)
    _wait_done(page, 20)
    sid = _session_id(page)
    with Store.open(seeded.db_path) as store:
        session = store.session(sid)
    left = [t for t in session.trials if t.side == "left" and not t.practice]
    assert [t.status for t in left] == ["complete"]
    t = left[0]
    raw = read_recording_file(t.raw_path)
    t_s = t.recording.time_s
    # every sample the board produced is stored once: the raw file (written as samples arrive) and
    # the stored trial hold the same samples, strictly increasing in time, at the simulated board's
    # report rate (HID timing: ~100 reports/s, no drop-outs) over the whole span
    assert raw.complete
    assert t.n_samples == raw.time_s.size == t_s.size
    np.testing.assert_allclose(raw.time_s, t_s, rtol=0, atol=1e-6)  # the file keeps µs
    assert np.all(np.diff(t_s) > 0)
    assert np.diff(t_s).max() < 0.1
    span_s = t_s[-1] - t_s[0]
    assert span_s >= 12.0  # the 12 s stance and getting into it
    assert abs(t.n_samples - (span_s * REPORT_RATE_HZ + 1)) <= 0.02 * t.n_samples
    assert page.problems == []


def test_the_content_security_policy_holds(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    sid = seeded.sessions["AM01"][-1]
    for path in ("/", "/athletes/AM01", f"/sessions/{sid}", "/test/new", "/live/sim", "/analyze"):
        resp = page.goto(server.url + path)
        assert resp.status == 200, path
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert resp.headers["x-content-type-options"] == "nosniff"
        page.wait_for_load_state("load")
        assert page.problems == [], path  # nothing the page itself loads or runs is blocked
    # ... and the policy is enforced: an injected inline script does not run and is reported
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inline = 1'; document.body.appendChild(s); }""")
    page.wait_for_timeout(100)
    assert page.evaluate("window.__inline") is None
    assert any("Content Security Policy" in p for p in page.problems), page.problems
