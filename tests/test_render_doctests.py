"""The examples in the renderers' docstrings run and show what they claim."""

import doctest
import importlib

import pytest

MODULES = ["gradcheck.render.common", "gradcheck.render.table", "gradcheck.render.json",
           "gradcheck.render.junit", "gradcheck.render.markdown",
           "gradcheck.render.gradescope", "gradcheck.render.github", "gradcheck.render.csv",
           "gradcheck.classroom"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_package_exposes_every_renderer_lazily():
    import gradcheck.render as render

    for name in render.__all__:
        assert callable(getattr(render, name)), name
    with pytest.raises(AttributeError):
        render.no_such_renderer  # noqa: B018
