"""Global sensitivity of chosen outputs to a sweep's levers (Sobol or Morris, via SALib).

The levers of a sweep file with ``low``/``high`` ranges span the parameter space; SALib draws the
design (Saltelli's scheme for Sobol indices, trajectories for Morris), the sweep machinery runs it, and
SALib computes the indices.  Outputs are named ``region:variable:year``.
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pandas as pd

from simcore.errors import SimcoreError
from simcore.experiments.sweep import MAX_RUNS, Sweep, load_sweep, run_rows

DEFAULT_OUTPUTS = ("tianjin:Emissions|CO2:2035", "binhai:GDP:2025")


def parse_output(text: str) -> tuple[str, str, int]:
    try:
        region, variable, year = text.rsplit(":", 2) if text.count(":") >= 2 else (None, None, None)
        return region, variable, int(year)
    except (TypeError, ValueError):
        raise SimcoreError(f"output {text!r}: expected region:variable:year, e.g. tianjin:Emissions|CO2:2035")


def problem(sweep: Sweep) -> dict:
    names = list(sweep.spec.levers)
    bounds = []
    for name in names:
        lever = sweep.spec.levers[name]
        if lever.low is None:
            raise SimcoreError(f"{sweep.path}: lever {name} needs low and high for a sensitivity analysis")
        bounds.append([float(lever.low), float(lever.high)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _salib_seed(seed: int) -> int:
    """SALib reads ``seed=0`` as "no seed" (``if seed:``) and then draws unseeded bootstrap intervals, so
    simcore passes ``seed + 1``: every seed, 0 included, gives the same indices on every run."""
    return int(seed) + 1


def design(sweep: Sweep, method: str, samples: int, seed: int) -> np.ndarray:
    """The runs of the design: ``samples (D + 2)`` for Sobol, ``samples (D + 1)`` for Morris (D levers), at
    most :data:`~simcore.experiments.sweep.MAX_RUNS`, checked before anything is allocated."""
    spec = problem(sweep)
    if method not in ("sobol", "morris"):
        raise SimcoreError(f"unknown method {method!r}; expected sobol or morris")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise SimcoreError(f"samples: expected a positive integer, got {samples!r}")
    per_sample = spec["num_vars"] + (2 if method == "sobol" else 1)
    if samples * per_sample > MAX_RUNS:
        raise SimcoreError(
            f"samples {samples:,}: the {method} design would have {samples * per_sample:,} runs "
            f"({samples:,} x {per_sample}); expected at most {MAX_RUNS:,} runs, "
            f"so samples <= {MAX_RUNS // per_sample:,}"
        )
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(spec, samples, calc_second_order=False, seed=_salib_seed(seed))
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(spec, samples, num_levels=4, seed=_salib_seed(seed))
    raise SimcoreError(f"unknown method {method!r}; expected sobol or morris")


def sensitivity(
    sweep_path: str | os.PathLike,
    method: str = "sobol",
    samples: int = 64,
    outputs=DEFAULT_OUTPUTS,
    seed: int | None = None,
    baseline_dir: str | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indices of each output with respect to each lever, and the table of runs with their outputs.

    Parameters
    ----------
    sweep_path : path-like
        A sweep file: its levers (with ``low``/``high``) are the factors.
    method : {"sobol", "morris"}
        Saltelli's design and Sobol' first-order and total indices with bootstrap confidence intervals,
        or Morris elementary effects (mu*, sigma), both through SALib.
    samples : int
        Base samples (Sobol': ``samples x (k + 2)`` runs; Morris: ``samples`` trajectories).
    outputs : sequence of str
        ``REGION:VARIABLE:YEAR`` outputs to analyse.
    seed : int, optional
        Defaults to the sweep file's ``seed`` (0 when it has none); the same seed gives the same design
        and the same bootstrap confidence intervals on every run.
    baseline_dir : str, optional
        A folder of baseline tables instead of the bundled ones.
    progress : bool
        Show a progress bar over the runs.

    Returns
    -------
    (indices, runs) : tuple of DataFrame
        One row per output and lever (S1, S1_conf, ST, ST_conf or mu_star, sigma, ...), and each run's
        lever values with its outputs.

    Examples
    --------
    >>> from simcore import sensitivity
    >>> indices, runs = sensitivity("scenarios/sweeps/plan_lhs.yaml", "sobol", samples=64)  # doctest: +SKIP
    """
    sweep = load_sweep(sweep_path, baseline_dir)
    seed = sweep.spec.seed if seed is None else int(seed)
    targets = [parse_output(o) for o in outputs]
    X = design(sweep, method, samples, seed)
    names = list(sweep.spec.levers)
    runs = pd.DataFrame(X, columns=names)
    runs.insert(0, "run_id", np.arange(len(runs)))
    spec = sweep.spec.model_copy(
        update={
            "outputs": sweep.spec.outputs.model_copy(
                update={
                    "variables": sorted({v for _, v, _ in targets}),
                    "regions": sorted({r for r, _, _ in targets}),
                    "years": sorted({y for _, _, y in targets}),
                }
            )
        }
    )
    sweep = dataclasses.replace(sweep, spec=spec, runs=runs)
    from simcore.progress import progress_bar

    size = 100  # runs per step of the progress bar (the batch plan is shared between steps)
    bar = progress_bar(math.ceil(len(runs) / size), progress, f"{method}: {len(runs)} runs", unit="step")
    parts = []
    for start in range(0, len(runs), size):
        parts.append(run_rows(sweep, runs.iloc[start : start + size]))
        bar.update(1)
    bar.close()
    table = pd.concat(parts, ignore_index=True)
    wide = table.pivot_table(index="run_id", columns=["region", "variable", "year"], values="value")
    rows = []
    spec_problem = problem(sweep)
    for text, key in zip(outputs, targets):
        Y = wide[key].to_numpy()
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(spec_problem, Y, calc_second_order=False, seed=_salib_seed(seed))
            for i, name in enumerate(names):
                rows.append(
                    {
                        "output": text,
                        "parameter": name,
                        "S1": res["S1"][i],
                        "S1_conf": res["S1_conf"][i],
                        "ST": res["ST"][i],
                        "ST_conf": res["ST_conf"][i],
                    }
                )
        else:
            from SALib.analyze import morris

            res = morris.analyze(spec_problem, X, Y, num_levels=4, seed=_salib_seed(seed))
            for i, name in enumerate(names):
                rows.append(
                    {
                        "output": text,
                        "parameter": name,
                        "mu": res["mu"][i],
                        "mu_star": res["mu_star"][i],
                        "sigma": res["sigma"][i],
                        "mu_star_conf": res["mu_star_conf"][i],
                    }
                )
    runs_out = runs.merge(
        wide.set_axis([f"{r}:{v}:{y}" for r, v, y in wide.columns], axis=1), left_on="run_id", right_index=True
    )
    return pd.DataFrame(rows), runs_out
