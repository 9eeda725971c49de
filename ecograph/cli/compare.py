"""``ecograph whatif`` and ``ecograph diff``: the mirrors of :mod:`ecograph.compare`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ecograph.analysis.centrality import METRICS
from ecograph.cli.main import (
    allow_outside_option,
    allow_outside_requested,
    blame,
    cache_option,
    cli,
    kind_option,
    load_map,
)
from ecograph.compare import SECTIONS, Comparison, Diff
from ecograph.compare import diff as run_diff
from ecograph.compare import whatif as run_whatif
from ecograph.errors import ExitCode, MapError, UsageError, one_line
from ecograph.formatting import format_number, to_csv, to_json, to_table

__all__ = ["diff", "whatif"]

F = TypeVar("F", bound=Callable[..., Any])

#: Rows of the long sections shown in a table (JSON has them all).
TABLE_ROWS = 20


def _comparison_options(func: F) -> F:
    """Options shared by whatif and diff."""
    for decorator in reversed(
        [
            click.option(
                "--to",
                "targets",
                metavar="NODE",
                multiple=True,
                help="Compare the max-flow to this node (repeatable).",
            ),
            click.option(
                "--metric",
                type=click.Choice(METRICS),
                default="pagerank",
                show_default=True,
                help="The centrality ranking compared.",
            ),
            click.option(
                "--top",
                type=click.IntRange(min=1),
                default=10,
                show_default=True,
                help="How many of the ranking to compare.",
            ),
            click.option(
                "--no-diagnosis",
                is_flag=True,
                help="Skip comparing diagnosis statuses.",
            ),
            kind_option,
            allow_outside_option,
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["table", "json", "csv"]),
                default="table",
                show_default=True,
                help="Output: a readable report, the whole comparison as one JSON document, "
                "or every section's records as one CSV table with a section column.",
            ),
            cache_option,
        ]
    ):
        func = decorator(func)
    return func


_TITLES = {
    "affected": "nodes the change names",
    "traffic": "traffic (throughflow)",
    "max_flow": "max-flow to the targets",
    "flow_indices": "flow indices",
    "centrality": "ranking",
    "value": "value sheet (net = revenue + income - spend)",
    "diagnosis": "diagnosis statuses",
    "volumes": "pipe volumes",
}


def _sections(result: Comparison) -> str:
    parts = [f"changed: {', '.join(result['changed']) or 'nothing'}"]
    for section in SECTIONS:
        rows = result[section]
        title = _TITLES[section]
        if section == "centrality":
            title = f"{result['metric']} {title}"
        if section not in result["changed"]:
            if section == "affected" and not rows:
                continue
            if section == "max_flow" and not rows:
                parts.append(f"{title}: none asked (--to NODE, or targets: in a scenario)")
                continue
            if section not in ("affected", "max_flow"):
                parts.append(f"{title}: unchanged")
                continue
        shown = rows[:TABLE_ROWS] if section in ("traffic", "value", "volumes") else rows
        more = len(rows) - len(shown)
        table = to_table({title: shown})
        if more:
            table += f"\n... and {more} more (--format json lists them all)"
        if section == "affected" and result.get("affected_not_shown"):
            table += f"\n... and {result['affected_not_shown']} more named nodes (not measured)"
        parts.append(table)
    return "\n\n".join(parts)


@cli.command(short_help="Apply a what-if scenario to a map and compare the measures.")
@click.argument("paths", metavar="[MAP] SCENARIO", nargs=-1, required=True)
@click.option(
    "--reroute",
    type=click.Choice(["lost", "spread"]),
    help="Where the traffic of a removed or blocked pipe goes: it leaves the map at the "
    "sender (lost), or the sender's other outlets share it (spread). Default: the scenario's "
    "reroute, else lost.",
)
@click.option(
    "--save",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also write the changed map, volumes re-traced, as one YAML map (includes flattened).",
)
@_comparison_options
def whatif(
    paths: tuple[str, ...],
    reroute: str | None,
    save: str | None,
    targets: tuple[str, ...],
    metric: str,
    top: int,
    no_diagnosis: bool,
    kind: str,
    fmt: str,
) -> None:
    """Apply a what-if scenario to a map and compare the measures before and after.

    A scenario (YAML, 'scenario: 1') lists changes applied in order: remove
    nodes or whole sub-ecosystems, block or open pipes, set a pipe's capacity or
    volume or a node's inflow, add nodes and pipes, move a node to another
    parent. Volumes downstream of a change are re-traced: each node splits what
    passes through it in the same proportions as before. Prints what changed:
    traffic and reach of the nodes the changes name, every node whose traffic
    changed, max-flow to the targets, flow indices, the ranking with rank moves,
    diagnosis statuses and pipe volumes. MAP defaults to the scenario's 'base'.
    --save writes the changed map, to render or analyse further.

    Example: ecograph whatif ecosystems/toutiao.yaml ecosystems/scenarios/xiaoqiao-quits.yaml
    """
    from ecograph.scenario import load_scenario

    if len(paths) > 2:
        raise click.UsageError(f"expected [MAP] SCENARIO, got {len(paths)} paths")
    scenario_path = paths[-1]
    blame(scenario_path)
    scenario = load_scenario(
        scenario_path, allow_outside=allow_outside_requested(), check_base=len(paths) == 1
    )
    if len(paths) == 2:
        map_path = paths[0]
        if scenario.base is not None and not _same_file(scenario.base, map_path):
            click.echo(
                one_line(
                    f"{scenario_path}: note: the scenario's base is {scenario.base}; "
                    f"applying it to {map_path} as asked"
                ),
                err=True,
            )
    elif scenario.base is None:
        raise click.UsageError(
            f"{scenario_path} names no 'base' map: give the map first (ecograph whatif MAP "
            "SCENARIO)"
        )
    else:
        map_path = scenario.base
    eco = load_map(map_path)
    changed = None
    if save is not None:
        from ecograph._io import check_output, write_atomic
        from ecograph.exchange import to_yaml
        from ecograph.scenario import apply

        inputs = [scenario_path, *eco.files]
        check_output(save, inputs)
        changed = apply(eco, scenario, reroute=reroute)
        write_atomic(save, to_yaml(changed).encode("utf-8"), inputs=inputs)
        click.echo(
            f"{save}: the changed map written ({len(changed.nodes)} nodes, "
            f"{len(changed.pipes)} pipes)",
            err=True,
        )
    result = run_whatif(
        eco,
        scenario,
        currency=kind,
        metric=metric,
        top=top,
        targets=targets,
        reroute=reroute,
        diagnosis=not no_diagnosis,
        applied=changed,
    )
    if fmt == "json":
        # the fields as they are (a mapping's keys), not to_dict()'s copy: the same JSON
        click.echo(to_json({"map": map_path, **result}))
        return
    if fmt == "csv":
        click.echo(to_csv(result.rows()), nl=False)
        return
    s = result["scenario"]
    lines = [
        f"scenario: {s['title']} ({s['file']}), applied to {map_path}; "
        f"traffic of removed or blocked pipes is {s['reroute']}",
        "changes:",
        *(f"  {i}. {c['change']}  ({c['at']})" for i, c in enumerate(result["changes"], 1)),
    ]
    if result["warnings"]:
        lines.append(f"the changed map has {len(result['warnings'])} warning(s):")
        lines.extend(f"  {w}" for w in result["warnings"])
    click.echo("\n".join(lines) + "\n\n" + _sections(result))


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normpath(a) == os.path.normpath(b)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return format_number(value) if value is not None else "none"


def _structure(result: Diff) -> str:
    lines = [f"old: {', '.join(result['old'])}", f"new: {', '.join(result['new'])}"]
    if result["identical"]:
        lines.append("identical: no node, pipe or field differs")
        return "\n".join(lines)
    for row in result["map"]:
        lines.append(f"map {row['field']}: {_show(row['old'])} -> {_show(row['new'])}")
    for what, key in (("nodes", "node"), ("pipes", "pipe")):
        d = result[what]
        lines.append(
            f"{what}: {len(d['added'])} added, {len(d['removed'])} removed, "
            f"{len({r[key] for r in d['changed']})} changed"
        )
        lines.extend(f"  + {x}" for x in d["added"])
        lines.extend(f"  - {x}" for x in d["removed"])
        lines.extend(
            f"  ~ {r[key]} {r['field']}: {_show(r['old'])} -> {_show(r['new'])}"
            for r in d["changed"]
        )
    return "\n".join(lines)


@cli.command(short_help="What changed between two versions of a map (exit 1 if they differ).")
@click.argument("old", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new", metavar="NEW", type=click.Path(dir_okay=False))
@_comparison_options
def diff(
    old: str,
    new: str,
    targets: tuple[str, ...],
    metric: str,
    top: int,
    no_diagnosis: bool,
    kind: str,
    fmt: str,
) -> None:
    """What changed between two versions of a map: nodes and pipes, then the measures.

    Nodes are matched by id and pipes by key (their id, else from->to:kind).
    Lists the nodes and pipes added, removed and changed (field by field), then
    the same comparison as whatif. For code review of a map change.

    Exit codes as diff(1): 0 identical, 1 different, 2 trouble (an invalid map,
    an unknown node, a bad command line).

    Example: ecograph diff old/alibaba.yaml ecosystems/alibaba.yaml
    """
    try:
        before = load_map(old)
        after = load_map(new)
        result = run_diff(
            before,
            after,
            currency=kind,
            metric=metric,
            top=top,
            targets=targets,
            diagnosis=not no_diagnosis,
        )
    except MapError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        raise SystemExit(ExitCode.USAGE) from None
    except UsageError as exc:
        click.echo(one_line(f"{old} {new}: error: {exc}"), err=True)
        raise SystemExit(ExitCode.USAGE) from None
    if fmt == "json":
        click.echo(to_json(dict(result)))
    elif fmt == "csv":
        click.echo(to_csv(result.rows()), nl=False)
    else:
        text = _structure(result)
        if not result["identical"]:
            text += "\n\n" + _sections(result)
        click.echo(text)
    if not result["identical"]:
        raise SystemExit(ExitCode.INVALID)
