"""Per-board calibration with known masses (Leach et al. 2014 style): pure NumPy least squares.

Known masses are placed at known positions on the board (the centre and the four corner marks); for
each placement the mean corner loads are measured with the board's own (factory) calibration. The
fit then finds

1. per-sensor gains ``g`` (TL, TR, BL, BR) by linear least squares on force and moment balance: for a
   mass ``m`` at ``(x, y)`` mm, ``Σ g_i·C_i = m``, ``Σ g_i·C_i·sx_i = m·x/(W/2)`` and
   ``Σ g_i·C_i·sy_i = m·y/(L/2)`` with ``sx = (-1, +1, -1, +1)``, ``sy = (+1, +1, -1, -1)`` and
   ``W × L`` the sensor spacing (``docs/wii-balance-board.md`` §5; CoP formula of
   ``balance.cop``). Directions the placements cannot see are kept at gain 1 (minimum-norm
   correction);
2. an affine CoP correction per axis, ``x' = a·x + b`` (Leach et al. 2014: a linear calibration took
   the CoP RMSE from 2-6 mm to 0.5-2 mm; ``docs/methods.md`` §3.1), on what the gains
   leave.

The profile is applied to corner loads, so everything downstream (CoP, weight, left/right load) sees
calibrated corners. Profiles are stored by the app (``balance.app.profiles``) keyed by the board's
serial/address.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance.cop import WII_BALANCE_BOARD, BoardGeometry, cop_from_corners
from drivers.errors import CalibrationError

__all__ = [
    "Placement",
    "CalibrationProfile",
    "CalibrationFit",
    "CALIBRATION_POSITIONS_MM",
    "fit_profile",
    "apply_profile",
    "calibration_errors",
]

#: Where the known masses go: name -> (ML, AP) in mm from the board centre (ML + right, AP + forward).
CALIBRATION_POSITIONS_MM: dict[str, tuple[float, float]] = {
    "centre": (0.0, 0.0),
    "front-left": (-150.0, 80.0),
    "front-right": (150.0, 80.0),
    "back-left": (-150.0, -80.0),
    "back-right": (150.0, -80.0),
}

_SX = np.array([-1.0, 1.0, -1.0, 1.0])
_SY = np.array([1.0, 1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Placement:
    """One known mass at a known place, and what the board measured.

    Attributes
    ----------
    mass_kg : float
        The known mass (kg).
    ml_mm, ap_mm : float
        Its position from the board centre (mm).
    corners_kg : tuple of 4 float
        Mean measured corner loads TL, TR, BL, BR (kg).
    """

    mass_kg: float
    ml_mm: float
    ap_mm: float
    corners_kg: tuple[float, float, float, float]


@dataclass(frozen=True)
class CalibrationProfile:
    """A per-board correction applied to corner loads.

    Attributes
    ----------
    serial : str
        Board serial/address it belongs to.
    gains : tuple of 4 float
        Multipliers of TL, TR, BL, BR.
    cop_ml, cop_ap : tuple of 2 float
        ``(scale, offset_mm)`` of the affine CoP correction per axis.
    created_utc : str
        When it was fitted (ISO 8601).
    report : dict
        Residual errors before/after and the placements used (JSON-serialisable).
    """

    serial: str
    gains: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    cop_ml: tuple[float, float] = (1.0, 0.0)
    cop_ap: tuple[float, float] = (1.0, 0.0)
    created_utc: str = ""
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "known-mass-profile",
            "version": 1,
            "serial": self.serial,
            "gains": list(self.gains),
            "cop_ml": list(self.cop_ml),
            "cop_ap": list(self.cop_ap),
            "created_utc": self.created_utc,
            "report": self.report,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CalibrationProfile":
        try:
            gains = tuple(float(v) for v in d["gains"])
            ml = tuple(float(v) for v in d.get("cop_ml", (1.0, 0.0)))
            ap = tuple(float(v) for v in d.get("cop_ap", (1.0, 0.0)))
            if len(gains) != 4 or len(ml) != 2 or len(ap) != 2:
                raise ValueError("wrong lengths")
            if not all(np.isfinite(gains)) or min(gains) <= 0:
                raise ValueError(f"gains {gains} must be positive")
        except (KeyError, TypeError, ValueError) as err:
            raise CalibrationError(f"calibration profile is malformed ({err}); run `balance calibrate` again") from err
        return cls(
            serial=str(d.get("serial", "")),
            gains=gains,  # type: ignore[arg-type]  # four floats by construction
            cop_ml=ml,  # type: ignore[arg-type]  # four floats by construction
            cop_ap=ap,  # type: ignore[arg-type]  # four floats by construction
            created_utc=str(d.get("created_utc", "")),
            report=dict(d.get("report", {})),
        )


@dataclass(frozen=True)
class CalibrationFit:
    """The fitted profile and the residual errors before and after it.

    Attributes
    ----------
    profile : CalibrationProfile
    before, after : dict
        ``total_rmse_kg``, ``total_max_kg``, ``cop_rmse_mm``, ``cop_max_mm`` over the placements.
    """

    profile: CalibrationProfile
    before: dict[str, float]
    after: dict[str, float]


def _as_arrays(placements: Sequence[Placement]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    if len(placements) == 0:
        raise CalibrationError("no placements: measure at least one known mass")
    m = np.array([p.mass_kg for p in placements], dtype=np.float64)
    x = np.array([p.ml_mm for p in placements], dtype=np.float64)
    y = np.array([p.ap_mm for p in placements], dtype=np.float64)
    c = np.array([p.corners_kg for p in placements], dtype=np.float64).reshape(-1, 4)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(m)) and np.all(m > 0)):
        raise CalibrationError("placements must have positive masses and finite corner loads")
    return m, x, y, c


def apply_profile(
    corners_kg: ArrayLike, profile: CalibrationProfile, *, geometry: BoardGeometry = WII_BALANCE_BOARD
) -> NDArray[np.float64]:
    """Apply a profile to corner loads.

    Parameters
    ----------
    corners_kg : array_like, shape (..., 4)
        TL, TR, BL, BR (kg).
    profile : CalibrationProfile
    geometry : BoardGeometry

    Returns
    -------
    ndarray, shape (..., 4)
        Corrected corners (kg): gains applied, then the CoP moved by the affine correction while the
        total load and the corner "twist" ``(TL + BR − TR − BL)`` are kept.
    """
    c = np.asarray(corners_kg, dtype=np.float64) * np.asarray(profile.gains)
    if profile.cop_ml == (1.0, 0.0) and profile.cop_ap == (1.0, 0.0):
        return c
    tl, tr, bl, br = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    total = tl + tr + bl + br
    safe = np.where(np.abs(total) > 1e-9, total, 1.0)
    hw, hl = geometry.width_mm / 2.0, geometry.length_mm / 2.0
    xn = ((tr + br) - (tl + bl)) / safe
    yn = ((tl + tr) - (bl + br)) / safe
    tw = ((tl + br) - (tr + bl)) / safe
    a_x, b_x = profile.cop_ml
    a_y, b_y = profile.cop_ap
    xn2 = (a_x * xn * hw + b_x) / hw
    yn2 = (a_y * yn * hl + b_y) / hl
    q = total / 4.0
    out = np.stack(
        [q * (1 - xn2 + yn2 + tw), q * (1 + xn2 + yn2 - tw), q * (1 - xn2 - yn2 - tw), q * (1 + xn2 - yn2 + tw)],
        axis=-1,
    )
    return np.where((np.abs(total) > 1e-9)[..., None], out, c)


def calibration_errors(
    placements: Sequence[Placement],
    profile: CalibrationProfile | None = None,
    *,
    geometry: BoardGeometry = WII_BALANCE_BOARD,
) -> dict[str, float]:
    """Errors of total load (kg) and CoP (mm) against the known masses and positions.

    Returns
    -------
    dict
        ``total_rmse_kg``, ``total_max_kg``, ``cop_rmse_mm`` (Euclidean), ``cop_max_mm``.
    """
    m, x, y, c = _as_arrays(placements)
    if profile is not None:
        c = apply_profile(c, profile, geometry=geometry)
    r = cop_from_corners(c[:, 0], c[:, 1], c[:, 2], c[:, 3], geometry=geometry, min_total=0.0)
    e_tot = r.total - m
    e_cop = np.hypot(r.cop_ml_mm - x, r.cop_ap_mm - y)
    return {
        "total_rmse_kg": float(np.sqrt(np.mean(e_tot**2))),
        "total_max_kg": float(np.max(np.abs(e_tot))),
        "cop_rmse_mm": float(np.sqrt(np.mean(e_cop**2))),
        "cop_max_mm": float(np.max(e_cop)),
    }


def fit_profile(
    placements: Sequence[Placement],
    *,
    serial: str,
    geometry: BoardGeometry = WII_BALANCE_BOARD,
    fit_cop: bool = True,
) -> CalibrationFit:
    """Fit per-sensor gains and an affine CoP correction from known-mass placements.

    Parameters
    ----------
    placements : sequence of Placement
        At least one; gains for all four sensors need off-centre placements.
    serial : str
        The board's serial/address (the profile is stored under it).
    geometry : BoardGeometry
        Sensor spacing (mm).
    fit_cop : bool
        Also fit the affine CoP correction (needs two or more distinct positions per axis to fit a
        scale; with one, only an offset).

    Returns
    -------
    CalibrationFit

    Raises
    ------
    CalibrationError
        No placements, non-finite data, or a fit that gives non-positive gains (a mass was not where
        the user said).
    """
    m, x, y, c = _as_arrays(placements)
    hw, hl = geometry.width_mm / 2.0, geometry.length_mm / 2.0
    a = np.concatenate([c, c * _SX, c * _SY], axis=0)
    cop_ml, cop_ap = (1.0, 0.0), (1.0, 0.0)
    # Block-coordinate descent: gains for the CoP the affine map will turn into the true one, then the
    # affine map for what the gains leave; a few rounds converge (each step is linear least squares).
    for _ in range(30 if fit_cop else 1):
        x_target = (x - cop_ml[1]) / cop_ml[0]
        y_target = (y - cop_ap[1]) / cop_ap[0]
        b = np.concatenate([m, m * x_target / hw, m * y_target / hl])
        # Solve for the correction from gain 1 with minimum norm: unseen directions stay at 1.
        delta, *_ = np.linalg.lstsq(a, b - a.sum(axis=1), rcond=None)
        gains = 1.0 + delta
        if not np.all(np.isfinite(gains)) or np.any(gains <= 0.5) or np.any(gains >= 2.0):
            raise CalibrationError(
                f"the fitted sensor gains {np.round(gains, 3).tolist()} are implausible (outside 0.5-2): was each "
                "mass really at the position asked for, and the board empty otherwise? Repeat the calibration"
            )
        tmp = CalibrationProfile(serial=serial, gains=tuple(float(g) for g in gains))  # type: ignore[arg-type]  # four floats by construction
        if not fit_cop:
            break
        cc = apply_profile(c, tmp, geometry=geometry)
        r = cop_from_corners(cc[:, 0], cc[:, 1], cc[:, 2], cc[:, 3], geometry=geometry, min_total=0.0)
        cop_ml = _affine(r.cop_ml_mm, x)
        cop_ap = _affine(r.cop_ap_mm, y)
        if abs(cop_ml[0]) < 0.5 or abs(cop_ap[0]) < 0.5:
            raise CalibrationError(f"the CoP correction {cop_ml}, {cop_ap} is implausible; repeat the calibration")
    profile = CalibrationProfile(
        serial=serial,
        gains=tmp.gains,
        cop_ml=cop_ml,
        cop_ap=cop_ap,
        created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    before = calibration_errors(placements, None, geometry=geometry)
    after = calibration_errors(placements, profile, geometry=geometry)
    report = {
        "before": before,
        "after": after,
        "placements": [
            {"mass_kg": p.mass_kg, "ml_mm": p.ml_mm, "ap_mm": p.ap_mm, "corners_kg": list(p.corners_kg)}
            for p in placements
        ],
    }
    profile = CalibrationProfile(
        serial=profile.serial,
        gains=profile.gains,
        cop_ml=profile.cop_ml,
        cop_ap=profile.cop_ap,
        created_utc=profile.created_utc,
        report=report,
    )
    return CalibrationFit(profile=profile, before=before, after=after)


def _affine(measured: NDArray[np.float64], true: NDArray[np.float64]) -> tuple[float, float]:
    """Least-squares ``true ≈ a·measured + b``; only the offset when the positions do not vary."""
    if np.ptp(true) < 1.0:
        return 1.0, float(np.mean(true - measured))
    a_mat = np.column_stack([measured, np.ones_like(measured)])
    (a, b), *_ = np.linalg.lstsq(a_mat, true, rcond=None)
    return float(a), float(b)
