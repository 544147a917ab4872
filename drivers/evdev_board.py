"""Wii Balance Board through the Linux kernel driver ``hid-wiimote`` and evdev (registry name ``evdev``).

Facts from ``docs/wii-balance-board.md`` §6: the kernel creates an input device named
"Nintendo Wii Remote Balance Board" with ``ABS_HAT0X`` = TR, ``ABS_HAT0Y`` = BR, ``ABS_HAT1X`` = TL,
``ABS_HAT1Y`` = BL in units of 10 g, already calibrated (negative values clamped to 0), and
``BTN_A`` for the front button. The input core de-fuzzes (fuzz=2), so the driver sets fuzz to 0 on
the four axes. Events carry kernel timestamps; the kernel sends only changed values, so the
driver keeps the last value of each axis and emits one sample per ``SYN_REPORT``. The board's
factory calibration is read from sysfs ``bboard_calib`` where present. The out-of-tree
``hid-wiimote-plus`` uses four HAT X axes in grams instead; it is recognised by its axis set.

The ``evdev`` package (Linux-only extra) is imported only when this driver searches for a device;
any object with python-evdev's ``InputDevice`` interface can be handed in as ``device=`` (that is
how it is tested).
"""

from __future__ import annotations

import os
import select
import sys
import time
from typing import Any

from drivers.base import Board, BoardInfo, Sample, SampleFlag
from drivers.errors import BoardDisconnected, BoardError, BoardNotFound, CalibrationError

__all__ = [
    "EvdevBoard",
    "DEVICE_NAME",
    "find_devices",
    "parse_bboard_calib",
    "EV_SYN",
    "EV_KEY",
    "EV_ABS",
    "SYN_REPORT",
    "ABS_HAT0X",
    "ABS_HAT0Y",
    "ABS_HAT1X",
    "ABS_HAT1Y",
    "ABS_HAT2X",
    "ABS_HAT3X",
    "BTN_A",
]

#: Input device name created by hid-wiimote for a balance board (§6).
DEVICE_NAME = "Nintendo Wii Remote Balance Board"

# linux/input-event-codes.h
EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
SYN_REPORT = 0
ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y = 0x10, 0x11, 0x12, 0x13
ABS_HAT2X, ABS_HAT3X = 0x14, 0x16
BTN_A = 0x130

#: Mainline hid-wiimote: axis -> corner index (TL=0, TR=1, BL=2, BR=3), unit 10 g (§6).
MAINLINE_AXES = {ABS_HAT0X: 1, ABS_HAT0Y: 3, ABS_HAT1X: 0, ABS_HAT1Y: 2}
#: hid-wiimote-plus: HAT0X front-right, HAT1X back-right, HAT2X front-left, HAT3X back-left, grams (§6).
PLUS_AXES = {ABS_HAT0X: 1, ABS_HAT1X: 3, ABS_HAT2X: 0, ABS_HAT3X: 2}


def parse_bboard_calib(text: str) -> dict[str, Any]:
    """Parse sysfs ``bboard_calib``: 12 ``%04x`` values joined by ``:``, (0 kg TR,BR,TL,BL)(17 kg)(34 kg) (§6).

    Returns
    -------
    dict
        ``c0``, ``c17``, ``c34`` in corner order TL, TR, BL, BR (counts).
    """
    parts = text.strip().split(":")
    if len(parts) != 12:
        raise CalibrationError(f"bboard_calib has {len(parts)} values, expected 12: {text.strip()[:80]!r}")
    try:
        v = [int(p, 16) for p in parts]
    except ValueError as err:
        raise CalibrationError(f"bboard_calib is not hexadecimal: {text.strip()[:80]!r}") from err
    rows = [v[0:4], v[4:8], v[8:12]]
    to_corners = [[r[2], r[0], r[3], r[1]] for r in rows]
    for i, name in enumerate(("TL", "TR", "BL", "BR")):
        if not to_corners[0][i] < to_corners[1][i] < to_corners[2][i]:
            raise CalibrationError(f"bboard_calib for {name} is not increasing: {[r[i] for r in to_corners]}")
    return {"type": "kernel-bboard_calib", "c0": to_corners[0], "c17": to_corners[1], "c34": to_corners[2], "corner_order": "TL,TR,BL,BR"}


def _import_evdev() -> Any:
    try:
        import evdev  # type: ignore[import-not-found]  # optional, Linux only, untyped
    except ImportError as err:
        raise BoardNotFound(
            "the `evdev` package is not installed: pip install 'balance-sway[evdev]' (Linux only), "
            "or use --board wii / --board sim"
        ) from err
    return evdev


def find_devices() -> list[Any]:
    """Open evdev devices named like a balance board (Linux; needs read access to /dev/input/event*)."""
    if not sys.platform.startswith("linux"):
        raise BoardNotFound(f"--board evdev works on Linux only (this is {sys.platform}); use --board wii or sim")
    evdev = _import_evdev()
    found = []
    for path in evdev.list_devices():
        try:
            dev = evdev.InputDevice(path)
        except OSError:
            continue
        if dev.name == DEVICE_NAME:
            found.append(dev)
        else:
            dev.close()
    return found


class EvdevBoard(Board):
    """A balance board through the kernel's evdev device.

    Parameters
    ----------
    device : object, optional
        An open python-evdev ``InputDevice`` (or a fake with ``name``, ``capabilities()``,
        ``read_one()``, optionally ``fileno()``, ``set_absinfo()``, ``uniq``, ``path``, ``close()``).
    path : str, optional
        ``/dev/input/eventN`` to open.
    set_fuzz_zero : bool
        Turn off the input core's de-fuzzing on the four axes (§6).
    """

    kind = "evdev"

    def __init__(self, *, device: Any = None, path: str | None = None, set_fuzz_zero: bool = True) -> None:
        super().__init__()
        self._device = device
        self._owns = device is None
        self._path = path
        self.set_fuzz_zero = set_fuzz_zero
        self._values = [0.0, 0.0, 0.0, 0.0]
        self._button = False
        self._prev: tuple[float, float, float, float] | None = None
        self._axes = MAINLINE_AXES
        self._unit_kg = 0.01
        self._calibration: dict[str, Any] = {}
        self._fuzz_note = ""
        # Kernel event times are CLOCK_REALTIME unless changed; mapped onto time.monotonic().
        self._clock_offset = 0.0

    def _open(self) -> None:
        if self._device is None:
            if self._path is not None:
                evdev = _import_evdev()
                try:
                    self._device = evdev.InputDevice(self._path)
                except OSError as err:
                    raise BoardNotFound(f"cannot open {self._path}: {err} (are you in group `input`?)") from err
            else:
                devs = find_devices()
                if not devs:
                    raise BoardNotFound(
                        f"no input device named {DEVICE_NAME!r}: pair and connect the board (bluetoothctl), check "
                        "that hid-wiimote is loaded and that you can read /dev/input/event* (group `input`)"
                    )
                self._device = devs[0]
                for d in devs[1:]:
                    d.close()
        dev = self._device
        try:
            caps = dev.capabilities()
        except OSError as err:
            raise BoardDisconnected(f"the evdev device went away: {err}") from err
        abs_codes = {c[0] if isinstance(c, tuple) else c for c in caps.get(EV_ABS, [])}
        if {ABS_HAT2X, ABS_HAT3X} <= abs_codes:
            self._axes, self._unit_kg = PLUS_AXES, 0.001
        elif not set(MAINLINE_AXES) <= abs_codes:
            raise BoardError(
                f"{getattr(dev, 'name', 'the device')} does not have the balance board axes ABS_HAT0X..ABS_HAT1Y; "
                "is it a balance board?"
            )
        if self.set_fuzz_zero and hasattr(dev, "set_absinfo"):
            for code in self._axes:
                try:
                    dev.set_absinfo(code, fuzz=0)
                except (OSError, TypeError) as err:
                    self._fuzz_note = f"could not set fuzz to 0 ({err}); 10-30 g changes may be smoothed"
        self._calibration = self._read_sysfs_calibration()
        self._clock_offset = time.time() - time.monotonic()

    def _read_sysfs_calibration(self) -> dict[str, Any]:
        path = getattr(self._device, "path", None)
        if not isinstance(path, str) or not path.startswith("/dev/input/"):
            return {"type": "kernel", "applied_by": "hid-wiimote"}
        node = os.path.basename(path)
        sysfs = f"/sys/class/input/{node}/device/device/bboard_calib"
        try:
            with open(sysfs) as fh:
                d = parse_bboard_calib(fh.read())
        except (OSError, CalibrationError):
            return {"type": "kernel", "applied_by": "hid-wiimote"}
        d["applied_by"] = "hid-wiimote"
        return d

    def _close(self) -> None:
        if self._owns and self._device is not None:
            try:
                self._device.close()
            except Exception:  # noqa: BLE001
                pass
            self._device = None

    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        dev = self._device
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                ev = dev.read_one()
            except OSError as err:
                raise BoardDisconnected(f"the balance board's evdev device went away: {err}") from err
            if ev is None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None, False
                if hasattr(dev, "fileno"):
                    try:
                        select.select([dev.fileno()], [], [], remaining)
                    except (OSError, ValueError) as err:
                        raise BoardDisconnected(f"the balance board's evdev device went away: {err}") from err
                    continue
                return None, False
            if ev.type == EV_ABS and ev.code in self._axes:
                self._values[self._axes[ev.code]] = ev.value * self._unit_kg
            elif ev.type == EV_KEY and ev.code == BTN_A:
                self._button = bool(ev.value)
            elif ev.type == EV_SYN and ev.code == SYN_REPORT:
                t = float(ev.timestamp()) - self._clock_offset
                c = (self._values[0], self._values[1], self._values[2], self._values[3])
                flags = SampleFlag.NONE
                if c == self._prev:
                    flags |= SampleFlag.DUPLICATE
                if max(c) >= 65535 * self._unit_kg:
                    flags |= SampleFlag.SATURATED
                self._prev = c
                return Sample(t, c[0], c[1], c[2], c[3], self._button, flags), False

    @property
    def info(self) -> BoardInfo:
        dev = self._device
        return BoardInfo(
            kind="evdev",
            name=str(getattr(dev, "name", DEVICE_NAME)),
            serial=(getattr(dev, "uniq", None) or None),
            battery=None,
            calibration=dict(self._calibration),
            extra={
                "path": str(getattr(dev, "path", "")),
                "driver": "hid-wiimote-plus" if self._axes is PLUS_AXES else "hid-wiimote",
                "unit_kg": self._unit_kg,
                "fuzz": self._fuzz_note or "set to 0",
                "timestamps": "kernel (CLOCK_REALTIME mapped to time.monotonic at open)",
            },
        )
