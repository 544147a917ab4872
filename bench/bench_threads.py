"""Benchmark: `balance analyze --jobs N` with one BLAS thread per worker against BLAS's own thread pools.

Run on demand from the repository root::

    .venv/bin/python bench/bench_threads.py [--files 40] [--minutes 5] [--rounds 3]

A batch of synthetic trials long enough for OpenBLAS to start its threads (default 5 min at 100 Hz,
30,000 samples; ``bench_analyze.synthetic_trial`` sway) is analysed by
:func:`balance.app.batch.analyze_files` with ``jobs`` = 1 and = every core, two ways,
interleaved round by round on the same files:

* ``one thread``: as shipped (threadpoolctl limits every worker, and the serial process, to one thread);
* ``BLAS default``: the limit switched off (OpenBLAS starts one thread per core in every process).

Printed per variant: wall time (min and median over the rounds), the ratio, and CPU/wall per worker
(CPU time of this process and its workers divided by wall time and by the worker count; 1.0 means each
worker keeps exactly one core busy).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchkit import Timing, ratio_line  # noqa: E402


def _cpu_s() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def main(argv: list[str] | None = None) -> int:
    import bench_analyze as BA

    from balance.app import batch as A
    from drivers.formats import write_hbedb

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    BA.DURATION_S = args.minutes * 60.0
    folder = Path(tempfile.mkdtemp(prefix="bench_threads_"))
    try:
        paths = []
        for i in range(args.files):
            p = str(folder / f"T{i:04d}.txt")
            write_hbedb(p, BA.synthetic_trial(i))
            paths.append(p)
        options = {"raw": False, "preset": "standard", "params": {}, "measures": None}
        A._keep_freed_memory()
        print(f"batch: {args.files} synthetic trials of {args.minutes:g} min at 100 Hz "
              f"({int(BA.DURATION_S * 100):,} samples each)")

        shipped_single, shipped_ctx = A.single_threaded, A._one_thread_per_process

        def run(jobs: int, limited: bool) -> tuple[float, float]:
            if limited:
                A.single_threaded, A._one_thread_per_process = shipped_single, shipped_ctx
            else:
                A.single_threaded = lambda: None
                A._one_thread_per_process = contextlib.nullcontext
            try:
                c0, t0 = _cpu_s(), time.perf_counter()
                res = A.analyze_files(paths, options, jobs=jobs, progress=False)
                wall = time.perf_counter() - t0
                cpu = _cpu_s() - c0
            finally:
                A.single_threaded, A._one_thread_per_process = shipped_single, shipped_ctx
            assert all(r["ok"] for r in res)
            return wall, cpu

        cores = os.cpu_count() or 1
        for jobs in sorted({1, cores}):
            walls = {True: Timing("one thread"), False: Timing("BLAS default")}
            busy: dict[bool, list[float]] = {True: [], False: []}
            run(jobs, True)  # warm-up
            for _ in range(args.rounds):
                for limited in (True, False):
                    wall, cpu = run(jobs, limited)
                    walls[limited].times.append(wall)
                    busy[limited].append(cpu / wall / jobs)
            print(f"--jobs {jobs}: " + ratio_line(walls[True], walls[False]))
            print(f"  CPU/wall per worker: one thread {np.median(busy[True]):.2f}, "
                  f"BLAS default {np.median(busy[False]):.2f} (medians; 1.0 = one core per worker)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
