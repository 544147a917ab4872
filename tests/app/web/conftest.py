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

from balance.app.web.app import create_app  # noqa: E402
from balance.app.web.settings import WebSettings  # noqa: E402

#: Where test clients address the app (a loopback name: see the module docstring).
BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def web_settings(db: Path) -> WebSettings:
    """Settings of an app on loopback over the private database ``db``, simulated board, fast sim."""
    return WebSettings(db_path=db, board="sim", realtime=False, data_dir=db.parent / "home")


@pytest.fixture
def client(web_settings: WebSettings) -> Iterator[TestClient]:
    """A test client of the app built from ``web_settings`` (lifespan started and stopped)."""
    with TestClient(create_app(web_settings), base_url=BASE_URL) as c:
        yield c


def csrf(client: TestClient) -> str:
    """The CSRF token of ``client``'s browser (the cookie set on its first request)."""
    token = client.cookies.get("balance_csrf")
    if token is None:
        client.get("/static/app.css")
        token = client.cookies.get("balance_csrf")
    assert token
    return str(token)
