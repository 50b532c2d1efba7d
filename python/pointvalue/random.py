"""The one random-state route of pointvalue.

Every public function that draws takes ``random_state`` and turns it into one 64-bit key with
:func:`stream_key`; the C++ kernels derive every random number from that key and an index
(``cpp/include/pointvalue/random.hpp``: counter-based, SplitMix64 at position ``index + 1`` of
the key's stream). So a result depends only on ``random_state``, never on the thread count, the
chunking of the rows or the number of workers: row ``i`` of a chunk that starts at global row
``offset`` reads index ``offset + i``.

``random_state`` may be

* ``None``: fresh entropy from the operating system (a different result on every call);
* an ``int`` ≥ 0 or a :class:`numpy.random.SeedSequence`: reproducible;
* a :class:`numpy.random.Generator`: one key is drawn from it (so it advances, as in
  scikit-learn, and two calls with the same generator give different draws);
* a legacy :class:`numpy.random.RandomState`: accepted for scikit-learn compatibility, a seed is
  drawn from it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_random_state", "spawn_keys", "stream_key"]


def check_random_state(random_state) -> np.random.Generator:
    """A :class:`numpy.random.Generator` for `random_state` (see the module docstring).

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence, numpy.random.Generator or RandomState

    Returns
    -------
    numpy.random.Generator
        `random_state` itself when it is a Generator.

    Raises
    ------
    TypeError
        For any other type (a bool included).
    ValueError
        For a negative int.

    Examples
    --------
    >>> from pointvalue.random import check_random_state
    >>> bool(check_random_state(0).integers(10) == check_random_state(0).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    raise TypeError(
        "random_state must be None, an int, a numpy SeedSequence, Generator or RandomState, "
        f"got {random_state!r}"
    )


def stream_key(random_state) -> int:
    """The 64-bit key the kernels draw from, for `random_state`.

    The same int or SeedSequence always gives the same key; a Generator gives the next one of
    its stream.

    Examples
    --------
    >>> from pointvalue.random import stream_key
    >>> stream_key(42) == stream_key(42) and 0 <= stream_key(42) < 2**64
    True
    """
    rng = check_random_state(random_state)
    return int(rng.integers(0, 2**64, dtype=np.uint64))


def spawn_keys(random_state, count: int) -> list[int]:
    """`count` independent 64-bit keys from one :func:`stream_key` of `random_state`.

    Key ``j`` is ``subkey(stream_key(random_state), j + 1)`` (``random.hpp``), so one draw from a
    Generator gives all the keys of one computation (for example the pilot, the sketch and the
    Poisson draw of :class:`pointvalue.InfluenceSampler`), in memory or chunk by chunk alike.

    Examples
    --------
    >>> from pointvalue.random import spawn_keys
    >>> a, b = spawn_keys(7, 2)
    >>> a != b and spawn_keys(7, 2) == [a, b]
    True
    """
    from . import _core  # the compiled module only when keys are spawned

    base = stream_key(random_state)
    return [int(_core.random.subkey(base, j + 1)) for j in range(count)]
