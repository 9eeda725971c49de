"""``advise``: ranked actions for one node, each measured with the what-if engine.

Hand-worked maps check each kind of action against figures worked out from the
re-tracing rule of :mod:`ecograph.scenario` (a node splits its throughflow over
its outlets — declared outflow and open pipes — in proportion to their volumes,
the larger of the old and the new total being the denominator, reroute lost).
The example maps check that each action's gain is what ``ecograph whatif``
reports for its change alone, and that the saved scenario gives the total.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph.analysis.advise import Action, Advice, advise, measure
from ecograph.cli import main
from ecograph.errors import UsageError


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


# -- hand-worked maps ----------------------------------------------------------------------------

WIDEN = """
ecograph: 1
name: widen
nodes:
  users: {kind: pool, inflow: 100, outflow: 60}
  shop:  {kind: partner, outflow: 40}
pipes:
  - {id: p, from: users, to: shop, volume: 40, capacity: 40}
"""


def test_widen_a_full_pipe_on_the_cut() -> None:
    # users: 100 in; outlets 60 (outflow) + 40 (p). Doubled, p declares 80 of 60 + 80 = 140:
    # it carries 100 * 80 / 140 = 57.142857..., 17.142857 more than 40.
    advice = advise(ecograph.loads(WIDEN), "shop")
    (a,) = advice.actions
    assert a.action == "widen"
    assert a.change == ({"set": {"pipe": "p", "capacity": 80, "volume": 80}},)
    assert a.gain == pytest.approx(100 * 80 / 140 - 40, rel=1e-9)
    assert a.cost == 0.0 and a.gain_per_cost == math.inf
    assert "p (users -> shop) is full (40 of 40)" in a.why
    assert advice.total_gain == pytest.approx(a.gain, rel=1e-9)


BUY = """
ecograph: 1
name: buy
nodes:
  users: {kind: pool, inflow: 100, outflow: 50}
  shop:  {kind: partner, price: 10, outflow: 20}
  other: {kind: partner, outflow: 30}
pipes:
  - {id: q, from: users, to: shop, volume: 20, capacity: 50, cost: 0.5, conversion: 0.1}
  - {id: r, from: users, to: other, volume: 30}
"""


@pytest.mark.parametrize("goal", ["traffic", "revenue", "net"])
def test_buy_up_to_capacity(goal: str) -> None:
    # q set to 50: outlets 50 + 50 + 30 = 130 against 100 before, so q carries
    # 100 * 50 / 130 = 38.4615...; 18.4615 more visits, each costing 0.5 and
    # converting 10% at a price of 10 (revenue 1 a visit).
    more = 100 * 50 / 130 - 20
    expected = {"traffic": more, "revenue": more * 0.1 * 10, "net": more * (1 - 0.5)}
    (a,) = advise(ecograph.loads(BUY), "shop", goal=goal).actions
    assert a.action == "buy"
    assert a.change == ({"set": {"pipe": "q", "volume": 50}},)
    assert a.gain == pytest.approx(expected[goal], rel=1e-9)
    assert a.cost == pytest.approx(more * 0.5, rel=1e-9)
    assert a.gain_per_cost == pytest.approx(expected[goal] / (more * 0.5), rel=1e-9)


def test_budget_keeps_what_it_can_pay() -> None:
    text = BUY.replace("outflow: 20}", "outflow: 30}") + (
        "  - {id: w, from: users, to: shop, volume: 10, capacity: 10}\n"
    )
    eco = ecograph.loads(text)
    everything = advise(eco, "shop")
    assert [a.action for a in everything.actions] == ["widen", "buy"]  # free first
    free = advise(eco, "shop", budget=0)
    assert [a.action for a in free.actions] == ["widen"]
    assert free.total_cost == 0.0
    assert [a.action for a in advise(eco, "shop", top=1).actions] == ["widen"]


OPEN = """
ecograph: 1
name: open
nodes:
  users:  {kind: pool, inflow: 100, outflow: 80}
  garlic: {kind: producer}
  eggs:   {kind: producer, outflow: 20}
pipes:
  - {id: g, from: users, to: garlic, status: blocked, capacity: 30}
  - {from: users, to: eggs, volume: 20}
"""


def test_open_a_blocked_pipe_with_a_comparable_volume() -> None:
    # g declares no volume: it takes the median of users' pipes to producers (20, below its
    # capacity 30); outlets 80 + 20 + 20 = 120, so it carries 100 * 20 / 120.
    (a,) = advise(ecograph.loads(OPEN), "garlic").actions
    assert a.action == "open"
    assert a.change == ({"open": ["g"]}, {"set": {"pipe": "g", "volume": 20}})
    assert a.gain == pytest.approx(100 * 20 / 120, rel=1e-9)
    assert "median of users's comparable pipes" in a.why


TWO_GIANTS = """
ecograph: 1
name: giants
nodes:
  a:      {kind: platform}
  a-mall: {kind: sub-ecosystem, parent: a, genes: [retail]}
  a-users: {kind: pool, parent: a-mall, inflow: 100, outflow: 50}
  a-feed: {kind: channel, parent: a-mall, inflow: 40, outflow: 30}
  shop:   {kind: partner, parent: a-mall, tags: [retail], outflow: 20}
  other:  {kind: partner, parent: a-mall, outflow: 40}
  b:      {kind: platform}
  b-users: {kind: pool, parent: b, inflow: 200, outflow: 100}
  b-shop: {kind: partner, parent: b, outflow: 100}
pipes:
  - {from: a-users, to: shop, volume: 20}
  - {from: a-users, to: other, volume: 30}
  - {from: a-feed, to: other, volume: 10, cost: 0.2, conversion: 0.05}
  - {from: b-users, to: b-shop, volume: 100}
"""


def test_add_a_pipe_from_a_feeder_of_the_host_and_a_second_source() -> None:
    advice = advise(ecograph.loads(TWO_GIANTS), "shop")
    by_action = {a.action: a for a in advice.actions}
    assert set(by_action) == {"add-pipe", "second-source"}
    # a-feed sends 10 into a-mall, none to shop: a pipe like its one comparable pipe
    # (volume 10, cost 0.2, conversion 0.05); a-feed's outlets 30 + 10 + 10 = 50 for 40 in.
    add = by_action["add-pipe"]
    assert add.change == (
        {"add": {"pipes": [{"from": "a-feed", "to": "shop", "volume": 10, "cost": 0.2,
                            "conversion": 0.05}]}},
    )  # fmt: skip
    assert add.gain == pytest.approx(40 * 10 / 50, rel=1e-9)
    assert add.cost == pytest.approx(0.2 * 40 * 10 / 50, rel=1e-9)
    assert "comparable pipe" in add.why
    # all of shop's traffic enters in a's tree: a pipe from b-users, like its pipe to b-shop;
    # outlets 100 + 100 + 100 = 300 for 200 in
    second = by_action["second-source"]
    new_pipe = {"from": "b-users", "to": "shop", "volume": 100}
    assert second.change == ({"add": {"pipes": [new_pipe]}},)
    assert second.gain == pytest.approx(200 * 100 / 300, rel=1e-9)
    assert "100% of shop's traffic enters the map in a's tree" in second.why
    # free first, then by gain per cost
    assert [a.action for a in advice.actions] == ["second-source", "add-pipe"]


def test_join_a_host_whose_genes_fit() -> None:
    text = (
        TWO_GIANTS.replace("tags: [retail]", "tags: [retail, poultry]")
        .replace("b:      {kind: platform}", "b:      {kind: platform, genes: [poultry, retail]}")
        .replace("outflow: 20}", "outflow: 40}")
        + "  - {from: b-users, to: shop, volume: 20}\n"
    )  # shop's traffic now half from a, half from b: no second source asked
    eco = ecograph.loads(text)
    advice = advise(eco, "shop")
    joins = [a for a in advice.actions if a.action == "join"]
    assert not [a for a in advice.actions if a.action == "second-source"]
    # b fits shop's tags fully (1.0) against a-mall's 0.5; b's feeder b-users already pipes to
    # shop, so nothing else in b feeds its members and no join can be sized
    assert joins == []
    text = (
        text.replace("  - {from: b-users, to: shop, volume: 20}\n", "").replace(
            "  a-users: {kind: pool, parent: a-mall, inflow: 100, outflow: 50}",
            "  a-users: {kind: pool, parent: a-mall, inflow: 100, outflow: 50}\n"
            "  c:      {kind: platform}\n  c-users: {kind: pool, parent: c, inflow: 20}",
        )
        + "  - {from: c-users, to: shop, volume: 20}\n"
    )
    advice = advise(ecograph.loads(text), "shop")
    (join,) = [a for a in advice.actions if a.action == "join"]
    assert join.change[0] == {"move": {"node": "shop", "parent": "b"}}
    assert join.change[1] == {"add": {"pipes": [{"from": "b-users", "to": "shop", "volume": 100}]}}
    assert join.gain == pytest.approx(200 * 100 / 300, rel=1e-9)
    assert "b's genes fit shop's tags better (1.00, against a-mall's (0.50))" in join.why


def test_nothing_to_advise() -> None:
    eco = ecograph.loads(WIDEN.replace("capacity: 40", "capacity: 1000"))
    advice = advise(eco, "shop")
    assert advice.actions == () and advice.total_gain == 0.0
    assert advice.to_dict()["actions"] == []


# -- the what-if engine agrees ------------------------------------------------------------------

CASES = [
    ("alibaba", "shaanxi-apples", "revenue"),
    ("alibaba", "shaanxi-apples", "net"),
    ("alibaba", "shandong-garlic", "traffic"),
    ("alibaba", "erp-vendor", "traffic"),
    ("china-internet", "shaanxi-eggs", "net"),
    ("china-internet", "stool-maker", "traffic"),
    ("china-internet", "hen-seller", "revenue"),
    ("xiaomi", "huami", "revenue"),
]


def whatif_gain(map_path: str, scenario: Path, node: str, goal: str) -> tuple[float, float]:
    """The node's change as ``ecograph whatif --format json`` prints it: (gain, spend rise)."""
    code, out, err = run("whatif", map_path, str(scenario), "--format", "json", "--no-diagnosis")
    assert code == 0, err
    report = json.loads(out)
    values = [r for r in report["value"] if r["node"] == node]
    spend = values[0]["spend_after"] - values[0]["spend_before"] if values else 0.0
    if goal == "traffic":
        (affected,) = [r for r in report["affected"] if r["node"] == node]
        return affected["traffic_after"] - affected["traffic_before"], max(spend, 0.0)
    if not values:
        return 0.0, max(spend, 0.0)
    if goal == "revenue":
        return values[0]["revenue_after"] - values[0]["revenue_before"], max(spend, 0.0)
    return values[0]["after"] - values[0]["before"], max(spend, 0.0)


@pytest.mark.parametrize(("name", "node", "goal"), CASES)
def test_each_gain_is_what_whatif_reports(name: str, node: str, goal: str, tmp_path: Path) -> None:
    map_path = f"ecosystems/{name}.yaml"
    advice = advise(ecograph.load(map_path), node, goal=goal)
    assert advice.actions, "every case has something to advise"
    for i, action in enumerate(advice.actions):
        alone = Advice(node, goal, "traffic", None, (action,), 0.0, 0.0, 1)
        path = tmp_path / f"action-{i}.yaml"
        path.write_text(alone.scenario_text(), encoding="utf-8")
        gain, cost = whatif_gain(map_path, path, node, goal)
        assert action.gain == pytest.approx(gain, rel=1e-9, abs=1e-6), action.why
        assert action.cost == pytest.approx(cost, rel=1e-9, abs=1e-6), action.why
    ranks = [(a.cost > 0, -a.gain_per_cost) for a in advice.actions]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(("name", "node", "goal"), CASES)
def test_the_shortcut_gives_whatifs_figures_exactly(name: str, node: str, goal: str) -> None:
    """advise applies each change and measures the node alone; the full whatif report,
    read by ``measure``, gives the same figures to the last bit."""
    eco = ecograph.load(f"ecosystems/{name}.yaml")
    advice = advise(eco, node, goal=goal)
    for action in (*advice.actions, None):
        actions = (action,) if action is not None else advice.actions
        scenario = Advice(node, goal, "traffic", None, actions, 0.0, 0.0, 1).to_scenario()
        report = ecograph.whatif(eco, scenario, diagnosis=False)
        expected = (action.gain, action.cost) if action else (advice.total_gain, advice.total_cost)
        assert measure(report, node, goal) == expected


@pytest.mark.parametrize(("name", "node", "goal"), CASES[:5])
def test_saved_scenario_gives_the_total(
    name: str, node: str, goal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path.cwd()
    shutil.copytree(root / "ecosystems", tmp_path / "maps")  # with the maps it includes
    monkeypatch.chdir(tmp_path)
    out_file = "advice/plan.yaml"
    (tmp_path / "advice").mkdir()
    code, out, err = run(
        "advise", f"maps/{name}.yaml", "--for", node, "--goal", goal, "--format", "json",
        "--save-scenario", out_file,
    )  # fmt: skip
    assert code == 0, err
    assert f"{out_file}: " in err
    data = json.loads(out)
    assert list(data)[:3] == ["for", "goal", "actions"]
    assert data["for"] == node and data["goal"] == goal
    # the file names its base relative to itself: whatif runs it alone
    code, whatif_out, err = run("whatif", out_file, "--format", "json", "--no-diagnosis")
    assert code == 0, err
    gain, cost = whatif_gain(f"maps/{name}.yaml", Path(out_file), node, goal)
    assert data["total"]["gain"] == pytest.approx(gain, rel=1e-9, abs=1e-6)
    assert data["total"]["cost"] == pytest.approx(cost, rel=1e-9, abs=1e-6)
    written = [c for a in data["actions"] for c in a["change"]]
    assert len(json.loads(whatif_out)["changes"]) == len(written)


def test_python_api_and_cli_agree() -> None:
    code, out, err = run(
        "advise", "ecosystems/alibaba.yaml", "--node", "shaanxi-apples", "--goal", "net",
        "--budget", "1000000", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    expected = advise(
        ecograph.load("ecosystems/alibaba.yaml"), "shaanxi-apples", goal="net", budget=1e6
    )
    from ecograph.formatting import to_json

    assert out == to_json(expected.to_dict()) + "\n"
    assert sum(a["cost"] for a in json.loads(out)["actions"]) <= 1e6
    scenario = expected.to_scenario()
    assert scenario.targets == ("shaanxi-apples",)
    assert len(scenario.changes) == sum(len(a.change) for a in expected.actions)


def test_table_output() -> None:
    code, out, err = run("advise", "ecosystems/alibaba.yaml", "--for", "shandong-garlic")
    assert code == 0, err
    assert out.startswith("advice for shandong-garlic (goal traffic): 1 of 1 candidate")
    assert "garlic-listing (taobao-search -> shandong-garlic) is blocked" in out


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--for", "shandong-garlik"], 1, "unknown node 'shandong-garlik' (did you mean"),
        (["--for", "shandong-garlic", "--budget", "-1"], 2, "'--budget': -1.0 is not in the range"),
        (["--for", "shandong-garlic", "--budget", "nan"], 2, "'nan' is not a finite number"),
        (["--for", "shandong-garlic", "--budget", "lots"], 2, "'lots' is not a valid float"),
        (["--for", "shandong-garlic", "--goal", "fame"], 2, "'fame' is not one of"),
        (["--for", "shandong-garlic", "--top", "0"], 2, "0 is not in the range x>=1"),
        ([], 2, "Missing option '--for'"),
    ],
)
def test_bad_options(args: list[str], code: int, message: str) -> None:
    got, out, err = run("advise", "ecosystems/alibaba.yaml", *args)
    assert got == code
    assert message in err
    assert "Traceback" not in err and out == ""


def test_refuses_to_overwrite_the_map(tmp_path: Path) -> None:
    map_file = tmp_path / "m.yaml"
    map_file.write_text(WIDEN, encoding="utf-8")
    before = map_file.read_bytes()
    code, _, err = run("advise", str(map_file), "--for", "shop", "--save-scenario", str(map_file))
    assert code == 1, err
    assert "it is an input of this command" in err and len(err.strip().splitlines()) == 1
    assert map_file.read_bytes() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": -1.0}, "budget must be a number, 0 or more"),
        ({"budget": math.nan}, "budget must be a number, 0 or more"),
        ({"goal": "fame"}, "unknown goal 'fame'"),
        ({"top": 0}, "top must be at least 1"),
        ({"kind": "money"}, "money"),
    ],
)
def test_library_rejects(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        advise(ecograph.loads(WIDEN), "shop", **options)


def test_action_dict_shape() -> None:
    a = Action("buy", ({"set": {"pipe": "q", "volume": 5}},), 3.0, 1.5, "q.")
    assert a.to_dict() == {
        "action": "buy",
        "change": [{"set": {"pipe": "q", "volume": 5}}],
        "gain": 3.0,
        "cost": 1.5,
        "gain_per_cost": 2.0,
        "why": "q.",
    }


def test_the_readme_scenario_is_what_advise_writes(tmp_path: Path) -> None:
    committed = Path("ecosystems/scenarios/advice-shaanxi-apples.yaml")
    written = tmp_path / "scenarios" / "advice.yaml"
    written.parent.mkdir()
    shutil.copytree("ecosystems", tmp_path / "maps")
    code, _, err = run(
        "advise", str(tmp_path / "maps" / "china-internet.yaml"), "--for", "shaanxi-apples",
        "--goal", "net", "--budget", "100000", "--save-scenario", str(written),
    )  # fmt: skip
    assert code == 0, err
    first, text = written.read_text("utf-8").split("\n", 1)
    committed_first, committed_text = committed.read_text("utf-8").split("\n", 1)
    assert text == committed_text.replace(
        "base: ../china-internet.yaml", "base: ../maps/china-internet.yaml"
    )
    # the first line points an editor at the installed scenario schema, from each file
    for line, folder in ((first, written.parent), (committed_first, committed.parent)):
        prefix = "# yaml-language-server: $schema="
        assert line.startswith(prefix)
        schema = (folder / line[len(prefix) :]).resolve()
        assert (
            schema
            == Path(ecograph.__file__)
            .parent.joinpath("schema", "ecograph-scenario-1.schema.json")
            .resolve()
        )


def test_ids_that_yaml_would_read_otherwise_stay_text() -> None:
    text = """
ecograph: 1
name: odd
nodes:
  'yes': {kind: pool, inflow: 100, outflow: 60}
  '1.10': {kind: partner, outflow: 40}
pipes:
  - {id: 'null', from: 'yes', to: '1.10', volume: 40, capacity: 40}
"""
    advice = advise(ecograph.loads(text), "1.10")
    assert 'targets: ["1.10"]' in advice.scenario_text()
    scenario = advice.to_scenario()
    assert scenario.targets == ("1.10",)
    assert scenario.changes[0].value == {"pipe": "null", "capacity": 80, "volume": 80}
    odd = [".inf", "1e3", "No", "~", "-x", "a:b", "#c", "[x]", "{y}", "a,b", "'q'", "\u202eevil"]
    odd.append("../m.yaml")
    action = Action("block", ({"block": odd},), 1.0, 0.0, "odd keys.")
    written = Advice("n", "traffic", "traffic", None, (action,), 1.0, 0.0, 1).to_scenario()
    assert written.changes[0].value == odd


# -- property: on generated maps, every figure is whatif's -----------------------------------


@st.composite
def market_maps(draw: st.DrawFn) -> tuple[str, str, str, float | None]:
    """Two giants, their pools and a search channel, a few partners with tags and prices,
    pipes with random volumes, capacities (some full), costs, conversions and statuses."""
    k = draw(st.integers(2, 5))
    lines = [
        "ecograph: 1",
        "name: market",
        "nodes:",
        "  a: {kind: platform}",
        "  a-mall: {kind: sub-ecosystem, parent: a, genes: [retail]}",
        "  a-users: {kind: pool, parent: a-mall, inflow: 1000}",
        "  a-search: {kind: channel, parent: a-mall}",
        "  b: {kind: platform, genes: [retail, food]}",
        "  b-users: {kind: pool, parent: b, inflow: 500}",
    ]
    for i in range(k):
        parent = draw(st.sampled_from(["a-mall", "b"]))
        tags = draw(st.lists(st.sampled_from(["retail", "food", "toys"]), min_size=1, max_size=2))
        price = draw(st.integers(1, 50))
        lines.append(f"  p{i}: {{kind: partner, parent: {parent}, tags: {tags}, price: {price}}}")
    lines += ["pipes:", "  - {from: a-users, to: a-search, volume: 400}"]
    for i in range(k):
        for sender in draw(st.sets(st.sampled_from(["a-users", "a-search", "b-users"]))):
            volume = draw(st.integers(1, 100))
            fields = [f"from: {sender}", f"to: p{i}", f"volume: {volume}"]
            capacity = draw(st.sampled_from([None, volume, volume * 3]))
            if capacity is not None:
                fields.append(f"capacity: {capacity}")
            cost = draw(st.sampled_from([None, 0.0, 0.2, 1.5]))
            if cost is not None:
                fields.append(f"cost: {cost}")
            conversion = draw(st.sampled_from([None, 0.05, 0.3]))
            if conversion is not None:
                fields.append(f"conversion: {conversion}")
            if draw(st.integers(0, 5)) == 0:
                fields.append("status: blocked")
            lines.append("  - {" + ", ".join(fields) + "}")
    node = f"p{draw(st.integers(0, k - 1))}"
    goal = draw(st.sampled_from(["traffic", "revenue", "net"]))
    budget = draw(st.sampled_from([None, 0.0, 50.0]))
    return "\n".join(lines) + "\n", node, goal, budget


@given(market_maps())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_maps_gains_are_whatifs(case: tuple[str, str, str, float | None]) -> None:
    text, node, goal, budget = case
    eco = ecograph.loads(text)
    advice = advise(eco, node, goal=goal, budget=budget)
    for action in advice.actions:
        assert action.gain > 0
        scenario = Advice(node, goal, "traffic", None, (action,), 0.0, 0.0, 1).to_scenario()
        report = ecograph.whatif(eco, scenario, diagnosis=False)
        assert measure(report, node, goal) == (action.gain, action.cost)
    together = ecograph.whatif(eco, advice.to_scenario(), diagnosis=False)
    assert measure(together, node, goal) == (advice.total_gain, advice.total_cost)
    if budget is not None:
        assert sum(a.cost for a in advice.actions) <= budget + 1e-9
        assert advice.total_cost <= budget + 1e-9
    ranks = [(a.cost > 0, -a.gain_per_cost) for a in advice.actions]
    assert ranks == sorted(ranks)
