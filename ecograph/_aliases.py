"""Former keyword names of the public API, still accepted (the one naming scheme).

The node a call is about is ``node=``; the currency layer is ``currency=``. The names
used before (``kind=``, ``target=``, ``partner=``) keep working through
:func:`renamed`, which maps them onto the new names before the call. Type checkers see
the real signature (with the new names only), so new code is checked against it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from ecograph.errors import UsageError

__all__ = ["CURRENCY", "renamed"]

P = ParamSpec("P")
R = TypeVar("R")

#: The rename every analysis with a currency layer accepts.
CURRENCY = {"kind": "currency"}


def renamed(**old_names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept the former keyword names ``old=new`` of a function.

    The wrapped function keeps its real signature for type checkers and IDEs
    (``Callable[P, R]``: its parameters, their types and its return type), so a wrong
    keyword or a wrong type is caught before the call. The former names are aliases
    accepted at run time only: code written before the rename keeps running, while a
    type checker asks for the new name (each function's docstring lists its aliases).

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
    >>> import inspect
    >>> list(inspect.signature(layer).parameters)  # the real signature, for help() and IDEs
    ['currency']
    """

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
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

        return cast("Callable[P, R]", call)

    return wrap
