"""Shared helpers of the benchmarks: where a figure was measured, and comparisons made in one run.

Every bench prints :func:`machine_header` first (CPU model, cores, Python and library versions, BLAS,
1-minute load average before the run) and :func:`load_footer` last (the load average after), so a
figure always comes with the machine and the load it was measured under. Comparisons use
:func:`interleaved`: the contenders are called in turn (A, B, A, B, ...) on the same data, so a burst
of other work on a shared machine hits both alike, and :func:`ratio_line` reports the minimum and the
median of each and the ratios of both (the ratio of minima is the least sensitive to other load).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["machine_header", "load_footer", "interleaved", "ratio_line", "run_bench", "Timing", "load_average"]


def load_average() -> tuple[float, float, float]:
    """The 1-, 5- and 15-minute load averages (NaN where the system has none)."""
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        nan = float("nan")
        return (nan, nan, nan)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions(names: Sequence[str]) -> str:
    from importlib import metadata

    out = []
    for name in names:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} -")
    return ", ".join(out)


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return "; ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)" for i in threadpool_info()
    ) or "none loaded"


def machine_header(title: str, libraries: Sequence[str] = ("numpy", "scipy", "pandas")) -> tuple[float, float, float]:
    """Print the bench title, the machine, the versions and the load average now; return the load."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    load = load_average()
    print(title)
    print(
        f"machine: {_cpu_model()}, {os.cpu_count()} cores ({usable} usable), {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; {_versions(libraries)}; BLAS: {_blas()}"
    )
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    sys.stdout.flush()
    return load


def load_footer() -> tuple[float, float, float]:
    """Print the load average after the bench; return it."""
    load = load_average()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    return load


class Timing:
    """Wall-clock times (s) of one contender."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.times: list[float] = []

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def __repr__(self) -> str:
        return f"Timing({self.name!r}, n={len(self.times)}, min={self.min:.6g}, median={self.median:.6g})"


def interleaved(
    contenders: dict[str, Callable[[], Any]], *, rounds: int, warmup: int = 1, inner: int = 1
) -> dict[str, Timing]:
    """Time each contender ``rounds`` times, in turn (A, B, A, B, ...), after ``warmup`` untimed calls each.

    ``inner`` calls are made per timed sample (the sample is their mean), for calls too short for
    the clock.
    """
    out = {name: Timing(name) for name in contenders}
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            out[name].times.append((time.perf_counter() - t0) / inner)
    return out


def _fmt(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} µs"


def ratio_line(a: Timing, b: Timing) -> str:
    """``a`` and ``b`` (min, median) and the ratios b/a of the minima and of the medians."""
    return (
        f"{a.name}: min {_fmt(a.min)}, median {_fmt(a.median)} | {b.name}: min {_fmt(b.min)}, median "
        f"{_fmt(b.median)} | {b.name}/{a.name}: {b.min / a.min:.3g}x (minima), {b.median / a.median:.3g}x "
        f"(medians), {len(a.times)} interleaved rounds"
    )


def run_bench(main: Callable[[], Any], doc: str | None) -> int:
    """Run a bench's ``main`` between :func:`machine_header` (title: the docstring's first line) and
    :func:`load_footer`; the exit code is ``main``'s (0 for None)."""
    title = (doc or "benchmark").strip().splitlines()[0]
    machine_header(title)
    try:
        rc = main()
    finally:
        load_footer()
    return int(rc or 0)
