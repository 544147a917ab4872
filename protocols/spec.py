"""Declarative protocol descriptions: a protocol is data, run by the one engine.

A :class:`ProtocolSpec` lists blocks of trials (:class:`Block`: stance, sides, trials per
side, duration, eyes, surface, phase), the start rule (:class:`StartRule`: auto-start after
a stable stance), the failure rules (:class:`FailureRules`, thresholds from
``docs/methods.md`` §3.2 step 4 and §4.1), the trim, rest, retries and the
measures of interest. ``ProtocolSpec.from_dict(json.load(f))`` makes a new protocol without
new code; :meth:`ProtocolSpec.plan` expands it into the ordered list of trials.

Example
-------
>>> spec = ProtocolSpec.from_dict({
...     "name": "sls_eyes_closed", "title": "Single-leg stance, eyes closed",
...     "comparison": "left_right",
...     "blocks": [{"stance": "single_leg", "sides": ["left", "right"],
...                 "trials_per_side": 2, "duration_s": 20, "eyes": "closed"}]})
>>> [(p.side, p.trial_index) for p in spec.plan()]
[('left', 1), ('right', 1), ('left', 2), ('right', 2)]
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from balance.catalogue import PROTOCOL_DEFAULT
from balance.model import Side

__all__ = [
    "StartRule",
    "FailureRules",
    "Block",
    "PlannedTrial",
    "ProtocolSpec",
    "SpecError",
    "STANCES",
    "COMPARISONS",
    "FAILURE_KINDS",
]

STANCES = ("single_leg", "bilateral", "squat")
COMPARISONS = ("left_right", "romberg", "squat", "before_after")
FAILURE_KINDS = ("touch_down", "step_off", "hop")
SIDES = tuple(s.value for s in Side)


class SpecError(ValueError):
    """A protocol description that cannot be run; the message names the field and the fix."""


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise SpecError(msg)


@dataclass(frozen=True)
class StartRule:
    """When a trial starts by itself.

    The stance must be stable for ``stable_s`` seconds: total load within
    ``load_tolerance_pct_bw`` % of body weight of its median over the window, and, for
    single-leg stance, the CoP ML at least ``side_offset_mm`` from the board centre towards
    the stance leg (the free foot is off the board). Then a countdown of ``countdown_s``
    beeps and the trial clock starts.

    Attributes
    ----------
    stable_s : float
        Seconds of stable stance before auto-start (s), about 2 s.
    load_tolerance_pct_bw : float
        Allowed spread (max − min) of the total load over the window, % of body weight.
    side_offset_mm : float
        Minimum |CoP ML| (mm) on the stance side for single-leg stance. The default suits
        feet about hip-width apart (foot centres near ±100 mm, where the stance foot's CoP
        sways ±15-25 mm); lower it for a narrow stance.
    countdown_s : int
        Countdown length in whole seconds (0: start at once).
    timeout_s : float
        Give up waiting for a stable stance after this long (s, board time).
    """

    stable_s: float = 2.0
    load_tolerance_pct_bw: float = 12.0
    side_offset_mm: float = 40.0
    countdown_s: int = 3
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        _check(self.stable_s > 0, f"start.stable_s={self.stable_s} must be > 0 s: use about 2 s")
        _check(
            self.load_tolerance_pct_bw > 0,
            f"start.load_tolerance_pct_bw={self.load_tolerance_pct_bw} must be > 0 %",
        )
        _check(self.side_offset_mm >= 0, f"start.side_offset_mm={self.side_offset_mm} must be >= 0 mm")
        _check(
            isinstance(self.countdown_s, int) and self.countdown_s >= 0,
            f"start.countdown_s={self.countdown_s!r} must be a whole number of seconds >= 0",
        )
        _check(self.timeout_s > self.stable_s, f"start.timeout_s={self.timeout_s} must exceed stable_s")


@dataclass(frozen=True)
class FailureRules:
    """Thresholds that end a single-leg trial (``docs/methods.md`` §4.1, §3.2).

    Touch-down of the free foot: the total load drops by more than
    ``touch_down_drop_pct_bw`` % of body weight (foot to the floor; docs/methods.md §3.2
    step 4 suggests 10-20 %; the default takes the sensitive end, 10 %), or the CoP ML jumps towards the board centre by more than
    ``touch_down_cop_jump_mm`` (foot on the board). Step-off: total load under
    ``step_off_load_pct_bw`` % of body weight for longer than ``hop_max_flight_s``. Hop:
    total load under ``step_off_load_pct_bw`` % for at most ``hop_max_flight_s`` then back
    (a flight), or a spike over ``hop_spike_pct_bw`` % (landing). Each condition must hold
    for ``min_duration_s`` on a load smoothed over ``smoothing_s``.

    Attributes
    ----------
    kinds : tuple of str
        Rules in force, a subset of ``("touch_down", "step_off", "hop")``.
    """

    touch_down_drop_pct_bw: float = 10.0
    touch_down_cop_jump_mm: float = 40.0
    step_off_load_pct_bw: float = 20.0
    hop_spike_pct_bw: float = 140.0
    hop_max_flight_s: float = 0.6
    min_duration_s: float = 0.05
    smoothing_s: float = 0.05
    kinds: tuple[str, ...] = FAILURE_KINDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))
        for k in self.kinds:
            _check(k in FAILURE_KINDS, f"failure.kinds contains {k!r}; choose from {FAILURE_KINDS}")
        _check(
            0 < self.touch_down_drop_pct_bw < 100,
            f"failure.touch_down_drop_pct_bw={self.touch_down_drop_pct_bw} must be in (0, 100) %; "
            "docs/methods.md suggests 10-20",
        )
        _check(self.touch_down_cop_jump_mm > 0, "failure.touch_down_cop_jump_mm must be > 0 mm")
        _check(
            0 < self.step_off_load_pct_bw < 100 - self.touch_down_drop_pct_bw,
            f"failure.step_off_load_pct_bw={self.step_off_load_pct_bw} must be > 0 and below "
            f"100 - touch_down_drop_pct_bw = {100 - self.touch_down_drop_pct_bw}",
        )
        _check(self.hop_spike_pct_bw > 100, f"failure.hop_spike_pct_bw={self.hop_spike_pct_bw} must be > 100 %")
        _check(self.hop_max_flight_s > 0, "failure.hop_max_flight_s must be > 0 s")
        _check(self.min_duration_s >= 0, "failure.min_duration_s must be >= 0 s")
        _check(self.smoothing_s >= 0, "failure.smoothing_s must be >= 0 s")


@dataclass(frozen=True)
class Block:
    """A block of trials with one stance and one condition.

    Attributes
    ----------
    stance : {"single_leg", "bilateral", "squat"}
        What the person does on the board.
    sides : tuple of str
        Stance legs in order, e.g. ``("left", "right")``; ``("both",)`` for bilateral/squat.
    trials_per_side : int
        Trials on each side.
    duration_s : float
        Trial duration (s); for squats the longest time allowed for the repetitions.
    eyes : {"open", "closed"}
    surface : {"firm", "foam"}
    order : {"alternate", "blocked"}
        ``alternate``: L R L R ...; ``blocked``: L L L R R R.
    phase : str or None
        ``"before"``/``"after"`` in a before/after protocol.
    reps : int or None
        Squat repetitions asked for (squat blocks).
    """

    stance: Literal["single_leg", "bilateral", "squat"] = "single_leg"
    sides: tuple[str, ...] = ("left", "right")
    trials_per_side: int = 3
    duration_s: float = 30.0
    eyes: Literal["open", "closed"] = "open"
    surface: Literal["firm", "foam"] = "firm"
    order: Literal["alternate", "blocked"] = "alternate"
    phase: str | None = None
    reps: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sides", tuple(self.sides))
        _check(self.stance in STANCES, f"block.stance={self.stance!r}; choose from {STANCES}")
        _check(len(self.sides) > 0, "block.sides is empty; give e.g. ['left', 'right']")
        for s in self.sides:
            _check(s in SIDES, f"block.sides contains {s!r}; choose from {SIDES}")
        if self.stance == "single_leg":
            _check("both" not in self.sides, "a single_leg block stands on 'left' or 'right', not 'both'")
        else:
            _check(self.sides == ("both",), f"a {self.stance} block has sides ['both'], got {list(self.sides)}")
        _check(
            isinstance(self.trials_per_side, int) and self.trials_per_side >= 1,
            f"block.trials_per_side={self.trials_per_side!r} must be a whole number >= 1",
        )
        _check(
            math.isfinite(self.duration_s) and self.duration_s > 0,
            f"block.duration_s={self.duration_s} must be > 0 s",
        )
        _check(self.eyes in ("open", "closed"), f"block.eyes={self.eyes!r}; choose 'open' or 'closed'")
        _check(self.surface in ("firm", "foam"), f"block.surface={self.surface!r}; choose 'firm' or 'foam'")
        _check(self.order in ("alternate", "blocked"), f"block.order={self.order!r}; 'alternate' or 'blocked'")
        if self.stance == "squat":
            _check(
                isinstance(self.reps, int) and self.reps >= 1,
                f"a squat block needs reps >= 1 (got {self.reps!r})",
            )

    @property
    def condition(self) -> str:
        """Condition label: ``eyes_open``/``eyes_closed`` (+ ``_foam``), phase-prefixed."""
        label = f"eyes_{self.eyes}" + ("_foam" if self.surface == "foam" else "")
        return label if self.phase is None else f"{self.phase}/{label}"


@dataclass(frozen=True)
class PlannedTrial:
    """One trial of :meth:`ProtocolSpec.plan` (what the engine will ask for)."""

    block_index: int
    stance: str
    side: str
    condition: str
    trial_index: int
    practice: bool
    duration_s: float
    eyes: str
    surface: str
    phase: str | None
    reps: int | None


_DEFAULT_MEASURES = PROTOCOL_DEFAULT


@dataclass(frozen=True)
class ProtocolSpec:
    """A whole protocol, as data.

    Attributes
    ----------
    name : str
        Identifier (``"single_leg"``); stored with every trial.
    title : str
        Human-readable name.
    blocks : tuple of Block
        The blocks, run in order.
    comparison : {"left_right", "romberg", "squat", "before_after"}
        How the session is compared (:mod:`protocols.compare`).
    description : str
        What the person does, in plain words.
    practice : bool
        One practice trial per side before the first block (recorded, never compared).
    rest_s : float
        Rest between trials (s).
    trim_s : float
        Seconds after lift-off (single-leg) or after the start (other stances) left out of
        the analysis (docs/methods.md §3.2 step 7: 1-2 s).
    max_retries : int
        Most retries of a failed trial a retry policy may ask for.
    measures : tuple of str
        Measures of interest (keys of ``balance.sway.MEASURES`` or protocol measures).
    intervention : str or None
        Before/after: what the person does between the phases (said as an instruction).
    intervention_s : float
        Before/after: seconds allowed for the intervention when nobody confirms by hand.
    analysis : dict
        Keyword parameters for ``balance.pipeline.analyze``.
    feet_ml_mm : (float, float)
        Where the feet stand in two-legged stances: ML of the left and right feet's centres
        (mm) for the weight-bearing share (:func:`protocols.detect.foot_share_left_pct`).
        Default ±100 mm (feet centred on the board's two halves, about hip-width).
    start : StartRule
    failure : FailureRules
    version : int
        Spec format version.
    """

    name: str
    title: str
    blocks: tuple[Block, ...]
    comparison: Literal["left_right", "romberg", "squat", "before_after"] = "left_right"
    description: str = ""
    practice: bool = False
    rest_s: float = 10.0
    trim_s: float = 2.0
    max_retries: int = 1
    measures: tuple[str, ...] = _DEFAULT_MEASURES
    intervention: str | None = None
    intervention_s: float = 0.0
    analysis: Mapping[str, Any] = field(default_factory=dict)
    feet_ml_mm: tuple[float, float] = (-100.0, 100.0)
    start: StartRule = field(default_factory=StartRule)
    failure: FailureRules = field(default_factory=FailureRules)
    version: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "measures", tuple(self.measures))
        object.__setattr__(self, "analysis", dict(self.analysis))
        object.__setattr__(self, "feet_ml_mm", tuple(float(v) for v in self.feet_ml_mm))
        _check(
            len(self.feet_ml_mm) == 2 and self.feet_ml_mm[0] < self.feet_ml_mm[1],
            f"spec.feet_ml_mm={list(self.feet_ml_mm)} must be [left, right] with left < right (mm)",
        )
        _check(bool(self.name) and isinstance(self.name, str), "spec.name must be a non-empty string")
        _check(len(self.blocks) > 0, f"spec {self.name!r} has no blocks; add at least one")
        _check(self.comparison in COMPARISONS, f"spec.comparison={self.comparison!r}; choose from {COMPARISONS}")
        _check(self.rest_s >= 0, f"spec.rest_s={self.rest_s} must be >= 0 s")
        _check(self.trim_s >= 0, f"spec.trim_s={self.trim_s} must be >= 0 s")
        _check(
            isinstance(self.max_retries, int) and self.max_retries >= 0,
            f"spec.max_retries={self.max_retries!r} must be a whole number >= 0",
        )
        _check(self.intervention_s >= 0, "spec.intervention_s must be >= 0 s")
        if self.comparison == "left_right":
            sides = {s for b in self.blocks for s in b.sides}
            _check({"left", "right"} <= sides, "a left_right comparison needs blocks with both 'left' and 'right'")
        if self.comparison == "before_after":
            phases = {b.phase for b in self.blocks}
            _check(
                {"before", "after"} <= phases,
                "a before_after protocol needs blocks with phase 'before' and phase 'after'",
            )
        for b in self.blocks:
            _check(
                b.duration_s > self.trim_s,
                f"block duration_s={b.duration_s} must exceed trim_s={self.trim_s} to leave something to analyse",
            )

    # -- the plan ---------------------------------------------------------------------------
    def plan(self) -> list[PlannedTrial]:
        """The trials in the order the engine runs them (retries come on top)."""
        out: list[PlannedTrial] = []
        for bi, b in enumerate(self.blocks):
            if self.practice and bi == 0:
                for side in b.sides:
                    out.append(self._planned(bi, b, side, 0, practice=True))
            if b.order == "alternate":
                order = [(k, s) for k in range(1, b.trials_per_side + 1) for s in b.sides]
            else:
                order = [(k, s) for s in b.sides for k in range(1, b.trials_per_side + 1)]
            out.extend(self._planned(bi, b, s, k, practice=False) for k, s in order)
        return out

    @staticmethod
    def _planned(bi: int, b: Block, side: str, k: int, *, practice: bool) -> PlannedTrial:
        return PlannedTrial(
            block_index=bi,
            stance=b.stance,
            side=side,
            condition=b.condition,
            trial_index=k,
            practice=practice,
            duration_s=b.duration_s,
            eyes=b.eyes,
            surface=b.surface,
            phase=b.phase,
            reps=b.reps,
        )

    def configured(
        self,
        *,
        trials_per_side: int | None = None,
        duration_s: float | None = None,
        eyes: str | None = None,
        practice: bool | None = None,
        rest_s: float | None = None,
        reps: int | None = None,
    ) -> "ProtocolSpec":
        """A copy with the usual command-line options applied to every block.

        ``eyes`` is applied only to single-leg blocks (the Romberg blocks keep open/closed).
        """
        blocks = []
        for b in self.blocks:
            changes: dict[str, Any] = {}
            if trials_per_side is not None:
                changes["trials_per_side"] = trials_per_side
            if duration_s is not None:
                changes["duration_s"] = float(duration_s)
            if eyes is not None and b.stance == "single_leg":
                changes["eyes"] = eyes
            if reps is not None and b.stance == "squat":
                changes["reps"] = reps
            blocks.append(dataclasses.replace(b, **changes))
        top: dict[str, Any] = {"blocks": tuple(blocks)}
        if practice is not None:
            top["practice"] = practice
        if rest_s is not None:
            top["rest_s"] = float(rest_s)
        return dataclasses.replace(self, **top)

    # -- (de)serialisation -----------------------------------------------------------------
    def conditions(self) -> dict[str, list[str]]:
        """The eyes and surface conditions of the blocks, sorted: what a stored session records."""
        return {"eyes": sorted({b.eyes for b in self.blocks}), "surface": sorted({b.surface for b in self.blocks})}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict; ``from_dict(to_dict())`` gives an equal spec."""
        d = dataclasses.asdict(self)
        d["blocks"] = [_tuples_to_lists(dataclasses.asdict(b)) for b in self.blocks]
        out: dict[str, Any] = _tuples_to_lists(d)
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        """The spec as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProtocolSpec":
        """Build a spec from a plain dict (e.g. parsed JSON); unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise SpecError(f"a protocol description must be a JSON object, got {type(data).__name__}")
        d = dict(data)
        _reject_unknown("protocol", d, cls)
        try:
            blocks_raw = d.pop("blocks")
        except KeyError:
            raise SpecError("protocol description has no 'blocks'; add a list of blocks") from None
        if not isinstance(blocks_raw, (list, tuple)):
            raise SpecError("'blocks' must be a list of block objects")
        blocks = []
        for i, b in enumerate(blocks_raw):
            if not isinstance(b, Mapping):
                raise SpecError(f"blocks[{i}] must be an object, got {type(b).__name__}")
            _reject_unknown(f"blocks[{i}]", b, Block)
            bb = dict(b)
            if "sides" in bb:
                bb["sides"] = tuple(bb["sides"])
            if "duration_s" in bb:
                bb["duration_s"] = float(bb["duration_s"])
            blocks.append(Block(**bb))
        start = d.pop("start", None) or {}
        failure = dict(d.pop("failure", None) or {})
        _reject_unknown("start", start, StartRule)
        _reject_unknown("failure", failure, FailureRules)
        if "kinds" in failure:
            failure["kinds"] = tuple(failure["kinds"])
        if "measures" in d:
            d["measures"] = tuple(d["measures"])
        for key in ("name", "title"):
            if key not in d:
                raise SpecError(f"protocol description has no {key!r}")
        return cls(blocks=tuple(blocks), start=StartRule(**start), failure=FailureRules(**failure), **d)

    @classmethod
    def from_json(cls, text: str) -> "ProtocolSpec":
        """Build a spec from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise SpecError(f"protocol JSON is not valid: {err}; check the file's syntax") from err
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> "ProtocolSpec":
        """Read a spec from a JSON file."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _reject_unknown(where: str, d: Mapping[str, Any], cls: type) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise SpecError(f"{where} has unknown keys {unknown}; known keys are {sorted(known)}")


def _tuples_to_lists(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _tuples_to_lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_tuples_to_lists(v) for v in obj]
    return obj
