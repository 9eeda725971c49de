"""Spelling suggestions for unknown names ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    Parameters
    ----------
    word : str
        What the user wrote.
    choices : iterable of str
        The names that exist.

    Examples
    --------
    >>> did_you_mean("dingtak", ["dingtalk", "taobao"])
    " (did you mean 'dingtalk'?)"
    >>> did_you_mean("zzz", ["dingtalk"])
    ''
    """
    pool = choices if isinstance(choices, list | tuple | set | frozenset | dict) else list(choices)
    if word in pool:
        return ""
    lowered = {c.lower(): c for c in pool if isinstance(c, str)}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    match = difflib.get_close_matches(word, list(pool), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
