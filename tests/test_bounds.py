"""Physical bounds (issue 13): what the schema refuses, what a failed draw names, and that no Monte Carlo draw
leaves its parameter's range.  The refused files themselves are in ``tests/data/bad_scenarios/bound_*.yaml``
(each with the message ``test_scenarios.py`` holds it to); here: the command line on them, the sampler's
truncation, the kernel's first status and the lever a failure names."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from simcore import run
from simcore.cli import main
from simcore.errors import ProjectionError, ScenarioError
from simcore.experiments.montecarlo import MAX_EFFICIENCY_FALL, Sampler, monte_carlo, sample
from simcore.model import kernels
from simcore.model.boundary import Draws, check_status, project, responsible_levers
from simcore.model.levers import compile_scenario
from simcore.model.system import system_for
from simcore.model.variables import batch_variables
from simcore.scenario.loader import load_scenario
from simcore.scenario.schema import DRAW_RANGES, Distribution, ScenarioSpec, TimePath

BAD = Path(__file__).parent / "data" / "bad_scenarios"


@pytest.mark.parametrize("name", ["bound_target_empty_values", "bound_cumulative_below_base"])
def test_former_tracebacks_are_located_messages_from_validate_and_run(name, capsys, tmp_path):
    path = BAD / f"{name}.yaml"
    line = path.read_text().splitlines()[0].split(":")[1].strip()
    assert main(["validate", str(path)]) == 1
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr()
    text = err.out + err.err
    assert "Traceback" not in text
    assert text.count(f"{path.name}:{line}: ") == 2  # once from validate, once from run
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_cumulative_total_is_checked_against_the_real_2020_level(baseline):
    """The loader evaluates level paths from a placeholder level of 1; 10 is reachable from 1 but not from
    Binhai's 2020 investment, so only the compiled path can refuse it (it was brentq's ValueError)."""
    scenario = load_scenario(BAD / "bound_cumulative_below_base.yaml", baseline=baseline)
    with pytest.raises(ScenarioError) as info:
        compile_scenario(scenario, baseline)
    (issue,) = info.value.issues
    assert issue.path == "investment.regions.binhai.path" and issue.line == 5
    members = [baseline.leaves.index(leaf) for leaf in baseline.regions.members("binhai")]
    level = baseline.fixed_investment[members].sum()  # Binhai's 2020 FAI, the level before 2021
    assert f"cannot be met from the level {level:.6g} of the year before" in issue.problem
    assert issue.expected.startswith("a total between") and level > 10


@pytest.mark.parametrize(
    "value",
    [True, math.nan, math.inf, -math.inf],
    ids=["bool", "nan", "inf", "-inf"],
)
def test_no_boolean_or_non_finite_number_anywhere(value):
    for data in (
        {"name": "x", "parameters": {"fuel_offset": value}},
        {"name": "x", "industry_shares": {"plausible_shift": value}},
        {"name": "x", "exports": {"convergence": {"half_life": value}}},
        {"name": "x", "energy": {"coal_to_gas": {"industry": {"values": {2025: value}}}}},
        {
            "name": "x",
            "uncertainty": {"parameters": {"grid": {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": value}}},
        },
    ):
        with pytest.raises(Exception) as info:
            ScenarioSpec.model_validate(data)
        assert "ValidationError" in type(info.value).__name__


def test_integers_stay_integers_and_numbers_keep_their_type():
    path = TimePath.model_validate({"values": {2025: 3, 2035: 0.5}})
    assert [type(v) for v in path.values.values()] == [int, float]  # nothing a sweep digest could see changed
    spec = ScenarioSpec.model_validate({"name": "x", "seed": 7, "uncertainty": {"draws": 10}})
    assert spec.seed == 7 and spec.uncertainty.draws == 10


@pytest.mark.parametrize(
    "kind, ok, refused",
    [
        ("rate", [-0.5, 0.0, 0.5], [-0.51, 0.51, 5]),
        ("share", [0.0, 1.0], [-0.01, 1.01]),
        ("fossil", [0.0, 1.0], [-0.1, 1.2]),
        ("price", [0.01, 10.0], [0.0, -1.0, 10.5]),
        ("index", [0.0, 10.0], [-0.1, 11.0]),
    ],
)
def test_each_path_kind_holds_its_bounds(kind, ok, refused):
    from pydantic import TypeAdapter

    from simcore.scenario.schema import _Checked

    adapter = TypeAdapter(_Checked[kind])
    for value in ok:
        adapter.validate_python(value)
    for value in refused:
        with pytest.raises(Exception, match="outside"):
            adapter.validate_python(value)


def test_the_growth_form_of_a_level_holds_the_rate_bounds():
    from pydantic import TypeAdapter

    from simcore.scenario.schema import LevelPath

    adapter = TypeAdapter(LevelPath)
    adapter.validate_python({"growth": {"2021-2025": 0.5, "2026-2035": -0.5}})
    with pytest.raises(Exception, match=r"growth 0.6 outside \[-0.5, 0.5\]"):
        adapter.validate_python({"growth": {"2021-2025": 0.6, "2026-2035": 0.0}})
    with pytest.raises(Exception, match=r"growth -0.6 outside"):
        adapter.validate_python({"cumulative": {"2021-2025": 100}, "growth": -0.6})


def test_every_shipped_distribution_is_inside_its_draw_range(baseline):
    for path in sorted(Path("scenarios").glob("*.yaml")):
        for name, dist in load_scenario(path, baseline=baseline).spec.uncertainty.parameters.items():
            assert dist.range_problem(*DRAW_RANGES[name]) is None, (path.name, name)


def _sampler(baseline, tmp_path, parameters: str, energy: str = "") -> Sampler:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\n{energy}uncertainty:\n  baseline_levels: false\n  parameters:\n{parameters}")
    scenario = load_scenario(path, baseline=baseline)
    paths = compile_scenario(scenario, baseline)
    return Sampler(scenario, baseline, Draws.central(paths, baseline.n_region), seed=3)


def test_unbounded_tails_are_truncated_to_the_range_and_nothing_else_moves(baseline, tmp_path):
    sampler = _sampler(
        baseline,
        tmp_path,
        "    depreciation: {dist: normal, mean: 0.096, sd: 0.5}\n"
        "    realisation: {dist: lognormal, median: 1.0, sigma: 2.0}\n"
        "    tfp_growth: {dist: normal, mean: 0.0, sd: 0.4}\n",
    )
    span = sampler.span(0, 3000)
    p = sampler.p
    for name, got in (
        ("depreciation", span.draws.depreciation),
        ("realisation", span.draws.realisation_multiplier),
        ("tfp_growth", span.draws.tfp_shift),
    ):
        lo, hi = DRAW_RANGES[name]
        raw = sample(p[name], 3, sampler.stream[name], 3000)[:, 0]
        inside = (raw >= lo) & (raw <= hi)
        assert (~inside).sum() > 10, name  # the test draws reach outside the range ...
        assert (got >= lo).all() and (got <= hi).all(), name  # ... and no draw does after truncation
        np.testing.assert_array_equal(got[inside], raw[inside])  # draws inside the range are untouched
        np.testing.assert_array_equal(got[raw < lo], lo)
        np.testing.assert_array_equal(got[raw > hi], hi)


def test_efficiency_draws_stop_short_of_a_100_percent_fall(baseline, tmp_path):
    sampler = _sampler(
        baseline,
        tmp_path,
        "    efficiency: {dist: lognormal, median: 1.0, sigma: 0.6}\n",
        "energy:\n  efficiency: {industry: 0.45, steel: {values: {2030: 0.3}}}\n",
    )
    multiplier = sampler.span(0, 2000).draws.efficiency_multiplier
    assert (multiplier * 0.45 > 1.0).sum() == 0 and np.isclose(multiplier.max(), MAX_EFFICIENCY_FALL / 0.45)


def test_monte_carlo_near_the_efficiency_bound_runs_with_no_negative_energy(baseline, tmp_path):
    """Gains of 45% a year with a wide multiplier: untruncated, about one draw in ten asks for a fall of more
    than 100% (negative energy, the draw fails); truncated, every draw completes and no energy is negative."""
    path = tmp_path / "eff.yaml"
    path.write_text(
        "name: eff\nenergy:\n  efficiency: {industry: 0.45}\nuncertainty:\n  baseline_levels: false\n"
        "  parameters:\n    efficiency: {dist: lognormal, median: 1.0, sigma: 0.6}\n"
    )
    raw = sample(load_scenario(path, baseline=baseline).spec.uncertainty.parameters["efficiency"], 1, 4, 96)
    assert (raw * 0.45 > 1.0).sum() >= 3  # the draws that would have failed
    mc = monte_carlo(path, draws=96, seed=1, baseline=baseline)
    energy = [v for v in mc.variables if v.startswith("Energy Consumption")]
    assert len(energy) >= 6
    for variable in energy:
        assert (mc.values[:, mc.variables.index(variable)] >= 0).all(), variable


@pytest.fixture(scope="module")
def plan(baseline):
    system = system_for(baseline)
    scenario = load_scenario("scenarios/plan_14th_fyp.yaml", baseline=baseline)
    return system, compile_scenario(scenario, baseline, system)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_negative_electricity_inflow_is_a_status(baseline, plan, backend):
    system, paths = plan
    broken = dataclasses.replace(system, inflow_h0=-system.inflow_h0)  # households' received electricity
    draws = Draws.central(paths, baseline.n_region)
    with pytest.raises(
        ProjectionError, match=r"first draw 0 in 2020: energy use turned negative in one fuel of one"
    ) as info:
        project(broken, paths, draws, baseline, backend=backend)
    # the households' inflow is offset by the sectors' in each region's total: no total is negative, and the
    # message cites no positive number as the offender
    assert " = " not in str(info.value) and "most likely lever: scenarios/" in str(info.value)
    assert str(info.value).split("most likely lever: ")[1].split(": ")[1].startswith("energy.")
    raw = project(broken, paths, draws, baseline, backend=backend, check=False)
    assert raw.status[0] == kernels.NEGATIVE_ENERGY and (raw.energy[0] >= 0).all()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_the_first_status_is_kept_beside_the_worst(baseline, plan, backend):
    """A draw whose share target fails first and whose energy then turns negative is reported by its cause."""
    system, paths = plan
    t_path = paths.t_path.copy()
    t_path[1, 2:] = 0.95  # Dongli's manufacturing at 95% of GDP from 2022: unreachable by demand
    broken = dataclasses.replace(paths, t_path=t_path)
    raw = project(system, broken, Draws.central(paths, baseline.n_region), baseline, backend=backend, check=False)
    assert raw.first_status[0] == kernels.TARGET_UNREACHABLE and raw.fail_year[0] == 2
    assert raw.status[0] > kernels.TARGET_UNREACHABLE  # what followed from it
    with pytest.raises(ProjectionError, match=r"first draw 0 in 2022: a share target .* unreachable .*; then "):
        check_status(raw, broken, baseline)


def test_kernel_and_twin_agree_on_first_status(baseline, plan):
    system, paths = plan
    t_path = paths.t_path.copy()
    t_path[1, 2:] = 0.95
    broken = dataclasses.replace(paths, t_path=t_path)
    draws = Draws.central(paths, baseline.n_region)
    a = project(system, broken, draws, baseline, backend="numba", check=False)
    b = project(system, broken, draws, baseline, backend="numpy", check=False)
    assert (a.first_status == b.first_status).all() and (a.status == b.status).all()
    assert (a.fail_year == b.fail_year).all()


def test_an_unreachable_target_names_its_key_and_line(baseline, tmp_path):
    path = tmp_path / "unreachable.yaml"
    path.write_text(
        f"extends: {Path('scenarios/plan_14th_fyp.yaml').resolve()}\n"
        "name: unreachable\nindustry_shares:\n  targets:\n    dongli: {manufacturing: {values: {2025: 0.9}}}\n"
    )
    with pytest.raises(ProjectionError) as info:
        run(path, baseline=baseline)
    message = str(info.value)
    assert "target unreachable by demand" in message
    first = message.split("most likely lever: ", 1)[1].split(" (also")[0]
    assert first.endswith(f"{path.name}:5: industry_shares.targets.dongli.manufacturing")


def test_a_negative_fuel_names_the_energy_lever_behind_it(baseline, plan):
    system, paths = plan
    marks = (
        ("energy.efficiency.industry", "mine.yaml:5"),
        ("energy.grid_emission_factor", "mine.yaml:7"),
        ("investment.regions.binhai.path", "mine.yaml:9"),
    )
    located = dataclasses.replace(paths, lever_marks=marks)
    broken = dataclasses.replace(system, nf0=-system.nf0)
    with pytest.raises(
        ProjectionError,
        match=r"nonfossil = -[0-9.e+-]+; most likely lever: mine.yaml:7: "
        r"energy.grid_emission_factor \(also mine.yaml:5: energy.efficiency.industry\)",
    ):
        project(broken, located, Draws.central(paths, baseline.n_region), baseline)
    # a negative output points at the region's investment before Tianjin-wide levers
    levers = responsible_levers(
        located, kernels.NEGATIVE_OUTPUT, ("binhai_other", "value added|steel", -1.0), None, baseline
    )
    assert levers == [("investment.regions.binhai.path", "mine.yaml:9")]
    unmarked = dataclasses.replace(paths, lever_marks=())  # as for a sweep's sections: nothing to name
    assert responsible_levers(unmarked, kernels.NEGATIVE_OUTPUT, None, None, baseline) == []


def test_a_redistribution_of_2020_levels_never_writes_a_negative_level(baseline, plan):
    """Binhai's other districts hold 95% of Tianjin's mining: drawn at the top of their GDP range, the rest of
    Tianjin would be left a negative mining value added."""
    system, paths = plan
    raw = project(system, paths, Draws.central(paths, baseline.n_region), baseline)
    scale = np.ones((1, baseline.n_region))
    batch_variables(baseline, raw, paths, level_scale=scale)  # no redistribution: fine
    scale[0, baseline.leaves.index("binhai_other")] = 1.06
    with pytest.raises(ProjectionError, match=r"leave rest_of_tianjin a negative Value Added\|Mining"):
        batch_variables(baseline, raw, paths, level_scale=scale)
    kept = batch_variables(baseline, raw, paths, level_scale=scale, keep=["GDP", "Energy Consumption"])
    assert all((kept[name] >= 0).all() for name in ("GDP", "Energy Consumption"))


def test_distribution_range_problems_name_the_range():
    dist = Distribution(dist="triangular", low=-0.2, mode=0.1, high=0.4)
    assert dist.range_problem(0.0, 1.0) == "draws reach [-0.2, 0.4], outside [0, 1]"
    assert Distribution(dist="normal", mean=0.5, sd=9.0).range_problem(0.0, 1.0) is None  # tails: truncated
    assert "centred at 2" in Distribution(dist="normal", mean=2.0, sd=0.1).range_problem(0.0, 1.0)
    assert Distribution(dist="lognormal", median=1.0, sigma=1.0).range_problem(0.01, 1.0) is None
    with pytest.raises(Exception, match="draws of utilisation_margin within"):
        Distribution.model_validate({"dist": "uniform", "low": 0.0, "high": 1.2, "kind": "utilisation_margin"})
