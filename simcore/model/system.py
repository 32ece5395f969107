"""The 2020 system: the scenario-independent arrays every projection shares.

:func:`compile_system` builds them from the baseline: the factorised ``M = I - A - H`` (technical
coefficients inside Tianjin plus the household and government consumption closed in proportion to each
region's GDP, a Type II closure), energy and CO2 intensities by cell and fuel, the sourcing shares of
capital formation, inventories, power and fuels.  :func:`system_for` caches it in memory and on disk,
keyed by the baseline's checksum and :data:`SYSTEM_CACHE_VERSION`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simcore.baseline.cache import cache_load, cache_save
from simcore.baseline.leontief import LeontiefSolver
from simcore.baseline.tables import CO2_SOURCES, FINAL_DEMAND, FUELS, Baseline
from simcore.errors import SolverError

ALPHA_RANGE = (0.2, 0.8)
FUEL_SECTORS = ("mining", "petrochemicals", "gas_water")


@dataclass(frozen=True)
class System:
    """Scenario-independent arrays derived from the baseline (see kernels.simulate for shapes)."""

    LU: np.ndarray
    piv: np.ndarray
    v: np.ndarray
    x0: np.ndarray
    K0: np.ndarray
    log_K0: np.ndarray
    alpha: np.ndarray
    E0: np.ndarray
    disc0: np.ndarray
    gfcf_mix: np.ndarray
    gfcf_share: np.ndarray
    inv_mix: np.ndarray
    inv_share: np.ndarray
    inv0: np.ndarray
    gdp0: np.ndarray
    pop0: np.ndarray
    power: int
    fuel_sectors: np.ndarray
    power_w: np.ndarray
    fuel_w: np.ndarray
    eps_p: float
    e0: np.ndarray
    ef: np.ndarray
    nf0: np.ndarray
    inflow0: np.ndarray
    proc0: np.ndarray
    e_h0: np.ndarray
    ef_h: np.ndarray
    inflow_h0: np.ndarray
    C0: np.ndarray
    cons_w: np.ndarray
    jobs0: np.ndarray
    G: np.ndarray


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def earnings_shares(b: Baseline) -> np.ndarray:
    """``omega[r, h]`` (R, R): the share of the jobs located in leaf ``r`` held by residents of leaf ``h``
    (the 2020 commuting shares times each leaf's resident workers, ``labour_2020.csv``)."""
    holders = b.commute * (b.participation * b.population)[:, None]  # workers living in h, working in r
    return _share(holders.T, holders.sum(axis=0)[:, None])


def household_weights(b: Baseline) -> np.ndarray:
    """``cons_w`` (R, n): household consumption of each leaf's residents per unit of output of each cell.

    Residents spend a Tianjin-wide propensity (2020 household consumption over compensation of employees)
    of the compensation they earn, wherever they work: ``cons_w[h, (r, j)] = c omega[r, h] comp_j``.  The
    2020 household consumption of the accounts is built the same way, so ``cons_w @ x0`` reproduces it.
    """
    R, S = b.n_region, b.n_sector
    comp = b.comp_ratio[None, :] * b.gross_output  # (R, S) compensation by workplace
    propensity = b.final_demand[:, :, FINAL_DEMAND.index("household")].sum() / comp.sum()
    omega = earnings_shares(b)
    return propensity * (omega.T[:, :, None] * b.comp_ratio[None, None, :]).reshape(R, R * S)


def consumption_closure(b: Baseline) -> np.ndarray:
    """The Type II closure ``H`` (n, n): household and government consumption bought per unit of output.

    Households spend out of their compensation by place of residence (:func:`household_weights`: what a
    cell pays its workers reaches the leaves they live in through the commuting shares); government
    consumption is a Tianjin-wide share of GDP (its 2020 rate), spent in the leaves in proportion to their
    residents.  Each leaf's spending has its 2020 product mix and purchase shares;
    ``H[q*S+i, r*S+j]`` is what one unit of output of cell ``(r, j)`` induces of sector ``i`` from region
    ``q``.
    """
    R, S = b.n_region, b.n_sector
    n = R * S
    k_hh, k_gov = FINAL_DEMAND.index("household"), FINAL_DEMAND.index("government")
    F0 = b.final_demand
    H = np.zeros((n, n))
    # spending of leaf h per unit of output of each cell: (R_h, n)
    spend = {
        k_hh: household_weights(b),
        k_gov: np.outer(
            F0[:, :, k_gov].sum() / b.gdp.sum() * b.population / b.population.sum(), np.tile(b.va_ratio, R)
        ),
    }
    for k, weights in spend.items():
        mix = _share(F0[:, :, k], F0[:, :, k].sum(axis=1, keepdims=True))  # (R_h, S)
        for q in range(R):
            # bought from q: sum_h share[q, h, i] mix[h, i] weights[h, c]
            H[q * S : (q + 1) * S, :] += np.einsum("hi,hc->ic", b.final_shares[q, :, :, k] * mix, weights)
    return H


def compile_system(b: Baseline) -> System:
    """Arrays of the 2020 system shared by every scenario and draw."""
    R, S = b.n_region, b.n_sector
    n = R * S
    k_hh = FINAL_DEMAND.index("household")
    k_gfcf, k_inv = FINAL_DEMAND.index("gfcf"), FINAL_DEMAND.index("inventory")
    F0 = b.final_demand
    v = np.tile(b.va_ratio, R)
    x0 = b.gross_output.reshape(-1).copy()

    H = consumption_closure(b)
    try:
        solver = LeontiefSolver(b.A + H)
        lu, piv = solver.factors
    except SolverError:
        raise SolverError("the 2020 system I - A - H is singular") from None
    G = solver.solve(np.eye(n)).T  # M^-1 (solve takes right-hand sides as rows); columns for binding capacity

    power = b.sectors.index("power_heat")
    fuels = np.array([b.sectors.index(s) for s in FUEL_SECTORS], dtype=np.int64)
    total_coef = b.A.reshape(R, S, n).sum(axis=0) + b.M_out  # (S, n)
    purchases = b.A * x0[None, :]  # flow (q, i) -> column c
    power_w = np.zeros((R, R))
    fuel_w = np.zeros((R, R, 3))
    for r in range(R):
        cols = slice(r * S, (r + 1) * S)
        power_total = (total_coef[power, cols] * x0[cols]).sum()
        fuel_total = sum((total_coef[f, cols] * x0[cols]).sum() for f in fuels)
        for q in range(R):
            power_w[q, r] = purchases[q * S + power, cols].sum() / power_total
            for k, f in enumerate(fuels):
                fuel_w[q, r, k] = purchases[q * S + f, cols].sum() / fuel_total

    energy = b.energy  # (R, S + 1, 5)
    co2 = b.co2  # (R, S + 1, 4)
    fossil = [FUELS.index(f) for f in ("coal", "oil", "gas")]
    e_cells = energy[:, :S, :].reshape(n, len(FUELS))
    co2_cells = co2[:, :S, :].reshape(n, len(CO2_SOURCES))
    e0 = _share(e_cells[:, fossil], x0[:, None])
    tianjin_ef = _share(co2[:, :S, :3].sum(axis=(0, 1)), energy[:, :S, fossil].sum(axis=(0, 1)))
    ef = np.where(e_cells[:, fossil] > 0, _share(co2_cells[:, :3], e_cells[:, fossil]), tianjin_ef[None, :])
    power_cells = np.arange(R) * S + power
    power_energy = e_cells[power_cells][:, fossil].sum() + e_cells[power_cells, FUELS.index("nonfossil")].sum()
    eps_p = float(power_energy / x0[power_cells].sum())
    households = energy[:, S, :]
    return System(
        LU=np.ascontiguousarray(lu),
        piv=piv.astype(np.int64),
        v=v,
        x0=x0,
        K0=b.capital.reshape(-1).copy(),
        log_K0=np.log(np.where(b.capital.reshape(-1) > 0, b.capital.reshape(-1), 1.0)),
        alpha=np.tile(np.clip(b.capital_share, *ALPHA_RANGE), R),
        E0=b.exports.reshape(-1).copy(),
        disc0=b.discrepancy.reshape(-1).copy(),
        gfcf_mix=_share(F0[:, :, k_gfcf], F0[:, :, k_gfcf].sum(axis=1, keepdims=True)),
        gfcf_share=np.ascontiguousarray(b.final_shares[:, :, :, k_gfcf]),
        inv_mix=_share(F0[:, :, k_inv], F0[:, :, k_inv].sum(axis=1, keepdims=True)),
        inv_share=np.ascontiguousarray(b.final_shares[:, :, :, k_inv]),
        inv0=F0[:, :, k_inv].sum(axis=1),
        gdp0=b.gdp.copy(),
        pop0=b.population.copy(),
        power=power,
        fuel_sectors=fuels,
        power_w=power_w,
        fuel_w=fuel_w,
        eps_p=eps_p,
        e0=np.ascontiguousarray(e0),
        ef=np.ascontiguousarray(ef),
        nf0=_share(e_cells[:, FUELS.index("nonfossil")], x0),
        inflow0=_share(e_cells[:, FUELS.index("electricity_inflow")], x0),
        proc0=_share(co2_cells[:, CO2_SOURCES.index("process")], x0),
        e_h0=np.ascontiguousarray(households[:, fossil]),
        ef_h=_share(co2[:, S, :3].sum(axis=0), households[:, fossil].sum(axis=0)),
        inflow_h0=households[:, FUELS.index("electricity_inflow")].copy(),
        C0=F0[:, :, k_hh].sum(axis=1),
        cons_w=np.ascontiguousarray(household_weights(b)),
        jobs0=b.jobs.reshape(-1).copy(),
        G=np.ascontiguousarray(G),
    )


_SYSTEMS: dict[str, System] = {}


SYSTEM_CACHE_VERSION = "system-5"  # bump when compile_system changes what it computes


def system_for(b: Baseline) -> System:
    """The compiled system of a baseline, cached by its checksum in memory and on disk."""
    if b.checksum in _SYSTEMS:
        return _SYSTEMS[b.checksum]
    key = f"{SYSTEM_CACHE_VERSION}|{b.checksum}|{','.join(b.leaves)}|{','.join(b.sectors.ids)}"
    names = [f.name for f in fields(System)]
    cached = cache_load("system", key)
    if cached is not None and set(names) <= set(cached):
        system = System(**{name: cached[name] if cached[name].ndim else cached[name].item() for name in names})
    else:
        system = compile_system(b)
        cache_save("system", key, {name: np.asarray(getattr(system, name)) for name in names})
    _SYSTEMS[b.checksum] = system
    return system
