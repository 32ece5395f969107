"""simcore: a regional economic scenario engine for the districts of Tianjin.

The public API:

* :func:`load_baseline` - the frozen 2020 baseline (arrays, codelists, checksum);
* :func:`leontief_solve` - solve ``(I - A) x = f`` for one or many final-demand vectors.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .baseline import Baseline, baseline_summary, load_baseline
from .errors import BaselineError, SimcoreError, SolverError
from .leontief import LeontiefSolver, leontief_solve, spectral_radius

__all__ = [
    "Baseline",
    "BaselineError",
    "LeontiefSolver",
    "SimcoreError",
    "SolverError",
    "baseline_summary",
    "leontief_solve",
    "load_baseline",
    "spectral_radius",
    "__version__",
]
