"""Numba kernels of the projection model.  Imports numpy and numba only.

Symbols (docs/model.md explains the model): ``n = R * S`` region-sector cells indexed ``r * S + i``;
``T`` years (2020 = index 0); ``D`` draws.  ``LU``/``piv`` factorise ``M = I - A - H`` (technical
coefficients inside Tianjin plus the household and government consumption closure); ``v`` is value
added per unit of gross output; ``x`` gross output; ``f`` exogenous final demand (exports out of
Tianjin, capital formation, inventory change, input-substitution shifts).

Every kernel has a NumPy twin in ``simcore/reference.py`` with the same signature.  The batch kernel
runs ``prange`` over blocks of draws; nothing is reduced across draws, so results do not depend on the
thread count.  Kernels never draw random numbers; failures come back as integer status codes:

* 0 ok; 1 a share target needs exports cut below zero; 2 negative gross output; 3 non-finite values.
"""


import numpy as np
from numba import njit, prange

BLOCK = 64


@njit(cache=True)
def lu_solve_block(LU, piv, F):
    """Solve ``M X = F`` in place for a block of right-hand sides.

    LU : (n, n) LAPACK-style combined factors (unit lower L below the diagonal, U on and above).
    piv : (n,) int64; row ``i`` was interchanged with row ``piv[i]`` (applied in order).
    F : (n, B) right-hand sides, overwritten with the solutions.
    """
    n, B = F.shape
    for i in range(n):
        p = piv[i]
        if p != i:
            for b in range(B):
                tmp = F[i, b]
                F[i, b] = F[p, b]
                F[p, b] = tmp
    for i in range(n):
        for j in range(i):
            lij = LU[i, j]
            if lij != 0.0:
                for b in range(B):
                    F[i, b] -= lij * F[j, b]
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            uij = LU[i, j]
            if uij != 0.0:
                for b in range(B):
                    F[i, b] -= uij * F[j, b]
        diag = LU[i, i]
        for b in range(B):
            F[i, b] /= diag


@njit(cache=True)
def solve_small(Mat, rhs):
    """Solve a small dense system by Gaussian elimination with partial pivoting."""
    m = rhs.shape[0]
    a = Mat.copy()
    y = rhs.copy()
    for k in range(m):
        p = k
        best = abs(a[k, k])
        for i in range(k + 1, m):
            if abs(a[i, k]) > best:
                best = abs(a[i, k])
                p = i
        if p != k:
            for j in range(m):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
            tmp = y[k]
            y[k] = y[p]
            y[p] = tmp
        for i in range(k + 1, m):
            factor = a[i, k] / a[k, k]
            for j in range(k, m):
                a[i, j] -= factor * a[k, j]
            y[i] -= factor * y[k]
    out = np.empty(m)
    for i in range(m - 1, -1, -1):
        acc = y[i]
        for j in range(i + 1, m):
            acc -= a[i, j] * out[j]
        out[i] = acc / a[i, i]
    return out


@njit(cache=True)
def household_factor(gdp, c_rate, pop_t, pop_0, C0, eps_h):
    """Residential energy driver relative to 2020: residents x (consumption per resident)^eps_h."""
    per_capita = (c_rate * gdp / pop_t) / (C0 / pop_0)
    return (pop_t / pop_0) * per_capita ** eps_h


@njit(cache=True)
def record(d, t, x, v, K, power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum, elec_t, c2g_t,
           grid_t, gdp, c_hh, pop0, pop_t, C0, eps_h, sv, power_w, eps_p,
           va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out):
    """Value added, capital, energy and CO2 of one draw and year into the output arrays.

    Energy by fuel (``energy_out[..., k]``): 0 coal, 1 oil, 2 gas, 3 non-fossil, 4 electricity received
    from outside Tianjin; CO2 (``co2_out[..., k]``): 0 coal, 1 oil, 2 gas, 3 process.
    ``energy_cell_out`` and ``co2_cell_out`` hold each sector's total and, at index S, the households'.
    """
    n = x.shape[0]
    R = pop0.shape[0]
    S = n // R
    for r in range(R):
        for k in range(5):
            energy_out[d, t, r, k] = 0.0
        for k in range(4):
            co2_out[d, t, r, k] = 0.0
        for i in range(S):
            c = r * S + i
            va_out[d, t, c] = v[c] * x[c]
            k_out[d, t, c] = K[c]
            scale = x[c] * eff_cum[i]
            coal = e0[c, 0] * scale
            oil = e0[c, 1] * scale
            gas = e0[c, 2] * scale
            nonfossil = nf0[c] * scale
            if i == power:
                nonfossil += (coal + oil + gas) * (1.0 - grid_t)
                coal *= grid_t
                oil *= grid_t
                gas *= grid_t
            else:
                keep = 1.0 - elec_t[i]
                coal *= keep
                oil *= keep
                gas *= keep
            switched = coal * c2g_t[i]
            coal -= switched
            gas += switched
            inflow = inflow0[c] * x[c] * eff_cum[power]
            energy_out[d, t, r, 0] += coal
            energy_out[d, t, r, 1] += oil
            energy_out[d, t, r, 2] += gas
            energy_out[d, t, r, 3] += nonfossil
            energy_out[d, t, r, 4] += inflow
            energy_cell_out[d, t, r, i] = coal + oil + gas + nonfossil + inflow
            c_coal = coal * ef[c, 0]
            c_oil = oil * ef[c, 1]
            c_gas = gas * ef[c, 2]
            c_proc = proc0[c] * x[c]
            co2_out[d, t, r, 0] += c_coal
            co2_out[d, t, r, 1] += c_oil
            co2_out[d, t, r, 2] += c_gas
            co2_out[d, t, r, 3] += c_proc
            co2_cell_out[d, t, r, i] = c_coal + c_oil + c_gas + c_proc
        h = household_factor(gdp[r], c_hh[r], pop_t[r], pop0[r], C0[r], eps_h) * eff_cum[S]
        keep = 1.0 - elec_t[S]
        coal = e_h0[r, 0] * h * keep
        oil = e_h0[r, 1] * h * keep
        gas = e_h0[r, 2] * h * keep
        switched = coal * c2g_t[S]
        coal -= switched
        gas += switched
        outside = 1.0
        for q in range(R):
            outside -= power_w[q, r]
        inflow = (inflow_h0[r] * c_hh[r] * gdp[r] / C0[r] + sv[r] * outside * eps_p) * eff_cum[power]
        energy_out[d, t, r, 0] += coal
        energy_out[d, t, r, 1] += oil
        energy_out[d, t, r, 2] += gas
        energy_out[d, t, r, 4] += inflow
        energy_cell_out[d, t, r, S] = coal + oil + gas + inflow
        co2_out[d, t, r, 0] += coal * ef_h[0]
        co2_out[d, t, r, 1] += oil * ef_h[1]
        co2_out[d, t, r, 2] += gas * ef_h[2]
        co2_cell_out[d, t, r, S] = coal * ef_h[0] + oil * ef_h[1] + gas * ef_h[2]


@njit(cache=True, parallel=True)
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
    """Project every draw from 2020 to the last year (the batch kernel; D = 1 is the deterministic run).

    Shapes (n = R * S cells, m share targets, T years, D draws):

    * system: LU (n, n), piv (n,) int64, v, x0, K0, alpha, E0, nf0, inflow0, proc0 (n,); gfcf_mix, inv_mix
      (R, S); gfcf_share, inv_share (R_from, R_to, S); inv0, gdp0, c_hh, pop0, C0, inflow_h0 (R,);
      power (int); fuel_sectors (3,) int64; power_w (R_from, R_to); fuel_w (R_from, R_to, 3); eps_p (float);
      e0, ef (n, 3); e_h0 (R, 3); ef_h (3,);
    * targets: t_num, t_den, t_resp (m, n); t_tn, t_td (m, m); t_path (m, T);
    * paths: fai (R, T); theta (R, S); gx (R, S, T); pop (R, T); tfp, grid, realisation (T,);
      eff, elec, c2g (S + 1, T), households last; phi, r_e, eps_h, fuel_offset (float);
    * draws: dep_d, eta_d, tfp_shift_d, eff_mult_d, grid_mult_d, real_mult_d (D,); export_shift_d (D, R, T);
    * outputs: va_out, k_out (D, T, n); energy_cell_out, co2_cell_out (D, T, R, S + 1); energy_out
      (D, T, R, 5); co2_out (D, T, R, 4); fai_out (D, T, R); status (D,) int64.
    """
    D = dep_d.shape[0]
    n = v.shape[0]
    R = pop0.shape[0]
    S = n // R
    T = fai.shape[1]
    m = t_num.shape[0]
    n_block = (D + BLOCK - 1) // BLOCK
    for blk in prange(n_block):
        d_first = blk * BLOCK
        B = min(BLOCK, D - d_first)
        F = np.zeros((n, B))  # right-hand sides, cell-major for the block solve
        Fd = np.zeros((B, n))  # the same, draw-major while each draw's demand is assembled
        log_k0 = np.empty(n)
        for c in range(n):
            log_k0[c] = np.log(K0[c]) if K0[c] > 0.0 else 0.0
        x_prev = np.empty((B, n))
        x = np.empty(n)
        K = np.empty((B, n))
        rho = np.empty((B, n))
        log_x_cum = np.zeros((B, n))  # log of the outside-demand index of each cell
        log_tfp = np.zeros(B)
        eff_cum = np.ones((B, S + 1))
        gdp_prev = np.empty((B, R))
        sv = np.zeros((B, R))
        A_small = np.empty((m, m))
        rhs = np.empty(m)
        for b in range(B):
            d = d_first + b
            status[d] = 0
            for c in range(n):
                x_prev[b, c] = x0[c]
                K[b, c] = K0[c]
            for r in range(R):
                gdp_prev[b, r] = gdp0[r]
                fai_out[d, 0, r] = fai[r, 0]
            record(d, 0, x0, v, K[b], power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum[b],
                   elec[:, 0], c2g[:, 0], grid[0], gdp0, c_hh, pop0, pop[:, 0], C0, eps_h, sv[b], power_w,
                   eps_p, va_out, k_out, energy_cell_out, energy_out, co2_out, co2_cell_out)
        for t in range(1, T):
            for b in range(B):
                d = d_first + b
                f = Fd[b]
                for c in range(n):
                    f[c] = 0.0
                log_tfp[b] += np.log(1.0 + tfp[t] + tfp_shift_d[d])
                for i in range(S + 1):
                    eff_cum[b, i] *= 1.0 - eff[i, t] * eff_mult_d[d]
                eta = eta_d[d]
                for r in range(R):
                    invest = fai[r, t] * realisation[t] * real_mult_d[d]
                    fai_out[d, t, r] = invest
                    log_labour = np.log(pop[r, t] / pop[r, 0])
                    for i in range(S):
                        c = r * S + i
                        K[b, c] = (1.0 - dep_d[d]) * K[b, c] + phi * invest * theta[r, i]
                        log_x_cum[b, c] += np.log(1.0 + gx[r, i, t] + export_shift_d[d, r, t])
                        # market shares follow capacity relative to the outside demand it faces
                        if K0[c] > 0.0 and x0[c] > 0.0:
                            log_capacity = (log_tfp[b] + alpha[c] * (np.log(K[b, c]) - log_k0[c])
                                            + (1.0 - alpha[c]) * log_labour)
                            rho[b, c] = np.exp(eta * (log_capacity - log_x_cum[b, c]))
                        else:
                            rho[b, c] = 1.0
                        f[c] += E0[c] * np.exp(log_x_cum[b, c]) * rho[b, c]
                for r_to in range(R):
                    g_total = phi * fai[r_to, t] * realisation[t] * real_mult_d[d]
                    i_total = inv0[r_to] * gdp_prev[b, r_to] / gdp0[r_to]
                    for i in range(S):
                        for kind in range(2):
                            demand = g_total * gfcf_mix[r_to, i] if kind == 0 else i_total * inv_mix[r_to, i]
                            if demand == 0.0:
                                continue
                            total = 0.0
                            for q in range(R):
                                share = gfcf_share[q, r_to, i] if kind == 0 else inv_share[q, r_to, i]
                                total += share * rho[b, q * S + i]
                            scale = 1.0 / total if total > 1.0 else 1.0
                            for q in range(R):
                                share = gfcf_share[q, r_to, i] if kind == 0 else inv_share[q, r_to, i]
                                f[q * S + i] += demand * share * rho[b, q * S + i] * scale
                for r in range(R):
                    extra = 0.0
                    for i in range(S):
                        if i != power:
                            c = r * S + i
                            extra += elec[i, t] * (e0[c, 0] + e0[c, 1] + e0[c, 2]) * eff_cum[b, i] * x_prev[b, c]
                    residential = (e_h0[r, 0] + e_h0[r, 1] + e_h0[r, 2]) * household_factor(
                        gdp_prev[b, r], c_hh[r], pop[r, t], pop0[r], C0[r], eps_h) * eff_cum[b, S]
                    extra += elec[S, t] * residential
                    sv[b, r] = extra * r_e / eps_p
                for q in range(R):
                    for r in range(R):
                        f[q * S + power] += power_w[q, r] * sv[b, r]
                        for k in range(3):
                            f[q * S + fuel_sectors[k]] -= fuel_w[q, r, k] * sv[b, r] * fuel_offset
            for c in range(n):
                for b in range(B):
                    F[c, b] = Fd[b, c]
            lu_solve_block(LU, piv, F)
            for b in range(B):
                d = d_first + b
                for c in range(n):
                    x[c] = F[c, b]
                if m > 0:
                    for l in range(m):
                        num = 0.0
                        den = 0.0
                        for c in range(n):
                            num += t_num[l, c] * x[c]
                            den += t_den[l, c] * x[c]
                        rhs[l] = t_path[l, t] * den - num
                        for k in range(m):
                            A_small[l, k] = t_tn[l, k] - t_path[l, t] * t_td[l, k]
                    lam = solve_small(A_small, rhs)
                    for k in range(m):
                        if lam[k] < -1.0:
                            status[d] = max(status[d], 1)
                        for c in range(n):
                            x[c] += lam[k] * t_resp[k, c]
                for c in range(n):
                    if not np.isfinite(x[c]):
                        status[d] = 3
                    elif x[c] < -1e-9 * (1.0 + x0[c]):
                        status[d] = max(status[d], 2)
                for r in range(R):
                    total = 0.0
                    for i in range(S):
                        total += v[r * S + i] * x[r * S + i]
                    gdp_prev[b, r] = total
                record(d, t, x, v, K[b], power, e0, ef, nf0, inflow0, proc0, e_h0, ef_h, inflow_h0, eff_cum[b],
                       elec[:, t], c2g[:, t], min(1.0, max(0.0, 1.0 - (1.0 - grid[t]) * grid_mult_d[d])), gdp_prev[b], c_hh, pop0,
                       pop[:, t], C0, eps_h, sv[b], power_w, eps_p, va_out, k_out, energy_cell_out, energy_out,
                       co2_out, co2_cell_out)
                for c in range(n):
                    x_prev[b, c] = x[c]
