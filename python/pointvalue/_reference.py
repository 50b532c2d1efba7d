"""numpy port of the scaling-laws paper's reference estimator, kept for comparisons.

The tests and the benchmarks both check the ``mle`` kernel against it (same NLL or better), so it
lives in one place. Not public API.
"""

from __future__ import annotations

import numpy as np


def adam_reference(contrib, steps=1000, lr=0.05):
    """The reference code's estimator, vectorized over points in numpy: Adam on (c, log α, log σ,
    log β) of the full Gaussian NLL, log α and log β clamped to ≤ 2."""
    order, pts = np.argsort(contrib.point, kind="stable"), np.unique(contrib.point)
    seg = np.searchsorted(pts, contrib.point[order])
    k = contrib.k[order].astype(float)
    d = contrib.delta[order]
    n = np.bincount(seg)
    lk = np.log(k)
    # Start like the reference: c from the mean Δ scaled to k = 1 at α = 1, unit exponents.
    c0 = np.bincount(seg, weights=d * k) / n
    theta = np.stack([c0, np.zeros_like(c0), np.log(np.sqrt(np.bincount(seg, weights=d * d * k * k) / n)),
                      np.zeros_like(c0)], axis=1)
    scale = np.abs(c0) + 1e-12
    theta[:, 0] /= scale
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    best = np.full(len(pts), np.inf)
    for t in range(1, steps + 1):
        c = theta[:, 0] * scale
        la, ls, lb = np.minimum(theta[:, 1], 2), theta[:, 2], np.minimum(theta[:, 3], 2)
        a, b = np.exp(la), np.exp(lb)
        mk = np.exp(-a[seg] * lk)
        w = np.exp(b[seg] * lk - 2 * ls[seg])
        r = d - c[seg] * mk
        q = r * r * w
        nll = np.bincount(seg, weights=0.5 * np.log(2 * np.pi) + ls[seg] - 0.5 * b[seg] * lk + 0.5 * q)
        best = np.minimum(best, nll)
        g = np.stack([
            np.bincount(seg, weights=-r * w * mk) * scale,
            np.bincount(seg, weights=r * w * c[seg] * lk * mk) * a * (theta[:, 1] < 2),
            np.bincount(seg, weights=1 - q),
            np.bincount(seg, weights=0.5 * lk * (q - 1)) * b * (theta[:, 3] < 2),
        ], axis=1) / n[:, None]
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.999 * m2 + 0.001 * g * g
        theta -= lr * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
    return best
