"""Files the app builds for download with the command line's own writers: the physio export (zip), the
session report (PDF/PNG) and the progress chart (PNG). Each is written into a private temporary folder
(never a path taken from a request), read back and removed."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.store import Athlete, Session, Store

__all__ = ["export_zip", "report_file", "progress_png", "download_name", "PROGRESS_DPI", "REPORT_PNG_DPI"]

#: Resolution of the progress chart shown on the athlete page (dots per inch; A4 width = 8.27 in).
PROGRESS_DPI = 110
#: Resolution of the report PNG download (the `balance report` default).
REPORT_PNG_DPI = 150


def download_name(stem: str, suffix: str) -> str:
    """A file name safe in a ``Content-Disposition`` header: letters, digits, ``._-`` only."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "balance"
    return f"{safe[:80]}{suffix}"


def export_zip(store: Store, athlete: Athlete) -> bytes:
    """The physio export of one athlete (:func:`balance.app.export.export_history`, as ``balance export CODE
    --out DIR`` writes it), zipped under one folder ``balance-export-<code>/``.

    Returns
    -------
    bytes
        The zip file (deflated).
    """
    from balance.app.export import export_history

    folder = download_name(f"balance-export-{athlete.code}", "")
    with tempfile.TemporaryDirectory(prefix="balance-web-") as tmp:
        out = Path(tmp) / folder
        export_history(store, [athlete], out)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(p for p in out.rglob("*") if p.is_file()):
                zf.write(f, arcname=f"{folder}/{f.relative_to(out).as_posix()}")
        return buf.getvalue()


def report_file(store: Store, session: Session, fmt: str) -> bytes:
    """The one-page report of ``session`` as ``balance report SESSION --out FILE.<fmt>`` writes it.

    Parameters
    ----------
    store : Store
        For the references panel (the squad's norms and published tables).
    session : Session
        With its trials and recordings (``store.session(id)``).
    fmt : {"pdf", "png"}
    """
    from balance.app.references import session_references
    from balance.app.report import write_session_report
    from balance.app.squad import SquadFilter

    if fmt not in ("pdf", "png"):
        raise ValueError(f"report format {fmt!r}: pdf or png")
    refs = session_references(store, session, squad=SquadFilter())
    with tempfile.TemporaryDirectory(prefix="balance-web-") as tmp:
        path = write_session_report(session, Path(tmp) / f"report.{fmt}", dpi=REPORT_PNG_DPI, references=refs)
        return path.read_bytes()


def progress_png(store: Store, athlete: Athlete, *, dpi: int = PROGRESS_DPI) -> bytes | None:
    """The progress chart of ``athlete`` (``balance progress ATHLETE --out FILE.png``: the same measures,
    reference bands and words), or None when there is no single-leg session with valid trials yet."""
    from balance.app.commands.progress import progress_inputs
    from balance.app.progress_chart import write_progress
    from balance.app.squad import SquadFilter
    from balance.app.store import StoreError

    try:
        history, measures, bands = progress_inputs(store, athlete, squad=SquadFilter())
    except StoreError:
        return None
    measures = [m for m in measures if history.get(m)]
    if not measures:
        return None
    with tempfile.TemporaryDirectory(prefix="balance-web-") as tmp:
        path = write_progress({m: history[m] for m in measures}, Path(tmp) / "progress.png", measures=measures,
                              athlete=athlete.code, protocol="single-leg", dpi=dpi, reference_bands=bands)  # fmt: skip
        return path.read_bytes()
