"""Helpers shared by the app's commands: the ``--db`` option, errors, JSON output, tables."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.store import Store

__all__ = [
    "safe_output",
    "add_db_argument",
    "add_json_argument",
    "open_store",
    "fail",
    "print_json",
    "format_table",
    "fmt_num",
    "EXAMPLES_FORMATTER",
    "add_athlete_argument",
    "resolve_athlete_argument",
]

class _ExamplesFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in an epilog laid out as written (indented lines), and wraps every other
    line of the description and epilog to the terminal's width (80 columns fit)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        def fill(line: str, first: str, rest: str) -> str:
            return textwrap.fill(line, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)

        out: list[str] = []
        para: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip() and not line[:1].isspace() and not line.rstrip().endswith(":"):
                para.append(line.strip())  # prose: gathered into one paragraph, then wrapped
                continue
            if para:
                out.append(fill(" ".join(para), indent, indent))
                para = []
            cmd, hash_, comment = line.partition("  # ")
            if len(indent + line) <= width or not line[:1].isspace():
                out.append(indent + line if line.strip() else "")
            else:  # a long example: the command as written, its comment on the next line
                lead = indent + " " * (len(line) - len(line.lstrip()))
                out.append(indent + (cmd.rstrip() if hash_ else line))
                if hash_:
                    out.append(fill(comment.strip(), lead + "  # ", lead + "    "))
        return "\n".join(out[:-1] if out and out[-1] == "" else out)


#: Keeps the examples in an epilog laid out as written; wraps the prose.
EXAMPLES_FORMATTER = _ExamplesFormatter


def safe_output() -> None:
    """Never crash on a terminal or file that cannot show ·, √, → (e.g. cp1252 or ASCII): replace them."""
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if enc not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # pragma: no cover - detached or closed stream
                pass


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="history database file (default: $BALANCE_DB, else balance.db in the data folder: $BALANCE_HOME or "
        "the platform's user data folder)",
    )


def add_athlete_argument(
    parser: argparse.ArgumentParser, *, required: bool = True, many: bool = False, help: str = "name or code"
) -> None:
    """The athlete, given the same way in every command: ``balance CMD Sam`` or ``balance CMD --athlete Sam``.

    Both spellings fill ``args.athlete`` (a list when ``many``); :func:`resolve_athlete_argument`
    (called by :func:`balance.app.cli.main` after parsing) merges them and checks ``required``.
    """
    parser.add_argument("athlete", nargs="*" if many else "?", metavar="ATHLETE",
                        help=f"{help} (or --athlete ATHLETE)")  # fmt: skip
    parser.add_argument("--athlete", dest="athlete_opt", metavar="ATHLETE", action="append" if many else "store",
                        help="the same as the positional ATHLETE")  # fmt: skip
    parser.set_defaults(_athlete_required=required, _athlete_many=many)


def resolve_athlete_argument(args: argparse.Namespace) -> str | None:
    """Merge the positional ATHLETE and ``--athlete`` into ``args.athlete``; a message when they clash
    or a required athlete is missing (None when all is well)."""
    if not hasattr(args, "athlete_opt"):
        return None
    pos, opt = args.athlete, args.athlete_opt
    if getattr(args, "_athlete_many", False):
        args.athlete = list(pos or []) + [a for a in (opt or []) if a not in (pos or [])]
        missing = not args.athlete
    else:
        if pos is not None and opt is not None and pos != opt:
            return f"two athletes given ({pos!r} and --athlete {opt!r}): give one"
        args.athlete = pos if pos is not None else opt
        missing = args.athlete is None
    if missing and getattr(args, "_athlete_required", False):
        return f"which athlete? e.g. `balance {args.command} ... Sam` or `--athlete Sam`"
    return None


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def open_store(args: argparse.Namespace, *, create: bool = True) -> Store:
    from balance.app.store import Store

    return Store.open(getattr(args, "db", None), create=create)


def fail(command: str, message: str, *, code: int = 1) -> int:
    """Print ``balance <command>: error: <message>`` on stderr and return ``code``."""
    print(f"balance {command}: error: {message}", file=sys.stderr)
    return code


def print_json(obj: Any) -> None:
    """Dump ``obj`` (NaN -> null) as JSON on stdout."""
    from balance.app.jsonable import to_jsonable

    print(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False))


def fmt_num(value: Any, digits: int = 1) -> str:
    """A number for a terminal table ('–' for missing)."""
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(f):
        return "–"
    return f"{f:.{digits}f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Callable[[int], bool] | None = None,
                 max_width: int | None = None) -> str:
    """A plain-text table with aligned columns (numbers right-aligned by default).

    With ``max_width`` (characters, e.g. the terminal's 80) the first column is wrapped onto more
    lines when the table would be wider (never narrower than 12 characters).
    """
    import textwrap

    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    if max_width is not None and sum(widths) + 2 * (len(widths) - 1) > max_width:
        widths[0] = max(12, max_width - sum(widths[1:]) - 2 * (len(widths) - 1))
    is_right = right or (lambda i: i > 0)
    lines = []
    for k, r in enumerate(cells):
        first = textwrap.wrap(r[0], widths[0], break_on_hyphens=False) or [""]
        for j, part in enumerate(first):
            row = [part] + (r[1:] if j == 0 else [""] * (len(r) - 1))
            lines.append("  ".join(c.rjust(w) if is_right(i) else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())  # fmt: skip
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
