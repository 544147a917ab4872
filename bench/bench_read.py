"""Benchmark: reading a 60 s trial, and `balance analyze`'s per-file cost against pandas + the same pipeline.

Run on demand from the repository root::

    .venv/bin/python bench/bench_read.py [--rounds 30] [--file data/hbedb/BDS00001.txt.gz] [--profile]

All comparisons are interleaved in one process on the same file (HBEDB ``BDS00001``, 60 s at 100 Hz,
6,000 rows, gzip):

1. reading only: :func:`numpy.loadtxt` (the former reader), pandas' C parser (``read_csv``), and
   :func:`drivers.formats.read_any` (layout detection, gzip streamed within the caps, pandas' parser);
2. per file, what ``balance analyze --jobs 1`` does (:func:`balance.app.batch.analyze_file`)
   against "read with pandas + the same default pipeline" (target: at most 1.1x);
3. with ``--profile``, the default pipeline on the trial under :mod:`cProfile`: its top costs.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import pstats
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchkit import interleaved, ratio_line  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from balance.app.batch import _keep_freed_memory, analyze_file
    from balance.pipeline import analyze
    from balance.recording import Recording
    from drivers.formats import read_any

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--file", default=str(REPO / "data" / "hbedb" / "BDS00001.txt.gz"))
    ap.add_argument("--profile", action="store_true", help="profile the default pipeline on the trial")
    args = ap.parse_args(argv)
    path = args.file
    _keep_freed_memory()  # as `balance analyze` does

    def numpy_loadtxt() -> np.ndarray:
        with gzip.open(path, "rt") as fh:
            return np.loadtxt(fh, skiprows=1)

    def pandas_read() -> np.ndarray:
        return pd.read_csv(path, sep="\t", dtype=np.float64, engine="c").to_numpy()

    def pandas_pipeline() -> dict:
        a = pandas_read()
        rec = Recording(time_s=a[:, 0], cop_ml_mm=a[:, 8] * 10.0, cop_ap_mm=a[:, 7] * 10.0, total_kg=a[:, 3] / 9.80665,
                        fs_hz=100.0)
        return dict(analyze(rec).measures)

    ours_read = lambda: read_any(path)  # noqa: E731
    rec = read_any(path)
    assert np.array_equal(pandas_read()[:, 8] * 10.0, rec.cop_ml_mm), "the readers must agree"
    options = {"raw": False, "preset": "standard", "params": {}, "measures": None}
    assert analyze_file(path, options)["ok"]
    print(f"file: {path} ({len(rec)} samples, {rec.duration_s:.0f} s); {args.rounds} interleaved rounds")

    t = interleaved({"read_any": ours_read, "numpy.loadtxt": numpy_loadtxt, "pandas.read_csv": pandas_read},
                    rounds=args.rounds, warmup=2)
    print("reading only:")
    print("  " + ratio_line(t["read_any"], t["numpy.loadtxt"]))
    print("  " + ratio_line(t["pandas.read_csv"], t["read_any"]))

    t = interleaved({"pandas+pipeline": pandas_pipeline, "analyze_file": lambda: analyze_file(path, options)},
                    rounds=args.rounds, warmup=2)
    print("per file, read + default pipeline (target analyze_file/pandas+pipeline <= 1.1x):")
    print("  " + ratio_line(t["pandas+pipeline"], t["analyze_file"]))

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(50):
            analyze(rec)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        print("default pipeline on the trial, 50 calls under cProfile, top own-time costs:")
        print("\n".join(ln for ln in buf.getvalue().splitlines() if ln.strip())[:4000])
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
