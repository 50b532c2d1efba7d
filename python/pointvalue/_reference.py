"""Faithful numpy ports of the scaling-laws authors' estimators, kept for comparisons only.

The authority is the authors' public code (github ``iancovert/data-scaling``,
``data_scaling/estimators.py``). These ports reproduce what that code does, step for step, but
vectorized over points; the tests check the documented behaviour (start, clamps, early stopping,
best iterate) and the benchmarks compare our estimators with them. Not public API.

``covert_likelihood_estimator`` ports ``LikelihoodEstimator``:

- c and σ are closed form at every step, ``c = mean(Δ k^(β−α)) / mean(k^(β−2α))`` and
  ``σ = sqrt(mean((Δ − c k^−α)² k^β))``; only (log α, log β) are optimized.
- The objective is the *mean* Gaussian NLL of ``Δ ~ Normal(c k^−α, σ² k^−β)`` over the samples.
- Adam (PyTorch defaults: β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay), ``lr = 0.05``, from
  ``(α, β) = (1, 2)``, at most ``num_steps = 1000`` steps.
- Each step first evaluates the loss at the current parameters; the best loss so far and its
  ``(c, α, σ, β)`` are kept; after 100 consecutive steps without a strict improvement the loop
  stops *before* stepping. After each Adam step ``log α`` and ``log β`` are clamped at ≤ 2.
- The best iterate is returned, not the last one.

The gradient is the profile gradient: c and σ are the exact minimizers for fixed (α, β), so the
terms through them vanish (envelope theorem) and PyTorch's autograd computes the same partials up
to rounding. The authors' code runs in float32 (``torch.tensor(...).float()``); ``dtype`` selects
float32 to mimic it or float64 (the default here) to compare algorithms without rounding noise.

``covert_log_estimator`` ports ``LogEstimator`` (the log-space regression of |mean Δ| at each
distinct k on −log k, then c by least squares without intercept) and
``covert_aggregate_estimator`` ports ``AggregateLikelihoodEstimator`` (dataset-level law).
"""

from __future__ import annotations

import numpy as np

_LOG_2PI = float(np.log(2 * np.pi))


def _padded(point, k, delta, dtype):
    """Samples grouped by point into (n_points, m_max) arrays with a 0/1 mask for the padding."""
    point = np.asarray(point)
    points, seg = np.unique(point, return_inverse=True)
    order = np.argsort(seg, kind="stable")
    seg = seg[order]
    counts = np.bincount(seg, minlength=len(points))
    pos = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
    shape = (len(points), int(counts.max()))
    K = np.ones(shape, dtype)
    D = np.zeros(shape, dtype)
    M = np.zeros(shape, dtype)
    K[seg, pos] = np.asarray(k, float)[order]
    D[seg, pos] = np.asarray(delta, float)[order]
    M[seg, pos] = 1
    return points, K, D, M, counts.astype(dtype)


def _closed_form(alpha, beta, K, D, M, n):
    """c, σ and the mean NLL of each point at (α, β) (the authors' closed forms)."""
    a, b = alpha[:, None], beta[:, None]
    kb = K**b
    ka = K ** (-a)
    c = (M * D * kb * ka).sum(1) / (M * kb * ka * ka).sum(1)
    r = D - c[:, None] * ka
    sigma = np.sqrt((M * r * r * kb).sum(1) / n)
    # mean over samples of −log N(Δ; c k^−α, σ² k^−β); the quadratic term averages to 1/2.
    logk_mean = (M * np.log(K)).sum(1) / n
    nll = 0.5 * _LOG_2PI + np.log(sigma) - 0.5 * beta * logk_mean + 0.5
    return c, sigma, nll, r, ka, kb


def covert_likelihood_estimator(point, k, delta, *, lr=0.05, num_steps=1000, max_bad_iters=100,
                                dtype=np.float64):
    """The authors' ``LikelihoodEstimator``, run on every point at once.

    Parameters
    ----------
    point, k, delta : array_like
        One entry per sample: the point's id, the subset size and the marginal contribution.
    lr, num_steps, max_bad_iters : float, int, int
        The authors' learning rate, step limit and patience (0.05, 1000, 100).
    dtype : numpy dtype
        float32 mimics the authors' PyTorch run; float64 removes rounding noise.

    Returns
    -------
    dict of arrays, one entry per distinct point (sorted ids): ``point``, ``c``, ``alpha``,
    ``sigma``, ``beta``, ``nll`` (the best *mean* NLL, the authors' objective) and ``n_steps``
    (loss evaluations made before stopping).
    """
    points, K, D, M, n = _padded(point, k, delta, dtype)
    logK = np.log(K)
    P = len(points)
    log_alpha = np.zeros(P, dtype)  # log 1
    log_beta = np.full(P, np.log(2.0), dtype)
    m1 = np.zeros((2, P), dtype)
    m2 = np.zeros((2, P), dtype)
    best = {name: np.full(P, np.nan) for name in ("c", "alpha", "sigma", "beta")}
    best_nll = np.full(P, np.inf)
    bad = np.zeros(P, np.int64)
    n_steps = np.zeros(P, np.int64)
    active = np.ones(P, bool)
    for t in range(1, num_steps + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        alpha, beta = np.exp(log_alpha[idx]), np.exp(log_beta[idx])
        Ki, Di, Mi, ni, logKi = K[idx], D[idx], M[idx], n[idx], logK[idx]
        c, sigma, nll, r, ka, kb = _closed_form(alpha, beta, Ki, Di, Mi, ni)
        n_steps[idx] += 1
        improved = nll < best_nll[idx]
        up = idx[improved]
        best_nll[up] = nll[improved]
        for name, value in (("c", c), ("alpha", alpha), ("sigma", sigma), ("beta", beta)):
            best[name][up] = value[improved]
        bad[up] = 0
        bad[idx[~improved]] += 1
        stop = ~improved & (bad[idx] >= max_bad_iters)
        active[idx[stop]] = False
        go = ~stop
        idx = idx[go]
        if idx.size == 0:
            break
        alpha, beta, c, sigma = alpha[go], beta[go], c[go], sigma[go]
        r, ka, kb, Mi, ni, logKi = r[go], ka[go], kb[go], Mi[go], ni[go], logKi[go]
        s2 = (sigma * sigma)[:, None]
        # d(mean NLL)/dα = mean(r k^β c log k k^−α) / σ²;  d/dβ = mean(½ log k (r² k^β/σ² − 1)).
        g_alpha = (Mi * r * kb * c[:, None] * logKi * ka / s2).sum(1) / ni
        g_beta = (Mi * 0.5 * logKi * (r * r * kb / s2 - 1)).sum(1) / ni
        g = np.stack([g_alpha * alpha, g_beta * beta])  # chain rule to (log α, log β)
        m1[:, idx] = 0.9 * m1[:, idx] + 0.1 * g
        m2[:, idx] = 0.999 * m2[:, idx] + 0.001 * g * g
        # Points that stopped early no longer step, so their Adam step counts differ: each active
        # point has taken exactly t steps here (it has been active since step 1).
        step = lr * (m1[:, idx] / (1 - 0.9**t)) / (np.sqrt(m2[:, idx] / (1 - 0.999**t)) + 1e-8)
        log_alpha[idx] = np.minimum(log_alpha[idx] - step[0], 2.0)
        log_beta[idx] = np.minimum(log_beta[idx] - step[1], 2.0)
    return {"point": points, **best, "nll": best_nll, "n_steps": n_steps}


def covert_log_estimator(point, k, delta):
    """The authors' ``LogEstimator`` per point: returns dict with ``c``, ``alpha``, ``r2``.

    For each distinct k the mean Δ is taken; ``log10(|mean| + 1e-12)`` is regressed on
    ``−log10 k`` with an intercept (slope = α, R² of that fit kept); then c is the least-squares
    coefficient of Δ on ``k^−α`` without intercept, over all samples.
    """
    point, k, delta = np.asarray(point), np.asarray(k, float), np.asarray(delta, float)
    points = np.unique(point)
    out = {name: np.empty(len(points)) for name in ("c", "alpha", "r2")}
    for j, p in enumerate(points):
        sel = point == p
        kj, dj = k[sel], delta[sel]
        ks, inv = np.unique(kj, return_inverse=True)
        means = np.bincount(inv, weights=dj) / np.bincount(inv)
        y = np.log10(np.abs(means) + 1e-12)
        x = -np.log10(ks)
        xc, yc = x - x.mean(), y - y.mean()
        sxx = float(xc @ xc)
        alpha = float(xc @ yc) / sxx if sxx > 0 else 0.0
        resid = yc - alpha * xc
        syy = float(yc @ yc)
        out["r2"][j] = 1 - float(resid @ resid) / syy if syy > 0 else 1.0
        design = kj**-alpha
        out["c"][j] = float(design @ dj) / float(design @ design)
        out["alpha"][j] = alpha
    out["point"] = points
    return out


def covert_aggregate_estimator(k, error, *, lr=0.05, num_steps=100, dtype=np.float64):
    """The authors' ``AggregateLikelihoodEstimator``: ``error ≈ ε + c k^−α``, noise ``σ² k^−β``.

    Adam on (log α, log β) from (0.5, 3), 100 steps, no early stopping and no clamping; ε and c by
    weighted least squares (weights k^β) at each step, ε then clamped to [0, min(error) − 1e-6];
    σ closed form; the best iterate is returned as a dict ``eps, c, alpha, sigma, beta, nll``.
    """
    k = np.asarray(k, dtype)
    e = np.asarray(error, dtype)
    logk = np.log(k)
    theta = np.array([np.log(0.5), np.log(3.0)], dtype)
    m1 = np.zeros(2, dtype)
    m2 = np.zeros(2, dtype)
    best, best_nll = None, np.inf
    h = 1e-6
    for t in range(1, num_steps + 1):
        nll, params = _aggregate_nll(theta, k, e)
        if nll < best_nll:
            best_nll, best = nll, params
        # The ε clamp makes the profile non-smooth, so the gradient is taken numerically here
        # (PyTorch's autograd differentiates through the clamp: zero slope where it binds).
        g = np.array([(_aggregate_nll(theta + h * np.eye(2)[i], k, e)[0]
                       - _aggregate_nll(theta - h * np.eye(2)[i], k, e)[0]) / (2 * h)
                      for i in range(2)], dtype)
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.999 * m2 + 0.001 * g * g
        theta = theta - lr * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
    del logk
    return {**best, "nll": best_nll}


def _aggregate_nll(theta, k, e):
    alpha, beta = np.exp(theta)
    w = k**beta
    x = np.stack([np.ones_like(k), k**-alpha], axis=1)
    A = x.T @ (w[:, None] * x)
    eps, c = np.linalg.solve(A, x.T @ (w * e))
    eps = min(max(eps, 0.0), float(e.min()) - 1e-6)
    r = e - eps - c * k**-alpha
    sigma = np.sqrt(np.mean(r * r * w))
    std = sigma * k ** (-beta / 2)
    nll = float(np.mean(0.5 * _LOG_2PI + np.log(std) + 0.5 * (r / std) ** 2))
    return nll, {"eps": float(eps), "c": float(c), "alpha": float(alpha), "sigma": float(sigma),
                 "beta": float(beta)}
