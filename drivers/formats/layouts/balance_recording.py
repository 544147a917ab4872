"""Our own recording file (:mod:`drivers.recording_file`), delegated to that module."""

from __future__ import annotations

from balance.recording import Recording
from drivers.formats.common import (
    FormatError,
    Layout,
)


def _parse_recording_file(text: str, *, name: str = "<text>") -> Recording:
    from drivers.recording_file import RecordingFileError, parse_recording_text

    try:
        return parse_recording_text(text, name=name).to_recording(source=name)
    except RecordingFileError as err:
        raise FormatError(str(err)) from err


def _detect(first: str, lines: list[str]) -> bool:
    from drivers.recording_file import is_recording_text

    return is_recording_text(first)


LAYOUT = Layout(
    name="balance-recording",
    description="balance recording file (first line '# balance-recording <version> {...}')",
    parse=_parse_recording_file,
    detect=_detect,
    detect_rank=10,
    list_rank=60,
)
