"""``ecograph bottlenecks`` and ``ecograph centrality``: mirrors of the analyses of the same name.

Flags are the keyword names of :func:`ecograph.analysis.bottlenecks` and
:func:`ecograph.analysis.centrality` (``--from`` is ``sources``).
"""

from __future__ import annotations

import click

from ecograph.analysis.bottlenecks import bottlenecks as find_bottlenecks
from ecograph.analysis.centrality import DEFAULT_ALPHA, METRICS
from ecograph.analysis.centrality import centrality as rank
from ecograph.cli.main import (
    Engine,
    FiniteFloatRange,
    cli,
    emit,
    engine_options,
    format_option,
    kind_option,
    load_map,
    map_argument,
)

__all__ = ["bottlenecks", "centrality"]


@cli.command()
@map_argument
@click.option("--to", "to", required=True, metavar="NODE", help="The node the traffic must reach.")
@click.option(
    "--from",
    "--sources",
    "sources",
    multiple=True,
    metavar="NODE",
    help="A source node (repeatable). Default: every node with boundary inflow of --currency.",
)
@click.option(
    "--threshold",
    type=FiniteFloatRange(min=0, min_open=True),
    default=0.9,
    show_default=True,
    help="A pipe is saturated when its volume is at least this share of its capacity.",
)
@kind_option
@format_option
def bottlenecks(
    map_path: str, to: str, sources: tuple[str, ...], threshold: float, kind: str, fmt: str
) -> None:
    """Find the pipes that limit the traffic reaching a node.

    Prints the max-flow from the sources to --to under pipe capacities, the
    minimum-cut pipes that set it (nearest the target) with how much widening
    each would add, the pipes at or above --threshold of their capacity, the
    blocked pipes with water upstream, and the empty pipes (no water upstream).
    Only pipes leading toward --to are listed. A pipe without capacity is
    unbounded (max_flow inf, or null in JSON).

    Example: ecograph bottlenecks ecosystems/toutiao.yaml --to stool-maker
    """
    eco = load_map(map_path)
    result = find_bottlenecks(
        eco, to, sources=list(sources) or None, currency=kind, threshold=threshold
    )
    emit(result, fmt, key_name="pipe")


@cli.command()
@map_argument
@click.option(
    "--metric",
    required=True,
    type=click.Choice(METRICS),
    help="The centrality to compute (degrees count connections; the rest are volume-weighted).",
)
@click.option(
    "--by-group",
    is_flag=True,
    help="Contract members into their sub-ecosystem (volumes summed) and rank the groups.",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N highest values.")
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    help="Betweenness only: estimate from K randomly chosen source nodes.",
)
@click.option("--seed", type=int, help="Seed of the --samples draw (same as networkx's).")
@click.option(
    "--alpha",
    type=FiniteFloatRange(0, 1, min_open=True, max_open=True),
    help=f"PageRank damping or Katz attenuation [default: {DEFAULT_ALPHA}].",
)
@kind_option
@format_option
@engine_options
def centrality(
    map_path: str,
    metric: str,
    by_group: bool,
    top: int | None,
    samples: int | None,
    seed: int | None,
    alpha: float | None,
    kind: str,
    fmt: str,
    engine: Engine,
) -> None:
    """Rank nodes (or sub-ecosystems) by a centrality of one currency layer.

    Volume-weighted: a pipe carrying twice the traffic counts twice, and for
    betweenness and closeness a pipe's length is 1/volume (wide pipes are short
    roads). A layer without volumes is measured unweighted. Highest first.

    With --engine spark: pagerank, degree, in-degree and out-degree.

    Example: ecograph centrality ecosystems/china-internet.yaml --metric pagerank --top 10
    """
    if samples is not None and metric != "betweenness":
        raise click.UsageError("--samples goes with --metric betweenness")
    if engine.spark:
        from ecograph import spark

        if metric not in spark.METRICS:
            raise engine.refuse(f"--metric {metric}")
        if by_group:
            raise engine.refuse("--by-group")
        result = spark.centrality(
            engine.load(map_path), metric, currency=kind, top=top, alpha=alpha
        )
        emit(result, fmt, key_name="node")
        return
    eco = load_map(map_path)
    result = rank(
        eco,
        metric,
        currency=kind,
        by_group=by_group,
        top=top,
        samples=samples,
        seed=seed,
        alpha=alpha,
    )
    emit(result, fmt, key_name="group" if by_group else "node")
