"""The run loop behind :func:`pointvalue.marginal_contributions`: chunks of rounds through the
C++ sampler (or the scikit-learn refit path) under a progress bar, and the continuation of a
previous run's random streams (``resume``)."""

from __future__ import annotations

import numpy as np

from . import _core
from ._contributions_data import Data, check_pairs, check_points, resolve_model
from ._sampling_plan import seed_of, size_spec, strata

_Status = _core.refit.Status
_STATUS = {
    _Status.singular: "the (penalized) Gram matrix / Hessian of a subset is singular: collinear "
    "or constant columns within D, or k too small for the number of features; use "
    "model='ridge' or l2 > 0",
    _Status.not_converged: "Newton's method did not converge (the classes are probably "
    "separable in D with l2=0); use l2 > 0",
    _Status.missing_class: "a subset D lacks one of the classes, so its intercept diverges; use "
    "stratify=True or larger k",
    _Status.bad_index: "a target point lies in its own base subset, or an index is outside the "
    "pool",
}


def kernel_args(data, model, metric, l2, approx, tol, max_iter, n_threads):
    """The data arrays and the options of a refit kernel call."""
    opt = _core.refit.Options()
    least_squares = model in ("ols", "ridge")
    opt.model = _core.refit.Model.least_squares if least_squares else _core.refit.Model.logistic
    opt.metric = _core.refit.Metric.__members__[metric]
    opt.n_classes = 0 if least_squares else data.n_classes
    opt.l2, opt.tol, opt.max_iter = l2, float(tol), int(max_iter)
    opt.one_step = approx == "one_step"
    opt.n_threads = int(n_threads)
    y, y_val = (data.y, data.y_val) if least_squares else (data.label, data.label_val)
    return dict(X=data.X, y=y, X_val=data.X_val, y_val=y_val, options=opt)


def raise_status(status, point, k=None):
    bad = np.flatnonzero(status)
    if bad.size == 0:
        return
    i = bad[0]
    where = f"point {int(point[i])}" + (f" at k={int(k[i])}" if k is not None else "")
    raise ValueError(
        f"{bad.size} contribution(s) could not be computed (first: {where}): "
        f"{_STATUS.get(_Status(int(status[i])), 'unknown error')}"
    )


def run(data, name, model, l2, metric, approx, tol, max_iter, pts, group, values, cdf, stratum,
        sptr, sidx, balanced, seed, r0, n_rounds, n_jobs, progress, client=None):
    """Rounds r0 … r0 + n_rounds − 1 of the draws: (point, k, delta) arrays, round-major.

    `n_jobs` is the resolved thread (or joblib worker) count; `client` a resolved
    ``distributed.Client`` (the rounds farmed to its workers) or None."""
    m = len(pts)
    if name == "sklearn":
        from ._refit_sklearn import sample_sklearn

        return sample_sklearn(data, model, metric, pts, group, values, cdf, stratum, sptr, sidx,
                              balanced, seed, r0, n_rounds, n_jobs, progress, client)
    if client is not None:
        job = (data, name, metric, l2, approx, tol, max_iter, pts,
               (stratum, sptr, sidx, values, cdf, balanced, seed, group))
        return _run_on_cluster(client, job, r0, n_rounds, progress)
    args = kernel_args(data, name, metric, l2, approx, tol, max_iter, n_jobs)
    threads = n_jobs
    design = _core.refit.Design(stratum, sptr, sidx, values, cdf, balanced, seed, group)
    # chunks of rounds only to update the progress bar; results do not depend on them
    per_chunk = max(1, min(n_rounds, int(np.ceil(max(4 * threads * group, 20000) / m))))
    ks, deltas = [], []
    bar = _progress(progress, n_rounds * m)
    try:
        for a in range(r0, r0 + n_rounds, per_chunk):
            b = min(a + per_chunk, r0 + n_rounds)
            res = _core.refit.marginal_contributions(**args, design=design, points=pts,
                                                     rounds=(a, b))
            k, delta = res.k, res.delta
            raise_status(res.status, np.tile(pts, b - a), k)
            ks.append(k)
            deltas.append(delta)
            if bar is not None:
                bar.update((b - a) * m)
    finally:
        if bar is not None:
            bar.close()
    return np.tile(pts, n_rounds), np.concatenate(ks), np.concatenate(deltas)


def _rounds_task(job, a, b):
    """Rounds a … b − 1 on a dask worker, on one thread: (k, delta, status)."""
    data, name, metric, l2, approx, tol, max_iter, pts, design_args = job
    args = kernel_args(data, name, metric, l2, approx, tol, max_iter, 1)
    design = _core.refit.Design(*design_args)
    res = _core.refit.marginal_contributions(**args, design=design, points=pts, rounds=(a, b))
    return np.asarray(res.k), np.asarray(res.delta), np.asarray(res.status)


def _run_on_cluster(client, job, r0, n_rounds, progress):
    """`run` on the workers of `client`: ranges of rounds as tasks, `job` (the data, settings and
    Design inputs) scattered once, the statuses checked range by range in round order."""
    from ._dask_contributions import map_jobs, round_ranges, scatter, total_threads

    pts = job[7]
    m = len(pts)
    ranges = round_ranges(r0, n_rounds, m, total_threads(client))
    bar = _progress(progress, n_rounds * m)
    ks, deltas = [], []
    try:
        results = map_jobs(client, _rounds_task, scatter(client, (job,)), ranges, "contributions",
                           [(b - a) * m for a, b in ranges], bar)
        for (a, b), (k, delta, status) in zip(ranges, results):
            raise_status(status, np.tile(pts, b - a), k)
            ks.append(k)
            deltas.append(delta)
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


def resume(X, y, X_val, y_val, model, engine, *, n_samples, n_jobs, progress, given, client=None):
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
               int(engine["rounds"]), n_samples, n_jobs, progress, client)


def _evaluate_kernel(data, name, metric, l2, approx, tol, max_iter, sub_arrays, tg, n_threads):
    """(delta, status) of the (subset, targets) pairs through the C++ refits, no raise."""
    sub_idx = np.concatenate(sub_arrays)
    sub_ptr = np.zeros(len(sub_arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in sub_arrays], out=sub_ptr[1:])
    args = kernel_args(data, name, metric, l2, approx, tol, max_iter, n_threads)
    res = _core.refit.evaluate_contributions(**args, sub_ptr=sub_ptr, sub_idx=sub_idx, points=tg)
    return np.asarray(res.delta), np.asarray(res.status)


def _evaluate_on_cluster(client, settings, sub_arrays, tg):
    """`_evaluate_kernel` over parts of the subsets, one-thread tasks, in order (data scattered)."""
    from ._dask_contributions import map_jobs, parts, scatter

    jobs = [([sub_arrays[i] for i in p], tg[p], 1) for p in parts(client, len(sub_arrays))]
    out = list(map_jobs(client, _evaluate_kernel, scatter(client, settings), jobs, "evaluate"))
    return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


def evaluate(data, name, metric, l2, approx, tol, max_iter, sub_arrays, tg, n_jobs, client=None):
    """Δ for every (subset, target) pair through the C++ refits; `n_jobs` resolved; `client` a
    resolved ``distributed.Client`` (parts of the subsets as tasks) or None."""
    # Repeated indices and targets inside their subset are caught by the kernel (one O(k) pass
    # per subset); the Python checks run only on failure, to name the offending argument.
    settings = (data, name, metric, l2, approx, tol, max_iter)
    if client is None:
        delta, status = _evaluate_kernel(*settings, sub_arrays, tg, n_jobs)
    else:
        delta, status = _evaluate_on_cluster(client, settings, sub_arrays, tg)
    if (status == int(_Status.bad_index)).any():
        check_pairs(sub_arrays, tg)
    if (status == int(_Status.singular)).any():
        data.check_constant(l2, name)
    raise_status(status, tg.ravel())
    return delta
