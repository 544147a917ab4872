"""Take the web app's screenshots for README.md and docs/: team page, live test, result.

    .venv/bin/python docs/img/make_web_screenshots.py [--out docs/img]

The same set-up as the browser tests (``tests/app/web/browser/web_harness.py``): a private data
folder with the seeded team recorded on the simulated board, the app itself served by uvicorn on a
free loopback port, and Debian's Chromium driven by Playwright, at 1280x800 (a landscape 10-inch
tablet). Writes ``web-team.png``, ``web-live.png`` (mid-trial, from the simulated board at real
speed) and ``web-result.png`` (the session page of the team's first athlete's latest test).
Nothing is read from or written to the user's data folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "app" / "web" / "browser"))

from web_harness import (  # noqa: E402
    ServerThread,
    chromium_missing,
    launch_chromium,
    seed_team,
    start_single_leg,
    stop_test,
)

#: Landscape tablet, CSS pixels (the browser tests use the same).
VIEWPORT = {"width": 1280, "height": 800}
#: Largest file accepted (bytes): pictures in a repository stay small.
MAX_BYTES = 300 * 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder (default docs/img)")
    args = ap.parse_args(argv)
    reason = chromium_missing()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="balance-shots-") as tmp:
        os.environ["BALANCE_HOME"] = tmp
        os.environ.pop("BALANCE_DB", None)
        team = seed_team(Path(tmp) / "balance.db")
        latest = team.sessions["AM01"][-1]
        with ServerThread(db_path=team.db_path, board="sim", realtime=True, data_dir=Path(tmp)) as srv, \
                sync_playwright() as p:  # fmt: skip
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                shots = []
                page.goto(srv.url + "/")
                shots.append(_shot(page, args.out / "web-team.png"))
                # a live test of the first athlete at real speed, photographed 4 s into the first trial
                start_single_leg(page, srv.url, athlete="AM01", seconds="20")
                page.wait_for_selector("body[data-state=running]", timeout=30_000)
                page.wait_for_function("() => { const s = window.balanceLive.state;"
                                       " return s && s.start_s !== null && s.now_s - s.start_s > 4; }",
                                       timeout=30_000)  # fmt: skip
                shots.append(_shot(page, args.out / "web-live.png"))
                stop_test(page)
                page.goto(srv.url + f"/sessions/{latest}")
                page.wait_for_selector("#session-headline")
                shots.append(_shot(page, args.out / "web-result.png"))
            finally:
                browser.close()
    too_big = [(p, n) for p, n in shots if n > MAX_BYTES]
    for path, n in shots:
        print(f"{path}: {n / 1024:.0f} KB")
    if too_big:
        print(f"larger than {MAX_BYTES // 1024} KB: {', '.join(str(p) for p, _ in too_big)}", file=sys.stderr)
        return 1
    return 0


def _shot(page: object, path: Path) -> tuple[Path, int]:
    """Screenshot of the viewport, written to ``path``; returns the path and its size (bytes)."""
    page.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
    return path, path.stat().st_size


if __name__ == "__main__":
    raise SystemExit(main())
