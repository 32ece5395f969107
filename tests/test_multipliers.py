"""Input-output multipliers of the 2020 system: accounting identities, ordering, and the command."""

import numpy as np
import pandas as pd
import pytest

from simcore.analysis.multipliers import coefficients, inverse, multipliers
from simcore.cli import main
from simcore.errors import SimcoreError


@pytest.mark.parametrize("kind", ["I", "II"])
def test_the_inverse_inverts_the_system(baseline, kind):
    from simcore.model.system import consumption_closure

    n = baseline.n_region * baseline.n_sector
    M = np.eye(n) - baseline.A - (consumption_closure(baseline) if kind == "II" else 0.0)
    np.testing.assert_allclose(inverse(baseline, kind) @ M, np.eye(n), atol=1e-10)


def test_value_added_and_leakage_multipliers_add_to_one(baseline):
    """Type I: a unit of final demand ends up as value added in Tianjin or as purchases from outside it."""
    L = inverse(baseline, "I")
    leakage = baseline.M_out.sum(axis=0) @ L
    np.testing.assert_allclose(coefficients(baseline)["value_added"] @ L + leakage, 1.0, atol=1e-12)


def test_multipliers_split_into_own_and_spillover_and_type_ii_exceeds_type_i(baseline):
    one, two = multipliers(baseline, "I"), multipliers(baseline, "II")
    t = one.by_sector
    assert (t["output"] >= 1.0 - 1e-12).all()  # at least the unit of final demand itself
    np.testing.assert_allclose(t["output_own"] + t["output_spillover"], t["output"], rtol=1e-12)
    assert (t["output_spillover"] >= -1e-12).all()
    for column in ("output", "value_added", "employment", "energy", "co2"):
        assert (two.by_sector[column].to_numpy() >= t[column].to_numpy() - 1e-12).all(), column
    # energy multipliers: per unit of final demand at least the cell's own direct intensity
    direct = coefficients(baseline)["energy"]
    assert (t["energy"].to_numpy() >= direct - 1e-12).all()


def test_spillovers_are_the_demand_weighted_column_sums(baseline):
    m = multipliers(baseline, "I")
    wide = m.spillovers.pivot(index="demand_region", columns="output_region", values="output")
    assert (wide.to_numpy() >= 0).all()
    # rows add up to the output raised in all of Tianjin, between the smallest and largest multiplier
    totals = wide.sum(axis=1)
    assert (totals <= m.by_sector["output"].max() + 1e-12).all() and (totals > 0.5).all()


def test_linkages_are_normalised_and_key_sectors_have_both_above_one(baseline):
    link = multipliers(baseline, "I").linkages
    assert link["backward"].mean() == pytest.approx(1.0) and link["forward"].mean() == pytest.approx(1.0)
    assert (link["key_sector"] == ((link["backward"] > 1) & (link["forward"] > 1))).all()


def test_unknown_type_or_region_is_an_error(baseline):
    with pytest.raises(SimcoreError, match="multiplier type 'III'"):
        multipliers(baseline, "III")
    with pytest.raises(SimcoreError, match="unknown district"):
        multipliers(baseline, "I", ("tianjin",))  # an aggregate: multipliers are by leaf


def test_cli_writes_the_four_tables(tmp_path, capsys):
    assert main(["multipliers", "--region", "dongli", "--type", "I", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["linkages.csv", "multipliers.csv", "multipliers_summary.csv", "spillovers.csv"]
    table = pd.read_csv(tmp_path / "multipliers.csv")
    assert set(table["region"]) == {"dongli"} and set(table["type"]) == {"I"}
    summary = pd.read_csv(tmp_path / "multipliers_summary.csv")
    assert list(summary["region"]) == ["tianjin", "dongli"]
    assert "Output multipliers" in capsys.readouterr().out
