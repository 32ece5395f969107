"""Input-output multipliers of the 2020 system: output, value added, employment, energy and CO2; spillovers
between districts; backward and forward linkages and key sectors.

Type I multipliers use the Leontief inverse of the intra-Tianjin coefficients, ``L = (I - A)^-1``; Type II
close household and government consumption in proportion to each district's GDP (the model's own
closure, :func:`simcore.model.system.consumption_closure`), ``L2 = (I - A - H)^-1``.  A column ``j`` of
``L`` is the output of every district and sector needed, directly and indirectly, for one unit (10^8
CNY_2020) of final demand for cell ``j`` bought inside Tianjin; what leaks outside Tianjin is not counted.

* output multiplier ``m_j = sum_i L_ij``, split into the own district and each other district
  (``spillovers``: a district's final demand, in its 2020 final-demand mix, and the output it raises in
  each district);
* value-added (GDP), employment, energy and CO2 multipliers ``c L_.j`` with the 2020 coefficients per unit
  of output ``c`` (employment: 2020 jobs per unit of gross output by district and sector,
  ``labour_2020.csv``: compensation over the sector's average wage);
* backward linkage (Rasmussen): ``m_j`` over the mean of all ``m``; forward linkage: the row sums of the
  Ghosh inverse ``G = (I - B)^-1``, ``B = x^-1 A x``, over their mean; a key sector has both above 1.

Every figure is of the 2020 baseline; nothing here runs a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.baseline.tables import FINAL_DEMAND, Baseline
from simcore.errors import SimcoreError
from simcore.model.system import consumption_closure

TYPES = ("I", "II")


@dataclass(frozen=True)
class Multipliers:
    """The multiplier tables of one type (pandas DataFrames)."""

    kind: str
    by_sector: object  # region, sector, output, output_own, output_spillover, value_added, employment, energy, co2
    spillovers: object  # demand_region, output_region, output (per unit of the demand region's final demand)
    linkages: object  # region, sector, backward, forward, key_sector
    summary: object  # region, output-weighted and final-demand-weighted output multipliers, VA multiplier


def inverse(b: Baseline, kind: str = "I") -> np.ndarray:
    """The Leontief inverse of the intra-Tianjin system: Type I ``(I - A)^-1``, Type II ``(I - A - H)^-1``."""
    if kind not in TYPES:
        raise SimcoreError(f"multiplier type {kind!r}: expected one of {', '.join(TYPES)}")
    n = b.n_region * b.n_sector
    M = np.eye(n) - b.A - (consumption_closure(b) if kind == "II" else 0.0)
    return np.linalg.solve(M, np.eye(n))


def coefficients(b: Baseline) -> dict[str, np.ndarray]:
    """Per unit of gross output (n,): value added, employment (10^4 persons), energy (10^4 tce), CO2 (Mt)."""
    R, S = b.n_region, b.n_sector
    x = b.gross_output.reshape(-1)

    def per_output(values: np.ndarray) -> np.ndarray:
        return np.divide(values, x, out=np.zeros_like(x), where=x > 0)

    return {
        "value_added": np.tile(b.va_ratio, R),
        "employment": per_output(b.jobs.reshape(-1)),
        "energy": per_output(b.energy[:, :S, :].sum(axis=2).reshape(-1)),
        "co2": per_output(b.co2[:, :S, :].sum(axis=2).reshape(-1)),
    }


def multipliers(b: Baseline, kind: str = "I", regions: tuple[str, ...] = ()) -> Multipliers:
    """Multiplier, spillover, linkage and summary tables of the 2020 system.

    Parameters
    ----------
    b : Baseline
        The 2020 baseline (:func:`simcore.load_baseline`).
    kind : {"I", "II"}
        Type I (industries only) or Type II (households closed: compensation and household consumption
        are endogenous).
    regions : tuple of str
        Leaf districts to keep in the tables (default: every leaf).

    Returns
    -------
    Multipliers
        Tables of output, value added, employment, energy and CO2 multipliers by sector and district,
        spillovers between districts, backward and forward linkages, and a summary.

    Raises
    ------
    SimcoreError
        For an unknown type or a region that is not a leaf district.

    Examples
    --------
    >>> from simcore import load_baseline, multipliers
    >>> m = multipliers(load_baseline(), kind="II", regions=("dongli",))  # doctest: +SKIP
    """
    import pandas as pd

    unknown = [r for r in regions if r not in b.leaves]
    if unknown:
        raise SimcoreError(f"unknown district(s) {', '.join(unknown)}; multipliers are by leaf: {', '.join(b.leaves)}")
    R, S = b.n_region, b.n_sector
    L = inverse(b, kind)
    region_of = np.repeat(np.arange(R), S)
    by_region = np.stack([L[region_of == r].sum(axis=0) for r in range(R)])  # (R, n): output in r per unit in j
    output = L.sum(axis=0)
    own = by_region[region_of, np.arange(R * S)]
    coef = coefficients(b)
    table = pd.DataFrame(
        {
            "type": kind,
            "region": np.array(b.leaves)[region_of],
            "sector": np.tile(np.array(b.sectors.ids), R),
            "output": output,
            "output_own": own,
            "output_spillover": output - own,
            **{name: c @ L for name, c in coef.items()},
        }
    )

    # a district's final demand in its 2020 mix and sourcing, and the output it raises in each district
    F = b.final_demand  # (R, S, kinds): district r's final demand for sector i
    shares = b.final_shares  # (q, r, S, kinds): share of it bought from district q
    local = [FINAL_DEMAND.index(k) for k in ("household", "government", "gfcf", "inventory")]
    bought = np.zeros((R, R * S))  # bought[r, q*S+i]: district r's demand met by cell (q, i)
    for r in range(R):
        for q in range(R):
            bought[r, q * S : (q + 1) * S] = sum(shares[q, r, :, k] * F[r, :, k] for k in local)
    spill = np.zeros((R, R))
    for r in range(R):
        if bought[r].sum() > 0:
            spill[r] = by_region @ (bought[r] / bought[r].sum())
    spillovers = pd.DataFrame(
        {
            "type": kind,
            "demand_region": np.repeat(np.array(b.leaves), R),
            "output_region": np.tile(np.array(b.leaves), R),
            "output": spill.reshape(-1),
        }
    )

    x = b.gross_output.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        B = np.where(x[:, None] > 0, b.A * x[None, :] / x[:, None], 0.0)
    G = np.linalg.solve(np.eye(R * S) - B, np.eye(R * S))
    backward = output / output.mean()
    forward_raw = G.sum(axis=1)
    forward = forward_raw / forward_raw.mean()
    linkages = pd.DataFrame(
        {
            "type": kind,
            "region": table["region"],
            "sector": table["sector"],
            "backward": backward,
            "forward": forward,
            "key_sector": (backward > 1.0) & (forward > 1.0),
        }
    )

    final_local = bought.sum(axis=0)  # final demand bought inside Tianjin, by supplying cell
    rows = []
    for name, mask in [("tianjin", np.ones(R * S, bool))] + [(leaf, region_of == i) for i, leaf in enumerate(b.leaves)]:
        rows.append(
            {
                "type": kind,
                "region": name,
                "output_weighted_output_multiplier": float(np.average(output[mask], weights=x[mask])),
                "final_demand_weighted_output_multiplier": float(
                    np.average(output[mask], weights=np.maximum(final_local[mask], 0.0))
                )
                if final_local[mask].sum() > 0
                else float("nan"),
                "output_weighted_value_added_multiplier": float(
                    np.average(table["value_added"][mask], weights=x[mask])
                ),
                "own_share_of_output_multiplier": float(np.average((own / output)[mask], weights=x[mask])),
            }
        )
    summary = pd.DataFrame(rows)
    if regions:
        keep = list(regions)
        table = table[table["region"].isin(keep)].reset_index(drop=True)
        linkages = linkages[linkages["region"].isin(keep)].reset_index(drop=True)
        spillovers = spillovers[spillovers["demand_region"].isin(keep)].reset_index(drop=True)
        summary = summary[summary["region"].isin(["tianjin", *keep])].reset_index(drop=True)
    return Multipliers(kind, table, spillovers, linkages, summary)
