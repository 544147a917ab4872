"""Benchmark the drivers: report throughput, and a simulated session recorded in real time.

Run on demand (not a test)::

    .venv/bin/python bench/bench_drivers.py                        # default: 0.5 min real-time run
    .venv/bin/python bench/bench_drivers.py --realtime-minutes 10  # the full 10-minute session

1. **Batch path** (recorded captures): N raw 0x34 reports (22 bytes each, built byte by byte like the
   fake board's) → :func:`drivers.wii_protocol.parse_data_reports` → tare offset → piecewise-linear
   calibration → temperature correction → known-mass profile (gains + CoP correction) →
   :func:`balance.cop.cop_from_corners`. Target ≥ 200,000 reports/s on one core. Median of ``--repeats``.
2. **Live path**: the real ``wii`` driver reading one report at a time from the byte-level fake
   (:class:`drivers.fake_wii.FakeWiiBoard`, virtual clock): reports/s including the fake's own work,
   against the board's 100 reports/s. Also :func:`drivers.wii_protocol.parse_report` alone.
3. **Simulated session**: ten simulated minutes as fast as possible (target well under 1 s), then
   ``--realtime-minutes`` of the simulated board at real time written with
   :class:`drivers.recording_file.RecordingWriter`: every sample the board produced must be in the
   file (compared, sample by sample, with the same seed run as fast as possible), and the lag of the
   writer behind the board clock is reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from balance.cop import cop_from_corners  # noqa: E402
from drivers import wii_protocol as wp  # noqa: E402
from drivers.calibration import CalibrationProfile, apply_profile  # noqa: E402
from drivers.fake_wii import KENNER_CALIBRATION, FakeWiiBoard, kg_to_raw  # noqa: E402
from drivers.recording_file import RecordingWriter, header_from_board, read_recording_file  # noqa: E402
from drivers.sim import SimulatedBoard  # noqa: E402
from drivers.wii import WiiBalanceBoard  # noqa: E402


def make_reports(n: int, seed: int = 0) -> np.ndarray:
    """N 0x34 reports as an (N, 22) uint8 array (sensor values big-endian in TR, BR, TL, BL order)."""
    rng = np.random.default_rng(seed)
    kg = 17.5 + rng.normal(0, 2.0, (n, 4))
    raw = kg_to_raw(kg, KENNER_CALIBRATION)  # TL, TR, BL, BR
    wire = raw[:, [1, 3, 0, 2]]  # TR, BR, TL, BL
    rep = np.zeros((n, 22), dtype=np.uint8)
    rep[:, 0] = 0x34
    rep[:, 3:11:2] = (wire >> 8).astype(np.uint8)
    rep[:, 4:12:2] = (wire & 0xFF).astype(np.uint8)
    rep[:, 11] = 0x17
    rep[:, 13] = 0x99
    return rep


def batch_pipeline(reports: np.ndarray, profile: CalibrationProfile, tare_counts: np.ndarray) -> np.ndarray:
    d = wp.parse_data_reports(reports)
    kg = wp.raw_to_kg(d["raw"] - tare_counts, KENNER_CALIBRATION)
    kg *= wp.temperature_correction_factor(d["temperature"], reference_temperature=KENNER_CALIBRATION.reference_temperature)[:, None]
    kg = apply_profile(kg, profile)
    r = cop_from_corners(kg[:, 0], kg[:, 1], kg[:, 2], kg[:, 3])
    return r.cop_ml_mm


def bench_batch(n: int, repeats: int) -> float:
    reports = make_reports(n)
    profile = CalibrationProfile(serial="bench", gains=(1.01, 0.99, 1.02, 0.98), cop_ml=(1.02, 0.5), cop_ap=(0.98, -0.3))
    tare = np.array([3.0, -2.0, 1.0, 0.0])
    # Check once that the batch path agrees with the per-report path on a few reports.
    ml = batch_pipeline(reports[:50], profile, tare)
    for i in range(0, 50, 10):
        rep = wp.parse_report(bytes(reports[i]))
        kg = wp.raw_to_kg(np.array(rep.raw) - tare, KENNER_CALIBRATION)  # type: ignore[union-attr]  # a data report by construction
        kg = kg * wp.temperature_correction_factor(rep.temperature, reference_temperature=KENNER_CALIBRATION.reference_temperature)  # type: ignore[union-attr]  # a data report by construction
        kg = apply_profile(kg, profile)
        assert abs(float(cop_from_corners(*kg).cop_ml_mm) - ml[i]) < 1e-9
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        batch_pipeline(reports, profile, tare)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"batch parse+calibrate+CoP: {n:,} reports, median {med * 1000:.1f} ms -> {n / med:,.0f} reports/s "
          f"(target >= 200,000/s; {n / med / 200_000:.1f}x)")  # fmt: skip
    return n / med


def bench_live(n: int) -> None:
    fake = FakeWiiBoard(load=lambda t: (10 + np.sin(t), 20.0, 15.0, 18.0))
    with WiiBalanceBoard(device=fake, clock=fake.now) as b:
        t0 = time.perf_counter()
        got = 0
        while got < n:
            if b.read(timeout_s=0.5) is not None:
                got += 1
        dt = time.perf_counter() - t0
    print(f"live path (wii driver + byte-level fake, one report at a time): {n / dt:,.0f} reports/s "
          f"({n / dt / 100:.0f}x the board's 100 reports/s)")  # fmt: skip
    reports = [bytes(r) for r in make_reports(n)]
    t0 = time.perf_counter()
    for r in reports:
        wp.parse_report(r)
    dt = time.perf_counter() - t0
    print(f"parse_report alone: {n / dt:,.0f} reports/s")


def bench_sim_fast(minutes: float) -> None:
    t0 = time.perf_counter()
    with SimulatedBoard(seed=1, stance="left") as b:
        a = b.read_arrays(minutes * 60)
    dt = time.perf_counter() - t0
    print(f"simulated {minutes:g} min as fast as possible: {len(a):,} samples in {dt:.3f} s")


def bench_sim_realtime(minutes: float) -> bool:
    seconds = minutes * 60
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "session.csv"
        lags = []
        with SimulatedBoard(seed=7, stance="both", realtime=True) as b, RecordingWriter(path, header=header_from_board(b)) as w:
            t_end = b.start_s + seconds
            b.person.schedule([(b.start_s + seconds * f, "cue", {"instruction": c}) for f, c in
                               ((0.2, "stand_left"), (0.4, "rest"), (0.6, "stand_right"), (0.8, "rest"))])  # fmt: skip
            n = 0
            while True:
                s = b.read(timeout_s=1.0)
                if s is None:
                    continue
                if s.t_s >= t_end:
                    break
                w.write(s)
                lags.append(time.monotonic() - s.t_s)
                n += 1
        back = read_recording_file(path)
    # The same seed and plan, as fast as possible: the board's own sample stream, to compare against.
    with SimulatedBoard(seed=7, stance="both") as ref:
        ref.person.schedule([(seconds * f, "cue", {"instruction": c}) for f, c in
                             ((0.2, "stand_left"), (0.4, "rest"), (0.6, "stand_right"), (0.8, "rest"))])  # fmt: skip
        expected = ref.read_arrays(seconds)
    same = len(back.time_s) == len(expected) and np.allclose(back.corners_kg, expected.corners_kg, atol=5e-5)
    lag = np.array(lags)
    print(f"simulated session at real time: {minutes:g} min, {n:,} samples written, {len(back.time_s):,} read back, "
          f"{len(expected):,} expected -> {'no sample lost' if same else 'MISMATCH'}; complete={back.complete}; "
          f"writer lag median {np.median(lag) * 1000:.2f} ms, max {lag.max() * 1000:.1f} ms")  # fmt: skip
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=1_000_000, help="reports in the batch benchmark")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--live-reports", type=int, default=20_000)
    ap.add_argument("--realtime-minutes", type=float, default=0.5, help="real-time simulated session length (10 = full)")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores (one used)")
    bench_batch(args.reports, args.repeats)
    bench_live(args.live_reports)
    bench_sim_fast(10.0)
    ok = bench_sim_realtime(args.realtime_minutes) if args.realtime_minutes > 0 else True
    return 0 if ok else 1


if __name__ == "__main__":
    from benchkit import run_bench  # machine, versions and load before/after

    raise SystemExit(run_bench(main, __doc__))
