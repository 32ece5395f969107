"""``simcore report``: the HTML page (parsed, and loaded in headless Chromium where it is installed), the
workbook against ``simcore.run``, the checks made before anything runs, and the two new charts."""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import simcore  # noqa: E402
from simcore.cli import main  # noqa: E402
from simcore.report import FILES  # noqa: E402
from simcore.report.html import SECTIONS  # noqa: E402

PLAN = "scenarios/plan_14th_fyp.yaml"
BASE = "scenarios/baseline.yaml"
DRAWS, SEED = 40, 3
FIGURES = 6 + 2 + 1 + 1  # fans (2 regions x 3 indicators), comparisons (one a region), sectors, decomposition


class Page(HTMLParser):
    """What a reader's browser would meet: headings, tables (rows of cell texts), figures, every URL."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.images: list[dict] = []
        self.svgs = 0
        self.scripts: list[dict] = []
        self.urls: list[str] = []
        self._heading: str | None = None
        self._text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "data", "poster"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "svg":
            self.svgs += 1
        elif tag == "script":
            self.scripts.append(attrs)

    def handle_endtag(self, tag):
        if tag == self._heading:
            self.headings.append((tag, "".join(self._text).strip()))
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._heading:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "plan"
    code = main(["report", PLAN, "--compare", BASE, "--draws", str(DRAWS), "--seed", str(SEED), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def central(baseline):
    return simcore.run(PLAN, baseline=baseline), simcore.run(BASE, baseline=baseline)


@pytest.mark.slow
def test_the_report_is_the_two_files(report_dir):
    assert sorted(p.name for p in report_dir.iterdir()) == sorted(FILES)  # no staging folder left behind


@pytest.mark.slow
def test_every_section_and_the_header(report_dir, baseline):
    page = parse(report_dir / "report.html")
    h2 = [text for tag, text in page.headings if tag == "h2"]
    assert h2 == list(SECTIONS.values())
    assert ("h1", "Scenario report: plan_14th_fyp") in page.headings
    header = {row[0]: row[1] for row in page.tables[0]}
    assert header["simcore version"] == simcore.__version__
    assert header["Baseline checksum"] == baseline.checksum
    assert header["Monte Carlo draws"] == str(DRAWS) and header["Seed"] == str(SEED)
    assert header["Compared with"] == "baseline"
    assert header["Regions of the figures"] == "Tianjin, Binhai New Area"  # the default of --region
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", header["Created"])
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "14th FYP: the seeds" in text  # the scenario's description


@pytest.mark.slow
def test_headline_tables_have_the_four_years_every_region_and_the_run_values(report_dir, baseline, central):
    page = parse(report_dir / "report.html")
    h3 = [text for tag, text in page.headings if tag == "h3"]
    assert h3[:3] == [
        "GDP (100 million CNY (2020 prices))",
        "Energy intensity of GDP (tce per 10,000 CNY (2020 prices))",
        "CO2 emissions (Mt CO2/yr)",
    ]
    gdp, intensity, co2 = page.tables[1:4]
    for table in (gdp, intensity, co2):
        assert table[0][:5] == ["region", "2020", "2025", "2030", "2035"]
        assert [row[0] for row in table[1:]] == list(baseline.regions.names)
    plan = central[0]
    assert gdp[1][2] == f"{plan.value('tianjin', 'GDP', 2025):,.0f}"
    assert co2[2][4] == f"{plan.value('binhai', 'Emissions|CO2', 2035):,.2f}"
    assert intensity[5][1] == f"{plan.value('dongli', 'Energy Intensity|GDP', 2020):,.3f}"


@pytest.mark.slow
def test_the_scoreboard_counts_what_simcore_targets_prints(report_dir, capsys):
    page = parse(report_dir / "report.html")
    summary = next(t for t in page.tables if t[0][:4] == ["plan of", "met", "exceeded", "missed"])
    everything = dict(zip(summary[0], next(row for row in summary if row[0] == "all plans")))
    assert main(["targets", PLAN]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    found = re.search(r"of (\d+) projected targets (\d+) met, (\d+) exceeded, (\d+) missed; (\d+) imposed", line)
    projected, met, exceeded, missed, imposed = (int(x) for x in found.groups())
    assert (int(everything["met"]), int(everything["exceeded"]), int(everything["missed"])) == (met, exceeded, missed)
    assert int(everything["imposed"]) == imposed and met + exceeded + missed == projected
    statuses = {row[6] for t in page.tables if t[0][:2] == ["id", "indicator"] for row in t[1:]}
    assert {"met", "missed", "imposed"} <= statuses


@pytest.mark.slow
def test_every_figure_is_embedded_and_nothing_is_fetched(report_dir):
    path = report_dir / "report.html"
    page = parse(path)
    assert len(page.images) + page.svgs == FIGURES
    for image in page.images:
        src = image["src"]
        assert src.startswith("data:image/svg+xml;base64,")
        root = ET.fromstring(base64.b64decode(src.split(",", 1)[1]))
        assert root.tag.endswith("svg")
        assert image.get("alt")
    assert not [u for u in page.urls if re.match(r"\s*(https?:)?//", u, re.I)], "a URL that needs the network"
    assert all(u.startswith(("data:", "#")) for u in page.urls)
    assert page.scripts == []
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert "default-src 'none'" in text  # the page's CSP: a browser loads nothing it names


@pytest.mark.slow
def test_the_workbook_holds_the_same_tables(report_dir, baseline, central):
    import openpyxl

    book = openpyxl.load_workbook(report_dir / "report.xlsx", read_only=True)
    assert book.sheetnames == ["about", "headline", "targets", "comparison", "sectors", "decomposition", "quantiles"]

    def rows(name):
        values = list(book[name].iter_rows(values_only=True))
        return [dict(zip(values[0], row)) for row in values[1:]]

    plan, trend = central
    headline = rows("headline")
    tianjin = next(r for r in headline if r["region_id"] == "tianjin" and r["indicator"] == "GDP")
    assert tianjin["2025"] == pytest.approx(plan.value("tianjin", "GDP", 2025), rel=1e-12)
    assert tianjin["unit"] == "100 million CNY (2020 prices)" and tianjin["region"] == "Tianjin"
    assert len(headline) == 3 * len(baseline.regions.ids)
    comparison = rows("comparison")
    row = next(
        r for r in comparison if (r["region_id"], r["indicator"], r["year"]) == ("binhai", "CO2 emissions", 2030)
    )
    assert row["baseline"] == pytest.approx(trend.value("binhai", "Emissions|CO2", 2030), rel=1e-12)
    assert row["plan_14th_fyp"] == pytest.approx(plan.value("binhai", "Emissions|CO2", 2030), rel=1e-12)
    assert row["plan_14th_fyp vs baseline %"] == pytest.approx(100 * (row["plan_14th_fyp"] / row["baseline"] - 1))
    assert len(rows("targets")) == len(baseline.targets)
    sectors = rows("sectors")
    for r in sectors:
        assert r["Primary"] + r["Secondary"] + r["Tertiary"] == pytest.approx(r["GDP"], rel=1e-9)
    decomposition = rows("decomposition")
    for r in decomposition:
        terms = ("Population", "GDP per Capita", "Structure", "Energy Intensity", "Carbon per Energy")
        assert sum(r[t] for t in terms) == pytest.approx(r["Total change"], abs=1e-9)
        assert r["CO2 start"] + r["Total change"] == pytest.approx(r["CO2 end"], abs=1e-9)
    quantiles = rows("quantiles")
    q = next(r for r in quantiles if (r["region_id"], r["indicator"], r["year"]) == ("tianjin", "GDP", 2035))
    assert q["q0.05"] <= q["q0.5"] <= q["q0.95"]
    about = {r["item"]: r["value"] for r in rows("about")}
    assert about["baseline checksum"] == baseline.checksum and about["draws"] == DRAWS


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _headless(browser: str, url: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom"]
    flags += ["--host-resolver-rules=MAP * ~NOTFOUND"]  # no network: any name lookup fails
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return subprocess.run([browser, *flags, url], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_page_loads_in_a_headless_browser_with_no_console_errors(request, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("SIMCORE_REQUIRE_BROWSER"):
            pytest.fail("SIMCORE_REQUIRE_BROWSER is set and neither chromium nor chromium-browser is on PATH")
        pytest.skip(
            "CHROMIUM NOT INSTALLED: the browser test of the report did not run (apt-get install chromium); "
            "only the parser checks ran"
        )
    page = request.getfixturevalue("report_dir") / "report.html"  # made only where a browser can load it
    done = _headless(browser, page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == [], console  # the page has no script: any console message is a fault (a CSP refusal, ...)
    dom = Page()
    dom.feed(done.stdout)
    assert [t for tag, t in dom.headings if tag == "h2"] == list(SECTIONS.values())
    assert len(dom.images) == FIGURES
    # every figure decodes: a copy of the page, allowed one inline script, counts the images the browser
    # decoded into the DOM
    text = page.read_text(encoding="utf-8").replace(
        "default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';"
    )
    probe = (
        "<script>window.addEventListener('load', () => document.body.setAttribute('data-decoded', "
        "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length))</script></body>"
    )
    copy = tmp_path / "probe.html"
    copy.write_text(text.replace("</body>", probe), encoding="utf-8")
    done = _headless(browser, copy.as_uri())
    found = re.search(r'data-decoded="(\d+)"', done.stdout)
    assert found and int(found.group(1)) == FIGURES, done.stderr[-2000:]


def test_the_arguments_are_checked_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", PLAN, "--compare", "scenarios/no_such.yaml", "--out", str(out)]) == 2
    assert "--compare scenarios/no_such.yaml: no such scenario file" in capsys.readouterr().err
    assert main(["report", PLAN, "--draws", "0", "--out", str(out)]) == 2
    assert "--draws 0: expected at least 1" in capsys.readouterr().err
    assert main(["report", PLAN, "--compare", PLAN, "--out", str(out)]) == 2
    assert "already the report's scenario" in capsys.readouterr().err
    assert main(["report", PLAN, "--out", str(tmp_path / "report.html")]) == 2
    assert "expected a folder" in capsys.readouterr().err
    assert main(["report", PLAN, "--region", "tianjin", "binhia", "--out", str(out)]) == 2
    assert "--region binhia: unknown region id; nearest: binhai" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["report", PLAN, "--out", str(a_file)]) == 2
    assert "is a file, expected a folder" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "report.html").exists()


def test_a_failure_while_writing_leaves_the_folder_as_it_was(tmp_path, baseline, monkeypatch):
    from simcore.report import build_report, write_report

    report = build_report(BASE, baseline=baseline)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("the old page")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("simcore.report.workbook.write_workbook", broken)
    with pytest.raises(OSError):
        write_report(report, out)
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]
    assert (out / "report.html").read_text() == "the old page"
    monkeypatch.undo()
    write_report(report, out)
    page = parse(out / "report.html")
    assert len(page.images) == 2  # no draws and nothing compared: sector structure and decomposition only
    assert "No Monte Carlo run" in (out / "report.html").read_text(encoding="utf-8")


def _two_scenarios(central):
    import pandas as pd

    return pd.concat([central[0].table, central[1].table], ignore_index=True)


def test_the_comparison_chart_draws_each_scenario_on_one_axis_per_variable(central):
    from simcore.plotting import scenario_comparison

    variables = ["GDP", "Energy Intensity|GDP", "Emissions|CO2"]
    fig = scenario_comparison(
        _two_scenarios(central), "tianjin", variables, labels={"GDP": "GDP"}, region_name="Tianjin"
    )
    axes = fig.axes
    assert len(axes) == 3
    for ax, variable in zip(axes, variables):
        assert [line.get_label() for line in ax.get_lines()] == ["plan_14th_fyp", "baseline"]
        assert list(ax.get_xticks()) == [2020, 2025, 2030, 2035]
        plan_line = ax.get_lines()[0]
        assert plan_line.get_ydata()[5] == pytest.approx(central[0].value("tianjin", variable, 2025))
    assert axes[0].get_title() == "GDP" and axes[0].get_ylabel() == "100 million CNY (2020 prices)"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["plan_14th_fyp", "baseline"]
    plt.close(fig)


def test_the_sector_chart_stacks_to_gdp(central):
    from simcore.plotting import sector_structure

    sectors = ["Value Added|Primary", "Value Added|Secondary", "Value Added|Tertiary"]
    fig = sector_structure(central[0].table, ["tianjin", "dongli"], sectors, labels={sectors[0]: "Primary"})
    ax = fig.axes[1]
    assert ax.get_title() == "Dongli District"  # regions.csv
    bars = ax.patches
    assert len(bars) == 3 * 4
    top_2030 = max(b.get_y() + b.get_height() for b in bars if math.isclose(b.get_x() + b.get_width() / 2, 2))
    assert top_2030 == pytest.approx(central[0].value("dongli", "GDP", 2030), rel=1e-9)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Primary", "Secondary", "Tertiary"]
    plt.close(fig)


def test_the_regions_of_the_figures_are_chosen(tmp_path, baseline, monkeypatch):
    """``--region dongli tianjin``: the fans, one comparison chart each and the waterfalls of those two, in
    that order; the tables keep every region."""
    import simcore.plotting as plotting

    drawn = {"fan": [], "comparison": [], "waterfall": []}

    def recording(name, real, region_of):
        def wrapper(*args, **kwargs):
            drawn[name].append(region_of(*args, **kwargs))
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(plotting, "fan_chart", recording("fan", plotting.fan_chart, lambda q, r, *a, **k: r))
    monkeypatch.setattr(
        plotting,
        "scenario_comparison",
        recording("comparison", plotting.scenario_comparison, lambda t, r, *a, **k: r),
    )
    monkeypatch.setattr(
        plotting, "waterfall_figure", recording("waterfall", plotting.waterfall_figure, lambda t, r: tuple(r))
    )
    out = tmp_path / "out"
    argv = ["report", BASE, "--compare", PLAN, "--draws", "8", "--seed", "1", "--region", "dongli", "tianjin"]
    assert main(argv + ["--out", str(out)]) == 0
    assert drawn["fan"] == ["dongli"] * 3 + ["tianjin"] * 3
    assert drawn["comparison"] == ["dongli", "tianjin"]
    assert drawn["waterfall"] == [("dongli", "tianjin")]
    page = parse(out / "report.html")
    alts = [image["alt"] for image in page.images]
    assert "scenario comparison, Dongli District" in alts and "scenario comparison, Tianjin" in alts
    assert len(page.images) == 6 + 2 + 1 + 1
    header = {row[0]: row[1] for row in page.tables[0]}
    assert header["Regions of the figures"] == "Dongli District, Tianjin"
    assert "--region dongli tianjin" in header["Command"]
    gdp = page.tables[1]
    assert [row[0] for row in gdp[1:]] == list(baseline.regions.names)  # the tables: every region


def test_the_report_fans_draw_the_published_record(baseline):
    from simcore.report import build_report

    report = build_report(PLAN, draws=20, seed=SEED, baseline=baseline)
    gdp = report.fan_history[("tianjin", "GDP")].set_index("year")["value"]
    assert gdp.index.min() == 2018 and gdp.index.max() >= 2023  # before 2020 and the outturn after
    start = report.fan_quantiles.query("region == 'tianjin' and variable == 'GDP' and year == 2020")
    assert gdp[2020] == pytest.approx(float(start[start["quantile"].round(6) == 0.5]["value"].iloc[0]))


def test_a_chinese_report_draws_its_figures_with_a_cjk_font(tmp_path, require_cjk):
    out = tmp_path / "zh"
    assert main(["report", PLAN, "--draws", "20", "--seed", str(SEED), "--lang", "zh", "--out", str(out)]) == 0
    import base64
    import re

    page = (out / "report.html").read_text(encoding="utf-8")
    figures = [base64.b64decode(m).decode("utf-8") for m in re.findall(r"data:image/svg\+xml;base64,([^\"]+)", page)]
    assert figures and all('id="NotoSansCJK' in svg for svg in figures)  # every figure's words in the CJK font
    parsed = parse(out / "report.html")
    assert len(parsed.images) + parsed.svgs >= 6  # fans, sectors and waterfalls
