"""pointvalue: what is each training point worth, and which small sample preserves the model.

Fast C++ kernels (Eigen, OpenMP) behind a scikit-learn-style API:

* transforms and sketches: :func:`fwht`, :func:`srht`, :func:`leverage_scores`;
* marginal contributions Δ(z, D) by incremental refits: :func:`marginal_contributions`,
  :func:`evaluate_contributions`, :class:`Contributions`;
"""

from ._config import config, show_config
from .contributions import Contributions, evaluate_contributions, marginal_contributions
from .leverage import leverage_scores
from .transform import fwht, fwht_inplace, srht

__version__ = "0.1.0"

__all__ = [
    "Contributions",
    "config",
    "evaluate_contributions",
    "fwht",
    "fwht_inplace",
    "leverage_scores",
    "marginal_contributions",
    "show_config",
    "srht",
]
