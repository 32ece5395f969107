"""The growth decomposition by scenario section, and the table of it in docs/model.md."""

import pytest

from simcore.analysis.growth import END_MARK, START_MARK, growth_decomposition, markdown
from simcore.errors import SimcoreError

PLAN = "scenarios/plan_14th_fyp.yaml"


@pytest.fixture(scope="module")
def plan_growth(baseline):
    return growth_decomposition(PLAN, baseline)


def test_the_table_in_the_docs_is_what_the_code_gives(plan_growth, repo_path):
    docs = (repo_path / "docs" / "model.md").read_text()
    block = docs.split(START_MARK.format(scenario=PLAN), 1)[1].split(END_MARK, 1)[0].strip()
    assert block == markdown(plan_growth, PLAN, 2020, 2025), "stale: rerun simcore growth ... --docs docs/model.md"


def test_the_steps_add_up_and_gdp_neutral_targets_leave_their_regions_growth(plan_growth, baseline):
    steps = plan_growth.drop(columns=["total"]).sum(axis=1)
    assert steps.to_numpy() == pytest.approx(plan_growth["total"].to_numpy(), abs=1e-9)
    assert list(plan_growth.columns) == [
        "trend",
        "+ investment",
        "+ population",
        "+ energy",
        "+ share targets",
        "total",
    ]
    for region in ("binhai", "dongli", "jinnan"):  # the imposed targets move structure, not size
        assert abs(plan_growth.loc[region, "+ share targets"]) < 0.1
    assert plan_growth.loc["ziya", "+ investment"] > 1.0  # the Ziya park's investment plan is large for its size


def test_a_scenario_without_a_parent_is_refused(baseline):
    with pytest.raises(SimcoreError, match="needs a scenario that extends"):
        growth_decomposition("scenarios/calibrated_trend.yaml", baseline)
    with pytest.raises(SimcoreError, match="growth period 2025-2021"):
        growth_decomposition(PLAN, baseline, start=2025, end=2021)


def test_cli_growth_writes_its_table(tmp_path, capsys):
    from simcore.cli import main

    assert main(["growth", PLAN, "--region", "tianjin", "dongli", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "| tianjin |" in text and "| dongli |" in text and "+ share targets" in text
    assert (tmp_path / "growth_decomposition.csv").read_text().startswith("region,trend,")
