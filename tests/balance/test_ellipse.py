"""The drawable 95 % ellipse (balance.ellipse): geometry, variants and validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from balance.ellipse import ellipse_area, ellipse_scale, sway_ellipse


def test_axis_aligned_cloud_has_known_axes_and_angle() -> None:
    # points at (±a, 0) and (0, ±b), repeated: covariance diag(a²/2, b²/2) exactly (1/n moments)
    a, b, k = 4.0, 1.0, 50
    ml = np.tile([a, -a, 0.0, 0.0], k) + 10.0
    ap = np.tile([0.0, 0.0, b, -b], k) - 5.0
    n = ml.size
    e = sway_ellipse(ml, ap, variant="prieto")
    f = stats.f.ppf(0.95, 2, n - 2)
    assert (e.center_ml_mm, e.center_ap_mm) == pytest.approx((10.0, -5.0))
    assert e.semi_major_mm == pytest.approx(np.sqrt(2 * f * a * a / 2), rel=1e-12)  # k² = 2F, λ = a²/2
    assert e.semi_minor_mm == pytest.approx(np.sqrt(2 * f * b * b / 2), rel=1e-12)
    assert e.angle_deg == pytest.approx(0.0, abs=1e-9)
    assert e.area_mm2 == pytest.approx(ellipse_area(ml, ap, variant="prieto"), rel=1e-12)
    # swapped axes: the major axis is along AP, +90°
    e2 = sway_ellipse(ap, ml, variant="prieto")
    assert e2.angle_deg == pytest.approx(90.0, abs=1e-9)


def test_angle_of_a_diagonal_cloud() -> None:
    rng = np.random.default_rng(0)
    u = rng.normal(size=2000) * 5
    v = rng.normal(size=2000) * 0.5
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    e = sway_ellipse(c * u - s * v, s * u + c * v)
    assert e.angle_deg == pytest.approx(30.0, abs=1.0)
    assert -90 < e.angle_deg <= 90


@pytest.mark.parametrize("variant", ["duarte", "prieto", "chi2"])
def test_variants_are_recorded_and_areas_consistent(variant: str) -> None:
    rng = np.random.default_rng(1)
    ml, ap = rng.normal(size=(2, 200))
    e = sway_ellipse(ml, ap, variant=variant, p=0.9)  # type: ignore[arg-type]
    assert e.variant == variant and e.p == 0.9
    assert e.area_mm2 == pytest.approx(ellipse_area(ml, ap, variant=variant, p=0.9), rel=1e-12)  # type: ignore[arg-type]


def test_chi2_scale_is_the_chi_square_quantile() -> None:
    assert ellipse_scale(100, variant="chi2") == pytest.approx(stats.chi2.ppf(0.95, 2), rel=1e-12)
    assert ellipse_scale(100, variant="chi2", p=0.5) == pytest.approx(stats.chi2.ppf(0.5, 2), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(variant="nope"), "variant"),
        (dict(p=1.0), "p=1.0"),
        (dict(p=0.0), "p=0.0"),
    ],
)
def test_invalid_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sway_ellipse(np.arange(10.0), np.arange(10.0) ** 2, **kwargs)


def test_too_few_points_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        ellipse_scale(2)
    with pytest.raises(ValueError, match="equal length"):
        sway_ellipse(np.zeros(5), np.zeros(4))
