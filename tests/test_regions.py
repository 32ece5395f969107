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
