"""Result tables: golden comparison, writers (CSV, Parquet, provenance), atomicity and the CLI."""

import json

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
    diff = compare_tables(a, b)
    row = diff[(diff["region"] == "binhai") & (diff["variable"] == "GDP") & (diff["year"] == 2025)].iloc[0]
    assert row["difference"] == pytest.approx(row["value_b"] - row["value_a"])
    assert set(diff["year"]) == {2025, 2035}


def test_cli_compare(capsys, tmp_path):
    out = tmp_path / "diff.csv"
    assert main(["compare", "scenarios/baseline.yaml", "scenarios/low_growth.yaml", "--out", str(out)]) == 0
    assert "low_growth minus baseline" in capsys.readouterr().out
    assert pd.read_csv(out)["difference"].notna().all()


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
