"""Quantiles of many columns of draws by parallel selection, exactly NumPy's.

A Monte Carlo run keeps one float32 value per draw for every (variable, region, year), several thousand
columns of up to 10^6 draws.  ``np.quantile`` over the draw axis sorts (``np.partition`` per level) a
float64 copy of every column one thread at a time; :func:`column_quantiles` selects only the order
statistics it needs, with ``prange`` over columns, straight from the float32 store.

**Exactness.**  The store is float32 (a value to 7 significant digits, stated in docs/validation.md);
the quantiles are NumPy's default ``method="linear"`` computed in float64 *from those float32 values*:
the same virtual index ``(n - 1) q``, the same two order statistics and the same interpolation,
so the result equals ``np.quantile(store.astype(np.float64), q, axis=-1)`` bit for bit (tested).  A
column holding a NaN has NaN quantiles, as in NumPy.

:func:`column_quantiles_numpy` is the NumPy twin.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# a selection that has not narrowed its range after this many partitions sorts what is left (a guard
# against quickselect's quadratic worst case; the result is the same)
SELECT_ROUNDS = 48


@njit(cache=True)
def _select(a, lo, hi, k):
    """Put the ``k``-th smallest of ``a[lo:hi]`` at ``a[k]``, smaller ones before, larger after (in place)."""
    rounds = 0
    while hi - lo > 1:
        rounds += 1
        if rounds > SELECT_ROUNDS:
            a[lo:hi] = np.sort(a[lo:hi])
            return
        mid = lo + (hi - lo) // 2
        # median of three as the pivot
        x, y, z = a[lo], a[mid], a[hi - 1]
        if x > y:
            x, y = y, x
        if y > z:
            y = z
            if x > y:
                y = x
        pivot = y
        i, j = lo, hi - 1
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        # now a[lo:j+1] <= pivot <= a[i:hi], and a[j+1:i] == pivot
        if k <= j:
            hi = j + 1
        elif k >= i:
            lo = i
        else:
            return


@njit(cache=True)
def _virtual(n, q):
    """NumPy's ``linear`` quantile: the two order statistics and the weight of the upper one."""
    h = (n - 1) * q
    below = np.floor(h)
    gamma = h - below
    lo = min(max(int(below), 0), n - 1)
    hi = min(max(int(below) + 1, 0), n - 1)
    return lo, hi, gamma


@njit(cache=True)
def _lerp(a, b, t):
    """NumPy's ``_lerp``: exact at both ends."""
    diff = b - a
    if t >= 0.5:
        return b - diff * (1.0 - t)
    return a + diff * t


BUCKETS = 2048  # equal-width value buckets of the first pass
SORT_AT_MOST = 256  # a candidate bucket this small is sorted; a larger one is searched by selection


@njit(cache=True)
def _order_statistics(row, ranks, found, buf):
    """``found[j]`` = the ``ranks[j]``-th smallest of ``row`` (float32, no NaN); ``ranks`` ascending.

    Bucket selection: one pass finds the range, one counts values into ``BUCKETS`` equal-width buckets
    of it (the bucket index is non-decreasing in the value, rounding included, so buckets are in value
    order and ranks carry over), one copies out only the buckets holding a wanted rank, and those few
    are sorted or searched.  Three branch-light passes over the column instead of a selection per rank.
    """
    n = row.shape[0]
    lo = np.float64(row[0])
    hi = lo
    for i in range(n):
        v = np.float64(row[i])
        lo = min(lo, v)
        hi = max(hi, v)
    if lo == hi:
        for j in range(ranks.shape[0]):
            found[j] = lo
        return
    scale = BUCKETS / (hi - lo)
    counts = np.zeros(BUCKETS + 1, np.int64)
    for i in range(n):
        b = min(int((np.float64(row[i]) - lo) * scale), BUCKETS - 1)
        counts[b + 1] += 1
    for b in range(BUCKETS):
        counts[b + 1] += counts[b]  # counts[b] is now the rank of bucket b's first value
    # the wanted buckets, each with where its values go in buf
    slot = np.full(BUCKETS, -1, np.int64)
    bucket_of = np.empty(ranks.shape[0], np.int64)
    offset = np.zeros(ranks.shape[0] + 1, np.int64)
    n_slots = 0
    b = 0
    for j in range(ranks.shape[0]):
        while counts[b + 1] <= ranks[j]:
            b += 1
        bucket_of[j] = b
        if slot[b] < 0:
            slot[b] = n_slots
            offset[n_slots + 1] = offset[n_slots] + counts[b + 1] - counts[b]
            n_slots += 1
    fill = offset[:n_slots].copy()
    for i in range(n):
        v = np.float64(row[i])
        s = slot[min(int((v - lo) * scale), BUCKETS - 1)]
        if s >= 0:
            buf[fill[s]] = v
            fill[s] += 1
    done = -1
    for j in range(ranks.shape[0]):
        b = bucket_of[j]
        s = slot[b]
        first, last = offset[s], offset[s + 1]
        k = first + ranks[j] - counts[b]  # the rank's position in the bucket's values
        if last - first <= SORT_AT_MOST:
            if done != s:
                buf[first:last] = np.sort(buf[first:last])
                done = s
        else:
            _select(buf, first, last, k)  # later ranks of this bucket lie right of k, still partitioned
        found[j] = buf[k]


@njit(cache=True, parallel=True)
def column_quantiles(store, q, out):
    """Quantiles ``q`` (Q,), ascending, of each row of ``store`` (C, n) float32 into ``out`` (Q, C) float64.

    Rows run in parallel (nothing is shared, so the result does not depend on the thread count); each
    row's order statistics come from :func:`_order_statistics`.  A row with a NaN gets NaN quantiles.
    """
    C, n = store.shape
    Q = q.shape[0]
    lo_rank = np.empty(Q, np.int64)
    hi_rank = np.empty(Q, np.int64)
    gammas = np.empty(Q)
    for j in range(Q):
        lo_rank[j], hi_rank[j], gammas[j] = _virtual(n, q[j])
    ranks = np.unique(np.concatenate((lo_rank, hi_rank)))
    for c in prange(C):
        row = store[c]
        nan = False
        for i in range(n):
            if row[i] != row[i]:
                nan = True
        if nan:
            for j in range(Q):
                out[j, c] = np.nan
            continue
        found = np.empty(ranks.shape[0])
        buf = np.empty(n)
        _order_statistics(row, ranks, found, buf)
        for j in range(Q):
            a = found[np.searchsorted(ranks, lo_rank[j])]
            b = found[np.searchsorted(ranks, hi_rank[j])]
            out[j, c] = _lerp(a, b, gammas[j])


def quantiles(store: np.ndarray, q) -> np.ndarray:
    """(Q, ...) quantiles over the last axis of ``store`` (..., n) float32; ``q`` any order, returned sorted."""
    q = np.asarray(sorted(set(float(x) for x in q)), dtype=np.float64)
    if q.size == 0 or (q < 0).any() or (q > 1).any():
        raise ValueError(f"quantiles must be in [0, 1], got {q.tolist()}")
    lead = store.shape[:-1]
    flat = np.ascontiguousarray(store.reshape(-1, store.shape[-1]), dtype=np.float32)
    out = np.empty((q.size, flat.shape[0]))
    if flat.shape[1] == 0:
        raise ValueError("quantiles of zero draws")
    column_quantiles(flat, q, out)
    return out.reshape((q.size,) + lead)


def column_quantiles_numpy(store: np.ndarray, q) -> np.ndarray:
    """The NumPy twin of :func:`quantiles`: ``np.quantile`` of the float64 values over the last axis."""
    q = np.asarray(sorted(set(float(x) for x in q)), dtype=np.float64)
    return np.quantile(store.astype(np.float64), q, axis=-1)


@njit(cache=True, parallel=True)
def scatter_draws(src, dst, start):
    """``dst[g, t, start + d] = src[d, g, t]``: a batch's (D, G, T) values into its stretch of the (G, T, n)
    columns.

    The transpose runs over blocks of 64 draws, so each block of ``src`` is read from cache; in parallel
    over ``g`` (each thread writes its own rows).  :func:`scatter_draws_numpy` is the twin.
    """
    D, G, T = src.shape
    for g in prange(G):
        for d0 in range(0, D, 64):
            d1 = min(D, d0 + 64)
            for t in range(T):
                row = dst[g, t]
                for d in range(d0, d1):
                    row[start + d] = src[d, g, t]


def scatter_draws_numpy(src: np.ndarray, dst: np.ndarray, start: int) -> None:
    """Twin of :func:`scatter_draws`."""
    dst[:, :, start : start + src.shape[0]] = src.transpose(1, 2, 0)
