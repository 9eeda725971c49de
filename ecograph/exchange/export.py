"""Maps out to other tools: GraphML and GEXF (Gephi, yEd, Cytoscape), node-link JSON,
and CSV tables of nodes and pipes. See :mod:`ecograph.exchange` for the formats."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from ecograph._io import check_output, sigterm_raises, write_atomic
from ecograph.errors import UsageError
from ecograph.exchange._cells import (
    encode_attr,
    encode_number,
    join_words,
    write_csv,
)
from ecograph.exchange._yaml import tables_map
from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe

__all__ = [
    "FORMATS",
    "MAP_FIELDS",
    "NODE_COLUMNS",
    "PIPE_COLUMNS",
    "export",
    "format_of",
    "table_columns",
    "to_flat_graph",
    "to_gexf",
    "to_graphml",
    "to_map_table",
    "to_node_link",
    "to_parquet_tables",
    "to_tables",
]

#: Export formats, in the order help texts list them.
FORMATS: tuple[str, ...] = ("graphml", "gexf", "json", "csv", "parquet")
#: The fixed columns of ``nodes.csv``, in order (per-currency and ``attrs.<key>``
#: columns come after, see :func:`table_columns`).
NODE_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "label",
    "parent",
    "users",
    "inflow",
    "outflow",
    "tags",
    "genes",
    "description",
    "source",
)
#: The fixed columns of ``pipes.csv``, in order.
PIPE_COLUMNS: tuple[str, ...] = (
    "id",
    "from",
    "to",
    "kind",
    "volume",
    "capacity",
    "conversion",
    "cost",
    "status",
    "label",
    "description",
    "source",
)
#: Economics columns, written only when some node or pipe of the map uses them.
ECONOMICS_NODE_COLUMNS: tuple[str, ...] = ("price", "domain", "owner")
ECONOMICS_PIPE_COLUMNS: tuple[str, ...] = ("paid_by",)
_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".json": "json", ".csv": "csv"}
_INT64 = 2**63


def format_of(path: str | os.PathLike[str]) -> str:
    """The export format a path's suffix names; a path without a suffix is a CSV directory.

    Raises
    ------
    UsageError
        When the suffix names no format.

    Examples
    --------
    >>> format_of("out/map.gexf"), format_of("tables"), format_of("tables/")
    ('gexf', 'csv', 'csv')
    """
    suffix = Path(path).suffix.lower()
    if not suffix or os.fspath(path).endswith(("/", os.sep)):
        return "csv"
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise UsageError(
        f"cannot tell the export format from {os.fspath(path)!r}; "
        f"use a .graphml, .gexf or .json file, a directory for csv, or give the format"
    )


# -- the flat graph (GraphML and GEXF) ---------------------------------------------------


def _tree_order(eco: Ecosystem) -> Iterator[str]:
    """Node ids with every parent before its members (Gephi reads hierarchies in that order)."""
    for root in eco.roots():
        yield root
        yield from eco.members(root)


def _flat_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, list | dict | tuple):
            value = json.dumps(value, ensure_ascii=False)
        out[f"attr_{key}"] = value
    return out


def _node_record(eco: Ecosystem, node: Node, *, pid: bool) -> dict[str, Any]:
    ancestors = eco.ancestors_in_tree(node.id)
    giant = ancestors[-1] if ancestors else node.id
    group = eco.group_of(node.id) or giant
    data: dict[str, Any] = {"label": node.label, "kind": node.kind}
    if node.parent is not None:
        data["parent"] = node.parent
        if pid:
            data["pid"] = node.parent
    data["group"] = group
    data["giant"] = giant
    data["depth"] = len(ancestors)
    if node.users is not None:
        data["users"] = float(node.users)
    for side, flows in (("inflow", node.inflow), ("outflow", node.outflow)):
        for currency in CURRENCIES:
            if currency in flows:
                data[f"{side}_{currency}"] = float(flows[currency])
    for name in ("tags", "genes"):
        words = getattr(node, name)
        if words:
            data[name] = join_words(words)
    for name in ("description", "source"):
        value = getattr(node, name)
        if value is not None:
            data[name] = value
    for name in ("price", "domain", "owner"):
        value = getattr(node, name)
        if value is not None:
            data[name] = value
    data.update(_flat_attrs(dict(node.attrs)))
    return data


def _pipe_record(pipe: Pipe) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": pipe.kind, "status": pipe.status}
    for name in ("volume", "capacity", "conversion", "cost"):
        value = getattr(pipe, name)
        if value is not None:
            data[name] = float(value)
    if pipe.paid_by != "to":
        data["paid_by"] = pipe.paid_by
    if pipe.is_open and pipe.volume:
        data["weight"] = float(pipe.volume)
    for name in ("label", "description", "source"):
        value = getattr(pipe, name)
        if value is not None:
            data[name] = value
    data.update(_flat_attrs(dict(pipe.attrs)))
    return data


def _unify(records: list[dict[str, Any]]) -> None:
    """One XML type per attribute name: ints with floats become floats, other mixes text."""
    types: dict[str, set[type]] = {}
    for data in records:
        for key, value in data.items():
            if key.startswith("attr_"):
                kind = type(value)
                if kind is int and not -_INT64 <= value < _INT64:
                    kind = object  # too big for a 64-bit 'long': write it as text
                types.setdefault(key, set()).add(kind)
    for key, seen in types.items():
        if len(seen) == 1 and object not in seen:
            continue
        to_float = seen <= {int, float}
        for data in records:
            if key in data:
                data[key] = float(data[key]) if to_float else _as_text(data[key])


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else encode_attr(value)


def to_flat_graph(eco: Ecosystem, *, pid: bool = False) -> nx.MultiDiGraph:
    """The map as a ``MultiDiGraph`` whose attributes are all str, int, float or bool.

    This is what GraphML and GEXF receive (their writers refuse None, lists and
    mappings); :mod:`ecograph.exchange` documents every attribute.

    Parameters
    ----------
    eco : Ecosystem
    pid : bool, default False
        Also give each member node a ``pid`` (its parent): GEXF's hierarchy.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={
    ...     "p": Node("p", "platform"),
    ...     "s": Node("s", "sub-ecosystem", parent="p", inflow={"traffic": 5.0}),
    ...     "a": Node("a", "partner", parent="s", tags=("x", "y"), attrs={"tier": 1})},
    ...     pipes=(Pipe("s->a:traffic", "s", "a", volume=5.0),))
    >>> G = to_flat_graph(eco)
    >>> G.nodes["a"]
    {'label': 'a', 'kind': 'partner', 'parent': 's', 'group': 's', 'giant': 'p', 'depth': 2, \
'tags': 'x; y', 'attr_tier': 1}
    >>> G.nodes["s"]["inflow_traffic"], G.edges["s", "a", "s->a:traffic"]["weight"]
    (5.0, 5.0)
    """
    G = nx.MultiDiGraph()
    G.graph["name"] = eco.name
    G.graph["title"] = eco.title
    G.graph["period"] = eco.period
    if eco.description is not None:
        G.graph["description"] = eco.description
    for currency in CURRENCIES:
        if currency in eco.units:
            G.graph[f"unit_{currency}"] = eco.units[currency]
    records = [(n, _node_record(eco, eco.nodes[n], pid=pid)) for n in _tree_order(eco)]
    _unify([data for _, data in records])
    G.add_nodes_from(records)
    edges = [(p.from_node, p.to_node, p.key, _pipe_record(p)) for p in eco.pipes]
    _unify([data for *_, data in edges])
    G.add_edges_from(edges)
    return G


def to_graphml(eco: Ecosystem) -> bytes:
    """The map as GraphML (UTF-8): the flat graph, each pipe an edge whose id is its key.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool, inflow: 1}, "
    ...     "b: {kind: partner, outflow: 1}}\\npipes: [{from: a, to: b, volume: 1}]\\n")
    >>> G = nx.read_graphml(io.BytesIO(to_graphml(eco)), force_multigraph=True)
    >>> list(G.edges(keys=True)), G.graph["period"]
    ([('a', 'b', 'a->b:traffic')], 'month')
    >>> G.edges["a", "b", "a->b:traffic"]["key"]  # also an attribute, for igraph
    'a->b:traffic'
    """
    G = _xml_safe(to_flat_graph(eco))
    for *_, key, data in G.edges(keys=True, data=True):
        # the key also as an ordinary attribute: igraph 1.0 reads GraphML edge ids wrongly
        data["key"] = key
    buffer = io.BytesIO()
    nx.write_graphml(G, buffer, encoding="utf-8")
    return buffer.getvalue()


def to_gexf(eco: Ecosystem) -> bytes:
    """The map as GEXF 1.2 (UTF-8), for Gephi: labels, ``pid`` hierarchy, edge weights.

    The same map gives the same bytes: ``<meta>`` names ecograph as the creator
    and carries a ``lastmodifieddate`` only when ``SOURCE_DATE_EPOCH`` is set (the
    reproducible-builds convention), as that day in UTC; networkx would write today.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {p: {kind: platform}, "
    ...     "a: {kind: pool, parent: p, inflow: 1}, b: {kind: partner, parent: p, outflow: 1}}"
    ...     "\\npipes: [{from: a, to: b, volume: 1}]\\n")
    >>> G = nx.read_gexf(io.BytesIO(to_gexf(eco)))
    >>> G.nodes["a"]["pid"], G.nodes["a"]["group"], G.edges["a", "b"]["weight"]
    ('p', 'p', 1.0)
    >>> G.edges["a", "b"]["id"]  # networkx reads a map without parallel pipes as a DiGraph
    'a->b:traffic'
    """
    G = _xml_safe(to_flat_graph(eco, pid=True))
    for *_, key, data in G.edges(keys=True, data=True):
        data["id"] = key  # the GEXF edge id (networkx also keeps the key as networkx_key)
    writer = nx.readwrite.gexf.GEXFWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph(G)
    meta = writer.xml.find("meta")
    if meta is not None:
        _reproducible_meta(meta)
        units = "".join(f"; {c} in {u}" for c, u in eco.units.items())
        ET.SubElement(meta, "description").text = _xml_text(
            f"{eco.title} (volumes per {eco.period}{units})"
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _reproducible_meta(meta: ET.Element) -> None:
    """GEXF ``<meta>`` without today's date or networkx's version (see :func:`to_gexf`)."""
    from ecograph._version import __version__

    meta.attrib.pop("lastmodifieddate", None)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            day = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds since 1970"
            ) from None
        meta.set("lastmodifieddate", day.isoformat())
    creator = meta.find("creator")
    if creator is not None:
        creator.text = f"ecograph {__version__}"


def _xml_text(text: str) -> str:
    """Replace the characters XML 1.0 cannot hold (most control characters) with U+FFFD."""
    if text.isprintable() or not any(_bad_xml(c) for c in text):
        return text
    return "".join("\ufffd" if _bad_xml(c) else c for c in text)


def _bad_xml(c: str) -> bool:
    code = ord(c)
    return (
        (code < 0x20 and c not in "\t\n\r")
        or 0xD800 <= code <= 0xDFFF
        or code
        in (
            0xFFFE,
            0xFFFF,
        )
    )


def _xml_name(text: str, seen: dict[str, str], what: str) -> str:
    """``text`` made XML-safe; refuses two different texts that become the same."""
    safe = _xml_text(text)
    other = seen.setdefault(safe, text)
    if other != text:
        raise UsageError(
            f"cannot write XML: {what} {other!r} and {text!r} would both be written as "
            f"{safe!r} (XML cannot hold control characters); rename one of them"
        )
    return safe


def _xml_safe(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``G`` whose every id, key, attribute name and text XML 1.0 can hold.

    Characters XML cannot hold become U+FFFD (:func:`_xml_text`). Two node ids,
    two edge ids or two attribute names that would become the same are refused
    with :class:`UsageError`: they would silently merge in the file.
    """

    def fix(data: dict[str, Any], where: str) -> dict[str, Any]:
        names: dict[str, str] = {}
        out: dict[str, Any] = {}
        for key, value in data.items():  # attribute names (attr_<key>) and values
            name = _xml_name(key, names, f"attribute names of {where}")
            out[name] = _xml_text(value) if isinstance(value, str) else value
        return out

    H = nx.MultiDiGraph()
    H.graph.update(fix(G.graph, "the map"))
    ids: dict[str, str] = {}
    rename = {n: _xml_name(n, ids, "node ids") for n in G}
    H.add_nodes_from((rename[n], fix(data, f"node {n!r}")) for n, data in G.nodes(data=True))
    keys: dict[str, str] = {}
    H.add_edges_from(
        (rename[u], rename[v], _xml_name(k, keys, "pipe ids"), fix(data, f"pipe {k!r}"))
        for u, v, k, data in G.edges(keys=True, data=True)
    )
    return H


# -- node-link JSON ----------------------------------------------------------------


def _jsonable(value: Any, where: str, path: str = "") -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(
                f"cannot write node-link JSON: {where} {path} is {value!r}, and JSON has no NaN "
                "or infinity; export GraphML, GEXF or CSV, which keep it"
            )
        return value
    if isinstance(value, dict):
        return {
            str(k): _jsonable(v, where, f"{path}.{k}" if path else str(k)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_jsonable(v, where, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _unbounded(record: dict[str, Any]) -> dict[str, Any]:
    """An edge record with the unbounded capacity (``inf``) as None."""
    if record.get("capacity") == math.inf:
        return {**record, "capacity": None}
    return record


def _map_names(record: dict[str, Any]) -> dict[str, Any]:
    """The graph's ``data_source`` under the map's own name, ``source``, in place."""
    return {("source" if k == "data_source" else k): v for k, v in record.items()}


def to_node_link(eco: Ecosystem) -> dict[str, Any]:
    """The map's graph (:mod:`ecograph.graph`'s contract) as node-link data of plain JSON values.

    ``networkx.node_link_data(eco.graph, edges="edges", source="from", target="to")``
    — an edge's ends are ``from`` and ``to``, because ``source`` is a pipe attribute
    (where its figures come from; ``data_source`` in the graph, ``source`` as in the
    map here) — with tuples as lists and an unbounded pipe's
    ``capacity`` (``inf``) as None.
    ``networkx.node_link_graph(data, edges="edges", source="from", target="to")``
    reads it back.

    JSON has no NaN or infinity, so any other non-finite number (``.nan`` or
    ``.inf`` in free-form ``attrs``) is refused, never written as ``null``:
    GraphML, GEXF and the CSV tables keep such values.

    Raises
    ------
    UsageError
        ``cannot write node-link JSON: node 'x' attrs.k is nan, ...``.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool, inflow: 1}, "
    ...     "b: {kind: partner, outflow: 1}}\\npipes: [{from: a, to: b, volume: 1}]\\n")
    >>> data = to_node_link(eco)
    >>> data["edges"][0]["key"], data["edges"][0]["capacity"], data["graph"]["files"]
    ('a->b:traffic', None, ['<string>'])
    """
    link = nx.node_link_data(eco.graph, edges="edges", source="from", target="to")
    data: dict[str, Any] = {
        key: value for key, value in link.items() if key not in ("nodes", "edges")
    }
    data = _jsonable(data, "the map")
    data["nodes"] = [_jsonable(_map_names(n), f"node {n.get('id')!r}") for n in link["nodes"]]
    data["edges"] = [
        _jsonable(_unbounded(_map_names(e)), f"pipe {e.get('key')!r}") for e in link["edges"]
    ]
    return data


# -- CSV tables ------------------------------------------------------------------------


def _attr_keys(items: Any) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        for key in item.attrs:
            keys.setdefault(str(key), None)
    return list(keys)


def table_columns(eco: Ecosystem) -> tuple[list[str], list[str]]:
    """The columns :func:`to_tables` writes: (nodes.csv header, pipes.csv header).

    The fixed columns, then ``inflow.<currency>`` and ``outflow.<currency>`` for
    every currency other than traffic that some node's boundary flow uses, then
    the economics columns some node or pipe uses (``price``, ``domain``,
    ``owner``; ``paid_by``), then ``attrs.<key>`` for every free-form attribute
    key, in order of first use.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> eco = Ecosystem("m", nodes={"f": Node("f", "fund", inflow={"capital": 9.0},
    ...                                       attrs={"tier": 1})})
    >>> table_columns(eco)[0][5:9], table_columns(eco)[0][-1]
    (['inflow', 'outflow', 'inflow.capital', 'outflow.capital'], 'attrs.tier')
    """
    used = {c for n in eco.nodes.values() for c in (*n.inflow, *n.outflow)}
    extra = [f"{side}.{c}" for c in CURRENCIES[1:] if c in used for side in ("inflow", "outflow")]
    nodes = [*NODE_COLUMNS[:7], *extra, *NODE_COLUMNS[7:]]
    nodes += [
        c
        for c in ECONOMICS_NODE_COLUMNS
        if any(getattr(n, c) is not None for n in eco.nodes.values())
    ]
    nodes += [f"attrs.{k}" for k in _attr_keys(eco.nodes.values())]
    pipes = list(PIPE_COLUMNS)
    if any(p.paid_by != "to" for p in eco.pipes):
        pipes.append("paid_by")
    pipes += [f"attrs.{k}" for k in _attr_keys(eco.pipes)]
    return nodes, pipes


def _node_cells(node: Node, columns: list[str]) -> list[str]:
    out: list[str] = []
    attrs = {str(k): v for k, v in node.attrs.items()}
    for column in columns:
        if column.startswith("attrs."):
            key = column[6:]
            out.append(encode_attr(attrs[key]) if key in attrs else "")
        elif column in ("inflow", "outflow"):
            out.append(encode_number(getattr(node, column).get("traffic")))
        elif column.startswith(("inflow.", "outflow.")):
            side, currency = column.split(".", 1)
            out.append(encode_number(getattr(node, side).get(currency)))
        elif column in ("users", "price"):
            out.append(encode_number(getattr(node, column)))
        elif column in ("tags", "genes"):
            out.append(join_words(getattr(node, column)))
        else:
            value = getattr(node, column)
            out.append("" if value is None else str(value))
    return out


_PIPE_FIELDS = {"id": "key", "from": "from_node", "to": "to_node"}


def _pipe_cells(pipe: Pipe, columns: list[str]) -> list[str]:
    out: list[str] = []
    attrs = {str(k): v for k, v in pipe.attrs.items()}
    for column in columns:
        if column.startswith("attrs."):
            key = column[6:]
            out.append(encode_attr(attrs[key]) if key in attrs else "")
        elif column in ("volume", "capacity", "conversion", "cost"):
            out.append(encode_number(getattr(pipe, column)))
        else:
            value = getattr(pipe, _PIPE_FIELDS.get(column, column))
            out.append("" if value is None else str(value))
    return out


def to_tables(eco: Ecosystem) -> tuple[bytes, bytes]:
    """The map as two CSV tables: (``nodes.csv`` bytes, ``pipes.csv`` bytes).

    One row per node and per pipe, the columns of :func:`table_columns`, cells
    written by the rules of :mod:`ecograph.exchange` — exactly what
    :func:`ecograph.exchange.import_tables` reads back. UTF-8 with a byte order
    mark (so Excel shows Chinese labels), CRLF line ends.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", users=1e6),
    ...                             "b": Node("b", "partner", tags=("x", "y"))},
    ...     pipes=(Pipe("a->b:traffic", "a", "b", volume=5.0),))
    >>> nodes, pipes = to_tables(eco)
    >>> print(nodes.decode("utf-8-sig"), end="")  # doctest: +NORMALIZE_WHITESPACE
    id,kind,label,parent,users,inflow,outflow,tags,genes,description,source
    a,pool,a,,1000000,,,,,,
    b,partner,b,,,,,x; y,,,
    >>> pipes.decode("utf-8-sig").splitlines()[1]
    'a->b:traffic,a,b,traffic,5,,,,open,,,'
    """
    node_columns, pipe_columns = table_columns(eco)
    nodes = write_csv(node_columns, (_node_cells(n, node_columns) for n in eco.nodes.values()))
    pipes = write_csv(pipe_columns, (_pipe_cells(p, pipe_columns) for p in eco.pipes))
    return nodes, pipes


#: The rows of ``map.csv``: the map's own fields (``unit.<currency>`` per unit).
MAP_FIELDS = ("name", "title", "period", "description")


def to_map_table(eco: Ecosystem) -> bytes:
    """The map's own fields as ``map.csv`` bytes: a ``field,value`` row for each.

    ``name``, ``title``, ``period``, ``description`` (if given) and
    ``unit.<currency>`` per unit: what the node and pipe tables cannot hold, so
    that ``ecograph import`` gives back the same map. Written like the other tables
    (:func:`to_tables`).

    Examples
    --------
    >>> from ecograph.model import Ecosystem
    >>> eco = Ecosystem("m", title="My map", units={"traffic": "visits"})
    >>> print(to_map_table(eco).decode("utf-8-sig"), end="")  # doctest: +NORMALIZE_WHITESPACE
    field,value
    name,m
    title,My map
    period,month
    unit.traffic,visits
    """
    rows = [
        [field, str(getattr(eco, field))] for field in MAP_FIELDS if getattr(eco, field) is not None
    ]
    rows += [[f"unit.{c}", eco.units[c]] for c in CURRENCIES if c in eco.units]
    return write_csv(["field", "value"], rows)


def to_parquet_tables(eco: Ecosystem) -> tuple[Any, Any]:
    """The map as two pyarrow Tables with the columns of :func:`to_tables`, typed:
    text as strings, numbers as float64 (null where not given), ``tags`` and
    ``genes`` as lists of strings, ``attrs.<key>`` as cell text (the CSV rules).

    What ``ecograph export --format parquet`` writes, and what a map's ``tables:``
    and :func:`ecograph.from_tables` read back.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", users=1e6),
    ...                             "b": Node("b", "partner", tags=("x", "y"))},
    ...     pipes=(Pipe("a->b:traffic", "a", "b", volume=5.0),))
    >>> nodes, pipes = to_parquet_tables(eco)
    >>> nodes.column("tags").to_pylist(), pipes.column("volume").type
    ([[], ['x', 'y']], DataType(double))
    """
    import pyarrow as pa

    node_columns, pipe_columns = table_columns(eco)
    nodes = list(eco.nodes.values())
    pipes = list(eco.pipes)
    out: dict[str, Any] = {}
    for column in node_columns:
        if column.startswith("attrs."):
            key = column[6:]
            values: list[Any] = [
                encode_attr(n.attrs[key]) if key in n.attrs else None for n in nodes
            ]
            out[column] = pa.array(values, pa.string())
        elif column in ("inflow", "outflow") or column.startswith(("inflow.", "outflow.")):
            side, _, currency = column.partition(".")
            got = [getattr(n, side).get(currency or "traffic") for n in nodes]
            out[column] = pa.array(got, pa.float64())
        elif column in ("users", "price"):
            out[column] = pa.array([getattr(n, column) for n in nodes], pa.float64())
        elif column in ("tags", "genes"):
            out[column] = pa.array([list(getattr(n, column)) for n in nodes], pa.list_(pa.string()))
        else:
            out[column] = pa.array([getattr(n, column) for n in nodes], pa.string())
    node_table = pa.table(out)
    out = {}
    for column in pipe_columns:
        if column.startswith("attrs."):
            key = column[6:]
            values = [encode_attr(p.attrs[key]) if key in p.attrs else None for p in pipes]
            out[column] = pa.array(values, pa.string())
        elif column in ("volume", "capacity", "conversion", "cost"):
            out[column] = pa.array([getattr(p, column) for p in pipes], pa.float64())
        else:
            name = _PIPE_FIELDS.get(column, column)
            out[column] = pa.array([getattr(p, name) for p in pipes], pa.string())
    return node_table, pa.table(out)


def _parquet_bytes(table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


# -- files -----------------------------------------------------------------------------


def export(eco: Ecosystem, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write a map in another format.

    Parameters
    ----------
    eco : Ecosystem
    path : path-like
        The file to write; for ``csv`` a directory (made if missing, in an existing
        parent) that receives ``nodes.csv``, ``pipes.csv`` and ``map.csv`` (the
        map's own fields, :func:`to_map_table`); for ``parquet`` one that receives
        ``nodes.parquet`` and ``pipes.parquet`` (:func:`to_parquet_tables`) and
        ``map.yaml``, a map with the map's own fields that names the two tables
        (``ecograph check DIR/map.yaml`` loads it back).
    fmt : {"graphml", "gexf", "json", "csv", "parquet"}, optional
        Default: from the suffix of ``path`` (no suffix: csv), see :func:`format_of`.

    Returns
    -------
    Path
        ``path``: the file written, or the csv directory. Each file is written
        whole or not at all (a temporary file, then a rename); the two csv files
        are written one after the other.

    Raises
    ------
    UsageError
        An unknown format, or an output :func:`ecograph._io.check_output` refuses:
        a file of the map, a directory (a file, for csv), a device, a missing
        directory.

    Examples
    --------
    >>> import tempfile, ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool}}\\n")
    >>> out = Path(tempfile.mkdtemp())
    >>> sorted(p.name for p in export(eco, out / "tables").iterdir())
    ['map.csv', 'nodes.csv', 'pipes.csv']
    >>> export(eco, out / "t.gexf").name
    't.gexf'
    """
    fmt = format_of(path) if fmt is None else fmt
    if fmt not in FORMATS:
        from ecograph._suggest import did_you_mean

        raise UsageError(
            f"unknown export format {fmt!r}{did_you_mean(fmt, FORMATS)}; "
            f"expected one of {', '.join(FORMATS)}"
        )
    target = Path(path)
    if fmt in ("csv", "parquet"):
        names: tuple[str, ...] = (f"nodes.{fmt}", f"pipes.{fmt}")
        names += ("map.csv",) if fmt == "csv" else ("map.yaml",)
        check_output(target, eco.files, directory=True)
        if target.is_dir():
            for name in names:
                check_output(target / name, eco.files)
        if fmt == "csv":
            nodes, pipes = to_tables(eco)
        else:
            node_table, pipe_table = to_parquet_tables(eco)
            nodes, pipes = _parquet_bytes(node_table), _parquet_bytes(pipe_table)
        made = not target.exists()
        try:
            with sigterm_raises():
                target.mkdir(exist_ok=True)
                write_atomic(target / names[0], nodes, inputs=eco.files)
                write_atomic(target / names[1], pipes, inputs=eco.files)
                if fmt == "csv":
                    extra = to_map_table(eco)
                else:  # a map that names the two tables: loads as it is, loses nothing
                    extra = tables_map(eco, names[0], names[1]).encode("utf-8")
                write_atomic(target / names[2], extra, inputs=eco.files)
        except BaseException:
            if made:  # leave nothing behind: the directory this call made goes again
                for name in names:
                    with contextlib.suppress(OSError):
                        (target / name).unlink()
                with contextlib.suppress(OSError):
                    target.rmdir()
            raise
        return target
    check_output(target, eco.files)
    if fmt == "graphml":
        data = to_graphml(eco)
    elif fmt == "gexf":
        data = to_gexf(eco)
    else:
        text = json.dumps(to_node_link(eco), ensure_ascii=False, allow_nan=False)
        data = (text + "\n").encode("utf-8")
    write_atomic(target, data, inputs=eco.files)
    return target
