"""The kernel boundary: one declared table, the kernel and its twin read the same fields, every step matches
its twin, and an impossible number is raised with its draw, year, region and variable."""

import ast
import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest

from simcore.baseline.tables import CO2_SOURCES, FUELS
from simcore.errors import ProjectionError, SimcoreError
from simcore.model import boundary, kernels, reference
from simcore.model.boundary import BOUNDARY, Draws, Raw, allocate, kernel_args, project
from simcore.model.levers import Paths, compile_scenario
from simcore.model.system import System, system_for
from simcore.scenario.loader import load_scenario

STEPS = (
    "capacity_and_shares",
    "outside_demand",
    "investment_demand",
    "substitution",
    "capacity_overflow",
    "share_targets",
    "consumption",
    "accounting",
    "labour_demand",
    "household_factor",
    "lu_solve_block",
    "solve_small",
    "simulate",
)


def _fields_read(module) -> dict[str, set[str]]:
    """Attribute names read off the group parameters ``sy``, ``pa``, ``dr``, ``out`` anywhere in a module."""
    tree = ast.parse(Path(module.__file__).read_text())
    used: dict[str, set[str]] = {group: set() for group in boundary.GROUPS}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in used:
            used[node.value.id].add(node.attr)
    return used


def _declared(group: str) -> set[str]:
    return {f.name for f in BOUNDARY if f.group == group}


@pytest.mark.parametrize("module", [kernels, reference], ids=["kernel", "twin"])
def test_kernel_and_twin_read_exactly_the_declared_fields(module):
    used = _fields_read(module)
    skip = boundary.TWIN_ONLY if module is kernels else frozenset()
    for group in boundary.GROUPS:
        assert used[group] == _declared(group) - skip, group


@pytest.mark.parametrize("name", STEPS)
def test_every_step_has_a_twin_with_the_same_parameters(name):
    kernel = getattr(kernels, name).py_func
    twin = getattr(reference, name)
    assert list(inspect.signature(kernel).parameters) == list(inspect.signature(twin).parameters)


def test_the_kernel_takes_the_four_groups():
    assert list(inspect.signature(kernels.simulate.py_func).parameters) == list(boundary.GROUPS)
    for group, cls in boundary.TUPLES.items():
        assert list(cls._fields) == [f.name for f in BOUNDARY if f.group == group]


def test_the_python_objects_carry_the_declared_fields():
    assert [f.name for f in dataclasses.fields(System)] == [f.name for f in BOUNDARY if f.group == "sy"]
    assert _declared("pa") <= {f.name for f in dataclasses.fields(Paths)}
    assert [f.name for f in dataclasses.fields(Draws)] == [f.name for f in BOUNDARY if f.group == "dr"]
    assert [f.name for f in dataclasses.fields(Raw)] == [f.name for f in BOUNDARY if f.group == "out"]
    assert all(f.dtype in boundary.DTYPES and f.unit and f.meaning for f in BOUNDARY)


def test_fuel_and_source_positions_follow_the_baseline_order():
    assert [kernels.COAL, kernels.OIL, kernels.GAS, kernels.NONFOSSIL, kernels.INFLOW] == [
        FUELS.index(f) for f in ("coal", "oil", "gas", "nonfossil", "electricity_inflow")
    ]
    assert kernels.PROCESS == CO2_SOURCES.index("process")


@pytest.fixture(scope="module")
def plan(baseline):
    system = system_for(baseline)
    paths = compile_scenario(load_scenario("scenarios/plan_14th_fyp.yaml", baseline=baseline), baseline, system)
    assert paths.t_num.shape[0] > 0  # the plan has share targets, so every step is exercised
    return system, paths


def test_kernel_args_names_a_misshaped_field(baseline, plan):
    system, paths = plan
    draws = Draws.central(paths, baseline.n_region)
    bad = dataclasses.replace(paths, theta=paths.theta.T.copy())
    with pytest.raises(SimcoreError, match=r"pa\.theta: expected shape \(\d+, \d+\) \(R,S\)"):
        kernel_args(system, bad, draws, allocate(1, baseline, paths.t_resp.shape[0]))
    ints = dataclasses.replace(draws, depreciation=np.array([1]))
    with pytest.raises(SimcoreError, match=r"dr\.depreciation: .* of f8, got .* int64"):
        kernel_args(system, paths, ints, allocate(1, baseline, paths.t_resp.shape[0]))
    nan = dataclasses.replace(draws, grid_multiplier=np.array([np.nan]))
    with pytest.raises(SimcoreError, match=r"dr\.grid_multiplier: 1 non-finite"):
        kernel_args(system, paths, nan, allocate(1, baseline, paths.t_resp.shape[0]))


def _state(baseline, system, D, seed):
    """A random state of ``D`` draws in the twin's layout (draws first)."""
    rng = np.random.default_rng(seed)
    R, n = baseline.n_region, system.v.shape[0]
    S = n // R
    log_x_cum = rng.normal(0.1, 0.05, (D, n))
    log_cap = rng.normal(0.05, 0.05, (D, n))
    return {
        "invest": system.gdp0[None, :] * rng.uniform(0.2, 0.4, (D, R)),
        "K": system.K0[None, :] * rng.uniform(0.9, 1.3, (D, n)),
        "x_cum": np.exp(log_x_cum),
        "log_x_cum": log_x_cum,
        "log_tfp": rng.normal(0.02, 0.01, D),
        "rho": rng.uniform(0.8, 1.2, (D, n)),
        "f": rng.uniform(0.0, 10.0, (D, n)),
        "x": system.x0[None, :] * rng.uniform(1.0, 1.3, (D, n)),
        "eff_cum": rng.uniform(0.8, 1.0, (D, S + 1)),
        "gdp": system.gdp0[None, :] * rng.uniform(1.0, 1.3, (D, R)),
        "cons": system.C0[None, :] * rng.uniform(1.0, 1.3, (D, R)),
        "lab": rng.uniform(0.9, 1.1, (D, R)),
        "cap": np.exp(log_cap),
        "sv": rng.uniform(0.0, 5.0, (D, R)),
        "grid": rng.uniform(0.5, 1.0, D),
    }


def _block(a):
    """The kernel's layout of a block of draws: the transpose, draws innermost (1-D arrays as they are)."""
    return np.array(a.T, order="C") if a.ndim == 2 else a.copy()  # always a copy, never a view


@pytest.mark.parametrize("step", ["capacity_and_shares", "outside_demand", "investment_demand", "substitution"])
def test_demand_steps_match_their_twins(baseline, plan, step):
    system, paths = plan
    D, t = 5, 4
    sy, pa, dr, _ = kernel_args(
        system, paths, _draw_set(paths, baseline.n_region, D), allocate(D, baseline, paths.t_resp.shape[0])
    )
    state = _state(baseline, system, D, seed=3)
    k_state = {k: _block(v) for k, v in state.items()}
    w_state = {k: v.copy() for k, v in state.items()}
    kern, twin = getattr(kernels, step), getattr(reference, step)
    names = {
        "capacity_and_shares": ["invest", "K", "x_cum", "log_x_cum", "log_tfp", "rho", "lab", "cap"],
        "outside_demand": ["x_cum", "rho", "f"],
        "investment_demand": ["invest", "gdp", "rho", "f"],
        "substitution": ["eff_cum", "x", "cons", "sv", "f"],
    }[step]
    lead = {
        "capacity_and_shares": (sy, pa, dr),
        "outside_demand": (sy,),
        "investment_demand": (sy, pa),
        "substitution": (sy, pa, t),
    }[step]
    extra = (0, t) if step == "capacity_and_shares" else ()
    kern(*lead, *extra, *(k_state[k] for k in names))  # one block of D draws from draw 0
    extra = (np.arange(D), t) if step == "capacity_and_shares" else ()
    twin(*lead, *extra, *(w_state[k] for k in names))
    for k in names:
        np.testing.assert_allclose(_block(k_state[k]), w_state[k], rtol=1e-12, atol=1e-12, err_msg=f"{step}: {k}")
    assert any(not np.array_equal(w_state[k], state[k]) for k in names)  # the step did something


def test_share_targets_match_their_twin_and_meet_the_targets(baseline, plan):
    system, paths = plan
    D, t = 4, 10
    sy, pa, _, _ = kernel_args(
        system, paths, _draw_set(paths, baseline.n_region, D), allocate(D, baseline, paths.t_resp.shape[0])
    )
    x = _state(baseline, system, D, seed=5)["x"]
    m = paths.t_num.shape[0]
    xk = x.copy()
    k = paths.t_resp.shape[0]
    assert k == 2 * m  # GDP-neutral by default: a cut of the rest per target
    lam_k, lam_w = np.zeros((D, k)), np.zeros((D, k))
    st = _state(baseline, system, D, seed=6)
    xb, lam_b, codes = _block(xk), _block(lam_k), np.zeros(D, np.int64)
    kernels.share_targets(
        sy, pa, t, xb, np.empty((k, k)), np.empty(k), lam_b, _block(st["x_cum"]), _block(st["rho"]), codes
    )
    xk, lam_k = _block(xb), _block(lam_b)
    xw = x.copy()
    twin_codes = reference.share_targets(sy, pa, t, xw, None, None, lam_w, st["x_cum"], st["rho"])
    np.testing.assert_array_equal(codes, twin_codes)
    np.testing.assert_allclose(xk, xw, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(lam_k, lam_w, rtol=1e-10, atol=1e-12)
    # GDP-neutral (the default): every targeted region's GDP is what it was before the shift
    np.testing.assert_allclose(xk @ paths.t_den.T, x @ paths.t_den.T, rtol=1e-10)
    share = (xk @ paths.t_num.T) / (xk @ paths.t_den.T)  # the targets hold after the step
    np.testing.assert_allclose(share, np.broadcast_to(paths.t_path[:, t], share.shape), rtol=1e-9)


def test_accounting_matches_its_twin(baseline, plan):
    system, paths = plan
    D, t = 4, 7
    st = _state(baseline, system, D, seed=9)
    ok, tw = allocate(D, baseline, paths.t_resp.shape[0]), allocate(D, baseline, paths.t_resp.shape[0])
    sy, pa, _, out_k = kernel_args(system, paths, _draw_set(paths, baseline.n_region, D), ok)
    codes = np.zeros(D, np.int64)
    kernels.accounting(
        sy, pa, 0, t, *(_block(st[k]) for k in ("x", "K", "eff_cum", "grid", "cons", "sv")), out_k, codes
    )
    out_w = kernel_args(system, paths, _draw_set(paths, baseline.n_region, D), tw)[3]
    twin_codes = reference.accounting(
        sy, pa, np.arange(D), t, st["x"], st["K"], st["eff_cum"], st["grid"], st["cons"], st["sv"], out_w
    )
    np.testing.assert_array_equal(codes, twin_codes)
    assert (np.asarray(codes) == kernels.OK).all()
    for name in ("va", "capital", "energy_cell", "energy", "co2", "co2_cell"):
        np.testing.assert_allclose(getattr(ok, name), getattr(tw, name), rtol=1e-12, atol=1e-12, err_msg=name)
    # identities: fuels add up to the sectors and households, sources to the sectors' CO2
    np.testing.assert_allclose(ok.energy[:, t].sum(axis=2), ok.energy_cell[:, t].sum(axis=2), rtol=1e-12)
    np.testing.assert_allclose(ok.co2[:, t].sum(axis=2), ok.co2_cell[:, t].sum(axis=2), rtol=1e-12)


def _draw_set(paths, R, D, **over):
    central = Draws.central(paths, R)
    values = {f.name: np.repeat(getattr(central, f.name), D, axis=0) for f in dataclasses.fields(Draws)}
    values.update(over)
    return Draws(**values)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_negative_energy_is_raised_with_its_draw_year_region_and_fuel(baseline, plan, backend):
    system, paths = plan
    broken = dataclasses.replace(system, nf0=-system.nf0)  # a sign error in a non-fossil intensity
    draws = _draw_set(paths, baseline.n_region, 2)
    with pytest.raises(
        ProjectionError,
        match=r"2 draw\(s\) failed, first draw 0 in 2020: energy use turned "
        r"negative in \w+, energy\|nonfossil = -",
    ) as info:
        project(broken, paths, draws, baseline, backend=backend)
    d, year, region, variable, value = info.value.where[0]
    assert (d, year, variable) == (0, 2020, "energy|nonfossil") and region in baseline.leaves and value < 0
    raw = project(broken, paths, draws, baseline, backend=backend, check=False)
    assert list(raw.status) == [kernels.NEGATIVE_ENERGY] * 2 and list(raw.fail_year) == [0, 0]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_negative_co2_is_raised_with_its_source(baseline, plan, backend):
    system, paths = plan
    elec = paths.elec.copy()
    elec[baseline.sectors.index("steel"), 5:] = 1.5  # electrifying 150% of fossil use: negative coal and CO2
    draws = _draw_set(paths, baseline.n_region, 1)
    with pytest.raises(
        ProjectionError,
        match=r"first draw 0 in 2025: CO2 emissions turned negative in \w+, "
        r"CO2\|(coal|oil|gas) = -",
    ):
        project(system, dataclasses.replace(paths, elec=elec), draws, baseline, backend=backend)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_non_finite_values_are_raised_never_returned(baseline, plan, backend):
    system, paths = plan
    shift = np.zeros((2, baseline.n_region, paths.fai.shape[1]))
    shift[1, 2, 6] = -1.5  # outside demand growth of -150%: the log of a negative number
    draws = _draw_set(paths, baseline.n_region, 2, export_shift=shift)
    with pytest.raises(ProjectionError, match=r"first draw 1 in 2026: non-finite values in \w+"):
        project(system, paths, draws, baseline, backend=backend)


@pytest.mark.parametrize("module", [kernels, reference], ids=["kernel", "twin"])
def test_investment_adds_capacity_from_the_year_after_it_is_spent(baseline, plan, module):
    """docs/model.md: investment is demand in the year it is spent and capacity from the next year on."""
    system, paths = plan
    D, t = 1, 3
    sy, pa, dr, _ = kernel_args(
        system, paths, _draw_set(paths, baseline.n_region, D), allocate(D, baseline, paths.t_resp.shape[0])
    )
    st = _state(baseline, system, D, seed=4)
    results = []
    for scale in (0.0, 5.0):  # no investment this year, or five times the state's
        names = ("K", "x_cum", "log_x_cum", "log_tfp", "rho", "lab", "cap")
        invest = st["invest"] * scale
        if module is kernels:
            state = {k: _block(st[k]) for k in names}
            module.capacity_and_shares(sy, pa, dr, 0, t, _block(invest), *state.values())
            state = {k: _block(v) for k, v in state.items()}
        else:
            state = {k: st[k].copy() for k in names}
            module.capacity_and_shares(sy, pa, dr, np.arange(D), t, invest, *state.values())
        results.append((state["K"], state["rho"]))
    (k_none, rho_none), (k_big, rho_big) = results
    assert (k_big > k_none).any()  # the capital stock records this year's investment ...
    np.testing.assert_array_equal(rho_none, rho_big)  # ... but this year's market shares do not see it
