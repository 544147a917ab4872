"""Four-corner CSV (``time_s, tl_kg, tr_kg, bl_kg, br_kg``): reader and writer."""

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

_CORNER_CSV_COLUMNS = ("time_s", "tl_kg", "tr_kg", "bl_kg", "br_kg")


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


def write_corners_csv(path: str | os.PathLike[str], recording: Recording) -> Path:
    """Write :func:`format_corners_csv` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_corners_csv(recording))


def _detect(first: str, lines: list[str]) -> bool:
    return _csv_header_has(lines, _CORNER_CSV_COLUMNS)


LAYOUT = Layout(
    name="corners_csv",
    description="four-corner CSV with columns time_s,tl_kg,tr_kg,bl_kg,br_kg",
    parse=parse_corners_csv,
    detect=_detect,
    detect_rank=40,  # before the CoP CSV: a corner file may carry CoP columns too
    list_rank=50,
)
