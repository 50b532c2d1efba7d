"""Input checks of the marginal-contribution functions: the data, the model, points and pairs."""

from __future__ import annotations

import hashlib
import numbers

import numpy as np

from ._validation import check_choice, check_design, check_scalar, check_vector

#: Default penalty per model: ``Σ_i loss_i + (l2/2)·‖w‖²``, intercept unpenalized.
#: ``logistic`` 1.0 is scikit-learn's ``LogisticRegression()`` default (``C = 1/l2 = 1``);
#: ``ridge`` 1.0 is ``Ridge()``'s default ``alpha``; ``ols`` is unpenalized.
DEFAULT_L2 = {"logistic": 1.0, "ols": 0.0, "ridge": 1.0}


def subset_array(s, i) -> np.ndarray:
    a = np.asarray(s)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"subsets[{i}] must be a non-empty 1-D array of pool indices")
    if a.dtype.kind not in "iu":
        raise TypeError(f"subsets[{i}] must hold integers, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def check_pairs(sub_arrays, targets) -> None:
    """Raise for the first subset that repeats an index or contains one of its targets."""
    for i, (a, t) in enumerate(zip(sub_arrays, targets)):
        if len(np.unique(a)) != len(a):
            raise ValueError(f"subsets[{i}] repeats an index")
        inside = np.isin(t, a)
        if inside.any():
            raise ValueError(f"points[{i}] holds {int(t[inside][0])}, which lies in subsets[{i}]")


def is_estimator(model) -> bool:
    return hasattr(model, "fit") and hasattr(model, "get_params")


class Data:
    """Validated arrays in the kernels' form (labels encoded 0..K−1 for classification)."""

    def __init__(self, X, y, X_val, y_val, kind):
        self.X = check_design(X, "X")
        self.X_val = check_design(X_val, "X_val")
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
        self.y: np.ndarray | None
        self.y_val: np.ndarray | None
        self.label: np.ndarray | None
        self.label_val: np.ndarray | None
        self.classes: np.ndarray | None
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
            self.y = check_vector(y, "y")
            self.y_val = check_vector(y_val, "y_val")
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


def resolve_model(model, l2, metric, approx):
    """(name, kind, l2, metric) for a model name, or ("sklearn", kind, None, metric)."""
    if is_estimator(model):
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
    l2 = check_scalar(l2, "l2", numbers.Real, min_val=0.0)
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


def check_points(points, n):
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


def check_tol(tol, max_iter) -> None:
    check_scalar(tol, "tol", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="neither")
    check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)



def check_subsets(subsets, n) -> list[np.ndarray]:
    """Base sets D as a list of int64 index arrays inside the pool [0, n)."""
    if isinstance(subsets, np.ndarray) and subsets.ndim == 2 or isinstance(subsets, (list, tuple)):
        subs = list(subsets)
    else:
        raise TypeError("subsets must be a list of index arrays or a 2-D array of indices")
    if not subs:
        raise ValueError("subsets is empty")
    sub_arrays = [subset_array(s, i) for i, s in enumerate(subs)]
    for i, a in enumerate(sub_arrays):
        if a.min() < 0 or a.max() >= n:
            raise ValueError(f"subsets[{i}] holds indices outside the pool [0, {n})")
    return sub_arrays


def check_targets(points, n_subsets, n) -> np.ndarray:
    """Targets as an int64 (n_subsets, t) array of pool indices (one row per subset)."""
    pts = np.asarray(points)
    if pts.dtype.kind not in "iu":
        raise TypeError(f"points must hold integer pool indices, got dtype {pts.dtype}")
    if pts.ndim not in (1, 2):
        raise ValueError(f"points must be 1-D or 2-D, got shape {pts.shape}")
    tg = pts if pts.ndim == 2 else pts.reshape(-1, 1)
    if tg.shape[0] != n_subsets:
        raise ValueError(f"points needs one row per subset ({n_subsets}), got {tg.shape[0]}")
    tg = tg.astype(np.int64)
    if tg.size and (tg.min() < 0 or tg.max() >= n):
        raise ValueError(f"points must be pool indices in [0, {n})")
    return tg
