"""Errors of the protocol layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from protocols.results import SessionResult

__all__ = ["SessionAborted"]


class SessionAborted(RuntimeError):
    """A session could not go on (the board disappeared, samples could not be saved).

    Everything recorded until then is in :attr:`result` (``result.status`` says why:
    ``"disconnected"`` or ``"error"``; the trial in progress is kept, marked incomplete).
    The original error is chained as ``__cause__``.
    """

    def __init__(self, message: str, result: "SessionResult") -> None:
        super().__init__(message)
        self.result = result
