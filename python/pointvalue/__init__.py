"""pointvalue: what is each training point worth, and which small sample preserves the model.

Fast C++ kernels (Eigen, OpenMP) behind a scikit-learn-style API:

* transforms and sketches: :func:`fwht`, :func:`srht`, :func:`leverage_scores`;
* sampling: :func:`inclusion_probabilities`, :func:`poisson_sample`, :class:`InfluenceSampler`;
* GLM solvers and influence: :func:`fit_glm`, :func:`influence_scores`;
"""

from ._config import config, show_config
from .glm import GLMFit, fit_glm
from .influence import influence_scores
from .leverage import leverage_scores
from .sampling import inclusion_probabilities, poisson_sample, sampling_uniforms
from .subsampling import InfluenceSampler, subsampling_scores
from .transform import fwht, fwht_inplace, srht

__version__ = "0.1.0"

__all__ = [
    "GLMFit",
    "InfluenceSampler",
    "config",
    "fit_glm",
    "fwht",
    "fwht_inplace",
    "inclusion_probabilities",
    "influence_scores",
    "leverage_scores",
    "poisson_sample",
    "sampling_uniforms",
    "show_config",
    "srht",
    "subsampling_scores",
]
