"""Fixtures for the app tests: matplotlib draws off-screen and every figure is closed (MNE style,
``mne/conftest.py``); ``db``, a private database path for the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)  # no window, no display needed


@pytest.fixture(autouse=True)
def _close_matplotlib_figures():
    """Close every pyplot figure a test left open."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database path in a fresh folder; ``BALANCE_HOME`` points there too, so a test never sees the
    user's data folder (``BALANCE_DB`` unset)."""
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BALANCE_DB", raising=False)
    return tmp_path / "h.db"
