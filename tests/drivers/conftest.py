"""Driver test fixtures: fail any test that leaves a board open (python-can ``test/conftest.py`` style)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.base import Board


@pytest.fixture(autouse=True)
def no_board_left_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Board]]:
    """Record every board opened during the test; fail the test if one is still open at its end."""
    opened: list[Board] = []
    original = Board.open

    def tracking_open(self: Board) -> Board:
        result = original(self)
        opened.append(self)
        return result

    monkeypatch.setattr(Board, "open", tracking_open)
    yield opened
    still_open = [b for b in opened if b.is_open]
    for b in still_open:
        b.close()
    if still_open:
        pytest.fail(f"test left {len(still_open)} board(s) open: {[type(b).__name__ for b in still_open]}")
