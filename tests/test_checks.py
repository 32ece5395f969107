"""The baseline check must fail loudly, naming the offending row, when a table is wrong."""

import shutil

import pandas as pd
import pytest

from simcore import load_baseline
from simcore.baseline.checks import run_checks
from simcore.cli import main


@pytest.fixture
def tables(tmp_path, baseline):
    folder = tmp_path / "data"
    shutil.copytree(baseline.data_dir, folder)
    return folder


def _failing(folder):
    return {c.name: c for c in run_checks(load_baseline(folder)) if not c.passed}


def test_a_broken_balance_names_the_row(tables):
    acc = pd.read_csv(tables / "accounts_2020.csv")
    row = (acc["region"] == "dongli") & (acc["sector"] == "steel") & (acc["variable"] == "exports_outside")
    acc.loc[row, "value"] *= 1.01
    acc.to_csv(tables / "accounts_2020.csv", index=False)
    failing = _failing(tables)
    balance = next(c for name, c in failing.items() if name.startswith("Region-sector balances"))
    assert any(line.startswith("dongli/steel") for line in balance.offending)


def test_a_changed_gdp_breaks_the_tianjin_total(tables):
    acc = pd.read_csv(tables / "accounts_2020.csv")
    row = (acc["region"] == "jinnan") & (acc["sector"] == "finance") & (acc["variable"] == "value_added")
    acc.loc[row, "value"] += 100.0
    acc.to_csv(tables / "accounts_2020.csv", index=False)
    failing = _failing(tables)
    assert "Tianjin 2020 GDP and three-sector split" in failing
    assert any("jinnan" in line for line in failing["Tianjin 2020 GDP and three-sector split"].offending)


def test_a_row_without_source_is_reported(tables):
    acc = pd.read_csv(tables / "accounts_2020.csv")
    acc.loc[5, "source"] = ""
    acc.to_csv(tables / "accounts_2020.csv", index=False)
    failing = _failing(tables)
    check = failing["Every account row has a source, a quality flag and a range if estimated"]
    assert any("no source" in line for line in check.offending)


def test_cli_exits_non_zero_on_failure(tables, capsys):
    coef = pd.read_csv(tables / "mrio_coefficients_2020.csv")
    coef.loc[0, "value"] = -0.01
    coef.to_csv(tables / "mrio_coefficients_2020.csv", index=False)
    assert main(["--baseline", str(tables), "baseline", "check"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] No negative flows" in out and "A[" in out


def test_cli_passes_on_the_committed_baseline(capsys):
    assert main(["baseline", "check"]) == 0
    assert "all checks passed" in capsys.readouterr().out


def test_missing_tables_give_a_clear_error(tmp_path, capsys):
    assert main(["--baseline", str(tmp_path), "baseline", "check"]) == 2
    assert "baseline tables missing" in capsys.readouterr().err
