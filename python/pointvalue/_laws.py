"""The result of :func:`~pointvalue.fit_scaling_laws`: per-point laws and their diagnostics."""

from __future__ import annotations

import numpy as np

from . import _core
from ._scaling_data import _as_contributions, _binned, _grouped_r2_pearson, _grouped_ranks, _log_fit, empirical_means
from ._validation import as_float_array

#: Per-point status codes of :class:`ScalingLaws` and their names (the kernel's ``Status`` enum):
#: ok; too_few_k (fewer than two distinct k; log: fewer than two k with a nonzero mean); all_zero
#: (every Δ is zero: c = σ = 0, α and β undefined); non_finite (a NaN or infinite Δ);
#: not_converged (iteration limit: the best iterate found is reported).
STATUS = {int(value): name for name, value in _core.powerlaw.Status.__members__.items()}

#: Default box for α and β: the closure of the reference code's parameter space
#: (it fits log α and log β clamped to ≤ 2, so 0 < α, β ≤ e²).


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

        See :func:`pointvalue._laws_plot.plot_laws` for the parameters; returns the
        matplotlib Figure.
        """
        from ._laws_plot import plot_laws

        return plot_laws(self, held_out=held_out, n_lines=n_lines, n_bins=n_bins, fig=fig)
