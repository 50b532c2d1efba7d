"""Noisy-label detection and high-value removal with semivalues, influence and law-based values.

Datasets (both binary, features standardized on the pool):
* digits: scikit-learn's ``load_digits`` (8×8 images), label = digit is odd;
* CASP: /work/shared/data/CASP.csv (protein structures), label = RMSD above its median.
Each: a pool of ``N_POOL`` rows with 10% of the labels flipped, ``N_VAL`` clean validation rows
(the utility: −log loss of logistic regression with l2 = 1, i.e. ``LogisticRegression(C=1)``)
and ``N_TEST`` clean test rows for the removal curves. Sizes are modest on purpose: the machine
has 2 cores shared with other jobs.

Methods (each timed, one thread): TMC-Shapley (permutations, τ = 0.01), Beta(16, 1) Shapley
(permutations), Data Banzhaf (MSR), leave-one-out (exact), influence on the validation loss
(``∇L_valᵀ H⁻¹ ∇ℓ_i`` at the full fit, the classic first-order score), law-based distributional
values (``pv.marginal_contributions`` with k in [20, n − 1) + ``pv.fit_scaling_laws`` (its default
estimator) + ``pv.distributional_values`` (its default range)) and random order.

Outputs: ``bench/figures/semivalues_noisy.png`` (recall of the flipped labels among the lowest
valued points, by fraction inspected), ``bench/figures/semivalues_removal.png`` (test accuracy
after removing the highest valued points), and a markdown table on stdout.

Run: ``python bench/experiments_semivalues.py`` (about two minutes on a busy 2-core machine).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import pointvalue as pv

N_POOL, N_VAL, N_TEST, FLIP, SEED = 300, 300, 600, 0.10, 0
N_PERM, N_MSR, N_DELTA = 200, 6000, 40
CASP = Path(__file__).resolve().parents[2] / "shared" / "data" / "CASP.csv"
if not CASP.exists():
    CASP = Path("/work/shared/data/CASP.csv")
FIG = Path(__file__).resolve().parent / "figures"


def load(name):
    rng = np.random.default_rng(SEED)
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        y = (y % 2).astype(int)
    else:
        data = np.loadtxt(CASP, delimiter=",", skiprows=1)
        y, X = (data[:, 0] > np.median(data[:, 0])).astype(int), data[:, 1:]
    idx = rng.permutation(len(y))[: N_POOL + N_VAL + N_TEST]
    pool, val, test = idx[:N_POOL], idx[N_POOL:N_POOL + N_VAL], idx[N_POOL + N_VAL:]
    keep = X[pool].std(0) > 0
    X = X[:, keep]
    mu, sd = X[pool].mean(0), X[pool].std(0)
    X = (X - mu) / sd
    y_pool = y[pool].copy()
    flipped = rng.choice(N_POOL, int(FLIP * N_POOL), replace=False)
    y_pool[flipped] = 1 - y_pool[flipped]
    return X[pool], y_pool, X[val], y[val], X[test], y[test], flipped


def influence_values(X, y, Xv, yv, l2=1.0):
    """−(change of the validation loss when point i is up-weighted) = ∇L_valᵀ H⁻¹ ∇ℓ_i."""
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression(C=1 / l2, solver="newton-cholesky", tol=1e-10).fit(X, y)
    Xa, Xva = np.column_stack([X, np.ones(len(X))]), np.column_stack([Xv, np.ones(len(Xv))])
    theta = np.append(est.coef_.ravel(), est.intercept_)
    p, pv_ = 1 / (1 + np.exp(-Xa @ theta)), 1 / (1 + np.exp(-Xva @ theta))
    H = (Xa * (p * (1 - p))[:, None]).T @ Xa + np.diag(np.r_[np.full(X.shape[1], l2), 0.0])
    g_val = Xva.T @ (pv_ - yv) / len(yv)
    grads = Xa * (p - y)[:, None]
    return grads @ np.linalg.solve(H, g_val)


def run_methods(X, y, Xv, yv):
    u = pv.ModelUtility(X, y, Xv, yv, model="logistic")
    n = len(y)
    out = {}

    def timed(name, f):
        t = time.perf_counter()
        v = f()
        out[name] = (np.asarray(v, dtype=float), time.perf_counter() - t)

    kw = dict(random_state=SEED, n_jobs=1, progress=False)
    timed("Shapley (TMC)", lambda: pv.semivalues(u, n_samples=N_PERM, truncation=0.01, **kw).values)
    timed("Beta(16,1)", lambda: pv.semivalues(u, method="beta", n_samples=N_PERM, **kw).values)
    timed("Banzhaf (MSR)", lambda: pv.semivalues(u, method="banzhaf", sampler="msr", n_samples=N_MSR, **kw).values)
    timed("LOO", lambda: pv.semivalues(u, method="loo", **kw).values)
    timed("influence", lambda: influence_values(X, y, Xv, yv))

    def laws():
        sizes = (20, n - 1)
        c = pv.marginal_contributions(X, y, Xv, yv, model="logistic", n_samples=N_DELTA, sizes=sizes,
                                      random_state=SEED, n_jobs=1, progress=False)
        fitted = pv.fit_scaling_laws(c)
        v = np.full(n, np.nan)
        v[fitted.point] = pv.distributional_values(fitted)  # over the sampled range of k
        return np.nan_to_num(v, nan=0.0)

    timed("distributional (laws)", laws)
    timed("random", lambda: np.random.default_rng(SEED + 1).random(n))
    return out


def recall_curve(values, flipped, fractions):
    order = np.argsort(values, kind="stable")  # lowest first
    bad = np.zeros(len(values), bool)
    bad[flipped] = True
    return np.array([bad[order[: int(round(f * len(values)))]].sum() / bad.sum() for f in fractions])


def removal_curve(values, X, y, Xt, yt, fractions):
    from sklearn.linear_model import LogisticRegression

    order = np.argsort(-values, kind="stable")  # highest first
    acc = []
    for f in fractions:
        keep = order[int(round(f * len(values))):]
        if len(np.unique(y[keep])) < 2:
            acc.append(np.nan)
            continue
        est = LogisticRegression(C=1.0, max_iter=2000).fit(X[keep], y[keep])
        acc.append(est.score(Xt, yt))
    return np.array(acc)


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIG.mkdir(exist_ok=True)
    inspect = np.linspace(0, 0.5, 11)
    remove = np.linspace(0, 0.5, 11)
    fig_n, axes_n = plt.subplots(1, 2, figsize=(10, 3.8))
    fig_r, axes_r = plt.subplots(1, 2, figsize=(10, 3.8))
    rows = []
    for ax_n, ax_r, name in zip(axes_n, axes_r, ["digits", "CASP"]):
        X, y, Xv, yv, Xt, yt, flipped = load(name)
        res = run_methods(X, y, Xv, yv)
        for method, (v, secs) in res.items():
            rec = recall_curve(v, flipped, inspect)
            acc = removal_curve(v, X, y, Xt, yt, remove)
            k = len(flipped)
            low = np.argsort(v, kind="stable")[:k]
            prec10 = np.isin(low, flipped).mean()  # = recall at 10% (as many inspected as flipped)
            rows.append((name, method, prec10, rec[inspect.searchsorted(0.2)], acc[0], acc[remove.searchsorted(0.2)], secs))
            ax_n.plot(inspect, rec, marker="o", ms=3, label=method)
            ax_r.plot(remove, acc, marker="o", ms=3, label=method)
        ax_n.plot(inspect, np.minimum(inspect / FLIP, 1), "k:", lw=0.8, label="perfect")
        ax_n.set(title=f"{name}: flipped labels found", xlabel="fraction of pool inspected (lowest values first)",
                 ylabel="recall of flipped labels")
        ax_r.set(title=f"{name}: removing the most valuable points", xlabel="fraction removed (highest first)",
                 ylabel="test accuracy")
    axes_n[1].legend(fontsize=7)
    axes_r[1].legend(fontsize=7)
    fig_n.tight_layout()
    fig_r.tight_layout()
    fig_n.savefig(FIG / "semivalues_noisy.png", dpi=120)
    fig_r.savefig(FIG / "semivalues_removal.png", dpi=120)
    print(f"pool {N_POOL}, validation {N_VAL}, test {N_TEST}, {int(FLIP * 100)}% flipped; "
          f"{N_PERM} permutations, {N_MSR} MSR coalitions, {N_DELTA} Δ samples per point\n")
    print("| data | method | precision = recall at 10% inspected | recall at 20% | test acc (all) "
          "| test acc (top 20% removed) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.3f} | {r[5]:.3f} | {r[6]:.2f} |")


if __name__ == "__main__":
    main()
