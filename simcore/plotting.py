"""Plots from result tables (matplotlib only; these functions never run the model).

``fan_chart`` draws central-bank style fan charts from a quantile table (columns ``region, variable,
unit, year, quantile, value``): nested bands of central probability, the median line, plan targets where
``targets.csv`` has one for the variable, and a caption saying what the bands mean.
"""

from __future__ import annotations

import functools
import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Preset:
    """A fan-chart style: band coverages (central probabilities) from widest to narrowest, and colours."""

    name: str
    coverages: tuple[float, ...]
    colours: tuple[str, ...]
    line: str
    description: str


PRESETS = {
    "boe": Preset(
        "boe",
        (0.9, 0.7, 0.5, 0.3, 0.1),
        ("#f4c7c3", "#eaa09a", "#df7a72", "#d3544b", "#c62d23"),
        "#7f1d17",
        "Bank of England style: shades for the central 10% to 90% of outcomes",
    ),
    "riksbank": Preset(
        "riksbank",
        (0.9, 0.75, 0.5),
        ("#c6dbef", "#6baed6", "#2171b5"),
        "#08306b",
        "Riksbank style: 50%, 75% and 90% uncertainty bands",
    ),
    "norges": Preset(
        "norges",
        (0.9, 0.7, 0.5, 0.3),
        ("#d9e6f2", "#a9c4de", "#789fc6", "#4a77a8"),
        "#1f3f66",
        "Norges Bank style: 30%, 50%, 70% and 90% bands",
    ),
}


def required_quantiles(preset: str | Preset) -> tuple[float, ...]:
    """The quantiles a preset's bands need (with the median)."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    qs = {0.5}
    for c in p.coverages:
        qs |= {round((1 - c) / 2, 6), round((1 + c) / 2, 6)}
    return tuple(sorted(qs))


def target_points(targets: pd.DataFrame | None, region: str, variable: str, start_value: float) -> list[tuple]:
    """Plan targets that can be drawn on ``variable``'s axis: (year, value, label)."""
    if targets is None or targets.empty:
        return []
    rows = targets[
        (targets["region"] == region) & (targets["variable"] == variable) & (targets["denominator"].fillna("") == "")
    ]
    points = []
    for r in rows.itertuples(index=False):
        years = int(r.year) - 2020
        if r.basis == "level":
            value = float(r.value)
        elif r.basis == "change_vs_2020":
            value = start_value * (1 + float(r.value) / 100)
        elif r.basis == "avg_growth":
            value = start_value * (1 + float(r.value) / 100) ** years
        elif r.basis == "cumulative_growth":
            value = start_value * (1 + float(r.value) / 100)
        else:
            continue
        points.append((int(r.year), value, f"{r.comparison} {r.value:g} {r.unit} ({_short_source(r.source)})"))
    return points


def _short_source(source: str) -> str:
    first = str(source).split(" ")[0].rstrip(";")
    if first.startswith("http"):
        return "official statistics"
    name, _, line = first.partition(":")
    return f"seed {name[:3]} {line}" if line else first


#: readable forms of the result table's unit strings (the table keeps the raw ones)
UNIT_LABELS = {
    "100 million CNY_2020": "100 million CNY (2020 prices)",
    "100 million CNY": "100 million CNY (current prices)",
    "Mt CO2": "Mt CO2/yr",
    "10^4 tce": "10,000 tce/yr",
    "tce/10^4 CNY_2020": "tce per 10,000 CNY (2020 prices)",
    "t CO2/10^4 CNY_2020": "t CO2 per 10,000 CNY (2020 prices)",
    "10^4 persons": "10,000 persons",
    "%": "%",
}


def unit_label(unit: str) -> str:
    """A unit as a reader expects it (``100 million CNY (2020 prices)``, ``Mt CO2/yr``)."""
    return UNIT_LABELS.get(unit, unit.replace("_2020", " (2020 prices)").replace("10^4", "10,000"))


def region_label(region: str) -> str:
    """The region's display name from the codelist (``regions.csv``), or its id."""
    return _region_names().get(region, region)


@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    try:
        from simcore.baseline.regions import RegionTree

        tree = RegionTree.load()
    except (ValueError, OSError, ImportError):
        return {}
    return dict(zip(tree.ids, tree.names))


HORIZON_TICKS = (2020, 2025, 2030, 2035)


def _series(quantiles: pd.DataFrame, region: str, variable: str) -> pd.DataFrame:
    part = quantiles[(quantiles["region"] == region) & (quantiles["variable"] == variable)]
    if part.empty:
        raise ValueError(f"no quantiles for {region} / {variable}")
    return part.pivot_table(index="year", columns="quantile", values="value").sort_index()


def fan_chart(
    quantiles: pd.DataFrame,
    region: str,
    variable: str,
    preset: str = "boe",
    targets: pd.DataFrame | None = None,
    ax=None,
    n_draws: int | None = None,
    seed: int | None = None,
    caption: bool = True,
    central: pd.Series | None = None,
    legend: bool = True,
):
    """Draw one fan chart and return its Axes.

    Bands are drawn from the 2020 value (the calibrated baseline) outwards; each band's label states its
    central probability.  ``central`` (values by year) is the deterministic run (``simcore run``), drawn
    dashed beside the Monte Carlo median: they differ because the median of a non-linear model's draws
    is not the model at the central parameters.  Missing quantiles for a preset raise ``ValueError``.
    """
    import matplotlib.pyplot as plt

    p = PRESETS[preset]
    wide = _series(quantiles, region, variable)
    have = {round(float(q), 6) for q in wide.columns}
    missing = [q for q in required_quantiles(p) if q not in have]
    if missing:
        raise ValueError(f"the quantile table lacks {missing} needed by the {preset} preset")
    wide.columns = [round(float(q), 6) for q in wide.columns]
    years = wide.index.to_numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.5))
    for coverage, colour in zip(p.coverages, p.colours):
        lo, hi = round((1 - coverage) / 2, 6), round((1 + coverage) / 2, 6)
        ax.fill_between(years, wide[lo], wide[hi], color=colour, linewidth=0, label=f"{coverage:.0%} band", zorder=1)
    ax.plot(years, wide[0.5], color=p.line, linewidth=2, label="median of the draws", zorder=3)
    if central is not None:
        ax.plot(
            central.index,
            central.to_numpy(),
            color="black",
            linewidth=1.2,
            linestyle="--",
            label="central run",
            zorder=3,
        )
    unit = quantiles.loc[(quantiles["region"] == region) & (quantiles["variable"] == variable), "unit"].iloc[0]
    points = target_points(targets, region, variable, float(wide[0.5].iloc[0]))
    legend_done = set()
    for year, value, label in points:
        # met or missed by the median of the draws in the target's year (growth and change targets are
        # drawn as the level they imply from the 2020 value, so every marker is on the variable's own axis)
        median = float(wide[0.5].get(year, np.nan))
        op = label.split(" ", 1)[0]
        ok = {"<=": median <= value, ">=": median >= value, "=": abs(median - value) <= 1e-9 * abs(value)}.get(op)
        state = "plan target (median meets it)" if ok else "plan target (median misses it)"
        ax.plot(
            [year],
            [value],
            marker="D",
            markersize=6,
            markerfacecolor="#1a7f37" if ok else "white",
            markeredgecolor="#1a7f37" if ok else "#b42318",
            linestyle="none",
            zorder=4,
            label=state if state not in legend_done else None,
        )
        legend_done.add(state)
        ax.annotate(
            f"{label}: {'met' if ok else 'missed'}",
            (year, value),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=7,
        )
    ax.set_title(f"{variable}, {region_label(region)}")
    ax.set_xlabel("year")
    ax.set_ylabel(unit_label(unit))
    ax.set_xlim(years[0], years[-1])
    ax.set_xticks([y for y in HORIZON_TICKS if years[0] <= y <= years[-1]])
    if years[-1] >= 2035:
        ax.axvline(2035, color="grey", linewidth=0.6, linestyle=":")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)  # outside the data
    if caption:
        draws = f"{n_draws:,} simulated paths" if n_draws else "the simulated paths"
        seeded = f" (seed {seed})" if seed is not None else ""
        bands = ", ".join(f"{c:.0%}" for c in sorted(p.coverages))
        target_note = "diamonds: plan targets" if points else "no plan target for this variable"
        central_note = "; dashed: the central run (simcore run)" if central is not None else ""
        text = (
            f"Shaded bands hold the central {bands} of {draws}{seeded}; solid line: their median"
            f"{central_note}; 2020 is the calibrated baseline (a range where the district's 2020 level is "
            f"estimated); {target_note}."
        )
        ax.text(0.0, -0.16, textwrap.fill(text, 105), transform=ax.transAxes, fontsize=7, va="top")
    return ax


def fan_figure(
    quantiles: pd.DataFrame,
    panels: list[tuple[str, str]],
    preset: str = "boe",
    targets: pd.DataFrame | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    ncols: int | None = None,
    central: dict | None = None,
):
    """Fan charts of (region, variable) pairs as a grid, one row per variable and one column per region,
    with one legend and one caption for the figure, sized to fit a landscape A4 page (11.7 x 8.3 in) when
    there are many panels; returns the Figure.  ``central`` maps a pair to its deterministic run."""
    import matplotlib.pyplot as plt

    variables = list(dict.fromkeys(v for _, v in panels))
    regions = list(dict.fromkeys(r for r, _ in panels))
    nrows, ncols = len(variables), len(regions)
    width = min(11.7, 1.6 + 3.9 * ncols)
    height = min(8.3, 1.3 + 2.9 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    wanted = set(panels)
    for i, variable in enumerate(variables):
        for j, region in enumerate(regions):
            ax = axes[i, j]
            if (region, variable) not in wanted:
                ax.set_visible(False)
                continue
            fan_chart(
                quantiles,
                region,
                variable,
                preset,
                targets,
                ax=ax,
                n_draws=n_draws,
                seed=seed,
                caption=False,
                central=(central or {}).get((region, variable)),
                legend=False,
            )
            ax.title.set_fontsize(9)
            ax.tick_params(labelsize=7)
            ax.yaxis.label.set_fontsize(7)
            if i < nrows - 1:
                ax.set_xlabel("")
    handles, labels = {}, []
    for ax in axes.flat:
        if ax.get_visible():
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in handles:
                    handles[label] = handle
                    labels.append(label)
    fig.legend(
        [handles[k] for k in labels],
        labels,
        loc="lower center",
        ncol=min(len(labels), 5),
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    p = PRESETS[preset]
    draws = f"{n_draws:,} simulated paths" if n_draws else "the simulated paths"
    seeded = f" (seed {seed})" if seed is not None else ""
    bands = ", ".join(f"{c:.0%}" for c in sorted(p.coverages))
    central_note = "; dashed: the central run (simcore run)" if central else ""
    caption = (
        f"Shaded bands hold the central {bands} of {draws}{seeded}; solid line: their median{central_note}; "
        "2020 is the calibrated baseline; diamonds: plan targets, filled where the median meets them."
    )
    fig.suptitle(f"{quantiles['scenario'].iloc[0]}: {p.description}", fontsize=10)
    fig.text(0.5, 0.055, textwrap.fill(caption, 150), ha="center", va="bottom", fontsize=7)
    fig.tight_layout(rect=(0, 0.1, 1, 0.96))
    return fig


def sensitivity_bars(indices: pd.DataFrame, value: str = "ST", error: str | None = "ST_conf"):
    """Horizontal bars of sensitivity indices per output (columns ``output, parameter, <value>``)."""
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(indices["output"]))
    fig, axes = plt.subplots(
        len(outputs), 1, figsize=(7, 1.2 + 0.45 * indices["parameter"].nunique() * len(outputs)), squeeze=False
    )
    for ax, output in zip(axes[:, 0], outputs):
        part = indices[indices["output"] == output].sort_values(value)
        xerr = part[error].to_numpy() if error and error in part else None
        ax.barh(part["parameter"], part[value], xerr=xerr, color="#4a77a8")
        ax.set_title(output, fontsize=9)
        ax.set_xlabel(value)
        ax.axvline(0, color="black", linewidth=0.5)
    fig.tight_layout()
    return fig


def sensitivity_figure(indices: pd.DataFrame):
    """One panel per output: Sobol' S1 and ST side by side with their confidence intervals, clipped to
    [0, 1] (indices are shares of variance; a bootstrap interval past 0 or 1 says only "near the edge"),
    on a [0, 1] axis; or, for Morris indices (``mu_star``, ``sigma``), the mu*-sigma plane with each
    lever labelled."""
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(indices["output"]))
    morris = "mu_star" in indices.columns
    n_par = indices["parameter"].nunique()
    if morris:
        fig, axes = plt.subplots(1, len(outputs), figsize=(4.2 * len(outputs), 3.8), squeeze=False)
        for ax, output in zip(axes[0], outputs):
            part = indices[indices["output"] == output]
            ax.scatter(part["mu_star"], part["sigma"], color="#4a77a8", zorder=3)
            for row in part.itertuples(index=False):
                ax.annotate(
                    row.parameter, (row.mu_star, row.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
            top = max(float(part["mu_star"].max()), float(part["sigma"].max()), 1e-12) * 1.15
            ax.plot([0, top], [0, top], color="grey", linewidth=0.6, linestyle="--", label="sigma = mu*")
            ax.set_xlim(0, top)
            ax.set_ylim(0, top)
            ax.set_xlabel("mu* (mean absolute elementary effect)")
            ax.set_ylabel("sigma (interaction or non-linearity)")
            ax.set_title(output, fontsize=9)
            ax.grid(alpha=0.3)
        axes[0, 0].legend(loc="upper left", fontsize=7, frameon=False)
        fig.tight_layout()
        return fig
    fig, axes = plt.subplots(len(outputs), 1, figsize=(7, 1.4 + 0.55 * n_par * len(outputs)), squeeze=False)
    for ax, output in zip(axes[:, 0], outputs):
        part = indices[indices["output"] == output].sort_values("ST")
        y = np.arange(len(part))
        for offset, name, color in ((-0.2, "S1", "#9ecae1"), (0.2, "ST", "#2171b5")):
            value = part[name].clip(0, 1).to_numpy()
            conf = part.get(f"{name}_conf")
            err = None
            if conf is not None:
                lo = np.clip(part[name] - conf, 0, 1).to_numpy()
                hi = np.clip(part[name] + conf, 0, 1).to_numpy()
                err = np.vstack([value - lo, hi - value])
            ax.barh(y + offset, value, height=0.38, xerr=err, color=color, label=name, error_kw={"linewidth": 0.8})
        ax.set_yticks(y)
        ax.set_yticklabels(part["parameter"], fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_title(output, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel("share of the output's variance (95% bootstrap intervals, clipped to [0, 1])")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, ["S1 (first order)", "ST (total)"], loc="upper center", ncol=2, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def _sig(value: float, digits: int = 3, signed: bool = False) -> str:
    """``value`` to ``digits`` significant figures (never "+0.0" for a small non-zero change)."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:  # keep plain notation for readers
        text = f"{value:.{max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))}f}"
    return ("+" if signed and value > 0 else "") + text


def waterfall(table: pd.DataFrame, region: str, end: int, ax=None):
    """Waterfall of a CO2 decomposition (``simcore.analysis.decompose`` table) for one region and period:
    the start level, each term's contribution, the end level and the total change, every bar labelled to
    three significant figures, the axis sized so that no bar or label is clipped."""
    import matplotlib.pyplot as plt

    from simcore.model.variables import DECOMPOSITION_TERMS as TERMS

    part = table[(table["region"] == region) & (table["end"] == end)].set_index("term")["value"]
    if part.empty:
        raise ValueError(f"no decomposition for {region} to {end}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    start, stop = float(part["CO2 start"]), float(part["CO2 end"])
    first = int(table["start"].iloc[0])
    labels = [f"{first}"] + list(TERMS) + [f"{end}", "total change"]
    level, tops, bottoms = start, [start], [0.0]
    ax.bar(0, start, color="#7f7f7f")
    ax.text(0, start, _sig(start), ha="center", va="bottom", fontsize=7)
    for k, term in enumerate(TERMS, start=1):
        delta = float(part[term])
        ax.bar(k, delta, bottom=level, color="#c62d23" if delta > 0 else "#2171b5")
        ax.text(k, level + max(delta, 0), _sig(delta, signed=True), ha="center", va="bottom", fontsize=7)
        tops.append(level + max(delta, 0))
        bottoms.append(level + min(delta, 0))
        level += delta
    k_end = len(TERMS) + 1
    ax.bar(k_end, stop, color="#7f7f7f")
    ax.text(k_end, stop, _sig(stop), ha="center", va="bottom", fontsize=7)
    total = stop - start
    ax.bar(k_end + 1, total, bottom=start, color="#c62d23" if total > 0 else "#2171b5", hatch="//", alpha=0.6)
    ax.text(k_end + 1, start + max(total, 0), _sig(total, signed=True), ha="center", va="bottom", fontsize=7)
    tops += [stop, start + max(total, 0)]
    bottoms += [0.0, start + min(total, 0)]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Mt CO2")
    ax.set_title(f"CO2 change {first}-{end}, {region} ({table['scenario'].iloc[0]})", fontsize=10)
    high, low = max(tops), min(bottoms)
    span = max(high - low, abs(high), 1e-9)
    ax.set_ylim(min(0.0, low - 0.05 * span), high + 0.12 * span)  # room for the labels above the top bar
    ax.axhline(0, color="black", linewidth=0.5)
    ax.grid(axis="y", alpha=0.3)
    return ax


def waterfall_figure(table: pd.DataFrame, regions: list[str]):
    """Waterfalls for each region (rows) and period (columns)."""
    import matplotlib.pyplot as plt

    ends = sorted(table["end"].unique())
    fig, axes = plt.subplots(len(regions), len(ends), figsize=(6.5 * len(ends), 4 * len(regions)), squeeze=False)
    for i, region in enumerate(regions):
        for j, end in enumerate(ends):
            waterfall(table, region, int(end), ax=axes[i, j])
    fig.tight_layout()
    return fig


__all__ = [
    "PRESETS",
    "fan_chart",
    "fan_figure",
    "required_quantiles",
    "scenario_comparison",
    "sector_structure",
    "sensitivity_bars",
    "sensitivity_figure",
    "target_points",
    "waterfall",
    "waterfall_figure",
]


def backtest_fan(quantiles: pd.DataFrame, table: pd.DataFrame, variable: str, vintage: int):
    """One panel per region: the 5-95% and 25-75% bands and central path of a backtest projection, with
    the published actuals after the vintage as points."""
    import matplotlib.pyplot as plt

    regions = list(dict.fromkeys(table.loc[table["variable"] == variable, "region"]))
    fig, axes = plt.subplots(1, len(regions), figsize=(4.2 * len(regions), 3.4), squeeze=False)
    for ax, region in zip(axes[0], regions):
        q = quantiles[(quantiles["region"] == region) & (quantiles["variable"] == variable)]
        q = q[q["year"].between(vintage, vintage + 6)]
        wide = q.pivot_table(index="year", columns="quantile", values="value", aggfunc="first")
        years = wide.index.to_numpy()
        ax.fill_between(years, wide[0.05], wide[0.95], color="#c6dbef", label="90% band")
        ax.fill_between(years, wide[0.25], wide[0.75], color="#6baed6", label="50% band")
        ax.plot(years, wide["central"], color="#08306b", lw=1.5, label="central run")
        act = table[(table["region"] == region) & (table["variable"] == variable)]
        ax.plot(act["year"], act["actual"], "o", color="#c62d23", label="published")
        ax.set_title(f"{region}")
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"{variable} ({table.loc[table['variable'] == variable, 'unit'].iloc[0]})")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(f"Backtest at vintage {vintage}: {variable}")
    fig.tight_layout()
    return fig


def scenario_comparison(
    table: pd.DataFrame,
    region: str,
    variables: list[str],
    labels: dict[str, str] | None = None,
    region_name: str | None = None,
):
    """One panel per variable, one line per scenario (the long table's ``scenario`` column, first scenario
    drawn heaviest); one legend below the panels.  Returns the Figure."""
    import matplotlib.pyplot as plt

    labels = labels or {}
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig, axes = plt.subplots(1, len(variables), figsize=(4.3 * len(variables), 3.6), squeeze=False)
    colours = ("#c62d23", "#2171b5", "#4d9221", "#7f3b08", "#542788", "#7f7f7f")
    for ax, variable in zip(axes[0], variables):
        part = table[(table["region"] == region) & (table["variable"] == variable)]
        if part.empty:
            raise ValueError(f"no values of {variable} for {region}")
        for k, scenario in enumerate(scenarios):
            line = part[part["scenario"] == scenario].sort_values("year")
            ax.plot(
                line["year"],
                line["value"],
                color=colours[k % len(colours)],
                linewidth=2.2 if k == 0 else 1.4,
                linestyle="-" if k == 0 else ("--", "-.", ":")[(k - 1) % 3],
                label=scenario,
            )
        ax.set_title(labels.get(variable, variable), fontsize=10)
        ax.set_ylabel(unit_label(part["unit"].iloc[0]), fontsize=8)
        ax.set_xticks(list(HORIZON_TICKS))
        ax.set_xlim(HORIZON_TICKS[0], HORIZON_TICKS[-1])
        ax.grid(alpha=0.3)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(scenarios), frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"Scenarios compared, {region_name or region}", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


def sector_structure(
    table: pd.DataFrame,
    regions: list[str],
    sectors: list[str],
    years=HORIZON_TICKS,
    labels: dict[str, str] | None = None,
    region_names: dict[str, str] | None = None,
    ncols: int = 4,
):
    """Stacked bars of value added by sector (``sectors``, bottom to top) per year, one panel per region,
    each segment labelled with its share of the bar where it is tall enough; one legend.  Returns the Figure."""
    import matplotlib.pyplot as plt

    labels, region_names = labels or {}, region_names or {}
    ncols = min(ncols, len(regions))
    nrows = math.ceil(len(regions) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 3.1 * nrows + 0.6), squeeze=False)
    colours = ("#a6d96a", "#4a77a8", "#fdae61", "#d7191c", "#7f7f7f")
    years = list(years)
    for ax, region in zip(axes.flat, regions):
        part = table[(table["region"] == region) & table["year"].isin(years)]
        wide = part.pivot_table(index="year", columns="variable", values="value").reindex(years)
        missing = [s for s in sectors if s not in wide.columns]
        if missing:
            raise ValueError(f"no values of {', '.join(missing)} for {region}")
        bottom = pd.Series(0.0, index=wide.index)
        total = wide[sectors].sum(axis=1)
        x = range(len(years))
        for k, sector in enumerate(sectors):
            ax.bar(x, wide[sector], bottom=bottom, color=colours[k % len(colours)], label=labels.get(sector, sector))
            for i, year in enumerate(years):
                share = wide.at[year, sector] / total[year] if total[year] else 0.0
                if share >= 0.08:
                    ax.text(
                        i,
                        bottom[year] + wide.at[year, sector] / 2,
                        f"{share:.0%}",
                        ha="center",
                        va="center",
                        fontsize=7,
                    )
            bottom = bottom + wide[sector]
        ax.set_xticks(list(x))
        ax.set_xticklabels([str(y) for y in years], fontsize=8)
        ax.set_title(region_names.get(region, region), fontsize=9)
        ax.set_ylim(0, float(total.max()) * 1.05)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(regions) :]:
        ax.set_visible(False)
    unit = unit_label(table.loc[table["variable"] == sectors[0], "unit"].iloc[0])
    for row in axes:
        row[0].set_ylabel(unit, fontsize=8)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(sectors), frameon=False)
    fig.suptitle("Value added by sector (segment labels: share of the total)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def sector_comparison(
    table: pd.DataFrame,
    regions: list[str],
    sectors: list[str],
    years=HORIZON_TICKS,
    labels: dict[str, str] | None = None,
    region_names: dict[str, str] | None = None,
):
    """The stacked bars of :func:`sector_structure` for the scenarios of the long table's ``scenario``
    column: one scenario gives that figure, titled with the scenario; several give one row per region and
    one column per scenario, the panels of a row on one scale.  Returns the Figure."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = region_names or {}
    if len(scenarios) == 1:
        fig = sector_structure(table, regions, sectors, years, labels=labels, region_names=names)
        fig.suptitle(f"{scenarios[0]}: value added by sector (segment labels: share of the total)", fontsize=11)
        return fig
    part = table[table["region"].isin(regions)]
    keyed = part.assign(region=part["region"].astype(str) + "@" + part["scenario"].astype(str))
    keys = [f"{r}@{s}" for r in regions for s in scenarios]
    titles = {f"{r}@{s}": f"{names.get(r, r)}: {s}" for r in regions for s in scenarios}
    fig = sector_structure(keyed, keys, sectors, years, labels=labels, region_names=titles, ncols=len(scenarios))
    axes = fig.axes[: len(keys)]
    for row in range(len(regions)):
        panels = axes[row * len(scenarios) : (row + 1) * len(scenarios)]
        top = max(ax.get_ylim()[1] for ax in panels)
        for ax in panels:
            ax.set_ylim(0, top)
    fig.suptitle(f"Value added by sector: {', '.join(scenarios)} (segment labels: share of the total)", fontsize=11)
    return fig
