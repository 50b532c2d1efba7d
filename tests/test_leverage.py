"""Leverage scores against numpy's QR / SVD, rank deficiency, conditioning, the sketch's error."""

import numpy as np
import pytest

import pointvalue as pv


def qr_leverage(X):
    Q, _ = np.linalg.qr(X)
    return np.einsum("ij,ij->i", Q, Q)


def svd_leverage(X, rcond=None):
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    tol = s[0] * (max(X.shape) * np.finfo(float).eps if rcond is None else rcond)
    r = int((s > tol).sum())
    return np.einsum("ij,ij->i", U[:, :r], U[:, :r]), r


def with_condition(rng, n, d, cond):
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (U * np.logspace(0, -np.log10(cond), d)) @ V.T


@pytest.mark.parametrize("shape", [(50, 1), (200, 7), (3000, 40), (20, 20)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_exact_matches_qr(shape, order, rng):
    X = np.asarray(rng.standard_normal(shape), order=order)
    h = pv.leverage_scores(X)
    assert h.dtype == np.float64 and h.shape == (shape[0],)
    np.testing.assert_allclose(h, qr_leverage(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h.sum(), shape[1], rtol=1e-12)


def test_heavy_rows_and_scaled_columns(rng):
    X = rng.standard_normal((5000, 12))
    X[rng.random(5000) < 0.05] *= 10
    X *= np.logspace(-8, 8, 12)  # units must not matter: leverage is column-scale invariant
    np.testing.assert_allclose(pv.leverage_scores(X), qr_leverage(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cond", [1e3, 1e6, 1e8, 1e10])
def test_ill_conditioned(cond, rng):
    X = with_condition(rng, 4000, 25, cond)
    h, rank = pv.leverage_scores(X, return_rank=True)
    ref = qr_leverage(X)
    assert rank == 25
    # QR itself is only accurate to ~cond·eps here, so the bound follows the reference's error.
    np.testing.assert_allclose(h, ref, rtol=max(1e-10, 100 * cond * np.finfo(float).eps))


def test_cholesky_route_fails_where_we_do_not(rng):
    X = with_condition(rng, 4000, 25, 1e8)
    G = X.T @ X
    L = np.linalg.cholesky(G + 0 * np.eye(25)) if np.all(np.linalg.eigvalsh(G) > 0) else None
    ref = qr_leverage(X)
    ours = pv.leverage_scores(X)
    assert np.max(np.abs(ours - ref) / ref) <= 1e-6
    if L is not None:  # the normal-equations route loses about cond² · eps
        Z = np.linalg.solve(L, X.T)
        chol = np.einsum("ij,ij->j", Z, Z)
        assert np.max(np.abs(chol - ref) / ref) > 1e-6


@pytest.mark.parametrize("kind", ["duplicate", "combination", "zero_column", "tiny_column"])
def test_rank_deficient(kind, rng):
    X = rng.standard_normal((500, 8))
    if kind == "duplicate":
        X = np.c_[X, X[:, 2]]
    elif kind == "combination":
        X = np.c_[X, X[:, :3] @ rng.standard_normal((3, 4))]
    elif kind == "zero_column":
        X[:, 4] = 0.0
    else:  # a column that is a combination plus noise far below the rank tolerance
        X = np.c_[X, X[:, 0] + 1e-18 * rng.standard_normal(500)]
    h, rank = pv.leverage_scores(X, return_rank=True)
    ref, ref_rank = svd_leverage(X)
    assert rank == ref_rank
    np.testing.assert_allclose(h, ref, atol=1e-10)
    np.testing.assert_allclose(h.sum(), rank, rtol=1e-10)


def test_all_zero_matrix():
    h, rank = pv.leverage_scores(np.zeros((10, 3)), return_rank=True)
    assert rank == 0 and np.all(h == 0)


def test_float32_and_integer_input(rng):
    X = rng.standard_normal((300, 5))
    ref = qr_leverage(X.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(pv.leverage_scores(X.astype(np.float32)), ref, atol=1e-10)
    Xi = rng.integers(-5, 5, size=(100, 3))
    np.testing.assert_allclose(pv.leverage_scores(Xi), qr_leverage(Xi.astype(float)), atol=1e-10)


def test_sketch_error_on_heavy_rows(rng):
    n, d = 100_000, 50
    X = rng.standard_normal((n, d))
    X[rng.random(n) < 0.05] *= 10
    exact = pv.leverage_scores(X)
    approx = pv.leverage_scores(X, method="sketch", random_state=0)
    rel = np.abs(approx - exact) / exact
    # The documented error of the defaults (leverage_scores docstring): median ≤ 0.1, p99 ≤ 0.4.
    assert np.median(rel) <= 0.1
    assert np.quantile(rel, 0.99) <= 0.4
    # and the sketch must carry real information: far better than the uniform guess d/n
    uniform = np.abs(d / n - exact) / exact
    assert np.median(rel) < 0.25 * np.median(uniform)


def test_sketch_with_jl_projection(rng):
    X = rng.standard_normal((20_000, 30))
    exact = pv.leverage_scores(X)
    approx = pv.leverage_scores(X, method="sketch", sketch_size=3000, jl_dim=200, random_state=1)
    rel = np.abs(approx - exact) / exact
    assert np.median(rel) < 0.15  # JL alone: relative sd ≈ sqrt(2/200) = 0.1


def test_sketch_is_deterministic_and_thread_independent(rng):
    X = rng.standard_normal((30_000, 20))
    a = pv.leverage_scores(X, method="sketch", random_state=7, n_jobs=-1)
    b = pv.leverage_scores(X, method="sketch", random_state=7, n_jobs=1)
    e1 = pv.leverage_scores(X, n_jobs=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(e1, pv.leverage_scores(X, n_jobs=-1))
    assert not np.array_equal(a, pv.leverage_scores(X, method="sketch", random_state=8))


def test_sketch_rank_deficient(rng):
    X = rng.standard_normal((4096, 6))
    X = np.c_[X, X[:, 0] - X[:, 1]]
    h, rank = pv.leverage_scores(X, method="sketch", sketch_size=4096, random_state=0, return_rank=True)
    assert rank == 6
    np.testing.assert_allclose(h, svd_leverage(X)[0], atol=1e-8)


@pytest.mark.parametrize(
    "X, kwargs, exc, match",
    [
        (np.full((5, 2), np.nan), {}, ValueError, "NaN"),
        (np.array([[1.0, np.inf]]), {}, ValueError, "NaN or infinite"),
        (np.zeros((0, 3)), {}, ValueError, "empty"),
        (np.zeros((3, 3, 3)), {}, ValueError, "2-D"),
        (np.zeros(5), {}, ValueError, "2-D"),
        (np.zeros((4, 2), dtype=complex), {}, TypeError, "real floating"),
        (np.ones((100, 4)), {"method": "qr"}, ValueError, "method"),
        (np.ones((100, 4)), {"method": "sketch", "sketch_size": 3}, ValueError, "sketch_size"),
        (np.ones((100, 4)), {"method": "sketch", "sketch_size": 129}, ValueError, "sketch_size"),
        (np.ones((100, 4)), {"method": "sketch", "sketch_size": 50.0}, TypeError, "sketch_size"),
        (np.ones((100, 4)), {"method": "sketch", "jl_dim": 0}, ValueError, "jl_dim"),
        (np.ones((100, 4)), {"rcond": -1.0}, ValueError, "rcond"),
    ],
)
def test_bad_input(X, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        pv.leverage_scores(X, **kwargs)


@pytest.mark.parametrize("shape", [(5, 10), (1, 4), (7, 7), (30, 200)])
def test_full_row_rank_wide_matrix_has_leverage_one(shape, rng):
    """Regression: a 5 × 10 matrix of full row rank gave values off 1 by 1.7e-4 (the column Gram
    XᵀX is singular there); the projection onto range(X) = Rⁿ is the identity."""
    X = rng.standard_normal(shape) * rng.uniform(0.01, 100, shape[1])
    h, rank = pv.leverage_scores(X, return_rank=True)
    assert rank == shape[0]
    np.testing.assert_allclose(h, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape, r", [((8, 20), 3), ((12, 12), 5), ((200, 10), 4), ((6, 50), 1)])
def test_rank_deficient_leverage_is_the_projection_of_the_svd(shape, r, rng):
    """Leverage in [0, 1] summing to the rank, equal to ‖U_i‖² of the rank-r SVD (numpy)."""
    n, d = shape
    X = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    h, rank = pv.leverage_scores(X, return_rank=True)
    U = np.linalg.svd(X, full_matrices=False)[0][:, :r]
    assert rank == r
    np.testing.assert_allclose(h, (U**2).sum(axis=1), rtol=0, atol=1e-12)
    assert h.min() >= -1e-15 and h.max() <= 1 + 1e-12
    np.testing.assert_allclose(h.sum(), r, rtol=1e-12)
