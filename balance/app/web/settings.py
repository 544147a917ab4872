"""What ``balance serve`` was asked for: the database, the board, where to listen, the access code."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WebSettings", "MAX_UPLOAD_BYTES", "is_loopback_host"]

#: Largest upload accepted by the analyse page (bytes, all files of one request together): 64 MiB holds
#: hours of 1 kHz force-plate CSV; a larger request is refused with 413 before any of it is read.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def is_loopback_host(host: str) -> bool:
    """True when ``host`` (an address or name the server binds) is reachable from this machine only.

    Parameters
    ----------
    host : str
        ``127.0.0.1``, ``::1``, ``localhost``, ``0.0.0.0``, a LAN address...

    Returns
    -------
    bool
        True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); False for anything else,
        including the wildcard addresses ``0.0.0.0`` and ``::`` (they listen on every interface).
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """Settings of one web app instance.

    Attributes
    ----------
    db_path : Path or None
        History database (None: the CLI's default, ``$BALANCE_DB`` or ``<data dir>/balance.db``).
    board : str
        Default board driver for live tests (``sim``, ``wii``, ``evdev``).
    host, port : str, int
        Where the server listens; off loopback the access code is required.
    access_code : str or None
        The code a browser must enter once when the server is not on loopback (None on loopback).
    realtime : bool
        Simulated boards run at real speed (False: as fast as possible, for tests).
    max_upload_bytes : int
        Largest analyse-page request body (bytes); larger ones get 413 before being read.
    data_dir : Path or None
        The data folder as the CLI resolves it (``$BALANCE_HOME`` or the platform's user data folder).
    """

    db_path: Path | None = None
    board: str = "sim"
    host: str = "127.0.0.1"
    port: int = 8000
    access_code: str | None = None
    realtime: bool = True
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    data_dir: Path | None = None

    @property
    def loopback(self) -> bool:
        """True when the server listens on this machine only (no access code needed)."""
        return is_loopback_host(self.host)

    @property
    def code_required(self) -> bool:
        """True when browsers must enter the access code (listening off loopback)."""
        return not self.loopback
