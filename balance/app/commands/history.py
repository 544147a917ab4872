"""``balance history ATHLETE``: each leg's sway and the left/right asymmetry, session by session, with the trend."""

from __future__ import annotations

import argparse
from typing import Any

from balance.app.commands._common import (
    EXAMPLES_FORMATTER,
    add_athlete_argument,
    add_db_argument,
    add_json_argument,
    fail,
    fmt_num,
    format_table,
    open_store,
    print_json,
)
from balance.app.localtime import local_minute
from balance.catalogue import HISTORY_DEFAULT

EXAMPLES = """\
examples:
  balance history Sam
  balance history Sam --measure mean_velocity_ml_mm_s --measure rms_ml_mm
  balance history Sam --condition eyes_closed --json

Each row is one session: the mean of the valid trials of each leg, and the symmetry index
R vs L = 100·(R−L)/((R+L)/2). The trend lines say how each leg and the asymmetry changed since
the first session, per week, and whether that is beyond the athlete's own measurement noise (MDC95).
"""

#: Measures shown when none is asked for (:data:`balance.catalogue.HISTORY_DEFAULT`).
DEFAULT_MEASURES = HISTORY_DEFAULT


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "history",
        help="trend per leg and asymmetry across sessions",
        description="Show an athlete's results across sessions: each leg and the left/right asymmetry, "
        "with the trend since the first session.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    add_athlete_argument(p)
    p.add_argument("--measure", action="append", metavar="KEY",
                   help=f"measure key (repeatable; default {', '.join(DEFAULT_MEASURES)})")  # fmt: skip
    p.add_argument("--protocol", default="single-leg", help="protocol (default single-leg; 'all' for every one)")
    p.add_argument("--condition", default=None, help="only this condition, e.g. eyes_open or eyes_closed")
    from balance.app.squad import add_squad_arguments

    add_squad_arguments(p)
    add_db_argument(p)
    add_json_argument(p)
    return p


def history_data(store: Any, athlete: Any, measure: str, *, protocol: str | None, condition: str | None) -> dict[str, Any]:
    """Per-session rows and the progress of one measure (what the command prints)."""
    from datetime import datetime

    from protocols.compare import SessionPoint, progress, symmetry_index

    pts = store.history(athlete, measure, protocol=protocol, condition=condition)
    by_session: dict[tuple[int, str], dict[str, Any]] = {}
    for p in pts:
        row = by_session.setdefault(
            (p.session_id, p.condition),
            {"session_id": p.session_id, "started_at": p.started_at, "protocol": p.protocol, "condition": p.condition,
             "left": (), "right": (), "both": ()},
        )  # fmt: skip
        row[p.side] = p.values
    rows = []
    for r in by_session.values():
        lm = sum(r["left"]) / len(r["left"]) if r["left"] else None
        rm = sum(r["right"]) / len(r["right"]) if r["right"] else None
        bm = sum(r["both"]) / len(r["both"]) if r["both"] else None
        si = float(symmetry_index(lm, rm)) if lm is not None and rm is not None else None
        rows.append({**r, "left_mean": lm, "right_mean": rm, "both_mean": bm, "symmetry_index_pct": si,
                     "n_left": len(r["left"]), "n_right": len(r["right"])})  # fmt: skip
    out: dict[str, Any] = {"measure": measure, "sessions": rows, "progress": None}
    conds = {r["condition"] for r in rows}
    lr_rows = [r for r in rows if r["left"] or r["right"]]
    if lr_rows and len(conds) == 1:
        points = [
            SessionPoint(when=datetime.fromisoformat(r["started_at"]), left=tuple(r["left"]), right=tuple(r["right"]),
                         session_id=r["session_id"])
            for r in lr_rows
        ]  # fmt: skip
        prog = progress(points, measure=measure)
        out["progress"] = {
            "unit": prog.unit,
            "left": {"baseline": prog.left.baseline, "latest": prog.left.latest, "change": prog.left.change,
                     "slope_per_week": prog.left.slope_per_week, "mdc95": prog.left.noise.mdc95,
                     "beyond_mdc": prog.left.beyond_mdc},
            "right": {"baseline": prog.right.baseline, "latest": prog.right.latest, "change": prog.right.change,
                      "slope_per_week": prog.right.slope_per_week, "mdc95": prog.right.noise.mdc95,
                      "beyond_mdc": prog.right.beyond_mdc},
            "asymmetry": {"baseline_pct": prog.asymmetry.baseline, "latest_pct": prog.asymmetry.latest,
                          "change_pct_points": prog.asymmetry.change, "slope_per_week": prog.asymmetry.slope_per_week,
                          "mdc95_pct_points": prog.asymmetry.mdc95, "beyond_mdc": prog.asymmetry.beyond_mdc},
            "summary": prog.summary,
        }  # fmt: skip
    return out


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    from balance import catalogue
    from balance.app.store import StoreError

    protocol = None if args.protocol in (None, "all") else args.protocol.replace("-", "_")
    measures = args.measure or list(DEFAULT_MEASURES)
    try:
        with open_store(args, create=False) as store:
            athlete = store.get_athlete(args.athlete)
            if not store.sessions(athlete, protocol=protocol):
                what = f" of {protocol.replace('_', '-')}" if protocol else ""
                raise StoreError(
                    f"{athlete.label} has no sessions{what} yet: run `balance test single-leg --athlete {athlete.label}`"
                    + (" (or --protocol all)" if protocol else "")
                )
            data = [history_data(store, athlete, m, protocol=protocol, condition=args.condition) for m in measures]
            from balance.app.references import panel_text, squad_filter

            latest = store.sessions(athlete, protocol=protocol)[-1]
            panel, refs = panel_text(store, latest, squad=squad_filter(args))
    except StoreError as err:
        return fail("history", str(err))
    if args.json:
        print_json({"athlete": {"code": athlete.code, "name": athlete.name}, "measures": data,
                    "latest_session_references": None if refs is None else
                    {"session_id": latest.id, **refs.to_dict()}})  # fmt: skip
        return 0
    print(f"{athlete.label} ({athlete.code})")
    for d in data:
        print(f"\n{catalogue.name(d['measure'])} [{catalogue.unit(d['measure'])}]  (--measure {d['measure']})")
        table = []
        with_both = any(r["both"] for r in d["sessions"])
        for r in d["sessions"]:
            si = r["symmetry_index_pct"]
            row = [
                local_minute(r["started_at"]), r["session_id"], r["condition"], f"{fmt_num(r['left_mean'])} ({r['n_left']})",
                f"{fmt_num(r['right_mean'])} ({r['n_right']})", "–" if si is None else f"{si:+.1f} %",
            ]  # fmt: skip
            if with_both:
                row.append(f"{fmt_num(r['both_mean'])} ({len(r['both'])})")
            table.append(row)
        header = ["date and time", "session", "condition", "left (n)", "right (n)", "R vs L"] + (
            ["both feet (n)"] if with_both else [])  # fmt: skip
        print(format_table(header, table, right=lambda i: i == 1 or i >= 3))
        if d["progress"] is not None:
            import shutil
            import textwrap

            width = max(40, shutil.get_terminal_size((80, 24)).columns)  # the terminal's (COLUMNS), else 80
            for line in d["progress"]["summary"]:
                print(textwrap.fill(line, width, initial_indent="  ", subsequent_indent="    ",
                                    break_on_hyphens=False))  # fmt: skip
    import shutil
    import textwrap

    width = max(40, shutil.get_terminal_size((80, 24)).columns)
    print(f"\nLatest session ({local_minute(latest.started_at)}, session {latest.id}, "
          f"{latest.protocol.replace('_', '-')}).")  # fmt: skip
    from balance.app.console import fit_lines

    print(fit_lines(panel, width))
    print("\n" + textwrap.fill("R vs L is the symmetry index 100·(R−L)/((R+L)/2). Side-to-side (mediolateral) sway "
                               "describes balance; it is not a diagnosis.", width))
    return 0
