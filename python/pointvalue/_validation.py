"""Input checks shared by the public functions: every error names the argument."""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


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
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinite values")
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


def as_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer argument; floats (even 3.0) and bools are refused rather than rounded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_random_state(random_state) -> np.random.Generator:
    """None / int / numpy Generator / SeedSequence → Generator (scikit-learn's convention)."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(random_state, bool):
            raise TypeError("random_state must be None, an int or a numpy Generator")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")


def check_choice(value, name: str, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def is_power_of_two(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0
