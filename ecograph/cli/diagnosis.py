"""``ecograph diagnose``: the mirror of :func:`ecograph.analysis.diagnose.diagnose`."""

from __future__ import annotations

import click

from ecograph.analysis.diagnose import diagnose as run_diagnosis
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
from ecograph.formatting import format_number

__all__ = ["diagnose"]


def _share(name: str, default: float, text: str) -> click.Option:
    return click.Option(
        [f"--{name}"],
        type=FiniteFloatRange(0, 1),
        default=default,
        show_default=True,
        help=text,
    )


@cli.command(
    params=[
        _share("narrow", 0.5, "narrow-pipe: pipes in hold under this share of what feeders get."),
        _share("saturation", 0.9, "A pipe is full at this share of its capacity."),
        _share("giant", 0.9, "single-giant risk: Herfindahl index of origins per giant >= this."),
        _share("overuse", 0.5, "overuse: drawing more than this share of a pool's throughflow."),
        _share("fit", 0.25, "poor-fit: less than this share of tags among the host's genes."),
    ]
)
@map_argument
@click.option("--node", metavar="NODE", help="Diagnose this node only.")
@kind_option
@format_option
@engine_options
def diagnose(
    map_path: str,
    node: str | None,
    kind: str,
    fmt: str,
    narrow: float,
    saturation: float,
    giant: float,
    overuse: float,
    fit: float,
    engine: Engine,
) -> None:
    """Why does each partner, producer and channel get the traffic it gets?

    Every finding is listed with its evidence and a severity; the status is the
    most actionable one, in this order: empty-pipe (no source reaches it),
    blocked-pipe (sources upstream, every path blocked), narrow-pipe (a full
    pipe into it, and the pipes allow far less than its feeders carry),
    poor-fit (its tags miss its host's genes), overuse (draws too much of a
    pool's throughflow), unprofitable (pays more for its pipes than it earns),
    no-monetisation (converts none of what it receives), else healthy. The
    single-giant risk (its traffic originates in one giant) is reported beside
    the status. --format json adds the evidence. With --engine spark, only the
    nodes whose status reachability decides (empty-pipe, blocked-pipe) are listed.

    Example: ecograph diagnose ecosystems/toutiao.yaml --node stool-maker
    """
    if engine.spark:
        from ecograph import spark

        result = spark.diagnose(engine.load(map_path), currency=kind, node=node)
    else:
        result = run_diagnosis(
            load_map(map_path),
            node=node,
            currency=kind,
            narrow=narrow,
            saturation=saturation,
            giant=giant,
            overuse=overuse,
            fit=fit,
        )
    if fmt == "table":
        rows = [
            {
                "node": n,
                "status": d.status,
                "received": format_number(d.evidence.get("received")),
                "risks": " ".join(r.risk for r in d.risks),
                "reasons": "; ".join(d.reasons),
            }
            for n, d in result.items()
        ]
        emit({"diagnosis": rows}, fmt)
    elif fmt == "csv":
        records: list[dict[str, object]] = [
            {
                "node": n,
                "status": d.status,
                "findings": " ".join(f.finding for f in d.findings),
                "risks": " ".join(r.risk for r in d.risks),
                "received": d.evidence.get("received"),
                "reasons": "; ".join(d.reasons),
            }
            for n, d in result.items()
        ]
        emit({"diagnosis": records}, fmt)
    else:
        emit(result, fmt)
