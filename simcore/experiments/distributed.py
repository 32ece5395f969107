"""Monte Carlo on Dask: spans of draws on workers, quantiles without holding every draw on one machine.

The client compiles each trade variant once and builds the run's :class:`~simcore.experiments.montecarlo.Sampler`;
both (the ``_Job`` of :mod:`simcore.experiments.montecarlo`) are scattered to every worker, and each
task receives only the first and last draw of its span: the worker samples the span's parameters
itself (the same values as anywhere else), so no machine holds the parameters of every draw, and no
worker needs the client's files.

* **Exact** (``quantile_method="exact"``): each task returns the float32 values of its span, placed at
  its draws' positions; the quantiles are those of the local engine, bit for bit.
* **Sketch**: the pilot draws run first (exactly, as above) and fix each column's grid; the remaining
  spans run as a few tasks per worker, each summing its spans into one histogram sketch
  (:mod:`simcore.experiments.sketch`) and returning only the counts (151 MB for the default variables,
  whatever the draws).  Counts are integers: the sum is the same in any order, so results do not depend
  on the number of workers or on which worker ran what.

Failed draws (``failed_draws="exclude"``) come back as ``(draw, year, status)`` rows with each task's
result; their values never reach a quantile.
"""

from __future__ import annotations

import numpy as np

from simcore.errors import SimcoreError
from simcore.experiments.sketch import BINS, Sketch


def _span_task(job, start, stop):
    return job.span(start, stop)


def _sketch_task(job, lo, width, spans):
    sketch = Sketch(lo, width, np.zeros((lo.shape[0], BINS + 3), np.int64))
    failures = []
    for start, stop in spans:
        failures += job.span(start, stop, sketch=sketch)[1]
    return sketch.counts, failures


def run_on_dask(job, first, rest, store, draw_at, scheduler, workers, bar) -> tuple[list, Sketch | None]:
    """Run the spans ``first`` into ``store`` (at their draws' positions, ``draw_at``) and ``rest`` into a
    sketch whose grid the pilot (``first``) sets; returns the failed draws and the sketch (None without
    ``rest``)."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimcoreError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc})") from None
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    failures = []
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        shared = client.scatter(job, broadcast=True)
        futures = [client.submit(_span_task, shared, a, z, pure=False) for a, z in first]
        start_of = {future.key: a for future, (a, _) in zip(futures, first)}
        for future in as_completed(futures):
            block, failed = future.result()
            at = start_of[future.key]
            store[..., at : at + block.shape[-1]] = block
            failures += failed
            bar.update(1)
        if not rest:
            return failures, None
        from simcore.experiments.montecarlo import pilot_sketch

        sketch = pilot_sketch(store, draw_at, failures)
        groups = [list(g) for g in np.array_split(np.arange(len(rest)), min(len(rest), 4 * n_workers))]
        pending, sizes = [], {}
        for group in groups:
            pending.append(
                client.submit(_sketch_task, shared, sketch.lo, sketch.width, [rest[k] for k in group], pure=False)
            )
            sizes[pending[-1].key] = len(group)
        # each task's counts (151 MB for the default variables) are taken as soon as it ends and released,
        # so that no worker holds the results of several tasks waiting to be collected in order
        done = as_completed(pending)
        del pending
        for future in done:
            counts, failed = future.result()
            sketch.counts += counts  # integer counts: the order of the sum does not matter
            failures += failed
            bar.update(sizes[future.key])
            future.release()
            del counts
        return failures, sketch
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
