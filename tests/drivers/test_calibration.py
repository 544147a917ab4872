"""Known-mass calibration fit (drivers.calibration) on analytic placements and through the simulated board."""

from __future__ import annotations

import numpy as np
import pytest

from balance.cop import WII_BALANCE_BOARD, cop_from_corners
from drivers.calibration import (
    CALIBRATION_POSITIONS_MM,
    CalibrationProfile,
    Placement,
    apply_profile,
    calibration_errors,
    fit_profile,
)
from drivers.errors import CalibrationError
from drivers.sim import SimulatedBoard

W, L = WII_BALANCE_BOARD.width_mm, WII_BALANCE_BOARD.length_mm


def true_corners(mass: float, x: float, y: float) -> np.ndarray:
    """Loads on four supports of a rigid plate for a point mass (bilinear split satisfies force and moment balance)."""
    u, v = 0.5 + x / W, 0.5 + y / L
    return mass * np.array([(1 - u) * v, u * v, (1 - u) * (1 - v), u * (1 - v)])


def placements(gains: np.ndarray, masses: tuple[float, ...] = (10.0, 20.0)) -> list[Placement]:
    return [
        Placement(m, x, y, tuple(true_corners(m, x, y) * gains))  # type: ignore[arg-type]
        for m in masses
        for x, y in CALIBRATION_POSITIONS_MM.values()
    ]


def test_true_corners_helper_is_consistent_with_cop() -> None:
    c = true_corners(10.0, 150.0, -80.0)
    r = cop_from_corners(*c)
    assert (float(r.total), float(r.cop_ml_mm), float(r.cop_ap_mm)) == pytest.approx((10.0, 150.0, -80.0))


def test_fit_recovers_inverse_sensor_gains() -> None:
    g_true = np.array([1.04, 0.97, 1.02, 0.95])
    fit = fit_profile(placements(g_true), serial="00:11")
    np.testing.assert_allclose(fit.profile.gains, 1 / g_true, rtol=1e-10)
    assert fit.profile.cop_ml == pytest.approx((1.0, 0.0), abs=1e-9)
    assert fit.before["total_rmse_kg"] > 0.1 and fit.before["cop_rmse_mm"] > 1.0
    assert fit.after["total_rmse_kg"] < 1e-9 and fit.after["cop_rmse_mm"] < 1e-7
    assert fit.profile.report["after"] == fit.after and len(fit.profile.report["placements"]) == 10


def test_fit_cop_affine_correction() -> None:
    # A board whose CoP reads 5 % short in ML with a 3 mm AP offset (Leach et al.: linear CoP calibration).
    distort = CalibrationProfile(serial="x", cop_ml=(0.95, 0.0), cop_ap=(1.0, 3.0))
    pl = [Placement(p.mass_kg, p.ml_mm, p.ap_mm, tuple(apply_profile(p.corners_kg, distort))) for p in placements(np.ones(4))]  # type: ignore[misc]
    fit = fit_profile(pl, serial="x")
    assert fit.after["cop_rmse_mm"] < 0.05 < 1.0 < fit.before["cop_rmse_mm"]


def test_centre_only_keeps_unseen_directions_at_one() -> None:
    pl = [Placement(m, 0.0, 0.0, tuple(true_corners(m, 0, 0) * 1.02)) for m in (10.0, 20.0)]  # type: ignore[misc]
    fit = fit_profile(pl, serial="x")
    np.testing.assert_allclose(fit.profile.gains, 1 / 1.02, rtol=1e-3)
    assert fit.after["total_rmse_kg"] < 1e-6


def test_apply_profile_keeps_total_and_twist() -> None:
    rng = np.random.default_rng(0)
    c = rng.uniform(5, 30, (100, 4))
    prof = CalibrationProfile(serial="x", cop_ml=(1.1, 2.0), cop_ap=(0.9, -1.0))
    out = apply_profile(c, prof)
    np.testing.assert_allclose(out.sum(axis=1), c.sum(axis=1))
    twist = lambda a: (a[:, 0] + a[:, 3] - a[:, 1] - a[:, 2]) / a.sum(axis=1)  # noqa: E731
    np.testing.assert_allclose(twist(out), twist(c))
    r0, r1 = cop_from_corners(*c.T), cop_from_corners(*out.T)
    np.testing.assert_allclose(r1.cop_ml_mm, 1.1 * r0.cop_ml_mm + 2.0)
    np.testing.assert_allclose(r1.cop_ap_mm, 0.9 * r0.cop_ap_mm - 1.0)


def test_errors() -> None:
    with pytest.raises(CalibrationError, match="no placements"):
        fit_profile([], serial="x")
    # the user put the mass on the wrong corner: implausible gains, refused
    bad = placements(np.ones(4))
    bad = [Placement(p.mass_kg, -p.ml_mm, -p.ap_mm, p.corners_kg) for p in bad]
    with pytest.raises(CalibrationError, match="implausible"):
        fit_profile(bad, serial="x")
    with pytest.raises(CalibrationError, match="malformed"):
        CalibrationProfile.from_dict({"gains": [1, 2]})


def test_profile_dict_round_trip() -> None:
    fit = fit_profile(placements(np.array([1.01, 1.0, 0.99, 1.0])), serial="00:19:1d")
    back = CalibrationProfile.from_dict(fit.profile.to_dict())
    assert back == fit.profile
    assert calibration_errors(placements(np.array([1.01, 1.0, 0.99, 1.0])), back)["total_rmse_kg"] < 1e-9


def test_through_the_simulated_board() -> None:
    gains = (1.03, 0.98, 1.01, 0.97)
    pl = []
    with SimulatedBoard(seed=2, stance="off", sensor_gains=gains) as b:
        for m in (10.0, 20.0):
            for x, y in CALIBRATION_POSITIONS_MM.values():
                b.clear_masses()
                b.place_mass(m, ml_mm=x, ap_mm=y)
                b.read_arrays(0.5)
                pl.append(Placement(m, x, y, tuple(b.read_arrays(2.0).corners_kg.mean(axis=0))))  # type: ignore[arg-type]
    fit = fit_profile(pl, serial=b.info.serial or "")
    np.testing.assert_allclose(fit.profile.gains, 1 / np.array(gains), rtol=2e-3)
    assert fit.after["cop_rmse_mm"] < 0.5 < 2.0 < fit.before["cop_rmse_mm"]
