"""Sweeps through the batch kernel: rows as draws of one kernel call give the per-row results."""

from pathlib import Path

import numpy as np
import pytest

from simcore.errors import ScenarioError
from simcore.experiments import sweep as sweep_module
from simcore.experiments.sweep import BatchPlan, load_sweep, run_rows
from simcore.model.levers import SECTIONS, _Issues, compile_scenario, compile_sections, sections_of
from simcore.model.system import system_for
from simcore.scenario.loader import load_scenario

PLAN = Path("scenarios/plan_14th_fyp.yaml").resolve()


def sweep_file(tmp_path: Path, levers: str, method: str = "grid", scenario: Path = PLAN, samples: int = 6) -> Path:
    text = f"""
name: batch
scenario: {scenario}
method: {method}
samples: {samples}
seed: 3
chunk_size: 50
levers:
{levers}
outputs:
  variables: [GDP, Value Added|Manufacturing, Investment|Fixed Assets, Energy Consumption, Emissions|CO2,
              Carbon Intensity|GDP, Employment]
"""
    path = tmp_path / "batch.yaml"
    path.write_text(text)
    return path


def constant_grid_scenario(tmp_path: Path) -> Path:
    """The plan with one grid factor from 2021 on: another constant scales its reduction in every year."""
    path = tmp_path / "plan_grid.yaml"
    path.write_text(f"name: plan_grid\nextends: {PLAN}\nenergy:\n  grid_emission_factor: 0.7\n")
    return path


def both_ways(path: Path):
    """The sweep's plan, and its long tables batched and run by run."""
    sweep = load_sweep(path)
    plan = BatchPlan(sweep)
    batched = run_rows(sweep, sweep.runs)
    alone = run_rows(sweep, sweep.runs, batch=False)
    assert list(batched.columns) == list(alone.columns)
    for column in batched.columns:
        if column != "value":
            assert (batched[column].to_numpy() == alone[column].to_numpy()).all(), column
    np.testing.assert_allclose(batched["value"].to_numpy(), alone["value"].to_numpy(), rtol=1e-9, atol=1e-12)
    return sweep, plan


def singles(sweep, plan: BatchPlan) -> list[int]:
    rows = [sweep_module._overrides(sweep, row) for _, row in sweep.runs.iterrows()]
    return plan.run(rows, lambda positions, arrays: None)


def test_sections_compile_to_the_whole_scenario(baseline):
    system = system_for(baseline)
    for name in ("plan_14th_fyp", "green_transition", "high_investment", "industrial_upgrading", "calibrated_trend"):
        scenario = load_scenario(f"scenarios/{name}.yaml", baseline=baseline)
        whole = compile_scenario(scenario, baseline, system)
        for section in SECTIONS:
            issues = _Issues(scenario)
            fields = compile_sections(scenario.spec, baseline, system, [section], issues)
            assert not issues.items and fields
            for field, value in fields.items():
                assert np.array_equal(np.asarray(value), np.asarray(getattr(whole, field))), (name, section, field)


def test_sections_of_levers():
    def of(dotted: str):
        return sections_of(tuple(dotted.split(".")))

    assert of("investment.regions.binhai.path.growth") == {"fai"}
    assert of("investment.regions.binhai.mix.industry") == {"theta"}
    assert of("investment.realisation") == {"realisation"}
    assert of("exports.growth") == {"gx"}
    assert of("nowcast.shifts.binhai.2021") == {"gx"}
    assert of("energy.grid_emission_factor.values.2035") == {"grid"}
    assert of("parameters.tfp_growth") == {"tfp"}
    assert of("parameters.depreciation") == {"draw_scalars"}
    assert of("parameters.fuel_offset") == {"scalars"}
    assert of("industry_shares.targets.dongli.manufacturing.values.2025") == {"targets"}
    assert of("population.regions.dongli.values.2025") == {"pop"}
    assert of("uncertainty.draws") == set()
    assert of("investment.unknown") is None


def test_investment_exports_and_grid_levers_run_as_draws(tmp_path):
    levers = """  investment.regions.binhai.path.growth: {values: [0.0, 0.05, 0.08]}
  investment.regions.dongli.path.cumulative.2021-2025: {values: [1800, 2400]}
  exports.growth: {values: [0.03, 0.06]}
  energy.grid_emission_factor: {values: [0.4, 0.75]}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers, scenario=constant_grid_scenario(tmp_path)))
    assert plan.draw_levers == list(sweep.spec.levers) and not plan.group_levers
    assert singles(sweep, plan) == []


def test_productivity_efficiency_realisation_and_parameters_run_as_draws(tmp_path):
    levers = """  parameters.tfp_growth: {low: 0.015, high: 0.035}
  investment.realisation: {low: 0.8, high: 1.1}
  parameters.depreciation: {low: 0.07, high: 0.12}
  parameters.supply_elasticity: {low: 0.3, high: 0.8}
  parameters.utilisation_margin: {low: 0.05, high: 0.3}
  parameters.energy_price_elasticity: {low: 0.1, high: 0.5}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers, method="lhs", samples=8))
    assert plan.draw_levers == list(sweep.spec.levers)
    assert singles(sweep, plan) == []


def test_grid_point_of_a_multi_point_path_is_not_a_draw(tmp_path):
    # the plan's grid path has points in 2025, 2030 and 2035: a new 2035 value moves 2031-2035 only, which no
    # one multiplier on the reduction can express; rows with the same grid value still share a kernel call
    levers = """  exports.growth: {values: [0.03, 0.05, 0.07]}
  energy.grid_emission_factor.values.2035: {values: [0.4, 0.8]}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers))
    assert plan.draw_levers == ["exports.growth"]
    assert plan.group_levers == ["energy.grid_emission_factor.values.2035"]
    assert singles(sweep, plan) == []


def test_a_constant_grid_factor_replacing_the_plan_path_is_a_draw(tmp_path):
    # against the plan's own path no multiplier works, but the runs' paths are multiples of each other: the
    # kernel's paths are the first run's
    levers = """  energy.grid_emission_factor: {low: 0.35, high: 0.85}
  investment.regions.binhai.path.growth: {low: 0.0, high: 0.08}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers, method="lhs", samples=5))
    assert plan.draw_levers == list(sweep.spec.levers)
    assert singles(sweep, plan) == []


def test_share_target_population_and_sector_premium_fall_back_to_groups(tmp_path):
    levers = """  industry_shares.targets.dongli.manufacturing.values.2025: {values: [0.30, 0.34]}
  population.regions.dongli.values.2025: {values: [90, 110]}
  investment.regions.binhai.path.growth: {values: [0.0, 0.06]}
  exports.by_sector.industry: {values: [0.0, 0.01]}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers))
    # a sector premium moves one sector's export growth, not a region's: not a draw parameter
    assert plan.draw_levers == ["investment.regions.binhai.path.growth"]
    assert len(plan.group_levers) == 3


def test_lhs_over_a_non_batchable_lever_runs_alone(tmp_path):
    levers = """  exports.growth: {low: 0.03, high: 0.07}
  energy.grid_emission_factor.values.2035: {low: 0.35, high: 0.85}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers, method="lhs", samples=4))
    assert plan.group_levers == ["energy.grid_emission_factor.values.2035"]
    assert singles(sweep, plan) == [0, 1, 2, 3]  # each row its own group: run alone


def test_efficiency_of_one_aggregate_among_several_is_not_a_draw(tmp_path):
    # the baseline's construction, primary and household gains stay while industry's moves: no one
    # multiplier on every sector's gain expresses it
    levers = """  energy.efficiency.industry: {low: 0.02, high: 0.05}
  parameters.tfp_growth: {low: 0.015, high: 0.035}
"""
    sweep, plan = both_ways(sweep_file(tmp_path, levers, method="lhs", samples=3))
    assert plan.draw_levers == ["parameters.tfp_growth"]


def test_a_row_that_cannot_be_validated_raises_as_it_does_alone(tmp_path):
    levers = """  exports.growth: {values: [0.03, 2.0, 0.05]}
"""
    with pytest.raises(ScenarioError, match=r"levers.exports.growth: value 2.0 \(run 1\)"):
        load_sweep(sweep_file(tmp_path, levers))  # refused when loaded; the runs still guard themselves:
    sweep = load_sweep(sweep_file(tmp_path, levers), check=False)
    plan = BatchPlan(sweep)
    assert plan.draw_levers == ["exports.growth"]
    assert singles(sweep, plan) == [1]
    for batch in (True, False):
        with pytest.raises(ScenarioError, match="exports.growth"):
            run_rows(sweep, sweep.runs, batch=batch)
