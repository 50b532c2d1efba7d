"""InfluenceSampler.fit and leverage_scores on dask collections (pointvalue._dask).

The chunked fit must give the in-memory fit's sample (indices, weights) and coefficients for the
same seed, whatever the chunking; λ and π must match the in-memory kernel to rounding.
No-cluster tests (dask's threaded scheduler) come first: the cluster fixture's client, once
created, is the active client of the process.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import pointvalue as pv
from pointvalue import _core

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from pointvalue import _dask  # noqa: E402

CHUNKINGS = [(1000,), (700, 1100, 300, 900), (3, 2, 2995)]  # even, uneven, chunks smaller than d


def data(rng, n=3000, d=4, model="ols"):
    X = rng.standard_normal((n, d))
    X[rng.random(n) < 0.05] *= 4.0
    eta = X @ np.linspace(0.5, 1.5, d) + 0.3
    if model == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = eta + rng.standard_normal(n)
    return X, y


def chunked(X, y, rows):
    rows = tuple(rows) if sum(rows) == len(y) else rows[0]
    return da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=(rows,))


def assert_same_fit(s_dask, s_mem):
    assert_array_equal(s_dask.pilot_indices_, s_mem.pilot_indices_)
    assert_array_equal(s_dask.indices_, s_mem.indices_)
    assert_allclose(s_dask.weights_, s_mem.weights_, rtol=1e-12)
    assert_allclose(s_dask.pilot_coef_, s_mem.pilot_coef_, rtol=0, atol=0)  # same rows, same fit
    assert_allclose(s_dask.coef_, s_mem.coef_, rtol=1e-12)
    assert s_dask.intercept_ == pytest.approx(s_mem.intercept_, rel=1e-12, abs=1e-14)
    assert s_dask.lambda_ == pytest.approx(s_mem.lambda_, rel=1e-12)
    assert_allclose(s_dask.scores_.compute(), s_mem.scores_, rtol=1e-12, atol=1e-300)
    assert_allclose(s_dask.probabilities_.compute(), s_mem.probabilities_, rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# no cluster: dask's default (threaded) scheduler


def test_import_does_not_import_dask():
    code = "import sys, pointvalue; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("rows", CHUNKINGS)
def test_threaded_fit_equals_in_memory(rng, rows):
    assert _dask.active_client() is None
    X, y = data(rng)
    kw = dict(size=300, random_state=5)
    ref = pv.InfluenceSampler(**kw).fit(X, y)
    s = pv.InfluenceSampler(**kw).fit(*chunked(X, y, rows))
    assert isinstance(s.scores_, da.Array) and isinstance(s.probabilities_, da.Array)
    assert_same_fit(s, ref)


@pytest.mark.parametrize("case", ["continuous", "ties", "zeros", "few_positive", "no_floor", "pilot"])
def test_solve_lambda_equals_kernel(rng, monkeypatch, case):
    """λ (and so π) from per-chunk summaries equals the in-memory kernel's; the bracket rounds are
    exercised by lowering the gather threshold."""
    monkeypatch.setattr(_dask, "_GATHER", 50)
    calls = []
    original = _dask._round
    monkeypatch.setattr(_dask, "_round", lambda *a: calls.append(1) or original(*a))
    n, size, a = 20_000, 700.0, 0.01
    s = rng.lognormal(0, 2, n)
    if case == "ties":
        s = np.round(s, 1) + 0.1
    elif case == "zeros":
        s[rng.random(n) < 0.3] = 0.0
    elif case == "few_positive":
        s[:] = 0.0
        s[:200] = rng.random(200) + 0.5
    elif case == "no_floor":
        a = 0.0
    nan = np.zeros(n, bool)
    if case == "pilot":
        nan[rng.choice(n, 500, replace=False)] = True
    sd = da.from_array(np.where(nan, np.nan, s), chunks=((5000, 1, 7000, 7999),))
    lam, zp = _dask.solve_lambda(sd, size, a)
    pi_ref, lam_ref = pv.inclusion_probabilities(s[~nan], size, min_prob=a, return_lambda=True)
    pi = _dask.probabilities_from_scores(np.where(nan, np.nan, s), lam, zp, a, False)
    if np.isinf(lam_ref):
        assert np.isinf(lam)
    else:
        assert lam == pytest.approx(lam_ref, rel=1e-12)
    assert_allclose(pi[~nan], pi_ref, rtol=1e-12)
    assert_array_equal(pi[nan], 0.0)
    assert pi.sum() == pytest.approx(size, rel=1e-12)
    if case in ("continuous", "zeros", "no_floor", "pilot"):
        assert len(calls) >= 2 * sd.numblocks[0]  # at least two bracket rounds ran


def test_influence_moments_merge_to_global_sigma(rng):
    """Chunk moments merged (Chan) equal the numpy moments of all rows; scores with the global
    moments equal the in-memory scores."""
    X, y = data(rng, n=2000, d=3, model="logistic")
    coef, b = np.array([0.4, -0.2, 0.9]), 0.1
    glm = _core.glm
    for approx in ("exact", "diag"):
        opt = glm.InfluenceOptions()
        opt.model, opt.approx = glm.Model.logistic, glm.Approx.__members__[approx]
        opt.fit_intercept, opt.intercept = True, b
        parts = [glm.influence_moments(np.ascontiguousarray(X[r]), y[r], coef, None, opt)
                 for r in (slice(0, 7), slice(7, 1500), slice(1500, 2000))]
        m = glm.merge_influence_moments(glm.merge_influence_moments(parts[0], parts[1], opt),
                                        parts[2], opt)
        p = 1 / (1 + np.exp(-(X @ coef + b)))
        D = p * (1 - p)
        mean = D @ X / D.sum()
        G = (X - mean).T @ ((X - mean) * D[:, None])
        assert m.s == pytest.approx(D.sum(), rel=1e-13)
        assert_allclose(m.mean, mean, rtol=1e-12)
        assert_allclose(m.C, G if approx == "exact" else np.diag(G)[:, None], rtol=1e-12)
        got = np.concatenate([
            glm.influence_scores_given(np.ascontiguousarray(X[r]), y[r], coef, None, m, opt).scores
            for r in (slice(0, 1000), slice(1000, 2000))])
        ref = pv.influence_scores(X, y, coef, model="logistic", intercept=b, approx=approx)
        assert_allclose(got, ref, rtol=1e-12)
    opt.approx = glm.Approx.lowrank
    with pytest.raises(ValueError, match="sketch factor"):
        glm.influence_scores_given(X, y, coef, None, m, opt)
    opt.approx = glm.Approx.exact
    with pytest.raises(ValueError, match="do not match"):
        glm.influence_scores_given(X, y, coef, None, glm.InfluenceMoments(1.0, np.zeros(2),
                                                                          np.zeros((2, 2))), opt)


def test_leverage_scores_dask_exact(rng):
    X = rng.standard_normal((3000, 5))
    X[:, 4] = X[:, 0] + X[:, 1]  # rank 4
    Xd = da.from_array(X, chunks=((2, 1500, 1498), -1))
    h, rank = pv.leverage_scores(Xd, return_rank=True)
    ref, rank_ref = pv.leverage_scores(X, return_rank=True)
    assert isinstance(h, da.Array) and rank == rank_ref == 4
    assert_allclose(h.compute(), ref, rtol=1e-10, atol=1e-14)


def test_leverage_scores_dask_sketch(rng):
    """Per-chunk SRHT: with every chunk sketched at its padded length the sketch is exact; otherwise
    deterministic for a chunking and seed, within the sketch's error of the exact scores."""
    X = rng.standard_normal((1024, 4))
    X[:10] *= 6
    exact = pv.leverage_scores(X)
    h = pv.leverage_scores(da.from_array(X, chunks=(256, -1)), method="sketch", random_state=0)
    assert_allclose(h.compute(), exact, rtol=1e-10)  # 1024 sketch rows, 256 per chunk of 256
    X = rng.standard_normal((20_000, 5))
    Xd = da.from_array(X, chunks=((3000, 7, 9000, 7993), -1))
    h1 = pv.leverage_scores(Xd, method="sketch", random_state=1).compute()
    h2 = pv.leverage_scores(Xd, method="sketch", random_state=1).compute()
    assert_array_equal(h1, h2)
    rel = np.abs(h1 / pv.leverage_scores(X) - 1)
    assert np.median(rel) < np.sqrt(5 / 2000) and np.quantile(rel, 0.99) < 3 * np.sqrt(5 / 2000)
    with pytest.raises(ValueError, match="sketch_size must be at least"):
        pv.leverage_scores(Xd, method="sketch", sketch_size=3)


@pytest.mark.parametrize("approx", ["sketch", "lowrank"])
def test_influence_sketch_on_dask(rng, approx):
    """approx='sketch'/'lowrank': exact Gram when every chunk is sketched at its padded length (the
    fit is the in-memory one: for lowrank of full rank d the correction is exact too), else
    deterministic and within the sketch's error of the exact scores."""
    X, y = data(rng, n=1024, d=4, model="logistic")
    ref = pv.InfluenceSampler(model="logistic", size=150, random_state=2).fit(X, y)
    s = pv.InfluenceSampler(model="logistic", size=150, approx=approx, random_state=2).fit(
        *chunked(X, y, (256,)))
    assert_same_fit(s, ref)
    X, y = data(rng, n=20_000, d=5)
    Xd, yd = chunked(X, y, (3000, 11, 9000, 7989))
    kw = dict(size=500, approx=approx, target="prediction", random_state=4)
    s1 = pv.InfluenceSampler(**kw).fit(Xd, yd)
    s2 = pv.InfluenceSampler(**kw).fit(Xd, yd)
    assert_array_equal(s1.indices_, s2.indices_)
    exact = pv.InfluenceSampler(**{**kw, "approx": "exact"}).fit(X, y).scores_
    got = s1.scores_.compute()
    ok = np.isfinite(exact) & (exact > 0)
    rel = np.abs(got[ok] / exact[ok] - 1)
    assert np.median(rel) < np.sqrt(6 / 2000)


def test_bad_dask_input(rng):
    X, y = data(rng, n=400)
    s = pv.InfluenceSampler(size=50, random_state=0)
    with pytest.raises(ValueError, match="column chunks"):
        s.fit(da.from_array(X, chunks=(100, 2)), y)
    Xd = da.from_array(X, chunks=(100, -1))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        s.fit(Xd[Xd[:, 0] > -10], y)
    Xn = X.copy()
    Xn[250, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        s.fit(da.from_array(Xn, chunks=(100, -1)), y)
    df = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "b": ["x"] * 400, "y": y}), npartitions=2)
    with pytest.raises(TypeError, match="non-numeric columns \\['b'\\]"):
        s.fit(df, "y")


# ------------------------------------------------------------------------------------------------
# LocalCluster


# the `client` fixture (a 2-worker LocalCluster per module) is in conftest.py


@pytest.mark.parametrize("rows", CHUNKINGS)
def test_cluster_fit_equals_in_memory(client, rng, rows):
    X, y = data(rng)
    kw = dict(size=300, random_state=11)
    ref = pv.InfluenceSampler(**kw).fit(X, y)
    s = pv.InfluenceSampler(**kw).fit(*chunked(X, y, rows))
    assert _dask.active_client() is client
    assert_same_fit(s, ref)


@pytest.mark.parametrize("model,scores,approx,target", [
    ("logistic", "influence", "exact", "coef"),
    ("quantile", "influence", "exact", "prediction"),
    ("ols", "influence", "diag", "coef"),
    ("logistic", "influence", "diag", "prediction"),
    ("ols", "gradient", "exact", "coef"),
    ("logistic", "local_case_control", "exact", "coef"),
    ("quantile", "abs_residual", "exact", "coef"),
    ("ols", "root_leverage", "exact", "coef"),
])
def test_cluster_models_and_score_kinds(client, rng, model, scores, approx, target):
    X, y = data(rng, model=model)
    kw = dict(model=model, scores=scores, approx=approx, target=target, size=400, random_state=3)
    ref = pv.InfluenceSampler(**kw).fit(X, y)
    s = pv.InfluenceSampler(**kw).fit(*chunked(X, y, CHUNKINGS[1]))
    assert_same_fit(s, ref)


def test_cluster_dataframe(client, rng):
    X, y = data(rng, n=2000, d=3)
    pdf = pd.DataFrame(X, columns=["a", "b", "c"]).assign(target=y)
    df = dd.from_pandas(pdf, npartitions=3)
    ref = pv.InfluenceSampler(size=200, random_state=4).fit(pdf[["a", "b", "c"]], y)
    s1 = pv.InfluenceSampler(size=200, random_state=4).fit(df, "target")
    s2 = pv.InfluenceSampler(size=200, random_state=4).fit(df[["a", "b", "c"]], df["target"])
    for s in (s1, s2):
        assert_same_fit(s, ref)
        assert list(s.feature_names_in_) == ["a", "b", "c"]


def _exit_once(block, marker, block_info=None):
    """Kills its worker process the first time it runs on the second chunk (dask retries it)."""
    if block_info[0]["chunk-location"][0] == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return block


def test_cluster_worker_lost_mid_run(client, rng, tmp_path):
    X, y = data(rng)
    ref = pv.InfluenceSampler(size=300, random_state=8).fit(X, y)
    Xd, yd = chunked(X, y, CHUNKINGS[1])
    marker = str(tmp_path / "killed")
    Xd = Xd.map_blocks(_exit_once, marker, dtype=Xd.dtype)
    s = pv.InfluenceSampler(size=300, random_state=8).fit(Xd, yd)
    assert os.path.exists(marker)  # a worker did die
    assert_same_fit(s, ref)


def test_cluster_errors_surface_and_nothing_is_written(client, rng):
    X, y = data(rng, n=1000)
    s = pv.InfluenceSampler(size=100, random_state=0).fit(*chunked(X, y, (300,)))
    before = dict(vars(s))
    yb = y.copy()
    yb[700] = np.inf
    with pytest.raises(ValueError, match="y contains NaN or infinite values"):
        s.fit(*chunked(X, yb, (300,)))
    assert set(vars(s)) == set(before)
    assert all(vars(s)[k] is v for k, v in before.items())
