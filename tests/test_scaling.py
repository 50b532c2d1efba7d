"""Scaling-law estimators, valuation and selection: checks against independent references."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import optimize, stats

import pointvalue as pv
from pointvalue._reference import covert_likelihood_estimator
from pointvalue.scaling import STATUS, empirical_means, power_sum

E2 = math.exp(2.0)


def simulate(n_points, m, rng, *, kmin=100, kmax=1000, noise=(0.3, 2.0), coupled=True):
    """Δ ~ Normal(c k^−α, σ² k^−β) with known truth."""
    c = rng.lognormal(-2, 1, n_points) * rng.choice([-1, 1], n_points, p=[0.15, 0.85])
    alpha = rng.uniform(0.6, 2.2, n_points)
    if coupled:
        beta = 2 * alpha + rng.uniform(-0.4, 0.4, n_points)
    else:
        beta = rng.uniform(0.5, 5.0, n_points)
    sigma = np.abs(c) * rng.uniform(*noise, n_points)
    point = np.repeat(np.arange(n_points), m)
    k = rng.integers(kmin, kmax, size=n_points * m)
    delta = c[point] * k ** -alpha[point] + sigma[point] * k ** (-beta[point] / 2) * rng.standard_normal(
        n_points * m
    )
    return pv.Contributions(point, k, delta), dict(c=c, alpha=alpha, beta=beta, sigma=sigma)


def gaussian_nll(c, alpha, sigma, beta, k, delta):
    var = sigma**2 * k ** (-beta)
    return 0.5 * np.sum(np.log(2 * np.pi * var) + (delta - c * k ** (-alpha)) ** 2 / var)


def profile(alpha, beta, k, delta):
    """Closed-form c, σ and the full NLL at (α, β) — straight from the definitions."""
    k = k.astype(float)
    c = np.mean(delta * k ** (beta - alpha)) / np.mean(k ** (beta - 2 * alpha))
    s2 = np.mean((delta - c * k ** (-alpha)) ** 2 * k**beta)
    return c, math.sqrt(s2), gaussian_nll(c, alpha, math.sqrt(s2), beta, k, delta)


def scipy_reference(k, delta, n_grid=50, n_polish=4):
    """A careful scipy fit: fine grid over the box, L-BFGS-B from the best distinct grid minima."""
    g = np.linspace(0, E2, n_grid)
    kf = k.astype(float)
    A, B = np.meshgrid(g, g, indexing="ij")
    e_b = kf ** B[..., None]
    e_a = kf ** -A[..., None]
    c = np.mean(delta * e_b * e_a, -1) / np.mean(e_b * e_a * e_a, -1)
    s2 = np.mean((delta - c[..., None] * e_a) ** 2 * e_b, -1)
    F = 0.5 * len(k) * (np.log(2 * np.pi * s2) + 1) - 0.5 * B * np.sum(np.log(kf))
    best = np.inf
    seen = []
    for t in np.argsort(F.ravel()):
        ia, ib = np.unravel_index(t, F.shape)
        if any(abs(ia - x) + abs(ib - y) <= 3 for x, y in seen):
            continue
        seen.append((ia, ib))
        res = optimize.minimize(lambda x: profile(x[0], x[1], k, delta)[2], [g[ia], g[ib]],
                                method="L-BFGS-B", bounds=[(0, E2)] * 2,
                                options=dict(ftol=1e-15, gtol=1e-10, maxiter=500))
        best = min(best, res.fun, F[ia, ib])
        if len(seen) >= n_polish:
            break
    return best


# ------------------------------------------------------------------------------------------------
# mle
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_set():
    rng = np.random.default_rng(2024)
    a, _ = simulate(40, 100, rng)
    b, _ = simulate(40, 30, rng, coupled=False, noise=(0.5, 5.0))
    c, _ = simulate(30, 15, rng, noise=(0.1, 1.0))
    off1, off2 = 40, 80
    return pv.Contributions(
        np.concatenate([a.point, b.point + off1, c.point + off2]),
        np.concatenate([a.k, b.k, c.k]),
        np.concatenate([a.delta, b.delta, c.delta]),
    )


def test_mle_reports_consistent_parameters(mixed_set):
    laws = pv.fit_scaling_laws(mixed_set, method="mle")
    assert np.all(laws.status == 0)
    assert np.all((laws.alpha >= 0) & (laws.alpha <= E2) & (laws.beta >= 0) & (laws.beta <= E2))
    for j in range(0, len(laws), 7):
        sel = mixed_set.point == laws.point[j]
        k, d = mixed_set.k[sel], mixed_set.delta[sel]
        c, s, nll = profile(laws.alpha[j], laws.beta[j], k, d)
        np.testing.assert_allclose(laws.c[j], c, rtol=1e-9)
        np.testing.assert_allclose(laws.sigma[j], s, rtol=1e-9)
        np.testing.assert_allclose(laws.nll[j], nll, rtol=1e-12, atol=1e-8)
        np.testing.assert_allclose(
            laws.nll[j], gaussian_nll(laws.c[j], laws.alpha[j], laws.sigma[j], laws.beta[j], k, d),
            rtol=1e-12, atol=1e-8)


def test_mle_no_worse_than_careful_scipy(mixed_set):
    laws = pv.fit_scaling_laws(mixed_set, method="mle")
    for j in range(0, len(laws), 3):  # 37 points, all three regimes
        sel = mixed_set.point == laws.point[j]
        ref = scipy_reference(mixed_set.k[sel], mixed_set.delta[sel])
        assert laws.nll[j] <= ref + 1e-6, (j, laws.nll[j], ref)


def test_mle_no_worse_than_the_authors_estimator(mixed_set):
    """The exact MLE over the closure of the authors' parameter space never loses to their
    local Adam search (whose objective is the mean NLL)."""
    laws = pv.fit_scaling_laws(mixed_set, method="mle")
    ref = covert_likelihood_estimator(mixed_set.point, mixed_set.k, mixed_set.delta)
    np.testing.assert_array_equal(ref["point"], laws.point)
    ref_nll = ref["nll"] * np.bincount(mixed_set.point)[ref["point"]]
    assert np.all(laws.nll <= ref_nll + 1e-6)


def test_mle_is_stationary_in_the_interior(mixed_set):
    laws = pv.fit_scaling_laws(mixed_set, method="mle")
    h = 1e-5
    for j in range(0, len(laws), 9):
        a, b = laws.alpha[j], laws.beta[j]
        if not (0.01 < a < E2 - 0.01 and 0.01 < b < E2 - 0.01):
            continue
        sel = mixed_set.point == laws.point[j]
        k, d = mixed_set.k[sel], mixed_set.delta[sel]
        f = lambda x, y: profile(x, y, k, d)[2] / len(k)  # noqa: E731
        f0 = f(a, b)
        for da, db in ((h, 0), (-h, 0), (0, h), (0, -h), (h, h), (-h, -h)):
            assert f(a + da, b + db) >= f0 - 1e-12


def test_mle_recovers_truth_at_low_noise(rng):
    contrib, truth = simulate(300, 100, rng, noise=(0.05, 0.2))
    laws = pv.fit_scaling_laws(contrib, method="mle")
    assert np.median(np.abs(laws.alpha - truth["alpha"])) < 0.02
    assert np.median(np.abs(laws.beta - truth["beta"])) < 0.2
    assert np.median(np.abs(laws.c / truth["c"] - 1)) < 0.1


def test_mle_thread_count_does_not_change_results(tmp_path):
    code = (
        "import numpy as np, pointvalue as pv, sys\n"
        "rng = np.random.default_rng(5)\n"
        "k = rng.integers(100, 1000, 4000); p = np.repeat(np.arange(200), 20)\n"
        "d = 0.3 * k ** -1.2 + 0.3 * k ** -1.1 * rng.standard_normal(4000)\n"
        "L = pv.fit_scaling_laws(pv.Contributions(p, k, d), method=\"mle\")\n"
        "np.save(sys.argv[1], np.stack([L.c, L.alpha, L.sigma, L.beta, L.nll]))\n"
    )
    out = []
    for threads in ("1", "2"):
        path = tmp_path / f"r{threads}.npy"
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env)
        out.append(np.load(path))
    assert np.array_equal(out[0], out[1])


def test_bad_points_get_status_flags_not_crashes(rng):
    good, _ = simulate(3, 50, rng)
    extra_point = np.concatenate([np.full(5, 10), np.full(6, 11), np.full(5, 12), [13]])
    extra_k = np.concatenate([np.full(5, 200), rng.integers(100, 1000, 6), rng.integers(100, 1000, 5), [300]])
    extra_d = np.concatenate([rng.standard_normal(5), np.zeros(6), [0.1, np.nan, 0.2, 0.3, 0.1], [0.5]])
    contrib = pv.Contributions(
        np.concatenate([good.point, extra_point]), np.concatenate([good.k, extra_k]),
        np.concatenate([good.delta, extra_d]))
    for method in ("mle", "log"):
        laws = pv.fit_scaling_laws(contrib, method=method)
        st = dict(zip(laws.point.tolist(), laws.status_name.tolist()))
        assert [st[i] for i in (10, 11, 12, 13)] == ["too_few_k", "all_zero", "non_finite", "too_few_k"]
        assert all(st[i] == "ok" for i in range(3))
        bad = np.isin(laws.point, [10, 12, 13])
        assert np.all(np.isnan(laws.alpha[bad])) and np.all(np.isnan(laws.c[bad]))
        assert laws.c[laws.point == 11][0] == 0.0
        assert np.all(laws.predict(500.0)[laws.point == 11] == 0.0)
        alone = pv.fit_scaling_laws(good, method=method)
        np.testing.assert_array_equal(alone.alpha, laws.alpha[:3])
    assert set(STATUS.values()) >= {"ok", "too_few_k", "all_zero", "non_finite", "not_converged"}


def test_bounds_are_respected_and_validated(mixed_set):
    laws = pv.fit_scaling_laws(mixed_set, alpha_bounds=(0.5, 1.5), beta_bounds=(1.0, 3.0), method="mle")
    assert laws.alpha.min() >= 0.5 and laws.alpha.max() <= 1.5
    assert laws.beta.min() >= 1.0 and laws.beta.max() <= 3.0
    free = pv.fit_scaling_laws(mixed_set, method="mle")
    assert np.all(laws.nll >= free.nll - 1e-6)
    with pytest.raises(ValueError, match="alpha_bounds"):
        pv.fit_scaling_laws(mixed_set, alpha_bounds=(2, 1))
    with pytest.raises(ValueError, match="method"):
        pv.fit_scaling_laws(mixed_set, method="adam")
    with pytest.raises(TypeError, match="contrib"):
        pv.fit_scaling_laws(np.zeros(3))
    with pytest.raises(ValueError, match="X"):
        pv.fit_scaling_laws(mixed_set, method="amortized")


# ------------------------------------------------------------------------------------------------
# log estimator, result class
# ------------------------------------------------------------------------------------------------


def test_log_estimator_matches_per_point_polyfit(rng):
    point = np.repeat(np.arange(6), 60)
    k = np.tile(np.repeat([100, 200, 400, 800, 1600, 3200], 10), 6)
    delta = 0.7 * k ** -1.3 * np.exp(0.3 * rng.standard_normal(len(k)))
    delta[point == 5] *= -1
    contrib = pv.Contributions(point, k, delta)
    laws = pv.fit_scaling_laws(contrib, method="log")
    for j in range(6):
        ks = np.unique(k[point == j])
        means = np.array([delta[(point == j) & (k == kk)].mean() for kk in ks])
        slope, intercept = np.polyfit(-np.log(ks), np.log(np.abs(means)), 1)
        r = np.corrcoef(-np.log(ks), np.log(np.abs(means)))[0, 1]
        np.testing.assert_allclose(laws.alpha[j], slope, rtol=1e-10)
        np.testing.assert_allclose(laws.r2[j], r * r, rtol=1e-10)
        kk = k[point == j].astype(float)
        c_ls = np.sum(delta[point == j] * kk ** -slope) / np.sum(kk ** (-2 * slope))
        np.testing.assert_allclose(laws.c[j], c_ls, rtol=1e-10)
    assert laws.c[5] < 0 and np.all(np.isnan(laws.sigma))


def test_predict_frame_and_goodness_of_fit(rng):
    contrib, truth = simulate(60, 40, rng, noise=(0.1, 0.3))
    laws = pv.fit_scaling_laws(contrib, method="mle")
    p = laws.predict(np.array([100, 500]))
    assert p.shape == (60, 2)
    np.testing.assert_allclose(p[:, 1], laws.c / 500.0**laws.alpha)
    np.testing.assert_allclose(laws.predict(300, points=[5, 2]), laws.c[[5, 2]] / 300**laws.alpha[[5, 2]])
    with pytest.raises(ValueError, match="points"):
        laws.predict(100, points=[1000])
    with pytest.raises(ValueError, match="k"):
        laws.predict(0)
    df = laws.to_frame()
    assert list(df.columns[:5]) == ["point", "c", "alpha", "sigma", "beta"] and len(df) == 60
    # held-out samples at fixed sizes, 30 repeats each
    ks = np.array([100, 300, 1000])
    hp = np.repeat(np.arange(60), 90)
    hk = np.tile(np.repeat(ks, 30), 60)
    hd = truth["c"][hp] * hk ** -truth["alpha"][hp] + 0.01 * truth["c"][hp] * hk ** -truth["alpha"][hp] * rng.standard_normal(len(hp))
    held = pv.Contributions(hp, hk, hd)
    gof = laws.goodness_of_fit(held)
    assert list(gof["k"]) == [100, 300, 1000] and list(gof["n_points"]) == [60, 60, 60]
    emp = np.array([hd[(hp == j) & (hk == 300)].mean() for j in range(60)])
    pred = laws.c / 300.0**laws.alpha
    np.testing.assert_allclose(gof["r2"][1], 1 - np.sum((emp - pred) ** 2) / np.sum((emp - emp.mean()) ** 2))
    np.testing.assert_allclose(gof["spearman"][1], stats.spearmanr(emp, pred)[0])
    np.testing.assert_allclose(gof["pearson"][1], stats.pearsonr(emp, pred)[0])
    assert gof["overall"]["n"] == 180 and gof["overall"]["r2"] > 0.9


def test_plot_returns_a_savable_figure(rng, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    contrib, _ = simulate(40, 50, rng, noise=(0.1, 0.5))
    laws = pv.fit_scaling_laws(contrib, method="mle")
    fig = laws.plot(held_out=contrib)
    assert len(fig.axes) == 3
    fig.savefig(tmp_path / "fig1.png", dpi=60)
    assert (tmp_path / "fig1.png").stat().st_size > 1000


def test_empirical_means_brute_force(rng):
    p = rng.integers(0, 5, 300)
    k = rng.integers(1, 8, 300)
    d = rng.standard_normal(300)
    gp, gk, gm, gn = empirical_means(pv.Contributions(p, k, d))
    for a, b, m, n in zip(gp, gk, gm, gn):
        sel = (p == a) & (k == b)
        assert n == sel.sum() and np.isclose(m, d[sel].mean())
    assert len(gp) == len(set(zip(p.tolist(), k.tolist())))


# ------------------------------------------------------------------------------------------------
# valuation, selection
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lo,hi", [(1, 1), (1, 30), (3, 200), (100, 1000), (49, 51), (500, 100000)])
def test_power_sum_matches_brute_force(lo, hi):
    alpha = np.array([0.0, 0.3, 0.999999, 1.0, 1.000001, 1.5, 2.0, 3.7, E2, 15.0])
    ks = np.arange(lo, hi + 1, dtype=float)
    brute = np.array([np.sum(ks**-a) for a in alpha])
    np.testing.assert_allclose(power_sum(alpha, lo, hi), brute, rtol=1e-12)


def test_distributional_values_brute_force(rng):
    contrib, _ = simulate(30, 30, rng)
    laws = pv.fit_scaling_laws(contrib, method="mle")
    v = pv.distributional_values(laws, sizes=(100, 1000))
    ks = np.arange(100, 1001, dtype=float)
    brute = np.array([np.mean(c / ks**a) for c, a in zip(laws.c, laws.alpha)])
    np.testing.assert_allclose(v, brute, rtol=1e-11)
    np.testing.assert_allclose(pv.distributional_values(laws, sizes=(7, 7)), laws.c / 7.0**laws.alpha, rtol=1e-12)
    with pytest.raises(ValueError, match="sizes"):
        pv.distributional_values(laws, sizes=(10, 5))
    with pytest.raises(TypeError, match="laws"):
        pv.distributional_values(contrib)


def test_select_points_by_size_and_class(rng):
    n = 40
    pts = np.arange(n) * 3  # pool indices need not be contiguous
    c = rng.lognormal(0, 1, n)
    alpha = rng.uniform(0.5, 2.0, n)
    laws = pv.ScalingLaws(pts, c, alpha, np.ones(n), np.ones(n), np.zeros(n), np.ones(n),
                          np.zeros(n, np.int8), np.full(n, 10), "mle", alpha_se=np.full(n, 0.1))
    for k in (10, 1000):
        score = c / k**alpha
        np.testing.assert_array_equal(pv.select_points(laws, k, 7), pts[np.argsort(-score)[:7]])
    labels = np.zeros(3 * n, dtype=int)
    labels[pts[:10]] = 1  # 10 of 40 candidates are class 1
    sel = pv.select_points(laws, 100, 8, labels=labels)
    assert len(sel) == 8 and np.sum(labels[sel] == 1) == 2
    score = c / 100**alpha
    for cls, quota in ((0, 6), (1, 2)):
        members = pts[labels[pts] == cls]
        best = members[np.argsort(-score[np.searchsorted(pts, members)])[:quota]]
        assert set(sel[labels[sel] == cls]) == set(best)
    unbalanced = pv.select_points(laws, 100, 8, labels=labels, balance=False)
    np.testing.assert_array_equal(unbalanced, pv.select_points(laws, 100, 8))
    with pytest.raises(ValueError, match="budget"):
        pv.select_points(laws, 100, n + 1)
    with pytest.raises(ValueError, match="k"):
        pv.select_points(laws, 0, 3)


def test_select_points_skips_unreliable_laws_unless_asked(rng):
    n = 30
    c = rng.lognormal(0, 1, n)
    alpha_se = np.full(n, 0.1)
    best = int(np.argmax(c))
    alpha_se[best] = 2.0  # the top law is too uncertain to trust
    laws = pv.ScalingLaws(np.arange(n), c, np.ones(n), np.ones(n), np.ones(n), np.zeros(n), np.ones(n),
                          np.zeros(n, np.int8), np.full(n, 10), "mle", alpha_se=alpha_se)
    assert not laws.reliable()[best] and laws.reliable().sum() == n - 1
    assert best not in pv.select_points(laws, 100, 5)
    assert pv.select_points(laws, 100, 5, reliable_only=False)[0] == best
    with pytest.raises(ValueError, match="reliable"):
        pv.select_points(laws, 100, n)


# ------------------------------------------------------------------------------------------------
# amortized
# ------------------------------------------------------------------------------------------------


def test_amortized_beats_per_point_mle_at_10_samples():
    rng = np.random.default_rng(11)
    n, m = 800, 10
    X = rng.standard_normal((n, 3))
    y = (X[:, 2] > 0).astype(int)
    alpha = 1.3 + 0.4 * np.tanh(X[:, 0]) + 0.2 * y
    c = np.exp(-2 + 0.5 * X[:, 1])
    point = np.repeat(np.arange(n), m)
    k = rng.integers(100, 1000, size=n * m)
    d = c[point] * k ** -alpha[point] * (1 + rng.standard_normal(n * m))
    contrib = pv.Contributions(point, k, d)
    am = pv.fit_scaling_laws(contrib, "amortized", X=X, y=y, random_state=0)
    mle = pv.fit_scaling_laws(contrib, "mle")
    err_am = np.median(np.abs(am.alpha - alpha))
    err_mle = np.median(np.abs(mle.alpha - alpha))
    assert err_am < 0.5 * err_mle, (err_am, err_mle)
    assert err_am < 0.15
    assert am.info["n_classes"] == 2 and am.info["epochs"] < 300
    assert np.all(am.status == 0)
    assert np.median(np.abs(np.log(am.c / c))) < 0.5
    # the reported NLL is the Gaussian NLL of the reported parameters
    j = 3
    sel = point == j
    np.testing.assert_allclose(am.nll[j], gaussian_nll(am.c[j], am.alpha[j], am.sigma[j], am.beta[j], k[sel], d[sel]))
    # deterministic for a seed
    again = pv.fit_scaling_laws(contrib, "amortized", X=X, y=y, random_state=0)
    np.testing.assert_array_equal(am.alpha, again.alpha)


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------


def test_cli_scaling_writes_a_report(tmp_path, rng):
    from pointvalue.cli import main

    n, d = 400, 4
    X = rng.standard_normal((n, d))
    yv = X @ np.array([1.0, -0.5, 0.2, 0.0]) + 0.5 * rng.standard_normal(n)
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([X, yv]), delimiter=",", header="a,b,c,d,target", comments="")
    out = tmp_path / "rep"
    rc = main([
        "scaling", str(path), "--target", "target", "--model", "ols", "--points", "25",
        "--samples", "20", "--sizes", "20", "150", "--heldout-samples", "0", "--out", str(out),
        "--no-progress",
    ])
    assert rc == 0
    for name in ("laws.csv", "summary.md", "figure1.png", "contributions.npz", "pool_rows.csv"):
        assert (out / name).exists(), name
    rows = np.genfromtxt(out / "laws.csv", delimiter=",", names=True, dtype=None, encoding=None)
    assert len(rows) == 25
    laws = pv.fit_scaling_laws(pv.Contributions.load(out / "contributions.npz"), sizes=(20, 149))
    np.testing.assert_allclose(rows["alpha"], laws.alpha)
    np.testing.assert_allclose(rows["value"], pv.distributional_values(laws, sizes=(20, 149)))
    with pytest.raises(SystemExit):
        main(["scaling", str(path), "--target", "nope", "--out", str(out)])


def test_cli_demo_small_run(tmp_path):
    pytest.importorskip("sklearn")
    from pointvalue.cli import main

    out = tmp_path / "demo"
    rc = main(["demo", "--out", str(out), "--points", "12", "--samples", "8", "--heldout-samples", "2",
               "--no-progress"])
    assert rc == 0
    text = (out / "summary.md").read_text()
    assert "held-out check" in text and "α quantiles" in text
    assert (out / "figure1.png").stat().st_size > 1000


def test_alpha_standard_errors_match_the_observed_information(mixed_set, rng):
    laws = pv.fit_scaling_laws(mixed_set, method="mle")
    h = 1e-4
    checked = 0
    for j in range(0, len(laws), 5):
        a, b = laws.alpha[j], laws.beta[j]
        if not (0.05 < a < E2 - 0.05 and 0.05 < b < E2 - 0.05) or not np.isfinite(laws.alpha_se[j]):
            continue
        sel = mixed_set.point == laws.point[j]
        k, d = mixed_set.k[sel], mixed_set.delta[sel]
        f = lambda x, y: profile(x, y, k, d)[2]  # noqa: E731
        H = np.array([
            [f(a + h, b) - 2 * f(a, b) + f(a - h, b),
             (f(a + h, b + h) - f(a + h, b - h) - f(a - h, b + h) + f(a - h, b - h)) / 4],
            [0, f(a, b + h) - 2 * f(a, b) + f(a, b - h)]]) / h**2
        H[1, 0] = H[0, 1]
        cov = np.linalg.inv(H)
        np.testing.assert_allclose(laws.alpha_se[j], np.sqrt(cov[0, 0]), rtol=2e-3)
        np.testing.assert_allclose(laws.beta_se[j], np.sqrt(cov[1, 1]), rtol=2e-3)
        checked += 1
    assert checked >= 5
    # coverage on simulated data: |α̂ − α| / se ≲ 2 for most points
    contrib, truth = simulate(400, 100, rng, noise=(0.1, 0.5))
    laws = pv.fit_scaling_laws(contrib, method="mle")
    z = np.abs(laws.alpha - truth["alpha"]) / laws.alpha_se
    assert 0.85 < np.mean(z[np.isfinite(z)] < 1.96) < 0.99


def test_cli_demo_falls_back_to_generated_data_without_sklearn(tmp_path, monkeypatch, capsys):
    from pointvalue import _cli_demo

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    X, y, desc = _cli_demo.load_data(None, 0)
    assert "generated" in desc and X.shape == (1800, 20) and set(np.unique(y)) == {0, 1}
    with pytest.raises(SystemExit, match="scikit-learn"):
        _cli_demo.load_data("digits", 0)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1.0, 1e150, 1e200])
def test_mle_is_scale_equivariant(scale, rng):
    contrib, _ = simulate(20, 40, rng)
    base = pv.fit_scaling_laws(contrib, method="mle")
    scaled = pv.fit_scaling_laws(pv.Contributions(contrib.point, contrib.k, contrib.delta * scale), method="mle")
    assert np.all(scaled.status == 0)
    np.testing.assert_allclose(scaled.alpha, base.alpha, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(scaled.beta, base.beta, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(scaled.c / scale, base.c, rtol=1e-8)
    np.testing.assert_allclose(scaled.sigma / scale, base.sigma, rtol=1e-8)
    np.testing.assert_allclose(scaled.nll, base.nll + 40 * np.log(scale), rtol=1e-10, atol=1e-8)


def test_exact_fits_have_no_standard_error():
    k = np.arange(100, 140)
    laws = pv.fit_scaling_laws(pv.Contributions(np.zeros(40, int), k, 3.0 * k**-1.5), method="mle")
    assert laws.status[0] == 0 and abs(laws.alpha[0] - 1.5) < 1e-6 and abs(laws.c[0] - 3.0) < 1e-5
    assert np.isnan(laws.alpha_se[0])


def test_grouped_statistics_match_scipy(rng):
    from pointvalue._scaling_data import _grouped_r2_pearson, _grouped_ranks

    g = rng.integers(0, 6, 400)
    e = np.round(rng.standard_normal(400), 1)  # ties on purpose
    p = e + rng.standard_normal(400)
    r2, pe = _grouped_r2_pearson(g, e, p, 6)
    sp = _grouped_r2_pearson(g, _grouped_ranks(g, e), _grouped_ranks(g, p), 6)[1]
    for j in range(6):
        s = g == j
        np.testing.assert_allclose(r2[j], 1 - np.sum((e[s] - p[s]) ** 2) / np.sum((e[s] - e[s].mean()) ** 2))
        np.testing.assert_allclose(pe[j], stats.pearsonr(e[s], p[s])[0])
        np.testing.assert_allclose(sp[j], stats.spearmanr(e[s], p[s])[0])
        np.testing.assert_allclose(_grouped_ranks(g, e)[s], stats.rankdata(e[s]))


def test_semivalue_weights_over_the_law_range(rng):
    n = 6
    c, alpha = rng.lognormal(0, 1, n), rng.uniform(0.5, 2.0, n)
    laws = pv.ScalingLaws(np.arange(n), c, alpha, np.ones(n), np.ones(n), np.zeros(n), np.ones(n),
                          np.zeros(n, np.int8), np.full(n, 10), "mle")
    ks = np.arange(100, 201)
    psi = c[:, None] * ks[None].astype(float) ** -alpha[:, None]
    np.testing.assert_allclose(pv.distributional_values(laws, (100, 200), weights="shapley", n_players=500),
                               psi.mean(1), rtol=1e-10)
    np.testing.assert_allclose(pv.distributional_values(laws, (100, 200), weights="shapley"),
                               psi.mean(1), rtol=1e-10)
    from scipy.stats import binom
    q = binom.pmf(ks, 499, 0.5)
    np.testing.assert_allclose(pv.distributional_values(laws, (100, 200), weights="banzhaf", n_players=500),
                               psi @ (q / q.sum()), rtol=1e-9)
    with pytest.raises(TypeError, match="n_players"):
        pv.distributional_values(laws, (100, 200), weights="beta")
    with pytest.raises(ValueError, match="weights"):
        pv.distributional_values(laws, (100, 200), weights="owen")
