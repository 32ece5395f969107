"""The ``simcore`` command line.  Thin: every command calls the public API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .baseline import baseline_summary, load_baseline
from .checks import run_checks
from .errors import SimcoreError


def _print_summary(table) -> None:
    cols = ["gdp", "primary_pct", "secondary_pct", "tertiary_pct", "manufacturing_pct", "fixed_investment",
            "energy", "energy_intensity", "co2", "gdp_quality", "investment_quality", "energy_quality"]
    header = (f"{'region':<16}{'GDP':>10}{'prim%':>7}{'sec%':>7}{'tert%':>7}{'mfg%':>7}{'FAI':>9}"
              f"{'energy':>9}{'EI':>7}{'CO2':>8}  quality (GDP / FAI / energy)")
    print(header)
    for region, row in table[cols].iterrows():
        print(f"{region:<16}{row.gdp:>10,.1f}{row.primary_pct:>7.1f}{row.secondary_pct:>7.1f}"
              f"{row.tertiary_pct:>7.1f}{row.manufacturing_pct:>7.1f}{row.fixed_investment:>9,.1f}"
              f"{row.energy:>9,.0f}{row.energy_intensity:>7.3f}{row.co2:>8.2f}  "
              f"{row.gdp_quality} / {row.investment_quality} / {row.energy_quality}")
    print("units: GDP and FAI 100 million CNY (2020 prices); energy 10^4 tce; EI tce per 10^4 CNY; CO2 Mt")


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
    _print_summary(baseline_summary(baseline))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import yaml

    text = Path(args.scenario).read_text(encoding="utf-8")
    scenario = yaml.safe_load(text) or {}
    baseline = load_baseline(args.baseline)
    print(f"scenario {scenario.get('name', args.scenario)}: 2020 baseline {baseline.checksum[:12]}")
    _print_summary(baseline_summary(baseline))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simcore", description="Regional economic scenario engine for Tianjin.")
    parser.add_argument("--version", action="version", version=f"simcore {__version__}")
    parser.add_argument("--baseline", type=Path, default=None, help="folder of baseline tables (default: bundled)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario")
    run.add_argument("scenario", type=Path)
    run.set_defaults(func=cmd_run)

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
    except SimcoreError as exc:
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
