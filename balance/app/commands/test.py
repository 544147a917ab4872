"""``balance test single-leg|bilateral|squat|before-after ATHLETE``: run a guided test and save it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._common import (
    EXAMPLES_FORMATTER,
    add_athlete_argument,
    add_db_argument,
    add_json_argument,
    fail,
    print_json,
)

EXAMPLES = """\
examples:
  balance test single-leg Sam                 # 3 x 30 s per leg, alternating
  balance test single-leg --athlete Sam       # the same (--athlete or positional)
  balance test single-leg Sam --eyes closed --trials 2 --seconds 20
  balance test single-leg --guest             # no athlete set up: saved as GUEST-001
  balance athlete assign GUEST-001 Sam        # ... later given to Sam
  balance test bilateral Sam                  # Romberg: eyes open then closed
  balance test squat Sam --reps 5
  balance test before-after Sam               # test, intervention, test again
  balance test single-leg Sam --board sim     # practise without a board (real speed)
  balance test single-leg Sam --board sim --fast   # the simulated test in a second

The board: wii (default; pair it first, see `balance boards`), evdev (Linux
hid-wiimote), or sim (a simulated board and person, at real speed; --fast runs
it as fast as possible). Every sample is saved as it arrives; each trial is
saved to the history when it ends.
"""

PROTOCOL_CHOICES = ("single-leg", "bilateral", "squat", "before-after")
#: Boards `balance test` can run on (replay/file boards are for `balance record`/`analyze`).
TEST_BOARD_CHOICES = ("wii", "evdev", "sim")


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "test",
        help="run a guided balance test and save it",
        description="Run a test protocol on the board: the console says what to do, counts down, times each "
        "trial, notices touch-downs and step-offs, alternates legs, and ends with a left-vs-right table in "
        "plain words. Everything is saved to the athlete's history.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("protocol", choices=PROTOCOL_CHOICES, help="which test")
    add_athlete_argument(p, required=False, help="name or code (add one first: balance athlete add NAME)")
    p.add_argument("--guest", action="store_true",
                   help="no athlete set up: save under a new guest code (GUEST-001, ...); "
                   "`balance athlete assign GUEST-001 NAME` gives it to an athlete later")  # fmt: skip
    p.add_argument("--board", default=None, choices=TEST_BOARD_CHOICES,
                   help="where samples come from (default: the Wii Balance Board if one is found); "
                   "`balance boards` lists what is attached")  # fmt: skip
    p.add_argument("--trials", type=int, metavar="N", help="trials per leg (default 3 single-leg)")
    p.add_argument("--seconds", type=float, metavar="S", help="seconds per trial (default 30)")
    p.add_argument("--eyes", choices=("open", "closed"), help="single-leg: eyes open (default) or closed")
    p.add_argument("--practice", action="store_true", help="one practice trial per leg first (not compared)")
    p.add_argument("--rest", type=float, metavar="S", dest="rest_s", help="rest between trials (s)")
    p.add_argument("--reps", type=int, metavar="N", help="squat: repetitions")
    p.add_argument("--retries", type=int, default=None, metavar="N",
                   help="repeat a failed trial up to N times (default: the protocol's setting)")  # fmt: skip
    p.add_argument("--live", dest="live", action="store_true", default=None, help="show the live sway window")
    p.add_argument("--no-live", dest="live", action="store_false", help="console only")
    p.add_argument("--fast", action="store_true",
                   help="sim board: run as fast as possible instead of at real speed (for scripts and tests)")  # fmt: skip
    p.add_argument("--realtime", action="store_true", help=argparse.SUPPRESS)  # real speed is the default now
    p.add_argument("--seed", type=int, default=None, help="sim board: random seed")
    p.add_argument("--sim-ratio", type=float, default=1.0, metavar="R",
                   help="sim board: right-leg mediolateral sway relative to left (e.g. 1.4)")  # fmt: skip
    p.add_argument("--verbose", "-v", action="store_true",
                   help="after the table, every measure's sentence and the definitions (default: headline and flags)")  # fmt: skip
    p.add_argument("--report", metavar="FILE", help="also write the one-page session report (.pdf or .png)")
    from balance.app.squad import add_squad_arguments

    add_squad_arguments(p)
    add_db_argument(p)
    add_json_argument(p)
    return p


def open_test_board(kind: str, *, mass_kg: float | None, realtime: bool, seed: int | None, ratio: float) -> Any:
    """Open the board chosen with ``--board`` (sim options applied to the simulated one)."""
    from drivers import open_board

    if kind == "sim":
        import secrets

        board = open_board(
            "sim", mass_kg=float(mass_kg or 70.0), realtime=realtime,
            seed=secrets.randbelow(2**31) if seed is None else seed, ml_sway_ratio_right_over_left=ratio,
        )  # fmt: skip
    else:
        board = open_board(kind)
    # The board's stored known-mass calibration profile (`balance calibrate`) is applied, as
    # `balance record` does; the profile in use is recorded with every trial via board.info.
    from balance.app.commands._board import apply_profile_or_close

    apply_profile_or_close(board)
    return board


def no_board_message(args: argparse.Namespace) -> str:
    """Two lines: no board was found, and the command that runs the same test on the simulated board."""
    who = "--guest" if args.guest else _quote(args.athlete or "NAME")
    return (f"no balance board found (to connect one: balance boards)\n"
            f"  to practise without one: balance test {args.protocol} {who} --board sim")


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(str(text))


def _guest(store: Any) -> Any:
    """A new guest athlete with the next free code GUEST-001, GUEST-002, ..."""
    import re

    taken = [int(m.group(1)) for a in store.list_athletes() if (m := re.fullmatch(r"GUEST-(\d+)", a.code))]
    return store.add_athlete(None, code=f"GUEST-{max(taken, default=0) + 1:03d}",
                             notes="guest: quick test without an athlete; `balance athlete assign` gives it to one")


def live_available(requested: bool | None) -> bool:
    """Use the live window? ``--live`` asks for it, ``--no-live`` refuses it, default: when possible."""
    if requested is False:
        return False
    try:
        from balance.app.live import display_available
    except ImportError:
        return False
    ok = display_available()
    if requested and not ok:
        print("no display here: the live window is off, the console shows the test", file=sys.stderr)
    return ok


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    from balance.app.commands._common import open_store
    from balance.app.console import ConsoleUI, fit_lines, session_text
    from balance.app.errors import UsageError
    from balance.app.runner import run_session
    from balance.app.store import StoreError
    from balance.app.summary import session_measure_rows
    from drivers.errors import BoardError, BoardNotFound
    from protocols.library import get_protocol
    from protocols.retry import AutoRetry
    from protocols.spec import SpecError

    try:
        spec = get_protocol(args.protocol, trials_per_side=args.trials, duration_s=args.seconds, eyes=args.eyes,
                            practice=True if args.practice else None, rest_s=args.rest_s, reps=args.reps)  # fmt: skip
    except (SpecError, ValueError) as err:
        raise UsageError(str(err)) from err
    if args.guest and args.athlete:
        raise UsageError(f"--guest saves under a new guest code: leave out the athlete ({args.athlete!r}), or --guest")
    if not args.guest and not args.athlete:
        raise UsageError("which athlete? e.g. `balance test single-leg Sam`, or --guest for a quick test "
                         "without setting one up")  # fmt: skip
    out = sys.stderr if args.json else sys.stdout
    try:
        store = open_store(args)
    except StoreError as err:
        return fail("test", str(err))
    with store:
        try:
            athlete = None if args.guest else store.get_athlete(args.athlete)
        except StoreError as err:
            return fail("test", str(err))
        try:
            board = open_test_board(args.board or "wii", mass_kg=None if athlete is None else athlete.mass_kg,
                                    realtime=not args.fast, seed=args.seed, ratio=args.sim_ratio)  # fmt: skip
        except BoardError as err:
            if args.board is None and isinstance(err, BoardNotFound) and "cannot be loaded" not in str(err):
                # nothing paired (not a broken hidapi install, whose message says how to fix it)
                return fail("test", no_board_message(args))
            msg = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
            if "--board sim" not in msg and args.board != "sim":
                msg += "\nNo board? Try the app with `balance demo`, or run the test with --board sim."
            return fail("test", msg)
        if athlete is None:  # --guest: created once a board is there, so a failed start leaves no guest behind
            try:
                athlete = _guest(store)
            except BaseException:
                board.close()
                raise
        live = live_available(args.live)
        retry = AutoRetry(args.retries) if args.retries is not None else None
        kind = args.board or "wii"
        speed = (" (fast)" if args.fast else " (real speed)") if kind == "sim" else ""
        print(f"{spec.title} for {athlete.label} on the {kind} board{speed}\nsaving to {store.path}", file=out)
        try:
            outcome = run_session(store, athlete, spec, board, listeners=[ConsoleUI(out, spec=spec)], retry=retry,
                                  source="test", live=live)  # fmt: skip
        finally:
            board.close()
        if outcome.discarded:
            print(f"balance test: {outcome.error}", file=sys.stderr)
            return 130
        session = store.session(outcome.session_id, with_recordings=bool(args.report))
        rows = session_measure_rows(session, list(spec.measures))
        from balance.app.references import panel_text, squad_filter

        panel, refs = panel_text(store, session, squad=squad_filter(args))
        if args.report:
            _write_report(session, args.report, out, refs)
        if args.json:
            print_json({"session_id": outcome.session_id, "status": outcome.status, "error": outcome.error,
                        "trial_ids": outcome.trial_ids, "raw_dir": str(outcome.raw_dir), "comparison": rows,
                        "references": None if refs is None else refs.to_dict()})  # fmt: skip
        else:
            print("", file=out)
            print(session_text(session, rows, measures=list(spec.measures), verbose=args.verbose), file=out)
            print("\n" + fit_lines(panel), file=out)
            if not args.verbose:
                print("(every measure's sentence and the definitions: add --verbose)", file=out)
            print(f"\nsaved: session {outcome.session_id}, {len(outcome.trial_ids)} trial(s)\n  in {store.path}", file=out)
            if args.guest:
                print(f"guest code {athlete.code}: give it to an athlete with "
                      f"`balance athlete assign {athlete.code} NAME`", file=out)  # fmt: skip
            print(f"next: balance history {athlete.label}   |   balance export {athlete.label} --out DIR", file=out)
        if outcome.error:
            print(
                f"balance test: {outcome.error}\n  saved: {len(outcome.trial_ids)} trial(s) in session "
                f"{outcome.session_id} (marked incomplete); raw recordings in {outcome.raw_dir}\n"
                f"  check the board (balance boards) and run the test again",
                file=sys.stderr,
            )
            return 1
    return 0


def _write_report(session: Any, path: str, out: Any, refs: Any = None) -> None:
    try:
        from balance.app.report import write_session_report
    except ImportError:
        print("the session report is not available in this version", file=sys.stderr)
        return
    p = write_session_report(session, path, references=refs)
    print(f"report: {p}", file=out)
