"""``ecograph longtail``: the mirror of :func:`ecograph.analysis.longtail.longtail`."""

from __future__ import annotations

import math
from pathlib import Path

import click

from ecograph.analysis.longtail import DEFAULT_KINDS, LongTail
from ecograph.analysis.longtail import longtail as run_longtail
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
from ecograph.formatting import format_number, to_table
from ecograph.model import NODE_KINDS
from ecograph.render.charts import CHART_FORMATS, CHART_STYLES, chart

__all__ = ["chart_format", "longtail"]

_SUFFIXES = tuple(f".{f}" for f in CHART_FORMATS)


def chart_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: a chart output path must end in .png or .svg (a usage error otherwise)."""
    if value is None:
        return None
    suffix = Path(value).suffix.lower()
    if suffix not in _SUFFIXES:
        raise click.BadParameter(
            f"{value!r} has no chart extension; use one of {', '.join(_SUFFIXES)}",
            ctx=ctx,
            param=param,
        )
    return value


def _pct(share: float) -> str:
    return "-" if math.isnan(share) else f"{100 * share:.1f}%"


def _defined(value: float) -> float | None:
    """None (shown as '-' in tables, empty in CSV) for an undefined share."""
    return None if math.isnan(value) else value


def _summary(result: LongTail) -> str:
    who = " and ".join(f"{k}s" for k in result.kinds)
    where = f" in {result.group}" if result.group else ""
    n = result.n
    lines = [
        f"{result.kind} received per {result.period} by {n:,} {who}{where} "
        f"({result.zero:,} receive none)",
        f"total: {format_number(result.total)}",
        f"gini: {result.gini:.4f}",
        f"top 20% ({result.top20_count:,} of {n:,}) hold: {_pct(result.top20_share)}",
        f"top {result.top:,} hold: {_pct(result.top_share)}; "
        f"tail beyond them: {_pct(result.tail_share)}",
        f"herfindahl: {format_number(_defined(result.herfindahl))}",
        f"nodes for 80%: {format_number(result.nodes_for_80)}",
    ]
    return "\n".join(lines)


@cli.command()
@map_argument
@click.option("--group", metavar="NODE", help="Only the members of this node (recursively).")
@kind_option
@click.option(
    "--node-kind",
    "node_kinds",
    type=click.Choice(list(NODE_KINDS)),
    multiple=True,
    help=f"Node kind to measure (repeatable). Default: {', '.join(DEFAULT_KINDS)}.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="N of the tail share: the share held by all but the N largest nodes.",
)
@format_option
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Table only: list this many nodes, largest first (0: all).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    callback=chart_format,
    help="Also write a chart here: .png or .svg (replaced only once complete).",
)
@click.option(
    "--chart",
    "style",
    type=click.Choice(list(CHART_STYLES)),
    default="pareto",
    show_default=True,
    help="pareto: sorted bars and cumulative share; lorenz: Lorenz curve with the Gini.",
)
@engine_options
def longtail(
    map_path: str,
    group: str | None,
    kind: str,
    node_kinds: tuple[str, ...],
    top: int,
    fmt: str,
    limit: int,
    output: str | None,
    style: str,
    engine: Engine,
) -> None:
    """How a currency is spread over partners and producers: the long tail.

    Each node's traffic is what it receives (boundary inflow plus open pipes in).
    Prints the share of the top 20% of nodes, the Gini coefficient, the share of
    the tail beyond the top N, the Herfindahl index and how many nodes make 80%,
    then the nodes sorted with their share and cumulative share. Nodes that
    receive nothing count: they are the end of the tail. -o writes a Pareto chart
    (or a Lorenz curve with --chart lorenz) to paste into a report.

    Example: ecograph longtail ecosystems/alibaba.yaml -o tail.png
    """
    kinds = node_kinds or DEFAULT_KINDS
    if engine.spark:
        from ecograph import spark

        if output is not None:
            from ecograph._io import check_output

            check_output(output, (map_path,))
        result = spark.longtail(
            engine.load(map_path), group=group, currency=kind, kinds=kinds, top=top
        )
    else:
        eco = load_map(map_path)
        if output is not None:
            from ecograph._io import check_output

            check_output(output, eco.files)
        result = run_longtail(eco, group=group, currency=kind, kinds=kinds, top=top)
    if fmt == "table":
        shares = result.share
        cumulative = result.cumulative_share
        ids = list(result.values)
        shown = ids if limit == 0 else ids[:limit]
        table = to_table(
            {
                "received": {k: result.values[k] for k in shown},
                "share": {k: _defined(shares[k]) for k in shown},
                "cumulative": {k: _defined(cumulative[k]) for k in shown},
                "label": {k: result.labels.get(k, k) for k in shown},
            }
        )
        more = len(ids) - len(shown)
        tail = f"\n... {more:,} more nodes (--limit 0 or --format csv for all)" if more else ""
        click.echo(f"{_summary(result)}\n\n{table}{tail}")
    elif fmt == "csv":
        shares = result.share
        cumulative = result.cumulative_share
        rows = [
            {
                "node": k,
                "label": result.labels.get(k, k),
                "received": v,
                "share": _defined(shares[k]),
                "cumulative_share": _defined(cumulative[k]),
            }
            for k, v in result.values.items()
        ]
        emit({"nodes": rows}, fmt)
    else:
        emit(result, fmt)
    if output is not None:
        from ecograph._io import write_atomic

        image = Path(output).suffix.lower().lstrip(".")
        write_atomic(output, chart(result, image, style=style), inputs=eco.files)
        click.echo(f"{output}: {style} chart of {result.n:,} nodes written", err=True)
