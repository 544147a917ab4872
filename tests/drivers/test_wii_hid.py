"""The `wii` driver's own discovery and open path, with a fake `hid` module (PyPI `hid` and PyPI `hidapi` APIs)
wrapping the byte-level fake board; and the driver fuzzed with arbitrary device bytes."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers import wii as wii_mod
from drivers.errors import BoardError, BoardNotFound
from drivers.fake_wii import FakeWiiBoard
from drivers.wii import WiiBalanceBoard

ENTRY = {"path": b"/dev/hidraw7", "vendor_id": 0x057E, "product_id": 0x0306, "serial_number": "00:19:1d:aa:bb:cc",
         "product_string": "Nintendo RVL-WBC-01"}  # fmt: skip


def pyhid_module(fake: FakeWiiBoard, entries: list[dict[str, Any]]) -> types.ModuleType:
    """A stand-in for PyPI `hid` (apmorton/pyhidapi): hid.enumerate, hid.Device(path=...).read(size, timeout=)."""
    m = types.ModuleType("hid")
    opened: list[Any] = []

    class Device:
        def __init__(self, *, path: bytes) -> None:
            assert path == ENTRY["path"]
            opened.append(self)
            self.closed = False

        def write(self, data: bytes) -> int:
            return fake.write(data)

        def read(self, size: int, timeout: int | None = None) -> bytes:
            return fake.read(size, timeout or 0)

        def close(self) -> None:
            self.closed = True

    m.enumerate = lambda vid=0, pid=0: [e for e in entries if e["vendor_id"] == vid and e["product_id"] == pid]  # type: ignore[attr-defined]
    m.Device = Device  # type: ignore[attr-defined]
    m.opened = opened  # type: ignore[attr-defined]
    return m


def cython_module(fake: FakeWiiBoard, entries: list[dict[str, Any]]) -> types.ModuleType:
    """A stand-in for PyPI `hidapi` (cython): hid.device(); open_path; read(size, timeout_ms)."""
    m = types.ModuleType("hid")

    class device:  # noqa: N801 - the real class name
        def open_path(self, path: bytes) -> None:
            assert path == ENTRY["path"]

        def write(self, data: bytes) -> int:
            return fake.write(data)

        def read(self, size: int, timeout_ms: int = 0) -> list[int]:
            return list(fake.read(size, timeout_ms))

        def close(self) -> None:
            pass

    m.enumerate = lambda vid=0, pid=0: [e for e in entries if e["vendor_id"] == vid and e["product_id"] == pid]  # type: ignore[attr-defined]
    m.device = device  # type: ignore[attr-defined]
    return m


@pytest.mark.parametrize("make_module", [pyhid_module, cython_module])
def test_discover_open_and_read(monkeypatch: pytest.MonkeyPatch, make_module: Any) -> None:
    monkeypatch.setitem(sys.modules, "hidraw", None)  # not installed
    fake = FakeWiiBoard(load=(10, 10, 10, 10))
    other = dict(ENTRY, path=b"/dev/hidraw3", product_string="Some Gamepad")
    monkeypatch.setitem(sys.modules, "hid", make_module(fake, [other, ENTRY]))
    monkeypatch.setattr(wii_mod, "kernel_driver_bound", lambda path: False)
    with WiiBalanceBoard(clock=fake.now) as b:
        s = b.read(timeout_s=0.5)
        assert b.info.serial == "00:19:1d:aa:bb:cc"
    assert s is not None and s.total_kg == pytest.approx(40.0, abs=0.05)
    assert fake.written[0] == bytes.fromhex("15 00")


def test_linux_prefers_the_hidraw_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # PyPI `hidapi` installs `hid` (libusb: blind to Bluetooth) and `hidraw` (sees the board) (doc §11).
    fake = FakeWiiBoard(load=(1, 2, 3, 4))
    monkeypatch.setitem(sys.modules, "hidraw", cython_module(fake, [ENTRY]))
    monkeypatch.setitem(sys.modules, "hid", cython_module(FakeWiiBoard(), []))  # the libusb one sees nothing
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(wii_mod, "kernel_driver_bound", lambda path: False)
    with WiiBalanceBoard(clock=fake.now) as b:
        assert b.read(timeout_s=0.5) is not None


def test_nothing_found_gives_setup_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hidraw", None)
    monkeypatch.setitem(sys.modules, "hid", pyhid_module(FakeWiiBoard(), []))
    with pytest.raises(BoardNotFound, match="SYNC"):
        WiiBalanceBoard().open()


def test_refuses_when_hid_wiimote_is_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeWiiBoard()
    mod = pyhid_module(fake, [ENTRY])
    monkeypatch.setitem(sys.modules, "hidraw", None)
    monkeypatch.setitem(sys.modules, "hid", mod)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(wii_mod.os.path, "realpath", lambda p: "/sys/bus/hid/drivers/wiimote")
    with pytest.raises(BoardError, match="hid-wiimote.*--board evdev"):
        WiiBalanceBoard().open()
    assert not fake.written  # never talked to the device


def test_kernel_driver_bound_reads_sysfs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    seen = []
    monkeypatch.setattr(wii_mod.os.path, "realpath", lambda p: seen.append(p) or "/sys/bus/hid/drivers/hid-generic")
    assert wii_mod.kernel_driver_bound(b"/dev/hidraw4") is False
    assert seen == ["/sys/class/hidraw/hidraw4/device/driver"]
    assert wii_mod.kernel_driver_bound("DevSrvsID:4294969147") is False  # macOS paths are not hidraw nodes


class ScriptedBoard(FakeWiiBoard):
    """The fake for the init, then arbitrary bytes from the device."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__(load=(5, 5, 5, 5))
        self.chunks = list(chunks)
        self.scripted = False

    def read(self, size: int = 22, timeout_ms: int = 0) -> bytes:
        if not self.scripted:
            return super().read(size, timeout_ms)
        if self.chunks:
            return self.chunks.pop(0)[:size]
        self._wait(timeout_ms / 1000)
        return b""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(min_size=0, max_size=24), max_size=12))
def test_driver_fuzzed_with_device_bytes(chunks: list[bytes]) -> None:
    fake = ScriptedBoard(chunks)
    b = WiiBalanceBoard(device=fake, clock=fake.now, link_timeout_s=0.05)
    with b:
        fake.scripted = True
        for _ in range(len(chunks) + 3):
            try:
                s = b.read(timeout_s=0.01)
            except BoardError:
                continue  # typed errors only (ProtocolError, BoardDisconnected, ...)
            if s is not None:
                assert all(v == v for v in s.corners_kg)  # finite numbers, never NaN


def test_kernel_bound_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("0005:057E:0306.000A", "0005:057E:0330.0001", "bind", "unbind", "module", "0003:046D:C52B.0002"):
        (tmp_path / name).touch()
    assert wii_mod.kernel_bound_devices(str(tmp_path)) == ["0005:057E:0306.000A", "0005:057E:0330.0001"]
    assert wii_mod.kernel_bound_devices(str(tmp_path / "missing")) == []
