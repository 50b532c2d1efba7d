"""The scaling-law pipeline behind ``pointvalue scaling`` and ``pointvalue demo``.

contributions (fit samples + held-out samples at fixed sizes) → laws → values → selection →
a report folder (CSVs, the Figure-1 PNG, a markdown summary).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import scaling
from .contributions import marginal_contributions


def _fmt(x, nd=3):
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def run_pipeline(
    X,
    y,
    X_val,
    y_val,
    *,
    model: str,
    points,
    n_samples: int,
    sizes=(100, 1000),
    heldout_sizes=(100, 200, 400, 800),
    heldout_samples: int = 20,
    method: str = "mle",
    l2=None,
    out_dir,
    seed: int = 0,
    progress: bool = True,
    title: str = "pointvalue scaling report",
    labels_for_selection=None,
    log=print,
    n_jobs=None,
    client=None,
) -> dict:
    """Run contributions → laws → values and write the report folder. Returns the numbers.

    `n_jobs` (threads of the contribution and law kernels) and `client` (a dask.distributed
    Client running the contributions) as in :func:`marginal_contributions`."""

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    t0 = time.perf_counter()
    log(f"[1/4] marginal contributions: {len(points)} points × {n_samples} samples, "
        f"k uniform in [{sizes[0]}, {sizes[1]}), model={model}")
    contrib = marginal_contributions(X, y, X_val, y_val, model=model, points=points,
                                     n_samples=n_samples, sizes=sizes, l2=l2,
                                     random_state=seed, progress=progress, n_jobs=n_jobs, client=client)
    timings["contributions_s"] = time.perf_counter() - t0
    held = None
    if heldout_samples and heldout_sizes:
        hs = [int(s) for s in heldout_sizes if int(s) < len(y)]
        t1 = time.perf_counter()
        log(f"[2/4] held-out contributions at k in {hs}: {heldout_samples} samples per size")
        held = marginal_contributions(X, y, X_val, y_val, model=model, points=points,
                                      n_samples=heldout_samples * len(hs), size_dist=np.array(hs),
                                      l2=l2, random_state=seed + 1, progress=progress, n_jobs=n_jobs,
                                      client=client)
        timings["heldout_s"] = time.perf_counter() - t1
    else:
        log("[2/4] held-out contributions: skipped")
    t2 = time.perf_counter()
    log(f"[3/4] scaling laws ({method})")
    laws = scaling.fit_scaling_laws(contrib, method=method, sizes=(sizes[0], sizes[1] - 1), n_jobs=n_jobs,
                                     **({"X": X, "y": y, "random_state": seed} if method == "amortized" else {}))
    timings["fit_s"] = time.perf_counter() - t2
    values = scaling.distributional_values(laws, sizes=(sizes[0], sizes[1] - 1))
    gp, gk, gm, gn = scaling.empirical_means(contrib)
    mean_delta = np.bincount(np.searchsorted(laws.point, gp), weights=gm * gn) / laws.n_samples
    ok = laws.status == 0
    k_small, k_large = int(sizes[0]), int(sizes[1] - 1)
    budget = max(1, min(int(ok.sum()) // 10, 100))
    sel_small = scaling.select_points(laws, k_small, budget)
    sel_large = scaling.select_points(laws, k_large, budget)
    overlap = len(set(sel_small.tolist()) & set(sel_large.tolist())) / budget

    log("[4/4] report")
    gof = laws.goodness_of_fit(held) if held is not None else None
    rank_corr = float(_spearman(values[ok], mean_delta[ok])) if ok.sum() > 2 else float("nan")
    import csv

    with open(out / "laws.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["point", "c", "alpha", "sigma", "beta", "nll", "r2", "n_samples", "status",
                    "value", "mean_delta", f"psi_at_{k_small}", f"psi_at_{k_large}"])
        ps, pl = laws.predict(float(k_small)), laws.predict(float(k_large))
        for i in range(len(laws)):
            w.writerow([int(laws.point[i])] + [repr(float(v)) for v in (
                laws.c[i], laws.alpha[i], laws.sigma[i], laws.beta[i], laws.nll[i], laws.r2[i])]
                + [int(laws.n_samples[i]), laws.status_name[i], repr(float(values[i])),
                   repr(float(mean_delta[i])), repr(float(ps[i])), repr(float(pl[i]))])
    if gof is not None:
        with open(out / "goodness_of_fit.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["k", "n_points", "r2", "pearson", "spearman"])
            for row in zip(gof["k"], gof["n_points"], gof["r2"], gof["pearson"], gof["spearman"]):
                w.writerow([int(row[0]), int(row[1])] + [repr(float(v)) for v in row[2:]])
    written = [out / "laws.csv"] + ([out / "goodness_of_fit.csv"] if gof is not None else [])
    contrib.save(out / "contributions.npz")
    written.append(out / "contributions.npz")
    if held is not None:
        held.save(out / "contributions_heldout.npz")
        written.append(out / "contributions_heldout.npz")
    fig_path = None
    try:
        import matplotlib

        matplotlib.use("Agg")
        fig = laws.plot(held_out=held)
        fig.suptitle(title)
        fig_path = out / "figure1.png"
        fig.savefig(fig_path, dpi=110)
        written.append(fig_path)
        import matplotlib.pyplot as plt

        plt.close(fig)
    except ImportError:
        log("matplotlib is not installed: no figure (pip install matplotlib)")

    a_ok = laws.alpha[ok]
    q = np.percentile(a_ok, [10, 25, 50, 75, 90]) if a_ok.size else [np.nan] * 5
    status_counts = {name: int(np.sum(laws.status == code)) for code, name in scaling.STATUS.items()}
    numbers = {
        "points": int(len(laws)),
        "samples": int(len(contrib)),
        "status_counts": status_counts,
        "alpha_quantiles_10_25_50_75_90": [float(v) for v in q],
        "share_alpha_in_1_1.5": float(np.mean((a_ok >= 1) & (a_ok <= 1.5))) if a_ok.size else float("nan"),
        "median_r2_log_fit": float(np.nanmedian(laws.r2)) if np.isfinite(laws.r2).any() else float("nan"),
        "heldout_overall": None if gof is None else {k: float(v) for k, v in gof["overall"].items()},
        "heldout_ceiling_per_k": None if gof is None else {int(k): float(c) for k, c in zip(gof["k"], gof["ceiling"])},
        "heldout_per_k": None if gof is None else {int(k): float(r) for k, r in zip(gof["k"], gof["r2"])},
        "heldout_spearman_per_k": None if gof is None else {
            int(k): float(r) for k, r in zip(gof["k"], gof["spearman"])},
        "share_alpha_se_below_0.5": float(np.mean(laws.alpha_se[ok] < 0.5)) if ok.any() else float("nan"),
        "reliable_laws": int(np.sum(laws.reliable())),
        "spearman_value_vs_mean_delta": rank_corr,
        "selection_budget": budget,
        f"top_overlap_k{k_small}_vs_k{k_large}": overlap,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
    }
    with open(out / "summary.json", "w") as f:
        json.dump(numbers, f, indent=2)
    lines = [
        f"# {title}",
        "",
        f"- model: `{model}`, {len(laws)} points valued, {len(contrib)} samples of Δ "
        f"({n_samples} per point, k uniform in [{sizes[0]}, {sizes[1]})), estimator `{method}`",
        "- status: " + ", ".join(f"{k} {v}" for k, v in status_counts.items() if v),
        "- α quantiles (10/25/50/75/90%): " + " / ".join(_fmt(v, 2) for v in q)
        + f"; share of α in [1, 1.5]: {_fmt(numbers['share_alpha_in_1_1.5'], 2)}",
        f"- median per-point R² of the log-linear trend (fit samples): {_fmt(numbers['median_r2_log_fit'])}",
        f"- reliable laws: {numbers['reliable_laws']} of {len(laws)} (standard error of α ≤ 0.5 and, for "
        "`eb`, a value at least one standard error from zero: `ScalingLaws.reliable()`); selection uses only "
        "these",
    ]
    if gof is not None:
        o = gof["overall"]
        lines.append(f"- held-out check ({heldout_samples} samples at each k in "
                     f"{list(map(int, gof['k']))}): overall R² {_fmt(o['r2'])} (noise ceiling "
                     f"{_fmt(o['ceiling'])}: the R² the true ψ_k would get against these noisy held-out "
                     f"means), Pearson {_fmt(o['pearson'])}, Spearman {_fmt(o['spearman'])}")
        lines.append("- R² per k (ceiling): " + ", ".join(
            f"k={int(k)}: {_fmt(r)} ({_fmt(c)})" for k, r, c in zip(gof["k"], gof["r2"], gof["ceiling"])))
        lines.append("- Spearman per k: " + ", ".join(
            f"k={int(k)}: {_fmt(r)}" for k, r in zip(gof["k"], gof["spearman"])))
    lines += [
        f"- Spearman(distributional value, mean Δ): {_fmt(rank_corr)}",
        f"- size-aware selection: overlap of the top {budget} points at k={k_small} and k={k_large}: "
        f"{_fmt(overlap, 2)} (laws cross: the best points depend on the dataset size)",
        "- time: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
        "",
        "Files: " + ", ".join(f"`{p.name}`" for p in written + [out / "summary.md", out / "summary.json"])
        + " (`laws.csv`: one row per point — c, α, σ, β, R², status, distributional value, mean Δ, ψ at the "
        "smallest and largest size; reload the samples with `pointvalue.Contributions.load`).",
        "",
        "Note: each Δ is the change of the validation loss when one point is added; it is very noisy "
        "relative to its mean, so per-point laws from ~100 samples are estimates with real "
        "uncertainty (see the held-out R²).",
    ]
    if fig_path is not None:
        lines.insert(2, "![Figure 1](figure1.png)\n")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    numbers["laws"] = laws
    numbers["out"] = out
    numbers["files"] = [str(p) for p in written + [out / "summary.md", out / "summary.json"]]
    return numbers


def _spearman(a, b):
    from scipy import stats

    return stats.spearmanr(a, b)[0]
