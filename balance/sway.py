"""Sway measures of a centre-of-pressure (CoP) trajectory: the Prieto 1996 set and more.

``measures(cop_ml_mm, cop_ap_mm, fs_hz=...)`` returns every measure by a documented key that carries its
unit (``mean_velocity_mm_s``, ``rms_ml_mm``, ``prediction_ellipse_area_mm2`` ...). The catalogue
:data:`MEASURES` gives, for each key, the unit, a description, the formula and the reference; the app's
data dictionary and reports are generated from it.

Definitions follow ``docs/methods.md`` §1 (Prieto et al. 1996, IEEE TBME 43:956-966, as
transcribed by Jousson 2019 and implemented by Quijoux et al. 2021). Notation: ``ML[n]``, ``AP[n]`` the
CoP with its mean removed, ``n = 1 … N``, sampled at ``fs``; ``RD[n] = √(ML² + AP²)``; trial duration
``T = N/fs`` (the Duarte/Quijoux convention, which reproduces HBEDB ``COPvelo``).

Conventions: ML (mediolateral) is x, positive to the person's right; AP is y, positive forward (ISPGR).
Per-axis keys carry ``_ml`` / ``_ap``; keys without an axis are the planar (resultant) measures.

Groups (``select=`` accepts group names and measure keys; only the groups needed are computed):

``time``      distances, RMS, path length, velocity, range, sway area per second, mean frequency
``area``      95 % confidence circle, confidence ellipse (Prieto), prediction ellipses (Duarte, chi²),
              fractal dimensions
``spectral``  Welch-PSD measures (:mod:`balance.spectral`)
``diffusion`` stabilogram-diffusion analysis (:mod:`balance.diffusion`)
``density``   sway density (:mod:`balance.density`)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from balance import density as _density
from balance import diffusion as _diffusion
from balance import spectral as _spectral
from balance.ellipse import ellipse_scale
from balance.errors import BalanceInputError
from balance.model import MeasureInfo

__all__ = [
    "MeasureInfo",
    "MEASURES",
    "GROUPS",
    "measures",
    "max_distance",
    "Z_95",
]

#: One-sided 95 % normal quantile used by the confidence circle (Prieto: z₀.₀₅ = 1.645), exact value.
Z_95: float = 1.6448536269514722


_PRIETO = "Prieto et al. 1996, IEEE TBME 43:956-966 (docs/methods.md §1.2)"
_PRIETO_F = "Prieto et al. 1996, IEEE TBME 43:956-966 (docs/methods.md §1.3)"
_DUARTE_PSD = "Duarte psd2 / HBEDB BalanceDatasetAnalysis.ipynb (docs/data-formats.md, COPmfreq)"
_CDL = "Collins & De Luca 1993, Exp Brain Res 95:308-318 (docs/methods.md §1.4)"
_BARATTO = "Baratto et al. 2002, Motor Control 6:246-270 (docs/methods.md §1.5)"
_AXIS_NAME = {"ml": "mediolateral", "ap": "anteroposterior", "planar": "resultant (planar)"}


def _catalogue() -> dict[str, MeasureInfo]:
    entries: list[MeasureInfo] = []

    def add(key: str, unit: str, desc: str, formula: str, ref: str, group: str, axis: str) -> None:
        entries.append(MeasureInfo(key, unit, desc, formula, ref, group, axis))

    for ax, sfx, sig, absx in (
        ("planar", "", "RD", "RD[n]"),
        ("ml", "_ml", "ML", "|ML[n]|"),
        ("ap", "_ap", "AP", "|AP[n]|"),
    ):
        name = _AXIS_NAME[ax]
        d = "√(ΔML² + ΔAP²)" if ax == "planar" else f"|Δ{sig}|"
        add(f"mean_distance{sfx}_mm", "mm", f"Mean {name} distance of the CoP from its mean",
            f"(1/N) Σ {absx}", _PRIETO, "time", ax)
        add(f"rms{sfx}_mm", "mm", f"Root-mean-square {name} distance from the mean CoP (= SD for centred data)",
            f"√((1/N) Σ {sig}[n]²)", _PRIETO, "time", ax)
        add(f"path_length{sfx}_mm", "mm", f"Total {name} excursion (path length) of the CoP",
            f"Σ_(n=1)^(N−1) {d}", _PRIETO, "time", ax)
        add(f"mean_velocity{sfx}_mm_s", "mm/s", f"Mean {name} CoP velocity",
            f"path_length{sfx} / T, T = N/fs", _PRIETO + "; T = N/fs as Duarte (HBEDB COPvelo) and Quijoux",
            "time", ax)
        if ax == "planar":
            add("range_mm", "mm", "Largest distance between any two CoP points (2-D range)",
                "max_(i,j) |p_i − p_j| (convex-hull diameter)", _PRIETO, "time", ax)
        else:
            add(f"range{sfx}_mm", "mm", f"{name.capitalize()} range of the CoP", f"max {sig} − min {sig}",
                _PRIETO, "time", ax)
        if ax == "planar":
            add("mean_frequency_hz", "Hz", "Mean frequency: rotations per second of a circle of radius MDIST "
                "travelling the path length", "path_length / (2π · mean_distance · T)", _PRIETO, "time", ax)
        else:
            add(f"mean_frequency{sfx}_hz", "Hz", f"{name.capitalize()} mean frequency of a sinusoid of mean "
                f"amplitude MDIST{sfx} travelling the path", f"path_length{sfx} / (4√2 · mean_distance{sfx} · T)",
                _PRIETO, "time", ax)
    add("sway_area_mm2_s", "mm²/s", "Sway area per second: area swept by the CoP radius vector per unit time",
        "(1/(2T)) Σ_(n=1)^(N−1) |AP[n+1]·ML[n] − AP[n]·ML[n+1]|, T = N/fs", _PRIETO, "time", "planar")
    add("confidence_circle_area_mm2", "mm²", "Area of the 95 % confidence circle of the resultant distance",
        "π (MDIST + z₀.₀₅·SD_RD)², z₀.₀₅ = 1.645, SD_RD = √(RMS² − MDIST²)", _PRIETO, "area", "planar")
    add("confidence_ellipse_area_mm2", "mm²", "Area of Prieto's 95 % confidence ellipse (1/N covariance)",
        "2π F₀.₉₅(2, N−2) √(s_ML² s_AP² − s_MLAP²), 1/N moments", _PRIETO, "area", "planar")
    add("prediction_ellipse_area_mm2", "mm²",
        "Area of the 95 % prediction ellipse, Duarte's F-based formula with the (N−1) covariance "
        "(= HBEDB COParea)",
        "π √(λ₁λ₂) F₀.₉₅(2, N−2) · 2(N−1)(N+1)/(N(N−2)), λ eigenvalues of the (N−1) covariance",
        "Duarte 2015 Gait Posture 41:44-45, hyperellipsoid.py; HBEDB COParea (docs/data-formats.md)", "area",
        "planar")
    add("prediction_ellipse_chi2_area_mm2", "mm²",
        "Area of the 95 % prediction ellipse with the chi-square quantile (large-sample approximation)",
        "π χ²₀.₉₅(2) √(λ₁λ₂), χ²₀.₉₅(2) = 5.991, λ eigenvalues of the (N−1) covariance",
        "Schubert & Kirchner 2014 Gait Posture 39:518-522; docs/methods.md §1.2", "area", "planar")
    add("fractal_dimension_cc", "1", "Fractal dimension with the 95 % confidence-circle diameter",
        "log N / log(N d / path_length), d = 2(MDIST + z₀.₀₅·SD_RD)", _PRIETO, "area", "planar")
    add("fractal_dimension_ce", "1", "Fractal dimension with the 95 % confidence-ellipse diameter",
        "log N / log(N d / path_length), d = √(8 F₀.₉₅(2, N−2) √(s_ML² s_AP² − s_MLAP²)), 1/N moments",
        _PRIETO, "area", "planar")
    add("fractal_dimension_pd", "1", "Fractal dimension with the planar diameter (2-D range)",
        "log N / log(N d / path_length), d = range", _PRIETO, "area", "planar")
    for ax in ("ml", "ap"):
        name = _AXIS_NAME[ax]
        band = "G(f) the Welch PSD (balance.spectral), 0.15–5 Hz band"
        add(f"total_power_{ax}_mm2", "mm²", f"Total power of the {name} CoP in 0.15–5 Hz",
            f"μ₀ = Σ G[m] Δf; {band}", _PRIETO_F, "spectral", ax)
        add(f"power_frequency_50_{ax}_hz", "Hz", f"Frequency below which 50 % of the {name} power lies (0.15–5 Hz)",
            f"smallest f_m with Σ_(k≤m) G[k] ≥ 0.5 μ₀; {band}", _PRIETO_F, "spectral", ax)
        add(f"power_frequency_95_{ax}_hz", "Hz", f"Frequency below which 95 % of the {name} power lies (0.15–5 Hz)",
            f"smallest f_m with Σ_(k≤m) G[k] ≥ 0.95 μ₀; {band}", _PRIETO_F, "spectral", ax)
        add(f"centroidal_frequency_{ax}_hz", "Hz", f"Centroidal frequency of the {name} spectrum (0.15–5 Hz)",
            f"√(μ₂/μ₀), μ_k = Σ f_m^k G[m] Δf; {band}", _PRIETO_F, "spectral", ax)
        add(f"frequency_dispersion_{ax}", "1",
            f"Frequency dispersion of the {name} spectrum: 0 for a pure sine, towards 1 for broadband",
            f"√(1 − μ₁²/(μ₀ μ₂)); {band}", _PRIETO_F, "spectral", ax)
        add(f"mean_power_frequency_{ax}_hz", "Hz", f"Mean power frequency of the {name} CoP, whole spectrum",
            "∫ f G df / ∫ G df over 0…fs/2 (trapezoid rule), G the Welch PSD", _DUARTE_PSD, "spectral", ax)
    add("mean_power_frequency_hz", "Hz", "Power-weighted mean of the ML and AP mean power frequencies "
        "(= HBEDB COPmfreq)", "(mpf_AP ΣG_AP + mpf_ML ΣG_ML) / (ΣG_AP + ΣG_ML)", _DUARTE_PSD, "spectral", "planar")
    for ax, sfx in (("planar", ""), ("ml", "_ml"), ("ap", "_ap")):
        name = _AXIS_NAME[ax]
        conv = (" (Collins & De Luca's convention ⟨Δr²⟩ = 2·D_r·Δt, so D_r = D_ml + D_ap; not the 2-D Einstein "
                "⟨Δr²⟩ = 4DΔt)") if ax == "planar" else f" (⟨Δx²⟩ = 2·D·Δt along the {name} axis)"
        add(f"diffusion_short{sfx}_mm2_s", "mm²/s", f"Short-term {name} diffusion coefficient{conv}",
            "slope of the linear MSD fit below the critical point / 2", _CDL, "diffusion", ax)
        add(f"diffusion_long{sfx}_mm2_s", "mm²/s", f"Long-term {name} diffusion coefficient{conv}",
            "slope of the linear MSD fit above the critical point / 2", _CDL, "diffusion", ax)
        add(f"scaling_exponent_short{sfx}", "1", f"Short-term {name} scaling exponent H (> 0.5 persistent)",
            "half the slope of the log-log MSD fit below the break", _CDL, "diffusion", ax)
        add(f"scaling_exponent_long{sfx}", "1", f"Long-term {name} scaling exponent H (< 0.5 anti-persistent)",
            "half the slope of the log-log MSD fit above the break", _CDL, "diffusion", ax)
        add(f"critical_time{sfx}_s", "s", f"Critical time interval of the {name} diffusion plot",
            "Δt where the short- and long-term linear fits intersect", _CDL, "diffusion", ax)
        add(f"critical_msd{sfx}_mm2", "mm²", f"Mean-square displacement at the {name} critical point",
            "short-term linear fit evaluated at critical_time", _CDL, "diffusion", ax)
    add("sway_density_mean_peak_s", "s", "Mean height of the sway-density peaks: time the CoP stays within "
        "3 mm during its stable phases", "mean of the local maxima of the 2.5 Hz low-passed sway-density curve",
        _BARATTO, "density", "planar")
    add("sway_density_mean_distance_mm", "mm", "Mean distance between the CoP positions of successive "
        "sway-density peaks", "mean |p(peak_(k+1)) − p(peak_k)|", _BARATTO, "density", "planar")
    add("sway_density_mean_interval_s", "s", "Mean time between successive sway-density peaks",
        "mean (t(peak_(k+1)) − t(peak_k))", _BARATTO, "density", "planar")
    return {e.key: e for e in entries}


#: The measure catalogue: key -> :class:`MeasureInfo`, in output order.
MEASURES: dict[str, MeasureInfo] = _catalogue()

#: Group name -> keys of that group, in catalogue order.
GROUPS: dict[str, tuple[str, ...]] = {
    g: tuple(k for k, v in MEASURES.items() if v.group == g)
    for g in ("time", "area", "spectral", "diffusion", "density")
}


def max_distance(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Largest distance between any two points (the diameter of the point set), exact, without N² pairs.

    A lower bound ``L`` is the largest distance between the 8 extreme points (in x, y, x+y, x−y). A
    diameter endpoint ``p`` lies at distance ``D >= L`` from the other endpoint, which is inside the
    bounding box, so the box corner farthest from ``p`` is at least ``L`` away. Only the points passing
    that test (a few dozen for CoP data) are compared pairwise. When too many pass (points near a circle)
    the diameter is taken over the antipodal vertex pairs of the convex hull of those points instead
    (:func:`_hull_diameter`, O(N log N)). This is also the 2-D range of :func:`balance.quijoux.range_2d`.

    Parameters
    ----------
    x, y : ndarray, shape (N,)
        Point coordinates (mm, or any length unit: the result has the same unit).

    Returns
    -------
    float
        Diameter (mm); 0 for fewer than two points.
    """
    n = x.shape[0]
    if n < 2:
        return 0.0
    s = x + y
    d = x - y
    ext = np.array([np.argmin(x), np.argmax(x), np.argmin(y), np.argmax(y), np.argmin(s), np.argmax(s), np.argmin(d), np.argmax(d)])
    ex, ey = x[ext], y[ext]
    lower2 = float(((ex[:, None] - ex[None, :]) ** 2 + (ey[:, None] - ey[None, :]) ** 2).max())
    fx = np.maximum(np.max(x) - x, x - np.min(x))
    fy = np.maximum(np.max(y) - y, y - np.min(y))
    keep = np.flatnonzero(fx * fx + fy * fy >= lower2 * (1.0 - 1e-9))  # margin for rounding: never drops an endpoint
    if keep.size <= _PAIRWISE_MAX:
        kx, ky = x[keep], y[keep]
        return float(np.sqrt(max(np.max((kx[:, None] - kx[None, :]) ** 2 + (ky[:, None] - ky[None, :]) ** 2), lower2)))
    return _hull_diameter(x[keep], y[keep])  # both endpoints of a diameter pass the test


_PAIRWISE_MAX = 256


def _hull_diameter(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Diameter over the antipodal vertex pairs of the convex hull (Qhull), O(N log N).

    The farthest pair is a pair of antipodal vertices of the convex hull. For each hull edge,
    the vertex farthest from it is found by binary search on the edge angles; every
    antipodal pair is among (edge end, that vertex or its neighbours), so O(H) distances are
    computed instead of H². Above 1000 points, those strictly inside the octagon of extreme
    points are dropped first (:func:`_drop_interior`). Collinear, coincident or fewer than 3
    points: the largest distance from the lexicographically smallest point (an extreme one).
    """
    from scipy.spatial import ConvexHull, QhullError

    p = np.column_stack([x, y])

    def dist(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        d = a - b
        return np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1])

    if p.shape[0] > 1000:  # pays off only for large sets
        p = _drop_interior(p)
    try:
        hull = ConvexHull(p)
    except (QhullError, ValueError):
        # fewer than 3 points, or all collinear/coincident: the extremes are the
        # lexicographically smallest and largest points
        order = np.lexsort((p[:, 1], p[:, 0]))
        return float(np.max(dist(p, p[order[0]])))
    v = p[hull.vertices]  # counter-clockwise
    h = v.shape[0]
    edges = np.roll(v, -1, axis=0) - v  # edge k goes from v[k] to v[k+1]
    ang = np.unwrap(np.arctan2(edges[:, 1], edges[:, 0]))
    ang = ang - ang[0]
    # Edge angles increase by 2*pi around a CCW polygon, and vertex j is the farthest point in
    # the directions between the outward normals of edges j-1 and j. The vertex farthest
    # behind edge k (the support point of the inward normal) therefore sits where ang[k] + pi
    # falls among the edge angles.
    ext = np.concatenate([ang - 2 * np.pi, ang, ang + 2 * np.pi])
    j = (np.searchsorted(ext, ang + np.pi) - h) % h
    k = np.arange(h)
    cand = np.stack([(j - 1) % h, j, (j + 1) % h], axis=1)  # (h, 3)
    d1 = dist(v[k][:, None, :], v[cand])
    d2 = dist(v[(k + 1) % h][:, None, :], v[cand])
    return float(max(np.max(d1), np.max(d2)))


def _drop_interior(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Drop the points strictly inside the octagon of extreme points (Akl & Toussaint 1978).

    The octagon's corners are the extreme points along x, y, x + y and x - y, in
    counter-clockwise order; no point strictly inside it can be a hull vertex.
    """
    x, y = p[:, 0], p[:, 1]
    s, d = x + y, x - y
    corners = [np.argmin(y), np.argmax(d), np.argmax(x), np.argmax(s),
               np.argmax(y), np.argmin(d), np.argmin(x), np.argmin(s)]
    poly = p[corners]
    keep_corner = np.any(poly != np.roll(poly, 1, axis=0), axis=1)  # drop repeated corners
    poly = poly[keep_corner]
    if poly.shape[0] < 3:
        return p
    a = poly
    e = np.roll(poly, -1, axis=0) - poly  # edges a -> b
    # points well inside the circle inscribed about the corners' centroid are interior
    # (a cheap first cut); the others get the exact edge test
    c = poly.mean(axis=0)
    r_in = np.min((e[:, 0] * (c[1] - a[:, 1]) - e[:, 1] * (c[0] - a[:, 0])) / np.hypot(e[:, 0], e[:, 1]))
    if r_in > 0:
        dxc, dyc = x - c[0], y - c[1]
        cand = np.flatnonzero(dxc * dxc + dyc * dyc >= (0.999 * r_in) ** 2)
    else:
        cand = np.arange(p.shape[0])
    pc = p[cand]
    cross = e[:, 0] * (pc[:, 1:2] - a[:, 1]) - e[:, 1] * (pc[:, 0:1] - a[:, 0])  # (M, corners)
    return np.asarray(pc[~np.all(cross > 0, axis=1)], dtype=np.float64)


def _as_cop(cop_ml_mm: ArrayLike, cop_ap_mm: ArrayLike, fs_hz: float) -> tuple[NDArray[np.float64], ...]:
    ml = np.asarray(cop_ml_mm, dtype=np.float64)
    ap = np.asarray(cop_ap_mm, dtype=np.float64)
    if ml.ndim != 1 or ap.ndim != 1 or ml.shape != ap.shape:
        raise BalanceInputError(
            f"cop_ml_mm and cop_ap_mm must be 1-D arrays of equal length, got shapes {ml.shape} and {ap.shape}: "
            "pass one sample per element"
        )
    if not (isinstance(fs_hz, (int, float, np.floating, np.integer)) and np.isfinite(fs_hz) and fs_hz > 0):
        raise BalanceInputError(f"fs_hz={fs_hz!r} must be a positive sampling rate in Hz")
    n = ml.shape[0]
    if n < 16:
        raise BalanceInputError(
            f"the CoP has {n} samples; at least 16 are needed for the sway measures: record a longer trial"
        )
    bad = ~(np.isfinite(ml) & np.isfinite(ap))
    if bad.any():
        first = int(np.argmax(bad))
        raise BalanceInputError(
            f"the CoP has {int(bad.sum())} NaN/inf samples (first at index {first}): the measures need a "
            "gap-free uniform signal; resample with balance.pipeline.analyze or cut the invalid part"
        )
    ml = ml - ml.mean()
    ap = ap - ap.mean()
    if not (np.ptp(ml) > 0 or np.ptp(ap) > 0):
        raise BalanceInputError(
            "the CoP is constant (no sway at all): check that someone stood on the board and that the "
            "recording holds CoP, not a constant placeholder"
        )
    return ml, ap


def _resolve(select: Iterable[str] | None) -> tuple[set[str], set[str] | None]:
    if select is None:
        return set(GROUPS), None
    if isinstance(select, str):
        select = [select]
    groups: set[str] = set()
    keys: set[str] = set()
    for s in select:
        if s in GROUPS:
            groups.add(s)
            keys.update(GROUPS[s])
        elif s in MEASURES:
            groups.add(MEASURES[s].group)
            keys.add(s)
        else:
            raise ValueError(
                f"unknown measure or group {s!r}: use a key of balance.sway.MEASURES or one of {sorted(GROUPS)}"
            )
    return groups, keys


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def _fd(n: int, d: float, path: float) -> float:
    # log N / log(N d / path); undefined (NaN) when the argument of the log is not > 1.
    if not (d > 0 and path > 0):
        return float("nan")
    arg = n * d / path
    return float(np.log(n) / np.log(arg)) if arg > 1 else float("nan")


def measures(
    cop_ml_mm: ArrayLike,
    cop_ap_mm: ArrayLike,
    *,
    fs_hz: float,
    select: Iterable[str] | None = None,
    band_hz: tuple[float, float] = _spectral.DEFAULT_BAND_HZ,
    diffusion_max_lag_s: float = _diffusion.DEFAULT_MAX_LAG_S,
    diffusion_break_range_s: tuple[float, float] = _diffusion.DEFAULT_BREAK_RANGE_S,
    sway_density_radius_mm: float = _density.DEFAULT_RADIUS_MM,
    sway_density_cutoff_hz: float = _density.DEFAULT_CUTOFF_HZ,
) -> dict[str, float]:
    """All sway measures of a uniformly sampled CoP trajectory.

    Parameters
    ----------
    cop_ml_mm, cop_ap_mm : array_like, shape (N,)
        CoP, mediolateral (+ right) and anteroposterior (+ forward), in mm, uniformly sampled, no NaN,
        at least 16 samples. Any offset is removed here (the measures are translation invariant).
    fs_hz : float
        Sampling rate (Hz).
    select : iterable of str, optional
        Measure keys and/or group names (``"time"``, ``"area"``, ``"spectral"``, ``"diffusion"``,
        ``"density"``); only the groups needed are computed and only the named keys returned.
        Default: everything.
    band_hz : (float, float), optional
        Band of the Prieto spectral measures (Hz), default 0.15–5 Hz.
    diffusion_max_lag_s, diffusion_break_range_s : optional
        Stabilogram-diffusion settings (:func:`balance.diffusion.diffusion_measures`).
    sway_density_radius_mm, sway_density_cutoff_hz : float, optional
        Sway-density circle radius (mm, default 3) and curve low-pass (Hz, default 2.5); the
        low-pass needs ``fs_hz > 2 * sway_density_cutoff_hz``, below that the sway-density measures
        are NaN.

    Returns
    -------
    dict of str to float
        Measures keyed as in :data:`MEASURES` (units in the keys), in catalogue order. Measures that are
        undefined for the input are NaN: ratios such as the AP mean frequency of a purely ML movement,
        spectral measures when no PSD bin falls in the band, diffusion measures when the record is too
        short for a break search in ``diffusion_break_range_s`` (about 8 s at the defaults), sway
        density at rates of 5 Hz or less.

    Raises
    ------
    BalanceInputError
        Arrays of different shapes, fewer than 16 samples, NaN/inf, a constant CoP, a bad ``fs_hz``.
    ValueError
        An unknown key or group in ``select``.
    """
    ml, ap = _as_cop(cop_ml_mm, cop_ap_mm, fs_hz)
    groups, keys = _resolve(select)
    n = ml.shape[0]
    fs = float(fs_hz)
    t_total = n / fs
    out: dict[str, float] = {}

    need_time = bool(groups & {"time", "area"})
    if need_time:
        rd = np.sqrt(ml * ml + ap * ap)
        dml = np.diff(ml)
        dap = np.diff(ap)
        mdist = float(rd.mean())
        mdist_ml = float(np.abs(ml).mean())
        mdist_ap = float(np.abs(ap).mean())
        sxx = float(ml @ ml) / n
        syy = float(ap @ ap) / n
        sxy = float(ml @ ap) / n
        rms = np.sqrt(sxx + syy)
        path = float(np.sqrt(dml * dml + dap * dap).sum())
        path_ml = float(np.abs(dml).sum())
        path_ap = float(np.abs(dap).sum())
        sd_rd = float(np.sqrt(max(sxx + syy - mdist * mdist, 0.0)))
        wants_range = keys is None or bool(keys & {"range_mm", "fractal_dimension_pd"})
        rng = max_distance(ml, ap) if wants_range else float("nan")
    if "time" in groups:
        out.update(
            {
                "mean_distance_mm": mdist,
                "rms_mm": float(rms),
                "path_length_mm": path,
                "mean_velocity_mm_s": path / t_total,
                "range_mm": rng,
                "mean_frequency_hz": _ratio(path, 2.0 * np.pi * mdist * t_total),
                "mean_distance_ml_mm": mdist_ml,
                "rms_ml_mm": float(np.sqrt(sxx)),
                "path_length_ml_mm": path_ml,
                "mean_velocity_ml_mm_s": path_ml / t_total,
                "range_ml_mm": float(np.max(ml) - np.min(ml)),
                "mean_frequency_ml_hz": _ratio(path_ml, 4.0 * np.sqrt(2.0) * mdist_ml * t_total),
                "mean_distance_ap_mm": mdist_ap,
                "rms_ap_mm": float(np.sqrt(syy)),
                "path_length_ap_mm": path_ap,
                "mean_velocity_ap_mm_s": path_ap / t_total,
                "range_ap_mm": float(np.max(ap) - np.min(ap)),
                "mean_frequency_ap_hz": _ratio(path_ap, 4.0 * np.sqrt(2.0) * mdist_ap * t_total),
                "sway_area_mm2_s": float(np.abs(ap[1:] * ml[:-1] - ap[:-1] * ml[1:]).sum()) / (2.0 * t_total),
            }
        )
    if "area" in groups:
        det1 = max(sxx * syy - sxy * sxy, 0.0)  # 1/N moments
        k = n / (n - 1.0)
        det_unbiased = det1 * k * k  # (N-1) covariance
        f2 = ellipse_scale(n, variant="prieto")  # = 2 F(2, N-2)
        d_cc = 2.0 * (mdist + Z_95 * sd_rd)
        d_ce = float(np.sqrt(4.0 * f2 * np.sqrt(det1)))  # √(8 F √det)
        out.update(
            {
                "confidence_circle_area_mm2": float(np.pi * (mdist + Z_95 * sd_rd) ** 2),
                "confidence_ellipse_area_mm2": float(np.pi * f2 * np.sqrt(det1)),
                "prediction_ellipse_area_mm2": float(
                    np.pi * ellipse_scale(n, variant="duarte") * np.sqrt(det_unbiased)
                ),
                "prediction_ellipse_chi2_area_mm2": float(
                    np.pi * ellipse_scale(n, variant="chi2") * np.sqrt(det_unbiased)
                ),
                "fractal_dimension_cc": _fd(n, d_cc, path),
                "fractal_dimension_ce": _fd(n, d_ce, path),
                "fractal_dimension_pd": _fd(n, rng, path),
            }
        )
    if "spectral" in groups:
        f_hz, psd = _spectral.welch_psd(np.vstack([ml, ap]), fs_hz=fs)
        out.update(_spectral.spectral_measures(f_hz, psd[0], psd[1], band_hz=band_hz))
    if "diffusion" in groups:
        out.update(
            _diffusion.diffusion_measures(
                ml, ap, fs_hz=fs, max_lag_s=diffusion_max_lag_s, break_range_s=diffusion_break_range_s
            )
        )
    if "density" in groups:
        if fs > 2.0 * sway_density_cutoff_hz:
            out.update(
                _density.sway_density_measures(
                    ml, ap, fs_hz=fs, radius_mm=sway_density_radius_mm, cutoff_hz=sway_density_cutoff_hz
                )
            )
        else:  # the curve's low-pass is undefined at this rate (cut-off not below Nyquist)
            out.update(dict.fromkeys(GROUPS["density"], float("nan")))
    order = [k for k in MEASURES if k in out and (keys is None or k in keys)]
    return {k: out[k] for k in order}
