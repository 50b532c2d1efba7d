"""Fast Walsh–Hadamard transform and the subsampled randomized Hadamard transform (SRHT)."""

from __future__ import annotations

import math
import numbers
from typing import Literal

import numpy as np

from . import _core
from ._threads import uses_n_jobs
from ._validation import as_float_array, check_bool, check_design, check_scalar, is_power_of_two
from .random import stream_key

__all__ = ["fwht", "fwht_inplace", "srht"]


def _kernel(dtype, kind):
    return _core.fwht.fwht_interleaved if kind == "rows" else _core.fwht.fwht_contiguous


def _normalize_axis(axis, ndim):
    axis = check_scalar(axis, "axis", numbers.Integral)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for a {ndim}-D array")
    return axis % ndim


def _transform_contiguous(a: np.ndarray, axis: int, scale: float) -> None:
    """Transform a C- or F-contiguous array in place, picking the kernel by memory layout."""
    if a.ndim == 1:
        _kernel(a.dtype, "vectors")(a.reshape(1, -1), scale)
        return
    if a.shape[axis] == 1 or a.size == 0:
        if scale != 1.0:
            a *= scale
        return
    c_view = a if a.flags.c_contiguous else a.T  # a C-ordered view of the same memory
    along_rows = (axis == 0) == a.flags.c_contiguous  # transform runs down c_view's axis 0
    _kernel(a.dtype, "rows" if along_rows else "vectors")(c_view, scale)


def _check_transform_input(a, axis):
    arr = as_float_array(a, "a", ndim=(1, 2), finite=False)
    axis = _normalize_axis(axis, arr.ndim)
    n = arr.shape[axis]
    if not is_power_of_two(n):
        raise ValueError(
            f"the length along axis {axis} must be a power of two, got {n}; "
            "pad with zeros to the next power of two"
        )
    return arr, axis, n


@uses_n_jobs
def fwht(a, axis: int = 0, normalized: bool = False, *, n_jobs: int | None = None) -> np.ndarray:
    """Fast Walsh–Hadamard transform along one axis.

    Computes ``H @ a`` (along `axis`) for the Sylvester–Hadamard matrix ``H`` of size ``n``
    (natural order, ``H[i, j] = (-1)**popcount(i & j)``), as ``scipy.linalg.hadamard(n)``.

    Parameters
    ----------
    a : array_like, 1-D or 2-D, float32 or float64
        Input; integer input is converted to float64. The length along `axis` must be a power of
        two. 2-D input is transformed along `axis` and batched over the other axis.
    axis : int, default 0
        Axis to transform.
    normalized : bool, default False
        If True, scale by ``1/sqrt(n)`` so the transform is orthonormal (and its own inverse).
        Unnormalized, ``fwht(fwht(a)) == n * a``.
    n_jobs : int, optional
        Threads: None means 1 (unless a ``joblib.parallel_config`` context sets it), -1 all
        cores. Results do not depend on it.

    Returns
    -------
    numpy.ndarray
        A new array of the same shape, dtype and memory order (C or F) as `a`.

    Raises
    ------
    ValueError
        If the length is not a power of two, or `a` is not 1-D or 2-D.
    TypeError
        If `a` is complex or not numeric.

    Notes
    -----
    The kernel is cache-blocked (two passes over memory for 2^20 elements), vectorized, runs in
    parallel with OpenMP and releases the GIL. Non-contiguous input costs one copy, which the
    result needs anyway.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> pv.fwht(np.array([1.0, 0.0, 0.0, 0.0]))
    array([1., 1., 1., 1.])
    """
    arr, axis, n = _check_transform_input(a, axis)
    normalized = check_bool(normalized, "normalized")
    order: Literal["C", "F"] = "F" if (arr.ndim == 2 and arr.flags.f_contiguous and not arr.flags.c_contiguous) else "C"
    out = np.array(arr, dtype=arr.dtype, order=order, copy=True)
    _transform_contiguous(out, axis, 1.0 / math.sqrt(n) if normalized else 1.0)
    return out


@uses_n_jobs
def fwht_inplace(a: np.ndarray, axis: int = 0, normalized: bool = False, *,
                 n_jobs: int | None = None) -> np.ndarray:
    """Fast Walsh–Hadamard transform of `a` in place (no allocation).

    Parameters
    ----------
    a : numpy.ndarray, 1-D or 2-D, float32 or float64
        Must be writeable and C- or F-contiguous: an in-place transform of a temporary copy would
        silently leave `a` unchanged, so such input is refused.
    axis, normalized, n_jobs
        As in :func:`fwht`.

    Returns
    -------
    numpy.ndarray
        `a` itself, transformed.
    """
    if not isinstance(a, np.ndarray):
        raise TypeError("a must be a numpy.ndarray for an in-place transform")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"a must be float32 or float64 for an in-place transform, got {a.dtype}")
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        raise ValueError("a must be C- or F-contiguous for an in-place transform; use fwht()")
    if not a.flags.writeable:
        raise ValueError("a is read-only")
    _, axis, n = _check_transform_input(a, axis)
    normalized = check_bool(normalized, "normalized")
    _transform_contiguous(a, axis, 1.0 / math.sqrt(n) if normalized else 1.0)
    return a


@uses_n_jobs
def srht(X, sketch_size: int, random_state=None, *, n_jobs: int | None = None) -> np.ndarray:
    """Subsampled randomized Hadamard transform of the rows of `X`.

    Returns ``S @ X`` with ``S = P H D / sqrt(sketch_size)``: ``D`` flips the sign of each row at
    random, ``H`` is the Hadamard matrix of the padded size ``N`` (the next power of two ≥ n,
    extra rows zero), and ``P`` keeps `sketch_size` of the ``N`` rows drawn uniformly without
    replacement. With this scaling ``E[SᵀS] = I``, so ``(SX)ᵀ(SX)`` estimates ``XᵀX``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data, converted to float64 (viewed without copy when already float64 C/F-contiguous).
    sketch_size : int
        Rows of the sketch, ``1 ≤ sketch_size ≤ N``.
    random_state : None, int or numpy.random.Generator
        Seed for the signs and the sampled rows; results do not depend on the thread count.
    n_jobs : int, optional
        Threads, as in :func:`fwht`.

    Returns
    -------
    numpy.ndarray of shape (sketch_size, d), float64
    """
    X = check_design(X)
    n, _ = X.shape
    N = 1 << max(0, (n - 1).bit_length())
    sketch_size = check_scalar(sketch_size, "sketch_size", numbers.Integral, min_val=1, max_val=N)
    return _core.sketch.srht(X, stream_key(random_state), sketch_size)
