"""Build and runtime configuration of the compiled kernels."""

from __future__ import annotations

from . import _core

__all__ = ["show_config", "config"]


def config() -> dict:
    """Facts about the loaded kernels: instruction-set variant, SIMD, OpenMP, threads, Eigen."""
    return {
        "isa_variant": _core.config.isa_variant,
        "simd": _core.config.simd_instruction_sets(),
        "openmp": bool(_core.config.has_openmp),
        "max_threads": int(_core.config.max_threads()),
        "eigen": _core.config.eigen_version,
        "isa_variants_built": _core.config.isa_variants_built,
    }


def show_config() -> None:
    """Print :func:`config` as ``key: value`` lines."""
    for key, value in config().items():
        print(f"{key}: {value}")
