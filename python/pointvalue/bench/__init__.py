"""``pointvalue bench``: same-run speed ratios of our kernels against what is installed here.

Each case prepares its data, runs every implementation once and checks its answer against a
reference (numpy/scipy, a converged scikit-learn or statsmodels fit, the authors' estimator), then
times it (median of repeated runs). The table gives, per case and peer, ``peer time / our time``
measured in the same run, with the machine facts the ratios depend on (kernels' ISA variant,
threads, BLAS). Peers: numpy and scipy always; scikit-learn, statsmodels, FFHT (``ffht``),
``fht_cpu`` and ``pyfwht`` when importable. The repository's ``bench/`` pytest-benchmark suites
import their data and peers from these modules, so both measure the same thing.

Usage::

    pointvalue bench                      # every family, full sizes (a few minutes)
    pointvalue bench --quick              # smaller sizes, under a minute on 2 cores
    pointvalue bench --only fwht,glm --json today.json
    pointvalue bench --quick --compare today.json    # exit 1 if a speed-up fell by > 25 %

Families: ``fwht``, ``leverage``, ``glm``, ``sampling``, ``refit``, ``powerlaw`` and, when
``pv.semivalues`` exists, ``semivalues``. From Python::

    from pointvalue import bench
    result = bench.run(bench.cases(["fwht"], scale="quick"))
    print(bench.format_table(result))

JSON schema (``--json``; ``"schema": "pointvalue-bench/1"``; keys are only ever added)::

    {
      "schema": "pointvalue-bench/1",
      "created": "2026-12-02T06:00:00Z",          # UTC
      "scale": "quick",                           # tiny | quick | full
      "wall_s": 41.2,                             # the whole run
      "machine": {
        "pointvalue": "0.1.0", "isa_variant": "x86_64_v4", "simd": "AVX-512F, ...",
        "openmp": true, "max_threads": 2, "threads": 2,   # threads the run was limited to
        "blas": [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.27",
                  "num_threads": 2, "threading_layer": "pthreads", "architecture": "SkylakeX"}],
        "cpu_count": 2, "machine": "x86_64", "platform": "...", "python": "3.11.9",
        "numpy": "2.4.6", "scipy": "1.17.1", "load_average": [1.9, 2.3, 2.1]
      },
      "cases": [
        {
          "id": "fwht/1d-2^18-float64",           # stable: family/what-size (sizes are in it)
          "family": "fwht", "title": "1-D FWHT of 2^18 float64",
          "params": {"n": 262144, "dtype": "float64"},
          "ours": "pointvalue",                   # the name of our implementation in results
          "results": {                            # one entry per implementation that was run
            "pointvalue": {"ok": true, "median_s": 0.0011, "min_s": 0.0010, "repeats": 30, "note": ""},
            "numpy": {"ok": true, "median_s": 0.052, "min_s": 0.050, "repeats": 3, "note": ""},
            "ffht": {"ok": false, "error": "wrong answer: ...", "note": ""}
          },
          "speedup": {"numpy": 47.3}              # peer median / our median, peers with ok only
        }                                         # a case that could not be prepared has "error"
      ]
    }

``--compare OLD.json`` matches cases by ``id`` and peers by name and prints old and new
speed-ups; it exits with status 1 when one fell by more than ``--threshold`` (default 0.25, i.e.
new < 0.75 × old) or when one of our kernels failed its check. Ratios measured in the same run
are compared, not times, so a baseline from a busier or faster machine still means something.
"""

from __future__ import annotations

import importlib

from ._harness import SCALES, SCHEMA, Case, Impl, compare, failures, format_table, load, machine_facts, run, save

FAMILIES = ("fwht", "leverage", "glm", "sampling", "refit", "powerlaw", "semivalues")

__all__ = ["FAMILIES", "SCALES", "SCHEMA", "Case", "Impl", "cases", "compare", "failures", "format_table",
           "load", "machine_facts", "run", "save"]


def cases(only=None, scale: str = "full", threads: int = 2) -> list:
    """The :class:`Case` list of the families in `only` (all by default) at `scale`."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    names = list(FAMILIES) if only is None else list(only)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown benchmark families {unknown}; choose from {', '.join(FAMILIES)}")
    out = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        out += module.cases(scale, threads)
    return out
