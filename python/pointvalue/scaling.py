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
from ._validation import as_float_array, as_int, check_choice, check_random_state

__all__ = [
    "ScalingLaws",
    "fit_scaling_laws",
    "distributional_values",
    "select_points",
    "STATUS",
    "DEFAULT_BOUNDS",
]

#: Per-point status codes of :class:`ScalingLaws` and their meaning.
STATUS = {
    0: "ok",
    1: "too_few_k",  # fewer than two distinct k (log: fewer than two k with a nonzero mean)
    2: "all_zero",  # every Δ is exactly zero: c = σ = 0, α and β undefined (NaN)
    3: "nonfinite",  # a NaN or infinite Δ
    4: "not_converged",  # iteration limit: the best iterate found is reported
}

#: Default box for α and β: the closure of the reference code's parameter space
#: (it fits log α and log β clamped to ≤ 2, so 0 < α, β ≤ e²).
DEFAULT_BOUNDS = (0.0, math.exp(2.0))


# ----------------------------------------------------------------------------------------------
# Grouping helpers (vectorized; no loops over points)
# ----------------------------------------------------------------------------------------------


def _as_contributions(contrib, name="contrib"):
    for attr in ("point", "k", "delta"):
        if not hasattr(contrib, attr):
            raise TypeError(f"{name} must be a pointvalue.Contributions (or have point, k, delta)")
    point = np.asarray(contrib.point, dtype=np.int64)
    k = np.asarray(contrib.k, dtype=np.int64)
    delta = np.asarray(contrib.delta, dtype=np.float64)
    if point.size == 0:
        raise ValueError(f"{name} holds no samples")
    if k.min() < 1:
        raise ValueError(f"{name}.k must be at least 1")
    return point, k, delta


def _group_points(point):
    """Stable sort order by point (None when already sorted), the distinct points, CSR offsets."""
    if np.all(point[1:] >= point[:-1]):
        order = None
        starts = np.flatnonzero(np.concatenate([[True], point[1:] != point[:-1]]))
        pts = point[starts]
        counts = np.diff(np.append(starts, len(point)))
    else:
        order = np.argsort(point, kind="stable")
        pts, counts = np.unique(point[order], return_counts=True)
    offsets = np.zeros(len(pts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return order, pts, offsets


def empirical_means(contrib):
    """Mean Δ of every (point, k) pair in `contrib`.

    Parameters
    ----------
    contrib : Contributions

    Returns
    -------
    point, k : numpy.ndarray of int64
        The distinct (point, k) pairs, sorted by point then k.
    mean : numpy.ndarray of float64
        Mean Δ of each pair (NaN when a sample is not finite).
    count : numpy.ndarray of int64
        Samples per pair.
    """
    point, k, delta = _as_contributions(contrib)
    kspan = int(k.max()) + 1
    key = point * kspan + k  # point ≥ 0, 1 ≤ k < kspan: a unique, order-preserving key
    uniq, inv, count = np.unique(key, return_inverse=True, return_counts=True)
    total = np.bincount(inv.ravel(), weights=delta, minlength=len(uniq))
    return uniq // kspan, uniq % kspan, total / count, count


def _binned(contrib, n_bins: int = 10):
    """The samples with each k replaced by its log-k bin's representative size (see r2)."""
    point, k, delta = _as_contributions(contrib)
    if len(np.unique(k)) <= n_bins:
        return contrib
    lk = np.log(k.astype(np.float64))
    edges = np.linspace(lk.min(), lk.max(), n_bins + 1)
    b = np.clip(np.searchsorted(edges, lk, side="right") - 1, 0, n_bins - 1)
    with np.errstate(invalid="ignore"):
        rep = np.exp(np.bincount(b, weights=lk, minlength=n_bins) / np.bincount(b, minlength=n_bins))
    rep = np.maximum(np.round(np.nan_to_num(rep, nan=1.0)), 1).astype(np.int64)
    from .contributions import Contributions

    return Contributions(point, rep[b], delta)


def _log_fit(contrib, pts):
    """The log estimator on per-(point, k) means; returns alpha, logc, r2, n_nonzero per `pts`."""
    gp, gk, gm, gn = empirical_means(contrib)
    finite_pt = np.ones(len(pts), dtype=bool)
    pos = np.searchsorted(pts, gp)
    bad = ~np.isfinite(gm)
    finite_pt[np.unique(pos[bad])] = False
    use = np.isfinite(gm) & (gm != 0)
    x = -np.log(gk[use].astype(np.float64))
    ylog = np.log(np.abs(gm[use]))
    p = pos[use]
    m = np.bincount(p, minlength=len(pts)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(p, weights=x, minlength=len(pts)) / m
        my = np.bincount(p, weights=ylog, minlength=len(pts)) / m
        dx = x - mx[p]
        dy = ylog - my[p]
        sxx = np.bincount(p, weights=dx * dx, minlength=len(pts))
        sxy = np.bincount(p, weights=dx * dy, minlength=len(pts))
        syy = np.bincount(p, weights=dy * dy, minlength=len(pts))
        alpha = sxy / sxx
        r2 = sxy * sxy / (sxx * syy)
    ok = (m >= 2) & (sxx > 0)
    alpha = np.where(ok, alpha, np.nan)
    r2 = np.where((m >= 3) & (sxx > 0) & (syy > 0), r2, np.nan)
    r2 = np.where((m >= 3) & (sxx > 0) & (syy == 0), 1.0, r2)
    return alpha, r2, m, finite_pt, (gp, gk, gm, gn, pos)


def _grouped_r2_pearson(g, e, p, n_groups):
    """Per group: R² of p predicting e (1 − SSE/SST) and the Pearson correlation (vectorized)."""
    cnt = np.bincount(g, minlength=n_groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        me = np.bincount(g, weights=e, minlength=n_groups) / cnt
        mp = np.bincount(g, weights=p, minlength=n_groups) / cnt
        de, dp = e - me[g], p - mp[g]
        see = np.bincount(g, weights=de * de, minlength=n_groups)
        spp = np.bincount(g, weights=dp * dp, minlength=n_groups)
        sep = np.bincount(g, weights=de * dp, minlength=n_groups)
        sse = np.bincount(g, weights=(e - p) ** 2, minlength=n_groups)
        r2 = np.where(see > 0, 1.0 - sse / see, np.nan)
        pearson = np.where((see > 0) & (spp > 0), sep / np.sqrt(see * spp), np.nan)
    return r2, np.clip(pearson, -1.0, 1.0)


def _grouped_ranks(g, x):
    """Ranks of x within each group (1-based, ties get their average rank), vectorized."""
    order = np.lexsort((x, g))
    gs, xs = g[order], x[order]
    n = len(x)
    pos = np.arange(n, dtype=np.float64)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = gs[1:] != gs[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0.0))
    new_run = new_group.copy()
    new_run[1:] |= xs[1:] != xs[:-1]
    run_id = np.cumsum(new_run) - 1
    run_start = pos[new_run]
    run_end = np.append(run_start[1:], n) - 1
    avg = 0.5 * (run_start + run_end)[run_id] - group_start + 1.0
    ranks = np.empty(n)
    ranks[order] = avg
    return ranks


# ----------------------------------------------------------------------------------------------
# Result class
# ----------------------------------------------------------------------------------------------


class ScalingLaws:
    """Per-point scaling laws ``ψ_k(z) = c / k^α`` with noise ``Δ ~ Normal(c k^−α, σ² k^−β)``.

    Returned by :func:`fit_scaling_laws`; all arrays are aligned with :attr:`point`.

    Attributes
    ----------
    point : numpy.ndarray of int64
        Pool indices of the points, sorted.
    c, alpha, sigma, beta : numpy.ndarray of float64
        Law parameters (``sigma``, ``beta`` are NaN for the ``"log"`` method).
    nll : numpy.ndarray of float64
        Total negative log-likelihood of each point's samples at the estimate (NaN for ``"log"``).
    r2 : numpy.ndarray of float64
        The paper's diagnostic: R² of the straight-line fit of ``log|mean Δ|`` on ``log k``
        (NaN with fewer than three bins with a nonzero mean), on a **binned design** so that it
        does not depend on how k was drawn: the sampled k are grouped into at most 10 bins of
        equal width in log k over their range (each distinct k is its own bin when there are at
        most 10, as in the paper's protocol of 10 fixed sizes), each bin represented by the
        geometric mean of its k. With k drawn uniformly (mostly one sample per k) the R² over
        distinct k would measure the noise of single samples, not the law.
    status : numpy.ndarray of int8
        Codes of :data:`STATUS`: 0 ok, 1 too few distinct k, 2 all Δ zero, 3 non-finite Δ,
        4 not converged. Parameters of points with status 1 and 3 are NaN.
    n_samples : numpy.ndarray of int64
        Samples per point.
    alpha_se, beta_se : numpy.ndarray of float64
        ``"mle"`` only (NaN otherwise): asymptotic standard errors of α and β from the inverse
        observed information of the profile likelihood at the estimate (NaN where that Hessian
        is not positive definite). Large values flag points whose α the samples do not pin
        down (noise-dominated points often land on a bound).
    method : str
    contributions : Contributions or None
        The samples the laws were fitted to (kept for :meth:`plot`).
    """

    def __init__(self, point, c, alpha, sigma, beta, nll, r2, status, n_samples, method,
                 contributions=None, info=None, alpha_se=None, beta_se=None):
        self.point = np.asarray(point, dtype=np.int64)
        self.c = np.asarray(c, dtype=np.float64)
        self.alpha = np.asarray(alpha, dtype=np.float64)
        self.sigma = np.asarray(sigma, dtype=np.float64)
        self.beta = np.asarray(beta, dtype=np.float64)
        self.nll = np.asarray(nll, dtype=np.float64)
        self._r2 = None if r2 is None else np.asarray(r2, dtype=np.float64)
        self.status = np.asarray(status, dtype=np.int8)
        self.n_samples = np.asarray(n_samples, dtype=np.int64)
        nan = np.full(len(self.point), np.nan)
        self.alpha_se = nan if alpha_se is None else np.asarray(alpha_se, dtype=np.float64)
        self.beta_se = nan.copy() if beta_se is None else np.asarray(beta_se, dtype=np.float64)
        self.method = method
        self.contributions = contributions
        self.info = dict(info or {})
        # Posterior mean and sd of the distributional value over `value_sizes` ("eb" only).
        self.value_mean = nan.copy()
        self.value_se = nan.copy()
        self.value_sizes = None

    def reliable(self, max_alpha_se: float = 0.5, min_value_z: float = 1.0) -> np.ndarray:
        """Which laws can be trusted: a boolean mask aligned with :attr:`point`.

        A law is reliable when its fit succeeded (status 0), the standard error of α is at most
        `max_alpha_se` and — where the method gives one (``"eb"``) — the value is at least
        `min_value_z` standard errors away from zero (its sign is known). ``"mle"`` uses the
        asymptotic standard error of α (NaN, hence unreliable, on a bound or where the
        likelihood is flat); ``"log"`` and ``"amortized"`` have no uncertainty and fall back
        on the authors' rule (α ≥ 0.5 and log-fit R² ≥ 0.9).
        """
        ok = self.status == 0
        if self.method in ("eb", "mle"):
            with np.errstate(invalid="ignore"):
                ok &= np.isfinite(self.alpha_se) & (self.alpha_se <= max_alpha_se)
                if self.method == "eb":
                    ok &= np.abs(self.value_mean) >= min_value_z * self.value_se
            return ok
        with np.errstate(invalid="ignore"):
            return ok & (self.alpha >= 0.5) & (self.r2 >= 0.9)

    def __len__(self) -> int:
        return len(self.point)

    @property
    def r2(self) -> np.ndarray:
        """Per-point R² of the log-linear trend (computed on first use from the samples)."""
        if self._r2 is None:
            if self.contributions is None:
                self._r2 = np.full(len(self.point), np.nan)
            else:
                self._r2 = _log_fit(_binned(self.contributions), self.point)[1]
        return self._r2

    def __repr__(self) -> str:
        ok = int(np.sum(self.status == 0))
        return f"ScalingLaws(method={self.method!r}, {len(self)} points, {ok} ok)"

    @property
    def status_name(self) -> np.ndarray:
        """Status codes as strings (see :data:`STATUS`)."""
        names = np.array([STATUS[i] for i in range(len(STATUS))], dtype=object)
        return names[self.status]

    def _index(self, points):
        if points is None:
            return slice(None)
        points = np.asarray(points, dtype=np.int64)
        pos = np.searchsorted(self.point, points)
        pos = np.clip(pos, 0, len(self.point) - 1)
        if not np.all(self.point[pos] == points):
            raise ValueError("points contains indices that have no law")
        return pos

    def predict(self, k, points=None) -> np.ndarray:
        """Expected marginal contribution ``ψ_k = c / k^α``.

        Parameters
        ----------
        k : int, float or array_like
            Dataset size(s), ≥ 1. A scalar gives one value per point; an array of shape ``s``
            gives shape ``(n_points,) + s``.
        points : array_like of int, optional
            Pool indices to predict for (default: every point, in :attr:`point` order).

        Returns
        -------
        numpy.ndarray
            NaN for points whose law is undefined; 0 where ``c == 0`` (all-zero Δ).
        """
        k = as_float_array(k, "k", ndim=None, allow_empty=True)
        if k.size and np.any(k < 1):
            raise ValueError("k must be at least 1")
        sel = self._index(points)
        c = self.c[sel]
        a = self.alpha[sel]
        shape = (-1,) + (1,) * k.ndim
        with np.errstate(invalid="ignore"):
            out = c.reshape(shape) * np.power(k.astype(np.float64), -a.reshape(shape))
        return np.where(c.reshape(shape) == 0, 0.0, out)

    def to_frame(self):
        """A pandas DataFrame: one row per point with every per-point array."""
        import pandas as pd

        return pd.DataFrame(
            {
                "point": self.point,
                "c": self.c,
                "alpha": self.alpha,
                "sigma": self.sigma,
                "beta": self.beta,
                "nll": self.nll,
                "alpha_se": self.alpha_se,
                "beta_se": self.beta_se,
                "value_mean": self.value_mean,
                "value_se": self.value_se,
                "reliable": self.reliable(),
                "r2": self.r2,
                "n_samples": self.n_samples,
                "status": self.status_name,
            }
        )

    def goodness_of_fit(self, held_out) -> dict:
        """Agreement of the laws with empirical ``ψ_k`` from held-out samples.

        For every (point, k) pair of `held_out` whose point has a law, the empirical ``ψ_k`` is
        the mean of its samples and the prediction is ``c / k^α``.

        Parameters
        ----------
        held_out : Contributions
            Samples not used for fitting (for example a second call of
            :func:`~pointvalue.marginal_contributions` with another seed, or at fixed k).

        Returns
        -------
        dict
            ``k`` (distinct sizes), and per size ``r2``, ``pearson``, ``spearman``, ``n_points``
            and ``ceiling`` (across points); ``overall`` with ``r2``, ``pearson``, ``spearman``,
            ``n`` and ``ceiling`` over all pairs. R² is ``1 − Σ(ψ − ψ̂)² / Σ(ψ − mean ψ)²`` (it
            can be negative). ``ceiling`` is the noise ceiling: the R² that the *true* ψ_k would
            get against these held-out means, ``1 − Σ s²/n / Σ(ψ − mean ψ)²`` with s² the
            sample variance and n the count of each pair — the held-out means are themselves
            noisy, so an R² near the ceiling is as good as any predictor can show (NaN where a
            pair has a single sample).
        """
        gp, gk, gm, gn = empirical_means(held_out)
        hp, hk, hd = _as_contributions(held_out)
        kspan = int(hk.max()) + 1
        _, inv = np.unique(hp * kspan + hk, return_inverse=True)
        sq = np.bincount(inv.ravel(), weights=hd * hd, minlength=len(gm))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_var = np.where(gn > 1, (sq - gn * gm * gm) / (gn - 1), np.nan) / gn
        pos = np.searchsorted(self.point, gp)
        pos = np.clip(pos, 0, len(self.point) - 1)
        keep = (self.point[pos] == gp) & np.isfinite(gm)
        pred = np.full(len(gp), np.nan)
        with np.errstate(invalid="ignore"):
            pred[keep] = self.c[pos[keep]] * np.power(gk[keep].astype(float), -self.alpha[pos[keep]])
        pred = np.where(self.c[pos] == 0, 0.0, pred)
        keep &= np.isfinite(pred)
        gk, gm, pred, mean_var = gk[keep], gm[keep], pred[keep], mean_var[keep]

        ks, gi, counts = np.unique(gk, return_inverse=True, return_counts=True)
        gi = gi.ravel()
        per_r2, per_pe = _grouped_r2_pearson(gi, gm, pred, len(ks))
        with np.errstate(invalid="ignore", divide="ignore"):
            sst = np.bincount(gi, weights=(gm - (np.bincount(gi, weights=gm) / counts)[gi]) ** 2)
            ceiling = 1.0 - np.bincount(gi, weights=mean_var) / sst
            o_ceiling = 1.0 - float(np.sum(mean_var) / np.sum((gm - gm.mean()) ** 2)) if len(gm) > 1 else np.nan
        per_sp = _grouped_r2_pearson(gi, _grouped_ranks(gi, gm), _grouped_ranks(gi, pred), len(ks))[1]
        small = counts < 3
        per_r2[small] = per_pe[small] = per_sp[small] = np.nan
        zeros = np.zeros(len(gm), dtype=np.int64)
        o_r2, o_pe = _grouped_r2_pearson(zeros, gm, pred, 1)
        o_sp = _grouped_r2_pearson(zeros, _grouped_ranks(zeros, gm), _grouped_ranks(zeros, pred), 1)[1]
        if len(gm) < 3:
            o_r2 = o_pe = o_sp = np.full(1, np.nan)
        per = np.column_stack([per_r2, per_pe, per_sp])
        o = (float(o_r2[0]), float(o_pe[0]), float(o_sp[0]))
        return {
            "k": ks,
            "r2": per[:, 0],
            "pearson": per[:, 1],
            "spearman": per[:, 2],
            "n_points": counts,
            "ceiling": ceiling,
            "overall": {"r2": o[0], "pearson": o[1], "spearman": o[2], "n": int(len(gm)),
                        "ceiling": o_ceiling},
        }

    def plot(self, held_out=None, n_lines: int = 5, n_bins: int = 12, fig=None):
        """The paper's Figure 1: laws across α, the R² histogram, R² of predictions vs k.

        Parameters
        ----------
        held_out : Contributions, optional
            Samples for the right panel (R² of predictions at each cardinality). Without it the
            fitting samples are used (optimistic: in-sample).
        n_lines : int, default 5
            Points drawn in the top panel, at evenly spaced quantiles of α (among points with
            status ok and c > 0, and with ``alpha_se < 0.5`` when enough points have one).
        n_bins : int, default 12
            Empirical means in the top panel are averaged over this many log-spaced bins of k.
        fig : matplotlib.figure.Figure, optional
            Figure to draw into (a new one by default).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib

        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=(11, 8), layout="constrained")
        gs = fig.add_gridspec(2, 2, height_ratios=[1.25, 1])
        ax_top = fig.add_subplot(gs[0, :])
        ax_hist = fig.add_subplot(gs[1, 0])
        ax_r2 = fig.add_subplot(gs[1, 1])

        ok = (self.status == 0) & (self.c > 0) & np.isfinite(self.alpha)
        precise = ok & (self.alpha_se < 0.5)
        note = ""
        if precise.sum() >= max(1, n_lines):
            ok = precise
            note = ", se(α) < 0.5"
        cmap = matplotlib.colormaps["viridis"]
        contrib = self.contributions
        if ok.any() and contrib is not None:
            idx_ok = np.flatnonzero(ok)
            order = idx_ok[np.argsort(self.alpha[idx_ok], kind="stable")]
            qs = np.linspace(0.05, 0.95, max(1, n_lines))
            chosen = np.unique(order[np.round(qs * (len(order) - 1)).astype(int)])
            gp, gk, gm, gn = empirical_means(contrib)
            kmin, kmax = gk.min(), gk.max()
            edges = np.unique(np.geomspace(kmin, kmax + 1, n_bins + 1))
            kk = np.geomspace(kmin, kmax, 100)
            amin, amax = self.alpha[chosen].min(), self.alpha[chosen].max()
            for i in chosen:
                col = cmap(0.0 if amax == amin else (self.alpha[i] - amin) / (amax - amin))
                sel = gp == self.point[i]
                b = np.clip(np.digitize(gk[sel], edges) - 1, 0, len(edges) - 2)
                cnt = np.bincount(b, weights=gn[sel], minlength=len(edges) - 1)
                tot = np.bincount(b, weights=gm[sel] * gn[sel], minlength=len(edges) - 1)
                kb = np.bincount(b, weights=gk[sel] * gn[sel], minlength=len(edges) - 1)
                has = cnt > 0
                emp = tot[has] / cnt[has]
                kb = kb[has] / cnt[has]
                pos = emp > 0
                ax_top.scatter(np.log(kb[pos]), np.log(emp[pos]), color=col, s=14, alpha=0.8)
                ax_top.plot(np.log(kk), np.log(self.c[i]) - self.alpha[i] * np.log(kk), color=col,
                            label=f"point {self.point[i]}: α = {self.alpha[i]:.2f}")
            ax_top.legend(fontsize=8, loc="lower left")
        ax_top.set_xlabel("log k (dataset size)")
        ax_top.set_ylabel("log |ψ_k| (expected marginal contribution)")
        ax_top.set_title(f"Individualized scaling laws: points across α quantiles{note} "
                         "(dots: binned empirical means, lines: c/k^α)")

        r2 = self.r2[np.isfinite(self.r2)]
        if r2.size:
            ax_hist.hist(np.clip(r2, -1, 1), bins=30, color="tab:blue", alpha=0.8)
            ax_hist.axvline(np.median(r2), color="k", ls="--", lw=1,
                            label=f"median {np.median(r2):.3f}")
            ax_hist.legend(fontsize=8)
        ax_hist.set_xlabel("R² of log-linear trend per point")
        ax_hist.set_ylabel("points")
        ax_hist.set_title("Per-point fit of log|mean Δ| vs log k")

        src = held_out if held_out is not None else contrib
        if src is not None:
            gof = self.goodness_of_fit(src)
            ks, r2k, npk = gof["k"], gof["r2"], gof["n_points"]
            good = np.isfinite(r2k) & (npk >= 5)
            if good.sum() > 60:  # many distinct k: bin them for readability
                edges = np.unique(np.geomspace(ks.min(), ks.max() + 1, 16))
                b = np.clip(np.digitize(ks[good], edges) - 1, 0, len(edges) - 2)
                w = npk[good]
                rb = np.bincount(b, weights=r2k[good] * w) / np.maximum(np.bincount(b, weights=w), 1)
                kb = np.bincount(b, weights=ks[good] * w) / np.maximum(np.bincount(b, weights=w), 1)
                has = np.bincount(b) > 0
                ax_r2.plot(kb[has], rb[has], "o-", color="tab:green")
            else:
                ax_r2.plot(ks[good], r2k[good], "o-", color="tab:green")
            ax_r2.set_xscale("log")
            tag = "held-out" if held_out is not None else "in-sample"
            ax_r2.set_title(f"R² of predicted vs {tag} ψ_k (overall {gof['overall']['r2']:.3f})")
        ax_r2.set_xlabel("k (dataset size)")
        ax_r2.set_ylabel("R² across points")
        return fig


# ----------------------------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------------------------


def _check_sizes(sizes):
    try:
        k_min, k_max = sizes
    except (TypeError, ValueError):
        raise TypeError(f"sizes must be a pair (k_min, k_max), got {sizes!r}") from None
    k_min = as_int(k_min, "sizes[0]", minimum=1)
    return k_min, as_int(k_max, "sizes[1]", minimum=k_min)


def _check_bounds(b, name):
    try:
        lo, hi = (float(v) for v in b)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi <= 20):
        raise ValueError(f"{name} must satisfy 0 <= lo <= hi <= 20, got {b!r}")
    return lo, hi


def fit_scaling_laws(
    contrib,
    method: str = "eb",
    *,
    sizes=None,
    prior: str = "normal",
    max_prior_points: int = 5_000,
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
    max_prior_points : int, default 5000
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
        res = _core.fit_powerlaw(
            offsets,
            np.log(k if order is None else k[order], dtype=np.float64),
            delta if order is None else delta[order],
            np.array([[1.0, 2.0]]) if n_candidates == 0 else np.zeros((0, 2)),
            a_lo, a_hi, b_lo, b_hi, ga, gb, n_candidates, scan_grid, max_iter, 1e-10,
        )
        return ScalingLaws(pts, res["c"], res["alpha"], res["sigma"], res["beta"], res["nll"], None,
                           res["status"], counts, "mle", contrib,
                           alpha_se=res["alpha_se"], beta_se=res["beta_se"],
                           info={"n_iter": res["n_iter"], "alpha_bounds": (a_lo, a_hi),
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

    from ._amortized import fit_amortized

    return fit_amortized(
        contrib, point, k, delta, pts, counts, None, X=X, y=y, bounds=(a_lo, a_hi, b_lo, b_hi),
        random_state=random_state, progress=progress, hidden=hidden, max_epochs=max_epochs,
        patience=patience, learning_rate=learning_rate, batch_size=batch_size,
        validation_fraction=validation_fraction, weight_decay=weight_decay,
    )


# ----------------------------------------------------------------------------------------------
# Applications
# ----------------------------------------------------------------------------------------------

_EM = ((2, 1.0 / 12.0), (4, -1.0 / 720.0), (6, 1.0 / 30240.0), (8, -1.0 / 1209600.0))


def power_sum(alpha, a: int, b: int) -> np.ndarray:
    """``Σ_{k=a}^{b} k^−α`` for every α in `alpha` (closed form, vectorized).

    Terms below k = 50 are summed directly; the rest by Euler–Maclaurin with four Bernoulli
    corrections (relative error below 1e-12 for 0 ≤ α ≤ 20).
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    a = int(a)
    b = int(b)
    out = np.zeros(alpha.shape)
    direct_end = min(b, max(a, 50) - 1)
    if direct_end >= a:
        ks = np.arange(a, direct_end + 1, dtype=np.float64)
        out = out + np.sum(np.power.outer(ks, -alpha) if alpha.ndim else ks ** -alpha, axis=0)
        a = direct_end + 1
    if a > b:
        return out
    from scipy.special import exprel

    la, lb = math.log(a), math.log(b)
    t = 1.0 - alpha
    integral = np.exp(t * la) * (lb - la) * exprel(t * (lb - la))
    fa, fb = np.power(float(a), -alpha), np.power(float(b), -alpha)
    tail = integral + 0.5 * (fa + fb)
    # f^(2j−1)(x) = −α(α+1)…(α+2j−2) x^(−α−2j+1)
    rising = np.ones(alpha.shape)
    for order, coef in _EM:
        for m in range(max(order - 3, 0), order - 1):
            rising = rising * (alpha + m)
        deriv_b = -rising * np.power(float(b), -alpha - order + 1)
        deriv_a = -rising * np.power(float(a), -alpha - order + 1)
        tail = tail + coef * (deriv_b - deriv_a)
    return out + tail


def distributional_values(laws: ScalingLaws, sizes=None) -> np.ndarray:
    """Mean of the law over dataset sizes: ``mean_{k_min ≤ k ≤ k_max} c / k^α`` per point.

    A distributional-Shapley-style value (uniform weight on each size in the range), computed in
    closed form without a loop over points.

    Parameters
    ----------
    laws : ScalingLaws
    sizes : (int, int), optional
        Inclusive range of integer sizes ``1 ≤ k_min ≤ k_max``. Default: the range the laws
        were fitted for (``laws.value_sizes``; for other methods the range of the sampled k,
        or (100, 1000) without samples).

    Returns
    -------
    numpy.ndarray of float64
        One value per point of ``laws.point`` (NaN where the law is undefined, 0 where c = 0).
        The value of the reported law (for ``"eb"``, the posterior mode's law; its posterior
        standard deviation over ``laws.value_sizes`` is ``laws.value_se``, and the posterior
        mean ``laws.value_mean``).
    """
    if not isinstance(laws, ScalingLaws):
        raise TypeError("laws must be a ScalingLaws (from fit_scaling_laws)")
    if sizes is None:
        if laws.value_sizes is not None:
            sizes = laws.value_sizes
        elif laws.contributions is not None and len(laws.contributions.k):
            sizes = (int(laws.contributions.k.min()), int(laws.contributions.k.max()))
        else:
            sizes = (100, 1000)
    k_min, k_max = _check_sizes(sizes)
    a = np.where(np.isfinite(laws.alpha), laws.alpha, 0.0)
    s = power_sum(a, k_min, k_max) / (k_max - k_min + 1)
    v = laws.c * s
    v = np.where(np.isfinite(laws.alpha), v, np.nan)
    return np.where(laws.c == 0, 0.0, v)


def select_points(laws: ScalingLaws, k, budget: int, labels=None, balance: bool = True,
                  reliable_only: bool = True) -> np.ndarray:
    """Size-aware selection: the `budget` points with the largest ``c / k^α`` at size `k`.

    Parameters
    ----------
    laws : ScalingLaws
    k : int
        The dataset size you will train at (the value of a point depends on it: laws cross).
    budget : int
        Number of points to return (at most the number of points with a defined law).
    labels : array_like, optional
        Labels of the pool (indexed by pool index, like ``y``).
    balance : bool, default True
        With `labels`: keep the class proportions of the candidate points (largest-remainder
        allocation of the budget), taking the best points within each class.
    reliable_only : bool, default True
        Choose only among laws that :meth:`ScalingLaws.reliable` accepts (the authors drop
        α < 0.5 or R² < 0.9; we use each law's uncertainty). ``False`` ranks every defined law.

    Returns
    -------
    numpy.ndarray of int64
        Pool indices, best first (within the allocation).
    """
    if not isinstance(laws, ScalingLaws):
        raise TypeError("laws must be a ScalingLaws (from fit_scaling_laws)")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, float, np.integer, np.floating)):
        raise TypeError(f"k must be a number, got {k!r}")
    if not (np.isfinite(k) and k >= 1):
        raise ValueError(f"k must be at least 1, got {k!r}")
    score = laws.predict(float(k))
    valid = np.isfinite(score)
    if reliable_only:
        valid &= laws.reliable()
    n_valid = int(valid.sum())
    budget = as_int(budget, "budget", minimum=0)
    if budget > n_valid:
        which = "reliable laws (see ScalingLaws.reliable; reliable_only=False ranks all)" if reliable_only else "defined laws"
        raise ValueError(f"budget must be at most the number of {which}: {n_valid}, got {budget}")
    idx = np.flatnonzero(valid)
    if labels is None or not balance:
        best = idx[np.argsort(-score[idx], kind="stable")[:budget]]
        return laws.point[best]
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) <= laws.point.max():
        raise ValueError("labels must be 1-D with an entry for every pool index in laws.point")
    lab = labels[laws.point[idx]]
    classes, inv, cnt = np.unique(lab, return_inverse=True, return_counts=True)
    quota = cnt * budget / cnt.sum()
    alloc = np.floor(quota).astype(int)
    rest = budget - alloc.sum()
    if rest:
        alloc[np.argsort(-(quota - alloc), kind="stable")[:rest]] += 1
    # rank within class: sort by (class, −score)
    o = np.lexsort((-score[idx], inv))
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    rank = np.empty(len(idx), dtype=np.int64)
    rank[o] = np.arange(len(idx)) - np.repeat(start, cnt)
    take = rank < alloc[inv]
    chosen = idx[take]
    chosen = chosen[np.argsort(-score[chosen], kind="stable")]
    return laws.point[chosen]
