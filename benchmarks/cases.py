"""The benchmark cases.  Every case checks that its implementations agree before it times them."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import scipy.linalg

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Timing:
    case: str
    size: str
    implementation: str
    median_s: float
    min_s: float
    max_s: float
    repeats: int
    flops: float | None = None
    extrapolated_from: str | None = None
    notes: dict = field(default_factory=dict)

    def gflops(self) -> float | None:
        return None if self.flops is None else self.flops / self.median_s / 1e9


def measure(fn, repeats: int, warmup: int = 1) -> tuple[float, float, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


# --------------------------------------------------------------------------- Leontief solves


def productive_matrix(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.0, 1.0, (n, n))
    return 0.6 * A / A.sum(axis=0, keepdims=True)  # column sums 0.6: spectral radius 0.6


def leontief(sizes: tuple[int, ...], batch: int, repeats: int) -> list[Timing]:
    from simcore import leontief_solve
    from simcore.model import kernels

    out = []
    for n in sizes:
        A = productive_matrix(n)
        M = np.eye(n) - A
        rng = np.random.default_rng(1)
        F = rng.uniform(0.0, 1.0, (batch, n))
        lu_flops = 2 / 3 * n**3

        def numba_batch():
            lu, piv = scipy.linalg.lu_factor(M, check_finite=False)
            block = np.ascontiguousarray(F.T)
            kernels.lu_solve_block(lu, piv.astype(np.int64), block)
            return block.T

        def loop_batch():
            return np.array([np.linalg.solve(M, f) for f in F])

        def lapack_dgesv():
            # scipy's LAPACK, the library simcore's solves use: numpy wheels bundle a second OpenBLAS whose
            # idle threads spin against scipy's on 2 cores, which would time the switch, not the solve
            return scipy.linalg.lapack.dgesv(M, F.T)[2].T

        def simcore_batch():
            return leontief_solve(A, F)

        # one reference solution (one dgesv call on all right-hand sides); every other implementation must match it
        expected = lapack_dgesv()
        for fn in (numba_batch, loop_batch, simcore_batch):
            np.testing.assert_allclose(fn(), expected, rtol=1e-8, atol=1e-10)
        size = f"n={n}, {batch} rhs"
        # useful work, the same for every implementation: one LU and `batch` pairs of triangular solves
        # (the per-rhs loop's repeated factorisations are redundant and not credited)
        flops = lu_flops + 2 * n**2 * batch
        for name, fn in (
            ("scipy LU + numba block solve", numba_batch),
            ("numpy per-rhs loop", loop_batch),
            ("LAPACK dgesv (one call)", lapack_dgesv),
            ("simcore.leontief_solve", simcore_batch),
        ):
            reps = max(1, repeats // 3) if "loop" in name and n >= 500 else repeats
            med, lo, hi = measure(fn, reps)
            out.append(Timing("leontief batch", size, name, med, lo, hi, reps, flops))
        f = F[0]
        np.testing.assert_allclose(leontief_solve(A, f), expected[0], rtol=1e-8)
        single = lambda: scipy.linalg.lapack.dgesv(M, f)[2]  # noqa: E731
        np.testing.assert_allclose(single(), expected[0], rtol=1e-8)
        med, lo, hi = measure(lambda: leontief_solve(A, f), repeats)
        out.append(
            Timing(
                "leontief single", f"n={n}, 1 rhs", "simcore.leontief_solve", med, lo, hi, repeats, lu_flops + 2 * n**2
            )
        )
        med, lo, hi = measure(single, repeats)
        out.append(
            Timing(
                "leontief single", f"n={n}, 1 rhs", "LAPACK dgesv (one call)", med, lo, hi, repeats, lu_flops + 2 * n**2
            )
        )
    out += leontief_model_system(batch, repeats)
    return out


def leontief_model_system(batch: int, repeats: int) -> list[Timing]:
    """The Leontief solve on simcore's own 2020 system (the baseline's multi-regional ``A``, n = R x S),
    ``batch`` final-demand vectors (the 2020 final demand scaled sector by sector), against LAPACK and,
    where it is installed (``pip install -e ".[bench]"``), pymrio: ``calc_L`` then ``calc_x_from_L``, on
    NumPy arrays, and ``calc_L`` then ``L.dot(Y)`` on labelled DataFrames as a pymrio user holds them.
    pymrio inverts ``I - A`` (2 n^3 flops) where a solve factors it (2/3 n^3); every implementation is
    credited the solve's work."""
    from simcore import leontief_solve, load_baseline

    b = load_baseline()
    A = np.ascontiguousarray(b.A)
    n = A.shape[0]
    M = np.eye(n) - A
    f0 = M @ b.gross_output.reshape(-1)  # the 2020 demand on the inside-Tianjin system
    rng = np.random.default_rng(2)
    F = f0[None, :] * rng.uniform(0.8, 1.2, (batch, n))
    expected = scipy.linalg.lapack.dgesv(M, F.T)[2].T
    implementations = [
        ("LAPACK dgesv (one call)", lambda: scipy.linalg.lapack.dgesv(M, F.T)[2].T),
        ("simcore.leontief_solve", lambda: leontief_solve(A, F)),
    ]
    try:
        import pandas as pd
        import pymrio
    except ImportError:
        print("leontief model system: pymrio not installed (pip install -e '.[bench]'); peer skipped")
    else:
        labels = pd.MultiIndex.from_product([list(b.leaves), list(b.sectors.ids)], names=["region", "sector"])
        assert len(labels) == n
        A_df = pd.DataFrame(A, index=labels, columns=labels)
        F_df = pd.DataFrame(F.T, index=labels)
        implementations += [
            ("pymrio calc_L + calc_x_from_L (numpy)", lambda: pymrio.calc_x_from_L(pymrio.calc_L(A), F.T).T),
            # calc_x_from_L takes one demand column on DataFrames; several columns are ``L.dot(Y)``, what it does
            ("pymrio calc_L, L.dot(Y) (DataFrame)", lambda: pymrio.calc_L(A_df).dot(F_df).to_numpy().T),
        ]
    out = []
    size = f"model n={n}, {batch} rhs"
    flops = 2 / 3 * n**3 + 2 * n**2 * batch
    for name, fn in implementations:
        np.testing.assert_allclose(fn(), expected, rtol=1e-8, atol=1e-9 * np.abs(expected).max())
        med, lo, hi = measure(fn, repeats)
        out.append(Timing("leontief model", size, name, med, lo, hi, repeats, flops))
    return out


# --------------------------------------------------------------------------- Monte Carlo kernel


def _model(k: int):
    from benchmarks.replicate import replicate
    from simcore import load_baseline, load_scenario
    from simcore.model.levers import compile_scenario
    from simcore.model.system import system_for

    b = load_baseline()
    system = system_for(b)
    paths = compile_scenario(load_scenario(REPO / "scenarios" / "baseline.yaml"), b, system)
    if k > 1:
        system, paths = replicate(system, paths, k)
    return system, paths


def _draws(n_region: int, D: int, T: int = 16):
    from simcore.model.boundary import Draws

    rng = np.random.default_rng(7)
    # export shift (D, R, T): a persistent per-region shift plus a Tianjin-wide shock each year
    shift = rng.normal(0, 0.01, (D, n_region))[:, :, None] + rng.normal(0, 0.02, (D, 1, T))
    return Draws(
        rng.uniform(0.08, 0.12, D),
        rng.uniform(0.2, 1.0, D),
        rng.normal(0, 0.005, D),
        np.ascontiguousarray(shift),
        rng.lognormal(0, 0.2, D),
        rng.uniform(0.5, 1.5, D),
        rng.uniform(0.85, 1.0, D),
        rng.uniform(0.05, 0.2, D),
        rng.uniform(0.1, 0.6, D),
    )


def _outputs(D: int, n: int, R: int, T: int):
    from simcore.model.boundary import allocate_for

    return allocate_for(D, R, n // R, T)


CHUNK = 10_000


def monte_carlo(
    draw_counts: tuple[int, ...], replications: tuple[int, ...], repeats: int, twin_max: int, loop_draws: int
) -> list[Timing]:
    from simcore.experiments.montecarlo import _subset
    from simcore.model import kernels, reference
    from simcore.model.boundary import kernel_args

    out = []
    for k in replications:
        system, paths = _model(k)
        n = system.v.shape[0]
        R = system.pop0.shape[0]
        T = paths.fai.shape[1]
        label = "real size" if k == 1 else f"regions x{k}"
        # agreement before timing
        check = _draws(R, 24, T)
        a, b, c = (_outputs(24, n, R, T) for _ in range(3))
        kernels.simulate(*kernel_args(system, paths, check, a))
        reference.simulate(*kernel_args(system, paths, check, b))
        reference.simulate_loop(*kernel_args(system, paths, check, c))
        for other in (b, c):
            np.testing.assert_allclose(a.va, other.va, rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(a.co2, other.co2, rtol=1e-10, atol=1e-10)
        flops_per_draw_year = 2 * n**2 + 60 * n  # block solve + demand, capital and energy updates (approx.)
        for D in draw_counts:
            draws = _draws(R, D, T)
            size = f"{label}: n={n}, {D} draws x {T} years"
            flops = flops_per_draw_year * D * (T - 1)
            # at most CHUNK draws per call into one reused buffer, as a 10^5-draw run must do to fit in memory
            # (the full outputs of 10^5 draws at 4x the regions would need ~28 GB)
            chunk = min(D, CHUNK)
            outputs = _outputs(chunk, n, R, T)
            calls = [
                kernel_args(
                    system,
                    paths,
                    _subset(draws, np.arange(lo_, min(lo_ + chunk, D))),
                    outputs if lo_ + chunk <= D else _outputs(D - lo_, n, R, T),
                )
                for lo_ in range(0, D, chunk)
            ]
            reps = repeats if D * n <= 10_000 * 132 else 1
            med, lo, hi = measure(partial(_run_calls, kernels.simulate, calls), reps)
            out.append(
                Timing(
                    "monte carlo",
                    size,
                    "numba batch kernel",
                    med,
                    lo,
                    hi,
                    reps,
                    flops,
                    notes={"peak_rss_mb": _rss_mb(), "draws_per_call": chunk},
                )
            )
            del outputs, calls
            twin_d = min(D, twin_max)
            # the slow references run on the first draws of the same sample as the numba kernel
            twin_out = _outputs(twin_d, n, R, T)
            twin_args = kernel_args(system, paths, _subset(draws, np.arange(twin_d)), twin_out)
            twin_reps = 1 if twin_d > 1000 else repeats
            med, lo, hi = measure(partial(reference.simulate, *twin_args), twin_reps)
            scale = D / twin_d
            out.append(
                Timing(
                    "monte carlo",
                    size,
                    "numpy vectorised twin",
                    med * scale,
                    lo * scale,
                    hi * scale,
                    twin_reps,
                    flops,
                    extrapolated_from=None if twin_d == D else f"{twin_d} draws",
                )
            )
            del twin_out, twin_args
            loop_d = min(D, loop_draws)
            loop_args = kernel_args(system, paths, _subset(draws, np.arange(loop_d)), _outputs(loop_d, n, R, T))
            med, lo, hi = measure(lambda: reference.simulate_loop(*loop_args), 1)
            scale = D / loop_d
            out.append(
                Timing(
                    "monte carlo",
                    size,
                    "numpy per-draw loop",
                    med * scale,
                    lo * scale,
                    hi * scale,
                    1,
                    flops,
                    extrapolated_from=None if loop_d == D else f"{loop_d} draws",
                )
            )
    return out


def _run_calls(kernel, calls) -> None:
    for args in calls:
        kernel(*args)


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- sweeps


def _sweep_file(folder: Path, samples: int) -> Path:
    scenario = (REPO / "scenarios" / "plan_14th_fyp.yaml").as_posix()
    text = (
        f"name: bench\nscenario: {scenario}\nmethod: lhs\nsamples: {samples}\nseed: 1\n"
        "chunk_size: 100\nlevers:\n"
        "  exports.growth: {low: 0.03, high: 0.07}\n"
        "  energy.grid_emission_factor.values.2035: {low: 0.35, high: 0.85}\n"
        "  investment.regions.binhai.path.growth: {low: 0.0, high: 0.08}\n"
        "outputs:\n  variables: [GDP, Energy Intensity|GDP, Emissions|CO2]\n  years: [2025, 2035]\n"
    )
    path = folder / "bench_sweep.yaml"
    path.write_text(text)
    return path


def sweeps(configs: tuple[tuple[str, int, int], ...]) -> list[Timing]:
    from simcore.experiments.sweep import run_sweep

    out = []
    for engine, workers, samples in configs:
        folder = Path(tempfile.mkdtemp(prefix="simcore-bench-"))
        try:
            path = _sweep_file(folder, samples)
            start = time.perf_counter()
            store = run_sweep(path, folder / "out", engine=engine, workers=workers)
            elapsed = time.perf_counter() - start
            data = store.read()
            assert data["run_id"].nunique() == samples
            name = f"{engine}, {workers} worker{'s' if workers > 1 else ''}"
            out.append(
                Timing(
                    "sweep",
                    f"{samples} scenarios",
                    name,
                    elapsed,
                    elapsed,
                    elapsed,
                    1,
                    notes={"scenarios_per_s": samples / elapsed},
                )
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return out


# --------------------------------------------------------------------------- cold and warm start, memory


def start_times(repeats: int) -> list[Timing]:
    """``simcore run scenarios/baseline.yaml`` in a fresh process: empty numba cache, then warm cache."""
    out = []
    cache = Path(tempfile.mkdtemp(prefix="simcore-start-cache-"))
    # empty numba and simcore caches for the cold start; the warm starts reuse what it wrote
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache / "numba"), SIMCORE_CACHE_DIR=str(cache / "simcore"))
    script = Path(sys.executable).parent / "simcore"  # the console script a user runs
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "simcore.cli"]
    command += ["run", str(REPO / "scenarios" / "baseline.yaml")]
    try:
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=REPO)
        cold = time.perf_counter() - start
        out.append(Timing("start", "simcore run scenarios/baseline.yaml", "cold (first compile)", cold, cold, cold, 1))

        def timed(size: str, method: str, argv: list[str]) -> Timing:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                subprocess.run(argv, check=True, capture_output=True, env=env, cwd=REPO)
                times.append(time.perf_counter() - start)
            return Timing("start", size, method, statistics.median(times), min(times), max(times), repeats)

        out.append(timed("simcore run scenarios/baseline.yaml", "warm (cached kernels)", command))
        # the command line's own start: parsing and help, no model (budget 0.3 s; a warm run's budget is 1 s)
        out.append(timed("simcore --help", "no model imported", command[: len(command) - 2] + ["--help"]))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def memory(draws: int) -> list[Timing]:
    """``simcore mc scenarios/plan_14th_fyp.yaml --draws N --seed 1 --out DIR`` end to end in a fresh
    process: wall time including start-up, sampling, trade variants, the kernel, quantiles and writing,
    and its peak resident memory (sampled from the process itself, see :func:`_run_measuring_tree`).

    Not ``RUSAGE_CHILDREN``: a child forked from this process starts with the benchmark's own resident
    pages counted (4.5 GB after the large kernel cases), which is the benchmark's memory, not simcore's.
    """
    with tempfile.TemporaryDirectory() as out:
        argv = ["simcore", "mc", str(REPO / "scenarios" / "plan_14th_fyp.yaml"), "--draws", str(draws)]
        argv += ["--seed", "1", "--out", out]
        code = f"import sys; sys.argv = {argv!r}; from simcore.cli import entry; entry()"
        seconds, rss, _ = _run_measuring_tree([sys.executable, "-c", code])
    return [
        Timing(
            "memory",
            f"simcore mc plan_14th_fyp --draws {draws} (end to end)",
            "simcore mc (CLI)",
            seconds,
            seconds,
            seconds,
            1,
            notes={"peak_rss_mb": rss},
        )
    ]


def _run_measuring_tree(argv: list[str], interval: float = 0.2) -> tuple[float, float, str]:
    """Run ``argv`` and return (seconds, peak MB, stderr): the peak of the summed resident memory of the
    process and all its descendants (a Dask cluster's scheduler, nannies and workers), sampled every
    ``interval`` seconds (so a spike shorter than that can be missed; worker memory grows slowly)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(interval)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err[-2000:]}")
    return seconds, peak / 2**20, err


def distributed(draws: int, workers: int = 2) -> list[Timing]:
    """``simcore mc plan_14th_fyp --engine dask --workers W --quantile-method sketch --failed-draws exclude``
    with ``draws`` draws on a local cluster, end to end, with the peak summed memory of every process of
    the run (client, scheduler, nannies, workers)."""
    with tempfile.TemporaryDirectory() as out:
        argv = ["simcore", "mc", str(REPO / "scenarios" / "plan_14th_fyp.yaml"), "--draws", str(draws)]
        argv += ["--seed", "1", "--engine", "dask", "--workers", str(workers), "--quantile-method", "sketch"]
        argv += ["--failed-draws", "exclude", "--out", out]
        code = f"import sys; sys.argv = {argv!r}; from simcore.cli import entry; entry()"
        seconds, peak, err = _run_measuring_tree([sys.executable, "-c", code])
    excluded = 0
    for line in err.splitlines():
        if "warning: " in line and " draws failed and are excluded" in line:
            excluded = int(line.split("warning: ", 1)[1].split()[0])
    return [
        Timing(
            "distributed",
            f"simcore mc plan_14th_fyp --draws {draws} --engine dask --workers {workers} (sketch)",
            "simcore mc (CLI, dask)",
            seconds,
            seconds,
            seconds,
            1,
            notes={"peak_tree_rss_mb": peak, "excluded_draws": excluded},
        )
    ]
