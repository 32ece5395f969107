"""The report as one self-contained HTML page: inline CSS, every figure an SVG embedded as a ``data:`` URI,
no script, and a Content-Security-Policy that forbids loading anything, so the page shows the same with
no network and a browser would report (in its console) anything that tried to load."""

from __future__ import annotations

import base64
import io
import math
import numbers
from html import escape

import pandas as pd

from simcore.report.content import (
    FAN_PRESET,
    HEADLINE,
    SECTORS,
    STATUSES,
    YEARS,
    Report,
)

#: the sections of the page, in order: anchor -> heading
SECTIONS = {
    "headline": "Headline indicators",
    "targets": "Plan targets",
    "uncertainty": "Uncertainty: fan charts",
    "comparison": "Scenario comparison",
    "sectors": "Sector structure",
    "decomposition": "CO2 decomposition",
    "notes": "Notes",
}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
DIGITS = {"GDP": 0, "Energy intensity of GDP": 3, "CO2 emissions": 2}

STYLE = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; margin: 2em auto;
       max-width: 1150px; padding: 0 1.2em; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #c62d23; padding-bottom: 0.15em;
     margin-top: 2em; } h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.86em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.meta th { background: none; font-weight: 600; padding-right: 1.2em; }
tr.group td { background: #fafafa; font-weight: 600; }
.met { color: #1b7837; font-weight: 600; } .exceeded { color: #2166ac; font-weight: 600; }
.missed { color: #b2182b; font-weight: 600; } .imposed, .not-modelled { color: #666; }
figure { margin: 1em 0 1.6em; } .figgrid { display: grid; gap: 0 1.2em;
     grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); } .figgrid figure { margin: 0.6em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #444; max-width: 60em; }
nav ol { columns: 2; font-size: 0.92em; } .note { color: #555; font-size: 0.9em; max-width: 62em; }
details summary { cursor: pointer; color: #2166ac; }
@media print { body { max-width: none; margin: 0; } h2 { break-before: page; } figure { break-inside: avoid; } }
"""


def _num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        return f"{value:,.{digits}f}"
    return escape(str(value))


def _table(frame: pd.DataFrame, digits: dict[str, int] | int = 2, status_column: str | None = None) -> str:
    """A DataFrame as an HTML table: numbers right-aligned, with ``digits`` decimals (per column or all)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            d = digits.get(column, 2) if isinstance(digits, dict) else digits
            numeric = isinstance(value, numbers.Real) and not isinstance(value, bool)
            css = ' class="num"' if numeric else ""
            if column == status_column:
                css = f' class="{_status_class(str(value))}"'
            cells.append(f"<td{css}>{_num(value, d) if numeric else escape('' if value is None else str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _status_class(status: str) -> str:
    return "not-modelled" if status.startswith("not modelled") else status.replace(" ", "-")


def svg_data_uri(fig) -> str:
    """A matplotlib Figure as a ``data:image/svg+xml;base64`` URI (the figure is closed)."""
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "simcore-report", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(fig, alt: str, caption: str) -> str:
    return (
        f'<figure><img src="{svg_data_uri(fig)}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _header(report: Report) -> str:
    meta = [
        ("Scenario", report.scenario),
        ("Layers (lowest first; each later one overrides)", ", ".join(report.layers)),
        ("Compared with", ", ".join(report.compared) if report.compared else "none"),
        ("simcore version", report.version),
        ("Baseline checksum", report.baseline_checksum),
        ("Created", report.created),
        ("Monte Carlo draws", "none (central run only)" if report.draws is None else f"{report.draws:,}"),
        ("Seed", "none" if report.seed is None else str(report.seed)),
        ("Regions of the figures", ", ".join(report.region_names.get(r, r) for r in report.figure_regions)),
    ]
    if report.command:
        meta.append(("Command", report.command))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in meta)
    nav = "".join(f'<li><a href="#{key}">{escape(title)}</a></li>' for key, title in SECTIONS.items())
    return (
        f"<header><h1>Scenario report: {escape(report.scenario)}</h1>"
        f'<p class="description">{escape(report.description)}</p>'
        f'<table class="meta">{rows}</table></header><nav><ol>{nav}</ol></nav>'
    )


def _headline(report: Report) -> str:
    parts = [
        '<p class="note">The central run (no uncertainty). Growth columns: average annual change, % a year. '
        "Regions in the order of the region tree: Tianjin, then each district and zone inside it.</p>"
    ]
    for indicator in HEADLINE.values():
        part = report.headline[report.headline["indicator"] == indicator]
        shown = part.drop(columns=["indicator", "unit", "region_id"])
        shown.columns = [str(c) for c in shown.columns]
        digits = {str(y): DIGITS[indicator] for y in YEARS} | {"%/yr 2021-2025": 2, "%/yr 2026-2035": 2}
        parts.append(f"<h3>{escape(indicator)} ({escape(part['unit'].iloc[0])})</h3>{_table(shown, digits)}")
    return "".join(parts)


def _target_cell(row) -> str:
    unit = "" if pd.isna(row["unit"]) else f" {row['unit']}"
    high = row.get("target_high")
    if row["comparison"] == "range" and high is not None and not pd.isna(high):
        return f"{row['target']:g} to {high:g}{unit}"
    return f"{row['comparison']} {row['target']:g}{unit}"


def _targets(report: Report) -> str:
    t = report.targets
    summary = report.target_summary.drop(columns=["region_id"])
    parts = [
        '<p class="note">Every target of the plans (calibration/data/targets.csv) scored on the central run, as '
        "<code>simcore targets</code> scores them: <b>met</b> / <b>exceeded</b> / <b>missed</b>; <b>imposed</b>: "
        "the scenario sets the lever that determines it, so it is shown but not scored; <b>not modelled</b>: "
        "with the reason. Outturn: the published figure for the target year where the record has it."
        + (" Probability: the share of the Monte Carlo draws meeting the target." if report.draws else "")
        + "</p>",
        _table(summary, 0),
    ]
    scored = t[t["status_group"] != "not modelled"].copy()
    scored["target"] = [_target_cell(r) for _, r in scored.iterrows()]
    columns = {
        "target_id": "id",
        "indicator": "indicator",
        "year": "year",
        "target": "target",
        "assessed": "projected",
        "gap": "gap",
        "status": "status",
        "outturn": "outturn",
        "outturn_status": "outturn status",
    }
    if "probability" in scored:
        columns["probability"] = "probability"
    order = {r: i for i, r in enumerate(report.region_names)}
    scored = scored.sort_values("seed_region", key=lambda s: s.map(order), kind="stable")
    for region, part in scored.groupby("seed_region", sort=False):
        shown = part[list(columns)].rename(columns=columns)
        shown["year"] = shown["year"].astype(str)
        name = report.region_names.get(region, region)
        parts.append(f"<h3>{escape(name)}</h3>{_table(shown, {'probability': 2}, status_column='status')}")
    rest = t[t["status_group"] == "not modelled"][["target_id", "seed_region", "indicator", "year", "status"]]
    rest = rest.assign(year=rest["year"].astype(str)).rename(columns={"target_id": "id", "seed_region": "plan of"})
    parts.append(
        f"<details><summary>{len(rest)} targets not modelled, with the reason</summary>"
        f"{_table(rest, 0, status_column='status')}</details>"
    )
    return "".join(parts)


def _fans(report: Report) -> str:
    if report.fan_quantiles is None:
        return '<p class="note">No Monte Carlo run: make the report with <code>--draws N</code> for fan charts.</p>'
    import matplotlib.pyplot as plt

    from simcore.plotting import fan_chart

    parts = [
        f'<p class="note">{report.draws:,} Monte Carlo draws (seed {report.seed}) of the uncertainty block of the '
        "scenario. The median of the draws need not equal the central run of the tables above: the draws sample "
        "the uncertain parameters and the estimated 2020 levels of the districts.</p>"
    ]
    figures = []
    for region in report.figure_regions:
        for variable, label in HEADLINE.items():
            fig, ax = plt.subplots(figsize=(7.5, 4.5))
            fan_chart(
                report.fan_quantiles,
                region,
                variable,
                FAN_PRESET,
                report.plan_targets,
                ax=ax,
                n_draws=report.draws,
                seed=report.seed,
                central=report.results.query("region == @region and variable == @variable").set_index("year")["value"],
                history=(report.fan_history or {}).get((region, variable)),
            )
            name = report.region_names.get(region, region)
            figures.append(_figure(fig, f"fan chart of {label}, {name}", f"{label}, {name}: Monte Carlo bands."))
    return "".join(parts) + f'<div class="figgrid">{"".join(figures)}</div>'


def _comparison(report: Report) -> str:
    if report.comparison is None:
        return '<p class="note">No other scenario: make the report with <code>--compare OTHER.yaml</code>.</p>'
    from simcore.plotting import scenario_comparison

    scenarios = ", ".join([report.scenario, *report.compared])
    parts = []
    for region in report.figure_regions:  # one figure a region, each the page's width (three panels side by side)
        name = report.region_names.get(region, region)
        fig = scenario_comparison(report.compared_results, region, list(HEADLINE))  # display names of simcore.labels
        parts.append(_figure(fig, f"scenario comparison, {name}", f"{scenarios}: central runs, {name}."))
    parts += [
        f'<p class="note">Each scenario\'s central run; the last columns: how far {escape(report.scenario)} lies '
        "from each other scenario, %.</p>",
    ]
    for indicator in HEADLINE.values():
        part = report.comparison[report.comparison["indicator"] == indicator]
        shown = part.drop(columns=["indicator", "unit", "region_id"]).assign(year=lambda f: f["year"].astype(str))
        digits = {c: DIGITS[indicator] for c in shown.columns} | {c: 2 for c in shown.columns if c.endswith(" %")}
        parts.append(
            f"<details><summary>{escape(indicator)} ({escape(part['unit'].iloc[0])}), every region</summary>"
            f"{_table(shown, digits)}</details>"
        )
    return "".join(parts)


def _sectors(report: Report) -> str:
    from simcore.plotting import sector_structure

    regions = list(report.region_names)
    fig = sector_structure(report.results, regions, list(SECTORS), YEARS)  # display names of simcore.labels
    shown = report.sectors.drop(columns=["region_id"]).assign(year=lambda f: f["year"].astype(str))
    digits = {c: 0 for c in shown.columns} | {c: 1 for c in shown.columns if c.endswith(" %")}
    return (
        _figure(fig, "stacked value added by sector", "Value added of the three broad sectors, central run.")
        + f'<p class="note">Value added, {escape(report.sectors.attrs.get("unit", ""))}; shares of GDP at 2020 '
        "prices, %.</p>" + f"<details><summary>The table, every region</summary>{_table(shown, digits)}</details>"
    )


def _decomposition(report: Report) -> str:
    from simcore.plotting import waterfall_figure

    regions = list(report.figure_regions)
    fig = waterfall_figure(report.decomposition_long, regions)
    shown = report.decomposition.drop(columns=["region_id"])
    shown = shown.assign(start=shown["start"].astype(str), end=shown["end"].astype(str))
    return (
        _figure(
            fig,
            "CO2 decomposition waterfalls",
            "Additive LMDI-I decomposition of the change in CO2 (Mt CO2) into population, GDP per capita, "
            "sector structure, energy intensity and carbon per unit of energy; central run.",
        )
        + '<p class="note">Mt CO2; the terms add up to the total change.</p>'
        + _table(shown, 2)
    )


def _notes(report: Report) -> str:
    return (
        '<p class="note">simcore projects the six leaf regions of Tianjin by 22 sectors from the 2020 baseline '
        "(a multi-district input-output model with a supply side; docs/model.md). Money values are at 2020 "
        "prices unless marked nominal. Every table of this page is also in report.xlsx, one sheet each. "
        f"Bands: {escape(FAN_PRESET)} preset of <code>simcore fan</code>. Statuses counted: "
        f"{escape(', '.join(STATUSES))}.</p>"
    )


def render(report: Report) -> str:
    """The whole page as a string."""
    bodies = {
        "headline": _headline,
        "targets": _targets,
        "uncertainty": _fans,
        "comparison": _comparison,
        "sectors": _sectors,
        "decomposition": _decomposition,
        "notes": _notes,
    }
    sections = "".join(
        f'<section id="{key}"><h2>{escape(SECTIONS[key])}</h2>{make(report)}</section>' for key, make in bodies.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>simcore report: {escape(report.scenario)}</title><style>{STYLE}</style></head>"
        f"<body>{_header(report)}<main>{sections}</main>"
        f'<footer><p class="note">simcore {escape(report.version)}, baseline {escape(report.baseline_checksum[:12])}, '
        f"{escape(report.created)}.</p></footer></body></html>\n"
    )
