"""China's 2020 input-output table aggregated to the model's sectors.

The 42-product table (non-competitive imports: a domestic and an import block)
is the basis.  Three of its products straddle two model sectors (chemicals ->
petrochemicals / pharmaceuticals, metals -> steel / non-ferrous, other
manufacturing -> light manufacturing / recycling); those cells are split with
the cell proportions of the 153-product table, which aggregates exactly to the
42-product table (checked).  The import share of a split cell is that of its
42-product parent cell; each split product's domestic row is then rescaled to its
153-table domestic output so that the domestic block balances row by row.

Units: 10^4 CNY (the tables' own), current 2020 prices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcore.baseline.regionalise import FINAL_DEMAND, NationalIO

from .sources import INPUTS, Shared, expand_codes

VA_ROWS = ("VA001", "VA002", "VA003", "VA004")


def _membership(groups: list[list[str]], codes: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(codes)}
    M = np.zeros((len(groups), len(codes)))
    for g, members in enumerate(groups):
        for c in members:
            M[g, index[c]] = 1.0
    return M


def _ras(block: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray) -> np.ndarray:
    """Biproportional scaling of a non-negative block to given margins."""
    out = block.copy()
    for _ in range(1000):
        rows = out.sum(axis=1)
        out *= np.divide(row_totals, rows, out=np.ones_like(rows), where=rows > 0)[:, None]
        cols = out.sum(axis=0)
        out *= np.divide(col_totals, cols, out=np.ones_like(cols), where=cols > 0)[None, :]
        if np.allclose(out.sum(axis=1), row_totals, rtol=1e-13, atol=1e-6):
            return out
    raise ValueError("RAS did not converge")


def _split(parent_value: np.ndarray, detail: np.ndarray, detail_parent: np.ndarray) -> np.ndarray:
    """Spread parent values over pieces in proportion to the 153-table detail."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(detail_parent != 0, detail / detail_parent, np.nan)
    return parent_value * ratio


def build_national_io(shared: Shared, sectors: pd.DataFrame) -> NationalIO:
    t42 = shared.nbs_io("china_2020_42.csv")
    t153 = shared.nbs_io("china_2020_153.csv").set_index("Code")
    codes42 = [f"{i:02d}" for i in range(1, 43)]
    codes153 = [f"{i:03d}" for i in range(1, 154)]

    concordance = pd.read_csv(INPUTS / "nbs153_to_42.csv", dtype=str)
    Q = _membership([expand_codes(s, 3) for s in concordance["nbs153"]], codes153)
    if not np.all(Q.sum(axis=0) == 1):
        raise ValueError("nbs153_to_42.csv must assign every 153-product code once")

    sector_codes = [expand_codes(s, 3) for s in sectors["nbs153"]]
    S = _membership(sector_codes, codes153)
    if not np.all(S.sum(axis=0) == 1):
        missing = [codes153[i] for i in np.flatnonzero(S.sum(axis=0) != 1)]
        raise ValueError(f"sectors.csv must assign every 153-product code once; check {missing}")

    # pieces: non-empty intersections of a model sector and a 42-product parent
    pieces: list[tuple[int, int]] = []
    for s in range(S.shape[0]):
        for p in range(Q.shape[0]):
            if np.any(S[s] * Q[p]):
                pieces.append((s, p))
    P = np.array([S[s] * Q[p] for s, p in pieces])
    parent = np.array([p for _, p in pieces])
    owner = np.array([s for s, _ in pieces])

    dom = t42[t42["Origin"] == "Domestic"].set_index("Code").loc[codes42]
    imp = t42[t42["Origin"] == "Imports"].set_index("Code").loc[codes42]
    tot = t42[t42["Origin"] == "TOT"].set_index("Code")
    Zd42 = dom[codes42].to_numpy(float)
    Zm42 = imp[codes42].to_numpy(float)

    Z153 = t153.loc[codes153, codes153].to_numpy(float)
    if not np.allclose(Q @ Z153 @ Q.T, Zd42 + Zm42, rtol=1e-9, atol=1e-3):
        raise ValueError("the 153-product table does not aggregate to the 42-product table")

    Zp = P @ Z153 @ P.T
    Zpar = (Q @ Z153 @ Q.T)[np.ix_(parent, parent)]
    Zd_piece = _split(Zd42[np.ix_(parent, parent)], Zp, Zpar)
    Zm_piece = _split(Zm42[np.ix_(parent, parent)], Zp, Zpar)

    go153 = t153.loc[codes153, "GO"].to_numpy(float)
    go_piece = _split(dom["GO"].to_numpy(float)[parent], P @ go153, (Q @ go153)[parent])
    # a cell empty in the 153 table but not in the 42 table: split by output
    fallback = np.outer(go_piece / (Q @ go153)[parent], go_piece / (Q @ go153)[parent])
    for block, parent_block in ((Zd_piece, Zd42), (Zm_piece, Zm42)):
        holes = np.isnan(block)
        block[holes] = (parent_block[np.ix_(parent, parent)] * fallback)[holes]

    # final demand: the 42 table's TC split into households and government by the 153 table
    fd153 = {
        "household": t153.loc[codes153, "THC"].to_numpy(float),
        "government": t153.loc[codes153, "FU103"].to_numpy(float),
        "gfcf": t153.loc[codes153, "FU201"].to_numpy(float),
        "inventory": t153.loc[codes153, "FU202"].to_numpy(float),
        "exports": t153.loc[codes153, "EX"].to_numpy(float),
    }
    fd42_col = {"household": "TC", "government": "TC", "gfcf": "FU201", "inventory": "FU202", "exports": "EX"}
    fd153_parent = {
        k: (Q @ (fd153["household"] + fd153["government"]) if fd42_col[k] == "TC" else Q @ v) for k, v in fd153.items()
    }
    Fd_piece = np.zeros((len(pieces), len(FINAL_DEMAND)))
    Fm_piece = np.zeros_like(Fd_piece)
    for k, name in enumerate(FINAL_DEMAND):
        share = _split(np.ones(len(pieces)), P @ fd153[name], fd153_parent[name][parent])
        share = np.where(np.isnan(share), go_piece / (Q @ go153)[parent], share)
        Fd_piece[:, k] = dom[fd42_col[name]].to_numpy(float)[parent] * share
        Fm_piece[:, k] = imp[fd42_col[name]].to_numpy(float)[parent] * share

    # imports of split products: RAS each parent's import cells onto its pieces so that
    # every piece imports its own 153-table total (IM) and every parent cell is kept
    im153 = t153.loc[codes153, "IM"].to_numpy(float)
    im_piece = P @ im153
    total_Z = Zd_piece + Zm_piece
    total_F = Fd_piece + Fm_piece
    for par in np.flatnonzero(np.bincount(parent, minlength=42) > 1):
        rows = np.flatnonzero(parent == par)
        block = np.hstack([Zm_piece[rows], Fm_piece[rows]])
        # columns with a negative entry (inventory drawdowns) keep their proportional split
        free = (block >= 0).all(axis=0)
        fixed = block[:, ~free].sum(axis=1)
        block[:, free] = _ras(block[:, free], im_piece[rows] - fixed, block[:, free].sum(axis=0))
        Zm_piece[rows] = block[:, : len(pieces)]
        Fm_piece[rows] = block[:, len(pieces) :]
    Zd_piece = total_Z - Zm_piece
    Fd_piece = total_F - Fm_piece

    va153 = t153.loc[list(VA_ROWS), codes153].to_numpy(float)
    va42 = tot.loc[list(VA_ROWS), codes42].to_numpy(float)
    VA_piece = np.zeros((len(VA_ROWS), len(pieces)))
    for r in range(len(VA_ROWS)):
        VA_piece[r] = _split(va42[r, parent], P @ va153[r], (Q @ va153[r])[parent])
        holes = np.isnan(VA_piece[r])
        VA_piece[r, holes] = (va42[r, parent] * go_piece / (Q @ go153)[parent])[holes]

    # aggregate pieces to model sectors
    A = np.zeros((S.shape[0], len(pieces)))
    A[owner, np.arange(len(pieces))] = 1.0
    io = NationalIO(
        sectors=tuple(sectors["id"]),
        Zd=A @ Zd_piece @ A.T,
        Zm=A @ Zm_piece @ A.T,
        Fd=A @ Fd_piece,
        Fm=A @ Fm_piece,
        VA=VA_piece @ A.T,
        GO=A @ go_piece,
    )
    _check(io, tot.loc["TVA", codes42].to_numpy(float).sum())
    return io


def _check(io: NationalIO, total_va: float) -> None:
    row = io.Zd.sum(axis=1) + io.Fd.sum(axis=1)
    col = io.Zd.sum(axis=0) + io.Zm.sum(axis=0) + io.VA.sum(axis=0)
    if not np.allclose(row, io.GO, rtol=1e-9):
        raise ValueError("national IO: domestic rows do not balance")
    if not np.allclose(col, io.GO, rtol=1e-6):
        raise ValueError("national IO: columns do not balance")
    if not np.isclose(io.VA.sum(), total_va, rtol=1e-12):
        raise ValueError("national IO: total value added changed in the aggregation")
    flows = np.hstack([io.Zd, io.Zm, io.Fd, io.Fm])
    inventory = FINAL_DEMAND.index("inventory")
    keep = np.ones(flows.shape[1], bool)
    n = len(io.sectors)
    keep[[2 * n + inventory, 2 * n + len(FINAL_DEMAND) + inventory]] = False
    if (flows[:, keep] < -1e-6).any():
        raise ValueError("national IO: negative flows after the split (other than inventory change)")


def proxy_weights(shared: Shared, sectors: pd.DataFrame, proxies: dict[str, str]) -> dict[str, np.ndarray]:
    """Share of each model sector's national value added that a 153-code proxy covers."""
    t153 = shared.nbs_io("china_2020_153.csv").set_index("Code")
    codes153 = [f"{i:03d}" for i in range(1, 154)]
    va = t153.loc["TVA", codes153].to_numpy(float)
    S = _membership([expand_codes(s, 3) for s in sectors["nbs153"]], codes153)
    out = {}
    for name, spec in proxies.items():
        member = np.isin(codes153, expand_codes(spec, 3)).astype(float)
        out[name] = (S @ (va * member)) / (S @ va)
    return out
