"""FWHT against the FWHT packages on PyPI and a vectorized numpy butterfly.

Run: ``pip install ".[bench]" && pip install numpy pybind11 && pip install --no-build-isolation
ffht-unofficial && python -m pytest bench/bench_fwht.py``. Every case is checked against a
reference before it is timed; the summary prints ours / fastest peer and ours / memory copy.
"""

from __future__ import annotations

import numpy as np
import pytest

from pointvalue.bench.fwht import impls_2d, installed_peers, numpy_fwht, tolerance

# the data, the peers and the reference transform are pointvalue.bench.fwht's (`pointvalue bench`
# runs the same cases at fixed sizes)
THREADS = 2
HAVE = installed_peers()


CASES_1D = [(20, np.float64), (20, np.float32)]


_tol = tolerance


def _run_inplace(benchmark, fn, a, expected, dtype):
    buf = a.copy()

    def setup():
        np.copyto(buf, a)
        return (buf,), {}

    benchmark.pedantic(fn, setup=setup, rounds=30, warmup_rounds=2)
    np.testing.assert_allclose(buf, expected, atol=_tol(dtype, a.size), rtol=0)


def _impls_1d(dtype):
    from pointvalue.bench.fwht import impls_1d

    return {**impls_1d(dtype, THREADS), "copy": None, "numpy": None}


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
    return {**impls_2d(order, THREADS), "copy": None, "numpy": None}


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
