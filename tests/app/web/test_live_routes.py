"""The live routes: the test form, start/stop/retry, the live page, its WebSocket and state.json.

The app runs on a private database with the simulated board in fast mode; the hub opens a counting
simulated board (:class:`CountingSimBoard`), so stored trials are checked against what the board
produced, not against what the browsers saw.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web app's dependencies are part of the default install")

from conftest import BASE_URL, csrf  # noqa: E402
from live_helpers import Boards  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from balance.app.console import KEY_MEASURES, comparison_table  # noqa: E402
from balance.app.store import Store  # noqa: E402
from balance.app.summary import session_measure_rows  # noqa: E402

ORIGIN = {"origin": BASE_URL}
#: The live WebSocket addressed to the loopback name the app answers (TestClient's default is ws://testserver).
WS = BASE_URL.replace("http://", "ws://") + "/ws/live/sim"


@pytest.fixture
def athlete(db: Path) -> str:
    with Store.open(db) as s:
        s.add_athlete("Sam <b>Lee</b>", code="SAM", mass_kg=70.0)
    return "SAM"


@pytest.fixture
def boards(client: TestClient) -> Boards:
    b = Boards()
    client.app.state.ctx.hub._open_board = b  # type: ignore[attr-defined]
    return b


def start(client: TestClient, **fields: Any) -> Any:
    data = {"protocol": "single-leg", "board": "sim", "athlete": "SAM", "trials": "1", "seconds": "8",
            "rest_s": "1", "csrf_token": csrf(client)}  # fmt: skip
    data.update({k: str(v) for k, v in fields.items()})
    return client.post("/test/start", data=data, follow_redirects=False)


def read_until_done(
    ws: Any, frames: list[dict[str, Any]] | None = None, *, limit: int = 100000
) -> list[dict[str, Any]]:
    out = [] if frames is None else frames
    for _ in range(limit):
        msg = json.loads(ws.receive_text())
        if msg["type"] != "frame":
            continue
        out.append(msg)
        if any(e["kind"] == "done" for e in msg["events"]):
            return out
    raise AssertionError("no end-of-test frame")


def wait_done(client: TestClient, board: str = "sim") -> dict[str, Any]:
    for _ in range(6000):
        snap = client.get(f"/live/{board}/state.json").json()
        if snap["state"]["phase"] in ("done", "error"):
            return snap
        time.sleep(0.02)
    raise AssertionError("the test did not end")


def test_the_form_lists_protocols_boards_and_athletes_escaped(client: TestClient, athlete: str) -> None:
    page = client.get("/test/new?athlete=SAM")
    assert page.status_code == 200
    html = page.text
    assert 'id="test-form"' in html and 'id="start"' in html
    protocols = re.findall(r'<option value="([a-z-]+)"', html.split('name="protocol"')[1].split("</select>")[0])
    assert protocols == ["single-leg", "bilateral", "squat", "before-after"]
    board_select = html.split('name="board"')[1].split("</select>")[0]
    assert 'value="sim"' in board_select
    assert "Sam &lt;b&gt;Lee&lt;/b&gt;" in html and "<b>Lee</b>" not in html
    assert re.search(r'<option value="SAM" selected>', html)
    assert "<script>" not in html  # no inline script (CSP)


def test_start_needs_the_csrf_token(client: TestClient, athlete: str) -> None:
    r = client.post("/test/start", data={"protocol": "single-leg", "board": "sim", "athlete": "SAM"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert client.app.state.ctx.hub.run_for("sim") is None  # type: ignore[attr-defined]


def test_bad_options_come_back_on_the_form_with_the_reason(client: TestClient, athlete: str) -> None:
    r = start(client, trials="lots")
    assert r.status_code == 400 and "not a whole number" in r.text and 'id="test-form"' in r.text
    r = start(client, athlete="Nobody Here")
    assert r.status_code == 303  # the athlete is looked up by the test itself, as `balance test`
    snap = wait_done(client)
    assert snap["state"]["phase"] == "error" and "Nobody Here" in snap["state"]["error"]


def test_a_test_streams_in_order_and_the_stored_trials_hold_every_board_sample(
    client: TestClient, athlete: str, boards: Boards, db: Path
) -> None:
    r = start(client)
    assert r.status_code == 303 and r.headers["location"] == "/live/sim"
    assert "balance_live_sim" in client.cookies
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        hello = json.loads(ws.receive_text())
        assert hello["type"] == "hello" and hello["controller"] is True
        ws.send_text(json.dumps({"type": "ping", "client_ms": 123.0}))
        frames = read_until_done(ws)
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # in order, none missing, none twice
    assert all("sent_ms" in f and "state" in f for f in frames)
    done = frames[-1]["events"][-1]
    sid = done["session_id"]
    times = np.asarray(boards.opened[0].times)
    with Store.open(db) as store:
        session = store.session(sid)
        assert session.status == "complete"
        for t in session.trials:
            stored = np.asarray(t.recording.time_s)
            lo, hi = np.searchsorted(times, [stored[0], stored[-1]])
            np.testing.assert_array_equal(stored, times[lo : hi + 1])
    page = client.get("/live/sim")
    assert 'data-state="done"' in page.text
    # the result is the session page's table to the digit, and the headline the console prints
    result = done["result"]
    session_doc = client.get(f"/sessions/{sid}.json").json()
    assert result["rows"] == [r for r in session_doc["left_right"] if r["left"] or r["right"]]
    assert [r["measure"] for r in result["rows"]][:1] == ["mean_velocity_ml_mm_s"]
    with Store.open(db) as store:
        console = comparison_table(session_measure_rows(store.session(sid), KEY_MEASURES), width=10_000)
    assert result["headline"] in console.splitlines()


def test_a_reconnecting_page_gets_the_missing_frames_without_duplicates(
    client: TestClient, athlete: str, boards: Boards
) -> None:
    start(client)
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        json.loads(ws.receive_text())
        first = [json.loads(ws.receive_text()) for _ in range(5)]
    first = [f for f in first if f["type"] == "frame"]
    run, last = first[-1]["run"], first[-1]["seq"]
    wait_done(client)
    with client.websocket_connect(f"{WS}?run={run}&from={last}", headers=ORIGIN) as ws:
        json.loads(ws.receive_text())
        rest = read_until_done(ws)
    snap = client.get("/live/sim/state.json").json()
    assert [f["seq"] for f in rest] == list(range(last + 1, snap["seq"] + 1))
    assert all(f.get("replay") is True for f in rest)  # sent again from the history: no latency measured on them
    assert snap["state"]["phase"] == "done" and snap["run"] == run


def test_a_viewer_leaving_does_not_stop_the_test(client: TestClient, athlete: str, db: Path) -> None:
    gate = threading.Event()
    gate.set()
    boards = Boards(gate)
    client.app.state.ctx.hub._open_board = boards  # type: ignore[attr-defined]
    start(client, trials=2)
    for _ in range(6000):  # wait for the first trial, then hold the board there
        if client.get("/live/sim/state.json").json()["state"]["phase"] == "running":
            break
        time.sleep(0.01)
    gate.clear()
    try:
        for _ in range(3):  # open and drop the page three times in the middle of the trial
            with client.websocket_connect(WS, headers=ORIGIN) as ws:
                ws.receive_text()
                frame = json.loads(ws.receive_text())
                assert frame["state"]["phase"] == "running"
    finally:
        gate.set()
    snap = wait_done(client)
    assert snap["state"]["phase"] == "done" and snap["state"]["error"] is None
    assert snap["samples_seen"] == len(boards.opened[0].times)
    with Store.open(db) as store:
        s = store.session(snap["state"]["session_id"], with_recordings=False)
        assert s.status == "complete" and len(s.trials) == 4


def test_one_test_per_board_a_second_browser_watches_read_only(client: TestClient, athlete: str, db: Path) -> None:
    gate = threading.Event()
    client.app.state.ctx.hub._open_board = Boards(gate)  # type: ignore[attr-defined]
    start(client)
    other = TestClient(client.app, base_url=BASE_URL)  # another browser: its own cookies
    try:
        busy = start(other, protocol="bilateral", athlete="__guest__")
        assert busy.status_code == 409 and "already running on the sim board" in busy.text
        page = other.get("/live/sim")
        assert 'data-controller="0"' in page.text and re.search(r'id="stop"[^>]*disabled', page.text)
        refused = other.post("/test/stop", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(other)})
        assert refused.status_code == 403 and "read-only" in refused.json()["error"]
        with other.websocket_connect(WS, headers=ORIGIN) as ws:
            assert json.loads(ws.receive_text())["controller"] is False
        mine = client.get("/live/sim")
        assert 'data-controller="1"' in mine.text
        stopped = client.post("/test/stop", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(client)})
        assert stopped.status_code == 200 and stopped.json()["ok"] is True
    finally:
        gate.set()
        other.close()
    snap = wait_done(client)
    assert snap["state"]["phase"] == "error" and "nothing was saved" in snap["state"]["error"]


def test_stop_in_the_middle_keeps_the_trials_recorded(client: TestClient, athlete: str, db: Path) -> None:
    start(client, trials=3, seconds=20)
    with client.websocket_connect(WS, headers=ORIGIN) as ws:
        for _ in range(100000):
            msg = json.loads(ws.receive_text())
            if msg["type"] == "frame" and any(e["kind"] == "trial_ended" for e in msg["events"]):
                break
        r = client.post("/test/stop", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(client)})
        assert r.json()["ok"] is True
        frames = read_until_done(ws)
    done = frames[-1]["events"][-1]
    assert done["status"] == "incomplete" and done["session_id"]
    with Store.open(db) as store:
        s = store.session(done["session_id"], with_recordings=False)
        assert s.status == "incomplete" and s.trials and s.trials[0].status == "complete"


def test_retry_starts_the_same_test_again(client: TestClient, athlete: str, db: Path) -> None:
    start(client, protocol="bilateral", athlete="__guest__", trials=1, seconds=6, rest_s=0)
    first = wait_done(client)
    r = client.post("/test/retry", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(client)})
    assert r.status_code == 200 and r.json()["run"] != first["run"]
    second = wait_done(client)
    assert second["state"]["phase"] == "done"
    assert second["state"]["athlete"] == first["state"]["athlete"] == "GUEST-001"
    assert second["state"]["session_id"] != first["state"]["session_id"]


def test_before_after_goes_on_when_the_controller_says_ready(client: TestClient, athlete: str) -> None:
    start(client, protocol="before-after", trials=1, seconds=6, rest_s=0)
    for _ in range(6000):
        snap = client.get("/live/sim/state.json").json()
        if snap["state"]["confirm"]:
            break
        time.sleep(0.01)
    assert snap["state"]["confirm"] and snap["state"]["phase"] == "waiting"
    assert 'id="ready"' in client.get("/live/sim").text
    r = client.post("/test/ready", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(client)})
    assert r.status_code == 200 and r.json()["ok"] is True
    done = wait_done(client)
    assert done["state"]["phase"] == "done" and done["state"]["error"] is None
    again = client.post("/test/ready", data={"board": "sim"}, headers={"X-CSRF-Token": csrf(client)})
    assert again.status_code == 409 and "not waiting" in again.json()["error"]


def test_the_websocket_refuses_a_foreign_origin_and_no_origin(client: TestClient) -> None:
    for headers in ({"origin": "http://evil.example"}, {}):
        with pytest.raises(WebSocketDisconnect) as err:
            with client.websocket_connect(WS, headers=headers) as ws:
                ws.receive_text()
        assert err.value.code == 1008


def test_the_live_page_has_the_stable_ids_and_no_inline_script(client: TestClient) -> None:
    page = client.get("/live/sim")
    assert page.status_code == 200
    for i in ("live-instruction", "live-side", "live-timer", "live-canvas", "live-zoom", "live-load", "live-next",
              "live-status", "stop", "retry", "live-result", "result-link"):  # fmt: skip
        assert f'id="{i}"' in page.text, i
    assert re.search(r'<body[^>]* data-state="waiting"', page.text)
    assert '<script src="/static/live.js"></script>' in page.text
    assert not re.search(r"<script>(?!</script>)", page.text) and " on" + "click=" not in page.text
    assert client.get("/static/live.js").status_code == 200
    assert client.get("/live/forceplate").status_code == 404


def test_state_json_before_any_test(client: TestClient) -> None:
    snap = client.get("/live/sim/state.json").json()
    assert snap == {"board": "sim", "run": None, "seq": 0, "state": {"phase": "idle"}, "controller": False}


def test_uvicorn_has_a_websocket_implementation_for_the_live_page() -> None:
    # uvicorn serves WebSockets only with `websockets` or `wsproto` installed (its "auto" choice);
    # without one, `balance serve` answers the live page's upgrade with "Unsupported upgrade request"
    # and the page never gets a frame. TestClient does not go through uvicorn, so check it here.
    import importlib.util

    from uvicorn.config import WS_PROTOCOLS

    assert "auto" in WS_PROTOCOLS
    found = [m for m in ("websockets", "wsproto") if importlib.util.find_spec(m) is not None]
    assert found, "add `websockets` to the runtime dependencies (pyproject.toml): the live page needs it"
