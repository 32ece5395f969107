"""The published record 2015-2024 (``data/history.csv``) and the calibration metrics built on it.

Two tables come out of here:

* ``history.csv``: one row per published (or derived) figure, 2015-2024: region, variable, year, value,
  unit, basis, confidence (A/B/C), status (used / superseded / other basis), source (URL or seed line),
  quote and how it was derived.  Read from both external-statistics files and a few seed lines.  Levels
  on different bases (before the 2018-2019 revision, after the fifth economic census in 2024) are labelled
  by basis and never chained; real growth rates are.  Tianjin's GDP deflator is derived from its nominal
  levels and real growth and used for every nominal-to-real step.  Where several rows state the same
  quantity the best graded one is ``used`` and the others ``superseded``: nothing graded C is used where an
  A or B row exists.
* ``history_metrics.csv``: average annual rates over 2016-2020 the trend is fitted to (each component
  checked against its source, as before): annual growth rates (``mean_growth``), a period total
  (``cumulative_to_annual``), a published average (``value``), CEADs inventory totals (``ceads_growth``) or
  two structure shares (``share_change``, points per year).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from .sources import INPUTS, Shared, SourceError, number_in_text

COLUMNS = [
    "id",
    "region",
    "metric",
    "variable",
    "denominator",
    "start",
    "end",
    "value",
    "unit",
    "tolerance",
    "fit",
    "quality",
    "source",
    "note",
]
HISTORY_COLUMNS = [
    "region",
    "variable",
    "year",
    "value",
    "unit",
    "basis",
    "confidence",
    "status",
    "source",
    "quote",
    "derivation",
]
FIRST_YEAR, LAST_YEAR = 2015, 2024
GRADES = ("A", "B", "C")

#: hosts of government and state-media pages (grade A for rows of the pre-2021 file, which carries no grade)
OFFICIAL_HOSTS = (".gov.cn", ".gov.hk", ".gov.sg", "cnr.cn", "xinhuanet.com", "people.com.cn", "stats.gov.cn")
#: reputable English-language reposts (grade B)
REPUTABLE_HOSTS = ("ecns.cn", "wikipedia.org", "tianjineco-city.com")
#: quote markers of a repost of an official document (grade B on a non-official host)
REPOST_MARKERS = ("公报", "政府工作报告", "计划执行情况", "统计年鉴", "转载", "天津日报")

GROWTH = "GDP|Real Growth"
DEFLATOR = "Price|GDP Deflator"
REAL_LEVEL = "GDP|2020 prices"
UNIT_NOMINAL = "100 million CNY (current prices)"
UNIT_REAL = "100 million CNY (2020 prices)"
UNIT_GROWTH = "% on the year before (real)"


def grade_of(url: str, quote: str) -> str:
    """Confidence of a row of ``external_stats_to_2020.csv`` (which has no grade), by a stated rule."""
    host = re.sub(r"^https?://", "", str(url)).split("/")[0].lower()
    if any(host.endswith(h) or h in host for h in OFFICIAL_HOSTS):
        return "A"
    if any(h in host for h in REPUTABLE_HOSTS) or any(m in str(quote) for m in REPOST_MARKERS):
        return "B"
    return "C"


def level_basis(region: str, year: int, indicator: str) -> str:
    """Statistical basis of a nominal level: levels on different bases are never compared."""
    if indicator == "GDP_revised":
        return "Binhai 2018 restatement (2016 level revised down about one third)"
    if year <= 2018:
        return "before the 2018-2019 revision (fourth economic census)"
    if year <= 2023:
        return "fourth economic census (2019 revision)"
    return "fifth economic census (2024 revision)"


def _is_estimate(quote: str) -> bool:
    return "预计" in str(quote)


def _rows_from_external(shared: Shared) -> list[dict]:
    series = pd.read_csv(INPUTS / "history_series.csv", dtype=str)
    mapping = {(r.area, r.indicator): r for r in series.itertuples(index=False)}
    old = shared.external.copy()
    old["confidence"] = [grade_of(u, q) for u, q in zip(old["source_url"], old["quote"])]
    old["_graded"] = "by rule (docs/data.md)"
    new = shared.external_2021.copy()
    new["_graded"] = "in the source file"
    rows: list[dict] = []
    for frame, file in ((old, "external_stats_to_2020.csv"), (new, "external_stats_2021_2024.csv")):
        for number, r in enumerate(frame.itertuples(index=False), start=2):
            year = int(r.year)
            if not FIRST_YEAR <= year <= LAST_YEAR:
                continue
            if str(r.confidence) not in GRADES:
                raise SourceError(f"{file} row {number}: confidence {r.confidence!r} is not one of A, B, C")
            source = str(r.source_url).strip()
            if not source or source == "nan":
                raise SourceError(f"{file} row {number} ({r.area} {r.indicator} {year}): a history row needs a source")
            quote = str(r.quote)
            estimate = " (January estimate, 预计)" if _is_estimate(quote) else ""
            common = {
                "year": year,
                "confidence": r.confidence,
                "source": source,
                "quote": quote,
                "_file": f"{file}:{number}",
                "_estimate": bool(estimate),
            }
            indicator = r.indicator
            value = str(r.value).strip()
            growth = str(r.growth_pct).strip()
            region = r.area.lower()
            if indicator in ("GDP", "GDP_revised", "GDP_prelim_estimate") or (
                (r.area, indicator) in mapping and mapping[(r.area, indicator)].basis_rule == "level"
            ):
                target = mapping.get((r.area, "GDP" if indicator.startswith("GDP") else indicator))
                if (
                    value
                    and value != "nan"
                    and indicator != "GDP_prelim_estimate"
                    and target is not None
                    and r.unit == "亿元"
                ):
                    rows.append(
                        {
                            **common,
                            "region": target.region,
                            "variable": target.variable,
                            "value": float(value),
                            "unit": UNIT_NOMINAL,
                            "basis": level_basis(region, year, indicator),
                            "derivation": f"published level ({file} row {number}){estimate}",
                        }
                    )
                if growth and growth != "nan" and indicator != "GDP_revised":
                    if target is None:
                        continue
                    nominal = target.variable.startswith("Revenue")
                    if indicator.startswith("GDP"):
                        variable = GROWTH
                    elif nominal:
                        variable = target.variable + "|Growth"
                    else:
                        variable = target.variable.replace("Value Added|", "Value Added|Real Growth|")
                    kind = "preliminary estimate" if indicator == "GDP_prelim_estimate" else "published rate"
                    rows.append(
                        {
                            **common,
                            "region": target.region,
                            "variable": variable,
                            "value": float(growth),
                            "unit": "% on the year before (nominal)" if nominal else UNIT_GROWTH,
                            "basis": "nominal growth" if nominal else "real growth (comparable across level revisions)",
                            "derivation": f"{kind} ({file} row {number}){estimate}",
                            "_estimate": bool(estimate) or indicator == "GDP_prelim_estimate",
                        }
                    )
                continue
            target = mapping.get((r.area, indicator))
            if target is None:
                continue
            rule = target.basis_rule
            if rule == "share" and value and value != "nan":
                rows.append(
                    {
                        **common,
                        "region": target.region,
                        "variable": target.variable,
                        "value": float(value),
                        "unit": target.unit_out,
                        "basis": "share of current-price GDP",
                        "derivation": f"published share ({file} row {number}){estimate}",
                    }
                )
            elif rule == "population" and value and value != "nan":
                v = float(value)
                v = v / 1e4 if r.unit in ("persons",) else v
                basis = "2020 census" if "census" in indicator else "year-end residents"
                rows.append(
                    {
                        **common,
                        "region": target.region,
                        "variable": target.variable,
                        "value": v,
                        "unit": target.unit_out,
                        "basis": basis,
                        "derivation": f"published ({file} row {number}){estimate}"
                        + (", persons / 10^4" if r.unit == "persons" else ""),
                    }
                )
            elif rule == "change" and growth and growth != "nan":
                rows.append(
                    {
                        **common,
                        "region": target.region,
                        "variable": target.variable,
                        "value": float(growth),
                        "unit": target.unit_out,
                        "basis": "change on the year before",
                        "derivation": f"published rate ({file} row {number}){estimate}",
                    }
                )
    return rows


def _rows_from_seeds(shared: Shared) -> list[dict]:
    table = pd.read_csv(INPUTS / "history_seed_rows.csv", dtype=str, keep_default_na=False)
    rows = []
    for number, r in enumerate(table.itertuples(index=False), start=2):
        line = shared.seed_line(r.source)
        if not number_in_text(abs(float(r.anchor or r.value)), line):
            raise SourceError(f"history_seed_rows.csv row {number}: {r.anchor or r.value} is not at {r.source}")
        rows.append(
            {
                "region": r.region,
                "variable": r.variable,
                "year": int(r.year),
                "value": float(r.value),
                "unit": r.unit,
                "basis": r.basis,
                "confidence": "A",
                "source": r.source,
                "quote": line.strip()[:160],
                "derivation": r.derivation,
                "_file": f"history_seed_rows.csv:{number}",
                "_estimate": "预计" in line,
            }
        )
    return rows


def _select(rows: list[dict]) -> None:
    """Mark the best row of each quantity ``used`` and the rest ``superseded`` (A before B before C, final
    figures before January estimates)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["region"], row["variable"], row["year"], row["unit"], row["basis"]), []).append(row)
    for group in groups.values():
        group.sort(key=lambda r: (GRADES.index(r["confidence"]), r["_estimate"], r["_file"]))
        group[0]["status"] = "used"
        for other in group[1:]:
            other["status"] = f"superseded by a {group[0]['confidence']} row ({group[0]['source']})"


def _used(
    rows: list[dict], region: str, variable: str, year: int, unit: str | None = None, basis_prefix: str | None = None
) -> dict | None:
    for row in rows:
        if (
            (row["region"], row["variable"], row["year"]) == (region, variable, year)
            and row["status"] == "used"
            and (unit is None or row["unit"] == unit)
            and (basis_prefix is None or row["basis"].startswith(basis_prefix))
        ):
            return row
    return None


def _worst(*grades: str) -> str:
    return max(grades, key=GRADES.index)


def tianjin_deflator(rows: list[dict]) -> dict[int, tuple[float, str, str]]:
    """Tianjin's GDP deflator (2020 = 1) from nominal levels and real growth, year by year.

    ``P_t = P_{t-1} x (Y_t / Y_{t-1}) / (1 + g_t)``, only between two levels on the same basis: the 2024
    level follows the fifth economic census, so the chain stops at 2023.
    """
    out = {2020: (1.0, "A", "2020 = 1")}
    census4 = "fourth economic census"
    for year in range(2021, LAST_YEAR + 1):
        now = _used(rows, "tianjin", "GDP", year, UNIT_NOMINAL, census4)
        before = _used(rows, "tianjin", "GDP", year - 1, UNIT_NOMINAL, census4)
        growth = _used(rows, "tianjin", GROWTH, year)
        if year - 1 not in out or now is None or before is None or growth is None:
            break
        ratio = now["value"] / before["value"] / (1 + growth["value"] / 100)
        grade = _worst(now["confidence"], before["confidence"], growth["confidence"], out[year - 1][1])
        out[year] = (
            out[year - 1][0] * ratio,
            grade,
            f"P{year - 1} x ({now['value']:g} / {before['value']:g}) / (1 + {growth['value']:g}%)",
        )
    return out


SECTOR_PRICE_CHANGE = "Price|Value Added|{stratum}|Change"
UNIT_PRICE_CHANGE = "% on the year before"


def sector_price_changes(rows: list[dict]) -> list[dict]:
    """Tianjin's implied value-added price change of each stratum, in every year with the stratum's nominal
    level in that year and the year before on the same basis and its real growth of the year.

    ``100 ((V_t / V_t-1) / (1 + g_t) - 1)``.  The record has no 2021 stratum levels or growth, so the first
    change it allows is 2022 on 2021 for none and 2023 on 2022 for the secondary and tertiary sectors; the
    chain from 2020 cannot be built, only year-on-year changes (the calibration chains them onto the GDP
    deflator, ``simcore.analysis.calibrate.published_prices``).
    """
    out = []
    for stratum in ("Primary", "Secondary", "Tertiary"):
        for year in range(FIRST_YEAR + 1, LAST_YEAR + 1):
            now = _used(rows, "tianjin", f"Value Added|{stratum}", year, UNIT_NOMINAL)
            before = _used(rows, "tianjin", f"Value Added|{stratum}", year - 1, UNIT_NOMINAL)
            growth = _used(rows, "tianjin", f"Value Added|Real Growth|{stratum}", year)
            if now is None or before is None or growth is None or now["basis"] != before["basis"]:
                continue
            change = 100 * (now["value"] / before["value"] / (1 + growth["value"] / 100) - 1)
            out.append(
                {
                    "region": "tianjin",
                    "variable": SECTOR_PRICE_CHANGE.format(stratum=stratum),
                    "year": year,
                    "value": change,
                    "unit": UNIT_PRICE_CHANGE,
                    "basis": "implicit value-added deflator",
                    "confidence": _worst(now["confidence"], before["confidence"], growth["confidence"]),
                    "source": "; ".join(dict.fromkeys((now["source"], before["source"], growth["source"]))),
                    "quote": "",
                    "derivation": f"100 (({now['value']:g} / {before['value']:g}) / (1 + {growth['value']:g}%) - 1): "
                    f"nominal levels of {year - 1} and {year} ({now['basis']}) and the real growth of {year}",
                }
            )
    return out


def _derived_rows(rows: list[dict]) -> list[dict]:
    derived = []
    deflator = tianjin_deflator(rows)
    derived += sector_price_changes(rows)
    for year, (value, grade, how) in deflator.items():
        derived.append(
            {
                "region": "tianjin",
                "variable": DEFLATOR,
                "year": year,
                "value": value,
                "unit": "index, 2020 = 1",
                "basis": "implicit GDP deflator",
                "confidence": grade,
                "source": "derived",
                "quote": "",
                "derivation": f"nominal levels / real growth: {how}; the chain stops where the "
                "level basis changes (2024, fifth economic census)",
            }
        )
    # real GDP index of Tianjin (2020 = 100), chained from published growth in both directions
    index = {2020: 100.0}
    grades = {2020: "A"}
    for year in range(2021, LAST_YEAR + 1):
        g = _used(rows, "tianjin", GROWTH, year)
        if g is None or year - 1 not in index:
            break
        index[year] = index[year - 1] * (1 + g["value"] / 100)
        grades[year] = _worst(grades[year - 1], g["confidence"])
    for year in range(2019, FIRST_YEAR - 1, -1):
        g = _used(rows, "tianjin", GROWTH, year + 1)
        if g is None or year + 1 not in index:
            break
        index[year] = index[year + 1] / (1 + g["value"] / 100)
        grades[year] = _worst(grades[year + 1], g["confidence"])
    for year in sorted(index):
        if year != 2020:
            derived.append(
                {
                    "region": "tianjin",
                    "variable": "GDP|Real Index",
                    "year": year,
                    "value": index[year],
                    "unit": "index, 2020 = 100",
                    "basis": "chained real growth",
                    "confidence": grades[year],
                    "source": "derived",
                    "quote": "",
                    "derivation": "chained from published real growth (never from levels across a break)",
                }
            )
    # district and Tianjin levels at 2020 prices
    for row in list(rows):
        if (
            row["variable"] != "GDP"
            or row["status"] != "used"
            or row["year"] not in deflator
            or row["year"] == 2020
            or not row["basis"].startswith("fourth economic census")
        ):
            continue
        p, grade, _ = deflator[row["year"]]
        derived.append(
            {
                "region": row["region"],
                "variable": REAL_LEVEL,
                "year": row["year"],
                "value": row["value"] / p,
                "unit": UNIT_REAL,
                "basis": "fourth economic census (2019 revision)",
                "confidence": _worst(row["confidence"], grade),
                "source": row["source"],
                "quote": "",
                "derivation": f"published level {row['value']:g} / Tianjin GDP deflator {p:.5f}",
            }
        )
    # Tianjin structure from the sector levels; Binhai's 2023 tertiary share from its 2024 share and change
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        gdp = _used(rows, "tianjin", "GDP", year, UNIT_NOMINAL)
        for stratum in ("Primary", "Secondary", "Tertiary"):
            va = _used(rows, "tianjin", f"Value Added|{stratum}", year, UNIT_NOMINAL)
            if gdp is None or va is None or va["basis"] != gdp["basis"]:
                continue
            if _used(rows, "tianjin", f"Share|{stratum}", year) is not None:
                continue
            derived.append(
                {
                    "region": "tianjin",
                    "variable": f"Share|{stratum}",
                    "year": year,
                    "value": 100 * va["value"] / gdp["value"],
                    "unit": "% of GDP",
                    "basis": gdp["basis"],
                    "confidence": _worst(gdp["confidence"], va["confidence"]),
                    "source": va["source"],
                    "quote": "",
                    "derivation": f"value added {va['value']:g} / GDP {gdp['value']:g}",
                }
            )
    share = _used(rows, "binhai", "Share|Tertiary", 2024)
    if share is not None and "提高1.9个百分点" in share["quote"]:
        derived.append(
            {
                "region": "binhai",
                "variable": "Share|Tertiary",
                "year": 2023,
                "value": share["value"] - 1.9,
                "unit": "% of GDP",
                "basis": "share of current-price GDP",
                "confidence": share["confidence"],
                "source": share["source"],
                "quote": share["quote"],
                "derivation": "2024 share less its stated rise on 2023 (提高1.9个百分点)",
            }
        )
    for row in derived:
        row.setdefault("status", "used")
        row["_file"] = "derived"
        row["_estimate"] = False
    return derived


def build_history_table(shared: Shared) -> pd.DataFrame:
    """The long history table 2015-2024 (module docstring)."""
    rows = _rows_from_external(shared) + _rows_from_seeds(shared)
    _select(rows)
    rows += _derived_rows(rows)
    for row in rows:
        for key in ("source",):
            if not row[key]:
                raise SourceError(f"history row {row['region']} {row['variable']} {row['year']}: no source")
        if not math.isfinite(row["value"]):
            raise SourceError(f"history row {row['region']} {row['variable']} {row['year']}: value not finite")
    table = pd.DataFrame(rows)[HISTORY_COLUMNS]
    order = {"used": 0}
    table["_s"] = table["status"].map(lambda s: order.get(s, 1))
    table = table.sort_values(["region", "variable", "year", "_s", "confidence", "unit"], kind="stable")
    return table.drop(columns="_s").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------
# 2016-2020 calibration metrics (history_metrics.csv)


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
    table = pd.read_csv(INPUTS / "history_metrics.csv", dtype=str, keep_default_na=False)
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
            raise SourceError(f"history_metrics.csv {r.id}: unknown formula {r.formula}")
        rows.append(
            {
                "id": r.id,
                "region": r.region,
                "metric": r.metric,
                "variable": r.variable,
                "denominator": r.denominator,
                "start": start,
                "end": end,
                "value": rate,
                "unit": unit,
                "tolerance": float(r.tolerance),
                "fit": r.fit == "yes",
                "quality": "derived",
                "source": "; ".join(dict.fromkeys(sources)),
                "note": r.note,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
