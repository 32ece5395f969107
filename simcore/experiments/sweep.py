"""Scenario sweeps: grids and Latin hypercubes over scenario levers, run locally or on Dask, resumable.

A sweep file names a base scenario and levers (dotted scenario paths).  Each run is the base scenario
with one value per lever applied as overrides.  Runs are grouped in chunks of ``chunk_size``; each chunk
is one task (local: in process, or a process pool; Dask: one task per chunk, many runs per task) and is
written to ``<out>/chunks/part-<k>.parquet`` the moment it completes, by an atomic rename.  The output
folder holds a ``manifest.json`` (the sweep's hash and chunking) and ``runs.parquet`` (the lever values
of every run).  Running the same command again computes only the missing chunks, so an interrupted
sweep resumes with no run lost or duplicated.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from simcore import __version__
from simcore.baseline.tables import load_baseline
from simcore.errors import Issue, ScenarioError, SimcoreError
from simcore.progress import progress_bar
from simcore.results.writer import atomic_file
from simcore.scenario.loader import (
    load_scenario,
    location_of,
    pydantic_issues,
    read_yaml,
    with_overrides,
)
from simcore.scenario.schema import YEARS, Model, Number

DEFAULT_OUTPUTS = (
    "GDP",
    "Value Added|Manufacturing",
    "Energy Consumption",
    "Energy Intensity|GDP",
    "Emissions|CO2",
    "Carbon Intensity|GDP",
)


class Lever(Model):
    """Values of one lever: a list (grid), or ``low``/``high`` (Latin hypercube; grid with ``n`` points)."""

    values: list[Any] | None = None
    low: Number | None = None
    high: Number | None = None
    n: int | None = Field(default=None, ge=2)

    @model_validator(mode="after")
    def _form(self) -> Lever:
        if self.values is not None and (self.low is not None or self.high is not None):
            raise ValueError("give values or low/high, not both")
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give values, or low and high")
        if self.low is not None and not self.low < self.high:
            raise ValueError("low must be below high")
        if self.values is not None and not self.values:
            raise ValueError("values must not be empty")
        if self.values is not None and any(isinstance(v, (dict, list)) or v is None for v in self.values):
            raise ValueError(
                "lever values must be numbers, strings or booleans; point the lever's dotted path "
                "inside a time path to vary one of its numbers"
            )
        return self

    def grid(self) -> list:
        if self.values is not None:
            return list(self.values)
        if self.n is None:
            raise ValueError("a grid over low/high needs n (the number of points)")
        return np.linspace(self.low, self.high, self.n).tolist()


class Outputs(Model):
    variables: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTPUTS))
    regions: list[str] | None = None
    years: list[int] | None = None


class SweepSpec(Model):
    name: str = Field(min_length=1)
    description: str = ""
    scenario: str
    method: Literal["grid", "lhs"] = "grid"
    samples: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)
    chunk_size: int = Field(default=50, ge=1)
    levers: dict[str, Lever]
    outputs: Outputs = Outputs()

    @model_validator(mode="after")
    def _method(self) -> SweepSpec:
        if not self.levers:
            raise ValueError("at least one lever is needed")
        if self.method == "lhs":
            if self.samples is None:
                raise ValueError("method lhs needs samples")
            ranged = [k for k, lever in self.levers.items() if lever.low is None]
            if ranged:
                raise ValueError(f"method lhs needs low/high for every lever; {ranged} give values")
        return self


@dataclass(frozen=True)
class Sweep:
    spec: SweepSpec
    path: Path
    runs: pd.DataFrame  # run_id + one column per lever
    baseline_dir: str | None = None  # folder of baseline tables; None for the bundled baseline

    def baseline(self):
        return load_baseline(self.baseline_dir)

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.spec.chunk_size)

    def chunk(self, k: int) -> pd.DataFrame:
        size = self.spec.chunk_size
        return self.runs.iloc[k * size : (k + 1) * size]

    @property
    def scenario_path(self) -> Path:
        return (self.path.parent / self.spec.scenario).resolve()

    def digest(self) -> str:
        """Hash of everything that determines the results (spec, runs, scenario files, baseline, version)."""
        h = hashlib.sha256()
        h.update(json.dumps(self.spec.model_dump(mode="json"), sort_keys=True).encode())
        h.update(self.runs.to_json(orient="split", double_precision=15).encode())
        b = self.baseline()
        scenario = load_scenario(self.scenario_path, baseline=b)
        h.update(json.dumps(_plain(scenario.raw), sort_keys=True, default=str).encode())
        h.update(b.checksum.encode())
        h.update(__version__.encode())
        return h.hexdigest()


def _plain(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_sweep(path: str | os.PathLike, baseline_dir: str | None = None) -> Sweep:
    """Read and validate a sweep file; the runs are generated deterministically."""
    path = Path(path)
    issues: list[Issue] = []
    data, marks = read_yaml(path, issues, expand_dots=False)
    if issues:
        raise ScenarioError(issues)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(pydantic_issues(exc, data, marks, str(path))) from None
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        name, line = location_of(marks, ("scenario",), str(path))
        raise ScenarioError(
            [
                Issue(
                    name,
                    line,
                    "scenario",
                    "base scenario not found",
                    spec.scenario,
                    "a path to a scenario file, relative to the sweep file",
                )
            ]
        )
    names = list(spec.levers)
    if spec.method == "grid":
        values = list(itertools.product(*(spec.levers[k].grid() for k in names)))
    else:
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(spec.seed)).random(spec.samples)
        lows = np.array([spec.levers[k].low for k in names], float)
        highs = np.array([spec.levers[k].high for k in names], float)
        values = [tuple(row) for row in lows + unit * (highs - lows)]
    runs = pd.DataFrame(values, columns=names)
    runs.insert(0, "run_id", np.arange(len(runs), dtype=np.int64))
    sweep = Sweep(spec, path, runs, None if baseline_dir is None else str(baseline_dir))
    _check_levers(sweep, marks)
    return sweep


def _check_levers(sweep: Sweep, marks) -> None:
    """Every lever must be a valid override of the base scenario (checked on the first and last run)."""
    b = sweep.baseline()
    base = load_scenario(sweep.scenario_path, baseline=b)
    for row in (sweep.runs.iloc[0], sweep.runs.iloc[-1]):
        try:
            with_overrides(base, _overrides(sweep, row), baseline=b)
        except ScenarioError as exc:
            name, line = location_of(marks, ("levers",), str(sweep.path))
            raise ScenarioError(
                [
                    Issue(name, line, f"levers ({issue.path})", issue.problem, issue.got, issue.expected)
                    for issue in exc.issues
                ]
            ) from None


def _overrides(sweep: Sweep, row) -> dict:
    out = {}
    for name in sweep.spec.levers:
        value = row[name]
        out[name] = value.item() if hasattr(value, "item") else value
    return out


# --------------------------------------------------------------------------- running chunks


def run_chunk(sweep_path: str, k: int, baseline_dir: str | None = None) -> pd.DataFrame:
    """Run chunk ``k`` of a sweep and return its long table (``run_id`` column added)."""
    sweep = load_sweep(sweep_path, baseline_dir)
    return run_rows(sweep, sweep.chunk(k))


def run_rows(sweep: Sweep, chunk: pd.DataFrame) -> pd.DataFrame:
    """Run the given rows of a sweep's runs table; the long table of their outputs."""
    from simcore.model.boundary import project_central
    from simcore.model.variables import batch_variables
    from simcore.results.table import long_table

    b = sweep.baseline()
    base = load_scenario(sweep.scenario_path, baseline=b)
    outputs = sweep.spec.outputs
    regions = outputs.regions or list(b.regions.ids)
    years = outputs.years or list(YEARS)
    r_idx = [b.regions.ids.index(r) for r in regions]
    t_idx = [YEARS.index(y) for y in years]
    V, G, T = len(outputs.variables), len(regions), len(years)
    values = np.empty((len(chunk), V, G, T))
    for n, (_, row) in enumerate(chunk.iterrows()):
        scenario = with_overrides(base, _overrides(sweep, row), baseline=b)
        raw, paths = project_central(scenario, b)
        arrays = batch_variables(b, raw, paths)
        for v, variable in enumerate(outputs.variables):
            values[n, v] = arrays[variable][0][np.ix_(r_idx, t_idx)]
    return long_table(
        values,
        scenario=base.name,
        regions=regions,
        variables=outputs.variables,
        years=years,
        key="run_id",
        labels=chunk["run_id"].to_numpy(),
    )


def _check_outputs(sweep: Sweep) -> None:
    from simcore.model.variables import variable_names

    b = sweep.baseline()
    known = set(variable_names(b))
    for variable in sweep.spec.outputs.variables:
        if variable not in known:
            raise SimcoreError(
                f"{sweep.path}: outputs.variables: unknown variable {variable!r} (see the "
                "variable column of `simcore run --out`)"
            )
    for region in sweep.spec.outputs.regions or []:
        if region not in b.regions.ids:
            raise SimcoreError(f"{sweep.path}: outputs.regions: unknown region {region!r}")
    for year in sweep.spec.outputs.years or []:
        if year not in YEARS:
            raise SimcoreError(f"{sweep.path}: outputs.years: {year} outside {YEARS[0]}-{YEARS[-1]}")


# --------------------------------------------------------------------------- the output folder


class Store:
    """The sweep's output folder: manifest, runs table and one Parquet file per chunk."""

    def __init__(self, out: Path, sweep: Sweep):
        self.out = Path(out)
        self.sweep = sweep
        self.chunks = self.out / "chunks"

    def part(self, k: int) -> Path:
        return self.chunks / f"part-{k:05d}.parquet"

    def prepare(self) -> list[int]:
        """Create or check the folder; return the chunks still missing."""
        digest = self.sweep.digest()
        manifest_path = self.out / "manifest.json"
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("sweep_hash") != digest:
                raise SimcoreError(
                    f"{self.out} holds a different sweep (or the scenario or simcore changed); use another --out folder"
                )
        else:
            self.chunks.mkdir(parents=True, exist_ok=True)
            _atomic_parquet(self.sweep.runs, self.out / "runs.parquet")
            manifest = {
                "sweep": self.sweep.spec.name,
                "sweep_hash": digest,
                "simcore": __version__,
                "n_runs": self.sweep.n_runs,
                "chunk_size": self.sweep.spec.chunk_size,
                "n_chunks": self.sweep.n_chunks,
                "scenario": str(self.sweep.spec.scenario),
                "levers": list(self.sweep.spec.levers),
                "method": self.sweep.spec.method,
            }
            _atomic_text(json.dumps(manifest, indent=2) + "\n", manifest_path)
        for leftover in self.chunks.glob(".part-*"):
            leftover.unlink()
        return [k for k in range(self.sweep.n_chunks) if not self.part(k).is_file()]

    def write(self, k: int, table: pd.DataFrame) -> None:
        _atomic_parquet(table, self.part(k))

    def complete(self) -> bool:
        return all(self.part(k).is_file() for k in range(self.sweep.n_chunks))

    def read(self) -> pd.DataFrame:
        """The whole dataset (all chunks), sorted."""
        parts = [pd.read_parquet(self.part(k)) for k in range(self.sweep.n_chunks) if self.part(k).is_file()]
        table = pd.concat(parts, ignore_index=True)
        return table.sort_values(["run_id", "region", "variable", "year"], kind="stable").reset_index(drop=True)


def _atomic_parquet(table: pd.DataFrame, path: Path) -> None:
    with atomic_file(path) as tmp:
        table.to_parquet(tmp, index=False)


def _atomic_text(text: str, path: Path) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(text)


# --------------------------------------------------------------------------- engines


def run_sweep(
    path: str | os.PathLike,
    out: str | os.PathLike,
    engine: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    baseline_dir: str | None = None,
) -> Store:
    """Run (or resume) a sweep into ``out``.  Returns the store; ``store.read()`` gives the dataset.

    ``baseline_dir``: a folder of baseline tables instead of the bundled ones (every worker loads it).
    """
    sweep = load_sweep(path, baseline_dir)
    _check_outputs(sweep)
    store = Store(Path(out), sweep)
    missing = store.prepare()
    sweep_path = str(Path(path).resolve())
    bar = progress_bar(len(missing), progress, f"{sweep.spec.name}: {sweep.n_runs} runs")
    try:
        if not missing:
            pass
        elif engine == "local":
            _run_local(sweep, sweep_path, missing, store, workers, bar)
        elif engine == "dask":
            _run_dask(sweep, sweep_path, missing, store, workers, scheduler, bar)
        else:
            raise SimcoreError(f"unknown engine {engine!r}; expected local or dask")
    finally:
        bar.close()
    return store


def _run_local(sweep: Sweep, sweep_path: str, missing: Iterable[int], store: Store, workers: int, bar) -> None:
    if workers <= 1:
        for k in missing:
            store.write(k, run_chunk(sweep_path, k, sweep.baseline_dir))
            bar.update(1)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")  # fork after numba's OpenMP threads is unsafe
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_warm_worker,
        initargs=(str(sweep.scenario_path), sweep.baseline_dir),
    ) as pool:
        futures = {pool.submit(run_chunk, sweep_path, k, sweep.baseline_dir): k for k in missing}
        for future in as_completed(futures):
            store.write(futures[future], future.result())
            bar.update(1)


def _warm_worker(scenario_path: str, baseline_dir: str | None) -> None:
    """Import simcore and load (or compile) the kernels once per worker process, on the sweep's scenario."""
    from simcore.model.boundary import project_central

    b = load_baseline(baseline_dir)
    project_central(load_scenario(scenario_path, baseline=b), b)


def _run_dask(
    sweep: Sweep, sweep_path: str, missing: list[int], store: Store, workers: int, scheduler: str | None, bar
) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        client.run(_warm_worker, str(sweep.scenario_path), sweep.baseline_dir)  # kernels loaded once per worker
        futures = [
            client.submit(run_chunk, sweep_path, k, sweep.baseline_dir, key=f"sweep-chunk-{k}", pure=False)
            for k in missing
        ]
        index = {f.key: k for f, k in zip(futures, missing)}
        for future in as_completed(futures):
            store.write(index[future.key], future.result())
            bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
