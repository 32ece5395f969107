"""Energy and CO2 satellite accounts from the CEADs Tianjin inventories.

CEADs gives territorial (scope 1) CO2 by 47 sectors and 17 fossil fuels plus
cement process emissions.  Fuel energy is recovered as
``E [TJ] = CO2 / EF [kg CO2/TJ]`` with IPCC 2006 default factors (oxidation 1),
then converted to tce at 29.3076 GJ/tce (GB/T 2589).  The 2020 accounts are the
2019 inventory scaled by Tianjin's published 2020 change in total energy use
(-1.7%), fuel mix and sector mix held at 2019 (a stated assumption).

Electricity convention: fossil fuels count where they are burnt (power plants
included).  Electricity received from outside Tianjin is counted, at the local
fleet's energy per unit of power output, for the district that buys it.  Local
non-fossil electricity is estimated as a share of the total and sits in the
power sector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .sources import INPUTS, Shared

TCE_PER_TJ = 1.0 / 0.0293076  # GB/T 2589: 1 tce = 29.3076 GJ
CEADS_YEARS = (2017, 2018, 2019)
CEADS_2019_TOTAL = 158.47  # Mt, data README
FUEL_GROUPS = ("coal", "oil", "gas")


@dataclass(frozen=True)
class Inventory:
    """Tianjin CO2 (Mt) and energy (10^4 tce) by model sector (+ households) and CEADs fuel."""

    year: int
    sectors: tuple[str, ...]  # model sectors + "households"
    fuels: tuple[str, ...]
    co2: np.ndarray  # (n_sector + 1, n_fuel)
    energy: np.ndarray  # (n_sector + 1, n_fuel), 10^4 tce
    process_co2: np.ndarray  # (n_sector + 1,)


def fuel_table() -> pd.DataFrame:
    return pd.read_csv(INPUTS / "fuels.csv")


def read_ceads(shared: Shared, year: int) -> pd.DataFrame:
    raw = shared.ceads(year)
    raw["sector"] = raw["sector"].str.strip()
    raw = raw.rename(columns={"Cleaned_Coal": "CleanedCoal"})
    return raw.set_index("sector")


def inventory(shared: Shared, year: int, sectors: tuple[str, ...], split_weights: dict[str, np.ndarray]) -> Inventory:
    """Map one CEADs year onto the model sectors.

    ``split_weights[ceads_sector]`` gives the shares used where one CEADs sector
    covers several model sectors (only "Others": output shares of the services it holds).
    """
    raw = read_ceads(shared, year)
    fuels = fuel_table()
    totals = raw.iloc[0]
    body = raw.iloc[1:]
    fuel_names = list(fuels["fuel"])
    if abs(body[fuel_names + ["Process"]].to_numpy(float).sum() - float(totals["Scope_1_Total"])) > 1e-6:
        raise ValueError(f"CEADs {year}: fuels and process do not add up to the stated total")
    if year == 2019 and abs(float(totals["Scope_1_Total"]) - CEADS_2019_TOTAL) > 0.005:
        raise ValueError("CEADs 2019 total differs from the 158.47 Mt the data README states")

    mapping = pd.read_csv(INPUTS / "ceads_sectors.csv")
    rows = list(sectors) + ["households"]
    index = {s: i for i, s in enumerate(rows)}
    co2 = np.zeros((len(rows), len(fuel_names)))
    process = np.zeros(len(rows))
    if set(mapping["ceads_sector"]) != set(body.index):
        raise ValueError(
            f"ceads_sectors.csv does not cover CEADs {year}: {sorted(set(body.index) ^ set(mapping['ceads_sector']))}"
        )
    for row in mapping.itertuples(index=False):
        targets = row.sector.split(";")
        weights = split_weights[row.ceads_sector] if len(targets) > 1 else np.ones(1)
        values = body.loc[row.ceads_sector, fuel_names].to_numpy(float)
        for target, w in zip(targets, weights):
            co2[index[target]] += w * values
            process[index[target]] += w * float(body.loc[row.ceads_sector, "Process"])
    ef = fuels["kg_co2_per_tj"].to_numpy(float)
    energy = co2 * 1e9 / ef[None, :] * TCE_PER_TJ / 1e4  # Mt -> kg -> TJ -> 10^4 tce
    return Inventory(year, tuple(rows), tuple(fuel_names), co2, energy, process)


def scale(inv: Inventory, factor: float, year: int) -> Inventory:
    return Inventory(year, inv.sectors, inv.fuels, inv.co2 * factor, inv.energy * factor, inv.process_co2 * factor)


def by_group(inv: Inventory, values: np.ndarray) -> np.ndarray:
    """Sum fuel columns into coal / oil / gas."""
    groups = fuel_table().set_index("fuel").loc[list(inv.fuels), "group"].to_numpy()
    return np.stack([values[:, groups == g].sum(axis=1) for g in FUEL_GROUPS], axis=1)
