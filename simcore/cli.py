"""The ``simcore`` command line.  Thin: every command calls the public API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import __version__
from .baseline import baseline_summary, load_baseline
from .checks import run_checks
from .errors import SimcoreError
from .scenario import ScenarioError, parse_override

SUMMARY_YEARS = (2020, 2025, 2035)
COMPARE_VARIABLES = ("GDP", "Value Added|Manufacturing", "Energy Consumption", "Energy Intensity|GDP",
                     "Emissions|CO2", "Carbon Intensity|GDP")


def _print_baseline(table) -> None:
    cols = ["gdp", "primary_pct", "secondary_pct", "tertiary_pct", "manufacturing_pct", "fixed_investment",
            "energy", "energy_intensity", "co2", "gdp_quality", "investment_quality", "energy_quality"]
    print(f"{'region':<16}{'GDP':>10}{'prim%':>7}{'sec%':>7}{'tert%':>7}{'mfg%':>7}{'FAI':>9}"
          f"{'energy':>9}{'EI':>7}{'CO2':>8}  quality (GDP / FAI / energy)")
    for region, row in table[cols].iterrows():
        print(f"{region:<16}{row.gdp:>10,.1f}{row.primary_pct:>7.1f}{row.secondary_pct:>7.1f}"
              f"{row.tertiary_pct:>7.1f}{row.manufacturing_pct:>7.1f}{row.fixed_investment:>9,.1f}"
              f"{row.energy:>9,.0f}{row.energy_intensity:>7.3f}{row.co2:>8.2f}  "
              f"{row.gdp_quality} / {row.investment_quality} / {row.energy_quality}")
    print("units: GDP and FAI 100 million CNY (2020 prices); energy 10^4 tce; EI tce per 10^4 CNY; CO2 Mt")


def summary_table(table: pd.DataFrame, regions: list[str] | None = None) -> pd.DataFrame:
    """GDP, energy intensity and CO2 in 2020 / 2025 / 2035 by region, with growth and changes."""
    wide = table[table["year"].isin(SUMMARY_YEARS)].pivot_table(
        index=["region", "variable"], columns="year", values="value")
    rows = []
    regions = regions or list(dict.fromkeys(table["region"]))
    for region in regions:
        g = wide.loc[(region, "GDP")]
        ei = wide.loc[(region, "Energy Intensity|GDP")]
        co2 = wide.loc[(region, "Emissions|CO2")]
        rows.append({
            "region": region,
            "gdp_2020": g[2020], "gdp_2025": g[2025], "gdp_2035": g[2035],
            "growth_21_25": 100 * ((g[2025] / g[2020]) ** (1 / 5) - 1),
            "growth_26_35": 100 * ((g[2035] / g[2025]) ** (1 / 10) - 1),
            "ei_2020": ei[2020], "ei_2025": ei[2025], "ei_2035": ei[2035],
            "ei_change_25": 100 * (ei[2025] / ei[2020] - 1),
            "co2_2020": co2[2020], "co2_2025": co2[2025], "co2_2035": co2[2035],
        })
    return pd.DataFrame(rows).set_index("region")


def _print_summary(summary: pd.DataFrame) -> None:
    print(f"{'':<16}{'GDP, 100 million CNY (2020 prices)':^51}{'energy intensity, tce/10^4 CNY':^33}"
          f"{'CO2, Mt':^24}")
    print(f"{'region':<16}{'2020':>9}{'2025':>9}{'2035':>9}{'%/yr 21-25':>12}{'%/yr 26-35':>12}"
          f"{'2020':>8}{'2025':>8}{'2035':>8}{'25 vs 20':>9}{'2020':>8}{'2025':>8}{'2035':>8}")
    for region, r in summary.iterrows():
        print(f"{region:<16}{r.gdp_2020:>9,.0f}{r.gdp_2025:>9,.0f}{r.gdp_2035:>9,.0f}{r.growth_21_25:>12.2f}"
              f"{r.growth_26_35:>12.2f}{r.ei_2020:>8.3f}{r.ei_2025:>8.3f}{r.ei_2035:>8.3f}"
              f"{r.ei_change_25:>8.1f}%{r.co2_2020:>8.2f}{r.co2_2025:>8.2f}{r.co2_2035:>8.2f}")


def _overrides(args: argparse.Namespace) -> dict:
    return dict(parse_override(text) for text in (args.set or []))


def cmd_run(args: argparse.Namespace) -> int:
    from .engine import run

    results = run(args.scenario, overrides=_overrides(args), backend=args.backend,
                  baseline=load_baseline(args.baseline))
    prov = results.provenance
    print(f"simcore {__version__} | scenario {prov['scenario']} | layers: {' <- '.join(prov['layers'])} | "
          f"baseline {prov['baseline_checksum'][:12]}")
    _print_summary(summary_table(results.table, list(load_baseline(args.baseline).regions.ids)))
    if args.out is not None:
        paths = results.write(args.out)
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .engine import validate

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
    from .engine import run

    baseline = load_baseline(args.baseline)
    first = run(args.a, backend=args.backend, baseline=baseline)
    second = run(args.b, backend=args.backend, baseline=baseline)
    table = compare_tables(first.table, second.table, years=tuple(args.years))
    a, b = first.provenance["scenario"], second.provenance["scenario"]
    print(f"{b} minus {a} (difference and % of {a})")
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:,.3f}".format):
        print(table.to_string(index=False))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, years=(2025, 2035),
                   variables=COMPARE_VARIABLES) -> pd.DataFrame:
    """Differences between two result tables for the key variables in the given years."""
    keys = ["region", "variable", "unit", "year"]
    pick = lambda t: t[t["variable"].isin(variables) & t["year"].isin(years)][keys + ["value"]]  # noqa: E731
    merged = pick(a).merge(pick(b), on=keys, suffixes=("_a", "_b"))
    merged["difference"] = merged["value_b"] - merged["value_a"]
    merged["percent"] = 100 * merged["difference"] / merged["value_a"]
    order = {v: i for i, v in enumerate(variables)}
    merged["_order"] = merged["variable"].map(order)
    merged = merged.sort_values(["_order", "region", "year"], kind="stable").drop(columns="_order")
    return merged.reset_index(drop=True)


def cmd_baseline_check(args: argparse.Namespace) -> int:
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
    baseline = load_baseline(args.baseline)
    print(f"simcore {__version__} - 2020 baseline {baseline.checksum[:12]} ({baseline.data_dir})")
    _print_baseline(baseline_summary(baseline))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simcore", description="Regional economic scenario engine for Tianjin.")
    parser.add_argument("--version", action="version", version=f"simcore {__version__}")
    parser.add_argument("--baseline", type=Path, default=None, help="folder of baseline tables (default: bundled)")
    sub = parser.add_subparsers(dest="command", required=True)

    def scenario_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                       help="override a scenario key (repeatable), e.g. --set energy.grid_emission_factor=0.8")

    run = sub.add_parser("run", help="project a scenario to 2035 and print the 2020/2025/2035 summary")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, default=None, help="write results.csv/.parquet/.provenance.json here")
    run.add_argument("--backend", choices=("numba", "numpy"), default="numba")
    scenario_options(run)
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("scenarios", type=Path, nargs="+")
    scenario_options(validate)
    validate.set_defaults(func=cmd_validate)

    compare = sub.add_parser("compare", help="differences between two scenarios at 2025 and 2035")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path)
    compare.add_argument("--years", type=int, nargs="+", default=[2025, 2035])
    compare.add_argument("--out", type=Path, default=None, help="write the comparison as CSV")
    compare.add_argument("--backend", choices=("numba", "numpy"), default="numba")
    compare.set_defaults(func=cmd_compare)

    base = sub.add_parser("baseline", help="inspect and check the 2020 baseline")
    base_sub = base.add_subparsers(dest="baseline_command", required=True)
    base_sub.add_parser("check", help="verify the accounting identities and published totals").set_defaults(
        func=cmd_baseline_check)
    base_sub.add_parser("show", help="print the 2020 baseline by region").set_defaults(func=cmd_baseline_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(f"simcore: {exc}", file=sys.stderr)
        return 2
    except SimcoreError as exc:
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
