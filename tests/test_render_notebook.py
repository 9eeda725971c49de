"""The light view a notebook shows (render.svg): well-formed SVG, safe, small, readable.

Checked without a browser (XML parse, element and attribute allow-list, sizes,
positions against the drawing) and in headless Chromium (label boxes from
``getBoundingClientRect``, Chinese drawn as glyphs).
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromium import watch

import ecograph
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import Drawing, describe, render, repr_html, to_html, to_svg
from ecograph.render.collapse import carried_sizes, visible
from ecograph.render.drawing import DrawnNode
from ecograph.render.placement import LABEL_CHARS, SHORT_CHARS, place_labels, shorten
from ecograph.render.svg import EDGE_LIMIT, FONT_FAMILY

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"
#: Every element the light view may hold: shapes, text, tooltips. No script, link,
#: foreignObject, image, style or animation.
ALLOWED = {"svg", "g", "title", "text", "polygon", "polyline", "circle", "rect", "path", "line"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def tag(el: ET.Element) -> str:
    return el.tag.removeprefix(SVG)


def node_titles(root: ET.Element) -> list[str]:
    """First line of every shape's tooltip (a <g> holding a <title> and a node shape)."""
    out = []
    for g in root.iter(SVG + "g"):
        kids = list(g)
        # a node: title + shape (a pipe has title, polyline, polygon)
        if len(kids) == 2 and tag(kids[0]) == "title" and tag(kids[1]) != "polyline":
            out.append((kids[0].text or "").split("\n")[0])
    return out


def labels(root: ET.Element) -> dict[str, str]:
    """Drawn label text per node id."""
    return {
        t.get("data-node", ""): "".join(t.itertext()).removeprefix(t.findtext(SVG + "title") or "")
        for t in root.iter(SVG + "text")
        if t.get("data-node") is not None
    }


def shows(text: str, full: str) -> bool:
    """The drawn text is the full text, or one of its shortened forms."""
    return text in (full, shorten(full, LABEL_CHARS), shorten(full, SHORT_CHARS))


def large(partners: int, groups: int) -> Ecosystem:
    nodes = {"hub": Node("hub", "platform"), "pool": Node("pool", "pool", parent="hub")}
    pipes = []
    for g in range(groups):
        nodes[f"g{g}"] = Node(f"g{g}", "sub-ecosystem", parent="hub", label=f"群组 group {g}")
        pipes.append(Pipe(f"pool->g{g}", "pool", f"g{g}", volume=float(partners)))
    for i in range(partners):
        pid = f"p{i:06d}"
        nodes[pid] = Node(pid, "partner", parent=f"g{i % groups}")
        pipes.append(Pipe(f"g->{pid}", f"g{i % groups}", pid, volume=float(1 + (i * 7919) % 1000)))
    return Ecosystem("large", title="5,000 partners", nodes=nodes, pipes=tuple(pipes))


# -- what it holds --------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_is_well_formed_svg_with_every_node_and_pipe(path: Path) -> None:
    eco = ecograph.load(path)
    drawing = describe(eco)
    root = parse(to_svg(drawing))
    assert {tag(el) for el in root.iter()} <= ALLOWED
    nodes, edges = visible(drawing)
    # every node drawn has its tooltip, whose first line is its label
    assert sorted(node_titles(root)) == sorted(n.label for n in nodes)
    # every pipe drawn has a polyline with a tooltip naming both ends
    pipes = [g for g in root.iter(SVG + "g") if g.find(SVG + "polyline") is not None]
    assert len(pipes) == len(edges)
    label = {n.id: n.label for n in nodes}
    assert sorted((g.findtext(SVG + "title") or "").split("\n")[0] for g in pipes) == sorted(
        f"{label[e.source]} → {label[e.target]}" for e in edges
    )
    # drawn labels show their node's label, whole or shortened; the largest nodes have one
    drawn = labels(root)
    for node_id, text in drawn.items():
        assert shows(text, eco.nodes[node_id].label), (node_id, text)
    groups = {g for g in eco.nodes if eco.children(g)}
    assert groups <= drawn.keys()  # every group outline carries its name
    # the biggest nodes are labelled first: the two biggest always, most of the ten biggest
    # (on a crowded map a group's name may take the room of a big member's label)
    biggest = [n.id for n in sorted(nodes, key=lambda n: -n.size) if n.id not in groups][:10]
    assert set(biggest[:2]) <= drawn.keys()
    assert len(drawn.keys() & set(biggest)) >= 0.8 * len(biggest)
    # header and footer
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts[0] == eco.title
    assert texts[1].startswith(f"{len(eco.nodes):,} nodes · {len(eco.pipes):,} pipes")
    assert f"volumes per {eco.period}" in texts[1]
    assert texts[-1].endswith('ecograph.render(eco, "map.html")')


def test_positions_are_the_drawings_under_one_scale_and_shift() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    drawing = describe(eco)
    root = parse(to_svg(drawing))
    circles = {}
    for g in root.iter(SVG + "g"):
        kids = list(g)
        if len(kids) == 2 and tag(kids[1]) == "circle":
            first = (kids[0].text or "").split("\n")[0]
            circles[first] = (float(kids[1].get("cx", "")), float(kids[1].get("cy", "")))
    dots = [n for n in drawing.nodes if n.shape == "dot"]
    assert len(dots) >= 5 and len(circles) == len(dots)
    # least squares: px = s * x + a, py = s * y + b, one s for both axes (no distortion)
    rows, rhs = [], []
    for n in dots:
        px, py = circles[n.label]
        rows += [[n.x, 1, 0], [n.y, 0, 1]]
        rhs += [px, py]
    coef, residual, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    assert coef[0] > 0
    assert math.sqrt(residual[0] / len(rhs)) < 0.1  # coordinates are rounded to 0.1 px


def test_hostile_text_is_shown_as_text_and_runs_nothing() -> None:
    hostile = {
        "a": "<script>alert(1)</script>\"' & </text></svg><img src=x onerror=alert(2)>",
        "b": "]]><!-- --> <![CDATA[ x ]]> \x01\x1f control",
        "c": "javascript:alert(3) {{7*7}} ${alert(4)}",
    }
    nodes = {k: Node(k, "partner", label=v) for k, v in hostile.items()}
    nodes["u"] = Node("u", "pool", label="<title>users</title>")
    eco = Ecosystem(
        "evil",
        title='</title><script>alert("t")</script>',
        nodes=nodes,
        pipes=tuple(
            Pipe(f"u->{k}", "u", k, volume=1.0, label="<b onmouseover=x>") for k in hostile
        ),
    )
    svg = repr_html(eco)
    root = parse(svg)  # well-formed: nothing escaped its element
    assert {tag(el) for el in root.iter()} <= ALLOWED
    assert not [
        (el.tag, name)
        for el in root.iter()
        for name in el.attrib
        if name.lower().startswith("on") or "href" in name.lower()
    ]
    assert "<script" not in svg and "<img" not in svg
    titles = [(t.text or "") for t in root.iter(SVG + "title")]
    firsts = {t.split("\n")[0] for t in titles}
    assert {hostile["a"], hostile["c"], "<title>users</title>"} <= firsts
    # characters XML cannot hold are spelt out, not dropped
    assert "]]><!-- --> <![CDATA[ x ]]> \\x01\\x1f control" in firsts
    header = "".join(next(root.iter(SVG + "text")).itertext())
    assert header == '</title><script>alert("t")</script>'


def test_a_5000_partner_map_is_a_small_labelled_overview() -> None:
    eco = large(5000, 12)
    drawing = describe(eco)
    svg = to_svg(drawing)
    root = parse(svg)
    assert len(svg.encode()) < 30_000
    nodes, _edges = visible(drawing)
    assert sorted(n.id for n in nodes) == sorted(["hub", "pool", *(f"g{g}" for g in range(12))])
    drawn = labels(root)
    # every top-level group is labelled, with the members it stands for
    for g in range(12):
        members = len(next(x for x in drawing.groups if x.id == f"g{g}").members)
        assert shows(drawn[f"g{g}"], f"群组 group {g} (+{members:,})"), drawn[f"g{g}"]
    # a collapsed group is drawn as big as what it carries (the page's rule), by hand:
    size = {n.id: n.size for n in drawing.nodes}
    g0 = next(x for x in drawing.groups if x.id == "g0")
    area = size["g0"] ** 2 + sum(size[m] ** 2 for m in g0.members)
    assert carried_sizes(drawing)["g0"] == pytest.approx(min(math.sqrt(area), 5 * size["g0"], 80))


def test_sizes_are_a_small_part_of_the_page() -> None:
    for path in EXAMPLES:
        drawing = describe(ecograph.load(path))
        light = len(to_svg(drawing).encode())
        page = len(to_html(drawing).encode())
        assert light < 100_000 and light * 6 < page, (path.stem, light, page)


def test_a_rendered_file_shows_its_path_and_can_show_itself(tmp_path: Path) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    out = render(eco, tmp_path / "t.html")
    view = parse(out._repr_html_())
    assert "".join(list(view.iter(SVG + "text"))[-1].itertext()).endswith(str(out.path))
    assert len(out._repr_html_()) * 6 < len(out.show()._repr_html_())
    assert (
        out.show(height=300)
        ._repr_html_()
        .startswith('<iframe sandbox="allow-scripts" style="width:100%;height:300px')
    )


def test_the_ecosystem_shows_the_light_view() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "xiaomi.yaml")
    assert eco._repr_html_() == to_svg(describe(eco))


# -- in a browser ---------------------------------------------------------------------------


@pytest.fixture
def opened(browser: Any, tmp_path: Path) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(drawing: Drawing, name: str, family: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        contexts.append(context)
        page = context.new_page()
        problems: Any = type("Problems", (), {})()
        problems.external, problems.errors, problems.dialogs = [], [], []
        watch(page, problems)
        path = tmp_path / f"{name}.html"
        svg = to_svg(drawing)
        if family is not None:  # as drawn where the first fonts asked for are missing
            svg = svg.replace(
                f'font-family="{html.escape(FONT_FAMILY)}"', f'font-family="{family}"'
            )
            assert family in svg
        path.write_text(
            "<!DOCTYPE html><meta charset=utf-8><body style='margin:0'>" + svg, encoding="utf-8"
        )
        page.goto(path.as_uri())
        page.problems = problems
        return page

    yield opener
    for context in contexts:
        context.close()


BOXES = """() => [...document.querySelectorAll('text[data-node]')].map(t => {
  const b = t.getBoundingClientRect();
  return {id: t.dataset.node, text: t.lastChild.textContent, x: b.x, y: b.y, w: b.width,
          h: b.height, px: parseFloat(getComputedStyle(t).fontSize)};
})"""


def overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of boxes that share any area (a plain all-pairs check)."""
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    ]


@pytest.mark.parametrize("family", [None, "DejaVu Sans, Noto Sans CJK SC"], ids=["asked", "dejavu"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_labels_in_chromium_never_overlap_and_stay_on_the_map(
    path: Path, family: str | None, opened: Any, tmp_path: Path
) -> None:
    drawing = describe(ecograph.load(path))
    page = opened(drawing, path.stem, family)
    boxes = page.evaluate(BOXES)
    assert len(boxes) >= min(len(visible(drawing)[0]) // 2, 20)
    assert overlapping(boxes) == []
    svg = page.locator("svg").bounding_box()
    legend_x = svg["width"] - 210
    for b in boxes:
        assert b["px"] >= 11
        assert b["x"] >= 0 and b["x"] + b["w"] <= legend_x, b  # never under the legend
        assert b["w"] > 0 and b["h"] > 0
    assert page.problems.errors == [] and page.problems.external == []
    page.screenshot(path=str(tmp_path / f"{path.stem}.png"), full_page=True)


def test_chinese_is_drawn_as_glyphs_in_chromium(opened: Any) -> None:
    drawing = describe(ecograph.load(ROOT / "ecosystems" / "alibaba.yaml"))
    page = opened(drawing, "alibaba")
    label = page.locator("text[data-node='taobao-users']")
    assert re.match("[\u4e00-\u9fff]", label.text_content() or "")
    # the same box drawn with other Chinese characters looks different: glyphs, not
    # the one missing-glyph box every character would share
    before = label.screenshot()
    page.evaluate(
        """() => { const t = document.querySelector("text[data-node='taobao-users']");
                   t.lastChild.textContent = t.lastChild.textContent.replace(
                     /[\\u4e00-\\u9fff]/g, (c, i) => '口田目日'[i % 4]); }"""
    )
    after = label.screenshot()
    assert before != after
    # and a character no font has is drawn differently from a real one
    page.evaluate(
        """() => { const t = document.querySelector("text[data-node='taobao-users']");
                   t.lastChild.textContent = t.lastChild.textContent.replace(
                     /[\\u4e00-\\u9fff]/g, '\\u{10FFFD}'); }"""
    )
    assert label.screenshot() not in (before, after)


def test_above_the_pipe_budget_the_widest_are_drawn_and_the_view_says_so() -> None:
    n = EDGE_LIMIT + 50
    nodes = {"u": Node("u", "pool")} | {f"p{i}": Node(f"p{i}", "partner") for i in range(n)}
    pipes = [Pipe(f"u->p{i}", "u", f"p{i}", volume=float(i + 1)) for i in range(n)]
    pipes.append(Pipe("u->p0:blocked", "u", "p0", volume=None, status="blocked"))
    eco = Ecosystem("wide", nodes=nodes, pipes=tuple(pipes))
    drawing = describe(eco)
    root = parse(to_svg(drawing))
    drawn = [g for g in root.iter(SVG + "g") if g.find(SVG + "polyline") is not None]
    assert len(drawn) == EDGE_LIMIT
    # by hand: volumes 1..n, so the widest are the pipes to p(n-EDGE_LIMIT+1) .. p(n-1),
    # plus the blocked pipe, which is always drawn
    heads = {(g.findtext(SVG + "title") or "").split("\n")[0] for g in drawn}
    wanted = {f"u → p{i}" for i in range(n - EDGE_LIMIT + 1, n)} | {"u → p0"}
    assert heads == wanted
    assert any("status: blocked" in (g.findtext(SVG + "title") or "") for g in drawn)
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert any(f"draws the {EDGE_LIMIT:,} widest of those {n + 1:,} pipes" in t for t in texts)


def test_placed_labels_never_overlap_each_other_nodes_or_the_bounds() -> None:
    # seeded random crowds of nodes; every pair of results checked, none trusted
    rng = np.random.default_rng(7)
    for trial in range(20):
        count = int(rng.integers(5, 120))
        nodes = [
            DrawnNode(f"n{i}", f"node {i} " + "x" * int(rng.integers(0, 30)), "partner",
                      None, 0, 0.0, 0.0, float(rng.uniform(3, 20)), None, "#009E73", "dot")
            for i in range(count)
        ]  # fmt: skip
        centre = {n.id: (float(rng.uniform(0, 600)), float(rng.uniform(0, 400))) for n in nodes}
        radius = {n.id: n.size for n in nodes}
        bounds = (-20.0, -20.0, 620.0, 420.0)
        placed = place_labels(
            nodes,
            centre,
            radius,
            {n.id: n.label for n in nodes},
            {},
            lambda text, bold: (6.0 * len(text), 12.0),
            within=bounds,
        )
        boxes = [(p.x, p.y, p.x + p.width, p.y + p.height) for p in placed]
        for i, a in enumerate(boxes):
            assert (
                bounds[0] <= a[0] and a[2] <= bounds[2] and bounds[1] <= a[1] and a[3] <= bounds[3]
            )
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), trial
            for n in nodes:  # no label covers the middle of a node
                (x, y), r = centre[n.id], radius[n.id] * 0.8
                if r >= 1.5:
                    assert not (a[0] < x + r and x - r < a[2] and a[1] < y + r and y - r < a[3])
        for p in placed:
            assert shows(p.text, p.full) and p.width == 6.0 * len(p.text)
        # most important first: labels come in order of node size, and most nodes get one
        sizes = [radius[p.id] for p in placed]
        assert sizes == sorted(sizes, reverse=True)
        assert len(placed) >= min(count, 10) // 2
