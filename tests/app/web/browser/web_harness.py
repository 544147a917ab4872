"""The web app's real-browser harness: a seeded data folder, the app served by uvicorn in a thread, Chromium.

Shared by the browser tests (``conftest.py`` here), the README screenshots
(``docs/img/make_web_screenshots.py``) and ``bench/bench_web.py``, so all three see the same app
on the same data. Nothing here fakes the app: the server is ``create_app(WebSettings(...))`` served
by uvicorn on a free loopback port; the team is recorded on the simulated board by
:func:`balance.app.runner.run_session`, the code behind ``balance test``; the browser is Debian's
Chromium driven by Playwright (``executable_path``; no browser download, ``playwright install`` is
never run).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "SEED_TEAM",
    "SeededMember",
    "ServerThread",
    "chromium_missing",
    "launch_chromium",
    "seed_team",
    "start_single_leg",
    "stop_test",
]

#: The system Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it). ``BALANCE_CHROMIUM``
#: points elsewhere (e.g. ``/usr/bin/chromium-browser`` on Ubuntu).
CHROMIUM = Path(os.environ.get("BALANCE_CHROMIUM", "/usr/bin/chromium"))


def chromium_missing() -> str | None:
    """Why the browser cannot run here (a skip reason), or None when it can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return (f"Chromium not found at {CHROMIUM}: install Debian's chromium (sudo apt-get install chromium; "
                f".ci/run does) or set BALANCE_CHROMIUM to its path")
    return None


def launch_chromium(playwright: Any) -> Any:
    """Headless system Chromium (``--no-sandbox``: CI runs as root)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)


@dataclass(frozen=True)
class SeededMember:
    """One athlete of the seeded team: name, code, mass (kg) and the simulated right/left ML sway
    ratio of each weekly single-leg session, oldest first (an empty tuple: no session)."""

    name: str
    code: str
    mass_kg: float
    ratios: tuple[float, ...]


#: The team every browser test, screenshot and bench run starts from: a mix of improving,
#: worsening, single-session and untested athletes, so the team page shows each kind of row.
SEED_TEAM: tuple[SeededMember, ...] = (
    SeededMember("Alex Morgan", "AM01", 68.0, (1.6, 1.35, 1.1)),
    SeededMember("Sam Lee", "SL02", 75.0, (1.0, 1.2, 1.45)),
    SeededMember("Jo Park", "JP03", 61.0, (0.75,)),
    SeededMember("Kim Diaz", "KD04", 82.0, ()),
)


@dataclass
class SeededTeam:
    """What :func:`seed_team` wrote: the database path and each code's session ids, oldest first."""

    db_path: Path
    sessions: dict[str, list[int]] = field(default_factory=dict)


def seed_team(
    db_path: Path,
    team: tuple[SeededMember, ...] = SEED_TEAM,
    *,
    trials_per_side: int = 2,
    duration_s: float = 10.0,
    seed: int = 0,
) -> SeededTeam:
    """Record ``team``'s weekly single-leg sessions on the simulated board, as fast as it runs.

    Each session is a real ``run_session`` on a :class:`~drivers.sim.SimulatedBoard` (not realtime)
    back-dated one week apart, ending now; trials, raw files and the stored comparison are exactly
    what ``balance test`` writes.
    """
    from balance.app.runner import run_session
    from balance.app.store import Store
    from drivers.sim import SimulatedBoard
    from protocols.library import get_protocol

    spec = get_protocol("single-leg", trials_per_side=trials_per_side, duration_s=duration_s)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out = SeededTeam(db_path=Path(db_path))
    with Store.open(db_path) as store:
        for k, member in enumerate(team):
            athlete = store.add_athlete(member.name, code=member.code, mass_kg=member.mass_kg)
            out.sessions[member.code] = []
            for week, ratio in enumerate(member.ratios):
                board = SimulatedBoard(mass_kg=member.mass_kg, seed=seed + 100 * k + week, realtime=False,
                                       ml_sway_ratio_right_over_left=ratio)  # fmt: skip
                with board:
                    outcome = run_session(store, athlete, spec, board, source="test",
                                          started_at=now - timedelta(weeks=len(member.ratios) - 1 - week, hours=k))  # fmt: skip
                if outcome.error:
                    raise RuntimeError(f"seeding {member.code} week {week + 1} failed: {outcome.error}")
                out.sessions[member.code].append(outcome.session_id)
    return out


def _free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """The app served by uvicorn in a background thread on a free loopback port.

    ``with ServerThread(settings_kwargs) as srv:`` starts it, waits until ``GET /`` answers and
    stops it (and joins the thread) on exit. ``settings`` are :class:`WebSettings` fields; the port
    is bound here first (port 0, so no other process can take it between choosing and binding).
    """

    def __init__(self, **settings: Any) -> None:
        import uvicorn

        from balance.app.web.app import create_app
        from balance.app.web.settings import WebSettings

        self._sock = _free_loopback_socket()
        self.port: int = self._sock.getsockname()[1]
        try:
            self.settings = WebSettings(host="127.0.0.1", port=self.port, **settings)
            self.app = create_app(self.settings)
            config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
            self.server = uvicorn.Server(config)
        except BaseException:
            self._sock.close()
            raise
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]},
                                        name=f"uvicorn-{self.port}", daemon=True)  # fmt: skip

    @property
    def url(self) -> str:
        """Base URL, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> ServerThread:
        """Start serving and wait until ``GET /`` answers (any HTTP status)."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the web server thread ended while starting (see its log above)")
            if self.server.started:
                try:
                    with urllib.request.urlopen(self.url + "/", timeout=2.0) as resp:
                        resp.read()
                    return self
                except urllib.error.HTTPError:
                    return self  # it answers (e.g. a redirect to the access-code page)
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the web server did not answer on {self.url} within {timeout_s:g} s")

    def stop(self, timeout_s: float = 20.0) -> None:
        """Ask uvicorn to exit (lifespan shutdown stops the live hub), join the thread, close the socket."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._sock.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the web server on {self.url} did not stop within {timeout_s:g} s")

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_single_leg(page: Any, url: str, *, athlete: str | None, **options: str) -> None:
    """Start a single-leg test on the simulated board as a coach would; the page ends on the live view.

    Opens the test form from the athlete page's *Start test* (``athlete``: a code) or the team
    page's *quick test* (None: a guest), checks the athlete is chosen, fills ``options`` (form
    fields: ``trials``, ``seconds``, ``rest_s``...; empty: the protocol's defaults) and presses Start.
    """
    page.goto(url + (f"/athletes/{athlete}" if athlete else "/"))
    with page.expect_navigation():
        page.click("#start-test" if athlete else "#quick-test")
    form = page.locator("#test-form")
    chosen = form.locator("select[name=athlete]").input_value()
    if chosen != (athlete or "__guest__"):
        raise AssertionError(f"the test form chose {chosen!r}, not {athlete or 'a guest'!r}")
    form.locator("select[name=protocol]").select_option("single-leg")
    form.locator("select[name=board]").select_option("sim")
    for name, value in options.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        page.click("#start")
    if not page.url.endswith("/live/sim"):
        raise AssertionError(f"Start led to {page.url}, not the live page")


def stop_test(page: Any, timeout_s: float = 30.0) -> None:
    """Press Stop on the live page, confirm, and wait until the test has ended."""
    page.once("dialog", lambda d: d.accept())  # "Stop the test? What was recorded so far is kept."
    page.click("#stop")
    page.wait_for_selector("body[data-state=done], body[data-state=error]", timeout=timeout_s * 1000)
