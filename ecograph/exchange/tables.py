"""Spreadsheets in: ``nodes.csv`` and ``pipes.csv`` to a valid map, every bad cell located.

The tables are read and checked column by column by :mod:`ecograph.tablemap` (the path
a map's ``tables:`` takes: every check a YAML map gets, each problem at its cell,
``nodes.csv:LINE:COL: nodes.erp.kind: message``); the valid map is then written out as
YAML (:func:`map_yaml`), or, with ``ecograph import --tables``, as a map naming the tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecograph._suggest import did_you_mean
from ecograph.errors import Diagnostic, MapError, UsageError
from ecograph.exchange._cells import read_csv, unescape_formula
from ecograph.exchange._yaml import map_head, map_yaml
from ecograph.exchange.export import ECONOMICS_NODE_COLUMNS, MAP_FIELDS
from ecograph.loader import ReadFailure, read_file
from ecograph.model import CURRENCIES, Ecosystem, pipe_key
from ecograph.tablemap import check_options
from ecograph.validate import plain_data

__all__ = [
    "TableImport",
    "convert_tables",
    "import_tables",
    "load_tables",
    "map_data",
    "map_yaml",
    "read_map_table",
    "to_yaml",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
    data = map_head(eco)
    nodes: dict[str, Any] = {}
    for node in eco.nodes.values():
        record: dict[str, Any] = {"kind": node.kind}
        if node.label != node.id:
            record["label"] = node.label
        for name in ("parent", "users", "description", "source", *ECONOMICS_NODE_COLUMNS):
            if getattr(node, name) is not None:
                record[name] = getattr(node, name)
        for name in ("inflow", "outflow"):
            if getattr(node, name):
                record[name] = dict(getattr(node, name))
        for name in ("tags", "genes"):
            if getattr(node, name):
                record[name] = list(getattr(node, name))
        if node.attrs:
            record["attrs"] = plain_data(node.attrs)
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
        if pipe.paid_by != "to":
            record["paid_by"] = pipe.paid_by
        if pipe.status != "open":
            record["status"] = pipe.status
        for name in ("label", "description", "source"):
            if getattr(pipe, name) is not None:
                record[name] = getattr(pipe, name)
        if pipe.attrs:
            record["attrs"] = plain_data(pipe.attrs)
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


# -- pipe ids the loader would give anyway -----------------------------------------------


def _generated_keys(pipes: list[dict[str, Any]], ids: list[Any]) -> list[str]:
    """The keys the loader gives these pipes when they have ``ids`` (None: no id)."""
    taken = {i for i in ids if isinstance(i, str)}
    counts: dict[str, int] = {}
    keys: list[str] = []
    for pipe, given in zip(pipes, ids, strict=True):
        ends = {"from": pipe.get("from"), "to": pipe.get("to"), "kind": pipe.get("kind", "traffic")}
        keys.append(pipe_key({**ends, "id": given}, taken, counts))
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


def read_map_table(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The map's own fields from a ``map.csv`` (:func:`ecograph.exchange.to_map_table`).

    Returns
    -------
    dict
        The keyword arguments of :func:`convert_tables` it gives: ``name``,
        ``title``, ``period``, ``description``, ``units`` (those present).

    Raises
    ------
    MapError
        A bad file, each problem at its cell: no ``field,value`` header, an unknown
        field, a field given twice, a row without its value, a value the option
        of the same name would refuse (a bad name or period, text too long).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.csv"
    >>> _ = path.write_text("field,value\\nname,shop\\nunit.traffic,visits\\n")
    >>> read_map_table(path)
    {'name': 'shop', 'units': {'traffic': 'visits'}}
    >>> _ = path.write_text("field,value\\ntitel,Shop\\n")
    >>> read_map_table(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: .../map.csv:2:1: unknown field 'titel' (did you mean 'title'?); ...
    """
    file = os.fspath(path)
    try:
        data = read_file(path, file, what="CSV file")
    except ReadFailure as exc:
        raise MapError(exc.diagnostics) from None
    rows, problems = read_csv(data, file)
    known = [*MAP_FIELDS, *(f"unit.{c}" for c in CURRENCIES)]

    def bad(line: int, column: int, message: str) -> None:
        problems.append(Diagnostic("error", file, line, column, "", message))

    out: dict[str, Any] = {}
    units: dict[str, str] = {}
    seen: dict[str, int] = {}
    header = [unescape_formula(c.text) for c in rows[0].cells] if rows else []
    if header[:2] != ["field", "value"]:
        at = rows[0].cells[0] if rows else None
        bad(at.line if at else 1, at.column if at else 1, "expected the header 'field,value'")
        raise MapError(problems)
    for row in rows[1:]:
        first = row.cells[0]
        field = unescape_formula(first.text)
        if field not in known:
            bad(
                first.line,
                first.column,
                f"unknown field {field!r}{did_you_mean(field, known)}; "
                f"expected one of {', '.join(known)}",
            )
            continue
        if field in seen:
            bad(first.line, first.column, f"field {field!r} is already given on line {seen[field]}")
            continue
        seen[field] = first.line
        if len(row.cells) < 2:
            bad(first.line, first.column, f"field {field!r} has no value")
            continue
        cell = row.cells[1]
        value = unescape_formula(cell.text)
        if field.startswith("unit."):
            if len(value) > 100:
                bad(cell.line, cell.column, f"unit is {len(value):,} characters; at most 100")
            units[field[5:]] = value
            continue
        try:
            check_options(
                value if field == "name" else "m",
                value if field == "period" else "month",
                value if field == "title" else None,
                value if field == "description" else None,
            )
        except UsageError as exc:
            bad(cell.line, cell.column, str(exc))
        out[field] = value
    if problems:
        raise MapError(problems)
    if units:
        out["units"] = units
    return out


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
    check_options(name, period, title, description)
    for currency, unit in (units or {}).items():
        if len(unit) > 100:
            raise UsageError(
                f"the unit of {currency!r} is {len(unit):,} characters long; at most 100 allowed"
            )
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
