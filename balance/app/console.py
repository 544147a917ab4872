"""The console face of a test: instructions, countdown, live timer, touch-down notices, the result table.

:class:`ConsoleUI` is a protocol-engine listener (``on_event``): it prints each
:class:`~protocols.events.Instruction`, the countdown and beeps, a live timer (redrawn in place
on a terminal, every 10 s otherwise), failures as they are detected and a one-line summary of
each trial. :func:`comparison_table` lays out the left-vs-right comparison of a stored session
in plain words.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from balance import catalogue
from balance.model import SessionRecord, Side
from protocols import events as ev

if TYPE_CHECKING:  # pragma: no cover - typing only
    from drivers.base import Sample
    from protocols.spec import PlannedTrial, ProtocolSpec

__all__ = ["ConsoleUI", "comparison_table", "fit_lines", "session_text", "KEY_MEASURES", "MEASURE_WORDS"]

#: Measures shown in the console's left-vs-right table, in order (:data:`balance.catalogue.LEFT_RIGHT_TABLE`).
KEY_MEASURES: tuple[str, ...] = catalogue.LEFT_RIGHT_TABLE

#: Plain words for the key measures (the catalogue's names, as in every table).
MEASURE_WORDS: dict[str, str] = {
    k: catalogue.name(k)
    for k in (*KEY_MEASURES, "rms_ap_mm", "hold_time_s", "weight_left_pct", "weight_right_pct")
}

_SIDE = {s.value: s.words for s in Side}


class ConsoleUI:
    """Prints what the engine says, for the person on the board and the coach.

    Parameters
    ----------
    stream : file, optional
        Where to print (default ``sys.stdout``).
    live_timer : bool, optional
        Redraw the timer in place (default: when ``stream`` is a terminal).
    quiet : bool, optional
        Only trial summaries and failures (used by ``balance demo``).
    spec : protocols.spec.ProtocolSpec, optional
        The protocol being run: with it each trial says "trial 3 of 6" and the time left in the session.
    """

    def __init__(self, stream: TextIO | None = None, *, live_timer: bool | None = None, quiet: bool = False,
                 spec: ProtocolSpec | None = None) -> None:  # fmt: skip
        self.stream = stream if stream is not None else sys.stdout
        self.live_timer = bool(self.stream.isatty()) if live_timer is None else live_timer
        self.quiet = quiet
        self._lock = threading.Lock()
        self._timer_shown = False
        self._last_print_s = -math.inf
        self.trials_seen = 0
        self._plan: list[PlannedTrial] = list(spec.plan()) if spec is not None else []
        self._spec = spec
        #: Planned trials started so far (retries not counted).
        self.trials_started = 0
        self._rest_end_s: float | None = None
        self._rest_shown: int | None = None
        self._rest_next = ""

    def _print(self, text: str) -> None:
        with self._lock:
            if self._timer_shown:
                self.stream.write("\n")
                self._timer_shown = False
            self.stream.write(text + "\n")
            self.stream.flush()

    def on_event(self, event: ev.Event) -> None:
        """Print what ``event`` says (dispatched by its type; other events are not shown)."""
        if isinstance(event, ev.Instruction):
            self._on_instruction(event)
        elif isinstance(event, ev.Countdown):
            self._on_countdown(event)
        elif isinstance(event, ev.Beep):
            self._on_beep(event)
        elif isinstance(event, ev.TrialStarted):
            self._on_trial_started(event)
        elif isinstance(event, ev.Elapsed):
            self._on_elapsed(event)
        elif isinstance(event, ev.FailureDetected):
            self._on_failure(event)
        elif isinstance(event, ev.RestStarted):
            self._on_rest(event)
        elif isinstance(event, ev.TrialEnded):
            self._on_trial_ended(event)

    def _on_instruction(self, e: ev.Instruction) -> None:
        if not self.quiet:
            self._print(f">> {e.text}")

    def _on_countdown(self, e: ev.Countdown) -> None:
        if not self.quiet:
            self._print(f"   {e.seconds_left}...")

    def _on_beep(self, e: ev.Beep) -> None:
        if not self.quiet:
            self._print("   BEEP" + (" - go!" if e.kind == "start" else " - stop"))
            if self.stream.isatty():
                self.stream.write("\a")

    def _on_trial_started(self, e: ev.TrialStarted) -> None:
        self._last_print_s = -math.inf
        self._rest_end_s = None
        if e.attempt == 1:
            self.trials_started += 1
        if not self.quiet:
            cond = f", {e.condition.replace('_', ' ')}" if e.condition else ""
            extra = " (practice)" if e.practice else (f" (retry {e.attempt - 1})" if e.attempt > 1 else "")
            n = len(self._plan)
            which = f"Trial {self.trials_started} of {n}" if n else f"Trial {e.index}"
            left = self.session_left_s(e.duration_s)
            tail = f"  (session: about {_minutes(left)} left)" if left is not None else ""
            self._print(f"-- {which}: {_SIDE.get(e.side, e.side)}{cond}{extra}, {e.duration_s:g} s{tail}")

    def session_left_s(self, current_s: float) -> float | None:
        """Planned time (s) from the start of the current trial to the end of the session: this trial,
        then for every trial still to come a rest, the stance check and the countdown, and the trial."""
        if not self._plan or self._spec is None or not math.isfinite(current_s):
            return None
        rest = float(self._spec.rest_s)
        get_ready = float(self._spec.start.stable_s) + float(self._spec.start.countdown_s)
        todo = self._plan[self.trials_started:]
        return float(current_s) + sum(rest + get_ready + float(p.duration_s) for p in todo)

    def _on_elapsed(self, e: ev.Elapsed) -> None:
        if self.quiet:
            return
        d = e.duration_s
        if not math.isfinite(d):  # no planned end: count up
            shown, what = e.t_s, "s"
        else:  # count down, like the live window
            shown, what = max(0.0, d - e.t_s), f"s left of {d:.0f} s"
        if self.live_timer:
            with self._lock:
                self.stream.write(f"\r   {shown:5.1f} {what}  ")
                self.stream.flush()
                self._timer_shown = True
        elif e.t_s - self._last_print_s >= 10.0 - 1e-9:
            self._last_print_s = e.t_s
            if e.t_s > 0 and shown > 0:
                self._print(f"   {shown:.0f} {what}")

    def _on_failure(self, e: ev.FailureDetected) -> None:
        what = {"touch_down": "Touch-down", "step_off": "Step-off", "hop": "Hop"}.get(e.kind, e.kind)
        detail = f" ({e.detail})" if e.detail else ""
        self._print(f"!! {what} detected at {e.t_s:.1f} s{detail}")

    def _on_rest(self, e: ev.RestStarted) -> None:
        if self.quiet or e.seconds <= 0:
            return
        side = e.next_side
        self._rest_next = f", then {_SIDE.get(side, side)}" if side else ""
        self._rest_end_s = float(e.at_s) + float(e.seconds) if math.isfinite(e.at_s) else None
        self._rest_shown = int(math.ceil(e.seconds))
        self._print(f"   rest {e.seconds:g} s{self._rest_next}")

    def on_sample(self, sample: Sample) -> None:
        """During a rest: count it down (in place on a terminal, every 5 s otherwise)."""
        end = self._rest_end_s
        if end is None:
            return
        left = max(0, int(math.ceil(end - sample.t_s - 1e-9)))
        if left >= (self._rest_shown or 0):
            return
        self._rest_shown = left
        if left == 0:
            self._rest_end_s = None
        if self.live_timer:
            with self._lock:
                self.stream.write(f"\r   rest: {left:3d} s left{self._rest_next}  ")
                self.stream.flush()
                self._timer_shown = True
        elif left and left % 5 == 0:
            self._print(f"   rest: {left} s left{self._rest_next}")

    def _on_trial_ended(self, e: ev.TrialEnded) -> None:
        t = e.result
        self.trials_seen += 1
        side = _SIDE.get(t.side, t.side)
        if t.status == "complete":
            v = t.measures.get("mean_velocity_ml_mm_s")
            speed = f", side-to-side sway speed {v:.1f} mm/s" if v is not None and math.isfinite(v) else ""
            self._print(f"   trial {t.trial_index} {side}: held {t.duration_s:.0f} s{speed}")
        elif t.status == "failed":
            self._print(
                f"   trial {t.trial_index} {side}: FAILED ({(t.failure_kind or '').replace('_', '-')} at "
                f"{(t.failure_time_s or 0):.1f} s); kept, not compared"
            )
        else:
            self._print(f"   trial {t.trial_index} {side}: incomplete ({t.failure_kind or 'stopped'}); kept")


def _minutes(seconds: float) -> str:
    """``95`` -> ``1 min 35 s``; under a minute ``40 s``."""
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _width() -> int:
    """Columns of the terminal (``COLUMNS`` or the real one; 80 when unknown)."""
    import shutil

    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) if len(line) > width else line
                     for line in text.split("\n"))  # fmt: skip


def fit_lines(text: str, width: int | None = None) -> str:
    """``text`` with every line wrapped to ``width`` columns (default: the terminal's); a wrapped
    line continues two columns deeper than its own indent (for panels of indented lines)."""
    import textwrap

    width = width or _width()
    out = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out.append(textwrap.fill(line, width, subsequent_indent=indent + "  ", break_on_hyphens=False)
                   if len(line) > width else line)  # fmt: skip
    return "\n".join(out)


def comparison_table(rows: Sequence[dict[str, Any]], *, measures: Sequence[str] = KEY_MEASURES, verbose: bool = False,
                     width: int | None = None) -> str:  # fmt: skip
    """Left-vs-right table of one session in plain words (rows from :func:`balance.app.summary.session_measure_rows`).

    The table and its text fit ``width`` columns (default: the terminal's). After the table come the
    headline and the measures beyond the athlete's noise (flags); ``verbose`` adds every other line.
    """
    width = width or _width()
    from balance.app.commands._common import fmt_num, format_table

    chosen = [r for m in measures for r in rows if r["measure"] == m and r.get("left_mean") is not None
              and r.get("right_mean") is not None]  # fmt: skip
    if not chosen:
        return "No left/right comparison: a valid trial on each leg is needed."
    conds = {r["condition"] for r in chosen}
    # one trial count per leg for every row: said once under the table, not in every cell
    counts = {(r["n_left"], r["n_right"]) for r in chosen}
    same_n = len(counts) == 1
    table_rows = []
    for r in chosen:
        unit = catalogue.unit(r["measure"])
        label = catalogue.name(r["measure"])
        if len(conds) > 1:
            label = f"{label} [{r['condition']}]"
        si = r.get("symmetry_index_pct")
        flag = r.get("flag")
        verdict = "–" if flag is None else ("YES" if flag else "no")
        table_rows.append([
            label, unit,
            fmt_num(r["left_mean"]) if same_n else f"{fmt_num(r['left_mean'])} ({r['n_left']})",
            fmt_num(r["right_mean"]) if same_n else f"{fmt_num(r['right_mean'])} ({r['n_right']})",
            "–" if si is None or not math.isfinite(si) else f"{si:+.0f} %", fmt_num(r.get("mdc95")), verdict,
        ])  # fmt: skip
    sides = ["left", "right"] if same_n else ["left (n)", "right (n)"]
    out = [format_table(["measure", "unit", *sides, "R vs L", "MDC95", "beyond noise?"], table_rows,
                        right=lambda i: i >= 2, max_width=width)]  # fmt: skip
    if same_n:
        n_l, n_r = next(iter(counts))
        out.append(f"(means of {n_l} valid trial(s) on the left leg, {n_r} on the right)")
    head = next((r for r in chosen if r["measure"] == "mean_velocity_ml_mm_s"), chosen[0])
    out.append("")
    out.append(head.get("summary") or _sentence(head))
    for r in chosen:  # the flags: other measures beyond the athlete's noise
        if r is not head and (verbose or r.get("flag")):
            out.append(r.get("summary") or _sentence(r))
    if verbose:
        out.append("R vs L is the symmetry index 100·(R−L)/((R+L)/2); MDC95 = 1.96·√2·SEM, the smallest "
                   "difference bigger than this athlete's own trial-to-trial noise.")  # fmt: skip
    out.append("This describes side-to-side (mediolateral) sway; it is not a diagnosis.")
    return _wrap("\n".join(out), width)


def _sentence(r: dict[str, Any]) -> str:
    words = catalogue.words(r["measure"]).what
    si = r.get("symmetry_index_pct")
    side = r.get("more_sway_side")
    if si is None or not math.isfinite(si) or side not in ("left", "right"):
        return f"Left and right {words} are the same."
    pct = abs(si)
    flag = r.get("flag")
    if flag is None:
        noise = "too few trials to tell whether this is beyond the measurement noise"
    elif flag:
        noise = "this is bigger than the athlete's own trial-to-trial noise (beyond the MDC95)"
    else:
        noise = "this is within the athlete's own trial-to-trial noise (not a real difference)"
    return f"{side.capitalize()} leg: {pct:.0f} % more {words} than the {'left' if side == 'right' else 'right'}; {noise}."


def session_text(session: SessionRecord, rows: Sequence[dict[str, Any]], *, measures: Sequence[str] | None = None,
                 verbose: bool = False, width: int | None = None) -> str:  # fmt: skip
    """What a finished session says in plain words: the left-vs-right table when there are
    left and right trials, else the two-legged means per condition; then the protocol's own
    comparison lines (before → after, eyes open → closed, Romberg quotient, load share)."""
    from balance.app.commands._common import fmt_num, format_table

    width = width or _width()
    keys = list(measures) if measures is not None else list(KEY_MEASURES)
    parts: list[str] = []
    left_right = any(r.get("left_mean") is not None and r.get("right_mean") is not None for r in rows)
    if left_right:
        parts.append(comparison_table(rows, measures=[k for k in keys if any(r["measure"] == k for r in rows)]
                                      or KEY_MEASURES, verbose=verbose, width=width))  # fmt: skip
    else:
        both = [r for r in rows if r.get("both_mean") is not None]
        if both:
            conds = list(dict.fromkeys(r["condition"] for r in both))
            table = []
            for k in dict.fromkeys(r["measure"] for r in both):
                vals = {r["condition"]: r["both_mean"] for r in both if r["measure"] == k}
                table.append([catalogue.name(k), catalogue.unit(k), *(fmt_num(vals.get(c)) for c in conds)])
            parts.append(format_table(["measure", "unit", *(c.replace("_", " ") for c in conds)], table,
                                      right=lambda i: i >= 2, max_width=width))  # fmt: skip
        else:
            parts.append("No valid trial to summarise.")
    comparison = session.comparison or {}
    shown = "\n".join(parts)
    extra = [line for line in (comparison.get("summary") or []) if line and line not in shown]
    if extra and (verbose or not left_right):  # left/right: the table's flags say it already
        parts.append("")
        parts.extend(_wrap(line, width) for line in extra[:8])
    return "\n".join(parts)
