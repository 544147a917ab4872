"""``balance demo``: the whole job on a simulated board, no hardware, no questions, under a minute."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, fail, print_json

EXAMPLES = """\
examples:
  balance demo                      # outputs under the data folder (…/balance/demo)
  balance demo --home /tmp/try      # outputs under /tmp/try/demo
  balance demo --weeks 1 --json

What it does: creates a demo athlete in a separate demo database, runs the single-leg stance
test (3 x 30 s per leg) on a simulated board as fast as the computer allows, once a week for
--weeks weeks (back-dated), with a simulated person whose RIGHT leg sways more from side to side
than the left (right/left ratio 1.6 in the first week, 1.4 in the latest, as if training helped a little). It prints the left-vs-right table and
the trend, writes the CSV export for a physio and the one-page report, and says where they are.
Nothing is asked; running it again starts the demo afresh. Your own history is not touched.
"""

#: Simulated right/left ratio of mediolateral sway in the first and in the latest week (linear in between):
#: a clear asymmetry that shrinks a little with training.
_FIRST_RATIO, _LATEST_RATIO = 1.6, 1.4
_MAX_WEEKS = 12

DEMO_ATHLETE = "Demo Athlete"
DEMO_CODE = "DEMO"


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="the whole job on a simulated board (no hardware needed)",
        description="Run the single-leg stance test on a simulated board with a simulated athlete whose right "
        "leg sways more, save it in a demo history, print the left-vs-right comparison and the trend, and write "
        "the physio export and the session report.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--home", metavar="DIR", help="data folder to use (default: $BALANCE_HOME or the user data folder)")
    p.add_argument("--weeks", type=int, default=3, metavar="N", help=f"weekly sessions to simulate (1-{_MAX_WEEKS}, default 3)")
    p.add_argument("--seconds", type=float, default=30.0, metavar="S", help="seconds per trial (default 30)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the simulated person (default 7)")
    p.add_argument("--no-report", action="store_true", help="skip the PDF report and progress chart")
    add_json_argument(p)
    return p


def _reset(demo_dir: Any) -> None:
    """Remove what a previous demo wrote (only the names the demo creates)."""
    import shutil

    for name in ("demo.db", "demo.db-wal", "demo.db-shm", "report.pdf", "progress.pdf"):
        p = demo_dir / name
        if p.exists():
            p.unlink()
    for name in ("raw", "export"):
        p = demo_dir / name
        if p.is_dir():
            shutil.rmtree(p)


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    from datetime import datetime, timedelta, timezone

    from balance.app.console import ConsoleUI, comparison_table
    from balance.app.errors import UsageError
    from balance.app.export import ExportError, export_history
    from balance.app.paths import data_home, ensure_private_dir
    from balance.app.runner import run_session
    from balance.app.store import Store, StoreError
    from balance.app.summary import session_measure_rows
    from drivers.sim import SimulatedBoard
    from protocols.library import get_protocol
    from protocols.retry import AutoRetry

    if not 1 <= args.weeks <= _MAX_WEEKS:
        raise UsageError(f"--weeks {args.weeks} is out of range: choose 1 to {_MAX_WEEKS}")
    if not 5.0 <= args.seconds <= 120.0:
        raise UsageError(f"--seconds {args.seconds:g} is out of range: choose 5 to 120 s per trial")
    t0 = time.monotonic()
    out = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    demo_dir = data_home(args.home) / "demo"
    try:
        ensure_private_dir(demo_dir)
        _reset(demo_dir)
        store = Store.open(demo_dir / "demo.db")
    except (OSError, StoreError) as err:
        return fail("demo", f"cannot prepare the demo folder {demo_dir}: {err}")
    n = args.weeks
    ratios = [_LATEST_RATIO + (_FIRST_RATIO - _LATEST_RATIO) * (n - 1 - k) / max(n - 1, 1) for k in range(n)]
    spec = get_protocol("single-leg", duration_s=args.seconds)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    say("balance demo: simulated board, simulated athlete whose right leg sways more side to side")
    say(f"  demo database: {store.path}")
    with store:
        from balance.app.demo_squad import SQUAD_GROUP, SQUAD_SIZE, add_demo_squad

        athlete = store.add_athlete(DEMO_ATHLETE, code=DEMO_CODE, birth_year=1995, mass_kg=68.0, sex="F",
                                    group=SQUAD_GROUP, notes="simulated athlete created by balance demo")  # fmt: skip
        outcomes = []
        for week, ratio in enumerate(ratios):
            when = now - timedelta(weeks=len(ratios) - 1 - week)
            say(f"\nweek {week + 1} of {len(ratios)} ({when.date()}): {spec.title}, 3 x {args.seconds:g} s per leg "
                f"(simulated right/left side-to-side sway {ratio:.2f})")  # fmt: skip
            board = SimulatedBoard(mass_kg=68.0, seed=args.seed + week, realtime=False,
                                   ml_sway_ratio_right_over_left=ratio)  # fmt: skip
            with board:
                outcome = run_session(store, athlete, spec, board, listeners=[ConsoleUI(out, quiet=True)],
                                      retry=AutoRetry(1), source="demo", started_at=when)  # fmt: skip
            if outcome.error:
                return fail("demo", f"the simulated session failed: {outcome.error}")
            outcomes.append(outcome)
        add_demo_squad(store, store.session(outcomes[0].session_id, with_recordings=False), seed=args.seed,
                       when=now - timedelta(weeks=len(ratios) - 1))  # fmt: skip
        latest = store.session(outcomes[-1].session_id)
        rows = session_measure_rows(latest, list(spec.measures))
        say("\nLatest session, left vs right:")
        say(comparison_table(rows))
        from balance.app.references import panel_text

        say(f"\n{SQUAD_SIZE} synthetic squad members (group '{SQUAD_GROUP}') give the squad's own norms.")
        say(panel_text(store, latest)[0])
        if len(outcomes) > 1:
            from balance.app.commands.history import history_data

            h = history_data(store, athlete, "mean_velocity_ml_mm_s", protocol=spec.name, condition=None)
            if h["progress"] is not None:
                say("\nOver the weeks (side-to-side sway speed):")
                for line in h["progress"]["summary"]:
                    say(f"  {line}")
        export_dir = demo_dir / "export"
        try:
            res = export_history(store, [athlete], export_dir, overwrite=True)
        except ExportError as err:
            return fail("demo", str(err))
        outputs: dict[str, str] = {
            "database": str(store.path),
            "raw_recordings": str(store.athlete_raw_dir(athlete)),
            "export": str(res.out_dir),
        }
        if not args.no_report:
            outputs.update(_pictures(store, athlete, latest, demo_dir, say))
    elapsed = time.monotonic() - t0
    say(f"\nDone in {elapsed:.1f} s. Outputs:")
    say(f"  history database   {outputs['database']}")
    say(f"  raw recordings     {outputs['raw_recordings']}/")
    say(f"  physio export      {outputs['export']}/  (trials.csv, sessions.csv, samples/, DATA_DICTIONARY.md)")
    if "report" in outputs:
        say(f"  session report     {outputs['report']}")
    if "progress" in outputs:
        say(f"  progress chart     {outputs['progress']}")
    say(f"Look around: balance history \"{DEMO_ATHLETE}\" --db {outputs['database']}")
    if args.json:
        print_json({"outputs": outputs, "sessions": [o.session_id for o in outcomes], "elapsed_s": elapsed,
                    "comparison": rows})  # fmt: skip
    return 0


def _pictures(store: Any, athlete: Any, latest: Any, demo_dir: Any, say: Any) -> dict[str, str]:
    """The session report and the progress chart, when the picture modules are installed."""
    out: dict[str, str] = {}
    try:
        from balance.app.report import write_session_report
    except ImportError:
        write_session_report = None
    if write_session_report is not None:
        say("\nwriting the session report ...")
        from balance.app.references import session_references

        out["report"] = str(write_session_report(latest, demo_dir / "report.pdf",
                                                 references=session_references(store, latest)))  # fmt: skip
    try:
        from balance.app.progress_chart import write_progress
    except ImportError:
        write_progress = None
    if write_progress is not None and len(store.sessions(athlete)) > 1:
        keys = ("mean_velocity_ml_mm_s", "mean_velocity_mm_s", "prediction_ellipse_area_mm2")
        hist = {k: store.history(athlete, k) for k in keys}
        from balance.app.references import progress_bands

        out["progress"] = str(write_progress(hist, demo_dir / "progress.pdf", athlete=athlete.code,
                                             protocol="single-leg stance",
                                             reference_bands=progress_bands(store, latest, keys)))  # fmt: skip
    return out
