"""What a scenario report holds: every table a reader sees, computed once from the runs, the plan targets,
the Monte Carlo and the CO2 decomposition, for the page (:mod:`simcore.report.html`) and the workbook
(:mod:`simcore.report.workbook`) to render.  Nothing here draws or writes.

The headline, sector and comparison tables are the central (deterministic) runs; the fan charts and the
quantile table are the Monte Carlo draws, whose medians need not equal the central path (the draws sample
uncertain parameters and the estimated 2020 levels of the districts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from simcore import __version__
from simcore.baseline.tables import Baseline
from simcore.errors import ReportError
from simcore.model.variables import DECOMPOSITION_TERMS
from simcore.plotting import required_quantiles, unit_label

#: the headline indicators: result variable -> the name a reader sees
HEADLINE = {
    "GDP": "GDP",
    "Energy Intensity|GDP": "Energy intensity of GDP",
    "Emissions|CO2": "CO2 emissions",
}
YEARS = (2020, 2025, 2030, 2035)
#: the three broad sectors (NBS classification); they add up to GDP
SECTORS = {
    "Value Added|Primary": "Primary",
    "Value Added|Secondary": "Secondary",
    "Value Added|Tertiary": "Tertiary",
}
#: the regions of the fan charts, the comparison charts and the decomposition waterfalls unless the report
#: is asked for others (``simcore report --region``)
FIGURE_REGIONS = ("tianjin", "binhai")
FAN_PRESET = "boe"
#: statuses of the scoreboard, in the order a reader counts them
STATUSES = ("met", "exceeded", "missed", "imposed", "not modelled")
DECOMPOSITION_ORDER = ("CO2 start", *DECOMPOSITION_TERMS, "Total change", "CO2 end")


@dataclass(frozen=True)
class Report:
    """The contents of a report: metadata, the tables (pandas, ready to show) and the long tables the
    figures are drawn from."""

    scenario: str
    description: str
    layers: tuple[str, ...]
    baseline_checksum: str
    created: str
    seed: int | None
    draws: int | None
    compared: tuple[str, ...]
    region_names: dict[str, str]
    headline: pd.DataFrame
    targets: pd.DataFrame
    target_summary: pd.DataFrame
    sectors: pd.DataFrame
    decomposition: pd.DataFrame
    comparison: pd.DataFrame | None = None
    figure_regions: tuple[str, ...] = FIGURE_REGIONS  # of the fans, comparison charts and waterfalls
    quantiles: pd.DataFrame | None = None
    results: pd.DataFrame = field(default=None, repr=False)  # the central run's long table
    compared_results: pd.DataFrame | None = field(default=None, repr=False)  # every scenario's long table
    fan_quantiles: pd.DataFrame | None = field(default=None, repr=False)  # long, for fan_chart
    fan_history: dict | None = field(default=None, repr=False)  # (region, variable) -> the published record
    plan_targets: pd.DataFrame | None = field(default=None, repr=False)  # targets.csv, for fan_chart
    decomposition_long: pd.DataFrame = field(default=None, repr=False)  # for the waterfall
    version: str = __version__
    command: str = ""


def build_report(
    scenario,
    compare=(),
    draws: int | None = None,
    seed: int | None = None,
    *,
    overrides=None,
    baseline: Baseline | None = None,
    progress: bool = False,
    command: str = "",
    regions=None,
) -> Report:
    """Run a scenario (and each scenario of ``compare``), score the plan targets, decompose CO2 and, with
    ``draws``, run the Monte Carlo; return the :class:`Report`.

    Every argument is checked, and every scenario file loaded and validated, before anything runs.

    Parameters
    ----------
    scenario : path-like or Scenario
        The scenario reported on.
    compare : sequence of path-like or Scenario
        Scenarios drawn beside it (the comparison table and chart).
    draws : int, optional
        Monte Carlo draws for the fan charts, the quantile table and the probability of each target;
        ``None``: no Monte Carlo.
    seed : int, optional
        Seed of the Monte Carlo (default: the scenario's seed, else 0).
    overrides : mapping, optional
        Dotted-path overrides of ``scenario`` (not of the compared scenarios).
    regions : sequence of str, optional
        Region ids of the fan charts, the comparison charts (one each) and the decomposition waterfalls, in
        the order given (default :data:`FIGURE_REGIONS`, Tianjin and the Binhai New Area); the tables
        always hold every region.  An unknown id is a :class:`~simcore.errors.ReportError` that names it
        and the nearest valid ones.
    """
    from simcore.baseline.tables import load_baseline
    from simcore.scenario.loader import Scenario, load_scenario, with_overrides

    if draws is not None and (isinstance(draws, bool) or int(draws) < 1):
        raise ReportError(f"--draws {draws}: expected at least 1 Monte Carlo draw (leave it out for no fan charts)")
    b = baseline or load_baseline()
    figure_regions = tuple(dict.fromkeys(regions)) if regions else FIGURE_REGIONS
    unknown = b.regions.unknown(figure_regions, "--region")
    if unknown:
        raise ReportError(unknown)
    for other in compare:
        if not isinstance(other, Scenario) and not Path(other).is_file():
            raise ReportError(f"--compare {other}: no such scenario file")
    if isinstance(scenario, Scenario):
        main = with_overrides(scenario, overrides, baseline=b) if overrides else scenario
    else:
        main = load_scenario(scenario, overrides=overrides, baseline=b)
    others = [s if isinstance(s, Scenario) else load_scenario(s, baseline=b) for s in compare]
    seen = {main.name: "the report's scenario"}
    for given, other in zip(compare, others):
        if other.name in seen:
            raise ReportError(
                f"--compare {given}: its scenario name {other.name!r} is already {seen[other.name]}; "
                "each scenario on the comparison chart needs its own name"
            )
        seen[other.name] = f"that of --compare {given}"

    from simcore.analysis.decompose import decompose_run
    from simcore.results.run import run

    results = run(main, baseline=b)
    names = dict(zip(b.regions.ids, b.regions.names))
    mc = None
    if draws is not None:
        from simcore.experiments.montecarlo import DEFAULT_QUANTILES, monte_carlo

        mc = monte_carlo(main, draws=int(draws), seed=seed, baseline=b, progress=progress)
    targets = scoreboard(main, results, b, mc)
    decomposition_long = decompose_run(main, b, regions=b.regions.ids)
    compared_results = None
    comparison = None
    if others:
        compared_results = pd.concat([results.table] + [run(o, baseline=b).table for o in others], ignore_index=True)
        comparison = comparison_table(compared_results, names)
    fan_quantiles = quantiles = fan_history = None
    if mc is not None:
        q = tuple(sorted(set(DEFAULT_QUANTILES) | set(required_quantiles(FAN_PRESET))))
        fan_quantiles = mc.quantiles(q)
        fan_quantiles = fan_quantiles[fan_quantiles["variable"].isin(list(HEADLINE))].reset_index(drop=True)
        quantiles = quantile_table(fan_quantiles, names)
        from simcore.baseline.history import published_paths

        fan_history = published_paths(b, fan_quantiles, [(r, v) for r in figure_regions for v in HEADLINE])
    prov = results.provenance
    return Report(
        scenario=main.name,
        description=str(prov.get("description") or ""),
        layers=tuple(prov.get("layers", ())),
        baseline_checksum=prov["baseline_checksum"],
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seed=None if mc is None else int(mc.seed),
        draws=None if mc is None else int(mc.n_draws),
        compared=tuple(o.name for o in others),
        region_names=names,
        headline=headline_table(results.table, names),
        targets=targets,
        target_summary=target_summary(targets, names),
        sectors=sector_table(results.table, names),
        decomposition=decomposition_table(decomposition_long, names),
        comparison=comparison,
        figure_regions=figure_regions,
        quantiles=quantiles,
        results=results.table,
        compared_results=compared_results,
        fan_quantiles=fan_quantiles,
        fan_history=fan_history,
        plan_targets=b.targets,
        decomposition_long=decomposition_long,
        command=command,
    )


def _wide(table: pd.DataFrame, variables, years=YEARS) -> pd.DataFrame:
    part = table[table["variable"].isin(list(variables)) & table["year"].isin(list(range(YEARS[0], YEARS[-1] + 1)))]
    return part.pivot_table(index=["region", "variable"], columns="year", values="value")


def _rate(end: float, start: float, years: int) -> float:
    """Average annual rate of change, % a year."""
    if start <= 0 or end <= 0:
        return math.nan
    return 100.0 * ((end / start) ** (1.0 / years) - 1.0)


def headline_table(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """GDP, energy intensity and CO2 of every region (region-tree order) in 2020, 2025, 2030 and 2035, with
    the average annual change over the 14th plan (2021-2025) and 2026-2035."""
    wide = _wide(table, HEADLINE)
    units = table.drop_duplicates("variable").set_index("variable")["unit"]
    rows = []
    for variable, label in HEADLINE.items():
        for region, name in names.items():
            values = wide.loc[(region, variable)]
            rows.append(
                {
                    "indicator": label,
                    "unit": unit_label(units[variable]),
                    "region_id": region,
                    "region": name,
                    **{year: float(values[year]) for year in YEARS},
                    "%/yr 2021-2025": _rate(values[2025], values[2020], 5),
                    "%/yr 2026-2035": _rate(values[2035], values[2025], 10),
                }
            )
    return pd.DataFrame(rows)


def scoreboard(scenario, results, b: Baseline, mc=None) -> pd.DataFrame:
    """The plan targets as ``simcore targets`` scores them (the central run, imposed targets marked,
    outturns where published), with the probability of meeting each one across the draws of ``mc``."""
    from simcore.analysis.targets import attainment, imposed_targets, scored_targets

    table = scored_targets(scenario, results, b)
    table["status_group"] = table["status"].where(~table["status"].str.startswith("not modelled"), "not modelled")
    if mc is not None:
        imposed = imposed_targets(b.targets, scenario, b)
        odds = attainment(b.targets, mc.get, imposed)[["target_id", "probability", "median", "p05", "p95"]]
        table = table.merge(odds, on="target_id", how="left")
    return table


def target_summary(targets: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Targets counted by status for each plan (seed region) and in all."""
    counts = targets.groupby(["seed_region", "status_group"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    order = [r for r in names if r in counts.index] + [r for r in counts.index if r not in names]
    counts = counts.loc[order]
    counts.loc["all"] = counts.sum()
    counts["total"] = counts.sum(axis=1)
    counts.insert(0, "plan of", [names.get(r, "all plans" if r == "all" else r) for r in counts.index])
    return counts.reset_index(names="region_id")


def sector_table(table: pd.DataFrame, names: dict[str, str], years=YEARS) -> pd.DataFrame:
    """Value added of the three broad sectors, their sum (GDP) and shares (% at 2020 prices) by region (those
    of ``names``, id -> display name, in its order) and year; ``simcore sectors`` prints it, the report shows it."""
    wide = _wide(table, list(SECTORS) + ["GDP"])
    rows = []
    for region, name in names.items():
        for year in years:
            row = {"region_id": region, "region": name, "year": year}
            for variable, label in SECTORS.items():
                row[label] = float(wide.loc[(region, variable), year])
            gdp = float(wide.loc[(region, "GDP"), year])
            row["GDP"] = gdp
            for label in SECTORS.values():
                row[f"{label} %"] = 100.0 * row[label] / gdp if gdp else math.nan
            rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["unit"] = unit_label(table.loc[table["variable"] == "GDP", "unit"].iloc[0])
    return out


def comparison_table(compared: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The headline indicators of every scenario (one column each, the report's own first) by region and
    year, and how far the report's scenario lies from each other one (%)."""
    scenarios = list(dict.fromkeys(compared["scenario"]))
    main = scenarios[0]
    part = compared[compared["variable"].isin(list(HEADLINE)) & compared["year"].isin(list(YEARS))]
    wide = part.pivot_table(index=["variable", "region", "year"], columns="scenario", values="value")
    units = compared.drop_duplicates("variable").set_index("variable")["unit"]
    rows = []
    for variable, label in HEADLINE.items():
        for region, name in names.items():
            for year in YEARS:
                values = wide.loc[(variable, region, year)]
                row = {
                    "indicator": label,
                    "unit": unit_label(units[variable]),
                    "region_id": region,
                    "region": name,
                    "year": year,
                }
                row |= {s: float(values[s]) for s in scenarios}
                for other in scenarios[1:]:
                    ref = float(values[other])
                    row[f"{main} vs {other} %"] = 100.0 * (float(values[main]) / ref - 1.0) if ref else math.nan
                rows.append(row)
    return pd.DataFrame(rows)


def decomposition_table(long: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The LMDI terms (Mt CO2) by region and period, one column per term."""
    wide = long.pivot_table(index=["region", "start", "end"], columns="term", values="value", sort=False)
    wide = wide[list(DECOMPOSITION_ORDER)].reset_index()
    wide.insert(1, "region_name", wide["region"].map(names))
    wide = wide.rename(columns={"region": "region_id", "region_name": "region"})
    order = {r: i for i, r in enumerate(names)}
    wide = wide.sort_values(["region_id", "end"], key=lambda s: s.map(order) if s.name == "region_id" else s)
    return wide.reset_index(drop=True)


def quantile_table(quantiles: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The Monte Carlo quantiles of the headline indicators: one row per region, indicator and year, one
    column per quantile."""
    wide = quantiles.pivot_table(index=["variable", "unit", "region", "year"], columns="quantile", values="value")
    wide.columns = [f"q{float(q):.3g}" for q in wide.columns]
    wide = wide.reset_index()
    order = {r: i for i, r in enumerate(names)}
    var_order = {v: i for i, v in enumerate(HEADLINE)}
    wide = wide.sort_values(
        ["variable", "region", "year"],
        key=lambda s: s.map(var_order) if s.name == "variable" else (s.map(order) if s.name == "region" else s),
    )
    wide.insert(0, "indicator", wide.pop("variable").map(HEADLINE))
    wide["unit"] = wide["unit"].map(unit_label)
    wide.insert(2, "region_id", wide.pop("region"))
    wide.insert(3, "region", wide["region_id"].map(names))
    return wide.reset_index(drop=True)
