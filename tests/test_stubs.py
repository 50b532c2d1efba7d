"""The hand-written stubs of the compiled module must match it (mypy's stubtest)."""

import subprocess
import sys

import pytest


def test_core_stubs_match_the_compiled_module():
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pointvalue._core"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_reports_the_build():
    import pointvalue as pv

    cfg = pv.config()
    assert cfg["isa_variant"] in {"baseline", "x86_64_v3", "x86_64_v4"}
    assert isinstance(cfg["openmp"], bool) and cfg["max_threads"] >= 1
    assert cfg["eigen"].startswith("3.4")
