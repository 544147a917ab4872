"""Stored times (ISO 8601, UTC) as the coach reads them: local date and time to the minute."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["local_minute"]


def local_minute(iso: str | None) -> str:
    """A stored time as local ``YYYY-MM-DD HH:MM`` (``2026-03-02 10:00``).

    Parameters
    ----------
    iso : str or None
        ISO 8601 time as the store writes it (UTC, ``Z`` or ``+00:00``; naive times are read as UTC).

    Returns
    -------
    str
        ``""`` for None or an empty string; the text's first 16 characters when it is not ISO 8601.
    """
    if not iso:
        return ""
    try:
        t = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)[:16]
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return f"{t.astimezone():%Y-%m-%d %H:%M}"
