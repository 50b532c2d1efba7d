"""Utilities u(S): the validation score of a model trained on the pool rows S (a cooperative game).

:class:`ModelUtility` evaluates built-in models (binary logistic, OLS, ridge) with the compiled
engine of :mod:`pointvalue.semivalues` and any scikit-learn estimator by refitting it. Any
callable ``f(indices) -> float`` is a utility as well (pass ``n_players=`` to
:func:`pointvalue.semivalues`).

Conventions
-----------
* Higher is better: a loss enters as its negative (``metric="loss"`` is −log loss for a
  classifier, −MSE for a regressor; ``"mse"`` is −MSE; ``"r2"`` and ``"accuracy"`` as usual).
* u(∅), and u(S) of every subset the model cannot be fitted on — a classifier subset lacking a
  class, a least-squares subset whose (penalized) Gram matrix is singular (e.g. fewer rows than
  columns with ``model="ols"``) — is ``empty_score``. By default that is the score of the
  all-zero model (no data, no fit): logistic p = ½ everywhere (−log 2, or for accuracy the
  share of the first class, which is what ``predict`` returns when the decision function is 0),
  least squares ŷ = 0 (−mean(y_val²), r2 accordingly).

  pyDVL instead returns its scorer's ``default`` (0.0 unless set) for ∅ and for every fit that
  raises; pass ``empty_score=0.0`` to reproduce it. scikit-learn's ``LinearRegression`` fits an
  underdetermined subset by minimum-norm least squares instead of refusing it; we score such a
  subset ``empty_score`` because the minimum-norm fit of k < d rows is an interpolant whose
  validation score is an artefact of the pseudo-inverse (and it cannot be grown by rank-one
  updates). With ``model="ridge"`` (l2 > 0) every non-empty subset is fitted.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._validation import as_float_array, as_int, check_choice, check_n_jobs

__all__ = ["ModelUtility", "DEFAULT_L2", "effective_n_jobs"]

#: Same penalties as :func:`pointvalue.marginal_contributions`: ``Σ loss_i + (l2/2)·‖w‖²``.
DEFAULT_L2 = {"logistic": 1.0, "ols": 0.0, "ridge": 1.0}

_STATUS = {
    1: "a logistic Hessian is singular (collinear rows with l2=0); use l2 > 0",
    2: "Newton's method did not converge (separable classes in a subset with l2=0); use l2 > 0",
    4: "an index is outside the pool",
}


def effective_n_jobs(n_jobs) -> int:
    """scikit-learn's meaning (:func:`pointvalue._validation.check_n_jobs`): None → 1 (or the
    active ``joblib.parallel_config``), −1 → all cores, −2 → all but one, k > 0 → k."""
    return check_n_jobs(n_jobs)


def _design(a, name):
    arr = as_float_array(a, name, ndim=2, dtypes=(np.float64,))
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    return arr


def _is_estimator(model) -> bool:
    return hasattr(model, "fit") and hasattr(model, "get_params")


def _is_classifier(model) -> bool:
    try:
        from sklearn.base import is_classifier

        return bool(is_classifier(model))
    except ImportError:  # pragma: no cover
        return hasattr(model, "predict_proba")


def _resolve_model(model, l2):
    """(kind, l2) of a built-in model name or an estimator (l2 None), or raise."""
    if _is_estimator(model):
        if l2 is not None:
            raise ValueError("l2 applies to the built-in models; set the estimator's own penalty")
        return ("classification" if _is_classifier(model) else "regression"), None
    if not isinstance(model, str):
        raise TypeError(f"model must be 'logistic', 'ols', 'ridge' or a scikit-learn estimator, got {model!r}")
    check_choice(model, "model", set(DEFAULT_L2))
    l2 = DEFAULT_L2[model] if l2 is None else l2
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(float(l2)) or float(l2) < 0:
        raise ValueError(f"l2 must be a finite number ≥ 0, got {l2!r}")
    if model == "ols" and l2 != 0:
        raise ValueError("model='ols' is unpenalized; use model='ridge' for l2 > 0")
    if model == "ridge" and l2 == 0:
        raise ValueError("model='ridge' needs l2 > 0; use model='ols' for l2 = 0")
    return ("classification" if model == "logistic" else "regression"), float(l2)


def _subset(indices, n, name="indices") -> np.ndarray:
    a = np.asarray(indices)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of pool indices, got shape {a.shape}")
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer pool indices, got dtype {a.dtype}")
    a = a.astype(np.int64, copy=False)
    if a.min() < 0 or a.max() >= n:
        raise ValueError(f"{name} must be pool indices in [0, {n}), got values in [{a.min()}, {a.max()}]")
    return a


class ModelUtility:
    """u(S): the validation score of a model trained on the pool rows S (higher is better).

    Parameters
    ----------
    X, y : array_like of shape (n, d) and (n,)
        The pool; its rows are the players.
    X_val, y_val : array_like
        The validation set the score is measured on (a classifier's must hold every class of y).
    model : {"logistic", "ols", "ridge"} or scikit-learn estimator, default "logistic"
        Built-in models are fitted by the compiled engine (binary logistic regression by Newton's
        method to ``tol``; OLS / ridge exactly), with the objective ``Σ loss_i + (l2/2)·‖w‖²``
        and an unpenalized intercept (``LogisticRegression(C=1/l2)``, ``Ridge(alpha=l2)``,
        ``LinearRegression()``). Multinomial logistic (more than two classes) and callable
        metrics run through scikit-learn's estimator with the same objective. An estimator is
        cloned and refitted for every subset (in parallel through joblib).
    metric : {"loss", "accuracy", "mse", "r2"} or callable, default "loss"
        ``"loss"``: −log loss (classification) or −MSE (regression). A callable is a
        scikit-learn scorer ``scorer(estimator, X_val, y_val) -> float`` (higher is better).
    l2 : float, optional
        Penalty of the built-in models (default: logistic 1, ridge 1, ols 0).
    empty_score : float, optional
        u of ∅ and of subsets the model cannot be fitted on (see the module notes). Default: the
        score of the all-zero model, or 0.0 for a callable metric.
    tol, max_iter : float, int
        Convergence of the logistic fits (max over coefficients of |Δθ_j|·rms(x_j) < tol).

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3)); y = X @ [1.0, -2.0, 0.5] + rng.normal(size=40)
    >>> u = pv.ModelUtility(X[:30], y[:30], X[30:], y[30:], model="ols", metric="r2")
    >>> round(u(np.arange(30)), 3) > 0.5
    True
    >>> u(np.array([0, 1])) == u.empty_score   # 2 rows cannot fit 4 coefficients
    True
    """

    X: np.ndarray
    X_val: np.ndarray
    y: np.ndarray
    y_val: np.ndarray
    y_raw: np.ndarray
    y_val_raw: np.ndarray
    model: Any
    metric: Any
    kind: str
    l2: float | None
    tol: float
    max_iter: int
    n_players: int
    n_classes: int
    classes: np.ndarray | None
    engine: bool
    empty_score: float
    _estimator: Any
    _total: float | None

    def __init__(self, X, y, X_val, y_val, model="logistic", metric="loss", l2=None,
                 empty_score=None, tol: float = 1e-10, max_iter: int = 100):
        self.X = _design(X, "X")
        self.X_val = _design(X_val, "X_val")
        n, d = self.X.shape
        if self.X_val.shape[1] != d:
            raise ValueError(f"X_val must have {d} columns like X, got {self.X_val.shape[1]}")
        y, y_val = np.asarray(y), np.asarray(y_val)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"y must be 1-D with one entry per row of X ({n}), got shape {y.shape}")
        if y_val.ndim != 1 or len(y_val) != len(self.X_val):
            raise ValueError(f"y_val must be 1-D with one entry per row of X_val ({len(self.X_val)}), "
                             f"got shape {y_val.shape}")
        if not (isinstance(tol, numbers.Real) and tol > 0):
            raise ValueError(f"tol must be a positive number, got {tol!r}")
        self.tol = float(tol)
        self.max_iter = as_int(max_iter, "max_iter", minimum=1)
        self.model = model
        self.metric = metric
        self.n_players = n
        self._estimator = model if _is_estimator(model) else None
        self.kind, self.l2 = _resolve_model(model, l2)
        if not callable(metric):
            allowed = {"loss", "accuracy"} if self.kind == "classification" else {"loss", "mse", "r2"}
            check_choice(metric, "metric", allowed)
        self._prepare_targets(y, y_val)
        if self._estimator is None and (callable(metric) or self.n_classes > 2):
            self._estimator = self._equivalent_estimator()
        self.engine = self._estimator is None
        if empty_score is None:
            empty_score = 0.0 if callable(metric) else self._zero_model_score()
        if isinstance(empty_score, bool) or not isinstance(empty_score, numbers.Real) or not np.isfinite(empty_score):
            raise ValueError(f"empty_score must be a finite number, got {empty_score!r}")
        self.empty_score = float(empty_score)
        self._total = None

    # -- setup -----------------------------------------------------------------------------------

    def _prepare_targets(self, y, y_val):
        if self.kind == "classification":
            for name, a in (("y", y), ("y_val", y_val)):
                if a.dtype.kind == "f" and not np.isfinite(a).all():
                    raise ValueError(f"{name} contains NaN or infinite values")
            self.classes = np.unique(y)
            if len(self.classes) < 2:
                raise ValueError(f"y must hold at least two classes, got {self.classes.tolist()}")
            unseen = np.setdiff1d(np.unique(y_val), self.classes)
            if unseen.size:
                raise ValueError(f"y_val holds classes absent from y: {unseen.tolist()}")
            missing = np.setdiff1d(self.classes, np.unique(y_val))
            if missing.size:
                raise ValueError(f"y_val lacks the classes {missing.tolist()}: use a stratified validation split")
            self.n_classes = len(self.classes)
            self.y_raw, self.y_val_raw = y, y_val
            self.y = np.searchsorted(self.classes, y).astype(np.float64)
            self.y_val = np.searchsorted(self.classes, y_val).astype(np.float64)
        else:
            self.n_classes = 0
            self.classes = None
            self.y = as_float_array(y, "y", ndim=1, dtypes=(np.float64,))
            self.y_val = as_float_array(y_val, "y_val", ndim=1, dtypes=(np.float64,))
            self.y_raw, self.y_val_raw = self.y, self.y_val
            if self.metric == "r2" and np.ptp(self.y_val) == 0:
                raise ValueError("metric='r2' needs a non-constant y_val")

    def _equivalent_estimator(self):
        from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

        if self.model == "logistic":
            if self.l2 == 0:
                return LogisticRegression(penalty=None, tol=1e-10, max_iter=10_000)
            return LogisticRegression(C=1.0 / float(self.l2 or 0.0), tol=1e-10, max_iter=10_000)
        return LinearRegression() if self.model == "ols" else Ridge(alpha=self.l2)

    def engine_options(self, n_threads: int = 1):
        """A fresh options object of the compiled engine for one call (never shared between calls,
        so concurrent calls on one utility are safe)."""
        o = self._make_options()
        o.empty_score = self.empty_score
        o.n_threads = int(n_threads)
        return o

    def _make_options(self):
        from . import _core

        sv = _core.semivalues
        o = sv.Options()
        o.model = sv.Model.logistic if self.model == "logistic" else sv.Model.least_squares
        o.metric = {"loss": sv.Metric.loss, "mse": sv.Metric.loss, "accuracy": sv.Metric.accuracy,
                    "r2": sv.Metric.r2}[self.metric]
        o.l2 = float(self.l2 or 0.0)
        o.tol = self.tol
        o.max_iter = self.max_iter
        return o

    def _zero_model_score(self) -> float:
        if self.engine:
            from . import _core

            return float(_core.semivalues.zero_model_score(self.X, self.y, self.X_val, self.y_val,
                                                           self._make_options()))
        yv = self.y_val
        if self.kind == "classification":
            if self.metric == "accuracy":
                return float(np.mean(yv == 0))
            return -float(np.log(self.n_classes))
        mse = float(np.mean(yv ** 2))
        return 1.0 - mse / float(np.var(yv)) if self.metric == "r2" else -mse

    # -- evaluation ------------------------------------------------------------------------------

    def __call__(self, indices) -> float:
        """u(S) for the pool rows `indices` (repeats count as repeated rows)."""
        return float(self.evaluate([indices])[0])

    def evaluate(self, subsets, targets=None, *, n_jobs=None):
        """u(S) for each subset (a list of index arrays); with `targets` also u(S ∪ {t}).

        Returns an array of scores, or a pair (u(S), u(S ∪ {t})) with targets.
        """
        subs = [_subset(s, self.n_players, f"subsets[{i}]") for i, s in enumerate(subsets)]
        if targets is not None:
            targets = _subset(targets, self.n_players, "targets")
            if len(targets) != len(subs):
                raise ValueError("targets must hold one index per subset")
        if self.engine:
            return self._engine_evaluate(subs, targets, n_jobs)
        score = self._sklearn_map(subs, n_jobs)
        if targets is None:
            return score
        plus = self._sklearn_map([np.append(s, t) for s, t in zip(subs, targets)], n_jobs)
        return score, plus

    def _engine_evaluate(self, subs, targets, n_jobs):
        score, plus, status = self.engine_scores(subs, targets, effective_n_jobs(n_jobs))
        raise_status(status)
        return score if targets is None else (score, plus)

    def engine_scores(self, subs, targets, n_threads: int = 1):
        """(u(S), u(S ∪ {t}) or None, status) of checked subsets through the compiled engine,
        without raising for a failed fit (a caller merging parts raises once for all)."""
        from . import _core

        ptr = np.zeros(len(subs) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(s) for s in subs])
        idx = np.concatenate(subs) if subs else np.zeros(0, dtype=np.int64)
        res = _core.semivalues.evaluate_subsets(self.X, self.y, self.X_val, self.y_val,
                                                self.engine_options(n_threads),
                                                ptr, idx.astype(np.int64), targets)
        plus = None if targets is None else np.array(res.score_plus)
        return np.array(res.score), plus, np.asarray(res.status)

    def _sklearn_map(self, subs, n_jobs):
        n_jobs = effective_n_jobs(n_jobs)
        if n_jobs == 1 or len(subs) < 2:
            return np.array([self._sklearn_score(s) for s in subs], dtype=np.float64)
        from joblib import Parallel, delayed

        chunks = np.array_split(np.arange(len(subs)), min(len(subs), 4 * n_jobs))
        out = Parallel(n_jobs=n_jobs)(
            delayed(_score_chunk)(self, [subs[i] for i in c]) for c in chunks)
        return np.concatenate(out)

    def _sklearn_score(self, idx) -> float:
        if len(idx) == 0:
            return self.empty_score
        y = self.y_raw[idx]
        if self.kind == "classification" and len(np.unique(y)) < self.n_classes:
            return self.empty_score
        from sklearn.base import clone

        est = clone(self._estimator)
        est.fit(self.X[idx], y)
        return self.score_fitted(est)

    def score_fitted(self, est) -> float:
        """The score of a fitted estimator on the validation set, by this utility's metric."""
        if callable(self.metric):
            return float(self.metric(est, self.X_val, self.y_val_raw))
        if self.kind == "classification":
            if self.metric == "accuracy":
                return float(np.mean(est.predict(self.X_val) == self.y_val_raw))
            proba = est.predict_proba(self.X_val)
            cols = np.searchsorted(np.asarray(self.classes), est.classes_)
            p = np.full((len(self.X_val), self.n_classes), 0.0)
            p[:, cols] = proba
            pk = p[np.arange(len(self.X_val)), self.y_val.astype(np.int64)]
            with np.errstate(divide="ignore"):
                return -float(np.mean(-np.log(pk)))
        r = self.y_val - est.predict(self.X_val)
        mse = float(np.mean(r * r))
        return 1.0 - mse / float(np.var(self.y_val)) if self.metric == "r2" else -mse

    def total_score(self) -> float:
        """u(N), the score of the model trained on the whole pool (cached)."""
        if self._total is None:
            self._total = self(np.arange(self.n_players))
        return self._total

    def __repr__(self) -> str:
        name = self.model if isinstance(self.model, str) else type(self.model).__name__
        return f"ModelUtility(model={name!r}, metric={self.metric!r}, n_players={self.n_players})"


def _score_chunk(u, subs):
    return np.array([u._sklearn_score(s) for s in subs], dtype=np.float64)


def raise_status(status) -> None:
    bad = np.flatnonzero(np.asarray(status))
    if bad.size:
        code = int(np.asarray(status)[bad[0]])
        raise ValueError(f"{bad.size} fit(s) failed (first: #{int(bad[0])}): {_STATUS.get(code, 'unknown error')}")
