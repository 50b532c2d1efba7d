# Stubs of pointvalue._core.fwht (checked by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

# fwht family: in-place transforms of C-contiguous 2-D float32/float64 arrays, times `scale`
def fwht_contiguous(a: np.ndarray, scale: float = 1.0) -> None: ...
def fwht_interleaved(a: np.ndarray, scale: float = 1.0) -> None: ...
