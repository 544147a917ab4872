"""History-database errors: one class per cause, one message per SQLite failure."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

#: The database the last :meth:`Store.open` of this process tried (for the CLI's one message
#: about a database that fails in the middle of a command, see :func:`database_error`).
last_opened_path: Path | None = None


# -- errors ------------------------------------------------------------------------------------
class StoreError(Exception):
    """Base class of history-database errors; the message says what happened and what to do."""


class UnknownAthleteError(StoreError, LookupError):
    """No athlete with that name or code."""


class UnknownSessionError(StoreError, LookupError):
    """No session with that id."""


class DuplicateAthleteError(StoreError, ValueError):
    """An athlete with that name or code already exists."""


class NewerDatabaseError(StoreError):
    """The database was written by a newer version of balance; it is left untouched."""


class NotADatabaseError(StoreError):
    """The file is not a balance history database."""


class DamagedDatabaseError(NotADatabaseError):
    """The file is an SQLite database that SQLite cannot read (corrupt, malformed, locked)."""


def database_error(path: str | os.PathLike[str], err: BaseException) -> StoreError:
    """One message for every SQLite failure on the history database ``path``: the file, the cause, the fix."""
    text = str(err) or type(err).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        return DamagedDatabaseError(
            f"the history database {path} is busy (another balance is writing to it: {text}); nothing was changed. "
            "Wait for it to finish and run the command again"
        )
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return DamagedDatabaseError(
            f"the history database {path} cannot be written ({text}); nothing was changed. Make the file and its "
            "folder writable, or copy the database to a writable folder and pass --db COPY"
        )
    return DamagedDatabaseError(
        f"the history database {path} is damaged and cannot be read ({text}); nothing was changed. Restore it "
        f"from a backup (for example a {Path(path).name}.v<N>.bak next to it), or move it away to start a new one, "
        "or pass another --db. `sqlite3 FILE .recover` may rescue its rows"
    )


def _is_disk_full(err: BaseException) -> bool:
    import errno

    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(err, sqlite3.Error) and "full" in str(err).lower()
