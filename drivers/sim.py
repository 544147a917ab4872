"""A simulated Wii Balance Board with a simulated person on it (registry name ``sim``).

The embedded default when no hardware is attached, and the board the test protocols run on in
``balance demo``. It is a real backend (python-can ``VirtualBus`` style): the same
:class:`~drivers.base.Board` interface, the board's real timing and resolution, seeded and
reproducible.

What is simulated
-----------------
Timing (``docs/wii-balance-board.md`` §4)
    Reports at ~100/s on the board clock, stamped on arrival at the host with a small latency and
    occasional Bluetooth bursts (arrival times strictly increasing, jittered). The load cells are
    sampled at ~63 Hz, slower than the reports, so ~37 % of reports repeat the previous values
    exactly (flagged :attr:`~drivers.base.SampleFlag.DUPLICATE`), in runs of 1-2. With
    ``timing="polled"`` the board is read like the recorders that poll it at 40 Hz (13-37 ms apart)
    instead, with Bluetooth drop-outs of 0.1-0.5 s about every 10 s.
Resolution
    Corner loads are quantised to 10 g (``docs/wii-balance-board.md`` §3.1: "about 10 g per count"),
    with a little sensor noise (a few grams) before quantisation.
The person
    A :class:`SimulatedPerson` of ``mass_kg`` who stands off the board, on both feet, or on the
    left or right foot (the stance foot off-centre: left foot at ML ≈ -100 mm, right at +100 mm),
    changes stance smoothly (0.3-0.5 s, like stepping on or lifting a foot), touches down with the
    free foot (total load on the board drops by 10-40 % of body weight), hops, steps off, and
    obeys cues (``"step_on_both"``, ``"stand_left"``, ``"stand_right"``, ``"step_off"``,
    ``"rest"``) after a human reaction delay of 0.5-1.5 s.
Sway
    Each axis is the sum of two damped linear oscillators driven by white noise — the linearised
    inverted pendulum under noisy PD (stiffness/damping) feedback, a slow "CoM drift" mode and a
    faster corrective mode. (Feedback delay is not modelled explicitly; the fast mode's
    under-damping stands in for it.) The variances of the two modes are solved analytically so
    that the CoP RMS and mean speed per axis match the targets:

    * single-leg stance (``docs/methods.md`` §4.3, measured WBB single-leg values, which are values
      after preprocessing: the person generates :data:`SINGLE_LEG_SWAY_RAW`, calibrated so that the
      output after the default ``balance.pipeline.analyze`` matches :data:`SINGLE_LEG_SWAY`): total CoP
      speed ≈ 35 mm/s, ML speed ≈ 28 mm/s > AP speed ≈ 20 mm/s (ratio ≈ 1.4), RMS_ML ≈ 5.5 mm;
      RMS_AP ≈ 7 mm so that the 95 % ellipse is ≈ 7 cm² (§4.3: 7-12 cm²);
    * bipedal quiet stance (``docs/methods.md`` §4.3, HBEDB): total speed ≈ 9 mm/s with AP speed >
      ML speed, RMS_AP ≈ 2 × RMS_ML.

    ``ml_sway_ratio_right_over_left`` scales the ML sway (RMS and speed) of the right-leg stance
    relative to the left.

    With the eyes closed (the ``"eyes_closed"`` cue) the sway is scaled by
    :data:`EYES_CLOSED_SWAY_SCALE`: ×1.1 in bipedal stance (HBEDB medians, firm surface: 0.90 →
    0.99 cm/s, ``docs/methods.md`` §4.3) and ×2 on one leg (an order of magnitude: eyes-closed
    unipedal stance times fall to about a third of eyes-open ones, §4.2; not a published sway ratio).

Samples are generated in vectorised chunks; ten simulated minutes take well under a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from balance.cop import WII_BALANCE_BOARD
from drivers.base import Board, BoardInfo, CueableBoard, Sample, SampleFlag
from drivers.errors import BoardDisconnected

__all__ = [
    "SimulatedBoard",
    "SimulatedPerson",
    "SwayTargets",
    "SampleArrays",
    "STANCES",
    "CUES",
    "SINGLE_LEG_SWAY",
    "SINGLE_LEG_SWAY_RAW",
    "BIPEDAL_SWAY",
    "REPORT_RATE_HZ",
    "ADC_RATE_HZ",
    "POLL_RATE_HZ",
    "TIMINGS",
]

Stance = Literal["off", "both", "left", "right"]
STANCES: tuple[str, ...] = ("off", "both", "left", "right")
#: Cue -> stance the person takes.
CUES: dict[str, str] = {
    "step_on_both": "both",
    "stand_left": "left",
    "stand_right": "right",
    "step_off": "off",
    "rest": "both",
    "squat": "both",  # bodyweight squats on both feet (the squat-symmetry protocol)
    "eyes_closed": "",  # close the eyes where one stands (stance unchanged); any stance cue opens them
}

#: Sway multipliers with the eyes closed: (bipedal, single-leg); see the module docstring.
EYES_CLOSED_SWAY_SCALE: tuple[float, float] = (1.1, 2.0)

#: Standard gravity (m/s²), for the load of a squatting person: m·(g + z'').
G_M_S2 = 9.80665

#: Reports per second on a PC (``docs/wii-balance-board.md`` §0 and §4: ~100 reports/s).
REPORT_RATE_HZ = 100.0
#: Poll rate of the "polled" timing (Hz): recorders that poll the board at a fixed interval (25 ms in the
#: Vredeveld recorder's example, docs/methods.md §3.1) instead of reading every HID report.
POLL_RATE_HZ = 40.0
#: Bluetooth drop-outs of the polled timing: how many per second, and the longest (s); WBB gaps reach
#: ~0.55 s (docs/methods.md §0, §3.1).
POLL_DROPOUT_PER_S = 0.1
POLL_DROPOUT_MAX_S = 0.5
#: Report timings: ``"hid"`` every HID report (~100/s, duplicates), ``"polled"`` 40 Hz with drop-outs.
TIMINGS: tuple[str, ...] = ("hid", "polled")
#: Distinct load-cell samples per second (``docs/wii-balance-board.md`` §4: ~63 distinct samples/s).
ADC_RATE_HZ = 63.0
#: Load resolution (kg): ~10 g per count (``docs/wii-balance-board.md`` §3.1).
QUANTUM_KG = 0.01
#: Where the stance foot's CoP sits on the board, ML (mm): the foot is off-centre.
FOOT_ML_MM = 100.0


@dataclass(frozen=True)
class SwayTargets:
    """Target CoP sway for one stance, per axis.

    Attributes
    ----------
    rms_ml_mm, rms_ap_mm : float
        Root-mean-square CoP distance from its mean (mm).
    speed_ml_mm_s, speed_ap_mm_s : float
        Mean absolute CoP velocity along the axis (mm/s).
    """

    rms_ml_mm: float
    rms_ap_mm: float
    speed_ml_mm_s: float
    speed_ap_mm_s: float


#: Single-leg stance: docs/methods.md §4.3 (ML speed 2.6-3.0 cm/s, AP 1.9-2.1 cm/s, RMS_ML 0.51-0.68 cm,
#: ellipse 7-12 cm²).
#: These are values *after* preprocessing (the real ones were measured through SWARII and a 10 Hz low-pass);
#: the simulated person is driven by :data:`SINGLE_LEG_SWAY_RAW` so that its output after the default
#: pipeline matches them (``tests/drivers/test_sim_calibration.py``).
SINGLE_LEG_SWAY = SwayTargets(rms_ml_mm=5.5, rms_ap_mm=7.0, speed_ml_mm_s=28.0, speed_ap_mm_s=20.0)
#: The sway the simulated person generates on one leg (raw, at the load cells' 63 Hz): calibrated (issue 10)
#: so that a 30 s stance recorded with the 40 Hz polled timing (as the real values were, docs/methods.md
#: §4.3) and analysed with the default ``balance.pipeline.analyze`` gives :data:`SINGLE_LEG_SWAY` (mean of 20
#: simulated stances: ML/AP speed within 2 %, RMS within 8 %; the HID timing gives the same within 6 %).
#: The pipeline's smoothing and the 30 s mean removal take ~9 % of the ML speed and ~10 % of the RMS.
SINGLE_LEG_SWAY_RAW = SwayTargets(rms_ml_mm=6.13, rms_ap_mm=7.62, speed_ml_mm_s=30.87, speed_ap_mm_s=22.27)
#: Bipedal quiet stance: docs/methods.md §4.3 (HBEDB median speed 0.90 cm/s; RMS_AP 1.8-2.2 x RMS_ML;
#: AP speed > ML speed). The stationary RMS_ML is set to 2.9 mm so that the RMS about the mean of a 30 s
#: trial is ~2.5 mm (the slow ML drift loses variance to the mean removal in a finite window).
BIPEDAL_SWAY = SwayTargets(rms_ml_mm=2.9, rms_ap_mm=5.0, speed_ml_mm_s=4.5, speed_ap_mm_s=6.5)

# The two oscillator modes of every axis: (natural frequency Hz, damping ratio).
_SLOW_MODE = (0.12, 0.7)
_FAST_MODE = (1.8, 0.35)


def _ar2(f_hz: float, zeta: float, dt_s: float) -> tuple[float, float, float, float]:
    """AR(2) coefficients of a damped oscillator sampled every ``dt_s``; unit-innovation variance and lag-1 corr."""
    w = 2.0 * math.pi * f_hz
    r = math.exp(-zeta * w * dt_s)
    theta = w * math.sqrt(max(1.0 - zeta * zeta, 1e-9)) * dt_s
    phi1 = 2.0 * r * math.cos(theta)
    phi2 = -r * r
    gamma0 = (1.0 - phi2) / ((1.0 + phi2) * ((1.0 - phi2) ** 2 - phi1**2))
    rho1 = phi1 / (1.0 - phi2)
    return phi1, phi2, gamma0, rho1


def _solve_mode_variances(rms_mm: float, speed_mm_s: float, dt_s: float) -> tuple[float, float]:
    """Variances (mm²) of the slow and fast modes that give the target RMS and mean |velocity|.

    For a Gaussian process sampled every ``dt``, mean |Δx|/dt = sqrt(2/π)·sd(Δx)/dt and
    var(Δx) = Σ 2·var_m·(1 − ρ1_m) over modes; with var(x) = Σ var_m this is linear in var_m.
    """
    _, _, _, rho_s = _ar2(*_SLOW_MODE, dt_s)
    _, _, _, rho_f = _ar2(*_FAST_MODE, dt_s)
    var_x = rms_mm**2
    sd_dx = speed_mm_s * dt_s / math.sqrt(2.0 / math.pi)
    var_dx = sd_dx**2
    # var_s + var_f = var_x ; 2(1-rho_s) var_s + 2(1-rho_f) var_f = var_dx
    a_s, a_f = 2.0 * (1.0 - rho_s), 2.0 * (1.0 - rho_f)
    var_f = (var_dx - a_s * var_x) / (a_f - a_s)
    var_s = var_x - var_f
    if var_f < 0 or var_s < 0:
        raise ValueError(
            f"sway targets rms={rms_mm} mm, speed={speed_mm_s} mm/s cannot be reached with modes "
            f"{_SLOW_MODE} and {_FAST_MODE} Hz/damping; choose a speed between "
            f"{math.sqrt(2 / math.pi) * math.sqrt(a_s * var_x) / dt_s:.1f} and "
            f"{math.sqrt(2 / math.pi) * math.sqrt(a_f * var_x) / dt_s:.1f} mm/s"
        )
    return var_s, var_f


def _ar2_filter(e: NDArray[np.float64], p: complex, y_prev: complex) -> tuple[NDArray[np.float64], complex]:
    """Run the AR(2) ``x_n = 2Re(p) x_(n-1) - |p|^2 x_(n-2) + e_n`` (poles ``p``, ``conj(p)``) over ``e``.

    Vectorised through the complex first-order recursion ``y_n = p·y_(n-1) + e_n``, of which
    ``x_n = Im(p·y_n)/Im(p)``; blocks of at most 128 samples keep ``|p|^-n`` small. Returns ``x`` and
    the new state ``y``.
    """
    out = np.empty(e.size)
    for lo in range(0, e.size, 128):
        blk = e[lo : lo + 128]
        pw = p ** np.arange(blk.size)
        y = pw * (p * y_prev + np.cumsum(blk / pw))
        out[lo : lo + blk.size] = (p * y).imag / p.imag
        y_prev = complex(y[-1])
    return out, y_prev


class _Sway:
    """Two-axis, two-mode sway process sampled at the ADC ticks (stateful across chunks)."""

    def __init__(self, targets: SwayTargets, rng: np.random.Generator, *, dt_s: float) -> None:
        self._rng = rng
        self._filters: list[tuple[complex, float, complex]] = []
        for rms, speed in ((targets.rms_ml_mm, targets.speed_ml_mm_s), (targets.rms_ap_mm, targets.speed_ap_mm_s)):
            var_s, var_f = _solve_mode_variances(rms, speed, dt_s)
            for (f_hz, zeta), var in ((_SLOW_MODE, var_s), (_FAST_MODE, var_f)):
                _, _, gamma0, _ = _ar2(f_hz, zeta, dt_s)
                w = 2.0 * math.pi * f_hz
                pole = complex(math.exp(-zeta * w * dt_s) * math.cos(w * math.sqrt(1 - zeta * zeta) * dt_s),
                               math.exp(-zeta * w * dt_s) * math.sin(w * math.sqrt(1 - zeta * zeta) * dt_s))  # fmt: skip
                scale = math.sqrt(var / gamma0)
                # Start in the stationary distribution: a burn-in of several time constants.
                burn = int(10.0 / (zeta * 2 * math.pi * f_hz) / dt_s) + 10
                _, state = _ar2_filter(rng.standard_normal(burn) * scale, pole, 0j)
                self._filters.append((pole, scale, state))

    def next(self, n: int) -> NDArray[np.float64]:
        """The next ``n`` ticks, shape (n, 2): ML, AP (mm)."""
        out = np.zeros((n, 2))
        if n == 0:
            return out
        for i, (pole, scale, state) in enumerate(self._filters):
            y, state = _ar2_filter(self._rng.standard_normal(n) * scale, pole, state)
            self._filters[i] = (pole, scale, state)
            out[:, i // 2] += y
        return out


def _smooth(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cosine ramp 0→1 for u in [0, 1] (clipped)."""
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


#: SampleFlag objects by value, so reading does not build them sample by sample.
_FLAGS: tuple[SampleFlag, ...] = tuple(SampleFlag(i) for i in range(16))
_EMPTY_RENDER: dict[str, Any] = {
    "n": 0, "t": np.empty(0), "c": np.empty((0, 4)), "b": np.empty(0, bool), "f": np.empty(0, np.int64),
    "tl": [], "cl": [], "bl": [], "fl": [],
}  # fmt: skip

# State vector of the person: load fraction, base ML, base AP, weight of bipedal sway, of left, of right.
_STATE_OFF = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class _Keyframe:
    t_s: float
    duration_s: float
    target: NDArray[np.float64]


@dataclass
class _Transient:
    kind: str
    t_s: float
    duration_s: float
    params: dict[str, float] = field(default_factory=dict)


class SimulatedPerson:
    """A person on the simulated board: stance, transitions, touch-downs, hops and cues.

    All times ``at_s`` are on the board's sample clock (the ``t_s`` of the samples; see
    :attr:`SimulatedBoard.now_s`); ``at_s=None`` means now.

    Parameters
    ----------
    mass_kg : float
        Body mass (kg).
    stance : {"off", "both", "left", "right"}
        Where the person starts.
    seed : int
        Seed of the person's choices (reaction delays, foot placement, touch-down depth).
    auto_follow : bool
        Obey cues given with :meth:`cue` (after a reaction delay).
    squat_reps : int
        Squats done on the ``"squat"`` cue.
    squat_offload_ml_mm : float
        Sideways shift (mm, + right) of the CoP while squatting: a person who offloads the left
        leg shifts right (with feet at ±100 mm, +20 mm puts 40 % of the load on the left foot).
    """

    def __init__(
        self,
        *,
        mass_kg: float = 70.0,
        stance: Stance = "both",
        seed: int = 0,
        auto_follow: bool = True,
        squat_reps: int = 5,
        squat_offload_ml_mm: float = 0.0,
    ) -> None:
        if not (mass_kg > 0 and math.isfinite(mass_kg)):
            raise ValueError(f"mass_kg={mass_kg} must be a positive number of kilograms")
        if stance not in STANCES:
            raise ValueError(f"stance={stance!r} is not one of {STANCES}")
        if not (int(squat_reps) >= 1):
            raise ValueError(f"squat_reps={squat_reps} must be at least 1")
        self.mass_kg = float(mass_kg)
        self.auto_follow = auto_follow
        self.squat_reps = int(squat_reps)
        self.squat_offload_ml_mm = float(squat_offload_ml_mm)
        #: Planned squat sets: start_s, reps, period_s, depth_m, ml_shift_mm.
        self.squats: list[dict[str, float]] = []
        #: (t_s, closed) eye changes, in time order.
        self._eyes: list[tuple[float, bool]] = []
        self._rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
        self._initial = np.asarray(self._state_for(stance, jitter=False), dtype=np.float64)
        self._keyframes: list[_Keyframe] = []
        self._starts_cache: NDArray[np.float64] | None = None
        self._transients: list[_Transient] = []
        self._target_stance: str = stance
        self.clock: Callable[[], float] = lambda: 0.0
        self._listeners: list[Callable[[float], None]] = []
        #: (t_s, instruction) of every cue received.
        self.cues: list[tuple[float, str]] = []
        #: When the reaction to the latest cue starts (s).
        self._last_reaction_s = -math.inf
        #: (t_s, event, detail) of everything the person did, for tests and demos.
        self.events: list[tuple[float, str, dict[str, Any]]] = []

    # -- state -----------------------------------------------------------------------------------
    def _state_for(self, stance: str, *, jitter: bool = True) -> tuple[float, ...]:
        dx, dy = (self._rng.normal(0.0, 6.0), self._rng.normal(0.0, 6.0)) if jitter else (0.0, 0.0)
        if stance == "off":
            return _STATE_OFF
        if stance == "both":
            return (1.0, dx * 0.5, dy * 0.5, 1.0, 0.0, 0.0)
        if stance == "left":
            return (1.0, -FOOT_ML_MM + dx, dy, 0.0, 1.0, 0.0)
        return (1.0, FOOT_ML_MM + dx, dy, 0.0, 0.0, 1.0)

    @property
    def stance(self) -> str:
        """The stance the person is in or moving to."""
        return self._target_stance

    def _now(self, at_s: float | None) -> float:
        return float(self.clock()) if at_s is None else float(at_s)

    def _changed(self, t_s: float) -> None:
        for cb in self._listeners:
            cb(t_s)

    def _add_keyframe(self, t_s: float, duration_s: float, target: Sequence[float]) -> None:
        self._keyframes.append(_Keyframe(t_s, duration_s, np.asarray(target, dtype=np.float64)))
        self._keyframes.sort(key=lambda k: k.t_s)
        self._starts_cache = None

    # -- actions ---------------------------------------------------------------------------------
    def set_stance(self, stance: Stance, *, at_s: float | None = None, duration_s: float | None = None) -> None:
        """Move to ``stance`` starting at ``at_s`` (s), smoothly over ``duration_s`` (default 0.3-0.5 s)."""
        if stance not in STANCES:
            raise ValueError(f"stance={stance!r} is not one of {STANCES}")
        t = self._now(at_s)
        dur = float(self._rng.uniform(0.3, 0.5)) if duration_s is None else float(duration_s)
        self._target_stance = stance
        self._add_keyframe(t, dur, self._state_for(stance))
        self.events.append((t, "stance", {"stance": stance, "duration_s": dur}))
        self._changed(t)

    def step_off(self, *, at_s: float | None = None) -> None:
        """Step off the board (load goes to zero over 0.3-0.5 s)."""
        self.set_stance("off", at_s=at_s)

    def touch_down(self, *, at_s: float | None = None, duration_s: float = 0.5, fraction: float | None = None) -> None:
        """Put the free foot briefly on the floor: the load on the board drops by ``fraction`` of body weight.

        Parameters
        ----------
        at_s : float, optional
            Start (s); now by default.
        duration_s : float
            How long the foot stays down (s).
        fraction : float, optional
            Drop of the total load as a fraction of body weight; 0.1-0.4 drawn at random by default.
        """
        t = self._now(at_s)
        f = float(self._rng.uniform(0.1, 0.4)) if fraction is None else float(fraction)
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"fraction={f} must be between 0 and 1 (of body weight)")
        self._transients.append(_Transient("touch_down", t, float(duration_s), {"fraction": f}))
        self.events.append((t, "touch_down", {"fraction": f, "duration_s": duration_s}))
        self._changed(t)

    def squat(
        self,
        *,
        at_s: float | None = None,
        reps: int | None = None,
        period_s: float = 2.5,
        depth_m: float = 0.35,
        ml_shift_mm: float | None = None,
    ) -> None:
        """Do ``reps`` bodyweight squats at an even pace, starting at ``at_s``.

        The centre of mass moves down by ``depth_m·(1 − cos(2πu))/2`` per repetition, so the
        load on the board is ``m·(g + z'')``: below body weight going down, above it at the
        bottom. While squatting the CoP shifts sideways by ``ml_shift_mm``.

        Parameters
        ----------
        at_s : float, optional
            Start (s); now by default.
        reps : int, optional
            Repetitions; :attr:`squat_reps` by default.
        period_s : float
            Duration of one repetition (s).
        depth_m : float
            Depth of the centre of mass at the bottom (m).
        ml_shift_mm : float, optional
            Sideways CoP shift while squatting (mm, + right); :attr:`squat_offload_ml_mm` by default.
        """
        t = self._now(at_s)
        n = self.squat_reps if reps is None else int(reps)
        if n < 1 or not (period_s > 0 and depth_m >= 0):
            raise ValueError(f"reps={n}, period_s={period_s}, depth_m={depth_m}: need reps >= 1, period_s > 0, depth_m >= 0")
        shift = self.squat_offload_ml_mm if ml_shift_mm is None else float(ml_shift_mm)
        sq = {"start_s": t, "reps": n, "period_s": float(period_s), "depth_m": float(depth_m), "ml_shift_mm": shift}
        self.squats.append(sq)
        self.events.append((t, "squat", dict(sq)))
        self._changed(t)

    def set_eyes(self, *, closed: bool, at_s: float | None = None) -> None:
        """Close (or open) the eyes at ``at_s``: the sway scales by :data:`EYES_CLOSED_SWAY_SCALE`."""
        t = self._now(at_s)
        self._eyes.append((t, bool(closed)))
        self._eyes.sort(key=lambda e: e[0])
        self.events.append((t, "eyes", {"closed": bool(closed)}))
        self._changed(t)

    def eyes_closed_at(self, t_s: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether the eyes are closed at times ``t_s`` (s)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        if not self._eyes:
            return np.zeros(t.size, dtype=bool)
        times = np.array([e[0] for e in self._eyes])
        closed = np.array([e[1] for e in self._eyes])
        idx = np.searchsorted(times, t, side="right") - 1
        return np.where(idx >= 0, closed[np.clip(idx, 0, None)], False)

    def hop(self, *, at_s: float | None = None) -> None:
        """Hop on the stance foot: push-off, ~0.25 s in the air, landing peak, foot lands a little elsewhere."""
        t = self._now(at_s)
        flight = float(self._rng.uniform(0.2, 0.3))
        self._transients.append(_Transient("hop", t, 0.15 + flight + 0.25, {"flight_s": flight}))
        land = t + 0.15 + flight
        # The foot lands slightly elsewhere.
        cur = self.state_at(np.array([land]))[0]
        new = cur.copy()
        new[1] += self._rng.normal(0.0, 15.0)
        new[2] += self._rng.normal(0.0, 15.0)
        self._add_keyframe(land, 0.01, new)
        self.events.append((t, "hop", {"flight_s": flight}))
        self._changed(t)

    def press_button(self, *, at_s: float | None = None, duration_s: float = 0.2) -> None:
        """Press the board's front button for ``duration_s`` (s)."""
        t = self._now(at_s)
        self._transients.append(_Transient("button", t, float(duration_s)))
        self._changed(t)

    def cue(self, instruction: str, *, at_s: float | None = None) -> float | None:
        """React to an instruction after a reaction delay of 0.5-1.5 s.

        Returns
        -------
        float or None
            When the person starts to move (s), or None when ``auto_follow`` is off.
        """
        if instruction not in CUES:
            raise ValueError(f"unknown cue {instruction!r}; expected one of {sorted(CUES)}")
        t = self._now(at_s)
        self.cues.append((t, instruction))
        if not self.auto_follow:
            return None
        # Instructions are obeyed in the order given: a quick second cue ("stand on both feet",
        # then at once "stand on your left leg") must not be overtaken by the slower reaction to
        # the first, which would leave the person in the first cue's stance.
        start = max(t + float(self._rng.uniform(0.5, 1.5)), self._last_reaction_s + 0.05)
        self._last_reaction_s = start
        if instruction == "eyes_closed":
            self.set_eyes(closed=True, at_s=t + 0.3)  # closing the eyes is quicker than stepping
            return start
        if self.eyes_closed_at(np.array([start]))[0]:
            self.set_eyes(closed=False, at_s=start)
        if CUES[instruction] != self._target_stance:
            self.set_stance(CUES[instruction], at_s=start)  # type: ignore[arg-type]  # CUES values are stances
        if instruction == "squat":
            self.squat(at_s=start)
        return start

    def schedule(self, actions: Iterable[tuple[float, str, dict[str, Any]]]) -> None:
        """Run ``(t_s, action, kwargs)`` items, e.g. ``(5.0, "set_stance", {"stance": "left"})``."""
        for t_s, action, kwargs in actions:
            if action not in ("set_stance", "step_off", "touch_down", "hop", "squat", "set_eyes", "press_button", "cue"):
                raise ValueError(f"unknown action {action!r} in schedule")
            getattr(self, action)(at_s=t_s, **(kwargs or {}))

    # -- evaluation (vectorised) -----------------------------------------------------------------
    def _starts(self) -> NDArray[np.float64]:
        """The state at the start of each keyframe, shape (K, 6) (cached until the plan changes)."""
        if self._starts_cache is None:
            starts = np.empty((len(self._keyframes), 6))
            for i, kf in enumerate(self._keyframes):
                starts[i] = self._eval(np.array([kf.t_s]), starts[:i], self._keyframes[:i])[0]
            self._starts_cache = starts
        return self._starts_cache

    def _eval(
        self, t: NDArray[np.float64], starts: NDArray[np.float64], kfs: Sequence[_Keyframe]
    ) -> NDArray[np.float64]:
        if not kfs:
            return np.broadcast_to(self._initial, (t.size, 6)).copy()
        times = np.array([k.t_s for k in kfs])
        durs = np.array([max(k.duration_s, 1e-6) for k in kfs])
        targets = np.array([k.target for k in kfs])
        idx = np.searchsorted(times, t, side="left") - 1  # last keyframe that started before t
        j = np.clip(idx, 0, None)
        s = _smooth((t - times[j]) / durs[j])[:, None]
        blended = starts[j] + (targets[j] - starts[j]) * s
        return np.where((idx >= 0)[:, None], blended, self._initial[None, :])

    def state_at(self, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """The person's state at times ``t_s`` (s), shape (N, 6): load fraction, base ML and AP (mm),
        and the weights of bipedal, left and right single-leg sway.

        Each stance change blends, with a cosine ramp, from the state at its start to its target."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        st = self._eval(t, self._starts(), self._keyframes)
        if self.squats:
            st = st.copy()
            for sq in self.squats:
                inside = (t >= sq["start_s"]) & (t < sq["start_s"] + sq["reps"] * sq["period_s"])
                st[inside, 1] += sq["ml_shift_mm"]
        return st

    def load_factor_at(self, t_s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Multiplier of the load from touch-downs and hops, and the button state, at times ``t_s``."""
        t = np.asarray(t_s, dtype=np.float64)
        factor = np.ones(t.size)
        button = np.zeros(t.size, dtype=bool)
        if not t.size:
            return factor, button
        for tr in self._transients:
            if tr.t_s > t[-1] or tr.t_s + tr.duration_s + 0.2 < t[0]:
                continue
            u = t - tr.t_s
            if tr.kind == "touch_down":
                ramp = 0.1
                up = _smooth(u / ramp)
                down = 1.0 - _smooth((u - tr.duration_s) / ramp)
                factor *= 1.0 - tr.params["fraction"] * up * down
            elif tr.kind == "hop":
                fl = tr.params["flight_s"]
                push = np.where((u >= 0) & (u < 0.15), 1.0 + 0.4 * np.sin(np.pi * u / 0.15), 1.0)
                air = np.where((u >= 0.15) & (u < 0.15 + fl), 0.0, 1.0)
                lu = u - 0.15 - fl
                land = np.where((lu >= 0) & (lu < 0.2), 1.0 + 0.8 * np.sin(np.pi * lu / 0.2), 1.0)
                factor *= push * air * land
            elif tr.kind == "button":
                button |= (u >= 0) & (u < tr.duration_s)
        for sq in self.squats:
            # load / body weight = 1 + z''/g with z = -depth·(1 - cos(2πu))/2 over the reps
            u = (t - sq["start_s"]) / sq["period_s"]
            inside = (u >= 0) & (u < sq["reps"])
            w = 2 * np.pi / sq["period_s"]
            acc = -sq["depth_m"] * w**2 * np.cos(2 * np.pi * u) / 2
            factor *= np.where(inside, 1.0 + acc / G_M_S2, 1.0)
        return factor, button


@dataclass(frozen=True)
class SampleArrays:
    """A block of samples as arrays.

    Attributes
    ----------
    t_s : ndarray, shape (N,)
        Timestamps (s).
    corners_kg : ndarray, shape (N, 4)
        TL, TR, BL, BR (kg).
    button : ndarray of bool, shape (N,)
    flags : ndarray of int, shape (N,)
    """

    t_s: NDArray[np.float64]
    corners_kg: NDArray[np.float64]
    button: NDArray[np.bool_]
    flags: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.t_s.size)


class SimulatedBoard(Board, CueableBoard):
    """A Wii Balance Board simulated down to its timing and resolution, with a person on it.

    Parameters
    ----------
    mass_kg : float
        The person's mass (kg).
    seed : int
        Seed; the same seed and the same actions give the same samples.
    realtime : bool
        False (default): as fast as possible — :meth:`read` never sleeps, timestamps still advance
        at the board's ~100 reports/s from 0 s. True: samples are released at their timestamps on
        ``time.monotonic()``.
    ml_sway_ratio_right_over_left : float
        ML sway (RMS and speed) of right-leg stance relative to left-leg stance.
    person : SimulatedPerson, optional
        Bring your own person (``mass_kg`` is then ignored).
    stance : {"off", "both", "left", "right"}
        Starting stance of the default person.
    auto_follow : bool
        The person obeys :meth:`cue`.
    disconnect_at_s : float, optional
        Simulate a dropped link: :meth:`read` raises :class:`~drivers.errors.BoardDisconnected`
        once the clock reaches this time (s).
    noise_kg : float
        Standard deviation of the per-corner sensor noise before 10 g quantisation (kg).
    single_leg, bipedal : SwayTargets
        Sway the person generates (raw). Single-leg default :data:`SINGLE_LEG_SWAY_RAW`, calibrated so
        that the output after the default pipeline matches :data:`SINGLE_LEG_SWAY` (docs/methods.md
        §4.3); bipedal default :data:`BIPEDAL_SWAY`.
    serial : str, optional
        Board address reported in :attr:`info` (calibration profiles are keyed by it).
    chunk_s : float
        Seconds generated per vectorised chunk.
    sensor_gains : tuple of 4 float
        Miscalibration of the simulated load cells TL, TR, BL, BR (1 = exact), for exercising
        ``balance calibrate``.
    squat_offload_ml_mm : float
        Sideways CoP shift (mm, + right) of the simulated person while squatting (see
        :class:`SimulatedPerson`); 0 squats symmetrically.
    timing : {"hid", "polled"}
        Report timing. ``"hid"`` (default): every HID report, ~100/s, ~37 % exact duplicates (the
        board's ADC runs at ~63 Hz). ``"polled"``: a recorder that polls at 40 Hz (13-37 ms intervals)
        with Bluetooth drop-outs of 0.1-0.5 s about every 10 s, as in recordings made with such tools.
    """

    kind = "sim"

    def __init__(
        self,
        *,
        mass_kg: float = 70.0,
        seed: int = 0,
        realtime: bool = False,
        ml_sway_ratio_right_over_left: float = 1.0,
        person: SimulatedPerson | None = None,
        stance: Stance = "both",
        auto_follow: bool = True,
        disconnect_at_s: float | None = None,
        noise_kg: float = 0.003,
        single_leg: SwayTargets = SINGLE_LEG_SWAY_RAW,
        bipedal: SwayTargets = BIPEDAL_SWAY,
        serial: str | None = None,
        chunk_s: float = 1.0,
        sensor_gains: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
        squat_offload_ml_mm: float = 0.0,
        timing: Literal["hid", "polled"] = "hid",
    ) -> None:
        super().__init__()
        if timing not in TIMINGS:
            raise ValueError(f"timing={timing!r} is not one of {TIMINGS}: 'hid' (~100 reports/s) or 'polled' (40 Hz)")
        self.timing = timing
        self._rate_hz = REPORT_RATE_HZ if timing == "hid" else POLL_RATE_HZ
        self._drop_until = -math.inf
        if not (ml_sway_ratio_right_over_left > 0 and math.isfinite(ml_sway_ratio_right_over_left)):
            raise ValueError(
                f"ml_sway_ratio_right_over_left={ml_sway_ratio_right_over_left} must be a positive ratio (1.0 = no difference)"
            )
        if not chunk_s > 0:
            raise ValueError(f"chunk_s={chunk_s} must be > 0 seconds")
        self.seed = int(seed)
        self.realtime = bool(realtime)
        self.ml_sway_ratio_right_over_left = float(ml_sway_ratio_right_over_left)
        self.person = person if person is not None else SimulatedPerson(
            mass_kg=mass_kg, stance=stance, seed=seed, auto_follow=auto_follow,
            squat_offload_ml_mm=squat_offload_ml_mm,
        )
        self.person.clock = lambda: self.now_s
        self.person._listeners.append(self._on_person_change)
        self.disconnect_at_s = disconnect_at_s
        self.noise_kg = float(noise_kg)
        self._serial = serial or f"sim-{self.seed:04d}"
        self._chunk_reports = max(1, int(round(chunk_s * self._rate_hz)))
        ss = np.random.SeedSequence([self.seed, 0])
        s_sway_b, s_sway_s, s_noise, s_time = ss.spawn(4)
        dt = 1.0 / ADC_RATE_HZ
        self._sway_both = _Sway(bipedal, np.random.default_rng(s_sway_b), dt_s=dt)
        self._sway_single = _Sway(single_leg, np.random.default_rng(s_sway_s), dt_s=dt)
        self._rng_noise = np.random.default_rng(s_noise)
        self._rng_time = np.random.default_rng(s_time)
        self._t0 = time.monotonic() if self.realtime else 0.0
        self._k_next = 0  # next report index to generate
        self._last_tick = -1  # last ADC tick generated
        self._last_tick_vals: NDArray[np.float64] | None = None  # (sway4 + noise4) of that tick
        self._last_arrival = -math.inf
        self._prev_emitted: tuple[float, float, float, float] | None = None
        # Undelivered buffer: raw per-report ingredients, rendered into samples on demand.
        self._buf: dict[str, NDArray[Any]] | None = None
        self._r: dict[str, Any] = _EMPTY_RENDER
        self._disconnected = False
        self._pos = 0
        self._now = self._t0
        self._geom = WII_BALANCE_BOARD
        if len(sensor_gains) != 4 or min(sensor_gains) <= 0:
            raise ValueError(f"sensor_gains={sensor_gains} must be four positive multipliers (TL, TR, BL, BR)")
        self.sensor_gains = np.asarray(sensor_gains, dtype=np.float64)
        if serial is None and not np.all(self.sensor_gains == 1.0):
            # A miscalibrated simulated board is another board: its calibration profile must not be
            # applied to the exact one.
            tag = "".join(f"{int(round(g * 1000)) % 10000:04d}" for g in self.sensor_gains)
            self._serial = f"sim-{self.seed:04d}-g{tag}"
        #: Known masses on the board: [mass_kg, ml_mm, ap_mm, t_on_s, t_off_s].
        self._masses: list[list[float]] = []

    # -- known masses (for calibration) ------------------------------------------------------------
    def place_mass(self, mass_kg: float, *, ml_mm: float = 0.0, ap_mm: float = 0.0, at_s: float | None = None) -> None:
        """Put a known mass (kg) on the board at ``(ml_mm, ap_mm)`` from its centre, from ``at_s`` (now)."""
        if not mass_kg > 0:
            raise ValueError(f"mass_kg={mass_kg} must be positive")
        t = self.now_s if at_s is None else float(at_s)
        self._masses.append([float(mass_kg), float(ml_mm), float(ap_mm), t, math.inf])
        self._on_person_change(t)

    def clear_masses(self, *, at_s: float | None = None) -> None:
        """Take every known mass off the board."""
        t = self.now_s if at_s is None else float(at_s)
        for m in self._masses:
            m[4] = min(m[4], t)
        self._on_person_change(t)

    # -- clock and cues ----------------------------------------------------------------------------
    @property
    def now_s(self) -> float:
        """The board clock (s): the timestamp of the last sample read, or the start (0 s when not realtime)."""
        if self.realtime:
            return max(self._now, time.monotonic())
        return self._now

    @property
    def start_s(self) -> float:
        """The board clock at simulated time zero (0 s as fast as possible; ``time.monotonic()`` at creation
        when realtime): the first report is stamped shortly after it."""
        return self._t0

    def cue(self, instruction: str) -> float | None:
        """Tell the simulated person what to do (``"step_on_both"``, ``"stand_left"``, ``"stand_right"``,
        ``"step_off"``, ``"rest"``); they obey after 0.5-1.5 s when ``auto_follow`` is on.

        Returns the time (s) they start to move, or None."""
        return self.person.cue(instruction)

    # -- Board interface -------------------------------------------------------------------------
    @property
    def info(self) -> BoardInfo:
        return BoardInfo(
            kind="sim",
            name="Simulated Wii Balance Board",
            serial=self._serial,
            battery=1.0,
            calibration={"type": "simulated", "quantum_kg": QUANTUM_KG, "noise_kg": self.noise_kg},
            extra={
                "seed": self.seed,
                "mass_kg": self.person.mass_kg,
                "ml_sway_ratio_right_over_left": self.ml_sway_ratio_right_over_left,
                "realtime": self.realtime,
                "report_rate_hz": self._rate_hz,
                "timing": self.timing,
                "adc_rate_hz": ADC_RATE_HZ,
            },
        )

    def _open(self) -> None:
        if self._disconnected:  # reconnecting after a simulated drop: the link is back
            self.disconnect_at_s = None
            self._disconnected = False

    def _close(self) -> None:
        pass

    def _read_internal(self, timeout_s: float | None) -> tuple[Sample | None, bool]:
        if self._pos >= self._r["n"]:
            self._generate()
        i = self._pos
        r = self._r
        c = r["cl"][i]
        s = Sample(r["tl"][i], c[0], c[1], c[2], c[3], r["bl"][i], _FLAGS[r["fl"][i]])
        if self.disconnect_at_s is not None and s.t_s >= self.disconnect_at_s:
            self._disconnected = True
            raise BoardDisconnected(
                f"simulated board {self._serial} disconnected at t={self.disconnect_at_s:.3f} s "
                "(disconnect_at_s); reconnect or open a new board"
            )
        if self.realtime:
            wait = s.t_s - time.monotonic()
            if wait > 0:
                if timeout_s is not None and wait > timeout_s:
                    time.sleep(timeout_s)
                    return None, False
                time.sleep(wait)
        self._pos += 1
        self._now = s.t_s
        self._prev_emitted = s.corners_kg
        return s, False

    # -- bulk reading ----------------------------------------------------------------------------
    def read_arrays(self, duration_s: float) -> SampleArrays:
        """Read all samples of the next ``duration_s`` seconds as arrays (never sleeps, even when realtime)."""
        if not self.is_open:
            raise RuntimeError("SimulatedBoard is not open: use `with board:` or call open()")
        end = self.now_s + duration_s
        parts: list[tuple[NDArray[Any], ...]] = []
        while True:
            if self._pos >= self._r["n"]:
                self._generate()
            r, lo = self._r, self._pos
            ts = r["t"][lo:]
            n = int(np.searchsorted(ts, end, side="left"))
            n_dc = n if self.disconnect_at_s is None else int(np.searchsorted(ts, self.disconnect_at_s, side="left"))
            dc = n_dc < n
            n = min(n, n_dc)
            parts.append((r["t"][lo : lo + n], r["c"][lo : lo + n], r["b"][lo : lo + n], r["f"][lo : lo + n]))
            self._advance(n)
            if dc:
                self._disconnected = True
                raise BoardDisconnected(
                    f"simulated board {self._serial} disconnected at t={self.disconnect_at_s:.3f} s"
                )
            if n < ts.size:
                break
        corners = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, 4))
        if self._profile is not None:
            from drivers.calibration import apply_profile

            corners = apply_profile(corners, self._profile)
        return SampleArrays(
            t_s=np.concatenate([p[0] for p in parts]),
            corners_kg=corners,
            button=np.concatenate([p[2] for p in parts]),
            flags=np.concatenate([p[3] for p in parts]).astype(np.int64),
        )

    def _advance(self, n: int) -> None:
        if n:
            i = self._pos + n - 1
            self._pos += n
            self._now = float(self._r["t"][i])
            self._prev_emitted = tuple(self._r["cl"][i])

    # -- generation ------------------------------------------------------------------------------
    def _generate(self) -> None:
        """Generate the next chunk of reports (board timing, ADC ticks, sway, noise) and render it."""
        n = self._chunk_reports
        k = np.arange(self._k_next, self._k_next + n)
        self._k_next += n
        tau = k / self._rate_hz  # board-side report (or poll) times
        if self.timing == "polled":
            tau = np.maximum(self._polled(tau), 0.0)
            n = tau.size
            if n == 0:  # the whole chunk fell in a drop-out
                return self._generate()
        ticks = np.floor(tau * ADC_RATE_HZ + 1e-9).astype(np.int64)  # ADC sample carried by each report
        # Arrival at the host: 1-3 ms latency, and now and then a Bluetooth burst delay of 10-40 ms; reports
        # queued behind a delayed one arrive just after it. Strictly increasing (>= 0.1 ms apart).
        lat = 0.001 + self._rng_time.exponential(0.001, n)
        burst = self._rng_time.random(n) < 0.01
        lat = lat + burst * self._rng_time.uniform(0.010, 0.040, n)
        eps = 1e-4
        idx = np.arange(n) * eps
        # a_i = max(raw_i, a_(i-1) + eps)  <=>  a_i - i*eps = cummax(raw_i - i*eps), seeded with the last arrival.
        c = tau + lat - idx
        c[0] = max(c[0], self._last_arrival + eps)
        arrival = np.maximum.accumulate(c) + idx
        self._last_arrival = float(arrival[-1])
        # Per-tick ingredients (shared by reports carrying the same tick).
        first, last = int(ticks[0]), int(ticks[-1])
        new_from = max(first, self._last_tick + 1)
        n_new = last - new_from + 1
        vals_new = np.empty((n_new, 8))
        vals_new[:, 0:2] = self._sway_both.next(n_new)
        vals_new[:, 2:4] = self._sway_single.next(n_new)
        vals_new[:, 4:8] = self._rng_noise.normal(0.0, self.noise_kg, (n_new, 4))
        if first <= self._last_tick:
            assert self._last_tick_vals is not None and first == self._last_tick
            tick_vals = np.vstack([self._last_tick_vals[None, :], vals_new])
        else:
            tick_vals = vals_new
        self._last_tick = last
        self._last_tick_vals = tick_vals[-1].copy()
        per_report = tick_vals[ticks - first]
        chunk = {
            "t": arrival + self._t0,
            "tick_t": ticks / ADC_RATE_HZ + self._t0,
            "ticks": ticks,
            "vals": per_report,
        }
        # Keep what is still undelivered, then append.
        if self._buf is not None and self._pos < self._r["n"]:
            keep = slice(self._pos, None)
            self._buf = {key: np.concatenate([v[keep], chunk[key]]) for key, v in self._buf.items()}
        else:
            self._buf = chunk
        self._r = self._render(self._buf)
        self._pos = 0

    def _polled(self, tau: NDArray[np.float64]) -> NDArray[np.float64]:
        """Poll times of a 40 Hz recorder: jitter of ±12 ms around the 25 ms grid (13-37 ms intervals,
        ``docs/wii-balance-board.md`` §4 via docs/methods.md §3.1: the Vredeveld recorder), and Bluetooth
        drop-outs (about one every 10 s, 0.1-0.5 s long) during which no report arrives."""
        n = tau.size
        jit = self._rng_time.uniform(-0.012, 0.012, n)
        starts = self._rng_time.random(n) < POLL_DROPOUT_PER_S / self._rate_hz
        # gap between the reports either side of a drop-out (one poll interval plus the jitter
        # included) at most POLL_DROPOUT_MAX_S; at least 1 s of data between drop-outs
        lengths = self._rng_time.uniform(0.1, POLL_DROPOUT_MAX_S - 1.0 / self._rate_hz - 0.025, n)
        keep = tau >= self._drop_until
        for i in np.flatnonzero(starts).tolist():
            if tau[i] < self._drop_until + 1.0:
                continue
            end = tau[i] + lengths[i]
            keep &= ~((tau >= tau[i]) & (tau < end))
            self._drop_until = end
        out = tau + jit
        return np.sort(out[keep])

    def _on_person_change(self, t_s: float) -> None:
        """Re-render undelivered samples after a change of the person's plan."""
        if self._buf is None or self._pos >= self._r["n"]:
            return
        keep = slice(self._pos, None)
        self._buf = {key: v[keep] for key, v in self._buf.items()}
        self._r = self._render(self._buf)
        self._pos = 0

    def _render(self, buf: dict[str, NDArray[Any]]) -> dict[str, Any]:
        """Samples from their ingredients, as arrays (``t``, ``c``, ``b``, ``f``) and lists for :meth:`read`."""
        t_tick = buf["tick_t"]
        vals = buf["vals"]
        n = t_tick.size
        if n == 0:
            return _EMPTY_RENDER
        # The person's state, evaluated once per distinct tick then spread to the reports.
        state = self.person.state_at(t_tick)
        factor, button = self.person.load_factor_at(t_tick)
        load = self.person.mass_kg * state[:, 0] * factor
        ratio = self.ml_sway_ratio_right_over_left
        w_b, w_l, w_r = state[:, 3], state[:, 4], state[:, 5]
        closed = self.person.eyes_closed_at(t_tick)
        w_b = w_b * np.where(closed, EYES_CLOSED_SWAY_SCALE[0], 1.0)
        k_s = np.where(closed, EYES_CLOSED_SWAY_SCALE[1], 1.0)
        ml = state[:, 1] + w_b * vals[:, 0] + (w_l + w_r * ratio) * k_s * vals[:, 2]
        ap = state[:, 2] + w_b * vals[:, 1] + (w_l + w_r) * k_s * vals[:, 3]
        # Split the load over the corners so that the CoP is (ml, ap) (bilinear split;
        # inverse of balance.cop.cop_from_corners, docs/wii-balance-board.md §5).
        u = np.clip(0.5 + ml / self._geom.width_mm, 0.0, 1.0)
        v = np.clip(0.5 + ap / self._geom.length_mm, 0.0, 1.0)
        corners = np.empty((n, 4))
        corners[:, 0] = load * (1 - u) * v  # TL
        corners[:, 1] = load * u * v  # TR
        corners[:, 2] = load * (1 - u) * (1 - v)  # BL
        corners[:, 3] = load * u * (1 - v)  # BR
        for mass, mx, my, t_on, t_off in self._masses:
            on = (t_tick >= t_on) & (t_tick < t_off)
            if on.any():
                mu, mv = 0.5 + mx / self._geom.width_mm, 0.5 + my / self._geom.length_mm
                corners[on] += mass * np.array([(1 - mu) * mv, mu * mv, (1 - mu) * (1 - mv), mu * (1 - mv)])
        corners *= self.sensor_gains
        corners += vals[:, 4:8]
        corners = np.round(corners / QUANTUM_KG) * QUANTUM_KG
        corners = np.round(corners, 2) + 0.0  # exact 10 g steps, no -0.0
        prev = np.vstack([
            np.asarray(self._prev_emitted if self._prev_emitted is not None else [np.nan] * 4)[None, :],
            corners[:-1],
        ])
        dup = np.all(corners == prev, axis=1)
        flags = np.where(dup, int(SampleFlag.DUPLICATE), 0) | np.where(
            np.any(corners < -0.05, axis=1), int(SampleFlag.BELOW_ZERO), 0
        )
        return {
            "n": n, "t": buf["t"], "c": corners, "b": button, "f": flags,
            "tl": buf["t"].tolist(), "cl": corners.tolist(), "bl": button.tolist(), "fl": flags.tolist(),
        }  # fmt: skip
