"""What the legend and the notes under the title say about a drawing."""

from __future__ import annotations

import math

from ecograph.model import CURRENCIES, NODE_KINDS, Ecosystem
from ecograph.render import style
from ecograph.render.drawing import DrawnEdge, DrawnNode, Fold, LegendEntry
from ecograph.render.pipes import PipePlan
from ecograph.render.style import compact

__all__ = ["legend_entries", "notes_for"]


def legend_entries(
    eco: Ecosystem,
    nodes: list[DrawnNode],
    edges: list[DrawnEdge],
    to: str | None,
) -> tuple[LegendEntry, ...]:
    """The legend: each kind and currency drawn, then the marks used, with counts.

    Marks: ``blocked``, ``empty`` (see
    :func:`ecograph.analysis.diagnose.empty_pipes`), ``bottleneck``; each is a
    checkbox on the page that makes its pipes stand out.

    Parameters
    ----------
    eco : Ecosystem
        For the currencies' units.
    nodes, edges : list
        What is drawn.
    to : str or None
        The bottleneck target, for the wording of its mark.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> from ecograph.render.drawing import DrawnEdge, DrawnNode
    >>> n = DrawnNode("a", "a", "pool", None, 0, 0.0, 0.0, 10.0, None, "#56B4E9", "triangleDown")
    >>> e = DrawnEdge("p", "a", "a", "data", None, 1.0, "#000", (), blocked=True)
    >>> [(x.section, x.key, x.count) for x in legend_entries(Ecosystem("m"), [n], [e], None)]
    [('kind', 'pool', 1), ('currency', 'data', 1), ('mark', 'blocked', 1)]
    """
    entries: list[LegendEntry] = []
    kinds: dict[str, int] = {}
    for node in nodes:
        kinds[node.kind] = kinds.get(node.kind, 0) + 1
    for kind in (*NODE_KINDS, "fold"):
        if kind in kinds:
            look = style.KIND_STYLES.get(kind, style.FOLD_STYLE)
            text = "folded long tail (+N)" if kind == "fold" else kind
            entries.append(LegendEntry("kind", kind, text, look.color, look.shape, (), kinds[kind]))
    currencies: dict[str, int] = {}
    blocked = bottleneck = empty = 0
    for edge in edges:
        currencies[edge.currency] = currencies.get(edge.currency, 0) + 1
        blocked += edge.blocked
        bottleneck += edge.bottleneck
        empty += edge.empty
    for currency in CURRENCIES:
        if currency in currencies:
            look_c = style.CURRENCY_STYLES[currency]
            unit = f" ({eco.units[currency]})" if currency in eco.units else ""
            entries.append(
                LegendEntry(
                    "currency",
                    currency,
                    currency + unit,
                    look_c.color,
                    "line",
                    look_c.dashes,
                    currencies[currency],
                )
            )
    if blocked:
        entries.append(
            LegendEntry("mark", "blocked", "blocked pipe", style.BLOCKED_COLOR, "line", (), blocked)
        )
    if empty:
        entries.append(
            LegendEntry(
                "mark",
                "empty",
                "empty pipe (no water: volume 0, or no source reaches it)",
                style.EMPTY_COLOR,
                "line",
                (),
                empty,
            )
        )
    if bottleneck:
        entries.append(
            LegendEntry(
                "mark",
                "bottleneck",
                f"on a minimum cut to {to}",
                style.BOTTLENECK_COLOR,
                "line",
                (),
                bottleneck,
            )
        )
    return tuple(entries)


def notes_for(
    eco: Ecosystem,
    folds: list[Fold],
    edges: list[DrawnEdge],
    to: str | None,
    flow: float | None,
    max_nodes: int,
    drawn: int,
    pipe_plan: PipePlan,
    highlight: str | None = None,
) -> tuple[str, ...]:
    """Sentences shown under the title: what was folded or left out, blocked pipes, the cut.

    Examples
    --------
    >>> from ecograph.model import Ecosystem
    >>> from ecograph.render.pipes import PipePlan
    >>> notes_for(Ecosystem("m"), [], [], None, None, 2000, 0, PipePlan([], [], [], 3, {}))
    ('To keep the page quick, the 3 smallest pipes are not drawn; node tooltips still count them.',)
    """
    notes = []
    if folds:
        folded = sum(f.count for f in folds)
        notes.append(
            f"This map has {len(eco.nodes):,} nodes, more than the budget of {max_nodes:,}: "
            f"the long tails of {len(folds):,} group{'s' if len(folds) != 1 else ''} "
            f"({folded:,} nodes) are folded into summary nodes, so {drawn:,} nodes are drawn."
        )
    if pipe_plan.left_out:
        volume = ", ".join(f"{compact(v)} {c}" for c, v in pipe_plan.left_out_volume.items())
        notes.append(
            f"To keep the page quick, the {pipe_plan.left_out:,} smallest pipes are not drawn"
            + (f" ({volume} per {eco.period} in all)" if volume else "")
            + "; node tooltips still count them."
        )
    blocked = sum(e.pipes for e in edges if e.blocked)
    if blocked:
        notes.append(f"{blocked:,} blocked pipe{'s are' if blocked != 1 else ' is'} drawn red.")
    if highlight in ("blocked", "empty"):
        count = sum(e.pipes for e in edges if getattr(e, highlight))
        notes.append(
            f"Highlighted: the {count:,} {highlight} pipe{'s' if count != 1 else ''}"
            + (
                ", everything else dimmed (untick the mark in the legend to see all)."
                if count
                else ": there are none."
            )
        )
    if to is not None:
        target = eco.nodes[to].label
        cut = sum(e.pipes for e in edges if e.bottleneck)
        if flow is not None and math.isinf(flow):
            notes.append(
                f"Traffic to {target} is not limited: a path of pipes without capacity "
                "reaches it, so no minimum cut is marked."
            )
        elif not cut:
            notes.append(f"No traffic can reach {target} from the map's sources: nothing is cut.")
        else:
            notes.append(
                f"Pink: the {cut:,} pipe{'s' if cut != 1 else ''} of a minimum cut to {target}; "
                f"at most {compact(flow)} traffic per {eco.period} can reach it."
            )
    return tuple(notes)
