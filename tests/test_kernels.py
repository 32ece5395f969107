"""Each numba kernel against its NumPy twin (rtol 1e-10), and thread-count determinism."""

import numpy as np
import pytest
import scipy.linalg

from simcore.model import kernels, reference, vmath
from simcore.model.boundary import Draws, allocate, kernel_args
from simcore.model.levers import compile_scenario
from simcore.model.system import system_for
from simcore.scenario.loader import load_scenario
from simcore.scenario.schema import YEARS

SCENARIOS = ("baseline", "plan_14th_fyp", "green_transition")


def test_lu_solve_block_matches_scipy():
    rng = np.random.default_rng(7)
    n, B = 30, 5
    M = np.eye(n) - rng.uniform(0, 0.9 / n, (n, n))
    lu, piv = scipy.linalg.lu_factor(M)
    F = rng.normal(size=(n, B))
    a, b = F.copy(), F.copy()
    kernels.lu_solve_block(lu, piv.astype(np.int64), a)
    reference.lu_solve_block(lu, piv, b)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(M @ a, F, atol=1e-10)


@pytest.mark.parametrize("lead", [0.0, 1e-14])
def test_lu_solve_block_applies_row_interchanges(lead):
    """A zero (or tiny) leading diagonal forces LAPACK to pivot; the kernel must replay the interchanges."""
    rng = np.random.default_rng(17)
    n, B = 12, 7
    M = rng.normal(size=(n, n))
    M[0, 0] = lead
    lu, piv = scipy.linalg.lu_factor(M)
    assert (piv != np.arange(n)).any(), "the test matrix must need row interchanges"
    F = rng.normal(size=(n, B))
    a = F.copy()
    kernels.lu_solve_block(lu, piv.astype(np.int64), a)
    np.testing.assert_allclose(a, scipy.linalg.lu_solve((lu, piv), F), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a, np.linalg.solve(M, F), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(M @ a, F, atol=1e-10)


def test_solve_small_matches_numpy():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    y = rng.normal(size=4)
    np.testing.assert_allclose(kernels.solve_small(A, y), reference.solve_small(A, y), rtol=1e-10)


@pytest.mark.parametrize("lead", [0.0, 1e-20])
def test_solve_small_pivots(lead):
    """Zero or tiny leading pivot: without row interchanges elimination divides by ~0 and loses the answer."""
    rng = np.random.default_rng(4)
    A = rng.normal(size=(5, 5))
    A[0, 0] = lead
    y = rng.normal(size=5)
    x = kernels.solve_small(A, y)
    np.testing.assert_allclose(x, np.linalg.solve(A, y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A @ x, y, atol=1e-12)
    # the textbook case: naive elimination on [[1e-20, 1], [1, 1]] gives x0 = 0 instead of about 1
    tiny = np.array([[1e-20, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(kernels.solve_small(tiny, np.array([1.0, 2.0])), [1.0, 1.0], rtol=1e-12)


def test_household_factor_matches():
    args = (600.0, 95.0, 90.0, 500.0, 0.5)
    assert kernels.household_factor(*args) == pytest.approx(reference.household_factor(*args), rel=1e-12)


# household_factor = (pop_t / pop_0) * (consumption per resident relative to 2020) ** eps_h, with the
# residents' household consumption ``cons`` now and C0 in 2020: (cons / pop_t) / (C0 / pop_0).


def test_household_factor_is_one_in_the_base_year():
    C0, pop = 600.0, 90.0
    for eps_h in (0.0, 0.5, 1.3):
        assert kernels.household_factor(C0, pop, pop, C0, eps_h) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("eps_h", [0.0, 0.5, 1.0, 1.7])
def test_household_factor_scales_with_residents_at_constant_consumption_per_resident(eps_h):
    pop_0, pop_t, C0 = 90.0, 117.0, 500.0
    cons = C0 * (pop_t / pop_0)  # consumption grows with the residents only
    assert kernels.household_factor(cons, pop_t, pop_0, C0, eps_h) == pytest.approx(pop_t / pop_0, rel=1e-12)


def test_household_factor_without_income_elasticity_counts_residents():
    pop_0, pop_t = 90.0, 95.0
    for cons in (550.0, 900.0, 250.0):
        assert kernels.household_factor(cons, pop_t, pop_0, 500.0, 0.0) == pop_t / pop_0


def test_household_factor_income_elasticity():
    # residents constant, consumption per resident doubled: factor 2 ** eps_h
    assert kernels.household_factor(1000.0, 90.0, 90.0, 500.0, 0.5) == pytest.approx(np.sqrt(2.0), rel=1e-12)


def _draws(paths, R, D, seed):
    rng = np.random.default_rng(seed)
    return Draws(
        depreciation=rng.uniform(0.07, 0.12, D),
        supply_elasticity=rng.uniform(0.2, 1.0, D),
        tfp_shift=rng.normal(0, 0.005, D),
        export_shift=rng.normal(0, 0.01, (D, R, len(YEARS))),
        efficiency_multiplier=rng.uniform(0.7, 1.3, D),
        grid_multiplier=rng.uniform(0.5, 1.5, D),
        realisation_multiplier=rng.uniform(0.8, 1.1, D),
        utilisation_margin=rng.uniform(0.05, 0.2, D),
        energy_price_elasticity=rng.uniform(0.1, 0.6, D),
        fai_multiplier=rng.uniform(0.8, 1.2, (D, R, len(YEARS))),
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_simulate_matches_its_twin(name, baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario(f"scenarios/{name}.yaml"), baseline, system)
    n_draws = 2 * kernels.BLOCK + kernels.BLOCK // 3  # spans three blocks, the last partial
    draws = _draws(paths, baseline.n_region, n_draws, seed=11)
    fast, slow = (
        allocate(len(draws), baseline, paths.t_resp.shape[0]),
        allocate(len(draws), baseline, paths.t_resp.shape[0]),
    )
    kernels.simulate(*kernel_args(system, paths, draws, fast))
    reference.simulate(*kernel_args(system, paths, draws, slow))
    for field in (
        "va",
        "capital",
        "energy_cell",
        "energy",
        "co2",
        "co2_cell",
        "fai",
        "jobs",
        "overflow",
        "target_shift",
    ):
        np.testing.assert_allclose(getattr(fast, field), getattr(slow, field), rtol=1e-10, atol=1e-10, err_msg=field)
    np.testing.assert_array_equal(fast.status, slow.status)


def test_fai_multiplier_is_the_same_as_moving_the_investment_path(baseline):
    """A draw's multiplier on planned investment gives what a scenario with that investment path gives
    (the sweeps run investment levers as draws through it)."""
    import dataclasses

    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/plan_14th_fyp.yaml"), baseline, system)
    R, T = baseline.n_region, len(YEARS)
    scale = np.ones((R, T))
    scale[0, 3:] = 1.25  # the first region's investment a quarter higher from the fourth year
    central = Draws.central(paths, R)
    moved = dataclasses.replace(central, fai_multiplier=scale[None].copy())
    a, c = (allocate(1, baseline, paths.t_resp.shape[0]) for _ in range(2))
    kernels.simulate(*kernel_args(system, paths, moved, a))
    kernels.simulate(*kernel_args(system, dataclasses.replace(paths, fai=paths.fai * scale), central, c))
    for field in ("va", "co2", "fai"):
        np.testing.assert_allclose(getattr(a, field), getattr(c, field), rtol=1e-13, err_msg=field)
    b = allocate(1, baseline, paths.t_resp.shape[0])
    kernels.simulate(*kernel_args(system, paths, central, b))
    assert a.va[0, -1].sum() > b.va[0, -1].sum()  # more investment, more output


def test_per_draw_loop_twin_matches(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/baseline.yaml"), baseline, system)
    draws = _draws(paths, baseline.n_region, 3, seed=5)
    a, b = allocate(3, baseline, paths.t_resp.shape[0]), allocate(3, baseline, paths.t_resp.shape[0])
    reference.simulate(*kernel_args(system, paths, draws, a))
    reference.simulate_loop(*kernel_args(system, paths, draws, b))
    np.testing.assert_allclose(a.va, b.va, rtol=1e-12)


def test_results_do_not_depend_on_thread_count(baseline, numba_threads):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/plan_14th_fyp.yaml"), baseline, system)
    n_draws = 2 * kernels.BLOCK + 22  # three blocks, the last partial: two threads share them unevenly
    draws = _draws(paths, baseline.n_region, n_draws, seed=2)
    outs = []
    for threads in (1, 2):
        with numba_threads(threads):
            out = allocate(len(draws), baseline, paths.t_resp.shape[0])
            kernels.simulate(*kernel_args(system, paths, draws, out))
        outs.append(out)
    for field in ("va", "capital", "energy_cell", "energy", "co2", "co2_cell", "fai", "status"):
        np.testing.assert_array_equal(getattr(outs[0], field), getattr(outs[1], field), err_msg=field)


# ------------------------------------------------------------------ kernel v2 building blocks


def _ulps(got, want):
    """Distance in units in the last place of ``want`` (0 where both are the same special value)."""
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    spacing = np.spacing(np.abs(want))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(got - want) / spacing)


def test_vexp_matches_numpy_to_two_ulps_over_the_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.uniform(-745.2, 709.8, 200_000),  # every result, subnormal ones included
            rng.normal(0.0, 1.0, 100_000),  # where the model uses it
            rng.normal(0.0, 1e-8, 10_000),  # near 1
            np.array([0.0, -0.0, 1.0, -1.0, 709.78, 709.79, -745.13, -745.14, 1e300, -1e300, 5e-324]),
        ]
    )
    got = np.empty_like(x)
    vmath.vexp_array(x, got)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    assert _ulps(got, want).max() <= 2.0


def test_vlog_matches_numpy_to_two_ulps_over_the_whole_range():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            2.0 ** rng.uniform(-1074.0, 1024.0, 200_000),  # every exponent, subnormal arguments included
            rng.uniform(0.5, 2.0, 100_000),  # near 1, where cancellation would show
            1.0 + rng.normal(0.0, 1e-9, 10_000),
            np.array([1.0, 2.0, 0.5, np.sqrt(2.0), 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]),
        ]
    )
    x = x[np.isfinite(x) & (x > 0)]
    got = np.empty_like(x)
    vmath.vlog_array(x, got)
    assert _ulps(got, np.log(x)).max() <= 2.0


@pytest.mark.parametrize(
    "fn, value, want",
    [
        ("vexp", np.inf, np.inf),
        ("vexp", -np.inf, 0.0),
        ("vexp", np.nan, np.nan),
        ("vexp", 710.0, np.inf),
        ("vexp", -746.0, 0.0),
        ("vlog", 0.0, -np.inf),
        ("vlog", -0.0, -np.inf),
        ("vlog", -1.0, np.nan),
        ("vlog", -np.inf, np.nan),
        ("vlog", np.inf, np.inf),
        ("vlog", np.nan, np.nan),
    ],
)
def test_vmath_special_values_are_numpys(fn, value, want):
    out = np.empty(1)
    getattr(vmath, fn + "_array")(np.array([value]), out)
    np.testing.assert_array_equal(out, [want])  # NaN equals NaN here
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out, getattr(np, fn[1:])(np.array([value])))


@pytest.mark.parametrize("n, B", [(7, 1), (33, 5), (40, 32)])
def test_gemm_block_is_the_product_and_each_draw_independent_of_its_block(n, B):
    rng = np.random.default_rng(n + B)
    G, F = rng.normal(size=(n, n)), rng.normal(size=(n, B))
    X = np.empty((n, B))
    kernels.gemm_block(G, F, X)
    np.testing.assert_allclose(X, G @ F, rtol=1e-12, atol=1e-12)
    for b in range(B):  # the same draw alone in its block gives the same bits
        one = np.empty((n, 1))
        kernels.gemm_block(G, np.ascontiguousarray(F[:, b : b + 1]), one)
        np.testing.assert_array_equal(one[:, 0], X[:, b])


def test_capacity_binds_flags_exactly_the_draws_above_capacity(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/baseline.yaml", baseline=baseline), baseline, system)
    D, n = 8, system.v.shape[0]
    draws = _draws(paths, baseline.n_region, D, seed=2)
    sy, _, dr, _ = kernel_args(system, paths, draws, allocate(D, baseline, paths.t_resp.shape[0]))
    rng = np.random.default_rng(3)
    cap = rng.uniform(0.9, 1.1, (n, D))
    limit = (1.0 + draws.utilisation_margin)[None, :] * system.x0[:, None] * cap
    X = limit * rng.uniform(0.8, 0.999, (n, D))  # every cell within capacity ...
    valid = np.flatnonzero((system.K0 > 0) & (system.x0 > 0))
    X[valid[3], 2] = limit[valid[3], 2] * 1.01  # ... but one cell of draw 2 and one of draw 5
    X[valid[-1], 5] = limit[valid[-1], 5] * 1.5
    invalid = np.flatnonzero(~((system.K0 > 0) & (system.x0 > 0)))
    if invalid.size:
        X[invalid[0], 6] = 1e9  # a cell without capital has no capacity to exceed
    flag = np.full(D, -1, np.int64)
    kernels.capacity_binds(sy, dr, 0, X, cap, flag)
    assert list(np.flatnonzero(flag)) == [2, 5]
