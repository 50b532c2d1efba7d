"""``pointvalue subsample``: an influence-based weighted subsample of a table."""

from __future__ import annotations

import os
import time

import numpy as np


def register(sub) -> None:
    from .subsampling import APPROXES, MODELS, SCORE_KINDS, TARGETS

    p = sub.add_parser(
        "subsample",
        help="draw an influence-based weighted subsample of a table (Ting & Brochu 2018)",
        description="Fit a pilot model on a uniform sample, score every other row by the norm of its "
        "influence, draw a Poisson sample of expected size N with probabilities proportional to the "
        "scores (floored), refit with weights 1/π and write the sampled rows with a `weight` column. "
        "Reads CSV, .npy (2-D, --target is a column number), .npz (arrays X and y, or one 2-D array) "
        "and Parquet (needs pyarrow).",
    )
    p.add_argument("data", help="input table: .csv, .npy, .npz or .parquet")
    p.add_argument("--target", help="response column (name, or number for .npy/.npz arrays)")
    p.add_argument("--model", choices=MODELS, default="ols", help="model (default ols)")
    p.add_argument("--size", type=int, required=True, help="expected sample size N")
    p.add_argument("--tau", type=float, default=0.5, help="quantile level for --model quantile (default 0.5)")
    p.add_argument("--approx", choices=APPROXES, default="exact", help="influence approximation (default exact)")
    p.add_argument("--scores", choices=SCORE_KINDS, default="influence", help="sampling design (default influence)")
    p.add_argument("--influence-target", choices=TARGETS, default="coef", dest="influence_target",
                   help="influence on the coefficients or on the predictions (default coef)")
    p.add_argument("--pilot-size", type=int, default=None, help="rows of the uniform pilot (default max(10(d+1), N/4))")
    p.add_argument("--min-prob", type=float, default=None, help="floor on the probabilities (default 0.1·N/m)")
    p.add_argument("--l2", type=float, default=0.0, help="L2 penalty (l2/2)·‖coef‖² (default 0)")
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh randomness)")
    p.add_argument("--out", required=True, help="output file for the sampled rows (.csv, .npz or .parquet)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _read_table(path, target):
    """Return (X, y, feature_names, target_name, frame_or_None)."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".npy", ".npz"):
        return _read_array(path, ext, target)
    if ext in (".csv", ".txt", ".parquet", ".pq"):
        return _read_frame(path, ext, target)
    raise SystemExit(f"error: unknown input format {ext!r} (use .csv, .npy, .npz or .parquet)")


def _read_array(path, ext, target):
    data = np.load(path, allow_pickle=False)
    if ext == ".npz":
        if "X" in data.files and "y" in data.files:
            X, y = np.asarray(data["X"]), np.asarray(data["y"])
            if X.ndim != 2:
                raise SystemExit(f"error: {path}: array X must be 2-D")
            return X, y, [f"x{j}" for j in range(X.shape[1])], "y", None
        if len(data.files) != 1:
            raise SystemExit(f"error: {path} must hold arrays X and y, or a single 2-D array")
        data = data[data.files[0]]
    A = np.asarray(data)
    if A.ndim != 2:
        raise SystemExit(f"error: {path} must hold a 2-D array, got shape {A.shape}")
    if target is None:
        raise SystemExit("error: --target (a column number) is required for array input")
    try:
        t = int(target)
    except ValueError:
        raise SystemExit(f"error: --target must be a column number for {ext} input, got {target!r}") from None
    if not -A.shape[1] <= t < A.shape[1]:
        raise SystemExit(f"error: --target {t} is out of range for {A.shape[1]} columns")
    t %= A.shape[1]
    keep = [j for j in range(A.shape[1]) if j != t]
    return A[:, keep], A[:, t], [f"c{j}" for j in keep], f"c{t}", None


def _read_frame(path, ext, target):
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if ext in (".parquet", ".pq"):
        if pd is None:
            raise SystemExit("error: reading Parquet needs pandas and pyarrow")
        try:
            df = pd.read_parquet(path)
        except ImportError as e:
            raise SystemExit(f"error: reading Parquet needs pyarrow ({e})") from None
    elif pd is not None:
        df = pd.read_csv(path)
    else:
        arr = np.genfromtxt(path, delimiter=",", names=True)
        names = list(arr.dtype.names or ())
        A = arr.view(np.float64).reshape(len(arr), -1)
        return (*_split_columns(A, names, target, path), None)
    if target is None or target not in df.columns:
        raise SystemExit(f"error: --target must name a column of {path}; columns: {list(df.columns)}")
    feats = [c for c in df.columns if c != target]
    nonnum = [c for c in feats if not np.issubdtype(df[c].dtype, np.number)]
    if nonnum:
        raise SystemExit(f"error: non-numeric feature columns {nonnum}; encode them first")
    return df[feats].to_numpy(dtype=np.float64), df[target].to_numpy(dtype=np.float64), feats, target, df


def _split_columns(A, names, target, path):
    if target is None or target not in names:
        raise SystemExit(f"error: --target must name a column of {path}; columns: {names}")
    t = names.index(target)
    keep = [j for j in range(len(names)) if j != t]
    return A[:, keep], A[:, t], [names[j] for j in keep], target


def _print_fit(title, names, coef, intercept, fit_intercept):
    print(title)
    width = max([len(n) for n in names] + [9])
    if fit_intercept:
        print(f"  {'intercept':<{width}}  {intercept: .6g}")
    for name, c in zip(names, coef):
        print(f"  {name:<{width}}  {c: .6g}")


def _write(path, X, y, names, target, idx, weights, frame):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        np.savez(path, X=X[idx], y=y[idx], weight=weights, index=idx)
        return
    if frame is not None:
        out = frame.iloc[idx].copy()
        out["weight"] = weights
        if ext in (".parquet", ".pq"):
            out.to_parquet(path, index=False)
        else:
            out.to_csv(path, index=False)
        return
    cols = names + [target, "weight"]
    data = np.column_stack([X[idx], y[idx], weights])
    np.savetxt(path, data, delimiter=",", header=",".join(cols), comments="", fmt="%.17g")


def run(args) -> int:
    from tqdm.auto import tqdm

    from .subsampling import InfluenceSampler

    if args.size <= 0:
        raise SystemExit("error: --size must be positive")
    bar = tqdm(total=3, desc="read", disable=args.no_progress, unit="step")
    t0 = time.perf_counter()
    X, y, names, target, frame = _read_table(args.data, args.target)
    n, d = X.shape
    bar.update(1)
    bar.set_description("pilot, scores, sample, refit")
    sampler = InfluenceSampler(
        model=args.model, target=args.influence_target, size=args.size, pilot_size=args.pilot_size,
        scores=args.scores, approx=args.approx, tau=args.tau, min_prob=args.min_prob,
        fit_intercept=not args.no_intercept, l2=args.l2, random_state=args.seed, n_jobs=args.n_jobs,
    )
    try:
        sampler.fit(X, y)
    except (ValueError, TypeError) as e:
        bar.close()
        raise SystemExit(f"error: {e}") from None
    bar.update(1)
    bar.set_description("write")
    _write(args.out, X, y, names, target, sampler.indices_, sampler.weights_, frame)
    bar.update(1)
    bar.close()
    elapsed = time.perf_counter() - t0
    print(f"pointvalue subsample: {n} rows × {d} features, model {args.model}"
          + (f" (tau={args.tau})" if args.model == "quantile" else "")
          + f", scores {args.scores} ({args.influence_target}, approx {args.approx})")
    _print_fit(f"pilot fit on a uniform sample of {sampler.pilot_size_} rows:", names,
               sampler.pilot_coef_, sampler.pilot_intercept_, not args.no_intercept)
    _print_fit(f"weighted fit on the subsample: {len(sampler.indices_)} rows (expected {args.size}), "
               f"weights {sampler.weights_.min():.4g}..{sampler.weights_.max():.4g}:", names,
               sampler.coef_, sampler.intercept_, not args.no_intercept)
    print(f"wrote {len(sampler.indices_)} rows with a `weight` column to {args.out} ({elapsed:.2f} s)")
    return 0
