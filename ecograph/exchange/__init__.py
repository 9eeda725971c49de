"""Exports and imports: GraphML, GEXF, node-link JSON, CSV tables, and CSV tables to a map.

Exports (:func:`export`, or the in-memory :func:`to_graphml`, :func:`to_gexf`,
:func:`to_node_link`, :func:`to_tables`):

GraphML and GEXF
    Written by networkx from :func:`to_flat_graph`, whose attributes are all
    text, numbers or booleans (the XML formats hold nothing else):

    * graph: ``name``, ``title``, ``period``, ``description`` (if given) and
      ``unit_<currency>`` per unit. GEXF keeps only ``name`` on the graph; the
      title, period and units go into ``<meta><description>``.
    * nodes: the id; ``label`` (GEXF's node label); ``kind``; ``parent`` (if
      any); ``group`` — the nearest sub-ecosystem containing the node (itself if
      it is one), else its top-level node; ``giant`` — its top-level node (itself
      at the top); ``depth`` — nesting depth, 0 at the top. ``group``, ``giant``
      and ``kind`` are what Gephi's *Partition* colouring uses. ``users``,
      ``inflow_<currency>`` and ``outflow_<currency>`` (floats), ``tags`` and
      ``genes`` (words joined by ``"; "``, or a JSON list when a word contains
      ``;``, see :mod:`ecograph.exchange._cells`), ``description``, ``source``,
      ``attr_<key>`` per free-form attribute (text, numbers and booleans as they
      are, lists and mappings as JSON text; when one key has numbers and text on
      different nodes, all its values become text, and whole numbers mixed with
      fractions all become floats).
    * GEXF also gives each member node ``pid`` (its parent), GEXF 1.2's
      hierarchy, with parents written before their members. Gephi 0.9 and later
      ignore ``pid`` (they dropped hierarchies); partition by ``group`` or
      ``giant`` instead.
    * edges (one per pipe, parallel pipes kept): the id is the pipe key;
      ``kind`` (currency), ``status``, ``volume``, ``capacity``, ``conversion``,
      ``cost`` (floats), ``label``, ``description``, ``source``, ``attr_<key>``;
      and ``weight`` = volume for an open pipe with volume above 0 (Gephi draws
      edge width from it, and drops edges of weight 0).
    * a value the map does not give is left out (no empty text, no 0): a GraphML
      reader sees the key's absence, networkx gives no attribute; GEXF the same.
      Characters XML cannot hold (control characters other than tab and line
      breaks) become U+FFFD, in ids, attribute names and text alike; when that
      would make two node ids, two pipe ids or two attribute names the same,
      the export is refused (:class:`~ecograph.errors.UsageError`) instead of
      merging them. NaN and infinities in ``attrs`` are written as GraphML
      ``nan``/``inf``/``-inf`` and GEXF ``NaN``/``INF``/``-INF``, which
      networkx's readers give back as floats.

node-link JSON
    ``networkx.node_link_data(eco.graph, edges="edges")``: every attribute of the
    graph contract (:mod:`ecograph.graph`) as plain JSON — lists stay lists,
    ``attrs`` stays a mapping, text is UTF-8 (not ``\\u`` escapes), and the
    ``capacity`` of an unbounded pipe (``inf``) is ``null``. JSON has no NaN or
    infinity: a map with ``.nan`` or ``.inf`` in its free-form ``attrs`` is
    refused (:class:`~ecograph.errors.UsageError`, naming the node or pipe and
    the key), never written as ``null``; GraphML, GEXF and CSV keep such values.

CSV tables
    A directory with ``nodes.csv`` and ``pipes.csv`` (UTF-8 with a byte order
    mark so Excel reads Chinese correctly; comma separated; one row per node or
    pipe). Columns: see :data:`NODE_COLUMNS` and :data:`PIPE_COLUMNS`;
    ``inflow`` and ``outflow`` are traffic, ``inflow.<currency>`` and
    ``outflow.<currency>`` the other currencies (only those some node uses);
    ``attrs.<key>`` one per free-form attribute. Cell rules are in
    :mod:`ecograph.exchange._cells`. The pipe ``id`` column holds every pipe's
    key, generated or not. ``map.csv`` holds the map's own fields
    (:func:`to_map_table`: name, title, period, description, ``unit.<currency>``),
    which ``ecograph import`` reads when it lies beside ``nodes.csv``, so export
    then import gives back the same map (``ecograph diff`` reports no change).

Import (:func:`import_tables`, :func:`load_tables`, :func:`convert_tables`) reads
exactly those tables back — export then import gives the same nodes and pipes —
and tables written by hand: columns in any order, only ``id``/``kind`` and
``from``/``to`` required, ``;`` or tab separated files too, UTF-8 with or without
a byte order mark. An empty cell is absent (an empty ``label`` is the id).
Text cells are kept exactly, except that ids, ``kind``, ``parent``, ``from``,
``to`` and ``status`` lose surrounding spaces. Number cells read like YAML 1.2
numbers (``5000000``, ``5e6``); ``5,000`` and ``5_000`` are errors with a hint.
Pipe ids the loader would generate anyway (``a->b:traffic``) are left out of the
YAML. Every problem is reported at once, as ``file:line:column`` of the CSV cell.

Examples
--------
>>> import ecograph, io, networkx as nx
>>> eco = ecograph.loads('''
... ecograph: 1
... name: tiny
... nodes:
...   app:   {kind: platform}
...   users: {kind: pool, parent: app, inflow: 100}
...   shop:  {kind: partner, parent: app, outflow: 100, tags: [retail]}
... pipes:
...   - {from: users, to: shop, volume: 100}
... ''')
>>> G = nx.read_graphml(io.BytesIO(to_graphml(eco)), force_multigraph=True)
>>> G.nodes["shop"]["group"], G.nodes["shop"]["tags"]
('app', 'retail')
>>> G.edges["users", "shop", "users->shop:traffic"]["volume"]
100.0
"""

from ecograph.exchange._yaml import tables_map
from ecograph.exchange.export import (
    FORMATS,
    NODE_COLUMNS,
    PIPE_COLUMNS,
    export,
    format_of,
    table_columns,
    to_flat_graph,
    to_gexf,
    to_graphml,
    to_map_table,
    to_node_link,
    to_parquet_tables,
    to_tables,
)
from ecograph.exchange.tables import (
    TableImport,
    convert_tables,
    import_tables,
    load_tables,
    map_data,
    map_yaml,
    read_map_table,
    to_yaml,
)

__all__ = [
    "FORMATS",
    "NODE_COLUMNS",
    "PIPE_COLUMNS",
    "TableImport",
    "convert_tables",
    "export",
    "format_of",
    "import_tables",
    "load_tables",
    "map_data",
    "map_yaml",
    "read_map_table",
    "table_columns",
    "tables_map",
    "to_flat_graph",
    "to_gexf",
    "to_graphml",
    "to_map_table",
    "to_node_link",
    "to_parquet_tables",
    "to_tables",
    "to_yaml",
]
