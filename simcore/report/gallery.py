"""The gallery (``simcore gallery``): the main charts of simcore drawn from the shipped scenarios as PNGs,
with an index ``README.md`` that shows each one, says what it holds and gives the command that redrew it.

:func:`draw_gallery` draws the figures (it runs the model: central runs, a small Monte Carlo, a CO2
decomposition and a small Sobol' design); :func:`write_gallery` writes them and the index as one atomic set;
:func:`make_gallery` does both.  The same seed gives the same pictures.  ``docs/gallery/`` is made by

    simcore gallery --out docs/gallery --draws 500 --seed 1
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from simcore.errors import ReportError
from simcore.report.content import FAN_PRESET, FIGURE_REGIONS, HEADLINE, SECTORS, YEARS

#: the repository of the shipped scenarios (the gallery's commands run in its root)
REPO = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/plan_14th_fyp.yaml"
TREND = "scenarios/baseline.yaml"
SWEEP = "scenarios/sweeps/plan_lhs.yaml"
COMPARISON_REGION = "tianjin"
DPI = 110
INDEX = "README.md"
DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_SAMPLES = 500, 1, 64

log = logging.getLogger("simcore")


@dataclass(frozen=True)
class Entry:
    """One picture of the gallery: its file, a heading, a one-line caption, a command that draws the same
    chart on its own (or the one whose output holds it), and the seconds it took to make."""

    file: str
    title: str
    caption: str
    alone: str
    seconds: float = 0.0
    figure: object = field(default=None, repr=False, compare=False)  # the matplotlib Figure until written


@dataclass(frozen=True)
class Gallery:
    out: Path
    entries: tuple[Entry, ...]
    command: str

    @property
    def files(self) -> list[Path]:
        return [self.out / e.file for e in self.entries] + [self.out / INDEX]


def green_scenarios(root: Path = REPO) -> list[str]:
    """Every green scenario shipped (``scenarios/green*.yaml``), relative to the repository."""
    return [f"scenarios/{p.name}" for p in sorted((root / "scenarios").glob("green*.yaml"))]


def gallery_command(out, draws: int, seed: int, samples: int) -> str:
    return f"simcore gallery --out {Path(out).as_posix()} --draws {draws} --seed {seed} --samples {samples}"


def _quote(text: str) -> str:
    return f'"{text}"' if any(c in text for c in " |") else text


def draw_gallery(
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    samples: int = DEFAULT_SAMPLES,
    *,
    baseline_dir: str | None = None,
    progress: bool = False,
    root: Path = REPO,
) -> list[Entry]:
    """Draw every figure of the gallery; return the entries, each holding its Figure.

    ``draws`` Monte Carlo draws (seed ``seed``) give the fan charts, ``samples`` base samples of a Sobol'
    design over the levers of ``scenarios/sweeps/plan_lhs.yaml`` (``samples x 7`` runs, the same seed) the
    sensitivity figure.  Scenario files are read from ``root`` (the repository).
    """
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from simcore.analysis.decompose import decompose_run
    from simcore.baseline.history import published_paths
    from simcore.baseline.tables import load_baseline
    from simcore.experiments.montecarlo import DEFAULT_QUANTILES, KEY_VARIABLES, monte_carlo
    from simcore.experiments.sensitivity import DEFAULT_OUTPUTS, sensitivity
    from simcore.plotting import (
        fan_figure,
        required_quantiles,
        scenario_comparison,
        sector_comparison,
        sensitivity_figure,
        waterfall_figure,
    )
    from simcore.results.run import run

    for name, value, least in (("--draws", draws, 1), ("--samples", samples, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ReportError(f"{name} {value!r}: expected an integer of at least {least}")
    missing = [p for p in (SCENARIO, TREND, SWEEP) if not (root / p).is_file()]
    if missing:
        raise ReportError(f"the gallery draws the shipped scenarios; not found under {root}: {', '.join(missing)}")
    b = load_baseline(baseline_dir)
    names = dict(zip(b.regions.ids, b.regions.names))
    regions = list(FIGURE_REGIONS)
    compared = [SCENARIO, TREND, *green_scenarios(root)]
    entries = []

    def done(entry: Entry, started: float) -> None:
        seconds = time.perf_counter() - started
        entries.append(Entry(entry.file, entry.title, entry.caption, entry.alone, seconds, entry.figure))
        log.info(f"gallery: {entry.file} in {seconds:.1f} s")

    started = time.perf_counter()
    plan = run(root / SCENARIO, baseline=b)
    scenario = plan.provenance["scenario"]
    mc = monte_carlo(root / SCENARIO, draws=draws, seed=seed, baseline=b, progress=progress, variables=KEY_VARIABLES)
    q = tuple(sorted(set(DEFAULT_QUANTILES) | set(required_quantiles(FAN_PRESET))))
    panels = [(r, v) for r in regions for v in HEADLINE]
    central = {(r, v): plan.series(r, v) for r, v in panels}
    quantiles = mc.quantiles(q)
    history = published_paths(b, quantiles, panels)
    fig = fan_figure(
        quantiles, panels, FAN_PRESET, b.targets, n_draws=mc.n_draws, seed=mc.seed, central=central, history=history
    )
    variables = " ".join(_quote(v) for v in HEADLINE)
    done(
        Entry(
            "fan.png",
            "Fan charts",
            f"Monte Carlo fan charts of GDP, energy intensity and CO2 for {names['tianjin']} and the "
            f"{names['binhai']} under {scenario} ({mc.n_draws:,} draws, seed {mc.seed}; Bank of England bands, "
            "dashed: the central run, black: the published record and outturn, diamonds: plan targets "
            "scored met or missed).",
            f"simcore fan {SCENARIO} --draws {draws} --seed {seed} --variable {variables} "
            f"--region {' '.join(regions)} --out fan.png",
            figure=fig,
        ),
        started,
    )

    started = time.perf_counter()
    runs = [plan.table] + [run(root / path, baseline=b).table for path in compared[1:]]
    both = pd.concat(runs, ignore_index=True)
    shown = list(dict.fromkeys(both["scenario"]))
    fig = scenario_comparison(both, COMPARISON_REGION, list(HEADLINE))
    done(
        Entry(
            "comparison.png",
            "Scenarios compared",
            f"GDP, energy intensity and CO2 of {names[COMPARISON_REGION]} in the central runs of {', '.join(shown)}.",
            f"simcore report {SCENARIO} --compare {' '.join(compared[1:])} --out DIR  "
            "(the first chart of its Scenario comparison section)",
            figure=fig,
        ),
        started,
    )

    started = time.perf_counter()
    fig = sector_comparison(plan.table, list(b.regions.ids), list(SECTORS), YEARS)
    done(
        Entry(
            "sectors.png",
            "Sector structure",
            f"Value added of the primary, secondary and tertiary sectors of every region under {scenario} in "
            f"{', '.join(map(str, YEARS))}, stacked, each segment labelled with its share.",
            f"simcore sectors {SCENARIO} --figure sectors.png",
            figure=fig,
        ),
        started,
    )

    started = time.perf_counter()
    table = decompose_run(root / SCENARIO, b, regions=tuple(regions))
    fig = waterfall_figure(table, regions)
    done(
        Entry(
            "decomposition.png",
            "CO2 decomposition",
            f"Additive LMDI-I decomposition of the change in CO2 of {names['tianjin']} and the {names['binhai']} "
            f"under {scenario}, 2020-2025 and 2020-2035: population, GDP per capita, structure, energy "
            "intensity, carbon per unit of energy.",
            f"simcore decompose {SCENARIO} --region {' '.join(regions)} --out DIR  (DIR/decomposition.png)",
            figure=fig,
        ),
        started,
    )

    started = time.perf_counter()
    indices, design_runs = sensitivity(
        root / SWEEP, "sobol", samples, DEFAULT_OUTPUTS, seed, baseline_dir=baseline_dir, progress=progress
    )
    fig = sensitivity_figure(indices)
    done(
        Entry(
            "sensitivity.png",
            "Sobol' sensitivity",
            f"First-order and total Sobol' indices of {' and '.join(DEFAULT_OUTPUTS)} with respect to the five "
            f"levers of {SWEEP} ({len(design_runs)} runs, {samples} base samples, seed {seed}).",
            f"simcore sensitivity {SWEEP} --method sobol --samples {samples} --seed {seed} --out DIR  "
            "(DIR/sensitivity.png)",
            figure=fig,
        ),
        started,
    )
    return entries


def index_text(entries, command: str) -> str:
    """The gallery's ``README.md``: each picture with its caption and the commands that draw it."""
    from simcore import __version__

    lines = [
        "# Gallery",
        "",
        "The main charts of simcore, drawn from the shipped scenarios. Every picture here was made by",
        "",
        f"    {command}",
        "",
        f"run in the repository root (simcore {__version__}); the same command and seed redraw the same pictures.",
        "",
    ]
    for e in entries:
        lines += [
            f"## {e.title}",
            "",
            f"![{e.title}]({e.file})",
            "",
            e.caption,
            "",
            f"Regenerated by `{command}`; the same chart on its own: `{e.alone}`.",
            "",
        ]
    return "\n".join(lines)


def save_png(fig, path: Path) -> None:
    """``fig`` as a PNG of :data:`DPI` dots per inch in at most 256 colours (no dithering): a third of the
    size of matplotlib's RGBA file, and a chart's flat colours look the same."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, format="PNG", optimize=True)


def write_gallery(entries, out, command: str) -> Gallery:
    """Write each entry's figure as ``out/<file>`` (:func:`save_png`) and the index, all or nothing
    (:func:`~simcore.results.writer.atomic_files`); the figures are closed."""
    import matplotlib.pyplot as plt

    from simcore.results.writer import atomic_files

    out = Path(out)
    with atomic_files(out) as path_for:
        for e in entries:
            save_png(e.figure, path_for(e.file))
        path_for(INDEX).write_text(index_text(entries, command) + "\n", encoding="utf-8")
    for e in entries:
        plt.close(e.figure)
    return Gallery(out, tuple(entries), command)


def make_gallery(
    out: str | os.PathLike,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    samples: int = DEFAULT_SAMPLES,
    *,
    baseline_dir: str | None = None,
    progress: bool = False,
    command: str | None = None,
) -> Gallery:
    """Draw the gallery and write it into the folder ``out`` (see :func:`draw_gallery`); ``command`` is the
    command line the index names (default: ``simcore gallery`` with these arguments)."""
    entries = draw_gallery(draws, seed, samples, baseline_dir=baseline_dir, progress=progress)
    return write_gallery(entries, out, command or gallery_command(out, draws, seed, samples))
