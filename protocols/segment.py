"""Stance segmentation: the single-leg stances held in one continuous recording.

A file recorded outside the protocol engine (another recorder, a lab force plate, ``balance record``)
often holds a whole session: both feet, lift the left foot, hold, put it down, lift the right foot, ...
:func:`segment` finds each single-leg stance with the detection rules the live test uses
(:mod:`protocols.detect`: :func:`~protocols.detect.stable_stance` for the lift-off,
:func:`~protocols.detect.detect_failures` for touch-down, step-off and hop, with the thresholds of
:class:`~protocols.spec.StartRule` and :class:`~protocols.spec.FailureRules`), tells its side from
where the CoP sits relative to the **bipedal centre** (the CoP of the both-feet parts; for two force
plates also from the load on each plate), and trims it as the single-leg protocols do (``trim_s``
after the lift-off; docs/methods.md §3.2 step 7: "remove the first
1-2 s after lift-off and stop before any touch-down").

Boundaries
----------
``start_s`` (lift-off)
    The time the CoP (smoothed over ``smoothing_s``) crossed half-way from the bipedal centre to the
    stance foot, at the start of the run of samples in stance that became stable (``StartRule``).
``end_s``
    For an end seen in the CoP (the free foot put back on the board: the CoP moves back towards the
    centre, ``FailureRules.touch_down_cop_jump_mm``), the time it crossed half-way back; for an end
    seen in the load (free foot to the floor, step-off, hop), the event's onset from
    :func:`~protocols.detect.detect_failures`; when that onset follows a gap in the stream (a
    Bluetooth drop-out hides the event), the last sample before the gap.
``status``
    ``"complete"`` when the person then stood on both feet (the CoP in the bipedal band and the load
    up, for most of the next ``settle_s``) or the recording ended on one leg; ``"failed"`` when the
    stance ended in a touch-down, step-off or hop and the person did not return to both feet (the
    ``reason`` says which, and when).

Without the load (a CoP-only file) the load rules see only the CoP vanishing (a flight, a step-off):
a free foot put on the floor beside the board then goes unnoticed, as on the live path.

Conventions: ML positive to the person's right, the left foot at negative ML; times in board seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from balance.recording import Recording
from protocols.detect import Failure, detect_failures, stable_stance
from protocols.spec import FailureRules, StartRule

__all__ = ["StanceSegment", "SegmentationResult", "segment", "segment_recording", "several_stances_warning",
           "side_mismatch", "DEFAULT_TRIM_S", "DEFAULT_TRIM_END_S"]

#: Seconds dropped after the lift-off, as the single-leg protocols (``protocols.library``: 2 s).
DEFAULT_TRIM_S = 2.0
#: Seconds dropped before the end (the weight shift that precedes putting the foot down).
DEFAULT_TRIM_END_S = 0.5
#: Shortest analysed window (s), as the engine (``protocols.engine.MIN_ANALYSIS_S``).
MIN_ANALYSIS_S = 2.0


@dataclass(frozen=True)
class StanceSegment:
    """One single-leg stance found by :func:`segment`.

    Attributes
    ----------
    side : {"left", "right"}
        Stance leg.
    start_s, end_s : float
        Lift-off and end of the stance (board time, s; module docstring).
    status : {"complete", "failed"}
        How the stance ended (module docstring).
    reason : str
        Plain-words account of the end.
    failure_kind : str or None
        ``"touch_down"``, ``"step_off"`` or ``"hop"`` for a failed stance, else None.
    analysis_window_s : (float, float) or None
        The trimmed span to analyse, ``(start_s + trim_s, end_s - trim_end_s)``; None when shorter
        than 2 s.
    stance_ml_mm : float
        Median CoP ML of the stable stance relative to the bipedal centre (mm; < 0 left).
    body_mass_kg : float
        Median total load over the stable stance (kg).
    """

    side: Literal["left", "right"]
    start_s: float
    end_s: float
    status: str
    reason: str
    failure_kind: str | None
    analysis_window_s: tuple[float, float] | None
    stance_ml_mm: float
    body_mass_kg: float

    @property
    def duration_s(self) -> float:
        """Time held on one leg (s)."""
        return self.end_s - self.start_s

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON and tables."""
        return {
            "side": self.side, "start_s": self.start_s, "end_s": self.end_s, "duration_s": self.duration_s,
            "status": self.status, "reason": self.reason, "failure_kind": self.failure_kind,
            "analysis_window_s": None if self.analysis_window_s is None else list(self.analysis_window_s),
            "stance_ml_mm": self.stance_ml_mm, "body_mass_kg": self.body_mass_kg,
        }  # fmt: skip


@dataclass(frozen=True)
class SegmentationResult:
    """Everything :func:`segment_recording` found.

    Attributes
    ----------
    stances : list of StanceSegment
        In time order.
    centre_ml_mm : float
        Bipedal centre (mm, board coordinates).
    body_mass_kg : float
        Load of the person standing (kg; 1 for a CoP-only file).
    bipedal_s : float
        Time spent on both feet (s).
    """

    stances: list[StanceSegment]
    centre_ml_mm: float
    body_mass_kg: float
    bipedal_s: float


def _centred_mean(t: NDArray[np.float64], x: NDArray[np.float64], half_s: float) -> NDArray[np.float64]:
    """Mean of the finite ``x`` with ``|t_j - t_i| <= half_s`` (NaN where none), vectorised."""
    fin = np.isfinite(x)
    c = np.concatenate(([0.0], np.cumsum(np.where(fin, x, 0.0))))
    n = np.concatenate(([0], np.cumsum(fin)))
    lo = np.searchsorted(t, t - half_s, side="left")
    hi = np.searchsorted(t, t + half_s, side="right")
    cnt = n[hi] - n[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: NDArray[np.float64] = (c[hi] - c[lo]) / cnt
    out[cnt == 0] = np.nan
    return out


def _crossing_s(t: NDArray[np.float64], y: NDArray[np.float64], i: int, level: float) -> float:
    """Time ``y`` crossed ``level`` between samples ``i - 1`` and ``i`` (linear interpolation; across a
    gap in the stream, such as a Bluetooth drop-out, this puts the crossing inside the gap)."""
    if i <= 0 or not (np.isfinite(y[i - 1]) and np.isfinite(y[i])) or y[i] == y[i - 1]:
        return float(t[i])
    u = float(np.clip((level - y[i - 1]) / (y[i] - y[i - 1]), 0.0, 1.0))
    return float(t[i - 1] + u * (t[i] - t[i - 1]))


def _plates(rec: Recording) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Left and right plate loads (kg) of a two-plate recording (PDS), else None."""
    left, right = rec.meta.get("left_load_kg"), rec.meta.get("right_load_kg")
    if left is None or right is None:
        return None
    lf, rt = np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64)
    return (lf, rt) if lf.shape == rt.shape == rec.time_s.shape else None


def _bipedal_centre(
    t: NDArray[np.float64], mls: NDArray[np.float64], on: NDArray[np.bool_], offset_mm: float,
    rec: Recording,
) -> float:
    """The CoP ML of both-feet stance (mm): from the two plates' own CoPs when known; else the
    midpoint of the extreme clusters when both single-leg sides occur (feet symmetric about the
    body), else the first second on the board (people step on with both feet); refined as the median
    of the samples within ``offset_mm`` of it."""
    plates = _plates(rec)
    if plates is not None and rec.meta.get("left_cop_ml_mm") is not None:
        lf, rt = plates
        lml = np.asarray(rec.meta["left_cop_ml_mm"], dtype=np.float64)
        rml = np.asarray(rec.meta["right_cop_ml_mm"], dtype=np.float64)
        ok_l, ok_r = lf > 5.0, rt > 5.0
        if ok_l.any() and ok_r.any():
            return float(0.5 * (np.median(lml[ok_l]) + np.median(rml[ok_r])))
    v = mls[on & np.isfinite(mls)]
    if v.size == 0:
        return 0.0
    q05, q95 = np.quantile(v, [0.05, 0.95])
    if q95 - q05 > 3.0 * offset_mm:
        c = 0.5 * (q05 + q95)
    else:
        first = np.flatnonzero(on & np.isfinite(mls))
        t0 = t[first[0]]
        c = float(np.median(mls[first[(t[first] - t0) <= 1.0]]))
    for _ in range(3):
        near = v[np.abs(v - c) < offset_mm]
        if near.size == 0:
            break
        c = float(np.median(near))
    return float(c)


def segment_recording(
    recording: Recording,
    *,
    start: StartRule = StartRule(),
    failure: FailureRules = FailureRules(),
    trim_s: float = DEFAULT_TRIM_S,
    trim_end_s: float = DEFAULT_TRIM_END_S,
    smoothing_s: float = 0.1,
    settle_s: float = 1.0,
    centre_ml_mm: float | None = None,
) -> SegmentationResult:
    """Find the single-leg stances of a continuous recording (module docstring).

    Parameters
    ----------
    recording : Recording
        Time (s), CoP (mm) and, when known, the total load (kg); a two-plate recording (PDS) also
        gives ``meta["left_load_kg"]``, ``meta["right_load_kg"]`` and the plates' CoPs.
    start : StartRule
        ``stable_s`` (a stance counts once held that long), ``load_tolerance_pct_bw`` and
        ``side_offset_mm`` (distance from the bipedal centre that means "on one leg").
    failure : FailureRules
        Touch-down, step-off and hop thresholds.
    trim_s, trim_end_s : float
        Seconds dropped after the lift-off and before the end for the analysis window.
    smoothing_s : float
        Width (s) of the centred moving mean of the CoP used to tell the stance and its boundaries.
    settle_s : float
        Seconds after a stance's end examined for a return to both feet.
    centre_ml_mm : float, optional
        Bipedal centre (mm) if known; estimated from the recording otherwise.

    Returns
    -------
    SegmentationResult
    """
    t = np.asarray(recording.time_s, dtype=np.float64)
    ml = np.asarray(recording.cop_ml_mm, dtype=np.float64)
    n = t.size
    if n < 2:
        return SegmentationResult([], 0.0 if centre_ml_mm is None else centre_ml_mm, float("nan"), 0.0)
    if recording.total_kg is not None:
        w = np.where(np.isfinite(recording.total_kg), recording.total_kg, 0.0).astype(np.float64)
    else:  # CoP only: the load is unknown, "someone on the board" is "a CoP exists"
        w = np.where(np.isfinite(ml), 1.0, 0.0)
    top = float(np.quantile(w, 0.9))
    if not top > 0:
        return SegmentationResult([], 0.0 if centre_ml_mm is None else centre_ml_mm, float("nan"), 0.0)
    bm = float(np.median(w[w >= 0.5 * top]))
    on = w >= 0.5 * bm
    mls = _centred_mean(t, np.where(on, ml, np.nan), smoothing_s / 2.0)
    off = start.side_offset_mm
    c = _bipedal_centre(t, mls, on, off, recording) if centre_ml_mm is None else float(centre_ml_mm)
    rel = mls - c
    dt = np.diff(t, append=t[-1])
    with np.errstate(invalid="ignore"):
        bip_mask = on & (np.abs(rel) < off)
    bipedal_s = float(dt[bip_mask].sum())
    min_load = 0.5 * bm
    plates = _plates(recording)
    gap_s = max(0.1, 4.0 * float(np.median(np.diff(t))))

    stances: list[StanceSegment] = []
    pos = 0
    while pos < n - 1:
        tt, ww, rr = t[pos:], w[pos:], rel[pos:]
        found = []
        for side in ("left", "right"):
            got = stable_stance(tt, ww, rr, stance=side, body_mass_kg=bm, rule=start, min_load_kg=min_load)
            if got is not None:
                found.append((got.stable_at_s, side, got))
        if not found:
            break
        _, side, onset = min(found, key=lambda f: f[0])
        toward = -1.0 if side == "left" else 1.0
        half = 0.5 * abs(onset.cop_ml_mm)
        i0 = int(np.searchsorted(t, onset.onset_s, side="left"))
        with np.errstate(invalid="ignore"):
            past_half = np.flatnonzero(toward * rel[i0:] >= half)
        start_s = _crossing_s(t, toward * rel, i0 + int(past_half[0]), half) if past_half.size else onset.onset_s
        j0 = int(np.searchsorted(t, onset.stable_at_s, side="left"))
        fails = detect_failures(
            t[j0:], w[j0:], rel[j0:], body_mass_kg=onset.load_kg, stance=side,  # type: ignore[arg-type]  # side is 'left'/'right' here, the Literal detect_failures takes
            baseline_ml_mm=onset.cop_ml_mm, rules=failure,
        )
        ev: Failure | None = fails[0] if fails else None
        if ev is None:
            end_s, status, kind = float(t[-1]), "complete", None
            reason = "the recording ended on one leg"
            next_pos = n
        else:
            cop_end = ev.kind == "touch_down" and "CoP" in ev.detail
            end_s = ev.onset_s
            if cop_end:
                k0 = int(np.searchsorted(t, ev.onset_s - 0.5, side="left"))
                with np.errstate(invalid="ignore"):
                    back = np.flatnonzero(toward * rel[k0:] < half)
                if back.size:
                    end_s = _crossing_s(t, toward * rel, k0 + int(back[0]), half)
            else:
                # an event inside a gap of the stream (a Bluetooth drop-out) shows only after it: the
                # earliest time it can have begun is the last sample before the gap, and ending there
                # keeps the analysed window clear of it
                k = int(np.searchsorted(t, end_s, side="left"))
                if 0 < k < n and t[k] - t[k - 1] > gap_s and end_s > t[k - 1]:
                    end_s = float(t[k - 1])
            end_s = max(end_s, start_s)
            a = int(np.searchsorted(t, ev.confirmed_s + 0.3, side="left"))
            b = int(np.searchsorted(t, ev.confirmed_s + 0.3 + settle_s, side="right"))
            with np.errstate(invalid="ignore"):
                both = (np.abs(rel[a:b]) < off) & (w[a:b] >= (1 - failure.touch_down_drop_pct_bw / 100.0) * bm)
            if plates is not None and b > a:
                lf, rt = plates
                tot = np.maximum(lf[a:b] + rt[a:b], 1e-9)
                both &= np.minimum(lf[a:b], rt[a:b]) / tot > failure.touch_down_drop_pct_bw / 100.0
            if b > a and float(np.mean(both)) >= 0.8:
                status, kind = "complete", None
                reason = f"back on both feet at {end_s:.2f} s"
            else:
                status, kind = "failed", ev.kind
                reason = f"{ev.kind.replace('_', '-')} at {ev.onset_s:.2f} s: {ev.detail}"
            next_pos = max(int(np.searchsorted(t, ev.confirmed_s, side="right")), i0 + 1)
        lo, hi = start_s + trim_s, end_s - trim_end_s
        window = (lo, hi) if hi - lo >= MIN_ANALYSIS_S else None
        if window is None and status == "complete":
            reason += f"; only {max(end_s - start_s, 0.0):.1f} s on one leg: too short to analyse after the trim"
        if plates is not None:  # two plates: the loaded plate decides the side when the CoP disagrees
            lf, rt = plates
            on_leg = (t >= start_s) & (t <= end_s)
            if on_leg.any():
                side = "left" if float(np.median(lf[on_leg])) >= float(np.median(rt[on_leg])) else "right"
        stances.append(StanceSegment(
            side=side, start_s=start_s, end_s=end_s, status=status, reason=reason, failure_kind=kind,  # type: ignore[arg-type]  # str values of the Literal fields, checked above
            analysis_window_s=window, stance_ml_mm=float(onset.cop_ml_mm), body_mass_kg=float(onset.load_kg),
        ))  # fmt: skip
        pos = next_pos
    return SegmentationResult(stances, c, bm, bipedal_s)


def segment(recording: Recording, **options: Any) -> list[StanceSegment]:
    """The single-leg stances of a continuous recording, in time order.

    Shorthand for ``segment_recording(recording, **options).stances``; see
    :func:`segment_recording` for the options and the module docstring for the rules.

    Examples
    --------
    >>> for s in segment(rec):  # doctest: +SKIP
    ...     print(s.side, round(s.start_s, 1), round(s.end_s, 1), s.status)
    left 5.4 25.9 complete
    right 31.0 44.2 failed
    """
    return segment_recording(recording, **options).stances


def several_stances_warning(recording: Recording, *, min_bipedal_s: float = 5.0) -> str | None:
    """A warning when a recording looks like several stances, else None.

    It does when :func:`segment` finds two or more single-leg stances, or one stance beside at least
    ``min_bipedal_s`` of both-feet stance (a single-leg trial file holds one stance, a bipedal file
    none). The message names the stances' times and suggests ``--segment``.
    """
    res = segment_recording(recording)
    st = res.stances
    if len(st) >= 2 or (len(st) == 1 and res.bipedal_s >= min_bipedal_s):
        parts = ", ".join(f"{s.side} {s.start_s:.1f}-{s.end_s:.1f} s" for s in st[:8]) + (" ..." if len(st) > 8 else "")
        return (
            f"this recording looks like several stances, not one trial: {len(st)} single-leg stance(s) ({parts}) "
            f"and {res.bipedal_s:.0f} s on both feet; the measures below mix them: use --segment for one row "
            "per stance"
        )
    return None


def side_mismatch(recording: Recording, side: str, *, start: StartRule = StartRule()) -> str | None:
    """Why ``side`` contradicts the recording's CoP, or None when it does not (or cannot tell).

    The CoP says "left" when its median lies at least ``start.side_offset_mm`` left of the bipedal
    centre (found by :func:`segment_recording` when the file has both-feet and single-leg parts;
    else the board's centre, ML = 0), "right" likewise; a two-plate file says which plate carries
    the load (three times the other's).
    """
    if side not in ("left", "right"):
        return None
    ml = np.asarray(recording.cop_ml_mm, dtype=np.float64)
    fin = np.isfinite(ml)
    if not fin.any():
        return None
    plates = _plates(recording)
    if plates is not None:
        lf, rt = plates
        said = "left" if float(np.median(lf)) > float(np.median(rt)) * 3 else (
            "right" if float(np.median(rt)) > float(np.median(lf)) * 3 else None)
        detail = f"the {'left' if said == 'left' else 'right'} plate carries the load"
    else:
        res = segment_recording(recording)
        # the bipedal centre is known when both-feet parts sit beside single-leg ones; a file of one
        # stance alone is judged against the board's centre
        known = bool(res.stances) and res.bipedal_s >= 1.0
        c = res.centre_ml_mm if known else 0.0
        med = float(np.median(ml[fin])) - c
        said = "left" if med <= -start.side_offset_mm else ("right" if med >= start.side_offset_mm else None)
        where = "the bipedal centre" if known else "the board's centre"
        detail = f"its mean CoP lies {abs(med):.0f} mm {'left' if med < 0 else 'right'} of {where}"
    if said is None or said == side:
        return None
    return f"--side {side} but the CoP says the {said} foot ({detail})"
