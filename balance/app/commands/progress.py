"""``balance progress ATHLETE --out progress.pdf|.png``: each leg and the asymmetry across weeks."""

from __future__ import annotations

import argparse
from typing import Any

from balance.app.commands._common import (
    EXAMPLES_FORMATTER,
    add_athlete_argument,
    add_db_argument,
    add_json_argument,
    fail,
    print_json,
)

EXAMPLES = """\
examples:
  balance progress Sam --out progress.pdf
  balance progress Sam --out ml.png --measure mean_velocity_ml_mm_s
  balance progress P07 --measure rms_ml_mm --measure prediction_ellipse_area_mm2 --condition eyes_closed
  (a PDF holds 3 measures a page and grows pages; a PNG holds one page of up to 3)

Per measure: left and right, one point per session (the mean of its valid trials, the bar from
the lowest to the highest trial), the baseline (first session) with a shaded band of +- MDC95
around it so real change stands out, and the symmetry index over time with its own band. Dates
are on a true time axis. It describes sway; it is not a diagnosis.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "progress",
        help="progress chart across sessions (PDF or PNG)",
        description="Draw an athlete's left and right results and their asymmetry across sessions.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    add_athlete_argument(p)
    p.add_argument("--out", metavar="FILE", help="output .pdf or .png (default: progress-<code>.pdf here)")
    p.add_argument("--measure", action="append", metavar="KEY",
                   help="measure key (repeatable; default: mean_velocity_ml_mm_s, mean_velocity_mm_s, "
                   "prediction_ellipse_area_mm2, those recorded)")  # fmt: skip
    p.add_argument("--protocol", default="single-leg", help="protocol (default single-leg)")
    p.add_argument("--condition", default=None, help="condition, e.g. eyes_open (default: the most recorded)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution in dots per inch (default 150)")
    p.add_argument("--no-reference", action="store_true", help="leave out the reference band (published or squad "
                   "P25-P75) behind the lines")  # fmt: skip
    from balance.app.squad import add_squad_arguments

    add_squad_arguments(p)
    add_db_argument(p)
    add_json_argument(p)
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from balance.app.commands._common import open_store
    from balance.app.store import StoreError

    if args.out is not None and Path(args.out).suffix.lower() not in (".pdf", ".png"):
        return fail("progress", f"--out {args.out} must end in .pdf or .png", code=2)
    if not 30 <= args.dpi <= 600:
        return fail("progress", f"--dpi {args.dpi} must be between 30 and 600", code=2)
    from balance.app.squad import squad_filter

    try:
        with open_store(args, create=False) as store:
            athlete = store.get_athlete(args.athlete)
            history, measures, bands = progress_inputs(store, athlete, protocol=args.protocol, measures=args.measure,
                                                       squad=None if args.no_reference else squad_filter(args))  # fmt: skip
    except StoreError as err:  # unknown athlete or measure (the message lists the recorded ones)
        return fail("progress", str(err))
    empty = [m for m, pts in history.items() if not pts]
    if empty:
        return fail("progress", f"no valid trials of {', '.join(empty)} for {athlete.label}")
    from balance.app.progress_chart import write_progress

    out = Path(args.out) if args.out else Path(f"progress-{athlete.code}.pdf")
    try:
        path = write_progress(history, out, measures=measures, athlete=athlete.code,
                              protocol=args.protocol.replace("_", "-"), condition=args.condition, dpi=args.dpi,
                              reference_bands=bands)  # fmt: skip
    except ValueError as err:
        return fail("progress", str(err))
    except OSError as err:
        return fail("progress", f"could not write {out}: {err.strerror or err}")
    n = len({p.session_id for pts in history.values() for p in pts})
    if args.json:
        print_json({"progress": str(path.resolve()), "athlete": athlete.code, "measures": measures, "sessions": n})
    else:
        print(f"progress of {athlete.label} ({athlete.code}) over {n} session(s), {', '.join(measures)}: {path}")
    return 0


def progress_inputs(
    store: Any, athlete: Any, *, protocol: str = "single-leg", measures: list[str] | None = None, squad: Any = None
) -> tuple[dict[str, list[Any]], list[str], dict[str, tuple[float, float, str]] | None]:
    """What the progress chart of ``athlete`` draws: (history per measure, measures, reference bands).

    Parameters
    ----------
    store : balance.app.store.Store
    athlete : balance.app.store.Athlete
    protocol : str
        ``single-leg`` (or its stored name ``single_leg``), ...
    measures : list of str, optional
        Measure keys (default: those of :data:`balance.app.progress_chart.DEFAULT_MEASURES` recorded).
    squad : balance.app.squad.SquadFilter, optional
        The squad whose norms give the reference band; None leaves the bands out.

    Raises
    ------
    StoreError
        The athlete has no session of ``protocol``, or a measure was never recorded.
    """
    from balance.app.progress_chart import DEFAULT_MEASURES
    from balance.app.store import StoreError

    stored = protocol.replace("-", "_")
    sessions = store.sessions(athlete, protocol=stored)
    if not sessions:
        shown = stored.replace("_", "-")
        raise StoreError(f"{athlete.label} has no {shown} sessions yet: run `balance test {shown} --athlete "
                         f"{athlete.label}` first")  # fmt: skip
    keys = list(measures or [m for m in DEFAULT_MEASURES if m in store.measure_keys(athlete)])
    history = {m: store.history(athlete, m, protocol=stored) for m in keys}
    bands = None
    if squad is not None:
        from balance.app.references import progress_bands

        bands = progress_bands(store, sessions[-1], keys, squad=squad)
    return history, keys, bands
