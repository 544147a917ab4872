"""``balance export ATHLETE|--all --out DIR``: CSV files and a data dictionary for a physio."""

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
    open_store,
    print_json,
)

EXAMPLES = """\
examples:
  balance export Sam --out sam_export
  balance export --all --out clinic_2026-03 --pseudonymise     # codes P001..., no names
  balance export Sam --out sam_export --overwrite --no-samples
  balance export Sam --out sam_export --excel     # Excel, double-click, your locale
  balance export Sam --out sam_export --sep ';' --decimal ','   # e.g. German Excel

--excel: UTF-8 with a byte-order mark and, where your locale writes 3,14, fields split by ';' and
decimal commas (what Excel expects there); elsewhere ',' and '.'. Without it: ',' and '.' (pandas, R).

writes (into a new folder, all at once):
  trials.csv           one row per trial: headline measures first, every measure
  sessions.csv         one row per session and measure: left, right, R vs L, MDC
  athletes.csv         who is in the export
  samples/trial_<id>.csv   time, four corner loads, CoP of each trial
  DATA_DICTIONARY.md   every column: meaning, unit, formula, reference
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="write CSV files and a data dictionary for a physio",
        description="Export the history of one athlete (or everyone) as CSV files a spreadsheet opens, "
        "with a data dictionary. The folder appears only when complete.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    add_athlete_argument(p, required=False, many=True, help="name(s) or code(s) of the athlete(s) to export")
    p.add_argument("--all", action="store_true", help="export every athlete")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to create")
    p.add_argument("--pseudonymise", "--pseudonymize", action="store_true",
                   help="replace codes by P001, P002...; leave out names, birth years and board serials")  # fmt: skip
    p.add_argument("--no-samples", action="store_true", help="leave out samples/ (measures only)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    g = p.add_argument_group("spreadsheet format")
    g.add_argument("--excel", action="store_true",
                   help="what Excel opens by double-click in your locale: ';' and decimal ',' where the locale "
                   "uses a decimal comma, else ',' and '.'")  # fmt: skip
    g.add_argument("--sep", metavar="C", default=None, help="field separator (default ','; e.g. ';' or tab: $'\\t')")
    g.add_argument("--decimal", metavar="C", default=None, choices=(".", ","), help="decimal mark (default '.')")
    add_db_argument(p)
    add_json_argument(p)
    return p


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    from balance.app.errors import UsageError
    from balance.app.export import ExportError, export_history
    from balance.app.store import StoreError

    if args.all and args.athlete:
        raise UsageError("give athlete names or --all, not both")
    if not args.all and not args.athlete:
        raise UsageError("name the athlete to export (e.g. `balance export Sam --out DIR`) or pass --all")
    show_progress = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show_progress and (done == total or done % 10 == 0):
            print(f"\rwriting samples: {done}/{total} trials", end="\n" if done == total else "", file=sys.stderr)

    from balance.app.export import CsvDialect, excel_dialect

    try:
        base = excel_dialect() if args.excel else CsvDialect()
        sep = args.sep if args.sep is not None else (";" if args.decimal == "," and not args.excel else base.sep)
        dialect = CsvDialect(sep, args.decimal or base.decimal)
    except ExportError as err:
        raise UsageError(str(err)) from err
    try:
        with open_store(args, create=False) as store:
            res = export_history(
                store,
                None if args.all else args.athlete,
                args.out,
                pseudonymise=args.pseudonymise,
                include_samples=not args.no_samples,
                overwrite=args.overwrite,
                progress=progress,
                dialect=dialect,
            )
    except (StoreError, ExportError) as err:
        return fail("export", str(err))
    if args.json:
        print_json({"out_dir": str(res.out_dir), "athletes": res.n_athletes, "sessions": res.n_sessions,
                    "trials": res.n_trials, "files": [str(f) for f in res.files]})  # fmt: skip
    else:
        print(f"exported {res.n_athletes} athlete(s), {res.n_sessions} session(s), {res.n_trials} trial(s) to {res.out_dir}")
        how = f"separator {dialect.sep!r}, decimal {dialect.decimal!r}"
        print(f"  open trials.csv and sessions.csv in a spreadsheet ({how}); DATA_DICTIONARY.md explains every column")
    return 0
