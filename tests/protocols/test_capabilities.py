"""Capabilities are declared, not guessed: cues go only to a CueableBoard, the live CoP uses the
board's declared geometry, events are told apart by type."""

from __future__ import annotations

import io

import pytest

from balance.cop import cop_from_corners
from balance.model import WII_BALANCE_BOARD, BoardGeometry
from drivers.base import BoardInfo, CueableBoard, Sample
from drivers.sim import SimulatedBoard
from protocols import events as ev
from protocols.engine import Engine, _cop_ml
from tests.protocols.conftest import fast_single_leg
from tests.protocols.test_engine import NoCueBoard


class Scripted(NoCueBoard):
    """A scripted person on a board of the given geometry; ``cue`` exists but is not declared."""

    def __init__(self, inner: SimulatedBoard, geometry: BoardGeometry = WII_BALANCE_BOARD) -> None:
        super().__init__(inner)
        self.geometry = geometry
        self.cues: list[str] = []

    def cue(self, instruction: str) -> None:  # not a CueableBoard: the engine must not call it
        self.cues.append(instruction)

    @property
    def info(self) -> BoardInfo:
        return BoardInfo(kind="script", name="scripted", geometry=self.geometry)


def _scripted_person(seed: int) -> SimulatedBoard:
    inner = SimulatedBoard(seed=seed, auto_follow=False)
    inner.person.schedule([(3.0, "set_stance", {"stance": "left"}), (21.0, "set_stance", {"stance": "both"}),
                           (25.0, "set_stance", {"stance": "right"})])  # fmt: skip
    return inner


def test_cues_go_only_to_boards_that_declare_them() -> None:
    assert isinstance(SimulatedBoard(), CueableBoard)
    board = Scripted(_scripted_person(17))
    assert not isinstance(board, CueableBoard)
    res = Engine(fast_single_leg(trials_per_side=1), board).run()
    assert [(t.side, t.valid) for t in res.trials] == [("left", True), ("right", True)]
    assert board.cues == []  # a method called "cue" is not a declared capability
    # the simulator declares it and is told every stance
    with SimulatedBoard(seed=17) as sim:
        Engine(fast_single_leg(trials_per_side=1), sim).run()
        told = [c for _, c in sim.person.cues]
        assert "stand_left" in told and "stand_right" in told


def test_live_cop_uses_the_boards_geometry() -> None:
    s = Sample(0.0, 10.0, 30.0, 10.0, 30.0)  # 60 of 80 kg on the right sensors: x_norm = 0.5
    assert _cop_ml(s, WII_BALANCE_BOARD) == pytest.approx(0.5 * 433.0 / 2)
    wide = BoardGeometry(width_mm=866.0, length_mm=238.0)
    assert _cop_ml(s, wide) == pytest.approx(2 * _cop_ml(s, WII_BALANCE_BOARD))
    assert _cop_ml(s, wide) == float(cop_from_corners(10.0, 30.0, 10.0, 30.0, geometry=wide).cop_ml_mm)
    assert _cop_ml(Sample(0.0, 0.2, 0.2, 0.2, 0.2), wide) != _cop_ml(Sample(0.0, 0.2, 0.2, 0.2, 0.2), wide)  # NaN
    board = Scripted(_scripted_person(19), geometry=wide)
    eng = Engine(fast_single_leg(trials_per_side=1), board)
    res = eng.run()
    assert eng.geometry == wide and res.board is not None and res.board.geometry == wide
    assert all(t.valid for t in res.trials)


def test_console_dispatches_by_type_not_by_class_name() -> None:
    from balance.app.console import ConsoleUI

    class LouderInstruction(ev.Instruction):
        pass

    class Instruction:  # same name, not an engine event
        text = "not an event"

    out = io.StringIO()
    ui = ConsoleUI(out, live_timer=False)
    ui.on_event(LouderInstruction("Stand on your LEFT leg"))
    ui.on_event(Instruction())  # type: ignore[arg-type]  # deliberately not an engine event
    assert out.getvalue() == ">> Stand on your LEFT leg\n"
