"""What the session page and the athlete's sessions table show of a stored session: the report's content
(:func:`balance.app.report.report_data`), the left/right table with the export's numbers to the digit, the
trials with their status, and the report's own drawings cut out of its page as images."""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from balance.app.localtime import local_minute
from balance.app.web.team_view import headline_of

if TYPE_CHECKING:  # pragma: no cover - typing only
    from balance.app.store import Session

__all__ = [
    "SessionLine",
    "LeftRightRow",
    "TrialLine",
    "session_line",
    "left_right_rows",
    "trial_lines",
    "table_measures",
    "report_images",
    "FIGURES",
]

#: The images of the session page: name -> axes labels of the report page they show.
FIGURES: dict[str, tuple[str, ...]] = {
    "stato": ("stato-left", "stato-right", "time-left", "time-right"),
    "bars": ("bars-",),
}
#: Resolution of the page's images (dots per inch of the A4 report page).
IMAGE_DPI = 120


@dataclass(frozen=True)
class SessionLine:
    """One row of the athlete's sessions table."""

    id: int
    when: str
    protocol: str
    status: str
    n_trials: int
    n_valid: int
    result: str
    beyond_noise: bool | None
    notes: str


@dataclass(frozen=True)
class LeftRightRow:
    """One measure of the left/right table, numbers as the export's sessions.csv writes them."""

    measure: str
    name: str
    unit: str
    condition: str
    left: str
    right: str
    both: str
    n_left: int
    n_right: int
    si_pct: str
    mdc95: str
    beyond: bool | None
    sentence: str


@dataclass(frozen=True)
class TrialLine:
    """One trial of the session page's trials table."""

    id: int
    side: str
    condition: str
    number: int
    attempt: int
    practice: bool
    valid: bool
    status: str
    failure: str
    duration_s: str
    headline_value: str


def session_line(session: Session) -> SessionLine:
    """The sessions-table row of ``session``: the console's left/right headline sentence (single-leg), else
    the first line of the stored comparison's summary."""
    head = headline_of(session) if any(t.side in ("left", "right") for t in session.trials) else None
    if head is not None:
        result, beyond = head.sentence, head.beyond_mdc
    else:
        summary = (session.comparison or {}).get("summary") or []
        result, beyond = (str(summary[0]) if summary else ""), None
    return SessionLine(
        id=session.id,
        when=local_minute(session.started_at),
        protocol=session.protocol.replace("_", "-"),
        status=session.status,
        n_trials=len(session.trials),
        n_valid=sum(1 for t in session.trials if t.valid and not t.practice),
        result=result,
        beyond_noise=beyond,
        notes=session.notes,
    )


def table_measures(session: Session) -> list[str]:
    """Measures of the left/right table: the console's table (:data:`balance.catalogue.LEFT_RIGHT_TABLE`),
    then the report's other bars, those the session recorded."""
    from balance.catalogue import LEFT_RIGHT_TABLE, REPORT_BARS

    recorded = {k for t in session.trials for k in t.measures}
    return [k for k in dict.fromkeys((*LEFT_RIGHT_TABLE, *REPORT_BARS)) if k in recorded]


def left_right_rows(session: Session) -> list[LeftRightRow]:
    """The left/right table: :func:`balance.app.summary.session_measure_rows` (the rows of sessions.csv),
    each number formatted as sessions.csv writes it (:func:`balance.app.export.export_number`)."""
    from balance import catalogue
    from balance.app.export import export_number, measure_info
    from balance.app.summary import session_measure_rows

    out = []
    for r in session_measure_rows(session, table_measures(session)):
        unit = measure_info(r["measure"])["unit"]
        flag = r.get("flag")
        out.append(LeftRightRow(
            measure=r["measure"], name=catalogue.name(r["measure"]), unit=unit, condition=r["condition"],
            left=export_number(r.get("left_mean"), unit), right=export_number(r.get("right_mean"), unit),
            both=export_number(r.get("both_mean"), unit), n_left=r["n_left"], n_right=r["n_right"],
            si_pct=export_number(r.get("symmetry_index_pct"), "%"), mdc95=export_number(r.get("mdc95"), unit),
            beyond=None if flag is None else bool(flag), sentence=str(r.get("summary") or ""),
        ))  # fmt: skip
    return out


def trial_lines(session: Session) -> list[TrialLine]:
    """Every trial of the session in recording order, with its status and why it failed."""
    from balance.app.export import export_number, measure_info
    from balance.app.report import _FAILURE_WORDS
    from balance.catalogue import LEFT_RIGHT_TABLE

    key = LEFT_RIGHT_TABLE[0]
    unit = measure_info(key)["unit"]
    out = []
    for t in session.trials:
        failure = ""
        if not t.valid:
            what = _FAILURE_WORDS.get(str(t.failure_kind), str(t.failure_kind or t.status or "").replace("_", " "))
            failure = what + (f" after {t.failure_time_s:.1f} s" if t.failure_time_s is not None else "")
        out.append(TrialLine(
            id=t.id, side=str(t.side), condition=t.condition.replace("_", " "), number=t.trial_index,
            attempt=t.attempt, practice=t.practice, valid=t.valid,
            status=str(t.status or ("complete" if t.valid else "failed")), failure=failure,
            duration_s=export_number(t.duration_s, "s"), headline_value=export_number(t.measures.get(key), unit),
        ))  # fmt: skip
    return out


class _ImageCache:
    """The last few sessions' page images (PNG bytes), so the two images of a page draw the report once."""

    def __init__(self, size: int = 8) -> None:
        self._items: OrderedDict[tuple[Any, ...], dict[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[Any, ...]) -> dict[str, bytes] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple[Any, ...], value: dict[str, bytes]) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_CACHE = _ImageCache()


def report_images(session: Session) -> dict[str, bytes]:
    """The report page's statokinesigrams (with CoP over time) and left-right bars (with the MDC band), each
    cut out of :func:`balance.app.report.session_report_figure` as a PNG: the very drawings of the PDF.

    Returns
    -------
    dict of str to bytes
        :data:`FIGURES` name -> PNG.
    """
    key = (session.id, session.started_at, session.finished_at, session.status, len(session.trials))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    from balance.app.report import session_report_figure

    fig = session_report_figure(session)
    for ax in fig.axes:  # the page's header and words are the web page's text, not the images'
        if ax.get_label() in ("header", "text"):
            ax.set_visible(False)
    for t in fig.texts:
        t.set_visible(False)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    out: dict[str, bytes] = {}
    for name, labels in FIGURES.items():
        axes = [ax for ax in fig.axes if any(ax.get_label().startswith(lab) for lab in labels) and ax.get_visible()]
        boxes = [ax.get_tightbbox(renderer) for ax in axes]
        boxes = [b for b in boxes if b is not None and math.isfinite(b.width) and b.width > 0]
        if not boxes:
            continue
        box = Bbox.union(boxes).transformed(fig.dpi_scale_trans.inverted()).padded(0.08)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=IMAGE_DPI, bbox_inches=box)
        out[name] = buf.getvalue()
    _CACHE.put(key, out)
    return out
