"""Test-collection settings shared by the tests and the doctests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run (derandomize: seeded from each
# test's name) and have no time limit per example: a busy machine, or a run that
# happens on a new example, never turns a green suite red. To search new examples on
# purpose: python -m pytest --hypothesis-profile=explore
settings.register_profile(
    "ecograph",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, database=None)
settings.load_profile("ecograph")

collect_ignore = ["ecograph/__main__.py", "benchmarks"]


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test and doctest gets its own warm-load cache directory, never the user's."""
    path = tmp_path_factory.mktemp("ecograph-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ECOGRAPH_CACHE_DIR", str(path))
        patch.delenv("ECOGRAPH_CACHE_MIN_BYTES", raising=False)
        yield path
