"""Numba kernels of the projection model.  Imports numpy, numba and :mod:`simcore.model.vmath`.

Symbols (docs/model.md explains the model): ``n = R * S`` region-sector cells indexed ``r * S + i``;
``T`` years (2020 = index 0); ``D`` draws; ``B`` draws of one block.  ``G = M^-1`` inverts
``M = I - A - H`` (technical coefficients inside Tianjin plus the household and government consumption
closure); ``v`` is value added per unit of gross output; ``x`` gross output; ``f`` exogenous final
demand (exports out of Tianjin, capital formation, inventory change, input-substitution shifts).

**The boundary.**  :func:`simulate` takes four namedtuples, ``sy`` (the 2020 system), ``pa`` (the
scenario's paths), ``dr`` (per-draw parameters) and ``out`` (outputs, written in place), whose fields are
declared once, with shape, dtype, unit and meaning, in :data:`simcore.model.boundary.BOUNDARY`; the
wrapper builds and checks them there.  Fields are read by name, so two same-shaped arrays cannot be
swapped by position.  Numba compiles namedtuples of arrays and scalars as records and ``cache=True``
still works: the cache is keyed by the argument types, and a namedtuple type is its (module-level,
importable) class plus its field types, so a fresh process finds the compiled kernel on disk.

**The layout (kernel v2).**  Draws run in blocks of :data:`BLOCK`; within a block every state array is
(cells, B), the draws innermost and contiguous, through the whole year, so every step's inner loop is
over draws with no branch that depends on the draw, and LLVM vectorises it.  ``exp`` and ``log`` are the
inlined arithmetic versions of :mod:`simcore.model.vmath` (NumPy's call the C library one value at a
time and block vectorisation); indices are carried in levels where the model needs levels (``x_cum``,
``cap``), so each cell and year costs one ``log`` of the capital stock, one of the demand growth and two
``exp``.  The Leontief solve is the product ``X = G F`` over the block (:func:`gemm_block`).  Binding
capacity (:func:`capacity_overflow`) is per draw, only for the draws :func:`capacity_binds` flags, warm-
started from the draw's binding set of the year before.

**The steps.**  Each year of each block runs the named steps below in order; every step has a twin of
the same name and parameters in :mod:`simcore.model.reference` (vectorised over draws, draws first) and a
test: :func:`capacity_and_shares`, :func:`outside_demand`, :func:`investment_demand`,
:func:`substitution`, the solve :func:`gemm_block` (twin: LU factors, ``sy.LU``/``sy.piv``),
:func:`capacity_overflow`, :func:`share_targets`, :func:`consumption`, :func:`accounting` and
:func:`labour_demand`.  :func:`lu_solve_block` (the v1 solve) is kept for the benchmarks.

The batch kernel runs ``prange`` over blocks of draws; nothing is reduced across draws, and each draw's
arithmetic is the same whatever block it is in, so results do not depend on the thread count.  Kernels
never draw random numbers; failures come back as the status codes below (the worst one per draw, with
the first year any appeared in ``out.fail_year`` and the status of that year in ``out.first_status``, which
names the cause where the worst is a consequence), and the wrapper raises them with the draw, year, region
and variable.
"""

import numpy as np
from numba import njit, prange

from simcore.model.vmath import vexp, vlog

BLOCK = 32  # draws per block: the SIMD axis of every step (a multiple of 8 doubles)

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
def solve_into(a, y, m, out):
    """Solve the leading ``m x m`` system ``a z = y`` into ``out[:m]`` by Gaussian elimination with partial
    pivoting, overwriting ``a`` and ``y`` (scratch: no allocation, which matters inside the parallel loop)."""
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
    for i in range(m - 1, -1, -1):
        acc = y[i]
        for j in range(i + 1, m):
            acc -= a[i, j] * out[j]
        out[i] = acc / a[i, i]


@njit(cache=True)
def solve_small(Mat, rhs):
    """Solve a small dense system by Gaussian elimination with partial pivoting (:func:`solve_into` on
    copies)."""
    m = rhs.shape[0]
    out = np.empty(m)
    solve_into(Mat.copy(), rhs.copy(), m, out)
    return out


@njit(cache=True, error_model="numpy")
def gemm_block(G, F, X):
    """``X = G F`` for a block of right-hand sides: the Leontief solve as a matrix product.

    G : (n, n) the inverse ``M^-1`` (``sy.G``); F : (n, B) right-hand sides; X : (n, B) overwritten.
    Four rows of ``X`` at a time share each row of ``F`` (register blocking); the draws are the innermost,
    contiguous axis, so the loop over them is SIMD.  Each element is summed over ``j`` in order whatever the
    blocking, so a draw's result does not depend on the other draws of its block.
    """
    n, B = F.shape
    c = 0
    while c + 4 <= n:
        for b in range(B):
            X[c, b] = 0.0
            X[c + 1, b] = 0.0
            X[c + 2, b] = 0.0
            X[c + 3, b] = 0.0
        for j in range(n):
            g0 = G[c, j]
            g1 = G[c + 1, j]
            g2 = G[c + 2, j]
            g3 = G[c + 3, j]
            for b in range(B):
                fj = F[j, b]
                X[c, b] += g0 * fj
                X[c + 1, b] += g1 * fj
                X[c + 2, b] += g2 * fj
                X[c + 3, b] += g3 * fj
        c += 4
    while c < n:
        for b in range(B):
            X[c, b] = 0.0
        for j in range(n):
            g0 = G[c, j]
            for b in range(B):
                X[c, b] += g0 * F[j, b]
        c += 1


@njit(cache=True, error_model="numpy")
def household_factor(cons, pop_t, pop_0, C0, eps_h):
    """Residential energy driver relative to 2020: residents x (consumption per resident)^eps_h.

    ``cons`` is the residents' household consumption this year (on their compensation, the Type II
    closure), ``C0`` its 2020 level.  The power is ``exp(eps_h log(.))`` in :mod:`simcore.model.vmath`
    (exactly 1 when ``eps_h`` is 0).
    """
    per_capita = (cons / pop_t) / (C0 / pop_0)
    return (pop_t / pop_0) * vexp(eps_h * vlog(per_capita))


@njit(cache=True, error_model="numpy")
def capacity_and_shares(sy, pa, dr, d0, t, invest, K, x_cum, log_x_cum, log_tfp, rho, lab, cap):
    """Capital, labour, capacity, outside demand index and market shares of a block of draws in year ``t``.

    The block is draws ``d0 .. d0 + B - 1``; invest, lab : (R, B); K, x_cum, log_x_cum, rho, cap : (n, B);
    log_tfp : (B,); all but invest updated in place.  The labour a region's employers can use is the
    workforce commuting to it (``pa.workforce``) but no more than its workplaces, the 2020 jobs of each
    sector grown with last year's capital: residents raise capacity only as far as jobs follow.  ``lab`` is
    that labour relative to 2020.  Each cell's capacity (TFP, last year's capital and that labour,
    Cobb-Douglas with its capital share ``alpha``), ``cap`` relative to its 2020 output, against the outside
    demand it faces (``x_cum``, its index, and ``log_x_cum``, its log) sets its market share
    ``rho = (capacity / outside demand)^eta`` (1, and ``cap`` 1, for cells without 2020 capital or output);
    then capital accumulates ``phi * invest * theta`` after depreciation, so investment adds capacity from
    the next year.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    B = K.shape[1]
    places = np.empty(B)
    log_labour = np.empty(B)
    shift = np.empty(B)
    g_tfp = 1.0 + pa.tfp[t]
    for b in range(B):
        log_tfp[b] += vlog(g_tfp + dr.tfp_shift[d0 + b])
    for r in range(R):
        for b in range(B):
            places[b] = 0.0
        for i in range(S):
            c = r * S + i
            jobs0, K0 = sy.jobs0[c], sy.K0[c]
            if K0 > 0.0:
                for b in range(B):
                    places[b] += jobs0 * (K[c, b] / K0)
            else:
                for b in range(B):
                    places[b] += jobs0
        wf, wf0 = pa.workforce[r, t], pa.workforce[r, 0]
        for b in range(B):
            lab[r, b] = min(wf, places[b]) / wf0
            log_labour[b] = vlog(lab[r, b])
            shift[b] = dr.export_shift[d0 + b, r, t]
        for i in range(S):
            c = r * S + i
            g = 1.0 + pa.gx[r, i, t]
            for b in range(B):
                growth = g + shift[b]
                x_cum[c, b] *= growth
                log_x_cum[c, b] += vlog(growth)
            # capacity this year is last year's capital: investment adds capacity from the year after
            if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
                alpha, log_K0 = sy.alpha[c], sy.log_K0[c]
                for b in range(B):
                    lc = log_tfp[b] + alpha * (vlog(K[c, b]) - log_K0) + (1.0 - alpha) * log_labour[b]
                    cap[c, b] = vexp(lc)
                    rho[c, b] = vexp(dr.supply_elasticity[d0 + b] * (lc - log_x_cum[c, b]))
            else:
                for b in range(B):
                    cap[c, b] = 1.0
                    rho[c, b] = 1.0
            theta = pa.theta[r, i]
            for b in range(B):
                K[c, b] = (1.0 - dr.depreciation[d0 + b]) * K[c, b] + pa.phi * invest[r, b] * theta


@njit(cache=True, error_model="numpy")
def capacity_overflow(sy, dr, d, x, cap, over, x_free, cap_abs, in_b, idx, G_small, rhs, sol, GT):
    """Meet demand beyond capacity from outside Tianjin for one draw ``d``; ``x`` and ``over`` (n,) in place.

    A cell with 2020 capital and output produces at most ``cap_abs = (1 + utilisation_margin) x0 cap``
    (``cap`` (n,), capacity relative to 2020 output); ``over`` is the demand for its product bought outside
    Tianjin instead.  With ``G = M^-1`` and the unconstrained solution ``x_free`` this is the linear
    complementarity problem ``x = x_free - G over <= cap_abs``, ``over >= 0``, ``over (cap_abs - x) = 0``,
    which has one solution (``G`` is the inverse of an M-matrix, so a P-matrix).  Block principal pivoting
    finds it: the binding set gains every cell above its capacity and loses every cell with a negative
    overflow, and ``G_BB over_B = x_free_B - cap_B`` is solved again, until nothing changes.

    ``in_b`` (n,) int64 is the binding set: on entry the cells to start from (the batch kernel passes the
    draw's set of the year before, which is usually the answer, so one or two rounds suffice), on exit the
    solution's.  If the warm start has not settled after ``CAPACITY_ITERATIONS`` rounds the pivoting starts
    again from the empty set (the plain method); the solution is the same either way, being unique.
    Returns ``OK``, or ``CAPACITY_UNRESOLVED`` when neither settled.  ``x_free``, ``cap_abs``, ``idx``,
    ``G_small``, ``rhs`` and ``sol`` are scratch; ``GT`` is ``sy.G`` transposed (contiguous), so that the
    output update runs along its rows.  The batch kernel calls it only for the draws of a block
    that :func:`capacity_binds` flags.
    """
    n = x.shape[0]
    margin = 1.0 + dr.utilisation_margin[d]
    binding = False
    warm = False
    for c in range(n):
        x_free[c] = x[c]
        over[c] = 0.0
        if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
            cap_abs[c] = margin * sy.x0[c] * cap[c]
            binding = binding or x[c] > cap_abs[c] * (1.0 + CAPACITY_TOLERANCE)
            warm = warm or in_b[c] == 1
        else:
            in_b[c] = 0
    if not binding:  # x_free is within capacity everywhere: nothing overflows
        for c in range(n):
            in_b[c] = 0
        return OK
    for attempt in range(2):
        if attempt == 1:  # the warm start did not settle: the plain method from the empty set
            for c in range(n):
                in_b[c] = 0
                over[c] = 0.0
                x[c] = x_free[c]
        elif warm:
            _solve_binding(sy, x, over, x_free, cap_abs, in_b, idx, G_small, rhs, sol, GT)
        for _ in range(CAPACITY_ITERATIONS):
            changed = False
            for c in range(n):
                if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
                    if in_b[c] == 0 and x[c] > cap_abs[c] * (1.0 + CAPACITY_TOLERANCE):
                        in_b[c] = 1
                        changed = True
                    elif in_b[c] == 1 and over[c] < 0.0:
                        in_b[c] = 0
                        changed = True
            if not changed:
                return OK
            _solve_binding(sy, x, over, x_free, cap_abs, in_b, idx, G_small, rhs, sol, GT)
    return CAPACITY_UNRESOLVED


@njit(cache=True, error_model="numpy")
def _solve_binding(sy, x, over, x_free, cap_abs, in_b, idx, G_small, rhs, sol, GT):
    """Overflow of the binding set ``in_b`` (``G_BB over_B = x_free_B - cap_B``) and the output it leaves."""
    n = x.shape[0]
    k = 0
    for c in range(n):
        over[c] = 0.0
        if in_b[c] == 1:
            idx[k] = c
            k += 1
    for a in range(k):
        ca = idx[a]
        rhs[a] = x_free[ca] - cap_abs[ca]
        for b in range(k):
            G_small[a, b] = sy.G[ca, idx[b]]
    solve_into(G_small, rhs, k, sol)
    for c in range(n):
        x[c] = x_free[c]
    for a in range(k):
        over[idx[a]] = sol[a]
        g = GT[idx[a]]
        e = sol[a]
        for c in range(n):
            x[c] -= g[c] * e


@njit(cache=True, error_model="numpy")
def capacity_binds(sy, dr, d0, X, cap, flag):
    """``flag`` (B,) = 1 where some cell of the draw is above its capacity (the test
    :func:`capacity_overflow` starts with), vectorised over the block; X, cap (n, B)."""
    n, B = X.shape
    for b in range(B):
        flag[b] = 0
    for c in range(n):
        if sy.K0[c] > 0.0 and sy.x0[c] > 0.0:
            x0 = sy.x0[c]
            for b in range(B):
                limit = (1.0 + dr.utilisation_margin[d0 + b]) * x0 * cap[c, b]
                if X[c, b] > limit * (1.0 + CAPACITY_TOLERANCE):
                    flag[b] = 1


@njit(cache=True, error_model="numpy")
def labour_demand(sy, x, lab, cap, jobs):
    """Jobs by region ``jobs`` (R, B) at output ``x`` (n, B): each cell employs its share of the region's
    labour ``lab x jobs0`` (lab (R, B)) times its utilisation ``x / capacity`` (``cap`` (n, B), relative to
    2020 output; labour in fixed proportion to output in the short run); a cell without capital employs in
    proportion to its output."""
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    B = x.shape[1]
    for r in range(R):
        for b in range(B):
            jobs[r, b] = 0.0
        for i in range(S):
            c = r * S + i
            x0 = sy.x0[c]
            if x0 > 0.0:
                jobs0 = sy.jobs0[c]
                if sy.K0[c] > 0.0:
                    for b in range(B):
                        jobs[r, b] += jobs0 * lab[r, b] * x[c, b] / (x0 * cap[c, b])
                else:
                    for b in range(B):
                        jobs[r, b] += jobs0 * x[c, b] / x0


@njit(cache=True, error_model="numpy")
def outside_demand(sy, x_cum, rho, f):
    """Exports out of Tianjin into ``f`` (n, B): 2020 exports x outside demand index x market share."""
    n, B = f.shape
    for c in range(n):
        e0 = sy.E0[c]
        for b in range(B):
            f[c, b] += e0 * x_cum[c, b] * rho[c, b]


@njit(cache=True, error_model="numpy")
def investment_demand(sy, pa, invest, gdp_prev, rho, f):
    """Capital formation, inventory change and the statistical discrepancy into ``f`` (n, B).

    Each destination region buys ``phi * invest`` (invest (R, B)) of capital goods in its 2020 mix and
    changes inventories in proportion to last year's GDP (gdp_prev (R, B)); the 2020 sourcing shares are
    tilted by the suppliers' market shares ``rho`` (n, B) and scaled back when they would add up to more than
    one.  The discrepancy that closes a non-tradable row in 2020 moves with its region's GDP last year.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    B = f.shape[1]
    g_total = np.empty(B)
    i_total = np.empty(B)
    total = np.empty(B)
    scale = np.empty(B)
    for r_to in range(R):
        inv0, gdp0 = sy.inv0[r_to], sy.gdp0[r_to]
        for b in range(B):
            g_total[b] = pa.phi * invest[r_to, b]
            i_total[b] = inv0 * gdp_prev[r_to, b] / gdp0
        for i in range(S):
            for kind in range(2):
                mix = sy.gfcf_mix[r_to, i] if kind == 0 else sy.inv_mix[r_to, i]
                if mix == 0.0:
                    continue
                for b in range(B):
                    total[b] = 0.0
                for q in range(R):
                    share = sy.gfcf_share[q, r_to, i] if kind == 0 else sy.inv_share[q, r_to, i]
                    for b in range(B):
                        total[b] += share * rho[q * S + i, b]
                for b in range(B):
                    scale[b] = 1.0 / total[b] if total[b] > 1.0 else 1.0
                for q in range(R):
                    share = sy.gfcf_share[q, r_to, i] if kind == 0 else sy.inv_share[q, r_to, i]
                    c = q * S + i
                    for b in range(B):
                        demand = (g_total[b] if kind == 0 else i_total[b]) * mix
                        f[c, b] += demand * share * rho[c, b] * scale[b]
        for b in range(B):
            growth = gdp_prev[r_to, b] / gdp0
            for i in range(S):
                f[r_to * S + i, b] += sy.disc0[r_to * S + i] * growth


@njit(cache=True, error_model="numpy")
def substitution(sy, pa, t, eff_cum, x_prev, cons_prev, sv, f):
    """Electrification's demand shift into ``f`` (n, B); ``sv`` (R, B) gets each region's new power use.

    Fossil fuel given up by electrification (last year's activity x_prev (n, B), efficiency eff_cum
    (S1, B), residents' consumption cons_prev (R, B)) becomes power demand ``sv`` at ``r_e`` per unit,
    bought from Tianjin's power sectors by their 2020 sales pattern ``power_w``, and the fuel sectors lose
    ``fuel_offset`` of it by ``fuel_w``.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    B = f.shape[1]
    power = sy.power
    extra = np.empty(B)
    for r in range(R):
        for b in range(B):
            extra[b] = 0.0
        for i in range(S):
            if i != power:
                c = r * S + i
                coef = pa.elec[i, t] * (sy.e0[c, COAL] + sy.e0[c, OIL] + sy.e0[c, GAS])
                for b in range(B):
                    extra[b] += coef * eff_cum[i, b] * x_prev[c, b]
        fossil_h = sy.e_h0[r, COAL] + sy.e_h0[r, OIL] + sy.e_h0[r, GAS]
        pop_t, pop_0, C0 = pa.pop[r, t], sy.pop0[r], sy.C0[r]
        for b in range(B):
            residential = fossil_h * household_factor(cons_prev[r, b], pop_t, pop_0, C0, pa.eps_h) * eff_cum[S, b]
            sv[r, b] = (extra[b] + pa.elec[S, t] * residential) * pa.r_e / sy.eps_p
    for q in range(R):
        for r in range(R):
            w = sy.power_w[q, r]
            for b in range(B):
                f[q * S + power, b] += w * sv[r, b]
            for k in range(N_FOSSIL):
                wk = sy.fuel_w[q, r, k]
                c = q * S + sy.fuel_sectors[k]
                for b in range(B):
                    f[c, b] -= wk * sv[r, b] * pa.fuel_offset


@njit(cache=True, error_model="numpy")
def share_targets(sy, pa, t, x, A_small, rhs, lam, x_cum, rho, codes):
    """Meet the share targets of year ``t`` by shifting outside demand; ``x`` (n, B) and ``lam`` (k, B) in
    place, each draw's status in ``codes`` (B,).

    The unknowns ``lam`` multiply the shift patterns, whose output responses are the rows of ``t_resp``:
    the first ``m`` add ``lam`` times the 2020 exports of each target's sectors; under a GDP-neutral
    shift ``k - m`` more take ``lam`` times the rest of each target region's 2020 exports away, and as
    many equations (the first ``k - m`` rows of ``t_td``, the target regions' GDP responses) keep each
    target region's GDP where it was before the shift.  A draw's status is ``TARGET_UNREACHABLE`` when the
    outside demand a pattern moves would fall below zero: this year's level of the pattern (``t_pat`` at
    this year's outside demand index ``x_cum`` and market shares ``rho``, relative to 2020) is ``level``, and
    a target needs ``lam < -level`` or a cut ``lam > level``; else ``OK``.  ``A_small`` (k, k) and ``rhs``
    (k,) are scratch: each draw's small system is solved by :func:`solve_into`.
    """
    m = pa.t_num.shape[0]
    k_all = pa.t_resp.shape[0]
    n, B = x.shape
    for b in range(B):
        codes[b] = OK
    if m == 0:
        return
    num = np.zeros((m, B))
    den = np.zeros((m, B))
    for l in range(m):
        for c in range(n):
            tn, td = pa.t_num[l, c], pa.t_den[l, c]
            for b in range(B):
                num[l, b] += tn * x[c, b]
                den[l, b] += td * x[c, b]
    level = np.zeros((k_all, B))
    solved = np.empty(k_all)
    for k in range(k_all):
        base = 0.0
        for c in range(n):
            p = pa.t_pat[k, c]
            if p != 0.0:
                base += p
                for b in range(B):
                    level[k, b] += p * x_cum[c, b] * rho[c, b]
        for b in range(B):
            level[k, b] = level[k, b] / base if base > 0.0 else 0.0
    for b in range(B):
        for l in range(m):
            rhs[l] = pa.t_path[l, t] * den[l, b] - num[l, b]
            for k in range(k_all):
                A_small[l, k] = pa.t_tn[l, k] - pa.t_path[l, t] * pa.t_td[l, k]
        for g in range(k_all - m):
            rhs[m + g] = 0.0
            for k in range(k_all):
                A_small[m + g, k] = pa.t_td[g, k]
        solve_into(A_small, rhs, k_all, solved)
        for k in range(k_all):
            lam[k, b] = solved[k]
            if (k < m and solved[k] < -level[k, b]) or (k >= m and solved[k] > level[k, b]):
                codes[b] = TARGET_UNREACHABLE
    for k in range(k_all):
        for c in range(n):
            resp = pa.t_resp[k, c]
            for b in range(B):
                x[c, b] += lam[k, b] * resp


@njit(cache=True, error_model="numpy")
def accounting(sy, pa, d0, t, x, K, eff_cum, grid_t, cons, sv, out, codes):
    """Value added, capital, energy by fuel and CO2 by source of a block of draws in year ``t`` into ``out``.

    x, K (n, B); eff_cum (S1, B); grid_t (B,); cons, sv (R, B).  Each draw's status in ``codes`` (B,): the
    worst its numbers show, ``NEGATIVE_OUTPUT``, ``NEGATIVE_ENERGY``, ``NEGATIVE_CO2`` or ``NON_FINITE``
    (never written silently: the wrapper raises), else ``OK``.  ``out.energy_cell`` and ``out.co2_cell``
    hold each sector's total and, at index S, the households'.  The block's values are computed with the
    draws innermost and then written to ``out`` draw by draw.
    """
    R = sy.pop0.shape[0]
    S = sy.v.shape[0] // R
    B = x.shape[1]
    power = sy.power
    tol = NEGATIVE_TOLERANCE
    energy = np.empty((N_FUELS, B))
    co2 = np.empty((N_SOURCES, B))
    e_cell = np.empty((S + 1, B))
    c_cell = np.empty((S + 1, B))
    for b in range(B):
        codes[b] = OK
    for r in range(R):
        for b in range(B):
            for k in range(N_FUELS):
                energy[k, b] = 0.0
            for k in range(N_SOURCES):
                co2[k, b] = 0.0
        for i in range(S):
            c = r * S + i
            e_coal, e_oil, e_gas, nf, inflow0, proc = (
                sy.e0[c, COAL],
                sy.e0[c, OIL],
                sy.e0[c, GAS],
                sy.nf0[c],
                sy.inflow0[c],
                sy.proc0[c],
            )
            f_coal, f_oil, f_gas = sy.ef[c, COAL], sy.ef[c, OIL], sy.ef[c, GAS]
            floor_x = -tol * (1.0 + sy.x0[c])
            keep_i = 1.0 - pa.elec[i, t]
            c2g = pa.c2g[i, t]
            for b in range(B):
                xc = x[c, b]
                code = codes[b]
                if xc < floor_x:
                    code = max(code, NEGATIVE_OUTPUT)
                scale = xc * eff_cum[i, b]
                coal = e_coal * scale
                oil = e_oil * scale
                gas = e_gas * scale
                nonfossil = nf * scale
                if i == power:
                    nonfossil += (coal + oil + gas) * (1.0 - grid_t[b])
                    keep = grid_t[b]
                else:
                    keep = keep_i
                inflow = inflow0 * xc * eff_cum[power, b]
                process = proc * xc
                coal *= keep
                oil *= keep
                gas *= keep
                switched = coal * c2g
                coal -= switched
                gas += switched
                c_coal = coal * f_coal
                c_oil = oil * f_oil
                c_gas = gas * f_gas
                energy[COAL, b] += coal
                energy[OIL, b] += oil
                energy[GAS, b] += gas
                energy[NONFOSSIL, b] += nonfossil
                energy[INFLOW, b] += inflow
                e_cell[i, b] = coal + oil + gas + nonfossil + inflow
                co2[COAL, b] += c_coal
                co2[OIL, b] += c_oil
                co2[GAS, b] += c_gas
                co2[PROCESS, b] += process
                c_cell[i, b] = c_coal + c_oil + c_gas + process
                if coal < -tol or oil < -tol or gas < -tol or nonfossil < -tol or inflow < -tol:
                    code = max(code, NEGATIVE_ENERGY)
                if c_coal < -tol or c_oil < -tol or c_gas < -tol or process < -tol:
                    code = max(code, NEGATIVE_CO2)
                # NaN and infinity propagate through the products above (0 x NaN is NaN), so one test of
                # the cell's sum covers its output too; capital is tested on its own
                total = coal + oil + gas + nonfossil + inflow + c_coal + c_oil + c_gas + process
                if not np.isfinite(total) or not np.isfinite(K[c, b]):
                    code = NON_FINITE
                codes[b] = code
        # households: residents x consumption per resident, received electricity
        h_coal, h_oil, h_gas = sy.e_h0[r, COAL], sy.e_h0[r, OIL], sy.e_h0[r, GAS]
        keep = 1.0 - pa.elec[S, t]
        c2g = pa.c2g[S, t]
        outside = 1.0
        for q in range(R):
            outside -= sy.power_w[q, r]
        pop_t, pop_0, C0 = pa.pop[r, t], sy.pop0[r], sy.C0[r]
        for b in range(B):
            h = household_factor(cons[r, b], pop_t, pop_0, C0, pa.eps_h) * eff_cum[S, b]
            coal = h_coal * h * keep
            oil = h_oil * h * keep
            gas = h_gas * h * keep
            inflow = (sy.inflow_h0[r] * cons[r, b] / C0 + sv[r, b] * outside * sy.eps_p) * eff_cum[power, b]
            switched = coal * c2g
            coal -= switched
            gas += switched
            c_coal = coal * sy.ef_h[COAL]
            c_oil = oil * sy.ef_h[OIL]
            c_gas = gas * sy.ef_h[GAS]
            energy[COAL, b] += coal
            energy[OIL, b] += oil
            energy[GAS, b] += gas
            energy[INFLOW, b] += inflow
            e_cell[S, b] = coal + oil + gas + inflow
            co2[COAL, b] += c_coal
            co2[OIL, b] += c_oil
            co2[GAS, b] += c_gas
            c_cell[S, b] = c_coal + c_oil + c_gas
            code = codes[b]
            if coal < -tol or oil < -tol or gas < -tol or inflow < -tol:
                code = max(code, NEGATIVE_ENERGY)
            if c_coal < -tol or c_oil < -tol or c_gas < -tol:
                code = max(code, NEGATIVE_CO2)
            if not np.isfinite(coal + oil + gas + inflow + c_coal + c_oil + c_gas):
                code = NON_FINITE
            codes[b] = code
        for b in range(B):
            d = d0 + b
            for k in range(N_FUELS):
                out.energy[d, t, r, k] = energy[k, b]
            for k in range(N_SOURCES):
                out.co2[d, t, r, k] = co2[k, b]
            for i in range(S + 1):
                out.energy_cell[d, t, r, i] = e_cell[i, b]
                out.co2_cell[d, t, r, i] = c_cell[i, b]
    n = x.shape[0]
    for b in range(B):
        d = d0 + b
        for c in range(n):
            out.va[d, t, c] = sy.v[c] * x[c, b]
            out.capital[d, t, c] = K[c, b]


@njit(cache=True)
def _fail(out, d, t, code):
    """Keep the worst status of draw ``d``, the first status and the first year any status appeared."""
    if code != OK:
        if out.status[d] == OK:
            out.fail_year[d] = t
            out.first_status[d] = code
        out.status[d] = max(out.status[d], code)


@njit(cache=True, error_model="numpy")
def consumption(sy, x, cons):
    """Residents' household consumption ``cons`` (R, B) at output ``x`` (n, B): ``cons_w @ x`` (their
    compensation through the commuting shares, times the 2020 propensity)."""
    R = sy.pop0.shape[0]
    n, B = x.shape
    for h in range(R):
        for b in range(B):
            cons[h, b] = 0.0
        for c in range(n):
            w = sy.cons_w[h, c]
            for b in range(B):
                cons[h, b] += w * x[c, b]


@njit(cache=True, parallel=True, error_model="numpy")
def simulate(sy, pa, dr, out):
    """Project every draw from 2020 to the last year (the batch kernel; D = 1 is the deterministic run).

    ``sy``, ``pa``, ``dr`` and ``out`` are the namedtuples of :data:`simcore.model.boundary.BOUNDARY`
    (shapes, dtypes, units and meanings there).  Blocks of ``BLOCK`` draws run in parallel; within a block
    every state array is (cells, draws) with the draws innermost, so each step's loop over the block is
    SIMD.  Per year: investment realised, :func:`capacity_and_shares`, :func:`outside_demand`,
    :func:`investment_demand`, :func:`substitution`, the solve :func:`gemm_block` (``x = M^-1 f``),
    :func:`capacity_overflow` for the draws :func:`capacity_binds` flags, :func:`share_targets`,
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
    first_status = out.first_status
    jobs_out, overflow_out = out.jobs, out.overflow
    GT = np.ascontiguousarray(sy.G.T)
    for blk in prange(n_block):
        d0 = blk * BLOCK
        B = min(BLOCK, D - d0)
        F = np.empty((n, B))  # right-hand sides
        X = np.empty((n, B))  # this year's output
        x_prev = np.empty((n, B))
        K = np.empty((n, B))
        x_cum = np.ones((n, B))  # outside-demand index of each cell, and its log
        log_x_cum = np.zeros((n, B))
        rho = np.ones((n, B))
        cap = np.ones((n, B))
        log_tfp = np.zeros(B)
        eff_cum = np.ones((S + 1, B))
        eff_now = np.ones((S + 1, B))  # efficiency index times the energy-price response
        gdp_prev = np.empty((R, B))
        cons_prev = np.empty((R, B))
        lab = np.ones((R, B))
        sv = np.zeros((R, B))
        invest = np.empty((R, B))
        jobs = np.empty((R, B))
        grid_t = np.empty(B)
        codes = np.zeros(B, np.int64)
        flag = np.zeros(B, np.int64)
        lam = np.zeros((k_all, B))
        A_small = np.empty((k_all, k_all))
        rhs = np.empty(k_all)
        # one draw's capacity problem (scratch of capacity_overflow)
        x1 = np.empty(n)
        cap1 = np.empty(n)
        over1 = np.empty(n)
        x_free = np.empty(n)
        cap_abs = np.empty(n)
        idx = np.zeros(n, np.int64)
        G_small = np.empty((n, n))
        g_rhs = np.empty(n)
        g_sol = np.empty(n)
        bound = np.zeros((B, n), np.int64)  # each draw's binding set of the year before (the warm start)
        for c in range(n):
            for b in range(B):
                x_prev[c, b] = sy.x0[c]
                K[c, b] = sy.K0[c]
        for r in range(R):
            for b in range(B):
                gdp_prev[r, b] = sy.gdp0[r]
                cons_prev[r, b] = sy.C0[r]
        for b in range(B):
            d = d0 + b
            status[d] = OK
            first_status[d] = OK
            fail_year[d] = -1
            grid_t[b] = pa.grid[0]
            for r in range(R):
                jobs_out[d, 0, r] = pa.workforce[r, 0]
                fai_out[d, 0, r] = pa.fai[r, 0] * dr.fai_multiplier[d, r, 0]
        accounting(sy, pa, d0, 0, x_prev, K, eff_cum, grid_t, cons_prev, sv, out, codes)
        for b in range(B):
            _fail(out, d0 + b, 0, codes[b])
        for t in range(1, T):
            for c in range(n):
                for b in range(B):
                    F[c, b] = 0.0
            for i in range(S + 1):
                gain = pa.eff[i, t]
                for b in range(B):
                    eff_cum[i, b] *= 1.0 - gain * dr.efficiency_multiplier[d0 + b]
            for b in range(B):
                price = vexp(-dr.energy_price_elasticity[d0 + b] * pa.log_energy_price[t])
                for i in range(S + 1):
                    eff_now[i, b] = eff_cum[i, b] * price
            for r in range(R):
                planned = pa.fai[r, t]
                for b in range(B):
                    d = d0 + b
                    invest[r, b] = (
                        planned * dr.fai_multiplier[d, r, t] * pa.realisation[t] * dr.realisation_multiplier[d]
                    )
                    fai_out[d, t, r] = invest[r, b]
            capacity_and_shares(sy, pa, dr, d0, t, invest, K, x_cum, log_x_cum, log_tfp, rho, lab, cap)
            outside_demand(sy, x_cum, rho, F)
            investment_demand(sy, pa, invest, gdp_prev, rho, F)
            substitution(sy, pa, t, eff_now, x_prev, cons_prev, sv, F)
            gemm_block(sy.G, F, X)
            # capacity that binds: demand beyond capacity x (1 + margin) is bought outside Tianjin
            capacity_binds(sy, dr, d0, X, cap, flag)
            for b in range(B):
                d = d0 + b
                for r in range(R):
                    overflow_out[d, t, r] = 0.0
                if flag[b] == 0:
                    for c in range(n):
                        bound[b, c] = 0
                    continue
                for c in range(n):
                    x1[c] = X[c, b]
                    cap1[c] = cap[c, b]
                code = capacity_overflow(
                    sy, dr, d, x1, cap1, over1, x_free, cap_abs, bound[b], idx, G_small, g_rhs, g_sol, GT
                )
                _fail(out, d, t, code)
                for c in range(n):
                    X[c, b] = x1[c]
                for r in range(R):
                    total = 0.0
                    for i in range(S):
                        total += over1[r * S + i]
                    overflow_out[d, t, r] = total
            share_targets(sy, pa, t, X, A_small, rhs, lam, x_cum, rho, codes)
            for b in range(B):
                d = d0 + b
                _fail(out, d, t, codes[b])
                for k in range(k_all):
                    target_shift[d, t, k] = lam[k, b]
            for r in range(R):
                for b in range(B):
                    gdp_prev[r, b] = 0.0
                for i in range(S):
                    c = r * S + i
                    v = sy.v[c]
                    for b in range(B):
                        gdp_prev[r, b] += v * X[c, b]
            consumption(sy, X, cons_prev)
            # the grid index is a fossil share: a draw's multiplier on its reduction cannot leave [0, 1]
            reduction = 1.0 - pa.grid[t]
            for b in range(B):
                grid_t[b] = min(1.0, max(0.0, 1.0 - reduction * dr.grid_multiplier[d0 + b]))
            accounting(sy, pa, d0, t, X, K, eff_now, grid_t, cons_prev, sv, out, codes)
            labour_demand(sy, X, lab, cap, jobs)
            for b in range(B):
                d = d0 + b
                _fail(out, d, t, codes[b])
                for r in range(R):
                    jobs_out[d, t, r] = jobs[r, b]
            for c in range(n):
                for b in range(B):
                    x_prev[c, b] = X[c, b]
