"""Same-run ratio tables for pytest-benchmark suites.

Each benchmark group compares one case across implementations. A benchmark whose name contains
``[pointvalue`` is ours; ``[copy`` / ``[sum`` are memory baselines; the rest are peers. At the
end of the run a markdown table gives our median time, the fastest peer's, and the ratio.
"""

from __future__ import annotations

from collections import defaultdict

BASELINES = ("copy", "sum")


def _impl(name: str) -> str:
    return name.split("[", 1)[1].rstrip("]").split("-")[0] if "[" in name else name


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.benchmarks:
        return
    groups = defaultdict(dict)
    for bench in session.benchmarks:
        try:
            median = bench.stats.median
        except Exception:  # skipped or failed before timing
            continue
        groups[bench.group or bench.name][_impl(bench.name)] = median
    tr = terminalreporter
    tr.write_sep("=", "same-run ratios (median times)")
    tr.write_line("| case | pointvalue | fastest peer | ratio (ours / peer) | speed-up (peer / ours) "
                  "| memory baseline | ours / baseline |")
    tr.write_line("|---|---|---|---|---|---|---|")
    for group, times in sorted(groups.items()):
        ours = {k: v for k, v in times.items() if k.startswith("pointvalue")}
        peers = {k: v for k, v in times.items() if not k.startswith("pointvalue") and k not in BASELINES}
        base = {k: v for k, v in times.items() if k in BASELINES}
        for name, t in sorted(ours.items()):
            peer = min(peers.items(), key=lambda kv: kv[1]) if peers else None
            b = next(iter(base.items()), None)
            tr.write_line(
                f"| {group} ({name}) | {t * 1e3:.2f} ms | "
                + (f"{peer[0]} {peer[1] * 1e3:.2f} ms | {t / peer[1]:.3g} | {peer[1] / t:.3g}× |"
                   if peer else "– | – | – |")
                + (f" {b[0]} {b[1] * 1e3:.2f} ms | {t / b[1]:.2f} |" if b else " – | – |")
            )
