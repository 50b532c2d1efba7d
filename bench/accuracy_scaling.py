"""Accuracy of the scaling-law estimators at the sample counts users run (issue 10's tables).

Run: ``python bench/accuracy_scaling.py [--quick]``. For m = 10, 25, 50, 100 samples per point
(k uniform on 100..999), compares

* ``mean``: the plain Monte Carlo mean of the point's Δ samples (an unbiased estimate of the
  distributional value over the sampled range; it has no law, hence no ψ_k),
* ``authors``: the faithful port of the authors' ``LikelihoodEstimator``
  (``pointvalue._reference.covert_likelihood_estimator``),
* ``mle``: ``fit_scaling_laws(method="mle")``, the exact maximum likelihood,
* ``eb``: ``fit_scaling_laws()`` (the default, empirical Bayes),

against a known truth: simulated laws (four regimes) and real Δ (digits even/odd and CASP
binarized at the median RMSD, logistic; CASP RMSD, least squares), whose truth is the mean of
2,000 uniform-k draws per point (value) and of 3,000 draws at each of 10 sizes (ψ_k). Metrics:
R² and Spearman of the distributional values, R² of ψ_k at the 10 sizes (pooled over points and
sizes), the share of exploding laws (|ψ̂_100| above 10× the largest true |ψ_100|) and, for eb,
the coverage of the nominal 90% value interval. Results go to ``bench/figures/accuracy_scaling.json``
and a markdown table on stdout. Real Δ are cached in ``$POINTVALUE_CACHE`` (default
``~/.cache/pointvalue``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

import pointvalue as pv
from pointvalue._reference import covert_likelihood_estimator

SIZES = np.unique(np.round(np.geomspace(100, 999, 10)).astype(int))
KS = np.arange(100, 1000)
CACHE = Path(os.environ.get("POINTVALUE_CACHE", Path.home() / ".cache" / "pointvalue"))
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "CASP.csv"


def simulate(rng, n_points, m, regime):
    """Δ ~ Normal(c k^−α, σ² (k/316)^−β 316^−2α): the noise-to-signal ratio at k = 316 is u."""
    c = rng.lognormal(-2, 1, n_points) * rng.choice([-1, 1], n_points, p=[0.15, 0.85])
    alpha = rng.uniform(0.6, 2.2, n_points)
    if regime == "beta=2alpha":
        beta, u = 2 * alpha + rng.uniform(-0.4, 0.4, n_points), rng.uniform(0.3, 2.0, n_points)
    elif regime == "beta independent, high noise":
        beta, u = rng.uniform(0.5, 5.0, n_points), rng.uniform(0.5, 5.0, n_points)
    elif regime == "low noise":
        beta, u = 2 * alpha + rng.uniform(-0.4, 0.4, n_points), rng.uniform(0.1, 0.5, n_points)
    else:  # "logistic-like": α ≈ 1.2, noise > signal, β < 2α (noise falls slower than ψ)
        alpha = rng.normal(1.2, 0.25, n_points).clip(0.3, 3)
        beta, u = alpha + rng.uniform(0.5, 1.5, n_points), rng.uniform(1, 4, n_points)
    point = np.repeat(np.arange(n_points), m)
    k = rng.integers(100, 1000, n_points * m)
    sd = np.abs(c[point]) * u[point] * (k / 316.0) ** (-beta[point] / 2) * 316.0 ** -alpha[point]
    d = c[point] * k ** -alpha[point] + sd * rng.standard_normal(len(k))
    value = c * np.mean(KS[None] ** -alpha[:, None], axis=1)
    return pv.Contributions(point, k, d), {"value": value, "psi": c[:, None] * SIZES[None] ** -alpha[:, None]}


def real_delta(name):
    """Cached real Δ: 100 training samples per point (k uniform) plus the high-sample truths."""
    path = CACHE / f"accuracy_{name}.npz"
    if path.exists():
        return dict(np.load(path))
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X, y, model, pool_n, val_n, seed = X / 16.0, (y % 2 == 0).astype(float), "logistic", 1300, 497, 0
    else:
        import pandas as pd

        df = pd.read_csv(DATA)
        y = df["RMSD"].to_numpy(float)
        X = StandardScaler().fit_transform(df.drop(columns="RMSD").to_numpy(float))
        if name == "casp_logistic":
            y, model, seed = (y > np.median(y)).astype(float), "logistic", 10
        else:
            y, model, seed = (y - y.mean()) / y.std(), "ols", 20
        pool_n, val_n = 3000, 3000
    perm = np.random.default_rng(seed).permutation(len(y))
    pool, val = perm[:pool_n], perm[pool_n:pool_n + val_n]
    args = (X[pool], y[pool], X[val], y[val])
    kw = {"model": model, "points": np.arange(120), "progress": False, "n_jobs": -1}
    train = pv.marginal_contributions(*args, n_samples=100, random_state=seed + 1, **kw)
    uni = pv.marginal_contributions(*args, n_samples=2000, random_state=seed + 2, **kw)
    grid = pv.marginal_contributions(*args, n_samples=3000, size_dist=SIZES, random_state=seed + 3, **kw)
    out = {"train_point": train.point, "train_k": train.k, "train_delta": train.delta,
           "uni_point": uni.point, "uni_delta": uni.delta,
           "grid_point": grid.point, "grid_k": grid.k, "grid_delta": grid.delta}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def real_case(name):
    z = real_delta(name)
    n = int(z["train_point"].max()) + 1
    value = np.bincount(z["uni_point"], weights=z["uni_delta"], minlength=n) / np.bincount(z["uni_point"], minlength=n)
    si = np.searchsorted(SIZES, z["grid_k"])
    psi = np.zeros((n, len(SIZES)))
    cnt = np.zeros((n, len(SIZES)))
    np.add.at(psi, (z["grid_point"], si), z["grid_delta"])
    np.add.at(cnt, (z["grid_point"], si), 1)
    order = np.argsort(z["train_point"], kind="stable")
    point, k, d = z["train_point"][order], z["train_k"][order], z["train_delta"][order]
    rank = np.arange(len(point)) - np.searchsorted(point, point)
    return (point, k, d, rank), {"value": value, "psi": psi / cnt}


def _r2(y, yhat):
    y, yhat = np.ravel(y), np.ravel(yhat)
    return float(1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2))


def _law_value(c, alpha):
    return c * np.mean(KS[None] ** -alpha[:, None], axis=1)


def estimates(contrib):
    """Each estimator's (value, ψ at SIZES, seconds) on one set of samples."""
    out = {}
    t = time.perf_counter()
    n = np.bincount(contrib.point)
    out["mean"] = (np.bincount(contrib.point, weights=contrib.delta) / n, None, time.perf_counter() - t)
    t = time.perf_counter()
    ref = covert_likelihood_estimator(contrib.point, contrib.k, contrib.delta)
    out["authors"] = (_law_value(ref["c"], ref["alpha"]), ref["c"][:, None] * SIZES[None] ** -ref["alpha"][:, None],
                      time.perf_counter() - t)
    for name, method in (("mle", "mle"), ("eb", "eb")):
        t = time.perf_counter()
        laws = pv.fit_scaling_laws(contrib, method=method, sizes=(100, 999), n_jobs=-1)
        dt = time.perf_counter() - t
        out[name] = (pv.distributional_values(laws, sizes=(100, 999)), laws.predict(SIZES[None, :].astype(float)), dt, laws)
    return out


def score(est, truth):
    rows = {}
    psi100_max = np.max(np.abs(truth["psi"][:, 0]))
    for name, (value, psi, dt, *rest) in est.items():
        row = {"value_r2": _r2(truth["value"], value), "value_spearman": float(spearmanr(truth["value"], value)[0]),
               "psi_r2": np.nan if psi is None else _r2(truth["psi"], psi),
               "exploding": np.nan if psi is None else float(np.mean(np.abs(psi[:, 0]) > 10 * psi100_max)),
               "seconds": dt}
        if rest:
            laws = rest[0]
            if name == "eb":  # the posterior interval is centred on the posterior mean
                z = (laws.value_mean - truth["value"]) / laws.value_se
                row["coverage90"] = float(np.mean(np.abs(z) < 1.6449))
            row["reliable"] = float(np.mean(laws.reliable()))
        rows[name] = row
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer simulated points, no real data")
    ap.add_argument("--out", default=str(Path(__file__).parent / "figures" / "accuracy_scaling.json"))
    args = ap.parse_args(argv)
    results = []
    n_sim = 500 if args.quick else 2000
    regimes = ["beta=2alpha", "beta independent, high noise", "low noise", "logistic-like"]
    for regime in regimes:
        for m in (10, 25, 50, 100):
            contrib, truth = simulate(np.random.default_rng(m), n_sim, m, regime)
            results.append({"data": f"simulated: {regime}", "m": m, "n_points": n_sim, **{"scores": score(estimates(contrib), truth)}})
            print(results[-1]["data"], m, flush=True)
    if not args.quick:
        for name in ("digits", "casp_logistic", "casp_ols"):
            (point, k, d, rank), truth = real_case(name)
            for m in (10, 25, 50, 100):
                sel = rank < m
                contrib = pv.Contributions(point[sel], k[sel], d[sel])
                results.append({"data": name, "m": m, "n_points": int(point.max()) + 1,
                                "scores": score(estimates(contrib), truth)})
                print(name, m, flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


def table(results):
    lines = ["| data | m | value R²: mean / authors / mle / **eb** | value Spearman: mean / authors / mle / **eb** "
             "| ψ_k R²: authors / mle / **eb** | exploding %: authors / mle / eb | eb 90% coverage | eb reliable % |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r["scores"]
        f = lambda key, names: " / ".join(f"{s[n][key]:.2f}" for n in names)  # noqa: E731
        lines.append(f"| {r['data']} | {r['m']} | {f('value_r2', ['mean', 'authors', 'mle', 'eb'])} "
                     f"| {f('value_spearman', ['mean', 'authors', 'mle', 'eb'])} | {f('psi_r2', ['authors', 'mle', 'eb'])} "
                     f"| {f('exploding', ['authors', 'mle', 'eb'])} "
                     f"| {s['eb']['coverage90']:.2f} | {100 * s['eb']['reliable']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
