"""Cheapest delivery (min-cost flow): hand-worked maps, networkx and a second engine as oracles."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import Ecosystem, Node, Pipe, UsageError
from ecograph.analysis.cheapest import cheapest

ENAR = Path("/work/shared/data/enar-models.json")
ROOT = Path(__file__).parent.parent


def make(
    pipes: list[tuple[Any, ...]], inflow: dict[str, float], nodes: list[str] | None = None
) -> Ecosystem:
    """A map from ``(key, from, to, capacity, cost[, status])`` tuples."""
    names: dict[str, None] = dict.fromkeys(nodes or [])
    objs = []
    for i, (key, u, v, cap, cost, *rest) in enumerate(pipes):
        objs.append(
            Pipe(key, u, v, capacity=cap, cost=cost, status=rest[0] if rest else "open", index=i)
        )
        names.update({u: None, v: None})
    node_objs = {
        name: Node(
            name,
            "pool" if name in inflow else "partner",
            inflow={"traffic": inflow[name]} if name in inflow else {},
        )
        for name in names
    }
    return Ecosystem("t", nodes=node_objs, pipes=tuple(objs))


# -- worked by hand ------------------------------------------------------------------------


def test_cheapest_fills_the_cheap_pipes_first() -> None:
    # fans -> shop free, capacity 4; search -> hub 0.1 (cap 10), hub -> shop 0.1 (cap 5);
    # search -> shop paid 0.5, unbounded. Demand 12: 4 free, 5 via hub at 0.2 = 1.0,
    # 3 paid at 0.5 = 1.5; total 2.5. The next unit goes on the paid pipe: 0.5.
    eco = make(
        [
            ("free", "fans", "shop", 4.0, None),
            ("s1", "search", "hub", 10.0, 0.1),
            ("s2", "hub", "shop", 5.0, 0.1),
            ("ads", "search", "shop", None, 0.5),
        ],
        {"fans": 50.0, "search": 50.0},
    )
    r = cheapest(eco, "shop", demand=12)
    assert (r["delivered"], r["total_cost"], r["marginal_cost"]) == (12.0, 2.5, 0.5)
    assert r["shortfall"] == 0.0
    assert r["cost_per_unit"] == pytest.approx(2.5 / 12)
    assert [(p["key"], p["flow"], p["cost"]) for p in r["pipes"]] == [
        ("free", 4.0, 0.0),
        ("s1", 5.0, 0.5),
        ("s2", 5.0, 0.5),
        ("ads", 3.0, 1.5),
    ]
    assert r["by_source"] == [{"source": "fans", "flow": 4.0}, {"source": "search", "flow": 8.0}]
    # demand 3: all free; the fourth unit is free too, the fifth would not be
    r = cheapest(eco, "shop", demand=3)
    assert (r["total_cost"], r["marginal_cost"]) == (0.0, 0.0)
    r = cheapest(eco, "shop", demand=4)
    assert (r["total_cost"], r["marginal_cost"]) == (0.0, pytest.approx(0.2))


def test_demand_above_max_flow_delivers_the_max_flow() -> None:
    # two parallel pipes of 3 (cost 1) and 2 (cost 2): max-flow 5, cost 3 + 4 = 7
    eco = make([("a", "p", "s", 3.0, 1.0), ("b", "p", "s", 2.0, 2.0)], {"p": 9.0})
    r = cheapest(eco, "s", demand=8)
    assert (r["delivered"], r["shortfall"], r["total_cost"]) == (5.0, 3.0, 7.0)
    assert r["marginal_cost"] == math.inf
    assert json.loads(ecograph.formatting.to_json(r))["marginal_cost"] is None


def test_blocked_pipes_carry_nothing_and_cost_given_nowhere_is_free() -> None:
    eco = make(
        [("cheap", "p", "s", None, 0.0, "blocked"), ("dear", "p", "s", None, 3.0)], {"p": 1.0}
    )
    r = cheapest(eco, "s", demand=2)
    assert [p["key"] for p in r["pipes"]] == ["dear"]
    assert r["total_cost"] == 6.0
    eco = make([("x", "p", "s", None, None)], {"p": 1.0})
    assert cheapest(eco, "s", demand=2)["total_cost"] == 0.0


def test_free_cycles_carry_nothing() -> None:
    # a free two-way pair a <-> b beside the route: an optimal flow may circulate round it
    # at no cost; the reported flow does not
    eco = make(
        [
            ("in", "p", "a", None, 0.0),
            ("ab", "a", "b", None, 0.0),
            ("ba", "b", "a", None, 0.0),
            ("bs", "b", "s", 5.0, 1.0),
            ("as", "a", "s", None, 2.0),
        ],
        {"p": 1.0},
    )
    r = cheapest(eco, "s", demand=8)
    assert r["total_cost"] == 5 * 1.0 + 3 * 2.0
    flows = {p["key"]: p["flow"] for p in r["pipes"]}
    assert "ba" not in flows and flows == {"in": 8.0, "ab": 5.0, "bs": 5.0, "as": 3.0}


def test_nothing_reaches_the_target() -> None:
    eco = make([("x", "s", "p", None, 1.0)], {"p": 1.0})
    r = cheapest(eco, "s", demand=2)
    assert (r["delivered"], r["total_cost"], r["pipes"]) == (0.0, 0.0, [])
    assert math.isnan(r["cost_per_unit"]) and r["marginal_cost"] == math.inf


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "5", None, True])
def test_bad_demand_is_a_usage_error(bad: Any) -> None:
    eco = make([("x", "p", "s", None, 1.0)], {"p": 1.0})
    with pytest.raises(UsageError, match="demand"):
        cheapest(eco, "s", demand=bad)


def test_sources_and_engine_options() -> None:
    eco = make([("a", "p", "s", None, 1.0), ("b", "q", "s", None, 2.0)], {"p": 1.0, "q": 1.0})
    assert cheapest(eco, "s", demand=1, sources=["q"])["total_cost"] == 2.0
    with pytest.raises(UsageError, match="engine"):
        cheapest(eco, "s", demand=1, engine="cplex")
    with pytest.raises(UsageError, match="unknown target"):
        cheapest(eco, "z", demand=1)


# -- oracles ------------------------------------------------------------------------------


def nx_cost(eco: Ecosystem, target: str, amount: float) -> float:
    """networkx's network simplex on a MultiDiGraph with a super-source, integer data."""
    G = nx.MultiDiGraph()
    sources = [
        n for n, node in eco.nodes.items() if node.inflow.get("traffic", 0) > 0 and n != target
    ]
    G.add_nodes_from(eco.nodes)
    G.add_node("<S>")
    for s in sources:
        G.add_edge("<S>", s, weight=0)
    for p in eco.pipes:
        if p.is_open and p.kind == "traffic":
            attrs: dict[str, Any] = {"weight": int(p.cost or 0)}
            if p.capacity is not None:
                attrs["capacity"] = int(p.capacity)
            G.add_edge(p.from_node, p.to_node, **attrs)
    G.nodes["<S>"]["demand"] = -int(amount)
    G.nodes[target]["demand"] = int(amount)
    cost, _ = nx.network_simplex(G)
    return float(cost)


def nx_max_flow_min_cost(eco: Ecosystem, target: str) -> tuple[float, float]:
    """(max-flow, its least cost) by networkx's max_flow_min_cost (capacities made finite)."""
    G = nx.DiGraph()
    sources = [
        n for n, node in eco.nodes.items() if node.inflow.get("traffic", 0) > 0 and n != target
    ]
    big = 10**6
    for p in eco.pipes:
        if not (p.is_open and p.kind == "traffic"):
            continue
        # parallel pipes: a middle node per pipe keeps them apart in a DiGraph
        mid = f"<{p.key}>"
        cap = int(p.capacity) if p.capacity is not None else big
        G.add_edge(p.from_node, mid, capacity=cap, weight=int(p.cost or 0))
        G.add_edge(mid, p.to_node, capacity=cap, weight=0)
    G.add_node(target)
    for s in sources:
        G.add_edge("<S>", s, capacity=big, weight=0)
    if "<S>" not in G:
        return 0.0, 0.0
    flow = nx.max_flow_min_cost(G, "<S>", target)
    value = sum(flow["<S>"].values())
    return float(value), float(nx.cost_of_flow(G, flow))


@st.composite
def costly_maps(draw: st.DrawFn) -> tuple[Ecosystem, str, int]:
    n = draw(st.integers(2, 7))
    m = draw(st.integers(1, 16))
    pipes = []
    for i in range(m):
        u, v = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if u == v:
            continue
        cap = draw(st.one_of(st.none(), st.integers(0, 9).map(float)))
        cost = draw(st.one_of(st.none(), st.integers(0, 9).map(float)))
        status = draw(st.sampled_from(["open", "open", "open", "blocked"]))
        pipes.append((f"p{i}", f"n{u}", f"n{v}", cap, cost, status))
    sources = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))
    target = draw(st.integers(0, n - 1))
    demand = draw(st.integers(0, 30))
    eco = make(pipes, {f"n{s}": 1.0 for s in sources}, [f"n{i}" for i in range(n)])
    return eco, f"n{target}", demand


@given(costly_maps())
@settings(
    max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_min_cost_equals_networkx_and_both_engines(case: tuple[Ecosystem, str, int]) -> None:
    eco, target, demand = case
    r = cheapest(eco, target, demand=demand, engine="ortools")
    h = cheapest(eco, target, demand=demand, engine="highs")
    assert r["delivered"] == h["delivered"]
    assert h["total_cost"] == pytest.approx(r["total_cost"], rel=1e-7, abs=1e-7)
    assert h["marginal_cost"] == pytest.approx(r["marginal_cost"], rel=1e-7, abs=1e-7)
    delivered = r["delivered"]
    assert delivered == int(delivered)
    if delivered > 0:
        assert r["total_cost"] == nx_cost(eco, target, delivered)
    # delivered flows are a feasible flow: every pipe within capacity, balance at every node
    net: dict[str, float] = {}
    pipes = {p.key: p for p in eco.pipes}
    for item in r["pipes"]:
        p = pipes[item["key"]]
        assert p.is_open and item["flow"] <= (p.capacity if p.capacity is not None else math.inf)
        net[p.to_node] = net.get(p.to_node, 0.0) + item["flow"]
        net[p.from_node] = net.get(p.from_node, 0.0) - item["flow"]
    support = nx.DiGraph((pipes[i["key"]].from_node, pipes[i["key"]].to_node) for i in r["pipes"])
    assert nx.is_directed_acyclic_graph(support)
    for node, value in net.items():
        if node == target:
            assert value == delivered
        elif node not in {s["source"] for s in r["by_source"]}:
            assert value == 0.0
    # the marginal cost is the cost of one more unit (integer data: breakpoints are whole)
    if math.isfinite(r["marginal_cost"]):
        more = cheapest(eco, target, demand=delivered + 1)
        assert more["delivered"] == delivered + 1
        assert more["total_cost"] - r["total_cost"] == pytest.approx(r["marginal_cost"])
    else:
        assert delivered == 0 or cheapest(eco, target, demand=delivered + 1)["shortfall"] >= 1


@given(costly_maps())
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_demand_above_max_flow_equals_networkx_max_flow_min_cost(
    case: tuple[Ecosystem, str, int],
) -> None:
    eco, target, _ = case
    value, cost = nx_max_flow_min_cost(eco, target)
    if value >= 10**6:  # unbounded: nothing to compare with a finite demand
        return
    r = cheapest(eco, target, demand=10**5)
    assert (r["delivered"], r["total_cost"]) == (value, cost)


@given(costly_maps())
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_widening_cost_is_the_cost_of_the_extra_unit(case: tuple[Ecosystem, str, int]) -> None:
    # whole capacities and costs: widening a cut pipe by 1 lets one more unit through, and
    # the cheapest delivery of max-flow + 1 costs exactly cost_per_unit more
    import dataclasses

    from ecograph.analysis import bottlenecks

    eco, target, _ = case
    r = bottlenecks(eco, target)
    if not math.isfinite(r["max_flow"]) or not any(p.cost is not None for p in eco.pipes):
        return
    base = cheapest(eco, target, demand=r["max_flow"])["total_cost"]
    for item in r["widening"]:
        if item["gain_per_unit"] == 0:
            assert item["cost_per_unit"] == math.inf
            continue
        pipes = tuple(
            dataclasses.replace(p, capacity=p.capacity + 1) if p.key == item["key"] else p
            for p in eco.pipes
        )
        wider = dataclasses.replace(eco, pipes=pipes)
        more = cheapest(wider, target, demand=r["max_flow"] + 1)
        assert more["delivered"] == r["max_flow"] + 1
        assert more["total_cost"] - base == pytest.approx(item["cost_per_unit"]), item


def enar_models() -> list[tuple[str, dict[str, Any]]]:
    if not ENAR.exists():
        return []
    return list(json.loads(ENAR.read_text(encoding="utf-8")).items())


@pytest.mark.skipif(not ENAR.exists(), reason="enaR model data not available")
def test_enar_models_with_random_costs_and_capacities() -> None:
    # real food-web structures, random whole capacities and costs: OR-Tools, HiGHS and
    # networkx's network simplex agree on the least cost
    rng = np.random.default_rng(7)
    checked = 0
    for name, model in enar_models()[::6]:
        n = model["n"]
        ids = [f"c{i}" for i in range(n)]
        nodes = {
            c: Node(c, "partner", inflow={"traffic": 1.0} if model["input"][i] > 0 else {})
            for i, c in enumerate(ids)
        }
        F = model["F"]
        pipes = tuple(
            Pipe(
                f"{i}->{j}",
                ids[i],
                ids[j],
                capacity=float(rng.integers(1, 50)),
                cost=float(rng.integers(0, 20)),
            )
            for i in range(n)
            for j in range(n)
            if F[i][j] > 0 and i != j
        )
        eco = Ecosystem(name, nodes=nodes, pipes=pipes)
        for target in ids[:: max(1, n // 4)]:
            r = cheapest(eco, target, demand=40, engine="ortools")
            if r["delivered"] == 0:
                continue
            h = cheapest(eco, target, demand=40, engine="highs")
            assert h["total_cost"] == pytest.approx(r["total_cost"], rel=1e-9), (name, target)
            assert r["total_cost"] == nx_cost(eco, target, r["delivered"]), (name, target)
            checked += 1
    assert checked > 20


def test_example_maps() -> None:
    for path in sorted((ROOT / "ecosystems").glob("*.yaml")):
        eco = ecograph.load(path)
        for target in list(eco.nodes)[:8]:
            r = cheapest(eco, target, demand=1000)
            assert r["delivered"] <= 1000
