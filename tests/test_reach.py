"""Reach: hops, proportional tracing, max-flow; by hand, against networkx and scipy, by property.

Independent references: hand working in the comments; networkx breadth-first
search and maximum flow on :func:`ecograph.graph.flow_layer` (the networkx
graph, not the sparse arrays the analysis uses); scipy's ``maximum_flow``; a
dense numpy inverse for the traced traffic.
"""

from __future__ import annotations

import json
import math
from typing import Any

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import closed_dense
from scipy.sparse.csgraph import maximum_flow

import ecograph
from ecograph.analysis import _linalg, reach
from ecograph.analysis._linalg import layer_arrays
from ecograph.errors import UsageError
from ecograph.formatting import to_json
from ecograph.graph import flow_layer
from ecograph.model import Ecosystem, Node, Pipe

LOOP = """
ecograph: 1
name: loop
nodes:
  pool:     {kind: pool, inflow: 100}
  platform: {kind: platform, outflow: 30}
  shop:     {kind: partner, outflow: 60}
  app:      {kind: partner, outflow: 10}
pipes:
  - {from: pool, to: platform, volume: 100, capacity: 150}
  - {from: platform, to: shop, volume: 60, capacity: 70}
  - {from: platform, to: app, volume: 20, capacity: 25}
  - {from: app, to: platform, volume: 10, capacity: 10}
"""


# -- hand-worked maps ----------------------------------------------------------------------


def test_chain_with_leaks() -> None:
    # pool (inflow 100) sends 60 to a and lets 40 go; a keeps 20 and sends 40 to b.
    # Traffic leaving the pool: 60. a receives 60; b receives 60 * 40/60 = 40.
    # Leaves the map: at a 20, at b 40 (b passes nothing on): 60 in all.
    eco = ecograph.loads(
        """
ecograph: 1
name: chain
nodes:
  pool: {kind: pool, inflow: 100, outflow: 40}
  a:    {kind: platform, outflow: 20}
  b:    {kind: partner, outflow: 40}
pipes:
  - {from: pool, to: a, volume: 60}
  - {from: a, to: b, volume: 40}
"""
    )
    r = reach(eco, "pool")
    assert dict(r.hops) == {"pool": 0, "a": 1, "b": 2}
    assert dict(r.traffic) == pytest.approx({"a": 60.0, "b": 40.0})
    assert dict(r.leaving) == pytest.approx({"a": 20.0, "b": 40.0})
    assert r.sent == 60.0
    assert reach(eco, "a").traffic == pytest.approx({"b": 40.0})


def test_cycle_is_solved_exactly() -> None:
    # The platform receives 100 from the pool and 10 back from the app (T = 110); it passes
    # 60/110 to the shop and 20/110 to the app, which sends half of what it gets back.
    # Traffic x of the pool passing the platform: x = 100 + x * (20/110) * (10/20)
    # = 100 + x/11, so x = 110; shop 110 * 60/110 = 60; app 110 * 20/110 = 20.
    eco = ecograph.loads(LOOP)
    r = reach(eco, "pool")
    assert dict(r.traffic) == pytest.approx({"platform": 110.0, "shop": 60.0, "app": 20.0})
    # From the app (sends 10): platform x = 10 + x/11 -> 11; back to the app 11 * 20/110 = 2,
    # so the app is in its own traffic; shop 11 * 60/110 = 6.
    r = reach(eco, "app")
    assert dict(r.traffic) == pytest.approx({"app": 2.0, "platform": 11.0, "shop": 6.0})
    # leaves: platform 11 * 30/110 = 3, shop 6, app 2 * 10/20 = 1; 3 + 6 + 1 = 10 = sent.
    assert dict(r.leaving) == pytest.approx({"platform": 3.0, "shop": 6.0, "app": 1.0})


def test_hops_limit_and_json() -> None:
    eco = ecograph.loads(LOOP)
    r = reach(eco, "pool", hops=1)
    assert r.to_dict() == {
        "source": "pool",
        "hops": {"pool": 0, "platform": 1},
        "traffic": pytest.approx({"platform": 110.0, "shop": 60.0, "app": 20.0}),
    }
    assert reach(eco, "pool", hops=0).hops == {"pool": 0}


def test_max_flow_by_hand() -> None:
    # pool -> platform 150, platform -> shop 70: the cut {platform -> shop} holds 70.
    # platform -> app 25 and app -> platform 10 do not reach the shop by another way.
    eco = ecograph.loads(LOOP)
    assert reach(eco, "pool", to="shop").max_flow == 70.0
    assert reach(eco, "pool", to="app").max_flow == 25.0
    assert reach(eco, "shop", to="pool").max_flow == 0.0
    assert "max_flow" in reach(eco, "pool", to="shop").to_dict()
    assert "max_flow" not in reach(eco, "pool").to_dict()


def test_parallel_blocked_and_other_currencies() -> None:
    # Two open traffic pipes a -> b (volumes 3 + 5, capacities 4 + 6), a blocked one
    # (volume 50, capacity 100: carries nothing), and a capital pipe (another currency).
    eco = Ecosystem(
        "m",
        nodes={
            "a": Node("a", "pool", inflow={"traffic": 8.0}),
            "b": Node("b", "partner", outflow={"traffic": 8.0}),
            "c": Node("c", "partner"),
        },
        pipes=(
            Pipe("p1", "a", "b", volume=3.0, capacity=4.0),
            Pipe("p2", "a", "b", volume=5.0, capacity=6.0),
            Pipe("p3", "a", "b", volume=50.0, capacity=100.0, status="blocked"),
            Pipe("p4", "a", "c", volume=7.0, status="blocked"),
            Pipe("p5", "a", "c", kind="capital", volume=9.0, capacity=9.0),
        ),
    )
    r = reach(eco, "a", to="b")
    assert dict(r.traffic) == {"b": 8.0}
    assert dict(r.hops) == {"a": 0, "b": 1}  # the blocked pipe to c leads nowhere
    assert r.max_flow == 10.0
    assert reach(eco, "a", to="c").max_flow == 0.0
    capital = reach(eco, "a", kind="capital", to="c")
    assert dict(capital.traffic) == {"c": 9.0}
    assert dict(capital.hops) == {"a": 0, "c": 1}
    assert capital.max_flow == 9.0


def test_unbounded_capacity_gives_infinite_max_flow() -> None:
    eco = Ecosystem(
        "m",
        nodes={k: Node(k, "partner") for k in "abc"},
        pipes=(
            Pipe("p1", "a", "b", volume=1.0),  # no capacity: unbounded
            Pipe("p2", "b", "c", volume=1.0),
            Pipe("p3", "a", "c", volume=1.0, capacity=5.0),
        ),
    )
    r = reach(eco, "a", to="c")
    assert r.max_flow == math.inf
    assert json.loads(to_json(r))["max_flow"] is None  # JSON has no infinity
    # with b -> c bounded, the unbounded a -> b is cut by b -> c: 3 + 5
    eco2 = Ecosystem(
        "m2",
        nodes=eco.nodes,
        pipes=(*eco.pipes[:1], Pipe("p2", "b", "c", capacity=3.0), eco.pipes[2]),
    )
    assert reach(eco2, "a", to="c").max_flow == 8.0


def test_empty_pipes_reach_with_zero_traffic() -> None:
    # a -> b has no volume: b is reached in one hop, but none of a's traffic gets there.
    eco = Ecosystem(
        "m",
        nodes={k: Node(k, "partner") for k in "abc"},
        pipes=(Pipe("p1", "a", "b"), Pipe("p2", "a", "c", volume=4.0)),
    )
    r = reach(eco, "a")
    assert dict(r.hops) == {"a": 0, "b": 1, "c": 1}
    assert dict(r.traffic) == {"b": 0.0, "c": 4.0}


def test_errors() -> None:
    eco = ecograph.loads(LOOP)
    with pytest.raises(UsageError, match=r"unknown node 'shp' \(did you mean 'shop'\?\)"):
        reach(eco, "shp")
    with pytest.raises(UsageError, match="unknown node 'ap'"):
        reach(eco, "pool", to="ap")
    with pytest.raises(UsageError, match="did you mean 'capital'"):
        reach(eco, "pool", kind="capitol")
    with pytest.raises(UsageError, match="hops"):
        reach(eco, "pool", hops=-1)
    with pytest.raises(UsageError, match="differ"):
        reach(eco, "pool", to="pool")


def test_closed_loop_source() -> None:
    # a <-> b circulate 5 with no way out: what a sends comes round for ever (inf), nothing
    # leaves; hops are still answered.
    eco = Ecosystem(
        "m",
        nodes={k: Node(k, "partner") for k in "abc"},
        pipes=(
            Pipe("p1", "a", "b", volume=5.0),
            Pipe("p2", "b", "a", volume=5.0),
            Pipe("p3", "b", "c"),
        ),
    )
    r = reach(eco, "a")
    assert dict(r.hops) == {"a": 0, "b": 1, "c": 2}
    assert dict(r.traffic) == {"a": math.inf, "b": math.inf, "c": 0.0}
    assert dict(r.leaving) == {}
    assert json.loads(to_json(r))["traffic"] == {"a": None, "b": None, "c": 0.0}


def test_arrays_follow_the_graph_contract() -> None:
    eco = ecograph.loads(LOOP)
    D = flow_layer(eco.graph, "traffic")
    arrays = layer_arrays(eco, "traffic")
    ids = list(arrays.ids)
    np.testing.assert_array_equal(
        arrays.volume.toarray(), nx.to_numpy_array(D, nodelist=ids, weight="volume")
    )
    np.testing.assert_array_equal(
        arrays.capacity.toarray(), nx.to_numpy_array(D, nodelist=ids, weight="capacity")
    )


def test_reach_does_not_touch_the_graph() -> None:
    eco = ecograph.loads(LOOP)
    before = nx.to_dict_of_dicts(eco.graph)
    reach(eco, "pool", to="shop")
    assert nx.to_dict_of_dicts(eco.graph) == before


# -- references and properties ---------------------------------------------------------------


@st.composite
def small_maps(draw: Any, kinds: tuple[str, ...] = ("traffic", "capital")) -> Ecosystem:
    """Random maps: up to 7 nodes, integer volumes/capacities, blocked and unbounded pipes."""
    n = draw(st.integers(2, 7))
    ids = [f"v{i}" for i in range(n)]
    nodes = {
        v: Node(
            v,
            "partner",
            inflow={"traffic": float(draw(st.integers(0, 20)))},
            outflow={"traffic": float(draw(st.integers(0, 20)))},
        )
        for v in ids
    }
    pipes = []
    for k in range(draw(st.integers(0, 3 * n))):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 2))
        v = v + 1 if v >= u else v
        pipes.append(
            Pipe(
                f"p{k}",
                ids[u],
                ids[v],
                kind=draw(st.sampled_from(kinds)),
                volume=float(draw(st.integers(0, 20))),
                capacity=draw(st.none() | st.integers(0, 30).map(float)),
                status=draw(st.sampled_from(["open", "open", "open", "blocked"])),
            )
        )
    return Ecosystem("random", nodes=nodes, pipes=tuple(pipes))


def _max_flow_references(D: nx.DiGraph, s: str, t: str) -> tuple[float, float]:
    """(networkx, scipy) maximum flow; unbounded pipes are inf for networkx."""
    try:
        by_nx = float(nx.maximum_flow_value(D, s, t, capacity="capacity"))
    except nx.NetworkXUnbounded:
        by_nx = math.inf
    ids = list(D.nodes)
    index = {v: i for i, v in enumerate(ids)}
    finite = sum(c for _, _, c in D.edges(data="capacity") if math.isfinite(c))
    rows, cols, caps = [], [], []
    for u, v, c in D.edges(data="capacity"):
        rows.append(index[u])
        cols.append(index[v])
        caps.append(int(c) if math.isfinite(c) else int(finite) + 1)
    A = sp.csr_array(
        (np.array(caps, dtype=np.int32), (np.array(rows), np.array(cols))),
        shape=(len(ids), len(ids)),
    )
    by_scipy = float(maximum_flow(A, index[s], index[t]).flow_value)
    return by_nx, by_scipy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eco=small_maps(), data=st.data())
def test_reach_against_references(eco: Ecosystem, data: Any) -> None:
    ids = list(eco.nodes)
    source = data.draw(st.sampled_from(ids))
    target = data.draw(st.sampled_from([v for v in ids if v != source]))
    ref = closed_dense(eco)
    D = ref["D"]
    assume(abs(np.linalg.det(ref["I-P"])) > 1e-9)  # no closed loop anywhere
    r = reach(eco, source, to=target)

    # hops: networkx BFS on the open pipes of the currency
    assert dict(r.hops) == nx.single_source_shortest_path_length(D, source)

    # traffic: T_s * (row s of (I - P)^-1 - e_s), dense
    s = ref["ids"].index(source)
    row = np.linalg.inv(ref["I-P"])[s] * ref["T"][s]
    row[s] -= ref["T"][s]
    reached = set(nx.descendants(D, source))
    if any(nx.has_path(D, w, source) for w in D.successors(source)):  # on a cycle
        reached.add(source)
    assert set(r.traffic) == reached
    for node, amount in r.traffic.items():
        assert amount == pytest.approx(row[ref["ids"].index(node)], rel=1e-9, abs=1e-9)

    # conservation: what left the source = what leaves the map along the way
    assert r.sent == pytest.approx(D.out_degree(source, weight="volume"))
    assert sum(r.leaving.values()) == pytest.approx(r.sent, rel=1e-9, abs=1e-9)

    # max-flow: networkx and scipy
    by_nx, by_scipy = _max_flow_references(D, source, target)
    assert r.max_flow == by_nx
    if math.isfinite(by_nx):
        assert r.max_flow == by_scipy


@settings(max_examples=60, deadline=None)
@given(eco=small_maps(), data=st.data())
def test_hops_limit_is_a_prefix(eco: Ecosystem, data: Any) -> None:
    source = data.draw(st.sampled_from(list(eco.nodes)))
    k = data.draw(st.integers(0, 4))
    full = reach(eco, source, kind="capital").hops
    limited = reach(eco, source, kind="capital", hops=k).hops
    assert dict(limited) == {v: d for v, d in full.items() if d <= k}


def test_iterative_solver_matches_lu(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 400-node random map with cycles, traced once by LU and once by GMRES.
    rng = np.random.default_rng(7)
    n, m = 400, 2400
    ids = [f"v{i}" for i in range(n)]
    u = rng.integers(0, n, m)
    v = (u + rng.integers(1, n, m)) % n
    nodes = {x: Node(x, "partner", outflow={"traffic": float(rng.integers(1, 5))}) for x in ids}
    nodes["v0"] = Node("v0", "pool", inflow={"traffic": 1000.0})
    pipes = tuple(
        Pipe(f"p{k}", ids[a], ids[b], volume=float(rng.integers(1, 50)))
        for k, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True))
    )
    eco_lu = Ecosystem("lu", nodes=nodes, pipes=pipes)
    eco_it = Ecosystem("it", nodes=nodes, pipes=pipes)
    by_lu = reach(eco_lu, "v0").traffic
    monkeypatch.setattr(_linalg, "DIRECT_LIMIT", 0)
    monkeypatch.setattr(_linalg, "BLOCK_LIMIT", 0)
    by_gmres = reach(eco_it, "v0").traffic
    assert by_gmres.keys() == by_lu.keys()
    for node, amount in by_lu.items():
        assert by_gmres[node] == pytest.approx(amount, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("path", ["block-lu", "gmres"])
def test_solvers_match_a_dense_inverse(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A layered map with short back-pipes (small strongly connected components), traced by
    # block-triangular LU or GMRES, against T_s * (row s of inv(I - P) - e_s) computed densely.
    rng = np.random.default_rng(11)
    n = 600
    ids = [f"v{i}" for i in range(n)]
    u = rng.integers(0, n - 1, 3000)
    v = np.minimum(u + rng.integers(1, 20, len(u)), n - 1)
    back = rng.random(len(u)) < 0.05
    src, dst = np.where(back, v, u), np.where(back, u, v)
    nodes = {x: Node(x, "partner", outflow={"traffic": 1.0}) for x in ids}
    nodes["v0"] = Node("v0", "pool", inflow={"traffic": 5000.0})
    pipes = tuple(
        Pipe(f"p{k}", ids[a], ids[b], volume=float(rng.integers(1, 30)))
        for k, (a, b) in enumerate(zip(src.tolist(), dst.tolist(), strict=True))
        if a != b
    )
    eco = Ecosystem("layered", nodes=nodes, pipes=pipes)
    monkeypatch.setattr(_linalg, "DIRECT_LIMIT", 0)
    if path == "gmres":
        monkeypatch.setattr(_linalg, "BLOCK_LIMIT", 0)
    arrays = layer_arrays(eco)
    assert 1 < arrays.component_sizes.max() <= _linalg.BLOCK_LIMIT or path == "gmres"
    assert (arrays._solver.lu is None) == (path == "gmres")
    ref = closed_dense(eco)
    row = np.linalg.inv(ref["I-P"])[0] * ref["T"][0]
    row[0] -= ref["T"][0]
    traffic = reach(eco, "v0").traffic
    for node, amount in traffic.items():
        assert amount == pytest.approx(row[ref["ids"].index(node)], rel=1e-9, abs=1e-9)


def test_cost_per_unit_of_the_cheapest_route_by_hand() -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: routes
nodes:
  u: {kind: pool, inflow: 8}
  a: {kind: channel}
  b: {kind: channel}
  t: {kind: partner, outflow: 8}
pipes:
  - {from: u, to: a, volume: 5, capacity: 5, cost: 2}
  - {from: u, to: b, volume: 3, capacity: 3, cost: 1}
  - {from: a, to: t, volume: 5}
  - {from: b, to: t, volume: 3, cost: 0.5}
"""
    )
    r = ecograph.reach(eco, "u", to="t")
    # via a: 2 + 0 = 2 per unit; via b: 1 + 0.5 = 1.5 per unit (the cheapest route)
    assert r.cost_per_unit == 1.5
    assert r.max_flow == 8.0
    # the same as a shortest path with the costs as weights (networkx)
    G = nx.DiGraph()
    for p in eco.pipes:
        G.add_edge(p.from_node, p.to_node, w=p.cost or 0.0)
    assert nx.shortest_path_length(G, "u", "t", weight="w") == r.cost_per_unit
    assert r.to_dict()["cost_per_unit"] == 1.5
    # nothing can arrive from t at u: no route, no cost
    assert ecograph.reach(eco, "t", to="u").cost_per_unit is None
