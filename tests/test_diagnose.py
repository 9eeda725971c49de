"""Diagnosis on maps small enough to judge by hand: one map per finding, the order between
them, the single-giant risk, the article's cases, and batched == per node."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import UsageError
from ecograph.analysis.dependency import dependency
from ecograph.analysis.diagnose import STATUSES, Diagnosis, diagnose
from ecograph.analysis.fit import judge_fit
from ecograph.model import Ecosystem

ROOT = Path(__file__).resolve().parent.parent

# Two giants, A and B. Worked by hand:
#   a-users (pool in A, inflow 1000) -> a-hub (channel in A) -> ...
#   b-users (pool in B, inflow 100)  -> mixed
MAP = """
ecograph: 1
name: two-giants
nodes:
  A:        {kind: platform, genes: [retail, food]}
  B:        {kind: platform}
  a-users:  {kind: pool, parent: A, inflow: 1000}
  a-hub:    {kind: channel, parent: A, outflow: 250}
  b-users:  {kind: pool, parent: B, inflow: 100}
  healthy:  {kind: partner, parent: A, tags: [retail], outflow: 150}
  narrow:   {kind: partner, parent: A, tags: [food], outflow: 50}
  greedy:   {kind: partner, parent: A, tags: [retail], outflow: 600}
  blocked:  {kind: producer, parent: A}
  island:   {kind: channel}
  dry:      {kind: producer, parent: A}
  cattle:   {kind: partner, parent: A, tags: [cattle, milk], outflow: 50}
pipes:
  # a-users sends 1000: 800 to a-hub, 200 to greedy (20% of the pool: not overuse alone)
  - {from: a-users, to: a-hub, volume: 800}
  - {from: a-users, to: greedy, volume: 200}
  # a-hub receives 850 (800 from a-users, 50 from b-users): keeps 250 (outflow), 100 to healthy,
  # 50 to narrow (capacity 50, full), 400 to greedy, 50 to cattle: 850 = 250+100+50+400+50
  - {from: a-hub, to: healthy, volume: 100}
  - {from: a-hub, to: narrow, volume: 50, capacity: 50}
  - {from: a-hub, to: greedy, volume: 400}
  - {from: a-hub, to: cattle, volume: 50}
  - {from: a-hub, to: blocked, status: blocked}
  # b-users (giant B) sends its 100: 50 to healthy, 50 to a-hub
  - {from: b-users, to: healthy, volume: 50}
  - {from: b-users, to: a-hub, volume: 50}
  - {from: island, to: dry}
"""

# Money and the order between findings. host's genes: food.
#   cow: 100 visits from users at cost 1 = pays 100; converts 100 * 0.01 = 1 order at
#        price 10 = earns 10: net -90 (unprofitable, severity 90/100); draws all 100 of
#        users' throughflow (overuse); tags [cattle] miss [food] (poor-fit). Status: poor-fit.
#   seller: 40 visits from ads at cost 0.5 = pays 20; 40 * 0.2 * 10 = 80 earned: net 60.
#        ads carries max(in 100, out 40 + outflow 60) = 100: seller draws 40% of it
#        (though 100% of what ads sends down pipes): not overuse at 0.5.
#   quiet: 50 visits from more (throughflow 200) at conversion 0: no-monetisation.
MONEY = """
ecograph: 1
name: money
nodes:
  host:   {kind: platform, genes: [food]}
  users:  {kind: pool, parent: host, inflow: 100}
  ads:    {kind: pool, parent: host, inflow: 100, outflow: 60}
  more:   {kind: pool, parent: host, inflow: 200, outflow: 150}
  cow:    {kind: partner, parent: host, tags: [cattle], price: 10, outflow: 100}
  seller: {kind: partner, parent: host, tags: [Food], price: 10, outflow: 40}
  quiet:  {kind: producer, parent: host, tags: [food], price: 10, outflow: 50}
pipes:
  - {from: users, to: cow, volume: 100, cost: 1, conversion: 0.01}
  - {from: ads, to: seller, volume: 40, cost: 0.5, conversion: 0.2}
  - {from: more, to: quiet, volume: 50, conversion: 0}
"""

# Own pools: fans is owned by firm (owner), nest sits inside it; other draws from fans too.
#   firm receives 60 from fans and 50 from nest: all its own, no giant.
#   other receives 40 of the 100 fans carries (40%): overuse at 0.3, as fans is not its own.
OWN = """
ecograph: 1
name: own
nodes:
  G:     {kind: platform}
  firm:  {kind: partner, parent: G, outflow: 110}
  nest:  {kind: pool, parent: firm, inflow: 50}
  fans:  {kind: pool, parent: G, owner: firm, domain: private, inflow: 100}
  other: {kind: partner, parent: G, outflow: 40}
pipes:
  - {from: fans, to: firm, volume: 60}
  - {from: nest, to: firm, volume: 50}
  - {from: fans, to: other, volume: 40}
"""

# Narrow upstream: s -(10, full)-> a; a -> b1, a -> b2 (unbounded); b1 -(5, full)-> t;
# b2 -(100)-> t. a's one pipe in holds 10 of the 100 s receives: narrow, where it is. t's
# pipes in hold 105 against the 40 its feeders receive: not narrow, although the max-flow
# into t is only 10 (everything passes s -> a).
UPSTREAM = """
ecograph: 1
name: upstream
nodes:
  s:  {kind: pool, inflow: 100, outflow: 90}
  a:  {kind: channel}
  b1: {kind: channel}
  b2: {kind: channel}
  t:  {kind: partner}
pipes:
  - {from: s, to: a, volume: 10, capacity: 10}
  - {from: a, to: b1, volume: 20}
  - {from: a, to: b2, volume: 20}
  - {from: b1, to: t, volume: 5, capacity: 5}
  - {from: b2, to: t, volume: 5, capacity: 100}
"""


def names(d: Diagnosis) -> list[str]:
    return [f.finding for f in d.findings]


def evidence(d: Diagnosis, finding: str) -> dict[str, Any]:
    return next(dict(f.evidence) for f in d.findings if f.finding == finding)


@pytest.fixture(scope="module")
def result() -> dict[str, Diagnosis]:
    eco = ecograph.loads(MAP)
    assert not [w for w in eco.warnings if "balance" in w.message], eco.warnings
    return diagnose(eco)


def test_every_partner_producer_and_channel_is_judged_once(result: dict[str, Diagnosis]) -> None:
    assert list(result) == [
        "a-hub",
        "healthy",
        "narrow",
        "greedy",
        "blocked",
        "island",
        "dry",
        "cattle",
    ]
    assert all(d.status in STATUSES for d in result.values())


def test_empty_pipe(result: dict[str, Diagnosis]) -> None:
    # island has no inflow and nothing flows into it; dry is fed only by island
    assert result["island"].status == "empty-pipe"
    assert result["dry"].status == "empty-pipe"
    assert evidence(result["dry"], "empty-pipe") == {"feeders": ["island"]}
    assert evidence(result["island"], "empty-pipe") == {"feeders": []}


def test_blocked_pipe_names_the_pipe(result: dict[str, Diagnosis]) -> None:
    assert result["blocked"].status == "blocked-pipe"
    assert evidence(result["blocked"], "blocked-pipe") == {
        "blocked_pipes": ["a-hub->blocked:traffic"]
    }
    assert result["blocked"].findings[0].severity == 1.0


def test_narrow_pipe(result: dict[str, Diagnosis]) -> None:
    d = result["narrow"]
    assert d.status == "narrow-pipe"
    # the one pipe into `narrow` holds 50 and is full; a-hub feeds it and receives
    # 800 + 50 = 850: 50 < 0.5 * 850
    assert evidence(d, "narrow-pipe") == {
        "full_pipes": ["a-hub->narrow:traffic"],
        "upstream_supply": 850.0,
        "in_capacity": 50.0,
    }
    assert d.findings[0].severity == pytest.approx(1 - 50 / 850)
    # a line below 50 / 850 = 0.0588: not narrow
    eco = ecograph.loads(MAP)
    assert diagnose(eco, node="narrow", narrow=0.05)["narrow"].status == "healthy"
    assert diagnose(eco, node="narrow", narrow=0.06)["narrow"].status == "narrow-pipe"


def nx_max_flow(eco: Ecosystem, target: str) -> float:
    g = nx.DiGraph()
    for p in eco.pipes:
        if p.is_open and p.kind == "traffic" and p.from_node != p.to_node:
            cap = p.capacity if p.capacity is not None else math.inf
            old = g.get_edge_data(p.from_node, p.to_node, {"capacity": 0.0})["capacity"]
            g.add_edge(p.from_node, p.to_node, capacity=old + cap)
    for n, node in eco.nodes.items():
        if node.inflow.get("traffic", 0) > 0 and n != target:
            g.add_edge("<s>", n)  # no capacity: unlimited
    if "<s>" not in g or target not in g:
        return 0.0
    return float(nx.maximum_flow_value(g, "<s>", target))


def test_a_narrow_pipe_is_reported_where_it_is() -> None:
    eco = ecograph.loads(UPSTREAM)
    r = diagnose(eco)
    assert r["a"].status == "narrow-pipe"
    assert evidence(r["a"], "narrow-pipe") == {
        "full_pipes": ["s->a:traffic"],
        "upstream_supply": 100.0,
        "in_capacity": 10.0,
    }
    assert r["t"].status == "healthy"
    assert nx_max_flow(eco, "t") == 10.0  # the narrowness t inherits is a's


def test_single_giant_is_a_risk_from_concentration_over_giants(
    result: dict[str, Diagnosis],
) -> None:
    # a-hub receives 800 from A and 50 from B: shares 16/17 and 1/17,
    # Herfindahl (16/17)^2 + (1/17)^2 = 257/289 = 0.889 < 0.9: no risk
    hub = result["a-hub"]
    assert hub.evidence["giant_concentration"] == pytest.approx(257 / 289)
    assert hub.risks == ()
    # greedy: 200 straight from A, 400 via a-hub (16/17 A): A share = (200 + 400*16/17)/600
    share_a = (200 + 400 * 16 / 17) / 600
    assert result["greedy"].evidence["giants"]["A"] == pytest.approx(share_a)
    assert result["greedy"].evidence["giant_concentration"] == pytest.approx(
        share_a**2 + (1 - share_a) ** 2
    )
    # with a lower bar it is a risk, beside the status and never in its place
    eco = ecograph.loads(MAP)
    d = diagnose(eco, node="greedy", giant=0.8)["greedy"]
    assert d.status == "healthy"
    assert [r.to_dict() for r in d.risks] == [
        {
            "risk": "single-giant",
            "share": pytest.approx(share_a),
            "giant": "A",
            "concentration": pytest.approx(share_a**2 + (1 - share_a) ** 2),
        }
    ]
    assert d.reasons[-1].startswith("risk: 96% of its traffic originates in one giant, A")


def test_healthy_with_two_giants(result: dict[str, Diagnosis]) -> None:
    # healthy gets 100 via a-hub (16/17 A) and 50 straight from B:
    # A = 100*16/17/150 = 0.627, B = 0.373: Herfindahl 0.53
    d = result["healthy"]
    assert d.status == "healthy" and d.findings == () and d.risks == ()
    assert d.evidence["giants"]["B"] == pytest.approx((50 + 100 / 17) / 150)
    assert d.reasons == ("receives 150 traffic per month",)


def test_giant_shares_are_dependency_sources_grouped_per_giant() -> None:
    for text in (MAP, MONEY, OWN):
        eco = ecograph.loads(text)
        for node, d in diagnose(eco).items():
            if "giants" not in d.evidence:
                continue
            expected: dict[str, float] = {}
            for origin, share in dependency(eco, node).sources.items():
                own = origin == node or eco.nodes[origin].owner == node
                own = own or node in eco.ancestors_in_tree(origin)
                top = "own" if own else ([origin, *eco.ancestors_in_tree(origin)][-1])
                expected[top] = expected.get(top, 0.0) + share
            assert dict(d.evidence["giants"]) == pytest.approx(expected), node


def test_overuse_is_a_share_of_a_pools_throughflow() -> None:
    eco = ecograph.loads(MAP)
    # greedy draws 200 of the 1000 a-users carries: 20%
    assert "overuse" not in names(diagnose(eco, node="greedy")["greedy"])
    d = diagnose(eco, node="greedy", overuse=0.15)["greedy"]
    assert evidence(d, "overuse") == {"pools": {"a-users": pytest.approx(0.2)}}
    # seller draws everything ads sends down pipes, but only 40 of the 100 ads carries
    money = ecograph.loads(MONEY)
    assert "overuse" not in names(diagnose(money, node="seller")["seller"])
    d = diagnose(money, node="seller", overuse=0.3)["seller"]
    assert evidence(d, "overuse") == {"pools": {"ads": pytest.approx(0.4)}}


def test_a_firms_own_pools_are_never_overused_by_it() -> None:
    eco = ecograph.loads(OWN)
    firm = diagnose(eco, node="firm", overuse=0.0)["firm"]
    assert firm.status == "healthy"
    assert dict(firm.evidence["giants"]) == {"own": 1.0}
    assert firm.risks == ()  # its own traffic is no giant's
    other = diagnose(eco, node="other", overuse=0.3)["other"]
    assert evidence(other, "overuse") == {"pools": {"fans": pytest.approx(0.4)}}


def test_poor_fit(result: dict[str, Diagnosis]) -> None:
    # host A has genes retail, food; cattle's tags cattle, milk share none
    d = result["cattle"]
    assert d.status == "poor-fit"
    assert evidence(d, "poor-fit") == {"host": "A", "score": 0.0, "overlap": []}
    assert d.findings[0].severity == 1.0
    assert "poor-fit" not in names(result["narrow"])


def test_money_findings_and_their_order() -> None:
    r = diagnose(ecograph.loads(MONEY))
    cow = r["cow"]
    assert cow.status == "poor-fit"
    assert names(cow) == ["poor-fit", "overuse", "unprofitable"]
    assert evidence(cow, "unprofitable") == {
        "spend": 100.0,
        "revenue": 10.0,
        "income": 0.0,
        "net": -90.0,
    }
    assert [f.severity for f in cow.findings] == [1.0, 1.0, pytest.approx(0.9)]
    assert r["seller"].status == "healthy"  # tags [Food] fit genes [food]: case-insensitive
    assert r["quiet"].status == "no-monetisation"
    assert evidence(r["quiet"], "no-monetisation") == {"received": 50.0, "converted": 0.0}


def test_statuses_follow_the_issue_order() -> None:
    assert STATUSES == (
        "empty-pipe",
        "blocked-pipe",
        "narrow-pipe",
        "poor-fit",
        "overuse",
        "unprofitable",
        "no-monetisation",
        "healthy",
    )
    # narrow and poor fit at once: the narrow pipe is the headline
    eco = ecograph.loads(
        MAP.replace(
            "narrow:   {kind: partner, parent: A, tags: [food]",
            "narrow:   {kind: partner, parent: A, tags: [cattle]",
        )
    )
    assert names(diagnose(eco, node="narrow")["narrow"]) == ["narrow-pipe", "poor-fit"]


def test_fit_agrees_with_judge_fit() -> None:
    for name in ("alibaba", "tencent", "xiaomi", "toutiao"):
        eco = ecograph.load(f"ecosystems/{name}.yaml")
        for node, d in diagnose(eco, fit=0.5).items():
            judged = judge_fit(eco, node, threshold=0.5)
            assert ("poor-fit" in names(d)) == bool(judged.poor_fit), node


def test_unknown_node_and_bad_thresholds() -> None:
    eco = ecograph.loads(MAP)
    with pytest.raises(UsageError, match="did you mean 'greedy'"):
        diagnose(eco, node="gredy")
    with pytest.raises(UsageError, match="between 0 and 1"):
        diagnose(eco, overuse=1.5)
    with pytest.raises(UsageError, match="between 0 and 1"):
        diagnose(eco, narrow=float("nan"))
    with pytest.raises(UsageError, match="no capital pipes"):
        diagnose(eco, node="greedy", kind="capital")
    with pytest.raises(UsageError, match=r"unknown (currency|kind)"):
        diagnose(eco, kind="trafic")


@pytest.mark.parametrize(
    "name", ["minimal", "alibaba", "tencent", "xiaomi", "toutiao", "china-internet"]
)
def test_every_example_map_is_diagnosed(name: str) -> None:
    eco = ecograph.load(f"ecosystems/{name}.yaml")
    result = diagnose(eco)
    assert result
    for d in result.values():
        assert d.status == (d.findings[0].finding if d.findings else "healthy")
        assert len(d.reasons) == max(len(d.findings), 1) + len(d.risks)
        assert all(0.0 <= f.severity <= 1.0 for f in d.findings)


def test_the_article_cases_in_the_example_maps() -> None:
    toutiao = diagnose(ecograph.load("ecosystems/toutiao.yaml"))
    assert toutiao["stool-maker"].status == "narrow-pipe"
    assert toutiao["village-honey"].status == "blocked-pipe"
    assert toutiao["village-tea"].status == "empty-pipe"
    alibaba = diagnose(ecograph.load("ecosystems/alibaba.yaml"))
    assert evidence(alibaba["shandong-garlic"], "blocked-pipe") == {
        "blocked_pipes": ["garlic-listing"]
    }
    # a pond feeds fish, not cattle: the hen seller's headline is its poor fit
    assert alibaba["hen-seller"].status == "poor-fit"
    # growing under a giant is a risk, not the headline: few partners are unhealthy for it
    assert all(d.status != "single-giant" for d in alibaba.values())
    tencent = ecograph.load("ecosystems/tencent.yaml")
    # Pinduoduo draws 900 million of the more than 2 billion WeChat's pool carries
    pdd = diagnose(tencent, node="pinduoduo")["pinduoduo"]
    assert "overuse" not in names(pdd)
    # the cafe's own group chat is never overused by the cafe, whatever the threshold
    cafe = diagnose(tencent, node="cafe-mini-program", overuse=0.0)["cafe-mini-program"]
    assert "cafe-group-chat" not in evidence(cafe, "overuse")["pools"]
    assert "wechat-users" in evidence(cafe, "overuse")["pools"]


# -- batched == per node -----------------------------------------------------------------------


def _generated(seed: int, partners: int, pipes: int) -> Ecosystem:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    return generate(seed=seed, platforms=2, sub_ecosystems=3, partners=partners, pipes=pipes)


@given(
    st.integers(0, 2**16),
    st.integers(5, 40),
    st.integers(0, 200),
    st.sampled_from([0.1, 0.5, 0.9]),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_batched_equals_per_node_on_generated_maps(
    seed: int, partners: int, extra: int, narrow: float
) -> None:
    eco = _generated(seed, partners, partners + 20 + extra)
    batched = diagnose(eco, narrow=narrow)
    assert batched
    for node, d in batched.items():
        # a fresh copy of the map: nothing computed for the batch is reused
        fresh = _generated(seed, partners, partners + 20 + extra)
        assert diagnose(fresh, node=node, narrow=narrow)[node] == d


@given(st.integers(0, 2**16), st.integers(5, 30), st.sampled_from([0.2, 0.5, 0.8]))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_narrow_pipes_by_hand_on_generated_maps(seed: int, partners: int, narrow: float) -> None:
    # from the model objects: a full open pipe in, and the open pipes in holding less than
    # `narrow` of what the distinct feeders receive; then networkx's max-flow is below the
    # line too (what the pipes in hold bounds it)
    eco = _generated(seed, partners, 3 * partners + 20)
    received = {n: node.inflow.get("traffic", 0.0) for n, node in eco.nodes.items()}
    feeders: dict[str, set[str]] = {}
    holds: dict[str, float] = {}
    full: dict[str, list[str]] = {}
    for p in eco.pipes:
        if p.kind == "traffic" and p.is_open:
            received[p.to_node] += p.volume or 0.0
            if p.from_node != p.to_node:
                feeders.setdefault(p.to_node, set()).add(p.from_node)
                cap = p.capacity if p.capacity is not None else math.inf
                holds[p.to_node] = holds.get(p.to_node, 0.0) + cap
            if p.capacity and p.volume is not None and p.volume >= 0.9 * p.capacity:
                full.setdefault(p.to_node, []).append(p.key)
    for node, d in diagnose(eco, narrow=narrow).items():
        if d.status in ("empty-pipe", "blocked-pipe"):
            continue
        supply = sum(received[u] for u in feeders.get(node, ()))
        expected = node in full and holds[node] < narrow * supply
        assert ("narrow-pipe" in names(d)) == expected, node
        if expected:
            e = evidence(d, "narrow-pipe")
            assert e["full_pipes"] == full[node]
            assert e["upstream_supply"] == pytest.approx(supply, rel=1e-12)
            assert nx_max_flow(eco, node) < narrow * supply


@st.composite
def small_maps(draw: st.DrawFn) -> str:
    """A small map with every ingredient of a finding: pools (some owned), blocked and full
    pipes, costs, conversions, prices, tags and genes."""
    n = draw(st.integers(3, 8))
    kinds = ["pool", "partner", "producer", "channel"]
    lines = ["ecograph: 1", "name: random", "nodes:", "  G: {kind: platform, genes: [a, b]}"]
    for i in range(n):
        kind = draw(st.sampled_from(kinds))
        attrs = [f"kind: {kind}", "parent: G"]
        if kind == "pool":
            attrs.append(f"inflow: {draw(st.integers(0, 50))}")
            if draw(st.booleans()):
                attrs.append(f"owner: n{draw(st.integers(0, n - 1))}")
        else:
            attrs.append(f"tags: [{draw(st.sampled_from(['a', 'c', 'a, c', 'c, d']))}]")
            attrs.append(f"price: {draw(st.integers(0, 5))}")
        lines.append(f"  n{i}: {{{', '.join(attrs)}}}")
    lines.append("pipes:")
    for _ in range(draw(st.integers(1, 14))):
        u = draw(st.integers(0, n - 1))
        v = (u + draw(st.integers(1, n - 1))) % n  # no loops: the loader refuses them
        attrs = [f"from: n{u}", f"to: n{v}", f"volume: {draw(st.integers(0, 20))}"]
        if draw(st.booleans()):
            attrs.append(f"capacity: {draw(st.integers(1, 20))}")
        if draw(st.booleans()):
            attrs.append(f"cost: {draw(st.sampled_from([0, 0.5, 2]))}")
        if draw(st.booleans()):
            attrs.append(f"conversion: {draw(st.sampled_from([0, 0.1]))}")
        if draw(st.integers(0, 4)) == 0:
            attrs.append("status: blocked")
        lines.append(f"  - {{{', '.join(attrs)}}}")
    return "\n".join(lines) + "\n"


@given(small_maps())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_batched_equals_per_node_on_small_maps(text: str) -> None:
    try:
        eco = ecograph.loads(text)
    except ecograph.EcographError:
        return  # e.g. an owner that is not a partner: the loader's business
    batched = diagnose(eco, overuse=0.3)
    for node, d in batched.items():
        assert diagnose(ecograph.loads(text), node=node, overuse=0.3)[node] == d
        assert d.status == (d.findings[0].finding if d.findings else "healthy")
        order = [STATUSES.index(f.finding) for f in d.findings]
        assert order == sorted(order)


@pytest.mark.parametrize("name", ["alibaba", "china-internet"])
def test_diagnoses_is_a_dict_with_the_result_methods(name: str) -> None:
    import json
    import pickle

    import pandas as pd

    eco = ecograph.load(ROOT / "ecosystems" / f"{name}.yaml")
    found = diagnose(eco)
    # still the dict it was: node ids in map order, a Diagnosis each
    assert isinstance(found, dict) and list(found) == [n for n in eco.nodes if n in found]
    assert all(isinstance(d, Diagnosis) for d in found.values())
    assert pickle.loads(pickle.dumps(found)) == found
    # to_dict: each diagnosis's own dict, JSON-ready
    assert json.loads(json.dumps(found.to_dict())) == {n: d.to_dict() for n, d in found.items()}
    # rows: one per finding, one "healthy" row for a node without findings
    rows = found.rows()
    assert len(rows) == sum(max(1, len(d.findings)) for d in found.values())
    for node, d in found.items():
        mine = [r for r in rows if r["node"] == node]
        expected = [f.finding for f in d.findings] or ["healthy"]
        assert [r["finding"] for r in mine] == expected
        assert {r["status"] for r in mine} == {d.status}
    table = found.to_frame()
    pd.testing.assert_frame_equal(table, pd.DataFrame(rows))
    assert table.groupby("node")["status"].nunique().max() == 1
