"""Thread counts for the compiled kernels, resolved from ``n_jobs`` (see ``check_n_jobs``).

Kernels whose bound function takes ``n_threads`` (refit) are passed the resolved count. The
other OpenMP kernels (fwht, sketch, glm, sampling) read OpenMP's thread count of the calling
thread: :func:`uses_n_jobs` sets it for the duration of one public call and restores it after,
so other OpenMP code in the process (scikit-learn, a user's own) never sees a changed default.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ._validation import check_n_jobs

__all__ = ["openmp_threads", "uses_n_jobs"]

F = TypeVar("F", bound=Callable[..., Any])

_RUNTIMES: list[Any] | None = None


def _openmp_runtimes() -> list[Any]:
    """threadpoolctl's controllers of the OpenMP runtimes loaded (ours among them), found once."""
    global _RUNTIMES
    if _RUNTIMES is None:
        from . import _core  # noqa: F401  (the extension, hence its OpenMP runtime, is loaded)

        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _RUNTIMES = []
        else:
            _RUNTIMES = list(ThreadpoolController().select(user_api="openmp").lib_controllers)
    return _RUNTIMES


@contextlib.contextmanager
def openmp_threads(n_threads: int) -> Iterator[None]:
    """Run the block with `n_threads` OpenMP threads in the calling thread, then restore."""
    runtimes = _openmp_runtimes()
    saved = [rt.get_num_threads() for rt in runtimes]
    changed = [rt for rt, s in zip(runtimes, saved) if s != n_threads]
    for rt in changed:
        rt.set_num_threads(n_threads)
    try:
        yield
    finally:
        for rt, s in zip(runtimes, saved):
            if rt in changed:
                rt.set_num_threads(s)


def uses_n_jobs(func: F) -> F:
    """Decorate a public function with a keyword-only ``n_jobs``: its OpenMP kernels run with
    ``check_n_jobs(n_jobs)`` threads (the function receives the resolved count)."""

    @functools.wraps(func)
    def wrapper(*args, n_jobs=None, **kwargs):
        threads = check_n_jobs(n_jobs)
        with openmp_threads(threads):
            return func(*args, n_jobs=threads, **kwargs)

    return wrapper  # type: ignore[return-value]
