"""``ecograph cheapest``, ``funnel`` and ``value``: mirrors of the traffic-economics analyses.

Flags are the keyword names of :func:`ecograph.analysis.cheapest`,
:func:`ecograph.analysis.funnel` and :func:`ecograph.analysis.value`
(``--from`` is ``sources``).
"""

from __future__ import annotations

import math

import click

from ecograph.cli.main import cli, emit, format_option, kind_option, load_map, map_argument

__all__ = ["cheapest"]


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
    help="A source node (repeatable). Default: every node with boundary inflow of --kind.",
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
    result = run(eco, to, demand=demand, sources=list(sources) or None, kind=kind)
    emit(result, fmt, key_name="source")
