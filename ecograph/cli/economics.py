"""``ecograph cheapest``, ``funnel`` and ``value``: mirrors of the traffic-economics analyses.

Flags are the keyword names of :func:`ecograph.analysis.cheapest`,
:func:`ecograph.analysis.funnel` and :func:`ecograph.analysis.value`
(``--from`` is ``sources``).
"""

from __future__ import annotations

import math

import click

from ecograph.cli.main import (
    Engine,
    cli,
    emit,
    engine_options,
    format_option,
    kind_option,
    load_map,
    map_argument,
)

__all__ = ["cheapest", "funnel", "value"]


def _demand(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """``--demand``: a finite number, 0 or more (anything else is a usage error, exit 2)."""
    try:
        number = float(value.replace("_", ""))
    except ValueError:
        raise click.BadParameter(f"expected a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise click.BadParameter(f"expected a finite number, 0 or more; got {value!r}")
    return number


@cli.command()
@map_argument
@click.option("--to", "to", required=True, metavar="NODE", help="The node the traffic must reach.")
@click.option(
    "--demand",
    required=True,
    metavar="X",
    callback=_demand,
    help="Units per period to deliver (a finite number, 0 or more).",
)
@click.option(
    "--from",
    "--sources",
    "sources",
    multiple=True,
    metavar="NODE",
    help="A source node (repeatable). Default: every node with boundary inflow of --currency.",
)
@kind_option
@format_option
def cheapest(
    map_path: str, to: str, demand: float, sources: tuple[str, ...], kind: str, fmt: str
) -> None:
    """The least-cost way to deliver --demand units per period to a node.

    A min-cost flow from the sources through open pipes within their
    capacities, paying each pipe's cost per unit (a pipe without cost is
    free). When the pipes cannot carry the demand, the max-flow is delivered
    and the shortfall reported. marginal_cost: what one more unit would cost
    (inf, null in JSON, when no more can be delivered).

    Example: ecograph cheapest ecosystems/alibaba.yaml --to shaanxi-apples --demand 4000000
    """
    from ecograph.analysis.cheapest import cheapest as run

    eco = load_map(map_path)
    result = run(eco, to, demand=demand, sources=list(sources) or None, currency=kind)
    emit(result, fmt, key_name="source")


@cli.command()
@map_argument
@click.option(
    "--node",
    "--target",
    "target",
    required=True,
    metavar="NODE",
    help="Node whose visitors are examined. --target is its former name.",
)
@kind_option
@format_option
def funnel(map_path: str, target: str, kind: str, fmt: str) -> None:
    """Per source pool: visits reaching a node, orders, revenue and cost per visit.

    For each pool whose traffic reaches --node (traced in proportion to the
    pipes' volumes, cycles included): visits arriving there, converted (by the
    conversion of the pipes they arrive on), revenue (converted x the
    target's price), cost_paid (what the target pays for them), cost_route
    (what the whole route costs, whoever pays), per visit, and the pool's
    domain (public or private). The cheapest and most valuable traffic is the
    pool with the lowest cost_per_visit and the highest revenue_per_visit.

    Example: ecograph funnel ecosystems/alibaba.yaml --node shaanxi-apples
    """
    from ecograph.analysis.funnel import funnel as run

    eco = load_map(map_path)
    result = run(eco, target, currency=kind)
    if fmt != "json":  # one table: the pools, then their total
        emit(
            {
                "target": result.target,
                "price": result.price,
                "sources": {**result.sources, "(total)": result.total},
            },
            fmt,
            key_name="pool",
        )
    else:
        emit(result, fmt, key_name="pool")


@cli.command()
@map_argument
@click.option(
    "--by-group",
    is_flag=True,
    help="Roll up per sub-ecosystem and per giant, and judge each partner-host relation.",
)
@kind_option
@format_option
@engine_options
def value(map_path: str, by_group: bool, kind: str, fmt: str, engine: Engine) -> None:
    """Who earns what: orders, revenue, pipe costs paid and received, net, per node.

    received: --currency arriving through open pipes; converted: that times each
    pipe's conversion; revenue: converted x the node's price; spend: pipe
    costs it pays (volume x cost; the receiver pays unless paid_by: from);
    income: pipe costs paid to it; net = revenue + income - spend (the nets
    add up to the total revenue); capital_in and capital_out kept apart.
    With --by-group: sums per sub-ecosystem and per giant, and per partner
    and its host whether both come out ahead (aligned).

    Example: ecograph value ecosystems/xiaomi.yaml --by-group
    """
    from ecograph.analysis.value import value as run

    if engine.spark:
        from ecograph import spark

        if by_group:
            raise engine.refuse("value --by-group")
        result = spark.value(engine.load(map_path), currency=kind)
    else:
        result = run(load_map(map_path), by_group=by_group, currency=kind)
    if not by_group and fmt != "json":
        emit({"nodes": result.nodes}, fmt)  # one table of nodes (a mapping of records)
    else:
        emit(result, fmt)
