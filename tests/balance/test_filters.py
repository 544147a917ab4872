"""Zero-phase Butterworth low-pass: gain against the design's own frequency response, zero phase, validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfreqz

from balance.filters import DEFAULT_CUTOFF_HZ, DEFAULT_ORDER, butter_lowpass_sos, lowpass

FS = 100.0


def _steady_gain_and_phase(f_hz: float, *, cutoff_hz: float, order: int) -> tuple[float, float]:
    t = np.arange(int(40 * FS)) / FS
    x = np.sin(2 * np.pi * f_hz * t)
    y = lowpass(x, fs_hz=FS, cutoff_hz=cutoff_hz, order=order)
    mid = slice(int(10 * FS), int(30 * FS))  # away from the edges
    basis = np.column_stack([np.sin(2 * np.pi * f_hz * t[mid]), np.cos(2 * np.pi * f_hz * t[mid])])
    (a, b), *_ = np.linalg.lstsq(basis, y[mid], rcond=None)
    return float(np.hypot(a, b)), float(np.arctan2(b, a))


@pytest.mark.parametrize("f_hz", [0.5, 2.0, 5.0, 8.0, 10.0, 12.0, 20.0])
@pytest.mark.parametrize("order", [2, 4])
def test_gain_is_design_response_squared_and_phase_is_zero(f_hz: float, order: int) -> None:
    cutoff = 10.0
    gain, phase = _steady_gain_and_phase(f_hz, cutoff_hz=cutoff, order=order)
    sos = butter(order, cutoff, fs=FS, output="sos")
    _, h = sosfreqz(sos, worN=[f_hz], fs=FS)
    assert gain == pytest.approx(abs(h[0]) ** 2, abs=1e-4)  # forward-backward: |H|²
    if gain > 1e-3:
        assert abs(phase) < 1e-4  # zero phase


def test_minus_six_db_at_cutoff_and_passband_flat() -> None:
    g_cut, _ = _steady_gain_and_phase(DEFAULT_CUTOFF_HZ, cutoff_hz=DEFAULT_CUTOFF_HZ, order=DEFAULT_ORDER)
    assert g_cut == pytest.approx(0.5, abs=1e-3)
    g_pass, _ = _steady_gain_and_phase(1.0, cutoff_hz=10.0, order=4)
    assert g_pass == pytest.approx(1.0, abs=1e-6)
    g_stop, _ = _steady_gain_and_phase(30.0, cutoff_hz=10.0, order=4)
    assert g_stop < 1e-3


def test_constant_and_shape_preserved() -> None:
    x = np.full((500, 2), [3.5, -1.25])
    y = lowpass(x, fs_hz=FS, cutoff_hz=5.0)
    assert y.shape == (500, 2)
    np.testing.assert_allclose(y, x, rtol=1e-12)


def test_columns_filtered_independently_along_axis_0() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = lowpass(x, fs_hz=FS, cutoff_hz=5.0)
    np.testing.assert_allclose(y[:, 1], lowpass(x[:, 1], fs_hz=FS, cutoff_hz=5.0), rtol=1e-12)
    np.testing.assert_allclose(lowpass(x.T, fs_hz=FS, cutoff_hz=5.0, axis=1), y.T, rtol=1e-12)


def test_sos_design_matches_scipy() -> None:
    np.testing.assert_allclose(butter_lowpass_sos(cutoff_hz=6.0, fs_hz=40.0, order=2), butter(2, 6.0, fs=40.0, output="sos"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(cutoff_hz=50.0), "Nyquist"),
        (dict(cutoff_hz=60.0), "Nyquist"),
        (dict(cutoff_hz=0.0), "positive"),
        (dict(cutoff_hz=10.0, order=0), "order=0"),
        (dict(cutoff_hz=10.0, order=2.5), "order=2.5"),
    ],
)
def test_invalid_design(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lowpass(np.zeros(100), fs_hz=FS, **kwargs)


def test_nan_and_short_input_rejected() -> None:
    with pytest.raises(ValueError, match="NaN"):
        lowpass(np.r_[np.zeros(50), np.nan], fs_hz=FS)
    with pytest.raises(ValueError, match="samples"):
        lowpass(np.zeros(10), fs_hz=FS)
    with pytest.raises(ValueError, match="fs_hz"):
        lowpass(np.zeros(100), fs_hz=-1.0)


@pytest.mark.parametrize("shape, axis", [((3000,), 0), ((500, 2), 0), ((2, 500), 1), ((40,), 0)])
@pytest.mark.parametrize("cutoff, fs, order", [(10.0, 100.0, 4), (2.5, 50.0, 4), (1.0, 25.0, 3), (6.0, 40.0, 1)])
def test_equals_scipy_sosfiltfilt(shape: tuple[int, ...], axis: int, cutoff: float, fs: float, order: int) -> None:
    from scipy.signal import sosfiltfilt

    x = np.random.default_rng(len(shape) + order).normal(size=shape)
    expected = sosfiltfilt(butter(order, cutoff, fs=fs, output="sos"), x, axis=axis)
    np.testing.assert_allclose(lowpass(x, fs_hz=fs, cutoff_hz=cutoff, order=order, axis=axis), expected, rtol=0, atol=1e-14)
