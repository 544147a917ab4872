"""CoP from corners and from force-plate channels, against hand-derived values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance.cop import WII_BALANCE_BOARD, BoardGeometry, cop_from_corners, cop_from_forceplate
from balance.recording import Recording


def test_equal_loads_give_centre() -> None:
    r = cop_from_corners(10.0, 10.0, 10.0, 10.0)
    assert r.cop_ml_mm == pytest.approx(0.0)
    assert r.cop_ap_mm == pytest.approx(0.0)
    assert r.total == pytest.approx(40.0)
    assert bool(r.valid)


@pytest.mark.parametrize(
    ("corner", "expected_ml", "expected_ap"),
    [
        ("tl", -216.5, 119.0),
        ("tr", 216.5, 119.0),
        ("bl", -216.5, -119.0),
        ("br", 216.5, -119.0),
    ],
)
def test_all_load_on_one_corner_puts_cop_on_that_sensor(corner: str, expected_ml: float, expected_ap: float) -> None:
    loads = dict(tl=0.0, tr=0.0, bl=0.0, br=0.0)
    loads[corner] = 50.0
    r = cop_from_corners(**loads)
    # 433 mm x 238 mm between sensors: a corner sensor sits at (±433/2, ±238/2) mm.
    assert r.cop_ml_mm == pytest.approx(expected_ml)
    assert r.cop_ap_mm == pytest.approx(expected_ap)


def test_weighted_average_of_sensor_positions() -> None:
    # CoP is the load-weighted mean of the sensor positions (moment balance), computed independently here.
    rng = np.random.default_rng(1)
    loads = rng.uniform(0.0, 40.0, size=(200, 4))
    pos = np.array([[-216.5, 119.0], [216.5, 119.0], [-216.5, -119.0], [216.5, -119.0]])
    expected = loads @ pos / loads.sum(axis=1, keepdims=True)
    r = cop_from_corners(*loads.T)
    np.testing.assert_allclose(r.cop_ml_mm, expected[:, 0], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(r.cop_ap_mm, expected[:, 1], rtol=1e-12, atol=1e-9)


def test_empty_board_gives_nan_and_mask_never_inf() -> None:
    r = cop_from_corners([0.0, 0.2, 30.0], [0.0, 0.1, 30.0], [0.0, 0.0, 30.0], [0.0, -0.1, 30.0], min_total=1.0)
    assert r.valid.tolist() == [False, False, True]
    assert np.isnan(r.cop_ml_mm[:2]).all() and np.isnan(r.cop_ap_mm[:2]).all()
    assert np.isfinite(r.cop_ml_mm[2])
    assert not np.isinf(r.cop_ml_mm).any()


def test_custom_geometry_scales_cop() -> None:
    g = BoardGeometry(width_mm=400.0, length_mm=600.0)
    r = cop_from_corners(0.0, 1.0, 0.0, 1.0, geometry=g)  # all load on the right
    assert r.cop_ml_mm == pytest.approx(200.0)
    assert r.cop_ap_mm == pytest.approx(0.0)
    with pytest.raises(ValueError, match="positive"):
        BoardGeometry(width_mm=0.0, length_mm=1.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(min_value=0.5, max_value=200.0), min_size=4, max_size=4),
    st.floats(min_value=0.01, max_value=100.0),
)
def test_cop_independent_of_load_unit(loads: list[float], k: float) -> None:
    a = cop_from_corners(*loads)
    b = cop_from_corners(*(k * np.asarray(loads)), min_total=0.0)
    assert a.cop_ml_mm == pytest.approx(float(b.cop_ml_mm), rel=1e-9, abs=1e-9)
    assert a.cop_ap_mm == pytest.approx(float(b.cop_ap_mm), rel=1e-9, abs=1e-9)
    assert abs(float(a.cop_ml_mm)) <= WII_BALANCE_BOARD.width_mm / 2 + 1e-9


def test_forceplate_point_load() -> None:
    # A vertical load F at (x, y) on a plate whose origin is on its surface: Mx = F*y, My = -F*x.
    f, x_m, y_m = 700.0, 0.031, -0.012
    r = cop_from_forceplate(0.0, 0.0, f, f * y_m, -f * x_m)
    assert r.cop_ml_mm == pytest.approx(31.0)
    assert r.cop_ap_mm == pytest.approx(-12.0)


def test_forceplate_origin_offset_with_shear() -> None:
    # AMTI frame: z points down into the plate, origin a distance h below the surface, so the
    # point of application is r = (x, y, -h). M = r x F gives Mx = y*Fz + h*Fy, My = -h*Fx - x*Fz.
    fx, fy, fz, x, y, h = 15.0, -8.0, 650.0, 0.02, 0.05, 0.040
    mx = y * fz + h * fy
    my = -h * fx - x * fz
    r = cop_from_forceplate(fx, fy, fz, mx, my, dz_mm=40.0)
    assert r.cop_ml_mm == pytest.approx(20.0)
    assert r.cop_ap_mm == pytest.approx(50.0)


def test_forceplate_unloaded_is_nan() -> None:
    r = cop_from_forceplate([0, 0], [0, 0], [2.0, 600.0], [0, 0], [0, 0])
    assert r.valid.tolist() == [False, True]
    assert np.isnan(r.cop_ml_mm[0])


def test_recording_from_corners_and_slice() -> None:
    t = np.arange(10) / 100.0
    c = np.tile([10.0, 20.0, 10.0, 20.0], (10, 1))
    rec = Recording.from_corners(t, c, fs_hz=100.0, meta={"source": "unit"})
    assert len(rec) == 10
    np.testing.assert_allclose(rec.cop_ml_mm, 433.0 / 2 * (40 - 20) / 60)
    np.testing.assert_allclose(rec.total_kg, 60.0)
    part = rec.slice_time(0.02, 0.05)
    assert len(part) == 3 and part.corners_kg.shape == (3, 4)
    assert rec.duration_s == pytest.approx(0.09)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Recording.from_corners(t, c[:, :3])
    with pytest.raises(ValueError, match="cop_ap_mm"):
        Recording(time_s=t, cop_ml_mm=t, cop_ap_mm=t[:5])
