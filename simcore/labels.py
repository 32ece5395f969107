"""Display names for readers, in English or Chinese: regions, variables, sectors and units from the codelists.

The result tables keep their codes (``binhai``, ``Emissions|CO2``, ``100 million CNY_2020``); charts and
reports show names.  Region names come from ``simcore/data/regions.csv`` (``name``, ``name_zh``), sector
and aggregate names from ``sectors.csv`` and ``aggregates.csv``, variable names from ``variables.csv``
(one row per registry entry, ``{sector}``-style families included; a test keeps it in step with the
registry), unit names from :data:`UNITS` below, and the few words charts print from :data:`TEXT`.

The language is ``"en"`` or ``"zh"``: an argument, else the one set by :func:`language` (a context manager
that charts use, see :func:`simcore.plotting.chart_language`), else English.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"
LANGUAGES = ("en", "zh")
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("simcore_language", default="en")

#: unit strings of the result tables as readers expect them (the tables keep the raw ones)
UNITS = {
    "100 million CNY_2020": ("100 million CNY (2020 prices)", "亿元(2020年价格)"),
    "100 million CNY": ("100 million CNY (current prices)", "亿元(现价)"),
    "Mt CO2": ("Mt CO2/yr", "百万吨二氧化碳/年"),
    "10^4 tce": ("10,000 tce/yr", "万吨标准煤/年"),
    "tce/10^4 CNY_2020": ("tce per 10,000 CNY (2020 prices)", "吨标准煤/万元(2020年价格)"),
    "t CO2/10^4 CNY_2020": ("t CO2 per 10,000 CNY (2020 prices)", "吨二氧化碳/万元(2020年价格)"),
    "10^4 persons": ("10,000 persons", "万人"),
    "10^4 CNY_2020/worker": ("10,000 CNY (2020 prices) per worker", "万元/就业人员(2020年价格)"),
    "10^4 CNY_2020/person": ("10,000 CNY (2020 prices) per person", "万元/人(2020年价格)"),
    "%": ("%", "%"),
    "% of GDP": ("% of GDP", "占地区生产总值%"),
    "2020 = 1": ("index, 2020 = 1", "指数(2020年=1)"),
}

#: fuels and CO2 sources (simcore.model.variables.LABELS) in Chinese
PARTS_ZH = {
    "Coal": "煤炭",
    "Oil": "石油",
    "Gas": "天然气",
    "Non-fossil": "非化石能源",
    "Electricity Inflow": "外来电力",
    "Process": "工业生产过程",
}

#: the words charts print, English key -> Chinese (``{...}`` fields are filled by :func:`text`)
TEXT = {
    "year": "年份",
    "{variable}, {region}": "{region}{variable}",
    "{coverage} band": "{coverage}区间",
    "median of the draws": "模拟路径中位数",
    "central run": "中心情景路径",
    "published record": "统计公布值",
    "published outturn": "公布实际值",
    "plan target (median meets it)": "规划目标(中位数达到)",
    "plan target (median misses it)": "规划目标(中位数未达到)",
    "met": "达到",
    "missed": "未达到",
    "{plan} plan": "{plan}规划",
    "{plan} plan (as reported)": "{plan}规划(公开报道)",
    "official statistics": "官方统计",
    "Scenarios compared, {region}": "情景比较:{region}",
    "Value added by sector (segment labels: share of the total)": "分产业增加值(标注为占比)",
    "CO2 change {first}-{end}, {region} ({scenario})": "二氧化碳排放变化 {first}-{end} 年:{region}({scenario})",
    "total change": "合计变化",
    "Population": "人口",
    "GDP per Capita": "人均地区生产总值",
    "Structure": "产业结构",
    "Energy Intensity": "能耗强度",
    "Carbon per Energy": "能源碳强度",
    "Bank of England style: shades for the central 10% to 90% of outcomes": "英格兰银行式:中间10%至90%的结果区间",
    "Riksbank style: 50%, 75% and 90% uncertainty bands": "瑞典央行式:50%、75%和90%不确定性区间",
    "Norges Bank style: 30%, 50%, 70% and 90% bands": "挪威央行式:30%、50%、70%和90%区间",
}


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        from simcore.errors import SimcoreError

        raise SimcoreError(f"language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return lang


def current_language(lang: str | None = None) -> str:
    """``lang`` if given, else the language set by :func:`language` (default English)."""
    return check_language(lang) if lang is not None else _LANG.get()


@contextlib.contextmanager
def language(lang: str):
    """Set the display language for the block (charts call :func:`current_language`)."""
    token = _LANG.set(check_language(lang))
    try:
        yield lang
    finally:
        _LANG.reset(token)


def text(key: str, lang: str | None = None, **fields) -> str:
    """One of the chart words in the language, its ``{...}`` fields filled in."""
    template = TEXT.get(key, key) if current_language(lang) == "zh" else key
    return template.format(**fields) if fields else template


def unit_label(unit: str, lang: str | None = None) -> str:
    """A unit as a reader expects it (``100 million CNY (2020 prices)`` / ``亿元(2020年价格)``)."""
    zh = current_language(lang) == "zh"
    if unit in UNITS:
        return UNITS[unit][1 if zh else 0]
    return unit.replace("_2020", " (2020 prices)").replace("10^4", "10,000")


@functools.lru_cache(maxsize=1)
def _codelists() -> dict[str, dict]:
    regions = pd.read_csv(DATA / "regions.csv", dtype=str, keep_default_na=False)
    sectors = pd.read_csv(DATA / "sectors.csv", dtype=str, keep_default_na=False)
    aggregates = pd.read_csv(DATA / "aggregates.csv", dtype=str, keep_default_na=False)
    variables = pd.read_csv(DATA / "variables.csv", dtype=str, keep_default_na=False)
    return {
        "region": {r.id: (r.name, r.name_zh or r.name) for r in regions.itertuples()},
        # a sector is named by its label in variable names (Value Added|Steel)
        "sector": {s.label: (s.label, s.name_zh or s.label) for s in sectors.itertuples()},
        "aggregate": {a.name: (a.name, a.name_zh or a.name) for a in aggregates.itertuples()},
        "part": {part: (part, zh) for part, zh in PARTS_ZH.items()},
        "variable": {v.variable: (v.name, v.name_zh) for v in variables.itertuples()},
        # the region whose plan a seed document is: the first in tree order that names it (binhai, not
        # binhai_other, for the Binhai plan)
        "plan": {seed: regions.loc[regions["seed"] == seed, "id"].iloc[0] for seed in regions["seed"] if seed},
    }


def region_label(region: str, lang: str | None = None) -> str:
    """The region's display name from ``regions.csv`` (``Binhai New Area`` / ``滨海新区``), or its id."""
    names = _codelists()["region"].get(region)
    return names[1 if current_language(lang) == "zh" else 0] if names else region


def _pattern(template: str) -> re.Pattern:
    return re.compile("([^|]+)".join(re.escape(p) for p in re.split(r"\{[a-z]+\}", template)))


def variable_label(variable: str, lang: str | None = None) -> str:
    """A result variable's display name (``Emissions|CO2`` -> ``CO2 emissions`` / ``二氧化碳排放``); a
    family member fills in its part (``Value Added|Steel`` -> ``Value added, Steel`` / ``钢铁增加值``).
    A name outside the codelist is returned as it is."""
    k = 1 if current_language(lang) == "zh" else 0
    lists = _codelists()
    if variable in lists["variable"]:
        return lists["variable"][variable][k]
    for template, names in lists["variable"].items():
        field = re.search(r"\{([a-z]+)\}", template)
        if not field:
            continue
        match = _pattern(template).fullmatch(variable)
        if not match:
            continue
        part = match.group(1)
        kind = {"sector": "sector", "aggregate": "aggregate", "fuel": "part", "source": "part"}[field.group(1)]
        if part not in lists[kind]:
            continue
        return names[k].replace(field.group(0), lists[kind][part][k])
    return variable


def plan_region(seed: str) -> str | None:
    """The region whose plan a seed document is (``001_bf4eef6031b05164.txt`` -> ``binhai``), or ``None``."""
    return _codelists()["plan"].get(seed)


def sector_label(label: str, lang: str | None = None) -> str:
    """A sector label or aggregate name in the language (``Steel`` -> ``钢铁``)."""
    lists = _codelists()
    names = lists["sector"].get(label) or lists["aggregate"].get(label)
    return names[1 if current_language(lang) == "zh" else 0] if names else label


__all__ = [
    "LANGUAGES",
    "current_language",
    "language",
    "plan_region",
    "region_label",
    "sector_label",
    "text",
    "unit_label",
    "variable_label",
]
