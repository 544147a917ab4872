"""The pure Wii Balance Board protocol module, against bytes taken from the shared doc (docs/wii-balance-board.md)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers import wii_protocol as wp
from drivers.errors import CalibrationError, ProtocolError
from drivers.fake_wii import KENNER_BYTE20, KENNER_CALIBRATION, KENNER_CRC


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# The doc's §4 worked example (takeru/Wiimote issue #2), without the A1 transport byte.
WORKED_EXAMPLE = h("34 00 00 09 B2 4B B6 1E 84 3F 4D 17 00 99 00") + bytes(7)


class TestOutputReports:
    """Bytes of §2.2 / §9, typed in from the doc."""

    def test_init_sequence_bytes(self) -> None:
        assert wp.status_request() == h("15 00")
        assert wp.write_register(0xA400F0, b"\x55") == h("16 04 A4 00 F0 01 55") + bytes(15)
        assert wp.write_register(0xA400FB, b"\x00") == h("16 04 A4 00 FB 01 00") + bytes(15)
        assert len(wp.write_register(0xA400FB, b"\x00")) == 22
        assert wp.read_register(0xA400FA, 6) == h("17 04 A4 00 FA 00 06")
        assert wp.read_register(0xA40020, 0x20) == h("17 04 A4 00 20 00 20")
        assert wp.read_register(0xA40060, 2) == h("17 04 A4 00 60 00 02")
        assert wp.set_leds(0x10) == h("11 10")
        assert wp.set_report_mode(0x34, continuous=True) == h("12 04 34")
        assert wp.set_report_mode(0x32, continuous=False) == h("12 00 32")

    @pytest.mark.parametrize("bad", [lambda: wp.write_register(0xA400F0, b""), lambda: wp.write_register(1 << 24, b"\x00"),
                                     lambda: wp.read_register(0xA40020, 0), lambda: wp.write_register(0, bytes(17))])
    def test_bad_requests_raise(self, bad) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValueError):
            bad()


class TestInputReports:
    def test_worked_example(self) -> None:
        rep = wp.parse_report(WORKED_EXAMPLE)
        assert isinstance(rep, wp.DataReport)
        # Hand-decoded in the doc: TR 09B2=2482, BR 4BB6=19382, TL 1E84=7812, BL 3F4D=16205; corners TL, TR, BL, BR.
        assert rep.raw == (7812, 2482, 16205, 19382)
        assert rep.temperature == 23
        assert rep.battery_raw == 0x99
        assert wp.battery_bars(rep.battery_raw) == 4
        assert rep.button is False

    def test_wiiuse_issue_42_report(self) -> None:
        rep = wp.parse_report(h("34 00 00 03 d0 19 1a 00 17 15 23 19 00 6e 00") + bytes(7))
        assert isinstance(rep, wp.DataReport)
        assert rep.raw == (0x0017, 0x03D0, 0x1523, 0x191A)
        assert rep.temperature == 0x19
        assert wp.battery_bars(rep.battery_raw or 0) == 1  # the doc: "battery byte 0x6E (1 bar)"

    def test_unsigned_big_endian(self) -> None:
        rep = wp.parse_report(h("32 00 00 FF FE 80 00 00 01 12 34"))
        assert isinstance(rep, wp.DataReport)
        assert rep.raw == (0x0001, 0xFFFE, 0x1234, 0x8000)  # never negative (§7: '>H', not '>h')

    def test_button(self) -> None:
        rep = wp.parse_report(h("32 00 08 00 00 00 00 00 00 00 00"))
        assert isinstance(rep, wp.DataReport) and rep.button
        rep = wp.parse_report(h("32 00 F7 00 00 00 00 00 00 00 00"))
        assert isinstance(rep, wp.DataReport) and not rep.button

    def test_status_capture(self) -> None:
        rep = wp.parse_report(h("20 00 00 02 00 00 D5"))
        assert rep == wp.StatusReport(buttons=0, leds=0, battery_low=False, extension_connected=True, battery_raw=0xD5)

    def test_read_reply_capture(self) -> None:
        rep = wp.parse_report(h("21 00 00 50 00 FA 00 00 A4 20 04 02") + bytes(10))
        assert isinstance(rep, wp.ReadReply)
        assert (rep.size, rep.error, rep.address) == (6, 0, 0x00FA)
        assert rep.data == wp.EXTENSION_ID

    def test_read_reply_error_nibble(self) -> None:
        rep = wp.parse_report(h("21 00 00 F8 00 20") + bytes(16))
        assert isinstance(rep, wp.ReadReply) and rep.error == 8

    def test_parse_by_id_not_length(self) -> None:
        padded = h("32 00 00 09 B2 4B B6 1E 84 3F 4D").ljust(22, b"\x00")  # Windows pads reads to 22 bytes
        rep = wp.parse_report(padded)
        assert isinstance(rep, wp.DataReport) and rep.report_id == 0x32 and rep.temperature is None

    @pytest.mark.parametrize("data", [b"", h("34 00 00 09 B2"), h("20 00 00"), h("99 00 00 00"), h("21 00 00 50 00")])
    def test_malformed_reports_raise_protocol_error(self, data: bytes) -> None:
        with pytest.raises(ProtocolError):
            wp.parse_report(data)


class TestCalibration:
    def test_crc_matches_real_board(self) -> None:
        # Carl Kenner's dump (doc §3.1) with the 0x60/0x61 bytes the doc derived (§3.4): the CRC is the stored one.
        block, ref = wp.build_calibration_block(KENNER_CALIBRATION, byte20=KENNER_BYTE20)
        assert ref == h("1A 01")
        assert block[-4:] == KENNER_CRC
        assert block == h("10 69 00 00 07C3 3CF8 048C 296B 0ED2 4384 0B3A 3069 15E9 4A10 11EF 376E 5E 40 E9 B6")

    def test_parse_doc_dump(self) -> None:
        block = h("10 69 00 00 07C3 3CF8 048C 296B 0ED2 4384 0B3A 3069 15E9 4A10 11EF 376E 5E 40 E9 B6")
        cal = wp.parse_calibration(block, h("1A 01"))
        assert cal.c0 == (0x048C, 0x07C3, 0x296B, 0x3CF8)  # TL, TR, BL, BR
        assert cal.c34 == (0x11EF, 0x15E9, 0x376E, 0x4A10)
        assert cal.reference_temperature == 0x1A and cal.battery_reference == 0x69

    def test_bad_crc(self) -> None:
        block, ref = wp.build_calibration_block(KENNER_CALIBRATION, corrupt_crc=True)
        with pytest.raises(CalibrationError, match="CRC"):
            wp.parse_calibration(block, ref)

    def test_non_monotonic(self) -> None:
        bad = wp.WiiCalibration(c0=(100, 200, 300, 400), c17=(50, 300, 400, 500), c34=(900, 900, 900, 900), reference_temperature=20)
        block, ref = wp.build_calibration_block(bad)  # valid CRC, so only the order check can fire
        with pytest.raises(CalibrationError, match="TL.*not increasing"):
            wp.parse_calibration(block, ref)

    def test_short_block(self) -> None:
        with pytest.raises(CalibrationError):
            wp.parse_calibration(bytes(10), bytes(2))

    def test_raw_to_kg_hand_computed(self) -> None:
        rep = wp.parse_report(WORKED_EXAMPLE)
        assert isinstance(rep, wp.DataReport)
        kg = wp.raw_to_kg(np.array(rep.raw), KENNER_CALIBRATION)
        # TL: 7812 counts vs c0=0x048C=1164, c17=0x0B3A=2874, c34=0x11EF=4591 -> above 34 kg, upper segment extrapolated
        tl = 17 + Fraction(17 * (7812 - 2874), 4591 - 2874)
        # TR: 2482 vs c0=1987, c17=3794 -> lower segment
        tr = Fraction(17 * (2482 - 1987), 3794 - 1987)
        # BL: 16205 vs c17=0x3069=12393, c34=0x376E=14190
        bl = 17 + Fraction(17 * (16205 - 12393), 14190 - 12393)
        # BR: 19382 vs c17=0x4384=17284, c34=0x4A10=18960
        br = 17 + Fraction(17 * (19382 - 17284), 18960 - 17284)
        np.testing.assert_allclose(kg, [float(tl), float(tr), float(bl), float(br)], rtol=1e-12)

    def test_raw_to_kg_points_and_below_zero(self) -> None:
        p = KENNER_CALIBRATION.points
        np.testing.assert_allclose(wp.raw_to_kg(p, KENNER_CALIBRATION), [[0] * 4, [17] * 4, [34] * 4], atol=1e-12)
        below = wp.raw_to_kg(p[0] - 100, KENNER_CALIBRATION)
        assert np.all(below < 0)  # not clamped: a tare must be able to see it

    def test_temperature_correction(self) -> None:
        assert wp.temperature_correction_factor(26, reference_temperature=26) == pytest.approx(0.9990813732147217, rel=1e-15)
        assert wp.temperature_correction_factor(36, reference_temperature=26) == pytest.approx(0.9990813732147217 * (1 - 0.007000000216066837), rel=1e-15)
        # "Stiffness varies by around 1 % for every 14 °C" (§3.3)
        assert wp.temperature_correction_factor(40, reference_temperature=26) / wp.temperature_correction_factor(26, reference_temperature=26) == pytest.approx(0.99, abs=1e-3)


def test_batch_parser_matches_single(rng: np.random.Generator | None = None) -> None:
    rng = np.random.default_rng(5)
    reports = rng.integers(0, 256, (500, 22), dtype=np.uint8)
    reports[:, 0] = np.where(rng.random(500) < 0.5, 0x34, 0x32)
    out = wp.parse_data_reports(reports)
    for i in range(0, 500, 7):
        rep = wp.parse_report(bytes(reports[i]))
        assert isinstance(rep, wp.DataReport)
        assert tuple(out["raw"][i]) == rep.raw
        assert bool(out["button"][i]) == rep.button
        assert out["temperature"][i] == (rep.temperature if rep.temperature is not None else -1)
        assert out["battery_raw"][i] == (rep.battery_raw if rep.battery_raw is not None else -1)


def test_batch_parser_rejects_other_reports() -> None:
    with pytest.raises(ProtocolError, match="row 1"):
        wp.parse_data_reports(np.array([list(WORKED_EXAMPLE), [0x20] + [0] * 21], dtype=np.uint8))
    with pytest.raises(ProtocolError):
        wp.parse_data_reports(np.zeros((3, 5), dtype=np.uint8))


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=40))
def test_fuzz_parse_report_only_typed_errors(data: bytes) -> None:
    try:
        rep = wp.parse_report(data)
    except ProtocolError:
        return
    if isinstance(rep, wp.DataReport):
        assert all(0 <= v <= 0xFFFF for v in rep.raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=40), st.binary(min_size=0, max_size=3))
def test_fuzz_calibration_only_typed_errors(block: bytes, ref: bytes) -> None:
    try:
        cal = wp.parse_calibration(block, ref)
    except CalibrationError:
        return
    assert all(a < b < c for a, b, c in zip(cal.c0, cal.c17, cal.c34))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=24), min_size=1, max_size=8))
def test_fuzz_batch_parser_only_typed_errors(rows: list[bytes]) -> None:
    width = max(len(r) for r in rows)
    arr = np.array([list(r.ljust(width, b"\x00")) for r in rows], dtype=np.uint8).reshape(len(rows), width)
    try:
        out = wp.parse_data_reports(arr)
    except ProtocolError:
        return
    assert out["raw"].shape == (len(rows), 4)
