"""The render package: every renderer is reachable from it (lazily). Their docstring
examples run in tests/test_doctests.py."""

import pytest


def test_package_exposes_every_renderer_lazily():
    import gradcheck.render as render

    for name in render.__all__:
        assert callable(getattr(render, name)), name
    with pytest.raises(AttributeError):
        render.no_such_renderer  # noqa: B018
