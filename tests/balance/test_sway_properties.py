"""Hypothesis properties of the sway measures: translation, rotation, scaling, axis swap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance import sway

SETTINGS = settings(max_examples=25, deadline=None)

#: Scaling power of each unit: lengths ×k, areas ×k², frequencies and times unchanged.
POWER = {"mm": 1, "mm/s": 1, "mm²": 2, "mm²/s": 2, "Hz": 0, "s": 0, "1": 0}

PLANAR = [k for k, v in sway.MEASURES.items() if v.axis == "planar" and v.group != "spectral"]


@st.composite
def walks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(300, 1200))
    fs = draw(st.sampled_from([25.0, 50.0, 100.0]))
    s_ml = draw(st.floats(0.05, 0.5))
    s_ap = draw(st.floats(0.05, 0.5))
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(2, n)) * [[s_ml], [s_ap]]
    # a random walk pulled weakly to the centre (quiet-stance-like), plus sensor noise
    ml, ap = np.cumsum(steps, axis=1)
    ml = ml - 0.5 * np.convolve(ml, np.ones(50) / 50, mode="same") + rng.normal(scale=0.02, size=n)
    ap = ap - 0.5 * np.convolve(ap, np.ones(50) / 50, mode="same") + rng.normal(scale=0.02, size=n)
    return ml, ap, fs


def _close(a: dict[str, float], b: dict[str, float], keys: list[str], rel: float = 1e-7) -> None:
    for k in keys:
        x, y = a[k], b[k]
        if math.isnan(x) or math.isnan(y):
            assert math.isnan(x) and math.isnan(y), k
        else:
            assert y == pytest.approx(x, rel=rel, abs=1e-9), k


@SETTINGS
@given(walks(), st.floats(-300, 300), st.floats(-300, 300))
def test_translation_invariance(w: tuple[np.ndarray, np.ndarray, float], dx: float, dy: float) -> None:
    ml, ap, fs = w
    a = sway.measures(ml, ap, fs_hz=fs)
    b = sway.measures(ml + dx, ap + dy, fs_hz=fs)
    # the density peaks sit on a threshold (distance <= R): allow for last-bit differences after centring
    _close(a, b, [k for k in a if not k.startswith("sway_density")], rel=1e-6)


@SETTINGS
@given(walks(), st.floats(0, 2 * math.pi))
def test_rotation_invariance_of_resultant_measures(w: tuple[np.ndarray, np.ndarray, float], angle: float) -> None:
    ml, ap, fs = w
    c, s = math.cos(angle), math.sin(angle)
    a = sway.measures(ml, ap, fs_hz=fs)
    b = sway.measures(c * ml - s * ap, s * ml + c * ap, fs_hz=fs)
    # diffusion: the planar MSD is invariant, and so its fits; density: distances are invariant, but a
    # rotated point can cross the exact radius by rounding, so it is checked with quarter turns below.
    _close(a, b, [k for k in PLANAR if not k.startswith("sway_density")], rel=1e-6)
    # the sum of the two axes' Welch spectra is invariant under rotation
    assert b["total_power_ml_mm2"] + b["total_power_ap_mm2"] == pytest.approx(
        a["total_power_ml_mm2"] + a["total_power_ap_mm2"], rel=1e-9
    )


@SETTINGS
@given(walks(), st.integers(1, 3))
def test_quarter_turns_keep_every_resultant_measure(w: tuple[np.ndarray, np.ndarray, float], quarter: int) -> None:
    ml, ap = w[0], w[1]
    fs = w[2]
    p = np.vstack([ml, ap])
    for _ in range(quarter):
        p = np.vstack([-p[1], p[0]])  # exact in floating point
    a = sway.measures(ml, ap, fs_hz=fs)
    b = sway.measures(p[0], p[1], fs_hz=fs)
    _close(a, b, PLANAR, rel=1e-9)


@SETTINGS
@given(walks(), st.sampled_from([0.25, 0.5, 2.0, 4.0]))
def test_scaling_laws(w: tuple[np.ndarray, np.ndarray, float], k: float) -> None:
    # powers of two scale exactly in floating point, so even the sway-density thresholds agree
    ml, ap, fs = w
    a = sway.measures(ml, ap, fs_hz=fs)
    b = sway.measures(k * ml, k * ap, fs_hz=fs, sway_density_radius_mm=3.0 * k)
    for key, info in sway.MEASURES.items():
        expected = a[key] * k ** POWER[info.unit]
        if math.isnan(expected):
            assert math.isnan(b[key]), key
        else:
            assert b[key] == pytest.approx(expected, rel=1e-9, abs=1e-12), key


@SETTINGS
@given(walks())
def test_axis_swap_swaps_per_axis_measures(w: tuple[np.ndarray, np.ndarray, float]) -> None:
    ml, ap, fs = w
    a = sway.measures(ml, ap, fs_hz=fs)
    b = sway.measures(ap, ml, fs_hz=fs)
    for key, info in sway.MEASURES.items():
        if info.axis == "ml":
            other = key.replace("_ml", "_ap")
        elif info.axis == "ap":
            other = key.replace("_ap", "_ml")
        else:
            other = key
        _close({key: a[key]}, {key: b[other]}, [key], rel=1e-9)
