# ruff: noqa: E402  (the imports follow quiet_interrupt() on purpose)
"""ecograph: ecosystem maps as code.

Load a YAML map of a platform ecosystem, validate it with located errors, get
its networkx graph, and measure it.

Examples
--------
>>> import ecograph
>>> eco = ecograph.loads('''
... ecograph: 1
... name: tiny
... nodes:
...   users: {kind: pool, inflow: 100, users: 1000}
...   shop:  {kind: partner, outflow: 100}
... pipes:
...   - {from: users, to: shop, volume: 100}
... ''')
>>> eco
<Ecosystem 'tiny': 2 nodes, 1 pipes, per month>
>>> sorted(eco.graph.nodes)
['shop', 'users']
"""

from typing import Any

# first of all: a Ctrl-C while the libraries below load ends the command in one line
from ecograph._start import quiet_interrupt

quiet_interrupt()

from ecograph._version import __version__
from ecograph.analysis import (
    Advice,
    FitReport,
    LongTail,
    advise,
    bottlenecks,
    centrality,
    cheapest,
    dependency,
    diagnose,
    fit,
    flow,
    funnel,
    longtail,
    max_flow,
    reach,
    value,
)
from ecograph.cache import check, load
from ecograph.compare import Comparison, Diff, WhatIf, compare, diff, whatif
from ecograph.errors import Diagnostic, EcographError, ExitCode, MapError, UsageError
from ecograph.exchange import export, import_tables, load_tables
from ecograph.graph import flow_layer, to_graph
from ecograph.model import CURRENCIES, NODE_KINDS, PERIODS, Ecosystem, Location, Node, Pipe
from ecograph.render import render
from ecograph.render.charts import chart as longtail_chart
from ecograph.render.report import report
from ecograph.results import MappingResult, Result, nodes_frame, pipes_frame
from ecograph.scenario import Scenario, load_scenario, loads_scenario
from ecograph.scenario import apply as apply_scenario
from ecograph.series import Series, load_series
from ecograph.trend import Gibrat, Trend, gibrat, trend
from ecograph.validate import loads, schema


def from_tables(nodes: Any, pipes: Any = None, **options: Any) -> Ecosystem:
    """A validated map from a nodes table and a pipes table: pyarrow Tables or pandas
    DataFrames with the columns of ``ecograph export --format csv``.

    Keyword options: ``name``, ``title``, ``period``, ``units``, ``description``,
    ``tolerance``. The map's nodes and pipes are made only when asked for; its
    analyses read the columns. See :func:`ecograph.tablemap.from_tables`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> eco = from_tables(pa.table({"id": ["u", "s"], "kind": ["pool", "partner"]}),
    ...                   pa.table({"from": ["u"], "to": ["s"]}), name="t")
    >>> eco
    <Ecosystem 't': 2 nodes, 1 pipes, per month>
    """
    from ecograph.tablemap import from_tables as build

    return build(nodes, pipes, **options)


__all__ = [
    "CURRENCIES",
    "NODE_KINDS",
    "PERIODS",
    "Advice",
    "Comparison",
    "Diagnostic",
    "Diff",
    "EcographError",
    "Ecosystem",
    "ExitCode",
    "FitReport",
    "Gibrat",
    "Location",
    "LongTail",
    "MapError",
    "MappingResult",
    "Node",
    "Pipe",
    "Result",
    "Scenario",
    "Series",
    "Trend",
    "UsageError",
    "WhatIf",
    "__version__",
    "advise",
    "apply_scenario",
    "bottlenecks",
    "centrality",
    "cheapest",
    "check",
    "compare",
    "dependency",
    "diagnose",
    "diff",
    "export",
    "fit",
    "flow",
    "flow_layer",
    "from_tables",
    "funnel",
    "gibrat",
    "import_tables",
    "load",
    "load_scenario",
    "load_series",
    "load_tables",
    "loads",
    "loads_scenario",
    "longtail",
    "longtail_chart",
    "max_flow",
    "nodes_frame",
    "pipes_frame",
    "reach",
    "render",
    "report",
    "schema",
    "to_graph",
    "trend",
    "value",
    "whatif",
]
