"""``pointvalue bench``: same-run speed ratios against the peers installed here (see ``pointvalue.bench``)."""

from __future__ import annotations

import sys


def register(sub) -> None:
    from .bench import FAMILIES

    p = sub.add_parser(
        "bench",
        help="time our kernels against numpy/scipy/scikit-learn/statsmodels/FFHT on this machine",
        description="Check and time each case's implementations in one run and print the same-run "
        "ratios (peer time / our time) with the machine facts. The JSON schema is in the docstring "
        "of pointvalue.bench and in the README.",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes (under a minute on 2 cores)")
    p.add_argument("--scale", choices=["tiny", "quick", "full"], default=None,
                   help="case sizes (default full; --quick means quick; tiny is for smoke tests)")
    p.add_argument("--only", default=None, metavar="FAMILIES",
                   help=f"comma-separated families among {','.join(FAMILIES)} (default: all)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for our kernels and BLAS (default: all OpenMP threads)")
    p.add_argument("--json", default=None, metavar="FILE", help="write the results as JSON to FILE")
    p.add_argument("--compare", default=None, metavar="OLD.json",
                   help="compare the speed-ups with a previous --json file; exit 1 past --threshold")
    p.add_argument("--threshold", type=float, default=0.25,
                   help="largest tolerated fall of a speed-up in --compare, as a fraction (default 0.25)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from . import bench

    if args.quick and args.scale not in (None, "quick"):
        raise SystemExit("error: --quick and --scale disagree; give one of them")
    scale = args.scale or ("quick" if args.quick else "full")
    only = None if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
    if args.threads is not None and args.threads < 1:
        raise SystemExit("error: --threads must be a positive integer")
    if not 0 < args.threshold < 1:
        raise SystemExit("error: --threshold must be in (0, 1)")
    old = None
    if args.compare is not None:
        try:
            old = bench.load(args.compare)  # fail before spending minutes on the run
        except (OSError, ValueError) as exc:
            raise SystemExit(f"error: --compare: {exc}") from None
    try:
        from ._config import config

        threads = args.threads or config()["max_threads"]
        cases = bench.cases(only, scale=scale, threads=threads)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    if only is not None and "semivalues" in only and not any(c.family == "semivalues" for c in cases):
        print("note: pv.semivalues is not available in this version: no semivalue cases", file=sys.stderr)
    result = bench.run(cases, scale=scale, threads=threads, progress=not args.no_progress)
    print(bench.format_table(result))
    if args.json:
        bench.save(result, args.json)
        print(f"results written to {args.json}")
    status = 0
    bad = bench.failures(result)
    if bad:
        print("\nour kernels failed in:\n  " + "\n  ".join(bad), file=sys.stderr)
        status = 1
    if old is not None:
        _, regressions, text = bench.compare(old, result, args.threshold)
        print("\n" + text)
        if regressions:
            print(f"\n{len(regressions)} speed-up(s) fell by more than {args.threshold:.0%}", file=sys.stderr)
            status = 1
    return status
