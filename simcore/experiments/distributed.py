"""Monte Carlo on Dask: chunks of draws on workers, quantiles without holding every draw on one machine.

The client samples the draws and compiles each trade variant once; the compiled systems, paths and
baselines (the ``_Job`` of :mod:`simcore.experiments.montecarlo`) are scattered to every worker, and
each task receives its draws' parameters, never a file path, so workers need not see the client's files.

* **Exact** (``quantile_method="exact"``): each task returns the float32 values of its chunk, placed at
  its draws' positions; the quantiles are those of the local engine, bit for bit.
* **Sketch**: the pilot draws run first (exactly, as above) and fix each column's grid; the remaining
  draws run as a few tasks per worker, each summing its chunks into one histogram sketch
  (:mod:`simcore.experiments.sketch`) and returning only the counts (151 MB for the default variables,
  whatever the draws).  Counts are integers: the sum is the same in any order, so results do not depend
  on the number of workers or on which worker ran what.
"""

from __future__ import annotations

import numpy as np

from simcore.errors import SimcoreError
from simcore.experiments.sketch import BINS, Sketch


def _block_task(job, draws, level_scale, variant_id, sub):
    return job.run(draws, level_scale, variant_id, sub)


def _sketch_task(job, lo, width, parts):
    sketch = Sketch(lo, width, np.zeros((lo.shape[0], BINS + 3), np.int64))
    for draws, level_scale, variant_id, sub in parts:
        block = job.run(draws, level_scale, variant_id, sub)
        sketch.add(block.reshape(lo.shape[0], -1))
    return sketch.counts


def _payload(sampled, sub):
    from simcore.experiments.montecarlo import _subset

    return _subset(sampled.draws, sub), sampled.level_scale[sub], int(sampled.variant_of[sub[0]]), sub


def run_on_dask(job, sampled, batches, first, rest, offsets, store, width, scheduler, workers, bar) -> None:
    """Run ``batches`` on Dask: ``first`` into ``store`` at ``offsets``; ``rest`` into ``job.sketch``."""
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
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        shared = client.scatter(job, broadcast=True)
        futures = [client.submit(_block_task, shared, *_payload(sampled, batches[k]), pure=False) for k in first]
        batch_of = {future.key: k for future, k in zip(futures, first)}
        for future in as_completed(futures):
            k = batch_of[future.key]
            block = future.result()
            store[..., int(offsets[k]) : int(offsets[k]) + block.shape[-1]] = block
            bar.update(1)
        if not rest:
            return
        sketch = Sketch.from_pilot(store.reshape(width, -1))
        sketch.add(store.reshape(width, -1))
        groups = np.array_split(np.array(rest), min(len(rest), 4 * n_workers))
        tasks = []
        for group in groups:
            parts = [_payload(sampled, batches[k]) for k in group]
            tasks.append((client.submit(_sketch_task, shared, sketch.lo, sketch.width, parts, pure=False), len(group)))
        for future, size in tasks:
            sketch.counts += future.result()  # integer counts: the order of the sum does not matter
            bar.update(size)
        job.sketch = sketch
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
