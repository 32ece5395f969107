"""The Leontief cost-push price model: 1 in 2020, the right direction for each price lever, and nominal GDP."""

import numpy as np
import pytest

from simcore import run
from simcore.model.levers import compile_scenario
from simcore.model.prices import output_prices
from simcore.model.system import system_for
from simcore.scenario.loader import load_scenario
from simcore.scenario.schema import YEARS


def _paths(baseline, overrides=None):
    scenario = load_scenario("scenarios/baseline.yaml", overrides=overrides, baseline=baseline)
    return compile_scenario(scenario, baseline, system_for(baseline))


def test_prices_are_one_without_price_changes(baseline):
    """Inputs from Tianjin, from outside and value added make up each unit of output in 2020 (the
    calibrated trend carries the published deflators, so its value-added prices are set to 1 here)."""
    flat = _paths(baseline, {"prices.value_added": 1.0})
    np.testing.assert_allclose(output_prices(baseline, flat), 1.0, atol=1e-12)
    np.testing.assert_allclose(output_prices(baseline, _paths(baseline))[0], 1.0, atol=1e-12)


def test_the_transposed_factors_solve_the_price_system(baseline):
    paths = _paths(baseline, {"prices.imports": {"values": {2025: 1.2}}, "prices.energy": {"values": {2030: 1.5}}})
    pi_va = np.tile(paths.price_value_added[10], baseline.n_region)  # the calibrated sector prices
    p = output_prices(baseline, paths)
    n = baseline.A.shape[0]
    v = np.tile(baseline.va_ratio, baseline.n_region)
    energy = np.isin(baseline.sectors.ids, ["mining", "petrochemicals", "gas_water", "power_heat"])
    t = 10
    product = np.where(energy, paths.price_energy[t], paths.price_imports[t])
    direct = np.linalg.solve((np.eye(n) - baseline.A).T, pi_va * v + baseline.M_out.T @ product)
    np.testing.assert_allclose(p[t], direct, rtol=1e-12)


def test_dearer_energy_raises_energy_intensive_prices_most(baseline):
    p = output_prices(baseline, _paths(baseline, {"prices.energy": 1.5}))
    S = baseline.n_sector
    by_sector = p[5].reshape(baseline.n_region, S).mean(axis=0)
    index = {s: i for i, s in enumerate(baseline.sectors.ids)}
    assert (p[5] >= 1.0 - 1e-12).all()
    np.testing.assert_allclose(p[0], 1.0, atol=1e-12)  # 2020 is the price base, whatever the path says
    assert by_sector[index["power_heat"]] > by_sector[index["finance"]]
    assert by_sector[index["petrochemicals"]] > by_sector[index["public_services"]]


def test_nominal_gdp_is_real_gdp_times_the_deflator_and_prices_leave_quantities(baseline):
    trend = run("scenarios/baseline.yaml", baseline=baseline, overrides={"prices.value_added": 1.0})
    dear = run(
        "scenarios/baseline.yaml",
        baseline=baseline,
        overrides={"prices.value_added": {"values": {2025: 1.1, 2035: 1.3}}, "prices.imports": {"values": {2035: 1.3}}},
    )
    for year in (2020, 2025, 2035):
        deflator = dear.value("tianjin", "Price|GDP Deflator", year)
        assert deflator == pytest.approx({2020: 1.0, 2025: 1.1, 2035: 1.3}[year], rel=1e-12)
        assert dear.value("tianjin", "GDP|Nominal", year) == pytest.approx(
            dear.value("tianjin", "GDP", year) * deflator, rel=1e-12
        )
        assert dear.value("tianjin", "GDP", year) == trend.value("tianjin", "GDP", year)  # no feedback yet
    assert trend.value("tianjin", "Price|Gross Output", 2035) == pytest.approx(1.0, abs=1e-12)
    # value added and non-energy imports at 1.3, energy bought from outside still at 1: in between
    assert 1.2 < dear.value("binhai", "Price|Gross Output", 2035) < 1.3


SECTOR_PRICES = {
    "prices.value_added": {
        "primary": 1.0,
        "secondary": {"values": {2020: 1.3, 2025: 1.2, 2035: 1.2}},
        "tertiary": {"values": {2025: 0.95}},
    }
}


def test_sector_prices_are_one_in_2020_whatever_the_path_says(baseline):
    """2020 is the price base: a sector path starting at 1.3 is pinned to 1 in 2020."""
    p = output_prices(baseline, _paths(baseline, SECTOR_PRICES))
    np.testing.assert_allclose(p[0], 1.0, atol=1e-12)
    result = run("scenarios/baseline.yaml", baseline=baseline, overrides=SECTOR_PRICES)
    for region in ("tianjin", "binhai", "jinnan"):
        assert result.value(region, "Price|GDP Deflator", 2020) == pytest.approx(1.0, abs=1e-12)
        assert result.value(region, "Share|Secondary", 2020) == pytest.approx(
            100 * result.value(region, "Value Added|Secondary", 2020) / result.value(region, "GDP", 2020), rel=1e-12
        )


def test_a_dearer_secondary_sector_raises_its_prices_and_nominal_share_not_real_results(baseline):
    uniform = run("scenarios/baseline.yaml", baseline=baseline, overrides={"prices.value_added": 1.0})
    dear = run("scenarios/baseline.yaml", baseline=baseline, overrides=SECTOR_PRICES)
    p = output_prices(baseline, _paths(baseline, SECTOR_PRICES))[YEARS.index(2030)]
    by_sector = p.reshape(baseline.n_region, baseline.n_sector).mean(axis=0)
    secondary = baseline.sectors.aggregate("secondary") > 0
    tertiary = baseline.sectors.aggregate("tertiary") > 0
    # each sector's price moves towards its own value-added price, damped by what it buys from the others
    assert (by_sector[secondary] > 1.0).all() and (by_sector[secondary] < 1.2).all()
    assert (by_sector[tertiary] < 1.0).all() and (by_sector[tertiary] > 0.95).all()
    agriculture = baseline.sectors.ids.index("agriculture")
    assert by_sector[agriculture] > 1.0  # its value added is priced at 1, its bought-in goods are dearer
    for region in ("tianjin", "binhai", "dongli"):
        for variable in ("GDP", "Value Added|Secondary", "Value Added|Tertiary", "Emissions|CO2"):
            assert dear.value(region, variable, 2030) == uniform.value(region, variable, 2030)  # no feedback
        assert dear.value(region, "Share|Secondary", 2030) > uniform.value(region, "Share|Secondary", 2030) + 1
        assert dear.value(region, "Share|Tertiary", 2030) < uniform.value(region, "Share|Tertiary", 2030) - 1
        assert dear.value(region, "Price|Value Added|Secondary", 2030) == pytest.approx(1.2, rel=1e-12)
        assert dear.value(region, "Price|Value Added|Tertiary", 2030) == pytest.approx(0.95, rel=1e-12)
        deflator = dear.value(region, "Price|GDP Deflator", 2030)
        assert 0.95 < deflator < 1.2  # a Paasche average of the sectors' prices
        shares = [dear.value(region, f"Share|{name}", 2030) for name in ("Primary", "Secondary", "Tertiary")]
        assert sum(shares) == pytest.approx(100.0, rel=1e-12)


def test_nominal_gdp_of_tianjin_is_the_sum_of_its_leaves_and_the_deflator_is_recomputed(baseline):
    result = run("scenarios/baseline.yaml", baseline=baseline, overrides=SECTOR_PRICES)
    leaves = baseline.leaves
    for year in (2021, 2025, 2035):
        total = sum(result.value(leaf, "GDP|Nominal", year) for leaf in leaves)
        assert result.value("tianjin", "GDP|Nominal", year) == pytest.approx(total, rel=1e-12)
        secondary = sum(result.value(leaf, "Value Added|Secondary|Nominal", year) for leaf in leaves)
        assert result.value("tianjin", "Value Added|Secondary|Nominal", year) == pytest.approx(secondary, rel=1e-12)
        # the deflator of Tianjin is its nominal over its real GDP, not an average of the leaves' deflators
        real = sum(result.value(leaf, "GDP", year) for leaf in leaves)
        assert result.value("tianjin", "Price|GDP Deflator", year) == pytest.approx(total / real, rel=1e-12)
    # districts with different structures get different deflators from the same sector prices
    assert result.value("binhai", "Price|GDP Deflator", 2035) != pytest.approx(
        result.value("jinnan", "Price|GDP Deflator", 2035), rel=1e-4
    )
