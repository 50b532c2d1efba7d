"""pointvalue: what is each training point worth, and which small sample preserves the model.

Fast C++ kernels (Eigen, OpenMP) behind a scikit-learn-style API:

* transforms and sketches: :func:`fwht`, :func:`srht`, :func:`leverage_scores`;
* marginal contributions Δ(z, D) by incremental refits: :func:`marginal_contributions`,
  :func:`evaluate_contributions`, :class:`Contributions`;
* individualized scaling laws: :func:`fit_scaling_laws` (:class:`ScalingLaws`),
  :func:`distributional_values`, :func:`select_points`;
"""

from ._config import config, show_config
from .contributions import Contributions, evaluate_contributions, marginal_contributions
from .leverage import leverage_scores
from .scaling import ScalingLaws, distributional_values, fit_scaling_laws, select_points
from .transform import fwht, fwht_inplace, srht

__version__ = "0.1.0"

__all__ = [
    "Contributions",
    "ScalingLaws",
    "config",
    "distributional_values",
    "evaluate_contributions",
    "fit_scaling_laws",
    "fwht",
    "fwht_inplace",
    "leverage_scores",
    "marginal_contributions",
    "select_points",
    "show_config",
    "srht",
]
