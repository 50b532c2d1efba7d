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
from ._validation import as_float_array, check_random_state

__all__ = ["inclusion_probabilities", "poisson_sample", "sampling_uniforms"]


def _check_size(size, name="size") -> float:
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {size!r}")
    size = float(size)
    if not (np.isfinite(size) and size > 0):
        raise ValueError(f"{name} must be a positive finite number, got {size!r}")
    return size


def inclusion_probabilities(scores, size, min_prob=None, return_lambda: bool = False):
    """Regularized PPS inclusion probabilities ``π_i = max{min_prob, min{1, λ s_i}}``, ``Σπ = size``.

    Parameters
    ----------
    scores : array_like of shape (n,)
        Size measure of each row (for example influence norms): finite and non-negative.
    size : int or float
        Expected sample size ``Σ π_i`` (> 0). ``size ≥ n`` gives all ones.
    min_prob : float, optional
        Floor ``π_min`` on every probability, in [0, 1]; ``None`` means 0 (no floor). It bounds the
        inverse-probability weights by ``1 / min_prob``. ``min_prob · n > size`` is an error.
    return_lambda : bool, default False
        Also return the scale ``λ`` (``inf`` when every positive score gets probability 1).

    Returns
    -------
    probabilities : numpy.ndarray of shape (n,), float64
        ``min_prob ≤ π_i ≤ 1`` and ``Σ π_i = min(size, n)`` to rounding (relative 1e-12 typical).
    lam : float
        Only when `return_lambda` is True.

    Notes
    -----
    ``Σπ(λ)`` is piecewise linear and non-decreasing in ``λ`` with breakpoints ``min_prob/s_j``
    and ``1/s_j``. ``λ`` is found by selection (quickselect-style, expected O(n), no full sort):
    each round evaluates ``Σπ`` at the median of the breakpoints still inside the current bracket,
    which halves them, and retires rows whose class (floor, proportional, one) is settled; on the
    final linear piece ``λ`` is solved in closed form: no iterative guess, exact up to rounding. Ties need no special care. Zero scores get ``min_prob``; if fewer than ``size``
    rows have a positive score (so even ``λ → ∞`` cannot reach ``size``), the positive rows get 1
    and the zero-score rows share the remainder equally — the limit of adding a vanishing constant
    to every score. All-equal scores give ``size / n`` everywhere.

    Examples
    --------
    >>> import pointvalue as pv
    >>> pv.inclusion_probabilities([1.0, 2.0, 3.0, 100.0], size=2)
    array([0.16666667, 0.33333333, 0.5       , 1.        ])
    """
    s = as_float_array(scores, "scores", ndim=1, dtypes=(np.float64,), finite=False)
    if not np.isfinite(s).all():
        raise ValueError("scores contains NaN or infinite values")
    if (s < 0).any():
        raise ValueError("scores must be non-negative")
    size = _check_size(size)
    n = s.shape[0]
    if min_prob is None:
        a = 0.0
    else:
        if isinstance(min_prob, bool) or not isinstance(min_prob, numbers.Real):
            raise TypeError(f"min_prob must be a number in [0, 1] or None, got {min_prob!r}")
        a = float(min_prob)
        if not (0.0 <= a <= 1.0):
            raise ValueError(f"min_prob must lie in [0, 1], got {min_prob!r}")
        if a * n > size * (1 + 1e-12):
            raise ValueError(
                f"min_prob * n = {a * n:g} exceeds size = {size:g}: the floor alone would draw more "
                "rows than requested; lower min_prob or raise size"
            )
    pi, lam, _, _ = _core.sampling.inclusion_probabilities(np.ascontiguousarray(s), size, a)
    return (pi, float(lam)) if return_lambda else pi


def _stream_key(random_state) -> int:
    rng = check_random_state(random_state)
    return int(rng.integers(0, 2**64, dtype=np.uint64))


def poisson_sample(probabilities, random_state=None, offset: int = 0):
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
    if isinstance(offset, bool) or not isinstance(offset, numbers.Integral) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    return _core.sampling.poisson_sample(np.ascontiguousarray(p), _stream_key(random_state), int(offset))


def sampling_uniforms(n: int, random_state=None, offset: int = 0):
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

    Returns
    -------
    numpy.ndarray of shape (n,), float64 in [0, 1)
    """
    from ._validation import as_int

    n = as_int(n, "n", minimum=0)
    offset = as_int(offset, "offset", minimum=0)
    return _core.sampling.stream_uniforms(_stream_key(random_state), offset, n)
