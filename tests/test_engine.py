"""Model behaviour: 2020 equals the baseline, aggregates add up, and the model moves the right way."""

import numpy as np
import pytest

from simcore import run
from simcore.baseline.tables import baseline_summary

ADDITIVE = (
    "GDP",
    "Gross Output",
    "Investment|Fixed Assets",
    "Capital Stock",
    "Population",
    "Employment",
    "Energy Consumption",
    "Energy Consumption|Coal",
    "Energy Consumption|Industry",
    "Emissions|CO2",
    "Value Added|Manufacturing",
    "Value Added|Steel",
    "Value Added|Tertiary",
)


@pytest.fixture(scope="module")
def trend(baseline):
    return run("scenarios/baseline.yaml", baseline=baseline)


@pytest.fixture(scope="module")
def plan(baseline):
    return run("scenarios/plan_14th_fyp.yaml", baseline=baseline)


def test_2020_outputs_equal_the_baseline(trend, plan, baseline):
    summary = baseline_summary(baseline)
    for results in (trend, plan):
        t = results.to_frame()
        y0 = t[t["year"] == 2020].set_index(["region", "variable"])["value"]
        for region in baseline.regions.ids:
            assert y0[(region, "GDP")] == pytest.approx(summary.loc[region, "gdp"], rel=1e-12)
            assert y0[(region, "Energy Consumption")] == pytest.approx(summary.loc[region, "energy"], rel=1e-12)
            assert y0[(region, "Emissions|CO2")] == pytest.approx(summary.loc[region, "co2"], rel=1e-12)
            assert y0[(region, "Investment|Fixed Assets")] == pytest.approx(
                summary.loc[region, "fixed_investment"], rel=1e-12
            )
        va = t[(t["year"] == 2020) & (t["variable"] == "Value Added|Steel") & (t["region"] == "dongli")]["value"]
        assert float(va.iloc[0]) == pytest.approx(
            baseline.value_added[baseline.leaves.index("dongli"), baseline.sectors.index("steel")], rel=1e-12
        )


def test_aggregates_equal_sums_of_their_leaves_every_year(plan, baseline):
    t = plan.to_frame().set_index(["region", "variable", "year"])["value"]
    for aggregate in baseline.regions.aggregates:
        members = baseline.regions.members(aggregate)
        for variable in ADDITIVE:
            for year in (2020, 2025, 2035):
                total = sum(t[(leaf, variable, year)] for leaf in members)
                assert t[(aggregate, variable, year)] == pytest.approx(total, rel=1e-12), (aggregate, variable)


def test_sectors_sum_to_gdp_and_fuels_to_energy(plan, baseline):
    t = plan.to_frame()
    year = t[t["year"] == 2030].set_index(["region", "variable"])["value"]
    for region in baseline.regions.ids:
        sectors = sum(year[(region, f"Value Added|{label}")] for label in baseline.sectors.labels)
        assert sectors == pytest.approx(year[(region, "GDP")], rel=1e-12)
        strata = sum(year[(region, f"Value Added|{s}")] for s in ("Primary", "Secondary", "Tertiary"))
        assert strata == pytest.approx(year[(region, "GDP")], rel=1e-12)
        fuels = sum(
            year[(region, f"Energy Consumption|{f}")]
            for f in ("Coal", "Oil", "Gas", "Non-fossil", "Electricity Inflow")
        )
        assert fuels == pytest.approx(year[(region, "Energy Consumption")], rel=1e-12)
        parts = sum(year[(region, f"Emissions|CO2|{p}")] for p in ("Coal", "Oil", "Gas", "Process"))
        assert parts == pytest.approx(year[(region, "Emissions|CO2")], rel=1e-12)


def test_table_is_canonical(plan, baseline):
    t = plan.to_frame()
    assert list(t.columns) == ["model", "scenario", "region", "variable", "unit", "year", "value"]
    assert not t.duplicated(["region", "variable", "year"]).any()
    assert t[["model", "scenario", "region", "variable", "unit", "year"]].notna().all().all()
    assert set(t["region"]) == set(baseline.regions.ids)
    required = {
        "GDP",
        "GDP|Growth",
        "Value Added|Manufacturing",
        "Investment|Fixed Assets",
        "Capital Stock",
        "Population",
        "Energy Consumption",
        "Energy Consumption|Coal",
        "Energy Intensity|GDP",
        "Emissions|CO2",
        "Carbon Intensity|GDP",
    }
    assert required <= set(t["variable"])
    counts = t[t["variable"] == "GDP"].groupby("region")["year"].nunique()
    assert (counts == 16).all()


def test_plan_differs_from_trend_and_meets_its_share_targets(trend, plan):
    assert plan.value("binhai", "GDP", 2025) != pytest.approx(trend.value("binhai", "GDP", 2025), rel=1e-3)
    share = plan.value("binhai", "Value Added|Manufacturing", 2025) / plan.value("binhai", "GDP", 2025)
    assert share == pytest.approx(0.25, abs=1e-9)
    share = plan.value("dongli", "Value Added|Manufacturing", 2030) / plan.value("dongli", "GDP", 2030)
    assert share == pytest.approx(0.32, abs=1e-9)


def test_more_investment_raises_the_district_and_its_neighbours(baseline, trend):
    more = run(
        "scenarios/baseline.yaml", baseline=baseline, overrides={"investment.regions.dongli.path": {"growth": 0.10}}
    )
    assert more.value("dongli", "GDP", 2025) > trend.value("dongli", "GDP", 2025) * 1.01
    for neighbour in ("jinnan", "binhai_other", "rest_of_tianjin"):
        assert more.value(neighbour, "GDP", 2025) > trend.value(neighbour, "GDP", 2025)
    assert more.value("dongli", "GDP", 2035) / trend.value("dongli", "GDP", 2035) > more.value(
        "dongli", "GDP", 2025
    ) / trend.value("dongli", "GDP", 2025)  # supply builds up


def test_higher_manufacturing_target_raises_manufacturing_and_energy(baseline):
    def with_target(share):
        return run(
            "scenarios/baseline.yaml",
            baseline=baseline,
            overrides={
                "industry_shares.mode": "target",
                "industry_shares.targets.dongli.manufacturing": {"values": {2025: share}},
            },
        )

    low, high = with_target(0.30), with_target(0.34)
    assert high.value("dongli", "Value Added|Manufacturing", 2025) > low.value(
        "dongli", "Value Added|Manufacturing", 2025
    )
    assert high.value("dongli", "Energy Consumption", 2025) > low.value("dongli", "Energy Consumption", 2025)


def test_efficiency_gains_lower_energy_intensity(baseline, trend):
    efficient = run("scenarios/baseline.yaml", baseline=baseline, overrides={"energy.efficiency.industry": 0.05})
    for year in (2025, 2035):
        assert efficient.value("tianjin", "Energy Intensity|GDP", year) < trend.value(
            "tianjin", "Energy Intensity|GDP", year
        )


def test_cleaner_grid_lowers_co2_but_not_energy(baseline, trend):
    clean = run(
        "scenarios/baseline.yaml", baseline=baseline, overrides={"energy.grid_emission_factor": {"values": {2035: 0.4}}}
    )
    assert clean.value("tianjin", "Emissions|CO2", 2035) < trend.value("tianjin", "Emissions|CO2", 2035)
    assert clean.value("tianjin", "Energy Consumption", 2035) == pytest.approx(
        trend.value("tianjin", "Energy Consumption", 2035), rel=1e-12
    )
    assert clean.value("tianjin", "GDP", 2035) == pytest.approx(trend.value("tianjin", "GDP", 2035), rel=1e-12)


def test_numpy_backend_gives_the_same_table(baseline, trend):
    twin = run("scenarios/baseline.yaml", baseline=baseline, backend="numpy")
    np.testing.assert_allclose(twin.to_frame()["value"], trend.to_frame()["value"], rtol=1e-10)


def test_goal_seeking_investment_lever_moves_a_cumulative_plan_path(baseline):
    from simcore.analysis.solve import solve

    # the plan gives Dongli a 2021-2025 investment total; the lever must replace that path, not sit beside it
    sol = solve(
        "scenarios/plan_14th_fyp.yaml", "dongli: GDP growth 2021-2025 >= 6%", "investment.dongli", baseline=baseline
    )
    low, high = sol.at_bounds
    assert high > low + 1.0  # investment growth from -10% to +30% a year moves Dongli's GDP growth


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_grid_index_times_its_multiplier_stays_a_share(baseline, backend):
    """Bug fix: a grid path of 0.2 in 2035 with the shipped multiplier's top (1.5) asked for a fossil share
    of -0.2 and gave negative power-sector coal, oil, gas and CO2 with status 0."""
    from dataclasses import replace

    from simcore.model.boundary import Draws, check_status, project
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for
    from simcore.scenario.loader import load_scenario

    scenario = load_scenario(
        "scenarios/baseline.yaml",
        overrides={"energy.grid_emission_factor": {"values": {2025: 0.6, 2035: 0.2}}},
        baseline=baseline,
    )
    system = system_for(baseline)
    paths = compile_scenario(scenario, baseline, system)
    draws = replace(Draws.central(paths, baseline.n_region), grid_multiplier=np.array([1.5]))
    raw = project(system, paths, draws, baseline, backend=backend)
    check_status(raw, paths)
    assert (raw.energy >= 0).all() and (raw.co2 >= 0).all() and (raw.co2_cell >= 0).all()
    power = baseline.sectors.index("power_heat")
    cells = np.arange(baseline.n_region) * baseline.n_sector + power
    process = system.proc0[cells] * raw.va[0, -1, cells] / system.v[cells]
    assert raw.co2_cell[0, -1, :, power] == pytest.approx(process, abs=1e-9)  # no fossil fuel left in power


def test_run_applies_overrides_to_a_loaded_scenario(baseline, trend):
    """Bug fix: ``run(Scenario, overrides=...)`` silently ignored the overrides."""
    from simcore.scenario.loader import load_scenario

    scenario = load_scenario("scenarios/baseline.yaml", baseline=baseline)
    cleaner = run(scenario, overrides={"energy.grid_emission_factor": 0.5}, baseline=baseline)
    from_file = run("scenarios/baseline.yaml", overrides={"energy.grid_emission_factor": 0.5}, baseline=baseline)
    assert cleaner.value("tianjin", "Emissions|CO2", 2035) < trend.value("tianjin", "Emissions|CO2", 2035)
    assert cleaner.value("tianjin", "Emissions|CO2", 2035) == from_file.value("tianjin", "Emissions|CO2", 2035)


def test_share_targets_move_demand_gdp_neutrally_by_default(baseline, plan):
    """The default shift takes from the rest of the region what the targeted sectors gain: the plan's
    GDP is below the additive variant's, and each target is still met."""
    additive = run("scenarios/plan_14th_fyp.yaml", overrides={"industry_shares.shift": "additive"}, baseline=baseline)
    assert plan.provenance["share_shift"] == "neutral" and additive.provenance["share_shift"] == "additive"
    for region in ("binhai", "dongli", "jinnan"):
        assert plan.value(region, "GDP", 2025) < additive.value(region, "GDP", 2025)
        for results in (plan, additive):
            share = results.value(region, "Value Added|Manufacturing", 2025) / results.value(region, "GDP", 2025)
            assert share == pytest.approx({"binhai": 0.25, "dongli": 0.32, "jinnan": 0.30}[region], rel=1e-9)


def test_the_demand_shift_of_each_target_is_reported_and_flagged(baseline, plan):
    shifts = plan.target_shifts
    assert set(shifts["target"]) == {"binhai:manufacturing", "dongli:manufacturing", "jinnan:manufacturing"}
    assert (shifts[shifts["year"] == 2020]["shift"] == 0).all()
    grown = shifts[shifts["year"] == 2025].set_index("target")["shift_share_of_gdp"]
    assert (grown > 0).all()  # manufacturing shares rise: outside demand moved towards manufacturing
    bound = 0.05
    assert (shifts["plausible"] == (shifts["shift_share_of_gdp"].abs() <= bound)).all()
    loose = run("scenarios/plan_14th_fyp.yaml", overrides={"industry_shares.plausible_shift": 1.0}, baseline=baseline)
    assert loose.target_shifts["plausible"].all()
    assert run("scenarios/baseline.yaml", baseline=baseline).target_shifts.empty


def test_an_investment_lever_moves_only_the_targets_period(baseline):
    """A 2021-2025 growth target solves the 2021-2025 investment growth; after 2025 the path keeps the
    scenario's own 3% a year (it used to replace 2021-2035: investment x11 by 2035)."""
    from simcore import run
    from simcore.analysis.solve import solve

    sol = solve(
        "scenarios/plan_14th_fyp.yaml", "dongli: GDP growth 2021-2025 >= 6%", "investment.dongli", baseline=baseline
    )
    assert sol.found and sol.lever.period == (2021, 2025)
    assert "over 2021-2025 (annual growth of fixed-asset investment" in sol.summary()
    fai = run(sol.scenario, overrides=sol.lever.override(sol.value), baseline=baseline).series(
        "dongli", "Investment|Fixed Assets"
    )
    assert fai[2025] / fai[2020] == pytest.approx((1 + sol.value) ** 5, rel=1e-6)
    assert fai[2035] / fai[2025] == pytest.approx(1.03**10, rel=1e-6)
    whole = solve(
        "scenarios/plan_14th_fyp.yaml",
        "dongli: GDP growth 2021-2025 >= 6%",
        "investment.dongli",
        baseline=baseline,
        period="all",
    )
    assert whole.lever.period is None and whole.value == pytest.approx(sol.value, rel=1e-3)
