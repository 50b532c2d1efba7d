import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="module")
def client():
    """A dask.distributed client of a 2-worker LocalCluster (one-thread processes), per module
    (its tests may kill a worker); skipped without distributed. Once created it is the active
    client of the process."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="session")
def casp_path():
    path = SHARED_DATA / "CASP.csv"
    if not path.exists():
        pytest.skip("../shared/data/CASP.csv is not beside the project")
    return path


# Property-based tests (hypothesis): a small, reproducible CI profile; HYPOTHESIS_PROFILE=dev for more.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
else:
    settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("dev", max_examples=300, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def srht_draws(random_state, n, sketch_size):
    """The signs and sampled rows of the SRHT for `random_state`, rebuilt from the documented
    stream (cpp/include/pointvalue/random.hpp): sign i is −1 iff uniform(subkey(key, 0), i) ≥ ½
    (its top bit), the rows are random::choice(subkey(key, 1), N, sketch_size)."""
    from pointvalue import _core
    from pointvalue.random import stream_key

    key = stream_key(random_state)
    N = 1 << max(0, (n - 1).bit_length())
    u = _core.random.uniforms(_core.random.subkey(key, 0), 0, n)
    rows = _core.random.choice(_core.random.subkey(key, 1), N, sketch_size)
    return np.where(u >= 0.5, -1.0, 1.0), rows
