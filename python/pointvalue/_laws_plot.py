"""The paper's Figure 1 for a :class:`~pointvalue.ScalingLaws` (matplotlib, imported on use)."""

from __future__ import annotations

import numpy as np

from ._scaling_data import empirical_means


def plot_laws(laws, held_out=None, n_lines: int = 5, n_bins: int = 12, fig=None):
    """The paper's Figure 1: laws across α, the R² histogram, R² of predictions vs k.

    Parameters
    ----------
    held_out : Contributions, optional
        Samples for the right panel (R² of predictions at each cardinality). Without it the
        fitting samples are used (optimistic: in-sample).
    n_lines : int, default 5
        Points drawn in the top panel, at evenly spaced quantiles of α (among points with
        status ok and c > 0, and with ``alpha_se < 0.5`` when enough points have one).
    n_bins : int, default 12
        Empirical means in the top panel are averaged over this many log-spaced bins of k.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (a new one by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(11, 8), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.25, 1])
    ax_top = fig.add_subplot(gs[0, :])
    ax_hist = fig.add_subplot(gs[1, 0])
    ax_r2 = fig.add_subplot(gs[1, 1])

    ok = (laws.status == 0) & (laws.c > 0) & np.isfinite(laws.alpha)
    precise = ok & (laws.alpha_se < 0.5)
    note = ""
    if precise.sum() >= max(1, n_lines):
        ok = precise
        note = ", se(α) < 0.5"
    cmap = matplotlib.colormaps["viridis"]
    contrib = laws.contributions
    if ok.any() and contrib is not None:
        idx_ok = np.flatnonzero(ok)
        order = idx_ok[np.argsort(laws.alpha[idx_ok], kind="stable")]
        qs = np.linspace(0.05, 0.95, max(1, n_lines))
        chosen = np.unique(order[np.round(qs * (len(order) - 1)).astype(int)])
        gp, gk, gm, gn = empirical_means(contrib)
        kmin, kmax = gk.min(), gk.max()
        edges = np.unique(np.geomspace(kmin, kmax + 1, n_bins + 1))
        kk = np.geomspace(kmin, kmax, 100)
        amin, amax = laws.alpha[chosen].min(), laws.alpha[chosen].max()
        for i in chosen:
            col = cmap(0.0 if amax == amin else (laws.alpha[i] - amin) / (amax - amin))
            sel = gp == laws.point[i]
            b = np.clip(np.digitize(gk[sel], edges) - 1, 0, len(edges) - 2)
            cnt = np.bincount(b, weights=gn[sel], minlength=len(edges) - 1)
            tot = np.bincount(b, weights=gm[sel] * gn[sel], minlength=len(edges) - 1)
            kb = np.bincount(b, weights=gk[sel] * gn[sel], minlength=len(edges) - 1)
            has = cnt > 0
            emp = tot[has] / cnt[has]
            k_mean = kb[has] / cnt[has]
            pos = emp > 0
            ax_top.scatter(np.log(k_mean[pos]), np.log(emp[pos]), color=col, s=14, alpha=0.8)
            ax_top.plot(np.log(kk), np.log(laws.c[i]) - laws.alpha[i] * np.log(kk), color=col,
                        label=f"point {laws.point[i]}: α = {laws.alpha[i]:.2f}")
        ax_top.legend(fontsize=8, loc="lower left")
    ax_top.set_xlabel("log k (dataset size)")
    ax_top.set_ylabel("log |ψ_k| (expected marginal contribution)")
    ax_top.set_title(f"Individualized scaling laws: points across α quantiles{note} "
                     "(dots: binned empirical means, lines: c/k^α)")

    r2 = laws.r2[np.isfinite(laws.r2)]
    if r2.size:
        ax_hist.hist(np.clip(r2, -1, 1), bins=30, color="tab:blue", alpha=0.8)
        ax_hist.axvline(np.median(r2), color="k", ls="--", lw=1,
                        label=f"median {np.median(r2):.3f}")
        ax_hist.legend(fontsize=8)
    ax_hist.set_xlabel("R² of log-linear trend per point")
    ax_hist.set_ylabel("points")
    ax_hist.set_title("Per-point fit of log|mean Δ| vs log k")

    src = held_out if held_out is not None else contrib
    if src is not None:
        gof = laws.goodness_of_fit(src)
        ks, r2k, npk = gof["k"], gof["r2"], gof["n_points"]
        good = np.isfinite(r2k) & (npk >= 5)
        if good.sum() > 60:  # many distinct k: bin them for readability
            edges = np.unique(np.geomspace(ks.min(), ks.max() + 1, 16))
            b = np.clip(np.digitize(ks[good], edges) - 1, 0, len(edges) - 2)
            w = npk[good]
            rb = np.bincount(b, weights=r2k[good] * w) / np.maximum(np.bincount(b, weights=w), 1)
            k_bin = np.bincount(b, weights=ks[good] * w) / np.maximum(np.bincount(b, weights=w), 1)
            has = np.bincount(b) > 0
            ax_r2.plot(k_bin[has], rb[has], "o-", color="tab:green")
        else:
            ax_r2.plot(ks[good], r2k[good], "o-", color="tab:green")
        ax_r2.set_xscale("log")
        tag = "held-out" if held_out is not None else "in-sample"
        ax_r2.set_title(f"R² of predicted vs {tag} ψ_k (overall {gof['overall']['r2']:.3f})")
    ax_r2.set_xlabel("k (dataset size)")
    ax_r2.set_ylabel("R² across points")
    return fig
