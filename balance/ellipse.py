"""95 % ellipses of the CoP scatter: confidence (Prieto) and prediction (Duarte, chi-square) variants.

The reference codes disagree on what "the 95 % ellipse" is (``docs/methods.md`` §0 item 2
and §1.2 "Confidence vs prediction ellipse"). Every variant here is named:

``"prieto"``
    95 % *confidence* ellipse of Prieto et al. 1996: area ``2·π·F₀.₉₅(2, n−2)·√det(S₁)`` with ``S₁`` the
    covariance of [ML, AP] with the 1/n normalisation.
``"duarte"``
    95 % *prediction* ellipse of Duarte (2015; ``hyperellipsoid.py``), the HBEDB ``COParea``:
    ``π·√(λ₁λ₂)·F₀.₉₅(2, n−2)·2(n−1)(n+1)/(n(n−2))`` with λ the eigenvalues of the (n−1) covariance
    (``docs/data-formats.md``, "Formats").
``"chi2"``
    95 % prediction ellipse with the large-sample chi-square quantile (Schubert & Kirchner 2014;
    Vredeveld's ``pea()``): ``π·χ²₀.₉₅(2)·√(λ₁λ₂)``, λ of the (n−1) covariance. It underestimates for
    small n (docs/methods.md §1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["EllipseVariant", "Ellipse", "ellipse_scale", "ellipse_area", "sway_ellipse"]

EllipseVariant = Literal["prieto", "duarte", "chi2"]
_VARIANTS: tuple[str, ...] = ("prieto", "duarte", "chi2")


@dataclass(frozen=True)
class Ellipse:
    """An ellipse of the CoP scatter, ready to draw.

    Attributes
    ----------
    center_ml_mm, center_ap_mm : float
        Centre (mm): the mean CoP.
    semi_major_mm, semi_minor_mm : float
        Semi-axes (mm).
    angle_deg : float
        Angle of the major axis from the +ML axis towards +AP, in degrees, in (−90, 90].
    area_mm2 : float
        ``π·a·b`` (mm²).
    variant : str
        ``"prieto"``, ``"duarte"`` or ``"chi2"`` (module docstring).
    p : float
        Coverage probability (0.95 by default).
    """

    center_ml_mm: float
    center_ap_mm: float
    semi_major_mm: float
    semi_minor_mm: float
    angle_deg: float
    area_mm2: float
    variant: str
    p: float


def ellipse_scale(n: int, *, variant: EllipseVariant = "duarte", p: float = 0.95) -> float:
    """Factor ``k²`` such that the ellipse is ``(x−x̄)ᵀ C⁻¹ (x−x̄) ≤ k²``.

    ``C`` is the 1/n covariance for ``"prieto"`` and the (n−1) covariance otherwise. The area is
    ``π·k²·√det(C)``.

    Parameters
    ----------
    n : int
        Number of samples (at least 3).
    variant : {"duarte", "prieto", "chi2"}
        See the module docstring.
    p : float, optional
        Coverage probability, 0 < p < 1.
    """
    from scipy.special import fdtri

    if variant not in _VARIANTS:
        raise ValueError(f"variant={variant!r} is not one of {_VARIANTS}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p={p!r} must be between 0 and 1 (0.95 for the usual 95 % ellipse)")
    if n < 3:
        raise ValueError(f"n={n} samples is too few for an ellipse: at least 3 are needed")
    if variant == "chi2":
        # chi-square quantile with 2 degrees of freedom in closed form: -2·ln(1-p) (5.991 for p = 0.95).
        return float(-2.0 * np.log1p(-p))
    f = float(fdtri(2.0, n - 2.0, p))
    if variant == "prieto":
        return 2.0 * f
    return 2.0 * f * (n - 1.0) * (n + 1.0) / (n * (n - 2.0))


def _moments(ml: NDArray[np.float64], ap: NDArray[np.float64], ddof: int) -> tuple[float, float, float]:
    n = ml.shape[0]
    dml = ml - ml.mean()
    dap = ap - ap.mean()
    d = float(n - ddof)
    return float(dml @ dml) / d, float(dap @ dap) / d, float(dml @ dap) / d


def ellipse_area(
    cop_ml_mm: ArrayLike, cop_ap_mm: ArrayLike, *, variant: EllipseVariant = "duarte", p: float = 0.95
) -> float:
    """Area (mm²) of a 95 % ellipse of the CoP scatter.

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP (mm); the mean is removed here.
    variant : {"duarte", "prieto", "chi2"}
        Which ellipse (module docstring). ``"duarte"`` reproduces HBEDB ``COParea``.
    p : float, optional
        Coverage probability (default 0.95).

    Returns
    -------
    float
        Area in mm² (the square of the input's unit).
    """
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    ap = np.asarray(cop_ap_mm, dtype=np.float64)
    ddof = 0 if variant == "prieto" else 1
    k2 = ellipse_scale(ml.shape[0], variant=variant, p=p)
    sxx, syy, sxy = _moments(ml, ap, ddof)
    det = max(sxx * syy - sxy * sxy, 0.0)
    return float(np.pi * k2 * np.sqrt(det))


def sway_ellipse(
    cop_ml_mm: ArrayLike, cop_ap_mm: ArrayLike, *, variant: EllipseVariant = "duarte", p: float = 0.95
) -> Ellipse:
    """The 95 % ellipse of the CoP scatter as a drawable shape (centre, semi-axes, angle).

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP (mm), not centred: the ellipse is centred on the mean CoP.
    variant : {"duarte", "prieto", "chi2"}
        Which ellipse (module docstring); the default is Duarte's prediction ellipse, the one
        Schubert & Kirchner recommend for describing the CoP scatter.
    p : float, optional
        Coverage probability (default 0.95).

    Returns
    -------
    Ellipse
    """
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    ap = np.asarray(cop_ap_mm, dtype=np.float64)
    if ml.ndim != 1 or ml.shape != ap.shape:
        raise ValueError(f"cop_ml_mm and cop_ap_mm must be 1-D of equal length, got {ml.shape} and {ap.shape}")
    ddof = 0 if variant == "prieto" else 1
    k2 = ellipse_scale(ml.shape[0], variant=variant, p=p)
    sxx, syy, sxy = _moments(ml, ap, ddof)
    evals, evecs = np.linalg.eigh(np.array([[sxx, sxy], [sxy, syy]]))
    evals = np.clip(evals, 0.0, None)
    a = float(np.sqrt(k2 * evals[1]))
    b = float(np.sqrt(k2 * evals[0]))
    vx, vy = evecs[:, 1]
    angle = float(np.degrees(np.arctan2(vy, vx)))
    if angle <= -90.0:
        angle += 180.0
    elif angle > 90.0:
        angle -= 180.0
    return Ellipse(
        center_ml_mm=float(ml.mean()),
        center_ap_mm=float(ap.mean()),
        semi_major_mm=a,
        semi_minor_mm=b,
        angle_deg=angle,
        area_mm2=float(np.pi * a * b),
        variant=variant,
        p=p,
    )
