"""The kernel boundary: every kernel input and output declared once, the wrapper that builds and checks them.

:data:`BOUNDARY` lists each field the batch kernel :func:`simcore.model.kernels.simulate` and its twin
:func:`simcore.model.reference.simulate` read or write: its group (``sy`` the 2020 system, ``pa`` the
scenario's paths, ``dr`` the per-draw parameters, ``out`` the outputs), name, shape in symbols
(``n = R * S`` cells, ``S1 = S + 1`` sectors and households, ``m`` share targets, ``T`` years, ``D``
draws), dtype, unit and meaning.  :func:`kernel_args` builds the four namedtuples from it and checks each
field's shape, dtype, finiteness and contiguity once; ``tests/test_boundary.py`` checks that the kernel,
the twin and the table name the same fields.  :func:`project` runs the kernel and raises a
:class:`~simcore.errors.ProjectionError` naming the draw, year, region and variable of any failed draw.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simcore.baseline.tables import CO2_SOURCES, FUELS, Baseline
from simcore.errors import ProjectionError, SimcoreError
from simcore.model import kernels as K
from simcore.model.levers import Paths, compile_scenario
from simcore.model.system import System, system_for
from simcore.scenario.loader import Scenario
from simcore.scenario.schema import YEARS


@dataclass(frozen=True)
class Field:
    """One kernel argument: group, name, shape (symbols or ints), dtype, unit and meaning."""

    group: str
    name: str
    shape: tuple
    dtype: str
    unit: str
    meaning: str


def _fields(group: str, rows: str) -> list[Field]:
    out = []
    for line in rows.strip().splitlines():
        name, shape, dtype, unit, meaning = (part.strip() for part in line.split("|"))
        dims = tuple(int(d) if d.isdigit() else d for d in shape.split(",") if d.strip()) if shape != "-" else ()
        out.append(
            Field(group, name, tuple(d.strip() if isinstance(d, str) else d for d in dims), dtype, unit, meaning)
        )
    return out


CNY = "10^8 CNY_2020"
BOUNDARY: tuple[Field, ...] = tuple(
    _fields(
        "sy",
        f"""
LU          | n,n     | f8  | 1            | LU factors of M = I - A - H (LAPACK layout; the twin's solve)
piv         | n       | i8  | -            | row interchanges of the factorisation (the twin's solve)
v           | n       | f8  | 1            | value added per unit of gross output
x0          | n       | f8  | {CNY}        | 2020 gross output
K0          | n       | f8  | {CNY}        | 2020 capital stock
log_K0      | n       | f8  | log {CNY}    | log of K0 (0 where K0 is 0)
alpha       | n       | f8  | 1            | capital share of capacity (clipped to [0.2, 0.8])
E0          | n       | f8  | {CNY}        | 2020 exports out of Tianjin (tradables)
disc0       | n       | f8  | {CNY}        | 2020 statistical discrepancy of the non-tradable rows
gfcf_mix    | R,S     | f8  | 1            | 2020 capital formation by supplying sector, per destination region
gfcf_share  | R,R,S   | f8  | 1            | share of region q in destination r's capital goods of sector i
inv_mix     | R,S     | f8  | 1            | 2020 inventory change by sector, per destination region
inv_share   | R,R,S   | f8  | 1            | share of region q in destination r's inventory change of sector i
inv0        | R       | f8  | {CNY}        | 2020 inventory change
gdp0        | R       | f8  | {CNY}        | 2020 GDP
pop0        | R       | f8  | 10^4 persons | 2020 residents
power       | -       | i8  | -            | index of the power and heat sector
fuel_sectors| 3       | i8  | -            | indices of the coal, oil and gas supplying sectors
power_w     | R,R     | f8  | 1            | share of region q's power sector in region r's power purchases
fuel_w      | R,R,3   | f8  | 1            | share of region q's fuel sector k in region r's fuel purchases
eps_p       | -       | f8  | 10^4 tce/{CNY} | energy per unit of power-sector output
e0          | n,3     | f8  | 10^4 tce/{CNY} | 2020 coal, oil, gas use per unit of output
ef          | n,3     | f8  | Mt/10^4 tce  | CO2 per unit of coal, oil, gas
nf0         | n       | f8  | 10^4 tce/{CNY} | 2020 non-fossil energy per unit of output
inflow0     | n       | f8  | 10^4 tce/{CNY} | 2020 electricity received from outside Tianjin per unit of output
proc0       | n       | f8  | Mt/{CNY}     | 2020 process CO2 per unit of output
e_h0        | R,3     | f8  | 10^4 tce     | 2020 household coal, oil, gas
ef_h        | 3       | f8  | Mt/10^4 tce  | household CO2 per unit of coal, oil, gas
inflow_h0   | R       | f8  | 10^4 tce     | 2020 household electricity from outside Tianjin
C0          | R       | f8  | {CNY}        | 2020 household consumption of each region's residents
cons_w      | R,n     | f8  | 1            | residents' household consumption per unit of output of each cell
jobs0       | n       | f8  | 10^4 persons | 2020 jobs by cell (workplace)
G           | n,n     | f8  | 1            | M^-1, the Type II Leontief inverse (the kernel's solve, binding capacity)
""",
    )
    + _fields(
        "pa",
        f"""
t_num       | m,n     | f8  | 1            | share target numerator weights (targeted value added)
t_den       | m,n     | f8  | 1            | share target denominator weights (the region's value added)
t_resp      | k,n     | f8  | {CNY}        | output response to each shift pattern (k = m, or 2m when GDP-neutral)
t_tn        | m,k     | f8  | {CNY}        | t_num @ t_resp.T
t_td        | m,k     | f8  | {CNY}        | t_den @ t_resp.T; its first k - m rows are the GDP-neutral equations
t_path      | m,T     | f8  | 1            | target share by year
t_pat       | k,n     | f8  | {CNY}        | the 2020 outside demand each shift pattern moves (non-negative)
fai         | R,T     | f8  | {CNY}        | planned fixed-asset investment
theta       | R,S     | f8  | 1            | investment mix by destination sector
gx          | R,S,T   | f8  | 1/year       | outside demand growth
pop         | R,T     | f8  | 10^4 persons | residents
workforce   | R,T     | f8  | 10^4 persons | residents' workers commuting to each region (participation x residents)
log_energy_price | T  | f8  | 1            | log of the energy price index (2020 = 0)
tfp         | T       | f8  | 1/year       | productivity growth
eff         | S1,T    | f8  | 1/year       | energy efficiency gain (households last)
elec        | S1,T    | f8  | 1            | share of fossil use electrified
c2g         | S1,T    | f8  | 1            | share of coal switched to gas
grid        | T       | f8  | 1            | power-sector fossil share, 2020 = 1
realisation | T       | f8  | 1            | share of planned investment realised
phi         | -       | f8  | 1            | capital formation per unit of fixed-asset investment
r_e         | -       | f8  | 1            | electricity per unit of fossil energy given up
eps_h       | -       | f8  | 1            | income elasticity of residential energy
fuel_offset | -       | f8  | 1            | share of the power shift taken from fuel sectors
""",
    )
    + _fields(
        "dr",
        """
depreciation            | D     | f8 | 1/year | depreciation rate
supply_elasticity       | D     | f8 | 1      | elasticity of market share to capacity
tfp_shift               | D     | f8 | 1/year | shift of the productivity growth path
export_shift            | D,R,T | f8 | 1/year | shift of each region's export growth in each year
efficiency_multiplier   | D     | f8 | 1      | multiplier on efficiency gains
grid_multiplier         | D     | f8 | 1      | multiplier on the grid index's reduction (index clipped to [0, 1])
realisation_multiplier  | D     | f8 | 1      | multiplier on investment realisation
utilisation_margin      | D     | f8 | 1      | output above capacity allowed before demand goes outside Tianjin
energy_price_elasticity | D     | f8 | 1      | own-price elasticity of energy per unit of output (positive)
fai_multiplier          | D,R,T | f8 | 1      | multiplier on each region's planned investment in each year (sweeps)
""",
    )
    + _fields(
        "out",
        f"""
va          | D,T,n   | f8  | {CNY}        | value added by cell
capital     | D,T,n   | f8  | {CNY}        | capital stock by cell
energy_cell | D,T,R,S1 | f8 | 10^4 tce     | energy by sector (households last)
energy      | D,T,R,5 | f8  | 10^4 tce     | energy by fuel (order of FUELS)
co2         | D,T,R,4 | f8  | Mt CO2       | CO2 by source (order of CO2_SOURCES)
co2_cell    | D,T,R,S1 | f8 | Mt CO2       | CO2 by sector (households last)
fai         | D,T,R   | f8  | {CNY}        | realised fixed-asset investment
jobs        | D,T,R   | f8  | 10^4 persons | jobs by workplace (labour demand)
overflow    | D,T,R   | f8  | {CNY}        | demand beyond capacity bought outside Tianjin
target_shift| D,T,k   | f8  | 1            | multipliers on the 2020 targeted exports (m), then on the rest cut (k - m)
status      | D       | i8  | -            | worst status code of the draw (kernels.OK ...)
fail_year   | D       | i8  | -            | year index where the first non-OK status appeared, -1 if none
first_status| D       | i8  | -            | the first non-OK status of the draw (in fail_year), OK if none
""",
    )
)

GROUPS = ("sy", "pa", "dr", "out")
# read by the twin only: it solves the Leontief system by LU, independently of the kernel's product with G
TWIN_ONLY = frozenset({"LU", "piv"})
SystemArgs = namedtuple("SystemArgs", [f.name for f in BOUNDARY if f.group == "sy"])
PathArgs = namedtuple("PathArgs", [f.name for f in BOUNDARY if f.group == "pa"])
DrawArgs = namedtuple("DrawArgs", [f.name for f in BOUNDARY if f.group == "dr"])
OutArgs = namedtuple("OutArgs", [f.name for f in BOUNDARY if f.group == "out"])
TUPLES = {"sy": SystemArgs, "pa": PathArgs, "dr": DrawArgs, "out": OutArgs}
DTYPES = {"f8": np.float64, "i8": np.int64}

assert FUELS.index("coal") == K.COAL and FUELS.index("electricity_inflow") == K.INFLOW and len(FUELS) == K.N_FUELS
assert CO2_SOURCES.index("process") == K.PROCESS and len(CO2_SOURCES) == K.N_SOURCES


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
    utilisation_margin: np.ndarray
    energy_price_elasticity: np.ndarray
    #: (D, R, T); None means ones (Monte Carlo draws leave planned investment alone, sweeps move it)
    fai_multiplier: np.ndarray | None = None

    def __post_init__(self):
        if self.fai_multiplier is None:
            D, R, T = np.shape(self.export_shift)
            object.__setattr__(self, "fai_multiplier", np.ones((D, R, T)))

    @classmethod
    def central(cls, paths: Paths, n_region: int) -> Draws:
        """The one draw at the scenario's central values."""
        return cls(
            np.array([paths.depreciation]),
            np.array([paths.supply_elasticity]),
            np.zeros(1),
            np.zeros((1, n_region, len(YEARS))),
            np.ones(1),
            np.ones(1),
            np.ones(1),
            np.array([paths.utilisation_margin]),
            np.array([paths.energy_price_elasticity]),
        )

    def __len__(self) -> int:
        return len(self.depreciation)


@dataclass
class Raw:
    """Kernel outputs (D, T, ...): the ``out`` group of :data:`BOUNDARY`."""

    va: np.ndarray
    capital: np.ndarray
    energy_cell: np.ndarray
    energy: np.ndarray
    co2: np.ndarray
    co2_cell: np.ndarray
    fai: np.ndarray
    jobs: np.ndarray
    overflow: np.ndarray
    target_shift: np.ndarray
    status: np.ndarray
    fail_year: np.ndarray
    first_status: np.ndarray


def allocate(D: int, b: Baseline, k: int = 0) -> Raw:
    """Zeroed kernel outputs for ``D`` draws of the baseline's system and ``k`` share-target shifts."""
    return allocate_for(D, b.n_region, b.n_sector, len(YEARS), k)


def allocate_for(D: int, R: int, S: int, T: int, k: int = 0) -> Raw:
    """Zeroed kernel outputs for ``D`` draws, ``R`` regions, ``S`` sectors, ``T`` years, ``k`` shifts."""
    dims = {"D": D, "T": T, "R": R, "S": S, "S1": S + 1, "n": R * S, "k": k}
    arrays = {
        f.name: np.zeros(tuple(dims.get(d, d) for d in f.shape), DTYPES[f.dtype]) for f in BOUNDARY if f.group == "out"
    }
    return Raw(**arrays)


def kernel_args(system: System, paths: Paths, draws: Draws, out: Raw) -> tuple:
    """The four namedtuples ``(sy, pa, dr, out)`` of kernels.simulate / reference.simulate.

    Each field is taken by name from the System, Paths, Draws and Raw objects and checked against its
    declared shape and dtype; inputs must be finite and are made C-contiguous (outputs must already be).

    Raises
    ------
    SimcoreError
        Naming the field, its declared shape and dtype and what was found.
    """
    sources = {"sy": system, "pa": paths, "dr": draws, "out": out}
    R, S = system.pop0.shape[0], system.v.shape[0] // system.pop0.shape[0]
    dims = {
        "n": R * S,
        "R": R,
        "S": S,
        "S1": S + 1,
        "m": paths.t_num.shape[0],
        "k": paths.t_resp.shape[0],
        "T": paths.fai.shape[1],
        "D": len(draws.depreciation),
    }
    groups = {}
    for group in GROUPS:
        values = {}
        for f in (f for f in BOUNDARY if f.group == group):
            value = getattr(sources[group], f.name)
            values[f.name] = _checked(f, value, dims)
        groups[group] = TUPLES[group](**values)
    return groups["sy"], groups["pa"], groups["dr"], groups["out"]


def _checked(f: Field, value, dims: dict):
    where = f"kernel argument {f.group}.{f.name}"
    if not f.shape:
        if f.dtype == "i8":
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise SimcoreError(f"{where}: expected an integer, got {value!r}")
            return int(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise SimcoreError(f"{where}: expected a number, got {value!r}")
        if not np.isfinite(value):
            raise SimcoreError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    expected = tuple(dims.get(d, d) for d in f.shape)
    if not isinstance(value, np.ndarray) or value.shape != expected or value.dtype != DTYPES[f.dtype]:
        got = (getattr(value, "shape", None), getattr(value, "dtype", type(value).__name__))
        raise SimcoreError(
            f"{where}: expected shape {expected} ({','.join(map(str, f.shape))}) of {f.dtype}, "
            f"got shape {got[0]} of {got[1]}"
        )
    if f.group == "out":
        if not value.flags.c_contiguous or not value.flags.writeable:
            raise SimcoreError(f"{where}: outputs must be writeable C-contiguous arrays")
        return value
    if f.dtype == "f8" and not np.isfinite(value).all():
        raise SimcoreError(f"{where}: {int((~np.isfinite(value)).sum())} non-finite value(s)")
    return np.ascontiguousarray(value)


STATUS_MESSAGES = {
    K.TARGET_UNREACHABLE: "a share target needs outside demand cut below zero (the targeted sectors', or under "
    "a GDP-neutral shift the rest of the region's): target unreachable by demand",
    K.NEGATIVE_OUTPUT: "gross output turned negative",
    K.NEGATIVE_ENERGY: "energy use turned negative",
    K.NEGATIVE_CO2: "CO2 emissions turned negative",
    K.NON_FINITE: "non-finite values",
    K.CAPACITY_UNRESOLVED: f"demand beyond capacity could not be settled in {K.CAPACITY_ITERATIONS} rounds",
}


def project(system: System, paths: Paths, draws: Draws, b: Baseline, backend: str = "numba", check: bool = True) -> Raw:
    """Run the batch kernel (``backend='numba'``) or its NumPy twin (``'numpy'``).

    With ``check`` (the default) a failed draw raises :class:`~simcore.errors.ProjectionError` (see
    :func:`check_status`); ``check=False`` returns the statuses for the caller to inspect.
    """
    out = allocate(len(draws), b, paths.t_resp.shape[0])
    kernel = _kernel(backend)
    kernel(*kernel_args(system, paths, draws, out))
    if check:
        check_status(out, paths, b)
    return out


def _announce_compile(dispatcher) -> None:
    """Log, once per process, that numba is about to compile the kernel (a silent 30-60 s otherwise):
    when its on-disk cache index is missing or older than the kernel's source."""
    global _ANNOUNCED
    if _ANNOUNCED or dispatcher.signatures:
        return
    _ANNOUNCED = True
    try:
        index = Path(dispatcher._cache._cache_file._index_path)  # numba's cache index (private API)
        source = Path(dispatcher.py_func.__code__.co_filename)
        fresh = index.exists() and index.stat().st_mtime >= source.stat().st_mtime
    except (AttributeError, OSError):
        return
    if not fresh:
        logging.getLogger("simcore").info(
            "compiling the model kernels (first run with this code on this machine: about 30-60 s; cached after)"
        )


_ANNOUNCED = False


def _kernel(backend: str) -> Callable:
    if backend == "numba":
        from simcore.model.kernels import simulate

        _announce_compile(simulate)
    elif backend == "numpy":
        from simcore.model.reference import simulate
    else:
        raise SimcoreError(f"unknown backend {backend!r}; expected 'numba' or 'numpy'")
    return simulate


def check_status(raw: Raw, paths: Paths, b: Baseline | None = None, draw_ids: np.ndarray | None = None) -> None:
    """Raise :class:`~simcore.errors.ProjectionError` if any draw failed, naming where.

    The message gives the number of failed draws and, for the first, its year, status and the region and
    variable that broke (the most negative or first non-finite value), so nothing impossible is written.
    ``draw_ids`` maps the kernel call's draws to their indices in a larger run (Monte Carlo batches).
    """
    bad = np.flatnonzero(raw.status)
    if not bad.size:
        return
    d = int(bad[0])
    worst = int(raw.status[d])
    code = int(raw.first_status[d]) or worst  # the first status names the cause; the worst may follow from it
    t = int(raw.fail_year[d]) if raw.fail_year[d] >= 0 else 0
    year = YEARS[t] if t < len(YEARS) else t
    found = _locate(raw, d, t, code, b)
    where = found[1:] if found else None
    if found:
        year = found[0]
    run_d = int(draw_ids[d]) if draw_ids is not None else d
    detail = ""
    target = None
    if code == K.TARGET_UNREACHABLE and paths.target_labels:
        detail = f" (targets: {', '.join(paths.target_labels)})"
        target = _likely_target(raw, paths, d, t)
    elif where:
        region, variable, value = where
        detail = f" in {region}, {variable} = {value:.6g}"
    elif code in (K.NEGATIVE_ENERGY, K.NEGATIVE_CO2):
        detail = " in one fuel of one sector or of the households (offset in every total written)"
    levers = responsible_levers(paths, code, where, target, b)
    if levers:
        detail += f"; most likely lever: {levers[0][1]}: {levers[0][0]}"
        if len(levers) > 1:
            detail += " (also " + ", ".join(f"{at}: {key}" for key, at in levers[1:4]) + ")"
    if worst != code:
        later = _locate(raw, d, t, worst, b)
        detail += f"; then {STATUS_MESSAGES[worst]}"
        if later:
            detail += f" in {later[0]}, {later[1]}, {later[2]} = {later[3]:.6g}"
    hint = ""
    if draw_ids is not None:  # a chunk of a Monte Carlo run: the run stops here
        hint = "; the run stopped (--failed-draws exclude leaves such draws out of the quantiles, listed)"
    raise ProjectionError(
        f"{bad.size} draw(s) failed, first draw {run_d} in {year}: {STATUS_MESSAGES[code]}{detail}{hint}",
        [(run_d, year) + tuple(where)] if where else [(run_d, year)],
    )


def _likely_target(raw: Raw, paths: Paths, d: int, t: int) -> str | None:
    """The target whose shift is furthest out of reach in year index ``t``: the most negative multiplier on its
    sectors' exports, or the largest cut of the rest of its region's (a GDP-neutral shift's second block)."""
    m = len(paths.target_labels)
    shifts = raw.target_shift[d, t]
    if not m or not shifts.size:
        return None
    need = np.concatenate([-shifts[:m], shifts[m:]])  # how far each pattern is pushed towards its limit
    k = int(np.argmax(need))
    return paths.target_labels[k if k < m else k - m]


#: the scenario keys whose levers most likely move each status's variable (first match first)
_STATUS_LEVERS = {
    K.NEGATIVE_OUTPUT: (
        "investment.regions.{region}",
        "exports.by_region.{region}",
        "exports",
        "parameters.tfp_growth",
    ),
    K.NON_FINITE: (
        "investment.regions.{region}",
        "exports.by_region.{region}",
        "exports",
        "parameters.tfp_growth",
        "population.regions.{region}",
        "investment",
        "energy",
        "prices",
    ),
    K.NEGATIVE_ENERGY: ("energy", "prices.energy", "parameters.energy_price_elasticity"),
    K.NEGATIVE_CO2: ("energy.coal_to_gas", "energy.electrification", "energy", "prices.energy"),
    K.CAPACITY_UNRESOLVED: ("parameters.utilisation_margin", "investment"),
}
#: within a status, the energy levers most likely behind a fuel's sign (non-fossil: the grid index)
_FUEL_LEVERS = {
    "nonfossil": ("energy.grid_emission_factor",),
    "coal": ("energy.coal_to_gas", "energy.electrification"),
    "oil": ("energy.electrification",),
    "gas": ("energy.coal_to_gas", "energy.electrification"),
    "electricity_inflow": ("energy.electrification",),
}


def responsible_levers(
    paths: Paths, code: int, where: tuple | None, target: str | None, b: Baseline | None
) -> list[tuple[str, str]]:
    """``(dotted key, "file:line")`` of the levers set in the scenario that most likely caused a failed status,
    most likely first (empty where the scenario's marks are not known, as for sweep sections).

    ``where`` is the ``(region, variable, value)`` that broke, ``target`` the label of the share target
    furthest out of reach."""
    marks = paths.lever_marks
    if not marks:
        return []
    region = where[0] if where else None
    if code == K.TARGET_UNREACHABLE:
        prefixes = [f"industry_shares.targets.{target.replace(':', '.')}"] if target else []
        prefixes += ["industry_shares.targets", "industry_shares.shift"]
    else:
        prefixes = list(_STATUS_LEVERS.get(code, ()))
        fuel = where[1].split("|", 1)[1] if where and "|" in where[1] else None
        if code in (K.NEGATIVE_ENERGY, K.NEGATIVE_CO2) and fuel in _FUEL_LEVERS:
            prefixes = list(_FUEL_LEVERS[fuel]) + prefixes
    regions = []
    if region is not None and b is not None:  # the region and the aggregates above it
        regions = [r for r in b.regions.ids if region in b.regions.members(r)]
    expanded = []
    for prefix in prefixes:
        if "{region}" in prefix:
            expanded += [prefix.format(region=r) for r in regions]
        else:
            expanded.append(prefix)
    out: list[tuple[str, str]] = []
    for prefix in expanded:
        for key, at in marks:
            if (key == prefix or key.startswith(prefix + ".")) and (key, at) not in out:
                out.append((key, at))
    # a mapping's own line (energy.coal_to_gas) says less than the keys below it that are listed too
    return [(key, at) for key, at in out if not any(other.startswith(key + ".") for other, _ in out)]


def _locate(raw: Raw, d: int, t: int, code: int, b: Baseline | None) -> tuple | None:
    """(year, region, variable, value) of the worst entry of draw ``d`` for status ``code``, in the first year
    from year index ``t`` on that shows it (a draw's worst status may appear after its first)."""
    R = raw.energy.shape[2]
    S = raw.va.shape[2] // R
    leaves = list(b.leaves) if b is not None else [f"region {r}" for r in range(R)]
    sectors = list(b.sectors.ids) if b is not None else [f"sector {i}" for i in range(S)]
    cells = sectors + ["households"]

    def candidates(u: int) -> list:
        return {
            K.NEGATIVE_OUTPUT: [("value added", raw.va[d, u].reshape(R, S), sectors)],
            K.NEGATIVE_ENERGY: [("energy", raw.energy[d, u], list(FUELS)), ("energy", raw.energy_cell[d, u], cells)],
            K.NEGATIVE_CO2: [("CO2", raw.co2[d, u], list(CO2_SOURCES)), ("CO2", raw.co2_cell[d, u], cells)],
            K.NON_FINITE: [
                ("value added", raw.va[d, u].reshape(R, S), sectors),
                ("capital", raw.capital[d, u].reshape(R, S), sectors),
                ("energy", raw.energy[d, u], list(FUELS)),
                ("CO2", raw.co2[d, u], list(CO2_SOURCES)),
            ],
        }.get(code, [])

    if code not in (K.NEGATIVE_OUTPUT, K.NEGATIVE_ENERGY, K.NEGATIVE_CO2, K.NON_FINITE):
        return None
    for u in range(t, raw.va.shape[1]):
        for what, values, labels in candidates(u):
            if code == K.NON_FINITE:
                hits = np.argwhere(~np.isfinite(values))
                if hits.size:
                    r, k = hits[0]
                    return YEARS[u], leaves[r], f"{what}|{labels[k]}", float(values[r, k])
                continue
            r, k = np.unravel_index(int(np.argmin(values)), values.shape)
            if values[r, k] < 0:
                return YEARS[u], leaves[r], f"{what}|{labels[k]}", float(values[r, k])
    # nothing negative in the region totals or sector totals: one fuel of one sector or of the households,
    # offset by the others in every total the kernel writes (the kernel tests each fuel of each cell)
    return None


def project_central(scenario: Scenario, b: Baseline, backend: str = "numba") -> tuple[Raw, Paths]:
    """The deterministic run of a loaded scenario: raw kernel outputs (one draw) and the compiled paths."""
    system = system_for(b)
    paths = compile_scenario(scenario, b, system)
    raw = project(system, paths, Draws.central(paths, b.n_region), b, backend=backend)
    return raw, paths
