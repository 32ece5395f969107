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
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictFloat,
    StrictInt,
    Tag,
    model_validator,
)

START, END = 2020, 2035
YEARS = tuple(range(START, END + 1))
_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")

Number = StrictFloat | StrictInt


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


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

    kind: Literal["level", "rate", "share", "index"] = Field(default="level", exclude=True)

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

    if start <= 0:
        raise ValueError("a cumulative total needs a positive level in the year before the period")
    if total <= 0:
        raise ValueError("a cumulative total must be positive")

    def gap(g: float) -> float:
        growth = 1.0 + g
        series = n if abs(g) < 1e-12 else growth * (growth**n - 1.0) / g
        return start * series - total

    return float(brentq(gap, -0.99, 20.0, xtol=1e-14, rtol=1e-14))


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
        raise ValueError(f"a {path.kind} path takes a number, constant or values, not {form}")
    numbers = []
    if path.constant is not None:
        numbers.append(float(path.constant))
    numbers += [float(v) for v in (path.values or {}).values()]
    for value in numbers:
        if not math.isfinite(value):
            raise ValueError("values must be finite")
        if path.kind == "share" and not 0.0 <= value <= 1.0:
            raise ValueError(f"share {value:g} outside [0, 1]")
        if path.kind == "level" and value < 0:
            raise ValueError(f"level {value:g} is negative")
        if path.kind == "index" and value < 0:
            raise ValueError(f"index {value:g} is negative")
        if path.kind == "rate" and not -0.5 <= value <= 1.0:
            raise ValueError(f"rate {value:g} outside [-0.5, 1.0] (rates are fractions: 0.05 is 5%)")
    if path.form() == "cumulative":
        for value in path.cumulative.values():
            if value <= 0:
                raise ValueError(f"cumulative total {value:g} must be positive")
    return path


class _Checked:
    def __class_getitem__(cls, kind: str):
        from pydantic import AfterValidator

        return Annotated[TimePath, _path(kind), AfterValidator(_check_kind)]


LevelPath = _Checked["level"]
RatePath = _Checked["rate"]
SharePath = _Checked["share"]
IndexPath = _Checked["index"]
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
    since: Annotated[int, Field(ge=START, le=END - 1)] = START
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
    plausible_shift: float = Field(
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
    Annotated[IndexPath, Tag(ONE_PATH)] | Annotated[dict[str, IndexPath], Tag(BY_AGGREGATE)],
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
    imports: IndexPath = Field(default=1.0, description="price of non-energy inputs bought from outside Tianjin")
    energy: IndexPath = Field(
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
    grid_emission_factor: IndexPath = Field(default=1.0, description="power-sector fossil share, 2020 = 1")


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

    enabled: bool = True
    vintage: Annotated[int, Field(ge=START, le=END)] | None = None
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
    per_region: bool = False

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
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode:g} outside [{self.low:g}, {self.high:g}]")
        if self.clip is not None and not self.clip[0] < self.clip[1]:
            raise ValueError("clip must be [lower, upper] with lower < upper")
        return self

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


class Uncertainty(Model):
    draws: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    variants: Annotated[int, Field(ge=1, le=256)] = 16
    baseline_levels: bool = True
    parameters: dict[Literal[UNCERTAIN_PARAMETERS], Distribution] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _per_region(self) -> Uncertainty:
        for name, dist in self.parameters.items():
            if dist.per_region and name != "export_growth":
                raise ValueError(f"per_region applies to export_growth only, not {name}")
        return self


class ScenarioSpec(Model):
    name: str = Field(min_length=1)
    description: str = ""
    extends: str | None = None
    seed: Annotated[int, Field(ge=0)] | None = None
    nowcast: Nowcast = Nowcast()
    investment: Investment = Investment()
    exports: Exports = Exports()
    industry_shares: IndustryShares = IndustryShares()
    population: Population = Population()
    energy: Energy = Energy()
    prices: Prices = Prices()
    parameters: Parameters = Parameters()
    uncertainty: Uncertainty = Uncertainty()
