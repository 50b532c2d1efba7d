"""How the draws are planned: the distribution of k, the seed, the class strata of D, and the
checks that every k can be drawn (the draws themselves are made by the C++ sampler)."""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from ._validation import check_choice, check_scalar
from .random import stream_key


def size_spec(sizes, size_dist):
    """(k_values, cdf, description) of the distribution of k."""
    if isinstance(size_dist, str):
        size_dist = check_choice(size_dist, "size_dist", {"uniform", "loguniform"})
        if not (isinstance(sizes, (tuple, list, np.ndarray)) and len(sizes) == 2):
            raise ValueError(f"sizes must be a pair (k_min, k_max), got {sizes!r}")
        lo = check_scalar(sizes[0], "sizes[0]", numbers.Integral, min_val=1)
        hi = check_scalar(sizes[1], "sizes[1]", numbers.Integral, min_val=1)
        if hi <= lo:
            raise ValueError(f"sizes must satisfy k_min < k_max (k drawn from [k_min, k_max)), got {sizes!r}")
        values = np.arange(lo, hi, dtype=np.int64)
        # loguniform: a continuous log-uniform on [lo, hi), floored
        w = np.ones(len(values)) if size_dist == "uniform" else np.log1p(1.0 / values)
        desc = {"sizes": [lo, hi], "size_dist": size_dist}
    else:
        values = np.asarray(size_dist)
        if values.ndim != 1 or values.size == 0:
            raise ValueError("size_dist given as an array must be a non-empty 1-D array of k values")
        if values.dtype.kind not in "iu":
            raise TypeError(f"size_dist must hold integers, got dtype {values.dtype}")
        if values.min() < 1:
            raise ValueError("size_dist values must be at least 1")
        values = values.astype(np.int64)
        w = np.ones(len(values))
        desc = {"size_dist": values.tolist()}
    cdf = np.cumsum(w) / w.sum()
    cdf[-1] = 1.0
    return values, cdf, desc


def seed_of(random_state) -> int:
    """The stream key of the draws (kept in ``meta`` so a resumed run continues them)."""
    return stream_key(random_state)


def strata(data, stratify):
    """(stratum per pool index, CSR of strata, balanced, names) for the sampler."""
    n = data.n
    if stratify not in (True, False, "balanced"):
        raise ValueError(f"stratify must be True, False or 'balanced', got {stratify!r}")
    if data.kind == "classification" and stratify:
        stratum = data.label
        order = np.argsort(stratum, kind="stable").astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(np.bincount(stratum, minlength=data.n_classes))]).astype(np.int64)
        return stratum, ptr, order, stratify == "balanced", True
    return np.zeros(n, dtype=np.int64), np.array([0, n], dtype=np.int64), np.arange(n, dtype=np.int64), False, False


def check_sizes(values, strata_ptr, balanced, stratified, data):
    kmax = int(values.max())
    sizes = np.diff(strata_ptr)
    if not stratified:
        if kmax > data.n - 1:
            raise ValueError(
                f"k={kmax} is larger than the pool without the target point ({data.n - 1} points)"
            )
        return
    if int(values.min()) < len(sizes):
        raise ValueError(
            f"k={int(values.min())} is smaller than the number of classes ({len(sizes)}): a "
            "stratified subset needs a point of every class"
        )
    counts = _core.refit.stratum_counts(strata_ptr, balanced, kmax)
    bad = np.flatnonzero(counts + 1 > sizes)
    if bad.size:
        c = bad[0]
        raise ValueError(
            f"k={kmax} is larger than class {data.classes[c]!r} allows when stratified: it needs "
            f"{int(counts[c])} points of that class but the pool holds {int(sizes[c])} "
            f"(at most {int(sizes[c]) - 1} besides a target); lower sizes or use stratify=False"
        )

