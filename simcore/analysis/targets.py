"""Plan targets (``calibration/data/targets.csv``) scored against projections.

A target names a region, a simcore variable (and optionally a denominator, ``tianjin:<variable>`` for a
share of the Tianjin total), a basis and a comparison:

* ``level``: the variable in the target year; ``ratio``: variable / denominator;
* ``share``: 100 x variable / denominator (% of it);
* ``avg_growth``: average annual growth 2020 -> year, %; ``cumulative_growth``: growth over the period, %;
* ``cumulative_sum``: the sum over 2021 .. year;
* ``change_vs_2020``: % change of the variable (or of variable / denominator) against 2020.

Statuses, as a planner reads them:

* ``>=`` / ``<=``: ``met`` when the projection is on the right side, else ``missed``;
* ``range`` (``value`` to ``value_high``, e.g. the Eco-city's 12-15% growth): ``met`` inside, ``exceeded``
  above, ``missed`` below;
* ``=`` ("about X"): ``met`` within the tolerance (5% of the target, at least 0.25 points for a target in
  %), ``exceeded`` beyond it on the side the plan wants (higher, or for a reduction lower), else ``missed``;
* ``imposed``: the scenario sets the lever that determines the indicator (an investment path behind a
  cumulative FAI target, a population path, a share target of ``industry_shares``), so nothing was
  projected; the value is shown but not scored;
* ``not modelled``: with the reason.

Prices: each target says whether it is stated at current prices (``price_basis``: ``nominal``), at
comparable prices (``real``) or in physical units (``physical``); :func:`price_basis` is the rule, which
the calibration build writes into ``targets.csv``.  A nominal target is scored on the current-price twins
of its variables (``GDP|Nominal``, ``Value Added|<aggregate>|Nominal``), the others on the variables at
2020 prices, and the report states which (``price_basis``).  A targets table without the column (an old
one) is scored at 2020 prices throughout, as before prices existed.

Where the published record has the indicator for the target's year, the report adds the ``outturn`` and
whether the plan was met in reality (``outturn_status``).  Where the seed publishes the indicator's 2020
value (``value_2020``) and the model
measures it with a proxy of another level (a share or a ratio), the projection is *bridged*: scaled by
published 2020 / model 2020, so that the model's change is scored, not the proxy's level.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcore.model.variables import nominal_counterpart
from simcore.scenario.schema import START, YEARS

ABOUT = 0.05  # relative tolerance of "=" targets
ABOUT_POINTS = 0.25  # ... at least this many points for a target stated in %
REPORT_COLUMNS = [
    "target_id",
    "seed_region",
    "region",
    "indicator",
    "variable",
    "basis",
    "price_basis",
    "comparison",
    "year",
    "target",
    "target_high",
    "unit",
    "kind",
    "projected",
    "model_2020",
    "published_2020",
    "assessed",
    "gap",
    "met",
    "status",
    "outturn",
    "outturn_status",
    "source",
]


@dataclass(frozen=True)
class Target:
    target_id: str
    region: str
    indicator: str
    variable: str
    denominator: str
    basis: str
    comparison: str
    year: int
    value: float
    unit: str
    kind: str
    value_2020: float
    source: str
    value_high: float = math.nan
    price_basis: str = "real"  # nominal | real | physical (price_basis)

    @property
    def seed_region(self) -> str:
        return self.region

    @property
    def bridged(self) -> bool:
        return not math.isnan(self.value_2020) and self.basis in ("share", "ratio")


def price_basis(variable: str, denominator: str, basis: str) -> str:
    """Whether a target is stated at current prices (``nominal``), at comparable prices (``real``) or in
    physical units (``physical``), by the conventions of Chinese statistics:

    * shares of GDP or of value added are at current prices: ``nominal`` (the model scores them on its
      current-price twins, ``GDP|Nominal`` and ``Value Added|<aggregate>|Nominal``);
    * levels of GDP or value added in 亿元 are at current prices: ``nominal``;
    * growth rates (average, cumulative), intensities per unit of GDP and their changes, and labour
      productivity (全员劳动生产率, at comparable prices in the plans' indicator tables) are ``real``;
    * fixed-asset investment totals are at current prices in the plans, but the model has no investment
      price index: they are read and scored at 2020 prices and marked ``real``, a known gap (docs/validation.md);
    * energy, emissions and population without a money denominator are ``physical``.
    """
    money = ("GDP", "Value Added|")
    priced = variable == "GDP" or variable.startswith("Value Added|")
    over_money = denominator.removeprefix("tianjin:").startswith(money)
    if basis == "share" and priced and over_money:
        return "nominal"
    if basis in ("level", "cumulative_sum") and priced and not denominator:
        return "nominal"
    if priced or over_money or variable.startswith(("Investment|", "Energy Intensity|", "Carbon Intensity|")):
        return "real"
    return "physical"


def modelled_targets(targets: pd.DataFrame) -> list[Target]:
    """The targets the model can compute (a simcore variable and a year inside the horizon)."""
    rows = targets[(targets["variable"].fillna("") != "") & targets["year"].between(START + 1, YEARS[-1])]
    out = []
    for r in rows.itertuples(index=False):
        out.append(
            Target(
                r.target_id,
                r.region,
                r.indicator,
                r.variable,
                r.denominator if isinstance(r.denominator, str) else "",
                r.basis,
                r.comparison,
                int(r.year),
                float(r.value),
                r.unit,
                r.kind,
                float(r.value_2020) if not pd.isna(r.value_2020) else math.nan,
                r.source,
                float(getattr(r, "value_high", math.nan))
                if not pd.isna(getattr(r, "value_high", math.nan))
                else math.nan,
                _price_basis_of(r),
            )
        )
    return out


def _price_basis_of(row) -> str:
    value = getattr(row, "price_basis", "real")
    return value if isinstance(value, str) and value else "real"


Getter = Callable[[str, str], np.ndarray]  # (region, variable) -> (..., T)


def scored_variables(target: Target) -> tuple[str, str]:
    """The variable and denominator a target is scored on: their current-price twins for a nominal target."""
    if target.price_basis != "nominal":
        return target.variable, target.denominator
    prefix = "tianjin:" if target.denominator.startswith("tianjin:") else ""
    denominator = target.denominator.removeprefix(prefix)
    return nominal_counterpart(target.variable), prefix + nominal_counterpart(denominator) if denominator else ""


def _series(target: Target, get: Getter) -> tuple[np.ndarray, np.ndarray | None]:
    variable, denominator = scored_variables(target)
    numerator = get(target.region, variable)
    if not denominator:
        return numerator, None
    if denominator.startswith("tianjin:"):
        return numerator, get("tianjin", denominator.removeprefix("tianjin:"))
    return numerator, get(target.region, denominator)


def metric(target: Target, get: Getter) -> tuple[np.ndarray, np.ndarray]:
    """The projected indicator in the target year and its 2020 value (arrays over draws, or scalars)."""
    t = YEARS.index(target.year)
    num, den = _series(target, get)
    basis = target.basis
    if basis in ("level", "ratio", "share"):
        series = num if den is None else num / den
        scale = 100.0 if basis == "share" else 1.0
        return scale * series[..., t], scale * series[..., 0]
    if basis == "avg_growth":
        value = 100.0 * ((num[..., t] / num[..., 0]) ** (1.0 / (target.year - START)) - 1.0)
        return value, np.zeros_like(value)
    if basis == "cumulative_growth":
        value = 100.0 * (num[..., t] / num[..., 0] - 1.0)
        return value, np.zeros_like(value)
    if basis == "cumulative_sum":
        value = num[..., 1 : t + 1].sum(axis=-1)
        return value, np.zeros_like(value)
    if basis == "change_vs_2020":
        series = num if den is None else num / den
        value = 100.0 * (series[..., t] / series[..., 0] - 1.0)
        return value, np.zeros_like(value)
    raise ValueError(f"{target.target_id}: unknown basis {basis!r}")


def assessed(target: Target, get: Getter) -> tuple[np.ndarray, np.ndarray]:
    """(raw projection, assessed projection): bridged to the published 2020 value where there is one."""
    value, base = metric(target, get)
    if target.bridged:
        return value, value * target.value_2020 / base
    return value, value


def tolerance(target: Target) -> float:
    """Half-width of an "about X" target."""
    tol = ABOUT * abs(target.value)
    return max(tol, ABOUT_POINTS) if target.unit.strip().startswith("%") else tol


def status(target: Target, value: np.ndarray) -> np.ndarray:
    """``met``, ``exceeded`` or ``missed`` for each value (module docstring)."""
    value = np.asarray(value, dtype=float)
    eps = 1e-6 * abs(target.value)
    if target.comparison == ">=":
        return np.where(value >= target.value - eps, "met", "missed")
    if target.comparison == "<=":
        return np.where(value <= target.value + eps, "met", "missed")
    if target.comparison == "range":
        return np.where(
            value > target.value_high + eps, "exceeded", np.where(value >= target.value - eps, "met", "missed")
        )
    tol = tolerance(target)
    reduction = target.value < 0
    beyond = value < target.value - tol if reduction else value > target.value + tol
    return np.where(np.abs(value - target.value) <= tol, "met", np.where(beyond, "exceeded", "missed"))


def met(target: Target, value: np.ndarray) -> np.ndarray:
    """Whether the plan is met (``met`` or ``exceeded``)."""
    return np.isin(status(target, value), ("met", "exceeded"))


def imposed_targets(targets: pd.DataFrame, scenario, b) -> set[str]:
    """Ids of the targets whose indicator the scenario sets directly (so nothing was projected)."""
    if scenario is None:
        return set()
    spec = scenario.spec
    invest = {r for r, v in spec.investment.regions.items() if v.path is not None}
    population = set(spec.population.regions)
    shares = (
        {(r, k) for r, ks in spec.industry_shares.targets.items() for k in ks}
        if spec.industry_shares.mode == "target"
        else set()
    )
    aggregates = {"Value Added|" + name: key for key, name in zip(b.sectors.aggregate_ids, b.sectors.aggregate_names)}
    aggregates.update({"Value Added|" + label: sid for sid, label in zip(b.sectors.ids, b.sectors.labels)})
    out = set()
    for t in modelled_targets(targets):
        members = set(b.regions.members(t.region))
        if t.basis == "cumulative_sum" and t.variable == "Investment|Fixed Assets":
            if t.region in invest or (members and members <= invest):
                out.add(t.target_id)
        elif t.variable == "Population" and t.basis == "level":
            if t.region in population or (members and members <= population):
                out.add(t.target_id)
        elif t.basis == "share" and t.denominator == "GDP":
            if (t.region, aggregates.get(t.variable)) in shares:
                out.add(t.target_id)
    return out


def scored_targets(scenario, results, b) -> pd.DataFrame:
    """Every plan target scored on a deterministic run (``simcore run``/``targets``, the report): the
    targets the scenario imposes marked, published outturns where the history has them, and the demand
    shift each imposed share target needed."""
    from simcore.baseline.history import load_history

    table = report(
        b.targets, table_getter(results.table), imposed=imposed_targets(b.targets, scenario, b), history=load_history(b)
    )
    return with_demand_shifts(table, results.target_shifts, b)


def with_demand_shifts(table: pd.DataFrame, shifts: pd.DataFrame | None, b) -> pd.DataFrame:
    """The target report with, for each imposed share target, the largest outside-demand shift it needed
    (``demand_shift_max_pct_gdp``, % of the region's GDP, over the projection) and whether that stayed
    within the scenario's plausibility bound (``demand_shift_plausible``)."""
    table = table.copy()
    table["demand_shift_max_pct_gdp"] = float("nan")
    table["demand_shift_plausible"] = None
    if shifts is None or len(shifts) == 0:
        return table
    names = {"Value Added|" + name: key for key, name in zip(b.sectors.aggregate_ids, b.sectors.aggregate_names)}
    names.update({"Value Added|" + label: sid for sid, label in zip(b.sectors.ids, b.sectors.labels)})
    worst = shifts.assign(size=shifts["shift_share_of_gdp"].abs()).groupby("target")
    largest, plausible = worst["size"].max(), worst["plausible"].all()
    for i, row in table.iterrows():
        if row.get("status") != "imposed" or row.get("basis") != "share":
            continue
        label = f"{row['region']}:{names.get(str(row['variable']).split(' / ')[0], '')}"
        if label in largest.index:
            table.at[i, "demand_shift_max_pct_gdp"] = 100.0 * float(largest[label])
            table.at[i, "demand_shift_plausible"] = bool(plausible[label])
    return table


def outturn(target: Target, history: pd.DataFrame | None) -> float:
    """The published value of the indicator in the target year, where the record has it (else NaN)."""
    if history is None or history.empty or target.year > int(history["year"].max()):
        return math.nan
    h = history[history["region"] == target.region]
    if target.variable == "GDP" and target.basis == "avg_growth":
        rates = [
            h[(h["variable"] == "GDP|Real Growth") & (h["year"] == y)]["value"]
            for y in range(START + 1, target.year + 1)
        ]
        if any(r.empty for r in rates):
            return math.nan
        growth = np.prod([1 + float(r.iloc[0]) / 100 for r in rates])
        return 100 * (growth ** (1 / (target.year - START)) - 1)
    if target.variable == "Population" and target.basis == "level":
        hit = h[(h["variable"] == "Population") & (h["year"] == target.year)]
        return float(hit["value"].iloc[0]) if not hit.empty else math.nan
    if (
        target.basis == "share"
        and target.denominator == "GDP"
        and target.variable in ("Value Added|Secondary", "Value Added|Tertiary")
    ):
        hit = h[(h["variable"] == "Share|" + target.variable.split("|")[1]) & (h["year"] == target.year)]
        return float(hit["value"].iloc[0]) if not hit.empty else math.nan
    return math.nan


def report(
    targets: pd.DataFrame,
    get: Getter,
    include_unmodelled: bool = True,
    imposed: set[str] | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per target: projection, assessed value, gap and status (met / exceeded / missed / imposed /
    not modelled), and the published outturn where the record has the target year.

    ``imposed``: ids of targets the scenario sets (:func:`imposed_targets`); ``history``: the used rows of
    the published record (:func:`simcore.baseline.history.load_history`).
    """
    imposed = imposed or set()
    rows = []
    for target in modelled_targets(targets):
        raw, value = assessed(target, get)
        model_2020 = metric(target, get)[1]
        state = str(status(target, value))
        hit = state in ("met", "exceeded")
        actual = outturn(target, history)
        real = "" if math.isnan(actual) else str(status(target, actual))
        rows.append(
            {
                "target_id": target.target_id,
                "seed_region": target.seed_region,
                "region": target.region,
                "indicator": target.indicator,
                "variable": target.variable + (f" / {target.denominator}" if target.denominator else ""),
                "basis": target.basis,
                "price_basis": target.price_basis,
                "comparison": target.comparison,
                "year": target.year,
                "target": target.value,
                "target_high": target.value_high,
                "unit": target.unit,
                "kind": target.kind,
                "projected": float(raw),
                "model_2020": float(model_2020) if target.bridged else math.nan,
                "published_2020": target.value_2020 if target.bridged else math.nan,
                "assessed": float(value),
                "gap": float(value - target.value),
                "met": None if target.target_id in imposed else hit,
                "status": "imposed" if target.target_id in imposed else state,
                "outturn": actual,
                "outturn_status": real or ("not yet published" if history is not None else ""),
                "source": target.source,
            }
        )
    if include_unmodelled:
        done = {r["target_id"] for r in rows}
        for r in targets[~targets["target_id"].isin(done)].itertuples(index=False):
            reason = r.not_modelled if isinstance(r.not_modelled, str) and r.not_modelled else "outside 2021-2035"
            rows.append(
                {
                    "target_id": r.target_id,
                    "seed_region": r.region,
                    "region": r.region,
                    "indicator": r.indicator,
                    "variable": "",
                    "basis": r.basis,
                    "price_basis": _price_basis_of(r) if isinstance(r.variable, str) and r.variable else "",
                    "comparison": r.comparison,
                    "year": int(r.year),
                    "target": float(r.value),
                    "target_high": math.nan,
                    "unit": r.unit,
                    "kind": r.kind,
                    "projected": math.nan,
                    "model_2020": math.nan,
                    "published_2020": math.nan,
                    "assessed": math.nan,
                    "gap": math.nan,
                    "met": None,
                    "status": f"not modelled: {reason}",
                    "outturn": math.nan,
                    "outturn_status": "",
                    "source": r.source,
                }
            )
    order = {r: i for i, r in enumerate(dict.fromkeys(targets["region"]))}
    table = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    table["_order"] = table["seed_region"].map(order)
    table = table.sort_values(["_order", "target_id"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


def attainment(targets: pd.DataFrame, get: Getter, imposed: set[str] | None = None) -> pd.DataFrame:
    """Probability of meeting each modelled target across draws (``get`` returns (D, T) arrays); a target
    the scenario imposes (:func:`imposed_targets`) gets no probability and the status ``imposed``."""
    imposed = imposed or set()
    rows = []
    for target in modelled_targets(targets):
        _, value = assessed(target, get)
        hits = met(target, value)
        if target.target_id in imposed:
            hits = np.array([np.nan])
        rows.append(
            {
                "target_id": target.target_id,
                "seed_region": target.seed_region,
                "region": target.region,
                "indicator": target.indicator,
                "year": target.year,
                "comparison": target.comparison,
                "target": target.value,
                "unit": target.unit,
                "kind": target.kind,
                "median": float(np.median(value)),
                "p05": float(np.quantile(value, 0.05)),
                "p95": float(np.quantile(value, 0.95)),
                "probability": float(np.mean(hits)),
                "status": "imposed" if target.target_id in imposed else "projected",
                "source": target.source,
            }
        )
    return pd.DataFrame(rows)


def arrays_getter(region_ids, arrays: dict[str, np.ndarray]) -> Getter:
    """A getter over :func:`simcore.results.batch_variables` output: (draws, T) per region and variable."""
    index = {region: g for g, region in enumerate(region_ids)}

    def get(region: str, variable: str) -> np.ndarray:
        return arrays[variable][:, index[region]]

    return get


def table_getter(table: pd.DataFrame) -> Getter:
    """A getter over a deterministic long result table."""
    wide = table.pivot_table(index=["region", "variable"], columns="year", values="value")

    def get(region: str, variable: str) -> np.ndarray:
        return wide.loc[(region, variable)].reindex(list(YEARS)).to_numpy(float)

    return get
