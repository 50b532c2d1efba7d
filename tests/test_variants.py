"""Every instruction-set build of the extension computes what the one loaded by default does.

The wheel carries one module per x86-64 level and loads the best this CPU runs, so the others
would go untested on a modern machine; here each built and runnable variant is swapped in for
``pointvalue._core`` and a set of public results is compared with the default's.
"""

import importlib
import importlib.util
import os
import platform
import sys
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pointvalue as pv
from pointvalue import _core
from pointvalue._core import _loader

VARIANTS = ["baseline", "x86_64_v3", "x86_64_v4"]


def results():
    """A few results of every kernel family, on fixed data."""
    rng = np.random.default_rng(7)
    out = {}
    a = rng.standard_normal((1 << 12, 5))
    out["fwht"] = pv.fwht(a)
    X = rng.standard_normal((3000, 13)) * rng.uniform(0.5, 2, 13)
    out["leverage"] = pv.leverage_scores(X)
    y = (X @ rng.standard_normal(13) + rng.logistic(size=3000) > 0).astype(float)
    out["glm"] = pv.fit_glm(X, y, model="logistic", l2=1.0).coef
    out["quantile"] = pv.fit_glm(X, X[:, 0] + rng.standard_normal(3000), model="quantile").coef
    yr = X @ rng.standard_normal(13) + rng.standard_normal(3000)
    labels = rng.integers(0, 3, 3000)
    subsets = [rng.choice(2500, k, replace=False) for k in (40, 300, 1200)]
    points = np.tile(np.arange(2500, 2530), (3, 1))
    Xp, Xv = X[:2800], X[2800:]
    out["ols"] = pv.evaluate_contributions(Xp, yr[:2800], Xv, yr[2800:], subsets, points, model="ols")
    out["logistic"] = pv.evaluate_contributions(Xp, y[:2800], Xv, y[2800:], subsets, points)
    out["multinomial"] = pv.evaluate_contributions(Xp, labels[:2800], Xv, labels[2800:], subsets, points)
    c = pv.marginal_contributions(Xp, y[:2800], Xv, y[2800:], points=np.arange(40), n_samples=3,
                                  sizes=(50, 400), random_state=3, progress=False)
    out["sampled_k"], out["sampled_delta"] = c.k, c.delta
    out["finite"] = np.array([_core.checks.all_finite(X), _core.checks.all_finite(np.where(X > 3, np.inf, X))])
    return out


def expected_variants(requested: str) -> list[str]:
    """What CMakeLists.txt builds for POINTVALUE_ISA_VARIANTS, restated."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ["baseline"]
    if requested == "all":
        return VARIANTS
    if requested == "host":  # the portable baseline and the best level of the building machine
        return sorted({"baseline", _loader._supported_variants()[0]}, key=VARIANTS.index)
    return requested.split(",")


def test_the_build_holds_the_variants_it_was_asked_for():
    """A source build (`pip install .`, "host") holds the baseline and this CPU's best level."""
    requested = _core.config.isa_variants_requested
    built = _core.config.isa_variants_built.split(",")
    # without /proc/cpuinfo the build's Python (no numpy there) cannot tell the level: CMake builds all
    undetected = requested == "host" and not sys.platform.startswith("linux") and built == VARIANTS
    assert undetected or built == expected_variants(requested)
    for name in VARIANTS:
        present = importlib.util.find_spec(f"pointvalue._core_{name}") is not None
        assert present == (name in built), name
    if requested in ("host", "all") and "POINTVALUE_ISA" not in os.environ:
        assert _core.config.isa_variant == _loader._supported_variants()[0]


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_matches_default(name, monkeypatch):
    if importlib.util.find_spec(f"pointvalue._core_{name}") is None:
        pytest.skip(f"the {name} variant is not built here")
    if name not in _loader._supported_variants():
        pytest.skip(f"this CPU cannot run the {name} variant")
    module = importlib.import_module(f"pointvalue._core_{name}")
    ref = results()
    for key, value in vars(module).items():
        if not key.startswith("__"):
            monkeypatch.setattr(_core, key, value)
            if isinstance(value, types.ModuleType):  # the family submodules
                monkeypatch.setitem(sys.modules, f"pointvalue._core.{key}", value)
    assert _core.config.isa_variant == module.config.isa_variant
    out = results()
    for key in ref:
        # the same algorithms; FMA contraction and vector widths move the last bits only
        assert_allclose(out[key], ref[key], rtol=1e-9, atol=1e-11, err_msg=f"{name}: {key}")
