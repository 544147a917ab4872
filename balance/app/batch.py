"""The batch runner behind ``balance analyze``: each recording file read, checked and analysed on
its own (one message per bad file, never an exception), many files over worker processes.

A file is read with :func:`drivers.formats.read_any` (layout detected from the content) and
analysed with :func:`balance.pipeline.analyze`; :func:`analyze_files` runs a batch on every core
(:class:`concurrent.futures.ProcessPoolExecutor`, files sent in chunks) with progress on stderr for
long batches. The command (:mod:`balance.app.commands.analyze`) parses the options and prints the
results; ``balance import`` uses :func:`check_plausible` and :func:`input_flags` too.

Threads: ``--jobs N`` means N processes with one BLAS/OpenMP thread each (:func:`single_threaded`,
through threadpoolctl and the ``*_NUM_THREADS`` variables the workers inherit). OpenBLAS would
otherwise start a thread per core in every process from about 10,000 samples on, for no gain in wall
time and with large stalls when the cores are shared (``bench/bench_threads.py``).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

__all__ = [
    "analyze_file",
    "analyze_files",
    "check_plausible",
    "input_flags",
    "single_threaded",
    "MIN_PARALLEL_FILES",
    "MIN_PROGRESS_FILES",
    "MAX_PLAUSIBLE_LOAD_KG",
]

#: Batches at least this long run in worker processes (when more than one job is allowed).
MIN_PARALLEL_FILES = 8
#: Batches at least this long report progress on stderr.
MIN_PROGRESS_FILES = 50


# ------------------------------------------------------------------------------------------
# the work for one file (runs in a worker process for batches)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NumPy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _error_message(path: str, err: BaseException) -> str:
    msg = str(err).strip() or type(err).__name__
    if isinstance(err, OSError) and getattr(err, "strerror", None):
        msg = str(err.strerror)
    if not msg.startswith(path):
        msg = f"{path}: {msg}"
    return msg


def analyze_file(path: str, options: dict[str, Any]) -> dict[str, Any]:
    """Read and analyse one file; never raises for bad input.

    Parameters
    ----------
    path : str
        The recording file.
    options : dict
        ``raw`` (bool), ``preset`` (str), ``params`` (keyword arguments for
        :func:`balance.pipeline.analyze`), ``measures`` (list of names or None), and optionally
        ``limits`` (keyword arguments for :class:`drivers.formats.ReadLimits`) and ``max_samples``
        (the resampled grid's cap, :func:`balance.pipeline.analyze`).

    Returns
    -------
    dict
        ``{"file", "ok": True, "layout", "n_samples", "duration_s", "fs_hz", "complete",
        "warnings", "measures", "params", "gaps"}`` (see :func:`input_flags`) or ``{"file", "ok": False, "error"}`` where ``error`` names the file,
        the problem and the fix.
    """
    from balance.errors import BalanceInputError
    from balance.pipeline import analyze
    from drivers.formats import FormatError, ReadLimits, read_any

    wanted = options.get("measures")
    kwargs = dict(options.get("params", {}))
    if wanted:
        kwargs["select"] = list(wanted)
    if options.get("max_samples"):
        kwargs["max_samples"] = int(options["max_samples"])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)  # flagged in the output, never on stderr
            rec = read_any(path, limits=ReadLimits(**options.get("limits", {})))
            check_plausible(rec)
            if options.get("segment"):
                return _analyze_segments(path, rec, options, kwargs)
            res = analyze(rec, raw=bool(options.get("raw")), preset=options.get("preset", "standard"), **kwargs)
    except (FormatError, BalanceInputError, OSError, ValueError, RecursionError) as err:
        # BalanceInputError and FormatError are ValueErrors; any other ValueError from the
        # numeric core is also about the input (e.g. too few samples for a measure).
        return {"file": path, "ok": False, "error": _error_message(path, err)}
    except Exception as err:  # noqa: BLE001 - one bad file must not stop the batch
        if os.environ.get("BALANCE_DEBUG"):
            raise
        return {
            "file": path,
            "ok": False,
            "error": f"{path}: unexpected {type(err).__name__}: {err} (this is a bug in balance; please report it "
            "with the file)",
        }
    measures = dict(res.measures)
    if wanted:  # the names given first, in the order given (groups expand in catalogue order)
        first = [k for k in wanted if k in measures]
        measures = {k: measures[k] for k in [*first, *(k for k in measures if k not in first)]}
    gaps = getattr(res, "gaps", None)
    from protocols.segment import several_stances_warning

    complete, notes = input_flags(rec, measures, caught)
    return {
        "warning": several_stances_warning(rec),
        "file": path,
        "ok": True,
        "layout": rec.meta.get("layout"),
        "n_samples": len(rec),
        "duration_s": rec.duration_s,
        "fs_hz": rec.fs_hz,
        "complete": complete,
        "warnings": notes,
        "measures": _jsonable(measures),
        "params": _jsonable(dict(getattr(res, "params", {}) or {})),
        "gaps": _jsonable(gaps) if gaps is not None else [],
    }


def _analyze_segments(path: str, rec: Any, options: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``--segment``: one result row per single-leg stance (:func:`protocols.segment.segment`)."""
    from balance.pipeline import analyze
    from protocols.segment import segment

    rows = []
    for k, st in enumerate(segment(rec), 1):
        row: dict[str, Any] = {"file": f"{path}#{k}", "ok": True, "layout": rec.meta.get("layout"),
                               "stance": {**st.as_dict(), "index": k}, "measures": {}, "params": {}, "gaps": []}
        if st.analysis_window_s is None:
            row["stance"]["error"] = "too short to analyse after the trim"
        else:
            lo, hi = st.analysis_window_s
            seg = rec.slice_time(lo, hi)
            try:
                res = analyze(seg, raw=bool(options.get("raw")), preset=options.get("preset", "standard"), **kwargs)
                row["measures"] = _jsonable(dict(res.measures))
                row["params"] = _jsonable({**res.params, "analysis_window_s": [lo, hi]})
            except ValueError as err:
                row["stance"]["error"] = str(err)
        row.update(n_samples=int(((rec.time_s >= st.start_s) & (rec.time_s <= st.end_s)).sum()),
                   duration_s=st.duration_s, fs_hz=rec.fs_hz)
        rows.append(row)
    if not rows:
        return {"file": path, "ok": False, "error": f"{path}: --segment found no single-leg stance held for 2 s "
                "(the CoP never stayed 40 mm or more to one side of the both-feet centre); analyse it without "
                "--segment"}
    return {"file": path, "ok": True, "segments": rows}


#: Largest load (kg) accepted on a board or plate: a person standing, jumping or landing stays far
#: below (ground reaction forces of landings reach about 10 body weights, i.e. < 3,000 kg).
MAX_PLAUSIBLE_LOAD_KG = 3000.0


def check_plausible(rec: Any) -> None:
    """Refuse loads no person on a board can produce (BalanceInputError naming the value and the fix)."""
    import numpy as np

    from balance.errors import BalanceInputError

    for what, values in (("total load", rec.total_kg), ("corner load", rec.corners_kg)):
        if values is None:
            continue
        a = np.asarray(values, dtype=np.float64)
        finite = a[np.isfinite(a)]
        if finite.size and float(np.max(np.abs(finite))) > MAX_PLAUSIBLE_LOAD_KG:
            raise BalanceInputError(
                f"a {what} of {float(np.max(np.abs(finite))):.3g} kg is impossible for a person on a board (more "
                f"than {MAX_PLAUSIBLE_LOAD_KG:g} kg): check the file's units and columns (kg expected)"
            )


def input_flags(rec: Any, measures: dict[str, Any], caught: Sequence[Any] = ()) -> tuple[bool, list[str]]:
    """Whether the input looks complete, and plain-words notes on anything incomplete or suspicious.

    ``complete`` is False for a balance recording without its end marker (an interrupted or
    truncated recording) or a file whose last line has no line break (possibly cut in the middle
    of a number). Notes also name measures without a value and numerical warnings raised.
    """
    meta = rec.meta or {}
    notes: list[str] = []
    complete = True
    if meta.get("complete") is False:
        complete = False
        footer = meta.get("footer") if isinstance(meta.get("footer"), dict) else None
        reason = (footer or {}).get("reason")
        notes.append(
            f"incomplete recording (ended: {reason})" if reason else
            "incomplete recording: no end marker (the recording was interrupted or the file is cut short)"
        )
    if meta.get("ends_with_line_break") is False and meta.get("layout") != "balance-recording":
        complete = False
        notes.append("the file does not end with a line break: its last line may be cut (copy the file again)")
    missing = [k for k, v in measures.items() if v is None or (isinstance(v, float) and not math.isfinite(v))]
    for k in missing:
        if k.startswith("principal_sway_direction"):
            notes.append(f"{k}: undefined, the sway is the same in every direction (isotropic)")
    others = [k for k in missing if not k.startswith("principal_sway_direction")]
    if others:
        notes.append(f"no value for {', '.join(others)}")
    for w in caught:
        if issubclass(w.category, RuntimeWarning):
            notes.append(f"numerical warning: {w.message}")
    return complete, notes


def _analyze_chunk(paths: Sequence[str], options: dict[str, Any]) -> list[dict[str, Any]]:
    return [analyze_file(p, options) for p in paths]


def _keep_freed_memory() -> bool:
    """Ask glibc's malloc to reuse freed memory instead of returning it to the system.

    The analysis allocates and frees many arrays of a few hundred kB per file. With glibc's
    defaults each such array is a fresh ``mmap`` whose pages fault in on first touch: about 2,300
    page faults per 60 s trial, which made reading and analysing a file take ~11 ms instead of
    ~7 ms on this machine. Raising the mmap and trim thresholds (``mallopt``) keeps those pages in
    the heap. Set in this process before the workers fork, so they inherit it. No effect (and
    False) on other C libraries and systems.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    ok_mmap = mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # the largest glibc accepts on 64-bit
    ok_trim = mallopt(m_trim_threshold, 128 * 1024 * 1024)
    return bool(ok_mmap and ok_trim)


#: Environment variables that cap the thread pools of the BLAS/OpenMP libraries when numpy is imported.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def single_threaded() -> None:
    """Limit this process (and the processes it starts) to one BLAS/OpenMP thread, for good.

    Sets the ``*_NUM_THREADS`` variables (for processes that import numpy afresh) and, for the
    libraries already loaded, limits their pools with threadpoolctl. The initializer of every
    worker of :func:`analyze_files`.
    """
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; the variables still help fresh processes
        return
    threadpool_limits(limits=1)


@contextlib.contextmanager
def _one_thread_per_process() -> Iterator[None]:
    """:func:`single_threaded` for the duration of a batch; the caller's settings are restored after."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency
        limiter = contextlib.nullcontext()
    else:
        limiter = threadpool_limits(limits=1)
    try:
        with limiter:
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _blas_threads() -> int:
    """The largest thread pool of the BLAS/OpenMP libraries of this process (0 if none).

    NumPy is imported first, so a fresh worker (forkserver/spawn) reports the BLAS it will use for the
    analysis, not an empty list because nothing has loaded it yet.
    """
    import numpy  # noqa: F401  # loads the BLAS library this process will use
    from threadpoolctl import threadpool_info

    return max((int(info["num_threads"]) for info in threadpool_info()), default=0)


def _pool_context() -> Any:
    import multiprocessing as mp

    # fork is the cheapest start (the workers inherit numpy/scipy already imported); from
    # Python 3.12 forking a process with threads is deprecated, so use forkserver there.
    methods = mp.get_all_start_methods()
    if sys.version_info < (3, 12) and "fork" in methods:
        return mp.get_context("fork")
    if "forkserver" in methods:
        return mp.get_context("forkserver")
    return mp.get_context("spawn")


class _Progress:
    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and stream.isatty()
        self.done = 0
        self.failed = 0
        self.t0 = time.perf_counter()
        self._last = self.t0

    def update(self, results: Iterable[dict[str, Any]]) -> None:
        for r in results:
            self.done += 1
            self.failed += not r["ok"]
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.done < self.total and now - self._last < (0.2 if self.tty else 2.0):
            return
        self._last = now
        rate = self.done / max(now - self.t0, 1e-9)
        msg = f"analysed {self.done}/{self.total} files ({self.failed} failed), {rate:.0f} files/s"
        if self.tty:
            self.stream.write("\r" + msg + ("\n" if self.done >= self.total else ""))
        else:
            self.stream.write(msg + "\n")
        self.stream.flush()


def analyze_files(
    paths: Sequence[str],
    options: dict[str, Any],
    *,
    jobs: int | None = None,
    progress: bool = True,
    stream: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Analyse many files, in parallel for long batches; results in the order of ``paths``.

    Parameters
    ----------
    paths : sequence of str
        Recording files.
    options : dict
        As for :func:`analyze_file`.
    jobs : int, optional
        Worker processes, each with one BLAS thread (:func:`single_threaded`); default every
        core. Batches shorter than :data:`MIN_PARALLEL_FILES` run in this process.
    progress : bool, optional
        Report progress on ``stream`` (stderr) for batches of at least
        :data:`MIN_PROGRESS_FILES` files.
    stream : file, optional
        Where progress goes; default ``sys.stderr``.
    """
    n = len(paths)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    prog = _Progress(n, stream or sys.stderr, progress and n >= MIN_PROGRESS_FILES)
    with _one_thread_per_process():  # one BLAS thread per process: `jobs` processes use `jobs` cores
        return _analyze_files(paths, options, jobs, prog)


def _make_pool(workers: int) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=single_threaded)


def _analyze_files(paths: Sequence[str], options: dict[str, Any], jobs: int, prog: _Progress) -> list[dict[str, Any]]:
    n = len(paths)
    if jobs == 1 or n < MIN_PARALLEL_FILES:
        out = []
        for p in paths:
            r = analyze_file(p, options)
            out.append(r)
            prog.update([r])
        return out
    from concurrent.futures import as_completed

    # Chunks: few enough to keep inter-process overhead low, enough to balance the cores and
    # to report progress.
    chunk = max(1, min(64, math.ceil(n / (jobs * 8))))
    chunks = [list(paths[i : i + chunk]) for i in range(0, n, chunk)]
    results: list[list[dict[str, Any]] | None] = [None] * len(chunks)
    ex = _make_pool(min(jobs, len(chunks)))
    try:
        futures = {ex.submit(_analyze_chunk, c, options): i for i, c in enumerate(chunks)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                res = fut.result()
            except Exception as err:  # noqa: BLE001 - a worker died (killed, out of memory)
                res = [
                    {
                        "file": p,
                        "ok": False,
                        "error": f"{p}: not analysed: the worker process failed ({type(err).__name__}: {err}); "
                        "run again with --jobs 1 to see which file causes it",
                    }
                    for p in chunks[i]
                ]
            results[i] = res
            prog.update(res)
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)
    return [r for part in results if part is not None for r in part]


# ------------------------------------------------------------------------------------------
# output
