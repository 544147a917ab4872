"""``balance demo`` end to end in a subprocess on a temporary data folder, checking its outputs."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from balance.app.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, BALANCE_HOME=str(home), MPLBACKEND="Agg")
    env.pop("BALANCE_DB", None)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "balance.app", "demo"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)  # fmt: skip
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    print(f"balance demo took {elapsed:.1f} s")  # its speed is measured by bench/bench_store.py
    demo = home / "demo"
    # it says where its outputs are, and they are there
    for name in ("demo.db", "export", "report.pdf", "progress.pdf"):
        assert str(demo / name) in r.stdout, name
        assert (demo / name).exists(), name
    assert "Right leg" in r.stdout and "not a diagnosis" in r.stdout
    assert "of this squad (n = 12)" in r.stdout and "Nolff et al. 2023" in r.stdout
    assert (demo / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert stat.S_IMODE((demo / "demo.db").stat().st_mode) == 0o600
    with Store.open(demo / "demo.db") as s:
        assert s.integrity_check() == "ok"
        athlete = s.get_athlete("DEMO")
        squad = [a for a in s.list_athletes() if a.code != "DEMO"]
        assert len(squad) >= 10 and {a.group for a in squad} == {athlete.group} == {"demo squad"}
        sessions = s.sessions(athlete)
        assert len(sessions) == 3 and all(x.status == "complete" and x.source == "demo" for x in sessions)
        dates = [x.started_at[:10] for x in sessions]
        assert dates == sorted(dates) and len(set(dates)) == 3  # weekly, back-dated
        n_trials = sum(len(x.trials) for x in sessions)
    with open(demo / "export" / "trials.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n_trials >= 18 and {r["athlete_code"] for r in rows} == {"DEMO"}
    assert len(list((demo / "export" / "samples").glob("trial_*.csv"))) == n_trials
    assert (demo / "export" / "DATA_DICTIONARY.md").stat().st_size > 1000
    # the user's own history is not touched
    assert not (home / "balance.db").exists()
    # a second run starts afresh, no questions asked; --json for scripts
    r2 = subprocess.run([sys.executable, "-m", "balance.app", "demo", "--weeks", "1", "--no-report", "--json"],
                        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert r2.returncode == 0, r2.stderr
    res = json.loads(r2.stdout)
    assert len(res["sessions"]) == 1
    row = next(x for x in res["comparison"] if x["measure"] == "mean_velocity_ml_mm_s")
    assert row["more_sway_side"] == "right" and row["flag"] is True  # the simulated 1.4x right-leg difference
    with Store.open(demo / "demo.db") as s:
        assert len(s.sessions("DEMO")) == 1  # afresh: one session of the demo athlete, plus the squad's
        assert len(s.sessions()) == 1 + len(s.list_athletes()) - 1
