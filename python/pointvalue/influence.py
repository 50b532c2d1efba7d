"""Norms of per-row influence functions (Ting & Brochu, NeurIPS 2018), exact and approximate."""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from ._threads import uses_n_jobs
from ._validation import (
    check_choice,
    check_design,
    check_sample_weight,
    check_scalar,
    check_vector,
)
from .glm import MODELS, _deprecated_weights
from .leverage import default_sketch_size
from .random import stream_key

__all__ = ["default_rank", "influence_scores"]

_TARGETS = tuple(_core.glm.Target.__members__)
_APPROX = tuple(_core.glm.Approx.__members__)


def default_rank(d: int) -> int:
    """Default rank of ``approx="lowrank"``: ``min(d, 20)``."""
    return int(min(d, 20))


@uses_n_jobs
def influence_scores(
    X,
    y,
    coef,
    model: str = "ols",
    intercept=None,
    target: str = "coef",
    approx: str = "exact",
    tau: float = 0.5,
    sample_weight=None,
    l2: float = 0.0,
    rank: int | None = None,
    random_state=None,
    sketch_size: int | None = None,
    *,
    n_jobs: int | None = None,
    weights=None,
) -> np.ndarray:
    """Norm ``‖ψ_i‖`` of each row's influence on the fitted coefficients or predictions.

    With ``η_i = x̃_iᵀθ̃`` (``x̃_i = [x_i, 1]`` when there is an intercept, else ``x_i``), case
    weights ``w_i`` and the model's residual factor ``ρ_i``, the influence of row i is

    * ``target="coef"``:        ``ψ_i = w_i ρ_i Σ⁻¹ x̃_i``, returned as ``‖ψ_i‖`` (Euclidean norm over
      all coefficients, intercept component included);
    * ``target="prediction"``:  the influence on the vector of linear predictors measured in the
      model's own metric, ``‖ψ_i^pred‖ = w_i |ρ_i| · sqrt(x̃_iᵀ Σ⁻¹ G Σ⁻¹ x̃_i)``;

    where ``G = X̃ᵀ W X̃`` with ``W = diag(w_i v_i)`` (``v_i`` the IRLS weight at `coef`: 1 for ols
    and quantile, ``p_i(1−p_i)`` for logistic, ``μ_i`` for poisson), and ``Σ = G + l2·I`` (the
    penalty skips the intercept) is the Hessian of ``Σ_i w_i loss_i + (l2/2)‖coef‖²``. Residual
    factors: ``ρ_i = y_i − ŷ_i`` (ols: ``ŷ = η``; logistic: ``ŷ = p``; poisson: ``ŷ = μ``), and for
    quantile regression the density-free version of the paper,
    ``ρ_i = ρ'_τ(r_i) / (τ(1−τ))`` with ``ρ'_τ(r) = τ`` for ``r > 0``, ``τ − 1`` for ``r < 0`` and
    0 at ``r = 0`` (the minimum-norm subgradient; a residual within ``16 ε (|y_i| + Σ_j|x_ij θ_j|
    + |b|)`` of zero counts as zero, so the rows a fitted vertex interpolates score 0 whatever
    the rounding), and Σ the Gram matrix ``X̃ᵀWX̃`` (the density-free version).

    For OLS without penalty the prediction score is ``w_i |r_i| sqrt(x̃ᵀΣ⁻¹x̃)``, i.e.
    ``|r_i| sqrt(H_ii)`` with ``H`` the hat matrix when ``w = 1``; for GLMs it is
    ``|r_i| sqrt(H_ii / v_i)`` with the GLM hat matrix ``H = W^½X̃Σ⁻¹X̃ᵀW^½``: the ``W``-metric is
    the local curvature of the expected loss, so the squared score is the row's first-order
    contribution to the excess prediction loss.

    **Case weights.** The factor ``w_i`` makes ``ψ_i`` the influence of row i as it enters the
    weighted objective (the weighted estimator is ``≈ θ + Σ_i ψ_i``), so ``π_i ∝ ‖ψ_i‖`` stays the
    optimal Poisson/PPS design when the rows carry weights; with ``sample_weight=None`` it is 1.

    **Scale.** The paper writes ``Σ = XᵀX/n``; we use the Hessian of the *summed* objective, so our
    ``ψ_i`` is the paper's divided by n (it is the first-order change of the fit when row i is
    removed: ``θ̂_{-i} − θ̂ ≈ −ψ_i``). A constant factor does not change PPS sampling probabilities.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design (no column of ones: see `intercept`). float64 C/F arrays are not copied; float32
        C/F arrays are read as they are by ``approx="exact"`` and ``"diag"`` (blocks converted to
        float64 in cache, float64 arithmetic) and converted once to float64 for ``"lowrank"`` and
        ``"sketch"`` (the SRHT kernel is float64-only). Other dtypes are converted once.
    y : array_like of shape (n,)
    coef : array_like of shape (d,)
        Coefficients of the (pilot) fit at which the influence is evaluated.
    model : {"ols", "logistic", "poisson", "quantile"}
    intercept : float or None, default None
        None: the model has no intercept. A float: the model has an unpenalized intercept and the
        implicit ones column takes part in Σ and in the norm (X is not copied).
    target : {"coef", "prediction"}
    approx : {"exact", "diag", "lowrank", "sketch"}, default "exact"
        How Σ⁻¹ is formed (with an intercept every variant works on the *centred* block of Σ and
        treats the intercept exactly through the Schur complement, so shifting a column of X by a
        constant never changes the prediction scores, and changes the coefficient scores only
        through the re-parametrized intercept):

        * ``"exact"``: Σ from one deterministic Gram pass, Cholesky of the equilibrated matrix,
          then one blocked product against the rows with fused row norms (C++, OpenMP).
        * ``"diag"``: Σ (and G) replaced by their diagonals (the Jacobi approximation): one O(nd)
          pass, no d×d algebra.
        * ``"lowrank"``: ``Σ ≈ S^½(I − V D Vᵀ)S^½`` with ``S = diag(Σ)`` exact and V (d×`rank`) the
          eigenvectors of the SRHT-sketched correlation matrix ``S^-½ Σ̂ S^-½`` whose eigenvalues λ
          make ``|1/λ − 1|`` largest (so Σ⁻¹ is approximated best in spectral norm among
          "identity + rank r" corrections; D = 1 − λ). The row pass costs O(nd·rank).
        * ``"sketch"``: Σ replaced by ``(S W^½X̃_c)ᵀ(S W^½X̃_c)`` with S the SRHT of
          :func:`pointvalue.srht` (same kernel) — the leverage-sketch of Drineas et al. applied to
          the influence; the relative error of each score is about ``sqrt(d / sketch_size)``
          (measured in ``tests/test_influence.py``).
    tau : float, default 0.5
        Quantile (quantile model).
    sample_weight : array_like of shape (n,), optional
        Non-negative case weights (the weights of the fit).
    l2 : float, default 0.0
        Ridge penalty of the fit.
    rank : int, optional
        Rank of the low-rank correction (``approx="lowrank"``); default :func:`default_rank`,
        ``min(d, 20)``.
    random_state : None, int or numpy.random.Generator
        Randomness of the SRHT (``lowrank`` and ``sketch``); results never depend on the thread
        count.
    sketch_size : int, optional
        SRHT rows; default :func:`pointvalue.leverage.default_sketch_size`
        (``min(N, max(20 d, 2000))``).
    n_jobs : int, optional
        Threads: None means 1 (unless a ``joblib.parallel_config`` context sets it), -1 all
        cores. Results do not depend on it.
    weights : array_like of shape (n,), optional
        Deprecated alias of `sample_weight` (removed in the next release).

    Returns
    -------
    numpy.ndarray of shape (n,), float64
        ``‖ψ_i‖ ≥ 0``.

    Notes
    -----
    Measured accuracy of the approximations (relative error of each score against ``"exact"``,
    OLS with an intercept on Gaussian data with correlated columns, default sketch size, rank 5;
    median / 99th percentile):

    ==============  =====================  =====================  =====================
    n × d, target   sketch                 lowrank (rank 5)       diag
    ==============  =====================  =====================  =====================
    2e4 × 8, coef   0.028 / 0.11           0.025 / 0.095          0.14 / 0.70
    2e4 × 8, pred   0.007 / 0.025          0.007 / 0.025          0.023 / 0.15
    1e5 × 30, coef  0.062 / 0.29           0.045 / 0.20           0.066 / 0.33
    1e5 × 30, pred  0.012 / 0.046          0.011 / 0.042          0.007 / 0.056
    ==============  =====================  =====================  =====================

    ``tests/test_influence.py`` asserts median < ``sqrt((d+1)/sketch_size)`` and 99th percentile
    < 3× that for the sketch.

    Raises
    ------
    ValueError
        Bad shapes / values (see :func:`pointvalue.fit_glm`), or a singular Σ with ``approx`` in
        {"exact", "sketch"} (collinear columns: pass ``l2 > 0`` or use ``approx="diag"``).

    Examples
    --------
    OLS prediction influence is ``|r_i| √H_ii`` (H the hat matrix, intercept column included):

    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 2)); y = X @ [1.0, 2.0] + rng.standard_normal(500)
    >>> fit = pv.fit_glm(X, y)
    >>> s = pv.influence_scores(X, y, fit.coef, intercept=fit.intercept, target="prediction")
    >>> h = pv.leverage_scores(np.c_[X, np.ones(500)])
    >>> bool(np.allclose(s, np.abs(y - fit.predict(X)) * np.sqrt(h)))
    True
    """
    sample_weight = _deprecated_weights(sample_weight, weights)
    model = check_choice(model, "model", set(MODELS))
    target = check_choice(target, "target", set(_TARGETS))
    approx = check_choice(approx, "approx", set(_APPROX))
    # NaN/inf in X always reach the scores (0·NaN = NaN) or Σ, so X is scanned only when the
    # kernel's answer is not finite: one pass over X saved on the hot path.
    X = check_design(X, finite=False, float32=approx in ("exact", "diag"))
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    y = _check_response_lenient(y, model, n)
    coef = check_vector(coef, "coef", d, per="column of X")
    if intercept is None:
        has_b, b = False, 0.0
    else:
        has_b, b = True, check_scalar(intercept, "intercept", numbers.Real)
    l2 = check_scalar(l2, "l2", numbers.Real, min_val=0.0)
    tau = check_scalar(tau, "tau", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="neither")
    if rank is None:
        rank = default_rank(d)
    rank = check_scalar(rank, "rank", numbers.Integral, min_val=1)
    opt = _core.glm.InfluenceOptions()
    glm = _core.glm
    opt.model = glm.Model.__members__[model]
    opt.target, opt.approx = glm.Target.__members__[target], glm.Approx.__members__[approx]
    opt.tau, opt.l2, opt.fit_intercept, opt.intercept, opt.rank = tau, l2, has_b, b, rank
    if approx in ("lowrank", "sketch"):
        log2N = max(0, (n - 1).bit_length())
        N = 1 << log2N
        p = d + int(has_b)
        if sketch_size is None:
            sketch_size = default_sketch_size(n, p)
        sketch_size = check_scalar(sketch_size, "sketch_size", numbers.Integral, min_val=1, max_val=N)
        if approx == "sketch" and sketch_size < d:
            raise ValueError(f"sketch_size must be at least the number of columns d={d}, "
                             f"got {sketch_size}")
        opt.sketch_size, opt.key = sketch_size, stream_key(random_state)
    res = _core.glm.influence_scores(X, y, coef, w, opt)
    scores, status = res.scores, res.status
    if status != _core.glm.Status.ok or not np.isfinite(scores).all():
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        if status in (_core.glm.Status.ok, _core.glm.Status.non_finite):
            raise ValueError("the influence overflowed (non-finite scores): check the scale of X "
                             "and coef (for poisson, exp(η) must be finite)")
        raise ValueError(
            "Σ = XᵀWX is singular (collinear or constant columns, or all IRLS weights ~0): the "
            f"influence is undefined for approx={approx!r}; pass l2 > 0 or use approx='diag'")
    return scores


def _check_response_lenient(y, model, n):
    """y for influence: the model's domain (a pilot may be evaluated on a single-class subset)."""
    y = check_vector(y, "y", n)
    if model == "logistic" and not ((y >= 0) & (y <= 1)).all():
        raise ValueError("y must be in [0, 1] (binary labels) for model='logistic'")
    if model == "poisson" and (y < 0).any():
        raise ValueError("y must be non-negative for model='poisson'")
    return y

