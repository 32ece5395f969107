"""``simcore sectors`` (the sector table and stacked chart outside the report) and ``simcore gallery`` (every
picture drawn, the index naming each one and the command, the same seed giving the same files)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simcore  # noqa: E402
from simcore.cli import main  # noqa: E402
from simcore.report import gallery as g  # noqa: E402

PLAN = "scenarios/plan_14th_fyp.yaml"
GREEN = "scenarios/green_transition.yaml"
DRAWS, SEED, SAMPLES = 20, 2, 4
FILES = ["fan.png", "comparison.png", "sectors.png", "decomposition.png", "sensitivity.png"]


# ----------------------------------------------------------------------------------------- simcore sectors


def test_sectors_prints_and_writes_the_three_sectors_of_each_scenario(tmp_path, capsys, baseline):
    out, figure = tmp_path / "out", tmp_path / "sectors.svg"
    argv = ["sectors", PLAN, "--compare", GREEN, "--region", "dongli", "tianjin", "--out", str(out)]
    assert main(argv + ["--figure", str(figure)]) == 0
    printed = capsys.readouterr().out
    assert "Value added by broad sector" in printed and "Dongli District" in printed
    table = pd.read_csv(out / "sectors.csv")
    assert list(table["scenario"].unique()) == ["plan_14th_fyp", "green_transition"]
    assert list(table["region_id"].unique()) == ["dongli", "tianjin"]  # the order asked for
    assert sorted(table["year"].unique()) == [2020, 2025, 2030, 2035]
    assert (table["Primary"] + table["Secondary"] + table["Tertiary"]).to_numpy() == pytest.approx(table["GDP"])
    assert (table[["Primary %", "Secondary %", "Tertiary %"]].sum(axis=1)).to_numpy() == pytest.approx(100.0)
    plan = simcore.run(PLAN, baseline=baseline)
    row = table[(table["scenario"] == "plan_14th_fyp") & (table["region_id"] == "dongli") & (table["year"] == 2030)]
    assert float(row["Secondary"].iloc[0]) == pytest.approx(plan.value("dongli", "Value Added|Secondary", 2030))
    svg = figure.read_text()
    assert "Dongli District: plan_14th_fyp" in svg and "Tianjin: green_transition" in svg


def test_sectors_defaults_to_every_region_in_tree_order(tmp_path, baseline):
    out = tmp_path / "out"
    assert main(["sectors", PLAN, "--out", str(out)]) == 0
    table = pd.read_csv(out / "sectors.csv")
    assert list(table["region_id"].unique()) == list(baseline.regions.ids)
    assert set(table["scenario"]) == {"plan_14th_fyp"}


def test_sectors_checks_its_arguments_before_running(tmp_path, capsys):
    assert main(["sectors", PLAN, "--region", "dongngli"]) == 2
    assert "--region dongngli: unknown region id; nearest: dongli" in capsys.readouterr().err
    assert main(["sectors", PLAN, "--figure", str(tmp_path / "chart.txt")]) == 2
    assert "expected a .png, .svg or .pdf file" in capsys.readouterr().err
    assert main(["sectors", PLAN, "--compare", "scenarios/no_such.yaml"]) == 2
    assert "--compare scenarios/no_such.yaml: no such scenario file" in capsys.readouterr().err
    assert main(["sectors", PLAN, "--compare", PLAN]) == 2
    assert "already that of" in capsys.readouterr().err
    assert not (tmp_path / "chart.txt").exists()


def test_the_sector_comparison_puts_a_region_of_every_scenario_on_one_scale(baseline):
    from simcore.plotting import sector_comparison

    both = pd.concat([simcore.run(PLAN, baseline=baseline).table, simcore.run(GREEN, baseline=baseline).table])
    sectors = ["Value Added|Primary", "Value Added|Secondary", "Value Added|Tertiary"]
    fig = sector_comparison(both, ["binhai", "ziya"], sectors, region_names={"binhai": "Binhai"})
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [
        "Binhai: plan_14th_fyp",
        "Binhai: green_transition",
        "Ziya ETDZ circular-economy park: plan_14th_fyp",  # regions.csv where no name is given
        "Ziya ETDZ circular-economy park: green_transition",
    ]
    assert axes[0].get_ylim() == axes[1].get_ylim() and axes[2].get_ylim() == axes[3].get_ylim()
    assert axes[0].get_ylim() != axes[2].get_ylim()
    plt.close(fig)


# ----------------------------------------------------------------------------------------- simcore gallery


@pytest.fixture(scope="module")
def cli_gallery(tmp_path_factory):
    out = tmp_path_factory.mktemp("gallery") / "g"
    argv = ["gallery", "--out", str(out), "--draws", str(DRAWS), "--seed", str(SEED), "--samples", str(SAMPLES)]
    assert main(argv + ["-q"]) == 0
    return out


@pytest.fixture(scope="module")
def entries():
    return g.draw_gallery(DRAWS, SEED, SAMPLES)


def test_the_gallery_writes_every_picture_and_an_index_that_shows_each(cli_gallery):
    assert sorted(p.name for p in cli_gallery.iterdir()) == sorted(FILES + ["README.md"])
    index = (cli_gallery / "README.md").read_text()
    command = f"simcore gallery --out {cli_gallery.as_posix()} --draws {DRAWS} --seed {SEED} --samples {SAMPLES}"
    assert command in index
    shown = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", index)
    assert shown == FILES
    for name in FILES:
        data = (cli_gallery / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 200_000
        block = index.split(f"]({name})", 1)[1].split("\n## ", 1)[0]
        assert f"Regenerated by `{command}`" in block and "the same chart on its own: `simcore " in block


def test_the_gallery_draws_what_its_captions_say(entries):
    by_file = {e.file: e for e in entries}
    assert list(by_file) == FILES
    fan = [ax for ax in by_file["fan.png"].figure.axes if ax.get_visible()]
    assert len(fan) == 6  # GDP, energy intensity and CO2 of Tianjin and Binhai
    assert sum("Tianjin" in ax.get_title() for ax in fan) == 3
    assert sum("Binhai New Area" in ax.get_title() for ax in fan) == 3
    assert f"{DRAWS} draws, seed {SEED}" in by_file["fan.png"].caption
    legend = [t.get_text() for t in by_file["comparison.png"].figure.legends[0].get_texts()]
    assert legend == ["plan_14th_fyp", "baseline", *[p.split("/")[1][:-5] for p in g.green_scenarios()]]
    assert "green_transition" in legend
    sectors = [ax for ax in by_file["sectors.png"].figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in sectors] == list(simcore.load_baseline().regions.names)
    assert len(by_file["decomposition.png"].figure.axes) == 4  # two regions x two periods
    sobol = by_file["sensitivity.png"].figure.axes
    assert [ax.get_title() for ax in sobol] == ["tianjin:Emissions|CO2:2035", "binhai:GDP:2025"]
    assert f"{SAMPLES * 7} runs" in by_file["sensitivity.png"].caption


def test_the_same_seed_gives_the_same_files(entries, cli_gallery, tmp_path):
    command = f"simcore gallery --out {cli_gallery.as_posix()} --draws {DRAWS} --seed {SEED} --samples {SAMPLES}"
    written = g.write_gallery(entries, tmp_path / "again", command)
    assert [p.name for p in written.files] == FILES + ["README.md"]
    for path in written.files:
        assert path.read_bytes() == (cli_gallery / path.name).read_bytes(), path.name


def test_the_gallery_checks_its_arguments(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["gallery", "--out", str(out), "--draws", "0"]) == 2
    assert "--draws 0: expected an integer of at least 1" in capsys.readouterr().err
    assert main(["gallery", "--out", str(out), "--samples", "1"]) == 2
    assert "--samples 1: expected an integer of at least 2" in capsys.readouterr().err
    assert not out.exists()


def test_the_committed_gallery_shows_every_picture_with_its_command():
    folder = g.REPO / "docs" / "gallery"
    index = (folder / "README.md").read_text()
    command = g.gallery_command("docs/gallery", g.DEFAULT_DRAWS, g.DEFAULT_SEED, g.DEFAULT_SAMPLES)
    assert f"    {command}\n" in index
    assert re.findall(r"!\[[^\]]+\]\(([^)]+)\)", index) == FILES
    for name in FILES:
        data = (folder / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 200_000, name
