"""``balance analyze RECORDING...``: the sway measures of recording files, as a table, CSV or JSON.

Each file is read with :func:`drivers.formats.read_any` (layout detected from the content) and
analysed with :func:`balance.pipeline.analyze`. A file that cannot be read or analysed gets one
message on stderr naming the file, the problem and the fix; the other files are still analysed.
Exit code 0 when every file was analysed, 1 when any failed, 2 for usage errors.

The batch runs in :mod:`balance.app.batch` (every core, files sent in chunks, one BLAS thread per
process, progress on stderr for long batches); this module parses the options and prints the
results. numpy/scipy and the readers are imported inside :func:`run`, so ``balance --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from balance.app.argtypes import nonneg_float, positive_float, positive_int
from balance.app.batch import _keep_freed_memory, analyze_file, analyze_files, single_threaded
from balance.app.commands._common import EXAMPLES_FORMATTER
from balance.catalogue import ANALYZE_TABLE

__all__ = [
    "register",
    "run",
    "analyze_file",
    "analyze_files",
    "expand_paths",
    "format_table",
    "format_csv",
    "format_json",
    "measure_units",
    "single_threaded",
    "KEY_MEASURES",
]

#: Measures shown in the terminal table (those the preset provides, in this order); CSV and JSON
#: carry every measure (:data:`balance.catalogue.ANALYZE_TABLE`).
KEY_MEASURES: dict[str, tuple[str, ...]] = ANALYZE_TABLE


def _name_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one measure name, e.g. --measures mean_velocity_mm_s,rms_ml_mm")
    return names


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``analyze`` subcommand to ``subparsers`` and return its parser."""
    p = subparsers.add_parser(
        "analyze",
        help="sway measures of recording files (table, CSV or JSON)",
        description=(
            "Compute the centre-of-pressure sway measures of each RECORDING and print one row per file.\n"
            "The layout is detected from the file's content (plain or .gz): HBEDB BDS*.txt, PDS *grf.txt,\n"
            "Motive/Quijoux force-plate CSV, CoP CSV (time_s,cop_ml_mm,cop_ap_mm), four-corner CSV\n"
            "(time_s,tl_kg,tr_kg,bl_kg,br_kg) and balance recording files. Every preprocessing choice is\n"
            "recorded with the results (--csv / --json)."
        ),
        epilog=(
            "Exit code 0 when every file was analysed, 1 when any file failed (each failure is "
            "explained on stderr; the other files are still analysed), 2 for usage errors.\n"
            "examples:\n"
            "  balance analyze trial1.csv trial2.csv\n"
            "  balance analyze --raw --json data/hbedb/BDS*.txt.gz > measures.json\n"
            "  balance analyze --preset quijoux --csv plate.csv"
        ),
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("recordings", nargs="+", metavar="RECORDING", help="recording files to analyse")
    p.add_argument(
        "--raw",
        action="store_true",
        help="analyse the CoP exactly as given (mean removed; no resampling, filtering or trimming)",
    )
    p.add_argument(
        "--preset",
        choices=("standard", "quijoux"),
        default="standard",
        help="measure set: 'standard' (Prieto 1996 set and more, mm units) or 'quijoux' "
        "(the 72 features of Quijoux et al. 2021, their keys and cm units); default standard",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV: every measure and parameter, one row per file")
    out.add_argument("--json", action="store_true", help="print JSON: every measure and parameter per file")
    p.add_argument(
        "--fs-hz",
        type=positive_float,
        metavar="HZ",
        help="rate of the analysed signal (Hz); default: a uniform stream keeps its rate, an irregular "
        "one is resampled (SWARII) to 50 Hz",
    )
    p.add_argument(
        "--cutoff-hz",
        type=positive_float,
        metavar="HZ",
        help="zero-phase Butterworth low-pass cut-off (Hz), default 10",
    )
    p.add_argument("--order", type=positive_int, metavar="N", help="Butterworth filter order, default 4")
    p.add_argument("--trim-s", type=nonneg_float, metavar="S", help="seconds dropped at the start, default 0")
    p.add_argument(
        "--gap-policy",
        choices=("error", "longest"),
        help="CoP gaps longer than 0.5 s: 'error' (default) or analyse the 'longest' gap-free stretch",
    )
    p.add_argument(
        "--no-check-units",
        dest="check_units",
        action="store_false",
        default=None,
        help="accept a CoP whose range looks like metres or micrometres (default: refuse it)",
    )
    p.add_argument(
        "--measures",
        type=_name_list,
        metavar="A,B,C",
        help="only these measures or groups (comma-separated, e.g. mean_velocity_mm_s,rms_ml_mm or time,area); "
        "only what they need is computed",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        metavar="N",
        help="worker processes for long batches (default: every core)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")
    p.add_argument(
        "--segment",
        action="store_true",
        help="the file holds a session of several single-leg stances: find each (lift-off to touch-down, "
        "side from the CoP) and print one row per stance with side, start, end and status",
    )
    caps = p.add_argument_group(
        "resource caps",
        "Guards against files that would exhaust the memory (a gzip bomb, rows 10^6 s apart, a mistaken rate); "
        "each is checked before the memory is allocated and a file over a cap is refused with a message naming "
        "it. Raise a cap for a genuinely large recording.",
    )
    caps.add_argument(
        "--max-file-mb",
        type=positive_float,
        metavar="MB",
        help="largest file content in MiB, after gzip decompression (default 256)",
    )
    caps.add_argument("--max-rows", type=positive_int, metavar="N", help="most data rows per file (default 2,000,000)")
    caps.add_argument(
        "--max-duration-s",
        type=positive_float,
        metavar="S",
        help="longest recording in seconds, first to last timestamp (default 21600 = 6 h)",
    )
    caps.add_argument(
        "--max-samples",
        type=positive_int,
        metavar="N",
        help="most samples of the resampled, gap-filled signal (default 4,000,000)",
    )
    return p




def _fmt_number(v: Any) -> str:
    """About 4 significant digits, fixed-point unless very large or small; '-' for missing."""
    if v is None:
        return "-"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e6 or a < 1e-3:
        return f"{v:.3e}"
    decimals = max(0, 3 - math.floor(math.log10(a)))
    return f"{v:.{decimals}f}"


def _display_names(paths: Sequence[str]) -> list[str]:
    """Base names when they are unique, else the paths as given."""
    base = [os.path.basename(p) or p for p in paths]
    return base if len(set(base)) == len(base) else list(paths)


def format_table(results: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A fixed-width table, one row per analysed file, for a terminal."""
    ok = [r for r in results if r["ok"]]
    names = _display_names([r["file"] for r in ok])
    seg = [] if not any("stance" in r for r in ok) else ["side", "start_s", "end_s", "status"]
    head = ["file", *seg, "duration_s", *columns]
    rows = [
        [name, *(_fmt_number(r["stance"][c]) for c in seg), _fmt_number(float(r["duration_s"])),
         *(_fmt_number(r["measures"].get(c)) for c in columns)]
        for name, r in zip(names, ok)
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    for name, r in zip(names, ok):
        for note in r.get("warnings") or []:
            lines.append(f"note: {name}: {note}")
    return "\n".join(lines) + "\n"


def _union(keys: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for ks in keys:
        for k in ks:
            seen.setdefault(k, None)
    return list(seen)


def format_csv(results: Sequence[dict[str, Any]]) -> str:
    """CSV: ``file, layout, n_samples, duration_s, fs_hz, complete, warnings``, every measure, then ``param_<name>``.

    ``complete`` is False for an interrupted or cut-short input; ``warnings`` joins the notes of
    :func:`input_flags` with ``; ``."""
    import csv
    import io

    ok = [r for r in results if r["ok"]]
    mkeys = _union(r["measures"].keys() for r in ok)
    pkeys = _union(r["params"].keys() for r in ok)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    skeys = [] if not any("stance" in r for r in ok) else ["side", "start_s", "end_s", "status", "reason"]
    w.writerow(["file", *skeys, "layout", "n_samples", "duration_s", "fs_hz", "complete", "warnings", *mkeys,
                *(f"param_{k}" for k in pkeys)])  # fmt: skip

    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, (dict, list)):
            return json.dumps(v, separators=(",", ":"))
        return repr(v) if isinstance(v, float) else v

    for r in ok:
        w.writerow(
            [
                r["file"],
                *(cell(r["stance"].get(k)) for k in skeys),
                r["layout"],
                r["n_samples"],
                cell(r["duration_s"]),
                cell(r["fs_hz"]),
                r.get("complete", True),
                "; ".join(r.get("warnings") or []),
                *(cell(r["measures"].get(k)) for k in mkeys),
                *(cell(r["params"].get(k)) for k in pkeys),
            ]
        )
    return buf.getvalue()


def measure_units(preset: str) -> dict[str, str]:
    """Measure name -> unit for ``preset`` (from :data:`balance.sway.MEASURES` or ``QUIJOUX_UNITS``)."""
    if preset == "quijoux":
        from balance.quijoux import QUIJOUX_UNITS

        return dict(QUIJOUX_UNITS)
    from balance.sway import MEASURES

    return {k: info.unit for k, info in MEASURES.items()}


def format_json(results: Sequence[dict[str, Any]], *, units: dict[str, str] | None = None) -> str:
    """JSON ``{"results": [...], "errors": [{"file", "error"}, ...], "units": {measure: unit}}``.

    NaN is written as null. ``units`` lists the unit of every measure that appears in the results.
    """
    ok = [r for r in results if r["ok"]]
    keys = _union(r["measures"].keys() for r in ok)
    doc = {
        "results": [{k: v for k, v in r.items() if k != "ok"} for r in ok],
        "errors": [{"file": r["file"], "error": r["error"]} for r in results if not r["ok"]],
        "units": {k: (units or {}).get(k) for k in keys},
    }
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


# ------------------------------------------------------------------------------------------


def _known_measures(preset: str) -> list[str] | None:
    """Every measure name of ``preset``, or None when the catalogue is not available."""
    try:
        if preset == "quijoux":
            from balance import quijoux

            keys = getattr(quijoux, "QUIJOUX_KEYS", None)
            return list(keys) if keys else None
        from balance import sway

        groups = {info.group for info in sway.MEASURES.values()}
        return [*sway.MEASURES, *sorted(groups)]
    except ImportError:
        return None


def _check_options(args: argparse.Namespace) -> dict[str, Any]:
    from balance.app.errors import UsageError

    preprocessing = (
        ("--fs-hz", args.fs_hz),
        ("--cutoff-hz", args.cutoff_hz),
        ("--order", args.order),
        ("--trim-s", args.trim_s),
        ("--gap-policy", args.gap_policy),
    )
    if args.raw:
        given = [f for f, v in preprocessing if v is not None]
        if given:
            raise UsageError(
                f"--raw analyses the CoP exactly as given, so {', '.join(given)} cannot apply; drop --raw or "
                f"{' and '.join(given)}"
            )
    if args.preset == "quijoux":
        given = [f for f, v in preprocessing if v is not None]
        if given:
            raise UsageError(
                f"--preset quijoux uses the authors' own preprocessing (SWARII 25 Hz, Butterworth 4th order 10 Hz), "
                f"so {', '.join(given)} cannot apply; drop {' and '.join(given)} or use --preset standard"
            )
    params: dict[str, Any] = {}
    for name in ("fs_hz", "cutoff_hz", "order", "trim_s", "gap_policy", "check_units"):
        v = getattr(args, name)
        if v is not None:
            params[name] = v
    if args.measures:
        known = _known_measures(args.preset)
        if known is not None:
            unknown = [m for m in args.measures if m not in known]
            if unknown:
                import difflib

                hints = []
                for m in unknown:
                    close = difflib.get_close_matches(m, known, n=3)
                    hints.append(f"{m!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
                raise UsageError(
                    f"unknown measure {', '.join(hints)} for --preset {args.preset}; "
                    f"known measures: {', '.join(known)}"
                )
    limits: dict[str, Any] = {}
    if args.max_file_mb is not None:
        limits["max_bytes"] = int(args.max_file_mb * 1024 * 1024)
    if args.max_rows is not None:
        limits["max_rows"] = args.max_rows
    if args.max_duration_s is not None:
        limits["max_duration_s"] = args.max_duration_s
    return {
        "raw": bool(args.raw),
        "preset": args.preset,
        "params": params,
        "measures": args.measures,
        "limits": limits,
        "max_samples": args.max_samples,
        "segment": bool(getattr(args, "segment", False)),
    }


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The paths as given, with unexpanded wildcards (``*``, ``?``, ``[``) expanded, as on Windows shells.

    A pattern that matches nothing is kept as is, so it is reported as a missing file.
    """
    import glob

    out: list[str] = []
    for p in paths:
        if not os.path.exists(p) and any(ch in p for ch in "*?["):
            out.extend(sorted(glob.glob(p)) or [p])
        else:
            out.append(p)
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``balance analyze``; returns the exit code (0 all analysed, 1 any file failed)."""
    options = _check_options(args)
    # Import the numeric stack here (not at module top) so that `balance --help` stays fast;
    # importing before the worker pool starts lets forked workers inherit it.
    import balance.pipeline  # noqa: F401
    import drivers.formats  # noqa: F401

    _keep_freed_memory()

    results = analyze_files(expand_paths(args.recordings), options, jobs=args.jobs, progress=not args.quiet)
    for r in results:
        if not r["ok"]:
            print(f"balance analyze: error: {r['error']}", file=sys.stderr)
        elif r.get("warning"):
            print(f"balance analyze: warning: {r['file']}: {r.pop('warning')}", file=sys.stderr)
        r.pop("warning", None)
    results = [row for r in results for row in (r["segments"] if "segments" in r else [r])]
    for r in results:
        if r.get("stance", {}).get("error"):
            print(f"balance analyze: note: {r['file']}: {r['stance']['error']}", file=sys.stderr)
    if args.json:
        text = format_json(results, units=measure_units(args.preset))
    elif args.csv:
        text = format_csv(results)
    else:
        keys = _union(r["measures"].keys() for r in results if r["ok"])
        if options["measures"]:
            cols = keys  # the names asked for, groups expanded
        else:
            cols = [k for k in KEY_MEASURES[args.preset] if k in keys] or keys[:6]
        text = format_table(results, cols) if any(r["ok"] for r in results) else ""
    sys.stdout.write(text)
    sys.stdout.flush()
    n_bad = sum(not r["ok"] for r in results)
    if n_bad and len(results) > 1:
        print(f"balance analyze: {n_bad} of {len(results)} files failed (see the errors above)", file=sys.stderr)
    return 1 if n_bad else 0
