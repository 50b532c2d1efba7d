"""Benchmarks of the glm kernel family against what users run today.

* exact influence norms (pilot residuals, Gram, Cholesky, solve against Xᵀ, row norms) versus the
  same algorithm written with numpy/scipy — a plain version (``np.c_[X, 1]``, ``scipy.linalg.solve``)
  and a careful one (no copy of X, Cholesky inverse, one GEMM);
* fit_glm versus scikit-learn (logistic: lbfgs and newton-cholesky), numpy.linalg.lstsq (OLS) and
  scikit-learn's QuantileRegressor(solver="highs").

Every benchmark also checks its answer against the reference.

    pytest bench/bench_glm.py --benchmark-only          # pytest-benchmark tables
    python bench/bench_glm.py                            # same-run ratios as a markdown table
"""

from __future__ import annotations

import time

import numpy as np
import pointvalue as pv
import pytest

N_INF, D_INF = 400_000, 50
N_LOG, D_LOG = 200_000, 20
N_QR, D_QR = 5_000, 9


# the data and the numpy/scipy peers are pointvalue.bench.glm's (`pointvalue bench` runs the same)
from pointvalue.bench.glm import numpy_influence_careful, numpy_influence_plain  # noqa: E402,F401
from pointvalue.bench import glm as _cases  # noqa: E402


def influence_data(n=N_INF, d=D_INF, seed=0):
    return _cases.influence_data(n, d, seed)


def pointvalue_influence(X, y, coef, b):
    return pv.influence_scores(X, y, coef, intercept=b, n_jobs=-1)


def logistic_data(n=N_LOG, d=D_LOG, seed=1):
    return _cases.logistic_data(n, d, seed)


def quantile_data(n=N_QR, d=D_QR, seed=2):
    return _cases.quantile_data(n, d, seed)


# ---------------------------------------------------------------------- pytest-benchmark suite


@pytest.fixture(scope="module")
def inf_data():
    return influence_data()


@pytest.fixture(scope="module")
def inf_reference(inf_data):
    return numpy_influence_careful(*inf_data)


@pytest.mark.benchmark(group="influence-exact")
def test_influence_pointvalue(benchmark, inf_data, inf_reference):
    out = benchmark(pointvalue_influence, *inf_data)
    np.testing.assert_allclose(out, inf_reference, rtol=1e-8)


@pytest.mark.benchmark(group="influence-exact")
def test_influence_numpy_careful(benchmark, inf_data):
    benchmark(numpy_influence_careful, *inf_data)


@pytest.mark.benchmark(group="influence-exact")
def test_influence_numpy_plain(benchmark, inf_data, inf_reference):
    out = benchmark.pedantic(numpy_influence_plain, args=inf_data, rounds=2, iterations=1)
    np.testing.assert_allclose(out, inf_reference, rtol=1e-8)


@pytest.fixture(scope="module")
def log_data():
    return logistic_data()


@pytest.mark.benchmark(group="logistic")
def test_logistic_pointvalue(benchmark, log_data):
    X, y = log_data
    fit = benchmark(pv.fit_glm, X, y, model="logistic", l2=1.0, n_jobs=-1)
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(fit.coef, ref.coef_[0], atol=1e-6)


@pytest.mark.benchmark(group="logistic")
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_logistic_sklearn(benchmark, log_data, solver):
    from sklearn.linear_model import LogisticRegression

    X, y = log_data
    benchmark(lambda: LogisticRegression(C=1.0, solver=solver, tol=1e-8, max_iter=1000).fit(X, y))


@pytest.mark.benchmark(group="quantile")
def test_quantile_pointvalue(benchmark):
    X, y = quantile_data()
    benchmark(pv.fit_glm, X, y, model="quantile", tau=0.9, n_jobs=-1)


@pytest.mark.benchmark(group="quantile")
def test_quantile_sklearn_highs(benchmark):
    from sklearn.linear_model import QuantileRegressor

    X, y = quantile_data()
    benchmark.pedantic(lambda: QuantileRegressor(quantile=0.9, alpha=0.0, solver="highs").fit(X, y),
                       rounds=1, iterations=1)


# ----------------------------------------------------------------------- same-run ratio table


def _best(f, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    from sklearn.linear_model import LogisticRegression, QuantileRegressor

    rows = []
    X, y, coef, b = influence_data()
    t_pv, s_pv = _best(lambda: pointvalue_influence(X, y, coef, b))
    t_np, s_np = _best(lambda: numpy_influence_careful(X, y, coef, b))
    t_pl, s_pl = _best(lambda: numpy_influence_plain(X, y, coef, b), repeat=1)
    assert np.allclose(s_pv, s_np, rtol=1e-8) and np.allclose(s_pv, s_pl, rtol=1e-8)
    t_sum, _ = _best(lambda: X.sum(axis=0))
    t_pr, _ = _best(lambda: pv.influence_scores(X, y, coef, intercept=b, target="prediction", n_jobs=-1))
    t_dg, _ = _best(lambda: pv.influence_scores(X, y, coef, intercept=b, approx="diag", n_jobs=-1))
    t_sk, _ = _best(lambda: pv.influence_scores(X, y, coef, intercept=b, approx="sketch", random_state=0, n_jobs=-1))
    t_lr, _ = _best(lambda: pv.influence_scores(X, y, coef, intercept=b, approx="lowrank", random_state=0, n_jobs=-1))
    shape = f"{N_INF:,}×{D_INF}"
    rows += [
        (f"influence exact (coef), {shape}", "numpy/scipy careful (no copy, cho_solve, GEMM)", t_pv, t_np),
        (f"influence exact (coef), {shape}", "numpy/scipy plain (np.c_, solve, norm)", t_pv, t_pl),
        (f"influence exact (prediction), {shape}", "numpy/scipy careful", t_pr, t_np),
        (f"influence diag, {shape}", "one X.sum(axis=0) pass", t_dg, t_sum),
        (f"influence sketch, {shape}", "numpy/scipy careful (exact)", t_sk, t_np),
        (f"influence lowrank (rank 20), {shape}", "numpy/scipy careful (exact)", t_lr, t_np),
    ]
    X, y = logistic_data()
    t_pv, fit = _best(lambda: pv.fit_glm(X, y, model="logistic", l2=1.0, n_jobs=-1))
    for solver in ("lbfgs", "newton-cholesky"):
        t_sk, ref = _best(lambda s=solver: LogisticRegression(C=1.0, solver=s, tol=1e-8, max_iter=1000).fit(X, y))
        err = np.abs(ref.coef_[0] - fit.coef).max()
        rows.append((f"fit_glm logistic l2=1, {N_LOG:,}×{D_LOG}",
                     f"sklearn LogisticRegression({solver}, tol=1e-8) [max coef diff {err:.1e}]", t_pv, t_sk))
    t_pv, fit = _best(lambda: pv.fit_glm(X, y, n_jobs=-1))
    t_ls, _ = _best(lambda: np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None))
    rows.append((f"fit_glm ols, {N_LOG:,}×{D_LOG}", "numpy.linalg.lstsq (np.c_[X, 1])", t_pv, t_ls))
    X, y = quantile_data()
    t_pv, fit = _best(lambda: pv.fit_glm(X, y, model="quantile", tau=0.9, n_jobs=-1))
    t_hi, ref = _best(lambda: QuantileRegressor(quantile=0.9, alpha=0.0, solver="highs").fit(X, y), repeat=1)
    err = np.abs(ref.coef_ - fit.coef).max()
    rows.append((f"fit_glm quantile τ=0.9, {N_QR:,}×{D_QR}",
                 f"sklearn QuantileRegressor(highs) [max coef diff {err:.1e}]", t_pv, t_hi))
    print("| task | peer | pointvalue (s) | peer (s) | peer / pointvalue |")
    print("|---|---|---:|---:|---:|")
    for task, peer, a, c in rows:
        print(f"| {task} | {peer} | {a:.3f} | {c:.3f} | {c / a:.1f}× |")


if __name__ == "__main__":
    main()
