"""2016-2020 history the trend is calibrated to (``calibration/inputs/history.csv`` -> ``data/history.csv``).

Each row is an average annual rate computed from published figures, each component checked against its
source: annual growth rates (``mean_growth``: geometric mean), a period total (``cumulative_to_annual``),
a published average (``value``), CEADs inventory totals (``ceads_growth``) or two structure shares
(``share_change``, points per year).
"""

from __future__ import annotations

import pandas as pd

from .sources import INPUTS, Shared, SourceError, number_in_text

COLUMNS = ["id", "region", "metric", "variable", "denominator", "start", "end", "value", "unit", "tolerance",
           "fit", "quality", "source", "note"]


def _external(shared: Shared, spec: str) -> tuple[float, str]:
    area, indicator, year, field = spec.removeprefix("external:").split("|")
    ext = shared.external
    hit = ext[(ext["area"] == area) & (ext["indicator"] == indicator) & (ext["year"] == year)]
    if hit.empty:
        raise SourceError(f"history: no external row {spec}")
    raw = hit.iloc[0][field]
    value = float(str(raw).split(":")[-1])  # "1.3:46.7:52.0" -> tertiary share
    return value, hit.iloc[0]["source_url"]


def _seed(shared: Shared, spec: str) -> tuple[float, str]:
    citation, value = spec.split("=")
    if not number_in_text(abs(float(value)), shared.seed_line(citation)):
        raise SourceError(f"history: {value} is not at {citation}")
    return float(value), citation


def build_history(shared: Shared, co2_totals: dict[int, float]) -> pd.DataFrame:
    table = pd.read_csv(INPUTS / "history.csv", dtype=str, keep_default_na=False)
    rows = []
    for r in table.itertuples(index=False):
        start, end = (int(x) for x in r.period.split("-"))
        years = end - start + 1
        values, sources = [], []
        for spec in r.components.split(";"):
            if spec.startswith("external:"):
                value, source = _external(shared, spec)
            elif spec.startswith("ceads:"):
                year = int(spec.removeprefix("ceads:"))
                value, source = co2_totals[year], f"CEADs Tianjin {min(year, 2019)} inventory"
            else:
                value, source = _seed(shared, spec)
            values.append(value)
            sources.append(source)
        if r.formula == "mean_growth":
            growth = 1.0
            for v in values:
                growth *= 1 + v / 100
            rate = 100 * (growth ** (1 / len(values)) - 1)
            unit = "% per year"
        elif r.formula == "cumulative_to_annual":
            rate = 100 * ((1 + values[0] / 100) ** (1 / years) - 1)
            unit = "% per year"
        elif r.formula == "value":
            rate, unit = values[0], "% per year"
        elif r.formula == "ceads_growth":
            rate = 100 * ((values[1] / values[0]) ** (1 / (end - start)) - 1)
            unit = "% per year"
        elif r.formula == "share_change":
            rate = (values[1] - values[0]) / (end - start)
            unit = "points per year"
        else:
            raise SourceError(f"history.csv {r.id}: unknown formula {r.formula}")
        rows.append({"id": r.id, "region": r.region, "metric": r.metric, "variable": r.variable,
                     "denominator": r.denominator, "start": start, "end": end, "value": rate, "unit": unit,
                     "tolerance": float(r.tolerance), "fit": r.fit == "yes", "quality": "derived",
                     "source": "; ".join(dict.fromkeys(sources)), "note": r.note})
    return pd.DataFrame(rows, columns=COLUMNS)
