"""Wii Balance Board over Bluetooth HID through hidapi (registry name ``wii``).

The byte sequence is ``docs/wii-balance-board.md`` §9 (synthesised from §2.2): status
request and extension check, extension init without encryption, extension ID (must be
``00 00 A4 20 04 02``), calibration block with CRC and monotonicity check, reference temperature,
LED on, report mode 0x34 continuous — re-sent after every status report. The calibration block is
only ever read, never written (§3.1, wiiuse #155).

The hidapi binding is imported only when this driver opens a device by itself. The project depends on
PyPI ``hidapi`` (cython-hidapi, https://github.com/trezor/cython-hidapi): its wheels for Linux, macOS and
Windows bundle the hidapi C library, so ``pip install`` is all the setup. It imports as ``hid``
(``hid.device()``; on Linux this one goes through libusb, which cannot see Bluetooth devices) and, on
Linux, as ``hidraw`` (``hidraw.device()``, the hidraw backend that does see a Bluetooth board; tried first
there) (§1.3, §11). PyPI ``hid`` (apmorton/pyhidapi, ``hid.Device``, needs a system hidapi library)
also imports as ``hid`` and shadows cython-hidapi's module when both are installed; it is still
accepted when it loads, and named in the error when it does not. Any object with
``write(bytes) -> int`` and ``read(size, timeout_ms) -> bytes`` can be handed in as ``device=``; that
is how the driver is tested (with :class:`drivers.fake_wii.FakeWiiBoard`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from drivers import wii_protocol as wp
from drivers.base import Board, BoardInfo, Sample, SampleFlag
from drivers.errors import (
    BoardDisconnected,
    BoardError,
    BoardNotFound,
    BoardTimeout,
    CalibrationError,
    ProtocolError,
)

__all__ = ["WiiBalanceBoard", "HidDevice", "discover", "kernel_driver_bound", "kernel_bound_devices", "BELOW_ZERO_KG", "setup_help"]

#: A corner more negative than this after calibration/tare is flagged BELOW_ZERO (kg): well above the
#: ~10 g noise (§3.1), well below the offsets of an untared second-hand board (§7: -12 kg).
BELOW_ZERO_KG = 0.2


class HidDevice(Protocol):
    """What the driver needs from a hidapi device."""

    def write(self, data: bytes) -> int: ...

    def read(self, size: int, timeout_ms: int) -> bytes: ...


def setup_help(platform: str | None = None) -> str:
    """What to do when no balance board is found, for this operating system."""
    plat = platform or sys.platform
    lines = [
        "No Wii Balance Board found. To connect one:",
        "  1. Put batteries in, open the battery cover and press the red SYNC button (the LED blinks).",
    ]
    if plat.startswith("linux"):
        lines += [
            "  2. Pair it: bluetoothctl -> power on, agent on, default-agent, scan on, pair <addr>, trust <addr>,"
            " connect <addr>.",
            "  3. Use --board wii (hidapi's hidraw backend, installed with this program) after allowing"
            ' /dev/hidraw* with a udev rule: KERNEL=="hidraw*", KERNELS=="*057E:0306*", TAG+="uaccess";'
            " or --board evdev (the kernel hid-wiimote driver; needs `pip install evdev` and read access to"
            " /dev/input/event*, group `input`).",
            "     If hid-wiimote is bound to the board it fights the wii driver: use --board evdev, or unbind it"
            " (echo <id> | sudo tee /sys/bus/hid/drivers/wiimote/unbind).",
        ]
    elif plat == "darwin":
        lines += [
            "  2. Pair it in Bluetooth settings (macOS 12+ may refuse to pair Wii devices; no working recipe is known).",
            "  3. Nothing else to install: the hidapi library comes inside the `hidapi` Python package.",
        ]
    elif plat.startswith("win"):
        lines += [
            "  2. Pair it with Control Panel > Add a device (pairing without a PIN).",
            "  3. Nothing else to install: hidapi.dll comes inside the `hidapi` Python package (pip installed it).",
        ]
    lines.append("No hardware? Use --board sim (a simulated board, always available).")
    return "\n".join(lines)


def _import_hid() -> Any:
    """The hidapi binding: on Linux cython-hidapi's ``hidraw`` module first (its ``hid`` module uses libusb,
    which cannot see Bluetooth devices, §11), else ``hid`` (cython-hidapi, or PyPI ``hid`` when that one
    shadows it and loads)."""
    if sys.platform.startswith("linux"):
        try:
            import hidraw  # type: ignore[import-not-found]  # hidapi wheels ship no types

            return hidraw
        except ImportError:
            pass
    try:
        import hid  # type: ignore[import-not-found]  # hidapi wheels ship no types
    except ImportError as err:
        raise BoardNotFound(_hid_import_help(err)) from err
    return hid


def _hid_import_help(err: BaseException) -> str:
    """Why ``import hid`` failed, and the pip command that fixes it."""
    text = str(err)
    if "Unable to load any of the following libraries" in text or "libhidapi" in text:
        # PyPI `hid` (ctypes, needs a system library) is installed and shadows cython-hidapi's module
        fix = ("the `hid` module found is PyPI `hid`, which needs a system hidapi library and hides the `hidapi` "
               "package this program uses. Fix: pip uninstall -y hid && pip install --force-reinstall hidapi")
    else:
        fix = ("the hidapi package is missing or broken. Fix: pip install --force-reinstall hidapi "
               "(its wheels bundle the hidapi library for Linux, macOS and Windows)")
    return f"the Python `hid` module cannot be loaded ({text}): {fix}.\n" + setup_help()


def discover() -> list[dict[str, Any]]:
    """hidapi entries that may be a balance board (VID/PID and, where given, the product name)."""
    hid = _import_hid()
    found: list[dict[str, Any]] = []
    for pid in wp.PRODUCT_IDS:
        try:
            entries = hid.enumerate(wp.VENDOR_ID, pid)
        except Exception as err:  # noqa: BLE001 - hidapi raises assorted errors
            raise BoardError(f"hidapi enumeration failed: {err}") from err
        for e in entries:
            name = (e.get("product_string") or "").strip()
            if name and "RVL-WBC" not in name and "RVL-CNT" not in name:
                continue
            found.append(dict(e))
    # Prefer entries that say they are the balance board (§9 step 1); the extension ID confirms later.
    found.sort(key=lambda e: 0 if (e.get("product_string") or "").strip() == wp.PRODUCT_NAME else 1)
    return found


def kernel_driver_bound(path: bytes | str | None) -> bool:
    """Linux: is the kernel ``hid-wiimote`` driver bound to this hidraw device (§6: it will fight us)?"""
    if not sys.platform.startswith("linux") or not path:
        return False
    p = path.decode() if isinstance(path, bytes) else path
    node = os.path.basename(p)
    if not node.startswith("hidraw"):
        return False
    try:
        return os.path.basename(os.path.realpath(f"/sys/class/hidraw/{node}/device/driver")) == "wiimote"
    except OSError:
        return False


def kernel_bound_devices(sysfs: str = "/sys/bus/hid/drivers/wiimote") -> list[str]:
    """Linux: HID device ids (``0005:057E:0306.000A``) the kernel's hid-wiimote driver is bound to (§6)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        names = os.listdir(sysfs)
    except OSError:
        return []
    return sorted(n for n in names if ":057E:03" in n.upper())


class _HidAdapter:
    """Give cython-hidapi (``hid.device()``, ``hidraw.device()``: ``read(size, timeout_ms) -> list[int]``) and
    PyPI ``hid`` (``hid.Device``: ``read(size, timeout=ms) -> bytes``) one interface."""

    def __init__(self, dev: Any, *, cython: bool) -> None:
        self._dev = dev
        self._cython = cython

    def write(self, data: bytes) -> int:
        return int(self._dev.write(bytes(data)))

    def read(self, size: int, timeout_ms: int) -> bytes:
        if self._cython:
            return bytes(self._dev.read(size, timeout_ms))
        return bytes(self._dev.read(size, timeout=timeout_ms))

    def close(self) -> None:
        self._dev.close()


def _open_hid_path(hid: Any, path: bytes | str) -> _HidAdapter:
    """Open ``path`` with the binding ``hid`` (cython-hidapi's ``device()`` object API, or ``Device``)."""
    if hasattr(hid, "device"):
        d = hid.device()
        d.open_path(path if isinstance(path, bytes) else str(path).encode())
        return _HidAdapter(d, cython=True)
    return _HidAdapter(hid.Device(path=path), cython=False)


class WiiBalanceBoard(Board):
    """The real board over HID.

    Parameters
    ----------
    device : object, optional
        An already-open hidapi-like device (``write(bytes)``, ``read(size, timeout_ms)``). When
        None the board is found with hidapi.
    path : bytes or str, optional
        hidapi path of the device to open.
    serial : str, optional
        Bluetooth address to report (and to key calibration profiles by) when the device does not say.
    temperature_correction : bool
        Apply Wii Fit's temperature correction (§3.3).
    tare_s : float
        Seconds of unloaded data averaged at open to re-zero the sensors on raw counts (0 = no tare;
        §7: "tare on raw counts, not on clamped kg").
    request_timeout_s : float
        How long to wait for a reply during initialisation.
    link_timeout_s : float
        With continuous reporting, this long without any report means the link is gone (§2.2).
    clock : callable
        Timestamp source (s); ``time.monotonic`` by default (hidapi gives no timestamps, §4).
    allow_kernel_driver : bool
        Open the device even when Linux's hid-wiimote is bound to it (it will fight us, §6).
    on_malformed : {"raise", "skip"}
        A malformed or short report raises :class:`~drivers.errors.ProtocolError` (default) or is
        skipped and counted in :attr:`stats`.
    """

    kind = "wii"

    def __init__(
        self,
        *,
        device: HidDevice | None = None,
        path: bytes | str | None = None,
        serial: str | None = None,
        temperature_correction: bool = True,
        tare_s: float = 0.0,
        request_timeout_s: float = 1.0,
        link_timeout_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        allow_kernel_driver: bool = False,
        on_malformed: str = "raise",
    ) -> None:
        super().__init__()
        if on_malformed not in ("raise", "skip"):
            raise ValueError(f"on_malformed={on_malformed!r} must be 'raise' or 'skip'")
        self._device: Any = device
        self._owns_device = device is None
        self._path = path
        self._serial = serial
        self.temperature_correction = temperature_correction
        self.tare_s = float(tare_s)
        self.request_timeout_s = float(request_timeout_s)
        self.link_timeout_s = float(link_timeout_s)
        self._clock = clock
        self.allow_kernel_driver = allow_kernel_driver
        self.on_malformed = on_malformed
        self.calibration: wp.WiiCalibration | None = None
        self.tare_counts = np.zeros(4)
        self.battery_raw: int | None = None
        self.battery_low = False
        self.temperature: int | None = None
        self.mode = 0x34
        self._prev_raw: tuple[int, int, int, int] | None = None
        self._last_report_t: float | None = None
        self._name = wp.PRODUCT_NAME
        #: Counters: reports by kind, malformed reports skipped, status reports (mode re-sent).
        self.stats: dict[str, int] = {"data": 0, "status": 0, "malformed": 0, "other": 0, "mode_resent": 0,
                                      "ext_retries": 0}  # fmt: skip
        #: Extension init + ID read attempts while the ID reads as FF..FF / 00..00, and the pause between (s).
        self.ext_init_attempts = 4
        self.ext_retry_delay_s = 0.5

    # -- opening ---------------------------------------------------------------------------------
    def _open_hid(self) -> None:
        hid = _import_hid()
        path = self._path
        entry: dict[str, Any] = {}
        if path is None:
            entries = discover()
            if not entries:
                raise BoardNotFound(setup_help())
            entry = entries[0]
            path = entry.get("path")
        if kernel_driver_bound(path) and not self.allow_kernel_driver:
            raise BoardError(
                "the Linux kernel driver hid-wiimote is bound to the balance board and would fight this driver "
                "(docs/wii-balance-board.md §6). Use --board evdev, or unbind it: "
                "echo <device id> | sudo tee /sys/bus/hid/drivers/wiimote/unbind"
            )
        try:
            dev = _open_hid_path(hid, path)
        except Exception as err:  # noqa: BLE001
            raise BoardNotFound(
                f"cannot open the balance board at {path!r}: {err}. On Linux this is usually permissions on "
                "/dev/hidraw*: add the udev rule from `balance boards`.\n"
            ) from err
        self._device = dev
        if self._serial is None:
            self._serial = (entry.get("serial_number") or None) if entry else None

    def _open(self) -> None:
        if self._device is None:
            self._open_hid()
        try:
            self._initialise()
            if self.tare_s > 0:
                self.tare(seconds=self.tare_s)
        except BaseException:
            self._release()
            raise

    def _initialise(self) -> None:
        """The init sequence of docs/wii-balance-board.md §9 (steps 2-7)."""
        # 2. Status: the extension bit must be set.
        self._write(wp.status_request())
        st = self._wait_for(lambda r: isinstance(r, wp.StatusReport), "status report (0x20)")
        assert isinstance(st, wp.StatusReport)
        if not st.extension_connected:
            raise BoardNotFound(
                "the device answered but reports no extension: it is a Wii Remote, not a balance board"
            )
        self.battery_low = st.battery_low
        # 3. Initialise the extension without encryption, 4. read its ID. A half-connected extension reads
        # as FF..FF or 00..00 for a moment: wiiuse retries; so do we, a few times (§2.2 step 2).
        ext = b""
        for attempt in range(self.ext_init_attempts):
            for addr, val in ((wp.ADDR_EXT_INIT1, 0x55), (wp.ADDR_EXT_INIT2, 0x00)):
                self._write(wp.write_register(addr, bytes([val])))
                ack = self._wait_for(
                    lambda r: isinstance(r, wp.Ack) and r.report_id == 0x16, "write acknowledgement (0x22)"
                )
                assert isinstance(ack, wp.Ack)
                if ack.error:
                    raise ProtocolError(f"the board refused the extension init write to 0x{addr:06X} (error {ack.error})")
            ext = self._read_memory(wp.ADDR_EXT_ID, 6)
            if ext not in (b"\xff" * 6, b"\x00" * 6):
                break
            self.stats["ext_retries"] = attempt + 1
            self._pause(self.ext_retry_delay_s)
        if ext != wp.EXTENSION_ID:
            raise BoardNotFound(
                f"extension id {ext.hex(' ')} is not a balance board (expected {wp.EXTENSION_ID.hex(' ')}); "
                "is a Wii Remote with another accessory connected?"
            )
        # 5. Calibration block (0x20-0x3F) and reference temperature (0x60-0x61), checked.
        block = self._read_memory(wp.ADDR_CALIBRATION, 0x20)
        ref = self._read_memory(wp.ADDR_REF_TEMPERATURE, 2)
        self.calibration = wp.parse_calibration(block, ref)
        # 6. LED on, 7. continuous 0x34.
        self._write(wp.set_leds(0x10))
        self._write(wp.set_report_mode(self.mode, continuous=True))
        self._last_report_t = self._clock()

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` on the driver's clock, reading (and dropping) what the device sends meanwhile."""
        end = self._clock() + seconds
        while (left := end - self._clock()) > 0:
            self._read_raw(left)

    def _release(self) -> None:
        if self._owns_device and self._device is not None:
            try:
                self._device.close()
            except Exception:  # noqa: BLE001 - closing a dead handle
                pass
            self._device = None

    def _close(self) -> None:
        if self._device is not None:
            try:
                self._device.write(wp.set_leds(0x00))
            except Exception:  # noqa: BLE001 - the board may already be gone
                pass
        self._release()

    # -- low level -------------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        try:
            n = self._device.write(data)
        except (OSError, ValueError) as err:
            raise BoardDisconnected(f"writing to the balance board failed: {err}") from err
        if n is not None and n < 0:
            raise BoardDisconnected("writing to the balance board failed (hidapi returned -1)")

    def _read_raw(self, timeout_s: float) -> bytes:
        try:
            data = self._device.read(wp.REPORT_LENGTH, max(0, int(round(timeout_s * 1000))))
        except (OSError, ValueError) as err:
            raise BoardDisconnected(f"the balance board went away: {err}") from err
        return bytes(data or b"")

    def _wait_for(self, pred: Callable[[wp.Report], bool], what: str) -> wp.Report:
        deadline = self._clock() + self.request_timeout_s
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise BoardTimeout(
                    f"the balance board did not send a {what} within {self.request_timeout_s} s; "
                    "press its front button to wake it, or re-pair it"
                )
            data = self._read_raw(remaining)
            if not data:
                continue
            rep = wp.parse_report(data)
            if pred(rep):
                return rep
            if isinstance(rep, wp.StatusReport):
                self.battery_low = rep.battery_low

    def _read_memory(self, address: int, size: int) -> bytes:
        self._write(wp.read_register(address, size))
        out = bytearray()
        while len(out) < size:
            rep = self._wait_for(lambda r: isinstance(r, wp.ReadReply), f"read reply (0x21) for 0x{address:06X}")
            assert isinstance(rep, wp.ReadReply)
            if rep.error:
                raise ProtocolError(
                    f"reading 0x{address:06X} failed with error {rep.error} "
                    f"({'non-existent address' if rep.error == 8 else 'write-only' if rep.error == 7 else 'error'})"
                )
            expect = (address + len(out)) & 0xFFFF
            if rep.address != expect:
                raise ProtocolError(f"read reply for 0x{rep.address:04X}, expected 0x{expect:04X}")
            out += rep.data
        return bytes(out[:size])

    # -- samples ---------------------------------------------------------------------------------
    def to_kg(self, raw: np.ndarray, temperature: np.ndarray | int | None = None) -> np.ndarray:
        """Counts (..., 4) TL, TR, BL, BR to kg: tare offset, piecewise-linear calibration, temperature correction."""
        if self.calibration is None:
            raise CalibrationError("the board is not initialised: open it first")
        kg = wp.raw_to_kg(np.asarray(raw, dtype=np.float64) - self.tare_counts, self.calibration)
        if self.temperature_correction and temperature is not None:
            f = wp.temperature_correction_factor(temperature, reference_temperature=self.calibration.reference_temperature)
            kg = kg * np.asarray(f)[..., None]
        return kg

    def _sample_from(self, rep: wp.DataReport, t_s: float) -> Sample:
        flags = SampleFlag.NONE
        if self._prev_raw is not None and rep.raw == self._prev_raw:
            flags |= SampleFlag.DUPLICATE
        self._prev_raw = rep.raw
        if rep.raw == (0, 0, 0, 0):
            flags |= SampleFlag.NO_DATA
        if max(rep.raw) >= 0xFFFF:
            flags |= SampleFlag.SATURATED
        if rep.temperature is not None:
            self.temperature = rep.temperature
        if rep.battery_raw is not None:
            self.battery_raw = rep.battery_raw
        kg = self.to_kg(np.asarray(rep.raw), rep.temperature)
        if (kg < -BELOW_ZERO_KG).any():
            flags |= SampleFlag.BELOW_ZERO
        return Sample(t_s, float(kg[0]), float(kg[1]), float(kg[2]), float(kg[3]), rep.button, flags)

    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        wait = self.link_timeout_s if timeout_s is None else min(timeout_s, self.link_timeout_s)
        data = self._read_raw(wait)
        now = self._clock()
        if not data:
            if self._last_report_t is not None and now - self._last_report_t >= self.link_timeout_s:
                raise BoardDisconnected(
                    f"no report from the balance board for {now - self._last_report_t:.1f} s in continuous mode: "
                    "the Bluetooth link is gone (batteries? out of range?); press the front button to reconnect"
                )
            return None, False
        self._last_report_t = now
        try:
            rep = wp.parse_report(data)
        except ProtocolError:
            self.stats["malformed"] += 1
            if self.on_malformed == "skip":
                return None, True
            raise
        if isinstance(rep, wp.DataReport):
            self.stats["data"] += 1
            return self._sample_from(rep, now), False
        if isinstance(rep, wp.StatusReport):
            # After every status report the reporting mode must be re-sent (§2.1, kernel handler_status_K).
            self.stats["status"] += 1
            self.battery_low = rep.battery_low
            self._write(wp.set_report_mode(self.mode, continuous=True))
            self.stats["mode_resent"] += 1
            return None, True
        self.stats["other"] += 1
        return None, True

    # -- tare ------------------------------------------------------------------------------------
    def tare(self, *, seconds: float = 3.0, max_load_kg: float = 5.0) -> np.ndarray:
        """Re-zero on raw counts from ``seconds`` of data with the board empty.

        Returns
        -------
        ndarray, shape (4,)
            The new offsets (counts) added to the factory 0 kg point, TL, TR, BL, BR.

        Raises
        ------
        CalibrationError
            Someone is on the board (more than ``max_load_kg`` above the factory zero) or no data came.
        """
        if self.calibration is None:
            raise CalibrationError("open the board before taring it")
        raws: list[tuple[int, int, int, int]] = []
        start = self._clock()
        while self._clock() - start < seconds:
            data = self._read_raw(min(self.link_timeout_s, seconds))
            if not data:
                if self._clock() - start > self.link_timeout_s and not raws:
                    break
                continue
            self._last_report_t = self._clock()
            rep = wp.parse_report(data)
            if isinstance(rep, wp.StatusReport):
                self._write(wp.set_report_mode(self.mode, continuous=True))
            elif isinstance(rep, wp.DataReport):
                raws.append(rep.raw)
        if not raws:
            raise CalibrationError(f"no data from the board during the {seconds} s tare; is it streaming?")
        mean_raw = np.mean(np.asarray(raws, dtype=np.float64), axis=0)
        load = wp.raw_to_kg(mean_raw, self.calibration)
        if load.sum() > max_load_kg:
            raise CalibrationError(
                f"the board carries {load.sum():.1f} kg during tare (limit {max_load_kg} kg): step off and tare again"
            )
        self.tare_counts = mean_raw - np.asarray(self.calibration.c0, dtype=np.float64)
        return self.tare_counts.copy()

    # -- info ------------------------------------------------------------------------------------
    @property
    def info(self) -> BoardInfo:
        cal: dict[str, Any] = self.calibration.as_dict() if self.calibration else {}
        if self.calibration is not None:
            cal["tare_counts"] = [float(x) for x in self.tare_counts]
            cal["temperature_correction"] = self.temperature_correction
        battery = float(wp.battery_level(self.battery_raw)) if self.battery_raw is not None else None
        return BoardInfo(
            kind="wii",
            name=self._name,
            serial=self._serial,
            battery=battery,
            calibration=cal,
            extra={
                "battery_raw": self.battery_raw,
                "battery_low": self.battery_low,
                "temperature": self.temperature,
                "report_mode": f"0x{self.mode:02X}",
            },
        )
