"""Monte Carlo: parameter draws, the batched run, quantiles and target attainment.

Draws come from ``numpy.random.SeedSequence(seed, spawn_key=(stream, block))``: one stream per
uncertain parameter and one generator per block of ``STREAM_BLOCK`` draws, so a seed gives the same
draws whatever the thread count or chunking, and adding draws never changes the earlier ones.

Parameters that change the baseline's trade structure (Flegg's delta, the gravity decay) are sampled for
``variants`` re-regionalised baselines; draw ``i`` uses variant ``i mod variants``.  Uncertain 2020
levels (the leaves whose GDP is estimated) redistribute Tianjin's published totals among the leaves:
each estimated leaf's levels are scaled by a factor drawn from a triangular distribution over its GDP
range, and the rest of Tianjin absorbs the difference, variable by variable, so Tianjin's 2020 totals
stay fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.analysis.targets import attainment
from simcore.baseline.tables import Baseline, load_baseline
from simcore.errors import ProjectionError, ResultsError, SimcoreError
from simcore.experiments.quantiles import quantiles as column_quantiles
from simcore.experiments.quantiles import scatter_draws
from simcore.experiments.sketch import BINS as SKETCH_BINS
from simcore.experiments.sketch import Sketch
from simcore.model.boundary import Draws, check_status, project
from simcore.model.levers import compile_scenario
from simcore.model.system import compile_system, system_for
from simcore.model.variables import CLOSURE_LEAF, batch_variables, defined_in, nominal_counterpart, unit_of
from simcore.progress import progress_bar
from simcore.results.provenance import provenance
from simcore.results.table import long_table, model_label
from simcore.results.writer import atomic_files, stage_results
from simcore.scenario.loader import Scenario, load_scenario
from simcore.scenario.schema import DRAW_RANGES, UNCERTAIN_PARAMETERS, YEARS

#: the largest fall of energy use per unit of output in one year that an efficiency draw may reach (the
#: multiplier's upper end: a draw at it leaves 1% of the year before's energy per unit, never a negative)
MAX_EFFICIENCY_FALL = 0.99

STREAM_BLOCK = 1024
PILOT = 4096  # draws that set a quantile sketch's grid (--quantile-method sketch)
DEFAULT_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
LEVEL_STREAM = 100
VARIANT_STREAM = 200
KEY_VARIABLES = (
    "GDP",
    "GDP|Growth",
    "Value Added|Primary",
    "Value Added|Secondary",
    "Value Added|Tertiary",
    "Value Added|Industry",
    "Value Added|Manufacturing",
    "Value Added|Digital Economy Core",
    "Value Added|High-tech Manufacturing",
    "Value Added|Strategic Emerging Industries",
    "Value Added|High-tech Services",
    "Investment|Fixed Assets",
    "Capital Stock",
    "Population",
    "Employment",
    "Labour Productivity",
    "Energy Consumption",
    "Energy Consumption|Coal",
    "Energy Consumption|Oil",
    "Energy Consumption|Gas",
    "Energy Consumption|Non-fossil",
    "Energy Consumption|Electricity Inflow",
    "Energy Consumption|Industry",
    "Energy Intensity|GDP",
    "Emissions|CO2",
    "Carbon Intensity|GDP",
)
#: the current-price twins of the money levels above, which nominal targets are scored on
KEY_VARIABLES += tuple(
    nominal_counterpart(name) for name in KEY_VARIABLES if name == "GDP" or name.startswith("Value Added|")
)


def _stream(seed: int, stream: int, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, block)))


def sample(dist, seed: int, stream: int, n: int, width: int = 1, start: int = 0) -> np.ndarray:
    """Draws ``start .. start + n`` (rows) of ``width`` values from one stream.

    Each block of ``STREAM_BLOCK`` draws has its own generator, so any stretch of draws has the same
    values whether it is sampled alone or as part of a longer run (prefix- and chunk-stable).
    """
    if n <= 0:
        return np.zeros((0, width))
    first, last = start // STREAM_BLOCK, (start + n - 1) // STREAM_BLOCK
    blocks = [dist.sample(_stream(seed, stream, block), (STREAM_BLOCK, width)) for block in range(first, last + 1)]
    skip = start - first * STREAM_BLOCK
    return np.concatenate(blocks, axis=0)[skip : skip + n]


@dataclass
class Sampled:
    """Everything drawn for a stretch of draws of a Monte Carlo run (``ids``: their indices in the run)."""

    draws: Draws
    variant_of: np.ndarray  # (D,) int
    variants: list[tuple[float, float, float]]  # (flegg_delta, gravity_decay, nontradable_rpc_district) per variant
    level_scale: np.ndarray  # (D, R)
    table: pd.DataFrame = field(repr=False)
    ids: np.ndarray | None = field(repr=False, default=None)


def _level_triangles(b: Baseline) -> dict[str, tuple[float, float]]:
    """(low, high) GDP relative to the estimate, for the leaves with an estimated GDP (not the closure)."""
    acc = b.accounts
    rows = acc[(acc["sector"] == "total") & (acc["variable"] == "gdp") & (acc["quality"] == "estimated")]
    out = {}
    for r in rows.itertuples(index=False):
        if r.region in b.leaves and r.region != CLOSURE_LEAF and not math.isnan(r.low):
            out[r.region] = (r.low / r.value, r.high / r.value)
    return out


class Sampler:
    """The uncertain parameters of any stretch of a run's draws, the same whatever the stretch.

    Built once per run on the client (the trade variants are drawn here: there are few); small enough to
    send to Dask workers, which then sample their own chunks, so that no machine ever holds the parameters
    of every draw (at 10^6 draws the export shifts alone would take 0.8 GB).
    """

    def __init__(self, scenario: Scenario, b: Baseline, central: Draws, seed: int):
        unc = scenario.spec.uncertainty
        p = dict(unc.parameters)
        self.p, self.seed = p, int(seed)
        self.stream = {name: i for i, name in enumerate(UNCERTAIN_PARAMETERS)}
        self.leaves = list(b.leaves)
        self.central = {
            name: float(getattr(central, name)[0])
            for name in ("depreciation", "supply_elasticity", "utilisation_margin", "energy_price_elasticity")
        }
        # shocks start after the record: the years up to the nowcast vintage are history
        nowcast = scenario.spec.nowcast
        last_known = nowcast.vintage if (nowcast.enabled and nowcast.vintage and nowcast.shifts) else YEARS[0]
        self.n_known = YEARS.index(min(max(last_known, YEARS[0]), YEARS[-1])) + 1
        # every draw stays in its parameter's range: the schema refuses a distribution whose bounded support
        # leaves it, and the unbounded tails of normal and lognormal draws are truncated to it here
        self.ranges = dict(DRAW_RANGES)
        gains = [float(path.evaluate(None).max()) for path in scenario.spec.energy.efficiency.values()]
        largest = max([g for g in gains if g > 0], default=0.0)
        if largest > 0:  # a multiplier on the largest gain reaching a fall of 100% would make energy negative
            self.ranges["efficiency"] = (DRAW_RANGES["efficiency"][0], MAX_EFFICIENCY_FALL / largest)

        trade = ("flegg_delta", "gravity_decay", "nontradable_rpc_district")
        n_variants = unc.variants if any(name in p for name in trade) else 1

        def variant_values(name: str) -> np.ndarray:
            if name not in p:
                return np.full(n_variants, b.parameter(name))
            return np.clip(
                sample(p[name], seed, VARIANT_STREAM + self.stream[name], n_variants)[:, 0], *self.ranges[name]
            )

        deltas, decays, rpcs = (variant_values(name) for name in trade)
        tianjin_rpc = b.parameter("nontradable_rpc_tianjin")
        top = p["nontradable_rpc_district"].support()[1] if "nontradable_rpc_district" in p else 0.0
        if math.isfinite(top) and top > tianjin_rpc:
            # the one draw range that depends on the baseline (the schema checks [0, 1])
            raise SimcoreError(
                f"uncertainty.parameters.nontradable_rpc_district: draws reach {top:g}, above {tianjin_rpc:g} "
                "(the Tianjin coefficient, nontradable_rpc_tianjin); add or narrow clip: [lo, hi]"
            )
        rpcs = np.minimum(rpcs, tianjin_rpc)  # an unbounded tail, truncated like every other
        self.variants = list(zip(deltas.tolist(), decays.tolist(), rpcs.tolist()))
        self.triangles = _level_triangles(b) if unc.baseline_levels else {}

    @property
    def n_variants(self) -> int:
        return len(self.variants)

    def variant_of(self, ids: np.ndarray) -> np.ndarray:
        """Draw ``i`` uses trade variant ``i mod variants``."""
        return np.asarray(ids) % self.n_variants

    def span(self, start: int, stop: int) -> Sampled:
        """Every uncertain parameter of draws ``start .. stop - 1``."""
        p, seed, n = self.p, self.seed, int(stop) - int(start)
        R, T = len(self.leaves), len(YEARS)

        def draw(name: str, width: int = 1) -> np.ndarray:
            return np.clip(sample(p[name], seed, self.stream[name], n, width, start), *self.ranges[name])

        def scalar(name: str, default: float) -> np.ndarray:
            return draw(name)[:, 0] if name in p else np.full(n, default)

        values = {
            "depreciation": scalar("depreciation", self.central["depreciation"]),
            "supply_elasticity": scalar("supply_elasticity", self.central["supply_elasticity"]),
            "tfp_growth": scalar("tfp_growth", 0.0),
        }
        persistent = np.zeros((n, R))
        if "export_growth" in p:
            persistent = np.broadcast_to(
                draw("export_growth", R if p["export_growth"].per_region else 1), (n, R)
            ).copy()
        shift = np.repeat(persistent[:, :, None], T, axis=2)
        if "export_growth_annual" in p:  # a Tianjin-wide shock to each year's export growth, i.i.d. over years
            shift += draw("export_growth_annual", T)[:, None, :]
        shift[:, :, : self.n_known] = 0.0
        values["export_growth"] = shift
        for name in ("efficiency", "grid", "realisation"):
            values[name] = scalar(name, 1.0)
        for name in ("utilisation_margin", "energy_price_elasticity"):
            values[name] = scalar(name, self.central[name])

        ids = np.arange(start, stop)
        variant_of = self.variant_of(ids)
        scale = np.ones((n, R))
        if self.triangles:
            from simcore.scenario.schema import Distribution

            for leaf, (low, high) in self.triangles.items():
                tri = Distribution(dist="triangular", low=low, mode=1.0, high=high)
                r = self.leaves.index(leaf)
                scale[:, r] = sample(tri, seed, LEVEL_STREAM + r, n, 1, start)[:, 0]

        draws = Draws(
            values["depreciation"],
            values["supply_elasticity"],
            values["tfp_growth"],
            values["export_growth"],
            values["efficiency"],
            values["grid"],
            values["realisation"],
            values["utilisation_margin"],
            values["energy_price_elasticity"],
        )
        deltas, decays, rpcs = (np.array(column)[variant_of] for column in zip(*self.variants))
        table = pd.DataFrame(
            {
                "draw": ids,
                "variant": variant_of,
                "flegg_delta": deltas,
                "gravity_decay": decays,
                "nontradable_rpc_district": rpcs,
                "depreciation": draws.depreciation,
                "supply_elasticity": draws.supply_elasticity,
                "tfp_shift": draws.tfp_shift,
                "efficiency_multiplier": draws.efficiency_multiplier,
                "grid_multiplier": draws.grid_multiplier,
                "realisation_multiplier": draws.realisation_multiplier,
                "utilisation_margin": draws.utilisation_margin,
                "energy_price_elasticity": draws.energy_price_elasticity,
            }
        )
        for r, leaf in enumerate(self.leaves):
            table[f"export_shift[{leaf}]"] = persistent[:, r]
            table[f"level_scale[{leaf}]"] = scale[:, r]
        return Sampled(draws, variant_of, self.variants, scale, table, ids)


def sample_parameters(scenario: Scenario, b: Baseline, central: Draws, n: int, seed: int) -> Sampled:
    """Draw every uncertain parameter for ``n`` draws (for a few thousand: :class:`Sampler` samples stretches)."""
    return Sampler(scenario, b, central, seed).span(0, n)


def _subset(draws: Draws, idx: np.ndarray) -> Draws:
    return Draws(*(np.ascontiguousarray(getattr(draws, f)[idx]) for f in draws.__dataclass_fields__))


@dataclass
class MonteCarlo:
    """Monte Carlo results: per-draw values (float32), quantiles and provenance.

    ``store`` (V, G, T, D) holds each (variable, region, year) as one contiguous column of draws, the
    layout the quantile selection reads, with the draws in the order they were run: grouped by trade
    variant, so that each kernel call's results land in one contiguous stretch.  ``draw_at`` (D,) is
    the draw held at each position (``None``: draw order); :attr:`values` and :meth:`get` return draw
    order.
    """

    store: np.ndarray | None  # (V, G, T, D) float32; None for a sketch run
    variables: tuple[str, ...]
    regions: tuple[str, ...]
    scenario: str
    seed: int
    sampler: Sampler = field(repr=False)
    provenance: dict = field(repr=False)
    targets: pd.DataFrame = field(repr=False, default=None)
    draw_at: np.ndarray | None = field(repr=False, default=None)
    sketch: Sketch | None = field(repr=False, default=None)
    n_sketched: int = 0
    n_requested: int = 0
    failures: pd.DataFrame | None = field(repr=False, default=None)  # draw, year, status (``exclude`` policy)
    _quantiles: dict = field(repr=False, default_factory=dict)

    @property
    def sampled(self) -> Sampled:
        """The parameters of every draw requested (sampled again: cheap for the draws a store can hold)."""
        return self.sampler.span(0, self.n_requested or self.n_draws)

    def parameters(self) -> pd.DataFrame:
        """The sampled parameters of every draw held (one row a draw, column ``draw``), the inputs of the
        values in :attr:`values` and ``montecarlo.draws.parquet``."""
        table = self.sampled.table
        return table[table["draw"].isin(self.draw_ids)].reset_index(drop=True)

    @property
    def draw_ids(self) -> np.ndarray:
        """(D,) the draws held, ascending: ``arange(D)`` unless failed draws were excluded."""
        if self.draw_at is None:
            return np.arange(self.n_draws)
        return np.sort(self.draw_at)

    def _need_draws(self, what: str) -> None:
        if self.store is None:
            raise SimcoreError(
                f"{what} needs every draw, and this run kept only its quantile sketch "
                "(--quantile-method sketch); run with --quantile-method exact"
            )

    def _in_draw_order(self, a: np.ndarray) -> np.ndarray:
        """``a`` (..., D) with its last axis from store order to draw order."""
        if self.draw_at is None:
            return a
        return a[..., np.argsort(self.draw_at, kind="stable")]

    @property
    def values(self) -> np.ndarray:
        """(D, V, G, T) float32 in draw order (a copy where the store is in variant order)."""
        self._need_draws("the per-draw values")
        return self._in_draw_order(self.store).transpose(3, 0, 1, 2)

    @property
    def n_draws(self) -> int:
        return self.n_sketched if self.store is None else self.store.shape[3]

    def get(self, region: str, variable: str) -> np.ndarray:
        """(D, T) draws of one region and variable."""
        self._need_draws("draws of a variable (attainment, fan charts of single draws)")
        column = self.store[self.variables.index(variable), self.regions.index(region)]
        return self._in_draw_order(column).T.astype(float)

    def quantile_levels(self, q=DEFAULT_QUANTILES) -> np.ndarray:
        """(Q, V, G, T) quantiles ``q`` (sorted) of every kept column, NumPy's ``linear`` method, exactly.

        Parallel selection on the float32 store (:mod:`simcore.experiments.quantiles`), computed once per
        set of levels and kept.
        """
        key = tuple(sorted(set(float(x) for x in q)))
        if not key or not all(0.0 <= x <= 1.0 for x in key):
            raise SimcoreError(f"--quantiles {' '.join(f'{x:g}' for x in q)}: each must be in [0, 1]")
        if key not in self._quantiles:
            if self.store is not None:
                self._quantiles[key] = column_quantiles(self.store, key)
            else:
                self._quantiles[key] = self._sketched(key)
        return self._quantiles[key]

    def _sketched(self, key: tuple) -> np.ndarray:
        """Quantiles from the sketch; an order statistic outside a column's range is an error, not a NaN."""
        est, outside = self.sketch.quantiles(key)
        shape = (len(key), len(self.variables), len(self.regions), len(YEARS))
        if outside.any():
            j, c = (int(i[0]) for i in np.nonzero(outside))
            v, g, t = np.unravel_index(c, shape[1:])
            raise ResultsError(
                f"quantile {key[j]:g} of {self.variables[v]}, {self.regions[g]}, {YEARS[t]} falls outside the "
                "sketch's range (set from the pilot draws): its error bound does not hold; run with "
                "--quantile-method exact"
            )
        return est.reshape(shape)

    def quantiles(self, q=DEFAULT_QUANTILES) -> pd.DataFrame:
        """The long quantile table: model, scenario, region, variable, unit, year, quantile, value."""
        key = tuple(sorted(set(float(x) for x in q)))
        return self._long(self.quantile_levels(key), "quantile", np.array(key))

    def draws_frame(self) -> pd.DataFrame:
        """Every draw as a long table with a ``draw`` column (in memory: for a few thousand draws)."""
        return self._long(self.values.astype(float), "draw", self.draw_ids)

    def write_draws(self, path: Path) -> None:
        """Every draw to Parquet, one region and variable at a time, rows in :meth:`draws_frame` order.

        Streams with ``pyarrow.parquet.ParquetWriter`` and dictionary-encoded labels, so memory stays at one
        (draws x years) block: building the whole long table would take ~60 bytes a value.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        def label(text: str, n: int) -> pa.DictionaryArray:
            return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([text]))

        D, T = self.n_draws, len(YEARS)
        model = model_label(self.provenance["version"])
        years = np.repeat(np.array(YEARS, dtype=np.int64), D)  # year-major, then draw
        draw_ids = np.tile(self.draw_ids.astype(np.int64), T)
        writer = None
        try:
            for region in sorted(self.regions):
                g = self.regions.index(region)
                for variable in sorted(self.variables):
                    block = self._in_draw_order(self.store[self.variables.index(variable), g])
                    block = block.astype(float).reshape(-1)
                    keep = np.isfinite(block)
                    allowed = np.repeat([defined_in(variable, y) for y in YEARS], D)
                    if (~keep & allowed).any():  # the table builder's rule: undefined is skipped, NaN raises
                        first = int(np.flatnonzero(~keep & allowed)[0])
                        raise ResultsError(
                            f"non-finite value in draw {self.draw_ids[first % D]}, {region}, {variable}, "
                            f"{YEARS[first // D]}: never written"
                        )
                    n = int(keep.sum())
                    batch = pa.record_batch(
                        {
                            "model": label(model, n),
                            "scenario": label(self.scenario, n),
                            "region": label(region, n),
                            "variable": label(variable, n),
                            "unit": label(unit_of(variable), n),
                            "year": years[keep],
                            "draw": draw_ids[keep],
                            "value": block[keep],
                        }
                    )
                    if writer is None:
                        writer = pq.ParquetWriter(path, batch.schema)
                    writer.write_batch(batch)
        finally:
            if writer is not None:
                writer.close()

    def _long(self, values: np.ndarray, column: str, labels: np.ndarray) -> pd.DataFrame:
        return long_table(
            values,
            scenario=self.scenario,
            regions=self.regions,
            variables=self.variables,
            years=YEARS,
            key=column,
            labels=labels,
            model=model_label(self.provenance["version"]),
        )

    def attainment(self) -> pd.DataFrame:
        """Probability of meeting each modelled plan target."""
        return attainment(self.targets, self.get)

    def write(self, out, stem: str = "montecarlo", q=DEFAULT_QUANTILES, keep_draws: bool = False) -> list:
        """Quantile tables (and, with ``keep_draws``, every draw and the parameters of each), all or nothing."""
        if keep_draws:
            self._need_draws("--keep-draws")
        out = Path(out)
        with atomic_files(out) as path_for:
            names = stage_results(path_for, self.quantiles(q), self.provenance, f"{stem}.quantiles")
            if keep_draws:
                names.append(f"{stem}.draws.parquet")
                self.write_draws(path_for(names[-1]))
                # the parameter values that produced each draw (one row a draw, keyed by ``draw``): with the
                # draws, what scenario discovery (PRIM, EMA Workbench) needs
                names.append(f"{stem}.parameters.parquet")
                self.parameters().to_parquet(path_for(names[-1]), index=False)
            if self.failures is not None and len(self.failures):
                names.append(f"{stem}.failed.csv")
                self.failures.to_csv(path_for(names[-1]), index=False)
        return [out / name for name in names]


FAILED_DRAW_POLICIES = ("error", "exclude")
MAX_FAILED_SHARE = 0.01  # exclude: more failed draws than this share of the run is an error


@dataclass
class _Job:
    """What every chunk of a run needs, and nothing of the client's: the compiled systems and paths of
    each trade variant (with their baselines), the sampler, the kept variables and the backend.  Sent
    whole to Dask workers, so they need no file paths of the client's, and sample their own draws."""

    systems: list
    variables: tuple
    n_regions: int
    backend: str
    sampler: Sampler
    exclude_failed: bool = False

    def span(self, start: int, stop: int, out: np.ndarray | None = None, at: int = 0, sketch: Sketch | None = None):
        """Sample and run draws ``start .. stop - 1``, one kernel call per trade variant.

        The values go into ``out[..., at : at + stop - start]`` grouped by variant (see :func:`span_order`;
        a new array when ``out`` and ``sketch`` are None), or, with ``sketch``, each kernel call's values
        are counted into it and dropped (memory: one call's values, not the span's).  Returns
        ``(out, failures)``: the failed draws (``exclude`` policy) as ``(draw, year, status)`` rows; in
        ``out`` their columns hold whatever the kernel left and must be dropped; a sketch never counts them.
        """
        sampled = self.sampler.span(start, stop)
        shape = (len(self.variables), self.n_regions, len(YEARS))
        if out is None and sketch is None:
            out, at = np.empty(shape + (stop - start,), np.float32), 0
        failures = []
        for k in range(self.sampler.n_variants):
            sub = np.flatnonzero(sampled.variant_of == k)
            if not sub.size:
                continue
            draws, ids = _subset(sampled.draws, sub), sampled.ids[sub]
            if sketch is None:
                failures += self.run(draws, sampled.level_scale[sub], k, ids, out, at)
                at += sub.size
                continue
            block = np.empty(shape + (sub.size,), np.float32)
            failed = self.run(draws, sampled.level_scale[sub], k, ids, block, 0)
            sketch.add(_drop_failed(block, ids, failed)[0].reshape(int(np.prod(shape)), -1))
            failures += failed
        return out, failures

    def run(self, draws: Draws, level_scale: np.ndarray, variant_id: int, ids: np.ndarray, out, at: int) -> list:
        """The values of one kernel call's draws (``ids`` in the run), written into ``out[..., at : at + len(ids)]``;
        returns the failed draws under the ``exclude`` policy and raises under ``error``."""
        vb, system, paths = self.systems[variant_id]
        raw = project(system, paths, draws, vb, backend=self.backend, check=False)
        failures = []
        if self.exclude_failed:
            for d in np.flatnonzero(raw.status):
                t = int(raw.fail_year[d])
                failures.append((int(ids[d]), YEARS[t] if 0 <= t < len(YEARS) else None, int(raw.status[d])))
        else:
            check_status(raw, paths, vb, draw_ids=ids)  # names the draw by its index in the whole run
        arrays = batch_variables(vb, raw, paths, level_scale=level_scale, keep=self.variables)
        for v, name in enumerate(self.variables):
            scatter_draws(np.ascontiguousarray(arrays[name], dtype=np.float32), out[v], at)
        return failures


def span_order(start: int, stop: int, n_variants: int) -> np.ndarray:
    """The draws ``start .. stop - 1`` in the order :meth:`_Job.span` writes them: grouped by variant."""
    ids = np.arange(start, stop)
    return ids[np.argsort(ids % n_variants, kind="stable")]


def _spans(start: int, stop: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, stop)) for a in range(start, stop, size)]


def _failure_table(failures: list) -> pd.DataFrame:
    from simcore.model.boundary import STATUS_MESSAGES

    rows = sorted(failures)
    return pd.DataFrame(
        {
            "draw": np.array([r[0] for r in rows], dtype=np.int64),
            "year": pd.array([r[1] for r in rows], dtype="Int64"),
            "status": [STATUS_MESSAGES[r[2]] for r in rows],
        }
    )


def monte_carlo(
    scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    chunk_size: int = 2000,
    variables=KEY_VARIABLES,
    overrides=None,
    baseline: Baseline | None = None,
    backend: str = "numba",
    progress: bool = False,
    quantile_method: str = "exact",
    engine: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    failed_draws: str = "error",
    max_failed_share: float = MAX_FAILED_SHARE,
) -> MonteCarlo:
    """Run every draw of a scenario's uncertainty block through the batched kernel.

    Parameters
    ----------
    scenario : Scenario or path-like
    draws : int, optional
        Number of draws (default: ``uncertainty.draws`` of the scenario).
    seed : int, optional
        Seed (default: the scenario's ``seed``, else 0).
    chunk_size : int
        Draws per kernel call; bounds the memory of the kernel outputs.
    variables : sequence of str
        Result variables kept per draw (float32).
    quantile_method : "exact" or "sketch"
        ``exact`` keeps every draw (float32) and computes exact quantiles; ``sketch`` keeps only a
        mergeable histogram per column (:mod:`simcore.experiments.sketch`, 151 MB for the default
        variables whatever the draws), its grid set from the first ``PILOT`` draws, each quantile within
        one bin width of the exact one (``MonteCarlo.sketch.error_bound``).
    engine, scheduler, workers : the chunks run in this process (``local``) or on Dask workers (a local
        cluster of ``workers`` processes, or the scheduler at ``scheduler``); results are the same
        whatever the engine or the number of workers (exact: each chunk's values land at their draws;
        sketch: integer counts, summed).
    failed_draws : "error" or "exclude"
        A draw the kernel cannot complete (a share target it cannot reach, a negative or non-finite
        quantity) stops the run (``error``), or is left out of every quantile and listed in
        ``MonteCarlo.failures`` and the provenance (``exclude``: the quantiles are then those of the
        draws that completed, which the output says); more than ``max_failed_share`` of the run failing
        is an error either way.

    Returns
    -------
    MonteCarlo
        ``quantiles(q)`` (the long table with a ``quantile`` column), ``get(region, variable)`` (draws x
        years), ``values``, ``parameters()`` (the sampled inputs of each draw), ``attainment()`` (the
        probability of each plan target), ``failures``, ``provenance`` and ``write(out)``.

    Examples
    --------
    >>> from simcore import monte_carlo
    >>> mc = monte_carlo("scenarios/plan_14th_fyp.yaml", draws=1000, seed=1)  # doctest: +SKIP
    >>> q = mc.quantiles((0.05, 0.5, 0.95))  # doctest: +SKIP
    >>> q[(q.region == "tianjin") & (q.variable == "Emissions|CO2") & (q.year == 2035)]  # doctest: +SKIP
    """
    if engine not in ("local", "dask"):
        raise SimcoreError(f"engine {engine!r}: expected 'local' or 'dask'")
    if engine == "dask" and not scheduler and int(workers) < 1:
        raise SimcoreError(f"--workers {workers}: a local Dask cluster needs at least 1 worker")
    if quantile_method not in ("exact", "sketch"):
        raise SimcoreError(f"quantile_method {quantile_method!r}: expected 'exact' or 'sketch'")
    if failed_draws not in FAILED_DRAW_POLICIES:
        raise SimcoreError(f"--failed-draws {failed_draws}: expected one of {', '.join(FAILED_DRAW_POLICIES)}")
    if not 0.0 <= float(max_failed_share) <= 1.0:
        raise SimcoreError(f"--max-failed-share {max_failed_share:g}: expected a share in [0, 1]")
    b = baseline or load_baseline()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    n = int(draws if draws is not None else scenario.spec.uncertainty.draws)
    seed = int(seed if seed is not None else (scenario.seed if scenario.seed is not None else 0))
    if n < 1:
        raise SimcoreError("draws must be at least 1")
    if int(chunk_size) < 1:
        raise SimcoreError(f"chunk_size {chunk_size}: expected at least 1")
    central_system = system_for(b)
    central_paths = compile_scenario(scenario, b, central_system)
    sampler = Sampler(scenario, b, Draws.central(central_paths, b.n_region), seed)

    from simcore.baseline.variants import variant

    systems = []
    for delta, decay, rpc in sampler.variants:
        if sampler.n_variants == 1:
            systems.append((b, central_system, central_paths))
            continue
        vb = variant(b, delta, decay, rpc)
        system = compile_system(vb)  # not system_for: one-off variants would fill the on-disk cache
        systems.append((vb, system, compile_scenario(scenario, vb, system)))

    variables = tuple(variables)
    regions = b.regions.ids
    nv = sampler.n_variants
    # the run goes in spans of draws, sampled where they run (memory bounded by the span, whatever the
    # draws); each span is one kernel call of about chunk_size draws per trade variant.  A sketch run takes
    # the pilot draws first (they set its grid), then the rest
    n_first = n if quantile_method == "exact" else min(n, PILOT)
    size = int(chunk_size) * nv
    first, rest = _spans(0, n_first, size), _spans(n_first, n, size)
    draw_at = np.concatenate([span_order(a, z, nv) for a, z in first])  # the store holds draws as they run
    shape = (len(variables), len(regions), len(YEARS))
    store = np.empty(shape + (n_first,), dtype=np.float32)
    bar = progress_bar(len(first) + len(rest), progress, f"{scenario.name}: {n} draws")
    job = _Job(systems, variables, len(regions), backend, sampler, exclude_failed=failed_draws == "exclude")
    if engine == "dask":
        from simcore.experiments.distributed import run_on_dask

        failures, sketch = run_on_dask(job, first, rest, store, draw_at, scheduler, workers, bar)
    else:
        failures, sketch = [], None
        for a, z in first:
            failures += job.span(a, z, store, a)[1]  # straight into its stretch of the store
            bar.update(1)
        if rest:
            sketch = pilot_sketch(store, draw_at, failures)
            for a, z in rest:
                failures += job.span(a, z, sketch=sketch)[1]
                bar.update(1)
    bar.close()
    store, draw_at = _drop_failed(store, draw_at, [f for f in failures if f[0] < n_first])
    if len(failures) > max_failed_share * n:
        first_failed = min(failures)
        raise ProjectionError(
            f"{len(failures)} of {n} draws failed, more than --max-failed-share {max_failed_share:g} of the run; "
            f"first draw {first_failed[0]} in {first_failed[1]}: "
            f"{_failure_table([first_failed])['status'].iloc[0]}",
            [first_failed[:2]],
        )
    if quantile_method == "sketch" and sketch is None:  # every draw was a pilot draw
        sketch = pilot_sketch(store, draw_at, [])
    prov = provenance(
        b,
        scenario,
        seed,
        {
            "draws": n,
            "variants": nv,
            "chunk_size": chunk_size,
            "backend": backend,
            "engine": engine,
            "quantile_method": quantile_method,
            "failed_draws": {"policy": failed_draws, "max_share": max_failed_share, "excluded": len(failures)},
            **(
                {"sketch_bins": SKETCH_BINS, "sketch_pilot_draws": min(n, PILOT)} if quantile_method == "sketch" else {}
            ),
            "uncertainty": scenario.spec.uncertainty.model_dump(mode="json"),
            "seeding": "numpy SeedSequence(seed, spawn_key=(stream, block of 1024 draws))",
        },
    )
    common = dict(
        variables=variables,
        regions=regions,
        scenario=scenario.name,
        seed=seed,
        sampler=sampler,
        provenance=prov,
        targets=b.targets,
        n_requested=n,
        failures=_failure_table(failures),
    )
    if quantile_method == "sketch":
        return MonteCarlo(store=None, sketch=sketch, n_sketched=n - len(failures), **common)
    identity = draw_at.size == n and bool((draw_at == np.arange(n)).all())
    return MonteCarlo(store=store, draw_at=None if identity else draw_at, **common)


def pilot_sketch(store: np.ndarray, draw_at: np.ndarray, failures: list) -> Sketch:
    """The sketch whose grid the pilot draws in ``store`` set, holding their counts (failed ones left out)."""
    pilot = _drop_failed(store, draw_at, failures)[0]
    values = pilot.reshape(int(np.prod(pilot.shape[:-1])), -1)
    sketch = Sketch.from_pilot(values)
    sketch.add(values)
    return sketch


def _drop_failed(values: np.ndarray, draw_at: np.ndarray, failures: list):
    """``values`` (..., D) and ``draw_at`` (D,) without the columns of failed draws (unchanged if none)."""
    if not failures:
        return values, draw_at
    keep = ~np.isin(draw_at, [f[0] for f in failures])
    return np.ascontiguousarray(values[..., keep]), draw_at[keep]


__all__ = [
    "DEFAULT_QUANTILES",
    "FAILED_DRAW_POLICIES",
    "KEY_VARIABLES",
    "MonteCarlo",
    "Sampler",
    "monte_carlo",
    "sample",
    "sample_parameters",
]
