"""Semivalue cases, registered only when ``pv.semivalues`` exists (issue 11's API).

Exact Shapley values of a small weighted voting game (a cooperative game with a callable utility)
against a numpy enumeration of all coalitions with the Shapley weights.
"""

from __future__ import annotations

import math

import numpy as np

from ._harness import Case, Impl

SIZES = {"tiny": 8, "quick": 12, "full": 14}


def available() -> bool:
    from . import _api as pv

    return pv.has_semivalues()


def voting_game(weights, quota):
    """u(S) = 1 when the weights of S reach the quota (a game with a known Shapley sum of 1)."""
    weights = np.asarray(weights, float)

    def utility(indices):
        return float(weights[np.asarray(indices, dtype=np.int64)].sum() >= quota)

    return utility


def numpy_shapley(weights, quota):
    """Exact Shapley values by enumerating every coalition as a bit mask (2^n of them)."""
    n = len(weights)
    masks = np.arange(1 << n)
    bits = (masks[:, None] >> np.arange(n)) & 1
    u = (bits @ weights >= quota).astype(float)
    size = bits.sum(1)
    w = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    values = np.empty(n)
    for i in range(n):
        without = bits[:, i] == 0
        values[i] = np.sum(w[size[without]] * (u[masks[without] | (1 << i)] - u[without]))
    return values


def cases(scale: str, threads: int = 2) -> list:
    if not available():
        return []
    n = SIZES[scale]

    def prepare():
        from . import _api as pv

        weights = np.random.default_rng(0).integers(1, 10, n).astype(float)
        quota = weights.sum() / 2
        ref = numpy_shapley(weights, quota)
        game = voting_game(weights, quota)

        def ours():
            res = pv.semivalues(game, n_players=n, method="shapley", sampler="exact", progress=False)
            return np.asarray(getattr(res, "values", res))

        return [Impl("pointvalue", ours, ours=True, check=lambda v: np.testing.assert_allclose(v, ref, atol=1e-12)),
                Impl("numpy_enumeration", lambda: numpy_shapley(weights, quota), note="all 2^n coalitions")]

    return [Case(f"semivalues/shapley-exact-voting-{n}", "semivalues",
                 f"exact Shapley values of a {n}-player weighted voting game", prepare, {"players": n})]
