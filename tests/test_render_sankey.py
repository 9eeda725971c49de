"""The Sankey view: bands as wide as volumes, bars as tall as throughflow, cycles as loops.

Numbers are checked against the map's own pipes and against values worked out by
hand; the choice of loops against a brute-force minimum feedback arc set; the page
in headless Chromium against the Python layout.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from test_cli_render import run
from test_render_browser import Opened, large, open_page, overlapping

import ecograph
from ecograph.errors import UsageError
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import describe, render
from ecograph.render.sankey import (
    GEOMETRY,
    SANKEY_NODES,
    Sankey,
    feedback_arcs,
    main_currency,
    page_data,
    sankey,
    sankey_layout,
)

__all__ = ["open_page"]

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


def acyclic() -> Ecosystem:
    """A pool feeding a platform, two partners and a producer; a capital pipe beside.

    Worked by hand (traffic): u 10 out; p 10 in, 10 out; a 6 in, 5 out; b 4 in;
    z 5 in. Longest paths: u 0, p 1, a 2, z 3; b is a sink, pushed to the last column 3.
    """
    nodes = {
        "u": Node("u", "pool", label="淘宝用户 Taobao users"),
        "p": Node("p", "platform"),
        "a": Node("a", "partner"),
        "b": Node("b", "partner"),
        "z": Node("z", "producer"),
        "f": Node("f", "fund"),
    }
    pipes = (
        Pipe("u->p", "u", "p", volume=10.0),
        Pipe("p->a", "p", "a", volume=6.0),
        Pipe("p->b", "p", "b", volume=4.0),
        Pipe("a->z", "a", "z", volume=5.0),
        Pipe("f->a:capital", "f", "a", kind="capital", volume=3.0),
    )
    return Ecosystem(
        "acyclic", period="month", nodes=nodes, pipes=pipes, units={"traffic": "visits"}
    )


def cyclic() -> Ecosystem:
    """A 3-cycle p -> a -> b -> p, a 2-cycle b <-> c and a self-loop on c."""
    nodes = {n: Node(n, k) for n, k in [("u", "pool"), ("p", "platform")]}
    nodes |= {n: Node(n, "partner") for n in "abc"}
    pipes = (
        Pipe("u->p", "u", "p", volume=20.0),
        Pipe("p->a", "p", "a", volume=12.0),
        Pipe("a->b", "a", "b", volume=9.0),
        Pipe("b->p", "b", "p", volume=2.0),
        Pipe("b->c", "b", "c", volume=7.0),
        Pipe("c->b", "c", "b", volume=3.0),
        Pipe("c->c", "c", "c", volume=1.5),
    )
    return Ecosystem("cyclic", nodes=nodes, pipes=pipes)


def by_id(view: Sankey) -> dict[str, Any]:
    return {n.id: n for n in view.nodes}


# -- numbers, without a browser ----------------------------------------------------------------


def test_bars_are_as_tall_as_their_throughflow_on_a_hand_worked_map() -> None:
    view = sankey(describe(acyclic()), "traffic")
    nodes = by_id(view)
    assert {n: (v.inflow, v.outflow, v.value) for n, v in nodes.items()} == {
        "u": (0.0, 10.0, 10.0),
        "p": (10.0, 10.0, 10.0),
        "a": (6.0, 5.0, 6.0),
        "b": (4.0, 0.0, 4.0),
        "z": (5.0, 0.0, 5.0),
    }
    # the capital pipe is another currency: its fund is not in the traffic view
    assert "f" not in nodes
    assert {n: v.column for n, v in nodes.items()} == {"u": 0, "p": 1, "a": 2, "b": 3, "z": 3}
    assert view.columns == 4
    capital = sankey(describe(acyclic()), "capital")
    assert {n.id: n.value for n in capital.nodes} == {"f": 3.0, "a": 3.0}


def test_columns_follow_the_flow_of_an_acyclic_map() -> None:
    for path in EXAMPLES:
        eco = ecograph.load(path)
        drawing = describe(eco)
        for currency in {e.currency for e in drawing.edges}:
            view = sankey(drawing, currency)
            column = {n.id: n.column for n in view.nodes}
            graph = nx.DiGraph([(b.source, b.target) for b in view.bands if not b.back])
            assert nx.is_directed_acyclic_graph(graph)
            for band in view.bands:
                if band.back:  # a loop runs right to left (or stays in its column)
                    assert column[band.source] >= column[band.target]
                else:
                    assert column[band.source] < column[band.target], (path.stem, band.id)
            # sinks in the last column, sources (nothing in) in the first
            for n in view.nodes:
                if n.outflow == 0:
                    assert n.column == view.columns - 1
                if n.inflow == 0:
                    assert n.column == 0


def test_band_widths_are_proportional_to_the_pipes_volumes() -> None:
    eco = acyclic()
    view = sankey(describe(eco), "traffic")
    px = sankey_layout(view, 900, 600)
    volume = {(p.from_node, p.to_node): p.volume for p in eco.pipes if p.kind == "traffic"}
    assert {(b.source, b.target) for b in view.bands} == set(volume)
    ratios = {px.bands[b.id][4] / volume[(b.source, b.target)] for b in view.bands}
    assert max(ratios) == pytest.approx(min(ratios)) and min(ratios) == pytest.approx(px.scale)
    # bars: hand-worked throughflow, the same scale
    hand = {"u": 10.0, "p": 10.0, "a": 6.0, "b": 4.0, "z": 5.0}
    for node, through in hand.items():
        assert px.bars[node][3] == pytest.approx(through * px.scale)
    # one scale, the largest that fits every column between the margins (572 px here):
    # u alone needs 10 units, b and z 9 units and one gap of 18 px: 572 / 10 < 554 / 9
    room = 600 - GEOMETRY["top"] - GEOMETRY["bottom"]
    assert room == 572 and px.scale == pytest.approx(57.2)
    assert px.bars["u"][1] == pytest.approx(GEOMETRY["top"]) and px.bars["u"][3] == pytest.approx(
        room
    )
    _, y, _, h = px.bars["b"]
    assert px.bars["z"][1] - (y + h) == pytest.approx(GEOMETRY["gap"])
    # four columns evenly spaced: (900 - 10 left - 190 label room - 14 bar) / 3 apart
    xs = sorted({b[0] for b in px.bars.values()})
    assert xs == pytest.approx([10 + i * (900 - 10 - 190 - 14) / 3 for i in range(4)])
    # each band leaves and enters its bars inside them
    for band in view.bands:
        x0, y0, x1, y1, w, lane = px.bands[band.id]
        s, t = px.bars[band.source], px.bars[band.target]
        assert (x0, x1) == pytest.approx((s[0] + s[2], t[0]))
        assert s[1] - 1e-9 <= y0 - w / 2 and y0 + w / 2 <= s[1] + s[3] + 1e-9
        assert t[1] - 1e-9 <= y1 - w / 2 and y1 + w / 2 <= t[1] + t[3] + 1e-9
        assert lane is None


def brute_force_min_feedback(nodes: list[str], weight: dict[tuple[str, str], float]) -> float:
    """The least weight of arcs pointing backwards over every order of the nodes."""
    best = math.inf
    for order in itertools.permutations(nodes):
        place = {n: i for i, n in enumerate(order)}
        best = min(best, sum(w for (s, t), w in weight.items() if s != t and place[s] > place[t]))
    return best


def test_cycles_are_broken_for_the_layout_only_and_drawn_as_loops() -> None:
    eco = cyclic()
    view = sankey(describe(eco), "traffic")
    nodes = by_id(view)
    volume = {(p.from_node, p.to_node): p.volume or 0.0 for p in eco.pipes}
    # every pipe is a band, loops included: nothing is dropped
    assert {(b.source, b.target): b.volume for b in view.bands} == volume
    back = {(b.source, b.target) for b in view.bands if b.back}
    # the self-loop is a loop; what is left forward is acyclic
    assert ("c", "c") in back
    forward = nx.DiGraph([pair for pair in volume if pair not in back])
    assert nx.is_directed_acyclic_graph(forward)
    # the loops carry the least volume any order of the nodes could give
    cut = sum(volume[pair] for pair in back if pair[0] != pair[1])
    assert cut == brute_force_min_feedback(list("upabc"), volume) == 2.0 + 3.0
    # bars count the loops' volumes too: throughflow by hand
    assert nodes["p"].value == 22.0  # in 20 + 2
    assert nodes["b"].value == 12.0  # in 9 + 3, out 2 + 7
    assert nodes["c"].value == 8.5  # in 7 + 1.5; out 3 + 1.5
    # loops get their own lanes below the columns, each as wide as its volume
    px = sankey_layout(view, 900, 600)
    lanes = sorted((px.bands[b.id][5], px.bands[b.id][4], b.volume) for b in view.bands if b.back)
    columns_bottom = max(y + h for _, y, _, h in px.bars.values())
    assert lanes[0][0] - lanes[0][1] / 2 > columns_bottom
    for (y_a, w_a, _), (y_b, w_b, _) in itertools.pairwise(lanes):
        assert y_b - w_b / 2 >= y_a + w_a / 2  # lanes never overlap
    assert all(w == pytest.approx(v * px.scale) for _, w, v in lanes)
    assert any("closing a cycle" in n for n in view.notes)


def test_feedback_arcs_match_a_brute_force_minimum_on_small_random_graphs() -> None:
    import random

    rng = random.Random(7)
    optimal = 0
    for _ in range(40):
        nodes = [f"n{i}" for i in range(rng.randint(2, 6))]
        weight = {
            (s, t): float(rng.randint(1, 9))
            for s in nodes
            for t in nodes
            if s != t and rng.random() < 0.4
        }
        arcs = feedback_arcs(nodes, weight)
        rest = nx.DiGraph(list(weight))
        rest.remove_edges_from(arcs)
        assert nx.is_directed_acyclic_graph(rest)
        # a heuristic: never better than the optimum (else the brute force is wrong), and on
        # graphs this small usually equal to it (35 of these 40 when written)
        found = sum(weight[a] for a in arcs)
        best = brute_force_min_feedback(nodes, weight)
        assert found >= best
        optimal += found == best
    assert optimal >= 30


def test_parallel_pipes_are_one_band_and_what_is_left_out_is_said() -> None:
    nodes = {"u": Node("u", "pool"), "a": Node("a", "partner"), "b": Node("b", "partner")}
    pipes = (
        Pipe("k1", "u", "a", volume=2.0),
        Pipe("k2", "u", "a", volume=3.0, label="second"),
        Pipe("k3", "u", "b", volume=4.0, status="blocked"),
        Pipe("k4", "a", "b"),
    )
    view = sankey(describe(Ecosystem("m", nodes=nodes, pipes=pipes)), "traffic")
    assert [(b.source, b.target, b.volume, b.pipes) for b in view.bands] == [("u", "a", 5.0, 2)]
    assert "2 pipes in one band" in dict(view.bands[0].tooltip).values()
    assert view.notes == (
        "1 blocked traffic pipe carries nothing: not drawn.",
        "1 traffic pipe without a volume (or of volume 0): not drawn.",
    )


def test_a_5000_partner_map_folds_its_tail_into_others_per_group() -> None:
    eco = large(5000, 12)
    drawing = describe(eco)
    view = sankey(drawing, "traffic")
    assert len(view.nodes) <= SANKEY_NODES
    nodes = by_id(view)
    groups = {f"g{g}" for g in range(12)}
    assert groups | {"pool"} <= nodes.keys()
    # the drawing's own summaries of the long tail go into them too
    others = [n for n in view.nodes if n.kind == "fold"]
    assert len(others) == 12 and all(n.label.startswith("+") and n.members for n in others)
    # every partner is drawn or stands in an "others" bar
    kept = sum(1 for n in view.nodes if n.id.startswith("p0"))
    assert kept + sum(n.stands_for for n in others) == 5000
    # volume is kept: every pipe's volume is in a band (no partner flows to another)
    assert sum(b.volume for b in view.bands) == pytest.approx(sum(p.volume or 0 for p in eco.pipes))
    # each "others" bar gets what its group sent to the partners it stands for
    for n in others:
        group = next(g for g in groups if f"({g})" in n.label)
        drawn = {m.id for m in view.nodes}
        sent = sum(
            p.volume or 0 for p in eco.pipes if p.from_node == group and p.to_node not in drawn
        )
        assert n.inflow == pytest.approx(sent)
    assert any("'+N others'" in note for note in view.notes)


def test_too_many_groups_fold_by_kind() -> None:
    nodes = {"pool": Node("pool", "pool")}
    pipes = []
    for g in range(60):
        nodes[f"g{g}"] = Node(f"g{g}", "sub-ecosystem")
        pipes.append(Pipe(f"pool->g{g}", "pool", f"g{g}", volume=100.0 + g))
        for i in range(3):
            nodes[f"g{g}p{i}"] = Node(f"g{g}p{i}", "partner", parent=f"g{g}")
            pipes.append(Pipe(f"g{g}->p{i}", f"g{g}", f"g{g}p{i}", volume=1.0 + i))
    eco = Ecosystem("wide", nodes=nodes, pipes=tuple(pipes))
    view = sankey(describe(eco), "traffic")
    assert len(view.nodes) <= SANKEY_NODES
    folded = [n for n in view.nodes if n.kind == "fold"]
    assert {n.label.split(" ")[1] for n in folded} <= {"sub-ecosystems", "partners"}
    kept = sum(1 for n in view.nodes if n.kind != "fold")
    assert kept + sum(n.stands_for for n in folded) == len(nodes)


def test_sources_and_sinks_are_never_folded_together() -> None:
    nodes = {f"s{i}": Node(f"s{i}", "pool") for i in range(60)}
    nodes |= {f"t{i}": Node(f"t{i}", "producer") for i in range(60)}
    pipes = tuple(Pipe(f"k{i}", f"s{i}", f"t{i}", volume=float(i + 1)) for i in range(60))
    eco = Ecosystem("flat", nodes=nodes, pipes=pipes)
    view = sankey(describe(eco), "traffic")
    assert len(view.nodes) <= SANKEY_NODES
    folded = [n for n in view.nodes if n.members]
    assert len(folded) == 2
    for n in folded:  # one bar of sources (left), one of sinks (right): no flow is invented
        assert (n.inflow == 0 and n.column == 0) or (n.outflow == 0 and n.column == 1)
        assert all(m[0] == ("s" if n.inflow == 0 else "t") for m in n.members)
    # every pipe's volume is in a band: none runs between two nodes of one bar
    assert sum(b.volume for b in view.bands) == sum(p.volume or 0 for p in pipes)


def test_main_currency_and_page_data() -> None:
    data = page_data(describe(acyclic(), view="sankey"))
    assert data["view"] == "sankey" and data["currency"] == "traffic"
    assert [v["currency"] for v in data["views"]] == ["traffic", "capital"]
    assert data["views"][0]["unit"] == "visits" and data["views"][1]["unit"] == "capital"
    capital_only = Ecosystem(
        "c",
        nodes={"f": Node("f", "fund"), "a": Node("a", "partner")},
        pipes=(Pipe("k", "f", "a", kind="capital", volume=1.0), Pipe("t", "f", "a")),
    )
    assert main_currency(describe(capital_only)) == "capital"
    assert page_data(describe(acyclic(), currency="capital"))["currency"] == "capital"


def test_bad_view_and_currency_are_one_line_errors() -> None:
    eco = acyclic()
    with pytest.raises(UsageError, match=r"unknown view 'sankee' \(did you mean 'sankey'\?\)"):
        describe(eco, view="sankee")
    with pytest.raises(UsageError, match=r"unknown currency 'trafic' \(did you mean 'traffic'\?\)"):
        describe(eco, currency="trafic")
    with pytest.raises(UsageError, match=r"no goods flows to draw.*\(flows to draw: traffic, cap"):
        describe(eco, view="sankey", currency="goods")
    empty = Ecosystem(
        "e", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")}, pipes=(Pipe("k", "a", "b"),)
    )
    with pytest.raises(UsageError, match="nothing to draw: no pipe has a volume"):
        describe(empty, view="sankey")
    describe(empty)  # the map view of the same map is fine


def test_cli_view_and_currency(tmp_path: Path) -> None:
    example = str(ROOT / "ecosystems" / "alibaba.yaml")
    out = tmp_path / "s.html"
    code, _, err = run("render", example, "-o", str(out), "--view", "sankey", "--currency", "goods")
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert '"view":"sankey","currency":"goods"' in page
    # a picture draws the Sankey view too
    png = tmp_path / "s.png"
    code, _, err = run("render", example, "-o", str(png), "--view", "sankey")
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG", err
    minimal = str(ROOT / "ecosystems" / "minimal.yaml")
    code, _, err = run("render", minimal, "-o", str(tmp_path / "m.html"), "--currency", "goods")
    assert code == 1 and not (tmp_path / "m.html").exists()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"{minimal}: error: the Sankey view has no goods flows to draw")
    code, _, err = run("render", minimal, "-o", str(out), "--view", "sanky")
    assert code == 2 and "Invalid value for '--view'" in err


# -- the page, in headless Chromium --------------------------------------------------------------


def band_point(opened: Opened, band: str) -> tuple[float, float]:
    """A point on a band's centre line where the band is on top, in page coordinates."""
    p = opened.page.evaluate(
        """(id) => {
          const p = [...document.querySelectorAll('#eg-sankey path.eg-band')]
            .find(e => e.dataset.id === id);
          const m = p.getScreenCTM(), length = p.getTotalLength();
          for (let i = 0; i <= 40; i++) {
            const f = 0.5 + (i % 2 ? 1 : -1) * Math.ceil(i / 2) / 82;
            const at = p.getPointAtLength(length * f);
            const x = at.x * m.a + m.e, y = at.y * m.d + m.f;
            if (document.elementFromPoint(x, y) === p) return {x: x, y: y};
          }
          return null;
        }""",
        band,
    )
    assert p is not None, f"band {band} is covered everywhere"
    return p["x"], p["y"]


def sankey_box(opened: Opened) -> tuple[float, float]:
    size = opened.page.evaluate(
        "() => { const b = document.getElementById('eg-sankey');"
        " return [b.clientWidth, b.clientHeight]; }"
    )
    return size[0], size[1]


def test_page_draws_the_python_layout_with_bands_as_wide_as_volumes(
    tmp_path: Path, open_page: Any
) -> None:
    eco = acyclic()
    out = render(eco, tmp_path / "s.html", view="sankey")
    opened = open_page(out.path)
    assert opened.errors == [] and opened.external == []
    assert opened.api("sankey.view()") == "sankey" and opened.api("sankey.currency()") == "traffic"
    assert opened.page.is_visible("#eg-sankey") and not opened.page.is_visible("#eg-network")
    volume = {(p.from_node, p.to_node): p.volume for p in eco.pipes if p.kind == "traffic"}
    bands = opened.api("sankey.bands()")
    assert {(b["source"], b["target"]) for b in bands} == set(volume)
    scale = opened.api("sankey.scale()")
    for b in bands:
        assert b["width"] == pytest.approx(volume[(b["source"], b["target"])] * scale)
    bars = {b["id"]: b for b in opened.api("sankey.bars()")}
    hand = {"u": 10.0, "p": 10.0, "a": 6.0, "b": 4.0, "z": 5.0}
    assert {n: bars[n]["h"] for n in hand} == pytest.approx({n: v * scale for n, v in hand.items()})
    # the page places everything where sankey_layout does for an area of its size
    px = sankey_layout(sankey(out.drawing, "traffic"), *sankey_box(opened))
    for n, (x, y, w, h) in px.bars.items():
        assert (bars[n]["x"], bars[n]["y"], bars[n]["w"], bars[n]["h"]) == pytest.approx(
            (x, y, w, h)
        )
    # labels: readable, apart, Chinese as written
    labels = opened.api("sankey.labels()")
    assert overlapping(labels) == [] and min(label["px"] for label in labels) >= 11
    assert {label["full"] for label in labels} >= {"淘宝用户 Taobao users"}
    # hover a band: source -> target and the volume with its unit
    opened.page.mouse.move(*band_point(opened, "p\u2192a"))
    opened.page.wait_for_selector("#eg-sankey-tip:not([hidden])")
    tip = opened.page.inner_text("#eg-sankey-tip")
    assert tip.startswith("p \u2192 a") and "6 visits" in tip and "volume per month" in tip
    # hovering a bar lights up its bands only
    bar = bars["a"]
    box = opened.page.locator("#eg-sankey").bounding_box()
    opened.page.mouse.move(box["x"] + bar["x"] + bar["w"] / 2, box["y"] + bar["y"] + bar["h"] / 2)
    lit = {(b["source"], b["target"]) for b in opened.api("sankey.bands()") if b["lit"]}
    assert lit == {("p", "a"), ("a", "z")}
    assert opened.page.inner_text("#eg-sankey-tip h3") == "a"
    # the map, hidden while the page opened, fits its area once shown, labelled
    opened.page.click("#eg-view-map")
    assert opened.page.is_visible("#eg-network") and not opened.page.is_visible("#eg-sankey")
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    shown = opened.api("labels()")
    assert {label["id"] for label in shown} == set(eco.nodes) and overlapping(shown) == []
    assert opened.errors == []


def test_switching_views_and_currencies(tmp_path: Path, open_page: Any) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    out = render(eco, tmp_path / "a.html")
    opened = open_page(out.path)
    page = opened.page
    assert opened.api("sankey.view()") == "map" and page.is_visible("#eg-network")
    assert not page.is_visible("#eg-sankey")
    page.click("#eg-view-sankey")
    assert opened.api("sankey.view()") == "sankey" and not page.is_visible("#eg-network")
    assert not page.is_visible("#eg-search")  # the map's controls step aside
    traffic = {b["id"] for b in opened.api("sankey.bars()")}
    page.select_option("#eg-sankey-currency", "goods")
    goods = sankey(out.drawing, "goods")
    assert {b["id"] for b in opened.api("sankey.bars()")} == {n.id for n in goods.nodes} != traffic
    page.click("#eg-view-map")
    assert page.is_visible("#eg-network") and page.is_visible("#eg-search")
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    labels = opened.api("labels()")
    assert labels and overlapping(labels) == []  # the map fits its area again, labelled
    assert opened.errors == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_and_currency_has_readable_labels_that_never_overlap(
    path: Path, tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(path)
    out = render(eco, tmp_path / f"{path.stem}.html", view="sankey")
    opened = open_page(out.path)
    for view in page_data(out.drawing)["views"]:
        opened.api(f"sankey.setCurrency('{view['currency']}')")
        labels = opened.api("sankey.labels()")
        assert len(labels) == len(view["nodes"])
        assert overlapping(labels) == [], (view["currency"], overlapping(labels))
        assert min(label["px"] for label in labels) >= 11
        for label in labels:  # in full, or shortened with an ellipsis (hover gives the rest)
            text, full = label["text"], label["full"]
            assert text == full or (text.endswith("\u2026") and full.startswith(text[:-1]))
    assert opened.errors == [] and opened.external == []


def test_a_shortened_label_shows_its_full_name_on_hover(tmp_path: Path, open_page: Any) -> None:
    long = "陕西山区果农 Shaanxi hill apple growers of the Loess Plateau and their cooperatives"
    nodes = {
        "u": Node("u", "pool"),
        "a": Node("a", "partner", label=long),
        "b": Node("b", "partner"),
    }
    pipes = (Pipe("k1", "u", "a", volume=5.0), Pipe("k2", "a", "b", volume=5.0))
    out = render(Ecosystem("m", nodes=nodes, pipes=pipes), tmp_path / "l.html", view="sankey")
    opened = open_page(out.path, width=900)
    label = next(x for x in opened.api("sankey.labels()") if x["id"] == "a")
    assert label["text"].endswith("\u2026") and label["full"] == long
    box = opened.page.locator("#eg-sankey").bounding_box()
    x = box["x"] + label["x"] + label["w"] / 2
    y = box["y"] + label["y"] + label["h"] / 2
    opened.page.mouse.move(x, y)
    opened.page.wait_for_selector("#eg-sankey-tip:not([hidden])")
    assert opened.page.inner_text("#eg-sankey-tip h3") == long


def test_a_cyclic_map_draws_its_loops_apart(tmp_path: Path, open_page: Any) -> None:
    out = render(cyclic(), tmp_path / "c.html", view="sankey")
    opened = open_page(out.path)
    bands = opened.api("sankey.bands()")
    loops = {(b["source"], b["target"]) for b in bands if b["back"]}
    assert loops == {("c", "c"), ("b", "p"), ("c", "b")}
    colours = opened.page.evaluate(
        "() => [...document.querySelectorAll('#eg-sankey path.eg-band')]"
        ".map(p => [p.classList.contains('eg-return'), p.getAttribute('stroke')])"
    )
    assert {c for back, c in colours if back} == {"#8250DF"}
    assert "#8250DF" not in {c for back, c in colours if not back}
    opened.page.mouse.move(*band_point(opened, "c\u2192c"))
    opened.page.wait_for_selector("#eg-sankey-tip:not([hidden])")
    assert "flows back into itself" in opened.page.inner_text("#eg-sankey-tip")
    assert opened.errors == []


def test_injection_runs_nothing_in_the_sankey_view(tmp_path: Path, open_page: Any) -> None:
    from test_render import EVIL_MAP

    eco = ecograph.loads(EVIL_MAP)
    opened = open_page(render(eco, tmp_path / "evil.html", view="sankey").path)
    page = opened.page
    texts = page.eval_on_selector_all("#eg-sankey text", "els => els.map(e => e.textContent)")
    full = [x["full"] for x in opened.api("sankey.labels()")]
    assert sorted(full) == sorted(n.label for n in eco.nodes.values())
    assert all(
        t == f or (t.endswith("\u2026") and f.startswith(t[:-1]))
        for t, f in zip(texts, full, strict=True)
    )
    assert (
        page.eval_on_selector_all(
            "#eg-sankey img, #eg-sankey script, #eg-sankey b", "e => e.length"
        )
        == 0
    )
    band = opened.api("sankey.bands()")[0]["id"]
    page.mouse.move(*band_point(opened, band))
    page.wait_for_selector("#eg-sankey-tip:not([hidden])")
    assert page.inner_text("#eg-sankey-tip h3").startswith('<b>bold</b><img src=x onerror="')
    assert (
        page.eval_on_selector("#eg-sankey-tip", "e => e.querySelectorAll('img, b, script').length")
        == 0
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert opened.dialogs == [] and opened.errors == []


def test_a_5000_partner_sankey_stays_readable(tmp_path: Path, open_page: Any) -> None:
    eco = large(5000, 12)
    opened = open_page(render(eco, tmp_path / "large.html", view="sankey").path)
    bars = opened.api("sankey.bars()")
    assert len(bars) <= SANKEY_NODES
    labels = opened.api("sankey.labels()")
    assert overlapping(labels) == [] and min(label["px"] for label in labels) >= 11
    assert {f"g{g}" for g in range(12)} <= {label["id"] for label in labels}
    assert opened.errors == []


# -- the picture -----------------------------------------------------------------------------------


def test_the_picture_draws_bands_as_wide_as_volumes(tmp_path: Path) -> None:
    import re
    import xml.etree.ElementTree as ET

    eco = cyclic()
    out = render(eco, tmp_path / "c.svg", view="sankey", format="svg")
    tree = ET.fromstring(out.path.read_bytes())
    ns = {"svg": "http://www.w3.org/2000/svg"}
    widths = {}
    for group in tree.iterfind(".//svg:g", ns):
        gid = group.get("id", "")
        if gid.startswith("band:"):
            path = group.find("svg:path", ns)
            assert path is not None
            found = re.search(r"stroke-width: ?([0-9.]+)", path.get("style", ""))
            assert found is not None
            widths[gid[5:]] = float(found.group(1))
    volume = {f"{p.from_node}\u2192{p.to_node}": p.volume for p in eco.pipes}
    assert widths.keys() == volume.keys()
    ratios = [widths[k] / (volume[k] or 1) for k in widths]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-3)
    png = render(eco, tmp_path / "c.png", view="sankey", format="png").path.read_bytes()
    assert png[:4] == b"\x89PNG"


def test_the_picture_draws_chinese_labels() -> None:
    import warnings

    from test_render_pictures import cjk_font_installed, ink, labelled

    from ecograph.render import static
    from ecograph.render.static import sankey_image

    if not cjk_font_installed():
        pytest.skip("fontconfig lists no Chinese font on this machine")
    # one stroke against many: drawn glyphs differ in ink, missing-glyph boxes would not
    with warnings.catch_warnings():
        warnings.simplefilter("error", static.GlyphWarning)
        one = sankey_image(sankey(describe(labelled("一" * 12)), "traffic"), "png")
        many = sankey_image(sankey(describe(labelled("龍龘" * 6)), "traffic"), "png")
    assert ink(many) > ink(one) + 300, (ink(many), ink(one))


def test_chinese_labels_are_drawn_in_the_page(tmp_path: Path, open_page: Any) -> None:
    from test_render_pictures import cjk_font_installed, ink

    if not cjk_font_installed():
        pytest.skip("fontconfig lists no Chinese font on this machine")
    nodes = {
        "u": Node("u", "pool", label="一" * 6),
        "a": Node("a", "partner", label="龍龘" * 3),
    }
    eco = Ecosystem("m", nodes=nodes, pipes=(Pipe("k", "u", "a", volume=5.0),))
    opened = open_page(render(eco, tmp_path / "zh.html", view="sankey").path)
    shots = {
        n: opened.page.locator(f'#eg-sankey text[data-id="{n}"]').screenshot() for n in ("u", "a")
    }
    # one stroke against many: drawn glyphs differ in ink, missing-glyph boxes would not
    assert ink(shots["a"]) > ink(shots["u"]) + 100, (ink(shots["a"]), ink(shots["u"]))


def test_prototype_names_as_ids_are_bars_like_any_other(tmp_path: Path, open_page: Any) -> None:
    names = ["__proto__", "constructor", "toString", "hasOwnProperty"]
    nodes = {n: Node(n, "partner") for n in names}
    pipes = tuple(
        Pipe(f"{a}->{b}", a, b, volume=float(i + 1))
        for i, (a, b) in enumerate(itertools.pairwise(names))
    )
    out = render(Ecosystem("m", nodes=nodes, pipes=pipes), tmp_path / "proto.html", view="sankey")
    opened = open_page(out.path)
    assert sorted(b["id"] for b in opened.api("sankey.bars()")) == sorted(names)
    assert sorted((b["source"], b["target"]) for b in opened.api("sankey.bands()")) == sorted(
        itertools.pairwise(names)
    )
    assert opened.errors == []
