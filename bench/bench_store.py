"""History store and export speed: run on demand, prints medians (never a timed unit test).

    python bench/bench_store.py [--sessions 100]

Measures, on a temporary database: committing one 30 s / 100 Hz trial with ~110 measures
(samples blob included, ``synchronous=FULL``), loading a session of 6 trials with samples,
a 100-session history query, the full CSV export, and ``balance demo`` end to end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from balance.app.export import export_history  # noqa: E402
from balance.app.store import Store  # noqa: E402
from balance.model import TrialRecord  # noqa: E402
from balance.recording import Recording  # noqa: E402


def _trial(side: str, k: int, rng: np.random.Generator, keys: list[str]) -> TrialRecord:
    n = 3000
    t = np.arange(n) / 100.0
    corners = 17.5 + rng.normal(0, 0.5, size=(n, 4))
    rec = Recording.from_corners(t, corners, fs_hz=100.0)
    return TrialRecord(
        protocol="single_leg", side=side, condition="eyes_open", trial_index=k, practice=False, valid=True,
        status="complete", failure_kind=None, failure_time_s=None, duration_s=30.0, planned_duration_s=30.0,
        recording=rec, start_s=0.0, end_s=30.0, analysis_window_s=(2.0, 30.0),
        params={"fs_hz": 100.0}, measures={k_: float(rng.normal()) for k_ in keys},
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=100)
    args = ap.parse_args()
    from balance.sway import MEASURES

    keys = list(MEASURES)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "b.db")
        a = store.add_athlete("Bench")
        t0 = datetime(2025, 1, 6, tzinfo=timezone.utc)
        commit_s = []
        for s in range(args.sessions):
            sid = store.start_session(a, protocol="single_leg", started_at=t0 + timedelta(weeks=s))
            for k in range(1, 4):
                for side in ("left", "right"):
                    tr = _trial(side, k, rng, keys)
                    c = time.perf_counter()
                    store.add_trial(sid, tr)
                    commit_s.append(time.perf_counter() - c)
            store.finish_session(sid)
        print(f"add_trial (30 s at 100 Hz, {len(keys)} measures, samples blob, synchronous=FULL): "
              f"median {1e3 * statistics.median(commit_s):.2f} ms over {len(commit_s)} trials")
        load = []
        for sid in rng.integers(1, args.sessions + 1, size=20):
            c = time.perf_counter()
            store.session(int(sid))
            load.append(time.perf_counter() - c)
        print(f"session(id) with 6 recordings: median {1e3 * statistics.median(load):.2f} ms")
        hist = []
        for _ in range(20):
            c = time.perf_counter()
            store.history(a, "mean_velocity_ml_mm_s")
            hist.append(time.perf_counter() - c)
        print(f"history(athlete, measure) over {args.sessions} sessions: median {1e3 * statistics.median(hist):.2f} ms")
        c = time.perf_counter()
        res = export_history(store, None, Path(tmp) / "export")
        dt = time.perf_counter() - c
        size = sum(f.stat().st_size for f in res.files)
        print(f"export {res.n_trials} trials with samples: {dt:.2f} s ({res.n_trials / dt:.0f} trials/s, {size / 1e6:.1f} MB)")
        print(f"database size: {store.path.stat().st_size / 1e6:.1f} MB for {res.n_trials} trials")
        store.close()
        runs = []
        for _ in range(3):
            c = time.perf_counter()
            subprocess.run([sys.executable, "-m", "balance.app", "demo", "--home", tmp, "--no-report"], check=True,
                           capture_output=True, cwd=ROOT)  # fmt: skip
            runs.append(time.perf_counter() - c)
        print(f"balance demo --no-report (3 weekly sessions, 18 trials x 30 s): median {statistics.median(runs):.2f} s")
        c = time.perf_counter()
        subprocess.run([sys.executable, "-m", "balance.app", "demo", "--home", tmp], check=True, capture_output=True,
                       cwd=ROOT, env={**__import__("os").environ, "MPLBACKEND": "Agg"})  # fmt: skip
        print(f"balance demo with report and progress chart: {time.perf_counter() - c:.2f} s")


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
