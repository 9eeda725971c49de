"""The compiled map: its columns against the model and networkx, and its one cache."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import ecograph
from ecograph.compiled import compile_model, compiled, from_columns
from ecograph.model import CURRENCIES, NODE_KINDS, Ecosystem, Node, Pipe

EXAMPLES = sorted((Path(__file__).parent.parent / "ecosystems").glob("*.yaml"))


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def eco(request: pytest.FixtureRequest) -> Ecosystem:
    return ecograph.load(request.param)


def test_columns_of_a_small_map_worked_by_hand() -> None:
    m = Ecosystem(
        "m",
        nodes={
            "p": Node("p", "platform"),
            "u": Node("u", "pool", parent="p", users=50.0, inflow={"traffic": 9.0}),
            "a": Node("a", "partner", parent="p", outflow={"traffic": 4.0, "capital": 1.0}),
        },
        pipes=(
            Pipe("u->a:traffic", "u", "a", volume=4.0, capacity=5.0, cost=0.5),
            Pipe("x", "a", "u", kind="capital", conversion=0.25, status="blocked"),
            Pipe("u->a:traffic#2", "u", "a"),
        ),
    )
    cm = compiled(m)
    assert cm.ids == ("p", "u", "a")
    assert [NODE_KINDS[k] for k in cm.kind.tolist()] == ["platform", "pool", "partner"]
    assert cm.parent.tolist() == [-1, 0, 0]
    assert math.isnan(cm.users[0]) and cm.users[1] == 50.0
    assert cm.inflow[1].tolist() == [9.0, 0.0, 0.0, 0.0]
    assert cm.outflow[2].tolist() == [4.0, 1.0, 0.0, 0.0]
    assert cm.keys == ("u->a:traffic", "x", "u->a:traffic#2")
    assert cm.src.tolist() == [1, 2, 1] and cm.dst.tolist() == [2, 1, 2]
    assert [CURRENCIES[c] for c in cm.currency.tolist()] == ["traffic", "capital", "traffic"]
    assert cm.volume[0] == 4.0 and math.isnan(cm.volume[1]) and math.isnan(cm.volume[2])
    assert cm.capacity.tolist() == [5.0, math.inf, math.inf]
    assert cm.cost[0] == 0.5 and math.isnan(cm.cost[1])
    assert cm.conversion[1] == 0.25
    assert cm.open.tolist() == [True, False, True]
    traffic = cm.layer("traffic")
    assert traffic.rows.tolist() == [0, 2]
    assert traffic.volume.tolist() == [4.0, 0.0]
    assert traffic.volume_given.tolist() == [True, False]
    # through: u sends 4 and receives 9 from outside; a receives 4 and lets 4 out
    assert cm.throughflow()[:, 0].tolist() == [0.0, 9.0, 4.0]


def test_group_rows_match_the_model_walk(eco: Ecosystem) -> None:
    cm = compiled(eco)
    for kinds in (("sub-ecosystem",), ("platform",), ("platform", "sub-ecosystem")):
        rows = cm.group_rows(kinds)
        want = [eco.group_of(n, kinds=kinds) for n in eco.nodes]
        got = [cm.ids[r] if r >= 0 else None for r in rows.tolist()]
        assert got == want


def test_node_sums_match_networkx(eco: Ecosystem) -> None:
    cm = compiled(eco)
    through = cm.throughflow()
    for c, currency in enumerate(CURRENCIES):
        D = ecograph.flow_layer(eco.graph, currency)
        for i, node in enumerate(cm.ids):
            into = D.nodes[node]["inflow"] + sum(
                d["volume"] for _, _, d in D.in_edges(node, data=True)
            )
            out = D.nodes[node]["outflow"] + sum(
                d["volume"] for _, _, d in D.out_edges(node, data=True)
            )
            assert through[i, c] == pytest.approx(max(into, out), rel=1e-12, abs=1e-9)


def test_arrow_tables_carry_the_same_map(eco: Ecosystem) -> None:
    nodes, pipes = compiled(eco).to_arrow()
    assert nodes.column("id").to_pylist() == list(eco.nodes)
    assert nodes.column("kind").to_pylist() == [n.kind for n in eco.nodes.values()]
    assert nodes.column("parent").to_pylist() == [n.parent for n in eco.nodes.values()]
    assert pipes.column("key").to_pylist() == [p.key for p in eco.pipes]
    assert pipes.column("from").to_pylist() == [p.from_node for p in eco.pipes]
    assert pipes.column("volume").to_pylist() == [p.volume for p in eco.pipes]
    assert pipes.column("capacity").to_pylist() == [p.capacity for p in eco.pipes]
    assert pipes.column("status").to_pylist() == [p.status for p in eco.pipes]


def test_from_columns_equals_compiling_the_model(eco: Ecosystem) -> None:
    cm = compile_model(eco)
    again = from_columns(
        ids=cm.ids,
        kind=cm.kind,
        parent=cm.parent,
        users=cm.users,
        inflow=cm.inflow,
        outflow=cm.outflow,
        labels=cm.labels,
        tags=cm.tags,
        genes=cm.genes,
        keys=cm.keys,
        src=cm.src,
        dst=cm.dst,
        currency=cm.currency,
        volume=cm.volume,
        capacity=cm.capacity,
        cost=cm.cost,
        conversion=cm.conversion,
        open=cm.open,
    )
    for name in ("kind", "parent", "users", "inflow", "volume", "capacity", "cost", "open"):
        assert np.array_equal(getattr(cm, name), getattr(again, name), equal_nan=True), name
    with pytest.raises(TypeError, match="unknown columns: colour"):
        from_columns(ids=(), keys=(), colour=[])


def _analyses(eco: Ecosystem) -> None:
    partner = next(n for n, node in eco.nodes.items() if node.kind in ("partner", "producer"))
    ecograph.flow(eco)
    ecograph.reach(eco, partner)
    ecograph.dependency(eco, partner)
    ecograph.bottlenecks(eco, partner)
    ecograph.centrality(eco, "pagerank")
    ecograph.centrality(eco, "pagerank", by_group=True)
    ecograph.longtail(eco)


def test_a_second_analysis_builds_nothing_again() -> None:
    eco = ecograph.load(EXAMPLES[0].parent / "alibaba.yaml")
    _analyses(eco)
    cm = compiled(eco)
    first = dict(cm.builds)
    assert first["layer"] >= 1 and first.get("traffic:flow") == 1
    _analyses(eco)
    assert compiled(eco) is cm
    assert dict(cm.builds) == first
    # the networkx graph was never needed
    assert "graph" not in eco._cache


def test_a_changed_copy_starts_with_an_empty_cache() -> None:
    eco = ecograph.load(EXAMPLES[0].parent / "minimal.yaml")
    cm = compiled(eco)
    copy = dataclasses.replace(eco, pipes=eco.pipes[:1])
    assert compiled(copy) is not cm
    assert compiled(copy).m == 1 and cm.m == len(eco.pipes)


def test_the_graph_view_is_cached_on_the_map() -> None:
    eco = ecograph.load(EXAMPLES[0].parent / "minimal.yaml")
    G = eco.graph
    assert isinstance(G, nx.MultiDiGraph) and eco.graph is G
    assert G.number_of_edges() == len(eco.pipes)
