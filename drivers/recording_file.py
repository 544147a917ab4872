"""Our own recording file: raw samples written as they arrive, readable after a crash.

The format is plain text that a spreadsheet opens (CSV with ``#`` comment lines)::

    # balance-recording 1 {"format": "balance-recording", "board": {...}, "calibration": {...}, ...}
    t_s,tl_kg,tr_kg,bl_kg,br_kg,button,flags
    12.345678,10.2300,11.0100,9.8700,10.4500,0,0
    ...
    # end {"complete": true, "n_samples": 3012, "reason": "finished", "ended_wall_utc": "..."}

* Line 1 is the magic ``# balance-recording <version>`` followed by a one-line JSON header: board
  (kind, name, serial/address, battery), calibration in use, software version, the start time on the
  monotonic clock (``started_monotonic_s``, the clock of ``t_s``) and on the wall clock
  (``started_wall_utc``, ISO 8601), plus whatever the caller adds (athlete, stance, protocol).
* Then a CSV column line and one row per sample: time (s, 6 decimals = 1 µs), the four corner loads
  TL, TR, BL, BR (kg, 4 decimals), the front button (0/1) and the :class:`~drivers.base.SampleFlag`
  bits as an integer.
* The file is append-only; rows are flushed to the operating system at least every
  ``flush_interval_s`` (1 s by default) and at close, so a crash loses at most the last second.
* A clean close appends ``# end {...}`` with ``"complete": true``. A file without that line (a
  crashed writer, a killed process) or with ``"complete": false`` (a dropped board link, closed with
  ``close(complete=False, reason=...)``) is read back with ``meta["complete"] = False``.

Pandas reads the samples with ``pd.read_csv(path, comment="#")``.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import io
import json
import os
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from balance import __version__ as _software_version
from balance.recording import Recording
from drivers.base import Board, BoardInfo, Sample, SampleFlag

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAGIC",
    "COLUMNS",
    "RecordingFileError",
    "RecordingWriter",
    "RecordingFile",
    "header_from_board",
    "is_recording_text",
    "parse_recording_text",
    "read_recording_file",
    "read_recording",
    "read_samples",
    "read_header",
]

FORMAT_NAME = "balance-recording"
FORMAT_VERSION = 1
#: Every file starts with this text (then a space, the version, a space and the JSON header).
MAGIC = f"# {FORMAT_NAME}"
#: The CSV column line.
COLUMNS: tuple[str, ...] = ("t_s", "tl_kg", "tr_kg", "bl_kg", "br_kg", "button", "flags")
_END = "# end "


class RecordingFileError(ValueError):
    """A file that is not (or no longer) a readable balance recording."""


def _wall_utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def header_from_board(board: Board | BoardInfo, **extra: Any) -> dict[str, Any]:
    """A file header describing ``board`` (its :class:`~drivers.base.BoardInfo`), plus ``extra`` keys.

    Parameters
    ----------
    board : Board or BoardInfo
        The open board (or its info).
    **extra
        More JSON-serialisable header entries (athlete, stance, protocol, ...).
    """
    info = board.info if isinstance(board, Board) else board
    d = asdict(info)
    calibration = dict(d.get("calibration", {}))
    profile = board.calibration_profile if isinstance(board, Board) else None
    if profile is not None and hasattr(profile, "to_dict"):
        calibration["profile"] = profile.to_dict()  # the per-board known-mass profile applied to the samples
    return {"board": d, "calibration": calibration, **extra}


class RecordingWriter:
    """Append samples to a recording file as they arrive.

    Parameters
    ----------
    path : str or Path
        File to create. An existing file is refused unless ``overwrite=True``.
    header : dict
        JSON-serialisable header: board info, calibration, and anything the caller wants kept
        (see :func:`header_from_board`). ``format``, ``format_version``, ``software_version``,
        ``started_wall_utc`` and ``started_monotonic_s`` are filled in when missing.
    flush_interval_s : float, optional
        Longest time (s, on the monotonic clock) rows stay in memory before being written out.
    fsync : bool, optional
        Also ask the OS to put flushed rows on disk (survives a power cut, not only a crash).
    overwrite : bool, optional
        Replace an existing file.

    Examples
    --------
    >>> with RecordingWriter("trial.csv", header=header_from_board(board)) as w:  # doctest: +SKIP
    ...     for sample in board:
    ...         w.write(sample)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        header: Mapping[str, Any],
        flush_interval_s: float = 1.0,
        fsync: bool = True,
        overwrite: bool = False,
    ) -> None:
        if not flush_interval_s >= 0:
            raise ValueError(f"flush_interval_s={flush_interval_s} must be >= 0 (seconds)")
        self.path = Path(path)
        self.flush_interval_s = float(flush_interval_s)
        self._fsync = fsync
        h: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "software_version": _software_version,
            "started_wall_utc": _wall_utc_now(),
            "started_monotonic_s": time.monotonic(),
        }
        h.update(dict(header))
        self.header = h
        try:
            header_json = json.dumps(h, separators=(",", ":"), allow_nan=False, default=_json_default)
        except (TypeError, ValueError) as err:
            raise RecordingFileError(
                f"the recording header is not JSON-serialisable ({err}); pass plain str/int/float/list/dict values"
            ) from err
        self._pending: list[str] = []
        self.n_samples = 0
        self._last_flush = time.monotonic()
        self._fh: IO[bytes] | None = None
        self._create(f"{MAGIC} {FORMAT_VERSION} {header_json}\n{','.join(COLUMNS)}\n", overwrite=overwrite)

    def _create(self, head: str, *, overwrite: bool) -> None:
        """Make the file appear with its header already on disk, never empty.

        The header goes to a hidden temporary file beside the target, is fsync'ed, and is then
        hard-linked (or, with ``overwrite``, renamed) into place, so a process killed at any
        moment leaves either no file or a readable one. Filesystems without hard links fall
        back to an exclusive create.
        """
        data = head.encode("utf-8")

        def write_head(path: Path, mode: str) -> None:
            with open(path, mode) as f:
                f.write(data)
                f.flush()
                if self._fsync:
                    os.fsync(f.fileno())

        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            write_head(tmp, "wb")
            if overwrite:
                os.replace(tmp, self.path)
            else:
                try:
                    os.link(tmp, self.path)
                except FileExistsError:
                    raise FileExistsError(
                        f"{self.path} already exists; choose another --out file or pass --overwrite to replace it"
                    ) from None
                except OSError:  # no hard links here (some network or FAT filesystems)
                    write_head(self.path, "xb")
        finally:
            tmp.unlink(missing_ok=True)
        self._fh = open(self.path, "ab", buffering=0)

    # -- writing ---------------------------------------------------------------------------------
    def write(self, sample: Sample) -> None:
        """Append one sample; rows reach the OS at least every ``flush_interval_s``."""
        if self._fh is None:
            raise ValueError(f"recording {self.path} is closed; open a new RecordingWriter")
        self._pending.append(
            f"{sample.t_s:.6f},{sample.tl_kg:.4f},{sample.tr_kg:.4f},{sample.bl_kg:.4f},"
            f"{sample.br_kg:.4f},{int(bool(sample.button))},{int(sample.flags)}\n"
        )
        self.n_samples += 1
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def write_many(self, samples: Iterable[Sample]) -> None:
        """Append several samples."""
        for s in samples:
            self.write(s)

    def flush(self) -> None:
        """Write buffered rows to the OS now (and to disk with ``fsync=True``)."""
        if self._fh is None:
            return
        if self._pending:
            data = "".join(self._pending)
            self._pending.clear()
            self._write_now(data)
        self._last_flush = time.monotonic()

    def _write_now(self, text: str) -> None:
        assert self._fh is not None
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            n = self._fh.write(view)
            if n is None:  # pragma: no cover - only for non-blocking files
                continue
            view = view[n:]
        if self._fsync:
            try:
                os.fsync(self._fh.fileno())
            except OSError:  # pragma: no cover - e.g. a pipe
                pass

    def close(self, *, complete: bool = True, reason: str = "finished") -> None:
        """Flush, mark the file complete (or incomplete, with ``reason``) and close it. Idempotent."""
        if self._fh is None:
            return
        try:
            self.flush()
            footer = {
                "complete": bool(complete),
                "n_samples": self.n_samples,
                "reason": reason,
                "ended_wall_utc": _wall_utc_now(),
                "ended_monotonic_s": time.monotonic(),
            }
            self._write_now(_END + json.dumps(footer, separators=(",", ":")) + "\n")
        finally:
            fh, self._fh = self._fh, None
            fh.close()

    @property
    def closed(self) -> bool:
        return self._fh is None

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            reason = f"{exc_type.__name__}: {exc}" if exc is not None else exc_type.__name__
            self.close(complete=False, reason=reason)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


# -- reading --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingFile:
    """Everything in a recording file.

    Attributes
    ----------
    header : dict
        The JSON header.
    footer : dict or None
        The end marker, None when the writer never closed the file (crash).
    complete : bool
        True only when the footer says the recording finished normally.
    time_s : ndarray, shape (N,)
        Sample times (s), monotonic clock.
    corners_kg : ndarray, shape (N, 4)
        Corner loads TL, TR, BL, BR (kg).
    button : ndarray of bool, shape (N,)
        Front button pressed.
    flags : ndarray of int, shape (N,)
        :class:`~drivers.base.SampleFlag` bits.
    dropped_partial_line : bool
        The last row was cut short (the writer died mid-line) and was dropped.
    """

    header: dict[str, Any]
    footer: dict[str, Any] | None
    complete: bool
    time_s: NDArray[np.float64]
    corners_kg: NDArray[np.float64]
    button: NDArray[np.bool_]
    flags: NDArray[np.int64]
    dropped_partial_line: bool = False

    def samples(self) -> list[Sample]:
        """The rows as :class:`~drivers.base.Sample` objects."""
        c = self.corners_kg
        return [
            Sample(float(t), float(a), float(b), float(d), float(e), bool(btn), SampleFlag(int(f)))
            for t, (a, b, d, e), btn, f in zip(self.time_s, c, self.button, self.flags)
        ]

    def to_recording(self, *, source: str | None = None) -> Recording:
        """A :class:`~balance.recording.Recording` (CoP from the corners, Wii board geometry)."""
        meta: dict[str, Any] = {
            "format": FORMAT_NAME,
            "layout": FORMAT_NAME,
            "units": {"time": "s", "corners": "kg", "cop": "mm"},
            "header": self.header,
            "footer": self.footer,
            "complete": self.complete,
            "board": self.header.get("board"),
            "calibration": self.header.get("calibration"),
            "button": self.button,
            "flags": self.flags,
        }
        if source is not None:
            meta["source"] = source
        return Recording.from_corners(self.time_s, self.corners_kg, meta=meta)


def is_recording_text(first_line: str | bytes) -> bool:
    """True when ``first_line`` (the file's first line) starts a balance recording."""
    if isinstance(first_line, bytes):
        first_line = first_line.decode("utf-8", errors="replace")
    return first_line.lstrip("\ufeff").startswith(MAGIC + " ")


def parse_recording_text(text: str, *, name: str = "<text>") -> RecordingFile:
    """Parse the text of a recording file (pure; no file access).

    Parameters
    ----------
    text : str
        The whole file content.
    name : str, optional
        Used in error messages.

    Raises
    ------
    RecordingFileError
        Not a recording, a header that is not JSON, a newer format version, or a malformed row
        anywhere but the (possibly cut) last line.
    """
    text = text.lstrip("\ufeff")
    dropped = False
    if text and not text.endswith("\n"):
        # A writer killed mid-write leaves at most one cut row at the end: drop it.
        text = text[: text.rfind("\n") + 1]
        dropped = True
    lines = text.splitlines()
    if not lines or not is_recording_text(lines[0]):
        first = lines[0][:80] if lines else ""
        raise RecordingFileError(
            f"{name} is not a balance recording: its first line is {first!r}, expected it to start with {MAGIC!r}"
        )
    rest = lines[0][len(MAGIC) + 1 :]
    version_txt, _, header_json = rest.partition(" ")
    try:
        version = int(version_txt)
    except ValueError:
        raise RecordingFileError(f"{name}: format version {version_txt!r} is not an integer") from None
    if version > FORMAT_VERSION:
        raise RecordingFileError(
            f"{name} uses recording format version {version}; this software reads up to {FORMAT_VERSION}: "
            "update balance"
        )
    try:
        header = json.loads(header_json)
    except json.JSONDecodeError as err:
        raise RecordingFileError(f"{name}: the header line is not valid JSON ({err})") from err
    except RecursionError:  # a header nested thousands of levels deep: not one we wrote
        raise RecordingFileError(f"{name}: the header line is nested too deeply to be a balance header") from None
    if not isinstance(header, dict):
        raise RecordingFileError(f"{name}: the header must be a JSON object, got {type(header).__name__}")
    footer: dict[str, Any] | None = None
    rows: list[str] = []
    for i, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith(_END):
                try:
                    footer = json.loads(line[len(_END) :])
                except (json.JSONDecodeError, RecursionError) as err:
                    raise RecordingFileError(f"{name}, line {i}: the end marker is not valid JSON ({err})") from None
                if not isinstance(footer, dict):
                    raise RecordingFileError(f"{name}, line {i}: the end marker must be a JSON object")
            continue
        if line.startswith("t_s,"):
            if tuple(line.split(",")) != COLUMNS:
                raise RecordingFileError(f"{name}, line {i}: columns {line!r}, expected {','.join(COLUMNS)}")
            continue
        rows.append(line)
    n = len(rows)
    if n:
        try:
            arr = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", dtype=np.float64, ndmin=2)
        except ValueError as err:
            raise RecordingFileError(f"{name}: a sample row is malformed ({err})") from err
        if arr.shape[1] != len(COLUMNS):
            raise RecordingFileError(f"{name}: sample rows have {arr.shape[1]} fields, expected {len(COLUMNS)}")
    else:
        arr = np.empty((0, len(COLUMNS)))
    complete = bool(footer is not None and footer.get("complete") is True)
    return RecordingFile(
        header=header,
        footer=footer,
        complete=complete,
        time_s=arr[:, 0].copy(),
        corners_kg=arr[:, 1:5].copy(),
        button=arr[:, 5] != 0,
        flags=arr[:, 6].astype(np.int64),
        dropped_partial_line=dropped,
    )


def _read_text(path: Path) -> str:
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise RecordingFileError(f"{path}: gzip data is corrupt or truncated ({err}); copy the file again") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecordingFileError(f"{path}: not a balance recording (not UTF-8 text: {err})") from None


def read_recording_file(path: str | os.PathLike[str]) -> RecordingFile:
    """Read a recording file (plain or ``.gz``) with its header, footer and per-sample arrays."""
    p = Path(path)
    return parse_recording_text(_read_text(p), name=str(p))


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a recording file as a :class:`~balance.recording.Recording`.

    ``meta`` holds ``header``, ``footer``, ``complete`` (False for a crashed or interrupted
    recording), ``board``, ``calibration``, ``source`` and the per-sample ``button`` and ``flags``
    arrays.
    """
    p = Path(path)
    return read_recording_file(p).to_recording(source=str(p))


def read_samples(path: str | os.PathLike[str]) -> list[Sample]:
    """Read a recording file as a list of :class:`~drivers.base.Sample`."""
    return read_recording_file(path).samples()


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Only the JSON header of a recording file (reads the first line)."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(p, "rt", encoding="utf-8") as fh:  # type: ignore[operator]  # open and gzip.open share this call
        first = fh.readline()
    return parse_recording_text(first if first.endswith("\n") else first + "\n", name=str(p)).header
