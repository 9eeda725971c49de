"""The graph contract: what to_graph and flow_layer build, checked against graphs
built independently with networkx's own add_* calls."""

from __future__ import annotations

import math

import networkx as nx
import pytest

import ecograph
from ecograph import UsageError
from ecograph.graph import flow_layer, to_graph

MAP = """
ecograph: 1
name: g
title: Graph test
period: week
units: {traffic: visits}
nodes:
  hub:  {kind: platform, genes: [retail]}
  pool: {kind: pool, parent: hub, users: 10, inflow: {traffic: 9, capital: 4}}
  shop: {kind: partner, parent: hub, tags: [retail], outflow: {traffic: 9, capital: 4},
         attrs: {founded: 2019}}
pipes:
  - {from: pool, to: shop, volume: 5, capacity: 6, cost: 0.1, label: ads, source: illustrative}
  - {from: pool, to: shop, volume: 4}
  - {from: pool, to: shop, kind: capital, volume: 4, id: seed-round}
  - {from: shop, to: pool, status: blocked, capacity: 3}
"""


def reference(eco: ecograph.Ecosystem) -> nx.MultiDiGraph:
    """The same graph through networkx's public API, written out by hand."""
    G = nx.MultiDiGraph()
    for node in eco.nodes.values():
        G.add_node(node.id)
    G.add_edge("pool", "shop", key="pool->shop:traffic")
    G.add_edge("pool", "shop", key="pool->shop:traffic#2")
    G.add_edge("pool", "shop", key="seed-round")
    G.add_edge("shop", "pool", key="shop->pool:traffic")
    return G


def test_nodes_and_edges_match_a_hand_built_graph() -> None:
    eco = ecograph.loads(MAP)
    G = to_graph(eco)
    ref = reference(eco)
    assert sorted(G.nodes) == sorted(ref.nodes)
    assert sorted(G.edges(keys=True)) == sorted(ref.edges(keys=True))
    # predecessors see the same key dicts as successors
    assert set(G.pred["shop"]["pool"]) == {
        "pool->shop:traffic",
        "pool->shop:traffic#2",
        "seed-round",
    }
    assert G.in_degree("shop") == 3 and G.out_degree("pool") == 3


def test_attributes_follow_the_contract() -> None:
    eco = ecograph.loads(MAP, filename="g.yaml")
    G = to_graph(eco)
    assert G.graph == {
        "name": "g",
        "title": "Graph test",
        "period": "week",
        "files": ("g.yaml",),
        "units": {"traffic": "visits"},
    }
    shop = G.nodes["shop"]
    assert shop["kind"] == "partner" and shop["parent"] == "hub"
    assert shop["outflow"] == {"traffic": 9.0, "capital": 4.0}
    assert shop["tags"] == ("retail",) and shop["attrs"] == {"founded": 2019}
    ads = G.edges["pool", "shop", "pool->shop:traffic"]
    assert ads["volume"] == 5.0 and ads["capacity"] == 6.0 and ads["cost"] == 0.1
    assert ads["label"] == "ads" and ads["data_source"] == "illustrative"
    assert ads["location"] == "g.yaml:13:5"  # the `{` of the first pipe
    plain = G.edges["pool", "shop", "pool->shop:traffic#2"]
    assert plain["capacity"] == math.inf and plain["volume_given"] is True
    blocked = G.edges["shop", "pool", "shop->pool:traffic"]
    assert blocked["status"] == "blocked" and blocked["volume"] == 0.0
    assert blocked["volume_given"] is False
    assert [d["index"] for _, _, d in G.edges(data=True)] == [0, 1, 2, 3]


def test_membership_is_never_an_edge() -> None:
    G = to_graph(ecograph.loads(MAP))
    assert not G.has_edge("hub", "pool") and not G.has_edge("pool", "hub")


def test_each_call_builds_a_new_graph_the_cached_one_is_shared() -> None:
    eco = ecograph.loads(MAP)
    assert to_graph(eco) is not to_graph(eco)
    assert eco.graph is eco.graph
    G = to_graph(eco)
    G.remove_node("shop")
    assert "shop" in eco.graph


def test_flow_layer_sums_parallel_open_pipes_per_currency() -> None:
    G = to_graph(ecograph.loads(MAP))
    traffic = flow_layer(G, "traffic")
    assert traffic.edges["pool", "shop"]["volume"] == 9.0  # 5 + 4
    assert traffic.edges["pool", "shop"]["capacity"] == math.inf  # 6 + unbounded
    assert not traffic.has_edge("shop", "pool")  # blocked: carries nothing
    assert traffic.nodes["pool"]["inflow"] == 9.0
    capital = flow_layer(G, "capital")
    assert capital.edges["pool", "shop"]["volume"] == 4.0
    assert capital.nodes["shop"]["outflow"] == 4.0
    with_blocked = flow_layer(G, "traffic", include_blocked=True)
    edge = with_blocked.edges["shop", "pool"]
    assert edge["blocked"] is True and edge["volume"] == 0.0 and edge["capacity"] == 0.0
    with pytest.raises(UsageError, match="did you mean 'goods'"):
        flow_layer(G, "good")


def test_example_maps_build_the_same_graph_as_add_edges_from() -> None:
    for name in ("alibaba", "china-internet"):
        eco = ecograph.load(f"ecosystems/{name}.yaml")
        G = to_graph(eco)
        ref = nx.MultiDiGraph(**G.graph)
        ref.add_nodes_from(G.nodes(data=True))
        ref.add_edges_from(
            (p.from_node, p.to_node, p.key, G.edges[p.from_node, p.to_node, p.key])
            for p in eco.pipes
        )
        assert nx.utils.graphs_equal(G, ref)
        assert list(G.pred) == list(ref.pred)
