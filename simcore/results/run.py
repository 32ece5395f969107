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
from simcore.errors import ResultsError
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
    shift = scenario.spec.industry_shares.shift
    prov = provenance(
        b,
        scenario,
        scenario.seed,
        {"backend": backend, "draws": 1, "share_targets": list(paths.target_labels), "share_shift": shift},
    )
    shifts = target_shifts(b, raw, paths, scenario.spec.industry_shares.plausible_shift)
    return Results(table=table, provenance=prov, raw=raw, target_shifts=shifts)


def target_shifts(b: Baseline, raw, paths, bound: float, draw: int = 0) -> pd.DataFrame:
    """The outside-demand shift each share target needed, by year: 10^8 CNY_2020 and share of the region's GDP.

    The shift is ``lam`` times the targeted sectors' 2020 exports (under a GDP-neutral shift the same value
    of GDP is taken from the rest of the region's outside demand); ``plausible`` is False where its share
    of the region's GDP exceeds ``bound`` (``industry_shares.plausible_shift``).
    """
    import numpy as np

    from simcore.scenario.schema import YEARS

    m = len(paths.target_labels)
    if m == 0:
        return pd.DataFrame(columns=["target", "region", "year", "shift", "shift_share_of_gdp", "plausible"])
    va = raw.va[draw].reshape(len(YEARS), b.n_region, b.n_sector).sum(axis=2)  # (T, R)
    rows = []
    for k, label in enumerate(paths.target_labels):
        region = label.split(":", 1)[0]
        gdp = va @ b.regions.matrix[b.regions.ids.index(region)]
        shift = raw.target_shift[draw, :, k] * paths.t_pat[k].sum()  # times the targeted 2020 exports
        share = np.divide(shift, gdp, out=np.zeros_like(shift), where=gdp > 0)
        for t, year in enumerate(YEARS):
            rows.append((label, region, year, float(shift[t]), float(share[t]), bool(abs(share[t]) <= bound)))
    return pd.DataFrame(rows, columns=["target", "region", "year", "shift", "shift_share_of_gdp", "plausible"])


@dataclass(frozen=True)
class Results:
    """Projection results: the long table, the raw kernel arrays and the provenance."""

    table: pd.DataFrame = field(repr=False)
    provenance: dict = field(repr=False)
    raw: object = field(repr=False, default=None)
    target_shifts: object = field(repr=False, default=None)  # see target_shifts(); empty without targets

    def to_frame(self) -> pd.DataFrame:
        """The canonical long table (a copy)."""
        return self.table.copy()

    def _check(self, region: str, variable: str) -> None:
        """A :class:`~simcore.errors.ResultsError` naming an unknown region or variable and the nearest known."""
        for what, name, column in (("region", region, "region"), ("variable", variable, "variable")):
            known = sorted(self.table[column].unique())
            if name not in known:
                raise ResultsError(f"unknown {what} {name!r}{_nearest(name, known)}")

    def value(self, region: str, variable: str, year: int) -> float:
        """One value, e.g. ``value("tianjin", "GDP", 2025)``; an unknown region, variable or year is a
        :class:`~simcore.errors.ResultsError` that names it."""
        self._check(region, variable)
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable) & (t["year"] == year)]
        if hit.empty:
            years = sorted(t.loc[(t["region"] == region) & (t["variable"] == variable), "year"].unique())
            raise ResultsError(
                f"no value of {variable!r} for {region!r} in {year!r}; it has "
                + (f"{years[0]}-{years[-1]}" if years else "no years")
            )
        return float(hit["value"].iloc[0])

    def series(self, region: str, variable: str) -> pd.Series:
        """The values of one region and variable by year; an unknown region or variable is a
        :class:`~simcore.errors.ResultsError` that names it and suggests the nearest."""
        self._check(region, variable)
        t = self.table
        hit = t[(t["region"] == region) & (t["variable"] == variable)]
        return hit.set_index("year")["value"].rename(f"{variable}, {region}")

    def write(self, out: str | os.PathLike, stem: str = "results") -> list[Path]:
        """Write ``<stem>.csv``, ``<stem>.parquet`` and ``<stem>.provenance.json`` atomically."""
        return write_results(self.table, self.provenance, Path(out), stem)


def _nearest(name: str, known: list[str]) -> str:
    import difflib

    lower = {k.lower(): k for k in known}
    close = [lower[name.lower()]] if name.lower() in lower else difflib.get_close_matches(name, known, n=1)
    return (
        f"; did you mean {close[0]!r}?"
        if close
        else f"; known: {', '.join(known[:12])}" + (", ..." if len(known) > 12 else "")
    )
