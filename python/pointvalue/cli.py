"""The ``pointvalue`` command line: one subcommand per job, ``--help`` on each."""

from __future__ import annotations

import argparse
import sys

from . import _cli_demo, _cli_scaling, _cli_subsample


def _config(args) -> int:
    from ._config import show_config

    show_config()
    return 0


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
    p = sub.add_parser("config", help="show the compiled kernels' configuration (SIMD, OpenMP)",
                       description="Show the compiled kernels' configuration (SIMD, OpenMP).")
    p.set_defaults(func=_config)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
