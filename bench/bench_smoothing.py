"""Effective smoothing of the default preprocessing on Wii Balance Board timing (issue 10).

Run on demand from the repository root::

    .venv/bin/python bench/bench_smoothing.py

The timestamps are those of the simulated board (:class:`drivers.sim.SimulatedBoard`): ``hid``, every HID
report (~100/s, the load cells sampled at ~63 Hz so about a third of the reports repeat), and ``polled``,
a 40 Hz recorder with Bluetooth drop-outs of up to 0.5 s. A test signal is held between the load cells'
samples (63 Hz ticks) as the board does, then run through ``balance.pipeline.analyze`` (SWARII to 50 Hz,
Butterworth 10 Hz order 4 zero-phase). Printed, for the old default (0.08 s window) and the new one (two
output periods, 0.04 s at 50 Hz):

* the gain at each frequency of a sine of 1 mm (least-squares fit of the output, edges dropped) and the
  measured -3 dB frequency, beside :func:`balance.pipeline.effective_cutoff_hz` (the model written in
  ``res.params``);
* the path-length loss on a known signal: the simulated single-leg sway (``SINGLE_LEG_SWAY``) as the
  load cells sample it, path summed at the 63 Hz ticks, against the path of the pipeline's output.
"""

from __future__ import annotations

import numpy as np

from balance.pipeline import analyze, effective_cutoff_hz
from drivers.sim import ADC_RATE_HZ, SINGLE_LEG_SWAY, SimulatedBoard, _Sway


def timestamps(timing: str, seconds: float = 120.0) -> np.ndarray:
    with SimulatedBoard(seed=3, timing=timing) as b:  # type: ignore[arg-type]
        return b.read_arrays(seconds).t_s


def held(t: np.ndarray) -> np.ndarray:
    """The ADC tick each report carries (sample-and-hold at 63 Hz)."""
    return np.floor((t - 0.002) * ADC_RATE_HZ) / ADC_RATE_HZ


def gain(t: np.ndarray, f: float, window_s: float | None) -> float:
    x = np.sin(2 * np.pi * f * held(t))
    res = analyze((t, x, np.cos(2 * np.pi * 0.3 * t) * 5), window_s=window_s, check_units=False)
    tt = res.time_s
    k = (tt > tt[0] + 2) & (tt < tt[-1] - 2)
    a = np.column_stack([np.sin(2 * np.pi * f * tt[k]), np.cos(2 * np.pi * f * tt[k]), np.ones(k.sum())])
    c, *_ = np.linalg.lstsq(a, res.cop_ml_mm[k] + res.params["mean_ml_mm"], rcond=None)
    return float(np.hypot(c[0], c[1]))


def path_loss(t: np.ndarray, window_s: float | None) -> tuple[float, float]:
    n = int((t[-1] + 1) * ADC_RATE_HZ) + 2
    sway = _Sway(SINGLE_LEG_SWAY, np.random.default_rng(5), dt_s=1 / ADC_RATE_HZ).next(n)
    ticks = np.clip((held(t) * ADC_RATE_HZ).round().astype(int), 0, n - 1)
    ml, ap = sway[ticks, 0], sway[ticks, 1]
    lo, hi = ticks[0], ticks[-1]
    true_ml = np.abs(np.diff(sway[lo : hi + 1, 0])).sum()
    true_ap = np.abs(np.diff(sway[lo : hi + 1, 1])).sum()
    res = analyze((t, ml, ap), window_s=window_s)
    return 1 - np.abs(np.diff(res.cop_ml_mm)).sum() / true_ml, 1 - np.abs(np.diff(res.cop_ap_mm)).sum() / true_ap


def main() -> None:
    freqs = np.array([0.5, 1, 2, 3, 4, 5, 5.5, 6, 7, 7.5, 8, 8.5, 9, 9.5, 10, 11, 12])
    for timing in ("hid", "polled"):
        t = timestamps(timing)
        print(f"\n{timing} timing: {t.size / (t[-1] - t[0]):.1f} reports/s, longest gap {np.diff(t).max() * 1000:.0f} ms")
        for label, w in (("old default, window 0.08 s", 0.08), ("new default, window 2/fs = 0.04 s", None)):
            g = np.array([gain(t, f, w) for f in freqs])
            below = np.flatnonzero(g < 1 / np.sqrt(2))
            if below.size and below[0] > 0:
                i = below[0]
                f3 = float(np.interp(1 / np.sqrt(2), [g[i], g[i - 1]], [freqs[i], freqs[i - 1]]))
            else:
                f3 = float("nan")
            model = effective_cutoff_hz(window_s=w if w else 0.04, cutoff_hz=10.0, order=4, fs_hz=50.0)
            loss_ml, loss_ap = path_loss(t, w)
            print(f"  {label}: measured -3 dB {f3:.2f} Hz (model {model:.2f} Hz); "
                  f"path-length loss ML {100 * loss_ml:.1f} %, AP {100 * loss_ap:.1f} %")
            print("    gain: " + ", ".join(f"{f:g} Hz {v:.3f}" for f, v in zip(freqs, g)))


if __name__ == "__main__":
    main()
