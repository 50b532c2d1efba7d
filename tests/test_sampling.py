"""Inclusion probabilities and Poisson sampling (pointvalue.sampling)."""

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import pointvalue as pv


def reference_probabilities(s, size, a=0.0):
    """Independent reference: bisection on λ of Σ clip(λ s, a, 1) = size (in high precision)."""
    s = np.asarray(s, dtype=np.longdouble)
    n = len(s)
    if size >= n:
        return np.ones(n)
    pos = s > 0
    m = pos.sum()
    if m + a * (n - m) <= size:
        out = np.where(pos, 1.0, min(1.0, (size - m) / (n - m)))
        return out.astype(np.float64)
    f = lambda lam: np.clip(lam * s, a, 1).sum()
    lo, hi = np.longdouble(0), np.longdouble(1)
    while f(hi) < size:
        hi *= 2
    while True:
        mid = (lo + hi) / 2
        if mid == lo or mid == hi:
            break
        if f(mid) < size:
            lo = mid
        else:
            hi = mid
    return np.clip(hi * s, a, 1).astype(np.float64)


@pytest.mark.parametrize(
    "kind", ["lognormal", "ties", "zeros", "heavy", "all_equal", "single_large", "tiny_range"]
)
@pytest.mark.parametrize("a_frac", [0.0, 0.3, 0.99])
@pytest.mark.parametrize("size", [1, 7.5, 40, 199])
def test_matches_bisection_reference(kind, a_frac, size):
    rng = np.random.default_rng(zlib.crc32(f"{kind}{size}".encode()))
    n = 200
    if kind == "lognormal":
        s = rng.lognormal(0, 2, n)
    elif kind == "ties":
        s = rng.integers(1, 4, n).astype(float)
    elif kind == "zeros":
        s = rng.exponential(size=n) * (rng.random(n) < 0.1)
    elif kind == "heavy":
        s = rng.pareto(0.7, n)
    elif kind == "all_equal":
        s = np.full(n, 3.7)
    elif kind == "single_large":
        s = np.ones(n)
        s[17] = 1e9
    else:
        s = 1 + 1e-12 * rng.random(n)
    a = a_frac * size / n
    pi, lam = pv.inclusion_probabilities(s, size, min_prob=a, return_lambda=True)
    ref = reference_probabilities(s, size, a)
    assert_allclose(pi, ref, rtol=1e-9, atol=1e-12)
    assert pi.sum() == pytest.approx(min(size, n), rel=1e-9)
    assert (pi >= a * (1 - 1e-12)).all() and (pi <= 1).all()
    if np.isfinite(lam):
        mid = (pi > a) & (pi < 1)
        assert_allclose(pi[mid], lam * s[mid], rtol=1e-12)


def test_all_equal_scores_give_uniform():
    pi = pv.inclusion_probabilities(np.full(1000, 0.123), 250)
    assert_allclose(pi, 0.25, rtol=1e-14)


def test_size_n_gives_ones():
    s = np.array([0.0, 1.0, 5.0])
    assert_array_equal(pv.inclusion_probabilities(s, 3), 1.0)


@pytest.mark.parametrize("size", [5.5, 10, 1e9])
def test_size_larger_than_n_is_refused(size):
    # regression (issue 9): inclusion_probabilities(np.ones(5), 10) returned five ones, Σπ = 5
    with pytest.raises(ValueError, match=r"size=.* is larger than the 5 rows"):
        pv.inclusion_probabilities(np.ones(5), size)
    with pytest.raises(ValueError, match="size"):
        pv.inclusion_probabilities(np.ones(5), size, min_prob=0.1)


def test_zero_scores_share_the_rest_when_positives_are_too_few():
    s = np.array([0, 0, 0, 0, 2.0, 5.0])
    pi = pv.inclusion_probabilities(s, 3)
    assert_allclose(pi, [0.25, 0.25, 0.25, 0.25, 1, 1])
    pi = pv.inclusion_probabilities(np.zeros(10), 4)  # no information: uniform
    assert_allclose(pi, 0.4)


def test_zero_scores_get_floor_or_zero():
    s = np.array([0, 0, 1.0, 2.0, 3.0, 4.0])
    assert_allclose(pv.inclusion_probabilities(s, 2)[:2], 0.0)
    assert_allclose(pv.inclusion_probabilities(s, 2, min_prob=0.05)[:2], 0.05)


def test_floor_exactly_at_size_over_n():
    s = np.random.default_rng(0).random(50)
    assert_allclose(pv.inclusion_probabilities(s, 10, min_prob=0.2), 0.2, rtol=1e-12)


def test_large_input_sum_exact_and_ordered(rng):
    s = rng.lognormal(0, 3, 300_000)
    pi = pv.inclusion_probabilities(s, 20_000, min_prob=0.01)
    assert pi.sum() == pytest.approx(20_000, rel=1e-12)
    order = np.argsort(s)
    assert (np.diff(pi[order]) >= 0).all()  # monotone in the score


@pytest.mark.parametrize(
    "scores, size, min_prob, exc, match",
    [
        ([1.0, np.nan], 1, None, ValueError, "scores"),
        ([1.0, np.inf], 1, None, ValueError, "scores"),
        ([1.0, -1.0], 1, None, ValueError, "non-negative"),
        ([], 1, None, ValueError, "scores"),
        ([[1.0, 2.0]], 1, None, ValueError, "scores"),
        (["a", "b"], 1, None, TypeError, "scores"),
        ([1.0, 2.0], 0, None, ValueError, "size"),
        ([1.0, 2.0], -3, None, ValueError, "size"),
        ([1.0, 2.0], np.nan, None, ValueError, "size"),
        ([1.0, 2.0], "3", None, TypeError, "size"),
        ([1.0, 2.0, 3.0], 1, 0.5, ValueError, "min_prob"),
        ([1.0, 2.0], 1, -0.1, ValueError, "min_prob"),
        ([1.0, 2.0], 1, 1.5, ValueError, "min_prob"),
    ],
)
def test_bad_input(scores, size, min_prob, exc, match):
    with pytest.raises(exc, match=match):
        pv.inclusion_probabilities(scores, size, min_prob=min_prob)


def test_kernel_guards_its_own_preconditions():
    from pointvalue import _core

    with pytest.raises(ValueError, match="non-negative"):
        _core.sampling.inclusion_probabilities(np.array([1.0, -2.0]), 1.0, 0.0)
    with pytest.raises(TypeError):
        _core.sampling.inclusion_probabilities(np.array([1, 2]), 1.0, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _core.sampling.poisson_sample(np.array([0.5, 1.5]), 1, 0)


# --- Poisson sampling --------------------------------------------------------------------------


def test_poisson_sample_matches_uniforms_and_is_deterministic():
    p = np.random.default_rng(1).random(100_000)
    a = pv.poisson_sample(p, random_state=42)
    b = pv.poisson_sample(p, random_state=np.random.default_rng(42))
    u = pv.sampling_uniforms(len(p), random_state=42)
    assert_array_equal(a, b)
    assert_array_equal(a, np.flatnonzero(u < p))
    assert a.dtype == np.int64 and (np.diff(a) > 0).all()
    assert not np.array_equal(a, pv.poisson_sample(p, random_state=43))


def test_poisson_sample_chunks_with_offsets_equal_whole(rng):
    p = rng.random(10_000)
    whole = pv.poisson_sample(p, random_state=7)
    parts = [pv.poisson_sample(p[o:o + 3000], random_state=7, offset=o) + o
             for o in range(0, 10_000, 3000)]
    assert_array_equal(np.concatenate(parts), whole)


def test_poisson_sample_independent_of_thread_count():
    code = ("import numpy as np, pointvalue as pv;"
            "p=np.random.default_rng(3).random(400_000);"
            "i=pv.poisson_sample(p, random_state=9);"
            "q=pv.inclusion_probabilities(np.random.default_rng(4).lognormal(0,2,400_000), 5000, 1e-3);"
            "print(len(i), int(i.sum()), q.sum().hex(), q[::997].sum().hex())")
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                   text=True, check=True).stdout)
    assert outs[0] == outs[1]


def test_uniforms_look_uniform():
    from scipy import stats

    u = pv.sampling_uniforms(200_000, random_state=5)
    assert (u >= 0).all() and (u < 1).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # consecutive rows uncorrelated


def test_poisson_sample_edge_probabilities():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    assert_array_equal(pv.poisson_sample(p, random_state=0), [1, 3])
    assert pv.poisson_sample(np.empty(0), random_state=0).size == 0
    with pytest.raises(ValueError, match="probabilities"):
        pv.poisson_sample([0.2, np.nan])
    with pytest.raises(ValueError, match="probabilities"):
        pv.poisson_sample([0.2, 1.2])
    with pytest.raises(ValueError, match="offset"):
        pv.poisson_sample([0.2], offset=-1)


def test_horvitz_thompson_is_unbiased_with_correct_variance():
    """Σ_{i∈S} v_i/π_i over 4000 independent draws: mean = Σ v, variance = Σ v²(1−π)/π."""
    rng = np.random.default_rng(11)
    n = 2000
    v = rng.lognormal(0, 1, n) * rng.choice([-1, 1], n)
    pi = pv.inclusion_probabilities(np.abs(v), 100, min_prob=0.01)
    reps = 4000
    u = pv.sampling_uniforms(n * reps, random_state=3).reshape(reps, n)
    est = ((u < pi) * (v / pi)).sum(axis=1)
    var = (v**2 * (1 - pi) / pi).sum()
    assert abs(est.mean() - v.sum()) < 4.5 * np.sqrt(var / reps)
    assert est.var() == pytest.approx(var, rel=0.1)  # chi-square spread at 4000 reps: ~2.2%
    counts = (u < pi).sum(axis=1)
    assert counts.mean() == pytest.approx(100, abs=4.5 * np.sqrt((pi * (1 - pi)).sum() / reps))


@pytest.mark.parametrize("kind", ["lognormal", "ties", "adversarial_stride", "zeros"])
def test_large_n_sample_bracket_path(kind):
    """n ≥ 32768 takes the sampled-bracket path; check it against the reference."""
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    n = 150_000
    if kind == "lognormal":
        s = rng.lognormal(0, 2.5, n)
    elif kind == "ties":
        s = rng.integers(1, 5, n).astype(float)
    elif kind == "adversarial_stride":  # the strided sample sees only the large scores
        s = np.full(n, 1e-6)
        s[:: n // 16384] = 1.0
    else:
        s = rng.exponential(size=n) * (rng.random(n) < 0.3)
    for size, a in [(3000, 0.0), (3000, 0.005), (60_000, 0.1)]:
        pi = pv.inclusion_probabilities(s, size, min_prob=a)
        ref = reference_probabilities(s, size, a)
        assert_allclose(pi, ref, rtol=1e-9, atol=1e-12)
        assert pi.sum() == pytest.approx(size, rel=1e-12)
