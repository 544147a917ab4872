"""Export the history for a physio: CSV files a spreadsheet opens, and a data dictionary.

:func:`export_history` writes, into one new folder::

    trials.csv            one row per trial: who, when, side, condition, valid, the headline
                          measures, then the other trial columns and every other measure
                          (unit once per header, e.g. ``mean_velocity_ml [mm/s]``)
    sessions.csv          one row per session, condition and measure: headline mark, left, right,
                          symmetry index, SEM, MDC95, flag, plain-words summary
    athletes.csv          one row per athlete (code, and name/birth year/mass unless pseudonymised)
    samples/<trial>.csv   time, the four corner loads, total load and CoP of each trial
    DATA_DICTIONARY.md    every column: meaning, unit, formula, reference

CSV dialect: comma-separated with a ``.`` decimal point by default, or any separator and decimal
mark (:class:`CsvDialect`; :func:`excel_dialect` picks what Excel expects in the user's locale:
``;`` and ``,`` where the decimal mark is a comma); UTF-8 with a byte-order mark (so spreadsheet
programs detect the encoding), CRLF line ends (RFC 4180), ISO 8601 local times with their UTC
offset, empty cell for a missing value. Measures are rounded to a stated precision per unit
(:data:`DECIMALS_BY_UNIT`, listed in the data dictionary); raw samples keep full precision. Text cells a spreadsheet would run as a formula (starting with ``= + - @``, a tab
or a line break) are prefixed with ``'`` (OWASP "CSV injection"); numbers, negative ones
included, are written as plain numbers.

The folder is written to a temporary sibling and renamed into place at the end, so an error
or a full disk never leaves a half-written export behind.
"""

from __future__ import annotations

import csv
import errno
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balance import __version__

__all__ = [
    "CsvDialect",
    "excel_dialect",
    "headline_measures",
    "DECIMALS_BY_UNIT",
    "export_history",
    "ExportResult",
    "ExportError",
    "neutralise_cell",
    "format_cell",
    "export_number",
    "measure_info",
    "measure_column",
    "TRIAL_COLUMNS",
    "SESSION_COLUMNS",
    "SAMPLE_COLUMNS",
]

#: Characters that make a spreadsheet treat a text cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


class ExportError(Exception):
    """The export could not be written; nothing was left at the destination."""


@dataclass(frozen=True)
class CsvDialect:
    """Field separator and decimal mark of the CSV files.

    ``sep=","`` with ``decimal="."`` (the default) is RFC 4180 and what pandas, R and Excel in
    an English locale read. Where the decimal mark is a comma, Excel (and LibreOffice) expect
    ``;`` between fields: ``CsvDialect(";", ",")``.
    """

    sep: str = ","
    decimal: str = "."

    def __post_init__(self) -> None:
        if len(self.sep) != 1 or self.sep in "\"\r\n" or self.sep.isalnum():
            raise ExportError(f"--sep {self.sep!r} must be one character such as , ; or a tab")
        if self.decimal not in (".", ","):
            raise ExportError(f"--decimal {self.decimal!r} must be . or ,")
        if self.sep == self.decimal:
            raise ExportError(f"--sep and --decimal are both {self.sep!r}: with --decimal , use --sep ';'")


def excel_dialect(decimal_point: str | None = None) -> CsvDialect:
    """What Excel opens by double-click in this user's locale.

    Excel splits a double-clicked CSV at the system's list separator, which is ``;`` wherever the
    decimal mark is ``,`` (most of Europe, South America) and ``,`` where it is ``.``. The decimal
    mark is read from the user's locale (``LC_NUMERIC``; ``decimal_point`` overrides it).
    """
    if decimal_point is None:
        decimal_point = _locale_decimal_point()
    return CsvDialect(";", ",") if decimal_point == "," else CsvDialect(",", ".")


def _locale_decimal_point() -> str:
    """The decimal mark of the user's locale (``.`` when it cannot be read)."""
    import locale

    try:
        old = locale.setlocale(locale.LC_NUMERIC)
        try:
            locale.setlocale(locale.LC_NUMERIC, "")
            return str(locale.localeconv().get("decimal_point") or ".")
        finally:
            locale.setlocale(locale.LC_NUMERIC, old)
    except (locale.Error, ValueError):
        return "."


def headline_measures() -> tuple[str, ...]:
    """The headline measures: first among the measure columns of trials.csv, marked in sessions.csv and the
    data dictionary: the catalogue's left-vs-right headline set (:data:`balance.catalogue.LEFT_RIGHT_TABLE`, the
    measures of the test's table)."""
    from balance.catalogue import LEFT_RIGHT_TABLE

    return tuple(LEFT_RIGHT_TABLE)


#: Decimals a measure is exported with, by unit: about a tenth of the smallest difference that matters
#: (sway is read to 0.1 mm and 0.1 mm/s, areas to 1 mm², loads to 10 g, the board's noise, frequencies to
#: 0.01 Hz). Dimensionless measures keep 4 significant digits. Raw samples are never rounded.
DECIMALS_BY_UNIT: dict[str, int] = {
    "mm": 2, "mm/s": 2, "mm²": 1, "mm²/s": 1, "mm²/Hz": 1, "Hz": 3, "%": 1, "kg": 2, "N": 1, "°": 2, "s": 2,
}  # fmt: skip
#: Significant digits of a dimensionless measure (unit ``1``).
SIGNIFICANT_DIMENSIONLESS = 4


def _round(value: Any, unit: str) -> Any:
    """``value`` rounded to the precision of ``unit`` (see :data:`DECIMALS_BY_UNIT`)."""
    if not isinstance(value, float) or isinstance(value, bool) or not math.isfinite(value):
        item = getattr(value, "item", None)
        if callable(item) and not isinstance(value, (str, bytes, bool)):
            return _round(item(), unit)
        return value
    d = DECIMALS_BY_UNIT.get(unit)
    if d is not None:
        return round(value, d)
    return float(f"{value:.{SIGNIFICANT_DIMENSIONLESS}g}")


def export_number(value: Any, unit: str, decimal: str = ".") -> str:
    """A measure as the export's CSV cell shows it: rounded to its unit's precision, shortest repr
    (``12.35``, ``3.1``, ``""`` for a missing value), so other views can show the very same digits."""
    return format_cell(_round(value, unit), decimal)


def _precision_words(unit: str) -> str:
    d = DECIMALS_BY_UNIT.get(unit)
    if d is None:
        return f"{SIGNIFICANT_DIMENSIONLESS} significant digits"
    return f"{10.0 ** -d:.{d}f} {unit}"


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_history` wrote."""

    out_dir: Path
    files: tuple[Path, ...]
    n_athletes: int
    n_sessions: int
    n_trials: int
    pseudonyms: Mapping[str, str] = field(default_factory=dict)


# -- cells -------------------------------------------------------------------------------------
def neutralise_cell(text: str) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would evaluate (``=1+1``, ``@SUM()``, ``-2+3``...)."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def format_cell(value: Any, decimal: str = ".") -> str:
    """One CSV cell: numbers as numbers (shortest round-trip repr), text neutralised, None/NaN empty.

    Booleans become ``1``/``0``. Only text is neutralised, so ``-3.5`` stays a number while the
    *text* ``"-3.5+A1"`` becomes ``'-3.5+A1``. ``decimal=","`` writes ``-3,5``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = repr(float(value))
        return text.replace(".", decimal) if decimal != "." else text
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item) and not isinstance(value, (str, bytes)):
        return format_cell(item(), decimal)
    return neutralise_cell(str(value))


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
               dialect: CsvDialect = CsvDialect()) -> None:  # fmt: skip
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=dialect.sep, lineterminator="\r\n")
        w.writerow([neutralise_cell(h) for h in header])
        for r in rows:
            w.writerow([format_cell(v, dialect.decimal) for v in r])
        fh.flush()
        os.fsync(fh.fileno())


# -- the measure catalogue ---------------------------------------------------------------------
def measure_info(key: str) -> dict[str, str]:
    """Unit, description, formula and reference of a measure key, from the catalogue
    (:func:`balance.catalogue.info`: the sway measures, then the measures the protocols add);
    an unknown key gets its unit from its suffix (:func:`balance.catalogue.unit`)."""
    from balance import catalogue

    info = catalogue.info(key)
    return {
        "unit": catalogue.unit(key),
        "description": info.description if info else "",
        "formula": info.formula if info else "",
        "reference": info.reference if info else "",
    }


def measure_column(key: str) -> str:
    """Column name of a measure with its unit once: the key without its unit suffix, then the unit,
    e.g. ``mean_velocity_ml [mm/s]`` for ``mean_velocity_ml_mm_s``, ``rep_count [1]``."""
    from balance import catalogue

    return f"{catalogue.key_stem(key)} [{catalogue.unit(key)}]"


def _measure_order(keys: Iterable[str]) -> list[str]:
    """Catalogue order first (as in balance.sway.MEASURES), then the rest alphabetically."""
    from balance.sway import MEASURES

    order = {k: i for i, k in enumerate(MEASURES)}
    ks = set(keys)
    return sorted(ks, key=lambda k: (0, order[k], k) if k in order else (1, 0, k))


# -- columns and their dictionary entries ------------------------------------------------------
#: trials.csv fixed columns: name -> (meaning, unit).
TRIAL_COLUMNS: dict[str, tuple[str, str]] = {
    "athlete_code": ("Athlete's pseudonymous code (P001... when exported with --pseudonymise)", ""),
    "athlete_name": ("Athlete's name as stored (absent when pseudonymised)", ""),
    "session_id": ("Session number in the history database", ""),
    "trial_id": ("Trial number in the history database; the samples are in samples/trial_<id>.csv", ""),
    "date": ("Date of the session in local time, ISO 8601 (YYYY-MM-DD)", ""),
    "recorded_at": ("Start of the trial: local date and time with its offset from UTC, ISO 8601 "
                    "(2026-03-02T10:15:00+01:00)", ""),
    "protocol": ("Test protocol (single_leg, bilateral, squat, before_after, import)", ""),
    "side": ("Stance leg: left, right, or both (two-legged stance, squats)", ""),
    "condition": ("Condition: eyes_open / eyes_closed, prefixed before/ or after/ in a before-after test", ""),
    "trial_number": ("Trial number within the side and condition (1 = first)", ""),
    "attempt": ("1 for the first attempt, 2 for the first retry of a failed trial, ...", ""),
    "practice": ("1 = practice trial (kept, never compared), 0 = test trial", ""),
    "valid": ("1 = the trial ran its full time and was analysed; 0 = failed or incomplete (kept, not compared)", ""),
    "status": ("complete, failed (a failure rule fired) or incomplete (board lost, stopped)", ""),
    "failure_kind": ("Why a failed trial failed: touch_down (free foot touched), step_off, hop, disconnected", ""),
    "duration_s": ("Time held from the start beep (s): the planned time, or the time to failure", "s"),
    "failure_time_s": ("Time from the start beep to the failure (s); empty when the trial did not fail", "s"),
    "board": ("Board kind (wii, sim, evdev, file, ...)", ""),
    "start_s": ("Board time of the start beep (s), on the clock of time_s in the samples file: "
                "time_s − start_s is the time into the trial", "s"),
    "samples_file": ("File with this trial's samples, relative to this folder (empty if none kept)", ""),
}

#: sessions.csv columns: name -> (meaning, unit).
SESSION_COLUMNS: dict[str, tuple[str, str]] = {
    "athlete_code": TRIAL_COLUMNS["athlete_code"],
    "session_id": TRIAL_COLUMNS["session_id"],
    "date": TRIAL_COLUMNS["date"],
    "protocol": TRIAL_COLUMNS["protocol"],
    "condition": TRIAL_COLUMNS["condition"],
    "measure": ("Measure key (see the measures table below)", ""),
    "unit": ("Unit of the measure and of left_mean, right_mean, sem, mdc95", ""),
    "left_mean": ("Mean over the valid left-leg trials of this session", "unit column"),
    "right_mean": ("Mean over the valid right-leg trials of this session", "unit column"),
    "both_mean": ("Mean over the valid two-legged trials (bilateral and squat protocols)", "unit column"),
    "n_left": ("Number of valid left-leg trials averaged", ""),
    "n_right": ("Number of valid right-leg trials averaged", ""),
    "headline": ("1 = a headline measure (shown first in trials.csv and in the test's table), 0 = other", ""),
    "symmetry_index_pct": (
        "Symmetry index 100·(R−L)/((R+L)/2), signed: positive = more on the right (Robinson, Herzog & Nigg "
        "1987, J Manipulative Physiol Ther 10:172-176)",
        "%",
    ),
    "more_sway_side": ("Which leg sways more on this measure: left, right, or equal", ""),
    "sem": ("Standard error of measurement (pooled within-side SD of repeated trials, or the literature "
            "default; Weir 2005, J Strength Cond Res 19:231-240)", "unit column"),  # fmt: skip
    "mdc95": ("Minimal detectable change MDC95 = 1.96·√2·SEM (Haley & Fragala-Pinkham 2006, Phys Ther "
              "86:735-743)", "unit column"),  # fmt: skip
    "sem_source": ("own_trials (from this athlete's repeated trials, 3 or more per side) or literature (a published "
                   "Wii Balance Board MDC as a % of the mean until then; Clark et al. 2010, Gait Posture "
                   "31:307-310)", ""),  # fmt: skip
    "flag": ("1 = the left/right difference is larger than the MDC95 (bigger than this athlete's own "
             "trial-to-trial noise); 0 = within noise", ""),  # fmt: skip
    "summary": ("The comparison in plain words (mediolateral sway is reported, not a diagnosis)", ""),
}

#: samples/<trial>.csv columns: name -> (meaning, unit).
SAMPLE_COLUMNS: dict[str, tuple[str, str]] = {
    "time_s": ("Time on the board's clock (s), full precision; the trial's start beep is start_s in trials.csv", "s"),
    "time_from_start_s": ("Time since the trial's start beep (s): time_s − start_s (negative while stepping on "
                          "and settling; empty when the start is unknown)", "s"),
    "tl_kg": ("Load on the top-left sensor (front left, as the person stands)", "kg"),
    "tr_kg": ("Load on the top-right sensor", "kg"),
    "bl_kg": ("Load on the bottom-left sensor", "kg"),
    "br_kg": ("Load on the bottom-right sensor", "kg"),
    "total_kg": ("Sum of the four sensors", "kg"),
    "cop_ml_mm": ("Centre of pressure, mediolateral, + to the person's right: (W/2)·((TR+BR)−(TL+BL))/Σ with "
                  "W = 433 mm, the Wii Balance Board's sensor spacing (Bartlett et al. 2014, Gait Posture 39:224-228)",
                  "mm"),
    "cop_ap_mm": ("Centre of pressure, anteroposterior, + forward: (L/2)·((TL+TR)−(BL+BR))/Σ with L = 238 mm "
                  "(Bartlett et al. 2014)", "mm"),
    "in_trial": ("1 between the start beep and the end of the trial, 0 before (stepping on, settling)", ""),
    "analysed": ("1 for the samples the measures were computed from (after the trim), else 0", ""),
}  # fmt: skip


# -- the export --------------------------------------------------------------------------------
#: A ``.NAME.partial-*`` folder without a process id (older versions) is stale after this long (s).
STALE_PARTIAL_AGE_S = 6 * 3600.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else (or unknown: keep it)
    return True


def remove_stale_partials(out: Path) -> list[Path]:
    """Remove the half-written ``.<out name>.partial-<pid>-*`` folders of killed exports next to ``out``.

    A folder is stale when the process that made it is gone (or, for a folder of an older version
    without a process id, when it was last changed more than :data:`STALE_PARTIAL_AGE_S` ago).
    Returns the folders removed.
    """
    import glob
    import time

    removed: list[Path] = []
    try:
        entries = list(out.parent.glob(f".{glob.escape(out.name)}.partial-*"))
    except OSError:
        return removed
    for d in entries:
        if not d.is_dir() or d.is_symlink():
            continue
        tail = d.name[len(f".{out.name}.partial-") :]
        pid_text = tail.split("-", 1)[0]
        try:
            if "-" in tail and pid_text.isdigit():
                stale = not _pid_alive(int(pid_text))
            else:
                stale = time.time() - d.stat().st_mtime > STALE_PARTIAL_AGE_S
        except OSError:
            continue
        if stale:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def export_history(
    store: Any,
    athletes: Sequence[Any] | None,
    out_dir: str | os.PathLike[str],
    *,
    pseudonymise: bool = False,
    include_samples: bool = True,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    dialect: CsvDialect | None = None,
) -> ExportResult:
    """Write the history of ``athletes`` (all with None) into the new folder ``out_dir``.

    Parameters
    ----------
    store : balance.app.store.Store
    athletes : sequence of Athlete or str, or None
        Who to export; None exports everyone.
    out_dir : path-like
        Destination folder. It must not exist (or be empty) unless ``overwrite``.
    pseudonymise : bool, optional
        Replace codes by ``P001``, ``P002``... (in the order exported), leave out names, birth
        years and board serials.
    include_samples : bool, optional
        Write ``samples/trial_<id>.csv`` for every trial with samples (default True).
    overwrite : bool, optional
        Replace an existing non-empty ``out_dir`` (swapped in only once the new one is complete).
    progress : callable(done, total), optional
        Called after each trial's samples are written.
    dialect : CsvDialect, optional
        Separator and decimal mark (default ``,`` and ``.``; :func:`excel_dialect` for Excel in
        the user's locale).

    Raises
    ------
    ExportError
        Destination exists, disk full, permission denied...; nothing is left at ``out_dir``
        (an existing folder is kept as it was).
    """
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; give --out a folder name")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ExportError(f"{out} already exists and is not empty: choose a new --out folder or pass --overwrite")
    if athletes is None:
        who = store.list_athletes()
    else:
        who = [a if hasattr(a, "code") else store.get_athlete(a) for a in athletes]
    if not who:
        raise ExportError(f"there are no athletes in {store.path} to export: add one with `balance athlete add NAME`")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    except OSError as err:
        raise ExportError(_os_message(err, out)) from err
    try:
        result = _write_all(store, who, tmp, out, pseudonymise=pseudonymise, include_samples=include_samples,
                            progress=progress, dialect=dialect or CsvDialect())  # fmt: skip
        _swap_into_place(tmp, out)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise ExportError(_os_message(err, out)) from err
        raise
    return ExportResult(
        out_dir=out,
        files=tuple(out / p.relative_to(tmp) for p in result[0]),
        n_athletes=result[1],
        n_sessions=result[2],
        n_trials=result[3],
        pseudonyms=result[4],
    )


def _os_message(err: OSError, out: Path) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: the export to {out} was not written (nothing half-written was left); free some space and export again"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write {out} ({err.strerror}): choose another --out folder"
    return f"could not write the export to {out}: {err.strerror or err}"


def _swap_into_place(tmp: Path, out: Path) -> None:
    os.chmod(tmp, 0o755 & ~_umask())
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            os.replace(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)
    _fsync_dir(out.parent)


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_all(
    store: Any,
    athletes: Sequence[Any],
    tmp: Path,
    out: Path,
    *,
    pseudonymise: bool,
    include_samples: bool,
    progress: Callable[[int, int], None] | None,
    dialect: CsvDialect,
) -> tuple[list[Path], int, int, int, dict[str, str]]:
    pseudonyms = {a.code: f"P{i:03d}" for i, a in enumerate(athletes, 1)} if pseudonymise else {}
    code_of = (lambda a: pseudonyms[a.code]) if pseudonymise else (lambda a: a.code)
    sessions = [s for a in athletes for s in store.sessions(a)]
    all_trials = [t for s in sessions for t in s.trials]
    keys = _measure_order(k for t in all_trials for k in t.measures)
    files: list[Path] = []

    # athletes.csv
    a_header = ["athlete_code"] + ([] if pseudonymise else ["athlete_name", "birth_year", "mass_kg"]) + [
        "sessions", "trials"]  # fmt: skip
    a_rows = []
    for a in athletes:
        row: list[Any] = [code_of(a)]
        if not pseudonymise:
            row += [a.name, a.birth_year, a.mass_kg]
        row += [a.n_sessions, a.n_trials]
        a_rows.append(row)
    _write_csv(tmp / "athletes.csv", a_header, a_rows, dialect)
    files.append(tmp / "athletes.csv")

    # samples/
    sample_files: dict[int, str] = {}
    if include_samples:
        (tmp / "samples").mkdir()
        with_samples = [t for t in all_trials if t.n_samples > 0]
        for i, t in enumerate(with_samples, 1):
            rec = store.trial_recording(t.id)
            if rec is None or len(rec) == 0:
                continue
            rel = f"samples/trial_{t.id:06d}.csv"
            _write_samples(tmp / rel, rec, t, dialect)
            sample_files[t.id] = rel
            files.append(tmp / rel)
            if progress is not None:
                progress(i, len(with_samples))

    # trials.csv: who, when, which leg and whether valid, then the headline measures, then the rest
    head = [k for k in headline_measures() if k in keys]
    rest = [k for k in keys if k not in head]
    lead = ["athlete_code", "athlete_name", "date", "recorded_at", "side", "condition", "trial_number", "valid"]
    fixed = [c for c in lead + [c for c in TRIAL_COLUMNS if c not in lead]
             if c in TRIAL_COLUMNS and not (pseudonymise and c == "athlete_name")]  # fmt: skip
    n_lead = sum(c in lead for c in fixed)
    header = fixed[:n_lead] + [measure_column(k) for k in head] + fixed[n_lead:] + [measure_column(k) for k in rest]
    units = {k: measure_info(k)["unit"] for k in keys}
    rows = []
    for s in sessions:
        for t in s.trials:
            vals: dict[str, Any] = {
                "athlete_code": code_of(s.athlete),
                "athlete_name": s.athlete.name,
                "session_id": s.id,
                "trial_id": t.id,
                "date": (_local_iso(s.started_at) or "")[:10],
                "recorded_at": _local_iso(t.recorded_at),
                "protocol": t.protocol or s.protocol,
                "side": t.side,
                "condition": t.condition,
                "trial_number": t.trial_index,
                "attempt": t.attempt,
                "practice": t.practice,
                "valid": t.valid,
                "status": t.status or ("complete" if t.valid else "failed"),
                "failure_kind": t.failure_kind,
                "duration_s": _round(t.duration_s, "s"),
                "failure_time_s": _round(t.failure_time_s, "s"),
                "start_s": t.start_s if math.isfinite(t.start_s) else None,
                "board": s.board.get("kind") if isinstance(s.board, Mapping) else None,
                "samples_file": sample_files.get(t.id),
            }
            m = [_round(t.measures.get(k), units[k]) for k in head], [_round(t.measures.get(k), units[k]) for k in rest]
            rows.append([vals[c] for c in fixed[:n_lead]] + m[0] + [vals[c] for c in fixed[n_lead:]] + m[1])
    _write_csv(tmp / "trials.csv", header, rows, dialect)
    files.append(tmp / "trials.csv")

    # sessions.csv
    from balance.app.summary import session_measure_rows

    s_rows = []
    in_unit = ("left_mean", "right_mean", "both_mean", "sem", "mdc95")
    for s in sessions:
        for r in session_measure_rows(s, head + rest):  # headline measures first in every session
            r = dict(r)
            r["athlete_code"] = code_of(s.athlete)
            r["date"] = (_local_iso(s.started_at) or "")[:10]
            r["unit"] = unit = measure_info(r["measure"])["unit"]
            r["headline"] = r["measure"] in head
            for c in in_unit:
                r[c] = _round(r.get(c), unit)
            r["symmetry_index_pct"] = _round(r.get("symmetry_index_pct"), "%")
            s_rows.append([r.get(c) for c in SESSION_COLUMNS])
    _write_csv(tmp / "sessions.csv", list(SESSION_COLUMNS), s_rows, dialect)
    files.append(tmp / "sessions.csv")

    # references.csv: percentiles and reference ids (balance/app/references.py)
    from balance.app.references import EXPORT_COLUMNS, export_rows

    local_date = {s.id: (_local_iso(s.started_at) or "")[:10] for s in sessions}
    cols = list(EXPORT_COLUMNS)
    at = {c: cols.index(c) for c in ("session_id", "date", "unit", "value", "percentile")}
    ref_rows = []
    for ref in export_rows(store, sessions, code_of):
        row = list(ref)
        row[at["date"]] = local_date.get(row[at["session_id"]], row[at["date"]])  # local, as in the other files
        row[at["value"]] = _round(row[at["value"]], str(row[at["unit"]] or ""))
        row[at["percentile"]] = _round(row[at["percentile"]], "%")
        ref_rows.append(row)
    _write_csv(tmp / "references.csv", cols, ref_rows, dialect)
    files.append(tmp / "references.csv")

    # DATA_DICTIONARY.md
    (tmp / "DATA_DICTIONARY.md").write_text(
        _dictionary(head + rest, pseudonymise=pseudonymise, n_sessions=len(sessions), n_trials=len(all_trials),
                    dialect=dialect, headline=head),  # fmt: skip
        encoding="utf-8",
    )
    files.append(tmp / "DATA_DICTIONARY.md")
    return files, len(athletes), len(sessions), len(all_trials), pseudonyms


def _local_iso(value: Any) -> str | None:
    """A stored time (ISO 8601, UTC) as local time with its UTC offset, to the second."""
    from datetime import datetime, timezone

    if value is None or value == "":
        return None
    try:
        t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone().isoformat(timespec="seconds")


def _write_samples(path: Path, rec: Any, trial: Any, dialect: CsvDialect = CsvDialect()) -> None:
    import numpy as np

    n = len(rec)
    t = np.asarray(rec.time_s, dtype=np.float64)
    corners = rec.corners_kg if rec.corners_kg is not None else np.full((n, 4), np.nan)
    if rec.total_kg is not None:
        total = np.asarray(rec.total_kg, dtype=np.float64)
    else:
        total = corners.sum(axis=1)  # NaN when the corners are unknown (a CoP-only import)
    start = trial.start_s if math.isfinite(trial.start_s) else None
    end = trial.end_s if math.isfinite(trial.end_s) else None
    in_trial = (t >= start) & (t <= end + 1e-9) if start is not None and end is not None else np.ones(n, bool)
    win = trial.analysis_window_s
    analysed = (t >= win[0]) & (t <= win[1] + 1e-9) if win else np.zeros(n, bool)
    from_start = t - float(start) if start is not None else np.full(n, np.nan)
    cols = [t, from_start, corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3], total, rec.cop_ml_mm,
            rec.cop_ap_mm]  # fmt: skip
    dec = dialect.decimal
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=dialect.sep, lineterminator="\r\n")
        w.writerow(list(SAMPLE_COLUMNS))
        # all numeric: repr round-trips float64 exactly; NaN (nobody on the board) -> empty cell
        w.writerows(
            [*((repr(v) if dec == "." else repr(v).replace(".", dec)) if v == v else "" for v in row[:9]),
             int(row[9]), int(row[10])]
            for row in zip(*(c.tolist() for c in cols), in_trial.tolist(), analysed.tolist())
        )  # fmt: skip
        fh.flush()
        os.fsync(fh.fileno())


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


#: A pointer to a file of the project (its notes ``*.md``, its code ``*.py``), with its § and brackets.
_DOC_REF = re.compile(r"\s*[;,]?\s*\(?(?:[\w.-]+/)*[\w.-]+\.(?:md|py)(?:\s*§\s*[\d.]+(?:\s*[-–]\s*[\d.]+)?)?\)?")


def _self_contained(text: str) -> str:
    """A reference without the project's own notes (files that are not in the export): papers only."""
    return _DOC_REF.sub("", str(text)).strip(" ;,")


def _dictionary(keys: Sequence[str], *, pseudonymise: bool, n_sessions: int, n_trials: int,
                dialect: CsvDialect = CsvDialect(), headline: Sequence[str] = ()) -> str:  # fmt: skip
    from datetime import datetime

    now = datetime.now().astimezone().isoformat(timespec="seconds")
    sep = {",": "comma", ";": "semicolon", "\t": "tab"}.get(dialect.sep, repr(dialect.sep))
    dec = "a decimal comma (3,14)" if dialect.decimal == "," else "a decimal point (3.14)"
    lines = [
        "# Data dictionary",
        "",
        f"Exported by balance {__version__} on {now}: {n_sessions} session(s), {n_trials} trial(s)"
        + (" — pseudonymised (codes P001..., no names, birth years or board serials)." if pseudonymise else "."),
        "",
        f"Files are {sep}-separated with {dec}, UTF-8 (with a byte-order mark), one header line; dates and",
        "times are local, ISO 8601, with the offset from UTC (2026-03-02T10:15:00+01:00);",
        "an empty cell is a missing value. Text cells that start with = + - @ are prefixed with ' so a",
        "spreadsheet does not run them as formulas. Each header names its unit once, in brackets (`[mm/s]`)",
        "or as the last part of the name (`duration_s`: seconds). Measures are rounded to the precision in the",
        "measures table below; the samples files keep the full precision of the recording. These numbers",
        "describe centre-of-pressure sway; the mediolateral measures reflect side-to-side balance control at",
        "the hip and ankle. They are not a diagnosis.",
        "",
    ]
    if headline:
        lines += [
            "**Headline measures** (marked ★ below; first among the measures in trials.csv, `headline` = 1 in "
            "sessions.csv): " + ", ".join(f"`{measure_column(k)}`" for k in headline) + ".",
            "",
        ]

    def table(title: str, cols: Mapping[str, tuple[str, str]], skip: Iterable[str] = ()) -> None:
        lines.extend([f"## {title}", "", "| column | meaning | unit |", "|---|---|---|"])
        for c, (meaning, unit) in cols.items():
            if c not in skip:
                lines.append(f"| `{c}` | {_md(meaning)} | {_md(unit)} |")
        lines.append("")

    lines.extend(["## athletes.csv", "", "| column | meaning | unit |", "|---|---|---|",
                  f"| `athlete_code` | {_md(TRIAL_COLUMNS['athlete_code'][0])} | |"])  # fmt: skip
    if not pseudonymise:
        lines += ["| `athlete_name` | Name as stored | |", "| `birth_year` | Year of birth | year |",
                  "| `mass_kg` | Body mass as entered | kg |"]  # fmt: skip
    lines += ["| `sessions` | Number of sessions in the history | |", "| `trials` | Number of trials | |", ""]
    table("trials.csv (one row per trial; then one column per measure)", TRIAL_COLUMNS,
          skip=("athlete_name",) if pseudonymise else ())  # fmt: skip
    table("sessions.csv (one row per session, condition and measure)", SESSION_COLUMNS)
    table("samples/trial_<id>.csv (one row per sample)", SAMPLE_COLUMNS)
    from balance.app.references import EXPORT_COLUMNS

    table("references.csv (one row per session, headline measure, leg and reference: where the value stands; "
          "not a diagnosis)", EXPORT_COLUMNS)  # fmt: skip
    lines.extend([
        "## Measures (columns `<name> [unit]` of trials.csv; `measure` in sessions.csv is the key)",
        "",
        "| column | key | meaning | unit | precision | formula | reference |",
        "|---|---|---|---|---|---|---|",
    ])  # fmt: skip
    for k in keys:
        info = measure_info(k)
        star = "★ " if k in headline else ""
        lines.append(
            f"| {star}`{measure_column(k)}` | `{k}` | {_md(info['description'] or '(not in the catalogue)')} | "
            f"{_md(info['unit'])} | {_md(_precision_words(info['unit']))} | {_md(_self_contained(info['formula']))} | "
            f"{_md(_self_contained(info['reference']))} |"
        )
    lines.append("")
    return "\n".join(lines)
