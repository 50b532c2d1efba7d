"""``--scheduler ADDRESS|local``, ``--n-workers`` and ``--memory-limit``: the one dask scheduler
helper of the subcommands (values, scaling, demo and subsample)."""

from __future__ import annotations

import contextlib

_SCHEDULER_HELP = (
    "run the contributions / valuations on a dask.distributed cluster: a scheduler address "
    "(tcp://host:8786) or 'local' for a LocalCluster of --n-workers one-thread worker processes on "
    "this machine; same results as without it (needs pointvalue[dask])")


def add_scheduler_arguments(parser, scheduler_help: str = _SCHEDULER_HELP) -> None:
    """Add ``--scheduler``, ``--n-workers`` and ``--memory-limit`` to `parser` (or a group)."""
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help=scheduler_help)
    parser.add_argument("--n-workers", type=int, default=None, dest="n_workers", metavar="N",
                        help="worker processes of --scheduler local, one thread each (default: "
                        "--n-jobs, that is one per core)")
    parser.add_argument("--memory-limit", default="auto", dest="memory_limit", metavar="BYTES",
                        help="memory limit per worker of --scheduler local, e.g. 1GB (default auto: "
                        "the physical memory shared by the workers)")


def local_workers(args) -> int:
    """The worker processes of ``--scheduler local``: --n-workers, else --n-jobs resolved."""
    from ._validation import check_n_jobs

    if getattr(args, "n_workers", None) is not None:
        if args.n_workers <= 0:
            raise SystemExit("error: --n-workers must be positive")
        return int(args.n_workers)
    return check_n_jobs(getattr(args, "n_jobs", -1), "--n-jobs")


@contextlib.contextmanager
def scheduler_client(address, n_workers: int, memory_limit="auto"):
    """A ``distributed.Client`` of `address` ('local': a new LocalCluster of `n_workers`
    one-thread processes with `memory_limit` each), closed on exit; False (a local run, whatever
    client the process has) when `address` is None.

    The client is current only inside the block (``set_as_default=False`` + ``as_current``, which
    also makes it dask's scheduler there): a client that failed to connect is never left behind
    as the process's default client."""
    if address is None:
        yield False
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SystemExit("error: --scheduler needs dask.distributed: pip install 'pointvalue[dask]'") from None
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                cluster = stack.enter_context(LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                                           processes=True, host="127.0.0.1",
                                                           memory_limit=memory_limit,
                                                           dashboard_address=None))
                client = stack.enter_context(Client(cluster, set_as_default=False))
            else:
                client = stack.enter_context(Client(address, timeout="10s", set_as_default=False))
        except (OSError, TimeoutError, ValueError) as exc:
            raise SystemExit(f"error: --scheduler {address}: {exc}") from None
        stack.enter_context(client.as_current())
        yield client
