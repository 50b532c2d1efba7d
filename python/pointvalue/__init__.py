"""pointvalue: what is each training point worth, and which small sample preserves the model.

Fast C++ kernels (Eigen, OpenMP) behind a scikit-learn-style API:

* transforms and sketches: :func:`fwht`, :func:`srht`, :func:`leverage_scores`;
* GLM solvers and influence: :func:`fit_glm` (:class:`GLMFit`), :func:`influence_scores`;
* optimal subsampling: :func:`inclusion_probabilities`, :func:`poisson_sample`,
  :class:`InfluenceSampler`, :func:`subsampling_scores`;
* marginal contributions Δ(z, D) by incremental refits: :func:`marginal_contributions`,
  :func:`evaluate_contributions`, :class:`Contributions`;
* individualized scaling laws: :func:`fit_scaling_laws` (:class:`ScalingLaws`),
  :func:`distributional_values`, :func:`select_points`;
* the dataset-level law ``L(k) = ε + c·k^−α``: :func:`fit_aggregate_law` (:class:`AggregateLaw`);
* semivalues (Data Shapley, Beta Shapley, Banzhaf, leave-one-out) on the incremental engine:
  :class:`ModelUtility`, :func:`semivalues` (:class:`Valuation`), :func:`semivalue_weights`.
"""

from ._config import config, show_config
from .aggregate import AggregateLaw, fit_aggregate_law
from .contributions import Contributions, evaluate_contributions, marginal_contributions
from .glm import GLMFit, fit_glm
from .influence import influence_scores
from .leverage import leverage_scores
from .sampling import inclusion_probabilities, poisson_sample, sampling_uniforms
from .scaling import ScalingLaws, distributional_values, fit_scaling_laws, select_points
from .semivalues import semivalue_weights, semivalues
from .subsampling import InfluenceSampler, subsampling_scores
from .transform import fwht, fwht_inplace, srht
from .utility import ModelUtility
from .valuation import Valuation

__version__ = "0.1.0"

__all__ = [
    "AggregateLaw",
    "Contributions",
    "GLMFit",
    "InfluenceSampler",
    "ModelUtility",
    "ScalingLaws",
    "Valuation",
    "config",
    "distributional_values",
    "evaluate_contributions",
    "fit_aggregate_law",
    "fit_glm",
    "fit_scaling_laws",
    "fwht",
    "fwht_inplace",
    "inclusion_probabilities",
    "influence_scores",
    "leverage_scores",
    "marginal_contributions",
    "poisson_sample",
    "sampling_uniforms",
    "select_points",
    "semivalue_weights",
    "semivalues",
    "show_config",
    "srht",
    "subsampling_scores",
]
