"""Test-collection settings shared by the tests and the doctests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

collect_ignore = ["ecograph/__main__.py", "benchmarks"]


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test and doctest gets its own warm-load cache directory, never the user's."""
    path = tmp_path_factory.mktemp("ecograph-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ECOGRAPH_CACHE_DIR", str(path))
        patch.delenv("ECOGRAPH_CACHE_MIN_BYTES", raising=False)
        yield path
