"""Centre-of-pressure (CoP) sway analysis: the pure numeric core.

Arrays in, numbers out. Nothing in this package (apart from :mod:`balance.app`)
touches a device, a file or a clock, and nothing here imports :mod:`drivers` or
:mod:`protocols`.

Submodules
----------
cop
    CoP from the four corner loads of a Wii Balance Board, or from force-plate channels.
recording
    The in-memory recording data model shared by every layer.
resample
    SWARII and window-averaging resampling of irregular streams onto a uniform grid.
filters
    Zero-phase Butterworth low-pass filtering.
sway
    Sway measures (Prieto 1996 set, spectral, diffusion, sway density) and their catalogue ``MEASURES``;
    helpers in ``ellipse`` (95 % confidence/prediction ellipses), ``spectral``, ``diffusion``, ``density``.
preprocess, pipeline
    Input checks and the documented default analysis ``pipeline.analyze`` (resample, low-pass, trim,
    centre, measures; every choice recorded).
quijoux
    The 72 features of Quijoux et al. 2021, same definitions and keys.

Threads: the core itself starts none, but NumPy's BLAS (OpenBLAS) starts one thread per core for
large arrays, which does not pay for recordings of this size and competes with other processes.
When analysing many recordings in parallel processes, give each one BLAS thread: set
``OPENBLAS_NUM_THREADS=1`` (and ``OMP_NUM_THREADS=1``) before numpy is imported, or, after, wrap the
work in ``threadpoolctl.threadpool_limits(1)``. ``balance analyze --jobs N`` does this for you.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
