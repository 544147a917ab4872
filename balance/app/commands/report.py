"""``balance report SESSION|ATHLETE --out report.pdf|.png``: the one-page session report."""

from __future__ import annotations

import argparse
from typing import Any

from balance.app.commands._common import EXAMPLES_FORMATTER, add_db_argument, add_json_argument, fail, print_json

EXAMPLES = """\
examples:
  balance report Sam --out report.pdf          # Sam's latest session
  balance report 12 --out session12.png        # session 12 (ids: balance athlete show Sam)
  balance report P07 --db team.db --out p07.pdf --json
  balance report --athlete Sam --out report.pdf --show-name   # with Sam's name (off by default)

One A4 page: the header (athlete code, date, protocol, conditions, board, software version,
preprocessing), the left and right statokinesigrams on one scale with the 95 % prediction
ellipse, ML and AP over time, the left-vs-right bars with the symmetry index and the MDC, a
plain-words summary, and the failed trials with their reason. It describes sway; it is not a
diagnosis.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="one-page session report (PDF or PNG)",
        description="Write the one-page report of a session: a session id, or an athlete's name or code for "
        "their latest session.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("target", metavar="SESSION|ATHLETE", nargs="?",
                   help="session id, or athlete name/code (latest session)")  # fmt: skip
    p.add_argument("--athlete", metavar="ATHLETE", help="the athlete (their latest session), instead of SESSION|ATHLETE")
    p.add_argument("--out", metavar="FILE", help="output .pdf or .png (default: report-<code>-<session>.pdf here)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution in dots per inch (default 150)")
    p.add_argument("--show-name", action="store_true",
                   help="put the athlete's name on the report (default: the code only)")  # fmt: skip
    from balance.app.squad import add_squad_arguments

    add_squad_arguments(p)
    add_db_argument(p)
    add_json_argument(p)
    return p


def _find_session(store: Any, target: str) -> Any:
    """A session id if ``target`` is one, else the latest session of that athlete."""
    from balance.app.store import UnknownAthleteError, UnknownSessionError

    if target.strip().isdigit():
        try:
            return store.session(int(target))
        except UnknownSessionError:
            if store.find_athlete(target) is None:
                raise
    try:
        athlete = store.get_athlete(target)
    except UnknownAthleteError as err:
        raise UnknownAthleteError(f"{err} (give a session id or an athlete's name or code)") from None
    return store.latest_session(athlete)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from balance.app.commands._common import open_store
    from balance.app.store import StoreError

    if args.out is not None and Path(args.out).suffix.lower() not in (".pdf", ".png"):
        return fail("report", f"--out {args.out} must end in .pdf or .png", code=2)
    if not 30 <= args.dpi <= 600:
        return fail("report", f"--dpi {args.dpi} must be between 30 and 600", code=2)
    if (args.target is None) == (args.athlete is None):
        return fail("report", "give a session id or an athlete, e.g. `balance report Sam` or `--athlete Sam`", code=2)
    try:
        with open_store(args, create=False) as store:
            session = _find_session(store, args.target) if args.athlete is None else store.latest_session(
                store.get_athlete(args.athlete))  # fmt: skip
            from balance.app.references import session_references, squad_filter

            refs = session_references(store, session, squad=squad_filter(args))
    except (StoreError, LookupError) as err:
        return fail("report", str(err))
    from balance.app.report import write_session_report

    out = Path(args.out) if args.out else Path(f"report-{session.athlete.code}-{session.id}.pdf")
    try:
        path = write_session_report(session, out, dpi=args.dpi, references=refs, show_name=args.show_name)
    except OSError as err:
        return fail("report", f"could not write {out}: {err.strerror or err}")
    if args.json:
        print_json({"report": str(path.resolve()), "session_id": session.id, "athlete": session.athlete.code,
                    "started_at": session.started_at})
    else:
        print(f"report for {session.athlete.label} ({session.athlete.code}), session {session.id} of "
              f"{session.date}: {path}")
    return 0
