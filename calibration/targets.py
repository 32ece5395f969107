"""Every quantitative 2025 / 2035 target of the five seeds, plus the city's energy and CO2 targets.

The seed fact tables are reading aids: each target row is kept only when its
number appears on the cited seed line.  Restatements of a target (rows marked
"restated") are folded into the first statement's source.  Rows whose plan text
has no number ("complete the city-assigned task") take the city's number through
``target_map.csv``, which also maps the targets the model can compute onto simcore
variables; everything else carries the reason it is not modelled.
"""

from __future__ import annotations

import difflib
import math
import re

import pandas as pd

from simcore.analysis.targets import price_basis

from .facts import _resolve_source
from .sources import FACT_FILES, INPUTS, SEED_FILES, Shared, number_in_text

COLUMNS = [
    "target_id",
    "region",
    "indicator",
    "variable",
    "denominator",
    "basis",
    "price_basis",
    "comparison",
    "year",
    "value",
    "value_high",
    "unit",
    "kind",
    "value_2020",
    "source_2020",
    "not_modelled",
    "source",
    "note",
]

_AT_LEAST = re.compile(r"at least|more than|minimum|lower bound|or more|以上|不低于|不少于|超过|力争|＞|>", re.I)
_AT_MOST = re.compile(r"less than|upper bound|ceiling|以下|以内|不超过|控制在|低于|＜|<", re.I)

_REASONS = [
    (
        r"foreign trade|imports and exports|imports\+exports|import|fdi|foreign (capital|investment)|utilised|utilized",
        "foreign trade and capital inflows: the model tracks exports out of Tianjin, not customs trade or FDI",
    ),
    (r"budget revenue|tax", "fiscal revenue is not modelled"),
    (r"private", "ownership (private-economy share) is not modelled"),
    (
        r"r&d|patent|high-tech enterprises|enterprises|companies|listed|talent|incubat|market entities|gazelle|eaglet|"
        r"institutions|maker|platform|agencies|funds|clusters|organisations|projects",
        "innovation and enterprise counts are not modelled",
    ),
    (
        r"airport|\bport\b|teu|passenger|cargo|tourist|hotel|exhibition|container|shipping|channel|transport mode|"
        r"green travel",
        "transport and tourism volumes are not modelled (only their value added)",
    ),
    (
        r"pm2\.5|air quality|good-air|good air|water|forest|green|waste|sewage|wetland|shoreline|noise|plant index|"
        r"effluent|soil|land plots|sponge|groundwater|\bcod\b|ecolog",
        "environmental quality is not modelled",
    ),
    (
        r"school|kindergarten|enrol|physician|bed|hospital|medical|life expectancy|pension|elderly|sport|exercis|"
        r"unemployment|income|jobs|insurance|childcare|community|schooling|welfare|barrier-free|services within",
        "social services and labour-market indicators are not modelled",
    ),
    (
        r"km|road|station|substation|area|land|floor|bridge|greenway|park|pipeline|network|parcel|villages|towns",
        "infrastructure and land quantities are not modelled",
    ),
]


def _year(text: str) -> int:
    return int(str(text).split("-")[-1])


def _reason(indicator: str, unit: str) -> str:
    text = f"{indicator} {unit}".lower()
    for pattern, reason in _REASONS:
        if re.search(pattern, text):
            return reason
    return "not an economic, energy or emissions quantity of the model"


def _comparison(indicator: str, quote: str) -> str:
    text = f"{indicator} {quote}"
    if _AT_MOST.search(text):
        return "<="
    if _AT_LEAST.search(text):
        return ">="
    return "="


def _basis(value_kind: str) -> str:
    return {"average_growth": "avg_growth", "cumulative": "cumulative_sum", "reduction_pct": "change_vs_2020"}.get(
        value_kind, "level"
    )


def build_targets(shared: Shared) -> tuple[pd.DataFrame, list[str]]:
    """Return the targets table and a list of seed rows dropped (number not on its line)."""
    mapping = pd.read_csv(INPUTS / "target_map.csv", dtype=str, keep_default_na=False)
    rows: list[dict] = []
    dropped: list[str] = []
    used_maps: set[int] = set()
    for region, seed in SEED_FILES.items():
        facts = shared.seed_facts(region)
        future = facts[facts["year"].fillna("").str.contains(r"20(?:2[1-9]|3\d)") & (facts["value_kind"] != "other")]
        for fact in future.itertuples(index=False):
            citation = f"{seed}:L{fact.line}"
            line = shared.seed_line(citation)
            value = float(fact.value) if isinstance(fact.value, str) and fact.value else math.nan
            if not math.isnan(value) and not number_in_text(value, line):
                dropped.append(f"{FACT_FILES[region]}: L{fact.line} '{fact.indicator_en}' = {fact.value}")
                continue
            first = _find_restated(rows, region, fact, value)
            if first is not None:
                first["source"] += f"; L{fact.line}"
                continue
            row = {
                "region": region,
                "indicator": fact.indicator_en,
                "variable": "",
                "denominator": "",
                "basis": _basis(fact.value_kind),
                "comparison": _comparison(fact.indicator_en, fact.quote_zh),
                "year": _year(fact.year),
                "value": value,
                "value_high": math.nan,
                "unit": fact.unit,
                "kind": fact.target_kind if isinstance(fact.target_kind, str) and fact.target_kind else "expected",
                "value_2020": math.nan,
                "source_2020": "",
                "not_modelled": "",
                "source": citation,
                "note": ""
                if isinstance(fact.target_kind, str) and fact.target_kind
                else "kind not labelled in the plan",
            }
            hits = mapping[(mapping["region"] == region) & (mapping["line"] == str(fact.line))]
            hits = hits[[m in fact.indicator_en for m in hits["match"]]]
            if len(hits) > 1:
                raise ValueError(f"target_map.csv: several rows match {citation} {fact.indicator_en!r}")
            if len(hits) == 1:
                m = hits.iloc[0]
                used_maps.add(hits.index[0])
                row.update(
                    variable=m["variable"], denominator=m["denominator"], basis=m["basis"], comparison=m["comparison"]
                )
                if m["kind"]:
                    row["kind"] = m["kind"]
                if m["base_2020"]:
                    if not number_in_text(float(m["base_2020"]), shared.seed_line(m["base_source"])):
                        raise ValueError(f"target_map.csv: {m['base_2020']} not at {m['base_source']}")
                    row.update(value_2020=float(m["base_2020"]), source_2020=m["base_source"])
                row["note"] = "; ".join(x for x in (m["note"], row["note"]) if x)
                if m["value"]:
                    row["value"] = float(m["value"])
                    row["source"] += f" + {_cite(shared, m['value_source'], float(m['value']))}"
                if m.get("high", ""):
                    if not number_in_text(float(m["high"]), shared.seed_line(citation)):
                        raise ValueError(f"target_map.csv: range top {m['high']} not at {citation}")
                    row.update(comparison="range", value_high=float(m["high"]))
            if math.isnan(row["value"]):
                continue  # no number and no city quota to stand in: not quantitative
            if not row["variable"]:
                row["not_modelled"] = _reason(fact.indicator_en, fact.unit)
            rows.append(row)
    unused = set(mapping.index) - used_maps
    if unused:
        raise ValueError(f"target_map.csv rows match no seed fact: {mapping.loc[sorted(unused), 'match'].tolist()}")

    extra = pd.read_csv(INPUTS / "extra_targets.csv", dtype=str, keep_default_na=False)
    for number, e in enumerate(extra.itertuples(index=False), start=2):
        source = e.source
        if e.check == "external":
            source = _cite(shared, e.source, float(e.value))
        elif source.startswith("external:"):
            source = shared.external.loc[_external_row(shared, source), "source_url"]
        elif ":L" in source:
            shared.seed_line(source)  # the line must exist
        rows.append(
            {
                "region": e.region,
                "indicator": e.indicator,
                "variable": e.variable,
                "denominator": e.denominator,
                "basis": e.basis,
                "comparison": e.comparison,
                "year": int(e.year),
                "value": float(e.value),
                "value_high": math.nan,
                "unit": e.unit,
                "kind": e.kind,
                "value_2020": math.nan,
                "source_2020": "",
                "not_modelled": "" if e.variable else e.note.removeprefix("not modelled: "),
                "source": source,
                "note": e.note if e.variable else "",
            }
        )
    table = pd.DataFrame(rows)
    table = table.sort_values(["region", "year", "source", "indicator"], kind="stable").reset_index(drop=True)
    table.insert(0, "target_id", [f"T{i + 1:03d}" for i in range(len(table))])
    table["price_basis"] = [
        price_basis(str(v or ""), str(d or ""), str(b)) if v else ""
        for v, d, b in zip(table["variable"].fillna(""), table["denominator"].fillna(""), table["basis"])
    ]
    return table[COLUMNS], dropped


def _stem(indicator: str) -> str:
    return re.sub(r"\s*[(\[].*?[)\]]", "", indicator).strip().lower()


def _find_restated(rows: list[dict], region: str, fact, value: float) -> dict | None:
    """An earlier row stating the same target again (same number, year, unit and indicator stem)."""
    for row in rows:
        same = (
            row["region"] == region
            and row["unit"] == fact.unit
            and row["value"] == value
            and row["year"] == _year(fact.year)
        )
        if not same:
            continue
        a, b = _stem(row["indicator"]), _stem(fact.indicator_en)
        if a == b or ("restated" in fact.indicator_en and difflib.SequenceMatcher(None, a, b).ratio() > 0.6):
            return row
    return None


def _external_row(shared: Shared, source: str) -> int:
    area, indicator, year, _ = source.removeprefix("external:").split("|")
    ext = shared.external
    hit = ext[(ext["area"] == area) & (ext["indicator"] == indicator) & (ext["year"] == year)]
    if hit.empty:
        raise ValueError(f"no external row for {source}")
    return hit.index[0]


class _Row:
    def __init__(self, source: str, value: float) -> None:
        self.source, self.anchor, self.quality = source, "", "published"
        self.value = value


def _cite(shared: Shared, source: str, value: float) -> str:
    if source.startswith("external:"):
        return _resolve_source(shared, _Row(source, value), value, f"target source {source}")
    return source
