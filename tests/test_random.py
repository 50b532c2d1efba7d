"""One random route: pointvalue.random in Python, cpp/include/pointvalue/random.hpp in C++."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import pointvalue as pv
from pointvalue import _core
from pointvalue.random import check_random_state, stream_key

M64 = (1 << 64) - 1


def splitmix_uniform(key, index):
    """Independent reference: SplitMix64 at position index + 1 of the key's Weyl sequence."""
    z = (key + (index + 1) * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    return (z >> 11) * 2.0**-53


@pytest.mark.parametrize("random_state", [None, 0, 7, np.random.SeedSequence(3)])
def test_check_random_state_gives_generators(random_state):
    assert isinstance(check_random_state(random_state), np.random.Generator)


def test_check_random_state_contract():
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    with pytest.raises(TypeError, match="random_state"):
        check_random_state(True)
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("0")
    with pytest.raises(ValueError, match="non-negative"):
        check_random_state(-1)


def test_stream_key_is_reproducible():
    assert stream_key(5) == stream_key(5) != stream_key(6)
    assert stream_key(np.random.SeedSequence(9)) == stream_key(np.random.SeedSequence(9))
    g = np.random.default_rng(0)
    assert stream_key(g) != stream_key(g)  # a Generator advances
    assert 0 <= stream_key(None) <= M64


def test_uniforms_are_a_pure_function_of_key_and_index():
    key = stream_key(11)
    u = _core.random.uniforms(key, 0, 1000)
    assert_array_equal(u[[0, 1, 999]], [splitmix_uniform(key, i) for i in (0, 1, 999)])
    assert_array_equal(_core.random.uniforms(key, 300, 700), u[300:])  # any chunk, by offset
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.05


def test_poisson_sample_by_chunks_equals_the_whole(rng):
    p = rng.uniform(size=10_000)
    whole = pv.poisson_sample(p, random_state=4)
    parts = [pv.poisson_sample(p[a:a + 2500], random_state=4, offset=a) + a
             for a in range(0, 10_000, 2500)]
    assert_array_equal(np.concatenate(parts), whole)
    u = pv.sampling_uniforms(10_000, random_state=4)
    assert_array_equal(np.flatnonzero(u < p), whole)


def test_choice_is_a_uniform_subset():
    picks = [_core.random.choice(_core.random.subkey(3, s), 10, 4) for s in range(4000)]
    for a in picks[:50]:
        assert len(np.unique(a)) == 4 and np.all(np.diff(a) > 0) and a.min() >= 0 and a.max() < 10
    counts = np.bincount(np.concatenate(picks), minlength=10)
    expected = 4000 * 4 / 10  # each element with probability 4/10
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    assert_array_equal(_core.random.choice(1, 5, 5), np.arange(5))
    with pytest.raises(ValueError):
        _core.random.choice(1, 5, 6)


def test_srht_and_sketched_scores_follow_the_key(rng):
    X = rng.standard_normal((300, 4))
    assert_array_equal(pv.srht(X, 64, random_state=2), pv.srht(X, 64, random_state=2))
    assert not np.array_equal(pv.srht(X, 64, random_state=2), pv.srht(X, 64, random_state=3))
    S = pv.srht(X, 512, random_state=5)  # every row of the padded 512: SᵀS = XᵀX exactly
    np.testing.assert_allclose(S.T @ S, X.T @ X, rtol=1e-12, atol=1e-10)
