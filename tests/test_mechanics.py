"""Labour, commuting, consumption on residents' income, binding capacity and the energy-price response
(issue 11): each mechanism's direction and conservation law, and its kernel against its NumPy twin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simcore.baseline.tables import FINAL_DEMAND
from simcore.model import kernels, reference
from simcore.model.boundary import Draws, allocate, kernel_args, project
from simcore.model.levers import compile_scenario
from simcore.model.system import earnings_shares, household_weights, system_for
from simcore.scenario.loader import load_scenario, with_overrides


@pytest.fixture(scope="module")
def plan(baseline):
    system = system_for(baseline)
    scenario = load_scenario("scenarios/plan_14th_fyp.yaml", baseline=baseline)
    return system, compile_scenario(scenario, baseline, system)


def _gdp(baseline, raw):
    T = raw.va.shape[1]
    return raw.va[0].reshape(T, baseline.n_region, baseline.n_sector).sum(axis=2)  # (T, R)


# ---------------------------------------------------------------------------------------- labour accounts


def test_commuting_shares_and_jobs_add_up(baseline):
    np.testing.assert_allclose(baseline.commute.sum(axis=1), 1.0, rtol=1e-12)
    assert (baseline.commute >= 0).all()
    workers = baseline.participation * baseline.population  # by residence
    at_work = baseline.commute.T @ workers  # by workplace
    np.testing.assert_allclose(at_work, baseline.employment, rtol=1e-10)  # every job is held
    np.testing.assert_allclose(baseline.jobs.sum(axis=1), baseline.employment, rtol=1e-10)
    assert workers.sum() == pytest.approx(baseline.employment.sum(), rel=1e-12)  # closed labour market
    # Binhai has more jobs than resident workers (net in-commuting), the other leaves fewer or as many
    for leaf in ("eco_city", "binhai_other"):
        r = baseline.leaves.index(leaf)
        assert at_work[r] > workers[r]


def test_jobs_by_sector_follow_compensation_over_wage(baseline):
    """Within a leaf, jobs per unit of compensation are the inverse of the sector's wage: a sector paying
    more per worker has fewer workers per yuan of compensation, the same ratio in every leaf."""
    comp = baseline.comp_ratio[None, :] * baseline.gross_output
    per_comp = np.divide(baseline.jobs, comp, out=np.full_like(comp, np.nan), where=comp > 0)
    finance, agriculture = baseline.sectors.index("finance"), baseline.sectors.index("agriculture")
    r = baseline.leaves.index("rest_of_tianjin")
    assert per_comp[r, finance] < per_comp[r, agriculture]
    relative = per_comp / per_comp[:, [finance]]
    np.testing.assert_allclose(relative[r], relative[baseline.leaves.index("dongli")], rtol=1e-10)


# --------------------------------------------------------------------------- consumption on residents' income


def test_residents_spend_less_than_they_earn_and_every_yuan_of_pay_reaches_a_resident(baseline):
    system = system_for(baseline)
    comp_by_workplace = (baseline.comp_ratio[None, :] * baseline.gross_output).sum(axis=1)
    omega = earnings_shares(baseline)
    np.testing.assert_allclose(omega.sum(axis=1), 1.0, rtol=1e-12)  # each job's pay goes to some resident
    earned = omega.T @ comp_by_workplace  # by residence
    household = baseline.final_demand[:, :, FINAL_DEMAND.index("household")].sum(axis=1)
    np.testing.assert_allclose(system.cons_w @ system.x0, household, rtol=1e-10)  # 2020 reproduced
    assert (household < earned).all()  # no leaf consumes more than its residents earn
    np.testing.assert_allclose(household / earned, household.sum() / earned.sum(), rtol=1e-10)
    # every unit of compensation paid anywhere is spent at the same propensity
    weights = household_weights(baseline).reshape(baseline.n_region, baseline.n_region, baseline.n_sector)
    propensity = household.sum() / comp_by_workplace.sum()
    np.testing.assert_allclose(weights.sum(axis=0), propensity * np.tile(baseline.comp_ratio, (6, 1)), rtol=1e-10)


def test_no_leaf_consumes_more_than_its_residents_earn_in_any_projected_year(baseline, plan):
    system, paths = plan
    raw = project(system, paths, Draws.central(paths, baseline.n_region), baseline)
    x = raw.va[0] / system.v[None, :]  # (T, n) gross output
    comp = (x * np.tile(baseline.comp_ratio, baseline.n_region)[None, :]).reshape(len(x), baseline.n_region, -1)
    earned = comp.sum(axis=2) @ earnings_shares(baseline)  # (T, R) by residence
    spent = x @ system.cons_w.T
    assert (spent < earned).all()


def test_the_type_ii_closure_of_a_small_district_is_no_longer_inflated(baseline):
    """Ziya's 2020 household consumption was 1.18 of its GDP (shared out by residents); on its residents'
    pay it is below its residents' compensation, and its Type II output multiplier falls."""
    from simcore.analysis.multipliers import multipliers

    r = baseline.leaves.index("ziya")
    household = baseline.final_demand[r, :, FINAL_DEMAND.index("household")].sum()
    assert household / baseline.gdp[r] < 0.6
    table = multipliers(baseline, "II").summary.set_index("region")
    assert (
        table.loc["ziya", "output_weighted_output_multiplier"] < 2.58
    )  # the value with consumption on GDP (docs/model.md)


# ---------------------------------------------------------------------------------------- capacity that binds


def _capacity_state(baseline, system, D, seed):
    rng = np.random.default_rng(seed)
    n = system.v.shape[0]
    log_cap = rng.normal(-0.02, 0.08, (D, n))  # some cells well below their 2020 output
    f = np.tile(system.x0 - system.G.dot(np.zeros(n)), (D, 1))
    # demand that would need 2020 output x 0.9-1.4 in each cell
    x_wanted = system.x0[None, :] * rng.uniform(0.9, 1.4, (D, n))
    M = np.linalg.inv(system.G)
    f = x_wanted @ M.T
    return log_cap, f, x_wanted


def test_capacity_overflow_matches_its_twin_and_solves_the_complementarity_problem(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/baseline.yaml", baseline=baseline), baseline, system)
    D, n = 6, system.v.shape[0]
    draws = Draws(
        **{
            **{
                f.name: np.repeat(getattr(Draws.central(paths, 6), f.name), D, axis=0)
                for f in dataclasses.fields(Draws)
            }
        }
    )
    sy, pa, dr, _ = kernel_args(system, paths, draws, allocate(D, baseline))
    log_cap, f, x_free = _capacity_state(baseline, system, D, seed=3)
    cap_rel = np.exp(log_cap)
    GT = np.ascontiguousarray(system.G.T)
    rng = np.random.default_rng(8)
    results = {}
    # the binding set to start from: empty (cold), the right one, a random one, every cell (warm starts)
    for start in ("cold", "random", "all", "solution"):
        xk, ok = x_free.copy(), np.zeros((D, n))
        codes = []
        for d in range(D):
            if start == "solution":
                in_b = (results["cold"][1][d] > 0).astype(np.int64)
            else:
                in_b = {"cold": np.zeros(n), "random": rng.integers(0, 2, n), "all": np.ones(n)}[start]
                in_b = in_b.astype(np.int64)
            scratch = (np.empty(n), np.empty(n), in_b, np.zeros(n, np.int64), np.empty((n, n)), np.empty(n))
            codes.append(kernels.capacity_overflow(sy, dr, d, xk[d], cap_rel[d], ok[d], *scratch, np.empty(n), GT))
            np.testing.assert_array_equal(in_b == 1, ok[d] > 0)  # on exit: the solution's binding set
        assert codes == [kernels.OK] * D, start
        results[start] = (xk, ok)
    for start in ("random", "all", "solution"):  # the solution is unique: every start finds it
        np.testing.assert_allclose(results[start][0], results["cold"][0], rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(results[start][1], results["cold"][1], rtol=1e-10, atol=1e-9)
    xk, ok = results["cold"]
    xw, ow = x_free.copy(), np.zeros((D, n))
    twin = reference.capacity_overflow(sy, dr, np.arange(D), xw, cap_rel, ow)
    assert list(twin) == [kernels.OK] * D
    np.testing.assert_allclose(xk, xw, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(ok, ow, rtol=1e-10, atol=1e-9)
    valid = (system.K0 > 0) & (system.x0 > 0)
    cap = (1 + dr.utilisation_margin[0]) * system.x0[None, :] * np.exp(log_cap)
    assert (ok >= 0).all() and (ok[:, ~valid] == 0).all() and ok.sum() > 0  # something bound
    assert (xk[:, valid] <= cap[:, valid] * (1 + 1e-9)).all()  # nothing above capacity
    binding = ok > 1e-9
    np.testing.assert_allclose(xk[binding], cap[binding], rtol=1e-9)  # overflow only where capacity binds
    # conservation: what Tianjin produces plus what it buys outside is the demand, M x + over = f
    M = np.linalg.inv(system.G)
    np.testing.assert_allclose(xk @ M.T + ok, f, rtol=1e-8, atol=1e-6)
    assert (xk >= -1e-9).all()  # cutting binding cells never drives another cell negative


def test_a_tighter_margin_sends_more_demand_outside_tianjin(baseline):
    """Direction: a smaller utilisation margin means more overflow and less GDP, never the reverse."""
    scenario = load_scenario("scenarios/plan_14th_fyp.yaml", baseline=baseline)
    results = {}
    for margin in (0.05, 0.15, 1.0):
        s = with_overrides(scenario, {"parameters.utilisation_margin": margin}, baseline=baseline)
        system = system_for(baseline)
        paths = compile_scenario(s, baseline, system)
        raw = project(system, paths, Draws.central(paths, baseline.n_region), baseline)
        results[margin] = (raw.overflow[0].sum(), _gdp(baseline, raw)[-1].sum())
    assert results[0.05][0] > results[0.15][0] > results[1.0][0] >= 0
    assert results[0.05][1] < results[0.15][1] < results[1.0][1]


# ---------------------------------------------------------------------------------------- labour and jobs


def test_labour_demand_matches_its_twin_and_equals_labour_at_full_utilisation(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/baseline.yaml", baseline=baseline), baseline, system)
    sy, _, _, _ = kernel_args(system, paths, Draws.central(paths, 6), allocate(1, baseline))
    rng = np.random.default_rng(1)
    D, R = 3, baseline.n_region
    log_cap = rng.normal(0, 0.05, (D, len(system.x0)))
    lab = rng.uniform(0.9, 1.1, (D, R))
    x = system.x0[None, :] * np.exp(log_cap)  # every cell exactly at capacity
    cap = np.exp(log_cap)
    jobs_b = np.zeros((R, D))  # the kernel's block layout: draws innermost
    kernels.labour_demand(
        sy, np.ascontiguousarray(x.T), np.ascontiguousarray(lab.T), np.ascontiguousarray(cap.T), jobs_b
    )
    jobs_k = jobs_b.T
    jobs_w = np.zeros((D, R))
    reference.labour_demand(sy, x, lab, cap, jobs_w)
    np.testing.assert_allclose(jobs_k, jobs_w, rtol=1e-12)
    no_capital = ((system.K0 == 0) & (system.x0 > 0)).reshape(R, -1)
    if not no_capital.any():
        np.testing.assert_allclose(jobs_k, lab * baseline.jobs.sum(axis=1)[None, :], rtol=1e-12)
    # at utilisation u the cells with capital need u times the workers
    jobs_half = np.zeros((R, 1))
    kernels.labour_demand(sy, 0.5 * x[:1].T.copy(), lab[:1].T.copy(), cap[:1].T.copy(), jobs_half)
    assert (jobs_half[:, 0] < jobs_k[0]).all()


def test_residents_raise_capacity_only_as_far_as_jobs_follow(baseline):
    """Doubling the residents of the rest of Binhai doubles its workforce but not its capacity: labour is
    capped by the workplaces its capital provides, so GDP moves far less than a Cobb-Douglas on residents
    would give (the labour elasticity 1 - alpha is about 0.5, so +41% on residents alone)."""
    scenario = load_scenario("scenarios/baseline.yaml", baseline=baseline)
    leaf = "binhai_other"
    r = baseline.leaves.index(leaf)
    pop = float(baseline.population[r])
    doubled = with_overrides(
        scenario, {f"population.regions.{leaf}": {"values": {2021: 2 * pop, 2035: 2 * pop}}}, baseline=baseline
    )
    system = system_for(baseline)
    out = {}
    for name, s in (("base", scenario), ("doubled", doubled)):
        paths = compile_scenario(s, baseline, system)
        raw = project(system, paths, Draws.central(paths, baseline.n_region), baseline)
        out[name] = (paths.workforce[r], _gdp(baseline, raw)[:, r], raw.jobs[0, :, r])
    workforce_gain = out["doubled"][0][5] / out["base"][0][5]
    gdp_gain = out["doubled"][1][5] / out["base"][1][5]
    assert workforce_gain > 1.7  # in-commuters from the other leaves are not doubled
    assert 1.0 <= gdp_gain < 1.1
    assert out["doubled"][2][5] < 1.1 * out["base"][2][5]  # jobs do not follow the residents


# ---------------------------------------------------------------------------------------- energy prices


def test_dearer_energy_cuts_energy_use_by_the_own_price_elasticity(baseline):
    scenario = load_scenario("scenarios/baseline.yaml", baseline=baseline)
    price = {"values": {2021: 1.0, 2030: 1.5, 2035: 1.5}}
    # without electrification, whose demand shift follows the (cheaper) fossil use it replaces
    off = {f"energy.electrification.{key}": 0.0 for key in scenario.spec.energy.electrification}
    scenario = with_overrides(scenario, off, baseline=baseline)
    dear = with_overrides(scenario, {"prices.energy": price}, baseline=baseline)
    system = system_for(baseline)
    runs = {}
    for name, s in (("base", scenario), ("dear", dear)):
        paths = compile_scenario(s, baseline, system)
        runs[name] = (paths, project(system, paths, Draws.central(paths, baseline.n_region), baseline))
    (p_base, base), (p_dear, dear_raw) = runs["base"], runs["dear"]
    eps = p_base.energy_price_elasticity
    assert eps > 0
    np.testing.assert_allclose(dear_raw.va, base.va, rtol=1e-12)  # quantities of output unchanged
    t = list(range(len(p_dear.log_energy_price)))
    ratio = dear_raw.energy[0].sum(axis=2) / base.energy[0].sum(axis=2)  # (T, R)
    expected = np.exp(-eps * p_dear.log_energy_price)[t][:, None]
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape), rtol=1e-12)
    assert ratio[-1].max() < 1.0 and ratio[0].min() == pytest.approx(1.0)
