"""A fake python-evdev ``InputDevice`` for the evdev driver: the events hid-wiimote sends for a balance board."""

from __future__ import annotations

import collections
from dataclasses import dataclass

from drivers.evdev_board import (
    ABS_HAT0X,
    ABS_HAT0Y,
    ABS_HAT1X,
    ABS_HAT1Y,
    BTN_A,
    DEVICE_NAME,
    EV_ABS,
    EV_KEY,
    EV_SYN,
    SYN_REPORT,
)


@dataclass(frozen=True)
class FakeEvent:
    sec: int
    usec: int
    type: int
    code: int
    value: int

    def timestamp(self) -> float:
        return self.sec + self.usec / 1_000_000


class FakeInputDevice:
    """Queues the events of frames of corner loads given in 10 g units (TL, TR, BL, BR), like hid-wiimote.

    Only changed axes are sent in a frame (the kernel drops unchanged values, §6); frames with no change are
    dropped altogether. ``disconnect_after`` frames, ``read_one`` raises ``OSError(19)`` (ENODEV).
    """

    name = DEVICE_NAME
    path = "fake-event0"
    uniq = "00:19:1d:aa:bb:cc"

    def __init__(self, *, disconnect_after: int | None = None, t0_s: float = 1000.0) -> None:
        self.queue: collections.deque[FakeEvent] = collections.deque()
        self.absinfo_set: dict[int, int] = {}
        self.closed = False
        self.n_frames = 0
        self.disconnect_after = disconnect_after
        self._last = [None, None, None, None]
        self._t = t0_s

    def capabilities(self) -> dict[int, list[tuple[int, object]]]:
        return {EV_ABS: [(c, None) for c in (ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y)], EV_KEY: [BTN_A]}

    def set_absinfo(self, code: int, *, fuzz: int | None = None, **_: object) -> None:
        self.absinfo_set[code] = fuzz if fuzz is not None else -1

    def push_frame(self, tl: int, tr: int, bl: int, br: int, *, dt_s: float = 0.01, button: bool | None = None) -> None:
        self._t += dt_s
        sec, usec = int(self._t), int(round((self._t - int(self._t)) * 1e6))
        events = []
        # Kernel order: HAT0X=TR, HAT0Y=BR, HAT1X=TL, HAT1Y=BL.
        for i, (code, v) in enumerate(((ABS_HAT0X, tr), (ABS_HAT0Y, br), (ABS_HAT1X, tl), (ABS_HAT1Y, bl))):
            if self._last[i] != v:
                events.append(FakeEvent(sec, usec, EV_ABS, code, v))
                self._last[i] = v
        if button is not None:
            events.append(FakeEvent(sec, usec, EV_KEY, BTN_A, int(button)))
        if events:
            self.queue.extend(events)
            self.queue.append(FakeEvent(sec, usec, EV_SYN, SYN_REPORT, 0))

    def read_one(self) -> FakeEvent | None:
        if self.closed:
            raise OSError(9, "Bad file descriptor")
        if self.disconnect_after is not None and self.n_frames >= self.disconnect_after:
            raise OSError(19, "No such device")
        if not self.queue:
            return None
        ev = self.queue.popleft()
        if ev.type == EV_SYN:
            self.n_frames += 1
        return ev

    def close(self) -> None:
        self.closed = True
