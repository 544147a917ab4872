"""`balance analyze --segment`, `balance import --segment`, the several-stances warning and the side check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_app_commands import run_cli

from balance.app.store import Store
from drivers.formats import write_corners_csv
from tests.protocols.test_segment import sim_session


@pytest.fixture
def session_csv(tmp_path: Path) -> tuple[Path, list[tuple[str, float, float]]]:
    rec, truth = sim_session("polled", 5)
    return write_corners_csv(tmp_path / "session.csv", rec), truth


def test_analyze_warns_without_segment_and_gives_one_row_per_stance_with_it(
    session_csv: tuple[Path, list], capsys: pytest.CaptureFixture[str]
) -> None:
    path, truth = session_csv
    code, out, err = run_cli(capsys, "analyze", str(path))
    assert code == 0 and "several stances" in err and "--segment" in err
    code, out, err = run_cli(capsys, "analyze", "--segment", "--json", str(path))
    assert code == 0, err
    rows = json.loads(out)["results"]
    assert [r["stance"]["side"] for r in rows] == [t[0] for t in truth]
    for r, (_, a, e) in zip(rows, truth):
        assert r["stance"]["start_s"] == pytest.approx(a, abs=0.2) and r["stance"]["end_s"] == pytest.approx(e, abs=0.2)
        lo, hi = r["params"]["analysis_window_s"]
        assert lo == pytest.approx(r["stance"]["start_s"] + 2.0) and hi == pytest.approx(r["stance"]["end_s"] - 0.5)
        assert r["measures"]["mean_velocity_mm_s"] > 0
    code, out, _ = run_cli(capsys, "analyze", "--segment", str(path))
    head = out.splitlines()[0].split()
    assert head[:5] == ["file", "side", "start_s", "end_s", "status"] and len(out.splitlines()) == 1 + len(truth)
    code, out, _ = run_cli(capsys, "analyze", "--segment", "--csv", str(path))
    assert out.splitlines()[0].startswith("file,side,start_s,end_s,status,reason,")


def test_import_refuses_the_other_side_and_segments(
    session_csv: tuple[Path, list], db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, truth = session_csv
    run_cli(capsys, "athlete", "add", "Sam", "--db", str(db))
    rec, _ = sim_session("polled", 5)
    _, a, e = truth[1]  # a right-leg stance alone
    right = write_corners_csv(tmp_path / "right.csv", rec.slice_time(a + 0.5, e - 0.5))
    code, _, err = run_cli(capsys, "import", str(right), "--athlete", "Sam", "--side", "left", "--db", str(db))
    assert code == 1 and "right foot" in err and "--force" in err
    with Store.open(db) as s:
        assert s.sessions("Sam") == []
    code, _, err = run_cli(capsys, "import", str(right), "--athlete", "Sam", "--side", "left", "--force", "--db", str(db))
    assert code == 0, err
    code, _, err = run_cli(capsys, "import", str(path), "--athlete", "Sam", "--db", str(db))
    assert code == 0 and "several stances" in err and "--segment" in err
    code, out, err = run_cli(capsys, "import", str(path), "--athlete", "Sam", "--segment", "--db", str(db), "--json")
    assert code == 0, err
    with Store.open(db) as s:
        sess = s.session(json.loads(out)["session_id"])
        assert [t.side for t in sess.trials] == [t[0] for t in truth]
        assert [t.failure_kind for t in sess.trials] == [None, "hop", None, "touch_down", None, None]
    code, _, err = run_cli(capsys, "import", str(path), "--athlete", "Sam", "--segment", "--side", "left",
                           "--db", str(db))  # fmt: skip
    assert code == 1 and "--side cannot apply" in err
