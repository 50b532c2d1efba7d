"""fit_glm against numpy / scikit-learn / statsmodels references, weighted and not."""

import warnings

import numpy as np
import pointvalue as pv
import pytest
from pointvalue.glm import ConvergenceWarning

sklm = pytest.importorskip("sklearn.linear_model")


def _design(rng, n=600, d=5, shift=3.0):
    X = rng.standard_normal((n, d)) + shift
    X[:, 0] *= 10.0  # unequal column scales
    return X


def _aug(X):
    return np.c_[X, np.ones(X.shape[0])]


def _objective(model, X, y, coef, b, w=None, l2=0.0, tau=0.5):
    eta = X @ coef + b
    w = np.ones(len(y)) if w is None else w
    if model == "ols":
        loss = 0.5 * (y - eta) ** 2
    elif model == "logistic":
        loss = np.logaddexp(0, eta) - y * eta
    elif model == "poisson":
        loss = np.exp(eta) - y * eta
    else:
        r = y - eta
        loss = np.where(r >= 0, tau * r, (tau - 1) * r)
    return float(w @ loss + 0.5 * l2 * coef @ coef)


# ------------------------------------------------------------------------------------- OLS


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ols_matches_lstsq(rng, order, weighted):
    X = np.asarray(_design(rng), order=order)
    n, d = X.shape
    y = X @ rng.standard_normal(d) + 2.0 + rng.standard_normal(n)
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    fit = pv.fit_glm(X, y, sample_weight=w)
    sw = np.ones(n) if w is None else np.sqrt(w)
    ref = np.linalg.lstsq(_aug(X) * sw[:, None], y * sw, rcond=None)[0]
    np.testing.assert_allclose(fit.coef, ref[:d], rtol=0, atol=1e-10 * np.abs(ref).max())
    assert fit.intercept == pytest.approx(ref[d], abs=1e-9)
    assert fit.converged and fit.model == "ols"
    assert fit.objective == pytest.approx(_objective("ols", X, y, fit.coef, fit.intercept, w), rel=1e-12)
    np.testing.assert_allclose(fit.predict(X), X @ fit.coef + fit.intercept)


def test_ols_no_intercept(rng):
    X = _design(rng)
    y = X @ rng.standard_normal(X.shape[1]) + rng.standard_normal(X.shape[0])
    fit = pv.fit_glm(X, y, fit_intercept=False)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(fit.coef, ref, atol=1e-10 * np.abs(ref).max())
    assert fit.intercept == 0.0


def test_ridge_matches_sklearn(rng):
    X = _design(rng)
    n, d = X.shape
    y = X @ rng.standard_normal(d) + 1.0 + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n)
    for l2 in (0.1, 10.0, 1000.0):
        fit = pv.fit_glm(X, y, l2=l2, sample_weight=w)
        ref = sklm.Ridge(alpha=l2, solver="cholesky").fit(X, y, sample_weight=w)
        np.testing.assert_allclose(fit.coef, ref.coef_, rtol=1e-9, atol=1e-10)
        assert fit.intercept == pytest.approx(ref.intercept_, abs=1e-8)


def test_ols_large_column_mean_stays_accurate(rng):
    # Columns with mean 1e6 and spread 1: the uncentred Gram would lose ~12 digits.
    n, d = 2000, 3
    X = rng.standard_normal((n, d)) + 1e6
    beta = np.array([1.0, -2.0, 0.5])
    y = (X - 1e6) @ beta + 7.0 + 0.01 * rng.standard_normal(n)
    fit = pv.fit_glm(X, y)
    Xc = X - 1e6
    ref = np.linalg.lstsq(_aug(Xc), y, rcond=None)[0]
    np.testing.assert_allclose(fit.coef, ref[:d], atol=1e-8)


def test_ols_rank_deficient_minimum_norm(rng):
    n = 300
    Z = rng.standard_normal((n, 3))
    X = np.c_[Z, Z[:, 0] + Z[:, 1], np.full(n, 2.0)]  # a collinear and a constant column
    y = Z @ [1.0, 2.0, -1.0] + 0.5 + 0.1 * rng.standard_normal(n)
    fit = pv.fit_glm(X, y)
    Xc = X - X.mean(axis=0)
    ref = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]  # minimum-norm coef
    np.testing.assert_allclose(fit.coef, ref, atol=1e-9)
    assert fit.rank == 3 and fit.lstsq_fallback
    assert fit.intercept == pytest.approx(y.mean() - X.mean(axis=0) @ ref, abs=1e-9)


def test_ols_ill_conditioned_uses_fallback(rng):
    n = 500
    z = rng.standard_normal(n)
    X = np.c_[z, z + 1e-7 * rng.standard_normal(n), rng.standard_normal(n)]
    y = X @ [1.0, 1.0, 1.0] + 0.01 * rng.standard_normal(n)
    fit = pv.fit_glm(X, y)
    ref = np.linalg.lstsq(_aug(X), y, rcond=None)[0]
    # Same minimizer up to the conditioning (κ ~ 1e7): compare objectives and coefficients.
    assert fit.objective <= _objective("ols", X, y, ref[:3], ref[3]) * (1 + 1e-9)
    np.testing.assert_allclose(fit.coef, ref[:3], rtol=1e-5)


def test_ols_n_smaller_than_d(rng):
    X = rng.standard_normal((5, 10))
    y = rng.standard_normal(5)
    fit = pv.fit_glm(X, y, fit_intercept=False)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(fit.coef, ref, atol=1e-10)


def test_ols_pandas_and_float32(rng):
    pd = pytest.importorskip("pandas")
    X = _design(rng, n=200, d=3)
    y = X @ [1.0, 2.0, 3.0] + rng.standard_normal(200)
    a = pv.fit_glm(pd.DataFrame(X, columns=list("abc")), pd.Series(y))
    b = pv.fit_glm(X, y)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-13)  # DataFrames may be F-ordered
    c = pv.fit_glm(X.astype(np.float32), y)
    ref = np.linalg.lstsq(_aug(X.astype(np.float32).astype(np.float64)), y, rcond=None)[0]
    np.testing.assert_allclose(c.coef, ref[:3], atol=1e-9)


@pytest.mark.parametrize("model", ["ols", "logistic", "poisson", "quantile"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_read_in_place_equals_upcast(rng, model, order):
    n, d = 400, 3
    X32 = np.asarray(rng.standard_normal((n, d)) + 1, dtype=np.float32, order=order)
    X64 = X32.astype(np.float64)  # keeps the memory order
    eta = (X64 - 1) @ [0.5, -0.3, 0.2]
    y = {"ols": eta + rng.standard_normal(n), "quantile": eta + rng.standard_normal(n),
         "logistic": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
         "poisson": rng.poisson(np.exp(eta)).astype(float)}[model]
    a = pv.fit_glm(X32, y, model=model)
    b = pv.fit_glm(X64, y, model=model)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.intercept == b.intercept


def test_zero_weights_equal_dropping_rows(rng):
    X = _design(rng, n=300, d=4)
    y = X @ rng.standard_normal(4) + rng.standard_normal(300)
    w = rng.uniform(0.5, 2, 300)
    w[::3] = 0.0
    for model, yy in (("ols", y), ("logistic", (y > np.median(y)).astype(float))):
        a = pv.fit_glm(X, yy, model=model, sample_weight=w, l2=0.1)
        keep = w > 0
        b = pv.fit_glm(X[keep], yy[keep], model=model, sample_weight=w[keep], l2=0.1)
        np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9, atol=1e-11)


def test_deterministic_and_integer_weights_equal_repeats(rng):
    X = _design(rng, n=200, d=3)
    y = X @ [1.0, 2.0, 3.0] + rng.standard_normal(200)
    w = rng.integers(1, 4, 200).astype(float)
    a = pv.fit_glm(X, y, sample_weight=w)
    b = pv.fit_glm(np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int)))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_array_equal(pv.fit_glm(X, y, sample_weight=w).coef, a.coef)


# -------------------------------------------------------------------------------- logistic


def _logistic_data(rng, n=800, d=4):
    X = _design(rng, n, d, shift=1.0)
    X[:, 0] /= 10.0
    eta = (X - 1.0) @ rng.uniform(-1, 1, d) + 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y


@pytest.mark.parametrize("l2", [0.0, 1.0, 25.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_matches_sklearn(rng, l2, weighted):
    X, y = _logistic_data(rng)
    w = rng.uniform(0.2, 2.0, len(y)) if weighted else None
    fit = pv.fit_glm(X, y, model="logistic", l2=l2, sample_weight=w)
    C = np.inf if l2 == 0 else 1.0 / l2
    ref = sklm.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fit.coef, ref.coef_[0], rtol=1e-6, atol=1e-7)
    assert fit.intercept == pytest.approx(ref.intercept_[0], abs=1e-6)
    assert fit.converged
    ours = _objective("logistic", X, y, fit.coef, fit.intercept, w, l2)
    assert fit.objective == pytest.approx(ours, rel=1e-12)
    assert ours <= _objective("logistic", X, y, ref.coef_[0], ref.intercept_[0], w, l2) + 1e-9
    p = fit.predict(X)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-(X @ fit.coef + fit.intercept))))


def test_logistic_gradient_is_tiny(rng):
    X, y = _logistic_data(rng)
    fit = pv.fit_glm(X, y, model="logistic", l2=0.5)
    p = 1 / (1 + np.exp(-(X @ fit.coef + fit.intercept)))
    g = X.T @ (y - p) - 0.5 * fit.coef
    g0 = X.T @ (y - y.mean())
    assert np.abs(g).max() <= 1e-9 * np.abs(g0).max()
    assert abs((y - p).sum()) <= 1e-9 * len(y)


def test_logistic_separable_raises(rng):
    X = rng.standard_normal((100, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    with pytest.raises(ValueError, match="separable.*l2 > 0"):
        pv.fit_glm(X, y, model="logistic")
    fit = pv.fit_glm(X, y, model="logistic", l2=1e-2)  # the documented remedy
    assert fit.converged


def test_logistic_quasi_separable_is_reported(rng):
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] > 0).astype(float)
    X[:5, 0] = 0.0  # points on the separating line with both labels
    y[:5] = [0, 1, 0, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            pv.fit_glm(X, y, model="logistic")
        except ValueError as exc:
            assert "separa" in str(exc)
            return
    with pytest.warns(ConvergenceWarning, match="separable"):
        pv.fit_glm(X, y, model="logistic")


def test_logistic_bad_labels():
    X = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match="binary"):
        pv.fit_glm(X, np.arange(10.0), model="logistic")
    with pytest.raises(ValueError, match="single class"):
        pv.fit_glm(X, np.ones(10), model="logistic")


def test_logistic_collinear_is_singular(rng):
    X, y = _logistic_data(rng, n=300, d=3)
    X = np.c_[X, X[:, 0] - X[:, 1]]
    with pytest.raises(ValueError, match="rank deficient"):
        pv.fit_glm(X, y, model="logistic")
    assert pv.fit_glm(X, y, model="logistic", l2=1.0).converged


# --------------------------------------------------------------------------------- poisson


@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("weighted", [False, True])
def test_poisson_matches_sklearn(rng, alpha, weighted):
    n, d = 700, 4
    X = rng.standard_normal((n, d))
    y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1, 0.4] + 0.5)).astype(float)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    sw = n if w is None else w.sum()
    fit = pv.fit_glm(X, y, model="poisson", l2=alpha * sw, sample_weight=w)
    ref = sklm.PoissonRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fit.coef, ref.coef_, rtol=1e-6, atol=1e-8)
    assert fit.intercept == pytest.approx(ref.intercept_, abs=1e-7)
    np.testing.assert_allclose(fit.predict(X), np.exp(X @ fit.coef + fit.intercept))


def test_poisson_bad_y(rng):
    X = rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match="non-negative"):
        pv.fit_glm(X, -np.ones(10), model="poisson")
    with pytest.raises(ValueError, match="zero on every row"):
        pv.fit_glm(X, np.zeros(10), model="poisson")


# -------------------------------------------------------------------------------- quantile


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_quantile_matches_highs(rng, tau):
    n, d = 400, 3
    X = rng.standard_normal((n, d)) + 2
    y = X @ [1.0, -1.0, 0.5] + rng.standard_t(3, n)
    fit = pv.fit_glm(X, y, model="quantile", tau=tau)
    ref = sklm.QuantileRegressor(quantile=tau, alpha=0.0, solver="highs").fit(X, y)
    ours = _objective("quantile", X, y, fit.coef, fit.intercept, tau=tau)
    theirs = _objective("quantile", X, y, ref.coef_, ref.intercept_, tau=tau)
    assert ours <= theirs * (1 + 1e-12) + 1e-12
    np.testing.assert_allclose(fit.coef, ref.coef_, atol=1e-6)
    assert fit.converged
    assert fit.objective == pytest.approx(ours, rel=1e-12)


def test_quantile_weighted_matches_statsmodels_objective(rng):
    n, d = 300, 2
    X = rng.standard_normal((n, d))
    y = X @ [2.0, -1.0] + rng.standard_normal(n)
    w = rng.uniform(0.2, 3.0, n)
    fit = pv.fit_glm(X, y, model="quantile", tau=0.75, sample_weight=w)
    ref = sklm.QuantileRegressor(quantile=0.75, alpha=0.0, solver="highs").fit(X, y, sample_weight=w)
    ours = _objective("quantile", X, y, fit.coef, fit.intercept, w, tau=0.75)
    theirs = _objective("quantile", X, y, ref.coef_, ref.intercept_, w, tau=0.75)
    assert ours <= theirs * (1 + 1e-12) + 1e-12
    np.testing.assert_allclose(fit.coef, ref.coef_, atol=1e-6)


def test_quantile_statsmodels(rng):
    sm = pytest.importorskip("statsmodels.api")
    n = 500
    X = rng.standard_normal((n, 2))
    y = X @ [1.0, 3.0] + rng.exponential(size=n)
    fit = pv.fit_glm(X, y, model="quantile", tau=0.3)
    ref = sm.QuantReg(y, sm.add_constant(X)).fit(q=0.3, max_iter=5000, p_tol=1e-10)
    ours = _objective("quantile", X, y, fit.coef, fit.intercept, tau=0.3)
    theirs = _objective("quantile", X, y, ref.params[1:], ref.params[0], tau=0.3)
    assert ours <= theirs + 1e-9  # statsmodels' IRLS is approximate: we must do at least as well


def test_quantile_rejects_l2(rng):
    with pytest.raises(ValueError, match="quantile"):
        pv.fit_glm(rng.standard_normal((10, 2)), rng.standard_normal(10), model="quantile", l2=1.0)


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", ["nan_X", "inf_y", "shape", "neg_w", "zero_w", "empty", "tau", "l2",
                                 "model", "max_iter", "dtype"])
def test_bad_input(rng, bad):
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal(20)
    kw = {}
    err = ValueError
    if bad == "nan_X":
        X[3, 1] = np.nan
    elif bad == "inf_y":
        y[0] = np.inf
    elif bad == "shape":
        y = y[:-1]
    elif bad == "neg_w":
        kw["sample_weight"] = -np.ones(20)
    elif bad == "zero_w":
        kw["sample_weight"] = np.zeros(20)
    elif bad == "empty":
        X, y = X[:0], y[:0]
    elif bad == "tau":
        kw.update(model="quantile", tau=1.0)
    elif bad == "l2":
        kw["l2"] = -1.0
    elif bad == "model":
        kw["model"] = "probit"
    elif bad == "max_iter":
        kw["max_iter"] = 2.0
        err = TypeError
    elif bad == "dtype":
        X = X.astype(complex)
        err = TypeError
    with pytest.raises(err):
        pv.fit_glm(X, y, **kw)


def test_max_iter_warns(rng):
    X, y = _logistic_data(rng)
    with pytest.warns(ConvergenceWarning):
        fit = pv.fit_glm(X, y, model="logistic", max_iter=1)
    assert not fit.converged


def test_quantile_no_intercept_and_zero_weights(rng):
    n, d = 300, 3
    X = rng.standard_normal((n, d)) + 1
    y = X @ [1.0, -1.0, 0.5] + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n)
    w[:40] = 0.0
    fit = pv.fit_glm(X, y, model="quantile", tau=0.25, sample_weight=w, fit_intercept=False)
    ref = sklm.QuantileRegressor(quantile=0.25, alpha=0.0, solver="highs", fit_intercept=False)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fit.coef, ref.coef_, atol=1e-6)
    assert fit.intercept == 0.0 and fit.converged


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_poisson_large_counts_and_offsets(rng):
    # Large linear predictors: the line search must keep exp(η) finite.
    n = 400
    X = rng.standard_normal((n, 2))
    y = rng.poisson(np.exp(X @ [1.5, -1.0] + 4.0)).astype(float)
    fit = pv.fit_glm(X, y, model="poisson")
    ref = sklm.PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(fit.coef, ref.coef_, rtol=1e-7)


def test_poisson_separated_zeros_are_reported(rng):
    x = np.r_[np.zeros(20), np.ones(20)][:, None]
    y = np.r_[np.zeros(20), rng.poisson(3, 20) + 1].astype(float)
    with pytest.warns(ConvergenceWarning, match="Poisson MLE does\\s+not exist|MLE does not exist"):
        pv.fit_glm(x, y, model="poisson")
    fit = pv.fit_glm(x, y, model="poisson", l2=1.0)  # the documented remedy: finite, no warning
    assert fit.converged and np.isfinite(fit.coef).all()


def test_logistic_badly_scaled_weighted_reaches_rounding_level(rng):
    # Inverse-probability weights up to 1e4 and a column with mean 1000: the gradient at the
    # answer must still be at rounding level (the final Newton step).
    n, d = 3000, 5
    scale, shift = np.array([1, 10, 0.1, 1, 100.0]), np.array([0, 5, 0, -3, 1000.0])
    X = rng.standard_normal((n, d)) * scale + shift
    eta = (X - shift) @ [0.5, 0.05, 3, -0.5, 0.01]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    w = 1 / rng.uniform(1e-4, 1, n)
    fit = pv.fit_glm(X, y, model="logistic", sample_weight=w, l2=0.1)
    Xc = X - X.mean(0)
    e = Xc @ fit.coef + fit.intercept + X.mean(0) @ fit.coef
    r = w * (y - 1 / (1 + np.exp(-e)))
    g = np.r_[Xc.T @ r - 0.1 * fit.coef, r.sum()]
    assert np.abs(g).max() <= 1e-9 * (np.abs(Xc).T @ np.abs(r)).max()
    ref = sklm.LogisticRegression(C=10.0, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fit.coef, ref.coef_[0], rtol=1e-6)
