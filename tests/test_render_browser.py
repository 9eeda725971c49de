"""The map page in a real headless Chromium: offline, counts, search, filters, collapse, safety.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright (which never
downloads a browser here). Without it the tests skip, except under CI
(``CI=true``), where they fail: CI must install it.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromium import READY, watch

import ecograph
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import Drawing, render, style
from ecograph.render.collapse import visible

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


@dataclass
class Opened:
    """A loaded page and everything it tried or complained about."""

    page: Any
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def api(self, expression: str) -> Any:
        return self.page.evaluate(f"() => window.ecograph.{expression}")

    def counts(self) -> tuple[int, int]:
        c = self.api("counts()")
        return c["nodes"], c["edges"]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(path: Path, *, width: int = 1400, height: int = 900) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        watch(page, opened)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(READY, state="attached", timeout=60_000)
        return opened

    yield opener
    for context in contexts:
        context.close()


def draw(tmp_path: Path, eco: Ecosystem, name: str = "map", **options: Any) -> tuple[Path, Drawing]:
    out = render(eco, tmp_path / f"{name}.html", **options)
    return out.path, out.drawing


def alibaba() -> Ecosystem:
    return ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")


def screen_point(opened: Opened, node: str) -> tuple[float, float]:
    """Where a node is drawn, in page coordinates."""
    p = opened.page.evaluate(
        """(id) => {
          const n = window.ecograph.network;
          const dom = n.canvasToDOM(n.getPosition(window.ecograph.visId(id)));
          const box = document.getElementById('eg-network').getBoundingClientRect();
          return {x: dom.x + box.left, y: dom.y + box.top};
        }""",
        node,
    )
    return p["x"], p["y"]


def pixel_spread(png: bytes) -> tuple[float, int]:
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    colours = len(np.unique(image.reshape(-1, 3).astype(np.int64) @ np.array([65536, 256, 1])))
    return float(image.std()), colours


# -- every example ------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_page_works_offline_and_draws_every_node_and_pipe(
    path: Path, tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(path)
    page_path, _drawing = draw(tmp_path, eco, path.stem)
    opened = open_page(page_path)
    assert opened.external == []
    assert opened.errors == []
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    assert opened.page.title() == eco.title
    assert opened.page.inner_text("#eg-title") == eco.title
    assert f"volumes per {eco.period}" in opened.page.inner_text("#eg-meta")
    shot = opened.page.locator("#eg-network").screenshot()
    spread, colours = pixel_spread(shot)
    assert spread > 10 and colours > 50, (spread, colours)
    (tmp_path / f"{path.stem}.png").write_bytes(shot)


# -- reading aids ------------------------------------------------------------------------


def overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of label boxes that share any area (a plain all-pairs check)."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                out.append((a["text"], b["text"]))
    return out


def shows(label: dict[str, Any], full: str) -> bool:
    """The drawn text is the full text, or a prefix of it ending in an ellipsis."""
    text = label["text"]
    return text == full or (text.endswith("\u2026") and full.startswith(text[:-1]))


def group_tree(eco: Ecosystem) -> list[str]:
    """The map's groups (nodes with members), each followed by its subgroups, in file order."""
    out: list[str] = []

    def walk(parent: str | None) -> None:
        for child in eco.children(parent):
            if eco.children(child):
                out.append(child)
                walk(child)

    walk(None)
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_labels_never_overlap_and_every_outline_is_named(
    path: Path, tmp_path: Path, open_page: Any
) -> None:
    # the force view, whatever "auto" picks for the map: the view with group outlines
    eco = ecograph.load(path)
    opened = open_page(draw(tmp_path, eco, path.stem, layout="force")[0])
    box = opened.page.locator("#eg-network").bounding_box()
    fit = opened.api("network.getScale()")
    for zoom in (None, 0.6, 2.5):
        if zoom is not None:
            opened.page.evaluate(
                f"() => window.ecograph.network.moveTo({{scale: {fit * zoom}, animation: false}})"
            )
        labels = opened.api("labels()")
        assert overlapping(labels) == []
        assert all(label["px"] >= 11 for label in labels)
        for label in labels:
            assert shows(label, label["full"])
            assert label["x"] + label["w"] > 0 and label["x"] < box["width"]
        outlines = dict(opened.api("outlines()"))
        named = {label["id"]: label for label in labels if label["kind"] == "group"}
        # every outline wholly on screen carries its group's name
        inside = {
            g
            for g, b in outlines.items()
            if b["x"] >= 0
            and b["y"] >= 0
            and b["x"] + b["w"] <= box["width"]
            and b["y"] + b["h"] <= box["height"]
        }
        assert inside <= named.keys(), inside - named.keys()
        for group in inside:
            assert shows(named[group], eco.nodes[group].label)
        if zoom is None:
            # at the opening zoom the whole map is in view: every group is outlined and named,
            # and the biggest nodes that are not groups are labelled
            groups = {g for g in eco.nodes if eco.children(g)}
            assert set(outlines) == groups == inside
            big = sorted(
                (n for n in opened.api("data.nodes") if n["id"] not in groups),
                key=lambda n: -n["size"],
            )[:3]
            drawn = {label["id"] for label in labels}
            assert {n["id"] for n in big} <= drawn


def test_sidebar_lists_groups_as_the_map_tree(tmp_path: Path, open_page: Any) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")
    opened = open_page(draw(tmp_path, eco)[0])
    rows = opened.page.eval_on_selector_all(
        "#eg-groups li[data-group]",
        "els => els.map(e => [e.dataset.group, +e.dataset.level, "
        "e.querySelector('.eg-small').textContent])",
    )
    assert [r[0] for r in rows] == group_tree(eco)
    for group, level, count in rows:
        assert level == len(eco.ancestors_in_tree(group))
        assert count == str(len(eco.members(group)))
    # the cases: Rural Taobao sits under Taobao, Taobao under Alibaba
    order = [r[0] for r in rows]
    assert order.index("alibaba") < order.index("taobao") < order.index("rural-taobao")


def test_hovering_a_shortened_label_shows_the_full_name(tmp_path: Path, open_page: Any) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")
    opened = open_page(draw(tmp_path, eco)[0])
    opened.api("setPhysics(false)")
    short = [x for x in opened.api("labels()") if x["text"] != x["full"]]
    assert short, "china-internet has long names: some label must be shortened"
    label = short[0]
    box = opened.page.locator("#eg-network").bounding_box()
    opened.page.mouse.move(
        box["x"] + label["x"] + label["w"] / 2, box["y"] + label["y"] + label["h"] / 2
    )
    opened.page.wait_for_selector("#eg-tip:not([hidden])")
    assert opened.page.eval_on_selector("#eg-tip", "e => e.dataset.id") == label["id"]
    assert opened.page.inner_text("#eg-tip h3").startswith(label["full"])


def test_search_by_label_and_by_id_focuses_the_node(tmp_path: Path, open_page: Any) -> None:
    opened = open_page(draw(tmp_path, alibaba())[0])
    page = opened.page
    page.fill("#eg-search", "钉钉")
    found = page.eval_on_selector_all("#eg-results li", "els => els.map(e => e.dataset.node)")
    assert "dingtalk" in found and "dingtalk-users" in found
    page.fill("#eg-search", "erp-VENDOR")
    assert page.eval_on_selector_all("#eg-results li", "els => els.map(e => e.dataset.node)") == [
        "erp-vendor"
    ]
    page.press("#eg-search", "Enter")
    assert opened.api("focused()") == "erp-vendor"
    assert opened.api("selected()") == ["erp-vendor"]
    page.fill("#eg-search", "no-such-thing")
    assert page.inner_text("#eg-results") == "no node matches"
    assert opened.errors == []


def test_search_reveals_a_member_of_a_collapsed_group(tmp_path: Path, open_page: Any) -> None:
    opened = open_page(draw(tmp_path, alibaba(), collapse=["dingtalk"])[0])
    assert "dingtalk" in opened.api("collapsed()")
    opened.page.fill("#eg-search", "hr-saas")
    opened.page.click("#eg-results li")
    assert "dingtalk" not in opened.api("collapsed()")
    assert opened.api("focused()") == "hr-saas"


def test_kind_and_currency_filters_hide_what_is_unticked(tmp_path: Path, open_page: Any) -> None:
    eco = alibaba()
    opened = open_page(draw(tmp_path, eco)[0])
    partners = {n for n, node in eco.nodes.items() if node.kind == "partner"}
    touching = sum(1 for p in eco.pipes if p.from_node in partners or p.to_node in partners)
    box = '#eg-legend-kinds input[data-key="partner"]'
    opened.page.uncheck(box)
    assert opened.counts() == (len(eco.nodes) - len(partners), len(eco.pipes) - touching)
    opened.page.check(box)
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    capital = sum(1 for p in eco.pipes if p.kind == "capital")
    opened.page.uncheck('#eg-legend-currencies input[data-key="capital"]')
    assert opened.counts() == (len(eco.nodes), len(eco.pipes) - capital)
    assert opened.errors == []


def test_collapse_and_expand_a_group_rolls_its_pipes_up(tmp_path: Path, open_page: Any) -> None:
    eco = alibaba()
    page_path, drawing = draw(tmp_path, eco)
    opened = open_page(page_path)
    button = '#eg-groups li[data-group="dingtalk"] button'
    assert opened.page.inner_text(button) == "collapse"
    opened.page.click(button)
    assert opened.api("collapsed()") == ["dingtalk"]
    nodes, edges = visible(drawing, ["dingtalk"])
    assert opened.counts() == (len(nodes), len(edges))
    expected = sorted(
        (e.source, e.target, e.currency, e.volume, e.pipes, e.blocked)
        for e in edges
        if e.id.startswith("collapsed:")
    )
    rolled = sorted(
        (r["from"], r["to"], r["currency"], r["volume"], r["pipes"], r["blocked"])
        for r in opened.api("rolled()")
    )
    assert rolled == expected and rolled
    assert opened.page.inner_text(button) == "expand"
    opened.page.click(button)
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    assert opened.api("rolled()") == []
    # double-clicking the group's node on the map does the same
    opened.api("setPhysics(false)")
    x, y = screen_point(opened, "dingtalk")
    opened.page.mouse.dblclick(x, y)
    assert opened.api("collapsed()") == ["dingtalk"]
    assert opened.errors == []


def test_depth_option_starts_with_deep_groups_collapsed(tmp_path: Path, open_page: Any) -> None:
    page_path, drawing = draw(tmp_path, alibaba(), depth=1)
    opened = open_page(page_path)
    assert opened.api("collapsed()") == sorted(g.id for g in drawing.groups if g.depth >= 1)
    nodes, edges = visible(drawing)
    assert opened.counts() == (len(nodes), len(edges))
    opened.page.click("#eg-expand-all")
    assert opened.counts() == (len(drawing.nodes), len(drawing.edges))
    opened.page.click("#eg-collapse-all")
    top_nodes, top_edges = visible(drawing, [g.id for g in drawing.groups])
    assert opened.counts() == (len(top_nodes), len(top_edges))


def test_legend_lists_the_kinds_and_currencies_drawn(tmp_path: Path, open_page: Any) -> None:
    page_path, drawing = draw(tmp_path, alibaba())
    opened = open_page(page_path)
    kinds = opened.page.eval_on_selector_all(
        "#eg-legend-kinds li",
        """els => els.map(e => [e.dataset.key, e.querySelector('.eg-count').textContent,
                               e.querySelector('svg [fill]').getAttribute('fill')])""",
    )
    assert kinds == [[e.key, str(e.count), e.color] for e in drawing.legend if e.section == "kind"]
    currencies = opened.page.eval_on_selector_all(
        "#eg-legend-currencies li", "els => els.map(e => e.dataset.key)"
    )
    assert currencies == ["traffic", "capital", "goods", "data"]
    assert opened.page.inner_text("#eg-legend-marks").startswith("blocked pipe")
    assert "Node size: users" in opened.page.inner_text("#eg-size-text")


def test_tooltips_show_attributes_as_text(tmp_path: Path, open_page: Any) -> None:
    opened = open_page(draw(tmp_path, alibaba())[0])
    opened.api("setPhysics(false)")
    x, y = screen_point(opened, "erp-vendor")
    opened.page.mouse.move(x, y)
    opened.page.wait_for_selector("#eg-tip:not([hidden])")
    text = opened.page.inner_text("#eg-tip")
    assert "企业ERP软件商 ERP software vendor" in text
    assert "member of" in text and "钉钉 DingTalk (dingtalk)" in text
    assert opened.page.eval_on_selector("#eg-tip", "e => e.dataset.id") == "erp-vendor"
    # a pipe: hover the middle of a straight one
    opened.page.mouse.move(5, 5)
    opened.page.wait_for_selector("#eg-tip", state="hidden")
    (ax, ay), (bx, by) = screen_point(opened, "taobao-users"), screen_point(opened, "tmall-users")
    opened.page.mouse.move((ax + bx) / 2, (ay + by) / 2)
    opened.page.wait_for_selector("#eg-tip:not([hidden])")
    assert opened.page.eval_on_selector("#eg-tip", "e => e.dataset.id") == (
        "taobao-users->tmall-users:traffic"
    )
    text = opened.page.inner_text("#eg-tip")
    assert "淘宝用户 Taobao users → 天猫用户 Tmall users" in text
    assert "volume per month" in text and "visits" in text


def test_clicking_a_node_lights_up_its_neighbourhood(tmp_path: Path, open_page: Any) -> None:
    eco = alibaba()
    opened = open_page(draw(tmp_path, eco)[0])
    opened.api("setPhysics(false)")
    before = opened.page.locator("#eg-network").screenshot()
    x, y = screen_point(opened, "dingtalk-open-platform")
    opened.page.mouse.click(x, y)
    assert opened.api("focused()") == "dingtalk-open-platform"
    expected = {"dingtalk-open-platform"}
    for p in eco.pipes:
        if "dingtalk-open-platform" in (p.from_node, p.to_node):
            expected |= {p.from_node, p.to_node}
    assert set(opened.api("neighbourhood()")) == expected
    after = opened.page.locator("#eg-network").screenshot()
    assert pixel_spread(after)[0] != pixel_spread(before)[0]
    box = opened.page.locator("#eg-network").bounding_box()
    opened.page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
    assert opened.api("focused()") is None


def pixel_at(opened: Opened, x: float, y: float) -> tuple[int, int, int]:
    """The colour drawn at a page point."""
    from PIL import Image

    image = Image.open(io.BytesIO(opened.page.screenshot())).convert("RGB")
    r, g, b = image.getpixel((round(x), round(y)))
    return r, g, b


def dimmed(opened: Opened) -> tuple[set[str], set[str]]:
    """The nodes and pipes the vis-network data sets draw faint (opacity below 1)."""
    nodes = opened.api("nodes.get().filter(n => n.opacity !== undefined && n.opacity < 1)")
    edges = opened.api(
        "edges.get().filter(e => !e.hidden && e.color && e.color.opacity !== undefined"
        " && e.color.opacity < 1)"
    )
    return {n["id"][2:] for n in nodes}, {e["id"][2:] for e in edges}


def test_a_bottleneck_highlight_dims_everything_else(tmp_path: Path, open_page: Any) -> None:
    eco = alibaba()
    page_path, drawing = draw(tmp_path, eco, highlight="bottlenecks", to="erp-vendor")
    cut = {e.id for e in drawing.edges if e.bottleneck}
    assert cut
    opened = open_page(page_path)
    lit = opened.api("lit()")
    # the cut's pipes stand out with their ends, nothing else
    ends = {p for e in drawing.edges if e.id in cut for p in (e.source, e.target)}
    assert set(lit["edges"]) == cut and set(lit["nodes"]) == ends
    # in the data sets: every other node and pipe faint, at the page's dimmed opacity
    faint_nodes, faint_edges = dimmed(opened)
    assert faint_nodes == {n.id for n in drawing.nodes} - ends
    assert faint_edges == {e.id for e in drawing.edges} - cut
    assert {n["opacity"] for n in opened.api("nodes.get()") if n["id"][2:] in faint_nodes} == {
        style.DIMMED
    }
    # a node away from the cut is veiled: its centre is much lighter than when nothing is lit
    other = next(n.id for n in drawing.nodes if n.id not in ends and n.kind == "pool")
    x, y = screen_point(opened, other)
    veiled = pixel_at(opened, x, y)
    box = '#eg-legend-marks input[data-key="bottleneck"]'
    assert opened.page.is_checked(box)
    opened.page.uncheck(box)
    assert opened.api("lit()") is None
    plain = pixel_at(opened, x, y)
    assert sum(veiled) > sum(plain) + 75, (veiled, plain)
    assert dimmed(opened) == (set(), set())  # unticked: nothing faint any more
    # blocked pipes can be made to stand out the same way
    opened.page.check('#eg-legend-marks input[data-key="blocked"]')
    blocked = {e.id for e in drawing.edges if e.blocked}
    assert set(opened.api("lit()")["edges"]) == blocked and blocked
    assert opened.errors == []


def test_clearing_the_search_restores_the_view(tmp_path: Path, open_page: Any) -> None:
    opened = open_page(draw(tmp_path, alibaba())[0])
    opened.page.fill("#eg-search", "cainiao")
    opened.page.press("#eg-search", "Enter")
    assert opened.api("focused()") == "cainiao"
    assert opened.api("lit()") is not None
    opened.page.fill("#eg-search", "")
    assert opened.api("focused()") is None
    assert opened.api("lit()") is None and opened.api("selected()") == []
    assert opened.page.eval_on_selector_all("#eg-results li", "els => els.length") == 0


def test_flow_view_page_keeps_the_layers_and_labels_apart(tmp_path: Path, open_page: Any) -> None:
    page_path, drawing = draw(tmp_path, alibaba(), layout="flow")
    opened = open_page(page_path)
    assert opened.api("physics()") is False
    pos = dict(opened.api("positions()"))
    for node in drawing.nodes:  # the page keeps the layered positions
        assert pos[node.id]["x"] == pytest.approx(node.x, abs=1)  # vis-network rounds
        assert pos[node.id]["y"] == pytest.approx(node.y, abs=1)
    pools = [pos[n.id]["x"] for n in drawing.nodes if n.kind == "pool"]
    producers = [pos[n.id]["x"] for n in drawing.nodes if n.kind == "producer"]
    assert max(pools) < min(producers)
    labels = opened.api("labels()")
    assert overlapping(labels) == [] and len(labels) >= len(drawing.nodes) // 2
    assert opened.api("outlines()") == []  # members sit by flow, not by group
    assert opened.errors == []


def test_same_map_same_positions_and_physics_can_be_started_and_frozen(
    tmp_path: Path, open_page: Any
) -> None:
    page_path, _ = draw(tmp_path, alibaba(), layout="force")
    first = open_page(page_path)
    second = open_page(page_path)
    a, b = dict(first.api("positions()")), dict(second.api("positions()"))
    assert a.keys() == b.keys()
    for node in a:
        assert a[node]["x"] == pytest.approx(b[node]["x"], abs=1e-6)
        assert a[node]["y"] == pytest.approx(b[node]["y"], abs=1e-6)
    # the page opens still, on the drawing's positions; Unfreeze starts the physics
    assert first.api("physics()") is False
    assert first.page.inner_text("#eg-physics") == "Unfreeze"
    first.page.wait_for_timeout(300)
    assert dict(first.api("positions()")) == a
    first.page.click("#eg-physics")
    assert first.api("physics()") is True
    first.page.wait_for_timeout(600)
    first.page.click("#eg-physics")
    assert first.api("physics()") is False
    moved = dict(first.api("positions()"))
    assert any(moved[n] != a[n] for n in a)  # the physics did move them
    first.page.wait_for_timeout(300)
    assert dict(first.api("positions()")) == moved
    assert first.errors == []


def test_hierarchical_layout_draws_containers_above_members(tmp_path: Path, open_page: Any) -> None:
    eco = alibaba()
    opened = open_page(draw(tmp_path, eco, layout="hierarchical")[0])
    pos = dict(opened.api("positions()"))
    for node in eco.nodes.values():
        if node.parent is not None:
            assert pos[node.parent]["y"] < pos[node.id]["y"]
    assert opened.api("physics()") is False


# -- safety -------------------------------------------------------------------------------


def test_injection_corpus_runs_nothing_and_shows_every_string_literally(
    tmp_path: Path, open_page: Any
) -> None:
    from test_render import EVIL_MAP, EVIL_TITLE

    eco = ecograph.loads(EVIL_MAP)
    opened = open_page(draw(tmp_path, eco, "evil")[0])
    page = opened.page
    assert opened.dialogs == []
    assert opened.errors == []
    assert opened.external == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.title() == EVIL_TITLE
    assert page.inner_text("#eg-title") == EVIL_TITLE
    assert page.eval_on_selector_all("img, iframe, object, embed, a", "els => els.length") == 0
    assert page.eval_on_selector_all("script", "els => els.length") == 4
    assert "</script><script>window.__pwned=2</script>" in page.inner_text("#eg-description")
    # search results and tooltips show the labels as text
    page.fill("#eg-search", "bold")
    assert page.inner_text("#eg-results li").startswith('<b>bold</b><img src=x onerror="')
    opened.api("setPhysics(false)")
    x, y = screen_point(opened, "<img/src=x/onerror=window.__pwned=3>")
    page.mouse.move(x, y)
    page.wait_for_selector("#eg-tip:not([hidden])")
    tip = page.inner_text("#eg-tip")
    assert "javascript:window.__pwned=5" in tip and "<svg/onload=window.__pwned=6>" in tip
    assert (
        page.eval_on_selector(
            "#eg-tip", "e => e.querySelectorAll('*:not(h3,table,tbody,tr,th,td)').length"
        )
        == 0
    )
    assert opened.counts() == (2, 1)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert opened.dialogs == [] and opened.errors == []


# -- large maps ------------------------------------------------------------------------------


def large(partners: int, groups: int) -> Ecosystem:
    nodes = {"hub": Node("hub", "platform"), "pool": Node("pool", "pool", parent="hub")}
    pipes = []
    for g in range(groups):
        nodes[f"g{g}"] = Node(f"g{g}", "sub-ecosystem", parent="hub")
        pipes.append(Pipe(f"pool->g{g}", "pool", f"g{g}", volume=float(partners)))
    for i in range(partners):
        pid = f"p{i:06d}"
        nodes[pid] = Node(pid, "partner", parent=f"g{i % groups}")
        pipes.append(Pipe(f"g->{pid}", f"g{i % groups}", pid, volume=float(1 + (i * 7919) % 1000)))
    return Ecosystem("large", title="100k partners", nodes=nodes, pipes=tuple(pipes))


def test_a_100k_partner_map_folds_its_tail_and_stays_usable(tmp_path: Path, open_page: Any) -> None:
    eco = large(100_000, 40)
    page_path, drawing = draw(tmp_path, eco, "large")
    assert len(drawing.nodes) <= 2000 and len(drawing.folds) == 40
    opened = open_page(page_path)
    # it opens on the overview: the hub, its pool and its 40 groups, collapsed
    nodes, edges = visible(drawing)
    assert len(nodes) == 42
    assert opened.counts() == (len(nodes), len(edges))
    assert opened.errors == [] and opened.external == []
    notes = opened.page.inner_text("#eg-notes")
    assert "folded into summary nodes" in notes and "Opened on the overview" in notes
    opened.page.click("#eg-expand-all")
    assert opened.counts() == (len(drawing.nodes), len(drawing.edges))
    assert opened.page.is_visible("#eg-folds-section")
    assert opened.page.locator("#eg-folds li").count() == 40
    folded = drawing.folds[0].ids[-1]
    opened.page.fill("#eg-search", folded)
    assert opened.page.eval_on_selector("#eg-results li", "e => e.dataset.folded") == folded
    assert "folded into +" in opened.page.inner_text("#eg-results li")


def test_a_5000_partner_map_opens_on_a_labelled_overview(tmp_path: Path, open_page: Any) -> None:
    eco = large(5000, 12)
    opened = open_page(draw(tmp_path, eco, "large")[0])
    groups = [f"g{g}" for g in range(12)]
    # the top-level group is open, the twelve groups inside it collapsed and labelled
    assert opened.api("collapsed()") == sorted(groups)
    assert opened.api("shown()")["nodes"] == sorted(["hub", "pool", *groups])
    labels = opened.api("labels()")
    assert overlapping(labels) == []
    drawn = {label["id"]: label for label in labels}
    assert {"hub", *groups} <= drawn.keys()
    assert drawn["hub"]["kind"] == "group" and drawn["hub"]["text"] == "hub"
    for g in groups:
        members = sum(1 for n in eco.nodes.values() if n.parent == g)
        # "+N": drawn members (the long tail folded into one); the group's name in full
        assert drawn[g]["text"].startswith(f"{g} (+")
        assert 0 < int(drawn[g]["text"][len(g) + 3 : -1]) <= members
    # a collapsed group is drawn as big as what it carries: the areas of its members
    d = opened.api("data")
    size = {n["id"]: n["size"] for n in d["nodes"]}
    g0 = next(g for g in d["groups"] if g["id"] == "g0")
    carried = min(
        math.sqrt(size["g0"] ** 2 + sum(size[m] ** 2 for m in g0["members"])), 5 * size["g0"], 80
    )
    assert opened.api("nodes.get('n:g0').size") == pytest.approx(carried)
    assert carried > size["g0"]
    # a double-click opens a group in place
    opened.api("setPhysics(false)")
    before = dict(opened.api("positions()"))["g3"]
    x, y = screen_point(opened, "g3")
    opened.page.mouse.dblclick(x, y)
    assert "g3" not in opened.api("collapsed()")
    shown = set(opened.api("shown()")["nodes"])
    assert {n for n in eco.nodes if eco.nodes[n].parent == "g3"} & shown
    assert dict(opened.api("positions()"))["g3"] == before
    assert opened.errors == []


def test_rolled_up_pipes_are_as_wide_as_the_volume_they_carry(
    tmp_path: Path, open_page: Any
) -> None:
    nodes = {"a": Node("a", "sub-ecosystem"), "b": Node("b", "sub-ecosystem")}
    nodes |= {"c": Node("c", "sub-ecosystem")}
    pipes = []
    for group, volume in (("b", 100.0), ("c", 900.0)):
        for i in range(3):
            nodes[f"{group}{i}"] = Node(f"{group}{i}", "partner", parent=group)
            nodes[f"a{group}{i}"] = Node(f"a{group}{i}", "pool", parent="a")
            pipes.append(
                Pipe(f"a{group}{i}->{group}{i}", f"a{group}{i}", f"{group}{i}", volume=volume)
            )
    eco = Ecosystem("r", nodes=nodes, pipes=tuple(pipes))
    opened = open_page(draw(tmp_path, eco, collapse=["a", "b", "c"])[0])
    rolled = {(r["from"], r["to"]): r for r in opened.api("rolled()")}
    assert rolled[("a", "b")]["volume"] == 300.0 and rolled[("a", "c")]["volume"] == 2700.0
    # widths grow with the square root of the volume (the page's rule), the largest at 12
    wide, narrow = rolled[("a", "c")]["width"], rolled[("a", "b")]["width"]
    assert wide == pytest.approx(12.0)
    assert narrow == pytest.approx(1 + 11 * math.sqrt(300 / 2700))


PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]


def prototype_map() -> Ecosystem:
    """Nodes and pipes named after JavaScript's prototype properties, in a group."""
    nodes = {
        "constructor": Node("constructor", "platform"),
        "__proto__": Node("__proto__", "pool", parent="constructor", inflow={"traffic": 10.0}),
        "toString": Node("toString", "partner", parent="constructor", outflow={"traffic": 5.0}),
        "hasOwnProperty": Node("hasOwnProperty", "partner", outflow={"traffic": 3.0}),
        "valueOf": Node("valueOf", "producer", outflow={"traffic": 2.0}),
    }
    pipes = (
        Pipe("constructor", "__proto__", "toString", volume=5.0),
        Pipe("__proto__", "__proto__", "hasOwnProperty", volume=3.0),
        Pipe("toString", "__proto__", "valueOf", volume=2.0),
    )
    return Ecosystem("proto", title="valueOf", nodes=nodes, pipes=pipes)


def test_prototype_names_as_ids_are_drawn_like_any_other(tmp_path: Path, open_page: Any) -> None:
    eco = prototype_map()
    opened = open_page(draw(tmp_path, eco)[0])
    assert opened.errors == []
    assert opened.counts() == (5, 3)
    positions = dict(opened.api("positions()"))
    assert sorted(positions) == sorted(PROTOTYPE_NAMES)
    assert opened.api("shown()")["nodes"] == sorted(PROTOTYPE_NAMES)
    assert opened.api("shown()")["edges"] == sorted(["constructor", "__proto__", "toString"])
    opened.api("setPhysics(false)")
    # a tooltip, a click (neighbourhood), a search and a collapse on prototype names
    x, y = screen_point(opened, "__proto__")
    opened.page.mouse.move(x, y)
    opened.page.wait_for_selector("#eg-tip:not([hidden])")
    assert opened.page.eval_on_selector("#eg-tip", "e => e.dataset.id") == "__proto__"
    opened.page.mouse.click(x, y)
    assert opened.api("focused()") == "__proto__"
    assert opened.api("neighbourhood()") == sorted(PROTOTYPE_NAMES[1:])
    opened.page.fill("#eg-search", "hasOwn")
    opened.page.press("#eg-search", "Enter")
    assert opened.api("selected()") == ["hasOwnProperty"]
    assert opened.api("toggle('constructor')") is True
    assert opened.api("collapsed()") == ["constructor"]
    assert {(r["from"], r["to"]) for r in opened.api("rolled()")} == {
        ("constructor", "hasOwnProperty"),
        ("constructor", "valueOf"),
    }
    assert opened.api("toggle('toString')") is False  # not a group
    assert opened.errors == []


def deep_chain(depth: int = 1500) -> Ecosystem:
    """A parent chain ``depth`` levels deep, a partner at the bottom fed from the top."""
    nodes = {"n0": Node("n0", "platform")}
    for i in range(1, depth):
        nodes[f"n{i}"] = Node(f"n{i}", "sub-ecosystem", parent=f"n{i - 1}")
    nodes["src"] = Node("src", "pool", parent="n0", inflow={"traffic": 5.0})
    nodes["leaf"] = Node("leaf", "partner", parent=f"n{depth - 1}", outflow={"traffic": 5.0})
    pipe = Pipe("src->leaf:traffic", "src", "leaf", volume=5.0)
    return Ecosystem("deep", nodes=nodes, pipes=(pipe,))


def test_a_1500_deep_chain_is_drawn_whole(tmp_path: Path, open_page: Any) -> None:
    eco = deep_chain()
    page_path, drawing = draw(tmp_path, eco)
    coordinates = [c for n in drawing.nodes for c in (n.x, n.y)]
    assert all(np.isfinite(coordinates))
    opened = open_page(page_path)
    assert opened.errors == []
    # it opens on the overview: the top 150 levels, the pipe rolled up into n149
    assert opened.counts() == (150, 1)
    opened.page.click("#eg-expand-all")
    assert opened.counts() == (1502, 1)
    positions = dict(opened.api("positions()"))
    assert len(positions) == 1502
    assert all(np.isfinite([p["x"] for p in positions.values()]))
    assert opened.api("toggle('n0')") is True  # collapse the whole chain into its top
    assert opened.api("shown()")["nodes"] == ["n0"]
    assert opened.errors == []


# -- one layout for page and picture; the view "auto" chooses; marks --------------------


def picture_points(drawing: Drawing) -> list[tuple[float, float]]:
    """Where the SVG picture draws each visible node, in the order it draws them.

    Nodes are drawn by marker shape, one collection each: a ``<use>`` at the node's
    point, or (markers of several sizes) a ``<path>`` whose centre is the middle of
    its bounding box — for a star, the mean of its tips and notches.
    """
    import re
    from xml.etree import ElementTree as ET

    from ecograph.render import to_image

    svg = "{http://www.w3.org/2000/svg}"
    stars = {k.color.lower() for k in style.KIND_STYLES.values() if k.marker == "*"}
    root = ET.fromstring(to_image(drawing, "svg"))
    points = []
    for group in root.iter(f"{svg}g"):
        if not group.get("id", "").startswith("PathCollection"):
            continue
        for item in group.iter():
            look = item.get("style", "")
            if style.BLOCKED_COLOR.lower() in look:
                break  # the marks of blocked pipes, not nodes
            if item.tag == f"{svg}use":
                points.append((float(item.get("x", "nan")), float(item.get("y", "nan"))))
            elif item.tag == f"{svg}path" and item.get("id") is None:  # not a marker's template
                numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", item.get("d", ""))]
                xy = np.array(numbers).reshape(-1, 2)
                if any(colour in look for colour in stars):
                    centre = np.unique(xy, axis=0).mean(axis=0)
                else:
                    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
                points.append((float(centre[0]), float(centre[1])))
    return points


def similar(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Largest distance left after mapping ``a`` onto ``b`` by the best scale and shift
    (least squares), relative to the size of ``b``: 0 when one is the other, scaled."""
    pa, pb = np.array(a), np.array(b)
    ca, cb = pa - pa.mean(axis=0), pb - pb.mean(axis=0)
    scale = (ca * cb).sum() / (ca * ca).sum()
    residual = np.abs(scale * ca - cb).max()
    return float(residual / np.abs(cb).max())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_page_and_picture_show_the_positions_of_the_drawing(
    path: Path, tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(path)
    page_path, drawing = draw(tmp_path, eco, path.stem)  # the view "auto" chooses
    opened = open_page(page_path)
    assert opened.api("physics()") is False
    shown = dict(opened.api("positions()"))
    assert shown.keys() == {n.id for n in drawing.nodes}
    for node in drawing.nodes:  # exactly where the drawing put them, still after a while
        assert (shown[node.id]["x"], shown[node.id]["y"]) == (node.x, node.y), node.id
    opened.page.wait_for_timeout(300)
    assert dict(opened.api("positions()")) == shown
    # the picture draws the same positions, scaled (its nodes grouped by marker shape)
    nodes, _ = visible(drawing)
    by_marker: dict[str, list[tuple[float, float]]] = {}
    for n in nodes:
        marker = style.KIND_STYLES.get(n.kind, style.FOLD_STYLE).marker
        by_marker.setdefault(marker, []).append((shown[n.id]["x"], shown[n.id]["y"]))
    expected = [p for group in by_marker.values() for p in group]
    points = picture_points(drawing)
    assert len(points) == len(expected)
    assert similar(expected, points) < 1e-4
    # the page names the view and why; labels never overlap in it
    notes = opened.page.inner_text("#eg-notes")
    assert drawing.layout_reason is not None and drawing.layout_reason in notes
    assert drawing.layout_reason.startswith(f"{drawing.layout.capitalize()} view chosen")
    assert overlapping(opened.api("labels()")) == []
    if drawing.layout == "force":
        assert {g for g, _ in opened.api("outlines()")} == {g.id for g in drawing.groups}
    assert opened.errors == []


def test_ticking_the_empty_mark_dims_every_other_pipe_and_node(
    tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    page_path, drawing = draw(tmp_path, eco)
    empty = {e.id for e in drawing.edges if e.empty}
    assert empty
    ends = {p for e in drawing.edges if e.id in empty for p in (e.source, e.target)}
    opened = open_page(page_path)
    box = '#eg-legend-marks input[data-key="empty"]'
    assert not opened.page.is_checked(box)
    assert dimmed(opened) == (set(), set()) and opened.api("lit()") is None
    opened.page.check(box)
    faint_nodes, faint_edges = dimmed(opened)
    assert faint_nodes == {n.id for n in drawing.nodes} - ends
    assert faint_edges == {e.id for e in drawing.edges} - empty
    for edge_id in empty:  # the empty pipes themselves: the mark's colour, wide
        item = opened.api(f"edges.get('e:' + {json.dumps(edge_id)})")
        assert item["color"]["color"] == style.EMPTY_COLOR
        assert item["width"] >= 4 and "opacity" not in item["color"]
    opened.page.uncheck(box)
    assert dimmed(opened) == (set(), set())
    for edge_id in empty:  # back to the currency's look
        e = next(e for e in drawing.edges if e.id == edge_id)
        assert opened.api(f"edges.get('e:' + {json.dumps(edge_id)}).color.color") == e.color
    assert opened.errors == []


def test_highlight_blocked_starts_with_its_mark_ticked(tmp_path: Path, open_page: Any) -> None:
    page_path, drawing = draw(tmp_path, alibaba(), highlight="blocked")
    blocked = {e.id for e in drawing.edges if e.blocked}
    assert blocked
    opened = open_page(page_path)
    assert opened.page.is_checked('#eg-legend-marks input[data-key="blocked"]')
    assert set(opened.api("lit()")["edges"]) == blocked
    assert dimmed(opened)[1] == {e.id for e in drawing.edges} - blocked
    assert "Highlighted: the 1 blocked pipe" in opened.page.inner_text("#eg-notes")


def box_crosses(line: list[float], b: dict[str, Any]) -> bool:
    """Whether a straight piece touches a box: an end inside it, or a crossing with a side."""
    x0, y0, x1, y1 = b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"]
    p, q = (line[0], line[1]), (line[2], line[3])
    if any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in (p, q)):
        return True

    def orient(o: tuple[float, float], a: tuple[float, float], c: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (c[1] - o[1]) - (a[1] - o[1]) * (c[0] - o[0])

    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    for a, c in zip(corners, corners[1:] + corners[:1], strict=True):
        if orient(p, q, a) * orient(p, q, c) <= 0 and orient(a, c, p) * orient(a, c, q) <= 0:
            return True
    return False


@pytest.mark.parametrize("name", ["alibaba", "toutiao", "xiaomi"])
def test_flow_view_labels_keep_off_the_pipes_where_they_can(
    name: str, tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / f"{name}.yaml")
    opened = open_page(draw(tmp_path, eco, name, layout="flow")[0])
    lines = opened.api("pipeLines()")
    assert len(lines) >= len(eco.pipes)  # every pipe, arcs in pieces

    def crossing() -> list[str]:
        labels = opened.api("labels()")
        assert overlapping(labels) == []
        return [label["id"] for label in labels if any(box_crosses(ln, label) for ln in lines)]

    kept_off = crossing()
    opened.api("avoidPipes(false)")
    anywhere = crossing()
    opened.api("avoidPipes(true)")
    assert crossing() == kept_off
    assert len(kept_off) < len(anywhere), (kept_off, anywhere)
    assert opened.errors == []
