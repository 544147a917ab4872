"""``balance weigh``: the board as a scale — the settled total load in kg."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._board import add_board_arguments, board_error_message, open_cli_board
from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, fail, print_json

EXAMPLES = """\
examples:
  balance weigh                      # step on the board and stand still
  balance weigh --board evdev
  balance weigh --board sim --mass-kg 82.5
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "weigh",
        help="weigh like a scale",
        description="Show the settled weight on the board (kg): the mean total load once it has stayed within "
        "--tolerance-kg for --settle-s seconds.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--settle-s", type=float, default=2.0, help="seconds the load must stay steady (default 2)")
    p.add_argument("--tolerance-kg", type=float, default=0.3,
                   help="largest standard deviation of the total load that counts as steady (kg, default 0.3)")  # fmt: skip
    p.add_argument("--timeout-s", type=float, default=30.0, help="give up after this many seconds (default 30)")
    p.add_argument("--min-kg", type=float, default=2.0, help="ignore loads below this (nobody on the board)")
    add_board_arguments(p)
    add_json_argument(p)
    return p


def settled_weight(
    t_s: list[float], total_kg: list[float], *, settle_s: float, tolerance_kg: float, min_kg: float
) -> float | None:
    """Mean total (kg) over the last ``settle_s`` seconds if it is steady and above ``min_kg``, else None."""
    import numpy as np

    if not t_s or t_s[-1] - t_s[0] < settle_s:
        return None
    t = np.asarray(t_s)
    w = np.asarray(total_kg)[t >= t[-1] - settle_s]
    if w.size < 3 or w.mean() < min_kg or w.std() > tolerance_kg:
        return None
    return float(w.mean())


def run(args: argparse.Namespace) -> int:
    from drivers.errors import BoardError

    try:
        board, profile = open_cli_board(args, sim={"stance": "both"})
    except BoardError as err:
        return fail("weigh", board_error_message(err, args.board))
    ts: list[float] = []
    tot: list[float] = []
    weight = None
    try:
        if not args.json:
            print("step on the board and stand still...", file=sys.stderr)
        t_start = None
        live = not args.json and sys.stderr.isatty()
        next_show = 0.0
        while weight is None:
            try:
                s = board.read(timeout_s=1.0)
            except EOFError:
                break
            if s is None:
                continue
            t_start = s.t_s if t_start is None else t_start
            if s.t_s - t_start > args.timeout_s:
                break
            ts.append(s.t_s)
            tot.append(s.total_kg)
            if live and s.t_s >= next_show:  # a scale's running display
                print(f"\r  {s.total_kg:6.1f} kg ", end="", file=sys.stderr, flush=True)
                next_show = s.t_s + 0.25
            while ts and ts[0] < s.t_s - args.settle_s - 0.5:
                ts.pop(0)
                tot.pop(0)
            weight = settled_weight(ts, tot, settle_s=args.settle_s, tolerance_kg=args.tolerance_kg, min_kg=args.min_kg)
    except BoardError as err:
        return fail("weigh", board_error_message(err, args.board))
    finally:
        board.close()
        if not args.json and sys.stderr.isatty():
            print(file=sys.stderr)
    if weight is None:
        return fail("weigh", f"the load did not settle within {args.timeout_s:g} s: stand still on the board "
                    "(or raise --tolerance-kg)")  # fmt: skip
    if args.json:
        print_json({"weight_kg": round(weight, 2), "board": args.board, "profile": profile.serial if profile else None})
    else:
        print(f"{weight:.1f} kg")
    return 0
