"""Pure-NumPy twins of the kernels in :mod:`simcore.model.kernels`: same names, parameters and semantics.

They are vectorised over draws (the "best NumPy" reference of the benchmarks) and are the ground truth
the kernels are tested against.  A step's twin takes ``d0`` as an array of draw indices and the per-draw
state with a leading draw axis, (D, ...); the kernel's steps work on a block of draws with the draws
*last*, (..., B), and take the block's first draw ``d0`` (the transpose of the twin's state; the tests
transpose).  Everything else is the same.
``simulate_loop`` is the plain per-draw loop most economists would write, kept for the benchmarks.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from simcore.model.kernels import (
    CAPACITY_ITERATIONS,
    CAPACITY_TOLERANCE,
    CAPACITY_UNRESOLVED,
    COAL,
    GAS,
    INFLOW,
    N_FOSSIL,
    NEGATIVE_CO2,
    NEGATIVE_ENERGY,
    NEGATIVE_OUTPUT,
    NEGATIVE_TOLERANCE,
    NON_FINITE,
    NONFOSSIL,
    OIL,
    OK,
    PROCESS,
    TARGET_UNREACHABLE,
)


def lu_solve_block(LU, piv, F):
    """Twin of :func:`simcore.model.kernels.lu_solve_block` (in place)."""
    F[...] = scipy.linalg.lu_solve((LU, piv), F, check_finite=False)


def solve_small(Mat, rhs):
    """Twin of :func:`simcore.model.kernels.solve_small`."""
    return np.linalg.solve(Mat, rhs)


def household_factor(cons, pop_t, pop_0, C0, eps_h):
    """Twin of :func:`simcore.model.kernels.household_factor` (broadcasts)."""
    per_capita = (cons / pop_t) / (C0 / pop_0)
    return (pop_t / pop_0) * per_capita**eps_h


def _dims(sy):
    R = sy.pop0.shape[0]
    return R, sy.v.shape[0] // R


def capacity_and_shares(sy, pa, dr, d0, t, invest, K, x_cum, log_x_cum, log_tfp, rho, lab, cap):
    """Twin of :func:`simcore.model.kernels.capacity_and_shares` for the draws ``d0`` (an index array; the
    kernel's is the first draw of its block); invest, lab (D, R), K/x_cum/log_x_cum/rho/cap
    (D, n), log_tfp (D,); all but invest updated in place."""
    R, S = _dims(sy)
    D = K.shape[0]
    region_of = np.repeat(np.arange(R), S)
    sector_of = np.tile(np.arange(S), R)
    log_tfp += np.log(1.0 + pa.tfp[t] + dr.tfp_shift[d0])
    K0 = np.where(sy.K0 > 0.0, sy.K0, 1.0)
    places = (sy.jobs0[None, :] * np.where((sy.K0 > 0.0)[None, :], K / K0[None, :], 1.0)).reshape(D, R, S).sum(axis=2)
    lab[...] = np.minimum(pa.workforce[None, :, t], places) / pa.workforce[None, :, 0]
    valid = (sy.K0 > 0.0) & (sy.x0 > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # a NaN is a status (NON_FINITE), not a warning
        log_labour = np.log(lab)[:, region_of]  # (D, n)
        growth = 1.0 + pa.gx[region_of, sector_of, t][None, :] + dr.export_shift[d0][:, region_of, t]
        x_cum *= growth
        log_x_cum += np.log(growth)
        log_cap = np.where(
            valid[None, :],
            log_tfp[:, None]
            + sy.alpha[None, :] * (np.log(K) - sy.log_K0[None, :])
            + (1.0 - sy.alpha[None, :]) * log_labour,
            0.0,
        )
        cap[...] = np.exp(log_cap)
        rho[...] = np.where(valid[None, :], np.exp(dr.supply_elasticity[d0][:, None] * (log_cap - log_x_cum)), 1.0)
    # last year's capital set this year's capacity; now this year's investment is added
    K[...] = (1.0 - dr.depreciation[d0])[:, None] * K + pa.phi * invest[:, region_of] * pa.theta.reshape(-1)[None, :]


def capacity_overflow(
    sy, dr, d, x, cap, over, x_free=None, cap_abs=None, in_b=None, idx=None, G_small=None, rhs=None, sol=None, GT=None
):
    """Twin of :func:`simcore.model.kernels.capacity_overflow` for draws ``d`` at once; x, cap, over (D, n),
    x and over in place; returns
    (D,) status codes.  The same block principal pivoting, one draw at a time, always from the empty set
    (the kernel warm-starts from last year's binding set; the solution is unique); the kernel's scratch
    arrays are not needed."""
    D, n = x.shape
    valid = (sy.K0 > 0.0) & (sy.x0 > 0.0)
    cap = (1.0 + dr.utilisation_margin[d])[:, None] * sy.x0[None, :] * cap
    code = np.full(D, OK)
    over[...] = 0.0
    for k in range(D):
        x_free = x[k].copy()
        in_b = np.zeros(n, bool)
        for _ in range(CAPACITY_ITERATIONS):
            add = valid & ~in_b & (x[k] > cap[k] * (1.0 + CAPACITY_TOLERANCE))
            drop = in_b & (over[k] < 0.0)
            if not (add.any() or drop.any()):
                break
            in_b = (in_b | add) & ~drop
            B = np.flatnonzero(in_b)
            over[k] = 0.0
            e = np.linalg.solve(sy.G[np.ix_(B, B)], x_free[B] - cap[k, B]) if B.size else np.zeros(0)
            over[k, B] = e
            x[k] = x_free - sy.G[:, B] @ e
        else:
            code[k] = CAPACITY_UNRESOLVED
    return code


def labour_demand(sy, x, lab, cap, jobs):
    """Twin of :func:`simcore.model.kernels.labour_demand`; x, cap (D, n), lab, jobs (D, R), jobs in place."""
    R, S = _dims(sy)
    D = x.shape[0]
    region_of = np.repeat(np.arange(R), S)
    x0 = np.where(sy.x0 > 0.0, sy.x0, 1.0)
    with_capital = sy.jobs0[None, :] * lab[:, region_of] * x / (x0[None, :] * cap)
    without = sy.jobs0[None, :] * x / x0[None, :]
    cell = np.where((sy.x0 > 0.0)[None, :], np.where((sy.K0 > 0.0)[None, :], with_capital, without), 0.0)
    jobs[...] = cell.reshape(D, R, S).sum(axis=2)


def consumption(sy, x, cons):
    """Twin of :func:`simcore.model.kernels.consumption`; x (D, n), cons (D, R) in place."""
    cons[...] = x @ sy.cons_w.T


def outside_demand(sy, x_cum, rho, f):
    """Twin of :func:`simcore.model.kernels.outside_demand`; f (D, n) in place."""
    f += sy.E0[None, :] * x_cum * rho


def investment_demand(sy, pa, invest, gdp_prev, rho, f):
    """Twin of :func:`simcore.model.kernels.investment_demand`; invest, gdp_prev (D, R); f (D, n)."""
    R, S = _dims(sy)
    D = f.shape[0]
    rho3 = rho.reshape(D, R, S)
    for kind in range(2):
        if kind == 0:
            demand = (pa.phi * invest)[:, :, None] * sy.gfcf_mix[None, :, :]  # (D, R_to, S)
            share = sy.gfcf_share
        else:
            demand = (sy.inv0[None, :] * gdp_prev / sy.gdp0[None, :])[:, :, None] * sy.inv_mix[None, :, :]
            share = sy.inv_share
        weighted = share[None, :, :, :] * rho3[:, :, None, :]  # (D, q, r_to, i)
        total = weighted.sum(axis=1)  # (D, r_to, i)
        scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
        add = (weighted * (demand * scale)[:, None, :, :]).sum(axis=2)  # (D, q, i)
        f += add.reshape(D, R * S)
    f += (sy.disc0.reshape(R, S)[None, :, :] * (gdp_prev / sy.gdp0[None, :])[:, :, None]).reshape(D, R * S)


def substitution(sy, pa, t, eff_cum, x_prev, cons_prev, sv, f):
    """Twin of :func:`simcore.model.kernels.substitution`; eff_cum (D, S1), x_prev (D, n), cons_prev, sv
    (D, R), f (D, n); sv and f in place."""
    R, S = _dims(sy)
    D = f.shape[0]
    sector_of = np.tile(np.arange(S), R)
    fossil = sy.e0[:, COAL] + sy.e0[:, OIL] + sy.e0[:, GAS]  # (n,)
    not_power = sector_of != sy.power
    extra_cells = pa.elec[sector_of, t][None, :] * fossil[None, :] * eff_cum[:, sector_of] * x_prev * not_power
    extra = extra_cells.reshape(D, R, S).sum(axis=2)
    residential = (
        (sy.e_h0[:, COAL] + sy.e_h0[:, OIL] + sy.e_h0[:, GAS])[None, :]
        * household_factor(cons_prev, pa.pop[None, :, t], sy.pop0[None, :], sy.C0[None, :], pa.eps_h)
        * eff_cum[:, S][:, None]
    )
    sv[...] = (extra + pa.elec[S, t] * residential) * pa.r_e / sy.eps_p
    f[:, np.arange(R) * S + sy.power] += sv @ sy.power_w.T
    for k in range(N_FOSSIL):
        f[:, np.arange(R) * S + sy.fuel_sectors[k]] -= (sv @ sy.fuel_w[:, :, k].T) * pa.fuel_offset


def share_targets(sy, pa, t, x, A_small, rhs, lam, x_cum, rho, codes=None):
    """Twin of :func:`simcore.model.kernels.share_targets`; x (D, n) and lam (D, k) in place; returns (D,)
    status codes (also into ``codes`` when given).  ``A_small`` and ``rhs`` are the kernel's scratch arrays;
    the twin builds its own."""
    result = _share_targets(sy, pa, t, x, lam, x_cum, rho)
    if codes is not None:
        codes[...] = result
    return result


def _share_targets(sy, pa, t, x, lam, x_cum, rho):
    D = x.shape[0]
    m = pa.t_num.shape[0]
    k_all = pa.t_resp.shape[0]
    if m == 0:
        return np.full(D, OK)
    num = x @ pa.t_num.T  # (D, m)
    den = x @ pa.t_den.T
    b = np.concatenate([pa.t_path[None, :, t] * den - num, np.zeros((D, k_all - m))], axis=1)
    A = np.concatenate([pa.t_tn - pa.t_path[:, t, None] * pa.t_td, pa.t_td[: k_all - m]], axis=0)  # (k, k)
    lam[...] = np.linalg.solve(np.broadcast_to(A, (D,) + A.shape), b[:, :, None])[:, :, 0]
    x += lam @ pa.t_resp
    base = pa.t_pat.sum(axis=1)  # (k,)
    level = np.divide((x_cum * rho) @ pa.t_pat.T, base[None, :], out=np.zeros_like(lam), where=base > 0)
    unreachable = (lam[:, :m] < -level[:, :m]).any(axis=1) | (lam[:, m:] > level[:, m:]).any(axis=1)
    return np.where(unreachable, TARGET_UNREACHABLE, OK)


def accounting(sy, pa, d0, t, x, K, eff_cum, grid_t, cons, sv, out, codes=None):
    """Twin of :func:`simcore.model.kernels.accounting` for the draws ``d0`` (an index array) at once;
    x, K (D, n), eff_cum (D, S1), grid_t (D,), cons, sv (D, R); returns (D,) status codes (also into
    ``codes`` when given)."""
    result = _accounting(sy, pa, d0, t, x, K, eff_cum, grid_t, cons, sv, out)
    if codes is not None:
        codes[...] = result
    return result


def _accounting(sy, pa, d, t, x, K, eff_cum, grid_t, cons, sv, out):
    D, n = x.shape
    R, S = _dims(sy)
    tol = NEGATIVE_TOLERANCE
    sector_of = np.arange(n) % S
    is_power = sector_of == sy.power
    out.va[d, t] = sy.v * x
    out.capital[d, t] = K
    scale = x * eff_cum[:, sector_of]
    fuels = sy.e0[None, :, :] * scale[:, :, None]  # (D, n, 3)
    nonfossil = sy.nf0[None, :] * scale + np.where(is_power[None, :], fuels.sum(axis=2) * (1.0 - grid_t[:, None]), 0.0)
    keep = np.where(is_power[None, :], grid_t[:, None], 1.0 - pa.elec[sector_of, t][None, :])
    fuels = fuels * keep[:, :, None]
    switched = fuels[:, :, COAL] * pa.c2g[sector_of, t][None, :]
    fuels[:, :, COAL] -= switched
    fuels[:, :, GAS] += switched
    inflow = sy.inflow0[None, :] * x * eff_cum[:, sy.power][:, None]
    process = sy.proc0[None, :] * x
    cell_co2 = fuels * sy.ef[None, :, :]

    h = (
        household_factor(cons, pa.pop[None, :, t], sy.pop0[None, :], sy.C0[None, :], pa.eps_h) * eff_cum[:, S][:, None]
    )  # (D, R)
    hh = sy.e_h0[None, :, :] * h[:, :, None] * (1.0 - pa.elec[S, t])  # (D, R, 3)
    switched = hh[:, :, COAL] * pa.c2g[S, t]
    hh[:, :, COAL] -= switched
    hh[:, :, GAS] += switched
    outside = 1.0 - sy.power_w.sum(axis=0)  # (R,)
    inflow_h = (sy.inflow_h0[None, :] * cons / sy.C0[None, :] + sv * outside[None, :] * sy.eps_p) * eff_cum[
        :, sy.power
    ][:, None]
    hh_co2 = hh * sy.ef_h[None, None, :]

    by_region = lambda a: a.reshape(D, R, S).sum(axis=2)  # noqa: E731
    for k in range(N_FOSSIL):
        out.energy[d, t, :, k] = by_region(fuels[:, :, k]) + hh[:, :, k]
        out.co2[d, t, :, k] = by_region(cell_co2[:, :, k]) + hh_co2[:, :, k]
    out.energy[d, t, :, NONFOSSIL] = by_region(nonfossil)
    out.energy[d, t, :, INFLOW] = by_region(inflow) + inflow_h
    out.co2[d, t, :, PROCESS] = by_region(process)
    out.energy_cell[d, t, :, :S] = (fuels.sum(axis=2) + nonfossil + inflow).reshape(D, R, S)
    out.energy_cell[d, t, :, S] = hh.sum(axis=2) + inflow_h
    out.co2_cell[d, t, :, :S] = (cell_co2.sum(axis=2) + process).reshape(D, R, S)
    out.co2_cell[d, t, :, S] = hh_co2.sum(axis=2)

    code = np.full(D, OK)
    code = np.where((x < -tol * (1.0 + sy.x0[None, :])).any(axis=1), NEGATIVE_OUTPUT, code)
    energy_min = np.minimum(np.minimum(fuels.min(axis=2), nonfossil).min(axis=1), inflow.min(axis=1))
    energy_min = np.minimum(energy_min, np.minimum(hh.min(axis=(1, 2)), inflow_h.min(axis=1)))
    code = np.where(energy_min < -tol, np.maximum(code, NEGATIVE_ENERGY), code)
    co2_min = np.minimum(np.minimum(cell_co2.min(axis=(1, 2)), process.min(axis=1)), hh_co2.min(axis=(1, 2)))
    code = np.where(co2_min < -tol, np.maximum(code, NEGATIVE_CO2), code)
    finite = (
        np.isfinite(x).all(axis=1)
        & np.isfinite(K).all(axis=1)
        & np.isfinite(fuels).all(axis=(1, 2))
        & np.isfinite(cell_co2).all(axis=(1, 2))
        & np.isfinite(inflow).all(axis=1)
        & np.isfinite(hh).all(axis=(1, 2))
        & np.isfinite(inflow_h).all(axis=1)
    )
    return np.where(finite, code, NON_FINITE)


def _fail(out, d, t, code):
    """Twin of the kernel's ``_fail``: keep each draw's worst status, its first status and first failing year."""
    new = (code != OK) & (out.status[d] == OK)
    out.fail_year[d[new]] = t
    out.first_status[d[new]] = np.broadcast_to(code, d.shape)[new]
    out.status[d] = np.maximum(out.status[d], code)


def simulate(sy, pa, dr, out):
    """Twin of :func:`simcore.model.kernels.simulate`: every draw at once, year by year (the solve by LU
    factors, where the kernel multiplies by ``M^-1``)."""
    D = dr.depreciation.shape[0]
    R, S = _dims(sy)
    n = R * S
    T = pa.fai.shape[1]
    d = np.arange(D)
    out.status[:] = OK
    out.first_status[:] = OK
    out.fail_year[:] = -1
    x_prev = np.tile(sy.x0, (D, 1))
    K = np.tile(sy.K0, (D, 1))
    x_cum = np.ones((D, n))
    log_x_cum = np.zeros((D, n))
    cap = np.ones((D, n))
    log_tfp = np.zeros(D)
    rho = np.ones((D, n))
    eff_cum = np.ones((D, S + 1))
    gdp_prev = np.tile(sy.gdp0, (D, 1))
    cons_prev = np.tile(sy.C0, (D, 1))
    lab = np.ones((D, R))
    sv = np.zeros((D, R))
    out.fai[:, 0] = pa.fai[None, :, 0] * dr.fai_multiplier[:, :, 0]
    out.jobs[:, 0] = pa.workforce[:, 0]
    _fail(out, d, 0, accounting(sy, pa, d, 0, x_prev, K, eff_cum, np.full(D, pa.grid[0]), cons_prev, sv, out))
    for t in range(1, T):
        eff_cum = eff_cum * (1.0 - pa.eff[None, :, t] * dr.efficiency_multiplier[:, None])
        eff_now = eff_cum * np.exp(-dr.energy_price_elasticity * pa.log_energy_price[t])[:, None]
        invest = (
            pa.fai[None, :, t] * dr.fai_multiplier[:, :, t] * pa.realisation[t] * dr.realisation_multiplier[:, None]
        )  # (D, R)
        out.fai[:, t] = invest
        capacity_and_shares(sy, pa, dr, d, t, invest, K, x_cum, log_x_cum, log_tfp, rho, lab, cap)
        f = np.zeros((D, n))
        outside_demand(sy, x_cum, rho, f)
        investment_demand(sy, pa, invest, gdp_prev, rho, f)
        substitution(sy, pa, t, eff_now, x_prev, cons_prev, sv, f)
        F = np.ascontiguousarray(f.T)
        lu_solve_block(sy.LU, sy.piv, F)
        x = np.ascontiguousarray(F.T)
        over = np.zeros((D, n))
        _fail(out, d, t, capacity_overflow(sy, dr, d, x, cap, over))
        out.overflow[:, t] = over.reshape(D, R, S).sum(axis=2)
        lam = np.zeros((D, pa.t_resp.shape[0]))
        _fail(out, d, t, share_targets(sy, pa, t, x, None, None, lam, x_cum, rho))
        out.target_shift[:, t] = lam
        gdp_prev = (sy.v[None, :] * x).reshape(D, R, S).sum(axis=2)
        consumption(sy, x, cons_prev)
        grid_t = np.clip(1.0 - (1.0 - pa.grid[t]) * dr.grid_multiplier, 0.0, 1.0)  # a share, whatever the draw
        _fail(out, d, t, accounting(sy, pa, d, t, x, K, eff_now, grid_t, cons_prev, sv, out))
        jobs = np.zeros((D, R))
        labour_demand(sy, x, lab, cap, jobs)
        out.jobs[:, t] = jobs
        x_prev = x


def simulate_loop(sy, pa, dr, out):
    """The plain per-draw loop: :func:`simulate` called once per draw (benchmarks only)."""
    for k in range(dr.depreciation.shape[0]):
        one = slice(k, k + 1)
        simulate(sy, pa, type(dr)(*(a[one] for a in dr)), type(out)(*(a[one] for a in out)))
