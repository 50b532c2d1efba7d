"""Marginal contributions Δ(z, D) against the scikit-learn refit loop users run today.

* Same (D, z) pairs for both: 4 base sets D of size k with 64 targets z each per case (64 is our
  default ``points_per_subset``); scikit-learn fits
  D once and D ∪ {z} for every target (``LinearRegression()``, ``LogisticRegression()`` with its
  defaults, as the reference code of the scaling-laws paper does; ``Ridge()`` against our
  ``ridge`` where k ≤ d makes least squares singular), we call
  :func:`pointvalue.evaluate_contributions` (exact incremental refits). Both run on one thread
  (threadpoolctl limits BLAS and OpenMP; ``n_jobs=1``), so the ratio is per core;
  ``pointvalue_all_cores`` is the same call with ``n_jobs=-1`` (one base set per
  core) against the same single-threaded scikit-learn loop. Least squares
  values agree to 1e-8; for logistic our Δ of the first pair is checked against a converged
  scikit-learn refit (``solver="newton-cholesky", tol=1e-10``) to 1e-8, and the deviation of
  scikit-learn's default-tolerance Δ from ours is recorded (``extra_info``).
* Throughput: 1000 points × 100 samples with k uniform in [100, 1000) (the paper's setting),
  logistic d = 32, with the progress bar; prints Δ samples per second.

Run: ``pytest bench/bench_refit.py`` (pytest-benchmark; ``-s`` shows the printed rates).
"""

from __future__ import annotations

import time
import numpy as np
import pytest

import pointvalue as pv

sklearn = pytest.importorskip("sklearn")
from threadpoolctl import threadpool_limits  # noqa: E402

N_POOL, N_VAL, N_SUBSETS, N_TARGETS = 6000, 1000, 4, 64
N_PAIRS = N_SUBSETS * N_TARGETS


# the data, the pairs and the scikit-learn loop are pointvalue.bench.refit's (`pointvalue bench`
# runs the same cases at fixed sizes)
from pointvalue.bench import refit as _cases  # noqa: E402
from pointvalue.bench.refit import make_data, sklearn_loop  # noqa: E402


_DATA = {}


def data(d, kind):
    if (d, kind) not in _DATA:
        _DATA[d, kind] = make_data(d, kind)
    return _DATA[d, kind]


def pairs(k, seed=1):
    return _cases.pairs(k, N_SUBSETS, N_TARGETS, seed)


CASES = [(m, d, k) for m in ("ols", "logistic") for d in (32, 256) for k in (100, 1000, 5000)]
_RESULTS = {}


@pytest.mark.parametrize("model, d, k", CASES)
@pytest.mark.parametrize("impl", ["pointvalue", "pointvalue_all_cores", "sklearn"])
def test_delta_vs_sklearn_refits(benchmark, impl, model, d, k):
    X, y, Xv, yv = data(d, "logistic" if model == "logistic" else "ols")
    if model == "ols" and k <= d:
        model = "ridge"  # least squares needs k > d
    subsets, points = pairs(k)
    benchmark.group = f"{N_PAIRS} Δ, {model} d={d} k={k}"
    if impl == "pointvalue_all_cores":  # n_jobs=-1 (one base set per core)
        kw = {"model": model, "n_jobs": -1}
        pv.evaluate_contributions(X, y, Xv, yv, subsets, points, **kw)  # warm-up
        out = benchmark.pedantic(pv.evaluate_contributions, args=(X, y, Xv, yv, subsets, points),
                                 kwargs=kw, rounds=10, iterations=1)
        benchmark.extra_info["per_delta_ms"] = benchmark.stats.stats.median / N_PAIRS * 1e3
        return
    with threadpool_limits(1):
        if impl == "pointvalue":
            kw = {"model": model, "n_jobs": 1}
            pv.evaluate_contributions(X, y, Xv, yv, subsets, points, **kw)  # warm-up
            out = benchmark.pedantic(pv.evaluate_contributions, args=(X, y, Xv, yv, subsets, points),
                                     kwargs=kw, rounds=10, iterations=1)
        else:  # its time moves by ±30% between runs: 3 rounds where one takes a few seconds
            out = benchmark.pedantic(sklearn_loop, args=(model, X, y, Xv, yv, subsets, points),
                                     rounds=3 if d <= 32 else 1, iterations=1)
    _RESULTS[impl, model, d, k] = out
    benchmark.extra_info["per_delta_ms"] = benchmark.stats.stats.median / N_PAIRS * 1e3
    if impl == "pointvalue" and model == "logistic":
        # one thread: OpenBLAS workers left spinning after a threaded call slow down the next
        # OpenMP region by a scheduler time slice (~8 ms seen)
        with threadpool_limits(1):
            ref = sklearn_loop(model, X, y, Xv, yv, subsets, points[:, :1], tol=1e-10, solver="newton-cholesky")
        np.testing.assert_allclose(out[0, 0], ref[0, 0], rtol=0, atol=1e-8)
    if ("pointvalue", model, d, k) in _RESULTS and ("sklearn", model, d, k) in _RESULTS:
        ours, ref = _RESULTS["pointvalue", model, d, k], _RESULTS["sklearn", model, d, k]
        if model != "logistic":
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)
        else:  # scikit-learn stops at its default tol=1e-4: record how far its Δ are
            benchmark.extra_info["sklearn_default_rel_dev"] = float(np.abs(ours - ref).max() / np.abs(ours).max())


@pytest.mark.parametrize("model", ["logistic", "ols"])
def test_throughput_paper_setting(benchmark, model):
    """1000 points × 100 samples, k uniform in [100, 1000), d = 32 (target: logistic < 10 s)."""
    X, y, Xv, yv = data(32, model)
    benchmark.group = f"throughput {model} 1000 points x 100 samples"

    def run():
        return pv.marginal_contributions(X, y, Xv, yv, model=model, points=np.arange(1000), n_samples=100,
                                         sizes=(100, 1000), random_state=0, progress=True, n_jobs=-1)

    t0 = time.perf_counter()
    out = benchmark.pedantic(run, rounds=1, iterations=1)
    dt = time.perf_counter() - t0
    assert len(out) == 100_000 and np.isfinite(out.delta).all()
    rate = len(out) / dt
    benchmark.extra_info["samples_per_s"] = rate
    print(f"\n{model}: {len(out)} Δ samples in {dt:.2f} s = {rate:,.0f} samples/s "
          f"({pv.config()['max_threads']} threads)")
