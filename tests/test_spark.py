"""The Spark engine (``ecograph.spark``, ``--engine spark``) against the one-machine engine.

One local Spark session is shared by every test here (starting one costs seconds).
Every figure is compared with the one-machine engine's, computed independently from
the same map, to 1e-6 relative.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ecograph
from ecograph import spark as es
from ecograph.cli.main import main
from ecograph.compiled import compiled
from ecograph.exchange import export
from ecograph.model import Ecosystem

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


@pytest.fixture(scope="module")
def spark() -> Any:
    return es.session("local[2]", {"spark.sql.shuffle.partitions": "2"})


def close(a: float | None, b: float | None, rel: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)


def same_values(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert set(a) == set(b)
    bad = {k: (a[k], b[k]) for k in b if not close(a[k], b[k])}
    assert not bad


def generated(partners: int, pipes: int, seed: int = 3) -> Ecosystem:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    return generate(platforms=3, sub_ecosystems=12, partners=partners, pipes=pipes, seed=seed)


@pytest.fixture(scope="module")
def parquet_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ecosystem]:
    """The generated 20,000-partner map as Parquet tables and a map naming them."""
    folder = tmp_path_factory.mktemp("pq")
    eco = generated(20_000, 120_000)
    export(eco, folder / "tables", "parquet")
    path = folder / "map.yaml"
    path.write_text(
        "ecograph: 1\nname: generated\ntables:\n"
        "  nodes: [tables/nodes.parquet]\n  pipes: [tables/pipes.parquet]\n",
        encoding="utf-8",
    )
    return path, ecograph.load(path)


# -- small maps: every example ---------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_maps_flow_longtail_value_degree(spark: Any, path: Path) -> None:
    eco = ecograph.load(path)
    sm = es.from_ecosystem(spark, eco)
    for currency in ("traffic", "capital"):
        a, b = es.flow(sm, currency=currency), ecograph.flow(eco, kind=currency)
        same_values(dict(a.throughflow), dict(b.throughflow))
        same_values(dict(a.imbalance), dict(b.imbalance))
        for name in (
            "total_system_throughflow",
            "boundary_input",
            "average_path_length",
            "cycling_index",
            "boundary_flow_index",
            "direct_flow_index",
            "indirect_flow_index",
        ):
            assert close(getattr(a, name), getattr(b, name)), (currency, name)
    lt_a, lt_b = es.longtail(sm), ecograph.longtail(eco)
    assert list(lt_a.values) == list(lt_b.values)
    for name in ("total", "gini", "top20_share", "tail_share", "herfindahl"):
        assert close(getattr(lt_a, name), getattr(lt_b, name)) or (
            math.isnan(getattr(lt_a, name)) and math.isnan(getattr(lt_b, name))
        )
    va, vb = es.value(sm), ecograph.value(eco)
    assert list(va.nodes) == list(vb.nodes)
    for node in vb.nodes:
        same_values(va[node], vb[node])
    for metric in ("degree", "in-degree", "out-degree"):
        ca, cb = es.centrality(sm, metric), ecograph.centrality(eco, metric)
        assert ca == cb
    got, expect = es.summary(sm, list(eco.files)), eco.summary()
    same_values(got.pop("volume"), expect.pop("volume"))
    assert got == expect


@pytest.mark.parametrize("name", ["alibaba", "tencent"])
def test_pagerank_and_reach_on_example_maps(spark: Any, name: str) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / f"{name}.yaml")
    sm = es.from_ecosystem(spark, eco)
    a, b = es.centrality(sm, "pagerank"), ecograph.centrality(eco, "pagerank")
    assert list(a["values"]) == list(b["values"]) or all(
        close(a["values"][k], b["values"][k], 1e-9) for k in b["values"]
    )
    same_values(a["values"], b["values"])
    pools = [n for n, node in eco.nodes.items() if node.kind == "pool"]
    for source in pools[:2]:
        ra, rb = es.reach(sm, source), ecograph.reach(eco, source)
        assert dict(ra.hops) == dict(rb.hops)
        same_values(dict(ra.traffic), dict(rb.traffic))
        same_values(dict(ra.leaving), dict(rb.leaving))
        assert close(ra.sent, rb.sent)
    limited = es.reach(sm, pools[0], hops=1)
    assert dict(limited.hops) == dict(ecograph.reach(eco, pools[0], hops=1).hops)


def test_cycles_closed_loops_and_a_source_coming_back(spark: Any) -> None:
    # hand-checkable: pool -> a <-> b (b sends 1/3 of its 15 back), and a closed loop c <-> d
    eco = ecograph.loads(
        """
ecograph: 1
name: loops
nodes:
  pool: {kind: pool, inflow: 10}
  a: {kind: partner}
  b: {kind: partner, outflow: 10}
  c: {kind: partner}
  d: {kind: partner}
pipes:
  - {from: pool, to: a, volume: 10}
  - {from: a, to: b, volume: 15}
  - {from: b, to: a, volume: 5}
  - {from: c, to: d, volume: 4}
  - {from: d, to: c, volume: 4}
"""
    )
    sm = es.from_ecosystem(spark, eco)
    f = es.flow(sm)
    # T: pool 10, a 15, b 15, c 4, d 4; cycled: a and b each return 1/3 -> 5 + 5; c, d: all
    assert close(f.total_system_throughflow, 48.0)
    assert close(f.cycled_throughflow, 18.0)
    assert close(f.cycling_index, 18.0 / 48.0)
    b = ecograph.flow(eco)
    assert close(f.indirect_flow_index, b.indirect_flow_index)
    r = es.reach(sm, "a")
    # a sends 15; a's traffic passing b: 15 * (1 + 1/3 + 1/9 ...) = 22.5; back at a 7.5
    assert close(r.traffic["b"], 22.5) and close(r.traffic["a"], 7.5)
    loop = es.reach(sm, "c")
    assert loop.traffic["d"] == math.inf
    assert dict(loop.traffic) == dict(ecograph.reach(eco, "c").traffic)


# -- a 20,000-partner map from Parquet -------------------------------------------------------


def test_generated_parquet_map_equals_the_one_machine_engine(
    spark: Any, parquet_map: tuple[Path, Ecosystem]
) -> None:
    path, eco = parquet_map
    sm = es.read_map(spark, str(path))
    assert sm.nodes.count() == len(eco.nodes) and sm.pipes.count() == len(eco.pipes)
    got, expect = es.summary(sm, []), {**eco.summary(), "files": []}
    same_values(got.pop("volume"), expect.pop("volume"))
    assert got == expect
    for currency in ("traffic", "capital"):
        a, b = es.flow(sm, currency=currency), ecograph.flow(eco, kind=currency)
        same_values(dict(a.throughflow), dict(b.throughflow))
        assert close(a.total_system_throughflow, b.total_system_throughflow)
        assert close(a.direct_flow_index, b.direct_flow_index)
        assert close(a.indirect_flow_index, b.indirect_flow_index)
        if b.cycling_index_stderr > 0:  # sampled on one machine: Spark never samples
            assert a.cycling_index is None
        else:
            assert close(a.cycling_index, b.cycling_index)
    lt_a, lt_b = es.longtail(sm), ecograph.longtail(eco)
    assert list(lt_a.values) == list(lt_b.values)
    assert close(lt_a.gini, lt_b.gini) and close(lt_a.herfindahl, lt_b.herfindahl)
    va, vb = es.value(sm), ecograph.value(eco)
    for node in vb.nodes:
        same_values(va[node], vb[node])
    assert es.centrality(sm, "in-degree", top=20) == ecograph.centrality(eco, "in-degree", top=20)
    ra, rb = es.reach(sm, "pool-00"), ecograph.reach(eco, "pool-00")
    assert dict(ra.hops) == dict(rb.hops)
    same_values(dict(ra.traffic), dict(rb.traffic))


# -- check on Spark: every problem located ---------------------------------------------------


def write_map(folder: Path, nodes: str, pipes: str) -> Path:
    (folder / "nodes.csv").write_text(nodes, encoding="utf-8")
    (folder / "pipes.csv").write_text(pipes, encoding="utf-8")
    path = folder / "map.yaml"
    path.write_text(
        "ecograph: 1\nname: t\ntables:\n  nodes: [nodes.csv]\n  pipes: [pipes.csv]\n",
        encoding="utf-8",
    )
    return path


def test_check_finds_every_problem_at_its_row(spark: Any, tmp_path: Path) -> None:
    path = write_map(
        tmp_path,
        "id,kind,parent,users\n"
        "a,pool,,10\n"  # row 1
        "b,partner,c,-1\n"  # row 2: negative users; b -> c -> b a parent cycle
        "c,partner,b,\n"  # row 3
        "a,partner,,\n"  # row 4: duplicate
        "e,giant,,\n",  # row 5: unknown kind
        "from,to,volume,kind,conversion\n"
        "a,b,5,traffic,\n"  # row 1
        "a,zz,x,traffic,\n"  # row 2: unknown node; text volume
        "a,b,1,gold,1.5\n",  # row 3: unknown currency; conversion above 1
    )
    with pytest.raises(ecograph.MapError) as err:
        es.read_map(spark, str(path))
    found = {
        (d.file.split(": ", 1)[1], d.message.split(",")[0].split(" at ")[0])
        for d in err.value.diagnostics
    }
    assert found == {
        ("row 2, column users", "must be 0 or more"),
        ("row 2, column parent", "parent cycle: b -> c -> b"),
        ("row 4, column id", "node 'a' is already defined"),
        ("row 5, column kind", "unknown node kind 'giant'; expected one of platform"),
        ("row 2, column to", "unknown node 'zz'"),
        ("row 2, column volume", "expected a number"),
        ("row 3, column kind", "unknown currency 'gold'; expected one of traffic"),
        ("row 3, column conversion", "must be between 0 and 1"),
    }
    # the one-machine engine finds as many problems in the same tables
    (result,) = ecograph.check(path)
    assert len([d for d in result.diagnostics if d.severity == "error"]) == len(found)


def test_check_of_a_valid_table_map_and_missing_columns(spark: Any, tmp_path: Path) -> None:
    good = write_map(tmp_path, "id,kind\np,pool\nq,partner\n", "from,to,volume\np,q,3\n")
    sm = es.read_map(spark, str(good))
    assert es.summary(sm)["volume"] == {"traffic": 3.0}
    bad = tmp_path / "bad"
    bad.mkdir()
    path = write_map(bad, "name,kind\np,pool\n", "from,to\np,p\n")
    with pytest.raises(ecograph.MapError) as err:
        es.read_map(spark, str(path))
    text = [str(d) for d in err.value.diagnostics]
    assert any("unknown column 'name'" in t for t in text)
    assert any("missing column id" in t for t in text)


# -- the command line ------------------------------------------------------------------------


def test_cli_spark_output_equals_local(spark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "ecosystems" / "xiaomi.yaml")
    for command in (
        ["flow", path, "--format", "json"],
        ["longtail", path, "--format", "json"],
        ["value", path, "--format", "json"],
        ["centrality", path, "--metric", "degree", "--format", "json"],
    ):
        assert main(command) == 0
        local = json.loads(capsys.readouterr().out)
        assert main([*command, "--engine", "spark"]) == 0
        out = capsys.readouterr()
        remote = json.loads(out.out)
        assert out.err == ""
        assert _close_json(local, remote), command


def _close_json(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(_close_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_close_json, a, b))
    if isinstance(a, float) and isinstance(b, int | float):
        return close(a, float(b))
    return bool(a == b)


def test_cli_check_with_spark(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = ROOT / "ecosystems" / "tables"
    path = str(
        write_map(
            tmp_path,
            (tables / "nodes.csv").read_text(encoding="utf-8-sig"),
            (tables / "pipes.csv").read_text(encoding="utf-8-sig"),
        )
    )
    assert main(["check", path]) == 0
    local = capsys.readouterr().out
    assert main(["check", path, "--engine", "spark"]) == 0
    assert capsys.readouterr().out == local


def test_cli_refuses_what_spark_does_not_run(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "ecosystems" / "alibaba.yaml")
    cases = [
        ["centrality", path, "--metric", "betweenness", "--engine", "spark"],
        ["centrality", path, "--metric", "pagerank", "--by-group", "--engine", "spark"],
        ["reach", path, "--from", "x", "--to", "y", "--engine", "spark"],
        ["value", path, "--by-group", "--engine", "spark"],
        ["flow", path, "--spark-master", "local[1]"],
        ["flow", path, "--engine", "spark", "--spark-conf", "no-equals-sign"],
    ]
    for args in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.strip(), args


def test_a_master_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    # a fresh process (the tests' session is already running in this one)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecograph",
            "flow",
            str(ROOT / "ecosystems" / "minimal.yaml"),
            "--engine",
            "spark",
            "--spark-master",
            "spark://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "ECOGRAPH_SPARK_LOG": str(tmp_path / "s.log")},
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not answer" in lines[0], proc.stderr


def test_spark_failure_names_the_log(spark: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    (tmp_path / "pipes.csv").write_text("from,to\n", encoding="utf-8")
    path = tmp_path / "map.yaml"
    path.write_text(
        "ecograph: 1\nname: t\ntables:\n  nodes: [broken.parquet]\n  pipes: [pipes.csv]\n",
        encoding="utf-8",
    )
    with pytest.raises(es.SparkEngineError) as err:
        es.read_map(spark, str(path))
    message = str(err.value)
    assert "\n" not in message and str(es.log_file()) in message


def test_numbers_are_collected_per_node_not_per_pipe(spark: Any) -> None:
    # node_sums: two group-bys; the sums equal numpy's on the same columns
    eco = generated(300, 3_000, seed=5)
    sm = es.from_ecosystem(spark, eco)
    sums = es.node_sums(sm, "traffic")
    cm = compiled(eco)
    layer = cm.layer("traffic")
    live = layer.is_open
    expect_in = np.bincount(layer.dst[live], weights=layer.volume[live], minlength=cm.n)
    assert np.allclose(sums.pipe_in, expect_in)
    assert sums.ids == cm.ids


def test_rows_are_located_in_a_parquet_file_split_over_many_tasks(
    spark: Any, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [f"n{i}" for i in range(5000)]
    ids[4321] = "n17"  # a repeat of row 18 at row 4322 (rows counted from 1)
    pq.write_table(
        pa.table({"id": ids, "kind": ["partner"] * 5000}),
        tmp_path / "nodes.parquet",
        row_group_size=500,
    )
    pq.write_table(pa.table({"from": ["n0"], "to": ["n1"]}), tmp_path / "pipes.parquet")
    path = tmp_path / "map.yaml"
    path.write_text(
        "ecograph: 1\nname: t\ntables:\n  nodes: [nodes.parquet]\n  pipes: [pipes.parquet]\n",
        encoding="utf-8",
    )
    spark.conf.set("spark.sql.files.maxPartitionBytes", "2000")
    try:
        assert spark.read.parquet(str(tmp_path / "nodes.parquet")).rdd.getNumPartitions() > 1
        with pytest.raises(ecograph.MapError) as err:
            es.read_map(spark, str(path))
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    (problem,) = err.value.diagnostics
    assert problem.file.endswith("nodes.parquet: row 4322, column id")
    assert problem.message.endswith("nodes.parquet: row 18")


def test_diagnose_lists_the_dry_nodes_as_the_one_machine_engine(spark: Any) -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: dry
nodes:
  pool: {kind: pool, inflow: 10}
  shop: {kind: partner, outflow: 10}
  hidden: {kind: partner}
  behind: {kind: producer}
  ghost: {kind: partner}
  nobody: {kind: channel}
  idle: {kind: partner}
pipes:
  - {from: pool, to: shop, volume: 10}
  - {from: pool, to: hidden, status: blocked}
  - {from: hidden, to: behind}
  - {from: nobody, to: ghost}
"""
    )
    # by hand: hidden and behind are reached only through the blocked pipe; ghost and
    # nobody by nothing at all; idle has no pipe (left out); shop is wet
    expect = {"hidden": "blocked-pipe", "behind": "blocked-pipe", "ghost": "empty-pipe",
              "nobody": "empty-pipe"}  # fmt: skip
    sm = es.from_ecosystem(spark, eco)
    got = es.diagnose(sm)
    assert {n: d.status for n, d in got.items()} == expect
    local = ecograph.diagnose(eco)
    assert {n: d.status for n, d in local.items() if d.status in expect.values()} == expect
    assert got["ghost"].evidence == {"received": 0.0}
    assert got["ghost"].findings[0].evidence == local["ghost"].findings[0].evidence
    assert got["ghost"].reasons == local["ghost"].reasons
    assert list(es.diagnose(sm, node="behind")) == ["behind"]
    with pytest.raises(ecograph.UsageError):
        es.diagnose(sm, node="nope")
    for path in EXAMPLES:
        eco = ecograph.load(path)
        dry = {
            n: d.status
            for n, d in ecograph.diagnose(eco).items()
            if d.status in ("empty-pipe", "blocked-pipe")
        }
        assert {n: d.status for n, d in es.diagnose(es.from_ecosystem(spark, eco)).items()} == dry
