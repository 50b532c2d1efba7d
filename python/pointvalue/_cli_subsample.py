"""``pointvalue subsample``: an influence-based weighted subsample of a table."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np


def register(sub) -> None:
    from .subsampling import APPROXES, MODELS, SCORE_KINDS, TARGETS

    p = sub.add_parser(
        "subsample",
        help="draw an influence-based weighted subsample of a table (Ting & Brochu 2018)",
        description="Fit a pilot model on a uniform sample, score every other row by the norm of its "
        "influence, draw a Poisson sample of expected size N with probabilities proportional to the "
        "scores (floored), refit with weights 1/π and write the sampled rows with a `weight` column "
        "(atomically: a temporary file renamed at the end). "
        "Reads CSV, .npy (2-D, --target is a column number), .npz (arrays X and y, or one 2-D array), "
        "Parquet files and directories (needs pyarrow) and Zarr (a 2-D array, or a group with arrays X "
        "and y; needs zarr). Larger than memory: Zarr stores and Parquet directories are always read by "
        "row chunks with dask (pip install 'pointvalue[dask]'), and so are .npy (memory-mapped) and "
        "Parquet files larger than a quarter of the physical memory, or any of them with --scheduler or "
        "--chunked; the sample is the in-memory one for the same --seed. CSV and .npz are read into memory.",
    )
    p.add_argument("data", help="input table: .csv, .npy, .npz, .parquet (file or directory) or a Zarr store")
    p.add_argument("--target", help="response column (name, or number for .npy/.npz/Zarr arrays)")
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
    g = p.add_argument_group("larger than memory (dask)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="read by chunks on a dask cluster: the address of its scheduler (tcp://host:8786), or "
                   "'local' for a LocalCluster of worker processes on this machine")
    g.add_argument("--n-workers", type=int, default=None, dest="n_workers", metavar="N",
                   help="worker processes of --scheduler local (default: one per core)")
    g.add_argument("--memory-limit", default="auto", dest="memory_limit", metavar="BYTES",
                   help="memory limit per worker of --scheduler local, e.g. 1GB (default auto: the "
                   "physical memory shared by the workers)")
    g.add_argument("--chunked", action="store_true",
                   help="read by chunks (dask's default threaded scheduler without --scheduler) whatever the size")
    g.add_argument("--chunk-rows", type=int, default=None, dest="chunk_rows", metavar="ROWS",
                   help=".npy and Zarr: rows per chunk (default: about 96 MB per chunk; Parquet: one chunk "
                   "per partition)")
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


@dataclass
class _Sample:
    """The written rows: X and y rows, their original indices and weights, and, for table input,
    the original rows (every column, the file's dtypes) that get the `weight` column."""

    X: np.ndarray
    y: np.ndarray
    names: list
    target: str
    index: np.ndarray
    weights: np.ndarray
    frame: object = None


_OUT_FORMATS = (".csv", ".txt", ".npz", ".parquet", ".pq")


def _check_out(path):
    """Fail before the (long) run on an output that cannot be written."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in _OUT_FORMATS:
        raise SystemExit(f"error: --out must end in one of {', '.join(_OUT_FORMATS)}, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SystemExit(f"error: the folder of --out does not exist: {folder}")


def _write(path, sample):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        np.savez(path, X=sample.X, y=sample.y, weight=sample.weights, index=sample.index)
        return
    if sample.frame is not None:
        out = sample.frame.reset_index(drop=True)
        out["weight"] = sample.weights
        if ext in (".parquet", ".pq"):
            out.to_parquet(path, index=False)
        else:
            out.to_csv(path, index=False)
        return
    if ext in (".parquet", ".pq"):
        import pandas as pd

        cols = dict(zip(sample.names, sample.X.T))
        cols[sample.target] = sample.y
        cols["weight"] = sample.weights
        pd.DataFrame(cols).to_parquet(path, index=False)
        return
    cols = sample.names + [sample.target, "weight"]
    data = np.column_stack([sample.X, sample.y, sample.weights])
    np.savetxt(path, data, delimiter=",", header=",".join(cols), comments="", fmt="%.17g")


def _write_atomic(path, sample):
    """Write to a temporary file beside `path`, then rename it: `path` is either the whole
    output or untouched (an old file stays as it was) when writing fails."""
    folder, base = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        _write(tmp, sample)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 → the permissions a plain open() gives
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------------------------------------
# in memory or by chunks


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        try:
            import psutil
        except ImportError:
            return None
        return int(psutil.virtual_memory().total)


def _file_size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(r, f)) for r, _, files in os.walk(path) for f in files)
    return os.path.getsize(path)


def use_chunks(path, scheduler=None, chunked=False):
    """The rule: by chunks with ``--scheduler`` or ``--chunked``, for a Zarr store or a Parquet
    directory, and for a ``.npy`` or Parquet file larger than a quarter of the physical memory
    (the in-memory path holds the table, the design copy and the scores); in memory otherwise
    (CSV and ``.npz`` are always read into memory)."""
    from ._cli_subsample_dask import is_chunked_format

    if not os.path.exists(path):
        raise SystemExit(f"error: no such file or directory: {path}")
    ext = os.path.splitext(path.rstrip("/\\"))[1].lower()
    if is_chunked_format(path):
        return True
    if ext in (".csv", ".txt", ".npz"):
        if scheduler is not None or chunked:
            raise SystemExit(f"error: {ext} input is read into memory; for the chunked path "
                             "(--scheduler, --chunked) convert it to Parquet, .npy or Zarr")
        return False
    if scheduler is not None or chunked:
        return True
    ram = _physical_memory()
    return ext in (".npy", ".parquet", ".pq") and ram is not None and _file_size(path) > ram / 4


def _sampler(args):
    from .subsampling import InfluenceSampler

    return InfluenceSampler(
        model=args.model, target=args.influence_target, size=args.size, pilot_size=args.pilot_size,
        scores=args.scores, approx=args.approx, tau=args.tau, min_prob=args.min_prob,
        fit_intercept=not args.no_intercept, l2=args.l2, random_state=args.seed, n_jobs=args.n_jobs,
    )


def _fit(sampler, X, y):
    try:
        sampler.fit(X, y)
    except (ValueError, TypeError, NotImplementedError) as e:
        raise SystemExit(f"error: {e}") from None


def _run_memory(args, bar):
    X, y, names, target, frame = _read_table(args.data, args.target)
    bar.update(1)
    bar.set_description("pilot, scores, sample, refit")
    sampler = _sampler(args)
    _fit(sampler, X, y)
    idx = sampler.indices_
    sample = _Sample(X[idx], y[idx], names, target, idx, sampler.weights_,
                     None if frame is None else frame.iloc[idx])
    return sampler, sample, X.shape, ""


def _run_chunked(args, bar):
    from . import _cli_subsample_dask as chunked

    with chunked.scheduler(args.scheduler, args.n_workers, args.memory_limit) as client:
        table = chunked.read_chunked(args.data, args.target, args.chunk_rows)
        chunked.check_known_chunks(table.X)
        bar.update(1)
        bar.set_description("pilot, scores, sample, refit (dask)")
        sampler = _sampler(args)
        with chunked.progress(not args.no_progress, client):
            _fit(sampler, table.X, table.y)
            idx = np.asarray(sampler.indices_, dtype=np.int64)
            Xs, ys, rows = table.take(idx)
        where = "dask's default scheduler" if client is None else f"the dask scheduler {client.scheduler.address}"
    names = table.feature_names
    sample = _Sample(Xs, ys, names, table.columns[table.target], idx, sampler.weights_, rows)
    note = f"read by chunks: {table.n_chunks} chunks of ≤ {max(table.X.chunks[0])} rows, on {where}\n"
    return sampler, sample, table.X.shape, note


def run(args) -> int:
    from tqdm.auto import tqdm

    if args.size <= 0:
        raise SystemExit("error: --size must be positive")
    if args.n_workers is not None and args.n_workers <= 0:
        raise SystemExit("error: --n-workers must be positive")
    if args.chunk_rows is not None and args.chunk_rows <= 0:
        raise SystemExit("error: --chunk-rows must be positive")
    _check_out(args.out)
    by_chunks = use_chunks(args.data, args.scheduler, args.chunked)
    bar = tqdm(total=3, desc="read", disable=args.no_progress, unit="step")
    t0 = time.perf_counter()
    try:
        sampler, sample, (n, d), note = (_run_chunked if by_chunks else _run_memory)(args, bar)
        bar.update(1)
        bar.set_description("write")
        _write_atomic(args.out, sample)
        bar.update(1)
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    names = sample.names
    print(f"pointvalue subsample: {n} rows × {d} features, model {args.model}"
          + (f" (tau={args.tau})" if args.model == "quantile" else "")
          + f", scores {args.scores} ({args.influence_target}, approx {args.approx})")
    print(note, end="")
    _print_fit(f"pilot fit on a uniform sample of {sampler.pilot_size_} rows:", names,
               sampler.pilot_coef_, sampler.pilot_intercept_, not args.no_intercept)
    _print_fit(f"weighted fit on the subsample: {len(sample.index)} rows (expected {args.size}), "
               f"weights {sample.weights.min():.4g}..{sample.weights.max():.4g}:", names,
               sampler.coef_, sampler.intercept_, not args.no_intercept)
    print(f"wrote {len(sample.index)} rows with a `weight` column to {args.out} ({elapsed:.2f} s)")
    return 0
