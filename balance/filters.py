"""Zero-phase Butterworth low-pass filtering of CoP signals.

The filter is designed as second-order sections (numerically safer than transfer-function
coefficients at low cut-off/sampling-rate ratios) and run forward and backward with
:func:`scipy.signal.sosfiltfilt`, so it has no phase lag and the magnitude response of the
design *squared* (a 4th-order design behaves as an 8th-order magnitude response, -6 dB at
the cut-off). The default, 4th order at 10 Hz, is what Quijoux et al. 2021 use on CoP data
(``docs/methods.md`` §2.1 step 4 and §3.2 "Low-pass filter").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DEFAULT_CUTOFF_HZ", "DEFAULT_ORDER", "butter_lowpass_sos", "lowpass"]

#: Default cut-off (Hz): docs/methods.md §3.2, "Zero-phase Butterworth: 4th order at 10 Hz (Quijoux)".
DEFAULT_CUTOFF_HZ: float = 10.0
#: Default order of the Butterworth design (before the forward-backward pass doubles it).
DEFAULT_ORDER: int = 4


def _validate(cutoff_hz: float, fs_hz: float, order: int) -> None:
    if not (np.isfinite(fs_hz) and fs_hz > 0):
        raise ValueError(f"fs_hz={fs_hz!r} must be a positive finite sampling rate in Hz")
    if not (np.isfinite(cutoff_hz) and cutoff_hz > 0):
        raise ValueError(f"cutoff_hz={cutoff_hz!r} must be a positive finite frequency in Hz")
    nyquist_hz = fs_hz / 2.0
    if cutoff_hz >= nyquist_hz:
        raise ValueError(
            f"cutoff_hz={cutoff_hz!r} must be below the Nyquist frequency fs_hz/2={nyquist_hz!r} Hz: "
            f"lower the cut-off, or skip filtering (at {fs_hz!r} Hz a low-pass above "
            f"{nyquist_hz!r} Hz does nothing)"
        )
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 12:
        raise ValueError(f"order={order!r} must be an integer from 1 to 12 (4 is the usual choice)")


def butter_lowpass_sos(*, cutoff_hz: float, fs_hz: float, order: int = DEFAULT_ORDER) -> NDArray[np.float64]:
    """Design a digital Butterworth low-pass filter as second-order sections.

    Parameters
    ----------
    cutoff_hz : float
        -3 dB frequency of the single (one-direction) design, in Hz; ``0 < cutoff_hz < fs_hz/2``.
    fs_hz : float
        Sampling rate in Hz.
    order : int, optional
        Filter order, 1 to 12 (default 4).

    Returns
    -------
    sos : ndarray, shape (ceil(order/2), 6)
        Second-order sections for :func:`scipy.signal.sosfilt` / :func:`scipy.signal.sosfiltfilt`.

    Raises
    ------
    ValueError
        If the cut-off is not below Nyquist, or the order or rate is invalid.
    """
    _validate(cutoff_hz, fs_hz, order)
    return np.array(_design(float(cutoff_hz), float(fs_hz), int(order))[0], dtype=np.float64)


@lru_cache(maxsize=64)
def _design(cutoff_hz: float, fs_hz: float, order: int) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Cached design: second-order sections, their steady-state initial conditions and scipy's default
    padding length for ``sosfiltfilt``. Kept private (never handed out mutable, see butter_lowpass_sos);
    a batch of trials reuses the same few filters."""
    from scipy.signal import butter, sosfilt_zi

    sos = np.asarray(butter(order, cutoff_hz, btype="low", output="sos", fs=fs_hz), dtype=np.float64)
    # sosfiltfilt's default odd padding: 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    padlen = 3 * (2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    return sos, np.asarray(sosfilt_zi(sos), dtype=np.float64), padlen


def lowpass(
    x: ArrayLike,
    *,
    fs_hz: float,
    cutoff_hz: float = DEFAULT_CUTOFF_HZ,
    order: int = DEFAULT_ORDER,
    axis: int = 0,
) -> NDArray[np.float64]:
    """Zero-phase Butterworth low-pass filter (``sosfiltfilt``).

    Parameters
    ----------
    x : array_like, shape (N,) or (N, k)
        Uniformly sampled signal(s), any unit; the output has the same unit. Filtered along
        ``axis`` (default 0: time runs down the rows).
    fs_hz : float
        Sampling rate in Hz.
    cutoff_hz : float, optional
        Cut-off of the design in Hz (default 10 Hz). Because the filter runs forward and
        backward, the overall gain at ``cutoff_hz`` is -6 dB (the design's -3 dB, squared).
    order : int, optional
        Order of the design (default 4; the zero-phase result has twice this roll-off).
    axis : int, optional
        The time axis.

    Returns
    -------
    ndarray
        Filtered signal, same shape as ``x``, float64.

    Raises
    ------
    ValueError
        If ``cutoff_hz`` is not below ``fs_hz/2``, if ``x`` contains NaN or inf, or if ``x``
        is too short for the forward-backward padding (``3 * (2*n_sections + 1)`` samples).
    """
    a = np.asarray(x, dtype=np.float64)
    _validate(cutoff_hz, fs_hz, order)
    sos, zi, padlen = _design(float(cutoff_hz), float(fs_hz), int(order))
    if not np.all(np.isfinite(a)):
        raise ValueError(
            "x contains NaN or inf: filtering would spread them over the whole signal; "
            "resample or remove the invalid samples first"
        )
    n = a.shape[axis] if a.ndim else 0
    if n <= padlen:
        raise ValueError(
            f"x has {n} samples along axis {axis}; the order-{order} zero-phase filter needs more than "
            f"{padlen}: use a longer recording or a lower order"
        )
    return _sosfiltfilt(sos, zi, padlen, a, axis)


def _sosfiltfilt(
    sos: NDArray[np.float64], zi: NDArray[np.float64], padlen: int, a: NDArray[np.float64], axis: int
) -> NDArray[np.float64]:
    """``scipy.signal.sosfiltfilt(sos, a, axis=axis)`` with its defaults (odd extension of ``padlen``
    samples, steady-state initial conditions), reusing the cached ``zi``; the same operations in the
    same order, so the same numbers (tested)."""
    from scipy.signal import sosfilt

    b = np.moveaxis(a, axis, 0)
    # odd extension at both ends, as scipy.signal._arraytools.odd_ext
    left = 2.0 * b[:1] - b[padlen:0:-1]
    right = 2.0 * b[-1:] - b[-2 : -(padlen + 2) : -1]
    ext = np.concatenate([left, b, right], axis=0)
    zshape = (zi.shape[0], 2) + (1,) * (b.ndim - 1)
    z = zi.reshape(zshape)
    y, _ = sosfilt(sos, ext, axis=0, zi=z * ext[:1])
    y, _ = sosfilt(sos, y[::-1], axis=0, zi=z * y[-1:])
    y = y[::-1][padlen:-padlen]
    return np.ascontiguousarray(np.moveaxis(y, 0, axis))
