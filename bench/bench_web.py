"""Web app (balance serve): live latency and frame rate in real browsers, team page time, server memory.

    python bench/bench_web.py [--seconds 10] [--athletes 200] [--sessions 20] [--requests 30] [--minutes 1]
                              [--only team|live|memory]   (30-minute memory run: --only memory --minutes 30)

Run on demand (never a timed unit test); prints its figures after the machine and load header.

1. Live path: ``balance serve --board sim`` (the command itself, in its own process; the simulated
   board at real speed) and headless system Chromium pages on ``/live/sim`` (Playwright, Debian's
   ``/usr/bin/chromium``). A single-leg test is started from the first page's form; over
   ``--seconds`` of a running trial each page's ``window.balanceLive.stats`` (static/live.js) gives
   the latency of every drawn sample, from the sample leaving the driver (server wall clock,
   stamped when the engine hands it on) to the animation frame that draws it (the page's clock
   mapped on the server's with the quickest of repeated pings), and the frames it received. With 1
   page, then with 5 (one controller and four read-only viewers, each in its own browser context).
   Median and 95th percentile over every drawn sample of every page; frames per second per page.
2. Team page: ``--athletes`` × ``--sessions`` single-leg sessions (3 trials per leg, measures and
   the stored left/right comparison, no samples) seeded through the store API
   (:class:`balance.app.store.Store`, the comparison by ``protocols.compare.compare_session``, as the
   engine stores it), then ``GET /`` through the app in process (Starlette's TestClient, lifespan
   on), server time (no network, no browser): a new app each time (empty team cache), after a
   change to the database, and unchanged (cached); median and 95th percentile.
3. Memory: the ``balance serve`` process's resident set (``/proc/PID/status`` VmRSS) after a short
   warm-up test, during and after one realtime single-leg test of about ``--minutes`` with one page
   watching; the growth and the slope over the test's second half (a leak shows as steady growth).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "web" / "browser"))

from benchkit import run_bench  # noqa: E402
from web_harness import chromium_missing, launch_chromium, start_single_leg, stop_test  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}


# -- the server process -----------------------------------------------------------------------
class ServeProcess:
    """``balance serve --board sim --no-open --port 0`` in its own process, on ``db``."""

    def __init__(self, db: Path, home: Path) -> None:
        env = {**os.environ, "BALANCE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        env.pop("BALANCE_DB", None)
        cmd = [sys.executable, "-m", "balance.app", "serve", "--board", "sim", "--no-open", "--port", "0",
               "--db", str(db)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                     cwd=str(ROOT))  # fmt: skip
        self.url = ""
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"Open (http://127\.0\.0\.1:\d+)/", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            self.close()
            raise RuntimeError("balance serve did not print its URL")
        _wait_answers(self.url)

    def rss_mb(self) -> float:
        """Resident set of the server process (MB)."""
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return math.nan

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts down cleanly on SIGTERM (lifespan stops the hub)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _wait_answers(url: str, timeout_s: float = 30.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2.0) as resp:
                resp.read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s:g} s")


# -- 1. live latency and frame rate -----------------------------------------------------------
_RESET = "() => { const s = window.balanceLive.stats; s.latencies_ms.length = 0; s.network_ms.length = 0; return s.frames; }"
_READ = "() => { const s = window.balanceLive.stats; return [s.frames, s.latencies_ms.slice(), s.network_ms.slice(), s.offset_ms, s.rtt_ms]; }"


def _q(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    i = (len(s) - 1) * q
    lo, hi = math.floor(i), math.ceil(i)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def bench_live(browser: Any, url: str, n_pages: int, seconds: float) -> None:
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(n_pages)]
    try:
        pages = [c.new_page() for c in contexts]
        start_single_leg(pages[0], url, athlete=None, trials="1", seconds=f"{seconds + 10:g}", rest_s="0")
        for p in pages[1:]:
            p.goto(url + "/live/sim")
        for p in pages:
            p.wait_for_selector("body[data-state=running]", timeout=60_000)
            p.wait_for_function("() => window.balanceLive.stats.offset_ms !== null", timeout=10_000)
        time.sleep(1.0)  # settle
        frames0 = [p.evaluate(_RESET) for p in pages]
        t0 = time.monotonic()
        time.sleep(seconds)
        reads = [p.evaluate(_READ) for p in pages]
        dt = time.monotonic() - t0
        lat = [v for r in reads for v in r[1]]
        net = [v for r in reads for v in r[2]]
        fps = [(r[0] - f0) / dt for r, f0 in zip(reads, frames0)]
        rtt = [r[4] for r in reads]
        print(f"  {n_pages} page(s): latency sample -> drawn: median {_q(lat, 0.5):.1f} ms, p95 {_q(lat, 0.95):.1f} ms, "
              f"max {max(lat, default=math.nan):.1f} ms ({len(lat)} samples); of which server -> page (network and "
              f"parsing): median {_q(net, 0.5):.1f} ms; frames/s per page: "
              f"{', '.join(f'{v:.1f}' for v in fps)}; ping round trip {min(rtt):.1f}-{max(rtt):.1f} ms")  # fmt: skip
        stop_test(pages[0], 60)
    finally:
        for c in contexts:
            c.close()


# -- 2. team page -----------------------------------------------------------------------------
def seed_big_team(db: Path, n_athletes: int, n_sessions: int, *, seed: int = 0) -> float:
    """``n_athletes`` × ``n_sessions`` weekly single-leg sessions through the store API; returns seconds taken.

    Measures are those of one real simulated session scaled per athlete and per trial (as
    ``balance demo``'s squad); each session gets the left/right comparison the engine stores.
    """
    import numpy as np

    from balance.app.demo_squad import _power  # how each measure scales with a person's sway
    from balance.app.runner import run_session
    from balance.app.store import Store
    from drivers.sim import SimulatedBoard
    from protocols.compare import compare_session
    from protocols.library import get_protocol
    from protocols.results import SessionResult

    t0 = time.perf_counter()
    spec = get_protocol("single-leg")
    rng = np.random.default_rng(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with Store.open(db) as store:
        tmpl_athlete = store.add_athlete("Template", code="T000")
        with SimulatedBoard(mass_kg=70.0, seed=seed, realtime=False) as board:
            out = run_session(store, tmpl_athlete, spec, board)
        template = [t for t in store.session(out.session_id, with_recordings=False).trials if t.valid]
        store.delete_athlete(tmpl_athlete)
        store._db.execute("PRAGMA synchronous = OFF")  # seeding only: the bench measures reads
        for k in range(n_athletes):
            athlete = store.add_athlete(f"Athlete {k + 1:03d}", code=f"B{k + 1:03d}", mass_kg=70.0)
            person = math.exp(rng.normal(0.0, 0.25))
            for s in range(n_sessions):
                when = now - timedelta(weeks=n_sessions - 1 - s, hours=k % 24)
                right = math.exp(rng.normal(0.0, 0.1))
                sid = store.start_session(athlete, protocol=spec.name, started_at=when, board={"kind": "sim"},
                                          spec=spec.to_dict(), source="test")  # fmt: skip
                trials = []
                for t in template:
                    f = person * (right if t.side == "right" else 1.0) * math.exp(rng.normal(0.0, 0.05))
                    tr = dataclasses.replace(
                        t, practice=False, valid=True, status="complete", failure_kind=None, failure_time_s=None,
                        recording=None,  # measures only
                        measures={m: float(v) * f ** (_power(m) or 0) for m, v in t.measures.items()
                                  if v is not None and math.isfinite(v)},
                        recorded_at=when.isoformat(),
                    )  # fmt: skip
                    store.add_trial(sid, tr, recorded_at=when)
                    trials.append(tr)
                comp = compare_session(SessionResult(spec=spec, athlete=athlete.code, started_at=when, board=None,
                                                     trials=trials))  # fmt: skip
                store.finish_session(sid, status="complete", comparison=None if comp is None else comp.to_dict(),
                                     finished_at=when + timedelta(minutes=8))  # fmt: skip
    return time.perf_counter() - t0


def bench_team_page(db: Path, home: Path, n_requests: int) -> None:
    """``GET /`` in process: a new app each time (empty team cache), after a change to the database
    (a session note written through another connection), and repeated (cached)."""
    from starlette.testclient import TestClient

    from balance.app.store import Store
    from balance.app.web.app import create_app
    from balance.app.web.settings import WebSettings

    settings = WebSettings(db_path=db, board="sim", data_dir=home)

    def timed_get(client: Any, **params: str) -> float:
        t = time.perf_counter()
        r = client.get("/", params=params)
        dt = time.perf_counter() - t
        assert r.status_code == 200, r.status_code
        return dt

    cold = []
    for _ in range(max(3, n_requests // 6)):
        with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
            cold.append(timed_get(client))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client, Store.open(db) as other:
        r = client.get("/")
        n_rows, size_kb = r.text.count("data-athlete="), len(r.content) / 1024
        sid = other.sessions(other.list_athletes()[0])[-1].id
        changed = []
        for k in range(n_requests):
            other.set_session_notes(sid, f"note {k}")
            changed.append(timed_get(client))
        cached = [timed_get(client) for _ in range(n_requests)]
        search = [timed_get(client, q="Athlete 01") for _ in range(n_requests)]

    def fig(ts: list[float]) -> str:
        return f"median {1e3 * statistics.median(ts):.0f} ms, p95 {1e3 * _q(ts, 0.95):.0f} ms (n={len(ts)})"

    print(f"  GET / ({n_rows} rows, {size_kb:.0f} KB of HTML), server time in process:")
    print(f"    new app (empty team cache): {fig(cold)}")
    print(f"    after a change to the database (a session note): {fig(changed)}")
    print(f"    unchanged database (cached rows): {fig(cached)}; search ?q=: {fig(search)}")


# -- 3. memory --------------------------------------------------------------------------------
def bench_memory(browser: Any, srv: ServeProcess, minutes: float) -> None:
    """RSS of the server process: after a short warm-up test (every code path of a test has run
    once), during and after one realtime single-leg test of about ``minutes``, one page watching."""
    seconds = min(60.0, max(5.0, minutes * 60.0 / 2.0))
    trials = max(1, round(minutes * 60.0 / (2.0 * seconds)))
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        rss0 = srv.rss_mb()
        start_single_leg(page, srv.url, athlete=None, trials="1", seconds="5", rest_s="0")
        page.wait_for_selector("body[data-state=done], body[data-state=error]", timeout=120_000)
        warm = srv.rss_mb()
        start_single_leg(page, srv.url, athlete=None, trials=str(trials), seconds=f"{seconds:g}", rest_s="0")
        t0 = time.monotonic()
        points = [(0.0, srv.rss_mb())]
        while page.evaluate("() => document.body.dataset.state") not in ("done", "error"):
            time.sleep(5.0)
            points.append((time.monotonic() - t0, srv.rss_mb()))
        total_s = time.monotonic() - t0
        time.sleep(2.0)
        end = srv.rss_mb()
        half = [p for p in points if p[0] >= total_s / 2]
        slope = math.nan
        if len(half) >= 3:
            import numpy as np

            slope = float(np.polyfit([p[0] / 60 for p in half], [p[1] for p in half], 1)[0])
        print(f"  RSS at start {rss0:.1f} MB; after a 2 x 5 s warm-up test {warm:.1f} MB")
        step = max(1, len(points) // 8)
        print("  RSS during the test (min: MB): " + ", ".join(f"{t / 60:.1f}: {m:.1f}" for t, m in points[::step]))
        print(f"  {trials} x {seconds:g} s per leg ({total_s / 60:.1f} min realtime, one page watching): peak "
              f"{max(p[1] for p in points):.1f} MB, after it {end:.1f} MB: growth {end - warm:+.1f} MB since the "
              f"warm-up; slope over its second half {slope:+.2f} MB/min ({len(half)} readings)")  # fmt: skip
    finally:
        context.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="live measuring window per case (s)")
    ap.add_argument("--athletes", type=int, default=200)
    ap.add_argument("--sessions", type=int, default=20, help="sessions per athlete")
    ap.add_argument("--requests", type=int, default=30, help="team page requests timed")
    ap.add_argument("--minutes", type=float, default=1.0, help="length of the realtime test for memory (min)")
    ap.add_argument("--only", choices=("team", "live", "memory"), action="append",
                    help="run only this part (repeatable; default: all three)")  # fmt: skip
    args = ap.parse_args()
    reason = chromium_missing()
    if reason is not None:
        print(reason)
        return 1
    from importlib import metadata

    print("versions: " + ", ".join(f"{n} {metadata.version(n)}" for n in ("starlette", "uvicorn", "playwright")))
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        home = Path(tmp)
        os.environ["BALANCE_HOME"] = str(home)
        os.environ.pop("BALANCE_DB", None)
        parts = set(args.only or ("team", "live", "memory"))
        if "team" in parts:
            print(f"team page, {args.athletes} athletes x {args.sessions} sessions:")
            seed_s = seed_big_team(home / "team.db", args.athletes, args.sessions)
            print(f"  seeded in {seed_s:.0f} s")
            bench_team_page(home / "team.db", home, args.requests)
        if not parts & {"live", "memory"}:
            return 0
        from playwright.sync_api import sync_playwright

        srv = ServeProcess(home / "live.db", home)
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                try:
                    print(f"browser: {browser.version}; server: balance serve --board sim (realtime), pid {srv.proc.pid}")
                    if "live" in parts:
                        print(f"live path, {args.seconds:g} s of a running trial:")
                        for n in (1, 5):
                            bench_live(browser, srv.url, n, args.seconds)
                    if "memory" in parts:
                        print(f"server memory, one realtime test of about {args.minutes:g} min:")
                        bench_memory(browser, srv, args.minutes)
                finally:
                    browser.close()
        finally:
            srv.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(run_bench(main, __doc__))
