"""FWHT cases: ``pv.fwht_inplace`` against a vectorized numpy butterfly and the FWHT packages
(FFHT ``ffht``, ``fht_cpu``, ``pyfwht``) when they are installed.

Every in-place implementation first copies the input into its buffer (the same copy for all), so
the times include one memory pass; the numpy butterfly allocates its own copy.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._harness import Case, Impl, have

SIZES_1D = {"tiny": 10, "quick": 18, "full": 20}
SIZES_2D = {"tiny": (8, 4), "quick": (14, 32), "full": (16, 64)}


def numpy_fwht(a: np.ndarray) -> np.ndarray:
    """Vectorized radix-2 butterflies along axis 0 (what users write without a package)."""
    a = a.copy()
    n = a.shape[0]
    h = 1
    while h < n:
        v = a.reshape(n // (2 * h), 2, h, *a.shape[1:])
        x, y = v[:, 0].copy(), v[:, 1]
        v[:, 0] += y
        v[:, 1] = x - y
        h *= 2
    return a


def tolerance(dtype, n: int) -> float:
    """Absolute tolerance of a length-n transform of unit-variance data in `dtype`."""
    return (1e-9 if np.dtype(dtype) == np.float64 else 2e-3) * np.sqrt(n)


def installed_peers() -> dict:
    """Which FWHT packages are importable here."""
    return {name: have(name) for name in ("ffht", "fht_cpu", "pyfwht")}


def impls_1d(dtype, threads: int = 2) -> dict:
    """In-place 1-D transforms by name (``None``: handled by the caller: copy, numpy)."""
    have_ = installed_peers()
    from . import _api as pv

    impls: dict[str, Callable[[np.ndarray], object]] = {"pointvalue": lambda b: pv.fwht_inplace(b, n_jobs=threads)}
    if have_["ffht"]:
        import ffht

        impls["ffht"] = lambda b: ffht.fht_(b, threads)
    if have_["fht_cpu"]:
        import fht_cpu

        impls["fht_cpu"] = lambda b: fht_cpu.fht(b, num_threads=threads)
    if have_["pyfwht"] and np.dtype(dtype) == np.float64:
        import pyfwht

        impls["pyfwht"] = lambda b: pyfwht.transform(b, backend=pyfwht.Backend.OPENMP)
    return impls


def impls_2d(order: str, threads: int = 2) -> dict:
    """In-place transforms along axis 0 of a 2-D array in the given memory order, by name."""
    from . import _api as pv

    have_ = installed_peers()
    impls: dict[str, Callable[[np.ndarray], object]] = {
        "pointvalue": lambda b: pv.fwht_inplace(b, axis=0, n_jobs=threads)}
    if have_["fht_cpu"]:
        import fht_cpu

        if order == "F":
            impls["fht_cpu"] = lambda b: fht_cpu.fht(b, axis=0, num_threads=threads)
        else:  # columns are strided: users transpose to contiguous columns and back
            impls["fht_cpu"] = lambda b: np.copyto(b, fht_cpu.fht(np.asfortranarray(b), axis=0,
                                                                  num_threads=threads))
    if have_["ffht"]:
        import ffht

        if order == "F":
            # ffht returns wrong values for column views of a 2-D array (its binding does not
            # check the layout), so each column is copied to its own buffer first.
            def ffht_f(b):
                for j in range(b.shape[1]):
                    col = np.array(b[:, j])
                    ffht.fht_(col, threads)
                    b[:, j] = col

            impls["ffht"] = ffht_f
        else:
            def ffht_c(b):
                t = np.ascontiguousarray(b.T)
                for j in range(t.shape[0]):
                    ffht.fht_(t[j], threads)
                np.copyto(b, t.T)

            impls["ffht"] = ffht_c
    if have_["pyfwht"]:
        import pyfwht

        # pyfwht batches over rows of a C-ordered (batch, n) array
        impls["pyfwht"] = lambda b: np.copyto(
            b, pyfwht.fwht(np.ascontiguousarray(b.T), backend=pyfwht.Backend.OPENMP).T)
    return impls


def _inplace_impls(a, expected, transforms):
    buf = np.empty_like(a)
    tol = tolerance(a.dtype, a.shape[0])

    def make(fn):
        def run():
            np.copyto(buf, a)
            fn(buf)
            return buf

        return run

    def check(out):
        np.testing.assert_allclose(out, expected, atol=tol, rtol=0)

    return [Impl(name, make(fn), ours=name == "pointvalue", check=check) for name, fn in transforms.items()]


def _numpy_impl(a, expected):
    tol = tolerance(a.dtype, a.shape[0])
    return Impl("numpy", lambda: numpy_fwht(a),
                check=lambda out: np.testing.assert_allclose(out, expected, atol=tol, rtol=0))


def cases(scale: str, threads: int = 2) -> list:
    log2n = SIZES_1D[scale]
    out = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name

        def prepare(dtype=dtype):
            a = np.random.default_rng(0).standard_normal(1 << log2n).astype(dtype)
            expected = numpy_fwht(a.astype(np.float64))
            return _inplace_impls(a, expected, impls_1d(dtype, threads)) + [_numpy_impl(a, expected)]

        out.append(Case(f"fwht/1d-2^{log2n}-{name}", "fwht", f"1-D FWHT of 2^{log2n} {name}", prepare,
                        {"n": 1 << log2n, "dtype": name}))
    log2n2, cols = SIZES_2D[scale]

    def prepare_2d():
        a = np.asfortranarray(np.random.default_rng(1).standard_normal((1 << log2n2, cols)))
        expected = numpy_fwht(a)
        return _inplace_impls(a, expected, impls_2d("F", threads)) + [_numpy_impl(a, expected)]

    out.append(Case(f"fwht/2d-2^{log2n2}x{cols}-F-float64", "fwht",
                    f"FWHT along axis 0 of a 2^{log2n2} × {cols} Fortran-ordered float64 array",
                    prepare_2d, {"n": 1 << log2n2, "columns": cols, "order": "F", "dtype": "float64"}))
    return out
