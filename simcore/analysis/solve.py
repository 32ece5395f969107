"""Goal seeking: the value of one lever that meets one target, by root finding around the engine.

Targets are written ``REGION: VARIABLE [growth|share|change] YEAR[-YEAR] OP VALUE[%]``, for example

* ``dongli: GDP growth 2021-2025 >= 6%`` (average annual growth from 2020),
* ``tianjin: Energy Intensity|GDP change 2025 <= -14.5%`` (change against 2020),
* ``binhai: Value Added|Manufacturing share 2025 >= 25%`` (share of the region's GDP),
* ``tianjin: Emissions|CO2 2030 <= 150`` (a level),

or as the id of a modelled target in ``targets.csv`` (``T045``).  Levers are dotted scenario paths taking
one number, with shorthands: ``investment.REGION`` (constant investment growth 2021-2035, replacing the
region's path), ``exports`` and ``exports.REGION`` (outside-demand growth), ``efficiency.KEY``,
``grid.YEAR`` (the grid index in that year) and ``tfp``.  The lever is searched within bounds (defaults
per shorthand, or ``bounds``) with Brent's method; if the target is met or missed at both bounds the
answer says so instead of inventing a value.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from simcore.analysis.targets import (
    Target,
    arrays_getter,
    assessed,
    met,
    modelled_targets,
    price_basis,
)
from simcore.baseline.tables import Baseline, load_baseline
from simcore.errors import SimcoreError
from simcore.model.boundary import project_central
from simcore.model.variables import batch_variables
from simcore.scenario import dotted
from simcore.scenario.loader import Scenario, load_scenario, with_overrides

_TARGET = re.compile(
    r"^\s*(?P<region>[a-z_]+)\s*:\s*(?P<variable>.+?)\s+(?:(?P<kind>growth|share|change)\s+)?"
    r"(?P<years>\d{4}(?:\s*-\s*\d{4})?)\s*(?P<op>>=|<=|=)\s*(?P<value>[-+]?\d+(?:\.\d+)?)\s*"
    r"(?P<pct>%)?\s*$"
)
SHORTHANDS = {
    "investment": ("investment.regions.{0}.path", (-0.1, 0.3), lambda x: {"growth": x}),
    "exports": ("exports.by_region.{0}", (-0.1, 0.3), float),
    "efficiency": ("energy.efficiency.{0}", (0.0, 0.15), float),
    "grid": ("energy.grid_emission_factor.values.{0}", (0.0, 1.0), float),
}


#: what a shorthand lever's number is, printed with the solution
UNITS = {
    "investment": "annual growth of fixed-asset investment (0.05 = 5% a year)",
    "exports": "annual growth of outside demand (0.05 = 5% a year)",
    "efficiency": "annual energy-efficiency gain (0.02 = 2% a year)",
    "grid": "grid emission index (2020 = 1)",
    "tfp": "annual TFP growth (0.01 = 1% a year)",
}


@dataclass(frozen=True)
class Lever:
    text: str
    path: str
    bounds: tuple[float, float]
    wrap: object = field(default=float, repr=False)
    unit: str = ""
    period: tuple[int, int] | None = None  # investment: the years the growth applies to

    def override(self, x: float) -> dict:
        return {self.path: self.wrap(float(x))}

    def describe(self, x: float) -> str:
        when = f" over {self.period[0]}-{self.period[1]}" if self.period else ""
        return f"{self.text} = {x:.6g}{when}" + (f" ({self.unit})" if self.unit else "")


def parse_lever(text: str, bounds: tuple[float, float] | None = None) -> Lever:
    head, _, rest = text.partition(".")
    if text == "exports":
        lever = Lever(text, "exports.growth", (-0.05, 0.2))
    elif text == "tfp":
        lever = Lever(text, "parameters.tfp_growth", (0.0, 0.08))
    elif head in SHORTHANDS and rest and "." not in rest:
        path, default, wrap = SHORTHANDS[head]
        lever = Lever(text, path.format(rest), default, wrap)
    elif bounds is None:
        raise SimcoreError(
            f"lever {text!r}: give --bounds LOW HIGH for a dotted path, or use a shorthand "
            "(investment.REGION, exports, exports.REGION, efficiency.KEY, grid.YEAR, tfp)"
        )
    else:
        lever = Lever(text, text, bounds)
    if bounds is not None:
        if not bounds[0] < bounds[1]:
            raise SimcoreError(f"bounds {bounds}: LOW must be below HIGH")
        lever = Lever(lever.text, lever.path, tuple(bounds), lever.wrap)
    return Lever(lever.text, lever.path, lever.bounds, lever.wrap, UNITS.get(head, ""))


def parse_period(text: str) -> tuple[int, int]:
    """``2021-2025`` (or one year ``2025``, meaning 2021-2025) as (first, last)."""
    m = re.fullmatch(r"\s*(\d{4})(?:\s*-\s*(\d{4}))?\s*", str(text))
    if not m:
        raise SimcoreError(f"--period {text!r}: expected FIRST-LAST, e.g. 2021-2025")
    first, last = (int(m[1]), int(m[2])) if m[2] else (2021, int(m[1]))
    if not 2021 <= first <= last <= 2035:
        raise SimcoreError(f"--period {text!r}: years within 2021-2035, first <= last")
    return first, last


def _after_growth(scenario: Scenario, region: str) -> float:
    """The annual growth a region's investment path keeps after the solved period: the path's own
    ``growth`` where it is one number, else the scenario's ``investment.default_growth``, else 3%."""
    spec = scenario.spec.investment
    own = spec.regions.get(region)
    for candidate in (getattr(getattr(own, "path", None), "growth", None), spec.default_growth):
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool):
            return float(candidate)
        if getattr(candidate, "constant", None) is not None:
            return float(candidate.constant)
    return 0.03


def _investment_over(lever: Lever, scenario: Scenario, period: tuple[int, int]) -> Lever:
    """The investment lever as a constant growth over ``period`` only; before it (from 2021) and after it
    the region's path grows at :func:`_after_growth`, so a 2021-2025 target does not move 2026-2035."""
    region = lever.path.split(".")[2]
    after = _after_growth(scenario, region)
    first, last = period

    def wrap(x: float) -> dict:
        rates = {f"{first}-{last}": x}
        if first > 2021:
            rates[f"2021-{first - 1}"] = after
        if last < 2035:
            rates[f"{last + 1}-2035"] = after
        return {"growth": rates}

    return Lever(lever.text, lever.path, lever.bounds, wrap, lever.unit, period)


def parse_target(text: str, b: Baseline) -> Target:
    """A target from the mini-language or a ``targets.csv`` id."""
    if re.fullmatch(r"T\d{3,}", text.strip()):
        for target in modelled_targets(b.targets):
            if target.target_id == text.strip():
                return target
        raise SimcoreError(f"target {text}: not a modelled target of targets.csv")
    m = _TARGET.match(text)
    if not m:
        raise SimcoreError(
            f"target {text!r}: expected 'REGION: VARIABLE [growth|share|change] YEAR[-YEAR] OP VALUE[%]', "
            "e.g. 'dongli: GDP growth 2021-2025 >= 6%'"
        )
    region, variable = m["region"], m["variable"].strip()
    if region not in b.regions.ids:
        raise SimcoreError(f"target {text!r}: unknown region {region!r}")
    years = [int(y) for y in re.split(r"\s*-\s*", m["years"])]
    if len(years) == 2 and years[0] != 2021:
        raise SimcoreError(f"target {text!r}: periods start in 2021 (growth is measured from 2020)")
    year = years[-1]
    if not 2021 <= year <= 2035:
        raise SimcoreError(f"target {text!r}: year {year} outside 2021-2035")
    kind = m["kind"]
    basis = {"growth": "avg_growth", "share": "share", "change": "change_vs_2020", None: "level"}[kind]
    value = float(m["value"])
    return Target(
        "goal",
        region,
        text.strip(),
        variable,
        "GDP" if kind == "share" else "",
        basis,
        m["op"],
        year,
        value,
        "%" if m["pct"] else "",
        "goal",
        math.nan,
        "command line",
        price_basis=price_basis(variable, "GDP" if kind == "share" else "", basis),
    )


@dataclass
class Solution:
    target: Target
    lever: Lever
    found: bool
    value: float | None
    achieved: float | None
    at_bounds: tuple[float, float]
    message: str
    scenario: Scenario = field(repr=False)

    def summary(self) -> str:
        lo, hi = self.lever.bounds
        head = f"target: {self.target.indicator}\nlever: {self.lever.text} ({self.lever.path}) in [{lo:g}, {hi:g}]"
        tail = f"\nat the bounds: {self.at_bounds[0]:.4g} at {lo:g}, {self.at_bounds[1]:.4g} at {hi:g}"
        if self.found:
            solution = f"{self.lever.describe(self.value)} gives {self.achieved:.4g}"
            return f"{head}\nsolution: {solution}\n{self.message}{tail}"
        return f"{head}\nno solution: {self.message}{tail}"

    def write(self, path: str | os.PathLike) -> None:
        """A scenario file extending the solved one with the lever set (``extends`` relative to ``path``)."""
        import yaml

        path = Path(path)
        parent = Path(self.scenario.layers[-1]).resolve() if self.scenario.layers else None
        overrides = self.lever.override(self.value)
        tree = dotted.tree(overrides)
        header = (
            f"# Solved by `simcore solve`: {self.lever.describe(self.value)} meets "
            f"'{self.target.indicator}' ({self.achieved:.4g}).\n"
        )
        body = {
            "extends": os.path.relpath(parent, path.parent.resolve()) if parent else None,
            "name": f"{self.scenario.name}_solved",
            "description": f"{self.scenario.name} with {self.lever.text} solved for {self.target.indicator}",
        }
        body = {k: v for k, v in body.items() if v is not None} | tree
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + yaml.safe_dump(body, sort_keys=False))


def solve(
    scenario,
    target: str | Target,
    lever: str | Lever,
    bounds: tuple[float, float] | None = None,
    overrides=None,
    baseline: Baseline | None = None,
    xtol: float = 1e-7,
    period: str | None = None,
) -> Solution:
    """Find the lever value that meets the target exactly (the boundary value for >= and <=).

    ``period`` (``"2021-2025"``; ``"all"`` for 2021-2035) is where an ``investment.REGION`` lever's growth
    applies; by default, 2021 to the target's year: the rest of the path keeps the scenario's own growth.
    """
    b = baseline or load_baseline()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    target = target if isinstance(target, Target) else parse_target(target, b)
    lever = lever if isinstance(lever, Lever) else parse_lever(lever, bounds)
    if lever.path.startswith("investment.regions.") and lever.path.endswith(".path") and period != "all":
        # by default the lever moves the target's own period (2021 to the target year), nothing after
        lever = _investment_over(lever, scenario, parse_period(period) if period else (2021, target.year))

    seen: dict[float, float] = {}

    def achieved(x: float) -> float:
        """The assessed indicator with the lever at ``x`` (memoised: brentq revisits the bounds)."""
        x = float(x)
        if x not in seen:
            raw, paths = project_central(with_overrides(scenario, lever.override(x), baseline=b), b)
            get = arrays_getter(b.regions.ids, batch_variables(b, raw, paths))
            seen[x] = float(np.ravel(assessed(target, get)[1])[0])
        return seen[x]

    lo, hi = lever.bounds
    f_lo, f_hi = achieved(lo), achieved(hi)
    ok_lo, ok_hi = bool(met(target, np.array(f_lo))), bool(met(target, np.array(f_hi)))
    gap_lo, gap_hi = f_lo - target.value, f_hi - target.value
    if np.sign(gap_lo) != np.sign(gap_hi) or gap_lo == 0 or gap_hi == 0:
        x = brentq(lambda v: achieved(v) - target.value, lo, hi, xtol=xtol, rtol=1e-10)
        value = achieved(x)
        side = "or more" if (gap_hi > gap_lo) == (target.comparison == ">=") else "or less"
        note = "" if target.comparison == "=" else f" (the target holds for {lever.text} = {x:.6g} {side})"
        return Solution(target, lever, True, float(x), value, (f_lo, f_hi), f"met exactly{note}", scenario)
    if ok_lo and ok_hi:
        message = "the target is met everywhere within the bounds: the lever is not binding"
        return Solution(
            target,
            lever,
            True,
            float(lo if abs(gap_lo) <= abs(gap_hi) else hi),
            f_lo if abs(gap_lo) <= abs(gap_hi) else f_hi,
            (f_lo, f_hi),
            message,
            scenario,
        )
    message = (
        f"cannot be met within the lever's bounds: the indicator ranges from {min(f_lo, f_hi):.4g} to "
        f"{max(f_lo, f_hi):.4g} against a target of {target.comparison} {target.value:g}"
    )
    return Solution(target, lever, False, None, None, (f_lo, f_hi), message, scenario)
