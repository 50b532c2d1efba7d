"""Semivalues: Data Shapley, Beta Shapley, Data Banzhaf and leave-one-out.

A semivalue of player i is ``φ_i = Σ_{S ⊆ N∖{i}} p(|S|) · (u(S ∪ {i}) − u(S))`` with a weight
p(k) per coalition of size k such that ``Σ_k C(n−1, k)·p(k) = 1``:

=========  ==========================================  ===========================================
method     p(k)                                        mass of size k, q(k) = C(n−1, k)·p(k)
=========  ==========================================  ===========================================
shapley    1 / (n·C(n−1, k))                           1/n
beta       B(k + β, n − 1 − k + α) / B(α, β)           beta-binomial(n−1; β, α) pmf at k
banzhaf    1 / 2^(n−1)                                 binomial(n−1, ½) pmf at k
loo        1 if k = n − 1 else 0                       the point mass at k = n − 1
=========  ==========================================  ===========================================

Beta Shapley convention (Kwon & Zou 2022): ``beta_params=(α, β)``; α > β puts the weight on small
coalitions (the paper's recommended Beta(16, 1), our default), α = β = 1 is Data Shapley. pyDVL's
``BetaShapleyValuation(alpha, beta)`` uses the same p(k) (its ``log_coefficient``) and has no
default; OpenDataVal's ``BetaShapley(alpha=4, beta=1)`` uses the same roles of α and β but a
different default (4, 1), and normalizes its per-size weights numerically over the sizes it
sampled (the same values up to that normalization).

Samplers (all streams are counter-based: keyed by ``(seed, index)`` so the result for a seed does
not depend on ``n_jobs``):

* ``"exact"``: every one of the 2^n coalitions (n ≤ 20);
* ``"permutation"``: uniform permutations, the marginal at position k weighted by n·q(k) (1 for
  Shapley); with ``truncation=τ`` a walk stops once |u(S) − u(N)| ≤ τ·|u(N)| and the later
  marginals are 0 (TMC-Shapley, Ghorbani & Zou 2019; pyDVL's ``RelativeTruncation(rtol=τ)``
  without its absolute 1e-8);
* ``"antithetic"``: permutations in pairs (π, reversed π);
* ``"msr"``: maximum sample reuse (Wang & Jia 2023): uniform random coalitions, each one's
  score used for every player, φ_i = mean u(S ∋ i) − mean u(S ∌ i) for Banzhaf (other
  semivalues with importance weights 2^(n−1)·p(·), unbiased but noisy);
* ``"stratified"``: per player, coalition sizes stratified over the quantiles of q, then a
  uniform coalition of each size without the player (rounds of 10 draws per player; the standard
  error comes from the round means).
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from scipy.special import betaln, gammaln

from ._validation import as_int, check_choice
from .utility import ModelUtility, effective_n_jobs, raise_status
from .valuation import Valuation

__all__ = ["semivalues", "semivalue_weights", "METHODS", "SAMPLERS"]

METHODS = ("shapley", "beta", "banzhaf", "loo")
SAMPLERS = ("auto", "exact", "permutation", "antithetic", "msr", "stratified")
DEFAULT_BETA = (16.0, 1.0)
_ROUND = 10  # stratified: draws per player per round


def _beta_params(method, beta_params):
    if method != "beta":
        if beta_params is not None:
            raise ValueError("beta_params applies to method='beta' only")
        return None
    if beta_params is None:
        return DEFAULT_BETA
    try:
        a, b = (float(v) for v in beta_params)
    except (TypeError, ValueError):
        raise TypeError(f"beta_params must be a pair (alpha, beta), got {beta_params!r}") from None
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise ValueError(f"beta_params must be two positive numbers, got {beta_params!r}")
    return a, b


def semivalue_weights(method: str, n: int, beta_params=None, *, per: str = "size") -> np.ndarray:
    """Weights of the coalition sizes k = 0 … n−1 of a semivalue with n players.

    Parameters
    ----------
    method : {"shapley", "beta", "banzhaf", "loo"}
    n : int
        Number of players (n ≥ 1).
    beta_params : (float, float), optional
        (α, β) of Beta Shapley (default (16, 1)); see the module notes for the convention.
    per : {"size", "coalition"}, default "size"
        ``"size"``: q(k), the total weight of all coalitions of size k (sums to 1), so that
        ``φ_i = Σ_k q(k)·E[u(S ∪ i) − u(S) | |S| = k]`` with S uniform among the k-subsets of
        N∖{i} — the form to combine with expected marginal contributions ψ_k (scaling laws).
        ``"coalition"``: p(k) = q(k) / C(n−1, k), the weight of one coalition of size k.

    Examples
    --------
    >>> import pointvalue as pv
    >>> pv.semivalue_weights("shapley", 4)
    array([0.25, 0.25, 0.25, 0.25])
    >>> pv.semivalue_weights("banzhaf", 3).tolist()
    [0.25, 0.5, 0.25]
    >>> pv.semivalue_weights("banzhaf", 3, per="coalition").tolist()
    [0.25, 0.25, 0.25]
    """
    check_choice(method, "method", set(METHODS))
    n = as_int(n, "n", minimum=1)
    check_choice(per, "per", {"size", "coalition"})
    ab = _beta_params(method, beta_params)
    k = np.arange(n, dtype=np.float64)
    log_comb = gammaln(n) - gammaln(k + 1) - gammaln(n - k)
    if method == "shapley":
        q = np.full(n, 1.0 / n)
    elif method == "loo":
        q = np.zeros(n)
        q[-1] = 1.0
    elif method == "banzhaf":
        q = np.exp(log_comb - (n - 1) * np.log(2.0))
    else:
        a, b = ab
        q = np.exp(log_comb + betaln(k + b, n - 1 - k + a) - betaln(a, b))
    if per == "size":
        return q
    return q / np.exp(log_comb) if method != "loo" else q


# ------------------------------------------------------------------------------------------------
# helpers


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(0, 1 << 63))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 1 << 63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
    if random_state < 0:
        raise ValueError(f"random_state must be non-negative, got {random_state}")
    return int(random_state)


def permutations(seed: int, n: int, start: int, stop: int, antithetic: bool = False) -> np.ndarray:
    """Permutations start … stop−1 of the stream `seed` (row q from ``default_rng([seed, q])``;
    antithetic: row 2j+1 is row 2j reversed). The engine walks exactly these."""
    out = np.empty((stop - start, n), dtype=np.int64)
    for r, q in enumerate(range(start, stop)):
        if antithetic:
            pi = np.random.default_rng([seed, q // 2]).permutation(n)
            out[r] = pi[::-1] if q % 2 else pi
        else:
            out[r] = np.random.default_rng([seed, q]).permutation(n)
    return out


class _Moments:
    """Per-player count, mean and M2, merged batch by batch (Chan et al.): deterministic for a
    fixed batch sequence."""

    def __init__(self, n):
        self.count = np.zeros(n)
        self.mean = np.zeros(n)
        self.m2 = np.zeros(n)

    def add(self, rows, mask=None):
        if mask is None:
            c = np.full(rows.shape[1], float(rows.shape[0]))
            mu = rows.mean(axis=0) if rows.shape[0] else np.zeros(rows.shape[1])
            m2 = ((rows - mu) ** 2).sum(axis=0)
        else:
            c = mask.sum(axis=0).astype(np.float64)
            s = np.where(mask, rows, 0.0).sum(axis=0)
            mu = np.divide(s, c, out=np.zeros_like(s), where=c > 0)
            m2 = np.where(mask, (rows - mu) ** 2, 0.0).sum(axis=0)
        tot = self.count + c
        delta = mu - self.mean
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(tot > 0, c / tot, 0.0)
        self.mean = self.mean + delta * frac
        self.m2 = self.m2 + m2 + delta ** 2 * self.count * frac
        self.count = tot

    def var_of_mean(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(self.count > 1, self.m2 / (self.count - 1) / self.count, np.inf)
        return v


def _as_utility(utility, n_players):
    if isinstance(utility, ModelUtility):
        if n_players is not None and n_players != utility.n_players:
            raise ValueError(f"n_players={n_players} differs from the utility's {utility.n_players} pool rows")
        return utility, utility.n_players
    if not callable(utility):
        raise TypeError(f"utility must be a ModelUtility or a callable f(indices) -> float, got {utility!r}")
    if n_players is None:
        n_players = getattr(utility, "n_players", None)
        if n_players is None:
            raise ValueError("pass n_players= with a callable utility")
    return utility, as_int(n_players, "n_players", minimum=1)


def _call(utility, idx) -> float:
    v = utility(np.asarray(idx, dtype=np.int64))
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"the utility must return a number, got {v!r}") from None
    if not np.isfinite(v):
        raise ValueError(f"the utility returned {v} for a subset of size {len(idx)}")
    return v


def _evaluate(utility, subsets, targets=None, n_jobs=None):
    if isinstance(utility, ModelUtility):
        return utility.evaluate(subsets, targets, n_jobs=n_jobs)
    score = np.array([_call(utility, s) for s in subsets])
    if targets is None:
        return score
    return score, np.array([_call(utility, np.append(s, t)) for s, t in zip(subsets, targets)])


def _walk_generic(utility, perms, weights, truncation, total):
    """Python walk of a callable along each permutation (same rules as the engine)."""
    n = perms.shape[1]
    rows = np.zeros(perms.shape, dtype=np.float64)
    evals = np.zeros(len(perms), dtype=np.int64)
    for q, pi in enumerate(perms):
        prev = _call(utility, pi[:0])
        for j in range(n):
            u = _call(utility, pi[: j + 1])
            evals[q] += 1
            rows[q, pi[j]] = weights[j] * (u - prev)
            prev = u
            if truncation and abs(u - total) <= truncation * abs(total):
                break
    return rows, evals


def _walk_engine(utility, perms, weights, truncation, total, n_threads):
    """(marginals, evaluations, status) of the compiled walks along `perms` (no raise)."""
    from . import _core

    o = utility.engine_options(n_threads)
    o.size_weights = list(map(float, weights))
    o.truncation = float(truncation or 0.0)
    o.total_score = float(total)
    res = _core.semivalues.walk_permutations(utility.X, utility.y, utility.X_val, utility.y_val, o, perms)
    return np.array(res.marginals), np.array(res.evaluations), np.asarray(res.status)


def _walk(utility, perms, weights, truncation, total, n_jobs):
    if isinstance(utility, ModelUtility) and utility.engine:
        rows, evals, status = _walk_engine(utility, perms, weights, truncation, total, n_jobs)
        raise_status(status)
        return rows, evals
    if n_jobs > 1 and len(perms) > 1:
        from joblib import Parallel, delayed

        parts = np.array_split(np.arange(len(perms)), min(len(perms), n_jobs))
        out = Parallel(n_jobs=n_jobs)(
            delayed(_walk_generic)(utility, perms[p], weights, truncation, total) for p in parts)
        return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])
    return _walk_generic(utility, perms, weights, truncation, total)


def walk_part(utility, perms, weights, truncation, total):
    """A task of the cluster runner: (marginals, evaluations, engine status or None) on one
    thread; the caller raises for the statuses of all parts at once."""
    if isinstance(utility, ModelUtility) and utility.engine:
        return _walk_engine(utility, perms, weights, truncation, total, 1)
    return (*_walk_generic(utility, perms, weights, truncation, total), None)


def evaluate_part(utility, subsets, targets):
    """A task of the cluster runner: (u(S), u(S ∪ {t}) or None, engine status or None)."""
    if isinstance(utility, ModelUtility) and utility.engine:
        return utility.engine_scores([np.asarray(s, dtype=np.int64) for s in subsets], targets)
    out = _evaluate(utility, subsets, targets, 1)
    return (out, None, None) if targets is None else (*out, None)


class _LocalRunner:
    """Evaluations and walks on this machine (threads or joblib workers)."""

    def __init__(self, utility, n_jobs):
        self.utility = utility
        self.n_jobs = n_jobs

    def evaluate(self, subsets, targets=None):
        return _evaluate(self.utility, subsets, targets, n_jobs=self.n_jobs)

    def walk(self, perms, weights, truncation, total):
        return _walk(self.utility, perms, weights, truncation, total, self.n_jobs)


class _ClusterRunner:
    """Evaluations and walks on a dask cluster: each call split into parts, one-thread tasks
    (`evaluate_part`, `walk_part`), put back in order; engine statuses of all parts checked at
    once, so a failure raises the local exception. The utility is scattered once."""

    def __init__(self, client, utility):
        from ._dask_contributions import scatter

        self.client = client
        self.utility = utility
        self._shared = scatter(client, (utility,))

    def _map(self, func, jobs, prefix):
        from ._dask_contributions import map_jobs

        out = list(map_jobs(self.client, func, self._shared, jobs, prefix))
        status = [o[2] for o in out if o[2] is not None]
        if status:
            raise_status(np.concatenate(status))
        return out

    def _parts(self, n_items):
        from ._dask_contributions import parts

        return parts(self.client, n_items)

    def evaluate(self, subsets, targets=None):
        jobs = [([subsets[i] for i in p], None if targets is None else targets[p]) for p in self._parts(len(subsets))]
        out = self._map(evaluate_part, jobs, "semivalue-evaluate")
        score = np.concatenate([o[0] for o in out])
        return score if targets is None else (score, np.concatenate([o[1] for o in out]))

    def walk(self, perms, weights, truncation, total):
        jobs = [(perms[p], weights, truncation, total) for p in self._parts(len(perms))]
        out = self._map(walk_part, jobs, "semivalue-walk")
        return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


class _Budget:
    """When to stop: n_samples, a standard-error target, a time limit; and the progress bar."""

    def __init__(self, n_samples, stderr_target, max_time, default, progress, desc):
        if n_samples is not None:
            n_samples = as_int(n_samples, "n_samples", minimum=1)
        if stderr_target is not None and not (isinstance(stderr_target, numbers.Real) and float(stderr_target) > 0):
            raise ValueError(f"stderr_target must be a positive number, got {stderr_target!r}")
        if max_time is not None and not (isinstance(max_time, numbers.Real) and float(max_time) > 0):
            raise ValueError(f"max_time must be a positive number of seconds, got {max_time!r}")
        if n_samples is None and stderr_target is None and max_time is None:
            n_samples = default
        self.n_samples, self.stderr_target, self.max_time = n_samples, stderr_target, max_time
        self.start = time.perf_counter()
        self.stopped_by = "n_samples"
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=n_samples, desc=desc, leave=False)

    def next_batch(self, done, batch):
        if self.n_samples is not None:
            return max(0, min(batch, self.n_samples - done))
        return batch

    def update(self, k):
        if self.bar is not None:
            self.bar.update(k)

    def done(self, done, stderr):
        if self.n_samples is not None and done >= self.n_samples:
            self.stopped_by = "n_samples"
            return True
        se = np.nan_to_num(stderr, nan=np.inf)
        if self.stderr_target is not None and done >= 2 and np.all(se <= self.stderr_target):
            self.stopped_by = "stderr_target"
            return True
        if self.max_time is not None and time.perf_counter() - self.start >= self.max_time:
            self.stopped_by = "max_time"
            if self.n_samples is not None:
                warnings.warn(f"max_time reached after {done} of n_samples={self.n_samples} samples",
                              RuntimeWarning, stacklevel=3)
            return True
        return False

    def close(self):
        if self.bar is not None:
            self.bar.close()


# ------------------------------------------------------------------------------------------------
# samplers


def _exact(runner, n, q):
    if n > 20:
        raise ValueError(f"sampler='exact' enumerates 2^n coalitions; n={n} is too many (at most 20)")
    masks = np.arange(1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    subsets = [np.flatnonzero(b) for b in bits]
    u = np.empty(len(masks))
    chunk = 1 << 14
    for s in range(0, len(masks), chunk):
        u[s:s + chunk] = runner.evaluate(subsets[s:s + chunk])
    size = bits.sum(axis=1)
    log_comb = gammaln(n) - gammaln(np.arange(n) + 1) - gammaln(n - np.arange(n))
    p = np.where(q > 0, q / np.exp(log_comb), 0.0)
    values = np.empty(n)
    for i in range(n):
        out = masks[~bits[:, i]]
        values[i] = np.sum(p[size[out]] * (u[out | (1 << i)] - u[out]))
    return values, np.zeros(n), np.full(n, 1 << (n - 1)), {"evaluations": int(len(masks))}


def _loo(runner, n):
    full = np.arange(n)
    subs = [np.delete(full, i) for i in range(n)]
    total = runner.evaluate([full])[0]
    without = np.empty(n)
    chunk = max(1, (1 << 24) // max(n, 1))
    for s in range(0, n, chunk):
        without[s:s + chunk] = runner.evaluate(subs[s:s + chunk])
    return total - without, np.zeros(n), np.ones(n), {"evaluations": n + 1, "total_score": float(total)}


def _permutation(runner, n, q, seed, budget, truncation, antithetic):
    weights = n * q
    total = 0.0
    if truncation:
        utility = runner.utility
        total = utility.total_score() if isinstance(utility, ModelUtility) else _call(utility, np.arange(n))
    mom = _Moments(n)
    batch = max(2, min(64, (1 << 22) // n))
    batch -= batch % 2
    done, evals, trunc_sum = 0, 0, 0
    while True:
        k = budget.next_batch(done, batch)
        if antithetic and k % 2:
            k += 1
        if k == 0:
            break
        perms = permutations(seed, n, done, done + k, antithetic)
        rows, ev = runner.walk(perms, weights, truncation, total)
        evals += int(ev.sum())
        trunc_sum += int((ev < n).sum())
        mom.add(0.5 * (rows[0::2] + rows[1::2]) if antithetic else rows)
        done += k
        budget.update(k)
        if budget.done(done, np.sqrt(mom.var_of_mean())):
            break
    counts = np.full(n, done)
    meta: dict = {"evaluations": evals, "truncated_walks": trunc_sum}
    if truncation:
        meta["total_score"] = float(total)
    return mom.mean, np.sqrt(mom.var_of_mean()), counts, meta


def _msr(runner, n, q, seed, budget):
    log_comb = gammaln(n) - gammaln(np.arange(n) + 1) - gammaln(n - np.arange(n))
    # 2^(n−1)·p(k) = q(k) / binomial(n−1, ½) pmf at k
    factor = np.exp(np.log(np.maximum(q, 1e-300)) - log_comb + (n - 1) * np.log(2.0)) * (q > 0)
    w_in = np.concatenate([[0.0], factor])  # a coalition of size s holding i: |S∖i| = s − 1
    w_out = np.concatenate([factor, [0.0]])  # a coalition of size s without i
    mom_in, mom_out = _Moments(n), _Moments(n)
    batch = max(16, min(4096, (1 << 22) // n))
    done = 0
    while True:
        k = budget.next_batch(done, batch)
        if k == 0:
            break
        inside = np.stack([np.random.default_rng([seed, s]).random(n) < 0.5 for s in range(done, done + k)])
        u = runner.evaluate([np.flatnonzero(r) for r in inside])
        size = inside.sum(axis=1)
        mom_in.add(np.broadcast_to((w_in[size] * u)[:, None], inside.shape), inside)
        mom_out.add(np.broadcast_to((w_out[size] * u)[:, None], inside.shape), ~inside)
        done += k
        budget.update(k)
        se = np.sqrt(mom_in.var_of_mean() + mom_out.var_of_mean())
        if budget.done(done, se):
            break
    values = mom_in.mean - mom_out.mean
    stderr = np.sqrt(mom_in.var_of_mean() + mom_out.var_of_mean())
    return values, stderr, mom_in.count + mom_out.count, {"evaluations": done}


def _stratified(runner, n, q, seed, budget):
    cdf = np.cumsum(q)
    cdf /= cdf[-1]
    mom = _Moments(n)
    players = np.arange(n)
    rnd, done = 0, 0
    while True:
        m = budget.next_batch(done, _ROUND)
        if m == 0:
            break
        subs, targets = [], []
        for i in players:
            rng = np.random.default_rng([seed, rnd, i])
            levels = (np.arange(m) + rng.random(m)) / m
            sizes = np.minimum(np.searchsorted(cdf, levels, side="right"), n - 1)
            others = np.delete(players, i)
            for k in sizes:
                subs.append(rng.choice(others, size=int(k), replace=False) if k else others[:0])
                targets.append(i)
        base, plus = runner.evaluate(subs, np.array(targets))
        delta = (plus - base).reshape(n, m).mean(axis=1)
        mom.add(delta[None, :])
        done += m
        rnd += 1
        budget.update(m)
        if budget.done(rnd, np.sqrt(mom.var_of_mean())):
            break
    return mom.mean, np.sqrt(mom.var_of_mean()), np.full(n, done), {"evaluations": 2 * n * done, "rounds": rnd}


# ------------------------------------------------------------------------------------------------
# public function


def _runner(utility, n_jobs, client):
    """Where the evaluations run: this machine, or the cluster of `client` (resolved)."""
    from ._dask_contributions import resolve_client

    client = resolve_client(client)
    return _LocalRunner(utility, n_jobs) if client is None else _ClusterRunner(client, utility)


def _auto_sampler(method, n):
    if method == "loo" or n <= 10:
        return "exact"
    return "msr" if method == "banzhaf" else "permutation"


def semivalues(
    utility,
    *,
    n_players=None,
    method: str = "shapley",
    beta_params=None,
    sampler: str = "auto",
    n_samples=None,
    truncation=None,
    stderr_target=None,
    max_time=None,
    random_state=None,
    n_jobs=None,
    progress: bool = True,
    client=None,
) -> Valuation:
    """Data Shapley, Beta Shapley, Data Banzhaf or leave-one-out values of every player.

    Parameters
    ----------
    utility : ModelUtility or callable
        The game u(S). A :class:`~pointvalue.ModelUtility` with a built-in model runs every walk in
        the compiled engine (incremental refits, OpenMP, GIL released); a scikit-learn estimator
        or any callable ``f(indices) -> float`` is called for each coalition (in parallel through
        joblib when ``n_jobs`` > 1).
    n_players : int, optional
        Number of players of a callable (a ModelUtility knows its pool size).
    method : {"shapley", "beta", "banzhaf", "loo"}, default "shapley"
        The semivalue (weights in the module notes and :func:`semivalue_weights`).
    beta_params : (float, float), optional
        (α, β) of Beta Shapley, default (16, 1) (Kwon & Zou's convention, as pyDVL's).
    sampler : {"auto", "exact", "permutation", "antithetic", "msr", "stratified"}, default "auto"
        "auto": leave-one-out exactly, n ≤ 10 players exactly, Banzhaf by MSR, the others by
        permutations.
    n_samples : int, optional
        Permutations ("permutation", "antithetic"), coalitions ("msr") or draws per player
        ("stratified"). Default (when no other stopping rule is given): 100 permutations,
        100·n coalitions, 50 draws per player.
    truncation : float, optional
        Relative truncation τ of permutation walks (TMC): a walk stops once
        |u(S) − u(N)| ≤ τ·|u(N)|, the remaining marginals counted as 0.
    stderr_target : float, optional
        Stop once every value's standard error is at most this (checked between batches).
    max_time : float, optional
        Stop after this many seconds (between batches; a warning if n_samples is not reached).
    random_state : None, int or numpy Generator
        Seed of the counter-based streams; the same seed gives the same values for any n_jobs.
    n_jobs : int, optional
        Threads of the engine / joblib workers (scikit-learn's meaning; None → 1).
    progress : bool, default True
        A tqdm progress bar.
    client : dask.distributed.Client, None or False, default None
        Run the evaluations and walks on this cluster (see the Dask note). None: the active
        client when there is one, else this machine; False: this machine (as in
        :func:`pointvalue.marginal_contributions`). The values are the local run's, bit for
        bit, for the same seed.

    Returns
    -------
    Valuation
        ``values``, ``stderr`` (0 for exact methods), ``counts`` (samples per player), ``method``.

    Notes
    -----
    Dask. With a client, the utility is scattered once to every worker, and each batch of the
    sampler (a batch of permutations, of coalitions, a round of the stratified draws, a chunk of
    the exact enumeration) is split into parts run as one-thread tasks; the batch's results are
    put back in order on the client, which merges the moments in the local batch order, so the
    values, standard errors and counts equal the local run's. Stopping rules are checked between
    batches as locally. A callable utility is shipped to the workers with cloudpickle (it must
    not depend on state of this process). Workers lost mid-run are replaced by the scheduler
    without changing the result.

    Examples
    --------
    >>> import numpy as np, pointvalue as pv
    >>> def majority(S):             # 3-player majority vote: each player is worth 1/3
    ...     return float(len(S) >= 2)
    >>> pv.semivalues(majority, n_players=3, sampler="exact").values.round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    """
    check_choice(method, "method", set(METHODS))
    check_choice(sampler, "sampler", set(SAMPLERS))
    ab = _beta_params(method, beta_params)
    utility, n = _as_utility(utility, n_players)
    if truncation is not None:
        if not (isinstance(truncation, numbers.Real) and 0 <= float(truncation) < 1):
            raise ValueError(f"truncation must be a number in [0, 1), got {truncation!r}")
        truncation = float(truncation)
    if sampler == "auto":
        sampler = _auto_sampler(method, n)
    if truncation and sampler not in ("permutation", "antithetic"):
        raise ValueError(f"truncation applies to permutation walks, not sampler={sampler!r}")
    n_jobs = effective_n_jobs(n_jobs)
    runner = _runner(utility, n_jobs, client)
    seed = _seed(random_state)
    q = semivalue_weights(method, n, ab)
    meta = {"sampler": sampler, "seed": seed, "n_players": n}
    if ab is not None:
        meta["beta_params"] = list(ab)
    if truncation:
        meta["truncation"] = truncation
    t0 = time.perf_counter()
    if sampler == "exact":
        if method == "loo":
            values, stderr, counts, extra = _loo(runner, n)
        else:
            values, stderr, counts, extra = _exact(runner, n, q)
        meta["stopped_by"] = "exact"
    else:
        defaults = {"permutation": 100, "antithetic": 100, "msr": 100 * n, "stratified": 50}
        budget = _Budget(n_samples, stderr_target, max_time, defaults[sampler], progress,
                         f"{method} ({sampler})")
        try:
            if sampler in ("permutation", "antithetic"):
                values, stderr, counts, extra = _permutation(
                    runner, n, q, seed, budget, truncation, sampler == "antithetic")
            elif sampler == "msr":
                values, stderr, counts, extra = _msr(runner, n, q, seed, budget)
            else:
                values, stderr, counts, extra = _stratified(runner, n, q, seed, budget)
        finally:
            budget.close()
        meta["stopped_by"] = budget.stopped_by
    meta.update(extra)
    meta["seconds"] = time.perf_counter() - t0
    return Valuation(values, stderr, counts, method=method, meta=meta)
