"""The pages show what the command line shows: the console's headline on the team page, the export's
numbers on the session page, the export zip as `balance export` writes it; names and notes escaped;
uploads limited and analysed like `balance analyze`; delete says what it deletes."""

from __future__ import annotations

import csv
import html
import io
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_helpers import BASE_URL, csrf

from balance.app.store import Store
from balance.app.web.app import create_app
from balance.app.web.settings import WebSettings

XSS = "<script>alert(1)</script>"


def _rows(page: str, attr: str) -> dict[str, str]:
    """``<tr {attr}="KEY" ...>...</tr>`` blocks of a page, by KEY."""
    return {html.unescape(k): body for k, body in re.findall(rf'<tr {attr}="([^"]*)"[^>]*>(.*?)</tr>', page, re.S)}


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _latest_single_leg(store: Store, code: str) -> object:
    return [s for s in store.sessions(code, protocol="single_leg") if s.status != "open"][-1]


# ------------------------------------------------------------------------------------------ team page
def test_team_page_shows_the_console_headline_of_every_athlete(team_client: TestClient, team_db: Path) -> None:
    from balance.app.console import KEY_MEASURES, comparison_table
    from balance.app.summary import session_measure_rows

    rows = _rows(team_client.get("/").text, "data-athlete")
    with Store.open(team_db) as store:
        athletes = store.list_athletes()
        assert len(athletes) == 13 and set(rows) == {a.code for a in athletes}
        for a in athletes:
            session = _latest_single_leg(store, a.code)
            console = comparison_table(session_measure_rows(session, KEY_MEASURES), width=100_000).split("\n")
            headline = console[console.index("") + 1]  # what `balance test` prints under its table
            cell = re.search(r'class="headline-cell">(.*?)</td>', rows[a.code], re.S)
            assert cell is not None
            assert headline in _text(cell.group(1)), a.code
            assert f'href="/sessions/{session.id}"' in cell.group(1)


def test_team_page_flags_who_got_worse(team_client: TestClient) -> None:
    page = team_client.get("/").text
    rows = _rows(page, "data-athlete")
    # SAM was recorded with a right leg swaying 1.7 times the left in week 2, as much as the left in week 1
    assert "▲ worse" in rows["SAM"] and 'class="worse"' in re.search(r'<tr data-athlete="SAM"[^>]*>', page).group(0)
    assert "first session" in rows["XSS1"]  # one session: nothing to compare yet
    assert all("▲ worse" not in body for code, body in rows.items() if code != "SAM")
    assert 'id="worse-list"' in page and "/athletes/SAM" in page.split('id="worse-list"')[1].split("</div>")[0]


def test_team_page_search_filters_on_the_server(team_client: TestClient) -> None:
    rows = _rows(team_client.get("/?q=sam").text, "data-athlete")
    assert set(rows) == {"SAM"}
    rows = _rows(team_client.get("/?q=demo squad").text, "data-athlete")
    assert len(rows) == 11 and all(code.startswith("SQ") for code in rows)
    assert "No athlete matches" in team_client.get("/?q=nobody-like-this").text


def test_team_page_reads_the_team_in_a_few_queries(team_db: Path) -> None:
    """Not one query per athlete: the team page stays fast with hundreds of athletes."""
    from balance.app.web.team_view import team_rows

    with Store.open(team_db) as store:
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        rows = team_rows(store)
        store._conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(rows) == 13 and len(selects) <= 8, selects


def test_team_json_beside_the_page(team_client: TestClient) -> None:
    doc = team_client.get("/team.json").json()
    sam = next(r for r in doc if r["code"] == "SAM")
    assert sam["more_side"] == "right" and sam["worse"] and sam["headline"].startswith("Right leg:")


def test_add_athlete_and_a_duplicate_is_explained(client: TestClient) -> None:
    token = csrf(client)
    r = client.post("/athletes", data={"code": "P07", "name": "Alex", "group": "U18", "csrf_token": token})
    assert r.status_code == 200 and 'id="athlete-name"' in r.text and "Alex" in r.text
    r = client.post("/athletes", data={"code": "P08", "name": "alex", "csrf_token": token})
    assert r.status_code == 400 and "already exists" in r.text
    assert 'value="P08"' in r.text  # the form keeps what was typed


# ------------------------------------------------------------------------------------------ escaping
def test_a_name_or_note_with_markup_is_shown_as_text_everywhere(team_client: TestClient, team_db: Path) -> None:
    with Store.open(team_db) as store:
        sid = _latest_single_leg(store, "XSS1").id
    note = '<img src=x onerror="alert(2)">'
    r = team_client.post(f"/sessions/{sid}/note", data={"note": note, "csrf_token": csrf(team_client)})
    assert r.status_code == 200
    pages = ["/", "/?q=script", "/athletes/XSS1", f"/sessions/{sid}", "/athletes/XSS1/delete", "/nope"]
    for url in pages:
        text = team_client.get(url).text
        assert XSS not in text and note not in text, url
    from markupsafe import escape  # Jinja2's escaping

    assert str(escape(XSS)) in team_client.get("/").text
    assert str(escape(note)) in team_client.get(f"/sessions/{sid}").text
    assert str(escape(note)) in team_client.get("/athletes/XSS1").text
    r = team_client.get("/athletes/" + XSS)  # an unknown code echoed back is escaped too
    assert r.status_code == 404 and XSS not in r.text


# ------------------------------------------------------------------------------------------ session page
def test_session_page_numbers_equal_the_export_csv(team_client: TestClient, team_db: Path, tmp_path: Path) -> None:
    from balance.app.export import export_history

    with Store.open(team_db) as store:
        sid = _latest_single_leg(store, "SAM").id
        export_history(store, ["SAM"], tmp_path / "export")
    with open(tmp_path / "export" / "sessions.csv", encoding="utf-8-sig", newline="") as fh:
        exported = {(r["measure"], r["condition"]): r for r in csv.DictReader(fh) if r["session_id"] == str(sid)}
    page = team_client.get(f"/sessions/{sid}").text
    table = page.split('id="lr-table"')[1].split("</table>")[0]
    cells = re.findall(r'data-measure="([^"]+)" data-side="([^"]+)" data-condition="([^"]*)">([^<]*)</td>', table)
    columns = {"left": "left_mean", "right": "right_mean", "si": "symmetry_index_pct", "mdc95": "mdc95"}
    measures = {m for m, _, _, _ in cells}
    assert {"mean_velocity_ml_mm_s", "rms_ml_mm", "mean_velocity_ap_mm_s", "prediction_ellipse_area_mm2"} <= measures
    for measure, side, cond, shown in cells:
        assert shown == exported[(measure, cond)][columns[side]], (measure, side)
    assert len(cells) == 4 * len(measures)
    doc = team_client.get(f"/sessions/{sid}.json").json()  # the same numbers beside the page
    for r in doc["left_right"]:
        assert (r["left"], r["right"]) == (exported[(r["measure"], r["condition"])]["left_mean"],
                                           exported[(r["measure"], r["condition"])]["right_mean"])  # fmt: skip


def test_session_page_shows_the_report(team_client: TestClient, team_db: Path) -> None:
    from balance.app.references import panel_text
    from balance.app.report import report_data

    with Store.open(team_db) as store:
        session = _latest_single_leg(store, "SAM")
        data = report_data(store.session(session.id))
    page = team_client.get(f"/sessions/{session.id}").text
    headline = re.search(r'id="session-headline"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert _text(headline) == data.headline and data.headline.startswith("RIGHT leg")
    for line in data.summary:
        assert line in html.unescape(page)
    trials = _rows(page.split('id="trials-table"')[1], "data-trial")
    assert len(trials) == len(session.trials)
    # the "Against reference" panel `balance test` prints, line by line
    with Store.open(team_db) as store:
        panel, refs = panel_text(store, store.session(session.id))
    assert refs is not None and panel.startswith("Against reference (percentile")
    shown = _text(page.split('id="references"')[1].split("</div>")[0])
    for line in panel.splitlines():
        assert " ".join(line.split()) in shown
    for url in (f"/sessions/{session.id}/stato.png", f"/sessions/{session.id}/bars.png"):
        r = team_client.get(url)
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    for fmt, magic in (("pdf", b"%PDF"), ("png", b"\x89PNG")):
        r = team_client.get(f"/sessions/{session.id}/report.{fmt}")
        assert r.status_code == 200 and r.content.startswith(magic)
        assert r.headers["content-disposition"] == f'attachment; filename="report-SAM-{session.id}.{fmt}"'
    assert team_client.get(f"/sessions/{session.id}/report.exe").status_code == 404
    assert team_client.get(f"/sessions/{session.id}/other.png").status_code == 404


def test_a_note_is_stored_with_the_session(team_client: TestClient, team_db: Path) -> None:
    with Store.open(team_db) as store:
        sid = _latest_single_leg(store, "SAM").id
    r = team_client.post(f"/sessions/{sid}/note", data={"note": "Knee sore\r\nretest next week",
                                                        "csrf_token": csrf(team_client)}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}#note-form"
    with Store.open(team_db) as store:
        assert store.session(sid, with_recordings=False).notes == "Knee sore\nretest next week"
    r = team_client.post(f"/sessions/{sid}/note", data={"note": "x" * 10_001, "csrf_token": csrf(team_client)})
    assert r.status_code == 400 and "at most 10000" in r.text
    assert team_client.post("/sessions/99999/note", data={"note": "x", "csrf_token": csrf(team_client)}).status_code == 404


# ------------------------------------------------------------------------------------------ athlete page
def test_export_zip_is_what_balance_export_writes(team_client: TestClient, team_db: Path, tmp_path: Path) -> None:
    from balance.app.cli import main

    r = team_client.get("/athletes/SAM/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == 'attachment; filename="balance-export-SAM.zip"'
    assert main(["export", "SAM", "--out", str(tmp_path / "cli"), "--db", str(team_db)]) == 0
    cli = {p.relative_to(tmp_path / "cli").as_posix(): p.read_bytes() for p in (tmp_path / "cli").rglob("*") if p.is_file()}
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        web = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist()}
    stamp = re.compile(rb"on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d:")  # the dictionary's export time
    assert set(web) == set(cli) and len(cli) > 5
    for name in cli:
        assert stamp.sub(b"", web[name]) == stamp.sub(b"", cli[name]), name


def test_athlete_page(team_client: TestClient, team_db: Path) -> None:
    page = team_client.get("/athletes/SAM").text
    with Store.open(team_db) as store:
        ids = [s.id for s in store.sessions("SAM")]
    assert set(_rows(page, "data-session")) == {str(i) for i in ids}
    for dom_id in ("athlete-name", "sessions-table", "progress-chart", "start-test", "download-export",
                   "delete-athlete", "edit-athlete-form"):  # fmt: skip
        assert f'id="{dom_id}"' in page, dom_id
    assert 'href="/test/new?athlete=SAM"' in page
    chart = team_client.get("/athletes/SAM/progress.png")
    assert chart.status_code == 200 and chart.content[:4] == b"\x89PNG"


def test_progress_chart_needs_a_single_leg_session(client: TestClient) -> None:
    client.post("/athletes", data={"code": "NEW", "csrf_token": csrf(client)})
    assert "appears after the first single-leg test" in client.get("/athletes/NEW").text
    assert client.get("/athletes/NEW/progress.png").status_code == 404


def test_edit_athlete(team_client: TestClient, team_db: Path) -> None:
    token = csrf(team_client)
    form = {"name": "Sam Renamed", "birth_year": "1999", "mass_kg": "71,5", "sex": "F", "group": "Rowing",
            "notes": "left ankle sprain 2025", "csrf_token": token}  # fmt: skip
    r = team_client.post("/athletes/SAM/edit", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/athletes/SAM"
    with Store.open(team_db) as store:
        a = store.get_athlete("SAM")
    assert (a.name, a.birth_year, a.mass_kg, a.sex, a.group, a.notes) == ("Sam Renamed", 1999, 71.5, "F", "Rowing",
                                                                          "left ankle sprain 2025")  # fmt: skip
    r = team_client.post("/athletes/SAM/edit", data={**form, "mass_kg": "heavy"})
    assert r.status_code == 400 and "Not a number" in r.text
    r = team_client.post("/athletes/SAM/edit", data={**form, "birth_year": "1850"})
    assert r.status_code == 400 and "not plausible" in r.text


def test_delete_says_how_much_goes_and_needs_the_code(team_client: TestClient, team_db: Path) -> None:
    conn = sqlite3.connect(team_db)
    n_sessions, n_trials = conn.execute(
        "SELECT count(DISTINCT s.id), count(t.id) FROM sessions s JOIN athletes a ON a.id = s.athlete_id "
        "LEFT JOIN trials t ON t.session_id = s.id WHERE a.code = 'SAM'").fetchone()  # fmt: skip
    raw = [Path(p) for (p,) in conn.execute(
        "SELECT t.raw_path FROM trials t JOIN sessions s ON s.id = t.session_id JOIN athletes a ON a.id = s.athlete_id "
        "WHERE a.code = 'SAM' AND t.raw_path IS NOT NULL")]  # fmt: skip
    conn.close()
    assert n_sessions == 2 and n_trials >= 12 and raw and all(p.is_file() for p in raw)
    page = team_client.get("/athletes/SAM/delete").text
    shown = {k: int(v) for k, v in re.findall(r'<strong id="delete-([a-z-]+)">(\d+)</strong>', page)}
    assert shown == {"sessions": n_sessions, "trials": n_trials, "raw-files": len(raw)}
    token = csrf(team_client)
    r = team_client.post("/athletes/SAM/delete", data={"confirm": "sam", "csrf_token": token})
    assert r.status_code == 400 and "Type the athlete" in r.text
    assert all(p.is_file() for p in raw)
    r = team_client.post("/athletes/SAM/delete", data={"confirm": "SAM", "csrf_token": token})
    assert r.status_code == 200 and f"{n_sessions} session(s), {n_trials} trial(s)" in r.text
    assert not any(p.exists() for p in raw)
    assert team_client.get("/athletes/SAM").status_code == 404


def test_a_guest_test_is_given_to_an_athlete(client: TestClient, db: Path) -> None:
    with Store.open(db) as store:
        store.add_athlete(code="GUEST-001")
    page = client.get("/athletes/GUEST-001").text
    assert 'id="assign-form"' in page
    r = client.post("/athletes/GUEST-001/assign", data={"target": "Jo", "csrf_token": csrf(client)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with Store.open(db) as store:
        assert store.get_athlete("Jo").code == "GUEST-001"


def test_codes_with_a_slash_have_their_own_page(client: TestClient) -> None:
    r = client.post("/athletes", data={"code": "a/b", "name": "Slash", "csrf_token": csrf(client)},
                    follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == "/athletes/a%2Fb"
    assert "Slash" in client.get("/athletes/a%2Fb").text
    assert client.get("/athletes/a%2Fb/delete").status_code == 200


# ------------------------------------------------------------------------------------------ analyse files
@pytest.fixture
def small_upload_client(db: Path) -> TestClient:
    settings = WebSettings(db_path=db, realtime=False, max_upload_bytes=4096)
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


def test_an_upload_over_the_limit_is_refused_before_it_is_read(small_upload_client: TestClient) -> None:
    c = small_upload_client
    r = c.post("/analyze", files={"files": ("big.csv", b"0" * 10_000)}, data={"csrf_token": csrf(c)})
    assert r.status_code == 413 and "larger than the limit of 4096 bytes" in r.text

    def chunks():  # no Content-Length: the limit holds while the body arrives
        yield b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.csv\"\r\n\r\n"
        for _ in range(20):
            yield b"1" * 1000

    r = c.post("/analyze", content=chunks(), headers={"content-type": "multipart/form-data; boundary=xyz",
                                                      "x-csrf-token": csrf(c)})  # fmt: skip
    assert r.status_code == 413
    r = c.post("/analyze", content=b"x", headers={"content-type": "multipart/form-data; boundary=xyz",
                                                  "content-length": "999999", "x-csrf-token": csrf(c)})  # fmt: skip
    assert r.status_code == 413


def test_uploaded_hbedb_recordings_give_the_published_values(client: TestClient, data_dir: Path) -> None:
    with open(data_dir / "hbedb" / "reference_BDSinfoCOP.csv", newline="") as fh:
        published = {row["Trial"]: row for row in csv.DictReader(fh)}
    names = ["BDS00001.txt.gz", "BDS00007.txt.gz"]
    files = [("files", (n, (data_dir / "hbedb" / n).read_bytes())) for n in names]
    r = client.post("/analyze", files=files, data={"csrf_token": csrf(client), "raw": "1"})
    assert r.status_code == 200
    assert set(_rows(r.text, "data-file")) == set(names)
    link = re.search(r'id="download-csv"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="download-csv"', r.text)
    url = next(g for g in link.groups() if g)
    rows = list(csv.DictReader(io.StringIO(client.get(url).text)))
    assert [row["file"] for row in rows] == names
    for row in rows:
        ref = published[row["file"].split(".")[0]]
        assert row["layout"] == "hbedb"
        assert float(row["mean_velocity_mm_s"]) == pytest.approx(float(ref["COPvelo"]) * 10, rel=1e-6)
        assert float(row["prediction_ellipse_area_mm2"]) == pytest.approx(float(ref["COParea"]) * 100, rel=1e-6)


def test_a_file_that_is_not_a_recording_is_explained(client: TestClient) -> None:
    r = client.post("/analyze", files={"files": ("notes.txt", b"hello\nthis is not a recording\n")},
                    data={"csrf_token": csrf(client)})  # fmt: skip
    assert r.status_code == 422
    errors = re.search(r'id="analyze-errors">(.*?)</ul>', r.text, re.S).group(1)
    assert "notes.txt" in errors and "/tmp" not in errors and "upload-" not in errors
    r = client.post("/analyze", files={"files": ("../../etc/x.csv", b"a")}, data={"csrf_token": csrf(client)})
    assert "x.csv" in r.text and "../../etc" not in r.text


def test_team_page_follows_changes_made_elsewhere(team_client: TestClient, team_db: Path) -> None:
    """A test saved by `balance test` in a terminal (another connection) shows on the next load."""
    assert "NEWBIE" not in _rows(team_client.get("/").text, "data-athlete")
    with Store.open(team_db) as store:
        store.add_athlete("Newbie", code="NEWBIE")
    assert "NEWBIE" in _rows(team_client.get("/").text, "data-athlete")
    with Store.open(team_db) as store:
        store.update_athlete("NEWBIE", name="Renamed Newbie")
    assert "Renamed Newbie" in _rows(team_client.get("/").text, "data-athlete")["NEWBIE"]
