"""The one table builder: every result (runs, Monte Carlo draws and quantiles, sweeps) in the same long shape.

Columns ``model, scenario, region, variable, unit, year`` then, when the table has one, the key of the
row set (``draw``, ``quantile`` or ``run_id``) and ``value``; sorted by the key columns, no duplicate or
missing keys.  A value that is undefined by the registry's rule (GDP growth in 2020 where no source gives
it) is not written; any other non-finite value raises :class:`~simcore.errors.ResultsError` with the
offending rows: nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np

from simcore import __version__
from simcore.errors import ResultsError
from simcore.model.variables import defined_in, unit_of

MODEL = "simcore"
COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
ROW_KEYS = ("draw", "quantile", "run_id")


def model_label(version: str = __version__) -> str:
    return f"{MODEL} {version}"


def long_table(
    values: np.ndarray,
    *,
    scenario,
    regions,
    variables,
    years,
    key: str | None = None,
    labels=None,
    model: str | None = None,
):
    """The canonical long table of ``values`` (N, V, G, T): N row sets (draws, quantiles or runs; N = 1 and
    ``key=None`` for one run), V variables, G regions, T years.

    ``scenario`` is a name or, for sweeps, one name per row set.  Raises :class:`ResultsError` on a
    non-finite value the registry does not allow, naming up to five offending rows.
    """
    import pandas as pd

    values = np.asarray(values, dtype=float)
    N, V, G, T = values.shape
    regions, variables, years = list(regions), list(variables), [int(y) for y in years]
    if (V, G, T) != (len(variables), len(regions), len(years)):
        raise ResultsError(
            f"values of shape {values.shape} do not match {len(variables)} variables, "
            f"{len(regions)} regions and {len(years)} years"
        )
    allowed = np.array([[defined_in(v, y) for y in years] for v in variables])  # (V, T)
    finite = np.isfinite(values)
    bad = ~finite & np.broadcast_to(allowed[None, :, None, :], values.shape)
    if bad.any():
        rows = [
            f"{(key + ' ' + str(labels[n]) + ', ') if key else ''}{regions[g]}, {variables[v]}, {years[t]}: "
            f"{values[n, v, g, t]}"
            for n, v, g, t in np.argwhere(bad)[:5]
        ]
        raise ResultsError(
            f"{int(bad.sum())} non-finite value(s) in the result table (never written):\n  " + "\n  ".join(rows)
        )
    keep = finite.reshape(-1)
    names = np.array(variables, dtype=object)
    table = pd.DataFrame(
        {
            "model": model or model_label(),
            "scenario": np.repeat(np.asarray(scenario, dtype=object), V * G * T)
            if not isinstance(scenario, str)
            else scenario,
            "region": np.tile(np.repeat(np.array(regions, dtype=object), T), N * V),
            "variable": np.tile(np.repeat(names, G * T), N),
            "unit": np.tile(np.repeat(np.array([unit_of(v) for v in variables], dtype=object), G * T), N),
            "year": np.tile(np.array(years, dtype=np.int64), N * V * G),
        }
    )
    if key is not None:
        table[key] = np.repeat(np.asarray(labels), V * G * T)
    table["value"] = values.reshape(-1)
    return sort_table(table[keep])


def sort_table(table):
    """Sort by the key columns and check the table's contract (no duplicate or missing keys)."""
    extra = [c for c in ROW_KEYS if c in table.columns]
    keys = [c for c in COLUMNS if c != "value"] + extra
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    if table.duplicated(keys).any():
        raise ResultsError("duplicate keys in the result table")
    if table[keys].isna().any().any():
        raise ResultsError("missing keys in the result table")
    return table[COLUMNS[:-1] + extra + ["value"]]


def deterministic_frame(b, raw, paths, scenario_name: str, draw: int = 0):
    """The canonical long table of one draw."""
    from simcore.model.variables import batch_variables

    arrays = batch_variables(b, raw, paths, slice(draw, draw + 1))
    return long_frame(b, {name: values[0] for name, values in arrays.items()}, scenario_name)


def long_frame(b, arrays: dict[str, np.ndarray], scenario_name: str):
    """The long table of one run's region-level arrays (name -> (regions, years))."""
    from simcore.scenario.schema import YEARS

    names = list(arrays)
    values = np.stack([np.asarray(arrays[name], dtype=float) for name in names])[None]  # (1, V, G, T)
    return long_table(values, scenario=scenario_name, regions=b.regions.ids, variables=names, years=YEARS)
