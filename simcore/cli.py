"""The ``simcore`` command line.  Thin: every command calls the public API."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simcore import __version__
from simcore.errors import ScenarioError, SimcoreError

if TYPE_CHECKING:  # pandas is imported by the commands that need it: `simcore --help` stays fast
    import pandas as pd

SUMMARY_YEARS = (2020, 2025, 2035)
COMPARE_VARIABLES = (
    "GDP",
    "Value Added|Manufacturing",
    "Energy Consumption",
    "Energy Intensity|GDP",
    "Emissions|CO2",
    "Carbon Intensity|GDP",
)


def _print_baseline(table) -> None:
    cols = [
        "gdp",
        "primary_pct",
        "secondary_pct",
        "tertiary_pct",
        "manufacturing_pct",
        "fixed_investment",
        "energy",
        "energy_intensity",
        "co2",
        "gdp_quality",
        "investment_quality",
        "energy_quality",
    ]
    print(
        f"{'region':<16}{'GDP':>10}{'prim%':>7}{'sec%':>7}{'tert%':>7}{'mfg%':>7}{'FAI':>9}"
        f"{'energy':>9}{'EI':>7}{'CO2':>8}  quality (GDP / FAI / energy)"
    )
    for region, row in table[cols].iterrows():
        print(
            f"{region:<16}{row.gdp:>10,.1f}{row.primary_pct:>7.1f}{row.secondary_pct:>7.1f}"
            f"{row.tertiary_pct:>7.1f}{row.manufacturing_pct:>7.1f}{row.fixed_investment:>9,.1f}"
            f"{row.energy:>9,.0f}{row.energy_intensity:>7.3f}{row.co2:>8.2f}  "
            f"{row.gdp_quality} / {row.investment_quality} / {row.energy_quality}"
        )
    print("units: GDP and FAI 100 million CNY (2020 prices); energy 10^4 tce; EI tce per 10^4 CNY; CO2 Mt")


def summary_table(table: pd.DataFrame, regions: list[str] | None = None) -> pd.DataFrame:
    """GDP, energy intensity and CO2 in 2020 / 2025 / 2035 by region, with growth and changes."""
    import pandas as pd

    wide = table[table["year"].isin(SUMMARY_YEARS)].pivot_table(
        index=["region", "variable"], columns="year", values="value"
    )
    rows = []
    regions = regions or list(dict.fromkeys(table["region"]))
    for region in regions:
        g = wide.loc[(region, "GDP")]
        ei = wide.loc[(region, "Energy Intensity|GDP")]
        co2 = wide.loc[(region, "Emissions|CO2")]
        rows.append(
            {
                "region": region,
                "gdp_2020": g[2020],
                "gdp_2025": g[2025],
                "gdp_2035": g[2035],
                "growth_21_25": 100 * ((g[2025] / g[2020]) ** (1 / 5) - 1),
                "growth_26_35": 100 * ((g[2035] / g[2025]) ** (1 / 10) - 1),
                "ei_2020": ei[2020],
                "ei_2025": ei[2025],
                "ei_2035": ei[2035],
                "ei_change_25": 100 * (ei[2025] / ei[2020] - 1),
                "co2_2020": co2[2020],
                "co2_2025": co2[2025],
                "co2_2035": co2[2035],
            }
        )
    return pd.DataFrame(rows).set_index("region")


def _print_summary(summary: pd.DataFrame) -> None:
    print(f"{'':<16}{'GDP, 100 million CNY (2020 prices)':^51}{'energy intensity, tce/10^4 CNY':^33}{'CO2, Mt':^24}")
    print(
        f"{'region':<16}{'2020':>9}{'2025':>9}{'2035':>9}{'%/yr 21-25':>12}{'%/yr 26-35':>12}"
        f"{'2020':>8}{'2025':>8}{'2035':>8}{'25 vs 20':>9}{'2020':>8}{'2025':>8}{'2035':>8}"
    )
    for region, r in summary.iterrows():
        print(
            f"{region:<16}{r.gdp_2020:>9,.0f}{r.gdp_2025:>9,.0f}{r.gdp_2035:>9,.0f}{r.growth_21_25:>12.2f}"
            f"{r.growth_26_35:>12.2f}{r.ei_2020:>8.3f}{r.ei_2025:>8.3f}{r.ei_2035:>8.3f}"
            f"{r.ei_change_25:>8.1f}%{r.co2_2020:>8.2f}{r.co2_2025:>8.2f}{r.co2_2035:>8.2f}"
        )


def _overrides(args: argparse.Namespace) -> dict:
    from simcore.scenario.loader import parse_override

    return dict(parse_override(text) for text in (args.set or []))


def _baseline_dir(args: argparse.Namespace) -> str | None:
    return None if args.baseline is None else str(args.baseline.resolve())


def cmd_run(args: argparse.Namespace) -> int:
    from simcore.baseline.tables import load_baseline
    from simcore.results.run import run

    results = run(
        args.scenario, overrides=_overrides(args), backend=args.backend, baseline=load_baseline(args.baseline)
    )
    prov = results.provenance
    print(
        f"simcore {__version__} | scenario {prov['scenario']} | layers: {' <- '.join(prov['layers'])} | "
        f"baseline {prov['baseline_checksum'][:12]}"
    )
    _print_summary(summary_table(results.table, list(load_baseline(args.baseline).regions.ids)))
    if args.out is not None:
        from simcore.results.writer import atomic_files, stage_results

        targets = _target_report(args, results, load_baseline(args.baseline))
        with atomic_files(args.out) as path_for:  # results and target report together, or nothing
            names = stage_results(path_for, results.table, prov, "results") + ["targets.csv"]
            targets.to_csv(path_for("targets.csv"), index=False, float_format="%.10g")
        print("wrote " + ", ".join(str(args.out / name) for name in names))
    return 0


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    from simcore.results.writer import atomic_files

    with atomic_files(path.parent) as path_for:
        table.to_csv(path_for(path.name), index=False, float_format="%.10g")
    return path


def cmd_validate(args: argparse.Namespace) -> int:
    from simcore.baseline.tables import load_baseline
    from simcore.model.levers import validate

    baseline = load_baseline(args.baseline)
    status = 0
    for path in args.scenarios:
        issues = validate(path, overrides=_overrides(args), baseline=baseline)
        if issues:
            print(f"{path}: INVALID ({len(issues)} problem(s))", file=sys.stderr)
            for issue in issues:
                print(f"  {issue}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: ok")
    return status


def cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.baseline.tables import load_baseline
    from simcore.results.run import run

    baseline = load_baseline(args.baseline)
    if args.region not in baseline.regions.ids:
        raise SimcoreError(f"--region {args.region}: unknown; expected one of {', '.join(baseline.regions.ids)}")
    if args.figure is not None and args.figure.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise SimcoreError(f"--figure {args.figure}: expected a .png, .svg or .pdf file")
    first = run(args.a, backend=args.backend, baseline=baseline)
    second = run(args.b, backend=args.backend, baseline=baseline)
    a, b = first.provenance["scenario"], second.provenance["scenario"]
    table = compare_tables(
        first.table, second.table, years=tuple(args.years), names=(a, b), regions=tuple(baseline.regions.ids)
    )
    print(f"{b} minus {a} (difference and % of {a})")
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:,.3f}".format):
        print(table.to_string(index=False))
    if args.out is not None:
        print(f"wrote {_write_csv(table, args.out)}")
    if args.figure is not None:
        import matplotlib

        matplotlib.use("Agg")
        from simcore.plotting import region_label, scenario_comparison
        from simcore.results.writer import atomic_files

        both = pd.concat([first.table, second.table], ignore_index=True)
        if a == b:
            both["scenario"] = [f"{a} (1)"] * len(first.table) + [f"{b} (2)"] * len(second.table)
        fig = scenario_comparison(
            both, args.region, ["GDP", "Energy Intensity|GDP", "Emissions|CO2"], region_name=region_label(args.region)
        )
        with atomic_files(args.figure.parent) as path_for:
            fig.savefig(path_for(args.figure.name), dpi=150, bbox_inches="tight")
        print(f"wrote {args.figure}")
    return 0


def compare_tables(
    a: pd.DataFrame,
    b: pd.DataFrame,
    years=(2025, 2035),
    variables=COMPARE_VARIABLES,
    names: tuple[str, str] = ("a", "b"),
    regions: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Differences between two result tables for the key variables in the given years: one column per
    scenario (named by ``names``; equal names get `` (1)``/`` (2)``), then ``difference`` and ``percent``;
    rows by variable, then region in ``regions`` order (the region tree's, Tianjin first), then year."""
    first, second = names if names[0] != names[1] else (f"{names[0]} (1)", f"{names[1]} (2)")
    keys = ["region", "variable", "unit", "year"]
    pick = lambda t: t[t["variable"].isin(variables) & t["year"].isin(years)][keys + ["value"]]  # noqa: E731
    merged = pick(a).merge(pick(b), on=keys, suffixes=("_a", "_b"))
    merged = merged.rename(columns={"value_a": first, "value_b": second})
    merged["difference"] = merged[second] - merged[first]
    merged["percent"] = 100 * merged["difference"] / merged[first]
    order = {v: i for i, v in enumerate(variables)}
    merged["_order"] = merged["variable"].map(order)
    tree = {r: i for i, r in enumerate(regions or sorted(merged["region"].unique()))}
    merged["_region"] = merged["region"].map(tree)
    merged = merged.sort_values(["_order", "_region", "year"], kind="stable").drop(columns=["_order", "_region"])
    return merged.reset_index(drop=True)


def _kept_variables(extra, baseline) -> tuple[str, ...]:
    """The key variables plus ``extra`` ones (sector value added, ...), each checked against the registry."""
    import difflib

    from simcore.experiments.montecarlo import KEY_VARIABLES
    from simcore.model.variables import variable_names

    known = variable_names(baseline)
    out = list(KEY_VARIABLES)
    for name in extra or ():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; one of: {', '.join(known)}"
            raise SimcoreError(f"variable {name!r} is not a result variable{hint}")
        if name not in out:
            out.append(name)
    return tuple(out)


def _monte_carlo(args: argparse.Namespace, variables=None):
    from simcore.baseline.tables import load_baseline
    from simcore.experiments.montecarlo import KEY_VARIABLES, monte_carlo

    return monte_carlo(
        args.scenario,
        draws=args.draws,
        seed=args.seed,
        overrides=_overrides(args),
        baseline=load_baseline(args.baseline),
        chunk_size=args.chunk_size,
        progress=not getattr(args, "quiet", False),
        quantile_method=getattr(args, "quantile_method", "exact"),
        engine=getattr(args, "engine", "local"),
        scheduler=getattr(args, "scheduler", None),
        workers=getattr(args, "workers", 2),
        variables=variables or KEY_VARIABLES,
        failed_draws=getattr(args, "failed_draws", "error"),
        max_failed_share=getattr(args, "max_failed_share", 0.01),
    )


def _warn_failed(mc) -> None:
    """Say loudly that excluded draws make the quantiles conditional on the draws that completed."""
    import logging

    if mc.failures is None or not len(mc.failures):
        return
    first = mc.failures.iloc[0]
    logging.getLogger("simcore").warning(
        f"warning: {len(mc.failures)} of {mc.n_requested} draws failed and are excluded (first: draw {first['draw']} "
        f"in {first['year']}: {first['status']}); the quantiles are those of the {mc.n_draws} draws that completed"
    )


def cmd_mc(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.baseline.tables import load_baseline
    from simcore.experiments.montecarlo import DEFAULT_QUANTILES

    mc = _monte_carlo(args, variables=_kept_variables(args.variables, load_baseline(args.baseline)))
    q = tuple(args.quantiles) if args.quantiles else DEFAULT_QUANTILES
    print(f"{mc.scenario}: {mc.n_draws} draws, seed {mc.seed}, {mc.provenance['variants']} baseline variant(s)")
    _warn_failed(mc)
    if mc.sketch is not None:
        bound = mc.sketch.error_bound.reshape(mc.quantile_levels(q).shape[1:])
        g = mc.regions.index("tianjin")
        worst = {name: float(bound[mc.variables.index(name), g].max()) for name in ("GDP", "Emissions|CO2")}
        print(
            "quantiles from a sketch: each within one bin width of the exact value, e.g. "
            + ", ".join(f"{k} (tianjin) <= {v:.3g}" for k, v in worst.items())
        )
    table = mc.quantiles(q)
    key = table[
        (table["variable"].isin(("GDP", "Energy Intensity|GDP", "Emissions|CO2")))
        & table["year"].isin((2025, 2035))
        & (table["region"] == "tianjin")
    ]
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
        print(key.pivot_table(index=["variable", "year"], columns="quantile", values="value").to_string())
    if args.out is not None:
        paths = mc.write(args.out, q=q, keep_draws=args.keep_draws)
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def cmd_fan(args: argparse.Namespace) -> int:
    import matplotlib

    from simcore.baseline.tables import load_baseline

    matplotlib.use("Agg")
    from simcore.experiments.montecarlo import DEFAULT_QUANTILES
    from simcore.plotting import fan_figure, required_quantiles
    from simcore.results.writer import atomic_files

    # every argument is checked before the draws run
    out = args.out
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise SimcoreError(f"--out {out}: expected a .png, .svg or .pdf file")
    baseline = load_baseline(args.baseline)
    panels = [(r, v) for r in args.region for v in args.variable]
    for region, _variable in panels:
        if region not in baseline.regions.ids:
            raise SimcoreError(f"unknown region {region!r}; expected one of {', '.join(baseline.regions.ids)}")
    mc = _monte_carlo(args, variables=_kept_variables(args.variable, baseline))
    _warn_failed(mc)
    q = tuple(sorted(set(DEFAULT_QUANTILES) | set(required_quantiles(args.preset))))
    table = mc.quantiles(q)
    from simcore.results.run import run

    deterministic = run(args.scenario, overrides=_overrides(args), baseline=baseline)
    central = {(region, variable): deterministic.series(region, variable) for region, variable in panels}
    from simcore.baseline.history import published_paths

    history = published_paths(baseline, table, panels)
    fig = fan_figure(
        table,
        panels,
        args.preset,
        baseline.targets,
        n_draws=mc.n_draws,
        seed=mc.seed,
        central=central,
        history=history,
    )
    selected = table[table.set_index(["region", "variable"]).index.isin(panels)]
    quantile_path = out.with_name(out.stem + ".quantiles.csv")
    with atomic_files(out.parent) as path_for:
        fig.savefig(path_for(out.name), dpi=150, bbox_inches="tight")
        selected.to_csv(path_for(quantile_path.name), index=False, float_format="%.10g")
    print(f"wrote {out} and {quantile_path} ({mc.n_draws} draws, seed {mc.seed}, preset {args.preset})")
    return 0


def _target_report(args: argparse.Namespace, results, baseline) -> pd.DataFrame:
    """The target report of a deterministic run: imposed targets marked, outturns where published."""
    from simcore.analysis.targets import scored_targets
    from simcore.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, overrides=_overrides(args), baseline=baseline)
    return scored_targets(scenario, results, baseline)


def _filter_targets(table, args: argparse.Namespace, baseline):
    """``--region`` (the targets of those regions) and ``--modelled-only`` (drop "not modelled" rows); the
    printed table and ``--out`` both show what is kept, and say what was left out."""
    regions = getattr(args, "region", None)
    if regions:
        unknown = [r for r in regions if r not in baseline.regions.ids]
        if unknown:
            raise SimcoreError(
                f"--region {' '.join(unknown)}: unknown; expected one of {', '.join(baseline.regions.ids)}"
            )
        table = table[table["region"].isin(regions)]
    if getattr(args, "modelled_only", False):
        left = table["status"].astype(str).str.startswith("not modelled")
        print(f"(--modelled-only: {int(left.sum())} targets the model does not project are left out)")
        table = table[~left]
    return table


def cmd_targets(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.baseline.tables import load_baseline

    baseline = load_baseline(args.baseline)
    if args.draws:
        mc = _monte_carlo(args)
        _warn_failed(mc)
        from simcore.analysis.targets import attainment, imposed_targets
        from simcore.scenario.loader import load_scenario

        scenario = load_scenario(args.scenario, overrides=_overrides(args), baseline=baseline)
        table = attainment(baseline.targets, mc.get, imposed_targets(baseline.targets, scenario, baseline))
        print(f"{mc.scenario}: probability of meeting each plan target over {mc.n_draws} draws (seed {mc.seed})")
        cols = ["target_id", "region", "year", "comparison", "target", "median", "p05", "p95", "probability", "status"]
    else:
        from simcore.results.run import run

        results = run(args.scenario, overrides=_overrides(args), baseline=baseline)
        table = _target_report(args, results, baseline)
        counts = table["status"].value_counts()
        scored = int(counts.get("met", 0) + counts.get("exceeded", 0) + counts.get("missed", 0))
        unmodelled = int(table["status"].str.startswith("not modelled").sum())
        print(
            f"{results.provenance['scenario']}: of {scored} projected targets {int(counts.get('met', 0))} met, "
            f"{int(counts.get('exceeded', 0))} exceeded, {int(counts.get('missed', 0))} missed; "
            f"{int(counts.get('imposed', 0))} imposed by the scenario (not scored); {unmodelled} of "
            f"{len(table)} not modelled (reason in the status column)"
        )
        cols = ["target_id", "region", "year", "comparison", "target", "assessed", "gap", "status"]
    table = _filter_targets(table, args, baseline)
    with pd.option_context(
        "display.width",
        250,
        "display.max_rows",
        1000,
        "display.max_colwidth",
        60,
        "display.float_format",
        "{:,.3f}".format,
    ):
        for region, part in table.groupby("seed_region", sort=False):
            print(f"\n== {region}")
            shown = part[cols].copy()
            shown.insert(2, "indicator", part["indicator"].str.slice(0, 58))
            print(shown.to_string(index=False))
    if args.out is not None:
        print(f"wrote {_write_csv(table, args.out)}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from simcore.experiments.sweep import run_sweep

    store = run_sweep(
        args.sweep,
        args.out,
        engine=args.engine,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        baseline_dir=_baseline_dir(args),
    )
    done = "complete" if store.complete() else "incomplete"
    print(
        f"{store.sweep.spec.name}: {store.sweep.n_runs} runs in {store.sweep.n_chunks} chunks, {done}; "
        f"dataset {store.chunks} (runs.parquet, manifest.json beside it)"
    )
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    from simcore.experiments.sensitivity import DEFAULT_OUTPUTS, sensitivity
    from simcore.plotting import sensitivity_figure

    indices, runs = sensitivity(
        args.sweep,
        args.method,
        args.samples,
        tuple(args.output or DEFAULT_OUTPUTS),
        args.seed,
        baseline_dir=_baseline_dir(args),
        progress=not args.quiet,
    )
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
        print(indices.to_string(index=False))
    if args.out is not None:
        from simcore.results.writer import atomic_files

        with atomic_files(args.out) as path_for:
            indices.to_csv(path_for("sensitivity.csv"), index=False, float_format="%.10g")
            runs.to_csv(path_for("sensitivity_runs.csv"), index=False, float_format="%.10g")
            sensitivity_figure(indices).savefig(path_for("sensitivity.png"), dpi=150, bbox_inches="tight")
        print(f"wrote {args.out / 'sensitivity.csv'}, sensitivity_runs.csv, sensitivity.png")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.baseline.tables import load_baseline
    from simcore.experiments.bands import run_calibration

    result = run_calibration(
        args.scenario, args.fit_dir, args.scenario_out, args.report, load_baseline(args.baseline), vintage=args.vintage
    )
    with pd.option_context("display.width", 200, "display.float_format", "{:,.4f}".format):
        print(result.parameters[["name", "value", "low", "high", "at_bound"]].to_string(index=False))
        print()
        print(
            result.residuals[
                ["id", "region", "metric", "variable", "history", "model", "tolerance", "status"]
            ].to_string(index=False)
        )
    missed = int((result.residuals["status"] != "matched").sum())
    bound = int((result.parameters["at_bound"] != "").sum())
    print(
        f"\n{len(result.residuals) - missed} of {len(result.residuals)} history targets matched; "
        f"{bound} parameter(s) on a bound; vintage {result.vintage}; wrote {args.scenario_out}, "
        f"{args.fit_dir}/trend_*.csv, {args.report}"
    )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.baseline.tables import load_baseline
    from simcore.experiments.backtest import backtest

    bt = backtest(
        args.vintage,
        args.scenario,
        draws=args.draws,
        seed=args.seed,
        baseline=load_baseline(args.baseline),
        progress=not args.quiet,
    )
    written = bt.write(args.out)
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
        print(bt.summary.to_string(index=False))
    print(
        f"\nvintage {bt.vintage}: {len(bt.table)} published figures compared; wrote {len(written)} files to {args.out}"
    )
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from simcore.analysis.solve import solve
    from simcore.baseline.tables import load_baseline

    solution = solve(
        args.scenario,
        args.target,
        args.lever,
        bounds=tuple(args.bounds) if args.bounds else None,
        overrides=_overrides(args),
        baseline=load_baseline(args.baseline),
        period=args.period,
    )
    print(solution.summary())
    if args.write is not None:
        if not solution.found:
            raise SimcoreError("no solution to write")
        solution.write(args.write)
        print(f"wrote {args.write}")
    return 0 if solution.found else 1


def cmd_decompose(args: argparse.Namespace) -> int:
    import matplotlib
    import pandas as pd

    from simcore.baseline.tables import load_baseline

    matplotlib.use("Agg")
    from simcore.analysis.decompose import decompose_run
    from simcore.plotting import waterfall_figure

    baseline = load_baseline(args.baseline)
    table = decompose_run(args.scenario, baseline, overrides=_overrides(args), regions=tuple(args.region or ()))
    wide = table.pivot_table(index=["region", "end"], columns="term", values="value", sort=False)
    from simcore.model.variables import DECOMPOSITION_TERMS

    order = ["CO2 start", *DECOMPOSITION_TERMS, "Total change", "CO2 end"]
    with pd.option_context("display.width", 200, "display.float_format", "{:,.2f}".format):
        print(f"CO2 change decomposition (additive LMDI-I, Mt CO2), scenario {table['scenario'].iloc[0]}")
        print(wide[order].to_string())
    if args.out is not None:
        from simcore.results.writer import atomic_files

        regions = args.region or ["tianjin"]
        with atomic_files(args.out) as path_for:
            table.to_csv(path_for("decomposition.csv"), index=False, float_format="%.10g")
            waterfall_figure(table, regions).savefig(path_for("decomposition.png"), dpi=150, bbox_inches="tight")
        print(f"wrote {args.out / 'decomposition.csv'} and {args.out / 'decomposition.png'}")
    return 0


def _check_figure(option: str, path: Path | None) -> None:
    if path is not None and path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise SimcoreError(f"{option} {path}: expected a .png, .svg or .pdf file")


def cmd_sectors(args: argparse.Namespace) -> int:
    import time

    import pandas as pd

    from simcore.baseline.tables import load_baseline
    from simcore.report.content import SECTORS, YEARS, sector_table
    from simcore.results.run import run
    from simcore.scenario.loader import load_scenario

    # every argument is checked, and every scenario loaded, before anything runs
    baseline = load_baseline(args.baseline)
    regions = list(dict.fromkeys(args.region)) if args.region else list(baseline.regions.ids)
    unknown = baseline.regions.unknown(regions, "--region")
    if unknown:
        raise SimcoreError(unknown)
    _check_figure("--figure", args.figure)
    for other in args.compare or ():
        if not other.is_file():
            raise SimcoreError(f"--compare {other}: no such scenario file")
    scenarios = [load_scenario(args.scenario, overrides=_overrides(args), baseline=baseline)]
    scenarios += [load_scenario(other, baseline=baseline) for other in args.compare or ()]
    seen: dict[str, Path] = {}
    for path, scenario in zip([args.scenario, *(args.compare or ())], scenarios):
        if scenario.name in seen:
            raise SimcoreError(f"{path}: its scenario name {scenario.name!r} is already that of {seen[scenario.name]}")
        seen[scenario.name] = path
    names = dict(zip(baseline.regions.ids, baseline.regions.names))
    names = {region: names[region] for region in regions}
    log = logging.getLogger("simcore")
    longs, tables = [], []
    for scenario in scenarios:
        started = time.perf_counter()
        results = run(scenario, baseline=baseline)
        log.debug(f"{scenario.name}: run in {time.perf_counter() - started:.2f} s")
        longs.append(results.table)
        part = sector_table(results.table, names)
        part.insert(0, "scenario", scenario.name)
        tables.append(part)
    table = pd.concat(tables, ignore_index=True)
    print(
        f"Value added by broad sector (NBS three-sector classification), {tables[0].attrs['unit']}; "
        "shares of GDP (%, 2020 prices)"
    )
    with pd.option_context("display.width", 200, "display.max_rows", 1000, "display.float_format", "{:,.1f}".format):
        print(table.drop(columns=["region_id"]).to_string(index=False))
    if args.out is not None:
        from simcore.results.writer import atomic_files

        with atomic_files(args.out) as path_for:
            table.to_csv(path_for("sectors.csv"), index=False, float_format="%.10g", lineterminator="\n")
        print(f"wrote {args.out / 'sectors.csv'}")
    if args.figure is not None:
        import matplotlib

        matplotlib.use("Agg")
        from simcore.plotting import sector_comparison
        from simcore.results.writer import atomic_files

        both = pd.concat(longs, ignore_index=True)
        fig = sector_comparison(both, regions, list(SECTORS), YEARS)
        with atomic_files(args.figure.parent) as path_for:
            fig.savefig(path_for(args.figure.name), dpi=150, bbox_inches="tight")
        print(f"wrote {args.figure}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from simcore.report.gallery import gallery_command, make_gallery

    command = gallery_command(args.out, args.draws, args.seed, args.samples)
    if args.baseline is not None:
        command = command.replace("simcore gallery", f"simcore --baseline {args.baseline} gallery", 1)
    gallery = make_gallery(
        args.out,
        draws=args.draws,
        seed=args.seed,
        samples=args.samples,
        baseline_dir=_baseline_dir(args),
        progress=not args.quiet,
        command=command,
    )
    for entry in gallery.entries:
        print(f"{entry.file:<20}{entry.seconds:>7.1f} s  {entry.title}")
    total = sum(e.seconds for e in gallery.entries)
    print(
        f"wrote {len(gallery.files)} files to {args.out} ({total:.1f} s): " + ", ".join(p.name for p in gallery.files)
    )
    return 0


def cmd_growth(args: argparse.Namespace) -> int:
    from simcore.analysis.growth import growth_decomposition, markdown, write_docs
    from simcore.baseline.tables import load_baseline

    baseline = load_baseline(args.baseline)
    table = growth_decomposition(args.scenario, baseline, args.start, args.end, args.region)
    text = markdown(table, args.scenario.as_posix(), args.start, args.end)
    print(text)
    if args.out is not None:
        from simcore.results.writer import atomic_files

        with atomic_files(args.out) as path_for:
            table.to_csv(path_for("growth_decomposition.csv"), float_format="%.10g", lineterminator="\n")
        print(f"wrote {args.out / 'growth_decomposition.csv'}")
    if args.docs is not None:
        write_docs(text, args.docs, args.scenario.as_posix())
        print(f"updated {args.docs}")
    return 0


def cmd_multipliers(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcore.analysis.multipliers import multipliers
    from simcore.baseline.tables import load_baseline

    baseline = load_baseline(args.baseline)
    kinds = args.type or ["I", "II"]
    results = [multipliers(baseline, kind, tuple(args.region or ())) for kind in kinds]
    summary = pd.concat([m.summary for m in results], ignore_index=True)
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
        print("Output multipliers of the 2020 system (output inside Tianjin per unit of final demand bought there)")
        print(summary.to_string(index=False))
    if args.out is not None:
        from simcore.results.writer import atomic_files

        tables = {
            "multipliers.csv": pd.concat([m.by_sector for m in results], ignore_index=True),
            "spillovers.csv": pd.concat([m.spillovers for m in results], ignore_index=True),
            "linkages.csv": pd.concat([m.linkages for m in results], ignore_index=True),
            "multipliers_summary.csv": summary,
        }
        with atomic_files(args.out) as path_for:
            for name, table in tables.items():
                table.to_csv(path_for(name), index=False, float_format="%.10g", lineterminator="\n")
        print("wrote " + ", ".join(str(args.out / name) for name in tables))
    return 0


def cmd_baseline_check(args: argparse.Namespace) -> int:
    from simcore.baseline.checks import run_checks
    from simcore.baseline.tables import load_baseline

    baseline = load_baseline(args.baseline)
    failed = 0
    for check in run_checks(baseline):
        mark = "PASS" if check.passed else "FAIL"
        print(f"[{mark}] {check.name}: {check.summary}")
        for line in check.offending[:20]:
            print(f"       - {line}")
        if len(check.offending) > 20:
            print(f"       ... and {len(check.offending) - 20} more")
        failed += not check.passed
    print(f"baseline {baseline.checksum[:12]}: {'all checks passed' if not failed else f'{failed} check(s) failed'}")
    return 1 if failed else 0


def cmd_baseline_show(args: argparse.Namespace) -> int:
    from simcore.baseline.tables import baseline_summary, load_baseline

    baseline = load_baseline(args.baseline)
    print(f"simcore {__version__} - 2020 baseline {baseline.checksum[:12]} ({baseline.data_dir})")
    _print_baseline(baseline_summary(baseline))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from simcore.baseline.tables import load_baseline
    from simcore.errors import ReportError
    from simcore.report import build_report, write_report

    if args.out.suffix.lower() in (".html", ".htm", ".xlsx") and not args.out.is_dir():
        raise ReportError(f"--out {args.out}: expected a folder (the report writes report.html and report.xlsx in it)")
    words = ["simcore", "report", str(args.scenario)]
    words += ["--compare", *map(str, args.compare)] if args.compare else []
    words += [f"--draws {args.draws}"] if args.draws is not None else []
    words += [f"--seed {args.seed}"] if args.seed is not None else []
    words += ["--region", *args.region] if args.region else []
    words += [f"--set {text}" for text in args.set or ()] + ["--out", str(args.out)]
    command = " ".join(words)
    report = build_report(
        args.scenario,
        compare=tuple(args.compare or ()),
        draws=args.draws,
        seed=args.seed,
        overrides=_overrides(args),
        baseline=load_baseline(args.baseline),
        progress=not getattr(args, "quiet", False),
        command=command,
        regions=tuple(args.region or ()),
    )
    paths = write_report(report, args.out)
    mc = f"{report.draws:,} draws, seed {report.seed}" if report.draws is not None else "no Monte Carlo"
    print(f"{report.scenario}: report with {len(report.compared)} compared scenario(s), {mc}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simcore", description="Regional economic scenario engine for Tianjin.")
    parser.add_argument("--version", action="version", version=f"simcore {__version__}")
    parser.add_argument("--baseline", type=Path, default=None, help="folder of baseline tables (default: bundled)")
    sub = parser.add_subparsers(dest="command", required=True)

    def scenario_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY.PATH=VALUE",
            help="override a scenario key (repeatable), e.g. --set energy.grid_emission_factor=0.8",
        )

    run = sub.add_parser("run", help="project a scenario to 2035 and print the 2020/2025/2035 summary")
    run.add_argument("scenario", type=Path, help="the scenario YAML file")
    run.add_argument("--out", type=Path, default=None, help="write results.csv/.parquet/.provenance.json here")
    run.add_argument(
        "--backend",
        choices=("numba", "numpy"),
        default="numba",
        help="numba: the batch kernel; numpy: its NumPy twin (slower, for checking)",
    )
    scenario_options(run)
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files to check (nothing is run)")
    scenario_options(validate)
    validate.set_defaults(func=cmd_validate)

    compare = sub.add_parser("compare", help="differences between two scenarios at 2025 and 2035")
    compare.add_argument("a", type=Path, help="the first scenario YAML file (the reference)")
    compare.add_argument("b", type=Path, help="the second scenario YAML file")
    compare.add_argument(
        "--years", type=int, nargs="+", default=[2025, 2035], help="years to compare (default 2025 2035)"
    )
    compare.add_argument("--out", type=Path, default=None, help="write the comparison as CSV")
    compare.add_argument(
        "--figure",
        type=Path,
        default=None,
        help="also draw both scenarios' GDP, energy intensity and CO2 (PNG/SVG/PDF)",
    )
    compare.add_argument("--region", default="tianjin", help="region of the --figure (default tianjin)")
    compare.add_argument(
        "--backend", choices=("numba", "numpy"), default="numba", help="numba: the batch kernel; numpy: its NumPy twin"
    )
    compare.set_defaults(func=cmd_compare)

    def mc_options(p: argparse.ArgumentParser, draws_default: int | None = None) -> None:
        p.add_argument(
            "scenario", type=Path, help="the scenario YAML file (its uncertainty block gives the distributions)"
        )
        p.add_argument(
            "--draws",
            type=int,
            default=draws_default,
            help="Monte Carlo draws (default: the scenario's uncertainty.draws)",
        )
        p.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's seed, else 0)")
        p.add_argument("--chunk-size", type=int, default=2000, help="draws per kernel call")
        p.add_argument(
            "--failed-draws",
            choices=("error", "exclude"),
            default="error",
            help="a draw the model cannot complete (a share target out of reach, a negative or non-finite value) "
            "stops the run (error), or is left out of the quantiles and listed in montecarlo.failed.csv (exclude)",
        )
        p.add_argument(
            "--max-failed-share",
            type=float,
            default=0.01,
            help="with --failed-draws exclude: more failed draws than this share of the run is an error (default 0.01)",
        )
        scenario_options(p)

    mc = sub.add_parser("mc", help="Monte Carlo quantiles of every key variable")
    mc_options(mc)
    mc.add_argument(
        "--quantiles",
        type=float,
        nargs="+",
        default=None,
        help="quantile levels in [0, 1] (default 0.05 0.10 0.25 0.50 0.75 0.90 0.95)",
    )
    mc.add_argument("--out", type=Path, default=None, help="write montecarlo.quantiles.csv/.parquet here")
    mc.add_argument(
        "--variables",
        nargs="+",
        default=None,
        help="result variables to keep besides the key ones, e.g. 'Value Added|Steel' (each adds 8 columns x 16 years)",
    )
    mc.add_argument("--keep-draws", action="store_true", help="also write every draw to Parquet")
    mc.add_argument(
        "--quantile-method",
        choices=("exact", "sketch"),
        default="exact",
        help="exact: keep every draw (float32, 18 KB a draw); sketch: a fixed-grid histogram per column "
        "(151 MB whatever the draws), each quantile within one bin width of the exact one (docs/performance.md)",
    )
    mc.add_argument("--engine", choices=("local", "dask"), default="local", help="run chunks here or on Dask")
    mc.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (default with --engine dask: a local cluster)"
    )
    mc.add_argument("--workers", type=int, default=2, help="workers of the local Dask cluster")
    mc.set_defaults(func=cmd_mc)

    fan = sub.add_parser("fan", help="fan chart(s) from a Monte Carlo run")
    mc_options(fan)
    fan.add_argument("--variable", nargs="+", required=True, help="result variable(s), e.g. 'Emissions|CO2'")
    fan.add_argument("--region", nargs="+", required=True, help="region id(s)")
    fan.add_argument(
        "--preset",
        choices=("boe", "riksbank", "norges"),
        default="boe",
        help="band style of a central bank's fan charts: boe (Bank of England), riksbank, norges",
    )
    fan.add_argument("--out", type=Path, required=True, help="FILE.png, FILE.svg or FILE.pdf")
    fan.set_defaults(func=cmd_fan)

    targets = sub.add_parser("targets", help="the plan targets: met or missed, or their probability")
    targets.add_argument("scenario", type=Path, help="the scenario YAML file")
    targets.add_argument("--draws", type=int, default=None, help="Monte Carlo draws: report probabilities")
    targets.add_argument(
        "--seed", type=int, default=None, help="seed of the Monte Carlo draws (default: the scenario's seed, else 0)"
    )
    targets.add_argument("--chunk-size", type=int, default=2000, help="draws per kernel call")
    targets.add_argument("--out", type=Path, default=None, help="write the table as CSV")
    targets.add_argument("--region", nargs="+", default=None, help="only the targets of these region ids")
    targets.add_argument(
        "--modelled-only", action="store_true", help="leave out the targets the model does not project"
    )
    scenario_options(targets)
    targets.set_defaults(func=cmd_targets)

    sweep = sub.add_parser("sweep", help="run (or resume) a scenario sweep")
    sweep.add_argument("sweep", type=Path, help="the sweep YAML file")
    sweep.add_argument(
        "--out", type=Path, required=True, help="the sweep's dataset folder (rerun the same command to resume)"
    )
    sweep.add_argument(
        "--engine", choices=("local", "dask"), default="local", help="run chunks in local processes or on Dask"
    )
    sweep.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    sweep.add_argument("--workers", type=int, default=1, help="local processes or LocalCluster workers")
    sweep.add_argument("-q", "--quiet", action="store_true", help="warnings only, no progress bar")
    sweep.set_defaults(func=cmd_sweep)

    sens = sub.add_parser("sensitivity", help="Sobol or Morris indices of outputs w.r.t. a sweep's levers")
    sens.add_argument("sweep", type=Path, help="the sweep YAML file whose levers are the factors")
    sens.add_argument(
        "--method",
        choices=("sobol", "morris"),
        default="sobol",
        help="sobol: variance-based first-order and total indices; morris: elementary effects",
    )
    sens.add_argument("--samples", type=int, default=64, help="base samples (Sobol) or trajectories (Morris)")
    sens.add_argument(
        "--output",
        action="append",
        metavar="REGION:VARIABLE:YEAR",
        help="an output to analyse, e.g. tianjin:Emissions|CO2:2035 (repeatable; default: the key outputs)",
    )
    sens.add_argument(
        "--seed", type=int, default=None, help="seed of the design and bootstrap (default: the sweep file's seed)"
    )
    sens.add_argument("--out", type=Path, default=None, help="write sensitivity.csv and sensitivity.png here")
    sens.set_defaults(func=cmd_sensitivity)

    cal = sub.add_parser("calibrate", help="fit the trend scenario's free parameters to the published record")
    cal.add_argument(
        "--scenario",
        type=Path,
        default=Path("scenarios/baseline.yaml"),
        help="the scenario the calibration starts from",
    )
    cal.add_argument(
        "--fit-dir",
        type=Path,
        default=Path("calibration/fit"),
        help="folder of the fitted parameters and their report tables",
    )
    cal.add_argument(
        "--scenario-out",
        type=Path,
        default=Path("scenarios/calibrated_trend.yaml"),
        help="where to write the fitted trend scenario layer",
    )
    cal.add_argument(
        "--report", type=Path, default=Path("docs/calibration.md"), help="the Markdown report to rewrite with the fit"
    )
    cal.add_argument(
        "--vintage",
        type=int,
        default=None,
        help="last year of history the fit may read (default: the latest in the history table)",
    )
    cal.set_defaults(func=cmd_calibrate)

    bt = sub.add_parser("backtest", help="calibrate at a vintage, project, compare with every later published figure")
    bt.add_argument("--vintage", type=int, default=2020, help="last year of history the calibration may read")
    bt.add_argument(
        "--scenario",
        type=Path,
        default=Path("scenarios/baseline.yaml"),
        help="trend scenario whose free parameters are fitted",
    )
    bt.add_argument("--draws", type=int, default=0, help="Monte Carlo draws for band coverage and fan charts")
    bt.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo")
    bt.add_argument("--out", type=Path, required=True, help="folder for backtest.csv, the summary and the fans")
    bt.add_argument("-q", "--quiet", action="store_true", help="warnings only, no progress bar")
    bt.set_defaults(func=cmd_backtest)

    solve = sub.add_parser("solve", help="find the lever value that meets a target (goal seeking)")
    solve.add_argument("scenario", type=Path, help="the scenario YAML file")
    solve.add_argument(
        "--target",
        required=True,
        help="'REGION: VARIABLE [growth|share|change] YEAR[-YEAR] OP VALUE[%%]' or a target id (T045)",
    )
    solve.add_argument(
        "--lever",
        required=True,
        help="investment.REGION | exports | exports.REGION | efficiency.KEY | grid.YEAR | tfp | a dotted scenario path",
    )
    solve.add_argument(
        "--bounds",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=None,
        help="search interval of the lever's value (default per shorthand; required for a dotted path)",
    )
    solve.add_argument("--write", type=Path, default=None, help="write the solved scenario as YAML")
    solve.add_argument(
        "--period",
        default=None,
        help="years an investment.REGION lever's growth applies to, e.g. 2021-2025, or 'all' for 2021-2035 "
        "(default: 2021 to the target's year; the rest of the path keeps the scenario's growth)",
    )
    scenario_options(solve)
    solve.set_defaults(func=cmd_solve)

    dec = sub.add_parser("decompose", help="LMDI decomposition of CO2 change 2020-2025 and 2020-2035")
    dec.add_argument("scenario", type=Path, help="the scenario YAML file")
    dec.add_argument("--region", nargs="+", default=None, help="region ids to decompose (default: every region)")
    dec.add_argument("--out", type=Path, default=None, help="write decomposition.csv and decomposition.png")
    scenario_options(dec)
    dec.set_defaults(func=cmd_decompose)

    sec = sub.add_parser(
        "sectors", help="value added of the primary, secondary and tertiary sectors, shares, stacked chart"
    )
    sec.add_argument("scenario", type=Path, help="the scenario YAML file")
    sec.add_argument(
        "--compare", type=Path, nargs="+", default=None, metavar="OTHER", help="scenario files shown beside it"
    )
    sec.add_argument(
        "--region",
        nargs="+",
        default=None,
        metavar="R",
        help="region ids, in this order (default: every region, in region-tree order)",
    )
    sec.add_argument("--out", type=Path, default=None, metavar="DIR", help="write sectors.csv into this folder")
    sec.add_argument(
        "--figure",
        type=Path,
        default=None,
        metavar="FILE",
        help="also draw the stacked chart (PNG/SVG/PDF): a panel per region; with --compare, a column per scenario",
    )
    scenario_options(sec)
    sec.set_defaults(func=cmd_sectors)

    gal = sub.add_parser("gallery", help="redraw the gallery: the main charts as PNGs and an index README.md")
    gal.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder of the PNGs and README.md")
    gal.add_argument("--draws", type=int, default=500, help="Monte Carlo draws of the fan charts (default 500)")
    gal.add_argument("--seed", type=int, default=1, help="seed of the draws and the Sobol' design (default 1)")
    gal.add_argument(
        "--samples", type=int, default=64, help="base samples of the Sobol' design (runs: 7 x samples; default 64)"
    )
    gal.set_defaults(func=cmd_gallery)

    grow = sub.add_parser("growth", help="what each section of a scenario adds to its parent's GDP growth")
    grow.add_argument("scenario", type=Path, help="the scenario YAML file")
    grow.add_argument("--start", type=int, default=2020, help="first year of the decomposition (default 2020)")
    grow.add_argument("--end", type=int, default=2025, help="last year of the decomposition (default 2025)")
    grow.add_argument("--region", nargs="+", default=None, help="regions to report; default all")
    grow.add_argument("--out", type=Path, default=None, help="write growth_decomposition.csv")
    grow.add_argument("--docs", type=Path, default=None, help="rewrite the marked table in this Markdown file")
    grow.set_defaults(func=cmd_growth)

    mult = sub.add_parser(
        "multipliers",
        help="Type I/II output, value-added, employment, energy and CO2 multipliers, spillovers and linkages",
    )
    mult.add_argument("--region", nargs="+", default=None, help="districts (leaves) to report; default all")
    mult.add_argument("--type", nargs="+", choices=["I", "II"], default=None, help="default both")
    mult.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write multipliers.csv, spillovers.csv, linkages.csv, multipliers_summary.csv",
    )
    mult.set_defaults(func=cmd_multipliers)

    rep = sub.add_parser(
        "report", help="an HTML report and Excel workbook of a scenario: headline, targets, fans, comparisons"
    )
    rep.add_argument("scenario", type=Path, help="the scenario reported on")
    rep.add_argument(
        "--compare", type=Path, nargs="+", default=None, metavar="OTHER", help="scenario files drawn beside it"
    )
    rep.add_argument(
        "--draws", type=int, default=None, help="Monte Carlo draws for the fan charts and target probabilities"
    )
    rep.add_argument("--seed", type=int, default=None, help="seed of the Monte Carlo (default: the scenario's, else 0)")
    rep.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for report.html and report.xlsx")
    rep.add_argument(
        "--region",
        nargs="+",
        default=None,
        metavar="R",
        help="region ids of the fan charts, comparison charts (one each) and CO2 waterfalls, in this order "
        "(default tianjin binhai); the tables always hold every region",
    )
    scenario_options(rep)
    rep.set_defaults(func=cmd_report)

    base = sub.add_parser("baseline", help="inspect and check the 2020 baseline")
    base_sub = base.add_subparsers(dest="baseline_command", required=True)
    base_sub.add_parser("check", help="verify the accounting identities and published totals").set_defaults(
        func=cmd_baseline_check
    )
    base_sub.add_parser("show", help="print the 2020 baseline by region").set_defaults(func=cmd_baseline_show)
    _verbosity_options([sub, base_sub])
    _language_options(sub)
    return parser


#: commands that draw charts: each takes ``--lang en|zh``
CHART_COMMANDS = ("fan", "compare", "sensitivity", "decompose", "report", "sectors", "gallery")


def _language_options(sub) -> None:
    for name in CHART_COMMANDS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--lang",
                choices=["en", "zh"],
                default="en",
                help="language of the charts' words (zh: the codelists' Chinese names; needs a CJK font such "
                "as Debian's fonts-noto-cjk, else a warning and English)",
            )


def _verbosity_options(groups) -> None:
    """``-q/--quiet`` (warnings and errors only, no progress bars) and ``-v/--verbose`` (debug messages)
    on every command; messages go to stderr through :mod:`logging` (logger ``simcore``)."""
    for group in groups:
        for command in group.choices.values():
            options = {o for action in command._actions for o in action.option_strings}
            if "--quiet" not in options:
                command.add_argument("-q", "--quiet", action="store_true", help="warnings only, no progress bars")
            if "--verbose" not in options:
                command.add_argument("-v", "--verbose", action="store_true", help="also debug messages")


def _configure_logging(args: argparse.Namespace) -> None:
    import logging

    level = logging.WARNING if getattr(args, "quiet", False) else logging.INFO
    if getattr(args, "verbose", False):
        level = logging.DEBUG
    logger = logging.getLogger("simcore")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("simcore: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each message (not the one at set-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


#: commands whose ``--out`` is a file (its folder is checked); every other ``--out`` is a folder
FILE_OUTPUTS = ("cmd_compare", "cmd_fan", "cmd_targets")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every output path is checked before anything is computed: a wrong ``--out`` (an existing file
    where a folder is written, a folder where a file is, a place that cannot be written) is an error
    now, not after the whole computation.  Nothing is created here."""
    from simcore.errors import OutputError
    from simcore.results.writer import check_output_path

    files = [getattr(args, "write", None), getattr(args, "figure", None)]
    out = getattr(args, "out", None)
    if out is not None and getattr(args.func, "__name__", "") in FILE_OUTPUTS:
        files.append(out)
    elif out is not None:
        check_output_path(out)
    for path in (Path(p) for p in files if p is not None):
        if path.is_dir():
            raise OutputError(f"{path}: the output path is a folder, expected a file")
        if path.exists() and not os.access(path, os.W_OK):
            raise OutputError(f"{path}: the output file is not writable")
        if not path.exists():
            check_output_path(path.absolute().parent)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _configure_logging(args)
        _check_outputs(args)
        if getattr(args, "lang", None) is None:
            return args.func(args)
        from simcore.plotting import chart_language

        with chart_language(args.lang):
            return args.func(args)
    except ScenarioError as exc:
        print(f"simcore: {exc}", file=sys.stderr)
        return 2
    except SimcoreError as exc:
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(
            "simcore: interrupted; finished work is kept (rerun a sweep with the same command to resume)",
            file=sys.stderr,
        )
        return 130


def entry() -> None:
    """Console-script entry point: run, flush, and leave without the interpreter's slow teardown.

    Every output file is written and closed (atomically) before ``main`` returns; skipping the module
    teardown saves most of a second on each command.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
