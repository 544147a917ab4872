"""Event detection on load and CoP arrays: stable stance, lift-off, touch-down, step-off, hop, squat reps.

The functions here are pure and vectorised (arrays in, events out; no loops over samples).
:class:`LiveDetector` and :class:`LiveStance` wrap them for the live path: they buffer the
samples and re-run the same vectorised detector on a trailing window, so the live and the
offline answers agree.

Thresholds and their sources are documented on :class:`protocols.spec.FailureRules` and
:class:`protocols.spec.StartRule` (``docs/methods.md`` §3.2 step 4: a drop of
the total load by more than about 10-20 % of body weight, or a jump of CoP_ML towards the
board centre, marks the free foot touching down; §4.1: stepping off or hopping ends a
trial). Times are board times (s) unless a name says otherwise.

Conventions: ML positive to the person's right; the left foot stands at negative ML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from protocols.spec import FailureRules, StartRule

__all__ = [
    "Failure",
    "StanceOnset",
    "SquatRep",
    "G_M_S2",
    "moving_mean",
    "true_runs",
    "stable_stance",
    "lift_off",
    "detect_failures",
    "squat_reps",
    "load_share_left_pct",
    "foot_share_left_pct",
    "LiveDetector",
    "LiveStance",
]

#: Standard gravity (m/s²), used to turn a load excess over body weight into acceleration.
G_M_S2 = 9.80665

Stance = Literal["left", "right", "both"]


@dataclass(frozen=True)
class Failure:
    """A failure found by :func:`detect_failures`.

    Attributes
    ----------
    kind : {"touch_down", "step_off", "hop"}
    onset_s : float
        Board time (s) the event began (the load first left its band, or the CoP first jumped).
    confirmed_s : float
        Board time (s) from which the data proved the event (onset + the time needed to tell a
        touch-down from a step-off or a hop). A live detector cannot report earlier.
    detail : str
        Plain-words reason.
    """

    kind: str
    onset_s: float
    confirmed_s: float
    detail: str


@dataclass(frozen=True)
class StanceOnset:
    """A stable stance found by :func:`stable_stance`.

    Attributes
    ----------
    stable_at_s : float
        Board time (s) at which the stance had been stable for ``stable_s``.
    onset_s : float
        Board time (s) the stance began: the start of the uninterrupted run of samples in the
        asked-for stance (for single-leg stance, the lift-off of the free foot: the CoP
        reached the stance side).
    load_kg : float
        Median total load (kg) over the stable window: the body mass on the board.
    cop_ml_mm : float
        Median CoP ML (mm) over the stable window (the stance foot's position).
    """

    stable_at_s: float
    onset_s: float
    load_kg: float
    cop_ml_mm: float


@dataclass(frozen=True)
class SquatRep:
    """One squat repetition found by :func:`squat_reps`.

    Attributes
    ----------
    start_s, bottom_s, end_s : float
        Board times (s): start (top), bottom (peak load), end (top again).
    peak_load_pct_bw : float
        Peak of the smoothed total load (% of body weight) at the bottom.
    """

    start_s: float
    bottom_s: float
    end_s: float
    peak_load_pct_bw: float


# ------------------------------------------------------------------------------------------
# array helpers
# ------------------------------------------------------------------------------------------
def _as_1d(name: str, x: ArrayLike) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    return a


def _check_same(time_s: NDArray[np.float64], **arrays: NDArray[np.float64]) -> None:
    for k, v in arrays.items():
        if v.shape != time_s.shape:
            raise ValueError(f"{k} has shape {v.shape} but time_s has {time_s.shape}; pass arrays of equal length")
    if time_s.size > 1 and np.any(np.diff(time_s) < 0):
        raise ValueError("time_s must be non-decreasing; sort the samples by time")


def moving_mean(time_s: ArrayLike, x: ArrayLike, *, window_s: float) -> NDArray[np.float64]:
    """Causal moving mean over the last ``window_s`` seconds, for irregular sampling.

    ``y[i]`` is the mean of the finite ``x[j]`` with ``t[i] - window_s < t[j] <= t[i]``
    (at least ``x[i]`` itself); NaN where that window holds no finite value.

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Non-decreasing sample times (s).
    x : array_like, shape (N,)
        Values (any unit; the result has the same unit).
    window_s : float
        Window length (s); 0 returns ``x`` unchanged.
    """
    t = _as_1d("time_s", time_s)
    v = _as_1d("x", x)
    _check_same(t, x=v)
    if window_s <= 0 or v.size == 0:
        return np.array(v, dtype=np.float64)
    fin = np.isfinite(v)
    c = np.concatenate(([0.0], np.cumsum(np.where(fin, v, 0.0))))
    n = np.concatenate(([0], np.cumsum(fin)))
    lo = np.searchsorted(t, t - window_s, side="right")
    hi = np.arange(1, v.size + 1)
    cnt = n[hi] - n[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (c[hi] - c[lo]) / cnt
    out[cnt == 0] = np.nan
    return np.asarray(out, dtype=np.float64)


def true_runs(mask: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and stop (exclusive) indices of the runs of True in a boolean array."""
    m = np.asarray(mask, dtype=bool)
    d = np.diff(np.concatenate(([0], m.view(np.int8), [0])))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _merge_runs(
    starts: NDArray[np.intp], stops: NDArray[np.intp], t: NDArray[np.float64], gap_s: float
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Join runs separated by less than ``gap_s`` seconds (noise crossing a threshold)."""
    if starts.size < 2:
        return starts, stops
    gaps = t[starts[1:]] - t[stops[:-1] - 1]
    keep = np.concatenate(([True], gaps >= gap_s))
    new_starts = starts[keep]
    new_stops = np.concatenate((stops[:-1][keep[1:]], stops[-1:]))
    return new_starts, new_stops


def _trailing_extreme(x: NDArray[np.float64], lo: NDArray[np.intp], op: str) -> NDArray[np.float64]:
    """max (or min) of ``x[lo[i]..i]`` for every i, by a sparse table: O(N log N), vectorised."""
    n = x.size
    if n == 0:
        return np.array(x, dtype=np.float64)
    f = np.fmax if op == "max" else np.fmin
    levels = [x]
    k = 1
    while 2 * k <= n:
        prev = levels[-1]
        nxt = prev.copy()
        nxt[: n - k] = f(prev[: n - k], prev[k:])
        levels.append(nxt)
        k *= 2
    table = np.stack(levels)
    i = np.arange(n)
    length = i - lo + 1
    lev = np.floor(np.log2(np.maximum(length, 1))).astype(np.intp)
    span = np.left_shift(1, lev)
    return np.asarray(f(table[lev, lo], table[lev, i - span + 1]), dtype=np.float64)


# ------------------------------------------------------------------------------------------
# stance
# ------------------------------------------------------------------------------------------
def _in_stance(cop_ml_mm: NDArray[np.float64], stance: str, side_offset_mm: float) -> NDArray[np.bool_]:
    if stance == "left":
        return cop_ml_mm <= -side_offset_mm
    if stance == "right":
        return cop_ml_mm >= side_offset_mm
    if stance == "both":
        # Both feet on the board: the CoP lies between the feet, well inside twice the
        # single-leg offset (a 70/30 split with feet at +/-100 mm puts it at 40 mm).
        return np.abs(cop_ml_mm) < 2.0 * side_offset_mm
    raise ValueError(f"stance={stance!r}; use 'left', 'right' or 'both'")


def stable_stance(
    time_s: ArrayLike,
    total_kg: ArrayLike,
    cop_ml_mm: ArrayLike,
    *,
    stance: Stance,
    body_mass_kg: float | None = None,
    rule: StartRule = StartRule(),
    min_load_kg: float = 10.0,
) -> StanceOnset | None:
    """The first moment the asked-for stance has been stable for ``rule.stable_s``.

    A sample is "in stance" when someone stands on the board (total load at least
    ``min_load_kg``, and at least ``100 - rule.load_tolerance_pct_bw`` % of ``body_mass_kg``
    when that is known) and the CoP ML is on the stance side (``|ML| >= side_offset_mm`` on
    the leg's side; for ``"both"``, ``|ML| < 2·side_offset_mm``). The stance is stable at
    sample *i* when every sample of the last ``stable_s`` is in stance and the spread
    (max − min) of the total load smoothed over 0.1 s stays within
    ``rule.load_tolerance_pct_bw`` % of body weight (of the current load if unknown).

    Parameters
    ----------
    time_s : array_like, shape (N,)
        Sample times (s), non-decreasing.
    total_kg : array_like, shape (N,)
        Total load (kg).
    cop_ml_mm : array_like, shape (N,)
        CoP ML (mm), NaN when nobody stands on the board.
    stance : {"left", "right", "both"}
        Stance leg, or both feet.
    body_mass_kg : float, optional
        Known body mass (kg).
    rule : StartRule
        ``stable_s``, ``load_tolerance_pct_bw``, ``side_offset_mm``.
    min_load_kg : float
        Least load (kg) that counts as someone on the board.

    Returns
    -------
    StanceOnset or None
        None when the stance never became stable.
    """
    t = _as_1d("time_s", time_s)
    w = _as_1d("total_kg", total_kg)
    ml = _as_1d("cop_ml_mm", cop_ml_mm)
    _check_same(t, total_kg=w, cop_ml_mm=ml)
    if t.size == 0:
        return None
    ws = moving_mean(t, w, window_s=0.1)
    ok = np.isfinite(ml) & np.isfinite(w) & (w >= min_load_kg)
    with np.errstate(invalid="ignore"):
        ok &= _in_stance(ml, stance, rule.side_offset_mm)
        if body_mass_kg is not None:
            ok &= w >= (1.0 - rule.load_tolerance_pct_bw / 100.0) * body_mass_kg
    lo = np.searchsorted(t, t - rule.stable_s, side="left")
    bad = np.concatenate(([0], np.cumsum(~ok)))
    all_ok = (bad[np.arange(1, t.size + 1)] - bad[lo]) == 0
    long_enough = (t - t[lo]) >= rule.stable_s * 0.98
    wmax = _trailing_extreme(np.where(ok, ws, -np.inf), lo, "max")
    wmin = _trailing_extreme(np.where(ok, ws, np.inf), lo, "min")
    ref = body_mass_kg if body_mass_kg is not None else ws
    with np.errstate(invalid="ignore"):
        steady = (wmax - wmin) <= rule.load_tolerance_pct_bw / 100.0 * ref
    hit = np.flatnonzero(all_ok & long_enough & steady)
    if hit.size == 0:
        return None
    i = int(hit[0])
    starts, stops = true_runs(ok)
    run = np.searchsorted(starts, i, side="right") - 1
    j0 = int(lo[i])
    return StanceOnset(
        stable_at_s=float(t[i]),
        onset_s=float(t[starts[run]]),
        load_kg=float(np.median(w[j0 : i + 1])),
        cop_ml_mm=float(np.median(ml[j0 : i + 1])),
    )


def lift_off(
    time_s: ArrayLike,
    total_kg: ArrayLike,
    cop_ml_mm: ArrayLike,
    *,
    stance: Literal["left", "right"],
    body_mass_kg: float | None = None,
    rule: StartRule = StartRule(),
) -> float | None:
    """Board time (s) the free foot left the board before a stable single-leg stance.

    The start of the uninterrupted run of samples on the stance side that led to the first
    stable stance (:func:`stable_stance`): the CoP ML crossed ``rule.side_offset_mm`` towards
    the stance foot and stayed there. None if no stable single-leg stance was found.
    """
    if stance not in ("left", "right"):
        raise ValueError(f"stance={stance!r}: lift-off is for single-leg stance, 'left' or 'right'")
    got = stable_stance(time_s, total_kg, cop_ml_mm, stance=stance, body_mass_kg=body_mass_kg, rule=rule)
    return None if got is None else got.onset_s


def load_share_left_pct(corners_kg: ArrayLike) -> NDArray[np.float64]:
    """Share of the total load on the board's left half, % per sample: 100·(TL+BL)/Σ.

    Parameters
    ----------
    corners_kg : array_like, shape (N, 4)
        Corner loads (kg), columns TL, TR, BL, BR.

    Returns
    -------
    ndarray, shape (N,)
        Percent (0-100); NaN where the total is below 1 kg.
    """
    c = np.asarray(corners_kg, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != 4:
        raise ValueError(f"corners_kg must have shape (N, 4) [TL, TR, BL, BR], got {c.shape}")
    total = c.sum(axis=1)
    left = c[:, 0] + c[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total >= 1.0, 100.0 * left / np.where(total >= 1.0, total, 1.0), np.nan)


def foot_share_left_pct(
    cop_ml_mm: ArrayLike,
    *,
    feet_ml_mm: tuple[ArrayLike, ArrayLike] = (-100.0, 100.0),
) -> NDArray[np.float64]:
    """Share of the body weight on the left foot, % per sample, from the CoP and the feet.

    Statics (lever rule): the CoP of two feet lies between the feet's own centres of pressure,
    ``CoP = f·x_L + (1 − f)·x_R``, so ``f = (x_R − CoP)/(x_R − x_L)``. A board's left half
    (TL+BL, :func:`load_share_left_pct`) is not the left foot: with the feet 200 mm apart a
    person with all the weight on the left foot puts only 73 % on the left half.

    Parameters
    ----------
    cop_ml_mm : array_like, shape (N,)
        CoP ML (mm, positive to the right).
    feet_ml_mm : (float or array_like, float or array_like)
        ML positions (mm) of the left and right feet's centres of pressure; scalars, or
        arrays of shape (N,) when known per sample (two force plates). Default ±100 mm: the
        feet centred on the two halves of the board, about hip-width (the simulated board's
        placement); a protocol sets its own with ``ProtocolSpec.feet_ml_mm``.

    Returns
    -------
    ndarray, shape (N,)
        Percent, clipped to 0-100; NaN where the CoP is NaN.
    """
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    xl = np.asarray(feet_ml_mm[0], dtype=np.float64)
    xr = np.asarray(feet_ml_mm[1], dtype=np.float64)
    if np.any(xr <= xl):
        raise ValueError(
            f"feet_ml_mm={feet_ml_mm!r}: the left foot must be left of the right foot (x_L < x_R, mm)"
        )
    with np.errstate(invalid="ignore"):
        return np.clip(100.0 * (xr - ml) / (xr - xl), 0.0, 100.0)


# ------------------------------------------------------------------------------------------
# failures
# ------------------------------------------------------------------------------------------
def detect_failures(
    time_s: ArrayLike,
    total_kg: ArrayLike,
    cop_ml_mm: ArrayLike,
    *,
    body_mass_kg: float,
    stance: Stance,
    baseline_ml_mm: float | None = None,
    rules: FailureRules = FailureRules(),
    classify_after_s: float = 0.3,
    merge_gap_s: float = 0.1,
    final: bool = True,
) -> list[Failure]:
    """Touch-downs, step-offs and hops in a stance recording, in time order.

    On the total load smoothed causally over ``rules.smoothing_s``:

    * a *drop* is a run of samples under ``(100 - touch_down_drop_pct_bw) %`` of body weight
      lasting at least ``min_duration_s``;
    * if the load in a drop falls under ``step_off_load_pct_bw`` % within
      ``classify_after_s`` of the drop's start, the drop is a *hop* when that low part ends
      (the load comes back) within ``hop_max_flight_s``, else a *step-off*;
    * otherwise the drop is a *touch-down* (the free foot took part of the weight: to the
      floor);
    * a load over ``hop_spike_pct_bw`` % (a landing) is a *hop*;
    * in single-leg stance, the smoothed CoP ML moving towards the board centre by more than
      ``touch_down_cop_jump_mm`` from ``baseline_ml_mm`` while the load stays up is a
      *touch-down* (free foot on the board).

    Each event's ``onset_s`` is where the movement began: from the threshold crossing the
    detector walks back (at most 0.3 s) over the decline of the load, or over the push-off
    (load above body weight) before a flight or step-off, and corrects for the half-window
    lag of the causal smoothing.

    Parameters
    ----------
    time_s, total_kg, cop_ml_mm : array_like, shape (N,)
        Sample times (s), total load (kg), CoP ML (mm, NaN when off the board).
    body_mass_kg : float
        Load (kg) of the person standing still (from :func:`stable_stance`).
    stance : {"left", "right", "both"}
        Stance leg; touch-downs are looked for in single-leg stance only.
    baseline_ml_mm : float, optional
        CoP ML of the stable stance (mm); the CoP-jump rule is off when None.
    rules : FailureRules
        Thresholds and the kinds in force.
    classify_after_s : float
        Time (s) after a drop's start by which a step-off or hop has reached the low band;
        a drop that stays above it longer is a touch-down.
    merge_gap_s : float
        Runs separated by less than this (s) are one event (noise around a threshold).
    final : bool
        True for a finished recording. False on the live path: events whose kind the data
        cannot decide yet (a drop or a flight still going on at the end) are not reported.
    """
    t = _as_1d("time_s", time_s)
    w = _as_1d("total_kg", total_kg)
    ml = _as_1d("cop_ml_mm", cop_ml_mm)
    _check_same(t, total_kg=w, cop_ml_mm=ml)
    if not (body_mass_kg > 0):
        raise ValueError(f"body_mass_kg={body_mass_kg} must be > 0 kg; measure it in a stable stance first")
    if t.size == 0:
        return []
    kinds = set(rules.kinds)
    t_end = float(t[-1])
    ws = moving_mean(t, w, window_s=rules.smoothing_s)
    ws = np.where(np.isfinite(ws), ws, 0.0)
    bw = body_mass_kg
    out: list[Failure] = []

    drop = ws < (1.0 - rules.touch_down_drop_pct_bw / 100.0) * bw
    low = ws < rules.step_off_load_pct_bw / 100.0 * bw
    lag = rules.smoothing_s / 2.0  # the causal mean lags the load by about half its window
    soft = 0.3 * rules.touch_down_drop_pct_bw / 100.0  # "the load has started to move"

    def onset_of(a: int, *, push_off: bool) -> float:
        """Walk back from a threshold crossing to where the movement began (at most 0.3 s):
        the start of the push-off (load above body weight) before a flight or a step-off, or
        the start of the decline before a drop."""
        lo = int(np.searchsorted(t, t[a] - 0.3, side="left"))
        win = ws[lo:a]
        if win.size == 0:
            return float(t[a]) - lag
        if push_off and float(np.max(win)) > (1.0 + rules.touch_down_drop_pct_bw / 100.0) * bw:
            j = lo + int(np.argmax(win > (1.0 + soft) * bw))
        else:
            calm = np.flatnonzero(win >= (1.0 - soft) * bw)
            j = lo + int(calm[-1]) + 1 if calm.size else lo
        return max(float(t[j]) - lag, float(t[0]))

    starts, stops = _merge_runs(*true_runs(drop), t, merge_gap_s)
    if starts.size:
        low_cum = np.concatenate(([0], np.cumsum(low)))
        for a, b in zip(starts.tolist(), stops.tolist()):
            t0 = float(t[a])
            ongoing = b == t.size
            t1 = float(t[b - 1]) if ongoing else float(t[b])
            if t1 - t0 < rules.min_duration_s and not (ongoing and not final):
                continue
            n_low = int(low_cum[b] - low_cum[a])
            first_low = a + int(np.argmax(low[a:b])) if n_low else -1
            if n_low and t[first_low] - t0 <= classify_after_s:
                t0 = onset_of(a, push_off=True)
                # went (nearly) to zero: flight or step-off; the low part decides
                la = first_low
                # end of the low part: the first sample back above the low band (or the drop's end)
                lb = b if low[b - 1] else la + int(np.argmin(low[la:b]))
                low_ongoing = lb == t.size
                low_end = float(t[lb]) if not low_ongoing else t_end
                flight = low_end - float(t[la])
                if not low_ongoing and flight <= rules.hop_max_flight_s:
                    if "hop" in kinds:
                        out.append(Failure("hop", t0, low_end, f"flight of {flight:.2f} s: a hop"))
                elif flight > rules.hop_max_flight_s:
                    if "step_off" in kinds:
                        out.append(
                            Failure(
                                "step_off",
                                t0,
                                float(t[la]) + rules.hop_max_flight_s,
                                f"load under {rules.step_off_load_pct_bw:g} % of body weight for over "
                                f"{rules.hop_max_flight_s:g} s: stepped off",
                            )
                        )
                elif final:  # ends during a short flight: off the board at the end
                    if "step_off" in kinds:
                        out.append(Failure("step_off", t0, t_end, "load near zero at the end: stepped off"))
                continue
            if stance == "both" or "touch_down" not in kinds:
                continue
            if ongoing and not final and t_end - t0 < classify_after_s:
                continue  # could still become a step-off
            lost = 100.0 * (bw - float(np.min(ws[a:b]))) / bw
            out.append(
                Failure(
                    "touch_down",
                    onset_of(a, push_off=False),
                    min(t0 + classify_after_s, t1),
                    f"total load dropped by {lost:.0f} % of body weight: free foot touched down",
                )
            )

    if "hop" in kinds:
        spike = ws > rules.hop_spike_pct_bw / 100.0 * bw
        s_starts, s_stops = true_runs(spike)
        for a, b in zip(s_starts.tolist(), s_stops.tolist()):
            t1 = float(t[b - 1])
            if t1 - float(t[a]) < rules.min_duration_s and b != t.size:
                continue
            if b == t.size and not final and t1 - float(t[a]) < rules.min_duration_s:
                continue
            peak = 100.0 * float(np.max(ws[a:b])) / bw
            out.append(Failure("hop", float(t[a]) - lag, t1, f"load spike of {peak:.0f} % of body weight: a hop"))

    if stance in ("left", "right") and "touch_down" in kinds and baseline_ml_mm is not None:
        toward = 1.0 if stance == "left" else -1.0
        mls = moving_mean(t, ml, window_s=rules.smoothing_s)
        with np.errstate(invalid="ignore"):
            jump = np.isfinite(mls) & ((mls - baseline_ml_mm) * toward > rules.touch_down_cop_jump_mm)
            # a foot put on the board keeps the total load; while the load drops the drop
            # rules decide (stepping off also moves the CoP)
            jump &= ~drop
        j_starts, j_stops = _merge_runs(*true_runs(jump), t, merge_gap_s)
        for a, b in zip(j_starts.tolist(), j_stops.tolist()):
            dur = float(t[b - 1] - t[a])
            if dur < rules.min_duration_s and not (b == t.size and final):
                continue
            out.append(
                Failure(
                    "touch_down",
                    float(t[a]) - lag,
                    float(t[a]) + rules.min_duration_s,
                    f"CoP moved {rules.touch_down_cop_jump_mm:g}+ mm towards the centre: free foot on the board",
                )
            )

    out.sort(key=lambda f: (f.onset_s, f.confirmed_s))
    return out


# ------------------------------------------------------------------------------------------
# squats
# ------------------------------------------------------------------------------------------
def squat_reps(
    time_s: ArrayLike,
    total_kg: ArrayLike,
    *,
    body_mass_kg: float,
    smoothing_s: float = 0.25,
    threshold_pct_bw: float = 4.0,
    min_period_s: float = 0.8,
) -> list[SquatRep]:
    """Squat repetitions found from the total load.

    The load is ``m·(g + a)`` with ``a`` the vertical acceleration of the centre of mass: a
    squat's bottom (braking the descent, then pushing up) is one lobe of load above body
    weight, its top (slowing the rise, starting the next descent) a lobe below. A rep is a
    lobe of the smoothed load over ``(100 + threshold_pct_bw) %`` of body weight; its bottom
    is the lobe's peak, its start and end the lowest load between neighbouring bottoms (the
    tops; half a median period before the first and after the last rep, clipped to the data).

    Parameters
    ----------
    time_s, total_kg : array_like, shape (N,)
        Sample times (s) and total load (kg).
    body_mass_kg : float
        Body mass (kg), the quiet-stance load.
    smoothing_s : float
        Moving-mean window (s) applied before the search (removes sway and sensor noise).
    threshold_pct_bw : float
        Lobe threshold (% of body weight). A 0.4 m deep squat of 2.5 s swings the load by
        about ±13 % (``a = 2π²·depth/T²``).
    min_period_s : float
        Lobes closer than this (s) are merged (one rep).
    """
    t = _as_1d("time_s", time_s)
    w = _as_1d("total_kg", total_kg)
    _check_same(t, total_kg=w)
    if not (body_mass_kg > 0):
        raise ValueError(f"body_mass_kg={body_mass_kg} must be > 0 kg")
    if t.size < 3:
        return []
    ws = moving_mean(t, w, window_s=smoothing_s)
    # centre the causal window: shift times back by half the window
    tc = t - smoothing_s / 2.0
    pct = 100.0 * ws / body_mass_kg
    above = np.isfinite(pct) & (pct > 100.0 + threshold_pct_bw)
    starts, stops = true_runs(above)
    if starts.size == 0:
        return []
    # merge lobes closer than min_period_s
    keep_s, keep_e = [int(starts[0])], [int(stops[0])]
    for a, b in zip(starts[1:].tolist(), stops[1:].tolist()):
        if tc[a] - tc[keep_e[-1] - 1] < min_period_s / 2.0:
            keep_e[-1] = b
        else:
            keep_s.append(a)
            keep_e.append(b)
    peaks = np.array([a + int(np.argmax(pct[a:b])) for a, b in zip(keep_s, keep_e)], dtype=np.intp)
    bottoms = tc[peaks]
    period = float(np.median(np.diff(bottoms))) if bottoms.size > 1 else 2.0 * min_period_s
    bounds = []
    for k in range(peaks.size - 1):
        seg = slice(int(peaks[k]), int(peaks[k + 1]) + 1)
        j = int(peaks[k]) + int(np.nanargmin(pct[seg]))
        bounds.append(float(tc[j]))
    first = max(float(tc[0]), float(bottoms[0]) - period / 2.0)
    last = min(float(tc[-1]), float(bottoms[-1]) + period / 2.0)
    edges = [first, *bounds, last]
    return [
        SquatRep(
            start_s=edges[k],
            bottom_s=float(bottoms[k]),
            end_s=edges[k + 1],
            peak_load_pct_bw=float(pct[peaks[k]]),
        )
        for k in range(peaks.size)
    ]


# ------------------------------------------------------------------------------------------
# live wrappers
# ------------------------------------------------------------------------------------------
class _Buffer:
    """Growable arrays of (t, total, ml) with amortised O(1) append."""

    def __init__(self, capacity: int = 1024) -> None:
        self._a: NDArray[np.float64] = np.empty((3, capacity), dtype=np.float64)
        self.n = 0

    def append(self, t_s: float, total_kg: float, cop_ml_mm: float) -> None:
        if self.n == self._a.shape[1]:
            self._a = np.concatenate((self._a, np.empty_like(self._a)), axis=1)
        self._a[:, self.n] = (t_s, total_kg, cop_ml_mm)
        self.n += 1

    def tail(self, since_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        t = self._a[0, : self.n]
        i = int(np.searchsorted(t, since_s, side="left"))
        return t[i:], self._a[1, i : self.n], self._a[2, i : self.n]


class LiveDetector:
    """Incremental failure detection: feed samples, get the first failure once it is certain.

    Runs :func:`detect_failures` (``final=False``) on the last ``lookback_s`` seconds every
    ``check_every`` samples, so its answers match the offline detector on the same data.

    Parameters
    ----------
    body_mass_kg : float
        Quiet-stance load (kg).
    stance : {"left", "right", "both"}
    baseline_ml_mm : float, optional
        CoP ML of the stable stance (mm).
    rules : FailureRules
    start_s : float
        Board time (s) from which failures count (the trial start).
    lookback_s : float
        Trailing window re-examined at each check (s).
    check_every : int
        Samples between checks.
    """

    def __init__(
        self,
        *,
        body_mass_kg: float,
        stance: Stance,
        baseline_ml_mm: float | None = None,
        rules: FailureRules = FailureRules(),
        start_s: float = -math.inf,
        lookback_s: float = 3.0,
        check_every: int = 5,
    ) -> None:
        self.body_mass_kg = body_mass_kg
        self.stance = stance
        self.baseline_ml_mm = baseline_ml_mm
        self.rules = rules
        self.start_s = start_s
        self.lookback_s = lookback_s
        self.check_every = max(1, int(check_every))
        self._buf = _Buffer()
        self._since_check = 0
        self.failure: Failure | None = None
        # Fast path: while every raw sample of the examined window lies inside all the
        # thresholds, no smoothed value can cross one (a mean of values inside a band stays
        # inside it), so the detector can be skipped with the same answer.
        self._lo_kg = (1.0 - rules.touch_down_drop_pct_bw / 100.0) * body_mass_kg
        self._hi_kg = rules.hop_spike_pct_bw / 100.0 * body_mass_kg
        self._toward = 1.0 if stance == "left" else -1.0
        self._last_unquiet_s = -math.inf

    def _quiet(self, total_kg: float, cop_ml_mm: float) -> bool:
        if not (self._lo_kg <= total_kg <= self._hi_kg):
            return False
        if self.stance == "both" or self.baseline_ml_mm is None:
            return True
        if math.isnan(cop_ml_mm):
            return True
        return (cop_ml_mm - self.baseline_ml_mm) * self._toward <= self.rules.touch_down_cop_jump_mm

    def update(self, t_s: float, total_kg: float, cop_ml_mm: float) -> Failure | None:
        """Add one sample; return the failure the first time one is certain, else None."""
        self._buf.append(t_s, total_kg, cop_ml_mm)
        if not self._quiet(total_kg, cop_ml_mm):
            self._last_unquiet_s = t_s
        if self.failure is not None:
            return None
        self._since_check += 1
        if self._since_check < self.check_every:
            return None
        self._since_check = 0
        return self._check(final=False)

    def finish(self) -> Failure | None:
        """Check the remaining data as a finished recording (call at the trial's end)."""
        if self.failure is not None:
            return None
        return self._check(final=True)

    def _check(self, *, final: bool) -> Failure | None:
        if self._buf.n == 0:
            return None
        since = max(self.start_s - 0.5, float(self._buf._a[0, self._buf.n - 1]) - self.lookback_s)
        if self._last_unquiet_s < since:
            return None
        t, w, ml = self._buf.tail(since)
        found = detect_failures(
            t,
            w,
            ml,
            body_mass_kg=self.body_mass_kg,
            stance=self.stance,
            baseline_ml_mm=self.baseline_ml_mm,
            rules=self.rules,
            final=final,
        )
        found = [f for f in found if f.confirmed_s >= self.start_s]
        if found:
            self.failure = found[0]
            return self.failure
        return None


class LiveStance:
    """Incremental :func:`stable_stance`: feed samples until the stance is stable.

    Parameters
    ----------
    stance : {"left", "right", "both"}
    body_mass_kg : float, optional
    rule : StartRule
    check_every : int
        Samples between checks.
    """

    def __init__(
        self,
        *,
        stance: Stance,
        body_mass_kg: float | None = None,
        rule: StartRule = StartRule(),
        check_every: int = 5,
    ) -> None:
        self.stance = stance
        self.body_mass_kg = body_mass_kg
        self.rule = rule
        self.check_every = max(1, int(check_every))
        self._buf = _Buffer()
        self._since_check = 0
        self.result: StanceOnset | None = None

    def update(self, t_s: float, total_kg: float, cop_ml_mm: float) -> StanceOnset | None:
        """Add one sample; return the stance onset the first time it is stable, else None."""
        self._buf.append(t_s, total_kg, cop_ml_mm)
        if self.result is not None:
            return None
        self._since_check += 1
        if self._since_check < self.check_every:
            return None
        self._since_check = 0
        # look back far enough to see the whole run that led to stability (lift-off)
        t, w, ml = self._buf.tail(t_s - 4.0 * self.rule.stable_s - 2.0)
        got = stable_stance(t, w, ml, stance=self.stance, body_mass_kg=self.body_mass_kg, rule=self.rule)
        if got is not None:
            self.result = got
        return got
