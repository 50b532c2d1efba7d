"""Errors raised by the compiled kernels cross the binding as the right Python exception."""

import subprocess
import sys

import numpy as np
import pytest

import pointvalue as pv
from pointvalue import _core


def test_out_of_memory_in_a_refit_task_is_a_memory_error():
    """One base fit of a 500-class multinomial model with d = 700 needs a (500·701)² Hessian (≈ 1 TB):
    the std::bad_alloc inside the parallel task must surface as MemoryError, not as a "singular"
    status (a ValueError telling the user to regularize)."""
    rng = np.random.default_rng(0)
    K, d = 500, 700
    y = np.repeat(np.arange(K), 2)
    X = rng.standard_normal((2 * K, d))
    X_val, y_val = rng.standard_normal((K, d)), np.arange(K)
    subset = np.arange(0, 2 * K, 2)  # one point of every class
    with pytest.raises(MemoryError):
        pv.evaluate_contributions(X, y, X_val, y_val, [subset], [1], model="logistic", n_jobs=1)


# 2 rows × 200,000 columns: the d × d Gram (320 GB) is allocated inside the kernel's OpenMP
# region, where an escaping std::bad_alloc calls std::terminate (seen before the fix: the
# interpreter aborts). A fresh interpreter each, so a regression fails the test, not the run.
OOM_INSIDE_A_PARALLEL_REGION = {
    "fit_glm": "pv.fit_glm(X, y, n_jobs=1)",
    "influence_scores": "pv.influence_scores(X, y, np.zeros(X.shape[1]), n_jobs=1)",
}


@pytest.mark.parametrize("call", list(OOM_INSIDE_A_PARALLEL_REGION.values()), ids=list(OOM_INSIDE_A_PARALLEL_REGION))
def test_out_of_memory_inside_an_openmp_region_is_a_memory_error(call):
    code = ("import numpy as np, pointvalue as pv\n"
            "X, y = np.random.default_rng(0).standard_normal((2, 200_000)), np.array([0.0, 1.0])\n"
            f"try:\n    {call}\nexcept MemoryError:\n    print('MemoryError')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert (out.returncode, out.stdout.strip()) == (0, "MemoryError"), out.stderr[-2000:]


def test_kernel_argument_checks_raise_value_error():
    """The checks moved from the binding into the refit kernel: std::invalid_argument → ValueError."""
    rng = np.random.default_rng(1)
    X, Xv = rng.standard_normal((20, 3)), rng.standard_normal((5, 3))
    opt = _core.refit.Options()
    opt.model, opt.n_classes = _core.refit.Model.logistic, 2
    y, yv = np.arange(20) % 2, np.array([0, 1, 0, 1, 5])  # a validation label out of range
    with pytest.raises(ValueError, match="y_val holds a value outside"):
        _core.refit.evaluate_contributions(X, y, Xv, yv, np.array([0, 4]), np.arange(4),
                                           np.array([[10]]), opt)
    opt.tol = 0.0
    with pytest.raises(ValueError, match="bad l2, tol or max_iter"):
        _core.refit.evaluate_contributions(X, y, Xv, yv % 2, np.array([0, 4]), np.arange(4),
                                           np.array([[10]]), opt)
    design = _core.refit.Design(np.zeros(20, dtype=np.int64), np.array([0, 20]), np.arange(20),
                                np.array([25]), np.array([1.0]))
    with pytest.raises(ValueError, match="k_values holds a value outside"):
        _core.refit.draw_plan(design, np.arange(3), (0, 1))
    with pytest.raises(ValueError, match="k must be non-negative"):
        _core.refit.stratum_counts(np.array([0, 20]), False, -1)


def test_sketch_size_out_of_range_is_a_value_error():
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match="sketch_size"):
        _core.sketch.srht(X, 0, 9)  # the padded length is 8


def test_enums_replace_integer_codes():
    assert set(pv.glm.MODELS) == {"ols", "logistic", "poisson", "quantile"}
    assert _core.glm.Model.__members__["logistic"] == _core.glm.Model.logistic
    assert int(_core.refit.Status.bad_index) == 4  # the value stored in a result's status array
    opt = _core.glm.Options()
    assert (opt.model, opt.l2, opt.tau, opt.fit_intercept, opt.tol, opt.max_iter) == (
        _core.glm.Model.ols, 0.0, 0.5, True, 1e-10, 100)  # the C++ defaults
