import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simcore import LeontiefSolver, SolverError, leontief_solve, spectral_radius

# Miller & Blair (2009), Input-Output Analysis, 2nd ed., section 2.3 (Table 2.3 example):
# Z = [[150, 500], [200, 100]], x = [1000, 2000], f = [350, 1700].
MB_A = np.array([[0.15, 0.25], [0.20, 0.05]])


def test_miller_blair_table_2_3_reproduces_gross_output():
    np.testing.assert_allclose(leontief_solve(MB_A, np.array([350.0, 1700.0])), [1000.0, 2000.0], rtol=1e-12)


def test_miller_blair_new_final_demand():
    # the book's follow-up: f = (600, 1500) gives x = (1247.52, 1841.58)
    x = leontief_solve(MB_A, np.array([600.0, 1500.0]))
    np.testing.assert_allclose(x, [1247.52, 1841.58], atol=0.005)


def test_miller_blair_leontief_inverse_columns():
    # columns of L = (I - A)^-1 are the solutions for unit final demand: L = [[1.2541, 0.3300], [0.2640, 1.1221]]
    L = leontief_solve(MB_A, np.eye(2)).T
    np.testing.assert_allclose(L, [[1.2541, 0.3300], [0.2640, 1.1221]], atol=5e-5)


def productive_matrices(n: int):
    """Non-negative matrices with column sums below 0.95 (hence spectral radius < 1)."""
    return arrays(float, (n, n), elements=st.floats(0.0, 1.0)).map(
        lambda m: 0.95 * m / np.maximum(m.sum(axis=0, keepdims=True), 1.0) * 0.999
    )


sizes = st.integers(1, 12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_solution_is_non_negative_and_solves_the_system(data):
    n = data.draw(sizes)
    A = data.draw(productive_matrices(n))
    f = data.draw(arrays(float, (n,), elements=st.floats(0.0, 1e6)))
    x = leontief_solve(A, f)
    assert (x >= -1e-9 * max(1.0, f.max(initial=0))).all()
    np.testing.assert_allclose(x - A @ x, f, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_solution_is_linear(data):
    n = data.draw(sizes)
    A = data.draw(productive_matrices(n))
    f1 = data.draw(arrays(float, (n,), elements=st.floats(0.0, 1e4)))
    f2 = data.draw(arrays(float, (n,), elements=st.floats(0.0, 1e4)))
    a, b = data.draw(st.floats(-10, 10)), data.draw(st.floats(-10, 10))
    lhs = leontief_solve(A, a * f1 + b * f2)
    rhs = a * leontief_solve(A, f1) + b * leontief_solve(A, f2)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-8, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_batch_matches_single_solves(data):
    n = data.draw(sizes)
    A = data.draw(productive_matrices(n))
    F = data.draw(arrays(float, (data.draw(st.integers(1, 6)), n), elements=st.floats(0.0, 1e4)))
    batch = leontief_solve(A, F)
    assert batch.shape == F.shape
    for row, f in zip(batch, F):
        np.testing.assert_allclose(row, leontief_solve(A, f), rtol=1e-12, atol=1e-9)


def test_solver_reuses_factorisation_across_right_hand_sides():
    solver = LeontiefSolver(MB_A)
    np.testing.assert_allclose(solver.solve([350.0, 1700.0]), [1000.0, 2000.0])
    np.testing.assert_allclose(solver.solve(np.array([[350.0, 1700.0], [0.0, 0.0]])), [[1000, 2000], [0, 0]])


@pytest.mark.parametrize(
    "A, f, message",
    [
        (np.ones((2, 3)), np.ones(2), "square"),
        (MB_A, np.ones(3), "shape"),
        (MB_A, np.ones((2, 3)), "shape"),
        (MB_A, np.array([1.0, np.nan]), "non-finite"),
        (np.array([[np.inf, 0], [0, 0]]), np.ones(2), "non-finite"),
    ],
)
def test_bad_input_is_rejected(A, f, message):
    with pytest.raises(ValueError, match=message):
        leontief_solve(A, f)


def test_singular_system_is_reported():
    with pytest.raises(SolverError, match="singular"):
        leontief_solve(np.array([[1.0, 0.0], [0.0, 0.5]]), np.ones(2))


def test_spectral_radius_of_miller_blair():
    # trace 0.2, determinant -0.0425: eigenvalues 0.1 +- sqrt(0.01 + 0.0425), both real
    assert spectral_radius(MB_A) == pytest.approx(0.1 + np.sqrt(0.0525), rel=1e-12)
    assert spectral_radius(MB_A) < 1


def test_a_numerically_singular_system_is_reported_by_both_entry_points():
    # columns summing to one up to rounding: I - A is singular, yet LAPACK meets no exactly zero pivot
    rng = np.random.default_rng(3)
    A = rng.uniform(0.1, 1.0, (30, 30))
    A /= A.sum(axis=0, keepdims=True)
    with pytest.raises(SolverError, match="singular"):
        leontief_solve(A, np.ones(30))
    with pytest.raises(SolverError, match="singular"):
        LeontiefSolver(A)
