"""Human Balance Evaluation Database ``BDS*.txt`` (Santos & Duarte 2016): reader and writer."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from balance.cop import cop_from_forceplate
from balance.recording import Recording
from drivers.formats.common import (
    STANDARD_GRAVITY_M_S2,
    FormatError,
    Layout,
    _load_table,
    _meta,
    _split_header,
    _write,
    nominal_rate_hz,
)

_HBEDB_COLUMNS = ("Time[s]", "Fx[N]", "Fy[N]", "Fz[N]", "Mx[Nm]", "My[Nm]", "Mz[Nm]", "COPx[cm]", "COPy[cm]")


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


def write_hbedb(
    path: str | os.PathLike[str], recording: Recording, *, fz_n: float | None = None, decimals: int = 6
) -> Path:
    """Write :func:`format_hbedb` to ``path`` (gzip-compressed when it ends in ``.gz``)."""
    return _write(path, format_hbedb(recording, fz_n=fz_n, decimals=decimals))


def _detect(first: str, lines: list[str]) -> bool:
    return tuple(_split_header(first, "\t")) == _HBEDB_COLUMNS


LAYOUT = Layout(
    name="hbedb",
    description=(
        "HBEDB BDS*.txt (tab-separated: Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm])"
    ),
    parse=parse_hbedb,
    detect=_detect,
    detect_rank=20,
    list_rank=10,
)
