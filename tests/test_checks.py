"""The compiled finiteness scan behind every input check, against numpy.isfinite."""

import numpy as np
import pytest

from pointvalue import _core
from pointvalue._validation import all_finite


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("n", [1, 7, 16_385, 5_000_001])  # one block, several, the parallel path
def test_finds_every_nonfinite_value(rng, dtype, bad, n):
    a = rng.standard_normal(n).astype(dtype)
    assert _core.checks.all_finite(a)
    for pos in {0, n // 2, n - 1}:
        b = a.copy()
        b[pos] = bad
        assert not _core.checks.all_finite(b)
        assert np.isfinite(b).all() == _core.checks.all_finite(b)


def test_extremes_are_finite():
    a = np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, 5e-324, -0.0, 0.0])
    assert _core.checks.all_finite(a)
    f32 = np.array([np.finfo(np.float32).max, 1e-45, -0.0], dtype=np.float32)  # max, subnormal
    assert _core.checks.all_finite(f32)


def test_layouts_and_fallback(rng):
    a = rng.standard_normal((300, 40))
    a[123, 7] = np.nan
    for arr in (a, np.asfortranarray(a), a.astype(">f8"), a[:, ::3], a.astype(np.float16)):
        assert all_finite(arr) == bool(np.isfinite(arr).all())
    assert all_finite(a[:, 8:]) and all_finite(np.asfortranarray(a)[:, 8:])
    with pytest.raises(TypeError, match="contiguous"):
        _core.checks.all_finite(a[:, ::2])
    with pytest.raises(TypeError):
        _core.checks.all_finite(np.arange(10))
