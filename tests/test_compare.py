"""Comparisons: compare, whatif and diff, in the library and on the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import main
from ecograph.compare import compare, diff, whatif
from ecograph.formatting import to_json
from ecograph.scenario import apply, load_scenario

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "ecosystems" / "scenarios").glob("*.yaml"))

SMALL = """
ecograph: 1
name: small
nodes:
  u: {kind: pool, inflow: 100}
  a: {kind: channel}
  b: {kind: channel, outflow: 20}
  c: {kind: partner, outflow: 80}
pipes:
  - {from: u, to: a, volume: 60}
  - {from: u, to: b, volume: 40}
  - {from: a, to: c, volume: 60, capacity: 70}
  - {from: b, to: c, volume: 20, capacity: 30}
"""


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_compare_by_hand() -> None:
    before = ecograph.loads(SMALL)
    # b keeps 10 more and sends 10 less to c: c receives 70, outflow 70
    after = ecograph.loads(
        SMALL.replace("outflow: 20}", "outflow: 30}")
        .replace("outflow: 80}", "outflow: 70}")
        .replace("{from: b, to: c, volume: 20", "{from: b, to: c, volume: 10")
    )
    result = compare(before, after, targets=["c"], focus=["b"])
    assert result["traffic"] == [
        {"node": "c", "before": 80.0, "after": 70.0, "delta": -10.0, "change": -0.125}
    ]
    assert result["volumes"] == [
        {
            "key": "b->c:traffic",
            "from": "b",
            "to": "c",
            "before": 20.0,
            "after": 10.0,
            "delta": -10.0,
        }
    ]
    # capacities did not change: max-flow to c is 70 + 30 either way
    assert result["max_flow"] == [{"target": "c", "before": 100.0, "after": 100.0, "delta": 0.0}]
    # TST by hand: throughflows u 100, a 60, b 40, c 80 -> 280; after c 70 -> 270
    tst = next(r for r in result["flow_indices"] if r["index"] == "total_system_throughflow")
    assert (tst["before"], tst["after"], tst["delta"]) == (280.0, 270.0, -10.0)
    # b reaches c (1 node) before and after
    assert result["affected"][0]["reach_before"] == result["affected"][0]["reach_after"] == 1
    assert "max_flow" not in result["changed"] and "traffic" in result["changed"]


def _mirror(d1: dict[str, Any], d2: dict[str, Any]) -> None:
    for what in ("nodes", "pipes"):
        assert d1[what]["added"] == d2[what]["removed"]
        assert d1[what]["removed"] == d2[what]["added"]
        key = "node" if what == "nodes" else "pipe"
        one = {(r[key], r["field"]): (r["old"], r["new"]) for r in d1[what]["changed"]}
        two = {(r[key], r["field"]): (r["new"], r["old"]) for r in d2[what]["changed"]}
        assert one == two
    for section, key in (
        ("traffic", "node"),
        ("value", "node"),
        ("volumes", "key"),
        ("max_flow", "target"),
    ):
        one = {r[key]: (r["before"], r["after"]) for r in d1[section]}
        two = {r[key]: (r["after"], r["before"]) for r in d2[section]}
        assert one == two
    for r1, r2 in zip(d1["flow_indices"], d2["flow_indices"], strict=True):
        assert (r1["before"], r1["after"]) == (r2["after"], r2["before"])
        if r1["delta"] is not None:
            assert math.isclose(r1["delta"], -r2["delta"], rel_tol=1e-9, abs_tol=1e-12)
    one = {r["node"]: r["move"] for r in d1["centrality"] if r["move"] is not None}
    two = {r["node"]: -r["move"] for r in d2["centrality"] if r["move"] is not None}
    assert {k: v for k, v in one.items() if k in two} == {k: v for k, v in two.items() if k in one}
    one = {r["node"]: (r["before"], r["after"]) for r in d1["diagnosis"]}
    two = {r["node"]: (r["after"], r["before"]) for r in d2["diagnosis"]}
    assert one == two
    assert d1["changed"] == d2["changed"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_diff_is_symmetric(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    scenario = load_scenario(path.relative_to(ROOT).as_posix())
    assert scenario.base is not None
    a = ecograph.load(scenario.base)
    b = apply(a, scenario)
    d1, d2 = diff(a, b, targets=scenario.targets), diff(b, a, targets=scenario.targets)
    assert not d1["identical"] and not d2["identical"]
    _mirror(d1, d2)


def test_diff_lists_structure_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    a = ecograph.load("ecosystems/alibaba.yaml")
    b = apply(a, load_scenario("ecosystems/scenarios/list-the-garlic.yaml"))
    d = diff(a, b)
    assert d["nodes"]["added"] == ["cold-chain"]
    assert {"node": "hen-seller", "field": "parent", "old": "rural-taobao", "new": "tmall"} in d[
        "nodes"
    ]["changed"]
    assert d["pipes"]["added"] == ["taobao-search->cold-chain:traffic"]
    status = {
        r["field"]: (r["old"], r["new"])
        for r in d["pipes"]["changed"]
        if r["pipe"] == "garlic-listing"
    }
    assert set(status) == {"status", "volume"}
    assert status["status"] == ("blocked", "open")
    # taobao-search receives 300,000,000 and passed all of it on; its new pipes (300,000 to
    # garlic, 50,000 to cold chain) scale every share by 300,000,000 / 300,350,000
    old, new = status["volume"]
    assert old is None and math.isclose(new, 300_000 * 300e6 / 300.35e6, rel_tol=1e-9)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_map_is_identical_to_itself(path: Path) -> None:
    eco = ecograph.load(path)
    result = diff(eco, eco)
    assert result["identical"] and result["changed"] == []
    assert result["traffic"] == result["volumes"] == result["diagnosis"] == []


# -- command line ----------------------------------------------------------------------------


def test_whatif_json_is_the_library_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = "ecosystems/scenarios/xiaoqiao-quits.yaml"
    code, out, _ = run("whatif", "ecosystems/toutiao.yaml", path, "--format", "json")
    assert code == 0
    expected = whatif(ecograph.load("ecosystems/toutiao.yaml"), load_scenario(path))
    assert json.loads(out) == {"map": "ecosystems/toutiao.yaml", **json.loads(to_json(expected))}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_whatif_uses_the_base_when_no_map_is_given(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run("whatif", path.relative_to(ROOT).as_posix())
    assert code == 0, err
    assert out.startswith("scenario: ") and "changed: " in out


def test_whatif_on_another_map_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run(
        "whatif", "ecosystems/china-internet.yaml", "ecosystems/scenarios/xiaoqiao-quits.yaml"
    )
    assert code == 0
    assert "the scenario's base is ecosystems/toutiao.yaml; applying it to" in err


def test_whatif_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(
        "whatif", "ecosystems/toutiao.yaml", "tests/corpus/scenarios/unknown-node.yaml"
    )
    assert code == 1 and out == ""
    assert err.splitlines()[0] == (
        "tests/corpus/scenarios/unknown-node.yaml:6:13: changes[0].remove: unknown node "
        "'stool-makr' (did you mean 'stool-maker'?)"
    )
    code, _, err = run("whatif", "a.yaml", "b.yaml", "c.yaml")
    assert code == 2 and "expected [MAP] SCENARIO" in err
    code, _, err = run("whatif", "tests/corpus/scenarios/already-blocked.yaml")
    assert code == 2 and "names no 'base' map" in err
    code, _, err = run("whatif", "ecosystems/scenarios/xiaoqiao-quits.yaml", "--to", "nobody")
    assert code == 1
    assert err.strip().endswith("unknown node 'nobody'")


def test_diff_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run("diff", "ecosystems/toutiao.yaml", "ecosystems/toutiao.yaml")
    assert code == 0 and "identical" in out
    changed = tmp_path / "toutiao.yaml"
    text = (ROOT / "ecosystems" / "toutiao.yaml").read_text("utf-8")
    target = (
        "{id: xiaoqiao-to-stool-maker, from: village-xiaoqiao, to: stool-maker, "
        "volume: 400000, capacity: 400000"
    )
    assert target in text
    changed.write_text(text.replace(target, target.replace("capacity: 400000", "capacity: 900000")))
    code, out, _ = run("diff", "ecosystems/toutiao.yaml", str(changed), "--to", "stool-maker")
    assert code == 1
    assert "  ~ xiaoqiao-to-stool-maker capacity: 400,000 -> 900,000" in out
    assert "stool-maker  400,000  900,000  500,000" in out
    code, out, _ = run("diff", "ecosystems/toutiao.yaml", str(changed), "--format", "json")
    assert code == 1
    assert json.loads(out)["pipes"]["changed"] == [
        {"pipe": "xiaoqiao-to-stool-maker", "field": "capacity", "old": 400000.0, "new": 900000.0}
    ]
    code, _, err = run(
        "diff", "ecosystems/toutiao.yaml", "tests/corpus/invalid/readme-example.yaml"
    )
    assert code == 2
    assert err.startswith("tests/corpus/invalid/readme-example.yaml:7:15: nodes.erp.kind")
    code, _, err = run("diff", "ecosystems/toutiao.yaml", "no-such.yaml")
    assert code == 2 and "no-such.yaml: no such file" in err


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_whatif_saves_the_changed_map(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    saved = tmp_path / "changed.yaml"
    code, _, err = run("whatif", path.relative_to(ROOT).as_posix(), "--save", str(saved))
    assert code == 0 and f"{saved}: the changed map written" in err
    scenario = load_scenario(path.relative_to(ROOT).as_posix())
    assert scenario.base is not None
    expected = apply(ecograph.load(scenario.base), scenario)
    reread = ecograph.load(saved, strict=False)
    # the saved map balances (it was re-traced) and holds the same nodes and pipes
    assert not [w for w in reread.warnings if "balance" in w.message]
    fields = ("kind", "label", "parent", "users", "inflow", "outflow", "tags", "genes")
    for node_id, node in expected.nodes.items():
        assert [getattr(reread.nodes[node_id], f) for f in fields] == [
            getattr(node, f) for f in fields
        ]
    assert [
        (p.key, p.from_node, p.to_node, p.volume, p.capacity, p.status) for p in reread.pipes
    ] == [(p.key, p.from_node, p.to_node, p.volume, p.capacity, p.status) for p in expected.pipes]


def test_whatif_of_an_applied_scenario_applies_nothing_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    scenario = load_scenario("ecosystems/scenarios/xiaoqiao-quits.yaml")
    assert scenario.base is not None
    eco = ecograph.load(scenario.base)
    changed = apply(eco, scenario)
    calls: list[Any] = []
    import ecograph.scenario as module

    real = module.apply
    monkeypatch.setattr(module, "apply", lambda *a, **k: calls.append(a) or real(*a, **k))
    reused = whatif(eco, scenario, applied=changed)
    assert calls == []
    assert to_json(reused) == to_json(whatif(eco, scenario))
    assert len(calls) == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_to_yaml_round_trips_every_example(path: Path) -> None:
    from ecograph.exchange import to_yaml

    eco = ecograph.load(path)
    again = ecograph.loads(to_yaml(eco))
    # includes are flattened; every field of the map, each node and each pipe is the same
    assert diff(eco, again, diagnosis=False)["identical"]
    assert [p.key for p in again.pipes] == [p.key for p in eco.pipes]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_whatif_and_diff_run_on_every_example_map(path: Path, tmp_path: Path) -> None:
    eco = ecograph.load(path)
    partner = next(n for n, node in eco.nodes.items() if node.kind in ("partner", "producer"))
    pipe = next(p.key for p in eco.pipes if p.is_open)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"scenario: 1\ntargets: ['{partner}']\nchanges:\n  - block: '{pipe}'\n"
        f"  - set: {{node: '{partner}', users: 5}}\n",
        encoding="utf-8",
    )
    saved = tmp_path / "changed.yaml"
    code, out, err = run(
        "whatif", str(path), str(scenario), "--save", str(saved), "--format", "json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["max_flow"][0]["target"] == partner
    # the blocked pipe's volume changed exactly when it carried something
    carried = next(p.volume or 0.0 for p in eco.pipes if p.key == pipe)
    assert (pipe in {r["key"] for r in result["volumes"]}) == (carried > 0)
    # diff of the map and its changed copy names the blocked pipe and the node's users
    code, out, _ = run("diff", str(path), str(saved), "--format", "json")
    assert code == 1
    changed = json.loads(out)
    assert {"pipe": pipe, "field": "status", "old": "open", "new": "blocked"} in changed["pipes"][
        "changed"
    ]
    assert any(
        r["node"] == partner and r["field"] == "users" and r["new"] == 5.0
        for r in changed["nodes"]["changed"]
    )


def test_whatif_missing_or_outside_base_is_located_at_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("scenario: 1\nbase: nowhere.yaml\nchanges:\n  - remove: x\n")
    code, out, err = run("whatif", "s.yaml")
    assert code == 1
    assert out == ""
    assert err == "s.yaml:2:7: base: base map 'nowhere.yaml' does not exist\n"
    outside = tmp_path.parent / f"{tmp_path.name}-map.yaml"
    outside.write_text(Path(ROOT / "ecosystems" / "toutiao.yaml").read_text("utf-8"))
    scenario.write_text(
        f"scenario: 1\nbase: ../{outside.name}\nchanges:\n  - remove: kiwi-grower\n"
    )
    code, _, err = run("whatif", "s.yaml")
    assert code == 1
    assert err.startswith(f"s.yaml:2:7: base: base map '../{outside.name}' is outside the ")
    code, out, _ = run("whatif", "--allow-outside", "s.yaml")
    assert code == 0
    assert "remove kiwi-grower" in out


def test_whatif_with_a_map_given_does_not_need_the_base(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("scenario: 1\nbase: nowhere.yaml\nchanges:\n  - remove: kiwi-grower\n")
    code, out, err = run("whatif", str(ROOT / "ecosystems" / "toutiao.yaml"), str(scenario))
    assert code == 0
    assert "the scenario's base is" in err
    assert "remove kiwi-grower" in out


def test_value_sheet_section_by_hand() -> None:
    text = """
ecograph: 1
name: shop
nodes:
  u: {kind: pool, inflow: 100}
  s: {kind: partner, price: 20, outflow: 100}
pipes:
  - {from: u, to: s, volume: 100, cost: 0.5, conversion: 0.1}
"""
    before = ecograph.loads(text)
    after = ecograph.loads(
        text.replace("inflow: 100", "inflow: 60")
        .replace("outflow: 100", "outflow: 60")
        .replace("volume: 100", "volume: 60")
    )
    rows = compare(before, after, diagnosis=False)["value"]
    # s: 100 visits x 0.1 = 10 orders x 20 = 200 revenue, pays 100 x 0.5 = 50: net 150;
    # after: 6 orders, 120 revenue, pays 30: net 90. u is paid 50, then 30.
    assert rows == [
        {
            "node": "s",
            "revenue_before": 200.0,
            "revenue_after": 120.0,
            "spend_before": 50.0,
            "spend_after": 30.0,
            "income_before": 0.0,
            "income_after": 0.0,
            "before": 150.0,
            "after": 90.0,
            "delta": -60.0,
        },
        {
            "node": "u",
            "revenue_before": 0.0,
            "revenue_after": 0.0,
            "spend_before": 0.0,
            "spend_after": 0.0,
            "income_before": 50.0,
            "income_after": 30.0,
            "before": 50.0,
            "after": 30.0,
            "delta": -20.0,
        },
    ]
    assert compare(before, before, diagnosis=False)["value"] == []
