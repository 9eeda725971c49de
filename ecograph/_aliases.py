"""Former keyword names of the public API, still accepted (the one naming scheme).

The node a call is about is ``node=``; the currency layer is ``currency=``. The names
used before (``kind=``, ``target=``, ``partner=``) keep working through
:func:`renamed`, which maps them onto the new names before the call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from ecograph.errors import UsageError

__all__ = ["CURRENCY", "renamed"]

P = ParamSpec("P")
R = TypeVar("R")

#: The rename every analysis with a currency layer accepts.
CURRENCY = {"kind": "currency"}


def renamed(**old_names: str) -> Callable[[Callable[P, R]], Callable[..., R]]:
    """Accept the former keyword names ``old=new`` of a function.

    The wrapped function keeps its return type; its parameters are typed loosely
    (``...``), because the former names are valid keywords too.

    Raises
    ------
    UsageError
        When a call gives both a new name and its former name.

    Examples
    --------
    >>> @renamed(kind="currency")
    ... def layer(*, currency: str = "traffic") -> str:
    ...     return currency
    >>> layer(kind="capital"), layer(currency="goods"), layer()
    ('capital', 'goods', 'traffic')
    >>> layer(kind="capital", currency="goods")
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: layer(): currency= and its former name kind= both given; \
give currency= only
    """

    def wrap(func: Callable[P, R]) -> Callable[..., R]:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> R:
            for old, new in old_names.items():
                if old in kwargs:
                    if new in kwargs:
                        raise UsageError(
                            f"{func.__name__}(): {new}= and its former name {old}= both "
                            f"given; give {new}= only"
                        )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return call

    return wrap
