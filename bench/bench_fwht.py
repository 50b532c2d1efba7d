"""FWHT against the FWHT packages on PyPI and a vectorized numpy butterfly.

Run: ``pip install ".[bench]" && pip install numpy pybind11 && pip install --no-build-isolation
ffht-unofficial && python -m pytest bench/bench_fwht.py``. Every case is checked against a
reference before it is timed; the summary prints ours / fastest peer and ours / memory copy.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import pointvalue as pv

THREADS = 2
HAVE = {name: importlib.util.find_spec(name) is not None for name in ("ffht", "fht_cpu", "pyfwht")}


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


def _ref(a, axis=0):
    return numpy_fwht(a if axis == 0 else a.T).T if axis == 1 else numpy_fwht(a)


CASES_1D = [(20, np.float64), (20, np.float32)]


def _tol(dtype, n):
    return (1e-9 if dtype == np.float64 else 2e-3) * np.sqrt(n)


def _run_inplace(benchmark, fn, a, expected, dtype):
    buf = a.copy()

    def setup():
        np.copyto(buf, a)
        return (buf,), {}

    benchmark.pedantic(fn, setup=setup, rounds=30, warmup_rounds=2)
    np.testing.assert_allclose(buf, expected, atol=_tol(dtype, a.size), rtol=0)


def _impls_1d(dtype):
    impls = {
        "pointvalue": lambda b: pv.fwht_inplace(b, n_jobs=-1),
        "copy": None,
        "numpy": None,
    }
    if HAVE["ffht"]:
        import ffht

        impls["ffht"] = lambda b: ffht.fht_(b, THREADS)
    if HAVE["fht_cpu"]:
        import fht_cpu

        impls["fht_cpu"] = lambda b: fht_cpu.fht(b, num_threads=THREADS)
    if HAVE["pyfwht"] and dtype == np.float64:
        import pyfwht

        impls["pyfwht"] = lambda b: pyfwht.transform(b, backend=pyfwht.Backend.OPENMP)
    return impls


def _ids_1d():
    out = []
    for log2n, dtype in CASES_1D:
        for impl in ("pointvalue", "copy", "numpy", "ffht", "fht_cpu", "pyfwht"):
            out.append(pytest.param(log2n, dtype, impl, id=f"{impl}-2^{log2n}-{np.dtype(dtype).name}"))
    return out


@pytest.mark.parametrize("log2n, dtype, impl", _ids_1d())
def test_fwht_1d(benchmark, log2n, dtype, impl):
    benchmark.group = f"1-D 2^{log2n} {np.dtype(dtype).name}"
    impls = _impls_1d(dtype)
    if impl not in impls:
        pytest.skip(f"{impl} not installed or no {np.dtype(dtype).name} support")
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1 << log2n).astype(dtype)
    expected = numpy_fwht(a.astype(np.float64))
    nbytes = a.nbytes
    benchmark.extra_info["bytes"] = nbytes
    if impl == "copy":
        out = np.empty_like(a)
        benchmark.pedantic(np.copyto, args=(out, a), rounds=30, warmup_rounds=2)
        return
    if impl == "numpy":
        res = benchmark.pedantic(numpy_fwht, args=(a,), rounds=3, warmup_rounds=1)
        np.testing.assert_allclose(res, expected, atol=_tol(dtype, a.size), rtol=0)
        return
    _run_inplace(benchmark, impls[impl], a, expected, dtype)
    _record_bandwidth(benchmark, nbytes)


def _impls_2d(order):
    """Transform along axis 0 of a (2^16, 64) array in the given memory order, in place."""
    impls = {"pointvalue": lambda b: pv.fwht_inplace(b, axis=0, n_jobs=-1), "copy": None, "numpy": None}
    if HAVE["fht_cpu"]:
        import fht_cpu

        if order == "F":
            impls["fht_cpu"] = lambda b: fht_cpu.fht(b, axis=0, num_threads=THREADS)
        else:  # columns are strided: users transpose to contiguous columns and back
            impls["fht_cpu"] = lambda b: np.copyto(
                b, fht_cpu.fht(np.asfortranarray(b), axis=0, num_threads=THREADS)
            )
    if HAVE["ffht"]:
        import ffht

        if order == "F":
            # ffht returns wrong values for column views of a 2-D array (its binding does not
            # check the layout), so each column is copied to its own buffer first.
            def ffht_f(b):
                for j in range(b.shape[1]):
                    col = np.array(b[:, j])
                    ffht.fht_(col, THREADS)
                    b[:, j] = col

            impls["ffht"] = ffht_f
        else:
            def ffht_c(b):
                t = np.ascontiguousarray(b.T)
                for j in range(t.shape[0]):
                    ffht.fht_(t[j], THREADS)
                np.copyto(b, t.T)

            impls["ffht"] = ffht_c
    if HAVE["pyfwht"]:
        import pyfwht

        # pyfwht batches over rows of a C-ordered (batch, n) array
        impls["pyfwht"] = lambda b: np.copyto(
            b, pyfwht.fwht(np.ascontiguousarray(b.T), backend=pyfwht.Backend.OPENMP).T
        )
    return impls


def _record_bandwidth(benchmark, nbytes):
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["GB/s (read+write)"] = 2 * nbytes / benchmark.stats.stats.median / 1e9


def _ids_2d():
    out = []
    for order in ("F", "C"):
        for dtype in (np.float64, np.float32):
            for impl in ("pointvalue", "copy", "numpy", "ffht", "fht_cpu", "pyfwht"):
                out.append(pytest.param(order, dtype, impl, id=f"{impl}-{order}-{np.dtype(dtype).name}"))
    return out


@pytest.mark.parametrize("order, dtype, impl", _ids_2d())
def test_fwht_2d_axis0(benchmark, order, dtype, impl):
    benchmark.group = f"2-D 2^16x64 axis 0 {order}-order {np.dtype(dtype).name}"
    impls = _impls_2d(order)
    if impl not in impls:
        pytest.skip(f"{impl} not installed")
    rng = np.random.default_rng(1)
    a = np.asarray(rng.standard_normal((1 << 16, 64)), dtype=dtype, order=order)
    expected = numpy_fwht(a.astype(np.float64))
    if impl == "copy":
        out = np.empty_like(a)
        benchmark.pedantic(np.copyto, args=(out, a), rounds=20, warmup_rounds=2)
        return
    if impl == "numpy":
        res = benchmark.pedantic(numpy_fwht, args=(a,), rounds=2, warmup_rounds=1)
        np.testing.assert_allclose(res, expected, atol=_tol(dtype, 1 << 16), rtol=0)
        return
    if impl == "pyfwht" and dtype == np.float32:
        pytest.skip("pyfwht batch path is float64 here")
    _run_inplace(benchmark, impls[impl], a, expected, dtype)
    _record_bandwidth(benchmark, a.nbytes)
