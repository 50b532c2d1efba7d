"""Benchmarks for influence-based subsampling (run: ``pytest bench/bench_sampling.py -s``).

On a 2,000,000 × 100 float64 design (1.6 GB; set ``POINTVALUE_BENCH_ROWS`` for a smaller run):

* ``InfluenceSampler(approx="diag")`` end to end (pilot, scores, probabilities, Poisson draw,
  weighted refit) against one ``X.sum(axis=0)`` pass in the same run (target ≤ 10×);
* the exact path against the same algorithm written with numpy (lstsq pilot, Gram + solve,
  row norms, sort-based probabilities, ``Generator.random`` draw, weighted lstsq) (target ≥ 5×);
* the peak resident memory of the diag path, in a fresh subprocess, relative to the size of X
  (target < 1.5×);
* the inclusion-probability kernel against a numpy sort + bisection reference.

Ratios are printed at the end of the session; timings are noisy on a shared machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import pointvalue as pv

N = int(os.environ.get("POINTVALUE_BENCH_ROWS", 2_000_000))
D = 100
SIZE = 10_000
RESULTS: dict[str, float] = {}


# the data and the numpy pipeline are pointvalue.bench.sampling's (`pointvalue bench` runs the same)
from pointvalue.bench import sampling as _cases  # noqa: E402
from pointvalue.bench.sampling import numpy_exact_pipeline, numpy_probabilities  # noqa: E402,F401


def make_data(n=N, d=D, seed=0):
    return _cases.make_data(n, d, seed)


@pytest.fixture(scope="session")
def data():
    return make_data()


def _median(benchmark):
    return benchmark.stats.stats.median


def test_sum_pass(benchmark, data):
    X, _ = data
    benchmark.pedantic(lambda: X.sum(axis=0), rounds=5, iterations=1, warmup_rounds=1)
    RESULTS["sum"] = _median(benchmark)


def test_sampler_diag_end_to_end(benchmark, data):
    X, y = data
    sampler = pv.InfluenceSampler(size=SIZE, approx="diag", random_state=0, n_jobs=-1)
    benchmark.pedantic(lambda: sampler.fit(X, y), rounds=3, iterations=1)
    RESULTS["diag"] = _median(benchmark)
    assert abs(len(sampler.indices_) - SIZE) < 6 * np.sqrt(SIZE)


def test_sampler_exact_end_to_end(benchmark, data):
    X, y = data
    sampler = pv.InfluenceSampler(size=SIZE, approx="exact", random_state=0, n_jobs=-1)
    benchmark.pedantic(lambda: sampler.fit(X, y), rounds=2, iterations=1)
    RESULTS["exact"] = _median(benchmark)


def test_numpy_exact_pipeline(benchmark, data):
    X, y = data
    benchmark.pedantic(lambda: numpy_exact_pipeline(X, y, SIZE), rounds=1, iterations=1)
    RESULTS["numpy_exact"] = _median(benchmark)


def test_inclusion_probabilities_kernel(benchmark, data):
    s = np.random.default_rng(1).lognormal(0, 2, N)
    benchmark.pedantic(lambda: pv.inclusion_probabilities(s, SIZE, min_prob=0.1 * SIZE / N, n_jobs=-1),
                       rounds=3, iterations=1)
    RESULTS["probabilities"] = _median(benchmark)
    t0 = time.perf_counter()
    ref = numpy_probabilities(s, SIZE, 0.1 * SIZE / N)
    RESULTS["numpy_probabilities"] = time.perf_counter() - t0
    np.testing.assert_allclose(pv.inclusion_probabilities(s, SIZE, min_prob=0.1 * SIZE / N, n_jobs=-1), ref, rtol=1e-6)


def test_stage_breakdown(data):
    """Wall time of each stage of the diag path (one run)."""
    X, y = data
    n, d = X.shape
    rng = np.random.default_rng(0)
    t = [time.perf_counter()]
    p = max(10 * (d + 1), SIZE // 4)
    pilot = np.sort(rng.choice(n, p, replace=False))
    fit = pv.fit_glm(X[pilot], y[pilot], n_jobs=-1)
    t.append(time.perf_counter())
    s = pv.subsampling_scores(X, y, fit.coef, fit.intercept, approx="diag", n_jobs=-1)
    t.append(time.perf_counter())
    rest = np.ones(n, bool)
    rest[pilot] = False
    pi = np.zeros(n)
    pi[rest] = pv.inclusion_probabilities(s[rest], SIZE, min_prob=0.1 * SIZE / (n - p), n_jobs=-1)
    t.append(time.perf_counter())
    idx = pv.poisson_sample(pi, random_state=rng, n_jobs=-1)
    t.append(time.perf_counter())
    pv.fit_glm(X[idx], y[idx], sample_weight=1 / pi[idx], n_jobs=-1)
    t.append(time.perf_counter())
    for name, a, b in zip(["pilot", "scores", "probabilities", "draw", "refit"], t, t[1:]):
        RESULTS[f"stage_{name}"] = b - a


MEMORY_SCRIPT = r"""
import json, sys
sys.path.insert(0, {bench!r})
import numpy as np, pointvalue as pv
from bench_sampling import make_data
def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
base = status("VmRSS")
X, y = make_data({n})
with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark: measure the fit only
    f.write("5")
before_fit = status("VmRSS")
pv.InfluenceSampler(size={size}, approx={approx!r}, random_state=0, n_jobs=-1).fit(X, y)
peak = status("VmHWM")
print(json.dumps(dict(base=base, before_fit=before_fit, peak=peak, xbytes=X.nbytes)))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
@pytest.mark.parametrize("approx", ["diag", "exact"])
def test_memory_peak(approx):
    """Peak resident memory during fit (VmHWM reset after the data are built), fresh process."""
    code = MEMORY_SCRIPT.format(bench=os.path.dirname(os.path.abspath(__file__)), n=N, size=SIZE,
                                approx=approx)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    RESULTS[f"mem_{approx}"] = (m["peak"] - m["base"]) / m["xbytes"]
    RESULTS[f"mem_{approx}_extra"] = (m["peak"] - m["before_fit"]) / m["xbytes"]


def test_zz_report():
    print(f"\n=== bench_sampling: {N} × {D} float64, size {SIZE}, "
          f"{pv.config()['max_threads']} threads (machine shared) ===")
    for k, v in RESULTS.items():
        print(f"  {k:>24}: {v:.4g}")
    if "sum" in RESULTS and "diag" in RESULTS:
        print(f"  diag end to end / X.sum(axis=0):  {RESULTS['diag'] / RESULTS['sum']:.2f}×  (target ≤ 10)")
    if "numpy_exact" in RESULTS and "exact" in RESULTS:
        print(f"  numpy exact / pointvalue exact:  {RESULTS['numpy_exact'] / RESULTS['exact']:.2f}×  (target ≥ 5)")
    if "numpy_probabilities" in RESULTS and "probabilities" in RESULTS:
        print(f"  numpy probabilities / kernel:    {RESULTS['numpy_probabilities'] / RESULTS['probabilities']:.2f}×")
    for a in ("diag", "exact"):
        if f"mem_{a}" in RESULTS:
            print(f"  peak RSS during fit ({a}) − RSS before the data, / X.nbytes: {RESULTS[f'mem_{a}']:.3f} "
                  f"(X and y included; target < 1.5); above the data: {RESULTS[f'mem_{a}_extra']:.3f}")
