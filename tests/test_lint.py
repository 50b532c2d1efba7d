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


KNOWN_CYCLES: set = set()
KNOWN_ROOT_IMPORTS: set = set()


def _import_graph():
    """module → the pointvalue modules it imports (relative imports, at any depth of the file)."""
    import ast

    graph, root_importers = {}, set()
    for path in PACKAGE.rglob("*.py"):
        parts = ("pointvalue",) + path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = parts[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "pointvalue" for a in node.names):
                root_importers.add(name)
            if isinstance(node, ast.ImportFrom) and node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                if node.module:
                    deps.add(f"{base}.{node.module}")
                else:
                    deps |= {f"{base}.{a.name}" for a in node.names}
                    # `from . import fit_glm` in a module of the package: a name of the root
                    if base == "pointvalue" and not all((PACKAGE / f"{a.name}.py").exists()
                                                        or (PACKAGE / a.name).is_dir() for a in node.names):
                        root_importers.add(name)
        graph[name] = deps - {name}
    return graph, root_importers


def test_no_import_cycles_and_no_package_root_imports():
    graph, root_importers = _import_graph()

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            for dep in graph.get(todo.pop(), ()):
                if dep == goal:
                    return True
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return False

    cycles = {tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if b in graph and reaches(b, a)}
    assert cycles <= KNOWN_CYCLES, cycles - KNOWN_CYCLES
    assert root_importers <= KNOWN_ROOT_IMPORTS, root_importers - KNOWN_ROOT_IMPORTS
