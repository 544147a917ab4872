"""Regenerate the example pictures in ``docs/`` from ``balance demo`` (simulated board, no hardware).

Run from the repository root::

    .venv/bin/python docs/make_pictures.py

It runs ``balance demo`` in a temporary folder, then ``balance report`` and ``balance progress``
on the demo's history database, and snapshots the live view halfway through a right-leg trial
of a simulated test. The PNGs are written small (about 100 dpi) so the repository stays light.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def _balance(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "balance.app", *args], check=True, stdout=subprocess.DEVNULL)


def live_snapshot(out: Path, *, at_s: float = 15.0) -> None:
    """The live view as the athlete sees it ``at_s`` seconds into the first right-leg trial."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from balance.app.live import LiveView
    from drivers.sim import SimulatedBoard
    from protocols import events as ev
    from protocols.engine import Engine
    from protocols.library import get_protocol

    view = LiveView(fig=Figure(figsize=(13.0, 6.5)), body_mass_kg=70.0)

    class Snap:
        side: str | None = None
        done = False

        def on_event(self, e: object) -> None:
            if isinstance(e, ev.TrialStarted):
                self.side = e.side
            if isinstance(e, ev.Elapsed) and self.side == "right" and e.t_s >= at_s and not self.done:
                self.done = True
                view.update()
                view.save(out, dpi=70)

    board = SimulatedBoard(seed=5, mass_kg=70.0, ml_sway_ratio_right_over_left=1.4)
    Engine(get_protocol("single-leg", trials_per_side=1), board, athlete="DEMO", listeners=[view, Snap()]).run()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _balance("demo", "--home", tmp)
        db = next(Path(tmp).rglob("demo.db"))
        _balance("report", "Demo Athlete", "--db", str(db), "--out", str(DOCS / "report.png"), "--dpi", "100")
        _balance("progress", "Demo Athlete", "--db", str(db), "--out", str(DOCS / "progress.png"), "--dpi", "90")
    live_snapshot(DOCS / "live.png")
    from PIL import Image

    for name in ("report.png", "progress.png", "live.png"):
        p = DOCS / name
        with Image.open(p) as im:  # an adaptive 64-colour palette: a third of the size, same look
            small = im.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        small.save(p, optimize=True)
        print(f"{p.relative_to(DOCS.parent)}  {p.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
