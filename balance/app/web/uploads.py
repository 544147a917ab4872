"""Recording files uploaded to the analyse page: the size limit enforced while the body arrives, each file
in a private temporary folder under a name the app makes (never the name sent), analysed by the batch
runner's per-file path (:func:`balance.app.batch.analyze_file`, the same as ``balance analyze``)."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path, PurePath
from typing import Any

__all__ = ["BodyTooLarge", "limited_receive", "safe_suffix", "display_name", "analyze_uploads", "ResultStore",
           "MAX_FILES"]  # fmt: skip

#: Most files in one upload.
MAX_FILES = 50
#: Suffixes kept from an uploaded name (the readers detect the layout from the content; ``.gz`` and
#: ``.c3d`` also tell them how to open it).
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


class BodyTooLarge(Exception):
    """The request body grew beyond the upload limit while it was being received."""


def limited_receive(receive: Callable[[], Awaitable[MutableMapping[str, Any]]], limit: int
                    ) -> Callable[[], Awaitable[MutableMapping[str, Any]]]:  # fmt: skip
    """An ASGI ``receive`` that raises :class:`BodyTooLarge` once more than ``limit`` bytes of body arrived
    (for bodies without a ``Content-Length`` or with a false one)."""
    total = 0

    async def wrapped() -> MutableMapping[str, Any]:
        nonlocal total
        message = await receive()
        if message.get("type") == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise BodyTooLarge(total)
        return message

    return wrapped


def safe_suffix(filename: str) -> str:
    """The last one or two suffixes of an uploaded name when they are plain (``.csv``, ``.txt.gz``), else ""."""
    suffixes = [s for s in PurePath(filename.replace("\\", "/")).suffixes[-2:] if _SUFFIX.match(s)]
    return "".join(suffixes).lower()


def display_name(filename: str, index: int) -> str:
    """The uploaded file's base name for tables and the CSV (shown escaped), or ``file <n>``."""
    base = PurePath((filename or "").replace("\\", "/")).name.strip()
    base = "".join(c for c in base if c.isprintable())[:120]
    return base or f"file {index}"


def analyze_uploads(files: list[tuple[str, bytes | Any]], options: dict[str, Any]) -> list[dict[str, Any]]:
    """Analyse uploaded recordings like ``balance analyze`` does files.

    Parameters
    ----------
    files : list of (str, file-like)
        The name sent by the browser (display only) and a binary file object holding the upload.
    options : dict
        :func:`balance.app.batch.analyze_file`'s options.

    Returns
    -------
    list of dict
        One result per file (``file`` is the display name; errors name it, never the temporary path).
    """
    import shutil

    from balance.app.batch import analyze_file

    results = []
    with tempfile.TemporaryDirectory(prefix="balance-upload-") as tmp:
        for i, (name, fh) in enumerate(files, 1):
            shown = display_name(name, i)
            path = Path(tmp) / f"upload-{i:03d}{safe_suffix(name)}"
            with open(path, "wb") as out:
                shutil.copyfileobj(fh, out, 1024 * 1024)
            r = analyze_file(str(path), options)
            r.pop("warning", None)
            r["file"] = shown
            if not r["ok"]:
                r["error"] = str(r["error"]).replace(str(path), shown)
            for seg in r.get("segments", []):
                seg["file"] = str(seg.get("file", "")).replace(str(path), shown)
            results.append(r)
            path.unlink()
    return results


class ResultStore:
    """The last analyses' CSV text, under random tokens, for the download link (bounded, expiring).

    Parameters
    ----------
    size : int
        Most results kept (oldest dropped).
    max_age_s : float
        A result is forgotten after this long.
    """

    def __init__(self, size: int = 32, max_age_s: float = 3600.0) -> None:
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self._max_age_s = max_age_s

    def put(self, text: str) -> str:
        """Keep ``text``; returns its token."""
        import secrets

        token = secrets.token_urlsafe(18)
        with self._lock:
            self._items[token] = (time.monotonic(), text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> str | None:
        """The text kept under ``token`` (None when unknown or expired)."""
        with self._lock:
            hit = self._items.get(token)
        if hit is None or time.monotonic() - hit[0] > self._max_age_s:
            return None
        return hit[1]
