"""Board options shared by ``record``, ``weigh`` and ``calibrate``: choose, open, apply the stored profile."""

from __future__ import annotations

import argparse
from typing import Any

BOARD_CHOICES = ("wii", "evdev", "sim", "replay", "file")


def add_board_arguments(p: argparse.ArgumentParser, *, default: str = "wii", sim_stance: bool = True) -> None:
    g = p.add_argument_group("board")
    g.add_argument("--board", default=default, choices=BOARD_CHOICES,
                   help=f"where samples come from (default {default}); `balance boards` lists what is attached")  # fmt: skip
    g.add_argument("--input", metavar="FILE", help="replay/file boards: the recording to read")
    g.add_argument("--speed", type=float, default=None, metavar="X",
                   help="replay/file: 1 = real time, 0 = as fast as possible (replay default 1, file default 0)")  # fmt: skip
    g.add_argument("--realtime", action="store_true", help="sim board: run at real speed (default: as fast as possible)")
    g.add_argument("--seed", type=int, default=0, help="sim board: random seed (default 0)")
    g.add_argument("--mass-kg", type=float, default=70.0, help="sim board: the simulated person's mass (kg)")
    g.add_argument("--tare-s", type=float, default=0.0, metavar="S",
                   help="wii board: re-zero on S seconds of data with the board empty, at start")  # fmt: skip
    g.add_argument("--profile-dir", metavar="DIR",
                   help="calibration profiles folder (default: profiles/ in $BALANCE_HOME or the user data folder)")  # fmt: skip
    g.add_argument("--no-profile", action="store_true", help="do not apply the board's stored calibration profile")


def open_cli_board(args: argparse.Namespace, *, sim: dict[str, Any] | None = None, apply_profile: bool = True) -> tuple[Any, Any]:
    """Open the board chosen on the command line; returns ``(board, profile_or_None)``.

    Raises the drivers' errors (``BoardNotFound`` etc.); the caller turns them into messages.
    """
    from balance.app.errors import UsageError
    from drivers import open_board

    kind = args.board
    kwargs: dict[str, Any] = {}
    if kind == "sim":
        kwargs = {"seed": args.seed, "mass_kg": args.mass_kg, "realtime": args.realtime}
        kwargs.update(sim or {})
    elif kind in ("replay", "file"):
        if not args.input:
            raise UsageError(f"--board {kind} needs --input FILE (the recording to read)")
        kwargs = {"path": args.input}
        if args.speed is not None:
            kwargs["speed"] = args.speed
    elif kind == "wii" and args.tare_s:
        kwargs = {"tare_s": args.tare_s}
    board = open_board(kind, **kwargs)
    profile = None
    if apply_profile and not args.no_profile:
        profile = apply_profile_or_close(board, args.profile_dir)
    return board, profile


def apply_profile_or_close(board: Any, profile_dir: Any = None) -> Any:
    """Apply the open ``board``'s stored calibration profile (None if it has none).

    If that fails the board is closed before the error propagates, so no board is left open.
    """
    from balance.app.profiles import apply_stored_profile

    try:
        return apply_stored_profile(board, profile_dir)
    except BaseException:
        board.close()
        raise


def board_error_message(err: BaseException, kind: str) -> str:
    """A message for a driver error, with the next step."""
    msg = str(err)
    if kind != "sim" and "--board sim" not in msg:
        msg += "\nNo board? `balance boards` says how to connect one; `--board sim` works without hardware."
    return msg
