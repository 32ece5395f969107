"""Backtest: calibrate at a vintage, project, and compare with every published figure after it.

``backtest(vintage=2020)`` fits the trend on the record up to the vintage only (:func:`simcore.analysis.calibrate.fit`,
which reads the history through :func:`simcore.baseline.history.load_history`), projects the trend scenario with the
fitted values, and lines the projection up against every ``used`` history row after the vintage that the
model has a counterpart for:

* ``GDP|Real Growth`` (% on the year before) against the model's ``GDP|Growth``;
* ``GDP|2020 prices`` (published nominal levels deflated by Tianjin's deflator) against ``GDP``;
* ``Share|Secondary`` / ``Share|Tertiary`` (% of current-price GDP) against the model's shares at current
  prices (``Share|<aggregate>``; its prices follow the deflators published by the vintage and are held
  after it, so a later price shift still shows up as error);
* ``Population`` against the scenario's residents;
* ``Energy Intensity|Industry`` (% change on the year before) against the change of industrial energy per
  unit of industrial value added.

``error = projected - actual`` in points for rates and shares, ``100 (projected / actual - 1)`` for levels.
With ``draws``, the Monte Carlo of the same scenario gives each actual's
position in the projection's distribution: the share of actuals inside the central 50% and 90% bands.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.baseline.history import check_vintage, load_history
from simcore.baseline.tables import Baseline, load_baseline
from simcore.errors import NoActualsError
from simcore.scenario.schema import YEARS

DEFAULT_SCENARIO = Path("scenarios/baseline.yaml")
BACKTEST_COLUMNS = [
    "region",
    "variable",
    "year",
    "horizon",
    "actual",
    "projected",
    "error",
    "error_unit",
    "unit",
    "confidence",
    "source",
]
#: levels are compared in % of the actual, rates and shares in points
RELATIVE = ("GDP|2020 prices", "Population")
#: model variables each comparison needs from the Monte Carlo
MC_VARIABLES = (
    "GDP",
    "GDP|Growth",
    "Value Added|Secondary",
    "Value Added|Tertiary",
    "Value Added|Industry",
    "Share|Secondary",
    "Share|Tertiary",
    "Energy Consumption|Industry",
    "Population",
)
COMPARED = (
    "GDP|Real Growth",
    "GDP|2020 prices",
    "Share|Secondary",
    "Share|Tertiary",
    "Population",
    "Energy Intensity|Industry",
)


def counterpart(variable: str, get) -> np.ndarray | None:
    """The model series (..., T) comparable with a history variable; ``get(variable)`` returns (..., T)."""
    if variable == "GDP|Real Growth":
        return get("GDP|Growth")
    if variable == "GDP|2020 prices":
        return get("GDP")
    if variable in ("Share|Secondary", "Share|Tertiary"):
        return get(variable)
    if variable == "Population":
        return get("Population")
    if variable == "Energy Intensity|Industry":
        intensity = get("Energy Consumption|Industry") / get("Value Added|Industry")
        change = np.full_like(intensity, np.nan)
        change[..., 1:] = 100.0 * (intensity[..., 1:] / intensity[..., :-1] - 1.0)
        return change
    return None


def actuals_after(b: Baseline, vintage: int) -> pd.DataFrame:
    """Published figures after ``vintage`` with a model counterpart, for regions the model has."""
    hist = load_history(b)
    rows = hist[
        (hist["year"] > vintage)
        & hist["variable"].isin(COMPARED)
        & hist["region"].isin(b.regions.ids)
        & hist["year"].between(YEARS[1], YEARS[-1])
    ]
    return rows.reset_index(drop=True)


@dataclass
class Backtest:
    vintage: int
    table: pd.DataFrame  # BACKTEST_COLUMNS (+ q_position, in50, in90 with draws)
    summary: pd.DataFrame  # per variable and horizon: n, bias, rmse, mae (+ coverage)
    fit: object = field(repr=False)
    quantiles: pd.DataFrame | None = field(repr=False, default=None)
    draws: int = 0

    def write(self, out: str | Path) -> list[Path]:
        from simcore.results.writer import atomic_files

        out = Path(out)
        with atomic_files(out) as path_for:
            self.table.to_csv(path_for("backtest.csv"), index=False, float_format="%.6g")
            self.summary.to_csv(path_for("backtest_summary.csv"), index=False, float_format="%.6g")
            path_for("backtest_summary.md").write_text(summary_markdown(self))
            if self.quantiles is not None:
                self.quantiles.to_csv(path_for("backtest_quantiles.csv"), index=False, float_format="%.6g")
                from simcore.plotting import backtest_fan

                for variable in self.table["variable"].unique():
                    fig = backtest_fan(self.quantiles, self.table, variable, self.vintage)
                    name = "fan_" + variable.replace("|", "_").replace(" ", "_").lower() + ".png"
                    fig.savefig(path_for(name), dpi=120, bbox_inches="tight")
                    import matplotlib.pyplot as plt

                    plt.close(fig)
        return sorted(out.iterdir())


def _summary(table: pd.DataFrame, draws: int) -> pd.DataFrame:
    def row(variable: str, horizon: int, g: pd.DataFrame) -> dict:
        e = g["error"].to_numpy(float)
        out = {
            "variable": variable,
            "horizon": horizon,
            "n": len(e),
            "bias": float(e.mean()),
            "rmse": float(np.sqrt((e**2).mean())),
            "mae": float(np.abs(e).mean()),
            "error_unit": g["error_unit"].iloc[0],
        }
        if draws:
            out["in50"] = float(g["in50"].mean())
            out["in90"] = float(g["in90"].mean())
        return out

    rows = [
        row(variable, int(horizon), g) for (variable, horizon), g in table.groupby(["variable", "horizon"], sort=True)
    ]
    rows += [row(variable, 0, g) for variable, g in table.groupby("variable", sort=True)]  # 0: every horizon
    out = pd.DataFrame(rows)
    out["horizon"] = out["horizon"].map(lambda h: "all" if h == 0 else str(h))
    return out


ANNUAL_SHOCK = "uncertainty.parameters.export_growth_annual"


def backtest(
    vintage: int = 2020,
    scenario=DEFAULT_SCENARIO,
    draws: int = 0,
    seed: int = 0,
    baseline: Baseline | None = None,
    progress: bool = False,
    uncertainty: dict | None = None,
) -> Backtest:
    """Calibrate at ``vintage``, project the trend and compare with every later published figure.

    Parameters
    ----------
    vintage : int
        Last year of statistics the calibration may read (enforced by :func:`simcore.baseline.history.load_history`).
    scenario : path-like
        The trend scenario whose free parameters are fitted (default ``scenarios/baseline.yaml``).
    draws : int
        Monte Carlo draws for band coverage (0: deterministic only).
    seed : int
        Seed of the Monte Carlo.
    uncertainty : dict, optional
        Dotted overrides of the Monte Carlo distributions.  By default the width of the annual export
        shock is the one the committed trend carries (``simcore calibrate`` sets it from this backtest's
        errors, so the coverage it gives is in-sample).

    Returns
    -------
    Backtest
        ``table`` (every published figure after the vintage beside the projection, its error and, with
        draws, whether the band covered it), ``summary`` (errors by variable and horizon) and ``write``.

    Raises
    ------
    NoActualsError
        When nothing is published after the vintage.

    Examples
    --------
    >>> from simcore import backtest
    >>> bt = backtest(vintage=2020, draws=200)  # doctest: +SKIP
    >>> bt.summary  # doctest: +SKIP
    """
    from simcore.analysis.calibrate import fit
    from simcore.model.boundary import project_central
    from simcore.model.variables import batch_variables
    from simcore.scenario.loader import load_scenario, with_overrides

    b = baseline or load_baseline()
    vintage = check_vintage(b, vintage)
    actual = actuals_after(b, vintage)
    if actual.empty:
        raise NoActualsError(
            f"no published figure after the vintage {vintage} to compare with "
            f"({b.data_dir / 'history.csv'} ends {int(load_history(b)['year'].max())})"
        )
    from simcore.analysis.calibrate import GENERATED_LAYER

    trend = load_scenario(scenario, baseline=b, skip=(GENERATED_LAYER,))  # the fit replaces that layer whole
    result = fit(trend, b, vintage=vintage)
    fitted = with_overrides(trend, result.overrides(), baseline=b)
    if uncertainty is None:
        full = load_scenario(scenario, baseline=b).spec.uncertainty.parameters
        uncertainty = (
            {ANNUAL_SHOCK: full["export_growth_annual"].model_dump(exclude_none=True)}
            if "export_growth_annual" in full
            else {}
        )
    if uncertainty:
        fitted = with_overrides(fitted, uncertainty, baseline=b)
    raw, paths = project_central(fitted, b)
    arrays = batch_variables(b, raw, paths)
    index = {region: g for g, region in enumerate(b.regions.ids)}
    rows = []
    for r in actual.itertuples(index=False):
        series = counterpart(r.variable, lambda v: arrays[v][0, index[r.region]])
        projected = float(series[YEARS.index(int(r.year))])
        relative = r.variable in RELATIVE
        error = 100.0 * (projected / float(r.value) - 1.0) if relative else projected - float(r.value)
        rows.append(
            {
                "region": r.region,
                "variable": r.variable,
                "year": int(r.year),
                "horizon": int(r.year) - vintage,
                "actual": float(r.value),
                "projected": projected,
                "error": error,
                "error_unit": "% of actual" if relative else "points",
                "unit": r.unit,
                "confidence": r.confidence,
                "source": r.source,
            }
        )
    table = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    quantiles = None
    if draws:
        from simcore.experiments.montecarlo import monte_carlo

        mc = monte_carlo(fitted, draws=draws, seed=seed, variables=MC_VARIABLES, baseline=b, progress=progress)
        positions, q_rows = [], []
        qs = (0.05, 0.25, 0.5, 0.75, 0.95)
        for r in table.itertuples(index=False):
            series = counterpart(r.variable, lambda v: mc.get(r.region, v))[:, YEARS.index(r.year)]
            positions.append(float(np.mean(series <= r.actual)))
        table["q_position"] = positions
        table["in50"] = table["q_position"].between(0.25, 0.75)
        table["in90"] = table["q_position"].between(0.05, 0.95)
        for (region, variable), _ in table.groupby(["region", "variable"]):
            series = counterpart(variable, lambda v: mc.get(region, v))
            with warnings.catch_warnings():  # a growth rate has no 2020 value for a leaf
                warnings.simplefilter("ignore", RuntimeWarning)
                levels = np.nanquantile(series, qs, axis=0)
            for k, q in enumerate(qs):
                for t, year in enumerate(YEARS):
                    q_rows.append((region, variable, year, q, float(levels[k, t])))
            central = counterpart(variable, lambda v: arrays[v][0, index[region]])
            for t, year in enumerate(YEARS):
                q_rows.append((region, variable, year, "central", float(central[t])))
        quantiles = pd.DataFrame(q_rows, columns=["region", "variable", "year", "quantile", "value"])
    table = table.sort_values(["variable", "region", "year"], kind="stable").reset_index(drop=True)
    return Backtest(vintage, table, _summary(table, draws), result, quantiles, draws)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def summary_markdown(bt: Backtest) -> str:
    """The summary tables as Markdown (docs/validation.md carries the vintage-2020 run)."""
    lines = [
        f"Vintage {bt.vintage}: {len(bt.table)} published figures after the vintage"
        + (f"; Monte Carlo {bt.draws} draws" if bt.draws else "")
        + ".",
        "",
        "| variable | region | year | actual | projected | error | grade |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in bt.table.itertuples(index=False):
        lines.append(
            f"| {_md(r.variable)} | {r.region} | {r.year} | {r.actual:.4g} | {r.projected:.4g} | "
            f"{r.error:+.3g} | {r.confidence} |"
        )
    head = "| variable | horizon | n | bias | RMSE | MAE | error in |" + (
        " in 50% band | in 90% band |" if bt.draws else ""
    )
    lines += ["", head, "|---|---|---|---|---|---|---|" + ("---|---|" if bt.draws else "")]
    for r in bt.summary.itertuples(index=False):
        line = (
            f"| {_md(r.variable)} | {r.horizon} | {r.n} | {r.bias:+.3g} | {r.rmse:.3g} | {r.mae:.3g} | {r.error_unit} |"
        )
        if bt.draws:
            line += f" {r.in50:.0%} | {r.in90:.0%} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


__all__ = ["Backtest", "NoActualsError", "backtest", "counterpart", "summary_markdown"]
