"""Readers (and writers) that turn a recording file into a :class:`balance.recording.Recording`.

Layouts accepted, recognised from the file's *content* (its header line), never from its name;
gzip-compressed files are recognised by their magic bytes and read transparently:

``hbedb``
    Human Balance Evaluation Database ``BDS*.txt`` (Santos & Duarte 2016): tab-separated, CRLF,
    header ``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm]``. ``COPx = -My/Fz``
    is anteroposterior and ``COPy = Mx/Fz`` mediolateral, in cm (``docs/data-formats.md``,
    "Formats").
``pds``
    Posture Data Set ``PDS*grf.txt`` (dos Santos et al. 2017): one force plate under each foot;
    tab-separated, forces in N with Y vertical, CoP in **m** with X = AP and Z = ML
    (``docs/data-formats.md``). The net CoP is the recording's CoP; each plate's load and
    CoP are kept in ``meta``.
``quijoux``
    OptiTrack Motive force-plate export used by Quijoux et al. 2021: metadata lines, then the
    header ``MocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, My, Mz, Cx, Cy, Cz``. CoP by the
    authors' conversion ``ML = 100·My/Fz``, ``AP = 100·Mx/Fz`` cm (``docs/data-formats.md``;
    ``docs/methods.md`` §2.1), i.e. ``1000·My/Fz`` and ``1000·Mx/Fz`` mm; all-zero (dropped)
    frames are removed.
``cop_csv``
    Plain CoP CSV: columns ``time_s, cop_ml_mm, cop_ap_mm`` (optionally ``total_kg``), in any
    order, separated by commas, tabs or semicolons, ``#`` comment lines allowed above the header.
``corners_csv``
    Four-corner CSV: columns ``time_s, tl_kg, tr_kg, bl_kg, br_kg`` (same rules); timestamps may
    be irregular. CoP from :func:`balance.cop.cop_from_corners` (Wii Balance Board geometry,
    ``docs/wii-balance-board.md`` §5).
``balance-recording``
    Our own recording file (:mod:`drivers.recording_file`), delegated to that module.

Pure parsing functions (:func:`parse`, :func:`parse_hbedb`, ...) take text; :func:`read_any` is
the thin wrapper that opens a file. Writers exist for the layouts we produce ourselves
(:func:`format_cop_csv`, :func:`format_corners_csv`, :func:`format_hbedb` and their ``write_*``
file wrappers).

Every reader fills ``Recording.meta`` with ``source`` (path or name), ``layout`` and ``units``.

Speed: numeric rows are parsed by pandas' C parser (imported on first use), about 3x faster than
:func:`numpy.loadtxt` on an HBEDB trial (``bench/bench_read.py``); it gives the same float64 values
(correctly rounded: pandas 3's default converter, pandas 2's ``round_trip`` one). Whenever the fast parser fails or leaves an empty field, the rows are parsed
again by :func:`numpy.loadtxt`, so the accepted input and the error messages are those of NumPy's
parser.

Bounded resources: every file is read within the caps of a :class:`ReadLimits` (defaults in
:data:`DEFAULT_LIMITS`): decompressed size, number of rows and duration. Each is checked before the
memory it guards is allocated (the size from the file system or while a gzip stream is inflated,
the rows by counting line ends before parsing, the duration before anything is resampled), and a
file over a cap raises :class:`LimitError` naming the cap and how to raise it. The resampled grid
has its own cap in the numeric core (``max_samples`` of :func:`balance.pipeline.analyze`).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from balance.cop import cop_from_forceplate
from balance.recording import Recording

__all__ = [
    "FormatError",
    "LimitError",
    "ReadLimits",
    "DEFAULT_LIMITS",
    "LAYOUTS",
    "STANDARD_GRAVITY_M_S2",
    "detect_layout",
    "parse",
    "parse_hbedb",
    "parse_pds",
    "parse_quijoux",
    "parse_cop_csv",
    "parse_corners_csv",
    "read_any",
    "read_text",
    "format_cop_csv",
    "format_corners_csv",
    "format_hbedb",
    "write_cop_csv",
    "write_corners_csv",
    "write_hbedb",
    "nominal_rate_hz",
]

#: Standard gravity (m/s²), to express vertical forces in N as loads in kg.
STANDARD_GRAVITY_M_S2 = 9.80665

#: Layout name -> one-line description (shown when a file's layout is not recognised).
LAYOUTS: dict[str, str] = {
    "hbedb": "HBEDB BDS*.txt (tab-separated: Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm])",
    "pds": "PDS *grf.txt (tab-separated: Time RGRF_X ... COPNET_X COPNET_Y COPNET_Z ...)",
    "quijoux": "Motive force-plate CSV (metadata lines, then MocapFrame, MocapTime, DeviceFrame, Fx, ... Mz, ...)",
    "cop_csv": "CoP CSV with columns time_s,cop_ml_mm,cop_ap_mm",
    "corners_csv": "four-corner CSV with columns time_s,tl_kg,tr_kg,bl_kg,br_kg",
    "balance-recording": "balance recording file (first line '# balance-recording <version> {...}')",
}

#: Short list of the layouts for error messages.
_ACCEPTED = (
    "HBEDB BDS*.txt, PDS *grf.txt, Motive/Quijoux force-plate CSV, CoP CSV (time_s,cop_ml_mm,cop_ap_mm), "
    "four-corner CSV (time_s,tl_kg,tr_kg,bl_kg,br_kg), balance recording file; plain or .gz"
)

_HBEDB_COLUMNS = ("Time[s]", "Fx[N]", "Fy[N]", "Fz[N]", "Mx[Nm]", "My[Nm]", "Mz[Nm]", "COPx[cm]", "COPy[cm]")
_PDS_COLUMNS = (
    "Time",
    "RGRF_X", "RGRF_Y", "RGRF_Z",
    "LGRF_X", "LGRF_Y", "LGRF_Z",
    "GRFNET_X", "GRFNET_Y", "GRFNET_Z",
    "RCOP_X", "RCOP_Y", "RCOP_Z",
    "LCOP_X", "LCOP_Y", "LCOP_Z",
    "COPNET_X", "COPNET_Y", "COPNET_Z",
    "RFREEMOMENT_Y", "LFREEMOMENT_Y",
)  # fmt: skip
_QUIJOUX_REQUIRED = ("MocapTime", "Fx", "Fy", "Fz", "Mx", "My", "Mz")
_COP_CSV_COLUMNS = ("time_s", "cop_ml_mm", "cop_ap_mm")
_CORNER_CSV_COLUMNS = ("time_s", "tl_kg", "tr_kg", "bl_kg", "br_kg")
#: How many lines from the top the Motive header line may be (the shipped file has it on line 35).
_MAX_METADATA_LINES = 200


class FormatError(ValueError):
    """A file whose layout is unknown or whose content does not follow its layout.

    The message names the file, what was found and what is accepted, e.g.
    ``"trial.txt: unknown file layout; its first line is 'foo,bar'; accepted layouts: ..."``.
    """


class LimitError(FormatError):
    """A file over one of the caps of :class:`ReadLimits` (too big, too many rows, too long).

    The message names the file, the cap and how to raise it, e.g. ``"big.csv: 3,000,000 data rows
    or more, over the cap of 2,000,000 rows per file; ..."``.
    """


@dataclasses.dataclass(frozen=True)
class ReadLimits:
    """Caps on what one recording file may hold, checked before the memory is allocated.

    The defaults accept any real balance recording (the longest HBEDB trial is 60 s at 100 Hz,
    0.5 MB, 6,000 rows) with a wide margin, and keep a hostile or mistaken file from taking the
    machine's memory: at the caps ``balance analyze`` needs about 1 GB (``bench/bench_memory.py``).

    Attributes
    ----------
    max_bytes : int
        Largest file content in bytes, after gzip decompression; default 256 MiB
        (``balance analyze --max-file-mb``).
    max_rows : int
        Most data rows per file; default 2,000,000 (5.5 h at 100 Hz, 33 min at 1 kHz)
        (``--max-rows``).
    max_duration_s : float
        Longest span between the first and last timestamp (s); default 21,600 s = 6 h
        (``--max-duration-s``).
    """

    max_bytes: int = 256 * 1024 * 1024
    max_rows: int = 2_000_000
    max_duration_s: float = 6 * 3600.0

    def __post_init__(self) -> None:
        for field in ("max_bytes", "max_rows", "max_duration_s"):
            v = getattr(self, field)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and v == v):
                raise ValueError(f"ReadLimits.{field}={v!r} must be a positive number")


#: The caps used when none are given.
DEFAULT_LIMITS = ReadLimits()

_RAISE_HINT = {
    "max_bytes": "--max-file-mb MB",
    "max_rows": "--max-rows N",
    "max_duration_s": "--max-duration-s S",
}


def _over_cap(name: str, what: str, field: str, cap: str) -> LimitError:
    return LimitError(
        f"{name}: {what}, over the cap of {cap} per file (a guard against files that would exhaust the memory); "
        f"if the file is genuine, raise the cap with `balance analyze {_RAISE_HINT[field]}` "
        f"(Python: read_any(path, limits=ReadLimits({field}=...)))"
    )


def _check_rows(text: str, name: str, limits: ReadLimits) -> None:
    """Refuse text with more data rows than ``limits.max_rows`` (counted before any parsing)."""
    allowed = int(limits.max_rows) + _MAX_METADATA_LINES  # header and metadata lines on top
    if len(text) > allowed and text.count("\n") > allowed:
        raise _over_cap(name, f"more than {int(limits.max_rows):,} data rows", "max_rows", f"{int(limits.max_rows):,} rows")


def _check_duration(rec: Recording, name: str, limits: ReadLimits) -> None:
    """Refuse a recording whose timestamps span more than ``limits.max_duration_s``."""
    t = rec.time_s
    if t.size < 2:
        return
    with np.errstate(invalid="ignore"):
        span = float(np.nanmax(t) - np.nanmin(t)) if np.isfinite(t).any() else 0.0
    if span > limits.max_duration_s:
        raise _over_cap(
            name,
            f"its timestamps span {span:.6g} s",
            "max_duration_s",
            f"{limits.max_duration_s:g} s",
        )


# --------------------------------------------------------------------------------------------
# helpers


def _split_header(line: str, sep: str) -> list[str]:
    return [c.strip() for c in line.strip().split(sep)]


def _first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` lines of ``text`` without their line endings (cheap on big texts)."""
    out: list[str] = []
    start = 0
    while len(out) < n:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                out.append(text[start:].rstrip("\r"))
            break
        out.append(text[start:end].rstrip("\r"))
        start = end + 1
    return out


def _line_offset(text: str, line_index: int) -> int:
    """Character offset of the start of line ``line_index`` (0-based)."""
    pos = 0
    for _ in range(line_index):
        pos = text.find("\n", pos)
        if pos < 0:
            return len(text)
        pos += 1
    return pos


def _fast_table(body: str, delimiter: str | None) -> NDArray[np.float64] | None:
    """Numeric rows through pandas' C parser, or None when it cannot stand in for :func:`numpy.loadtxt`.

    None (so the caller parses again with NumPy, for its exact rules and messages) when pandas is
    missing, raises, or leaves any NaN: an empty field or a short row, which NumPy refuses, also
    reads as NaN in pandas; a genuine ``nan`` in the file merely takes the slower path.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return None
    sep = delimiter
    if sep is None:  # any run of whitespace; a single tab (the HBEDB/PDS layouts) parses faster
        first = body[: body.find("\n")] if "\n" in body else body
        sep = "\t" if "\t" in first and " " not in first.strip() else r"\s+"
    # pandas 3 converts correctly rounded by default (and deprecates the option); pandas 2's default
    # converter can be 1 ulp off on 17-digit numbers, its "round_trip" converter is exact.
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            sep=sep,
            header=None,
            dtype=np.float64,
            comment="#",
            engine="c",
            skip_blank_lines=True,
            na_filter=True,
            **exact,
        )
    except Exception:  # noqa: BLE001 - any refusal: NumPy decides and explains
        return None
    arr = frame.to_numpy(dtype=np.float64, copy=False)
    if arr.ndim != 2 or np.isnan(arr).any():
        return None
    return np.ascontiguousarray(arr)


def _load_table(
    body: str, *, n_columns: int, delimiter: str | None, name: str, first_line_no: int
) -> NDArray[np.float64]:
    """Parse numeric rows (pandas' C parser, NumPy's for what it refuses); errors name the file and the problem."""
    if not body or body.isspace():
        return np.empty((0, n_columns))
    arr = _fast_table(body, delimiter)
    if arr is not None and arr.shape[1] == n_columns:
        return arr
    try:
        arr = np.loadtxt(io.StringIO(body), delimiter=delimiter, dtype=np.float64, ndmin=2, comments="#")
    except ValueError as err:
        import re

        m = re.search(r"at row (\d+)", str(err))
        where = f"line {first_line_no + 1 + int(m.group(1))}" if m else f"a data row after line {first_line_no}"
        raise FormatError(
            f"{name}: {where} is not numeric or has a missing field ({err}); fix or remove that row"
        ) from err
    if arr.shape[1] != n_columns:
        raise FormatError(
            f"{name}: data rows have {arr.shape[1]} fields but the header names {n_columns} columns; "
            "check the delimiter and the header line"
        )
    return arr


def nominal_rate_hz(time_s: NDArray[np.float64], *, tolerance: float = 0.01) -> float | None:
    """Nominal sampling rate (Hz) when the timestamps are uniform, else None.

    Parameters
    ----------
    time_s : ndarray, shape (N,)
        Sample times (s).
    tolerance : float, optional
        Largest allowed deviation of any interval from the median interval, relative to it.

    Returns
    -------
    float or None
        ``1 / median(diff(time_s))`` rounded to 6 decimals (text files store times
        with a few decimals, so 0.01 s steps give exactly 100.0), or None when fewer than two
        samples, a non-positive step, or irregular intervals.
    """
    t = np.asarray(time_s, dtype=np.float64)
    if t.size < 2:
        return None
    dt = np.diff(t)
    med = float(np.median(dt))
    if not np.isfinite(med) or med <= 0:
        return None
    if float(np.max(np.abs(dt - med))) > tolerance * med:
        return None
    return float(np.round(1.0 / med, 6))


def _meta(name: str | None, layout: str, units: dict[str, str], **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": name, "layout": layout, "units": units}
    meta.update(extra)
    return meta


# --------------------------------------------------------------------------------------------
# detection


def detect_layout(text: str) -> str:
    """The layout of a file's content, from its header line(s).

    Parameters
    ----------
    text : str
        The file's text, or at least its first few hundred lines.

    Returns
    -------
    str
        A key of :data:`LAYOUTS`.

    Raises
    ------
    FormatError
        Empty text or an unknown layout (the message lists the accepted layouts); the caller
        usually re-raises it with the file name (:func:`parse` does).
    """
    text = text.lstrip("\ufeff")
    head = text.lstrip()
    if not head:
        raise FormatError("the file is empty; record or export a trial with samples")
    first = _first_lines(head, 1)[0]
    from drivers.recording_file import is_recording_text

    if is_recording_text(first):
        return "balance-recording"
    tab_cols = _split_header(first, "\t")
    if tuple(tab_cols) == _HBEDB_COLUMNS:
        return "hbedb"
    if tuple(tab_cols[: len(_PDS_COLUMNS)]) == _PDS_COLUMNS:
        return "pds"
    non_empty = [ln for ln in _first_lines(text, _MAX_METADATA_LINES) if ln.strip()]
    for ln in non_empty:
        if ln.startswith("#"):
            continue
        cols = set(_split_header(ln, _csv_delimiter(ln)))
        if set(_CORNER_CSV_COLUMNS) <= cols:
            return "corners_csv"
        if set(_COP_CSV_COLUMNS) <= cols:
            return "cop_csv"
        break
    for ln in non_empty:
        cols = _split_header(ln, ",")
        if cols and cols[0] == "MocapFrame" and set(_QUIJOUX_REQUIRED) <= set(cols):
            return "quijoux"
    shown = first if len(first) <= 120 else first[:117] + "..."
    hint = _near_miss(first)
    if hint:
        raise FormatError(f"unknown file layout; its first line is {shown!r}: {hint}")
    raise FormatError(
        f"unknown file layout; its first line is {shown!r}; accepted layouts: {_ACCEPTED}; "
        "convert the file to one of them (e.g. a CoP CSV with columns time_s,cop_ml_mm,cop_ap_mm)"
    )


def _near_miss(first: str) -> str | None:
    """Advice for a header that is almost a CoP or corner CSV (wrong separator, a missing column)."""
    lowered = first.lower()
    known = [c for c in (*_COP_CSV_COLUMNS, *_CORNER_CSV_COLUMNS[1:]) if c in lowered]
    if not known:
        return None
    for sep, label in (("  ", "runs of spaces"), (" ", "spaces")):
        cols = [c.strip().lower() for c in first.split(sep)]
        for expected, what in ((_CORNER_CSV_COLUMNS, "four-corner CSV"), (_COP_CSV_COLUMNS, "CoP CSV")):
            if set(expected) <= set(cols):
                return (
                    f"it looks like a {what} separated by {label}; save it with commas, tabs or semicolons "
                    f"as separators (and '.' as the decimal mark): {','.join(expected)}"
                )
    cols = set(_split_header(first, _csv_delimiter(first)))
    for expected, what in ((_CORNER_CSV_COLUMNS, "four-corner CSV"), (_COP_CSV_COLUMNS, "CoP CSV")):
        if cols & set(expected[1:]):
            missing = [c for c in expected if c not in cols]
            return (
                f"it looks like a {what} but lacks the column(s) {', '.join(missing)}; a {what} needs exactly "
                f"these names (units in mm, kg, s): {','.join(expected)}"
            )
    return None


# --------------------------------------------------------------------------------------------
# parsers (pure: text in, Recording out)


def parse_hbedb(text: str, *, name: str = "<text>", cop_from: str = "columns") -> Recording:
    """Parse an HBEDB ``BDS*.txt`` trial.

    Parameters
    ----------
    text : str
        File content: header ``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm]``,
        tab-separated rows.
    name : str, optional
        File name for ``meta["source"]`` and error messages.
    cop_from : {"columns", "forces"}, optional
        ``"columns"`` takes the CoP from ``COPy`` (ML) and ``COPx`` (AP), cm → mm. ``"forces"``
        recomputes it from the force and moment channels with
        :func:`balance.cop.cop_from_forceplate` (``COPx = -My/Fz``, ``COPy = Mx/Fz``; origin
        offset 0, as the published columns are defined, ``docs/data-formats.md``).

    Returns
    -------
    Recording
        ``cop_ml_mm`` = 10·COPy, ``cop_ap_mm`` = 10·COPx (mm); ``total_kg`` = Fz / g;
        ``meta["forces_n"]`` (N, 3) and ``meta["moments_nm"]`` (N, 3) hold the plate channels.
    """
    if cop_from not in ("columns", "forces"):
        raise ValueError(f"cop_from={cop_from!r} must be 'columns' or 'forces'")
    text = text.lstrip("\ufeff")
    start = text.find("\n") + 1 if "\n" in text else len(text)
    header = _split_header(text[:start], "\t")
    if tuple(header) != _HBEDB_COLUMNS:
        raise FormatError(f"{name}: not an HBEDB file; header {header!r}, expected {list(_HBEDB_COLUMNS)}")
    arr = _load_table(text[start:], n_columns=9, delimiter=None, name=name, first_line_no=1)
    t = arr[:, 0].copy()
    if cop_from == "columns":
        ml_mm = arr[:, 8] * 10.0
        ap_mm = arr[:, 7] * 10.0
    else:
        res = cop_from_forceplate(arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5], min_fz_n=10.0)
        # Plate x (= -My/Fz) is AP and plate y (= Mx/Fz) is ML in HBEDB (data README, "Formats").
        ml_mm, ap_mm = res.cop_ap_mm, res.cop_ml_mm
    return Recording(
        time_s=t,
        cop_ml_mm=np.ascontiguousarray(ml_mm),
        cop_ap_mm=np.ascontiguousarray(ap_mm),
        total_kg=arr[:, 3] / STANDARD_GRAVITY_M_S2,
        fs_hz=nominal_rate_hz(t),
        meta=_meta(
            name,
            "hbedb",
            {"time": "s", "force": "N", "moment": "N*m", "cop_in_file": "cm", "cop": "mm", "total": "kg"},
            cop_from=cop_from,
            forces_n=arr[:, 1:4].copy(),
            moments_nm=arr[:, 4:7].copy(),
        ),
    )


def parse_pds(text: str, *, name: str = "<text>") -> Recording:
    """Parse a PDS ``PDS*grf.txt`` trial (two force plates, one under each foot).

    Parameters
    ----------
    text : str
        File content, tab-separated with the header ``Time RGRF_X RGRF_Y RGRF_Z LGRF_X ...
        COPNET_X COPNET_Y COPNET_Z RFREEMOMENT_Y LFREEMOMENT_Y``.
    name : str, optional
        File name for ``meta["source"]`` and error messages.

    Returns
    -------
    Recording
        Net CoP: ``cop_ml_mm`` = 1000·COPNET_Z, ``cop_ap_mm`` = 1000·COPNET_X (X = AP, Z = ML,
        metres in the file; ``docs/data-formats.md``); ``total_kg`` = GRFNET_Y / g.
        ``meta`` holds per-plate arrays, shape (N,): ``left_load_kg``, ``right_load_kg`` (vertical
        force / g), ``left_cop_ml_mm``, ``left_cop_ap_mm``, ``right_cop_ml_mm``,
        ``right_cop_ap_mm``, plus ``grf_n`` with every force column (N, 9) in file order.
    """
    text = text.lstrip("\ufeff")
    start = text.find("\n") + 1 if "\n" in text else len(text)
    header = _split_header(text[:start], "\t")
    if tuple(header[: len(_PDS_COLUMNS)]) != _PDS_COLUMNS:
        raise FormatError(f"{name}: not a PDS file; header starts {header[:4]!r}, expected {list(_PDS_COLUMNS[:4])}")
    arr = _load_table(text[start:], n_columns=len(header), delimiter=None, name=name, first_line_no=1)
    col = {c: i for i, c in enumerate(header)}
    t = arr[:, col["Time"]].copy()
    g = STANDARD_GRAVITY_M_S2

    def mm(c: str) -> NDArray[np.float64]:
        return arr[:, col[c]] * 1000.0

    return Recording(
        time_s=t,
        cop_ml_mm=mm("COPNET_Z"),
        cop_ap_mm=mm("COPNET_X"),
        total_kg=arr[:, col["GRFNET_Y"]] / g,
        fs_hz=nominal_rate_hz(t),
        meta=_meta(
            name,
            "pds",
            {"time": "s", "force": "N", "cop_in_file": "m", "cop": "mm", "load": "kg"},
            left_load_kg=arr[:, col["LGRF_Y"]] / g,
            right_load_kg=arr[:, col["RGRF_Y"]] / g,
            left_cop_ml_mm=mm("LCOP_Z"),
            left_cop_ap_mm=mm("LCOP_X"),
            right_cop_ml_mm=mm("RCOP_Z"),
            right_cop_ap_mm=mm("RCOP_X"),
            grf_n=arr[:, [col[c] for c in _PDS_COLUMNS[1:10]]].copy(),
        ),
    )


def parse_quijoux(text: str, *, name: str = "<text>") -> Recording:
    """Parse an OptiTrack Motive force-plate CSV (the example input of Quijoux et al. 2021).

    Parameters
    ----------
    text : str
        File content: ``key,value`` metadata lines, then the header ``MocapFrame, MocapTime,
        DeviceFrame, Fx, Fy, Fz, Mx, My, Mz, Cx, Cy, Cz`` (names may start with a space),
        comma-separated rows. Forces in N, moments in N·m, time in s.
    name : str, optional
        File name for ``meta["source"]`` and error messages.

    Returns
    -------
    Recording
        CoP by the authors' conversion (``docs/data-formats.md``: ML = 100·My/Fz,
        AP = 100·Mx/Fz cm), here in mm: ``cop_ml_mm = 1000·My/Fz``, ``cop_ap_mm = 1000·Mx/Fz``.
        The sign is theirs, so their features (e.g. ``mean_value_ML``) are reproduced; note
        Motive's own ``Cx`` equals ``-My/Fz``. Rows whose force and moment channels are all zero
        (dropped frames) are removed; ``time_s`` is ``MocapTime``, so the kept rows keep their
        original times and ``meta["frame"]`` their ``MocapFrame`` numbers. ``fs_hz`` is the
        metadata's ``Export Frame Rate`` (or inferred from the times). ``meta["metadata"]`` holds
        the ``key: value`` lines and ``meta["n_dropped_frames"]`` the number of removed rows.
    """
    text = text.lstrip("\ufeff")
    lines = _first_lines(text, _MAX_METADATA_LINES)
    header_idx = -1
    for i, ln in enumerate(lines):
        cols = _split_header(ln, ",")
        if cols and cols[0] == "MocapFrame":
            header_idx = i
            break
    if header_idx < 0:
        raise FormatError(
            f"{name}: no 'MocapFrame, MocapTime, ...' header line in the first {_MAX_METADATA_LINES} lines; "
            "export the force plate from Motive as CSV"
        )
    header = _split_header(lines[header_idx], ",")
    missing = [c for c in _QUIJOUX_REQUIRED if c not in header]
    if missing:
        raise FormatError(f"{name}, line {header_idx + 1}: header lacks columns {missing}; found {header}")
    metadata: dict[str, str] = {}
    for ln in lines[:header_idx]:
        key, sep, value = ln.partition(",")
        if sep and key.strip():
            metadata[key.strip()] = value.strip().rstrip(",").strip()
    body = text[_line_offset(text, header_idx + 1) :]
    arr = _load_table(body, n_columns=len(header), delimiter=",", name=name, first_line_no=header_idx + 1)
    col = {c: i for i, c in enumerate(header)}
    channels = arr[:, [col[c] for c in ("Fx", "Fy", "Fz", "Mx", "My", "Mz")]]
    keep = np.any(channels != 0.0, axis=1)
    arr = arr[keep]
    fz = arr[:, col["Fz"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ml_mm = np.where(fz != 0, 1000.0 * arr[:, col["My"]] / np.where(fz != 0, fz, 1.0), np.nan)
        ap_mm = np.where(fz != 0, 1000.0 * arr[:, col["Mx"]] / np.where(fz != 0, fz, 1.0), np.nan)
    t = arr[:, col["MocapTime"]].copy()
    fs: float | None
    try:
        fs = float(metadata["Export Frame Rate"])
    except (KeyError, ValueError):
        fs = nominal_rate_hz(t)
    extra: dict[str, Any] = {
        "metadata": metadata,
        "n_dropped_frames": int(np.count_nonzero(~keep)),
        "forces_n": arr[:, [col["Fx"], col["Fy"], col["Fz"]]].copy(),
        "moments_nm": arr[:, [col["Mx"], col["My"], col["Mz"]]].copy(),
        "cop_convention": "Quijoux et al. 2021: ML = +My/Fz, AP = +Mx/Fz",
    }
    if "MocapFrame" in col:
        extra["frame"] = arr[:, col["MocapFrame"]].astype(np.int64)
    return Recording(
        time_s=t,
        cop_ml_mm=ml_mm,
        cop_ap_mm=ap_mm,
        total_kg=fz / STANDARD_GRAVITY_M_S2,
        fs_hz=fs,
        meta=_meta(name, "quijoux", {"time": "s", "force": "N", "moment": "N*m", "cop": "mm", "total": "kg"}, **extra),
    )


def _csv_delimiter(header_line: str) -> str:
    """The separator of a simple CSV header: comma, else tab, else semicolon (whichever occurs first)."""
    for sep in (",", "\t", ";"):
        if sep in header_line:
            return sep
    return ","


def _csv_header(text: str, name: str) -> tuple[list[str], int, str]:
    """Column names of a simple CSV (after ``#`` comment lines), the header's line index, the separator."""
    for i, ln in enumerate(_first_lines(text, _MAX_METADATA_LINES)):
        if ln.strip() and not ln.startswith("#"):
            sep = _csv_delimiter(ln)
            return _split_header(ln, sep), i, sep
    raise FormatError(f"{name}: no header line found; the file is empty or only has comments")


def _load_csv(text: str, header: list[str], idx: int, sep: str, name: str) -> NDArray[np.float64]:
    try:
        body = text[_line_offset(text, idx + 1) :]
        return _load_table(body, n_columns=len(header), delimiter=sep, name=name, first_line_no=idx + 1)
    except FormatError as err:
        if sep == ";":
            raise FormatError(f"{err}; if the numbers use ',' as the decimal mark, save them with '.'") from err
        raise


def parse_cop_csv(text: str, *, name: str = "<text>") -> Recording:
    """Parse a CoP CSV with columns ``time_s, cop_ml_mm, cop_ap_mm`` (any order; more allowed).

    Parameters
    ----------
    text : str
        File content; ``#`` comment lines before the header are skipped. An optional
        ``total_kg`` column becomes :attr:`Recording.total_kg`.
    name : str, optional
        File name for ``meta["source"]`` and error messages.

    Returns
    -------
    Recording
        The CoP as given (mm), ``fs_hz`` from the timestamps when they are uniform.
    """
    text = text.lstrip("\ufeff")
    header, idx, sep = _csv_header(text, name)
    missing = [c for c in _COP_CSV_COLUMNS if c not in header]
    if missing:
        raise FormatError(f"{name}: CoP CSV header lacks {missing}; found {header}; expected {list(_COP_CSV_COLUMNS)}")
    arr = _load_csv(text, header, idx, sep, name)
    col = {c: i for i, c in enumerate(header)}
    t = arr[:, col["time_s"]].copy()
    return Recording(
        time_s=t,
        cop_ml_mm=arr[:, col["cop_ml_mm"]].copy(),
        cop_ap_mm=arr[:, col["cop_ap_mm"]].copy(),
        total_kg=arr[:, col["total_kg"]].copy() if "total_kg" in col else None,
        fs_hz=nominal_rate_hz(t),
        meta=_meta(name, "cop_csv", {"time": "s", "cop": "mm", "total": "kg"}),
    )


def parse_corners_csv(text: str, *, name: str = "<text>", min_total_kg: float = 1.0) -> Recording:
    """Parse a four-corner CSV with columns ``time_s, tl_kg, tr_kg, bl_kg, br_kg``.

    Parameters
    ----------
    text : str
        File content; ``#`` comment lines before the header are skipped; timestamps may be
        irregular (Wii Balance Board streams are).
    name : str, optional
        File name for ``meta["source"]`` and error messages.
    min_total_kg : float, optional
        Below this total load (kg) the CoP is NaN (nobody on the board).

    Returns
    -------
    Recording
        CoP from the corners with the Wii Balance Board geometry
        (:func:`balance.recording.Recording.from_corners`, ``docs/wii-balance-board.md`` §5);
        ``fs_hz`` only when the timestamps are uniform.
    """
    text = text.lstrip("\ufeff")
    header, idx, sep = _csv_header(text, name)
    missing = [c for c in _CORNER_CSV_COLUMNS if c not in header]
    if missing:
        raise FormatError(
            f"{name}: corner CSV header lacks {missing}; found {header}; expected {list(_CORNER_CSV_COLUMNS)}"
        )
    arr = _load_csv(text, header, idx, sep, name)
    col = {c: i for i, c in enumerate(header)}
    t = arr[:, col["time_s"]].copy()
    corners = arr[:, [col[c] for c in _CORNER_CSV_COLUMNS[1:]]]
    return Recording.from_corners(
        t,
        corners,
        min_total_kg=min_total_kg,
        fs_hz=nominal_rate_hz(t),
        meta=_meta(name, "corners_csv", {"time": "s", "corners": "kg", "cop": "mm", "total": "kg"}),
    )


def _parse_recording_file(text: str, *, name: str = "<text>") -> Recording:
    from drivers.recording_file import RecordingFileError, parse_recording_text

    try:
        return parse_recording_text(text, name=name).to_recording(source=name)
    except RecordingFileError as err:
        raise FormatError(str(err)) from err


_PARSERS: dict[str, Callable[..., Recording]] = {
    "hbedb": parse_hbedb,
    "pds": parse_pds,
    "quijoux": parse_quijoux,
    "cop_csv": parse_cop_csv,
    "corners_csv": parse_corners_csv,
    "balance-recording": _parse_recording_file,
}


_GZIP_CHUNK = 1 << 20  # decompressed bytes produced at a time


def _gunzip_bounded(fileobj: io.BufferedIOBase, name: str, max_bytes: int) -> bytearray:
    """Inflate a gzip stream, refusing (while inflating) more than ``max_bytes`` of output.

    A gzip bomb stops at the cap: the memory used is the cap plus one block, never the full
    inflated size.
    """
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=fileobj, mode="rb") as gz:
            while True:
                block = gz.read(min(_GZIP_CHUNK, max_bytes + 1 - len(out)))
                if not block:
                    break
                out += block
                if len(out) > max_bytes:
                    raise _over_cap(
                        name,
                        f"it decompresses to more than {max_bytes:,} bytes",
                        "max_bytes",
                        f"{max_bytes / 2**20:g} MiB",
                    )
    except (OSError, EOFError, zlib.error) as err:
        raise FormatError(f"{name}: gzip data is corrupt or truncated ({err}); copy the file again") from err
    return out


def _decode(data: bytes | bytearray | str, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    if isinstance(data, str):
        return data
    if data[:2] == b"\x1f\x8b":
        data = _gunzip_bounded(io.BytesIO(data), name, int(limits.max_bytes))  # type: ignore[arg-type]
    elif len(data) > limits.max_bytes:
        raise _over_cap(
            name, f"it holds {len(data):,} bytes", "max_bytes", f"{limits.max_bytes / 2**20:g} MiB"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("latin-1")
        except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes any byte
            raise FormatError(f"{name}: not a text file ({err})") from err


def parse(data: bytes | str, *, name: str = "<bytes>", limits: ReadLimits | None = None) -> Recording:
    """Detect the layout of ``data`` and parse it (pure; no file access).

    Parameters
    ----------
    data : bytes or str
        File content; gzip-compressed bytes are decompressed (recognised by their magic bytes).
    name : str, optional
        The file name, used in ``meta["source"]`` and in every error message.
    limits : ReadLimits, optional
        Caps on size, rows and duration; default :data:`DEFAULT_LIMITS`.

    Returns
    -------
    Recording

    Raises
    ------
    FormatError
        Empty or unknown layout, or content that does not follow its layout.
    LimitError
        Content over one of the caps (a :class:`FormatError`).
    """
    lim = limits or DEFAULT_LIMITS
    return _parse_text(_decode(data, name, lim), name, lim)


def _parse_text(text: str, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> Recording:
    if "\x00" in text[:4096]:
        raise FormatError(f"{name}: binary content, not a text recording; accepted layouts: {_ACCEPTED}")
    if len(text) > limits.max_bytes:  # str given directly to parse()
        raise _over_cap(name, f"it holds {len(text):,} characters", "max_bytes", f"{limits.max_bytes / 2**20:g} MiB")
    try:
        layout = detect_layout(text)
    except FormatError as err:
        raise FormatError(f"{name}: {err}") from None
    _check_rows(text, name, limits)
    rec = _PARSERS[layout](text, name=name)
    # A text table normally ends with a line break; without one, the last line may have been cut
    # in the middle of a number (a copy or a download that stopped). Readers flag it.
    rec.meta["ends_with_line_break"] = text.endswith(("\n", "\r"))
    _check_duration(rec, name, limits)
    return rec


def _os_error(path: Path, err: OSError) -> OSError:
    if isinstance(err, FileNotFoundError):
        return FileNotFoundError(f"{path}: no such file; check the path")
    if isinstance(err, IsADirectoryError):
        return IsADirectoryError(f"{path}: is a directory; give the recording files inside it")
    if isinstance(err, PermissionError):
        return PermissionError(f"{path}: permission denied; check the file's permissions")
    return err


def _read_bytes(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> bytes | bytearray:
    """The file's bytes, gunzipped when gzip-compressed, never more than ``limits.max_bytes`` of them.

    A regular file over the cap is refused from its size before it is read; a gzip stream while it
    is inflated; anything else (a file that grows, a pipe, a device such as /dev/zero) after
    ``max_bytes + 1`` bytes.
    """
    cap = int(limits.max_bytes)
    try:
        with open(path, "rb") as fh:
            if fh.peek(2)[:2] == b"\x1f\x8b":
                return _gunzip_bounded(fh, str(path), cap)
            size = os.fstat(fh.fileno()).st_size
            if size > cap:
                raise _over_cap(str(path), f"it holds {size:,} bytes", "max_bytes", f"{cap / 2**20:g} MiB")
            data = fh.read(cap + 1)
    except OSError as err:
        raise _os_error(path, err) from None
    if len(data) > cap:
        raise _over_cap(str(path), f"it holds more than {cap:,} bytes", "max_bytes", f"{cap / 2**20:g} MiB")
    return data


def read_text(path: str | os.PathLike[str], *, limits: ReadLimits | None = None) -> str:
    """The text of a file, gunzipped when it is gzip-compressed (by content, not name).

    Parameters
    ----------
    path : str or path-like
        The file.
    limits : ReadLimits, optional
        ``max_bytes`` caps the (decompressed) size; default :data:`DEFAULT_LIMITS`.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        With a message naming the file and the fix.
    FormatError
        Corrupt gzip data.
    LimitError
        Content larger than ``limits.max_bytes`` (refused before it is read in full).
    """
    p = Path(path)
    lim = limits or DEFAULT_LIMITS
    return _decode(_read_bytes(p, lim), str(p), lim)


def read_any(path: str | os.PathLike[str], *, limits: ReadLimits | None = None) -> Recording:
    """Read a recording file of any accepted layout (:data:`LAYOUTS`), plain or gzip-compressed.

    Parameters
    ----------
    path : str or path-like
        The file. Its layout is detected from its content, never from its name.
    limits : ReadLimits, optional
        Caps on decompressed size, rows and duration (:class:`ReadLimits`); default
        :data:`DEFAULT_LIMITS`. For example ``read_any(p, limits=ReadLimits(max_rows=10_000_000))``.

    Returns
    -------
    Recording
        ``meta["source"]`` is the path, ``meta["layout"]`` the detected layout and
        ``meta["units"]`` the units of the file's columns.

    Raises
    ------
    FileNotFoundError
        No such file (the message names it).
    FormatError
        Empty file, unknown layout (the message names the file, quotes its first line and
        lists the accepted layouts) or malformed content.
    LimitError
        A file over one of the caps (a :class:`FormatError`; the message names the cap and the
        option that raises it).
    """
    p = Path(path)
    lim = limits or DEFAULT_LIMITS
    if p.is_file():
        with open(p, "rb") as fh:
            head = fh.read(4)
            size = os.fstat(fh.fileno()).st_size
        from drivers.c3d import is_c3d

        if is_c3d(head):  # binary force-plate file: plates of type 2 and 4 through ezc3d
            from drivers.c3d import read_c3d

            if size > lim.max_bytes:
                raise _over_cap(str(p), f"it holds {size:,} bytes", "max_bytes", f"{lim.max_bytes / 2**20:g} MiB")
            rec = read_c3d(p)
            _check_duration(rec, str(p), lim)
            return rec
    # The raw bytes are released before parsing: keeping them alive while the parser allocates
    # made glibc return and re-map memory for every file (~1000 page faults, +2 ms per file).
    text = read_text(p, limits=lim)
    return _parse_text(text, str(p), lim)


# --------------------------------------------------------------------------------------------
# writers


def _rows(columns: Sequence[NDArray[np.float64]]) -> str:
    """CSV rows with the shortest text that reads back to the same float64 (Python ``repr``)."""
    m = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    return "".join(",".join(map(repr, row)) + "\n" for row in m.tolist())


def format_cop_csv(recording: Recording, *, include_total: bool = True) -> str:
    """The text of a CoP CSV (``time_s,cop_ml_mm,cop_ap_mm[,total_kg]``) for ``recording``.

    Values are written with the shortest decimal text that reads back to the same float64, so
    :func:`parse_cop_csv` returns exactly the arrays written.
    """
    cols = [recording.time_s, recording.cop_ml_mm, recording.cop_ap_mm]
    names = list(_COP_CSV_COLUMNS)
    if include_total and recording.total_kg is not None:
        cols.append(recording.total_kg)
        names.append("total_kg")
    return ",".join(names) + "\n" + _rows(cols)


def format_corners_csv(recording: Recording) -> str:
    """The text of a four-corner CSV (``time_s,tl_kg,tr_kg,bl_kg,br_kg``) for ``recording``.

    Raises
    ------
    ValueError
        The recording has no corner loads (a force-plate or CoP-only recording).
    """
    if recording.corners_kg is None:
        raise ValueError(
            f"recording from {recording.meta.get('source')!r} has no corner loads; write it as a CoP CSV instead"
        )
    c = recording.corners_kg
    return ",".join(_CORNER_CSV_COLUMNS) + "\n" + _rows([recording.time_s, c[:, 0], c[:, 1], c[:, 2], c[:, 3]])


def format_hbedb(recording: Recording, *, fz_n: float | None = None, decimals: int = 6) -> str:
    """The text of an HBEDB-layout trial (tab-separated, CRLF) for a CoP recording.

    Only the vertical force and the two moments that define the CoP are synthesised:
    ``Fx = Fy = Mz = 0``, ``Fz`` = ``total_kg``·g (or ``fz_n``), ``My = -AP·Fz``, ``Mx = ML·Fz``
    (metres), so that ``COPx = -My/Fz`` (AP) and ``COPy = Mx/Fz`` (ML) hold as in the data set.

    Parameters
    ----------
    recording : Recording
        CoP in mm.
    fz_n : float, optional
        Constant vertical force (N) when the recording has no ``total_kg``; default 700 N.
    decimals : int, optional
        Decimals written (HBEDB itself uses 6, i.e. 0.01 µm for the CoP in cm); the CoP columns
        round-trip to within ``0.5·10**-decimals`` cm.
    """
    n = len(recording)
    if recording.total_kg is not None and fz_n is None:
        fz = np.asarray(recording.total_kg, dtype=np.float64) * STANDARD_GRAVITY_M_S2
    else:
        fz = np.full(n, 700.0 if fz_n is None else float(fz_n))
    ml_cm = np.asarray(recording.cop_ml_mm) / 10.0
    ap_cm = np.asarray(recording.cop_ap_mm) / 10.0
    zeros = np.zeros(n)
    mx_nm = ml_cm / 100.0 * fz  # COPy = Mx/Fz (m)
    my_nm = -ap_cm / 100.0 * fz  # COPx = -My/Fz (m)
    m = np.column_stack([recording.time_s, zeros, zeros, fz, mx_nm, my_nm, zeros, ap_cm, ml_cm])
    buf = io.StringIO()
    np.savetxt(buf, m, fmt=f"%.{int(decimals)}f", delimiter="\t", newline="\r\n")
    return "\t".join(_HBEDB_COLUMNS) + "\r\n" + buf.getvalue()


def _write(path: str | os.PathLike[str], text: str) -> Path:
    """Write text (UTF-8, ``newline`` untouched); gzip when the name ends in ``.gz``."""
    p = Path(path)
    data = text.encode("utf-8")
    if p.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    p.write_bytes(data)
    return p


def write_cop_csv(path: str | os.PathLike[str], recording: Recording, *, include_total: bool = True) -> Path:
    """Write :func:`format_cop_csv` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_cop_csv(recording, include_total=include_total))


def write_corners_csv(path: str | os.PathLike[str], recording: Recording) -> Path:
    """Write :func:`format_corners_csv` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_corners_csv(recording))


def write_hbedb(
    path: str | os.PathLike[str], recording: Recording, *, fz_n: float | None = None, decimals: int = 6
) -> Path:
    """Write :func:`format_hbedb` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_hbedb(recording, fz_n=fz_n, decimals=decimals))
