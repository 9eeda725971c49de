"""``ecograph export`` and ``ecograph import``: mirrors of :mod:`ecograph.exchange`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ecograph._io import check_output, write_atomic
from ecograph.cli.main import cli, load_map, map_argument
from ecograph.errors import UsageError, one_line
from ecograph.exchange import (
    FORMATS,
    convert_tables,
    export,
    format_of,
    read_map_table,
    tables_map,
)
from ecograph.model import CURRENCIES, PERIODS, Ecosystem

__all__ = ["export_command", "import_command"]


@cli.command("export")
@map_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="File to write; for csv (parquet) a directory that receives nodes.csv, "
    "pipes.csv and map.csv (nodes.parquet, pipes.parquet and map.yaml, a map naming them).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="graphml/gexf: for Gephi, yEd, Cytoscape; json: networkx node-link; csv, parquet: "
    "tables of nodes and pipes (what a map's 'tables:' reads). "
    "Default: from the output's suffix (.graphml, .gexf, .json; none: csv).",
)
def export_command(map_path: str, output: str, fmt: str | None) -> None:
    """Write a map as GraphML, GEXF, node-link JSON or CSV tables of nodes and pipes.

    GraphML and GEXF keep every attribute (lists joined by '; ', free-form attrs
    as attr_<key>), each pipe's key as its edge id, and the hierarchy as parent,
    group (nearest sub-ecosystem) and giant (top-level node) for Gephi's
    partitions; GEXF adds pid. CSV tables (with map.csv, the map's own fields)
    are what 'ecograph import' reads back;
    CSV and Parquet tables are what a map's 'tables:' key names.

    Example: ecograph export ecosystems/alibaba.yaml -o alibaba.gexf
    """
    if fmt is None:
        try:
            fmt = format_of(output)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
    eco = load_map(map_path)
    target = export(eco, output, fmt)
    tables = {"csv": "{nodes,pipes,map}.csv", "parquet": "{nodes.parquet,pipes.parquet,map.yaml}"}
    where = f"{target}{os.sep}{tables[fmt]}" if fmt in tables else str(target)
    click.echo(f"{where}: {len(eco.nodes):,} nodes and {len(eco.pipes):,} pipes written ({fmt})")


def _units(values: tuple[str, ...]) -> dict[str, str]:
    units: dict[str, str] = {}
    for value in values:
        currency, sep, unit = value.partition("=")
        if not sep or currency not in CURRENCIES or not unit:
            raise click.BadParameter(
                f"{value!r}: expected CURRENCY=UNIT with a currency among "
                f"{', '.join(CURRENCIES)} (e.g. traffic=visits)",
                param_hint="'--unit'",
            )
        units[currency] = unit
    return units


@cli.command("import")
@click.argument("nodes_csv", metavar="NODES.csv", type=click.Path(dir_okay=False))
@click.argument("pipes_csv", metavar="PIPES.csv", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The map file to write ('-': standard output). Written only if the map is valid.",
)
@click.option(
    "--name",
    help="Map name (letters, digits, '-', '_', '.'). Default: map.csv's, else the output's stem.",
)
@click.option("--title", help="Map title. Default: map.csv's.")
@click.option("--description", help="Free text about the map. Default: map.csv's.")
@click.option(
    "--period",
    type=click.Choice(list(PERIODS)),
    help="The period every volume is per. Default: map.csv's, else month.",
)
@click.option(
    "--unit",
    "units",
    metavar="CURRENCY=UNIT",
    multiple=True,
    help="Display unit of a currency, e.g. traffic=visits (repeatable; replaces map.csv's).",
)
@click.option(
    "--tables",
    "stub",
    is_flag=True,
    help="Write a small map that names the two tables under 'tables:' (paths relative "
    "to the map) instead of copying every row into it.",
)
def import_command(
    nodes_csv: str,
    pipes_csv: str,
    output: str,
    name: str | None,
    title: str | None,
    description: str | None,
    period: str | None,
    units: tuple[str, ...],
    stub: bool,
) -> None:
    """Turn two spreadsheets (nodes and pipes, as CSV) into a valid map.

    nodes: id, kind (required), label, parent, users, inflow, outflow,
    inflow.<currency>, outflow.<currency>, tags, genes (words separated by ';'),
    description, source, attrs.<key>. pipes: from, to (required), id, kind,
    volume, capacity, conversion, cost, status, label, description, source,
    attrs.<key>. Columns in any order; UTF-8 (Excel: 'CSV UTF-8'). Every problem
    is reported as file:line:column of its cell, and nothing is written.

    A map.csv beside NODES.csv (what 'ecograph export --format csv' writes: rows of
    field,value for name, title, period, description, unit.<currency>) gives the
    map's own fields, so export then import gives back the same map; options
    override it.

    With --tables the map only names the two tables (tables: {nodes: [...], pipes:
    [...]}), which stay the source: edit them and 'ecograph check map.yaml'.

    Example: ecograph import nodes.csv pipes.csv -o map.yaml --title "My ecosystem"
    """
    unit_map = _units(units)
    map_csv = Path(nodes_csv).parent / "map.csv"
    fields = read_map_table(map_csv) if map_csv.exists() else {}
    if output != "-":
        check_output(output, [nodes_csv, pipes_csv, *([str(map_csv)] if fields else [])])
    name = fields.get("name") if name is None else name
    title = fields.get("title") if title is None else title
    description = fields.get("description") if description is None else description
    period = fields.get("period", "month") if period is None else period
    unit_map = unit_map or fields.get("units", {})
    if name is None:
        stem = Path(output).stem if output != "-" else ""
        name = stem if stem and (stem[0].isascii() and stem[0].isalnum()) else "imported"
        name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)
    try:
        result = convert_tables(
            nodes_csv,
            pipes_csv,
            name=name,
            title=title,
            period=period,
            units=unit_map,
            description=description,
        )
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    text = result.text if not stub else _stub(output, nodes_csv, pipes_csv, result.ecosystem)
    if output == "-":
        click.echo(text, nl=False)
        return
    write_atomic(output, text.encode("utf-8"), inputs=[nodes_csv, pipes_csv])
    eco = result.ecosystem
    click.echo(one_line(f"{output}: {len(eco.nodes):,} nodes and {len(eco.pipes):,} pipes, valid"))
    if stub and "\n  - ../" in text:
        click.echo(
            one_line(
                f"{output}: note: the tables lie outside the map's folder; commands read them "
                "only with --allow-outside (or move the map next to them)"
            ),
            err=True,
        )


def _stub(output: str, nodes: str, pipes: str, eco: Ecosystem) -> str:
    """A map that names the tables (paths relative to the map's folder) instead of holding them."""
    base = Path(output).resolve().parent if output != "-" else Path.cwd()

    def relative(path: str) -> str:
        return Path(os.path.relpath(Path(path).resolve(), base)).as_posix()

    return tables_map(eco, relative(nodes), relative(pipes))
