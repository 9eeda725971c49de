"""Numbers the drawing encodes: the size metric, per-node pipe totals, min-cut pipes.

The cheap measures (``users``, ``volume``, degrees) are computed here from the
model. Every other size metric (``pagerank``, ``betweenness``, ``throughflow``...)
and the bottleneck highlight come from :mod:`ecograph.analysis`, imported only
when an option asks for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt

from ecograph._suggest import did_you_mean
from ecograph.analysis.centrality import METRICS as CENTRALITY_METRICS
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, Ecosystem
from ecograph.render.table import PipeTable, pipe_table

__all__ = ["BUILTIN_METRICS", "METRICS", "Totals", "bottleneck_pipes", "node_totals", "size_values"]

#: Size metrics computed here, with what the legend says about them.
BUILTIN_METRICS: Mapping[str, str] = {
    "users": "users",
    "volume": "traffic through the node per {period} (larger of in and out, boundary included)",
    "pipes": "number of pipes in and out, every currency",
}

_CENTRALITY = CENTRALITY_METRICS
#: Size metrics from an analysis module: name -> (module, function, keyword options).
ANALYSIS_METRICS: Mapping[str, tuple[str, str, Mapping[str, Any]]] = {
    **{
        name: ("ecograph.analysis.centrality", "centrality", {"metric": name})
        for name in _CENTRALITY
    },
    "throughflow": ("ecograph.analysis.flow", "flow", {}),
    "revenue": ("ecograph.analysis.value", "value", {}),
    "net": ("ecograph.analysis.value", "value", {}),
}
#: Every size metric, in the order help texts list them.
METRICS: tuple[str, ...] = (*BUILTIN_METRICS, *ANALYSIS_METRICS)


@dataclass(slots=True)
class Totals:
    """One node's sums over its pipes (open pipes only for volumes).

    Attributes
    ----------
    volume_in, volume_out : dict
        Currency -> summed volume of open pipes in and out (currencies with none left out).
    pipes_in, pipes_out : int
        Pipes of any currency and status.
    """

    volume_in: dict[str, float] = field(default_factory=dict)
    volume_out: dict[str, float] = field(default_factory=dict)
    pipes_in: int = 0
    pipes_out: int = 0


def node_totals(table: PipeTable, i: int) -> Totals:
    """The :class:`Totals` of node number ``i`` of a :class:`PipeTable`.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render.table import pipe_table
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...     pipes=(Pipe("p", "a", "b", volume=5.0), Pipe("q", "a", "b", status="blocked")))
    >>> t = node_totals(pipe_table(eco), 1)
    >>> t.volume_in, t.pipes_in
    ({'traffic': 5.0}, 2)
    """
    return Totals(
        {c: float(v) for c, v in zip(CURRENCIES, table.volume_in[i], strict=True) if v},
        {c: float(v) for c, v in zip(CURRENCIES, table.volume_out[i], strict=True) if v},
        int(table.pipes_in[i]),
        int(table.pipes_out[i]),
    )


def _analysis(name: str) -> Callable[..., Any]:
    module_name, function_name, _ = ANALYSIS_METRICS[name]
    try:
        module = importlib.import_module(module_name)
        return getattr(module, function_name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        raise UsageError(
            f"size metric {name!r} needs {module_name}.{function_name}, which this "
            f"installation of ecograph does not have; built-in metrics: "
            f"{', '.join(BUILTIN_METRICS)}"
        ) from None


def size_values(
    eco: Ecosystem, size_by: str, table: PipeTable | None = None
) -> tuple[dict[str, float | None], str]:
    """The value of the size metric for every node, and what it means.

    Parameters
    ----------
    eco : Ecosystem
    size_by : str
        ``users``, ``volume`` (traffic through the node), ``pipes`` (pipes in
        and out), or a metric of :mod:`ecograph.analysis`: a centrality of the
        traffic layer (``degree``, ``in-degree``, ``out-degree``,
        ``betweenness``, ``closeness``, ``pagerank``, ``eigenvector``,
        ``katz``, ``hubs``, ``authorities``) or ``throughflow``.
    table : PipeTable, optional
        :func:`~ecograph.render.table.pipe_table` of the map, if already built.

    Returns
    -------
    values : dict
        Node id -> value, None where the node has none (``users`` not given).
    meaning : str
        What size shows, for the legend.

    Raises
    ------
    UsageError
        For an unknown metric, or an analysis metric whose module is missing.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", users=10.0),
    ...     "b": Node("b", "partner")}, pipes=(Pipe("p", "a", "b", volume=5.0),))
    >>> size_values(eco, "users")[0]
    {'a': 10.0, 'b': None}
    >>> size_values(eco, "volume")[0]
    {'a': 5.0, 'b': 5.0}
    >>> size_values(eco, "usres")
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: unknown size metric 'usres' (did you mean 'users'?); ...
    """
    if size_by not in BUILTIN_METRICS and size_by not in ANALYSIS_METRICS:
        known = [*BUILTIN_METRICS, *ANALYSIS_METRICS]
        raise UsageError(
            f"unknown size metric {size_by!r}{did_you_mean(size_by, known)}; "
            f"expected one of {', '.join(known)}"
        )
    meaning = BUILTIN_METRICS.get(size_by, size_by).format(period=eco.period)
    if size_by == "users":
        return {n: node.users for n, node in eco.nodes.items()}, meaning
    if size_by in BUILTIN_METRICS:
        table = table if table is not None else pipe_table(eco)
        column: npt.NDArray[Any]
        if size_by == "volume":
            column = table.through()[:, CURRENCIES.index("traffic")]
        else:
            column = table.pipes_in + table.pipes_out
        return dict(zip(table.ids, map(float, column.tolist()), strict=True)), meaning
    module_name, _function, options = ANALYSIS_METRICS[size_by]
    result = _analysis(size_by)(eco, **options)
    if module_name.endswith(".flow"):
        per_node: Mapping[str, Any] = result.throughflow
        meaning = f"traffic throughflow per {eco.period} (ecological network analysis)"
    elif module_name.endswith(".value"):
        # an area cannot be negative: a node that loses money is drawn smallest
        per_node = {n: max(row[size_by], 0.0) for n, row in result.nodes.items()}
        unit = eco.units.get("capital", "")
        meaning = f"{size_by} per {eco.period}{' in ' + unit if unit else ''} (losses drawn as 0)"
    else:
        per_node = result["values"]
        meaning = f"{size_by} of the traffic layer"
    values: dict[str, float | None] = {}
    for node_id in eco.nodes:
        value = per_node.get(node_id)
        values[node_id] = None if value is None else float(value)
    return values, meaning


def bottleneck_pipes(eco: Ecosystem, to: str) -> tuple[frozenset[str], float]:
    """Keys of the traffic pipes on the minimum cut between the map's sources and ``to``.

    Uses :func:`ecograph.analysis.bottlenecks.bottlenecks` (imported only here):
    sources are the nodes with boundary traffic ``inflow``; the cut is the one
    nearest the target.

    Returns
    -------
    keys : frozenset of str
        Empty when the max-flow is unbounded or zero.
    max_flow : float

    Raises
    ------
    UsageError
        When ``to`` is not a node of the map, or the analysis is not installed.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool", inflow={"traffic": 9.0}),
    ...     "h": Node("h", "platform"), "s": Node("s", "partner")},
    ...     pipes=(Pipe("a", "u", "h", capacity=9.0), Pipe("b", "h", "s", capacity=4.0)))
    >>> bottleneck_pipes(eco, "s")
    (frozenset({'b'}), 4.0)
    """
    eco.children(to)  # raises UsageError with a suggestion for an unknown id
    try:
        module = importlib.import_module("ecograph.analysis.bottlenecks")
        analyse = module.bottlenecks
    except (ImportError, AttributeError):
        raise UsageError(
            "highlight='bottlenecks' needs ecograph.analysis.bottlenecks, "
            "which this installation of ecograph does not have"
        ) from None
    result = analyse(eco, to)
    return frozenset(str(p["key"]) for p in result["min_cut"]), float(result["max_flow"])
