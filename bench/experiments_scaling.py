"""Experiments for individualized scaling laws (results in ``bench/README_scaling.md``).

Run ``python bench/experiments_scaling.py [theory|logistic|valuation|addition|all]``; figures go to
``bench/figures/``, numbers to ``bench/figures/scaling_results.json``, sampled contributions are
cached in ``bench/.cache_scaling/`` (not versioned).

1. theory: OLS in the theorem's setting (pool and validation fresh draws of one Gaussian linear
   model, large) gives α ≈ 2; a finite pool and validation set pull α toward 1.
2. logistic: logistic regression on scikit-learn's digits (even vs odd) and on CASP (RMSD above
   its median): R² of the laws' predictions against held-out empirical ψ_k per cardinality (with
   the noise ceiling of the held-out means), and the α histogram.
3. valuation: distributional values from m samples per point (Monte Carlo mean, mle laws,
   amortized laws) against a ground truth from 1,000 samples per point.
4. addition: add the top 100 points by c/k^α at k = 500, by mean Δ, or at random to random base
   pools of 500; test accuracy gain over ≥ 200 trials.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import pointvalue as pv

HERE = Path(__file__).resolve().parent
FIG = HERE / "figures"
CACHE = HERE / ".cache_scaling"
RESULTS = FIG / "scaling_results.json"
CASP = HERE.parents[1] / "shared" / "data" / "CASP.csv"
if not CASP.exists():
    CASP = Path("/work/shared/data/CASP.csv")


def _save(key, value):
    FIG.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[key] = value
    RESULTS.write_text(json.dumps(data, indent=2, default=float))


def _cached(name, fn):
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}.npz"
    if path.exists():
        return pv.Contributions.load(path)
    t0 = time.perf_counter()
    c = fn()
    c.meta["seconds"] = time.perf_counter() - t0
    c.save(path)
    return c


def _plt():
    FIG.mkdir(exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def noise_ceiling(held):
    """R² that the true ψ_k itself would reach against the held-out means, per k:
    ``1 − mean(s²/n) / var(means)`` with s² the sample variance of each (point, k) pair."""
    gp, gk, gm, gn = pv.scaling.empirical_means(held)
    sq = pv.Contributions(held.point, held.k, held.delta**2)
    _, _, gm2, _ = pv.scaling.empirical_means(sq)
    var_mean = (gm2 - gm**2) * gn / np.maximum(gn - 1, 1) / gn
    out = {}
    for kk in np.unique(gk):
        s = gk == kk
        out[int(kk)] = float(1 - np.mean(var_mean[s]) / np.var(gm[s]))
    return out


# ------------------------------------------------------------------------------------------------
# 1. theory check
# ------------------------------------------------------------------------------------------------


def theory():
    d = 5
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(d)

    def draw(n):
        X = rng.standard_normal((n, d))
        return X, X @ theta + rng.standard_normal(n)

    sizes = np.array([50, 100, 200, 400, 800])
    settings = {
        "large (pool 200k, validation 200k)": (200_000, 200_000),
        "finite (pool 2,000, validation 200)": (2_000, 200),
    }
    out = {}
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for (label, (n_pool, n_val)), color in zip(settings.items(), ["tab:blue", "tab:orange"]):
        X, y = draw(n_pool)
        Xv, yv = draw(n_val)
        points = np.arange(60)
        contrib = _cached(
            f"theory_{n_pool}_{n_val}",
            lambda: pv.marginal_contributions(X, y, Xv, yv, model="ols", points=points, n_samples=4000,
                                              size_dist=sizes, random_state=1, progress=True, n_jobs=-1),
        )
        laws = pv.fit_scaling_laws(contrib)
        ok = laws.status == 0
        a = laws.alpha[ok]
        gp, gk, gm, gn = pv.scaling.empirical_means(contrib)
        # α of the per-point mean Δ by least squares on log|mean| (many draws per k: means are precise)
        logfit = pv.fit_scaling_laws(contrib, method="log")
        out[label] = {
            "alpha_mle_median": float(np.median(a)),
            "alpha_mle_iqr": [float(np.percentile(a, 25)), float(np.percentile(a, 75))],
            "alpha_log_median": float(np.nanmedian(logfit.alpha)),
            "r2_log_median": float(np.nanmedian(logfit.r2)),
            "samples": len(contrib),
            "seconds": contrib.meta.get("seconds"),
        }
        axes[0].hist(a, bins=30, alpha=0.6, color=color, label=f"{label}: median {np.median(a):.2f}")
        mean_abs = np.array([np.mean(np.abs(gm[gk == kk])) for kk in sizes])
        axes[1].loglog(sizes, mean_abs, "o-", color=color, label=label)
        for j in points[:3]:
            s = gp == j
            axes[2].loglog(gk[s], np.abs(gm[s]), "o-", color=color, alpha=0.7)
    ref = np.array(sizes, float)
    first = axes[1].lines[0].get_ydata()[0]
    axes[1].loglog(ref, first * (ref / ref[0]) ** -2.0, "k--", label="slope −2")
    axes[1].loglog(ref, first * (ref / ref[0]) ** -1.0, "k:", label="slope −1")
    axes[0].axvline(2.0, color="k", ls="--")
    axes[0].set_xlabel("α (mle)")
    axes[0].set_title("OLS: α per point")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("k")
    axes[1].set_title("mean |ψ_k| over points")
    axes[1].legend(fontsize=7)
    axes[2].set_xlabel("k")
    axes[2].set_title("|mean Δ| of 3 points (blue: large, orange: finite)")
    fig.tight_layout()
    fig.savefig(FIG / "scaling_theory_ols.png", dpi=110)
    _save("theory", out)
    print(json.dumps(out, indent=2))


# ------------------------------------------------------------------------------------------------
# 2. logistic: digits and CASP
# ------------------------------------------------------------------------------------------------


def _digits():
    from sklearn.datasets import load_digits

    X, dg = load_digits(return_X_y=True)
    return X.astype(float), (dg % 2 == 0).astype(np.int64)


def _casp():
    data = np.loadtxt(CASP, delimiter=",", skiprows=1)
    y = (data[:, 0] > np.median(data[:, 0])).astype(np.int64)
    return data[:, 1:], y


def _split(X, y, n_pool, n_val, seed=0):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    pool, val, rest = perm[:n_pool], perm[n_pool:n_pool + n_val], perm[n_pool + n_val:]
    mu, sd = X[pool].mean(0), X[pool].std(0)
    sd[sd == 0] = 1
    Xs = (X - mu) / sd
    return Xs, pool, val, rest


def logistic():
    plt = _plt()
    out = {}
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for row, (name, loader, n_pool, n_val) in enumerate(
        [("digits", _digits, 1300, 497), ("CASP", _casp, 5000, 5000)]
    ):
        X, y = loader()
        Xs, pool, val, _ = _split(X, y, n_pool, n_val)
        points = np.arange(400)
        fitc = _cached(f"logistic_{name}_fit", lambda: pv.marginal_contributions(
            Xs[pool], y[pool], Xs[val], y[val], model="logistic", points=points, n_samples=200,
            random_state=2, progress=True, n_jobs=-1))
        held = _cached(f"logistic_{name}_held", lambda: pv.marginal_contributions(
            Xs[pool], y[pool], Xs[val], y[val], model="logistic", points=points, n_samples=200,
            size_dist=np.array([100, 200, 400, 800]), random_state=3, progress=True, n_jobs=-1))
        res = {}
        for method in ("mle", "log"):
            laws = pv.fit_scaling_laws(fitc, method=method)
            gof = laws.goodness_of_fit(held)
            res[method] = {"overall": gof["overall"],
                           "per_k": {int(k): float(r) for k, r in zip(gof["k"], gof["r2"])},
                           "spearman_per_k": {int(k): float(r) for k, r in zip(gof["k"], gof["spearman"])},
                           "alpha_quantiles": [float(v) for v in np.nanpercentile(laws.alpha, [10, 25, 50, 75, 90])]}
            if method == "mle":
                mle = laws
        # laws fitted to the held-out design itself (50 draws at each of 4 sizes): the paper's setup
        laws_h = pv.fit_scaling_laws(held)
        half = np.random.default_rng(0).random(len(held)) < 0.5
        h1 = pv.Contributions(held.point[half], held.k[half], held.delta[half])
        h2 = pv.Contributions(held.point[~half], held.k[~half], held.delta[~half])
        gof_split = pv.fit_scaling_laws(h1).goodness_of_fit(h2)
        res["laws_from_half_of_fixed_k_design"] = {
            "overall": gof_split["overall"],
            "per_k": {int(k): float(r) for k, r in zip(gof_split["k"], gof_split["r2"])}}
        res["noise_ceiling_per_k"] = noise_ceiling(held)
        ok = mle.status == 0
        res["share_alpha_in_1_1.5"] = float(np.mean((mle.alpha[ok] >= 1) & (mle.alpha[ok] <= 1.5)))
        res["seconds_fit_samples"] = fitc.meta.get("seconds")
        res["delta_mean_sd"] = [float(np.mean(fitc.delta)), float(np.std(fitc.delta))]
        out[name] = res
        axes[row, 0].hist(np.clip(mle.alpha[ok], 0, 7.4), bins=40, alpha=0.7, label="mle (k uniform, 200/pt)")
        axes[row, 0].hist(np.clip(laws_h.alpha[laws_h.status == 0], 0, 7.4), bins=40, alpha=0.5,
                          label="mle (4 sizes × 50/pt)")
        axes[row, 0].set_title(f"{name}: α per point")
        axes[row, 0].set_xlabel("α")
        axes[row, 0].legend(fontsize=8)
        ks = sorted(res["mle"]["per_k"])
        axes[row, 1].plot(ks, [res["mle"]["per_k"][k] for k in ks], "o-", label="mle laws vs held-out")
        axes[row, 1].plot(ks, [res["log"]["per_k"][k] for k in ks], "s-", label="log laws vs held-out")
        axes[row, 1].plot(ks, [res["laws_from_half_of_fixed_k_design"]["per_k"][k] for k in ks], "^-",
                          label="mle on half of fixed-k draws vs other half")
        axes[row, 1].plot(ks, [res["noise_ceiling_per_k"][k] for k in ks], "k--", label="noise ceiling (true ψ_k vs held-out means)")
        axes[row, 1].set_xscale("log")
        axes[row, 1].set_ylim(-1, 1)
        axes[row, 1].set_title(f"{name}: R² of predicted vs held-out ψ_k")
        axes[row, 1].set_xlabel("k")
        axes[row, 1].legend(fontsize=7)
        f1 = mle.plot(held_out=held)
        f1.suptitle(f"Figure 1 on {name}: laws from 200 draws per point (k uniform in [100, 1000)), "
                    "R² against 50 held-out draws at each of 4 sizes")
        f1.savefig(FIG / f"scaling_figure1_{name}.png", dpi=100)
        plt.close(f1)
    fig.tight_layout()
    fig.savefig(FIG / "scaling_logistic.png", dpi=110)
    _save("logistic", out)
    print(json.dumps(out, indent=2, default=float))


# ------------------------------------------------------------------------------------------------
# 3. valuation accuracy vs samples per point
# ------------------------------------------------------------------------------------------------


def valuation():
    from scipy import stats

    X, y = _digits()
    Xs, pool, val, _ = _split(X, y, 1300, 497)
    points = np.arange(300)
    big = _cached("valuation_truth", lambda: pv.marginal_contributions(
        Xs[pool], y[pool], Xs[val], y[val], model="logistic", points=points, n_samples=1000,
        random_state=4, progress=True, n_jobs=-1))
    order = np.argsort(big.point, kind="stable")
    P = big.point[order].reshape(len(points), -1)
    K = big.k[order].reshape(len(points), -1)
    D = big.delta[order].reshape(len(points), -1)
    truth = D.mean(1)  # distributional value over k uniform in [100, 1000): the MC mean of all draws
    out = {}
    rng = np.random.default_rng(0)
    for m in (10, 25, 50, 100, 200):
        reps = {"mc_mean": [], "mle": [], "amortized": []}
        for rep in range(3):
            cols = rng.choice(D.shape[1], m, replace=False)
            sub = pv.Contributions(P[:, cols].ravel(), K[:, cols].ravel(), D[:, cols].ravel())
            est = {"mc_mean": D[:, cols].mean(1)}
            est["mle"] = pv.distributional_values(pv.fit_scaling_laws(sub), sizes=(100, 999))
            am = pv.fit_scaling_laws(sub, "amortized", X=Xs[pool], y=y[pool], random_state=rep)
            est["amortized"] = pv.distributional_values(am, sizes=(100, 999))
            for key, v in est.items():
                ok = np.isfinite(v)
                r2 = 1 - np.sum((truth[ok] - v[ok]) ** 2) / np.sum((truth[ok] - truth[ok].mean()) ** 2)
                reps[key].append((r2, stats.pearsonr(truth[ok], v[ok])[0], stats.spearmanr(truth[ok], v[ok])[0]))
        out[m] = {key: dict(zip(("r2", "pearson", "spearman"), np.mean(vals, 0).tolist())) for key, vals in reps.items()}
        print(m, out[m])
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ms = sorted(out)
    for i, metric in enumerate(("r2", "pearson", "spearman")):
        for key in ("mc_mean", "mle", "amortized"):
            axes[i].plot(ms, [out[m][key][metric] for m in ms], "o-", label=key)
        axes[i].set_xscale("log")
        axes[i].set_xlabel("samples per point")
        axes[i].set_title(f"{metric} vs ground truth (1000 samples/pt)")
        axes[i].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIG / "scaling_valuation.png", dpi=110)
    _save("valuation", {str(k): v for k, v in out.items()})


# ------------------------------------------------------------------------------------------------
# 4. point addition
# ------------------------------------------------------------------------------------------------


def addition(trials=200, n_add=100):
    from sklearn.linear_model import LogisticRegression

    X, y = _casp()
    Xs, pool, val, test = _split(X, y, 8000, 2000, seed=5)
    test = test[:10000]
    cand = np.arange(1000)  # candidate points (valued); base pools come from the rest of the pool
    contrib = _cached("addition_casp", lambda: pv.marginal_contributions(
        Xs[pool], y[pool], Xs[val], y[val], model="logistic", points=cand, n_samples=100,
        sizes=(200, 1000), random_state=6, progress=True, n_jobs=-1))
    laws = pv.fit_scaling_laws(contrib)
    gp, gk, gm, gn = pv.scaling.empirical_means(contrib)
    mean_delta = np.bincount(np.searchsorted(laws.point, gp), weights=gm * gn) / laws.n_samples
    yp_all = y[pool]
    # class-proportional (balance=True) selections; mean Δ ranked the same way through a constant law
    top_law = pv.select_points(laws, 500, n_add, labels=yp_all)
    flat = pv.ScalingLaws(laws.point, mean_delta, np.zeros(len(laws)), laws.sigma, laws.beta, laws.nll,
                          np.full(len(laws), np.nan), np.zeros(len(laws), np.int8), laws.n_samples, "mean")
    top_mean = pv.select_points(flat, 500, n_add, labels=yp_all)
    top_law_unbal = pv.select_points(laws, 500, n_add)
    rest = np.setdiff1d(np.arange(len(pool)), cand)
    rng = np.random.default_rng(7)
    arms = {"law c/k^α at k=500": top_law, "mean Δ": top_mean,
            "law, not class-balanced": top_law_unbal}
    gains = {key: [] for key in list(arms) + ["random"]}
    lgains = {key: [] for key in gains}
    base_acc = []
    Xp, yp = Xs[pool], y[pool]
    Xt, yt = Xs[test], y[test]

    def score(idx):
        m = LogisticRegression(C=1.0, max_iter=1000).fit(Xp[idx], yp[idx])
        p = np.clip(m.predict_proba(Xt)[:, 1], 1e-12, 1 - 1e-12)
        return m.score(Xt, yt), -np.mean(yt * np.log(p) + (1 - yt) * np.log(1 - p))

    for _ in range(trials):
        base = rng.choice(rest, 500, replace=False)
        a0, l0 = score(base)
        base_acc.append(a0)
        added = dict(arms, random=rng.choice(cand, n_add, replace=False))
        for key, extra in added.items():
            a1, l1 = score(np.concatenate([base, extra]))
            gains[key].append(a1 - a0)
            lgains[key].append(l0 - l1)
    out = {key: {"mean_gain": float(np.mean(v)), "se": float(np.std(v, ddof=1) / np.sqrt(len(v))),
                 "mean_logloss_drop": float(np.mean(lgains[key])),
                 "se_logloss": float(np.std(lgains[key], ddof=1) / np.sqrt(len(v)))}
           for key, v in gains.items()}
    out["class1_share"] = {key: float(np.mean(yp_all[idx])) for key, idx in arms.items()}
    out["class1_share_candidates"] = float(np.mean(yp_all[cand]))
    out["base_accuracy"] = float(np.mean(base_acc))
    out["overlap_top_law_vs_mean"] = int(len(np.intersect1d(top_law, top_mean)))
    out["trials"] = trials
    out["n_add"] = n_add
    _save(f"addition_{n_add}", out)
    print(json.dumps(out, indent=2))
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    keys = list(gains)
    colors = ["tab:green", "tab:blue", "tab:olive", "tab:gray"]
    axes[0].bar(range(len(keys)), [100 * out[k]["mean_gain"] for k in keys],
                yerr=[200 * out[k]["se"] for k in keys], color=colors, capsize=4)
    axes[0].set_ylabel("test accuracy gain (points of %) ± 2 SE")
    axes[1].bar(range(len(keys)), [out[k]["mean_logloss_drop"] for k in keys],
                yerr=[2 * out[k]["se_logloss"] for k in keys], color=colors, capsize=4)
    axes[1].set_ylabel("test log-loss decrease ± 2 SE")
    for ax in axes:
        ax.set_xticks(range(len(keys)), keys, rotation=15, fontsize=8)
        ax.axhline(0, color="k", lw=0.5)
    fig.suptitle(f"CASP (RMSD > median): add {n_add} points to random pools of 500, {trials} trials")
    fig.tight_layout()
    fig.savefig(FIG / f"scaling_addition_{n_add}.png", dpi=110)


if __name__ == "__main__":
    which = sys.argv[1:] or ["all"]
    for name, fn in (("theory", theory), ("logistic", logistic), ("valuation", valuation),
                     ("addition", lambda: (addition(n_add=100), addition(n_add=10)))):
        if "all" in which or name in which:
            t0 = time.perf_counter()
            fn()
            print(f"{name}: {time.perf_counter() - t0:.0f} s")
