"""Weighted GLM solvers: least squares / ridge, logistic, Poisson and quantile regression.

All models minimize ``Σ_i w_i·loss_i(η_i) + (l2/2)·‖coef‖²`` with ``η_i = x_iᵀcoef + intercept``
and the intercept unpenalized. The heavy lifting is in C++ (``cpp/src/glm.cpp``): passes over X
run in parallel over a row partition fixed by the data size (results do not depend on the thread
count), and the intercept is an implicit column (X is never copied to append it).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _core
from ._threads import uses_n_jobs
from ._validation import check_bool, check_choice, check_design, check_sample_weight, check_scalar, check_vector

__all__ = ["ConvergenceWarning", "GLMFit", "fit_glm"]

#: The models, by name (the members of the compiled enum ``_core.glm.Model``).
MODELS = tuple(_core.glm.Model.__members__)  # names; enums are looked up per call


class ConvergenceWarning(UserWarning):
    """A solver stopped before reaching its tolerance."""


def _deprecated_weights(sample_weight, weights):
    """`weights=` → `sample_weight=` for one release (DeprecationWarning)."""
    if weights is None:
        return sample_weight
    if sample_weight is not None:
        raise TypeError("pass sample_weight only (weights is its deprecated alias)")
    warnings.warn("weights= is deprecated and will be removed in the next release; use "
                  "sample_weight=", DeprecationWarning, stacklevel=4)
    return weights


def _check_response(y, model, n, w):
    """y as float64; model-specific domain checks (rows with zero weight are ignored)."""
    y = check_vector(y, "y", n)
    active = y if w is None else y[w > 0]
    if model == "logistic":
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("y must be binary (0/1 or bool) for model='logistic'")
        if active.min() == active.max():
            raise ValueError(
                "y has a single class (among rows with positive weight): the logistic fit is "
                "undefined"
            )
    elif model == "poisson":
        if (y < 0).any():
            raise ValueError("y must be non-negative for model='poisson'")
        if not active.max() > 0:
            raise ValueError("y is zero on every row: the Poisson MLE does not exist (η → −∞)")
    return y


class GLMFit:
    """Result of :func:`fit_glm`.

    Attributes
    ----------
    coef : numpy.ndarray of shape (d,)
        Coefficients.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    model : str
        ``"ols"``, ``"logistic"``, ``"poisson"`` or ``"quantile"``.
    n_iter : int
        Newton (IRLS) iterations, refinement steps (OLS) or interior-point iterations (quantile).
    converged : bool
        Whether the tolerance was reached (quantile: the returned vertex passed the LP optimality
        check, or the duality gap is below ``tol``).
    objective : float
        ``Σ w_i loss_i + (l2/2)‖coef‖²`` at the solution.
    grad_norm : float
        ``‖∇objective‖∞`` at the last Newton iterate, before the final Newton step taken from its
        Hessian (0 for quantile regression).
    rank : int
        Numerical rank used (OLS: smaller than d for a rank-deficient design, whose
        minimum-norm solution is returned).
    l2, tau, fit_intercept
        The settings of the fit.
    """

    def __init__(self, coef, intercept, model, n_iter, converged, objective, *, grad_norm=0.0,
                 rank=None, l2=0.0, tau=0.5, fit_intercept=True, lstsq_fallback=False):
        self.coef = coef
        self.intercept = float(intercept)
        self.model = model
        self.n_iter = int(n_iter)
        self.converged = bool(converged)
        self.objective = float(objective)
        self.grad_norm = float(grad_norm)
        self.rank = int(rank if rank is not None else coef.shape[0])
        self.l2 = l2
        self.tau = tau
        self.fit_intercept = fit_intercept
        self.lstsq_fallback = bool(lstsq_fallback)

    def decision_function(self, X) -> np.ndarray:
        """Linear predictor ``X @ coef + intercept``.

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        numpy.ndarray of shape (m,)
        """
        X = check_design(X, allow_empty=True)
        if X.shape[1] != self.coef.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns, the fit has {self.coef.shape[0]}")
        return X @ self.coef + self.intercept

    def predict(self, X) -> np.ndarray:
        """Mean response: the linear predictor for ols / quantile, ``1/(1+e^-η)`` for logistic,
        ``e^η`` for poisson.

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        numpy.ndarray of shape (m,)
        """
        eta = self.decision_function(X)
        if self.model == "logistic":
            return _sigmoid(eta)
        if self.model == "poisson":
            return np.exp(eta)
        return eta

    def __repr__(self):
        return (f"GLMFit(model={self.model!r}, d={self.coef.shape[0]}, intercept={self.intercept:.6g}, "
                f"objective={self.objective:.10g}, n_iter={self.n_iter}, converged={self.converged})")


def _sigmoid(eta):
    out = np.empty_like(eta)
    pos = eta >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-eta[pos]))
    e = np.exp(eta[~pos])
    out[~pos] = e / (1.0 + e)
    return out


@uses_n_jobs
def fit_glm(
    X,
    y,
    model: str = "ols",
    sample_weight=None,
    l2: float = 0.0,
    tau: float = 0.5,
    fit_intercept: bool = True,
    tol: float = 1e-10,
    max_iter: int = 100,
    *,
    n_jobs: int | None = None,
    weights=None,
) -> GLMFit:
    """Fit a weighted (penalized) linear, logistic, Poisson or quantile regression.

    Minimizes ``Σ_i w_i·loss_i(η_i) + (l2/2)·‖coef‖²`` over ``coef`` (and the unpenalized
    ``intercept``), ``η_i = x_iᵀcoef + intercept``, with

    ============  ===============================  ==============================================
    model         loss_i                           solver
    ============  ===============================  ==============================================
    ``ols``       ``½ (y_i − η_i)²``               Cholesky of the (centred, equilibrated) Gram
                                                   matrix + iterative refinement; complete
                                                   orthogonal decomposition when ill-conditioned
    ``logistic``  ``log(1 + e^η_i) − y_i η_i``     Newton (IRLS) with Armijo line search
    ``poisson``   ``e^η_i − y_i η_i``              Newton (IRLS) with Armijo line search
    ``quantile``  ``ρ_τ(y_i − η_i)``               Frisch–Newton interior point + crossover to
                                                   the optimal vertex (exact LP solution)
    ============  ===============================  ==============================================

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design (numpy array or pandas DataFrame). float64 and float32 C- or F-ordered arrays are
        used without a copy (float32 blocks are converted to float64 in cache; all arithmetic is
        float64); integer or non-contiguous input is converted once to float64.
    y : array_like of shape (n,)
        Response: real (ols, quantile), 0/1 (logistic), non-negative counts or rates (poisson).
    model : {"ols", "logistic", "poisson", "quantile"}, default "ols"
    sample_weight : array_like of shape (n,), optional
        Non-negative case weights ``w_i`` (rows with zero weight are ignored).
    l2 : float, default 0.0
        Ridge penalty on ``coef`` (not the intercept). scikit-learn equivalents:
        ``Ridge(alpha=l2)``, ``LogisticRegression(C=1/l2)``,
        ``PoissonRegressor(alpha=l2 / Σw)``. Not supported for ``quantile`` (an LP).
    tau : float, default 0.5
        Quantile in (0, 1) (quantile regression only).
    fit_intercept : bool, default True
        Fit an unpenalized intercept (an implicit column of ones; X is not copied).
    tol : float, default 1e-10
        Newton: stop when ``‖∇‖∞ ≤ tol·‖∇₀‖∞`` (the gradient at the start, relative), or when the
        Newton decrement is below the rounding of the objective. Quantile: relative duality gap
        of the interior-point phase, after which the optimal vertex is identified and checked.
    max_iter : int, default 100
        Maximum Newton or interior-point iterations.
    n_jobs : int, optional
        Threads of the passes over X: None means 1 (unless a ``joblib.parallel_config`` context
        sets it), -1 all cores. Results do not depend on it.
    weights : array_like of shape (n,), optional
        Deprecated alias of `sample_weight` (removed in the next release).

    Returns
    -------
    GLMFit

    Raises
    ------
    ValueError
        NaN/inf or wrong shapes; negative weights; y outside the model's domain or with a single
        class; separable classes for logistic regression with ``l2=0`` (the MLE does not exist:
        pass ``l2 > 0``); a rank-deficient design for logistic / Poisson / quantile regression with
        ``l2=0``; a Newton iteration that cannot make progress.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` is reached first, and for logistic regression with ``l2=0`` when fitted
        probabilities are numerically 0 or 1 (a sign of quasi-complete separation).

    Notes
    -----
    Rank-deficient OLS / ridge designs get the minimum-norm solution among all minimizers
    (``numpy.linalg.lstsq`` on the weighted, centred data when there is an intercept); the
    fallback factorizes one weighted copy of X. Intercept-only start values are used for the
    GLMs (``logit(ȳ)``, ``log(ȳ)``).

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 3)); y = X @ [1.0, -2.0, 0.5] + 3
    >>> fit = pv.fit_glm(X, y)
    >>> np.round(fit.coef, 6), round(fit.intercept, 6)
    (array([ 1. , -2. ,  0.5]), 3.0)
    """
    sample_weight = _deprecated_weights(sample_weight, weights)
    model = check_choice(model, "model", set(MODELS))
    X = check_design(X, float32=True)
    n, _d = X.shape
    w = check_sample_weight(sample_weight, n)
    y = _check_response(y, model, n, w)
    l2 = check_scalar(l2, "l2", numbers.Real, min_val=0.0)
    tau = check_scalar(tau, "tau", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="neither")
    tol = check_scalar(tol, "tol", numbers.Real, min_val=0.0, include_boundaries="neither")
    max_iter = check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    if model == "quantile" and l2 > 0:
        raise ValueError("l2 > 0 is not supported for model='quantile' (the fit is a linear program)")
    opt = _core.glm.Options()
    opt.model, opt.l2, opt.tau, opt.fit_intercept = _core.glm.Model.__members__[model], l2, tau, bool(fit_intercept)
    opt.tol, opt.max_iter = tol, max_iter
    r = _core.glm.fit_glm(X, y, w, opt)
    status = r.status
    if status == _core.glm.Status.separable:
        raise ValueError(
            "the classes in y are linearly separable by X (perfect separation): the logistic "
            "maximum-likelihood estimate does not exist with l2=0; pass l2 > 0 (for example "
            "l2=1e-4) to regularize"
        )
    if status == _core.glm.Status.singular:
        raise ValueError(
            f"X is rank deficient (collinear or constant columns): the {model} fit is not unique "
            "with l2=0; drop the redundant columns or pass l2 > 0"
        )
    if status == _core.glm.Status.diverged:
        hint = (" The classes may be quasi-separable; pass l2 > 0." if model == "logistic"
                and l2 == 0 else "")
        raise ValueError(f"the {model} Newton iteration could not make progress "
                         f"(gradient norm {r.grad_norm:.3g}).{hint}")
    if model == "logistic" and l2 == 0 and r.max_abs_eta > 30:
        msg = ("fitted probabilities are numerically 0 or 1 (|η| > 30): the classes are probably "
               "quasi-separable and the MLE does not exist; pass l2 > 0")
        if status == _core.glm.Status.max_iter:
            raise ValueError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    elif model == "poisson" and l2 == 0 and status in (_core.glm.Status.ok, _core.glm.Status.max_iter):
        # Rows with y = 0 that X can push to μ → 0: the MLE does not exist (η → −∞).
        eta = X @ r.coef + (r.intercept if fit_intercept else 0.0)
        active = eta if w is None else eta[w > 0]
        ybar = float(np.average(y, weights=w))
        if active.min() < np.log(ybar) - 20.0:
            msg = ("fitted Poisson means are numerically 0 for some rows (η more than 20 below "
                   "log(mean y)): rows with y = 0 are probably separable by X and the MLE does "
                   "not exist; pass l2 > 0")
            if status == _core.glm.Status.max_iter:
                raise ValueError(msg)
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    if status == _core.glm.Status.max_iter and not (model == "logistic" and l2 == 0 and r.max_abs_eta > 30):
        warnings.warn(f"fit_glm(model={model!r}) did not converge in max_iter={max_iter} "
                      f"iterations (gradient norm {r.grad_norm:.3g})", ConvergenceWarning,
                      stacklevel=2)
    return GLMFit(r.coef, r.intercept if fit_intercept else 0.0, model, r.n_iter,
                  r.converged, r.objective, grad_norm=r.grad_norm, rank=r.rank, l2=l2,
                  tau=tau, fit_intercept=bool(fit_intercept), lstsq_fallback=r.lstsq_fallback)
