"""``balance measures``: every measure key with its unit and plain description (what ``--measure KEY`` wants)."""

from __future__ import annotations

import argparse
from typing import Any

from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, format_table, print_json

EXAMPLES = """\
examples:
  balance measures                 every measure: key, unit, plain name, what it is
  balance measures --headline      only the measures the test table and the report show
  balance measures velocity        the keys containing "velocity"
  balance measures --json          the catalogue with formulas and references
  balance history Sam --measure rms_ml_mm        (use a key from this list)

Keys carry their unit (_mm, _mm_s, _mm2, _hz, _s, _pct). Mediolateral (ML) is side to side,
anteroposterior (AP) is front to back. Formulas and references: docs/methods.md.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "measures",
        help="list every measure key with its unit and plain description",
        description="List the measure keys that --measure KEY accepts (history, progress, analyze), with the "
        "unit, the plain name used in tables and charts, and what each measures.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("contains", nargs="?", default=None, metavar="TEXT", help="only the keys containing TEXT")
    p.add_argument("--headline", action="store_true",
                   help="only the headline measures (the test table and the report)")  # fmt: skip
    add_json_argument(p)
    return p


def run(args: argparse.Namespace) -> int:
    from balance import catalogue

    keys = catalogue.all_keys()
    if args.headline:
        keys = list(dict.fromkeys([*catalogue.PROTOCOL_DEFAULT, *catalogue.REPORT_BARS]))
    if args.contains:
        keys = [k for k in keys if args.contains.lower() in k.lower()]
    entries = []
    for k in keys:
        info = catalogue.info(k)
        entries.append({
            "key": k, "unit": catalogue.unit(k), "name": catalogue.name(k),
            "description": info.description if info else "", "formula": info.formula if info else "",
            "reference": info.reference if info else "", "group": info.group if info else "",
        })  # fmt: skip
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print(f"no measure key contains {args.contains!r}; run `balance measures` for the full list")
        return 1
    rows = [[e["key"], e["unit"], e["name"]] for e in entries]
    print(format_table(["key (--measure KEY)", "unit", "plain name"], rows, right=lambda i: False))
    print(f"\n{len(entries)} measure(s). `balance measures --json` adds each description, formula and reference.")
    return 0
