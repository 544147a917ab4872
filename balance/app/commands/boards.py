"""``balance boards``: what is attached, and what to do when nothing is."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, format_table, print_json

EXAMPLES = """\
examples:
  balance boards            # list balance boards seen through hidapi and evdev, plus the simulated board
  balance boards --json
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "boards",
        help="list attached balance boards",
        description="List the Wii Balance Boards this computer can see (hidapi and, on Linux, the kernel's evdev "
        "device), their stored calibration profiles, and the simulated board (always available). When no "
        "board is found, says how to connect one on this operating system.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--profile-dir", metavar="DIR", help="calibration profiles folder")
    add_json_argument(p)
    return p


def scan() -> tuple[list[dict[str, Any]], list[str]]:
    """Boards found (dicts with kind, name, address, note) and notes on what could not be checked."""
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    from drivers.errors import BoardError

    try:
        from drivers.wii import discover, kernel_driver_bound

        for e in discover():
            path = e.get("path")
            bound = kernel_driver_bound(path)
            found.append({
                "board": "wii",
                "name": (e.get("product_string") or "Nintendo RVL-WBC-01").strip(),
                "address": e.get("serial_number") or (path.decode(errors="replace") if isinstance(path, bytes) else str(path)),
                "note": "hid-wiimote is bound: use --board evdev, or unbind it for --board wii" if bound else "",
            })  # fmt: skip
    except BoardError as err:
        notes.append(f"wii (hidapi): {str(err).splitlines()[0]}")
    if sys.platform.startswith("linux"):
        from drivers.wii import kernel_bound_devices

        held = kernel_bound_devices()
        if held:
            notes.append(
                f"the kernel's hid-wiimote driver holds {', '.join(held)}: use --board evdev, or unbind it for "
                f"--board wii (echo {held[0]} | sudo tee /sys/bus/hid/drivers/wiimote/unbind)"
            )
        try:
            from drivers.evdev_board import find_devices

            for dev in find_devices():
                found.append({"board": "evdev", "name": dev.name, "address": dev.uniq or dev.path, "note": dev.path})
                dev.close()
        except BoardError as err:
            notes.append(f"evdev: {str(err).splitlines()[0]}")
    return found, notes


def run(args: argparse.Namespace) -> int:
    from balance.app.profiles import load_profile
    from drivers.wii import setup_help

    found, notes = scan()
    for b in found:
        try:
            b["profile"] = load_profile(b["address"], args.profile_dir) is not None
        except Exception:  # noqa: BLE001 - an unreadable profile is reported, not fatal here
            b["profile"] = False
    sim = {"board": "sim", "name": "Simulated Wii Balance Board", "address": "-", "note": "always available", "profile": False}
    if args.json:
        print_json({"boards": found + [sim], "hardware_found": bool(found), "notes": notes,
                    "help": None if found else setup_help()})  # fmt: skip
        return 0
    rows = [[b["board"], b["name"], b["address"], "yes" if b["profile"] else "no", b["note"]] for b in found + [sim]]
    print(format_table(["board", "name", "address", "calibrated", "note"], rows, right=lambda i: False))
    if not found:
        print()
        print(setup_help())
    for n in notes:
        print(f"  ({n})")
    return 0
