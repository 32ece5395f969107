"""Kernel arrays -> the canonical long table, provenance and atomic writers.

The table has the columns ``model, scenario, region, variable, unit, year, value`` (plus ``draw`` or
``quantile`` for Monte Carlo), every leaf and aggregate region and every year 2020-2035, sorted, with no
missing keys and no duplicates.  Variable names follow the IAMC ``|`` hierarchy.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from . import __version__
from .baseline import Baseline
from .schema import YEARS

MODEL = "simcore"
COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
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


def deterministic_frame(b: Baseline, raw, paths, scenario_name: str, draw: int = 0) -> pd.DataFrame:
    """The canonical long table of one draw."""
    arrays = batch_variables(b, raw, paths.pop, slice(draw, draw + 1))
    return long_frame(b, {name: values[0] for name, values in arrays.items()}, scenario_name)


def long_frame(b: Baseline, arrays: dict[str, np.ndarray], scenario_name: str) -> pd.DataFrame:
    regions = np.array(b.regions.ids, dtype=object)
    n_reg, T = len(regions), len(YEARS)
    names = list(arrays)
    values = np.stack([np.asarray(arrays[name], dtype=float).reshape(n_reg * T) for name in names])  # (V, n_reg*T)
    V = len(names)
    table = pd.DataFrame({
        "model": f"{MODEL} {__version__}",
        "scenario": scenario_name,
        "region": np.tile(np.repeat(regions, T), V),
        "variable": np.repeat(np.array(names, dtype=object), n_reg * T),
        "unit": np.repeat(np.array([unit_of(name) for name in names], dtype=object), n_reg * T),
        "year": np.tile(np.array(YEARS), n_reg * V),
        "value": values.reshape(-1),
    })
    return sort_table(table[np.isfinite(table["value"].to_numpy())])


def sort_table(table: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in COLUMNS if c != "value"] + [c for c in ("draw", "quantile") if c in table.columns]
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    if table.duplicated(keys).any():
        raise ValueError("duplicate keys in the result table")
    if table[keys].isna().any().any():
        raise ValueError("missing keys in the result table")
    extra = [c for c in ("draw", "quantile") if c in table.columns]
    return table[COLUMNS[:-1] + extra + ["value"]]


@dataclass(frozen=True)
class Results:
    """Projection results: the long table, the raw kernel arrays and the provenance."""

    table: pd.DataFrame = field(repr=False)
    provenance: dict = field(repr=False)
    raw: object = field(repr=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        """The canonical long table (a copy)."""
        return self.table.copy()

    def value(self, region: str, variable: str, year: int) -> float:
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable) & (t["year"] == year)]
        if hit.empty:
            raise KeyError(f"{region}/{variable}/{year}")
        return float(hit["value"].iloc[0])

    def series(self, region: str, variable: str) -> pd.Series:
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable)]
        return hit.set_index("year")["value"]

    def write(self, out: str | os.PathLike, stem: str = "results") -> list[Path]:
        """Write ``<stem>.csv``, ``<stem>.parquet`` and ``<stem>.provenance.json`` atomically."""
        return write_results(self.table, self.provenance, Path(out), stem)


def provenance(b: Baseline, scenario, seed: int | None, extra: dict | None = None) -> dict:
    from importlib.metadata import version

    info = {
        "model": MODEL,
        "version": __version__,
        "scenario": scenario.name,
        "description": scenario.description,
        "layers": list(scenario.layers),
        "seed": seed,
        "baseline_checksum": b.checksum,
        "years": [YEARS[0], YEARS[-1]],
        "versions": {name: version(name) for name in ("numpy", "scipy", "pandas", "numba")},
    }
    return info | (extra or {})


@contextmanager
def atomic_files(out: Path) -> Iterator[callable]:
    """Yield ``path_for(name)`` giving temporary paths; on success all files are moved into ``out``.

    On any error every temporary file is removed and nothing in ``out`` changes.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".simcore-", dir=out))
    names: list[str] = []

    def path_for(name: str) -> Path:
        names.append(name)
        return staging / name

    try:
        yield path_for
        for name in names:
            os.replace(staging / name, out / name)
    finally:
        for leftover in staging.glob("*"):
            leftover.unlink()
        staging.rmdir()


def write_results(table: pd.DataFrame, prov: dict, out: Path, stem: str = "results") -> list[Path]:
    with atomic_files(out) as path_for:
        names = stage_results(path_for, table, prov, stem)
    return [out / name for name in names]


def stage_results(path_for, table: pd.DataFrame, prov: dict, stem: str) -> list[str]:
    """Write ``<stem>.csv``, ``.parquet`` and ``.provenance.json`` inside an :func:`atomic_files` block."""
    names = [f"{stem}.csv", f"{stem}.parquet", f"{stem}.provenance.json"]
    table.to_csv(path_for(names[0]), index=False, float_format="%.10g", lineterminator="\n")
    table.to_parquet(path_for(names[1]), index=False)
    path_for(names[2]).write_text(json.dumps(prov, indent=2, ensure_ascii=False) + "\n")
    return names
