"""Benchmark ``balance analyze`` end to end, and ``balance --help`` start-up.

Run on demand (not a test)::

    .venv/bin/python bench/bench_analyze.py            # 2,000 files, --help x 10
    .venv/bin/python bench/bench_analyze.py --files 200 --serial

1. A batch of synthetic 60 s, 100 Hz trials (the size of the whole HBEDB: 2,000 files), written as
   HBEDB-layout text files (``drivers.formats.write_hbedb``) to a temporary folder, through
   ``balance analyze --json`` in a subprocess. Target: at most 20 s on this 2-core machine, every
   core used. Prints wall time and files/s (and, with ``--serial``, the same with ``--jobs 1``
   and the speed-up).
2. ``balance --help`` and ``balance analyze --help`` wall time, median of ``--help-runs``
   subprocess runs. Target: at most 0.3 s.

The synthetic CoP is a realistic quiet-standing sway: per axis, Gaussian noise low-passed at 0.3 Hz
plus a smaller part low-passed at 1.5 Hz (2nd-order Butterworth), scaled so that the AP sway
(RMS ~4 mm) is about twice the ML sway (~2 mm) and the mean speed is ~8.5 mm/s, near the HBEDB
bipedal values (``docs/methods.md`` §4.3).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FS_HZ = 100.0
DURATION_S = 60.0


def _band(rng: np.random.Generator, n: int, *, corner_hz: float, sd: float) -> np.ndarray:
    """Gaussian noise low-passed by a 2nd-order Butterworth at ``corner_hz``, scaled to ``sd``."""
    from scipy.signal import butter, sosfilt

    sos = butter(2, corner_hz, fs=FS_HZ, output="sos")
    y = sosfilt(sos, rng.normal(0.0, 1.0, n + 500))[500:]  # drop the filter's start-up
    return y * (sd / y.std())


def synthetic_trial(seed: int) -> "object":
    """One 60 s, 100 Hz bipedal-stance recording (CoP in mm)."""
    from balance.recording import Recording

    rng = np.random.default_rng(seed)
    n = int(DURATION_S * FS_HZ)
    ml = _band(rng, n, corner_hz=0.3, sd=2.0) + _band(rng, n, corner_hz=1.5, sd=0.3) + rng.normal(0, 5)
    ap = _band(rng, n, corner_hz=0.3, sd=4.0) + _band(rng, n, corner_hz=1.5, sd=0.5) - 40 + rng.normal(0, 10)
    t = np.round(np.arange(1, n + 1) / FS_HZ, 2)
    total = 70.0 + _band(rng, n, corner_hz=1.0, sd=0.3)
    return Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap, total_kg=total, fs_hz=FS_HZ)


def _write_one(args: tuple[str, int]) -> str:
    from drivers.formats import write_hbedb

    path, seed = args
    write_hbedb(path, synthetic_trial(seed))
    return path


def make_batch(folder: Path, n_files: int) -> list[str]:
    """Write ``n_files`` HBEDB-layout trials to ``folder`` (reused when already complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [str(folder / f"SYN{i:05d}.txt") for i in range(n_files)]
    todo = [(p, i) for i, p in enumerate(paths) if not os.path.exists(p)]
    if todo:
        t0 = time.perf_counter()
        with ProcessPoolExecutor() as ex:
            list(ex.map(_write_one, todo, chunksize=32))
        print(f"wrote {len(todo)} synthetic trials in {time.perf_counter() - t0:.1f} s to {folder}", file=sys.stderr)
    return paths


def balance_cmd() -> list[str]:
    script = Path(sys.executable).with_name("balance")
    return [str(script)] if script.exists() else [sys.executable, "-m", "balance.app"]


def time_batch(paths: list[str], extra: list[str], baseline: Path | None = None) -> tuple[float, float, dict]:
    """Wall time (s), CPU time of the command and its workers (s), and its JSON output.

    With ``baseline`` (a checkout of another commit), that commit's ``balance`` runs instead, in this
    interpreter (its folder first on ``PYTHONPATH``).
    """
    import resource

    cmd = [*balance_cmd(), "analyze", "--json", "--quiet", *extra, *paths]
    env = None
    if baseline is not None:
        cmd = [sys.executable, "-m", "balance.app", *cmd[len(balance_cmd()):]]
        env = {**os.environ, "PYTHONPATH": str(baseline)}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"balance analyze failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, cpu, json.loads(proc.stdout)


def time_help(argv: list[str], runs: int) -> list[float]:
    cmd = [*balance_cmd(), *argv]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


def per_file_breakdown(path: str, repeats: int = 50) -> None:
    """Median in-process time (ms) of reading one file and of analysing it (this process, one core)."""
    from balance.app.batch import _keep_freed_memory
    from balance.pipeline import analyze
    from drivers.formats import read_any

    _keep_freed_memory()  # as `balance analyze` does
    rec = read_any(path)

    def med(f) -> float:  # type: ignore[no-untyped-def]  # a local helper of a script
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts) * 1e3

    print(
        f"  per file, in process: read_any {med(lambda: read_any(path)):.2f} ms, "
        f"analyze (default pipeline) {med(lambda: analyze(rec)):.2f} ms, "
        f"analyze --raw {med(lambda: analyze(rec, raw=True)):.2f} ms (medians of {repeats})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000, help="synthetic trials in the batch (default 2000)")
    ap.add_argument("--dir", type=Path, help="folder for the synthetic files (kept; reused when complete)")
    ap.add_argument("--serial", action="store_true", help="also time the batch with --jobs 1")
    ap.add_argument("--raw", action="store_true", help="analyse with --raw instead of the default pipeline")
    ap.add_argument("--help-runs", type=int, default=10, help="runs of `balance --help` (default 10)")
    ap.add_argument("--baseline", type=Path, help="a checkout of another commit (git archive COMMIT | tar -x -C DIR): "
                    "its batch and --help are timed interleaved with ours and the ratios printed")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds with --baseline (default 2)")
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, numpy {np.__version__}")
    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.mkdtemp(prefix="bench_analyze_")
        folder = Path(tmp)
    try:
        paths = make_batch(folder, args.files)
        extra = ["--raw"] if args.raw else []
        load_before = os.getloadavg()[0]
        wall, cpu, doc = time_batch(paths, extra)
        assert len(doc["results"]) == len(paths) and not doc["errors"], "every synthetic file must be analysed"
        v = np.array([r["measures"].get("mean_velocity_mm_s", np.nan) for r in doc["results"]], dtype=float)
        print(
            f"batch: {len(paths)} files x {DURATION_S:.0f} s @ {FS_HZ:.0f} Hz (HBEDB layout), "
            f"`balance analyze --json{' --raw' if args.raw else ''}`: wall {wall:.2f} s, "
            f"{len(paths) / wall:.0f} files/s (target <= 20 s for 2000 files)"
        )
        print(
            f"  CPU time of the command and its workers {cpu:.2f} s ({cpu / len(paths) * 1e3:.1f} ms per file; "
            f"{cpu / wall:.2f} cores busy on average); 1-min load average before the run {load_before:.2f} "
            "(other processes on the machine slow the wall time down)"
        )
        print(f"  sanity: median mean_velocity_mm_s = {np.nanmedian(v):.2f} mm/s over the batch")
        per_file_breakdown(paths[0])
        if args.baseline is not None:
            from benchkit import Timing, ratio_line

            for jobs_extra in ([], ["--jobs", "1"]):
                ours, base = Timing("this commit"), Timing("baseline")
                cpus: dict[str, list[float]] = {"ours": [], "base": []}
                for _ in range(args.rounds):
                    w, c, _ = time_batch(paths, [*extra, *jobs_extra])
                    ours.times.append(w)
                    cpus["ours"].append(c)
                    w, c, _ = time_batch(paths, [*extra, *jobs_extra], baseline=args.baseline)
                    base.times.append(w)
                    cpus["base"].append(c)
                label = " ".join(jobs_extra) or "every core"
                print(f"  batch, {label}, interleaved with {args.baseline}: " + ratio_line(ours, base))
                print(f"    CPU per file: this commit {min(cpus['ours']) / len(paths) * 1e3:.1f} ms, baseline "
                      f"{min(cpus['base']) / len(paths) * 1e3:.1f} ms (minima)")
        if args.serial:
            wall1, cpu1, _ = time_batch(paths, [*extra, "--jobs", "1"])
            print(
                f"  --jobs 1: wall {wall1:.2f} s, {len(paths) / wall1:.0f} files/s, CPU {cpu1:.2f} s; "
                f"speed-up with every core {wall1 / wall:.2f}x"
            )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    if args.baseline is not None:
        from benchkit import interleaved, ratio_line

        base_env = {**os.environ, "PYTHONPATH": str(args.baseline)}

        def base_help() -> None:
            subprocess.run([sys.executable, "-m", "balance.app", "--help"], capture_output=True, check=True, env=base_env)

        def our_help() -> None:
            subprocess.run([sys.executable, "-m", "balance.app", "--help"], capture_output=True, check=True)

        t = interleaved({"this commit": our_help, "baseline": base_help}, rounds=args.help_runs)
        print("python -m balance.app --help, interleaved: " + ratio_line(t["this commit"], t["baseline"]))
    for label, argv_ in (("balance --help", ["--help"]), ("balance analyze --help", ["analyze", "--help"])):
        ts = time_help(argv_, args.help_runs)
        print(
            f"{label}: median {statistics.median(ts) * 1e3:.0f} ms over {len(ts)} runs "
            f"(min {min(ts) * 1e3:.0f}, max {max(ts) * 1e3:.0f}; target <= 300 ms)"
        )
    return 0


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
