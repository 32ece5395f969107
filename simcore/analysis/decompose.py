"""Additive LMDI-I decomposition of CO2 changes (Ang 2005), Kaya form with sector structure.

Production emissions of a region are

    C = sum_i P * (G / P) * (G_i / G) * (E_i / G_i) * (C_i / E_i)

(residents P, GDP G, sector value added G_i, energy E_i, CO2 C_i).  The change from year 0 to year 1 is
split into population, GDP per capita, structure, energy intensity and carbon per unit of energy terms,
each ``sum_i L(C_i1, C_i0) ln(x_1 / x_0)`` with the logarithmic mean ``L(a, b) = (a - b) / ln(a / b)``.
The terms add up exactly to the change.  Household emissions are ``P * (E_h / P) * (C_h / E_h)``: their
population term joins the population effect, their energy per resident the energy-intensity effect and
their carbon per energy the carbon effect.  A sector that emits in one year only (a zero at one end, where
the logarithms are undefined) contributes its whole change to the structure effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcore.baseline.tables import Baseline
from simcore.model.variables import DECOMPOSITION_TERMS as TERMS
from simcore.scenario.schema import YEARS


def log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Logarithmic mean of positive arrays (``a`` where ``a == b``)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / (np.log(a) - np.log(b))
    return np.where(np.isclose(a, b, rtol=1e-14, atol=0), a, out)


def lmdi(
    P: tuple[float, float],
    G: tuple[np.ndarray, np.ndarray],
    E: tuple[np.ndarray, np.ndarray],
    C: tuple[np.ndarray, np.ndarray],
    Eh: tuple[float, float],
    Ch: tuple[float, float],
) -> dict[str, float]:
    """Additive LMDI-I terms for one region between two years (index 0 and 1 of each pair)."""
    (P0, P1), (G0, G1), (E0, E1), (C0, C1) = P, G, E, C
    total0, total1 = G0.sum(), G1.sum()
    terms = dict.fromkeys(TERMS, 0.0)
    both = (C0 > 0) & (C1 > 0) & (G0 > 0) & (G1 > 0) & (E0 > 0) & (E1 > 0)
    w = log_mean(C1[both], C0[both])
    terms["Population"] += float((w * np.log(P1 / P0)).sum())
    terms["GDP per Capita"] += float((w * np.log((total1 / P1) / (total0 / P0))).sum())
    terms["Structure"] += float((w * np.log((G1[both] / total1) / (G0[both] / total0))).sum())
    terms["Energy Intensity"] += float((w * np.log((E1[both] / G1[both]) / (E0[both] / G0[both]))).sum())
    terms["Carbon per Energy"] += float((w * np.log((C1[both] / E1[both]) / (C0[both] / E0[both]))).sum())
    terms["Structure"] += float((C1[~both] - C0[~both]).sum())
    (Eh0, Eh1), (Ch0, Ch1) = Eh, Ch
    if Ch0 > 0 and Ch1 > 0 and Eh0 > 0 and Eh1 > 0:
        wh = float(log_mean(Ch1, Ch0))
        terms["Population"] += wh * np.log(P1 / P0)
        terms["Energy Intensity"] += wh * np.log((Eh1 / P1) / (Eh0 / P0))
        terms["Carbon per Energy"] += wh * np.log((Ch1 / Eh1) / (Ch0 / Eh0))
    else:
        terms["Energy Intensity"] += Ch1 - Ch0
    return terms


def decompose(
    b: Baseline,
    raw,
    population: np.ndarray,
    scenario: str,
    end_years=(2025, 2035),
    start: int = 2020,
    regions: tuple[str, ...] | None = None,
    draw: int = 0,
) -> pd.DataFrame:
    """CO2 change decomposition per region and period; ``population`` is the (R, T) residents path.

    Returns a long table: scenario, region, start, end, term, value (Mt CO2), with the terms and the
    start, end and total change as rows (``term`` in TERMS + ("CO2 start", "CO2 end", "Total change")).
    """
    R, S = b.n_region, b.n_sector
    T = len(YEARS)
    va = raw.va[draw].reshape(T, R, S)
    energy = raw.energy_cell[draw]  # (T, R, S + 1)
    co2 = raw.co2_cell[draw]
    regions = regions or b.regions.ids
    rows = []
    for region in regions:
        m = b.regions.matrix[b.regions.ids.index(region)]
        G = np.einsum("r,trs->ts", m, va)
        E = np.einsum("r,trs->ts", m, energy)
        C = np.einsum("r,trs->ts", m, co2)
        P = m @ population
        for end in end_years:
            t0, t1 = YEARS.index(start), YEARS.index(end)
            terms = lmdi(
                (P[t0], P[t1]),
                (G[t0], G[t1]),
                (E[t0, :S], E[t1, :S]),
                (C[t0, :S], C[t1, :S]),
                (E[t0, S], E[t1, S]),
                (C[t0, S], C[t1, S]),
            )
            c0, c1 = C[t0].sum(), C[t1].sum()
            base = {"scenario": scenario, "region": region, "start": start, "end": end}
            rows.append(base | {"term": "CO2 start", "value": c0})
            rows += [base | {"term": term, "value": value} for term, value in terms.items()]
            rows.append(base | {"term": "Total change", "value": c1 - c0})
            rows.append(base | {"term": "CO2 end", "value": c1})
    table = pd.DataFrame(rows)
    table["unit"] = "Mt CO2"
    return table[["scenario", "region", "start", "end", "term", "unit", "value"]]


def decompose_run(
    scenario, b: Baseline, overrides=None, regions: tuple[str, ...] = (), end_years=(2025, 2035)
) -> pd.DataFrame:
    """Run a scenario deterministically and decompose its CO2 change."""
    from simcore.model.boundary import project_central
    from simcore.scenario.loader import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    raw, paths = project_central(scenario, b)
    return decompose(b, raw, paths.pop, scenario.name, end_years, regions=regions or None)
