"""Exceptions, located diagnostics and exit codes: the one place they are defined.

Every problem ecograph reports about a map is a :class:`Diagnostic`: a severity,
a location (file, line, column, both 1-based), a path through the document
(``pipes[3].to``) and a message. A map with errors raises :class:`MapError`
carrying all of them at once.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Diagnostic",
    "EcographError",
    "ExitCode",
    "MapError",
    "UsageError",
    "describe_value",
    "format_path",
    "number_hint",
    "one_line",
]


class ExitCode(enum.IntEnum):
    """Process exit codes of the ``ecograph`` command, defined once.

    Examples
    --------
    >>> int(ExitCode.INVALID)
    1
    """

    OK = 0
    #: The map (or scenario) is invalid, or ``--strict`` and it has warnings.
    INVALID = 1
    #: The command line is wrong: unknown option, missing file argument, bad value.
    USAGE = 2
    #: A bug in ecograph itself; the message asks to report it.
    INTERNAL = 3
    #: Interrupted with Ctrl-C.
    INTERRUPTED = 130


_ONE_LINE: dict[int, str] = {
    # C0 and C1 controls and DEL (line breaks among them), then characters that break
    # the line or change how the rest of it is shown: LS and PS, bidi embeddings,
    # overrides, isolates and marks, zero-width characters and the byte order mark
    **{c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))},
    0x09: "\\t",
    0x0A: "\\n",
    0x0D: "\\r",
    **{
        c: f"\\u{c:04x}"
        for c in (
            0x061C,
            *range(0x200B, 0x2010),
            0x2028,
            0x2029,
            *range(0x202A, 0x202F),
            *range(0x2066, 0x206A),
            0xFEFF,
        )
    },
}


def one_line(text: str) -> str:
    """``text`` safe to print as (part of) one line of a message.

    Line breaks, other control characters, bidi overrides and isolates and
    zero-width characters are written as escapes, so a file name or a value can
    neither start a new line nor reorder or hide what the terminal shows.

    Examples
    --------
    >>> one_line("a\\nb")
    'a\\\\nb'
    >>> one_line("evil\\u202egnp.yaml") == "evil\\\\u202egnp.yaml"
    True
    """
    return text.translate(_ONE_LINE)


_PLAIN = re.compile(r"^[A-Za-z0-9_-]+$")


def format_path(path: Sequence[str | int]) -> str:
    """Format a document path the way messages show it.

    Parameters
    ----------
    path : sequence of str or int
        Keys (str) and list positions (int) from the top of the document.

    Returns
    -------
    str
        ``nodes.dingtalk.kind``, ``pipes[3].to``; keys that are not plain
        words are quoted: ``nodes["a.b"]``.

    Examples
    --------
    >>> format_path(["pipes", 3, "to"])
    'pipes[3].to'
    >>> format_path(["nodes", "a.b", "kind"])
    'nodes["a.b"].kind'
    >>> format_path([])
    ''
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN.match(part):
            out += f".{part}" if out else part
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located problem in a map.

    Attributes
    ----------
    severity : {"error", "warning"}
    file : str
        The file as the user named it (or ``<string>``).
    line, column : int
        1-based position; 0 when the problem has no position (a missing file).
    path : str
        Where in the document, as :func:`format_path` writes it ('' for the file).
    message : str
        What was expected and what was found, with a hint where one helps.

    Examples
    --------
    >>> d = Diagnostic("error", "x.yaml", 12, 9, "pipes[3].to", "unknown node 'dingtak'")
    >>> str(d)
    "x.yaml:12:9: pipes[3].to: unknown node 'dingtak'"
    >>> str(Diagnostic("warning", "x.yaml", 2, 3, "", "odd"))
    'x.yaml:2:3: warning: odd'
    """

    severity: str
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        parts = [where]
        if self.severity == "warning":
            parts.append("warning")
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        # one line, whatever the map's keys or values hold
        return one_line(": ".join(parts))

    def to_dict(self) -> dict[str, str | int]:
        """Return the diagnostic as a JSON-ready dict.

        Examples
        --------
        >>> Diagnostic("error", "m.yaml", 1, 1, "", "bad").to_dict()["line"]
        1
        """
        return {
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


#: A table row without a line: ``listings.parquet: row 12, column to`` (see ecograph.tablemap).
_TABLE_ROW = re.compile(r"^(.*): row ([0-9]+)(, column .*)?$", re.DOTALL)


def _sort_key(d: Diagnostic) -> tuple[bool, str, int, int, str]:
    file, line = d.file, d.line
    row = _TABLE_ROW.match(file) if not line else None
    if row is not None:  # rows of a table in row order, not text order (row 10 after row 9)
        file, line = row.group(1), int(row.group(2))
    # "... and 250 more problems": the count of the problems not listed comes last
    return (d.message.startswith("... and "), file, line, d.column, d.message)


class EcographError(Exception):
    """Root of every exception ecograph raises on purpose."""


class EcographWarning(UserWarning):
    """Root of the warnings ecograph gives; the command line prints each as one line."""


class UsageError(EcographError):
    """A call or command line that cannot be carried out (bad option value, unknown node)."""


class MapError(EcographError):
    """A map (or scenario) that is not valid; carries every error found.

    Parameters
    ----------
    diagnostics : iterable of Diagnostic
        All problems found; errors first in file order, then warnings.

    Examples
    --------
    >>> e = MapError([Diagnostic("error", "m.yaml", 3, 1, "", "bad")])
    >>> str(e)
    'm.yaml:3:1: bad'
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=_sort_key))
        super().__init__("\n".join(str(d) for d in self.errors))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``warning``."""
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Sort diagnostics by file, line, column.

    Examples
    --------
    >>> a = Diagnostic("error", "m", 5, 1, "", "a"); b = Diagnostic("error", "m", 2, 1, "", "b")
    >>> [d.message for d in sort_diagnostics([a, b])]
    ['b', 'a']
    """
    return tuple(sorted(diagnostics, key=_sort_key))


#: A number with a currency sign or unit around it (5元, ¥5, $0.3, 5 CNY).
_UNIT_SIGN = re.compile(
    r"^(?:[¥$€£￥]|rmb|cny|usd)?([0-9.]+)(?:元|块|角|分|yuan|rmb|cny|usd|[¥$€£￥])?$", re.IGNORECASE
)


def describe_value(value: Any) -> str:
    """How a message names a value that has the wrong type.

    Examples
    --------
    >>> describe_value("5元"), describe_value(None)
    ("text '5元'", 'nothing (an empty value)')
    """
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"text {shown!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__  # pragma: no cover


def number_hint(value: Any) -> str:
    """A hint for text written where a number belongs ('' when none helps).

    Examples
    --------
    >>> number_hint("5,000")
    '; write numbers without separators, e.g. 5000000 or 5e6'
    >>> number_hint("5_000")
    '; write numbers without separators, e.g. 5000000 or 5e6 (YAML 1.2 reads 5_000 as text)'
    """
    if not isinstance(value, str):
        return ""
    stripped = value.strip().replace(",", "").replace(" ", "")
    try:
        float(stripped.replace("_", ""))
    except ValueError:
        pass
    else:
        if "_" in value:
            return (
                "; write numbers without separators, e.g. 5000000 or 5e6 "
                f"(YAML 1.2 reads {value.strip()} as text)"
            )
        if "," in value or " " in value.strip():
            return "; write numbers without separators, e.g. 5000000 or 5e6"
        return "; remove the quotes to make it a number"
    if stripped[-1:] in ("k", "K", "M", "m", "B", "b", "万", "亿"):
        return "; write the whole number (e.g. 5000000, 5e6), not an abbreviation"
    unit = _UNIT_SIGN.search(stripped)
    if unit and unit.group(1):
        return "; write the amount without its unit (the map's units say what a number is in)"
    return ""
