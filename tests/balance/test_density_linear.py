"""The linear-memory sway-density walk (aligned blocks) gives exactly the brute-force runs, and its memory
grows linearly with the record."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from balance import density


def _brute_runs(x: np.ndarray, y: np.ndarray, r2: float) -> np.ndarray:
    n = x.size
    out = np.zeros(n, dtype=int)
    for i in range(n):
        j = i + 1
        while j < n and (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= r2:
            j += 1
        k = i - 1
        while k >= 0 and (x[k] - x[i]) ** 2 + (y[k] - y[i]) ** 2 <= r2:
            k -= 1
        out[i] = (j - 1) - (k + 1)
    return out


def _both(x: np.ndarray, y: np.ndarray, r2: float, tail: int = density._TAIL) -> tuple[np.ndarray, np.ndarray]:
    aligned = density.run_lengths_squared(x, y, r2=r2, tail=tail, table_bytes=0)
    sparse = density.run_lengths_squared(x, y, r2=r2, tail=tail, table_bytes=10**15)
    return aligned, sparse


@pytest.mark.parametrize("tail", [0, density._TAIL, 10**9])  # walk only, mixed, exact scans only
@pytest.mark.parametrize("seed", range(6))
def test_aligned_walk_equals_brute_force(seed: int, tail: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(30, 700))
    x, y = np.cumsum(rng.normal(size=(2, n)) * rng.uniform(0.05, 1.0), axis=1)
    r2 = float(rng.uniform(0.3, 4.0)) ** 2
    aligned, sparse = _both(x, y, r2, tail)
    expected = _brute_runs(x, y, r2)
    np.testing.assert_array_equal(aligned, expected)
    np.testing.assert_array_equal(sparse, expected)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 17, 64, 65])
def test_aligned_walk_tiny_and_power_of_two_lengths(n: int) -> None:
    rng = np.random.default_rng(n)
    x, y = np.cumsum(rng.normal(size=(2, n)), axis=1)
    for tail in (0, 10**9):
        np.testing.assert_array_equal(
            density.run_lengths_squared(x, y, r2=2.0, tail=tail, table_bytes=0), _brute_runs(x, y, 2.0)
        )


def test_aligned_walk_whole_record_inside_and_never_inside() -> None:
    t = np.linspace(0, 1, 3000)
    x, y = 0.1 * np.sin(20 * t), 0.1 * np.cos(13 * t)
    np.testing.assert_array_equal(density.run_lengths_squared(x, y, r2=1.0, table_bytes=0, tail=0), np.full(3000, 2999))
    far = np.arange(500, dtype=float) * 10.0
    np.testing.assert_array_equal(density.run_lengths_squared(far, far, r2=1.0, table_bytes=0, tail=0), np.zeros(500))


def test_aligned_walk_corners_of_a_triangle() -> None:
    # Inside the circle but filling a box wider than R*sqrt(2): no block above level 0 is ever certified.
    r = 3.0
    side = 0.97 * r
    tri = np.array([[0.0, 0.0], [side, 0.0], [side / 2, side * np.sqrt(3) / 2]])
    p = tri[np.arange(900) % 3] + np.random.default_rng(7).normal(0, 1e-3, (900, 2))
    p[450:] += 20.0  # and a jump half-way
    expected = _brute_runs(p[:, 0], p[:, 1], r * r)
    for tail in (0, density._TAIL):
        np.testing.assert_array_equal(
            density.run_lengths_squared(p[:, 0], p[:, 1], r2=r * r, tail=tail, table_bytes=0), expected
        )


def test_default_switches_to_the_linear_walk_for_long_records_and_memory_is_linear() -> None:
    rng = np.random.default_rng(11)
    n = 200_000  # 33 min at 100 Hz: beyond the full sparse table's budget
    k = np.ones(50) / 50
    x = np.convolve(np.cumsum(rng.normal(0, 0.2, n + 49)), k, mode="valid")
    y = np.convolve(np.cumsum(rng.normal(0, 0.3, n + 49)), k, mode="valid")
    assert 32 * (2 * n + 2) * (2 * n + 2).bit_length() > density._SPARSE_TABLE_BYTES
    tracemalloc.start()
    try:
        runs = density.run_lengths_within(x, y, radius_mm=3.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 160 * n  # bytes: linear (the full table needs ~1,500 bytes per sample here)
    # spot-check against the brute force definition on a few samples
    for i in rng.integers(0, n, 25).tolist():
        j = i + 1
        while j < n and (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= 9.0:
            j += 1
        h = i - 1
        while h >= 0 and (x[h] - x[i]) ** 2 + (y[h] - y[i]) ** 2 <= 9.0:
            h -= 1
        assert runs[i] == (j - 1) - (h + 1)
