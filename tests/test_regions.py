import numpy as np
import pandas as pd
import pytest

from simcore.baseline.regions import DATA, RegionTree
from simcore.errors import CodelistError


def test_tree_matches_the_design():
    tree = RegionTree.load()
    assert tree.root == "tianjin"
    assert tree.leaves == ("eco_city", "binhai_other", "dongli", "jinnan", "ziya", "rest_of_tianjin")
    assert tree.aggregates == ("tianjin", "binhai")
    assert tree.members("binhai") == ("eco_city", "binhai_other")
    assert tree.members("tianjin") == tree.leaves
    assert tree.members("dongli") == ("dongli",)


def test_aggregation_matrix_has_each_leaf_once_under_the_root():
    tree = RegionTree.load()
    M = tree.matrix
    assert M.shape == (len(tree.ids), len(tree.leaves))
    np.testing.assert_array_equal(M[tree.ids.index("tianjin")], np.ones(len(tree.leaves)))
    leaf_rows = [tree.ids.index(leaf) for leaf in tree.leaves]
    np.testing.assert_array_equal(M[leaf_rows], np.eye(len(tree.leaves)))


def test_adding_a_district_is_a_data_change(tmp_path):
    table = pd.read_csv(DATA / "regions.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame(
        [
            {
                "id": "xiqing",
                "name": "Xiqing District",
                "name_zh": "西青区",
                "parent": "tianjin",
                "kind": "leaf",
                "seed": "",
                "lat": "39.14",
                "lon": "117.01",
                "description": "new",
            }
        ]
    )
    path = tmp_path / "regions.csv"
    pd.concat([table, extra]).to_csv(path, index=False)
    tree = RegionTree.load(path)
    assert "xiqing" in tree.leaves and "xiqing" in tree.members("tianjin")
    assert tree.matrix[tree.ids.index("tianjin")].sum() == len(tree.leaves) == 7


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"parent": "nowhere"}, "unknown parent"),
        ({"kind": "district"}, "kind"),
    ],
)
def test_bad_region_rows_are_rejected(tmp_path, edit, message):
    table = pd.read_csv(DATA / "regions.csv", dtype=str, keep_default_na=False)
    for column, value in edit.items():
        table.loc[table["id"] == "dongli", column] = value
    path = tmp_path / "regions.csv"
    table.to_csv(path, index=False)
    with pytest.raises(CodelistError, match=message):
        RegionTree.load(path)


def test_non_tradables_are_bought_locally_at_the_stated_purchase_coefficients(baseline):
    """FLQ regionalises tradables only; a non-tradable row is bought inside Tianjin at rpc_tianjin and
    inside the buying district at rpc_district of the national domestic coefficient."""
    import numpy as np

    from simcore.baseline.regionalise import regionalise
    from simcore.baseline.variants import _distances, _national

    io = _national(baseline.data_dir, baseline.sectors.ids)
    rpc_tj, rpc_r = baseline.parameter("nontradable_rpc_tianjin"), baseline.parameter("nontradable_rpc_district")
    tradable = np.array(baseline.sectors.tradable)
    reg = regionalise(
        io,
        baseline.leaves,
        np.asarray(baseline.value_added),
        baseline.final_demand.sum(axis=1),
        _distances(baseline.leaves),
        baseline.parameter("flegg_delta"),
        baseline.parameter("gravity_decay"),
        tradable=tradable,
        rpc=(rpc_tj, rpc_r),
    )
    np.testing.assert_allclose(reg.A, baseline.A, rtol=1e-12, atol=1e-15)  # the committed system is this one
    R, S = baseline.n_region, baseline.n_sector
    # undo the scaling of supplier rows whose sales inside Tianjin would exceed their output
    A = (reg.A / np.where(reg.row_scale.reshape(-1) > 0, reg.row_scale.reshape(-1), 1.0)[:, None]).reshape(R, S, R, S)
    local = np.flatnonzero(~tradable)
    assert {baseline.sectors.ids[i] for i in local} == {"construction", "real_estate", "public_services", "gas_water"}
    for i in local:
        for r in range(R):
            np.testing.assert_allclose(A[:, i, r, :].sum(axis=0), rpc_tj * io.Ad[i], rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(A[r, i, r, :], rpc_r * io.Ad[i], rtol=1e-9, atol=1e-15)


def test_a_tradability_other_than_yes_or_no_is_refused(tmp_path, baseline):
    import pandas as pd

    from simcore.baseline.sectors import DATA, Sectors

    table = pd.read_csv(DATA / "sectors.csv", dtype=str)
    table.loc[0, "tradable"] = "maybe"
    table.to_csv(tmp_path / "sectors.csv", index=False)
    with pytest.raises(CodelistError, match="tradable must be yes or no, got 'maybe'"):
        Sectors.load(baseline.data_dir / "aggregate_weights.csv", tmp_path / "sectors.csv")
