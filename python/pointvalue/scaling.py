"""Individualized data scaling laws ``ψ_k(z) ≈ c(z) / k^α(z)``: estimators and their uses.

From samples of marginal contributions Δ(z, D) (a :class:`~pointvalue.Contributions`), fit one
law per point (:func:`fit_scaling_laws`), then value points by the mean of the law over a range of
dataset sizes (:func:`distributional_values`) or pick the points worth most at the size you will
train at (:func:`select_points`). Follows Covert, Ji, Hashimoto & Zou, "Scaling laws for the value
of individual data points in machine learning" (ICML 2024).
"""


from __future__ import annotations

import math

import numpy as np

from . import _core
from ._amortized import fit_amortized
from ._laws import STATUS, ScalingLaws
from ._scaling_data import _as_contributions, _check_sizes, _group_points, _log_fit, empirical_means
from ._scaling_uses import distributional_values, power_sum, select_points
from ._threads import uses_n_jobs
from ._validation import as_int, check_choice
from .random import check_random_state

__all__ = [
    "ScalingLaws",
    "fit_scaling_laws",
    "distributional_values",
    "select_points",
    "STATUS",
    "DEFAULT_BOUNDS",
    "empirical_means",
    "power_sum",
]

#: Default box for α and β (mle, amortized): the closure of the reference code's parameter space
#: (it fits log α and log β clamped to ≤ 2, so 0 < α, β ≤ e²).
DEFAULT_BOUNDS = (0.0, math.exp(2.0))


# ----------------------------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------------------------


def _check_bounds(b, name):
    try:
        lo, hi = (float(v) for v in b)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi <= 20):
        raise ValueError(f"{name} must satisfy 0 <= lo <= hi <= 20, got {b!r}")
    return lo, hi


@uses_n_jobs
def fit_scaling_laws(
    contrib,
    method: str = "eb",
    *,
    sizes=None,
    prior: str = "normal",
    max_prior_points: int = 2_000,
    n_jobs=None,
    alpha_bounds=DEFAULT_BOUNDS,
    beta_bounds=DEFAULT_BOUNDS,
    X=None,
    y=None,
    random_state=None,
    progress: bool = False,
    max_iter: int = 100,
    grid=(16, 16),
    n_candidates: int = 2,
    scan_grid: int = 32,
    hidden=(128, 128),
    max_epochs: int = 300,
    patience: int = 20,
    learning_rate: float = 1e-3,
    batch_size: int = 256,
    validation_fraction: float = 0.2,
    weight_decay: float = 1e-4,
) -> ScalingLaws:
    """Fit a scaling law ``ψ_k(z) ≈ c(z) / k^α(z)`` to every point's samples of Δ.

    Parameters
    ----------
    contrib : Contributions
        Samples (point, k, Δ), for example from :func:`~pointvalue.marginal_contributions`.
    method : {"eb", "mle", "log", "amortized"}, default "eb"
        ``"eb"`` (empirical Bayes, the default): the law ``ψ_k = v·(k/k_ref)^−α`` with noise
        ``σ²(k/k_ref)^−β`` (k_ref the geometric centre of the sampled k); v and log σ get flat
        priors and are integrated out in closed form, which leaves each point's exact marginal
        likelihood of (α, β) on a lattice (α = 0, 0.1, …, 4; β = 0, 0.3, …, 7.2). The prior over
        the lattice is learned from the points of the run by EM (`prior`; on at most
        `max_prior_points` of them), and each point gets its posterior: the reported law
        (c, α, σ, β) is the posterior mode, ``alpha_se``/``beta_se`` are posterior standard
        deviations, ``value_se`` the posterior standard deviation of the distributional value
        over `sizes` (``value_mean`` its posterior mean). Points with few noisy samples borrow
        strength from the population instead of landing on a bound; as the number of samples
        grows the likelihood dominates and the estimate approaches the maximum likelihood (to
        the lattice's resolution). Measured against the authors' estimator and the plain mean
        in ``bench/README_scaling.md``.
        ``"mle"``: maximum likelihood under ``Δ ~ Normal(c k^−α, σ² k^−β)`` per point, in C++
        (OpenMP over points). For fixed (α, β), c and σ are closed form, so the kernel minimizes
        the 2-D profile likelihood: screening on a ``grid`` over the (α, β) box, projected
        Newton (eigenvalue-modified Hessian, Armijo backtracking, active bounds) from the best
        `n_candidates` local minima of the grid, then fine scans along α and β through the
        optimum (`scan_grid` points) and Newton restarts from any lower point, to the
        gradient tolerance 1e-10 of the per-sample profile NLL or the limit of float64.
        ``"log"``: the paper's diagnostic fit: ordinary least squares of ``log|mean Δ at k|`` on
        ``−log k`` over the distinct k of each point (slope α, unbounded), then c by least
        squares on all samples in the original space; σ, β, nll are NaN. Needs repeated k to
        be useful: with one Δ per k the means are single noisy samples.
        ``"amortized"``: one small neural network for all points (features `X`, and labels `y`
        when given → per-class (sign of c, log|c|, log α, log σ, log β)) trained with Adam on
        the same Gaussian likelihood, early-stopped on held-out points; numpy only. Unlike the
        authors' network it is not pretrained: it learns from this run's points only. **Not
        to be used on real data with a few hundred points**: on digits (120–300 points, raw
        pixels as features) its distributional values had R² 0.01–0.28 against a high-sample
        truth at 10–200 samples per point, below the plain mean and far below ``"eb"``; it helps
        only when c and α are smooth functions of the features and there are thousands of
        points (simulated: median α error 0.06 vs the per-point MLE's 0.49 at 10 samples,
        1,000 points). ``"eb"`` shares strength across points without features.
    sizes : (int, int), optional
        Inclusive size range of the distributional value stored by ``"eb"`` (default: the range
        of the sampled k).
    prior : {"normal", "npmle"}, default "normal"
        ``"eb"``: the population distribution of (α, β) learned from the run — a bivariate
        normal (restricted to the lattice), or the nonparametric maximum-likelihood prior
        (any shape; better when the population is far from normal and there are many points,
        spikier with few).
    n_jobs : int, optional
        Threads of the ``"eb"`` and ``"mle"`` kernels (OpenMP over points; results do not depend
        on it), scikit-learn's meaning: None → 1 unless a ``joblib.parallel_config`` says
        otherwise, -1 → all cores.
    max_prior_points : int, default 2000
        ``"eb"``: points (a seeded random subset) the prior is learned from.
    alpha_bounds, beta_bounds : (float, float), default (0, e²)
        Box for α and β (mle and amortized). The default is the closure of the reference code's
        space (it clamps log α, log β ≤ 2); α = 0 (a constant contribution) and β = 0 (constant
        noise) are allowed so that flat points get a boundary estimate instead of a drift.
    X : array_like of shape (n_pool, d), optional
        Features of the pool (amortized only; rows indexed by point).
    y : array_like of shape (n_pool,), optional
        Labels (amortized only): with at most 50 distinct values one output head per class,
        otherwise used as an extra feature.
    random_state : None, int or numpy.random.Generator
        Amortized only: initialization, minibatches and the held-out split.
    progress : bool, default False
        Amortized only: a tqdm bar over epochs.
    max_iter : int, default 100
        Newton iterations per start (mle).
    grid : (int, int), default (16, 16)
        Screening grid over (α, β) (mle).
    n_candidates : int, default 2
        Newton starts from the best local minima of the grid (mle, ≤ 8).
    scan_grid : int, default 32
        Points of the verification scans (mle; 0 disables them).
    hidden : tuple of int, default (128, 128)
        Hidden layer widths (amortized), as the reference.
    max_epochs, patience, learning_rate, batch_size, validation_fraction, weight_decay
        Amortized training: epochs, early-stopping patience (epochs without improvement of the
        held-out NLL), Adam step, points per minibatch, share of points held out, decoupled
        weight decay.

    Returns
    -------
    ScalingLaws

    Raises
    ------
    TypeError, ValueError
        On malformed arguments. Points with too few distinct k, all-zero Δ or NaN/inf Δ are
        not errors: they get a :data:`STATUS` code and NaN parameters.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> k = rng.integers(100, 1000, size=(50, 100))
    >>> delta = 0.5 * k ** -1.2 * (1 + 0.1 * rng.standard_normal(k.shape))
    >>> contrib = pv.Contributions(np.repeat(np.arange(50), 100), k.ravel(), delta.ravel())
    >>> laws = pv.fit_scaling_laws(contrib)
    >>> bool(abs(np.median(laws.alpha) - 1.2) < 0.05)
    True
    """
    method = check_choice(method, "method", {"eb", "mle", "log", "amortized"})
    point, k, delta = _as_contributions(contrib)
    a_lo, a_hi = _check_bounds(alpha_bounds, "alpha_bounds")
    b_lo, b_hi = _check_bounds(beta_bounds, "beta_bounds")
    order, pts, offsets = _group_points(point)
    counts = np.diff(offsets)

    if method == "eb":
        from ._empirical_bayes import fit_posterior, make_grid

        value_sizes = _check_sizes((int(k.min()), int(k.max())) if sizes is None else sizes)
        max_prior_points = as_int(max_prior_points, "max_prior_points", minimum=1)
        prior = check_choice(prior, "prior", {"normal", "npmle"})
        grid = make_grid(k, value_sizes)
        post, prior_info = fit_posterior(
            offsets, np.log(k if order is None else k[order], dtype=np.float64),
            delta if order is None else delta[order], grid,
            max_prior_points=max_prior_points, rng=check_random_state(random_state), prior=prior)
        laws = ScalingLaws(pts, post.c, post.alpha, post.sigma, post.beta, post.nll, None,
                           post.status, counts, "eb", contrib,
                           alpha_se=post.alpha_sd, beta_se=post.beta_sd,
                           info={**prior_info, "k_ref": grid.k_ref,
                                 "alpha_mean": post.alpha_mean, "beta_mean": post.beta_mean,
                                 "grid": {"alpha_step": grid.alpha_step, "n_alpha": grid.n_alpha,
                                          "beta_step": grid.alpha_step * grid.beta_ratio,
                                          "n_beta": grid.n_beta}})
        laws.value_mean, laws.value_se, laws.value_sizes = post.value_mean, post.value_sd, value_sizes
        return laws

    if method == "mle":
        max_iter = as_int(max_iter, "max_iter", minimum=1)
        ga, gb = (as_int(g, "grid", minimum=2) for g in grid)
        n_candidates = as_int(n_candidates, "n_candidates", minimum=0, maximum=8)
        scan_grid = as_int(scan_grid, "scan_grid", minimum=0)
        opt = _core.powerlaw.Options()
        opt.alpha_lo, opt.alpha_hi, opt.beta_lo, opt.beta_hi = a_lo, a_hi, b_lo, b_hi
        opt.grid_alpha, opt.grid_beta, opt.n_candidates = ga, gb, n_candidates
        opt.scan_grid, opt.max_iter, opt.gtol = scan_grid, max_iter, 1e-10
        res = _core.powerlaw.fit(
            offsets,
            np.log(k if order is None else k[order], dtype=np.float64),
            delta if order is None else delta[order],
            opt,
            np.array([[1.0, 2.0]]) if n_candidates == 0 else None,
        )
        return ScalingLaws(pts, res.c, res.alpha, res.sigma, res.beta, res.nll, None,
                           res.status, counts, "mle", contrib,
                           alpha_se=res.alpha_se, beta_se=res.beta_se,
                           info={"n_iter": res.n_iter, "alpha_bounds": (a_lo, a_hi),
                                 "beta_bounds": (b_lo, b_hi)})

    if method == "log":
        alpha_log, r2, _, finite_pt, groups = _log_fit(contrib, pts)
        gp, gk, gm, gn, pos = groups
        a = alpha_log
        okpos = np.isfinite(a[pos]) & np.isfinite(gm)
        w = gk.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            ka = np.where(okpos, np.power(w, -np.where(okpos, a[pos], 0.0)), 0.0)
            num = np.bincount(pos, weights=np.where(okpos, gn * gm * ka, 0.0), minlength=len(pts))
            den = np.bincount(pos, weights=gn * ka * ka, minlength=len(pts))
            c = num / den
        all_zero = np.bincount(pos, weights=(gm != 0).astype(float), minlength=len(pts)) == 0
        status = np.zeros(len(pts), dtype=np.int8)
        status[~np.isfinite(a)] = 1
        status[all_zero & finite_pt] = 2
        status[~finite_pt] = 3
        c = np.where(status == 2, 0.0, np.where(status == 0, c, np.nan))
        a = np.where(status == 0, a, np.nan)
        nan = np.full(len(pts), np.nan)
        return ScalingLaws(pts, c, a, nan, nan.copy(), nan.copy(), r2, status, counts, "log",
                           contrib)

    return fit_amortized(
        contrib, point, k, delta, pts, counts, None, X=X, y=y, bounds=(a_lo, a_hi, b_lo, b_hi),
        random_state=random_state, progress=progress, hidden=hidden, max_epochs=max_epochs,
        patience=patience, learning_rate=learning_rate, batch_size=batch_size,
        validation_fraction=validation_fraction, weight_decay=weight_decay,
    )
