"""Listeners: objects the engine tells about every sample and every event (python-can style).

A listener has any of ``on_sample(sample)``, ``on_event(event)`` (both optional). They are
called in the engine's thread, in order, as the samples arrive, so **a listener must return
quickly**: anything slow (drawing, sound, network) belongs in another thread fed by a
:class:`QueueListener`. An exception in a listener is logged and the listener is dropped;
the recording goes on.
"""

from __future__ import annotations

import queue
from typing import Any

from drivers.base import Sample

__all__ = ["Listener", "QueueListener", "CollectingListener"]


class Listener:
    """Base class with do-nothing hooks (subclassing is optional: duck typing is enough)."""

    def on_sample(self, sample: Sample) -> None:
        """A new sample arrived (called for every sample, between trials too)."""

    def on_event(self, event: Any) -> None:
        """An engine event (see :mod:`protocols.events`)."""


class QueueListener(Listener):
    """Puts samples and events on a queue for a consumer in another thread; never blocks.

    Items are ``("sample", Sample)`` and ``("event", event)``. With ``maxsize > 0`` a full
    queue drops the new *sample* (counted in :attr:`dropped_samples`); events are never
    dropped (they go on an unbounded side queue merged in order by :meth:`get`).

    Parameters
    ----------
    maxsize : int
        Bound on queued samples (0: unbounded).
    samples : bool
        Queue samples (False: events only).
    """

    def __init__(self, maxsize: int = 0, *, samples: bool = True) -> None:
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize)
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.samples = samples
        self.dropped_samples = 0

    def on_sample(self, sample: Sample) -> None:
        if not self.samples:
            return
        try:
            self.queue.put_nowait(("sample", sample))
        except queue.Full:
            self.dropped_samples += 1

    def on_event(self, event: Any) -> None:
        if self.queue.maxsize == 0:
            self.queue.put_nowait(("event", event))
        else:
            self._events.put_nowait(("event", event))

    def get(self, timeout_s: float | None = None) -> tuple[str, Any] | None:
        """Next item, events first when the queue is bounded; None after ``timeout_s``."""
        try:
            return self._events.get_nowait()
        except queue.Empty:
            pass
        try:
            return self.queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain(self) -> list[tuple[str, Any]]:
        """Everything queued now, without waiting."""
        out: list[tuple[str, Any]] = []
        while True:
            item = self.get(timeout_s=0)
            if item is None:
                return out
            out.append(item)


class CollectingListener(Listener):
    """Keeps every event (and optionally counts samples): handy for tests and scripts."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.n_samples = 0

    def on_sample(self, sample: Sample) -> None:
        self.n_samples += 1

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def of_type(self, cls: type) -> list[Any]:
        """The events of one class."""
        return [e for e in self.events if isinstance(e, cls)]
