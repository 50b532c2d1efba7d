"""``pointvalue scaling DATA.csv --target COLUMN``: contributions, laws and values for a CSV file.

``pointvalue scaling --reference-samples FILE.npy [--allow-pickle] --out DIR`` instead fits the laws
to a sample file of the scaling-laws authors' pipeline (see :mod:`pointvalue.reference_io`) and
writes them with the columns of its ``scaling_likelihood.py`` CSV first.
"""

from __future__ import annotations

import csv
import time

import numpy as np

from ._cli_cluster import add_scheduler_argument, scheduler_client


def register(sub) -> None:
    p = sub.add_parser(
        "scaling",
        help="value the rows of a CSV file with individualized scaling laws",
        description="Sample marginal contributions of training rows, fit a scaling law c/k^α per "
        "row and write laws, values, a goodness-of-fit table, Figure 1 and a summary to --out. "
        "With --reference-samples, fit the laws to a sample file of the authors' pipeline "
        "(iancovert/data-scaling) instead.",
    )
    p.add_argument("data", nargs="?", default=None,
                   help="CSV file with a header row; all columns but the target are features")
    p.add_argument("--target", default=None, help="name of the target column (required with DATA)")
    p.add_argument("--reference-samples", default=None, metavar="FILE.npy",
                   help="fit laws to a samples file of the reference pipeline (generate_samples.py / "
                   "combine_samples.py) instead of sampling; writes DIR/laws.csv with the columns "
                   "c, alpha, sigma, beta of its scaling_likelihood.py, then ours")
    p.add_argument("--allow-pickle", action="store_true",
                   help="with --reference-samples: unpickle the file (the reference saves a pickled "
                   "dict; unpickling runs code named in the file, so only for files you trust)")
    p.add_argument("--drop-missing", action="store_true",
                   help="with --reference-samples: drop draws of size 0 (never made) instead of failing")
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
    add_scheduler_argument(p)
    p.set_defaults(func=run)


def n_workers(args) -> int:
    """--n-jobs resolved: the worker processes of ``--scheduler local``."""
    from ._validation import check_n_jobs

    return check_n_jobs(getattr(args, "n_jobs", -1), "--n-jobs")


def load_and_split(args, *, sort_pool=False):
    """The CSV of `args.data` as a standardized design (pool statistics), the target (binarized
    for logistic models when asked), and a seeded validation / pool split. Returns
    (Xs, y, names, pool, val, rng); `rng` has drawn the split and goes on for further draws."""
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
    n_val = args.val_size or min(5000, int(0.3 * len(y)))
    perm = rng.permutation(len(y))
    val = perm[:n_val]
    pool = perm[n_val:] if args.pool is None else perm[n_val:n_val + args.pool]
    if sort_pool:
        pool = np.sort(pool)
    mu, sd = X[pool].mean(0), X[pool].std(0)
    sd[sd == 0] = 1.0
    return (X - mu) / sd, y, names, pool, val, rng


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
    if args.reference_samples is not None:
        if args.data is not None:
            raise SystemExit("error: give either DATA.csv or --reference-samples, not both")
        return run_reference(args)
    if args.data is None or args.target is None:
        raise SystemExit("error: DATA.csv and --target are required (or --reference-samples FILE.npy)")
    if args.allow_pickle or args.drop_missing:
        raise SystemExit("error: --allow-pickle and --drop-missing go with --reference-samples")
    from ._pipeline import run_pipeline

    Xs, y, names, pool, val, rng = load_and_split(args)
    n_points = min(args.points, len(pool))
    points = np.sort(rng.choice(len(pool), n_points, replace=False))
    with scheduler_client(args.scheduler, n_workers(args)) as client:
        res = run_pipeline(
            Xs[pool], y[pool], Xs[val], y[val], model=args.model, points=points, n_samples=args.samples,
            sizes=tuple(args.sizes), heldout_samples=args.heldout_samples, method=args.method, l2=args.l2,
            out_dir=args.out, seed=args.seed, progress=not args.no_progress,
            title=f"scaling laws: {args.data} ({args.model}, target {args.target})", client=client,
        )
    print((res["out"] / "summary.md").read_text())
    np.savetxt(res["out"] / "pool_rows.csv", pool, fmt="%d", header="csv_data_row", comments="")
    print(f"report written to {res['out']}/ (laws.csv `point` i = data row pool_rows.csv[i])")
    return 0


#: the columns of the reference's ``scaling_likelihood.py`` CSV, in its order (pandas' unnamed index
#: column, the row of the samples file, first)
REFERENCE_COLUMNS = ("alpha", "c", "sigma", "beta")


def write_reference_laws(path, laws, mean_nll) -> None:
    """laws.csv: ``,alpha,c,sigma,beta`` as the reference writes them, then our columns."""
    frame = [("point", laws.point, "%d"), ("mean_nll", mean_nll, "%.17g"), ("nll", laws.nll, "%.17g"),
             ("alpha_se", laws.alpha_se, "%.17g"), ("beta_se", laws.beta_se, "%.17g"),
             ("r2", laws.r2, "%.17g"), ("n_samples", laws.n_samples, "%d")]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["", *REFERENCE_COLUMNS, *(name for name, _, _ in frame), "status"])
        cols = [getattr(laws, name) for name in REFERENCE_COLUMNS]
        status = laws.status_name
        for i in range(len(laws.point)):
            w.writerow([i, *(repr(float(c[i])) for c in cols), *(fmt % v[i] for _, v, fmt in frame), status[i]])


def run_reference(args) -> int:
    """Laws of every row of a reference samples file, written in the reference's CSV layout."""
    from pathlib import Path

    from .contributions import Contributions
    from .scaling import fit_scaling_laws

    if args.method == "amortized":
        raise SystemExit("error: --method amortized needs the features; use mle or log with --reference-samples")
    t0 = time.perf_counter()
    try:
        contrib = Contributions.from_reference(args.reference_samples, allow_pickle=args.allow_pickle,
                                                  drop_missing=args.drop_missing)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: --reference-samples: {exc}") from None
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    laws = fit_scaling_laws(contrib, method=args.method)
    t_fit = time.perf_counter() - t1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mean_nll = laws.nll / np.maximum(laws.n_samples, 1)
    write_reference_laws(out / "laws.csv", laws, mean_nll)
    shape = contrib.meta["source"]["shape"]
    ok = laws.status == 0
    lines = [
        f"# scaling laws of {args.reference_samples}",
        "",
        f"{shape[0]} points × {shape[1]} draws ({len(contrib)} samples, k in [{contrib.k.min()}, "
        f"{contrib.k.max()}]); method {args.method}; read in {t_read:.2f} s, fitted in {t_fit:.2f} s.",
        f"{int(ok.sum())} laws ok; median α {np.nanmedian(laws.alpha[ok]) if ok.any() else float('nan'):.3f}.",
        "",
        "`laws.csv`: the columns of the reference's scaling_likelihood.py (`,alpha,c,sigma,beta`, one "
        "row per row of the samples file), then `point` (relevant_inds), `mean_nll` (the reference's "
        "objective), `nll` (total), `alpha_se`, `beta_se`, `r2`, `n_samples`, `status`.",
        "",
        "The reference's conventions differ from pointvalue's (see docs/reference_pipeline.md): its top "
        "size is never drawn, its subsets may contain z, and its classification metric applies the "
        "cross entropy to probabilities, so c and Δ are on its scale, not on the log loss's.",
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"laws written to {out / 'laws.csv'}")
    return 0
