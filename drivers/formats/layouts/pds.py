"""Posture Data Set ``PDS*grf.txt`` (dos Santos et al. 2017): one force plate under each foot."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from balance.recording import Recording
from drivers.formats.common import (
    STANDARD_GRAVITY_M_S2,
    FormatError,
    Layout,
    _load_table,
    _meta,
    _split_header,
    nominal_rate_hz,
)

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


def _detect(first: str, lines: list[str]) -> bool:
    return tuple(_split_header(first, "\t")[: len(_PDS_COLUMNS)]) == _PDS_COLUMNS


LAYOUT = Layout(
    name="pds",
    description="PDS *grf.txt (tab-separated: Time RGRF_X ... COPNET_X COPNET_Y COPNET_Z ...)",
    parse=parse_pds,
    detect=_detect,
    detect_rank=30,
    list_rank=20,
)
