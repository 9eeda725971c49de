"""``ecograph fit``: the mirror of :func:`ecograph.analysis.fit.fit`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ecograph.analysis.fit import MEASURES, FitReport
from ecograph.analysis.fit import fit as run_fit
from ecograph.cli.main import (
    FiniteFloatRange,
    cli,
    emit,
    format_option,
    kind_option,
    load_map,
    map_argument,
)

__all__ = ["fit"]

_MEASURE_TEXT = {
    "overlap": "overlap = |tags & genes| / |tags|",
    "jaccard": "jaccard = |tags & genes| / |tags or genes|",
    "weighted": "weighted = idf-weighted Jaccard, idf = ln((1 + N) / (1 + df)) + 1",
}


def _join(words: Sequence[str], sep: str) -> str:
    return sep.join(words)


def _rows(report: FitReport, sep: str, *, table: bool) -> dict[str, Any]:
    """The report as three lists of flat records (table and CSV)."""
    empty = "-" if table else ""

    def words(items: Sequence[str]) -> str:
        return _join(items, sep) or ("none" if table else "")

    partners: list[dict[str, Any]] = []
    for node, f in report.partners.items():
        flag = "poor-fit" if f.poor_fit else "ok"
        if f.score is None:
            flag = f"not judged: {f.reason}"
        fills = "; ".join(f"{h}: {_join(g, ', ')}" for h, g in f.fills.items())
        partners.append(
            {
                "partner": node,
                "host": f.host if f.host is not None else empty,
                "score": f.score,
                "matched": words(f.matched),
                "missing": words(f.missing),
                "flag": flag,
                "fills gaps of": fills,
            }
        )
    hosts = [
        {
            "host": h,
            "genes": words(g.genes),
            "gaps": words(g.gaps),
            "members": g.members,
        }
        for h, g in report.hosts.items()
    ]
    overuse = [
        {
            "partner": o.node,
            "pool": o.pool,
            "volume": o.volume,
            "pool sends": o.pool_sends,
            "share": o.share,
        }
        for o in report.overuse
    ]
    return {"partners": partners, "host gaps": hosts, "overuse": overuse}


@cli.command()
@map_argument
@click.option(
    "--node",
    "--partner",
    "partner",
    metavar="NODE",
    help="Report on this node only (any kind): its fit, its host's gaps, its overuse. "
    "--partner is its former name.",
)
@click.option(
    "--measure",
    type=click.Choice(list(MEASURES)),
    default="overlap",
    show_default=True,
    help="How tags match genes: overlap |T&G|/|T|, jaccard |T&G|/|T or G|, "
    "weighted (idf-weighted Jaccard: rare words count more).",
)
@click.option(
    "--threshold",
    type=FiniteFloatRange(0, 1),
    default=0.25,
    show_default=True,
    help="poor-fit when the score is below this.",
)
@click.option(
    "--overuse",
    type=FiniteFloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="overuse: a partner drawing more than this share of what a pool sends.",
)
@kind_option
@format_option
def fit(
    map_path: str,
    partner: str | None,
    measure: str,
    threshold: float,
    overuse: float,
    kind: str,
    fmt: str,
) -> None:
    """Do partners fit their host's genes, fill its gaps, or overuse its pools?

    Each partner, producer and channel is scored against the genes of its host
    (the nearest container with genes) by --measure; below --threshold it is
    flagged poor-fit, and a node without a host or without tags is listed as
    not judged, with the reason. Tags and genes are compared ignoring case.
    For each host: its genes and its gaps, the genes no node inside it carries;
    "fills gaps of" names the other hosts whose gaps a node's tags would fill
    (complementarity). Overuse lists partners and producers drawing more than
    --overuse of what a pool sends down its open pipes of --currency.

    Example: ecograph fit ecosystems/alibaba.yaml --node hen-seller
    """
    eco = load_map(map_path)
    report = run_fit(
        eco, node=partner, measure=measure, currency=kind, threshold=threshold, overuse=overuse
    )
    if fmt == "json":
        emit(report, fmt)
    elif fmt == "csv":
        sections = _rows(report, ";", table=False)
        emit(
            {
                name.replace(" ", "_"): [
                    {k.replace(" ", "_"): v for k, v in row.items()} for row in rows
                ]
                for name, rows in sections.items()
            },
            fmt,
        )
    else:
        header = {
            "measure": _MEASURE_TEXT[measure],
            "poor-fit below": threshold,
            "overuse above": f"{overuse:g} of a pool's {kind}",
        }
        emit({**header, **_rows(report, ", ", table=True)}, fmt)
