"""The app's URLs of athletes and sessions, built in one place (codes may hold any printable character)."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["athlete_url", "session_url"]


def athlete_url(code: str, action: str = "") -> str:
    """``/athletes/<code>[/<action>]`` with the code percent-encoded (a ``/`` in a code stays one segment)."""
    return f"/athletes/{quote(code, safe='')}" + (f"/{action}" if action else "")


def session_url(session_id: int, action: str = "") -> str:
    """``/sessions/<id>[/<action>]``."""
    return f"/sessions/{int(session_id)}" + (f"/{action}" if action else "")
