"""Layouts, the view ``layout="auto"`` chooses, and highlights, checked without a browser.

Crossings are counted again here by a plain pair-by-pair segment test; empty pipes are
found again with networkx reachability; the back-flow share is read off the flow view's
positions. The page (positions read from vis-network, marks) is in
``test_render_browser.py``.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

import ecograph
from ecograph.analysis.diagnose import diagnose, empty_pipes
from ecograph.cli.main import cli
from ecograph.errors import UsageError
from ecograph.model import CURRENCIES, Ecosystem, Node, Pipe
from ecograph.render import describe, style, to_image
from ecograph.render.layout import (
    BACK_SHARE_LIMIT,
    GAP,
    PAD,
    ROOM_SCALE,
    choose_layout,
    crossings,
    force_layout,
    ring_layout,
)

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))

Point = tuple[float, float]


def brute_crossings(pos: dict[str, Point], links: list[tuple[str, str]]) -> int:
    """Pairs of straight lines between node centres that cross (one line per node pair)."""
    lines = sorted({(min(s, t), max(s, t)) for s, t in links if s != t})

    def orient(o: Point, a: Point, b: Point) -> int:
        v = (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
        return (v > 0) - (v < 0)

    count = 0
    for i, (a, b) in enumerate(lines):
        for c, d in lines[i + 1 :]:
            if len({a, b, c, d}) < 4:
                continue  # lines that share a node do not cross
            p, q, r, s = pos[a], pos[b], pos[c], pos[d]
            if orient(p, q, r) * orient(p, q, s) < 0 and orient(r, s, p) * orient(r, s, q) < 0:
                count += 1
    return count


def links_of(d: Any) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in d.edges]


# -- crossings --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_crossings_equal_a_pair_by_pair_count_on_random_drawings(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(40)]
    pos = {n: (rng.uniform(0, 1000), rng.uniform(0, 600)) for n in nodes}
    links = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(120)]
    links += links[:10]  # parallel pipes count once
    assert crossings(pos, links) == brute_crossings(pos, links) > 0


def test_crossings_of_a_drawing_by_hand() -> None:
    # a square with both diagonals (1 crossing) and a line far away that crosses nothing
    pos = {"a": (0, 0), "b": (10, 0), "c": (10, 10), "d": (0, 10), "e": (50, 50), "f": (60, 50)}
    assert crossings(pos, [("a", "c"), ("b", "d"), ("e", "f"), ("a", "b"), ("c", "d")]) == 1
    # touching at an end, or two pipes from one node, is no crossing
    assert crossings(pos, [("a", "c"), ("c", "b"), ("a", "b")]) == 0
    # a pipe with an end not drawn is left out
    assert crossings(pos, [("a", "c"), ("b", "zz")]) == 0


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_crossings_of_every_example_in_both_views(path: Path) -> None:
    eco = ecograph.load(path)
    for layout in ("force", "flow"):
        d = describe(eco, layout=layout)
        pos = {n.id: (n.x, n.y) for n in d.nodes}
        assert crossings(pos, links_of(d)) == brute_crossings(pos, links_of(d))


# -- the force layout --------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_force_layout_keeps_nodes_apart_and_members_in_their_group(path: Path) -> None:
    d = describe(ecograph.load(path), layout="force")
    order = [n.id for n in d.nodes]
    parent = {n.id: n.parent for n in d.nodes}
    size = {n.id: n.size for n in d.nodes}
    pos = force_layout(order, parent, size, links_of(d))
    assert pos == force_layout(order, parent, size, links_of(d))  # no randomness
    assert {n.id: (n.x, n.y) for n in d.nodes} == {
        k: (round(x), round(y)) for k, (x, y) in pos.items()
    }
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            room = ROOM_SCALE * (size[a] + size[b]) + 2 * PAD + GAP
            assert math.dist(pos[a], pos[b]) >= room - 1.0, (a, b)
    # every member is nearer its own group than any other group at the same level
    for node in order:
        up = parent[node]
        if up is None:
            continue
        others = [g for g in order if parent[g] == parent[up] and g != up and g in parent.values()]
        own = math.dist(pos[node], pos[up])
        assert all(own < math.dist(pos[node], pos[g]) for g in others), node


def test_force_layout_turns_a_groups_rings_towards_its_pipes() -> None:
    # two groups of six; one pipe from a member of g to a member of h
    order = ["g", "h", *(f"g{i}" for i in range(6)), *(f"h{i}" for i in range(6))]
    parent: dict[str, str | None] = {"g": None, "h": None} | {m: m[0] for m in order[2:]}
    size = dict.fromkeys(order, 10.0)
    rings = ring_layout(order, parent, size)
    pos = force_layout(order, parent, size, [("g3", "h1")])

    # the two ends now face each other: each is its group's member nearest the other group
    def nearest(group: str, other: str) -> str:
        return min(
            (m for m in order if parent[m] == group), key=lambda m: math.dist(pos[m], pos[other])
        )

    assert (nearest("g", "h"), nearest("h", "g")) == ("g3", "h1")
    assert math.dist(pos["g3"], pos["h1"]) < math.dist(rings["g3"], rings["h1"])


def test_a_tree_too_deep_for_rings_gets_the_tree_layout() -> None:
    chain = [f"n{i}" for i in range(1500)]
    parent = {n: (chain[i - 1] if i else None) for i, n in enumerate(chain)}
    size = dict.fromkeys(chain, 10.0)
    pos = force_layout(chain, parent, size, [])
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in pos.values())
    assert pos == ring_layout(chain, parent, size)


# -- the view "auto" chooses ---------------------------------------------------------------


def chain() -> Ecosystem:
    """pool -> channel -> partner -> producer, traffic all the way."""
    nodes = {
        "users": Node("users", "pool", inflow={"traffic": 100.0}),
        "influencer": Node("influencer", "channel"),
        "shop": Node("shop", "partner"),
        "farm": Node("farm", "producer", outflow={"traffic": 100.0}),
    }
    pipes = (
        Pipe("users->influencer", "users", "influencer", volume=100.0),
        Pipe("influencer->shop", "influencer", "shop", volume=100.0),
        Pipe("shop->farm", "shop", "farm", volume=100.0),
    )
    return Ecosystem("chain", nodes=nodes, pipes=pipes)


def dense_cycle(n: int = 8) -> Ecosystem:
    """``n`` partners, each sending the same traffic to every other: half of it runs
    against any order the flow view can put them in."""
    ids = [f"p{i}" for i in range(n)]
    nodes = {i: Node(i, "partner") for i in ids}
    nodes["pool"] = Node("pool", "pool", inflow={"traffic": 10.0})
    pipes = [Pipe("pool->p0", "pool", "p0", volume=10.0)]
    pipes += [Pipe(f"{a}->{b}", a, b, volume=5.0) for a in ids for b in ids if a != b]
    return Ecosystem("dense", nodes=nodes, pipes=tuple(pipes))


def back_share(d: Any) -> float:
    """Share of the traffic volume on pipes that run right to left (or straight down a
    layer) in a flow drawing, read off its positions."""
    x = {n.id: n.x for n in d.nodes}
    traffic = [e for e in d.edges if e.currency == "traffic"]
    back = sum(e.volume or 0.0 for e in traffic if x[e.source] >= x[e.target])
    return back / sum(e.volume or 0.0 for e in traffic)


def test_a_chain_from_pool_to_producer_opens_in_the_flow_view() -> None:
    eco = chain()
    d = describe(eco)
    flow, force = describe(eco, layout="flow"), describe(eco, layout="force")
    assert d.layout == "flow" and back_share(flow) == 0.0
    x = {n.id: n.x for n in d.nodes}
    assert x["users"] < x["influencer"] < x["shop"] < x["farm"]
    pos = {n.id: (n.x, n.y) for n in force.nodes}
    in_force = brute_crossings(pos, links_of(force))
    assert d.layout_reason == (
        f"Flow view chosen (layout auto): 0 pipe crossings in the flow view, {in_force} in the "
        "force view; 0% of the traffic volume runs back against the flow."
    )
    assert d.notes[0] == d.layout_reason


def test_a_dense_cyclic_map_opens_in_the_force_view() -> None:
    eco = dense_cycle()
    d = describe(eco)
    assert d.layout == "force"
    flow = describe(eco, layout="flow")
    share = back_share(flow)
    # 8 * 7 pipes of 5 between the partners, 28 of each pair run back, plus 10 in from the pool
    assert share == pytest.approx(28 * 5 / (56 * 5 + 10))
    assert share > BACK_SHARE_LIMIT
    assert d.layout_reason is not None and d.layout_reason.startswith(
        f"Force view chosen (layout auto): {share:.0%} of the traffic volume runs back"
    )


def test_the_choice_follows_the_counts_it_names() -> None:
    force = {"u": (0.0, 0.0), "a": (100.0, 100.0), "b": (100.0, -100.0), "c": (200.0, 0.0)}
    flow = {"u": (0.0, 0.0), "a": (260.0, 50.0), "b": (260.0, -50.0), "c": (520.0, 0.0)}
    links = [("u", "a"), ("u", "b"), ("a", "c"), ("b", "c"), ("u", "c")]
    flows = [(s, t, 1.0) for s, t in links]
    choice = choose_layout(force, flow, links, flows, set(), "traffic")
    assert (choice.force_crossings, choice.flow_crossings) == (
        brute_crossings(force, links),
        brute_crossings(flow, links),
    )
    assert choice.layout == "flow"
    # a flow view that crosses more pipes than the force view is not chosen
    tangled = dict(flow, a=(260.0, -50.0), b=(260.0, 50.0), c=(130.0, 300.0))
    worse = choose_layout(force, tangled, links, flows, set(), "traffic")
    assert worse.flow_crossings == brute_crossings(tangled, links) > worse.force_crossings
    assert worse.layout == "force"
    # one back-edge carrying a fifth of the volume is allowed; more is not
    assert choose_layout(force, flow, links, flows, {("u", "c")}, "traffic").layout == "flow"
    heavy = [(s, t, 4.0 if (s, t) == ("u", "c") else 1.0) for s, t in links]
    choice = choose_layout(force, flow, links, heavy, {("u", "c")}, "traffic")
    assert choice.back_share == pytest.approx(0.5) and choice.layout == "force"
    # no pipe to lay out: the force view
    assert choose_layout(force, flow, links, [], set(), None).layout == "force"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_says_which_view_and_why_with_counts_that_hold(path: Path) -> None:
    eco = ecograph.load(path)
    d = describe(eco)
    assert d.layout in ("force", "flow") and not d.physics
    force, flow = describe(eco, layout="force"), describe(eco, layout="flow")
    assert [(n.x, n.y) for n in d.nodes] == [
        (n.x, n.y) for n in (force if d.layout == "force" else flow).nodes
    ]
    in_force = brute_crossings({n.id: (n.x, n.y) for n in force.nodes}, links_of(force))
    in_flow = brute_crossings({n.id: (n.x, n.y) for n in flow.nodes}, links_of(flow))
    share = back_share(flow)
    expected = "flow" if share <= BACK_SHARE_LIMIT and in_flow <= in_force else "force"
    assert d.layout == expected, d.layout_reason
    # the sentence names the counts that decided, and they are these
    reason = d.layout_reason
    assert reason is not None and reason in d.notes
    counts = re.search(r"([\d,]+) pipe crossings? in the flow view, ([\d,]+) in the force", reason)
    runs = re.search(r"(\d+)% of the traffic volume runs back", reason)
    assert counts or runs
    if counts:
        assert (int(counts[1].replace(",", "")), int(counts[2].replace(",", ""))) == (
            in_flow,
            in_force,
        )
    if runs:
        assert int(runs[1]) == round(100 * share)


def test_layout_auto_is_the_default_and_every_layout_is_checked() -> None:
    assert describe(chain()).layout == "flow"
    with pytest.raises(UsageError, match=r"unknown layout 'flwo'.*did you mean 'flow'"):
        describe(chain(), layout="flwo")
    for layout in ("force", "hierarchical", "flow"):
        d = describe(chain(), layout=layout)
        assert d.layout == layout and d.layout_reason is None


# -- empty pipes and highlights ---------------------------------------------------------


def nx_empty(eco: Ecosystem) -> list[bool]:
    """Open pipes with volume 0, or into a node no inflow reaches even through blocked
    pipes, found per currency by networkx reachability."""
    out = []
    reached: dict[str, set[str]] = {}
    for currency in CURRENCIES:
        graph = nx.DiGraph()
        graph.add_nodes_from(eco.nodes)
        graph.add_edges_from((p.from_node, p.to_node) for p in eco.pipes if p.kind == currency)
        sources = [n for n, node in eco.nodes.items() if node.inflow.get(currency, 0) > 0]
        wet: set[str] = set(sources)
        for s in sources:
            wet |= nx.descendants(graph, s)
        reached[currency] = wet
    for p in eco.pipes:
        out.append(p.is_open and (p.volume == 0 or p.to_node not in reached[p.kind]))
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_empty_pipes_are_diagnoses_empty_pipes(path: Path) -> None:
    eco = ecograph.load(path)
    empty = empty_pipes(eco).tolist()
    assert empty == nx_empty(eco)
    # a pipe into a node whose diagnosis is empty-pipe is empty, if open
    for currency in CURRENCIES:
        statuses = {n: x.status for n, x in diagnose(eco, currency=currency).items()}
        for flag, p in zip(empty, eco.pipes, strict=True):
            if p.kind == currency and p.is_open and statuses.get(p.to_node) == "empty-pipe":
                assert flag, p.key
    d = describe(eco)
    assert {e.id for e in d.edges if e.empty} == {
        p.key for p, flag in zip(eco.pipes, empty, strict=True) if flag
    }


def test_empty_pipes_by_hand() -> None:
    nodes = {
        "pool": Node("pool", "pool", inflow={"traffic": 10.0}),
        "shop": Node("shop", "partner"),
        "idle": Node("idle", "partner"),
        "behind": Node("behind", "partner"),
        "after": Node("after", "producer"),
        "lonely": Node("lonely", "channel"),
        "far": Node("far", "producer"),
    }
    pipes = (
        Pipe("fed", "pool", "shop", volume=10.0),
        Pipe("zero", "pool", "idle", volume=0.0),  # declared 0: empty
        Pipe("shut", "pool", "behind", status="blocked"),  # blocked, not empty
        Pipe("downstream", "behind", "after", volume=1.0),  # water behind a blocked pipe
        Pipe("dry", "lonely", "far", volume=3.0),  # nothing reaches lonely: empty
    )
    eco = Ecosystem("m", nodes=nodes, pipes=pipes)
    assert empty_pipes(eco).tolist() == [False, True, False, False, True]
    d = describe(eco, highlight="empty")
    assert d.highlight == "empty"
    assert [e.key for e in d.legend if e.section == "mark"] == ["blocked", "empty"]
    assert next(e for e in d.legend if e.key == "empty").count == 2
    assert "Highlighted: the 2 empty pipes, everything else dimmed" in " ".join(d.notes)


def test_highlight_options_are_checked() -> None:
    with pytest.raises(UsageError, match=r"unknown highlight 'emtpy'.*did you mean 'empty'"):
        describe(chain(), highlight="emtpy")
    with pytest.raises(UsageError, match="to=NODE is used with highlight='bottlenecks' only"):
        describe(chain(), highlight="empty", to="farm")
    runner = CliRunner()
    path = str(ROOT / "ecosystems" / "toutiao.yaml")
    result = runner.invoke(
        cli, ["render", path, "-o", "x.png", "--highlight", "empty", "--to", "a"]
    )
    assert (
        result.exit_code == 2
        and "--highlight bottlenecks and --to NODE go together" in result.output
    )


def test_the_picture_dims_all_but_the_highlighted_pipes(tmp_path: Path) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    d = describe(eco, highlight="empty")
    empty = [e for e in d.edges if e.empty]
    assert len(empty) == 1
    svg = to_image(d, "svg").decode()
    # the empty pipe in the mark's colour, opaque; every other pipe and node faint
    plain = to_image(describe(eco), "svg").decode()
    mark = f"stroke: {style.EMPTY_COLOR.lower()}"
    assert svg.count(mark) == plain.count(mark) + 1  # the pipe, besides the legend's line
    faint = f"opacity: {style.DIMMED}"
    ends = {empty[0].source, empty[0].target}
    assert svg.count(faint) >= (len(d.edges) - 1) + (len(d.nodes) - len(ends))
    assert faint not in plain
    runner = CliRunner()
    out = tmp_path / "empty.png"
    result = runner.invoke(
        cli,
        [
            "render",
            str(ROOT / "ecosystems" / "toutiao.yaml"),
            "-o",
            str(out),
            "--highlight",
            "empty",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert "Highlighted: the 1 empty pipe" in result.output


def fan() -> Ecosystem:
    """A pool feeding six channels, each selling for three of twelve producers: no groups."""
    nodes = {"users": Node("users", "pool", label="用户 Users", inflow={"traffic": 60.0})}
    pipes = []
    for c in range(6):
        nodes[f"c{c}"] = Node(f"c{c}", "channel", label=f"渠道 Channel number {c}")
        pipes.append(Pipe(f"users->c{c}", "users", f"c{c}", volume=10.0))
        for k in range(3):
            p = f"p{(2 * c + k) % 12}"
            pipes.append(Pipe(f"c{c}->{p}", f"c{c}", p, volume=3.0))
    for p in range(12):
        nodes[f"p{p}"] = Node(f"p{p}", "producer", label=f"生产者 Producer number {p}")
    return Ecosystem("fan", nodes=nodes, pipes=tuple(pipes))


def piece_in_box(line: list[tuple[float, float]], box: tuple[float, ...]) -> bool:
    """Whether a polyline touches a box: a point inside it, or a piece crossing a side."""
    x0, y0, x1, y1 = box

    def orient(o: Point, a: Point, c: Point) -> float:
        return (a[0] - o[0]) * (c[1] - o[1]) - (a[1] - o[1]) * (c[0] - o[0])

    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    sides = list(zip(corners, corners[1:] + corners[:1], strict=True))
    for p in line:
        if x0 <= p[0] <= x1 and y0 <= p[1] <= y1:
            return True
    for p, q in itertools.pairwise(line):
        for a, c in sides:
            if orient(p, q, a) * orient(p, q, c) <= 0 and orient(a, c, p) * orient(a, c, q) <= 0:
                return True
    return False


def test_picture_labels_in_the_flow_view_keep_off_the_pipes_where_they_can() -> None:
    import dataclasses

    from ecograph.render.static import picture_labels, picture_pipes

    d = describe(fan(), layout="flow")
    pipes = picture_pipes(d)
    assert len(pipes) == len(d.edges)
    # the same positions labelled as any other layout is: without regard to the pipes
    # (the map has no groups, so no outline changes what is labelled)
    plain = dataclasses.replace(d, layout="hierarchical")
    assert picture_pipes(plain) == pipes

    def crossing(labels: list[tuple[str, tuple[float, float, float, float]]]) -> int:
        return sum(any(piece_in_box(line, box) for line in pipes) for _text, box in labels)

    kept_off, anywhere = picture_labels(d), picture_labels(plain)
    assert len(kept_off) >= len(anywhere) - 1  # about as many labels drawn
    assert crossing(kept_off) < crossing(anywhere), (crossing(kept_off), crossing(anywhere))
