"""What the laws are for: distributional values (closed-form sums over sizes) and size-aware selection."""

from __future__ import annotations

import math

import numpy as np

from ._laws import ScalingLaws
from ._scaling_data import _check_sizes
from ._validation import as_int, check_choice

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


def distributional_values(laws: ScalingLaws, sizes=None, *, weights: str = "uniform",
                          n_players=None, beta_params=None) -> np.ndarray:
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

    weights : {"uniform", "shapley", "beta", "banzhaf"}, default "uniform"
        Weight of each size in the range. ``"uniform"`` is the distributional value above, and
        ``"shapley"`` gives the same (Shapley weighs every coalition size equally; no
        `n_players` needed). ``"beta"``
        and ``"banzhaf"`` use the size weights of that semivalue over `n_players` players
        (:func:`~pointvalue.semivalue_weights`), restricted to the range and renormalized, so
        law-based values compare directly with Monte Carlo semivalues (:func:`~pointvalue.semivalues`)
        whose permutations are truncated to the same sizes.
    n_players : int, optional
        Number of players of the semivalue (the pool size); needed for ``"beta"``/``"banzhaf"``.
    beta_params : (float, float), optional
        Beta Shapley's (α, β) (default (16, 1), pyDVL's convention).

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
    weights = check_choice(weights, "weights", {"uniform", "shapley", "beta", "banzhaf"})
    a = np.where(np.isfinite(laws.alpha), laws.alpha, 0.0)
    if weights in ("uniform", "shapley"):  # Shapley weighs every size equally, whatever n
        mean_power = power_sum(a, k_min, k_max) / (k_max - k_min + 1)
    else:
        mean_power = _semivalue_mean_power(a, k_min, k_max, weights, n_players, beta_params)
    v = np.where(np.isfinite(laws.alpha), laws.c * mean_power, np.nan)
    return np.where(laws.c == 0, 0.0, v)


def _semivalue_mean_power(alpha, k_min, k_max, method, n_players, beta_params):
    """Σ_k q(k)·k^−α over [k_min, k_max], q the semivalue's size weights for `n_players` players
    restricted to the range and renormalized."""
    from .semivalues import semivalue_weights

    if n_players is None:
        raise TypeError(f"weights={method!r} needs n_players (the pool size the semivalue is over)")
    n_players = as_int(n_players, "n_players", minimum=k_max + 1)
    q = semivalue_weights(method, n_players, beta_params)[k_min:k_max + 1]
    if not q.sum() > 0:
        raise ValueError(f"the {method} weights of {n_players} players vanish on sizes [{k_min}, {k_max}]")
    ks = np.arange(k_min, k_max + 1, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(-np.outer(alpha, np.log(ks))) @ (q / q.sum())


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
        which = ("reliable laws (see ScalingLaws.reliable; reliable_only=False ranks all)"
                 if reliable_only else "defined laws")
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
