"""The compiled kernels (``pointvalue._core_<variant>``) for this CPU; see ``_loader``."""

from ._loader import load_extension as _load_extension

globals().update({k: v for k, v in vars(_load_extension()).items() if not k.startswith("__")})
del _load_extension
