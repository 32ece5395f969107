"""Plots from result tables (matplotlib only; these functions never run the model).

``fan_chart`` draws central-bank style fan charts from a quantile table (columns ``region, variable,
unit, year, quantile, value``): nested bands of central probability, the median line, the central run,
the published record, plan targets where ``targets.csv`` has one for the variable, and a caption saying
what the bands mean.

Every chart draws its words in the language of :func:`chart_language` (``"en"`` or ``"zh"``; names from
the codelists, :mod:`simcore.labels`); Chinese needs a CJK font, and without one the charts fall back to
English with a warning.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.labels import check_language as _check_language
from simcore.labels import (
    current_language,
    language,
    plan_region,
    region_label,
    sector_label,
    text,
    unit_label,
    variable_label,
)


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


logger = logging.getLogger("simcore")

#: CJK font families tried in order for Chinese charts (Debian's fonts-noto-cjk provides the first)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)
_CJK_FILE_HINTS = ("cjk", "sourcehan", "wqy", "simhei", "msyh", "pingfang", "notosanssc")


def cjk_font() -> str | None:
    """The family name of an installed CJK font, or ``None``.

    ``SIMCORE_CJK_FONT`` may name a font file (``.ttf``, ``.otf``, ``.ttc``) to use; otherwise the families
    of :data:`CJK_FAMILIES` are looked up in matplotlib's font list, and then in the system's font files
    (matplotlib's cached list predates fonts installed after it was built).
    """
    from matplotlib import font_manager

    chosen = os.environ.get("SIMCORE_CJK_FONT")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            logger.warning("SIMCORE_CJK_FONT=%s: no such font file; looking for an installed CJK font", chosen)
        else:
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()

    def installed() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = installed()
    if found:
        return found
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower() for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: try the next
                continue
    return installed()


@contextlib.contextmanager
def chart_language(lang: str = "en"):
    """Draw (and save) the charts of the block in ``lang`` (``"en"`` or ``"zh"``); yields the language used.

    Chinese uses the region, sector and variable names of the codelists and a CJK font
    (:func:`cjk_font`); where none is installed it warns once and yields ``"en"``, so the charts come out
    in English rather than as boxes.  Fonts are fixed when a text is created, so the figure can be saved
    after the block.
    """
    import matplotlib

    lang = _check_language(lang)
    rc = {}
    if lang == "zh":
        family = cjk_font()
        if family is None:
            logger.warning(
                "--lang zh: no CJK font is installed (Debian: apt-get install fonts-noto-cjk; or set "
                "SIMCORE_CJK_FONT to a font file); drawing the charts in English"
            )
            lang = "en"
        else:
            rc = {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc), language(lang):
        yield lang


#: target bases a fan can draw: a level on the axis, or a rate the level path must follow
DRAWN_BASES = ("level", "change_vs_2020", "avg_growth", "cumulative_growth")


def _implied_level(basis: str, value: float, years: int, start_value: float) -> float:
    if basis == "level":
        return value
    if basis in ("change_vs_2020", "cumulative_growth"):
        return start_value * (1 + value / 100)
    return start_value * (1 + value / 100) ** years  # avg_growth


def _drawable(targets: pd.DataFrame | None, region: str, variable: str) -> pd.DataFrame:
    if targets is None or targets.empty:
        return pd.DataFrame()
    rows = targets[
        (targets["region"] == region)
        & (targets["variable"] == variable)
        & (targets["denominator"].fillna("") == "")
        & targets["basis"].isin(DRAWN_BASES)
    ]
    if "price_basis" in rows:  # a target at current prices belongs to the nominal twin, not this axis
        rows = rows[rows["price_basis"].fillna("real") != "nominal"]
    return rows


def target_points(targets: pd.DataFrame | None, region: str, variable: str, start_value: float) -> list[tuple]:
    """Plan targets that can be drawn on ``variable``'s axis: (year, value, label); a growth or change
    target as the level it implies from ``start_value`` (the 2020 value).  Targets stated at current
    prices are left out: the axis is at 2020 prices."""
    points = []
    for r in _drawable(targets, region, variable).itertuples(index=False):
        value = _implied_level(r.basis, float(r.value), int(r.year) - 2020, start_value)
        points.append((int(r.year), value, _target_label(r)))
    return points


def _target_label(r) -> str:
    """``>= 6.5% a year to 2025 (Binhai New Area plan)``: the comparison, the number in the target's own
    terms and the plan it comes from."""
    value, year, cmp = float(r.value), int(r.year), {"range": ""}.get(r.comparison, r.comparison)
    if r.comparison == "range" and not pd.isna(getattr(r, "value_high", np.nan)):
        number = f"{value:g}-{float(r.value_high):g}"
    else:
        number = f"{value:g}"
    zh = current_language() == "zh"
    if r.basis == "avg_growth":
        what = f"{cmp} {number}%/年({year})" if zh else f"{cmp} {number}% a year to {year}"
    elif r.basis == "change_vs_2020":
        what = f"较2020年 {cmp} {number}%({year})" if zh else f"{cmp} {number}% vs 2020 by {year}"
    elif r.basis == "cumulative_growth":
        what = f"2020-{year}年累计 {cmp} {number}%" if zh else f"{cmp} {number}% over 2020-{year}"
    else:
        unit = r.unit if r.unit not in ("", "nan") else ""
        what = f"{cmp} {number} {unit}".rstrip()
    return f"{what.strip()} ({_short_source(r.source, r.region)})"


def _short_source(source: str, region: str | None = None) -> str:
    """The plan a target comes from (``Binhai New Area plan``) rather than its file and line."""
    first = str(source).split(" ")[0].rstrip(";")
    if first.startswith("http"):  # a plan's target known from a report of it
        return text("{plan} plan (as reported)", plan=region_label(region)) if region else text("official statistics")
    plan = plan_region(first.partition(":")[0]) or region
    return text("{plan} plan", plan=region_label(plan)) if plan else first


def fan_targets(targets: pd.DataFrame | None, region: str, variable: str, median: pd.Series) -> list[dict]:
    """The plan targets of a fan, each scored on the median path in the target's own terms (a growth
    target on the growth of the median, a level on its level), by the rules of
    :func:`simcore.analysis.targets.status`: dicts of ``year, level`` (where it is drawn on the axis),
    ``kind`` (``level`` or ``rate``), ``status`` (met / exceeded / missed) and ``label``."""
    from simcore.analysis.targets import metric, modelled_targets, status
    from simcore.scenario.schema import YEARS

    rows = _drawable(targets, region, variable)
    if rows.empty:
        return []
    path = median.reindex(YEARS).to_numpy(dtype=float)
    out = []
    for k in range(len(rows)):  # one at a time: modelled_targets leaves out a year beyond the horizon
        one = rows.iloc[[k]]
        modelled = modelled_targets(one)
        if not modelled:
            continue
        target, row = modelled[0], next(one.itertuples(index=False))
        value, _ = metric(target, lambda _r, _v: path)
        if not np.isfinite(value):
            continue
        out.append(
            {
                "year": target.year,
                "level": _implied_level(target.basis, target.value, target.year - 2020, float(path[0])),
                "kind": "level" if target.basis == "level" else "rate",
                "status": str(status(target, np.asarray(value))),
                "label": _target_label(row),
            }
        )
    return out


HORIZON_TICKS = (2020, 2025, 2030, 2035)


def _series(quantiles: pd.DataFrame, region: str, variable: str) -> pd.DataFrame:
    part = quantiles[(quantiles["region"] == region) & (quantiles["variable"] == variable)]
    if part.empty:
        raise ValueError(f"no quantiles for {region} / {variable}")
    return part.pivot_table(index="year", columns="quantile", values="value").sort_index()


def _draw_history(ax, history: pd.DataFrame) -> tuple[int | None, bool]:
    """The published record up to 2020 as a line, the outturn since as open circles; returns the first
    year drawn and whether any outturn was."""
    if history is None or history.empty:
        return None, False
    h = history.sort_values("year")
    years = h["year"].astype(int).to_numpy()
    full = pd.Series(h["value"].to_numpy(dtype=float), index=years).reindex(range(years[0], years[-1] + 1))
    before = full[full.index <= 2020]
    if before.notna().sum() >= 1:
        ax.plot(
            before.index,
            before.to_numpy(),
            color="black",
            linewidth=1.4,
            marker="o",
            markersize=3,
            label=text("published record"),
            zorder=5,
        )
    after = full[(full.index > 2020) & full.notna()]
    if len(after):
        ax.plot(
            after.index,
            after.to_numpy(),
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor="black",
            label=text("published outturn"),
            zorder=5,
        )
    return int(years[0]), bool(len(after))


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
    history: pd.DataFrame | None = None,
):
    """Draw one fan chart and return its Axes.

    Bands are drawn from the 2020 value (the calibrated baseline) outwards; each band's label states its
    central probability.  ``central`` (values by year) is the deterministic run (``simcore run``), drawn
    dashed beside the Monte Carlo median: they differ because the median of a non-linear model's draws
    is not the model at the central parameters.  ``history`` (columns ``year, value``, e.g. from
    :func:`simcore.baseline.history.published_path`) is the published record, drawn as a black line to
    2020 and open circles after.  Plan targets are scored on the median in their own terms: a level
    target is a diamond at its level, a growth or change target a diamond at the level it implies with a
    dotted line from 2020 (the path it asks for); filled where the median meets it.  Missing quantiles
    for a preset raise ``ValueError``.  Words are in the language of :func:`chart_language`.
    """
    import matplotlib.pyplot as plt
    from matplotlib import patheffects

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
        band = text("{coverage} band", coverage=f"{coverage:.0%}")
        ax.fill_between(years, wide[lo], wide[hi], color=colour, linewidth=0, label=band, zorder=1)
    # a white halo under the lines keeps them readable on the darkest band (contrast, tests/test_plotting.py)
    halo = [patheffects.withStroke(linewidth=3.6, foreground="white")]
    ax.plot(years, wide[0.5], color=p.line, linewidth=2, label=text("median of the draws"), zorder=3, path_effects=halo)
    if central is not None:
        ax.plot(
            central.index,
            central.to_numpy(),
            color="black",
            linewidth=1.2,
            linestyle="--",
            label=text("central run"),
            zorder=3,
            path_effects=[patheffects.withStroke(linewidth=2.8, foreground="white")],
        )
    first, outturn = _draw_history(ax, history)
    unit = quantiles.loc[(quantiles["region"] == region) & (quantiles["variable"] == variable), "unit"].iloc[0]
    points = fan_targets(targets, region, variable, wide[0.5])
    legend_done = set()
    start = float(wide[0.5].iloc[0])
    for k, point in enumerate(points):
        year, value, ok = point["year"], point["level"], point["status"] in ("met", "exceeded")
        key = "plan target (median meets it)" if ok else "plan target (median misses it)"
        state = text(key)
        colour = "#1a7f37" if ok else "#b42318"
        if point["kind"] == "rate":  # the path a growth or change target asks for, from 2020
            ax.plot([years[0], year], [start, value], color=colour, linewidth=0.9, linestyle=":", zorder=4)
        ax.plot(
            [year],
            [value],
            marker="D",
            markersize=6,
            markerfacecolor=colour if ok else "white",
            markeredgecolor=colour,
            linestyle="none",
            zorder=4,
            label=state if state not in legend_done else None,
        )
        legend_done.add(state)
        ax.annotate(
            textwrap.fill(f"{point['label']}: {text(point['status'])}", 34),
            (year, value),
            textcoords="offset points",
            xytext=(6, 6) if k % 2 == 0 else (6, -8),  # alternate above and below: neighbours do not overlap
            va="bottom" if k % 2 == 0 else "top",
            fontsize=7,
        )
    ax.set_title(text("{variable}, {region}", variable=variable_label(variable), region=region_label(region)))
    ax.set_xlabel(text("year"))
    ax.set_ylabel(unit_label(unit))
    left = min(years[0], first) if first is not None else years[0]
    ax.set_xlim(left, years[-1])
    ticks = ([left] if left < HORIZON_TICKS[0] else []) + [y for y in HORIZON_TICKS if left <= y <= years[-1]]
    ax.set_xticks(ticks)
    if years[-1] >= 2035:
        ax.axvline(2035, color="grey", linewidth=0.6, linestyle=":")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)  # outside the data
    if caption:
        ax.text(
            0.0,
            -0.16,
            textwrap.fill(
                _fan_caption(p, n_draws, seed, central is not None, first is not None, outturn, bool(points)),
                60 if current_language() == "zh" else 105,
            ),
            transform=ax.transAxes,
            fontsize=7,
            va="top",
        )
    return ax


def _fan_caption(p: Preset, n_draws, seed, central: bool, history: bool, outturn: bool, targets: bool) -> str:
    bands = ", ".join(f"{c:.0%}" for c in sorted(p.coverages))
    if current_language() == "zh":
        draws = f"{n_draws:,}条模拟路径" if n_draws else "模拟路径"
        seeded = f"(随机种子 {seed})" if seed is not None else ""
        parts = [f"阴影区间为{draws}{seeded}的中间 {bands};实线为其中位数"]
        if central:
            parts.append("虚线为中心情景路径(simcore run)")
        if history:
            parts.append("黑线为统计公布值(2020年价格的水平值按公布的实际变化率由2020年基期值推算)")
        if outturn:
            parts.append("空心圆为2020年后的公布实际值")
        parts.append("2020年为校准基期(区县基期值为估计时显示为区间)")
        if targets:
            parts.append("菱形为规划目标,实心表示中位数达到;增速目标以虚点线表示其隐含路径")
        else:
            parts.append("该指标无规划目标")
        return ";".join(parts) + "。"
    draws = f"{n_draws:,} simulated paths" if n_draws else "the simulated paths"
    seeded = f" (seed {seed})" if seed is not None else ""
    parts = [f"Shaded bands hold the central {bands} of {draws}{seeded}; solid line: their median"]
    if central:
        parts.append("dashed: the central run (simcore run)")
    if history:
        parts.append(
            "black: the published record (a level at 2020 prices chained from the published real changes to the "
            "2020 baseline)"
        )
    if outturn:
        parts.append("open circles: the published outturn since 2020")
    parts.append("2020 is the calibrated baseline (a range where the district's 2020 level is estimated)")
    parts.append(
        "diamonds: plan targets, filled where the median meets them; a growth target is drawn as the level "
        "it implies, dotted from 2020"
        if targets
        else "no plan target for this variable"
    )
    return "; ".join(parts) + "."


def fan_figure(
    quantiles: pd.DataFrame,
    panels: list[tuple[str, str]],
    preset: str = "boe",
    targets: pd.DataFrame | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    ncols: int | None = None,
    central: dict | None = None,
    history: dict | None = None,
):
    """Fan charts of (region, variable) pairs as a grid, one row per variable and one column per region,
    with one legend and one caption for the figure, sized to fit a landscape A4 page (11.7 x 8.3 in) when
    there are many panels; returns the Figure.  ``central`` and ``history`` map a pair to its
    deterministic run and its published record (see :func:`fan_chart`)."""
    import matplotlib.pyplot as plt

    variables = list(dict.fromkeys(v for _, v in panels))
    regions = list(dict.fromkeys(r for r, _ in panels))
    nrows, ncols = len(variables), len(regions)
    width = min(11.7, 1.6 + 3.9 * ncols)
    height = min(8.3, 1.3 + 2.9 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    wanted = set(panels)
    drew_history = drew_outturn = drew_targets = False
    for i, variable in enumerate(variables):
        for j, region in enumerate(regions):
            ax = axes[i, j]
            if (region, variable) not in wanted:
                ax.set_visible(False)
                continue
            past = (history or {}).get((region, variable))
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
                history=past,
            )
            drew_history |= past is not None and not past.empty
            drew_outturn |= any(line.get_label() == text("published outturn") for line in ax.lines)
            drew_targets |= any(t.get_text() for t in ax.texts)
            ax.title.set_fontsize(9)
            ax.tick_params(labelsize=7)
            ax.yaxis.label.set_fontsize(7)
            ax.xaxis.label.set_fontsize(8)
            if i < nrows - 1:
                ax.set_xlabel("")
    handles, labels = {}, []
    for ax in axes.flat:
        if ax.get_visible():
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in handles:
                    handles[label] = handle
                    labels.append(label)
    # bottom up: the caption, the legend above it, then the panels (heights in inches, as drawn)
    p = PRESETS[preset]
    caption = textwrap.fill(
        _fan_caption(p, n_draws, seed, bool(central), drew_history, drew_outturn, drew_targets),
        90 if current_language() == "zh" else 150,
    )
    ncol = min(len(labels), 5)
    caption_h = (caption.count("\n") + 1) * 7 * 1.3 / 72
    legend_h = math.ceil(len(labels) / max(ncol, 1)) * 7 * 1.7 / 72 + 0.08
    fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=7)
    fig.legend(
        [handles[k] for k in labels],
        labels,
        loc="lower center",
        ncol=ncol,
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, 0.01 + (caption_h + 0.05) / height),
    )
    fig.suptitle(f"{quantiles['scenario'].iloc[0]}: {text(p.description)}", fontsize=10)
    fig.tight_layout(rect=(0, 0.01 + (caption_h + legend_h + 0.12) / height, 1, 0.96))
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
    labels = [f"{first}"] + [text(term) for term in TERMS] + [f"{end}", text("total change")]
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
    ax.set_ylabel(unit_label("Mt CO2"))
    title = text(
        "CO2 change {first}-{end}, {region} ({scenario})",
        first=first,
        end=end,
        region=region_label(region),
        scenario=table["scenario"].iloc[0],
    )
    ax.set_title(title, fontsize=10)
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
        ax.fill_between(years, wide[0.05], wide[0.95], color="#c6dbef", label=text("{coverage} band", coverage="90%"))
        ax.fill_between(years, wide[0.25], wide[0.75], color="#6baed6", label=text("{coverage} band", coverage="50%"))
        ax.plot(years, wide["central"], color="#08306b", lw=1.5, label=text("central run"))
        act = table[(table["region"] == region) & (table["variable"] == variable)]
        ax.plot(act["year"], act["actual"], "o", color="#c62d23", label=text("published outturn"))
        ax.set_title(region_label(region))
        ax.set_xlabel(text("year"))
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
        ax.set_title(labels.get(variable) or variable_label(variable), fontsize=10)
        ax.set_ylabel(unit_label(part["unit"].iloc[0]), fontsize=8)
        ax.set_xticks(list(HORIZON_TICKS))
        ax.set_xlim(HORIZON_TICKS[0], HORIZON_TICKS[-1])
        ax.grid(alpha=0.3)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(scenarios), frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(text("Scenarios compared, {region}", region=region_name or region_label(region)), fontsize=11)
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
            name = labels.get(sector) or sector_label(sector.rsplit("|", 1)[-1])
            ax.bar(x, wide[sector], bottom=bottom, color=colours[k % len(colours)], label=name)
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
        ax.set_title(region_names.get(region) or region_label(region), fontsize=9)
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
    fig.suptitle(text("Value added by sector (segment labels: share of the total)"), fontsize=11)
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
    heading = text("Value added by sector (segment labels: share of the total)")
    if len(scenarios) == 1:
        fig = sector_structure(table, regions, sectors, years, labels=labels, region_names=names)
        fig.suptitle(f"{scenarios[0]}: {heading}", fontsize=11)
        return fig
    part = table[table["region"].isin(regions)]
    keyed = part.assign(region=part["region"].astype(str) + "@" + part["scenario"].astype(str))
    keys = [f"{r}@{s}" for r in regions for s in scenarios]
    titles = {f"{r}@{s}": f"{names.get(r) or region_label(r)}: {s}" for r in regions for s in scenarios}
    fig = sector_structure(keyed, keys, sectors, years, labels=labels, region_names=titles, ncols=len(scenarios))
    axes = fig.axes[: len(keys)]
    for row in range(len(regions)):
        panels = axes[row * len(scenarios) : (row + 1) * len(scenarios)]
        top = max(ax.get_ylim()[1] for ax in panels)
        for ax in panels:
            ax.set_ylim(0, top)
    fig.suptitle(f"{', '.join(scenarios)}: {heading}", fontsize=11)
    return fig
