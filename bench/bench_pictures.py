"""Benchmark the pictures: live-view frame time, and the time to write a report and a progress chart.

Run on demand (not a test)::

    .venv/bin/python bench/bench_pictures.py            # 400 frames, 5 report/progress runs
    .venv/bin/python bench/bench_pictures.py --frames 1000 --runs 10

1. Live view (Agg, headless, 13 x 6.5 in figure at 100 dpi): samples from the simulated board at its
   ~100 reports/s, 4 per frame (25 frames/s), pushed through ``on_sample``; per frame the median
   time of ``update()`` (drain the queue, move the artists) and of ``update()`` + ``render()``
   (a full ``canvas.draw``). Target: frames/s >= 20, i.e. <= 50 ms per frame. Also the median cost
   of ``on_sample`` (what the recorder thread pays per sample): a queue put.
2. ``write_session_report`` (PDF and PNG at 150 dpi) and ``write_progress`` (PDF, 3 measures,
   20 weekly sessions) on a simulated single-leg session: median wall time of ``--runs`` runs.
3. With ``--window`` (needs a display, e.g. ``xvfb-run``): the real window path, ``run_live``
   with the TkAgg backend, a simulated single-leg test paced to about 12x real time; prints the
   frames per second while the test ran and checks every sample reached the view.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def bench_live(frames: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from balance.app.live import LiveView
    from drivers.sim import SimulatedBoard
    from protocols import events as ev

    with SimulatedBoard(seed=1, stance="left", mass_kg=70.0) as board:
        samples = [board.read(timeout_s=1.0) for _ in range(4 * frames)]
    view = LiveView(fig=Figure(figsize=(13.0, 6.5), dpi=100), body_mass_kg=70.0)
    view.on_event(ev.TrialStarted("left", 1, duration_s=30.0))
    put = []
    upd = []
    full = []
    for i in range(frames):
        for s in samples[4 * i : 4 * i + 4]:
            t0 = time.perf_counter()
            view.on_sample(s)
            put.append(time.perf_counter() - t0)
        view.on_event(ev.Elapsed(i / 25.0, duration_s=30.0))
        t0 = time.perf_counter()
        view.update()
        t1 = time.perf_counter()
        view.render()
        t2 = time.perf_counter()
        upd.append(t1 - t0)
        full.append(t2 - t0)
    m_put, m_upd, m_full = (statistics.median(x) for x in (put, upd, full))
    print(f"live view, {frames} frames of 4 samples (Agg, 1300x650 px):")
    print(f"  on_sample (recorder side)   median {1e6 * m_put:8.2f} us")
    print(f"  update()                    median {1e3 * m_upd:8.2f} ms")
    print(f"  update() + render()         median {1e3 * m_full:8.2f} ms  -> {1 / m_full:5.0f} frames/s "
          f"(target >= 20); 95th percentile {1e3 * sorted(full)[int(0.95 * len(full))]:.1f} ms")


def bench_files(runs: int) -> None:
    import numpy as np

    from balance.app.progress_chart import write_progress
    from balance.app.report import write_session_report
    from balance.app.store import HistoryPoint
    from drivers.sim import SimulatedBoard
    from protocols.engine import Engine
    from protocols.library import get_protocol

    session = Engine(get_protocol("single-leg"), SimulatedBoard(seed=3, ml_sway_ratio_right_over_left=1.4),
                     athlete="B").run().record
    rng = np.random.default_rng(0)
    d0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
    hist = {}
    for m in ("mean_velocity_ml_mm_s", "mean_velocity_mm_s", "prediction_ellipse_area_mm2"):
        hist[m] = [HistoryPoint(i, (d0 + timedelta(weeks=i)).isoformat(), "single_leg", "eyes_open", side, m,
                                tuple(20 + rng.normal(0, 2, 3)), 20.0, 2.0)
                   for i in range(20) for side in ("left", "right")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (
            ("report PDF", lambda: write_session_report(session, Path(tmp) / "r.pdf")),
            ("report PNG 150 dpi", lambda: write_session_report(session, Path(tmp) / "r.png")),
            ("progress PDF, 3 measures x 20 sessions", lambda: write_progress(hist, Path(tmp) / "p.pdf")),
        ):
            ts = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            print(f"  {name:<40s} median {statistics.median(ts):6.2f} s over {runs} runs")


def bench_window(fps: float) -> None:
    import matplotlib

    matplotlib.use("TkAgg")
    from balance.app.live import LiveView, display_available, run_live
    from drivers.sim import SimulatedBoard
    from protocols import events as ev
    from protocols.engine import Engine
    from protocols.library import get_protocol

    if not display_available():
        print("window: no display (run under xvfb-run or on a desktop)")
        return

    class Pace:  # about 12x real time, so the window has a test to show
        n = 0

        def on_sample(self, sample: object) -> None:
            self.n += 1
            time.sleep(0.0008)

    pace = Pace()
    view = LiveView(body_mass_kg=70.0)
    marks: list[tuple[float, int]] = []

    class Mark:
        def on_event(self, e: object) -> None:
            if isinstance(e, (ev.TrialStarted, ev.SessionEnded)):
                marks.append((time.monotonic(), view.frames))

    engine = Engine(get_protocol("single-leg", trials_per_side=1, duration_s=10.0),
                    SimulatedBoard(seed=3, mass_kg=70.0), athlete="bench", listeners=[pace, view, Mark()])
    result = run_live(engine.run, view=view, stop=engine.stop, fps=fps, linger_s=0.3)
    (ta, fa), (tb, fb) = marks[0], marks[-1]
    print(f"window ({matplotlib.get_backend()}, target {fps:g} frames/s): {(fb - fa) / (tb - ta):.1f} frames/s "
          f"while the test ran; {view.samples_seen} of {pace.n} samples drawn; session {result.status}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--window", action="store_true", help="only the real window path (needs a display)")
    ap.add_argument("--fps", type=float, default=30.0, help="target frames/s of the window")
    a = ap.parse_args()
    if a.window:
        bench_window(a.fps)
        return
    bench_live(a.frames)
    print("files:")
    bench_files(a.runs)


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
