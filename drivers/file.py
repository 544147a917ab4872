"""Read a recorded file as a sample stream, as fast as possible (registry name ``file``).

Any layout :func:`drivers.formats.read_any` accepts (HBEDB, PDS, Quijoux/Motive force-plate files,
CoP CSV, corner CSV, our own recording format) becomes the same :class:`~drivers.base.Sample`
stream as a live board; force-plate and CoP-only files get corner loads from
:func:`drivers.replay.corners_from_cop`. It is :class:`~drivers.replay.ReplayBoard` with
``speed=inf`` by default (pass ``speed=1.0`` to pace it in real time).
"""

from __future__ import annotations

import math
import os

from drivers.replay import ReplayBoard

__all__ = ["FileBoard"]


class FileBoard(ReplayBoard):
    """A recorded file read as a board.

    Parameters
    ----------
    path : str or Path
        The file.
    speed : float
        ``math.inf`` (default) = as fast as possible; 1.0 = real time.
    mass_kg : float
        Total load assumed for CoP-only files (kg).
    """

    kind = "file"
    _default_speed = math.inf

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        speed: float | None = None,
        loop: bool = False,
        mass_kg: float = 70.0,
        **kwargs: object,
    ) -> None:
        if path is None:
            path = kwargs.pop("path", None)  # type: ignore[assignment]  # a path-like from the registry keyword
        if path is None:
            raise ValueError("FileBoard needs path=: the file to read")
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        super().__init__(path=path, speed=speed, loop=loop, mass_kg=mass_kg)
