import dataclasses

import numpy as np
import pytest

from simcore import load_baseline
from simcore.baseline.checks import run_checks
from simcore.baseline.tables import FINAL_DEMAND, baseline_summary


def test_baseline_checks_pass(baseline):
    failed = [(c.name, c.offending[:3]) for c in run_checks(baseline) if not c.passed]
    assert not failed


def test_baseline_is_frozen(baseline):
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline.gdp = None
    with pytest.raises(ValueError):
        baseline.A[0, 0] = 1.0
    with pytest.raises(TypeError):
        baseline.parameters["flegg_delta"] = None


def test_checksum_is_stable_and_labels_are_complete(baseline):
    again = load_baseline(baseline.data_dir)
    assert again.checksum == baseline.checksum and len(baseline.checksum) == 64
    assert baseline.leaves == ("eco_city", "binhai_other", "dongli", "jinnan", "ziya", "rest_of_tianjin")
    assert 18 <= baseline.n_sector <= 22
    n = baseline.n_region * baseline.n_sector
    assert baseline.A.shape == (n, n) and baseline.M_out.shape == (baseline.n_sector, n)


def test_leaves_add_up_to_published_tianjin_totals(baseline):
    control = baseline.accounts.query("region == 'tianjin' and sector == 'total'").set_index("variable")["value"]
    assert baseline.gdp.sum() == pytest.approx(14083.73, rel=1e-9)
    for variable, aggregate in (("va_primary", "primary"), ("va_secondary", "secondary"), ("va_tertiary", "tertiary")):
        leaves = (baseline.value_added @ baseline.sectors.aggregate(aggregate)).sum()
        assert leaves == pytest.approx(control[variable], rel=1e-3)
    assert baseline.population.sum() == pytest.approx(control["population"], rel=1e-9)


def test_three_sector_strata_partition_the_sectors(baseline):
    strata = sum(baseline.sectors.aggregate(a) for a in ("primary", "secondary", "tertiary"))
    np.testing.assert_array_equal(strata, np.ones(baseline.n_sector))
    assert (baseline.sectors.aggregate("manufacturing") <= baseline.sectors.aggregate("industry")).all()
    assert (baseline.sectors.aggregate("industry") <= baseline.sectors.aggregate("secondary")).all()
    proxies = [a for a, k in zip(baseline.sectors.aggregate_ids, baseline.sectors.aggregate_kinds) if k == "proxy"]
    for proxy in proxies:
        w = baseline.sectors.aggregate(proxy)
        assert ((w >= 0) & (w <= 1)).all() and w.sum() > 0


def test_final_demand_purchase_shares_sum_to_one(baseline):
    inside = baseline.final_shares.sum(axis=0)  # (R_to, S, K)
    assert (inside >= 0).all() and (inside <= 1 + 1e-12).all()
    # the outside share is the complement, and the table lists it explicitly
    import pandas as pd

    shares = pd.read_csv(baseline.data_dir / "final_demand_shares_2020.csv")
    total = shares.groupby(["to_region", "sector", "category"])["share"].sum()
    assert np.allclose(total.to_numpy(), 1.0, atol=1e-12)


def test_input_coefficients_and_value_added_exhaust_each_column(baseline):
    col = baseline.A.sum(axis=0) + baseline.M_out.sum(axis=0) + np.tile(baseline.va_ratio, baseline.n_region)
    np.testing.assert_allclose(col, 1.0, atol=1e-9)


def test_arrays_close_every_row(baseline):
    x = baseline.gross_output.reshape(-1)
    sales = baseline.intermediate_sales().reshape(-1) + baseline.final_sales().reshape(-1)
    np.testing.assert_allclose(
        sales + baseline.exports.reshape(-1) + baseline.discrepancy.reshape(-1), x, rtol=1e-9, atol=1e-9
    )


def test_gross_output_solves_the_leontief_system(baseline):
    from simcore import leontief_solve

    f = baseline.final_sales().reshape(-1) + baseline.exports.reshape(-1) + baseline.discrepancy.reshape(-1)
    x = leontief_solve(baseline.A, f)
    np.testing.assert_allclose(x, baseline.gross_output.reshape(-1), rtol=1e-8, atol=1e-8)


def test_every_account_row_is_sourced_and_flagged(baseline):
    acc = baseline.accounts
    assert acc["source"].notna().all() and (acc["source"].str.len() > 0).all()
    assert set(acc["quality"]) <= {"published", "derived", "estimated"}
    est = acc[acc["quality"] == "estimated"]
    assert ((est["low"] <= est["value"] + 1e-9) & (est["value"] <= est["high"] + 1e-9)).all()
    required = {
        "gross_output",
        "value_added",
        "household_consumption",
        "government_consumption",
        "gfcf",
        "exports_outside",
        "statistical_discrepancy",
        "imports_outside",
        "capital_stock",
    }
    assert required <= set(acc["variable"])
    assert {"gdp", "population", "employment", "fixed_asset_investment"} <= set(
        acc.loc[acc["sector"] == "total", "variable"]
    )


def test_published_figures_keep_their_seed_citation(baseline):
    acc = baseline.accounts.set_index(["region", "sector", "variable"])
    assert acc.loc[("ziya", "total", "gdp"), "source"] == "004_df6b69c72b5b8701.txt:L21"
    assert acc.loc[("ziya", "total", "gdp"), "quality"] == "published"
    assert acc.loc[("dongli", "total", "fixed_asset_investment"), "value"] == pytest.approx(308.3)
    assert acc.loc[("binhai", "total", "fixed_asset_investment"), "source"] == "001_bf4eef6031b05164.txt:L70"


def test_summary_aggregates_are_sums_of_leaves(baseline):
    table = baseline_summary(baseline)
    for column in ("gdp", "fixed_investment", "energy", "co2", "population"):
        for aggregate in baseline.regions.aggregates:
            members = list(baseline.regions.members(aggregate))
            assert table.loc[aggregate, column] == pytest.approx(table.loc[members, column].sum(), rel=1e-12)
    assert table.loc["tianjin", "gdp_quality"] == "published"
    assert table.loc["ziya", "gdp_quality"] == "published"
    assert table.loc["binhai", "gdp_quality"] == "estimated"


def test_energy_and_co2_are_consistent(baseline):
    # every fossil-fuel row that emits also uses energy, and the implied factors are plausible (t CO2 / tce)
    fossil_energy = baseline.energy[:, :, :3].sum(axis=(0, 1))
    fossil_co2 = baseline.co2[:, :, :3].sum(axis=(0, 1))
    factors = fossil_co2 * 100 / fossil_energy  # Mt / 10^4 tce -> t / tce
    assert 2.0 < factors[0] < 4.5 and 1.8 < factors[1] < 2.5 and 1.5 < factors[2] < 1.8
    assert FINAL_DEMAND[-1] == "exports"


def test_binary_caches_reproduce_the_parsed_baseline_and_compiled_system(tmp_path, monkeypatch):
    from dataclasses import fields

    from simcore.baseline import tables as bl
    from simcore.model import system as engine

    monkeypatch.setenv("SIMCORE_CACHE_DIR", str(tmp_path))
    bl._load.cache_clear()
    engine._SYSTEMS.clear()
    try:
        first = bl.load_baseline()  # parses the tables, writes the cache
        system = engine.system_for(first)
        assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["baseline", "system"]
        bl._load.cache_clear()
        engine._SYSTEMS.clear()
        second = bl.load_baseline()  # read back from the cache
        cached = engine.system_for(second)
        for name in bl.ARRAY_FIELDS:
            np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
        assert repr(dict(first.parameters)) == repr(dict(second.parameters))  # repr: nan bounds compare equal
        for f in fields(engine.System):
            np.testing.assert_array_equal(getattr(system, f.name), getattr(cached, f.name), err_msg=f.name)
        # a corrupt cache file is ignored, not trusted
        for path in tmp_path.iterdir():
            path.write_bytes(b"not an npz")
        bl._load.cache_clear()
        engine._SYSTEMS.clear()
        third = bl.load_baseline()
        np.testing.assert_array_equal(third.A, first.A)
        np.testing.assert_array_equal(engine.system_for(third).LU, system.LU)
    finally:
        bl._load.cache_clear()
        engine._SYSTEMS.clear()


def test_only_tradables_are_exported_and_only_non_tradables_carry_the_discrepancy(baseline):
    """Issue 11: exports close the tradable rows; a non-tradable's residual is a statistical discrepancy."""
    tradable = np.array(baseline.sectors.tradable, bool)
    assert (baseline.exports[:, ~tradable] == 0).all()
    assert (baseline.discrepancy[:, tradable] == 0).all()
    assert baseline.discrepancy[:, ~tradable].sum() > 0


def test_labelled_views_carry_region_and_sector_labels(baseline):
    from simcore.errors import BaselineError

    va = baseline.frame("value_added")
    assert va.index.name == "region" and va.columns.name == "sector"
    assert list(va.index) == list(baseline.leaves) and list(va.columns) == list(baseline.sectors.ids)
    assert (
        va.loc["dongli", "steel"]
        == baseline.value_added[baseline.leaves.index("dongli"), baseline.sectors.index("steel")]
    )
    A = baseline.frame("A")
    assert (
        A.index.names == ["region", "sector"]
        and A.loc[("jinnan", "steel"), ("dongli", "steel")]
        == baseline.A[
            baseline.leaves.index("jinnan") * baseline.n_sector + baseline.sectors.index("steel"),
            baseline.leaves.index("dongli") * baseline.n_sector + baseline.sectors.index("steel"),
        ]
    )
    assert baseline.frame("gdp").sum() == pytest.approx(baseline.gdp.sum())
    assert baseline.frame("energy").columns.name == "fuel"
    with pytest.raises(BaselineError, match="unknown baseline array 'value_add'; did you mean 'value_added'"):
        baseline.frame("value_add")


def test_the_pymrio_export_reproduces_gross_output_and_coefficients(baseline):
    pytest.importorskip("pymrio", reason="pymrio not installed (pip install -e '.[test]')")
    io = baseline.to_pymrio()
    io.calc_all()
    x = baseline.gross_output.reshape(-1)
    np.testing.assert_allclose(io.x.iloc[:, 0].to_numpy(), x, rtol=1e-12, atol=1e-9)
    with_output = x > 0
    np.testing.assert_allclose(io.A.to_numpy()[:, with_output], baseline.A[:, with_output], atol=1e-14)
    assert io.factor_inputs.F.to_numpy().sum() == pytest.approx(baseline.value_added.sum())


def test_a_cache_written_by_another_environment_is_not_read(tmp_path, monkeypatch):
    """A pyam venv with an older pandas writes arrays whose last digits differ: its files have other names."""
    from simcore.baseline import cache

    monkeypatch.setenv("SIMCORE_CACHE_DIR", str(tmp_path))
    cache.cache_save("baseline", "same content key", {"a": np.arange(3.0)})
    assert cache.cache_load("baseline", "same content key")["a"].tolist() == [0.0, 1.0, 2.0]
    assert "pandas=" in cache.environment() and "numpy=" in cache.environment()
    monkeypatch.setattr(cache, "environment", lambda: "simcore=0;numpy=0;pandas=2.3.3;scipy=0")
    assert cache.cache_load("baseline", "same content key") is None
