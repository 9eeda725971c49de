"""Bottleneck pipes: hand-worked maps, networkx / scipy / igraph oracles, properties."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import maximum_flow

from ecograph import Ecosystem, Node, Pipe, UsageError, flow_layer, to_graph
from ecograph.analysis import bottlenecks, max_flow
from ecograph.compiled import compiled

B = importlib.import_module("ecograph.analysis.bottlenecks")
M = importlib.import_module("ecograph.analysis.maxflow")
ENAR = Path("/work/shared/data/enar-models.json")
ROOT = Path(__file__).parent.parent


def make(
    pipes: Iterable[tuple[Any, ...]],
    *,
    inflow: dict[str, float] | None = None,
    capital: dict[str, float] | None = None,
    nodes: Iterable[str] = (),
) -> Ecosystem:
    """A map from ``(key, from, to, capacity[, volume[, status[, kind]]])`` tuples.

    ``inflow`` gives traffic boundary inflow per node, ``capital`` capital inflow.
    """
    pipe_objs = []
    names: dict[str, None] = dict.fromkeys(nodes)
    for i, spec in enumerate(pipes):
        key, u, v, cap, *rest = spec
        volume = rest[0] if rest else None
        status = rest[1] if len(rest) > 1 else "open"
        kind = rest[2] if len(rest) > 2 else "traffic"
        pipe_objs.append(Pipe(key, u, v, kind, volume, cap, status=status, index=i))
        names.update({u: None, v: None})
    inflow = inflow or {}
    capital = capital or {}
    node_objs = {}
    for name in names:
        flows = {}
        if name in inflow:
            flows["traffic"] = inflow[name]
        if name in capital:
            flows["capital"] = capital[name]
        node_objs[name] = Node(name, "pool" if flows else "partner", inflow=flows)
    return Ecosystem("t", nodes=node_objs, pipes=tuple(pipe_objs))


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [item["key"] for item in items]


# -- tiny maps worked by hand ----------------------------------------------------------


def test_parallel_pipes_are_separate_cut_pipes() -> None:
    # pool -> shop by two pipes of capacity 3 and 2: max-flow 3 + 2 = 5; both pipes
    # form the cut, each widening adds 1 per unit (nothing else limits).
    eco = make(
        [("a", "pool", "shop", 3.0, 3.0), ("b", "pool", "shop", 2.0, 1.0)], inflow={"pool": 100.0}
    )
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == 5.0
    assert r["min_cut"] == [
        {"key": "a", "from": "pool", "to": "shop", "capacity": 3.0},
        {"key": "b", "from": "pool", "to": "shop", "capacity": 2.0},
    ]
    assert [w["gain_per_unit"] for w in r["widening"]] == [1.0, 1.0]
    # a: 3 >= 0.9 * 3 saturated; b: 1 < 0.9 * 2 not
    assert keys(r["saturated"]) == ["a"]
    assert r["sources"] == ["pool"] and r["supply"] == 100.0


def test_series_bottleneck_gain_zero_and_cut_nearest_target() -> None:
    # S -(5)-> A -(5)-> T: both pipes are minimum cuts of value 5. The reported cut is
    # the one nearest the target (A->T). Widening A->T alone gains nothing: S->A is
    # just as narrow, so the gain per unit is 0.
    eco = make([("sa", "S", "A", 5.0), ("at", "A", "T", 5.0)], inflow={"S": 9.0})
    r = bottlenecks(eco, "T")
    assert r["max_flow"] == 5.0
    assert keys(r["min_cut"]) == ["at"]
    assert r["widening"] == [{"key": "at", "from": "A", "to": "T", "gain_per_unit": 0.0}]


def test_blocked_pipes_with_and_without_water() -> None:
    # pool -(4)-> hub -(2)-> shop; blocked pool -x-> shop (cap 3): water upstream, and
    # opening it adds (pool is reachable in the residual graph, shop is the target).
    # dry -x-> shop is blocked too, but nothing reaches dry: not "blocked with water".
    # dry -> shop (open) is an empty pipe. Max-flow 2 (hub -> shop).
    eco = make(
        [
            ("ph", "pool", "hub", 4.0, 2.0),
            ("hs", "hub", "shop", 2.0, 2.0),
            ("x", "pool", "shop", 3.0, None, "blocked"),
            ("y", "dry", "shop", 3.0, None, "blocked"),
            ("e", "dry", "shop", 1.0),
        ],
        inflow={"pool": 10.0},
    )
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == 2.0
    assert r["blocked"] == [
        {"key": "x", "from": "pool", "to": "shop", "capacity": 3.0, "raises_max_flow": True}
    ]
    assert r["empty"] == [
        {"key": "e", "from": "dry", "to": "shop", "volume": None, "capacity": 1.0}
    ]
    assert keys(r["min_cut"]) == ["hs"]
    # saturation: ph 2 < 3.6; hs 2 >= 1.8
    assert keys(r["saturated"]) == ["hs"]


def test_blocked_pipe_that_would_not_help() -> None:
    # pool -(1)-> a; blocked a -x-> shop (cap 5); a -(9)-> shop. Max-flow 1, limited
    # by pool->a: opening x adds nothing (a is not reachable in the residual graph).
    eco = make(
        [
            ("pa", "pool", "a", 1.0),
            ("x", "a", "shop", 5.0, None, "blocked"),
            ("as", "a", "shop", 9.0),
        ],
        inflow={"pool": 10.0},
    )
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == 1.0
    assert keys(r["min_cut"]) == ["pa"]
    assert r["blocked"][0]["raises_max_flow"] is False


def test_multiple_sources_and_chosen_sources() -> None:
    # A -(3)-> X, B -(4)-> X, X -(10)-> T. Both pools feed: 3 + 4 = 7, cut {AX, BX}.
    # From A alone: 3. The target's own inflow does not make it a source.
    eco = make(
        [("ax", "A", "X", 3.0), ("bx", "B", "X", 4.0), ("xt", "X", "T", 10.0)],
        inflow={"A": 5.0, "B": 5.0, "T": 1.0},
    )
    r = bottlenecks(eco, "T")
    assert r["max_flow"] == 7.0 and r["sources"] == ["A", "B"]
    assert keys(r["min_cut"]) == ["ax", "bx"]
    assert max_flow(eco, "T", sources=["A"]) == 3.0
    assert max_flow(eco, "T", sources="B") == 4.0


def test_unbounded_capacity() -> None:
    # pool -(inf)-> hub -(7)-> shop: 7, cut hub->shop; the unbounded pipe is never cut.
    eco = make([("ph", "pool", "hub", None), ("hs", "hub", "shop", 7.0)], inflow={"pool": 1.0})
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == 7.0 and keys(r["min_cut"]) == ["hs"]
    # all unbounded: infinite, no cut, nothing to widen
    eco = make([("ph", "pool", "hub", None), ("hs", "hub", "shop", None)], inflow={"pool": 1.0})
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == math.inf
    assert r["min_cut"] == [] and r["widening"] == []
    # an unbounded pipe in parallel with a bounded one: unbounded pair
    eco = make([("a", "pool", "shop", 2.0), ("b", "pool", "shop", None)], inflow={"pool": 1.0})
    assert max_flow(eco, "shop") == math.inf


def test_two_currencies_never_mix() -> None:
    # traffic: pool -(4)-> shop; capital: fund -(100)-> shop and pool -(50)-> shop.
    # The traffic max-flow ignores capital pipes; the capital sources are the nodes
    # with capital inflow (fund only): 100 (pool has no capital inflow).
    eco = make(
        [
            ("t", "pool", "shop", 4.0),
            ("c1", "fund", "shop", 100.0, None, "open", "capital"),
            ("c2", "pool", "shop", 50.0, None, "open", "capital"),
        ],
        inflow={"pool": 10.0},
        capital={"fund": 500.0},
    )
    assert max_flow(eco, "shop") == 4.0
    r = bottlenecks(eco, "shop", kind="capital")
    assert r["max_flow"] == 100.0 and r["sources"] == ["fund"]
    assert keys(r["min_cut"]) == ["c1"]
    # c2's tail (pool) gets no capital: an empty capital pipe
    assert keys(r["empty"]) == ["c2"]


def test_cycle_and_decimal_capacities_are_exact() -> None:
    # pool -(1.1)-> a -(2.2)-> b -(0.7)-> shop, and b -(5)-> a (a cycle).
    # Max-flow min(1.1, 2.2, 0.7) = 0.7; cut b->shop.
    eco = make(
        [
            ("pa", "pool", "a", 1.1),
            ("ab", "a", "b", 2.2),
            ("ba", "b", "a", 5.0),
            ("bs", "b", "shop", 0.7),
        ],
        inflow={"pool": 3.0},
    )
    r = bottlenecks(eco, "shop")
    assert r["max_flow"] == 0.7 and keys(r["min_cut"]) == ["bs"]
    assert r["widening"][0]["gain_per_unit"] == 1.0


def test_unreachable_target_and_no_sources() -> None:
    # island is fed by nobody: max-flow 0, empty cut; its in-pipe from lonely is empty.
    eco = make([("pa", "pool", "a", 3.0), ("li", "lonely", "island", 2.0)], inflow={"pool": 1.0})
    r = bottlenecks(eco, "island")
    assert r["max_flow"] == 0.0 and r["min_cut"] == [] and r["widening"] == []
    assert keys(r["empty"]) == ["li"]
    # no node has inflow: no sources, everything toward the target is empty
    eco = make([("ab", "a", "b", 3.0), ("bc", "b", "c", 2.0)])
    r = bottlenecks(eco, "c")
    assert r["sources"] == [] and r["max_flow"] == 0.0
    assert keys(r["empty"]) == ["ab", "bc"]


def test_only_pipes_toward_the_target_are_listed() -> None:
    # pool -> shop (cap 1, volume 1: saturated) and pool -> other (cap 1, volume 1:
    # saturated but other does not lead to shop, so not listed for shop).
    eco = make(
        [("ps", "pool", "shop", 1.0, 1.0), ("po", "pool", "other", 1.0, 1.0)],
        inflow={"pool": 2.0},
    )
    assert keys(bottlenecks(eco, "shop")["saturated"]) == ["ps"]
    assert keys(bottlenecks(eco, "shop", threshold=0.5)["saturated"]) == ["ps"]
    assert keys(bottlenecks(eco, "other")["saturated"]) == ["po"]


def test_threshold() -> None:
    eco = make([("p", "pool", "shop", 10.0, 8.0)], inflow={"pool": 20.0})
    assert keys(bottlenecks(eco, "shop")["saturated"]) == []  # 8 < 9
    assert keys(bottlenecks(eco, "shop", threshold=0.8)["saturated"]) == ["p"]  # 8 >= 8


def test_errors() -> None:
    eco = make([("p", "dingtalk", "shop", 1.0)], inflow={"dingtalk": 1.0})
    with pytest.raises(UsageError, match="did you mean 'dingtalk'"):
        bottlenecks(eco, "dingtak")
    with pytest.raises(UsageError, match="unknown source node 'dingtak'"):
        bottlenecks(eco, "shop", sources=["dingtak"])
    with pytest.raises(UsageError, match="cannot also be a source"):
        bottlenecks(eco, "shop", sources=["shop"])
    with pytest.raises(UsageError, match="did you mean 'traffic'"):
        bottlenecks(eco, "shop", kind="trafic")
    with pytest.raises(UsageError, match="threshold"):
        bottlenecks(eco, "shop", threshold=0)


def test_does_not_touch_the_graph() -> None:
    eco = make([("p", "pool", "shop", 1.0)], inflow={"pool": 1.0})
    before = nx.to_dict_of_dicts(eco.graph)
    bottlenecks(eco, "shop")
    assert nx.to_dict_of_dicts(eco.graph) == before


# -- oracles -----------------------------------------------------------------------------


def nx_oracle(
    eco: Ecosystem, target: str, kind: str = "traffic"
) -> tuple[float, set[tuple[str, str]]]:
    """Max-flow and min-cut pairs by networkx on the summed flow layer plus a super-source."""
    D = flow_layer(to_graph(eco), kind)
    sources = [n for n, d in D.nodes(data=True) if d["inflow"] > 0 and n != target]
    if not sources:
        return 0.0, set()
    D.add_edges_from(("__S__", s) for s in sources)  # no capacity attribute: infinite
    D.remove_edges_from([(u, u) for u in D if D.has_edge(u, u)])
    try:
        value, (_, t_side) = nx.minimum_cut(
            D, "__S__", target, capacity="capacity", flow_func=nx.flow.edmonds_karp
        )
    except nx.NetworkXUnbounded:
        return math.inf, set()
    cut = {(u, v) for u, v in D.edges if u not in t_side and v in t_side}
    return value, cut


def random_eco(rng: np.random.Generator, n: int, m: int, *, integer: bool = True) -> Ecosystem:
    pipes = []
    for i in range(m):
        u, v = rng.integers(0, n, 2)
        if integer:
            cap: float | None = float(rng.integers(0, 20))
        else:
            cap = float(rng.lognormal(0, 1.5))
        if rng.random() < 0.08:
            cap = None
        status = "blocked" if rng.random() < 0.1 else "open"
        pipes.append((f"p{i}", f"n{u}", f"n{v}", cap, None, status))
    inflow = {f"n{i}": 1.0 for i in rng.choice(n, size=max(1, n // 10), replace=False)}
    return make(pipes, inflow=inflow, nodes=[f"n{i}" for i in range(n)])


@pytest.mark.parametrize("seed", range(12))
def test_against_networkx_and_scipy_random_integer_maps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    eco = random_eco(rng, 30, 120)
    for target in [f"n{i}" for i in rng.choice(30, 5, replace=False)]:
        r = bottlenecks(eco, target)
        value, cut = nx_oracle(eco, target)
        assert r["max_flow"] == value
        assert {(p["from"], p["to"]) for p in r["min_cut"]} == cut
        if math.isinf(value):
            continue
        # scipy, built independently: node i, super-source n, unbounded as 10**6
        n = 30
        rows, cols, caps = [], [], []
        for p in eco.pipes:
            if p.is_open and p.from_node != p.to_node:
                rows.append(int(p.from_node[1:]))
                cols.append(int(p.to_node[1:]))
                caps.append(10**6 if p.capacity is None else int(p.capacity))
        for s in r["sources"]:
            rows.append(n)
            cols.append(int(s[1:]))
            caps.append(10**6)
        C = sp.csr_array((np.array(caps, np.int32), (rows, cols)), shape=(n + 1, n + 1))
        assert maximum_flow(C, n, int(target[1:])).flow_value == value


@pytest.mark.parametrize("seed", range(6))
def test_engines_agree_on_float_capacities(seed: int) -> None:
    # lognormal capacities are not decimals: the scipy engine cannot be exact, so the
    # default is igraph; networkx must agree on value and on both residual sets.
    rng = np.random.default_rng(100 + seed)
    eco = random_eco(rng, 25, 90, integer=False)
    arr = compiled(eco).layer("traffic")
    for t in rng.choice(25, 4, replace=False).tolist():
        _, target, src = M.resolve(eco, f"n{t}", None, "traffic")
        results = {e: M.solve(arr, target, src, engine=e) for e in ("igraph", "networkx")}
        (v1, c1), (v2, c2) = results.values()
        assert v1 == pytest.approx(v2, rel=1e-12, abs=1e-12)
        if c1 is not None and c2 is not None:
            assert (c1.to_target == c2.to_target).all()
            assert (c1.from_source == c2.from_source).all()
        value, _ = nx_oracle(eco, f"n{t}")
        assert max_flow(eco, f"n{t}") == pytest.approx(value, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_engines_agree_on_integer_capacities(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    eco = random_eco(rng, 40, 200)
    arr = compiled(eco).layer("traffic")
    for t in rng.choice(40, 4, replace=False).tolist():
        _, target, src = M.resolve(eco, f"n{t}", None, "traffic")
        out = [M.solve(arr, target, src, engine=e) for e in M.ENGINES]
        assert len({v for v, _ in out}) == 1
        cuts = [c for _, c in out if c is not None]
        for c in cuts[1:]:
            assert (c.to_target == cuts[0].to_target).all()
            assert (c.from_source == cuts[0].from_source).all()


def enar_models() -> list[tuple[str, dict[str, Any]]]:
    if not ENAR.exists():
        return []
    return list(json.loads(ENAR.read_text(encoding="utf-8")).items())


def enar_eco(name: str, model: dict[str, Any], *, whole: bool = False) -> Ecosystem:
    """A real flow network as a map: flows become pipe volumes and capacities.

    ``whole=True`` rounds the capacities to whole millionths, as whole numbers, so
    that networkx's cut (which tests saturation with ``==``) is exact too.
    """
    n = model["n"]
    ids = [f"c{i}" for i in range(n)]
    nodes = {}
    for i in range(n):
        inflow = {"traffic": model["input"][i]} if model["input"][i] > 0 else {}
        nodes[ids[i]] = Node(ids[i], "partner", inflow=inflow)
    F = model["F"]
    pipes = tuple(
        Pipe(
            f"{i}->{j}",
            ids[i],
            ids[j],
            volume=F[i][j],
            capacity=float(round(F[i][j] * 1e6)) if whole else F[i][j],
        )
        for i in range(n)
        for j in range(n)
        if F[i][j] > 0
    )
    return Ecosystem(name, nodes=nodes, pipes=pipes)


@pytest.mark.skipif(not ENAR.exists(), reason="enaR models not available")
def test_against_networkx_on_enar_models() -> None:
    # about six compartments of each of the 104 published models as targets, flows as
    # capacities: values as given (floats) and cuts on whole-number capacities
    checked = 0
    for name, model in enar_models():
        raw, whole = enar_eco(name, model), enar_eco(name, model, whole=True)
        for target in list(raw.nodes)[:: max(1, model["n"] // 6)]:
            value, _ = nx_oracle(raw, target)
            got = bottlenecks(raw, target)
            assert got["max_flow"] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, target)
            r = bottlenecks(whole, target)
            value, cut = nx_oracle(whole, target)
            assert r["max_flow"] == value, (name, target)
            assert {(p["from"], p["to"]) for p in r["min_cut"]} == cut, (name, target)
            checked += 1
    assert checked > 400


def test_example_maps() -> None:
    maps = sorted((ROOT / "ecosystems").glob("*.yaml"))
    if not maps:
        pytest.skip("no example maps yet")
    import ecograph

    for path in maps:
        eco = ecograph.load(path)
        for kind in eco.currencies():
            for target in eco.nodes:
                r = bottlenecks(eco, target, kind=kind)
                value, cut = nx_oracle(eco, target, kind)
                assert r["max_flow"] == pytest.approx(value, rel=1e-12), (path.name, target)
                assert {(p["from"], p["to"]) for p in r["min_cut"]} == cut


# -- properties -----------------------------------------------------------------------------


@st.composite
def small_maps(draw: st.DrawFn) -> tuple[Ecosystem, str]:
    n = draw(st.integers(2, 7))
    m = draw(st.integers(0, 16))
    pipes = []
    for i in range(m):
        u = draw(st.integers(0, n - 1))
        v = draw(st.integers(0, n - 1))
        cap = draw(st.one_of(st.none(), st.integers(0, 9).map(float)))
        status = draw(st.sampled_from(["open", "open", "open", "blocked"]))
        pipes.append((f"p{i}", f"n{u}", f"n{v}", cap, None, status))
    sources = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))
    target = draw(st.integers(0, n - 1))
    inflow = {f"n{s}": 1.0 for s in sources}
    return make(pipes, inflow=inflow, nodes=[f"n{i}" for i in range(n)]), f"n{target}"


@given(small_maps())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_max_flow_equals_cut_capacity_and_networkx(case: tuple[Ecosystem, str]) -> None:
    eco, target = case
    r = bottlenecks(eco, target)
    value, cut = nx_oracle(eco, target)
    assert r["max_flow"] == value
    if math.isfinite(value):
        assert math.fsum(p["capacity"] for p in r["min_cut"]) == r["max_flow"]
        assert {(p["from"], p["to"]) for p in r["min_cut"]} == cut
    else:
        assert r["min_cut"] == []


@given(small_maps(), st.sampled_from([0.25, 0.5, 1.0]))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_widening_a_cut_pipe_raises_max_flow_by_gain(case: tuple[Ecosystem, str], d: float) -> None:
    # integer capacities: every residual path has capacity >= 1, so widening by d <= 1
    # raises the max-flow by exactly gain * d
    eco, target = case
    r = bottlenecks(eco, target)
    for w in r["widening"]:
        pipes = tuple(
            dataclasses.replace(p, capacity=p.capacity + d) if p.key == w["key"] else p  # type: ignore[operator]
            for p in eco.pipes
        )
        wider = dataclasses.replace(eco, pipes=pipes)
        assert max_flow(wider, target) == r["max_flow"] + w["gain_per_unit"] * d


def test_large_and_fine_capacities_leave_int32() -> None:
    # 3e9 + 4e9 does not fit int32: solved by igraph in (exact) floating point.
    # pool -(3e9)-> a -(4e9)-> shop, pool -(4e9)-> shop: 3e9 + 4e9 = 7e9.
    eco = make(
        [("pa", "pool", "a", 3e9), ("as", "a", "shop", 4e9), ("ps", "pool", "shop", 4e9)],
        inflow={"pool": 1.0},
    )
    assert max_flow(eco, "shop") == 7e9
    assert keys(bottlenecks(eco, "shop")["min_cut"]) == ["pa", "ps"]
    # capacities with more than six decimals: tolerance path; 1/3 + 1/7 (no decimal form)
    eco = make([("a", "pool", "shop", 1 / 3), ("b", "pool", "shop", 1 / 7)], inflow={"pool": 1.0})
    assert max_flow(eco, "shop") == pytest.approx(1 / 3 + 1 / 7, rel=1e-15)
    assert keys(bottlenecks(eco, "shop")["min_cut"]) == ["a", "b"]


def test_generated_benchmark_map_against_networkx() -> None:
    # the benchmark generator's structure (pools, platforms, sub-ecosystems, partners,
    # parallel "#2" pipes, blocked and unbounded pipes, capital) at a small size
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    eco = generate(platforms=2, sub_ecosystems=6, partners=400, pipes=4000, seed=7)
    assert any("#2" in p.key for p in eco.pipes)
    rng = np.random.default_rng(7)
    targets = ["sub-000", "platform-01", *(f"partner-{i:06d}" for i in rng.choice(400, 8))]
    for target in targets:
        for kind in ("traffic", "capital"):
            r = bottlenecks(eco, target, kind=kind)
            value, cut = nx_oracle(eco, target, kind)
            assert r["max_flow"] == value, (target, kind)
            assert {(p["from"], p["to"]) for p in r["min_cut"]} == cut, (target, kind)
