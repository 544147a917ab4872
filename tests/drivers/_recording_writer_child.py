"""Child process for the crash-safety test: writes simulated samples until killed.

argv: path seed. After every flush it prints ``flushed <n>`` (samples on disk so far).
"""

from __future__ import annotations

import sys

from drivers.recording_file import RecordingWriter, header_from_board
from drivers.sim import SimulatedBoard


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    with SimulatedBoard(seed=seed, stance="left") as board:
        w = RecordingWriter(path, header=header_from_board(board, note="crash test"), flush_interval_s=3600)
        n = 0
        while True:
            w.write(board.read())
            n += 1
            if n % 50 == 0:
                w.flush()
                print(f"flushed {n}", flush=True)


if __name__ == "__main__":
    main()
