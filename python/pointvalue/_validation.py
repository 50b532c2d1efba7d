"""Input checks shared by the public functions, in the manner of ``sklearn/utils/validation.py``.

Every public function checks its arguments with these few functions, so the same bad input gets
the same exception everywhere, and the message names the argument:

* ``TypeError``: the wrong kind of object: a float (even ``3.0``) or a bool where an integer is
  meant, a string or a bool where a number is meant, a complex, object or string array, a sparse
  matrix;
* ``ValueError``: the right kind with a wrong value: out of range, NaN or ±inf, a wrong shape or
  length, an empty array.

Arrays: :func:`as_float_array` (any floating array; its NaN/inf scan is the compiled one behind
:func:`all_finite`), :func:`check_design` (the one design-matrix converter), :func:`check_vector`,
:func:`check_sample_weight`. Scalars: :func:`check_scalar`, :func:`check_bool`,
:func:`check_choice`, :func:`check_n_jobs`.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "FLOAT_DTYPES",
    "all_finite",
    "as_float_array",
    "as_int",
    "check_bool",
    "check_choice",
    "check_design",
    "check_finite",
    "check_n_jobs",
    "check_sample_weight",
    "check_scalar",
    "check_vector",
    "is_dask_collection",
    "is_power_of_two",
]

FLOAT_DTYPES = (np.float32, np.float64)

_BOUNDS = {"both": ("[", "]"), "left": ("[", ")"), "right": ("(", "]"), "neither": ("(", ")")}


# ------------------------------------------------------------------------------------------------
# arrays


def as_float_array(
    a,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtypes=FLOAT_DTYPES,
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Return `a` as a floating ndarray (no copy when it already is one), or raise.

    Integer and boolean input is converted to float64 (a documented promotion); complex,
    object and string input raises TypeError.
    """
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a real floating-point array, got dtype {arr.dtype}")
    if arr.dtype not in dtypes:
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {want}, got a {arr.ndim}-D array of shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if finite:
        check_finite(arr, name)
    return arr


def all_finite(arr: np.ndarray) -> bool:
    """True if no element is NaN or ±inf, without an n-sized boolean temporary.

    Contiguous float32/float64 arrays are scanned by the compiled kernel (exponent bits, at
    memory speed); anything else by numpy.
    """
    if (
        arr.dtype in (np.float64, np.float32)
        and arr.dtype.isnative
        and (arr.flags.c_contiguous or arr.flags.f_contiguous)
    ):
        from ._core.checks import all_finite as _all_finite

        return bool(_all_finite(arr))
    if arr.size < 1 << 16:
        return bool(np.isfinite(arr).all())
    # NaN and inf propagate through a sum, so a finite sum proves a finite array; only a sum
    # that overflowed needs the element-wise check.
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum(dtype=np.float64)
    return bool(np.isfinite(total)) or bool(np.isfinite(arr).all())


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming `name` if `arr` holds NaN or ±inf (the one finiteness scan)."""
    if not all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinite values")


def is_dask_collection(x) -> bool:
    """True for a dask array / DataFrame / Series, without importing dask."""
    module = type(x).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(x, "__dask_graph__")


def _dense_2d(X, name: str):
    """numpy / pandas / nested lists → (2-D ndarray, feature names or None); sparse refused."""
    if X is None:
        raise ValueError(f"{name} is None")
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"{name} is a sparse matrix: sparse input is not supported; pass a dense array")
    names = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):  # pandas DataFrame
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        X = X.to_numpy()
    X = np.asarray(X)
    if X.dtype == object:
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} has dtype object with non-numeric entries") from None
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, got a {X.ndim}-D array of shape {X.shape}. Reshape your data, e.g. "
            "with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
        )
    return X, names


def check_design(
    X,
    name: str = "X",
    *,
    float32: bool = False,
    finite: bool = True,
    allow_empty: bool = False,
    feature_names: bool = False,
):
    """The design-matrix converter: a 2-D float array the kernels read without a copy.

    Parameters
    ----------
    X : array_like or pandas.DataFrame of shape (n, d)
        numpy arrays, pandas DataFrames and nested sequences; integer and boolean input is
        promoted to float64. Sparse matrices, complex and non-numeric input raise TypeError.
    name : str, default "X"
        Argument name used in error messages.
    float32 : bool, default False
        Pass a C- or F-contiguous float32 array through unchanged (for kernels that read
        float32 blocks in float64 arithmetic); otherwise float32 is converted once to float64.
    finite : bool, default True
        Scan for NaN/inf (ValueError). ``False`` leaves the check to a caller that detects
        non-finite results from the kernel's answer (one pass over X saved).
    allow_empty : bool, default False
        Accept zero rows (never zero columns).
    feature_names : bool, default False
        Also return the column names of a DataFrame (an object array) or None.

    Returns
    -------
    X : numpy.ndarray of shape (n, d)
        float64 (or float32, see `float32`), C- or F-contiguous: float64 C/F input is a view.
    names : numpy.ndarray of str or None
        Only when `feature_names` is True.
    """
    arr, names = _dense_2d(X, name)
    arr = as_float_array(arr, name, ndim=2, allow_empty=True, finite=False)
    if arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    contiguous = arr.flags.c_contiguous or arr.flags.f_contiguous
    if not (float32 and arr.dtype == np.float32 and contiguous) and (
            arr.dtype != np.float64 or not contiguous):
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    if finite:
        check_finite(arr, name)
    return (arr, names) if feature_names else arr


def check_vector(a, name: str, n: int | None = None, *, finite: bool = True,
                 per: str = "row of X") -> np.ndarray:
    """A 1-D contiguous float64 array; with `n`, of length n (one entry per `per`)."""
    if hasattr(a, "to_numpy"):  # pandas Series
        a = a.to_numpy()
    arr = as_float_array(a, name, ndim=1, dtypes=(np.float64,), allow_empty=n == 0, finite=False)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries, expected {n} (one per {per})")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if finite:
        check_finite(arr, name)
    return arr


def check_sample_weight(sample_weight, n: int, *, name: str = "sample_weight") -> np.ndarray | None:
    """Case weights: None (all ones, kept as None for the kernels), or n finite values ≥ 0 with a
    positive sum, as a contiguous float64 array."""
    if sample_weight is None:
        return None
    w = check_vector(sample_weight, name, n)
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative (a negative case weight has no meaning)")
    if not w.sum() > 0:
        raise ValueError(f"{name} must have a positive sum (all weights are zero)")
    return w


# ------------------------------------------------------------------------------------------------
# scalars


def _type_name(target_type) -> str:
    names = {numbers.Integral: "an integer", numbers.Real: "a real number", bool: "a bool"}
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    return " or ".join(names.get(t, getattr(t, "__name__", str(t))) for t in types)


def check_scalar(
    x,
    name: str,
    target_type,
    *,
    min_val=None,
    max_val=None,
    include_boundaries: str = "both",
) -> Any:
    """Check a scalar argument's type and range (scikit-learn's ``check_scalar``), and return it.

    Parameters
    ----------
    x : object
        The value.
    name : str
        Argument name used in error messages.
    target_type : type or tuple of types
        Usually ``numbers.Integral`` or ``numbers.Real``. A bool never counts as a number, and
        a float never as an integer (even ``3.0``): both raise TypeError rather than being
        silently converted. A real number must be finite.
    min_val, max_val : float, optional
        Bounds; None means unbounded on that side.
    include_boundaries : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the valid range.

    Returns
    -------
    int or float or object
        ``int(x)`` for Integral, ``float(x)`` for Real (numpy scalars become Python numbers),
        `x` itself otherwise.

    Raises
    ------
    TypeError
        `x` is not of `target_type`.
    ValueError
        NaN or ±inf for a real number, or a value outside the range.

    Examples
    --------
    >>> import numbers
    >>> from pointvalue._validation import check_scalar
    >>> check_scalar(0.5, "tau", numbers.Real, min_val=0, max_val=1, include_boundaries="neither")
    0.5
    >>> check_scalar(3.0, "max_iter", numbers.Integral)
    Traceback (most recent call last):
    ...
    TypeError: max_iter must be an integer, got 3.0
    """
    if include_boundaries not in _BOUNDS:
        raise ValueError(f"include_boundaries must be one of {sorted(_BOUNDS)}, got {include_boundaries!r}")
    kind = _kinds(target_type)
    is_bool = isinstance(x, (bool, np.bool_))
    if not isinstance(x, target_type) or (is_bool and kind != "bool"):
        raise TypeError(f"{name} must be {_type_name(target_type)}, got {x!r}")
    if kind == "int" and not is_bool:
        x = int(x)
    elif kind in ("int", "real") and not is_bool:  # a real number wanted (an int is one too)
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"{name} must be finite, got {x!r}")
    if min_val is not None or max_val is not None:
        _check_range(x, name, min_val, max_val, include_boundaries)
    return x


@functools.cache
def _kinds(target_type) -> str:
    """"int" if an integer is wanted, "real" if a real number, "bool" if bools are accepted, else ""."""
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    if bool in types:
        return "bool"
    if any(t in (numbers.Integral, int) for t in types):
        return "int"
    if any(t in (numbers.Real, float) for t in types):
        return "real"
    return ""


def _check_range(x, name, min_val, max_val, include_boundaries) -> None:
    left, right = _BOUNDS[include_boundaries]
    low_ok = min_val is None or (x >= min_val if left == "[" else x > min_val)
    high_ok = max_val is None or (x <= max_val if right == "]" else x < max_val)
    if low_ok and high_ok:
        return
    if min_val is not None and max_val is not None:
        want = f"in {left}{min_val}, {max_val}{right}"
    elif min_val is not None:
        want = f"at least {min_val}" if left == "[" else f"greater than {min_val}"
    else:
        want = f"at most {max_val}" if right == "]" else f"less than {max_val}"
    raise ValueError(f"{name} must be {want}, got {x!r}")


def as_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer argument in [minimum, maximum]: ``check_scalar(value, name, numbers.Integral, ...)``."""
    return check_scalar(value, name, numbers.Integral, min_val=minimum, max_val=maximum)


def check_bool(x, name: str) -> bool:
    """A bool (or numpy bool) argument; 0/1 and other truthy objects raise TypeError."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {x!r}")
    return bool(x)


def check_choice(value, name: str, choices):
    """One of `choices` (ValueError listing them otherwise)."""
    try:
        ok = value in choices
    except TypeError:  # an unhashable value
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_n_jobs(n_jobs, name: str = "n_jobs") -> int:
    """Resolve `n_jobs` to a number of workers ≥ 1, with scikit-learn's meaning.

    ``None`` means 1, unless a ``joblib.parallel_config`` (or ``parallel_backend``) context sets
    ``n_jobs``, which then applies; ``-1`` means every core OpenMP may use (``OMP_NUM_THREADS``
    and the CPU affinity respected), ``-2`` all but one, ``-k`` all but ``k − 1`` (at least
    one); a positive integer means that many; 0 raises ValueError, a float TypeError.

    Examples
    --------
    >>> from pointvalue._validation import check_n_jobs
    >>> check_n_jobs(None), check_n_jobs(3)
    (1, 3)
    >>> check_n_jobs(-1) >= 1
    True
    """
    if n_jobs is None:
        n_jobs = _joblib_context_n_jobs()
        if n_jobs is None:
            return 1
    n_jobs = check_scalar(n_jobs, name, numbers.Integral)
    if n_jobs == 0:
        raise ValueError(f"{name} == 0 has no meaning: use None or 1 (one worker), -1 (all cores) "
                         "or a positive number")
    if n_jobs < 0:
        return max(1, _openmp_max_threads() + 1 + n_jobs)
    return n_jobs


@functools.cache
def _openmp_max_threads_function():
    from ._core.config import max_threads

    return max_threads


def _openmp_max_threads() -> int:
    """OpenMP's thread count for the calling thread (OMP_NUM_THREADS and the affinity respected)."""
    return int(_openmp_max_threads_function()())


def _joblib_context_n_jobs():
    """n_jobs of an active joblib configuration context, or None (joblib is not imported for
    this: without joblib imported no such context can be active)."""
    import sys

    if "joblib" not in sys.modules:
        return None
    from joblib.parallel import get_active_backend

    return get_active_backend()[1]


# ------------------------------------------------------------------------------------------------
# other


def is_power_of_two(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0
