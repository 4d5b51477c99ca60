import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_point_cache(tmp_path_factory):
    """Tests never read or write the user's cache of drawn test points."""
    patch = pytest.MonkeyPatch()
    patch.setenv("GRADCHECK_CACHE", str(tmp_path_factory.mktemp("point-cache")))
    yield
    patch.undo()
