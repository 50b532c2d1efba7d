# Type stubs for the compiled module (checked against it by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

isa_variant: str
has_openmp: bool
eigen_version: str

def simd_instruction_sets() -> str: ...
def max_threads() -> int: ...

# checks family
def all_finite(a: np.ndarray) -> bool: ...

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
# refit family: marginal contributions by incremental refits (status codes: 0 ok, 1 singular,
# 2 not converged / separable, 3 missing class, 4 bad index)
def refit_evaluate(
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
def refit_sample(
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
def refit_plan(
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
def refit_stratum_counts(
    strata_ptr: npt.ArrayLike, balanced: bool, k: int
) -> npt.NDArray[np.int64]: ...

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
