"""``balance report`` and ``balance progress`` on a history database built from the simulated board."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from e2_factories import store_run
from PIL import Image

from balance.app.cli import main
from balance.app.store import Store
from drivers.sim import SimulatedBoard
from protocols.engine import Engine
from protocols.library import get_protocol


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("hist") / "h.db"
    spec = get_protocol("single-leg", duration_s=10.0)
    with Store.open(path) as store:
        a = store.add_athlete("Sam", code="S01", mass_kg=70.0)
        t0 = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
        for week, ratio in enumerate((1.6, 1.3)):
            s = Engine(spec, SimulatedBoard(seed=20 + week, ml_sway_ratio_right_over_left=ratio), athlete="S01").run()
            store_run(store, a, s, started_at=t0 + timedelta(weeks=week))
    return path


def _pages(raw: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", raw))


def test_report_latest_session_of_an_athlete_as_pdf(db, tmp_path, capsys) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", "Sam", "--db", str(db), "--out", str(out)]) == 0
    assert _pages(out.read_bytes()) == 1
    assert "session 2" in capsys.readouterr().out


def test_report_by_session_id_as_png_with_json(db, tmp_path, capsys) -> None:
    out = tmp_path / "r.png"
    assert main(["report", "1", "--db", str(db), "--out", str(out), "--dpi", "60", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["session_id"] == 1 and info["athlete"] == "S01"
    with Image.open(out) as im:
        assert im.size[1] / im.size[0] == pytest.approx(297 / 210, rel=0.01)


def test_progress_pdf_and_one_measure_png(db, tmp_path, capsys) -> None:
    out = tmp_path / "p.pdf"
    assert main(["progress", "S01", "--db", str(db), "--out", str(out)]) == 0
    assert _pages(out.read_bytes()) == 1
    assert "2 session(s)" in capsys.readouterr().out
    png = tmp_path / "p.png"
    assert main(["progress", "Sam", "--db", str(db), "--out", str(png), "--measure", "mean_velocity_ml_mm_s",
                 "--dpi", "60", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["measures"] == ["mean_velocity_ml_mm_s"] and info["sessions"] == 2
    assert png.stat().st_size > 10_000


def test_errors_name_the_problem(db, tmp_path, capsys) -> None:
    assert main(["report", "42", "--db", str(db), "--out", str(tmp_path / "x.pdf")]) == 1
    assert "no session 42" in capsys.readouterr().err
    assert main(["report", "Nobody", "--db", str(db), "--out", str(tmp_path / "x.pdf")]) == 1
    assert "Nobody" in capsys.readouterr().err
    assert main(["report", "Sam", "--db", str(db), "--out", str(tmp_path / "x.jpg")]) == 2
    assert ".pdf or .png" in capsys.readouterr().err
    assert main(["progress", "Sam", "--db", str(db), "--measure", "nonsense", "--out", str(tmp_path / "y.pdf")]) == 1
    assert "nonsense" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


@pytest.mark.parametrize("command", ["report", "progress"])
def test_help_in_a_subprocess(command) -> None:
    r = subprocess.run([sys.executable, "-m", "balance.app", command, "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0
    assert "--out" in r.stdout and "examples:" in r.stdout
