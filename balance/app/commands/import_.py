"""``balance import FILE... --athlete NAME``: bring force-plate (or board) recordings into the history."""

from __future__ import annotations

import argparse
from typing import Any

from balance.app.argtypes import nonneg_float
from balance.app.commands._common import EXAMPLES_FORMATTER, add_db_argument, add_json_argument, fail, print_json

EXAMPLES = """\
examples:
  balance import lab/left1.txt lab/left2.txt --athlete Sam --side left
  balance import right_trial.csv --athlete Sam --side right --date 2026-03-02 --condition eyes_closed
  balance import BDS00001.txt --athlete P07 --side both --protocol bilateral

Accepted files (detected from their content): HBEDB BDS*.txt, PDS *grf.txt, Quijoux/Motive CSV,
a CoP CSV (time_s, cop_ml_mm, cop_ap_mm), a four-corner CSV (time_s, tl_kg, tr_kg, bl_kg, br_kg),
and balance's own recording files; .gz works too. All files are read and analysed first: if any
of them fails, nothing is imported. Each import becomes one session; a copy of every file is kept
with the athlete's raw recordings.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "import",
        help="bring force-plate recordings into an athlete's history",
        description="Import recording files (force plate, CoP or corner CSV, our own) into the history as one "
        "session: each file is one trial, analysed with the standard pipeline.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="recording file(s)")
    p.add_argument("--athlete", required=True, help="name or code of an existing athlete")
    p.add_argument("--side", choices=("left", "right", "both"), default=None,
                   help="stance leg of these trials (default both: two-legged stance); refused when the CoP "
                   "says the other foot (see --force)")  # fmt: skip
    p.add_argument("--segment", action="store_true",
                   help="each file holds several single-leg stances: store one trial per stance, its side "
                   "told by the CoP (lift-off to touch-down, trimmed as the single-leg protocols)")  # fmt: skip
    p.add_argument("--force", action="store_true", help="import even when the CoP contradicts --side")
    p.add_argument("--protocol", default="import", help="protocol name to file them under (default import)")
    p.add_argument("--condition", default="eyes_open", help="condition label (default eyes_open)")
    p.add_argument("--date", metavar="ISO", help="when they were recorded, e.g. 2026-03-02 or 2026-03-02T09:30 "
                   "(default: the file's own start time if it has one, else now)")  # fmt: skip
    p.add_argument("--trim-s", type=nonneg_float, default=None, metavar="S", help="seconds cut from the start before analysis")
    p.add_argument("--raw", action="store_true", help="analyse as recorded (no resampling, filtering or trimming)")
    add_db_argument(p)
    add_json_argument(p)
    return p


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    import dataclasses
    import math
    import shutil
    import sqlite3
    import sys
    import warnings
    from pathlib import Path

    from balance.app.batch import check_plausible, input_flags
    from balance.app.paths import ensure_private_dir
    from balance.app.store import StoreError, _iso, printable
    from balance.errors import BalanceInputError
    from balance.model import TrialRecord
    from balance.pipeline import analyze
    from drivers.formats import FormatError, read_any

    try:
        store_cm = _open(args)
    except StoreError as err:
        return fail("import", str(err))
    with store_cm as store:
        try:
            athlete = store.get_athlete(args.athlete)
            when = _iso(args.date) if args.date else None
        except StoreError as err:
            return fail("import", str(err))
        # 1. read and analyse everything first: all or nothing
        trials: list[tuple[Path, Any]] = []
        errors: list[str] = []
        params = {} if args.trim_s is None else {"trim_s": args.trim_s}
        side_arg = args.side or "both"
        if args.segment and args.side is not None:
            return fail("import", "--segment tells each stance's side from the CoP, so --side cannot apply: drop --side")
        for name in args.files:
            path = Path(name)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", RuntimeWarning)  # kept with the trial, not on stderr
                    rec = read_any(path)
                    check_plausible(rec)
                    if args.segment:
                        got = _segment_trials(path, rec, args, params)
                        if isinstance(got, str):
                            errors.append(got)
                        else:
                            for tr in got:
                                trials.append((path, dataclasses.replace(tr, trial_index=len(trials) + 1)))
                        started = rec.meta.get("started_wall_utc")
                        if when is None and started:
                            try:
                                when = _iso(started)
                            except StoreError:
                                pass
                        continue
                    from protocols.segment import several_stances_warning, side_mismatch

                    several = several_stances_warning(rec)
                    if several:
                        print(f"balance import: warning: {path}: {several}", file=sys.stderr)
                    wrong = side_mismatch(rec, side_arg)
                    if wrong and not args.force:
                        errors.append(f"{path}: {wrong}; give the right --side, use --segment for a session of "
                                      "several stances, or --force to import it as given")
                        continue
                    res = analyze(rec, raw=args.raw, **params)
            except FileNotFoundError:
                errors.append(f"{path}: no such file")
                continue
            except (FormatError, BalanceInputError, ValueError, RecursionError) as err:
                msg = str(err)
                errors.append(msg if msg.startswith(str(path)) else f"{path}: {msg}")
                continue
            except OSError as err:
                errors.append(f"{path}: cannot read it ({err.strerror or err})")
                continue
            complete, notes = input_flags(rec, dict(res.measures), caught)
            for note in notes:
                print(f"balance import: note: {printable(path.name)}: {note}", file=sys.stderr)
            t = res.time_s
            window = (float(t[0]), float(t[-1])) if len(t) else None
            header = rec.meta.get("header") if isinstance(rec.meta.get("header"), dict) else {}
            started = rec.meta.get("started_wall_utc") or header.get("started_wall_utc")
            trials.append((path, TrialRecord(
                protocol=args.protocol.replace("-", "_"), side=side_arg, condition=args.condition,
                trial_index=len(trials) + 1, practice=False, valid=True, status="complete",
                failure_kind=None, failure_time_s=None, duration_s=rec.duration_s, planned_duration_s=rec.duration_s,
                recording=rec, start_s=float(rec.time_s[0]) if len(rec) else math.nan,
                end_s=float(rec.time_s[-1]) if len(rec) else math.nan, analysis_window_s=window,
                params=dict(res.params), measures=dict(res.measures),
                extra={"source_file": printable(str(path.resolve())), "layout": rec.meta.get("layout"),
                       "input_complete": complete, "input_warnings": notes},
            )))  # fmt: skip
            if when is None and started:
                try:
                    when = _iso(started)
                except StoreError:
                    pass
        if errors:
            for e in errors:
                fail("import", e)
            return fail("import", f"{len(errors)} of {len(args.files)} file(s) could not be imported; nothing was "
                        "added to the history (fix or leave out those files and run again)")  # fmt: skip
        # 2. store: one session, raw copies kept with the athlete's recordings; all or nothing
        sid: int | None = None
        copies: list[Path] = []
        raw_dir: Path | None = None
        try:
            sid = store.start_session(athlete, protocol=args.protocol.replace("-", "_"), started_at=when,
                                      board={"kind": "file"}, conditions={"condition": args.condition},
                                      source="import")  # fmt: skip
            raw_dir = ensure_private_dir(store.athlete_raw_dir(athlete) / f"import_{sid:05d}")
            ids = []
            for k, (path, tr) in enumerate(trials, 1):
                # the copy's name keeps only safe characters (a name with undecodable bytes, or
                # hundreds of characters long, must not break the copy or the database)
                copy = raw_dir / f"{k:03d}_{_safe_file_name(path.name)}"
                shutil.copyfile(path, copy)
                copies.append(copy)
                ids.append(store.add_trial(sid, tr, raw_path=copy, recorded_at=when))
            from balance.app.summary import session_measure_rows

            session = store.session(sid, with_recordings=False)
            store.finish_session(sid, status="complete")
        except (StoreError, OSError, ValueError, sqlite3.Error) as err:
            _undo_import(store, sid, copies, raw_dir)
            return fail("import", f"{err}; nothing was imported and the files themselves are unchanged")
        except BaseException:
            _undo_import(store, sid, copies, raw_dir)
            raise
        rows = session_measure_rows(session, ["mean_velocity_mm_s", "mean_velocity_ml_mm_s", "rms_ml_mm"])
        if args.json:
            print_json({"session_id": sid, "trial_ids": ids, "athlete": athlete.code, "summary": rows})
        else:
            shown = "side from the CoP" if args.segment else side_arg
            print(f"imported {len(ids)} trial(s) for {athlete.label} as session {sid} ({shown}, {args.condition})")
            for path, tr in trials:
                v = tr.measures.get("mean_velocity_mm_s", math.nan)
                where = f" {tr.side} {tr.start_s:.1f}-{tr.end_s:.1f} s ({tr.status})" if args.segment else ""
                print(f"  {printable(path.name)}:{where} {tr.duration_s:.1f} s, mean CoP speed {v:.1f} mm/s")
            print(f"next: balance history {athlete.label} --protocol {args.protocol}")
    return 0


def _segment_trials(path: Any, rec: Any, args: argparse.Namespace, params: dict[str, Any]) -> Any:
    """One :class:`~balance.model.TrialRecord` per single-leg stance of ``rec`` (``--segment``), or an error message."""
    from balance.app.store import printable
    from balance.errors import BalanceInputError
    from balance.model import TrialRecord
    from balance.pipeline import analyze
    from protocols.segment import segment

    found = segment(rec)
    if not found:
        return (f"{path}: --segment found no single-leg stance held for 2 s (the CoP never stayed 40 mm or more to "
                "one side of the both-feet centre); import it without --segment and with its --side")
    out = []
    for st in found:
        window = st.analysis_window_s
        measures: dict[str, float] = {}
        analysed: dict[str, Any] = {}
        error: str | None = "too short to analyse after the trim"
        if window is not None:
            try:
                res = analyze(rec.slice_time(*window), raw=args.raw, **params)
                measures, analysed, error = dict(res.measures), {**res.params, "analysis_window_s": list(window)}, None
            except (BalanceInputError, ValueError) as err:
                error = str(err)
        tr = TrialRecord(
            protocol=args.protocol.replace("-", "_"), side=st.side, condition=args.condition, trial_index=0,
            practice=False, valid=st.status == "complete" and window is not None, status=st.status,
            failure_kind=st.failure_kind, failure_time_s=None if st.failure_kind is None else st.end_s - st.start_s,
            duration_s=st.duration_s, planned_duration_s=st.duration_s,
            recording=rec.slice_time(st.start_s, st.end_s + 1e-9), start_s=st.start_s, end_s=st.end_s,
            liftoff_s=st.start_s, analysis_window_s=window, body_mass_kg=st.body_mass_kg,
            extra={"source_file": printable(str(path.resolve())), "layout": rec.meta.get("layout"),
                   "segment": st.as_dict()},
            measures=measures, params=analysed, analysis_error=error,
        )  # fmt: skip
        out.append(tr)
    return out


def _safe_file_name(name: str, max_chars: int = 120) -> str:
    """``name`` with only letters, digits and ``-_.`` (others become ``_``), at most ``max_chars``."""
    import os

    stem, ext = os.path.splitext(name)
    if len(ext) > 12:
        stem, ext = name, ""
    safe = "".join(c if (c.isascii() and (c.isalnum() or c in "-_.")) else "_" for c in stem)
    safe_ext = "".join(c if (c.isascii() and (c.isalnum() or c in ".")) else "_" for c in ext)
    return (safe[: max_chars - len(safe_ext)] or "file") + safe_ext


def _undo_import(store: Any, sid: int | None, copies: list[Any], raw_dir: Any) -> None:
    """Remove what a failed import wrote: its session (with any trials) and its raw copies."""
    import contextlib

    for c in copies:
        with contextlib.suppress(OSError):
            c.unlink()
    if raw_dir is not None:
        with contextlib.suppress(OSError):
            raw_dir.rmdir()
    if sid is not None:
        with contextlib.suppress(Exception):
            store.discard_session(sid)


def _open(args: argparse.Namespace) -> Any:
    from balance.app.commands._common import open_store

    return open_store(args, create=False)
