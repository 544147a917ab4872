"""Segmentation accuracy on simulated continuous sessions (issue 10).

Run on demand from the repository root::

    .venv/bin/python bench/bench_segment.py [--seeds 20]

Each session (``tests/protocols/test_segment.py::sim_session``: four single-leg stances of 5-23 s, a hop, a
touch-down; six true stances) is simulated with both report timings (``hid`` ~100 reports/s, ``polled``
40 Hz with drop-outs) and segmented with :func:`protocols.segment.segment`. Printed per timing: stances
found / expected, sides right, stances invented (not overlapping a true one), and the start and end
errors (median and largest, s).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from protocols.segment import segment  # noqa: E402
from tests.protocols.test_segment import sim_session  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    n_seeds = ap.parse_args().seeds
    for timing in ("hid", "polled"):
        found = expected = sides = invented = 0
        d_start, d_end = [], []
        for seed in range(100, 100 + n_seeds):
            rec, truth = sim_session(timing, seed)
            got = segment(rec)
            expected += len(truth)
            for s in got:
                match = [tr for tr in truth if tr[1] < s.end_s and s.start_s < tr[2]]
                if not match:
                    invented += 1
                    continue
                tr = min(match, key=lambda x: abs(x[1] - s.start_s))
                found += 1
                sides += s.side == tr[0]
                d_start.append(abs(s.start_s - tr[1]))
                d_end.append(abs(s.end_s - tr[2]))
        print(f"{timing}: {found}/{expected} stances found, {sides} sides right, {invented} invented; "
              f"start error median {np.median(d_start):.3f} s, max {np.max(d_start):.3f} s; "
              f"end error median {np.median(d_end):.3f} s, max {np.max(d_end):.3f} s")


if __name__ == "__main__":
    main()
