"""The variable registry: every output variable's name, unit, how it is computed and how it aggregates.

:data:`REGISTRY` is the one list results, Monte Carlo, sweeps, plots and the command line read
(:func:`variable_names`, :func:`unit_of`, :func:`variable`); :func:`batch_variables` computes them from
the kernel outputs, in registry order (a test keeps the two in step).  Names follow the IAMC ``|``
hierarchy; ``{sector}`` and ``{aggregate}`` stand for the baseline's sector labels and aggregate names,
``{fuel}`` and ``{source}`` for :data:`ENERGY_FUELS` and :data:`CO2_PARTS` (the order of the kernel's
fuel and source axes, ``simcore.baseline.tables.FUELS`` and ``CO2_SOURCES``).

Aggregation over regions (``aggregates``): ``sum`` adds the leaves (the region tree's matrix); ``ratio``
is recomputed from the aggregated numerator and denominator, never averaged; ``growth`` is recomputed from
the aggregated level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from simcore.baseline.tables import CO2_SOURCES, FUELS, Baseline
from simcore.model.prices import nominal_value_added, output_prices
from simcore.scenario.schema import YEARS

CNY = "100 million CNY_2020"
CNY_NOMINAL = "100 million CNY"  # at current prices
#: display names of the fuels and CO2 sources; their order is that of the baseline (FUELS, CO2_SOURCES),
#: which the kernel's axes follow too (tests/test_boundary.py)
LABELS = {
    "coal": "Coal",
    "oil": "Oil",
    "gas": "Gas",
    "nonfossil": "Non-fossil",
    "electricity_inflow": "Electricity Inflow",
    "process": "Process",
}
ENERGY_FUELS = tuple(LABELS[fuel] for fuel in FUELS)
CO2_PARTS = tuple(LABELS[source] for source in CO2_SOURCES)
#: published 2020 GDP growth (%) where a source gives it (the model starts in 2020)
GROWTH_2020 = {
    "tianjin": "tianjin_gdp_growth_2020",
    "binhai": "binhai_gdp_growth_2020",
    "dongli": "dongli_gdp_growth_2020",
}


#: the Kaya-LMDI terms of CO2 change (simcore.analysis.decompose), in order
DECOMPOSITION_TERMS = ("Population", "GDP per Capita", "Structure", "Energy Intensity", "Carbon per Energy")

CLOSURE_LEAF = "rest_of_tianjin"


def scale_levels(values: np.ndarray, scale: np.ndarray, closure: int) -> np.ndarray:
    """Scale each leaf's levels (D, T, R) by ``scale`` (D, R); the closure leaf keeps Tianjin's 2020 total."""
    start = values[:, 0, :]
    factor = np.array(scale, dtype=float, copy=True)
    others = np.delete(factor * start, closure, axis=1).sum(axis=1)
    base = start[:, closure]
    factor[:, closure] = np.divide(start.sum(axis=1) - others, base, out=np.ones_like(base), where=base != 0)
    return values * factor[:, None, :]


def _no_sign_flip(values: np.ndarray, scaled: np.ndarray, leaves, what: str) -> None:
    """A redistribution of the 2020 levels must not turn a non-negative level negative (a leaf holding most
    of Tianjin's total of a variable, drawn high, would leave the closure leaf below zero)."""
    flipped = (scaled < -1e-9 * (1.0 + np.abs(values))) & (values >= 0)
    if flipped.any():
        from simcore.errors import ProjectionError

        d, t, r = (int(i) for i in np.argwhere(flipped)[0])
        raise ProjectionError(
            f"{int(flipped.any(axis=(1, 2)).sum())} draw(s) failed, first draw {d} of the batch in {YEARS[t]}: the "
            f"estimated 2020 levels drawn (uncertainty.baseline_levels) leave {leaves[r]} a negative {what} "
            f"({float(scaled[d, t, r]):.6g}); set uncertainty.baseline_levels: false to keep the 2020 levels",
            [(d, YEARS[t], leaves[r], what, float(scaled[d, t, r]))],
        )


def batch_variables(
    b: Baseline,
    raw,
    paths,
    draws: slice = slice(None),
    level_scale: np.ndarray | None = None,
    keep=None,
) -> dict[str, np.ndarray]:
    """Every region-level variable for a batch of draws: name -> (D, n_region_all, T).

    ``paths`` are the scenario's compiled paths (residents, price paths; deterministic).  ``level_scale`` (D, R), when
    given, redistributes Tianjin's 2020 totals among the leaves (Monte Carlo over estimated 2020 levels):
    every level variable of a leaf is scaled, the closure leaf absorbing the difference.  ``keep``, when
    given, names the variables wanted: the others are skipped where nothing wanted depends on them (the
    result may hold a few more; a Monte Carlo run keeps a third of them and this halves its cost).
    """
    wanted = None if keep is None else set(keep)

    def need(*names: str) -> bool:
        return wanted is None or any(name in wanted for name in names)

    pop = paths.pop
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    M = b.regions.matrix  # (all regions, leaves)
    va = raw.va[draws].reshape(-1, T, R, S)
    D = va.shape[0]
    closure = b.leaves.index(CLOSURE_LEAF) if CLOSURE_LEAF in b.leaves else R - 1

    def agg(
        values: np.ndarray, extensive: bool = True, what: str = "level"
    ) -> np.ndarray:  # (D, T, R) -> (D, regions, T)
        if level_scale is not None and extensive:
            scaled = scale_levels(values, level_scale, closure)
            _no_sign_flip(values, scaled, b.leaves, what)
            values = scaled
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
        if need(f"Value Added|{label}"):
            out[f"Value Added|{label}"] = agg(va[:, :, :, s], what=f"Value Added|{label}")
    for a, name in enumerate(b.sectors.aggregate_names):
        out[f"Value Added|{name}"] = agg(va @ b.sectors.weights[a])
    if need("Gross Output", "Price|Gross Output"):
        out["Gross Output"] = agg((va / b.va_ratio).sum(axis=3))
    out["Investment|Fixed Assets"] = agg(raw.fai[draws], extensive=False)
    out["Capital Stock"] = agg(raw.capital[draws].reshape(D, T, R, S).sum(axis=3))
    population = np.broadcast_to(M @ pop, (D, len(M), T))
    employment = agg(raw.jobs[draws], extensive=False)
    out["Population"] = population
    out["Employment"] = employment
    out["Labour Force"] = np.broadcast_to(M @ (pop * b.participation[:, None]), (D, len(M), T))
    if need("Imports|Capacity Overflow"):
        out["Imports|Capacity Overflow"] = agg(raw.overflow[draws], extensive=False)
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
    if need("Energy Consumption|Households"):
        out["Energy Consumption|Households"] = agg(cell_energy[:, :, :, S])
    out["Energy Intensity|GDP"] = total / gdp
    emissions = agg(co2.sum(axis=3))
    out["Emissions|CO2"] = emissions
    for k, part in enumerate(CO2_PARTS):
        if need(f"Emissions|CO2|{part}"):
            out[f"Emissions|CO2|{part}"] = agg(co2[:, :, :, k])
    out["Carbon Intensity|GDP"] = 100.0 * emissions / gdp  # Mt per 10^8 CNY -> t per 10^4 CNY
    nominal_names = ["Price|GDP Deflator", "GDP|Nominal", "Price|Gross Output"] + [
        f"{kind}{name}{tail}"
        for name in b.sectors.aggregate_names
        for kind, tail in (("Value Added|", "|Nominal"), ("Share|", ""), ("Price|Value Added|", ""))
    ]
    if not need(*nominal_names):
        return out
    nominal = nominal_value_added(b, paths, va)  # (D, T, R, S) at current prices
    gdp_nominal = agg(nominal.sum(axis=3))
    out["Price|GDP Deflator"] = gdp_nominal / gdp  # Paasche: nominal over real, region by region
    out["GDP|Nominal"] = gdp_nominal
    for a, name in enumerate(b.sectors.aggregate_names):
        out[f"Value Added|{name}|Nominal"] = agg(nominal @ b.sectors.weights[a])
    for name in b.sectors.aggregate_names:
        out[f"Share|{name}"] = 100.0 * out[f"Value Added|{name}|Nominal"] / gdp_nominal
    for name in b.sectors.aggregate_names:
        real = out[f"Value Added|{name}"]
        out[f"Price|Value Added|{name}"] = np.divide(
            out[f"Value Added|{name}|Nominal"], real, out=np.ones_like(real), where=real != 0
        )
    if need("Price|Gross Output"):
        gross = (va / b.va_ratio).reshape(D, T, R * S)  # gross output by cell
        nominal_output = agg((gross * output_prices(b, paths)[None, :, :]).reshape(D, T, R, S).sum(axis=3))
        out["Price|Gross Output"] = nominal_output / out["Gross Output"]
    return out


@dataclass(frozen=True)
class Variable:
    """One registry entry (a family when the name holds ``{sector}``, ``{aggregate}``, ``{fuel}``, ``{source}``)."""

    name: str
    unit: str
    computed: str
    aggregates: str  # sum | ratio | growth
    base_year: str = "modelled"  # "published where a source gives it": undefined (not written) elsewhere


REGISTRY: tuple[Variable, ...] = (
    Variable("GDP", CNY, "value added summed over sectors: sum_i v_i x_i", "sum"),
    Variable(
        "GDP|Growth",
        "%",
        "100 (GDP_t / GDP_t-1 - 1)",
        "growth",
        base_year="published where a source gives it (parameters tianjin/binhai/dongli_gdp_growth_2020)",
    ),
    Variable("Value Added|{sector}", CNY, "v_i x_i", "sum"),
    Variable("Value Added|{aggregate}", CNY, "value added weighted by the aggregate's sector weights", "sum"),
    Variable("Gross Output", CNY, "x summed over sectors", "sum"),
    Variable("Investment|Fixed Assets", CNY, "planned investment x realisation x draw multiplier", "sum"),
    Variable("Capital Stock", CNY, "K_t = (1 - delta) K_t-1 + phi I_t theta, summed over sectors", "sum"),
    Variable("Population", "10^4 persons", "the scenario's residents path", "sum"),
    Variable("Employment", "10^4 persons", "jobs by workplace: labour x utilisation of capacity", "sum"),
    Variable("Labour Force", "10^4 persons", "resident workers by residence: participation x residents", "sum"),
    Variable("Imports|Capacity Overflow", CNY, "demand beyond capacity x (1 + margin) bought outside Tianjin", "sum"),
    Variable("Labour Productivity", "10^4 CNY_2020/worker", "GDP / Employment", "ratio"),
    Variable("GDP per Capita", "10^4 CNY_2020/person", "GDP / Population", "ratio"),
    Variable("Energy Consumption", "10^4 tce", "energy of every fuel, sectors and households", "sum"),
    Variable("Energy Consumption|{fuel}", "10^4 tce", "energy of one fuel, sectors and households", "sum"),
    Variable("Energy Consumption|Industry", "10^4 tce", "energy of the industry aggregate's sectors", "sum"),
    Variable("Energy Consumption|Households", "10^4 tce", "residential energy", "sum"),
    Variable("Energy Intensity|GDP", "tce/10^4 CNY_2020", "Energy Consumption / GDP", "ratio"),
    Variable("Emissions|CO2", "Mt CO2", "CO2 of every source", "sum"),
    Variable("Emissions|CO2|{source}", "Mt CO2", "CO2 of one source (fuel combustion or process)", "sum"),
    Variable("Carbon Intensity|GDP", "t CO2/10^4 CNY_2020", "100 Emissions|CO2 / GDP", "ratio"),
    Variable(
        "Price|GDP Deflator",
        "2020 = 1",
        "GDP|Nominal / GDP: the Paasche deflator of the sectors' value-added prices (prices.value_added)",
        "ratio",
    ),
    Variable("GDP|Nominal", CNY_NOMINAL, "value added at current prices: sum_i pi_va,i v_i x_i", "sum"),
    Variable(
        "Value Added|{aggregate}|Nominal",
        CNY_NOMINAL,
        "the aggregate's value added at current prices (each sector's times its price of value added)",
        "sum",
    ),
    Variable(
        "Share|{aggregate}",
        "% of GDP",
        "100 Value Added|{aggregate}|Nominal / GDP|Nominal: the share at current prices, as published",
        "ratio",
    ),
    Variable(
        "Price|Value Added|{aggregate}",
        "2020 = 1",
        "Value Added|{aggregate}|Nominal / Value Added|{aggregate} (1 where the aggregate has no value added)",
        "ratio",
    ),
    Variable("Price|Gross Output", "2020 = 1", "Leontief cost-push prices weighted by gross output", "ratio"),
)


def _expand(entry: Variable, b: Baseline) -> list[str]:
    if "{sector}" in entry.name:
        return [entry.name.format(sector=label) for label in b.sectors.labels]
    if "{aggregate}" in entry.name:
        return [entry.name.format(aggregate=name) for name in b.sectors.aggregate_names]
    if "{fuel}" in entry.name:
        return [entry.name.format(fuel=fuel) for fuel in ENERGY_FUELS]
    if "{source}" in entry.name:
        return [entry.name.format(source=part) for part in CO2_PARTS]
    return [entry.name]


def variable_names(b: Baseline) -> list[str]:
    """Every variable name of the registry for this baseline, in :func:`batch_variables` order."""
    return [name for entry in REGISTRY for name in _expand(entry, b)]


def _pattern(template: str) -> re.Pattern:
    """A family name as a pattern: each ``{...}`` stands for one part of the ``|`` hierarchy."""
    return re.compile("[^|]+".join(re.escape(part) for part in re.split(r"\{[a-z]+\}", template)))


def variable(name: str) -> Variable:
    """The registry entry of a variable name (a family's entry for ``Value Added|Steel``)."""
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    for entry in REGISTRY:
        if "{" in entry.name and _pattern(entry.name).fullmatch(name):
            return entry
    raise KeyError(name)


def nominal_counterpart(name: str) -> str:
    """The current-price twin of a value-added level at 2020 prices (``GDP`` -> ``GDP|Nominal``,
    ``Value Added|Tertiary`` -> ``Value Added|Tertiary|Nominal``; aggregates only, see the registry), for
    scoring targets stated in current prices.

    Raises
    ------
    KeyError
        When the variable is neither GDP nor a value-added level.
    """
    if name == "GDP":
        return "GDP|Nominal"
    if name.startswith("Value Added|") and name.count("|") == 1:
        return f"{name}|Nominal"
    raise KeyError(f"{name} has no current-price twin (only GDP and Value Added|<aggregate> have one)")


def unit_of(name: str) -> str:
    """The unit of a variable name, from the registry."""
    return variable(name).unit


def defined_in(name: str, year: int) -> bool:
    """False where a variable has no modelled value by definition (GDP growth in the base year)."""
    return not (year == YEARS[0] and variable(name).base_year != "modelled")
