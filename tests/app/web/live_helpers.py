"""Helpers of the live tests: a simulated board that counts what it hands out."""

from __future__ import annotations

import threading
from typing import Any

from balance.app.web.live import TestRequest
from drivers.sim import SimulatedBoard


class CountingSimBoard(SimulatedBoard):
    """The simulated board, keeping the timestamp of every sample it hands out (an independent count)."""

    def __init__(self, *args: Any, gate: threading.Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.times: list[float] = []
        self.gate = gate

    def read(self, timeout_s: float | None = None) -> Any:
        if self.gate is not None:
            self.gate.wait()
        s = super().read(timeout_s)
        if s is not None:
            self.times.append(s.t_s)
        return s


class Boards:
    """An ``open_board`` for the hub: counting simulated boards, kept for the test to inspect."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.opened: list[CountingSimBoard] = []
        self.gate = gate

    def __call__(self, request: TestRequest, *, mass_kg: float | None, realtime: bool) -> CountingSimBoard:
        b = CountingSimBoard(seed=7 if request.seed is None else request.seed, mass_kg=float(mass_kg or 70.0),
                             realtime=realtime, gate=self.gate)  # fmt: skip
        b.open()
        self.opened.append(b)
        return b
