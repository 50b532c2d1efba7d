"""``pointvalue demo``: the main job on bundled, generated data."""

from __future__ import annotations

import time

import numpy as np


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the pipeline on synthetic data and print what it finds",
        description="Demonstrate the fast Walsh–Hadamard transform and leverage scores on synthetic "
        "data (no network needed).",
    )
    p.add_argument("--rows", type=int, default=200_000, help="rows of the synthetic design (default 200000)")
    p.add_argument("--cols", type=int, default=50, help="columns of the synthetic design (default 50)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def run(args) -> int:
    import pointvalue as pv

    rng = np.random.default_rng(args.seed)
    n, d = args.rows, args.cols
    print(f"pointvalue demo: kernels {pv.config()['isa_variant']}, OpenMP threads {pv.config()['max_threads']}")
    x = rng.standard_normal(1 << 20)
    t0 = time.perf_counter()
    y = pv.fwht(x, normalized=True)
    t1 = time.perf_counter()
    print(f"fwht of 2^20 float64: {1e3 * (t1 - t0):.1f} ms, orthonormal: ‖Hx‖/‖x‖ = {np.linalg.norm(y) / np.linalg.norm(x):.12f}")
    X = rng.standard_normal((n, d))
    heavy = rng.random(n) < 0.05
    X[heavy] *= 10.0
    t0 = time.perf_counter()
    h = pv.leverage_scores(X)
    t1 = time.perf_counter()
    hs = pv.leverage_scores(X, method="sketch", random_state=args.seed)
    t2 = time.perf_counter()
    rel = np.abs(hs - h) / h
    print(f"exact leverage of {n} × {d}: {1e3 * (t1 - t0):.0f} ms, sum = {h.sum():.6f} (rank {d})")
    print(f"sketched leverage: {1e3 * (t2 - t1):.0f} ms, median relative error {np.median(rel):.3f}")
    print(f"mean leverage of the 5% high-scale rows: {h[heavy].mean():.2e} vs others {h[~heavy].mean():.2e}")
    return 0
