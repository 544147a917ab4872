"""Benchmark: peak memory of `balance analyze` on a 60 s trial, on the largest file the caps accept, and on
files the caps refuse.

Run on demand from the repository root::

    .venv/bin/python bench/bench_memory.py [--skip-largest]

Each case runs ``balance analyze --json --jobs 1`` in a fresh subprocess and reports its peak resident
memory (``ru_maxrss`` of the child) and wall time:

* the shipped HBEDB trial BDS00001 (60 s, 100 Hz), default pipeline and ``--preset quijoux``;
* the largest accepted file: a CoP CSV and an HBEDB-layout file of 2,000,000 rows (the row cap,
  5.6 h at 100 Hz, under the 6 h duration cap), default pipeline;
* refused inputs: a 2 KB corner CSV of 50 rows 10**6 s apart through ``--preset quijoux``, the same
  with the duration cap raised (then the resampled-grid cap refuses it), ``--fs-hz 1e9`` on the 60 s
  trial, and a gzip bomb (a few MB that inflate to 1 GiB).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _balance() -> list[str]:
    script = Path(sys.executable).with_name("balance")
    return [str(script)] if script.exists() else [sys.executable, "-m", "balance.app"]


def peak(argv: list[str]) -> tuple[float, float, int, str]:
    """Peak RSS (MiB) of the child, wall time (s), exit code, last stderr line."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "wall = time.perf_counter() - t0\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "err = (p.stderr.strip().splitlines() or [''])[-1]\n"
        "print(r.ru_maxrss, wall, p.returncode, err, sep='\\t')\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *_balance(), "analyze", "--json", "--jobs", "1", *argv],
                         capture_output=True, text=True, check=True).stdout
    kib, wall, rc, err = out.rstrip("\n").split("\t", 3)
    return int(kib) / 1024.0, float(wall), int(rc), err


def _sway(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = np.ones(50) / 50
    ml = np.convolve(np.cumsum(rng.normal(0, 0.05, n + 49)), k, mode="valid")
    ap = np.convolve(np.cumsum(rng.normal(0, 0.08, n + 49)), k, mode="valid")
    # keep the walk bounded like a real stance: a slow pull back to the centre every 10 s
    for a in (ml, ap):
        a -= np.repeat(a[:: 1000], 1000)[:n]
    return ml, ap


def main(argv: list[str] | None = None) -> int:
    from balance.recording import Recording
    from drivers.formats import DEFAULT_LIMITS, write_cop_csv, write_hbedb

    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--skip-largest", action="store_true", help="skip the 2,000,000-row files")
    args = ap_.parse_args(argv)
    trial = str(REPO / "data" / "hbedb" / "BDS00001.txt.gz")
    folder = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    try:
        cases: list[tuple[str, list[str]]] = [
            ("60 s HBEDB trial, default pipeline", [trial]),
            ("60 s HBEDB trial, --preset quijoux", ["--preset", "quijoux", trial]),
        ]
        if not args.skip_largest:
            n = DEFAULT_LIMITS.max_rows
            ml, ap = _sway(n)
            rec = Recording(time_s=np.round(np.arange(n) / 100.0, 2), cop_ml_mm=ml, cop_ap_mm=ap,
                            total_kg=np.full(n, 70.0), fs_hz=100.0)
            cop = write_cop_csv(folder / "largest_cop.csv", rec)
            hb = write_hbedb(folder / "largest_hbedb.txt", rec)
            cases += [
                (f"largest accepted CoP CSV: {n:,} rows, {cop.stat().st_size / 2**20:.0f} MiB, default pipeline",
                 [str(cop)]),
                (f"largest accepted HBEDB layout: {n:,} rows, {hb.stat().st_size / 2**20:.0f} MiB, default pipeline",
                 [str(hb)]),
            ]
        corners = folder / "corners.csv"
        corners.write_text("time_s,tl_kg,tr_kg,bl_kg,br_kg\n" + "".join(
            f"{i * 1e6:.1f},17.{i % 9},18.{i % 7},17.{i % 5},18.{i % 3}\n" for i in range(50)))
        bomb = folder / "bomb.csv.gz"
        with gzip.open(bomb, "wb", compresslevel=9) as fh:
            fh.write(b"time_s,cop_ml_mm,cop_ap_mm\n")
            block = b"0.0,0.0,0.0\n" * (2**20 // 12)
            for _ in range(1024):
                fh.write(block)
        cases += [
            (f"refused: corner CSV of {corners.stat().st_size:,} bytes, rows 1e6 s apart, --preset quijoux",
             ["--preset", "quijoux", str(corners)]),
            ("refused: the same with --max-duration-s 1e9 (grid cap)",
             ["--preset", "quijoux", "--max-duration-s", "1e9", str(corners)]),
            ("refused: --fs-hz 1e9 on the 60 s trial", ["--fs-hz", "1e9", trial]),
            (f"refused: gzip bomb of {bomb.stat().st_size / 2**20:.1f} MiB inflating to 1 GiB", [str(bomb)]),
        ]
        for label, argv_ in cases:
            mib, wall, rc, err = peak(argv_)
            msg = f" | {err[:150]}" if rc else ""
            print(f"{label}: peak RSS {mib:.0f} MiB, {wall:.2f} s, exit {rc}{msg}")
            sys.stdout.flush()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
