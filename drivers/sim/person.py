"""The simulated person on the simulated board: stance and its changes, touch-downs, hops, squats,
eyes closed, cues obeyed after a reaction delay, and the sway model (two damped oscillators per axis
whose variances are solved for the target RMS and speed). See :mod:`drivers.sim` for what is
simulated and the sources of the targets."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

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
