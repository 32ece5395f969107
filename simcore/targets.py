"""Plan targets (``calibration/data/targets.csv``) scored against projections.

A target names a region, a simcore variable (and optionally a denominator, ``tianjin:<variable>`` for a
share of the Tianjin total), a basis and a comparison:

* ``level``: the variable in the target year; ``ratio``: variable / denominator;
* ``share``: 100 x variable / denominator (% of it);
* ``avg_growth``: average annual growth 2020 -> year, %; ``cumulative_growth``: growth over the period, %;
* ``cumulative_sum``: the sum over 2021 .. year;
* ``change_vs_2020``: % change of the variable (or of variable / denominator) against 2020.

``>=`` and ``<=`` are met when the projection is on the right side; ``=`` ("about") when it is within 5%
of the target.  Where the seed publishes the indicator's 2020 value (``value_2020``) and the model
measures it with a proxy of another level (a share or a ratio), the projection is *bridged*: scaled by
published 2020 / model 2020, so that the model's change is scored, not the proxy's level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .schema import START, YEARS

ABOUT = 0.05  # relative tolerance of "=" targets
REPORT_COLUMNS = ["target_id", "seed_region", "region", "indicator", "variable", "basis", "comparison", "year",
                  "target", "unit", "kind", "projected", "model_2020", "published_2020", "assessed", "gap",
                  "met", "status", "source"]


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

    @property
    def seed_region(self) -> str:
        return self.region

    @property
    def bridged(self) -> bool:
        return not math.isnan(self.value_2020) and self.basis in ("share", "ratio")


def modelled_targets(targets: pd.DataFrame) -> list[Target]:
    """The targets the model can compute (a simcore variable and a year inside the horizon)."""
    rows = targets[(targets["variable"].fillna("") != "") & targets["year"].between(START + 1, YEARS[-1])]
    out = []
    for r in rows.itertuples(index=False):
        out.append(Target(r.target_id, r.region, r.indicator, r.variable,
                          r.denominator if isinstance(r.denominator, str) else "", r.basis, r.comparison,
                          int(r.year), float(r.value), r.unit, r.kind,
                          float(r.value_2020) if not pd.isna(r.value_2020) else math.nan, r.source))
    return out


Getter = Callable[[str, str], np.ndarray]  # (region, variable) -> (..., T)


def _series(target: Target, get: Getter) -> tuple[np.ndarray, np.ndarray | None]:
    numerator = get(target.region, target.variable)
    if not target.denominator:
        return numerator, None
    if target.denominator.startswith("tianjin:"):
        return numerator, get("tianjin", target.denominator.removeprefix("tianjin:"))
    return numerator, get(target.region, target.denominator)


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
        value = num[..., 1:t + 1].sum(axis=-1)
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


def met(target: Target, value: np.ndarray) -> np.ndarray:
    if target.comparison == ">=":
        return value >= target.value - 1e-6 * abs(target.value)
    if target.comparison == "<=":
        return value <= target.value + 1e-6 * abs(target.value)
    return np.abs(value - target.value) <= ABOUT * abs(target.value)


def report(targets: pd.DataFrame, get: Getter, include_unmodelled: bool = True) -> pd.DataFrame:
    """One row per target: projection, assessed value, gap and status (met / missed / not modelled)."""
    rows = []
    for target in modelled_targets(targets):
        raw, value = assessed(target, get)
        model_2020 = metric(target, get)[1]
        hit = bool(met(target, value))
        rows.append({
            "target_id": target.target_id, "seed_region": target.seed_region, "region": target.region,
            "indicator": target.indicator, "variable": target.variable + (f" / {target.denominator}"
                                                                          if target.denominator else ""),
            "basis": target.basis, "comparison": target.comparison, "year": target.year, "target": target.value,
            "unit": target.unit, "kind": target.kind, "projected": float(raw),
            "model_2020": float(model_2020) if target.bridged else math.nan,
            "published_2020": target.value_2020 if target.bridged else math.nan, "assessed": float(value),
            "gap": float(value - target.value), "met": hit, "status": "met" if hit else "missed",
            "source": target.source,
        })
    if include_unmodelled:
        done = {r["target_id"] for r in rows}
        for r in targets[~targets["target_id"].isin(done)].itertuples(index=False):
            reason = r.not_modelled if isinstance(r.not_modelled, str) and r.not_modelled else "outside 2021-2035"
            rows.append({
                "target_id": r.target_id, "seed_region": r.region, "region": r.region, "indicator": r.indicator,
                "variable": "", "basis": r.basis, "comparison": r.comparison, "year": int(r.year),
                "target": float(r.value), "unit": r.unit, "kind": r.kind, "projected": math.nan,
                "model_2020": math.nan, "published_2020": math.nan, "assessed": math.nan, "gap": math.nan,
                "met": None, "status": f"not modelled: {reason}", "source": r.source})
    order = {r: i for i, r in enumerate(dict.fromkeys(targets["region"]))}
    table = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    table["_order"] = table["seed_region"].map(order)
    table = table.sort_values(["_order", "target_id"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


def attainment(targets: pd.DataFrame, get: Getter) -> pd.DataFrame:
    """Probability of meeting each modelled target across draws (``get`` returns (D, T) arrays)."""
    rows = []
    for target in modelled_targets(targets):
        _, value = assessed(target, get)
        hits = met(target, value)
        rows.append({
            "target_id": target.target_id, "seed_region": target.seed_region, "region": target.region,
            "indicator": target.indicator, "year": target.year, "comparison": target.comparison,
            "target": target.value, "unit": target.unit, "kind": target.kind,
            "median": float(np.median(value)), "p05": float(np.quantile(value, 0.05)),
            "p95": float(np.quantile(value, 0.95)), "probability": float(np.mean(hits)),
            "source": target.source,
        })
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
