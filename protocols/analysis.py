"""Turning a recorded trial into numbers: sway measures plus the protocol's own measures.

The sway measures come from the core pipeline (``balance.pipeline.analyze``); this module adds
what only a protocol knows: the time held, the left/right weight-bearing share (bilateral
stance), the squat repetitions and the load share through each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from balance import catalogue as _catalogue
from balance.recording import Recording
from balance.sway import MeasureInfo
from protocols.detect import foot_share_left_pct, squat_reps

__all__ = [
    "Analyzer",
    "CURVE_POINTS",
    "PROTOCOL_MEASURES",
    "pipeline_analyzer",
    "weight_bearing",
    "squat_measures",
]

#: Points of the per-rep load-share curve (0, 5, ..., 100 % of the rep).
CURVE_POINTS = 21

#: The measures a protocol adds to the sway measures (kept in the core catalogue,
#: :data:`balance.catalogue.PROTOCOL_MEASURES`).
PROTOCOL_MEASURES: dict[str, MeasureInfo] = _catalogue.PROTOCOL_MEASURES

#: ``analyzer(recording, **params) -> (measures, params)``: the sway analysis the engine runs
#: on each trial's analysed window. It may raise ``balance.errors.BalanceInputError``.
Analyzer = Callable[..., tuple[dict[str, float], dict[str, Any]]]


def pipeline_analyzer(recording: Recording, **params: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """The default analyzer: ``balance.pipeline.analyze(recording, **params)``.

    Returns
    -------
    measures : dict of str to float
        ``AnalysisResult.measures``.
    params : dict
        ``AnalysisResult.params`` (every preprocessing choice).
    """
    from balance import pipeline  # the core; imported when a trial is analysed

    res = pipeline.analyze(recording, **params)
    return dict(res.measures), dict(res.params)


def weight_bearing(
    recording: Recording, *, feet_ml_mm: tuple[float, float] = (-100.0, 100.0)
) -> dict[str, float]:
    """Mean share of the body weight on each foot (% of the load on the board).

    ``weight_left_pct`` is the mean of :func:`protocols.detect.foot_share_left_pct` (lever
    rule between the feet at ``feet_ml_mm``) over the samples; right = 100 − left.

    Returns
    -------
    dict
        ``weight_left_pct``, ``weight_right_pct`` (%); empty when the CoP is all NaN.
    """
    if len(recording) == 0:
        return {}
    share = foot_share_left_pct(recording.cop_ml_mm, feet_ml_mm=feet_ml_mm)
    if not np.any(np.isfinite(share)):
        return {}
    left = float(np.nanmean(share))
    return {"weight_left_pct": left, "weight_right_pct": 100.0 - left}


def squat_measures(
    recording: Recording,
    *,
    body_mass_kg: float,
    feet_ml_mm: tuple[float, float] = (-100.0, 100.0),
    **detect_params: Any,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Squat repetitions and the left/right load share through each.

    Parameters
    ----------
    recording : Recording
        The squat trial (corner loads needed).
    body_mass_kg : float
        Quiet-stance load (kg).
    feet_ml_mm : (float, float)
        ML positions of the feet (mm), for the load share (:func:`weight_bearing`).
    **detect_params
        Passed to :func:`protocols.detect.squat_reps`.

    Returns
    -------
    measures : dict
        ``rep_count``; ``weight_left_pct``/``weight_right_pct`` (mean over the reps of each
        rep's mean share, %); ``weight_left_pct_bottom`` (mean share within ±0.2 s of each
        rep's bottom, %); ``weight_left_pct_rep_sd`` (SD of the per-rep shares, %).
    reps : list of dict
        Per rep: ``start_s``, ``bottom_s``, ``end_s`` (board time), ``peak_load_pct_bw``,
        ``weight_left_pct``, ``weight_left_pct_bottom``, ``weight_left_pct_min``,
        ``weight_left_pct_max``, ``weight_left_pct_curve`` (list of :data:`CURVE_POINTS`
        values from the rep's start to its end, evenly spaced in time).
    """
    if recording.total_kg is None:
        raise ValueError("squat analysis needs the total load; record the squats on a board or force plate")
    t = recording.time_s
    found = squat_reps(t, recording.total_kg, body_mass_kg=body_mass_kg, **detect_params)
    share = foot_share_left_pct(recording.cop_ml_mm, feet_ml_mm=feet_ml_mm)
    reps: list[dict[str, Any]] = []
    for r in found:
        m = (t >= r.start_s) & (t < r.end_s) & np.isfinite(share)
        mb = (np.abs(t - r.bottom_s) <= 0.2) & np.isfinite(share)
        if not np.any(m):
            continue
        reps.append(
            {
                "start_s": r.start_s,
                "bottom_s": r.bottom_s,
                "end_s": r.end_s,
                "peak_load_pct_bw": r.peak_load_pct_bw,
                "weight_left_pct": float(np.mean(share[m])),
                "weight_left_pct_bottom": float(np.mean(share[mb])) if np.any(mb) else float("nan"),
                "weight_left_pct_min": float(np.min(share[m])),
                "weight_left_pct_max": float(np.max(share[m])),
                # the share through the rep: 21 points from its start (0 %) to its end (100 %)
                "weight_left_pct_curve": np.interp(
                    np.linspace(r.start_s, r.end_s, CURVE_POINTS), t[m], share[m]
                ).tolist(),
            }
        )
    out: dict[str, float] = {"rep_count": float(len(reps))}
    if reps:
        per = np.array([r["weight_left_pct"] for r in reps])
        bottom = np.array([r["weight_left_pct_bottom"] for r in reps])
        out["weight_left_pct"] = float(per.mean())
        out["weight_right_pct"] = 100.0 - out["weight_left_pct"]
        out["weight_left_pct_bottom"] = float(np.nanmean(bottom)) if np.any(np.isfinite(bottom)) else float("nan")
        out["weight_left_pct_rep_sd"] = float(per.std(ddof=1)) if per.size > 1 else float("nan")
    return out, reps
