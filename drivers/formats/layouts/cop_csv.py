"""Plain CoP CSV (``time_s, cop_ml_mm, cop_ap_mm[, total_kg]``): reader and writer."""

from __future__ import annotations

import os
from pathlib import Path

from balance.recording import Recording
from drivers.formats.common import (
    FormatError,
    Layout,
    _csv_header,
    _csv_header_has,
    _load_csv,
    _meta,
    _rows,
    _write,
    nominal_rate_hz,
)

_COP_CSV_COLUMNS = ("time_s", "cop_ml_mm", "cop_ap_mm")


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


def write_cop_csv(path: str | os.PathLike[str], recording: Recording, *, include_total: bool = True) -> Path:
    """Write :func:`format_cop_csv` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_cop_csv(recording, include_total=include_total))


def _detect(first: str, lines: list[str]) -> bool:
    return _csv_header_has(lines, _COP_CSV_COLUMNS)


LAYOUT = Layout(
    name="cop_csv",
    description="CoP CSV with columns time_s,cop_ml_mm,cop_ap_mm",
    parse=parse_cop_csv,
    detect=_detect,
    detect_rank=50,
    list_rank=40,
)
