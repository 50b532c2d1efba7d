"""Invariants of the kernels, property-based (hypothesis; profile in conftest.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pointvalue as pv

seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------------------------------------
# FWHT: H·H = n·I


@st.composite
def power_of_two_arrays(draw, max_log2=11):
    n = 1 << draw(st.integers(0, max_log2))
    shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(1, 5)))
    # integer-valued floats: every sum is exact, so H·H·a = n·a holds bit for bit
    return draw(hnp.arrays(np.float64, shape, elements=st.integers(-1000, 1000).map(float)))


@given(a=power_of_two_arrays(), fortran=st.booleans())
def test_fwht_is_an_involution_up_to_n(a, fortran):
    a = np.asfortranarray(a) if fortran else a
    n = a.shape[0]
    np.testing.assert_array_equal(pv.fwht(pv.fwht(a)), n * a)
    np.testing.assert_allclose(pv.fwht(pv.fwht(a, normalized=True), normalized=True), a, rtol=0, atol=1e-9 * n)


@given(a=power_of_two_arrays(max_log2=6))
def test_fwht_is_the_hadamard_matrix_product(a):
    from scipy.linalg import hadamard

    np.testing.assert_array_equal(pv.fwht(a), hadamard(a.shape[0]) @ a)


# ------------------------------------------------------------------------------------------------
# leverage: 0 ≤ h ≤ 1, Σh = rank


@st.composite
def designs(draw):
    """Tall or square designs (wide ones: see the xfail below)."""
    rng = np.random.default_rng(draw(seeds))
    d = draw(st.integers(1, 8))
    n = draw(st.integers(d, 80))
    X = rng.standard_normal((n, d)) * np.exp(rng.uniform(-3, 3, d))  # columns on different scales
    if d > 1 and draw(st.booleans()):  # rank deficient: one column a combination
        X[:, -1] = X[:, 0] - 2 * X[:, 1 % (d - 1)]
    if draw(st.booleans()):  # a few rows of high leverage
        X[: max(1, n // 10)] *= 30
    return X


@given(X=designs())
def test_leverage_lies_in_the_unit_interval_and_sums_to_the_rank(X):
    h, rank = pv.leverage_scores(X, return_rank=True)
    assert rank == np.linalg.matrix_rank(X)
    assert (h >= -1e-12).all() and (h <= 1 + 1e-10).all()
    assert abs(h.sum() - rank) < 1e-8 * max(1, rank)


@pytest.mark.parametrize("n, d", [(2, 5), (5, 10), (20, 30)])
def test_leverage_of_a_wide_matrix_is_one(n, d):
    X = np.random.default_rng(n).standard_normal((n, d))
    np.testing.assert_allclose(pv.leverage_scores(X), 1.0, rtol=0, atol=1e-8)


# ------------------------------------------------------------------------------------------------
# inclusion probabilities: Σπ = size, min_prob ≤ π ≤ 1, monotone in the score


@st.composite
def sampling_problems(draw):
    n = draw(st.integers(1, 300))
    scores = draw(hnp.arrays(np.float64, n, elements=st.one_of(
        st.just(0.0), st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False))))
    size = draw(st.floats(0.01, 1.0)) * n
    min_prob = draw(st.one_of(st.none(), st.floats(0.0, 1.0).map(lambda f: f * size / n)))
    return scores, size, min_prob


@given(problem=sampling_problems())
def test_inclusion_probabilities_sum_to_size_within_bounds(problem):
    scores, size, min_prob = problem
    pi = pv.inclusion_probabilities(scores, size, min_prob=min_prob)
    floor = 0.0 if min_prob is None else min_prob
    assert abs(pi.sum() - size) <= 1e-9 * size
    assert (pi >= floor * (1 - 1e-12) - 1e-15).all() and (pi <= 1).all()
    order = np.argsort(scores, kind="stable")
    assert (np.diff(pi[order]) >= -1e-12).all()  # a larger score never gets a smaller probability


# ------------------------------------------------------------------------------------------------
# marginal contributions: Δ(a, D) + Δ(b, D ∪ {a}) = L(D) − L(D ∪ {a, b}) = Δ(b, D) + Δ(a, D ∪ {b})


@given(seed=seeds, model=st.sampled_from(["ols", "ridge", "logistic"]), k=st.integers(12, 40))
def test_contributions_telescope_whatever_the_order(seed, model, k):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((120, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.standard_normal(120)
    if model == "logistic":
        y = (y > 0).astype(int)
    D = rng.choice(100, size=k, replace=False)
    a, b = 100 + rng.choice(20, size=2, replace=False)
    subsets = [D, np.append(D, a), D, np.append(D, b)]
    delta = pv.evaluate_contributions(X[:120], y, X[:120], y, subsets, [a, b, b, a], model=model)
    scale = max(1e-3, np.abs(delta).max())
    assert abs((delta[0] + delta[1]) - (delta[2] + delta[3])) <= 1e-8 * scale


# ------------------------------------------------------------------------------------------------
# GLM solvers: the gradient of the penalized objective vanishes at the returned solution


@given(seed=seeds, model=st.sampled_from(["ols", "logistic", "poisson"]), l2=st.sampled_from([0.0, 0.1, 10.0]),
       n=st.integers(30, 300), d=st.integers(1, 6), weighted=st.booleans())
def test_glm_solution_is_stationary(seed, model, l2, n, d, weighted):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    eta = X @ rng.uniform(-0.5, 0.5, d) + 0.3
    y = {"ols": eta + rng.standard_normal(n), "logistic": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
         "poisson": rng.poisson(np.exp(eta)).astype(float)}[model]
    if model == "logistic" and (y.min() == y.max() or l2 == 0):
        l2 = max(l2, 0.1)  # a single class or separable data: the unpenalized MLE may not exist
    if model == "poisson" and (y.max() == 0 or l2 == 0):
        l2, y[0] = max(l2, 0.1), y[0] + 1.0
    w = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    fit = pv.fit_glm(X, y, model=model, l2=l2, sample_weight=w)
    mu = fit.predict(X)
    r = w * (mu - y)
    grad = np.r_[X.T @ r + l2 * fit.coef, r.sum()]
    scale = np.abs(np.c_[X, np.ones(n)]).T @ (w * (np.abs(y) + np.abs(mu))) + 1.0
    assert (np.abs(grad) <= 1e-8 * scale).all(), (grad, scale)
