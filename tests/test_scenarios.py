"""Scenario files: every shipped scenario validates and runs; every bad file gets its message."""

from pathlib import Path

import numpy as np
import pytest
from corpus import corpus_params, read_expect

from simcore import ScenarioError, load_scenario, run
from simcore.model.levers import validate
from simcore.scenario.loader import deep_merge
from simcore.scenario.schema import YEARS, TimePath

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
DATA = Path(__file__).parent / "data"
BAD = sorted((DATA / "bad_scenarios").glob("*.yaml"))
BAD_SWEEPS = sorted((DATA / "bad_sweeps").glob("*.yaml"))


def test_there_are_enough_bad_files():
    assert len(BAD) + len(BAD_SWEEPS) >= 150


@pytest.mark.parametrize("path", corpus_params(BAD))
def test_bad_scenario_reports_file_line_key_and_rule(path, baseline):
    expect = read_expect(path)
    issues = validate(path, baseline=baseline)
    assert issues, f"{path.name} should be rejected"
    hit = expect.hit(issues)
    assert Path(hit.file).name == path.name or "parents" in hit.file


def test_all_errors_are_reported_at_once(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "name: many\ninvestmnet: {}\nenergy:\n  efficiency:\n    stell: 0.1\n  electrification:\n    industry: 2.0\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = sorted(i.line for i in info.value.issues)
    assert lines == [2, 5, 7]
    assert "3 problem(s)" in str(info.value)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_validates_and_runs(path, baseline):
    assert validate(path, baseline=baseline) == []
    results = run(path, baseline=baseline)
    table = results.to_frame()
    assert set(table["year"]) == set(YEARS)
    assert np.isfinite(table["value"]).all()


def test_scenarios_cover_trend_plan_and_three_policy_variants():
    names = {p.stem for p in SCENARIOS}
    assert {"baseline", "plan_14th_fyp"} <= names and len(names - {"baseline", "plan_14th_fyp"}) >= 3


def test_plan_numbers_cite_their_seed_lines():
    text = (REPO / "scenarios" / "plan_14th_fyp.yaml").read_text()
    for number, citation in (
        ("12000", "001_bf4eef6031b05164.txt:L71"),
        ("2100", "002_e9f05942d0bc52b1.txt:L155"),
        ("150", "004_df6b69c72b5b8701.txt:L111"),
        ("1250", "000_b419e9495f24859f.txt:L46"),
    ):
        line = next(l for l in text.splitlines() if number in l or citation in l)
        assert citation in text and line


def test_extends_merges_deeply_and_child_wins():
    plan = load_scenario(REPO / "scenarios" / "plan_14th_fyp.yaml")
    assert [layer.rsplit("/", 1)[-1] for layer in plan.layers] == [
        "calibrated_trend.yaml",
        "baseline.yaml",
        "plan_14th_fyp.yaml",
    ]
    fitted = load_scenario(REPO / "scenarios" / "calibrated_trend.yaml").raw
    trend = load_scenario(REPO / "scenarios" / "baseline.yaml").raw
    # inherited through two layers, untouched by the plan
    assert plan.raw["exports"]["growth"] == fitted["exports"]["growth"] == trend["exports"]["growth"]
    # the plan's efficiency for industry wins; the fitted services rate and the trend's construction rate stay
    assert plan.raw["energy"]["efficiency"]["industry"] == 0.032
    assert plan.raw["energy"]["efficiency"]["tertiary"] == fitted["energy"]["efficiency"]["tertiary"]
    assert plan.raw["energy"]["efficiency"]["construction"] == trend["energy"]["efficiency"]["construction"]


def test_overrides_have_the_highest_precedence():
    s = load_scenario(REPO / "scenarios" / "baseline.yaml", overrides={"energy.grid_emission_factor": 0.7})
    assert s.spec.energy.grid_emission_factor.evaluate(1.0)[-1] == pytest.approx(0.7)
    assert s.layers[-1] == "override: energy.grid_emission_factor=0.7"


def test_deep_merge_properties():
    a = {"x": {"y": 1, "z": [1, 2]}, "w": 3}
    assert deep_merge(a, {}) == a
    assert deep_merge(a, a) == a
    merged = deep_merge(a, {"x": {"z": [3]}})
    assert merged == {"x": {"y": 1, "z": [3]}, "w": 3}


def test_a_later_layer_replaces_a_time_path_form_instead_of_mixing_forms():
    parent = {"path": {"cumulative": {"2021-2025": 2100}, "growth": 0.03}, "mix": {"growth": 1}}
    assert deep_merge(parent, {"path": {"growth": 0.05}})["path"] == {"growth": 0.05}
    assert deep_merge(parent, {"path": {"cumulative": {"2021-2025": 900}}})["path"] == {
        "cumulative": {"2021-2025": 900},
        "growth": 0.03,
    }  # growth may accompany cumulative
    assert deep_merge({"p": {"constant": 3}}, {"p": {"values": {2035: 1}}}) == {"p": {"values": {2035: 1}}}
    assert deep_merge({"p": {"values": {2025: 2, 2035: 3}}}, {"p": {"values": {2035: 1}}}) == {
        "p": {"values": {2025: 2, 2035: 1}}
    }
    # the plan's cumulative Dongli investment is replaced by an override naming growth only
    plan = REPO / "scenarios" / "plan_14th_fyp.yaml"
    s = load_scenario(plan, overrides={"investment.regions.dongli.path": {"growth": 0.2}})
    assert s.spec.investment.regions["dongli"].path.form() == "growth"
    assert load_scenario(plan).spec.investment.regions["dongli"].path.form() == "cumulative"
    # a dotted key into the path changes only that part: the cumulative total stays
    dotted = load_scenario(plan, overrides={"investment.regions.dongli.path.growth": 0.2})
    kept = dotted.spec.investment.regions["dongli"].path
    assert kept.form() == "cumulative" and kept.growth == 0.2


def test_time_path_forms():
    base = 100.0
    assert TimePath.model_validate({"constant": 5}).evaluate()[3] == 5
    np.testing.assert_allclose(TimePath.model_validate({"growth": 0.1}).evaluate(base)[:3], [100, 110, 121])
    grown = TimePath.model_validate({"growth": {"2021-2025": 0.1, "2026-2035": 0.0}}).evaluate(base)
    assert grown[5] == pytest.approx(100 * 1.1**5) and grown[-1] == pytest.approx(grown[5])
    interp = TimePath.model_validate({"values": {2025: 0.5}}).evaluate(0.0)
    assert (
        interp[0] == 0.0 and interp[5] == pytest.approx(0.5) and interp[-1] == 0.5 and interp[1] == pytest.approx(0.1)
    )
    cum = TimePath.model_validate({"cumulative": {"2021-2025": 600}, "growth": 0.02}).evaluate(base)
    assert cum[1:6].sum() == pytest.approx(600, rel=1e-12)
    assert cum[6] == pytest.approx(cum[5] * 1.02)


def test_a_billion_laughs_is_refused_fast_and_small(baseline):
    """Nine levels of nine aliases (10^9 values if expanded) are refused from the event stream."""
    import time
    import tracemalloc

    tracemalloc.start()  # the peak of what validate allocates (a process-wide maxrss would hide it)
    start = time.perf_counter()
    try:
        issues = validate(Path(__file__).parent / "data" / "bad_scenarios" / "billion_laughs.yaml", baseline=baseline)
        seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < 1.0
    assert peak < 20 * 2**20  # nothing was expanded (a full expansion is 10^9 values)
    assert any("expands to more than" in i.problem for i in issues)


def test_utf16_and_oversized_files_are_refused_before_parsing(tmp_path, baseline):
    from simcore.scenario.loader import MAX_FILE_BYTES

    wide = tmp_path / "wide.yaml"
    wide.write_text("name: wide\n", encoding="utf-16")
    (issue,) = validate(wide, baseline=baseline)
    assert issue.line == 1 and "UTF-16" in issue.problem
    big = tmp_path / "big.yaml"
    big.write_text("name: big\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    (issue,) = validate(big, baseline=baseline)
    assert issue.problem == "file too large" and f"{MAX_FILE_BYTES:,}" in issue.expected


def test_a_message_lists_at_most_fifty_issues_and_counts_the_rest(tmp_path):
    from simcore.errors import MAX_ISSUES_SHOWN

    path = tmp_path / "unknown.yaml"
    path.write_text("name: many\n" + "".join(f"unknown_{i}: 1\n" for i in range(MAX_ISSUES_SHOWN + 25)))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert len(info.value.issues) == MAX_ISSUES_SHOWN + 25
    assert text.count("unknown key") == MAX_ISSUES_SHOWN and text.endswith("... and 25 more")


def test_extends_of_a_non_yaml_file_never_echoes_it(tmp_path, baseline, capsys):
    from simcore.cli import main

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the first line of a private file\n")
    path = tmp_path / "child.yaml"
    path.write_text(f"name: child\nextends: {secret}\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    assert "the parent is not a YAML file" in out.out + out.err and "private" not in out.out + out.err
