"""Tooltip rows: every attribute and measure of a node or pipe, as (name, text) pairs.

The rows are plain text; the page puts them into the DOM with ``textContent``,
the static picture does not show them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ecograph.formatting import format_number
from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe
from ecograph.render.drawing import Rows
from ecograph.render.metrics import Totals

__all__ = ["fold_rows", "node_rows", "pipe_rows", "rolled_rows"]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _amounts(eco: Ecosystem, amounts: Mapping[str, float]) -> str:
    return "; ".join(
        f"{currency} {format_number(amounts[currency])}"
        + (f" {eco.units[currency]}" if currency in eco.units else "")
        for currency in sorted(amounts, key=_currency_order)
        if amounts[currency]
    )


def _currency_order(currency: str) -> tuple[int, str]:
    return (CURRENCIES.index(currency) if currency in CURRENCIES else len(CURRENCIES), currency)


def _name(eco: Ecosystem, node_id: str) -> str:
    node = eco.nodes.get(node_id)
    if node is None or node.label == node_id:
        return node_id
    return f"{node.label} ({node_id})"


def _attrs(attrs: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    return ((str(key), _text(value)) for key, value in attrs.items())


def node_rows(
    eco: Ecosystem,
    node: Node,
    totals: Totals,
    metric: tuple[str, float | None] | None,
) -> Rows:
    """Tooltip rows of a map node.

    Parameters
    ----------
    eco : Ecosystem
    node : Node
    totals : Totals
        Its pipe sums (:func:`ecograph.render.metrics.pipe_totals`).
    metric : (name, value) or None
        The size metric, when it is not one of the node's own attributes.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> from ecograph.render.metrics import Totals
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", users=5.0, tags=("x", "<b>"))})
    >>> node_rows(eco, eco.nodes["a"], Totals(), None)[:3]
    (('id', 'a'), ('kind', 'pool'), ('users', '5'))
    """
    per = f" per {eco.period}"
    rows: list[tuple[str, str]] = [("id", node.id), ("kind", node.kind)]
    if node.label != node.id:
        rows.insert(0, ("label", node.label))
    if node.parent is not None:
        rows.append(("member of", _name(eco, node.parent)))
    if node.users is not None:
        rows.append(("users", format_number(node.users)))
    if node.domain is not None:
        owner = eco.owner_of(node.id)
        rows.append(("domain", node.domain + (f" (owner: {_name(eco, owner)})" if owner else "")))
    if node.price is not None:
        money = f" {eco.units['capital']}" if "capital" in eco.units else ""
        rows.append(("price", format_number(node.price) + money))
    if metric is not None:
        rows.append((metric[0], format_number(metric[1])))
    if any(node.inflow.values()):
        rows.append(("inflow" + per, _amounts(eco, node.inflow)))
    if any(node.outflow.values()):
        rows.append(("outflow" + per, _amounts(eco, node.outflow)))
    rows.append(("pipes in / out", f"{totals.pipes_in:,} / {totals.pipes_out:,}"))
    if totals.volume_in:
        rows.append(("volume in" + per, _amounts(eco, totals.volume_in)))
    if totals.volume_out:
        rows.append(("volume out" + per, _amounts(eco, totals.volume_out)))
    if node.tags:
        rows.append(("tags", ", ".join(node.tags)))
    if node.genes:
        rows.append(("genes", ", ".join(node.genes)))
    if node.description:
        rows.append(("description", node.description))
    if node.source:
        rows.append(("source", node.source))
    rows.extend(_attrs(node.attrs))
    if node.location.line:
        rows.append(("defined at", str(node.location)))
    return tuple(rows)


def pipe_rows(eco: Ecosystem, pipe: Pipe, *, bottleneck_to: str | None) -> Rows:
    """Tooltip rows of a map pipe.

    Parameters
    ----------
    eco : Ecosystem
    pipe : Pipe
    bottleneck_to : str or None
        The target of the minimum cut when this pipe is on it.

    Examples
    --------
    >>> from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")})
    >>> rows = dict(pipe_rows(eco, Pipe("k", "a", "b", volume=2.0, capacity=8.0),
    ...                       bottleneck_to=None))
    >>> rows["volume per month"], rows["use of capacity"]
    ('2', '25%')
    """
    per = f" per {eco.period}"
    unit = f" {eco.units[pipe.kind]}" if pipe.kind in eco.units else ""
    rows: list[tuple[str, str]] = []
    if pipe.label:
        rows.append(("label", pipe.label))
    rows += [
        ("pipe", pipe.key),
        ("from", _name(eco, pipe.from_node)),
        ("to", _name(eco, pipe.to_node)),
        ("currency", pipe.kind),
        ("status", pipe.status),
    ]
    rows.append(
        ("volume" + per, "not given" if pipe.volume is None else format_number(pipe.volume) + unit)
    )
    if pipe.capacity is not None:
        rows.append(("capacity" + per, format_number(pipe.capacity) + unit))
        if pipe.volume is not None and pipe.capacity > 0:
            rows.append(("use of capacity", f"{pipe.volume / pipe.capacity:.0%}"))
    if pipe.conversion is not None:
        rows.append(("conversion", format_number(pipe.conversion)))
    if pipe.cost is not None:
        money = f" {eco.units['capital']}" if "capital" in eco.units else ""
        payer = pipe.to_node if pipe.paid_by == "to" else pipe.from_node
        rows.append(("cost per unit", f"{format_number(pipe.cost)}{money}, paid by {payer}"))
    if bottleneck_to is not None:
        rows.append(("bottleneck", f"on a minimum cut to {_name(eco, bottleneck_to)}"))
    if pipe.description:
        rows.append(("description", pipe.description))
    if pipe.source:
        rows.append(("source", pipe.source))
    rows.extend(_attrs(pipe.attrs))
    if pipe.location.line:
        rows.append(("defined at", str(pipe.location)))
    return tuple(rows)


def rolled_rows(
    source: str,
    target: str,
    currency: str,
    volume: float | None,
    pipes: int,
    blocked: int,
    *,
    period: str,
) -> Rows:
    """Tooltip rows of several pipes drawn as one (to or from a folded long tail).

    Examples
    --------
    >>> rolled_rows("a", "+3 partners", "traffic", 9.0, 3, 1, period="day")[0]
    ('pipes', '3 pipes rolled into one')
    """
    rows = [
        ("pipes", f"{pipes:,} pipes rolled into one"),
        ("from", source),
        ("to", target),
        ("currency", currency),
        (f"volume per {period}", "not given" if volume is None else format_number(volume)),
    ]
    if blocked:
        rows.append(("blocked", f"{blocked:,} of {pipes:,}"))
    return tuple(rows)


def fold_rows(
    group_label: str | None,
    kinds: Mapping[str, int],
    volume: Mapping[str, float],
    ids: tuple[str, ...],
    labels: Mapping[str, str],
    *,
    period: str,
    shown: int = 12,
) -> Rows:
    """Tooltip rows of a summary node: what it folded, largest first.

    Examples
    --------
    >>> rows = fold_rows("DingTalk", {"partner": 30}, {"traffic": 5.0},
    ...                  tuple(f"p{i}" for i in range(30)), {}, period="month", shown=2)
    >>> rows[0], rows[-1]
    (('folded', '30 members of DingTalk'), ('…', 'and 28 more'))
    """
    where = f"members of {group_label}" if group_label else "top-level nodes"
    rows: list[tuple[str, str]] = [("folded", f"{len(ids):,} {where}")]
    rows += [(f"{kind}s", f"{count:,}") for kind, count in kinds.items()]
    rows += [
        (f"{currency} per {period}", format_number(amount)) for currency, amount in volume.items()
    ]
    for node_id in ids[:shown]:
        label = labels.get(node_id, node_id)
        rows.append(("largest" if node_id == ids[0] else "", label))
    if len(ids) > shown:
        rows.append(("…", f"and {len(ids) - shown:,} more"))
    return tuple(rows)
