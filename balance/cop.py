"""Centre of pressure from four corner load cells or from force-plate channels.

Conventions
-----------
ML (mediolateral) is ``x``: positive towards the person's right (the board's R sensors).
AP (anteroposterior) is ``y``: positive forward (the board's T sensors, towards the toes
when the person faces away from the power button). This is the ISPGR convention
(Scoppa et al. 2013, Gait Posture 37:290-292; ``docs/methods.md`` §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.model import WII_BALANCE_BOARD, BoardGeometry

__all__ = [
    "BoardGeometry",
    "WII_BALANCE_BOARD",
    "CopResult",
    "cop_from_corners",
    "cop_from_forceplate",
]


@dataclass(frozen=True)
class CopResult:
    """CoP computed sample by sample.

    Attributes
    ----------
    cop_ml_mm, cop_ap_mm : ndarray, shape (N,)
        CoP in mm; NaN where ``valid`` is False.
    total : ndarray, shape (N,)
        Total vertical load in the input's unit (kg or N).
    valid : ndarray of bool, shape (N,)
        False where the total load was under the threshold (nobody on the board).
    """

    cop_ml_mm: NDArray[np.float64]
    cop_ap_mm: NDArray[np.float64]
    total: NDArray[np.float64]
    valid: NDArray[np.bool_]


def cop_from_corners(
    tl: ArrayLike,
    tr: ArrayLike,
    bl: ArrayLike,
    br: ArrayLike,
    *,
    geometry: BoardGeometry = WII_BALANCE_BOARD,
    min_total: float = 1.0,
) -> CopResult:
    """CoP from the four corner loads of a board.

    ``CoP_ML = (W/2)·((TR+BR) − (TL+BL))/Σ`` and ``CoP_AP = (L/2)·((TL+TR) − (BL+BR))/Σ``
    (``docs/wii-balance-board.md`` §5; Leach et al. 2014).

    Parameters
    ----------
    tl, tr, bl, br : array_like, shape (N,) or scalar
        Loads at the top-left, top-right, bottom-left and bottom-right sensors, in kg
        (or N; the CoP does not depend on the unit).
    geometry : BoardGeometry, optional
        Sensor spacing; the Wii Balance Board by default.
    min_total : float, optional
        Samples whose total load is below this (same unit as the loads; default 1.0,
        i.e. 1 kg) give NaN CoP and ``valid=False``, never inf.

    Returns
    -------
    CopResult
    """
    tl_a, tr_a, bl_a, br_a = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (tl, tr, bl, br))
    )
    total = tl_a + tr_a + bl_a + br_a
    valid = np.isfinite(total) & (total >= min_total)
    safe = np.where(valid, total, 1.0)
    x = np.where(valid, ((tr_a + br_a) - (tl_a + bl_a)) / safe, np.nan)
    y = np.where(valid, ((tl_a + tr_a) - (bl_a + br_a)) / safe, np.nan)
    return CopResult(
        cop_ml_mm=x * (geometry.width_mm / 2.0),
        cop_ap_mm=y * (geometry.length_mm / 2.0),
        total=total,
        valid=valid,
    )


def cop_from_forceplate(
    fx_n: ArrayLike,
    fy_n: ArrayLike,
    fz_n: ArrayLike,
    mx_nm: ArrayLike,
    my_nm: ArrayLike,
    *,
    dz_mm: float = 0.0,
    min_fz_n: float = 10.0,
) -> CopResult:
    """CoP in the plate's own frame from force and moment channels (AMTI/Bertec, C3D type 2).

    ``COPx = (−My − Fx·dz)/Fz`` and ``COPy = (Mx − Fy·dz)/Fz``, with ``dz`` the distance from
    the plate surface down to the plate's origin (positive; AMTI lists the origin's z as
    ``−dz``). Returned ``cop_ml_mm`` is the plate ``x`` and ``cop_ap_mm`` the plate ``y``:
    the caller maps them to the person (HBEDB, for instance, has x = AP).

    Parameters
    ----------
    fx_n, fy_n, fz_n : array_like, shape (N,)
        Forces (N). ``fz_n`` is the vertical force; positive when loaded.
    mx_nm, my_nm : array_like, shape (N,)
        Moments about the plate origin (N·m).
    dz_mm : float, optional
        Origin offset: height of the plate surface above the origin (mm), default 0.
    min_fz_n : float, optional
        Samples with ``|Fz|`` below this give NaN and ``valid=False``.

    Returns
    -------
    CopResult
        CoP in mm; ``total`` is ``Fz`` in N.
    """
    fx, fy, fz, mx, my = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (fx_n, fy_n, fz_n, mx_nm, my_nm))
    )
    valid = np.isfinite(fz) & (np.abs(fz) >= min_fz_n)
    safe = np.where(valid, fz, 1.0)
    dz_m = dz_mm / 1000.0
    x_m = np.where(valid, (-my - fx * dz_m) / safe, np.nan)
    y_m = np.where(valid, (mx - fy * dz_m) / safe, np.nan)
    return CopResult(cop_ml_mm=x_m * 1000.0, cop_ap_mm=y_m * 1000.0, total=fz, valid=valid)
