"""Readers and writers of drivers.formats: shipped data, hand-computed values, round trips, bad input."""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance.cop import cop_from_corners
from balance.recording import Recording
from drivers import formats as F
from drivers.formats import FormatError

G = 9.80665


def _hbedb_file(data_dir: Path, trial: str = "BDS00001") -> Path:
    return data_dir / "hbedb" / f"{trial}.txt.gz"


# ------------------------------------------------------------------------------------------ HBEDB


def test_hbedb_shipped_trial_values_from_the_file(data_dir: Path) -> None:
    rec = F.read_any(_hbedb_file(data_dir))
    assert rec.meta["layout"] == "hbedb"
    assert rec.meta["source"] == str(_hbedb_file(data_dir))
    assert len(rec) == 6000 and rec.fs_hz == 100.0
    assert rec.time_s[0] == pytest.approx(0.010) and rec.time_s[-1] == pytest.approx(60.0)
    # First data row of BDS00001.txt, copied by hand:
    # 0.010  -1.633567  -3.739135  539.066061  5.383505  43.064851  -0.570876  -7.988789  0.998673
    # COPx (cm) is AP, COPy (cm) is ML -> mm.
    assert rec.cop_ap_mm[0] == pytest.approx(-79.88789, abs=1e-9)
    assert rec.cop_ml_mm[0] == pytest.approx(9.98673, abs=1e-9)
    assert rec.total_kg is not None and rec.total_kg[0] == pytest.approx(539.066061 / G, rel=1e-12)
    assert rec.meta["forces_n"][0] == pytest.approx([-1.633567, -3.739135, 539.066061])
    assert rec.meta["moments_nm"][0] == pytest.approx([5.383505, 43.064851, -0.570876])


def test_hbedb_cop_from_forces_matches_the_published_columns(data_dir: Path) -> None:
    text = F.read_text(_hbedb_file(data_dir))
    cols = F.parse_hbedb(text, name="BDS00001")
    forces = F.parse_hbedb(text, name="BDS00001", cop_from="forces")
    # The file stores the CoP in cm with 6 decimals: agreement to half a unit in the last place.
    assert np.max(np.abs(forces.cop_ml_mm - cols.cop_ml_mm)) < 1e-5
    assert np.max(np.abs(forces.cop_ap_mm - cols.cop_ap_mm)) < 1e-5
    # Hand check of row 1: AP = -My/Fz, ML = Mx/Fz in m -> mm.
    assert forces.cop_ap_mm[0] == pytest.approx(-1000 * 43.064851 / 539.066061, rel=1e-12)
    assert forces.cop_ml_mm[0] == pytest.approx(1000 * 5.383505 / 539.066061, rel=1e-12)


def test_gzip_and_plain_give_identical_recordings(data_dir: Path, tmp_path: Path) -> None:
    gz = _hbedb_file(data_dir)
    plain = tmp_path / "trial_without_suffix"
    plain.write_bytes(gzip.decompress(gz.read_bytes()))
    a, b = F.read_any(gz), F.read_any(plain)
    for name in ("time_s", "cop_ml_mm", "cop_ap_mm", "total_kg"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert b.meta["layout"] == "hbedb"
    # CRLF line ends are kept in the shipped file, as in the original.
    assert b"\r\n" in plain.read_bytes()[:200]


def test_hbedb_writer_round_trip() -> None:
    rng = np.random.default_rng(1)
    n = 500
    t = np.round(np.arange(1, n + 1) * 0.01, 2)
    rec = Recording(
        time_s=t,
        cop_ml_mm=np.cumsum(rng.normal(0, 0.3, n)),
        cop_ap_mm=np.cumsum(rng.normal(0, 0.3, n)) - 40,
        total_kg=70 + rng.normal(0, 0.2, n),
    )
    text = F.format_hbedb(rec)
    assert text.startswith("Time[s]\tFx[N]\tFy[N]\tFz[N]\tMx[Nm]\tMy[Nm]\tMz[Nm]\tCOPx[cm]\tCOPy[cm]\r\n")
    back = F.parse(text.encode(), name="synthetic")
    assert back.meta["layout"] == "hbedb" and back.fs_hz == 100.0
    np.testing.assert_allclose(back.time_s, t, atol=5e-7)
    # 6 decimals in cm -> 5e-6 mm.
    np.testing.assert_allclose(back.cop_ml_mm, rec.cop_ml_mm, rtol=0, atol=5.1e-6)
    np.testing.assert_allclose(back.cop_ap_mm, rec.cop_ap_mm, rtol=0, atol=5.1e-6)
    # The synthesised moments define the same CoP.
    again = F.parse_hbedb(text, cop_from="forces")
    np.testing.assert_allclose(again.cop_ml_mm, rec.cop_ml_mm, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(again.cop_ap_mm, rec.cop_ap_mm, rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------------------------------ PDS


def _pds_reference(data_dir: Path) -> dict[str, dict[str, float]]:
    with open(data_dir / "pds" / "reference_PDSinfoCOP.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {row["trial"]: {k: float(v) for k, v in row.items() if k.startswith("COP")} for row in rows}


def test_pds_shipped_trial_values_from_the_file(data_dir: Path) -> None:
    rec = F.read_any(data_dir / "pds" / "PDS13OR1grf.txt.gz")
    assert rec.meta["layout"] == "pds" and len(rec) == 6000 and rec.fs_hz == 100.0
    # First row of PDS13OR1grf.txt, copied by hand: RGRF_Y 274.519023, LGRF_Y 362.585515,
    # GRFNET_Y 637.104569, RCOP_X 0.209111, RCOP_Z 0.085780, LCOP_X 0.220780, LCOP_Z -0.087160,
    # COPNET_X 0.215750, COPNET_Z -0.012640 (m; X = AP, Z = ML).
    assert rec.cop_ap_mm[0] == pytest.approx(215.750, abs=1e-9)
    assert rec.cop_ml_mm[0] == pytest.approx(-12.640, abs=1e-9)
    assert rec.total_kg is not None and rec.total_kg[0] == pytest.approx(637.104569 / G)
    m = rec.meta
    assert m["right_load_kg"][0] == pytest.approx(274.519023 / G)
    assert m["left_load_kg"][0] == pytest.approx(362.585515 / G)
    assert m["right_cop_ml_mm"][0] == pytest.approx(85.780) and m["left_cop_ml_mm"][0] == pytest.approx(-87.160)
    assert m["right_cop_ap_mm"][0] == pytest.approx(209.111) and m["left_cop_ap_mm"][0] == pytest.approx(220.780)
    # The right foot is on the right (+ML), the left on the left, throughout the trial.
    assert np.all(m["right_cop_ml_mm"] > 0) and np.all(m["left_cop_ml_mm"] < 0)
    # Net CoP is close to the load-weighted mean of the two plates' CoPs (it ignores only the
    # small shear/height terms): independent consistency of the axes and units.
    w = m["left_load_kg"] + m["right_load_kg"]
    ml = (m["left_load_kg"] * m["left_cop_ml_mm"] + m["right_load_kg"] * m["right_cop_ml_mm"]) / w
    assert np.max(np.abs(ml - rec.cop_ml_mm)) < 1.0


@pytest.mark.parametrize("trial", ["PDS13OR1", "PDS13CF1"])
def test_pds_net_cop_reproduces_published_velocity_and_area(data_dir: Path, trial: str) -> None:
    """Path velocity and Duarte's prediction ellipse, written out here, on the net CoP (m -> mm)."""
    from scipy import stats

    ref = _pds_reference(data_dir)[trial]
    rec = F.read_any(data_dir / "pds" / f"{trial}grf.txt.gz")
    x = rec.cop_ml_mm - rec.cop_ml_mm.mean()
    y = rec.cop_ap_mm - rec.cop_ap_mm.mean()
    n = len(x)
    velo_mm_s = np.sum(np.hypot(np.diff(x), np.diff(y))) / (n / 100.0)
    lam = np.linalg.eigvalsh(np.cov(np.vstack([y, x])))
    f95 = stats.f.ppf(0.95, 2, n - 2)
    area_mm2 = math.pi * math.sqrt(lam[0] * lam[1]) * f95 * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    assert velo_mm_s == pytest.approx(ref["COPvelo_cm_s"] * 10, rel=1e-9)
    assert area_mm2 == pytest.approx(ref["COParea_cm2"] * 100, rel=1e-9)


# ------------------------------------------------------------------------------------------ Motive / Quijoux


def test_quijoux_csv_shipped(data_dir: Path) -> None:
    rec = F.read_any(data_dir / "quijoux" / "test.csv.gz")
    assert rec.meta["layout"] == "quijoux"
    assert rec.fs_hz == 100.0
    assert rec.meta["metadata"]["Device Name"] == "AMTI 3265 3265"
    # 15 605 frames, of which 7 are all zeros (frames 1, 2 and 15600-15604).
    assert rec.meta["n_dropped_frames"] == 7 and len(rec) == 15605 - 7
    assert list(rec.meta["frame"][:3]) == [0, 3, 4]
    assert rec.time_s[0] == 0.0 and rec.time_s[1] == pytest.approx(0.03)
    # Frame 0 by hand: Fz 581.4375, Mx -37.412109, My -12.184570, Cx 0.020956, Cy -0.064344.
    assert rec.cop_ml_mm[0] == pytest.approx(1000 * -12.184570 / 581.4375, rel=1e-12)
    assert rec.cop_ap_mm[0] == pytest.approx(1000 * -37.412109 / 581.4375, rel=1e-12)
    # Motive's own CoP (m, 6 decimals): Cx = -My/Fz (the authors' ML is its mirror), Cy = Mx/Fz.
    assert -rec.cop_ml_mm[0] == pytest.approx(1000 * 0.020956, abs=1e-3)
    assert rec.cop_ap_mm[0] == pytest.approx(1000 * -0.064344, abs=1e-3)
    assert np.all(np.isfinite(rec.cop_ml_mm)) and np.all(np.isfinite(rec.cop_ap_mm))


def test_quijoux_reader_feeds_the_reference_features(data_dir: Path) -> None:
    """Reader -> the authors' main.py steps -> balance.quijoux reproduces their HEAD JSON (1e-6)."""
    import json

    from balance import quijoux

    ref = json.loads((data_dir / "quijoux" / "reference_features_HEAD_c66a0e4_numpy2.4.json").read_text())
    rec = F.read_any(data_dir / "quijoux" / "test.csv.gz")
    # main.py: cm, mean over the whole recording removed (pandas skips the 0/0 rows), rows 4000:7000
    # i.e. frames 4000..6999, i.e. times [40, 70) s.
    ml_cm = rec.cop_ml_mm / 10 - np.mean(rec.cop_ml_mm / 10)
    ap_cm = rec.cop_ap_mm / 10 - np.mean(rec.cop_ap_mm / 10)
    sel = (rec.meta["frame"] >= 4000) & (rec.meta["frame"] < 7000)
    assert np.count_nonzero(sel) == 3000
    got = quijoux.features(ml_cm[sel] * 10, ap_cm[sel] * 10, fs_hz=100.0)
    assert set(got) == set(ref)
    for k, v in ref.items():
        assert got[k] == pytest.approx(v, rel=1e-6, abs=1e-12), k


# ------------------------------------------------------------------------------------------ CSV layouts


def test_cop_csv_round_trip_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 1234
    t = np.cumsum(rng.uniform(0.005, 0.03, n))  # irregular
    rec = Recording(
        time_s=t, cop_ml_mm=rng.normal(0, 5, n), cop_ap_mm=rng.normal(0, 9, n), total_kg=rng.uniform(60, 80, n)
    )
    rec.cop_ml_mm[10] = np.nan  # nobody on the board at one sample
    for name in ("trial.csv", "trial.csv.gz"):
        path = F.write_cop_csv(tmp_path / name, rec)
        back = F.read_any(path)
        assert back.meta["layout"] == "cop_csv" and back.fs_hz is None
        for attr in ("time_s", "cop_ml_mm", "cop_ap_mm", "total_kg"):
            np.testing.assert_array_equal(getattr(back, attr), getattr(rec, attr))
    assert (tmp_path / "trial.csv.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "trial.csv").read_text().splitlines()[0] == "time_s,cop_ml_mm,cop_ap_mm,total_kg"


def test_cop_csv_hand_written_any_column_order_crlf_comments() -> None:
    text = (
        "# exported by hand\r\ncop_ap_mm, time_s ,cop_ml_mm,note\r\n"
        "1.5,0.00,-2,7\r\n2.5,0.01,-3,8\r\n3.5,0.02,-4,9\r\n"
    )
    rec = F.parse(text.encode(), name="hand.csv")
    assert rec.meta["layout"] == "cop_csv" and rec.fs_hz == 100.0
    np.testing.assert_array_equal(rec.time_s, [0.0, 0.01, 0.02])
    np.testing.assert_array_equal(rec.cop_ml_mm, [-2, -3, -4])
    np.testing.assert_array_equal(rec.cop_ap_mm, [1.5, 2.5, 3.5])
    assert rec.total_kg is None


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_csv(sep: str) -> None:
    text = sep.join(["time_s", "tl_kg", "tr_kg", "bl_kg", "br_kg"]) + "\n" + sep.join(["0", "0", "40", "0", "0"]) + "\n"
    rec = F.parse(text, name="c.csv")
    assert rec.meta["layout"] == "corners_csv"
    assert rec.cop_ml_mm[0] == pytest.approx(216.5) and rec.cop_ap_mm[0] == pytest.approx(119.0)
    rec = F.parse(sep.join(["time_s", "cop_ml_mm", "cop_ap_mm"]) + "\n" + sep.join(["0.5", "-1.25", "3"]) + "\n")
    assert rec.meta["layout"] == "cop_csv" and rec.cop_ml_mm[0] == -1.25 and rec.cop_ap_mm[0] == 3.0


def test_corner_csv_hand_computed_cop_and_round_trip(tmp_path: Path) -> None:
    # All the load on TR -> CoP at (+W/2, +L/2) = (216.5, 119) mm; equal corners -> (0, 0);
    # all on BL -> (-216.5, -119); under 1 kg -> NaN.
    text = "time_s,tl_kg,tr_kg,bl_kg,br_kg\n0.000,0,40,0,0\n0.013,10,10,10,10\n0.040,0,0,25,0\n0.051,0.1,0.1,0.1,0.1\n"
    rec = F.parse(text, name="corners.csv")
    assert rec.meta["layout"] == "corners_csv" and rec.fs_hz is None  # irregular timestamps
    np.testing.assert_allclose(rec.cop_ml_mm[:3], [216.5, 0, -216.5])
    np.testing.assert_allclose(rec.cop_ap_mm[:3], [119.0, 0, -119.0])
    assert np.isnan(rec.cop_ml_mm[3]) and np.isnan(rec.cop_ap_mm[3])
    np.testing.assert_allclose(rec.total_kg, [40, 40, 25, 0.4])
    # Round trip through the writer, with random irregular data.
    rng = np.random.default_rng(3)
    n = 800
    t = np.cumsum(rng.uniform(0.001, 0.05, n))
    corners = rng.uniform(5, 25, (n, 4))
    orig = Recording.from_corners(t, corners)
    path = F.write_corners_csv(tmp_path / "c.csv.gz", orig)
    back = F.read_any(path)
    np.testing.assert_array_equal(back.time_s, t)
    np.testing.assert_array_equal(back.corners_kg, corners)
    ref = cop_from_corners(corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3])
    np.testing.assert_array_equal(back.cop_ml_mm, ref.cop_ml_mm)
    np.testing.assert_array_equal(back.cop_ap_mm, ref.cop_ap_mm)


def test_corner_writer_refuses_a_cop_only_recording() -> None:
    rec = Recording(time_s=np.arange(3.0), cop_ml_mm=np.zeros(3), cop_ap_mm=np.zeros(3), meta={"source": "x.txt"})
    with pytest.raises(ValueError, match="no corner loads"):
        F.format_corners_csv(rec)


def test_recording_file_is_delegated_to_recording_file_module(tmp_path: Path) -> None:
    from drivers.base import Sample
    from drivers.recording_file import RecordingWriter

    path = tmp_path / "rec.csv"
    with RecordingWriter(path, header={"board": {"kind": "sim"}}) as w:
        for i in range(5):
            w.write(Sample(i * 0.01, 10.0, 20.0, 10.0, 20.0))
    rec = F.read_any(path)
    assert rec.meta["layout"] == "balance-recording" and rec.meta["complete"] is True
    assert rec.meta["source"] == str(path)
    np.testing.assert_allclose(rec.time_s, np.arange(5) * 0.01)
    # 40 kg right vs 20 kg left, front = back: ML = (W/2)*(40-20)/60, AP = 0.
    np.testing.assert_allclose(rec.cop_ml_mm, 216.5 * 20 / 60)
    np.testing.assert_allclose(rec.cop_ap_mm, 0.0, atol=1e-12)


# ------------------------------------------------------------------------------------------ detection


def test_layout_comes_from_content_not_name(tmp_path: Path, data_dir: Path) -> None:
    cop = tmp_path / "BDS00001.txt"
    cop.write_text("time_s,cop_ml_mm,cop_ap_mm\n0,1,2\n0.01,1,2\n")
    assert F.read_any(cop).meta["layout"] == "cop_csv"
    hb = tmp_path / "corners.csv"
    hb.write_bytes(gzip.decompress(_hbedb_file(data_dir).read_bytes()))
    assert F.read_any(hb).meta["layout"] == "hbedb"


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", r"bad\.txt: the file is empty"),
        (b"\n\r\n  \n", r"bad\.txt: the file is empty"),
        (
            b"foo;bar;baz\n1;2;3\n",
            r"bad\.txt: unknown file layout; its first line is 'foo;bar;baz'; accepted layouts: HBEDB",
        ),
        (b"time,x,y\n0,1,2\n", r"bad\.txt: unknown file layout; its first line is 'time,x,y'"),
        (b"\x00\x01\x02\x03binary", r"bad\.txt: binary content"),
        (b"\x1f\x8b\x08\x00garbage", r"bad\.txt: gzip data is corrupt"),
        (b"time_s,cop_ml_mm,cop_ap_mm\n0,1,2\n0.01,abc,2\n", r"bad\.txt: line 3 is not numeric"),
        (b"time_s;cop_ml_mm;cop_ap_mm\n0;1,5;2\n", r"line 2 is not numeric.*'\.'"),
        (b"time_s cop_ml_mm cop_ap_mm\n0 1 2\n", r"looks like a CoP CSV separated by spaces"),
        (b"time_s,cop_x,cop_ap_mm\n0,1,2\n", r"looks like a CoP CSV but lacks the column\(s\) cop_ml_mm"),
        (b"t,tl_kg,tr_kg,bl_kg,br_kg\n", r"looks like a four-corner CSV but lacks the column\(s\) time_s"),
        (b"time_s,cop_ml_mm,cop_ap_mm\n0,1,2\n0.01,1\n", r"bad\.txt: .*"),
        (
            b"# balance-recording 99 {}\nt_s,tl_kg,tr_kg,bl_kg,br_kg,button,flags\n",
            r"bad\.txt uses recording format version 99",
        ),
    ],
)
def test_bad_content_raises_format_error_naming_the_file(tmp_path: Path, content: bytes, pattern: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=pattern):
        F.read_any(path)


def test_header_only_file_gives_an_empty_recording() -> None:
    rec = F.parse("time_s,cop_ml_mm,cop_ap_mm\n", name="h.csv")
    assert len(rec) == 0 and rec.duration_s == 0.0 and rec.fs_hz is None


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file; check the path"):
        F.read_any(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        F.read_any(tmp_path)


def test_detect_layout_table(data_dir: Path) -> None:
    assert F.detect_layout("Time[s]\tFx[N]\tFy[N]\tFz[N]\tMx[Nm]\tMy[Nm]\tMz[Nm]\tCOPx[cm]\tCOPy[cm]\r\n") == "hbedb"
    assert F.detect_layout("time_s,tl_kg,tr_kg,bl_kg,br_kg,cop_ml_mm,cop_ap_mm\n") == "corners_csv"
    assert F.detect_layout("\ufefftime_s,cop_ml_mm,cop_ap_mm\n") == "cop_csv"
    motive = "Format Version,1.0,\n\nMocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, My, Mz\n"
    assert F.detect_layout(motive) == "quijoux"
    assert F.detect_layout('# balance-recording 1 {"a": 1}\n') == "balance-recording"


def test_nominal_rate() -> None:
    assert F.nominal_rate_hz(np.arange(1, 6001) / 100) == 100.0
    assert F.nominal_rate_hz(np.array([0.0, 0.01, 0.03])) is None
    assert F.nominal_rate_hz(np.array([0.0])) is None
    assert F.nominal_rate_hz(np.array([0.0, 0.0, 0.0])) is None


# ------------------------------------------------------------------------------------------ fuzz

_HEADERS = [
    "Time[s]\tFx[N]\tFy[N]\tFz[N]\tMx[Nm]\tMy[Nm]\tMz[Nm]\tCOPx[cm]\tCOPy[cm]\r\n",
    "\t".join(F._PDS_COLUMNS) + "\n",
    "Format Version,1.0,\nMocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, My, Mz, Cx, Cy, Cz\n",
    "time_s,cop_ml_mm,cop_ap_mm\n",
    "time_s;tl_kg;tr_kg;bl_kg;br_kg\n",
    '# balance-recording 1 {"board": {}}\nt_s,tl_kg,tr_kg,bl_kg,br_kg,button,flags\n',
    "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_fuzz_arbitrary_bytes_give_a_recording_or_a_format_error(data: bytes) -> None:
    try:
        rec = F.parse(data, name="fuzz.bin")
    except FormatError as err:
        assert "fuzz.bin" in str(err)
    else:
        assert isinstance(rec, Recording)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from(_HEADERS),
    rows=st.lists(
        st.lists(
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.integers(-10**6, 10**6).map(str),
                st.text(alphabet="0123456789.-eE,;\t nan", max_size=8),
            ),
            max_size=24,
        ),
        max_size=8,
    ),
    sep=st.sampled_from([",", "\t", ";", " "]),
)
def test_fuzz_valid_header_with_arbitrary_rows(header: str, rows: list[list[str]], sep: str) -> None:
    text = header + "".join(sep.join(r) + "\n" for r in rows)
    try:
        rec = F.parse(text.encode(), name="fuzz.txt")
    except FormatError as err:
        assert "fuzz.txt" in str(err)
    else:
        assert isinstance(rec, Recording)
        assert rec.cop_ml_mm.shape == rec.time_s.shape == rec.cop_ap_mm.shape
