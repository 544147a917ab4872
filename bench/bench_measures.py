"""Benchmark: all sway measures of one 30 s, 100 Hz trial (target: median <= 2 ms).

Run on demand from the repository root::

    .venv/bin/python bench/bench_measures.py [--repeat 300]

The trial is the first 30 s of HBEDB BDS00001 (raw 100 Hz CoP, shipped in data/hbedb). Prints the median
(and 10th/90th percentiles, and the median CPU time of this process) of ``balance.sway.measures`` over all measures, of each measure group alone,
and of the whole default pipeline ``balance.pipeline.analyze`` (checks, 10 Hz low-pass, measures).
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from pathlib import Path

import numpy as np

from balance import sway
from balance.pipeline import analyze

ROOT = Path(__file__).resolve().parent.parent


def _trial() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with gzip.open(ROOT / "data" / "hbedb" / "BDS00001.txt.gz", "rt") as f:
        a = np.loadtxt(f, delimiter="\t", skiprows=1, max_rows=3000)
    return a[:, 0], a[:, 8] * 10.0, a[:, 7] * 10.0  # time, ML (COPy), AP (COPx), cm -> mm


def _times(fn, repeat: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]  # a local helper of a script
    """Wall-clock and CPU (this process) milliseconds per call."""
    for _ in range(5):  # warm-up: imports, caches
        fn()
    wall = np.empty(repeat)
    cpu = np.empty(repeat)
    for i in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        wall[i] = time.perf_counter() - t0
        cpu[i] = time.process_time() - c0
    return wall * 1e3, cpu * 1e3


def main() -> None:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--repeat", type=int, default=300)
    args = ap_.parse_args()
    t, ml, ap = _trial()
    print(f"trial: HBEDB BDS00001, first {t.size} samples at 100 Hz ({t.size / 100:.0f} s); {args.repeat} repeats")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'what':38s} {'median ms':>10s} {'p10':>8s} {'p90':>8s} {'CPU median':>11s}")

    def row(name: str, ms: tuple[np.ndarray, np.ndarray]) -> float:
        wall, cpu = ms
        med = float(np.median(wall))
        print(
            f"{name:38s} {med:10.3f} {np.percentile(wall, 10):8.3f} {np.percentile(wall, 90):8.3f} "
            f"{np.median(cpu):11.3f}"
        )
        return med

    total = row(f"sway.measures, all {len(sway.MEASURES)} measures", _times(lambda: sway.measures(ml, ap, fs_hz=100.0), args.repeat))
    parts = {}
    for g in sway.GROUPS:
        parts[g] = row(f"  group {g!r} alone", _times(lambda g=g: sway.measures(ml, ap, fs_hz=100.0, select=[g]), args.repeat))
    row("pipeline.analyze (checks+filter+all)", _times(lambda: analyze((t, ml, ap)), args.repeat))
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())} (other jobs slow the wall-clock figures)")
    print()
    print(f"all measures: median {total:.3f} ms (target <= 2 ms: {'met' if total <= 2.0 else 'NOT met'})")
    top = sorted(parts.items(), key=lambda kv: -kv[1])
    print("dominant groups: " + ", ".join(f"{g} {ms:.3f} ms" for g, ms in top[:3]))


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
