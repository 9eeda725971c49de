"""``ecograph reach``, ``flow`` and ``dependency``: command-line mirrors of the flow analyses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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

__all__ = ["dependency", "flow", "reach"]

F = TypeVar("F", bound=Callable[..., Any])


def _samples_option(func: F) -> F:
    """``--samples N --seed S`` (the random walks of large strongly connected components)."""
    func = click.option(
        "--seed",
        type=int,
        default=0,
        show_default=True,
        help="Seed of the random walks (results are reproducible).",
    )(func)
    return click.option(
        "--samples",
        type=click.IntRange(min=1),
        default=200_000,
        show_default=True,
        help="Random walks for strongly connected components of more than 2,000 nodes "
        "(smaller ones are computed exactly).",
    )(func)


@cli.command()
@map_argument
@click.option(
    "--from", "source", required=True, metavar="NODE", help="Node whose traffic is traced."
)
@click.option(
    "--hops",
    type=click.IntRange(min=0),
    help="List only nodes at most this many pipes away (traffic is always traced to the end).",
)
@click.option(
    "--to", metavar="NODE", help="Also report the most NODE could receive under capacities."
)
@kind_option
@format_option
@engine_options
def reach(
    map_path: str,
    source: str,
    hops: int | None,
    to: str | None,
    kind: str,
    fmt: str,
    engine: Engine,
) -> None:
    """Where the traffic leaving a node goes: hops, traced amounts, max-flow.

    hops: fewest pipes from the --from node to each node it reaches over open
    pipes of the currency.

    traffic: how much of what leaves it arrives at each node, every node
    passing on what it receives in the proportions of its outgoing volumes
    (cycles solved exactly, traffic that comes round again counted again).

    max_flow (with --to): the most it could deliver there under the pipes'
    capacities (a pipe without capacity is unbounded); cost_per_unit: what a unit
    costs on the cheapest route there (the pipes' cost along it).

    Example: ecograph reach ecosystems/alibaba.yaml --from taobao-users --to shaanxi-apples
    """
    from ecograph.analysis.reach import reach as run

    if engine.spark:
        if to is not None:
            raise engine.refuse("reach --to (max-flow)")
        from ecograph import spark

        result = spark.reach(engine.load(map_path), source, currency=kind, hops=hops)
    else:
        result = run(load_map(map_path), source, hops=hops, currency=kind, to=to)
    emit(result, fmt, sort_by="traffic")


@cli.command()
@map_argument
@kind_option
@_samples_option
@format_option
@engine_options
def flow(map_path: str, kind: str, samples: int, seed: int, fmt: str, engine: Engine) -> None:
    """Ecological network analysis of one currency, as R's enaR (enaFlow) computes it.

    Per node: throughflow and imbalance (in - out). For the map: total system
    throughflow, average path length (throughflow over boundary inflow), Finn
    cycling index (lock-in), and the boundary, direct and indirect flow
    indices (they add up to 1).

    A node that does not balance is closed at the boundary: what it sends
    beyond what it receives enters the map there, what it receives beyond
    what it sends leaves there.

    With --engine spark the cycling index is exact or reported as unavailable
    (null), never sampled.

    Example: ecograph flow ecosystems/alibaba.yaml --format json
    """
    from ecograph.analysis.flow import flow as run

    if engine.spark:
        from ecograph import spark

        result = spark.flow(engine.load(map_path), currency=kind)
    else:
        result = run(load_map(map_path), currency=kind, samples=samples, seed=seed)
    emit(result, fmt, sort_by="throughflow")


@cli.command()
@map_argument
@click.option(
    "--node",
    "--target",
    "target",
    required=True,
    metavar="NODE",
    help="Node whose traffic is examined. --target is its former name.",
)
@click.option(
    "--group",
    is_flag=True,
    help="Report whole groups (a platform or sub-ecosystem with all its members) "
    "instead of single nodes.",
)
@kind_option
@_samples_option
@format_option
def dependency(
    map_path: str, target: str, group: bool, kind: str, samples: int, seed: int, fmt: str
) -> None:
    """What a node's traffic passed through, its single points of failure, its origins.

    shares: fraction of the target's traffic that passed through each upstream
    node (total dependency coefficients). loss_if_removed: what the target
    loses if that node (or, with --group, that platform or sub-ecosystem with
    all its members) disappears and the rest routes as before.

    dominators: nodes every path to the target runs through. sources: where
    its traffic entered the map; concentration: their Herfindahl index.

    Example: ecograph dependency ecosystems/alibaba.yaml --node attendance-maker --group
    """
    from ecograph.analysis.dependency import dependency as run

    eco = load_map(map_path)
    result = run(eco, target, currency=kind, group=group, samples=samples, seed=seed)
    emit(result, fmt, sort_by="shares")
