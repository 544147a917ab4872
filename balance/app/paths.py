"""Where the app keeps its files: the data directory, the history database, raw recordings.

Resolution order (first match wins):

* data directory: ``--home DIR`` (commands that offer it), env ``BALANCE_HOME``,
  else :func:`platformdirs.user_data_dir` ``("balance")``;
* history database: ``--db PATH``, env ``BALANCE_DB``, else ``<data directory>/balance.db``;
* raw recordings: ``<directory of the database>/raw/``, so a database and its raw files travel
  together (and a test's temporary database never writes into the user's home).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_home", "default_db_path", "raw_dir_for", "ensure_private_dir"]

#: Environment variable naming the whole data directory.
ENV_HOME = "BALANCE_HOME"
#: Environment variable naming the history database file.
ENV_DB = "BALANCE_DB"
#: File name of the history database inside the data directory.
DB_FILENAME = "balance.db"


def data_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``home`` if given, else ``$BALANCE_HOME``, else the platform's user data dir."""
    if home:
        return Path(home).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    import platformdirs  # small, but only needed here

    return Path(platformdirs.user_data_dir("balance", appauthor=False))


def default_db_path(db: str | os.PathLike[str] | None = None, *, home: str | os.PathLike[str] | None = None) -> Path:
    """The history database path: ``db`` if given, else ``$BALANCE_DB``, else ``<data home>/balance.db``."""
    if db:
        return Path(db).expanduser()
    env = os.environ.get(ENV_DB)
    if env and home is None:
        return Path(env).expanduser()
    return data_home(home) / DB_FILENAME


def raw_dir_for(db_path: str | os.PathLike[str]) -> Path:
    """Directory holding the raw recordings that belong to the database at ``db_path``."""
    return Path(db_path).expanduser().resolve().parent / "raw"


def ensure_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if missing; every directory created here is private (0700)."""
    p = Path(path)
    missing = []
    q = p
    while not q.is_dir():
        missing.append(q)
        if q.parent == q:
            break
        q = q.parent
    for d in reversed(missing):  # every folder we create is private, not only the last one
        d.mkdir(mode=0o700, exist_ok=True)
    return p
