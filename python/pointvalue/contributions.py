"""Marginal contributions Δ(z, D) = L(D) − L(D ∪ {z}): the sampling engine and its result class.

:func:`marginal_contributions` draws many (z, D) pairs and evaluates Δ with incremental refits in
C++ (least squares by exact low-rank updates, logistic by warm-started Newton iterations);
:func:`evaluate_contributions` evaluates pairs the caller chooses through the same kernels;
:class:`Contributions` holds the samples (``point``, ``k``, ``delta``), saves, loads and resumes.
"""

from __future__ import annotations

import hashlib
import json
import numbers

import numpy as np

from . import _core
from ._validation import as_float_array, as_int, check_choice

__all__ = ["Contributions", "marginal_contributions", "evaluate_contributions", "DEFAULT_L2"]

#: Default penalty per model: ``Σ_i loss_i + (l2/2)·‖w‖²``, intercept unpenalized.
#: ``logistic`` 1.0 is scikit-learn's ``LogisticRegression()`` default (``C = 1/l2 = 1``);
#: ``ridge`` 1.0 is ``Ridge()``'s default ``alpha``; ``ols`` is unpenalized.
DEFAULT_L2 = {"logistic": 1.0, "ols": 0.0, "ridge": 1.0}

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

    def concat(self, other: "Contributions") -> "Contributions":
        """Samples of both results, self's first (metadata: self's entries win)."""
        return Contributions(
            np.concatenate([self.point, other.point]),
            np.concatenate([self.k, other.k]),
            np.concatenate([self.delta, other.delta]),
            meta={**other.meta, **self.meta},
        )

    def extend(self, X, y, X_val, y_val, n_samples: int, *, model=None, n_jobs=None, progress=True):
        """More samples from the same random streams (no draw repeated): see ``resume``.

        Equivalent to ``marginal_contributions(X, y, X_val, y_val, model, n_samples=n_samples,
        resume=self, ...)`` with every sampling setting taken from ``self.meta``; the data must be
        the data the samples were drawn from (checked by a fingerprint). For a scikit-learn
        estimator, pass the same `model` again. Returns a new result holding the old samples
        followed by the new ones.
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
            progress=progress,
        )

    def save(self, path) -> None:
        """Write the samples (and JSON-serializable metadata) to an ``.npz`` file."""
        np.savez_compressed(
            path, point=self.point, k=self.k, delta=self.delta, meta=np.array(json.dumps(self.meta, default=str))
        )

    @classmethod
    def load(cls, path) -> "Contributions":
        """Read a result written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"])) if "meta" in f else {}
            return cls(f["point"], f["k"], f["delta"], meta=meta)


# ------------------------------------------------------------------------------------------------
# input handling


def _subset_array(s, i) -> np.ndarray:
    a = np.asarray(s)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"subsets[{i}] must be a non-empty 1-D array of pool indices")
    if a.dtype.kind not in "iu":
        raise TypeError(f"subsets[{i}] must hold integers, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def _check_pairs(sub_arrays, targets) -> None:
    """Raise for the first subset that repeats an index or contains one of its targets."""
    for i, (a, t) in enumerate(zip(sub_arrays, targets)):
        if len(np.unique(a)) != len(a):
            raise ValueError(f"subsets[{i}] repeats an index")
        inside = np.isin(t, a)
        if inside.any():
            raise ValueError(f"points[{i}] holds {int(t[inside][0])}, which lies in subsets[{i}]")


def _design(a, name):
    arr = as_float_array(a, name, ndim=2, dtypes=(np.float64,))
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    return arr


def _is_estimator(model) -> bool:
    return hasattr(model, "fit") and hasattr(model, "get_params")


class _Data:
    """Validated arrays in the kernels' form (labels encoded 0..K−1 for classification)."""

    def __init__(self, X, y, X_val, y_val, kind):
        self.X = _design(X, "X")
        self.X_val = _design(X_val, "X_val")
        n, d = self.X.shape
        if self.X_val.shape[1] != d:
            raise ValueError(f"X_val must have {d} columns like X, got {self.X_val.shape[1]}")
        y = np.asarray(y)
        y_val = np.asarray(y_val)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"y must be 1-D with one entry per row of X ({n}), got shape {y.shape}")
        if y_val.ndim != 1 or len(y_val) != len(self.X_val):
            raise ValueError(
                f"y_val must be 1-D with one entry per row of X_val ({len(self.X_val)}), got shape {y_val.shape}"
            )
        self.kind = kind
        self.y_raw, self.y_val_raw = y, y_val
        if kind == "classification":
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise ValueError("y contains NaN or infinite values")
            if y_val.dtype.kind == "f" and not np.isfinite(y_val).all():
                raise ValueError("y_val contains NaN or infinite values")
            self.classes = np.unique(y)
            if len(self.classes) < 2:
                raise ValueError(f"y must hold at least two classes, got {self.classes.tolist()}")
            val_classes = np.unique(y_val)
            unseen = np.setdiff1d(val_classes, self.classes)
            if unseen.size:
                raise ValueError(f"y_val holds classes absent from y: {unseen.tolist()}")
            missing = np.setdiff1d(self.classes, val_classes)
            if missing.size:
                raise ValueError(
                    f"y_val lacks the classes {missing.tolist()}: the validation loss would not "
                    "measure them; use a stratified validation split"
                )
            self.label = np.searchsorted(self.classes, y).astype(np.int64)
            self.label_val = np.searchsorted(self.classes, y_val).astype(np.int64)
            self.y = self.y_val = None
        else:
            self.y = as_float_array(y, "y", ndim=1, dtypes=(np.float64,))
            self.y_val = as_float_array(y_val, "y_val", ndim=1, dtypes=(np.float64,))
            self.label = self.label_val = self.classes = None

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def n_classes(self):
        return 0 if self.classes is None else len(self.classes)

    def check_constant(self, l2, model_name):
        if l2 != 0:
            return
        ptp = np.ptp(self.X, axis=0)
        const = np.flatnonzero(ptp == 0)
        if const.size:
            raise ValueError(
                f"X has constant columns {const[:10].tolist()}: with the intercept and l2=0 the "
                f"{model_name} design is singular; drop them or use l2 > 0"
            )

    def fingerprint(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for a in (self.X, self.X_val, self.y_raw, self.y_val_raw):
            a = np.ascontiguousarray(a)
            h.update(str((a.shape, a.dtype.str)).encode())
            h.update(a.data if a.dtype.kind != "O" else repr(a.tolist()).encode())
        return h.hexdigest()


def _resolve_model(model, l2, metric, approx):
    """(name, kind, l2, metric) for a model name, or ("sklearn", kind, None, metric)."""
    if _is_estimator(model):
        kind = "classification" if hasattr(model, "predict_proba") or getattr(
            model, "_estimator_type", None) == "classifier" else "regression"
        if l2 is not None:
            raise ValueError("l2 applies to the built-in models; set the estimator's own penalty")
        if approx is not None:
            raise ValueError("approx applies to model='logistic' only")
        metric = check_choice("loss" if metric is None else metric, "metric", {"loss", "accuracy"})
        if metric == "accuracy" and kind != "classification":
            raise ValueError("metric='accuracy' needs a classifier")
        return "sklearn", kind, None, metric
    if not isinstance(model, str):
        raise TypeError(
            f"model must be 'logistic', 'ols', 'ridge' or a scikit-learn estimator, got {model!r}"
        )
    model = check_choice(model, "model", set(DEFAULT_L2))
    if l2 is None:
        l2 = DEFAULT_L2[model]
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number ≥ 0, got {l2!r}")
    l2 = float(l2)
    if model == "ols" and l2 != 0:
        raise ValueError("model='ols' is unpenalized; use model='ridge' for l2 > 0")
    if model == "ridge" and l2 == 0:
        raise ValueError("model='ridge' needs l2 > 0; use model='ols' for l2 = 0")
    kind = "classification" if model == "logistic" else "regression"
    metric = check_choice("loss" if metric is None else metric, "metric", {"loss", "accuracy"})
    if metric == "accuracy" and kind != "classification":
        raise ValueError("metric='accuracy' needs model='logistic' (least squares uses the MSE)")
    if approx is not None:
        check_choice(approx, "approx", {"one_step"})
        if model != "logistic":
            raise ValueError("approx='one_step' applies to model='logistic' (least squares is exact)")
    return model, kind, l2, metric


def _n_threads(n_jobs) -> int:
    if n_jobs is None or n_jobs == -1:
        return int(_core.config.max_threads())
    n_jobs = as_int(n_jobs, "n_jobs")
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer, -1 or None, got {n_jobs}")
    return n_jobs


def _kernel_args(data, model, metric, l2, approx, tol, max_iter):
    return dict(
        X=data.X, y=data.y, label=data.label, X_val=data.X_val, y_val=data.y_val,
        label_val=data.label_val, n_classes=data.n_classes,
        model=0 if model in ("ols", "ridge") else 1, metric=1 if metric == "accuracy" else 0,
        l2=l2, tol=float(tol), max_iter=int(max_iter), one_step=approx == "one_step",
    )


def _raise_status(status, point, k=None):
    bad = np.flatnonzero(status)
    if bad.size == 0:
        return
    i = bad[0]
    where = f"point {int(point[i])}" + (f" at k={int(k[i])}" if k is not None else "")
    raise ValueError(
        f"{bad.size} contribution(s) could not be computed (first: {where}): "
        f"{_STATUS.get(int(status[i]), 'unknown error')}"
    )


def _size_spec(sizes, size_dist):
    """(k_values, cdf, description) of the distribution of k."""
    if isinstance(size_dist, str):
        size_dist = check_choice(size_dist, "size_dist", {"uniform", "loguniform"})
        if not (isinstance(sizes, (tuple, list, np.ndarray)) and len(sizes) == 2):
            raise ValueError(f"sizes must be a pair (k_min, k_max), got {sizes!r}")
        lo = as_int(sizes[0], "sizes[0]", minimum=1)
        hi = as_int(sizes[1], "sizes[1]", minimum=1)
        if hi <= lo:
            raise ValueError(f"sizes must satisfy k_min < k_max (k drawn from [k_min, k_max)), got {sizes!r}")
        values = np.arange(lo, hi, dtype=np.int64)
        if size_dist == "uniform":
            w = np.ones(len(values))
        else:  # a continuous log-uniform on [lo, hi), floored
            w = np.log1p(1.0 / values)
        desc = {"sizes": [lo, hi], "size_dist": size_dist}
    else:
        values = np.asarray(size_dist)
        if values.ndim != 1 or values.size == 0:
            raise ValueError("size_dist given as an array must be a non-empty 1-D array of k values")
        if values.dtype.kind not in "iu":
            raise TypeError(f"size_dist must hold integers, got dtype {values.dtype}")
        if values.min() < 1:
            raise ValueError("size_dist values must be at least 1")
        values = values.astype(np.int64)
        w = np.ones(len(values))
        desc = {"size_dist": values.tolist()}
    cdf = np.cumsum(w) / w.sum()
    cdf[-1] = 1.0
    return values, cdf, desc


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.SeedSequence().entropy % (1 << 63))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 1 << 63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
    if random_state < 0:
        raise ValueError(f"random_state must be non-negative, got {random_state}")
    return int(random_state) % (1 << 64)


def _points(points, n):
    if points is None:
        return np.arange(n, dtype=np.int64)
    p = np.asarray(points)
    if p.ndim != 1 or p.size == 0:
        raise ValueError("points must be a non-empty 1-D array of pool indices")
    if p.dtype.kind not in "iu":
        raise TypeError(f"points must hold integer pool indices, got dtype {p.dtype}")
    p = p.astype(np.int64)
    if p.min() < 0 or p.max() >= n:
        raise ValueError(f"points must be pool indices in [0, {n}), got values in [{p.min()}, {p.max()}]")
    if len(np.unique(p)) != len(p):
        raise ValueError("points must be distinct")
    return p


def _strata(data, stratify):
    """(stratum per pool index, CSR of strata, balanced, names) for the sampler."""
    n = data.n
    if stratify not in (True, False, "balanced"):
        raise ValueError(f"stratify must be True, False or 'balanced', got {stratify!r}")
    if data.kind == "classification" and stratify:
        stratum = data.label
        order = np.argsort(stratum, kind="stable").astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(np.bincount(stratum, minlength=data.n_classes))]).astype(np.int64)
        return stratum, ptr, order, stratify == "balanced", True
    return np.zeros(n, dtype=np.int64), np.array([0, n], dtype=np.int64), np.arange(n, dtype=np.int64), False, False


def _check_sizes(values, strata_ptr, balanced, stratified, data):
    kmax = int(values.max())
    sizes = np.diff(strata_ptr)
    if not stratified:
        if kmax > data.n - 1:
            raise ValueError(
                f"k={kmax} is larger than the pool without the target point ({data.n - 1} points)"
            )
        return
    if int(values.min()) < len(sizes):
        raise ValueError(
            f"k={int(values.min())} is smaller than the number of classes ({len(sizes)}): a "
            "stratified subset needs a point of every class"
        )
    counts = _core.refit.stratum_counts(strata_ptr, balanced, kmax)
    bad = np.flatnonzero(counts + 1 > sizes)
    if bad.size:
        c = bad[0]
        raise ValueError(
            f"k={kmax} is larger than class {data.classes[c]!r} allows when stratified: it needs "
            f"{int(counts[c])} points of that class but the pool holds {int(sizes[c])} "
            f"(at most {int(sizes[c]) - 1} besides a target); lower sizes or use stratify=False"
        )


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
        Threads (built-in models) or joblib workers (estimators); default all cores.
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
    if resume is not None:
        return _resume(
            X, y, X_val, y_val, model, resume, n_samples=n_samples, n_jobs=n_jobs, progress=progress,
            given=dict(points=points, sizes=sizes, size_dist=size_dist, stratify=stratify, l2=l2,
                       metric=metric, random_state=random_state, approx=approx,
                       points_per_subset=points_per_subset, tol=tol, max_iter=max_iter),
        )
    name, kind, l2, metric = _resolve_model(model, l2, metric, approx)
    data = _Data(X, y, X_val, y_val, kind)
    n_samples = as_int(n_samples, "n_samples", minimum=1)
    group = as_int(points_per_subset, "points_per_subset", minimum=1)
    pts = _points(points, data.n)
    values, cdf, size_desc = _size_spec(sizes, size_dist)
    stratum, sptr, sidx, balanced, stratified = _strata(data, stratify)
    _check_sizes(values, sptr, balanced, stratified, data)
    if name != "sklearn":
        data.check_constant(l2, name)
        _check_tol(tol, max_iter)
    seed = _seed(random_state)
    engine = {
        "model": name if name != "sklearn" else repr(model),
        "kind": kind, "l2": l2, "metric": metric, "approx": approx, **size_desc,
        "stratify": stratify if kind == "classification" else False,
        "points": "all" if points is None else pts.tolist(),
        "points_per_subset": group, "seed": seed, "rounds": 0, "tol": tol, "max_iter": max_iter,
        "data": data.fingerprint(),
    }
    out = _run(data, name, model, l2, metric, approx, tol, max_iter, pts, group, values, cdf,
               stratum, sptr, sidx, balanced, seed, 0, n_samples, n_jobs, progress)
    engine["rounds"] = n_samples
    return Contributions(*out, meta={"engine": engine})


def _check_tol(tol, max_iter):
    if not (isinstance(tol, numbers.Real) and np.isfinite(tol) and 0 < tol < 1):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    as_int(max_iter, "max_iter", minimum=1)


def _run(data, name, model, l2, metric, approx, tol, max_iter, pts, group, values, cdf, stratum,
         sptr, sidx, balanced, seed, r0, n_rounds, n_jobs, progress):
    m = len(pts)
    if name == "sklearn":
        from ._refit_sklearn import sample_sklearn

        return sample_sklearn(data, model, metric, pts, group, values, cdf, stratum, sptr, sidx,
                              balanced, seed, r0, n_rounds, n_jobs, progress)
    args = _kernel_args(data, name, metric, l2, approx, tol, max_iter)
    threads = _n_threads(n_jobs)
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
            _raise_status(status, np.tile(pts, b - a), k)
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


_DRAW_KEYS = ("sizes", "size_dist", "stratify", "l2", "metric", "approx", "points_per_subset", "tol",
              "max_iter")
_DEFAULTS = dict(points=None, sizes=(100, 1000), size_dist="uniform", stratify=True, l2=None,
                 metric=None, random_state=None, approx=None, points_per_subset=64, tol=1e-10,
                 max_iter=100)


def _resume(X, y, X_val, y_val, model, previous, *, n_samples, n_jobs, progress, given):
    if not isinstance(previous, Contributions):
        raise TypeError(f"resume must be a Contributions result, got {type(previous).__name__}")
    eng = previous.meta.get("engine")
    if not eng:
        raise ValueError("resume: this result was not made by marginal_contributions")
    name = model if isinstance(model, str) else repr(model)
    if name != eng["model"]:
        raise ValueError(f"resume: the samples were made with model={eng['model']}, got {name}")
    for key, value in given.items():
        default = _DEFAULTS[key]
        same_default = value is default or (isinstance(value, tuple) and value == default)
        if same_default:
            continue
        if key == "random_state":
            if _seed(value) != eng["seed"]:
                raise ValueError("resume: random_state differs from the seed of the samples")
            continue
        if key == "points":
            stored = eng["points"]
            if stored == "all" or np.asarray(value).tolist() != stored:
                raise ValueError("resume: points differ from the points of the samples")
            continue
        if key == "sizes":
            if list(value) != eng.get("sizes"):
                raise ValueError("resume: sizes differ from the samples' sizes")
            continue
        if key == "size_dist":
            v = value if isinstance(value, str) else np.asarray(value).tolist()
            if v != eng["size_dist"]:
                raise ValueError("resume: size_dist differs from the samples'")
            continue
        if value != eng[key]:
            raise ValueError(f"resume: {key}={value!r} differs from the samples' {eng[key]!r}")
    n_samples = as_int(n_samples, "n_samples", minimum=1)
    sizes = eng.get("sizes", (100, 1000))
    size_dist = eng["size_dist"] if isinstance(eng["size_dist"], str) else np.asarray(eng["size_dist"], dtype=np.int64)
    is_est = not isinstance(model, str)
    name_, kind, l2, metric = _resolve_model(model, None if is_est else eng["l2"], eng["metric"], eng["approx"])
    data = _Data(X, y, X_val, y_val, kind)
    if data.fingerprint() != eng["data"]:
        raise ValueError("resume: X, y, X_val or y_val differ from the data the samples were drawn from")
    pts = _points(None if eng["points"] == "all" else eng["points"], data.n)
    values, cdf, _ = _size_spec(sizes, size_dist)
    stratum, sptr, sidx, balanced, stratified = _strata(data, eng["stratify"] if kind == "classification" else False)
    r0 = int(eng["rounds"])
    out = _run(data, name_, model, l2, metric, eng["approx"], eng["tol"], eng["max_iter"], pts,
               eng["points_per_subset"], values, cdf, stratum, sptr, sidx, balanced, eng["seed"],
               r0, n_samples, n_jobs, progress)
    new = Contributions(*out)
    result = previous.concat(new)
    result.meta = json.loads(json.dumps(previous.meta, default=str))
    result.meta["engine"]["rounds"] = r0 + n_samples
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
) -> np.ndarray:
    """Δ(z, D) = L(D) − L(D ∪ {z}) for pairs the caller chooses, through the fast paths.

    Parameters
    ----------
    X, y, X_val, y_val, model, l2, metric, approx, n_jobs, tol, max_iter
        As in :func:`marginal_contributions`.
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
    name, kind, l2, metric = _resolve_model(model, l2, metric, approx)
    data = _Data(X, y, X_val, y_val, kind)
    n = data.n
    if isinstance(subsets, np.ndarray) and subsets.ndim == 2:
        subs = list(subsets)
    elif isinstance(subsets, (list, tuple)):
        subs = list(subsets)
    else:
        raise TypeError("subsets must be a list of index arrays or a 2-D array of indices")
    if not subs:
        raise ValueError("subsets is empty")
    sub_arrays = [_subset_array(s, i) for i, s in enumerate(subs)]
    sub_idx = np.concatenate(sub_arrays)
    if sub_idx.min() < 0 or sub_idx.max() >= n:
        i = next(i for i, a in enumerate(sub_arrays) if a.min() < 0 or a.max() >= n)
        raise ValueError(f"subsets[{i}] holds indices outside the pool [0, {n})")
    pts = np.asarray(points)
    if pts.dtype.kind not in "iu":
        raise TypeError(f"points must hold integer pool indices, got dtype {pts.dtype}")
    if pts.ndim == 1:
        tg = pts.reshape(-1, 1)
    elif pts.ndim == 2:
        tg = pts
    else:
        raise ValueError(f"points must be 1-D or 2-D, got shape {pts.shape}")
    if tg.shape[0] != len(sub_arrays):
        raise ValueError(f"points needs one row per subset ({len(sub_arrays)}), got {tg.shape[0]}")
    tg = tg.astype(np.int64)
    if tg.size and (tg.min() < 0 or tg.max() >= n):
        raise ValueError(f"points must be pool indices in [0, {n})")
    if name == "sklearn":
        _check_pairs(sub_arrays, tg)
        from ._refit_sklearn import evaluate_sklearn

        delta = evaluate_sklearn(data, model, metric, sub_arrays, tg, n_jobs)
        return delta.reshape(pts.shape)
    _check_tol(tol, max_iter)
    # Repeated indices and targets inside their subset are caught by the kernel (one O(k) pass
    # per subset); the Python checks run only on failure, to name the offending argument.
    sub_ptr = np.zeros(len(sub_arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in sub_arrays], out=sub_ptr[1:])
    tgt_ptr = np.arange(0, tg.size + 1, tg.shape[1], dtype=np.int64)
    args = _kernel_args(data, name, metric, l2, approx, tol, max_iter)
    delta, status = _core.refit.evaluate_contributions(
        **args, sub_ptr=sub_ptr, sub_idx=sub_idx, tgt_ptr=tgt_ptr, tgt_idx=tg.ravel(),
        n_threads=_n_threads(n_jobs),
    )
    if (status == _BAD_INDEX).any():
        _check_pairs(sub_arrays, tg)
    if (status == _SINGULAR).any():
        data.check_constant(l2, name)
    _raise_status(status, tg.ravel())
    return delta.reshape(pts.shape)
