"""Resource caps of drivers.formats (ReadLimits) and the fast row parser: bombs and huge files refused
before allocation, the same numbers as NumPy's parser."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from drivers import formats as F
from drivers.formats import FormatError, LimitError, ReadLimits

MIB = 1024 * 1024


def _corner_rows_far_apart(n: int = 50, step_s: float = 1e6) -> str:
    rng = np.random.default_rng(0)
    rows = [
        f"{i * step_s:.1f},{17 + rng.random():.3f},{18 + rng.random():.3f},{17 + rng.random():.3f},{18 + rng.random():.3f}"
        for i in range(n)
    ]
    return "time_s,tl_kg,tr_kg,bl_kg,br_kg\n" + "\n".join(rows) + "\n"


def _bomb(path: Path, inflated_mib: int) -> Path:
    """A gzip file of a few hundred kB that inflates to ``inflated_mib`` MiB of valid CoP CSV rows."""
    block = b"0.0,0.0,0.0\n" * (MIB // 12)
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"time_s,cop_ml_mm,cop_ap_mm\n")
        for _ in range(inflated_mib):
            fh.write(block)
    return path


def test_defaults_are_documented_values() -> None:
    assert F.DEFAULT_LIMITS == ReadLimits(max_bytes=256 * MIB, max_rows=2_000_000, max_duration_s=21_600.0)
    with pytest.raises(ValueError, match="max_rows"):
        ReadLimits(max_rows=0)


def test_gzip_bomb_refused_while_streaming(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.csv.gz", 64)
    assert path.stat().st_size < 1 * MIB
    tracemalloc.start()
    try:
        with pytest.raises(LimitError, match=r"decompresses to more than 2,097,152 bytes.*--max-file-mb"):
            F.read_any(path, limits=ReadLimits(max_bytes=2 * MIB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB  # the cap plus a block or two, never the 64 MiB it inflates to


def test_plain_file_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"time_s,cop_ml_mm,cop_ap_mm\n" + b"0.0,0.0,0.0\n" * (MIB // 3))
    tracemalloc.start()
    try:
        with pytest.raises(LimitError, match=r"big\.csv: it holds .* bytes, over the cap of 1 MiB"):
            F.read_any(path, limits=ReadLimits(max_bytes=MIB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MIB // 4
    assert len(F.read_any(path, limits=ReadLimits(max_bytes=8 * MIB))) == MIB // 3


def test_rows_cap_counts_data_rows(tmp_path: Path) -> None:
    t = np.arange(1000) / 100.0
    text = "time_s,cop_ml_mm,cop_ap_mm\n" + "".join(f"{v!r},1.0,2.0\n" for v in t.tolist())
    with pytest.raises(LimitError, match=r"more than 500 data rows.*--max-rows"):
        F.parse(text, name="rows.csv", limits=ReadLimits(max_rows=500))
    assert len(F.parse(text, name="rows.csv", limits=ReadLimits(max_rows=1000))) == 1000


def test_rows_far_apart_refused_by_duration_before_any_resampling(tmp_path: Path) -> None:
    path = tmp_path / "corners.csv"
    path.write_text(_corner_rows_far_apart())
    assert path.stat().st_size < 2500
    with pytest.raises(LimitError, match=r"span 4\.9e\+07 s, over the cap of 21600 s.*--max-duration-s"):
        F.read_any(path)
    rec = F.read_any(path, limits=ReadLimits(max_duration_s=1e9))
    assert len(rec) == 50


def test_limit_error_is_a_format_error() -> None:
    assert issubclass(LimitError, FormatError)


def test_corrupt_and_concatenated_gzip(tmp_path: Path) -> None:
    text = "time_s,cop_ml_mm,cop_ap_mm\n" + "".join(f"{i / 100},{i % 7}.5,{i % 5}.25\n" for i in range(600))
    half = len(text) // 2 + text[len(text) // 2 :].index("\n") + 1
    cat = tmp_path / "cat.csv.gz"
    cat.write_bytes(gzip.compress(text[:half].encode()) + gzip.compress(text[half:].encode()))
    assert len(F.read_any(cat)) == 600
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(gzip.compress(text.encode())[:-20])
    with pytest.raises(FormatError, match="gzip data is corrupt or truncated"):
        F.read_any(bad)


# ------------------------------------------------------------------------------ fast row parser


def test_fast_parser_gives_numpys_float64_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    vals = rng.normal(0, 1, (4000, 3)) * 10.0 ** rng.integers(-9, 9, (4000, 3))
    body = "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in vals.tolist())
    body += "".join(f"{a:.6f},{b:.3f},{c:.1f}\n" for a, b, c in vals.tolist())
    fast = F._fast_table(body, ",")
    assert fast is not None
    ref = np.loadtxt(io.StringIO(body), delimiter=",")
    assert fast.shape == ref.shape and np.array_equal(fast, ref)


def test_fast_parser_whitespace_layout_matches_numpy() -> None:
    body = "0.010\t-1.633567\t539.066061\r\n0.020\t-1.631645\t538.591198\r\n\r\n0.030\t1e-3\t5\r\n"
    fast = F._fast_table(body, None)
    assert fast is not None and np.array_equal(fast, np.loadtxt(io.StringIO(body)))


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("0.1,1.0,2.0\n0.2,,2.0\n", r"x\.csv: line \d is not numeric or has a missing field"),
        ("0.1,1.0,2.0\n0.2,1.0\n", r"x\.csv: line \d is not numeric or has a missing field"),
        ("0.1,1.0,2.0\n0.2,abc,2.0\n", r"x\.csv: line \d is not numeric"),
    ],
)
def test_rows_the_fast_parser_refuses_get_numpys_messages(body: str, pattern: str) -> None:
    with pytest.raises(FormatError, match=pattern):
        F.parse("time_s,cop_ml_mm,cop_ap_mm\n" + body, name="x.csv")


def test_nan_in_the_file_still_reads_as_nan() -> None:
    rec = F.parse("time_s,cop_ml_mm,cop_ap_mm\n0.0,nan,1.0\n0.01,2.0,3.0\n", name="x.csv")
    assert np.isnan(rec.cop_ml_mm[0]) and rec.cop_ml_mm[1] == 2.0


def test_a_device_without_a_size_is_read_only_up_to_the_cap() -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(LimitError, match=r"/dev/zero: it holds more than 65,536 bytes"):
        F.read_text(zero, limits=ReadLimits(max_bytes=65_536))
