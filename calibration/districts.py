"""2020 GDP, population, investment and value-added structure of the model's leaves.

Several 2020 GDP levels are unpublished; each is estimated by a stated method
with a range (docs/data.md explains each).  The sector structure is then found by
iterative proportional fitting (IPF): a prior (national value-added shares times
region-specific multipliers from ``structure_priors.csv``) is scaled until it
meets every hard fact at once: each leaf's GDP, Tianjin's published primary /
secondary / tertiary totals and each seed's published structure figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .facts import Estimate, Fact
from .sources import INPUTS

LEAVES = ("eco_city", "binhai_other", "dongli", "jinnan", "ziya", "rest_of_tianjin")


@dataclass(frozen=True)
class ShareConstraint:
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    target: float  # 100 million CNY
    label: str


def estimate_gdp(f: dict[str, Fact]) -> dict[str, Estimate]:
    """2020 GDP of each leaf and of Binhai, 100 million CNY (current = 2020 prices)."""
    gdp: dict[str, Estimate] = {}
    gdp["ziya"] = f["ziya_gdp"].estimate()

    persons = f["binhai_population"].value / 1e4
    lp = f["binhai_labour_productivity"].value
    er = f["binhai_employment_ratio"]
    gdp["binhai"] = Estimate(
        lp * persons * er.value, "estimated",
        "derived: labour productivity 35.96 10^4 CNY/worker (001:L76) x census residents x jobs per resident "
        f"{er.value} ({er.low}-{er.high})",
        lp * persons * er.low, lp * persons * er.high,
    )

    rev = f["eco_city_fiscal_revenue"].value
    ratio = f["eco_city_revenue_to_gdp"]
    gdp["eco_city"] = Estimate(
        rev / ratio.value, "estimated",
        f"derived: budget revenue 42.4 (000:L6) / Tianjin's revenue-to-GDP ratio {ratio.value} "
        f"(range {ratio.low}-{ratio.high})",
        rev / ratio.high, rev / ratio.low,
    )
    gdp["binhai_other"] = Estimate(
        gdp["binhai"].value - gdp["eco_city"].value, "estimated",
        "derived: Binhai estimate minus Eco-city estimate",
        gdp["binhai"].low - gdp["eco_city"].high, gdp["binhai"].high - gdp["eco_city"].low,
    )

    services = f["dongli_services_va"].value
    share = f["dongli_services_share"]
    gdp["dongli"] = Estimate(
        services / (share.value / 100), "estimated",
        f"derived: services value added 460 (002:L13) / services share {share.value}% "
        f"(published 'more than 60%'; range {share.low}-{share.high}%)",
        services / (share.high / 100), services / (share.low / 100),
    )

    # Jinnan: two methods, both anchored on Dongli's estimate
    ratio_2018 = f["jinnan_gdp_2018"].value / f["dongli_gdp_2018"].value
    by_ratio = gdp["dongli"].value * ratio_2018
    tj_per_capita = f["tianjin_gdp"].value / f["tianjin_population"].value
    dongli_relative = (gdp["dongli"].value / (f["dongli_population"].value / 1e4)) / tj_per_capita
    by_population = f["jinnan_population"].value / 1e4 * tj_per_capita * dongli_relative
    methods = (by_ratio, by_population)
    gdp["jinnan"] = Estimate(
        float(np.mean(methods)), "estimated",
        f"derived: mean of (a) Dongli estimate x Jinnan/Dongli 2018 GDP ratio {ratio_2018:.3f} = {by_ratio:.1f} and "
        f"(b) census residents x Tianjin GDP per resident x Dongli's relative productivity {dongli_relative:.3f} "
        f"= {by_population:.1f}; range 0.95 x lower to 1.05 x higher",
        0.95 * min(methods), 1.05 * max(methods),
    )

    named = ("eco_city", "binhai_other", "dongli", "jinnan", "ziya")
    total = f["tianjin_gdp"].value
    gdp["rest_of_tianjin"] = Estimate(
        total - sum(gdp[r].value for r in named), "estimated",
        "derived: Tianjin published GDP 14083.73 minus the other leaves (closure)",
        total - sum(_hi(gdp[r]) for r in named), total - sum(_lo(gdp[r]) for r in named),
    )
    return gdp


def _lo(e: Estimate) -> float:
    return e.value if math.isnan(e.low) else e.low


def _hi(e: Estimate) -> float:
    return e.value if math.isnan(e.high) else e.high


def population(f: dict[str, Fact]) -> dict[str, Estimate]:
    """2020 residents, 10^4 persons."""
    pop = {
        "eco_city": f["eco_city_population"].estimate(),
        "ziya": f["ziya_population"].estimate(),
    }
    for region in ("dongli", "jinnan"):
        fact = f[f"{region}_population"]
        pop[region] = Estimate(fact.value / 1e4, "published", fact.source)
    binhai = f["binhai_population"]
    pop["binhai_other"] = Estimate(
        binhai.value / 1e4 - pop["eco_city"].value, "estimated",
        f"derived: Binhai census residents ({binhai.source}) minus the Eco-city estimate",
        binhai.value / 1e4 - pop["eco_city"].high, binhai.value / 1e4 - pop["eco_city"].low,
    )
    total = f["tianjin_population"].value
    named = ("eco_city", "binhai_other", "dongli", "jinnan", "ziya")
    pop["rest_of_tianjin"] = Estimate(
        total - sum(pop[r].value for r in named), "estimated",
        "derived: Tianjin census residents minus the other leaves (closure)",
        total - sum(_hi(pop[r]) for r in named), total - sum(_lo(pop[r]) for r in named),
    )
    return pop


def fixed_investment(f: dict[str, Fact], gdp: dict[str, Estimate]) -> dict[str, Estimate]:
    """2020 fixed-asset investment, 100 million CNY."""
    fai: dict[str, Estimate] = {"ziya": f["ziya_fai"].estimate(), "dongli": f["dongli_fai"].estimate()}
    cumulative = f["eco_city_fai_2016_2020"].value
    fai["eco_city"] = Estimate(
        cumulative / 5, "estimated",
        "derived: 2016-2020 cumulative FAI 1150 (000:L6) / 5; range +-13%",
        cumulative / 5 * 0.87, cumulative / 5 * 1.13,
    )
    binhai = f["binhai_fai"].value
    fai["binhai_other"] = Estimate(
        binhai - fai["eco_city"].value, "estimated",
        "derived: Binhai FAI 1900 (001:L70) minus the Eco-city estimate",
        binhai - fai["eco_city"].high, binhai - fai["eco_city"].low,
    )
    ratio = f["fai_to_gdp_other"]
    for region in ("jinnan", "rest_of_tianjin"):
        g = gdp[region]
        fai[region] = Estimate(
            ratio.value * g.value, "estimated",
            f"derived: GDP estimate x FAI/GDP {ratio.value} ({ratio.low}-{ratio.high}), "
            "the mean ratio of the seeds that publish FAI",
            ratio.low * _lo(g), ratio.high * _hi(g),
        )
    return fai


def structure_constraints(f: dict[str, Fact], gdp: dict[str, Estimate], sectors: pd.DataFrame,
                          aggregates: dict[str, tuple[str, ...]]) -> list[ShareConstraint]:
    """Every published (or estimated) structure figure as a constraint on value added."""
    all_s = tuple(sectors["id"])
    mfg, tertiary, industry = aggregates["manufacturing"], aggregates["tertiary"], aggregates["industry"]
    primary = aggregates["primary"]
    c: list[ShareConstraint] = []
    binhai = gdp["eco_city"].value + gdp["binhai_other"].value
    c.append(ShareConstraint(("eco_city", "binhai_other"), mfg,
                             f["binhai_manufacturing_share"].value / 100 * binhai, "Binhai manufacturing 22% of GDP"))
    eco = gdp["eco_city"].value
    industry_share = f["eco_city_industry_share"].value
    modern = f["eco_city_modern_services_share"].value - industry_share
    c += [
        ShareConstraint(("eco_city",), ("construction",), f["eco_city_construction_share"].value / 100 * eco,
                        "Eco-city construction 18% of GDP"),
        ShareConstraint(("eco_city",), ("real_estate",), f["eco_city_real_estate_share"].value / 100 * eco,
                        "Eco-city real estate 21% of GDP"),
        ShareConstraint(("eco_city",), tuple(s for s in tertiary if s != "real_estate"), modern / 100 * eco,
                        "Eco-city modern services 61% of GDP (less the estimated industrial base)"),
        ShareConstraint(("eco_city",), primary + industry, industry_share / 100 * eco,
                        "Eco-city industry and primary (estimated small base)"),
    ]
    dongli = gdp["dongli"].value
    c += [
        ShareConstraint(("dongli",), tertiary, f["dongli_services_va"].value, "Dongli services value added 460"),
        ShareConstraint(("dongli",), mfg, f["dongli_manufacturing_share"].value / 100 * dongli,
                        "Dongli manufacturing 29% of GDP"),
    ]
    jinnan = gdp["jinnan"].value
    c += [
        ShareConstraint(("jinnan",), tertiary, f["jinnan_services_share"].value / 100 * jinnan,
                        "Jinnan services 60% of GDP (estimated)"),
        ShareConstraint(("jinnan",), mfg, f["jinnan_manufacturing_share"].value / 100 * jinnan,
                        "Jinnan manufacturing 28% of GDP (estimated)"),
    ]
    c.append(ShareConstraint(("ziya",), industry, f["ziya_industry_va"].value, "Ziya industrial value added 10.29"))
    for stratum, key in (("primary", "tianjin_va_primary"), ("secondary", "tianjin_va_secondary"),
                         ("tertiary", "tianjin_va_tertiary")):
        c.append(ShareConstraint(LEAVES, aggregates[stratum], f[key].value, f"Tianjin {stratum} {f[key].value}"))
    for region in LEAVES:
        c.append(ShareConstraint((region,), all_s, gdp[region].value, f"{region} GDP"))
    return c


def prior_structure(national_va_share: np.ndarray, sectors: pd.DataFrame, gdp: dict[str, Estimate]) -> np.ndarray:
    priors = pd.read_csv(INPUTS / "structure_priors.csv")
    index = {s: i for i, s in enumerate(sectors["id"])}
    prior = np.array([national_va_share * gdp[r].value for r in LEAVES])
    for row in priors.itertuples(index=False):
        if row.region not in LEAVES or row.sector not in index:
            raise ValueError(f"structure_priors.csv: unknown region or sector {row.region}/{row.sector}")
        prior[LEAVES.index(row.region), index[row.sector]] *= row.multiplier
    return prior


def fit_structure(prior: np.ndarray, constraints: list[ShareConstraint], sectors: pd.DataFrame,
                  tol: float = 1e-12, max_iter: int = 20000) -> np.ndarray:
    """Scale ``prior`` (leaves x sectors) until every constraint holds (IPF)."""
    index = {s: i for i, s in enumerate(sectors["id"])}
    masks = []
    for con in constraints:
        m = np.zeros_like(prior, dtype=bool)
        m[np.ix_([LEAVES.index(r) for r in con.regions], [index[s] for s in con.sectors])] = True
        masks.append((m, con))
    va = prior.copy()
    for _ in range(max_iter):
        worst = 0.0
        for m, con in masks:
            current = va[m].sum()
            if current <= 0:
                raise ValueError(f"IPF: the prior has no mass for '{con.label}'")
            worst = max(worst, abs(current / con.target - 1.0))
            va[m] *= con.target / current
        if worst < tol:
            return va
    raise ValueError(f"IPF did not converge (worst relative gap {worst:.2e}); the structure facts conflict")
