"""Sweeps: generation, local and Dask engines, resumption after an interruption."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcore import run
from simcore.errors import ScenarioError, SimcoreError
from simcore.experiments import sweep as sweep_module
from simcore.experiments.sweep import load_sweep, run_sweep

GRID = "scenarios/sweeps/binhai_grid.yaml"
LHS = "scenarios/sweeps/plan_lhs.yaml"


def small_sweep(tmp_path: Path, chunk_size: int = 2, method: str = "grid") -> Path:
    text = f"""
name: small
scenario: {Path("scenarios/plan_14th_fyp.yaml").resolve()}
method: {method}
samples: 7
seed: 5
chunk_size: {chunk_size}
levers:
  exports.growth: {{low: 0.03, high: 0.07, n: 3}}
  energy.grid_emission_factor.values.2035: {{low: 0.4, high: 0.8, n: 2}}
outputs:
  variables: [GDP, Emissions|CO2]
  regions: [tianjin, dongli]
  years: [2020, 2025, 2035]
"""
    path = tmp_path / "small.yaml"
    path.write_text(text)
    return path


def test_grid_and_lhs_generation(tmp_path):
    grid = load_sweep(GRID)
    assert grid.n_runs == 27 and grid.n_chunks == 3
    lhs = load_sweep(LHS)
    assert lhs.n_runs == 500
    assert lhs.runs["exports.growth"].between(0.03, 0.07).all()
    # Latin hypercube: one sample in each of the 500 strata of every lever
    strata = np.floor((lhs.runs["parameters.tfp_growth"] - 0.015) / 0.02 * 500).astype(int)
    assert sorted(strata) == list(range(500))
    assert load_sweep(LHS).runs.equals(lhs.runs)


def test_a_run_equals_the_scenario_with_its_overrides(tmp_path, baseline):
    path = small_sweep(tmp_path)
    store = run_sweep(path, tmp_path / "out")
    data = store.read()
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    row = runs.iloc[3]
    direct = run(
        "scenarios/plan_14th_fyp.yaml",
        baseline=baseline,
        overrides={
            "exports.growth": float(row["exports.growth"]),
            "energy.grid_emission_factor.values.2035": float(row["energy.grid_emission_factor.values.2035"]),
        },
    )
    got = data[
        (data["run_id"] == 3) & (data["region"] == "dongli") & (data["variable"] == "GDP") & (data["year"] == 2035)
    ]["value"].iloc[0]
    assert got == pytest.approx(direct.value("dongli", "GDP", 2035), rel=1e-12)
    assert sorted(data["run_id"].unique()) == list(range(6))


def test_interrupted_sweep_resumes_to_the_same_dataset(tmp_path, monkeypatch):
    path = small_sweep(tmp_path, chunk_size=1)
    whole = run_sweep(path, tmp_path / "whole").read()

    real = sweep_module.run_chunk
    calls = {"n": 0}

    def flaky(sweep_path, k, baseline_dir=None):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(sweep_path, k, baseline_dir)

    monkeypatch.setattr(sweep_module, "run_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, tmp_path / "resumed")
    done = sorted(p.name for p in (tmp_path / "resumed" / "chunks").glob("part-*.parquet"))
    assert len(done) == 3
    monkeypatch.setattr(sweep_module, "run_chunk", real)
    resumed = run_sweep(path, tmp_path / "resumed")
    assert resumed.complete()
    pd.testing.assert_frame_equal(resumed.read(), whole)
    assert not resumed.read().duplicated(["run_id", "region", "variable", "year"]).any()


def test_changed_sweep_in_the_same_folder_is_refused(tmp_path):
    path = small_sweep(tmp_path)
    run_sweep(path, tmp_path / "out")
    path.write_text(path.read_text().replace("seed: 5", "seed: 6").replace("method: grid", "method: lhs"))
    with pytest.raises(SimcoreError, match="different sweep"):
        run_sweep(path, tmp_path / "out")


def test_bad_lever_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"name: bad\nscenario: {Path('scenarios/baseline.yaml').resolve()}\nlevers:\n"
        "  exports.grwth: {values: [0.03, 0.05]}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert "exports.grwth" in str(info.value) and "did you mean" in str(info.value)


@pytest.mark.slow
def test_local_pool_and_dask_give_the_same_dataset(tmp_path):
    path = small_sweep(tmp_path)
    local = run_sweep(path, tmp_path / "local").read()
    pool = run_sweep(path, tmp_path / "pool", workers=2).read()
    dask = run_sweep(path, tmp_path / "dask", engine="dask", workers=2).read()
    pd.testing.assert_frame_equal(local, pool)
    pd.testing.assert_frame_equal(local, dask)


def test_example_sweeps_are_valid():
    for path in Path("scenarios/sweeps").glob("*.yaml"):
        load_sweep(path)
    assert len(list(Path("scenarios/sweeps").glob("*.yaml"))) >= 2


def test_sweep_digest_changes_with_the_baseline(tmp_path):
    import shutil

    from simcore import load_baseline

    path = small_sweep(tmp_path)
    folder = tmp_path / "baseline"
    shutil.copytree(load_baseline().data_dir, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    params = folder / "parameters.csv"
    params.write_text(params.read_text().replace("14083.73", "14083.74", 1))
    bundled, other = load_sweep(path), load_sweep(path, baseline_dir=str(folder))
    assert other.baseline().checksum != bundled.baseline().checksum
    assert other.digest() != bundled.digest()  # a resumed sweep never mixes chunks from two baselines
