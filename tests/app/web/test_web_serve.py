"""`balance serve`: the settings it builds (access code off loopback only) and a real server answering."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from balance.app.cli import main
from balance.app.commands import serve as serve_cmd
from balance.app.web.security import _CODE_ALPHABET


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The settings `balance serve` would run with (the server itself is not started)."""
    seen: list[Any] = []

    def fake_serve(settings: Any, *, open_browser: bool, db_label: str) -> int:
        seen.append((settings, open_browser))
        return 0

    monkeypatch.setattr(serve_cmd, "serve", fake_serve)
    monkeypatch.delenv("BALANCE_ACCESS_CODE", raising=False)
    return seen


def test_on_loopback_there_is_no_access_code(captured: list[Any], db: Path) -> None:
    assert main(["serve", "--db", str(db), "--board", "sim", "--no-open", "--access-code", "ignored"]) == 0
    settings, open_browser = captured[0]
    assert settings.host == "127.0.0.1" and settings.access_code is None and not settings.code_required
    assert settings.board == "sim" and settings.db_path == db and open_browser is False


def test_off_loopback_a_code_is_generated(captured: list[Any], db: Path) -> None:
    assert main(["serve", "--db", str(db), "--host", "0.0.0.0"]) == 0
    settings, open_browser = captured[0]
    code = settings.access_code
    assert settings.code_required and open_browser is True and settings.board == "wii"
    assert len(code) == 10 and set(code) <= set(_CODE_ALPHABET)
    assert main(["serve", "--db", str(db), "--host", "0.0.0.0"]) == 0
    assert captured[1][0].access_code != code  # a new one each start


def test_off_loopback_the_code_can_be_chosen(captured: list[Any], db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_ACCESS_CODE", "from-env")
    assert main(["serve", "--db", str(db), "--host", "192.168.1.20"]) == 0
    assert main(["serve", "--db", str(db), "--host", "192.168.1.20", "--access-code", "from-flag"]) == 0
    assert [c[0].access_code for c in captured] == ["from-env", "from-flag"]


def test_a_bad_port_or_database_is_reported(captured: list[Any], db: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["serve", "--db", str(db), "--port", "70000"]) == 2
    (tmp_path / "not.db").write_text("hello")
    assert main(["serve", "--db", str(tmp_path / "not.db")]) == 1
    assert "not a balance history database" in capsys.readouterr().err
    assert captured == []


def test_balance_serve_answers_and_stops_on_ctrl_c(db: Path) -> None:
    env = {**os.environ, "BALANCE_HOME": str(db.parent / "home")}
    env.pop("BALANCE_ACCESS_CODE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "balance.app", "serve", "--port", "0", "--no-open", "--board", "sim", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"Open (http://127\.0\.0\.1:\d+/)", line)
            url = m.group(1) if m else None
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL printed"
        page = None
        while page is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    page = (r.status, r.headers.get("content-security-policy"), r.read().decode())
            except OSError:
                time.sleep(0.1)
        assert page is not None and page[0] == 200 and "default-src 'self'" in page[1] and 'id="team-table"' in page[2]
        # the live view's WebSocket is served (a WebSocket library is installed with the app)
        from websockets.sync.client import connect

        ws_url = url.replace("http://", "ws://") + "ws/live/sim"
        with connect(ws_url, origin=url.rstrip("/"), open_timeout=20) as ws:  # type: ignore[arg-type]
            hello = json.loads(ws.recv(timeout=20))
        assert hello["type"] == "hello" and hello["board"] == "sim"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err
    assert "stopped" in err
