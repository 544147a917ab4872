"""`balance --help` stays fast: the CLI module and every command's --help load no heavy library, and
`analyze` workers run one BLAS thread each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Libraries that must load only when a command runs (the web app's included, for when it lands).
HEAVY = ("numpy", "scipy", "pandas", "matplotlib", "starlette", "uvicorn", "jinja2", "fastapi", "threadpoolctl")


@pytest.mark.parametrize("argv", [["--help"], ["analyze", "--help"], ["import", "--help"], ["test", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from balance.app import cli\n"
        "try:\n"
        f"    cli.main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    assert "usage: balance" in proc.stdout
    loaded = proc.stdout.strip().splitlines()[-1]
    assert loaded == "LOADED=", f"imported at --help time: {loaded}"


def test_workers_and_serial_batches_run_one_blas_thread() -> None:
    code = (
        "import os\n"
        "import numpy\n"
        "from balance.app import batch as A\n"
        "before = A._blas_threads()\n"
        "with A._make_pool(2) as ex:\n"
        "    workers = [f.result() for f in [ex.submit(A._blas_threads) for _ in range(4)]]\n"
        "with A._one_thread_per_process():\n"
        "    inside = A._blas_threads()\n"
        "print(before, max(workers), inside, A._blas_threads(), os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["OPENBLAS_NUM_THREADS"] = "2"  # as on a 2-core machine, whatever this one has
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    before, workers, inside, after, var = proc.stdout.split()
    assert before == "2" and after == "2" and var == "2"  # the caller's setting, restored after the batch
    assert workers == "1" and inside == "1"
