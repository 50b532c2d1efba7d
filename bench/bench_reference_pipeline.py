"""The reference pipeline's fitting step on its own file format (run: ``pytest bench/bench_reference_pipeline.py``).

A synthetic ``mc_combined-…npy`` in the format of the authors' ``generate_samples.py`` (a pickled
dict, points × draws) is read and fitted two ways, checked, then timed:
``Contributions.from_reference`` + ``fit_scaling_laws(method="mle")`` against ``np.load`` + the
faithful numpy port of their ``LikelihoodEstimator`` (vectorized over points, so already much
faster than their per-point PyTorch loop). The case is ``pointvalue.bench.powerlaw``'s
``powerlaw/reference-file-…`` (`pointvalue bench --only powerlaw` runs the same); set
``POINTVALUE_BENCH_SCALE=quick`` for a smaller file.
"""

from __future__ import annotations

import os

import pytest

from pointvalue.bench import cases

SCALE = os.environ.get("POINTVALUE_BENCH_SCALE", "full")
CASE = next(c for c in cases(["powerlaw"], scale=SCALE) if c.id.startswith("powerlaw/reference-file-"))
_IMPLS = {}


def impls():
    if not _IMPLS:
        _IMPLS.update({impl.name: impl for impl in CASE.prepare()})
    return _IMPLS


@pytest.mark.parametrize("name", ["pointvalue", "reference_adam"])
def test_reference_file(benchmark, name):
    benchmark.group = CASE.title
    impl = impls()[name]
    out = impl.run()
    if impl.check is not None:
        impl.check(out)
    benchmark.pedantic(impl.run, rounds=3 if name == "pointvalue" else 1, iterations=1)
