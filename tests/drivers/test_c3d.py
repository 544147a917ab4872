"""C3D force-plate files (types 2 and 4) through ezc3d: CoP checked against balance.cop.cop_from_forceplate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balance.cop import cop_from_forceplate
from drivers import open_board
from drivers.c3d import is_c3d, read_c3d
from drivers.formats import FormatError

ezc3d = pytest.importorskip("ezc3d")

G = 9.80665


def write_c3d(path: Path, plates: list[dict], *, rate: float = 100.0) -> None:
    """A C3D file with force plates; each plate dict: type, centre (x, y) mm, dz_mm, and channels (6, n) in N, N·mm."""
    n = plates[0]["channels"].shape[1]
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [rate]
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c["parameters"]["POINT"]["LABELS"]["value"] = ("m1",)
    pts = np.zeros((4, 1, n))
    pts[3] = 1
    c["data"]["points"] = pts
    labels, analogs, corners, origins, channels, cal = [], [], [], [], [], []
    for i, pl in enumerate(plates):
        labels += [f"{ch}{i + 1}" for ch in ("Fx", "Fy", "Fz", "Mx", "My", "Mz")]
        analogs.append(pl["channels"])
        cx, cy = pl["centre"]
        corners.append(np.array([[cx + 200, cy + 300, 0], [cx - 200, cy + 300, 0], [cx - 200, cy - 300, 0], [cx + 200, cy - 300, 0]]).T)
        origins.append([0.0, 0.0, -pl["dz_mm"]])
        channels.append(np.arange(6) + 1 + 6 * i)
        cal.append(np.eye(6))
    c["parameters"]["ANALOG"]["RATE"]["value"] = [rate]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(labels)
    c["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(["N", "N", "N", "Nmm", "Nmm", "Nmm"] * len(plates))
    c["data"]["analogs"] = np.concatenate(analogs)[None, :, :]
    fp = c["parameters"]["FORCE_PLATFORM"]
    fp["USED"]["value"] = [len(plates)]
    fp["TYPE"]["value"] = [pl["type"] for pl in plates]
    fp["ZERO"]["value"] = [1, 0]
    fp["CORNERS"]["value"] = np.stack(corners, axis=2)
    fp["ORIGIN"]["value"] = np.array(origins).T
    fp["CHANNEL"]["value"] = np.array(channels).T
    if any(pl["type"] == 4 for pl in plates):
        fp["CAL_MATRIX"]["value"] = np.stack(cal, axis=2)
    c.write(str(path))


def sway_channels(n: int, *, x_mm: np.ndarray, y_mm: np.ndarray, fz_n: np.ndarray, fx_n: float = 0.0, dz_mm: float = 0.0) -> np.ndarray:
    """Fx, Fy, Fz (N), Mx, My, Mz (N·mm) whose CoP in the plate frame is (x, y) with the origin dz below the surface."""
    fx = np.full(n, fx_n)
    fy = np.zeros(n)
    my = -(x_mm * fz_n) - fx * dz_mm  # COPx = (-My - Fx·dz)/Fz
    mx = y_mm * fz_n + fy * dz_mm  # COPy = (Mx - Fy·dz)/Fz
    return np.vstack([fx, fy, fz_n, mx, my, np.zeros(n)])


def test_detection(tmp_path: Path) -> None:
    p = tmp_path / "a.c3d"
    t = np.arange(300) / 100
    write_c3d(p, [{"type": 2, "centre": (0, 0), "dz_mm": 0.0,
                   "channels": sway_channels(300, x_mm=5 * np.sin(t), y_mm=np.cos(t), fz_n=np.full(300, 700.0))}])  # fmt: skip
    assert is_c3d(p.read_bytes()[:4])
    assert not is_c3d(b"# balance-recording 1") and not is_c3d(b"TP,x\n") and not is_c3d(b"\x1f\x8b\x08\x00")


@pytest.mark.parametrize("plate_type", [2, 4])
def test_single_plate_cop_matches_the_core_formula(tmp_path: Path, plate_type: int) -> None:
    n, dz = 400, 40.0
    t = np.arange(n) / 100
    x = 20 + 6 * np.sin(2 * np.pi * 0.3 * t)
    y = -15 + 4 * np.cos(2 * np.pi * 0.2 * t)
    fz = 700 + 20 * np.sin(t)
    ch = sway_channels(n, x_mm=x, y_mm=y, fz_n=fz, fx_n=5.0, dz_mm=dz)
    p = tmp_path / "one.c3d"
    write_c3d(p, [{"type": plate_type, "centre": (100.0, -50.0), "dz_mm": dz, "channels": ch}])
    rec = read_c3d(p)
    # The project's own force-plate CoP (moments in N·m) on the same channels, in the plate frame.
    ref = cop_from_forceplate(ch[0], ch[1], ch[2], ch[3] / 1000, ch[4] / 1000, dz_mm=dz)
    np.testing.assert_allclose(rec.cop_ml_mm, ref.cop_ml_mm, atol=1e-3)
    np.testing.assert_allclose(rec.cop_ap_mm, ref.cop_ap_mm, atol=1e-3)
    np.testing.assert_allclose(rec.cop_ml_mm, x, atol=1e-3)  # and the values the channels were built from
    np.testing.assert_allclose(rec.total_kg, fz / G, rtol=1e-6)  # type: ignore[arg-type]
    assert rec.fs_hz == 100.0 and rec.meta["layout"] == "c3d" and rec.meta["plate_types"] == [plate_type]


def test_two_plates_net_cop_and_axes(tmp_path: Path) -> None:
    n = 200
    left = sway_channels(n, x_mm=np.full(n, 0.0), y_mm=np.full(n, 10.0), fz_n=np.full(n, 300.0))
    right = sway_channels(n, x_mm=np.full(n, 0.0), y_mm=np.full(n, -20.0), fz_n=np.full(n, 500.0))
    p = tmp_path / "two.c3d"
    write_c3d(p, [{"type": 2, "centre": (-250.0, 0.0), "dz_mm": 0.0, "channels": left},
                  {"type": 4, "centre": (250.0, 0.0), "dz_mm": 0.0, "channels": right}])  # fmt: skip
    rec = read_c3d(p)
    # Fz-weighted mean of the plate CoPs in the lab frame, relative to the centre of both plates
    assert rec.cop_ml_mm[0] == pytest.approx((300 * -250 + 500 * 250) / 800, abs=1e-3)
    assert rec.cop_ap_mm[0] == pytest.approx((300 * 10 + 500 * -20) / 800, abs=1e-3)
    assert rec.total_kg[0] == pytest.approx(800 / G)  # type: ignore[index]
    swapped = read_c3d(p, ml_axis="y", ap_axis="-x")
    assert swapped.cop_ml_mm[0] == pytest.approx(rec.cop_ap_mm[0]) and swapped.cop_ap_mm[0] == pytest.approx(-rec.cop_ml_mm[0])


def test_unloaded_plate_gives_nan(tmp_path: Path) -> None:
    n = 100
    fz = np.where(np.arange(n) < 50, 0.0, 600.0)
    p = tmp_path / "empty.c3d"
    write_c3d(p, [{"type": 2, "centre": (0.0, 0.0), "dz_mm": 0.0,
                   "channels": sway_channels(n, x_mm=np.zeros(n), y_mm=np.zeros(n), fz_n=fz)}])  # fmt: skip
    rec = read_c3d(p)
    assert np.all(np.isnan(rec.cop_ml_mm[:50])) and np.all(np.isfinite(rec.cop_ml_mm[50:]))


def test_unsupported_plate_type(tmp_path: Path) -> None:
    n = 50
    p = tmp_path / "t1.c3d"
    write_c3d(p, [{"type": 3, "centre": (0.0, 0.0), "dz_mm": 0.0,
                   "channels": sway_channels(n, x_mm=np.zeros(n), y_mm=np.zeros(n), fz_n=np.full(n, 500.0))}])  # fmt: skip
    with pytest.raises(FormatError, match=r"type\(s\) \[3\] are not supported"):
        read_c3d(p)


def test_file_board_streams_a_c3d(tmp_path: Path) -> None:
    n = 300
    t = np.arange(n) / 100
    x = 8 * np.sin(t)
    p = tmp_path / "trial.c3d"
    write_c3d(p, [{"type": 2, "centre": (0.0, 0.0), "dz_mm": 0.0,
                   "channels": sway_channels(n, x_mm=x, y_mm=np.zeros(n), fz_n=np.full(n, 686.0))}])  # fmt: skip
    with open_board("file", path=p) as f:
        samples = list(f)
    assert len(samples) == n and samples[0].total_kg == pytest.approx(686 / G)
    from balance.cop import cop_from_corners

    c = np.array([s.corners_kg for s in samples])
    np.testing.assert_allclose(cop_from_corners(*c.T).cop_ml_mm, x, atol=1e-3)


def test_read_any_and_balance_analyze_accept_c3d(tmp_path: Path) -> None:
    # A C3D is recognised by its content through drivers.formats.read_any, hence by `balance analyze`.
    from balance.app.cli import main
    from drivers.formats import read_any

    n = 1000
    t = np.arange(n) / 100
    x, y = 6 * np.sin(2 * np.pi * 0.5 * t), 4 * np.cos(2 * np.pi * 0.3 * t)
    p = tmp_path / "lab_trial.c3d"  # ezc3d insists on the suffix; read_any decides by content
    write_c3d(p, [{"type": 2, "centre": (0.0, 0.0), "dz_mm": 0.0,
                   "channels": sway_channels(n, x_mm=x, y_mm=y, fz_n=np.full(n, 700.0))}])  # fmt: skip
    rec = read_any(p)
    np.testing.assert_allclose(rec.cop_ml_mm, x, atol=1e-6)
    np.testing.assert_allclose(rec.cop_ap_mm, y, atol=1e-6)
    assert main(["analyze", "--raw", "--json", "--quiet", "--jobs", "1", str(p)]) == 0
