"""The squad filter of the reference commands (``--squad-group``, ``--squad-sex``, ``--squad-age``).

Kept apart from :mod:`balance.app.references` so registering the commands stays light (``balance --help``
imports no numeric code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SquadFilter", "add_squad_arguments", "squad_filter"]


@dataclass(frozen=True)
class SquadFilter:
    """Which athletes make the squad reference (all of them by default).

    ``group``: the athlete's group tag (exact, case-insensitive); ``sex``: ``F``/``M``;
    ``age_band``: ``(min, max)`` years, ``[min, max)``, of age at the test.
    """

    group: str | None = None
    sex: str | None = None
    age_band: tuple[float, float] | None = None

    def label(self) -> str:
        parts = []
        if self.group:
            parts.append(f"group '{self.group}'")
        if self.sex:
            parts.append({"F": "women", "M": "men"}.get(self.sex.upper(), self.sex))
        if self.age_band:
            parts.append(f"aged {self.age_band[0]:g}-{self.age_band[1] - 1:g}")
        return "this squad" + (f" ({', '.join(parts)})" if parts else "")


def add_squad_arguments(p: Any) -> None:
    """``--squad-group``, ``--squad-sex``, ``--squad-age`` (filters of the squad's own norms)."""
    p.add_argument("--squad-group", metavar="TAG", help="squad norms only among athletes with this group tag")
    p.add_argument("--squad-sex", choices=("F", "M"), help="squad norms only among women (F) or men (M)")
    p.add_argument("--squad-age", metavar="MIN-MAX", help="squad norms only among athletes of this age, e.g. 18-29")


def squad_filter(args: Any) -> SquadFilter:
    """The :class:`SquadFilter` of the command line (:func:`add_squad_arguments`)."""
    band = None
    text = getattr(args, "squad_age", None)
    if text:
        try:
            lo, hi = (float(x) for x in str(text).split("-", 1))
        except ValueError:
            from balance.app.cli import UsageError

            raise UsageError(f"--squad-age {text!r}: give MIN-MAX in years, e.g. 18-29") from None
        band = (lo, hi + 1.0)  # inclusive in words, [min, max + 1) in years
    return SquadFilter(group=getattr(args, "squad_group", None), sex=getattr(args, "squad_sex", None), age_band=band)
