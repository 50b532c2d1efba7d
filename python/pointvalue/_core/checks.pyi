# Stubs of pointvalue._core.checks (checked by tests/test_stubs.py with stubtest).
import numpy as np
import numpy.typing as npt

# checks family
def all_finite(a: np.ndarray) -> bool: ...
