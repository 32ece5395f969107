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
from simcore.errors import ResultsError, SimcoreError
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
from simcore.scenario.schema import UNCERTAIN_PARAMETERS, YEARS

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


def sample(dist, seed: int, stream: int, n: int, width: int = 1) -> np.ndarray:
    """``n`` draws (rows) of ``width`` values from one stream, block by block (prefix-stable)."""
    blocks = []
    for block in range(math.ceil(n / STREAM_BLOCK)):
        blocks.append(dist.sample(_stream(seed, stream, block), (STREAM_BLOCK, width)))
    return np.concatenate(blocks, axis=0)[:n] if blocks else np.zeros((0, width))


@dataclass
class Sampled:
    """Everything drawn for a Monte Carlo run."""

    draws: Draws
    variant_of: np.ndarray  # (D,) int
    variants: list[tuple[float, float, float]]  # (flegg_delta, gravity_decay, nontradable_rpc_district) per variant
    level_scale: np.ndarray  # (D, R)
    table: pd.DataFrame = field(repr=False)


def _level_triangles(b: Baseline) -> dict[str, tuple[float, float]]:
    """(low, high) GDP relative to the estimate, for the leaves with an estimated GDP (not the closure)."""
    acc = b.accounts
    rows = acc[(acc["sector"] == "total") & (acc["variable"] == "gdp") & (acc["quality"] == "estimated")]
    out = {}
    for r in rows.itertuples(index=False):
        if r.region in b.leaves and r.region != CLOSURE_LEAF and not math.isnan(r.low):
            out[r.region] = (r.low / r.value, r.high / r.value)
    return out


def sample_parameters(scenario: Scenario, b: Baseline, central: Draws, n: int, seed: int) -> Sampled:
    """Draw every uncertain parameter for ``n`` draws."""
    unc = scenario.spec.uncertainty
    p = unc.parameters
    R = b.n_region
    stream = {name: i for i, name in enumerate(UNCERTAIN_PARAMETERS)}

    def draw(name: str, width: int = 1) -> np.ndarray:
        values = sample(p[name], seed, stream[name], n, width)
        return values

    values = {}
    values["depreciation"] = (
        draw("depreciation")[:, 0] if "depreciation" in p else np.repeat(central.depreciation[:1], n)
    )
    values["supply_elasticity"] = (
        draw("supply_elasticity")[:, 0] if "supply_elasticity" in p else np.repeat(central.supply_elasticity[:1], n)
    )
    values["tfp_growth"] = draw("tfp_growth")[:, 0] if "tfp_growth" in p else np.zeros(n)
    T = len(YEARS)
    persistent = np.zeros((n, R))
    if "export_growth" in p:
        persistent = np.broadcast_to(draw("export_growth", R if p["export_growth"].per_region else 1), (n, R)).copy()
    shift = np.repeat(persistent[:, :, None], T, axis=2)
    if "export_growth_annual" in p:  # a Tianjin-wide shock to each year's export growth, i.i.d. over years
        shift += draw("export_growth_annual", T)[:, None, :]
    # shocks start after the record: the years up to the nowcast vintage are history
    nowcast = scenario.spec.nowcast
    last_known = nowcast.vintage if (nowcast.enabled and nowcast.vintage and nowcast.shifts) else YEARS[0]
    shift[:, :, : YEARS.index(min(max(last_known, YEARS[0]), YEARS[-1])) + 1] = 0.0
    values["export_growth"] = shift
    for name in ("efficiency", "grid", "realisation"):
        values[name] = draw(name)[:, 0] if name in p else np.ones(n)
    bounds = {"utilisation_margin": (0.0, 1.0), "energy_price_elasticity": (0.0, 2.0)}
    for name, (lo, hi) in bounds.items():
        values[name] = draw(name)[:, 0] if name in p else np.repeat(getattr(central, name)[:1], n)
        if ((values[name] < lo) | (values[name] > hi)).any():
            raise SimcoreError(f"uncertainty.parameters.{name}: draws outside [{lo:g}, {hi:g}]; add clip: [lo, hi]")
    if ((values["depreciation"] <= 0) | (values["depreciation"] >= 1)).any():
        raise SimcoreError("uncertainty.parameters.depreciation: draws outside (0, 1); add clip: [lo, hi]")
    if (values["supply_elasticity"] < 0).any():
        raise SimcoreError("uncertainty.parameters.supply_elasticity: negative draws; add clip: [0, hi]")

    trade = ("flegg_delta", "gravity_decay", "nontradable_rpc_district")
    n_variants = unc.variants if any(name in p for name in trade) else 1
    deltas = (
        sample(p["flegg_delta"], seed, VARIANT_STREAM + stream["flegg_delta"], n_variants)[:, 0]
        if "flegg_delta" in p
        else np.full(n_variants, b.parameter("flegg_delta"))
    )
    decays = (
        sample(p["gravity_decay"], seed, VARIANT_STREAM + stream["gravity_decay"], n_variants)[:, 0]
        if "gravity_decay" in p
        else np.full(n_variants, b.parameter("gravity_decay"))
    )
    rpcs = (
        sample(p["nontradable_rpc_district"], seed, VARIANT_STREAM + stream["nontradable_rpc_district"], n_variants)[
            :, 0
        ]
        if "nontradable_rpc_district" in p
        else np.full(n_variants, b.parameter("nontradable_rpc_district"))
    )
    tianjin_rpc = b.parameter("nontradable_rpc_tianjin")
    if ((rpcs < 0) | (rpcs > tianjin_rpc)).any():
        raise SimcoreError(
            f"uncertainty.parameters.nontradable_rpc_district: draws outside [0, {tianjin_rpc:g}] (the Tianjin "
            "coefficient); add clip: [lo, hi]"
        )
    if (deltas <= 0).any():
        raise SimcoreError("uncertainty.parameters.flegg_delta: draws <= 0; add clip: [lo, hi]")
    variant_of = np.arange(n) % n_variants

    scale = np.ones((n, R))
    if unc.baseline_levels:
        from simcore.scenario.schema import Distribution

        for leaf, (low, high) in _level_triangles(b).items():
            tri = Distribution(dist="triangular", low=low, mode=1.0, high=high)
            scale[:, b.leaves.index(leaf)] = sample(tri, seed, LEVEL_STREAM + b.leaves.index(leaf), n)[:, 0]

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
    table = pd.DataFrame(
        {
            "draw": np.arange(n),
            "variant": variant_of,
            "flegg_delta": deltas[variant_of],
            "gravity_decay": decays[variant_of],
            "nontradable_rpc_district": rpcs[variant_of],
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
    for r, leaf in enumerate(b.leaves):
        table[f"export_shift[{leaf}]"] = persistent[:, r]
        table[f"level_scale[{leaf}]"] = scale[:, r]
    return Sampled(draws, variant_of, list(zip(deltas.tolist(), decays.tolist(), rpcs.tolist())), scale, table)


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

    store: np.ndarray  # (V, G, T, D) float32
    variables: tuple[str, ...]
    regions: tuple[str, ...]
    scenario: str
    seed: int
    sampled: Sampled = field(repr=False)
    provenance: dict = field(repr=False)
    targets: pd.DataFrame = field(repr=False, default=None)
    draw_at: np.ndarray | None = field(repr=False, default=None)
    sketch: Sketch | None = field(repr=False, default=None)
    n_sketched: int = 0
    _quantiles: dict = field(repr=False, default_factory=dict)

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
        return self._long(self.values.astype(float), "draw", np.arange(self.n_draws))

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
        draw_ids = np.tile(np.arange(D, dtype=np.int64), T)
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
                            f"non-finite value in draw {first % D}, {region}, {variable}, "
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
        """Quantile tables (and every draw with ``keep_draws``), all or nothing."""
        if keep_draws:
            self._need_draws("--keep-draws")
        out = Path(out)
        with atomic_files(out) as path_for:
            names = stage_results(path_for, self.quantiles(q), self.provenance, f"{stem}.quantiles")
            if keep_draws:
                names.append(f"{stem}.draws.parquet")
                self.write_draws(path_for(names[-1]))
        return [out / name for name in names]


@dataclass
class _Job:
    """What every chunk of a run needs, and nothing of the client's: the compiled systems and paths of
    each trade variant (with their baselines), the kept variables and the backend.  Sent whole to Dask
    workers, so they need no file paths of the client's."""

    systems: list
    variables: tuple
    n_regions: int
    backend: str
    sketch: Sketch | None = None

    def block(self, sampled: Sampled, sub: np.ndarray, out: np.ndarray | None = None, at: int = 0) -> np.ndarray:
        """(V, G, T, len(sub)) float32 values of the draws ``sub`` (all of one trade variant); see :meth:`run`."""
        draws, scale, variant_id = (
            _subset(sampled.draws, sub),
            sampled.level_scale[sub],
            int(sampled.variant_of[sub[0]]),
        )
        return self.run(draws, scale, variant_id, sub, out, at)

    def run(self, draws: Draws, level_scale: np.ndarray, variant_id: int, sub: np.ndarray, out=None, at: int = 0):
        """The values of one chunk, written into ``out[..., at : at + len(sub)]`` (a new (V, G, T, len(sub))
        array when ``out`` is None) and returned."""
        vb, system, paths = self.systems[variant_id]
        raw = project(system, paths, draws, vb, backend=self.backend, check=False)
        check_status(raw, paths, vb, draw_ids=sub)  # names the draw by its index in the whole run
        arrays = batch_variables(vb, raw, paths, level_scale=level_scale, keep=self.variables)
        if out is None:
            out = np.empty((len(self.variables), self.n_regions, len(YEARS), len(sub)), dtype=np.float32)
        for v, name in enumerate(self.variables):
            scatter_draws(np.ascontiguousarray(arrays[name], dtype=np.float32), out[v], at)
        return out


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
    """
    if engine not in ("local", "dask"):
        raise SimcoreError(f"engine {engine!r}: expected 'local' or 'dask'")
    if engine == "dask" and not scheduler and int(workers) < 1:
        raise SimcoreError(f"--workers {workers}: a local Dask cluster needs at least 1 worker")
    if quantile_method not in ("exact", "sketch"):
        raise SimcoreError(f"quantile_method {quantile_method!r}: expected 'exact' or 'sketch'")
    b = baseline or load_baseline()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides, baseline=b)
    n = int(draws if draws is not None else scenario.spec.uncertainty.draws)
    seed = int(seed if seed is not None else (scenario.seed if scenario.seed is not None else 0))
    if n < 1:
        raise SimcoreError("draws must be at least 1")
    central_system = system_for(b)
    central_paths = compile_scenario(scenario, b, central_system)
    sampled = sample_parameters(scenario, b, Draws.central(central_paths, b.n_region), n, seed)

    from simcore.baseline.variants import variant

    systems = []
    for delta, decay, rpc in sampled.variants:
        if len(sampled.variants) == 1:
            systems.append((b, central_system, central_paths))
            continue
        vb = variant(b, delta, decay, rpc)
        system = compile_system(vb)  # not system_for: one-off variants would fill the on-disk cache
        systems.append((vb, system, compile_scenario(scenario, vb, system)))

    variables = tuple(variables)
    regions = b.regions.ids
    nv = len(systems)
    # draws grouped by variant, then chunked: each kernel call gets up to chunk_size draws of one system.
    # A sketch run takes the pilot draws first (they set its grid), then the rest
    stages = [np.arange(n)] if quantile_method == "exact" else [np.arange(min(n, PILOT)), np.arange(min(n, PILOT), n)]
    batches = [
        members[start : start + chunk_size]
        for ids in stages
        for members in (ids[sampled.variant_of[ids] == k] for k in range(nv))
        for start in range(0, members.size, chunk_size)
    ]
    width = len(variables) * len(regions) * len(YEARS)
    n_first = n if quantile_method == "exact" else min(n, PILOT)
    draw_at = np.concatenate(batches)  # the store holds the draws in the order they run
    offsets = np.concatenate(([0], np.cumsum([len(sub) for sub in batches])))
    first = [k for k in range(len(batches)) if offsets[k] < n_first]  # the batches of the store
    rest = [k for k in range(len(batches)) if offsets[k] >= n_first]  # the sketch's, after the pilot
    shape = (len(variables), len(regions), len(YEARS))
    store = np.empty(shape + (n_first,), dtype=np.float32)
    sketch = None
    bar = progress_bar(len(batches), progress, f"{scenario.name}: {n} draws")
    job = _Job(systems, variables, len(regions), backend)
    if engine == "dask":
        from simcore.experiments.distributed import run_on_dask

        run_on_dask(job, sampled, batches, first, rest, offsets, store, width, scheduler, workers, bar)
        sketch = job.sketch
    else:
        for k in first:
            job.block(sampled, batches[k], store, int(offsets[k]))  # straight into its stretch of the store
            bar.update(1)
        if rest:
            sketch = Sketch.from_pilot(store.reshape(width, -1))
            sketch.add(store.reshape(width, -1))
            for k in rest:
                sketch.add(job.block(sampled, batches[k]).reshape(width, -1))
                bar.update(1)
    if quantile_method == "sketch" and sketch is None:  # every draw was a pilot draw
        sketch = Sketch.from_pilot(store.reshape(width, -1))
        sketch.add(store.reshape(width, -1))
    if quantile_method == "sketch":
        store = None
    bar.close()
    prov = provenance(
        b,
        scenario,
        seed,
        {
            "draws": n,
            "variants": len(sampled.variants),
            "chunk_size": chunk_size,
            "backend": backend,
            "engine": engine,
            "quantile_method": quantile_method,
            **(
                {"sketch_bins": SKETCH_BINS, "sketch_pilot_draws": min(n, PILOT)} if quantile_method == "sketch" else {}
            ),
            "uncertainty": scenario.spec.uncertainty.model_dump(mode="json"),
            "seeding": "numpy SeedSequence(seed, spawn_key=(stream, block of 1024 draws))",
        },
    )
    if quantile_method == "sketch":
        return MonteCarlo(None, variables, regions, scenario.name, seed, sampled, prov, b.targets, None, sketch, n)
    identity = bool((draw_at == np.arange(n)).all())
    return MonteCarlo(
        store, variables, regions, scenario.name, seed, sampled, prov, b.targets, None if identity else draw_at
    )


__all__ = ["DEFAULT_QUANTILES", "KEY_VARIABLES", "MonteCarlo", "monte_carlo", "sample", "sample_parameters"]
