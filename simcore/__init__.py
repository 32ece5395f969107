"""simcore: a regional economic scenario engine for the districts of Tianjin.

The public API (imported lazily, so that ``import simcore`` and ``simcore --help`` stay fast):

* :func:`load_baseline` - the frozen 2020 baseline (arrays, codelists, checksum);
* :func:`leontief_solve` - solve ``(I - A) x = f`` for one or many final-demand vectors;
* :func:`load_scenario` - load, merge and validate a scenario YAML file;
* :func:`run` - project a scenario to 2035 and return :class:`Results` (``.to_frame()``);
* :func:`monte_carlo`, :func:`run_sweep`, :func:`sensitivity`, :func:`backtest` - the experiments;
* :func:`multipliers` - Type I/II multipliers, spillovers and linkages of the 2020 system;
* :func:`build_report`, :func:`write_report` - the HTML page and Excel workbook for readers.

The packages follow the data flow (docs/model.md, "Where the code lives"): ``baseline`` -> ``scenario``
-> ``model`` -> ``results`` -> ``analysis`` -> ``experiments`` -> ``report`` -> ``cli``; each imports only those
before it.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

_EXPORTS = {
    "Baseline": "simcore.baseline.tables",
    "baseline_summary": "simcore.baseline.tables",
    "load_baseline": "simcore.baseline.tables",
    "LeontiefSolver": "simcore.baseline.leontief",
    "leontief_solve": "simcore.baseline.leontief",
    "spectral_radius": "simcore.baseline.leontief",
    "Scenario": "simcore.scenario.loader",
    "load_scenario": "simcore.scenario.loader",
    "Results": "simcore.results.run",
    "run": "simcore.results.run",
    "monte_carlo": "simcore.experiments.montecarlo",
    "run_sweep": "simcore.experiments.sweep",
    "sensitivity": "simcore.experiments.sensitivity",
    "backtest": "simcore.experiments.backtest",
    "multipliers": "simcore.analysis.multipliers",
    "build_report": "simcore.report",
    "write_report": "simcore.report",
    "SimcoreError": "simcore.errors",
    "BaselineError": "simcore.errors",
    "ScenarioError": "simcore.errors",
    "SolverError": "simcore.errors",
    "ProjectionError": "simcore.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simcore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
