"""The real `wii` driver handed the byte-level fake board (drivers.fake_wii.FakeWiiBoard)."""

from __future__ import annotations

import sys
from fractions import Fraction

import numpy as np
import pytest

from drivers import wii_protocol as wp
from drivers.base import SampleFlag
from drivers.errors import BoardDisconnected, BoardNotFound, BoardTimeout, CalibrationError, ProtocolError
from drivers.fake_wii import KENNER_CALIBRATION, FakeWiiBoard
from drivers.wii import WiiBalanceBoard


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def board_for(fake: FakeWiiBoard, **kw: object) -> WiiBalanceBoard:
    return WiiBalanceBoard(device=fake, clock=fake.now, **kw)  # type: ignore[arg-type]


def read_n(b: WiiBalanceBoard, n: int) -> list:
    out = []
    while len(out) < n:
        s = b.read(timeout_s=0.5)
        if s is not None:
            out.append(s)
    return out


class TestInitialisation:
    def test_init_bytes(self) -> None:
        fake = FakeWiiBoard()
        with board_for(fake):
            pass
        assert fake.written == [
            h("15 00"),
            h("16 04 A4 00 F0 01 55") + bytes(15),
            h("16 04 A4 00 FB 01 00") + bytes(15),
            h("17 04 A4 00 FA 00 06"),
            h("17 04 A4 00 20 00 20"),
            h("17 04 A4 00 60 00 02"),
            h("11 10"),
            h("12 04 34"),
            h("11 00"),  # LED off at close
        ]

    def test_never_writes_calibration(self) -> None:
        fake = FakeWiiBoard(load=(1, 1, 1, 1))
        with board_for(fake, tare_s=0.5) as b:
            read_n(b, 20)
        assert [a for a, _ in fake.register_writes] == [0xA400F0, 0xA400FB]
        assert not any(0xA40020 <= a <= 0xA4003F for a, _ in fake.register_writes)

    def test_info_has_factory_calibration(self) -> None:
        fake = FakeWiiBoard(battery_raw=0x99)
        with board_for(fake, serial="00:19:1d:01:02:03") as b:
            read_n(b, 1)
            info = b.info
        assert info.kind == "wii" and info.serial == "00:19:1d:01:02:03"
        assert info.calibration["c0"] == list(KENNER_CALIBRATION.c0)
        assert info.calibration["reference_temperature"] == 0x1A
        assert info.battery == 1.0 and info.extra["battery_raw"] == 0x99


class TestDecoding:
    def test_worked_example_through_the_driver(self) -> None:
        fake = FakeWiiBoard()
        with board_for(fake, temperature_correction=False) as b:
            fake._queue.append(h("34 00 00 09 B2 4B B6 1E 84 3F 4D 17 00 99 00") + bytes(7))
            s = b.read(timeout_s=0.5)
        assert s is not None
        tr = Fraction(17 * (2482 - 1987), 3794 - 1987)  # TR 0x09B2 on Kenner's calibration (doc §3.1/§3.2)
        tl = 17 + Fraction(17 * (7812 - 2874), 4591 - 2874)
        assert s.tr_kg == pytest.approx(float(tr), rel=1e-12)
        assert s.tl_kg == pytest.approx(float(tl), rel=1e-12)

    def test_temperature_correction(self) -> None:
        fake = FakeWiiBoard()
        with board_for(fake, temperature_correction=True) as b:
            fake._queue.append(h("34 00 00 09 B2 4B B6 1E 84 3F 4D 17 00 99 00") + bytes(7))
            s = b.read(timeout_s=0.5)
        assert s is not None
        tr = float(Fraction(17 * (2482 - 1987), 3794 - 1987))
        factor = 0.9990813732147217 * (1 - 0.007000000216066837 * (0x17 - 0x1A) / 10)
        assert s.tr_kg == pytest.approx(tr * factor, rel=1e-12)

    def test_loads_within_one_count(self) -> None:
        load = (12.5, 20.0, 30.25, 4.0)
        fake = FakeWiiBoard(load=load, temperature=0x1A)  # at the reference temperature
        with board_for(fake, temperature_correction=False) as b:
            s = read_n(b, 5)[-1]
        np.testing.assert_allclose(s.corners_kg, load, atol=0.011)  # ~10 g per count (§3.1)

    def test_button(self) -> None:
        fake = FakeWiiBoard(load=(5, 5, 5, 5), button_fn=lambda t: 0.2 <= t < 0.3)
        with board_for(fake) as b:
            samples = read_n(b, 50)
        pressed = [s.button for s in samples]
        assert sum(pressed) == 10 and pressed.index(True) == 20

    @pytest.mark.parametrize(("raw", "level"), [(0x99, 1.0), (0x70, 7 / 25), (0x60, 0.0)])
    def test_battery(self, raw: int, level: float) -> None:
        fake = FakeWiiBoard(battery_raw=raw, load=(1, 1, 1, 1))
        with board_for(fake) as b:
            read_n(b, 2)
            assert b.info.battery == pytest.approx(level)

    def test_duplicates_flagged_where_values_repeat(self) -> None:
        fake = FakeWiiBoard(load=lambda t: (10 + 3 * np.sin(t), 10.0 + t, 10.0, 10 + 2 * np.cos(3 * t)))
        with board_for(fake) as b:
            samples = read_n(b, 1000)
        dup = np.array([bool(s.flags & SampleFlag.DUPLICATE) for s in samples])
        same = np.array([samples[i].corners_kg == samples[i - 1].corners_kg for i in range(1, len(samples))])
        np.testing.assert_array_equal(dup[1:], same)
        assert dup.mean() == pytest.approx(1 - 63 / 100, abs=0.02)  # 63 Hz sensors under 100 Hz reports (§4)

    def test_timestamps_from_clock(self) -> None:
        fake = FakeWiiBoard(load=(1, 1, 1, 1))
        with board_for(fake) as b:
            t = np.array([s.t_s for s in read_n(b, 100)])
        np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)


class TestTare:
    def test_tare_removes_offsets_on_raw_counts(self) -> None:
        state = {"load": (-1.2, 0.5, 0.3, -0.4)}  # a second-hand board's zero offsets (§7)
        fake = FakeWiiBoard(load=lambda t: state["load"])
        with board_for(fake, temperature_correction=False) as b:
            s0 = read_n(b, 3)[-1]
            assert s0.tl_kg == pytest.approx(-1.2, abs=0.02) and s0.flags & SampleFlag.BELOW_ZERO
            offsets = b.tare(seconds=1.0)
            assert offsets[0] < 0 < offsets[1]
            np.testing.assert_allclose(read_n(b, 3)[-1].corners_kg, 0.0, atol=0.02)
            state["load"] = (8.8, 10.5, 10.3, 9.6)
            np.testing.assert_allclose(read_n(b, 3)[-1].corners_kg, (10, 10, 10, 10), atol=0.03)

    def test_tare_refuses_a_loaded_board(self) -> None:
        fake = FakeWiiBoard(load=(20, 20, 20, 20))
        with board_for(fake) as b:
            with pytest.raises(CalibrationError, match="step off"):
                b.tare(seconds=0.5)

    def test_tare_at_open(self) -> None:
        fake = FakeWiiBoard(load=(1.0, 1.0, 1.0, 1.0))
        with board_for(fake, tare_s=0.5, temperature_correction=False) as b:
            np.testing.assert_allclose(read_n(b, 2)[-1].corners_kg, 0.0, atol=0.02)


class TestStatusReports:
    def test_status_report_resends_mode(self) -> None:
        fake = FakeWiiBoard(load=(3, 3, 3, 3), status_at={10, 40})
        with board_for(fake) as b:
            samples = read_n(b, 80)
            assert b.stats["status"] == 2 and b.stats["mode_resent"] == 2
        assert len(fake.outputs(0x12)) == 3
        assert len(samples) == 80  # the stream went on: the fake stops after a status until 0x12 is re-sent

    def test_without_resend_the_fake_stops(self) -> None:
        # The property the driver relies on, checked on the fake itself.
        fake = FakeWiiBoard(load=(3, 3, 3, 3))
        fake.write(h("12 04 34"))
        fake.write(h("15 00"))
        assert fake.read(22, 10)[0] == 0x20
        assert fake.read(22, 100) == b""


class TestFaults:
    def test_disconnect_mid_stream(self) -> None:
        fake = FakeWiiBoard(load=(3, 3, 3, 3), disconnect_after=20)
        with board_for(fake) as b:
            read_n(b, 20)
            with pytest.raises(BoardDisconnected) as exc:
                b.read(timeout_s=0.5)
        assert isinstance(exc.value.__cause__, OSError)

    def test_silence_is_a_lost_link(self) -> None:
        fake = FakeWiiBoard(load=(3, 3, 3, 3), silent_after=10)
        with board_for(fake, link_timeout_s=1.0) as b:
            read_n(b, 10)
            with pytest.raises(BoardDisconnected, match="no report"):
                for _ in range(10):
                    b.read(timeout_s=0.3)

    def test_no_answer_at_init_times_out(self) -> None:
        fake = FakeWiiBoard(ignore_output=True)
        b = board_for(fake)
        with pytest.raises(BoardTimeout, match="status report"):
            b.open()
        assert not b.is_open

    def test_short_report_is_a_typed_error_then_the_stream_goes_on(self) -> None:
        fake = FakeWiiBoard(load=(3, 3, 3, 3), short_report_at={5})
        with board_for(fake) as b:
            read_n(b, 5)
            with pytest.raises(ProtocolError, match="short"):
                b.read(timeout_s=0.5)
            assert b.read(timeout_s=0.5) is not None

    def test_short_report_skipped(self) -> None:
        fake = FakeWiiBoard(load=(3, 3, 3, 3), short_report_at={5, 9})
        with board_for(fake, on_malformed="skip") as b:
            read_n(b, 20)
            assert b.stats["malformed"] == 2

    def test_read_error_nibble(self) -> None:
        b = board_for(FakeWiiBoard(read_error_at=0xA40020))
        with pytest.raises(ProtocolError, match="error 8"):
            b.open()
        assert not b.is_open

    def test_not_a_balance_board(self) -> None:
        b = board_for(FakeWiiBoard(extension_id=h("00 00 A4 20 01 01")))  # a Classic Controller's id
        with pytest.raises(BoardNotFound, match="not a balance board"):
            b.open()

    def test_no_extension(self) -> None:
        with pytest.raises(BoardNotFound, match="Wii Remote"):
            board_for(FakeWiiBoard(no_extension=True)).open()

    def test_bad_crc(self) -> None:
        with pytest.raises(CalibrationError, match="CRC"):
            board_for(FakeWiiBoard(corrupt_crc=True)).open()

    def test_non_monotonic_calibration(self) -> None:
        # TR's 17 kg point below its 0 kg point, with a valid CRC: the order check must catch it.
        with pytest.raises(CalibrationError, match="TR.*not increasing"):
            board_for(FakeWiiBoard(non_monotonic=True)).open()

    def test_zero_battery_all_zero_sensors_flagged(self) -> None:
        fake = FakeWiiBoard(battery_raw=0, load=(10, 10, 10, 10))
        with board_for(fake) as b:
            s = read_n(b, 3)[-1]
        assert s.flags & SampleFlag.NO_DATA and s.flags & SampleFlag.BELOW_ZERO

    def test_saturated(self) -> None:
        fake = FakeWiiBoard(load=(10, 10, 10, 1000))
        with board_for(fake) as b:
            assert read_n(b, 2)[-1].flags & SampleFlag.SATURATED

    def test_padded_reads_like_windows(self) -> None:
        fake = FakeWiiBoard(load=(5, 6, 7, 8), pad_reads=True, temperature=0x1A)
        with board_for(fake, temperature_correction=False) as b:
            np.testing.assert_allclose(read_n(b, 3)[-1].corners_kg, (5, 6, 7, 8), atol=0.011)


def test_missing_hid_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hid", None)  # import hid -> ImportError
    monkeypatch.setitem(sys.modules, "hidraw", None)
    b = WiiBalanceBoard()
    with pytest.raises(BoardNotFound, match="pip install --force-reinstall hidapi") as exc:
        b.open()
    assert "libhidapi-hidraw0" not in str(exc.value) and "apt-get" not in str(exc.value)


def test_shadowing_pypi_hid_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyPI `hid` without a system library raises this ImportError and hides cython-hidapi's `hid`."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *a: object, **k: object) -> object:
        if name in ("hid", "hidraw"):
            raise ImportError("Unable to load any of the following libraries:libhidapi-hidraw.so libhidapi.so")
        return real_import(name, *a, **k)

    monkeypatch.delitem(sys.modules, "hid", raising=False)
    monkeypatch.delitem(sys.modules, "hidraw", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(BoardNotFound, match="pip uninstall -y hid"):
        WiiBalanceBoard().open()


class _FakeHidapiDevice:
    """cython-hidapi's ``device`` object API over the byte-level fake: open_path, read -> list[int], write."""

    fakes: list[FakeWiiBoard] = []

    def __init__(self) -> None:
        self.fake: FakeWiiBoard | None = None
        self.opened: bytes | None = None

    def open_path(self, path: bytes) -> None:
        assert isinstance(path, bytes)  # cython-hidapi wants bytes
        self.opened = path
        self.fake = self.fakes[-1]

    def write(self, buff: bytes) -> int:
        assert self.fake is not None
        return self.fake.write(bytes(buff))

    def read(self, max_length: int, timeout_ms: int = 0) -> list[int]:
        assert self.fake is not None
        return list(self.fake.read(max_length, timeout_ms))

    def close(self) -> None:
        pass


def _fake_hidapi_module(name: str, fake: FakeWiiBoard, path: bytes) -> object:
    import types

    mod = types.ModuleType(name)
    _FakeHidapiDevice.fakes = [fake]
    mod.device = _FakeHidapiDevice  # type: ignore[attr-defined]
    mod.enumerate = lambda vid=0, pid=0: (  # type: ignore[attr-defined]
        [{"path": path, "vendor_id": vid, "product_id": pid, "serial_number": "00:1f:32:aa:bb:cc",
          "product_string": wp.PRODUCT_NAME}] if (vid, pid) == (wp.VENDOR_ID, wp.PRODUCT_IDS[0]) else []
    )  # fmt: skip
    return mod


@pytest.mark.parametrize("platform, module", [("linux", "hidraw"), ("darwin", "hid"), ("win32", "hid")])
def test_opens_through_the_hidapi_module_shape(monkeypatch: pytest.MonkeyPatch, platform: str, module: str) -> None:
    """PyPI hidapi: ``hidraw.device()`` on Linux (sees Bluetooth), ``hid.device()`` elsewhere; read gives list[int]."""
    fake = FakeWiiBoard(load=(10.0, 12.0, 14.0, 16.0), temperature=0x1A)
    path = b"/dev/hidraw-fake" if platform == "linux" else b"\\?\\HID#fake"
    other = "hid" if module == "hidraw" else "hidraw"
    monkeypatch.setitem(sys.modules, module, _fake_hidapi_module(module, fake, path))
    monkeypatch.setitem(sys.modules, other, None)  # only the expected module can be used
    monkeypatch.setattr(sys, "platform", platform)
    with WiiBalanceBoard(clock=fake.now, temperature_correction=False) as b:
        samples = read_n(b, 5)
        assert b.info.serial == "00:1f:32:aa:bb:cc"
    np.testing.assert_allclose(samples[-1].corners_kg, (10.0, 12.0, 14.0, 16.0), atol=0.011)
    assert fake.written[0] == h("15 00")


def test_hid_not_imported_by_drivers_package() -> None:
    import subprocess

    code = "import sys, drivers; drivers.board_class('sim'); print('hid' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_protocol_constants() -> None:
    assert (wp.VENDOR_ID, wp.PRODUCT_IDS[0]) == (0x057E, 0x0306)


def test_reconnect_fails_cleanly_when_the_board_stays_gone() -> None:
    fake = FakeWiiBoard(load=(3, 3, 3, 3), disconnect_after=5)
    b = board_for(fake)
    with b:
        read_n(b, 5)
        with pytest.raises(BoardDisconnected):
            b.read(timeout_s=0.5)
        assert b.reconnect(attempts=2, delay_s=0.0) is False
        assert not b.is_open


def test_reconnect_reinitialises() -> None:
    fake = FakeWiiBoard(load=(3, 3, 3, 3))
    with board_for(fake) as b:
        read_n(b, 3)
        assert b.reconnect(attempts=1, delay_s=0.0)
        read_n(b, 3)
    assert len(fake.outputs(0x15)) == 2 and len(fake.outputs(0x12)) == 2  # the whole init sequence again


@pytest.mark.parametrize(("bad_reads", "ok"), [(2, True), (10, False)])
def test_half_connected_extension_is_retried(bad_reads: int, ok: bool) -> None:
    fake = FakeWiiBoard(load=(1, 1, 1, 1), half_connected_reads=bad_reads)
    b = board_for(fake)
    if ok:
        with b:
            assert b.stats["ext_retries"] == bad_reads
            assert b.read(timeout_s=0.5) is not None
        assert len(fake.outputs(0x17)) == bad_reads + 1 + 2  # ID reads, then calibration and temperature
    else:
        with pytest.raises(BoardNotFound, match="ff ff ff ff ff ff"):
            b.open()
        assert len([w for w in fake.outputs(0x17) if w[4] == 0xFA]) == 4


def test_clone_streaming_through_the_init() -> None:
    # A third-party board hard-wired to 0x34 streams data between the replies to the init requests (§7).
    fake = FakeWiiBoard(load=(4, 5, 6, 7), clone=True, temperature=0x1A)
    with board_for(fake, temperature_correction=False) as b:
        samples = read_n(b, 10)
    assert fake.n_data > 10  # data arrived during the init too, and was skipped
    np.testing.assert_allclose(samples[-1].corners_kg, (4, 5, 6, 7), atol=0.011)


def test_depends_on_pypi_hidapi_not_hid() -> None:
    """PyPI `hidapi` bundles the C library in its wheels; PyPI `hid` needs a system one and shadows `hidapi`."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    assert deps is not None
    names = re.findall(r'^\s*"([A-Za-z0-9_.-]+)', deps.group(1), re.M)
    assert "hidapi" in names and "hid" not in names
