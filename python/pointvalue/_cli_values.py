"""``pointvalue values DATA.csv --target COL --method shapley --out values.csv``: semivalues of rows."""

from __future__ import annotations

import numpy as np

from ._cli_cluster import add_scheduler_argument, scheduler_client


def register(sub) -> None:
    p = sub.add_parser(
        "values",
        help="Data Shapley / Beta Shapley / Banzhaf / leave-one-out values of the rows of a CSV file",
        description="Split the rows into a training pool and a validation set, value every pool row "
        "by a semivalue of the model's validation score and write one row per pool row to --out "
        "(data_row, value, stderr, count).",
    )
    p.add_argument("data", help="CSV file with a header row; all columns but the target are features")
    p.add_argument("--target", required=True, help="name of the target column")
    p.add_argument("--method", choices=["shapley", "beta", "banzhaf", "loo"], default="shapley",
                   help="semivalue (default shapley)")
    p.add_argument("--beta", type=float, nargs=2, default=None, metavar=("ALPHA", "BETA"),
                   help="Beta Shapley parameters (default 16 1; Kwon & Zou's convention)")
    p.add_argument("--sampler", choices=["auto", "exact", "permutation", "antithetic", "msr", "stratified"],
                   default="auto", help="sampler (default auto)")
    p.add_argument("--model", choices=["logistic", "ols", "ridge"], default="logistic",
                   help="model whose validation score is the utility (default logistic)")
    p.add_argument("--metric", choices=["loss", "accuracy", "mse", "r2"], default="loss",
                   help="score (default loss: −log loss or −MSE)")
    p.add_argument("--binarize", default=None,
                   help="logistic on a numeric target: 'median' or a threshold; label = target > it")
    p.add_argument("--l2", type=float, default=None, help="penalty (default: the model's default)")
    p.add_argument("--pool", type=int, default=None,
                   help="rows drawn at random as the pool (default all but validation)")
    p.add_argument("--val-size", type=int, default=None, help="validation rows (default 30%%, at most 5000)")
    p.add_argument("--samples", type=int, default=None, help="permutations / coalitions / draws per row")
    p.add_argument("--truncation", type=float, default=None, help="relative TMC truncation (e.g. 0.01)")
    p.add_argument("--max-time", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output CSV file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_scheduler_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ._cli_scaling import load_and_split, n_workers
    from .semivalues import semivalues
    from .utility import ModelUtility

    Xs, y, _, pool, val, _ = load_and_split(args, sort_pool=True)
    with scheduler_client(args.scheduler, n_workers(args)) as client:
        try:
            u = ModelUtility(Xs[pool], y[pool], Xs[val], y[val], model=args.model, metric=args.metric, l2=args.l2)
            res = semivalues(u, method=args.method, beta_params=args.beta, sampler=args.sampler,
                             n_samples=args.samples, truncation=args.truncation, max_time=args.max_time,
                             random_state=args.seed, progress=not args.no_progress,
                             client=client)  # n_jobs: --n-jobs' context
        except (ValueError, TypeError) as exc:
            raise SystemExit(f"error: {exc}") from None
    table = np.column_stack([pool, res.values, res.stderr, res.counts])
    np.savetxt(args.out, table, delimiter=",", header="data_row,value,stderr,count", comments="",
               fmt=["%d", "%.10g", "%.6g", "%d"])
    top = res.ranking()[:5]
    print(f"{args.method} values of {len(pool)} rows ({res.meta['sampler']}, {res.meta['seconds']:.2f} s) "
          f"written to {args.out}; highest data rows: {', '.join(str(int(pool[i])) for i in top)}")
    return 0
