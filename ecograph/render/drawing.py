"""The plain description of a drawn map: frozen, JSON-ready, testable without a browser.

:func:`ecograph.render.describe` builds a :class:`Drawing`; the HTML page and
the static picture only turn it into pixels. Every user string here is plain
text: whoever shows it must show it as text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Drawing", "DrawnEdge", "DrawnNode", "Fold", "Group", "LegendEntry"]

#: Tooltip content: (name, value) rows, both plain text.
Rows = tuple[tuple[str, str], ...]


def _num(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class DrawnNode:
    """One node as drawn.

    Attributes
    ----------
    id : str
        The map's node id, or a generated id for a fold summary node.
    label : str
    kind : str
        A node kind, or ``"fold"`` for a summary of a folded long tail.
    parent : str or None
        The drawn group it belongs to (its parent in the map).
    depth : int
        Nesting depth (0 for top-level nodes).
    x, y : float
        Precomputed position (whole screen units, y down): where the page opens
        and the picture draws it.
    size : float
        Radius in screen units.
    value : float or None
        The size metric's value (None: the node has none).
    color, shape : str
        Fill colour and vis-network shape.
    stands_for : int
        How many map nodes this drawn node stands for (1; N for a summary).
    tooltip : tuple of (str, str)
        Rows of the tooltip, as text.
    """

    id: str
    label: str
    kind: str
    parent: str | None
    depth: int
    x: float
    y: float
    size: float
    value: float | None
    color: str
    shape: str
    stands_for: int = 1
    tooltip: Rows = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the node as JSON-ready data."""
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "parent": self.parent,
            "depth": self.depth,
            "x": self.x,
            "y": self.y,
            "size": self.size,
            "value": _num(self.value),
            "color": self.color,
            "shape": self.shape,
            "stands_for": self.stands_for,
            "tooltip": [list(row) for row in self.tooltip],
        }


@dataclass(frozen=True, slots=True)
class DrawnEdge:
    """One pipe as drawn (or several folded pipes rolled into one).

    Attributes
    ----------
    id : str
        The pipe's key, or a generated id for rolled-up pipes.
    source, target : str
        Drawn node ids; the arrow points at ``target``.
    currency : str
    volume : float or None
        Volume per period (summed over rolled-up pipes; None when not given).
    width : float
        Line width, from volume, scaled per currency.
    color : str
    dashes : tuple of float
        Dash pattern of the currency; empty for solid.
    curve : float
        Signed roundness of the curve: 0 straight; parallel pipes between the
        same two nodes get different values so they are drawn apart
        (positive bends clockwise, seen from source to target).
    blocked, bottleneck : bool
    pipes : int
        How many map pipes it stands for.
    label : str or None
    tooltip : tuple of (str, str)
    empty : bool
        Open but holding no water: volume 0, or leading into a node no source
        reaches (:func:`ecograph.analysis.diagnose.empty_pipes`; a rolled-up
        edge when all its pipes are).
    """

    id: str
    source: str
    target: str
    currency: str
    volume: float | None
    width: float
    color: str
    dashes: tuple[float, ...]
    curve: float = 0.0
    blocked: bool = False
    bottleneck: bool = False
    pipes: int = 1
    label: str | None = None
    tooltip: Rows = ()
    empty: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the edge as JSON-ready data."""
        return {
            "id": self.id,
            "from": self.source,
            "to": self.target,
            "currency": self.currency,
            "volume": _num(self.volume),
            "width": self.width,
            "color": self.color,
            "dashes": list(self.dashes),
            "curve": self.curve,
            "blocked": self.blocked,
            "bottleneck": self.bottleneck,
            "pipes": self.pipes,
            "label": self.label,
            "tooltip": [list(row) for row in self.tooltip],
            "empty": self.empty,
        }


@dataclass(frozen=True, slots=True)
class Group:
    """A drawn node that has members: it can be collapsed into itself.

    Attributes
    ----------
    id : str
    label : str
    kind : str
    depth : int
    members : tuple of str
        Drawn ids of every member, members of members included.
    collapsed : bool
        Whether the page starts with it collapsed.
    """

    id: str
    label: str
    kind: str
    depth: int
    members: tuple[str, ...]
    collapsed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the group as JSON-ready data."""
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "depth": self.depth,
            "members": list(self.members),
            "collapsed": self.collapsed,
        }


@dataclass(frozen=True, slots=True)
class Fold:
    """The long tail of one group, folded into one summary node.

    Attributes
    ----------
    group : str or None
        The group whose members were folded (None: top-level nodes).
    node : str
        Id of the summary node.
    kinds : tuple of (str, int)
        How many nodes of each kind were folded.
    volume : tuple of (str, float)
        Volume per currency of the folded nodes' pipes (each pipe counted once).
    pipes : int
        Pipes that touch a folded node.
    ids : tuple of str
        The folded node ids, largest first.
    """

    group: str | None
    node: str
    kinds: tuple[tuple[str, int], ...]
    volume: tuple[tuple[str, float], ...]
    pipes: int
    ids: tuple[str, ...]

    @property
    def count(self) -> int:
        """Number of folded nodes."""
        return len(self.ids)

    def to_dict(self) -> dict[str, Any]:
        """Return the fold as JSON-ready data."""
        return {
            "group": self.group,
            "node": self.node,
            "count": self.count,
            "kinds": dict(self.kinds),
            "volume": dict(self.volume),
            "pipes": self.pipes,
            "ids": list(self.ids),
        }


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One line of the legend.

    Attributes
    ----------
    section : {"kind", "currency", "mark"}
    key : str
        The kind, currency or mark (``blocked``, ``empty``, ``bottleneck``).
    text : str
        What the page shows.
    color : str
    shape : str
        vis-network shape for kinds; ``"line"`` for currencies and marks.
    dashes : tuple of float
    count : int
        How many drawn nodes or edges it applies to.
    """

    section: str
    key: str
    text: str
    color: str
    shape: str
    dashes: tuple[float, ...] = ()
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data."""
        return {
            "section": self.section,
            "key": self.key,
            "text": self.text,
            "color": self.color,
            "shape": self.shape,
            "dashes": list(self.dashes),
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything the page shows, before any HTML.

    Attributes
    ----------
    title, name, period : str
    files : tuple of str
        Source files of the map, root first.
    description : str or None
    nodes : tuple of DrawnNode
    edges : tuple of DrawnEdge
    groups : tuple of Group
        Outermost first.
    folds : tuple of Fold
        Empty unless the map was larger than the node budget.
    legend : tuple of LegendEntry
    size_by : str
    size_text, width_text : str
        What node size and pipe width mean, for the legend.
    layout : {"force", "hierarchical", "flow"}
        The layout drawn (what ``layout="auto"`` chose, or the one asked for).
    physics : bool
        Whether the page starts with physics running: never, since the page
        opens on the drawing's positions (its Unfreeze button starts it).
    map_nodes, map_pipes : int
        Size of the map itself (before folding).
    max_nodes : int
        The node budget used.
    notes : tuple of str
        Sentences the page shows under the title (what was folded, highlights).
    units : tuple of (str, str)
        The map's display unit of each currency that has one.
    view : {"map", "sankey"}
        The view the page opens on.
    currency : str or None
        The currency the Sankey view opens on (None: traffic when it has
        flows, else the currency with the most; see
        :func:`ecograph.render.sankey.main_currency`).
    layout_reason : str or None
        With ``layout="auto"``: which view was chosen and why, in one sentence.
    highlight : {None, "bottlenecks", "blocked", "empty"}
        The mark that starts ticked: its pipes stand out, the rest is dimmed.
    """

    title: str
    name: str
    period: str
    files: tuple[str, ...]
    description: str | None
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]
    groups: tuple[Group, ...]
    folds: tuple[Fold, ...]
    legend: tuple[LegendEntry, ...]
    size_by: str
    size_text: str
    width_text: str
    layout: str
    physics: bool
    map_nodes: int
    map_pipes: int
    max_nodes: int
    notes: tuple[str, ...] = field(default=())
    units: tuple[tuple[str, str], ...] = field(default=())
    view: str = "map"
    currency: str | None = None
    layout_reason: str | None = None
    highlight: str | None = None

    def node(self, node_id: str) -> DrawnNode:
        """The drawn node with this id (KeyError if there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole drawing as JSON-ready data (what the page embeds)."""
        return {
            "title": self.title,
            "name": self.name,
            "period": self.period,
            "files": list(self.files),
            "description": self.description,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "groups": [g.to_dict() for g in self.groups],
            "folds": [f.to_dict() for f in self.folds],
            "legend": [e.to_dict() for e in self.legend],
            "size_by": self.size_by,
            "size_text": self.size_text,
            "width_text": self.width_text,
            "layout": self.layout,
            "physics": self.physics,
            "map_nodes": self.map_nodes,
            "map_pipes": self.map_pipes,
            "max_nodes": self.max_nodes,
            "notes": list(self.notes),
            "units": dict(self.units),
            "view": self.view,
            "currency": self.currency,
            "layout_reason": self.layout_reason,
            "highlight": self.highlight,
        }
