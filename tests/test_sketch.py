"""The mergeable quantile sketch: its kernel matches its twin, merging is exact, and the stated bound holds."""

import numpy as np
import pytest

from simcore.experiments.quantiles import quantiles
from simcore.experiments.sketch import BINS, NAN, OVER, UNDER, Sketch, accumulate, accumulate_numpy

Q = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


def _columns(seed, n):
    rng = np.random.default_rng(seed)
    return np.stack(
        [rng.normal(size=n), rng.lognormal(0, 1.0, n), np.round(rng.normal(size=n), 1), rng.uniform(-3, 8, n)]
    ).astype(np.float32)


def test_accumulate_matches_its_twin():
    values = _columns(0, 5000)
    values[1, 3] = np.nan
    values[0, 4000], values[2, 4001] = 1e6, -1e6  # far outside what the pilot saw
    sketch = Sketch.from_pilot(values[:, :100])
    got = np.zeros_like(sketch.counts)
    want = np.zeros_like(sketch.counts)
    accumulate(values, sketch.lo, 1.0 / sketch.width, got)
    accumulate_numpy(values, sketch.lo, 1.0 / sketch.width, want)
    np.testing.assert_array_equal(got, want)
    assert got[1, NAN] == 1 and got[0, OVER] == 1 and got[2, UNDER] == 1
    assert (got.sum(axis=1) == 5000).all()


@pytest.mark.parametrize("n", [50, 3000, 100_000])
def test_sketch_quantiles_are_within_the_stated_bound_of_the_exact_ones(n):
    values = _columns(n, n)
    sketch = Sketch.from_pilot(values[:, : min(n, 2000)])
    sketch.add(values)
    est, outside = sketch.quantiles(Q)
    exact = quantiles(values, Q)
    ok = ~outside
    assert ok.mean() > 0.8  # the pilot's margin covers nearly every quantile
    err = np.abs(est - exact)
    assert (err[ok] <= sketch.error_bound[None, :].repeat(len(Q), 0)[ok]).all()
    assert np.isnan(est[outside]).all()  # outside the range: NaN and flagged, never a silent number


def test_merging_chunks_in_any_order_is_the_sketch_of_all_draws():
    values = _columns(1, 9000)
    whole = Sketch.from_pilot(values[:, :1000])
    whole.add(values)
    parts = []
    for lo, hi in ((0, 1234), (1234, 5000), (5000, 9000)):
        part = Sketch(whole.lo, whole.width, np.zeros_like(whole.counts))
        part.add(values[:, lo:hi])
        parts.append(part)
    merged = parts[2].merge(parts[0]).merge(parts[1])
    np.testing.assert_array_equal(merged.counts, whole.counts)
    np.testing.assert_array_equal(merged.quantiles(Q)[0], whole.quantiles(Q)[0])
    other = Sketch.from_pilot(values[:, :10])
    with pytest.raises(ValueError, match="different grids"):
        whole.merge(other)


def test_a_column_with_a_nan_draw_has_nan_quantiles_and_a_constant_column_its_value():
    values = np.ones((2, 100), np.float32) * 4.0
    values[0, 5] = np.nan
    sketch = Sketch.from_pilot(values)
    sketch.add(values)
    est, outside = sketch.quantiles(Q)
    assert np.isnan(est[:, 0]).all() and not outside[:, 0].any()
    assert np.allclose(est[:, 1], 4.0, atol=sketch.error_bound[1]) and sketch.counts.shape[1] == BINS + 3
