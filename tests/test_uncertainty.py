"""Monte Carlo: seeding, determinism, chunking, quantiles and target attainment."""

import numpy as np
import pytest

from simcore import load_scenario
from simcore.experiments.montecarlo import DEFAULT_QUANTILES, monte_carlo, sample
from simcore.scenario.schema import Distribution

PLAN = "scenarios/plan_14th_fyp.yaml"


@pytest.fixture(scope="module")
def plan_mc(baseline):
    return monte_carlo(PLAN, draws=300, seed=11, baseline=baseline)


def test_same_seed_same_results_whatever_the_chunking(baseline, plan_mc):
    again = monte_carlo(PLAN, draws=300, seed=11, chunk_size=37, baseline=baseline)
    np.testing.assert_array_equal(plan_mc.values, again.values)


def test_adding_draws_never_changes_earlier_ones(baseline, plan_mc):
    more = monte_carlo(PLAN, draws=350, seed=11, baseline=baseline)
    np.testing.assert_array_equal(more.values[:300], plan_mc.values)
    other = monte_carlo(PLAN, draws=50, seed=12, baseline=baseline)
    assert not np.array_equal(other.values, plan_mc.values[:50])


def test_quantiles_identical_with_one_and_two_threads(baseline, numba_threads):
    from simcore.model.kernels import BLOCK

    # one trade variant and one chunk, so the kernel gets every draw in one call: three blocks, the last
    # partial, shared unevenly between two threads (with 16 variants each call would get a few draws)
    n = 2 * BLOCK + 22
    scenario = load_scenario(PLAN, overrides={"uncertainty.variants": 1})
    runs = []
    for threads in (1, 2):
        with numba_threads(threads):
            runs.append(monte_carlo(scenario, draws=n, seed=3, chunk_size=n, baseline=baseline))
    one, two = runs
    assert one.provenance["variants"] == 1 and (one.sampled.variant_of == 0).all()
    np.testing.assert_array_equal(one.values, two.values)
    np.testing.assert_array_equal(one.quantiles()["value"].to_numpy(), two.quantiles()["value"].to_numpy())


def test_quantiles_are_monotone_and_anchored(plan_mc, baseline):
    q = plan_mc.quantiles()
    assert sorted(q["quantile"].unique()) == list(DEFAULT_QUANTILES)
    wide = q.pivot_table(index=["region", "variable", "year"], columns="quantile", values="value")
    assert (np.diff(wide.to_numpy(), axis=1) >= -1e-6 * np.abs(wide.to_numpy()[:, 1:])).all()
    start = wide.xs(2020, level="year")
    # Tianjin's published 2020 totals do not move across draws
    for variable in ("GDP", "Emissions|CO2", "Energy Consumption"):
        row = start.loc[("tianjin", variable)]
        assert row.max() == pytest.approx(row.min(), rel=1e-6)
    assert start.loc[("tianjin", "GDP")].iloc[0] == pytest.approx(baseline.gdp.sum(), rel=1e-6)
    # an estimated district level does
    dongli = start.loc[("dongli", "GDP")]
    assert dongli[0.95] > dongli[0.05] * 1.01


def test_draws_spread_the_projection(plan_mc):
    co2 = plan_mc.get("tianjin", "Emissions|CO2")[:, -1]
    assert co2.std() > 0.01 * co2.mean()
    table = plan_mc.sampled.table
    assert table["flegg_delta"].nunique() == 16 and table["depreciation"].between(0.072, 0.12).all()


def test_numpy_backend_gives_the_same_draws(baseline):
    fast = monte_carlo(PLAN, draws=40, seed=5, baseline=baseline)
    slow = monte_carlo(PLAN, draws=40, seed=5, baseline=baseline, backend="numpy")
    np.testing.assert_allclose(fast.values, slow.values, rtol=1e-6)


def test_attainment_covers_every_modelled_target(plan_mc, baseline):
    table = plan_mc.attainment()
    modelled = baseline.targets[(baseline.targets["variable"].fillna("") != "")]
    assert len(table) == len(modelled)
    assert table["probability"].between(0, 1).all()
    population = table[(table["region"] == "binhai") & table["indicator"].str.contains("Resident population")]
    assert float(population["probability"].iloc[0]) == 1.0  # the plan sets it
    assert (table["p05"] <= table["median"] + 1e-9).all() and (table["median"] <= table["p95"] + 1e-9).all()


@pytest.mark.parametrize(
    "spec, check",
    [
        (
            {"dist": "normal", "mean": 0.02, "sd": 0.01},
            lambda x: abs(x.mean() - 0.02) < 5e-4 and abs(x.std() - 0.01) < 5e-4,
        ),
        (
            {"dist": "lognormal", "median": 1.0, "sigma": 0.2},
            lambda x: abs(np.median(x) - 1.0) < 0.01 and (x > 0).all(),
        ),
        (
            {"dist": "uniform", "low": 0.05, "high": 0.3},
            lambda x: x.min() >= 0.05 and x.max() <= 0.3 and abs(x.mean() - 0.175) < 0.005,
        ),
        (
            {"dist": "triangular", "low": 0.2, "mode": 0.5, "high": 1.0},
            lambda x: x.min() >= 0.2 and x.max() <= 1.0 and abs(x.mean() - 1.7 / 3) < 0.01,
        ),
        ({"dist": "normal", "mean": 0, "sd": 1, "clip": [-1, 1]}, lambda x: x.min() >= -1 and x.max() <= 1),
    ],
)
def test_distributions(spec, check):
    x = sample(Distribution.model_validate(spec), seed=1, stream=0, n=20000)[:, 0]
    assert check(x)


def test_scenario_without_uncertainty_is_deterministic(baseline, tmp_path):
    path = tmp_path / "flat.yaml"
    path.write_text("name: flat\nuncertainty: {baseline_levels: false}\n")
    mc = monte_carlo(load_scenario(path), draws=5, seed=1, baseline=baseline)
    np.testing.assert_array_equal(mc.values, np.repeat(mc.values[:1], 5, axis=0))


def test_run_quantiles_are_numpys_on_the_kept_float32_draws(plan_mc):
    q = (0.05, 0.5, 0.95)
    want = np.quantile(plan_mc.values.astype(np.float64), q, axis=0)  # (Q, V, G, T), the plain way
    np.testing.assert_array_equal(plan_mc.quantile_levels(q), want)
    table = plan_mc.quantiles(q)
    v, g = plan_mc.variables.index("GDP"), plan_mc.regions.index("tianjin")
    row = table[(table.variable == "GDP") & (table.region == "tianjin") & (table.year == 2035)]
    np.testing.assert_array_equal(row.sort_values("quantile").value.to_numpy(), want[:, v, g, -1])


def test_the_batch_variables_a_run_keeps_are_those_of_the_full_set(baseline, plan_mc):
    """``keep`` skips variables, never changes one: a run's values equal those computed with everything."""
    from simcore.experiments.montecarlo import _subset
    from simcore.model.boundary import project
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for
    from simcore.model.variables import batch_variables

    system = system_for(baseline)
    paths = compile_scenario(load_scenario(PLAN, baseline=baseline), baseline, system)
    draws = _subset(plan_mc.sampled.draws, np.arange(4))
    raw = project(system, paths, draws, baseline)
    full = batch_variables(baseline, raw, paths)
    lean = batch_variables(baseline, raw, paths, keep=plan_mc.variables)
    assert set(plan_mc.variables) <= set(lean) < set(full)
    for name in plan_mc.variables:
        np.testing.assert_array_equal(lean[name], full[name], err_msg=name)


def test_a_sketch_run_is_within_its_stated_bound_of_the_exact_run(baseline, plan_mc, monkeypatch):
    import simcore.experiments.montecarlo as mcmod
    from simcore.errors import SimcoreError

    monkeypatch.setattr(mcmod, "PILOT", 120)  # the grid from 120 draws, the other 180 counted into it
    sk = monte_carlo(PLAN, draws=300, seed=11, baseline=baseline, quantile_method="sketch", chunk_size=50)
    assert sk.n_draws == 300 and sk.sketch.n.min() == 300
    q = (0.1, 0.5, 0.9)
    exact = plan_mc.quantile_levels(q)
    est = sk.quantile_levels(q)
    bound = sk.sketch.error_bound.reshape(exact.shape[1:])
    finite = np.isfinite(exact)
    assert (np.abs(est - exact)[finite] <= np.broadcast_to(bound, exact.shape)[finite]).all()
    assert sk.provenance["quantile_method"] == "sketch"
    with pytest.raises(SimcoreError, match="needs every draw.*--quantile-method exact"):
        sk.get("tianjin", "GDP")


@pytest.mark.slow
def test_dask_engine_gives_the_local_results_whatever_the_number_of_workers(baseline, plan_mc, monkeypatch):
    """Exact: the same float32 draws as the local engine; sketch: the same counts on 1 and 2 workers."""
    pytest.importorskip("dask.distributed")
    import simcore.experiments.montecarlo as mcmod

    on_dask = monte_carlo(PLAN, draws=300, seed=11, baseline=baseline, chunk_size=50, engine="dask", workers=2)
    np.testing.assert_array_equal(on_dask.values, plan_mc.values)
    assert on_dask.provenance["engine"] == "dask"
    monkeypatch.setattr(mcmod, "PILOT", 100)
    counts = []
    for workers in (1, 2):
        sk = monte_carlo(
            PLAN,
            draws=300,
            seed=11,
            baseline=baseline,
            chunk_size=40,
            engine="dask",
            workers=workers,
            quantile_method="sketch",
        )
        counts.append(sk.sketch.counts)
    local = monte_carlo(PLAN, draws=300, seed=11, baseline=baseline, chunk_size=40, quantile_method="sketch")
    np.testing.assert_array_equal(counts[0], counts[1])
    np.testing.assert_array_equal(counts[0], local.sketch.counts)


def test_bad_engine_settings_are_clear_errors(baseline):
    from simcore.errors import SimcoreError

    with pytest.raises(SimcoreError, match="engine 'spark': expected 'local' or 'dask'"):
        monte_carlo(PLAN, draws=5, baseline=baseline, engine="spark")
    with pytest.raises(SimcoreError, match="--workers 0: a local Dask cluster needs at least 1 worker"):
        monte_carlo(PLAN, draws=5, baseline=baseline, engine="dask", workers=0)
    with pytest.raises(SimcoreError, match="quantile_method 'median'"):
        monte_carlo(PLAN, draws=5, baseline=baseline, quantile_method="median")


def test_quantile_levels_outside_the_unit_interval_are_a_clear_error(plan_mc):
    from simcore.errors import SimcoreError

    with pytest.raises(SimcoreError, match=r"--quantiles 0.5 1.5: each must be in \[0, 1\]"):
        plan_mc.quantiles((0.5, 1.5))
