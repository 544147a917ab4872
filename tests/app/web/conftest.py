"""Fixtures for the web app tests: an app on a private database, and a test client addressed to loopback.

The app answers only requests addressed to a loopback name when it listens on loopback (DNS
rebinding guard), so clients use ``base_url="http://127.0.0.1:8000"`` (:data:`BASE_URL`), never
Starlette's default ``http://testserver``. Always use the client as a context manager (lifespan
runs, and nothing is left behind: pytest runs with ``filterwarnings = error``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web app's dependencies are part of the default install")

from starlette.testclient import TestClient  # noqa: E402
from web_helpers import BASE_URL, csrf  # noqa: E402, F401  (csrf: kept importable from here for older tests)

from balance.app.web.app import create_app  # noqa: E402
from balance.app.web.settings import WebSettings  # noqa: E402


@pytest.fixture
def web_settings(db: Path) -> WebSettings:
    """Settings of an app on loopback over the private database ``db``, simulated board, fast sim."""
    return WebSettings(db_path=db, board="sim", realtime=False, data_dir=db.parent / "home")


@pytest.fixture
def client(web_settings: WebSettings) -> Iterator[TestClient]:
    """A test client of the app built from ``web_settings`` (lifespan started and stopped)."""
    with TestClient(create_app(web_settings), base_url=BASE_URL) as c:
        yield c


# -- a seeded team: sessions recorded on the simulated board -------------------------------------------
#: Athletes of the seeded team: (code, name, right/left side-to-side sway ratio per weekly session).
SEEDED_TEAM: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("SAM", "Sam Example", (1.0, 1.7)),
    ("XSS1", "<script>alert(1)</script>", (1.3,)),
)


def _record_team(folder: Path) -> Path:
    """A database in ``folder`` with :data:`SEEDED_TEAM`'s single-leg sessions (simulated board, 10 s
    trials, one week apart) and the demo squad (measures only, no stored comparison)."""
    from datetime import datetime, timedelta, timezone

    from balance.app.demo_squad import add_demo_squad
    from balance.app.runner import run_session
    from balance.app.store import Store
    from drivers.sim import SimulatedBoard
    from protocols.library import get_protocol

    db = folder / "team.db"
    spec = get_protocol("single-leg", duration_s=10.0)
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    with Store.open(db) as store:
        first = None
        for k, (code, name, ratios) in enumerate(SEEDED_TEAM):
            athlete = store.add_athlete(name, code=code, birth_year=1998, mass_kg=68.0)
            for week, ratio in enumerate(ratios):
                board = SimulatedBoard(mass_kg=68.0, seed=100 * k + week, realtime=False,
                                       ml_sway_ratio_right_over_left=ratio)  # fmt: skip
                with board:
                    outcome = run_session(store, athlete, spec, board, source="demo",
                                          started_at=now - timedelta(weeks=len(ratios) - 1 - week))  # fmt: skip
                assert outcome.error is None, outcome.error
                first = first or outcome.session_id
        add_demo_squad(store, store.session(first, with_recordings=False), seed=7, when=now - timedelta(weeks=2))
    return db


@pytest.fixture(scope="session")
def _recorded_team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record_team(tmp_path_factory.mktemp("team"))


@pytest.fixture
def team_db(_recorded_team: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the seeded team's database and raw files (trials point at the copies)."""
    import shutil
    import sqlite3

    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BALANCE_DB", raising=False)
    src = _recorded_team.parent
    dst = tmp_path / "team"
    shutil.copytree(src, dst)
    db = dst / _recorded_team.name
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE trials SET raw_path = replace(raw_path, ?, ?)", (str(src.resolve()), str(dst.resolve())))
    conn.close()
    return db


@pytest.fixture
def team_client(team_db: Path) -> Iterator[TestClient]:
    """A test client of the app over :func:`team_db`."""
    settings = WebSettings(db_path=team_db, board="sim", realtime=False, data_dir=team_db.parent)
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c
