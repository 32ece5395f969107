"""Result tables: golden comparison, writers (CSV, Parquet, provenance), atomicity and the CLI."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from golden import GOLDEN, golden_frame

from simcore import run
from simcore.cli import compare_tables, main


def test_baseline_matches_the_golden_table():
    expected = pd.read_csv(GOLDEN)
    actual = golden_frame()
    pd.testing.assert_frame_equal(
        actual[["scenario", "region", "variable", "unit", "year"]],
        expected[["scenario", "region", "variable", "unit", "year"]],
        check_dtype=False,
    )
    np.testing.assert_allclose(
        actual["value"],
        expected["value"],
        rtol=1e-6,
        err_msg="results moved: if on purpose, run python tests/golden.py --regenerate",
    )


def test_write_creates_csv_parquet_and_provenance(tmp_path, baseline):
    results = run("scenarios/plan_14th_fyp.yaml", baseline=baseline)
    paths = results.write(tmp_path)
    csv = pd.read_csv(paths[0])
    parquet = pd.read_parquet(paths[1])
    assert len(csv) == len(parquet) == len(results.table)
    np.testing.assert_allclose(parquet["value"], results.table["value"])
    prov = json.loads(paths[2].read_text())
    assert prov["layers"] == [
        "scenarios/calibrated_trend.yaml",
        "scenarios/baseline.yaml",
        "scenarios/plan_14th_fyp.yaml",
    ]
    assert prov["baseline_checksum"] == baseline.checksum and prov["version"] and "seed" in prov
    assert not list(tmp_path.glob(".simcore-*"))


def test_a_failed_write_leaves_nothing(tmp_path, baseline, monkeypatch):
    results = run("scenarios/baseline.yaml", baseline=baseline)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError):
        results.write(tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*"))


def test_cli_run_prints_summary_and_writes(tmp_path, capsys):
    assert main(["run", "scenarios/baseline.yaml", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tianjin" in out and "2035" in out and "energy intensity" in out
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "results.provenance.json").is_file()


def test_cli_run_reports_bad_scenarios_without_writing(tmp_path, capsys):
    bad = "tests/data/bad_scenarios/shares_not_summing.yaml"
    assert main(["run", bad, "--out", str(tmp_path / "out")]) == 2
    assert "shares do not sum to 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_validate(capsys):
    assert main(["validate", "scenarios/baseline.yaml", "scenarios/plan_14th_fyp.yaml"]) == 0
    assert main(["validate", "tests/data/bad_scenarios/unknown_region.yaml"]) == 1
    assert "did you mean" in capsys.readouterr().err


def test_compare_reports_differences(baseline):
    a = run("scenarios/baseline.yaml", baseline=baseline).table
    b = run("scenarios/plan_14th_fyp.yaml", baseline=baseline).table
    diff = compare_tables(a, b, names=("baseline", "plan_14th_fyp"), regions=tuple(baseline.regions.ids))
    row = diff[(diff["region"] == "binhai") & (diff["variable"] == "GDP") & (diff["year"] == 2025)].iloc[0]
    assert row["difference"] == pytest.approx(row["plan_14th_fyp"] - row["baseline"])
    assert set(diff["year"]) == {2025, 2035}
    gdp = diff[diff["variable"] == "GDP"]
    assert list(dict.fromkeys(gdp["region"])) == list(baseline.regions.ids)  # the region tree's order
    same = compare_tables(a, a, names=("baseline", "baseline"))
    assert {"baseline (1)", "baseline (2)"} <= set(same.columns) and (same["difference"] == 0).all()


def test_cli_compare(capsys, tmp_path):
    out = tmp_path / "diff.csv"
    assert main(["compare", "scenarios/baseline.yaml", "scenarios/low_growth.yaml", "--out", str(out)]) == 0
    assert "low_growth minus baseline" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert table["difference"].notna().all() and {"baseline", "low_growth"} <= set(table.columns)
    assert table["region"].iloc[0] == "tianjin"


def test_variable_names_list_what_batch_variables_computes(baseline):
    from simcore.model.boundary import project_central
    from simcore.model.variables import batch_variables, variable_names
    from simcore.scenario.loader import load_scenario

    raw, paths = project_central(load_scenario("scenarios/baseline.yaml"), baseline)
    assert variable_names(baseline) == list(batch_variables(baseline, raw, paths))


@pytest.mark.slow
def test_streamed_draws_file_equals_the_in_memory_long_table(tmp_path):
    from simcore.experiments.montecarlo import monte_carlo

    mc = monte_carlo("scenarios/baseline.yaml", draws=70, seed=3)
    paths = mc.write(tmp_path, keep_draws=True)
    assert sorted(p.name for p in paths) == sorted(p.name for p in tmp_path.iterdir())
    streamed = pd.read_parquet(tmp_path / "montecarlo.draws.parquet")
    for column in ("model", "scenario", "region", "variable", "unit"):
        streamed[column] = streamed[column].astype(str)
    pd.testing.assert_frame_equal(streamed, mc.draws_frame().reset_index(drop=True), check_dtype=False)


def test_the_table_builder_raises_on_a_non_finite_value_and_names_the_row(baseline):
    from simcore.errors import ResultsError
    from simcore.results.table import long_table

    values = np.ones((2, 2, 1, 3))
    values[1, 1, 0, 2] = np.nan
    with pytest.raises(ResultsError, match=r"1 non-finite value\(s\).*\n  draw 1, binhai, Emissions\|CO2, 2022: nan"):
        long_table(
            values,
            scenario="s",
            regions=["binhai"],
            variables=["GDP", "Emissions|CO2"],
            years=[2020, 2021, 2022],
            key="draw",
            labels=[0, 1],
        )


def test_the_table_builder_leaves_out_only_what_the_registry_leaves_undefined():
    from simcore.errors import ResultsError
    from simcore.results.table import long_table

    values = np.ones((1, 1, 1, 2))
    values[0, 0, 0, 0] = np.nan  # GDP growth in 2020 where no source gives it: undefined, not written
    table = long_table(values, scenario="s", regions=["jinnan"], variables=["GDP|Growth"], years=[2020, 2021])
    assert table["year"].tolist() == [2021]
    values[0, 0, 0, 1] = np.inf  # in 2021 it is a modelled value: raised
    with pytest.raises(ResultsError, match="jinnan, GDP\\|Growth, 2021: inf"):
        long_table(values, scenario="s", regions=["jinnan"], variables=["GDP|Growth"], years=[2020, 2021])


def test_every_result_table_has_the_same_columns(baseline):
    from simcore.results.table import long_table

    one = long_table(np.ones((1, 1, 1, 1)), scenario="s", regions=["tianjin"], variables=["GDP"], years=[2020])
    runs = long_table(
        np.ones((2, 1, 1, 1)),
        scenario="s",
        regions=["tianjin"],
        variables=["GDP"],
        years=[2020],
        key="run_id",
        labels=[3, 4],
    )
    assert list(one.columns) == ["model", "scenario", "region", "variable", "unit", "year", "value"]
    assert list(runs.columns) == ["model", "scenario", "region", "variable", "unit", "year", "run_id", "value"]


def test_the_writer_repairs_what_a_crash_left(tmp_path, monkeypatch):
    """A crash after the set was complete (commit folder present) is rolled forward; a staging folder of a
    process that is gone is removed; the writer refuses a file where the folder should be."""
    from simcore.errors import OutputError
    from simcore.results import writer

    out = tmp_path / "out"
    out.mkdir()
    (out / ".simcore-stage-999999999-x").mkdir()  # no such process: an incomplete set
    (out / ".simcore-stage-999999999-x" / "half.csv").write_text("partial")
    (out / ".simcore-commit-1-y").mkdir()  # a complete set whose move was interrupted
    (out / ".simcore-commit-1-y" / "done.csv").write_text("whole")
    calls = []
    real = writer._move_all
    monkeypatch.setattr(writer, "_move_all", lambda folder, dest: (calls.append(folder.name), real(folder, dest)))
    with writer.atomic_files(out) as path_for:
        path_for("new.csv").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["done.csv", "new.csv"]
    assert calls[0] == ".simcore-commit-1-y"

    def crash(folder, dest):
        raise KeyboardInterrupt  # the process dies between the commit rename and the move

    monkeypatch.setattr(writer, "_move_all", crash)
    with pytest.raises(KeyboardInterrupt), writer.atomic_files(out) as path_for:
        path_for("later.csv").write_text("later")
    assert not (out / "later.csv").exists() and list(out.glob(".simcore-commit-*"))
    monkeypatch.setattr(writer, "_move_all", real)
    writer.recover(out)
    assert (out / "later.csv").read_text() == "later" and not list(out.glob(".simcore-*"))
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a file, expected a folder"), writer.atomic_files(tmp_path / "file"):
        pass


class Killed(BaseException):
    """The process dies here: nothing it would do afterwards happens."""


OLD = {"results.csv": "old csv", "results.parquet": "old parquet", "results.provenance.json": "old provenance"}
NEW = {"results.csv": "new csv", "results.parquet": "new parquet", "results.provenance.json": "new provenance"}


def _write_set(out, files):
    from simcore.results import writer

    with writer.atomic_files(out) as path_for:
        for name, text in files.items():
            path_for(name).write_text(text)


def _seen(out) -> dict:
    """What a reader of the folder sees: its plain files."""
    return {p.name: p.read_text() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}


def _commit_steps(tmp_path) -> int:
    """How many renames, replaces and folder removals one commit of a three-file set makes."""
    import os

    calls = []
    out = tmp_path / "count"
    _write_set(out, OLD)
    real = {name: getattr(os, name) for name in ("rename", "replace", "rmdir")}
    mp = pytest.MonkeyPatch()
    for name, function in real.items():
        mp.setattr(os, name, lambda *a, _f=function, _n=name: (calls.append(_n), _f(*a))[1])
    try:
        _write_set(out, NEW)
    finally:
        mp.undo()
    return len(calls)


def test_a_kill_at_any_step_of_a_commit_leaves_the_old_set_or_the_new_set(tmp_path, monkeypatch):
    """Fault injection: the k-th rename/replace/rmdir of a commit kills the writer (that call and every
    later file operation fail, the staging folder is not cleaned up), for every k.  After the recovery that
    the next write runs, a reader sees exactly the old set (killed at the commit rename) or exactly the new
    set (killed after it), and no staging or commit folder is left."""
    import os
    import shutil

    from simcore.results import writer

    steps = _commit_steps(tmp_path)
    assert steps == 1 + len(NEW) + 1  # the commit rename, one replace per file, the commit folder's removal
    real = {name: getattr(os, name) for name in ("rename", "replace", "rmdir")}
    for k in range(steps):
        out = tmp_path / f"kill-{k}"
        _write_set(out, OLD)
        count = {"n": 0}

        def dying(*args, _name, _k=k):
            if count["n"] >= _k:
                raise Killed
            count["n"] += 1
            return real[_name](*args)

        with monkeypatch.context() as m:
            for name in real:
                m.setattr(os, name, lambda *a, _n=name: dying(*a, _name=_n))
            m.setattr(shutil, "rmtree", lambda *a, **kw: None)  # a killed process cleans nothing up
            with pytest.raises(Killed):
                _write_set(out, NEW)
        leftovers = sorted(p.name.split("-")[1] for p in out.glob(".simcore-*"))
        assert leftovers == (["stage"] if k == 0 else ["commit"]), k
        expected = OLD if k == 0 else NEW
        writer.recover(out)  # what the next writer into the folder runs first
        assert _seen(out) == expected, k
        assert not list(out.glob(".simcore-*")), k
        _write_set(out, {"later.csv": "later"})  # and the folder takes the next set normally
        assert _seen(out) == {**expected, "later.csv": "later"}


def test_an_interrupted_move_is_finished_before_the_error_leaves(tmp_path, monkeypatch):
    """An error (or Ctrl-C) once, halfway through the move, does not leave a mix: the move is finished."""
    import os

    out = tmp_path / "out"
    _write_set(out, OLD)
    real = os.replace
    count = {"n": 0}

    def once(*args):
        count["n"] += 1
        if count["n"] == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(os, "replace", once)
    with pytest.raises(KeyboardInterrupt):
        _write_set(out, NEW)
    assert _seen(out) == NEW and not list(out.glob(".simcore-*"))


def test_staging_folders_are_removed_only_when_ours_and_their_owner_is_gone(tmp_path):
    import fcntl
    import os

    from simcore.results import writer

    out = tmp_path / "out"
    out.mkdir()
    live = out / f".simcore-stage-{os.getpid()}-live"  # a writer of this process (another thread) at work
    live.mkdir()
    fd = os.open(live / ".owner", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    gone = out / f".simcore-stage-{os.getpid()}-gone"  # its writer ended without cleaning up: lock free
    gone.mkdir()
    (gone / ".owner").write_text("{}")
    (gone / "results.csv").write_text("half")
    not_ours = out / ".simcore-stage-notes"  # not the writer's pattern
    not_ours.mkdir()
    (out / ".simcore-stage-1-file").write_text("a file, not a staging folder")
    writer.recover(out)
    assert live.is_dir() and not gone.exists() and not_ours.is_dir() and (out / ".simcore-stage-1-file").is_file()
    os.close(fd)  # the live writer's process ends
    writer.recover(out)
    assert not live.exists()


def test_a_write_cleans_up_after_itself(tmp_path):
    out = tmp_path / "out"
    _write_set(out, OLD)
    assert _seen(out) == OLD and sorted(p.name for p in out.iterdir()) == sorted(OLD)


KILLER = """
import os, signal, sys
from pathlib import Path
from simcore.results import writer

out, k = Path(sys.argv[1]), int(sys.argv[2])
count = [0]
for name in ("rename", "replace", "rmdir"):
    real = getattr(os, name)

    def step(*args, _real=real):
        if count[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
        return _real(*args)

    setattr(os, name, step)
with writer.atomic_files(out) as path_for:
    for name in ("results.csv", "results.parquet", "results.provenance.json"):
        path_for(name).write_text("new " + name.split(".", 1)[1].split(".")[0])
"""


def test_a_real_sigkill_at_any_step_leaves_the_old_set_or_the_new_set(tmp_path):
    """The same as the fault injection above with a real SIGKILL of a writer process at each step."""
    import signal
    import subprocess
    import sys

    from simcore.results import writer

    old = {"results.csv": "old", "results.parquet": "old", "results.provenance.json": "old"}
    new = {"results.csv": "new csv", "results.parquet": "new parquet", "results.provenance.json": "new provenance"}
    import os
    from pathlib import Path

    root = str(Path(writer.__file__).resolve().parents[2])  # the simcore under test, not another install
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    for k in range(5):
        out = tmp_path / f"kill-{k}"
        _write_set(out, old)
        done = subprocess.run([sys.executable, "-c", KILLER, str(out), str(k)], capture_output=True, env=env)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
        assert list(out.glob(".simcore-*")), k  # it died with work left to repair
        writer.recover(out)
        assert _seen(out) == (old if k == 0 else new), k
        assert not list(out.glob(".simcore-*")), k


def test_every_bad_out_is_refused_before_anything_is_computed(tmp_path, monkeypatch, capsys):
    import os

    import simcore.experiments.montecarlo as mcmod
    from simcore.cli import main

    def never(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(mcmod, "monte_carlo", never)
    a_file = tmp_path / "file.csv"
    a_file.write_text("x\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    plan = "scenarios/plan_14th_fyp.yaml"
    cases = [
        (["mc", plan, "--draws", "5", "--out", str(a_file)], "is a file, expected a folder"),
        (["mc", plan, "--draws", "5", "--out", str(a_file / "below")], "is a file"),
        (["fan", plan, "--variable", "GDP", "--region", "tianjin", "--out", str(tmp_path)], "expected a file"),
        (["targets", plan, "--draws", "5", "--out", str(tmp_path)], "expected a file"),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((["mc", plan, "--draws", "5", "--out", str(locked / "new")], "not writable"))
    try:
        for argv, message in cases:
            assert main(argv) == 2, argv
            assert message in capsys.readouterr().err, argv
    finally:
        os.chmod(locked, 0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.csv", "locked"]  # nothing created


def test_results_lookups_name_what_is_unknown_and_suggest_the_nearest(baseline):
    from simcore import run
    from simcore.errors import ResultsError

    results = run("scenarios/baseline.yaml", baseline=baseline)
    gdp = results.series("tianjin", "GDP")
    assert gdp.index.min() == 2020 and gdp.index.max() == 2035 and (gdp > 0).all()
    assert results.value("tianjin", "GDP", 2020) == pytest.approx(baseline.gdp.sum(), rel=1e-9)
    with pytest.raises(ResultsError, match="unknown region 'Tianjin'; did you mean 'tianjin'"):
        results.series("Tianjin", "GDP")
    with pytest.raises(ResultsError, match=re.escape("unknown variable 'Emissions|CO3'; did you mean 'Emissions|CO2'")):
        results.value("tianjin", "Emissions|CO3", 2025)
    with pytest.raises(ResultsError, match=r"no value of 'GDP' for 'tianjin' in 2040; it has 2020-2035"):
        results.value("tianjin", "GDP", 2040)


def test_targets_filter_by_region_and_modelled(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    assert main(["targets", "scenarios/plan_14th_fyp.yaml", "--out", str(out)]) == 0
    whole = pd.read_csv(out)
    assert (
        main(["targets", "scenarios/plan_14th_fyp.yaml", "--region", "dongli", "--modelled-only", "--out", str(out)])
        == 0
    )
    kept = pd.read_csv(out)
    assert set(kept["region"]) == {"dongli"} and not kept["status"].str.startswith("not modelled").any()
    expected = whole[(whole["region"] == "dongli") & ~whole["status"].str.startswith("not modelled")]
    assert len(kept) == len(expected) > 0
    assert main(["targets", "scenarios/plan_14th_fyp.yaml", "--region", "Dongli"]) == 2
    assert "--region Dongli: unknown" in capsys.readouterr().err


def test_cli_compare_draws_both_scenarios(tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    figure = tmp_path / "compare.svg"
    argv = ["compare", "scenarios/baseline.yaml", "scenarios/plan_14th_fyp.yaml", "--figure", str(figure)]
    assert main(argv + ["--region", "dongli"]) == 0
    text = figure.read_text()
    assert "Dongli District" in text and "baseline" in text and "plan_14th_fyp" in text
    assert main(argv + ["--region", "Dongli"]) == 2
    assert "--region Dongli: unknown" in capsys.readouterr().err
    assert (
        main(["compare", "scenarios/baseline.yaml", "scenarios/baseline.yaml", "--figure", str(tmp_path / "x.txt")])
        == 2
    )
