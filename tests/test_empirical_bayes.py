"""The empirical-Bayes scaling-law estimator (the default of fit_scaling_laws)."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import pointvalue as pv
from pointvalue import _core
from pointvalue._empirical_bayes import lattice, make_grid, normal_prior, npmle_prior


def simulate(rng, n_points, m, *, noise=(0.3, 1.0), alpha=(0.8, 1.6)):
    c = rng.lognormal(-2, 0.5, n_points)
    a = rng.uniform(*alpha, n_points)
    b = 2 * a + rng.uniform(-0.3, 0.3, n_points)
    u = rng.uniform(*noise, n_points)
    point = np.repeat(np.arange(n_points), m)
    k = rng.integers(100, 1000, n_points * m)
    sd = c[point] * u[point] * (k / 316.0) ** (-b[point] / 2) * 316.0 ** -a[point]
    d = c[point] * k ** -a[point] + sd * rng.standard_normal(len(k))
    return pv.Contributions(point, k, d), {"c": c, "alpha": a, "beta": b}


def offsets_of(point):
    return np.concatenate([[0], np.cumsum(np.bincount(point))]).astype(np.int64)


def test_marginal_likelihood_matches_numerical_integration():
    """log p(Δ | α, β) with v (flat) and log σ (flat) integrated out: the kernel's closed form
    against scipy's double quadrature, compared as differences between nodes."""
    rng = np.random.default_rng(0)
    k = rng.integers(100, 1000, 7).astype(float)
    d = 0.4 * k**-1.1 * (1 + 0.5 * rng.standard_normal(7))
    grid = make_grid(k, (100, 999))
    res = _core.powerlaw.posterior(np.array([0, 7]), np.log(k), d, grid, None, True)
    lm = res.log_marginal[0]
    X = lattice(grid)
    u = np.log(k / grid.k_ref)
    scale = np.max(np.abs(d))

    def log_integral(a, b):
        x, w = np.exp(-a * u), np.exp(b * u)
        dd = d / scale
        vhat = np.sum(w * x * dd) / np.sum(w * x * x)
        spread = math.sqrt(np.sum(w * (dd - vhat * x) ** 2) / np.sum(w * x * x))

        def f(logs, v):
            s2 = math.exp(2 * logs)
            return math.exp(np.sum(-0.5 * w * (dd - v * x) ** 2 / s2 - 0.5 * np.log(s2 / w) - 0.5 * math.log(2 * math.pi)) + 40)

        val, _ = integrate.dblquad(f, vhat - 60 * spread, vhat + 60 * spread, -12, 3, epsabs=0, epsrel=1e-9)
        return math.log(val) - 40

    nodes = [int(np.argmin(np.abs(X[:, 0] - a) + np.abs(X[:, 1] - b))) for a, b in ((1.0, 2.0), (0.5, 0.8), (2.0, 3.0))]
    ref = [log_integral(*X[t]) for t in nodes]
    np.testing.assert_allclose([lm[t] - lm[nodes[0]] for t in nodes], [r - ref[0] for r in ref], atol=1e-6)


def test_posterior_moments_match_a_direct_grid_computation():
    rng = np.random.default_rng(1)
    contrib, _ = simulate(rng, 20, 15)
    grid = make_grid(contrib.k, (100, 999))
    offsets = offsets_of(contrib.point)
    logk = np.log(contrib.k.astype(float))
    log_prior = -0.5 * ((lattice(grid)[:, 0] - 1.2) ** 2 / 0.3 + (lattice(grid)[:, 1] - 2.4) ** 2)
    res = _core.powerlaw.posterior(offsets, logk, contrib.delta, grid, log_prior, False)
    X = lattice(grid)
    ks = np.arange(100, 1000)
    for j in (0, 7, 19):
        sl = slice(offsets[j], offsets[j + 1])
        kk, d = contrib.k[sl].astype(float), contrib.delta[sl]
        n = len(kk)
        u = np.log(kk / grid.k_ref)
        lml, vals, var = [], [], []
        for a, b in X:
            x, w = np.exp(-a * u), np.exp(b * u)
            sxx = np.sum(w * x * x)
            v = np.sum(w * x * d) / sxx
            rss = np.sum(w * (d - v * x) ** 2)
            lml.append(0.5 * np.sum(b * u) - 0.5 * np.log(sxx) - 0.5 * (n - 1) * np.log(rss))
            A = np.mean((ks / grid.k_ref) ** -a)
            vals.append(v * A)
            # Student-t with n − 1 dof and scale² rss / ((n − 1) sxx)
            var.append(stats.t(n - 1, scale=math.sqrt(rss / ((n - 1) * sxx))).var() * A * A)
        lp = np.array(lml) + log_prior
        p = np.exp(lp - lp.max())
        p /= p.sum()
        vals, var = np.array(vals), np.array(var)
        mean = p @ vals
        np.testing.assert_allclose(res.value_mean[j], mean, rtol=1e-9)
        np.testing.assert_allclose(res.value_sd[j], math.sqrt(p @ (var + vals**2) - mean**2), rtol=1e-8)
        np.testing.assert_allclose(res.alpha_mean[j], p @ X[:, 0], rtol=1e-9)
        t = int(np.argmax(lp))
        assert res.alpha[j] == pytest.approx(X[t, 0]) and res.beta[j] == pytest.approx(X[t, 1])


def test_recovers_simulated_laws():
    rng = np.random.default_rng(2)
    contrib, truth = simulate(rng, 400, 100, noise=(0.1, 0.3))
    laws = pv.fit_scaling_laws(contrib)
    assert laws.method == "eb" and np.all(laws.status == 0)
    assert np.median(np.abs(laws.alpha - truth["alpha"])) < 0.08
    # c = v·k_ref^α magnifies the lattice's α resolution (0.1); ψ inside the range does not
    psi = laws.predict(316.0)
    assert np.median(np.abs(psi / (truth["c"] * 316.0 ** -truth["alpha"]) - 1)) < 0.05
    assert laws.reliable().mean() > 0.95
    mu, cov = laws.info["prior_mean"], laws.info["prior_cov"]
    assert abs(mu[0] - 1.2) < 0.1 and abs(math.sqrt(cov[0, 0]) - 0.8 / math.sqrt(12)) < 0.07


def test_tends_to_the_maximum_likelihood_as_samples_grow():
    rng = np.random.default_rng(3)
    gaps = []
    for m in (20, 2000):
        contrib, _ = simulate(rng, 40, m)
        eb = pv.fit_scaling_laws(contrib)
        mle = pv.fit_scaling_laws(contrib, method="mle")
        gaps.append(np.median(np.abs(eb.alpha - mle.alpha)))
    assert gaps[1] < 0.06  # the lattice step is 0.1
    assert gaps[1] < gaps[0]


def test_value_intervals_cover_at_the_nominal_rate():
    """Laws drawn from a normal population of (α, β): the 90% posterior intervals of the
    distributional value cover the truth about 90% of the time."""
    rng = np.random.default_rng(4)
    n, m = 1500, 25
    a = rng.normal(1.2, 0.25, n)
    b = rng.normal(2.4, 0.4, n)
    v = rng.normal(0.0, 1.0, n)
    point = np.repeat(np.arange(n), m)
    k = rng.integers(100, 1000, n * m)
    kr = math.sqrt(100 * 999)
    d = v[point] * (k / kr) ** -a[point] + 0.8 * (k / kr) ** (-b[point] / 2) * rng.standard_normal(n * m)
    laws = pv.fit_scaling_laws(pv.Contributions(point, k, d), sizes=(100, 999))
    truth = v * np.mean((np.arange(100, 1000)[None] / kr) ** -a[:, None], axis=1)
    z = (laws.value_mean - truth) / laws.value_se
    assert 0.86 < np.mean(np.abs(z) < 1.6449) < 0.94


def test_pure_noise_points_are_flagged_unreliable():
    rng = np.random.default_rng(5)
    contrib, _ = simulate(rng, 200, 50, noise=(0.05, 0.2))
    noise = pv.Contributions(np.repeat(np.arange(200, 260), 50), rng.integers(100, 1000, 60 * 50),
                             1e-3 * rng.standard_normal(60 * 50))
    both = pv.Contributions(np.concatenate([contrib.point, noise.point]), np.concatenate([contrib.k, noise.k]),
                            np.concatenate([contrib.delta, noise.delta]))
    laws = pv.fit_scaling_laws(both)
    rel = laws.reliable()
    assert rel[:200].mean() > 0.95 and rel[200:].mean() < 0.3
    chosen = pv.select_points(laws, 500, 20)
    assert np.all(chosen < 200)


def test_status_codes_and_nan_policy():
    k = np.array([100, 100, 100, 200, 300, 400, 500, 600, 700, 800], dtype=np.int64)
    point = np.repeat([0, 1, 2], [3, 4, 3])
    delta = np.concatenate([[1.0, 2.0, 3.0], np.zeros(4), [1.0, np.nan, 2.0]])
    laws = pv.fit_scaling_laws(pv.Contributions(point, k, delta))
    assert list(laws.status_name) == ["too_few_k", "all_zero", "non_finite"]
    assert np.isnan(laws.alpha[0]) and laws.c[1] == 0 and np.isnan(laws.c[2])
    assert not laws.reliable().any()


def test_prior_learning_on_a_subsample_is_seeded():
    rng = np.random.default_rng(6)
    contrib, _ = simulate(rng, 300, 20)
    a = pv.fit_scaling_laws(contrib, max_prior_points=100, random_state=1)
    b = pv.fit_scaling_laws(contrib, max_prior_points=100, random_state=1)
    np.testing.assert_array_equal(a.alpha, b.alpha)
    np.testing.assert_array_equal(a.value_se, b.value_se)
    full = pv.fit_scaling_laws(contrib)
    assert np.median(np.abs(a.alpha - full.alpha)) <= 0.1 + 1e-12  # a 100-point prior is close


def test_npmle_prior_maximizes_the_marginal_likelihood():
    rng = np.random.default_rng(7)
    contrib, _ = simulate(rng, 200, 30)
    grid = make_grid(contrib.k, (100, 999))
    res = _core.powerlaw.posterior(offsets_of(contrib.point), np.log(contrib.k.astype(float)), contrib.delta,
                                   grid, None, True)
    L = np.exp(res.log_marginal - res.log_marginal.max(1, keepdims=True))
    loglik = lambda lp: np.mean(np.log(L @ np.exp(lp)))  # noqa: E731
    npm = npmle_prior(res.log_marginal)
    norm_lp, _ = normal_prior(res.log_marginal, grid)
    norm_lp = norm_lp - np.log(np.exp(norm_lp).sum())
    assert loglik(npm) >= loglik(norm_lp) - 1e-6
    assert loglik(npm) >= loglik(np.full(grid.size, -np.log(grid.size)))


def test_bad_arguments():
    contrib, _ = simulate(np.random.default_rng(8), 5, 10)
    with pytest.raises(ValueError, match="prior"):
        pv.fit_scaling_laws(contrib, prior="flat")
    with pytest.raises((TypeError, ValueError), match="sizes"):
        pv.fit_scaling_laws(contrib, sizes=(500, 100))
    g = _core.powerlaw.PowerLawGrid()
    g.alpha_step = 0.0
    with pytest.raises(ValueError, match="grid"):
        _core.powerlaw.posterior(np.array([0, 10]), np.log(contrib.k[:10].astype(float)), contrib.delta[:10], g)
