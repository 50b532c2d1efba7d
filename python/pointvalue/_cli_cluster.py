"""``--scheduler ADDRESS|local`` of the subcommands that compute contributions or semivalues."""

from __future__ import annotations

import contextlib


def add_scheduler_argument(parser) -> None:
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="run the contributions / valuations on a dask.distributed cluster: a scheduler address "
        "(tcp://host:8786) or 'local' for a LocalCluster of --n-jobs one-thread worker processes on "
        "this machine; same results as without it (needs pointvalue[dask])")


@contextlib.contextmanager
def scheduler_client(address, n_workers: int):
    """A ``distributed.Client`` of `address` ('local': a new LocalCluster of `n_workers`
    one-thread processes), closed on exit; False (a local run, whatever client the process
    has) when `address` is None."""
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
                                                           dashboard_address=":0"))
                client = stack.enter_context(Client(cluster, set_as_default=False))
            else:
                client = stack.enter_context(Client(address, timeout="10s", set_as_default=False))
        except (OSError, TimeoutError, ValueError) as exc:
            raise SystemExit(f"error: --scheduler {address}: {exc}") from None
        # current only inside the command (a client that failed to connect is never left behind
        # as the process's default client)
        stack.enter_context(client.as_current())
        yield client
