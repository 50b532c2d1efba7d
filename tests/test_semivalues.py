"""Semivalues: closed-form games, exact vs Monte Carlo, engine vs direct utility calls."""

import importlib
import itertools
import math

import numpy as np
import pytest
from scipy.special import beta as beta_fn

import pointvalue as pv
sv = importlib.import_module("pointvalue.semivalues")  # the module (pv.semivalues is the function)

METHODS = ["shapley", ("beta", (16, 1)), ("beta", (4, 2)), "banzhaf", "loo"]


def _method(m):
    return (m, None) if isinstance(m, str) else m


def brute_force(u, n, method, beta_params=None):
    """φ_i = Σ_S p(|S|)(u(S ∪ i) − u(S)) over all subsets, p from the textbook formulas."""
    def p(k):
        if method == "shapley":
            return 1 / (n * math.comb(n - 1, k))
        if method == "banzhaf":
            return 1 / 2 ** (n - 1)
        if method == "loo":
            return float(k == n - 1)
        a, b = beta_params
        return beta_fn(k + b, n - 1 - k + a) / beta_fn(a, b)

    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for S in itertools.combinations(others, k):
                phi[i] += p(k) * (u(np.array(S + (i,), dtype=int)) - u(np.array(S, dtype=int)))
    return phi


def nonlinear_game(n, seed=0):
    a = np.random.default_rng(seed).uniform(0.2, 2.0, size=n)
    return lambda S: float(np.sqrt(a[S].sum()) + 0.3 * (len(S) >= n // 2) - 0.1 * a[S].max(initial=0))


# ------------------------------------------------------------------------------------------------
# weights


@pytest.mark.parametrize("m", METHODS)
def test_size_weights_sum_to_one_and_match_coalition_weights(m):
    method, ab = _method(m)
    n = 9
    q = pv.semivalue_weights(method, n, ab)
    p = pv.semivalue_weights(method, n, ab, per="coalition")
    assert q.sum() == pytest.approx(1.0, rel=1e-12)
    comb = np.array([math.comb(n - 1, k) for k in range(n)])
    np.testing.assert_allclose(p * comb, q, rtol=1e-12)


def test_weights_closed_forms():
    n = 7
    np.testing.assert_allclose(pv.semivalue_weights("shapley", n), np.full(n, 1 / n))
    np.testing.assert_allclose(pv.semivalue_weights("beta", n, (1, 1)), np.full(n, 1 / n), rtol=1e-12)
    np.testing.assert_allclose(pv.semivalue_weights("banzhaf", n),
                               [math.comb(n - 1, k) / 2 ** (n - 1) for k in range(n)], rtol=1e-12)
    q = pv.semivalue_weights("beta", n, (16, 1))
    assert np.all(np.diff(q) < 0)  # α > β favours small coalitions
    big = pv.semivalue_weights("banzhaf", 20000)  # no overflow for large n
    assert np.isfinite(big).all() and big.sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# closed-form games


@pytest.mark.parametrize("n,quota", [(5, 3), (7, 4), (12, 7)])
def test_symmetric_voting_game(n, quota):
    def vote(S):
        return float(len(S) >= quota)

    res = pv.semivalues(vote, n_players=n, sampler="exact", progress=False)
    np.testing.assert_allclose(res.values, 1 / n, atol=1e-12)
    perm = pv.semivalues(vote, n_players=n, sampler="permutation", n_samples=200, random_state=0, progress=False)
    assert perm.values.sum() == pytest.approx(1.0)  # each permutation pivots exactly one player
    assert np.all(np.abs(perm.values - 1 / n) < 4.5 * perm.stderr)
    bz = pv.semivalues(vote, n_players=n, method="banzhaf", sampler="exact", progress=False)
    np.testing.assert_allclose(bz.values, math.comb(n - 1, quota - 1) / 2 ** (n - 1), atol=1e-12)


@pytest.mark.parametrize("L,R", [(1, 4), (3, 3), (2, 5)])
def test_shoes_game(L, R):
    """u(S) = pairs of shoes in S (L left, R right shoes)."""
    n = L + R

    def shoes(S):
        S = np.asarray(S)
        return float(min(np.sum(S < L), np.sum(S >= L)))

    res = pv.semivalues(shoes, n_players=n, sampler="exact", progress=False)
    assert res.values.sum() == pytest.approx(min(L, R))  # efficiency
    if L == 1:  # one left shoe: it gets R/(R+1), each right shoe 1/(R(R+1))
        np.testing.assert_allclose(res.values, [R / (R + 1)] + [1 / (R * (R + 1))] * R, rtol=1e-12)
    if L == R:
        np.testing.assert_allclose(res.values, 0.5, rtol=1e-12)
    np.testing.assert_allclose(res.values, brute_force(shoes, n, "shapley"), rtol=1e-12)


@pytest.mark.parametrize("m", METHODS)
def test_additive_game_every_semivalue_is_the_weight(m):
    method, ab = _method(m)
    w = np.random.default_rng(3).normal(size=9)

    def additive(S):
        return float(w[np.asarray(S, dtype=int)].sum())

    exact = pv.semivalues(additive, n_players=9, method=method, beta_params=ab, sampler="exact", progress=False)
    np.testing.assert_allclose(exact.values, w, atol=1e-12)
    strat = pv.semivalues(additive, n_players=9, method=method, beta_params=ab, sampler="stratified",
                          n_samples=10, random_state=1, progress=False)
    np.testing.assert_allclose(strat.values, w, atol=1e-12)  # every Δ equals w_i
    if method == "shapley":
        perm = pv.semivalues(additive, n_players=9, sampler="permutation", n_samples=6, random_state=1,
                             progress=False)
        np.testing.assert_allclose(perm.values, w, atol=1e-12)
        np.testing.assert_allclose(perm.stderr, 0, atol=1e-12)


@pytest.mark.parametrize("m", METHODS)
def test_exact_matches_brute_force(m):
    method, ab = _method(m)
    g = nonlinear_game(6)
    res = pv.semivalues(g, n_players=6, method=method, beta_params=ab, sampler="exact", progress=False)
    np.testing.assert_allclose(res.values, brute_force(g, 6, method, ab), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method,sampler,ab", [
    ("shapley", "permutation", None), ("shapley", "antithetic", None), ("shapley", "stratified", None),
    ("beta", "permutation", (4, 1)), ("beta", "stratified", (16, 1)), ("banzhaf", "msr", None),
    ("banzhaf", "stratified", None),
])
def test_monte_carlo_within_reported_standard_errors(method, sampler, ab):
    n = 8
    g = nonlinear_game(n, seed=5)
    exact = pv.semivalues(g, n_players=n, method=method, beta_params=ab, sampler="exact", progress=False)
    ns = {"msr": 3000, "stratified": 60}.get(sampler, 400)
    mc = pv.semivalues(g, n_players=n, method=method, beta_params=ab, sampler=sampler, n_samples=ns,
                       random_state=7, progress=False)
    assert np.all(mc.stderr > 0) and np.all(np.isfinite(mc.stderr))
    z = np.abs(mc.values - exact.values) / mc.stderr
    assert z.max() < 4.5, z
    assert np.all(mc.counts > 0)


def test_stderr_target_and_max_time_stop_early():
    g = nonlinear_game(8, seed=2)
    res = pv.semivalues(g, n_players=8, sampler="permutation", stderr_target=0.05, random_state=0, progress=False)
    assert res.meta["stopped_by"] == "stderr_target" and res.stderr.max() <= 0.05
    with pytest.warns(RuntimeWarning, match="max_time"):
        res = pv.semivalues(g, n_players=8, sampler="permutation", n_samples=10**7, max_time=0.2,
                            random_state=0, progress=False)
    assert res.meta["stopped_by"] == "max_time" and res.counts[0] < 10**7


def test_truncation_zeroes_late_marginals():
    def sat(S):  # saturating game: once 5 players are in, the value is reached
        return float(min(len(S), 5))

    res = pv.semivalues(sat, n_players=10, sampler="permutation", truncation=1e-9, n_samples=20,
                        random_state=0, progress=False)
    np.testing.assert_allclose(res.values.sum(), 5.0)  # truncation loses nothing here
    assert res.meta["truncated_walks"] == 20 and res.meta["evaluations"] == 20 * 5


# ------------------------------------------------------------------------------------------------
# the engine on model utilities


def _logistic_utility(n=40, m=60, d=3, seed=0, **kw):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n + m, d))
    y = (X @ rng.normal(size=d) + rng.normal(size=n + m) > 0).astype(int)
    y[[0, 1, n, n + 1]] = [0, 1, 0, 1]
    return pv.ModelUtility(X[:n], y[:n], X[n:], y[n:], model="logistic", **kw)


def _ls_utility(model="ols", metric="loss", n=40, m=30, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n + m, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n + m)
    return pv.ModelUtility(X[:n], y[:n], X[n:], y[n:], model=model, metric=metric,
                           l2=0.5 if model == "ridge" else None)


@pytest.mark.parametrize("make", [
    lambda: _logistic_utility(), lambda: _logistic_utility(l2=0.05), lambda: _logistic_utility(metric="accuracy"),
    lambda: _ls_utility("ols"), lambda: _ls_utility("ridge", "r2"),
])
@pytest.mark.parametrize("truncation", [None, 0.02])
def test_engine_walks_match_direct_utility_calls(make, truncation):
    u = make()
    n = u.n_players
    perms = sv.permutations(11, n, 0, 4)
    weights = n * pv.semivalue_weights("beta", n, (4, 1))
    total = u.total_score()
    rows, ev = sv._walk(u, perms, weights, truncation, total, 1)
    ref, ev_ref = sv._walk_generic(lambda S: u(S), perms, weights, truncation, total)
    np.testing.assert_allclose(rows, ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(ev, ev_ref)


def test_engine_values_are_the_means_of_the_walks():
    u = _logistic_utility()
    res = pv.semivalues(u, n_samples=8, random_state=4, progress=False)
    perms = sv.permutations(4, u.n_players, 0, 8)
    rows, _ = sv._walk_generic(lambda S: u(S), perms, np.ones(u.n_players), None, 0.0)
    np.testing.assert_allclose(res.values, rows.mean(axis=0), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.stderr, rows.std(axis=0, ddof=1) / np.sqrt(8), rtol=1e-6, atol=1e-10)
    assert res.values.sum() == pytest.approx(u.total_score() - u.empty_score, rel=1e-9)  # efficiency


@pytest.mark.parametrize("sampler,method", [("permutation", "shapley"), ("msr", "banzhaf"),
                                            ("stratified", "beta"), ("antithetic", "shapley")])
def test_results_do_not_depend_on_n_jobs(sampler, method):
    u = _logistic_utility(n=30)
    kw = dict(method=method, sampler=sampler, n_samples=200 if sampler == "msr" else 6, random_state=9,
              progress=False)
    a = pv.semivalues(u, n_jobs=1, **kw)
    b = pv.semivalues(u, n_jobs=2, **kw)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.stderr, b.stderr)


def test_loo_is_total_minus_leave_one_out():
    u = _ls_utility("ridge", "r2", n=25)
    res = pv.semivalues(u, method="loo", progress=False)
    full = np.arange(25)
    np.testing.assert_allclose(res.values, [u(full) - u(np.delete(full, i)) for i in range(25)], rtol=1e-9,
                               atol=1e-12)
    assert res.meta["sampler"] == "exact"


def test_exact_on_a_model_utility_matches_brute_force():
    u = _logistic_utility(n=7, seed=3)
    res = pv.semivalues(u, sampler="exact", progress=False)
    np.testing.assert_allclose(res.values, brute_force(u, 7, "shapley"), rtol=1e-9, atol=1e-12)


def test_sklearn_estimator_in_parallel_matches_the_engine():
    from sklearn.linear_model import Ridge

    base = _ls_utility("ridge", n=20)
    est = pv.ModelUtility(base.X, base.y, base.X_val, base.y_val, model=Ridge(alpha=0.5))
    kw = dict(n_samples=2, random_state=1, progress=False)
    a = pv.semivalues(base, **kw)
    b = pv.semivalues(est, n_jobs=2, **kw)
    np.testing.assert_allclose(b.values, a.values, rtol=1e-8, atol=1e-12)


# ------------------------------------------------------------------------------------------------
# the result object and bad input


def test_valuation_roundtrip_ranking_frame_plot(tmp_path):
    g = nonlinear_game(6)
    res = pv.semivalues(g, n_players=6, sampler="permutation", n_samples=30, random_state=0, progress=False)
    path = tmp_path / "v.npz"
    res.save(path)
    back = pv.Valuation.load(path)
    np.testing.assert_array_equal(back.values, res.values)
    np.testing.assert_array_equal(back.stderr, res.stderr)
    np.testing.assert_array_equal(back.counts, res.counts)
    assert back.method == "shapley" and back.meta["sampler"] == "permutation"
    order = res.ranking()
    assert np.all(np.diff(res.values[order]) <= 0)
    np.testing.assert_array_equal(res.values[res.ranking(ascending=True)], np.sort(res.values))
    frame = res.to_frame()
    assert list(frame.columns) == ["value", "stderr", "count"] and len(frame) == 6
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = res.plot()
    assert len(ax.lines) + len(ax.collections) > 0


def test_bad_input_errors():
    g = nonlinear_game(5)
    kw = dict(n_players=5, progress=False)
    with pytest.raises(ValueError, match="method"):
        pv.semivalues(g, method="owen", **kw)
    with pytest.raises(ValueError, match="sampler"):
        pv.semivalues(g, sampler="kernel", **kw)
    with pytest.raises(ValueError, match="beta_params"):
        pv.semivalues(g, method="shapley", beta_params=(2, 2), **kw)
    with pytest.raises(ValueError, match="beta_params"):
        pv.semivalues(g, method="beta", beta_params=(0, 1), **kw)
    with pytest.raises(ValueError, match="truncation"):
        pv.semivalues(g, sampler="msr", truncation=0.1, **kw)
    with pytest.raises(ValueError, match="truncation"):
        pv.semivalues(g, sampler="permutation", truncation=2.0, **kw)
    with pytest.raises(ValueError, match="n_samples"):
        pv.semivalues(g, sampler="permutation", n_samples=0, **kw)
    with pytest.raises(ValueError, match="n_players"):
        pv.semivalues(g, progress=False)
    with pytest.raises(TypeError, match="utility"):
        pv.semivalues(42, n_players=3)
    with pytest.raises(ValueError, match="at most 20"):
        pv.semivalues(g, n_players=25, sampler="exact", progress=False)
    with pytest.raises(ValueError, match="returned nan"):
        pv.semivalues(lambda S: float("nan"), n_players=3, sampler="exact", progress=False)
    with pytest.raises(TypeError, match="number"):
        pv.semivalues(lambda S: "x", n_players=3, sampler="exact", progress=False)
    with pytest.raises(TypeError, match="random_state"):
        pv.semivalues(g, sampler="permutation", random_state="a", **kw)
    u = _logistic_utility(n=10)
    with pytest.raises(ValueError, match="n_players"):
        pv.semivalues(u, n_players=11)
    with pytest.raises(ValueError, match="n_jobs"):
        pv.semivalues(u, n_jobs=0, progress=False)
    with pytest.raises(ValueError, match="converge|singular"):
        pv.semivalues(_logistic_utility(n=10, l2=0.0), n_samples=2, sampler="permutation", progress=False)


def test_cli_values(tmp_path, capsys):
    from pointvalue.cli import main

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=60)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,t", comments="")
    out = tmp_path / "v.csv"
    assert main(["values", str(path), "--target", "t", "--model", "ridge", "--method", "banzhaf",
                 "--samples", "200", "--out", str(out), "--no-progress"]) == 0
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    assert table.shape == (42, 4) and np.isfinite(table).all()
    assert "banzhaf values of 42 rows" in capsys.readouterr().out
