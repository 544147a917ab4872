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
    p.add_argument("--side", choices=("left", "right", "both"), default="both",
                   help="stance leg of these trials (default both: two-legged stance)")  # fmt: skip
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
    import math
    import shutil
    from pathlib import Path

    from balance.app.paths import ensure_private_dir
    from balance.app.store import StoreError, _iso
    from balance.errors import BalanceInputError
    from balance.pipeline import analyze
    from drivers.formats import FormatError, read_any
    from protocols.results import TrialResult

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
        for name in args.files:
            path = Path(name)
            try:
                rec = read_any(path)
                res = analyze(rec, raw=args.raw, **params)
            except FileNotFoundError:
                errors.append(f"{path}: no such file")
                continue
            except (FormatError, BalanceInputError, ValueError) as err:
                msg = str(err)
                errors.append(msg if msg.startswith(str(path)) else f"{path}: {msg}")
                continue
            except OSError as err:
                errors.append(f"{path}: cannot read it ({err.strerror or err})")
                continue
            t = res.time_s
            window = (float(t[0]), float(t[-1])) if len(t) else None
            header = rec.meta.get("header") if isinstance(rec.meta.get("header"), dict) else {}
            started = rec.meta.get("started_wall_utc") or header.get("started_wall_utc")
            trials.append((path, TrialResult(
                protocol=args.protocol.replace("-", "_"), side=args.side, condition=args.condition,
                trial_index=len(trials) + 1, practice=False, valid=True, status="complete",
                failure_kind=None, failure_time_s=None, duration_s=rec.duration_s, planned_duration_s=rec.duration_s,
                recording=rec, start_s=float(rec.time_s[0]) if len(rec) else math.nan,
                end_s=float(rec.time_s[-1]) if len(rec) else math.nan, analysis_window_s=window,
                analysis_params=dict(res.params), measures=dict(res.measures),
                extra={"source_file": str(path.resolve()), "layout": rec.meta.get("layout")},
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
        # 2. store: one session, raw copies kept with the athlete's recordings
        try:
            sid = store.start_session(athlete, protocol=args.protocol.replace("-", "_"), started_at=when,
                                      board={"kind": "file"}, conditions={"condition": args.condition},
                                      source="import")  # fmt: skip
            raw_dir = ensure_private_dir(store.athlete_raw_dir(athlete) / f"import_{sid:05d}")
            ids = []
            for k, (path, tr) in enumerate(trials, 1):
                copy = raw_dir / f"{k:03d}_{path.name}"
                shutil.copyfile(path, copy)
                ids.append(store.add_trial(sid, tr, raw_path=copy, recorded_at=when))
            from balance.app.summary import session_measure_rows

            session = store.session(sid, with_recordings=False)
            store.finish_session(sid, status="complete")
        except (StoreError, OSError) as err:
            return fail("import", f"{err}; the files themselves are unchanged")
        rows = session_measure_rows(session, ["mean_velocity_mm_s", "mean_velocity_ml_mm_s", "rms_ml_mm"])
        if args.json:
            print_json({"session_id": sid, "trial_ids": ids, "athlete": athlete.code, "summary": rows})
        else:
            print(f"imported {len(ids)} trial(s) for {athlete.label} as session {sid} ({args.side}, {args.condition})")
            for path, tr in trials:
                v = tr.measures.get("mean_velocity_mm_s", math.nan)
                print(f"  {path.name}: {tr.duration_s:.1f} s, mean CoP speed {v:.1f} mm/s")
            print(f"next: balance history {athlete.label} --protocol {args.protocol}")
    return 0


def _open(args: argparse.Namespace) -> Any:
    from balance.app.commands._common import open_store

    return open_store(args, create=False)
