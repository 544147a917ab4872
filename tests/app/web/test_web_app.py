"""The web app starts, serves its pages and assets, and stops cleanly."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_team_page_and_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="team-table"' in page.text
    assert '<link rel="stylesheet" href="/static/app.css">' in page.text
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
