"""Leverage-score cases: ``pv.leverage_scores`` (exact) against the numpy routes users write today,
a thin QR and the fastest one, Cholesky of XᵀX and a triangular solve (which fails when X is
ill-conditioned; see ``bench/bench_leverage.py``)."""

from __future__ import annotations

import functools

import numpy as np
import scipy.linalg as sl

from ._harness import Case, Impl

SIZES = {"tiny": (500, 5), "quick": (50_000, 20), "full": (200_000, 50)}


def numpy_qr(X):
    Q, _ = np.linalg.qr(X)
    return np.einsum("ij,ij->i", Q, Q)


def numpy_cholesky(X):
    L = np.linalg.cholesky(X.T @ X)
    Z = sl.solve_triangular(L, X.T, lower=True, check_finite=False)
    return np.einsum("ij,ij->j", Z, Z)


def tall_data(n, d, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


def ill_conditioned_data(n, d, condition=1e8, seed=1):
    """X = U diag(s) Vᵀ with singular values from 1 to 1/condition; returns X and its exact leverage."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = (U * np.logspace(0, -np.log10(condition), d)) @ V.T
    return X, np.einsum("ij,ij->i", U, U)


IMPLS = {"numpy_cholesky": numpy_cholesky, "numpy_qr": numpy_qr}


def cases(scale: str, threads: int = 2) -> list:
    n, d = SIZES[scale]

    def prepare():
        from . import _api as pv

        X = tall_data(n, d)
        expected = numpy_qr(X)

        def check(h):
            np.testing.assert_allclose(h, expected, rtol=1e-8, atol=1e-13)

        return [Impl("pointvalue", lambda: pv.leverage_scores(X), ours=True, check=check)] + [
            Impl(name, functools.partial(f, X), check=check) for name, f in IMPLS.items()]

    return [Case(f"leverage/exact-{n}x{d}", "leverage", f"exact leverage scores of a {n:,} × {d} matrix",
                 prepare, {"n": n, "d": d})]
