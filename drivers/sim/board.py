"""The simulated Wii Balance Board (registry name ``sim``): the board's report timing (HID ~100/s
with duplicates, or polled at 40 Hz with drop-outs), 10 g resolution, sensor noise and gains, with a
:class:`~drivers.sim.person.SimulatedPerson` on it. See :mod:`drivers.sim` for what is simulated."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from balance.cop import WII_BALANCE_BOARD
from drivers.base import Board, BoardInfo, CueableBoard, Sample, SampleFlag
from drivers.errors import BoardDisconnected
from drivers.sim.person import (
    BIPEDAL_SWAY,
    EYES_CLOSED_SWAY_SCALE,
    SINGLE_LEG_SWAY_RAW,
    SimulatedPerson,
    Stance,
    SwayTargets,
    _Sway,
)

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


#: SampleFlag objects by value, so reading does not build them sample by sample.
_FLAGS: tuple[SampleFlag, ...] = tuple(SampleFlag(i) for i in range(16))
_EMPTY_RENDER: dict[str, Any] = {
    "n": 0, "t": np.empty(0), "c": np.empty((0, 4)), "b": np.empty(0, bool), "f": np.empty(0, np.int64),
    "tl": [], "cl": [], "bl": [], "fl": [],
}  # fmt: skip


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
