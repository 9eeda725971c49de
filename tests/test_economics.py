"""funnel and value: a small map with a cycle and parallel pipes worked by hand; the nets
invariant on random maps and on the examples; the CLI commands."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import Ecosystem, Node, Pipe
from ecograph.analysis import funnel, reach, value
from ecograph.cli import cli

ROOT = Path(__file__).parent.parent

# A (public pool, 100 a month) -> hub -> shop by two parallel pipes; B (private pool of the
# shop's brand, 50) -> shop directly; shop -> hub closes a cycle.
#
#   A -> hub      100  cost 0.1 (hub pays A)
#   B -> shop      50  conversion 0.2, free
#   hub -> shop p1 60  conversion 0.1,  cost 0.5 (shop pays hub)
#   hub -> shop p2 20  conversion 0.05, cost 1, paid_by: from (hub pays shop)
#   shop -> hub    30
# hub: in 130, out 80 (+ outflow 50); shop: in 130, out 30 (+ outflow 100). T = 130 both.
SMALL = """
ecograph: 1
name: small
nodes:
  brand: {kind: partner}
  A:    {kind: pool, domain: public, inflow: 100, users: 1000}
  B:    {kind: pool, domain: private, parent: brand, inflow: 50}
  hub:  {kind: platform, outflow: 50}
  shop: {kind: partner, parent: brand, price: 10, outflow: 100}
pipes:
  - {from: A, to: hub, volume: 100, cost: 0.1}
  - {from: B, to: shop, volume: 50, conversion: 0.2}
  - {id: p1, from: hub, to: shop, volume: 60, conversion: 0.1, cost: 0.5}
  - {id: p2, from: hub, to: shop, volume: 20, conversion: 0.05, cost: 1, paid_by: from}
  - {from: shop, to: hub, volume: 30}
"""


def small() -> Ecosystem:
    return ecograph.loads(SMALL)


def test_funnel_by_hand_with_a_cycle_and_parallel_pipes() -> None:
    r = funnel(small(), "shop")
    a, b = r["sources"]["A"], r["sources"]["B"]
    # Origin A (z = 100): x[hub] = 100 + x[shop] 30/130 and x[shop] = x[hub] 80/130, so
    # x[hub] = 100 / (1 - 24/169) = 100 * 169/145 and visits = x[hub] 80/130 = 10400/145.
    assert a["visits"] == pytest.approx(10400 / 145)
    # p1 carries x[hub] 60/130 = 7800/145 of it, p2 x[hub] 20/130 = 2600/145:
    # converted = 780/145 + 130/145 = 910/145, revenue 10x.
    assert a["converted"] == pytest.approx(910 / 145)
    assert a["revenue"] == pytest.approx(9100 / 145)
    # the shop pays p1 only (p2 is paid by the hub): 7800/145 * 0.5
    assert a["cost_paid"] == pytest.approx(3900 / 145)
    # route: A -> hub 100 * 0.1 * r[hub] (a unit at the hub reaches the shop with 80/130)
    # + p1 3900/145 + p2 2600/145 * 1; shop -> hub is free
    assert a["cost_route"] == pytest.approx(10 * 8 / 13 + 6500 / 145)
    assert a["cost_per_visit"] == pytest.approx(3900 / 10400)
    assert (a["domain"], a["users"]) == ("public", 1000.0)
    # Origin B (z = 50): x[shop] = 50 * 169/145, x[hub] = x[shop] 30/130 = 1950/145;
    # visits = 50 + x[hub] 80/130 = 50 + 1200/145
    assert b["visits"] == pytest.approx(50 + 1200 / 145)
    # converted = 50 * 0.2 + (1950/145)(60/130)(0.1) + (1950/145)(20/130)(0.05) = 10 + 105/145
    assert b["converted"] == pytest.approx(10 + 105 / 145)
    assert b["cost_paid"] == pytest.approx(450 / 145)
    assert b["cost_route"] == pytest.approx(750 / 145)
    assert (b["domain"], b["users"]) == ("private", None)
    # every arrival at the shop is accounted for: 50 + 60 + 20 = 130 visits, 17 orders
    assert r["total"]["visits"] == pytest.approx(130)
    assert r["total"]["converted"] == pytest.approx(17)
    assert r["total"]["revenue"] == pytest.approx(170)
    assert r["price"] == 10.0


def test_funnel_visits_equal_reach_for_pools_no_pipe_feeds() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    r = funnel(eco, "attendance-maker")
    for pool in ("dingtalk-users",):
        traced = reach(eco, pool).traffic["attendance-maker"]
        assert r["sources"][pool]["visits"] == pytest.approx(traced, rel=1e-9)


def test_funnel_without_visits_or_price() -> None:
    eco = ecograph.loads(
        "ecograph: 1\nname: t\nnodes:\n  p: {kind: pool, inflow: 5}\n  s: {kind: partner}\n"
        "  q: {kind: pool, inflow: 5}\npipes:\n  - {from: p, to: s, volume: 5}\n"
        "  - {from: q, to: s, volume: 0}\n"
    )
    r = funnel(eco, "s")
    assert r["price"] is None
    assert r["sources"]["p"]["revenue"] == 0.0
    assert math.isnan(r["sources"]["q"]["cost_per_visit"])
    assert json.loads(ecograph.formatting.to_json(r))["sources"]["q"]["cost_per_visit"] is None


def test_value_by_hand() -> None:
    r = value(small())
    # orders at the shop: 50 * 0.2 + 60 * 0.1 + 20 * 0.05 = 17, revenue 170
    assert r["shop"]["converted"] == pytest.approx(17)
    assert r["shop"]["revenue"] == pytest.approx(170)
    # payments: hub pays A 10; shop pays hub 30 (p1); hub pays shop 20 (p2, paid_by: from)
    assert (r["A"]["income"], r["A"]["spend"], r["A"]["net"]) == (10.0, 0.0, 10.0)
    assert (r["hub"]["spend"], r["hub"]["income"], r["hub"]["net"]) == (30.0, 30.0, 0.0)
    assert (r["shop"]["spend"], r["shop"]["income"]) == (30.0, 20.0)
    assert r["shop"]["net"] == pytest.approx(160)
    assert (r["hub"]["received"], r["shop"]["received"]) == (130.0, 130.0)
    assert math.fsum(v["net"] for v in r.nodes.values()) == pytest.approx(170)


def test_value_by_group_and_alignment() -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: g
nodes:
  giant:  {kind: platform}
  sub:    {kind: sub-ecosystem, parent: giant}
  users:  {kind: pool, parent: sub, inflow: 100}
  paid:   {kind: partner, parent: sub, price: 10, outflow: 50}
  free:   {kind: partner, parent: sub, price: 10, outflow: 50}
  fund:   {kind: fund, inflow: {capital: 9}}
pipes:
  - {from: users, to: paid, volume: 50, conversion: 0.1, cost: 0.2}
  - {from: users, to: free, volume: 50, conversion: 0.1}
  - {from: fund, to: free, kind: capital, volume: 9}
"""
    )
    r = value(eco, by_group=True)
    # paid: revenue 50 * 0.1 * 10 = 50, pays 10 -> gain 40; the host earns 10: aligned.
    # free: revenue 50, pays nothing: the host gains nothing, not aligned.
    assert r["relations"] == [
        {
            "partner": "paid",
            "host": "sub",
            "partner_gain": 40.0,
            "host_gain": 10.0,
            "aligned": True,
        },
        {
            "partner": "free",
            "host": "sub",
            "partner_gain": 50.0,
            "host_gain": 0.0,
            "aligned": False,
        },
    ]
    assert r["sub_ecosystems"]["sub"]["revenue"] == 100.0
    assert r["sub_ecosystems"]["sub"]["net"] == 100.0
    assert r["sub_ecosystems"]["sub"]["capital_in"] == 9.0
    assert r["giants"]["giant"]["net"] == 100.0
    assert r["giants"]["fund"]["capital_out"] == 9.0


def test_a_partners_own_pool_is_not_its_hosts_gift() -> None:
    eco = ecograph.loads(
        """
ecograph: 1
name: g
nodes:
  sub:   {kind: sub-ecosystem}
  users: {kind: pool, parent: sub, inflow: 100}
  fans:  {kind: pool, parent: sub, owner: shop, domain: private, inflow: 10}
  shop:  {kind: partner, parent: sub, price: 10, outflow: 110}
pipes:
  - {from: users, to: shop, volume: 100, conversion: 0.1, cost: 0.5}
  - {from: fans, to: shop, volume: 10, conversion: 0.5}
"""
    )
    # from the host: 100 * 0.1 * 10 = 100 earned, 50 paid; the fans' 50 are the shop's own
    (r,) = value(eco, by_group=True)["relations"]
    assert (r["host"], r["partner_gain"], r["host_gain"], r["aligned"]) == ("sub", 50.0, 50.0, True)
    assert value(eco)["shop"]["revenue"] == 150.0


@st.composite
def money_maps(draw: st.DrawFn) -> Ecosystem:
    n = draw(st.integers(2, 6))
    names = [f"n{i}" for i in range(n)]
    nodes = {
        name: Node(name, "partner", price=draw(st.one_of(st.none(), st.floats(0, 100))))
        for name in names
    }
    pipes = []
    for i in range(draw(st.integers(0, 12))):
        u, v = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if u == v:
            continue
        pipes.append(
            Pipe(
                f"p{i}",
                u,
                v,
                kind=draw(st.sampled_from(["traffic", "traffic", "capital"])),
                volume=draw(st.one_of(st.none(), st.floats(0, 1e6))),
                cost=draw(st.one_of(st.none(), st.floats(0, 10))),
                conversion=draw(st.one_of(st.none(), st.floats(0, 1))),
                status=draw(st.sampled_from(["open", "open", "blocked"])),
                paid_by=draw(st.sampled_from(["to", "from"])),
            )
        )
    return Ecosystem("m", nodes=nodes, pipes=tuple(pipes))


@given(money_maps())
@settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_nets_add_up_to_total_revenue(eco: Ecosystem) -> None:
    r = value(eco)
    revenue = math.fsum(v["revenue"] for v in r.nodes.values())
    spend = math.fsum(v["spend"] for v in r.nodes.values())
    income = math.fsum(v["income"] for v in r.nodes.values())
    # each figure is rounded to 12 significant digits: allow that much per payment
    slack = 1e-10 * (spend + income + revenue + 1.0)
    assert math.fsum(v["net"] for v in r.nodes.values()) == pytest.approx(revenue, abs=slack)
    assert spend == pytest.approx(income, abs=slack)


@pytest.mark.parametrize("path", sorted((ROOT / "ecosystems").glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_value_and_funnel(path: Path) -> None:
    eco = ecograph.load(path)
    r = value(eco)
    revenue = math.fsum(v["revenue"] for v in r.nodes.values())
    assert math.fsum(v["net"] for v in r.nodes.values()) == pytest.approx(revenue, rel=1e-12)
    g = value(eco, by_group=True)
    assert math.fsum(v["net"] for v in g["giants"].values()) == pytest.approx(revenue, rel=1e-12)
    for node in eco.nodes:
        if eco.nodes[node].price is not None:
            f = funnel(eco, node)
            assert f["total"]["converted"] <= r[node]["converted"] * (1 + 1e-9) + 1e-9


def test_cli_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    out = runner.invoke(
        cli, ["funnel", "ecosystems/alibaba.yaml", "--target", "shaanxi-apples", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) == {"target", "price", "sources", "total"}
    out = runner.invoke(cli, ["value", "ecosystems/xiaomi.yaml", "--by-group", "--format", "csv"])
    assert out.exit_code == 0 and out.output.startswith("section,")
    out = runner.invoke(cli, ["value", "ecosystems/minimal.yaml"])
    assert out.exit_code == 0 and "net" in out.output
    out = runner.invoke(
        cli,
        [
            "cheapest",
            "ecosystems/alibaba.yaml",
            "--to",
            "shaanxi-apples",
            "--demand",
            "1000",
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    assert {
        "demand",
        "delivered",
        "total_cost",
        "cost_per_unit",
        "marginal_cost",
        "pipes",
        "by_source",
    } <= set(json.loads(out.output))
    for bad in ("-1", "nan", "inf", "lots"):
        out = runner.invoke(
            cli, ["cheapest", "ecosystems/alibaba.yaml", "--to", "shaanxi-apples", "--demand", bad]
        )
        assert out.exit_code == 2, (bad, out.output)
    assert (
        ecograph.cli.main(
            ["cheapest", "ecosystems/alibaba.yaml", "--to", "shaanxi-apples", "--demand", "-5"]
        )
        == 2
    )


def test_dependency_private_share() -> None:
    # the shop's 130 arrivals: origin B (private) gives (50 * 169/145) of its throughflow
    # of 130 (x_B[shop] = 50 * 169/145, see the funnel test), origin A the rest
    from ecograph.analysis import dependency

    d = dependency(small(), "shop")
    assert d.private_share == pytest.approx(50 * 169 / 145 / 130)
    assert d.to_dict()["private_share"] == d.private_share
    # the hub's 130: x_B[hub] = 1950/145 of it from B
    assert dependency(small(), "hub").private_share == pytest.approx(1950 / 145 / 130)


def test_economics_fields_survive_csv_export_and_import(tmp_path: Path) -> None:
    eco = small()
    folder = ecograph.export(eco, tmp_path / "tables")
    back = ecograph.load_tables(folder / "nodes.csv", folder / "pipes.csv")
    for node in eco.nodes.values():
        other = back.nodes[node.id]
        assert (other.price, other.domain, other.owner) == (node.price, node.domain, node.owner)
    assert [p.paid_by for p in back.pipes] == [p.paid_by for p in eco.pipes]
    assert value(back) == value(eco)
    header = (folder / "pipes.csv").read_text("utf-8-sig").splitlines()[0]
    assert "paid_by" in header


def test_compiled_and_graph_carry_the_economics_fields() -> None:
    from ecograph.compiled import compiled

    eco = ecograph.loads(SMALL.replace("parent: brand, inflow: 50", "inflow: 50, owner: shop"))
    cm = compiled(eco)
    rows = cm.index
    assert cm.price[rows["shop"]] == 10.0 and math.isnan(cm.price[rows["A"]])
    assert cm.owner[rows["B"]] == rows["shop"] and cm.owner[rows["A"]] == -1
    assert cm.domain.tolist() == [-1, 0, 1, -1, -1]
    assert cm.paid_by_from.tolist() == [False, False, False, True, False]
    G = eco.graph
    assert G.nodes["B"]["owner"] == "shop" and G.nodes["shop"]["price"] == 10.0
    assert G.edges["hub", "shop", "p2"]["paid_by"] == "from"
    # a pool's owner defaults to its parent
    assert small().graph.nodes["B"]["owner"] == "brand"
    assert compiled(small()).owner[rows["B"]] == rows["brand"]


def test_scenario_sets_price_and_paid_by() -> None:
    scenario = ecograph.loads_scenario(
        "scenario: 1\nchanges:\n  - set: {node: shop, price: 20}\n"
        "  - set: {pipe: p1, paid_by: from}\n"
    )
    after = ecograph.apply_scenario(small(), scenario)
    assert after.nodes["shop"].price == 20.0
    r = value(after)
    # revenue doubles to 340; p1's 30 is now paid by the hub to the shop
    assert r["shop"]["revenue"] == pytest.approx(340)
    assert (r["shop"]["spend"], r["shop"]["income"]) == (0.0, 50.0)
    with pytest.raises(ecograph.MapError, match="paid_by"):
        ecograph.loads_scenario("scenario: 1\nchanges:\n  - set: {pipe: p1, paid_by: me}\n")


def test_render_sizes_by_net_and_tooltips_show_money(tmp_path: Path) -> None:
    from ecograph.render.metrics import size_values

    values, meaning = size_values(small(), "net")
    assert values["shop"] == pytest.approx(160) and values["A"] == 10.0
    assert "losses drawn as 0" in meaning
    ecograph.render(small(), tmp_path / "m.html", size_by="net")
    page = (tmp_path / "m.html").read_text("utf-8")
    assert "paid by hub" in page and "price" in page


def test_report_has_an_economics_section() -> None:
    from ecograph.render.report import report_html

    page = report_html(ecograph.load(ROOT / "ecosystems" / "xiaomi.yaml"))
    section = page[page.index('<section id="economics">') :]
    assert 'id="economics-nodes"' in section and "zimi, huami" in section
    bare = ecograph.loads(
        "ecograph: 1\nname: t\nnodes:\n  p: {kind: pool, inflow: 1}\n"
        "  s: {kind: partner, outflow: 1}\npipes:\n  - {from: p, to: s, volume: 1}\n"
    )
    assert "nothing to earn or pay yet" in report_html(bare)
