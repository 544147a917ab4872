"""Benchmark: the Quijoux et al. 2021 72-feature preset against the authors' code, interleaved, on one HBEDB trial.

Run on demand from the repository root::

    .venv/bin/python bench/bench_quijoux.py [--rounds 15] [--trial hbedb|quijoux]

The trial (default ``hbedb``) is the first 30 s of HBEDB ``BDS00001`` at 100 Hz (3000 samples; the
trial of ``bench_measures`` and of the README); ``--trial quijoux`` takes the authors' own example instead
(``data/quijoux/test.csv.gz``, rows 4000:7000, exactly as their ``main.py`` builds it). Two modes:

* ``default``: the authors' default preprocessing (centre, purge, SWARII to 25 Hz, Butterworth
  10 Hz) then the 72 features (748 samples at 25 Hz);
* ``raw``: no resampling or filtering, the 72 features on all 3000 samples at 100 Hz (where the
  reference's O(N²) range and sway-density loops dominate).

The peer is the reference code (``Jythen/code_descriptors_postural_control``, never part of this
repository: check it out as ``$QUIJOUX_REF_DIR/code_descriptors_postural_control``, default
``/work/ref``, and give an interpreter with numpy, scipy, pandas, statsmodels and scikit-learn as
``$QUIJOUX_REF_PYTHON``, default ``/work/ref/venv/bin/python``). It runs in a long-lived subprocess that
times one call whenever asked, so the calls are interleaved (ours, reference, ours, ...) on the same
input: every round times ``--inner`` calls of ours (:func:`balance.quijoux.features`) and one of the
reference (``Stabilogram.from_array`` + ``compute_all_features``). Printed per mode: minimum and median
of each, the ratios of the minima and of the medians (target: at least 500x), and the largest relative
difference of the 72 values. Without the reference, only our figures are printed, with the reason.
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
HBEDB = REPO / "data" / "hbedb" / "BDS00001.txt.gz"
REF_DIR = Path(os.environ.get("QUIJOUX_REF_DIR", "/work/ref"))
REF_PYTHON = Path(os.environ.get("QUIJOUX_REF_PYTHON", "/work/ref/venv/bin/python"))

MODES = {"default": {}, "raw": {"preprocess": False}}

# Run by the reference interpreter: reads the trial (ML, AP in cm) as one JSON line, then for every
# line naming a mode times one call and prints {"s": seconds, "n": samples, "values": {...}}.
_REF_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from code_descriptors_postural_control.stabilogram.stato import Stabilogram
from code_descriptors_postural_control.descriptors import compute_all_features
payload = json.loads(sys.stdin.readline())
data = np.array([payload["ml_cm"], payload["ap_cm"]]).T
kws = {"default": {}, "raw": {"resample": False, "filter_": False}}
for line in sys.stdin:
    mode = line.strip()
    t0 = time.perf_counter()
    s = Stabilogram()
    s.from_array(array=data, original_frequency=100, **kws[mode])
    f = compute_all_features(s, params_dic={"sway_density_radius": 0.3})
    dt = time.perf_counter() - t0
    print(json.dumps({"s": dt, "n": int(len(s.signal)), "values": {k: float(v) for k, v in f.items()}}), flush=True)
"""


def load_hbedb_trial() -> tuple[np.ndarray, np.ndarray]:
    """ML, AP (cm) of the first 30 s of HBEDB BDS00001 (COPy is ML, COPx is AP, in cm)."""
    with gzip.open(HBEDB, "rt") as fh:
        a = np.loadtxt(fh, delimiter="\t", skiprows=1, max_rows=3000)
    return a[:, 8], a[:, 7]


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


class Reference:
    """The authors' code in its own interpreter, timing one call per request."""

    def __init__(self, ml_cm: np.ndarray, ap_cm: np.ndarray) -> None:
        self.proc = subprocess.Popen(
            [str(REF_PYTHON), "-c", _REF_SCRIPT, str(REF_DIR)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"ml_cm": ml_cm.tolist(), "ap_cm": ap_cm.tolist()}) + "\n")
        self.proc.stdin.flush()

    def run(self, mode: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(mode + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"reference run failed: {err.strip().splitlines()[-1:]}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def reference_unavailable() -> str | None:
    if not (REF_DIR / "code_descriptors_postural_control" / "descriptors").is_dir():
        return f"reference code not found under {REF_DIR} (set QUIJOUX_REF_DIR)"
    if not REF_PYTHON.exists():
        return f"reference interpreter {REF_PYTHON} not found (set QUIJOUX_REF_PYTHON)"
    return None


def main(argv: list[str] | None = None) -> int:
    from benchkit import Timing, ratio_line

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per mode (default 15)")
    parser.add_argument("--inner", type=int, default=20, help="calls of ours per round (default 20)")
    parser.add_argument("--trial", choices=("hbedb", "quijoux"), default="hbedb")
    args = parser.parse_args(argv)

    ml_cm, ap_cm = load_hbedb_trial() if args.trial == "hbedb" else load_trial()
    what = "HBEDB BDS00001, first 30 s" if args.trial == "hbedb" else "the authors' example, rows 4000:7000"
    print(f"trial: {what}, {ml_cm.size} samples at 100 Hz; {len(QUIJOUX_KEYS)} features; {args.rounds} rounds")
    why = reference_unavailable()
    ref = None if why else Reference(ml_cm, ap_cm)
    try:
        for mode, kw in MODES.items():
            vals = features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, **kw)  # warm-up (imports, caches)
            ours, theirs = Timing("ours"), Timing("reference")
            last: dict = {}
            if ref is not None:
                last = ref.run(mode)  # warm-up
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                for _ in range(args.inner):
                    features(ml_cm * 10, ap_cm * 10, fs_hz=100.0, **kw)
                ours.times.append((time.perf_counter() - t0) / args.inner)
                if ref is not None:
                    last = ref.run(mode)
                    theirs.times.append(last["s"])
            if ref is None:
                print(f"  {mode:8s} ours: min {ours.min * 1e3:.3f} ms, median {ours.median * 1e3:.3f} ms")
                continue
            rel = max(abs(vals[k] - v) / max(abs(v), 1e-300) for k, v in last["values"].items())
            print(f"  {mode:8s} ({last['n']} samples analysed) " + ratio_line(ours, theirs))
            print(f"           target >= 500x; max rel. diff of the 72 values {rel:.1e}")
    finally:
        if ref is not None:
            ref.close()
    if why:
        print(f"  reference not timed: {why}")
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
