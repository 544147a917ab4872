"""The board commands: `balance boards`, `record`, `weigh`, `calibrate` (helper D's CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from balance.app.cli import main
from balance.app.commands import boards as boards_cmd
from balance.app.profiles import apply_stored_profile, load_profile
from drivers.recording_file import read_recording, read_recording_file
from drivers.sim import SimulatedBoard

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("BALANCE_HOME", str(home))
    return home


@pytest.mark.parametrize("cmd", ["boards", "record", "weigh", "calibrate"])
def test_help(cmd: str) -> None:
    out = subprocess.run([sys.executable, "-m", "balance.app", cmd, "--help"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and "examples:" in out.stdout


class TestBoards:
    def test_nothing_attached_says_what_to_do(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setattr(boards_cmd, "scan", lambda: ([], ["wii (hidapi): no hidapi library"]))
        monkeypatch.setattr(sys, "platform", "linux")
        assert main(["boards"]) == 0
        out = capsys.readouterr().out
        assert "sim" in out and "always available" in out
        for needle in ("SYNC", "udev", "hid-wiimote", "--board evdev", "--board sim"):
            assert needle in out

    def test_json_and_a_found_board(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        found = [{"board": "wii", "name": "Nintendo RVL-WBC-01", "address": "00:19:1d:aa:bb:cc", "note": ""}]
        monkeypatch.setattr(boards_cmd, "scan", lambda: (found, []))
        assert main(["boards", "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert d["hardware_found"] is True and d["help"] is None
        assert [b["board"] for b in d["boards"]] == ["wii", "sim"]

    def test_kernel_driver_holding_the_board_is_reported(self, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
        import drivers.wii

        monkeypatch.setattr(sys, "platform", "linux")
        monkeypatch.setattr(drivers.wii, "discover", lambda: [])
        monkeypatch.setattr(drivers.wii, "kernel_bound_devices", lambda: ["0005:057E:0306.000A"])
        assert main(["boards"]) == 0
        out = capsys.readouterr().out
        assert "hid-wiimote driver holds 0005:057E:0306.000A" in out and "use --board evdev" in out

    def test_real_scan_runs_without_hardware(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["boards", "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert d["boards"][-1]["board"] == "sim"


class TestRecord:
    def test_sim(self, tmp_path: Path) -> None:
        out = tmp_path / "t.csv"
        assert main(["record", "--board", "sim", "--stance", "left", "--seconds", "5", "--out", str(out), "--quiet"]) == 0
        rec = read_recording(out)
        assert rec.meta["complete"] is True and rec.meta["header"]["stance"] == "left"
        assert rec.meta["header"]["board"]["kind"] == "sim"
        assert 4.9 <= rec.duration_s < 5.0 and 480 <= len(rec) <= 510
        assert np.nanmean(rec.cop_ml_mm) < -70  # standing on the left foot

    def test_refuses_existing_file(self, tmp_path: Path) -> None:
        out = tmp_path / "t.csv"
        out.write_text("keep me")
        assert main(["record", "--board", "sim", "--seconds", "1", "--out", str(out), "--quiet"]) == 2
        assert out.read_text() == "keep me"

    def test_disconnect_marks_incomplete_and_reconnects(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "t.csv"
        rc = main(["record", "--board", "sim", "--seconds", "10", "--out", str(out), "--sim-disconnect-at-s", "3", "--json"])
        assert rc == 1
        cap = capsys.readouterr()
        assert "INCOMPLETE" in cap.err and "reconnected" in cap.err
        assert json.loads(cap.out)["complete"] is False
        f = read_recording_file(out)
        assert not f.complete and "disconnected" in (f.footer or {}).get("reason", "")
        assert 290 <= len(f.time_s) <= 300  # everything up to the drop

    def test_full_disk(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        import errno

        from drivers import recording_file as rf

        real = rf.RecordingWriter._write_now
        calls = {"n": 0}

        def failing(self: rf.RecordingWriter, text: str) -> None:
            calls["n"] += 1
            if calls["n"] > 3:  # the header and two flushes fit, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            real(self, text)

        monkeypatch.setattr(rf.RecordingWriter, "_write_now", failing)
        monkeypatch.setattr(rf.time, "monotonic", lambda c=iter(range(10**9)): next(c) * 0.02)  # a flush every 50 writes
        out = tmp_path / "t.csv"
        assert main(["record", "--board", "sim", "--seconds", "10", "--out", str(out), "--quiet"]) == 1
        assert "No space left" in capsys.readouterr().err
        f = read_recording_file(out)
        assert not f.complete and f.footer is None and len(f.time_s) > 0  # what was flushed is readable

    def test_replay_and_file(self, tmp_path: Path, data_dir: Path) -> None:
        src = tmp_path / "src.csv"
        assert main(["record", "--board", "sim", "--seconds", "2", "--out", str(src), "--quiet"]) == 0
        copy = tmp_path / "copy.csv"
        assert main(["record", "--board", "replay", "--input", str(src), "--speed", "0", "--out", str(copy), "--quiet"]) == 0
        a, b = read_recording(src), read_recording(copy)
        np.testing.assert_allclose(b.corners_kg, a.corners_kg)  # type: ignore[arg-type]
        bds = tmp_path / "bds.csv"
        assert main(["record", "--board", "file", "--input", str(data_dir / "hbedb" / "BDS00001.txt.gz"),
                     "--seconds", "5", "--out", str(bds), "--quiet"]) == 0  # fmt: skip
        assert read_recording(bds).meta["header"]["board"]["kind"] == "file"

    def test_replay_needs_input(self, tmp_path: Path) -> None:
        assert main(["record", "--board", "replay", "--out", str(tmp_path / "x.csv")]) == 2


class TestWeigh:
    def test_sim_weight(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["weigh", "--board", "sim", "--mass-kg", "82.5", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["weight_kg"] == pytest.approx(82.5, abs=0.05)

    def test_never_settles(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["weigh", "--board", "sim", "--tolerance-kg", "0.00001", "--timeout-s", "3"]) == 1
        assert "did not settle" in capsys.readouterr().err


class TestCalibrate:
    GAINS = (1.03, 0.98, 1.01, 0.97)

    def test_sim_end_to_end(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        pdir = tmp_path / "profiles"
        rc = main(["calibrate", "--board", "sim", "--masses-kg", "10,20", "--yes", "--measure-s", "1",
                   "--sim-sensor-gains", ",".join(map(str, self.GAINS)), "--profile-dir", str(pdir), "--json"])  # fmt: skip
        assert rc == 0
        d = json.loads(capsys.readouterr().out)
        assert d["after"]["cop_rmse_mm"] < 0.5 < 2.0 < d["before"]["cop_rmse_mm"]
        assert d["after"]["total_rmse_kg"] < 0.02 < 0.1 < d["before"]["total_rmse_kg"]
        np.testing.assert_allclose(d["profile"]["gains"], 1 / np.array(self.GAINS), rtol=3e-3)
        # stored under the board's address and applied automatically to that board
        with SimulatedBoard(sensor_gains=self.GAINS, stance="both", mass_kg=70.0) as b:
            assert Path(d["stored"]).parent == pdir and load_profile(b.info.serial, pdir) is not None
            raw = b.read_arrays(1.0).corners_kg.sum(axis=1).mean()
            assert apply_stored_profile(b, pdir) is not None
            fixed = b.read_arrays(1.0).corners_kg.sum(axis=1).mean()
        assert abs(fixed - 70.0) < 0.05 < abs(raw - 70.0)
        # an exact simulated board (another serial) is not touched
        with SimulatedBoard() as exact:
            assert apply_stored_profile(exact, pdir) is None

    def test_text_report(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["calibrate", "--board", "sim", "--masses-kg", "15", "--yes", "--measure-s", "0.5",
                     "--dry-run"]) == 0  # fmt: skip
        out = capsys.readouterr().out
        assert "CoP RMS (mm)" in out and "dry run" in out

    def test_needs_a_terminal_or_yes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
        assert main(["calibrate", "--board", "sim", "--masses-kg", "10"]) == 2

    @pytest.mark.parametrize("masses", ["ten", "-5", ""])
    def test_bad_masses(self, masses: str) -> None:
        assert main(["calibrate", "--board", "sim", "--masses-kg", masses, "--yes"]) == 2


def test_balance_test_board_gets_its_stored_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `balance test` applies the stored known-mass profile of the board it opens, like `balance record`.
    from balance.app.commands.test import open_test_board
    from balance.app.profiles import save_profile
    from drivers.calibration import CalibrationProfile

    monkeypatch.setenv("BALANCE_HOME", str(tmp_path))
    save_profile(CalibrationProfile(serial="sim-0007", gains=(1.1, 0.9, 1.0, 1.05)))
    board = open_test_board("sim", mass_kg=70.0, realtime=False, seed=7, ratio=1.0)
    try:
        assert board.calibration_profile is not None
        assert board.calibration_profile.gains == pytest.approx((1.1, 0.9, 1.0, 1.05))
    finally:
        board.close()
    other = open_test_board("sim", mass_kg=70.0, realtime=False, seed=8, ratio=1.0)
    try:
        assert other.calibration_profile is None
    finally:
        other.close()
