"""Placeholder of the live test hub (owned by web-live, who replaces this file): the signatures app.py uses."""

from __future__ import annotations

from typing import Any

__all__ = ["LiveHub"]


class LiveHub:
    """Runs live tests, one per board (placeholder until web-live's implementation is merged)."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def close(self) -> None:
        """Stop every running test and release the boards."""
