"""Helpers of the web app tests (imported by name: the tests folder is on sys.path)."""

from __future__ import annotations

from starlette.testclient import TestClient

#: Where test clients address the app: a loopback name (the app answers only those on loopback).
BASE_URL = "http://127.0.0.1:8000"


def csrf(client: TestClient) -> str:
    """The CSRF token of ``client``'s browser (the cookie set on its first request)."""
    token = client.cookies.get("balance_csrf")
    if token is None:
        client.get("/static/app.css")
        token = client.cookies.get("balance_csrf")
    assert token
    return str(token)
