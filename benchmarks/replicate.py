"""A larger problem of the same kind: the baseline system with its regions replicated k times.

The copies are independent (block-diagonal trade and coefficients), so results per copy equal the
original's; only the problem size grows (n = k x 132 cells), which is what the scaling benchmark needs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg

from simcore.model.levers import Paths
from simcore.model.system import System


def _block_diag_pairs(a: np.ndarray, k: int) -> np.ndarray:
    """(R, R, ...) -> (kR, kR, ...) with zero coupling between copies."""
    R = a.shape[0]
    out = np.zeros((k * R, k * R) + a.shape[2:])
    for c in range(k):
        out[c * R : (c + 1) * R, c * R : (c + 1) * R] = a
    return out


def replicate(system: System, paths: Paths, k: int) -> tuple[System, Paths]:
    if paths.t_num.shape[0]:
        raise ValueError("replicate a scenario without share targets")
    n = system.v.shape[0]
    R = system.pop0.shape[0]
    # M = I - A - H of the original, rebuilt from its LU factors, then block-diagonal
    lu, piv = system.LU, system.piv
    L = np.tril(lu, -1) + np.eye(n)
    U = np.triu(lu)
    P = np.eye(n)
    for i, p in enumerate(piv):
        P[[i, p]] = P[[p, i]]
    M = P.T @ L @ U
    big = scipy.linalg.block_diag(*([M] * k))
    big_lu, big_piv = scipy.linalg.lu_factor(big)
    tile = lambda a: np.ascontiguousarray(np.concatenate([a] * k, axis=0))  # noqa: E731
    sys_k = dataclasses.replace(
        system,
        LU=np.ascontiguousarray(big_lu),
        piv=big_piv.astype(np.int64),
        v=tile(system.v),
        x0=tile(system.x0),
        K0=tile(system.K0),
        alpha=tile(system.alpha),
        E0=tile(system.E0),
        disc0=tile(system.disc0),
        gfcf_mix=tile(system.gfcf_mix),
        gfcf_share=_block_diag_pairs(system.gfcf_share, k),
        inv_mix=tile(system.inv_mix),
        inv_share=_block_diag_pairs(system.inv_share, k),
        inv0=tile(system.inv0),
        gdp0=tile(system.gdp0),
        pop0=tile(system.pop0),
        log_K0=tile(system.log_K0),
        power_w=_block_diag_pairs(system.power_w, k),
        fuel_w=_block_diag_pairs(system.fuel_w, k),
        e0=tile(system.e0),
        ef=tile(system.ef),
        nf0=tile(system.nf0),
        inflow0=tile(system.inflow0),
        proc0=tile(system.proc0),
        e_h0=tile(system.e_h0),
        inflow_h0=tile(system.inflow_h0),
        C0=tile(system.C0),
        cons_w=scipy.linalg.block_diag(*([system.cons_w] * k)),
        jobs0=tile(system.jobs0),
        G=scipy.linalg.block_diag(*([system.G] * k)),
    )
    empty = np.zeros((0, k * n))
    paths_k = dataclasses.replace(
        paths,
        t_num=empty,
        t_den=empty,
        t_resp=empty,
        t_pat=empty,
        t_tn=np.zeros((0, 0)),
        t_td=np.zeros((0, 0)),
        fai=tile(paths.fai),
        theta=tile(paths.theta),
        gx=tile(paths.gx),
        pop=tile(paths.pop),
        workforce=tile(paths.workforce),
    )
    assert sys_k.pop0.shape[0] == k * R
    return sys_k, paths_k
