"""The ``pointvalue`` command line: one subcommand per job, ``--help`` on each."""

from __future__ import annotations

import argparse
import sys

from . import _cli_bench, _cli_demo, _cli_scaling, _cli_subsample, _cli_values


def _config(args) -> int:
    from ._config import show_config

    show_config()
    return 0


def _add_n_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-jobs", type=int, default=-1, dest="n_jobs", metavar="N",
                        help="threads / workers: -1 all cores (default), -2 all but one, N that many")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pointvalue",
        description="Data valuation with individualized scaling laws and influence-based subsampling.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _cli_demo.register(sub)
    _cli_scaling.register(sub)
    _cli_subsample.register(sub)
    _cli_values.register(sub)
    _cli_bench.register(sub)
    p = sub.add_parser("config", help="show the compiled kernels' configuration (SIMD, OpenMP)",
                       description="Show the compiled kernels' configuration (SIMD, OpenMP).")
    p.set_defaults(func=_config)
    for subparser in sub.choices.values():
        _add_n_jobs(subparser)
    return parser


def main(argv=None) -> int:
    from joblib import parallel_config

    from ._validation import check_n_jobs

    args = build_parser().parse_args(argv)
    try:
        n_jobs = check_n_jobs(args.n_jobs, "--n-jobs")
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    # every n_jobs=None below (the subcommands' library calls) resolves to the context's count
    with parallel_config(n_jobs=n_jobs):
        return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
