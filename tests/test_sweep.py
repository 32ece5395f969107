"""Sweeps: generation, local and Dask engines, resumption after an interruption."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus import corpus_params, read_expect

from simcore import run
from simcore.errors import ScenarioError, SimcoreError
from simcore.experiments import sweep as sweep_module
from simcore.experiments.sweep import load_sweep, run_sweep

GRID = "scenarios/sweeps/binhai_grid.yaml"
LHS = "scenarios/sweeps/plan_lhs.yaml"
BAD_SWEEPS = sorted((Path(__file__).parent / "data" / "bad_sweeps").glob("*.yaml"))


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


# --------------------------------------------------------------------------- resume verifies what it finds


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One small sweep run to the end (3 chunks of 2 runs) and its dataset; tests copy the folder."""
    root = tmp_path_factory.mktemp("finished")
    path = small_sweep(root)
    store = run_sweep(path, root / "out")
    return path, root / "out", store.read()


def _copy(finished, tmp_path) -> Path:
    import shutil

    _, out, _ = finished
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "out"


def _truncate(part: Path) -> None:
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])


def _empty(part: Path) -> None:
    part.write_bytes(b"")


def _other_chunk(part: Path) -> None:  # a readable Parquet file, but another chunk's
    part.write_bytes((part.parent / "part-00000.parquet").read_bytes())


def _rows_edited(part: Path) -> None:
    manifest = part.parents[1] / "manifest.json"
    data = json.loads(manifest.read_text())
    data["chunks"]["1"]["rows"] += 1
    manifest.write_text(json.dumps(data))


def _deleted(part: Path) -> None:
    part.unlink()


def _unrecorded(part: Path) -> None:  # the chunk was written, the sweep killed before it was recorded
    manifest = part.parents[1] / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["chunks"]["1"]
    manifest.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "damage, note",
    [
        (_truncate, "chunk 1: checksum mismatch (truncated or changed file), recomputed"),
        (_empty, "chunk 1: checksum mismatch (empty file), recomputed"),
        (_other_chunk, "chunk 1: checksum mismatch (truncated or changed file), recomputed"),
        (_rows_edited, "chunk 1: row count mismatch"),
        (_deleted, "chunk 1: recorded in the manifest but its file is missing, recomputed"),
        (_unrecorded, "chunk 1: not recorded in the manifest"),
    ],
    ids=["truncated", "empty", "another-chunk", "row-count", "deleted", "unrecorded"],
)
def test_a_damaged_chunk_is_recomputed_on_resume(finished, tmp_path, capsys, monkeypatch, damage, note):
    path, _, whole = finished
    out = _copy(finished, tmp_path)
    damage(out / "chunks" / "part-00001.parquet")
    with pytest.raises(SimcoreError, match="does not match its record|1 of 3 chunks not complete"):
        sweep_module.Store(out, load_sweep(path)).read()  # never read as if whole
    computed = []
    real = sweep_module.run_chunk
    monkeypatch.setattr(sweep_module, "run_chunk", lambda p, k, b=None: (computed.append(k), real(p, k, b))[1])
    store = run_sweep(path, out)
    assert note in capsys.readouterr().err
    assert computed == [1]  # only the damaged chunk
    assert store.complete()
    pd.testing.assert_frame_equal(store.read(), whole)


def test_a_folder_with_chunks_and_no_manifest_is_refused(finished, tmp_path):
    """Chunks of another sweep (other lever values) in a folder whose manifest was deleted are never adopted."""
    path, _, _ = finished
    out = _copy(finished, tmp_path)
    (out / "manifest.json").unlink()
    other = tmp_path / "other.yaml"
    other.write_text(path.read_text().replace("low: 0.03, high: 0.07", "low: 0.02, high: 0.06"))
    before = {p.name: p.read_bytes() for p in (out / "chunks").iterdir()}
    with pytest.raises(SimcoreError) as info:
        run_sweep(other, out)
    message = str(info.value)
    assert str(out) in message and "no manifest.json" in message and "3 chunk file(s)" in message
    assert "use a new --out folder, or delete" in message
    assert {p.name: p.read_bytes() for p in (out / "chunks").iterdir()} == before  # nothing touched


@pytest.mark.parametrize(
    "digest, changed",
    [("code_digest", "the model code changed"), ("data_digest", "the baseline data changed")],
)
def test_a_resume_after_a_code_or_data_change_is_refused(finished, tmp_path, monkeypatch, digest, changed):
    path, _, _ = finished
    out = _copy(finished, tmp_path)
    (out / "chunks" / "part-00002.parquet").unlink()  # a chunk left to compute with the new code
    monkeypatch.setattr(sweep_module, digest, lambda *args: "f" * 64)  # as after an edit of the code or data
    with pytest.raises(SimcoreError, match=changed) as info:
        run_sweep(path, out)
    assert str(out) in str(info.value) and "use a new --out folder" in str(info.value)
    assert not (out / "chunks" / "part-00002.parquet").exists()


def test_the_code_digest_covers_every_module(monkeypatch, tmp_path):
    import simcore

    package = Path(simcore.__file__).resolve().parent
    before = sweep_module.code_digest()
    assert before == sweep_module.code_digest()
    target = package / "experiments" / "sweep.py"
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: real_read(p) + (b"#" if p == target else b""))
    assert sweep_module.code_digest() != before


def test_an_old_or_foreign_manifest_is_refused(finished, tmp_path):
    path, _, _ = finished
    out = _copy(finished, tmp_path)
    data = json.loads((out / "manifest.json").read_text())
    del data["chunks"], data["format"]
    (out / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(SimcoreError, match="without chunk checksums"):
        run_sweep(path, out)
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(SimcoreError, match="manifest.json is not readable"):
        run_sweep(path, out)


def test_two_sweeps_never_write_into_one_folder(finished, tmp_path):
    import fcntl
    import os

    path, _, _ = finished
    out = _copy(finished, tmp_path)
    fd = os.open(out / ".simcore-sweep.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running sweep holds it
    try:
        with pytest.raises(SimcoreError, match="another simcore sweep is writing"):
            run_sweep(path, out)
    finally:
        os.close(fd)
    assert run_sweep(path, out).complete()


def test_out_is_checked_before_anything_runs(tmp_path, monkeypatch):
    from simcore.errors import OutputError

    path = small_sweep(tmp_path)
    monkeypatch.setattr(sweep_module, "load_sweep", lambda *a, **k: pytest.fail("the sweep was loaded"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file, expected a folder"):
        run_sweep(path, tmp_path / "file")
    with pytest.raises(OutputError, match="is a file"):
        run_sweep(path, tmp_path / "file" / "below")
    import os

    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="not writable"):
            run_sweep(path, locked / "out")


# --------------------------------------------------------------------------- every lever value, before any run


def _grid_file(tmp_path: Path, lever_lines: str, extra: str = "") -> Path:
    path = tmp_path / "levers.yaml"
    path.write_text(
        f"name: levers\nscenario: {Path('scenarios/plan_14th_fyp.yaml').resolve()}\nchunk_size: 2\n{extra}"
        f"levers:\n{lever_lines}outputs:\n  variables: [GDP]\n  regions: [tianjin]\n  years: [2025]\n"
    )
    return path


def test_a_bad_middle_lever_value_is_reported_before_any_run(tmp_path, monkeypatch):
    path = _grid_file(
        tmp_path,
        "  exports.growth:\n    values:\n      - 0.03\n      - 4.0\n      - 0.05\n"
        "  energy.grid_emission_factor.values.2035: {values: [0.5, 0.7]}\n",
    )
    monkeypatch.setattr(sweep_module, "run_chunk", lambda *a: pytest.fail("a chunk ran"))
    with pytest.raises(ScenarioError) as info:
        run_sweep(path, tmp_path / "out")
    text = str(info.value)
    assert len(info.value.issues) == 1, text
    issue = info.value.issues[0]
    assert issue.file.endswith("levers.yaml") and issue.line == 8  # the line of the value 4.0
    assert issue.path == "levers.exports.growth" and issue.got == 4.0
    assert "value 4.0 (runs 2, 3)" in issue.problem and issue.expected  # the runs that have it, the rule
    assert not (tmp_path / "out").exists()  # nothing written


def test_every_one_of_many_lever_values_is_checked(tmp_path):
    """A lever with more distinct values than are checked whole: each value still meets the schema."""
    values = [round(0.03 + 0.0001 * i, 6) for i in range(sweep_module.FULL_CHECKS + 10)]
    values[40] = "fast"  # neither the first nor the last run, nor the smallest or largest number
    path = _grid_file(tmp_path, f"  exports.growth: {{values: {values}}}\n")
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    (issue,) = info.value.issues
    assert issue.got == "fast" and "(run 40)" in issue.problem and issue.line == 5


def test_load_sweep_reports_bad_outputs_with_their_lines(tmp_path):
    path = tmp_path / "outputs.yaml"
    path.write_text(
        f"name: outputs\nscenario: {Path('scenarios/baseline.yaml').resolve()}\n"
        "levers:\n  exports.growth: {values: [0.03, 0.05]}\n"
        "outputs:\n"
        "  variables:\n    - GDP\n    - GPD\n"  # lines 7, 8
        "  regions: [tianjin, atlantis]\n"  # line 9
        "  years: [2025, 2050, 2025]\n"  # line 10
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    got = {(i.line, i.path, i.problem, i.got) for i in info.value.issues}
    assert got == {
        (8, "outputs.variables", "unknown variable", "GPD"),
        (9, "outputs.regions", "unknown region", "atlantis"),
        (10, "outputs.years", "year outside the projection", 2050),
        (10, "outputs.years", "given twice", 2025),
    }


def test_a_grid_lever_without_n_is_a_located_message(tmp_path):
    path = _grid_file(
        tmp_path, "  exports.growth: {values: [0.03, 0.05]}\n  parameters.tfp_growth: {low: 0.01, high: 0.03}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.path) == (6, "levers.parameters.tfp_growth")
    assert "needs n" in issue.problem and "n: an integer" in issue.expected


def test_huge_sweeps_are_refused_before_allocating(tmp_path):
    from simcore.experiments.sensitivity import design

    lhs = _grid_file(
        tmp_path, "  exports.growth: {low: 0.03, high: 0.05}\n", extra="method: lhs\nsamples: 2000000000\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(lhs)
    (issue,) = info.value.issues
    assert (issue.line, issue.path, issue.problem) == (5, "samples", "out of range")
    assert "1000000" in issue.expected
    grid = _grid_file(
        tmp_path,
        "  exports.growth: {low: 0.03, high: 0.05, n: 100000}\n"
        "  parameters.tfp_growth: {low: 0.01, high: 0.03, n: 1000}\n",
    )
    with pytest.raises(ScenarioError, match="the grid has 100,000,000 runs"):
        load_sweep(grid)
    small = load_sweep(_grid_file(tmp_path, "  exports.growth: {low: 0.03, high: 0.05, n: 2}\n"))
    with pytest.raises(SimcoreError, match="at most 1,000,000 runs"):
        design(small, "sobol", 2_000_000_000, 0)


@pytest.mark.parametrize("path", corpus_params(BAD_SWEEPS))
def test_bad_sweep_reports_file_line_key_and_rule(path):
    """Each file of tests/data/bad_sweeps/ is refused by load_sweep with the located issue its first line names."""
    expect = read_expect(path)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    hit = expect.hit(info.value.issues)
    assert Path(hit.file).name == path.name


def test_a_sweep_reads_in_ema_workbench_layout(tmp_path):
    """experiments: one row a run with its lever values; outcomes: (runs, years) arrays in that order."""
    store = run_sweep("scenarios/sweeps/binhai_grid.yaml", tmp_path / "grid")
    experiments, outcomes = store.experiments_outcomes()
    table = store.read()
    assert len(experiments) == store.sweep.n_runs and {"scenario", "policy", "model"} <= set(experiments.columns)
    assert list(outcomes["time"]) == sorted(table["year"].unique())
    name = next(k for k in outcomes if k != "time")
    region, variable = name.split(":", 1)
    assert outcomes[name].shape == (len(experiments), len(outcomes["time"]))
    run = int(experiments["scenario"].iloc[-1])
    year = int(outcomes["time"][-1])
    expected = table[
        (table.run_id == run) & (table.region == region) & (table.variable == variable) & (table.year == year)
    ]
    assert outcomes[name][-1, -1] == expected["value"].iloc[0]
    lever = [c for c in store.sweep.runs.columns if c != "run_id"][0]
    assert experiments[lever].iloc[-1] == store.sweep.runs.set_index("run_id").loc[run, lever]


def test_every_chunk_is_a_canonical_long_table(tmp_path):
    """IAMC columns (model, scenario, region, variable, unit, year), run_id, value: each chunk file alone, as
    pyam.IamDataFrame reads it (tests/test_pyam.py)."""
    from simcore.model.variables import unit_of
    from simcore.results.table import COLUMNS, model_label

    store = run_sweep(small_sweep(tmp_path), tmp_path / "out")
    parts = sorted(store.chunks.glob("part-*.parquet"))
    assert len(parts) == store.sweep.n_chunks == 3
    for part in parts:
        chunk = pd.read_parquet(part)
        assert list(chunk.columns) == COLUMNS[:-1] + ["run_id", "value"]
        assert (chunk["model"] == model_label()).all() and (chunk["scenario"] == "plan_14th_fyp").all()
        assert (chunk["unit"] == chunk["variable"].map(unit_of)).all()
        assert not chunk.duplicated(["run_id", "region", "variable", "year"]).any()
