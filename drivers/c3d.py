"""C3D force-plate files (plates of type 2 and 4) as a :class:`~balance.recording.Recording`, through ``ezc3d``.

``ezc3d`` (the ``c3d`` extra) is imported only when a C3D file is read. It applies each plate's
calibration (type 4 carries a 6x6 calibration matrix, type 2 does not) and the origin offset, and
gives forces (N) and the centre of pressure in the lab frame (POINT units). This module turns that
into the CoP relative to the centre of the plates' corners, in mm, combines several plates into
the net CoP (weighted by each plate's vertical force, as for the PDS two-plate files), and the
total load in kg (``Fz / g``).

Which lab axis is mediolateral depends on how the plate was set up; ``ml_axis``/``ap_axis`` choose
(``"x"``, ``"-x"``, ``"y"``, ``"-y"``) and are recorded in ``meta``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from balance.recording import Recording

__all__ = ["is_c3d", "read_c3d", "SUPPORTED_PLATE_TYPES"]

#: Force-plate types read: 2 (6 channels Fx..Mz) and 4 (the same with a calibration matrix).
SUPPORTED_PLATE_TYPES: tuple[int, ...] = (2, 4)
_STANDARD_GRAVITY_M_S2 = 9.80665
_LENGTH_TO_MM = {"mm": 1.0, "m": 1000.0, "cm": 10.0}


def is_c3d(head: bytes) -> bool:
    """True when the first bytes look like a C3D file: byte 1 is the block number of the parameter section
    (2 in practice; a control character, so never text) and byte 2 the C3D key 0x50."""
    return len(head) >= 4 and head[1] == 0x50 and 1 <= head[0] <= 8


def _axis(name: str) -> tuple[int, float]:
    table = {"x": (0, 1.0), "-x": (0, -1.0), "y": (1, 1.0), "-y": (1, -1.0)}
    if name not in table:
        raise ValueError(f"axis {name!r} must be one of {sorted(table)}")
    return table[name]


def read_c3d(
    path: str | os.PathLike[str],
    *,
    ml_axis: str = "x",
    ap_axis: str = "y",
    min_fz_n: float = 10.0,
) -> Recording:
    """Read the force plates of a C3D file.

    Parameters
    ----------
    path : str or path-like
        The ``.c3d`` file.
    ml_axis, ap_axis : {"x", "-x", "y", "-y"}
        Which lab axis is mediolateral (+ right) and anteroposterior (+ forward).
    min_fz_n : float
        A plate carrying less than this vertical force (N) is left out of the net CoP; where no plate
        carries it, the CoP is NaN.

    Returns
    -------
    Recording
        Time at the analog rate (s), CoP relative to the centre of the plates' corners (mm), total
        vertical load (kg); ``meta`` names the layout (``"c3d"``), plate types, axes and units.

    Raises
    ------
    drivers.formats.FormatError
        ``ezc3d`` missing, no force plate, or a plate type other than 2 and 4.
    """
    from drivers.formats import FormatError

    p = Path(path)
    try:
        import ezc3d  # type: ignore[import-not-found]  # optional extra, untyped
    except ImportError as err:
        raise FormatError(f"{p}: reading C3D files needs ezc3d: pip install 'balance-sway[c3d]'") from err
    i_ml, s_ml = _axis(ml_axis)
    i_ap, s_ap = _axis(ap_axis)
    if i_ml == i_ap:
        raise ValueError(f"ml_axis={ml_axis!r} and ap_axis={ap_axis!r} must be different lab axes")
    try:
        c = ezc3d.c3d(str(p))  # parameters first: check the plates before asking ezc3d to extract them
    except Exception as err:  # noqa: BLE001 - ezc3d raises plain RuntimeError/ValueError on bad files
        raise FormatError(f"{p}: not a readable C3D file ({err})") from err
    fp = c["parameters"].get("FORCE_PLATFORM", {})
    used = int(np.asarray(fp.get("USED", {}).get("value", [0])).ravel()[0]) if "USED" in fp else 0
    types = [int(t) for t in np.asarray(fp.get("TYPE", {}).get("value", [])).ravel()][:used]
    if used < 1:
        raise FormatError(f"{p}: the C3D file has no force plate (FORCE_PLATFORM:USED = {used})")
    bad = [t for t in types if t not in SUPPORTED_PLATE_TYPES]
    if bad:
        raise FormatError(
            f"{p}: force plate type(s) {bad} are not supported; plates of type {SUPPORTED_PLATE_TYPES} are read"
        )
    try:
        c = ezc3d.c3d(str(p), extract_forceplat_data=True)
    except Exception as err:  # noqa: BLE001
        raise FormatError(f"{p}: the force plates of this C3D file cannot be read ({err})") from err
    plates = c["data"]["platform"][:used]
    rate = float(c["header"]["analogs"]["frame_rate"])
    fz_list, cop_list, centres = [], [], []
    for pl in plates:
        unit = str(pl.get("unit_position", "mm")).strip().lower()
        k = _LENGTH_TO_MM.get(unit)
        if k is None:
            raise FormatError(f"{p}: force plate position unit {unit!r} is not one of {sorted(_LENGTH_TO_MM)}")
        force = np.asarray(pl["force"], dtype=np.float64)
        cop = np.asarray(pl["center_of_pressure"], dtype=np.float64) * k
        corners = np.asarray(pl["corners"], dtype=np.float64) * k
        fz_list.append(np.abs(force[2]))
        cop_list.append(cop[:2])
        centres.append(corners[:2].mean(axis=1))
    fz = np.vstack(fz_list)  # (P, N)
    cop_xy = np.stack(cop_list)  # (P, 2, N)
    centre = np.mean(centres, axis=0)
    w = np.where((fz >= min_fz_n) & np.all(np.isfinite(cop_xy), axis=1), fz, 0.0)
    wsum = w.sum(axis=0)
    valid = wsum > 0
    net = np.einsum("pn,pkn->kn", w, np.nan_to_num(cop_xy)) / np.where(valid, wsum, 1.0)
    net = np.where(valid, net, np.nan) - centre[:, None]
    n = fz.shape[1]
    meta: dict[str, Any] = {
        "source": str(p),
        "layout": "c3d",
        "units": {"time": "s", "force": "N", "cop": "mm", "total": "kg"},
        "plate_types": types,
        "n_plates": used,
        "plate_centre_mm": centre.tolist(),
        "ml_axis": ml_axis,
        "ap_axis": ap_axis,
        "plate_fz_n": fz,
    }
    return Recording(
        time_s=np.arange(n) / rate,
        cop_ml_mm=s_ml * net[i_ml],
        cop_ap_mm=s_ap * net[i_ap],
        total_kg=fz.sum(axis=0) / _STANDARD_GRAVITY_M_S2,
        fs_hz=rate,
        meta=meta,
    )
