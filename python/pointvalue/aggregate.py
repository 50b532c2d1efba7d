"""The dataset-level scaling law ``L(k) = ε + c·k^−α``: how the loss falls with the dataset size.

:func:`fit_aggregate_law` fits the model of the scaling-laws authors' ``AggregateLikelihoodEstimator``
(github ``iancovert/data-scaling``) — the loss at size k is Gaussian with mean ``ε + c k^−α`` and
variance ``σ² k^−β`` — but exactly: for fixed (α, β) the maximum-likelihood ε and c are a weighted
least-squares problem (weights ``k^β``) with the constraint ``0 ≤ ε ≤ min(loss)``, solved in closed
form, and σ is closed form; the remaining two-dimensional profile likelihood is searched globally
(a grid over the box, then a bounded quasi-Newton polish from the best cells).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_array, as_int

__all__ = ["AggregateLaw", "fit_aggregate_law"]

_LOG_2PI = math.log(2.0 * math.pi)
_E2 = math.exp(2.0)  # the authors' clamp log α, log β ≤ 2
_PARAMS = ("eps", "c", "alpha", "beta", "sigma")


class AggregateLaw:
    """A fitted dataset-level law ``L(k) = ε + c k^−α`` with noise ``Normal(0, σ² k^−β)``.

    Returned by :func:`fit_aggregate_law`.

    Attributes
    ----------
    eps, c, alpha, sigma, beta : float
        Maximum-likelihood estimates. ``eps`` is the irreducible loss (the asymptote as k → ∞).
    nll : float
        Total negative log-likelihood at the estimate (sum over observations, weighted by
        ``sample_weight``).
    eps_se, alpha_se : float
        Standard errors of ε and α from the inverse observed information (the Hessian of the
        NLL in all five parameters at the estimate). NaN when that Hessian is not positive
        definite. With ``eps_at_bound`` the Wald interval of ε is one-sided in truth (the
        estimate sits on its constraint) and should be read as such.
    cov : numpy.ndarray of shape (5, 5)
        Covariance of ``(eps, c, alpha, beta, sigma)`` (inverse observed information).
    eps_at_bound : {None, "lower", "upper"}
        Whether the constraint ``0 ≤ ε ≤ min(loss)`` is active at the estimate.
    alpha_at_bound, beta_at_bound : bool
        Whether α or β sits on the edge of its search box.
    k, loss, sample_weight : numpy.ndarray
        The data of the fit (for :meth:`plot`).
    n_obs : int
        Observations with a positive weight.
    """

    def __init__(self, *, eps, c, alpha, sigma, beta, nll, cov, k0, eps_at_bound, alpha_at_bound,
                 beta_at_bound, k, loss, sample_weight, alpha_bounds, beta_bounds):
        self.eps = float(eps)
        self.c = float(c)
        self.alpha = float(alpha)
        self.sigma = float(sigma)
        self.beta = float(beta)
        self.nll = float(nll)
        self.cov = np.asarray(cov, dtype=np.float64)
        self._k0 = float(k0)
        self.eps_at_bound = eps_at_bound
        self.alpha_at_bound = bool(alpha_at_bound)
        self.beta_at_bound = bool(beta_at_bound)
        self.k = k
        self.loss = loss
        self.sample_weight = sample_weight
        self.n_obs = int(np.sum(sample_weight > 0))
        self.alpha_bounds = alpha_bounds
        self.beta_bounds = beta_bounds
        se = np.sqrt(np.diag(self.cov)) if np.all(np.isfinite(self.cov)) else np.full(5, np.nan)
        self.std_err = dict(zip(_PARAMS, (float(v) for v in se)))
        self.eps_se = self.std_err["eps"]
        self.alpha_se = self.std_err["alpha"]

    def __repr__(self) -> str:
        return (f"AggregateLaw(eps={self.eps:.4g} ± {self.eps_se:.2g}, c={self.c:.4g}, "
                f"alpha={self.alpha:.4g} ± {self.alpha_se:.2g}, sigma={self.sigma:.4g}, "
                f"beta={self.beta:.4g}, n_obs={self.n_obs})")

    def predict(self, k, return_std: bool = False):
        """The expected loss ``ε + c k^−α`` at size(s) `k`.

        Parameters
        ----------
        k : float or array_like
            Dataset sizes, > 0.
        return_std : bool, default False
            Also return the standard error of the predicted mean (delta method on the
            covariance of (ε, c, α)); it is the width of the band of :meth:`plot`.

        Returns
        -------
        numpy.ndarray (or float for a scalar `k`), and the standard errors with `return_std`.
        """
        kk = as_float_array(k, "k", ndim=None)
        if np.any(kk <= 0):
            raise ValueError("k must be positive")
        x = kk ** -self.alpha
        mean = self.eps + self.c * x
        if not return_std:
            return mean if kk.ndim else float(mean)
        # ∂L/∂(ε, c, α) = (1, k^−α, −c k^−α log k)
        g = np.stack([np.ones_like(x), x, -self.c * x * np.log(kk)], axis=-1)
        var = np.einsum("...i,ij,...j->...", g, self.cov[:3, :3], g)
        std = np.sqrt(np.maximum(var, 0.0))
        return (mean, std) if kk.ndim else (float(mean), float(std))

    def marginal_gain(self, k):
        """Expected decrease of the loss from one more training point at size k: ``L(k) − L(k+1)``.

        The dataset-level counterpart of a per-point ψ_k: on average over the points of the
        distribution, ψ_k(z) is this gain (compare with the mean of per-point laws).
        """
        kk = as_float_array(k, "k", ndim=None)
        if np.any(kk <= 0):
            raise ValueError("k must be positive")
        gain = self.c * (kk ** -self.alpha - (kk + 1.0) ** -self.alpha)
        return gain if kk.ndim else float(gain)

    def to_dict(self) -> dict:
        """Estimates, standard errors and flags as a plain dict."""
        out = {name: getattr(self, name) for name in _PARAMS}
        out.update({f"{name}_se": se for name, se in self.std_err.items()})
        out.update(nll=self.nll, n_obs=self.n_obs, n_sizes=int(len(np.unique(self.k))),
                   eps_at_bound=self.eps_at_bound, alpha_at_bound=self.alpha_at_bound,
                   beta_at_bound=self.beta_at_bound)
        return out

    def to_frame(self):
        """A pandas DataFrame, one row per parameter: ``estimate`` and ``std_err``."""
        import pandas as pd

        return pd.DataFrame({"estimate": [getattr(self, p) for p in _PARAMS],
                             "std_err": [self.std_err[p] for p in _PARAMS]},
                            index=pd.Index(_PARAMS, name="parameter"))

    def plot(self, ax=None, band: float = 0.95, extend: float = 2.0):
        """Log-log plot: the observations, the fitted curve with its band and the ε asymptote.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into (a new figure by default).
        band : float, default 0.95
            Coverage of the pointwise confidence band of the fitted mean (delta method);
            0 draws no band.
        extend : float, default 2.0
            The curve is drawn from ``min(k) / extend`` to ``max(k) · extend``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from scipy import stats

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
        w = self.sample_weight > 0
        k, loss = self.k[w], self.loss[w]
        ks, inv = np.unique(k, return_inverse=True)
        if len(ks) < len(k):  # repeated sizes: faint raw points and their means
            ax.scatter(k, loss, s=6, color="tab:blue", alpha=0.25, label="observations")
            sw = self.sample_weight[w]
            means = np.bincount(inv, weights=sw * loss) / np.bincount(inv, weights=sw)
            ax.plot(ks, means, "o", color="tab:blue", label="mean at each size")
        else:
            ax.plot(k, loss, "o", color="tab:blue", label="observations")
        grid = np.geomspace(ks[0] / extend, ks[-1] * extend, 200)
        mean, std = self.predict(grid, return_std=True)
        ax.plot(grid, mean, color="tab:green",
                label=f"ε + c k^−α: ε={self.eps:.3g}, α={self.alpha:.3g}")
        if band > 0 and np.all(np.isfinite(std)):
            z = stats.norm.ppf(0.5 + band / 2)
            lo = np.maximum(mean - z * std, np.nextafter(0, 1))
            ax.fill_between(grid, lo, mean + z * std, color="tab:green", alpha=0.2,
                            label=f"{band:.0%} band of the mean")
        if self.eps > 0:
            ax.axhline(self.eps, color="k", ls="--", lw=1, label="ε (irreducible loss)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("k (dataset size)")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        return ax


# ----------------------------------------------------------------------------------------------
# The profile likelihood
# ----------------------------------------------------------------------------------------------


class _Groups:
    """Observations grouped by distinct k: weight W, weighted mean m and within-group sum of
    squares V of each group, so the profile costs O(distinct k) and stays exact (V is computed
    once around the group means, so no cancellation when the residuals are tiny)."""

    def __init__(self, k, loss, w):
        ks, inv = np.unique(k, return_inverse=True)
        self.W = np.bincount(inv, weights=w)
        self.m = np.bincount(inv, weights=w * loss) / self.W
        self.V = np.bincount(inv, weights=w * (loss - self.m[inv]) ** 2)
        self.k0 = float(np.exp(np.sum(self.W * np.log(ks)) / self.W.sum()))
        self.L = np.log(ks / self.k0)  # sizes rescaled by their weighted geometric mean
        self.W_tot = float(self.W.sum())
        self.sum_WL = float(self.W @ self.L)
        self.upper = float(loss[w > 0].min())
        scale = max(float(np.sum(self.W * self.m**2) / self.W_tot), np.finfo(float).tiny)
        self.sse_floor = self.W_tot * scale * 1e-30

    def profile(self, alpha, beta):
        """ε, c, σ and the total NLL maximized over (ε, c, σ) at each (α, β) (broadcast)."""
        alpha = np.asarray(alpha, float)[..., None]
        beta = np.asarray(beta, float)[..., None]
        x = np.exp(-alpha * self.L)
        s = np.exp(beta * self.L)
        u = self.W * s
        su = u.sum(-1)
        xbar = (u * x).sum(-1) / su
        mbar = (u * self.m).sum(-1) / su
        dx = x - xbar[..., None]
        sxx = (u * dx * dx).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = (u * dx * self.m).sum(-1) / sxx
        eps = mbar - c * xbar
        # The profile in ε (c re-optimized) is a convex parabola: the constrained optimum is the
        # unconstrained ε projected on [0, min(loss)], with c re-optimized at that ε.
        clamped = np.clip(eps, 0.0, self.upper)
        hit = clamped != eps
        if np.any(hit):
            ux2 = (u * x * x).sum(-1)
            c_b = (u * x * (self.m - clamped[..., None])).sum(-1) / ux2
            c = np.where(hit, c_b, c)
            eps = clamped
        r = self.m - eps[..., None] - c[..., None] * x
        sse = np.maximum((s * (self.V + self.W * r * r)).sum(-1), self.sse_floor)
        sigma2 = sse / self.W_tot
        nll = 0.5 * self.W_tot * (_LOG_2PI + 1.0 + np.log(sigma2)) - 0.5 * beta[..., 0] * self.sum_WL
        return eps, c, np.sqrt(sigma2), nll, hit

    def profile_grad(self, alpha, beta):
        """Profile NLL and its gradient in (α, β) (envelope theorem: ε, c, σ at their optimum)."""
        eps, c, sigma, nll, _ = self.profile(alpha, beta)
        x = np.exp(-alpha * self.L)
        q = np.exp(beta * self.L) / (sigma * sigma)
        r = self.m - eps - c * x
        A = self.V + self.W * r * r
        g_alpha = np.sum(q * self.W * r * c * x * self.L)
        g_beta = -0.5 * self.sum_WL + 0.5 * np.sum(q * self.L * A)
        return float(nll), np.array([g_alpha, g_beta])

    def hessian(self, eps, c, alpha, beta, log_sigma):
        """Observed information of the NLL in (ε, c, α, β, log σ) (analytic)."""
        L, W = self.L, self.W
        x = np.exp(-alpha * L)
        q = np.exp(beta * L - 2.0 * log_sigma)
        r = self.m - eps - c * x
        A = self.V + W * r * r
        # derivatives of the residual in (ε, c, α) and their second derivatives
        dr = np.stack([-np.ones_like(x), -x, c * x * L])
        d2r = np.zeros((3, 3) + x.shape)
        d2r[1, 2] = d2r[2, 1] = x * L
        d2r[2, 2] = -c * x * L * L
        H = np.empty((5, 5))
        qW = q * W
        H[:3, :3] = np.einsum("j,aj,bj->ab", qW, dr, dr) + np.einsum("j,abj->ab", qW * r, d2r)
        H[:3, 3] = H[3, :3] = np.einsum("j,aj->a", qW * L * r, dr)
        H[:3, 4] = H[4, :3] = -2.0 * np.einsum("j,aj->a", qW * r, dr)
        H[3, 3] = 0.5 * np.sum(q * L * L * A)
        H[3, 4] = H[4, 3] = -np.sum(q * L * A)
        H[4, 4] = 2.0 * np.sum(q * A)
        return H


def _check_box(b, name, lo_min):
    try:
        lo, hi = (float(v) for v in b)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo_min <= lo < hi <= 20):
        raise ValueError(f"{name} must satisfy {lo_min} <= lo < hi <= 20, got {b!r}")
    return lo, hi


def _polish(g, x0, f0, a_box, b_box, a_step, b_step):
    """L-BFGS-B on the profile from a grid cell, then coordinate root searches of the analytic
    gradient (Brent's method in brackets of two grid cells around the iterate). Minimizing a
    function value pins its argument only to ~sqrt(machine ε); a root of the gradient is exact
    to rounding, also where the profile has the log singularity of a noiseless fit (which stalls
    quasi-Newton line searches). The lowest point seen is returned."""
    from scipy import optimize

    best_f, best_x = f0, np.asarray(x0, float)
    res = optimize.minimize(lambda th: g.profile_grad(th[0], th[1]), best_x, jac=True,
                            method="L-BFGS-B", bounds=[a_box, b_box],
                            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500})
    if res.fun < best_f:
        best_f, best_x = float(res.fun), np.asarray(res.x, float)
    for _ in range(4):
        moved = False
        for i in (0, 1):
            x = best_x.copy()
            if i == 0:
                lo, hi = max(a_box[0], x[0] / a_step), min(a_box[1], x[0] * a_step)
            else:
                lo, hi = max(b_box[0], x[1] - b_step), min(b_box[1], x[1] + b_step)

            def grad(v, i=i, x=x):
                y = x.copy()
                y[i] = v
                return g.profile_grad(y[0], y[1])[1][i]

            g_lo, g_hi = grad(lo), grad(hi)
            if not (np.isfinite(g_lo) and np.isfinite(g_hi) and g_lo < 0 < g_hi):
                continue
            y = x.copy()
            y[i] = optimize.brentq(grad, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps,
                                   maxiter=200)
            f = float(g.profile(y[0], y[1])[3])
            if f < best_f:
                moved = moved or abs(y[i] - best_x[i]) > 1e-12 * max(1.0, abs(y[i]))
                best_f, best_x = f, y
        if not moved:
            break
    return best_f, best_x


def fit_aggregate_law(
    k,
    loss,
    *,
    sample_weight=None,
    alpha_bounds=(0.01, _E2),
    beta_bounds=(0.0, _E2),
    grid=(48, 48),
    n_starts: int = 4,
) -> AggregateLaw:
    """Fit the dataset-level scaling law ``L(k) = ε + c·k^−α`` to losses measured at sizes k.

    Maximum likelihood under ``loss ~ Normal(ε + c k^−α, σ² k^−β)`` (the model of the scaling-laws
    authors' ``AggregateLikelihoodEstimator``), with ``0 ≤ ε ≤ min(loss)``. Fitted exactly: for
    fixed (α, β), (ε, c) is weighted least squares with weights ``k^β`` — solved in closed form,
    and when the unconstrained ε leaves ``[0, min(loss)]`` it is set to the nearest bound and c
    re-optimized (the profile in ε is a convex parabola, so this is the constrained optimum) —
    and σ² is the weighted mean of ``k^β r²``. The 2-D profile in (α, β) is screened on a grid
    (α log-spaced, β linear) and polished by L-BFGS-B with its analytic gradient from the best
    `n_starts` grid cells that are local minima; the lowest NLL found is returned.

    Parameters
    ----------
    k : array_like of shape (n,)
        Dataset sizes (> 0), at least 3 distinct. Repeats are welcome: pass every trial's loss
        rather than the mean of the trials, so that the noise model sees the spread.
    loss : array_like of shape (n,)
        The loss (≥ 0; lower is better, e.g. validation cross-entropy or error rate) of a model
        trained on k points.
    sample_weight : array_like of shape (n,), optional
        Non-negative frequency weights (scikit-learn's convention: weight w counts as w
        identical observations; 0 drops an observation).
    alpha_bounds : (float, float), default (0.01, e²)
        Search box of α (α → 0 degenerates into ``ε + c − c α log k``, so the box starts above 0).
    beta_bounds : (float, float), default (0, e²)
        Search box of β (β = 0: constant noise).
    grid : (int, int), default (48, 48)
        Screening grid over (α, β).
    n_starts : int, default 4
        Polishing starts from the best grid local minima.

    Returns
    -------
    AggregateLaw

    Raises
    ------
    TypeError, ValueError
        On malformed input; the message names the argument.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> rng = np.random.default_rng(0)
    >>> k = np.repeat(np.geomspace(100, 1000, 10), 20)
    >>> loss = 0.2 + 3.0 * k ** -0.5 + 0.5 * k ** -0.6 * rng.standard_normal(k.size)
    >>> law = pv.fit_aggregate_law(k, loss)
    >>> bool(abs(law.alpha - 0.5) < 3 * law.alpha_se)
    True
    """
    k, loss, w = _check_data(k, loss, sample_weight)
    a_box = _check_box(alpha_bounds, "alpha_bounds", 1e-6)
    b_box = _check_box(beta_bounds, "beta_bounds", 0.0)
    try:
        ga, gb = grid
    except (TypeError, ValueError):
        raise TypeError(f"grid must be a pair of integers, got {grid!r}") from None
    ga = as_int(ga, "grid[0]", minimum=3)
    gb = as_int(gb, "grid[1]", minimum=3)
    n_starts = as_int(n_starts, "n_starts", minimum=1)

    use = w > 0
    g = _Groups(k[use], loss[use], w[use])
    alpha, beta = _search(g, a_box, b_box, ga, gb, n_starts)
    eps, c_s, sigma_s, nll, hit = (float(v) for v in g.profile(alpha, beta))
    # back to the original units: c k^−α = c_s (k/k0)^−α, σ² k^−β = σ_s² (k/k0)^−β
    c = c_s * g.k0**alpha
    sigma = sigma_s * g.k0 ** (beta / 2)
    rtol = 1e-6
    return AggregateLaw(
        eps=eps, c=c, alpha=alpha, sigma=sigma, beta=beta, nll=nll,
        cov=_covariance(g, eps, c_s, alpha, beta, sigma_s), k0=g.k0,
        eps_at_bound=None if not hit else ("lower" if eps <= 0.0 else "upper"),
        alpha_at_bound=bool(alpha <= a_box[0] * (1 + rtol) or alpha >= a_box[1] * (1 - rtol)),
        beta_at_bound=bool(beta <= b_box[0] + rtol or beta >= b_box[1] * (1 - rtol)),
        k=k, loss=loss, sample_weight=w, alpha_bounds=a_box, beta_bounds=b_box,
    )


def _check_data(k, loss, sample_weight):
    """k, loss and the weights as float64 arrays, or a ValueError/TypeError naming the argument."""
    k = as_float_array(k, "k", ndim=1).astype(np.float64, copy=False)
    loss = as_float_array(loss, "loss", ndim=1).astype(np.float64, copy=False)
    if len(loss) != len(k):
        raise ValueError(f"loss must have the length of k ({len(k)}), got {len(loss)}")
    if np.any(k <= 0):
        raise ValueError("k must hold positive dataset sizes")
    if sample_weight is None:
        w = np.ones(len(k))
    else:
        w = as_float_array(sample_weight, "sample_weight", ndim=1).astype(np.float64)
        if len(w) != len(k):
            raise ValueError(f"sample_weight must have the length of k ({len(k)}), got {len(w)}")
        if np.any(w < 0):
            raise ValueError("sample_weight must be non-negative")
    use = w > 0
    if np.any(loss[use] < 0):
        raise ValueError("loss must be non-negative (the asymptote ε is constrained to ≥ 0)")
    if len(np.unique(k[use])) < 3:
        raise ValueError("k must hold at least 3 distinct sizes with a positive weight")
    if np.ptp(loss[use]) == 0:
        raise ValueError("loss is constant: the law is not identified")
    return k, loss, w


def _search(g, a_box, b_box, ga, gb, n_starts):
    """The global minimum of the profile over the box: grid (α log-spaced, β linear), then
    :func:`_polish` from the best `n_starts` grid cells that are minima of their 8-neighbourhood."""
    A, B = np.meshgrid(np.geomspace(a_box[0], a_box[1], ga), np.linspace(b_box[0], b_box[1], gb),
                       indexing="ij")
    F = g.profile(A, B)[3]
    F = np.where(np.isfinite(F), F, np.inf)
    pad = np.pad(F, 1, constant_values=np.inf)
    neigh = np.min([pad[1 + i:1 + i + ga, 1 + j:1 + j + gb]
                    for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j], axis=0)
    cand = np.flatnonzero((neigh >= F).ravel())
    cand = cand[np.argsort(F.ravel()[cand], kind="stable")][:n_starts]
    a_step = (a_box[1] / a_box[0]) ** (2.0 / (ga - 1))  # two grid cells (α is log-spaced)
    b_step = 2.0 * (b_box[1] - b_box[0]) / (gb - 1)
    best_f, best_x = np.inf, np.array([A.ravel()[cand[0]], B.ravel()[cand[0]]])
    for t in cand:
        x0 = np.array([A.ravel()[t], B.ravel()[t]])
        f, x = _polish(g, x0, float(F.ravel()[t]), a_box, b_box, a_step, b_step)
        if f < best_f:
            best_f, best_x = f, x
    return float(best_x[0]), float(best_x[1])


def _covariance(g, eps, c_s, alpha, beta, sigma_s):
    """Inverse observed information in (ε, c, α, β, σ), original units; NaN if not positive
    definite."""
    H = g.hessian(eps, c_s, alpha, beta, math.log(sigma_s))
    if not np.all(np.isfinite(H)):
        return np.full((5, 5), np.nan)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return np.full((5, 5), np.nan)
    # Jacobian of (ε, c, α, β, σ) with respect to (ε, c_s, α, β, log σ_s)
    c = c_s * g.k0**alpha
    sigma = sigma_s * g.k0 ** (beta / 2)
    J = np.eye(5)
    J[1, 1] = g.k0**alpha
    J[1, 2] = c * math.log(g.k0)
    J[4, 3] = sigma * 0.5 * math.log(g.k0)
    J[4, 4] = sigma
    return J @ np.linalg.inv(H) @ J.T
