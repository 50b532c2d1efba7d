"""The hand-written stubs of the compiled module must match it (mypy's stubtest).

``pointvalue._core`` is a package: the extension's top level is stubbed in ``__init__.pyi`` and
each kernel family's submodule in ``<family>.pyi``.
"""

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

from pointvalue import _core

STUB_DIR = Path(_core.__file__).parent
FAMILIES = sorted(n for n, v in vars(_core).items() if isinstance(v, types.ModuleType)
                  and not n.startswith("_"))


def test_core_stubs_match_the_compiled_module():
    pytest.importorskip("mypy")
    # stubtest walks the package's stub files, so every family submodule is checked too
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pointvalue._core",
         "--allowlist", str(Path(__file__).with_name("stubtest_allowlist.txt"))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"in {len(FAMILIES) + 2} modules" in result.stdout  # _core, its families, _loader


def test_config_reports_the_build():
    import pointvalue as pv

    cfg = pv.config()
    assert cfg["isa_variant"] in {"baseline", "x86_64_v3", "x86_64_v4"}
    assert isinstance(cfg["openmp"], bool) and cfg["max_threads"] >= 1
    assert cfg["eigen"].startswith("3.4")


def _declared(stub_file: Path) -> set[str]:
    stub = ast.parse(stub_file.read_text())
    names = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {n.target.id for n in stub.body if isinstance(n, ast.AnnAssign)}
    names |= {a.asname or a.name for n in stub.body if isinstance(n, ast.ImportFrom)
              and n.level == 1 for a in n.names}
    return names


def _public(module: types.ModuleType) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_family_is_a_registered_submodule():
    assert FAMILIES, "the extension has no family submodules"
    for family in FAMILIES:
        assert sys.modules[f"pointvalue._core.{family}"] is getattr(_core, family)
        assert (STUB_DIR / f"{family}.pyi").is_file(), f"no stub for _core.{family}"


@pytest.mark.parametrize("module", [None, *FAMILIES])
def test_every_compiled_name_has_a_stub(module):
    """stubtest skips names the stub lacks (they look imported), so check completeness here."""
    runtime = _core if module is None else getattr(_core, module)
    stub = STUB_DIR / ("__init__.pyi" if module is None else f"{module}.pyi")
    assert _public(runtime) - _declared(stub) == set()
