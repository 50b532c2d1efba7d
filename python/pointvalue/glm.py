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
from ._validation import as_float_array, as_int, check_choice

__all__ = ["ConvergenceWarning", "GLMFit", "fit_glm"]

MODELS = {"ols": 0, "logistic": 1, "poisson": 2, "quantile": 3}

# Status codes of the C++ solver (GlmStatus).
_OK, _MAXITER, _SINGULAR, _SEPARABLE, _DIVERGED = range(5)


class ConvergenceWarning(UserWarning):
    """A solver stopped before reaching its tolerance."""


def _as_design(X, name="X", finite=True, float32_ok=False):
    """float64 C- or F-contiguous view of X (float32 / integer / non-contiguous input: one copy).

    ``finite=False`` skips the NaN/inf scan; the caller must then detect non-finite results.
    ``float32_ok``: a contiguous float32 array is passed through (kernels that read float32).
    """
    X = as_float_array(np.asarray(X), name, ndim=2, finite=finite)
    contiguous = X.flags.c_contiguous or X.flags.f_contiguous
    if float32_ok and X.dtype == np.float32 and contiguous:
        return X
    if X.dtype != np.float64 or not contiguous:
        X = np.ascontiguousarray(X, dtype=np.float64)
    return X


def _as_vector(a, name, n, *, finite=True):
    arr = as_float_array(np.asarray(a), name, ndim=1, dtypes=(np.float64,), finite=finite)
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but X has {n} rows")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _check_weights(weights, n):
    if weights is None:
        return None
    w = _as_vector(weights, "weights", n)
    if (w < 0).any():
        raise ValueError("weights must be non-negative (a negative case weight has no meaning)")
    if not w.sum() > 0:
        raise ValueError("weights must have a positive sum (all weights are zero)")
    return w


def _check_float(value, name, *, minimum=None, open_interval=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    if open_interval is not None and not (open_interval[0] < value < open_interval[1]):
        raise ValueError(f"{name} must be in the open interval {open_interval}, got {value!r}")
    return value


def _check_response(y, model, n, w):
    """y as float64; model-specific domain checks (rows with zero weight are ignored)."""
    y = _as_vector(y, "y", n)
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
        X = as_float_array(np.asarray(X), "X", ndim=2, allow_empty=True)
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


def fit_glm(
    X,
    y,
    model: str = "ols",
    weights=None,
    l2: float = 0.0,
    tau: float = 0.5,
    fit_intercept: bool = True,
    tol: float = 1e-10,
    max_iter: int = 100,
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
    weights : array_like of shape (n,), optional
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
    model = check_choice(model, "model", set(MODELS))
    X = _as_design(X, float32_ok=True)
    n, _d = X.shape
    w = _check_weights(weights, n)
    y = _check_response(y, model, n, w)
    l2 = _check_float(l2, "l2", minimum=0.0)
    tau = _check_float(tau, "tau", open_interval=(0.0, 1.0))
    tol = _check_float(tol, "tol", minimum=0.0)
    if not tol > 0:
        raise ValueError("tol must be positive")
    max_iter = as_int(max_iter, "max_iter", minimum=1)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {fit_intercept!r}")
    if model == "quantile" and l2 > 0:
        raise ValueError("l2 > 0 is not supported for model='quantile' (the fit is a linear program)")
    r = _core.glm.fit_glm(X, y, w, MODELS[model], l2, tau, bool(fit_intercept), tol, max_iter)
    status = r["status"]
    if status == _SEPARABLE:
        raise ValueError(
            "the classes in y are linearly separable by X (perfect separation): the logistic "
            "maximum-likelihood estimate does not exist with l2=0; pass l2 > 0 (for example "
            "l2=1e-4) to regularize"
        )
    if status == _SINGULAR:
        raise ValueError(
            f"X is rank deficient (collinear or constant columns): the {model} fit is not unique "
            "with l2=0; drop the redundant columns or pass l2 > 0"
        )
    if status == _DIVERGED:
        hint = (" The classes may be quasi-separable; pass l2 > 0." if model == "logistic"
                and l2 == 0 else "")
        raise ValueError(f"the {model} Newton iteration could not make progress "
                         f"(gradient norm {r['grad_norm']:.3g}).{hint}")
    if model == "logistic" and l2 == 0 and r["max_abs_eta"] > 30:
        msg = ("fitted probabilities are numerically 0 or 1 (|η| > 30): the classes are probably "
               "quasi-separable and the MLE does not exist; pass l2 > 0")
        if status == _MAXITER:
            raise ValueError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    elif model == "poisson" and l2 == 0 and status in (_OK, _MAXITER):
        # Rows with y = 0 that X can push to μ → 0: the MLE does not exist (η → −∞).
        eta = X @ r["coef"] + (r["intercept"] if fit_intercept else 0.0)
        active = eta if w is None else eta[w > 0]
        ybar = float(np.average(y, weights=w))
        if active.min() < np.log(ybar) - 20.0:
            msg = ("fitted Poisson means are numerically 0 for some rows (η more than 20 below "
                   "log(mean y)): rows with y = 0 are probably separable by X and the MLE does "
                   "not exist; pass l2 > 0")
            if status == _MAXITER:
                raise ValueError(msg)
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    if status == _MAXITER and not (model == "logistic" and l2 == 0 and r["max_abs_eta"] > 30):
        warnings.warn(f"fit_glm(model={model!r}) did not converge in max_iter={max_iter} "
                      f"iterations (gradient norm {r['grad_norm']:.3g})", ConvergenceWarning,
                      stacklevel=2)
    return GLMFit(r["coef"], r["intercept"] if fit_intercept else 0.0, model, r["n_iter"],
                  r["converged"], r["objective"], grad_norm=r["grad_norm"], rank=r["rank"], l2=l2,
                  tau=tau, fit_intercept=bool(fit_intercept), lstsq_fallback=r["lstsq_fallback"])
