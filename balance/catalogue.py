"""The measure catalogue in one place: every key with its unit, formula, reference, the words a
coach reads, and the headline sets the views show.

Every view (console table, report, export, history, charts, ``balance measures``) takes its
names and units from here, so a measure is called the same everywhere:

* :func:`info` - the :class:`balance.model.MeasureInfo` of a sway measure
  (:data:`balance.sway.MEASURES`) or of a measure a protocol adds (:data:`PROTOCOL_MEASURES`).
* :func:`name` - the plain name for tables, history and charts ("Side-to-side sway speed").
* :func:`words` - what a difference is "more" of in a sentence
  ("side-to-side (mediolateral) sway"), and whether the measure is an amount of sway.
* headline sets - :data:`LEFT_RIGHT_TABLE`, :data:`REPORT_BARS`, :data:`PROTOCOL_DEFAULT`,
  :data:`HISTORY_DEFAULT`, :data:`PROGRESS_DEFAULT`, :data:`ANALYZE_TABLE`.

"ML" and "AP" are said in plain words with the technical word beside them: mediolateral is
side to side, anteroposterior is front to back (see ``docs/methods.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from balance.model import MeasureInfo

__all__ = [
    "MeasureWords",
    "PROTOCOL_MEASURES",
    "LEFT_RIGHT_TABLE",
    "REPORT_BARS",
    "REPORT_SUMMARY_ORDER",
    "PROTOCOL_DEFAULT",
    "HISTORY_DEFAULT",
    "PROGRESS_DEFAULT",
    "ANALYZE_TABLE",
    "all_keys",
    "info",
    "unit",
    "key_stem",
    "name",
    "words",
]

_LEVER = (
    "lever rule between the feet (statics; checked against two force plates, PDS, dos Santos et al. "
    "2017 PeerJ 5:e3626); feet at ProtocolSpec.feet_ml_mm"
)


def _m(key: str, unit: str, description: str, formula: str, reference: str, axis: str = "ml") -> MeasureInfo:
    return MeasureInfo(key, unit, description, formula, reference, group="protocol", axis=axis)


#: The measures a protocol adds to the sway measures (same record as ``balance.sway.MEASURES``;
#: ``group="protocol"``), for data dictionaries and reports.
PROTOCOL_MEASURES: dict[str, MeasureInfo] = {
    m.key: m
    for m in (
        _m("hold_time_s", "s", "Time the stance was held, from the start beep to a failure or the planned end",
           "min(t_failure, t_planned_end) − t_start",
           "unipedal stance test, failure criteria of Springer et al. 2007, J Geriatr Phys Ther 30:8-15 "
           "(docs/failure-detection.md)", "planar"),
        _m("weight_left_pct", "%", "Share of the body weight on the left foot (mean over the analysed part)",
           "mean of 100·(x_R − CoP_ML)/(x_R − x_L)", _LEVER),
        _m("weight_right_pct", "%", "Share of the body weight on the right foot (mean over the analysed part)",
           "100 − weight_left_pct", _LEVER),
        _m("weight_left_pct_bottom", "%", "Share of the body weight on the left foot at the bottom of the squats "
           "(±0.2 s around each rep's peak load), mean over the reps", "mean of 100·(x_R − CoP_ML)/(x_R − x_L)",
           _LEVER),
        _m("weight_left_pct_rep_sd", "%", "Rep-to-rep SD of the left-foot share of the squats",
           "SD (n−1) of the per-rep mean shares", _LEVER),
        _m("rep_count", "1", "Squat repetitions found in the total load (one lobe above body weight per rep)",
           "lobes of the 0.25 s mean load over 104 % of body weight, ≥ 0.8 s apart",
           "load = m·(g + a) (Newton); protocols/detect.py squat_reps", "planar"),
    )
}  # fmt: skip

# -- headline sets ---------------------------------------------------------------------------
#: The console's left-vs-right table (``balance test``), in order.
LEFT_RIGHT_TABLE: tuple[str, ...] = (
    "mean_velocity_ml_mm_s",
    "rms_ml_mm",
    "mean_velocity_ap_mm_s",
    "mean_velocity_mm_s",
    "prediction_ellipse_area_mm2",
)
#: The report's left-right bar chart, in order.
REPORT_BARS: tuple[str, ...] = (
    "mean_velocity_mm_s",
    "mean_velocity_ml_mm_s",
    "mean_velocity_ap_mm_s",
    "rms_ml_mm",
    "rms_ap_mm",
    "prediction_ellipse_area_mm2",
)
#: The report's summary lines: the first four always, the last two only when beyond the noise.
REPORT_SUMMARY_ORDER: tuple[str, ...] = (
    "mean_velocity_ml_mm_s",
    "rms_ml_mm",
    "mean_velocity_mm_s",
    "prediction_ellipse_area_mm2",
    "mean_velocity_ap_mm_s",
    "rms_ap_mm",
)
#: The measures of interest of a sway protocol (``ProtocolSpec.measures``); the first is the
#: primary measure whose flag is the session's headline.
PROTOCOL_DEFAULT: tuple[str, ...] = (
    "mean_velocity_ml_mm_s",
    "mean_velocity_ap_mm_s",
    "mean_velocity_mm_s",
    "rms_ml_mm",
    "rms_ap_mm",
    "prediction_ellipse_area_mm2",
)
#: ``balance history`` without ``--measure``.
HISTORY_DEFAULT: tuple[str, ...] = ("mean_velocity_ml_mm_s", "rms_ml_mm")
#: ``balance progress`` without ``--measure``: the mediolateral velocity first (the hip-control proxy).
PROGRESS_DEFAULT: tuple[str, ...] = (
    "mean_velocity_ml_mm_s",
    "mean_velocity_mm_s",
    "prediction_ellipse_area_mm2",
)
#: ``balance analyze``'s terminal table per preset (CSV and JSON carry every measure).
ANALYZE_TABLE: dict[str, tuple[str, ...]] = {
    "standard": (
        "mean_velocity_mm_s",
        "mean_velocity_ml_mm_s",
        "rms_ml_mm",
        "rms_ap_mm",
        "prediction_ellipse_area_mm2",
        "mean_power_frequency_hz",
    ),
    "quijoux": (
        "mean_velocity_ML_AND_AP",
        "mean_velocity_ML",
        "rms_ML",
        "rms_AP",
        "confidence_ellipse_area_ML_AND_AP",
        "mean_frequency_ML_AND_AP",
    ),
}


# -- words -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasureWords:
    """How a measure is said to a coach.

    Attributes
    ----------
    name : str
        Plain name for tables, history and charts ("Side-to-side sway speed").
    what : str
        What a left/right difference is more of, in a sentence ("side-to-side (mediolateral)
        sway"); for a measure that is not an amount of sway, the name in lower case.
    sway_like : bool
        True when a larger value means more sway.
    """

    name: str
    what: str
    sway_like: bool


_ML = "side-to-side (mediolateral)"
_AP = "front-back (anteroposterior)"
_AXIS_WHAT = {"ml": f"{_ML} sway", "ap": f"{_AP} sway", "planar": "sway"}

#: Hand-chosen names of the measures coaches see most; the others are derived from the
#: catalogue's description (:func:`name`).
_NAMES: dict[str, str] = {
    "mean_velocity_mm_s": "Sway speed (total)",
    "mean_velocity_ml_mm_s": "Side-to-side sway speed",
    "mean_velocity_ap_mm_s": "Front-back sway speed",
    "rms_mm": "Sway size (RMS distance)",
    "rms_ml_mm": "Side-to-side sway size (RMS)",
    "rms_ap_mm": "Front-back sway size (RMS)",
    "path_length_mm": "Sway path length",
    "path_length_ml_mm": "Side-to-side path length",
    "path_length_ap_mm": "Front-back path length",
    "range_mm": "Sway range (largest distance)",
    "range_ml_mm": "Side-to-side range",
    "range_ap_mm": "Front-back range",
    "prediction_ellipse_area_mm2": "Sway area (95 % ellipse)",
    "confidence_ellipse_area_mm2": "Sway area (95 % confidence ellipse)",
    "mean_power_frequency_hz": "Sway frequency (mean power)",
    "mean_frequency_hz": "Mean sway frequency",
    "mean_frequency_ml_hz": "Side-to-side mean frequency",
    "mean_frequency_ap_hz": "Front-back mean frequency",
    "hold_time_s": "Time held",
    "weight_left_pct": "Body weight on the left",
    "weight_right_pct": "Body weight on the right",
    "weight_left_pct_bottom": "Body weight on the left at the squat bottom",
    "weight_left_pct_rep_sd": "Rep-to-rep spread of the left share",
    "rep_count": "Squat repetitions",
}

_SWAY_FAMILIES = ("velocity", "rms", "area", "path_length", "range", "distance")


def _sway() -> dict[str, MeasureInfo]:
    # imported on first use: `balance --help` must not load numpy (balance.sway needs it)
    from balance.sway import MEASURES

    return MEASURES


def all_keys() -> list[str]:
    """Every measure key: the sway catalogue in its order, then the protocol measures."""
    return [*_sway(), *PROTOCOL_MEASURES]


def info(key: str) -> MeasureInfo | None:
    """The catalogue entry of ``key`` (sway or protocol measure), or None when unknown."""
    return _sway().get(key) or PROTOCOL_MEASURES.get(key)


_SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_mm2_s", "mm²/s"),
    ("_mm2_hz", "mm²/Hz"),
    ("_mm2", "mm²"),
    ("_mm_s", "mm/s"),
    ("_mm", "mm"),
    ("_hz", "Hz"),
    ("_pct", "%"),
    ("_kg", "kg"),
    ("_n", "N"),
    ("_deg", "°"),
    ("_s", "s"),
)


def unit(key: str) -> str:
    """Unit of ``key``: the catalogue's, else read from the key's suffix (``"1"`` when none)."""
    entry = info(key)
    if entry is not None and entry.unit:
        return entry.unit
    k = key.lower()
    for suffix, u in _SUFFIX_UNITS:
        if k.endswith(suffix):
            return u
    return "1"


def key_stem(key: str) -> str:
    """``key`` without the suffix that spells its unit (``mean_velocity_ml`` for
    ``mean_velocity_ml_mm_s``), so a header can name the unit once; ``key`` itself when its
    suffix is not its unit (``rep_count``)."""
    u = unit(key)
    k = key.lower()
    for suffix, su in _SUFFIX_UNITS:
        if k.endswith(suffix) and su == u and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _plain(text: str) -> str:
    """A catalogue description in plain words: no "CoP", ML/AP said as side-to-side/front-back."""
    text = re.sub(r"\s*\([^)]*\)", "", text).split(",")[0].split(":")[0].strip()
    text = re.sub(r"\bresultant\b\s*", "", text)
    text = re.sub(r"\b(mediolateral|anteroposterior) CoP\b", r"\1 sway", text)
    text = re.sub(r"\bCoP velocity\b", "sway velocity", text)
    text = re.sub(r"\bCoP\b", "centre of pressure", text)
    text = re.sub(r"\bmediolateral\b", "side-to-side", text, flags=re.IGNORECASE)
    text = re.sub(r"\banteroposterior\b", "front-back", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:]


def name(key: str) -> str:
    """Plain name of ``key`` for tables, history and charts (the key itself when unknown)."""
    if key in _NAMES:
        return _NAMES[key]
    entry = info(key)
    return _plain(entry.description) if entry is not None else key


def words(key: str) -> MeasureWords:
    """How ``key`` is said to a coach (see :class:`MeasureWords`)."""
    label = name(key)
    if key.startswith("weight_"):
        return MeasureWords(label, "load share", False)
    sway_like = any(k in key for k in _SWAY_FAMILIES)
    entry = info(key)
    axis = entry.axis if entry is not None else ("ml" if "_ml" in key else "ap" if "_ap" in key else "planar")
    what = _AXIS_WHAT.get(axis, "sway") if sway_like else label.lower()
    return MeasureWords(label, what, sway_like)
