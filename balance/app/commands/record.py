"""``balance record``: write a board's samples to a recording file as they arrive, before any analysis."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._board import add_board_arguments, board_error_message, open_cli_board
from balance.app.commands._common import EXAMPLES_FORMATTER, add_json_argument, fail, print_json

EXAMPLES = """\
examples:
  balance record --board wii --seconds 30 --out trial.csv               # a real board over Bluetooth HID
  balance record --board evdev --seconds 30 --out trial.csv             # Linux: through the hid-wiimote driver
  balance record --board sim --stance left --seconds 30 --out sim.csv   # no hardware: the simulated board
  balance record --board replay --input old.csv --out copy.csv          # replay a recording (real time)
  balance record --board file --input BDS00001.txt --out bds.csv        # a force-plate file as samples

The file is CSV with a JSON header line (board, calibration, software version, start time); rows are
flushed at least every second, so a crash keeps everything up to that point. Open it in a spreadsheet
(lines starting with # are comments) or analyse it with `balance analyze FILE`.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "record",
        help="record a board's raw samples to a file",
        description="Record the four corner loads of a board, timestamped, into a recording file, writing "
        "each sample as it arrives. A dropped connection closes the file marked incomplete and says so.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("--out", required=True, metavar="FILE", help="recording file to create")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to record (s, default 30)")
    p.add_argument("--stance", choices=("left", "right", "both"), help="what the person does (kept in the header; "
                   "the simulated person takes this stance)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--reconnect-attempts", type=int, default=3, metavar="N",
                   help="after a dropped link, try to reopen the board N times (default 3)")  # fmt: skip
    p.add_argument("--sim-disconnect-at-s", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    add_board_arguments(p)
    add_json_argument(p)
    return p


def run(args: argparse.Namespace) -> int:
    from balance.app.errors import UsageError
    from drivers.errors import BoardDisconnected, BoardError, ProtocolError
    from drivers.recording_file import RecordingWriter, header_from_board

    if not args.seconds > 0:
        raise UsageError(f"--seconds {args.seconds} must be > 0")
    sim: dict[str, Any] = {"stance": args.stance or "both"}
    if args.sim_disconnect_at_s is not None:
        sim["disconnect_at_s"] = args.sim_disconnect_at_s
    err_out = sys.stderr
    try:
        board, profile = open_cli_board(args, sim=sim)
    except BoardError as err:
        return fail("record", board_error_message(err, args.board))
    n = 0
    reconnected: bool | None = None
    malformed = 0
    outcome = "finished"
    complete = True
    try:
        header = header_from_board(
            board,
            stance=args.stance,
            requested_seconds=args.seconds,
            calibration_profile=profile.to_dict() if profile is not None else None,
        )
        try:
            writer = RecordingWriter(args.out, header=header, overwrite=args.overwrite)
        except FileExistsError as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            return fail("record", f"cannot create {args.out}: {err}")
        if not args.quiet:
            print(f"recording {args.seconds:g} s from the {args.board} board ({board.info.name}) to {args.out}",
                  file=err_out)  # fmt: skip
        t_first: float | None = None
        next_progress = 5.0
        try:
            while True:
                try:
                    s = board.read(timeout_s=1.0)
                except ProtocolError:
                    malformed += 1
                    continue
                except EOFError:
                    outcome = "end of the source"
                    break
                if s is None:
                    continue
                if t_first is None:
                    t_first = s.t_s
                if s.t_s - t_first >= args.seconds:
                    break
                writer.write(s)
                n += 1
                if not args.quiet and s.t_s - t_first >= next_progress:
                    print(f"  {s.t_s - t_first:5.1f} s  {n} samples  {s.total_kg:6.1f} kg", file=err_out)
                    next_progress += 5.0
        except BoardDisconnected as err:
            complete = False
            outcome = f"board disconnected: {err}"
            writer.close(complete=False, reason=outcome)
            print(f"the board disconnected after {n} samples; {args.out} is kept and marked INCOMPLETE; "
                  "trying to reconnect...", file=err_out)  # fmt: skip
            reconnected = board.reconnect(attempts=args.reconnect_attempts, delay_s=1.0)
        except BoardError as err:  # before OSError: a BoardTimeout is also a TimeoutError
            writer.close(complete=False, reason=f"board error: {err}")
            return fail("record", f"{err}; the {n} samples recorded so far are kept in {args.out} (marked incomplete)")
        except KeyboardInterrupt:
            writer.close(complete=False, reason="interrupted")
            print(f"interrupted: {n} samples kept in {args.out} (marked incomplete)", file=err_out)
            return 130
        except OSError as err:  # disk full, file system gone
            try:
                writer.close(complete=False, reason=f"write failed: {err}")
            except OSError:
                pass  # no room even for the end marker: the file reads back as incomplete anyway
            return fail("record", f"writing {args.out} failed ({err}); the samples flushed before it are kept "
                        "(marked incomplete): free some space and record again")  # fmt: skip
        finally:
            writer.close()
    finally:
        board.close()

    if not complete:
        print("reconnected: the board is back; record again to get a complete trial" if reconnected
              else "could not reconnect: check the board's batteries and Bluetooth (`balance boards`)", file=err_out)  # fmt: skip
    if malformed and not args.quiet:
        print(f"note: {malformed} malformed reports were skipped", file=err_out)
    summary = {"out": args.out, "samples": n, "complete": complete, "outcome": outcome, "board": args.board,
               "malformed_reports": malformed, "reconnected": reconnected,
               "profile": profile.serial if profile is not None else None}  # fmt: skip
    if args.json:
        print_json(summary)
    elif not args.quiet:
        print(f"wrote {n} samples to {args.out} ({'complete' if complete else 'incomplete'})")
    return 0 if complete else 1
