"""The public functions the cases time, imported relatively (the package never imports its root)."""

from __future__ import annotations

from importlib import metadata

from .._config import config
from ..contributions import Contributions, evaluate_contributions
from ..glm import fit_glm
from ..influence import influence_scores
from ..leverage import leverage_scores
from ..sampling import inclusion_probabilities
from ..scaling import fit_scaling_laws
from ..subsampling import InfluenceSampler, subsampling_scores
from ..transform import fwht_inplace

try:
    __version__ = metadata.version("pointvalue")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "unknown"


def semivalues(*args, **kwargs):
    """``pointvalue.semivalues`` where it exists (issue 11); AttributeError otherwise."""
    from ..semivalues import semivalues as run

    return run(*args, **kwargs)


def has_semivalues() -> bool:
    from importlib.util import find_spec

    return find_spec("pointvalue.semivalues") is not None


__all__ = ["Contributions", "InfluenceSampler", "__version__", "config", "evaluate_contributions", "fit_glm",
           "fit_scaling_laws", "fwht_inplace", "has_semivalues", "inclusion_probabilities", "influence_scores",
           "leverage_scores", "semivalues", "subsampling_scores"]
