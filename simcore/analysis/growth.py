"""Where a scenario's growth comes from: its file's sections added one at a time on top of its parent.

:func:`growth_decomposition` runs the parent scenario (the trend), then adds the scenario file's own
``investment``, ``population``, ``energy``, ``exports`` and ``industry_shares`` sections in that order, each
on top of the ones before, and reports each region's average annual real GDP growth over the period and
what each step added (percentage points).  The steps do not commute (a share target on a larger economy
needs a different shift), so the order is fixed and stated.  :func:`markdown` renders the table;
``simcore growth SCENARIO --docs docs/model.md`` writes it between the markers in the docs, and a test
keeps the committed table equal to what the code gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simcore.baseline.tables import Baseline
from simcore.errors import SimcoreError

STEPS = (
    ("investment", "+ investment"),
    ("population", "+ population"),
    ("energy", "+ energy"),
    ("exports", "+ exports"),
    ("industry_shares", "+ share targets"),
)
START_MARK = "<!-- growth-decomposition:start (simcore growth {scenario} --docs; do not edit by hand) -->"
END_MARK = "<!-- growth-decomposition:end -->"


def growth_decomposition(scenario_path, b: Baseline, start: int = 2020, end: int = 2025, regions=None):
    """Average annual real GDP growth (%) of the trend and what each of the scenario's sections adds.

    Returns a DataFrame indexed by region with the columns ``trend``, one per section present, and
    ``total`` (the scenario's own growth); the steps add up to the total exactly.
    """
    import pandas as pd

    from simcore.results.run import run
    from simcore.scenario.loader import load_scenario, read_yaml, with_overrides
    from simcore.scenario.schema import YEARS

    if not (YEARS[0] <= start < end <= YEARS[-1]):
        raise SimcoreError(f"growth period {start}-{end}: expected {YEARS[0]} <= start < end <= {YEARS[-1]}")
    path = Path(scenario_path)
    scenario = load_scenario(path, baseline=b)
    if len(scenario.layers) < 2:
        raise SimcoreError(f"{path}: a growth decomposition needs a scenario that extends a trend scenario")
    issues: list = []
    own, _ = read_yaml(path, issues)
    if issues:
        from simcore.errors import ScenarioError

        raise ScenarioError(issues)
    parent = load_scenario(scenario.layers[-2], baseline=b)
    regions = list(regions or b.regions.ids)

    def growth(results) -> np.ndarray:
        return np.array(
            [
                100.0 * ((results.value(r, "GDP", end) / results.value(r, "GDP", start)) ** (1.0 / (end - start)) - 1.0)
                for r in regions
            ]
        )

    columns = {"trend": growth(run(parent, baseline=b))}
    previous = columns["trend"]
    overrides: dict = {}
    for section, label in STEPS:
        if section not in own:
            continue
        overrides[section] = own[section]
        step = growth(run(with_overrides(parent, dict(overrides), baseline=b), baseline=b))
        columns[label] = step - previous
        previous = step
    columns["total"] = growth(run(scenario, baseline=b))
    table = pd.DataFrame(columns, index=pd.Index(regions, name="region"))
    if not np.allclose(table.drop(columns="total").sum(axis=1), table["total"], atol=1e-9):
        raise SimcoreError(
            f"{path}: the sections do not add up to the scenario (a key outside {', '.join(s for s, _ in STEPS)})"
        )
    return table


def markdown(table, scenario: str, start: int, end: int) -> str:
    """The table as Markdown, with its title line."""
    head = "| region | " + " | ".join(table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    rows = [
        f"| {region} | "
        + " | ".join(f"{v:+.2f}" if c != "trend" and c != "total" else f"{v:.2f}" for c, v in row.items())
        + " |"
        for region, row in table.iterrows()
    ]
    title = (
        f"Average annual real GDP growth {start}-{end}, % (`{scenario}`): the trend, then what each of the "
        "scenario's sections adds, in this order, in percentage points."
    )
    return "\n".join([title, "", head, rule, *rows])


def write_docs(text: str, docs: Path, scenario: str) -> None:
    """Replace the block between the markers in ``docs`` with ``text`` (the markers must be there)."""
    content = docs.read_text()
    begin = START_MARK.format(scenario=scenario)
    if begin not in content or END_MARK not in content:
        raise SimcoreError(f"{docs}: no growth-decomposition markers for {scenario}; add\n{begin}\n{END_MARK}")
    head, rest = content.split(begin, 1)
    _, tail = rest.split(END_MARK, 1)
    docs.write_text(head + begin + "\n" + text + "\n" + END_MARK + tail)
