"""``ecograph report``: the command-line mirror of :func:`ecograph.render.report.report`."""

from __future__ import annotations

import click

from ecograph.analysis.centrality import METRICS
from ecograph.cli.main import cli, kind_option, load_map, map_argument
from ecograph.render.describe import DEFAULT_MAX_NODES

__all__ = ["report"]


@cli.command()
@map_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="HTML file to write (replaced only once the new one is complete).",
)
@kind_option
@click.option(
    "--metric",
    type=click.Choice(METRICS),
    default="pagerank",
    show_default=True,
    help="Centrality ranked in the report (volume-weighted where it takes weights).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Length of each ranking; the long tail's share is the tail beyond this many.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Node budget of the map: above it, each group's long tail is folded into one node.",
)
@click.option(
    "--no-diagnosis",
    is_flag=True,
    help="Leave the diagnosis out (it is in by default, at any size).",
)
def report(
    map_path: str,
    output: str,
    kind: str,
    metric: str,
    top: int,
    max_nodes: int,
    no_diagnosis: bool,
) -> None:
    """Write one self-contained HTML report of a map, to read, forward or print.

    The page holds the map's counts, the interactive map (as 'ecograph render'
    draws it), the flow indices with their meaning, the diagnosis of every
    partner, producer and channel (most severe first), the top nodes by a
    centrality metric and by traffic received, and the long-tail chart with its
    Gini and shares. It loads nothing from the network and runs no script of
    its own; labels are shown as text. The map file is only read.

    Example: ecograph report ecosystems/alibaba.yaml -o alibaba-report.html
    """
    from ecograph.render.report import report as write_report

    eco = load_map(map_path)
    path = write_report(
        eco,
        output,
        currency=kind,
        metric=metric,
        top=top,
        max_nodes=max_nodes,
        diagnosis=not no_diagnosis,
    )
    click.echo(
        f"{path}: report on {eco.title} ({len(eco.nodes):,} nodes, {len(eco.pipes):,} pipes; "
        f"{kind}, top {top} by {metric})",
        err=True,
    )
