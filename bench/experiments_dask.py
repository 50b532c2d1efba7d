"""Out-of-core influence subsampling on Dask at the paper's large scale (Ting & Brochu 2018, Figure 4
right: RSEI, 9.6M rows × 111 features, quantile regression with the diagonal approximation).

The RSEI table is not available here; ``generate`` writes a synthetic table of the same shape as one
``.npy`` file (float64, the response in the last column: 9.6M × 112 × 8 B ≈ 8.6 GB), block by block
(the generator holds one block of rows), from a well-specified heteroscedastic, heavy-tailed linear
model, so that the population τ-quantile coefficients are known in closed form:

    x_0 ~ Exp(1) (drives the noise scale), x_1..x_10 ~ t_3 (heavy tails), x_11..x_100 Gaussian with
    5 shared latent factors and column scales 0.1…10, x_101..x_110 ~ Bernoulli(0.1) (indicators);
    y = 1 + xᵀβ + (1 + ½ x_0)·ε,  ε ~ t_3,
    so Q_τ(y | x) = (1 + q_τ) + xᵀ(β + ½ q_τ e_0) with q_τ the τ-quantile of t_3.

``run`` subsamples it out of core with ``InfluenceSampler(model="quantile", approx="diag", size=…)``
on a ``LocalCluster`` (worker processes, one thread each, a memory limit per worker far below the
table), 1 and 2 workers, and reports the wall time of ``fit``, the peak RSS of every worker process
(psutil, sampled every 0.1 s), the coefficient error ‖θ̂ − θ‖²/‖θ‖² against (a) the population
coefficients above and (b) a reference fit on a large uniform subsample (``--reference-rows``, fitted
in memory with ``fit_glm(model="quantile")``: the exact full-data LP on 8.6 GB does not fit in this
machine's memory), and the same for uniform sampling of the same expected size, and tries
``approx="lowrank"`` (the paper's diagonal + low-rank Walsh–Hadamard sketch).

Run (the table stays outside the repository):
  python bench/experiments_dask.py generate --rows 9600000 --out /work/bigdata/rsei_like.npy
  python bench/experiments_dask.py run --data /work/bigdata/rsei_like.npy --workers 1 2 \\
      --memory-limit 1GB --json bench/figures/dask_experiments.json
Needs the dask extra: pip install "pointvalue[dask]".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per worker process: the workers are the parallelism

HERE = Path(__file__).resolve().parent
N_T, N_BIN, N_FACTORS = 10, 10, 5
T_DOF = 3
# name → (scores, approx) of InfluenceSampler
DESIGNS = {"diag": ("influence", "diag"), "lowrank": ("influence", "lowrank"), "exact": ("influence", "exact"),
           "uniform": ("uniform", "exact")}


# ------------------------------------------------------------------------------------------------
# the synthetic table


def coefficients(d, seed=0):
    """β of the generating model: N(0, 1) with a third set to zero (sparse effects)."""
    rng = np.random.default_rng([seed, 1])
    beta = rng.standard_normal(d)
    beta[rng.random(d) < 1 / 3] = 0.0
    return beta


def quantile_truth(d, tau, seed=0):
    """(intercept, coefficients) of the population τ-quantile Q_τ(y | x) of the generating model."""
    from scipy.stats import t

    q = t.ppf(tau, T_DOF)
    beta = coefficients(d, seed).copy()
    beta[0] += 0.5 * q
    return 1.0 + q, beta


def _block(rows, d, seed, k, loadings, scales, beta):
    rng = np.random.default_rng([seed, 2, k])
    X = np.empty((rows, d + 1))
    X[:, 0] = rng.exponential(1.0, rows)
    X[:, 1:1 + N_T] = rng.standard_t(T_DOF, (rows, N_T))
    g = slice(1 + N_T, d - N_BIN)
    n_gauss = g.stop - g.start
    X[:, g] = (rng.standard_normal((rows, n_gauss)) + rng.standard_normal((rows, N_FACTORS)) @ loadings) * scales
    X[:, d - N_BIN:d] = rng.random((rows, N_BIN)) < 0.1
    eps = rng.standard_t(T_DOF, rows)
    X[:, d] = 1.0 + X[:, :d] @ beta + (1.0 + 0.5 * X[:, 0]) * eps
    return X


def generate(path, n, d, seed=0, block_rows=100_000):
    """Write the (n, d + 1) table to `path` (.npy) block by block; returns the seconds taken."""
    rng = np.random.default_rng([seed, 3])
    n_gauss = d - N_BIN - 1 - N_T
    loadings = 0.5 * rng.standard_normal((N_FACTORS, n_gauss))
    scales = np.logspace(-1, 1, n_gauss)
    beta = coefficients(d, seed)
    t0 = time.perf_counter()
    tmp = f"{path}.partial"
    with open(tmp, "wb") as f:
        np.lib.format.write_array_header_2_0(f, {"descr": "<f8", "fortran_order": False, "shape": (n, d + 1)})
        for k, r0 in enumerate(range(0, n, block_rows)):
            _block(min(block_rows, n - r0), d, seed, k, loadings, scales, beta).tofile(f)
    os.replace(tmp, path)
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------
# memory of the worker processes


class PeakRSS:
    """Peak resident set size of given processes, sampled every `interval` seconds in a thread."""

    def __init__(self, pids, interval=0.1):
        import psutil

        self.procs = {pid: psutil.Process(pid) for pid in pids}
        self.peak = dict.fromkeys(pids, 0)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            for pid, p in self.procs.items():
                with contextlib.suppress(Exception):  # a worker restarted by its nanny
                    self.peak[pid] = max(self.peak[pid], p.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------------------
# the runs


def rel_error(intercept, coef, ref_intercept, ref_coef):
    theta = np.concatenate([[intercept], coef])
    ref = np.concatenate([[ref_intercept], ref_coef])
    return float(np.sum((theta - ref) ** 2) / np.sum(ref ** 2))


def reference_fit(table, rows, tau, seed):
    """Quantile fit (in memory) on `rows` uniformly drawn rows; returns (intercept, coef, seconds)."""
    import pointvalue as pv

    n = table.X.shape[0]
    idx = np.sort(np.random.default_rng([seed, 4]).choice(n, rows, replace=False))
    t0 = time.perf_counter()
    X, y, _ = table.take(idx)
    fit = pv.fit_glm(X, y, model="quantile", tau=tau, n_jobs=-1)
    return float(fit.intercept), np.asarray(fit.coef), time.perf_counter() - t0


def one_fit(table, pids, scores, approx, size, tau, seed):
    import pointvalue as pv

    sampler = pv.InfluenceSampler(model="quantile", tau=tau, size=size, scores=scores, approx=approx,
                                  random_state=seed, n_jobs=1)
    with PeakRSS(pids) as mem:
        t0 = time.perf_counter()
        try:
            sampler.fit(table.X, table.y)
        except NotImplementedError as e:
            return {"scores": scores, "approx": approx, "seed": seed, "error": f"NotImplementedError: {e}"}
        wall = time.perf_counter() - t0
    return {"scores": scores, "approx": approx, "seed": seed, "size": size, "wall_s": wall,
            "peak_rss_mb": sorted(v / 2**20 for v in mem.peak.values()),
            "n_sample": int(len(sampler.indices_)), "intercept": sampler.intercept_, "coef": sampler.coef_.tolist()}


def run(args):
    from distributed import Client, LocalCluster

    from pointvalue._cli_subsample_dask import read_chunked

    out = {"data": args.data, "tau": args.tau, "size": args.size, "memory_limit": args.memory_limit,
           "runs": [], "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    table = read_chunked(args.data, "-1", args.chunk_rows)
    n, d = table.X.shape
    out.update(n=n, d=d, n_chunks=table.n_chunks, chunk_rows=int(max(table.X.chunks[0])),
               file_gb=os.path.getsize(args.data) / 1e9)
    truth_b0, truth = quantile_truth(d, args.tau)
    designs = [DESIGNS[name] for name in args.designs]
    for workers in args.workers:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          memory_limit=args.memory_limit, dashboard_address=None) as cluster, Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
            if args.reference_rows and "reference" not in out:
                b0, b, secs = reference_fit(table, args.reference_rows, args.tau, 0)
                out["reference"] = {"rows": args.reference_rows, "seconds": secs, "intercept": b0, "coef": b.tolist(),
                                    "err_vs_truth": rel_error(b0, b, truth_b0, truth)}
                print(f"reference: {args.reference_rows} uniform rows, {secs:.1f} s, "
                      f"err vs truth {out['reference']['err_vs_truth']:.3g}", flush=True)
            seeds = args.seeds if workers == max(args.workers) else args.seeds[:1]
            for scores, approx in designs:
                for seed in seeds:
                    r = one_fit(table, pids, scores, approx, args.size, args.tau, seed)
                    r["workers"] = workers
                    if "coef" in r:
                        r["err_vs_truth"] = rel_error(r["intercept"], r["coef"], truth_b0, truth)
                        if "reference" in out:
                            ref = out["reference"]
                            r["err_vs_reference"] = rel_error(r["intercept"], r["coef"], ref["intercept"], ref["coef"])
                        print(f"{workers} workers {scores}/{approx} seed {seed}: {r['wall_s']:.1f} s, peak RSS "
                              f"{r['peak_rss_mb']} MB, n={r['n_sample']}, err {r['err_vs_truth']:.3g}", flush=True)
                    else:
                        print(f"{workers} workers {scores}/{approx}: {r['error']}", flush=True)
                    out["runs"].append(r)
                    if args.json:
                        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


def combine(paths):
    """The runs of several ``run`` JSONs of one table, with the first one's reference fit (a run
    with ``--reference-rows 0`` reuses it: the reference draw is seeded, so it is the same)."""
    out = json.loads(Path(paths[0]).read_text())
    for p in paths[1:]:
        out["runs"] += json.loads(Path(p).read_text())["runs"]
    ref = out.get("reference")
    for r in out["runs"]:
        if ref and "coef" in r and "err_vs_reference" not in r:
            r["err_vs_reference"] = rel_error(r["intercept"], r["coef"], ref["intercept"], ref["coef"])
    return out


def report(paths, save=None):
    """The markdown table of ``run`` JSONs: mean ± standard error over the seeds."""
    out = combine(paths)
    if save:
        Path(save).write_text(json.dumps(out, indent=1))
    print(f"{out['n']:,} rows × {out['d']} features ({out['file_gb']:.2f} GB), {out['n_chunks']} chunks of "
          f"≤ {out['chunk_rows']:,} rows, τ = {out['tau']}, expected size {out['size']:,}, "
          f"memory limit {out['memory_limit']} per worker\n")
    print("| workers | design | seeds | wall time of fit (s) | peak RSS per worker (MB) | rows drawn "
          "| ‖θ̂ − θ‖²/‖θ‖² vs population | vs reference fit |")
    print("|---|---|---|---|---|---|---|---|")
    groups: dict = {}
    for r in out["runs"]:
        groups.setdefault((r["workers"], r["scores"], r["approx"]), []).append(r)
    for (w, scores, approx), rs in groups.items():
        name = "uniform" if scores == "uniform" else f"influence ({approx})"
        if "error" in rs[0]:
            print(f"| {w} | {name} | | {rs[0]['error']} | | | | |")
            continue

        def ms(key, rs=rs, fmt=".3g"):
            v = np.array([r[key] for r in rs], dtype=float)
            se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
            return f"{v.mean():{fmt}}" + (f" ± {se:.2g}" if len(v) > 1 else "")

        peak = max(max(r["peak_rss_mb"]) for r in rs)
        print(f"| {w} | {name} | {len(rs)} | {ms('wall_s')} | ≤ {peak:.0f} | {ms('n_sample', fmt='.0f')} "
              f"| {ms('err_vs_truth')} | {ms('err_vs_reference') if 'err_vs_reference' in rs[0] else ''} |")
    if "reference" in out:
        ref = out["reference"]
        print(f"\nReference fit: {ref['rows']:,} uniform rows, in memory, {ref['seconds']:.0f} s; its own error vs the "
              f"population coefficients {ref['err_vs_truth']:.2g}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write the synthetic table (.npy)")
    g.add_argument("--rows", type=int, default=9_600_000)
    g.add_argument("--features", type=int, default=111)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run", help="subsample it on LocalClusters of 1, 2, … workers")
    r.add_argument("--data", required=True)
    r.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    r.add_argument("--memory-limit", default="1GB")
    r.add_argument("--size", type=int, default=10_000)
    r.add_argument("--tau", type=float, default=0.9)
    r.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    r.add_argument("--chunk-rows", type=int, default=None)
    r.add_argument("--reference-rows", type=int, default=500_000)
    r.add_argument("--designs", nargs="+", choices=sorted(DESIGNS), default=["diag", "lowrank", "uniform"])
    r.add_argument("--json", default=None)
    t = sub.add_parser("report", help="print the markdown table of runs' JSON (the first one's reference)")
    t.add_argument("json", nargs="+")
    t.add_argument("--save", default=None, help="write the combined JSON here")
    args = parser.parse_args(argv)
    if args.cmd == "report":
        report(args.json, args.save)
    elif args.cmd == "generate":
        secs = generate(args.out, args.rows, args.features, args.seed)
        print(f"wrote {args.out}: {args.rows} × {args.features + 1} float64, "
              f"{os.path.getsize(args.out) / 1e9:.2f} GB in {secs:.0f} s")
    else:
        run(args)


if __name__ == "__main__":
    main()
