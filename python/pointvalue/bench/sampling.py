"""Subsampling cases: ``pv.inclusion_probabilities`` against a numpy sort + bisection reference,
and ``InfluenceSampler(approx="exact")`` end to end against the same algorithm written with numpy
(lstsq pilot, Gram + inverse, row norms, bisection probabilities, Poisson draw, weighted lstsq)."""

from __future__ import annotations

import numpy as np

from ._harness import Case, Impl

SIZES = {"tiny": (5_000, 5, 500), "quick": (200_000, 20, 2_000), "full": (1_000_000, 50, 10_000)}


def make_data(n, d, seed=0):
    """X filled in row chunks (no temporary of the full size) and y = Xβ + 1 + ε."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    y = np.empty(n)
    beta = rng.standard_normal(d)
    for r0 in range(0, n, 20_000):
        r1 = min(n, r0 + 20_000)
        X[r0:r1] = rng.standard_normal((r1 - r0, d))
        X[r0:r1][rng.random(r1 - r0) < 0.05] *= 5.0
        y[r0:r1] = X[r0:r1] @ beta + 1.0 + rng.standard_normal(r1 - r0)
    return X, y


def numpy_probabilities(s, size, a):
    """clip(λ s, a, 1) with Σ = size: λ by bisection (numpy reference)."""
    lo, hi = 0.0, 1.0
    while np.clip(hi * s, a, 1).sum() < size:
        hi *= 2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.clip(mid * s, a, 1).sum() < size:
            lo = mid
        else:
            hi = mid
    return np.clip(hi * s, a, 1)


def numpy_exact_scores(X, y, coef, intercept):
    """|r_i| ‖Σ⁻¹ x̃_i‖ with Σ = [X 1]ᵀ[X 1], without materializing [X 1]."""
    n, d = X.shape
    r = y - X @ coef - intercept
    S = np.empty((d + 1, d + 1))
    S[:d, :d] = X.T @ X
    S[:d, d] = S[d, :d] = X.sum(axis=0)
    S[d, d] = n
    M = np.linalg.inv(S)
    Z = X @ M[:d] + M[d]
    return np.abs(r) * np.sqrt(np.einsum("ij,ij->i", Z, Z))


def numpy_exact_pipeline(X, y, size, seed=0):
    """The exact algorithm with numpy/scipy building blocks (the peer users would write)."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    p = max(10 * (d + 1), size // 4)
    pilot = np.sort(rng.choice(n, p, replace=False))
    Dp = np.column_stack([X[pilot], np.ones(p)])
    b = np.linalg.lstsq(Dp, y[pilot], rcond=None)[0]
    s = numpy_exact_scores(X, y, b[:-1], b[-1])
    rest = np.ones(n, bool)
    rest[pilot] = False
    pi = numpy_probabilities(s[rest], size, 0.1 * size / (n - p))
    u = rng.random(n - p)
    idx = np.flatnonzero(u < pi)
    w = 1 / pi[idx]
    rows = np.flatnonzero(rest)[idx]
    Ds = np.column_stack([X[rows], np.ones(len(idx))]) * np.sqrt(w)[:, None]
    return np.linalg.lstsq(Ds, y[rows] * np.sqrt(w), rcond=None)[0]


def cases(scale: str, threads: int = 2) -> list:
    n, d, size = SIZES[scale]

    def prepare_probabilities():
        from . import _api as pv

        s = np.random.default_rng(1).lognormal(0, 2, n)
        a = 0.1 * size / n
        ref = numpy_probabilities(s, size, a)

        def check(pi):
            np.testing.assert_allclose(pi, ref, rtol=1e-6)

        return [Impl("pointvalue", lambda: pv.inclusion_probabilities(s, size, min_prob=a), ours=True, check=check),
                Impl("numpy_bisection", lambda: numpy_probabilities(s, size, a), note="60 bisection steps")]

    def prepare_sampler():
        from . import _api as pv

        X, y = make_data(n, d)
        full = np.linalg.lstsq(np.c_[X, np.ones(n)], y, rcond=None)[0]
        # the scores both pipelines sample by agree before anything is timed
        np.testing.assert_allclose(pv.subsampling_scores(X, y, full[:-1], full[-1], approx="exact"),
                                   numpy_exact_scores(X, y, full[:-1], full[-1]), rtol=1e-8)
        # a weighted refit on ~size rows: its coefficients are near the full fit's (noise σ = 1)
        tol = 8 / np.sqrt(size)

        def ours():
            s = pv.InfluenceSampler(size=size, approx="exact", random_state=0).fit(X, y)
            return np.r_[s.coef_, s.intercept_]

        def check(coef):
            np.testing.assert_allclose(coef, full, rtol=0, atol=tol)

        return [Impl("pointvalue", ours, ours=True, check=check),
                Impl("numpy_pipeline", lambda: numpy_exact_pipeline(X, y, size), check=check,
                     note="lstsq pilot, inverse Gram, bisection, weighted lstsq")]

    return [
        Case(f"sampling/probabilities-{n}", "sampling", f"inclusion probabilities of {n:,} scores, size {size:,}",
             prepare_probabilities, {"n": n, "size": size}),
        Case(f"sampling/exact-sampler-{n}x{d}", "sampling",
             f"InfluenceSampler(exact) end to end, {n:,} × {d}, size {size:,}", prepare_sampler,
             {"n": n, "d": d, "size": size}),
    ]
