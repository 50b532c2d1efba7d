"""The compiled kernels (``pointvalue._core_<variant>``) for this CPU; see ``_loader``.

Each kernel family is a submodule of the extension (``glm``, ``refit``, …). They are registered
in ``sys.modules`` under this package, so ``import pointvalue._core.glm`` and
``from pointvalue._core import glm`` both give the loaded variant's submodule.
"""

import sys as _sys
import types as _types

from ._loader import load_extension as _load_extension


def _export(extension: _types.ModuleType) -> None:
    for name, value in vars(extension).items():
        if name.startswith("__"):
            continue
        globals()[name] = value
        if isinstance(value, _types.ModuleType):
            _sys.modules[f"{__name__}.{name}"] = value


_export(_load_extension())
