"""The published record (``calibration/data/history.csv``) as the calibration and the backtest read it.

A *vintage* is the last year whose statistics a calibration may use.  :func:`load_history` is the only
reader of the history tables, and it drops every row after the vintage before anything else sees the
table, so a calibration at vintage 2020 cannot use a 2021 figure however it is written.
"""

from __future__ import annotations

import pandas as pd

from simcore.baseline.tables import Baseline
from simcore.errors import VintageError

GROWTH = "GDP|Real Growth"


def history_years(b: Baseline) -> tuple[int, int]:
    years = pd.read_csv(b.data_dir / "history.csv", usecols=["year"])["year"]
    return int(years.min()), int(years.max())


def default_vintage(b: Baseline) -> int:
    """The latest year in the history table."""
    return history_years(b)[1]


def check_vintage(b: Baseline, vintage: int | None) -> int:
    first, last = history_years(b)
    if vintage is None:
        return last
    if isinstance(vintage, bool) or not isinstance(vintage, int) or not first <= vintage <= last:
        raise VintageError(f"vintage {vintage!r} is outside the history ({first}-{last}, {b.data_dir / 'history.csv'})")
    return vintage


def load_history(b: Baseline, vintage: int | None = None, used_only: bool = True) -> pd.DataFrame:
    """History rows up to ``vintage`` (default: all), the ``used`` rows only unless asked otherwise.

    Raises
    ------
    VintageError
        When the vintage is outside the years of the table, or a row has no source.
    """
    table = pd.read_csv(b.data_dir / "history.csv", keep_default_na=False, na_values=[""])
    if vintage is not None:
        vintage = check_vintage(b, vintage)
        table = table[table["year"] <= vintage]
    missing = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    if missing.any():
        row = table[missing].iloc[0]
        raise VintageError(
            f"{b.data_dir / 'history.csv'} row {int(row.name) + 2}: "
            f"{row['region']} {row['variable']} {row['year']} has no source"
        )
    if used_only:
        table = table[table["status"] == "used"]
    return table.reset_index(drop=True)


def load_metrics(b: Baseline, vintage: int | None = None) -> pd.DataFrame:
    """The calibration metrics (``history_metrics.csv``) whose period ends by ``vintage``."""
    table = pd.read_csv(b.data_dir / "history_metrics.csv", keep_default_na=False, na_values=[""])
    if vintage is not None:
        vintage = check_vintage(b, vintage)
        table = table[table["end"] <= vintage].reset_index(drop=True)
        if table.empty:
            raise VintageError(f"no calibration metric ends by the vintage {vintage}")
    return table


def vintage_assumptions(hist: pd.DataFrame, vintage: int) -> dict[str, float]:
    """Trend assumptions read off the record up to the vintage (the rules are in docs/calibration.md).

    * ``investment.default_growth``: Tianjin's latest published fixed-asset investment growth;
    * ``population.default_growth``: the average growth between Tianjin's two latest published resident
      populations (0 when only one is published).
    """
    rows = hist[(hist["region"] == "tianjin") & (hist["year"] <= vintage)]
    fai = rows[rows["variable"] == "Investment|Fixed Assets"].sort_values("year")
    fai = fai[fai["unit"].str.startswith("%")]
    if fai.empty:
        raise VintageError(f"no Tianjin fixed-asset investment growth published by {vintage}")
    pop = rows[rows["variable"] == "Population"].sort_values("year")
    if len(pop) >= 2:
        a, z = pop.iloc[-2], pop.iloc[-1]
        pop_growth = (z["value"] / a["value"]) ** (1 / (z["year"] - a["year"])) - 1
    else:
        pop_growth = 0.0
    return {
        "investment.default_growth": round(float(fai["value"].iloc[-1]) / 100, 6),
        "population.default_growth": round(float(pop_growth), 6),
    }


#: history variables that are changes on the year before, by the result variable they are the change of
_CHAINED = {"GDP": ("GDP|Real Growth", "GDP|Real Index"), "Energy Intensity|GDP": ("Energy Intensity|GDP", None)}
#: history variables in the result variable's own unit
_DIRECT = {"GDP|Growth": "GDP|Real Growth", "Population": "Population"} | {
    f"Share|{s}": f"Share|{s}" for s in ("Primary", "Secondary", "Tertiary")
}
#: published GDP levels deflated to 2020 prices (the outturn after 2020)
_REAL_LEVEL = "GDP|2020 prices"
#: Tianjin's energy and CO2 totals come from the CEADs inventories of the baseline (energy_co2_tianjin.csv)
_INVENTORY = {"Energy Consumption": "energy_10k_tce", "Emissions|CO2": "co2_mt"}


def published_path(b: Baseline, region: str, variable: str, level_2020: float) -> pd.DataFrame:
    """The published record of a result variable, in the variable's own unit, for drawing beside a
    projection: columns ``year, value, source``, every year the record allows (2020 included where the
    path is anchored there), later years being the outturn.

    Levels at 2020 prices are not published for most years, so a level is *derived*: real growth on the
    year before (GDP), or the year-on-year change of energy intensity, is chained back and forth from
    ``level_2020`` (the model's 2020 value), and Tianjin's energy and CO2 follow the CEADs inventory's
    ratio to its 2020 total.  After 2020 a GDP level published and deflated to 2020 prices
    (``GDP|2020 prices``) is drawn as it is, in place of the chained one.  Growth rates, population and
    shares are drawn as published.  An empty frame when the record has nothing for the pair.
    """
    hist = load_history(b)
    rows = hist[hist["region"] == region]
    if variable in _DIRECT:
        part = rows[rows["variable"] == _DIRECT[variable]].sort_values("year")
        return part[["year", "value", "source"]].reset_index(drop=True)
    if variable in _CHAINED:
        change, index = _CHAINED[variable]
        growth = {int(r.year): (float(r.value), str(r.source)) for r in rows[rows["variable"] == change].itertuples()}
        ratio: dict[int, tuple[float, str]] = {2020: (1.0, "the model's 2020 value")}
        year = 2020
        while year in growth and year - 1 not in ratio:  # back from 2020
            ratio[year - 1] = (ratio[year][0] / (1 + growth[year][0] / 100), growth[year][1])
            year -= 1
        year = 2021
        while year in growth:  # forward to the latest year published
            ratio[year] = (ratio[year - 1][0] * (1 + growth[year][0] / 100), growth[year][1])
            year += 1
        if index:
            for r in rows[rows["variable"] == index].itertuples():
                ratio.setdefault(int(r.year), (float(r.value) / 100, str(r.source)))
        levels = {y: (level_2020 * v, source) for y, (v, source) in ratio.items()}
        if variable == "GDP":  # the outturn as published, deflated to 2020 prices, where the table has it
            for r in rows[(rows["variable"] == _REAL_LEVEL) & (rows["year"] > 2020)].itertuples():
                levels[int(r.year)] = (float(r.value), str(r.source))
        if len(levels) == 1:
            return pd.DataFrame(columns=["year", "value", "source"])
        years = sorted(levels)
        return pd.DataFrame(
            {"year": years, "value": [levels[y][0] for y in years], "source": [levels[y][1] for y in years]}
        )
    if variable in _INVENTORY and region == "tianjin":
        inventory = pd.read_csv(b.data_dir / "energy_co2_tianjin.csv")
        totals = inventory.groupby("year")[_INVENTORY[variable]].sum()
        if 2020 not in totals.index or not totals[2020]:
            return pd.DataFrame(columns=["year", "value", "source"])
        return pd.DataFrame(
            {
                "year": totals.index.astype(int),
                "value": level_2020 * totals.to_numpy() / totals[2020],
                "source": [f"CEADs Tianjin {y} inventory (energy_co2_tianjin.csv)" for y in totals.index],
            }
        )
    return pd.DataFrame(columns=["year", "value", "source"])


def published_paths(b: Baseline, quantiles: pd.DataFrame, panels) -> dict:
    """:func:`published_path` of each (region, variable) of ``panels``, anchored on the median of its 2020
    value in a quantile table (as a fan chart draws it)."""
    median = quantiles[(quantiles["year"] == 2020) & (quantiles["quantile"].round(6) == 0.5)]
    start = median.set_index(["region", "variable"])["value"]
    return {(r, v): published_path(b, r, v, float(start[(r, v)])) for r, v in panels if (r, v) in start.index}
