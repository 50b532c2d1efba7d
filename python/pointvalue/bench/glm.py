"""GLM cases: exact influence norms against numpy/scipy; ``pv.fit_glm`` against scikit-learn
(logistic lbfgs and newton-cholesky, quantile HiGHS), statsmodels (unpenalized logistic, Newton)
and ``numpy.linalg.lstsq`` (OLS)."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import scipy.linalg as sl

from ._harness import Case, Impl, have

SIZES = {
    "influence": {"tiny": (2_000, 5), "quick": (100_000, 30), "full": (400_000, 50)},
    "logistic": {"tiny": (2_000, 5), "quick": (50_000, 20), "full": (200_000, 20)},
    "quantile": {"tiny": (300, 3), "quick": (2_000, 5), "full": (5_000, 9)},
}


def influence_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + 1.0
    coef = rng.standard_normal(d)
    y = X @ coef + 0.5 + rng.standard_normal(n)
    return X, y, coef + 0.01 * rng.standard_normal(d), 0.5


def numpy_influence_plain(X, y, coef, b):
    """The textbook numpy version: append the ones column, solve against X̃ᵀ, row norms."""
    r = y - X @ coef - b
    A = np.c_[X, np.ones(len(y))]
    U = sl.solve(A.T @ A, A.T, assume_a="pos")
    return np.abs(r) * np.linalg.norm(U, axis=0)


def numpy_influence_careful(X, y, coef, b):
    """numpy/scipy without copying X: Gram blocks, Cholesky inverse, one GEMM, row norms."""
    n, d = X.shape
    r = y - X @ coef - b
    s = X.sum(axis=0)
    G = np.empty((d + 1, d + 1))
    G[:d, :d] = X.T @ X
    G[:d, d] = G[d, :d] = s
    G[d, d] = n
    Sinv = sl.cho_solve(sl.cho_factor(G), np.eye(d + 1))
    U = X @ Sinv[:d] + Sinv[d]
    return np.abs(r) * np.sqrt(np.einsum("ij,ij->i", U, U))


def pointvalue_influence(X, y, coef, b):
    from . import _api as pv

    return pv.influence_scores(X, y, coef, intercept=b)


def logistic_data(n, d, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    eta = X @ rng.uniform(-0.5, 0.5, d) + 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y


def quantile_data(n, d, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_t(3, n)
    return X, y


def sklearn_logistic(X, y, solver, tol=1e-8):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, solver=solver, tol=tol, max_iter=1000).fit(X, y)


def _sklearn_coef(X, y, solver):
    return sklearn_logistic(X, y, solver).coef_[0]


def _coef_check(expected, atol):
    def check(coef):
        np.testing.assert_allclose(coef, expected, rtol=0, atol=atol)

    return check


def _influence_case(scale):
    n, d = SIZES["influence"][scale]

    def prepare():
        data = influence_data(n, d)
        expected = numpy_influence_careful(*data)
        check = _coef_check(expected, 0)

        def close(s):
            np.testing.assert_allclose(s, expected, rtol=1e-8)

        return [Impl("pointvalue", lambda: pointvalue_influence(*data), ours=True, check=close),
                Impl("numpy_careful", lambda: numpy_influence_careful(*data), check=check,
                     note="no copy of X, cho_solve, one GEMM"),
                Impl("numpy_plain", lambda: numpy_influence_plain(*data), check=close,
                     note="np.c_[X, 1], scipy.linalg.solve, row norms")]

    return Case(f"glm/influence-exact-{n}x{d}", "glm", f"exact influence norms (OLS pilot), {n:,} × {d}",
                prepare, {"n": n, "d": d})


def _logistic_case(scale):
    n, d = SIZES["logistic"][scale]

    def prepare():
        from . import _api as pv

        X, y = logistic_data(n, d)
        ours = pv.fit_glm(X, y, model="logistic", l2=1.0)
        impls = [Impl("pointvalue", lambda: pv.fit_glm(X, y, model="logistic", l2=1.0).coef, ours=True)]
        if have("sklearn"):
            # converged scikit-learn is the reference for our answer; its default-tolerance fits
            # are checked against ours to 1e-5 (they stop at tol=1e-8 on the gradient)
            ref = sklearn_logistic(X, y, "newton-cholesky", tol=1e-12).coef_[0]
            impls[0].check = _coef_check(ref, 1e-6)
            for solver in ("lbfgs", "newton-cholesky"):
                impls.append(Impl(f"sklearn_{solver}", functools.partial(_sklearn_coef, X, y, solver),
                                  check=_coef_check(ours.coef, 1e-4), note="LogisticRegression(C=1, tol=1e-8)"))
        return impls

    out = [Case(f"glm/logistic-l2-{n}x{d}", "glm", f"fit_glm logistic l2=1 vs scikit-learn C=1, {n:,} × {d}",
                prepare, {"n": n, "d": d, "l2": 1.0})]

    def prepare_unpenalized():
        from . import _api as pv

        X, y = logistic_data(n, d)
        ours = pv.fit_glm(X, y, model="logistic")
        impls = [Impl("pointvalue", lambda: pv.fit_glm(X, y, model="logistic").coef, ours=True)]
        if have("statsmodels"):
            import statsmodels.api as sm

            Xc = sm.add_constant(X)

            def statsmodels_logit():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return sm.Logit(y, Xc).fit(disp=0, method="newton", tol=1e-10).params[1:]

            ref = statsmodels_logit()
            impls[0].check = _coef_check(ref, 1e-6)
            impls.append(Impl("statsmodels_logit", statsmodels_logit, check=_coef_check(ours.coef, 1e-6),
                              note="sm.Logit(...).fit(method='newton')"))
        return impls

    out.append(Case(f"glm/logistic-{n}x{d}", "glm", f"fit_glm logistic unpenalized vs statsmodels, {n:,} × {d}",
                    prepare_unpenalized, {"n": n, "d": d, "l2": 0.0}))

    def prepare_ols():
        from . import _api as pv

        X, y = logistic_data(n, d)
        ref = np.linalg.lstsq(np.c_[X, np.ones(n)], y, rcond=None)[0]
        return [Impl("pointvalue", lambda: pv.fit_glm(X, y).coef, ours=True, check=_coef_check(ref[:-1], 1e-10)),
                Impl("numpy_lstsq", lambda: np.linalg.lstsq(np.c_[X, np.ones(n)], y, rcond=None)[0][:-1],
                     note="np.c_[X, 1]")]

    out.append(Case(f"glm/ols-{n}x{d}", "glm", f"fit_glm OLS vs numpy.linalg.lstsq, {n:,} × {d}", prepare_ols,
                    {"n": n, "d": d}))
    return out


def _quantile_case(scale):
    n, d = SIZES["quantile"][scale]

    def prepare():
        from . import _api as pv

        X, y = quantile_data(n, d)
        impls = [Impl("pointvalue", lambda: pv.fit_glm(X, y, model="quantile", tau=0.9).coef, ours=True)]
        if have("sklearn"):
            from sklearn.linear_model import QuantileRegressor

            def highs():
                return QuantileRegressor(quantile=0.9, alpha=0.0, solver="highs").fit(X, y).coef_

            ref = highs()
            # a linear program: both find a vertex of the same optimum face, up to its tolerance
            impls[0].check = _coef_check(ref, 1e-6)
            impls.append(Impl("sklearn_highs", highs, note="QuantileRegressor(solver='highs')"))
        return impls

    return Case(f"glm/quantile-{n}x{d}", "glm", f"fit_glm quantile τ=0.9 vs scikit-learn HiGHS, {n:,} × {d}",
                prepare, {"n": n, "d": d, "tau": 0.9})


def cases(scale: str, threads: int = 2) -> list:
    return [_influence_case(scale), *_logistic_case(scale), _quantile_case(scale)]
