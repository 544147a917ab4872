"""Reading: bytes or a file (plain or gzip, within the read limits) to text, the layout detected, the
layout's parser called; C3D files go to :mod:`drivers.c3d`."""

from __future__ import annotations

import gzip
import io
import os
import typing
import zlib
from pathlib import Path

from balance.recording import Recording
from drivers.formats.common import DEFAULT_LIMITS, FormatError, ReadLimits, _check_duration, _check_rows, _over_cap
from drivers.formats.registry import _ACCEPTED, _PARSERS, detect_layout

_GZIP_CHUNK = 1 << 20  # decompressed bytes produced at a time


def _gunzip_bounded(fileobj: typing.BinaryIO | io.BufferedIOBase, name: str, max_bytes: int) -> bytearray:
    """Inflate a gzip stream, refusing (while inflating) more than ``max_bytes`` of output.

    A gzip bomb stops at the cap: the memory used is the cap plus one block, never the full
    inflated size.
    """
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=fileobj, mode="rb") as gz:
            while True:
                block = gz.read(min(_GZIP_CHUNK, max_bytes + 1 - len(out)))
                if not block:
                    break
                out += block
                if len(out) > max_bytes:
                    raise _over_cap(
                        name,
                        f"it decompresses to more than {max_bytes:,} bytes",
                        "max_bytes",
                        f"{max_bytes / 2**20:g} MiB",
                    )
    except (OSError, EOFError, zlib.error) as err:
        raise FormatError(f"{name}: gzip data is corrupt or truncated ({err}); copy the file again") from err
    return out


def _decode(data: bytes | bytearray | str, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    if isinstance(data, str):
        return data
    if data[:2] == b"\x1f\x8b":
        data = _gunzip_bounded(io.BytesIO(data), name, int(limits.max_bytes))
    elif len(data) > limits.max_bytes:
        raise _over_cap(
            name, f"it holds {len(data):,} bytes", "max_bytes", f"{limits.max_bytes / 2**20:g} MiB"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("latin-1")
        except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes any byte
            raise FormatError(f"{name}: not a text file ({err})") from err


def parse(data: bytes | str, *, name: str = "<bytes>", limits: ReadLimits | None = None) -> Recording:
    """Detect the layout of ``data`` and parse it (pure; no file access).

    Parameters
    ----------
    data : bytes or str
        File content; gzip-compressed bytes are decompressed (recognised by their magic bytes).
    name : str, optional
        The file name, used in ``meta["source"]`` and in every error message.
    limits : ReadLimits, optional
        Caps on size, rows and duration; default :data:`DEFAULT_LIMITS`.

    Returns
    -------
    Recording

    Raises
    ------
    FormatError
        Empty or unknown layout, or content that does not follow its layout.
    LimitError
        Content over one of the caps (a :class:`FormatError`).
    """
    lim = limits or DEFAULT_LIMITS
    return _parse_text(_decode(data, name, lim), name, lim)


def _parse_text(text: str, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> Recording:
    if "\x00" in text[:4096]:
        raise FormatError(f"{name}: binary content, not a text recording; accepted layouts: {_ACCEPTED}")
    if len(text) > limits.max_bytes:  # str given directly to parse()
        raise _over_cap(name, f"it holds {len(text):,} characters", "max_bytes", f"{limits.max_bytes / 2**20:g} MiB")
    try:
        layout = detect_layout(text)
    except FormatError as err:
        raise FormatError(f"{name}: {err}") from None
    _check_rows(text, name, limits)
    rec = _PARSERS[layout](text, name=name)
    # A text table normally ends with a line break; without one, the last line may have been cut
    # in the middle of a number (a copy or a download that stopped). Readers flag it.
    rec.meta["ends_with_line_break"] = text.endswith(("\n", "\r"))
    _check_duration(rec, name, limits)
    return rec


def _os_error(path: Path, err: OSError) -> OSError:
    if isinstance(err, FileNotFoundError):
        return FileNotFoundError(f"{path}: no such file; check the path")
    if isinstance(err, IsADirectoryError):
        return IsADirectoryError(f"{path}: is a directory; give the recording files inside it")
    if isinstance(err, PermissionError):
        return PermissionError(f"{path}: permission denied; check the file's permissions")
    return err


def _read_bytes(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> bytes | bytearray:
    """The file's bytes, gunzipped when gzip-compressed, never more than ``limits.max_bytes`` of them.

    A regular file over the cap is refused from its size before it is read; a gzip stream while it
    is inflated; anything else (a file that grows, a pipe, a device such as /dev/zero) after
    ``max_bytes + 1`` bytes.
    """
    cap = int(limits.max_bytes)
    try:
        with open(path, "rb") as fh:
            if fh.peek(2)[:2] == b"\x1f\x8b":
                return _gunzip_bounded(fh, str(path), cap)
            size = os.fstat(fh.fileno()).st_size
            if size > cap:
                raise _over_cap(str(path), f"it holds {size:,} bytes", "max_bytes", f"{cap / 2**20:g} MiB")
            data = fh.read(cap + 1)
    except OSError as err:
        raise _os_error(path, err) from None
    if len(data) > cap:
        raise _over_cap(str(path), f"it holds more than {cap:,} bytes", "max_bytes", f"{cap / 2**20:g} MiB")
    return data


def read_text(path: str | os.PathLike[str], *, limits: ReadLimits | None = None) -> str:
    """The text of a file, gunzipped when it is gzip-compressed (by content, not name).

    Parameters
    ----------
    path : str or path-like
        The file.
    limits : ReadLimits, optional
        ``max_bytes`` caps the (decompressed) size; default :data:`DEFAULT_LIMITS`.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        With a message naming the file and the fix.
    FormatError
        Corrupt gzip data.
    LimitError
        Content larger than ``limits.max_bytes`` (refused before it is read in full).
    """
    p = Path(path)
    lim = limits or DEFAULT_LIMITS
    return _decode(_read_bytes(p, lim), str(p), lim)


def read_any(path: str | os.PathLike[str], *, limits: ReadLimits | None = None) -> Recording:
    """Read a recording file of any accepted layout (:data:`LAYOUTS`), plain or gzip-compressed.

    Parameters
    ----------
    path : str or path-like
        The file. Its layout is detected from its content, never from its name.
    limits : ReadLimits, optional
        Caps on decompressed size, rows and duration (:class:`ReadLimits`); default
        :data:`DEFAULT_LIMITS`. For example ``read_any(p, limits=ReadLimits(max_rows=10_000_000))``.

    Returns
    -------
    Recording
        ``meta["source"]`` is the path, ``meta["layout"]`` the detected layout and
        ``meta["units"]`` the units of the file's columns.

    Raises
    ------
    FileNotFoundError
        No such file (the message names it).
    FormatError
        Empty file, unknown layout (the message names the file, quotes its first line and
        lists the accepted layouts) or malformed content.
    LimitError
        A file over one of the caps (a :class:`FormatError`; the message names the cap and the
        option that raises it).
    """
    p = Path(path)
    lim = limits or DEFAULT_LIMITS
    if p.is_file():
        with open(p, "rb") as fh:
            head = fh.read(4)
            size = os.fstat(fh.fileno()).st_size
        from drivers.c3d import is_c3d

        if is_c3d(head):  # binary force-plate file: plates of type 2 and 4 through ezc3d
            from drivers.c3d import read_c3d

            if size > lim.max_bytes:
                raise _over_cap(str(p), f"it holds {size:,} bytes", "max_bytes", f"{lim.max_bytes / 2**20:g} MiB")
            rec = read_c3d(p)
            _check_duration(rec, str(p), lim)
            return rec
    # The raw bytes are released before parsing: keeping them alive while the parser allocates
    # made glibc return and re-map memory for every file (~1000 page faults, +2 ms per file).
    text = read_text(p, limits=lim)
    return _parse_text(text, str(p), lim)
