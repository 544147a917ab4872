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
from typing import Any, TextIO

from balance import catalogue
from balance.model import Side
from protocols import events as ev

__all__ = ["ConsoleUI", "comparison_table", "session_text", "KEY_MEASURES", "MEASURE_WORDS"]

#: Measures shown in the console's left-vs-right table, in order (:data:`balance.catalogue.LEFT_RIGHT_TABLE`).
KEY_MEASURES: tuple[str, ...] = catalogue.LEFT_RIGHT_TABLE

#: Plain words for the key measures (the catalogue's names, as in every table).
MEASURE_WORDS: dict[str, str] = {
    k: catalogue.name(k)
    for k in (*KEY_MEASURES, "rms_ap_mm", "hold_time_s", "weight_left_pct", "weight_right_pct")
}

#: The engine's events and the handler of each (dispatched by type, subclasses included).
_HANDLERS: dict[type, str] = {
    ev.Instruction: "_on_Instruction",
    ev.Countdown: "_on_Countdown",
    ev.Beep: "_on_Beep",
    ev.TrialStarted: "_on_TrialStarted",
    ev.Elapsed: "_on_Elapsed",
    ev.FailureDetected: "_on_FailureDetected",
    ev.RestStarted: "_on_RestStarted",
    ev.TrialEnded: "_on_TrialEnded",
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
    """

    def __init__(self, stream: TextIO | None = None, *, live_timer: bool | None = None, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.live_timer = bool(self.stream.isatty()) if live_timer is None else live_timer
        self.quiet = quiet
        self._lock = threading.Lock()
        self._timer_shown = False
        self._last_print_s = -math.inf
        self.trials_seen = 0

    def _print(self, text: str) -> None:
        with self._lock:
            if self._timer_shown:
                self.stream.write("\n")
                self._timer_shown = False
            self.stream.write(text + "\n")
            self.stream.flush()

    def on_event(self, event: ev.Event) -> None:
        name = next((_HANDLERS[c] for c in type(event).__mro__ if c in _HANDLERS), None)
        if name is not None:
            getattr(self, name)(event)

    def _on_Instruction(self, e: Any) -> None:
        if not self.quiet:
            self._print(f">> {e.text}")

    def _on_Countdown(self, e: Any) -> None:
        if not self.quiet:
            self._print(f"   {e.seconds_left}...")

    def _on_Beep(self, e: Any) -> None:
        if not self.quiet:
            self._print("   BEEP" + (" - go!" if getattr(e, "kind", "start") == "start" else " - stop"))
            if self.stream.isatty():
                self.stream.write("\a")

    def _on_TrialStarted(self, e: Any) -> None:
        self._last_print_s = -math.inf
        if not self.quiet:
            cond = f", {e.condition.replace('_', ' ')}" if e.condition else ""
            extra = " (practice)" if e.practice else (f" (retry {e.attempt - 1})" if e.attempt > 1 else "")
            self._print(f"-- Trial {e.index}, {_SIDE.get(e.side, e.side)}{cond}{extra}: hold for {e.duration_s:g} s")

    def _on_Elapsed(self, e: Any) -> None:
        if self.quiet:
            return
        if self.live_timer:
            with self._lock:
                total = f" / {e.duration_s:.0f}" if math.isfinite(e.duration_s) else ""
                self.stream.write(f"\r   {e.t_s:5.1f}{total} s")
                self.stream.flush()
                self._timer_shown = True
        elif e.t_s - self._last_print_s >= 10.0 - 1e-9:
            self._last_print_s = e.t_s
            if e.t_s > 0:
                self._print(f"   {e.t_s:.0f} s")

    def _on_FailureDetected(self, e: Any) -> None:
        what = {"touch_down": "Touch-down", "step_off": "Step-off", "hop": "Hop"}.get(e.kind, e.kind)
        detail = f" ({e.detail})" if e.detail else ""
        self._print(f"!! {what} detected at {e.t_s:.1f} s{detail}")

    def _on_RestStarted(self, e: Any) -> None:
        if not self.quiet and e.seconds > 0:
            self._print(f"   rest {e.seconds:g} s")

    def _on_TrialEnded(self, e: Any) -> None:
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


def comparison_table(rows: Sequence[dict[str, Any]], *, measures: Sequence[str] = KEY_MEASURES) -> str:
    """Left-vs-right table of one session in plain words (rows from :func:`balance.app.summary.session_measure_rows`)."""
    from balance.app.commands._common import fmt_num, format_table

    chosen = [r for m in measures for r in rows if r["measure"] == m and r.get("left_mean") is not None
              and r.get("right_mean") is not None]  # fmt: skip
    if not chosen:
        return "No left/right comparison: a valid trial on each leg is needed."
    conds = {r["condition"] for r in chosen}
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
            label, unit, f"{fmt_num(r['left_mean'])} ({r['n_left']})", f"{fmt_num(r['right_mean'])} ({r['n_right']})",
            "–" if si is None or not math.isfinite(si) else f"{si:+.0f} %", fmt_num(r.get("mdc95")), verdict,
        ])  # fmt: skip
    out = [format_table(["measure", "unit", "left (n)", "right (n)", "R vs L", "MDC95", "beyond noise?"], table_rows,
                        right=lambda i: i >= 2)]  # fmt: skip
    head = next((r for r in chosen if r["measure"] == "mean_velocity_ml_mm_s"), chosen[0])
    out.append("")
    out.append(head.get("summary") or _sentence(head))
    out.append("R vs L is the symmetry index 100·(R−L)/((R+L)/2); MDC95 = 1.96·√2·SEM, the smallest "
               "difference bigger than this athlete's own trial-to-trial noise.")  # fmt: skip
    out.append("This describes side-to-side (mediolateral) sway; it is not a diagnosis.")
    return "\n".join(out)


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


def session_text(session: Any, rows: Sequence[dict[str, Any]], *, measures: Sequence[str] | None = None) -> str:
    """What a finished session says in plain words: the left-vs-right table when there are
    left and right trials, else the two-legged means per condition; then the protocol's own
    comparison lines (before → after, eyes open → closed, Romberg quotient, load share)."""
    from balance.app.commands._common import fmt_num, format_table

    keys = list(measures) if measures is not None else list(KEY_MEASURES)
    parts: list[str] = []
    if any(r.get("left_mean") is not None and r.get("right_mean") is not None for r in rows):
        parts.append(comparison_table(rows, measures=[k for k in keys if any(r["measure"] == k for r in rows)] or KEY_MEASURES))
    else:
        both = [r for r in rows if r.get("both_mean") is not None]
        if both:
            conds = list(dict.fromkeys(r["condition"] for r in both))
            table = []
            for k in dict.fromkeys(r["measure"] for r in both):
                vals = {r["condition"]: r["both_mean"] for r in both if r["measure"] == k}
                table.append([catalogue.name(k), catalogue.unit(k), *(fmt_num(vals.get(c)) for c in conds)])
            parts.append(format_table(["measure", "unit", *(c.replace("_", " ") for c in conds)], table,
                                      right=lambda i: i >= 2))  # fmt: skip
        else:
            parts.append("No valid trial to summarise.")
    comparison = getattr(session, "comparison", None) or {}
    shown = "\n".join(parts)
    extra = [line for line in (comparison.get("summary") or []) if line and line not in shown]
    if extra:
        parts.append("")
        parts.extend(extra[:8])
    return "\n".join(parts)
