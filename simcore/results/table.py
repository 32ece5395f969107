"""Table (moved from simcore/results.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcore import __version__
from simcore.baseline.tables import Baseline
from simcore.model.variables import batch_variables, unit_of
from simcore.scenario.schema import YEARS

MODEL = "simcore"
COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]


def deterministic_frame(b: Baseline, raw, paths, scenario_name: str, draw: int = 0) -> pd.DataFrame:
    """The canonical long table of one draw."""
    arrays = batch_variables(b, raw, paths.pop, slice(draw, draw + 1))
    return long_frame(b, {name: values[0] for name, values in arrays.items()}, scenario_name)


def long_frame(b: Baseline, arrays: dict[str, np.ndarray], scenario_name: str) -> pd.DataFrame:
    regions = np.array(b.regions.ids, dtype=object)
    n_reg, T = len(regions), len(YEARS)
    names = list(arrays)
    values = np.stack([np.asarray(arrays[name], dtype=float).reshape(n_reg * T) for name in names])  # (V, n_reg*T)
    V = len(names)
    table = pd.DataFrame({
        "model": f"{MODEL} {__version__}",
        "scenario": scenario_name,
        "region": np.tile(np.repeat(regions, T), V),
        "variable": np.repeat(np.array(names, dtype=object), n_reg * T),
        "unit": np.repeat(np.array([unit_of(name) for name in names], dtype=object), n_reg * T),
        "year": np.tile(np.array(YEARS), n_reg * V),
        "value": values.reshape(-1),
    })
    return sort_table(table[np.isfinite(table["value"].to_numpy())])


def sort_table(table: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in COLUMNS if c != "value"] + [c for c in ("draw", "quantile") if c in table.columns]
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    if table.duplicated(keys).any():
        raise ValueError("duplicate keys in the result table")
    if table[keys].isna().any().any():
        raise ValueError("missing keys in the result table")
    extra = [c for c in ("draw", "quantile") if c in table.columns]
    return table[COLUMNS[:-1] + extra + ["value"]]
