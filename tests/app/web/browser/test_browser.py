"""The web app end to end in a real browser (headless system Chromium through Playwright).

Uses the stable DOM ids of the web contract (team, athlete, test form, live, session pages). The
server is the app itself under uvicorn on the seeded data of ``web_harness.SEED_TEAM`` (see
``conftest.py``).
"""

from __future__ import annotations

from typing import Any

from web_harness import SEED_TEAM, SeededTeam, ServerThread


def test_team_page_lists_the_seeded_team(page: Any, server: ServerThread, seeded: SeededTeam) -> None:
    resp = page.goto(server.url + "/")
    assert resp.status == 200
    rows = page.locator("#team-table tr[data-athlete]")
    codes = sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.athlete)"))
    assert codes == sorted(m.code for m in SEED_TEAM)
    for m in SEED_TEAM:
        assert m.name in page.locator(f'#team-table tr[data-athlete="{m.code}"]').inner_text()
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    assert page.problems == []
