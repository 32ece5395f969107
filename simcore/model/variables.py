"""Variables (moved from simcore/results.py)."""

from __future__ import annotations

import numpy as np

from simcore.baseline.tables import Baseline
from simcore.scenario.schema import YEARS

CNY = "100 million CNY_2020"
ENERGY_FUELS = ("Coal", "Oil", "Gas", "Non-fossil", "Electricity Inflow")
CO2_PARTS = ("Coal", "Oil", "Gas", "Process")
#: published 2020 GDP growth (%) where a source gives it (the model starts in 2020)
GROWTH_2020 = {"tianjin": "tianjin_gdp_growth_2020", "binhai": "binhai_gdp_growth_2020",
               "dongli": "dongli_gdp_growth_2020"}


CLOSURE_LEAF = "rest_of_tianjin"


def scale_levels(values: np.ndarray, scale: np.ndarray, closure: int) -> np.ndarray:
    """Scale each leaf's levels (D, T, R) by ``scale`` (D, R); the closure leaf keeps Tianjin's 2020 total."""
    start = values[:, 0, :]
    factor = np.array(scale, dtype=float, copy=True)
    others = np.delete(factor * start, closure, axis=1).sum(axis=1)
    base = start[:, closure]
    factor[:, closure] = np.divide(start.sum(axis=1) - others, base, out=np.ones_like(base), where=base != 0)
    return values * factor[:, None, :]


def batch_variables(b: Baseline, raw, pop: np.ndarray, draws: slice = slice(None),
                    level_scale: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every region-level variable for a batch of draws: name -> (D, n_region_all, T).

    ``pop`` is the residents path (R, T) of the scenario (deterministic).  ``level_scale`` (D, R), when
    given, redistributes Tianjin's 2020 totals among the leaves (Monte Carlo over estimated 2020 levels):
    every level variable of a leaf is scaled, the closure leaf absorbing the difference.
    """
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    M = b.regions.matrix  # (all regions, leaves)
    va = raw.va[draws].reshape(-1, T, R, S)
    D = va.shape[0]
    closure = b.leaves.index(CLOSURE_LEAF) if CLOSURE_LEAF in b.leaves else R - 1

    def agg(values: np.ndarray, extensive: bool = True) -> np.ndarray:  # (D, T, R) -> (D, regions, T)
        if level_scale is not None and extensive:
            values = scale_levels(values, level_scale, closure)
        return np.ascontiguousarray((values @ M.T).transpose(0, 2, 1))  # matmul: ~7x faster than einsum

    out: dict[str, np.ndarray] = {}
    gdp = agg(va.sum(axis=3))
    out["GDP"] = gdp
    growth = np.full_like(gdp, np.nan)
    growth[:, :, 1:] = 100.0 * (gdp[:, :, 1:] / gdp[:, :, :-1] - 1.0)
    for region, key in GROWTH_2020.items():
        growth[:, b.regions.ids.index(region), 0] = b.parameter(key)
    out["GDP|Growth"] = growth
    for s, label in enumerate(b.sectors.labels):
        out[f"Value Added|{label}"] = agg(va[:, :, :, s])
    for a, name in enumerate(b.sectors.aggregate_names):
        out[f"Value Added|{name}"] = agg(va @ b.sectors.weights[a])
    out["Gross Output"] = agg((va / b.va_ratio).sum(axis=3))
    out["Investment|Fixed Assets"] = agg(raw.fai[draws], extensive=False)
    out["Capital Stock"] = agg(raw.capital[draws].reshape(D, T, R, S).sum(axis=3))
    population = np.broadcast_to(M @ pop, (D, len(M), T))
    employment = np.broadcast_to(M @ (pop * (b.employment / b.population)[:, None]), (D, len(M), T))
    out["Population"] = population
    out["Employment"] = employment
    out["Labour Productivity"] = gdp / employment
    out["GDP per Capita"] = gdp / population
    energy = raw.energy[draws]  # (D, T, R, 5)
    co2 = raw.co2[draws]
    cell_energy = raw.energy_cell[draws]  # (D, T, R, S + 1)
    total = agg(energy.sum(axis=3))
    out["Energy Consumption"] = total
    for k, fuel in enumerate(ENERGY_FUELS):
        out[f"Energy Consumption|{fuel}"] = agg(energy[:, :, :, k])
    out["Energy Consumption|Industry"] = agg(cell_energy[:, :, :, :S] @ b.sectors.aggregate("industry"))
    out["Energy Consumption|Households"] = agg(cell_energy[:, :, :, S])
    out["Energy Intensity|GDP"] = total / gdp
    emissions = agg(co2.sum(axis=3))
    out["Emissions|CO2"] = emissions
    for k, part in enumerate(CO2_PARTS):
        out[f"Emissions|CO2|{part}"] = agg(co2[:, :, :, k])
    out["Carbon Intensity|GDP"] = 100.0 * emissions / gdp  # Mt per 10^8 CNY -> t per 10^4 CNY
    return out


def variable_names(b: Baseline) -> list[str]:
    """The names :func:`batch_variables` returns, in its order (a test keeps the two in step)."""
    return (["GDP", "GDP|Growth"] + [f"Value Added|{label}" for label in b.sectors.labels]
            + [f"Value Added|{name}" for name in b.sectors.aggregate_names]
            + ["Gross Output", "Investment|Fixed Assets", "Capital Stock", "Population", "Employment",
               "Labour Productivity", "GDP per Capita", "Energy Consumption"]
            + [f"Energy Consumption|{fuel}" for fuel in ENERGY_FUELS]
            + ["Energy Consumption|Industry", "Energy Consumption|Households", "Energy Intensity|GDP",
               "Emissions|CO2"] + [f"Emissions|CO2|{part}" for part in CO2_PARTS] + ["Carbon Intensity|GDP"])


UNITS = {
    "GDP": CNY, "Gross Output": CNY, "Investment|Fixed Assets": CNY, "Capital Stock": CNY,
    "GDP|Growth": "%", "Population": "10^4 persons", "Employment": "10^4 persons",
    "Labour Productivity": "10^4 CNY_2020/worker", "GDP per Capita": "10^4 CNY_2020/person",
    "Energy Consumption": "10^4 tce", "Energy Intensity|GDP": "tce/10^4 CNY_2020",
    "Emissions|CO2": "Mt CO2", "Carbon Intensity|GDP": "t CO2/10^4 CNY_2020",
}


def unit_of(variable: str) -> str:
    if variable.startswith("Value Added|"):
        return CNY
    for prefix in ("Energy Consumption|", "Emissions|CO2|"):
        if variable.startswith(prefix):
            return UNITS[prefix.rstrip("|")]
    return UNITS[variable]
