"""``pointvalue demo``: the whole scaling-law pipeline on data that needs no download."""

from __future__ import annotations

import time

import numpy as np

from ._cli_cluster import add_scheduler_argument, scheduler_client


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="value 400 handwritten digits with individualized scaling laws (no network, < 1 min)",
        description="Run the whole pipeline — marginal contributions of training points to a logistic "
        "regression, one scaling law c/k^α per point, distributional values, size-aware selection — on "
        "scikit-learn's bundled digits (even vs odd), or on generated data when scikit-learn is not "
        "installed, and write a report folder (CSV, Figure 1, summary). No network needed.",
    )
    p.add_argument("--out", default="pointvalue-demo", help="report folder (default ./pointvalue-demo)")
    p.add_argument("--points", type=int, default=400, help="training points to value (default 400)")
    p.add_argument("--samples", type=int, default=200, help="Δ samples per point (default 200)")
    p.add_argument("--heldout-samples", type=int, default=100,
                   help="held-out samples per size at k = 100, 200, 400, 800 (default 100)")
    p.add_argument("--dataset", choices=["digits", "synthetic"], default=None,
                   help="digits (needs scikit-learn; the default when installed) or synthetic")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_scheduler_argument(p)
    p.set_defaults(func=run)


def load_data(name, seed):
    """(X, y, description): digits even-vs-odd from scikit-learn, or a generated 2-class problem."""
    if name in (None, "digits"):
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            if name == "digits":
                raise SystemExit("error: --dataset digits needs scikit-learn (pip install scikit-learn)") from None
            name = "synthetic"
        else:
            X, digit = load_digits(return_X_y=True)
            return X.astype(np.float64), (digit % 2 == 0).astype(np.int64), (
                "scikit-learn digits (1,797 images of 8×8 pixels), label = even digit")
    rng = np.random.default_rng(seed)
    n, d = 1800, 20
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / np.sqrt(d) * 2.5
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ w))).astype(np.int64)
    flip = rng.random(n) < 0.05  # a few mislabeled points: they should get negative values
    y[flip] = 1 - y[flip]
    return X, y, "generated logistic data (1,800 × 20, 5% labels flipped)"


def run(args) -> int:
    from ._cli_scaling import n_workers
    from ._config import config
    from ._pipeline import run_pipeline

    t0 = time.perf_counter()
    cfg = config()
    print(f"pointvalue demo: kernels {cfg['isa_variant']}, OpenMP threads {cfg['max_threads']}")
    X, y, desc = load_data(args.dataset, args.seed)
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(y))
    n_val = len(y) - 1300
    val, pool = perm[:n_val], perm[n_val:]
    mu, sd = X[pool].mean(0), X[pool].std(0)
    sd[sd == 0] = 1.0
    X = (X - mu) / sd
    points = np.sort(rng.choice(len(pool), min(args.points, len(pool)), replace=False))
    print(f"data: {desc}; pool {len(pool)}, validation {len(val)}, valuing {len(points)} pool points")
    with scheduler_client(args.scheduler, n_workers(args)) as client:
        res = run_pipeline(
            X[pool], y[pool], X[val], y[val], model="logistic", points=points, n_samples=args.samples,
            sizes=(100, 1000), heldout_samples=args.heldout_samples, method="eb", out_dir=args.out,
            seed=args.seed, progress=not args.no_progress, client=client,
            title="pointvalue demo: individualized scaling laws, logistic regression on digits"
            if "digits" in desc else "pointvalue demo: individualized scaling laws, logistic regression",
        )
    laws = res["laws"]
    ok = laws.status == 0
    q = res["alpha_quantiles_10_25_50_75_90"]
    print()
    print(f"fitted {int(ok.sum())}/{len(laws)} laws: median α = {q[2]:.2f} (IQR {q[1]:.2f}–{q[3]:.2f})")
    print(f"reliable laws (ScalingLaws.reliable): {res['reliable_laws']} of {len(laws)}")
    if res["heldout_overall"] is not None:
        o = res["heldout_overall"]
        print(f"held-out check of the laws' predictions of ψ_k: overall R² {o['r2']:.2f} against a noise "
              f"ceiling of {o['ceiling']:.2f} (the R² the true ψ_k would get against the noisy held-out means)")
        print("  per k, R² / ceiling / Spearman: " + ", ".join(
            f"k={k}: {r:.2f} / {res['heldout_ceiling_per_k'][k]:.2f} / {res['heldout_spearman_per_k'][k]:.2f}"
            for k, r in res["heldout_per_k"].items()))
    budget = res["selection_budget"]
    print(f"top-{budget} points at k=100 and at k=999 overlap by "
          f"{100 * res['top_overlap_k100_vs_k999']:.0f}% (the best points depend on the size)")
    print(f"wrote {len(res['files'])} files ({time.perf_counter() - t0:.0f} s):")
    for path in res["files"]:
        print(f"  {path}")
    return 0
