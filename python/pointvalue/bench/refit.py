"""Marginal-contribution cases: ``pv.evaluate_contributions`` (exact incremental refits) against
the scikit-learn refit loop users run today (fit D, fit D ∪ {z}, compare validation losses), on
the same (D, z) pairs: base sets D of size k with several targets z each.

scikit-learn runs ``LinearRegression()`` / ``Ridge()`` / ``LogisticRegression()`` with its
defaults, as the scaling-laws paper's code does. Least-squares Δ agree to 1e-8; for logistic our
first Δ is checked against a converged scikit-learn refit (newton-cholesky, tol=1e-10) to 1e-8
(scikit-learn's default tol=1e-4 moves its Δ a little, so its loop is not checked to 1e-8).
Its loop runs with BLAS limited to one thread (``threadpoolctl``), its fastest setting for fits
this small; ours uses ``n_jobs`` = the run's threads.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._harness import Case, Impl, have, thread_limits

N_POOL, N_VAL = 6000, 1000
#: (base sets, targets per set) by scale
PAIRS = {"tiny": (1, 4), "quick": (1, 16), "full": (4, 64)}
SETTINGS = {"tiny": [("ols", 8, 100), ("logistic", 8, 100)],
            "quick": [("ols", 32, 1000), ("logistic", 32, 1000)],
            "full": [("ols", 32, 1000), ("logistic", 32, 1000), ("logistic", 256, 1000), ("ols", 32, 5000)]}


def make_data(d, kind, seed=0, n_pool=N_POOL, n_val=N_VAL):
    rng = np.random.default_rng(seed)
    beta = rng.standard_normal(d) * 2 / np.sqrt(d)
    X = rng.standard_normal((n_pool, d))
    Xv = rng.standard_normal((n_val, d))
    if kind == "ols":
        return X, X @ beta + rng.standard_normal(n_pool), Xv, Xv @ beta + rng.standard_normal(n_val)
    y = (X @ beta + rng.logistic(size=n_pool) > 0).astype(int)
    yv = (Xv @ beta + rng.logistic(size=n_val) > 0).astype(int)
    return X, y, Xv, yv


def pairs(k, n_subsets, n_targets, seed=1, n_pool=N_POOL):
    """Base sets from the first rows, the targets: the last `n_targets` rows (never in a set)."""
    rng = np.random.default_rng(seed)
    subsets = [rng.choice(n_pool - n_targets, k, replace=False) for _ in range(n_subsets)]
    return subsets, np.tile(np.arange(n_pool - n_targets, n_pool), (n_subsets, 1))


def estimator(model, **kw):
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

    return {"ols": LinearRegression, "ridge": Ridge, "logistic": LogisticRegression}[model](**kw)


def sklearn_loop(model, X, y, Xv, yv, subsets, points, **kw):
    """Δ(z, D) = L(D) − L(D ∪ {z}) by refitting a scikit-learn estimator from scratch each time."""
    def loss(D):
        est = estimator(model, **kw)
        est.fit(X[D], y[D])
        if model != "logistic":
            return np.mean((est.predict(Xv) - yv) ** 2)
        p = est.predict_proba(Xv)
        return -np.mean(np.log(p[np.arange(len(yv)), yv]))

    with warnings.catch_warnings(), thread_limits(1):
        warnings.simplefilter("ignore")
        return np.array([[loss(D) - loss(np.append(D, z)) for z in zs] for D, zs in zip(subsets, points)])


def cases(scale: str, threads: int = 2) -> list:
    n_sub, n_tgt = PAIRS[scale]
    out = []
    for model, d, k in SETTINGS[scale]:
        if model == "ols" and k <= d:
            model = "ridge"  # least squares needs k > d

        def prepare(model=model, d=d, k=k):
            from . import _api as pv

            X, y, Xv, yv = make_data(d, "logistic" if model == "logistic" else "ols")
            subsets, points = pairs(k, n_sub, n_tgt)

            def ours():
                return pv.evaluate_contributions(X, y, Xv, yv, subsets, points, model=model, n_jobs=threads)

            impls = [Impl("pointvalue", ours, ours=True)]
            if not have("sklearn"):
                return impls
            if model == "logistic":
                ref = sklearn_loop(model, X, y, Xv, yv, subsets[:1], points[:1, :1], tol=1e-10,
                                   solver="newton-cholesky")

                def check(delta):
                    np.testing.assert_allclose(delta[0, 0], ref[0, 0], rtol=0, atol=1e-8)

                impls[0].check = check
            else:
                ref = sklearn_loop(model, X, y, Xv, yv, subsets, points)

                def check(delta):
                    np.testing.assert_allclose(delta, ref, rtol=0, atol=1e-8)

                impls[0].check = check
            impls.append(Impl("sklearn_refit_loop", lambda: sklearn_loop(model, X, y, Xv, yv, subsets, points),
                              note=f"{estimator(model).__class__.__name__}() with its defaults"))
            return impls

        out.append(Case(f"refit/{model}-d{d}-k{k}-{n_sub * n_tgt}pairs", "refit",
                        f"{n_sub * n_tgt} Δ(z, D), {model}, d={d}, |D|={k} (n_jobs={threads})", prepare,
                        {"model": model, "d": d, "k": k, "pairs": n_sub * n_tgt, "n_jobs": threads}))
    return out
