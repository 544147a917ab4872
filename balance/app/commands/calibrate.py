"""``balance calibrate``: the guided known-mass calibration of one board (Leach et al. 2014 style)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._board import add_board_arguments, board_error_message, open_cli_board
from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, fail, format_table, print_json

EXAMPLES = """\
examples:
  balance calibrate --masses-kg 10,20                  # guided: place each mass where asked, press Enter
  balance calibrate --board sim --masses-kg 10,20 --yes --sim-sensor-gains 1.03,0.98,1.01,0.97

What you need: one or more known masses (gym plates, water bottles weighed on a good scale), and marks on
the board: the centre, and 150 mm left/right and 80 mm front/back of it (front = away from the power
button). For each mass the board is measured with the mass at the centre and at each corner mark.
The fit (per-sensor gains and a linear CoP correction, least squares) is stored under the board's
address and applied automatically from then on (record, weigh, test). The residual errors before and
after are printed.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "calibrate",
        help="calibrate a board with known masses",
        description="Guided per-board calibration with known masses: measures each mass at the centre and "
        "the four corner marks, fits per-sensor gains and a CoP correction, stores the profile by board "
        "address, and reports the error before and after.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--masses-kg", required=True, metavar="M1,M2,...", help="the known masses (kg), comma-separated")
    p.add_argument("--positions", default="centre,front-left,front-right,back-left,back-right",
                   help="where each mass goes (default: centre and the four corner marks)")  # fmt: skip
    p.add_argument("--yes", action="store_true", help="do not wait for Enter between steps (non-interactive)")
    p.add_argument("--settle-s", type=float, default=1.0, help="seconds ignored after each placement (default 1)")
    p.add_argument("--measure-s", type=float, default=3.0, help="seconds averaged per placement (default 3)")
    p.add_argument("--dry-run", action="store_true", help="fit and report, but do not store the profile")
    p.add_argument("--sim-sensor-gains", metavar="G1,G2,G3,G4", default=None,
                   help="sim board: miscalibrate its TL,TR,BL,BR load cells by these factors")  # fmt: skip
    add_board_arguments(p)
    add_json_argument(p)
    return p


def _floats(text: str, what: str, n: int | None = None) -> list[float]:
    from balance.app.errors import UsageError

    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{what} {text!r} must be comma-separated numbers, e.g. 10,20") from None
    if not vals or (n is not None and len(vals) != n) or any(v <= 0 for v in vals):
        raise UsageError(f"{what} {text!r} must be {n or 'one or more'} positive numbers")
    return vals


#: The board is declared silent after this long without a sample (s).
SILENCE_TIMEOUT_S = 5.0


def _collect(board: Any, seconds: float, *, silence_s: float = SILENCE_TIMEOUT_S) -> list[Any]:
    """The corner loads (kg) of ``seconds`` of samples, timed by the board's own clock.

    Raises
    ------
    BoardTimeout
        No sample for ``silence_s`` seconds of wall time (the board went silent or off).
    """
    import time

    from drivers.errors import BoardTimeout

    rows: list[Any] = []
    t0 = None
    last = time.monotonic()
    while True:
        s = board.read(timeout_s=min(2.0, silence_s))
        now = time.monotonic()
        if s is None:
            if now - last >= silence_s:
                raise BoardTimeout(
                    f"the board sent no samples for {silence_s:g} s: check that it is on, its batteries and the "
                    "connection (balance boards), then run balance calibrate again"
                )
            continue
        last = now
        t0 = s.t_s if t0 is None else t0
        if s.t_s - t0 >= seconds:
            return rows
        rows.append(s.corners_kg)


def _measure(board: Any, seconds: float) -> Any:
    """Mean corner loads (kg) over ``seconds`` of samples, and their count."""
    import numpy as np

    rows = _collect(board, seconds)
    return np.mean(np.asarray(rows), axis=0), len(rows)


def _skip(board: Any, seconds: float) -> None:
    _collect(board, seconds)


def run(args: argparse.Namespace) -> int:
    from balance.app.errors import UsageError
    from balance.app.profiles import save_profile
    from drivers.calibration import CALIBRATION_POSITIONS_MM, Placement, fit_profile
    from drivers.errors import BoardError, CalibrationError

    masses = _floats(args.masses_kg, "--masses-kg")
    positions = [p.strip() for p in args.positions.split(",") if p.strip()]
    unknown = [p for p in positions if p not in CALIBRATION_POSITIONS_MM]
    if unknown:
        raise UsageError(f"unknown position(s) {unknown}; choose from {', '.join(CALIBRATION_POSITIONS_MM)}")
    sim: dict[str, Any] = {"stance": "off"}
    if args.sim_sensor_gains:
        sim["sensor_gains"] = tuple(_floats(args.sim_sensor_gains, "--sim-sensor-gains", 4))
    out = sys.stderr if args.json else sys.stdout
    interactive = not args.yes and sys.stdin.isatty()
    if not args.yes and not sys.stdin.isatty():
        raise UsageError("calibration is guided step by step: run it in a terminal, or pass --yes to go on without pauses")

    def step(text: str) -> None:
        print(text, file=out)
        if interactive:
            answer = input("  press Enter when ready (q to quit) ")
            if answer.strip().lower().startswith("q"):
                raise KeyboardInterrupt

    try:
        board, _ = open_cli_board(args, sim=sim, apply_profile=False)  # calibrate from the factory calibration
    except BoardError as err:
        return fail("calibrate", board_error_message(err, args.board))
    placements: list[Placement] = []
    try:
        serial = board.info.serial
        if not serial:
            return fail("calibrate", "the board reports no serial/address, so a profile could not be found again")
        print(f"calibrating {board.info.name} ({serial}) with {', '.join(f'{m:g} kg' for m in masses)}", file=out)
        step("1. Clear the board: nothing and nobody on it.")
        if hasattr(board, "clear_masses"):
            board.clear_masses()
        if hasattr(board, "tare"):
            board.tare(seconds=max(args.measure_s, 1.0))
            print("   zeroed (tare)", file=out)
        k = 2
        for m in masses:
            for pos in positions:
                x, y = CALIBRATION_POSITIONS_MM[pos]
                step(f"{k}. Put the {m:g} kg mass on the {pos} mark ({x:+.0f} mm right, {y:+.0f} mm forward); hands off.")
                if hasattr(board, "place_mass"):  # the simulated board places it itself
                    board.clear_masses()
                    board.place_mass(m, ml_mm=x, ap_mm=y)
                _skip(board, args.settle_s)
                mean, n = _measure(board, args.measure_s)
                total = float(mean.sum())
                if abs(total - m) > 0.25 * m:
                    raise CalibrationError(
                        f"the board measured {total:.2f} kg with the {m:g} kg mass on the {pos} mark: is the mass on "
                        "the board and nothing else? Start the calibration again"
                    )
                placements.append(Placement(m, x, y, tuple(float(v) for v in mean)))  # type: ignore[arg-type]  # four corners by construction
                print(f"   measured {total:.2f} kg from {n} samples", file=out)
                k += 1
        if hasattr(board, "clear_masses"):
            board.clear_masses()
        fit = fit_profile(placements, serial=serial)
    except CalibrationError as err:
        return fail("calibrate", str(err))
    except BoardError as err:
        return fail("calibrate", board_error_message(err, args.board))
    except KeyboardInterrupt:
        print("calibration cancelled; nothing stored", file=sys.stderr)
        return 130
    finally:
        board.close()

    path = None if args.dry_run else save_profile(fit.profile, args.profile_dir)
    b, a = fit.before, fit.after
    if args.json:
        print_json({"serial": serial, "profile": fit.profile.to_dict(), "before": b, "after": a,
                    "stored": str(path) if path else None})  # fmt: skip
        return 0
    print(format_table(
        ["error", "before", "after"],
        [
            ["total load RMS (kg)", f"{b['total_rmse_kg']:.3f}", f"{a['total_rmse_kg']:.3f}"],
            ["total load max (kg)", f"{b['total_max_kg']:.3f}", f"{a['total_max_kg']:.3f}"],
            ["CoP RMS (mm)", f"{b['cop_rmse_mm']:.2f}", f"{a['cop_rmse_mm']:.2f}"],
            ["CoP max (mm)", f"{b['cop_max_mm']:.2f}", f"{a['cop_max_mm']:.2f}"],
        ],
    ), file=out)  # fmt: skip
    g = fit.profile.gains
    print(f"sensor gains TL {g[0]:.4f}  TR {g[1]:.4f}  BL {g[2]:.4f}  BR {g[3]:.4f}", file=out)
    print(f"CoP correction: ML x{fit.profile.cop_ml[0]:.4f} {fit.profile.cop_ml[1]:+.2f} mm, "
          f"AP x{fit.profile.cop_ap[0]:.4f} {fit.profile.cop_ap[1]:+.2f} mm", file=out)  # fmt: skip
    if path:
        print(f"stored {path}; applied automatically to board {serial} from now on", file=out)
    else:
        print("dry run: profile not stored", file=out)
    return 0
