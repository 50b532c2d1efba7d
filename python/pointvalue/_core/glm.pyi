# Stubs of pointvalue._core.glm (checked by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

# glm family (model, target and approx are integer codes chosen in pointvalue.glm / .influence)
def fit_glm(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    model: int,
    l2: float,
    tau: float,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
) -> dict[str, object]: ...
def glm_objective(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    coef: np.ndarray,
    intercept: float,
    model: int,
    l2: float,
    tau: float,
    fit_intercept: bool,
) -> float: ...
def influence_scores(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    w: np.ndarray | None,
    model: int,
    target: int,
    approx: int,
    tau: float,
    l2: float,
    has_intercept: bool,
    intercept: float,
    rank: int,
    signs: np.ndarray | None,
    rows: npt.ArrayLike | None,
    log2N: int,
) -> tuple[npt.NDArray[np.float64], int, int, float]: ...  # norms, status, rank, condition
