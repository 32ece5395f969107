"""Each numba kernel against its NumPy twin (rtol 1e-10), and thread-count determinism."""

import numpy as np
import pytest
import scipy.linalg

from simcore import kernels, reference
from simcore.engine import Draws, allocate, compile_scenario, kernel_args, system_for
from simcore.scenario import load_scenario

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


def test_solve_small_matches_numpy():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    y = rng.normal(size=4)
    np.testing.assert_allclose(kernels.solve_small(A, y), reference.solve_small(A, y), rtol=1e-10)


def test_household_factor_matches():
    args = (1500.0, 0.4, 95.0, 90.0, 500.0, 0.5)
    assert kernels.household_factor(*args) == pytest.approx(reference.household_factor(*args), rel=1e-12)


def _draws(paths, R, D, seed):
    rng = np.random.default_rng(seed)
    return Draws(depreciation=rng.uniform(0.07, 0.12, D), supply_elasticity=rng.uniform(0.2, 1.0, D),
                 tfp_shift=rng.normal(0, 0.005, D), export_shift=rng.normal(0, 0.01, (D, R)),
                 efficiency_multiplier=rng.uniform(0.7, 1.3, D), grid_multiplier=rng.uniform(0.5, 1.5, D),
                 realisation_multiplier=rng.uniform(0.8, 1.1, D))


@pytest.mark.parametrize("name", SCENARIOS)
def test_simulate_matches_its_twin(name, baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario(f"scenarios/{name}.yaml"), baseline, system)
    draws = _draws(paths, baseline.n_region, 37, seed=11)  # spans three blocks, the last partial
    fast, slow = allocate(len(draws), baseline), allocate(len(draws), baseline)
    kernels.simulate(*kernel_args(system, paths, draws, fast))
    reference.simulate(*kernel_args(system, paths, draws, slow))
    for field in ("va", "capital", "energy_cell", "energy", "co2", "co2_cell", "fai"):
        np.testing.assert_allclose(getattr(fast, field), getattr(slow, field), rtol=1e-10, atol=1e-10,
                                   err_msg=field)
    np.testing.assert_array_equal(fast.status, slow.status)


def test_per_draw_loop_twin_matches(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/baseline.yaml"), baseline, system)
    draws = _draws(paths, baseline.n_region, 3, seed=5)
    a, b = allocate(3, baseline), allocate(3, baseline)
    reference.simulate(*kernel_args(system, paths, draws, a))
    reference.simulate_loop(*kernel_args(system, paths, draws, b))
    np.testing.assert_allclose(a.va, b.va, rtol=1e-12)


def test_results_do_not_depend_on_thread_count(baseline):
    import numba

    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/plan_14th_fyp.yaml"), baseline, system)
    draws = _draws(paths, baseline.n_region, 40, seed=2)
    outs = []
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            out = allocate(len(draws), baseline)
            kernels.simulate(*kernel_args(system, paths, draws, out))
            outs.append(out)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(outs[0].va, outs[1].va)
    np.testing.assert_array_equal(outs[0].co2, outs[1].co2)
