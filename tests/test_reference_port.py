"""The faithful port of the authors' estimators behaves as their code does (start, clamps,
early stopping, best iterate), and its vectorization matches a plain per-point transcription."""

import math

import numpy as np
import pytest

from pointvalue._reference import (
    covert_aggregate_estimator,
    covert_likelihood_estimator,
    covert_log_estimator,
)


def closed_form(alpha, beta, k, d):
    k = k.astype(float)
    c = np.mean(d * k ** (beta - alpha)) / np.mean(k ** (beta - 2 * alpha))
    sigma = math.sqrt(np.mean((d - c * k**-alpha) ** 2 * k**beta))
    std = sigma * k ** (-beta / 2)
    nll = np.mean(0.5 * np.log(2 * np.pi) + np.log(std) + 0.5 * ((d - c * k**-alpha) / std) ** 2)
    return c, sigma, nll


def profile_gradient(la, lb, k, d):
    """d(mean NLL)/d(log α, log β) at the closed-form c, σ (envelope theorem), per point."""
    a, b = math.exp(la), math.exp(lb)
    k = k.astype(float)
    c, s, _ = closed_form(a, b, k, d)
    r = d - c * k**-a
    q = r * r * k**b / s**2
    return np.array([a * np.mean(r * k**b * c * np.log(k) * k**-a) / s**2,
                     b * np.mean(0.5 * np.log(k) * (q - 1))])


def scalar_port(k, d, lr=0.05, num_steps=1000, patience=100):
    """One point, one step at a time, transcribed from the authors' loop (no code shared with
    the vectorized port)."""
    la, lb = 0.0, math.log(2.0)
    m = np.zeros(2)
    v = np.zeros(2)
    best, best_nll, bad, steps = None, math.inf, 0, 0
    for t in range(1, num_steps + 1):
        c, s, nll = closed_form(math.exp(la), math.exp(lb), k, d)
        steps += 1
        if nll < best_nll:
            best_nll, best, bad = nll, (c, math.exp(la), s, math.exp(lb)), 0
        else:
            bad += 1
            if bad >= patience:
                break
        g = profile_gradient(la, lb, k, d)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        la, lb = min(la - step[0], 2.0), min(lb - step[1], 2.0)
    return best, best_nll, steps


def test_profile_gradient_is_the_total_derivative():
    """PyTorch differentiates through the closed-form c and σ; at their optimum those terms
    vanish, so the partial derivatives used by the port are the total ones (finite differences)."""
    rng = np.random.default_rng(7)
    point, k, d = simulate(rng, 1, 40)
    f = lambda x, y: closed_form(math.exp(x), math.exp(y), k, d)[2]  # noqa: E731
    h = 1e-5
    for la, lb in ((0.0, math.log(2.0)), (0.3, 1.1), (-0.7, 0.0)):
        fd = [(f(la + h, lb) - f(la - h, lb)) / (2 * h), (f(la, lb + h) - f(la, lb - h)) / (2 * h)]
        np.testing.assert_allclose(profile_gradient(la, lb, k, d), fd, rtol=1e-6, atol=1e-10)


def simulate(rng, n_points, m, alpha=(0.6, 2.0)):
    c = rng.lognormal(-2, 1, n_points) * rng.choice([-1, 1], n_points, p=[0.2, 0.8])
    a = rng.uniform(*alpha, n_points)
    b = 2 * a + rng.uniform(-0.5, 0.5, n_points)
    sigma = np.abs(c) * rng.uniform(0.3, 3.0, n_points)
    point = np.repeat(np.arange(n_points), m)
    k = rng.integers(100, 1000, n_points * m)
    d = c[point] * k ** -a[point] + sigma[point] * k ** (-b[point] / 2) * rng.standard_normal(len(k))
    return point, k, d


def test_first_step_is_the_closed_form_at_the_start():
    rng = np.random.default_rng(0)
    point, k, d = simulate(rng, 5, 30)
    out = covert_likelihood_estimator(point, k, d, num_steps=1)
    np.testing.assert_array_equal(out["alpha"], 1.0)
    np.testing.assert_allclose(out["beta"], 2.0, rtol=1e-15)
    for j in range(5):
        c, s, nll = closed_form(1.0, 2.0, k[point == j], d[point == j])
        np.testing.assert_allclose([out["c"][j], out["sigma"][j], out["nll"][j]], [c, s, nll], rtol=1e-10)


def test_vectorized_port_matches_a_per_point_transcription():
    rng = np.random.default_rng(1)
    point, k, d = simulate(rng, 6, 25)
    # Unequal sample counts exercise the padding.
    keep = ~((point == 2) & (np.arange(len(point)) % 25 >= 11))
    point, k, d = point[keep], k[keep], d[keep]
    # Over the first 60 steps the trajectories agree closely; over a full run the strict
    # "improved?" test on a plateau at rounding level can flip, so only the result is compared.
    for num_steps, rtol in ((60, 1e-9), (1000, 1e-6)):
        out = covert_likelihood_estimator(point, k, d, num_steps=num_steps)
        for j in range(6):
            sel = point == j
            (c, a, s, b), nll, steps = scalar_port(k[sel], d[sel], num_steps=num_steps)
            if num_steps == 60:
                assert out["n_steps"][j] == steps
            np.testing.assert_allclose([out["c"][j], out["alpha"][j], out["sigma"][j], out["beta"][j]],
                                       [c, a, s, b], rtol=rtol)
            np.testing.assert_allclose(out["nll"][j], nll, rtol=rtol * 1e-3)


def test_early_stop_comes_exactly_patience_steps_after_the_best():
    rng = np.random.default_rng(2)
    point, k, d = simulate(rng, 40, 20)
    out = covert_likelihood_estimator(point, k, d)
    stopped = out["n_steps"] < 1000
    assert stopped.any()
    for j in np.flatnonzero(stopped)[:5]:
        sel = point == j
        # The best iterate was seen 100 evaluations before the stop: rerun to just that step.
        at_best = covert_likelihood_estimator(point[sel], k[sel], d[sel],
                                              num_steps=int(out["n_steps"][j]) - 100)
        np.testing.assert_allclose(at_best["nll"][0], out["nll"][j], rtol=1e-12)
        assert at_best["n_steps"][0] == out["n_steps"][j] - 100


def test_clamp_caps_the_exponents_at_e_squared():
    rng = np.random.default_rng(3)
    k = rng.integers(100, 1000, 200)
    d = 1e6 * k**-9.0 * (1 + 0.01 * rng.standard_normal(200))  # a steeper law than the clamp allows
    out = covert_likelihood_estimator(np.zeros(200), k, d)
    assert out["alpha"][0] == pytest.approx(math.exp(2.0), rel=1e-12)
    assert out["beta"][0] <= math.exp(2.0) * (1 + 1e-12)


def test_best_iterate_is_returned_and_is_consistent():
    rng = np.random.default_rng(4)
    point, k, d = simulate(rng, 30, 15)
    out = covert_likelihood_estimator(point, k, d)
    start = covert_likelihood_estimator(point, k, d, num_steps=1)
    assert np.all(out["nll"] <= start["nll"])
    for j in range(0, 30, 6):
        sel = point == j
        c, s, nll = closed_form(out["alpha"][j], out["beta"][j], k[sel], d[sel])
        np.testing.assert_allclose([out["c"][j], out["sigma"][j], out["nll"][j]], [c, s, nll], rtol=1e-9)


def test_float32_mode_runs_in_float32_and_lands_close():
    rng = np.random.default_rng(5)
    point, k, d = simulate(rng, 10, 50)
    o64 = covert_likelihood_estimator(point, k, d)
    o32 = covert_likelihood_estimator(point, k, d, dtype=np.float32)
    assert np.median(np.abs(o32["alpha"] - o64["alpha"])) < 0.05


def test_log_estimator_recovers_an_exact_law():
    k = np.repeat(np.arange(100, 1000, 100), 3)
    out = covert_log_estimator(np.zeros(len(k)), k, 2.5 * k**-1.3)
    np.testing.assert_allclose([out["alpha"][0], out["c"][0], out["r2"][0]], [1.3, 2.5, 1.0], rtol=1e-7)


def test_aggregate_estimator_fits_a_noiseless_curve_and_respects_the_eps_clamp():
    k = np.geomspace(100, 10_000, 12)
    err = 0.05 + 3.0 * k**-0.5
    out = covert_aggregate_estimator(k, err, num_steps=300)
    assert 0 <= out["eps"] <= err.min() - 1e-6
    fit = out["eps"] + out["c"] * k ** -out["alpha"]
    assert np.max(np.abs(fit - err) / err) < 0.05
