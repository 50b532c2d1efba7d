"""Every docstring example of the installed package runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import pointvalue

SKIP = {"pointvalue.cli", "pointvalue._loader"}  # no examples; the CLI module runs main on import as __main__


def _modules():
    names = ["pointvalue"] + [f"pointvalue.{m.name}" for m in pkgutil.iter_modules(pointvalue.__path__)
                              if not m.name.startswith("_core")]
    return sorted(n for n in names if n not in SKIP)


def _examples(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module_name) if t.examples and t.name.startswith(module_name)]


@pytest.mark.parametrize("module_name", [name for name in _modules() if _examples(name)])
def test_docstring_examples(module_name):
    tests = _examples(module_name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    with np.printoptions(legacy=False):
        for test in tests:
            result = runner.run(test, out=failures.append, clear_globs=True)
            assert result.failed == 0, "".join(failures)


def test_the_public_modules_have_examples():
    with_examples = {name for name in _modules() if _examples(name)}
    assert {"pointvalue.glm", "pointvalue.influence", "pointvalue.leverage", "pointvalue.sampling",
            "pointvalue.transform", "pointvalue.contributions", "pointvalue.subsampling",
            "pointvalue._validation"} <= with_examples
