"""``pointvalue scaling DATA.csv --target COLUMN``: contributions, laws and values for a CSV file."""

from __future__ import annotations

import csv

import numpy as np


def register(sub) -> None:
    p = sub.add_parser(
        "scaling",
        help="value the rows of a CSV file with individualized scaling laws",
        description="Sample marginal contributions of training rows, fit a scaling law c/k^α per "
        "row and write laws, values, a goodness-of-fit table, Figure 1 and a summary to --out.",
    )
    p.add_argument("data", help="CSV file with a header row; all columns but the target are features")
    p.add_argument("--target", required=True, help="name of the target column")
    p.add_argument("--model", choices=["logistic", "ols", "ridge"], default="logistic",
                   help="model whose validation loss defines Δ (default logistic)")
    p.add_argument("--binarize", default=None,
                   help="logistic on a numeric target: 'median' or a threshold; label = target > it")
    p.add_argument("--l2", type=float, default=None, help="penalty (default: the model's default)")
    p.add_argument("--pool", type=int, default=None,
                   help="rows drawn at random as the training pool (default: all but the validation rows)")
    p.add_argument("--val-size", type=int, default=None,
                   help="validation rows (default: 30%% of the data, at most 5000)")
    p.add_argument("--points", type=int, default=500, help="rows to value, drawn from the pool (default 500)")
    p.add_argument("--samples", type=int, default=100, help="Δ samples per point (default 100)")
    p.add_argument("--sizes", type=int, nargs=2, default=(100, 1000), metavar=("KMIN", "KMAX"),
                   help="k is uniform in [KMIN, KMAX) (default 100 1000)")
    p.add_argument("--heldout-samples", type=int, default=20,
                   help="held-out samples per size at k = 100, 200, 400, 800 (0: none; default 20)")
    p.add_argument("--method", choices=["eb", "mle", "log", "amortized"], default="eb",
                   help="law estimator (default mle)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def load_csv(path, target):
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    header = [h.strip() for h in header]
    if target not in header:
        raise SystemExit(f"error: --target {target!r} is not a column of {path} (columns: {', '.join(header)})")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    j = header.index(target)
    X = np.delete(data, j, axis=1)
    return X, data[:, j], [h for i, h in enumerate(header) if i != j]


def run(args) -> int:
    from ._pipeline import run_pipeline

    X, y, names = load_csv(args.data, args.target)
    if not np.isfinite(X).all() or not np.isfinite(y).all():
        raise SystemExit("error: the data contain NaN or infinite values")
    if args.model == "logistic":
        if args.binarize is not None:
            thr = np.median(y) if args.binarize == "median" else float(args.binarize)
            y = (y > thr).astype(np.int64)
        elif len(np.unique(y)) > 50:
            raise SystemExit("error: the target has many distinct values; use --model ols or --binarize")
    rng = np.random.default_rng(args.seed)
    n = len(y)
    n_val = args.val_size or min(5000, int(0.3 * n))
    perm = rng.permutation(n)
    val = perm[:n_val]
    pool = perm[n_val:] if args.pool is None else perm[n_val:n_val + args.pool]
    mu, sd = X[pool].mean(0), X[pool].std(0)
    sd[sd == 0] = 1.0
    Xs = (X - mu) / sd
    n_points = min(args.points, len(pool))
    points = np.sort(rng.choice(len(pool), n_points, replace=False))
    res = run_pipeline(
        Xs[pool], y[pool], Xs[val], y[val], model=args.model, points=points, n_samples=args.samples,
        sizes=tuple(args.sizes), heldout_samples=args.heldout_samples, method=args.method, l2=args.l2,
        out_dir=args.out, seed=args.seed, progress=not args.no_progress,
        title=f"scaling laws: {args.data} ({args.model}, target {args.target})",
    )
    print((res["out"] / "summary.md").read_text())
    np.savetxt(res["out"] / "pool_rows.csv", pool, fmt="%d", header="csv_data_row", comments="")
    print(f"report written to {res['out']}/ (laws.csv `point` i = data row pool_rows.csv[i])")
    return 0
