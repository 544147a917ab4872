"""The layouts, found in :mod:`drivers.formats.layouts` (each module that declares a ``LAYOUT``), and the detection of a
file's layout from its content. A new layout is one new module with its parser and a ``LAYOUT``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from balance.recording import Recording
from drivers.formats.common import _MAX_METADATA_LINES, FormatError, Layout, _csv_delimiter, _first_lines, _split_header
from drivers.formats.layouts.cop_csv import _COP_CSV_COLUMNS
from drivers.formats.layouts.corners_csv import _CORNER_CSV_COLUMNS


def _discover() -> tuple[Layout, ...]:
    """The ``LAYOUT`` of every module of :mod:`drivers.formats.layouts` that declares one."""
    import drivers.formats.layouts as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        layout = getattr(importlib.import_module(f"{package.__name__}.{info.name}"), "LAYOUT", None)
        if isinstance(layout, Layout):
            found.append(layout)
    return tuple(found)


#: Every layout, in the order they are tried on a file.
REGISTRY: tuple[Layout, ...] = tuple(sorted(_discover(), key=lambda lay: lay.detect_rank))

#: Layout name -> one-line description (shown when a file's layout is not recognised).
LAYOUTS: dict[str, str] = {lay.name: lay.description for lay in sorted(REGISTRY, key=lambda lay: lay.list_rank)}

_PARSERS: dict[str, Callable[..., Recording]] = {lay.name: lay.parse for lay in REGISTRY}

#: Short list of the layouts for error messages.
_ACCEPTED = (
    "HBEDB BDS*.txt, PDS *grf.txt, Motive/Quijoux force-plate CSV, CoP CSV (time_s,cop_ml_mm,cop_ap_mm), "
    "four-corner CSV (time_s,tl_kg,tr_kg,bl_kg,br_kg), balance recording file; plain or .gz"
)


def detect_layout(text: str) -> str:
    """The layout of a file's content, from its header line(s).

    Parameters
    ----------
    text : str
        The file's text, or at least its first few hundred lines.

    Returns
    -------
    str
        A key of :data:`LAYOUTS`.

    Raises
    ------
    FormatError
        Empty text or an unknown layout (the message lists the accepted layouts); the caller
        usually re-raises it with the file name (:func:`parse` does).
    """
    text = text.lstrip("\ufeff")
    head = text.lstrip()
    if not head:
        raise FormatError("the file is empty; record or export a trial with samples")
    first = _first_lines(head, 1)[0]
    non_empty = [ln for ln in _first_lines(text, _MAX_METADATA_LINES) if ln.strip()]
    for layout in REGISTRY:
        if layout.detect(first, non_empty):
            return layout.name
    shown = first if len(first) <= 120 else first[:117] + "..."
    hint = _near_miss(first)
    if hint:
        raise FormatError(f"unknown file layout; its first line is {shown!r}: {hint}")
    raise FormatError(
        f"unknown file layout; its first line is {shown!r}; accepted layouts: {_ACCEPTED}; "
        "convert the file to one of them (e.g. a CoP CSV with columns time_s,cop_ml_mm,cop_ap_mm)"
    )


def _near_miss(first: str) -> str | None:
    """Advice for a header that is almost a CoP or corner CSV (wrong separator, a missing column)."""
    lowered = first.lower()
    known = [c for c in (*_COP_CSV_COLUMNS, *_CORNER_CSV_COLUMNS[1:]) if c in lowered]
    if not known:
        return None
    for sep, label in (("  ", "runs of spaces"), (" ", "spaces")):
        cols = [c.strip().lower() for c in first.split(sep)]
        for expected, what in ((_CORNER_CSV_COLUMNS, "four-corner CSV"), (_COP_CSV_COLUMNS, "CoP CSV")):
            if set(expected) <= set(cols):
                return (
                    f"it looks like a {what} separated by {label}; save it with commas, tabs or semicolons "
                    f"as separators (and '.' as the decimal mark): {','.join(expected)}"
                )
    cols = set(_split_header(first, _csv_delimiter(first)))
    for expected, what in ((_CORNER_CSV_COLUMNS, "four-corner CSV"), (_COP_CSV_COLUMNS, "CoP CSV")):
        if cols & set(expected[1:]):
            missing = [c for c in expected if c not in cols]
            return (
                f"it looks like a {what} but lacks the column(s) {', '.join(missing)}; a {what} needs exactly "
                f"these names (units in mm, kg, s): {','.join(expected)}"
            )
    return None
