"""Child process for test_crash_safety: records trials into a history database until killed.

Usage: python e2_crash_child.py DB_PATH SEED. Prints ``committed <trial id> <raw path>`` (flushed)
after each trial's transaction has committed.
"""

from __future__ import annotations

import sys

import numpy as np

from balance.app.sink import RawFileSink
from balance.app.store import Store
from drivers.base import Sample
from e2_factories import make_trial


def main() -> None:
    db, seed = sys.argv[1], int(sys.argv[2])
    store = Store.open(db)
    athlete = store.find_athlete("Crash") or store.add_athlete("Crash")
    sid = store.start_session(athlete, protocol="single_leg")
    sink = RawFileSink(store.athlete_raw_dir(athlete) / f"session_{sid}", flush_interval_s=0.0, fsync=False)
    rng = np.random.default_rng(seed)
    k = 0
    while True:
        k += 1
        side = "left" if k % 2 else "right"
        trial = make_trial(side, k, seed=seed * 1000 + k, n=int(rng.integers(50, 400)),
                           measures={f"m{j}_mm": float(rng.normal()) for j in range(20)})  # fmt: skip
        w = sink.open_trial({"side": side, "trial_index": k, "condition": "eyes_open"})
        rec = trial.recording
        for i in range(len(rec)):
            c = rec.corners_kg[i]
            w.write(Sample(float(rec.time_s[i]), float(c[0]), float(c[1]), float(c[2]), float(c[3])))
        w.close("complete")
        tid = store.add_trial(sid, trial, raw_path=w.path)
        print(f"committed {tid} {w.path}", flush=True)


if __name__ == "__main__":
    main()
