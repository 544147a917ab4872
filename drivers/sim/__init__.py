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

from drivers.sim.board import (
    ADC_RATE_HZ,
    POLL_RATE_HZ,
    REPORT_RATE_HZ,
    TIMINGS,
    SampleArrays,
    SimulatedBoard,
)
from drivers.sim.board import POLL_DROPOUT_MAX_S as POLL_DROPOUT_MAX_S
from drivers.sim.board import POLL_DROPOUT_PER_S as POLL_DROPOUT_PER_S
from drivers.sim.board import QUANTUM_KG as QUANTUM_KG
from drivers.sim.person import (
    BIPEDAL_SWAY,
    CUES,
    SINGLE_LEG_SWAY,
    SINGLE_LEG_SWAY_RAW,
    STANCES,
    SimulatedPerson,
    SwayTargets,
)
from drivers.sim.person import EYES_CLOSED_SWAY_SCALE as EYES_CLOSED_SWAY_SCALE
from drivers.sim.person import FOOT_ML_MM as FOOT_ML_MM
from drivers.sim.person import G_M_S2 as G_M_S2
from drivers.sim.person import Stance as Stance
from drivers.sim.person import _ar2 as _ar2
from drivers.sim.person import _ar2_filter as _ar2_filter
from drivers.sim.person import _Sway as _Sway

# Names imported `x as x` above are re-exported outside ``__all__``: the simulator's other constants,
# the stance type, and the sway model's parts (for its tests).
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
