"""The ``balance`` command: argument parsing only; the work lives in :mod:`balance.app.commands`.

Each command module defines ``register(subparsers) -> argparse.ArgumentParser`` and
``run(args) -> int``; modules import numpy/scipy/pandas/matplotlib inside ``run`` only, so
``balance --help`` starts fast.

Exit codes: 0 ok, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from balance import __version__
from balance.app.errors import UsageError

__all__ = ["main", "build_parser", "COMMANDS", "UsageError"]

#: Subcommand name -> module under balance.app.commands, in the order shown by --help.
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "serve": "serve",
    "athlete": "athlete",
    "test": "test",
    "history": "history",
    "export": "export",
    "import": "import_",
    "report": "report",
    "progress": "progress",
    "analyze": "analyze",
    "record": "record",
    "boards": "boards",
    "weigh": "weigh",
    "calibrate": "calibrate",
    "measures": "measures",
}


def build_parser() -> argparse.ArgumentParser:
    from balance.app.commands._common import EXAMPLES_FORMATTER

    parser = argparse.ArgumentParser(
        prog="balance",
        description=(
            "Single-leg balance testing on a Wii Balance Board or a force plate: centre-of-pressure "
            "sway, left vs right, week after week. Reports mediolateral sway; it is not a diagnosis."
        ),
        epilog="Start with `balance demo` (simulated board, no hardware needed).",
        formatter_class=EXAMPLES_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"balance.app.commands.{module_name}")
        p = module.register(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``balance`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    from balance.app.commands._common import resolve_athlete_argument

    problem = resolve_athlete_argument(args)
    if problem is not None:
        print(f"balance {args.command}: error: {problem}", file=sys.stderr)
        return 2
    try:
        return int(run(args) or 0)
    except UsageError as err:
        print(f"balance {args.command}: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - one message for a database problem, never a traceback
        message = _database_message(err)
        if message is None:
            raise
        print(f"balance {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`balance analyze --json ... | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _database_message(err: BaseException) -> str | None:
    """The one message for a history-database failure that a command did not catch, else None."""
    import sqlite3

    store = sys.modules.get("balance.app.store")
    if store is None:
        return None
    if isinstance(err, store.StoreError):
        return str(err)
    path = store.last_opened_path or "(the history database)"
    if isinstance(err, sqlite3.Error):
        return str(store.database_error(path, err))
    if isinstance(err, UnicodeDecodeError):  # text in a damaged database that is not UTF-8
        tb = err.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__")).startswith(store.__name__):  # the package or its parts
                return str(store.database_error(path, err))
            tb = tb.tb_next
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
