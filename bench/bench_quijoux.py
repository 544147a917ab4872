"""Benchmark: the Quijoux et al. 2021 72-feature preset on one 30 s, 100 Hz trial.

Run on demand from the repository root::

    .venv/bin/python bench/bench_quijoux.py [--repeat 200] [--ref-repeat 5]

The trial is the authors' own example (``data/quijoux/test.csv.gz``, rows 4000:7000, exactly as
their ``main.py`` builds it). Two modes are timed:

* ``default``: the authors' default preprocessing (centre, purge, SWARII to 25 Hz, Butterworth
  10 Hz) then the 72 features on the resulting 748 samples;
* ``raw``: no resampling or filtering, the 72 features on all 3000 samples at 100 Hz (where the
  reference's O(N²) range and sway-density loops dominate).

Our figure is the median of ``--repeat`` calls of :func:`balance.quijoux.features`. When the
reference code is present (``Jythen/code_descriptors_postural_control`` checked out as
``$QUIJOUX_REF_DIR/code_descriptors_postural_control``, default ``/work/ref``, run with
``$QUIJOUX_REF_PYTHON``, default ``/work/ref/venv/bin/python``, which needs statsmodels and
scikit-learn), it is timed in a subprocess on the same input (median and minimum of ``--ref-repeat`` runs of
``Stabilogram.from_array`` + ``compute_all_features``), its 72 values are compared with ours, and
the speed ratios (of the medians and of the minima, the latter less sensitive to other work on
the machine) are printed (target: at least 500x). Without it, only our figures are printed,
with the reason.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from balance.quijoux import QUIJOUX_KEYS, features  # noqa: E402

DATA = REPO / "data" / "quijoux" / "test.csv.gz"
REF_DIR = Path(os.environ.get("QUIJOUX_REF_DIR", "/work/ref"))
REF_PYTHON = Path(os.environ.get("QUIJOUX_REF_PYTHON", "/work/ref/venv/bin/python"))

MODES = {"default": {}, "raw": {"preprocess": False}}

# Run by the reference interpreter: reads ML, AP (cm) as JSON on stdin, prints timings + values.
_REF_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from code_descriptors_postural_control.stabilogram.stato import Stabilogram
from code_descriptors_postural_control.descriptors import compute_all_features
payload = json.load(sys.stdin)
data = np.array([payload["ml_cm"], payload["ap_cm"]]).T
out = {}
for mode, kw in (("default", {}), ("raw", {"resample": False, "filter_": False})):
    times = []
    for _ in range(payload["repeat"]):
        t0 = time.perf_counter()
        s = Stabilogram()
        s.from_array(array=data, original_frequency=100, **kw)
        f = compute_all_features(s, params_dic={"sway_density_radius": 0.3})
        times.append(time.perf_counter() - t0)
    out[mode] = {"median_s": float(np.median(times)), "min_s": float(np.min(times)), "n": int(len(s.signal)),
                 "values": {k: float(v) for k, v in f.items()}}
print(json.dumps(out))
"""


def load_trial() -> tuple[np.ndarray, np.ndarray]:
    """ML, AP (cm) of rows 4000:7000, as the authors' main.py computes them."""
    with gzip.open(DATA, "rt") as fh:
        lines = fh.read().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("MocapFrame"))
    table = np.loadtxt(lines[header + 1 :], delimiter=",")
    fz, mx, my = table[:, 5], table[:, 6], table[:, 7]
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y = my / fz, mx / fz  # dropped frames (all zeros) give NaN, skipped by the mean
    x = 100 * (x - np.nanmean(x))
    y = 100 * (y - np.nanmean(y))
    return x[4000:7000], y[4000:7000]


def time_ours(ml_cm: np.ndarray, ap_cm: np.ndarray, repeat: int) -> dict[str, tuple[float, dict]]:
    out = {}
    for mode, kw in MODES.items():
        vals = features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, **kw)  # warm-up (imports, caches)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, **kw)
            times.append(time.perf_counter() - t0)
        out[mode] = (float(np.median(times)), float(np.min(times)),
                     float(np.percentile(times, 90)), vals)
    return out


def time_reference(ml_cm: np.ndarray, ap_cm: np.ndarray, repeat: int) -> dict | str:
    """Reference timings and values, or the reason they are unavailable."""
    if not (REF_DIR / "code_descriptors_postural_control" / "descriptors").is_dir():
        return f"reference code not found under {REF_DIR} (set QUIJOUX_REF_DIR)"
    if not REF_PYTHON.exists():
        return f"reference interpreter {REF_PYTHON} not found (set QUIJOUX_REF_PYTHON)"
    payload = json.dumps({"ml_cm": ml_cm.tolist(), "ap_cm": ap_cm.tolist(), "repeat": repeat})
    proc = subprocess.run(
        [str(REF_PYTHON), "-c", _REF_SCRIPT, str(REF_DIR)],
        input=payload, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        return f"reference run failed: {proc.stderr.strip().splitlines()[-1:]}"
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed calls of ours (default 200)")
    parser.add_argument("--ref-repeat", type=int, default=5, help="timed runs of the reference (default 5)")
    args = parser.parse_args(argv)

    ml_cm, ap_cm = load_trial()
    ours = time_ours(ml_cm, ap_cm, args.repeat)
    ref = time_reference(ml_cm, ap_cm, args.ref_repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Quijoux 72-feature preset, one 30 s 100 Hz trial ({len(QUIJOUX_KEYS)} features); "
          f"{os.cpu_count()} cores, load average {load:.2f} (other work inflates the figures)")
    for mode, (med, best, p90, vals) in ours.items():
        line = f"  {mode:8s} ours: median {med * 1e3:7.3f} ms (min {best * 1e3:.3f}, p90 {p90 * 1e3:.3f})"
        if isinstance(ref, dict):
            r = ref[mode]
            rel = max(abs(vals[k] - v) / max(abs(v), 1e-300) for k, v in r["values"].items())
            line += (f"\n           reference: median {r['median_s'] * 1e3:7.1f} ms (min {r['min_s'] * 1e3:.1f})"
                     f" on {r['n']} samples | ratio of medians {r['median_s'] / med:4.0f}x, of minima "
                     f"{r['min_s'] / best:4.0f}x (target >= 500x) | max rel. diff of the 72 values {rel:.1e}")
        print(line)
    if not isinstance(ref, dict):
        print(f"  reference not timed: {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
