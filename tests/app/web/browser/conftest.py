"""Fixtures of the real-browser tests: a seeded data folder, the app served by uvicorn, one Chromium per module.

* ``seeded`` (module): a private data folder with the team of :data:`web_harness.SEED_TEAM`
  recorded on the simulated board (``BALANCE_HOME`` points there while the module runs).
* ``server`` (module): ``create_app(WebSettings(...))`` served by uvicorn on a free loopback port, the
  simulated board as fast as it runs (``realtime=False``); ``realtime_server``: the same data with the
  simulated board at real speed, for the live-path tests. Each is started on first use and stopped
  (thread joined, socket closed) at the end of the module.
* ``browser`` (module): headless system Chromium through Playwright; ``page``: a fresh 1280x800
  context per test whose console errors and page errors are collected in ``page.problems``.

The tests skip, with the reason, only when Chromium is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.web_harness import SeededTeam, ServerThread, chromium_missing, launch_chromium, seed_team

#: The landscape-tablet viewport every page is tested (and photographed) at.
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededTeam]:
    """The seeded team's database in a private data folder (``BALANCE_HOME`` set to it)."""
    home = tmp_path_factory.mktemp("web-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BALANCE_HOME", str(home))
        mp.delenv("BALANCE_DB", raising=False)
        mp.delenv("BALANCE_ACCESS_CODE", raising=False)
        yield seed_team(home / "balance.db")


def _serve(seeded: SeededTeam, *, realtime: bool) -> Iterator[ServerThread]:
    srv = ServerThread(db_path=seeded.db_path, board="sim", realtime=realtime, data_dir=seeded.db_path.parent)
    with srv:
        yield srv


@pytest.fixture(scope="module")
def server(seeded: SeededTeam) -> Iterator[ServerThread]:
    """The app on the seeded data, the simulated board as fast as it runs."""
    yield from _serve(seeded, realtime=False)


@pytest.fixture(scope="module")
def realtime_server(seeded: SeededTeam) -> Iterator[ServerThread]:
    """The app on the seeded data, the simulated board at real speed (samples at their timestamps)."""
    yield from _serve(seeded, realtime=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless system Chromium, one per module."""
    reason = chromium_missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page at :data:`VIEWPORT`, downloads accepted.

    ``page.problems`` lists every console error (a resource the CSP blocked shows up here) and
    uncaught page error, as text.
    """
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    problems: list[str] = []
    def on_console(msg: Any) -> None:
        if msg.type == "error":
            problems.append(f"console error: {msg.text} ({msg.location.get('url', '')})")

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.problems = problems
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """A folder for this test's downloads."""
    d = tmp_path / "downloads"
    d.mkdir()
    return d



