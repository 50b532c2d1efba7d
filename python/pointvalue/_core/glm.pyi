# Stubs of pointvalue._core.glm (checked by tests/test_stubs.py with stubtest).
from typing import ClassVar

import numpy as np
import numpy.typing as npt

class Model:
    ols: ClassVar[Model]
    logistic: ClassVar[Model]
    poisson: ClassVar[Model]
    quantile: ClassVar[Model]
    __members__: ClassVar[dict[str, Model]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Status:
    ok: ClassVar[Status]
    max_iter: ClassVar[Status]
    singular: ClassVar[Status]
    separable: ClassVar[Status]
    diverged: ClassVar[Status]
    non_finite: ClassVar[Status]
    unsupported: ClassVar[Status]
    __members__: ClassVar[dict[str, Status]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Target:
    coef: ClassVar[Target]
    prediction: ClassVar[Target]
    __members__: ClassVar[dict[str, Target]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Approx:
    exact: ClassVar[Approx]
    diag: ClassVar[Approx]
    lowrank: ClassVar[Approx]
    sketch: ClassVar[Approx]
    __members__: ClassVar[dict[str, Approx]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Options:
    model: Model
    l2: float
    tau: float
    fit_intercept: bool
    tol: float
    max_iter: int
    def __init__(self) -> None: ...

class InfluenceOptions:
    model: Model
    target: Target
    approx: Approx
    tau: float
    l2: float
    fit_intercept: bool
    intercept: float
    rank: int
    sketch_size: int
    key: int
    def __init__(self) -> None: ...

class Result:
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def intercept(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...
    @property
    def objective(self) -> float: ...
    @property
    def grad_norm(self) -> float: ...
    @property
    def max_abs_eta(self) -> float: ...
    @property
    def rank(self) -> int: ...
    @property
    def lstsq_fallback(self) -> bool: ...
    @property
    def status(self) -> Status: ...

class InfluenceResult:
    @property
    def scores(self) -> npt.NDArray[np.float64]: ...
    @property
    def status(self) -> Status: ...
    @property
    def rank(self) -> int: ...
    @property
    def cond(self) -> float: ...

class InfluenceMoments:
    def __init__(
        self, s: float, mean: np.ndarray, C: np.ndarray, sketch: np.ndarray | None = None
    ) -> None: ...
    @property
    def s(self) -> float: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def C(self) -> npt.NDArray[np.float64]: ...
    @property
    def sketch(self) -> npt.NDArray[np.float64]: ...
    @property
    def status(self) -> Status: ...

def fit_glm(
    X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, options: Options
) -> Result: ...
def glm_objective(
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    coef: np.ndarray,
    intercept: float,
    options: Options,
) -> float: ...
def influence_scores(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    sample_weight: np.ndarray | None,
    options: InfluenceOptions,
) -> InfluenceResult: ...
def influence_moments(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    sample_weight: np.ndarray | None,
    options: InfluenceOptions,
) -> InfluenceMoments: ...
def merge_influence_moments(
    a: InfluenceMoments, b: InfluenceMoments, options: InfluenceOptions
) -> InfluenceMoments: ...
def influence_scores_given(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    sample_weight: np.ndarray | None,
    moments: InfluenceMoments,
    options: InfluenceOptions,
) -> InfluenceResult: ...
