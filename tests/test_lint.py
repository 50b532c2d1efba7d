"""The house style, checked by CI through the test command: ruff and mypy on the package source
(their settings, including the complexity limit and the lead's per-file ignores, are in
pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "pointvalue"

pytestmark = pytest.mark.skipif(not PACKAGE.is_dir(), reason="the package source is not beside the tests")


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff():
    pytest.importorskip("ruff")
    result = _run("ruff", "check", "--no-cache", str(PACKAGE))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy():
    pytest.importorskip("mypy")
    result = _run("mypy", "--config-file", str(ROOT / "pyproject.toml"), str(PACKAGE))
    assert result.returncode == 0, result.stdout + result.stderr
