"""Wii Balance Board HID protocol: pure functions from bytes to values and back (no device, no clock).

Everything here follows ``docs/wii-balance-board.md``; section numbers below refer to it.
With hidapi, byte 0 of every report read or written is the report ID (§1.3). Reports are parsed
by their ID, never by their length: Windows pads every read to 22 bytes (§7), so trailing bytes
are ignored, while a report shorter than its layout raises :class:`~drivers.errors.ProtocolError`.
Sensor values are big-endian **unsigned** 16-bit (§4, §7: ``>H``, not ``>h``), in the order
TR, BR, TL, BL on the wire; this module returns corners in the project's order TL, TR, BL, BR.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.errors import CalibrationError, ProtocolError

__all__ = [
    "VENDOR_ID",
    "PRODUCT_IDS",
    "PRODUCT_NAME",
    "EXTENSION_ID",
    "REPORT_LENGTH",
    "WIRE_TO_CORNERS",
    "StatusReport",
    "ReadReply",
    "Ack",
    "DataReport",
    "Report",
    "WiiCalibration",
    "status_request",
    "write_register",
    "read_register",
    "set_leds",
    "set_report_mode",
    "parse_report",
    "parse_data_reports",
    "calibration_crc",
    "build_calibration_block",
    "parse_calibration",
    "raw_to_kg",
    "temperature_correction_factor",
    "battery_level",
    "battery_bars",
    "BUTTON_MASK",
]

#: Nintendo (§0, §1.1).
VENDOR_ID = 0x057E
#: The WBB reports the original Wii Remote's PID 0x0306; 0x0330 (Wii Remote Plus) is tried as a fallback (§9).
PRODUCT_IDS: tuple[int, ...] = (0x0306, 0x0330)
#: Bluetooth / HID product name (§1.1).
PRODUCT_NAME = "Nintendo RVL-WBC-01"
#: Six bytes at 0xA400FA identify a balance board (§0, §2.2 step 3).
EXTENSION_ID = bytes([0x00, 0x00, 0xA4, 0x20, 0x04, 0x02])
#: Longest report plus the ID byte (§1.3).
REPORT_LENGTH = 22
#: Front (power) button: core button A, byte 2 of the report, mask 0x08 (§4, §9 step 8).
BUTTON_MASK = 0x08
#: Column k of the corner output (TL, TR, BL, BR) comes from wire position WIRE_TO_CORNERS[k] (wire: TR, BR, TL, BL).
WIRE_TO_CORNERS: tuple[int, int, int, int] = (2, 0, 3, 1)

# Register addresses (§3.1) and the output report flag for "register space" (§2.1).
_REG = 0x04
ADDR_EXT_INIT1 = 0xA400F0
ADDR_EXT_INIT2 = 0xA400FB
ADDR_EXT_ID = 0xA400FA
ADDR_CALIBRATION = 0xA40020
ADDR_REF_TEMPERATURE = 0xA40060

# Payload length after the ID byte, per input report (§1.3 table).
_INPUT_LENGTH = {0x20: 6, 0x21: 21, 0x22: 4, 0x30: 2, 0x31: 5, 0x32: 10, 0x33: 17, 0x34: 21, 0x35: 21, 0x36: 21, 0x37: 21, 0x3D: 21, 0x3E: 21, 0x3F: 21}


# -- output reports (host -> board) ---------------------------------------------------------------
def status_request() -> bytes:
    """``15 00``: ask for a 0x20 status report (§2.1)."""
    return bytes([0x15, 0x00])


def write_register(address: int, data: bytes) -> bytes:
    """``16 04 A2 A1 A0 SS D0..D15``: write up to 16 bytes to register space (§2.1), 22 bytes long."""
    if not 0 <= address <= 0xFFFFFF:
        raise ValueError(f"address=0x{address:X} must fit in 24 bits")
    if not 1 <= len(data) <= 16:
        raise ValueError(f"a register write carries 1-16 bytes, got {len(data)}")
    return bytes([0x16, _REG]) + address.to_bytes(3, "big") + bytes([len(data)]) + bytes(data).ljust(16, b"\x00")


def read_register(address: int, size: int) -> bytes:
    """``17 04 A2 A1 A0 S1 S0``: read ``size`` bytes of register space (§2.1)."""
    if not 0 <= address <= 0xFFFFFF:
        raise ValueError(f"address=0x{address:X} must fit in 24 bits")
    if not 1 <= size <= 0xFFFF:
        raise ValueError(f"size={size} must be 1-65535 bytes")
    return bytes([0x17, _REG]) + address.to_bytes(3, "big") + size.to_bytes(2, "big")


def set_leds(mask: int = 0x10) -> bytes:
    """``11 LL``: LED1 (the WBB's only LED) is 0x10 (§2.1)."""
    return bytes([0x11, mask & 0xF0])


def set_report_mode(mode: int = 0x34, *, continuous: bool = True) -> bytes:
    """``12 CC MM``: data reporting mode; 0x34 continuous is the safe choice (§2.2 step 6)."""
    return bytes([0x12, 0x04 if continuous else 0x00, mode])


# -- input reports (board -> host) -----------------------------------------------------------------
@dataclass(frozen=True)
class StatusReport:
    """0x20 status (§2.1): LED bits, battery-low and extension bits, battery byte (unreliable on a WBB, §3.5)."""

    buttons: int
    leds: int
    battery_low: bool
    extension_connected: bool
    battery_raw: int


@dataclass(frozen=True)
class ReadReply:
    """0x21 register read reply (§2.1): ``size`` bytes of ``data`` from address low bits ``address``; ``error`` ≠ 0 is a failed read."""

    buttons: int
    size: int
    error: int
    address: int
    data: bytes


@dataclass(frozen=True)
class Ack:
    """0x22 acknowledgement of output report ``report_id`` with ``error`` (0 = ok)."""

    buttons: int
    report_id: int
    error: int


@dataclass(frozen=True)
class DataReport:
    """0x32 or 0x34 data report (§4).

    Attributes
    ----------
    report_id : int
    buttons : int
        The two core-button bytes as a big-endian integer.
    raw : tuple of 4 int
        Sensor counts in corner order TL, TR, BL, BR.
    temperature : int or None
        Temperature byte (0x34 only).
    battery_raw : int or None
        Battery byte (0x34 only; the reliable battery value, §3.5).
    """

    report_id: int
    buttons: int
    raw: tuple[int, int, int, int]
    temperature: int | None = None
    battery_raw: int | None = None

    @property
    def button(self) -> bool:
        """The front button is pressed."""
        return bool(self.buttons & BUTTON_MASK)


@dataclass(frozen=True)
class OtherReport:
    """A report the driver does not use (0x30 buttons only, IR/accelerometer modes)."""

    report_id: int
    buttons: int
    payload: bytes = field(repr=False, default=b"")


Report = StatusReport | ReadReply | Ack | DataReport | OtherReport


def parse_report(data: bytes | bytearray | memoryview) -> Report:
    """Parse one input report (byte 0 = report ID).

    Raises
    ------
    ProtocolError
        Empty input, an unknown report ID, or fewer bytes than the report's layout needs.
    """
    b = bytes(data)
    if not b:
        raise ProtocolError("empty report: the device returned no bytes")
    rid = b[0]
    need = _INPUT_LENGTH.get(rid)
    if need is None:
        raise ProtocolError(f"unknown input report id 0x{rid:02X} ({len(b)} bytes): not a Wii Remote/Balance Board report")
    if len(b) < need + 1:
        raise ProtocolError(
            f"report 0x{rid:02X} is {len(b)} bytes long, its layout needs {need + 1}: short or truncated read"
        )
    buttons = (b[1] << 8) | b[2]
    if rid == 0x20:
        lf = b[3]
        return StatusReport(buttons, lf >> 4, bool(lf & 0x01), bool(lf & 0x02), b[6])
    if rid == 0x21:
        se = b[3]
        return ReadReply(buttons, (se >> 4) + 1, se & 0x0F, (b[4] << 8) | b[5], b[6 : 6 + (se >> 4) + 1])
    if rid == 0x22:
        return Ack(buttons, b[3], b[4])
    if rid in (0x32, 0x34):
        tr, br, tl, bl = struct.unpack_from(">4H", b, 3)
        if rid == 0x34:
            return DataReport(rid, buttons, (tl, tr, bl, br), b[11], b[13])
        return DataReport(rid, buttons, (tl, tr, bl, br))
    return OtherReport(rid, buttons, b[3 : need + 1])


def parse_data_reports(reports: ArrayLike) -> dict[str, NDArray[np.int64]]:
    """Vectorised parse of many 0x32/0x34 reports (recorded captures).

    Parameters
    ----------
    reports : array_like of uint8, shape (N, L)
        One report per row, byte 0 = report ID, L >= 11 (>= 14 for temperature and battery).

    Returns
    -------
    dict
        ``raw`` (N, 4) sensor counts TL, TR, BL, BR; ``button`` (N,) bool; ``temperature`` and
        ``battery_raw`` (N,) (-1 where the report is 0x32); ``report_id`` (N,).

    Raises
    ------
    ProtocolError
        Rows that are not 0x32/0x34 or too short.
    """
    a = np.asarray(reports, dtype=np.uint8)
    if a.ndim != 2 or a.shape[1] < 11:
        raise ProtocolError(f"reports must have shape (N, >=11) bytes, got {a.shape}")
    rid = a[:, 0]
    ok = (rid == 0x32) | (rid == 0x34)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise ProtocolError(f"row {bad} has report id 0x{int(rid[bad]):02X}; only 0x32 and 0x34 carry sensor data")
    is34 = rid == 0x34
    if is34.any() and a.shape[1] < 14:
        raise ProtocolError(f"0x34 reports need >= 14 bytes for temperature and battery, rows have {a.shape[1]}")
    wire = a[:, 3:11].reshape(-1, 4, 2).astype(np.int64)
    raw_wire = (wire[:, :, 0] << 8) | wire[:, :, 1]  # big-endian u16, wire order TR, BR, TL, BL
    raw = raw_wire[:, list(WIRE_TO_CORNERS)]
    a64 = a[:, : min(a.shape[1], 14)].astype(np.int64)
    temperature = np.where(is34, a64[:, 11] if a.shape[1] > 11 else 0, -1)
    battery = np.where(is34, a64[:, 13] if a.shape[1] > 13 else 0, -1)
    return {
        "report_id": rid.astype(np.int64),
        "raw": raw,
        "button": (a[:, 2] & BUTTON_MASK) != 0,
        "temperature": temperature,
        "battery_raw": battery,
    }


# -- calibration (§3) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WiiCalibration:
    """The board's factory calibration (§3.1).

    Attributes
    ----------
    c0, c17, c34 : tuple of 4 int
        Raw counts at 0, 17 and 34 kg for each corner, order TL, TR, BL, BR.
    reference_temperature : int
        Temperature byte at calibration (register 0xA40060).
    battery_reference : int
        Register 0xA40021 (0x69 on every board seen).
    """

    c0: tuple[int, int, int, int]
    c17: tuple[int, int, int, int]
    c34: tuple[int, int, int, int]
    reference_temperature: int
    battery_reference: int = 0x69

    def as_dict(self) -> dict[str, object]:
        return {
            "type": "wii-factory",
            "c0": list(self.c0),
            "c17": list(self.c17),
            "c34": list(self.c34),
            "reference_temperature": self.reference_temperature,
            "battery_reference": self.battery_reference,
            "corner_order": "TL,TR,BL,BR",
        }

    @property
    def points(self) -> NDArray[np.float64]:
        """Shape (3, 4): rows 0/17/34 kg, columns TL, TR, BL, BR (counts)."""
        return np.array([self.c0, self.c17, self.c34], dtype=np.float64)


def calibration_crc(block: bytes, ref: bytes) -> int:
    """CRC-32 of the calibration (§3.4): over 0x24-0x3B, then 0x20-0x21, then 0x60-0x61.

    Parameters
    ----------
    block : bytes
        The 32 bytes read from 0xA40020 (0x20-0x3F).
    ref : bytes
        The 2 bytes read from 0xA40060.
    """
    if len(block) < 0x1C or len(ref) < 2:
        raise CalibrationError(f"calibration block too short: {len(block)} bytes at 0x20 and {len(ref)} at 0x60")
    return zlib.crc32(bytes(block[0x04:0x1C]) + bytes(block[0x00:0x02]) + bytes(ref[0:2])) & 0xFFFFFFFF


def _wire(corners: tuple[int, int, int, int] | list[int]) -> list[int]:
    """TL, TR, BL, BR -> wire order TR, BR, TL, BL."""
    tl, tr, bl, br = corners
    return [tr, br, tl, bl]


def build_calibration_block(
    cal: WiiCalibration, *, byte20: int = 0x01, byte61: int = 0x01, corrupt_crc: bool = False
) -> tuple[bytes, bytes]:
    """The 32 bytes at 0xA40020 and the 2 at 0xA40060 that encode ``cal``, with a valid CRC (for fakes and tests)."""
    body = struct.pack(">12H", *_wire(cal.c0), *_wire(cal.c17), *_wire(cal.c34))
    head = bytes([byte20, cal.battery_reference, 0, 0])
    ref = bytes([cal.reference_temperature, byte61])
    crc = zlib.crc32(body + head[:2] + ref) & 0xFFFFFFFF
    if corrupt_crc:
        crc ^= 0x1
    return head + body + crc.to_bytes(4, "big"), ref


def parse_calibration(block: bytes, ref: bytes, *, check_crc: bool = True) -> WiiCalibration:
    """Parse and check the calibration read from 0xA40020 (32 bytes) and 0xA40060 (2 bytes).

    Raises
    ------
    CalibrationError
        Too short, a CRC mismatch (§3.4), or points not increasing (c0 < c17 < c34 for every
        sensor, §3.1).
    """
    if len(block) < 0x20:
        raise CalibrationError(f"calibration block is {len(block)} bytes, expected 32 from 0xA40020: read it again")
    if len(ref) < 2:
        raise CalibrationError(f"reference temperature block is {len(ref)} bytes, expected 2 from 0xA40060")
    vals = struct.unpack_from(">12H", block, 0x04)
    w0, w17, w34 = vals[0:4], vals[4:8], vals[8:12]

    def corners(w: tuple[int, ...]) -> tuple[int, int, int, int]:
        return (w[2], w[0], w[3], w[1])

    c0, c17, c34 = corners(w0), corners(w17), corners(w34)
    if check_crc:
        stored = int.from_bytes(block[0x1C:0x20], "big")
        computed = calibration_crc(block, ref)
        if stored != computed:
            raise CalibrationError(
                f"calibration CRC mismatch: stored 0x{stored:08X}, computed 0x{computed:08X}; the read was "
                "corrupted or the board is a clone — reconnect and try again"
            )
    names = ("TL", "TR", "BL", "BR")
    for i in range(4):
        if not c0[i] < c17[i] < c34[i]:
            raise CalibrationError(
                f"calibration of sensor {names[i]} is not increasing: 0 kg={c0[i]}, 17 kg={c17[i]}, "
                f"34 kg={c34[i]} counts; the read was garbled — reconnect and try again"
            )
    return WiiCalibration(c0, c17, c34, reference_temperature=ref[0], battery_reference=block[1])


def raw_to_kg(raw: ArrayLike, cal: WiiCalibration) -> NDArray[np.float64]:
    """Counts to kg, piecewise linear between the 0/17/34 kg points, per sensor (§3.2).

    Not clamped: below the 0 kg point the load is negative (so a tare can see it, §7) and above
    34 kg the upper segment is extrapolated (like the kernel).

    Parameters
    ----------
    raw : array_like, shape (..., 4)
        Counts, corners TL, TR, BL, BR (may be float, e.g. after a tare offset).
    cal : WiiCalibration

    Returns
    -------
    ndarray, shape (..., 4)
        Loads (kg).
    """
    r = np.asarray(raw, dtype=np.float64)
    p = cal.points
    c0, c17, c34 = p[0], p[1], p[2]
    low = 17.0 * (r - c0) / (c17 - c0)
    high = 17.0 + 17.0 * (r - c17) / (c34 - c17)
    return np.where(r < c17, low, high)


def temperature_correction_factor(temperature: ArrayLike, *, reference_temperature: float) -> NDArray[np.float64]:
    """Wii Fit's temperature and gravity correction factor (§3.3).

    ``w_corrected = w * 0.9990813732147217 * (1 - 0.007000000216066837 * (T - T_ref) / 10)``
    """
    t = np.asarray(temperature, dtype=np.float64)
    return 0.9990813732147217 * (1.0 - 0.007000000216066837 * (t - reference_temperature) / 10.0)


def battery_level(raw: ArrayLike) -> NDArray[np.float64]:
    """Battery level 0..1 from the 0x34 battery byte (§3.5): linear from the 0x69 "empty" reference
    (register 0xA40021) to 0x82, the 4-bar threshold (kernel RFC / hid-wiimote-plus)."""
    r = np.asarray(raw, dtype=np.float64)
    return np.clip((r - 0x69) / (0x82 - 0x69), 0.0, 1.0)


def battery_bars(raw: int) -> int:
    """Bars 0-4 from the 0x34 battery byte, kernel RFC / hid-wiimote-plus thresholds (§3.5)."""
    if raw >= 0x82:
        return 4
    if raw >= 0x7D:
        return 3
    if raw >= 0x78:
        return 2
    if raw >= 0x6A:
        return 1
    return 0
