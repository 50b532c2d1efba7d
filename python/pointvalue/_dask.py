"""Dask building blocks: inputs, scheduler, reductions, λ from per-chunk summaries, leverage.

Imported lazily by ``leverage_scores`` and ``_dask_subsampling`` (``InfluenceSampler.fit``).

The rows are split into the chunks of a 2-D dask array (one column chunk); every pass over the
data is one task per chunk, running the same C++ kernels as the in-memory path, and only small
summaries, the pilot and the sample travel to the client:

1. pilot: each chunk proposes its ``pilot`` rows with the smallest uniforms of the pilot stream
   (keyed by the global row index); the client keeps the global smallest, the rows the in-memory
   fit picks for the same seed; their rows are gathered and the pilot is fitted locally;
2. scores: the global moments of Σ (``_core.glm.influence_moments``, merged as a tree) or the
   R factor of a tall-skinny QR (leverage) are sent to each chunk's score task; the scores are
   persisted (on the workers with a ``distributed`` client);
3. λ of ``Σ min(1, max(π_min, λ s_i)) = size``: exactly, from per-chunk summaries
   (:func:`solve_lambda`);
4. Poisson draw per chunk at the global row offsets of the Poisson stream; the sampled rows are
   gathered and the weighted model is refitted locally.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np
from dask import delayed

from . import _core
from ._validation import all_finite, check_design, check_scalar, check_vector
from .random import stream_key

__all__ = ["active_client", "as_row_chunks", "leverage_scores_dask", "solve_lambda"]

_BINS = 1024          # bins of the λ bracket per round
_GATHER = 1 << 17     # unsettled rows the client finishes λ with


# ------------------------------------------------------------------------------------------------
# scheduler


def active_client():
    """The active ``distributed`` client, or None (dask's default scheduler is used)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:  # no client in this context
        return None


def _compute(tasks, client):
    tasks = list(tasks)
    if client is not None:
        return client.gather(client.compute(tasks))
    return list(dask.compute(*tasks))


def _persist(arr, client):
    return client.persist(arr) if client is not None else arr.persist()


# ------------------------------------------------------------------------------------------------
# input


def _is_numeric(dtype):
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _numeric_frame(X, name):
    bad = [str(c) for c, t in X.dtypes.items() if not _is_numeric(t)]
    if bad:
        raise TypeError(f"{name} has non-numeric columns {bad}: encode or drop them first")


def _frame_to_array(X, y):
    """A dask DataFrame (and a Series or a column name) as row-chunked dask arrays."""
    import dask.dataframe as dd

    if isinstance(y, str):
        if y not in X.columns:
            raise ValueError(f"y={y!r} is not a column of X")
        X, y = X.drop(columns=[y]), X[y]
    _numeric_frame(X, "X")
    names = np.asarray([str(c) for c in X.columns], dtype=object)
    # dask dataframes do not know their partition lengths: one pass over the index finds them
    lengths = tuple(int(v) for v in X.map_partitions(len).compute())
    Xa = X.to_dask_array(lengths=lengths)
    if isinstance(y, dd.DataFrame):
        raise ValueError("y must be one column (a dask Series or a column name), got a DataFrame")
    if isinstance(y, dd.Series):
        if not _is_numeric(y.dtype):
            raise TypeError(f"y has the non-numeric dtype {y.dtype}")
        y = y.to_dask_array(lengths=lengths if y.npartitions == len(lengths) else True)
    return Xa, y, names


def _check_array(X):
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got a {X.ndim}-D dask array of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be a real numeric array, got dtype {X.dtype}")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError("X has unknown chunk sizes (rows per chunk): call X.compute_chunk_sizes() "
                         "first, or for a dask DataFrame pass the DataFrame itself or "
                         "df.to_dask_array(lengths=True)")
    if len(X.chunks[1]) != 1:
        raise ValueError(f"X is chunked along its columns ({len(X.chunks[1])} column chunks); the "
                         "kernels need whole rows: X.rechunk({1: -1})")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


def _check_response(y, rows):
    n = sum(rows)
    if y is None:
        raise ValueError("InfluenceSampler requires y to be passed, but the target y is None")
    if hasattr(y, "to_dask_array"):  # a dask Series beside a dask array X
        y = y.to_dask_array(lengths=True)
    if not isinstance(y, da.Array):
        y = da.from_array(check_vector(y, "y", n, finite=False), chunks=(rows,))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be a real numeric array, got dtype {y.dtype}")
    if any(np.isnan(c) for c in y.chunks[0]):
        y = y.compute_chunk_sizes()
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} entries, expected {n} (one per row of X)")
    if tuple(y.chunks[0]) != tuple(rows):
        y = y.rechunk((rows,))
    return y.astype(np.float64)


def as_row_chunks(X, y=None):
    """(X, y, feature names) as dask arrays with the same row chunks, X with one column chunk."""
    import dask.dataframe as dd

    names = None
    if isinstance(X, dd.DataFrame):
        X, y, names = _frame_to_array(X, y)
    elif isinstance(X, dd.Series):
        raise ValueError("X must be 2-D: a dask Series was given (use series.to_frame())")
    elif not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array or DataFrame, got {type(X).__name__}")
    X = _check_array(X)
    rows = tuple(int(c) for c in X.chunks[0])
    return X, (None if y is None else _check_response(y, rows)), names


@dataclass(frozen=True)
class _Rows:
    """The row chunks: delayed blocks of X and y with their global starts."""

    X: list
    y: list
    starts: np.ndarray
    lengths: np.ndarray
    d: int

    @classmethod
    def of(cls, X, y):
        lengths = np.asarray(X.chunks[0], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return cls(list(X.to_delayed().ravel()), list(y.to_delayed().ravel()), starts, lengths,
                   int(X.shape[1]))

    def local(self, idx, k):
        """Positions of the sorted global indices `idx` inside chunk k."""
        lo, hi = np.searchsorted(idx, [self.starts[k], self.starts[k] + self.lengths[k]])
        return idx[lo:hi] - self.starts[k]


def _chunk_design(Xc, start):
    Xc = check_design(Xc, float32=True, finite=False, allow_empty=True)
    if not all_finite(Xc):
        raise ValueError(f"X contains NaN or infinite values (in the chunk of rows {start}…"
                         f"{start + Xc.shape[0] - 1})")
    return Xc


def _chunk_response(yc, start):
    yc = check_vector(yc, "y", finite=False, n=len(yc))
    if not all_finite(yc):
        raise ValueError(f"y contains NaN or infinite values (in the chunk of rows {start}…"
                         f"{start + yc.shape[0] - 1})")
    return yc


def _take_rows(Xc, yc, local, start):
    Xc = _chunk_design(Xc, start)
    return np.asarray(Xc[local], dtype=np.float64), _chunk_response(yc, start)[local]


def _gather_rows(rows, idx, client):
    """Rows `idx` (sorted global indices) of X (float64) and y, in the order of idx."""
    tasks = []
    for k in range(len(rows.X)):
        local = rows.local(idx, k)
        if local.size:
            tasks.append(delayed(_take_rows)(rows.X[k], rows.y[k], local, int(rows.starts[k])))
    parts = _compute(tasks, client)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# ------------------------------------------------------------------------------------------------
# reductions


def _tree(items, combine, *args):
    """Pairwise reduction of delayed items in chunk order (a tree of depth log2(chunks))."""
    while len(items) > 1:
        nxt = [delayed(combine)(items[i], items[i + 1], *args) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


def _with_ones(Xc, fit_intercept):
    D = np.asarray(Xc, dtype=np.float64)
    return np.column_stack([D, np.ones(len(D))]) if fit_intercept else D


def _chunk_r(Xc, start, fit_intercept):
    D = _with_ones(_chunk_design(Xc, start), fit_intercept)
    return np.linalg.qr(D, mode="r") if len(D) else np.zeros((0, D.shape[1]))


def _merge_r(a, b):
    return np.linalg.qr(np.vstack([a, b]), mode="r")


def _leverage_basis(R, n, rcond):
    """M with h_i = ‖d_i M‖² from the R factor of the design (columns equilibrated, rank by rcond)."""
    p = R.shape[1]
    norms = np.linalg.norm(R, axis=0)
    inv = np.divide(1.0, norms, out=np.zeros(p), where=norms > 0)
    _, sig, Vt = np.linalg.svd(R * inv, full_matrices=False)
    if rcond is None:
        rcond = max(n, p) * np.finfo(np.float64).eps
    rank = int(np.count_nonzero(sig > rcond * (sig[0] if sig.size else 0.0)))
    return (inv[:, None] * Vt[:rank].T) / sig[:rank], rank


def _global_r(rows, fit_intercept, client):
    parts = [delayed(_chunk_r)(rows.X[k], int(rows.starts[k]), fit_intercept)
             for k in range(len(rows.X))]
    return _compute([_tree(parts, _merge_r)], client)[0]


def sketch_rows(lengths, sketch_size):
    """SRHT rows of each chunk: proportional to its rows (at least 1), at most its padded length
    (a chunk sketched with all its padded rows contributes its exact Gram matrix)."""
    n = int(lengths.sum())
    padded = np.array([1 << max(0, (int(m) - 1).bit_length()) for m in lengths], dtype=np.int64)
    r = np.maximum(1, np.rint(sketch_size * lengths / n)).astype(np.int64)
    return np.where(lengths > 0, np.minimum(r, padded), 0)


def chunk_key(key, start):
    """The SRHT key of the chunk starting at global row `start`."""
    return int(_core.random.subkey(int(key), int(start)))


def _chunk_sketch_r(Xc, start, fit_intercept, key, r):
    D = _with_ones(_chunk_design(Xc, start), fit_intercept)
    if r == 0:
        return np.zeros((0, D.shape[1]))
    return np.linalg.qr(_core.sketch.srht(np.ascontiguousarray(D), chunk_key(key, start), int(r)),
                        mode="r")


def _sketch_r(rows, fit_intercept, key, sketch_size, client):
    """R of the stacked per-chunk SRHTs (a tree of QRs): ``RᵀR = Σ_c (S_c X_c)ᵀ(S_c X_c)``."""
    r = sketch_rows(rows.lengths, sketch_size)
    parts = [delayed(_chunk_sketch_r)(rows.X[k], int(rows.starts[k]), fit_intercept, key, int(r[k]))
             for k in range(len(rows.X))]
    return _compute([_tree(parts, _merge_r)], client)[0]


# ------------------------------------------------------------------------------------------------
# λ from per-chunk summaries


def _positive(s):
    return s[s > 0]  # NaN (pilot rows) compares False: they take no part


def _summary(s):
    t = _positive(s)
    zeros = int(np.count_nonzero(s == 0))
    if not t.size:
        return 0, zeros, np.inf, 0.0
    return int(t.size), zeros, float(t.min()), float(t.max())


def _unsettled(t, a, L, H):
    """Rows whose class (floor, proportional, one) is not the same for every λ in [L, H]."""
    one = L * t >= 1.0
    floor = ~one & (H * t <= a)
    mid = ~one & ~floor & (L * t >= a) & (H * t <= 1.0)
    return one, floor, mid, ~(one | floor | mid)


def _round(s, a, edges, L, H):
    """Σ_i clip(e t_i, a, 1) at every edge e (sorted scores, long-double prefix sums) and the
    number of rows with a breakpoint inside (L, H)."""
    t = np.sort(_positive(s))
    pre = np.concatenate([[0.0], np.cumsum(t, dtype=np.longdouble)])
    with np.errstate(divide="ignore", invalid="ignore"):  # edge 0: every row at the floor
        lo = np.searchsorted(t, np.where(edges > 0, a / edges, np.inf), side="right")
        hi = np.searchsorted(t, np.where(edges > 0, 1.0 / edges, np.inf), side="left")
    f = a * lo + (t.size - hi) + edges * (pre[hi] - pre[lo])
    return np.asarray(f, dtype=np.longdouble), int(np.count_nonzero(_unsettled(t, a, L, H)[3]))


def _inner(L, H):
    return (0.5 * (L + H) if L > 0 else 0.5 * H) if np.isfinite(H) else 2 * L + 1


def _settle(s, a, L, H, gather):
    """(C, S, W): C = Σ of the settled floor/one probabilities, S = Σ t of the settled
    proportional rows, W the unsettled scores (classified at an inner point when not gathered)."""
    t = _positive(s)
    one, floor, mid, rest = _unsettled(t, a, L, H)
    C = np.longdouble(np.count_nonzero(one)) + np.longdouble(a) * np.count_nonzero(floor)
    S = np.sum(t[mid], dtype=np.longdouble)
    W = t[rest]
    if not gather:
        v = _inner(L, H) * W
        C += np.count_nonzero(v >= 1) + np.longdouble(a) * np.count_nonzero((v < 1) & (v <= a))
        S += np.sum(W[(v < 1) & (v > a)], dtype=np.longdouble)
        W = W[:0]
    return C, S, W


def _finish(W, a, L, H, C, S, target):
    """The in-memory kernel's last steps on the gathered unsettled rows: halve the breakpoints
    inside (L, H) at their median until none is left, then λ = (target − C) / S."""
    while W.size:
        b1, b2 = a / W, 1.0 / W
        bp = np.concatenate([b1[(b1 > L) & (b1 < H)], b2[(b2 > L) & (b2 < H)]])
        if not bp.size:
            break
        piv = float(np.partition(bp, bp.size // 2)[bp.size // 2])
        f = np.sum(np.maximum(a, np.minimum(1.0, piv * W)), dtype=np.longdouble) + C + piv * S
        if f <= target:
            L = piv
        else:
            H = piv
        one, floor, mid, rest = _unsettled(W, a, L, H)
        C += np.count_nonzero(one) + np.longdouble(a) * np.count_nonzero(floor)
        S += np.sum(W[mid], dtype=np.longdouble)
        W = W[rest]
    v = _inner(L, H) * W
    C += np.count_nonzero(v >= 1) + np.longdouble(a) * np.count_nonzero((v < 1) & (v <= a))
    S += np.sum(W[(v < 1) & (v > a)], dtype=np.longdouble)
    if not S > 0:
        return L
    return float(min(max(float((target - C) / S), L), H))


def _edges(L, H, first):
    e = np.geomspace(L, H, _BINS + 1) if L > 0 else np.concatenate([[0.0], np.geomspace(first, H, _BINS)])
    e[0], e[-1] = L, H
    return np.unique(e)


def _narrow(edges, F, target):
    """The bin of λ* from Σπ at the edges, widened by one bin on each side (rounding of F)."""
    k = int(np.searchsorted(F, target, side="right")) - 1
    k = min(max(k, 0), len(edges) - 2)
    return float(edges[max(k - 1, 0)]), float(edges[min(k + 2, len(edges) - 1)])


def solve_lambda(scores, size, a, client=None):
    """λ and the zero-score probability for ``Σ max(a, min(1, λ s_i)) = size`` over the non-NaN
    entries of the dask array `scores`, exactly as ``_core.sampling.inclusion_probabilities``.

    Returns (λ, zero_prob): λ = inf when the positive scores cannot reach `size` (they get 1 and
    the zeros get zero_prob); otherwise zero_prob = a.
    """
    blocks = list(scores.to_delayed().ravel())
    summ = _compute([delayed(_summary)(b) for b in blocks], client)
    m_pos = sum(r[0] for r in summ)
    zeros = sum(r[1] for r in summ)
    m = m_pos + zeros
    if a * m > size * (1 + 1e-12):
        raise ValueError(f"min_prob * n = {a * m:g} exceeds size = {size:g}: the floor alone would "
                         "draw more rows than requested; lower min_prob or raise size")
    if m_pos + a * zeros <= size:
        return np.inf, (min(1.0, (size - m_pos) / zeros) if zeros else 1.0)
    tmin, tmax = min(r[2] for r in summ), max(r[3] for r in summ)
    target = np.longdouble(size) - np.longdouble(a) * np.longdouble(zeros)
    L, H = (a / tmax if a > 0 else 0.0), 1.0 / tmin
    gather = True
    for _ in range(64):
        edges = _edges(L, H, 1.0 / tmax)
        res = _compute([delayed(_round)(b, a, edges, L, H) for b in blocks], client)
        if sum(r[1] for r in res) <= _GATHER:
            break
        F = np.sum([r[0] for r in res], axis=0)
        nL, nH = _narrow(edges, F, target)
        if (nL, nH) == (L, H) or H <= L * (1 + 1e-13):  # ties: no breakpoint left to split
            gather = False
            break
        L, H = nL, nH
    parts = _compute([delayed(_settle)(b, a, L, H, gather) for b in blocks], client)
    C = np.sum([p[0] for p in parts], dtype=np.longdouble)
    S = np.sum([p[1] for p in parts], dtype=np.longdouble)
    W = np.concatenate([p[2] for p in parts])
    return _finish(W, a, L, H, C, S, target), a


def probabilities_from_scores(s, lam, zero_prob, a, everything):
    """π of a chunk: 0 for the pilot rows (NaN scores), clip(λ s, a, 1) otherwise."""
    if everything:
        return np.ones(len(s))
    pilot = np.isnan(s)
    if np.isinf(lam):
        pi = np.where(s > 0, 1.0, zero_prob)
    else:
        pi = np.maximum(a, np.minimum(1.0, lam * np.where(pilot, 0.0, s)))
    pi[pilot] = 0.0
    return pi


# ------------------------------------------------------------------------------------------------
# leverage


def _chunk_leverage(Xc, start, basis):
    Z = _chunk_design(Xc, start).astype(np.float64, copy=False) @ basis
    return np.einsum("ij,ij->i", Z, Z)


def leverage_scores_dask(X, method, rcond, return_rank, sketch_size=None, random_state=None,
                         default_size=None):
    """Leverage scores of a dask array (a lazy dask array): R of a tall-skinny QR (a tree of
    per-chunk QRs; ``"sketch"``: of the stacked per-chunk SRHTs), then ``‖x_i M‖²`` per chunk."""
    X, _, _ = as_row_chunks(X)
    n, d = X.shape
    if rcond is not None:
        rcond = check_scalar(rcond, "rcond", numbers.Real, min_val=0.0, max_val=1.0,
                             include_boundaries="left")
    client = active_client()
    rows = _Rows.of(X, da.zeros(n, chunks=(X.chunks[0],)))
    if method == "exact":
        R = _global_r(rows, False, client)
    else:
        N = 1 << max(0, (n - 1).bit_length())
        size = default_size(n, d) if sketch_size is None else sketch_size
        size = check_scalar(size, "sketch_size", numbers.Integral, min_val=1, max_val=N)
        if size < d:
            raise ValueError(f"sketch_size must be at least the number of columns d={d}, got {size}")
        R = _sketch_r(rows, False, stream_key(random_state), size, client)
    basis, rank = _leverage_basis(R, n, rcond)
    h = X.map_blocks(_chunk_leverage_block, basis, dtype=np.float64, drop_axis=1,
                     chunks=(X.chunks[0],))
    return (h, rank) if return_rank else h


def _chunk_leverage_block(Xc, basis, block_info=None):
    start = block_info[0]["array-location"][0][0] if block_info else 0
    return _chunk_leverage(Xc, start, basis)
