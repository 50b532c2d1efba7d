# Stubs of pointvalue._core.sampling (checked by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

# sampling family
def inclusion_probabilities(
    scores: np.ndarray, size: float, min_prob: float
) -> tuple[npt.NDArray[np.float64], float, int, int]: ...  # π, λ, rows at the floor, rows at 1
def poisson_sample(probabilities: np.ndarray, key: int, offset: int = 0) -> npt.NDArray[np.int64]: ...
def stream_uniforms(key: int, offset: int, n: int) -> npt.NDArray[np.float64]: ...
