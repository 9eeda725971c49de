"""Maps from tables: nodes and pipes read from CSV or Parquet files (or Arrow/pandas
tables), checked column by column, and compiled straight from the columns.

A YAML map may name tables beside its own nodes and pipes::

    tables:
      nodes: [partners.parquet]
      pipes: [listings.parquet, promotions.csv]

The columns are those of ``ecograph export --format csv`` (:data:`NODE_COLUMNS`,
:data:`PIPE_COLUMNS`, ``inflow.<currency>``, ``attrs.<key>``); only ``id``,
``kind`` and ``from``, ``to`` are required. Every check a YAML map gets is made
on whole columns at once (numpy and pyarrow.compute; no per-row Python objects
on the happy path); the first :data:`LIMIT` problems are reported, each at its
cell (``file:line:column`` of the physical line for CSV, ``file: row N, column C``
for Parquet and in-memory tables, rows counted from 1), then how many more there
are. The result is an :class:`~ecograph.model.Ecosystem` whose nodes and pipes
are made only when somebody asks for them (:class:`~ecograph.model.LazyNodes`,
:class:`~ecograph.model.LazyPipes`), with its compiled map
(:func:`ecograph.compiled.from_columns`) already in its cache.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecograph._suggest import Suggester, did_you_mean
from ecograph.compiled import CACHE_KEY, DOMAINS, KIND_CODE, CompiledMap, from_columns
from ecograph.errors import Diagnostic, MapError, UsageError, format_path, sort_diagnostics
from ecograph.exchange.export import ECONOMICS_NODE_COLUMNS, ECONOMICS_PIPE_COLUMNS
from ecograph.exchange.export import NODE_COLUMNS as _EXPORTED_NODE_COLUMNS
from ecograph.exchange.export import PIPE_COLUMNS as _EXPORTED_PIPE_COLUMNS
from ecograph.loader import MAX_NUMBER, LoadFailure, read_file, resolve_plain
from ecograph.model import (
    CURRENCIES,
    NODE_KINDS,
    PERIODS,
    Ecosystem,
    LazyNodes,
    LazyPipes,
    Location,
    Node,
    Pipe,
)

__all__ = [
    "LIMIT",
    "NODE_COLUMNS",
    "PIPE_COLUMNS",
    "TableSet",
    "from_tables",
    "read_table_file",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: How many problems are listed one by one; the rest are counted.
LIMIT = 100
#: The fixed columns of a nodes table, in order: those ``ecograph export --format csv``
#: writes (per-currency and ``attrs.<key>`` columns come after).
NODE_COLUMNS: tuple[str, ...] = (*_EXPORTED_NODE_COLUMNS, *ECONOMICS_NODE_COLUMNS)
#: The fixed columns of a pipes table, in order.
PIPE_COLUMNS: tuple[str, ...] = (*_EXPORTED_PIPE_COLUMNS, *ECONOMICS_PIPE_COLUMNS)
_BOUNDARY = tuple(f"{side}.{c}" for c in CURRENCIES for side in ("inflow", "outflow"))
_ECONOMICS = ECONOMICS_NODE_COLUMNS
# in messages: the columns, each currency's boundary flows, then the economics columns
_NODE_KNOWN = (*(c for c in NODE_COLUMNS if c not in _ECONOMICS), *_BOUNDARY, *_ECONOMICS)
_REQUIRED = {"nodes": ("id", "kind"), "pipes": ("from", "to")}
_STRIPPED = frozenset(
    {"id", "kind", "parent", "from", "to", "status", "domain", "owner", "paid_by"}
)
_NODE_NUMBERS = ("users", "price", *(f"{s}.{c}" for c in CURRENCIES for s in ("inflow", "outflow")))
_PIPE_NUMBERS = ("volume", "capacity", "conversion", "cost")
_WORDS = ("tags", "genes")
_LONG_TEXT = ("label", "description", "source")
_STATUSES = ("open", "blocked")
_PAYERS = ("to", "from")
_SIMPLE_NUMBER = r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_FORMULA = r"^'([=+\-@\t\r'])"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _canonical(name: str) -> str:
    """``inflow`` is ``inflow.traffic``: the number columns use the dotted names."""
    return f"{name}.traffic" if name in ("inflow", "outflow") else name


# -- reading -----------------------------------------------------------------------------


def table_format(path: str) -> str | None:
    """``csv`` or ``parquet`` from a table path's suffix (None: neither).

    Examples
    --------
    >>> table_format("a/b.PARQUET"), table_format("x.csv"), table_format("x.xlsx")
    ('parquet', 'csv', None)
    """
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix)


@dataclass
class _Source:
    """One table: its columns by canonical name and how to locate a cell."""

    file: str
    part: str  # "nodes" or "pipes"
    fmt: str  # "csv", "parquet" or "frame"
    columns: dict[str, pa.Array]
    names: dict[str, str]  # canonical name -> name as written in the header
    rows: int
    cell: Callable[[int, str], tuple[int, int]] | None = None  # CSV: row, column -> line, col
    header: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    soft: list[Diagnostic] = field(default_factory=list)  # rows of the wrong width

    def where(self, row: int, column: str) -> tuple[str, int, int]:
        """(file, line, column) of a cell, as a Diagnostic holds it."""
        if self.cell is not None:
            line, col = self.cell(row, column)
            return self.file, line, col
        shown = self.names.get(column, column)
        return f"{self.file}: row {row + 1}, column {shown}", 0, 0

    def location(self, row: int) -> Location:
        """Where a row was written: CSV line and column of its first cell; for Parquet and
        in-memory tables the row number (from 1) as the line and column 0."""
        if self.cell is None:
            return Location(self.file, row + 1, 0)
        file, line, column = self.where(row, "id" if self.part == "nodes" else "")
        return Location(file, line, column)

    def row_location(self, row: int) -> Location:
        """The location warnings show: the cell, or ``file: row N``."""
        if self.cell is None:
            return Location(f"{self.file}: row {row + 1}", 0, 0)
        return self.location(row)


class _LazyHeads(Mapping[str, tuple[int, int]]):
    """Header cell positions, worked out when a message needs one."""

    def __init__(
        self, position: Callable[[int, int], tuple[int, int]], index: dict[str, int]
    ) -> None:
        self._position = position
        self._index = index

    def __getitem__(self, key: str) -> tuple[int, int]:
        return self._position(-1, self._index[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _diag(file: str, message: str, line: int = 0, column: int = 0) -> Diagnostic:
    return Diagnostic("error", file, line, column, "", message)


def _record_scan(text: str, delimiter: str) -> list[tuple[int, int]]:
    """(line offset, column) where each cell of one CSV record starts."""
    out = [(0, 1)]
    line, column, quoted = 0, 1, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            out.append((line, column + 1))
        elif ch == "\n":
            if not quoted:
                break
            line += 1
            column = 0
        if ch != "\r":
            column += 1
    return out


def _quote_trouble(buf: npt.NDArray[np.uint8], quotes: IntArray, delimiter: str) -> bool:
    """True when a quote is never closed, or a closing quote is followed by text."""
    if len(quotes) % 2:
        return True
    after = quotes[1::2] + 1  # every second quote closes (a doubled "" closes and reopens)
    after = after[after < len(buf)]
    allowed = np.isin(buf[after], np.frombuffer(f'"\r\n{delimiter}'.encode(), np.uint8))
    return not bool(allowed.all())


def _record_starts(buf: npt.NDArray[np.uint8], quotes: IntArray, start: int) -> tuple[Any, Any]:
    """Byte offset and physical line of every non-blank record: a line break ends a record
    unless an odd number of quotes comes before it (it is inside a quoted cell)."""
    newlines = np.flatnonzero(buf == 10)
    ends = newlines[newlines >= start]
    if len(quotes):
        ends = ends[np.searchsorted(quotes, ends) % 2 == 0]
    starts = np.concatenate(([start], ends + 1)).astype(np.int64)
    stops = np.concatenate((ends, [len(buf)])).astype(np.int64)
    length = stops - starts
    lone_cr = (length == 1) & (buf[np.minimum(starts, max(len(buf) - 1, 0))] == 13)
    starts = starts[(length > 0) & ~lone_cr]
    return starts, np.searchsorted(newlines, starts) + 1


def _read_csv_table(
    data: bytes, file: str, part: str, problems: list[Diagnostic], soft: list[Diagnostic]
) -> tuple[pa.Table, list[str], Callable[[int, int], tuple[int, int]]] | None:
    """CSV bytes as a table of text columns (header row removed), the header names, and
    the position (line, column) of a cell by (row, column index); None when unreadable.

    pyarrow reads the cells (every column as text, nothing converted) and checks the
    UTF-8; the positions of cells are worked out only for the cells a message names.
    ``problems`` receives what makes the table unreadable; ``soft`` rows of the wrong
    width (the rest of the table is still checked)."""
    from ecograph.exchange._cells import decode_text, read_csv, sniff_delimiter, unescape_formula

    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        try:
            decode_text(data, file)  # the located message of UTF-16 or binary data
        except MapError as exc:
            problems.extend(exc.diagnostics)
            return None
    head_text = data[start : start + 65536].decode("utf-8", "ignore")
    delimiter = sniff_delimiter(head_text)
    first_line = head_text.split("\n", 1)[0]
    width = len(_record_scan(first_line, delimiter))
    buf = np.frombuffer(data, np.uint8)
    quotes = np.flatnonzero(buf == 34) if b'"' in data else np.zeros(0, dtype=np.int64)
    table: pa.Table | None = None
    if not _quote_trouble(buf, quotes, delimiter):  # else the careful reader says where
        import pyarrow.csv as pacsv

        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data).slice(start)),
                read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=len(quotes) > 0
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={f"f{i}": pa.string() for i in range(width)},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            try:
                decode_text(data, file)  # not UTF-8: say where
            except MapError as exc:
                problems.extend(exc.diagnostics)
                return None
            table = None
    if table is not None and table.num_columns == width:
        header = [unescape_formula(c) for c in table.slice(0, 1).to_pylist()[0].values()]
        known: dict[str, Any] = {}

        def cell(row: int, index: int) -> tuple[int, int]:
            """(line, column) of a cell; row -1 is the header."""
            if row < 0:  # the header: the first record, from line 1
                positions = _record_scan(head_text, delimiter)
                offset, column = positions[min(index, len(positions) - 1)]
                return 1 + offset, column
            if "starts" not in known:
                known["starts"], known["lines"] = _record_starts(buf, quotes, start)
                if len(known["starts"]) != table.num_rows:  # pragma: no cover - odd quoting
                    rows, _ = read_csv(data, file)
                    known["rows"] = rows
            if "rows" in known:
                cells = known["rows"][row + 1].cells
                c = cells[min(index, len(cells) - 1)]
                return c.line, c.column
            starts = known["starts"]
            at = int(starts[row + 1])
            stop = int(starts[row + 2]) if row + 2 < len(starts) else len(data)
            positions = _record_scan(data[at:stop].decode("utf-8", "replace"), delimiter)
            offset, column = positions[min(index, len(positions) - 1)]
            return int(known["lines"][row + 1]) + offset, column

        return table.slice(1), header, cell
    # the slow, careful reader: located syntax errors, rows of the wrong width
    rows, found = read_csv(data, file)
    problems.extend(found)
    if found:
        return None
    if not rows:
        return pa.table({}), [], lambda row, index: (0, 0)
    head, *body = rows
    width = len(head.cells)
    for row in body:
        if len(row.cells) != width:
            cell_ = row.cells[width] if len(row.cells) > width else row.cells[-1]
            soft.append(
                _diag(
                    file,
                    f"row has {len(row.cells)} cells; the header has {width} columns",
                    cell_.line,
                    cell_.column,
                )
            )
    columns = {
        f"f{i}": pa.array([r.cells[i].text if i < len(r.cells) else "" for r in body], pa.string())
        for i in range(width)
    }

    def slow_cell(row: int, index: int) -> tuple[int, int]:
        cells = (head if row < 0 else body[row]).cells
        c = cells[min(index, len(cells) - 1)]
        return c.line, c.column

    return pa.table(columns), [c.text for c in head.cells], slow_cell


def _header(
    names: Sequence[str],
    file: str,
    part: str,
    problems: list[Diagnostic],
    where: Callable[[int], tuple[int, int]],
) -> dict[str, int] | None:
    """Canonical column name -> index, with every header problem reported; None if unusable."""
    known = _NODE_KNOWN if part == "nodes" else PIPE_COLUMNS
    columns: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, raw in enumerate(names):
        name = raw if raw.startswith("attrs.") else raw.strip()
        canonical = name.removesuffix(".traffic") if name in _BOUNDARY else name
        if not name:
            line, column = where(index)
            problems.append(
                _diag(file, "a column has no name (an empty header cell)", line, column)
            )
            continue
        if name not in known and not (name.startswith("attrs.") and len(name) > 6):
            line, column = where(index)
            problems.append(
                _diag(
                    file,
                    f"unknown column {name!r}{did_you_mean(name, known)}; expected one of: "
                    f"{', '.join(c for c in known if c not in _BOUNDARY or 'traffic' not in c)}, "
                    "or attrs.<key> for a free-form attribute",
                    line,
                    column,
                )
            )
            continue
        if canonical in first:
            line, column = where(index)
            other = where(first[canonical])
            shown = f"{file}:{other[0]}:{other[1]}" if other[0] else f"{file}, column {other[1]}"
            problems.append(
                _diag(file, f"column {name!r} repeats the column at {shown}", line, column)
            )
            continue
        first[canonical] = index
        columns[canonical] = index
    missing = [c for c in _REQUIRED[part] if c not in columns]
    for name in missing:
        line, _ = where(0)
        problems.append(_diag(file, f"missing required column {name!r}", line, 1 if line else 0))
    return None if missing else columns


def _source_from_table(
    table: pa.Table,
    names: Sequence[str],
    file: str,
    part: str,
    fmt: str,
    problems: list[Diagnostic],
    cell: Callable[[int, int], tuple[int, int]] | None,
) -> _Source | None:
    heading: list[Diagnostic] = []  # unknown or repeated columns: the rest is still checked
    if cell is not None:
        header = _header(names, file, part, heading, lambda i: cell(-1, i))
    else:
        header = _header(names, file, part, heading, lambda i: (0, 0))
    if header is None:
        problems.extend(heading)
        return None
    columns: dict[str, pa.Array] = {}
    shown: dict[str, str] = {}
    for name, index in header.items():
        col = table.column(index)
        columns[_canonical(name)] = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        shown[_canonical(name)] = names[index]
    rows = table.num_rows
    if fmt == "csv" and rows:
        # rows whose cells are all empty are skipped, as a spreadsheet leaves them
        empty = _np_bool(pc.equal(table.column(0), ""))
        for i in range(1, table.num_columns):
            if not empty.any():
                break
            empty &= _np_bool(pc.equal(table.column(i), ""))
        if empty.any():
            keep = np.flatnonzero(~empty)
            columns = {k: v.take(pa.array(keep)) for k, v in columns.items()}
            rows = len(keep)
            assert cell is not None
            inner = cell

            def cell(row: int, index: int) -> tuple[int, int]:
                return inner(int(keep[row]) if row >= 0 else row, index)

    located: Callable[[int, str], tuple[int, int]] | None = None
    heads: Mapping[str, tuple[int, int]] = {}
    if cell is not None:
        position = cell
        located_index = {_canonical(k): v for k, v in header.items()}
        heads = _LazyHeads(position, located_index)

        def located(row: int, column: str) -> tuple[int, int]:
            return position(row, located_index.get(column, 0))

    return _Source(file, part, fmt, columns, shown, rows, located, heads, heading)


def read_table_file(
    path: str | os.PathLike[str], part: str, shown: str | None = None, fmt: str | None = None
) -> Any:
    """Read one nodes or pipes table file: a :class:`_Source`, or a list of problems.

    Examples
    --------
    >>> read_table_file("no-such.parquet", "nodes")[0].message
    'no such file'
    """
    file = shown if shown is not None else os.fspath(path)
    problems: list[Diagnostic] = []
    fmt = fmt or table_format(os.fspath(path))
    if fmt is None:
        return [_diag(file, "cannot tell the table format; name the file .csv or .parquet")]
    try:
        data = read_file(path, file, what="CSV file" if fmt == "csv" else "Parquet file")
    except LoadFailure as failure:
        return list(failure.diagnostics)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(pa.BufferReader(data)).read()
        except (pa.ArrowException, OSError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return [_diag(file, f"not a readable Parquet file ({reason})")]
        source = _source_from_table(table, table.column_names, file, part, fmt, problems, None)
    else:
        soft: list[Diagnostic] = []
        read = _read_csv_table(data, file, part, problems, soft)
        if read is None:
            return problems
        table, names, cell = read
        if not names:
            known = _NODE_KNOWN if part == "nodes" else PIPE_COLUMNS
            problems.append(
                _diag(
                    file,
                    "the table is empty; its first line names the columns, e.g. "
                    + ",".join(known[:4]),
                )
            )
            return problems
        source = _source_from_table(table, names, file, part, fmt, problems, cell)
        if source is not None:
            source.soft.extend(soft)
    if problems or source is None:
        return problems
    return source


# -- checking columns -------------------------------------------------------------------


@dataclass
class _Issue:
    """Rows of one source with the same kind of problem; messages made only when shown."""

    source: int
    rows: IntArray
    column: str
    make: Callable[..., tuple[str, str]]  # row -> (path, message)


class _Report:
    """Every problem found, listed up to :data:`LIMIT` and counted beyond."""

    def __init__(self) -> None:
        self.fixed: list[Diagnostic] = []
        self.issues: list[_Issue] = []

    def add(
        self, source: int, rows: Any, column: str, make: Callable[..., tuple[str, str]]
    ) -> None:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows):
            self.issues.append(_Issue(source, rows, column, make))

    def count(self) -> int:
        return len(self.fixed) + sum(len(i.rows) for i in self.issues)

    def diagnostics(self, sources: Sequence[_Source]) -> list[Diagnostic]:
        out = list(self.fixed[:LIMIT])
        if self.issues:
            src = np.concatenate([np.full(len(i.rows), i.source) for i in self.issues])
            rows = np.concatenate([i.rows for i in self.issues])
            which = np.concatenate([np.full(len(i.rows), k) for k, i in enumerate(self.issues)])
            order = np.lexsort((which, rows, src))[: max(LIMIT - len(out), 0)]
            for k in order.tolist():
                issue = self.issues[int(which[k])]
                row = int(rows[k])
                path, message = issue.make(row)
                file, line, column = sources[issue.source].where(row, issue.column)
                out.append(Diagnostic("error", file, line, column, path, message))
        rest = self.count() - len(out)
        if rest > 0:
            first = sources[0].file if sources else "<tables>"
            out.append(
                _diag(
                    first, f"... and {rest:,} more problem{'s' if rest != 1 else ''} in the tables"
                )
            )
        return out


_TEXT_TYPES = (pa.string(), pa.large_string(), pa.utf8())


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t))


def _is_number(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    )


def _type_name(t: pa.DataType) -> str:
    return str(t)


def _unescape(text: pa.Array) -> pa.Array:
    """Remove the ``'`` a spreadsheet-safe export put before ``=``, ``+``, ``-``, ``@``..."""
    if not pc.any(pc.starts_with(text, "'")).as_py():
        return text
    return pc.replace_substring_regex(text, pattern=_FORMULA, replacement="\\1")


def _spaced(text: pa.Array, where: BoolArray) -> BoolArray:
    """Which cells hold whitespace, looked for only ``where`` (an id that names no node:
    the ids themselves were checked once)."""
    out = np.zeros(len(text), dtype=np.bool_)
    rows = np.flatnonzero(where)
    if len(rows):
        out[rows] = _np_bool(pc.match_substring_regex(text.take(pa.array(rows)), r"\s"))
    return out


def _np_bool(arr: Any) -> BoolArray:
    """A boolean Arrow array (nulls False) as numpy."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


class _Columns:
    """One source's columns, cleaned: text (null where empty), numbers, words, attrs."""

    def __init__(self, index: int, source: _Source, report: _Report) -> None:
        self.index = index
        self.source = source
        self.report = report
        self.n = source.rows
        self.text: dict[str, pa.Array] = {}
        self.numbers: dict[str, FloatArray] = {}
        self.words: dict[str, Any] = {}
        self.attrs: dict[str, pa.Array] = {}
        self.bad_rows: BoolArray = np.zeros(self.n, dtype=np.bool_)
        self.broken: set[str] = set()  # columns of the wrong type
        self.id_bad: BoolArray = np.zeros(self.n, dtype=np.bool_)  # rows whose id is wrong
        part = source.part
        numbers = _NODE_NUMBERS if part == "nodes" else _PIPE_NUMBERS
        text: tuple[str, ...] = (
            *("id", "kind", "label", "parent", "description", "source", "domain", "owner"),
        )
        if part == "pipes":
            text = (
                *("id", "from", "to", "kind", "status", "label", "description", "source"),
                "paid_by",
            )
        for name, arr in source.columns.items():
            if name in text:
                self.text[name] = self._text(name, arr)
            elif name in numbers:
                self.numbers[name] = self._number(name, arr)
            elif name in _WORDS:
                self.words[name] = self._words(name, arr)
            elif name.startswith("attrs."):
                self.attrs[name[6:]] = self._attr(name, arr)

    # problems of whole columns (a wrong type) are fixed diagnostics
    def _column_error(self, name: str, message: str) -> None:
        self.broken.add(name)
        shown = self.source.names.get(name, name)
        if self.source.cell is not None:
            line, col = self.source.header.get(name, (0, 0))
            self.report.fixed.append(_diag(self.source.file, message, line, col))
        else:
            self.report.fixed.append(_diag(f"{self.source.file}: column {shown}", message))

    def _text(self, name: str, arr: pa.Array) -> pa.Array:
        if not _is_text(arr.type):
            self._column_error(
                name, f"column {name!r} holds {_type_name(arr.type)} values; expected text"
            )
            return pa.nulls(self.n, pa.string())
        arr = arr.cast(pa.string()) if arr.type != pa.string() else arr
        if self.source.fmt == "csv":
            arr = _unescape(arr)
        # new arrays only when needed: a million ids are not copied to change nothing
        if name in _STRIPPED and pc.any(pc.match_substring_regex(arr, r"^\s|\s$")).as_py():
            arr = pc.utf8_trim_whitespace(arr)
        if pc.any(pc.equal(arr, "")).as_py():
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return arr

    def _number(self, name: str, arr: pa.Array) -> FloatArray:
        """Floats, ``nan`` where absent; bad cells reported (and left ``nan``)."""
        n = self.n
        if pa.types.is_null(arr.type):
            return np.full(n, np.nan)
        if _is_number(arr.type):
            values = np.array(
                pc.cast(arr, pa.float64(), safe=False).to_numpy(zero_copy_only=False),
                dtype=np.float64,
            )
            absent = _np_bool(pc.is_null(arr))
            bad = np.flatnonzero(~np.isfinite(values) & ~absent)
            self._bad_numbers(name, bad, values)
            values[absent] = np.nan
            return self._ranges(name, values)
        if not _is_text(arr.type):
            self._column_error(
                name, f"column {name!r} holds {_type_name(arr.type)} values; expected numbers"
            )
            return np.full(n, np.nan)
        text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
        given = _np_bool(pc.not_equal(text, ""))
        values = np.full(n, np.nan)
        try:  # the usual case: every cell is a plain decimal number, parsed in one cast
            parsed = pc.cast(
                pc.if_else(pa.array(given), text, pa.scalar(None, pa.string())), pa.float64()
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ok = given & _np_bool(pc.match_substring_regex(text, _SIMPLE_NUMBER))
            if ok.any():
                parsed = pc.cast(
                    pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string())), pa.float64()
                )
                values = np.array(parsed.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            values = np.array(parsed.to_numpy(zero_copy_only=False), dtype=np.float64)
            ok = given.copy()
            odd_rows = np.flatnonzero(given & ~np.isfinite(values))  # inf, nan, 1e400...
            if len(odd_rows):
                picked = text.take(pa.array(odd_rows))
                ok[odd_rows] = _np_bool(pc.match_substring_regex(picked, _SIMPLE_NUMBER))
        simple = ok
        values[~ok] = np.nan
        with np.errstate(invalid="ignore"):
            huge = np.flatnonzero(ok & ~(np.abs(values) <= MAX_NUMBER))
        if len(huge):

            def too_large(row: int) -> tuple[str, str]:
                raw = text[row].as_py()
                try:
                    resolve_plain(raw)
                except ValueError as exc:  # the loader's own words for a number too large
                    return self._path(row, name), str(exc)
                return self._path(row, name), f"must be a finite number, found {raw}"

            self.report.add(self.index, huge, name, too_large)
            self.bad_rows[huge] = True
            values[huge] = np.nan
        odd = np.flatnonzero(given & ~simple)
        not_numbers: list[int] = []
        non_finite: list[int] = []
        for row in odd.tolist():  # YAML 1.2 forms (0x1F, .inf) and mistakes (1_000): few cells
            raw = text[row].as_py()
            try:
                value = resolve_plain(raw)
            except ValueError as exc:
                self.report.add(
                    self.index, [row], name, lambda r, m=str(exc): (self._path(r, name), m)
                )
                self.bad_rows[row] = True
                values[row] = np.nan
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    values[row] = float(value)
                except OverflowError:
                    values[row] = np.inf
                if not np.isfinite(values[row]):
                    non_finite.append(row)
            else:
                not_numbers.append(row)
        if not_numbers:
            from ecograph.errors import describe_value, number_hint

            def not_a_number(row: int) -> tuple[str, str]:
                raw = text[row].as_py()
                return (
                    self._path(row, name),
                    f"expected a number, found {describe_value(raw)}{number_hint(raw)}",
                )

            self.report.add(self.index, not_numbers, name, not_a_number)
            self.bad_rows[not_numbers] = True
        self._bad_numbers(name, np.asarray(non_finite, dtype=np.int64), values)
        return self._ranges(name, values)

    def _bad_numbers(self, name: str, rows: IntArray, values: FloatArray) -> None:
        if len(rows):

            def non_finite(row: int) -> tuple[str, str]:
                return self._path(
                    row, name
                ), f"must be a finite number, found {float(values[row])!r}"

            self.report.add(self.index, rows, name, non_finite)
            self.bad_rows[rows] = True
            values[rows] = np.nan

    def _ranges(self, name: str, values: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore"):
            negative = np.flatnonzero(values < 0)
            above = np.flatnonzero(values > 1) if name == "conversion" else negative[:0]
        if len(negative):
            if name == "conversion":

                def below(row: int) -> tuple[str, str]:
                    return self._path(row, name), f"must be 0 or more, found {_num(values[row])}"

            else:

                def below(row: int) -> tuple[str, str]:
                    return self._path(row, name), f"must be 0 or more, found {_num(values[row])}"

            self.report.add(self.index, negative, name, below)
        if len(above):

            def over(row: int) -> tuple[str, str]:
                return self._path(row, name), f"must be between 0 and 1, found {_num(values[row])}"

            self.report.add(self.index, above, name, over)
        bad = np.concatenate((negative, above))
        self.bad_rows[bad] = True
        return values

    def _words(self, name: str, arr: pa.Array) -> Any:
        """A list<string> array (null where absent); bad cells reported."""
        n = self.n
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            if not _is_text(arr.type.value_type):
                self._column_error(
                    name, f"column {name!r} holds {_type_name(arr.type)} values; expected text"
                )
                return pa.nulls(n, pa.list_(pa.string()))
            lists = arr.cast(pa.list_(pa.string()))
        elif _is_text(arr.type):
            from ecograph.exchange._cells import split_words

            text = arr.cast(pa.string())
            if self.source.fmt == "csv":
                text = _unescape(text)
            stripped = pc.utf8_trim_whitespace(text)
            given = _np_bool(pc.not_equal(stripped, ""))
            as_json = given & _np_bool(pc.starts_with(stripped, "["))
            plain = pc.if_else(pa.array(given & ~as_json), stripped, pa.scalar(None, pa.string()))
            split = pc.split_pattern(plain, ";")
            words = pa.ListArray.from_arrays(
                split.offsets,
                pc.utf8_trim_whitespace(split.values),
                mask=split.is_null(),
            )
            if as_json.any():
                values = words.to_pylist()
                bad: list[int] = []
                messages: dict[int, str] = {}
                for row in np.flatnonzero(as_json).tolist():
                    try:
                        values[row] = split_words(text[row].as_py())
                    except ValueError as exc:
                        bad.append(row)
                        messages[row] = str(exc)
                        values[row] = None
                    else:
                        if not all(isinstance(w, str) for w in values[row] or ()):
                            bad.append(row)
                            messages[row] = "a word list holds only text"
                            values[row] = None
                if bad:

                    def bad_json(row: int) -> tuple[str, str]:
                        return self._path(row, name), messages[row]

                    self.report.add(self.index, bad, name, bad_json)
                    self.bad_rows[bad] = True
                words = pa.array(values, pa.list_(pa.string()))
            lists = words
        else:
            self._column_error(
                name, f"column {name!r} holds {_type_name(arr.type)} values; expected text"
            )
            return pa.nulls(n, pa.list_(pa.string()))
        flat = pc.list_flatten(lists)
        if len(flat):
            length = np.asarray(pc.utf8_length(flat).to_numpy(zero_copy_only=False))
            owner = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False))
            empty = np.unique(owner[length == 0])
            long = np.unique(owner[length > 200])
            if len(empty):
                self.report.add(
                    self.index,
                    empty,
                    name,
                    lambda row: (self._path(row, name), "a word must not be empty"),
                )
            if len(long):
                self.report.add(
                    self.index,
                    long,
                    name,
                    lambda row: (self._path(row, name), "a word is longer than 200 characters"),
                )
            self.bad_rows[empty] = True
            self.bad_rows[long] = True
        return lists

    def _attr(self, name: str, arr: pa.Array) -> pa.Array:
        if _is_text(arr.type):
            text = arr.cast(pa.string())
            if self.source.fmt == "csv":
                text = _unescape(text)
            starts = _np_bool(pc.match_substring_regex(text, r'^[\[{"]'))
            bad: dict[int, str] = {}
            for row in np.flatnonzero(starts).tolist():
                raw = text[row].as_py()
                try:
                    json.loads(raw)
                except ValueError as exc:
                    bad[row] = (
                        f"a cell starting with {raw[0]!r} must be JSON text ({exc}); "
                        "to keep it as text, write it as a JSON string"
                    )
            if bad:
                self.report.add(
                    self.index, list(bad), name, lambda row: (self._path(row, name), bad[row])
                )
                self.bad_rows[list(bad)] = True
            return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        return arr

    def _path(self, row: int, column: str) -> str:
        if column.startswith(("inflow.", "outflow.")):
            side, currency = column.split(".", 1)
            parts: tuple[str | int, ...] = (side,) if currency == "traffic" else (side, currency)
        elif column.startswith("attrs."):
            parts = ("attrs", column[6:])
        else:
            parts = (column,)
        return format_path((*self.base(row), *parts))

    def base(self, row: int) -> tuple[str | int, ...]:
        """The document path of a row: ``nodes.<id>`` or ``pipes[<index>]``."""
        if self.source.part == "nodes":
            ids = self.text.get("id")
            node_id = ids[row].as_py() if ids is not None else None
            return ("nodes", node_id) if node_id else ()
        return ("pipes", self.offset + row)

    offset: int = 0  # index of the first row among all pipes

    def str_list(self, name: str) -> list[str | None]:
        arr = self.text.get(name)
        return [None] * self.n if arr is None else arr.to_pylist()


def _flow_of(node: Node, side: str, currency: str) -> float | None:
    flows: Mapping[str, float] = getattr(node, side)
    return flows.get(currency)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


# -- the parts: YAML objects and tables ---------------------------------------------------


@dataclass
class TableSet:
    """The tables a map names, read and column-checked, before they are joined to the map.

    Attributes
    ----------
    nodes, pipes : list
        The sources of each part.
    problems : list of Diagnostic
        Files that could not be read (the rest of the checks need them all).
    """

    nodes: list[_Source] = field(default_factory=list)
    pipes: list[_Source] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)

    def node_ids(self) -> set[str]:
        """Ids the node tables define (for the references of the YAML part)."""
        out: set[str] = set()
        for source in self.nodes:
            ids = source.columns.get("id")
            if ids is not None and _is_text(ids.type):
                out.update(x.strip() for x in ids.cast(pa.string()).to_pylist() if x and x.strip())
        return out


def _concat_text(parts: Sequence[pa.Array | None], counts: Sequence[int]) -> pa.Array:
    """One text column of all parts (a part without the column: nulls)."""
    arrays = [
        p if p is not None else pa.nulls(c, pa.string())
        for p, c in zip(parts, counts, strict=True)
        if c
    ]
    if len(arrays) == 1:  # one table and no YAML part: no copy
        return arrays[0]
    return pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())


def _codes(arr: pa.Array, options: Sequence[str]) -> IntArray:
    """Index of each value in ``options``; -1 unknown, -2 absent (null)."""
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(arr)
    values = encoded.dictionary.to_pylist()
    lookup = np.array([options.index(v) if v in options else -1 for v in values] + [-2])
    indices = np.asarray(
        pc.fill_null(encoded.indices, len(values)).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    return np.asarray(lookup[indices], dtype=np.int64)


def _first_rows(ids: pa.Array) -> IntArray:
    """For each value, the row of its first occurrence (nulls: their own row)."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    distinct = len(pc.unique(ids)) - (1 if ids.null_count else 0)
    if distinct == n - ids.null_count:  # no value repeats: the usual case
        return np.arange(n, dtype=np.int64)
    encoded = pc.dictionary_encode(ids)
    idx = np.asarray(
        pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    _, first = np.unique(np.where(idx >= 0, idx, 0), return_index=True)
    lookup = np.zeros(len(encoded.dictionary) or 1, dtype=np.int64)
    codes = np.unique(np.where(idx >= 0, idx, 0))
    lookup[codes] = first
    out = lookup[np.maximum(idx, 0)]
    out[idx < 0] = np.arange(n)[idx < 0]
    return np.asarray(out, dtype=np.int64)


def _rows_of(values: pa.Array, ids: pa.Array) -> IntArray:
    """Row of each value among ``ids`` (-1 where absent or unknown)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(values, value_set=ids)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _cycle_nodes(parent: IntArray) -> IntArray:
    """Rows on a parent cycle (pointer doubling: log2(n) vectorised steps)."""
    n = len(parent)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    jump = np.where(parent >= 0, parent, n)
    jump = np.append(jump, n)
    steps = 1
    while steps <= n:
        jump = jump[jump]
        steps *= 2
    # after >= n steps a node is either past the top (n) or on the cycle it ends in
    return np.unique(jump[:n][jump[:n] < n])


def _grouped_rank(codes: IntArray) -> IntArray:
    """For each row, how many earlier rows have the same code."""
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    run = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - run
    return rank


@dataclass
class _Yaml:
    """The part of the map written in YAML, as objects (few)."""

    nodes: tuple[Node, ...]
    pipes: tuple[Pipe, ...]


def _pa_text(values: Sequence[str | None]) -> pa.Array:
    return pa.array(list(values), pa.string())


def combine(
    yaml_eco: Ecosystem | None,
    tables: TableSet,
    *,
    name: str,
    title: str = "",
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
    files: tuple[str, ...] = (),
    tolerance: float = 1e-3,
) -> tuple[Ecosystem | None, list[Diagnostic]]:
    """Join the YAML part of a map (``yaml_eco``, already valid) and its tables.

    Returns the lazy map (None when there are errors) and every diagnostic.
    """
    yaml = _Yaml(
        tuple(yaml_eco.nodes.values()) if yaml_eco else (),
        tuple(yaml_eco.pipes) if yaml_eco else (),
    )
    report = _Report()
    sources = [*tables.nodes, *tables.pipes]
    for source in sources:
        report.fixed.extend(source.soft)
    node_cols = [_Columns(i, s, report) for i, s in enumerate(tables.nodes)]
    pipe_cols = [_Columns(len(tables.nodes) + i, s, report) for i, s in enumerate(tables.pipes)]
    for source in sources:
        source.columns = {}  # the cleaned columns are kept; the raw ones can go
    k = len(CURRENCIES)

    # -- nodes --------------------------------------------------------------------------
    ny = len(yaml.nodes)
    counts = [ny, *(c.n for c in node_cols)]
    offsets = np.cumsum([0, *counts])
    n = int(offsets[-1])
    ids = _concat_text(
        [_pa_text([x.id for x in yaml.nodes]), *(c.text.get("id") for c in node_cols)], counts
    )

    def node_part(row: int) -> tuple[int, int]:
        part = int(np.searchsorted(offsets, row, side="right")) - 1
        return part, row - int(offsets[part])

    def node_where(row: int) -> str:
        part, local = node_part(row)
        if part == 0:
            return str(yaml.nodes[local].location)
        file, line, column = node_cols[part - 1].source.where(local, "id")
        return f"{file}:{line}:{column}" if line else file

    for c in node_cols:
        if "id" in c.broken:
            continue
        missing = np.flatnonzero(_np_bool(pc.is_null(c.text.get("id", pa.nulls(c.n)))))
        c.bad_rows[missing] = True
        c.id_bad[missing] = True
        report.add(
            c.index, missing, "id", lambda row: ("", "the node has no id (its 'id' cell is empty)")
        )
    first = _first_rows(ids)
    for p, c in enumerate(node_cols, start=1):
        lo = int(offsets[p])
        local_first = first[lo : lo + c.n]
        dup = np.flatnonzero(
            (local_first != np.arange(lo, lo + c.n)) & _np_bool(pc.is_valid(ids.slice(lo, c.n)))
        )
        c.bad_rows[dup] = True
        c.id_bad[dup] = True

        def already(row: int, c: _Columns = c, lo: int = lo) -> tuple[str, str]:
            node_id = c.text["id"][row].as_py()
            return (
                format_path(("nodes", node_id)),
                f"node {node_id!r} is already defined at {node_where(int(first[lo + row]))}",
            )

        report.add(c.index, dup, "id", already)
        idcol = c.text.get("id")
        if idcol is not None and c.n:
            spaced_ids = np.flatnonzero(_np_bool(pc.match_substring_regex(idcol, r"\s")))
            c.id_bad[spaced_ids] = True
            report.add(
                c.index,
                spaced_ids,
                "id",
                lambda row, c=c: (
                    format_path(("nodes", c.text["id"][row].as_py())),
                    f"node id {c.text['id'][row].as_py()!r} must not contain whitespace",
                ),
            )
            long_ids = np.flatnonzero(
                np.asarray(pc.fill_null(pc.utf8_length(idcol), 0).to_numpy(zero_copy_only=False))
                > 200
            )
            report.add(
                c.index,
                long_ids,
                "id",
                lambda row, c=c: (c._path(row, "id"), "node id is longer than 200 characters"),
            )
    # kinds
    kind = np.zeros(n, dtype=np.int64)
    kind[:ny] = [KIND_CODE[x.kind] for x in yaml.nodes]
    for p, c in enumerate(node_cols, start=1):
        codes = _codes(c.text.get("kind", pa.nulls(c.n, pa.string())), NODE_KINDS)
        kind[offsets[p] : offsets[p + 1]] = np.maximum(codes, 0)
        _enum_problems(report, c, "kind", codes, NODE_KINDS, "kind", "node")
    # parents
    parent_text = _concat_text(
        [_pa_text([x.parent for x in yaml.nodes]), *(c.text.get("parent") for c in node_cols)],
        counts,
    )
    parent = _rows_of(parent_text, ids)
    suggester: list[Suggester] = []

    def suggest(value: str) -> str:
        """A "did you mean" hint among every node id (the index built on first use)."""
        if not suggester:
            suggester.append(Suggester(ids.to_pylist()))
        return suggester[0](value)

    for p, c in enumerate(node_cols, start=1):
        lo = int(offsets[p])
        ptext = c.text.get("parent")
        if ptext is None or not c.n:
            continue
        given = _np_bool(pc.is_valid(ptext)) & ~c.id_bad
        local = parent[lo : lo + c.n]
        self_loop = given & _np_bool(pc.equal(ptext, c.text.get("id", pa.nulls(c.n, pa.string()))))
        unknown = given & (local < 0)
        spaced_parent = unknown & _spaced(ptext, unknown)

        def unknown_parent(row: int, ptext: pa.Array = ptext, c: _Columns = c) -> tuple[str, str]:
            value = ptext[row].as_py()
            hint = suggest(value)
            return c._path(row, "parent"), f"unknown parent node {value!r}{hint}"

        report.add(c.index, np.flatnonzero(unknown & ~spaced_parent), "parent", unknown_parent)
        report.add(
            c.index,
            np.flatnonzero(spaced_parent),
            "parent",
            lambda row, ptext=ptext, c=c: (
                c._path(row, "parent"),
                f"node id {ptext[row].as_py()!r} must not contain whitespace",
            ),
        )
        report.add(
            c.index,
            np.flatnonzero(self_loop),
            "parent",
            lambda row, c=c: (
                c._path(row, "parent"),
                f"node {c.text['id'][row].as_py()!r} cannot be its own parent",
            ),
        )
        parent[lo : lo + c.n][self_loop | unknown] = -1
        c.bad_rows[self_loop | unknown | spaced_parent] = True
    # economics: a pool's domain and owner (pools only; the owner must exist)
    owner_text = _concat_text(
        [_pa_text([x.owner for x in yaml.nodes]), *(c.text.get("owner") for c in node_cols)],
        counts,
    )
    owner_given = _np_bool(pc.is_valid(owner_text))
    owner = _rows_of(owner_text, ids)
    domain = np.full(n, -1, dtype=np.int64)
    domain[: offsets[1]] = [DOMAINS.index(x.domain) if x.domain else -1 for x in yaml.nodes]
    pool = KIND_CODE["pool"]
    for p, c in enumerate(node_cols, start=1):
        lo, hi = int(offsets[p]), int(offsets[p + 1])
        codes = _codes(c.text.get("domain", pa.nulls(c.n, pa.string())), DOMAINS)
        _enum_problems(report, c, "domain", codes, DOMAINS, "domain", "pool")
        domain[lo:hi] = np.maximum(codes, -1)
        not_pool = kind[lo:hi] != pool
        for column in ("domain", "owner"):
            written = c.text.get(column)
            if written is None:
                continue
            wrong = np.flatnonzero(_np_bool(pc.is_valid(written)) & not_pool)
            report.add(
                c.index,
                wrong,
                column,
                lambda row, column=column, c=c: (
                    c._path(row, column),
                    f"{column!r} belongs to pools only; this node is a "
                    f"{c.text['kind'][row].as_py()}",
                ),
            )
            c.bad_rows[wrong] = True
        otext = c.text.get("owner")
        if otext is not None:
            missing_owner = owner_given[lo:hi] & (owner[lo:hi] < 0) & ~not_pool

            def unknown_owner(
                row: int, otext: pa.Array = otext, c: _Columns = c
            ) -> tuple[str, str]:
                value = otext[row].as_py()
                return c._path(row, "owner"), f"unknown owner node {value!r}{suggest(value)}"

            report.add(c.index, np.flatnonzero(missing_owner), "owner", unknown_owner)
            c.bad_rows[missing_owner] = True
    # YAML nodes whose parent is in a table were resolved above; cycles through tables:
    on_cycle = _cycle_nodes(np.where(parent == np.arange(n), -1, parent))
    if len(on_cycle):
        reported: set[int] = set()
        seen_cycle = np.zeros(n, dtype=np.bool_)
        for start in on_cycle.tolist():
            if seen_cycle[start]:
                continue
            cycle = [start]
            seen_cycle[start] = True
            nxt = int(parent[start])
            while nxt != start:
                cycle.append(nxt)
                seen_cycle[nxt] = True
                nxt = int(parent[nxt])
            if all(r < ny for r in cycle):
                continue  # the YAML checks report cycles within the YAML part
            head = min(cycle)
            at = cycle.index(head)
            cycle = cycle[at:] + cycle[:at]
            part, at_row = node_part(head)
            names = [ids[r].as_py() for r in (*cycle, head)]
            message = f"parent cycle: {' -> '.join(names)}"
            if part == 0:
                loc = yaml.nodes[at_row].location
                report.fixed.append(
                    Diagnostic(
                        "error",
                        loc.file,
                        loc.line,
                        loc.column,
                        format_path(("nodes", names[0], "parent")),
                        message,
                    )
                )
            else:
                c = node_cols[part - 1]
                report.add(
                    c.index,
                    [at_row],
                    "parent",
                    lambda row, m=message, c=c: (c._path(row, "parent"), m),
                )
                c.bad_rows[at_row] = True
            reported.add(head)
    for c in node_cols:
        for column in _LONG_TEXT:
            _long_text(report, c, column)

    # -- pipes ----------------------------------------------------------------------------
    my = len(yaml.pipes)
    pcounts = [my, *(c.n for c in pipe_cols)]
    poffsets = np.cumsum([0, *pcounts])
    m = int(poffsets[-1])
    for p, c in enumerate(pipe_cols, start=1):
        c.offset = int(poffsets[p])
    src_text = _concat_text(
        [_pa_text([x.from_node for x in yaml.pipes]), *(c.text.get("from") for c in pipe_cols)],
        pcounts,
    )
    dst_text = _concat_text(
        [_pa_text([x.to_node for x in yaml.pipes]), *(c.text.get("to") for c in pipe_cols)],
        pcounts,
    )
    src = _rows_of(src_text, ids)
    dst = _rows_of(dst_text, ids)
    currency = np.zeros(m, dtype=np.int64)
    currency[:my] = [CURRENCIES.index(x.kind) for x in yaml.pipes]
    is_open = np.ones(m, dtype=np.bool_)
    is_open[:my] = [x.status == "open" for x in yaml.pipes]
    paid_by_from = np.zeros(m, dtype=np.bool_)
    paid_by_from[:my] = [x.paid_by == "from" for x in yaml.pipes]
    for p, c in enumerate(pipe_cols, start=1):
        lo, hi = int(poffsets[p]), int(poffsets[p + 1])
        for end, rows in (("from", src), ("to", dst)):
            if end in c.broken:
                continue
            text = c.text.get(end, pa.nulls(c.n, pa.string()))
            absent = _np_bool(pc.is_null(text))
            report.add(
                c.index,
                np.flatnonzero(absent),
                end,
                lambda row, end=end, c=c: (
                    format_path(("pipes", c.offset + row)),
                    f"missing required key {end!r} of the pipe",
                ),
            )
            missing_node = ~absent & (rows[lo:hi] < 0)
            spaced_end: BoolArray = missing_node & _spaced(text, missing_node)
            report.add(
                c.index,
                np.flatnonzero(spaced_end),
                end,
                lambda row, end=end, text=text, c=c: (
                    c._path(row, end),
                    f"node id {text[row].as_py()!r} must not contain whitespace",
                ),
            )
            unknown_end: BoolArray = missing_node & ~spaced_end

            def unknown_node(
                row: int, end: str = end, text: pa.Array = text, c: _Columns = c
            ) -> tuple[str, str]:
                value = text[row].as_py()
                return c._path(row, end), f"unknown node {value!r}{suggest(value)}"

            report.add(c.index, np.flatnonzero(unknown_end), end, unknown_node)
            c.bad_rows[absent | spaced_end | unknown_end] = True
        same = (src[lo:hi] == dst[lo:hi]) & (src[lo:hi] >= 0)
        report.add(
            c.index,
            np.flatnonzero(same),
            "to",
            lambda row, c=c: (
                c._path(row, "to"),
                f"a pipe cannot run from node {c.text['from'][row].as_py()!r} to itself",
            ),
        )
        codes = _codes(c.text.get("kind", pa.nulls(c.n, pa.string())), CURRENCIES)
        _enum_problems(report, c, "kind", codes, CURRENCIES, "currency", "pipe")
        currency[lo:hi] = np.maximum(codes, 0)
        scodes = _codes(c.text.get("status", pa.nulls(c.n, pa.string())), _STATUSES)
        _enum_problems(report, c, "status", scodes, _STATUSES, "status", "pipe")
        is_open[lo:hi] = scodes != 1
        payer = _codes(c.text.get("paid_by", pa.nulls(c.n, pa.string())), _PAYERS)
        _enum_problems(report, c, "paid_by", payer, _PAYERS, "payer", "pipe")
        paid_by_from[lo:hi] = payer == 1
        for column in _LONG_TEXT:
            _long_text(report, c, column)
    # pipe ids: explicit ids unique among all pipes
    explicit = _concat_text(
        [pa.nulls(my, pa.string()), *(c.text.get("id") for c in pipe_cols)], pcounts
    )
    del explicit
    yaml_keys = [x.key for x in yaml.pipes]
    taken_text = _concat_text(
        [_pa_text(yaml_keys), *(c.text.get("id") for c in pipe_cols)], pcounts
    )
    pfirst = _first_rows(taken_text)
    for p, c in enumerate(pipe_cols, start=1):
        lo = int(poffsets[p])
        idtext = c.text.get("id")
        if idtext is None or not c.n:
            continue
        given = _np_bool(pc.is_valid(idtext))
        dup = given & (pfirst[lo : lo + c.n] != np.arange(lo, lo + c.n))

        def pipe_where(row: int) -> str:
            part = int(np.searchsorted(poffsets, row, side="right")) - 1
            local = row - int(poffsets[part])
            if part == 0:
                return str(yaml.pipes[local].location)
            file, line, column = pipe_cols[part - 1].source.where(local, "id")
            return f"{file}:{line}:{column}" if line else file

        report.add(
            c.index,
            np.flatnonzero(dup),
            "id",
            lambda row, c=c, lo=lo, idtext=idtext: (
                c._path(row, "id"),
                f"pipe id {idtext[row].as_py()!r} is already used at "
                f"{pipe_where(int(pfirst[lo + row]))}",
            ),
        )
        spaced_key = given & _np_bool(pc.match_substring_regex(idtext, r"\s"))
        report.add(
            c.index,
            np.flatnonzero(spaced_key),
            "id",
            lambda row, c=c, idtext=idtext: (
                c._path(row, "id"),
                f"pipe id {idtext[row].as_py()!r} must not contain whitespace",
            ),
        )

    problems = [*tables.problems, *report.diagnostics(sources)]
    if problems:
        return None, problems

    # -- columns of the compiled map -----------------------------------------------------
    def floats(
        part_values: Sequence[FloatArray], yaml_values: Sequence[float | None]
    ) -> FloatArray:
        head = np.array([np.nan if v is None else v for v in yaml_values], dtype=np.float64)
        return np.concatenate([head, *part_values]) if part_values or len(head) else head

    def node_numbers(name: str, getter: Callable[[Node], float | None]) -> FloatArray:
        return floats(
            [c.numbers.get(name, np.full(c.n, np.nan)) for c in node_cols],
            [getter(x) for x in yaml.nodes],
        )

    users = node_numbers("users", lambda x: x.users)
    inflow = np.zeros((n, k))
    outflow = np.zeros((n, k))
    for j, cur in enumerate(CURRENCIES):
        for side, target in (("inflow", inflow), ("outflow", outflow)):
            col = node_numbers(
                f"{side}.{cur}", functools.partial(_flow_of, side=side, currency=cur)
            )
            target[:, j] = np.nan_to_num(col, nan=0.0)
    labels = pc.coalesce(
        _concat_text(
            [_pa_text([x.label for x in yaml.nodes]), *(c.text.get("label") for c in node_cols)],
            counts,
        ),
        ids,
    ).to_pylist()

    def words(name: str) -> tuple[tuple[str, ...], ...]:
        out: list[tuple[str, ...]] = [getattr(x, name) for x in yaml.nodes]
        for c in node_cols:
            lists = c.words.get(name)
            if lists is None:
                out.extend([()] * c.n)
            else:
                out.extend(tuple(w) if w else () for w in lists.to_pylist())
        return tuple(out)

    tags, genes = words("tags"), words("genes")

    def pipe_numbers(name: str) -> FloatArray:
        return floats(
            [c.numbers.get(name, np.full(c.n, np.nan)) for c in pipe_cols],
            [getattr(x, name) for x in yaml.pipes],
        )

    volume, capacity = pipe_numbers("volume"), pipe_numbers("capacity")
    cost, conversion = pipe_numbers("cost"), pipe_numbers("conversion")
    keys = _pipe_keys(yaml.pipes, pipe_cols, src_text, dst_text, currency, taken_text, my)
    id_tuple = tuple(ids.to_pylist())
    is_pool = kind == KIND_CODE["pool"]
    owner_rows = np.where(owner_given, owner, np.where(is_pool, parent, -1))
    cm = from_columns(
        ids=id_tuple,
        kind=kind,
        parent=parent,
        users=users,
        inflow=inflow,
        outflow=outflow,
        labels=tuple(labels),
        tags=tags,
        genes=genes,
        keys=keys,
        src=src,
        dst=dst,
        currency=currency,
        volume=volume,
        capacity=np.where(np.isnan(capacity), np.inf, capacity),
        cost=cost,
        conversion=conversion,
        open=is_open,
        price=node_numbers("price", lambda x: x.price),
        owner=owner_rows,
        domain=domain,
        paid_by_from=paid_by_from,
    )

    # -- the lazy objects ----------------------------------------------------------------
    columns_cache: dict[int, dict[str, list[Any]]] = {}

    def pylists(c: _Columns) -> dict[str, list[Any]]:
        found = columns_cache.get(c.index)
        if found is None:
            found = {name: arr.to_pylist() for name, arr in c.text.items()}
            for name, lists in c.words.items():
                found[name] = lists.to_pylist()
            for name, values in c.numbers.items():
                found[name] = [None if v != v else v for v in values.tolist()]
            for key, arr in c.attrs.items():
                found["attrs." + key] = arr.to_pylist()
            columns_cache[c.index] = found
        return found

    def attrs_of(c: _Columns, cols: dict[str, list[Any]], row: int) -> Mapping[str, Any]:
        from ecograph.exchange._cells import decode_attr

        out: dict[str, Any] = {}
        for key in c.attrs:
            value = cols["attrs." + key][row]
            if value is None:
                continue
            out[key] = decode_attr(value) if isinstance(value, str) else value
        return MappingProxyType(out)

    def make_node(i: int) -> Node:
        part, local = node_part(i)
        if part == 0:
            return yaml.nodes[local]
        c = node_cols[part - 1]
        cols = pylists(c)

        def get(name: str) -> Any:
            values = cols.get(name)
            return None if values is None else values[local]

        flows: dict[str, dict[str, float]] = {"inflow": {}, "outflow": {}}
        for side in flows:
            for cur in CURRENCIES:
                value = get(f"{side}.{cur}")
                if value is not None:
                    flows[side][cur] = float(value)
        return Node(
            id=id_tuple[i],
            kind=NODE_KINDS[int(kind[i])],
            label=labels[i],
            parent=get("parent"),
            users=get("users"),
            inflow=MappingProxyType(flows["inflow"]),
            outflow=MappingProxyType(flows["outflow"]),
            tags=tags[i],
            genes=genes[i],
            description=get("description"),
            source=get("source"),
            attrs=attrs_of(c, cols, local),
            location=c.source.location(local),
            price=get("price"),
            domain=get("domain"),
            owner=get("owner"),
        )

    def make_pipe(i: int) -> Pipe:
        if i < len(yaml.pipes):
            return yaml.pipes[i]
        c = next(c for c in pipe_cols if c.offset <= i < c.offset + c.n)
        cols = pylists(c)
        row = i - c.offset

        def get(name: str) -> Any:
            values = cols.get(name)
            return None if values is None else values[row]

        return Pipe(
            key=keys[i],
            from_node=id_tuple[src[i]],
            to_node=id_tuple[dst[i]],
            kind=CURRENCIES[currency[i]],
            volume=get("volume"),
            capacity=get("capacity"),
            conversion=get("conversion"),
            cost=get("cost"),
            status="open" if is_open[i] else "blocked",
            label=get("label"),
            description=get("description"),
            source=get("source"),
            attrs=attrs_of(c, cols, row),
            index=i,
            location=c.source.location(row),
            paid_by="from" if paid_by_from[i] else "to",
        )

    def make_pipes() -> tuple[Pipe, ...]:
        return tuple(map(make_pipe, range(m)))

    eco = Ecosystem(
        name=name,
        title=title or name,
        period=period,
        nodes=LazyNodes(id_tuple, make_node),
        pipes=LazyPipes(m, make_pipes, make_one=make_pipe),
        files=(*files, *(s.file for s in sources)),
        units=MappingProxyType(dict(units or {})),
        description=description,
    )
    eco._cache[CACHE_KEY] = cm

    def node_location(i: int) -> Location:
        part, local = node_part(i)
        if part == 0:
            return yaml.nodes[local].location
        return node_cols[part - 1].source.row_location(local)

    def pipe_location(i: int) -> Location:
        if i < my:
            return yaml.pipes[i].location
        part = int(np.searchsorted(poffsets, i, side="right")) - 1
        return pipe_cols[part - 1].source.row_location(i - int(poffsets[part]))

    warnings = _warnings(cm, period, tolerance, node_location, pipe_location)
    eco = _with_warnings(eco, tuple(warnings), cm)
    return eco, warnings


def _with_warnings(eco: Ecosystem, warnings: tuple[Diagnostic, ...], cm: CompiledMap) -> Ecosystem:
    import dataclasses

    out = dataclasses.replace(eco, warnings=sort_diagnostics(warnings))
    out._cache[CACHE_KEY] = cm
    return out


def _enum_problems(
    report: _Report,
    c: _Columns,
    column: str,
    codes: IntArray,
    options: Sequence[str],
    noun: str,
    what: str,
) -> None:
    text = c.text.get(column)
    if column in c.broken:
        return
    if column == "kind" and what == "node":
        missing = np.flatnonzero(codes == -2)
        report.add(
            c.index,
            missing,
            "kind",
            lambda row: (format_path(c.base(row)), "missing required key 'kind' of the node"),
        )
        c.bad_rows[missing] = True
    bad = np.flatnonzero(codes == -1)
    if len(bad) and text is not None:

        def unknown(row: int) -> tuple[str, str]:
            value = text[row].as_py()
            return (
                c._path(row, column),
                f"unknown {noun} {value!r}{did_you_mean(value, options)}; "
                f"expected one of {', '.join(options)}",
            )

        report.add(c.index, bad, column, unknown)
        c.bad_rows[bad] = True


def _long_text(report: _Report, c: _Columns, column: str) -> None:
    text = c.text.get(column)
    if text is None or not c.n:
        return
    lengths = np.asarray(pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False))
    long = np.flatnonzero(lengths > 10000)
    report.add(
        c.index,
        long,
        column,
        lambda row: (
            c._path(row, column),
            f"text is {int(lengths[row]):,} characters long; at most 10,000 allowed",
        ),
    )


def _pipe_keys(
    yaml_pipes: Sequence[Pipe],
    pipe_cols: Sequence[_Columns],
    src_text: pa.Array,
    dst_text: pa.Array,
    currency: IntArray,
    taken_text: pa.Array,
    my: int,
) -> tuple[str, ...]:
    """Keys of all pipes, by the loader's rule (:func:`ecograph.validate.pipe_key`): the
    ``id`` if given, else ``from->to:kind`` with ``#2``, ``#3``... for repeats, counted
    over the YAML pipes and then the table rows."""
    from ecograph.model import pipe_key

    m = len(src_text)
    yaml_keys = [p.key for p in yaml_pipes]
    if m == my:
        return tuple(yaml_keys)
    given = taken_text.slice(my)
    if given.null_count == 0:  # every row has its id (as export writes them)
        return (*yaml_keys, *given.to_pylist())
    has_id = _np_bool(pc.is_valid(given))
    rows = np.flatnonzero(~has_id)
    names = pa.array(CURRENCIES, pa.string())
    kinds = names.take(pa.array(currency[my:][rows]))
    rows_pa = pa.array(rows)
    base = pc.binary_join_element_wise(
        src_text.slice(my).take(rows_pa), "->", dst_text.slice(my).take(rows_pa), ":", kinds, ""
    )
    # repeats already among the YAML pipes
    yaml_counts: dict[str, int] = {}
    for p in yaml_pipes:
        b = f"{p.from_node}->{p.to_node}:{p.kind}"
        tail = p.key[len(b) + 1 :]
        if p.key == b or (p.key.startswith(b + "#") and tail.isdigit()):
            yaml_counts[b] = yaml_counts.get(b, 0) + 1
    encoded = pc.dictionary_encode(base)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    rank = _grouped_rank(codes)
    if yaml_counts:
        seed = np.array([yaml_counts.get(b, 0) for b in encoded.dictionary.to_pylist()])
        rank = rank + seed[codes]
    repeat = pc.cast(pa.array(rank + 1), pa.string())
    suffixed = pc.binary_join_element_wise(base, "#", repeat, "")
    generated = pc.if_else(pa.array(rank > 0), suffixed, base)
    explicit = pc.drop_null(taken_text)
    clash = _np_bool(pc.is_in(generated, value_set=explicit))
    if clash.any():  # a generated key equals somebody's id: the loader's own loop decides
        taken = set(explicit.to_pylist())
        counts = dict(yaml_counts)
        out = given.to_pylist()
        for row, b in zip(rows.tolist(), base.to_pylist(), strict=True):
            frm, rest = b.split("->", 1)
            to, kind = rest.rsplit(":", 1)
            out[row] = pipe_key({"from": frm, "to": to, "kind": kind}, taken, counts)
        return (*yaml_keys, *out)
    keys = given.to_pylist()
    for row, key in zip(rows.tolist(), generated.to_pylist(), strict=True):
        keys[row] = key
    return (*yaml_keys, *keys)


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e15 else f"{x:.6g}"


def _warnings(
    cm: CompiledMap,
    period: str,
    tolerance: float,
    node_location: Callable[[int], Location],
    pipe_location: Callable[[int], Location],
) -> list[Diagnostic]:
    """The warnings of :func:`ecograph.validate.load`, from the columns; listed up to
    :data:`LIMIT`, then counted."""
    ids = cm.ids
    volumes = np.where(np.isnan(cm.volume), 0.0, cm.volume)
    blocked = np.flatnonzero(~cm.open & (volumes > 0))
    above = np.flatnonzero(cm.open & (volumes > cm.capacity))
    n = cm.n
    touched = np.zeros(n, dtype=np.bool_)
    touched[cm.src] = True
    touched[cm.dst] = True
    has_members = np.zeros(n, dtype=np.bool_)
    has_members[cm.parent[cm.parent >= 0]] = True
    lonely = np.flatnonzero(~touched & ~has_members)
    into, out = cm.pipe_sums
    total_in, total_out = cm.inflow + into, cm.outflow + out
    gap = total_in - total_out
    unbalanced = (np.abs(gap) > tolerance * np.maximum(total_in, total_out)) & (
        (total_in != 0) | (total_out != 0)
    )
    rows, curs = np.nonzero(unbalanced)
    total = len(blocked) + len(above) + len(lonely) + len(rows)
    # (0 nodes / 1 pipes, row, what, currency): the first LIMIT in map order
    found: list[tuple[int, int, str, int]] = [
        *((0, i, "lonely", 0) for i in lonely[:LIMIT].tolist()),
        *(
            (0, i, "balance", j)
            for i, j in zip(rows[:LIMIT].tolist(), curs[:LIMIT].tolist(), strict=True)
        ),
        *((1, i, "blocked", 0) for i in blocked[:LIMIT].tolist()),
        *((1, i, "above", 0) for i in above[:LIMIT].tolist()),
    ]
    found.sort(key=lambda t: (t[0], t[1]))
    shown: list[Diagnostic] = []
    for _, i, what, j in found[:LIMIT]:
        if what in ("blocked", "above"):
            where = pipe_location(i)
            path = format_path(["pipes", i])
            a, b = ids[int(cm.src[i])], ids[int(cm.dst[i])]
            volume = float(volumes[i])
            if what == "blocked":
                message = (
                    f"blocked pipe {a} -> {b} has volume {_fmt(volume)}; "
                    "a blocked pipe carries nothing (its volume is ignored)"
                )
            else:
                capacity = float(cm.capacity[i])
                message = f"volume {_fmt(volume)} is above capacity {_fmt(capacity)} ({a} -> {b})"
        else:
            where = node_location(i)
            path = format_path(["nodes", ids[i]])
            if what == "lonely":
                message = f"node {ids[i]!r} has no pipes: it is connected to nothing"
            else:
                cur = CURRENCIES[j]
                message = (
                    f"{cur} does not balance at {ids[i]!r}: in {_fmt(float(total_in[i, j]))} "
                    f"(inflow {_fmt(float(cm.inflow[i, j]))} + pipes {_fmt(float(into[i, j]))})"
                    f" vs out {_fmt(float(total_out[i, j]))} (outflow "
                    f"{_fmt(float(cm.outflow[i, j]))} + pipes {_fmt(float(out[i, j]))}); "
                    f"imbalance {float(gap[i, j]):+,.6g} per {period}"
                )
        shown.append(Diagnostic("warning", where.file, where.line, where.column, path, message))
    if total > len(shown):
        first = shown[0].file if shown else "<tables>"
        rest = total - len(shown)
        shown.append(Diagnostic("warning", first, 0, 0, "", f"... and {rest:,} more warnings"))
    return shown


# -- entry points ---------------------------------------------------------------------------


def read_tables(entries: Sequence[tuple[str, Path, str]], fmt: str | None = None) -> TableSet:
    """Read the tables a map names: ``(part, path, shown)`` each (``fmt``: the format of
    files whose suffix names none)."""
    out = TableSet()
    for part, path, shown in entries:
        found = read_table_file(path, part, shown, fmt and (table_format(shown) or fmt))
        if isinstance(found, list):
            out.problems.extend(found)
        else:
            (out.nodes if part == "nodes" else out.pipes).append(found)
    return out


def _frame_source(value: Any, label: str, part: str, problems: list[Diagnostic]) -> _Source | None:
    if isinstance(value, pa.RecordBatch):
        value = pa.Table.from_batches([value])
    if not isinstance(value, pa.Table):
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            pd = None
        if pd is not None and isinstance(value, pd.DataFrame):
            value = pa.Table.from_pandas(value, preserve_index=False)
        else:
            raise UsageError(
                f"{label} must be a pyarrow Table or a pandas DataFrame, not {type(value).__name__}"
            )
    return _source_from_table(value, value.column_names, label, part, "frame", problems, None)


def check_options(name: str, period: str, title: str | None, description: str | None) -> None:
    """Check the map-level options of a map built from tables (usage errors, not map errors).

    Examples
    --------
    >>> check_options("shop", "month", None, None)
    >>> check_options("shop", "fortnight", None, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: unknown period 'fortnight'...
    """
    for option, value, limit in (("title", title, 1000), ("description", description, 100_000)):
        if value is not None and len(value) > limit:
            raise UsageError(
                f"the {option} is {len(value):,} characters long; at most {limit:,} allowed"
            )
    if not _NAME.match(name) or len(name) > 200:
        raise UsageError(
            f"map name {name!r} must start with a letter or digit and use only letters, "
            "digits, '-', '_' and '.'"
        )
    if period not in PERIODS:
        raise UsageError(
            f"unknown period {period!r}{did_you_mean(period, PERIODS)}; "
            f"expected one of {', '.join(PERIODS)}"
        )


def from_tables(
    nodes: Any,
    pipes: Any = None,
    *,
    name: str = "tables",
    title: str = "",
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
    tolerance: float = 1e-3,
) -> Ecosystem:
    """A validated map from a nodes table and a pipes table (pyarrow Tables or pandas
    DataFrames), with the columns of ``ecograph export --format csv``.

    Problems are located as ``<nodes>: row N, column C`` (rows counted from 1).

    Raises
    ------
    MapError
        Every problem found (the first :data:`LIMIT`, then a count).
    UsageError
        A bad ``name``, ``period`` or ``units``, or tables of another type.

    Examples
    --------
    >>> import pyarrow as pa
    >>> eco = from_tables(pa.table({"id": ["u", "s"], "kind": ["pool", "partner"],
    ...     "inflow": [5.0, None], "outflow": [None, 5.0]}),
    ...     pa.table({"from": ["u"], "to": ["s"], "volume": [5.0]}), name="t")
    >>> eco.pipes[0].key, eco.nodes["u"].inflow["traffic"]
    ('u->s:traffic', 5.0)
    >>> from_tables(pa.table({"id": ["u"], "kind": ["pol"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: <nodes>: row 1, column kind: nodes.u.kind: unknown kind 'pol' ...
    """
    check_options(name, period, title, description)
    for currency in units or {}:
        if currency not in CURRENCIES:
            raise UsageError(
                f"unknown currency {currency!r}{did_you_mean(currency, CURRENCIES)} in units; "
                f"expected one of {', '.join(CURRENCIES)}"
            )
    problems: list[Diagnostic] = []
    tables = TableSet()
    node_source = _frame_source(nodes, "<nodes>", "nodes", problems)
    if node_source is not None:
        tables.nodes.append(node_source)
    if pipes is not None:
        pipe_source = _frame_source(pipes, "<pipes>", "pipes", problems)
        if pipe_source is not None:
            tables.pipes.append(pipe_source)
    tables.problems.extend(problems)
    return _checked_map(
        tables,
        name=name,
        title=title,
        period=period,
        units=units,
        description=description,
        tolerance=tolerance,
    )


def load_table_files(
    nodes: str | os.PathLike[str],
    pipes: str | os.PathLike[str] | None = None,
    *,
    name: str = "imported",
    title: str = "",
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
    tolerance: float = 1e-3,
) -> Ecosystem:
    """A validated lazy map from a nodes table file and a pipes table file (CSV or Parquet).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "nodes.csv").write_text("id,kind\\na,pool\\nb,partnr\\n")
    >>> load_table_files(folder / "nodes.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: .../nodes.csv:3:3: nodes.b.kind: unknown kind 'partnr' (did you...
    """
    entries = [("nodes", Path(nodes), os.fspath(nodes))]
    if pipes is not None:
        entries.append(("pipes", Path(pipes), os.fspath(pipes)))
    return _checked_map(
        read_tables(entries),
        name=name,
        title=title,
        period=period,
        units=units,
        description=description,
        tolerance=tolerance,
    )


def _checked_map(tables: TableSet, **options: Any) -> Ecosystem:
    """The map of tables read without YAML (``combine`` with no YAML part), or the
    :class:`MapError` of every problem in reading or checking them."""
    if tables.problems:
        raise MapError(tables.problems)
    eco, found = combine(None, tables, **options)
    if eco is None:
        raise MapError(found)
    return eco
