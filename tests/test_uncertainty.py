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
    draws = _subset(plan_mc.sampler.span(0, 4).draws, np.arange(4))
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


def test_any_stretch_of_draws_samples_the_values_of_the_whole_run(baseline):
    """The sampler gives draws a..b the values they have in the whole run, across stream blocks."""
    from simcore.experiments.montecarlo import STREAM_BLOCK, Sampler
    from simcore.model.boundary import Draws
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for

    scenario = load_scenario(PLAN)
    central = Draws.central(compile_scenario(scenario, baseline, system_for(baseline)), baseline.n_region)
    sampler = Sampler(scenario, baseline, central, seed=5)
    n = 2 * STREAM_BLOCK + 100
    whole = sampler.span(0, n)
    for a, z in ((0, 1), (STREAM_BLOCK - 3, STREAM_BLOCK + 4), (1500, n), (7, 2 * STREAM_BLOCK)):
        part = sampler.span(a, z)
        np.testing.assert_array_equal(part.ids, np.arange(a, z))
        np.testing.assert_array_equal(part.table.to_numpy(), whole.table.iloc[a:z].to_numpy())
        np.testing.assert_array_equal(part.draws.export_shift, whole.draws.export_shift[a:z])
        np.testing.assert_array_equal(part.level_scale, whole.level_scale[a:z])
        np.testing.assert_array_equal(part.variant_of, np.arange(a, z) % sampler.n_variants)


WIDE_EXPORTS = {"uncertainty.parameters.export_growth": {"dist": "normal", "mean": 0.0, "sd": 0.1}}


@pytest.fixture(scope="module")
def failing(baseline):
    """A run where some draws cannot reach the plan's share targets (a wide export shock)."""
    scenario = load_scenario(PLAN, overrides=WIDE_EXPORTS)
    return scenario, monte_carlo(
        scenario, draws=300, seed=1, baseline=baseline, failed_draws="exclude", max_failed_share=0.5
    )


def test_failed_draws_stop_the_run_by_default_naming_the_first(baseline, failing):
    from simcore.errors import ProjectionError

    scenario, mc = failing
    with pytest.raises(
        ProjectionError, match=r"first draw (\d+) in \d{4}: a share target.*--failed-draws exclude"
    ) as err:
        monte_carlo(scenario, draws=300, seed=1, baseline=baseline, chunk_size=300)
    assert err.value.where[0][0] in set(mc.failures["draw"])


def test_excluded_draws_are_listed_and_never_reach_a_quantile(baseline, failing, tmp_path):
    import pandas as pd

    scenario, mc = failing
    failed = mc.failures["draw"].to_numpy()
    assert 0 < failed.size < 300 and (np.diff(failed) > 0).all()
    assert mc.n_draws == 300 - failed.size and mc.provenance["failed_draws"]["excluded"] == failed.size
    np.testing.assert_array_equal(mc.draw_ids, np.setdiff1d(np.arange(300), failed))
    # the kept draws are those of a run chunked differently, and the quantiles are theirs alone
    again = monte_carlo(
        scenario, draws=300, seed=1, baseline=baseline, chunk_size=23, failed_draws="exclude", max_failed_share=0.5
    )
    np.testing.assert_array_equal(again.values, mc.values)
    column = mc.get("tianjin", "Emissions|CO2")[:, -1]
    assert column.size == mc.n_draws
    q = mc.quantiles((0.05, 0.5))
    row = q[(q["region"] == "tianjin") & (q["variable"] == "Emissions|CO2") & (q["year"] == 2035)]
    np.testing.assert_allclose(row["value"], np.quantile(column.astype(np.float32), (0.05, 0.5)), rtol=1e-6)
    paths = mc.write(tmp_path, keep_draws=True)
    listed = pd.read_csv(tmp_path / "montecarlo.failed.csv")
    assert tmp_path / "montecarlo.failed.csv" in paths and listed["draw"].tolist() == failed.tolist()
    written = pd.read_parquet(tmp_path / "montecarlo.draws.parquet", columns=["draw"])["draw"].unique()
    assert not set(written) & set(failed)
    params = pd.read_parquet(tmp_path / "montecarlo.parameters.parquet")
    assert sorted(params["draw"]) == sorted(written)  # one row of parameters for every draw written
    shock = params.set_index("draw")["export_shift[dongli]"]
    np.testing.assert_array_equal(
        shock.to_numpy(),
        mc.sampler.span(0, 300).table.set_index("draw").loc[shock.index, "export_shift[dongli]"].to_numpy(),
    )
    # a sketch run counts only the draws that completed
    sk = monte_carlo(
        scenario,
        draws=300,
        seed=1,
        baseline=baseline,
        chunk_size=40,
        quantile_method="sketch",
        failed_draws="exclude",
        max_failed_share=0.5,
    )
    assert sk.n_draws == mc.n_draws and (sk.sketch.n == mc.n_draws).all()


def test_more_failed_draws_than_the_stated_share_is_an_error(baseline, failing):
    from simcore.errors import ProjectionError, SimcoreError

    scenario, mc = failing
    share = len(mc.failures) / 300
    with pytest.raises(ProjectionError, match=rf"{len(mc.failures)} of 300 draws failed, more than --max-failed-share"):
        monte_carlo(scenario, draws=300, seed=1, baseline=baseline, failed_draws="exclude", max_failed_share=share / 2)
    with pytest.raises(SimcoreError, match="--failed-draws drop: expected one of error, exclude"):
        monte_carlo(scenario, draws=3, baseline=baseline, failed_draws="drop")
    with pytest.raises(SimcoreError, match="--max-failed-share 2: expected a share in"):
        monte_carlo(scenario, draws=3, baseline=baseline, failed_draws="exclude", max_failed_share=2)


@pytest.mark.slow
def test_dask_engine_excludes_the_same_draws(baseline, failing, monkeypatch):
    pytest.importorskip("dask.distributed")
    import simcore.experiments.montecarlo as mcmod

    scenario, mc = failing
    kw = dict(draws=300, seed=1, baseline=baseline, chunk_size=10, failed_draws="exclude", max_failed_share=0.5)
    on_dask = monte_carlo(scenario, engine="dask", workers=2, **kw)
    np.testing.assert_array_equal(on_dask.values, mc.values)
    assert on_dask.failures.equals(mc.failures)
    monkeypatch.setattr(mcmod, "PILOT", 100)  # failed draws in the pilot and after it
    local = monte_carlo(scenario, quantile_method="sketch", **kw)
    sketched = monte_carlo(scenario, quantile_method="sketch", engine="dask", workers=2, **kw)
    np.testing.assert_array_equal(sketched.sketch.counts, local.sketch.counts)
    assert (local.failures["draw"] < 100).any() and (local.failures["draw"] >= 100).any()


def test_cli_mc_keeps_extra_variables(tmp_path, capsys):
    import pandas as pd

    from simcore.cli import main

    argv = ["mc", PLAN, "--draws", "30", "--seed", "1", "--variables", "Value Added|Steel", "--out", str(tmp_path)]
    assert main(argv) == 0
    table = pd.read_csv(tmp_path / "montecarlo.quantiles.csv")
    assert "Value Added|Steel" in set(table["variable"]) and "GDP" in set(table["variable"])
    assert main(["mc", PLAN, "--draws", "3", "--variables", "Nope"]) == 2
    assert "'Nope' is not a result variable" in capsys.readouterr().err
