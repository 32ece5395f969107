"""The region tree (``simcore/data/regions.csv``): leaves and the aggregates above them.

Model regions are non-overlapping leaves; aggregates are sums of leaves, never
peers.  Adding a district is a data change: a row here plus its baseline rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.errors import CodelistError

DATA = Path(__file__).resolve().parents[1] / "data"  # simcore/data: the codelists


@dataclass(frozen=True)
class RegionTree:
    """Leaves (model regions) and aggregates, with their display names and parents."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    parents: tuple[str, ...]
    kinds: tuple[str, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> RegionTree:
        table = pd.read_csv(path or DATA / "regions.csv", dtype=str, keep_default_na=False)
        tree = cls(tuple(table["id"]), tuple(table["name"]), tuple(table["parent"]), tuple(table["kind"]))
        tree.validate()
        return tree

    def validate(self) -> None:
        if len(set(self.ids)) != len(self.ids):
            raise CodelistError("regions.csv: duplicate region id")
        roots = [r for r, p in zip(self.ids, self.parents) if not p]
        if len(roots) != 1:
            raise CodelistError(f"regions.csv: exactly one root region expected, got {roots}")
        for region, parent, kind in zip(self.ids, self.parents, self.kinds):
            if parent and parent not in self.ids:
                raise CodelistError(f"regions.csv: {region} has unknown parent {parent}")
            if kind not in ("leaf", "aggregate"):
                raise CodelistError(f"regions.csv: {region} has kind {kind!r}, expected leaf or aggregate")
            if kind == "leaf" and region in self.parents:
                raise CodelistError(f"regions.csv: leaf {region} has children")
        for region, kind in zip(self.ids, self.kinds):
            if kind == "aggregate" and not self.members(region):
                raise CodelistError(f"regions.csv: aggregate {region} has no leaves")

    @property
    def root(self) -> str:
        return next(r for r, p in zip(self.ids, self.parents) if not p)

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        return tuple(r for r, k in zip(self.ids, self.kinds) if k == "leaf")

    @cached_property
    def aggregates(self) -> tuple[str, ...]:
        return tuple(r for r, k in zip(self.ids, self.kinds) if k == "aggregate")

    def members(self, region: str) -> tuple[str, ...]:
        """Leaves under ``region`` (itself if it is a leaf), in leaf order."""
        if region not in self.ids:
            raise KeyError(region)
        return self._members[region]

    @cached_property
    def _members(self) -> dict[str, tuple[str, ...]]:
        return {region: self._leaves_under(region) for region in self.ids}

    def _leaves_under(self, region: str) -> tuple[str, ...]:
        children = {r: p for r, p in zip(self.ids, self.parents)}

        def under(leaf: str) -> bool:
            node = leaf
            while node:
                if node == region:
                    return True
                node = children[node]
            return False

        return tuple(leaf for leaf in self.leaves if under(leaf))

    def unknown(self, requested, option: str = "--region") -> str | None:
        """``None`` when every id of ``requested`` is a region of the tree, else a message naming the first
        unknown id and the nearest valid ones (or every id, when none is near), for the caller to raise."""
        import difflib

        for name in requested:
            if name in self.ids:
                continue
            lower = {r.lower(): r for r in self.ids}
            near = [lower[name.lower()]] if name.lower() in lower else []
            near += [r for r in difflib.get_close_matches(name, self.ids, n=3, cutoff=0.5) if r not in near]
            hint = f"nearest: {', '.join(near)}" if near else f"expected one of {', '.join(self.ids)}"
            return f"{option} {name}: unknown region id; {hint}"
        return None

    @cached_property
    def matrix(self) -> np.ndarray:
        """(n_regions, n_leaves) 0/1 matrix: every region (leaves and aggregates) as a sum of leaves."""
        M = np.zeros((len(self.ids), len(self.leaves)))
        for i, region in enumerate(self.ids):
            for leaf in self.members(region):
                M[i, self.leaves.index(leaf)] = 1.0
        return M
