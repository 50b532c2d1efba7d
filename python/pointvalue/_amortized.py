"""The amortized scaling-law estimator: one small MLP for all points, in numpy.

Features of a point (and its class) → per-class raw outputs (sign of c, log|c|, α, log σ, β),
trained on the Gaussian likelihood Δ ~ Normal(c k^−α, σ² k^−β) of every sample, with Adam
(decoupled weight decay), minibatches of points and early stopping on held-out points. Manual
backpropagation: no deep-learning framework is needed.

Units: Δ is divided by its global RMS ``s`` and k by its geometric mean ``k0``, so the network
works with O(1) numbers; parameters are converted back (``c = c̃ s k0^α``, ``σ = σ̃ s k0^{β/2}``).
α and β are mapped into their bounds with a logistic function (smooth, never clamped).
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import as_float_array

_LOG2PI = float(np.log(2 * np.pi))


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class _MLP:
    def __init__(self, sizes, rng):
        self.W = []
        self.b = []
        for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:])):
            scale = np.sqrt(2.0 / m) if i < len(sizes) - 2 else 0.01 / np.sqrt(m)
            self.W.append(rng.standard_normal((m, n)) * scale)
            self.b.append(np.zeros(n))

    def params(self):
        return self.W + self.b

    def forward(self, x):
        acts = [x]
        h = x
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            h = h @ W + b
            if i < len(self.W) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        return h, acts

    def backward(self, acts, grad_out):
        gW = [None] * len(self.W)
        gb = [None] * len(self.b)
        g = grad_out
        for i in range(len(self.W) - 1, -1, -1):
            gW[i] = acts[i].T @ g
            gb[i] = g.sum(axis=0)
            if i > 0:
                g = (g @ self.W[i].T) * (acts[i] > 0)
        return gW + gb


def _params_from_raw(raw, lo_a, hi_a, lo_b, hi_b):
    t = np.tanh(raw[:, 0])
    e = np.exp(np.clip(raw[:, 1], -60, 60))
    c = t * e
    sa = _sigmoid(raw[:, 2])
    sb = _sigmoid(raw[:, 4])
    alpha = lo_a + (hi_a - lo_a) * sa
    beta = lo_b + (hi_b - lo_b) * sb
    log_sigma = np.clip(raw[:, 3], -60, 60)
    return c, alpha, log_sigma, beta, (t, e, sa, sb)


def _nll_and_grad(raw, seg, v, d, n_pts, bounds, need_grad=True):
    """Mean NLL over the samples; gradient w.r.t. the raw outputs (n_pts, 5)."""
    lo_a, hi_a, lo_b, hi_b = bounds
    c, alpha, log_sigma, beta, (t, e, sa, sb) = _params_from_raw(raw, lo_a, hi_a, lo_b, hi_b)
    cs, as_, ls, bs = c[seg], alpha[seg], log_sigma[seg], beta[seg]
    m = np.exp(-as_ * v)
    w = np.exp(bs * v)
    tau = np.exp(-2.0 * ls)
    r = d - cs * m
    q = r * r * w * tau
    n = len(d)
    loss = float(np.sum(0.5 * _LOG2PI + ls - 0.5 * bs * v + 0.5 * q) / n)
    if not need_grad:
        return loss, None
    gc = np.bincount(seg, weights=-r * w * tau * m, minlength=n_pts) / n
    ga = np.bincount(seg, weights=r * w * tau * cs * v * m, minlength=n_pts) / n
    gb = np.bincount(seg, weights=0.5 * v * (q - 1.0), minlength=n_pts) / n
    gl = np.bincount(seg, weights=1.0 - q, minlength=n_pts) / n
    graw = np.empty_like(raw)
    graw[:, 0] = gc * (1.0 - t * t) * e
    graw[:, 1] = gc * c
    graw[:, 2] = ga * (hi_a - lo_a) * sa * (1.0 - sa)
    graw[:, 3] = gl
    graw[:, 4] = gb * (hi_b - lo_b) * sb * (1.0 - sb)
    return loss, graw


def fit_amortized(*args, **kwargs):
    # The matrices are small (batch × 128): multithreaded BLAS only adds overhead (10× on a
    # busy machine), so limit it to one thread while training when threadpoolctl is available.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return _fit_amortized(*args, **kwargs)
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_amortized(*args, **kwargs)


def _fit_amortized(contrib, point, k, delta, pts, counts, r2, *, X, y, bounds, random_state,
                   progress, hidden, max_epochs, patience, learning_rate, batch_size,
                   validation_fraction, weight_decay):
    from ._laws import ScalingLaws
    from ._validation import as_int
    from .random import check_random_state

    if X is None:
        raise ValueError("X (features of the pool) is required for method='amortized'")
    X = as_float_array(X, "X", ndim=2).astype(np.float64, copy=False)
    if X.shape[0] <= pts.max():
        raise ValueError(f"X must have a row for every point index (max {pts.max()}), got {X.shape[0]} rows")
    hidden = tuple(as_int(h, "hidden", minimum=1) for h in hidden)
    max_epochs = as_int(max_epochs, "max_epochs", minimum=1)
    patience = as_int(patience, "patience", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if not (0.0 < float(validation_fraction) < 1.0):
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    if not (float(learning_rate) > 0):
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    rng = check_random_state(random_state)
    lo_a, hi_a, lo_b, hi_b = bounds

    feats = X[pts]
    n_cls = 1
    cls = np.zeros(len(pts), dtype=np.int64)
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != X.shape[0]:
            raise ValueError(f"y must be 1-D with one entry per row of X ({X.shape[0]}), got shape {y.shape}")
        yp = y[pts]
        classes, inv = np.unique(yp, return_inverse=True)
        if len(classes) <= 50:
            n_cls = len(classes)
            cls = inv.ravel()
            feats = np.hstack([feats, np.eye(n_cls)[cls]])
        else:
            yf = as_float_array(yp, "y", ndim=1)
            feats = np.hstack([feats, yf[:, None]])
    mu = feats.mean(axis=0)
    sd = feats.std(axis=0)
    sd[sd == 0] = 1.0
    feats = (feats - mu) / sd

    # Samples grouped by point, in units of the global scales.
    order = np.argsort(point, kind="stable")
    seg_all = np.repeat(np.arange(len(pts)), counts)
    lk = np.log(k[order].astype(np.float64))
    d_all = delta[order]
    finite = np.isfinite(d_all)
    bad_pt = np.zeros(len(pts), dtype=bool)
    bad_pt[seg_all[~finite]] = True
    zero_pt = np.bincount(seg_all, weights=(d_all != 0) & finite, minlength=len(pts)) == 0
    usable = ~bad_pt & ~zero_pt
    sel = usable[seg_all]
    k0 = float(np.exp(lk[sel].mean())) if sel.any() else 1.0
    s = float(np.sqrt(np.mean(d_all[sel] ** 2))) if sel.any() else 1.0
    if not (s > 0):
        s = 1.0
    v_all = lk - np.log(k0)
    dsc_all = np.where(finite, d_all / s, 0.0)
    offsets = np.zeros(len(pts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])

    # Pooled fit of all usable samples: the output layer starts there.
    opt = _core.powerlaw.Options()
    opt.alpha_lo, opt.alpha_hi, opt.beta_lo, opt.beta_hi = lo_a, hi_a, lo_b, hi_b
    pooled = _core.powerlaw.fit(np.array([0, int(sel.sum())], dtype=np.int64), v_all[sel].copy(),
                                dsc_all[sel].copy(), opt)
    a0 = float(pooled.alpha[0]) if np.isfinite(pooled.alpha[0]) else 0.5 * (lo_a + hi_a)
    b0 = float(pooled.beta[0]) if np.isfinite(pooled.beta[0]) else 0.5 * (lo_b + hi_b)
    c0 = float(pooled.c[0]) if np.isfinite(pooled.c[0]) and pooled.c[0] != 0 else 1e-3
    sg0 = float(pooled.sigma[0]) if np.isfinite(pooled.sigma[0]) and pooled.sigma[0] > 0 else 1.0
    bias0 = np.array([
        np.arctanh(0.5 * np.sign(c0)), np.log(abs(c0) / 0.5),
        _logit((a0 - lo_a) / (hi_a - lo_a)) if hi_a > lo_a else 0.0,
        np.log(sg0),
        _logit((b0 - lo_b) / (hi_b - lo_b)) if hi_b > lo_b else 0.0,
    ])

    net = _MLP((feats.shape[1],) + hidden + (5 * n_cls,), rng)
    net.b[-1][:] = np.tile(bias0, n_cls)

    idx_use = np.flatnonzero(usable)
    perm = rng.permutation(idx_use)
    n_val = max(1, int(round(validation_fraction * len(perm)))) if len(perm) > 1 else 0
    val_pts = np.sort(perm[:n_val])
    tr_pts = perm[n_val:]
    if len(tr_pts) == 0:
        tr_pts, val_pts = perm, perm

    def gather(batch):
        lens = counts[batch]
        starts = offsets[batch]
        tot = int(lens.sum())
        base = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        sidx = base + np.arange(tot)
        seg = np.repeat(np.arange(len(batch)), lens)
        return seg, v_all[sidx], dsc_all[sidx]

    def raw_for(batch):
        out, acts = net.forward(feats[batch])
        cb = cls[batch]
        cols = 5 * cb[:, None] + np.arange(5)[None, :]
        return np.take_along_axis(out, cols, axis=1), out, acts, cols

    val_seg, val_v, val_d = gather(val_pts)
    params = net.params()
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    best = (np.inf, [p.copy() for p in params])
    wait = 0
    history = []
    epochs = range(max_epochs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_epochs, desc="amortized fit", unit="epoch")
    for epoch in epochs:
        order_tr = rng.permutation(tr_pts)
        for start in range(0, len(order_tr), batch_size):
            batch = order_tr[start:start + batch_size]
            seg, vb, db = gather(batch)
            raw, out, acts, cols = raw_for(batch)
            _, graw = _nll_and_grad(raw, seg, vb, db, len(batch), bounds)
            gout = np.zeros_like(out)
            np.put_along_axis(gout, cols, graw, axis=1)
            grads = net.backward(acts, gout)
            step += 1
            lr = learning_rate * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
            for i, (p, g) in enumerate(zip(params, grads)):
                m1[i] = b1 * m1[i] + (1 - b1) * g
                m2[i] = b2 * m2[i] + (1 - b2) * g * g
                if i < len(net.W) and weight_decay:
                    p *= 1 - learning_rate * weight_decay
                p -= lr * m1[i] / (np.sqrt(m2[i]) + eps)
        raw_v = raw_for(val_pts)[0]
        val_loss, _ = _nll_and_grad(raw_v, val_seg, val_v, val_d, len(val_pts), bounds, need_grad=False)
        history.append(val_loss)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(val_nll=f"{val_loss:.4f}")
        if not np.isfinite(best[0]) or val_loss < best[0] - 1e-6 * abs(best[0]):
            best = (val_loss, [p.copy() for p in params])
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                break
    if bar is not None:
        bar.close()
    for p, q in zip(params, best[1]):
        p[...] = q

    raw_all = raw_for(np.arange(len(pts)))[0]
    ct, alpha, log_sigma, beta, _ = _params_from_raw(raw_all, lo_a, hi_a, lo_b, hi_b)
    c = ct * s * np.power(k0, alpha)
    sigma = np.exp(log_sigma) * s * np.power(k0, beta / 2)
    # Per-point NLL of the samples in original units.
    seg = seg_all
    kk = np.exp(lk)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        var = sigma[seg] ** 2 * kk ** (-beta[seg])
        term = 0.5 * (np.log(2 * np.pi * var) + (d_all - c[seg] * kk ** (-alpha[seg])) ** 2 / var)
    nll = np.bincount(seg, weights=np.where(finite, term, 0.0), minlength=len(pts))
    status = np.zeros(len(pts), dtype=np.int8)
    status[zero_pt & ~bad_pt] = 2
    status[bad_pt] = 3
    nan = np.nan
    c = np.where(status == 2, 0.0, np.where(status == 3, nan, c))
    sigma = np.where(status == 2, 0.0, np.where(status == 3, nan, sigma))
    for arr in (alpha, beta, nll):
        arr[status != 0] = nan
    info = {"val_nll_history": np.array(history), "best_val_nll": best[0], "epochs": len(history),
            "n_classes": n_cls, "k0": k0, "delta_scale": s, "validation_points": pts[val_pts]}
    return ScalingLaws(pts, c, alpha, sigma, beta, nll, r2, status, counts, "amortized", contrib,
                       info=info)
