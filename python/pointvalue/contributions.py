"""Marginal contributions Δ(z, D) = L(D) − L(D ∪ {z}): the public functions and the result class.

:func:`marginal_contributions` draws many (z, D) pairs and evaluates Δ with incremental refits in
C++ (least squares by exact low-rank updates, logistic by warm-started Newton iterations);
:func:`evaluate_contributions` evaluates pairs the caller chooses through the same kernels;
:class:`Contributions` holds the samples (``point``, ``k``, ``delta``), saves, loads and resumes.

The machinery lives in private modules, one job each: ``_contributions_data`` (input checks),
``_sampling_plan`` (distribution of k, seed, strata), ``_contributions_run`` (the run loop and
resumption), ``_refit_sklearn`` (the generic scikit-learn refit path).
"""

from __future__ import annotations

import json
import numbers

import numpy as np

from ._contributions_data import (
    DEFAULT_L2,
    Data,
    check_pairs,
    check_points,
    check_subsets,
    check_targets,
    check_tol,
    resolve_model,
)
from ._contributions_run import evaluate, resume, run
from ._sampling_plan import check_sizes, seed_of, size_spec, strata
from ._validation import check_n_jobs, check_scalar

__all__ = ["Contributions", "marginal_contributions", "evaluate_contributions", "DEFAULT_L2"]

class Contributions:
    """Samples of marginal contributions, one row per (point, k, Δ) sample.

    Parameters
    ----------
    point : array_like of int, shape (m,)
        Pool index of the point z whose contribution was measured.
    k : array_like of int, shape (m,)
        Size of the base set D the contribution was measured at (k ≥ 1).
    delta : array_like of float, shape (m,)
        ``Δ(z, D) = L(D) − L(D ∪ {z})``: positive when adding z lowers the validation loss.
    meta : dict, optional
        Free-form metadata (model, seed, sampling settings) kept with the samples. Results of
        :func:`marginal_contributions` keep there what :meth:`extend` needs to continue the
        random streams.

    Attributes
    ----------
    point, k, delta : numpy.ndarray
        int64, int64 and float64 arrays of equal length.
    meta : dict

    Examples
    --------
    >>> import pointvalue as pv
    >>> c = pv.Contributions(point=[0, 0, 1], k=[10, 20, 10], delta=[0.1, 0.05, -0.01])
    >>> len(c), c.n_points
    (3, 2)
    """

    def __init__(self, point, k, delta, meta: dict | None = None):
        point = np.asarray(point)
        k = np.asarray(k)
        delta = np.asarray(delta, dtype=np.float64)
        for name, arr in (("point", point), ("k", k), ("delta", delta)):
            if arr.ndim != 1:
                raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not (len(point) == len(k) == len(delta)):
            raise ValueError(
                f"point, k and delta must have equal lengths, got {len(point)}, {len(k)}, {len(delta)}"
            )
        for name, arr in (("point", point), ("k", k)):
            if arr.size and arr.dtype.kind not in "iu":
                if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                    continue
                raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        point = point.astype(np.int64)
        k = k.astype(np.int64)
        if point.size and point.min() < 0:
            raise ValueError("point must hold non-negative pool indices")
        if k.size and k.min() < 1:
            raise ValueError("k must be at least 1")
        self.point = point
        self.k = k
        self.delta = delta
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.delta)

    def __repr__(self) -> str:
        return f"Contributions({len(self)} samples, {self.n_points} points)"

    @property
    def points(self) -> np.ndarray:
        """Sorted distinct point indices."""
        return np.unique(self.point)

    @property
    def n_points(self) -> int:
        """Number of distinct points."""
        return int(len(self.points))

    def to_frame(self):
        """A pandas DataFrame with columns ``point``, ``k``, ``delta``."""
        import pandas as pd

        return pd.DataFrame({"point": self.point, "k": self.k, "delta": self.delta})

    def concat(self, other: Contributions) -> Contributions:
        """Samples of both results, self's first (metadata: self's entries win)."""
        return Contributions(
            np.concatenate([self.point, other.point]),
            np.concatenate([self.k, other.k]),
            np.concatenate([self.delta, other.delta]),
            meta={**other.meta, **self.meta},
        )

    def extend(self, X, y, X_val, y_val, n_samples: int, *, model=None, n_jobs=None, progress=True,
               client=None):
        """More samples from the same random streams (no draw repeated): see ``resume``.

        Equivalent to ``marginal_contributions(X, y, X_val, y_val, model, n_samples=n_samples,
        resume=self, ...)`` with every sampling setting taken from ``self.meta``; the data must be
        the data the samples were drawn from (checked by a fingerprint). For a scikit-learn
        estimator, pass the same `model` again. `client`: a ``dask.distributed.Client`` to run
        the new rounds on (as in :func:`marginal_contributions`; the samples do not depend on
        it). Returns a new result holding the old samples followed by the new ones.
        """
        eng = self.meta.get("engine")
        if not eng:
            raise ValueError("this result was not made by marginal_contributions: nothing to resume")
        if model is None:
            if eng["model"] not in DEFAULT_L2:
                raise ValueError("pass the scikit-learn estimator the samples were made with as model=")
            model = eng["model"]
        return marginal_contributions(
            X, y, X_val, y_val, model=model, n_samples=n_samples, resume=self, n_jobs=n_jobs,
            progress=progress, client=client,
        )

    def save(self, path) -> None:
        """Write the samples (and JSON-serializable metadata) to an ``.npz`` file."""
        np.savez_compressed(
            path, point=self.point, k=self.k, delta=self.delta, meta=np.array(json.dumps(self.meta, default=str))
        )

    @classmethod
    def load(cls, path) -> Contributions:
        """Read a result written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"])) if "meta" in f else {}
            return cls(f["point"], f["k"], f["delta"], meta=meta)

    @classmethod
    def from_reference(cls, path, allow_pickle: bool = False, drop_missing: bool = False) -> Contributions:
        """Read a sample file of the scaling-laws authors' pipeline (``generate_samples.py``).

        A pickled ``.npy`` file runs code on load, so it is refused unless ``allow_pickle=True``.
        ``drop_missing=True`` drops draws of size 0 (never made). See
        :mod:`pointvalue.reference_io` for the format and for the reference's conventions that
        differ from ours (its top size is never drawn, its subsets may contain z, its
        classification metric takes probabilities as logits) and what each does to Δ.
        """
        from .reference_io import read_reference_arrays

        point, k, delta, meta = read_reference_arrays(path, allow_pickle=allow_pickle, drop_missing=drop_missing)
        return cls(point, k, delta, meta=meta)


# ------------------------------------------------------------------------------------------------
# public functions


def marginal_contributions(
    X,
    y,
    X_val,
    y_val,
    model="logistic",
    points=None,
    n_samples: int = 100,
    sizes=(100, 1000),
    size_dist="uniform",
    stratify=True,
    l2=None,
    metric=None,
    random_state=None,
    n_jobs=None,
    progress: bool = True,
    approx=None,
    points_per_subset: int = 64,
    resume: Contributions | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    client=None,
) -> Contributions:
    """Sample marginal contributions ``Δ(z, D) = L(D) − L(D ∪ {z})`` of training points.

    For every point z in `points` and each of `n_samples` draws: k is drawn from `size_dist`,
    D uniformly among the k-subsets of the pool without z (class-stratified for
    classification when `stratify`), and Δ is the drop of the validation loss when z is added
    to D. Built-in models refit incrementally in C++ (OpenMP, GIL released): Δ is the exact
    difference of two converged fits, at a small fraction of the cost of two refits.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The pool of training points (float64; C or F order used without a copy).
    y : array_like of shape (n,)
        Targets (regression) or class labels (classification, any sortable labels).
    X_val, y_val : array_like
        Validation set defining the loss L. For classification it must contain every class of y.
    model : {"logistic", "ols", "ridge"} or scikit-learn estimator, default "logistic"
        ``"logistic"``: binary (2 classes) or multinomial (softmax) logistic regression with an
        intercept, loss cross-entropy. ``"ols"`` / ``"ridge"``: least squares with an intercept
        (loss ½r²), ridge penalized. Objective ``Σ_i loss_i + (l2/2)·‖w‖²`` with the intercept
        unpenalized: ``LogisticRegression(C=c)`` is ``l2=1/c`` (sklearn ≥ 1.x, lbfgs; the
        binary case is sklearn's single-vector model, K ≥ 3 its multinomial one) and
        ``Ridge(alpha=a)`` is ``l2=a``. Any other scikit-learn estimator is refitted with
        ``clone(model).fit`` on the same draws (joblib-parallel, slow but comparable).
    points : array_like of int, optional
        Distinct pool indices whose contributions are sampled (default: all n).
    n_samples : int, default 100
        Draws (samples of Δ) per point.
    sizes : (int, int), default (100, 1000)
        k is drawn from the integers ``k_min ≤ k < k_max``, as in the paper's code.
    size_dist : {"uniform", "loguniform"} or array of int, default "uniform"
        ``"uniform"``: every integer of `sizes` equally likely. ``"loguniform"``: a continuous
        log-uniform on ``[k_min, k_max)`` floored (P(k) ∝ log(1 + 1/k)). An array: k drawn
        uniformly from its entries (`sizes` is then ignored).
    stratify : bool or "balanced", default True
        Classification only: D holds one point of each class plus the remaining ``k − K`` points
        allocated to classes proportionally to their pool counts (largest remainder); within a
        class D is uniform. ``"balanced"``: equal counts per class. Regression ignores it.
    l2 : float, optional
        Penalty; default :data:`DEFAULT_L2` (logistic 1.0 ≙ ``C=1``, ols 0, ridge 1.0). With
        ``l2 = 0`` a constant column of X is collinear with the intercept and raises ValueError;
        with ``l2 > 0`` it is allowed (its coefficient stays finite, penalized).
    metric : {None, "loss", "accuracy"}, optional
        ``None``/``"loss"``: mean cross-entropy (classification) or mean squared error
        (regression). ``"accuracy"``: L is the validation error rate ``1 − accuracy``, so that
        positive Δ still means helpful (classification only).
    random_state : None, int or numpy.random.Generator
        Seed. All draws come from counter-based streams keyed by (seed, round, group): the output
        is identical for a given seed whatever `n_jobs` or the thread count.
    n_jobs : int, optional
        Threads (built-in models) or joblib workers (estimators): None means 1 (unless a
        ``joblib.parallel_config`` context sets it), -1 all cores, -2 all but one. The samples do
        not depend on it.
    progress : bool, default True
        Show a tqdm progress bar.
    approx : {None, "one_step"}, optional
        Logistic only. ``None``: every D ∪ {z} is solved to the tolerance (exact).
        ``"one_step"``: a single Newton step from θ_D with the Hessian of D updated by z (the
        influence-function estimate), then the exact validation loss at that point; cheaper by
        the chord iterations (typically 2–6). Its error is of second order in the parameter
        change and grows with the leverage ``≈ d/k`` of z: measured about 2% of max |Δ| at
        d = 8, k = 200 (tests) and about 25% at d = 256, k = 1000 — not for small k / large d.
    points_per_subset : int, default 64
        Targets that share one draw (a group). For a round, the points are shuffled into groups
        of this size; a group draws one ordered uniform sample π of every class and each target
        z of class c sees ``D_z`` = the first k_c elements of π_c without z (so D_z is exactly
        uniform among stratified k-subsets of the pool without z, for every target). The targets
        of a group share k and most of D: their Δ are positively correlated within a round
        (not across rounds, since the groups are reshuffled). Estimates per point are unaffected;
        pooled statistics over points see that correlation. A group costs one base fit, and its
        targets are solved together (each pass over D is one matrix product for all of them),
        so large groups are fast. ``1`` gives independent draws for every (point, sample) at
        the cost of one base fit per Δ.
    resume : Contributions, optional
        A result of this function on the same data: continue its random streams for
        `n_samples` more rounds (no draw is repeated) with its settings (the arguments that
        define the draws must then be left at their defaults or equal). Returns old and new
        samples together. See also :meth:`Contributions.extend`.
    tol : float, default 1e-10
        Stopping rule of every fit (D and each D ∪ {z}): θ is within ``tol`` per unit-rms
        feature of the solution, ``|θ_j − θ*_j| · rms(x_j) ≤ tol``, as estimated from the last
        steps (Newton: quadratic convergence, chord iterations: the observed linear rate, with a
        safety factor of 2). Δ then agrees with converged brute-force refits to ~1e-10 (tests:
        1e-8 absolute up to k = 5000).
    max_iter : int, default 100
        Newton / chord iteration limit per fit.
    client : dask.distributed.Client, None or False, default None
        Farm the rounds to the workers of this cluster (see the Dask note); the samples are the
        local run's, bit for bit. None: the active client when there is one (the default
        client, or that of a ``joblib.parallel_config(backend="dask")`` context), as LightGBM's
        Dask estimators do, else this machine. False: this machine, whatever client is active.

    Returns
    -------
    Contributions
        ``point``, ``k``, ``delta`` with ``len(points) · n_samples`` rows (round-major);
        ``meta`` holds the settings, the seed and the number of rounds done.

    Raises
    ------
    ValueError
        NaN/inf input, shapes that disagree, a validation set missing a class, k larger than the
        pool (or than a class allows when stratified), points outside the pool, constant columns
        with l2 = 0, singular subsets, separable classes with l2 = 0.

    Notes
    -----
    Cost. Least squares: one Cholesky factorization of D's Gram matrix per group, then O(d²) per
    Δ (a Sherman–Morrison / Woodbury update and the validation MSE from the validation set's
    sufficient statistics ``X_valᵀX_val``, ``X_valᵀy_val``). Logistic: a damped Newton fit of D
    per group (warm-started from a fit of a strided sample of the pool), then per Δ a few chord
    iterations θ ← θ − P⁻¹∇F(θ) with the exact gradient over D ∪ {z} (one cache-blocked pass,
    O(k·d)), P the Hessian of D updated by z's rank-one (rank-K multinomial) term via Woodbury,
    accelerated by Anderson mixing; then the validation loss (O(m·d)). If the iteration does not
    contract, D ∪ {z} is refitted by Newton from the same start. The multinomial model uses all
    K coefficient vectors (as scikit-learn) with the softmax's null direction pinned by a
    penalty on Σ_k θ_k that does not change predictions.

    Memory: the pool is never copied; each thread gathers the rows of its current D into a
    reused k × (d + 1) workspace. The result holds three arrays (24 bytes per sample).

    Targets in D's draw: a group's draw is an ordered sample π of each class; a target z that
    lies in the first k_c elements uses ``D_z = D0 + e_c − z`` (e_c the next element), and Δ
    is computed by a downdate from ``D0 + e_c``, so every D_z is exactly uniform.

    Dask. With a client, the validated data and the sampling plan's inputs are scattered once to
    every worker (``broadcast=True``); the rounds are split into ranges (about four tasks per
    worker thread, at least 512 Δ each), each task running the C++ sampler on one thread (a
    worker with t threads runs t tasks at once, the GIL released). The ranges are put back in
    round order: the draws are keyed by (seed, round, group), so the result does not depend on
    the cluster, the ranges or the order tasks finish in. A lost worker's tasks are rerun
    elsewhere by the scheduler, unchanged. Statuses are checked range by range in round order
    on the client, so a singular subset raises the ValueError of the local run (same first
    point and k). A scikit-learn estimator runs one task per base set (data and estimator
    scattered once). `n_jobs` does not apply to the workers. Install with
    ``pip install pointvalue[dask]``.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((400, 3)); y = (X[:, 0] + rng.standard_normal(400) > 0).astype(int)
    >>> c = pv.marginal_contributions(X[:300], y[:300], X[300:], y[300:], points=[0, 1],
    ...                               n_samples=5, sizes=(50, 100), random_state=0, progress=False)
    >>> len(c)
    10
    """
    from ._dask_contributions import resolve_client

    n_jobs = check_n_jobs(n_jobs)
    client = resolve_client(client)
    if resume is not None:
        given = dict(points=points, sizes=sizes, size_dist=size_dist, stratify=stratify, l2=l2,
                     metric=metric, random_state=random_state, approx=approx,
                     points_per_subset=points_per_subset, tol=tol, max_iter=max_iter)
        return _resumed(X, y, X_val, y_val, model, resume, n_samples=n_samples, n_jobs=n_jobs,
                        progress=progress, given=given, client=client)
    name, kind, l2, metric = resolve_model(model, l2, metric, approx)
    data = Data(X, y, X_val, y_val, kind)
    n_samples = check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
    group = check_scalar(points_per_subset, "points_per_subset", numbers.Integral, min_val=1)
    pts = check_points(points, data.n)
    values, cdf, size_desc = size_spec(sizes, size_dist)
    stratum, sptr, sidx, balanced, stratified = strata(data, stratify)
    check_sizes(values, sptr, balanced, stratified, data)
    if name != "sklearn":
        data.check_constant(l2, name)
        check_tol(tol, max_iter)
    seed = seed_of(random_state)
    engine = {
        "model": name if name != "sklearn" else repr(model),
        "kind": kind, "l2": l2, "metric": metric, "approx": approx, **size_desc,
        "stratify": stratify if kind == "classification" else False,
        "points": "all" if points is None else pts.tolist(),
        "points_per_subset": group, "seed": seed, "rounds": 0, "tol": tol, "max_iter": max_iter,
        "data": data.fingerprint(),
    }
    out = run(data, name, model, l2, metric, approx, tol, max_iter, pts, group, values, cdf,
              stratum, sptr, sidx, balanced, seed, 0, n_samples, n_jobs, progress, client)
    engine["rounds"] = n_samples
    point, k, delta = out
    return Contributions(point, k, delta, meta={"engine": engine})


def _resumed(X, y, X_val, y_val, model, previous, *, n_samples, n_jobs, progress, given, client):
    """`previous` followed by the next `n_samples` rounds of its random streams."""
    if not isinstance(previous, Contributions):
        raise TypeError(f"resume must be a Contributions result, got {type(previous).__name__}")
    engine = previous.meta.get("engine")
    if not engine:
        raise ValueError("resume: this result was not made by marginal_contributions")
    n_samples = check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
    out = resume(X, y, X_val, y_val, model, engine, n_samples=n_samples, n_jobs=n_jobs,
                 progress=progress, given=given, client=client)
    result = previous.concat(Contributions(*out))
    result.meta = json.loads(json.dumps(previous.meta, default=str))
    result.meta["engine"]["rounds"] = int(engine["rounds"]) + n_samples
    return result


def evaluate_contributions(
    X,
    y,
    X_val,
    y_val,
    subsets,
    points,
    model="logistic",
    l2=None,
    metric=None,
    approx=None,
    n_jobs=None,
    tol: float = 1e-10,
    max_iter: int = 100,
    client=None,
) -> np.ndarray:
    """Δ(z, D) = L(D) − L(D ∪ {z}) for pairs the caller chooses, through the fast paths.

    Parameters
    ----------
    X, y, X_val, y_val, model, l2, metric, approx, n_jobs, tol, max_iter
        As in :func:`marginal_contributions`.
    client : dask.distributed.Client, None or False, default None
        Evaluate parts of the subsets as tasks on this cluster (one scikit-learn refit task per
        subset for an estimator), the data scattered once; same Δ as the local run. None: as in
        :func:`marginal_contributions`.
    subsets : list of array_like of int, or 2-D array of int
        Base sets D as pool indices (distinct within a subset; sizes may differ in a list).
    points : array_like of int, shape (n_subsets,) or (n_subsets, t)
        Target z per subset, or t targets per subset (each evaluated against the same D).
        A target must not lie in its subset.

    Returns
    -------
    numpy.ndarray of float64, the shape of `points`
        Δ for every (subset, target) pair.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 2)); y = X @ [1.0, -2.0] + rng.standard_normal(60)
    >>> d = pv.evaluate_contributions(X[:40], y[:40], X[40:], y[40:], [np.arange(20)], [25],
    ...                               model="ols")
    >>> d.shape
    (1,)
    """
    from ._dask_contributions import resolve_client

    name, kind, l2, metric = resolve_model(model, l2, metric, approx)
    data = Data(X, y, X_val, y_val, kind)
    n_jobs = check_n_jobs(n_jobs)
    client = resolve_client(client)
    sub_arrays = check_subsets(subsets, data.n)
    tg = check_targets(points, len(sub_arrays), data.n)
    shape = np.shape(points)
    if name == "sklearn":
        check_pairs(sub_arrays, tg)
        from ._refit_sklearn import evaluate_sklearn

        return evaluate_sklearn(data, model, metric, sub_arrays, tg, n_jobs, client).reshape(shape)
    check_tol(tol, max_iter)
    return evaluate(data, name, metric, l2, approx, tol, max_iter, sub_arrays, tg, n_jobs, client).reshape(shape)
