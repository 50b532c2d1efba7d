"""Samples of Δ grouped by point, vectorized: the helpers every scaling-law estimator uses."""

from __future__ import annotations

import numpy as np

from ._validation import as_int

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


def _check_sizes(sizes):
    try:
        k_min, k_max = sizes
    except (TypeError, ValueError):
        raise TypeError(f"sizes must be a pair (k_min, k_max), got {sizes!r}") from None
    k_min = as_int(k_min, "sizes[0]", minimum=1)
    return k_min, as_int(k_max, "sizes[1]", minimum=k_min)
