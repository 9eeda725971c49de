"""Scenarios: the file format and its located errors, applying changes, re-tracing volumes.

Expected figures are worked by hand on small maps written here, or come from a
second analysis (dominators from :func:`ecograph.dependency`, widening gains
from :func:`ecograph.bottlenecks`); the corpus in ``tests/corpus/scenarios``
states each error's position in ``# expect:`` lines counted by hand.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import MapError
from ecograph.compare import whatif
from ecograph.scenario import apply, load_scenario, loads_scenario, retrace
from ecograph.validate import map_warnings as _warnings

ROOT = Path(__file__).parent.parent
CORPUS = Path(__file__).parent / "corpus" / "scenarios"
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "ecosystems" / "scenarios").glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    return [m.group(1) for m in re.finditer(r"^# expect: (.*)$", text, re.MULTILINE)]


def _errors(path: Path) -> list[str]:
    shown = path.relative_to(ROOT).as_posix()
    try:
        scenario = load_scenario(shown)
        apply(ecograph.load("ecosystems/toutiao.yaml"), scenario)
    except MapError as err:
        return [str(d) for d in err.diagnostics]
    return []


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_scenarios_are_located(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = path.relative_to(ROOT).as_posix()
    expected = _expected(path)
    got = _errors(path)
    assert len(got) == len(expected), got
    for want, line in zip(expected, got, strict=True):
        full = f"{shown}:{want}"
        if full.endswith("..."):
            assert line.startswith(full[:-3]), line
        else:
            assert line == full


def test_scenario_loading_is_safe_and_one_line() -> None:
    for text in ("scenario: 1\nchanges: !!python/object:os.system {}\n", "[", "scenario: 1\n\x00"):
        with pytest.raises(MapError) as info:
            loads_scenario(text)
        assert all("\n" not in str(d) for d in info.value.diagnostics)


def test_ids_that_look_like_numbers_stay_text() -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: t
nodes:
  users: {kind: pool, inflow: 10}
  "1.10": {kind: partner, outflow: 10}
pipes:
  - {from: users, to: "1.10", volume: 10}
"""
    )
    after = apply(eco, loads_scenario("scenario: 1\nchanges:\n  - remove: 1.10\n"))
    assert list(after.nodes) == ["users"]


# -- applying: hand-worked small maps ---------------------------------------------------------

#: u (100 in) sends 60 to a and 40 to b; a sends 60 to c; b sends 20 to c and keeps 20;
#: c keeps 80. Balanced.
SMALL = """
ecograph: 1
name: small
nodes:
  u: {kind: pool, inflow: 100}
  a: {kind: channel}
  b: {kind: channel, outflow: 20}
  c: {kind: partner, outflow: 80}
  other: {kind: partner}
pipes:
  - {from: u, to: a, volume: 60}
  - {id: ub, from: u, to: b, volume: 40}
  - {from: a, to: c, volume: 60, capacity: 70}
  - {from: b, to: c, volume: 20, capacity: 30}
  - {from: a, to: other, status: blocked, capacity: 10}
"""


def _volumes(eco: ecograph.Ecosystem) -> dict[str, float | None]:
    return {p.key: p.volume for p in eco.pipes}


def _outflow(eco: ecograph.Ecosystem) -> dict[str, float]:
    return {n: node.outflow.get("traffic", 0.0) for n, node in eco.nodes.items()}


def _scenario(*changes: str, reroute: str = "lost") -> ecograph.scenario.Scenario:
    body = "".join(f"  - {c}\n" for c in changes)
    return loads_scenario(f"scenario: 1\nreroute: {reroute}\nchanges:\n{body}")


def test_block_lost_leaves_at_the_sender() -> None:
    eco = ecograph.loads(SMALL)
    after = apply(eco, _scenario("block: ub"))
    # by hand: u still sends 60% of 100 to a; b gets nothing; u keeps the 40
    assert _volumes(after) == {
        "u->a:traffic": 60.0,
        "ub": 0.0,
        "a->c:traffic": 60.0,
        "b->c:traffic": 0.0,
        "a->other:traffic": None,
    }
    assert _outflow(after) == {"u": 40.0, "a": 0.0, "b": 0.0, "c": 60.0, "other": 0.0}


def test_block_spread_goes_to_the_other_outlets() -> None:
    eco = ecograph.loads(SMALL)
    after = apply(eco, _scenario("block: ub", reroute="spread"))
    # by hand: u's only other outlet is a: all 100 go there, and on to c
    assert _volumes(after)["u->a:traffic"] == 100.0
    assert _volumes(after)["a->c:traffic"] == 100.0
    assert _outflow(after)["c"] == 100.0
    assert [str(w) for w in after.warnings] == [
        "<string>:13:5: warning: pipes[2]: volume 100 is above capacity 70 (a -> c)"
    ]


def test_remove_node_lost_and_spread() -> None:
    eco = ecograph.loads(SMALL)
    lost = apply(eco, _scenario("remove: a"))
    # u keeps a's 60; b still gets 40, sends half (20) to c
    assert _volumes(lost) == {"ub": 40.0, "b->c:traffic": 20.0}
    assert _outflow(lost) == {"u": 60.0, "b": 20.0, "c": 20.0, "other": 0.0}
    spread = apply(eco, _scenario("remove: a", reroute="spread"))
    # all 100 to b, which splits 20:20 -> 50 to c, keeps 50
    assert _volumes(spread) == {"ub": 100.0, "b->c:traffic": 50.0}
    assert _outflow(spread)["b"] == 50.0


def test_set_inflow_scales_everything_downstream_through_a_cycle() -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: cycle
nodes:
  u: {kind: pool, inflow: 100}
  a: {kind: channel}
  b: {kind: partner, outflow: 100}
pipes:
  - {from: u, to: a, volume: 100}
  - {from: a, to: b, volume: 150}
  - {from: b, to: a, volume: 50}
"""
    )
    after = apply(eco, _scenario("set: {node: u, inflow: 50}"))
    # x_a = 50 + x_b / 3 and x_b = x_a  ->  x_a = 75: every figure halves
    assert _volumes(after) == {
        "u->a:traffic": 50.0,
        "a->b:traffic": 75.0,
        "b->a:traffic": 25.0,
    }
    assert _outflow(after)["b"] == 50.0


def test_add_move_open_and_set() -> None:
    eco = ecograph.loads(SMALL)
    after = apply(
        eco,
        _scenario(
            "open: a->other:traffic",
            "set: {pipe: a->other:traffic, volume: 15}",
            "move: {node: other, parent: u}",
            "add: {nodes: {d: {kind: partner, tags: [x]}}, pipes: [{from: c, to: d, volume: 8}]}",
        ),
    )
    assert after.nodes["other"].parent == "u"
    assert after.nodes["d"].tags == ("x",)
    # located where the scenario wrote it: line 7 ("  - add: {nodes: {d: ..."), column 19
    assert after.nodes["d"].location == ecograph.Location("<string>", 7, 19)
    v = _volumes(after)
    # a now passes 75 on against 60 received: its shares scale by 60/75 (new pipe takes
    # from the old one): 48 to c, 12 to other
    assert v["a->other:traffic"] == 12.0
    assert v["a->c:traffic"] == 48.0
    # c receives 48 + 20 = 68 and had out 80 + 8 = 88 > 80 received before: 8/88 to d
    assert math.isclose(v["c->d:traffic"], 68 * 8 / 88, rel_tol=1e-12)
    assert not [w for w in after.warnings if "balance" in w.message]


def test_capacity_set_to_null_is_unbounded() -> None:
    eco = ecograph.loads(SMALL)
    after = apply(eco, _scenario("set: {pipe: a->c:traffic, capacity: null}"))
    assert ecograph.max_flow(eco, "c") == 100.0  # 70 + 30
    # u is an unlimited source and u -> a -> c is now unbounded all the way
    assert math.isinf(ecograph.max_flow(after, "c"))
    assert after.pipes[2].capacity is None


def test_remove_a_container_removes_its_members() -> None:
    eco = ecograph.load("ecosystems/alibaba.yaml")
    after = apply(eco, _scenario("remove: dingtalk"))
    gone = {"dingtalk", *eco.members("dingtalk")}
    assert set(after.nodes) == set(eco.nodes) - gone
    assert all(p.from_node not in gone and p.to_node not in gone for p in after.pipes)


# -- the hand-checkable scenarios -------------------------------------------------------


def test_removing_the_dominator_cuts_the_target_to_zero() -> None:
    eco = ecograph.load("ecosystems/toutiao.yaml")
    assert ecograph.dependency(eco, "stool-maker").dominators == ("village-xiaoqiao",)
    result = whatif(eco, load_scenario("ecosystems/scenarios/xiaoqiao-quits.yaml"))
    rows = {r["node"]: r for r in result["traffic"]}
    assert rows["stool-maker"]["after"] == 0.0
    assert result["max_flow"][0] == {
        "target": "stool-maker",
        "before": 400000.0,
        "after": 0.0,
        "delta": -400000.0,
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_dominator_removal_zeroes_its_target(path: Path) -> None:
    eco = ecograph.load(path)
    checked = 0
    for target, node in eco.nodes.items():
        if node.kind not in ("partner", "producer") or node.inflow.get("traffic"):
            continue
        try:
            dominators = ecograph.dependency(eco, target).dominators
        except ecograph.UsageError:
            continue
        for dominator in dominators:
            if target in eco.members(dominator):
                continue
            after = apply(eco, _scenario(f"remove: {dominator}"))
            traffic = ecograph.flow(after).throughflow[target]
            assert traffic == 0.0, (target, dominator)
            checked += 1
    assert checked or path.stem == "minimal"


def test_widening_a_cut_pipe_raises_max_flow_by_its_gain() -> None:
    eco = ecograph.load("ecosystems/toutiao.yaml")
    result = whatif(eco, load_scenario("ecosystems/scenarios/widen-stool-pipe.yaml"))
    # the pipe is on the min cut with gain 1 per unit: +400,000 for 400,000 more capacity
    gain = {
        w["key"]: w["gain_per_unit"] for w in ecograph.bottlenecks(eco, "stool-maker")["widening"]
    }
    assert gain == {"xiaoqiao-to-stool-maker": 1.0}
    assert result["max_flow"][0]["delta"] == 400000.0 * gain["xiaoqiao-to-stool-maker"]
    # widening moves no traffic (volumes are observed), but the pipe is no longer full, so the
    # stool maker is no longer "narrow": it is healthy (its dependence on one giant is a risk)
    assert result["changed"] == ["max_flow", "diagnosis"]
    assert [(d["node"], d["before"], d["after"]) for d in result["diagnosis"]] == [
        ("stool-maker", "narrow-pipe", "healthy")
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_widening_by_one_unit_matches_the_reported_gain(path: Path) -> None:
    eco = ecograph.load(path)
    for target in [n for n, node in eco.nodes.items() if node.kind in ("partner", "producer")]:
        try:
            report = ecograph.bottlenecks(eco, target)
        except ecograph.UsageError:
            continue
        if not math.isfinite(report["max_flow"]) or not report["widening"]:
            continue
        pipe = report["widening"][0]
        capacity = next(p.capacity for p in eco.pipes if p.key == pipe["key"])
        after = apply(eco, _scenario(f"set: {{pipe: {pipe['key']}, capacity: {capacity + 1}}}"))
        assert math.isclose(
            ecograph.max_flow(after, target) - report["max_flow"],
            pipe["gain_per_unit"],
            abs_tol=1e-6,
        ), (target, pipe)


# -- re-tracing properties ----------------------------------------------------------------------


def test_an_empty_scenario_reproduces_every_published_model() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_flow import DATA, _models, model_map

    if not DATA.exists():
        pytest.fail(f"the enaR models are missing at {DATA}")
    worst = 0.0
    for model in _models().values():
        eco = model_map(model)
        for mode in ("lost", "spread"):
            after = retrace(eco, eco, reroute=mode)
            for p, q in zip(eco.pipes, after.pipes, strict=True):
                worst = max(worst, abs((q.volume or 0) - (p.volume or 0)) / (p.volume or 1))
    assert worst < 1e-9


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_example_scenarios_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    scenario = load_scenario(path.relative_to(ROOT).as_posix())
    assert scenario.base is not None
    base = ecograph.load(scenario.base)
    for mode in ("lost", "spread"):
        after = apply(base, scenario, reroute=mode)
        assert not [w for w in _warnings(after, 1e-9) if "balance" in w.message]


@st.composite
def _changes(draw: st.DrawFn, eco: ecograph.Ecosystem) -> list[str]:
    nodes = sorted(eco.nodes)
    open_pipes = sorted(p.key for p in eco.pipes if p.is_open)
    out = []
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["remove", "block", "capacity"]))
        if action == "remove":
            out.append(f"remove: {draw(st.sampled_from(nodes))}")
        elif action == "block":
            out.append(f"block: {draw(st.sampled_from(open_pipes))}")
        else:
            pipe = draw(st.sampled_from(open_pipes))
            out.append(f"set: {{pipe: {pipe}, capacity: {draw(st.integers(0, 10**9))}}}")
    return out


CHINA = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=_changes(CHINA), mode=st.sampled_from(["lost", "spread"]))
def test_random_scenarios_balance_and_only_lose_traffic(changes: list[str], mode: str) -> None:
    try:
        after = apply(CHINA, _scenario(*changes, reroute=mode))
    except MapError:
        return  # a later change naming what an earlier one removed
    assert not [w for w in _warnings(after, 1e-9) if "balance" in w.message]
    assert all((p.volume or 0.0) >= 0 for p in after.pipes)
    for kind in after.currencies():
        before_t = ecograph.flow(CHINA, kind=kind).throughflow
        after_t = ecograph.flow(after, kind=kind).throughflow
        inflow = sum(n.inflow.get(kind, 0.0) for n in after.nodes.values())
        outflow = sum(n.outflow.get(kind, 0.0) for n in after.nodes.values())
        # what enters leaves (the map balances), in both modes
        assert math.isclose(inflow, outflow, rel_tol=1e-9)
        if mode == "lost":
            # removing and blocking never add traffic anywhere
            for node, value in after_t.items():
                assert value <= before_t[node] * (1 + 1e-9) + 1e-6, (node, changes)
