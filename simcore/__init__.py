"""simcore: a regional economic scenario engine for the districts of Tianjin.

The public API:

* :func:`load_baseline` - the frozen 2020 baseline (arrays, codelists, checksum);
* :func:`leontief_solve` - solve ``(I - A) x = f`` for one or many final-demand vectors;
* :func:`load_scenario` - load, merge and validate a scenario YAML file;
* :func:`run` - project a scenario to 2035 and return :class:`Results` (``.to_frame()``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .baseline import Baseline, baseline_summary, load_baseline
from .engine import run
from .errors import BaselineError, SimcoreError, SolverError
from .leontief import LeontiefSolver, leontief_solve, spectral_radius
from .results import Results
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Baseline",
    "BaselineError",
    "LeontiefSolver",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimcoreError",
    "SolverError",
    "baseline_summary",
    "leontief_solve",
    "load_baseline",
    "load_scenario",
    "run",
    "spectral_radius",
    "__version__",
]
