"""Results to text: readable tables, JSON documents and CSV tables.

Analyses return plain data (dicts, or objects with ``to_dict()``); this module
turns that data into what a person or a script reads. It knows nothing of
YAML, networkx or the CLI library.

Conventions
-----------
* JSON: one document, UTF-8 text as is (Chinese labels stay readable), floats
  that are not finite written as ``null`` (JSON has no infinity).
* Table: scalars as ``key: value`` lines; each per-node mapping (``{node:
  number}``) becomes a column of one table keyed by node; each list of records
  becomes a table of its own under a heading.
* CSV: the same tables, one row per node (or record), with a ``section``
  column when a result holds several lists of records. Every text cell (and
  heading) goes through :func:`escape_formula`: a label such as
  ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "escape_formula",
    "format_number",
    "plain",
    "table_columns",
    "table_rows",
    "to_csv",
    "to_json",
    "to_table",
    "unescape_formula",
]

#: What a spreadsheet may run as a formula when a cell starts with it (and ``'``, so
#: that the escape itself can be undone).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_formula(text: str) -> str:
    """Put ``'`` before a cell a spreadsheet would run as a formula ("CSV injection").

    The one rule of every CSV ecograph writes (analysis results and exported
    tables): text starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
    return or ``'`` gets a ``'`` in front. Numbers are not text and are not
    touched. :func:`unescape_formula` undoes it.

    Examples
    --------
    >>> escape_formula("=HYPERLINK(1)"), escape_formula("plain"), escape_formula("'x")
    ("'=HYPERLINK(1)", 'plain', "''x")
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def unescape_formula(text: str) -> str:
    """Remove the ``'`` that :func:`escape_formula` added.

    Examples
    --------
    >>> unescape_formula("'=HYPERLINK(1)"), unescape_formula("'plain"), unescape_formula("''x")
    ('=HYPERLINK(1)', "'plain", "'x")
    """
    if len(text) >= 2 and text[0] == "'" and text[1:2] in _FORMULA_START:
        return text[1:]
    return text


#: Types :func:`plain` keeps as they are.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(data: Any, *, finite: bool = True) -> Any:
    """Convert a result into plain data (dicts, lists, str, numbers, None).

    Objects with ``to_dict()`` are converted; tuples become lists; with
    ``finite=True`` (for JSON, which has no infinity) non-finite floats become None.

    Examples
    --------
    >>> plain({"a": (1, float("inf")), "b": {"x": 2.5}})
    {'a': [1, None], 'b': {'x': 2.5}}
    >>> plain({"max_flow": float("inf")}, finite=False)
    {'max_flow': inf}
    """
    if hasattr(data, "to_dict"):
        return plain(data.to_dict(), finite=finite)
    if isinstance(data, Mapping):
        values = data.values()
        if all(type(v) in _SCALARS for v in values) and (
            not finite or all(type(v) is not float or math.isfinite(v) for v in values)
        ):  # a column of numbers or text (a ranking of 100,000 nodes): no call per value
            return {str(k): v for k, v in data.items()}
        return {str(k): plain(v, finite=finite) for k, v in data.items()}
    if isinstance(data, list | tuple | set | frozenset):
        return [plain(v, finite=finite) for v in data]
    if finite and isinstance(data, float) and not math.isfinite(data):
        return None
    if hasattr(data, "item") and callable(data.item):  # numpy scalars
        return plain(data.item(), finite=finite)
    return data


def _json_default(value: Any) -> Any:
    """What orjson cannot encode itself, as :func:`plain` would give it."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return list(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def to_json(data: Any) -> str:
    """One JSON document, indented, non-ASCII kept as text; non-finite numbers as null.

    Encoded by orjson (a 100,000-partner report in well under a second, against
    tens of seconds for the standard library's indenter); results it cannot take
    (integers beyond 64 bits) fall back to :func:`json.dumps` of :func:`plain`.

    Examples
    --------
    >>> print(to_json({"label": "钉钉", "x": 1.0, "cap": float("inf"), "n": (1, 2)}))
    {
      "label": "钉钉",
      "x": 1.0,
      "cap": null,
      "n": [
        1,
        2
      ]
    }
    >>> to_json({"big": 2**70}).split()[-2]
    '1180591620717411303424'
    """
    import orjson

    options = (
        orjson.OPT_INDENT_2
        | orjson.OPT_NON_STR_KEYS
        | orjson.OPT_SERIALIZE_NUMPY
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )
    try:
        return orjson.dumps(data, default=_json_default, option=options).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(plain(data), ensure_ascii=False, indent=2, allow_nan=False)


def format_number(value: Any) -> str:
    """Format a number for a table: thousands separators, 4 significant digits for fractions.

    Examples
    --------
    >>> [format_number(v) for v in [2000000, 0.123456, 1234.5, None, float("inf"), True]]
    ['2,000,000', '0.1235', '1,234.5', '-', 'inf', 'True']
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.1f}"
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_number(v) for v in value)
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _split(
    data: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]], dict[str, list[Mapping[str, Any]]]]:
    scalars: dict[str, Any] = {}
    columns: dict[str, Mapping[str, Any]] = {}
    records: dict[str, list[Mapping[str, Any]]] = {}
    for key, value in data.items():
        if isinstance(value, list) and not value:
            records[key] = []
        elif _is_scalar(value) or (isinstance(value, list) and all(_is_scalar(v) for v in value)):
            scalars[key] = value
        elif isinstance(value, Mapping) and all(_is_scalar(v) for v in value.values()):
            columns[key] = value
        elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            records[key] = value
        elif isinstance(value, Mapping):
            # nested mapping of mappings: one record per key
            records[key] = [
                {"id": k, **(v if isinstance(v, Mapping) else {"value": v})}
                for k, v in value.items()
            ]
        else:  # pragma: no cover - mixed lists
            scalars[key] = value
    return scalars, columns, records


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [
        all(_looks_numeric(row[i]) for row in rows) if rows else False for i in range(len(header))
    ]

    def line(cells: Sequence[str]) -> str:
        out = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _looks_numeric(cell: str) -> bool:
    stripped = cell.replace(",", "").replace(".", "").replace("-", "").replace("+", "")
    return stripped.isdigit() or cell in ("-", "inf", "nan") or stripped.replace("e", "").isdigit()


def _column_rows(columns: Mapping[str, Mapping[str, Any]], key_name: str) -> list[dict[str, Any]]:
    keys: list[str] = []
    seen: set[str] = set()
    for column in columns.values():
        for k in column:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    return [{key_name: k, **{name: col.get(k) for name, col in columns.items()}} for k in keys]


def to_table(data: Any, *, key_name: str = "node", sort_by: str | None = None) -> str:
    """A readable text report of a result.

    Parameters
    ----------
    data : mapping or object with ``to_dict()``
        The result.
    key_name : str, default "node"
        Heading of the first column of per-node tables.
    sort_by : str, optional
        Column to sort the per-node table by, largest first (default: the
        first numeric column, as the result orders it otherwise).

    Examples
    --------
    >>> print(to_table({"max_flow": float("inf")}))
    max_flow: inf
    >>> print(to_table({"source": "a", "traffic": {"a": 10.0, "b": 7.5}}))
    source: a
    <BLANKLINE>
    node  traffic
    ----  -------
    a          10
    b         7.5
    """
    data = plain(data, finite=False)
    if not isinstance(data, Mapping):
        return format_number(data)
    scalars, columns, records = _split(data)
    parts: list[str] = []
    if scalars:
        parts.append("\n".join(f"{k}: {format_number(v)}" for k, v in scalars.items()))
    if columns:
        rows = _column_rows(columns, key_name)
        if sort_by is not None and sort_by in columns:
            rows.sort(key=lambda r: _sort_value(r.get(sort_by)), reverse=True)
        header = [key_name, *columns]
        parts.append(_grid(header, [[format_number(r[h]) for h in header] for r in rows]))
    for name, items in records.items():
        if not items:
            parts.append(f"{name}: none")
            continue
        header = list(dict.fromkeys(k for item in items for k in item))
        body = [[format_number(item.get(h)) for h in header] for item in items]
        parts.append(f"{name}:\n" + _grid(header, body))
    return "\n\n".join(parts)


def _sort_value(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and value is not None else -math.inf


def table_rows(
    data: Any, *, key_name: str = "node", converted: bool = False
) -> list[dict[str, Any]]:
    """The main table of a result as one dict per row: what ``--format csv`` writes.

    Per-node columns become one row per node (the node in ``key_name``); else lists
    of records become their rows (with a ``section`` column when there are several
    lists); else the scalars make one row. Values are plain data, not escaped, and
    non-finite numbers are kept.

    Examples
    --------
    >>> table_rows({"source": "a", "traffic": {"a": 10.0, "b": 7.5}})
    [{'node': 'a', 'traffic': 10.0}, {'node': 'b', 'traffic': 7.5}]
    >>> table_rows({"cut": [{"key": "p"}], "empty": [{"key": "q"}]})
    [{'section': 'cut', 'key': 'p'}, {'section': 'empty', 'key': 'q'}]
    >>> table_rows({"max_flow": float("inf")})
    [{'max_flow': inf}]

    ``converted=True`` says ``data`` is plain already (a result's ``to_dict()``).
    """
    if not converted:
        data = plain(data, finite=False)
    if not isinstance(data, Mapping):
        data = {"value": data}
    scalars, columns, records = _split(data)
    if columns:
        return _column_rows(columns, key_name)
    if records:
        many = len(records) > 1
        return [
            {**({"section": name} if many else {}), **item}
            for name, items in records.items()
            for item in items
        ]
    return [dict(scalars)]


def table_columns(
    data: Any, *, key_name: str = "node", converted: bool = False
) -> dict[str, list[Any]] | None:
    """The main table of a result as columns, when it is per-node columns (else None).

    The same table as :func:`table_rows` gives for such data, column by column, without
    one dict per row: what a DataFrame of a large ranking is built from.

    Examples
    --------
    >>> table_columns({"metric": "x", "values": {"a": 2.0, "b": 1.0}})
    {'node': ['a', 'b'], 'values': [2.0, 1.0]}
    >>> table_columns({"cut": [{"key": "p"}]}) is None
    True

    ``converted=True`` says ``data`` is plain already (a result's ``to_dict()``).
    """
    if not converted:
        data = plain(data, finite=False)
    if not isinstance(data, Mapping):
        return None
    _, columns, _ = _split(data)
    if not columns:
        return None
    keys = list(dict.fromkeys(k for column in columns.values() for k in column))
    out: dict[str, list[Any]] = {key_name: keys}
    for name, column in columns.items():
        out[name] = [column.get(k) for k in keys]
    return out


def to_csv(data: Any, *, key_name: str = "node") -> str:
    """The tables of a result as CSV text (see the module notes).

    Examples
    --------
    >>> print(to_csv({"source": "a", "traffic": {"a": 10.0, "b": 7.5}}), end="")
    node,traffic
    a,10.0
    b,7.5
    >>> print(to_csv({"traffic": {"=1+1": -2.0}}), end="")
    node,traffic
    '=1+1,-2.0
    """
    rows = table_rows(data, key_name=key_name)
    header = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([escape_formula(str(k)) for k in header])
    for row in rows:
        writer.writerow([_csv_cell(row.get(k)) for k in header])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    if isinstance(value, int | float):  # bool included: written as True/False
        return value
    return escape_formula(str(value))  # a list of scalars, as csv would write it
