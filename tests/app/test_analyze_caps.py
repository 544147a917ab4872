"""`balance analyze` resource caps: files and options that would exhaust the memory get a one-line error
naming the cap and its option, before anything large is allocated; raising the cap lets a genuine file through."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from balance.app.cli import main
from balance.errors import BalanceInputError
from balance.pipeline import analyze
from balance.resample import DEFAULT_MAX_SAMPLES, check_grid_size, swarii

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _corners_far_apart(path: Path) -> Path:
    rows = [f"{i * 1e6:.1f},17.{i % 9},18.{i % 7},17.{i % 5},18.{i % 3}" for i in range(50)]
    path.write_text("time_s,tl_kg,tr_kg,bl_kg,br_kg\n" + "\n".join(rows) + "\n")
    return path


def test_grid_size_is_checked_against_the_cap() -> None:
    assert check_grid_size(60.0, 100.0) == 6001
    with pytest.raises(BalanceInputError, match=r"6e\+10 samples, over the cap of 4,000,000.*--max-samples"):
        check_grid_size(60.0, 1e9)
    assert check_grid_size(60.0, 1e9, max_samples=None) == 60_000_000_001
    assert DEFAULT_MAX_SAMPLES == 4_000_000


def test_swarii_refuses_a_huge_grid_before_allocating() -> None:
    t = np.array([0.0, 1e6, 2e6])
    with pytest.raises(BalanceInputError, match="over the cap"):
        swarii(t, np.zeros(3), fs_hz=25.0)
    with pytest.raises(BalanceInputError, match="over the cap of 10"):
        swarii(np.arange(20) / 10.0, np.zeros(20), fs_hz=10.0, max_samples=10)


def test_pipeline_fs_hz_1e9_is_a_clean_error_and_max_samples_raises_the_cap() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(1000) / 100.0
    ml, ap = np.cumsum(rng.normal(0, 0.1, (2, 1000)), axis=1)
    with pytest.raises(BalanceInputError, match=r"1e\+09 Hz.*max_samples"):
        analyze((t, ml, ap), fs_hz=1e9)
    with pytest.raises(BalanceInputError, match="over the cap of 1,000"):
        analyze((t, ml, ap), fs_hz=200.0, max_samples=1000)
    res = analyze((t, ml, ap), fs_hz=200.0, max_samples=2000)
    assert res.params["fs_hz"] == 200.0


def test_quijoux_preset_grid_cap() -> None:
    t = np.concatenate([np.arange(500) / 100.0, 1e6 + np.arange(500) / 100.0])
    rng = np.random.default_rng(4)
    ml, ap = np.cumsum(rng.normal(0, 0.1, (2, 1000)), axis=1)
    with pytest.raises(BalanceInputError, match=r"at 25 Hz would make 2\.5e\+07 samples"):
        analyze((t, ml, ap), preset="quijoux")


def test_cli_fs_hz_1e9(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "analyze", "--fs-hz", "1e9", str(data_dir / "hbedb" / "BDS00001.txt.gz"))
    assert code == 1 and out == ""
    assert "over the cap of 4,000,000" in err and "--max-samples" in err and "Traceback" not in err


def test_cli_tiny_corner_csv_with_rows_far_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _corners_far_apart(tmp_path / "corners.csv")
    assert path.stat().st_size < 2048
    code, _, err = _run(capsys, "analyze", "--preset", "quijoux", str(path))
    assert code == 1 and "--max-duration-s" in err and "over the cap of 21600 s" in err
    code, _, err = _run(capsys, "analyze", "--preset", "quijoux", "--max-duration-s", "1e9", str(path))
    assert code == 1 and "--max-samples" in err and "1.22e+09 samples" in err


def test_cli_caps_in_a_subprocess_stay_small(tmp_path: Path) -> None:
    """The 2 KB corner CSV and a gzip bomb, end to end: refused with the peak memory of a normal run."""
    corners = _corners_far_apart(tmp_path / "corners.csv")
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(b"time_s,cop_ml_mm,cop_ap_mm\n")
        block = b"0.0,0.0,0.0\n" * 87_000
        for _ in range(40):
            fh.write(block)
    code = (
        "import resource, sys\n"
        "from balance.app.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rc)\n"
    )
    for argv in (
        ["analyze", "--preset", "quijoux", "--max-duration-s", "1e9", str(corners)],
        ["analyze", "--max-file-mb", "4", str(bomb)],
    ):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120, cwd=REPO)
        peak_kib, rc = proc.stdout.split()
        assert rc == "1", proc.stderr
        assert "Traceback" not in proc.stderr and "over the cap" in proc.stderr
        assert int(peak_kib) < 400 * 1024  # the interpreter with numpy/scipy/pandas is ~100 MiB


def test_cli_max_rows_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(3000) / 100.0
    rng = np.random.default_rng(5)
    ml, ap = np.cumsum(rng.normal(0, 0.1, (2, 3000)), axis=1)
    path = tmp_path / "cop.csv"
    path.write_text("time_s,cop_ml_mm,cop_ap_mm\n" + "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in zip(t.tolist(), ml.tolist(), ap.tolist())))
    code, _, err = _run(capsys, "analyze", "--max-rows", "1000", str(path))
    assert code == 1 and "more than 1,000 data rows" in err and "--max-rows" in err
    code, out, _ = _run(capsys, "analyze", "--max-rows", "3000", "--max-file-mb", "1", str(path))
    assert code == 0 and "cop.csv" in out
