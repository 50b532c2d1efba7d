"""`pointvalue bench`: tiny runs of every family, the JSON schema, --compare's exit code."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import pointvalue as pv
from pointvalue import bench
from pointvalue.bench import _harness
from pointvalue.cli import main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tiny.json"
    status = main(["bench", "--scale", "tiny", "--no-progress", "--threads", "1", "--json", str(path)])
    return status, json.loads(path.read_text())


def test_tiny_run_checks_and_times_every_family(tiny_run):
    status, result = tiny_run
    assert status == 0
    families = {c["family"] for c in result["cases"]}
    expected = set(bench.FAMILIES) - ({"semivalues"} if not callable(getattr(pv, "semivalues", None)) else set())
    assert families == expected
    for case in result["cases"]:
        assert "error" not in case, case
        ours = case["results"][case["ours"]]
        assert ours["ok"] and ours["median_s"] > 0 and ours["repeats"] >= 1, case["id"]
        # every case has numpy/scipy peers at least, and their speed-ups are same-run ratios
        assert case["speedup"], case["id"]
        for peer, sp in case["speedup"].items():
            assert sp == pytest.approx(case["results"][peer]["median_s"] / ours["median_s"])


def test_json_schema_is_stable(tiny_run):
    _, result = tiny_run
    assert result["schema"] == bench.SCHEMA == "pointvalue-bench/1"
    assert {"schema", "created", "scale", "wall_s", "machine", "cases"} <= set(result)
    assert result["scale"] == "tiny"
    m = result["machine"]
    for key in ("pointvalue", "isa_variant", "simd", "openmp", "max_threads", "threads", "blas", "cpu_count",
                "machine", "platform", "python", "numpy", "scipy", "load_average"):
        assert key in m, key
    assert m["threads"] == 1 and m["isa_variant"] == pv.config()["isa_variant"]
    ids = [c["id"] for c in result["cases"]]
    assert len(ids) == len(set(ids))
    for case in result["cases"]:
        assert {"id", "family", "title", "params", "ours", "results", "speedup"} <= set(case)
        assert case["id"].startswith(case["family"] + "/")
        for res in case["results"].values():
            assert ("median_s" in res) == res["ok"] and ("error" in res) != res["ok"]


def test_quick_and_full_case_ids_differ_by_size():
    quick = {c.id for c in bench.cases(["fwht", "glm"], scale="quick")}
    full = {c.id for c in bench.cases(["fwht", "glm"], scale="full")}
    assert quick and full and not quick & full


def test_compare_exit_code(tiny_run, tmp_path, capsys):
    _, result = tiny_run
    case = next(c for c in result["cases"] if c["speedup"])
    peer = next(iter(case["speedup"]))
    # same result: no regression
    rows, regressions, text = bench.compare(result, result, 0.25)
    assert rows and not regressions and "new / old" in text
    # a baseline where we were 1000× faster than now (far beyond the timing noise of tiny cases on
    # a shared machine): regression, and the CLI exits 1
    old = copy.deepcopy(result)
    for c in old["cases"]:
        c["speedup"] = {p: s * 1000 for p, s in c["speedup"].items()}
    _, regressions, _ = bench.compare(old, result, 0.25)
    assert any(r["id"] == case["id"] and r["peer"] == peer for r in regressions)
    path = tmp_path / "old.json"
    bench.save(old, path)
    status = main(["bench", "--scale", "tiny", "--only", "leverage", "--no-progress", "--compare", str(path)])
    assert status == 1
    assert "slower" in capsys.readouterr().out
    # a baseline where we were 1000× slower: an improvement passes
    for c in old["cases"]:
        c["speedup"] = {p: s / 1e6 for p, s in c["speedup"].items()}
    bench.save(old, path)
    assert main(["bench", "--scale", "tiny", "--only", "leverage", "--no-progress", "--compare", str(path)]) == 0


def test_compare_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(SystemExit, match="schema"):
        main(["bench", "--scale", "tiny", "--compare", str(path)])


def test_unknown_family_and_bad_options():
    with pytest.raises(SystemExit, match="unknown benchmark families"):
        main(["bench", "--only", "fwht,nope", "--scale", "tiny"])
    with pytest.raises(SystemExit, match="threshold"):
        main(["bench", "--threshold", "2", "--scale", "tiny"])
    with pytest.raises(SystemExit, match="disagree"):
        main(["bench", "--quick", "--scale", "full"])


def test_a_wrong_answer_is_reported_not_timed():
    calls = []

    def prepare():
        def wrong():
            calls.append(1)
            return np.zeros(3)

        def check(out):
            np.testing.assert_allclose(out, np.ones(3))

        return [_harness.Impl("pointvalue", wrong, ours=True, check=check),
                _harness.Impl("numpy", lambda: np.ones(3))]

    result = bench.run([_harness.Case("x/y", "x", "a broken case", prepare)], scale="tiny", progress=False)
    ours = result["cases"][0]["results"]["pointvalue"]
    assert not ours["ok"] and ours["error"].startswith("wrong answer")
    assert len(calls) == 1  # checked once, never timed
    assert bench.failures(result) and result["cases"][0]["speedup"] == {}
    assert "wrong answer" in bench.format_table(result)


def test_the_table_names_the_machine(tiny_run):
    _, result = tiny_run
    text = bench.format_table(result)
    assert pv.config()["isa_variant"] in text and "BLAS" in text and "speed-up" in text
