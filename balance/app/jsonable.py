"""Values as JSON can hold them: what the store, the raw-file headers and ``--json`` output write."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, numpy scalars/arrays, enums, paths to JSON-friendly values."""
    import dataclasses
    import enum

    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a file name with undecodable bytes: keep them as \xNN
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return value.name if not isinstance(value.value, (str, int)) else value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (Path, datetime)):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return to_jsonable(tolist())
    return str(value)
