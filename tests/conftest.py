import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def casp_path():
    path = SHARED_DATA / "CASP.csv"
    if not path.exists():
        pytest.skip("../shared/data/CASP.csv is not beside the project")
    return path
