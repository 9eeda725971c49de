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

from ecograph.analysis import (
    bottlenecks,
    centrality,
    dependency,
    diagnose,
    flow,
    max_flow,
    reach,
)
from ecograph.errors import Diagnostic, EcographError, ExitCode, MapError, UsageError
from ecograph.graph import flow_layer, to_graph
from ecograph.model import CURRENCIES, NODE_KINDS, PERIODS, Ecosystem, Location, Node, Pipe
from ecograph.render import render
from ecograph.validate import check, load, loads, schema

__version__ = "0.1.0"

__all__ = [
    "CURRENCIES",
    "NODE_KINDS",
    "PERIODS",
    "Diagnostic",
    "EcographError",
    "Ecosystem",
    "ExitCode",
    "Location",
    "MapError",
    "Node",
    "Pipe",
    "UsageError",
    "__version__",
    "bottlenecks",
    "centrality",
    "check",
    "dependency",
    "diagnose",
    "flow",
    "flow_layer",
    "load",
    "loads",
    "max_flow",
    "reach",
    "render",
    "schema",
    "to_graph",
]
