"""The generic path: marginal contributions of any scikit-learn estimator by clone + fit.

Same draws as the fast kernels (the C++ sampler's plan), refits farmed out with joblib. Slow by
construction (two refits per Δ, one per base set); it exists so users can compare.
"""

from __future__ import annotations

import numpy as np

from . import _core


def _loss(est, data, metric) -> float:
    if metric == "accuracy":
        return float(np.mean(est.predict(data.X_val) != data.y_val_raw))
    if data.kind == "classification":
        proba = np.asarray(est.predict_proba(data.X_val), dtype=np.float64)
        cols = np.searchsorted(data.classes, est.classes_)
        if len(est.classes_) != data.n_classes or not np.array_equal(data.classes[cols], est.classes_):
            raise ValueError(
                "the estimator was fitted on a subset lacking a class; use stratify=True or larger k"
            )
        p = np.empty_like(proba)
        p[:, cols] = proba
        picked = p[np.arange(len(p)), data.label_val]
        return float(-np.mean(np.log(np.clip(picked, 1e-300, None))))
    pred = np.asarray(est.predict(data.X_val), dtype=np.float64)
    return float(np.mean((pred - data.y_val) ** 2))


def _fit_loss(model, data, idx, metric) -> float:
    from sklearn.base import clone

    est = clone(model)
    y = data.y_raw if data.kind == "classification" else data.y
    est.fit(data.X[idx], y[idx])
    return _loss(est, data, metric)


def _task(model, data, metric, base, extras, targets):
    """Δ for the targets of one base set: targets is a list of (row, z, in_base)."""
    L0 = None
    plus = {}
    out = []
    for row, z, stratum, in_base in targets:
        if not in_base:
            if L0 is None:
                L0 = _fit_loss(model, data, base, metric)
            out.append((row, L0 - _fit_loss(model, data, np.append(base, z), metric)))
        else:
            e = int(extras[stratum])
            with_e = np.append(base, e)
            if e not in plus:
                plus[e] = _fit_loss(model, data, with_e, metric)
            out.append((row, _fit_loss(model, data, with_e[with_e != z], metric) - plus[e]))
    return out


def _bar(progress, total):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="Δ", desc="marginal contributions (refits)")


def _parallel(shared, jobs, total, progress, n_jobs, client=None):
    """Results of ``_task(*shared, *job)`` for every job: joblib workers, or the tasks of a
    ``distributed.Client`` (`shared` then scattered once)."""
    bar = _bar(progress, total)
    try:
        if client is not None:
            from ._dask_contributions import map_jobs, scatter

            yield from map_jobs(client, _task, scatter(client, tuple(shared)), jobs, "refits",
                                [len(j[2]) for j in jobs], bar)
            return
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_task)(*shared, *j) for j in jobs)
        for res in results:
            yield res
            if bar is not None:
                bar.update(len(res))
    finally:
        if bar is not None:
            bar.close()


def sample_sklearn(data, model, metric, pts, group, values, cdf, stratum, sptr, sidx, balanced,
                   seed, r0, n_rounds, n_jobs, progress, client=None):
    m = len(pts)
    design = _core.refit.Design(stratum, sptr, sidx, values, cdf, balanced, seed, group)
    plan = _core.refit.draw_plan(design, pts, (r0, r0 + n_rounds))
    n_strata = len(sptr) - 1
    base_ptr, base_idx = plan.base_ptr, plan.base_idx
    row_task, in_base = plan.row_task, plan.row_in_base
    point = np.tile(pts, n_rounds)
    order = np.argsort(row_task, kind="stable")
    bounds = np.searchsorted(row_task[order], np.arange(len(plan.task_k) + 1))
    jobs = []
    for t in range(len(plan.task_k)):
        rows = order[bounds[t]:bounds[t + 1]]
        targets = [(int(r), int(point[r]), int(stratum[point[r]]), bool(in_base[r])) for r in rows]
        extras = plan.extra[t * n_strata:(t + 1) * n_strata]
        jobs.append((base_idx[base_ptr[t]:base_ptr[t + 1]], extras, targets))
    delta = np.full(n_rounds * m, np.nan)
    for res in _parallel((model, data, metric), jobs, n_rounds * m, progress, n_jobs, client):
        for row, value in res:
            delta[row] = value
    k = plan.task_k[row_task]
    return point, k, delta


def evaluate_sklearn(data, model, metric, subsets, targets, n_jobs, client=None):
    jobs = []
    t = targets.shape[1]
    for i, (s, zs) in enumerate(zip(subsets, targets)):
        jobs.append((s, None, [(i * t + j, int(z), 0, False) for j, z in enumerate(zs)]))
    delta = np.full(targets.size, np.nan)
    for res in _parallel((model, data, metric), jobs, targets.size, False, n_jobs, client):
        for row, value in res:
            delta[row] = value
    return delta
