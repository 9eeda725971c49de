"""Spreadsheets in: ``nodes.csv`` and ``pipes.csv`` to a valid map, every bad cell located.

The tables are turned into the map's data (the same mappings a YAML map holds),
written as YAML, and validated by :func:`ecograph.loads` — every check a map gets,
with the same messages. Each diagnostic is then moved from the generated YAML
back to the CSV cell it came from: ``nodes.csv:LINE:COL: nodes.erp.kind: message``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecograph._suggest import did_you_mean
from ecograph.errors import Diagnostic, MapError, UsageError, format_path
from ecograph.exchange._cells import (
    Cell,
    Row,
    decode_attr,
    read_csv,
    split_words,
    unescape_formula,
)
from ecograph.exchange.export import NODE_COLUMNS, PIPE_COLUMNS
from ecograph.loader import resolve_plain
from ecograph.model import CURRENCIES, PERIODS, Ecosystem
from ecograph.validate import _plain

__all__ = [
    "TableImport",
    "convert_tables",
    "import_tables",
    "load_tables",
    "map_data",
    "map_yaml",
    "to_yaml",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BOUNDARY = tuple(f"{side}.{c}" for c in CURRENCIES for side in ("inflow", "outflow"))
_NODE_KNOWN = (*NODE_COLUMNS, *_BOUNDARY)
_NUMBERS = frozenset({"users", "volume", "capacity", "conversion", "cost"})
_STRIPPED = frozenset({"id", "kind", "parent", "from", "to", "status"})
_REQUIRED = {"nodes": ("id", "kind"), "pipes": ("from", "to")}
_MISSING_KEY = re.compile(r"^missing required key '([^']+)'")

_Where = tuple[str, int, int]
_Path = tuple[str | int, ...]


# -- YAML out --------------------------------------------------------------------------


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{kind: partner, parent: app}``."""


# libyaml's emitter when PyYAML has it: ~10x faster than the pure-Python one
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Quotes every string that ecograph's YAML 1.2 reader would read as something else."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    resolved = resolve_plain(data)
    ambiguous = data == "<<" or not isinstance(resolved, str) or resolved != data
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'" if ambiguous else None)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", list(data.items()), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)


def _dump(data: Any) -> str:
    text: str = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )
    return text


def map_yaml(data: Mapping[str, Any]) -> str:
    """A map's data as readable YAML that ecograph reads back exactly.

    Top-level keys first, then ``nodes`` with one flow mapping per node and
    ``pipes`` with one per pipe. Any text that YAML 1.2 would read as a number,
    boolean or null (``no`` stays ``no``, but ``1e9``, ``1.10``, ``null`` and
    ``true`` are quoted) is quoted, so ids and labels survive as written.

    Examples
    --------
    >>> print(map_yaml({"ecograph": 1, "name": "t", "nodes": {"1e9": {"kind": "pool"},
    ...     "no": {"kind": "partner", "label": "true"}}, "pipes": [{"from": "1e9", "to": "no"}]}))
    ecograph: 1
    name: t
    <BLANKLINE>
    nodes:
      '1e9': {kind: pool}
      'no': {kind: partner, label: 'true'}
    <BLANKLINE>
    pipes:
    - {from: '1e9', to: 'no'}
    <BLANKLINE>
    """
    head = {k: v for k, v in data.items() if k not in ("nodes", "pipes")}
    if isinstance(head.get("units"), dict):
        head["units"] = _Flow(head["units"])
    parts = [_dump(head)]
    nodes = data.get("nodes")
    if nodes:
        parts.append(_dump({"nodes": {k: _Flow(v) for k, v in nodes.items()}}))
    pipes = data.get("pipes")
    if pipes:
        parts.append(_dump({"pipes": [_Flow(p) for p in pipes]}))
    return "\n".join(parts)


def map_data(eco: Ecosystem) -> dict[str, Any]:
    """A map's data (what its YAML file holds) from a model: the inverse of loading.

    Defaults are left out (``kind: traffic``, ``status: open``, a label equal to
    the id); a pipe keeps its key as ``id`` unless the key is the one the loader
    would give it anyway. Includes are flattened: everything is in one map.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool, inflow: 5}, "
    ...     "b: {kind: partner, outflow: 5}}\\npipes: [{from: a, to: b, volume: 5}]\\n")
    >>> map_data(eco)["pipes"]
    [{'from': 'a', 'to': 'b', 'volume': 5.0}]
    """
    data: dict[str, Any] = {"ecograph": 1, "name": eco.name}
    if eco.title != eco.name:
        data["title"] = eco.title
    if eco.description is not None:
        data["description"] = eco.description
    data["period"] = eco.period
    if eco.units:
        data["units"] = dict(eco.units)
    nodes: dict[str, Any] = {}
    for node in eco.nodes.values():
        record: dict[str, Any] = {"kind": node.kind}
        if node.label != node.id:
            record["label"] = node.label
        for name in ("parent", "users", "description", "source"):
            if getattr(node, name) is not None:
                record[name] = getattr(node, name)
        for name in ("inflow", "outflow"):
            if getattr(node, name):
                record[name] = dict(getattr(node, name))
        for name in ("tags", "genes"):
            if getattr(node, name):
                record[name] = list(getattr(node, name))
        if node.attrs:
            record["attrs"] = _plain(node.attrs)
        nodes[node.id] = record
    if nodes:
        data["nodes"] = nodes
    pipes = []
    for pipe in eco.pipes:
        record = {}
        if pipe.key != f"{pipe.from_node}->{pipe.to_node}:{pipe.kind}":
            record["id"] = pipe.key
        record["from"], record["to"] = pipe.from_node, pipe.to_node
        if pipe.kind != "traffic":
            record["kind"] = pipe.kind
        for name in ("volume", "capacity", "conversion", "cost"):
            if getattr(pipe, name) is not None:
                record[name] = getattr(pipe, name)
        if pipe.status != "open":
            record["status"] = pipe.status
        for name in ("label", "description", "source"):
            if getattr(pipe, name) is not None:
                record[name] = getattr(pipe, name)
        if pipe.attrs:
            record["attrs"] = _plain(pipe.attrs)
        pipes.append(record)
    if pipes:
        data["pipes"] = pipes
    return data


def to_yaml(eco: Ecosystem) -> str:
    """A model as the text of one YAML map that loads back to the same nodes and pipes.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {'1.10': {kind: pool}}\\n")
    >>> print(to_yaml(eco))
    ecograph: 1
    name: t
    period: month
    <BLANKLINE>
    nodes:
      '1.10': {kind: pool}
    <BLANKLINE>
    """
    return map_yaml(map_data(eco))


# -- reading the tables ------------------------------------------------------------------


@dataclass
class _Table:
    file: str
    header: Row
    columns: dict[str, int]
    rows: list[Row]

    def cell(self, row: Row, column: str) -> Cell | None:
        index = self.columns.get(column)
        if index is None or index >= len(row.cells):
            return None
        cell = row.cells[index]
        return Cell(unescape_formula(cell.text), cell.line, cell.column)

    def attr_columns(self) -> list[str]:
        return [c for c in self.columns if c.startswith("attrs.")]


@dataclass
class _Builder:
    problems: list[Diagnostic] = field(default_factory=list)
    where: dict[_Path, _Where] = field(default_factory=dict)

    def error(self, file: str, cell: Cell | None, path: Sequence[str | int], message: str) -> None:
        line, column = (cell.line, cell.column) if cell is not None else (0, 0)
        self.problems.append(Diagnostic("error", file, line, column, format_path(path), message))

    def put(self, file: str, path: _Path, cell: Cell) -> None:
        self.where[path] = (file, cell.line, cell.column)

    def by_text(self) -> dict[str, _Where]:
        """The locations keyed by the paths as diagnostics write them."""
        return {format_path(path): where for path, where in self.where.items()}


def _read_table(source: str | os.PathLike[str], table: str, out: _Builder) -> _Table | None:
    shown = os.fspath(source)

    def fail(message: str, line: int = 0, column: int = 0) -> None:
        out.problems.append(Diagnostic("error", shown, line, column, "", message))

    try:
        data = Path(shown).read_bytes()
    except FileNotFoundError:
        fail("no such file")
        return None
    except IsADirectoryError:
        fail("is a directory, not a CSV file")
        return None
    except OSError as exc:
        fail(f"cannot read: {exc.strerror}")
        return None
    try:
        rows, problems = read_csv(data, shown)
    except MapError as exc:
        out.problems.extend(exc.diagnostics)
        return None
    out.problems.extend(problems)
    known = _NODE_KNOWN if table == "nodes" else PIPE_COLUMNS
    required = _REQUIRED[table]
    if not rows:
        fail(f"the table is empty; its first line names the columns, e.g. {','.join(known[:4])}")
        return None
    header, *body = rows
    columns: dict[str, int] = {}
    first: dict[str, Cell] = {}
    for index, cell in enumerate(header.cells):
        raw = unescape_formula(cell.text)
        name = raw if raw.startswith("attrs.") else raw.strip()  # attribute keys as written
        canonical = name.removesuffix(".traffic") if name in _BOUNDARY else name
        if not name:
            fail("a column has no name (an empty header cell)", cell.line, cell.column)
            continue
        if name not in known and not (name.startswith("attrs.") and len(name) > 6):
            fail(
                f"unknown column {name!r}{did_you_mean(name, known)}; expected one of: "
                f"{', '.join(c for c in known if c not in _BOUNDARY or 'traffic' not in c)}, "
                "or attrs.<key> for a free-form attribute",
                cell.line,
                cell.column,
            )
            continue
        if canonical in first:
            other = first[canonical]
            fail(
                f"column {name!r} repeats the column at {shown}:{other.line}:{other.column}",
                cell.line,
                cell.column,
            )
            continue
        first[canonical] = cell
        columns[canonical] = index
    missing = [c for c in required if c not in columns]
    for name in missing:
        fail(f"missing required column {name!r}", header.line, 1)
    if missing:
        return None
    table_ = _Table(shown, header, columns, body)
    width = len(header.cells)
    for row in body:
        if len(row.cells) != width:
            cell = row.cells[width] if len(row.cells) > width else row.cells[-1]
            fail(
                f"row has {len(row.cells)} cells; the header has {width} columns",
                cell.line,
                cell.column,
            )
    return table_


def _text(cell: Cell | None, column: str) -> str:
    if cell is None:
        return ""
    return cell.text.strip() if column in _STRIPPED else cell.text


def _number(cell: Cell | None) -> Any:
    """A number cell: None when empty, the number, or the text (validation says why not)."""
    if cell is None or not cell.text.strip():
        return None
    text = cell.text.strip()
    value = resolve_plain(text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return text


def _attrs(
    table: _Table, row: Row, base: tuple[str | int, ...], out: _Builder
) -> tuple[dict[str, Any], Cell | None]:
    attrs: dict[str, Any] = {}
    first: Cell | None = None
    for column in table.attr_columns():
        cell = table.cell(row, column)
        if cell is None or cell.text == "":
            continue
        key = column[6:]
        try:
            attrs[key] = decode_attr(cell.text)
        except ValueError as exc:
            out.error(table.file, cell, (*base, "attrs", key), str(exc))
            continue
        out.put(table.file, (*base, "attrs", key), cell)
        first = first or cell
    return attrs, first


def _nodes(table: _Table, out: _Builder) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    seen: dict[str, Cell] = {}
    file = table.file
    for row in table.rows:
        id_cell = table.cell(row, "id") or row.cells[0]
        node_id = _text(id_cell, "id")
        if not node_id:
            out.error(file, id_cell, (), "the node has no id (its 'id' cell is empty)")
            continue
        base: tuple[str | int, ...] = ("nodes", node_id)
        if node_id in seen:
            other = seen[node_id]
            out.error(
                file,
                id_cell,
                base,
                f"node {node_id!r} is already defined at {file}:{other.line}:{other.column}",
            )
            continue
        seen[node_id] = id_cell
        out.put(file, base, id_cell)
        node: dict[str, Any] = {}
        # keys in the order the format's documentation lists them
        for column in ("kind", "label", "description", "parent"):
            cell = table.cell(row, column)
            out.put(file, (*base, column), cell or id_cell)
            value = _text(cell, column)
            if value and not (column == "label" and value == node_id):
                node[column] = value
        users = table.cell(row, "users")
        if users is not None and _number(users) is not None:
            node["users"] = _number(users)
            out.put(file, (*base, "users"), users)
        for side in ("inflow", "outflow"):
            found: dict[str, tuple[Any, Cell]] = {}
            for currency in CURRENCIES:
                cell = table.cell(row, side if currency == "traffic" else f"{side}.{currency}")
                value = _number(cell)
                if cell is not None and value is not None:
                    found[currency] = (value, cell)
            if list(found) == ["traffic"]:
                node[side] = found["traffic"][0]
                out.put(file, (*base, side), found["traffic"][1])
            elif found:
                node[side] = {c: value for c, (value, _) in found.items()}
                out.put(file, (*base, side), next(iter(found.values()))[1])
                for currency, (_, cell) in found.items():
                    out.put(file, (*base, side, currency), cell)
        for column in ("tags", "genes"):
            cell = table.cell(row, column)
            if cell is None:
                continue
            try:
                words = split_words(cell.text)
            except ValueError as exc:
                out.error(file, cell, (*base, column), str(exc))
                continue
            if words is not None:
                node[column] = words
                out.put(file, (*base, column), cell)
                for i in range(len(words)):
                    out.put(file, (*base, column, i), cell)
        cell = table.cell(row, "source")
        if cell is not None and cell.text:
            node["source"] = cell.text
            out.put(file, (*base, "source"), cell)
        attrs, first = _attrs(table, row, base, out)
        if attrs and first is not None:
            node["attrs"] = attrs
            out.put(file, (*base, "attrs"), first)
        nodes[node_id] = node
    return nodes


def _pipes(table: _Table, out: _Builder) -> list[dict[str, Any]]:
    pipes: list[dict[str, Any]] = []
    seen: dict[str, Cell] = {}
    file = table.file
    for row in table.rows:
        i = len(pipes)
        base: tuple[str | int, ...] = ("pipes", i)
        start = row.cells[0]
        out.put(file, base, start)
        pipe: dict[str, Any] = {}
        for column in PIPE_COLUMNS:
            cell = table.cell(row, column)
            if cell is not None or column in ("from", "to"):
                out.put(file, (*base, column), cell or start)
            value = _number(cell) if column in _NUMBERS else (_text(cell, column) or None)
            if value is None or (column, value) in (("kind", "traffic"), ("status", "open")):
                continue  # absent, or the default: left out of the YAML
            if column == "id" and cell is not None:
                if value in seen:
                    other = seen[value]
                    out.error(
                        file,
                        cell,
                        (*base, "id"),
                        f"pipe id {value!r} is already used at {file}:{other.line}:{other.column}",
                    )
                    continue
                seen[value] = cell
            pipe[column] = value
        attrs, first = _attrs(table, row, base, out)
        if attrs and first is not None:
            pipe["attrs"] = attrs
            out.put(file, (*base, "attrs"), first)
        pipes.append(pipe)
    _drop_generated_ids(pipes)
    return pipes


def _generated_keys(pipes: list[dict[str, Any]], ids: list[Any]) -> list[str]:
    """The keys the loader gives these pipes when they have ``ids`` (None: no id)."""
    taken = {i for i in ids if isinstance(i, str)}
    counts: dict[str, int] = {}
    keys: list[str] = []
    for pipe, given in zip(pipes, ids, strict=True):
        if isinstance(given, str):
            keys.append(given)
            continue
        base = f"{pipe.get('from')}->{pipe.get('to')}:{pipe.get('kind', 'traffic')}"
        n = counts.get(base, 0)
        key = base if n == 0 else f"{base}#{n + 1}"
        while key in taken:
            n += 1
            key = f"{base}#{n + 1}"
        counts[base] = n + 1
        taken.add(key)
        keys.append(key)
    return keys


def _drop_generated_ids(pipes: list[dict[str, Any]]) -> None:
    """Leave out ids the loader would generate anyway (``a->b:traffic``), keeping every key."""
    original = [p.get("id") for p in pipes]
    keep = []
    for given, pipe in zip(original, pipes, strict=True):
        base = f"{pipe.get('from')}->{pipe.get('to')}:{pipe.get('kind', 'traffic')}"
        repeat = given[len(base) + 1 :] if isinstance(given, str) else ""
        generated = given == base or (
            isinstance(given, str)
            and given.startswith(base + "#")
            and repeat.isascii()
            and repeat.isdigit()
        )
        keep.append(isinstance(given, str) and not generated)
    while True:
        ids = [o if k else None for o, k in zip(original, keep, strict=True)]
        keys = _generated_keys(pipes, ids)
        wrong = [
            j
            for j, (o, k) in enumerate(zip(original, keep, strict=True))
            if isinstance(o, str) and not k and keys[j] != o
        ]
        if not wrong:
            break
        for j in wrong:
            keep[j] = True
    for pipe, k in zip(pipes, keep, strict=True):
        if not k:
            pipe.pop("id", None)


# -- putting it together -------------------------------------------------------------------


@dataclass(frozen=True)
class TableImport:
    """What :func:`convert_tables` made of two tables.

    Attributes
    ----------
    text : str
        The map as YAML text (valid).
    ecosystem : Ecosystem
        The validated map. Node and pipe locations, and its warnings, point at
        CSV cells; ``files`` are the two tables.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> nodes = pathlib.Path(tempfile.mkdtemp()) / "nodes.csv"
    >>> _ = nodes.write_text("id,kind\\nlonely,pool\\n")
    >>> result = convert_tables(nodes)
    >>> [w.message for w in result.warnings], result.warnings[0].line
    (["node 'lonely' has no pipes: it is connected to nothing"], 2)
    """

    text: str
    ecosystem: Ecosystem

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Warnings of the map (flows that do not balance...), located in the tables."""
        return self.ecosystem.warnings


def _move(diagnostic: Diagnostic, where: Mapping[str, _Where], fallback: str) -> Diagnostic:
    """The diagnostic, located at the CSV cell its path came from (or the nearest row)."""
    path = diagnostic.path
    path_found: str | None = None
    missing = _MISSING_KEY.match(diagnostic.message)
    if missing:  # point at the empty cell of the missing key, when there is one
        candidate = f"{path}.{missing.group(1)}" if path else missing.group(1)
        path_found = candidate if candidate in where else None
    if path_found is None:
        probe = path
        while probe and probe not in where:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        path_found = probe if probe in where else None
    if path_found is None:
        return dataclasses.replace(diagnostic, file=fallback, line=0, column=0)
    file, line, column = where[path_found]
    return dataclasses.replace(diagnostic, file=file, line=line, column=column)


def _check_options(name: str, period: str) -> None:
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


def convert_tables(
    nodes_csv: str | os.PathLike[str],
    pipes_csv: str | os.PathLike[str] | None = None,
    *,
    name: str = "imported",
    title: str | None = None,
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
) -> TableImport:
    """Turn a nodes table and a pipes table into a validated map.

    Parameters
    ----------
    nodes_csv : path-like
        One row per node. Columns (header names): ``id`` and ``kind`` (required),
        ``label``, ``parent``, ``users``, ``inflow``, ``outflow`` (traffic),
        ``inflow.capital``... for other currencies, ``tags``, ``genes``,
        ``description``, ``source``, ``attrs.<key>``; in any order.
    pipes_csv : path-like, optional
        One row per pipe: ``from`` and ``to`` (required), ``id``, ``kind``,
        ``volume``, ``capacity``, ``conversion``, ``cost``, ``status``, ``label``,
        ``description``, ``source``, ``attrs.<key>``. None: a map without pipes.
    name, title, period, units, description
        The map's top-level keys.

    Returns
    -------
    TableImport
        The YAML text and the validated :class:`Ecosystem`.

    Raises
    ------
    MapError
        With every problem in the tables, each located at a CSV cell
        (``nodes.csv:4:12: nodes.erp.kind: unknown kind 'partnr' ...``): bad
        columns, rows with the wrong number of cells, repeated ids, and every
        error a YAML map could have.
    UsageError
        A bad ``name``, ``period`` or ``units``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "nodes.csv").write_text("id,kind,inflow,outflow\\nusers,pool,10,\\n"
    ...                                       "shop,partnr,,10\\n")
    >>> _ = (folder / "pipes.csv").write_text("from,to,volume\\nusers,shop,10\\n")
    >>> convert_tables(folder / "nodes.csv", folder / "pipes.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: .../nodes.csv:3:6: nodes.shop.kind: unknown kind 'partnr' (did ...
    >>> _ = (folder / "nodes.csv").write_text("id,kind,inflow,outflow\\nusers,pool,10,\\n"
    ...                                       "shop,partner,,10\\n")
    >>> result = convert_tables(folder / "nodes.csv", folder / "pipes.csv", name="shop")
    >>> print(result.text, end="")
    ecograph: 1
    name: shop
    period: month
    <BLANKLINE>
    nodes:
      users: {kind: pool, inflow: 10}
      shop: {kind: partner, outflow: 10}
    <BLANKLINE>
    pipes:
    - {from: users, to: shop, volume: 10}
    >>> result.ecosystem.nodes["shop"].location.line
    3
    """
    _check_options(name, period)
    for currency in units or {}:
        if currency not in CURRENCIES:
            raise UsageError(
                f"unknown currency {currency!r}{did_you_mean(currency, CURRENCIES)} in units; "
                f"expected one of {', '.join(CURRENCIES)}"
            )
    from ecograph.tablemap import combine, read_tables

    entries = [("nodes", Path(nodes_csv), os.fspath(nodes_csv))]
    if pipes_csv is not None:
        entries.append(("pipes", Path(pipes_csv), os.fspath(pipes_csv)))
    tables = read_tables(entries, fmt="csv")
    if tables.problems:
        raise MapError(tables.problems)  # a table could not be read: nothing more to check
    eco, found = combine(
        None,
        tables,
        name=name,
        title=title or "",
        period=period,
        units=units,
        description=description,
    )
    if eco is None:
        raise MapError(found)
    return TableImport(map_yaml(_import_data(eco)), eco)


def _import_data(eco: Ecosystem) -> dict[str, Any]:
    """What the imported map's YAML holds: whole numbers without ``.0``, and no pipe ids
    the loader would generate anyway."""
    data = map_data(eco)

    def whole(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return int(value)
        if isinstance(value, dict):
            return {k: whole(v) for k, v in value.items()}
        return value

    for record in data.get("nodes", {}).values():
        for key in ("users", "inflow", "outflow"):
            if key in record:
                record[key] = whole(record[key])
        if set(record.get("inflow", ())) == {"traffic"}:
            record["inflow"] = record["inflow"]["traffic"]
        if set(record.get("outflow", ())) == {"traffic"}:
            record["outflow"] = record["outflow"]["traffic"]
    pipes = data.get("pipes", [])
    for record in pipes:
        for key in ("volume", "capacity", "conversion", "cost"):
            if key in record:
                record[key] = whole(record[key])
    for pipe, p in zip(pipes, eco.pipes, strict=True):
        pipe.setdefault("id", p.key)
        data_order = {"id": pipe.pop("id"), **pipe}
        pipe.clear()
        pipe.update(data_order)
    _drop_generated_ids(pipes)
    return data


def import_tables(
    nodes_csv: str | os.PathLike[str],
    pipes_csv: str | os.PathLike[str] | None = None,
    *,
    name: str = "imported",
    title: str | None = None,
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
) -> str:
    """Two CSV tables as the YAML text of a valid map (see :func:`convert_tables`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "nodes.csv").write_text("id,kind,label\\n1.10,pool,no\\n")
    >>> print(import_tables(folder / "nodes.csv", name="t"), end="")
    ecograph: 1
    name: t
    period: month
    <BLANKLINE>
    nodes:
      '1.10': {kind: pool, label: 'no'}
    """
    return convert_tables(
        nodes_csv,
        pipes_csv,
        name=name,
        title=title,
        period=period,
        units=units,
        description=description,
    ).text


def load_tables(
    nodes_csv: str | os.PathLike[str],
    pipes_csv: str | os.PathLike[str] | None = None,
    *,
    name: str = "imported",
    title: str | None = None,
    period: str = "month",
    units: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Ecosystem:
    """Two CSV tables as a validated :class:`Ecosystem` (see :func:`convert_tables`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "nodes.csv").write_text("id,kind,users\\nfans,pool,1e6\\n")
    >>> load_tables(folder / "nodes.csv").nodes["fans"].users
    1000000.0
    """
    return convert_tables(
        nodes_csv,
        pipes_csv,
        name=name,
        title=title,
        period=period,
        units=units,
        description=description,
    ).ecosystem
