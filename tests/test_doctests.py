"""The examples in the docstrings of every gradcheck module run and show what they claim.

Modules are found by walking the package, so a new module's examples are run without being
listed here. Examples that need a sandbox or the bundled solutions are marked ``+SKIP`` in the
docstrings themselves.
"""

import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

import gradcheck

NOT_IMPORTED = {"gradcheck.__main__"}   # runs the command line when imported


def _modules_with_examples() -> list[str]:
    names = ["gradcheck"] + sorted(
        info.name for info in pkgutil.walk_packages(gradcheck.__path__, "gradcheck.")
        if info.name not in NOT_IMPORTED)
    finder = doctest.DocTestFinder()
    return [name for name in names
            if any(test.examples for test in finder.find(importlib.import_module(name)))]


MODULES = _modules_with_examples()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert tried > 0 and failures == 0, f"{failures} of {tried} examples failed in {name}"


def test_the_core_modules_are_among_them():
    core = {"gradcheck.engine", "gradcheck.engine.node", "gradcheck.expr", "gradcheck.numeric",
            "gradcheck.compare", "gradcheck.check", "gradcheck.results",
            "gradcheck.spec.sampling", "gradcheck.spec.template", "gradcheck.render.table",
            "gradcheck.batch", "gradcheck.spec"}
    assert core <= set(MODULES), core - set(MODULES)


INLINE = re.compile(r"``([a-z_0-9]+\([^`]*\)\.(?:value|shape))`` is ``([^`]*)``")


def test_inline_examples_of_the_engine_functions():
    # engine_ops states one example per function inline: "``exp(0.0).value`` is ``array(1.)``"
    import numpy as np

    from gradcheck.engine import ops as engine_ops

    checked = 0
    for name, function in inspect.getmembers(engine_ops, inspect.isfunction):
        if function.__module__ != engine_ops.__name__ or name.startswith("_"):
            continue
        examples = INLINE.findall(function.__doc__ or "")
        assert examples, f"{name} has no example"
        for call, shown in examples:
            value = eval(call, vars(engine_ops))   # noqa: S307 - our own docstrings
            assert " ".join(repr(value).split()) == " ".join(shown.split()), (name, call)
            assert isinstance(value, (np.ndarray, tuple))
            checked += 1
    assert checked >= 25
