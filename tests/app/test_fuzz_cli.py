"""Seeded fuzzing of the ``balance`` CLI with corrupt and hostile files and databases (issue 8).

Every generated input goes through :func:`balance.app.cli.main` in this process and must end with
exit code 0, 1 or 2 (as documented in ``balance.app.cli``), never an exception (a traceback), never
the "this is a bug" message; and nothing already stored may be lost. Bounded: a fixed number of
cases from fixed seeds (a few seconds).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from test_app_commands import run_cli

from balance.app.store import Store
from balance.recording import Recording
from drivers.formats import format_cop_csv, format_corners_csv, format_hbedb

ROOT = Path(__file__).resolve().parents[2]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code, out, err = run_cli(capsys, *argv)  # an exception escaping main() fails the test here
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "this is a bug" not in err, (argv, err)
    return code, out, err


def _seed_texts() -> list[bytes]:
    rng = np.random.default_rng(0)
    t = np.arange(1500) / 50.0
    ml, ap = np.cumsum(rng.normal(size=t.size)) * 0.3, np.cumsum(rng.normal(size=t.size)) * 0.3
    cop = Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap)
    corners = Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap, corners_kg=17.5 + rng.normal(size=(t.size, 4)))
    return [format_cop_csv(cop).encode(), format_corners_csv(corners).encode(), format_hbedb(cop).encode()]


_HOSTILE = [b"1e308", b"-1e308", b"nan", b"inf", b"1e30", b"", b"\xff\xfe", b"0x10", b"\x1b[2J", b"-", b"9" * 400]


def _mutate(data: bytes, r: random.Random) -> bytes:
    kind = r.randrange(9)
    n = len(data)
    if kind == 0:  # cut anywhere (mid-number included)
        return data[: r.randrange(n)]
    if kind == 1:  # flip bytes
        b = bytearray(data)
        for _ in range(r.randint(1, 20)):
            b[r.randrange(n)] = r.randrange(256)
        return bytes(b)
    if kind == 2:  # replace a number with a hostile token
        tokens = data.split(b",") if b"," in data[:200] else data.split(b"\t")
        sep = b"," if b"," in data[:200] else b"\t"
        for _ in range(r.randint(1, 5)):
            tokens[r.randrange(1, len(tokens))] = r.choice(_HOSTILE)
        return sep.join(tokens)
    if kind == 3:  # gzip, then corrupt or cut the stream
        z = bytearray(gzip.compress(data))
        if r.random() < 0.5:
            return bytes(z[: r.randrange(10, len(z))])
        for _ in range(8):
            z[r.randrange(10, len(z))] = r.randrange(256)
        return bytes(z)
    if kind == 4:  # lines duplicated, dropped, shuffled
        lines = data.splitlines(keepends=True)
        head, body = lines[:2], lines[2:]
        r.shuffle(body) if r.random() < 0.3 else body.insert(r.randrange(len(body)), body[r.randrange(len(body))])
        return b"".join(head + body)
    if kind == 5:  # a balance recording header nested deep or holding absurd values
        from drivers.recording_file import MAGIC

        header = r.choice([b"[" * 50_000 + b"]" * 50_000, b'{"started_wall_utc": 1e308}', b'{"fs_hz": -1}', b"null"])
        return MAGIC.encode() + b" 1 " + header + b"\n" + data
    if kind == 6:  # binary noise
        return bytes(r.randrange(256) for _ in range(r.randint(0, 3000)))
    if kind == 7:  # CR/LF mixups and NULs
        return data.replace(b"\n", r.choice([b"\r", b"\r\r\n", b"\n\x00"]))
    return data[: n // 2] + data  # a header in the middle


def test_fuzz_files_through_analyze_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("BALANCE_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "h.db")
    _cli(capsys, "athlete", "add", "Sam", "--db", db)
    seeds = _seed_texts()
    r = random.Random(8)
    imported = 0
    for k in range(45):
        f = tmp_path / f"case{k:02d}.txt"
        f.write_bytes(_mutate(r.choice(seeds), r))
        args = r.choice([(), ("--raw",), ("--preset", "quijoux"), ("--json",), ("--csv",)])
        code, out, err = _cli(capsys, "analyze", *args, str(f))
        if code == 0 and "--json" in args:
            (res,) = json.loads(out)["results"]
            assert isinstance(res["complete"], bool)
        code, _, err = _cli(capsys, "import", str(f), "--athlete", "Sam", "--db", db)
        imported += code == 0
        with Store.open(db) as s:
            sessions = s.sessions("Sam")
            assert len(sessions) == imported, err  # a failed import leaves no session
            assert all(x.status == "complete" and len(x.trials) == 1 for x in sessions)
            raw = [p for p in s.raw_dir.rglob("*") if p.is_file() and ".open-sessions" not in p.parts]
            assert len(raw) == imported  # ... and no raw copy
    assert 0 < imported < 45  # both paths were exercised


def _healthy_db(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, "athlete", "add", "Sam", "--db", str(path))
    _cli(capsys, "import", str(ROOT / "data/hbedb/BDS00001.txt.gz"), "--athlete", "Sam", "--db", str(path))


def _corrupt_db(src: bytes, r: random.Random) -> bytes:
    b = bytearray(src)
    kind = r.randrange(5)
    page = int.from_bytes(b[16:18], "big") or 65536
    if kind == 0:  # cut
        return bytes(b[: r.randrange(len(b))])
    if kind == 1:  # flip bytes beyond the header
        for _ in range(r.randint(1, 50)):
            b[r.randrange(100, len(b))] = r.randrange(256)
    elif kind == 2:  # first page intact, the rest garbage
        b[page:] = bytes(r.randrange(256) for _ in range(len(b) - page))
    elif kind == 3:  # schema version from the future
        b[60:64] = (99).to_bytes(4, "big")
    else:  # header garbage
        b[:16] = bytes(r.randrange(256) for _ in range(16))
    return bytes(b)


def test_fuzz_databases_through_every_reading_and_writing_command(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    good = tmp_path / "good.db"
    _healthy_db(good, capsys)
    src = good.read_bytes()
    r = random.Random(14)
    commands = [
        ("athlete", "list"), ("athlete", "show", "Sam"), ("athlete", "add", "Kim"), ("history", "Sam"),
        ("report", "Sam", "--out", "R.png"), ("export", "--all", "--out", "OUT"),
        ("import", str(ROOT / "data/hbedb/BDS00002.txt.gz"), "--athlete", "Sam"),
    ]  # fmt: skip
    for k in range(12):
        bad = tmp_path / f"bad{k}.db"
        blob = _corrupt_db(src, r)
        argv = [a.replace("R.png", str(tmp_path / f"r{k}.png")).replace("OUT", str(tmp_path / f"out{k}"))
                for a in r.choice(commands)]  # fmt: skip
        bad.write_bytes(blob)
        code, _, err = _cli(capsys, *argv, "--db", str(bad))
        if code != 0:
            assert str(bad) in err or "no athlete" in err, err  # the message names the file
            assert bad.read_bytes() == blob  # a refused database is not written
            assert not Path(f"{bad}-wal").exists() and not Path(f"{bad}-shm").exists()
    with Store.open(good) as s:  # the healthy one is intact
        assert len(s.sessions("Sam")) == 1 and s.integrity_check() == "ok"
    conn = sqlite3.connect(good)
    conn.close()
    assert os.path.getsize(good) > 0
