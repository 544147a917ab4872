"""The evdev driver handed a fake python-evdev device emitting hid-wiimote's events (docs/wii-balance-board.md §6)."""

from __future__ import annotations

import pytest
from fake_evdev import FakeEvent, FakeInputDevice

from drivers.base import SampleFlag
from drivers.errors import BoardDisconnected, BoardError, CalibrationError
from drivers.evdev_board import (
    ABS_HAT0X,
    ABS_HAT0Y,
    ABS_HAT1X,
    ABS_HAT1Y,
    ABS_HAT2X,
    ABS_HAT3X,
    EV_ABS,
    EvdevBoard,
    parse_bboard_calib,
)
from drivers.fake_wii import KENNER_CALIBRATION


def test_axis_mapping_and_units() -> None:
    dev = FakeInputDevice()
    dev.push_frame(1000, 2000, 3000, 4000)  # TL, TR, BL, BR in 10 g
    with EvdevBoard(device=dev) as b:
        s = b.read(timeout_s=0)
    assert s is not None and s.corners_kg == pytest.approx((10.0, 20.0, 30.0, 40.0))
    # the events themselves: HAT0X carried TR, HAT0Y BR, HAT1X TL, HAT1Y BL


def test_kernel_mapping_event_by_event() -> None:
    dev = FakeInputDevice()
    for code, value in ((ABS_HAT0X, 111), (ABS_HAT0Y, 222), (ABS_HAT1X, 333), (ABS_HAT1Y, 444)):
        dev.queue.append(FakeEvent(5, 0, EV_ABS, code, value))
    dev.queue.append(FakeEvent(5, 0, 0, 0, 0))
    with EvdevBoard(device=dev) as b:
        s = b.read(timeout_s=0)
    assert s is not None and (s.tr_kg, s.br_kg, s.tl_kg, s.bl_kg) == pytest.approx((1.11, 2.22, 3.33, 4.44))


def test_only_changed_axes_are_sent() -> None:
    dev = FakeInputDevice()
    dev.push_frame(1000, 1000, 1000, 1000)
    dev.push_frame(1000, 1500, 1000, 1000)  # the kernel sends only TR
    with EvdevBoard(device=dev) as b:
        b.read(timeout_s=0)
        s = b.read(timeout_s=0)
    assert s is not None and s.corners_kg == pytest.approx((10.0, 15.0, 10.0, 10.0))


def test_fuzz_set_to_zero_and_kernel_timestamps() -> None:
    dev = FakeInputDevice(t0_s=1000.0)
    dev.push_frame(1, 1, 1, 1, dt_s=0.010)
    dev.push_frame(2, 1, 1, 1, dt_s=0.013)
    with EvdevBoard(device=dev) as b:
        s1, s2 = b.read(timeout_s=0), b.read(timeout_s=0)
    assert dev.absinfo_set == {ABS_HAT0X: 0, ABS_HAT0Y: 0, ABS_HAT1X: 0, ABS_HAT1Y: 0}
    assert s2.t_s - s1.t_s == pytest.approx(0.013, abs=2e-6)  # type: ignore[union-attr]


def test_button_and_empty_queue() -> None:
    dev = FakeInputDevice()
    dev.push_frame(1, 1, 1, 1, button=True)
    dev.push_frame(1, 2, 1, 1, button=False)
    with EvdevBoard(device=dev) as b:
        assert b.read(timeout_s=0).button is True  # type: ignore[union-attr]
        assert b.read(timeout_s=0).button is False  # type: ignore[union-attr]
        assert b.read(timeout_s=0) is None


def test_disconnect() -> None:
    dev = FakeInputDevice(disconnect_after=2)
    for i in range(5):
        dev.push_frame(i + 1, 1, 1, 1)
    with EvdevBoard(device=dev) as b:
        b.read(timeout_s=0)
        b.read(timeout_s=0)
        with pytest.raises(BoardDisconnected) as exc:
            b.read(timeout_s=0)
    assert isinstance(exc.value.__cause__, OSError)


def test_saturated_flag() -> None:
    dev = FakeInputDevice()
    dev.push_frame(65535, 1, 1, 1)
    with EvdevBoard(device=dev) as b:
        assert b.read(timeout_s=0).flags & SampleFlag.SATURATED  # type: ignore[union-attr]


def test_not_a_balance_board() -> None:
    class Keyboard(FakeInputDevice):
        name = "AT Translated Set 2 keyboard"

        def capabilities(self) -> dict:  # type: ignore[override]
            return {1: [30, 31]}

    b = EvdevBoard(device=Keyboard())
    with pytest.raises(BoardError, match="balance board axes"):
        b.open()
    assert not b.is_open


def test_hid_wiimote_plus_mapping_in_grams() -> None:
    class PlusDevice(FakeInputDevice):
        def capabilities(self) -> dict:  # type: ignore[override]
            return {EV_ABS: [(c, None) for c in (ABS_HAT0X, ABS_HAT1X, ABS_HAT2X, ABS_HAT3X)]}

    dev = PlusDevice()
    # hid-wiimote-plus: HAT0X front-right, HAT1X back-right, HAT2X front-left, HAT3X back-left, in grams
    for code, value in ((ABS_HAT0X, 20000), (ABS_HAT1X, 40000), (ABS_HAT2X, 10000), (ABS_HAT3X, 30000)):
        dev.queue.append(FakeEvent(1, 0, EV_ABS, code, value))
    dev.queue.append(FakeEvent(1, 0, 0, 0, 0))
    with EvdevBoard(device=dev) as b:
        s = b.read(timeout_s=0)
        assert b.info.extra["driver"] == "hid-wiimote-plus"
    assert s is not None and s.corners_kg == pytest.approx((10.0, 20.0, 30.0, 40.0))


def test_parse_bboard_calib() -> None:
    # Kenner's board as the kernel prints it: (0 kg TR,BR,TL,BL)(17 kg ...)(34 kg ...), %04x joined by ':'
    text = "07c3:3cf8:048c:296b:0ed2:4384:0b3a:3069:15e9:4a10:11ef:376e\n"
    d = parse_bboard_calib(text)
    assert d["c0"] == list(KENNER_CALIBRATION.c0)
    assert d["c17"] == list(KENNER_CALIBRATION.c17)
    assert d["c34"] == list(KENNER_CALIBRATION.c34)
    with pytest.raises(CalibrationError):
        parse_bboard_calib("0001:0002")
    with pytest.raises(CalibrationError, match="not increasing"):
        parse_bboard_calib("0fff:3cf8:048c:296b:0ed2:4384:0b3a:3069:15e9:4a10:11ef:376e")


def test_discovery_through_a_fake_evdev_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys
    import types

    from drivers import evdev_board

    made: dict[str, FakeInputDevice] = {}

    class Named(FakeInputDevice):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path
            self.name = {"/dev/input/event3": "AT keyboard", "/dev/input/event7": evdev_board.DEVICE_NAME}[path]
            made[path] = self
            if path == "/dev/input/event7":
                self.push_frame(500, 600, 700, 800)

    mod = types.ModuleType("evdev")
    mod.list_devices = lambda: ["/dev/input/event3", "/dev/input/event7"]  # type: ignore[attr-defined]
    mod.InputDevice = Named  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evdev", mod)
    monkeypatch.setattr(sys, "platform", "linux")
    calib = "07c3:3cf8:048c:296b:0ed2:4384:0b3a:3069:15e9:4a10:11ef:376e\n"

    def fake_open(path: str, *a: object, **k: object) -> io.StringIO:
        assert path == "/sys/class/input/event7/device/device/bboard_calib"
        return io.StringIO(calib)

    monkeypatch.setattr(evdev_board, "open", fake_open, raising=False)
    with EvdevBoard() as b:
        s = b.read(timeout_s=0)
        info = b.info
    assert s is not None and s.corners_kg == pytest.approx((5.0, 6.0, 7.0, 8.0))
    assert made["/dev/input/event3"].closed  # the keyboard was let go at once
    assert made["/dev/input/event7"].closed  # ours was closed by close()
    assert info.calibration["c0"] == list(KENNER_CALIBRATION.c0) and info.serial == "00:19:1d:aa:bb:cc"


def test_no_evdev_package_or_not_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from drivers.errors import BoardNotFound

    monkeypatch.setitem(sys.modules, "evdev", None)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(BoardNotFound, match="pip install"):
        EvdevBoard().open()
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(BoardNotFound, match="Linux only"):
        EvdevBoard().open()
