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


#: log standard deviations behind each back-cast (stated assumptions, docs/data.md)
LEVEL_SD = {"A": 0.01, "B": 0.02, "C": 0.03}  # a published nominal level, by confidence grade
DEFLATOR_SD = 0.01  # per year: a district's deflator against Tianjin's
SUBSTITUTED_GROWTH_SD = 0.015  # per year: Tianjin's real growth standing in for an unpublished district rate
OWN_GROWTH_SD = {"final": 0.0025, "estimate": 0.005}  # per year: the district's own published rate
Z90 = 1.6449  # a stated [low, high] range is read as a 90% interval


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence on a 2020 level: a value with a log standard deviation, or a bound."""

    region: str
    method: str
    value: float
    sd: float  # log scale; inf for a bound
    kind: str = "estimate"  # estimate | upper_bound
    year: int = 2020
    confidence: str = "A"


def _sd_of_range(low: float, high: float) -> float:
    return math.log(high / low) / (2 * Z90)


def backcasts(history: pd.DataFrame, region: str) -> list[Evidence]:
    """2020 GDP implied by each later published level of ``region`` (same statistical basis).

    ``GDP_2020 = level_y / P_y / prod_{s=2021..y} (1 + g_s)`` with ``P`` Tianjin's GDP deflator (2020 = 1)
    and ``g_s`` the region's own published real growth where there is one, else Tianjin's.
    """
    used = history[history["status"] == "used"]

    def get(reg: str, variable: str, year: int):
        hit = used[(used["region"] == reg) & (used["variable"] == variable) & (used["year"] == year)]
        return None if hit.empty else hit.iloc[0]

    out = []
    levels = used[
        (used["region"] == region)
        & (used["variable"] == "GDP")
        & (used["year"] > 2020)
        & used["basis"].str.startswith("fourth economic census")
    ]
    for level in levels.itertuples(index=False):
        deflator = get("tianjin", "Price|GDP Deflator", level.year)
        if deflator is None:
            continue
        value = level.value / deflator.value
        variance = LEVEL_SD[level.confidence] ** 2 + DEFLATOR_SD**2 * (level.year - 2020)
        steps = []
        grade = max(level.confidence, deflator.confidence)
        for year in range(level.year, 2020, -1):
            own = get(region, "GDP|Real Growth", year)
            if own is not None:
                g = own.value
                estimate = "预计" in str(own.quote)
                variance += OWN_GROWTH_SD["estimate" if estimate else "final"] ** 2
                steps.append(f"{year} own {g:+g}%" + (" (预计)" if estimate else ""))
                grade = max(grade, own.confidence)
            else:
                g = get("tianjin", "GDP|Real Growth", year).value
                variance += SUBSTITUTED_GROWTH_SD**2
                steps.append(f"{year} Tianjin's {g:+g}%")
            value /= 1 + g / 100
        out.append(
            Evidence(
                region,
                f"back-cast from the {level.year} level {level.value:g} "
                f"({level.confidence}; {level.source}) / Tianjin deflator {deflator.value:.4f}, "
                f"real growth {', '.join(reversed(steps))}",
                value,
                math.sqrt(variance),
                year=int(level.year),
                confidence=grade,
            )
        )
    return out


def combine(region: str, evidence: list[Evidence], source_prefix: str = "") -> Estimate:
    """Precision-weighted mean in logs of the estimates, truncated by the bounds; the range is the 90%
    interval widened to contain every piece of evidence."""
    points = [e for e in evidence if e.kind == "estimate"]
    if not points:
        raise ValueError(f"{region}: no evidence on the 2020 level")
    weights = [1 / e.sd**2 for e in points]
    mu = sum(w * math.log(e.value) for w, e in zip(weights, points)) / sum(weights)
    sd = 1 / math.sqrt(sum(weights))
    value, low, high = math.exp(mu), math.exp(mu - Z90 * sd), math.exp(mu + Z90 * sd)
    for bound in (e for e in evidence if e.kind == "upper_bound"):
        value, high = min(value, bound.value), min(high, bound.value)
    low = min([low] + [e.value for e in points])
    high = max([high] + [e.value for e in points])
    parts = [
        f"{e.method} = {e.value:.1f} (sd {e.sd:.3f})" if e.kind == "estimate" else f"{e.method}: at most {e.value:.1f}"
        for e in evidence
    ]
    source = f"derived: {source_prefix}precision-weighted mean in logs of " + "; ".join(parts) + " (docs/data.md)"
    return Estimate(value, "estimated", source, low, high)


def gdp_evidence(f: dict[str, Fact], history: pd.DataFrame) -> dict[str, list[Evidence]]:
    """Every piece of evidence on the 2020 GDP of Binhai, Dongli and Jinnan (docs/data.md lists them)."""
    ev: dict[str, list[Evidence]] = {}
    persons = f["binhai_population"].value / 1e4
    lp = f["binhai_labour_productivity"].value
    er = f["binhai_employment_ratio"]
    ev["binhai"] = [
        Evidence(
            "binhai",
            f"labour productivity {lp} 10^4 CNY/worker (001:L76) x census residents x "
            f"jobs per resident {er.value} ({er.low}-{er.high})",
            lp * persons * er.value,
            _sd_of_range(er.low, er.high),
        )
    ] + backcasts(history, "binhai")

    services = f["dongli_services_va"].value
    share = f["dongli_services_share"]
    ev["dongli"] = backcasts(history, "dongli") + [
        Evidence(
            "dongli",
            f"services value added {services:g} (002:L13, a plan-time estimate) with a services "
            f"share above {share.low:g}%",
            services / (share.low / 100),
            math.inf,
            kind="upper_bound",
        )
    ]
    return ev


def estimate_gdp(f: dict[str, Fact], history: pd.DataFrame) -> dict[str, Estimate]:
    """2020 GDP of each leaf and of Binhai, 100 million CNY (current = 2020 prices)."""
    gdp: dict[str, Estimate] = {}
    gdp["ziya"] = f["ziya_gdp"].estimate()
    ev = gdp_evidence(f, history)
    gdp["binhai"] = combine("binhai", ev["binhai"])

    rev = f["eco_city_fiscal_revenue"].value
    ratio = f["eco_city_revenue_to_gdp"]
    gdp["eco_city"] = Estimate(
        rev / ratio.value,
        "estimated",
        f"derived: budget revenue 42.4 (000:L6) / Tianjin's revenue-to-GDP ratio {ratio.value} "
        f"(range {ratio.low}-{ratio.high}); no later published level",
        rev / ratio.high,
        rev / ratio.low,
    )
    gdp["binhai_other"] = Estimate(
        gdp["binhai"].value - gdp["eco_city"].value,
        "estimated",
        "derived: Binhai estimate minus Eco-city estimate",
        gdp["binhai"].low - gdp["eco_city"].high,
        gdp["binhai"].high - gdp["eco_city"].low,
    )
    gdp["dongli"] = combine("dongli", ev["dongli"])

    # Jinnan: its 2023 level, plus two ratio methods anchored on Dongli's estimate
    ratio_2018 = f["jinnan_gdp_2018"].value / f["dongli_gdp_2018"].value
    by_ratio = gdp["dongli"].value * ratio_2018
    tj_per_capita = f["tianjin_gdp"].value / f["tianjin_population"].value
    dongli_relative = (gdp["dongli"].value / (f["dongli_population"].value / 1e4)) / tj_per_capita
    by_population = f["jinnan_population"].value / 1e4 * tj_per_capita * dongli_relative
    methods = (by_ratio, by_population)
    prior = Evidence(
        "jinnan",
        f"mean of (a) Dongli estimate x Jinnan/Dongli 2018 GDP ratio {ratio_2018:.3f} = "
        f"{by_ratio:.1f} and (b) census residents x Dongli's GDP per resident = "
        f"{by_population:.1f} (range 0.95 x lower to 1.05 x higher)",
        float(np.mean(methods)),
        _sd_of_range(0.95 * min(methods), 1.05 * max(methods)),
    )
    ev["jinnan"] = backcasts(history, "jinnan") + [prior]
    gdp["jinnan"] = combine("jinnan", ev["jinnan"])

    named = ("eco_city", "binhai_other", "dongli", "jinnan", "ziya")
    total = f["tianjin_gdp"].value
    gdp["rest_of_tianjin"] = Estimate(
        total - sum(gdp[r].value for r in named),
        "estimated",
        "derived: Tianjin published GDP 14083.73 minus the other leaves (closure)",
        total - sum(_hi(gdp[r]) for r in named),
        total - sum(_lo(gdp[r]) for r in named),
    )
    return gdp


def binhai_tertiary_share(history: pd.DataFrame) -> Estimate:
    """Binhai's 2020 tertiary share from its later published shares, each moved back by Tianjin's change in
    tertiary share between 2020 and that year (the same statistical year)."""
    used = history[history["status"] == "used"]

    def share(region: str, year: int) -> pd.Series | None:
        hit = used[(used["region"] == region) & (used["variable"] == "Share|Tertiary") & (used["year"] == year)]
        return None if hit.empty else hit.iloc[0]

    base = share("tianjin", 2020)
    implied, parts = [], []
    for year in range(2021, 2025):
        b, t = share("binhai", year), share("tianjin", year)
        if b is None or t is None:
            continue
        value = b.value + (base.value - t.value)
        implied.append(value)
        parts.append(
            f"{year}: Binhai {b.value:.2f}% ({b.confidence}) + (Tianjin 2020 {base.value:.2f} - "
            f"{year} {t.value:.2f}) = {value:.2f}%"
        )
    if not implied:
        raise ValueError("no later Binhai tertiary share in the history table")
    value = float(np.mean(implied))
    return Estimate(
        value,
        "estimated",
        "derived: mean of " + "; ".join(parts) + " (docs/data.md)",
        min(implied) - 2.0,
        max(implied) + 2.0,
    )


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
        binhai.value / 1e4 - pop["eco_city"].value,
        "estimated",
        f"derived: Binhai census residents ({binhai.source}) minus the Eco-city estimate",
        binhai.value / 1e4 - pop["eco_city"].high,
        binhai.value / 1e4 - pop["eco_city"].low,
    )
    total = f["tianjin_population"].value
    named = ("eco_city", "binhai_other", "dongli", "jinnan", "ziya")
    pop["rest_of_tianjin"] = Estimate(
        total - sum(pop[r].value for r in named),
        "estimated",
        "derived: Tianjin census residents minus the other leaves (closure)",
        total - sum(_hi(pop[r]) for r in named),
        total - sum(_lo(pop[r]) for r in named),
    )
    return pop


def fixed_investment(f: dict[str, Fact], gdp: dict[str, Estimate]) -> dict[str, Estimate]:
    """2020 fixed-asset investment, 100 million CNY."""
    fai: dict[str, Estimate] = {"ziya": f["ziya_fai"].estimate(), "dongli": f["dongli_fai"].estimate()}
    cumulative = f["eco_city_fai_2016_2020"].value
    fai["eco_city"] = Estimate(
        cumulative / 5,
        "estimated",
        "derived: 2016-2020 cumulative FAI 1150 (000:L6) / 5; range +-13%",
        cumulative / 5 * 0.87,
        cumulative / 5 * 1.13,
    )
    binhai = f["binhai_fai"].value
    fai["binhai_other"] = Estimate(
        binhai - fai["eco_city"].value,
        "estimated",
        "derived: Binhai FAI 1900 (001:L70) minus the Eco-city estimate",
        binhai - fai["eco_city"].high,
        binhai - fai["eco_city"].low,
    )
    ratio = f["fai_to_gdp_other"]
    for region in ("jinnan", "rest_of_tianjin"):
        g = gdp[region]
        fai[region] = Estimate(
            ratio.value * g.value,
            "estimated",
            f"derived: GDP estimate x FAI/GDP {ratio.value} ({ratio.low}-{ratio.high}), "
            "the mean ratio of the seeds that publish FAI",
            ratio.low * _lo(g),
            ratio.high * _hi(g),
        )
    return fai


def structure_constraints(
    f: dict[str, Fact],
    gdp: dict[str, Estimate],
    sectors: pd.DataFrame,
    aggregates: dict[str, tuple[str, ...]],
    binhai_tertiary: Estimate,
) -> list[ShareConstraint]:
    """Every published (or estimated) structure figure as a constraint on value added."""
    all_s = tuple(sectors["id"])
    mfg, tertiary, industry = aggregates["manufacturing"], aggregates["tertiary"], aggregates["industry"]
    primary = aggregates["primary"]
    c: list[ShareConstraint] = []
    binhai = gdp["eco_city"].value + gdp["binhai_other"].value
    c.append(
        ShareConstraint(
            ("eco_city", "binhai_other"),
            mfg,
            f["binhai_manufacturing_share"].value / 100 * binhai,
            "Binhai manufacturing 22% of GDP",
        )
    )
    c.append(
        ShareConstraint(
            ("eco_city", "binhai_other"),
            tertiary,
            binhai_tertiary.value / 100 * binhai,
            f"Binhai tertiary {binhai_tertiary.value:.1f}% of GDP (from its 2023-2024 shares)",
        )
    )
    eco = gdp["eco_city"].value
    industry_share = f["eco_city_industry_share"].value
    modern = f["eco_city_modern_services_share"].value - industry_share
    c += [
        ShareConstraint(
            ("eco_city",),
            ("construction",),
            f["eco_city_construction_share"].value / 100 * eco,
            "Eco-city construction 18% of GDP",
        ),
        ShareConstraint(
            ("eco_city",),
            ("real_estate",),
            f["eco_city_real_estate_share"].value / 100 * eco,
            "Eco-city real estate 21% of GDP",
        ),
        ShareConstraint(
            ("eco_city",),
            tuple(s for s in tertiary if s != "real_estate"),
            modern / 100 * eco,
            "Eco-city modern services 61% of GDP (less the estimated industrial base)",
        ),
        ShareConstraint(
            ("eco_city",),
            primary + industry,
            industry_share / 100 * eco,
            "Eco-city industry and primary (estimated small base)",
        ),
    ]
    dongli = gdp["dongli"].value
    c += [
        ShareConstraint(
            ("dongli",),
            tertiary,
            f["dongli_services_share"].value / 100 * dongli,
            f"Dongli services {f['dongli_services_share'].value:g}% of GDP ('above 60%', 002:L13)",
        ),
        ShareConstraint(
            ("dongli",), mfg, f["dongli_manufacturing_share"].value / 100 * dongli, "Dongli manufacturing 29% of GDP"
        ),
    ]
    jinnan = gdp["jinnan"].value
    c += [
        ShareConstraint(
            ("jinnan",),
            tertiary,
            f["jinnan_services_share"].value / 100 * jinnan,
            "Jinnan services 60% of GDP (estimated)",
        ),
        ShareConstraint(
            ("jinnan",),
            mfg,
            f["jinnan_manufacturing_share"].value / 100 * jinnan,
            "Jinnan manufacturing 28% of GDP (estimated)",
        ),
    ]
    c.append(ShareConstraint(("ziya",), industry, f["ziya_industry_va"].value, "Ziya industrial value added 10.29"))
    for stratum, key in (
        ("primary", "tianjin_va_primary"),
        ("secondary", "tianjin_va_secondary"),
        ("tertiary", "tianjin_va_tertiary"),
    ):
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


def fit_structure(
    prior: np.ndarray,
    constraints: list[ShareConstraint],
    sectors: pd.DataFrame,
    tol: float = 1e-12,
    max_iter: int = 20000,
) -> np.ndarray:
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
