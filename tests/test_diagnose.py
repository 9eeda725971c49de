"""Diagnosis on maps small enough to judge by hand: one map per status."""

from __future__ import annotations

import pytest

import ecograph
from ecograph import UsageError
from ecograph.analysis.diagnose import STATUSES, diagnose

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


@pytest.fixture(scope="module")
def result() -> dict[str, ecograph.analysis.diagnose.Diagnosis]:  # type: ignore[name-defined]
    eco = ecograph.loads(MAP)
    assert not [w for w in eco.warnings if "balance" in w.message], eco.warnings
    return diagnose(eco)


def test_every_partner_producer_and_channel_is_judged_once(result: dict) -> None:  # type: ignore[type-arg]
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


def test_empty_pipe(result: dict) -> None:  # type: ignore[type-arg]
    # island has no inflow and nothing flows into it; dry is fed only by island
    assert result["island"].status == "empty-pipe"
    assert result["dry"].status == "empty-pipe"
    assert result["dry"].evidence["feeders"] == ["island"]


def test_blocked_pipe_names_the_pipe(result: dict) -> None:  # type: ignore[type-arg]
    assert result["blocked"].status == "blocked-pipe"
    assert result["blocked"].evidence["blocked_pipes"] == ["a-hub->blocked:traffic"]


def test_narrow_pipe(result: dict) -> None:  # type: ignore[type-arg]
    d = result["narrow"]
    assert d.status == "narrow-pipe"
    # max-flow into `narrow` is its one pipe's capacity, 50; a-hub feeds it and carries
    # 800 + 50 = 850: 50 < 0.5 * 850
    assert d.evidence["max_flow"] == 50
    assert d.evidence["upstream_supply"] == 850
    assert d.evidence["cut"] == ["a-hub->narrow:traffic"]


def test_single_giant_uses_concentration_over_giants(result: dict) -> None:  # type: ignore[type-arg]
    # a-hub receives 800 from A and 50 from B: shares 16/17 and 1/17,
    # Herfindahl (16/17)^2 + (1/17)^2 = 257/289 = 0.889 < 0.9: not single-giant
    hub = result["a-hub"]
    assert hub.evidence["giant_concentration"] == pytest.approx(257 / 289)
    assert "single-giant" not in hub.findings
    # narrow is fed only by a-hub: same origins, same 0.889
    # greedy: 200 straight from A, 400 via a-hub (16/17 A): A share = (200 + 400*16/17)/600
    share_a = (200 + 400 * 16 / 17) / 600
    assert result["greedy"].evidence["giants"]["A"] == pytest.approx(share_a)
    assert result["greedy"].evidence["giant_concentration"] == pytest.approx(
        share_a**2 + (1 - share_a) ** 2
    )
    # with a lower bar both are single-giant
    eco = ecograph.loads(MAP)
    assert diagnose(eco, node="greedy", giant=0.8)["greedy"].findings[0] == "single-giant"


def test_healthy_with_two_giants(result: dict) -> None:  # type: ignore[type-arg]
    # healthy gets 100 via a-hub (16/17 A) and 50 straight from B:
    # A = 100*16/17/150 = 0.627, B = 0.373: Herfindahl 0.53
    d = result["healthy"]
    assert d.status == "healthy"
    assert d.evidence["giants"]["B"] == pytest.approx((50 + 100 / 17) / 150)


def test_overuse_is_a_share_of_a_pools_piped_traffic() -> None:
    eco = ecograph.loads(MAP)
    # greedy draws 200 of the 1000 a-users sends: 20%
    assert "overuse" not in diagnose(eco, node="greedy")["greedy"].findings
    d = diagnose(eco, node="greedy", overuse=0.15)["greedy"]
    assert "overuse" in d.findings
    assert d.evidence["overuse"] == {"a-users": pytest.approx(0.2)}


def test_poor_fit(result: dict) -> None:  # type: ignore[type-arg]
    # host A has genes retail, food; cattle's tags cattle, milk share none
    d = result["cattle"]
    assert "poor-fit" in d.findings
    assert d.evidence["fit"] == {"host": "A", "score": 0.0, "overlap": []}
    assert result["narrow"].evidence["fit"]["score"] == 1.0


def test_unknown_node_and_bad_thresholds() -> None:
    eco = ecograph.loads(MAP)
    with pytest.raises(UsageError, match="did you mean 'greedy'"):
        diagnose(eco, node="gredy")
    with pytest.raises(UsageError, match="between 0 and 1"):
        diagnose(eco, overuse=1.5)
    with pytest.raises(UsageError, match="no capital pipes"):
        diagnose(eco, node="greedy", kind="capital")


@pytest.mark.parametrize(
    "name", ["minimal", "alibaba", "tencent", "xiaomi", "toutiao", "china-internet"]
)
def test_every_example_map_is_diagnosed(name: str) -> None:
    eco = ecograph.load(f"ecosystems/{name}.yaml")
    result = diagnose(eco)
    assert result
    for d in result.values():
        assert d.status == d.findings[0]
        assert len(d.reasons) == len(d.findings)


def test_the_article_cases_in_the_example_maps() -> None:
    toutiao = diagnose(ecograph.load("ecosystems/toutiao.yaml"))
    assert toutiao["stool-maker"].status == "narrow-pipe"
    assert toutiao["village-honey"].status == "blocked-pipe"
    assert toutiao["village-tea"].status == "empty-pipe"
    alibaba = diagnose(ecograph.load("ecosystems/alibaba.yaml"))
    assert alibaba["shandong-garlic"].evidence["blocked_pipes"] == ["garlic-listing"]
    assert "poor-fit" in alibaba["hen-seller"].findings
    assert diagnose(ecograph.load("ecosystems/tencent.yaml"))["pinduoduo"].status == "overuse"
