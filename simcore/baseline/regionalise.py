"""Multi-district input-output system by nested location quotients (used by the calibration build
and by Monte Carlo variants of the baseline).

National domestic coefficients are regionalised twice with Flegg's location
quotient (FLQ):

* ``c_TJ[i, j] = min(1, FLQ_TJ[i, j])`` is the share of a Tianjin industry's
  purchases of domestic-type product ``i`` met inside Tianjin;
* ``c_r[i, j] = min(1, FLQ_r[i, j])`` the share met inside district ``r`` itself.

District ``r`` buys ``Ad * c_r`` from itself, ``Ad * max(c_TJ - c_r, 0)`` from the
other districts (shared among them in proportion to output x distance^-decay,
a gravity rule), and the rest of its total input coefficient (domestic + import)
from outside Tianjin.  Final demand is sourced the same way with the diagonal
quotients.  Gross output comes from value added and the national value-added
ratio; exports out of Tianjin are the residual that closes each tradable row (a non-tradable's
residual is a statistical discrepancy).  Where a
row's Tianjin sales exceed its output, that row's Tianjin purchase shares are
scaled down and the gap is bought from outside (no negative exports).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FINAL_DEMAND = ("household", "government", "gfcf", "inventory", "exports")
VA_NAMES = ("compensation", "net_taxes", "depreciation", "operating_surplus")


@dataclass(frozen=True)
class NationalIO:
    """National IO at model sectors (rows: products, columns: industries), 10^4 CNY."""

    sectors: tuple[str, ...]
    Zd: np.ndarray  # domestic intermediate flows
    Zm: np.ndarray  # imported intermediate flows
    Fd: np.ndarray  # domestic final demand, columns FINAL_DEMAND
    Fm: np.ndarray  # imported final demand, columns FINAL_DEMAND
    VA: np.ndarray  # (4, n) value-added components
    GO: np.ndarray  # gross output

    @property
    def Ad(self) -> np.ndarray:
        return self.Zd / self.GO[None, :]

    @property
    def Am(self) -> np.ndarray:
        return self.Zm / self.GO[None, :]

    @property
    def va_ratio(self) -> np.ndarray:
        return self.VA.sum(axis=0) / self.GO

    @classmethod
    def from_table(cls, path: Path, sectors: tuple[str, ...]) -> NationalIO:
        """Read ``national_io_2020.csv`` (the derived table the calibration build writes)."""
        table = pd.read_csv(path)
        s_index = {s: i for i, s in enumerate(sectors)}
        n = len(sectors)

        def block(name: str, columns: tuple[str, ...]) -> np.ndarray:
            part = table[(table["block"] == name) & table["column"].isin(columns)]
            out = np.zeros((n, len(columns)))
            c_index = {c: i for i, c in enumerate(columns)}
            out[part["row"].map(s_index).to_numpy(), part["column"].map(c_index).to_numpy()] = part["value"]
            return out

        va = table[table["block"] == "value_added"]
        VA = np.zeros((len(VA_NAMES), n))
        VA[va["row"].map({v: i for i, v in enumerate(VA_NAMES)}).to_numpy(), va["column"].map(s_index).to_numpy()] = va[
            "value"
        ]
        go = table[table["block"] == "gross_output"].set_index("column")["value"].reindex(list(sectors)).to_numpy()
        return cls(
            tuple(sectors),
            block("domestic", sectors),
            block("imports", sectors),
            block("domestic", FINAL_DEMAND),
            block("imports", FINAL_DEMAND),
            VA,
            go,
        )


@dataclass(frozen=True)
class Regional:
    """The regionalised 2020 system.  Index order ``(region, sector)`` flattened."""

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    GO: np.ndarray  # (R, S)
    VA: np.ndarray  # (R, S)
    A: np.ndarray  # (R*S, R*S) within-Tianjin coefficients, row (s, i) -> column (r, j)
    M_out: np.ndarray  # (S, R*S) coefficients of purchases from outside Tianjin
    F: np.ndarray  # (R, S, K) final demand of region r for product i, all origins
    F_share: np.ndarray  # (R_from, R_to, S, K) origin shares of final demand inside Tianjin
    exports: np.ndarray  # (R, S) exports out of Tianjin: the row residual of the tradables
    discrepancy: np.ndarray  # (R, S) the row residual of the non-tradables (a statistical discrepancy)
    flq_tianjin: np.ndarray  # (S, S)
    flq_region: np.ndarray  # (R, S, S)
    row_scale: np.ndarray  # (R, S) the factor applied to rows that would export < 0

    @property
    def n(self) -> int:
        return len(self.regions) * len(self.sectors)


def flegg(go_region: np.ndarray, go_nation: np.ndarray, delta: float) -> np.ndarray:
    """Flegg's location quotient FLQ[i, j] for one region (diagonal uses the SLQ)."""
    total_r, total_n = go_region.sum(), go_nation.sum()
    slq = (go_region / total_r) / (go_nation / total_n)
    lam = np.log2(1.0 + total_r / total_n) ** delta
    with np.errstate(divide="ignore", invalid="ignore"):
        cilq = np.where(slq[None, :] > 0, slq[:, None] / slq[None, :], 0.0)
    np.fill_diagonal(cilq, slq)
    return cilq * lam


def haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(h))


def regionalise(
    io: NationalIO,
    regions: tuple[str, ...],
    va: np.ndarray,
    final_totals: np.ndarray,
    distance_km: np.ndarray,
    delta: float,
    decay: float,
    min_distance_km: float = 10.0,
    tradable: np.ndarray | None = None,
    rpc: tuple[float, float] = (0.95, 0.80),
) -> Regional:
    """Build the 2020 multi-district system.

    Parameters
    ----------
    va : (R, S) value added, 100 million CNY.
    final_totals : (R, K) totals of final demand by category (all origins), 100 million CNY.
    distance_km : (R, R) distances between leaf centres.
    tradable : (S,) bool, the sector codelist's class; FLQ regionalises the tradable products only, the
        others are bought inside Tianjin at ``rpc[0]`` and inside the buying district at ``rpc[1]`` of
        the domestic coefficient (the rest of the Tianjin share from the other districts by gravity).
    """
    R, S = va.shape
    K = len(FINAL_DEMAND)
    GO = va / io.va_ratio[None, :]
    go_n = io.GO / 1e4  # national table in 10^4 CNY, regional figures in 10^8 CNY
    Ad, Am = io.Ad, io.Am

    flq_tj = flegg(GO.sum(axis=0), go_n, delta)
    c_tj = np.minimum(1.0, flq_tj)
    flq_r = np.array([flegg(GO[r], go_n, delta) for r in range(R)])
    c_r = np.minimum(1.0, flq_r)
    if tradable is not None:  # non-tradables: a stated regional purchase coefficient replaces the FLQ
        local = ~np.asarray(tradable, dtype=bool)
        rpc_tj, rpc_r = rpc
        if not 0.0 <= rpc_r <= rpc_tj <= 1.0:
            raise ValueError(f"regional purchase coefficients need 0 <= district {rpc_r} <= Tianjin {rpc_tj} <= 1")
        c_tj[local, :] = rpc_tj
        c_r[:, local, :] = rpc_r

    d = np.maximum(distance_km, min_distance_km)
    np.fill_diagonal(d, np.inf)
    pull = GO.T[:, :, None] * d[None, :, :] ** (-decay)  # (S, R_from, R_to)
    gravity = pull / pull.sum(axis=1, keepdims=True)  # shares over suppliers s != r

    # intermediate coefficients inside Tianjin: block (s -> r)
    A = np.zeros((R, S, R, S))
    for r in range(R):
        own = Ad * c_r[r]
        pool = Ad * np.maximum(c_tj - c_r[r], 0.0)
        for s in range(R):
            A[s, :, r, :] = own if s == r else pool * gravity[:, s, r][:, None]

    # final demand: national product mix x regional totals, sourced like the diagonal
    national_f = io.Fd + io.Fm
    inventory_col = FINAL_DEMAND.index("inventory")
    # inventory drawdowns (negative national inventory change of a product) are left out of the regional
    # product mix: a district cannot draw down stocks of a product it neither makes nor buys
    national_f[:, inventory_col] = np.maximum(national_f[:, inventory_col], 0.0)
    mix = national_f / national_f.sum(axis=0, keepdims=True)
    F = mix[None, :, :] * final_totals[:, None, :]
    domestic_share = np.divide(io.Fd, io.Fd + io.Fm, out=np.zeros_like(io.Fd), where=(io.Fd + io.Fm) != 0)
    domestic_share = np.clip(domestic_share, 0.0, 1.0)
    F_share = np.zeros((R, R, S, K))
    for r in range(R):
        own = np.diag(c_r[r])
        pool = np.maximum(np.diag(c_tj) - own, 0.0)
        for s in range(R):
            base = own if s == r else pool * gravity[:, s, r]
            F_share[s, r] = base[:, None] * domestic_share
    exports_col = FINAL_DEMAND.index("exports")
    F_share[:, :, :, exports_col] = 0.0  # regional final demand has no export column
    F[:, :, exports_col] = 0.0

    # rows whose Tianjin sales exceed output buy less inside Tianjin
    x = GO.reshape(-1)
    A2 = A.reshape(R * S, R * S)
    sales = A2 @ x + np.einsum("srik,rik->si", F_share, F).reshape(-1)
    scale = np.minimum(1.0, np.divide(x, sales, out=np.ones_like(x), where=sales > 0))
    A2 = A2 * scale[:, None]
    F_share = F_share * scale.reshape(R, S)[:, None, :, None]
    sales = A2 @ x + np.einsum("srik,rik->si", F_share, F).reshape(-1)
    residual = (x - sales).reshape(R, S)
    residual[np.abs(residual) < 1e-9 * np.maximum(GO, 1.0)] = 0.0
    # a tradable's residual is sold outside Tianjin; a non-tradable's has no buyer in the data: it is a
    # statistical discrepancy of the regionalisation, not trade (docs/data.md)
    traded = np.ones(S, bool) if tradable is None else np.asarray(tradable, bool)
    exports = residual * traded[None, :]
    discrepancy = residual * ~traded[None, :]

    total_coef = np.tile(Ad + Am, (1, R))  # (S, R*S) every column's total input coefficient
    M_out = total_coef - A2.reshape(R, S, R * S).sum(axis=0)
    if (M_out < -1e-12).any():
        raise ValueError("regionalisation bought more inside Tianjin than the national coefficient allows")
    M_out = np.maximum(M_out, 0.0)
    return Regional(
        regions, io.sectors, GO, va, A2, M_out, F, F_share, exports, discrepancy, flq_tj, flq_r, scale.reshape(R, S)
    )


def accounts(reg: Regional) -> dict[str, np.ndarray]:
    """Row accounts per (region, product), 100 million CNY.

    ``gross_output = intermediate_use + household + government + gfcf + inventory
    + exports_outside + exports_other_districts + statistical_discrepancy - imports_outside
    - imports_other_districts``
    """
    R, S = reg.GO.shape
    x = reg.GO.reshape(-1)
    A4 = reg.A.reshape(R, S, R, S)
    Z = A4 * reg.GO[None, None, :, :]  # flow (s, i) -> (r, j)
    total_coef = reg.M_out + reg.A.reshape(R, S, R * S).sum(axis=0)
    use_int = (total_coef.reshape(S, R, S) * reg.GO[None, :, :]).sum(axis=2).T  # (R, S) by user region
    from_outside_int = (reg.M_out.reshape(S, R, S) * reg.GO[None, :, :]).sum(axis=2).T
    fd = reg.F  # (R, S, K) by user region
    sourced = np.einsum("srik,rik->srik", reg.F_share, fd)  # (s, r, i, k)
    inside_final = sourced.sum(axis=0)  # (r, i, k) bought inside Tianjin
    from_outside_final = (fd - inside_final).sum(axis=2)
    int_from = Z.sum(axis=3)  # (s, i, r)
    own_int = np.einsum("sis->si", int_from)
    own_final = np.einsum("ssik->si", sourced)
    sales_int = int_from.sum(axis=2)
    sales_final = sourced.sum(axis=(1, 3))
    exports_other = (sales_int - own_int) + (sales_final - own_final)
    bought_int = int_from.sum(axis=0).T  # (r, i) bought inside Tianjin for intermediate use
    bought_final = inside_final.sum(axis=2)
    imports_other = (bought_int - own_int) + (bought_final - own_final)
    out = {
        "gross_output": reg.GO,
        "value_added": reg.VA,
        "intermediate_use": use_int,
        "household_consumption": fd[:, :, FINAL_DEMAND.index("household")],
        "government_consumption": fd[:, :, FINAL_DEMAND.index("government")],
        "gfcf": fd[:, :, FINAL_DEMAND.index("gfcf")],
        "inventory_change": fd[:, :, FINAL_DEMAND.index("inventory")],
        "exports_outside": reg.exports,
        "exports_other_districts": exports_other,
        "statistical_discrepancy": reg.discrepancy,
        "imports_outside": from_outside_int + from_outside_final,
        "imports_other_districts": imports_other,
    }
    assert x.shape == (R * S,)
    return out


def balance_residual(acc: dict[str, np.ndarray]) -> np.ndarray:
    """Relative residual of the product balance of every region-sector row."""
    supply = acc["gross_output"] + acc["imports_outside"] + acc["imports_other_districts"]
    use = (
        acc["intermediate_use"]
        + acc["household_consumption"]
        + acc["government_consumption"]
        + acc["gfcf"]
        + acc["inventory_change"]
        + acc["exports_outside"]
        + acc["exports_other_districts"]
        + acc["statistical_discrepancy"]
    )
    return (supply - use) / np.maximum(np.abs(acc["gross_output"]), 1.0)


def electricity_inflow(reg: Regional, power: int, energy_per_output: float) -> tuple[np.ndarray, np.ndarray]:
    """Energy of electricity bought from outside Tianjin: by region-sector (R, S) and by households (R,).

    Purchases of the power product from outside Tianjin (intermediate and household) are counted at the
    local power sector's energy per unit of output (``energy_per_output``, 10^4 tce per 100 million CNY).
    """
    R, S = reg.GO.shape
    cells = reg.M_out[power].reshape(R, S) * reg.GO * energy_per_output
    household = FINAL_DEMAND.index("household")
    bought_outside = reg.F[:, power, household] * (1.0 - reg.F_share[:, :, power, household].sum(axis=0))
    return cells, bought_outside * energy_per_output
