"""One session, three views: the console summary, the report and the export say the same
left/right comparison, and all three read the comparison stored with the session."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest
from e2_factories import store_run

from balance.app import report
from balance.app.console import session_text
from balance.app.export import export_history
from balance.app.store import Store
from balance.app.summary import session_measure_rows
from drivers.sim import SimulatedBoard
from protocols.compare import RULES_VERSION
from protocols.engine import Engine
from protocols.library import get_protocol

KEY = "mean_velocity_ml_mm_s"


@pytest.fixture
def stored(tmp_path_factory):
    """A simulated single-leg session (right leg sways 1.5x more side to side), stored."""
    board = SimulatedBoard(seed=5, ml_sway_ratio_right_over_left=1.5)
    result = Engine(get_protocol("single-leg", duration_s=12.0), board, athlete="V1").run()
    db = tmp_path_factory.mktemp("views") / "h.db"
    with Store.open(db) as store:
        a = store.add_athlete(code="V1", mass_kg=70.0)
        sid = store_run(store, a, result, board={"kind": "sim", "name": "Simulated board", "serial": "S"})
    return db, sid, result


def _views(db, sid, tmp_path):
    with Store.open(db) as store:
        session = store.session(sid)
        rows = session_measure_rows(session, list(session.spec["measures"]))
        console = session_text(session, rows)
        data = report.report_data(session)
        out = tmp_path / "export"
        export_history(store, None, out, include_samples=False)
    with open(out / "sessions.csv", newline="", encoding="utf-8") as fh:
        exported = {r["measure"]: r for r in csv.DictReader(fh) if r["session_id"] == str(sid)}
    return session, console, data, exported


def _console_si(console: str, key_words: str) -> float:
    (line,) = [ln for ln in console.splitlines() if ln.startswith(key_words)]
    return float(re.search(r"([+-]\d+) %", line).group(1))


def test_console_report_and_export_agree(stored, tmp_path) -> None:
    db, sid, result = stored
    session, console, data, exported = _views(db, sid, tmp_path)
    assert session.comparison["rules_version"] == RULES_VERSION
    side = result.comparison.side(KEY)
    # the symmetry index: console table, report bars, export column
    assert _console_si(console, "Side-to-side sway speed") == round(side.symmetry_index_pct)
    assert data.si_pct[KEY] == pytest.approx(side.symmetry_index_pct, rel=1e-12)
    assert float(exported[KEY]["symmetry_index_pct"]) == pytest.approx(side.symmetry_index_pct, abs=0.06)
    # the noise and the flag
    assert data.mdc[KEY] == pytest.approx(side.mdc95, rel=1e-12)
    assert float(exported[KEY]["mdc95"]) == pytest.approx(side.mdc95, rel=1e-3)
    assert data.beyond_mdc[KEY] is side.beyond_mdc and exported[KEY]["flag"] == str(int(side.beyond_mdc))
    # one sentence, said the same way everywhere
    # the console wraps its text to the terminal (80 columns, issue 11): the same words, maybe over two lines
    assert side.sentence in " ".join(console.split())
    assert side.sentence == data.summary[0] == exported[KEY]["summary"]
    assert side.sentence.startswith("Right leg: ") and "% more side-to-side (mediolateral) sway" in side.sentence
    assert "symmetry index" not in side.sentence and "Mean resultant" not in console
    # the report's headline states the same "% more" as the sentence
    pct = re.search(r"(\d+) % more", side.sentence).group(1)
    assert data.headline.startswith(f"RIGHT leg: {pct} % more side-to-side (mediolateral) sway")


def test_every_view_reads_the_stored_comparison(stored, tmp_path) -> None:
    """A stored comparison (current rules) is what every view shows, not a recomputation."""
    db, sid, _ = stored
    with Store.open(db) as store:
        comp = store.session(sid).comparison
        (ml,) = [s for s in comp["sides"] if s["measure"] == KEY]
        ml["symmetry_index_pct"] = 77.0
        ml["sentence"] = "Right leg: stored sentence."
        store._db.execute("UPDATE sessions SET comparison_json = ? WHERE id = ?", (json.dumps(comp), sid))
    _, console, data, exported = _views(db, sid, tmp_path)
    assert _console_si(console, "Side-to-side sway speed") == 77
    assert data.si_pct[KEY] == 77.0 and float(exported[KEY]["symmetry_index_pct"]) == pytest.approx(77.0)
    assert "Right leg: stored sentence." in console and data.summary[0] == exported[KEY]["summary"] == ml["sentence"]


def test_a_comparison_of_older_rules_is_computed_again(stored, tmp_path) -> None:
    db, sid, result = stored
    with Store.open(db) as store:
        comp = store.session(sid).comparison
        comp["rules_version"] = RULES_VERSION - 1
        for s in comp["sides"]:
            s["symmetry_index_pct"] = 77.0
        store._db.execute("UPDATE sessions SET comparison_json = ? WHERE id = ?", (json.dumps(comp), sid))
    _, console, data, exported = _views(db, sid, tmp_path)
    side = result.comparison.side(KEY)
    assert math.isclose(data.si_pct[KEY], side.symmetry_index_pct, rel_tol=1e-12)
    assert _console_si(console, "Side-to-side sway speed") == round(side.symmetry_index_pct)
    assert float(exported[KEY]["symmetry_index_pct"]) == pytest.approx(side.symmetry_index_pct, abs=0.06)
