"""Scalar inputs of the build (``calibration/inputs/facts.csv``), checked against their sources.

Every published fact names where it comes from: a seed line (``<file>:L<n>``, where
the number, or the ``anchor`` it is estimated from, must appear) or a row of the
external statistics (``external:<area>|<indicator>|<year>|<value or growth_pct>``,
whose value must match).  Estimated parameters carry a range and a reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .sources import INPUTS, Shared, SourceError, number_in_text

QUALITIES = ("published", "derived", "estimated")


@dataclass(frozen=True)
class Estimate:
    """A number with its provenance, as it goes into the derived tables."""

    value: float
    quality: str
    source: str
    low: float = math.nan
    high: float = math.nan

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ValueError(f"unknown quality {self.quality!r}")
        if self.quality == "estimated" and not (self.low <= self.value <= self.high):
            raise ValueError(f"estimated value {self.value} outside its range [{self.low}, {self.high}]")

    def scaled(self, factor: float, source: str | None = None, quality: str | None = None) -> Estimate:
        lo, hi = sorted((self.low * factor, self.high * factor)) if not math.isnan(self.low) else (math.nan, math.nan)
        return Estimate(self.value * factor, quality or self.quality, source or self.source, lo, hi)


@dataclass(frozen=True)
class Fact:
    key: str
    value: float
    unit: str
    quality: str
    low: float
    high: float
    source: str
    note: str

    def estimate(self) -> Estimate:
        return Estimate(self.value, self.quality, self.source, self.low, self.high)


def load_facts(shared: Shared) -> dict[str, Fact]:
    table = pd.read_csv(INPUTS / "facts.csv", dtype=str, keep_default_na=False)
    facts: dict[str, Fact] = {}
    for number, row in enumerate(table.itertuples(index=False), start=2):
        where = f"calibration/inputs/facts.csv:{number}: {row.key}"
        value = float(row.value)
        source = _resolve_source(shared, row, value, where)
        low = float(row.low) if row.low else math.nan
        high = float(row.high) if row.high else math.nan
        if row.quality == "estimated" and not (low <= value <= high):
            raise SourceError(f"{where}: estimated value {value} needs low <= value <= high")
        if row.key in facts:
            raise SourceError(f"{where}: key given twice")
        facts[row.key] = Fact(row.key, value, row.unit, row.quality, low, high, source, row.note)
    return facts


def _resolve_source(shared: Shared, row, value: float, where: str) -> str:
    source = row.source
    if source.startswith("external:"):
        area, indicator, year, field = source.removeprefix("external:").split("|")
        ext = shared.external
        hit = ext[(ext["area"] == area) & (ext["indicator"] == indicator) & (ext["year"] == year)]
        if hit.empty:
            raise SourceError(f"{where}: no external row {area}/{indicator}/{year}")
        found = float(hit.iloc[0][field])
        if abs(found - value) > 1e-9 * max(1.0, abs(value)):
            raise SourceError(f"{where}: external row says {found}, facts.csv says {value}")
        return hit.iloc[0]["source_url"]
    if source[:3].isdigit() and ":L" in source:
        anchor = float(row.anchor) if row.anchor else value
        if not number_in_text(anchor, shared.seed_line(source)):
            raise SourceError(f"{where}: {anchor} does not appear at {source}")
        return source
    if row.quality == "published" and not source:
        raise SourceError(f"{where}: a published fact needs a source")
    return source
