"""Leverage scores against the numpy routes users write today.

* exact: numpy's QR (``Q = qr(X)``, row norms) and the fastest numpy route, Cholesky of XᵀX and a
  triangular solve — also checked for accuracy at condition number 1e8, where that route fails;
* sketch: our exact mode at n = 1,000,000, d = 200.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import pointvalue as pv


# the peers and the data are pointvalue.bench.leverage's (`pointvalue bench` runs the same)
from pointvalue.bench.leverage import ill_conditioned_data, numpy_cholesky, numpy_qr, tall_data  # noqa: E402


@pytest.fixture(scope="module")
def tall():
    return tall_data(200_000, 50)


@pytest.fixture(scope="module")
def ill_conditioned():
    return ill_conditioned_data(200_000, 50, condition=1e8)  # exact leverage from the SVD's U


IMPLS = {"pointvalue": functools.partial(pv.leverage_scores, n_jobs=-1), "numpy_cholesky": numpy_cholesky, "numpy_qr": numpy_qr}


@pytest.mark.parametrize("impl", list(IMPLS))
def test_exact_200k_x_50(benchmark, tall, impl):
    benchmark.group = "exact leverage 200,000 x 50"
    h = benchmark.pedantic(IMPLS[impl], args=(tall,), rounds=5, warmup_rounds=1)
    np.testing.assert_allclose(h.sum(), 50, rtol=1e-8)


@pytest.mark.parametrize("impl", list(IMPLS))
def test_exact_condition_1e8(benchmark, ill_conditioned, impl):
    benchmark.group = "exact leverage 200,000 x 50, condition 1e8"
    X, truth = ill_conditioned
    try:
        h = benchmark.pedantic(IMPLS[impl], args=(X,), rounds=3, warmup_rounds=1)
    except np.linalg.LinAlgError:
        benchmark.extra_info["max relative error"] = float("inf")
        pytest.skip(f"{impl} failed: Gram matrix not positive definite")
    err = float(np.max(np.abs(h - truth) / truth))
    benchmark.extra_info["max relative error"] = err
    print(f"\n{impl}: max relative error {err:.2e}")
    if impl == "pointvalue":
        assert err <= 1e-6


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(2)
    n, d = 1_000_000, 200
    X = rng.standard_normal((n, d))
    X[rng.random(n) < 0.05] *= 10
    return X, pv.leverage_scores(X, n_jobs=-1)


@pytest.mark.parametrize("method", ["exact", "sketch"])
def test_sketch_vs_exact_1m_x_200(benchmark, big, method):
    benchmark.group = "leverage 1,000,000 x 200"
    X, exact = big
    name = "pointvalue" if method == "sketch" else "exact"
    benchmark.name = f"test_sketch_vs_exact_1m_x_200[{name}]"
    h = benchmark.pedantic(pv.leverage_scores, args=(X,), kwargs={"method": method, "random_state": 0, "n_jobs": -1},
                           rounds=3, warmup_rounds=0)
    rel = np.abs(h - exact) / exact
    benchmark.extra_info["median relative error"] = float(np.median(rel))
    print(f"\n{method}: median relative error {np.median(rel):.3f}")
    if method == "sketch":
        assert np.median(rel) <= 0.1
