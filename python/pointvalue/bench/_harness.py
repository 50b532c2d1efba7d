"""Running cases: answer checks, timing, the ratio table, the JSON record and the comparison."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

SCHEMA = "pointvalue-bench/1"
SCALES = ("tiny", "quick", "full")
#: seconds of repeated runs aimed at per implementation, by scale
TIME_BUDGET = {"tiny": 0.0, "quick": 0.15, "full": 1.0}
MAX_REPEATS = 30


@dataclass
class Impl:
    """One implementation of a case: a zero-argument callable on data prepared outside the timing.

    ``check(result)`` raises ``AssertionError`` when the answer is wrong; it runs on the first
    call, before any timed call. ``ours`` marks pointvalue's kernel (one per case).
    """

    name: str
    run: Callable[[], Any]
    ours: bool = False
    check: Callable[[Any], None] | None = None
    note: str = ""


@dataclass
class Case:
    """A benchmark case: a stable ``id``, a title, its parameters and a ``prepare`` callable.

    ``prepare()`` builds the data (not timed) and returns the list of :class:`Impl` that are
    importable here; our kernel comes first.
    """

    id: str
    family: str
    title: str
    prepare: Callable[[], list]
    params: dict = field(default_factory=dict)


def have(module: str) -> bool:
    """True when ``module`` can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def thread_limits(threads: int):
    """Limit BLAS and OpenMP pools to ``threads`` (threadpoolctl), or do nothing without it."""
    if not have("threadpoolctl"):
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(threads)


def machine_facts(threads: int) -> dict:
    """What the ratios depend on: kernels' ISA variant, threads, BLAS, library versions, load."""
    import numpy as np
    import scipy

    from . import _api as pv

    cfg = pv.config()
    blas = []
    if have("threadpoolctl"):
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            blas.append({k: pool.get(k) for k in ("user_api", "internal_api", "version", "num_threads",
                                                  "threading_layer", "architecture")})
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        load = None
    return {
        "pointvalue": pv.__version__,
        "isa_variant": cfg["isa_variant"],
        "simd": cfg["simd"],
        "openmp": cfg["openmp"],
        "max_threads": cfg["max_threads"],
        "threads": threads,
        "blas": blas,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "load_average": load,
    }


def _time_impl(impl: Impl, budget: float) -> list:
    """Timed runs until `budget` seconds have passed: at least 3 (1 when one run exceeds it)."""
    times: list[float] = []
    while len(times) < MAX_REPEATS:
        t0 = time.perf_counter()
        impl.run()
        times.append(time.perf_counter() - t0)
        if sum(times) >= budget and (len(times) >= 3 or (budget > 0 and times[0] >= budget)):
            break
    return times


def _run_impl(impl: Impl, budget: float) -> dict:
    """One implementation: the checked first run, then the timed runs; its JSON record."""
    res = {"ok": False, "note": impl.note}
    try:
        t0 = time.perf_counter()
        first = impl.run()  # also the warm-up
        t_first = time.perf_counter() - t0
        if impl.check is not None:
            impl.check(first)
        del first
        # a run longer than the budget needs no warm-up: it is the timing (halves slow peers' cost)
        times = [t_first] if budget > 0 and t_first >= budget else _time_impl(impl, budget)
    except AssertionError as exc:
        msg = str(exc).strip()
        res["error"] = f"wrong answer: {msg.splitlines()[0] if msg else 'check failed'}"
    except Exception as exc:
        res["error"] = f"{type(exc).__name__}: {exc}"
    else:
        res.update(ok=True, median_s=statistics.median(times), min_s=min(times), repeats=len(times))
    return res


def run_case(case: Case, budget: float, progress=None) -> dict:
    """Check every implementation's answer, then time it; returns the case's JSON record."""
    record: dict[str, Any] = {"id": case.id, "family": case.family, "title": case.title, "params": case.params,
                              "ours": None, "results": {}, "speedup": {}}
    try:
        impls = case.prepare()
    except Exception as exc:  # a peer's missing piece or a bug in the case: report, go on
        record["error"] = f"{type(exc).__name__}: {exc}"
        if progress is not None:
            progress.update(1)
        return record
    for impl in impls:
        if progress is not None:
            progress.set_postfix_str(f"{case.id} [{impl.name}]", refresh=True)
        res = _run_impl(impl, budget)
        record["results"][impl.name] = res
        if impl.ours:
            record["ours"] = impl.name
    if progress is not None:
        progress.update(1)
    ours = record["results"].get(record["ours"] or "", {})
    if ours.get("ok"):
        for name, res in record["results"].items():
            if name != record["ours"] and res.get("ok"):
                record["speedup"][name] = res["median_s"] / ours["median_s"]
    return record


def run(cases: list, *, scale: str = "full", threads: int | None = None, progress: bool = True) -> dict:
    """Run `cases` and return the JSON-ready record (see the package docstring for its schema)."""
    from . import _api as pv

    threads = int(threads or pv.config()["max_threads"])
    budget = TIME_BUDGET[scale]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cases), desc="pointvalue bench", unit="case", file=sys.stderr)
    t0 = time.perf_counter()
    # our functions default to one thread (n_jobs=None) outside a joblib.parallel_config context
    from joblib import parallel_config

    with thread_limits(threads), parallel_config(n_jobs=threads):
        facts = machine_facts(threads)
        records = [run_case(case, budget, bar) for case in cases]
    if bar is not None:
        bar.close()
    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scale": scale,
        "wall_s": time.perf_counter() - t0,
        "machine": facts,
        "cases": records,
    }


def failures(result: dict) -> list:
    """Cases whose own kernel failed its check or raised (a defect, not a slow peer)."""
    out = []
    for case in result["cases"]:
        if "error" in case:
            out.append(f"{case['id']}: {case['error']}")
            continue
        ours = case["results"].get(case["ours"] or "", None)
        if ours is None:
            out.append(f"{case['id']}: no pointvalue implementation ran")
        elif not ours["ok"]:
            out.append(f"{case['id']} [{case['ours']}]: {ours['error']}")
    return out


def _fmt_time(t: float | None) -> str:
    if t is None or not math.isfinite(t):
        return "–"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} µs"


def format_facts(facts: dict) -> str:
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
                     for b in facts.get("blas", []) if b.get("user_api") == "blas") or "unknown (no threadpoolctl)"
    load = facts.get("load_average")
    return (f"pointvalue {facts['pointvalue']} · kernels {facts['isa_variant']} ({facts['simd']}) · "
            f"OpenMP {'yes' if facts['openmp'] else 'no'} · threads {facts['threads']} of "
            f"{facts['cpu_count']} CPUs · BLAS {blas}\n"
            f"numpy {facts['numpy']} · scipy {facts['scipy']} · Python {facts['python']} · "
            f"{facts['platform']}" + (f" · load average {load[0]:.2f}" if load else ""))


def format_table(result: dict) -> str:
    """One markdown table: per case and peer, our median time, the peer's and peer / ours."""
    lines = [format_facts(result["machine"]), "",
             "| case | pointvalue | peer | peer time | speed-up (peer / ours) |", "|---|---:|---|---:|---:|"]
    for case in result["cases"]:
        if "error" in case:
            lines.append(f"| {case['id']} | error: {case['error']} | | | |")
            continue
        ours = case["results"].get(case["ours"] or "", {})
        t_ours = _fmt_time(ours.get("median_s")) if ours.get("ok") else f"error: {ours.get('error')}"
        peers = [(n, r) for n, r in case["results"].items() if n != case["ours"]]
        if not peers:
            lines.append(f"| {case['id']} | {t_ours} | (no peer installed) | | |")
        for name, res in peers:
            if res["ok"]:
                sp = case["speedup"].get(name)
                lines.append(f"| {case['id']} | {t_ours} | {name} | {_fmt_time(res['median_s'])} | "
                             + (f"{sp:.3g}× |" if sp is not None else "– |"))
            else:
                lines.append(f"| {case['id']} | {t_ours} | {name} | {res['error']} | – |")
    lines.append("")
    lines.append(f"scale {result['scale']}, {len(result['cases'])} cases in {result['wall_s']:.1f} s; "
                 "times are medians of repeated runs after a checked first run; the machine may be shared.")
    return "\n".join(lines)


def save(result: dict, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")


def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a `pointvalue bench --json` file of schema {SCHEMA!r} "
                         f"(found schema {data.get('schema') if isinstance(data, dict) else None!r})")
    return data


def compare(old: dict, new: dict, threshold: float = 0.25) -> tuple:
    """Speed-up changes per (case, peer) present in both runs.

    Returns ``(rows, regressions, lines)``: ``rows`` are dicts with ``id``, ``peer``, ``old``,
    ``new`` and ``change`` (new / old speed-up); ``regressions`` the rows whose speed-up fell by
    more than `threshold` (``change < 1 − threshold``); ``lines`` a printable markdown table.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    old_cases = {c["id"]: c for c in old["cases"]}
    rows, missing = [], []
    for case in new["cases"]:
        prev = old_cases.get(case["id"])
        if prev is None:
            missing.append(f"{case['id']} (new)")
            continue
        for peer, sp in case.get("speedup", {}).items():
            old_sp = prev.get("speedup", {}).get(peer)
            if old_sp is None:
                continue
            rows.append({"id": case["id"], "peer": peer, "old": old_sp, "new": sp, "change": sp / old_sp})
    new_ids = {c["id"] for c in new["cases"]}
    missing += [f"{cid} (not run now)" for cid in old_cases if cid not in new_ids]
    regressions = [r for r in rows if r["change"] < 1 - threshold]
    lines = [f"comparison with the baseline of {old.get('created')} "
             f"({old['machine'].get('isa_variant')}, {old['machine'].get('threads')} threads): "
             f"speed-up = peer / ours in the same run; flagged when it fell by more than {threshold:.0%}",
             "", "| case | peer | old speed-up | new speed-up | new / old |", "|---|---|---:|---:|---:|"]
    for r in rows:
        flag = " **slower**" if r in regressions else ""
        lines.append(f"| {r['id']} | {r['peer']} | {r['old']:.3g}× | {r['new']:.3g}× | {r['change']:.2f}{flag} |")
    if missing:
        lines += ["", "not compared: " + ", ".join(missing)]
    return rows, regressions, "\n".join(lines)
