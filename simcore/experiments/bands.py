"""Monte Carlo widths from the backtest's errors, and ``run_calibration`` (what ``simcore calibrate`` runs).

:func:`band_width` sets the standard deviation of the annual export-growth shock so that the spread of
Tianjin's annual growth across draws matches the backtest's RMSE at :data:`BAND_VINTAGE`;
:func:`run_calibration` fits the trend (:func:`simcore.analysis.calibrate.fit`), adds the widths and
writes the generated scenario layer, the fit tables and ``docs/calibration.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simcore.analysis.calibrate import (
    BAND_VINTAGE,
    GENERATED_LAYER,
    UNIT_SD,
    Fit,
    fit,
    report,
    write_scenario,
)
from simcore.baseline.history import (
    default_vintage,
)
from simcore.baseline.tables import Baseline, load_baseline
from simcore.scenario.loader import load_scenario

BAND_DRAWS = 400


def band_width(b: Baseline, scenario_path: Path, seed: int = 0) -> dict:
    """Width of the annual export-growth shock from the backtest's errors (Riksbank style).

    The backtest at ``BAND_VINTAGE`` gives the RMSE of Tianjin's annual real growth (4 years, 4 points).
    Two Monte Carlo runs of that backtest, without the shock and with a unit shock (sd 0.01), give the
    spread of Tianjin's annual growth that the other distributions produce (``s0``) and that a unit shock
    adds; the shock's sd is set so that the spread equals the RMSE:
    ``sd = 0.01 sqrt((RMSE^2 - s0^2) / (s1^2 - s0^2))`` (the spread is close to linear in the sd).
    """
    from simcore.experiments.backtest import ANNUAL_SHOCK, backtest

    def run(sd: float):
        shock = {ANNUAL_SHOCK: {"dist": "normal", "mean": 0.0, "sd": sd}} if sd else {}
        return backtest(BAND_VINTAGE, scenario_path, draws=BAND_DRAWS, seed=seed, baseline=b, uncertainty=shock)

    bt0 = run(0.0)
    rows = bt0.table[(bt0.table["region"] == "tianjin") & (bt0.table["variable"] == "GDP|Real Growth")]
    rmse = float(np.sqrt((rows["error"] ** 2).mean()))
    s0 = _growth_spread(bt0, rows["year"])
    s1 = _growth_spread(run(UNIT_SD), rows["year"])
    sd = UNIT_SD * math.sqrt(max(rmse**2 - s0**2, 0.0) / max(s1**2 - s0**2, 1e-12))
    # centred: the kernel compounds log(1 + g + e), whose mean falls short of log(1 + g) by about sd^2 / 2,
    # so the shock's mean is sd^2 / 2 and the median draw stays on the central run
    return {"sd": round(sd, 6), "mean": round(sd**2 / 2, 6), "rmse": rmse, "n": int(len(rows)), "s0": s0, "s1": s1}


def _growth_spread(bt, years) -> float:
    """Standard deviation of Tianjin's annual growth across draws, pooled over the backtest years (from
    the 5-95% range of a normal: (q95 - q05) / 3.29)."""
    q = bt.quantiles
    q = q[(q["region"] == "tianjin") & (q["variable"] == "GDP|Real Growth") & q["year"].isin(list(years))]
    wide = q[q["quantile"] != "central"].pivot_table(index="year", columns="quantile", values="value")
    return float(((wide[0.95] - wide[0.05]) / 3.29).pow(2).mean() ** 0.5)


def run_calibration(
    scenario_path: Path,
    out_dir: Path,
    scenario_out: Path,
    report_path: Path,
    b: Baseline | None = None,
    vintage: int | None = None,
) -> Fit:
    """Fit at ``vintage``, then write the scenario layer, the fit tables and the report."""
    b = b or load_baseline()
    result = fit(load_scenario(scenario_path, baseline=b, skip=(GENERATED_LAYER,)), b, vintage=vintage)
    # the widths come from the backtest's actuals up to the latest year: a calibration at an earlier
    # vintage must not read them, so it keeps the stated priors only
    if result.vintage >= default_vintage(b):
        result.bands = band_width(b, scenario_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.parameters.to_csv(out_dir / "trend_parameters.csv", index=False, float_format="%.10g")
    result.residuals.to_csv(out_dir / "trend_residuals.csv", index=False, float_format="%.10g")
    write_scenario(result, scenario_out, b)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report(result, b))
    return result
