"""Scaling-law cases: ``pv.fit_scaling_laws(method="mle")`` against the faithful numpy port of the
authors' estimator (``pointvalue._reference.covert_likelihood_estimator``: Adam on (log α, log β),
c and σ in closed form, 1000 steps, patience 100), vectorized over points, on the same samples.

The check: our total NLL is at most the reference's (its best iterate) + 1e-6 for every point,
since both minimize the same likelihood over the same box (α, β ≤ e²).
"""

from __future__ import annotations

import numpy as np

from ._harness import Case, Impl

SIZES = {"tiny": (40, 30), "quick": (300, 100), "full": (5_000, 100)}


def simulate(n_points, m, seed=0, kmin=100, kmax=1000, noise=(0.3, 2.0)):
    """Δ ~ Normal(c k^−α, σ² k^−β), k uniform on [kmin, kmax) as the reference draws it.

    Returns ``(Contributions, truth)`` with the true c, α, β, σ per point.
    """
    from . import _api as pv

    rng = np.random.default_rng(seed)
    c = rng.lognormal(-2, 1, n_points) * rng.choice([-1, 1], n_points, p=[0.15, 0.85])
    alpha = rng.uniform(0.6, 2.2, n_points)
    beta = 2 * alpha + rng.uniform(-0.4, 0.4, n_points)
    sigma = np.abs(c) * rng.uniform(noise[0], noise[1], n_points)
    point = np.repeat(np.arange(n_points, dtype=np.int64), m)
    k = rng.integers(kmin, kmax, size=n_points * m)
    delta = c[point] * k ** -alpha[point] + sigma[point] * k ** (-beta[point] / 2) * rng.standard_normal(len(k))
    return pv.Contributions(point, k, delta), dict(c=c, alpha=alpha, beta=beta, sigma=sigma)


def check_nll_not_worse(laws, ref, n_samples):
    """Our total NLL ≤ the reference's best mean NLL × samples + 1e-6, point by point."""
    np.testing.assert_array_equal(laws.point, ref["point"])
    worse = laws.nll > ref["nll"] * n_samples + 1e-6
    assert not worse.any(), f"{worse.sum()} of {len(worse)} points have a higher NLL than the reference"


def cases(scale: str, threads: int = 2) -> list:
    n, m = SIZES[scale]

    def prepare():
        from .._reference import covert_likelihood_estimator
        from . import _api as pv

        contrib, _ = simulate(n, m)
        ref = covert_likelihood_estimator(contrib.point, contrib.k, contrib.delta)
        counts = np.bincount(contrib.point)[ref["point"]]
        return [Impl("pointvalue", lambda: pv.fit_scaling_laws(contrib, method="mle"), ours=True,
                     check=lambda laws: check_nll_not_worse(laws, ref, counts)),
                Impl("reference_adam", lambda: covert_likelihood_estimator(contrib.point, contrib.k, contrib.delta),
                     note="faithful numpy port of the authors' LikelihoodEstimator, vectorized over points")]

    def prepare_file():
        import atexit
        import os
        import shutil
        import tempfile

        from .._reference import covert_likelihood_estimator
        from ..reference_io import write_reference_samples
        from . import _api as pv

        contrib, _ = simulate(n, m, seed=1)
        folder = tempfile.mkdtemp(prefix="pointvalue-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "mc_combined-inds=-1-min=100-max=1000-model=logreg.npy")
        write_reference_samples(path, contrib.delta.reshape(n, m), contrib.k.reshape(n, m))

        def ours():
            c = pv.Contributions.from_reference(path, allow_pickle=True)
            return pv.fit_scaling_laws(c, method="mle")

        def reference():
            # what scaling_likelihood.py does with the file, with the per-row loop vectorized
            res = np.load(path, allow_pickle=True).item()
            rows, draws = res["samples"].shape
            return covert_likelihood_estimator(np.repeat(np.arange(rows), draws), res["cards"].ravel(),
                                               res["samples"].ravel())

        ref = reference()
        return [Impl("pointvalue", ours, ours=True, check=lambda laws: check_nll_not_worse(laws, ref, m)),
                Impl("reference_adam", reference, note="np.load + the port of LikelihoodEstimator")]

    return [Case(f"powerlaw/mle-{n}x{m}", "powerlaw",
                 f"scaling laws (MLE) of {n:,} points × {m} samples vs the authors' estimator", prepare,
                 {"points": n, "samples": m}),
            Case(f"powerlaw/reference-file-{n}x{m}", "powerlaw",
                 f"laws of a {n:,} × {m} samples file in the reference pipeline's format, read and fitted",
                 prepare_file, {"points": n, "samples": m})]
