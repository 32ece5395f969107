"""The parallel selection quantiles equal NumPy's bit for bit on the float32 store."""

import numpy as np
import pytest

from simcore.experiments.quantiles import column_quantiles_numpy, quantiles, scatter_draws, scatter_draws_numpy

Q = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 100, 1001, 20_000])
def test_selection_quantiles_are_numpys(n):
    rng = np.random.default_rng(n)
    store = np.stack(
        [
            rng.normal(size=n),
            rng.lognormal(0.0, 2.0, n),
            np.round(rng.normal(size=n), 1),  # many ties
            np.full(n, 3.25),  # all equal
            np.sort(rng.normal(size=n)),  # sorted: the quickselect worst case for naive pivots
            -np.sort(rng.normal(size=n)),
        ]
    ).astype(np.float32)
    for q in (Q, (0.0, 1.0), (0.5,), tuple(np.linspace(0, 1, 21))):
        got = quantiles(store, q)
        want = column_quantiles_numpy(store, q)
        np.testing.assert_array_equal(got, want)


def test_quantiles_keep_the_leading_shape_and_sort_the_levels():
    rng = np.random.default_rng(0)
    store = rng.normal(size=(3, 4, 5, 200)).astype(np.float32)
    got = quantiles(store, (0.9, 0.1, 0.5, 0.1))
    assert got.shape == (3, 3, 4, 5)
    np.testing.assert_array_equal(got, np.quantile(store.astype(float), [0.1, 0.5, 0.9], axis=-1))


def test_a_column_with_nan_has_nan_quantiles_the_others_do_not():
    store = np.arange(40, dtype=np.float32).reshape(2, 20)
    store[1, 7] = np.nan
    got = quantiles(store, Q)
    assert np.isnan(got[:, 1]).all() and np.isfinite(got[:, 0]).all()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, column_quantiles_numpy(store, Q))


def test_quantiles_refuse_levels_outside_the_unit_interval():
    with pytest.raises(ValueError, match="quantiles must be in"):
        quantiles(np.zeros((1, 5), np.float32), (0.5, 1.5))


def test_quantiles_are_the_same_whatever_the_thread_count(numba_threads):
    rng = np.random.default_rng(3)
    store = rng.normal(size=(64, 3000)).astype(np.float32)
    results = []
    for threads in (1, 2):
        with numba_threads(threads):
            results.append(quantiles(store, Q))
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)


@pytest.mark.parametrize("start", [0, 3])
def test_scatter_draws_matches_its_twin(start):
    rng = np.random.default_rng(start)
    src = rng.normal(size=(150, 3, 5)).astype(np.float32)
    got = np.zeros((3, 5, start + 150 + 2), np.float32)
    want = got.copy()
    scatter_draws(src, got[:, :, :], start)
    scatter_draws_numpy(src, want, start)
    np.testing.assert_array_equal(got, want)
    assert (got[:, :, start : start + 150] == src.transpose(1, 2, 0)).all()
    assert (got[:, :, :start] == 0).all() and (got[:, :, start + 150 :] == 0).all()  # nothing else written
