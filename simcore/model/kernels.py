"""Numba kernels of the projection model.  Imports numpy and numba only.

Symbols (docs/model.md explains the model): ``n = R * S`` region-sector cells indexed ``r * S + i``;
``T`` years (2020 = index 0); ``D`` draws.  ``LU``/``piv`` factorise ``M = I - A - H`` (technical
coefficients inside Tianjin plus the household and government consumption closure); ``v`` is value
added per unit of gross output; ``x`` gross output; ``f`` exogenous final demand (exports out of
Tianjin, capital formation, inventory change, input-substitution shifts).

**The boundary.**  :func:`simulate` takes four namedtuples, ``sy`` (the 2020 system), ``pa`` (the
scenario's paths), ``dr`` (per-draw parameters) and ``out`` (outputs, written in place), whose fields are
declared once, with shape, dtype, unit and meaning, in :data:`simcore.model.boundary.BOUNDARY`; the
wrapper builds and checks them there.  Fields are read by name, so two same-shaped arrays cannot be
swapped by position.  Numba compiles namedtuples of arrays and scalars as records and ``cache=True``
still works: the cache is keyed by the argument types, and a namedtuple type is its (module-level,
importable) class plus its field types, so a fresh process finds the compiled kernel on disk.

**The steps.**  Each year of each draw runs the named steps below in order; every step has a twin of
the same name and parameters in :mod:`simcore.model.reference` (vectorised over draws) and a test:
:func:`capacity_and_shares`, :func:`outside_demand`, :func:`investment_demand`, :func:`substitution`,
the block Leontief solve :func:`lu_solve_block`, :func:`capacity_overflow`, :func:`share_targets`,
:func:`consumption`, :func:`accounting` and :func:`labour_demand`.

The batch kernel runs ``prange`` over blocks of draws; nothing is reduced across draws, so results do not
depend on the thread count.  Kernels never draw random numbers; failures come back as the status codes
below (the worst one per draw, with the first year it appeared in ``out.fail_year``), and the wrapper
raises them with the draw, year, region and variable.
"""

import numpy as np
from numba import njit, prange

BLOCK = 64

# status codes (per draw); larger is worse, a draw keeps its worst
OK = 0
TARGET_UNREACHABLE = 1  # a share target needs exports of the targeted sectors cut below zero
NEGATIVE_OUTPUT = 2  # gross output below zero
NEGATIVE_ENERGY = 3  # energy use of a fuel below zero
NEGATIVE_CO2 = 4  # CO2 of a source below zero
NON_FINITE = 5  # NaN or infinity anywhere in a year's outputs
CAPACITY_UNRESOLVED = 6  # the binding set of capacity_overflow did not settle

# positions along the fuel axis of out.energy and the source axis of out.co2; the order is that of
# simcore.baseline.tables.FUELS and CO2_SOURCES (a test keeps them in step)
COAL, OIL, GAS, NONFOSSIL, INFLOW = 0, 1, 2, 3, 4
PROCESS = 3
N_FUELS, N_SOURCES, N_FOSSIL = 5, 4, 3

NEGATIVE_TOLERANCE = 1e-9  # of output relative to (1 + 2020 output); of energy and CO2 in their units

# binding capacity: at most this many rounds of block principal pivoting a year; a cell binds when its
# output exceeds its capacity (with the margin) by more than this relative tolerance
CAPACITY_ITERATIONS = 32
CAPACITY_TOLERANCE = 1e-12


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
def household_factor(cons, pop_t, pop_0, C0, eps_h):
    """Residential energy driver relative to 2020: residents x (consumption per resident)^eps_h.

    ``cons`` is the residents' household consumption this year (on their compensation, the Type II
    closure), ``C0`` its 2020 level.
    """
    per_capita = (cons / pop_t) / (C0 / pop_0)
    return (pop_t / pop_0) * per_capita**eps_h


@njit(cache=True)
def capacity_and_shares(sy, pa, dr, d, t, invest, K, log_x_cum, log_tfp, rho, lab, log_cap):
    """Capital, labour, capacity, outside demand index and market shares of one draw in year ``t``.

    invest, lab : (R,); K, log_x_cum, rho, log_cap : (n,); log_tfp : (1,); all but invest updated in
    place.  The labour a region's employers can use is the workforce commuting to it (``pa.workforce``)
    but no more than its workplaces, the 2020 jobs of each sector grown with last year's capital: residents
    raise capacity only as far as jobs follow.  ``lab`` is that labour relative to 2020.  Each cell's
    capacity (TFP, last year's capital and that labour, Cobb-Douglas with its capital share ``alpha``),
    ``log_cap`` relative to its 2020 output, against the outside demand it faces sets its market share
    ``rho = (capacity / outside demand)^eta`` (1 for cells without 2020 capital or output); then capital
    accumulates ``phi * invest * theta`` after depreciation, so investment adds capacity from the next year.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    log_tfp[0] += np.log(1.0 + pa.tfp[t] + dr.tfp_shift[d])
    eta = dr.supply_elasticity[d]
    for r in range(R):
        places = 0.0
        for i in range(S):
            c = r * S + i
            places += sy.jobs0[c] * (K[c] / sy.K0[c] if sy.K0[c] > 0.0 else 1.0)
        lab[r] = min(pa.workforce[r, t], places) / pa.workforce[r, 0]
        log_labour = np.log(lab[r])
        for i in range(S):
            c = r * S + i
            log_x_cum[c] += np.log(1.0 + pa.gx[r, i, t] + dr.export_shift[d, r, t])
            # capacity this year is last year's capital: investment adds capacity from the year after
            if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
                log_cap[c] = log_tfp[0] + sy.alpha[c] * (np.log(K[c]) - sy.log_K0[c]) + (1.0 - sy.alpha[c]) * log_labour
                rho[c] = np.exp(eta * (log_cap[c] - log_x_cum[c]))
            else:
                log_cap[c] = 0.0
                rho[c] = 1.0
            K[c] = (1.0 - dr.depreciation[d]) * K[c] + pa.phi * invest[r] * pa.theta[r, i]


@njit(cache=True)
def capacity_overflow(sy, dr, d, x, log_cap, over, x_free, cap, in_b, idx, G_small, rhs):
    """Meet demand beyond capacity from outside Tianjin; ``x`` and ``over`` (n,) in place.

    A cell with 2020 capital and output produces at most ``cap = (1 + utilisation_margin) x0 capacity``;
    ``over`` is the demand for its product bought outside Tianjin instead.  With ``G = M^-1`` and the
    unconstrained solution ``x_free`` this is the linear complementarity problem ``x = x_free - G over
    <= cap``, ``over >= 0``, ``over (cap - x) = 0``, which has one solution (``G`` is the inverse of an
    M-matrix, so a P-matrix).  Block principal pivoting finds it: the binding set gains every cell above
    its capacity and loses every cell with a negative overflow, and ``G_BB over_B = x_free_B - cap_B`` is
    solved again, until nothing changes (usually two or three rounds).  Returns ``OK``, or
    ``CAPACITY_UNRESOLVED`` when ``CAPACITY_ITERATIONS`` rounds did not settle the binding set.
    ``x_free``, ``cap``, ``in_b``, ``idx``, ``G_small`` and ``rhs`` are scratch arrays.
    """
    n = x.shape[0]
    margin = 1.0 + dr.utilisation_margin[d]
    binding = False
    for c in range(n):
        x_free[c] = x[c]
        over[c] = 0.0
        in_b[c] = 0
        if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
            cap[c] = margin * sy.x0[c] * np.exp(log_cap[c])
            binding = binding or x[c] > cap[c] * (1.0 + CAPACITY_TOLERANCE)
    if not binding:
        return OK
    for _ in range(CAPACITY_ITERATIONS):
        changed = False
        for c in range(n):
            if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
                if in_b[c] == 0 and x[c] > cap[c] * (1.0 + CAPACITY_TOLERANCE):
                    in_b[c] = 1
                    changed = True
                elif in_b[c] == 1 and over[c] < 0.0:
                    in_b[c] = 0
                    changed = True
        if not changed:
            return OK
        k = 0
        for c in range(n):
            over[c] = 0.0
            if in_b[c] == 1:
                idx[k] = c
                k += 1
        for a in range(k):
            ca = idx[a]
            rhs[a] = x_free[ca] - cap[ca]
            for b in range(k):
                G_small[a, b] = sy.G[ca, idx[b]]
        e = solve_small(G_small[:k, :k], rhs[:k]) if k > 0 else rhs[:0]
        for a in range(k):
            over[idx[a]] = e[a]
        for c in range(n):
            total = x_free[c]
            for a in range(k):
                total -= sy.G[c, idx[a]] * e[a]
            x[c] = total
    return CAPACITY_UNRESOLVED


@njit(cache=True)
def labour_demand(sy, x, lab, log_cap, jobs):
    """Jobs by region ``jobs`` (R,) at output ``x`` (n,): each cell employs its share of the region's
    labour ``lab x jobs0`` times its utilisation ``x / capacity`` (labour in fixed proportion to output in
    the short run); a cell without capital employs in proportion to its output."""
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    for r in range(R):
        total = 0.0
        for i in range(S):
            c = r * S + i
            if sy.x0[c] > 0.0:
                if sy.K0[c] > 0.0:
                    total += sy.jobs0[c] * lab[r] * x[c] / (sy.x0[c] * np.exp(log_cap[c]))
                else:
                    total += sy.jobs0[c] * x[c] / sy.x0[c]
        jobs[r] = total


@njit(cache=True)
def outside_demand(sy, log_x_cum, rho, f):
    """Exports out of Tianjin into ``f`` (n,): 2020 exports x outside demand index x market share."""
    for c in range(sy.v.shape[0]):
        f[c] += sy.E0[c] * np.exp(log_x_cum[c]) * rho[c]


@njit(cache=True)
def investment_demand(sy, pa, invest, gdp_prev, rho, f):
    """Capital formation, inventory change and the statistical discrepancy into ``f`` (n,).

    Each destination region buys ``phi * invest`` of capital goods in its 2020 mix and changes
    inventories in proportion to last year's GDP; the 2020 sourcing shares are tilted by the suppliers'
    market shares ``rho`` and scaled back when they would add up to more than one.  The discrepancy that
    closes a non-tradable row in 2020 moves with its region's GDP last year.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    for r_to in range(R):
        g_total = pa.phi * invest[r_to]
        i_total = sy.inv0[r_to] * gdp_prev[r_to] / sy.gdp0[r_to]
        for i in range(S):
            for kind in range(2):
                demand = g_total * sy.gfcf_mix[r_to, i] if kind == 0 else i_total * sy.inv_mix[r_to, i]
                if demand == 0.0:
                    continue
                total = 0.0
                for q in range(R):
                    share = sy.gfcf_share[q, r_to, i] if kind == 0 else sy.inv_share[q, r_to, i]
                    total += share * rho[q * S + i]
                scale = 1.0 / total if total > 1.0 else 1.0
                for q in range(R):
                    share = sy.gfcf_share[q, r_to, i] if kind == 0 else sy.inv_share[q, r_to, i]
                    f[q * S + i] += demand * share * rho[q * S + i] * scale
        growth = gdp_prev[r_to] / sy.gdp0[r_to]
        for i in range(S):
            f[r_to * S + i] += sy.disc0[r_to * S + i] * growth


@njit(cache=True)
def substitution(sy, pa, t, eff_cum, x_prev, cons_prev, sv, f):
    """Electrification's demand shift into ``f`` (n,); ``sv`` (R,) gets each region's new power use.

    Fossil fuel given up by electrification (last year's activity) becomes power demand ``sv`` at
    ``r_e`` per unit, bought from Tianjin's power sectors by their 2020 sales pattern ``power_w``, and
    the fuel sectors lose ``fuel_offset`` of it by ``fuel_w``.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    power = sy.power
    for r in range(R):
        extra = 0.0
        for i in range(S):
            if i != power:
                c = r * S + i
                fossil = sy.e0[c, COAL] + sy.e0[c, OIL] + sy.e0[c, GAS]
                extra += pa.elec[i, t] * fossil * eff_cum[i] * x_prev[c]
        residential = (
            (sy.e_h0[r, COAL] + sy.e_h0[r, OIL] + sy.e_h0[r, GAS])
            * household_factor(cons_prev[r], pa.pop[r, t], sy.pop0[r], sy.C0[r], pa.eps_h)
            * eff_cum[S]
        )
        extra += pa.elec[S, t] * residential
        sv[r] = extra * pa.r_e / sy.eps_p
    for q in range(R):
        for r in range(R):
            f[q * S + power] += sy.power_w[q, r] * sv[r]
            for k in range(N_FOSSIL):
                f[q * S + sy.fuel_sectors[k]] -= sy.fuel_w[q, r, k] * sv[r] * pa.fuel_offset


@njit(cache=True)
def share_targets(sy, pa, t, x, A_small, rhs, lam, log_x_cum, rho):
    """Meet the share targets of year ``t`` by shifting outside demand; ``x`` and ``lam`` (k,) in place.

    The unknowns ``lam`` multiply the shift patterns, whose output responses are the rows of ``t_resp``:
    the first ``m`` add ``lam`` times the 2020 exports of each target's sectors; under a GDP-neutral
    shift ``k - m`` more take ``lam`` times the rest of each target region's 2020 exports away, and as
    many equations (the first ``k - m`` rows of ``t_td``, the target regions' GDP responses) keep each
    target region's GDP where it was before the shift.  Returns
    ``TARGET_UNREACHABLE`` when the outside demand a pattern moves would fall below zero: this year's
    level of the pattern (``t_pat`` at this year's outside demand index and market shares, relative to
    2020) is ``level``, and a target needs ``lam < -level`` or a cut ``lam > level``; else ``OK``.
    """
    m = pa.t_num.shape[0]
    k_all = pa.t_resp.shape[0]
    n = x.shape[0]
    if m == 0:
        return OK
    for l in range(m):
        num = 0.0
        den = 0.0
        for c in range(n):
            num += pa.t_num[l, c] * x[c]
            den += pa.t_den[l, c] * x[c]
        rhs[l] = pa.t_path[l, t] * den - num
        for k in range(k_all):
            A_small[l, k] = pa.t_tn[l, k] - pa.t_path[l, t] * pa.t_td[l, k]
    for g in range(k_all - m):
        rhs[m + g] = 0.0
        for k in range(k_all):
            A_small[m + g, k] = pa.t_td[g, k]
    solved = solve_small(A_small, rhs)
    code = OK
    for k in range(k_all):
        lam[k] = solved[k]
        base = 0.0
        now = 0.0
        for c in range(n):
            if pa.t_pat[k, c] != 0.0:
                base += pa.t_pat[k, c]
                now += pa.t_pat[k, c] * np.exp(log_x_cum[c]) * rho[c]
        level = now / base if base > 0.0 else 0.0
        if (k < m and solved[k] < -level) or (k >= m and solved[k] > level):
            code = TARGET_UNREACHABLE
        for c in range(n):
            x[c] += solved[k] * pa.t_resp[k, c]
    return code


@njit(cache=True)
def accounting(sy, pa, d, t, x, K, eff_cum, grid_t, cons, sv, out):
    """Value added, capital, energy by fuel and CO2 by source of one draw and year into ``out``.

    Returns the worst status the year's numbers show: ``NEGATIVE_OUTPUT``, ``NEGATIVE_ENERGY``,
    ``NEGATIVE_CO2`` or ``NON_FINITE`` (never written silently: the wrapper raises), else ``OK``.
    ``out.energy_cell`` and ``out.co2_cell`` hold each sector's total and, at index S, the households'.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    power = sy.power
    code = OK
    tol = NEGATIVE_TOLERANCE
    for r in range(R):
        for k in range(N_FUELS):
            out.energy[d, t, r, k] = 0.0
        for k in range(N_SOURCES):
            out.co2[d, t, r, k] = 0.0
        for i in range(S + 1):
            if i < S:
                c = r * S + i
                if x[c] < -tol * (1.0 + sy.x0[c]):
                    code = max(code, NEGATIVE_OUTPUT)
                out.va[d, t, c] = sy.v[c] * x[c]
                out.capital[d, t, c] = K[c]
                scale = x[c] * eff_cum[i]
                coal = sy.e0[c, COAL] * scale
                oil = sy.e0[c, OIL] * scale
                gas = sy.e0[c, GAS] * scale
                nonfossil = sy.nf0[c] * scale
                if i == power:
                    nonfossil += (coal + oil + gas) * (1.0 - grid_t)
                    keep = grid_t
                else:
                    keep = 1.0 - pa.elec[i, t]
                inflow = sy.inflow0[c] * x[c] * eff_cum[power]
                process = sy.proc0[c] * x[c]
                factors = (sy.ef[c, COAL], sy.ef[c, OIL], sy.ef[c, GAS])
            else:  # households: residents x consumption per resident, received electricity
                h = household_factor(cons[r], pa.pop[r, t], sy.pop0[r], sy.C0[r], pa.eps_h) * eff_cum[S]
                coal = sy.e_h0[r, COAL] * h
                oil = sy.e_h0[r, OIL] * h
                gas = sy.e_h0[r, GAS] * h
                nonfossil = 0.0
                keep = 1.0 - pa.elec[S, t]
                outside = 1.0
                for q in range(R):
                    outside -= sy.power_w[q, r]
                inflow = (sy.inflow_h0[r] * cons[r] / sy.C0[r] + sv[r] * outside * sy.eps_p) * eff_cum[power]
                process = 0.0
                factors = (sy.ef_h[COAL], sy.ef_h[OIL], sy.ef_h[GAS])
            coal *= keep
            oil *= keep
            gas *= keep
            switched = coal * pa.c2g[i, t]
            coal -= switched
            gas += switched
            c_coal = coal * factors[0]
            c_oil = oil * factors[1]
            c_gas = gas * factors[2]
            out.energy[d, t, r, COAL] += coal
            out.energy[d, t, r, OIL] += oil
            out.energy[d, t, r, GAS] += gas
            out.energy[d, t, r, NONFOSSIL] += nonfossil
            out.energy[d, t, r, INFLOW] += inflow
            out.energy_cell[d, t, r, i] = coal + oil + gas + nonfossil + inflow
            out.co2[d, t, r, COAL] += c_coal
            out.co2[d, t, r, OIL] += c_oil
            out.co2[d, t, r, GAS] += c_gas
            out.co2[d, t, r, PROCESS] += process
            out.co2_cell[d, t, r, i] = c_coal + c_oil + c_gas + process
            if coal < -tol or oil < -tol or gas < -tol or nonfossil < -tol or inflow < -tol:
                code = max(code, NEGATIVE_ENERGY)
            if c_coal < -tol or c_oil < -tol or c_gas < -tol or process < -tol:
                code = max(code, NEGATIVE_CO2)
            # NaN and infinity propagate through the products above (0 x NaN is NaN), so one test of the
            # cell's sum covers its output too; capital is tested on its own
            total = coal + oil + gas + nonfossil + inflow + c_coal + c_oil + c_gas + process
            if not np.isfinite(total) or (i < S and not np.isfinite(K[r * S + i])):
                code = NON_FINITE
    return code


@njit(cache=True)
def _fail(out, d, t, code):
    """Keep the worst status of draw ``d`` and the first year any status appeared."""
    if code != OK:
        if out.status[d] == OK:
            out.fail_year[d] = t
        out.status[d] = max(out.status[d], code)


@njit(cache=True)
def consumption(sy, x, cons):
    """Residents' household consumption ``cons`` (R,) at output ``x``: ``cons_w @ x`` (their compensation
    through the commuting shares, times the 2020 propensity)."""
    R = sy.pop0.shape[0]
    for h in range(R):
        total = 0.0
        for c in range(x.shape[0]):
            total += sy.cons_w[h, c] * x[c]
        cons[h] = total


@njit(cache=True, parallel=True)
def simulate(sy, pa, dr, out):
    """Project every draw from 2020 to the last year (the batch kernel; D = 1 is the deterministic run).

    ``sy``, ``pa``, ``dr`` and ``out`` are the namedtuples of :data:`simcore.model.boundary.BOUNDARY`
    (shapes, dtypes, units and meanings there).  Per block of draws and per year: investment realised,
    :func:`capacity_and_shares`, :func:`outside_demand`, :func:`investment_demand`, :func:`substitution`,
    one block solve of ``M x = f``, then per draw :func:`capacity_overflow`, :func:`share_targets`,
    :func:`consumption`, :func:`accounting` and :func:`labour_demand`.
    """
    D = dr.depreciation.shape[0]
    n = sy.v.shape[0]
    R = sy.pop0.shape[0]
    S = n // R
    T = pa.fai.shape[1]
    k_all = pa.t_resp.shape[0]
    n_block = (D + BLOCK - 1) // BLOCK
    # numba 0.6x drops writes made through a namedtuple's field directly inside a prange body (writes in
    # called functions are kept): bind the output arrays written here to locals first
    fai_out, status, fail_year, target_shift = out.fai, out.status, out.fail_year, out.target_shift
    jobs_out, overflow_out = out.jobs, out.overflow
    for blk in prange(n_block):
        d_first = blk * BLOCK
        B = min(BLOCK, D - d_first)
        F = np.zeros((n, B))  # right-hand sides, cell-major for the block solve
        Fd = np.zeros((B, n))  # the same, draw-major while each draw's demand is assembled
        x_prev = np.empty((B, n))
        x = np.empty(n)
        K = np.empty((B, n))
        rho = np.empty((B, n))
        log_cap = np.zeros((B, n))
        over = np.zeros((B, n))
        log_x_cum = np.zeros((B, n))  # log of the outside-demand index of each cell
        log_tfp = np.zeros((B, 1))
        eff_cum = np.ones((B, S + 1))
        eff_now = np.ones((B, S + 1))  # efficiency index times the energy-price response
        gdp_prev = np.empty((B, R))
        cons_prev = np.empty((B, R))
        lab = np.ones((B, R))
        sv = np.zeros((B, R))
        invest = np.empty(R)
        A_small = np.empty((k_all, k_all))
        rhs = np.empty(k_all)
        x_free = np.empty(n)
        g_cap = np.empty(n)
        in_b = np.zeros(n, np.int64)
        idx = np.zeros(n, np.int64)
        G_small = np.empty((n, n))
        g_rhs = np.empty(n)
        for b in range(B):
            d = d_first + b
            status[d] = OK
            fail_year[d] = -1
            for c in range(n):
                x_prev[b, c] = sy.x0[c]
                K[b, c] = sy.K0[c]
            for r in range(R):
                gdp_prev[b, r] = sy.gdp0[r]
                cons_prev[b, r] = sy.C0[r]
                jobs_out[d, 0, r] = pa.workforce[r, 0]
                fai_out[d, 0, r] = pa.fai[r, 0] * dr.fai_multiplier[d, r, 0]
            _fail(out, d, 0, accounting(sy, pa, d, 0, sy.x0, K[b], eff_cum[b], pa.grid[0], sy.C0, sv[b], out))
        for t in range(1, T):
            for b in range(B):
                d = d_first + b
                f = Fd[b]
                for c in range(n):
                    f[c] = 0.0
                price = np.exp(-dr.energy_price_elasticity[d] * pa.log_energy_price[t])
                for i in range(S + 1):
                    eff_cum[b, i] *= 1.0 - pa.eff[i, t] * dr.efficiency_multiplier[d]
                    eff_now[b, i] = eff_cum[b, i] * price
                for r in range(R):
                    invest[r] = (
                        pa.fai[r, t] * dr.fai_multiplier[d, r, t] * pa.realisation[t] * dr.realisation_multiplier[d]
                    )
                    fai_out[d, t, r] = invest[r]
                capacity_and_shares(
                    sy, pa, dr, d, t, invest, K[b], log_x_cum[b], log_tfp[b], rho[b], lab[b], log_cap[b]
                )
                outside_demand(sy, log_x_cum[b], rho[b], f)
                investment_demand(sy, pa, invest, gdp_prev[b], rho[b], f)
                substitution(sy, pa, t, eff_now[b], x_prev[b], cons_prev[b], sv[b], f)
            for c in range(n):
                for b in range(B):
                    F[c, b] = Fd[b, c]
            lu_solve_block(sy.LU, sy.piv, F)
            for b in range(B):
                d = d_first + b
                for c in range(n):
                    x[c] = F[c, b]
                # capacity that binds: demand beyond capacity x (1 + margin) is bought outside Tianjin
                _fail(
                    out,
                    d,
                    t,
                    capacity_overflow(sy, dr, d, x, log_cap[b], over[b], x_free, g_cap, in_b, idx, G_small, g_rhs),
                )
                for r in range(R):
                    total = 0.0
                    for i in range(S):
                        total += over[b, r * S + i]
                    overflow_out[d, t, r] = total
                _fail(out, d, t, share_targets(sy, pa, t, x, A_small, rhs, target_shift[d, t], log_x_cum[b], rho[b]))
                for r in range(R):
                    total = 0.0
                    for i in range(S):
                        total += sy.v[r * S + i] * x[r * S + i]
                    gdp_prev[b, r] = total
                consumption(sy, x, cons_prev[b])
                # the grid index is a fossil share: a draw's multiplier on its reduction cannot leave [0, 1]
                grid_t = min(1.0, max(0.0, 1.0 - (1.0 - pa.grid[t]) * dr.grid_multiplier[d]))
                _fail(out, d, t, accounting(sy, pa, d, t, x, K[b], eff_now[b], grid_t, cons_prev[b], sv[b], out))
                labour_demand(sy, x, lab[b], log_cap[b], jobs_out[d, t])
                for c in range(n):
                    x_prev[b, c] = x[c]
