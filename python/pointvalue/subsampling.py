"""``InfluenceSampler``: optimal subsampling with influence functions (Ting & Brochu, 2018).

A pilot model is fitted on a uniform sample; every other row gets a size measure (by default the
norm of its influence on the coefficients or on the predictions); regularized PPS probabilities
with expected size ``size`` are computed; a Poisson sample is drawn from the rows outside the pilot
and the model is refitted on it with inverse-probability weights ``1/π``.
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np

from . import _core
from ._validation import (
    check_bool,
    check_choice,
    check_design,
    check_n_jobs,
    check_sample_weight,
    check_scalar,
    check_vector,
    is_dask_collection,
)
from .glm import fit_glm
from .influence import influence_scores
from .leverage import leverage_scores
from .random import spawn_keys
from .sampling import inclusion_probabilities, poisson_sample, smallest_uniforms

__all__ = ["InfluenceSampler", "SCORE_KINDS", "subsampling_scores"]

MODELS = tuple(_core.glm.Model.__members__)
TARGETS = tuple(_core.glm.Target.__members__)
APPROXES = tuple(_core.glm.Approx.__members__)
SCORE_KINDS = (
    "influence",
    "uniform",
    "leverage",
    "root_leverage",
    "gradient",
    "abs_residual",
    "squared_residual",
    "local_case_control",
)
_BLOCK = 1 << 15  # rows per block when a float32 design is used in float64 arithmetic


class _Params:
    """get_params / set_params / repr in scikit-learn's convention (no scikit-learn needed)."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep=True):
        """Constructor parameters of this estimator (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters; returns self (scikit-learn convention)."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid: {valid}")
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self):
        """scikit-learn ≥ 1.6 tags (scikit-learn is imported only when asked)."""
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        regressor = getattr(self, "model", None) != "logistic"
        return Tags(
            estimator_type="regressor" if regressor else None,
            target_tags=TargetTags(required=True),
            regressor_tags=RegressorTags() if regressor else None,
            input_tags=InputTags(),
        )

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for k, v in self.get_params().items():
            d = defaults.get(k, inspect.Parameter.empty)
            if d is inspect.Parameter.empty or not (v is d or (type(v) is type(d) and v == d)):
                shown.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _NotFittedError(ValueError, AttributeError):
    """scikit-learn's NotFittedError bases, when scikit-learn is not installed."""


def _not_fitted_error(msg):
    try:
        from sklearn.exceptions import NotFittedError
    except ImportError:
        return _NotFittedError(msg)
    return NotFittedError(msg)


def _linear_predictor(X, coef, intercept):
    """X @ coef + intercept in float64; a float32 X is multiplied block by block (no full copy)."""
    if X.dtype == np.float64:
        eta = X @ coef
    else:
        eta = np.empty(X.shape[0])
        for r0 in range(0, X.shape[0], _BLOCK):
            eta[r0:r0 + _BLOCK] = X[r0:r0 + _BLOCK].astype(np.float64) @ coef
    eta += intercept
    return eta


def _row_sq_norms(X):
    out = np.empty(X.shape[0])
    for r0 in range(0, X.shape[0], _BLOCK):
        B = X[r0:r0 + _BLOCK]
        out[r0:r0 + _BLOCK] = np.einsum("ij,ij->i", B, B, dtype=np.float64)
    return out


def _mean(model, eta):
    if model == "logistic":
        return 0.5 * (1.0 + np.tanh(0.5 * eta))  # overflow-free sigmoid
    if model == "poisson":
        return np.exp(eta)
    return eta


def _fit_keys(random_state):
    """The keys of one fit: pilot, scores (sketches), Poisson draw; the same in memory and on Dask."""
    return spawn_keys(random_state, 3)


def _rows64(X, idx):
    return np.asarray(X[idx], dtype=np.float64)


def subsampling_scores(X, y, coef, intercept=0.0, *, scores="influence", model="ols", target="coef",
                       approx="exact", tau=0.5, l2=0.0, fit_intercept=True, random_state=None,
                       n_jobs=None):
    """Size measure of every row for a sampling design, given a (pilot) fit.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design (float32 or float64, C or F order, not copied except as noted for leverage).
    y : array_like of shape (n,)
        Response.
    coef : array_like of shape (d,)
        Pilot coefficients.
    intercept : float, default 0.0
        Pilot intercept (ignored when `fit_intercept` is False).
    scores : str, default "influence"
        One of :data:`SCORE_KINDS`; see :class:`InfluenceSampler`.
    model, target, approx, tau, l2, fit_intercept :
        As in :class:`InfluenceSampler`.
    random_state : None, int or numpy.random.Generator
        For the sketches (``approx="sketch"`` and ``"lowrank"``).
    n_jobs : int, optional
        Threads: None means 1 (unless a ``joblib.parallel_config`` context sets it), -1 all
        cores. Results do not depend on it.

    Returns
    -------
    numpy.ndarray of shape (n,), float64, non-negative
    """
    check_choice(scores, "scores", SCORE_KINDS)
    check_choice(model, "model", MODELS)
    check_choice(target, "target", TARGETS)
    check_choice(approx, "approx", APPROXES)
    if scores == "local_case_control" and model != "logistic":
        raise ValueError("scores='local_case_control' needs model='logistic'")
    if scores in ("leverage", "root_leverage") and approx not in ("exact", "sketch"):
        raise ValueError(f"approx must be 'exact' or 'sketch' for scores={scores!r}, got {approx!r}")
    X = check_design(X, float32=True)
    y = check_vector(y, "y", X.shape[0])
    coef = check_vector(coef, "coef", X.shape[1], per="column of X")
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    intercept = check_scalar(intercept, "intercept", numbers.Real) if fit_intercept else 0.0
    tau = check_scalar(tau, "tau", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="neither")
    n_jobs = check_n_jobs(n_jobs)
    n = X.shape[0]
    if scores == "uniform":
        return np.ones(n)
    if scores in ("leverage", "root_leverage"):
        D = X
        if fit_intercept:
            D = np.empty((n, X.shape[1] + 1))
            D[:, :-1] = X
            D[:, -1] = 1.0
        h = leverage_scores(D, method=approx, random_state=random_state, n_jobs=n_jobs)
        return np.sqrt(h) if scores == "root_leverage" else h
    if scores == "influence":
        return np.asarray(
            influence_scores(X, y, coef, model=model, intercept=intercept if fit_intercept else None,
                             target=target, approx=approx, tau=tau, l2=l2, random_state=random_state,
                             n_jobs=n_jobs),
            dtype=np.float64,
        )
    eta = _linear_predictor(X, coef, intercept)
    r = y - _mean(model, eta)
    if scores in ("abs_residual", "local_case_control"):
        return np.abs(r)
    if scores == "squared_residual":
        return r * r
    # gradient (Zhu 2016): |per-row gradient factor| · ‖(x_i, 1)‖
    # quantile: |ρ'_τ(r)| (τ above, 1 − τ below, 0 for an exact zero: the minimum-norm subgradient)
    g = np.where(r < 0, 1.0 - tau, np.where(r > 0, tau, 0.0)) if model == "quantile" else np.abs(r)
    return g * np.sqrt(_row_sq_norms(X) + float(fit_intercept))


class InfluenceSampler(_Params):
    """Optimal subsampling with influence functions, then a weighted refit (Ting & Brochu, 2018).

    Parameters
    ----------
    model : {"ols", "logistic", "poisson", "quantile"}, default "ols"
        The model fitted by :func:`pointvalue.fit_glm` on the pilot and on the weighted sample.
    target : {"coef", "prediction"}, default "coef"
        What the influence is measured on (``scores="influence"``): the coefficients
        (``‖ψ_i‖``) or the vector of fitted values (``|r_i|·√H_ii`` for OLS).
    size : int or float, default 2000
        Expected size ``Σ π_i`` of the weighted sample, drawn from the rows outside the pilot,
        so at most ``n − pilot_size`` (a larger size raises ValueError rather than return a
        smaller sample than asked for). ``size ≥ n`` uses every row, the pilot's included, with
        weight 1 (the full-data fit) and says so with a ``UserWarning``, as scikit-learn's
        ``max_samples`` does.
    pilot_size : int, optional
        Rows of the uniform pilot sample. Default ``max(10·(d + 1), size // 4)``, at most ``n // 2``
        and, when `size` is close to n, fewer (down to the number of parameters) so that `size`
        rows remain outside the pilot.
        The paper uses the smallest subsample size of its experiments (1000).
    scores : str, default "influence"
        Size measure for the PPS probabilities:
        ``"influence"`` (:func:`pointvalue.influence_scores` with `target` and `approx`),
        ``"uniform"``, ``"leverage"`` (``H_ii`` of the design, intercept column included),
        ``"root_leverage"`` (``√H_ii``), ``"gradient"`` (Zhu 2016: ``|g_i|·‖x_i‖`` with the
        per-row gradient factor ``g_i``: the residual ``y − μ̂``, or ``τ − 1{r < 0}`` for
        quantile), ``"abs_residual"`` (``|y − μ̂|``), ``"squared_residual"`` (``(y − μ̂)²``, the
        objective-approximation design the paper shows can lose to uniform) and
        ``"local_case_control"`` (logistic only: ``|y − p̂|``).
    approx : {"exact", "diag", "lowrank", "sketch"}, default "exact"
        Approximation of the influence (see :func:`pointvalue.influence_scores`); for the leverage
        scores ``"exact"`` or ``"sketch"`` (SRHT).
    tau : float, default 0.5
        Quantile level (``model="quantile"``).
    min_prob : float, optional
        Floor on the inclusion probabilities (caps the weights at ``1/min_prob``). Default
        ``0.1 · size / m`` with ``m`` the rows outside the pilot: no row is sampled with less than a
        tenth of the uniform rate. Use 0 for no floor.
    fit_intercept : bool, default True
        Fit an unpenalized intercept (scikit-learn convention; do not add a column of ones).
    l2 : float, default 0.0
        Penalty ``(l2/2)·‖coef‖²`` added to the (weighted) sum of losses, as in
        :func:`pointvalue.fit_glm`. The weighted sample estimates the full-data sum, so `l2` means
        the same as on the full data (the pilot uses ``l2 · pilot_size / n``).
    random_state : None, int or numpy.random.Generator
        Seed for the pilot, any sketch and the Poisson draw. Same seed, same sample, whatever the
        number of threads.
    n_jobs : int, optional
        Threads of every pass over X: None means 1 (unless a ``joblib.parallel_config`` context
        sets it), -1 all cores. Results do not depend on it.

    Attributes
    ----------
    probabilities_ : ndarray of shape (n,)
        Inclusion probabilities of every row in the weighted sample (0 for pilot rows, unless
        ``size ≥ n``: then 1 for every row).
    scores_ : ndarray of shape (n,)
        Size measure of every row (NaN for pilot rows).
    lambda_ : float
        The PPS scale ``λ`` (``π = clip(λ s, min_prob, 1)``).
    min_prob_ : float
        The floor used.
    pilot_indices_ : ndarray of int64
        Rows of the uniform pilot.
    pilot_coef_, pilot_intercept_ : ndarray of shape (d,), float
        Pilot fit.
    indices_ : ndarray of int64
        Rows of the weighted sample (ascending).
    weights_ : ndarray
        ``1 / probabilities_[indices_]``.
    coef_ : ndarray of shape (d,)
        Coefficients of the weighted refit (1-D for every model, logistic included).
    intercept_ : float
        Intercept of the weighted refit (0.0 when ``fit_intercept=False``).
    fit_, pilot_fit_ : GLMFit
        The full results of :func:`pointvalue.fit_glm`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when `X` was a pandas DataFrame.

    Notes
    -----
    Memory: the scores are computed on the full `X` as given (float64 C or F order: no copy); only
    the pilot and the sample are gathered (as float64). Residual-based designs read float32 `X` in
    blocks without a full copy; ``scores="influence"`` on float32 `X` converts it once to float64
    (the influence kernels are float64) and says so with a ``UserWarning``. ``"leverage"`` and
    ``"root_leverage"`` with ``fit_intercept=True`` build one float64 copy of the design with a
    column of ones.

    Randomness: one key is drawn from `random_state` and split into the keys of the pilot, the
    sketches and the Poisson draw (:func:`pointvalue.random.spawn_keys`). The pilot is the
    ``pilot_size`` rows with the smallest uniforms ``u(pilot key, i)`` (ties by index): a uniform
    draw without replacement that a chunked fit reproduces exactly.

    **Dask.** `X` may be a 2-D ``dask.array.Array`` chunked along the rows only (one column
    chunk, known chunk sizes) or a ``dask.dataframe.DataFrame`` (its partition lengths are
    computed once; non-numeric columns raise TypeError); `y` a dask array or Series, a numpy
    array, or the name of a column of the DataFrame. The active ``distributed`` client is used
    when there is one, else dask's default scheduler. The result is the in-memory fit's for the
    same seed, whatever the chunking (sketches excepted): the same pilot, the same scores and ``λ`` (to rounding,
    ~1e-15 relative), the same ``indices_``, ``weights_`` and coefficients. Each pass over the
    data is one task per chunk running the C++ kernels: the pilot rows are gathered and fitted
    on the client; Σ of the influence comes from per-chunk moments merged as a tree
    (``approx="exact"``, ``"diag"``; ``"sketch"`` and ``"lowrank"``: per-chunk SRHTs summed into
    Σ̂ — deterministic for a given chunking but not the in-memory SRHT, see ``docs/dask.md``), the
    leverage from the R factor of a tall-skinny QR (or of the stacked
    per-chunk SRHTs for ``approx="sketch"``); ``λ`` is solved exactly from per-chunk summaries (a few rounds of 1024-bin
    histograms of the breakpoints, then the few rows left near ``λ`` are gathered), without
    gathering the scores; the Poisson draw reads the global row indices of its stream; only the
    sample is gathered for the refit. Then ``scores_`` is a *persisted* dask array (on the
    workers with a ``distributed`` client: n floats, 1/d of the data) and ``probabilities_`` a
    *lazy* dask array computed from it; every other attribute is a numpy array or a number as
    in the in-memory fit. On an error (NaN in X or y, a bad score, a singular Σ) the exception
    is raised on the client and no attribute is changed.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20_000, 5)); y = X @ np.arange(1, 6) + rng.standard_normal(20_000)
    >>> s = pv.InfluenceSampler(size=1000, random_state=0).fit(X, y)
    >>> bool(abs(len(s.indices_) - 1000) < 150)  # Poisson sample of expected size 1000
    True
    >>> import dask.array as da  # doctest: +SKIP
    >>> Xd, yd = da.from_array(X, chunks=(3000, -1)), da.from_array(y, chunks=3000)  # doctest: +SKIP
    >>> t = pv.InfluenceSampler(size=1000, random_state=0).fit(Xd, yd)  # doctest: +SKIP
    >>> bool((t.indices_ == s.indices_).all())  # the same sample  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        model="ols",
        target="coef",
        size=2000,
        pilot_size=None,
        scores="influence",
        approx="exact",
        tau=0.5,
        min_prob=None,
        fit_intercept=True,
        l2=0.0,
        random_state=None,
        n_jobs=None,
    ):
        self.model = model
        self.target = target
        self.size = size
        self.pilot_size = pilot_size
        self.scores = scores
        self.approx = approx
        self.tau = tau
        self.min_prob = min_prob
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- validation ------------------------------------------------------------------------------
    def _check_params(self, n, d):
        check_choice(self.model, "model", MODELS)
        check_choice(self.target, "target", TARGETS)
        check_choice(self.scores, "scores", SCORE_KINDS)
        check_choice(self.approx, "approx", APPROXES)
        size = check_scalar(self.size, "size", numbers.Real, min_val=0.0, include_boundaries="neither")
        check_bool(self.fit_intercept, "fit_intercept")
        check_scalar(self.tau, "tau", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="neither")
        check_scalar(self.l2, "l2", numbers.Real, min_val=0.0)
        if self.min_prob is not None:
            check_scalar(self.min_prob, "min_prob", numbers.Real, min_val=0.0, max_val=1.0)
        if self.scores == "local_case_control" and self.model != "logistic":
            raise ValueError("scores='local_case_control' needs model='logistic'")
        if self.scores in ("leverage", "root_leverage") and self.approx not in ("exact", "sketch"):
            raise ValueError(f"approx must be 'exact' or 'sketch' for scores={self.scores!r}, got {self.approx!r}")
        if n < 3:
            raise ValueError(f"X has {n} rows (n_samples = {n}); subsampling needs at least 3")
        pilot = self._pilot_size(n, d, size)
        if size >= n:
            warnings.warn(f"size={size:g} is at least the number of rows n_samples={n}: every row is "
                          "used with weight 1 (the fit on the full data)", UserWarning, stacklevel=3)
        elif size > n - pilot:
            raise ValueError(
                f"size={size:g} is larger than the {n - pilot} rows left outside the pilot "
                f"(n_samples={n}, pilot_size={pilot}): the weighted sample is drawn from those rows; "
                f"lower size or pilot_size, or pass size >= {n} to fit on every row"
            )
        return size, pilot, check_n_jobs(self.n_jobs)

    def _pilot_size(self, n, d, size):
        """The given pilot_size, or max(10 (d + 1), size / 4) rows, at most n / 2, and shrunk (to
        no fewer rows than parameters) so that `size` rows remain outside the pilot."""
        if self.pilot_size is not None:
            return check_scalar(self.pilot_size, "pilot_size", numbers.Integral, min_val=1, max_val=n - 1)
        pilot = min(n // 2, max(10 * (d + 1), int(size) // 4))
        room = n - int(np.ceil(size))
        if size < n and room < pilot:
            pilot = max(room, min(pilot, d + int(bool(self.fit_intercept))))
        return pilot

    # -- fitting ---------------------------------------------------------------------------------
    def _fit_glm(self, X, y, sample_weight, l2, n_jobs):
        return fit_glm(X, y, model=self.model, sample_weight=sample_weight, l2=l2, tau=self.tau,
                       fit_intercept=bool(self.fit_intercept), n_jobs=n_jobs)

    def fit(self, X, y):
        """Draw the pilot and the weighted sample from (X, y) and fit the model on the sample.

        Parameters
        ----------
        X : array_like, pandas.DataFrame, dask array or dask DataFrame of shape (n, d)
            Design (float32 kept as float32 for the full-data passes). Dask: see the class Notes.
        y : array_like, pandas.Series, dask array or Series of shape (n,), or a column name
            Response (0/1 for logistic, non-negative counts for Poisson); a column name only
            with a dask DataFrame `X`.

        Returns
        -------
        self
        """
        if is_dask_collection(X):
            return self._fit_dask(X, y)
        # scores="influence": pv.influence_scores checks every value of X (one pass saved here)
        X, names = check_design(X, float32=True, finite=self.scores != "influence", feature_names=True)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        n, d = X.shape
        y = check_vector(y, "y", n)
        size, pilot, n_jobs = self._check_params(n, d)
        pilot_key, score_key, poisson_key = _fit_keys(self.random_state)

        # 1. uniform pilot: the rows with the smallest uniforms of the pilot stream
        pilot_idx = smallest_uniforms(pilot_key, n, pilot)[0]
        pilot_fit = self._fit_glm(_rows64(X, pilot_idx), y[pilot_idx], None, self.l2 * pilot / n, n_jobs)
        pcoef = np.asarray(pilot_fit.coef, dtype=np.float64)
        pint = float(pilot_fit.intercept) if self.fit_intercept else 0.0

        # 2. size measure on the rows outside the pilot (computed in one pass over all rows)
        if X.dtype == np.float32 and self.scores in ("influence", "leverage", "root_leverage"):
            warnings.warn(
                f"scores={self.scores!r} on float32 X: the influence/leverage kernels work in float64, "
                f"so X is converted once ({n * d * 8 / 1e6:.0f} MB); the residual-based designs "
                "('gradient', 'abs_residual', ...) read float32 X in blocks without a copy",
                UserWarning, stacklevel=2,
            )
        s = subsampling_scores(X, y, pcoef, pint, scores=self.scores, model=self.model,
                               target=self.target, approx=self.approx, tau=self.tau, l2=self.l2,
                               fit_intercept=bool(self.fit_intercept), random_state=score_key,
                               n_jobs=n_jobs)
        if s.shape != (n,):
            raise RuntimeError(f"score computation returned shape {s.shape}, expected ({n},)")
        rest = np.ones(n, dtype=bool)
        rest[pilot_idx] = False
        m = n - pilot
        s_rest = s[rest]
        bad = ~np.isfinite(s_rest) | (s_rest < 0)
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} rows got a non-finite or negative score (scores={self.scores!r}); "
                "check X and y for extreme values"
            )

        # 3. probabilities with Σπ = size over the remainder
        a = 0.1 * min(size, m) / m if self.min_prob is None else float(self.min_prob)
        if size >= n:  # every row, the pilot's included, with probability 1 (warned above)
            pi, lam = np.ones(n), np.inf
        else:
            pi_rest, lam = inclusion_probabilities(s_rest, size, min_prob=a, return_lambda=True,
                                                   n_jobs=n_jobs)
            pi = np.zeros(n)
            pi[rest] = pi_rest

        # 4. Poisson draw
        idx = poisson_sample(pi, random_state=poisson_key, n_jobs=n_jobs)
        need = d + int(bool(self.fit_intercept))
        if idx.size < need:
            raise ValueError(
                f"the Poisson sample has {idx.size} rows, fewer than the {need} parameters; raise size"
            )
        w = 1.0 / pi[idx]

        # 5. weighted refit
        fit = self._fit_glm(_rows64(X, idx), y[idx], w, self.l2, n_jobs)

        s_out = np.full(n, np.nan)
        s_out[rest] = s_rest
        self.scores_ = s_out
        self.probabilities_ = pi
        self.lambda_ = float(lam)
        self.min_prob_ = a
        self.pilot_size_ = pilot
        self.pilot_indices_ = pilot_idx
        self.pilot_fit_ = pilot_fit
        self.pilot_coef_ = pcoef
        self.pilot_intercept_ = pint
        self.indices_ = idx
        self.weights_ = w
        self.fit_ = fit
        self.coef_ = np.asarray(fit.coef, dtype=np.float64)
        self.intercept_ = float(fit.intercept) if self.fit_intercept else 0.0
        self.n_features_in_ = d
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _fit_dask(self, X, y):
        from ._dask_subsampling import fit_sampler

        attrs, names = fit_sampler(self, X, y, subsampling_scores, _fit_keys)
        for name, value in attrs.items():  # all or nothing: set only once everything succeeded
            setattr(self, name, value)
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _check_X(self, X):
        if not hasattr(self, "coef_"):
            raise _not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )
        X = check_design(X, float32=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        return X

    def _linear(self, X):
        return _linear_predictor(self._check_X(X), self.coef_, self.intercept_)

    def predict(self, X):
        """Predictions of the weighted refit.

        Parameters
        ----------
        X : array_like of shape (n, d)

        Returns
        -------
        numpy.ndarray of shape (n,)
            The linear predictor (ols, quantile), the mean ``exp(η)`` (poisson) or the class 0/1
            (logistic; see :meth:`predict_proba`).
        """
        eta = self._linear(X)
        if self.model == "logistic":
            return (eta > 0).astype(np.float64)
        return _mean(self.model, eta)

    @property
    def decision_function(self):
        """Linear predictor ``X @ coef_ + intercept_`` (logistic only, as in scikit-learn)."""
        if self.model != "logistic":
            raise AttributeError("decision_function is only available for model='logistic'")
        return self._linear

    @property
    def predict_proba(self):
        """Class probabilities ``[1 − p, p]`` of shape (n, 2) (logistic only)."""
        if self.model != "logistic":
            raise AttributeError("predict_proba is only available for model='logistic'")

        def predict_proba(X):
            p = _mean("logistic", self._linear(X))
            return np.column_stack([1 - p, p])

        return predict_proba

    def score(self, X, y, sample_weight=None):
        """R² of :meth:`predict` (accuracy for logistic), as scikit-learn's mixins define it.

        Parameters
        ----------
        X : array_like of shape (n, d)
        y : array_like of shape (n,)
        sample_weight : array_like of shape (n,), optional

        Returns
        -------
        float
        """
        pred = self.predict(X)
        y = check_vector(y, "y", len(pred))
        w = np.ones_like(y) if sample_weight is None else check_sample_weight(sample_weight, len(y))
        if self.model == "logistic":
            return float(np.average(pred == y, weights=w))
        ybar = np.average(y, weights=w)
        ss_tot = np.sum(w * (y - ybar) ** 2)
        ss_res = np.sum(w * (y - pred) ** 2)
        return float(1 - ss_res / ss_tot) if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
