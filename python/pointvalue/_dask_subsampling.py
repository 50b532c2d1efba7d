"""``InfluenceSampler.fit`` on Dask collections (imported lazily by ``subsampling``).

The steps (see ``docs/dask.md``): the pilot (each chunk proposes its rows with the smallest
uniforms of the pilot stream, the client keeps the global smallest, gathers and fits them); the
scores (influence: per-chunk moments of Σ merged as a tree, then each chunk's scores with the
global Σ; leverage: R of a tall-skinny QR; residual designs: row-local), persisted; λ exactly
from per-chunk summaries (:func:`pointvalue._dask.solve_lambda`); the Poisson draw per chunk at
the global row offsets of its stream; the weighted refit of the gathered sample on the client.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import dask.array as da
import numpy as np
from dask import delayed

from . import _core
from ._dask import (
    _chunk_design,
    _chunk_response,
    _compute,
    _gather_rows,
    _global_r,
    _leverage_basis,
    _merge_r,
    _persist,
    _Rows,
    _sketch_r,
    _take_rows,
    _tree,
    _with_ones,
    active_client,
    as_row_chunks,
    chunk_key,
    probabilities_from_scores,
    sketch_rows,
    solve_lambda,
)
from .influence import _check_response_lenient, default_rank
from .leverage import default_sketch_size
from .random import stream_key
from .sampling import merge_smallest, poisson_sample, smallest_uniforms

__all__ = ["fit_sampler"]


@dataclass(frozen=True)
class _ScoreSpec:
    """What a chunk's score task needs (picklable: plain numbers and arrays)."""

    kind: str
    model: str
    target: str
    approx: str
    tau: float
    l2: float
    fit_intercept: bool
    coef: np.ndarray
    intercept: float
    score_fn: Callable[..., Any]   # subsampling.subsampling_scores (row-local designs)
    moments: tuple | None = None   # (s, mean, C) of Σ over all rows (influence)
    basis: np.ndarray | None = None  # leverage: h_i = ‖[x_i, 1] basis‖²


def _influence_options(spec):
    glm = _core.glm
    opt = glm.InfluenceOptions()
    opt.model = glm.Model.__members__[spec.model]
    opt.target = glm.Target.__members__[spec.target]
    # sketch: the scores use the sketched Σ̂ as a given dense Σ, exactly as the in-memory kernel
    opt.approx = glm.Approx.__members__["exact" if spec.approx == "sketch" else spec.approx]
    opt.tau, opt.l2, opt.fit_intercept = spec.tau, spec.l2, spec.fit_intercept
    opt.rank = default_rank(len(spec.coef))  # lowrank: the in-memory default
    opt.intercept = spec.intercept if spec.fit_intercept else 0.0
    return opt


def _moments_tuple(m):
    return (float(m.s), np.asarray(m.mean), np.asarray(m.C))


def _chunk_moments(Xc, yc, start, spec):
    Xc = _chunk_design(Xc, start)
    yc = _check_response_lenient(_chunk_response(yc, start), spec.model, Xc.shape[0])
    m = _core.glm.influence_moments(Xc, yc, spec.coef, None, _influence_options(spec))
    if m.status != _core.glm.Status.ok:
        raise ValueError("the influence overflowed (non-finite moments): check the scale of X "
                         "and coef (for poisson, exp(η) must be finite)")
    return _moments_tuple(m)


def _merge_moments(a, b, spec):
    glm = _core.glm
    merged = glm.merge_influence_moments(glm.InfluenceMoments(*a), glm.InfluenceMoments(*b),
                                         _influence_options(spec))
    return _moments_tuple(merged)


def _influence_chunk(Xc, yc, spec):
    glm = _core.glm
    res = glm.influence_scores_given(Xc, yc, spec.coef, None, glm.InfluenceMoments(*spec.moments),
                                     _influence_options(spec))
    if res.status != glm.Status.ok:
        if res.status == glm.Status.non_finite:
            raise ValueError("the influence overflowed (non-finite scores): check the scale of X "
                             "and coef (for poisson, exp(η) must be finite)")
        raise ValueError(
            "Σ = XᵀWX is singular (collinear or constant columns, or all IRLS weights ~0): the "
            f"influence is undefined for approx={spec.approx!r}; pass l2 > 0 or use approx='diag'")
    return np.asarray(res.scores, dtype=np.float64)


def _chunk_scores(Xc, yc, start, pilot_local, spec):
    Xc = _chunk_design(Xc, start)
    yc = _chunk_response(yc, start)
    if spec.kind == "influence":
        s = _influence_chunk(Xc, _check_response_lenient(yc, spec.model, len(yc)), spec)
    elif spec.kind in ("leverage", "root_leverage"):
        h = np.einsum("ij,ij->i", *(2 * (_with_ones(Xc, spec.fit_intercept) @ spec.basis,)))
        s = np.sqrt(h) if spec.kind == "root_leverage" else h
    else:
        s = spec.score_fn(Xc, yc, spec.coef, spec.intercept, scores=spec.kind, model=spec.model,
                               target=spec.target, approx=spec.approx, tau=spec.tau, l2=spec.l2,
                               fit_intercept=spec.fit_intercept, n_jobs=1)
    s = np.array(s, dtype=np.float64)
    rest = np.ones(len(s), dtype=bool)
    rest[pilot_local] = False
    bad = rest & ~(np.isfinite(s) & (s >= 0))
    s[pilot_local] = np.nan
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} rows (in the chunk of rows {start}…{start + len(s) - 1}) got a "
            f"non-finite or negative score (scores={spec.kind!r}); check X and y for extreme values")
    return s


def _irls_weights(Xc, spec):
    """v_i of influence_scores at the pilot fit (1 for ols and quantile)."""
    if spec.model in ("ols", "quantile"):
        return np.ones(len(Xc))
    eta = np.asarray(Xc, dtype=np.float64) @ spec.coef + (spec.intercept if spec.fit_intercept else 0.0)
    if spec.model == "poisson":
        return np.exp(eta)
    e = np.exp(-np.abs(eta))
    return e / ((1.0 + e) * (1.0 + e))


def _chunk_sketch_r(Xc, start, spec, mean, key, r):
    """R of S_c Z_c with Z_c = W^½(X_c − mean) (no centring without an intercept)."""
    Xc = _chunk_design(Xc, start)
    Z = np.sqrt(_irls_weights(Xc, spec))[:, None] * (
        np.asarray(Xc, dtype=np.float64) - (mean if spec.fit_intercept else 0.0))
    if r == 0:
        return np.zeros((0, Z.shape[1]))
    return np.linalg.qr(_core.sketch.srht(np.ascontiguousarray(Z), chunk_key(key, start), int(r)),
                        mode="r")


def _global_moments(rows, spec, client):
    parts = [delayed(_chunk_moments)(rows.X[k], rows.y[k], int(rows.starts[k]), spec)
             for k in range(len(rows.X))]
    return _compute([_tree(parts, _merge_moments, spec)], client)[0]


def _sketched_moments(rows, spec, key, client):
    """(s, mean, diag) exact (diag moments pass), then F with FᵀF = Σ̂ = Σ_c (S_c Z_c)ᵀ(S_c Z_c),
    the per-chunk SRHTs (second pass, a tree of QRs). sketch: (s, mean, Σ̂); lowrank: (s, mean,
    diag, F)."""
    n, p = int(rows.lengths.sum()), rows.d + int(spec.fit_intercept)
    s, mean, diag = _global_moments(rows, replace(spec, approx="diag"), client)
    r = sketch_rows(rows.lengths, default_sketch_size(n, p))
    parts = [delayed(_chunk_sketch_r)(rows.X[k], int(rows.starts[k]), spec, mean, key, int(r[k]))
             for k in range(len(rows.X))]
    F = _compute([_tree(parts, _merge_r)], client)[0]
    return (s, mean, diag, F) if spec.approx == "lowrank" else (s, mean, F.T @ F)


def _score_spec(est, rows, coef, intercept, score_fn, key, client):
    spec = _ScoreSpec(est.scores, est.model, est.target, est.approx, float(est.tau), float(est.l2),
                      bool(est.fit_intercept), coef, intercept, score_fn)
    if est.scores == "influence":
        if est.approx in ("sketch", "lowrank"):
            return replace(spec, moments=_sketched_moments(rows, spec, stream_key(key), client))
        return replace(spec, moments=_global_moments(rows, spec, client))
    if est.scores in ("leverage", "root_leverage"):
        n, p = int(rows.lengths.sum()), rows.d + int(spec.fit_intercept)
        if est.approx == "sketch":
            R = _sketch_r(rows, spec.fit_intercept, stream_key(key), default_sketch_size(n, p), client)
        else:
            R = _global_r(rows, spec.fit_intercept, client)
        return replace(spec, basis=_leverage_basis(R, n, None)[0])
    return spec


def _scores_array(rows, pilot_idx, spec):
    blocks = []
    for k in range(len(rows.X)):
        task = delayed(_chunk_scores)(rows.X[k], rows.y[k], int(rows.starts[k]),
                                      rows.local(pilot_idx, k), spec)
        blocks.append(da.from_delayed(task, shape=(int(rows.lengths[k]),), dtype=np.float64))
    return da.concatenate(blocks)


def _pilot(rows, key, pilot, client):
    tasks = [delayed(smallest_uniforms)(key, int(rows.lengths[k]), pilot, int(rows.starts[k]))
             for k in range(len(rows.X))]
    return merge_smallest(_compute(tasks, client), pilot)


def _draw_chunk(Xc, yc, s, start, key, pi_args):
    pi = probabilities_from_scores(s, *pi_args)
    local = poisson_sample(pi, random_state=key, offset=start)
    Xr, yr = _take_rows(Xc, yc, local, start)
    return local + start, Xr, yr, pi[local], float(np.sum(pi))


def _draw(rows, scores, key, pi_args, client):
    sblocks = list(scores.to_delayed().ravel())
    tasks = [delayed(_draw_chunk)(rows.X[k], rows.y[k], sblocks[k], int(rows.starts[k]), key,
                                  pi_args) for k in range(len(rows.X))]
    parts = _compute(tasks, client)
    total = float(np.sum([p[4] for p in parts]))
    return (np.concatenate([p[0] for p in parts]).astype(np.int64),
            np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]), total)


def fit_sampler(est, X, y, score_fn, keys_fn):
    """InfluenceSampler.fit on dask input: (attributes to set, feature names); nothing is set here.
    `score_fn` and `keys_fn` are the in-memory path's ``subsampling_scores`` and key derivation
    (passed in, so both paths share them without an import cycle)."""
    client = active_client()
    X, y, names = as_row_chunks(X, y)
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None")
    n, d = X.shape
    size, pilot, n_jobs = est._check_params(n, d)
    pilot_key, score_key, poisson_key = keys_fn(est.random_state)
    rows = _Rows.of(X, y)

    pilot_idx = _pilot(rows, pilot_key, pilot, client)
    Xp, yp = _gather_rows(rows, pilot_idx, client)
    pilot_fit = est._fit_glm(Xp, yp, None, est.l2 * pilot / n, n_jobs)
    pcoef = np.asarray(pilot_fit.coef, dtype=np.float64)
    pint = float(pilot_fit.intercept) if est.fit_intercept else 0.0

    spec = _score_spec(est, rows, pcoef, pint, score_fn, score_key, client)
    scores = _persist(_scores_array(rows, pilot_idx, spec), client)
    m = n - pilot
    a = 0.1 * min(size, m) / m if est.min_prob is None else float(est.min_prob)
    everything = size >= n
    lam, zero_prob = (np.inf, 1.0) if everything else solve_lambda(scores, size, a, client)
    pi_args = (lam, zero_prob, a, everything)
    idx, Xs, ys, pis, total = _draw(rows, scores, poisson_key, pi_args, client)
    expected = n if everything else size
    if abs(total - expected) > 1e-9 * expected:
        raise RuntimeError(f"internal error: Σπ = {total!r} instead of {expected!r}")
    need = d + int(bool(est.fit_intercept))
    if idx.size < need:
        raise ValueError(
            f"the Poisson sample has {idx.size} rows, fewer than the {need} parameters; raise size")
    w = 1.0 / pis
    fit = est._fit_glm(Xs, ys, w, est.l2, n_jobs)
    probabilities = scores.map_blocks(probabilities_from_scores, *pi_args, dtype=np.float64)
    return dict(
        scores_=scores, probabilities_=probabilities, lambda_=float(lam), min_prob_=a,
        pilot_size_=pilot, pilot_indices_=pilot_idx, pilot_fit_=pilot_fit, pilot_coef_=pcoef,
        pilot_intercept_=pint, indices_=idx, weights_=w, fit_=fit,
        coef_=np.asarray(fit.coef, dtype=np.float64),
        intercept_=float(fit.intercept) if est.fit_intercept else 0.0, n_features_in_=d,
    ), names
