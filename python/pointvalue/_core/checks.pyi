# Stubs of pointvalue._core.checks (checked by tests/test_stubs.py with stubtest).
import numpy as np

# checks family
def all_finite(a: np.ndarray) -> bool: ...
