"""What simcore writes loads into pyam.IamDataFrame and its units convert there with simcore's registry: the
results of ``simcore run``, the quantiles of ``simcore mc`` and the chunks of ``simcore sweep``.

pyam is an optional extra (``pip install -e ".[pyam]"``): pyam-iamc needs pandas < 3, so it cannot be
installed beside a pandas 3 environment, where these tests are skipped.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pyam = pytest.importorskip(
    "pyam",
    reason='pyam is not installed: pip install -e ".[pyam]" (pyam-iamc needs pandas < 3, so not beside pandas 3)',
)

from simcore.cli import main  # noqa: E402
from simcore.experiments.sweep import run_sweep  # noqa: E402
from simcore.results.table import COLUMNS  # noqa: E402
from simcore.units import convert, split_species, unit_registry  # noqa: E402

PLAN = "scenarios/plan_14th_fyp.yaml"

#: every registry unit -> a unit pyam converts it to, and the value of 1 of the first in the second
TARGETS = {
    "100 million CNY_2020": ("billion CNY_2020", 0.1),
    "100 million CNY": ("billion CNY", 0.1),
    "%": ("dimensionless", 0.01),
    "10^4 persons": ("million person", 0.01),
    "10^4 CNY_2020/worker": ("CNY_2020/person", 1e4),
    "10^4 CNY_2020/person": ("kCNY_2020/person", 10.0),
    "10^4 tce": ("Mtce", 0.01),
    "tce/10^4 CNY_2020": ("tce/CNY_2020", 1e-4),
    "Mt CO2": ("Gt CO2", 1e-3),
    "t CO2/10^4 CNY_2020": ("kg CO2/CNY_2020", 0.1),
    "2020 = 1": ("percent", 100.0),
    "% of GDP": ("dimensionless", 0.01),
}


@pytest.fixture(scope="module")
def registry():
    return unit_registry()


@pytest.fixture(scope="module")
def results_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert main(["run", "scenarios/baseline.yaml", "--out", str(out)]) == 0
    return out / "results.csv"


@pytest.fixture(scope="module")
def quantiles_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mc")
    assert main(["mc", PLAN, "--draws", "40", "--seed", "1", "--out", str(out)]) == 0
    return out / "montecarlo.quantiles.csv"


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    spec = folder / "small.yaml"
    spec.write_text(
        f"""
name: small
scenario: {Path(PLAN).resolve()}
method: grid
chunk_size: 2
levers:
  exports.growth: {{low: 0.03, high: 0.07, n: 3}}
outputs:
  variables: [GDP, Emissions|CO2, Energy Intensity|GDP]
  regions: [tianjin, dongli]
  years: [2020, 2025, 2035]
"""
    )
    assert main(["sweep", str(spec), "--out", str(folder / "out")]) == 0
    return folder / "out"


def _value(table: pd.DataFrame, **keys) -> float:
    mask = np.ones(len(table), dtype=bool)
    for column, value in keys.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, keys
    return float(table.loc[mask, "value"].iloc[0])


def _converted(df, unit: str, registry):
    """pyam's convert_unit to the unit of TARGETS; where pyam cannot (a species per currency: iam_units'
    GWP contexts convert masses and mass flows only), its explicit factor, from simcore.units."""
    target, _ = TARGETS[unit]
    rest, species = split_species(unit)
    if species is not None and "/" in rest:
        return df.convert_unit(unit, target, factor=convert(1.0, unit, target, registry))
    return df.convert_unit(unit, target, registry=registry)


def test_a_results_file_loads_and_every_unit_converts(results_csv, registry):
    table = pd.read_csv(results_csv)
    df = pyam.IamDataFrame(results_csv)  # the file itself: pyam reads the long IAMC table
    assert list(table.columns) == COLUMNS
    assert len(df) == len(table) and df.extra_cols == []
    assert set(df.variable) == set(table["variable"]) and set(df.region) == set(table["region"])
    assert set(df.unit) == set(TARGETS)  # every registry unit is in a results file
    for unit, (target, factor) in TARGETS.items():
        done = _converted(df, unit, registry)
        rows = table[table["unit"] == unit]
        first = rows.iloc[-1]
        got = done.filter(region=first["region"], variable=first["variable"], year=int(first["year"]))
        assert got.unit == [target], unit
        assert float(got.data["value"].iloc[0]) == pytest.approx(first["value"] * factor, rel=1e-12), unit
        assert len(done.filter(unit=target)) == len(rows)
    co2 = df.convert_unit("Mt CO2", "Gt CO2", registry=registry)
    expected = _value(table, region="tianjin", variable="Emissions|CO2", year=2035) / 1000.0
    got = co2.filter(region="tianjin", variable="Emissions|CO2", year=2035).data["value"].iloc[0]
    assert got == pytest.approx(expected, rel=1e-12)


def test_a_quantile_file_loads_with_quantile_as_an_extra_column(quantiles_csv, registry):
    table = pd.read_csv(quantiles_csv)
    df = pyam.IamDataFrame(table)
    assert df.extra_cols == ["quantile"] and len(df) == len(table)
    gdp = df.convert_unit("100 million CNY_2020", "billion CNY_2020", registry=registry)
    # unit_registry() extended iam_units' registry, pyam's default: the same without registry=
    assert gdp.equals(df.convert_unit("100 million CNY_2020", "billion CNY_2020"))
    for q in (0.05, 0.5, 0.95):
        expected = _value(table, region="binhai", variable="GDP", year=2030, quantile=q) * 0.1
        got = gdp.filter(region="binhai", variable="GDP", year=2030, quantile=q).data["value"]
        assert len(got) == 1 and got.iloc[0] == pytest.approx(expected, rel=1e-12)


def test_sweep_chunks_are_canonical_tables_that_load_into_pyam(sweep_dir, registry):
    parts = sorted((sweep_dir / "chunks").glob("part-*.parquet"))
    assert len(parts) == 2  # 3 runs in chunks of 2
    for part in parts:
        chunk = pd.read_parquet(part)
        assert list(chunk.columns) == COLUMNS[:-1] + ["run_id", "value"]
        assert chunk["model"].str.startswith("simcore ").all() and (chunk["scenario"] != "").all()
        pyam.IamDataFrame(chunk)  # one chunk alone is a valid IAMC table
    table = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    df = pyam.IamDataFrame(table)
    assert df.extra_cols == ["run_id"] and len(df) == len(table) and sorted(df.data["run_id"].unique()) == [0, 1, 2]
    read = pyam.IamDataFrame(run_sweep(sweep_dir.parent / "small.yaml", sweep_dir).read())  # resumes: all done
    assert read.equals(df)
    co2 = df.convert_unit("Mt CO2", "Gt CO2", registry=registry)
    intensity = df.convert_unit("tce/10^4 CNY_2020", "tce/CNY_2020", registry=registry)
    for run in (0, 2):
        keys = dict(region="dongli", year=2035, run_id=run)
        got = co2.filter(variable="Emissions|CO2", **keys).data["value"].iloc[0]
        assert got == pytest.approx(_value(table, variable="Emissions|CO2", **keys) / 1000.0, rel=1e-12)
        got = intensity.filter(variable="Energy Intensity|GDP", **keys).data["value"].iloc[0]
        assert got == pytest.approx(_value(table, variable="Energy Intensity|GDP", **keys) * 1e-4, rel=1e-12)


def test_pyams_own_species_conversions_still_work_with_simcores_units(results_csv, registry):
    """simcore defines no CO2 unit, so pyam keeps converting species: Mt CO2 to Mt C (12/44), to Mt CO2e."""
    df = pyam.IamDataFrame(results_csv).filter(variable="Emissions|CO2", region="tianjin", year=2035)
    co2 = float(df.data["value"].iloc[0])
    carbon = df.convert_unit("Mt CO2", "Mt C", registry=registry, context="AR6GWP100")
    assert float(carbon.data["value"].iloc[0]) == pytest.approx(co2 * 12.0 / 44.0, rel=1e-9)
    equivalent = df.convert_unit("Mt CO2", "Mt CO2e", registry=registry, context="AR6GWP100")
    assert float(equivalent.data["value"].iloc[0]) == pytest.approx(co2, rel=1e-12)
