"""Sensitivity indices (SALib) over a sweep's levers."""

import pytest

from simcore.cli import main
from simcore.experiments.sensitivity import parse_output, sensitivity

LHS = "scenarios/sweeps/plan_lhs.yaml"


def test_morris_ranks_levers_and_finds_the_inert_one():
    indices, runs = sensitivity(LHS, "morris", samples=4, outputs=("binhai:GDP:2025", "tianjin:Emissions|CO2:2035"))
    gdp = indices[indices["output"] == "binhai:GDP:2025"].set_index("parameter")
    # investment growth after 2025 cannot move 2025 GDP; outside demand must
    assert gdp.loc["investment.regions.binhai.path.growth", "mu_star"] == 0.0
    assert gdp.loc["exports.growth", "mu_star"] > 0
    co2 = indices[indices["output"] == "tianjin:Emissions|CO2:2035"].set_index("parameter")
    assert co2.loc["energy.grid_emission_factor.values.2035", "mu"] > 0  # a dirtier grid, more CO2
    assert co2.loc["energy.efficiency.industry", "mu"] < 0
    assert len(runs) == 4 * (5 + 1)


def test_sobol_indices_are_reported_for_every_lever(tmp_path):
    indices, _ = sensitivity(LHS, "sobol", samples=32, outputs=("tianjin:Emissions|CO2:2035",))
    assert set(indices["parameter"]) == {
        "exports.growth",
        "parameters.tfp_growth",
        "energy.efficiency.industry",
        "energy.grid_emission_factor.values.2035",
        "investment.regions.binhai.path.growth",
    }
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(indices.columns)
    assert (indices["ST"] >= 0).all()  # Jansen's total-effect estimator is a mean of squares
    # a lever's first-order effect is part of its total effect; with 32 base samples the S1 estimate is
    # noisy, so the tolerance is its own bootstrap confidence half-width
    assert (indices["S1"] <= indices["ST"] + indices["S1_conf"] + 1e-9).all()


def test_output_names_are_checked():
    assert parse_output("tianjin:Emissions|CO2:2035") == ("tianjin", "Emissions|CO2", 2035)
    with pytest.raises(Exception, match="region:variable:year"):
        parse_output("tianjin-CO2")


def test_cli_writes_table_and_plot(tmp_path, capsys):
    assert (
        main(
            [
                "sensitivity",
                LHS,
                "--method",
                "morris",
                "--samples",
                "3",
                "--output",
                "tianjin:GDP:2030",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert (tmp_path / "sensitivity.csv").is_file() and (tmp_path / "sensitivity.png").is_file()


def test_sobol_confidence_intervals_repeat_with_seed_zero():
    """SALib treats seed=0 as unseeded; simcore's seeds (0 included) must give identical intervals."""
    first, _ = sensitivity(LHS, "sobol", samples=8, outputs=("tianjin:GDP:2025",), seed=0)
    second, _ = sensitivity(LHS, "sobol", samples=8, outputs=("tianjin:GDP:2025",), seed=0)
    assert first[["S1_conf", "ST_conf"]].equals(second[["S1_conf", "ST_conf"]])


def test_the_sweep_files_seed_is_the_default():
    """plan_lhs.yaml says ``seed: 2026``: without a seed argument its design is that seed's, not seed 0's."""
    from simcore.experiments.sensitivity import design
    from simcore.experiments.sweep import load_sweep

    _, runs_default = sensitivity(LHS, "morris", samples=2, outputs=("tianjin:GDP:2025",))
    sweep = load_sweep(LHS)
    assert sweep.spec.seed == 2026
    levers = list(sweep.spec.levers)
    assert (runs_default[levers].to_numpy() == design(sweep, "morris", 2, 2026)).all()
    assert not (runs_default[levers].to_numpy() == design(sweep, "morris", 2, 0)).all()
