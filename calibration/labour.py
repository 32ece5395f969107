"""2020 labour accounts of the leaves: jobs by workplace and sector, residents' workers, commuting.

* **Jobs by workplace** (region totals): Binhai's residents times its jobs per resident
  (``binhai_employment_ratio``, split between the Eco-city and the rest of Binhai by GDP), the other
  leaves' residents times ``employment_ratio_other`` (both estimated, ``calibration/inputs/facts.csv``).
* **Jobs by sector**: each leaf's jobs shared out over its sectors in proportion to compensation of
  employees over the sector's average wage, ``va_ri x (comp_i / va_i) / wage_i``, with the national
  compensation shares of the 2020 IO table and the 2020 average wage of each sector
  (``calibration/inputs/wages_2020.csv``, sourced there).
* **Residents' workers**: Tianjin is taken as a closed labour market (commuting across its border with
  Hebei and Beijing is not counted), so its residents' workers equal its jobs and every leaf's residents
  work at the Tianjin rate ``sum(jobs) / sum(residents)``.
* **Commuting**: residents work in their own leaf up to its jobs; the leaves with more workers than jobs
  send the surplus to the leaves with more jobs than workers, each flow proportional to the origin's
  surplus and the destination's deficit (a proportional transport allocation; no 2020 census commuting
  table by district was found, ``docs/data.md``).  Only net flows are represented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEAVES_BINHAI = ("eco_city", "binhai_other")


def jobs_by_region(leaves, pop: dict, gdp: dict, facts: dict) -> dict[str, tuple[float, float, float, str]]:
    """Jobs located in each leaf: (value, low, high, source), 10^4 persons."""
    er_b, er_o = facts["binhai_employment_ratio"], facts["employment_ratio_other"]
    binhai_jobs = sum(pop[r].value for r in LEAVES_BINHAI) * er_b.value
    binhai_gdp = sum(gdp[r].value for r in LEAVES_BINHAI)
    out = {}
    for region in leaves:
        if region in LEAVES_BINHAI:
            jobs = binhai_jobs * gdp[region].value / binhai_gdp
            ratio, source = (
                er_b,
                "derived: Binhai residents x jobs per resident (binhai_employment_ratio), split by GDP",
            )
        else:
            jobs = pop[region].value * er_o.value
            ratio, source = er_o, "derived: residents x employment_ratio_other"
        out[region] = (jobs, jobs * ratio.low / ratio.value, jobs * ratio.high / ratio.value, source)
    return out


def sector_wages(wages: pd.DataFrame, sector_ids) -> np.ndarray:
    """Average 2020 wage of each model sector (CNY a year): the mean over the NBS sections it maps to."""
    missing = sorted(set(sector_ids) - set(wages["sector"]))
    if missing:
        raise ValueError(f"wages_2020.csv: no wage for sectors {missing}")
    mean = wages.groupby("sector")["wage_cny"].mean()
    return mean.reindex(list(sector_ids)).to_numpy(float)


def jobs_by_sector(jobs: np.ndarray, va: np.ndarray, comp_share: np.ndarray, wage: np.ndarray) -> np.ndarray:
    """(R, S) jobs: each region's total shared out by compensation over wage."""
    weight = va * (comp_share / wage)[None, :]
    total = weight.sum(axis=1, keepdims=True)
    return jobs[:, None] * np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)


def commuting(jobs: np.ndarray, pop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Commuting shares ``C[q, r]`` (residents' workers of q working in r; rows sum to 1) and the
    participation rate of residents (workers per resident, one Tianjin-wide rate), from jobs and residents."""
    rate = jobs.sum() / pop.sum()
    workers = rate * pop
    own = np.minimum(workers, jobs)
    surplus = workers - own
    deficit = jobs - own
    flows = np.diag(own)
    if deficit.sum() > 0:
        flows = flows + np.outer(surplus, deficit) / deficit.sum()
    C = flows / workers[:, None]
    return C, np.full(len(pop), rate)


def labour_table(leaves, sector_ids, sector_jobs, C, participation, job_rows) -> pd.DataFrame:
    """The long table ``labour_2020.csv``: jobs by cell, commuting shares, participation."""
    rows = []
    for r, region in enumerate(leaves):
        value, low, high, source = job_rows[region]
        for s, sector in enumerate(sector_ids):
            share = sector_jobs[r, s] / value if value else 0.0
            rows.append(
                (
                    "jobs",
                    region,
                    sector,
                    sector_jobs[r, s],
                    "10^4 persons",
                    "estimated",
                    low * share,
                    high * share,
                    f"{source}; by sector in proportion to compensation / average wage (wages_2020.csv)",
                )
            )
        for q, dest in enumerate(leaves):
            rows.append(
                (
                    "commuting",
                    region,
                    dest,
                    C[r, q],
                    "share of residents' workers",
                    "estimated",
                    np.nan,
                    np.nan,
                    "derived: residents at Tianjin's workers per resident work locally up to the leaf's jobs; "
                    "surpluses go to deficits in proportion (net flows, no census table)",
                )
            )
        rows.append(
            (
                "participation",
                region,
                "total",
                participation[r],
                "workers per resident",
                "derived",
                np.nan,
                np.nan,
                "derived: Tianjin jobs / Tianjin residents (closed labour market)",
            )
        )
    return pd.DataFrame(rows, columns=["table", "region", "key", "value", "unit", "quality", "low", "high", "source"])
