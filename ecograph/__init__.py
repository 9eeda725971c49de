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

from ecograph._version import __version__
from ecograph.analysis import (
    FitReport,
    LongTail,
    bottlenecks,
    centrality,
    dependency,
    diagnose,
    fit,
    flow,
    longtail,
    max_flow,
    reach,
)
from ecograph.cache import check, load
from ecograph.compare import compare, diff, whatif
from ecograph.errors import Diagnostic, EcographError, ExitCode, MapError, UsageError
from ecograph.exchange import export, import_tables, load_tables
from ecograph.graph import flow_layer, to_graph
from ecograph.model import CURRENCIES, NODE_KINDS, PERIODS, Ecosystem, Location, Node, Pipe
from ecograph.render import render
from ecograph.render.charts import chart as longtail_chart
from ecograph.render.report import report
from ecograph.scenario import Scenario, load_scenario, loads_scenario
from ecograph.scenario import apply as apply_scenario
from ecograph.validate import loads, schema

__all__ = [
    "CURRENCIES",
    "NODE_KINDS",
    "PERIODS",
    "Diagnostic",
    "EcographError",
    "Ecosystem",
    "ExitCode",
    "FitReport",
    "Location",
    "LongTail",
    "MapError",
    "Node",
    "Pipe",
    "Scenario",
    "UsageError",
    "__version__",
    "apply_scenario",
    "bottlenecks",
    "centrality",
    "check",
    "compare",
    "dependency",
    "diagnose",
    "diff",
    "export",
    "fit",
    "flow",
    "flow_layer",
    "import_tables",
    "load",
    "load_scenario",
    "load_tables",
    "loads",
    "loads_scenario",
    "longtail",
    "longtail_chart",
    "max_flow",
    "reach",
    "render",
    "report",
    "schema",
    "to_graph",
    "whatif",
]
