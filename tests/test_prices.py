"""The Leontief cost-push price model: 1 in 2020, the right direction for each price lever, and nominal GDP."""

import numpy as np
import pytest

from simcore import run
from simcore.model.levers import compile_scenario
from simcore.model.prices import output_prices
from simcore.model.system import system_for
from simcore.scenario.loader import load_scenario


def _paths(baseline, overrides=None):
    scenario = load_scenario("scenarios/baseline.yaml", overrides=overrides, baseline=baseline)
    return compile_scenario(scenario, baseline, system_for(baseline))


def test_prices_are_one_without_price_changes(baseline):
    """Inputs from Tianjin, from outside and value added make up each unit of output in 2020."""
    np.testing.assert_allclose(output_prices(baseline, _paths(baseline)), 1.0, atol=1e-12)


def test_the_transposed_factors_solve_the_price_system(baseline):
    paths = _paths(baseline, {"prices.imports": {"values": {2025: 1.2}}, "prices.energy": {"values": {2030: 1.5}}})
    p = output_prices(baseline, paths)
    n = baseline.A.shape[0]
    v = np.tile(baseline.va_ratio, baseline.n_region)
    energy = np.isin(baseline.sectors.ids, ["mining", "petrochemicals", "gas_water", "power_heat"])
    t = 10
    product = np.where(energy, paths.price_energy[t], paths.price_imports[t])
    direct = np.linalg.solve((np.eye(n) - baseline.A).T, v + baseline.M_out.T @ product)
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
    trend = run("scenarios/baseline.yaml", baseline=baseline)
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
