"""Benchmark of the protocol engine and its live detectors on the simulated board.

Run on demand: ``.venv/bin/python bench/bench_protocols.py [--sessions 10]``. Prints medians:

1. engine throughput: a full default single-leg session (6 x 30 s trials, fast simulated board),
   wall time per session and samples handled per second (board reading, sink, listeners,
   live detection and the analysis of every trial included);
2. the simulated board alone over the same number of samples (the part of 1 that is the board);
3. live failure detection: for touch-down, step-off and hop at random times, the error of the
   reported onset (board time) and the latency from the true event to the moment the live
   detector reported it (board time: what a person on a real board would wait).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from drivers.sim import SimulatedBoard
from protocols import events as ev
from protocols.engine import Engine
from protocols.library import get_protocol
from protocols.listeners import CollectingListener
from protocols.retry import NoRetry


def bench_engine(n: int) -> tuple[float, float, int]:
    spec = get_protocol("single-leg")
    walls, rates, counts = [], [], []
    for seed in range(n):
        with SimulatedBoard(seed=seed) as b:
            col = CollectingListener()
            t0 = time.perf_counter()
            Engine(spec, b, listeners=[col]).run()
            dt = time.perf_counter() - t0
        walls.append(dt)
        rates.append(col.n_samples / dt)
        counts.append(col.n_samples)
    return statistics.median(walls), statistics.median(rates), int(statistics.median(counts))


def bench_board(n_samples: int, n: int) -> float:
    rates = []
    for seed in range(n):
        with SimulatedBoard(seed=seed) as b:
            t0 = time.perf_counter()
            for _ in range(n_samples):
                b.read(0)
            rates.append(n_samples / (time.perf_counter() - t0))
    return statistics.median(rates)


class _Probe:
    """Triggers an action 4-8 s into the first trial; records the report time."""

    def __init__(self, board: SimulatedBoard, action: str, rng: np.random.Generator) -> None:
        self.board = board
        self.action = action
        self.offset = float(rng.uniform(4.0, 8.0))
        self.true_s: float | None = None
        self.reported: tuple[str, float, float] | None = None
        self.start_s = 0.0

    def on_event(self, e: object) -> None:
        if isinstance(e, ev.TrialStarted) and self.true_s is None:
            self.start_s = e.at_s
            self.true_s = e.at_s + self.offset
            p = self.board.person
            if self.action == "touch_down":
                p.touch_down(at_s=self.true_s, duration_s=0.5, fraction=float(np.random.default_rng(1).uniform(0.15, 0.4)))
            else:
                getattr(p, self.action)(at_s=self.true_s)
        if isinstance(e, ev.FailureDetected) and self.reported is None:
            self.reported = (e.kind, self.start_s + e.t_s, e.at_s)


def bench_detection(n: int) -> dict[str, tuple[float, float, float, int]]:
    spec = get_protocol("single-leg", trials_per_side=1, duration_s=15.0, rest_s=1.0)
    out = {}
    for action in ("touch_down", "step_off", "hop"):
        errs, lats, hits = [], [], 0
        for seed in range(n):
            rng = np.random.default_rng(seed)
            with SimulatedBoard(seed=seed) as b:
                probe = _Probe(b, action, rng)
                Engine(spec, b, listeners=[probe], retry=NoRetry()).run()
            if probe.reported is not None and probe.true_s is not None:
                kind, onset, at = probe.reported
                hits += kind == action
                errs.append(abs(onset - probe.true_s))
                lats.append(at - probe.true_s)
        out[action] = (statistics.median(errs), max(errs), statistics.median(lats), hits)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10, help="sessions/trials per figure (default 10)")
    a = ap.parse_args()
    wall, rate, count = bench_engine(a.sessions)
    print(f"engine, default single-leg session (6 x 30 s, {count} samples): median {wall:.2f} s wall, "
          f"{rate:,.0f} samples/s ({rate / 100:.0f}x real time at 100 reports/s)")  # fmt: skip
    board_rate = bench_board(count, max(3, a.sessions // 3))
    print(f"simulated board alone: median {board_rate:,.0f} samples/s")
    for action, (med, worst, lat, hits) in bench_detection(a.sessions).items():
        print(f"live {action:<10}: {hits}/{a.sessions} found as {action}; onset error median {med * 1000:.0f} ms, "
              f"worst {worst * 1000:.0f} ms; reported {lat * 1000:.0f} ms after the event (median, board time)")  # fmt: skip


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
