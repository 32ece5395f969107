"""The 2020 baseline: the committed calibration tables as a frozen set of labelled arrays.

The package reads only the derived tables in ``calibration/data`` (installed as
``simcore/baseline_data``); it never reads the raw statistics.  Arrays use the
dimension order ``(region, sector)`` with regions the tree's leaves; flattened
system vectors index ``region * n_sector + sector``.

Units: money in 100 million CNY at 2020 prices, energy in 10^4 tce, CO2 in Mt,
people in 10^4 persons.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from simcore.baseline.cache import cache_load, cache_save
from simcore.baseline.regions import RegionTree
from simcore.baseline.sectors import Sectors
from simcore.errors import BaselineError

FINAL_DEMAND = ("household", "government", "gfcf", "inventory", "exports")
FUELS = ("coal", "oil", "gas", "nonfossil", "electricity_inflow")
FOSSIL_FUELS = ("coal", "oil", "gas")
CO2_SOURCES = ("coal", "oil", "gas", "process")
DATA_FILES = (
    "accounts_2020.csv",
    "mrio_coefficients_2020.csv",
    "final_demand_shares_2020.csv",
    "national_io_2020.csv",
    "energy_co2_tianjin.csv",
    "emission_factors.csv",
    "aggregate_weights.csv",
    "parameters.csv",
    "targets.csv",
    "history.csv",
    "history_metrics.csv",
    "gdp_2020_evidence.csv",
    "labour_2020.csv",
)
_FLOW_VARIABLES = {
    "household_consumption": "household",
    "government_consumption": "government",
    "gfcf": "gfcf",
    "inventory_change": "inventory",
}


@dataclass(frozen=True)
class Parameter:
    """A scalar calibration input with its provenance."""

    key: str
    value: float
    unit: str
    quality: str
    low: float
    high: float
    source: str


@dataclass(frozen=True, eq=False)
class Baseline:
    """The frozen 2020 baseline.  See the module docstring for shapes and units."""

    regions: RegionTree
    sectors: Sectors
    gdp: np.ndarray  # (R,)
    population: np.ndarray  # (R,)
    employment: np.ndarray  # (R,)
    fixed_investment: np.ndarray  # (R,)
    value_added: np.ndarray  # (R, S)
    gross_output: np.ndarray  # (R, S)
    capital: np.ndarray  # (R, S)
    A: np.ndarray  # (R*S, R*S) inside-Tianjin coefficients
    M_out: np.ndarray  # (S, R*S) purchases from outside Tianjin per unit of output
    final_demand: np.ndarray  # (R, S, K) final demand of each region, all origins
    final_shares: np.ndarray  # (R_from, R_to, S, K) share of that demand met by each leaf
    exports: np.ndarray  # (R, S) exports out of Tianjin
    discrepancy: np.ndarray  # (R, S) statistical discrepancy closing the non-tradable rows
    energy: np.ndarray  # (R, S + 1, len(FUELS)); row S is households
    co2: np.ndarray  # (R, S + 1, len(CO2_SOURCES))
    va_ratio: np.ndarray  # (S,) national value added per unit of output
    capital_share: np.ndarray  # (S,) national (depreciation + operating surplus) / value added
    comp_ratio: np.ndarray  # (S,) national compensation of employees per unit of output
    jobs: np.ndarray  # (R, S) 2020 jobs by workplace and sector, 10^4 persons
    commute: np.ndarray  # (R_home, R_work) share of each leaf's resident workers working in each leaf
    participation: np.ndarray  # (R,) resident workers per resident
    parameters: Mapping[str, Parameter]
    checksum: str = ""
    data_dir: Path = Path()

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """The long accounts table (``accounts_2020.csv``), read on first use."""
        return _read(self.data_dir / "accounts_2020.csv")

    @cached_property
    def targets(self) -> pd.DataFrame:
        """The plan targets (``targets.csv``), read on first use."""
        return _read(self.data_dir / "targets.csv")

    @property
    def leaves(self) -> tuple[str, ...]:
        return self.regions.leaves

    @property
    def n_region(self) -> int:
        return len(self.regions.leaves)

    @property
    def n_sector(self) -> int:
        return len(self.sectors.ids)

    def parameter(self, key: str) -> float:
        return self.parameters[key].value

    def intermediate_sales(self) -> np.ndarray:
        """(R, S) sales of each region-sector to industries inside Tianjin."""
        return (self.A @ self.gross_output.reshape(-1)).reshape(self.n_region, self.n_sector)

    def final_sales(self) -> np.ndarray:
        """(R, S) sales of each region-sector to final demand inside Tianjin."""
        return np.einsum("srik,rik->si", self.final_shares, self.final_demand)

    # ------------------------------------------------------------------ labelled views

    def frame(self, name: str) -> pd.DataFrame | pd.Series:
        """A labelled pandas view of one baseline array (a copy), indexed by ``region`` and ``sector``.

        Parameters
        ----------
        name : str
            ``gdp``, ``population``, ``employment``, ``fixed_investment`` (a Series by region);
            ``value_added``, ``gross_output``, ``capital``, ``exports``, ``discrepancy``, ``jobs`` (region x
            sector); ``A`` ((region, sector) x (region, sector), inside-Tianjin coefficients); ``M_out``
            (sector bought from outside Tianjin x (region, sector)); ``final_demand`` ((region, sector) x
            category, each region's own demand, all origins); ``energy`` ((region, sector or households) x
            fuel).  Units are those of the accounts table (``docs/data.md``).

        Examples
        --------
        >>> from simcore import load_baseline
        >>> va = load_baseline().frame("value_added")
        >>> va.index.name, va.columns.name
        ('region', 'sector')
        """
        leaves = pd.Index(self.leaves, name="region")
        sectors = pd.Index(self.sectors.ids, name="sector")
        cells = pd.MultiIndex.from_product([self.leaves, self.sectors.ids], names=["region", "sector"])
        by_region = ("gdp", "population", "employment", "fixed_investment")
        by_cell = ("value_added", "gross_output", "capital", "exports", "discrepancy", "jobs")
        if name in by_region:
            return pd.Series(np.array(getattr(self, name), dtype=float), index=leaves, name=name)
        if name in by_cell:
            return pd.DataFrame(np.array(getattr(self, name), dtype=float), index=leaves, columns=sectors)
        if name == "A":
            return pd.DataFrame(self.A.copy(), index=cells, columns=cells)
        if name == "M_out":
            return pd.DataFrame(self.M_out.copy(), index=sectors.rename("outside_sector"), columns=cells)
        if name == "final_demand":
            categories = pd.Index(FINAL_DEMAND, name="category")
            return pd.DataFrame(
                self.final_demand.reshape(-1, len(FINAL_DEMAND)).copy(), index=cells, columns=categories
            )
        if name == "energy":
            rows = pd.MultiIndex.from_product(
                [self.leaves, list(self.sectors.ids) + ["households"]], names=["region", "sector"]
            )
            fuels = pd.Index(FUELS, name="fuel")
            return pd.DataFrame(self.energy.reshape(-1, len(FUELS)).copy(), index=rows, columns=fuels)
        known = by_region + by_cell + ("A", "M_out", "final_demand", "energy")
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BaselineError(f"unknown baseline array {name!r}{hint} (one of: {', '.join(known)})")

    def to_pymrio(self):
        """The 2020 inside-Tianjin system as a ``pymrio.IOSystem`` (needs ``pip install pymrio``).

        ``Z`` is the flow matrix ``A x`` between the leaves' sectors; ``Y`` has, for each leaf, the
        final demand it buys from each leaf (household, government, gfcf, inventory) and, in the
        producing leaf's columns, ``exports`` out of Tianjin and the ``statistical_discrepancy`` of the
        non-tradable rows, so that ``Z`` and ``Y`` add up to gross output; value added is the
        ``factor_inputs`` extension.  Purchases from outside Tianjin are not in ``Z`` (they are imports).
        ``calc_all()`` reproduces ``x`` and, for every cell with output, ``A`` (tested; the 5 cells without
        2020 output keep their technology in ``A`` here but have no flows for pymrio to divide).

        Examples
        --------
        >>> io = load_baseline().to_pymrio()      # doctest: +SKIP
        >>> io.calc_all().x.loc[("dongli", "steel")]  # doctest: +SKIP
        """
        try:
            import pymrio
        except ImportError:
            raise BaselineError("to_pymrio needs pymrio: pip install pymrio (or the bench extra)") from None
        cells = pd.MultiIndex.from_product([self.leaves, self.sectors.ids], names=["region", "sector"])
        x = self.gross_output.reshape(-1)
        Z = pd.DataFrame(self.A * x[None, :], index=cells, columns=cells)
        domestic = [c for c in FINAL_DEMAND if c != "exports"]
        columns = pd.MultiIndex.from_product(
            [self.leaves, domestic + ["exports", "statistical_discrepancy"]], names=["region", "category"]
        )
        Y = pd.DataFrame(0.0, index=cells, columns=columns)
        for j, buyer in enumerate(self.leaves):
            for k, category in enumerate(FINAL_DEMAND):
                if category == "exports":
                    continue
                # (R_from, S): what buyer j's category k buys from each leaf
                Y[(buyer, category)] = (self.final_shares[:, j, :, k] * self.final_demand[j, :, k][None, :]).reshape(-1)
        for r, leaf in enumerate(self.leaves):
            rows = slice(r * self.n_sector, (r + 1) * self.n_sector)
            Y.iloc[rows, Y.columns.get_loc((leaf, "exports"))] = self.exports[r]
            Y.iloc[rows, Y.columns.get_loc((leaf, "statistical_discrepancy"))] = self.discrepancy[r]
        factor = pd.DataFrame(
            self.value_added.reshape(1, -1), index=pd.Index(["value_added"], name="stressor"), columns=cells
        )
        io = pymrio.IOSystem(
            Z=Z, Y=Y, name="simcore Tianjin 2020", unit=pd.DataFrame({"unit": "100 million CNY_2020"}, index=cells)
        )
        io.factor_inputs = pymrio.Extension(
            name="factor_inputs", F=factor, unit=pd.DataFrame({"unit": ["100 million CNY_2020"]}, index=factor.index)
        )
        return io


def data_dir() -> Path:
    """Folder of the derived tables: ``$SIMCORE_BASELINE_DIR``, the installed copy, or the repository's."""
    env = os.environ.get("SIMCORE_BASELINE_DIR")
    if env:
        return Path(env)
    installed = Path(__file__).resolve().parents[1] / "baseline_data"
    if (installed / "accounts_2020.csv").is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "calibration" / "data"


def load_baseline(path: str | os.PathLike | None = None) -> Baseline:
    """Load the committed 2020 baseline.

    Parameters
    ----------
    path : path-like, optional
        Folder of derived tables; defaults to :func:`data_dir`.

    Returns
    -------
    Baseline
        Frozen arrays with their codelists, parameters, targets and a SHA-256
        checksum over the tables.
    """
    folder = Path(path) if path is not None else data_dir()
    return _load(folder.resolve())


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


#: bump when ``_parse`` changes what it computes from the same tables (the cache key holds it)
BASELINE_CACHE_VERSION = "baseline-3"
ARRAY_FIELDS = (
    "gdp",
    "population",
    "employment",
    "fixed_investment",
    "value_added",
    "gross_output",
    "capital",
    "A",
    "M_out",
    "final_demand",
    "final_shares",
    "exports",
    "discrepancy",
    "energy",
    "co2",
    "va_ratio",
    "capital_share",
    "comp_ratio",
    "jobs",
    "commute",
    "participation",
)


@lru_cache(maxsize=4)
def _load(folder: Path) -> Baseline:
    missing = [name for name in DATA_FILES if not (folder / name).is_file()]
    if missing:
        raise BaselineError(
            f"baseline tables missing in {folder}: {', '.join(missing)} "
            "(run `python -m calibration.build` to regenerate them)"
        )
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    checksum = digest.hexdigest()
    regions = RegionTree.load()
    sectors = Sectors.load(folder / "aggregate_weights.csv")
    # the arrays are a pure function of the tables (keyed by their checksum) and of the codelists
    key = f"{BASELINE_CACHE_VERSION}|{checksum}|{','.join(regions.leaves)}|{','.join(sectors.ids)}"
    cached = cache_load("baseline", key)
    if cached is not None and set(ARRAY_FIELDS) | {"parameters"} <= set(cached):
        arrays = {name: cached[name] for name in ARRAY_FIELDS}
        parameters = _parameters_from_json(str(cached["parameters"]))
    else:
        arrays, parameters = _parse(folder, regions, sectors)
        cache_save("baseline", key, arrays | {"parameters": np.array(_parameters_to_json(parameters))})
    for array in arrays.values():
        array.flags.writeable = False
    return Baseline(
        regions=regions,
        sectors=sectors,
        parameters=MappingProxyType(parameters),
        checksum=checksum,
        data_dir=folder,
        **arrays,
    )


def _parameters_to_json(parameters: dict[str, Parameter]) -> str:
    import json

    return json.dumps([[p.key, p.value, p.unit, p.quality, p.low, p.high, p.source] for p in parameters.values()])


def _parameters_from_json(text: str) -> dict[str, Parameter]:
    import json

    return {row[0]: Parameter(*row) for row in json.loads(text)}


def _parse(folder: Path, regions: RegionTree, sectors: Sectors) -> tuple[dict, dict]:
    """Arrays and parameters from the derived tables."""
    leaves, S = regions.leaves, len(sectors.ids)
    R = len(leaves)
    r_index = {r: i for i, r in enumerate(leaves)}
    s_index = {s: i for i, s in enumerate(sectors.ids)}
    s_index_h = dict(s_index, households=S)

    accounts = _read(folder / "accounts_2020.csv")
    leaf_rows = accounts[accounts["region"].isin(leaves)]
    unknown = set(leaf_rows["sector"]) - set(s_index_h) - {"total"}
    if unknown:
        raise BaselineError(f"accounts_2020.csv: unknown sectors {sorted(unknown)}")
    if set(accounts["region"]) - set(regions.ids):
        raise BaselineError(f"accounts_2020.csv: unknown regions {sorted(set(accounts['region']) - set(regions.ids))}")

    def matrix(variable: str, with_households: bool = False) -> np.ndarray:
        rows = leaf_rows[leaf_rows["variable"] == variable]
        index = s_index_h if with_households else s_index
        out = np.zeros((R, S + 1 if with_households else S))
        out[rows["region"].map(r_index).to_numpy(), rows["sector"].map(index).to_numpy()] = rows["value"].to_numpy()
        return out

    def per_region(variable: str) -> np.ndarray:
        rows = leaf_rows[(leaf_rows["variable"] == variable) & (leaf_rows["sector"] == "total")]
        out = np.full(R, np.nan)
        out[rows["region"].map(r_index).to_numpy()] = rows["value"].to_numpy()
        if np.isnan(out).any():
            raise BaselineError(f"accounts_2020.csv: {variable} missing for some leaves")
        return out

    final_demand = np.zeros((R, S, len(FINAL_DEMAND)))
    for variable, category in _FLOW_VARIABLES.items():
        final_demand[:, :, FINAL_DEMAND.index(category)] = matrix(variable)

    coef = pd.read_csv(folder / "mrio_coefficients_2020.csv")
    inside = coef[coef["from_region"] != "outside"]
    A = np.zeros((R * S, R * S))
    A[
        inside["from_region"].map(r_index).to_numpy() * S + inside["from_sector"].map(s_index).to_numpy(),
        inside["to_region"].map(r_index).to_numpy() * S + inside["to_sector"].map(s_index).to_numpy(),
    ] = inside["value"]
    outside = coef[coef["from_region"] == "outside"]
    M_out = np.zeros((S, R * S))
    M_out[
        outside["from_sector"].map(s_index).to_numpy(),
        outside["to_region"].map(r_index).to_numpy() * S + outside["to_sector"].map(s_index).to_numpy(),
    ] = outside["value"]

    shares = pd.read_csv(folder / "final_demand_shares_2020.csv")
    shares = shares[shares["from_region"] != "outside"]
    final_shares = np.zeros((R, R, S, len(FINAL_DEMAND)))
    k_index = {k: i for i, k in enumerate(FINAL_DEMAND)}
    final_shares[
        shares["from_region"].map(r_index).to_numpy(),
        shares["to_region"].map(r_index).to_numpy(),
        shares["sector"].map(s_index).to_numpy(),
        shares["category"].map(k_index).to_numpy(),
    ] = shares["share"].to_numpy()

    energy = np.stack([matrix(f"energy_{fuel}", with_households=True) for fuel in FUELS], axis=2)
    co2 = np.stack([matrix(f"co2_{source}", with_households=True) for source in CO2_SOURCES], axis=2)

    national = pd.read_csv(folder / "national_io_2020.csv")
    go_n = national[national["block"] == "gross_output"].set_index("column")["value"]
    va_n = national[national["block"] == "value_added"].groupby("column")["value"].sum()
    va_ratio = (va_n / go_n).reindex(list(sectors.ids)).to_numpy()
    va_parts = national[national["block"] == "value_added"].pivot_table(
        index="row", columns="column", values="value", aggfunc="sum"
    )
    capital_share = (
        ((va_parts.loc["depreciation"] + va_parts.loc["operating_surplus"]) / va_parts.sum(axis=0))
        .reindex(list(sectors.ids))
        .to_numpy()
    )

    comp_ratio = (va_parts.loc["compensation"] / go_n).reindex(list(sectors.ids)).to_numpy()

    labour = _read(folder / "labour_2020.csv")
    jobs = np.zeros((R, S))
    rows = labour[labour["table"] == "jobs"]
    jobs[rows["region"].map(r_index).to_numpy(), rows["key"].map(s_index).to_numpy()] = rows["value"].to_numpy()
    commute = np.zeros((R, R))
    rows = labour[labour["table"] == "commuting"]
    commute[rows["region"].map(r_index).to_numpy(), rows["key"].map(r_index).to_numpy()] = rows["value"].to_numpy()
    participation = np.zeros(R)
    rows = labour[labour["table"] == "participation"]
    participation[rows["region"].map(r_index).to_numpy()] = rows["value"].to_numpy()

    params = pd.read_csv(folder / "parameters.csv", keep_default_na=False, na_values=[""])
    parameters = {
        p.key: Parameter(
            p.key,
            float(p.value),
            p.unit,
            p.quality,
            float(p.low) if not _isnan(p.low) else math.nan,
            float(p.high) if not _isnan(p.high) else math.nan,
            p.source,
        )
        for p in params.itertuples(index=False)
    }

    arrays = dict(
        gdp=per_region("gdp"),
        population=per_region("population"),
        employment=per_region("employment"),
        fixed_investment=per_region("fixed_asset_investment"),
        value_added=matrix("value_added"),
        gross_output=matrix("gross_output"),
        capital=matrix("capital_stock"),
        A=A,
        M_out=M_out,
        final_demand=final_demand,
        final_shares=final_shares,
        exports=matrix("exports_outside"),
        discrepancy=matrix("statistical_discrepancy"),
        energy=energy,
        co2=co2,
        va_ratio=va_ratio,
        capital_share=capital_share,
        comp_ratio=comp_ratio,
        jobs=jobs,
        commute=commute,
        participation=participation,
    )
    return arrays, parameters


def _isnan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def baseline_summary(b: Baseline) -> pd.DataFrame:
    """2020 figures by region (leaves and aggregates) with the quality of each region's GDP.

    Columns: GDP (100 million CNY), primary / secondary / tertiary / manufacturing
    shares (% of GDP), fixed-asset investment, population, energy (10^4 tce),
    energy intensity (tce per 10^4 CNY), CO2 (Mt) and the quality flags of GDP,
    investment and energy.
    """
    M = b.regions.matrix
    va = b.value_added
    totals = {
        "gdp": M @ b.gdp,
        "primary_pct": M @ (va @ b.sectors.aggregate("primary")),
        "secondary_pct": M @ (va @ b.sectors.aggregate("secondary")),
        "tertiary_pct": M @ (va @ b.sectors.aggregate("tertiary")),
        "manufacturing_pct": M @ (va @ b.sectors.aggregate("manufacturing")),
        "fixed_investment": M @ b.fixed_investment,
        "population": M @ b.population,
        "energy": M @ b.energy.sum(axis=(1, 2)),
        "co2": M @ b.co2.sum(axis=(1, 2)),
    }
    table = pd.DataFrame(totals, index=pd.Index(b.regions.ids, name="region"))
    for col in ("primary_pct", "secondary_pct", "tertiary_pct", "manufacturing_pct"):
        table[col] = 100 * table[col] / table["gdp"]
    table["energy_intensity"] = table["energy"] / table["gdp"]  # 10^4 tce / 10^8 CNY = tce / 10^4 CNY
    acc = b.accounts[b.accounts["sector"] == "total"].set_index(["region", "variable"])["quality"]
    energy_quality = b.accounts[b.accounts["variable"].str.startswith("energy_")]["quality"]

    def quality(region: str, variable: str) -> str:
        if (region, variable) in acc.index:
            return str(acc[(region, variable)])
        leaves = b.regions.members(region)
        flags = {str(acc[(leaf, variable)]) for leaf in leaves}
        return "published" if flags == {"published"} else "estimated"

    table["gdp_quality"] = [quality(r, "gdp") for r in b.regions.ids]
    table["investment_quality"] = [quality(r, "fixed_asset_investment") for r in b.regions.ids]
    table["energy_quality"] = "estimated" if (energy_quality == "estimated").any() else "derived"
    return table
