"""Benchmark: sway density's memory and time, linear-memory walk (as shipped) against the full sparse table.

Run on demand from the repository root::

    .venv/bin/python bench/bench_density.py [--sizes 3000,30000,300000] [--rounds 5]

For each record length (quiet-stance sway as in ``bench_analyze``, 100 Hz), the run lengths of
:func:`balance.density.run_lengths_within` (radius 3 mm) are computed

* ``shipped``: the default, the full sparse table up to 32 MiB and the linear-memory aligned-block
  walk beyond (so identical to ``sparse`` at 3,000 samples);
* ``sparse``: the full N log N sparse table at every length (the former algorithm);
* ``aligned``: the linear-memory walk at every length;

interleaved round by round. Printed: peak traced memory (:mod:`tracemalloc`, one call), time (min and
median) and the ratios; every variant's runs are checked equal. Target: peak under 60 MiB at 300,000
samples, no slower at 3,000.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchkit import interleaved, ratio_line  # noqa: E402


def sway(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    sos = butter(2, 0.3, fs=100.0, output="sos")
    ml = sosfilt(sos, rng.normal(0, 1, n + 500))[500:]
    ap = sosfilt(sos, rng.normal(0, 1, n + 500))[500:]
    return ml * (2.0 / ml.std()), ap * (4.0 / ap.std())


def main(argv: list[str] | None = None) -> int:
    from balance import density as D

    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--sizes", default="3000,30000,300000")
    ap_.add_argument("--rounds", type=int, default=5)
    args = ap_.parse_args(argv)
    r2 = 9.0
    for n in [int(s) for s in args.sizes.split(",")]:
        x, y = sway(n)
        variants = {
            # x and y bound per round (the closures run inside this iteration, but say so)
            "shipped": lambda x=x, y=y: D.run_lengths_within(x, y, radius_mm=3.0),
            "sparse": lambda x=x, y=y: D.run_lengths_squared(x, y, r2=r2, table_bytes=1 << 62),
            "aligned": lambda x=x, y=y: D.run_lengths_squared(x, y, r2=r2, table_bytes=0),
        }
        ref = variants["sparse"]()
        peaks = {}
        for name, fn in variants.items():
            tracemalloc.start()
            out = fn()
            peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            assert np.array_equal(out, ref), name
        rounds = args.rounds if n <= 100_000 else max(1, args.rounds // 3)
        t = interleaved(variants, rounds=rounds, warmup=1, inner=20 if n <= 5000 else 1)
        print(f"{n:,} samples ({n / 100 / 60:.1f} min at 100 Hz), runs equal; peak traced memory: "
              + ", ".join(f"{k} {v:.1f} MiB" for k, v in peaks.items()))
        print("  " + ratio_line(t["shipped"], t["sparse"]))
        print("  " + ratio_line(t["shipped"], t["aligned"]))
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
