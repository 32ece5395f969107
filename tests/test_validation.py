"""Calibration, goal seeking, target reports and the CO2 decomposition."""

import numpy as np
import pandas as pd
import pytest

from simcore import load_scenario, run
from simcore.analysis.calibrate import fit, free_parameters, history, model_metrics
from simcore.analysis.decompose import TERMS, decompose_run, lmdi
from simcore.analysis.solve import parse_target, solve
from simcore.analysis.targets import report, table_getter
from simcore.cli import main
from simcore.errors import SimcoreError
from simcore.scenario.loader import with_overrides

REPO_FIT = "calibration/fit"


# ---------------------------------------------------------------- LMDI


@pytest.mark.parametrize("scenario", ["baseline", "plan_14th_fyp", "green_transition"])
def test_lmdi_terms_sum_exactly_to_the_change(scenario, baseline):
    table = decompose_run(f"scenarios/{scenario}.yaml", baseline)
    wide = table.pivot_table(index=["region", "end"], columns="term", values="value")
    np.testing.assert_allclose(wide[list(TERMS)].sum(axis=1), wide["Total change"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wide["CO2 end"] - wide["CO2 start"], wide["Total change"], rtol=1e-12)
    assert set(wide.index.get_level_values("end")) == {2025, 2035}


def test_lmdi_attributes_a_pure_population_change_to_population():
    G0 = np.array([10.0, 20.0])
    E0, C0 = np.array([5.0, 2.0]), np.array([12.0, 3.0])
    k = 1.3  # everything scales with population: GDP per capita, structure and intensities unchanged
    terms = lmdi((100.0, 100.0 * k), (G0, G0 * k), (E0, E0 * k), (C0, C0 * k), (4.0, 4.0 * k), (6.0, 6.0 * k))
    assert terms["Population"] == pytest.approx((C0.sum() + 6.0) * (k - 1))
    for term in ("GDP per Capita", "Structure", "Energy Intensity", "Carbon per Energy"):
        assert terms[term] == pytest.approx(0.0, abs=1e-12)


def test_lmdi_cleaner_grid_shows_up_as_carbon_per_energy(baseline):
    clean = with_overrides(load_scenario("scenarios/baseline.yaml"), {"energy.grid_emission_factor": 0.5})
    a = decompose_run("scenarios/baseline.yaml", baseline).set_index(["region", "end", "term"])["value"]
    b = decompose_run(clean, baseline).set_index(["region", "end", "term"])["value"]
    assert b[("tianjin", 2035, "Carbon per Energy")] < a[("tianjin", 2035, "Carbon per Energy")]
    assert b[("tianjin", 2035, "Total change")] < a[("tianjin", 2035, "Total change")]


# ---------------------------------------------------------------- goal seeking


def test_goal_seeking_finds_a_known_root(baseline):
    known = with_overrides(load_scenario("scenarios/baseline.yaml"), {"energy.efficiency.industry": 0.05})
    results = run(known, baseline=baseline)
    ei = results.series("tianjin", "Energy Intensity|GDP")
    change = 100 * (ei[2035] / ei[2020] - 1)
    target = f"tianjin: Energy Intensity|GDP change 2035 <= {change:.10f}%"
    solution = solve("scenarios/baseline.yaml", target, "efficiency.industry", baseline=baseline)
    assert solution.found
    assert solution.value == pytest.approx(0.05, abs=1e-6)
    assert solution.achieved == pytest.approx(change, abs=1e-6)


def test_goal_seeking_reports_an_unreachable_target(baseline):
    solution = solve(
        "scenarios/baseline.yaml", "dongli: GDP growth 2021-2025 >= 40%", "investment.dongli", baseline=baseline
    )
    assert not solution.found and solution.value is None
    assert "cannot be met within the lever's bounds" in solution.message
    lo, hi = solution.at_bounds
    assert max(lo, hi) < 40


def test_goal_seeking_writes_a_scenario_that_meets_the_target(tmp_path, baseline):
    solution = solve(
        "scenarios/baseline.yaml", "dongli: GDP growth 2021-2025 >= 5%", "investment.dongli", baseline=baseline
    )
    path = tmp_path / "solved.yaml"
    solution.write(path)
    results = run(path, baseline=baseline)
    g = results.series("dongli", "GDP")
    assert 100 * ((g[2025] / g[2020]) ** 0.2 - 1) == pytest.approx(5.0, abs=1e-5)


@pytest.mark.parametrize(
    "text, message",
    [
        ("dongli GDP growth 2025 >= 6%", "expected 'REGION"),
        ("nowhere: GDP 2025 >= 1", "unknown region"),
        ("dongli: GDP growth 2022-2025 >= 6%", "start in 2021"),
        ("dongli: GDP 2040 >= 1", "outside 2021-2035"),
        ("T999", "not a modelled target"),
    ],
)
def test_bad_targets_are_explained(text, message, baseline):
    with pytest.raises(SimcoreError, match=message):
        parse_target(text, baseline)


def test_cli_solve_exit_codes(tmp_path, capsys):
    assert (
        main(
            [
                "solve",
                "scenarios/baseline.yaml",
                "--target",
                "tianjin: Energy Intensity|GDP change 2025 <= -15%",
                "--lever",
                "efficiency.industry",
                "--write",
                str(tmp_path / "s.yaml"),
            ]
        )
        == 0
    )
    assert (tmp_path / "s.yaml").is_file()
    assert (
        main(
            [
                "solve",
                "scenarios/baseline.yaml",
                "--target",
                "dongli: GDP growth 2021-2025 >= 40%",
                "--lever",
                "investment.dongli",
            ]
        )
        == 1
    )
    assert "no solution" in capsys.readouterr().out


# ---------------------------------------------------------------- target reports


def test_plan_report_covers_every_target(baseline):
    results = run("scenarios/plan_14th_fyp.yaml", baseline=baseline)
    table = report(baseline.targets, table_getter(results.table))
    assert sorted(table["target_id"]) == sorted(baseline.targets["target_id"])
    modelled = table[table["status"].isin(["met", "exceeded", "missed"])]
    assert len(modelled) == int((baseline.targets["variable"].fillna("") != "").sum())
    assert modelled["assessed"].notna().all() and (modelled["gap"] == modelled["assessed"] - modelled["target"]).all()
    assert table[~table["status"].isin(["met", "exceeded", "missed"])]["status"].str.startswith("not modelled").all()
    assert table["target_id"].is_unique  # one row per target, none repeated


def test_plan_report_marks_scenario_inputs_imposed_and_scores_ranges(baseline, repo_path):
    from simcore.analysis.targets import imposed_targets
    from simcore.baseline.history import load_history
    from simcore.scenario.loader import load_scenario

    path = repo_path / "scenarios/plan_14th_fyp.yaml"
    results = run(path, baseline=baseline)
    scenario = load_scenario(path, baseline=baseline)
    table = report(
        baseline.targets,
        table_getter(results.table),
        imposed=imposed_targets(baseline.targets, scenario, baseline),
        history=load_history(baseline),
    ).set_index("target_id")
    # the plan sets Binhai's investment total, its residents and its manufacturing share: imposed, not met
    for tid in ("T047", "T043", "T050", "T060", "T290"):
        assert table.loc[tid, "status"] == "imposed", tid
        assert table.loc[tid, "met"] is None or pd.isna(table.loc[tid, "met"])
    # the Eco-city's manufacturing share is not imposed (unreachable GDP-neutrally): it is projected and scored
    assert table.loc["T181", "status"] in ("met", "missed")
    # the Eco-city's 12-15% growth range is a range: above its top is 'exceeded', not 'met'
    eco = table.loc["T168"]
    assert eco["comparison"] == "range" and eco["target_high"] == 15
    expected = "exceeded" if eco["assessed"] > 15 else ("met" if eco["assessed"] >= 12 else "missed")
    assert eco["status"] == expected
    # targets of 2025 have no outturn yet (the record ends 2024)
    assert (table.loc[table["year"] == 2025, "outturn_status"].isin(["not yet published", ""])).all()


def test_about_targets_have_a_tolerance_and_a_direction():
    from simcore.analysis.targets import Target, status

    about = Target(
        "X", "dongli", "GDP growth about 6%", "GDP", "", "avg_growth", "=", 2025, 6.0, "%", "expected", float("nan"), ""
    )
    assert list(status(about, [6.2, 5.8, 7.0, 5.0])) == ["met", "met", "exceeded", "missed"]
    cut = Target(
        "Y",
        "tianjin",
        "energy intensity about -15%",
        "Energy Intensity|GDP",
        "",
        "change_vs_2020",
        "=",
        2025,
        -15.0,
        "%",
        "expected",
        float("nan"),
        "",
    )
    assert list(status(cut, [-15.5, -18.0, -10.0])) == ["met", "exceeded", "missed"]
    band = Target(
        "Z",
        "eco_city",
        "growth 12-15%",
        "GDP",
        "",
        "avg_growth",
        "range",
        2025,
        12.0,
        "%",
        "expected",
        float("nan"),
        "",
        15.0,
    )
    assert list(status(band, [11.0, 12.0, 14.9, 15.1])) == ["missed", "met", "met", "exceeded"]


def test_run_writes_the_target_report(tmp_path, baseline):
    assert main(["run", "scenarios/plan_14th_fyp.yaml", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "targets.csv")
    assert {"target_id", "assessed", "gap", "status"} <= set(table.columns)
    # the report lists every target, modelled or not, once
    assert len(table) == len(baseline.targets)
    assert sorted(table["target_id"]) == sorted(baseline.targets["target_id"])


# ---------------------------------------------------------------- calibration


def test_committed_calibration_reproduces_its_targets(baseline):
    from simcore.analysis.calibrate import anchor_rows
    from simcore.baseline.history import default_vintage

    stored = pd.read_csv(f"{REPO_FIT}/trend_residuals.csv")
    hist = pd.concat([history(baseline), anchor_rows(baseline, default_vintage(baseline))], ignore_index=True)
    model = model_metrics(baseline, load_scenario("scenarios/baseline.yaml"), hist)
    np.testing.assert_allclose(
        model, stored["model"], rtol=1e-6, atol=1e-6, err_msg="stale calibration: rerun simcore calibrate"
    )
    matched = stored["status"] == "matched"
    assert (np.abs(model - hist["value"])[matched] <= hist["tolerance"][matched]).all()
    assert matched[stored["fitted"] == "yes"].mean() >= 0.75
    params = pd.read_csv(f"{REPO_FIT}/trend_parameters.csv")
    calibrated = load_scenario("scenarios/calibrated_trend.yaml").raw
    assert calibrated["parameters"]["tfp_growth"] == pytest.approx(
        float(params.set_index("name").loc["tfp_growth", "value"]), abs=1e-6
    )


def test_calibration_recovers_a_synthetic_history(baseline):
    params = free_parameters()
    truth = {"parameters.tfp_growth": 0.025, "energy.efficiency.industry": 0.045}
    sub = params[params["path"].isin(truth)].reset_index(drop=True)
    base = load_scenario("scenarios/baseline.yaml")
    hist = history(baseline)
    hist = hist[hist["id"].isin(["H01", "H06", "H07"])].reset_index(drop=True)
    hist["value"] = model_metrics(baseline, with_overrides(base, truth), hist)
    hist["tolerance"] = 0.01
    hist["fit"] = True
    result = fit(base, baseline, hist, sub)
    assert (result.residuals["status"] == "matched").all()
    np.testing.assert_allclose(result.parameters["value"], [truth[p] for p in sub["path"]], atol=2e-3)


def test_the_committed_calibration_was_fitted_on_the_current_baseline(baseline):
    from conftest import REPO

    header = (REPO / "scenarios" / "calibrated_trend.yaml").read_text().splitlines()[1]
    assert f"on baseline {baseline.checksum[:12]}," in header, "rerun `simcore calibrate` after changing the baseline"


def test_attainment_gives_no_probability_to_an_imposed_target(baseline, repo_path):
    from simcore.analysis.targets import attainment, imposed_targets
    from simcore.experiments.montecarlo import monte_carlo
    from simcore.scenario.loader import load_scenario

    path = repo_path / "scenarios/plan_14th_fyp.yaml"
    mc = monte_carlo(path, draws=20, seed=1, baseline=baseline)
    imposed = imposed_targets(baseline.targets, load_scenario(path, baseline=baseline), baseline)
    table = attainment(baseline.targets, mc.get, imposed).set_index("target_id")
    assert table.loc["T047", "status"] == "imposed" and np.isnan(table.loc["T047", "probability"])
    projected = table[table["status"] == "projected"]["probability"]
    assert projected.between(0, 1).all() and len(projected) == len(table) - len(imposed)


def test_nominal_targets_are_scored_on_current_prices_and_the_report_says_so(baseline):
    """A share of GDP is stated at current prices: dearer services raise the assessed services share of a
    nominal target, not of the same target read at 2020 prices; a growth target stays real."""
    from simcore.analysis.targets import price_basis, report, table_getter

    targets = baseline.targets
    share = targets[targets["target_id"] == "T271"]  # Jinnan: services 65% of GDP in 2025
    growth = targets[(targets["variable"] == "GDP") & (targets["basis"] == "avg_growth")].head(1)
    assert share["price_basis"].iloc[0] == "nominal" and growth["price_basis"].iloc[0] == "real"
    dear = {"prices.value_added": {"primary": 1.0, "secondary": 1.0, "tertiary": {"values": {2025: 1.2}}}}
    flat = run("scenarios/baseline.yaml", baseline=baseline, overrides={"prices.value_added": 1.0})
    priced = run("scenarios/baseline.yaml", baseline=baseline, overrides=dear)
    both = pd.concat([share, growth])
    as_real = both.assign(price_basis="real")
    nominal = report(both, table_getter(priced.to_frame()), include_unmodelled=False).set_index("target_id")
    real = report(as_real, table_getter(priced.to_frame()), include_unmodelled=False).set_index("target_id")
    uniform = report(both, table_getter(flat.to_frame()), include_unmodelled=False).set_index("target_id")
    assert list(nominal["price_basis"]) == ["nominal", "real"]
    assert nominal.loc["T271", "projected"] == pytest.approx(priced.value("jinnan", "Share|Tertiary", 2025), rel=1e-9)
    assert nominal.loc["T271", "projected"] > real.loc["T271", "projected"] + 2
    assert real.loc["T271", "projected"] == pytest.approx(uniform.loc["T271", "projected"], rel=1e-12)
    gid = growth["target_id"].iloc[0]
    assert nominal.loc[gid, "projected"] == real.loc[gid, "projected"] == uniform.loc[gid, "projected"]
    # the rule: shares of money at current prices, growth and intensities real, energy shares physical
    assert price_basis("Value Added|Industry", "tianjin:Value Added|Industry", "share") == "nominal"
    assert price_basis("Energy Consumption|Industry", "Value Added|Industry", "change_vs_2020") == "real"
    assert price_basis("Energy Consumption|Coal", "Energy Consumption", "share") == "physical"
