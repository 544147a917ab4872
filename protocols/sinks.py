"""Where the engine writes raw samples, before any analysis: the trial sink.

The engine calls ``sink.open_trial(meta)`` when a trial begins (at the stance
instruction), ``writer.write(sample)`` for every sample of the trial as it arrives, and
``writer.close(status)`` when the trial ends, with ``status`` one of ``"complete"``,
``"failed"``, ``"incomplete"``. The app's sink writes each trial to disk
(``drivers.recording_file.RecordingWriter``) so nothing recorded is lost if the analysis,
the app or the machine fails afterwards. A sink that raises stops the session
(:class:`protocols.errors.SessionAborted`): a recording that cannot be saved is not run on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from drivers.base import Sample

__all__ = ["TrialSink", "TrialWriter", "NullSink", "MemorySink", "MemoryTrial"]


@runtime_checkable
class TrialWriter(Protocol):
    """Receives one trial's raw samples."""

    def write(self, sample: Sample) -> None:
        """Store one sample (called from the engine's thread, in time order)."""

    def close(self, status: str) -> None:
        """The trial ended with ``status`` (``complete``, ``failed``, ``incomplete``)."""


@runtime_checkable
class TrialSink(Protocol):
    """Opens one writer per trial."""

    def open_trial(self, meta: dict[str, Any]) -> TrialWriter:
        """Begin a trial described by ``meta`` and return its writer.

        ``meta`` keys: ``protocol``, ``side``, ``condition``, ``trial_index``, ``attempt``,
        ``practice``, ``stance``, ``eyes``, ``surface``, ``phase``, ``planned_duration_s``,
        ``athlete``, ``board_kind``, ``session_started_at`` (ISO 8601, UTC).
        """


class _NullWriter:
    def write(self, sample: Sample) -> None:
        pass

    def close(self, status: str) -> None:
        pass


class NullSink:
    """Discards samples (the engine keeps its own copy in each TrialRecord)."""

    def open_trial(self, meta: dict[str, Any]) -> TrialWriter:
        return _NullWriter()


@dataclass
class MemoryTrial:
    """One trial held by :class:`MemorySink`."""

    meta: dict[str, Any]
    samples: list[Sample] = field(default_factory=list)
    status: str | None = None

    def write(self, sample: Sample) -> None:
        self.samples.append(sample)

    def close(self, status: str) -> None:
        self.status = status


class MemorySink:
    """Keeps every trial's samples in memory (tests, demos)."""

    def __init__(self) -> None:
        self.trials: list[MemoryTrial] = []

    def open_trial(self, meta: dict[str, Any]) -> TrialWriter:
        tr = MemoryTrial(meta=dict(meta))
        self.trials.append(tr)
        return tr
