"""The dataset-level law ``L(k) = ε + c k^−α``: exactness against brute force and the authors' port."""

import math

import numpy as np
import pytest
from scipy import optimize, stats

import pointvalue as pv
from pointvalue._reference import covert_aggregate_estimator

E2 = math.exp(2.0)
SIZES = np.geomspace(100, 1000, 10)
TRUTH = dict(eps=0.2, c=3.0, alpha=0.5, sigma=0.5, beta=1.2)


def simulate(rng, reps=20, sizes=SIZES, eps=0.2, c=3.0, alpha=0.5, sigma=0.5, beta=1.2):
    k = np.repeat(sizes, reps)
    loss = eps + c * k**-alpha + sigma * k ** (-beta / 2) * rng.standard_normal(k.size)
    return k, loss


def full_nll(eps, c, alpha, sigma, beta, k, loss, w=None):
    """Total NLL straight from the definition (scipy's normal log-density)."""
    w = np.ones_like(k) if w is None else w
    sd = sigma * k ** (-beta / 2)
    return -float(np.sum(w * stats.norm.logpdf(loss, eps + c * k**-alpha, sd)))


def brute_profile(alpha, beta, k, loss):
    """For each (α, β) of a grid: the constrained WLS (ε, c) by batched 2×2 solves, then the
    clamp and c re-solved, σ² closed form and the NLL; independent of the module's algebra."""
    A, B = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    X1 = k[None, :] ** -A.ravel()[:, None]
    w = k[None, :] ** B.ravel()[:, None]
    M = np.stack([np.stack([w.sum(1), (w * X1).sum(1)], -1),
                  np.stack([(w * X1).sum(1), (w * X1 * X1).sum(1)], -1)], -2)
    rhs = np.stack([(w * loss).sum(1), (w * X1 * loss).sum(1)], -1)
    sol = np.linalg.solve(M, rhs[..., None])[..., 0]
    eps = np.clip(sol[:, 0], 0, loss.min())
    c = np.where(eps == sol[:, 0], sol[:, 1],
                 (w * X1 * (loss - eps[:, None])).sum(1) / (w * X1 * X1).sum(1))
    r = loss - eps[:, None] - c[:, None] * X1
    s2 = np.mean(r * r * w, 1)
    sd = np.sqrt(s2)[:, None] * k[None, :] ** (-B.ravel()[:, None] / 2)
    nll = -stats.norm.logpdf(r, 0, sd).sum(1)
    return nll.reshape(A.shape)


def test_exact_recovery_on_noiseless_data():
    k = np.geomspace(50, 5000, 12)
    for eps, c, alpha in [(0.1, 2.0, 0.7), (0.0, 5.0, 0.3), (0.35, 0.8, 1.6)]:
        law = pv.fit_aggregate_law(k, eps + c * k**-alpha)
        assert law.alpha == pytest.approx(alpha, rel=1e-6)
        assert law.c == pytest.approx(c, rel=1e-5)
        assert law.eps == pytest.approx(eps, abs=1e-7)
        np.testing.assert_allclose(law.predict(k), eps + c * k**-alpha, rtol=1e-9)


def test_nll_at_most_fine_brute_force_grid_and_authors_port():
    rng = np.random.default_rng(0)
    ag = np.geomspace(0.01, E2, 160)
    bg = np.linspace(0, E2, 160)
    A, B = np.meshgrid(ag, bg, indexing="ij")
    for rep in range(4):
        k, loss = simulate(rng, reps=3 + 3 * rep, alpha=0.3 + 0.3 * rep, beta=0.5 + 0.8 * rep)
        law = pv.fit_aggregate_law(k, loss)
        # the reported NLL is the NLL of the reported parameters
        assert law.nll == pytest.approx(full_nll(law.eps, law.c, law.alpha, law.sigma, law.beta,
                                                 k, loss), rel=1e-10, abs=1e-9)
        grid_best = brute_profile(A, B, k, loss).min()
        assert law.nll <= grid_best + 1e-9
        ref = covert_aggregate_estimator(k, loss)
        assert law.nll / len(k) <= ref["nll"] + 1e-12
        # and the polish is a stationary point: no descent direction inside the box
        for da, db in [(1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4)]:
            a, b = law.alpha + da, law.beta + db
            if 0.01 <= a <= E2 and 0 <= b <= E2:
                assert brute_profile(a, b, k, loss)[()] >= law.nll - 1e-9


def test_constrained_eps_c_is_exact_at_fixed_alpha_beta():
    """The 2-variable problem with 0 ≤ ε ≤ min(loss) against scipy's bounded optimizer, on data
    whose unconstrained ε lies below 0, inside, and above min(loss)."""
    from pointvalue.aggregate import _Groups

    k = SIZES
    cases = {
        "lower": 1.0 * k**-0.3 - 0.05,  # extrapolates below zero
        "inside": 0.2 + 2.0 * k**-0.6,
        "upper": np.array([1.0, 0.9, 0.85, 0.83, 0.82, 0.815, 0.81, 0.81, 0.805, 0.5]),
    }
    for name, loss in cases.items():
        g = _Groups(k, loss, np.ones_like(k))
        for alpha, beta in [(0.3, 0.0), (0.6, 1.0), (2.0, 3.0)]:
            eps, c, sigma, nll, hit = g.profile(alpha, beta)
            kt = k / g.k0
            x, w = kt**-alpha, kt**beta

            def sse(p):
                return float(np.sum(w * (loss - p[0] - p[1] * x) ** 2))

            best = min((optimize.minimize(sse, [e0, 0.0], method="L-BFGS-B",
                                          bounds=[(0, loss.min()), (None, None)],
                                          options={"ftol": 1e-16, "gtol": 1e-12})
                        for e0 in (0.0, loss.min() / 2, loss.min())), key=lambda r: r.fun)
            assert sse([eps, c]) <= best.fun * (1 + 1e-9) + 1e-15
            assert 0 <= eps <= loss.min()
            if name == "lower" and alpha == 0.3:
                assert hit and eps == 0.0
            if name == "upper" and alpha == 2.0:
                assert hit and eps == loss.min()


def test_eps_clamp_at_zero():
    k = SIZES
    loss = 1.0 * k**-0.3 - 0.02  # the unconstrained asymptote is negative
    law = pv.fit_aggregate_law(k, loss)
    assert law.eps == 0.0 and law.eps_at_bound == "lower"
    # the best law with ε = 0 fixed, by brute force over (α, β): no better than ours
    A, B = np.meshgrid(np.geomspace(0.01, E2, 120), np.linspace(0, E2, 120), indexing="ij")
    assert law.nll <= brute_profile(A, B, k, loss).min() + 1e-9
    assert np.all(law.predict(np.geomspace(10, 1e6, 7)) > 0)


def test_sample_weight_equals_repeating_observations():
    rng = np.random.default_rng(1)
    k, loss = simulate(rng, reps=2)
    w = rng.integers(0, 4, size=k.size)
    w[:3] = 1
    a = pv.fit_aggregate_law(k, loss, sample_weight=w)
    b = pv.fit_aggregate_law(np.repeat(k, w), np.repeat(loss, w))
    for name in ("eps", "c", "alpha", "sigma", "beta", "nll", "alpha_se", "eps_se"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-6, abs=1e-10), name


def test_covariance_is_the_inverse_of_a_numeric_hessian():
    rng = np.random.default_rng(2)
    k, loss = simulate(rng, reps=10)
    law = pv.fit_aggregate_law(k, loss)
    assert law.eps_at_bound is None
    theta = np.array([law.eps, law.c, law.alpha, law.beta, law.sigma])

    def f(t):
        return full_nll(t[0], t[1], t[2], t[4], t[3], k, loss)

    h = 1e-3 * np.sqrt(np.diag(law.cov))  # steps on the scale of each parameter's uncertainty
    H = np.empty((5, 5))
    for i in range(5):
        for j in range(5):
            ei, ej = np.eye(5)[i] * h[i], np.eye(5)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                       + f(theta - ei - ej)) / (4 * h[i] * h[j])
    # (ε, c, α) are strongly correlated, so compare the information, scaled to unit diagonal
    info = np.linalg.inv(law.cov)
    scale = np.sqrt(np.outer(np.diag(H), np.diag(H)))
    np.testing.assert_allclose(info / scale, H / scale, rtol=0, atol=2e-5)


def test_standard_errors_cover_at_the_nominal_rate():
    rng = np.random.default_rng(3)
    z = stats.norm.ppf(0.95)
    n_rep = 200
    hits = {"alpha": 0, "eps": 0}
    for _ in range(n_rep):
        law = pv.fit_aggregate_law(*simulate(rng, reps=20))
        hits["alpha"] += abs(law.alpha - TRUTH["alpha"]) <= z * law.alpha_se
        hits["eps"] += abs(law.eps - TRUTH["eps"]) <= z * law.eps_se
    # nominal 90%; binomial sd at n = 200 is 2.1 points
    for name, h in hits.items():
        assert 0.84 <= h / n_rep <= 0.96, (name, h / n_rep)


def test_predict_gain_and_frames():
    rng = np.random.default_rng(4)
    k, loss = simulate(rng, reps=5)
    law = pv.fit_aggregate_law(k, loss)
    kk = np.array([10.0, 300.0, 5000.0])
    np.testing.assert_allclose(law.predict(kk), law.eps + law.c * kk**-law.alpha, rtol=1e-14)
    np.testing.assert_allclose(law.marginal_gain(kk), law.predict(kk) - law.predict(kk + 1),
                               rtol=1e-9)
    assert isinstance(law.predict(300), float)
    mean, std = law.predict(kk, return_std=True)
    # delta method against a numeric gradient of the mean in (ε, c, α)
    th = np.array([law.eps, law.c, law.alpha])
    g = np.stack([(np.array(th + e)[0] + (th + e)[1] * kk ** -(th + e)[2]
                   - (np.array(th - e)[0] + (th - e)[1] * kk ** -(th - e)[2])) / (2 * e.max())
                  for e in np.eye(3) * 1e-6], -1)
    np.testing.assert_allclose(std, np.sqrt(np.einsum("ni,ij,nj->n", g, law.cov[:3, :3], g)),
                               rtol=1e-5)
    d = law.to_dict()
    assert d["alpha"] == law.alpha and d["alpha_se"] == law.alpha_se and d["n_obs"] == len(k)
    frame = law.to_frame()
    assert list(frame.index) == ["eps", "c", "alpha", "beta", "sigma"]
    assert frame.loc["alpha", "std_err"] == law.alpha_se
    assert "alpha=" in repr(law)


def test_plot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(5)
    law = pv.fit_aggregate_law(*simulate(rng, reps=5))
    ax = law.plot()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ε (irreducible" in t for t in labels) and any("band" in t for t in labels)
    curve = next(line for line in ax.get_lines() if line.get_label().startswith("ε + c"))
    xs, ys = curve.get_data()
    np.testing.assert_allclose(ys, law.predict(xs), rtol=1e-12)
    plt.close(ax.figure)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(k=[1, 2, 3], loss=[1, 2]), ValueError, "loss must have the length"),
        (dict(k=[0, 2, 3, 4], loss=[1, 2, 3, 4]), ValueError, "k must hold positive"),
        (dict(k=[1, 2, 3, 4], loss=[1, -2, 3, 4]), ValueError, "loss must be non-negative"),
        (dict(k=[1, 2, 3, 4], loss=[1, np.nan, 3, 4]), ValueError, "loss contains NaN"),
        (dict(k=[1, 1, 2, 2], loss=[1, 2, 3, 4]), ValueError, "at least 3 distinct"),
        (dict(k=[1, 2, 3, 4], loss=[1, 1, 1, 1]), ValueError, "loss is constant"),
        (dict(k=[[1, 2, 3, 4]], loss=[1, 2, 3, 4]), ValueError, "k must be 1-D"),
        (dict(k=["a", "b", "c"], loss=[1, 2, 3]), TypeError, "k must be a real"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], sample_weight=[1, -1, 1, 1]), ValueError,
         "sample_weight must be non-negative"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], sample_weight=[1, 1]), ValueError,
         "sample_weight must have the length"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], sample_weight=[1, 1, 0, 0]), ValueError,
         "at least 3 distinct"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], alpha_bounds=(0, 2)), ValueError, "alpha_bounds"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], beta_bounds=(2, 1)), ValueError, "beta_bounds"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], grid=(2, 10)), ValueError, "grid"),
        (dict(k=[1, 2, 3, 4], loss=[4, 3, 2, 1], n_starts=0), ValueError, "n_starts"),
    ],
)
def test_bad_input(kwargs, exc, match):
    k = kwargs.pop("k")
    loss = kwargs.pop("loss")
    with pytest.raises(exc, match=match):
        pv.fit_aggregate_law(k, loss, **kwargs)
    law_pred = pv.fit_aggregate_law(SIZES, 0.1 + SIZES**-0.5)
    with pytest.raises(ValueError, match="k must be positive"):
        law_pred.predict([-1.0])
