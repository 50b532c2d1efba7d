"""The run loop behind :func:`pointvalue.marginal_contributions`: chunks of rounds through the
C++ sampler (or the scikit-learn refit path) under a progress bar, and the continuation of a
previous run's random streams (``resume``)."""

from __future__ import annotations

import numpy as np

from . import _core
from ._contributions_data import Data, check_pairs, check_points, resolve_model
from ._sampling_plan import seed_of, size_spec, strata

_STATUS = {
    1: "the (penalized) Gram matrix / Hessian of a subset is singular: collinear or constant "
    "columns within D, or k too small for the number of features; use model='ridge' or l2 > 0",
    2: "Newton's method did not converge (the classes are probably separable in D with l2=0); "
    "use l2 > 0",
    3: "a subset D lacks one of the classes, so its intercept diverges; use stratify=True or "
    "larger k",
    4: "a target point lies in its own base subset, or an index is outside the pool",
}
_SINGULAR, _BAD_INDEX = 1, 4


def kernel_args(data, model, metric, l2, approx, tol, max_iter):
    return dict(
        X=data.X, y=data.y, label=data.label, X_val=data.X_val, y_val=data.y_val,
        label_val=data.label_val, n_classes=data.n_classes,
        model=0 if model in ("ols", "ridge") else 1, metric=1 if metric == "accuracy" else 0,
        l2=l2, tol=float(tol), max_iter=int(max_iter), one_step=approx == "one_step",
    )


def raise_status(status, point, k=None):
    bad = np.flatnonzero(status)
    if bad.size == 0:
        return
    i = bad[0]
    where = f"point {int(point[i])}" + (f" at k={int(k[i])}" if k is not None else "")
    raise ValueError(
        f"{bad.size} contribution(s) could not be computed (first: {where}): "
        f"{_STATUS.get(int(status[i]), 'unknown error')}"
    )


def run(data, name, model, l2, metric, approx, tol, max_iter, pts, group, values, cdf, stratum,
        sptr, sidx, balanced, seed, r0, n_rounds, n_jobs, progress):
    """Rounds r0 … r0 + n_rounds − 1 of the draws: (point, k, delta) arrays, round-major.

    `n_jobs` is the resolved thread (or joblib worker) count."""
    m = len(pts)
    if name == "sklearn":
        from ._refit_sklearn import sample_sklearn

        return sample_sklearn(data, model, metric, pts, group, values, cdf, stratum, sptr, sidx,
                              balanced, seed, r0, n_rounds, n_jobs, progress)
    args = kernel_args(data, name, metric, l2, approx, tol, max_iter)
    threads = n_jobs
    # chunks of rounds only to update the progress bar; results do not depend on them
    per_chunk = max(1, min(n_rounds, int(np.ceil(max(4 * threads * group, 20000) / m))))
    ks, deltas = [], []
    bar = _progress(progress, n_rounds * m)
    try:
        for a in range(r0, r0 + n_rounds, per_chunk):
            b = min(a + per_chunk, r0 + n_rounds)
            k, delta, status = _core.refit.marginal_contributions(
                **args, stratum=stratum, strata_ptr=sptr, strata_idx=sidx, balanced=balanced,
                k_values=values, k_cdf=cdf, seed=seed, points=pts, group=group, r0=a, r1=b,
                n_threads=threads,
            )
            raise_status(status, np.tile(pts, b - a), k)
            ks.append(k)
            deltas.append(delta)
            if bar is not None:
                bar.update((b - a) * m)
    finally:
        if bar is not None:
            bar.close()
    return np.tile(pts, n_rounds), np.concatenate(ks), np.concatenate(deltas)


def _progress(progress, total):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="Δ", desc="marginal contributions", smoothing=0.1)


_DEFAULTS = dict(points=None, sizes=(100, 1000), size_dist="uniform", stratify=True, l2=None,
                 metric=None, random_state=None, approx=None, points_per_subset=64, tol=1e-10,
                 max_iter=100)


def _check_same_settings(engine, given) -> None:
    """Arguments of the resumed call must be left at their defaults or equal the stored ones."""
    for key, value in given.items():
        default = _DEFAULTS[key]
        if value is default or (isinstance(value, tuple) and value == default):
            continue
        if key == "random_state":
            same = seed_of(value) == engine["seed"]
        elif key == "points":
            same = engine["points"] != "all" and np.asarray(value).tolist() == engine["points"]
        elif key == "sizes":
            same = list(value) == engine.get("sizes")
        elif key == "size_dist":
            same = (value if isinstance(value, str) else np.asarray(value).tolist()) == engine["size_dist"]
        else:
            same = value == engine[key]
        if not same:
            stored = engine["seed"] if key == "random_state" else engine.get(key)
            raise ValueError(f"resume: {key} differs from the setting of the samples (got {value!r}, "
                             f"they were drawn with {stored!r})")


def resume(X, y, X_val, y_val, model, engine, *, n_samples, n_jobs, progress, given):
    """The next `n_samples` rounds of the run described by `engine` (a result's meta["engine"])."""
    name = model if isinstance(model, str) else repr(model)
    if name != engine["model"]:
        raise ValueError(f"resume: the samples were made with model={engine['model']}, got {name}")
    _check_same_settings(engine, given)
    sizes = engine.get("sizes", (100, 1000))
    size_dist = engine["size_dist"]
    if not isinstance(size_dist, str):
        size_dist = np.asarray(size_dist, dtype=np.int64)
    l2 = None if not isinstance(model, str) else engine["l2"]
    name, kind, l2, metric = resolve_model(model, l2, engine["metric"], engine["approx"])
    data = Data(X, y, X_val, y_val, kind)
    if data.fingerprint() != engine["data"]:
        raise ValueError("resume: X, y, X_val or y_val differ from the data the samples were drawn from")
    pts = check_points(None if engine["points"] == "all" else engine["points"], data.n)
    values, cdf, _ = size_spec(sizes, size_dist)
    stratum, sptr, sidx, balanced, _ = strata(data, engine["stratify"] if kind == "classification" else False)
    return run(data, name, model, l2, metric, engine["approx"], engine["tol"], engine["max_iter"], pts,
               engine["points_per_subset"], values, cdf, stratum, sptr, sidx, balanced, engine["seed"],
               int(engine["rounds"]), n_samples, n_jobs, progress)


def evaluate(data, name, metric, l2, approx, tol, max_iter, sub_arrays, tg, n_jobs):
    """Δ for every (subset, target) pair through the C++ refits; `n_jobs` resolved."""
    # Repeated indices and targets inside their subset are caught by the kernel (one O(k) pass
    # per subset); the Python checks run only on failure, to name the offending argument.
    sub_idx = np.concatenate(sub_arrays)
    sub_ptr = np.zeros(len(sub_arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in sub_arrays], out=sub_ptr[1:])
    tgt_ptr = np.arange(0, tg.size + 1, tg.shape[1], dtype=np.int64)
    args = kernel_args(data, name, metric, l2, approx, tol, max_iter)
    delta, status = _core.refit.evaluate_contributions(
        **args, sub_ptr=sub_ptr, sub_idx=sub_idx, tgt_ptr=tgt_ptr, tgt_idx=tg.ravel(),
        n_threads=n_jobs,
    )
    if (status == _BAD_INDEX).any():
        check_pairs(sub_arrays, tg)
    if (status == _SINGULAR).any():
        data.check_constant(l2, name)
    raise_status(status, tg.ravel())
    return delta
