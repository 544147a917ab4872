"""`balance analyze`: published values reproduced from the shipped data, bad input, options, output."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from balance.app.cli import main
from balance.recording import Recording
from drivers.formats import write_cop_csv

REPO = Path(__file__).resolve().parents[2]


def _balance(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed command (``python -m balance.app``) in a subprocess, from outside the repo."""
    return subprocess.run(
        [sys.executable, "-m", "balance.app", *argv], capture_output=True, text=True, timeout=timeout, cwd=REPO.parent
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _sway(seed: int, *, n: int = 3000, fs_hz: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth random sway (mm) with time (s): 30 s at 100 Hz by default."""
    rng = np.random.default_rng(seed)
    k = np.ones(25) / 25
    ml = np.convolve(np.cumsum(rng.normal(0, 0.2, n + 24)), k, mode="valid")
    ap = np.convolve(np.cumsum(rng.normal(0, 0.3, n + 24)), k, mode="valid")
    t = np.round(np.arange(n) / fs_hz, 6)
    return t, ml - ml.mean(), ap - ap.mean()


def _cop_csv(path: Path, t: np.ndarray, ml: np.ndarray, ap: np.ndarray) -> Path:
    return write_cop_csv(path, Recording(time_s=t, cop_ml_mm=ml, cop_ap_mm=ap))


# ---------------------------------------------------------------------------------------- help


def test_help_in_a_subprocess() -> None:
    top = _balance("--help")
    assert top.returncode == 0, top.stderr
    assert "usage: balance" in top.stdout and "analyze" in top.stdout
    sub = _balance("analyze", "--help")
    assert sub.returncode == 0, sub.stderr
    for option in ("RECORDING", "--raw", "--preset", "--csv", "--json", "--fs-hz", "--cutoff-hz", "--order",
                   "--trim-s", "--measures", "--jobs"):  # fmt: skip
        assert option in sub.stdout, option


def test_table_columns_exist_in_the_catalogues() -> None:
    from balance.app.commands.analyze import KEY_MEASURES
    from balance.quijoux import QUIJOUX_KEYS
    from balance.sway import MEASURES

    assert set(KEY_MEASURES["standard"]) <= set(MEASURES)
    assert set(KEY_MEASURES["quijoux"]) <= set(QUIJOUX_KEYS)


def test_help_states_the_pipeline_defaults() -> None:
    """The defaults written in `balance analyze --help` are the pipeline's (no drift)."""
    import argparse

    from balance.app.commands import analyze as cmd
    from balance.pipeline import DEFAULTS

    sub = argparse.ArgumentParser().add_subparsers()
    text = " ".join(cmd.register(sub).format_help().split())
    assert f"low-pass cut-off (Hz), default {DEFAULTS['cutoff_hz']:g}" in text
    assert f"filter order, default {DEFAULTS['order']}" in text
    assert f"start, default {DEFAULTS['trim_s']:g}" in text
    assert f"resampled (SWARII) to {DEFAULTS['resample_fs_hz']:g} Hz" in text
    assert f"longer than {DEFAULTS['max_gap_s']:g} s" in text


# ---------------------------------------------------------------------------------------- published values


def test_raw_json_reproduces_the_published_hbedb_values(data_dir: Path) -> None:
    """`--raw --json` over the 24 HBEDB trials vs BDSinfoCOP.txt (cm -> mm) to 1e-6 relative."""
    with open(data_dir / "hbedb" / "reference_BDSinfoCOP.csv", newline="") as fh:
        ref = {row["Trial"]: row for row in csv.DictReader(fh)}
    files = sorted((data_dir / "hbedb").glob("BDS*.txt.gz"))
    assert len(files) == 24 and len(ref) == 24
    proc = _balance("analyze", "--raw", "--json", "--jobs", "2", *map(str, files))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == [] and len(doc["results"]) == 24
    for r in doc["results"]:
        trial = Path(r["file"]).name.split(".")[0]
        m, published = r["measures"], ref[trial]
        assert r["layout"] == "hbedb" and r["n_samples"] == 6000
        assert m["mean_velocity_mm_s"] == pytest.approx(float(published["COPvelo"]) * 10, rel=1e-6), trial
        assert m["prediction_ellipse_area_mm2"] == pytest.approx(float(published["COParea"]) * 100, rel=1e-6), trial
        assert m["mean_power_frequency_hz"] == pytest.approx(float(published["COPmfreq"]), rel=1e-6), trial
        assert r["params"]["raw"] is True


def test_raw_reproduces_the_published_pds_values_in_process(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PDS net CoP (m -> mm, X = AP, Z = ML): COPvelo, COParea, COPmfreq of PDSinfoCOP.txt."""
    with open(data_dir / "pds" / "reference_PDSinfoCOP.csv", newline="") as fh:
        ref = {row["trial"]: row for row in csv.DictReader(fh)}
    files = [str(data_dir / "pds" / f"{t}grf.txt.gz") for t in sorted(ref)]
    code, out, err = _run(capsys, "analyze", "--raw", "--json", *files)
    assert code == 0, err
    for r in json.loads(out)["results"]:
        published = ref[Path(r["file"]).name[:8]]
        m = r["measures"]
        assert m["mean_velocity_mm_s"] == pytest.approx(float(published["COPvelo_cm_s"]) * 10, rel=1e-6)
        assert m["prediction_ellipse_area_mm2"] == pytest.approx(float(published["COParea_cm2"]) * 100, rel=1e-6)
        assert m["mean_power_frequency_hz"] == pytest.approx(float(published["COPmfreq_hz"]), rel=1e-6)


def test_quijoux_preset_reproduces_the_reference_json_through_the_cli(data_dir: Path, tmp_path: Path) -> None:
    """Motive CSV -> the authors' main.py steps -> CoP CSV -> `balance analyze --preset quijoux --json`.

    main.py (docs/methods.md §2.1): ML = 100·My/Fz, AP = 100·Mx/Fz, the mean over the whole recording
    removed, rows 4000:7000 kept, then their default preprocessing at 100 Hz with time from 0. The 72
    features must equal the authors' HEAD values (reference JSON) to 1e-6 relative.
    """
    from drivers.formats import read_any

    rec = read_any(data_dir / "quijoux" / "test.csv.gz")
    ml, ap = rec.cop_ml_mm - rec.cop_ml_mm.mean(), rec.cop_ap_mm - rec.cop_ap_mm.mean()
    sel = (rec.meta["frame"] >= 4000) & (rec.meta["frame"] < 7000)
    f = _cop_csv(tmp_path / "authors_slice.csv", np.arange(3000) / 100.0, ml[sel], ap[sel])
    proc = _balance("analyze", "--preset", "quijoux", "--json", str(f))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)["results"][0]["measures"]
    ref = json.loads((data_dir / "quijoux" / "reference_features_HEAD_c66a0e4_numpy2.4.json").read_text())
    assert set(got) == set(ref) and len(ref) == 72
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-12), key


# ---------------------------------------------------------------------------------------- bad input


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a regex the error message must match)."""
    t, ml, ap = _sway(11)
    out: dict[str, tuple[Path, str]] = {}

    empty = folder / "empty.csv"
    empty.write_bytes(b"")
    out["empty"] = (empty, r"empty")

    header_only = folder / "header_only.csv"
    header_only.write_text("time_s,cop_ml_mm,cop_ap_mm\n")
    out["header_only"] = (header_only, r"empty|no samples|too short|at least 2 s")

    out["short"] = (_cop_csv(folder / "short.csv", t[:150], ml[:150], ap[:150]), r"1\.49 s|too short|at least 2 s")

    ml_nan = ml.copy()
    ml_nan[1000:1600] = np.nan  # a 6 s hole
    out["nan_run"] = (_cop_csv(folder / "nan_run.csv", t, ml_nan, ap), r"NaN|gap|missing")

    t_back = t.copy()
    t_back[[500, 501]] = t_back[[501, 500]]
    out["backwards"] = (_cop_csv(folder / "backwards.csv", t_back, ml, ap), r"backwards|increasing|sort")

    t_dup = t.copy()
    t_dup[700] = t_dup[699]
    out["duplicate"] = (_cop_csv(folder / "duplicate.csv", t_dup, ml, ap), r"duplicate")

    out["constant"] = (
        _cop_csv(folder / "constant.csv", t, np.full_like(ml, 3.0), np.full_like(ap, -2.0)),
        r"constant|does not move|no sway",
    )
    out["metres"] = (_cop_csv(folder / "metres.csv", t, ml / 1000.0, ap / 1000.0), r"metre|\bm\b|units")

    unknown = folder / "unknown.txt"
    unknown.write_text("Subject;Trial;Value\n1;2;3\n")
    out["unknown_layout"] = (unknown, r"unknown file layout; its first line is 'Subject;Trial;Value'")

    out["missing"] = (folder / "does_not_exist.csv", r"no such file")
    return out


def test_each_bad_input_gets_a_clear_error_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, (path, pattern) in _bad_files(tmp_path).items():
        code, out, err = _run(capsys, "analyze", str(path))
        assert code == 1, (name, err)
        lines = [ln for ln in err.splitlines() if ln.startswith("balance analyze: error:")]
        assert len(lines) == 1, (name, err)
        assert str(path) in lines[0], (name, lines[0])
        assert __import__("re").search(pattern, lines[0]), (name, lines[0])
        # A fix is suggested after the problem (":" or ";" then advice).
        assert len(lines[0]) > len(str(path)) + 40, (name, lines[0])
        assert "Traceback" not in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_good_files_still_analysed_next_to_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path, jobs: str
) -> None:
    bad = _bad_files(tmp_path)
    t, ml, ap = _sway(5)
    good = [_cop_csv(tmp_path / "good_a.csv", t, ml, ap), data_dir / "hbedb" / "BDS00001.txt.gz"]
    argv = [str(good[0]), *(str(p) for p, _ in bad.values()), str(good[1])]  # 12 files: the pool runs with -j 2
    code, out, err = _run(capsys, "analyze", "--json", "--jobs", jobs, *argv)
    assert code == 1
    doc = json.loads(out)
    assert [r["file"] for r in doc["results"]] == [str(good[0]), str(good[1])]
    assert sorted(e["file"] for e in doc["errors"]) == sorted(str(p) for p, _ in bad.values())
    for p, _ in bad.values():
        assert f"balance analyze: error: {p}" in err
    assert f"{len(bad)} of {len(argv)} files failed" in err
    # The table output too: one row per good file, none for the bad ones.
    code, out, err = _run(capsys, "analyze", "--jobs", jobs, *argv)
    assert code == 1
    rows = out.splitlines()
    assert rows[0].split()[0] == "file" and len(rows) == 3
    assert rows[1].startswith("good_a.csv") and rows[2].startswith("BDS00001.txt.gz")


# ---------------------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["--csv", "--json", "x.csv"], "not allowed with"),
        (["--raw", "--cutoff-hz", "5", "x.csv"], "--raw analyses the CoP exactly as given"),
        (["--raw", "--gap-policy", "longest", "x.csv"], "--raw analyses the CoP exactly as given"),
        (["--preset", "quijoux", "--order", "2", "x.csv"], "--preset quijoux uses the authors' own preprocessing"),
        (["--preset", "quijoux", "--measures", "rms_ml_mm", "x.csv"], "unknown measure 'rms_ml_mm'.*rms_ML"),
        (["--measures", "mean_velocity_mm_z", "x.csv"], "unknown measure 'mean_velocity_mm_z'.*mean_velocity_mm_s"),
        (["--jobs", "0", "x.csv"], "must be 1 or more"),
        (["--cutoff-hz", "-3", "x.csv"], "must be a positive number"),
        (["--preset", "fancy", "x.csv"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], pattern: str) -> None:
    code, out, err = _run(capsys, "analyze", *argv)
    assert code == 2
    assert __import__("re").search(pattern, err), err


def test_usage_error_exit_code_in_a_subprocess() -> None:
    proc = _balance("analyze", "--raw", "--trim-s", "2", "x.csv")
    assert proc.returncode == 2 and "--trim-s" in proc.stderr


# ---------------------------------------------------------------------------------------- outputs and options


def test_csv_has_every_measure_and_the_parameters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from balance import sway

    files = [str(data_dir / "hbedb" / f"BDS0000{i}.txt.gz") for i in (1, 2)]
    code, out, err = _run(capsys, "analyze", "--csv", *files)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["file"] for r in rows] == files
    for key in sway.MEASURES:
        assert key in rows[0], key
    assert any(c.startswith("param_") for c in rows[0])
    assert float(rows[0]["duration_s"]) == pytest.approx(59.99)
    assert math.isfinite(float(rows[0]["mean_velocity_mm_s"]))


def test_measures_option_selects_columns(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = str(data_dir / "hbedb" / "BDS00001.txt.gz")
    code, out, err = _run(capsys, "analyze", "--raw", "--json", "--measures", "rms_ml_mm,mean_velocity_mm_s", f)
    assert code == 0, err
    doc = json.loads(out)
    m = doc["results"][0]["measures"]
    assert list(m) == ["rms_ml_mm", "mean_velocity_mm_s"]
    assert doc["units"] == {"rms_ml_mm": "mm", "mean_velocity_mm_s": "mm/s"}
    # The table shows exactly those columns.
    code, out, _ = _run(capsys, "analyze", "--raw", "--measures", "rms_ml_mm,mean_velocity_mm_s", f)
    assert out.splitlines()[0].split() == ["file", "duration_s", "rms_ml_mm", "mean_velocity_mm_s"]
    assert float(out.splitlines()[1].split()[2]) == pytest.approx(m["rms_ml_mm"], rel=1e-3)
    # A group name expands to its measures, in the table too.
    from balance.sway import MEASURES

    spectral = [k for k, info in MEASURES.items() if info.group == "spectral"]
    code, out, _ = _run(capsys, "analyze", "--raw", "--measures", "spectral", f)
    assert code == 0 and out.splitlines()[0].split() == ["file", "duration_s", *spectral]


def test_preprocessing_options_reach_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t, ml, ap = _sway(2)
    f = str(_cop_csv(tmp_path / "trial.csv", t, ml, ap))
    code, out, err = _run(capsys, "analyze", "--json", "--cutoff-hz", "2", "--order", "2", "--trim-s", "5", f)
    assert code == 0, err
    a = json.loads(out)["results"][0]
    params = a["params"]
    assert params["cutoff_hz"] == 2.0 and params["order"] == 2 and params["trim_s"] == 5.0, params
    assert params["raw"] is False and params["preset"] == "standard"
    # 30 s recorded, 5 s trimmed: 25 s (2500 samples at 100 Hz) analysed.
    assert params["samples"] == 2500 and params["duration_s"] == pytest.approx(25.0, abs=0.011)
    code, out, err = _run(capsys, "analyze", "--json", "--fs-hz", "50", f)
    assert json.loads(out)["results"][0]["params"]["fs_hz"] == 50.0
    code, out, err = _run(capsys, "analyze", "--json", "--cutoff-hz", "8", f)
    b = json.loads(out)["results"][0]
    # A lower cut-off removes more of the fast sway: lower mean velocity.
    assert a["measures"]["mean_velocity_mm_s"] < b["measures"]["mean_velocity_mm_s"]
    code, out, err = _run(capsys, "analyze", "--json", "--raw", f)
    raw = json.loads(out)["results"][0]["measures"]
    path = np.sum(np.hypot(np.diff(ml), np.diff(ap)))
    assert raw["mean_velocity_mm_s"] == pytest.approx(path / (len(t) / 100.0), rel=1e-9)


def test_quijoux_preset_keys_and_units(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from balance.quijoux import QUIJOUX_KEYS

    f = str(data_dir / "hbedb" / "BDS00001.txt.gz")
    code, out, err = _run(capsys, "analyze", "--json", "--preset", "quijoux", f)
    assert code == 0, err
    doc = json.loads(out)
    m = doc["results"][0]["measures"]
    assert set(m) == set(QUIJOUX_KEYS) and len(m) == 72
    assert doc["units"]["mean_velocity_ML_AND_AP"] == "cm/s" and doc["units"]["rms_AP"] == "cm"
    code, out2, err = _run(capsys, "analyze", "--json", "--raw", "--measures", "mean_velocity_mm_s", f)
    v_mm_s = json.loads(out2)["results"][0]["measures"]["mean_velocity_mm_s"]
    # cm/s after the authors' preprocessing: the same order as the raw mm/s / 10 (8 % lower, docs/methods.md §0).
    assert 0.8 * v_mm_s / 10 < m["mean_velocity_ML_AND_AP"] < 1.0 * v_mm_s / 10


def test_wildcards_left_by_the_shell_are_expanded(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pattern = str(data_dir / "pds" / "PDS13*grf.txt.gz")
    code, out, err = _run(capsys, "analyze", "--raw", "--csv", pattern, str(data_dir / "pds" / "nothing*.gz"))
    assert code == 1
    files = [r["file"] for r in csv.DictReader(io.StringIO(out))]
    assert files == sorted(str(p) for p in (data_dir / "pds").glob("PDS13*grf.txt.gz")) and len(files) == 2
    assert "nothing*.gz: no such file" in err


def test_gap_policy_and_unit_check_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t, ml, ap = _sway(12)
    ml_nan = ml.copy()
    ml_nan[1000:1600] = np.nan  # a 6 s hole: 10-16 s; the longest stretch left is 16-30 s
    f = str(_cop_csv(tmp_path / "hole.csv", t, ml_nan, ap))
    code, out, err = _run(capsys, "analyze", "--json", "--gap-policy", "longest", f)
    assert code == 0, err
    r = json.loads(out)["results"][0]
    assert len(r["gaps"]) == 1 and r["gaps"][0][0] == pytest.approx(9.99) and r["gaps"][0][1] == pytest.approx(16.0)
    tiny = str(_cop_csv(tmp_path / "tiny.csv", t, ml / 1000, ap / 1000))
    code, out, err = _run(capsys, "analyze", "--json", "--raw", "--no-check-units", tiny)
    assert code == 0, err
    v = json.loads(out)["results"][0]["measures"]["mean_velocity_mm_s"]
    path = np.sum(np.hypot(np.diff(ml), np.diff(ap))) / 1000
    assert v == pytest.approx(path / 30.0, rel=1e-9)


def test_corner_csv_and_recording_file_analysed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from drivers.formats import write_corners_csv

    rng = np.random.default_rng(4)
    n = 1500
    t = np.cumsum(rng.uniform(0.005, 0.035, n))  # irregular, ~30 s
    t, ml, ap = t, *(_sway(8, n=n)[1:])
    # Corner loads giving that CoP for 70 kg on the Wii board: solve the CoP formula for the corners.
    w, l_ = 433.0, 238.0
    x, y, tot = ml / (w / 2), ap / (l_ / 2), 70.0
    corners = np.column_stack([(1 - x + y) / 4, (1 + x + y) / 4, (1 - x - y) / 4, (1 + x - y) / 4]) * tot
    rec = Recording.from_corners(t, corners)
    np.testing.assert_allclose(rec.cop_ml_mm, ml, atol=1e-9)
    f = write_corners_csv(tmp_path / "corners.csv", rec)
    code, out, err = _run(capsys, "analyze", "--json", str(f))
    assert code == 0, err
    r = json.loads(out)["results"][0]
    assert r["layout"] == "corners_csv" and r["fs_hz"] is None
    assert r["measures"]["rms_ml_mm"] > 0
    # The same samples in our own recording file (drivers.recording_file) give the same measures.
    from drivers.base import Sample
    from drivers.recording_file import RecordingWriter

    rf = tmp_path / "session.csv"
    with RecordingWriter(rf, header={"board": {"kind": "sim"}}) as w:
        for ti, c in zip(t, corners):
            w.write(Sample(float(ti), *map(float, c)))
    code, out, err = _run(capsys, "analyze", "--json", str(rf), str(f))
    assert code == 0, err
    a, b = json.loads(out)["results"]
    assert a["layout"] == "balance-recording"
    # The recording file stores kg with 4 decimals and times with 6: close, not identical.
    for key in ("rms_ml_mm", "rms_ap_mm", "mean_velocity_mm_s"):
        assert a["measures"][key] == pytest.approx(b["measures"][key], rel=2e-3), key


def test_progress_on_stderr_for_long_batches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t, ml, ap = _sway(9, n=300)
    f = _cop_csv(tmp_path / "t.csv", t, ml, ap)
    files = [str(f)] * 60
    code, out, err = _run(capsys, "analyze", "--raw", "--csv", "--jobs", "2", *files)
    assert code == 0, err
    assert "analysed 60/60 files (0 failed)" in err
    assert len(out.splitlines()) == 61
    code, out, err = _run(capsys, "analyze", "--raw", "--csv", "--quiet", "--jobs", "2", *files)
    assert "analysed" not in err


def test_an_unexpected_error_is_reported_as_a_bug_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import balance.pipeline

    real = balance.pipeline.analyze
    t, ml, ap = _sway(3)
    good = _cop_csv(tmp_path / "good.csv", t, ml, ap)
    boom = _cop_csv(tmp_path / "boom.csv", t, ml + 1, ap)

    def fake(rec, **kw):  # type: ignore[no-untyped-def]
        if rec.meta["source"].endswith("boom.csv"):
            raise ZeroDivisionError("simulated")
        return real(rec, **kw)

    monkeypatch.setattr(balance.pipeline, "analyze", fake)
    monkeypatch.delenv("BALANCE_DEBUG", raising=False)
    code, out, err = _run(capsys, "analyze", "--json", "--jobs", "1", str(boom), str(good))
    assert code == 1
    assert f"{boom}: unexpected ZeroDivisionError: simulated (this is a bug in balance" in err
    assert [r["file"] for r in json.loads(out)["results"]] == [str(good)]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the patch reaches workers only with the fork start method")
def test_a_dead_worker_fails_its_files_not_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-batch (out of memory, say): its files are reported, no traceback, no hang."""
    import balance.pipeline

    real = balance.pipeline.analyze
    t, ml, ap = _sway(3, n=500)
    files = [str(_cop_csv(tmp_path / f"f{i}.csv", t, ml, ap)) for i in range(10)]

    def fake(rec, **kw):  # type: ignore[no-untyped-def]
        if rec.meta["source"].endswith("f7.csv"):
            os._exit(3)  # the forked worker inherits this patch
        return real(rec, **kw)

    monkeypatch.setattr(balance.pipeline, "analyze", fake)
    code, out, err = _run(capsys, "analyze", "--json", "--jobs", "2", "--quiet", *files)
    assert code == 1
    doc = json.loads(out)
    failed = {e["file"] for e in doc["errors"]}
    assert files[7] in failed
    assert len(failed) + len(doc["results"]) == 10
    assert "the worker process failed" in err and "--jobs 1" in err and "Traceback" not in err


def test_help_is_fast_enough_to_not_import_the_numeric_stack() -> None:
    """`balance --help` must not import numpy/scipy/pandas/matplotlib (lazy imports in run())."""
    code = (
        "import sys; from balance.app.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('numpy','scipy','pandas','matplotlib') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"imported at --help time: {proc.stdout.strip()}"
