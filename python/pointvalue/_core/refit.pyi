# Stubs of pointvalue._core.refit (checked by tests/test_stubs.py with stubtest): marginal
# contributions by incremental refits.
from typing import ClassVar

import numpy as np
import numpy.typing as npt

class Model:
    least_squares: ClassVar[Model]
    logistic: ClassVar[Model]
    __members__: ClassVar[dict[str, Model]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Metric:
    loss: ClassVar[Metric]
    accuracy: ClassVar[Metric]
    __members__: ClassVar[dict[str, Metric]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Status:
    ok: ClassVar[Status]
    singular: ClassVar[Status]
    not_converged: ClassVar[Status]
    missing_class: ClassVar[Status]
    bad_index: ClassVar[Status]
    __members__: ClassVar[dict[str, Status]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class Options:
    model: Model
    metric: Metric
    n_classes: int
    l2: float
    tol: float
    max_iter: int
    one_step: bool
    n_threads: int
    def __init__(self) -> None: ...

class Design:
    balanced: bool
    key: int
    points_per_subset: int
    def __init__(
        self,
        stratum: npt.ArrayLike,
        strata_ptr: npt.ArrayLike,
        strata_idx: npt.ArrayLike,
        k_values: npt.ArrayLike,
        k_cdf: npt.ArrayLike,
        balanced: bool = False,
        key: int = 0,
        points_per_subset: int = 64,
    ) -> None: ...
    @property
    def stratum(self) -> npt.NDArray[np.int64]: ...
    @property
    def strata_ptr(self) -> npt.NDArray[np.int64]: ...
    @property
    def strata_idx(self) -> npt.NDArray[np.int64]: ...
    @property
    def k_values(self) -> npt.NDArray[np.int64]: ...
    @property
    def k_cdf(self) -> npt.NDArray[np.float64]: ...

class Result:
    @property
    def k(self) -> npt.NDArray[np.int64]: ...
    @property
    def delta(self) -> npt.NDArray[np.float64]: ...
    @property
    def status(self) -> npt.NDArray[np.int32]: ...  # values of Status

class Plan:
    @property
    def task_k(self) -> npt.NDArray[np.int64]: ...
    @property
    def base_ptr(self) -> npt.NDArray[np.int64]: ...
    @property
    def base_idx(self) -> npt.NDArray[np.int64]: ...
    @property
    def extra(self) -> npt.NDArray[np.int64]: ...
    @property
    def row_task(self) -> npt.NDArray[np.int64]: ...
    @property
    def row_in_base(self) -> npt.NDArray[np.int8]: ...

def evaluate_contributions(
    X: np.ndarray,
    y: npt.ArrayLike,
    X_val: np.ndarray,
    y_val: npt.ArrayLike,
    sub_ptr: npt.ArrayLike,
    sub_idx: npt.ArrayLike,
    points: npt.ArrayLike,
    options: Options,
) -> Result: ...
def marginal_contributions(
    X: np.ndarray,
    y: npt.ArrayLike,
    X_val: np.ndarray,
    y_val: npt.ArrayLike,
    design: Design,
    points: npt.ArrayLike,
    rounds: tuple[int, int],
    options: Options,
) -> Result: ...
def draw_plan(design: Design, points: npt.ArrayLike, rounds: tuple[int, int]) -> Plan: ...
def stratum_counts(strata_ptr: npt.ArrayLike, balanced: bool, k: int) -> npt.NDArray[np.int64]: ...
