"""Dynamic calibration of the trend scenario to 2016-2020 history.

The trend should carry recent history forward: its free parameters (``simcore/data/
trend_free_parameters.csv``: outside-demand growth by region and for industry, capacity productivity
growth, the efficiency trends) are chosen so that the projection's average annual rates over 2021-2025
match the average rates of the most recent published history (``calibration/data/history.csv``): GDP
growth by region, energy-intensity and CO2 trends, the shift to services.  ``scipy.optimize.least_squares``
minimises the residuals scaled by each target's tolerance, within the parameters' bounds.  Fitted values
on a bound and targets missed by more than their tolerance are reported, not hidden.

``simcore calibrate`` writes ``scenarios/calibrated_trend.yaml`` (the layer ``baseline.yaml`` extends),
``calibration/fit/trend_parameters.csv``, ``calibration/fit/trend_residuals.csv`` and
``docs/calibration.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from simcore import __version__
from simcore.baseline.history import (
    check_vintage,
    load_history,
    load_metrics,
    vintage_assumptions,
)
from simcore.baseline.regions import DATA
from simcore.baseline.tables import Baseline, load_baseline
from simcore.errors import ProjectionError, SimcoreError
from simcore.model.boundary import project_central
from simcore.model.variables import batch_variables
from simcore.scenario import dotted
from simcore.scenario.loader import Scenario, with_overrides
from simcore.scenario.schema import YEARS

GENERATED_LAYER = "calibrated_trend.yaml"  # the layer simcore calibrate writes; refits start without it
HORIZON = 2025
LONG_RUN_EXPORT_GROWTH = 0.045  # Tianjin-wide outside-demand growth in 2035 (an assumption; docs/calibration.md)
BOUND_TOLERANCE = 1e-4
#: a weak prior keeps parameters the history cannot tell apart near their starting values: each
#: parameter's residual is its distance from the start over PRIOR_SPREAD x its range
PRIOR_SPREAD = 0.5

BAND_VINTAGE = 2020  # the backtest whose errors set the Monte Carlo widths (simcore.experiments.bands)


def free_parameters() -> pd.DataFrame:
    return pd.read_csv(DATA / "trend_free_parameters.csv")


def history(b: Baseline, vintage: int | None = None) -> pd.DataFrame:
    """The calibration metrics whose period ends by ``vintage`` (all when None)."""
    return load_metrics(b, vintage)


ANCHOR_TOLERANCE = 0.25  # points per year: how closely the trend follows an external growth anchor


def anchor_rows(b: Baseline, vintage: int) -> pd.DataFrame:
    """Tianjin-wide growth anchors published by the vintage (``simcore/data/growth_anchors.csv``; value,
    range and source in ``parameters.csv``) as calibration rows over their own projection period."""
    anchors = pd.read_csv(DATA / "growth_anchors.csv")
    rows = []
    for k, a in enumerate(anchors[anchors["published"] <= vintage].itertuples(index=False), start=1):
        fact = b.parameters[a.key]
        rows.append(
            {
                "id": f"A{k}",
                "region": "tianjin",
                "metric": "avg_growth",
                "variable": "GDP",
                "denominator": "",
                "start": int(a.first),
                "end": int(a.last),
                "value": float(fact.value),
                "unit": "% per year",
                "tolerance": ANCHOR_TOLERANCE,
                "fit": True,
                "quality": "published",
                "source": fact.source,
                "note": f"anchor: {a.note}",
                "model_start": int(a.first),
                "model_end": int(a.last),
            }
        )
    return pd.DataFrame(rows)


def model_metrics(b: Baseline, scenario: Scenario, hist: pd.DataFrame) -> np.ndarray:
    """The projection's counterpart of every history row (average rates 2020 -> HORIZON) of the trend
    itself: the nowcast shifts are switched off (they reproduce years after the metrics' period)."""
    scenario = with_overrides(scenario, {"nowcast.enabled": False}, baseline=b)
    raw, paths = project_central(scenario, b)
    arrays = batch_variables(b, raw, paths)
    t = YEARS.index(HORIZON)
    out = []
    for row in hist.itertuples(index=False):
        g = b.regions.ids.index(row.region)
        series = arrays[row.variable][0, g]
        if isinstance(row.denominator, str) and row.denominator:
            series = series / arrays[row.denominator][0, g]
        t0, t1 = 0, t  # history rows: the first projection years against the latest history
        model_start = getattr(row, "model_start", None)
        if model_start is not None and not pd.isna(model_start):  # anchors: over their own period
            t0, t1 = YEARS.index(int(model_start) - 1), YEARS.index(int(row.model_end))
        n = t1 - t0
        if row.metric in ("avg_growth", "avg_change"):
            out.append(100 * ((series[t1] / series[t0]) ** (1 / n) - 1))
        elif row.metric == "share_change":
            out.append(100 * (series[t1] - series[t0]) / n)
        else:
            raise SimcoreError(f"history {row.id}: unknown metric {row.metric!r}")
    return np.array(out)


def _overrides(params: pd.DataFrame, x: np.ndarray) -> dict:
    return {path: float(value) for path, value in zip(params["path"], x)}


@dataclass
class Fit:
    parameters: pd.DataFrame  # name, path, value, initial, low, high, at_bound
    residuals: pd.DataFrame  # id, region, ..., history, model, tolerance, scaled, status
    cost: float
    success: bool
    message: str
    evaluations: int
    vintage: int | None = None
    assumptions: dict | None = None  # trend assumptions read off the record up to the vintage
    nowcast: dict | None = None  # dotted nowcast keys: published growth pinned and the shifts solved
    bands: dict | None = None  # the Monte Carlo width set from the backtest's errors (band_width)
    prices: dict | None = None  # prices.value_added from the deflators published by the vintage
    nowcast_misses: tuple = ()  # (year, region, published, reached) growth the nowcast could not reach

    def overrides(self) -> dict:
        """Every value the fit sets, as dotted scenario paths (assumptions, fitted parameters, nowcast)."""
        out = dict(self.assumptions or {})
        out.update(_overrides(self.parameters, self.parameters["value"].to_numpy(float)))
        out.update(self.nowcast or {})
        out.update(self.prices or {})
        if self.bands:
            out.update(
                {
                    f"uncertainty.parameters.export_growth_annual.{k}": v
                    for k, v in (("dist", "normal"), ("mean", self.bands["mean"]), ("sd", self.bands["sd"]))
                }
            )
        return out


def published_growth(hist: pd.DataFrame, vintage: int, regions) -> dict[str, dict[int, float]]:
    """Published real GDP growth (fraction) of each model region for every year 2021..vintage."""
    rows = hist[
        (hist["variable"] == "GDP|Real Growth")
        & (hist["year"] > YEARS[0])
        & (hist["year"] <= vintage)
        & hist["region"].isin(list(regions))
    ]
    out: dict[str, dict[int, float]] = {}
    for r in rows.itertuples(index=False):
        out.setdefault(r.region, {})[int(r.year)] = float(r.value) / 100.0
    return out


DEFLATOR = "Price|GDP Deflator"
SECTOR_PRICE_CHANGE = "Price|Value Added|{stratum}|Change"
STRATA = ("primary", "secondary", "tertiary")


def published_prices(hist: pd.DataFrame, vintage: int, real_value_added: dict | None = None) -> dict:
    """``prices.value_added`` from the deflators of the record up to ``vintage`` (dotted key -> value).

    Tianjin's implied GDP deflator (``Price|GDP Deflator``, 2020 = 1, ``calibration/history.py``) covers
    every year up to its last derivable one.  Where the record has a stratum's own value-added price change
    (``Price|Value Added|<Stratum>|Change``: its nominal levels of two years on one basis and its real
    growth) the stratum moves by it, otherwise by the GDP deflator.  With ``real_value_added`` (stratum ->
    Tianjin's real value added by year, (T,), of the scenario the prices go with), the strata are then
    scaled by one common factor each year so that the scenario's Tianjin deflator, nominal over real GDP,
    equals the published one: the record's relative price changes are kept and its nominal GDP is
    reproduced.  Beyond the last year the record allows, the level is held (an assumption: no projection
    of Tianjin's deflator is on file, and the last derivable rate, -1.6% in 2023, would compound into a
    twelve-year deflation).  Only rows up to the vintage are read (``hist`` comes from
    :func:`load_history` at the vintage; later rows are dropped here as well).  Empty when the record has
    no deflator after 2020.
    """
    rows = hist[(hist["region"] == "tianjin") & (hist["year"] <= vintage) & (hist["year"] > YEARS[0])]
    deflator = {int(r.year): float(r.value) for r in rows[rows["variable"] == DEFLATOR].itertuples()}
    years = [y for y in sorted(deflator) if all(k in deflator for k in range(YEARS[0] + 1, y + 1))]
    if not years:
        return {}
    changes = {
        stratum: {
            int(r.year): float(r.value) / 100
            for r in rows[rows["variable"] == SECTOR_PRICE_CHANGE.format(stratum=stratum.title())].itertuples()
        }
        for stratum in STRATA
    }
    index = {YEARS[0]: 1.0, **deflator}
    if not any(changes.values()):
        return {"prices.value_added": {"values": {y: round(index[y], 6) for y in years}}}
    level = dict.fromkeys(STRATA, 1.0)
    paths: dict[str, dict] = {stratum: {"values": {}} for stratum in STRATA}
    for year in years:
        for stratum in STRATA:
            own = changes[stratum].get(year)
            level[stratum] *= (1 + own) if own is not None else index[year] / index[year - 1]
        if real_value_added is not None:
            t = YEARS.index(year)
            real = {stratum: float(real_value_added[stratum][t]) for stratum in STRATA}
            factor = index[year] * sum(real.values()) / sum(level[s] * real[s] for s in STRATA)
            level = {stratum: value * factor for stratum, value in level.items()}
        for stratum in STRATA:
            paths[stratum]["values"][year] = round(level[stratum], 6)
    return {"prices.value_added": paths}


NOWCAST_TOLERANCE = 1e-7  # growth rates reproduced to 1e-5 points
NOWCAST_SHIFT_BOUND = 0.5  # a nowcast shift of a year's outside-demand growth stays within +-50 points


def solve_nowcast(
    scenario: Scenario, b: Baseline, pins: dict[str, dict[int, float]], misses: list | None = None
) -> dict[str, dict[int, float]]:
    """Per-year shifts of outside-demand growth that make the trend reproduce the published growth.

    Year by year (a shift persists in the demand level, so earlier years are solved first), damped
    Newton's method on the regions published that year, with a finite-difference Jacobian; a region's
    shift applies to all its leaves and nested shifts add up (Tianjin's moves every leaf, Binhai's its two
    leaves on top).  Demand cannot lift output beyond capacity, so a published rate may be out of reach:
    with ``misses`` (a list) the closest shifts are kept and ``(year, region, published, reached)`` rows
    appended for the report; without it the miss raises.
    """
    from dataclasses import replace

    from simcore.model.boundary import Draws, project
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for

    system = system_for(b)
    base = with_overrides(scenario, {"nowcast.enabled": False}, baseline=b)
    paths = compile_scenario(base, b, system)
    M = b.regions.matrix
    index = {region: g for g, region in enumerate(b.regions.ids)}
    rows = {region: [b.leaves.index(leaf) for leaf in b.regions.members(region)] for region in pins}
    shifts: dict[str, dict[int, float]] = {}

    def growth(current: dict[str, dict[int, float]]) -> np.ndarray:
        gx = paths.gx.copy()
        for region, years in current.items():
            for year, value in years.items():
                gx[rows[region], :, YEARS.index(year)] += value
        p = replace(paths, gx=gx)
        raw = project(system, p, Draws.central(p, b.n_region), b)
        gdp = M @ raw.va[0].reshape(len(YEARS), b.n_region, b.n_sector).sum(axis=2).T  # (regions, T)
        return gdp[:, 1:] / gdp[:, :-1] - 1.0  # growth of year index t (1..T-1)

    for year in sorted({y for years in pins.values() for y in years}):
        regions = [r for r in pins if year in pins[r]]
        target = np.array([pins[r][year] for r in regions])
        x = np.zeros(len(regions))
        t = YEARS.index(year) - 1

        def f(values: np.ndarray) -> np.ndarray:
            trial = {r: dict(v) for r, v in shifts.items()}
            for r, value in zip(regions, values):
                trial.setdefault(r, {})[year] = float(value)
            g = growth(trial)
            return np.array([g[index[r], t] for r in regions]) - target

        fx = f(x)
        for _ in range(30):
            if np.abs(fx).max() < NOWCAST_TOLERANCE:
                break
            h = 1e-4
            J = np.column_stack([(f(x + h * np.eye(len(x))[k]) - fx) / h for k in range(len(x))])
            step = np.linalg.lstsq(J, fx, rcond=None)[0]
            # damped: binding capacity makes the response kinked, so a full Newton step can overshoot
            # into shifts no economy follows; halve it until the misfit falls
            for _halving in range(12):
                trial = np.clip(x - step, -NOWCAST_SHIFT_BOUND, NOWCAST_SHIFT_BOUND)
                try:
                    f_trial = f(trial)
                except ProjectionError:
                    step = step / 2
                    continue
                if np.abs(f_trial).max() < np.abs(fx).max():
                    break
                step = step / 2
            else:
                break
            x, fx = trial, f_trial
        if np.abs(fx).max() >= NOWCAST_TOLERANCE:
            if misses is None:
                raise SimcoreError(f"nowcast: no shifts reproduce the published growth of {year} ({regions})")
            for r, miss, published in zip(regions, fx, target):
                if abs(miss) >= NOWCAST_TOLERANCE:
                    misses.append((year, r, float(published), float(published + miss)))
        for r, value in zip(regions, x):
            shifts.setdefault(r, {})[year] = float(value)
    return shifts


def fit(
    scenario: Scenario,
    b: Baseline | None = None,
    hist: pd.DataFrame | None = None,
    params: pd.DataFrame | None = None,
    vintage: int | None = None,
) -> Fit:
    """Least-squares fit of the free parameters to the history rows up to ``vintage``.

    ``vintage`` (default: the latest year of the history) bounds what the fit may read: metrics ending
    after it and history rows after it are dropped by :func:`simcore.baseline.history.load_history` before the fit
    sees them.  The trend assumptions (investment and population growth) are read off the same record.
    """
    b = b or load_baseline()
    vintage = check_vintage(b, vintage)
    anchors = pd.DataFrame()
    if hist is None:
        hist = history(b, vintage)
        anchors = anchor_rows(b, vintage)
        if not anchors.empty:
            hist = pd.concat([hist, anchors], ignore_index=True)
    assumptions = vintage_assumptions(load_history(b, vintage), vintage)
    # district premia fade from the end of the evidence they are fitted to, with the stated half-life
    assumptions["exports.convergence.since"] = int(hist[~hist["id"].str.startswith("A")]["end"].max())
    assumptions["exports.convergence.half_life"] = float(b.parameter("export_premium_half_life"))
    if params is None:
        params = free_parameters()
        # the Tianjin-wide path is fitted at a period's midpoint only where a published anchor covers it
        covered = (
            {y for a in anchors.itertuples() for y in range(int(a.start), int(a.end) + 1)}
            if not anchors.empty
            else set()
        )
        keep = [
            not (
                p.startswith("exports.growth.values.")
                and p != "exports.growth.values.2021"
                and int(p.rsplit(".", 1)[1]) not in covered
            )
            for p in params["path"]
        ]
        params = params[keep].reset_index(drop=True)
    if "exports.growth.values.2033" not in set(params["path"]):
        # unanchored: the Tianjin-wide growth falls linearly from its fitted 2021 value to this by 2035
        assumptions["exports.growth.values.2035"] = LONG_RUN_EXPORT_GROWTH
    scenario = with_overrides(scenario, assumptions, baseline=b)
    target = hist["value"].to_numpy(float)
    tolerance = hist["tolerance"].to_numpy(float)
    fitted_rows = hist["fit"].astype(bool).to_numpy() if "fit" in hist else np.ones(len(hist), bool)
    lo, hi = params["low"].to_numpy(float), params["high"].to_numpy(float)
    x0 = np.clip(params["initial"].to_numpy(float), lo, hi)
    prior_scale = PRIOR_SPREAD * (hi - lo)
    count = {"n": 0}

    import logging

    log = logging.getLogger("simcore")

    def residuals(x: np.ndarray) -> np.ndarray:
        count["n"] += 1
        s = with_overrides(scenario, _overrides(params, x), baseline=b)
        misfit = ((model_metrics(b, s, hist) - target) / tolerance)[fitted_rows]
        out = np.concatenate([misfit, (x - x0) / prior_scale])
        if count["n"] % 25 == 0:  # progress: a fit takes a few hundred model runs
            log.info(f"calibrate: {count['n']} model runs, {len(x)} parameters, cost {0.5 * float(out @ out):.4g}")
        return out

    result = least_squares(
        residuals,
        x0,
        bounds=(lo, hi),
        method="trf",
        x_scale=hi - lo,
        diff_step=1e-3,
        xtol=1e-10,
        ftol=1e-10,
        gtol=1e-10,
        max_nfev=400,
    )
    x = np.round(result.x, 6)
    final = with_overrides(scenario, _overrides(params, x), baseline=b)
    model = model_metrics(b, final, hist)
    fitted = params[["name", "path", "initial", "low", "high"]].copy()
    fitted.insert(2, "value", x)
    span = hi - lo
    fitted["at_bound"] = np.where(
        x <= lo + BOUND_TOLERANCE * span, "low", np.where(x >= hi - BOUND_TOLERANCE * span, "high", "")
    )
    table = hist[["id", "region", "metric", "variable", "denominator", "start", "end", "unit", "source", "note"]].copy()
    table.insert(7, "history", target)
    table.insert(8, "model", model)
    table.insert(9, "tolerance", tolerance)
    table.insert(10, "scaled_residual", (model - target) / tolerance)
    table["fitted"] = np.where(fitted_rows, "yes", "no (validation only)")
    table["status"] = np.where(np.abs(model - target) <= tolerance, "matched", "not matched")
    pins = published_growth(load_history(b, vintage), vintage, b.regions.ids)
    misses: list = []
    solved = solve_nowcast(final, b, pins, misses) if pins else {}
    nowcast = {"nowcast.vintage": vintage} if pins else {}
    for region, years in pins.items():
        for year, value in years.items():
            nowcast[f"nowcast.gdp_growth.{region}.{year}"] = round(value, 6)
            nowcast[f"nowcast.shifts.{region}.{year}"] = round(solved[region][year], 9)
    return Fit(
        fitted,
        table,
        float(result.cost),
        bool(result.success),
        str(result.message),
        count["n"],
        vintage,
        assumptions,
        nowcast,
        prices=published_prices(load_history(b, vintage), vintage, _strata(b, final, nowcast)),
        nowcast_misses=tuple(misses),
    )


def _strata(b: Baseline, scenario: Scenario, nowcast: dict) -> dict[str, np.ndarray]:
    """Tianjin's real value added by stratum (T,) of the fitted trend with its nowcast."""
    raw, paths = project_central(with_overrides(scenario, nowcast, baseline=b) if nowcast else scenario, b)
    arrays = batch_variables(b, raw, paths)
    g = b.regions.ids.index("tianjin")
    names = dict(zip(b.sectors.aggregate_ids, b.sectors.aggregate_names))
    return {stratum: arrays[f"Value Added|{names[stratum]}"][0, g] for stratum in STRATA}


def write_scenario(fit_result: Fit, path: Path, b: Baseline) -> None:
    """The generated scenario layer with the fitted parameters."""
    values = fit_result.overrides()
    tree = dotted.tree(values, years=False)
    lines = [
        "# Generated by `simcore calibrate` - do not edit by hand; rerun the command instead.",
        f"# Trend fitted to the published record up to the vintage {fit_result.vintage} "
        f"(calibration/data/history*.csv) on baseline {b.checksum[:12]}, simcore {__version__}.",
        "# Fit, residuals and parameters on a bound: docs/calibration.md.",
        "name: calibrated_trend",
        f"description: Trend fitted by least squares to the published record up to {fit_result.vintage}.",
    ]
    lines += _yaml(tree, 0)
    path.write_text("\n".join(lines) + "\n")


def _yaml(tree: dict, depth: int) -> list[str]:
    out = []
    pad = "  " * depth
    for key in sorted(tree, key=lambda k: (not str(k).isdigit(), str(k))) if depth > 2 else tree:
        value = tree[key]
        if isinstance(value, dict):
            out.append(f"{pad}{key}:")
            out += _yaml(value, depth + 1)
        else:
            text = value if isinstance(value, (str, int)) else f"{float(value):.9g}"
            out.append(f"{pad}{key}: {text}")
    return out


def report(fit_result: Fit, b: Baseline) -> str:
    """docs/calibration.md."""
    p = fit_result.parameters
    r = fit_result.residuals
    lines = [
        "# Calibration of the trend to the published record",
        "",
        "Generated by `simcore calibrate` (simcore/analysis/calibrate.py); rerun it after changing the baseline, the",
        "history or the model.",
        "",
        "The trend scenario (`scenarios/baseline.yaml`) should carry the recent history forward. Its free",
        "parameters are fitted so that the projection's average annual rates over 2021-2025 match the",
        "average rates of the latest published history, by `scipy.optimize.least_squares` (trust-region",
        "reflective, bounds below) on residuals scaled by each target's tolerance, plus a weak prior that",
        "keeps parameters the history cannot separate near their starting values (distance from the start",
        f"over {PRIOR_SPREAD} x the parameter's range). Rows marked 'validation only' are reported but not",
        "fitted. The fitted values are",
        "written to `scenarios/calibrated_trend.yaml`, which `baseline.yaml` extends; the tables are in",
        "`calibration/fit/`.",
        "",
        f"**Vintage {fit_result.vintage}.** The fit reads only history up to {fit_result.vintage}: "
        "`simcore.baseline.history.load_history` drops",
        "every later row before the fit sees the table (`simcore calibrate --vintage YEAR`; the default is the",
        "latest year of `calibration/data/history.csv`). Two trend assumptions are read off the same record,",
        "not fitted: fixed-asset investment grows at Tianjin's latest published rate "
        f"({100 * fit_result.assumptions['investment.default_growth']:+.1f}%) and residents at the",
        "average rate between Tianjin's two latest published populations "
        f"({100 * fit_result.assumptions['population.default_growth']:+.2f}% a year; 0 when only one is published).",
        "",
        "**A nowcast up to the vintage.** After the fit, the years 2021 to the vintage are pinned to the",
        "published real GDP growth of Tianjin and of each district where one is published (`nowcast` in the",
        "generated layer): year by year, Newton's method solves a shift of the outside-demand growth of each",
        "published region (Tianjin's shift moves every leaf, a district's its own leaves on top) so that the",
        "trend's growth equals the published rate; the shifts persist in the demand level. Pinned: real GDP",
        "growth only (levels follow from the 2020 baseline; structure, energy and CO2 are projected). The",
        "history metrics below measure the trend without the nowcast (`nowcast.enabled: false`). A scenario",
        "on top of the trend keeps the shifts, so its levers move the nowcast years by their own effect.",
        "",
        "**No shock extrapolated for fifteen years.** A district's outside-demand growth is the Tianjin-wide path",
        "plus a premium that fades with a half-life (`exports.convergence`): the premium is fitted, its",
        f"half-life is {fit_result.assumptions['exports.convergence.half_life']:g} years "
        "(`export_premium_half_life` in `calibration/data/parameters.csv`, range 2-6), and it fades from",
        f"{fit_result.assumptions['exports.convergence.since'] + 1}, the year after the evidence it is fitted to ends.",
        "",
        _anchor_text(fit_result),
        "",
        _price_text(fit_result),
        "",
        _band_text(fit_result),
        "",
        f"Baseline {b.checksum[:12]}; {fit_result.evaluations} model evaluations; cost {fit_result.cost:.4g};",
        f"solver: {fit_result.message}",
        "",
        "## History targets",
        "",
        "| id | region | what | period | history | tolerance | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in r.itertuples(index=False):
        what = row.variable + (f" / {row.denominator}" if isinstance(row.denominator, str) and row.denominator else "")
        what = what.replace("|", "\\|")  # variable names hold "|", a Markdown cell separator
        lines.append(
            f"| {row.id} | {row.region} | {row.metric.replace('_', ' ')} of {what} | {row.start}-{row.end} "
            f"| {row.history:.2f} {row.unit} | {row.tolerance:g} | {row.source} |"
        )
    lines += [
        "",
        "## Fitted parameters",
        "",
        "| parameter | scenario key | value | bounds | on a bound |",
        "|---|---|---|---|---|",
    ]
    for row in p.itertuples(index=False):
        lines.append(
            f"| {row.name} | `{row.path}` | {row.value:.4g} | [{row.low:g}, {row.high:g}] | {row.at_bound or 'no'} |"
        )
    lines += [
        "",
        "## Residuals",
        "",
        "Model: average annual rate over 2021-2025 of the calibrated trend. Matched: within tolerance.",
        "",
        "| id | region | history | model | model - history | tolerance | fitted | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in r.itertuples(index=False):
        lines.append(
            f"| {row.id} | {row.region} | {row.history:.2f} | {row.model:.2f} | "
            f"{row.model - row.history:+.2f} | {row.tolerance:g} | {row.fitted} | {row.status} |"
        )
    missed = r[r["status"] != "matched"]
    bound = p[p["at_bound"] != ""]
    lines += ["", "## What the fit could not do", ""]
    if missed.empty and bound.empty and not fit_result.nowcast_misses:
        lines.append("Every history target is matched within its tolerance and no parameter sits on a bound.")
    for year, region, published, reached in fit_result.nowcast_misses:
        lines.append(
            f"* **nowcast {year} ({region}) not reproduced**: published {100 * published:.2f}%, the closest the "
            f"trend reaches {100 * reached:.2f}%: demand shifts cannot lift output beyond capacity."
        )
    for row in missed.itertuples(index=False):
        lines.append(
            f"* **{row.id} ({row.region}) not matched**: history {row.history:.2f}, model {row.model:.2f} "
            f"{row.unit}. {row.note}."
        )
    for row in bound.itertuples(index=False):
        lines.append(
            f"* **{row.name} on its {row.at_bound} bound** ({row.value:g}): the history pushes it "
            "further than the bound allows."
        )
    lines += [
        "",
        "Notes on the history: the 2019-2020 GDP rates include the 2020 pandemic year; Dongli's are",
        "plan-time estimates; the 2015-2020 rise of Tianjin's services share (H10) partly reflects the",
        "2018-2019 revision of Tianjin's GDP, which moved value added between sectors, so a trend that",
        "matched it would overstate structural change.",
        "",
    ]
    return "\n".join(lines)


def _price_text(fit_result: Fit) -> str:
    spec = (fit_result.prices or {}).get("prices.value_added")
    if not spec:
        return (
            "**Prices.** The record has no deflator after 2020 by this vintage: `prices.value_added` stays at "
            "its default (1), so nominal results equal real ones."
        )
    paths = spec if "values" not in spec else {"every sector": spec}
    last = max(max(p["values"]) for p in paths.values())
    parts = [
        f"{name} " + ", ".join(f"{y}: {v:.4f}" for y, v in sorted(p["values"].items())) for name, p in paths.items()
    ]
    return (
        "**Prices from the record.** `prices.value_added` follows the deflators implied by the published "
        "nominal levels and real growth up to the vintage (`calibration/data/history.csv`: Tianjin's GDP "
        "deflator and, where two same-basis levels and a real growth exist, the secondary and tertiary "
        "sectors' own price changes; a stratum without its own change moves with the GDP deflator; each "
        "year one common factor scales the strata so that the trend's Tianjin deflator equals the "
        "published one, so the trend reproduces the published nominal GDP): "
        + "; ".join(parts)
        + f". After {last} the level is held (an assumption, `published_prices`): the record allows no "
        "later deflator (the 2024 level follows the fifth economic census) and no projection is on file."
    )


def _band_text(fit_result: Fit) -> str:
    w = fit_result.bands
    if not w:
        return (
            "**Monte Carlo widths.** Not set at this vintage: the backtest errors they come from lie after "
            "it, so the stated priors of `scenarios/baseline.yaml` apply."
        )
    return (
        "**Monte Carlo widths from the record.** The backtest at vintage "
        f"{BAND_VINTAGE} misses Tianjin's annual real growth by an RMSE of {w['rmse']:.2f} points over "
        f"{w['n']} years (only {w['n']} points: the widths rest on very little). The other distributions "
        f"spread annual growth by {w['s0']:.2f} points; a Tianjin-wide shock to each year's outside-demand "
        f"growth, normal with sd {w['sd']:.4f} and mean sd^2 / 2 = {w['mean']:.5f} (so that the median draw "
        "stays on the central run; `uncertainty.parameters.export_growth_annual`, i.i.d. over "
        "years, starting the year after the nowcast), brings the spread to the RMSE, the way the Riksbank "
        "sets its bands from past forecast errors. `docs/validation.md` gives the resulting (in-sample) "
        "coverage."
    )


def _anchor_text(fit_result: Fit) -> str:
    anchors = fit_result.residuals[fit_result.residuals["id"].str.startswith("A")]
    if anchors.empty:
        return (
            "**Long run.** No projection of China's potential growth published by the vintage is on file "
            "(`simcore/data/growth_anchors.csv`), so the Tianjin-wide outside-demand growth falls linearly "
            f"from its fitted 2021 value to {100 * LONG_RUN_EXPORT_GROWTH:g}% in 2035, an assumption."
        )
    parts = [f"{r.start}-{r.end} at {r.history:.1f}% a year (model {r.model:.2f}%)" for r in anchors.itertuples()]
    return (
        "**Long run, anchored.** The Tianjin-wide outside-demand growth is fitted at 2021 and at the "
        "midpoints of the anchored periods (2028, 2033; held to 2035) so that the trend's Tianjin GDP "
        "grows as a published projection of China's potential growth: "
        + "; ".join(parts)
        + " (rows A*, sources below; `simcore/data/growth_anchors.csv` says when each was published, "
        "and a vintage uses only those published by then). Tianjin's own 2021-2024 growth (4.2% a year) "
        "ran 0.7 points below China's; no differential is assumed."
    )


UNIT_SD = 0.01
