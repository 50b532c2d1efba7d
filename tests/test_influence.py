"""influence_scores against direct numpy computations of the definitions."""

import numpy as np
import pytest
from conftest import srht_draws
from scipy.linalg import hadamard

import pointvalue as pv


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def _data(rng, model, n=500, d=5, shift=2.0):
    X = rng.standard_normal((n, d)) + shift
    X[:, 1] *= 5.0
    X[:, 2] = X[:, 2] + 0.6 * X[:, 0]  # correlated columns
    beta = rng.uniform(-0.5, 0.5, d)
    eta = (X - shift) @ beta + 0.2
    if model == "logistic":
        y = (rng.random(n) < _sigmoid(eta)).astype(float)
    elif model == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    else:
        y = eta + rng.standard_t(4, n)
    return X, y


def _factors(model, eta, y, tau):
    if model == "ols":
        return y - eta, np.ones_like(eta)
    if model == "logistic":
        p = _sigmoid(eta)
        return y - p, p * (1 - p)
    if model == "poisson":
        mu = np.exp(eta)
        return y - mu, mu
    r = y - eta
    zero = 16 * np.finfo(float).eps * np.maximum(np.abs(y), np.abs(eta))  # (|η| ≤ Σ|x θ|)
    psi = np.where(r > zero, tau, np.where(r < -zero, tau - 1, 0.0))
    return psi / (tau * (1 - tau)), np.ones_like(eta)


def reference(X, y, coef, model, intercept, target, tau=0.5, w=None, l2=0.0):
    """ψ_i = w_i ρ_i Σ⁻¹ x̃_i, prediction: w_i |ρ_i| sqrt(x̃ᵀ Σ⁻¹ G Σ⁻¹ x̃), via np.linalg.solve."""
    n, _d = X.shape
    A = X if intercept is None else np.c_[X, np.ones(n)]
    theta = coef if intercept is None else np.r_[coef, intercept]
    w = np.ones(n) if w is None else w
    f, v = _factors(model, A @ theta, y, tau)
    f, D = w * f, w * v
    G = A.T @ (D[:, None] * A)
    pen = np.full(A.shape[1], l2)
    if intercept is not None:
        pen[-1] = 0.0
    U = np.linalg.solve(G + np.diag(pen), A.T)
    if target == "coef":
        return np.abs(f) * np.linalg.norm(U, axis=0)
    return np.abs(f) * np.sqrt(np.einsum("ji,jk,ki->i", U, G, U))


def _fit(X, y, model, intercept, w=None, l2=0.0, tau=0.5):
    fit = pv.fit_glm(X, y, model=model, fit_intercept=intercept, sample_weight=w, l2=l2, tau=tau)
    return fit.coef, (fit.intercept if intercept else None)


@pytest.mark.parametrize("model", ["ols", "logistic", "poisson", "quantile"])
@pytest.mark.parametrize("target", ["coef", "prediction"])
@pytest.mark.parametrize("intercept", [True, False])
def test_exact_matches_numpy(rng, model, target, intercept):
    X, y = _data(rng, model)
    coef, b = _fit(X, y, model, intercept, tau=0.7)
    if model == "quantile":  # rows on the fitted hyperplane have a residual at rounding level
        r = y - X @ coef - (b or 0.0)
        assert (pv.influence_scores(X, y, coef, model=model, intercept=b, tau=0.7)[
            np.abs(r) < 1e-12] == 0).all()
        coef = coef + 1e-3
    got = pv.influence_scores(X, y, coef, model=model, intercept=b, target=target, tau=0.7)
    ref = reference(X, y, coef, model, b, target, tau=0.7)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-13 * ref.max())


@pytest.mark.parametrize("model", ["ols", "logistic", "poisson"])
@pytest.mark.parametrize("target", ["coef", "prediction"])
def test_exact_weighted_ridge_at_pilot(rng, model, target):
    # A pilot that is not the optimum of the data it scores, with case weights and a penalty.
    X, y = _data(rng, model)
    w = rng.uniform(0.2, 3.0, len(y))
    coef = rng.uniform(-0.3, 0.3, X.shape[1])
    for l2 in (0.0, 3.0):
        got = pv.influence_scores(X, y, coef, model=model, intercept=0.1, target=target, sample_weight=w,
                                  l2=l2, approx="exact")
        ref = reference(X, y, coef, model, 0.1, target, w=w, l2=l2)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-13 * ref.max())


def test_ols_prediction_is_residual_times_root_leverage(rng):
    X, y = _data(rng, "ols")
    coef, b = _fit(X, y, "ols", True)
    got = pv.influence_scores(X, y, coef, intercept=b, target="prediction")
    h = pv.leverage_scores(np.c_[X, np.ones(len(y))])
    r = y - X @ coef - b
    np.testing.assert_allclose(got, np.abs(r) * np.sqrt(h), rtol=1e-9)


def test_ols_influence_is_leave_one_out_change(rng):
    # θ̂ − θ̂_{−i} = Σ⁻¹ x̃_i r_i / (1 − h_ii): a brute-force refit for a few rows.
    X, y = _data(rng, "ols", n=120, d=3)
    coef, b = _fit(X, y, "ols", True)
    scores = pv.influence_scores(X, y, coef, intercept=b)
    h = pv.leverage_scores(np.c_[X, np.ones(len(y))])
    for i in (0, 7, 50):
        keep = np.arange(len(y)) != i
        c2, b2 = _fit(X[keep], y[keep], "ols", True)
        change = np.linalg.norm(np.r_[coef - c2, b - b2])
        assert change * (1 - h[i]) == pytest.approx(scores[i], rel=1e-8)


def test_layouts_and_pandas_agree(rng):
    pd = pytest.importorskip("pandas")
    X, y = _data(rng, "logistic")
    coef, b = _fit(X, y, "logistic", True)
    a = pv.influence_scores(X, y, coef, model="logistic", intercept=b)
    f = pv.influence_scores(np.asfortranarray(X), y, coef, model="logistic", intercept=b)
    p = pv.influence_scores(pd.DataFrame(X), pd.Series(y), coef, model="logistic", intercept=b)
    np.testing.assert_allclose(a, f, rtol=1e-12)
    np.testing.assert_allclose(a, p, rtol=1e-12)


@pytest.mark.parametrize("approx", ["exact", "diag"])
def test_shift_invariance_with_intercept(rng, approx):
    X, y = _data(rng, "ols")
    coef, b = _fit(X, y, "ols", True)
    shift = np.array([1e4, -300.0, 7.0, 0.0, 50.0])
    kw = {"approx": approx, "target": "prediction"}
    a = pv.influence_scores(X, y, coef, intercept=b, **kw)
    c = pv.influence_scores(X + shift, y, coef, intercept=b - shift @ coef, **kw)
    np.testing.assert_allclose(a, c, rtol=1e-7)
    # The coefficient target changes only through the intercept's (re-parametrized) component.
    a = pv.influence_scores(X, y, coef, intercept=b, approx=approx)
    assert a.shape == c.shape and np.isfinite(a).all()


# ------------------------------------------------------------------------------ approximations


def _centred(X, D, intercept):
    if intercept is None:
        return X, np.zeros(X.shape[1]), None
    s = D.sum()
    m = D @ X / s
    return X - m, m, s


@pytest.mark.parametrize("target", ["coef", "prediction"])
@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("l2", [0.0, 2.0])
def test_diag_matches_definition(rng, target, intercept, l2):
    X, y = _data(rng, "logistic")
    coef, b = _fit(X, y, "logistic", intercept, l2=1.0)
    w = rng.uniform(0.5, 2.0, len(y))
    got = pv.influence_scores(X, y, coef, model="logistic", intercept=b, target=target, sample_weight=w,
                              l2=l2, approx="diag")
    eta = X @ coef + (b or 0.0)
    f, v = _factors("logistic", eta, y, 0.5)
    f, D = w * f, w * v
    Xc, m, s = _centred(X, D, b)
    g = D @ Xc**2
    if target == "coef":
        U = Xc / (g + l2)
        sq = (U**2).sum(1) + ((1 / s - U @ m) ** 2 if b is not None else 0)
    else:
        Z = Xc * np.sqrt(g) / (g + l2)
        sq = (Z**2).sum(1) + (1 / s if b is not None else 0)
    np.testing.assert_allclose(got, np.abs(f) * np.sqrt(sq), rtol=1e-10)


def _numpy_sketch(Xc, D, seed, size):
    n = Xc.shape[0]
    N = 1 << max(0, (n - 1).bit_length())
    signs, rows = srht_draws(seed, n, size)
    B = np.zeros((N, Xc.shape[1]))
    B[:n] = (signs * np.sqrt(D))[:, None] * Xc
    return hadamard(N)[rows] @ B / np.sqrt(size)


@pytest.mark.parametrize("target", ["coef", "prediction"])
@pytest.mark.parametrize("rank", [1, 3])
@pytest.mark.parametrize("intercept", [True, False])
def test_lowrank_matches_definition(rng, target, rank, intercept):
    X, y = _data(rng, "ols", n=400)
    coef, b = _fit(X, y, "ols", intercept)
    got = pv.influence_scores(X, y, coef, intercept=b, target=target, approx="lowrank", rank=rank,
                              random_state=3, sketch_size=300)
    r = y - X @ coef - (b or 0.0)
    D = np.ones(len(y))
    Xc, m, s = _centred(X, D, b)
    SX = _numpy_sketch(Xc, D, 3, 300)
    S = (Xc**2).sum(0)  # exact diagonal of the (centred) Gram
    Ch = SX.T @ SX / np.sqrt(np.outer(S, S))
    lam, V = np.linalg.eigh(Ch)
    keep = np.argsort(-np.abs(1 / lam - 1))[:rank]
    Cinv = (np.eye(len(S)) + V[:, keep] @ np.diag(1 / lam[keep] - 1) @ V[:, keep].T) / np.sqrt(np.outer(S, S))
    if target == "coef":
        U = Xc @ Cinv
        sq = (U**2).sum(1) + ((1 / s - U @ m) ** 2 if b is not None else 0)
    else:
        sq = np.einsum("ij,jk,ik->i", Xc, Cinv, Xc) + (1 / s if b is not None else 0)
    np.testing.assert_allclose(got, np.abs(r) * np.sqrt(sq), rtol=1e-9)


@pytest.mark.parametrize("target", ["coef", "prediction"])
def test_lowrank_full_rank_equals_sketch(rng, target):
    X, y = _data(rng, "poisson")
    coef, b = _fit(X, y, "poisson", True)
    kw = {"model": "poisson", "intercept": b, "target": target, "random_state": 11, "sketch_size": 256, "l2": 0.5}
    a = pv.influence_scores(X, y, coef, approx="lowrank", rank=X.shape[1], **kw)
    c = pv.influence_scores(X, y, coef, approx="sketch", **kw)
    np.testing.assert_allclose(a, c, rtol=1e-9)


def test_sketch_matches_definition(rng):
    X, y = _data(rng, "ols", n=300)
    coef, b = _fit(X, y, "ols", True)
    got = pv.influence_scores(X, y, coef, intercept=b, approx="sketch", random_state=5, sketch_size=200)
    r = y - X @ coef - b
    Xc, m, s = _centred(X, np.ones(len(y)), b)
    SX = _numpy_sketch(Xc, np.ones(len(y)), 5, 200)
    U = np.linalg.solve(SX.T @ SX, Xc.T).T
    sq = (U**2).sum(1) + (1 / s - U @ m) ** 2
    np.testing.assert_allclose(got, np.abs(r) * np.sqrt(sq), rtol=1e-9)


@pytest.mark.parametrize("target", ["coef", "prediction"])
def test_sketch_error_is_small(rng, target):
    # Documented accuracy: with the default sketch (20 d ≥ 2000 rows) scores have median relative
    # error below ~sqrt(d / sketch_size).
    n, d = 20000, 8
    X, y = _data(rng, "ols", n=n, d=d)
    coef, b = _fit(X, y, "ols", True)
    exact = pv.influence_scores(X, y, coef, intercept=b, target=target)
    approx = pv.influence_scores(X, y, coef, intercept=b, target=target, approx="sketch", random_state=0)
    rel = np.abs(approx - exact) / exact
    bound = np.sqrt((d + 1) / 2000)
    assert np.median(rel) < bound
    assert np.quantile(rel, 0.99) < 3 * bound
    lr = pv.influence_scores(X, y, coef, intercept=b, target=target, approx="lowrank", random_state=0)
    assert np.median(np.abs(lr - exact) / exact) < bound  # rank 8 = d: the same estimate


def test_sketch_deterministic(rng):
    X, y = _data(rng, "ols")
    coef, b = _fit(X, y, "ols", True)
    a = pv.influence_scores(X, y, coef, intercept=b, approx="sketch", random_state=1)
    c = pv.influence_scores(X, y, coef, intercept=b, approx="sketch", random_state=1)
    e = pv.influence_scores(X, y, coef, intercept=b, approx="sketch", random_state=2)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, e)


# ---------------------------------------------------------------------------------- bad input


def test_singular_sigma_raises(rng):
    X = rng.standard_normal((50, 2))
    X = np.c_[X, X[:, 0]]
    y = rng.standard_normal(50)
    with pytest.raises(ValueError, match="singular"):
        pv.influence_scores(X, y, np.zeros(3), intercept=0.0)
    assert np.isfinite(pv.influence_scores(X, y, np.zeros(3), intercept=0.0, approx="diag")).all()
    assert np.isfinite(pv.influence_scores(X, y, np.zeros(3), intercept=0.0, l2=1.0)).all()


@pytest.mark.parametrize("approx", ["exact", "diag", "lowrank", "sketch"])
@pytest.mark.parametrize("where", [(0, 0), (17, 2)])
def test_nan_in_x_is_reported(rng, approx, where):
    X = rng.standard_normal((40, 3))
    y = rng.standard_normal(40)
    coef = np.array([0.5, 0.0, -1.0])  # a zero coefficient must not hide a NaN
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[where] = bad
        with pytest.raises(ValueError, match="X contains NaN"):
            pv.influence_scores(Xb, y, coef, intercept=0.1, approx=approx, random_state=0)


def test_poisson_overflow_is_reported(rng):
    X = rng.standard_normal((30, 2))
    with pytest.raises(ValueError, match="overflow"):
        pv.influence_scores(X, np.ones(30), np.array([800.0, 0.0]), model="poisson")


@pytest.mark.parametrize("bad", ["coef_len", "nan_coef", "intercept", "approx", "target", "rank",
                                 "y_len", "logistic_y", "neg_w"])
def test_bad_input(rng, bad):
    X = rng.standard_normal((30, 3))
    y = rng.standard_normal(30)
    coef = np.zeros(3)
    kw = {}
    err = ValueError
    if bad == "coef_len":
        coef = np.zeros(4)
    elif bad == "nan_coef":
        coef = np.array([0.0, np.nan, 0.0])
    elif bad == "intercept":
        kw["intercept"] = "1"
        err = TypeError
    elif bad == "approx":
        kw["approx"] = "svd"
    elif bad == "target":
        kw["target"] = "loss"
    elif bad == "rank":
        kw.update(approx="lowrank", rank=0)
    elif bad == "y_len":
        y = y[:-2]
    elif bad == "logistic_y":
        kw["model"] = "logistic"
    elif bad == "neg_w":
        kw["sample_weight"] = -np.ones(30)
    with pytest.raises(err):
        pv.influence_scores(X, y, coef, **kw)


_THREAD_SCRIPT = """
import numpy as np, pointvalue as pv
rng = np.random.default_rng(0)
X = rng.standard_normal((300_000, 4)) + 1.0
y = (rng.random(300_000) < 1 / (1 + np.exp(-X @ [0.5, -0.5, 0.2, 0.1]))).astype(float)
fit = pv.fit_glm(X, y, model="logistic", l2=1.0)
out = [fit.coef, [fit.intercept, fit.objective]]
for approx in ("exact", "diag", "lowrank", "sketch"):
    out.append(pv.influence_scores(X, y, fit.coef, model="logistic", intercept=fit.intercept,
                                   approx=approx, rank=2, random_state=3))
np.save(__import__("sys").argv[1], np.concatenate([np.ravel(o) for o in out]))
"""


def test_results_do_not_depend_on_thread_count(tmp_path):
    import os
    import subprocess
    import sys

    outs = []
    for threads in ("1", "2"):
        path = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", _THREAD_SCRIPT, str(path)], env=env, check=True)
        outs.append(np.load(path))
    np.testing.assert_array_equal(outs[0], outs[1])


def _shifted_copy(a, offset):
    """The same values at an address `offset` doubles past a fresh allocation."""
    buf = np.empty(a.size + 8)
    out = buf[offset:offset + a.size].reshape(a.shape)
    out[...] = a
    return out


def test_results_do_not_depend_on_memory_alignment(rng):
    X, y = _data(rng, "logistic", n=3000)
    w = rng.uniform(0.5, 2, len(y))
    res = []
    for off in (0, 1, 3):
        Xo, yo, wo = _shifted_copy(X, off), _shifted_copy(y, off), _shifted_copy(w, off)
        fit = pv.fit_glm(Xo, yo, model="logistic", sample_weight=wo, l2=0.5)
        out = [fit.coef, [fit.intercept]]
        for approx in ("exact", "diag"):
            out.append(pv.influence_scores(Xo, yo, fit.coef, model="logistic", sample_weight=wo,
                                           intercept=fit.intercept, approx=approx))
        res.append(np.concatenate([np.ravel(o) for o in out]))
    np.testing.assert_array_equal(res[0], res[1])
    np.testing.assert_array_equal(res[0], res[2])


@pytest.mark.parametrize("approx", ["exact", "diag", "sketch"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_input_matches_its_float64_upcast(rng, approx, order):
    X, y = _data(rng, "poisson", n=2000)
    X32 = np.asarray(X, dtype=np.float32, order=order)
    coef, b = _fit(X32.astype(np.float64), y, "poisson", True)
    kw = {"model": "poisson", "intercept": b, "approx": approx, "random_state": 4, "target": "prediction"}
    got = pv.influence_scores(X32, y, coef, **kw)
    ref = pv.influence_scores(X32.astype(np.float64), y, coef, **kw)
    np.testing.assert_allclose(got, ref, rtol=1e-9)  # the sketch path upcasts to C order
