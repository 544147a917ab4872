"""Test protocols and comparisons: declarative specs, one engine, event detection, results.

Public API
----------
Specs
    :class:`~protocols.spec.ProtocolSpec` (``from_dict``/``from_json``/``load``/``to_dict``/
    ``plan``/``configured``), :func:`~protocols.library.get_protocol`,
    :func:`~protocols.library.load_protocol`, :data:`~protocols.library.PROTOCOLS`.
Engine
    ``Engine(spec, board, *, athlete=None, sink=None, retry=None, analyzer=None,
    listeners=(), confirm=None, ...)`` with ``add_listener``, ``run() -> SessionResult``,
    ``start()``/``join()``/``stop()``; raises :class:`~protocols.errors.SessionAborted`
    (``.result``) when the board disappears. Sinks: :class:`~protocols.sinks.TrialSink`
    (``open_trial(meta) -> writer`` with ``write(sample)``/``close(status)``),
    :class:`~protocols.sinks.MemorySink`. Retry: :class:`~protocols.retry.AutoRetry`,
    :class:`~protocols.retry.AskRetry`, :class:`~protocols.retry.NoRetry`. Listeners:
    :class:`~protocols.listeners.QueueListener`. Events: :mod:`protocols.events`.
Results
    :class:`~balance.model.TrialRecord` (one per trial, frozen), :class:`~protocols.results.SessionResult`
    (the run, carrying its frozen :class:`~balance.model.SessionRecord`).
Comparisons
    :func:`~protocols.compare.compare_session`, :func:`~protocols.compare.compare_sides`,
    :func:`~protocols.compare.compare_values`, :func:`~protocols.compare.mdc_from_groups`,
    :func:`~protocols.compare.progress`, :func:`~protocols.compare.symmetry_index`,
    :func:`~protocols.compare.sem_pooled`, :func:`~protocols.compare.mdc95`.
"""

from __future__ import annotations

from protocols.compare import (
    Progress,
    SessionComparison,
    SessionPoint,
    SideComparison,
    compare_session,
    compare_sides,
    compare_values,
    mdc95,
    mdc_from_groups,
    points_from_sessions,
    progress,
    sem_pooled,
    symmetry_index,
)
from protocols.engine import Engine, run_protocol
from protocols.errors import SessionAborted
from protocols.library import PROTOCOLS, get_protocol, load_protocol, protocol_names
from protocols.listeners import CollectingListener, Listener, QueueListener
from protocols.results import SessionResult, TrialRecord
from protocols.retry import AskRetry, AutoRetry, NoRetry, RetryPolicy
from protocols.sinks import MemorySink, NullSink, TrialSink, TrialWriter
from protocols.spec import Block, FailureRules, ProtocolSpec, SpecError, StartRule

__all__ = [
    "Engine",
    "run_protocol",
    "SessionAborted",
    "ProtocolSpec",
    "Block",
    "StartRule",
    "FailureRules",
    "SpecError",
    "PROTOCOLS",
    "get_protocol",
    "load_protocol",
    "protocol_names",
    "Listener",
    "QueueListener",
    "CollectingListener",
    "TrialRecord",
    "SessionResult",
    "RetryPolicy",
    "AutoRetry",
    "AskRetry",
    "NoRetry",
    "TrialSink",
    "TrialWriter",
    "NullSink",
    "MemorySink",
    "SessionComparison",
    "SideComparison",
    "SessionPoint",
    "Progress",
    "compare_session",
    "compare_sides",
    "compare_values",
    "mdc_from_groups",
    "points_from_sessions",
    "progress",
    "symmetry_index",
    "sem_pooled",
    "mdc95",
]
