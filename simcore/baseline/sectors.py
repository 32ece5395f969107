"""Sectors and sector aggregates (``simcore/data/sectors.csv``, ``aggregates.csv``).

Exact aggregates (primary, secondary, tertiary, industry, manufacturing, ...) are
0/1 sums of sectors.  Proxy aggregates (digital economy core, high-tech
manufacturing, strategic emerging industries, high-tech services) weight each
sector by the share of its national value added in the proxy's NBS 153 products;
the calibration build derives those weights (``calibration/data/aggregate_weights.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.errors import CodelistError

DATA = Path(__file__).resolve().parents[1] / "data"  # simcore/data: the codelists


@dataclass(frozen=True)
class Sectors:
    ids: tuple[str, ...]
    names: tuple[str, ...]
    labels: tuple[str, ...]
    aggregate_ids: tuple[str, ...]
    aggregate_names: tuple[str, ...]
    aggregate_kinds: tuple[str, ...]
    weights: np.ndarray  # (n_aggregate, n_sector)
    tradable: tuple[bool, ...] = ()  # per sector: traded beyond Tianjin (FLQ) or bought locally (a stated RPC)

    @classmethod
    def load(cls, weights_path: Path, path: Path | None = None, aggregates_path: Path | None = None) -> Sectors:
        sectors = pd.read_csv(path or DATA / "sectors.csv", dtype=str)
        aggregates = pd.read_csv(aggregates_path or DATA / "aggregates.csv", dtype=str)
        ids = tuple(sectors["id"])
        if len(set(ids)) != len(ids):
            raise CodelistError("sectors.csv: duplicate sector id")
        proxy = pd.read_csv(weights_path)
        W = np.zeros((len(aggregates), len(ids)))
        for a, row in enumerate(aggregates.itertuples(index=False)):
            if row.kind == "exact":
                for member in row.members.split(";"):
                    if member not in ids:
                        raise CodelistError(f"aggregates.csv: {row.id} names unknown sector {member}")
                    W[a, ids.index(member)] = 1.0
            elif row.kind == "proxy":
                part = proxy[proxy["aggregate"] == row.id]
                if part.empty:
                    raise CodelistError(f"aggregate_weights.csv has no weights for proxy {row.id}")
                for member, weight in zip(part["sector"], part["weight"]):
                    W[a, ids.index(member)] = weight
            else:
                raise CodelistError(f"aggregates.csv: {row.id} has kind {row.kind!r}, expected exact or proxy")
        if ((W < 0) | (W > 1)).any():
            raise CodelistError("aggregate weights must lie in [0, 1]")
        labels = tuple(sectors["label"])
        if "tradable" in sectors.columns:
            bad = sorted(set(sectors["tradable"].fillna("")) - {"yes", "no"})
            if bad:
                raise CodelistError(f"sectors.csv: tradable must be yes or no, got {', '.join(map(repr, bad))}")
            tradable = tuple(sectors["tradable"] == "yes")
        else:
            tradable = (True,) * len(ids)
        if set(labels) & set(aggregates["name"]):
            raise CodelistError(
                f"sector labels and aggregate names must differ: {set(labels) & set(aggregates['name'])}"
            )
        return cls(
            ids,
            tuple(sectors["name"]),
            labels,
            tuple(aggregates["id"]),
            tuple(aggregates["name"]),
            tuple(aggregates["kind"]),
            W,
            tradable,
        )

    def weights_of(self, key: str) -> np.ndarray:
        """Sector weights of a sector id or an aggregate id."""
        if key in self.ids:
            w = np.zeros(len(self.ids))
            w[self.ids.index(key)] = 1.0
            return w
        return self.aggregate(key)

    def index(self, sector: str) -> int:
        return self.ids.index(sector)

    def aggregate(self, aggregate_id: str) -> np.ndarray:
        return self.weights[self.aggregate_ids.index(aggregate_id)]
