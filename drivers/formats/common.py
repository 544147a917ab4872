"""What the layouts share: errors, read limits, table parsing (pandas' C parser, NumPy's for what it
refuses), CSV header helpers, the sampling rate, metadata, the writers' helpers, and the
:class:`Layout` record each layout module declares."""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from balance.recording import Recording

#: Standard gravity (m/s²), to express vertical forces in N as loads in kg.
STANDARD_GRAVITY_M_S2 = 9.80665


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


def _rows(columns: Sequence[NDArray[np.float64]]) -> str:
    """CSV rows with the shortest text that reads back to the same float64 (Python ``repr``)."""
    m = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    return "".join(",".join(map(repr, row)) + "\n" for row in m.tolist())


def _write(path: str | os.PathLike[str], text: str) -> Path:
    """Write text (UTF-8, ``newline`` untouched); gzip when the name ends in ``.gz``."""
    p = Path(path)
    data = text.encode("utf-8")
    if p.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    p.write_bytes(data)
    return p


@dataclasses.dataclass(frozen=True)
class Layout:
    """One file layout: how to recognise it and how to parse it (see :mod:`drivers.formats.registry`).

    Attributes
    ----------
    name : str
        The key in :data:`drivers.formats.LAYOUTS` and ``Recording.meta["layout"]``.
    description : str
        One line, shown when a file's layout is not recognised.
    parse : callable
        ``parse(text, *, name) -> Recording`` (pure: text in, Recording out).
    detect : callable
        ``detect(first_line, lines) -> bool``: ``first_line`` is the first line of the text without
        leading blank space, ``lines`` the non-empty lines among its first
        :data:`_MAX_METADATA_LINES`.
    detect_rank : int
        Layouts are tried in increasing rank; the first whose ``detect`` says yes wins.
    list_rank : int
        Position in :data:`drivers.formats.LAYOUTS`.
    """

    name: str
    description: str
    parse: Callable[..., Recording]
    detect: Callable[[str, list[str]], bool]
    detect_rank: int
    list_rank: int


def _csv_header_has(lines: list[str], columns: Sequence[str]) -> bool:
    """Whether the first line that is not a ``#`` comment (a simple CSV's header) names all ``columns``."""
    for ln in lines:
        if not ln.startswith("#"):
            return set(columns) <= set(_split_header(ln, _csv_delimiter(ln)))
    return False
