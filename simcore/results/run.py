"""``run``: one scenario projected deterministically and wrapped into :class:`Results`.

:class:`Results` holds the canonical long table (:mod:`simcore.results.table`), the provenance record
and the raw kernel arrays; :meth:`Results.write` writes CSV, Parquet and provenance as one atomic set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simcore.baseline.tables import Baseline
from simcore.model.boundary import project_central
from simcore.results.writer import write_results


def run(scenario, *, overrides=None, backend: str = "numba", baseline: Baseline | None = None):
    """Run one scenario deterministically and return its :class:`~simcore.results.Results`.

    Parameters
    ----------
    scenario : Scenario or path-like
        A loaded scenario or the path of a scenario YAML file.
    overrides : mapping, optional
        Dotted-path overrides applied on top of the file or of the loaded Scenario.
    backend : {"numba", "numpy"}
        The batch kernel or its NumPy twin.
    baseline : Baseline, optional
        Defaults to :func:`simcore.load_baseline`.
    """
    from simcore.baseline.tables import load_baseline
    from simcore.results.provenance import provenance
    from simcore.results.run import Results
    from simcore.results.table import deterministic_frame
    from simcore.scenario.loader import Scenario, load_scenario, with_overrides

    b = baseline or load_baseline()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    elif overrides:
        scenario = with_overrides(scenario, overrides, baseline=b)
    raw, paths = project_central(scenario, b, backend)
    table = deterministic_frame(b, raw, paths, scenario.name)
    prov = provenance(
        b, scenario, scenario.seed, {"backend": backend, "draws": 1, "share_targets": list(paths.target_labels)}
    )
    return Results(table=table, provenance=prov, raw=raw)


@dataclass(frozen=True)
class Results:
    """Projection results: the long table, the raw kernel arrays and the provenance."""

    table: pd.DataFrame = field(repr=False)
    provenance: dict = field(repr=False)
    raw: object = field(repr=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        """The canonical long table (a copy)."""
        return self.table.copy()

    def value(self, region: str, variable: str, year: int) -> float:
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable) & (t["year"] == year)]
        if hit.empty:
            raise KeyError(f"{region}/{variable}/{year}")
        return float(hit["value"].iloc[0])

    def series(self, region: str, variable: str) -> pd.Series:
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable)]
        return hit.set_index("year")["value"]

    def write(self, out: str | os.PathLike, stem: str = "results") -> list[Path]:
        """Write ``<stem>.csv``, ``<stem>.parquet`` and ``<stem>.provenance.json`` atomically."""
        return write_results(self.table, self.provenance, Path(out), stem)
