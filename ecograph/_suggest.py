"""Spelling suggestions for unknown names ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Most candidates compared by difflib for one suggestion.
_MANY = 500


class Suggester:
    """Suggests the closest known name, fast even with 100,000 names.

    Names are indexed by first letter and length, so one lookup compares the
    word only with names of about the same length that start alike (at most
    500 of them), and repeated words are answered from a memo.

    Examples
    --------
    >>> s = Suggester(["dingtalk", "taobao"])
    >>> s("dingtak"), s("zzz"), s("DingTalk")
    (" (did you mean 'dingtalk'?)", '', " (did you mean 'dingtalk'?)")
    """

    def __init__(self, choices: Iterable[str]) -> None:
        self._names = [c for c in choices if isinstance(c, str)]
        self._known = set(self._names)
        self._lower: dict[str, str] = {}
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for name in self._names:
            self._lower.setdefault(name.lower(), name)
            self._buckets.setdefault((name[:1].lower(), len(name)), []).append(name)
        self._memo: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        if word in self._known:
            return ""
        if word not in self._memo:
            self._memo[word] = self._suggest(word)
        return self._memo[word]

    def _suggest(self, word: str) -> str:
        if word.lower() in self._lower:
            return f" (did you mean {self._lower[word.lower()]!r}?)"
        if len(self._names) <= _MANY:
            candidates = self._names
        else:
            head = word[:1].lower()
            candidates = []
            for length in range(len(word) - 2, len(word) + 3):
                candidates.extend(self._buckets.get((head, length), ()))
            if len(candidates) > _MANY:  # keep those sharing the longest start with the word
                candidates.sort(key=lambda c: -_shared_start(word, c))
                candidates = candidates[:_MANY]
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
        return f" (did you mean {match[0]!r}?)" if match else ""


def _shared_start(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` have in common."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    For many lookups against the same names, build one :class:`Suggester`.

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
    return Suggester(choices)(word)
