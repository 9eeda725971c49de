"""``ecograph render``: the command-line mirror of :func:`ecograph.render.render`."""

from __future__ import annotations

import click

from ecograph.cli.main import cli, load_map, map_argument
from ecograph.errors import one_line
from ecograph.render.metrics import METRICS

__all__ = ["render"]

_SUFFIX_FORMATS = {".png": "png", ".svg": "svg", ".html": "html", ".htm": "html"}


@cli.command()
@map_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (replaced only once the new one is complete).",
)
@click.option(
    "--size-by",
    type=click.Choice(METRICS),
    default="users",
    show_default=True,
    help="Node size (area grows with the value): users, volume (traffic through the node), "
    "pipes, a centrality of the traffic layer (degree, pagerank...), throughflow, or "
    "revenue or net (see 'ecograph value').",
)
@click.option(
    "--highlight",
    type=click.Choice(["bottlenecks", "blocked", "empty"]),
    help="Make these pipes stand out, everything else dimmed (page and picture; on the page "
    "the legend's mark starts ticked): bottlenecks, the pipes of a minimum cut between the "
    "map's sources and --to; blocked pipes; empty pipes (open but volume 0, or into a node "
    "no source reaches, as 'ecograph diagnose' calls an empty pipe).",
)
@click.option("--to", metavar="NODE", help="Target node of --highlight bottlenecks.")
@click.option(
    "--collapse",
    metavar="GROUP",
    multiple=True,
    help="Start with this group collapsed into one node (repeatable).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    help="Show this many levels of nesting; deeper groups start collapsed (0: top level only).",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Node budget: above it, each group's long tail is folded into one summary node.",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "force", "hierarchical", "flow"]),
    default="auto",
    show_default=True,
    help="force: groups as rings, relaxed so pipes pull their ends together; hierarchical: "
    "platform on top; flow: layers from sources (left) to sinks (right), cycles as arcs; "
    "auto: flow when at most 20% of its currency's volume runs back against the layers and "
    "it crosses no more pipes than force, else force (the page says which and why). The "
    "page opens on the same positions as the PNG/SVG (Unfreeze starts its physics).",
)
@click.option(
    "--view",
    type=click.Choice(["map", "sankey"]),
    default="map",
    show_default=True,
    help="What the page opens on: the map, or the Sankey view of one currency's flows "
    "(band width: volume; cycles drawn as loops); the page switches between them. "
    "A PNG/SVG picture draws the view asked for.",
)
@click.option(
    "--currency",
    type=click.Choice(["traffic", "capital", "goods", "data"]),
    help="Currency of the Sankey view. Default: traffic when it has volumes, else the "
    "currency with the most pipes.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "png", "svg"]),
    help="html: interactive page that works offline; png/svg: static picture. "
    "Default: from the output's suffix, else html.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: render again whenever the map or a file it includes changes; an "
    "HTML page is also served on 127.0.0.1 and reloads itself (Ctrl-C stops).",
)
def render(
    map_path: str,
    output: str,
    size_by: str,
    highlight: str | None,
    to: str | None,
    collapse: tuple[str, ...],
    depth: int | None,
    max_nodes: int,
    layout: str,
    view: str,
    currency: str | None,
    fmt: str | None,
    watch: bool,
) -> None:
    """Draw a map: one self-contained HTML page (or a PNG/SVG picture).

    The page needs no network: open it from disk or mail it. Nodes are coloured
    and shaped by kind, pipes styled by currency; groups collapse and expand;
    search, filters, tooltips and a legend are built in. The map file is only read.
    Given a series (ecograph-series: 1) instead of a map, draws one page with a time
    slider over its snapshots: positions stay put, nodes that enter or leave are marked.

    Example: ecograph render ecosystems/alibaba.yaml -o alibaba.html --size-by volume

    Example: ecograph render ecosystems/alibaba.yaml -o flows.html --view sankey --currency goods
    """
    from pathlib import Path

    from ecograph.render import render as draw

    if (highlight == "bottlenecks") != (to is not None):
        raise click.UsageError("--highlight bottlenecks and --to NODE go together")
    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(Path(output).suffix.lower(), "html")
    from ecograph.series import is_series

    if is_series(map_path):
        from ecograph.cli.trend import render_series_command

        if highlight is not None or fmt != "html" or watch or view != "map" or currency:
            raise click.UsageError(
                "a series draws an HTML page of the map only, without --highlight, --watch, "
                "--view sankey or --currency"
            )
        render_series_command(
            map_path,
            output,
            size_by=size_by,
            collapse=collapse,
            depth=depth,
            max_nodes=max_nodes,
            layout=layout,
        )
        return
    if watch:
        from ecograph.render.watch import watch as keep_rendering

        keep_rendering(
            lambda: load_map(map_path),
            output,
            options={
                "size_by": size_by,
                "highlight": highlight,
                "to": to,
                "collapse": collapse,
                "depth": depth,
                "max_nodes": max_nodes,
                "layout": layout,
                "view": view,
                "currency": currency,
            },
            fmt=fmt,
            echo=lambda line: click.echo(line),
            complain=lambda line: click.echo(one_line(line), err=True),
        )
        return
    eco = load_map(map_path)
    result = draw(
        eco,
        output,
        size_by=size_by,
        highlight=highlight,
        to=to,
        collapse=collapse,
        depth=depth,
        max_nodes=max_nodes,
        layout=layout,
        view=view,
        currency=currency,
        format=fmt,
    )
    drawing = result.drawing
    click.echo(
        f"{output}: {len(drawing.nodes):,} nodes and {len(drawing.edges):,} pipes drawn "
        f"({drawing.map_nodes:,} and {drawing.map_pipes:,} in the map)"
    )
    for note in drawing.notes:
        click.echo(f"  {note}")
