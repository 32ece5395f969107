"""Solving the Leontief system ``(I - A) x = f``.

``A`` is the technical-coefficient matrix (column ``j`` holds the inputs per unit
of output of industry ``j``), ``f`` final demand, ``x`` gross output.  ``leontief_solve`` makes one
LAPACK ``dgesv`` call (LU with partial pivoting, then all right-hand sides) and checks the pivots for
singularity; the inverse is never formed.  A :class:`LeontiefSolver` keeps the factors
when right-hand sides arrive one after another.
"""

from __future__ import annotations

import warnings

import numpy as np

from simcore.errors import SolverError


def _as_matrix(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise ValueError("A has non-finite entries")
    return A


class LeontiefSolver:
    """LU factorisation of ``I - A``, reusable across right-hand sides.

    Parameters
    ----------
    A : (n, n) array_like
        Technical coefficients.
    """

    def __init__(self, A: np.ndarray) -> None:
        import scipy.linalg  # on first use: commands that never solve (validate, --help) skip the import

        A = _as_matrix(A)
        self.n = A.shape[0]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            self._lu = scipy.linalg.lu_factor(np.eye(self.n) - A, check_finite=False)
        _check_pivots(self._lu[0])

    @property
    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """The LAPACK-style LU factors and pivots of ``I - A`` (``scipy.linalg.lu_factor``'s output)."""
        return self._lu

    def solve(self, f: np.ndarray) -> np.ndarray:
        """Gross output for final demand ``f`` of shape ``(n,)`` or ``(n_batch, n)``."""
        import scipy.linalg

        f = _as_rhs(f, self.n)
        rhs = f if f.ndim == 1 else f.T
        x = scipy.linalg.lu_solve(self._lu, rhs, check_finite=False)
        return x if f.ndim == 1 else np.ascontiguousarray(x.T)


def _check_pivots(lu: np.ndarray) -> None:
    """Raise when the LU factors of ``I - A`` have a (numerically) zero pivot."""
    diag = np.abs(np.diag(lu))
    if not diag.min() > np.finfo(float).eps * max(1.0, diag.max()) * lu.shape[0]:  # also catches nan
        raise SolverError("I - A is singular: the system is not productive")


def _as_rhs(f: np.ndarray, n: int) -> np.ndarray:
    f = np.asarray(f, dtype=float)
    if f.ndim not in (1, 2) or f.shape[-1] != n:
        raise ValueError(f"f must have shape ({n},) or (n_batch, {n}), got {f.shape}")
    if not np.isfinite(f).all():
        raise ValueError("f has non-finite entries")
    return f


def leontief_solve(A: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Solve ``(I - A) x = f`` for one or a batch of final-demand vectors.

    Parameters
    ----------
    A : (n, n) array_like
        Technical coefficients (column j: inputs per unit of output of j).
    f : (n,) or (n_batch, n) array_like
        Final demand; each row of a 2-D ``f`` is one right-hand side.

    Returns
    -------
    numpy.ndarray
        Gross output ``x`` with the shape of ``f``.

    Raises
    ------
    ValueError
        If shapes do not match or inputs are not finite.
    SolverError
        If ``I - A`` is singular.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.15, 0.25], [0.20, 0.05]])
    >>> np.round(leontief_solve(A, np.array([600.0, 1500.0])), 2)
    array([1247.52, 1841.58])
    """
    import scipy.linalg

    A = _as_matrix(A)
    n = A.shape[0]
    f = _as_rhs(f, n)
    # one LAPACK dgesv call factorises and solves; its factors give the same singularity check as LeontiefSolver
    lu, _, x, info = scipy.linalg.lapack.dgesv(np.eye(n) - A, f if f.ndim == 1 else f.T)
    if info > 0:
        raise SolverError("I - A is singular: the system is not productive")
    _check_pivots(lu)
    return x if f.ndim == 1 else np.ascontiguousarray(x.T)


def spectral_radius(A: np.ndarray) -> float:
    """Largest absolute eigenvalue of ``A`` (below 1 for a productive system)."""
    return float(np.max(np.abs(np.linalg.eigvals(_as_matrix(A)))))
