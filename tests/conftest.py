"""Shared test fixtures. Test data is found relative to this file, never the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The project's shipped ``data/`` folder."""
    return DATA_DIR
