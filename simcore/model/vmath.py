"""``exp`` and ``log`` that LLVM can vectorise, for the kernels' loops over a block of draws.

numba lowers ``np.exp``/``np.log`` to calls into the C maths library, one value at a time: a loop that
calls them is not vectorised, and in the projection kernel four such calls per cell and year were most of
its time (docs/performance.md).  The two functions here are written in plain arithmetic on the bits of
the float (range reduction to a power of two times a small remainder, then a polynomial), so once
inlined into a loop over draws LLVM turns them into SIMD code with no calls.  Intel's SVML would do the
same for ``np.exp`` itself, but numba uses it only when the ``icc_rt`` / ``intel-cmplr-lib-rt`` package
is importable *and* it was built for it; on the machines we tried it was not picked up, so simcore does
not rely on it.

Accuracy (tested against NumPy over the whole double range in ``tests/test_kernels.py``): at most 2 units
in the last place for normal arguments, and the IEEE special cases of NumPy (``exp``: overflow to
infinity above 709.78, zero below -745.13, subnormal results in between;
``log``: ``-inf`` at 0, NaN below 0 and for NaN, ``inf`` at infinity, subnormal arguments handled).
The model uses them where a last-place difference is harmless: the kernels are compared with their NumPy
twins at ``rtol = 1e-10``.
"""

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def _as_int(typingctx, x):
    """The bits of a float64 as an int64 (an LLVM bitcast: free, and vectorisable)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _as_float(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * LN2_HI is exact for |k| < 2^11
LN2_LO = 1.90821492927058770002e-10
EXP_MAX = 709.782712893384  # above: infinity
EXP_MIN = -745.1332191019412  # below: 0
SQRT2 = 1.4142135623730951
TINY = 2.2250738585072014e-308  # smallest normal float64
MANTISSA = 0x000FFFFFFFFFFFFF
ONE_BITS = 0x3FF0000000000000


@njit(cache=True, inline="always", error_model="numpy")
def vexp(x):
    """``exp(x)`` in arithmetic LLVM vectorises (see the module docstring for accuracy)."""
    # x = k ln2 + r with |r| <= ln2 / 2; the clamp keeps k a valid exponent (specials fixed below)
    kf = np.floor(x * LOG2E + 0.5)
    kf = -1080.0 if not kf > -1080.0 else kf  # also NaN
    kf = 1024.0 if kf > 1024.0 else kf
    r = (x - kf * LN2_HI) - kf * LN2_LO
    # Taylor series of exp(r) to r^13 / 13!: truncation below 4e-18 relative for |r| <= 0.347
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^k as two normal powers of two (k/2 each), so that k = 1024 and subnormal results stay exact
    k1 = np.floor(kf * 0.5)
    y = p * _as_float((np.int64(k1) + 1023) << 52) * _as_float((np.int64(kf - k1) + 1023) << 52)
    y = np.inf if x > EXP_MAX else y
    y = 0.0 if x < EXP_MIN else y
    y = x if x != x else y
    return y


@njit(cache=True, inline="always", error_model="numpy")
def vlog(x):
    """``log(x)`` in arithmetic LLVM vectorises (see the module docstring for accuracy)."""
    # subnormal arguments are scaled into the normal range first (2^54), and the exponent corrected
    small = x < TINY
    xs = x * 18014398509481984.0 if small else x
    bits = _as_int(xs)
    e = np.float64((bits >> 52) - 1023) - (54.0 if small else 0.0)
    m = _as_float((bits & MANTISSA) | ONE_BITS)  # in [1, 2)
    big = m > SQRT2
    m = m * 0.5 if big else m
    e = e + 1.0 if big else e
    # log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series to s^19 (truncation below
    # 2e-17 relative)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    q = 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    # 2 s (1 + z q) written as f - s (f - 2 z q) (f - s f = 2 s exactly): the leading term f stays exact
    y = e * LN2_HI + ((f - s * (f - 2.0 * z * q)) + e * LN2_LO)
    y = -np.inf if x == 0.0 else y
    y = np.nan if x < 0.0 else y
    y = x if x != x else y
    y = np.inf if x == np.inf else y
    return y


@njit(cache=True, error_model="numpy")
def vexp_array(x, out):
    """Element-wise :func:`vexp` (tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = vexp(x[i])


@njit(cache=True, error_model="numpy")
def vlog_array(x, out):
    """Element-wise :func:`vlog` (tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = vlog(x[i])
