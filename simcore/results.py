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


def region_arrays(b: Baseline, raw, draw: slice | int = 0) -> dict[str, np.ndarray]:
    """Region-level variables (n_region_all, T) for one draw of the kernel outputs."""
    R, S = b.n_region, b.n_sector
    M = b.regions.matrix  # (all regions, leaves)
    va = raw.va[draw].reshape(len(YEARS), R, S)
    cap = raw.capital[draw].reshape(len(YEARS), R, S)
    energy = raw.energy[draw]  # (T, R, 5)
    co2 = raw.co2[draw]  # (T, R, 4)
    cell_energy = raw.energy_cell[draw]  # (T, R, S + 1)
    out: dict[str, np.ndarray] = {}

    def agg(values_tr: np.ndarray) -> np.ndarray:  # (T, R) -> (regions, T)
        return M @ values_tr.T

    gdp = agg(va.sum(axis=2))
    out["GDP"] = gdp
    for s, label in enumerate(b.sectors.labels):
        out[f"Value Added|{label}"] = agg(va[:, :, s])
    for a, name in enumerate(b.sectors.aggregate_names):
        out[f"Value Added|{name}"] = agg(va @ b.sectors.weights[a])
    out["Gross Output"] = agg((va / b.va_ratio[None, None, :]).sum(axis=2))
    out["Investment|Fixed Assets"] = agg(raw.fai[draw])
    out["Capital Stock"] = agg(cap.sum(axis=2))
    return out | _energy_variables(b, agg, energy, co2, cell_energy, gdp)


def _energy_variables(b, agg, energy, co2, cell_energy, gdp) -> dict[str, np.ndarray]:
    out = {}
    total = agg(energy.sum(axis=2))
    out["Energy Consumption"] = total
    for k, fuel in enumerate(ENERGY_FUELS):
        out[f"Energy Consumption|{fuel}"] = agg(energy[:, :, k])
    S = b.n_sector
    out["Energy Consumption|Industry"] = agg(cell_energy[:, :, :S] @ b.sectors.aggregate("industry"))
    out["Energy Consumption|Households"] = agg(cell_energy[:, :, S])
    out["Energy Intensity|GDP"] = total / gdp
    emissions = agg(co2.sum(axis=2))
    out["Emissions|CO2"] = emissions
    for k, part in enumerate(CO2_PARTS):
        out[f"Emissions|CO2|{part}"] = agg(co2[:, :, k])
    out["Carbon Intensity|GDP"] = 100.0 * emissions / gdp  # Mt per 10^8 CNY -> t per 10^4 CNY
    return out


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
    arrays = region_arrays(b, raw, draw)
    M = b.regions.matrix
    pop = M @ paths.pop
    employment_ratio = b.employment / b.population
    employment = M @ (paths.pop * employment_ratio[:, None])
    arrays["Population"] = pop
    arrays["Employment"] = employment
    arrays["Labour Productivity"] = arrays["GDP"] / employment
    arrays["GDP per Capita"] = arrays["GDP"] / pop
    growth = np.full_like(arrays["GDP"], np.nan)
    growth[:, 1:] = 100.0 * (arrays["GDP"][:, 1:] / arrays["GDP"][:, :-1] - 1.0)
    for region, key in GROWTH_2020.items():
        growth[b.regions.ids.index(region), 0] = b.parameter(key)
    arrays["GDP|Growth"] = growth
    return long_frame(b, arrays, scenario_name)


def long_frame(b: Baseline, arrays: dict[str, np.ndarray], scenario_name: str) -> pd.DataFrame:
    regions = np.array(b.regions.ids)
    n_reg, T = len(regions), len(YEARS)
    parts = []
    for variable, values in arrays.items():
        frame = pd.DataFrame({
            "region": np.repeat(regions, T), "variable": variable, "unit": unit_of(variable),
            "year": np.tile(np.array(YEARS), n_reg), "value": values.reshape(-1)})
        parts.append(frame[np.isfinite(frame["value"])])
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "scenario", scenario_name)
    table.insert(0, "model", f"{MODEL} {__version__}")
    return sort_table(table)


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
    import numba
    import scipy

    info = {
        "model": MODEL,
        "version": __version__,
        "scenario": scenario.name,
        "description": scenario.description,
        "layers": list(scenario.layers),
        "seed": seed,
        "baseline_checksum": b.checksum,
        "years": [YEARS[0], YEARS[-1]],
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__,
                     "numba": numba.__version__},
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
        table.to_csv(path_for(f"{stem}.csv"), index=False, float_format="%.10g", lineterminator="\n")
        table.to_parquet(path_for(f"{stem}.parquet"), index=False)
        path_for(f"{stem}.provenance.json").write_text(json.dumps(prov, indent=2, ensure_ascii=False) + "\n")
    return [out / f"{stem}.csv", out / f"{stem}.parquet", out / f"{stem}.provenance.json"]
