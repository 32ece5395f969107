"""Pure-NumPy twins of the kernels in :mod:`simcore.kernels`, same signatures and semantics.

They are vectorised over draws (the "best NumPy" reference of the benchmarks) and are the ground truth
the kernels are tested against.  ``simulate_loop`` is the plain per-draw loop most economists would
write, kept for the benchmarks.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg


def lu_solve_block(LU, piv, F):
    """Twin of :func:`simcore.kernels.lu_solve_block` (in place)."""
    F[...] = scipy.linalg.lu_solve((LU, piv), F, check_finite=False)


def solve_small(Mat, rhs):
    """Twin of :func:`simcore.kernels.solve_small`."""
    return np.linalg.solve(Mat, rhs)


def household_factor(gdp, c_rate, pop_t, pop_0, C0, eps_h):
    """Twin of :func:`simcore.kernels.household_factor` (broadcasts)."""
    per_capita = (c_rate * gdp / pop_t) / (C0 / pop_0)
    return (pop_t / pop_0) * per_capita ** eps_h


def _record(t, x, v, K, power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum, elec_t, c2g_t,
            grid_t, gdp, c_hh, pop0, pop_t, C0, eps_h, sv, power_w, eps_p,
            va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out):
    """Vectorised twin of :func:`simcore.kernels.record` for all draws; x (D, n), grid_t (D,)."""
    D, n = x.shape
    R = pop0.shape[0]
    S = n // R
    va_out[:, t] = v * x
    k_out[:, t] = K
    eff_cell = np.tile(eff_cum[:, :S], (1, R))  # (D, n)
    scale = x * eff_cell
    fuels = e0[None, :, :] * scale[:, :, None]  # (D, n, 3)
    nonfossil = nf0[None, :] * scale
    is_power = (np.arange(n) % S) == power
    sector = np.arange(n) % S
    keep = np.where(is_power[None, :], grid_t[:, None], 1.0 - elec_t[sector][None, :])
    fossil_sum = fuels.sum(axis=2)
    nonfossil = nonfossil + np.where(is_power[None, :], fossil_sum * (1.0 - grid_t[:, None]), 0.0)
    fuels = fuels * keep[:, :, None]
    switched = fuels[:, :, 0] * c2g_t[sector][None, :]
    fuels[:, :, 0] -= switched
    fuels[:, :, 2] += switched
    inflow = inflow0[None, :] * x * eff_cum[:, power][:, None]
    cell_total = fuels.sum(axis=2) + nonfossil + inflow
    energy_cell_out[:, t, :, :S] = cell_total.reshape(D, R, S)
    by_region = lambda a: a.reshape(D, R, S).sum(axis=2)  # noqa: E731
    for k in range(3):
        energy_out[:, t, :, k] = by_region(fuels[:, :, k])
        co2_out[:, t, :, k] = by_region(fuels[:, :, k] * ef[None, :, k])
    energy_out[:, t, :, 3] = by_region(nonfossil)
    energy_out[:, t, :, 4] = by_region(inflow)
    co2_out[:, t, :, 3] = by_region(proc0[None, :] * x)
    cell_co2 = (fuels * ef[None, :, :]).sum(axis=2) + proc0[None, :] * x
    co2_cell_out[:, t, :, :S] = cell_co2.reshape(D, R, S)

    h = household_factor(gdp, c_hh[None, :], pop_t[None, :], pop0[None, :], C0[None, :], eps_h) \
        * eff_cum[:, S][:, None]  # (D, R)
    hh = e_h0[None, :, :] * (h * (1.0 - elec_t[S]))[:, :, None]  # (D, R, 3)
    switched = hh[:, :, 0] * c2g_t[S]
    hh[:, :, 0] -= switched
    hh[:, :, 2] += switched
    outside = 1.0 - power_w.sum(axis=0)  # (R,)
    inflow_h = (inflow_h0[None, :] * c_hh[None, :] * gdp / C0[None, :] + sv * outside[None, :] * eps_p) \
        * eff_cum[:, power][:, None]
    for k in range(3):
        energy_out[:, t, :, k] += hh[:, :, k]
        co2_out[:, t, :, k] += hh[:, :, k] * ef_h[k]
    energy_out[:, t, :, 4] += inflow_h
    energy_cell_out[:, t, :, S] = hh.sum(axis=2) + inflow_h
    co2_cell_out[:, t, :, S] = (hh * ef_h[None, None, :]).sum(axis=2)


def simulate(
        LU, piv, v, x0, K0, alpha, E0,
        gfcf_mix, gfcf_share, inv_mix, inv_share, inv0, gdp0, c_hh, pop0,
        power, fuel_sectors, power_w, fuel_w, eps_p,
        e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, C0,
        t_num, t_den, t_resp, t_tn, t_td, t_path,
        fai, theta, gx, pop, tfp, eff, elec, c2g, grid, realisation,
        phi, r_e, eps_h, fuel_offset,
        dep_d, eta_d, tfp_shift_d, export_shift_d, eff_mult_d, grid_mult_d, real_mult_d,
        va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out, fai_out, status):
    """Twin of :func:`simcore.kernels.simulate`: every draw at once, year by year."""
    D = dep_d.shape[0]
    n = v.shape[0]
    R = pop0.shape[0]
    S = n // R
    T = fai.shape[1]
    m = t_num.shape[0]
    status[:] = 0
    x_prev = np.tile(x0, (D, 1))
    K = np.tile(K0, (D, 1))
    x_cum = np.ones((D, n))
    tfp_cum = np.ones(D)
    eff_cum = np.ones((D, S + 1))
    gdp_prev = np.tile(gdp0, (D, 1))
    sv = np.zeros((D, R))
    fai_out[:, 0] = fai[:, 0]
    _record(0, x_prev, v, K, power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum, elec[:, 0],
            c2g[:, 0], np.full(D, grid[0]), gdp_prev, c_hh, pop0, pop[:, 0], C0, eps_h, sv, power_w, eps_p,
            va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out)
    region_of = np.repeat(np.arange(R), S)
    sector_of = np.tile(np.arange(S), R)
    valid = (K0 > 0) & (x0 > 0)
    for t in range(1, T):
        eff_cum = eff_cum * (1.0 - eff[None, :, t] * eff_mult_d[:, None])
        invest = fai[None, :, t] * realisation[t] * real_mult_d[:, None]  # (D, R)
        fai_out[:, t] = invest
        labour = pop[:, t] / pop[:, 0]
        tfp_cum = tfp_cum * (1.0 + tfp[t] + tfp_shift_d)
        K = (1.0 - dep_d[:, None]) * K + phi * invest[:, region_of] * theta.reshape(-1)[None, :]
        x_cum = x_cum * (1.0 + gx[region_of, sector_of, t][None, :] + export_shift_d[:, region_of, t])
        with np.errstate(divide="ignore", invalid="ignore"):
            capacity = tfp_cum[:, None] * (K / np.where(valid, K0, 1.0)) ** alpha[None, :] \
                * labour[region_of][None, :] ** (1.0 - alpha[None, :])
            rho = np.where(valid[None, :], (capacity / x_cum) ** eta_d[:, None], 1.0)
        F = E0[None, :] * x_cum * rho

        rho3 = rho.reshape(D, R, S)
        for kind in range(2):
            if kind == 0:
                demand = (phi * invest)[:, :, None] * gfcf_mix[None, :, :]  # (D, R_to, S)
                share = gfcf_share
            else:
                demand = (inv0[None, :] * gdp_prev / gdp0[None, :])[:, :, None] * inv_mix[None, :, :]
                share = inv_share
            weighted = share[None, :, :, :] * rho3[:, :, None, :]  # (D, q, r_to, i)
            total = weighted.sum(axis=1)  # (D, r_to, i)
            scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
            add = (weighted * (demand * scale)[:, None, :, :]).sum(axis=2)  # (D, q, i)
            F += add.reshape(D, n)

        fossil = e0.sum(axis=1)  # (n,)
        not_power = sector_of != power
        extra_cells = elec[sector_of, t][None, :] * fossil[None, :] * eff_cum[:, sector_of] * x_prev * not_power
        extra = extra_cells.reshape(D, R, S).sum(axis=2)
        residential = e_h0.sum(axis=1)[None, :] * household_factor(
            gdp_prev, c_hh[None, :], pop[None, :, t], pop0[None, :], C0[None, :], eps_h) * eff_cum[:, S][:, None]
        extra = extra + elec[S, t] * residential
        sv = extra * r_e / eps_p  # (D, R)
        F[:, np.arange(R) * S + power] += sv @ power_w.T
        for k in range(3):
            F[:, np.arange(R) * S + fuel_sectors[k]] -= (sv @ fuel_w[:, :, k].T) * fuel_offset

        X = scipy.linalg.lu_solve((LU, piv), F.T, check_finite=False).T  # (D, n)
        if m > 0:
            num = X @ t_num.T  # (D, m)
            den = X @ t_den.T
            rhs = t_path[None, :, t] * den - num
            A_small = t_tn[None, :, :] - t_path[None, :, t, None] * t_td[None, :, :]
            lam = np.linalg.solve(A_small, rhs[:, :, None])[:, :, 0]
            status[(lam < -1.0).any(axis=1)] = np.maximum(status[(lam < -1.0).any(axis=1)], 1)
            X = X + lam @ t_resp
        finite = np.isfinite(X).all(axis=1)
        negative = (X < -1e-9 * (1.0 + x0[None, :])).any(axis=1)
        status[negative & finite] = np.maximum(status[negative & finite], 2)
        status[~finite] = 3
        gdp_prev = (v[None, :] * X).reshape(D, R, S).sum(axis=2)
        grid_t = np.clip(1.0 - (1.0 - grid[t]) * grid_mult_d, 0.0, 1.0)  # a share, whatever the draw
        _record(t, X, v, K, power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum, elec[:, t],
                c2g[:, t], grid_t, gdp_prev, c_hh, pop0, pop[:, t], C0, eps_h, sv, power_w, eps_p,
                va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out)
        x_prev = X


def simulate_loop(*args):
    """The plain per-draw loop: :func:`simulate` called once per draw (benchmarks only)."""
    *inputs, dep_d, eta_d, tfp_shift_d, export_shift_d, eff_mult_d, grid_mult_d, real_mult_d, \
        va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out, fai_out, status = args
    for d in range(dep_d.shape[0]):
        one = slice(d, d + 1)
        simulate(*inputs, dep_d[one], eta_d[one], tfp_shift_d[one], export_shift_d[one], eff_mult_d[one],
                 grid_mult_d[one], real_mult_d[one], va_out[one], k_out[one], energy_cell_out[one],
                 energy_out[one], co2_out[one], co2_cell_out[one], fai_out[one], status[one])
