"""``ecograph export`` and ``ecograph import`` mirror ecograph.exchange: every example map,
exit codes, help, and nothing written on error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import main
from ecograph.exchange import to_gexf, to_graphml, to_tables

EXAMPLES = sorted(Path("ecosystems").glob("*.yaml"))


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_format_on_every_example(path: Path, tmp_path: Path) -> None:
    eco = ecograph.load(path)
    outputs = {
        "graphml": tmp_path / "m.graphml",
        "gexf": tmp_path / "m.gexf",
        "json": tmp_path / "m.json",
        "csv": tmp_path / "tables",
    }
    for fmt, out in outputs.items():
        code, stdout, err = run("export", str(path), "-o", str(out))
        assert (code, err) == (0, ""), fmt
        assert f"{len(eco.nodes):,} nodes and {len(eco.pipes):,} pipes written ({fmt})" in stdout
    assert outputs["graphml"].read_bytes() == to_graphml(eco)
    G = nx.read_gexf(outputs["gexf"])
    assert set(G.nodes) == set(eco.nodes)
    assert to_gexf(eco).split(b"<graph")[1] == outputs["gexf"].read_bytes().split(b"<graph")[1]
    data = json.loads(outputs["json"].read_text("utf-8"))
    assert len(data["edges"]) == len(eco.pipes)
    nodes, pipes = to_tables(eco)
    assert (outputs["csv"] / "nodes.csv").read_bytes() == nodes
    assert (outputs["csv"] / "pipes.csv").read_bytes() == pipes
    # and back: the tables give a valid map of the same nodes and pipes
    back = tmp_path / f"{eco.name}.yaml"
    code, stdout, err = run(
        "import",
        str(outputs["csv"] / "nodes.csv"),
        str(outputs["csv"] / "pipes.csv"),
        "-o",
        str(back),
        "--period",
        eco.period,
    )
    assert (code, err) == (0, "")
    assert stdout == f"{back}: {len(eco.nodes):,} nodes and {len(eco.pipes):,} pipes, valid\n"
    again = ecograph.load(back)
    assert again.name == eco.name  # the default name is the output's stem
    assert list(again.nodes) == list(eco.nodes)
    assert [p.key for p in again.pipes] == [p.key for p in eco.pipes]
    assert again.summary()["volume"] == eco.summary()["volume"]


def test_format_option_overrides_the_suffix(tmp_path: Path) -> None:
    out = tmp_path / "graph.xml"
    code, _, _ = run("export", "ecosystems/minimal.yaml", "-o", str(out), "--format", "graphml")
    assert code == 0
    assert out.read_bytes() == to_graphml(ecograph.load("ecosystems/minimal.yaml"))


def test_export_errors(tmp_path: Path) -> None:
    code, _, err = run("export", "ecosystems/minimal.yaml", "-o", str(tmp_path / "m.txt"))
    assert code == 2 and "cannot tell the export format from" in err
    code, _, err = run("export", "ecosystems/minimal.yaml", "-o", "x.gexf", "--format", "gefx")
    assert code == 2 and "'gefx' is not one of" in err
    code, _, err = run("export", "no-such.yaml", "-o", str(tmp_path / "m.gexf"))
    assert (code, err) == (1, "no-such.yaml: no such file\n")
    assert not (tmp_path / "m.gexf").exists()
    assert run("export", "ecosystems/minimal.yaml")[0] == 2  # -o is required


def test_import_to_standard_output_with_options(tmp_path: Path) -> None:
    code, out, err = run(
        "import",
        "ecosystems/tables/nodes.csv",
        "ecosystems/tables/pipes.csv",
        "-o",
        "-",
        "--name",
        "minimal",
        "--title",
        "最小生态 A minimal ecosystem",
        "--unit",
        "traffic=visits",
    )
    assert (code, err) == (0, "")
    assert out.startswith(
        "ecograph: 1\nname: minimal\ntitle: 最小生态 A minimal ecosystem\nperiod: month\n"
        "units: {traffic: visits}\n"
    )
    eco, reference = ecograph.loads(out), ecograph.load("ecosystems/minimal.yaml")
    assert eco.summary() | {"files": []} == reference.summary() | {"files": []}


def test_import_errors_are_located_and_nothing_is_written(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    pipes = tmp_path / "pipes.csv"
    nodes.write_text("id,kind,tag\nerp,partnr,x\n", "utf-8")
    pipes.write_text("from,to\nerp,dingtak\n", "utf-8")
    out = tmp_path / "map.yaml"
    out.write_text("old\n")
    code, stdout, err = run("import", str(nodes), str(pipes), "-o", str(out))
    assert code == 1 and stdout == ""
    # the 'tag' header cell is at 1:9; 'partnr' at 2:5; 'dingtak' at 2:5 of pipes.csv
    assert err.splitlines() == [
        f"{nodes}:1:9: unknown column 'tag' (did you mean 'tags'?); expected one of: id, kind, "
        "label, parent, users, inflow, outflow, tags, genes, description, source, "
        "inflow.capital, outflow.capital, inflow.goods, outflow.goods, inflow.data, "
        "outflow.data, price, domain, owner, or attrs.<key> for a free-form attribute",
        f"{nodes}:2:5: nodes.erp.kind: unknown kind 'partnr' (did you mean 'partner'?); "
        "expected one of platform, sub-ecosystem, partner, pool, channel, producer, fund",
        f"{pipes}:2:5: pipes[0].to: unknown node 'dingtak'",
    ]
    assert out.read_text() == "old\n"  # untouched
    assert not list(tmp_path.glob(".ecograph-*"))  # no temporary file left behind


def test_import_warnings_go_to_stderr(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,kind\nlonely,pool\n", "utf-8")
    pipes = tmp_path / "pipes.csv"
    pipes.write_text("from,to\n", "utf-8")
    code, _, err = run("import", str(nodes), str(pipes), "-o", str(tmp_path / "m.yaml"))
    assert code == 0
    assert err == (
        f"{nodes}:2:1: warning: nodes.lonely: node 'lonely' has no pipes: "
        "it is connected to nothing\n"
    )


def test_import_bad_command_lines(tmp_path: Path) -> None:
    tables = ("ecosystems/tables/nodes.csv", "ecosystems/tables/pipes.csv")
    out = str(tmp_path / "m.yaml")
    code, _, err = run("import", *tables, "-o", out, "--unit", "trafic=visits")
    assert code == 2 and "expected CURRENCY=UNIT" in err
    code, _, err = run("import", *tables, "-o", out, "--name", "bad name")
    assert code == 2 and "map name 'bad name'" in err
    assert run("import", *tables, "-o", out, "--period", "daily")[0] == 2
    assert run("import", tables[0], "-o", out)[0] == 2  # PIPES.csv is required
    code, _, err = run("import", "none.csv", tables[1], "-o", out)
    assert (code, err) == (1, "none.csv: no such file\n")
    assert not Path(out).exists()


def test_default_name_from_an_output_that_is_not_a_name(tmp_path: Path) -> None:
    out = tmp_path / "生态 map.yaml"
    code, _, _ = run("import", "ecosystems/tables/nodes.csv", "ecosystems/tables/pipes.csv",
                     "-o", str(out))  # fmt: skip
    assert code == 0
    assert ecograph.load(out).name == "imported"


def test_help() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0 and "graphml" in out and "Example: ecograph export" in out
    code, out, _ = run("import", "--help")
    assert code == 0 and "NODES.csv PIPES.csv" in out and "Example: ecograph import" in out
    code, out, _ = run("--help")
    assert "export" in out and "import" in out


def test_gexf_file_is_read_by_networkx_from_disk(tmp_path: Path) -> None:
    out = tmp_path / "m.gexf"
    run("export", "ecosystems/alibaba.yaml", "-o", str(out))
    G = nx.read_gexf(io.BytesIO(out.read_bytes()))
    assert G.nodes["dingtalk"]["pid"] == "alibaba"


def test_import_huge_numbers_are_errors_at_their_cells(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    pipes = tmp_path / "pipes.csv"
    out = tmp_path / "map.yaml"
    nodes.write_text("id,kind,users\na,pool," + "9" * 5000 + "\nb,pool,0x" + "F" * 300 + "\n")
    pipes.write_text("from,to,volume\na,b,1.7e308\n")
    code, stdout, err = run("import", str(nodes), str(pipes), "-o", str(out))
    assert code == 1
    assert stdout == ""
    tail = "numbers must lie between -1e300 and 1e300 (quote it to make it text)"
    assert err.splitlines() == [
        f"{nodes}:2:8: nodes.a.users: number too large (5,000 characters); {tail}",
        f"{nodes}:3:8: nodes.b.users: number too large (302 characters); {tail}",
        f"{pipes}:2:5: pipes[0].volume: number too large (7 characters); {tail}",
    ]
    assert not out.exists()


def test_import_refuses_fifos_and_devices(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "nodes.csv"
    os.mkfifo(fifo)
    code, _, err = run("import", str(fifo), "/dev/zero", "-o", str(tmp_path / "m.yaml"))
    assert code == 1
    reason = "is not a regular file (a device, FIFO or socket); a CSV file is read from a "
    assert sorted(err.splitlines()) == sorted(
        [f"{fifo}: {reason}regular file only", f"/dev/zero: {reason}regular file only"]
    )


def test_import_too_long_title_is_a_usage_error(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    pipes = tmp_path / "pipes.csv"
    nodes.write_text("id,kind\na,pool\n")
    pipes.write_text("from,to\n")
    code, _, err = run("import", str(nodes), str(pipes), "-o", "-", "--title", "t" * 5000)
    assert code == 2
    assert "the title is 5,000 characters long; at most 1,000 allowed" in err
    assert str(nodes) not in err


def test_import_too_long_unit_is_a_usage_error(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,kind\na,pool\n")
    (tmp_path / "pipes.csv").write_text("from,to\n")
    args = ["import", str(nodes), str(tmp_path / "pipes.csv"), "-o", "-"]
    code, _, err = run(*args, "--unit", "traffic=" + "v" * 101)
    assert code == 2
    assert "the unit of 'traffic' is 101 characters long; at most 100 allowed" in err
    code, _, _ = run(*args, "--unit", "traffic=" + "v" * 100)
    assert code == 0


@pytest.mark.parametrize("path", sorted(Path("ecosystems").glob("*.yaml")), ids=lambda p: p.stem)
def test_csv_export_import_diff_reports_no_change(path: Path, tmp_path: Path) -> None:
    # the map's own fields travel in map.csv, so nothing at all is lost
    assert run("export", str(path), "-o", str(tmp_path / "t"), "--format", "csv")[0] == 0
    back = tmp_path / "back.yaml"
    code, _, err = run("import", str(tmp_path / "t/nodes.csv"), str(tmp_path / "t/pipes.csv"),
                       "-o", str(back))  # fmt: skip
    assert code == 0, err
    code, out, _ = run("diff", str(path), str(back), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["identical"] is True and report["changed"] == [] and report["map"] == []
    old, new = ecograph.load(path), ecograph.load(back)
    assert (new.name, new.title, new.period, dict(new.units), new.description) == (
        old.name, old.title, old.period, dict(old.units), old.description
    )  # fmt: skip


@pytest.mark.parametrize("path", sorted(Path("ecosystems").glob("*.yaml")), ids=lambda p: p.stem)
def test_parquet_export_loads_back_with_no_change(path: Path, tmp_path: Path) -> None:
    # the directory's map.yaml holds the map's own fields and names the two tables
    code, out, err = run("export", str(path), "-o", str(tmp_path / "t"), "--format", "parquet")
    assert code == 0, err
    assert "{nodes.parquet,pipes.parquet,map.yaml}" in out
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [
        "map.yaml", "nodes.parquet", "pipes.parquet"
    ]  # fmt: skip
    back = tmp_path / "t" / "map.yaml"
    code, out, _ = run("diff", str(path), str(back), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["identical"] is True and report["changed"] == [] and report["map"] == []
    old, new = ecograph.load(path), ecograph.load(back)
    assert (new.name, new.title, new.period, dict(new.units), new.description) == (
        old.name, old.title, old.period, dict(old.units), old.description
    )  # fmt: skip
    assert [p.key for p in new.pipes] == [p.key for p in old.pipes]


def test_import_description_and_options_over_map_csv(tmp_path: Path) -> None:
    assert run("export", "ecosystems/minimal.yaml", "-o", str(tmp_path / "t"))[0] == 0
    out = tmp_path / "m.yaml"
    code, _, err = run(
        "import", str(tmp_path / "t/nodes.csv"), str(tmp_path / "t/pipes.csv"), "-o", str(out),
        "--description", "季度 snapshot", "--title", "T", "--period", "year",
    )  # fmt: skip
    assert code == 0, err
    eco = ecograph.load(out)
    assert (eco.description, eco.title, eco.period) == ("季度 snapshot", "T", "year")
    assert eco.name == "minimal"  # from map.csv
    # without map.csv: the defaults of before
    (tmp_path / "t/map.csv").unlink()
    code, _, _ = run("import", str(tmp_path / "t/nodes.csv"), str(tmp_path / "t/pipes.csv"),
                     "-o", str(out), "--description", "d")  # fmt: skip
    eco = ecograph.load(out)
    assert (eco.name, eco.title, eco.period, eco.description, dict(eco.units)) == (
        "m", "m", "month", "d", {}
    )  # fmt: skip


def test_bad_map_csv_is_one_located_line(tmp_path: Path) -> None:
    assert run("export", "ecosystems/minimal.yaml", "-o", str(tmp_path / "t"))[0] == 0
    (tmp_path / "t/map.csv").write_text("field,value\nname,x\ntitel,y\nname,z\nperiod\n")
    out = tmp_path / "m.yaml"
    code, _, err = run("import", str(tmp_path / "t/nodes.csv"), str(tmp_path / "t/pipes.csv"),
                       "-o", str(out))  # fmt: skip
    shown = tmp_path / "t/map.csv"
    assert code == 1
    assert err.splitlines() == [
        f"{shown}:3:1: unknown field 'titel' (did you mean 'title'?); expected one of name, "
        "title, period, description, unit.traffic, unit.capital, unit.goods, unit.data",
        f"{shown}:4:1: field 'name' is already given on line 2",
        f"{shown}:5:1: field 'period' has no value",
    ]
    assert not out.exists()
    (tmp_path / "t/map.csv").write_text("field,value\nperiod,monthly\n")
    code, _, err = run("import", str(tmp_path / "t/nodes.csv"), str(tmp_path / "t/pipes.csv"),
                       "-o", str(out))  # fmt: skip
    assert (code, err) == (
        1,
        f"{shown}:2:8: unknown period 'monthly' (did you mean 'month'?); "
        "expected one of day, week, month, quarter, year\n",
    )
