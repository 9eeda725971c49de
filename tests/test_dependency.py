"""Dependency: total dependency shares, losses, dominators, sources; by hand and by reference.

Independent references: hand working in the comments; a dense numpy
knock-out (remove a node, solve the flow equations again) for the loss
reading; a transcription of enaR's total dependency coefficients (TDC in
R/enaFlow.R) on published enaR models; networkx ``immediate_dominators`` with a
super-source for dominators.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import closed_dense

import ecograph
from ecograph.analysis import _linalg, dependency, reach
from ecograph.analysis._linalg import layer_arrays
from ecograph.analysis.dependency import knockout_loss
from ecograph.errors import UsageError
from ecograph.formatting import to_json
from ecograph.model import Ecosystem, Node, Pipe

DATA = Path("/work/shared/data/enar-models.json")
needs_data = pytest.mark.skipif(not DATA.exists(), reason="enaR model data not available")

LOOP = """
ecograph: 1
name: loop
nodes:
  pool:     {kind: pool, inflow: 100}
  platform: {kind: platform, outflow: 30}
  shop:     {kind: partner, outflow: 60}
  app:      {kind: partner, outflow: 10}
pipes:
  - {from: pool, to: platform, volume: 100}
  - {from: platform, to: shop, volume: 60}
  - {from: platform, to: app, volume: 20}
  - {from: app, to: platform, volume: 10}
"""

GROUPS = """
ecograph: 1
name: groups
nodes:
  alibaba:  {kind: platform}
  users:    {kind: pool, parent: alibaba, inflow: 100}
  dingtalk: {kind: sub-ecosystem, parent: alibaba, outflow: 30}
  erp:      {kind: partner, parent: dingtalk}
  tencent:  {kind: platform}
  wechat:   {kind: pool, parent: tencent, inflow: 10}
  attendance: {kind: partner, outflow: 80}
pipes:
  - {from: users, to: dingtalk, volume: 80}
  - {from: users, to: erp, volume: 20}
  - {from: dingtalk, to: attendance, volume: 50}
  - {from: dingtalk, to: erp, volume: 40, status: blocked}
  - {from: erp, to: attendance, volume: 20}
  - {from: wechat, to: attendance, volume: 10}
  - {from: wechat, to: erp, volume: 5, status: blocked}
  - {from: wechat, to: attendance, kind: capital, volume: 500}
"""


# -- hand-worked maps ----------------------------------------------------------------------


def test_cycle_by_hand() -> None:
    # The shop's 60 all come from the platform, whose 110 are 100 fresh from the pool and 10
    # back from the app: pool and platform 1.0, app 10/110 = 1/11 of everything.
    # Knock-out reading: without the app the platform passes only 100, the shop gets
    # 100 * 60/110 = 54.55, a loss of 60/11 = 5.4545 = 60 * 1/11.
    eco = ecograph.loads(LOOP)
    d = dependency(eco, "shop")
    assert dict(d.shares) == pytest.approx({"pool": 1.0, "platform": 1.0, "app": 1 / 11})
    assert dict(d.loss_if_removed) == pytest.approx(
        {"pool": 60.0, "platform": 60.0, "app": 60 / 11}
    )
    assert d.dominators == ("pool", "platform")
    assert dict(d.sources) == {"pool": pytest.approx(1.0)}
    assert d.concentration == pytest.approx(1.0)
    assert d.exact


def test_multiple_sources_blocked_pipes_and_groups() -> None:
    # attendance (T = 50 + 20 + 10 = 80): via dingtalk 50, via erp 20 (both from users), from
    # wechat 10. users 70/80 = 0.875, dingtalk 50/80 = 0.625, erp 20/80 = 0.25, wechat 10/80.
    # The blocked pipes carry nothing. Origins: users 0.875, wechat 0.125;
    # HHI = 0.875^2 + 0.125^2 = 0.78125. Two origins reach attendance apart: no dominator.
    eco = ecograph.loads(GROUPS)
    d = dependency(eco, "attendance")
    assert dict(d.shares) == pytest.approx(
        {"users": 0.875, "dingtalk": 0.625, "erp": 0.25, "wechat": 0.125}
    )
    assert dict(d.sources) == pytest.approx({"users": 0.875, "wechat": 0.125})
    assert d.concentration == pytest.approx(0.78125)
    assert d.dominators == ()
    # erp gets 20, all from users over the one open pipe (the blocked ones do not count)
    erp = dependency(eco, "erp")
    assert erp.dominators == ("users",)
    assert dict(erp.shares) == pytest.approx({"users": 1.0})
    # Groups: dingtalk (with erp) carried 50 + 20 = 70 -> 0.875; alibaba (users, dingtalk,
    # erp) the same 70; tencent (wechat) 10 -> 0.125.
    g = dependency(eco, "attendance", group=True)
    assert dict(g.shares) == pytest.approx({"alibaba": 0.875, "dingtalk": 0.875, "tencent": 0.125})
    assert dict(g.loss_if_removed) == pytest.approx(
        {"alibaba": 70.0, "dingtalk": 70.0, "tencent": 10.0}
    )
    # groups that contain the target are left out
    assert dict(dependency(eco, "erp", group=True).shares) == {}


def test_currencies_are_separate() -> None:
    # capital: wechat -> attendance 500, nothing else; wechat's capital enters there.
    eco = ecograph.loads(GROUPS)
    d = dependency(eco, "attendance", kind="capital")
    assert dict(d.shares) == {"wechat": 1.0}
    assert d.dominators == ("wechat",)
    assert dict(d.sources) == {"wechat": 1.0}


def test_json_keys() -> None:
    doc = json.loads(to_json(dependency(ecograph.loads(LOOP), "shop")))
    assert set(doc) >= {
        "target",
        "shares",
        "dominators",
        "loss_if_removed",
        "concentration",
        "sources",
    }
    assert doc["dominators"] == ["pool", "platform"]


def test_errors() -> None:
    eco = ecograph.loads(LOOP)
    with pytest.raises(UsageError, match=r"unknown node 'shp' \(did you mean 'shop'\?\)"):
        dependency(eco, "shp")
    closed = Ecosystem(
        "c",
        nodes={k: Node(k, "partner") for k in "ab"},
        pipes=(Pipe("p1", "a", "b", volume=5.0), Pipe("p2", "b", "a", volume=5.0)),
    )
    with pytest.raises(UsageError, match="closed loop"):
        dependency(closed, "a")


def test_target_without_traffic() -> None:
    eco = Ecosystem(
        "m",
        nodes={k: Node(k, "partner") for k in "ab"},
        pipes=(Pipe("p1", "a", "b"),),  # a pipe with no volume
    )
    d = dependency(eco, "b")
    assert dict(d.shares) == {"a": 0.0}
    assert dict(d.sources) == {}
    assert d.concentration == 0.0
    assert d.dominators == ("a",)  # a map without figures: pipe-less starts stand in


def test_dependency_does_not_touch_the_graph() -> None:
    eco = ecograph.loads(GROUPS)
    before = nx.to_dict_of_dicts(eco.graph)
    dependency(eco, "attendance", group=True)
    assert nx.to_dict_of_dicts(eco.graph) == before


# -- references -------------------------------------------------------------------------------


def dense_knockout(ref: dict[str, Any], t: int, removed: set[int]) -> float:
    """Throughflow of t after removing nodes (rows, columns, inflow), routing fractions kept."""
    keep = [i for i in range(len(ref["ids"])) if i not in removed]
    if t not in keep:
        return float(ref["T"][t])
    A = ref["I-P"][np.ix_(keep, keep)]
    T_after = np.linalg.solve(A.T, ref["z"][keep])
    return float(ref["T"][t] - T_after[keep.index(t)])


def reference_dominators(ref: dict[str, Any], target: str) -> list[str]:
    D = ref["D"]
    origins = [v for v, z in zip(ref["ids"], ref["z"], strict=True) if z > 0]
    if not origins:
        origins = [v for v in D if D.in_degree(v) == 0 and D.out_degree(v) > 0]
    if target in origins or not origins:
        return []
    G = nx.DiGraph(D.edges)
    G.add_nodes_from(D.nodes)
    G.add_edges_from(("<super>", o) for o in origins)
    idom = nx.immediate_dominators(G, "<super>")
    chain = []
    node = idom.get(target)
    while node is not None and node != "<super>":
        chain.append(node)
        node = idom.get(node)
    return chain[::-1]


@st.composite
def small_maps(draw: Any) -> Ecosystem:
    """Random maps: up to 7 nodes in two groups, integer volumes, blocked pipes, two currencies."""
    n = draw(st.integers(2, 7))
    ids = [f"v{i}" for i in range(n)]
    nodes = {"g1": Node("g1", "sub-ecosystem"), "g2": Node("g2", "sub-ecosystem")}
    for v in ids:
        nodes[v] = Node(
            v,
            "partner",
            parent=draw(st.sampled_from([None, "g1", "g2"])),
            inflow={"traffic": float(draw(st.integers(0, 20)))},
            outflow={"traffic": float(draw(st.integers(0, 20)))},
        )
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
                kind=draw(st.sampled_from(["traffic", "traffic", "capital"])),
                volume=float(draw(st.integers(0, 20))),
                status=draw(st.sampled_from(["open", "open", "open", "blocked"])),
            )
        )
    return Ecosystem("random", nodes=nodes, pipes=tuple(pipes))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eco=small_maps(), data=st.data())
def test_dependency_against_references(eco: Ecosystem, data: Any) -> None:
    ref = closed_dense(eco)
    assume(abs(np.linalg.det(ref["I-P"])) > 1e-9)  # no closed loop
    ids = ref["ids"]
    target = data.draw(st.sampled_from([v for v in ids if v.startswith("v")]))
    t = ids.index(target)
    T_t = ref["T"][t]
    d = dependency(eco, target)
    arrays = layer_arrays(eco, "traffic")

    # shares: exactly the upstream nodes, each in [0, 1]
    assert set(d.shares) == nx.ancestors(ref["D"], target)
    assert all(0.0 <= s <= 1.0 for s in d.shares.values())
    # the two readings of one definition: share == knock-out loss / throughflow,
    # by the library's solver and by a dense solve here
    for node, share in d.shares.items():
        i = ids.index(node)
        removed = np.zeros(arrays.n, dtype=bool)
        removed[arrays.index[node]] = True
        by_dense = dense_knockout(ref, t, {i})
        assert d.loss_if_removed[node] == pytest.approx(by_dense, rel=1e-9, abs=1e-9)
        assert knockout_loss(arrays, arrays.index[target], removed) == pytest.approx(
            by_dense, rel=1e-9, abs=1e-9
        )
        if T_t > 0:
            assert share == pytest.approx(by_dense / T_t, rel=1e-9, abs=1e-12)

    # sources add up to 1; HHI between the largest share squared and 1
    if T_t > 0:
        assert sum(d.sources.values()) == pytest.approx(1.0)
        assert max(d.sources.values()) ** 2 - 1e-12 <= d.concentration <= 1.0 + 1e-12

    # dominators: networkx on the open pipes with a super-source; removing one removes all
    assert list(d.dominators) == reference_dominators(ref, target)
    for node in d.dominators:
        assert dense_knockout(ref, t, {ids.index(node)}) == pytest.approx(T_t, abs=1e-9)

    # groups: the loss of removing the group and its members, densely
    g = dependency(eco, target, group=True)
    for name, loss in g.loss_if_removed.items():
        members = {ids.index(name), *(ids.index(m) for m in eco.members(name))}
        assert t not in members
        assert loss == pytest.approx(dense_knockout(ref, t, members), rel=1e-9, abs=1e-9)


# -- enaR's total dependency coefficients ---------------------------------------------------


def enar_tdc(F: np.ndarray, z: np.ndarray) -> np.ndarray:
    """enaR's TDC (R/enaFlow.R, after Szyrmer & Ulanowicz 1987), Patten orientation.

    ``TF.out <- (N - I) %*% ginv(diag(diag(N))) %*% diag(T.)``;
    ``TDC <- ginv(diag(T.)) %*% TF.out``: ``TDC[j, i]`` is the fraction of ``j``'s
    throughflow that passed through ``i``.
    """
    Flow = F.T
    n = len(z)
    T = Flow.sum(axis=1) + z
    G = Flow / T[np.newaxis, :]
    N = np.linalg.pinv(np.eye(n) - G)
    TF_out = (N - np.eye(n)) @ np.linalg.pinv(np.diag(np.diag(N))) @ np.diag(T)
    return np.asarray(np.linalg.pinv(np.diag(T)) @ TF_out)


def model_map(model: dict[str, Any]) -> Ecosystem:
    names = [f"n{i}" for i in range(model["n"])]
    nodes = {
        name: Node(
            name,
            "producer",
            inflow={"traffic": float(model["input"][i])},
            outflow={"traffic": float(model["output"][i])},
        )
        for i, name in enumerate(names)
    }
    pipes = tuple(
        Pipe(f"{names[i]}->{names[j]}", names[i], names[j], volume=float(v))
        for i, row in enumerate(model["F"])
        for j, v in enumerate(row)
        if v
    )
    return Ecosystem("model", nodes=nodes, pipes=pipes)


ENAR_MODELS = ["Oyster Reef ", "Cone Springs", "Silver Springs", "Lake Findley ", "Mirror Lake"]


@needs_data
@pytest.mark.parametrize("name", ENAR_MODELS)
def test_shares_are_enar_total_dependency_coefficients(name: str) -> None:
    model = json.loads(DATA.read_text(encoding="utf-8"))[name]
    F = np.array(model["F"], dtype=float)
    z = np.array(model["input"], dtype=float)
    y = F.sum(axis=0) + z - F.sum(axis=1)  # balanced as enaR's input throughflow assumes
    model = {**model, "output": y.tolist()}
    tdc = enar_tdc(F, z)
    eco = model_map(model)
    arrays = layer_arrays(eco)
    for j in range(model["n"]):
        d = dependency(eco, f"n{j}")
        for node, share in d.shares.items():
            i = int(node[1:])
            assert share == pytest.approx(tdc[j, i], rel=1e-8, abs=1e-12), (name, j, i)
            removed = np.zeros(arrays.n, dtype=bool)
            removed[i] = True
            loss = knockout_loss(arrays, j, removed)
            assert share == pytest.approx(loss / arrays.throughflow[j], rel=1e-8, abs=1e-12)


# -- large components: sampled shares, the iterative solver ---------------------------------------


@needs_data
def test_sampled_shares_agree_with_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    model = json.loads(DATA.read_text(encoding="utf-8"))["Cone Springs"]
    exact = dependency(model_map(model), "n4")
    monkeypatch.setattr(_linalg, "EXACT_LIMIT", 1)
    samples = 200_000
    sampled = dependency(model_map(model), "n4", samples=samples, seed=5)
    assert exact.exact and not sampled.exact
    assert sampled.shares.keys() == exact.shares.keys()
    for node, share in exact.shares.items():
        error = max((share * (1 - share) / samples) ** 0.5, 1e-6)
        assert abs(sampled.shares[node] - share) < 5 * error, node
    assert dict(sampled.sources) == pytest.approx(dict(exact.sources))


def test_sampled_group_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    # The hand-worked loop with the app in a sub-ecosystem "hub": removing the hub removes
    # the app, so its share is the app's, 1/11 (see test_cycle_by_hand).
    text = LOOP.replace(
        "platform: {kind: platform, outflow: 30}",
        "platform: {kind: platform, outflow: 30}\n  hub: {kind: sub-ecosystem}",
    ).replace(
        "app:      {kind: partner, outflow: 10}", "app: {kind: partner, outflow: 10, parent: hub}"
    )
    eco = ecograph.loads(text)
    exact = dependency(eco, "shop", group=True)
    assert dict(exact.shares) == pytest.approx({"hub": 1 / 11})
    monkeypatch.setattr(_linalg, "EXACT_LIMIT", 1)
    sampled = dependency(ecograph.loads(text), "shop", group=True, samples=100_000)
    assert not sampled.exact
    assert sampled.shares["hub"] == pytest.approx(1 / 11, abs=5 * (1 / 11 * 10 / 11 / 1e5) ** 0.5)


def test_iterative_solver_matches_lu(monkeypatch: pytest.MonkeyPatch) -> None:
    eco = ecograph.loads(GROUPS)
    by_lu = dependency(eco, "attendance")
    monkeypatch.setattr(_linalg, "DIRECT_LIMIT", 0)
    monkeypatch.setattr(_linalg, "BLOCK_LIMIT", 0)
    by_gmres = dependency(ecograph.loads(GROUPS), "attendance")
    assert dict(by_gmres.shares) == pytest.approx(dict(by_lu.shares), rel=1e-10)
    assert dict(by_gmres.sources) == pytest.approx(dict(by_lu.sources), rel=1e-10)


def test_a_closed_loop_elsewhere_does_not_disturb() -> None:
    # a <-> b circulate 5 with no way in or out; c (inflow 4) -> d -> e (outflow 4) is a chain
    # that also has an empty pipe into the loop. e's 4 all passed c and d: shares 1, dominators
    # c, d; the loop is not upstream of e at all.
    eco = Ecosystem(
        "m",
        nodes={
            "a": Node("a", "partner"),
            "b": Node("b", "partner"),
            "c": Node("c", "pool", inflow={"traffic": 4.0}),
            "d": Node("d", "partner"),
            "e": Node("e", "partner", outflow={"traffic": 4.0}),
        },
        pipes=(
            Pipe("p1", "a", "b", volume=5.0),
            Pipe("p2", "b", "a", volume=5.0),
            Pipe("p3", "c", "d", volume=4.0),
            Pipe("p4", "d", "e", volume=4.0),
            Pipe("p5", "d", "a"),
        ),
    )
    d = dependency(eco, "e")
    assert dict(d.shares) == {"c": 1.0, "d": 1.0}
    assert d.dominators == ("c", "d")
    assert dict(d.sources) == {"c": 1.0}
    # the loop's nodes receive nothing from c
    assert dict(reach(eco, "c").traffic) == {"d": 4.0, "e": 4.0, "a": 0.0, "b": 0.0}


def test_dominators_without_igraph(monkeypatch: pytest.MonkeyPatch) -> None:
    dependency_module = importlib.import_module(
        "ecograph.analysis.dependency"
    )  # the module, not the function
    monkeypatch.setattr(dependency_module, "compiled_graph", lambda arrays: None)
    assert dependency(ecograph.loads(LOOP), "shop").dominators == ("pool", "platform")
    assert dependency(ecograph.loads(GROUPS), "erp").dominators == ("users",)
