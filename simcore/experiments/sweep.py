"""Scenario sweeps: grids and Latin hypercubes over scenario levers, run locally or on Dask, resumable.

A sweep file names a base scenario and levers (dotted scenario paths).  Each run is the base scenario
with one value per lever applied as overrides.  Runs are grouped in chunks of ``chunk_size``; each chunk
is one task (local: in process, or a process pool; Dask: one task per chunk, many runs per task) and is
written to ``<out>/chunks/part-<k>.parquet`` the moment it completes, by an atomic rename.  The output
folder holds a ``manifest.json`` and ``runs.parquet`` (the lever values of every run).  The manifest
records the sweep's hash, a digest of the model code (:func:`code_digest`) and of the data
(:func:`data_digest`), and for every completed chunk the SHA-256 of its file and its row count.
Running the same command again verifies every recorded chunk, recomputes the missing ones and those that
do not match their record (truncated, emptied, edited), and refuses a folder whose code or data digest
differs from the current one, that holds chunks without a manifest, or that holds another sweep: an
interrupted sweep resumes with no run lost or duplicated, and results of two model versions never mix.

Every lever value of every run is validated when the sweep file is loaded, before anything is written
(:func:`check_levers`); runs are capped at :data:`MAX_RUNS`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
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
from simcore.results.writer import atomic_file, check_output_path, checked_folder
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
#: the most runs a sweep (or a sensitivity design) may have: the runs table is held in memory, and
#: 10^6 runs of the batch kernel take about half an hour on 2 cores
MAX_RUNS = 10**6
#: a lever with at most this many distinct values has each value checked as a whole scenario
FULL_CHECKS = 64


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
    samples: int | None = Field(default=None, ge=1, le=MAX_RUNS)
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
                raise ValueError(
                    f"method lhs needs low and high for every lever ({ranged} give values); "
                    "low and high for every lever"
                )
        return self


@dataclass(frozen=True)
class Sweep:
    spec: SweepSpec
    path: Path
    runs: pd.DataFrame  # run_id + one column per lever
    baseline_dir: str | None = None  # folder of baseline tables; None for the bundled baseline
    marks: Mapping = dataclasses.field(default_factory=dict, repr=False, compare=False)  # line of each key of the file

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


def load_sweep(path: str | os.PathLike, baseline_dir: str | None = None, check: bool = True) -> Sweep:
    """Read and validate a sweep file; the runs are generated deterministically.

    Every problem comes back as a :class:`~simcore.errors.ScenarioError` with the sweep file's line: the
    schema, a grid lever over ``low``/``high`` without ``n``, more than :data:`MAX_RUNS` runs, unknown
    output variables, regions or years, and (with ``check``, the default) any lever value of any run that
    is not a valid override of the base scenario (:func:`check_levers`).  ``check=False`` is for a worker
    running a chunk of a sweep its parent has already checked.
    """
    path = Path(path)
    issues: list[Issue] = []
    data, marks = read_yaml(path, issues, expand_dots=False)
    if issues:
        raise ScenarioError(issues)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(pydantic_issues(exc, data, marks, str(path), root=SweepSpec)) from None
    name = _display(path)
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        file, line = location_of(marks, ("scenario",), name)
        raise ScenarioError(
            [
                Issue(
                    file,
                    line,
                    "scenario",
                    "base scenario not found",
                    spec.scenario,
                    "a path to a scenario file, relative to the sweep file",
                )
            ]
        )
    _check_size(spec, marks, name)
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
    sweep = Sweep(spec, path, runs, None if baseline_dir is None else str(baseline_dir), marks)
    b = sweep.baseline()
    output_issues = _output_issues(spec.outputs, marks, name, b)
    if output_issues:
        raise ScenarioError(output_issues)
    if check:
        check_levers(sweep)
    return sweep


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _check_size(spec: SweepSpec, marks, name: str) -> None:
    """A grid lever over low/high needs ``n``; the runs are counted before any is generated."""
    issues = []
    sizes = []
    for key, lever in spec.levers.items():
        if spec.method == "grid" and lever.values is None and lever.n is None:
            file, line = location_of(marks, ("levers", key), name)
            issues.append(
                Issue(
                    file,
                    line,
                    f"levers.{key}",
                    "a grid lever over low/high needs n (the number of points)",
                    {"low": lever.low, "high": lever.high},
                    "n: an integer >= 2 beside low and high, or values: [...]",
                )
            )
        sizes.append(len(lever.values) if lever.values is not None else (lever.n or 1))
    if issues:
        raise ScenarioError(issues)
    if spec.method == "grid" and math.prod(sizes) > MAX_RUNS:
        file, line = location_of(marks, ("levers",), name)
        raise ScenarioError(
            [
                Issue(
                    file,
                    line,
                    "levers",
                    f"the grid has {math.prod(sizes):,} runs ({' x '.join(map(str, sizes))})",
                    math.prod(sizes),
                    f"at most {MAX_RUNS:,} runs (split the sweep, or use method: lhs with samples)",
                )
            ]
        )


def _output_issues(outputs: Outputs, marks, name: str, b) -> list[Issue]:
    """Unknown variables, regions and years of ``outputs`` (and any given twice), with their lines."""
    from simcore.model.variables import variable_names

    known = {
        "variables": (set(variable_names(b)), "unknown variable", "a variable of the registry (`REGISTRY`)"),
        "regions": (set(b.regions.ids), "unknown region", f"one of: {', '.join(b.regions.ids)}"),
        "years": (set(YEARS), "year outside the projection", f"a year within {YEARS[0]}-{YEARS[-1]}"),
    }
    issues = []
    for key, (allowed, problem, rule) in known.items():
        seen = set()
        for i, item in enumerate(getattr(outputs, key) or []):
            file, line = location_of(marks, ("outputs", key, i), name)
            if item not in allowed:
                issues.append(Issue(file, line, f"outputs.{key}", problem, item, rule))
            elif item in seen:
                issues.append(Issue(file, line, f"outputs.{key}", "given twice", item, "each once"))
            seen.add(item)
    return issues


def check_levers(sweep: Sweep) -> None:
    """Every lever value of every run must be a valid override of the base scenario.

    The first and last runs are checked whole (every lever together, validated and compiled).  Then
    each lever's distinct values are checked with the other levers at the first run's values: a lever
    with at most :data:`FULL_CHECKS` distinct values (every grid lever in practice) has each value
    validated and compiled as a whole scenario (about 1.6 ms each); a lever with more (a Latin hypercube:
    a new value in every run) has its smallest and largest value, and its ``low``/``high``, checked so,
    and every value validated against the schema of the part of the scenario it sits in (about 0.1 ms
    each), the whole check repeated for any value that fails there to report it.  Raises one
    :class:`~simcore.errors.ScenarioError` naming the sweep file's line, the lever, the value, the
    runs that have it and the rule it breaks.
    """
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for

    b = sweep.baseline()
    system = system_for(b)
    base = load_scenario(sweep.scenario_path, baseline=b)
    name = _display(sweep.path)
    runs = sweep.runs
    first = _overrides(sweep, runs.iloc[0])

    def problems(overrides: dict) -> list[Issue]:
        try:
            compile_scenario(with_overrides(base, overrides, baseline=b), b, system)
        except ScenarioError as exc:
            return exc.issues
        return []

    def located(lever: str | None, value, issues: list[Issue]) -> list[Issue]:
        if lever is None:
            file, line = location_of(sweep.marks, ("levers",), name)
            where = "levers"
        else:
            index = _value_index(sweep.spec.levers[lever], value)
            loc = ("levers", lever, "values", index) if index is not None else ("levers", lever)
            file, line = location_of(sweep.marks, loc, name)
            where = f"levers.{lever}"
        out = []
        for issue in issues:
            if lever is None:
                problem = f"run {value} (these lever values together): {issue.problem} at `{issue.path}`"
            else:
                ids = runs["run_id"].to_numpy()[_same(runs[lever].to_numpy(), value)]
                more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
                shown = ", ".join(str(i) for i in ids[:3])
                runs_text = f"run{'s' if len(ids) > 1 else ''} {shown}{more}"
                problem = f"value {_plain_value(value)!r} ({runs_text}): {issue.problem}"
                if issue.path != lever:
                    problem += f" at `{issue.path}`"
            out.append(Issue(file, line, where, problem, issue.got, issue.expected))
        return out

    for row in dict.fromkeys((0, len(runs) - 1)):
        overrides = _overrides(sweep, runs.iloc[row])
        found = problems(overrides)
        if found:  # name the lever at fault when one is invalid alone, else the combination of the run
            alone = [located(k, v, f) for k, v in overrides.items() if (f := problems({k: v}))]
            raise ScenarioError(
                [issue for group in alone for issue in group] if alone else located(None, int(row), found)
            )
    issues: list[Issue] = []
    for lever, spec in sweep.spec.levers.items():
        distinct = pd.unique(runs[lever].to_numpy())
        if len(distinct) <= FULL_CHECKS:
            for value in distinct:
                found = problems({**first, lever: _plain_value(value)})
                if found:
                    issues += located(lever, value, found)
            continue
        numbers = [v for v in map(_plain_value, distinct) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        ends = ([min(numbers), max(numbers)] if numbers else []) + [v for v in (spec.low, spec.high) if v is not None]
        for value in dict.fromkeys(_plain_value(v) for v in ends):
            found = problems({**first, lever: value})
            if found:
                issues += located(lever, value, found)
        section = _SectionCheck(base, first, lever, b)
        for value in distinct:
            if not section.ok(_plain_value(value)):
                found = problems({**first, lever: _plain_value(value)})
                issues += located(lever, value, found or [Issue(name, 0, lever, "not valid", value, "a valid value")])
        if len(issues) > 50:
            break
    if issues:
        raise ScenarioError(issues)


def _same(column: np.ndarray, value) -> np.ndarray:
    return np.array([v == value for v in column]) if column.dtype == object else column == value


def _value_index(lever: Lever, value) -> int | None:
    if lever.values is None:
        return None
    for i, v in enumerate(lever.values):
        if v == _plain_value(value) and type(v) is type(_plain_value(value)):
            return i
    for i, v in enumerate(lever.values):
        if v == _plain_value(value):
            return i
    return None


class _SectionCheck:
    """A lever value validated against the schema of the top-level part of the scenario it sits in (the
    other parts are those of ``first``, already checked whole): the fast check of :func:`check_levers`.

    The override is applied once with a placeholder; each value is then put in the placeholder's slot of
    that one copy of the part and the part validated (about 40 µs a value).
    """

    def __init__(self, base, first: dict, lever: str, b):
        from simcore.scenario.loader import _apply_overrides, _thaw
        from simcore.scenario.schema import ScenarioSpec

        self.key = lever.split(".", 1)[0]
        scenario = with_overrides(base, first, baseline=b)
        self.model = ScenarioSpec.model_fields[self.key].annotation
        placeholder = object()
        issues: list[Issue] = []
        self.data = _apply_overrides(
            {self.key: _thaw(scenario.raw.get(self.key, {}))}, {}, {lever: placeholder}, issues
        )
        self.slot = None if issues else _find(self.data, placeholder)

    def ok(self, value) -> bool:
        if self.slot is None:
            return False  # the full check reports it
        container, key = self.slot
        container[key] = value
        try:
            self.model.model_validate(self.data[self.key])
        except (ValidationError, ValueError, TypeError):
            return False
        return True


def _find(data, target) -> tuple | None:
    """(container, key) of ``target`` inside nested dicts and lists."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if value is target:
            return data, key
        found = _find(value, target)
        if found is not None:
            return found
    return None


def _overrides(sweep: Sweep, row) -> dict:
    out = {}
    for name in sweep.spec.levers:
        value = row[name]
        out[name] = value.item() if hasattr(value, "item") else value
    return out


# --------------------------------------------------------------------------- running chunks


def run_chunk(sweep_path: str, k: int, baseline_dir: str | None = None) -> pd.DataFrame:
    """Run chunk ``k`` of a sweep and return its long table (``run_id`` column added)."""
    sweep = load_sweep(sweep_path, baseline_dir, check=False)  # checked once, by the process that plans it
    return run_rows(sweep, sweep.chunk(k))


def run_rows(sweep: Sweep, chunk: pd.DataFrame, batch: bool = True) -> pd.DataFrame:
    """Run the given rows of a sweep's runs table; the long table of their outputs.

    With ``batch`` (the default) the rows whose levers move only what the batch kernel takes per draw run
    as the draws of one kernel call per compiled scenario (see :class:`BatchPlan`); the others, and any row
    the plan cannot express exactly, run one scenario at a time (``batch=False`` runs every row so, the
    reference the batched path is tested against).
    """
    from simcore.results.table import long_table

    plan = batch_plan(sweep) if batch else None
    b = plan.b if plan is not None else sweep.baseline()
    base = plan.base if plan is not None else load_scenario(sweep.scenario_path, baseline=b)
    outputs = sweep.spec.outputs
    regions = outputs.regions or list(b.regions.ids)
    years = outputs.years or list(YEARS)
    r_idx = np.array([b.regions.ids.index(r) for r in regions])
    t_idx = np.array([YEARS.index(y) for y in years])
    V, G, T = len(outputs.variables), len(regions), len(years)
    values = np.empty((len(chunk), V, G, T))
    rows = [_overrides(sweep, row) for _, row in chunk.iterrows()]

    def store(positions, arrays) -> None:
        positions = np.asarray(positions)
        for v, variable in enumerate(outputs.variables):
            values[positions, v] = arrays[variable][:, r_idx][:, :, t_idx]

    single = list(range(len(rows))) if plan is None else plan.run(rows, store)
    if single:
        from simcore.model.boundary import project_central
        from simcore.model.variables import batch_variables

        for n in single:
            scenario = with_overrides(base, rows[n], baseline=b)
            raw, paths = project_central(scenario, b)
            store([n], batch_variables(b, raw, paths))
    return long_table(
        values,
        scenario=base.name,
        regions=regions,
        variables=outputs.variables,
        years=years,
        key="run_id",
        labels=chunk["run_id"].to_numpy(),
    )


# --------------------------------------------------------------------------- sweeps through the batch kernel

#: sections of the compiled paths (simcore.model.levers.SECTIONS) that the batch kernel can move per draw
DRAW_SECTIONS = frozenset({"fai", "gx", "tfp", "eff", "grid", "realisation", "draw_scalars"})
#: relative tolerance of the checks that a run's paths are the base paths moved by draw parameters
EXACT = 1e-12


class BatchPlan:
    """How a sweep's rows run as draws of the batch kernel.

    Levers split in two.  *Draw levers* move only sections of the compiled paths that the kernel takes per
    draw (investment levels, export growth, productivity growth, efficiency gains, the grid index,
    realisation, depreciation, supply elasticity, utilisation margin, energy-price elasticity) in a way
    the draw parameters express (see :func:`draws_for`): the paths at the sweep's last value must be the
    paths at its first value moved by draw parameters.  Every other lever is a *group lever*: rows with
    the same group-lever values share one scenario, compiled once at the first such row's values (its
    paths are the kernel's ``pa``), and run together.  For each row only the draw levers' sections are
    recompiled (:func:`~simcore.model.levers.compile_sections`, from the part of the scenario they sit in,
    validated alone) and turned into draw parameters relative to the group's paths; a row they cannot
    express within :data:`EXACT`, whose sections fail to compile, or whose draw fails in the kernel runs
    alone (so it gets the same result or error as without batching).
    """

    def __init__(self, sweep: Sweep):
        from simcore.model.levers import PathMemo, compile_scenario
        from simcore.model.system import system_for

        self.b = sweep.baseline()
        self.base = load_scenario(sweep.scenario_path, baseline=self.b)
        self.system = system_for(self.b)
        self.memo = PathMemo()
        self.groups: dict[tuple, tuple | None] = {}
        self.thawed: dict[tuple, tuple] = {}  # (scenario, its raw part) a draw lever sits in, by (id, key)
        levers = list(sweep.spec.levers)
        self.draw_levers: list[str] = []
        for name in levers:
            sections = _sections(name)
            if not sections or not sections <= DRAW_SECTIONS:
                continue
            first, last = (_plain_value(v) for v in sweep.runs[name].iloc[[0, -1]])
            try:  # the kernel's paths at the first value, the last value as draw parameters against them
                scenario = with_overrides(self.base, {name: first}, baseline=self.b)
                paths = compile_scenario(scenario, self.b, self.system)
            except SimcoreError:
                continue
            if self._draws({name: last}, scenario, paths, sections) is not None:
                self.draw_levers.append(name)
        self.group_levers = [name for name in levers if name not in self.draw_levers]
        self.sections = set().union(*(_sections(name) for name in self.draw_levers)) if self.draw_levers else set()

    # one compiled scenario per distinct set of group-lever values
    def group(self, key: tuple, first: dict):
        """The scenario and paths of the rows with group-lever values ``key``: compiled at the first such
        row's draw levers ``first`` (the draw parameters of the others are taken against it)."""
        if key not in self.groups:
            from simcore.model.levers import compile_scenario

            found = None
            values = dict(zip(self.group_levers, key))
            for overrides in ({**values, **first}, values):
                try:
                    scenario = with_overrides(self.base, overrides, baseline=self.b)
                    found = (scenario, compile_scenario(scenario, self.b, self.system))
                    break
                except SimcoreError:
                    continue  # without the row's draw levers; failing that, its rows run alone and report it
            if len(self.groups) >= 256:
                self.groups.clear()
                self.thawed.clear()
            self.groups[key] = found
        return self.groups[key]

    def _draws(self, overrides: dict, scenario, paths, sections: set[str]) -> dict | None:
        """The draw parameters of ``scenario`` with ``overrides`` (draw levers only) against ``paths``."""
        from simcore.model.levers import _Issues, compile_sections
        from simcore.scenario.loader import _apply_overrides, _thaw
        from simcore.scenario.schema import ScenarioSpec

        by_key: dict[str, dict] = {}
        for name, value in overrides.items():
            by_key.setdefault(name.split(".", 1)[0], {})[name] = value
        update = {}
        try:
            for key, items in by_key.items():
                issues: list[Issue] = []
                entry = self.thawed.get((id(scenario), key))
                if entry is None or entry[0] is not scenario:
                    entry = self.thawed[(id(scenario), key)] = (scenario, _thaw(scenario.raw.get(key, {})))
                thawed = entry[1]
                data = _apply_overrides({key: thawed}, {}, items, issues)  # deep_merge copies, never mutates
                if issues:
                    return None
                update[key] = ScenarioSpec.model_fields[key].annotation.model_validate(data[key])
            spec = scenario.spec.model_copy(update=update)
            found = _Issues(scenario)
            fields = compile_sections(spec, self.b, self.system, sections, found, self.memo)
        except (ValidationError, ValueError, ScenarioError):
            return None
        if found.items:
            return None
        return draws_for(fields, paths)

    def run(self, rows: list[dict], store) -> list[int]:
        """Run ``rows`` (override dicts) through the kernel, ``store(positions, variables)`` for each call;
        the positions of the rows left to run alone."""
        if not self.draw_levers:
            return list(range(len(rows)))
        from simcore.model.boundary import Draws, project
        from simcore.model.variables import batch_variables

        single: list[int] = []
        grouped: dict[tuple, list[int]] = {}
        for n, row in enumerate(rows):
            grouped.setdefault(tuple(row[name] for name in self.group_levers), []).append(n)
        for key, positions in grouped.items():
            if len(positions) == 1:  # a group of one gains nothing from the kernel's draws
                single += positions
                continue
            found = self.group(key, {name: rows[positions[0]][name] for name in self.draw_levers})
            if found is None:
                single += positions
                continue
            scenario, paths = found
            members, draws = [], []
            for n in positions:
                d = self._draws({name: rows[n][name] for name in self.draw_levers}, scenario, paths, self.sections)
                if d is None:
                    single.append(n)
                else:
                    members.append(n)
                    draws.append(d)
            if not members:
                continue
            stacked = Draws(**{f: np.ascontiguousarray(np.array([d[f] for d in draws], float)) for f in draws[0]})
            raw = project(self.system, paths, stacked, self.b, check=False)
            ok = raw.status == 0
            single += [n for n, good in zip(members, ok) if not good]
            if not ok.all():
                raw = _subset_raw(raw, np.flatnonzero(ok))
                members = [n for n, good in zip(members, ok) if good]
            if members:
                store(members, batch_variables(self.b, raw, paths))
        return sorted(single)


def draws_for(fields: dict, paths) -> dict | None:
    """One draw's parameters that turn ``paths`` into ``paths`` with ``fields`` (the sections of
    :data:`DRAW_SECTIONS`, compiled for a run) in the batch kernel; None when they cannot.

    * ``fai`` (R, T): ``fai_multiplier = fai / paths.fai`` (1 where both are 0; a run investing where the
      paths do not cannot be expressed);
    * ``gx`` (R, S, T): ``export_shift = gx - paths.gx``, which must be the same for every sector of a
      region and year (the kernel shifts a region's growth, not a sector's);
    * ``tfp`` (T,): ``tfp_shift = tfp - paths.tfp``, the same in every projected year;
    * ``eff`` (S1, T): ``efficiency_multiplier = m`` with ``eff = m paths.eff`` in every sector and year;
    * ``grid`` (T,): ``grid_multiplier = m`` with ``1 - grid = m (1 - paths.grid)`` in every year;
    * ``realisation`` (T,): ``realisation_multiplier = m`` with ``realisation = m paths.realisation``;
    * depreciation, supply elasticity, utilisation margin, energy-price elasticity: the run's values.

    "The same" and "=" hold to :data:`EXACT` of the values' scale; the kernel's results then differ from
    the run's own by rounding only.  2020 (year index 0) is not projected, so it is not compared.
    """
    R, T = paths.fai.shape
    out = {
        "depreciation": fields.get("depreciation", paths.depreciation),
        "supply_elasticity": fields.get("supply_elasticity", paths.supply_elasticity),
        "tfp_shift": 0.0,
        "export_shift": np.zeros((R, T)),
        "efficiency_multiplier": 1.0,
        "grid_multiplier": 1.0,
        "realisation_multiplier": 1.0,
        "utilisation_margin": fields.get("utilisation_margin", paths.utilisation_margin),
        "energy_price_elasticity": fields.get("energy_price_elasticity", paths.energy_price_elasticity),
        "fai_multiplier": np.ones((R, T)),
    }
    if "fai" in fields:
        fai, ref = fields["fai"], paths.fai
        zero = ref == 0.0
        if (fai[zero] != 0.0).any():
            return None
        out["fai_multiplier"] = np.divide(fai, ref, out=np.ones((R, T)), where=~zero)
    if "gx" in fields:
        diff = fields["gx"][:, :, 1:] - paths.gx[:, :, 1:]
        shift = diff.mean(axis=1)
        if np.abs(diff - shift[:, None, :]).max(initial=0.0) > EXACT * _scale(fields["gx"], paths.gx):
            return None
        out["export_shift"][:, 1:] = shift
    if "tfp" in fields:
        diff = fields["tfp"][1:] - paths.tfp[1:]
        if np.ptp(diff) > EXACT * _scale(fields["tfp"], paths.tfp):
            return None
        out["tfp_shift"] = float(diff.mean())
    for name, field, key in (
        ("eff", "efficiency_multiplier", lambda a: a[:, 1:]),
        ("grid", "grid_multiplier", lambda a: 1.0 - a[1:]),
        ("realisation", "realisation_multiplier", lambda a: a[1:]),
    ):
        if name in fields:
            m = _multiple(key(getattr(paths, name)), key(fields[name]))
            if m is None:
                return None
            out[field] = m
    return out


def _scale(*arrays) -> float:
    return max(1.0, *(float(np.abs(a).max(initial=0.0)) for a in arrays))


def _multiple(ref: np.ndarray, row: np.ndarray) -> float | None:
    """m with row = m ref to EXACT (1 when both are zero), None when there is none."""
    size = max(float(np.abs(ref).max(initial=0.0)), float(np.abs(row).max(initial=0.0)))
    if size == 0.0:
        return 1.0
    k = int(np.argmax(np.abs(ref)))
    if ref.flat[k] == 0.0:
        return None
    m = float(row.flat[k] / ref.flat[k])
    if np.abs(row - m * ref).max() > EXACT * size:
        return None
    return m


def _sections(name: str) -> set[str] | None:
    from simcore.model.levers import sections_of
    from simcore.scenario import dotted as dotted_path

    return sections_of(tuple(dotted_path.split(name)))


def _plain_value(value):
    return value.item() if hasattr(value, "item") else value


def _subset_raw(raw, idx: np.ndarray):
    from simcore.model.boundary import Raw

    return Raw(**{f: np.ascontiguousarray(getattr(raw, f)[idx]) for f in raw.__dataclass_fields__})


_PLANS: dict[tuple, BatchPlan] = {}


def batch_plan(sweep: Sweep) -> BatchPlan:
    """The sweep's :class:`BatchPlan`, made once per process and sweep (chunks of a sweep share it)."""
    b = sweep.baseline()
    key = (
        str(sweep.scenario_path),
        json.dumps(sweep.spec.model_dump(mode="json"), sort_keys=True),
        sweep.runs.to_json(orient="split", double_precision=15) if sweep.n_runs <= 2 else _ends(sweep),
        sweep.baseline_dir,
        b.checksum,
        json.dumps(_plain(load_scenario(sweep.scenario_path, baseline=b).raw), sort_keys=True, default=str),
    )
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 8:
            _PLANS.clear()
        plan = _PLANS[key] = BatchPlan(sweep)
    return plan


def _ends(sweep: Sweep) -> str:
    """The first and last runs (the plan tests its levers on them)."""
    return sweep.runs.iloc[[0, -1]].to_json(orient="split", double_precision=15)


# --------------------------------------------------------------------------- the output folder

#: manifest format; a manifest without chunk records (format 1, before simcore recorded them) is refused
MANIFEST_FORMAT = 2


def code_digest() -> str:
    """SHA-256 of the model code: every ``.py`` file of the installed simcore package (``simcore/**/*.py``,
    by relative path and content).  Any edit of any module changes it, including modules that do not
    affect results (the command line, plotting): a sweep refuses to resume rather than risk mixing."""
    import simcore

    root = Path(simcore.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def data_digest(b) -> str:
    """SHA-256 of the data a run reads: the baseline tables (``Baseline.checksum``, over every table of the
    baseline folder) and the package's codelists and parameter tables (``simcore/data/*``)."""
    import simcore

    digest = hashlib.sha256(b.checksum.encode() + b"\0")
    for path in sorted((Path(simcore.__file__).resolve().parent / "data").glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parquet_rows(path: Path) -> int | None:
    """The row count in a Parquet file's footer; None when the file is not readable Parquet."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(path).num_rows
    except Exception:  # noqa: BLE001  (any unreadable file: truncated, empty, not Parquet)
        return None


class Store:
    """The sweep's output folder: manifest, runs table and one Parquet file per chunk.

    ``manifest.json`` holds the sweep's hash, :func:`code_digest`, :func:`data_digest` and, under
    ``chunks``, ``{"sha256": ..., "rows": ...}`` of every chunk written; a chunk counts as done only when
    its file matches its record.  :meth:`prepare` says in ``notes`` what it found wrong and recomputes.
    """

    def __init__(self, out: Path, sweep: Sweep):
        self.out = Path(out)
        self.sweep = sweep
        self.chunks = self.out / "chunks"
        self.manifest_path = self.out / "manifest.json"
        self.manifest: dict = {}
        self.notes: list[str] = []

    def part(self, k: int) -> Path:
        return self.chunks / f"part-{k:05d}.parquet"

    def _refuse(self, why: str) -> None:
        raise SimcoreError(
            f"{self.out}: {why}; its chunks cannot be resumed by this sweep: use a new --out folder, or delete "
            f"{self.out} to start again"
        )

    def _read_manifest(self) -> dict:
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._refuse(f"manifest.json is not readable ({exc.__class__.__name__})")
        if not isinstance(manifest, dict):
            self._refuse("manifest.json is not a sweep manifest")
        return manifest

    def prepare(self) -> list[int]:
        """Create or check the folder; return the chunks still to compute (missing or not matching)."""
        b = self.sweep.baseline()
        current = {
            "sweep_hash": self.sweep.digest(),
            "code_digest": code_digest(),
            "data_digest": data_digest(b),
        }
        if self.manifest_path.is_file():
            manifest = self._read_manifest()
            if manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("chunks"), dict):
                self._refuse(
                    f"manifest.json was written by simcore {manifest.get('simcore', '?')} without chunk "
                    "checksums or code and data digests"
                )
            if manifest.get("code_digest") != current["code_digest"]:
                self._refuse(
                    f"the model code changed since this sweep started (code digest "
                    f"{str(manifest.get('code_digest'))[:12]} in the manifest, simcore "
                    f"{manifest.get('simcore', '?')}; {current['code_digest'][:12]} now, simcore {__version__}): "
                    "results of two model versions must not mix"
                )
            if manifest.get("data_digest") != current["data_digest"]:
                self._refuse(
                    f"the baseline data changed since this sweep started (data digest "
                    f"{str(manifest.get('data_digest'))[:12]} in the manifest, {current['data_digest'][:12]} now)"
                )
            if manifest.get("sweep_hash") != current["sweep_hash"]:
                self._refuse("it holds a different sweep (the sweep file or its base scenario changed)")
        else:
            found = sorted(p.name for p in self.chunks.glob("part-*.parquet")) if self.chunks.is_dir() else []
            if found or (self.out / "runs.parquet").exists():
                self._refuse(
                    f"it holds sweep output ({len(found)} chunk file(s)"
                    f"{', runs.parquet' if (self.out / 'runs.parquet').exists() else ''}) but no manifest.json, "
                    "so nothing says which sweep, code and data they come from"
                )
            manifest = {
                "format": MANIFEST_FORMAT,
                "sweep": self.sweep.spec.name,
                "simcore": __version__,
                **current,
                "code_covers": "every .py file of the simcore package (simcore/**/*.py)",
                "data_covers": "the baseline tables (Baseline.checksum) and simcore/data/*",
                "n_runs": self.sweep.n_runs,
                "chunk_size": self.sweep.spec.chunk_size,
                "n_chunks": self.sweep.n_chunks,
                "scenario": str(self.sweep.spec.scenario),
                "levers": list(self.sweep.spec.levers),
                "method": self.sweep.spec.method,
                "chunks": {},
            }
        self.manifest = manifest
        self.chunks.mkdir(parents=True, exist_ok=True)
        leftovers = [
            *self.chunks.glob(".part-*"),
            *self.out.glob(".manifest.json.tmp-*"),
            *self.out.glob(".runs.parquet.tmp-*"),
        ]
        for leftover in leftovers:  # temporary files of a writer that died (the folder lock is ours)
            leftover.unlink(missing_ok=True)
        self._save_manifest()
        runs_path = self.out / "runs.parquet"
        if not runs_path.is_file() or _parquet_rows(runs_path) != self.sweep.n_runs:
            _atomic_parquet(self.sweep.runs, runs_path)
        return [k for k in range(self.sweep.n_chunks) if not self._verified(k)]

    def _verified(self, k: int) -> bool:
        """Whether chunk ``k`` is done: its file is there and matches its record; a note and the file
        removed when it does not."""
        record = self.manifest["chunks"].get(str(k))
        part = self.part(k)
        if record is None and not part.exists():
            return False
        if record is None:
            problem = "not recorded in the manifest (the sweep stopped before recording it)"
        elif not part.is_file():
            problem = "recorded in the manifest but its file is missing"
        elif _file_sha256(part) != record.get("sha256"):
            problem = f"checksum mismatch ({'empty' if part.stat().st_size == 0 else 'truncated or changed'} file)"
        elif _parquet_rows(part) != record.get("rows"):
            problem = f"row count mismatch ({_parquet_rows(part)} rows, {record.get('rows')} recorded)"
        else:
            return True
        self.notes.append(f"chunk {k}: {problem}, recomputed")
        self.manifest["chunks"].pop(str(k), None)
        part.unlink(missing_ok=True)
        return False

    def _save_manifest(self) -> None:
        _atomic_text(json.dumps(self.manifest, indent=2) + "\n", self.manifest_path)

    def write(self, k: int, table: pd.DataFrame) -> None:
        """Write chunk ``k`` (one atomic rename), then record its checksum and row count in the manifest."""
        _atomic_parquet(table, self.part(k))
        self.manifest["chunks"][str(k)] = {"sha256": _file_sha256(self.part(k)), "rows": len(table)}
        self._save_manifest()

    def complete(self) -> bool:
        records = self.manifest.get("chunks", {})
        return all(str(k) in records and self.part(k).is_file() for k in range(self.sweep.n_chunks))

    def read(self, partial: bool = False) -> pd.DataFrame:
        """The whole dataset, sorted: every chunk, each checked against its record in the manifest (checksum
        and row count).  A chunk missing or not matching is an error, unless ``partial``, which returns
        the chunks that are complete and match."""
        manifest = self._read_manifest() if self.manifest_path.is_file() else {}
        records = manifest.get("chunks", {})
        parts, missing = [], []
        for k in range(self.sweep.n_chunks):
            record, part = records.get(str(k)), self.part(k)
            if record is None:
                missing.append(k)
                continue
            if (
                not part.is_file()
                or _file_sha256(part) != record.get("sha256")
                or _parquet_rows(part) != record.get("rows")
            ):
                raise SimcoreError(
                    f"{part}: does not match its record in {self.manifest_path} (missing, truncated or changed); "
                    "run the sweep again with the same command to recompute it"
                )
            parts.append(pd.read_parquet(part))
        if missing and not partial:
            raise SimcoreError(
                f"{self.out}: {len(missing)} of {self.sweep.n_chunks} chunks not complete (first: chunk {missing[0]}); "
                "run the sweep again with the same command to finish it, or read(partial=True)"
            )
        if not parts:
            raise SimcoreError(f"{self.out}: no completed chunk; run the sweep first")
        table = pd.concat(parts, ignore_index=True)
        return table.sort_values(["run_id", "region", "variable", "year"], kind="stable").reset_index(drop=True)

    def experiments_outcomes(self, partial: bool = False) -> tuple[pd.DataFrame, dict]:
        """The dataset in EMA Workbench's layout: ``experiments`` (one row a run: the lever values, with
        ``scenario`` the run id, ``policy`` and ``model`` as EMA names them) and ``outcomes`` (one
        ``(runs, years)`` array per ``region:variable``, runs in the experiments' order, years in
        ``outcomes["time"]``): what ``ema_workbench.analysis.prim.Prim(x, y)`` and its feature scoring take.
        """
        table = self.read(partial=partial)
        runs = sorted(table["run_id"].unique())
        experiments = self.sweep.runs.set_index("run_id").loc[runs].reset_index()
        experiments = experiments.rename(columns={"run_id": "scenario"})
        experiments["policy"] = self.sweep.spec.name
        experiments["model"] = table["model"].iloc[0]
        years = sorted(table["year"].unique())
        outcomes: dict = {"time": np.array(years)}
        for (region, variable), part in table.groupby(["region", "variable"], sort=True):
            wide = part.pivot_table(index="run_id", columns="year", values="value").reindex(index=runs, columns=years)
            outcomes[f"{region}:{variable}"] = wide.to_numpy()
        return experiments, outcomes


class _FolderLock:
    """An exclusive lock on the sweep folder (``.simcore-sweep.lock``, flock, released when the process
    ends however it ends): two sweeps never write into one folder at once."""

    def __init__(self, out: Path):
        self.path = Path(out) / ".simcore-sweep.lock"
        self.fd: int | None = None

    def __enter__(self) -> _FolderLock:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): no lock
            return self
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise SimcoreError(
                f"{self.path.parent}: another simcore sweep is writing into this folder; wait for it to end"
            ) from None
        except OSError:  # a file system without locks: go on without one
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


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

    ``out`` is checked first (not a file, writable), then the sweep file is loaded and every lever value
    validated, all before anything is written.  On a resume, what :meth:`Store.prepare` found wrong
    (``store.notes``: a chunk recomputed and why) is printed to standard error.

    Parameters
    ----------
    path : path-like
        The sweep YAML file (a base scenario, levers, outputs; ``docs/scenarios.md``, "Sweeps").
    out : path-like
        The dataset folder: Parquet chunks, ``runs.parquet`` and ``manifest.json``; rerun to resume.
    engine : {"local", "dask"}
        Local worker processes, or Dask (a local cluster of ``workers``, or ``scheduler``).
    workers : int
        Worker processes.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    progress : bool
        Show a progress bar.
    baseline_dir : str, optional
        A folder of baseline tables instead of the bundled ones (every worker loads it).

    Returns
    -------
    Store
        ``store.read()`` is the long table (``model``, ``scenario``, ``region``, ``variable``, ``unit``,
        ``year``, ``run_id``, ``value``); ``store.sweep.runs`` the lever values of each run.

    Examples
    --------
    >>> from simcore import run_sweep
    >>> store = run_sweep("scenarios/sweeps/binhai_grid.yaml", "out/binhai_grid")  # doctest: +SKIP
    >>> store.read().merge(store.sweep.runs, on="run_id").head()  # doctest: +SKIP
    """
    if engine not in ("local", "dask"):
        raise SimcoreError(f"unknown engine {engine!r}; expected local or dask")
    check_output_path(out)
    sweep = load_sweep(path, baseline_dir)
    store = Store(checked_folder(out), sweep)
    with _FolderLock(store.out):
        missing = store.prepare()
        for note in store.notes:
            print(f"simcore: {store.out}: {note}", file=sys.stderr)
        sweep_path = str(Path(path).resolve())
        bar = progress_bar(len(missing), progress, f"{sweep.spec.name}: {sweep.n_runs} runs")
        try:
            if not missing:
                pass
            elif engine == "local":
                _run_local(sweep, sweep_path, missing, store, workers, bar)
            else:
                _run_dask(sweep, sweep_path, missing, store, workers, scheduler, bar)
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


def _warm_worker(scenario_path: str, baseline_dir: str | None) -> str:
    """Import simcore and load (or compile) the kernels once per worker process, on the sweep's scenario;
    the worker's :func:`code_digest`."""
    from simcore.model.boundary import project_central

    b = load_baseline(baseline_dir)
    project_central(load_scenario(scenario_path, baseline=b), b)
    return code_digest()


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
        digests = client.run(_warm_worker, str(sweep.scenario_path), sweep.baseline_dir)  # kernels loaded once
        other = sorted(worker for worker, digest in digests.items() if digest != store.manifest["code_digest"])
        if other:
            raise SimcoreError(
                f"Dask worker(s) {', '.join(other)} run different simcore code (code digest differs from this "
                "process's): install the same simcore on every worker"
            )
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
