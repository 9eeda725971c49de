"""Spreadsheet cells: how values are written into CSV cells and read back, and a CSV
reader that knows the line and column where every cell starts.

The rules here are shared by the CSV tables and the GraphML/GEXF flattening, so a
value looks the same in every export:

* numbers: a whole number below 10**15 without a decimal point (``100000``), any
  other number as Python writes it (``0.25``, ``1.5e+20``); an empty cell is absent;
* word lists (``tags``, ``genes``): ``retail; shoes`` — words joined by ``"; "``. When a
  word holds ``;``, starts or ends with whitespace, or the first word starts with
  ``[``, the whole list is written as JSON text instead (``["a;b", "c"]``);
* free-form ``attrs`` values: text as is, unless it would read back as something
  else (``5``, ``true``, ``1e9``, ``null``, empty, or text starting with ``[``, ``{``
  or ``"``): then it is JSON text (``"5"``). Numbers, ``true``/``false`` and ``null``
  are written plainly; lists and mappings as JSON text;
* any cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
  or ``'`` gets a ``'`` in front, so a spreadsheet never runs a label as a formula
  ("CSV injection"); reading removes that one ``'`` again. The rule is
  :func:`ecograph.formatting.escape_formula`, the same for every CSV ecograph writes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ecograph.errors import Diagnostic, MapError
from ecograph.formatting import escape_formula, unescape_formula
from ecograph.loader import bom_encoding, resolve_plain

__all__ = [
    "Cell",
    "Row",
    "decode_attr",
    "encode_attr",
    "encode_number",
    "escape_formula",
    "join_words",
    "read_csv",
    "split_words",
    "unescape_formula",
    "write_csv",
]

#: The byte order mark written at the start of every CSV file (Excel needs it to read
#: UTF-8 as UTF-8; every other reader skips it).
BOM = "\ufeff"


def encode_number(value: float | None) -> str:
    """The cell text of a number: empty for None, no ``.0`` on whole numbers.

    Examples
    --------
    >>> [encode_number(x) for x in (None, 100000.0, 0.25, 1e20, 3)]
    ['', '100000', '0.25', '1e+20', '3']
    """
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def join_words(words: Sequence[str]) -> str:
    """Join a word list into one cell: ``"a; b"``, or JSON text when that would be ambiguous.

    Examples
    --------
    >>> join_words(["retail", "shoes"]), join_words([])
    ('retail; shoes', '')
    >>> join_words(["a;b", "c"])
    '["a;b", "c"]'
    """
    if not words:
        return ""
    if words[0].startswith("[") or any(";" in w or w != w.strip() or not w for w in words):
        return json.dumps(list(words), ensure_ascii=False)
    return "; ".join(words)


def split_words(text: str) -> list[Any] | None:
    """Read a word-list cell (the inverse of :func:`join_words`); None when empty.

    Raises
    ------
    ValueError
        When the cell starts with ``[`` but is not a JSON list.

    Examples
    --------
    >>> split_words(" retail ;shoes"), split_words(""), split_words('["a;b"]')
    (['retail', 'shoes'], None, ['a;b'])
    """
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"a cell starting with '[' must be a JSON list: {exc}") from None
        if not isinstance(value, list):  # pragma: no cover - '[' always parses to a list
            raise ValueError("a cell starting with '[' must be a JSON list")
        return value
    return [w.strip() for w in stripped.split(";")]


def _is_plain_text(text: str) -> bool:
    if not text or text[0] in '[{"':
        return False
    try:
        resolved = resolve_plain(text)
    except ValueError:  # a number too large to read back
        return False
    return isinstance(resolved, str) and resolved == text


def encode_attr(value: Any) -> str:
    """The cell text of a free-form attribute value (see the module docstring).

    Examples
    --------
    >>> [encode_attr(v) for v in ("gold", "5", 5, 2.5, True, None, [1, "a"], {"k": 1})]
    ['gold', '"5"', '5', '2.5', 'true', 'null', '[1, "a"]', '{"k": 1}']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        return value if _is_plain_text(value) else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def decode_attr(text: str) -> Any:
    """Read a free-form attribute cell (the inverse of :func:`encode_attr`).

    Raises
    ------
    ValueError
        When the cell starts with ``[``, ``{`` or ``"`` but is not JSON.

    Examples
    --------
    >>> [decode_attr(t) for t in ("gold", '"5"', "5", "2.5", "true", "null", "[1, 2]")]
    ['gold', '5', 5, 2.5, True, None, [1, 2]]
    """
    if text[:1] in ("[", "{", '"'):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(
                f"a cell starting with {text[0]!r} must be JSON text ({exc}); "
                "to keep it as text, write it as a JSON string"
            ) from None
    return resolve_plain(text)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """CSV bytes: UTF-8 with a byte order mark, comma separated, CRLF line ends (RFC 4180).

    Every cell goes through :func:`escape_formula`.

    Examples
    --------
    >>> write_csv(["id", "label"], [["a", "x, y"], ["b", "=1+1"]])
    b'\\xef\\xbb\\xbfid,label\\r\\na,"x, y"\\r\\nb,\\'=1+1\\r\\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_formula(cell) for cell in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


# -- reading, with positions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell's text and where it starts (1-based line and character column)."""

    text: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Row:
    """One record: its cells, in order."""

    cells: tuple[Cell, ...]

    @property
    def line(self) -> int:
        """The line the record starts on."""
        return self.cells[0].line


def decode_text(data: bytes, file: str) -> str:
    """The text of a CSV file's bytes: UTF-8 (a byte-order mark dropped), else one located
    :class:`MapError` (another encoding, NUL bytes).

    Examples
    --------
    >>> decode_text("\\ufeffid,kind\\n".encode(), "n.csv")
    'id,kind\\n'
    >>> decode_text(b"id\\x00", "n.csv")
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: n.csv:1:3: file looks binary (NUL bytes), not CSV
    """

    def fail(line: int, column: int, message: str) -> MapError:
        return MapError([Diagnostic("error", file, line, column, "", message)])

    encoding = bom_encoding(data)
    if encoding is not None:
        raise fail(1, 1, f"file is {encoding} text; save it as 'CSV UTF-8'")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise fail(line, nul - data.rfind(b"\n", 0, nul), "file looks binary (NUL bytes), not CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            line,
            column,
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as 'CSV UTF-8' "
            "(Excel: File > Save As > CSV UTF-8)",
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of ``,`` ``;`` tab outside quotes.

    Examples
    --------
    >>> sniff_delimiter('id;kind;"a,b"\\n'), sniff_delimiter("id,kind\\n")
    (';', ',')
    """
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            break
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, file: str) -> tuple[list[Row], list[Diagnostic]]:
    """Parse CSV bytes into rows of located cells.

    UTF-8 with or without a byte order mark; the delimiter is ``,``, or ``;`` or a
    tab when the header line uses that instead (as Excel does in some locales).
    Quoted cells may hold the delimiter, ``""`` for a quote, and line breaks; the
    line and column of each cell count physical lines and characters (the byte
    order mark is not a character). Blank lines and rows whose cells are all
    empty are skipped.

    Returns
    -------
    rows : list of Row
    problems : list of Diagnostic
        An unclosed quote or text after a closing quote, each located.

    Raises
    ------
    MapError
        When the bytes are not UTF-8 text.

    Examples
    --------
    >>> rows, problems = read_csv(b'id,label\\na,"two\\nlines"\\nb,x\\n', "t.csv")
    >>> for row in rows:
    ...     print([(c.text, c.line, c.column) for c in row.cells])
    [('id', 1, 1), ('label', 1, 4)]
    [('a', 2, 1), ('two\\nlines', 2, 3)]
    [('b', 4, 1), ('x', 4, 3)]
    """
    text = decode_text(data, file)
    delimiter = sniff_delimiter(text)
    stop = re.compile(f"[{re.escape(delimiter)}\r\n]")
    rows: list[Row] = []
    problems: list[Diagnostic] = []
    n = len(text)
    i = 0
    line = column = 1
    while i < n:
        cells: list[Cell] = []
        while True:
            start_line, start_column = line, column
            buf: list[str] = []
            if i < n and text[i] == '"':
                i += 1
                column += 1
                closed = False
                while i < n:
                    ch = text[i]
                    if ch == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            buf.append('"')
                            i += 2
                            column += 2
                            continue
                        i += 1
                        column += 1
                        closed = True
                        break
                    buf.append(ch)
                    i += 1
                    if ch == "\n" or (ch == "\r" and (i >= n or text[i] != "\n")):
                        line += 1
                        column = 1
                    elif ch != "\r":
                        column += 1
                if not closed:
                    problems.append(
                        Diagnostic(
                            "error",
                            file,
                            start_line,
                            start_column,
                            "",
                            "quoted cell is never closed (a '\"' is missing)",
                        )
                    )
                elif i < n and text[i] not in (delimiter, "\r", "\n"):
                    problems.append(
                        Diagnostic(
                            "error",
                            file,
                            line,
                            column,
                            "",
                            "text after a closing quote; a quote inside a quoted cell is "
                            'written twice ("")',
                        )
                    )
                    while i < n and text[i] not in (delimiter, "\r", "\n"):
                        buf.append(text[i])
                        i += 1
                        column += 1
            else:
                match = stop.search(text, i)
                end = match.start() if match else n
                buf.append(text[i:end])
                column += end - i
                i = end
            cells.append(Cell("".join(buf), start_line, start_column))
            if i < n and text[i] == delimiter:
                i += 1
                column += 1
                continue
            break
        # end of record: a line break or the end of the text
        if i < n and text[i] == "\r":
            i += 1
        if i < n and text[i] == "\n":
            i += 1
        line += 1
        column = 1
        if any(c.text for c in cells):
            rows.append(Row(tuple(cells)))
    return rows, problems
