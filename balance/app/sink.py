"""The protocol engine's trial sink: every raw sample goes to a recording file before analysis.

The engine calls ``sink.open_trial(meta) -> writer``, then ``writer.write(sample)`` for every
sample and ``writer.close(status)`` at the end (``status`` ``"complete"``, ``"failed"`` or
``"incomplete"``). :class:`RawFileSink` writes one :mod:`drivers.recording_file` file per trial
under ``<raw dir>/<athlete code>/session_<id>/``; the store keeps the file's path with the trial,
so even a trial whose analysis (or whose database write) failed keeps its samples on disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.model import TrialRecord

__all__ = ["RawFileSink", "RawTrialWriter"]


class RawTrialWriter:
    """One trial's file: ``write(sample)`` appends, ``close(status)`` marks it complete or not."""

    def __init__(self, writer: Any, meta: Mapping[str, Any]) -> None:
        self._writer = writer
        self.path: Path = Path(writer.path)
        self.meta = dict(meta)
        self.status: str | None = None

    def write(self, sample: Any) -> None:
        self._writer.write(sample)

    def flush(self) -> None:
        self._writer.flush()

    @property
    def n_samples(self) -> int:
        return int(self._writer.n_samples)

    def close(self, status: str = "complete") -> None:
        """Close the file; a failed trial is a complete *file*, an interrupted one is not."""
        self.status = status
        self._writer.close(complete=status in ("complete", "failed"), reason=str(status))


class RawFileSink:
    """Writes each trial's raw samples to its own recording file as they arrive.

    Parameters
    ----------
    directory : path-like
        Folder for this session's files (created, private, on first use).
    header : dict, optional
        Added to every file's header (athlete code, protocol, board info, session id).
    flush_interval_s : float, optional
        Longest time (s) a sample stays in memory before reaching the OS (default 0.5 s).
    fsync : bool, optional
        Also force flushed rows onto the disk (default True).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        header: Mapping[str, Any] | None = None,
        flush_interval_s: float = 0.5,
        fsync: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.header = dict(header or {})
        self.flush_interval_s = float(flush_interval_s)
        self.fsync = fsync
        #: Every file opened, in order.
        self.writers: list[RawTrialWriter] = []

    def open_trial(self, meta: Mapping[str, Any] | Any) -> RawTrialWriter:
        """Create the next trial's file and return its writer."""
        from balance.app.paths import ensure_private_dir
        from drivers.recording_file import RecordingWriter

        m = _as_mapping(meta)
        ensure_private_dir(self.directory)
        stem = _trial_stem(len(self.writers) + 1, m)
        path = self.directory / f"{stem}.csv"
        k = 1
        while path.exists():
            k += 1
            path = self.directory / f"{stem}_{k}.csv"
        w = RecordingWriter(
            path,
            header={**self.header, "trial": m},
            flush_interval_s=self.flush_interval_s,
            fsync=self.fsync,
        )
        tw = RawTrialWriter(w, m)
        self.writers.append(tw)
        return tw

    @property
    def last(self) -> RawTrialWriter | None:
        """The most recently opened trial writer."""
        return self.writers[-1] if self.writers else None

    def path_for(self, trial: TrialRecord) -> Path | None:
        """The file of ``trial``: matched on side, condition, number and attempt."""
        key = (trial.side, trial.condition, trial.trial_index, trial.attempt)
        for w in reversed(self.writers):
            m = w.meta
            if (m.get("side"), m.get("condition"), m.get("trial_index", m.get("index")), m.get("attempt", 1)) == key:
                return w.path
        return self.last.path if self.last is not None else None

    def close_all(self, status: str = "incomplete") -> None:
        """Close any file still open (after a crash of the engine)."""
        for w in self.writers:
            if not w._writer.closed:
                w.close(status)


def _as_mapping(meta: Any) -> dict[str, Any]:
    if isinstance(meta, Mapping):
        return dict(meta)
    import dataclasses

    if dataclasses.is_dataclass(meta) and not isinstance(meta, type):
        return {f.name: getattr(meta, f.name) for f in dataclasses.fields(meta)}
    return {"meta": str(meta)}


def _trial_stem(n: int, m: Mapping[str, Any]) -> str:
    parts = [f"{n:03d}", str(m.get("side", "trial"))]
    cond = m.get("condition")
    if cond:
        parts.append(str(cond))
    idx = m.get("trial_index", m.get("index"))
    if idx is not None:
        parts.append(f"t{idx}")
    att = m.get("attempt")
    if att not in (None, 1):
        parts.append(f"a{att}")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))
