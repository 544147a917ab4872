"""A byte-level fake Wii Balance Board with the hidapi device interface (``write(bytes)``, ``read(size, timeout_ms)``).

It answers like the real board (``docs/wii-balance-board.md`` §2, §3, §4, §8; Dolphin's
emulated board is the model): 0x15 → 0x20 status (extension bit set), 0x16 → register write + 0x22
ack, 0x17 → chunked 0x21 replies from a 24-bit register map holding the extension ID and a
calibration block with a valid CRC, 0x12 → data reporting mode, 0x11 → LED. Once a data mode is set
it streams 0x32/0x34 reports at the board's cadence (100/s) with ~63 Hz sensor updates (so reports
repeat), on a virtual clock (``realtime=False``, the default: no sleeping) or the real one. After a
status report the reporting mode is reset, as on the real board, until the host sends 0x12 again.

Faults for tests are switched on with keyword arguments (see :class:`FakeWiiBoard`). It lives in the
package (not only in tests) so the benchmark and demonstrations can use it too.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from drivers import wii_protocol as wp

__all__ = ["FakeWiiBoard", "KENNER_CALIBRATION", "KENNER_BYTE20", "KENNER_CRC"]

#: The public calibration dump of Carl Kenner's board (WiiBrew diff 37846, ``docs/wii-balance-board.md`` §3.1),
#: corners TL, TR, BL, BR; reference temperature 0x1A derived from its CRC (§3.4).
KENNER_CALIBRATION = wp.WiiCalibration(
    c0=(0x048C, 0x07C3, 0x296B, 0x3CF8),
    c17=(0x0B3A, 0x0ED2, 0x3069, 0x4384),
    c34=(0x11EF, 0x15E9, 0x376E, 0x4A10),
    reference_temperature=0x1A,
    battery_reference=0x69,
)
KENNER_BYTE20 = 0x10
#: The CRC stored on that board (§3.1), big-endian.
KENNER_CRC = bytes([0x5E, 0x40, 0xE9, 0xB6])

LoadFn = Callable[[float], tuple[float, float, float, float]]


def kg_to_raw(kg: np.ndarray, cal: wp.WiiCalibration) -> np.ndarray:
    """Inverse of :func:`drivers.wii_protocol.raw_to_kg` (rounded counts, clipped to u16)."""
    p = cal.points
    k = np.asarray(kg, dtype=np.float64)
    r = np.where(k < 17.0, p[0] + k * (p[1] - p[0]) / 17.0, p[1] + (k - 17.0) * (p[2] - p[1]) / 17.0)
    return np.clip(np.round(r), 0, 0xFFFF).astype(np.int64)


class FakeWiiBoard:
    """A fake WBB speaking the HID protocol byte for byte.

    Parameters
    ----------
    load : callable or tuple, optional
        Corner loads TL, TR, BL, BR (kg), constant or a function of the fake's time (s).
    calibration : WiiCalibration
        Factory calibration stored in the register map (default: Carl Kenner's board).
    temperature : int
        Temperature byte sent in 0x34 reports.
    battery_raw : int
        Battery byte sent in 0x34 reports (0x83 = 4 bars, like Dolphin's emulator).
    realtime : bool
        Stream on the real clock (sleeping in ``read``) instead of a virtual one.
    report_rate_hz, adc_rate_hz : float
        Report cadence and sensor update rate (``docs/wii-balance-board.md`` §4).
    pad_reads : bool
        Pad every read to 22 bytes, as Windows does (§7).
    extension_id : bytes
        What 0xA400FA holds (set another value to fake a non-board extension).
    corrupt_crc, non_monotonic : bool
        Store a calibration block with a wrong CRC / with 17 kg below 0 kg for one sensor.
    read_error_at : int, optional
        Register address whose reads are answered with error nibble 8 (non-existent).
    disconnect_after : int, optional
        After this many data reports, ``read`` raises ``OSError`` like hidapi on a lost device.
    silent_after : int, optional
        After this many data reports, the board sends nothing (reads time out).
    short_report_at : set of int, optional
        Data report indices sent cut to 7 bytes.
    status_at : set of int, optional
        Data report indices before which an unsolicited 0x20 status report is sent.
    button_fn : callable, optional
        Front button state as a function of time (s).
    no_extension : bool
        Status reports say no extension is connected.
    ignore_output : bool
        Never answer anything (a board that is not there: init times out).
    half_connected_reads : int
        The first this many reads of the extension ID answer FF..FF (a half-connected extension).
    clone : bool
        A third-party board hard-wired to stream 0x34 (``docs/wii-balance-board.md`` §7): it streams from power-up,
        between replies, and a status report does not stop it.
    """

    def __init__(
        self,
        *,
        load: LoadFn | tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
        calibration: wp.WiiCalibration = KENNER_CALIBRATION,
        byte20: int = KENNER_BYTE20,
        temperature: int = 0x1A,
        battery_raw: int = 0x83,
        realtime: bool = False,
        report_rate_hz: float = 100.0,
        adc_rate_hz: float = 63.0,
        pad_reads: bool = False,
        extension_id: bytes = wp.EXTENSION_ID,
        corrupt_crc: bool = False,
        non_monotonic: bool = False,
        read_error_at: int | None = None,
        disconnect_after: int | None = None,
        silent_after: int | None = None,
        short_report_at: set[int] | None = None,
        status_at: set[int] | None = None,
        button_fn: Callable[[float], bool] | None = None,
        no_extension: bool = False,
        ignore_output: bool = False,
        half_connected_reads: int = 0,
        clone: bool = False,
    ) -> None:
        self.load: LoadFn = load if callable(load) else (lambda t, _l=tuple(load): _l)  # type: ignore[misc]  # default-argument capture in a lambda
        self.calibration = calibration
        self.temperature = temperature
        self.battery_raw = battery_raw
        self.realtime = realtime
        self.report_period_s = 1.0 / report_rate_hz
        self.adc_rate_hz = adc_rate_hz
        self.pad_reads = pad_reads
        self.read_error_at = read_error_at
        self.disconnect_after = disconnect_after
        self.silent_after = silent_after
        self.short_report_at = set(short_report_at or ())
        self.status_at = set(status_at or ())
        self.button_fn = button_fn
        self.no_extension = no_extension
        self.ignore_output = ignore_output
        self.half_connected_reads = half_connected_reads
        self.clone = clone
        self._interleave = False
        # Register space: only the extension's 0xA400xx page matters.
        self.registers = bytearray(0x100)
        stored = calibration
        if non_monotonic:
            # The 17 kg point of TR below its 0 kg point, with a valid CRC (so only the order check can catch it).
            c17 = list(calibration.c17)
            c17[1] = calibration.c0[1] - 1
            stored = wp.WiiCalibration(
                calibration.c0, tuple(c17), calibration.c34,  # type: ignore[arg-type]  # four ints by construction
                calibration.reference_temperature, calibration.battery_reference,
            )
        block, ref = wp.build_calibration_block(stored, byte20=byte20, corrupt_crc=corrupt_crc)
        self.registers[0x20:0x40] = block
        self.registers[0x60:0x62] = ref
        self.registers[0xFA:0x100] = bytes(extension_id)[:6].ljust(6, b"\xff")
        self.written: list[bytes] = []
        self.register_writes: list[tuple[int, bytes]] = []
        self._queue: collections.deque[bytes] = collections.deque()
        self.mode: int = 0x34 if clone else 0x30
        self.continuous = False
        self.leds = 0
        self.n_data = 0
        self.closed = False
        self._t0 = time.monotonic()
        self._vt = 0.0  # virtual time (s)
        self._next_report_t = 0.0

    # -- clock -------------------------------------------------------------------------------
    def now(self) -> float:
        """The fake's clock (s): virtual, or real since creation when ``realtime``."""
        return time.monotonic() - self._t0 if self.realtime else self._vt

    # -- hidapi interface ----------------------------------------------------------------------
    def write(self, data: bytes | bytearray | list[int]) -> int:
        if self.closed:
            raise OSError("device closed")
        b = bytes(data)
        self.written.append(b)
        if self.ignore_output or not b:
            return len(b)
        rid = b[0]
        if rid == 0x15:
            self._queue.append(self._status())
        elif rid == 0x16:
            addr = int.from_bytes(b[2:5], "big")
            size = b[5]
            payload = b[6 : 6 + size]
            self.register_writes.append((addr, payload))
            if (addr >> 8) == 0xA400:
                self.registers[addr & 0xFF : (addr & 0xFF) + size] = payload
            self._queue.append(bytes([0x22, 0x00, 0x00, 0x16, 0x00]))
        elif rid == 0x17:
            addr = int.from_bytes(b[2:5], "big")
            size = int.from_bytes(b[5:7], "big")
            self._queue.extend(self._read_replies(addr, size))
        elif rid == 0x12:
            self.continuous = bool(b[1] & 0x04)
            self.mode = b[2]
            self._next_report_t = max(self._next_report_t, self.now())
        elif rid == 0x11:
            self.leds = b[1] & 0xF0
        return len(b)

    def read(self, size: int = 22, timeout_ms: int = 0) -> bytes:
        if self.closed:
            raise OSError("device closed")
        if self.disconnect_after is not None and self.n_data >= self.disconnect_after:
            raise OSError("read error: device disconnected")
        if self._queue:
            if self.clone and self.mode in (0x32, 0x34):
                self._interleave = not self._interleave
                if self._interleave:  # a clone keeps streaming between the replies
                    return self._pad(self._data_report())[:size]
            return self._pad(self._queue.popleft())[:size]
        streaming = self.mode in (0x32, 0x34) and not (
            self.silent_after is not None and self.n_data >= self.silent_after
        )
        timeout_s = (timeout_ms if timeout_ms is not None and timeout_ms >= 0 else 1000) / 1000.0
        if not streaming:
            self._wait(timeout_s)
            return b""
        wait = self._next_report_t - self.now()
        if wait > timeout_s:
            self._wait(timeout_s)
            return b""
        self._wait(max(wait, 0.0))
        return self._pad(self._data_report())[:size]

    def close(self) -> None:
        self.closed = True

    # -- internals -----------------------------------------------------------------------------
    def _wait(self, s: float) -> None:
        if self.realtime:
            time.sleep(s)
        else:
            self._vt += s

    def _pad(self, b: bytes) -> bytes:
        return b.ljust(22, b"\x00") if self.pad_reads else b

    def _status(self) -> bytes:
        lf = (self.leds & 0xF0) | (0x00 if self.no_extension else 0x02)
        if self.battery_raw < 0x6A:
            lf |= 0x01
        # A status report resets the reporting mode (docs/wii-balance-board.md §2.1); not on a hard-wired clone.
        if not self.clone:
            self.mode = 0x30
        return bytes([0x20, 0x00, 0x00, lf, 0x00, 0x00, 0xC0])

    def _read_replies(self, addr: int, size: int) -> list[bytes]:
        out = []
        if addr == 0xA400FA and self.half_connected_reads > 0:
            self.half_connected_reads -= 1
            return [bytes([0x21, 0x00, 0x00, ((size - 1) << 4) & 0xF0, 0x00, 0xFA]) + b"\xff" * 6 + bytes(10)]
        if self.read_error_at is not None and addr == self.read_error_at:
            return [bytes([0x21, 0x00, 0x00, 0xF8]) + (addr & 0xFFFF).to_bytes(2, "big") + bytes(16)]
        off = 0
        while off < size:
            n = min(16, size - off)
            a = addr + off
            if (a >> 8) == 0xA400:
                data = bytes(self.registers[(a & 0xFF) : (a & 0xFF) + n]).ljust(n, b"\x00")
                err = 0
            else:
                data, err = bytes(n), 8
            se = ((n - 1) << 4) | err
            out.append(bytes([0x21, 0x00, 0x00, se]) + (a & 0xFFFF).to_bytes(2, "big") + data.ljust(16, b"\x00"))
            off += n
        return out

    def _data_report(self) -> bytes:
        t = self._next_report_t
        i = self.n_data
        self.n_data += 1
        self._next_report_t = t + self.report_period_s
        if i in self.status_at:
            self.status_at.discard(i)
            self.n_data -= 1
            self._next_report_t = t
            return self._status()
        # The load cells update at ~63 Hz: the report carries the latest sensor tick.
        tick_t = np.floor(t * self.adc_rate_hz + 1e-9) / self.adc_rate_hz
        kg = np.asarray(self.load(float(tick_t)), dtype=np.float64)
        if self.battery_raw == 0:
            raw = np.zeros(4, dtype=np.int64)  # a dead battery: all-zero sensors (§7)
        else:
            raw = kg_to_raw(kg, self.calibration)
        tl, tr, bl, br = (int(x) for x in raw)
        button = bool(self.button_fn(t)) if self.button_fn else False
        head = bytes([self.mode, 0x00, wp.BUTTON_MASK if button else 0x00])
        sensors = b"".join(v.to_bytes(2, "big") for v in (tr, br, tl, bl))
        if self.mode == 0x34:
            rep = head + sensors + bytes([self.temperature, 0x00, self.battery_raw]) + bytes(8)
        else:
            rep = head + sensors
        if i in self.short_report_at:
            rep = rep[:7]
        return rep

    def __repr__(self) -> str:
        return f"FakeWiiBoard(mode=0x{self.mode:02X}, n_data={self.n_data})"

    # convenience for tests
    def outputs(self, report_id: int) -> list[bytes]:
        """Every output report with ``report_id`` the host wrote."""
        return [w for w in self.written if w and w[0] == report_id]

    def info(self) -> dict[str, Any]:
        return {"path": b"fake", "product_string": wp.PRODUCT_NAME, "serial_number": "00:19:1d:fa:ke:00"}
