# Type stubs for the compiled module (checked against it by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

isa_variant: str
has_openmp: bool
eigen_version: str

def simd_instruction_sets() -> str: ...
def max_threads() -> int: ...

# fwht family: in-place transforms of C-contiguous 2-D arrays, times `scale`
def fwht_vectors_f64(a: np.ndarray, scale: float = 1.0) -> None: ...
def fwht_vectors_f32(a: np.ndarray, scale: float = 1.0) -> None: ...
def fwht_rows_f64(a: np.ndarray, scale: float = 1.0) -> None: ...
def fwht_rows_f32(a: np.ndarray, scale: float = 1.0) -> None: ...

# sketch family
def gram(X: np.ndarray) -> npt.NDArray[np.float64]: ...
def leverage_exact(X: np.ndarray, rcond: float) -> tuple[npt.NDArray[np.float64], int, int]: ...
def srht(
    X: np.ndarray, signs: npt.ArrayLike, rows: npt.ArrayLike, log2N: int
) -> npt.NDArray[np.float64]: ...
def leverage_sketch(
    X: np.ndarray, sketch: npt.ArrayLike, jl: npt.ArrayLike | None, rcond: float
) -> tuple[npt.NDArray[np.float64], int]: ...

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
def influence_norms(
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

# sampling family
def inclusion_probabilities(
    scores: np.ndarray, size: float, min_prob: float
) -> tuple[npt.NDArray[np.float64], float, int, int]: ...  # π, λ, rows at the floor, rows at 1
def poisson_sample(probabilities: np.ndarray, key: int, offset: int = 0) -> npt.NDArray[np.int64]: ...
def stream_uniforms(key: int, offset: int, n: int) -> npt.NDArray[np.float64]: ...
