"""The autouse fixture of tests/drivers/conftest.py really fails a test that leaves a board open."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_leaving_a_board_open_fails_the_test(tmp_path: Path) -> None:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(
        "from drivers.sim import SimulatedBoard\n"
        "def test_leaks():\n"
        "    SimulatedBoard(seed=1).open().read()\n"
        "def test_closes():\n"
        "    with SimulatedBoard(seed=1) as b:\n"
        "        b.read()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(HERE.parent.parent))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert out.returncode == 1, out.stdout
    assert "ERROR test_leaky.py::test_leaks" in out.stdout and "left 1 board(s) open" in out.stdout
    assert "2 passed, 1 error" in out.stdout  # test_closes passes; test_leaks errors at teardown
