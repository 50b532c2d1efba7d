"""Finds the compiled kernels built for the best instruction set this CPU supports.

The wheel carries one extension module per x86-64 level (``_core_baseline``, ``_core_x86_64_v3``
with AVX2/FMA, ``_core_x86_64_v4`` with AVX-512); ``pointvalue._core`` re-exports the best one
that both exists and runs here, so the package stays portable while the kernels use wide vectors.
Set ``POINTVALUE_ISA=baseline`` (or another variant name) to force a variant.
"""

from __future__ import annotations

import importlib
import os
import platform

_V3 = ("avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe")
_V4 = _V3 + ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    try:  # numpy knows the features on every platform
        from numpy._core._multiarray_umath import __cpu_features__ as feats  # type: ignore
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats  # type: ignore
    return {k.lower() for k, v in feats.items() if v}


def _supported_variants() -> list[str]:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ["baseline"]
    flags = _cpu_flags()
    flags |= {"bmi1"} if "bmi1" in flags or "bmi" in flags else set()
    variants = []
    if all(f in flags for f in _V4):
        variants.append("x86_64_v4")
    if all(f in flags for f in _V3):
        variants.append("x86_64_v3")
    return variants + ["baseline"]


def load_extension():
    """Import and return the best extension module variant for this CPU."""
    forced = os.environ.get("POINTVALUE_ISA")
    candidates = [forced] if forced else _supported_variants()
    errors = []
    for variant in candidates:
        try:
            return importlib.import_module(f"pointvalue._core_{variant}")
        except ImportError as exc:
            errors.append(f"{variant}: {exc}")
    raise ImportError(
        "pointvalue's compiled extension could not be imported (tried "
        + "; ".join(errors)
        + "). Reinstall with `pip install --force-reinstall pointvalue`, or from a source "
        "checkout with `pip install .` (needs a C++17 compiler)."
    )

