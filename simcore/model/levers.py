"""What each lever does: a scenario's time paths evaluated into the yearly arrays the kernel reads.

:func:`compile_scenario` turns a validated :class:`~simcore.scenario.loader.Scenario` into
:class:`Paths`: investment levels (leaves' own paths, then aggregates sharing out the rest) and mix,
export growth (base, by region, sector premiums, convergence, nowcast shifts), residents, energy levers
by sector (efficiency, electrification, coal-to-gas; households last), the grid index, investment
realisation, the share targets with their export responses, and the price paths (value added by
sector, imports, energy).  Problems found here come back with the
file and line of the key, all at once (:func:`validate` collects them for ``simcore validate``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.baseline.tables import Baseline
from simcore.errors import Issue, ScenarioError
from simcore.model.system import System, system_for
from simcore.scenario.dotted import join as _dotted
from simcore.scenario.loader import Scenario, all_paths, location_of
from simcore.scenario.schema import YEARS

#: a level path (investment, residents) may reach at most this many times its 2020 value (the most a rate
#: of +50% a year compounds to over 2021-2035 is 437 times)
LEVEL_FACTOR_HIGH = 1000.0


@dataclass(frozen=True)
class Paths:
    """A scenario's yearly arrays and scalar parameters (see kernels.simulate for shapes)."""

    t_num: np.ndarray
    t_den: np.ndarray
    t_resp: np.ndarray
    t_tn: np.ndarray
    t_td: np.ndarray
    t_path: np.ndarray
    t_pat: np.ndarray
    fai: np.ndarray
    theta: np.ndarray
    gx: np.ndarray
    pop: np.ndarray
    tfp: np.ndarray
    eff: np.ndarray
    elec: np.ndarray
    c2g: np.ndarray
    grid: np.ndarray
    realisation: np.ndarray
    phi: float
    r_e: float
    eps_h: float
    fuel_offset: float
    depreciation: float
    supply_elasticity: float
    workforce: np.ndarray  # (R, T) resident workers commuting to each leaf
    log_energy_price: np.ndarray  # (T,) log of prices.energy
    utilisation_margin: float
    energy_price_elasticity: float
    price_value_added: np.ndarray | None = None  # (T, S) 2020 = 1; read by simcore.model.prices, not the kernel
    price_imports: np.ndarray | None = None
    price_energy: np.ndarray | None = None
    target_labels: tuple[str, ...] = ()
    #: ``(dotted key, "file:line")`` of every lever the scenario's files set (to the depth of a lever: a region's
    #: investment path, a sector's efficiency, a target), for the messages of failed draws
    #: (:func:`simcore.model.boundary.check_status`)
    lever_marks: tuple[tuple[str, str], ...] = ()


class _Issues:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.items: list[Issue] = []

    def add(self, loc: tuple, problem: str, got, expected: str) -> None:
        name, line = location_of(self.scenario.marks, loc, self.scenario.layers[-1] if self.scenario.layers else "")
        self.items.append(Issue(name, line, _dotted(loc), problem, got, expected))

    def raise_if_any(self) -> None:
        if self.items:
            raise ScenarioError(self.items)


def _ordered_keys(keys, b: Baseline) -> list[str]:
    """Aggregates (largest first) before sectors, so that the more specific key wins."""

    def size(key: str) -> float:
        return float(b.sectors.weights_of(key).sum()) if key != "households" else 0.0

    return sorted(keys, key=lambda k: (k in b.sectors.ids or k == "households", -size(k)))


def compile_scenario(scenario: Scenario, b: Baseline, system: System | None = None) -> Paths:
    """Evaluate a scenario's levers into yearly arrays for the kernel.

    Raises
    ------
    ScenarioError
        When a lever cannot be applied (an aggregate path below its leaves' paths, a time path that cannot
        be evaluated, ...), with the file and line of the offending key.
    """
    try:
        return _compile(scenario, b, system or system_for(b))
    except ValueError:
        issues = _Issues(scenario)
        for loc, path in all_paths(scenario.spec):
            try:
                path.evaluate(1.0 if path.kind == "level" else None)
            except ValueError as err:
                issues.add(
                    loc, str(err), path.model_dump(exclude_none=True), "a path that can be evaluated over 2020-2035"
                )
        if not issues.items:
            raise
        issues.raise_if_any()


def _compile(scenario: Scenario, b: Baseline, system: System) -> Paths:
    issues = _Issues(scenario)
    fields = compile_sections(scenario.spec, b, system, SECTIONS, issues)
    issues.raise_if_any()
    return Paths(**fields, lever_marks=lever_marks(scenario))


#: how deep a lever's key goes below each top-level key (``investment.regions.binhai.path``: 4)
_LEVER_DEPTH = {"investment": 4, "exports": 3, "energy": 3, "industry_shares": 4, "population": 3, "parameters": 2}


def lever_marks(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """``(dotted key, "file:line")`` of every lever set in the scenario's files, in file order."""
    out = []
    for loc, (name, line) in scenario.marks.items():
        depth = _LEVER_DEPTH.get(str(loc[0]) if loc else "")
        if depth is None or len(loc) < 2 or len(loc) > depth:
            continue
        if loc[0] == "investment" and len(loc) == 3:  # investment.regions.<region>: its path or mix is the lever
            continue
        if loc[0] == "industry_shares" and len(loc) == 3:
            continue
        out.append((_dotted(loc), f"{name}:{line}"))
    return tuple(out)


#: the parts of :class:`Paths` that :func:`compile_sections` computes separately, each from its own part of
#: the scenario (see :data:`SECTION_SOURCES`): a sweep recomputes only those its levers touch
SECTIONS = (
    "fai",
    "theta",
    "gx",
    "pop",
    "eff",
    "elec",
    "c2g",
    "grid",
    "realisation",
    "targets",
    "tfp",
    "draw_scalars",
    "scalars",
    "prices",
)

#: which scenario keys each section reads (dotted prefixes, ``*`` for any one key)
SECTION_SOURCES: dict[str, tuple[str, ...]] = {
    "fai": ("investment.default_growth", "investment.regions.*.path"),
    "theta": ("investment.regions.*.mix",),
    "gx": ("exports", "nowcast.enabled", "nowcast.shifts"),
    "pop": ("population",),
    "eff": ("energy.efficiency",),
    "elec": ("energy.electrification",),
    "c2g": ("energy.coal_to_gas",),
    "grid": ("energy.grid_emission_factor",),
    "realisation": ("investment.realisation",),
    "targets": ("industry_shares",),
    "tfp": ("parameters.tfp_growth",),
    "draw_scalars": (
        "parameters.depreciation",
        "parameters.supply_elasticity",
        "parameters.utilisation_margin",
        "parameters.energy_price_elasticity",
    ),
    "scalars": (
        "parameters.electric_substitution",
        "parameters.residential_income_elasticity",
        "parameters.fuel_offset",
    ),
    "prices": ("prices",),
}

#: scenario keys that change no compiled path (descriptions, the Monte Carlo and nowcast records)
NO_PATHS = ("name", "description", "extends", "seed", "uncertainty", "nowcast.vintage", "nowcast.gdp_growth")


def sections_of(dotted_parts: tuple[str, ...]) -> set[str] | None:
    """The sections a change at ``dotted_parts`` (a scenario key, split) can move; None when unknown."""

    def overlaps(prefix: str) -> bool:
        rule = prefix.split(".")
        return all(r == "*" or r == str(p) for r, p in zip(rule, dotted_parts))

    if any(overlaps(prefix) and len(prefix.split(".")) <= len(dotted_parts) for prefix in NO_PATHS):
        return set()
    found = {name for name, prefixes in SECTION_SOURCES.items() if any(overlaps(p) for p in prefixes)}
    return found or None


def _path_key(path, base) -> tuple:
    def frozen(value):
        return tuple(sorted((str(k), float(v)) for k, v in value.items())) if isinstance(value, dict) else value

    return (path.kind, path.constant, frozen(path.values), frozen(path.growth), frozen(path.cumulative), base)


class PathMemo:
    """Evaluated time paths by value (a sweep's runs share most of them): evaluate once, copy after."""

    def __init__(self, limit: int = 4096):
        self.values: dict[tuple, np.ndarray] = {}
        self.limit = limit

    def evaluate(self, path, base=None) -> np.ndarray:
        key = _path_key(path, base)
        found = self.values.get(key)
        if found is None:
            found = path.evaluate(base)
            if len(self.values) >= self.limit:
                self.values.clear()
            self.values[key] = found
        return found.copy()


def compile_sections(spec, b: Baseline, system: System, names, issues: _Issues, memo: PathMemo | None = None) -> dict:
    """The :class:`Paths` fields of the sections ``names`` (of :data:`SECTIONS`), by field name.

    Each section reads only its :data:`SECTION_SOURCES`, so a section computed here equals the same fields
    of a whole :func:`compile_scenario`.  Problems are added to ``issues``.
    """
    evaluate_path = memo.evaluate if memo is not None else (lambda path, base=None: path.evaluate(base))

    def evaluate(path, base=None, loc: tuple = ()) -> np.ndarray:
        """The path's values; a path that cannot be evaluated is an issue at ``loc`` (its base held)."""
        try:
            return evaluate_path(path, base)
        except ValueError as err:
            _path_issue(issues, loc, path, err)
            return np.full(len(YEARS), float(base) if base is not None else 0.0)

    def level_path(path, base: float, loc: tuple) -> np.ndarray:
        """A level path from its 2020 base, at most :data:`LEVEL_FACTOR_HIGH` times the base (the rate a
        cumulative total needs is a plan's own figure: Ziya's 2021-2025 FAI total needs +77% a year)."""
        values = evaluate(path, base, loc)
        if base > 0 and (values > LEVEL_FACTOR_HIGH * base).any():
            year = YEARS[int(np.argmax(values > LEVEL_FACTOR_HIGH * base))]
            issues.add(
                loc,
                f"the path reaches {float(values.max()):.6g} in {year}, more than {LEVEL_FACTOR_HIGH:g} times its "
                f"2020 value {base:.6g}",
                path.model_dump(exclude_none=True),
                f"a level at most {LEVEL_FACTOR_HIGH:g} times its 2020 value",
            )
        return values

    names = set(names)
    unknown = names - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}")
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    leaves = b.leaves
    tree = b.regions
    regional = spec.investment.regions
    out: dict = {}

    if "fai" in names:
        # investment levels: leaves' own paths, then aggregates (smallest first) share out the rest
        default = evaluate(spec.investment.default_growth, None, ("investment", "default_growth"))
        fai = np.empty((R, T))
        for r in range(R):
            level = b.fixed_investment[r]
            for t in range(T):
                fai[r, t] = level if t == 0 else fai[r, t - 1] * (1.0 + default[t])
        own = np.zeros(R, bool)
        for region in [k for k in regional if k in leaves]:
            if regional[region].path is not None:
                r = leaves.index(region)
                fai[r] = level_path(
                    regional[region].path, b.fixed_investment[r], ("investment", "regions", region, "path")
                )
                own[r] = True
        aggregates = sorted(
            [k for k in regional if k not in leaves and regional[k].path is not None],
            key=lambda a: len(tree.members(a)),
        )
        for region in aggregates:
            members = [leaves.index(leaf) for leaf in tree.members(region)]
            free = [r for r in members if not own[r]]
            loc = ("investment", "regions", region, "path")
            if not free:
                issues.add(
                    loc,
                    "every leaf of this aggregate has its own path",
                    region,
                    "an aggregate path with at least one leaf left to share it",
                )
                continue
            base = b.fixed_investment[members].sum()
            total = level_path(regional[region].path, base, loc)
            rest = total - fai[[r for r in members if own[r]]].sum(axis=0)
            if (rest[1:] < 0).any():
                year = YEARS[int(np.argmax(rest < 0))]
                issues.add(
                    loc,
                    f"the aggregate path is below its leaves' own paths in {year}",
                    round(float(total[YEARS.index(year)]), 2),
                    "an aggregate path at least the sum of its leaves",
                )
                continue
            weights = b.fixed_investment[free] / b.fixed_investment[free].sum()
            for w, r in zip(weights, free):
                fai[r, 1:] = w * rest[1:]
                own[r] = True
        out["fai"] = np.ascontiguousarray(fai)

    if "theta" in names:
        # investment mix by destination sector: default the 2020 capital structure
        K = b.capital
        theta = K / K.sum(axis=1, keepdims=True)
        for region in sorted(regional, key=lambda a: -len(tree.members(a))):
            mix = regional[region].mix
            if mix is None:
                continue
            for leaf in tree.members(region):
                r = leaves.index(leaf)
                row = np.zeros(S)
                for key, share in mix.items():
                    w = b.sectors.weights_of(key)
                    capital = K[r] * w
                    if capital.sum() > 0:
                        row += share * capital / capital.sum()
                    else:
                        row += share * w / w.sum()
                theta[r] = row
        out["theta"] = np.ascontiguousarray(theta)

    if "gx" in names:
        # exports: base growth, replaced by region, plus sector premiums
        gx = np.repeat(evaluate(spec.exports.growth, None, ("exports", "growth"))[None, None, :], R, axis=0).repeat(
            S, axis=1
        )
        for region in sorted(spec.exports.by_region, key=lambda a: -len(tree.members(a))):
            path = evaluate(spec.exports.by_region[region], None, ("exports", "by_region", region))
            for leaf in tree.members(region):
                gx[leaves.index(leaf)] = path[None, :]
        for key, path in spec.exports.by_sector.items():
            gx += (
                b.sectors.weights_of(key)[None, :, None]
                * evaluate(path, None, ("exports", "by_sector", key))[None, None, :]
            )
        convergence = spec.exports.convergence
        fade = convergence.factor()
        premium = np.zeros(R)
        for region in sorted(convergence.premium, key=lambda a: -len(tree.members(a))):
            for leaf in tree.members(region):  # the more specific region, applied last, wins
                premium[leaves.index(leaf)] = float(convergence.premium[region])
        gx += premium[:, None, None] * fade[None, None, :]
        if spec.nowcast.enabled:  # per-year shifts solved by simcore calibrate (nested regions add up)
            for region, years in spec.nowcast.shifts.items():
                rows = [leaves.index(leaf) for leaf in tree.members(region)]
                for year, shift in years.items():
                    gx[rows, :, YEARS.index(int(year))] += float(shift)
        if (gx[:, :, 1:] <= -1.0).any():  # the parts add up: a growth of -100% or less leaves no outside demand
            r, i, t = np.argwhere(gx[:, :, 1:] <= -1.0)[0] + (0, 0, 1)
            issues.add(
                ("exports",),
                f"export growth of {leaves[r]}, sector {b.sectors.ids[i]}, adds up to {gx[r, i, t]:.4g} in {YEARS[t]} "
                "(growth, by_region, by_sector, convergence premium and nowcast shifts together)",
                round(float(gx[r, i, t]), 4),
                "a combined annual export growth above -1",
            )
        out["gx"] = np.ascontiguousarray(gx)

    if "pop" in names:
        pop = np.empty((R, T))
        growth = evaluate(spec.population.default_growth, None, ("population", "default_growth"))
        for r in range(R):
            pop[r, 0] = b.population[r]
            for t in range(1, T):
                pop[r, t] = pop[r, t - 1] * (1.0 + growth[t])
        for region, path in spec.population.regions.items():
            r = leaves.index(region)
            pop[r] = level_path(path, b.population[r], ("population", "regions", region))
            if (pop[r] <= 0).any():
                issues.add(
                    ("population", "regions", region),
                    "population must stay positive",
                    float(pop[r].min()),
                    "a path above zero",
                )
        out["pop"] = pop
        out["workforce"] = np.ascontiguousarray(b.commute.T @ (b.participation[:, None] * pop))

    def by_sector(levers: dict, what: str, base: float | None) -> np.ndarray:
        values_out = np.zeros((S + 1, T))
        for key in _ordered_keys(levers, b):
            values = evaluate(levers[key], base, ("energy", what, key))
            if key == "households":
                values_out[S] = values
                continue
            if (
                key in b.sectors.aggregate_ids
                and b.sectors.aggregate_kinds[b.sectors.aggregate_ids.index(key)] == "proxy"
            ):
                issues.add(
                    ("energy", what, key),
                    "proxy aggregates cannot carry energy levers",
                    key,
                    "a sector id, an exact aggregate or households",
                )
                continue
            values_out[:S][b.sectors.weights_of(key) > 0] = values
        return values_out

    if "eff" in names:
        out["eff"] = by_sector(spec.energy.efficiency, "efficiency", None)
    if "elec" in names:
        elec = by_sector(spec.energy.electrification, "electrification", 0.0)
        elec[:, 0] = 0.0  # 2020 is the baseline
        out["elec"] = elec
    if "c2g" in names:
        c2g = by_sector(spec.energy.coal_to_gas, "coal_to_gas", 0.0)
        c2g[:, 0] = 0.0
        out["c2g"] = c2g
    if "grid" in names:
        grid = evaluate(spec.energy.grid_emission_factor, 1.0, ("energy", "grid_emission_factor"))
        grid[0] = 1.0
        out["grid"] = grid
    if "realisation" in names:
        realisation = evaluate(spec.investment.realisation, 1.0, ("investment", "realisation"))
        realisation[0] = 1.0
        out["realisation"] = realisation
    if "targets" in names:
        out.update(_targets(spec, b, system, issues))
    params = spec.parameters
    if "tfp" in names:
        out["tfp"] = evaluate(params.tfp_growth, None, ("parameters", "tfp_growth"))
    if "draw_scalars" in names:
        out["depreciation"] = float(params.depreciation)
        out["supply_elasticity"] = float(params.supply_elasticity)
        out["utilisation_margin"] = float(params.utilisation_margin)
        out["energy_price_elasticity"] = float(params.energy_price_elasticity)
    if "scalars" in names:
        out["phi"] = b.parameter("gfcf_to_fai")
        out["r_e"] = float(params.electric_substitution)
        out["eps_h"] = float(params.residential_income_elasticity)
        out["fuel_offset"] = float(params.fuel_offset)
    if "prices" in names:
        energy_price = _from_2020(evaluate(spec.prices.energy, 1.0, ("prices", "energy")))
        out["log_energy_price"] = np.log(energy_price)
        out["price_value_added"] = _value_added_prices(spec.prices.value_added, b)
        out["price_imports"] = _from_2020(evaluate(spec.prices.imports, 1.0, ("prices", "imports")))
        out["price_energy"] = energy_price
    return out


def _path_issue(issues: _Issues, loc: tuple, path, err: ValueError) -> None:
    """A path that cannot be evaluated: ``problem; rule`` of the error, or a general rule."""
    problem, _, rule = str(err).partition("; ")
    issues.add(loc, problem, path.model_dump(exclude_none=True), rule or "a path that can be evaluated over 2020-2035")


def _value_added_prices(spec, b: Baseline) -> np.ndarray:
    """The price of value added of every sector, (T, S), 2020 = 1: one path for all sectors, or a path per
    aggregate or sector (larger aggregates first, so a smaller one or a sector overrides them; the loader
    checks that the keys cover every sector)."""
    if not isinstance(spec, dict):
        return np.repeat(_from_2020(spec.evaluate(1.0))[:, None], b.n_sector, axis=1)
    out = np.ones((len(YEARS), b.n_sector))
    for key in _ordered_keys(spec, b):
        out[:, b.sectors.weights_of(key) > 0] = _from_2020(spec[key].evaluate(1.0))[:, None]
    return out


def _from_2020(index: np.ndarray) -> np.ndarray:
    """A price index with 2020 = 1: 2020 is the price base of every table."""
    index = np.array(index, dtype=float)
    index[0] = 1.0
    return index


def _targets(spec, b: Baseline, system: System, issues: _Issues):
    """Share targets: weights, responses to each shift pattern, the patterns and the target paths (the
    ``Paths`` fields of the targets, by name)."""
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    n = R * S
    rows = [
        (region, key, path) for region, targets in spec.industry_shares.targets.items() for key, path in targets.items()
    ]
    m = len(rows)
    t_num, t_den, t_resp = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n))
    t_path = np.zeros((m, T))
    neutral = spec.industry_shares.shift == "neutral"
    rest = np.zeros((m, n))
    labels = []
    for l, (region, key, path) in enumerate(rows):
        mask = np.array([leaf in b.regions.members(region) for leaf in b.leaves], float)
        weights = np.outer(mask, b.sectors.weights_of(key)).reshape(-1)
        t_num[l] = weights * system.v
        t_den[l] = np.repeat(mask, S) * system.v
        pattern = system.E0 * weights
        base_share = float(t_num[l] @ system.x0 / (t_den[l] @ system.x0))
        labels.append(f"{region}:{key}")
        loc = ("industry_shares", "targets", region, key)
        try:
            t_path[l] = path.evaluate(base_share)
        except ValueError as err:
            _path_issue(issues, loc, path, err)
            t_path[l] = base_share
        if pattern.sum() <= 0:
            issues.add(loc, "no exports to adjust for this target", key, "an aggregate the region exports in 2020")
            continue
        t_resp[l] = pattern
        rest[l] = system.E0 * (np.repeat(mask, S) - weights)  # the rest of the region's outside demand
        if neutral and rest[l].sum() <= 0:
            issues.add(
                loc,
                "a GDP-neutral shift needs other exports of the region to take from",
                key,
                "a region exporting other sectors too, or industry_shares.shift: additive",
            )
    import scipy.linalg

    lu = (system.LU, system.piv)
    t_pat = t_resp.copy()  # the 2020 outside demand each shift moves (targeted, then the rest)
    if m:
        t_resp = scipy.linalg.lu_solve(lu, t_resp.T).T  # the output response to each targeted pattern
    if neutral and m:
        # GDP-neutral: m more unknowns, the cut of each target region's other outside demand, and m more
        # equations, each target region's GDP unchanged by the shifts of the year
        t_resp = np.vstack([t_resp, -scipy.linalg.lu_solve(lu, rest.T).T])
        t_pat = np.vstack([t_pat, rest])
    t_resp = np.ascontiguousarray(t_resp) if m else np.zeros((0, n))
    t_tn = t_num @ t_resp.T  # (m, k)
    t_td = t_den @ t_resp.T
    if m:
        # the GDP-neutral equations (k - m of them) are the first rows of t_td: each target region's GDP response
        neutral_rows = t_td[: t_resp.shape[0] - m]
        A = np.concatenate(
            [
                t_tn[None, :, :] - t_path.T[:, :, None] * t_td[None, :, :],
                np.broadcast_to(neutral_rows, (T,) + neutral_rows.shape),
            ],
            axis=1,
        )  # (T, k, k)
        if (np.abs(np.linalg.det(A)) < 1e-12 * np.abs(A).max() ** A.shape[1]).any():
            issues.add(
                ("industry_shares", "targets"),
                "the share targets are not independent",
                labels,
                "targets on different aggregates or regions",
            )
    return {
        "t_num": t_num,
        "t_den": t_den,
        "t_resp": t_resp,
        "t_tn": t_tn,
        "t_td": t_td,
        "t_path": t_path,
        "t_pat": np.ascontiguousarray(t_pat) if m else np.zeros((0, n)),
        "target_labels": tuple(labels),
    }


def validate(path, overrides=None, baseline: Baseline | None = None) -> list[Issue]:
    """Every problem of a scenario file, including those found only when its paths are compiled."""
    from simcore.baseline.tables import load_baseline
    from simcore.scenario.loader import load_scenario

    b = baseline or load_baseline()
    try:
        scenario = load_scenario(path, overrides=overrides, baseline=b)
        compile_scenario(scenario, b, system_for(b))
    except ScenarioError as exc:
        return exc.issues
    return []
