"""The empirical-Bayes estimator of per-point scaling laws (``fit_scaling_laws(method="eb")``).

Every point's law is ``ψ_k = v·(k/k_ref)^−α`` with noise ``σ²·(k/k_ref)^−β``. The kernel
(``_core.powerlaw.posterior``) integrates v (flat prior) and log σ (flat prior) out in closed form
and evaluates the marginal likelihood of (α, β) exactly on a lattice, so each point costs a few
power sums, not an optimization. The prior over the lattice is learned from the points of the run
— the nonparametric maximum-likelihood prior (Kiefer–Wolfowitz), fitted by EM on the points'
marginal likelihoods — and each point then gets its posterior: the mode (the reported law), the
posterior means and standard deviations of α, β and of the distributional value. Points with
few, noisy samples borrow strength from the population instead of landing on a bound; with many
samples the likelihood dominates and the estimate tends to the (marginal) maximum likelihood.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core

#: The default lattice: α ∈ {0, 0.1, …, 4}, β ∈ {0, 0.2, …, 7.4}.
DEFAULT_GRID = {"alpha_step": 0.1, "n_alpha": 41, "beta_ratio": 2, "n_beta": 38}


def make_grid(k, sizes, **overrides):
    """A ``PowerLawGrid`` with k_ref at the geometric centre of the sampled sizes."""
    g = _core.powerlaw.PowerLawGrid()
    for name, value in {**DEFAULT_GRID, **overrides}.items():
        setattr(g, name, value)
    kmin, kmax = float(np.min(k)), float(np.max(k))
    g.k_ref = math.sqrt(kmin * kmax)
    g.value_lo, g.value_hi = float(sizes[0]), float(sizes[1]) + 1.0  # inclusive range of k
    return g


def npmle_prior(log_marginal, *, max_iter=200, tol=1e-4, floor=1e-6):
    """The prior over the lattice that maximizes Σ_points log Σ_nodes π·p(Δ | node), by EM.

    Each EM step is two matrix–vector products with the points' likelihoods (float32, scaled
    to a maximum of 1 per point), so no temporary of the matrix's size is made. Iterates until
    the mean log-likelihood gains less than `tol` per step. A small floor (`floor` × uniform
    mixed in) keeps every node possible, so a point whose samples clearly sit where the
    population rarely is can still be estimated there.
    """
    L = np.asarray(log_marginal, dtype=np.float64)
    L = np.exp(L - L.max(axis=1, keepdims=True)).astype(np.float32)
    n_points, n_nodes = L.shape
    pi = np.full(n_nodes, 1.0 / n_nodes, dtype=np.float32)
    last = -np.inf
    for _ in range(max_iter):
        s = L @ pi
        loglik = float(np.mean(np.log(s, dtype=np.float64)))
        pi = pi * (L.T @ (1.0 / s)) / n_points
        pi /= pi.sum()
        if loglik - last < tol:
            break
        last = loglik
    pi = (1 - floor) * pi.astype(np.float64) + floor / n_nodes
    return np.log(pi)


def fit_posterior(offsets, logk, delta, grid, *, max_prior_points, rng):
    """Learn the prior on (a subsample of) the points, then every point's posterior."""
    n_points = len(offsets) - 1
    if n_points > max_prior_points:
        sub = np.sort(rng.choice(n_points, size=max_prior_points, replace=False))
        starts, ends = offsets[sub], offsets[sub + 1]
        idx = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
        sub_offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
        learn = _core.powerlaw.posterior(sub_offsets, logk[idx], delta[idx], grid, None, True)
    else:
        learn = _core.powerlaw.posterior(offsets, logk, delta, grid, None, True)
    ok = learn.status == 0
    log_prior = npmle_prior(learn.log_marginal[ok]) if ok.any() else np.zeros(grid.size)
    post = _core.powerlaw.posterior(offsets, logk, delta, grid, log_prior, False)
    return post, log_prior.reshape(grid.n_alpha, grid.n_beta)
