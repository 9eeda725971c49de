"""Model to networkx: the one owner of graph attribute names.

The graph contract
------------------
:func:`to_graph` returns a :class:`networkx.MultiDiGraph`. Every pipe is one
edge, keyed by :attr:`ecograph.model.Pipe.key`, so parallel pipes (two
currencies, or two channels between the same nodes) all survive. Membership
(``parent``) is a node attribute, never an edge: edges mean only flow.

Graph attributes (``G.graph``)
    ``name``, ``title``, ``period`` (str); ``files`` (tuple of str, root first);
    ``units`` (dict currency -> unit).

Node attributes
    ``kind`` (str), ``label`` (str), ``parent`` (str or None), ``users``
    (float or None), ``inflow`` and ``outflow`` (dict currency -> float, absent
    currency = 0), ``tags`` and ``genes`` (tuple of str), ``description`` and
    ``data_source`` (str or None: the map's ``source``), ``attrs`` (dict); ``price``
    (float or None),
    ``domain`` ("public", "private" or None), ``owner`` (str or None: whose pool
    it is, the ``owner`` as written or else a pool's parent).

Edge attributes
    ``kind`` (currency, str); ``volume`` (float, 0.0 when the map gives none);
    ``volume_given`` (bool); ``capacity`` (float, ``math.inf`` when unbounded);
    ``status`` ("open" or "blocked"); ``conversion`` and ``cost`` (float or
    None); ``paid_by`` ("to" or "from": who pays the cost); ``label``,
    ``description``, ``data_source`` (str or None: the map's ``source``, where the
    figures come from); ``attrs`` (dict);
    ``index`` (int, position in the merged pipe list); ``location`` (str,
    ``file:line:col``).

:func:`flow_layer` gives the simple ``DiGraph`` most flow algorithms want: one
currency, open pipes only, parallel pipes summed.

The map's ``source`` key is ``data_source`` in the graph, so that it does not collide
with the ``source`` and ``target`` columns of networkx's edge lists:
``networkx.to_pandas_edgelist(eco.graph)`` gives one row per pipe.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from ecograph._perf import gc_paused
from ecograph.model import Ecosystem, check_currency, register_view

__all__ = ["flow_layer", "to_graph"]


def to_graph(eco: Ecosystem) -> nx.MultiDiGraph:
    """Build the networkx graph of a map.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph, see the module docstring for its attributes. The caller
        owns it and may modify it.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("a->b:traffic", "a", "b", volume=5.0),
    ...            Pipe("a->b:capital", "a", "b", kind="capital", volume=2.0)))
    >>> G = to_graph(eco)
    >>> G.number_of_edges(), G.edges["a", "b", "a->b:capital"]["volume"]
    (2, 2.0)
    >>> G.edges["a", "b", "a->b:traffic"]["capacity"]
    inf
    """
    with gc_paused():
        return _build(eco)


def _build(eco: Ecosystem) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(
        name=eco.name,
        title=eco.title,
        period=eco.period,
        files=tuple(eco.files),
        units=dict(eco.units),
    )
    G.add_nodes_from(
        (
            node.id,
            {
                "kind": node.kind,
                "label": node.label,
                "parent": node.parent,
                "users": node.users,
                "inflow": dict(node.inflow),
                "outflow": dict(node.outflow),
                "tags": node.tags,
                "genes": node.genes,
                "description": node.description,
                "data_source": node.source,
                "attrs": dict(node.attrs),
                "price": node.price,
                "domain": node.domain,
                "owner": node.owner
                if node.owner is not None
                else (node.parent if node.kind == "pool" else None),
            },
        )
        for node in eco.nodes.values()
    )
    # Edges go straight into networkx's documented dict-of-dicts (succ[u][v][key]
    # = attributes, pred[v][u] the same key dict): the same graph add_edges_from
    # builds (a test checks it), in half the time at a million pipes.
    succ, pred = G._succ, G._pred
    inf = math.inf
    for pipe in eco.pipes:
        u, v = pipe.from_node, pipe.to_node
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = pred[v][u] = G.edge_key_dict_factory()
        location = pipe.location
        keys[pipe.key] = {
            "kind": pipe.kind,
            "volume": pipe.volume if pipe.volume is not None else 0.0,
            "volume_given": pipe.volume is not None,
            "capacity": pipe.capacity if pipe.capacity is not None else inf,
            "status": pipe.status,
            "conversion": pipe.conversion,
            "cost": pipe.cost,
            "paid_by": pipe.paid_by,
            "label": pipe.label,
            "description": pipe.description,
            "data_source": pipe.source,
            "attrs": dict(pipe.attrs) if pipe.attrs else {},
            "index": pipe.index,
            "location": f"{location.file}:{location.line}:{location.column}",
        }
    return G


def flow_layer(
    G: nx.MultiDiGraph, kind: str = "traffic", *, include_blocked: bool = False
) -> nx.DiGraph:
    """One currency of the graph as a simple ``DiGraph``, parallel pipes summed.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph made by :func:`to_graph`.
    kind : str, default "traffic"
        The currency to keep.
    include_blocked : bool, default False
        Keep blocked pipes too (they still carry nothing: their volume and
        capacity count as 0 in the sums, and the edge gets ``blocked=True`` if
        every pipe behind it is blocked).

    Returns
    -------
    networkx.DiGraph
        Every node of ``G`` with its attributes plus ``inflow`` and ``outflow``
        as floats of this currency; an edge per ordered pair that has at least
        one pipe of ``kind``, with ``volume`` and ``capacity`` summed over the
        open pipes, and ``pipes`` (list of pipe keys).

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", inflow={"traffic": 8.0}),
    ...                             "b": Node("b", "partner")},
    ...     pipes=(Pipe("p1", "a", "b", volume=5.0, capacity=6.0),
    ...            Pipe("p2", "a", "b", volume=3.0, capacity=4.0),
    ...            Pipe("p3", "a", "b", kind="capital", volume=1.0)))
    >>> D = flow_layer(to_graph(eco))
    >>> D.edges["a", "b"]["volume"], D.edges["a", "b"]["capacity"], D.edges["a", "b"]["pipes"]
    (8.0, 10.0, ['p1', 'p2'])
    >>> D.nodes["a"]["inflow"]
    8.0
    """
    check_currency(kind)
    D = nx.DiGraph(**G.graph, kind=kind)
    for node, data in G.nodes(data=True):
        attrs = dict(data)
        attrs["inflow"] = float(data["inflow"].get(kind, 0.0))
        attrs["outflow"] = float(data["outflow"].get(kind, 0.0))
        D.add_node(node, **attrs)
    for u, v, key, data in G.edges(keys=True, data=True):
        if data["kind"] != kind:
            continue
        is_open = data["status"] == "open"
        if not is_open and not include_blocked:
            continue
        edge: dict[str, Any]
        if D.has_edge(u, v):
            edge = D.edges[u, v]
        else:
            D.add_edge(u, v, volume=0.0, capacity=0.0, pipes=[], blocked=True)
            edge = D.edges[u, v]
        edge["pipes"].append(key)
        if is_open:
            edge["volume"] += data["volume"]
            edge["capacity"] += data["capacity"]
            edge["blocked"] = False
    return D


register_view("graph", to_graph)
