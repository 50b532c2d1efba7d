"""FWHT and SRHT against scipy's Hadamard matrix and their algebraic identities."""

import numpy as np
import pytest
from conftest import srht_draws
from scipy.linalg import hadamard

import pointvalue as pv

TOL = {np.float64: 1e-12, np.float32: 2e-6}


def _close(actual, expected, dtype):
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOL[dtype] * scale * 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("log2n", range(0, 13))
def test_1d_matches_hadamard_product(log2n, dtype, rng):
    n = 1 << log2n
    a = rng.standard_normal(n).astype(dtype)
    out = pv.fwht(a)
    assert out.dtype == dtype and out.shape == a.shape
    _close(out, hadamard(n) @ a.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("log2n", range(0, 13))
def test_2d_matches_hadamard_product(log2n, axis, order, dtype, rng):
    n = 1 << log2n
    other = 3 if log2n > 9 else 13  # odd widths exercise the remainder paths
    shape = (n, other) if axis == 0 else (other, n)
    a = np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)
    H = hadamard(n).astype(np.float64)
    expected = H @ a.astype(np.float64) if axis == 0 else a.astype(np.float64) @ H.T
    out = pv.fwht(a, axis=axis)
    assert out.flags.f_contiguous == (order == "F" and not a.flags.c_contiguous) or out.flags.c_contiguous
    _close(out, expected, dtype)
    np.testing.assert_array_equal(a, np.asarray(a))  # input untouched


@pytest.mark.parametrize("width", [1, 8, 64, 100])
def test_wide_interleaved_rows(width, rng):
    n = 1 << 11
    a = rng.standard_normal((n, width))
    _close(pv.fwht(a, axis=0), hadamard(n) @ a, np.float64)


@pytest.mark.parametrize("log2n", [13, 16, 18, 20, 22])
def test_involution_large(log2n, rng):
    n = 1 << log2n
    a = rng.standard_normal(n)
    back = pv.fwht(pv.fwht(a))
    np.testing.assert_allclose(back, n * a, rtol=0, atol=1e-9 * n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_involution_2d_large(dtype, rng):
    a = rng.standard_normal((1 << 15, 24)).astype(dtype)
    for axis in (0,):
        back = pv.fwht(pv.fwht(a, axis=axis, normalized=True), axis=axis, normalized=True)
        np.testing.assert_allclose(back, a, rtol=0, atol=50 * TOL[dtype])


@pytest.mark.parametrize("log2n", [0, 3, 10, 17])
def test_normalized_is_orthonormal(log2n, rng):
    n = 1 << log2n
    a = rng.standard_normal(n)
    y = pv.fwht(a, normalized=True)
    np.testing.assert_allclose(np.linalg.norm(y), np.linalg.norm(a), rtol=1e-12)
    np.testing.assert_allclose(pv.fwht(y, normalized=True), a, atol=1e-12)
    if n <= 1024:
        _close(y, hadamard(n) @ a / np.sqrt(n), np.float64)


def test_strided_input_is_copied_once(rng):
    base = rng.standard_normal((64, 40))
    view = base[::2, ::3]  # neither C- nor F-contiguous
    np.testing.assert_allclose(pv.fwht(view, axis=0), hadamard(32) @ view, atol=1e-12)
    np.testing.assert_allclose(pv.fwht(view[:, :8], axis=1), view[:, :8] @ hadamard(8), atol=1e-12)


def test_integer_input_promoted(rng):
    a = np.arange(8)
    out = pv.fwht(a)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, hadamard(8) @ a)


def test_inplace_transforms_and_refuses_copies(rng):
    a = rng.standard_normal((16, 4))
    expected = hadamard(16) @ a
    b = a.copy()
    assert pv.fwht_inplace(b) is b
    np.testing.assert_allclose(b, expected, atol=1e-12)
    with pytest.raises(ValueError, match="contiguous"):
        pv.fwht_inplace(a[::2])
    ro = a.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pv.fwht_inplace(ro)
    with pytest.raises(TypeError):
        pv.fwht_inplace(np.arange(8))


@pytest.mark.parametrize(
    "bad, exc, match",
    [
        (np.zeros(12), ValueError, "power of two, got 12"),
        (np.zeros(0), ValueError, "empty"),
        (np.zeros((2, 2, 2)), ValueError, "1-D or 2-D"),
        (np.zeros(8, dtype=complex), TypeError, "real floating"),
        (np.array(["a"] * 4), TypeError, "real floating"),
    ],
)
def test_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        pv.fwht(bad)


def test_bad_axis():
    with pytest.raises(ValueError, match="axis"):
        pv.fwht(np.zeros((4, 4)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        pv.fwht(np.zeros(4), axis=0.0)


def test_nan_propagates_like_the_matrix_product():
    a = np.array([1.0, np.nan, 0.0, 0.0])
    assert np.isnan(pv.fwht(a)).all()


def test_threads_do_not_change_result(rng):
    a = rng.standard_normal((1 << 14, 32))
    ref = pv.fwht(a, axis=0, n_jobs=-1)
    for n_jobs in (None, 1, 2, 3):
        np.testing.assert_array_equal(ref, pv.fwht(a, axis=0, n_jobs=n_jobs))


class TestSRHT:
    def test_shape_and_determinism(self, rng):
        X = rng.standard_normal((1000, 7))
        S1 = pv.srht(X, 200, random_state=3)
        S2 = pv.srht(X, 200, random_state=3)
        assert S1.shape == (200, 7)
        np.testing.assert_array_equal(S1, S2)
        assert not np.array_equal(S1, pv.srht(X, 200, random_state=4))

    def test_matches_explicit_matrix(self, rng):
        n, N, r = 100, 128, 40
        X = rng.standard_normal((n, 5))
        S = pv.srht(X, r, random_state=11)
        signs, rows = srht_draws(11, n, r)  # the draws the implementation documents
        Xp = np.zeros((N, 5))
        Xp[:n] = signs[:, None] * X
        np.testing.assert_allclose(S, (hadamard(N) @ Xp)[rows] / np.sqrt(r), atol=1e-12)

    def test_unbiased_gram(self, rng):
        X = rng.standard_normal((60, 3))
        est = np.mean([(lambda S: S.T @ S)(pv.srht(X, 16, random_state=s)) for s in range(3000)], axis=0)
        G = X.T @ X
        np.testing.assert_allclose(est, G, atol=0.05 * np.abs(G).max())

    def test_full_sketch_preserves_gram(self, rng):
        X = rng.standard_normal((64, 4))
        S = pv.srht(X, 64, random_state=0)  # all rows: S = H D / 8 is orthogonal up to 1/sqrt(r)·sqrt(N)
        np.testing.assert_allclose(S.T @ S, X.T @ X, atol=1e-10)

    def test_bad_sizes(self, rng):
        X = rng.standard_normal((100, 3))
        with pytest.raises(ValueError, match="sketch_size"):
            pv.srht(X, 129)
        with pytest.raises(ValueError, match="sketch_size"):
            pv.srht(X, 0)
        with pytest.raises(TypeError, match="sketch_size"):
            pv.srht(X, 10.0)
        with pytest.raises(ValueError, match="NaN"):
            pv.srht(np.full((4, 2), np.nan), 2)


@pytest.mark.parametrize("n", [20_000, 70_000, 300_000])
def test_srht_large_matches_full_transform(n, rng):
    """Beyond one cache block the sketch takes the blocked route; check it against the full FWHT."""
    X = rng.standard_normal((n, 5))
    r = 300
    S = pv.srht(X, r, random_state=5)
    N = 1 << (n - 1).bit_length()
    signs, rows = srht_draws(5, n, r)
    Xp = np.zeros((N, 5))
    Xp[:n] = signs[:, None] * X
    np.testing.assert_allclose(S, pv.fwht(Xp, axis=0)[rows] / np.sqrt(r), rtol=0, atol=1e-10 * np.sqrt(N))
