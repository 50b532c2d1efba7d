"""The same bad input gets the same exception type from every public entry point, and the
message names the argument (TypeError: the wrong kind of value; ValueError: a wrong value)."""

import numbers

import numpy as np
import pytest

import pointvalue as pv
from pointvalue._validation import check_design, check_sample_weight, check_scalar, check_vector

RNG = np.random.default_rng(0)
X = RNG.standard_normal((64, 3))
Y = X @ [1.0, -1.0, 0.5] + RNG.standard_normal(64)
YB = (Y > 0).astype(float)
COEF = np.array([1.0, -1.0, 0.5])
MC = dict(points=[0, 1], n_samples=1, sizes=(5, 10), progress=False, random_state=0)


def _call(name, X=X, y=Y, **kw):
    """Call entry point `name` on good small data, with `kw` overriding its arguments."""
    calls = {
        "fwht": lambda: pv.fwht(X[:, 0] if X.ndim == 2 else X, **kw),
        "fwht_inplace": lambda: pv.fwht_inplace(np.array(X[:, 0] if X.ndim == 2 else X), **kw),
        "srht": lambda: pv.srht(X, **{"sketch_size": 16, **kw}),
        "leverage_scores": lambda: pv.leverage_scores(X, **kw),
        "fit_glm": lambda: pv.fit_glm(X, y, **kw),
        "influence_scores": lambda: pv.influence_scores(X, y, COEF, **{"intercept": 0.0, **kw}),
        "inclusion_probabilities": lambda: pv.inclusion_probabilities(np.abs(y), **{"size": 10, **kw}),
        "poisson_sample": lambda: pv.poisson_sample(np.full(len(y), 0.5), **kw),
        "sampling_uniforms": lambda: pv.sampling_uniforms(**{"n": 10, **kw}),
        "subsampling_scores": lambda: pv.subsampling_scores(X, y, COEF, **kw),
        "InfluenceSampler": lambda: pv.InfluenceSampler(**{"size": 20, "random_state": 0, **kw}).fit(X, y),
        "marginal_contributions": lambda: pv.marginal_contributions(
            X[:48], y[:48], X[48:], y[48:], **{"model": "ols", **MC, **kw}),
        "evaluate_contributions": lambda: pv.evaluate_contributions(
            X[:48], y[:48], X[48:], y[48:], [np.arange(10)], [20], **{"model": "ols", **kw}),
    }
    return calls[name]()


ENTRY_POINTS = ["fwht", "fwht_inplace", "srht", "leverage_scores", "fit_glm", "influence_scores",
                "inclusion_probabilities", "poisson_sample", "sampling_uniforms", "subsampling_scores",
                "InfluenceSampler", "marginal_contributions", "evaluate_contributions"]
WITH_X = ["srht", "leverage_scores", "fit_glm", "influence_scores", "subsampling_scores",
          "InfluenceSampler", "marginal_contributions", "evaluate_contributions"]
WITH_Y = ["fit_glm", "influence_scores", "subsampling_scores", "InfluenceSampler",
          "marginal_contributions", "evaluate_contributions"]

# scalar arguments: (entry point, argument, kind, an out-of-range value, extra arguments)
SCALARS = [
    ("fwht", "axis", "int", 3, {}),
    ("fwht_inplace", "axis", "int", -2, {}),
    ("srht", "sketch_size", "int", 0, {}),
    ("leverage_scores", "rcond", "real", 1.0, {}),
    ("leverage_scores", "sketch_size", "int", 2, {"method": "sketch"}),
    ("leverage_scores", "jl_dim", "int", 0, {"method": "sketch"}),
    ("fit_glm", "l2", "real", -1.0, {}),
    ("fit_glm", "tau", "real", 1.0, {}),
    ("fit_glm", "tol", "real", 0.0, {}),
    ("fit_glm", "max_iter", "int", 0, {}),
    ("influence_scores", "l2", "real", -0.5, {}),
    ("influence_scores", "tau", "real", 0.0, {}),
    ("influence_scores", "rank", "int", 0, {"approx": "lowrank"}),
    ("influence_scores", "sketch_size", "int", 1 << 20, {"approx": "sketch"}),
    ("influence_scores", "intercept", "real", None, {}),
    ("inclusion_probabilities", "size", "real", 0.0, {}),
    ("inclusion_probabilities", "min_prob", "real", 1.5, {}),
    ("poisson_sample", "offset", "int", -1, {}),
    ("sampling_uniforms", "n", "int", -1, {}),
    ("sampling_uniforms", "offset", "int", -1, {}),
    ("subsampling_scores", "tau", "real", 2.0, {}),
    ("subsampling_scores", "intercept", "real", None, {}),
    ("InfluenceSampler", "size", "real", -3.0, {}),
    ("InfluenceSampler", "tau", "real", 1.5, {}),
    ("InfluenceSampler", "l2", "real", -1.0, {}),
    ("InfluenceSampler", "min_prob", "real", 2.0, {}),
    ("InfluenceSampler", "pilot_size", "int", 0, {}),
    ("marginal_contributions", "n_samples", "int", 0, {}),
    ("marginal_contributions", "points_per_subset", "int", 0, {}),
    ("marginal_contributions", "l2", "real", -1.0, {"model": "ridge"}),
    ("marginal_contributions", "tol", "real", 1.0, {}),
    ("marginal_contributions", "max_iter", "int", 0, {}),
    ("evaluate_contributions", "l2", "real", -1.0, {"model": "ridge"}),
    ("evaluate_contributions", "tol", "real", 0.0, {}),
    ("evaluate_contributions", "max_iter", "int", 0, {}),
]


def _scalar_cases():
    for entry, arg, kind, out_of_range, extra in SCALARS:
        bad = [("string", "a", TypeError), ("bool", True, TypeError), ("complex", 1j, TypeError)]
        if kind == "int":
            bad += [("float_for_int", 2.0, TypeError), ("numpy_float_for_int", np.float64(3), TypeError)]
        else:
            bad += [("nan", np.nan, ValueError), ("inf", np.inf, ValueError), ("-inf", -np.inf, ValueError)]
        if out_of_range is not None:
            bad.append(("out_of_range", out_of_range, ValueError))
        for label, value, exc in bad:
            yield pytest.param(entry, arg, value, extra, exc, id=f"{entry}-{arg}-{label}")


@pytest.mark.parametrize("entry, arg, value, extra, exc", _scalar_cases())
def test_bad_scalar(entry, arg, value, extra, exc):
    with pytest.raises(exc, match=arg):
        _call(entry, **{**extra, arg: value})


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("value, exc", [(0, ValueError), (1.0, TypeError), ("all", TypeError),
                                        (True, TypeError)], ids=["zero", "float", "string", "bool"])
def test_bad_n_jobs(entry, value, exc):
    with pytest.raises(exc, match="n_jobs"):
        _call(entry, n_jobs=value)


def _with_nan():
    a = X.copy()
    a[3, 1] = np.nan
    return a


@pytest.mark.parametrize("entry", WITH_X)
@pytest.mark.parametrize("bad, exc", [(_with_nan(), ValueError), (np.where(X > 0, np.inf, X), ValueError),
                                      (X[:, 0], ValueError), (X.astype(complex), TypeError),
                                      (X[:, :0], ValueError)],
                         ids=["nan", "inf", "1-D", "complex", "no_columns"])
def test_bad_design(entry, bad, exc):
    with pytest.raises(exc, match="X"):
        _call(entry, X=bad)


@pytest.mark.parametrize("entry", WITH_Y)
@pytest.mark.parametrize("bad", [np.r_[Y[:-1], np.nan], Y[:-3], Y[:, None] * [1, 1]],
                         ids=["nan", "short", "2-D"])
def test_bad_response(entry, bad):
    y = bad if entry != "marginal_contributions" and entry != "evaluate_contributions" else np.r_[bad, bad]
    with pytest.raises(ValueError, match="y"):
        _call(entry, y=y)


@pytest.mark.parametrize("entry", ["fit_glm", "influence_scores"])
@pytest.mark.parametrize("bad, exc", [(-np.ones(64), ValueError), (np.zeros(64), ValueError),
                                      (np.ones(5), ValueError), (np.r_[np.ones(63), np.nan], ValueError),
                                      (np.ones(64, dtype=complex), TypeError)],
                         ids=["negative", "zero_sum", "short", "nan", "complex"])
def test_bad_sample_weight(entry, bad, exc):
    with pytest.raises(exc, match="sample_weight"):
        _call(entry, sample_weight=bad)


def test_weights_is_a_deprecated_alias_of_sample_weight():
    w = RNG.uniform(0.5, 2.0, 64)
    with pytest.warns(DeprecationWarning, match="sample_weight"):
        old = pv.fit_glm(X, Y, weights=w)
    np.testing.assert_array_equal(old.coef, pv.fit_glm(X, Y, sample_weight=w).coef)
    with pytest.warns(DeprecationWarning, match="sample_weight"):
        s = pv.influence_scores(X, Y, COEF, weights=w)
    np.testing.assert_array_equal(s, pv.influence_scores(X, Y, COEF, sample_weight=w))
    with pytest.raises(TypeError, match="sample_weight"):
        pv.fit_glm(X, Y, weights=w, sample_weight=w)


class TestCheckers:
    def test_check_scalar_boundaries(self):
        for inc, ok, bad in [("both", (0, 1), ()), ("left", (0,), (1,)), ("right", (1,), (0,)),
                             ("neither", (0.5,), (0, 1))]:
            for v in ok:
                assert check_scalar(v, "x", numbers.Real, min_val=0, max_val=1, include_boundaries=inc) == v
            for v in bad:
                with pytest.raises(ValueError, match="x must be in"):
                    check_scalar(v, "x", numbers.Real, min_val=0, max_val=1, include_boundaries=inc)
        with pytest.raises(ValueError, match="include_boundaries"):
            check_scalar(1, "x", numbers.Real, include_boundaries="open")

    def test_check_scalar_returns_python_numbers(self):
        v = check_scalar(np.int32(3), "k", numbers.Integral)
        assert v == 3 and type(v) is int
        v = check_scalar(np.float32(0.5), "t", numbers.Real)
        assert v == 0.5 and type(v) is float
        assert type(check_scalar(2, "t", numbers.Real)) is float  # an int is a real number

    def test_check_design_views_and_copies(self):
        F = np.asfortranarray(X)
        assert check_design(X) is X and check_design(F) is F
        X32 = X.astype(np.float32)
        assert check_design(X32, float32=True) is X32
        assert check_design(X32).dtype == np.float64
        strided = check_design(X[:, ::2])
        assert strided.flags.c_contiguous and np.array_equal(strided, X[:, ::2])
        assert check_design(np.arange(6).reshape(3, 2)).dtype == np.float64

    def test_check_design_dataframe_and_sparse(self):
        pd = pytest.importorskip("pandas")
        arr, names = check_design(pd.DataFrame(X, columns=["a", "b", "c"]), feature_names=True)
        np.testing.assert_array_equal(arr, X)
        assert names.tolist() == ["a", "b", "c"]
        sparse = pytest.importorskip("scipy.sparse")
        with pytest.raises(TypeError, match="sparse"):
            check_design(sparse.csr_matrix(X))
        with pytest.raises(TypeError, match="X has dtype object"):
            check_design(np.array([["a", 1.0]], dtype=object))

    def test_check_vector_and_sample_weight(self):
        assert check_sample_weight(None, 5) is None
        w = check_sample_weight([1, 2, 3], 3)
        assert w.dtype == np.float64 and w.flags.c_contiguous
        with pytest.raises(ValueError, match="y has 2 entries, expected 3"):
            check_vector([1.0, 2.0], "y", 3)
