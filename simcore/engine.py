"""The Python side around the kernels: build the system, compile a scenario, draw, call, wrap.

``compile_system`` turns the baseline into the arrays the kernels need (the factorised
``M = I - A - H``, energy intensities, sourcing shares).  ``compile_scenario`` evaluates a scenario's
time paths into yearly arrays.  ``project`` calls the batch kernel (or its NumPy twin) and returns the
raw arrays; :func:`simcore.run` wraps them into :class:`simcore.results.Results`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from .baseline import CO2_SOURCES, FINAL_DEMAND, FUELS, Baseline, cache_load, cache_save
from .errors import SimcoreError, SolverError
from .leontief import LeontiefSolver
from .scenario import Issue, Scenario, ScenarioError, _all_paths, _dotted, _mark
from .schema import YEARS

ALPHA_RANGE = (0.2, 0.8)
FUEL_SECTORS = ("mining", "petrochemicals", "gas_water")


@dataclass(frozen=True)
class System:
    """Scenario-independent arrays derived from the baseline (see kernels.simulate for shapes)."""

    LU: np.ndarray
    piv: np.ndarray
    v: np.ndarray
    x0: np.ndarray
    K0: np.ndarray
    alpha: np.ndarray
    E0: np.ndarray
    gfcf_mix: np.ndarray
    gfcf_share: np.ndarray
    inv_mix: np.ndarray
    inv_share: np.ndarray
    inv0: np.ndarray
    gdp0: np.ndarray
    c_hh: np.ndarray
    pop0: np.ndarray
    power: int
    fuel_sectors: np.ndarray
    power_w: np.ndarray
    fuel_w: np.ndarray
    eps_p: float
    e0: np.ndarray
    ef: np.ndarray
    nf0: np.ndarray
    inflow0: np.ndarray
    proc0: np.ndarray
    e_h0: np.ndarray
    ef_h: np.ndarray
    inflow_h0: np.ndarray
    C0: np.ndarray


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def compile_system(b: Baseline) -> System:
    """Arrays of the 2020 system shared by every scenario and draw."""
    R, S = b.n_region, b.n_sector
    n = R * S
    k_hh, k_gov = FINAL_DEMAND.index("household"), FINAL_DEMAND.index("government")
    k_gfcf, k_inv = FINAL_DEMAND.index("gfcf"), FINAL_DEMAND.index("inventory")
    F0 = b.final_demand
    v = np.tile(b.va_ratio, R)
    x0 = b.gross_output.reshape(-1).copy()

    # household and government consumption closed in proportion to each region's GDP (Type II)
    H = np.zeros((n, n))
    for k in (k_hh, k_gov):
        rate = F0[:, :, k].sum(axis=1) / b.gdp  # (R,)
        mix = _share(F0[:, :, k], F0[:, :, k].sum(axis=1, keepdims=True))  # (R, S)
        for q in range(R):
            for r in range(R):
                coef = b.final_shares[q, r, :, k] * mix[r] * rate[r]  # (S,) per unit of r's GDP
                H[q * S:(q + 1) * S, r * S:(r + 1) * S] += np.outer(coef, b.va_ratio)
    try:
        lu, piv = LeontiefSolver(b.A + H).factors
    except SolverError:
        raise SolverError("the 2020 system I - A - H is singular") from None

    power = b.sectors.index("power_heat")
    fuels = np.array([b.sectors.index(s) for s in FUEL_SECTORS], dtype=np.int64)
    total_coef = b.A.reshape(R, S, n).sum(axis=0) + b.M_out  # (S, n)
    purchases = b.A * x0[None, :]  # flow (q, i) -> column c
    power_w = np.zeros((R, R))
    fuel_w = np.zeros((R, R, 3))
    for r in range(R):
        cols = slice(r * S, (r + 1) * S)
        power_total = (total_coef[power, cols] * x0[cols]).sum()
        fuel_total = sum((total_coef[f, cols] * x0[cols]).sum() for f in fuels)
        for q in range(R):
            power_w[q, r] = purchases[q * S + power, cols].sum() / power_total
            for k, f in enumerate(fuels):
                fuel_w[q, r, k] = purchases[q * S + f, cols].sum() / fuel_total

    energy = b.energy  # (R, S + 1, 5)
    co2 = b.co2  # (R, S + 1, 4)
    fossil = [FUELS.index(f) for f in ("coal", "oil", "gas")]
    e_cells = energy[:, :S, :].reshape(n, len(FUELS))
    co2_cells = co2[:, :S, :].reshape(n, len(CO2_SOURCES))
    e0 = _share(e_cells[:, fossil], x0[:, None])
    tianjin_ef = _share(co2[:, :S, :3].sum(axis=(0, 1)), energy[:, :S, fossil].sum(axis=(0, 1)))
    ef = np.where(e_cells[:, fossil] > 0, _share(co2_cells[:, :3], e_cells[:, fossil]), tianjin_ef[None, :])
    power_cells = np.arange(R) * S + power
    power_energy = e_cells[power_cells][:, fossil].sum() + e_cells[power_cells, FUELS.index("nonfossil")].sum()
    eps_p = float(power_energy / x0[power_cells].sum())
    households = energy[:, S, :]
    return System(
        LU=np.ascontiguousarray(lu), piv=piv.astype(np.int64), v=v, x0=x0,
        K0=b.capital.reshape(-1).copy(), alpha=np.tile(np.clip(b.capital_share, *ALPHA_RANGE), R),
        E0=b.exports.reshape(-1).copy(),
        gfcf_mix=_share(F0[:, :, k_gfcf], F0[:, :, k_gfcf].sum(axis=1, keepdims=True)),
        gfcf_share=np.ascontiguousarray(b.final_shares[:, :, :, k_gfcf]),
        inv_mix=_share(F0[:, :, k_inv], F0[:, :, k_inv].sum(axis=1, keepdims=True)),
        inv_share=np.ascontiguousarray(b.final_shares[:, :, :, k_inv]),
        inv0=F0[:, :, k_inv].sum(axis=1), gdp0=b.gdp.copy(),
        c_hh=F0[:, :, k_hh].sum(axis=1) / b.gdp, pop0=b.population.copy(),
        power=power, fuel_sectors=fuels, power_w=power_w, fuel_w=fuel_w, eps_p=eps_p,
        e0=np.ascontiguousarray(e0), ef=np.ascontiguousarray(ef),
        nf0=_share(e_cells[:, FUELS.index("nonfossil")], x0),
        inflow0=_share(e_cells[:, FUELS.index("electricity_inflow")], x0),
        proc0=_share(co2_cells[:, CO2_SOURCES.index("process")], x0),
        e_h0=np.ascontiguousarray(households[:, fossil]),
        ef_h=_share(co2[:, S, :3].sum(axis=0), households[:, fossil].sum(axis=0)),
        inflow_h0=households[:, FUELS.index("electricity_inflow")].copy(),
        C0=F0[:, :, k_hh].sum(axis=1),
    )


@dataclass(frozen=True)
class Paths:
    """A scenario's yearly arrays and scalar parameters (see kernels.simulate for shapes)."""

    t_num: np.ndarray
    t_den: np.ndarray
    t_resp: np.ndarray
    t_tn: np.ndarray
    t_td: np.ndarray
    t_path: np.ndarray
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
    target_labels: tuple[str, ...] = ()


class _Issues:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.items: list[Issue] = []

    def add(self, loc: tuple, problem: str, got, expected: str) -> None:
        name, line = _mark(self.scenario.marks, loc, self.scenario.layers[-1] if self.scenario.layers else "")
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
        for loc, path in _all_paths(scenario.spec):
            try:
                path.evaluate(1.0 if path.kind == "level" else None)
            except ValueError as err:
                issues.add(loc, str(err), path.model_dump(exclude_none=True),
                           "a path that can be evaluated over 2020-2035")
        if not issues.items:
            raise
        issues.raise_if_any()


def _compile(scenario: Scenario, b: Baseline, system: System) -> Paths:
    spec = scenario.spec
    issues = _Issues(scenario)
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    leaves = b.leaves
    tree = b.regions

    # investment levels: leaves' own paths, then aggregates (smallest first) share out the rest
    default = spec.investment.default_growth.evaluate()
    fai = np.empty((R, T))
    for r in range(R):
        level = b.fixed_investment[r]
        for t in range(T):
            fai[r, t] = level if t == 0 else fai[r, t - 1] * (1.0 + default[t])
    own = np.zeros(R, bool)
    regional = spec.investment.regions
    for region in [k for k in regional if k in leaves]:
        if regional[region].path is not None:
            r = leaves.index(region)
            fai[r] = regional[region].path.evaluate(b.fixed_investment[r])
            own[r] = True
    aggregates = sorted([k for k in regional if k not in leaves and regional[k].path is not None],
                        key=lambda a: len(tree.members(a)))
    for region in aggregates:
        members = [leaves.index(leaf) for leaf in tree.members(region)]
        free = [r for r in members if not own[r]]
        loc = ("investment", "regions", region, "path")
        if not free:
            issues.add(loc, "every leaf of this aggregate has its own path", region,
                       "an aggregate path with at least one leaf left to share it")
            continue
        base = b.fixed_investment[members].sum()
        total = regional[region].path.evaluate(base)
        rest = total - fai[[r for r in members if own[r]]].sum(axis=0)
        if (rest[1:] < 0).any():
            year = YEARS[int(np.argmax(rest < 0))]
            issues.add(loc, f"the aggregate path is below its leaves' own paths in {year}",
                       round(float(total[YEARS.index(year)]), 2), "an aggregate path at least the sum of its leaves")
            continue
        weights = b.fixed_investment[free] / b.fixed_investment[free].sum()
        for w, r in zip(weights, free):
            fai[r, 1:] = w * rest[1:]
            own[r] = True

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

    # exports: base growth, replaced by region, plus sector premiums
    gx = np.repeat(spec.exports.growth.evaluate()[None, None, :], R, axis=0).repeat(S, axis=1)
    for region in sorted(spec.exports.by_region, key=lambda a: -len(tree.members(a))):
        path = spec.exports.by_region[region].evaluate()
        for leaf in tree.members(region):
            gx[leaves.index(leaf)] = path[None, :]
    for key, path in spec.exports.by_sector.items():
        gx += b.sectors.weights_of(key)[None, :, None] * path.evaluate()[None, None, :]
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

    pop = np.empty((R, T))
    growth = spec.population.default_growth.evaluate()
    for r in range(R):
        pop[r, 0] = b.population[r]
        for t in range(1, T):
            pop[r, t] = pop[r, t - 1] * (1.0 + growth[t])
    for region, path in spec.population.regions.items():
        r = leaves.index(region)
        pop[r] = path.evaluate(b.population[r])
        if (pop[r] <= 0).any():
            issues.add(("population", "regions", region), "population must stay positive",
                       float(pop[r].min()), "a path above zero")

    def by_sector(levers: dict, what: str, base: float | None) -> np.ndarray:
        out = np.zeros((S + 1, T))
        for key in _ordered_keys(levers, b):
            values = levers[key].evaluate(base)
            if key == "households":
                out[S] = values
                continue
            if key in b.sectors.aggregate_ids and \
                    b.sectors.aggregate_kinds[b.sectors.aggregate_ids.index(key)] == "proxy":
                issues.add(("energy", what, key), "proxy aggregates cannot carry energy levers", key,
                           "a sector id, an exact aggregate or households")
                continue
            out[:S][b.sectors.weights_of(key) > 0] = values
        return out

    eff = by_sector(spec.energy.efficiency, "efficiency", None)
    elec = by_sector(spec.energy.electrification, "electrification", 0.0)
    c2g = by_sector(spec.energy.coal_to_gas, "coal_to_gas", 0.0)
    elec[:, 0] = 0.0  # 2020 is the baseline
    c2g[:, 0] = 0.0
    grid = spec.energy.grid_emission_factor.evaluate(1.0)
    grid[0] = 1.0
    realisation = spec.investment.realisation.evaluate(1.0)
    realisation[0] = 1.0

    targets = _targets(scenario, b, system, issues)
    issues.raise_if_any()
    params = spec.parameters
    return Paths(*targets[:6], fai=np.ascontiguousarray(fai), theta=np.ascontiguousarray(theta),
                 gx=np.ascontiguousarray(gx), pop=pop, tfp=params.tfp_growth.evaluate(), eff=eff, elec=elec,
                 c2g=c2g, grid=grid, realisation=realisation, phi=b.parameter("gfcf_to_fai"),
                 r_e=float(params.electric_substitution), eps_h=float(params.residential_income_elasticity),
                 fuel_offset=float(params.fuel_offset),
                 depreciation=float(params.depreciation), supply_elasticity=float(params.supply_elasticity),
                 target_labels=targets[6])


def _targets(scenario: Scenario, b: Baseline, system: System, issues: _Issues):
    """Share targets: weights, responses to each target's export pattern, and the target paths."""
    R, S, T = b.n_region, b.n_sector, len(YEARS)
    n = R * S
    rows = [(region, key, path) for region, targets in scenario.spec.industry_shares.targets.items()
            for key, path in targets.items()]
    m = len(rows)
    t_num, t_den, t_resp = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n))
    t_path = np.zeros((m, T))
    labels = []
    for l, (region, key, path) in enumerate(rows):
        mask = np.array([leaf in b.regions.members(region) for leaf in b.leaves], float)
        weights = np.outer(mask, b.sectors.weights_of(key)).reshape(-1)
        t_num[l] = weights * system.v
        t_den[l] = np.repeat(mask, S) * system.v
        pattern = system.E0 * weights
        base_share = float(t_num[l] @ system.x0 / (t_den[l] @ system.x0))
        t_path[l] = path.evaluate(base_share)
        labels.append(f"{region}:{key}")
        if pattern.sum() <= 0:
            issues.add(("industry_shares", "targets", region, key), "no exports to adjust for this target", key,
                       "an aggregate the region exports in 2020")
            continue
        t_resp[l] = pattern
    if m:
        import scipy.linalg

        t_resp = np.ascontiguousarray(scipy.linalg.lu_solve((system.LU, system.piv), t_resp.T).T)  # all at once
    t_tn = t_num @ t_resp.T
    t_td = t_den @ t_resp.T
    if m:
        A = t_tn[None, :, :] - t_path.T[:, :, None] * t_td[None, :, :]
        if (np.abs(np.linalg.det(A)) < 1e-12 * np.abs(A).max() ** m).any():
            issues.add(("industry_shares", "targets"), "the share targets are not independent", labels,
                       "targets on different aggregates or regions")
    return t_num, t_den, t_resp, t_tn, t_td, t_path, tuple(labels)


@dataclass(frozen=True)
class Draws:
    """Per-draw parameters of the batch kernel (all length D; export_shift (D, R, T): the shift of each
    region's export growth in each year)."""

    depreciation: np.ndarray
    supply_elasticity: np.ndarray
    tfp_shift: np.ndarray
    export_shift: np.ndarray
    efficiency_multiplier: np.ndarray
    grid_multiplier: np.ndarray
    realisation_multiplier: np.ndarray

    @classmethod
    def central(cls, paths: Paths, n_region: int) -> "Draws":
        """The one draw at the scenario's central values."""
        return cls(np.array([paths.depreciation]), np.array([paths.supply_elasticity]), np.zeros(1),
                   np.zeros((1, n_region, len(YEARS))), np.ones(1), np.ones(1), np.ones(1))

    def __len__(self) -> int:
        return len(self.depreciation)


@dataclass
class Raw:
    """Kernel outputs (D, T, ...)."""

    va: np.ndarray
    capital: np.ndarray
    energy_cell: np.ndarray
    energy: np.ndarray
    co2: np.ndarray
    co2_cell: np.ndarray
    fai: np.ndarray
    status: np.ndarray


def allocate(D: int, b: Baseline) -> Raw:
    """Zeroed kernel outputs for ``D`` draws of the baseline's system."""
    return allocate_for(D, b.n_region, b.n_sector, len(YEARS))


def allocate_for(D: int, R: int, S: int, T: int) -> Raw:
    """Zeroed kernel outputs for ``D`` draws, ``R`` regions, ``S`` sectors and ``T`` years."""
    return Raw(np.zeros((D, T, R * S)), np.zeros((D, T, R * S)), np.zeros((D, T, R, S + 1)),
               np.zeros((D, T, R, 5)), np.zeros((D, T, R, 4)), np.zeros((D, T, R, S + 1)), np.zeros((D, T, R)),
               np.zeros(D, np.int64))


def kernel_args(system: System, paths: Paths, draws: Draws, out: Raw) -> tuple:
    """The positional arguments of kernels.simulate / reference.simulate, in order."""
    sys_args = tuple(getattr(system, f.name) for f in fields(System))
    path_names = ("t_num", "t_den", "t_resp", "t_tn", "t_td", "t_path", "fai", "theta", "gx", "pop", "tfp", "eff",
                  "elec", "c2g", "grid", "realisation", "phi", "r_e", "eps_h", "fuel_offset")
    path_args = tuple(getattr(paths, name) for name in path_names)
    draw_args = (draws.depreciation, draws.supply_elasticity, draws.tfp_shift, draws.export_shift,
                 draws.efficiency_multiplier, draws.grid_multiplier, draws.realisation_multiplier)
    arrays = sys_args + path_args + draw_args
    contiguous = tuple(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a for a in arrays)
    return contiguous + (out.va, out.capital, out.energy_cell, out.energy, out.co2, out.co2_cell, out.fai,
                         out.status)


STATUS_MESSAGES = {
    1: "a share target needs exports of the targeted sectors cut below zero (target unreachable by demand)",
    2: "gross output turned negative",
    3: "non-finite values",
}


def project(system: System, paths: Paths, draws: Draws, b: Baseline, backend: str = "numba") -> Raw:
    """Run the batch kernel (``backend='numba'``) or its NumPy twin (``'numpy'``)."""
    out = allocate(len(draws), b)
    kernel = _kernel(backend)
    kernel(*kernel_args(system, paths, draws, out))
    return out


def _kernel(backend: str) -> Callable:
    if backend == "numba":
        from .kernels import simulate
    elif backend == "numpy":
        from .reference import simulate
    else:
        raise SimcoreError(f"unknown backend {backend!r}; expected 'numba' or 'numpy'")
    return simulate


def check_status(raw: Raw, paths: Paths) -> None:
    bad = np.flatnonzero(raw.status)
    if bad.size:
        code = int(raw.status[bad[0]])
        targets = f" (targets: {', '.join(paths.target_labels)})" if code == 1 and paths.target_labels else ""
        raise SolverError(f"{bad.size} draw(s) failed, first draw {bad[0]}: {STATUS_MESSAGES[code]}{targets}")


_SYSTEMS: dict[str, System] = {}


SYSTEM_CACHE_VERSION = "system-2"  # bump when compile_system changes what it computes


def system_for(b: Baseline) -> System:
    """The compiled system of a baseline, cached by its checksum in memory and on disk."""
    if b.checksum in _SYSTEMS:
        return _SYSTEMS[b.checksum]
    key = f"{SYSTEM_CACHE_VERSION}|{b.checksum}|{','.join(b.leaves)}|{','.join(b.sectors.ids)}"
    names = [f.name for f in fields(System)]
    cached = cache_load("system", key)
    if cached is not None and set(names) <= set(cached):
        system = System(**{name: cached[name] if cached[name].ndim else cached[name].item() for name in names})
    else:
        system = compile_system(b)
        cache_save("system", key, {name: np.asarray(getattr(system, name)) for name in names})
    _SYSTEMS[b.checksum] = system
    return system


def project_central(scenario: Scenario, b: Baseline, backend: str = "numba") -> tuple[Raw, Paths]:
    """The deterministic run of a loaded scenario: raw kernel outputs (one draw) and the compiled paths."""
    system = system_for(b)
    paths = compile_scenario(scenario, b, system)
    raw = project(system, paths, Draws.central(paths, b.n_region), b, backend=backend)
    check_status(raw, paths)
    return raw, paths


def run(scenario, *, overrides=None, backend: str = "numba", baseline: Baseline | None = None):
    """Run one scenario deterministically and return its :class:`~simcore.results.Results`.

    Parameters
    ----------
    scenario : Scenario or path-like
        A loaded scenario or the path of a scenario YAML file.
    overrides : mapping, optional
        Dotted-path overrides applied on top of the file (ignored for a loaded Scenario).
    backend : {"numba", "numpy"}
        The batch kernel or its NumPy twin.
    baseline : Baseline, optional
        Defaults to :func:`simcore.load_baseline`.
    """
    from .baseline import load_baseline
    from .results import Results, deterministic_frame, provenance
    from .scenario import Scenario, load_scenario

    b = baseline or load_baseline()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    raw, paths = project_central(scenario, b, backend)
    table = deterministic_frame(b, raw, paths, scenario.name)
    prov = provenance(b, scenario, scenario.seed, {"backend": backend, "draws": 1,
                                                   "share_targets": list(paths.target_labels)})
    return Results(table=table, provenance=prov, raw=raw)


def validate(path, overrides=None, baseline: Baseline | None = None) -> list[Issue]:
    """Every problem of a scenario file, including those found only when its paths are compiled."""
    from .baseline import load_baseline
    from .scenario import load_scenario

    b = baseline or load_baseline()
    try:
        scenario = load_scenario(path, overrides=overrides, baseline=b)
        compile_scenario(scenario, b, system_for(b))
    except ScenarioError as exc:
        return exc.issues
    return []
