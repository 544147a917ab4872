"""Placeholder of the live test routes (owned by web-live, who replaces this file)."""

from __future__ import annotations

from typing import Any

__all__ = ["routes"]


def routes(ctx: Any) -> list[Any]:
    """The live routes (``/test/new``, ``/live/{board}``, ``/ws/live/{board}``...): none in this placeholder."""
    return []
