"""Regularized probability-proportional-to-size (PPS) inclusion probabilities and Poisson sampling.

These are the sampling half of Ting & Brochu (2018), *Optimal subsampling with influence
functions*: given a size measure ``s_i ≥ 0`` per row (for example the norm of its influence), the
optimal independent design of expected size ``n_sub`` under the regularization
``min_prob ≤ π_i ≤ 1`` is ``π_i = max{min_prob, min{1, λ s_i}}`` with ``Σ π_i = n_sub``.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from ._threads import uses_n_jobs
from ._validation import as_float_array, check_bool, check_scalar, check_vector
from .random import stream_key

__all__ = ["inclusion_probabilities", "poisson_sample", "sampling_uniforms"]


def _check_size(size, n: int, name: str = "size") -> float:
    """Expected sample size in (0, n]: never silently fewer rows than asked for."""
    size = check_scalar(size, name, numbers.Real, min_val=0.0, include_boundaries="neither")
    if size > n:
        raise ValueError(f"{name}={size:g} is larger than the {n} rows to sample from: Σπ cannot "
                         f"exceed the number of rows; lower {name} (at most {n})")
    return size


@uses_n_jobs
def inclusion_probabilities(scores, size, min_prob=None, return_lambda: bool = False, *,
                            n_jobs: int | None = None):
    """Regularized PPS inclusion probabilities ``π_i = max{min_prob, min{1, λ s_i}}``, ``Σπ = size``.

    Parameters
    ----------
    scores : array_like of shape (n,)
        Size measure of each row (for example influence norms): finite and non-negative.
    size : int or float
        Expected sample size ``Σ π_i``, in (0, n]: ``size = n`` gives all ones, and
        ``size > n`` raises ValueError (no design of n rows has ``Σπ > n``).
    min_prob : float, optional
        Floor ``π_min`` on every probability, in [0, 1]; ``None`` means 0 (no floor). It bounds the
        inverse-probability weights by ``1 / min_prob``. ``min_prob · n > size`` is an error.
    return_lambda : bool, default False
        Also return the scale ``λ`` (``inf`` when every positive score gets probability 1).
    n_jobs : int, optional
        Threads: None means 1 (unless a ``joblib.parallel_config`` context sets it), -1 all
        cores. Results do not depend on it.

    Returns
    -------
    probabilities : numpy.ndarray of shape (n,), float64
        ``min_prob ≤ π_i ≤ 1`` and ``Σ π_i = size`` to rounding (relative 1e-12 typical).
    lam : float
        Only when `return_lambda` is True.

    Notes
    -----
    ``Σπ(λ)`` is piecewise linear and non-decreasing in ``λ`` with breakpoints ``min_prob/s_j``
    and ``1/s_j``. ``λ`` is found by selection (quickselect-style, expected O(n), no full sort):
    each round evaluates ``Σπ`` at the median of the breakpoints still inside the current bracket,
    which halves them, and retires rows whose class (floor, proportional, one) is settled; on the
    final linear piece ``λ`` is solved in closed form: no iterative guess, exact up to rounding.
    Ties need no special care. Zero scores get ``min_prob``; if fewer than ``size`` rows have a
    positive score (so even ``λ → ∞`` cannot reach ``size``), the positive rows get 1 and the
    zero-score rows share the remainder equally — the limit of adding a vanishing constant to
    every score — so ``Σπ = size`` still holds (also with ``min_prob = 0``). All-equal scores give
    ``size / n`` everywhere.

    Raises
    ------
    ValueError
        NaN/inf or negative scores; ``size`` not in (0, n] (a design of n rows cannot have
        ``Σπ > n``, and a silently smaller sum than asked for is never returned);
        ``min_prob · n > size``.
    TypeError
        ``size`` or ``min_prob`` not a real number.

    Examples
    --------
    >>> import pointvalue as pv
    >>> pv.inclusion_probabilities([1.0, 2.0, 3.0, 100.0], size=2)
    array([0.16666667, 0.33333333, 0.5       , 1.        ])
    """
    s = check_vector(scores, "scores")
    if (s < 0).any():
        raise ValueError("scores must be non-negative")
    n = s.shape[0]
    size = _check_size(size, n)
    return_lambda = check_bool(return_lambda, "return_lambda")
    if min_prob is None:
        a = 0.0
    else:
        a = check_scalar(min_prob, "min_prob", numbers.Real, min_val=0.0, max_val=1.0)
        if a * n > size * (1 + 1e-12):
            raise ValueError(
                f"min_prob * n = {a * n:g} exceeds size = {size:g}: the floor alone would draw more "
                "rows than requested; lower min_prob or raise size"
            )
    res = _core.sampling.inclusion_probabilities(np.ascontiguousarray(s), size, a)
    pi, lam = res.probabilities, res.lambda_
    return (pi, float(lam)) if return_lambda else pi


@uses_n_jobs
def poisson_sample(probabilities, random_state=None, offset: int = 0, *, n_jobs: int | None = None):
    """Poisson sampling: include row ``i`` independently with probability ``π_i``.

    Parameters
    ----------
    probabilities : array_like of shape (n,)
        Inclusion probabilities in [0, 1] (for example from :func:`inclusion_probabilities`).
    random_state : None, int or numpy.random.Generator
        One 64-bit key is drawn from it; row ``i`` is included iff ``u(key, offset + i) < π_i``
        with a counter-based uniform (SplitMix64 at position ``offset + i`` of the key's stream).
        The result is therefore identical for any thread count.
    offset : int, default 0
        Global index of the first row: drawing chunks of a large table with the same key and their
        row offsets gives exactly the sample of the whole table (useful with Dask).
    n_jobs : int, optional
        Threads, as in :func:`inclusion_probabilities`.

    Returns
    -------
    indices : numpy.ndarray of int64
        Ascending indices of the sampled rows (relative to `probabilities`). The expected count is
        ``Σ π_i``; weight a sampled row by ``1 / π_i`` for Horvitz–Thompson (unbiased) estimates.
    """
    p = as_float_array(probabilities, "probabilities", ndim=1, dtypes=(np.float64,), allow_empty=True,
                       finite=False)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1] (and not be NaN)")
    offset = check_scalar(offset, "offset", numbers.Integral, min_val=0)
    return _core.sampling.poisson_sample(np.ascontiguousarray(p), stream_key(random_state), int(offset))


@uses_n_jobs
def sampling_uniforms(n: int, random_state=None, offset: int = 0, *, n_jobs: int | None = None):
    """The uniforms :func:`poisson_sample` compares with (for checks and custom designs).

    Parameters
    ----------
    n : int
        Number of uniforms.
    random_state : None, int or numpy.random.Generator
        Drawn from exactly as in :func:`poisson_sample`, so ``poisson_sample(p, rs)`` equals
        ``flatnonzero(sampling_uniforms(len(p), rs) < p)`` for the same seed.
    offset : int, default 0
        Global index of the first row.
    n_jobs : int, optional
        Threads, as in :func:`inclusion_probabilities`.

    Returns
    -------
    numpy.ndarray of shape (n,), float64 in [0, 1)
    """
    n = check_scalar(n, "n", numbers.Integral, min_val=0)
    offset = check_scalar(offset, "offset", numbers.Integral, min_val=0)
    return _core.random.uniforms(stream_key(random_state), offset, n)


def smallest_uniforms(key, n, k, offset=0):
    """Global indices (ascending) of the `k` rows among ``offset … offset + n − 1`` with the smallest
    uniforms ``u(key, i)``, ties broken by the index: a uniform sample of k rows without
    replacement that any split of the rows into chunks reproduces (merge the chunks' picks with
    :func:`merge_smallest`)."""
    u = _core.random.uniforms(int(key), int(offset), int(n))
    if k >= n:
        return np.arange(offset, offset + n, dtype=np.int64), u
    v = np.partition(u, k - 1)[k - 1]
    below = np.flatnonzero(u < v)
    ties = np.flatnonzero(u == v)[: k - below.size]
    pick = np.sort(np.concatenate([below, ties]))
    return (pick + offset).astype(np.int64), u[pick]


def merge_smallest(picks, k):
    """The k smallest (u, index) pairs of the chunks' :func:`smallest_uniforms`, indices ascending."""
    idx = np.concatenate([p[0] for p in picks])
    u = np.concatenate([p[1] for p in picks])
    order = np.lexsort((idx, u))[:k]
    return np.sort(idx[order])
