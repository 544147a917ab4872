"""OptiTrack Motive force-plate CSV, the example input of Quijoux et al. 2021."""

from __future__ import annotations

from typing import Any

import numpy as np

from balance.recording import Recording
from drivers.formats.common import (
    _MAX_METADATA_LINES,
    STANDARD_GRAVITY_M_S2,
    FormatError,
    Layout,
    _first_lines,
    _line_offset,
    _load_table,
    _meta,
    _split_header,
    nominal_rate_hz,
)

_QUIJOUX_REQUIRED = ("MocapTime", "Fx", "Fy", "Fz", "Mx", "My", "Mz")


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


def _detect(first: str, lines: list[str]) -> bool:
    for ln in lines:
        cols = _split_header(ln, ",")
        if cols and cols[0] == "MocapFrame" and set(_QUIJOUX_REQUIRED) <= set(cols):
            return True
    return False


LAYOUT = Layout(
    name="quijoux",
    description="Motive force-plate CSV (metadata lines, then MocapFrame, MocapTime, DeviceFrame, Fx, ... Mz, ...)",
    parse=parse_quijoux,
    detect=_detect,
    detect_rank=60,
    list_rank=30,
)
