# Stubs of pointvalue._core.refit (checked by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

# refit family: marginal contributions by incremental refits (status codes: 0 ok, 1 singular,
# 2 not converged / separable, 3 missing class, 4 bad index)
def evaluate_contributions(
    X: np.ndarray,
    y: npt.ArrayLike | None,
    label: npt.ArrayLike | None,
    X_val: np.ndarray,
    y_val: npt.ArrayLike | None,
    label_val: npt.ArrayLike | None,
    n_classes: int,
    model: int,
    metric: int,
    l2: float,
    tol: float,
    max_iter: int,
    one_step: bool,
    sub_ptr: npt.ArrayLike,
    sub_idx: npt.ArrayLike,
    tgt_ptr: npt.ArrayLike,
    tgt_idx: npt.ArrayLike,
    n_threads: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]: ...
def marginal_contributions(
    X: np.ndarray,
    y: npt.ArrayLike | None,
    label: npt.ArrayLike | None,
    X_val: np.ndarray,
    y_val: npt.ArrayLike | None,
    label_val: npt.ArrayLike | None,
    n_classes: int,
    model: int,
    metric: int,
    l2: float,
    tol: float,
    max_iter: int,
    one_step: bool,
    stratum: npt.ArrayLike,
    strata_ptr: npt.ArrayLike,
    strata_idx: npt.ArrayLike,
    balanced: bool,
    k_values: npt.ArrayLike,
    k_cdf: npt.ArrayLike,
    seed: int,
    points: npt.ArrayLike,
    group: int,
    r0: int,
    r1: int,
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int32]]: ...
def draw_plan(
    stratum: npt.ArrayLike,
    strata_ptr: npt.ArrayLike,
    strata_idx: npt.ArrayLike,
    balanced: bool,
    k_values: npt.ArrayLike,
    k_cdf: npt.ArrayLike,
    seed: int,
    points: npt.ArrayLike,
    group: int,
    r0: int,
    r1: int,
) -> dict[str, np.ndarray]: ...
def stratum_counts(
    strata_ptr: npt.ArrayLike, balanced: bool, k: int
) -> npt.NDArray[np.int64]: ...
