"""The Python side around the kernels: build the system, compile a scenario, draw, call, wrap.

``compile_system`` turns the baseline into the arrays the kernels need (the factorised
``M = I - A - H``, energy intensities, sourcing shares).  ``compile_scenario`` evaluates a scenario's
time paths into yearly arrays.  ``project`` calls the batch kernel (or its NumPy twin) and returns the
raw arrays; :func:`simcore.run` wraps them into :class:`simcore.results.Results`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from simcore.baseline.tables import Baseline
from simcore.errors import SimcoreError, SolverError
from simcore.model.levers import Paths, compile_scenario
from simcore.model.system import System, system_for
from simcore.scenario.loader import Scenario
from simcore.scenario.schema import YEARS


@dataclass(frozen=True)
class Draws:
    """Per-draw parameters of the batch kernel (all length D; export_shift (D, R, T): the shift of each
    region's export growth in each year)."""

    depreciation: np.ndarray
    supply_elasticity: np.ndarray
    tfp_shift: np.ndarray
    export_shift: np.ndarray
    efficiency_multiplier: np.ndarray
    grid_multiplier: np.ndarray
    realisation_multiplier: np.ndarray

    @classmethod
    def central(cls, paths: Paths, n_region: int) -> "Draws":
        """The one draw at the scenario's central values."""
        return cls(np.array([paths.depreciation]), np.array([paths.supply_elasticity]), np.zeros(1),
                   np.zeros((1, n_region, len(YEARS))), np.ones(1), np.ones(1), np.ones(1))

    def __len__(self) -> int:
        return len(self.depreciation)


@dataclass
class Raw:
    """Kernel outputs (D, T, ...)."""

    va: np.ndarray
    capital: np.ndarray
    energy_cell: np.ndarray
    energy: np.ndarray
    co2: np.ndarray
    co2_cell: np.ndarray
    fai: np.ndarray
    status: np.ndarray


def allocate(D: int, b: Baseline) -> Raw:
    """Zeroed kernel outputs for ``D`` draws of the baseline's system."""
    return allocate_for(D, b.n_region, b.n_sector, len(YEARS))


def allocate_for(D: int, R: int, S: int, T: int) -> Raw:
    """Zeroed kernel outputs for ``D`` draws, ``R`` regions, ``S`` sectors and ``T`` years."""
    return Raw(np.zeros((D, T, R * S)), np.zeros((D, T, R * S)), np.zeros((D, T, R, S + 1)),
               np.zeros((D, T, R, 5)), np.zeros((D, T, R, 4)), np.zeros((D, T, R, S + 1)), np.zeros((D, T, R)),
               np.zeros(D, np.int64))


def kernel_args(system: System, paths: Paths, draws: Draws, out: Raw) -> tuple:
    """The positional arguments of kernels.simulate / reference.simulate, in order."""
    sys_args = tuple(getattr(system, f.name) for f in fields(System))
    path_names = ("t_num", "t_den", "t_resp", "t_tn", "t_td", "t_path", "fai", "theta", "gx", "pop", "tfp", "eff",
                  "elec", "c2g", "grid", "realisation", "phi", "r_e", "eps_h", "fuel_offset")
    path_args = tuple(getattr(paths, name) for name in path_names)
    draw_args = (draws.depreciation, draws.supply_elasticity, draws.tfp_shift, draws.export_shift,
                 draws.efficiency_multiplier, draws.grid_multiplier, draws.realisation_multiplier)
    arrays = sys_args + path_args + draw_args
    contiguous = tuple(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a for a in arrays)
    return contiguous + (out.va, out.capital, out.energy_cell, out.energy, out.co2, out.co2_cell, out.fai,
                         out.status)


STATUS_MESSAGES = {
    1: "a share target needs exports of the targeted sectors cut below zero (target unreachable by demand)",
    2: "gross output turned negative",
    3: "non-finite values",
}


def project(system: System, paths: Paths, draws: Draws, b: Baseline, backend: str = "numba") -> Raw:
    """Run the batch kernel (``backend='numba'``) or its NumPy twin (``'numpy'``)."""
    out = allocate(len(draws), b)
    kernel = _kernel(backend)
    kernel(*kernel_args(system, paths, draws, out))
    return out


def _kernel(backend: str) -> Callable:
    if backend == "numba":
        from simcore.model.kernels import simulate
    elif backend == "numpy":
        from simcore.model.reference import simulate
    else:
        raise SimcoreError(f"unknown backend {backend!r}; expected 'numba' or 'numpy'")
    return simulate


def check_status(raw: Raw, paths: Paths) -> None:
    bad = np.flatnonzero(raw.status)
    if bad.size:
        code = int(raw.status[bad[0]])
        targets = f" (targets: {', '.join(paths.target_labels)})" if code == 1 and paths.target_labels else ""
        raise SolverError(f"{bad.size} draw(s) failed, first draw {bad[0]}: {STATUS_MESSAGES[code]}{targets}")


def project_central(scenario: Scenario, b: Baseline, backend: str = "numba") -> tuple[Raw, Paths]:
    """The deterministic run of a loaded scenario: raw kernel outputs (one draw) and the compiled paths."""
    system = system_for(b)
    paths = compile_scenario(scenario, b, system)
    raw = project(system, paths, Draws.central(paths, b.n_region), b, backend=backend)
    check_status(raw, paths)
    return raw, paths
