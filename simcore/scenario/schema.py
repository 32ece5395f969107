"""Pydantic models of a scenario file and the time-path vocabulary.

A time path is one of

* a bare number: the same value every year (``0.05``);
* ``{constant: x}``: the same, spelled out;
* ``{values: {2025: 0.25, 2035: 0.3}}``: linear interpolation between years, starting from the 2020
  baseline value where the lever has one, held after the last year;
* ``{growth: 0.05}`` or ``{growth: {2021-2025: 0.065, 2026-2035: 0.05}}``: a level growing at these
  annual rates from its 2020 value (level levers only);
* ``{cumulative: {2021-2025: 12000}, growth: 0.05}``: five-year (or any-period) totals, met by a constant
  growth rate within each period, ``growth`` for the other years (level levers only).

Rates and shares are fractions (0.05 is 5%).  Every model forbids unknown keys.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

START, END = 2020, 2035
YEARS = tuple(range(START, END + 1))
_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")


def _finite_number(value: Any) -> Any:
    """A number as YAML wrote it (an integer stays one), refusing booleans and .nan / .inf with one message."""
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "Input should be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number; a finite number (.nan, .inf and -.inf are refused)")
    return value


Number = Annotated[StrictFloat | StrictInt, BeforeValidator(_finite_number)]
#: an integer written as one: ``true`` (YAML's boolean) and ``1000.0`` are refused
Integer = StrictInt

#: physical bounds (docs/scenarios.md, "Bounds"): an annual growth rate of a level (investment, exports,
#: residents, capacity productivity) or an annual energy-efficiency gain, as a fraction; a 50% rise or fall in
#: one year, compounded over 2021-2035, is a factor of 437 or 1/33000, beyond any district's record
RATE_LOW, RATE_HIGH = -0.5, 0.5
#: a price index relative to 2020 (2020 = 1): positive, and at most 10 (16.6% a year over 2021-2035)
PRICE_HIGH = 10.0
#: an index multiplying a 2020 quantity (investment realised): at most 10 times
INDEX_HIGH = 10.0


class Model(BaseModel):
    # finite numbers only: .nan, .inf and -.inf are refused wherever a number is read
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


def parse_period(key: Any) -> tuple[int, int]:
    """``2025`` -> (2025, 2025); ``"2021-2025"`` -> (2021, 2025)."""
    if isinstance(key, bool):
        raise ValueError(f"not a year or period: {key!r}")
    if isinstance(key, int):
        return key, key
    match = _PERIOD.match(str(key))
    if not match:
        raise ValueError(f"not a year or period: {key!r}")
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    if last < first:
        raise ValueError(f"period {key!r} ends before it starts")
    return first, last


def _wrap_number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"constant": value}
    return value


class TimePath(Model):
    """A yearly path over 2020-2035 (see the module docstring for the forms)."""

    constant: Number | None = None
    values: dict[int, Number] | None = None
    growth: Number | dict[str | int, Number] | None = None
    cumulative: dict[str | int, Number] | None = None

    kind: Literal["level", "rate", "share", "index", "price", "fossil"] = Field(default="level", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _finite_forms(cls, data: Any) -> Any:
        """One message for a boolean or non-finite number anywhere in a form (not one per union member)."""
        if not isinstance(data, dict):
            return data
        for name in ("constant", "values", "growth", "cumulative"):
            spec = data.get(name)
            for value in spec.values() if isinstance(spec, dict) else [spec]:
                if isinstance(value, bool):
                    raise ValueError(f"{name}: {value} is not a number; a number (rates are fractions: 0.05 is 5%)")
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValueError(
                        f"{name}: {value} is not a finite number; a finite number (.nan, .inf and -.inf are refused)"
                    )
        return data

    @model_validator(mode="after")
    def _one_form(self) -> TimePath:
        forms = [name for name in ("constant", "values", "growth", "cumulative") if getattr(self, name) is not None]
        if self.cumulative is not None:
            forms = [f for f in forms if f != "growth"]
        if len(forms) != 1:
            raise ValueError(
                "give exactly one of constant, values, growth or cumulative (growth may accompany "
                f"cumulative); got {forms or 'none'}"
            )
        for name in ("values", "growth", "cumulative"):
            if isinstance(getattr(self, name), dict) and not getattr(self, name):
                raise ValueError(f"{name} is empty; at least one year (or period) with its value")
        for name in ("values",):
            for year in getattr(self, name) or {}:
                if not START <= year <= END:
                    raise ValueError(f"year {year} outside the horizon {START}-{END}")
        for name in ("growth", "cumulative"):
            spec = getattr(self, name)
            if isinstance(spec, dict):
                for key in spec:
                    first, last = parse_period(key)
                    if first < START + 1 or last > END:
                        raise ValueError(f"period {key} outside the projection years {START + 1}-{END}")
        return self

    def form(self) -> str:
        if self.cumulative is not None:
            return "cumulative"
        return next(name for name in ("constant", "values", "growth") if getattr(self, name) is not None)

    def evaluate(self, base: float | None = None) -> np.ndarray:
        """Values for 2020..2035.  ``base`` is the 2020 baseline value of a level or share lever."""
        out = np.empty(len(YEARS))
        form = self.form()
        if form == "constant":
            out[:] = float(self.constant)
            if base is not None and self.kind in ("level", "share"):
                out[0] = base
        elif form == "values":
            points = dict(sorted((int(y), float(v)) for y, v in self.values.items()))
            if base is not None and START not in points:
                points = {START: float(base), **points}
            xs, ys = np.array(list(points)), np.array(list(points.values()))
            out[:] = np.interp(YEARS, xs, ys)  # held constant outside the given years
        elif form == "growth":
            out[:] = _grow(_rates(self.growth, require_all=True), _require(base, "growth"))
        else:
            rates = _rates(self.growth, require_all=False) if self.growth is not None else np.zeros(len(YEARS))
            periods = sorted((parse_period(k), float(v)) for k, v in self.cumulative.items())
            level = np.empty(len(YEARS))
            level[0] = _require(base, "cumulative")
            covered = {}
            for (first, last), total in periods:
                for year in range(first, last + 1):
                    if year in covered:
                        raise ValueError(f"cumulative periods overlap in {year}")
                    covered[year] = (first, last, total)
            t = 1
            while t < len(YEARS):
                year = YEARS[t]
                if year in covered:
                    first, last, total = covered[year]
                    n = last - first + 1
                    g = _solve_growth(level[t - 1], total, n)
                    for k in range(n):
                        level[t + k] = level[t + k - 1] * (1.0 + g)
                    t += n
                else:
                    level[t] = level[t - 1] * (1.0 + rates[t])
                    t += 1
            out[:] = level
        return out


def _require(base: float | None, form: str) -> float:
    if base is None:
        raise ValueError(f"the {form} form needs a 2020 base value; use constant or values for this lever")
    return float(base)


def _rates(spec, require_all: bool) -> np.ndarray:
    rates = np.zeros(len(YEARS))
    if spec is None:
        return rates
    if not isinstance(spec, dict):
        rates[1:] = float(spec)
        return rates
    seen = set()
    for key, value in spec.items():
        first, last = parse_period(key)
        for year in range(first, last + 1):
            if year in seen:
                raise ValueError(f"growth periods overlap in {year}")
            seen.add(year)
            rates[year - START] = float(value)
    missing = sorted(set(YEARS[1:]) - seen)
    if require_all and missing:
        raise ValueError(f"growth periods must cover {START + 1}-{END}; missing {_span(missing)}")
    return rates


def _span(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])


def _grow(rates: np.ndarray, base: float) -> np.ndarray:
    out = np.empty(len(rates))
    out[0] = base
    for t in range(1, len(rates)):
        out[t] = out[t - 1] * (1.0 + rates[t])
    return out


def _solve_growth(start: float, total: float, n: int) -> float:
    """Constant growth rate g with sum_{k=1..n} start (1+g)^k = total."""
    from scipy.optimize import brentq  # imported here: most runs never need it

    if not start > 0:
        raise ValueError("a cumulative total needs a positive level in the year before the period")
    if not total > 0:
        raise ValueError("a cumulative total must be positive")

    def gap(g: float) -> float:
        growth = 1.0 + g
        series = n if abs(g) < 1e-12 else growth * (growth**n - 1.0) / g
        return start * series - total

    # brentq needs a sign change over its bracket: a total outside what the bracket's rates reach has none
    # (the level is known only when the path is compiled, levers.compile_sections, which reports it located)
    low, high = start * _series(GROWTH_SOLVE[0], n), start * _series(GROWTH_SOLVE[1], n)
    if not low <= total <= high:
        raise ValueError(
            f"cumulative total {total:g} over {n} year(s) cannot be met from the level {start:.6g} of the year "
            f"before (it needs an annual growth outside [{GROWTH_SOLVE[0]:g}, {GROWTH_SOLVE[1]:g}]); a "
            f"total between {low:.6g} and {high:.6g} for this level"
        )
    return float(brentq(gap, *GROWTH_SOLVE, xtol=1e-14, rtol=1e-14))


#: the bracket of the cumulative form's growth solve: wider than the rate bounds, because a total is a plan's
#: own figure (Ziya's 2021-2025 FAI total in plan_14th_fyp.yaml needs +77% a year from its 2020 level)
GROWTH_SOLVE = (-0.99, 20.0)


def _series(g: float, n: int) -> float:
    """sum_{k=1..n} (1+g)^k."""
    return float(sum((1.0 + g) ** k for k in range(1, n + 1)))


def _path(kind: str):
    def set_kind(value: Any) -> Any:
        value = _wrap_number(value)
        if isinstance(value, dict):
            value = {**value, "kind": kind}
        return value

    return BeforeValidator(set_kind)


def _check_kind(path: TimePath) -> TimePath:
    form = path.form()
    if path.kind != "level" and form in ("growth", "cumulative"):
        what = {"fossil": "grid index", "index": "index"}.get(path.kind, path.kind)
        raise ValueError(
            f"{'an' if what[0] in 'aeiou' else 'a'} {what} path takes a number, constant or values, not {form}"
        )
    numbers = []
    if path.constant is not None:
        numbers.append(float(path.constant))
    numbers += [float(v) for v in (path.values or {}).values()]
    for value in numbers:
        if not math.isfinite(value):
            raise ValueError("values must be finite")
        if path.kind == "share" and not 0.0 <= value <= 1.0:
            raise ValueError(f"share {value:g} outside [0, 1]")
        if path.kind == "fossil" and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"grid index {value:g} outside [0, 1]; the power sector's fossil share relative to 2020, "
                "between 0 and 1 (above 1 its non-fossil energy would be negative)"
            )
        if path.kind == "level" and value < 0:
            raise ValueError(f"level {value:g} is negative")
        if path.kind == "index" and not 0.0 <= value <= INDEX_HIGH:
            raise ValueError(
                f"index {value:g} outside [0, {INDEX_HIGH:g}]; an index between 0 and {INDEX_HIGH:g} (2020 = 1)"
            )
        if path.kind == "price" and not 0.0 < value <= PRICE_HIGH:
            raise ValueError(
                f"price index {value:g} outside (0, {PRICE_HIGH:g}]; a positive price index at most {PRICE_HIGH:g} "
                "(2020 = 1)"
            )
        if path.kind == "rate" and not RATE_LOW <= value <= RATE_HIGH:
            raise ValueError(
                f"rate {value:g} outside [{RATE_LOW:g}, {RATE_HIGH:g}]; an annual rate as a fraction "
                f"between {RATE_LOW:g} and {RATE_HIGH:g} (0.05 is 5%)"
            )
    growth = path.growth if isinstance(path.growth, dict) else {"every year": path.growth}
    for value in growth.values():
        if value is not None and not RATE_LOW <= float(value) <= RATE_HIGH:
            raise ValueError(
                f"growth {float(value):g} outside [{RATE_LOW:g}, {RATE_HIGH:g}]; an annual rate as a "
                f"fraction between {RATE_LOW:g} and {RATE_HIGH:g} (0.05 is 5%)"
            )
    if path.form() == "cumulative":
        for value in path.cumulative.values():
            if value <= 0:
                raise ValueError(f"cumulative total {value:g} must be positive")
    return path


class _Checked:
    def __class_getitem__(cls, kind: str):
        return Annotated[TimePath, _path(kind), AfterValidator(_check_kind)]


LevelPath = _Checked["level"]
RatePath = _Checked["rate"]
SharePath = _Checked["share"]
IndexPath = _Checked["index"]
PricePath = _Checked["price"]
FossilPath = _Checked["fossil"]
Share = Annotated[Number, Field(ge=0.0, le=1.0)]


class RegionInvestment(Model):
    path: LevelPath | None = Field(default=None, description="fixed-asset investment, 100 million CNY_2020")
    mix: dict[str, Share] | None = Field(default=None, description="share of investment by sector or aggregate")


class Investment(Model):
    default_growth: RatePath = Field(default=0.03, description="FAI growth of leaves without their own path")
    realisation: IndexPath = Field(default=1.0, description="share of planned investment realised")
    regions: dict[str, RegionInvestment] = Field(default_factory=dict)


class Convergence(Model):
    """District export growth above (or below) the Tianjin-wide path, fading with a half-life.

    For a region with premium ``p``: ``p x 2^(-(t - since - 1) / half_life)`` is added to its export growth
    in every year ``t > since`` (the full premium in the first year after the evidence ends).
    """

    half_life: Annotated[Number, Field(gt=0.0, le=50.0)] = 3.0
    since: Annotated[Integer, Field(ge=START, le=END - 1)] = START
    premium: dict[str, Annotated[Number, Field(ge=-0.5, le=0.5)]] = Field(
        default_factory=dict, description="region -> export growth premium in the year after `since`"
    )

    def factor(self) -> np.ndarray:
        """Weight of the premium in each year 2020..2035."""
        years = np.array(YEARS, dtype=float)
        return np.where(years > self.since, 2.0 ** (-(years - self.since - 1) / float(self.half_life)), 0.0)


class Exports(Model):
    growth: RatePath = Field(default=0.045, description="growth of exports out of Tianjin")
    by_region: dict[str, RatePath] = Field(default_factory=dict, description="replaces growth for a region")
    by_sector: dict[str, RatePath] = Field(default_factory=dict, description="added to the growth of a sector")
    convergence: Convergence = Convergence()


class IndustryShares(Model):
    mode: Literal["emergent", "target"] = "emergent"
    targets: dict[str, dict[str, SharePath]] = Field(
        default_factory=dict, description="region -> aggregate -> share of GDP"
    )
    shift: Literal["neutral", "additive"] = Field(
        default="neutral",
        description="neutral: what the targeted sectors' outside demand gains, the rest of the region's loses "
        "(the region's GDP unchanged in the year); additive: the targeted demand is added, nothing taken away",
    )
    plausible_shift: Number = Field(
        default=0.05,
        gt=0,
        le=1,
        description="a target needing an outside-demand shift above this share of the region's GDP is flagged",
    )

    @model_validator(mode="after")
    def _explicit(self) -> IndustryShares:
        if self.mode == "emergent" and self.targets:
            raise ValueError("targets are given but mode is 'emergent'; set mode: target")
        if self.mode == "target" and not self.targets:
            raise ValueError("mode is 'target' but no targets are given")
        return self


class Population(Model):
    default_growth: RatePath = Field(default=0.0, description="growth of leaves without their own path")
    regions: dict[str, LevelPath] = Field(default_factory=dict, description="residents, 10^4 persons")


#: the tags of the two forms of ``prices.value_added`` (pydantic puts them in error locations; the loader
#: drops them, and the spaces keep them apart from any scenario key)
ONE_PATH, BY_AGGREGATE = "index path", "by aggregate"
_PATH_FORM_KEYS = frozenset(("constant", "values", "growth", "cumulative", "kind"))


def value_added_form(value: Any) -> str:
    """``prices.value_added`` is one index path (a number or a mapping with a path form among its keys) or
    a mapping of sector or aggregate ids to index paths."""
    if isinstance(value, dict) and value and not {str(k) for k in value} & _PATH_FORM_KEYS:
        return BY_AGGREGATE
    return ONE_PATH


ValueAddedPrices = Annotated[
    Annotated[PricePath, Tag(ONE_PATH)] | Annotated[dict[str, PricePath], Tag(BY_AGGREGATE)],
    Discriminator(value_added_form),
]


class Prices(Model):
    """Price paths of the Leontief cost-push price model (2020 = 1)."""

    value_added: ValueAddedPrices = Field(
        default=1.0,
        description="price of value added (wages, profits, taxes per unit): one index path for every sector, or "
        "a mapping of exact aggregate or sector ids (primary, secondary, tertiary, industry, ...) to index paths; "
        "the keys must cover every sector, a sector or smaller aggregate overriding a larger one",
    )
    imports: PricePath = Field(default=1.0, description="price of non-energy inputs bought from outside Tianjin")
    energy: PricePath = Field(
        default=1.0, description="price of energy inputs bought from outside Tianjin (fuels and electricity)"
    )


class Energy(Model):
    efficiency: dict[str, RatePath] = Field(
        default_factory=dict, description="annual fall of energy per unit of output"
    )
    electrification: dict[str, SharePath] = Field(
        default_factory=dict, description="share of fossil end use switched to electricity"
    )
    coal_to_gas: dict[str, SharePath] = Field(default_factory=dict, description="share of coal switched to gas")
    grid_emission_factor: FossilPath = Field(
        default=1.0, description="power-sector fossil share relative to 2020, in [0, 1]"
    )


class Parameters(Model):
    supply_elasticity: Annotated[Number, Field(ge=0.0, le=3.0)] = 0.5
    depreciation: Annotated[Number, Field(gt=0.0, lt=1.0)] = 0.096
    tfp_growth: RatePath = 0.015
    electric_substitution: Annotated[Number, Field(gt=0.0, le=3.0)] = 0.8
    residential_income_elasticity: Annotated[Number, Field(ge=0.0, le=2.0)] = 0.5
    fuel_offset: Annotated[Number, Field(ge=0.0, le=1.0)] = 0.5
    utilisation_margin: Annotated[Number, Field(ge=0.0, le=1.0)] = Field(
        default=0.15, description="output allowed above capacity before demand is met from outside Tianjin"
    )
    energy_price_elasticity: Annotated[Number, Field(ge=0.0, le=2.0)] = Field(
        default=0.3, description="own-price elasticity of energy use per unit of output (a positive number)"
    )


YearShifts = dict[int, Annotated[Number, Field(ge=-0.5, le=0.5)]]


class Nowcast(Model):
    """Years up to the calibration vintage follow the published record (written by ``simcore calibrate``).

    ``gdp_growth`` records the published real growth each year is pinned to (region -> year -> rate);
    ``shifts`` are the per-year additions to the region's outside-demand growth that the calibration solved
    so that the trend reproduces them (region -> year -> rate; a region's shift applies to all its leaves,
    nested shifts add up).  ``enabled: false`` drops the shifts.
    """

    enabled: StrictBool = True
    vintage: Annotated[Integer, Field(ge=START, le=END)] | None = None
    gdp_growth: dict[str, YearShifts] = Field(default_factory=dict)
    shifts: dict[str, YearShifts] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _years(self) -> Nowcast:
        for block in (self.gdp_growth, self.shifts):
            for region, years in block.items():
                for year in years:
                    if not START + 1 <= year <= END:
                        raise ValueError(f"year {year} of {region} outside the projection years {START + 1}-{END}")
        return self


UNCERTAIN_PARAMETERS = (
    "depreciation",
    "supply_elasticity",
    "tfp_growth",
    "export_growth",
    "efficiency",
    "grid",
    "realisation",
    "flegg_delta",
    "gravity_decay",
    "export_growth_annual",
    "nontradable_rpc_district",  # appended: the streams of the parameters above keep their numbers
    "utilisation_margin",
    "energy_price_elasticity",
)


#: the range a draw of each uncertain parameter must stay in (closed; docs/scenarios.md, "Bounds"): the schema's
#: range of the parameter it sets, a multiplier >= 0, a shift of an annual rate within the rate bounds.  A
#: distribution whose bounded support (uniform, triangular, a ``clip``) or central value leaves it is refused
#: when the scenario is validated; the unbounded tails of normal and lognormal draws are truncated to it
DRAW_RANGES: dict[str, tuple[float, float]] = {
    "depreciation": (0.0, 0.99),
    "supply_elasticity": (0.0, 3.0),
    "tfp_growth": (RATE_LOW, RATE_HIGH),
    "export_growth": (RATE_LOW, RATE_HIGH),
    "export_growth_annual": (RATE_LOW, RATE_HIGH),
    "efficiency": (0.0, math.inf),
    "grid": (0.0, math.inf),
    "realisation": (0.0, INDEX_HIGH),
    "flegg_delta": (0.01, 1.0),
    "gravity_decay": (0.0, 10.0),
    "nontradable_rpc_district": (0.0, 1.0),
    "utilisation_margin": (0.0, 1.0),
    "energy_price_elasticity": (0.0, 2.0),
}


def _range_text(lo: float, hi: float) -> str:
    return f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else f"[{lo:g}, inf)"


class Distribution(Model):
    """A probability distribution: normal(mean, sd), lognormal(median, sigma), uniform(low, high),
    triangular(low, mode, high); ``clip: [lo, hi]`` truncates draws."""

    dist: Literal["normal", "lognormal", "uniform", "triangular"]
    mean: Number | None = None
    sd: Annotated[Number, Field(gt=0)] | None = None
    median: Annotated[Number, Field(gt=0)] | None = None
    sigma: Annotated[Number, Field(gt=0)] | None = None
    low: Number | None = None
    mode: Number | None = None
    high: Number | None = None
    clip: tuple[Number, Number] | None = None
    per_region: StrictBool = False
    #: the uncertain parameter it is drawn for, set from its key in ``uncertainty.parameters`` (hidden like a
    #: time path's kind), so that its draw range is checked, and reported, where the distribution is written
    kind: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        needed = {
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sigma"),
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
        }[self.dist]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)} for a {self.dist} distribution; {self.dist} takes {', '.join(needed)}"
            )
        extra = [
            name
            for name in ("mean", "sd", "median", "sigma", "low", "mode", "high")
            if name not in needed and getattr(self, name) is not None
        ]
        if extra:
            raise ValueError(
                f"{', '.join(extra)} does not apply to a {self.dist} distribution; "
                f"{self.dist} takes {', '.join(needed)}"
            )
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}; low < high")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode:g} outside [{self.low:g}, {self.high:g}]; a mode between low and high")
        if self.clip is not None and not self.clip[0] < self.clip[1]:
            raise ValueError("clip must be [lower, upper] with lower < upper; [lower, upper] with lower < upper")
        if self.kind in DRAW_RANGES:
            lo, hi = DRAW_RANGES[self.kind]
            problem = self.range_problem(lo, hi)
            if problem:
                raise ValueError(
                    f"{problem}; draws of {self.kind} within {_range_text(lo, hi)} (add or narrow clip: [lo, hi])"
                )
        return self

    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take (infinite for an unbounded tail)."""
        if self.dist == "normal":
            lo, hi = -math.inf, math.inf
        elif self.dist == "lognormal":
            lo, hi = 0.0, math.inf
        else:
            lo, hi = float(self.low), float(self.high)
        if self.clip is not None:
            lo, hi = max(lo, float(self.clip[0])), min(hi, float(self.clip[1]))
        return lo, hi

    def centre(self) -> float:
        return float(
            {"normal": self.mean, "lognormal": self.median, "uniform": self.low, "triangular": self.mode}[self.dist]
            if self.dist != "uniform"
            else (self.low + self.high) / 2
        )

    def range_problem(self, lo: float, hi: float) -> str | None:
        """Why draws of this distribution can leave [lo, hi] other than by an unbounded tail (None: they cannot)."""
        s_lo, s_hi = self.support()
        centre = self.centre()
        if not lo <= centre <= hi:
            return f"a {self.dist} distribution centred at {centre:g}, outside {_range_text(lo, hi)}"
        if self.clip is not None and (s_lo > hi or s_hi < lo):
            return f"clip [{self.clip[0]:g}, {self.clip[1]:g}] outside {_range_text(lo, hi)}"
        if self.dist == "lognormal" and self.clip is None:
            s_lo = -math.inf  # its lower tail approaches 0: truncated like any unbounded tail
        if math.isfinite(s_lo) and s_lo < lo or math.isfinite(s_hi) and s_hi > hi:
            return f"draws reach [{s_lo:g}, {s_hi:g}], outside {_range_text(lo, hi)}"
        return None

    def sample(self, rng: np.random.Generator, shape) -> np.ndarray:
        if self.dist == "normal":
            out = rng.normal(self.mean, self.sd, shape)
        elif self.dist == "lognormal":
            out = float(self.median) * np.exp(rng.normal(0.0, self.sigma, shape))
        elif self.dist == "uniform":
            out = rng.uniform(self.low, self.high, shape)
        else:
            out = rng.triangular(self.low, self.mode, self.high, shape)
        if self.clip is not None:
            out = np.clip(out, *self.clip)
        return out


def _name_parameters(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {k: {**v, "kind": k} if isinstance(v, dict) else v for k, v in parameters.items()}
    return parameters


class Uncertainty(Model):
    draws: Annotated[Integer, Field(ge=1, le=10_000_000)] = 1000
    variants: Annotated[Integer, Field(ge=1, le=256)] = 16
    baseline_levels: StrictBool = True
    parameters: Annotated[dict[Literal[UNCERTAIN_PARAMETERS], Distribution], BeforeValidator(_name_parameters)] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _per_region(self) -> Uncertainty:
        for name, dist in self.parameters.items():
            if dist.per_region and name != "export_growth":
                raise ValueError(f"per_region applies to export_growth only, not {name}; per_region on export_growth")
        return self


class ScenarioSpec(Model):
    name: str = Field(min_length=1)
    description: str = ""
    extends: str | None = None
    seed: Annotated[Integer, Field(ge=0)] | None = None
    nowcast: Nowcast = Nowcast()
    investment: Investment = Investment()
    exports: Exports = Exports()
    industry_shares: IndustryShares = IndustryShares()
    population: Population = Population()
    energy: Energy = Energy()
    prices: Prices = Prices()
    parameters: Parameters = Parameters()
    uncertainty: Uncertainty = Uncertainty()
