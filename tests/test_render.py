"""The drawing of a map, checked without a browser: what is drawn, the page text, the files.

Browser behaviour (search, filters, collapse, no script from the map running) is in
``test_render_browser.py``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import ecograph
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe
from ecograph.render import Rendered, describe, render, style, to_html, to_image
from ecograph.render.collapse import visible
from ecograph.render.html import embed_json

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))

#: Map text whose every user string tries to escape into HTML or script.
EVIL_MAP = r"""
ecograph: 1
name: evil
title: "<script>window.__pwned=1</script> Evil & co </title><img src=x onerror=alert(0)>"
description: "</script><script>window.__pwned=2</script><!-- \u2028 \u2029 -->"
nodes:
  "<img/src=x/onerror=window.__pwned=3>":
    kind: pool
    label: "<b>bold</b><img src=x onerror=\"window.__pwned=4\">"
    inflow: 5
    source: "javascript:window.__pwned=5"
    tags: ["<svg/onload=window.__pwned=6>"]
    attrs: {note: "</script><script>window.__pwned=7</script>", "<i>key</i>": "{{7*7}} ${alert(8)}"}
  "</script><script>window.__pwned=9</script>":
    kind: partner
    label: "javascript:alert(10) \u2028 line"
    outflow: 5
    description: "<!-- <script>"
pipes:
  - from: "<img/src=x/onerror=window.__pwned=3>"
    to: "</script><script>window.__pwned=9</script>"
    volume: 5
    label: "</script><script>window.__pwned=11</script>"
    source: "javascript:window.__pwned=12"
"""
EVIL_TITLE = "<script>window.__pwned=1</script> Evil & co </title><img src=x onerror=alert(0)>"


def tiny() -> Ecosystem:
    """A platform with a pool, a sub-ecosystem of two partners, and a fund.

    Pipes: two parallel traffic pipes pool -> a (different volumes), one capital
    pipe fund -> a (parallel with neither: other pair), a blocked pipe pool -> b,
    b -> a goods, and a -> b traffic (reverse of nothing else).
    """
    nodes = {
        "p": Node("p", "platform", label="平台 Platform"),
        "u": Node("u", "pool", parent="p", users=1_000_000.0, inflow={"traffic": 100.0}),
        "s": Node("s", "sub-ecosystem", parent="p", users=250_000.0),
        "a": Node("a", "partner", parent="s"),
        "b": Node("b", "partner", parent="s"),
        "f": Node("f", "fund", inflow={"capital": 7.0}),
    }
    pipes = (
        Pipe("u->a:traffic", "u", "a", volume=80.0, capacity=100.0),
        Pipe("u->a:traffic#2", "u", "a", volume=20.0),
        Pipe("f->a:capital", "f", "a", kind="capital", volume=7.0),
        Pipe("u->b:traffic", "u", "b", status="blocked"),
        Pipe("b->a:goods", "b", "a", kind="goods", volume=3.0),
        Pipe("a->b:traffic", "a", "b", volume=5.0),
    )
    return Ecosystem("tiny", title="Tiny", nodes=nodes, pipes=pipes, units={"traffic": "visits"})


def star(groups: int, partners: int, *, volume_step: float = 1.0) -> Ecosystem:
    """A platform with a pool and ``groups`` sub-ecosystems of ``partners`` partners each.

    Partner ``g{i}-{j}`` gets ``(j + 1) * volume_step`` traffic from the pool; every
    partner also sends 1 unit of data to the next partner of its group.
    """
    nodes = {
        "hub": Node("hub", "platform"),
        "pool": Node("pool", "pool", parent="hub", users=1e6),
    }
    pipes = []
    for i in range(groups):
        nodes[f"g{i}"] = Node(f"g{i}", "sub-ecosystem", parent="hub")
        for j in range(partners):
            pid = f"g{i}-{j}"
            nodes[pid] = Node(pid, "partner", parent=f"g{i}")
            pipes.append(Pipe(f"pool->{pid}", "pool", pid, volume=(j + 1) * volume_step))
            if j:
                pipes.append(Pipe(f"d{pid}", f"g{i}-{j - 1}", pid, kind="data", volume=1.0))
    return Ecosystem("star", nodes=nodes, pipes=tuple(pipes))


# -- what is drawn ----------------------------------------------------------------------


def test_every_node_and_pipe_is_drawn_once_with_its_direction() -> None:
    eco = tiny()
    d = describe(eco)
    assert [n.id for n in d.nodes] == list(eco.nodes)
    assert [(e.id, e.source, e.target, e.currency) for e in d.edges] == [
        (p.key, p.from_node, p.to_node, p.kind) for p in eco.pipes
    ]
    assert all(e.pipes == 1 for e in d.edges)
    assert (d.map_nodes, d.map_pipes) == (6, 6)


def test_colour_and_shape_follow_the_kind() -> None:
    d = describe(tiny())
    for node in d.nodes:
        assert (node.color, node.shape) == (
            style.KIND_STYLES[node.kind].color,
            style.KIND_STYLES[node.kind].shape,
        )
    looks = {(s.color, s.shape) for s in style.KIND_STYLES.values()}
    assert len(looks) == len(style.KIND_STYLES) == len(ecograph.NODE_KINDS)
    assert len({s.shape for s in style.KIND_STYLES.values()}) == len(style.KIND_STYLES)


def test_size_by_users_area_grows_with_value_and_missing_values_get_kind_default() -> None:
    d = describe(tiny(), size_by="users")
    u, s, a = d.node("u"), d.node("s"), d.node("a")
    assert u.size == style.MAX_SIZE  # the largest value
    # area proportional to value: sqrt(250k / 1M) = 0.5 of the way from min to max
    assert s.size == pytest.approx(style.MIN_SIZE + 0.5 * (style.MAX_SIZE - style.MIN_SIZE))
    assert a.value is None and a.size == style.KIND_STYLES["partner"].default_size
    assert "users" in d.size_text


def test_size_by_volume_is_traffic_through_the_node() -> None:
    d = describe(tiny(), size_by="volume")
    # u: inflow 100 in, 100 out over open pipes (80 + 20); a: in 80 + 20 (traffic), out 5
    assert d.node("u").value == 100.0
    assert d.node("a").value == 100.0
    assert d.node("b").value == 5.0  # the blocked pipe carries nothing
    assert d.node("f").value == 0.0  # capital is not traffic
    assert dict(d.node("a").tooltip)["volume"] == "100"


def test_size_by_pipes_counts_pipes_of_every_currency_and_status() -> None:
    d = describe(tiny(), size_by="pipes")
    assert d.node("a").value == 5.0  # in: 2 traffic, capital, goods; out: traffic
    assert d.node("b").value == 3.0
    assert d.node("p").value == 0.0


def test_size_by_an_analysis_metric() -> None:
    # traffic layer: u -> a, a -> b (the blocked u -> b carries nothing)
    d = describe(tiny(), size_by="degree")
    assert [(n.id, n.value) for n in d.nodes] == [
        ("p", 0.0), ("u", 1.0), ("s", 0.0), ("a", 2.0), ("b", 1.0), ("f", 0.0)
    ]  # fmt: skip
    assert "degree of the traffic layer" in d.size_text
    assert dict(d.node("a").tooltip)["degree"] == "2"
    flow = describe(tiny(), size_by="throughflow")
    assert flow.node("a").value == pytest.approx(100.0)


def test_unknown_size_metric_is_a_usage_error_with_a_hint() -> None:
    with pytest.raises(UsageError, match=r"unknown size metric 'usres' \(did you mean 'users'\?\)"):
        describe(tiny(), size_by="usres")


def test_pagerank_sizes_sum_to_one() -> None:
    values = [n.value for n in describe(tiny(), size_by="pagerank").nodes]
    assert all(v is not None and v >= 0 for v in values)
    assert sum(v for v in values if v is not None) == pytest.approx(1.0, rel=1e-6)


def test_pipe_width_grows_with_volume_within_each_currency() -> None:
    d = describe(tiny())
    width = {e.id: e.width for e in d.edges}
    assert width["u->a:traffic"] == style.MAX_WIDTH  # largest traffic volume
    assert width["u->a:traffic"] > width["u->a:traffic#2"] > width["a->b:traffic"]
    # the only capital and goods pipes are the largest of their currency
    assert width["f->a:capital"] == width["b->a:goods"] == style.MAX_WIDTH
    assert width["u->b:traffic"] == style.MIN_WIDTH  # no volume


def test_currency_styles_differ_and_blocked_pipes_are_marked() -> None:
    d = describe(tiny())
    patterns = {c: (s.color, s.dashes) for c, s in style.CURRENCY_STYLES.items()}
    assert len(set(patterns.values())) == len(CURRENCIES)
    assert len({s.dashes for s in style.CURRENCY_STYLES.values()}) == len(CURRENCIES)
    for edge in d.edges:
        assert edge.dashes == style.CURRENCY_STYLES[edge.currency].dashes
        if edge.id == "u->b:traffic":
            assert edge.blocked and edge.color == style.BLOCKED_COLOR
        else:
            assert not edge.blocked and edge.color == style.CURRENCY_STYLES[edge.currency].color
    assert "1 blocked pipe is drawn red." in d.notes


def test_parallel_pipes_bend_apart_and_single_pipes_are_straight() -> None:
    d = describe(tiny())
    curve = {e.id: e.curve for e in d.edges}
    assert curve["f->a:capital"] == 0.0
    assert curve["u->b:traffic"] == 0.0
    # the two u -> a pipes: opposite sides
    assert curve["u->a:traffic"] == -curve["u->a:traffic#2"] != 0.0
    # b -> a and a -> b: both bent; the same sign seen from each source is opposite sides
    assert curve["b->a:goods"] != 0.0 and curve["a->b:traffic"] != 0.0
    assert curve["b->a:goods"] == curve["a->b:traffic"]


def test_groups_are_the_nodes_with_members() -> None:
    d = describe(tiny())
    groups = {g.id: g for g in d.groups}
    assert set(groups) == {"p", "s"}
    assert groups["p"].members == ("u", "s", "a", "b")
    assert groups["s"].members == ("a", "b")
    assert [g.id for g in d.groups] == ["p", "s"]  # outermost first
    assert not any(g.collapsed for g in d.groups)


def test_collapse_and_depth_choose_the_groups_that_start_collapsed() -> None:
    assert [g.id for g in describe(tiny(), collapse=["s"]).groups if g.collapsed] == ["s"]
    assert [g.id for g in describe(tiny(), depth=1).groups if g.collapsed] == ["s"]
    assert [g.id for g in describe(tiny(), depth=0).groups if g.collapsed] == ["p", "s"]
    assert not any(g.collapsed for g in describe(tiny(), depth=2).groups)


def test_collapse_of_an_unknown_node_or_a_leaf_is_refused() -> None:
    with pytest.raises(UsageError, match=r"unknown node 'ss'"):
        describe(tiny(), collapse=["ss"])
    with pytest.raises(UsageError, match="cannot collapse 'a': it has no members"):
        describe(tiny(), collapse=["a"])


def test_collapsed_group_rolls_its_pipes_up() -> None:
    d = describe(tiny(), collapse=["s"])
    nodes, edges = visible(d)
    assert [n.id for n in nodes] == ["p", "u", "s", "f"]
    rolled = {(e.source, e.target, e.currency, e.blocked): e for e in edges}
    # u -> a (80 + 20) rolled into u -> s; the blocked u -> b separately; a <-> b inside
    assert rolled[("u", "s", "traffic", False)].volume == 100.0
    assert rolled[("u", "s", "traffic", False)].pipes == 2
    assert rolled[("u", "s", "traffic", True)].pipes == 1
    assert rolled[("f", "s", "capital", False)].volume == 7.0
    assert len(edges) == 3
    # expanding again shows every pipe
    assert len(visible(d, [])[1]) == len(d.edges)


def test_collapsing_the_outer_group_hides_the_inner_one_too() -> None:
    nodes, edges = visible(describe(tiny()), ["p", "s"])
    assert [n.id for n in nodes] == ["p", "f"]
    assert [(e.source, e.target, e.currency, e.volume) for e in edges] == [
        ("f", "p", "capital", 7.0)
    ]


def test_legend_lists_what_is_drawn_with_counts() -> None:
    d = describe(tiny())
    kinds = {e.key: e.count for e in d.legend if e.section == "kind"}
    assert kinds == {"platform": 1, "sub-ecosystem": 1, "partner": 2, "pool": 1, "fund": 1}
    currencies = {e.key: (e.count, e.text) for e in d.legend if e.section == "currency"}
    assert currencies == {
        "traffic": (4, "traffic (visits)"),
        "capital": (1, "capital"),
        "goods": (1, "goods"),
    }
    # empty: the goods pipe b -> a, since no node has a goods inflow (nothing reaches b)
    marks = [(e.key, e.count) for e in d.legend if e.section == "mark"]
    assert marks == [("blocked", 1), ("empty", 1)]
    assert "width" in d.width_text.lower() and "per month" in d.width_text


def test_tooltips_carry_attributes_and_measures_as_text() -> None:
    d = describe(tiny())
    a = dict(d.node("a").tooltip)
    assert a["member of"] == "s"
    assert a["pipes in / out"] == "4 / 1"
    assert a["volume in per month"] == "traffic 100 visits; capital 7; goods 3"
    pipe = dict(next(e for e in d.edges if e.id == "u->a:traffic").tooltip)
    assert pipe["from"] == "u" and pipe["to"] == "a"
    assert pipe["volume per month"] == "80 visits"
    assert pipe["use of capacity"] == "80%"
    assert dict(d.node("p").tooltip)["label"] == "平台 Platform"


def test_hierarchical_layout_puts_containers_above_members() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    d = describe(eco, layout="hierarchical")
    y = {n.id: n.y for n in d.nodes}
    for node in d.nodes:
        if node.parent is not None:
            assert y[node.parent] < y[node.id], node.id
    assert not d.physics


def test_force_layout_keeps_each_group_around_its_node() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    d = describe(eco)
    pos = {n.id: (n.x, n.y) for n in d.nodes}
    # every member is nearer to its own group than to any other top-level sub-ecosystem
    tops = [g.id for g in d.groups if g.depth == 1]
    for group in tops:
        for member in next(g for g in d.groups if g.id == group).members:
            own = math.dist(pos[member], pos[group])
            assert all(own < math.dist(pos[member], pos[o]) for o in tops if o != group), member


def test_same_map_same_drawing_and_same_page() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    first, second = describe(eco), describe(eco)
    assert first.to_dict() == second.to_dict()
    assert to_html(first) == to_html(second)


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="unknown layout 'radial'"):
        describe(tiny(), layout="radial")
    with pytest.raises(UsageError, match="needs to=NODE"):
        describe(tiny(), highlight="bottlenecks")
    with pytest.raises(UsageError, match="used with highlight"):
        describe(tiny(), to="a")
    with pytest.raises(UsageError, match="max_nodes must be"):
        describe(tiny(), max_nodes=0)
    with pytest.raises(UsageError, match="depth must be"):
        describe(tiny(), depth=-1)


# -- bottlenecks ------------------------------------------------------------------------


def test_highlight_bottlenecks_marks_the_min_cut_pipes() -> None:
    nodes = {
        "users": Node("users", "pool", inflow={"traffic": 10.0}),
        "hub": Node("hub", "platform"),
        "shop": Node("shop", "partner"),
    }
    pipes = (
        Pipe("in", "users", "hub", volume=4.0, capacity=10.0),
        Pipe("narrow", "hub", "shop", volume=4.0, capacity=4.0),
        Pipe("side", "users", "shop", kind="capital", volume=1.0),
    )
    eco = Ecosystem("m", nodes=nodes, pipes=pipes)
    d = describe(eco, highlight="bottlenecks", to="shop")
    assert [e.id for e in d.edges if e.bottleneck] == ["narrow"]
    assert next(e for e in d.edges if e.id == "narrow").color == style.BOTTLENECK_COLOR
    assert dict(next(e for e in d.edges if e.id == "narrow").tooltip)["bottleneck"]
    assert any("minimum cut" in note and "at most 4 traffic" in note for note in d.notes)
    # the capital pipe is empty: no node has a capital inflow, so none reaches shop
    assert [e.key for e in d.legend if e.section == "mark"] == ["empty", "bottleneck"]


def test_highlight_bottlenecks_with_an_unknown_target_suggests_one() -> None:
    with pytest.raises(UsageError, match=r"unknown node 'shp' \(did you mean 'shop'\?\)"):
        describe(
            Ecosystem("m", nodes={"shop": Node("shop", "partner")}),
            highlight="bottlenecks",
            to="shp",
        )


# -- folding the long tail --------------------------------------------------------------


def test_small_maps_fold_nothing() -> None:
    d = describe(star(3, 10), max_nodes=35)
    assert d.folds == () and len(d.nodes) == 35


def test_large_maps_fold_each_groups_long_tail_within_the_budget() -> None:
    eco = star(4, 50)  # 206 nodes
    d = describe(eco, max_nodes=40)
    assert len(d.nodes) <= 40
    assert len(d.folds) == 4
    kept = {n.id for n in d.nodes}
    for fold in d.folds:
        group = fold.group
        assert fold.kinds == (("partner", fold.count),)
        # the largest partners are kept: every kept member of the group outweighs every folded one
        kept_j = [int(n.split("-")[1]) for n in kept if n.startswith(f"{group}-")]
        folded_j = [int(n.split("-")[1]) for n in fold.ids]
        assert min(kept_j) > max(folded_j)
        assert len(kept_j) + fold.count == 50
        summary = d.node(fold.node)
        assert summary.kind == "fold" and summary.parent == group
        assert summary.stands_for == fold.count
        traffic = sum(j + 1.0 for j in folded_j)
        assert dict(fold.volume)["traffic"] == traffic
        assert summary.label.startswith(f"+{fold.count} partners, ")
    assert sum(n.stands_for for n in d.nodes) == len(eco.nodes)
    assert any("folded into summary nodes" in note for note in d.notes)


def test_folding_accounts_for_every_pipe_and_all_volume() -> None:
    eco = star(5, 40)
    d = describe(eco, max_nodes=60)
    fold_of = {node_id: f.node for f in d.folds for node_id in f.ids}
    inside = [p for p in eco.pipes if fold_of.get(p.from_node, 1) == fold_of.get(p.to_node, 2)]
    assert sum(e.pipes for e in d.edges) + len(inside) == len(eco.pipes)
    for currency in ("traffic", "data"):
        drawn = sum(e.volume or 0.0 for e in d.edges if e.currency == currency)
        hidden = sum(p.volume or 0.0 for p in inside if p.kind == currency)
        total = sum(p.volume or 0.0 for p in eco.pipes if p.kind == currency)
        assert drawn + hidden == pytest.approx(total)
    # rolled edges join drawn nodes only
    ids = {n.id for n in d.nodes}
    assert all(e.source in ids and e.target in ids for e in d.edges)


@pytest.mark.parametrize("budget", [10, 25, 33, 100, 150, 205, 206])
def test_the_budget_holds_whenever_the_groups_fit(budget: int) -> None:
    eco = star(4, 50)  # 6 structural nodes, 4 groups of leaves
    d = describe(eco, max_nodes=budget)
    structural = 6
    if budget >= structural + 4:
        assert len(d.nodes) <= budget
    assert sum(n.stands_for for n in d.nodes) == len(eco.nodes)
    assert all(f.count >= 2 for f in d.folds)


def test_a_fold_id_never_takes_a_users_id() -> None:
    eco = star(1, 10)
    nodes = dict(eco.nodes)
    nodes["fold:g0"] = Node("fold:g0", "partner", parent="hub")
    d = describe(Ecosystem("m", nodes=nodes, pipes=eco.pipes), max_nodes=8)
    ids = [n.id for n in d.nodes]
    assert len(ids) == len(set(ids))
    assert d.folds[0].node != "fold:g0"


def test_too_many_pipes_leave_the_smallest_out_and_say_so() -> None:
    # 40 partners, one pool: 40 traffic pipes plus 39 data pipes; a budget of 5 nodes
    # allows max(1000, 15) edges, so shrink the floor through a dense map instead
    n = 30
    nodes = {f"n{i}": Node(f"n{i}", "partner") for i in range(n)}
    pipes = tuple(
        Pipe(f"{i}-{j}", f"n{i}", f"n{j}", volume=float(i * n + j + 1))
        for i in range(n)
        for j in range(n)
        if i != j
    )  # 870 pipes among 30 nodes
    eco = Ecosystem("dense", nodes=nodes, pipes=pipes)
    d = describe(eco, max_nodes=30)
    assert len(d.edges) == 870  # within the floor of 1000
    bigger = Ecosystem(
        "dense",
        nodes={**nodes, **{f"m{i}": Node(f"m{i}", "partner") for i in range(10)}},
        pipes=pipes
        + tuple(
            Pipe(f"x{i}-{j}", f"n{i}", f"n{j}", kind="data", volume=1.0)
            for i in range(n)
            for j in range(n)
            if i != j
        ),
    )
    d = describe(bigger, max_nodes=40)
    assert len(d.edges) == 1000
    left = 1740 - 1000
    assert any(f"the {left:,} smallest pipes are not drawn" in note for note in d.notes)
    # the largest traffic pipe is kept
    assert f"{n - 1}-{n - 2}" in {e.id for e in d.edges}


# -- the page: self-contained and safe --------------------------------------------------


def page_of(text: str) -> str:
    return to_html(describe(ecograph.loads(text)))


def test_page_loads_nothing_from_anywhere() -> None:
    page = to_html(describe(ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")))
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", markup) == ["data:,"]
    assert "http:" not in markup and "https:" not in markup
    style_text = re.search(r"<style>(.*?)</style>", page, flags=re.S)
    assert style_text is not None
    assert "@import" not in style_text.group(1) and "url(" not in style_text.group(1)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src")[1].split(";")[0]


def test_only_the_pages_own_scripts_run_and_the_policy_names_them() -> None:
    page = page_of(EVIL_MAP)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [
        ' type="application/json" id="ecograph-data"',
        "",  # vis-network
        "",  # page.js
        "",  # sankey.js
    ]
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for attrs, body in scripts
        if not attrs
    }
    csp = re.search(r"script-src ([^;]*)", page)
    assert csp is not None and set(csp.group(1).split()) == hashes


def test_user_strings_never_appear_as_markup() -> None:
    page = page_of(EVIL_MAP)
    head, _, rest = page.partition('<script type="application/json" id="ecograph-data">')
    data, _, tail = rest.partition("</script>")
    for payload in ("<script>window", "<img", "<svg", "</script><script>", "<b>", "<!-- <"):
        assert payload not in data
    assert "<img" not in head and "<img" not in tail.split("<script>")[0]
    assert f"<title>{_escaped(EVIL_TITLE)}</title>" in head
    # the embedded JSON gives every string back exactly
    parsed = json.loads(data)
    assert parsed["title"] == EVIL_TITLE
    assert parsed["nodes"][1]["id"] == "</script><script>window.__pwned=9</script>"
    assert parsed["nodes"][1]["label"] == "javascript:alert(10) \u2028 line"
    assert "\u2028" not in data and "\u2029" not in data
    rows = dict(map(tuple, parsed["nodes"][0]["tooltip"]))
    assert rows["source"] == "javascript:window.__pwned=5"
    assert rows["<i>key</i>"] == "{{7*7}} ${alert(8)}"
    assert rows["tags"] == "<svg/onload=window.__pwned=6>"


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


@pytest.mark.parametrize(
    "value",
    ["</script>", "</SCRIPT >", "<!--", "-->", "a & b", "\u2028\u2029", '"\\', "<\u0000>", "钉钉"],
)
def test_embedded_json_round_trips_and_cannot_close_its_element(value: str) -> None:
    text = embed_json({"v": value, value: [value]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"v": value, value: [value]}


def test_chinese_labels_are_kept_as_text() -> None:
    page = to_html(describe(ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")))
    assert "阿里巴巴 Alibaba" in page
    assert '<meta charset="utf-8">' in page


# -- files ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_map_renders(path: Path, tmp_path: Path) -> None:
    eco = ecograph.load(path)
    out = render(eco, tmp_path / f"{path.stem}.html")
    text = out.path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert len(out.drawing.nodes) == len(eco.nodes)
    assert sum(e.pipes for e in out.drawing.edges) == len(eco.pipes)
    for size_by in ("volume", "pipes"):
        assert len(describe(eco, size_by=size_by, layout="hierarchical").nodes) == len(eco.nodes)


def test_render_writes_atomically_and_a_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "map.html"
    target.write_text("old page", encoding="utf-8")
    eco = tiny()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(UsageError, match=r"cannot write .*: disk full"):
        render(eco, target)
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]  # no temporary left
    monkeypatch.undo()
    render(eco, target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_a_failure_while_drawing_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = importlib.import_module("ecograph.render.output")

    target = tmp_path / "map.html"
    target.write_bytes(b"old")

    def fail(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(output, "to_html", fail)
    with pytest.raises(RuntimeError):
        render(tiny(), target)
    assert target.read_bytes() == b"old"
    assert len(list(tmp_path.iterdir())) == 1


def test_the_map_file_is_only_read(tmp_path: Path) -> None:
    source = tmp_path / "m.yaml"
    source.write_bytes((ROOT / "ecosystems" / "minimal.yaml").read_bytes())
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    eco = ecograph.load(source)
    render(eco, tmp_path / "m.html")
    render(eco, tmp_path / "m.svg", format="svg")
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before
    with pytest.raises(UsageError, match="it is an input of this command"):
        render(eco, source)
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before


def test_render_refuses_bad_targets_and_formats(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no directory"):
        render(tiny(), tmp_path / "missing" / "m.html")
    with pytest.raises(UsageError, match="is a directory"):
        render(tiny(), tmp_path)
    with pytest.raises(UsageError, match=r"unknown format 'pdf'"):
        render(tiny(), tmp_path / "m.pdf", format="pdf")


def test_static_png_and_svg(tmp_path: Path) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    png = render(eco, tmp_path / "a.png", format="png")
    assert png.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    pixels = imread(png.path)
    assert pixels.shape[0] > 500 and pixels.std() > 0.05  # a picture, not a blank page
    svg = render(eco, tmp_path / "a.svg", format="svg", depth=1)
    root = ET.fromstring(svg.path.read_bytes())
    assert root.tag.endswith("svg")
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert to_image(describe(eco), "svg") == to_image(describe(eco), "svg")  # deterministic


def test_the_result_is_path_like_and_shows_in_a_notebook(tmp_path: Path) -> None:
    out = render(tiny(), tmp_path / "m.html")
    assert isinstance(out, Rendered) and os.fspath(out) == str(tmp_path / "m.html")
    view = out._repr_html_()  # the light view, saying where the page is
    assert view.startswith("<svg") and "<script" not in view
    assert html.escape(str(out.path)) in view
    frame = out.show()._repr_html_()  # the page itself, on request
    assert frame.startswith('<iframe sandbox="allow-scripts"')
    assert "<script" not in frame  # the page is an escaped attribute value
    assert "&lt;script" in frame
    png = render(tiny(), tmp_path / "m.png", format="png")
    assert png._repr_html_().startswith("<svg")
    assert (
        png.show()._repr_html_().startswith('<img alt="ecosystem map" src="data:image/png;base64,')
    )


def test_repr_html_of_an_ecosystem() -> None:
    from ecograph.render import repr_html

    text = repr_html(ecograph.loads(EVIL_MAP))
    assert text.startswith("<svg") and "<img" not in text and "<script" not in text


def test_vendored_vis_network_is_pyviss_copy_unchanged() -> None:
    assets = ROOT / "ecograph" / "render" / "assets"
    asset = (assets / "vis-network.min.js").read_bytes()
    assert hashlib.sha256(asset).hexdigest() in (assets / "NOTICE").read_text(encoding="utf-8")
    assert b"@version 9.1.2" in asset[:400]
    import pyvis  # a test dependency only (pyproject's [test] extra)

    assert (
        Path(pyvis.__file__).parent / "lib" / "vis-9.1.2" / "vis-network.min.js"
    ).read_bytes() == (asset)


def test_drawing_imports_neither_matplotlib_nor_pyvis() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ecograph.render, ecograph.cli.render; "
        "print(sorted(m for m in ('matplotlib', 'pyvis', 'playwright') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- overview of large maps ---------------------------------------------------------------


def test_a_large_map_opens_on_its_overview_unless_told_what_to_show() -> None:
    from test_render_browser import large

    eco = large(5000, 12)
    d = describe(eco)
    # levels: hub (1), pool + 12 groups (13), then the drawn partners and folds: too many
    assert {g.id for g in d.groups if g.collapsed} == {f"g{i}" for i in range(12)}
    assert any(n.startswith("Opened on the overview") for n in d.notes)
    nodes, _edges = visible(d)
    assert len(nodes) == 14
    # an explicit depth or collapse wins
    assert not any(g.collapsed for g in describe(eco, depth=5).groups)
    assert {g.id for g in describe(eco, collapse=["g1"]).groups if g.collapsed} == {"g1"}
    # a small map opens whole
    small = ecograph.load(Path(__file__).parent.parent / "ecosystems" / "china-internet.yaml")
    assert not any(g.collapsed for g in describe(small).groups)


def test_overview_depth_takes_whole_levels_up_to_the_limit() -> None:
    from ecograph.render.describe import overview_depth

    # level sizes 1, 3, 9, 27: 1 + 3 + 9 = 13 fit in 13, 40 do not
    depths = [0] + [1] * 3 + [2] * 9 + [3] * 27
    assert overview_depth(depths, limit=13) == 2
    assert overview_depth(depths, limit=12) == 1
    assert overview_depth(depths, limit=1) == 0
    assert overview_depth(depths, limit=0) == 0  # the top level always shows
    assert overview_depth(depths, limit=40) is None


# -- flow view ----------------------------------------------------------------------------


def test_flow_layout_puts_every_forward_pipe_left_to_right_and_breaks_cycles() -> None:
    import networkx as nx

    from ecograph.render.layout import flow_layout

    # two cycles (b -> c -> d -> b and a -> e -> a) on a chain from a pool
    order = ["a", "b", "c", "d", "e", "f"]
    kind = dict.fromkeys(order, "partner") | {"a": "pool", "f": "producer"}
    flows = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "b"), ("a", "e"), ("e", "a"), ("d", "f")]
    pos, back = flow_layout(order, kind, flows, dict.fromkeys(order, 10.0))
    graph = nx.DiGraph(flows)
    assert not nx.is_directed_acyclic_graph(graph)
    graph.remove_edges_from(back)
    assert nx.is_directed_acyclic_graph(graph)
    assert back <= set(flows) and len(back) == 2  # one pipe per cycle, no more
    for s, t in graph.edges:
        assert pos[s][0] < pos[t][0], (s, t)
    # the pool is leftmost, the producer rightmost
    assert pos["a"][0] == min(x for x, _ in pos.values())
    assert pos["f"][0] == max(x for x, _ in pos.values())
    assert flow_layout(order, kind, flows, dict.fromkeys(order, 10.0)) == (pos, back)


def test_flow_view_of_alibaba_runs_traffic_left_to_right() -> None:
    import networkx as nx

    eco = ecograph.load(Path(__file__).parent.parent / "ecosystems" / "alibaba.yaml")
    d = describe(eco, layout="flow")
    x = {n.id: n.x for n in d.nodes}
    traffic = [e for e in d.edges if e.currency == "traffic"]
    arcs = [e for e in traffic if x[e.source] >= x[e.target]]
    graph = nx.DiGraph((e.source, e.target) for e in traffic if e not in arcs)
    assert nx.is_directed_acyclic_graph(graph)
    assert all(e.curve != 0 for e in arcs)  # pipes against the flow are drawn as arcs
    pools = [x[n.id] for n in d.nodes if n.kind == "pool"]
    producers = [x[n.id] for n in d.nodes if n.kind == "producer"]
    assert max(pools) < min(producers)
    assert any(note.startswith("Flow view: traffic runs from sources") for note in d.notes)
    assert not d.physics
