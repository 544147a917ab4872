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


# Hypothesis: no per-example deadline (these machines are shared and noisy; speed lives in bench/),
# and the failing example is printed so a CI failure can be reproduced locally.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("balance", deadline=None, print_blob=True)
_hyp_settings.load_profile("balance")
