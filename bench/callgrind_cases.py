"""Instruction counts of the bench families under callgrind (repeatable on a loaded machine).

Small but representative cases of bench_refit, bench_glm, bench_sampling, bench_leverage,
bench_fwht and bench_powerlaw, one thread; each case is built, run once (warm-up: lazy imports,
first touch), then run inside ``operator.call`` so that callgrind collects only that call and
dumps it as its own file::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 valgrind --tool=callgrind \
        --toggle-collect=_operator_call --dump-after=_operator_call \
        --callgrind-out-file=out/cg.out python bench/callgrind_cases.py all

``out/cg.out.<i>`` then holds case i (``python bench/callgrind_cases.py list``; its ``totals:``
line is the Ir). Runs against the pre-issue-9 API too (n_jobs is passed only where accepted),
so two builds compare case by case; ``all`` may be replaced by a comma-separated list.
"""

from __future__ import annotations

import inspect
import operator
import sys

import numpy as np

import pointvalue as pv
from pointvalue.bench import glm as bglm
from pointvalue.bench import refit as brefit
from pointvalue.bench import sampling as bsamp

REPS = 1


def nj(fn, **kw):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    if "n_jobs" in params:
        kw["n_jobs"] = 1
    return kw


def refit_case(model, d, k, n_sub=4, n_tgt=64):
    kind = "logistic" if model == "logistic" else "ols"
    X, y, Xv, yv = brefit.make_data(d, kind)
    if model == "ols" and k <= d:
        model = "ridge"
    subsets, points = brefit.pairs(k, n_sub, n_tgt)
    kw = nj(pv.evaluate_contributions, model=model)
    return lambda: pv.evaluate_contributions(X, y, Xv, yv, subsets, points, **kw)


def mc_case(model, d=32, n_points=50, n_samples=8):
    X, y, Xv, yv = brefit.make_data(d, model)
    kw = nj(pv.marginal_contributions, model=model, points=np.arange(n_points), n_samples=n_samples,
            sizes=(100, 1000), random_state=0, progress=False)
    return lambda: pv.marginal_contributions(X, y, Xv, yv, **kw)


def influence_case(approx, n=20_000, d=50, target="coef"):
    X, y, coef, b = bglm.influence_data(n, d)
    kw = nj(pv.influence_scores, intercept=b, target=target)
    if approx != "exact":
        kw.update(approx=approx)
    if approx in ("sketch", "lowrank"):
        kw.update(random_state=0)
    return lambda: pv.influence_scores(X, y, coef, **kw)


def glm_case(model, n, d, **extra):
    if model == "quantile":
        X, y = bglm.quantile_data(n, d)
    else:
        X, y = bglm.logistic_data(n, d)
    kw = nj(pv.fit_glm, model=model, **extra)
    return lambda: pv.fit_glm(X, y, **kw)


def sampler_case(approx, n=50_000, d=20, size=2_000):
    X, y = bsamp.make_data(n, d)
    kw = nj(pv.InfluenceSampler, size=size, approx=approx, random_state=0)
    return lambda: pv.InfluenceSampler(**kw).fit(X, y)


def probabilities_case(n=200_000, size=10_000):
    s = np.random.default_rng(1).lognormal(0, 2, n)
    kw = nj(pv.inclusion_probabilities, min_prob=0.1 * size / n)
    return lambda: pv.inclusion_probabilities(s, size, **kw)


def poisson_case(n=200_000):
    p = np.random.default_rng(1).uniform(0, 0.2, n)
    kw = nj(pv.poisson_sample, random_state=0)
    return lambda: pv.poisson_sample(p, **kw)


def leverage_case(method, n=20_000, d=50):
    X = np.random.default_rng(0).standard_normal((n, d))
    kw = nj(pv.leverage_scores, method=method)
    if method == "sketch":
        kw.update(random_state=0)
    return lambda: pv.leverage_scores(X, **kw)


def fwht_case(shape, dtype, order="C"):
    a = np.asarray(np.random.default_rng(0).standard_normal(shape), dtype=dtype, order=order)
    kw = nj(pv.fwht)
    return lambda: pv.fwht(a, **kw)


def simulate(n, m=100, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.lognormal(-2, 1, n) * rng.choice([-1, 1], n, p=[0.15, 0.85])
    alpha = rng.uniform(0.6, 2.2, n)
    beta = 2 * alpha + rng.uniform(-0.4, 0.4, n)
    sigma = np.abs(c) * rng.uniform(0.3, 2.0, n)
    point = np.repeat(np.arange(n, dtype=np.int64), m)
    k = rng.integers(100, 1000, size=n * m)
    delta = c[point] * k ** -alpha[point] + sigma[point] * k ** (-beta[point] / 2) * rng.standard_normal(n * m)
    return pv.Contributions(point, k, delta)


def scaling_case(method, n=2_000):
    contrib = simulate(n)
    kw = nj(pv.fit_scaling_laws, method=method)
    return lambda: pv.fit_scaling_laws(contrib, **kw)


CASES = {
    "refit_ols_d32_k1000": lambda: refit_case("ols", 32, 1000),
    "refit_ridge_d32_k100": lambda: refit_case("ols", 32, 100),
    "refit_ols_d32_k5000": lambda: refit_case("ols", 32, 5000),
    "refit_ols_d256_k1000": lambda: refit_case("ols", 256, 1000, n_sub=1, n_tgt=8),
    "refit_logistic_d32_k1000": lambda: refit_case("logistic", 32, 1000),
    "refit_logistic_d32_k100": lambda: refit_case("logistic", 32, 100),
    "refit_logistic_d256_k1000": lambda: refit_case("logistic", 256, 1000, n_sub=1, n_tgt=4),
    "mc_ols_d32": lambda: mc_case("ols"),
    "mc_logistic_d32": lambda: mc_case("logistic"),
    "influence_exact": lambda: influence_case("exact"),
    "influence_exact_prediction": lambda: influence_case("exact", target="prediction"),
    "influence_diag": lambda: influence_case("diag"),
    "influence_sketch": lambda: influence_case("sketch"),
    "influence_lowrank": lambda: influence_case("lowrank"),
    "glm_logistic": lambda: glm_case("logistic", 20_000, 20, l2=1.0),
    "glm_ols": lambda: glm_case("ols", 20_000, 20),
    "glm_quantile": lambda: glm_case("quantile", 2_000, 9, tau=0.9),
    "sampler_diag": lambda: sampler_case("diag"),
    "sampler_exact": lambda: sampler_case("exact"),
    "inclusion_probabilities": probabilities_case,
    "poisson_sample": poisson_case,
    "leverage_exact": lambda: leverage_case("exact"),
    "leverage_sketch": lambda: leverage_case("sketch", n=50_000),
    "fwht_1d_2e18_f64": lambda: fwht_case(1 << 18, np.float64),
    "fwht_1d_2e18_f32": lambda: fwht_case(1 << 18, np.float32),
    "fwht_2d_F_f64": lambda: fwht_case((1 << 12, 64), np.float64, "F"),
    "fwht_2d_C_f32": lambda: fwht_case((1 << 12, 64), np.float32, "C"),
    "scaling_mle": lambda: scaling_case("mle"),
    "scaling_eb": lambda: scaling_case("eb"),
    "scaling_log": lambda: scaling_case("log"),
}


def main():
    name = sys.argv[1]
    if name == "list":
        print("\n".join(CASES))
        return
    if name == "all":
        for case in CASES:
            measure(case)
        return
    for case in name.split(","):
        measure(case)


def measure(name):
    run = CASES[name]()
    first = run()  # warm-up: lazy imports, first-touch of buffers

    def measured():
        out = None
        for _ in range(REPS):
            out = run()
        return out

    out = operator.call(measured)
    if isinstance(first, np.ndarray) and isinstance(out, np.ndarray):
        print(name, "repeatable:", bool(np.array_equal(first, out, equal_nan=True)))
    else:
        print(name, "ok")


if __name__ == "__main__":
    main()
