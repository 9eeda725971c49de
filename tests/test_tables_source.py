"""Maps from tables (``tables:`` in a map, :func:`ecograph.from_tables`, Parquet export).

The truth tests export every example map to CSV and to Parquet, reload it through a
stub map that only names the tables, and compare what the analyses say and the node
and pipe objects with the YAML map's. The corpus in ``tests/corpus/tables`` states in
``# expect:`` lines the problems each map must produce, worked out by reading the
files (line and column counted by hand), not by running the loader.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import MapError
from ecograph.cli import main
from ecograph.compiled import compile_model, compiled
from ecograph.exchange import export, to_parquet_tables
from ecograph.tablemap import LIMIT

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))
CORPUS = sorted((ROOT / "tests" / "corpus" / "tables").glob("*.yaml"))


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def stub(folder: Path, name: str, fmt: str) -> Path:
    path = folder / "map.yaml"
    path.write_text(
        f"ecograph: 1\nname: {name}\ntables:\n"
        f"  nodes: [tables/nodes.{fmt}]\n  pipes: [tables/pipes.{fmt}]\n",
        "utf-8",
    )
    return path


def without_location(obj: Any) -> Any:
    return dataclasses.replace(obj, location=ecograph.Location("", 0, 0))


def a_partner(eco: ecograph.Ecosystem) -> str:
    """A partner some open traffic pipe reaches (the target of bottlenecks)."""
    for pipe in eco.pipes:
        if pipe.kind == "traffic" and pipe.is_open and eco.nodes[pipe.to_node].kind == "partner":
            return pipe.to_node
    return next(p.to_node for p in eco.pipes if p.kind == "traffic")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_maps_through_tables_give_the_same_answers(
    path: Path, fmt: str, tmp_path: Path
) -> None:
    eco = ecograph.load(path)
    export(eco, tmp_path / "tables", fmt)
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "map.csv" if fmt == "csv" else "map.yaml",  # the map's own fields (import / load)
        f"nodes.{fmt}",
        f"pipes.{fmt}",
    ]
    tables = ecograph.load(stub(tmp_path, eco.name, fmt))
    target = a_partner(eco)
    # analyses first: they read the columns, and no pipe object is made
    assert ecograph.flow(tables) == ecograph.flow(eco)
    assert ecograph.centrality(tables, "pagerank") == ecograph.centrality(eco, "pagerank")
    assert ecograph.bottlenecks(tables, target) == ecograph.bottlenecks(eco, target)
    assert tables.pipes._made is None  # type: ignore[attr-defined]
    assert tables.nodes._made == {}  # type: ignore[attr-defined]
    # every compiled column, the economics ones included, as the YAML map compiles it
    from ecograph.compiled import compiled

    got, want = compiled(tables), compiled(eco)
    for name in (
        *("kind", "parent", "users", "inflow", "outflow", "price", "owner", "domain"),
        *("src", "dst", "currency", "volume", "capacity", "cost", "conversion", "open"),
        "paid_by_from",
    ):
        assert np.array_equal(getattr(got, name), getattr(want, name), equal_nan=True), name
    assert got.keys == want.keys and got.ids == want.ids
    # then the objects, field by field (locations point at the tables)
    assert list(tables.nodes) == list(eco.nodes)
    for node_id in eco.nodes:
        assert without_location(tables.nodes[node_id]) == without_location(eco.nodes[node_id])
    assert [without_location(p) for p in tables.pipes] == [without_location(p) for p in eco.pipes]
    assert tables.warnings == ()
    assert len(eco.warnings) == 0
    summary = tables.summary()
    assert {k: v for k, v in summary.items() if k not in ("name", "title", "files")} == {
        k: v for k, v in eco.summary().items() if k not in ("name", "title", "files")
    }


def test_table_locations(tmp_path: Path) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "tencent.yaml")
    export(eco, tmp_path / "tables", "csv")
    export(eco, tmp_path / "pq", "parquet")
    csv_map = ecograph.load(stub(tmp_path, "t", "csv"))
    first = next(iter(eco.nodes))
    # nodes.csv: the header on line 1, then one node per line; the id is the first cell
    assert csv_map.nodes[first].location.line == 2
    assert csv_map.nodes[first].location.column == 1
    assert csv_map.pipes[0].location.line == 2
    parquet = ecograph.from_tables(*to_parquet_tables(eco), name="t")
    assert parquet.pipes[3].location == ecograph.Location("<pipes>", 4, 0)  # row 4, from 1


def _expected(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.*)$", path.read_text("utf-8"), re.MULTILINE)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_of_bad_tables(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = path.relative_to(ROOT).as_posix()
    expected = _expected(path)
    assert expected, f"{shown} states no '# expect:' line"
    with pytest.raises(MapError) as info:
        ecograph.load(shown)
    got = [str(d) for d in info.value.errors]
    assert len(got) == len(expected), got
    for want, line in zip(expected, got, strict=True):
        if want.endswith("..."):
            assert line.startswith(want[:-3]), line
        else:
            assert line == want


def test_corpus_from_the_command_line_is_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run("check", "tests/corpus/tables/broken.yaml")
    assert code == 1
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("tests/")]
    assert len(lines) == len(_expected(ROOT / "tests/corpus/tables/broken.yaml"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "nodes.csv")
    (tmp_path / "map.yaml").write_text("ecograph: 1\nname: f\ntables: {nodes: [nodes.csv]}\n")
    run = subprocess.run(
        [sys.executable, "-m", "ecograph", "check", "map.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "nodes.csv: is not a regular file (a device, FIFO or socket)" in run.stderr
    assert "Traceback" not in run.stderr


def test_problems_beyond_the_first_hundred_are_counted() -> None:
    n = 250
    nodes = pa.table({"id": [f"n{i}" for i in range(n)], "kind": ["pol"] * n})
    with pytest.raises(MapError) as info:
        ecograph.from_tables(nodes)
    errors = info.value.errors
    assert len(errors) == LIMIT + 1
    assert str(errors[0]).startswith("<nodes>: row 1, column kind: nodes.n0.kind: unknown kind")
    assert str(errors[LIMIT - 1]).startswith(f"<nodes>: row {LIMIT}, column kind")
    assert str(errors[-1]) == f"<nodes>: ... and {n - LIMIT} more problems in the tables"


def test_from_tables_with_pandas() -> None:
    pd = pytest.importorskip("pandas")
    nodes = pd.DataFrame(
        {"id": ["u", "s"], "kind": ["pool", "partner"], "inflow": [5.0, None]}
        | {"outflow": [None, 5.0]}
    )
    pipes = pd.DataFrame({"from": ["u"], "to": ["s"], "volume": [5], "kind": ["traffic"]})
    eco = ecograph.from_tables(nodes, pipes, name="shop", period="week", units={"traffic": "v"})
    assert (eco.name, eco.period, dict(eco.units)) == ("shop", "week", {"traffic": "v"})
    assert ecograph.flow(eco).total_system_throughflow == 10.0
    assert eco.nodes["s"].outflow == {"traffic": 5.0} and eco.nodes["u"].outflow == {}
    bad = pd.DataFrame({"from": ["u"], "to": ["x"], "volume": [-1.0]})
    with pytest.raises(MapError) as info:
        ecograph.from_tables(nodes, bad)
    assert [str(d) for d in info.value.errors] == [
        "<pipes>: row 1, column volume: pipes[0].volume: must be 0 or more, found -1",
        "<pipes>: row 1, column to: pipes[0].to: unknown node 'x'",
    ]
    with pytest.raises(ecograph.UsageError, match="pyarrow Table or a pandas DataFrame"):
        ecograph.from_tables([1, 2])


def test_yaml_and_tables_refer_to_each_other(tmp_path: Path) -> None:
    (tmp_path / "nodes.csv").write_text("id,kind,parent,outflow\nshop,partner,app,5\n")
    (tmp_path / "pipes.csv").write_text("from,to,volume\nusers,shop,5\nusers,shop,0\n")
    (tmp_path / "map.yaml").write_text(
        "ecograph: 1\nname: m\nnodes:\n  app: {kind: platform}\n"
        "  users: {kind: pool, parent: app, inflow: 5}\n"
        "pipes:\n  - {from: users, to: shop}\n"
        "tables: {nodes: [nodes.csv], pipes: [pipes.csv]}\n"
    )
    eco = ecograph.load(tmp_path / "map.yaml")
    # keys run on over the YAML pipes and the table rows together, as the loader's
    assert [p.key for p in eco.pipes] == [
        "users->shop:traffic",
        "users->shop:traffic#2",
        "users->shop:traffic#3",
    ]
    assert eco.members("app") == ("users", "shop")
    assert eco.nodes["shop"].location.file.endswith("nodes.csv")
    yaml_twin = ecograph.loads(
        "ecograph: 1\nname: m\nnodes:\n  app: {kind: platform}\n"
        "  users: {kind: pool, parent: app, inflow: 5}\n"
        "  shop: {kind: partner, parent: app, outflow: 5}\n"
        "pipes:\n  - {from: users, to: shop}\n  - {from: users, to: shop, volume: 5}\n"
        "  - {from: users, to: shop, volume: 0}\n"
    )
    assert_same_columns(compile_model(yaml_twin), compiled(eco))


def assert_same_columns(a: Any, b: Any) -> None:
    for name in ("ids", "labels", "tags", "genes", "keys"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("kind", "parent", "users", "inflow", "outflow", "src", "dst", "currency"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("volume", "capacity", "cost", "conversion", "open"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# -- property: YAML and tables compile to the same columns ----------------------------------

_KINDS = list(ecograph.NODE_KINDS)
_AMOUNT = st.one_of(
    st.none(),
    st.integers(0, 10**6),
    st.floats(0, 1e12, allow_nan=False, allow_infinity=False),
)


@st.composite
def small_maps(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 8))
    ids = [f"n{i}" for i in range(n)]
    nodes: dict[str, Any] = {}
    for i, node_id in enumerate(ids):
        node: dict[str, Any] = {"kind": draw(st.sampled_from(_KINDS))}
        if i and draw(st.booleans()):
            node["parent"] = ids[draw(st.integers(0, i - 1))]
        for key in ("users", "inflow", "outflow"):
            value = draw(_AMOUNT)
            if value is not None:
                node[key] = value
        if draw(st.booleans()):
            node["outflow"] = {"capital": draw(st.integers(0, 100))}
        if draw(st.booleans()):
            node["tags"] = draw(st.lists(st.sampled_from(["a", "b c", "d"]), max_size=2))
        nodes[node_id] = node
    pipes = []
    for j in range(draw(st.integers(0, 12))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if a == b:
            continue
        pipe: dict[str, Any] = {"from": a, "to": b}
        pipe["kind"] = draw(st.sampled_from(list(ecograph.CURRENCIES)))
        for key in ("volume", "capacity", "cost"):
            value = draw(_AMOUNT)
            if value is not None:
                pipe[key] = value
        if draw(st.booleans()):
            pipe["conversion"] = draw(st.floats(0, 1))
        if draw(st.booleans()):
            pipe["status"] = "blocked"
        if draw(st.integers(0, 5)) == 0:
            pipe["id"] = f"p{j}"
        pipes.append(pipe)
    return {"ecograph": 1, "name": "h", "nodes": nodes, "pipes": pipes}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=small_maps(), fmt=st.sampled_from(["csv", "parquet"]))
def test_yaml_and_tables_give_the_same_columns(
    data: dict[str, Any], fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import json

    eco = ecograph.loads(json.dumps(data))
    folder = tmp_path_factory.mktemp("h")
    export(eco, folder / "tables", fmt)
    tables = ecograph.load(stub(folder, "h", fmt))
    assert_same_columns(compile_model(eco), compiled(tables))
    assert tables.pipes._made is None  # type: ignore[attr-defined]


# -- the command line ----------------------------------------------------------------------


def test_export_parquet_and_import_a_stub(tmp_path: Path) -> None:
    source = str(ROOT / "ecosystems" / "alibaba.yaml")
    code, stdout, err = run("export", source, "-o", str(tmp_path / "pq"), "--format", "parquet")
    assert code == 0, err
    assert "{nodes.parquet,pipes.parquet,map.yaml}" in stdout
    assert run("export", source, "-o", str(tmp_path / "csv"))[0] == 0
    out = tmp_path / "maps" / "alibaba.yaml"
    out.parent.mkdir()
    nodes, pipes = str(tmp_path / "csv/nodes.csv"), str(tmp_path / "csv/pipes.csv")
    code, _, err = run(
        "import", nodes, pipes, "-o", str(out), "--tables", "--unit", "traffic=visits"
    )
    assert code == 0
    assert "note: the tables lie outside the map's folder" in err
    text = out.read_text("utf-8")
    assert "tables:\n  nodes: [../csv/nodes.csv]\n  pipes: [../csv/pipes.csv]\n" in text
    assert "traffic: visits" in text and "nodes:\n  " not in text.split("tables:")[0]
    # the tables lie outside the stub's folder: read only when allowed, as includes are
    code, _, err = run("centrality", str(out), "--metric", "pagerank")
    assert code == 1 and "outside the map's folder" in err
    eco = ecograph.load(out, allow_outside=True)
    assert len(eco.nodes) == len(ecograph.load(source).nodes)
    code, stdout, err = run("centrality", str(out), "--metric", "pagerank", "--allow-outside")
    assert code == 0, err


def test_the_table_columns_are_the_export_columns() -> None:
    from ecograph import tablemap
    from ecograph.exchange import NODE_COLUMNS, PIPE_COLUMNS
    from ecograph.exchange.export import ECONOMICS_NODE_COLUMNS, ECONOMICS_PIPE_COLUMNS

    assert (*NODE_COLUMNS, *ECONOMICS_NODE_COLUMNS) == tablemap.NODE_COLUMNS
    assert (*PIPE_COLUMNS, *ECONOMICS_PIPE_COLUMNS) == tablemap.PIPE_COLUMNS


def test_a_table_outside_the_maps_folder_is_not_read(tmp_path: Path) -> None:
    # like an include: a stranger's map must not make ecograph read and quote another file
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    folder = tmp_path / "maps"
    folder.mkdir()
    stub_map = folder / "m.yaml"
    stub_map.write_text("ecograph: 1\nname: m\ntables:\n  nodes: [../secret.csv]\n", "utf-8")
    with pytest.raises(ecograph.MapError) as info:
        ecograph.load(stub_map)
    message = str(info.value)
    assert "outside the map's folder" in message and "root:x" not in message
    assert f"{stub_map}:4:11:" in message  # at the entry of tables.nodes
    # allowed, it is read (and is not a nodes table)
    with pytest.raises(ecograph.MapError) as info:
        ecograph.load(stub_map, allow_outside=True)
    assert "missing required column 'id'" in str(info.value)
