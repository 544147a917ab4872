"""Readers (and writers) that turn a recording file into a :class:`balance.recording.Recording`.

Layouts accepted, recognised from the file's *content* (its header line), never from its name;
gzip-compressed files are recognised by their magic bytes and read transparently:

``hbedb``
    Human Balance Evaluation Database ``BDS*.txt`` (Santos & Duarte 2016): tab-separated, CRLF,
    header ``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm]``. ``COPx = -My/Fz``
    is anteroposterior and ``COPy = Mx/Fz`` mediolateral, in cm (``docs/data-formats.md``,
    "Formats").
``pds``
    Posture Data Set ``PDS*grf.txt`` (dos Santos et al. 2017): one force plate under each foot;
    tab-separated, forces in N with Y vertical, CoP in **m** with X = AP and Z = ML
    (``docs/data-formats.md``). The net CoP is the recording's CoP; each plate's load and
    CoP are kept in ``meta``.
``quijoux``
    OptiTrack Motive force-plate export used by Quijoux et al. 2021: metadata lines, then the
    header ``MocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, My, Mz, Cx, Cy, Cz``. CoP by the
    authors' conversion ``ML = 100·My/Fz``, ``AP = 100·Mx/Fz`` cm (``docs/data-formats.md``;
    ``docs/methods.md`` §2.1), i.e. ``1000·My/Fz`` and ``1000·Mx/Fz`` mm; all-zero (dropped)
    frames are removed.
``cop_csv``
    Plain CoP CSV: columns ``time_s, cop_ml_mm, cop_ap_mm`` (optionally ``total_kg``), in any
    order, separated by commas, tabs or semicolons, ``#`` comment lines allowed above the header.
``corners_csv``
    Four-corner CSV: columns ``time_s, tl_kg, tr_kg, bl_kg, br_kg`` (same rules); timestamps may
    be irregular. CoP from :func:`balance.cop.cop_from_corners` (Wii Balance Board geometry,
    ``docs/wii-balance-board.md`` §5).
``balance-recording``
    Our own recording file (:mod:`drivers.recording_file`), delegated to that module.

Each layout is one module of :mod:`drivers.formats.layouts` (its detector, parser and writer),
found by :mod:`drivers.formats.registry`; reading is :mod:`drivers.formats.reading` and what the
layouts share :mod:`drivers.formats.common`. This package is the facade.

Pure parsing functions (:func:`parse`, :func:`parse_hbedb`, ...) take text; :func:`read_any` is
the thin wrapper that opens a file. Writers exist for the layouts we produce ourselves
(:func:`format_cop_csv`, :func:`format_corners_csv`, :func:`format_hbedb` and their ``write_*``
file wrappers).

Every reader fills ``Recording.meta`` with ``source`` (path or name), ``layout`` and ``units``.

Speed: numeric rows are parsed by pandas' C parser (imported on first use), about 3x faster than
:func:`numpy.loadtxt` on an HBEDB trial (``bench/bench_read.py``); it gives the same float64 values
(correctly rounded: pandas 3's default converter, pandas 2's ``round_trip`` one). Whenever the fast parser fails or leaves an empty field, the rows are parsed
again by :func:`numpy.loadtxt`, so the accepted input and the error messages are those of NumPy's
parser.

Bounded resources: every file is read within the caps of a :class:`ReadLimits` (defaults in
:data:`DEFAULT_LIMITS`): decompressed size, number of rows and duration. Each is checked before the
memory it guards is allocated (the size from the file system or while a gzip stream is inflated,
the rows by counting line ends before parsing, the duration before anything is resampled), and a
file over a cap raises :class:`LimitError` naming the cap and how to raise it. The resampled grid
has its own cap in the numeric core (``max_samples`` of :func:`balance.pipeline.analyze`).
"""

from __future__ import annotations

from drivers.formats.common import (
    DEFAULT_LIMITS,
    STANDARD_GRAVITY_M_S2,
    FormatError,
    LimitError,
    ReadLimits,
    nominal_rate_hz,
)
from drivers.formats.common import Layout as Layout
from drivers.formats.common import _fast_table as _fast_table
from drivers.formats.layouts.cop_csv import format_cop_csv, parse_cop_csv, write_cop_csv
from drivers.formats.layouts.corners_csv import format_corners_csv, parse_corners_csv, write_corners_csv
from drivers.formats.layouts.hbedb import format_hbedb, parse_hbedb, write_hbedb
from drivers.formats.layouts.pds import _PDS_COLUMNS as _PDS_COLUMNS
from drivers.formats.layouts.pds import parse_pds
from drivers.formats.layouts.quijoux import parse_quijoux
from drivers.formats.reading import parse, read_any, read_text
from drivers.formats.registry import LAYOUTS, detect_layout

__all__ = [
    "FormatError",
    "LimitError",
    "ReadLimits",
    "DEFAULT_LIMITS",
    "LAYOUTS",
    "STANDARD_GRAVITY_M_S2",
    "detect_layout",
    "parse",
    "parse_hbedb",
    "parse_pds",
    "parse_quijoux",
    "parse_cop_csv",
    "parse_corners_csv",
    "read_any",
    "read_text",
    "format_cop_csv",
    "format_corners_csv",
    "format_hbedb",
    "write_cop_csv",
    "write_corners_csv",
    "write_hbedb",
    "nominal_rate_hz",
]
