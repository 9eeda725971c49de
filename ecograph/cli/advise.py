"""``ecograph advise``: the mirror of :func:`ecograph.analysis.advise.advise`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ecograph.analysis.advise import GOALS
from ecograph.cli.main import FiniteFloatRange, cli, kind_option, load_map, map_argument
from ecograph.formatting import format_number, to_json, to_table

__all__ = ["advise"]


@cli.command(short_help="Ranked actions that would raise one node's traffic, revenue or net.")
@map_argument
@click.option(
    "--for",
    "--node",
    "node",
    required=True,
    metavar="NODE",
    help="The firm advised (--node is the same option).",
)
@click.option(
    "--goal",
    type=click.Choice(GOALS),
    default="traffic",
    show_default=True,
    help="What an action must raise: the node's traffic, its revenue, or its net.",
)
@click.option(
    "--budget",
    type=FiniteFloatRange(min=0),
    metavar="B",
    help="Most the kept actions may add to the node's spend per period (default: no limit).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Most actions kept.",
)
@click.option(
    "--save-scenario",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also write the kept actions as a scenario file that 'ecograph whatif' runs.",
)
@kind_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output: a readable table, or one JSON document.",
)
def advise(
    map_path: str,
    node: str,
    goal: str,
    budget: float | None,
    top: int,
    save_scenario: str | None,
    kind: str,
    fmt: str,
) -> None:
    """Ranked actions that would raise one node's traffic, revenue or net.

    Candidates come from the map: widen a full pipe on the node's minimum cut,
    open a blocked pipe with water upstream, buy up to the capacity of a
    costed pipe, add a pipe from a pool or channel that already feeds its host,
    move to a host whose genes fit its tags, add a second source when one giant
    sends it nearly all its traffic. An added pipe's volume, cost and conversion
    are the medians of its sender's comparable pipes (why says so). Each is
    measured with the what-if engine: gain is what 'ecograph whatif' reports
    for the node (traffic; revenue; net = revenue + income - spend), cost the
    rise of its spend. Ranked by gain per unit of cost, cost-free actions first
    by gain, within --budget. together (total in JSON): all kept actions at
    once, as whatif reports them.

    Example: ecograph advise ecosystems/alibaba.yaml --for shaanxi-apples --goal revenue
    """
    from ecograph._io import check_output, write_atomic
    from ecograph.analysis.advise import advise as run

    eco = load_map(map_path)
    if save_scenario is not None:
        check_output(save_scenario, eco.files)
    result = run(eco, node, goal=goal, budget=budget, top=top, kind=kind)
    if save_scenario is not None:
        base = os.path.relpath(
            Path(map_path).resolve(), Path(save_scenario).resolve().parent
        ).replace(os.sep, "/")
        from ecograph.scenario import scenario_schema_path

        schema = os.path.relpath(
            scenario_schema_path(), Path(save_scenario).resolve().parent
        ).replace(os.sep, "/")
        text = result.scenario_text(base, schema)
        write_atomic(save_scenario, text.encode("utf-8"), inputs=eco.files)
        n = len(result.actions)
        click.echo(
            f"{save_scenario}: {n} action{'s' if n != 1 else ''} written as a scenario "
            f"(ecograph whatif {save_scenario})",
            err=True,
        )
    data = result.to_dict()
    if fmt == "json":
        click.echo(to_json(data))
        return
    rows = [
        {
            "action": a["action"],
            "gain": a["gain"],
            "cost": a["cost"],
            "gain_per_cost": a["gain_per_cost"],
            "why": a["why"],
        }
        for a in data["actions"]
    ]
    within = f", budget {format_number(budget)}" if budget is not None else ""
    head = f"advice for {node} (goal {goal}{within}): {len(rows)} of {result.considered} "
    head += "candidate actions help"
    if not rows:
        click.echo(head)
        return
    total = data["total"]
    click.echo(
        f"{head}\n\n{to_table({'actions': rows}, key_name='#')}\n\n"
        f"together: gain {format_number(total['gain'])}, cost {format_number(total['cost'])}"
    )
