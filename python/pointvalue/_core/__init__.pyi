# Stubs of the compiled module pointvalue._core: one submodule per kernel family (each with its own
# <family>.pyi), checked against the compiled module by tests/test_stubs.py with stubtest.
import numpy as np
import numpy.typing as npt

from . import checks as checks
from . import config as config
from . import fwht as fwht
from . import glm as glm
from . import powerlaw as powerlaw
from . import random as random
from . import refit as refit
from . import sampling as sampling
from . import semivalues as semivalues
from . import sketch as sketch

# powerlaw family: batched profile-likelihood fits of Δ ~ Normal(c k^-α, σ² k^-β), points grouped
# by CSR offsets (status codes: 0 ok, 1 too few distinct k, 2 all Δ zero, 3 non-finite, 4 not
# converged)
def fit_powerlaw(
    offsets: npt.ArrayLike,
    logk: npt.ArrayLike,
    delta: npt.ArrayLike,
    starts: npt.ArrayLike,
    alpha_lo: float,
    alpha_hi: float,
    beta_lo: float,
    beta_hi: float,
    grid_alpha: int,
    grid_beta: int,
    n_candidates: int,
    scan_grid: int,
    max_iter: int,
    gtol: float,
) -> dict[str, np.ndarray]: ...
def profile_powerlaw(
    offsets: npt.ArrayLike,
    logk: npt.ArrayLike,
    delta: npt.ArrayLike,
    alpha: npt.ArrayLike,
    beta: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
