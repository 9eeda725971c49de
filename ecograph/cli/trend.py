"""``ecograph trend``: the mirror of :func:`ecograph.trend.trend`, and ``render`` of a series."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from ecograph.cli.longtail import chart_format
from ecograph.cli.main import (
    F,
    allow_outside_option,
    allow_outside_requested,
    blame,
    cli,
    emit,
    format_option,
    kind_option,
)
from ecograph.errors import one_line
from ecograph.formatting import format_number, to_table
from ecograph.series import Series, load_series
from ecograph.trend import MEASURES, Trend
from ecograph.trend import trend as run_trend

__all__ = ["currency_option", "load_series_for_command", "render_series_command", "trend"]

_SHOWN = (
    "received",
    "partners",
    "gini",
    "top20_share",
    "herfindahl",
    "herfindahl_by_giant",
    "pool_users",
    "total_system_throughflow",
    "cycling_index",
    "revenue",
)
_VERDICTS = {
    "strong-get-stronger": "the strong get stronger",
    "small-catch-up": "the small catch up",
    "no-size-effect": "no clear size effect (consistent with Gibrat's law)",
    "too-few": "too few partners to tell",
}


def currency_option(func: F) -> F:
    """``--currency C`` through :func:`~ecograph.cli.main.kind_option` (``--kind`` stays an
    alias until the central rename makes ``--currency`` its own name)."""
    func = kind_option(func)
    params: list[click.Parameter] = func.__click_params__  # type: ignore[attr-defined]
    option = params[-1]
    if "--currency" not in option.opts:
        option.opts.insert(0, "--currency")
    return func


def load_series_for_command(path: str) -> Series:
    """Load a series for a command; its errors end the command with exit code 1."""
    blame(path)
    series = load_series(path, allow_outside=allow_outside_requested())
    if series.warnings:
        n = len(series.warnings)
        click.echo(
            one_line(
                f"{path}: {n} warning{'s' if n != 1 else ''} in its maps "
                "(see 'ecograph check' on each map)"
            ),
            err=True,
        )
    return series


def _pct(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:+.1f}%"


def _share(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.3g}%"


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and abs(x) < 10 and not x.is_integer():
        return f"{x:.4f}"
    return format_number(x)


def _text(result: Trend) -> str:
    dates = [str(s["date"]) for s in result.snapshots]
    head = one_line(
        f"{result.title}: {len(dates)} snapshots, {result.kind} per {result.period}"
        + (f", members of {result.group}" if result.group else "")
    )
    table = to_table(
        {d: {m: _num(s[m]) for m in _SHOWN} for d, s in zip(dates, result.snapshots, strict=True)},
        key_name="measure",
    )
    parts = [head, "", table]
    for node, rows in result.nodes.items():
        cells = {
            str(r["date"]): {
                "received": _num(r["received"]),
                "rank": _num(r["rank"]),
                "share": _share(r["share"]),
                "top giant": r["top_giant"] or "-",
                "dependency": _share(r["dependency"]),
                "diagnosis": r["status"] or ("absent" if not r["present"] else "-"),
            }
            for r in rows
        }
        parts += ["", one_line(f"node {node}"), to_table(cells, key_name="measure")]
    for period in result.growth["periods"]:
        g = period["gibrat"]
        span = f"{period['from']} -> {period['to']}"
        rates = ", ".join(
            f"{m} {_pct(period['measures'][m])}" for m in ("received", "partners", "gini")
        )
        parts += ["", one_line(f"{span}: growth {rates}")]
        for node, rate in period["nodes"].items():
            parts.append(one_line(f"  {node}: {_pct(rate)}"))
        came, went = period["entries"], period["exits"]
        moves = [
            f"{len(came)} entered (carrying {format_number(sum(came.values()))})",
            f"{len(went)} left (having carried {format_number(sum(went.values()))})",
        ]
        parts.append("  partners: " + ", ".join(moves))
        parts.append(one_line(f"  strong get stronger? {_gibrat_line(g)}"))
        for giant, gg in period["gibrat_by_giant"].items():
            parts.append(one_line(f"    in {giant}: {_gibrat_line(gg)}"))
    pooled = result.growth["gibrat_pooled"]
    if pooled is not None:
        parts += ["", one_line(f"all periods pooled: {_gibrat_line(pooled)}")]
    return "\n".join(parts)


def _gibrat_line(g: dict[str, Any]) -> str:
    verdict = _VERDICTS[g["verdict"]]
    if g["slope"] is None:
        return f"{verdict} (n = {g['n']})"
    interval = (
        f", {100 * g['confidence']:.0f}% CI [{g['low']:+.3f}, {g['high']:+.3f}]"
        if g["low"] is not None
        else ""
    )
    return (
        f"{verdict}: slope {g['slope']:+.3f}{interval}, n = {g['n']} "
        f"(left out: {g['exits']} exits, {g['zero']} at zero)"
    )


@cli.command()
@click.argument("series_path", metavar="SERIES", type=click.Path(dir_okay=False))
@click.option(
    "--node",
    "nodes",
    metavar="NODE",
    multiple=True,
    help="Follow this node through the snapshots (repeatable).",
)
@currency_option
@click.option("--group", metavar="G", help="Measure only the members of this node.")
@click.option(
    "--confidence",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="Level of the growth-on-size slope's interval.",
)
@format_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    callback=chart_format,
    help="Also write a line chart here: .png or .svg (replaced only once complete).",
)
@click.option(
    "--measure",
    "measures",
    type=click.Choice(list(MEASURES)),
    metavar="MEASURE",
    multiple=True,
    help="Measure drawn by -o (repeatable; one panel each): "
    + ", ".join(MEASURES)
    + ". Default: received and gini, then what each --node received.",
)
@allow_outside_option
def trend(
    series_path: str,
    nodes: tuple[str, ...],
    kind: str,
    group: str | None,
    confidence: float,
    fmt: str,
    output: str | None,
    measures: tuple[str, ...],
) -> None:
    """Trends over a series of maps, and whether the strong get stronger.

    Per snapshot: the totals per currency, pool users, the long tail (Gini,
    top-20% share, Herfindahl, and by giant), the flow indices; for each --node
    its traffic, rank, dependency on its top giant and diagnosis. Per period:
    growth rates, partners that entered and left with what they carried, and
    the regression of log growth on log size (Gibrat's law) with its interval,
    overall and per giant.

    Example: ecograph trend ecosystems/series/rural-taobao.yaml --node pinduoduo -o trend.png
    """
    series = load_series_for_command(series_path)
    if output is not None:
        from ecograph._io import check_output

        check_output(output, series.files)
    result = run_trend(series, nodes=nodes, kind=kind, group=group, confidence=confidence)
    if fmt == "table":
        click.echo(_text(result))
    elif fmt == "csv":
        rows = [{"date": s["date"], **{m: s[m] for m in MEASURES}} for s in result.snapshots]
        emit({"snapshots": rows}, fmt)
    else:
        emit(result, fmt)
    if output is not None:
        from ecograph._io import write_atomic
        from ecograph.render.series import trend_chart

        chosen = list(measures) or ["received", "gini", *(f"node:{n}" for n in result.nodes)]
        image = Path(output).suffix.lower().lstrip(".")
        write_atomic(output, trend_chart(result, chosen, image), inputs=series.files)
        click.echo(one_line(f"{output}: {len(chosen)} measures over time written"), err=True)


def render_series_command(series_path: str, output: str, **options: Any) -> None:
    """``ecograph render SERIES -o page.html``: load, check the output, draw, say what."""
    from ecograph._io import check_output
    from ecograph.render.series import render_series

    series = load_series_for_command(series_path)
    check_output(output, series.files)
    drawings = render_series(series, output, **options)
    click.echo(
        one_line(
            f"{output}: {len(drawings)} snapshots drawn ({', '.join(series.dates)}), "
            "one time slider"
        )
    )
