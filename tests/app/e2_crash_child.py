"""Child process for test_crash_safety: records trials into a history database until killed.

Usage: python e2_crash_child.py DB_PATH SEED [synthetic|engine]. Prints ``committed <trial id> <raw path>``
(flushed) after each trial's transaction has committed.

``synthetic`` writes made-up trials through the raw sink and the store as fast as it can;
``engine`` runs the real single-leg protocol on the simulated board through
:func:`balance.app.runner.run_session` (raw file per trial, one commit per trial), session after session.
"""

from __future__ import annotations

import sys

import numpy as np
from e2_factories import make_trial

from balance.app.sink import RawFileSink
from balance.app.store import Store
from drivers.base import Sample


class PrintCommitted:
    """Listener after the runner's StoreRecorder: the trial it just committed is the newest row."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def on_event(self, event: object) -> None:
        if type(event).__name__ == "TrialEnded":
            tid, path = self.store._db.execute("SELECT id, raw_path FROM trials ORDER BY id DESC LIMIT 1").fetchone()
            print(f"committed {tid} {path}", flush=True)


def engine_mode(store: Store, seed: int) -> None:
    from balance.app.runner import run_session
    from drivers.sim import SimulatedBoard
    from protocols.library import get_protocol

    athlete = store.find_athlete("Crash") or store.add_athlete("Crash")
    spec = get_protocol("single-leg", duration_s=5.0, rest_s=1.0)
    k = 0
    while True:
        k += 1
        with SimulatedBoard(seed=seed * 100 + k, ml_sway_ratio_right_over_left=1.3) as board:
            run_session(store, athlete, spec, board, listeners=[PrintCommitted(store)])


def main() -> None:
    db, seed = sys.argv[1], int(sys.argv[2])
    store = Store.open(db)
    if len(sys.argv) > 3 and sys.argv[3] == "engine":
        engine_mode(store, seed)
        return
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
