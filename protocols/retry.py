"""Retry policies: whether a failed trial is run again.

The engine asks the policy after every failed trial (a failure rule fired, or the stance
never became stable); trials cut short by a stop or a lost board are never retried. The
spec's ``max_retries`` caps every policy. Failed trials are kept either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from balance.model import TrialRecord

__all__ = ["RetryPolicy", "NoRetry", "AutoRetry", "AskRetry"]


@runtime_checkable
class RetryPolicy(Protocol):
    """Decides whether to repeat a failed trial."""

    def should_retry(self, trial: TrialRecord, *, retries_so_far: int) -> bool:
        """True to run the same side/condition/trial number again.

        Parameters
        ----------
        trial : TrialRecord
            The failed trial (``status == "failed"`` or ``failure_kind == "no_stance"``).
        retries_so_far : int
            Retries already run for this planned trial (0 after the first attempt).
        """


class NoRetry:
    """Never retry."""

    def should_retry(self, trial: TrialRecord, *, retries_so_far: int) -> bool:
        return False


class AutoRetry:
    """Retry up to ``max_retries`` times without asking (non-interactive runs, the demo).

    Parameters
    ----------
    max_retries : int
        Retries per planned trial.
    kinds : tuple of str, optional
        Failure kinds that are retried (default: all).
    """

    def __init__(self, max_retries: int = 1, *, kinds: tuple[str, ...] | None = None) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries={max_retries} must be >= 0")
        self.max_retries = max_retries
        self.kinds = kinds

    def should_retry(self, trial: TrialRecord, *, retries_so_far: int) -> bool:
        if self.kinds is not None and trial.failure_kind not in self.kinds:
            return False
        return retries_so_far < self.max_retries


class AskRetry:
    """Ask a person through a callback (``ask(trial) -> bool``), up to ``max_retries`` times.

    The callback runs in the engine's thread; samples arriving meanwhile are still read and
    passed to listeners (the engine does not stop reading for it only if the callback is
    quick, so ask with a short prompt or use a queue in a GUI).
    """

    def __init__(self, ask: Callable[[TrialRecord], bool], max_retries: int = 3) -> None:
        self.ask = ask
        self.max_retries = max_retries

    def should_retry(self, trial: TrialRecord, *, retries_so_far: int) -> bool:
        return retries_so_far < self.max_retries and bool(self.ask(trial))
