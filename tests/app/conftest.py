"""Fixtures for the app tests: matplotlib draws off-screen and every figure is closed (MNE style,
``mne/conftest.py``)."""

from __future__ import annotations

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
