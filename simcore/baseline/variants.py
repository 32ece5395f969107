"""Variants of the 2020 baseline for Monte Carlo: the same accounts regionalised with another Flegg delta
or gravity decay.

A variant keeps every region's value added, final demand totals, energy and CO2 (the 2020 accounts,
electricity received from outside included, stay as calibrated); it rebuilds the inside-Tianjin
coefficients, the purchase shares and the exports that close each row.  It is built from the committed
derived tables alone (``national_io_2020.csv`` and the baseline arrays), by the same code the
calibration build uses (:mod:`simcore.baseline.regionalise`).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd

from simcore.baseline.regionalise import NationalIO, haversine_km, regionalise
from simcore.baseline.regions import DATA
from simcore.baseline.tables import Baseline


@lru_cache(maxsize=4)
def _national(folder, sectors: tuple[str, ...]) -> NationalIO:
    return NationalIO.from_table(folder / "national_io_2020.csv", sectors)


def _distances(leaves: tuple[str, ...]) -> np.ndarray:
    coords = pd.read_csv(DATA / "regions.csv").set_index("id").loc[list(leaves)]
    return haversine_km(coords["lat"].to_numpy(float), coords["lon"].to_numpy(float))


def variant(
    b: Baseline,
    flegg_delta: float | None = None,
    gravity_decay: float | None = None,
    nontradable_rpc_district: float | None = None,
) -> Baseline:
    """The baseline regionalised with other trade parameters (defaults: the baseline's own)."""
    delta = b.parameter("flegg_delta") if flegg_delta is None else float(flegg_delta)
    decay = b.parameter("gravity_decay") if gravity_decay is None else float(gravity_decay)
    io = _national(b.data_dir, b.sectors.ids)
    totals = b.final_demand.sum(axis=1)  # (R, K) all origins
    own = (
        b.parameter("nontradable_rpc_district") if nontradable_rpc_district is None else float(nontradable_rpc_district)
    )
    rpc = (b.parameter("nontradable_rpc_tianjin"), own)
    reg = regionalise(
        io,
        b.leaves,
        np.asarray(b.value_added),
        totals,
        _distances(b.leaves),
        delta,
        decay,
        tradable=np.array(b.sectors.tradable),
        rpc=rpc,
    )
    arrays = dict(
        A=reg.A,
        M_out=reg.M_out,
        final_shares=reg.F_share,
        exports=reg.exports,
        discrepancy=reg.discrepancy,
        final_demand=reg.F,
    )
    for array in arrays.values():
        array.flags.writeable = False
    key = f"{b.checksum}+flegg_delta={delta!r}+gravity_decay={decay!r}+nontradable_rpc_district={own!r}"
    return dataclasses.replace(b, checksum=key, **arrays)
