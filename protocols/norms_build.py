"""Rebuild the bipedal reference table ``data/norms/hbedb_bipedal.csv`` from the HBEDB source columns.

Source: the Human Balance Evaluation Database (Santos & Duarte 2016, PeerJ 4:e2648, CC BY 4.0),
``BDSinfoCOP.txt`` (BMClab/datasets @ 0c7573b, ``BDS/BDSinfoCOP.txt``): one row per 60 s trial of
quiet bipedal standing on a force plate (1,930 trials, 163 people), with the authors' published
``COPvelo`` (cm/s), ``COParea`` (cm²) and ``COPmfreq`` (Hz) computed on the raw 100 Hz CoP. The
project ships the columns this script needs, unchanged, as ``data/norms/hbedb_BDSinfoCOP_columns.tsv.gz``
(see ``data/norms/PROVENANCE.md``).

How the table is made (every choice is here, nothing else):

1. Each person's value per condition is the **median of their trials** in that condition (three
   trials; one person has one trial in one condition), as the dataset's authors summarise it.
2. Units follow the project's measure keys: ``COPvelo`` × 10 → ``mean_velocity_mm_s``,
   ``COParea`` × 100 → ``prediction_ellipse_area_mm2``, ``COPmfreq`` → ``mean_power_frequency_hz``
   (same definitions; ``tests/balance/test_hbedb.py`` reproduces the published values from the raw CoP).
3. Groups: condition (eyes open/closed × firm/foam) × age band (:data:`AGE_BANDS`, age in years at
   the test, as the ``Age`` column) × sex (``F``, ``M``, ``all``).
4. Percentiles :data:`PERCENTILES` of the per-person values with NumPy's default (linear, Hyndman &
   Fan type 7); written only when the group has at least :data:`MIN_N` people (otherwise the row
   keeps its n and empty percentiles, so a lookup can say why there is no reference).
5. Numbers written with ``format(v, ".6g")``; rows in a fixed order; ``\\n`` line ends.

Run ``python -m protocols.norms_build`` from the repository root to rewrite the table;
``--check`` compares instead of writing (exit 1 on a difference); ``--extract-from BDSinfoCOP.txt``
first rewrites the shipped source columns from the full upstream file.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "AGE_BANDS",
    "HBEDB_ID",
    "MEASURE_MAP",
    "MIN_N",
    "PERCENTILES",
    "SOURCE_COLUMNS",
    "build_table",
    "extract_columns",
    "main",
]

#: Reference id written in every row (and in exports beside each percentile).
HBEDB_ID = "hbedb2016"
#: Columns of ``BDSinfoCOP.txt`` the table needs, in the shipped order.
SOURCE_COLUMNS = ("Trial", "Subject", "Vision", "Surface", "Age", "Gender", "COPvelo", "COParea", "COPmfreq")
#: HBEDB column -> (project measure key, unit, factor from the HBEDB unit to the project's).
MEASURE_MAP: dict[str, tuple[str, str, float]] = {
    "COPvelo": ("mean_velocity_mm_s", "mm/s", 10.0),  # cm/s -> mm/s
    "COParea": ("prediction_ellipse_area_mm2", "mm2", 100.0),  # cm² -> mm²
    "COPmfreq": ("mean_power_frequency_hz", "Hz", 1.0),
}
#: Age bands (years, [min, max)): HBEDB has 18.3-85.8 y, with a gap (7 people) at 40-59.
AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("18-39", 18.0, 40.0),
    ("40-59", 40.0, 60.0),
    ("60-69", 60.0, 70.0),
    ("70-85", 70.0, 86.0),
)
#: Percentiles written per group.
PERCENTILES: tuple[int, ...] = (5, 10, 25, 50, 75, 90, 95)
#: Fewest people for percentiles to be written.
MIN_N = 10

_VISION = {"Open": "open", "Closed": "closed"}
_SURFACE = {"Firm": "firm", "Foam": "foam"}
_HEADER = ["reference_id", "stance", "eyes", "surface", "age_band", "age_min", "age_max", "sex", "measure", "unit",
           "n"] + [f"p{p}" for p in PERCENTILES]  # fmt: skip

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "norms" / "hbedb_BDSinfoCOP_columns.tsv.gz"
TABLE = ROOT / "data" / "norms" / "hbedb_bipedal.csv"


def _num(v: float) -> str:
    return format(float(v), ".6g")


def build_table(source_tsv: str) -> str:
    """The reference table (CSV text) from the shipped source columns (TSV text).

    Parameters
    ----------
    source_tsv : str
        Tab-separated text with at least the :data:`SOURCE_COLUMNS` (header row first).

    Returns
    -------
    str
        CSV text, header :data:`_HEADER`, ``\\n`` line ends.
    """
    rows = list(csv.DictReader(io.StringIO(source_tsv), delimiter="\t"))
    missing = [c for c in SOURCE_COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"HBEDB source: no rows or missing columns {missing}; expected {SOURCE_COLUMNS}")
    # person -> (age, sex); (person, eyes, surface, column) -> trial values (HBEDB units)
    person: dict[str, tuple[float, str]] = {}
    trials: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    for r in rows:
        person[r["Subject"]] = (float(r["Age"]), r["Gender"])
        for col in MEASURE_MAP:
            trials[(r["Subject"], _VISION[r["Vision"]], _SURFACE[r["Surface"]], col)].append(float(r[col]))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_HEADER)
    for eyes in ("open", "closed"):
        for surface in ("firm", "foam"):
            for band, lo, hi in AGE_BANDS:
                for sex in ("F", "M", "all"):
                    for col, (key, unit, factor) in MEASURE_MAP.items():
                        vals = [
                            float(np.median(trials[(s, eyes, surface, col)])) * factor
                            for s, (age, sx) in sorted(person.items(), key=lambda kv: int(kv[0]))
                            if lo <= age < hi and (sex == "all" or sx == sex) and (s, eyes, surface, col) in trials
                        ]
                        n = len(vals)
                        pct = (
                            [_num(v) for v in np.percentile(np.asarray(vals), PERCENTILES)]
                            if n >= MIN_N
                            else [""] * len(PERCENTILES)
                        )
                        w.writerow([HBEDB_ID, "bipedal", eyes, surface, band, _num(lo), _num(hi), sex, key, unit, n]
                                   + pct)  # fmt: skip
    return out.getvalue()


def extract_columns(full_tsv: str) -> str:
    """The :data:`SOURCE_COLUMNS` of the full upstream ``BDSinfoCOP.txt`` (values copied as text)."""
    rows = list(csv.DictReader(io.StringIO(full_tsv), delimiter="\t"))
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(SOURCE_COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in SOURCE_COLUMNS])
    return out.getvalue()


def read_source(path: Path = SOURCE) -> str:
    """Text of the shipped source columns (gzip)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return f.read()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: rebuild (default), ``--check``, or ``--extract-from FILE`` then rebuild."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--extract-from" in args:
        full = Path(args[args.index("--extract-from") + 1]).read_text(encoding="utf-8")
        data = extract_columns(full).encode("utf-8")
        with open(SOURCE, "wb") as raw:
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
                gz.write(data)  # mtime 0 and no file name: the .gz is reproducible too
    table = build_table(read_source())
    if "--check" in args:
        same = TABLE.read_text(encoding="utf-8") == table
        print(f"{TABLE.name}: {'identical' if same else 'DIFFERS from the rebuild'}")
        return 0 if same else 1
    TABLE.write_text(table, encoding="utf-8", newline="")
    print(f"wrote {TABLE} ({table.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
