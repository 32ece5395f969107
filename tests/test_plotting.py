"""Fan charts: the bands, median, targets and caption that were drawn (Agg backend, artists not pixels)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from simcore.cli import main
from simcore.experiments.montecarlo import DEFAULT_QUANTILES, monte_carlo
from simcore.plotting import (
    PRESETS,
    fan_chart,
    fan_figure,
    required_quantiles,
    target_points,
)


@pytest.fixture(scope="module")
def quantiles(baseline):
    mc = monte_carlo("scenarios/plan_14th_fyp.yaml", draws=120, seed=4, baseline=baseline)
    q = sorted(set(DEFAULT_QUANTILES).union(*(required_quantiles(p) for p in ("boe", "riksbank", "norges"))))
    return mc.quantiles(q)


@pytest.mark.parametrize("preset", ["boe", "riksbank", "norges"])
def test_fan_chart_draws_nested_bands_and_median(quantiles, baseline, preset):
    ax = fan_chart(quantiles, "tianjin", "Energy Intensity|GDP", preset, baseline.targets, n_draws=120, seed=4)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    p = PRESETS[preset]
    assert len(bands) == len(p.coverages)
    labels = [c.get_label() for c in bands]
    assert labels == [f"{c:.0%} band" for c in p.coverages]
    # nested: each band lies inside the previous (wider) one
    spans = [c.get_paths()[0].vertices[:, 1] for c in bands]
    widths = [s.max() - s.min() for s in spans]
    assert widths == sorted(widths, reverse=True)
    median = [line for line in ax.lines if line.get_label() == "median of the draws"]
    assert len(median) == 1
    years, values = median[0].get_data()
    assert years[0] == 2020 and values[0] == pytest.approx(baseline.energy.sum() / baseline.gdp.sum(), rel=1e-5)
    targets = [line for line in ax.lines if line.get_label().startswith("plan target (median")]
    assert targets and targets[0].get_xdata()[0] == 2025
    # each target marked met or missed by the median in its year, consistently with the drawn median
    for line in targets:
        year, level = line.get_xdata()[0], line.get_ydata()[0]
        median_then = values[list(years).index(year)]
        met = "meets" in line.get_label()
        note = [" ".join(t.get_text().split()) for t in ax.texts if getattr(t, "xy", None) == (year, level)]
        assert note and note[0].endswith((": met", ": exceeded") if met else ": missed")
        if note[0].startswith("<="):
            assert met == (median_then <= level)
    caption = ax.texts[-1].get_text()
    assert "90%" in caption and "median" in caption and "120 simulated paths" in caption and "seed 4" in caption
    plt.close("all")


def test_target_points_convert_changes_to_levels(baseline):
    points = target_points(baseline.targets, "tianjin", "Energy Intensity|GDP", 0.5)
    years = {year: value for year, value, _ in points}
    assert years[2025] == pytest.approx(0.5 * (1 - 0.145))


def test_missing_quantiles_are_reported(quantiles):
    thin = quantiles[quantiles["quantile"].isin([0.05, 0.5, 0.95])]
    with pytest.raises(ValueError, match="lacks"):
        fan_chart(thin, "tianjin", "GDP", "riksbank")


def test_multi_panel_figure(quantiles, baseline):
    fig = fan_figure(
        quantiles,
        [("tianjin", "GDP"), ("binhai", "Emissions|CO2"), ("dongli", "GDP")],
        "norges",
        baseline.targets,
        n_draws=120,
    )
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    assert {ax.get_title() for ax in visible} == {
        "GDP, Tianjin",
        "CO2 emissions, Binhai New Area",
        "GDP, Dongli District",
    }
    plt.close(fig)


def test_multi_panel_fans_are_a_variables_by_regions_grid_with_one_legend(quantiles, baseline):
    panels = [(r, v) for r in ("tianjin", "binhai", "dongli") for v in ("GDP", "Emissions|CO2", "Energy Intensity|GDP")]
    fig = fan_figure(quantiles, panels, "boe", baseline.targets, n_draws=120, seed=4)
    grid = [ax for ax in fig.axes if ax.get_visible()]
    assert len(grid) == 9
    rows = {}
    for ax in grid:  # one row per variable, one column per region
        spec = ax.get_subplotspec()
        rows.setdefault(spec.rowspan.start, set()).add(ax.get_title().split(",")[0])
    assert [sorted(v) for _, v in sorted(rows.items())] == [["GDP"], ["CO2 emissions"], ["Energy intensity of GDP"]]
    assert all(ax.get_legend() is None for ax in grid) and len(fig.legends) == 1
    w, h = fig.get_size_inches()
    assert w <= 11.7 and h <= 8.3  # fits a landscape A4 page
    captions = [t.get_text() for t in fig.texts if "Shaded bands" in t.get_text()]
    assert len(captions) == 1 and not any("Shaded bands" in t.get_text() for ax in grid for t in ax.texts)
    plt.close(fig)


def test_cli_fan_writes_picture_and_quantile_table(tmp_path, capsys):
    out = tmp_path / "co2.svg"
    assert (
        main(
            [
                "fan",
                "scenarios/plan_14th_fyp.yaml",
                "--draws",
                "60",
                "--seed",
                "2",
                "--variable",
                "Emissions|CO2",
                "--region",
                "tianjin",
                "--preset",
                "riksbank",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.is_file() and out.read_text().lstrip().startswith("<?xml")
    table = pd.read_csv(tmp_path / "co2.quantiles.csv")
    assert set(table["region"]) == {"tianjin"} and set(table["variable"]) == {"Emissions|CO2"}
    assert {0.05, 0.125, 0.25, 0.5, 0.75, 0.875, 0.95} <= set(table["quantile"].round(6))


def test_cli_targets_probabilities(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    assert main(["targets", "scenarios/plan_14th_fyp.yaml", "--draws", "40", "--seed", "1", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    projected = table[table["status"] == "projected"]
    assert projected["probability"].between(0, 1).all() and len(projected) > 40
    assert table[table["status"] == "imposed"]["probability"].isna().all()
    assert "probability of meeting" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--region", "nowhere", "unknown region 'nowhere'"),
        ("--variable", "GDP|Nowhere", "is not a result variable"),
        ("--out", "fan.txt", "expected a .png, .svg or .pdf"),
    ],
)
def test_cli_fan_rejects_bad_arguments_before_drawing(tmp_path, capsys, monkeypatch, flag, value, message):
    import simcore.experiments.montecarlo

    def no_draws(*args, **kwargs):
        raise AssertionError("the Monte Carlo ran before the arguments were checked")

    monkeypatch.setattr(simcore.experiments.montecarlo, "monte_carlo", no_draws)
    args = {"--region": "tianjin", "--variable": "GDP", "--out": str(tmp_path / "fan.png")}
    args[flag] = value if flag != "--out" else str(tmp_path / value)
    argv = ["fan", "scenarios/plan_14th_fyp.yaml", "--draws", "10"] + [x for kv in args.items() for x in kv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_waterfall_labels_start_end_and_total_and_clips_nothing(baseline):
    from simcore.analysis.decompose import decompose_run
    from simcore.plotting import waterfall

    table = decompose_run("scenarios/plan_14th_fyp.yaml", baseline)
    for region in ("tianjin", "ziya"):  # the largest and one of the smallest emitters
        fig, ax = plt.subplots()
        waterfall(table, region, 2035, ax=ax)
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == "2020" and ticks[-2] == "2035" and ticks[-1] == "total change"
        texts = [t for t in ax.texts]
        assert len(texts) == len(ticks) and not any(t.get_text() in ("+0.0", "-0.0") for t in texts)
        low, high = ax.get_ylim()
        for patch in ax.patches:  # every bar inside the axis
            y0, y1 = sorted((patch.get_y(), patch.get_y() + patch.get_height()))
            assert low <= y0 and y1 <= high
        assert all(low <= t.get_position()[1] < high for t in texts)
        part = table[(table["region"] == region) & (table["end"] == 2035)].set_index("term")["value"]
        total = part["CO2 end"] - part["CO2 start"]
        assert texts[-1].get_text().lstrip("+") == f"{total:.3g}".lstrip("+") or float(
            texts[-1].get_text()
        ) == pytest.approx(total, rel=5e-3)
        plt.close(fig)


def test_sobol_figure_shows_s1_and_st_within_zero_and_one():
    from simcore.plotting import sensitivity_figure

    indices = pd.DataFrame(
        {
            "output": ["tianjin:GDP:2035"] * 2,
            "parameter": ["exports.growth", "tfp"],
            "S1": [0.7, -0.02],
            "S1_conf": [0.4, 0.05],
            "ST": [0.95, 0.03],
            "ST_conf": [0.3, 0.04],
        }
    )
    fig = sensitivity_figure(indices)
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, 1.0)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["S1 (first order)", "ST (total)"]
    bars = [p for p in ax.patches]
    assert len(bars) == 4 and all(0 <= p.get_width() <= 1 for p in bars)
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert len(segments) == 4  # one interval per bar, each inside [0, 1]
    assert all((seg[:, 0] >= 0).all() and (seg[:, 0] <= 1).all() for seg in segments)
    plt.close(fig)
    morris = pd.DataFrame(
        {"output": ["o"] * 2, "parameter": ["a", "b"], "mu": [1, -2], "mu_star": [1.0, 2.0], "sigma": [0.5, 3.0]}
    )
    fig = sensitivity_figure(morris)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("mu*") and ax.get_ylabel().startswith("sigma")
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b"]
    plt.close(fig)


def test_fan_chart_reads_as_a_briefing_chart(quantiles, baseline):
    from simcore import run

    central = run("scenarios/plan_14th_fyp.yaml", baseline=baseline).series("dongli", "GDP")
    ax = fan_chart(quantiles, "dongli", "GDP", "boe", baseline.targets, central=central)
    assert ax.get_title() == "GDP, Dongli District"  # the codelist's display name
    assert ax.get_ylabel() == "100 million CNY (2020 prices)"
    assert [int(t) for t in ax.get_xticks()] == [2020, 2025, 2030, 2035]
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1  # outside the data area
    dashed = [line for line in ax.lines if line.get_label() == "central run"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[-1] == pytest.approx(central[2035])
    assert "central run" in ax.texts[-1].get_text()
    plt.close("all")


def test_cli_fan_draws_a_sector_variable(tmp_path, capsys):
    out = tmp_path / "steel.png"
    argv = ["fan", "scenarios/plan_14th_fyp.yaml", "--variable", "Value Added|Steel", "--region", "tianjin"]
    assert main(argv + ["--draws", "40", "--seed", "2", "--out", str(out)]) == 0
    table = pd.read_csv(tmp_path / "steel.quantiles.csv")
    assert set(table["variable"]) == {"Value Added|Steel"} and (table["value"] > 0).all()
    assert main(argv[:3] + ["Value Added|Stel", "--region", "tianjin", "--draws", "5", "--out", str(out)]) == 2
    assert "did you mean 'Value Added|Steel'" in capsys.readouterr().err


def test_fan_chart_draws_the_published_record_and_outturn(quantiles, baseline):
    from simcore.baseline.history import published_path

    wide = quantiles[(quantiles["region"] == "tianjin") & (quantiles["variable"] == "GDP")]
    start = float(wide[(wide["year"] == 2020) & (wide["quantile"].round(6) == 0.5)]["value"].iloc[0])
    history = published_path(baseline, "tianjin", "GDP", start)
    ax = fan_chart(quantiles, "tianjin", "GDP", "boe", baseline.targets, history=history)
    record = [line for line in ax.lines if line.get_label() == "published record"]
    outturn = [line for line in ax.lines if line.get_label() == "published outturn"]
    assert len(record) == 1 and len(outturn) == 1
    years, values = record[0].get_data()
    # Tianjin's published real growth: 2019 +4.8%, 2020 +1.5% (history.csv), chained back from 2020
    assert list(years) == [2018, 2019, 2020]
    assert values[1] == pytest.approx(start / 1.015) and values[0] == pytest.approx(start / 1.015 / 1.048)
    assert min(outturn[0].get_xdata()) == 2021 and ax.get_xlim()[0] == 2018
    assert int(ax.get_xticks()[0]) == 2018 and 2035 in [int(t) for t in ax.get_xticks()]
    assert "published record" in ax.texts[-1].get_text()
    plt.close("all")


def test_published_path_of_energy_intensity_chains_the_published_changes(baseline):
    from simcore.baseline.history import published_path

    path = published_path(baseline, "tianjin", "Energy Intensity|GDP", 1.0).set_index("year")["value"]
    assert list(path.index) == [2015, 2016, 2017, 2018, 2019, 2020]
    assert path[2019] == pytest.approx(1 / (1 - 0.0307)) and path[2015] > path[2019] > path[2020] == 1.0
    assert published_path(baseline, "jinnan", "Energy Intensity|GDP", 1.0).empty


def test_published_path_draws_the_deflated_outturn_as_published(baseline):
    from simcore.baseline.history import load_history, published_path

    hist = load_history(baseline)
    real = hist[(hist["region"] == "binhai") & (hist["variable"] == "GDP|2020 prices")].set_index("year")["value"]
    path = published_path(baseline, "binhai", "GDP", 6000.0).set_index("year")["value"]
    assert set(real.index) <= set(path.index) and path[real.index].tolist() == real.tolist()
    assert path[2020] == 6000.0 and path[2019] == pytest.approx(6000.0 / 1.023)  # chained before 2020


def test_growth_targets_are_scored_on_the_median_growth_and_drawn_as_a_path(quantiles, baseline):
    ax = fan_chart(quantiles, "binhai", "GDP", "boe", baseline.targets)
    wide = quantiles[(quantiles["region"] == "binhai") & (quantiles["variable"] == "GDP")]
    median = wide[wide["quantile"].round(6) == 0.5].set_index("year")["value"]
    growth = 100 * ((median[2025] / median[2020]) ** (1 / 5) - 1)
    notes = [" ".join(t.get_text().split()) for t in ax.texts]
    notes = [note for note in notes if note.startswith(">= 6.5% a year to 2025")]
    assert len(notes) == 1 and "(Binhai New Area plan)" in notes[0]
    assert notes[0].endswith(": met" if growth >= 6.5 else ": missed")
    dotted = [line for line in ax.lines if line.get_linestyle() == ":" and len(line.get_xdata()) == 2]
    assert any(list(line.get_xdata()) == [2020, 2025] for line in dotted)
    # GDP level targets are stated at current prices: not drawn on an axis at 2020 prices
    nominal = baseline.targets[
        (baseline.targets["region"] == "binhai")
        & (baseline.targets["variable"] == "GDP")
        & (baseline.targets["basis"] == "level")
    ]
    assert (nominal["price_basis"] == "nominal").all()
    assert not any(t.get_text().startswith(">=") and "100 million" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_chinese_fan_chart_uses_the_codelist_names_and_a_cjk_font(quantiles, baseline, tmp_path, require_cjk):
    import warnings

    from simcore.plotting import chart_language

    with chart_language("zh") as lang:
        assert lang == "zh"
        ax = fan_chart(quantiles, "binhai", "Emissions|CO2", "riksbank", baseline.targets, n_draws=120)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ax.figure.savefig(tmp_path / "zh.png", dpi=60)
    assert ax.get_title() == "滨海新区二氧化碳排放"  # regions.csv name_zh, variables.csv name_zh
    assert ax.get_ylabel() == "百万吨二氧化碳/年" and ax.get_xlabel() == "年份"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "模拟路径中位数" in labels and "90%区间" in labels
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert "CJK" in ax.title.get_fontproperties().get_name() or ax.title.get_fontfamily()[0] != "DejaVu Sans"
    plt.close("all")


def test_chinese_charts_fall_back_to_english_with_a_warning_without_a_cjk_font(quantiles, monkeypatch, caplog):
    import simcore.plotting as plotting

    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    with caplog.at_level("WARNING", logger="simcore"), plotting.chart_language("zh") as lang:
        ax = fan_chart(quantiles, "tianjin", "GDP", "boe")
    assert lang == "en" and ax.get_title() == "GDP, Tianjin"
    assert "no CJK font" in caplog.text and "fonts-noto-cjk" in caplog.text
    plt.close("all")


def test_every_registry_variable_has_display_names(baseline):
    from simcore.labels import variable_label
    from simcore.model.variables import variable_names

    for name in variable_names(baseline):
        english, chinese = variable_label(name, "en"), variable_label(name, "zh")
        assert english != name or "|" not in name, name
        assert chinese != name and not any(c.isascii() and c.isalpha() for c in chinese.replace("CO2", "")), name


def test_every_chart_speaks_chinese_under_chart_language(baseline, require_cjk):
    from simcore import run
    from simcore.analysis.decompose import decompose_run
    from simcore.plotting import chart_language, scenario_comparison, sector_structure, waterfall

    central = run("scenarios/plan_14th_fyp.yaml", baseline=baseline).table
    sectors = ["Value Added|Primary", "Value Added|Secondary", "Value Added|Tertiary"]
    with chart_language("zh"):
        fig = sector_structure(central, ["tianjin", "dongli"], sectors)
        assert [ax.get_title() for ax in fig.axes[:2]] == ["天津市", "东丽区"]
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["第一产业", "第二产业", "第三产业"]
        assert fig.axes[0].get_ylabel() == "亿元(2020年价格)"
        fig = scenario_comparison(central, "tianjin", ["GDP", "Emissions|CO2"])
        assert fig._suptitle.get_text() == "情景比较:天津市"
        assert [ax.get_title() for ax in fig.axes] == ["地区生产总值", "二氧化碳排放"]
        fig, ax = plt.subplots()
        waterfall(decompose_run("scenarios/plan_14th_fyp.yaml", baseline), "dongli", 2035, ax=ax)
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[1:6] == ["人口", "人均地区生产总值", "产业结构", "能耗强度", "能源碳强度"]
        assert ticks[-1] == "合计变化" and ax.get_title().startswith("二氧化碳排放变化 2020-2035 年:东丽区")
    plt.close("all")


def test_cli_fan_in_chinese_writes_the_picture(tmp_path, capsys, require_cjk):
    out = tmp_path / "fan_zh.svg"
    argv = ["fan", "scenarios/plan_14th_fyp.yaml", "--variable", "Emissions|CO2", "--region", "tianjin"]
    assert main(argv + ["--draws", "30", "--seed", "3", "--lang", "zh", "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert 'id="NotoSansCJK' in svg or "CJK" in svg  # the glyphs come from the CJK font
    assert not list(tmp_path.glob("*.tmp*"))
    with pytest.raises(SystemExit):
        main(argv + ["--draws", "5", "--lang", "fr", "--out", str(out)])
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def _contrast(a, b) -> float:
    """WCAG contrast ratio of two colours."""
    from matplotlib.colors import to_rgb

    def luminance(colour):
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in to_rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("preset", ["boe", "riksbank", "norges"])
def test_fan_presets_have_distinguishable_bands_and_a_haloed_median(quantiles, preset):
    p = PRESETS[preset]
    shades = ["#ffffff", *p.colours]  # widest band on white, then each band on the one around it
    assert all(_contrast(a, b) >= 1.25 for a, b in zip(shades, shades[1:]))
    assert _contrast(p.line, "#ffffff") >= 7  # the median line on the white halo drawn under it
    ax = fan_chart(quantiles, "tianjin", "GDP", preset)
    median = next(line for line in ax.lines if line.get_label() == "median of the draws")
    (stroke,) = median.get_path_effects()
    assert stroke._gc["foreground"] == "white" and stroke._gc["linewidth"] > median.get_linewidth()
    plt.close("all")


def test_a_target_beyond_the_horizon_is_left_out_without_shifting_the_others(quantiles, baseline):
    from simcore.plotting import fan_targets

    median = quantiles[(quantiles["region"] == "binhai") & (quantiles["variable"] == "GDP")]
    median = median[median["quantile"].round(6) == 0.5].set_index("year")["value"]
    rows = baseline.targets[(baseline.targets["region"] == "binhai") & (baseline.targets["variable"] == "GDP")]
    beyond = rows[rows["basis"] == "avg_growth"].assign(year=2040, value=99.0)
    shown = fan_targets(pd.concat([beyond, rows]), "binhai", "GDP", median)
    assert [(p["year"], p["label"].split(" (")[0]) for p in shown] == [(2025, ">= 6.5% a year to 2025")]
