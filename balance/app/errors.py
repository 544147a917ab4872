"""The one way a command fails on bad usage: raise :class:`UsageError` (exit code 2).

``balance.app.cli.main`` catches it and prints ``balance <command>: error: <message>``; the
message names the problem and the fix. Failures of the work itself (a missing athlete, an
unreadable file) are reported by the command with :func:`balance.app.commands._common.fail`
(exit code 1).
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit code 2)."""
