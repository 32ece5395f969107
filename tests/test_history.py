"""The 2015-2024 history table: grading, selection, the deflator and the later evidence on 2020 levels."""

import numpy as np
import pandas as pd
import pytest

from calibration.sources import REPO, Shared, SourceError

DATA = REPO / "calibration" / "data"
GRADES = "ABC"


@pytest.fixture(scope="module")
def history():
    return pd.read_csv(DATA / "history.csv", keep_default_na=False, na_values=[""])


def test_every_row_has_a_source_a_grade_and_a_finite_value(history):
    assert history["source"].str.len().min() > 0
    assert set(history["confidence"]) <= set(GRADES)
    assert np.isfinite(history["value"]).all()
    assert history["year"].between(2015, 2024).all()


def test_one_used_row_per_quantity_and_never_a_worse_grade(history):
    key = ["region", "variable", "year", "unit", "basis"]
    for _, group in history.groupby(key):
        used = group[group["status"] == "used"]
        assert len(used) == 1, group
        best = min(group["confidence"], key=GRADES.index)
        assert used["confidence"].iloc[0] == best, group


def test_deflator_reproduces_nominal_levels_from_real_growth(history):
    used = history[history["status"] == "used"]

    def value(variable, year, basis_prefix=None):
        rows = used[(used["region"] == "tianjin") & (used["variable"] == variable) & (used["year"] == year)]
        if basis_prefix:
            rows = rows[rows["basis"].str.startswith(basis_prefix)]
        return float(rows["value"].iloc[0])

    nominal_2020 = value("GDP", 2020)
    real = nominal_2020
    for year in (2021, 2022, 2023):
        real *= 1 + value("GDP|Real Growth", year) / 100
        # nominal = real (2020 prices) x deflator, independently of how the build chained it
        assert value("Price|GDP Deflator", year) * real == pytest.approx(value("GDP", year), rel=1e-12)
    # the 2024 level follows the fifth economic census: no deflator is derived across the break
    assert used[(used["variable"] == "Price|GDP Deflator") & (used["year"] == 2024)].empty


def test_the_2020_back_casts_lie_inside_the_ranges_and_near_the_issue_figures():
    evidence = pd.read_csv(DATA / "gdp_2020_evidence.csv")
    accounts = pd.read_csv(DATA / "accounts_2020.csv")
    gdp = accounts[(accounts["variable"] == "gdp") & (accounts["sector"] == "total")].set_index("region")
    back = evidence[evidence["method"].str.startswith("back-cast")]
    # deflate the published 2023 levels by Tianjin's deflator, chain back real growth (own, else Tianjin's)
    expected = {
        "dongli": 720.67 / 1.05829 / (1.066 * 1.010 * 1.050),
        "jinnan": 575.34 / 1.05829 / (1.066 * 1.010 * 1.043),
    }
    for region, value in expected.items():
        row = back[(back["region"] == region) & back["method"].str.contains("2023 level")]
        assert float(row["implied_2020"].iloc[0]) == pytest.approx(value, rel=1e-4)
        assert gdp.loc[region, "low"] <= value <= gdp.loc[region, "high"]
    combined = evidence[
        (evidence["region"] == "binhai") & (evidence["kind"] == "combined") & (evidence["variable"] == "gdp")
    ].iloc[0]
    for value in back[back["region"] == "binhai"]["implied_2020"]:
        assert combined["low"] <= value <= combined["high"]
    binhai = gdp.loc[["eco_city", "binhai_other"], "value"].sum()
    assert binhai == pytest.approx(combined["implied_2020"], rel=1e-9)


def test_binhai_2020_tertiary_share_follows_its_later_shares():
    accounts = pd.read_csv(DATA / "accounts_2020.csv")
    aggregates = pd.read_csv(REPO / "simcore" / "data" / "aggregates.csv")
    tertiary = aggregates.set_index("id").loc["tertiary", "members"].split(";")
    va = accounts[(accounts["variable"] == "value_added") & accounts["region"].isin(["eco_city", "binhai_other"])]
    share = 100 * va[va["sector"].isin(tertiary)]["value"].sum() / va["value"].sum()
    # 2023 52.4% and 2024 54.3%, each moved back by Tianjin's share change to 2020
    assert 52.4 < share < 56.8
    assert share < 61.7 - 5  # well below the 61.7% of the earlier baseline


def test_a_history_row_without_a_source_is_an_error_naming_the_row(shared):
    from calibration.history import build_history_table

    s = Shared(shared)
    table = s.external_2021.copy()
    table.loc[3, "source_url"] = ""
    s.__dict__["external_2021"] = table  # replaces the cached read
    with pytest.raises(SourceError, match=r"external_stats_2021_2024.csv row 5 .*needs a source"):
        build_history_table(s)


def test_grading_rule_for_the_ungraded_file():
    from calibration.history import grade_of

    assert grade_of("http://cnr.cn/tj/jrtj/20210122/t20210122_525397402.shtml", "") == "A"
    assert grade_of("https://fgw.tjbh.gov.cn/contents/9640/227521.html", "") == "A"
    assert grade_of("https://17tex.com/xueshu/70894.html", "东丽区2020年政府工作报告,转载") == "B"
    assert grade_of("https://tszmap.com/194426.html", "自媒体") == "C"


def test_sector_price_changes_reproduce_the_published_stratum_levels(history):
    """Each derived value-added price change, with the published real growth, takes the stratum's nominal
    level of the year before to the published level of the year (to the rounding of the published figures)."""
    used = history[(history["status"] == "used") & (history["region"] == "tianjin")]
    changes = used[used["variable"].str.match(r"Price\|Value Added\|\w+\|Change")]
    assert set(changes["year"]) == {2023}  # the only year with two same-basis stratum levels and a growth
    for row in changes.itertuples():
        stratum = row.variable.split("|")[2]

        def value(variable, year):
            return float(used[(used["variable"] == variable) & (used["year"] == year)]["value"].iloc[0])

        level = value(f"Value Added|{stratum}", row.year - 1)
        growth = value(f"Value Added|Real Growth|{stratum}", row.year)
        assert level * (1 + growth / 100) * (1 + row.value / 100) == pytest.approx(
            value(f"Value Added|{stratum}", row.year), abs=0.01
        )
