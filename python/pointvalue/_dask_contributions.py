"""Marginal contributions and semivalues on a ``dask.distributed`` cluster: the plumbing.

Imported only inside the calls, and it imports ``distributed`` only inside functions, so
``import pointvalue`` never imports dask; it imports nothing of pointvalue (the callers pass their
task functions: ``_contributions_run._rounds_task`` / ``_evaluate_kernel``, ``_refit_sklearn._task``,
``semivalues.evaluate_part`` / ``walk_part``). The units of work are the ones the local run
already has, so the results are the local run's, bit for bit:

* marginal contributions: ranges of rounds ``a … b − 1``; the C++ sampler keys every draw by
  (seed, round, group), so concatenating the ranges in order is the local result;
* the scikit-learn refit path: one task per base set (the plan is drawn on the client);
* ``evaluate_contributions``: parts of the given subsets;
* semivalues: parts of a batch of permutations (walks) or of coalitions (evaluations); the
  moments are merged on the client in the local batch order.

The data (pool, validation set, model or utility) travel once: ``client.scatter(...,
broadcast=True)`` puts one copy on every worker and the tasks take the future; a task's own input
is a round range, or the index arrays of its coalitions, permutations or subsets (so
leave-one-out on a pool of n moves about 8·n² bytes of indices). A task runs the kernel on one
thread; a worker with t threads runs t tasks at a time (the kernels release the GIL), so nothing
is oversubscribed. A worker lost while
its tasks run changes nothing: the scheduler reruns them elsewhere (they are pure) and the
broadcast data is still on the other workers.
"""

from __future__ import annotations

import sys
import uuid

import numpy as np

#: fewest Δ per contributions task: a task costs the scheduler about a millisecond
_MIN_DELTAS_PER_TASK = 512
#: tasks per worker thread for one call: enough to balance the load and move the progress bar
_TASKS_PER_THREAD = 4


def resolve_client(client):
    """The ``distributed.Client`` to farm work to, or None for a local run.

    ``None``: the active client when there is one (the default client, or the client of a
    ``joblib.parallel_config(backend="dask")`` context), as LightGBM's Dask estimators and
    ``InfluenceSampler.fit`` on dask collections do; else a local run. ``False``: a local run
    even when a client is active."""
    if client is False:
        return None
    if client is None:
        return _active_client() or _joblib_dask_client()
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a Client cannot exist without distributed
        raise TypeError(f"client must be a dask.distributed.Client, None or False, got {client!r}") from None
    if not isinstance(client, Client):
        raise TypeError(f"client must be a dask.distributed.Client, None or False, got {type(client).__name__}")
    return client


def _active_client():
    if "distributed" not in sys.modules:
        return None  # no client can be active without distributed imported
    from distributed import get_client

    try:
        return get_client()
    except ValueError:  # no client in this context
        return None


def _joblib_dask_client():
    if "joblib" not in sys.modules or "distributed" not in sys.modules:
        return None  # without them imported no dask backend context can be active
    from joblib.parallel import get_active_backend

    backend = get_active_backend()[0]
    return getattr(backend, "client", None) if type(backend).__name__ == "DaskDistributedBackend" else None


def total_threads(client) -> int:
    """Worker threads of the cluster now (at least 1: tasks wait for workers that join later)."""
    return max(1, sum(client.nthreads().values()))


def scatter(client, obj):
    """One future for `obj`, a copy on every worker (a list would be scattered element-wise)."""
    return client.scatter([obj], broadcast=True, hash=False)[0]


def ordered_results(client, futures, sizes, bar):
    """The results of `futures` in submission order, the bar moved by `sizes[i]` as each ends.

    A task's exception is raised when its turn comes, so the first failing task in order raises
    (as in the local loop); the remaining tasks are cancelled when the caller stops early."""
    from distributed import as_completed

    position = {f.key: i for i, f in enumerate(futures)}
    finished = [False] * len(futures)
    turn = 0
    try:
        for fut in as_completed(futures):
            i = position[fut.key]
            finished[i] = True
            if bar is not None and fut.status == "finished":
                bar.update(sizes[i])
            while turn < len(futures) and finished[turn]:
                yield futures[turn].result()
                turn += 1
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)


def _key(prefix: str) -> str:
    return f"pointvalue-{prefix}-{uuid.uuid4().hex}"


def round_ranges(r0: int, n_rounds: int, n_points: int, threads: int) -> list[tuple[int, int]]:
    """Round ranges [a, b) covering r0 … r0 + n_rounds − 1, about `_TASKS_PER_THREAD` per thread."""
    per = -(-n_rounds // (_TASKS_PER_THREAD * threads))
    per = max(per, -(-_MIN_DELTAS_PER_TASK // n_points), 1)
    return [(a, min(a + per, r0 + n_rounds)) for a in range(r0, r0 + n_rounds, per)]


def parts(client, n_items: int, min_size: int = 8) -> list[np.ndarray]:
    """Index parts of a batch of `n_items`: about `_TASKS_PER_THREAD` per thread, ≥ `min_size`."""
    n_parts = max(1, min(n_items, _TASKS_PER_THREAD * total_threads(client), -(-n_items // min_size)))
    return np.array_split(np.arange(n_items), n_parts)


def _shared_task(func, shared, job):
    return func(*shared, *job)


def map_jobs(client, func, shared, jobs, prefix, sizes=None, bar=None):
    """``func(*shared, *job)`` on the cluster for every job, results in job order (see
    `ordered_results`); `shared` is the future of a scattered tuple."""
    key = _key(prefix)
    futures = [client.submit(_shared_task, func, shared, job, key=f"{key}-{i}", pure=False)
               for i, job in enumerate(jobs)]
    return ordered_results(client, futures, sizes or [0] * len(futures), bar)
