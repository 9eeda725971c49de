"""Every example map in ecosystems/ loads cleanly and says what the article says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import ecograph

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


def test_the_seed_maps_are_all_there() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"alibaba", "tencent", "xiaomi", "toutiao", "china-internet", "minimal"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_loads_strictly_with_exact_balance(path: Path) -> None:
    # tolerance 0: flows balance exactly, so flow analysis on them is exact
    eco = ecograph.load(path, strict=True, tolerance=0.0)
    assert eco.nodes
    assert eco.pipes
    G = eco.graph
    assert G.number_of_nodes() == len(eco.nodes)
    assert G.number_of_edges() == len(eco.pipes)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_points_editors_at_the_shipped_schema(path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    target = (path.parent / match.group(1)).resolve()
    assert json.loads(target.read_text("utf-8")) == ecograph.schema()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_made_up_figure_says_so(path: Path) -> None:
    eco = ecograph.load(path)
    for pipe in eco.pipes:
        if pipe.volume or pipe.capacity or pipe.cost:
            assert pipe.source, f"{pipe.location}: pipe figures need a source"
    for node in eco.nodes.values():
        if node.users is not None:
            assert node.source, f"{node.location}: users need a source"


def test_article_figures_are_used_as_given() -> None:
    tencent = ecograph.load(ROOT / "ecosystems" / "tencent.yaml")
    alibaba = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    # "超10亿" Tencent's pool of 1 billion+ users
    assert max(n.users or 0 for n in tencent.nodes.values()) >= 1e9
    # "上亿" DingTalk's 100 million+ enterprise users; "近三亿" Ant Forest's ~300 million players
    assert alibaba.nodes["dingtalk-users"].users == pytest.approx(1e8, rel=0.5)
    assert alibaba.nodes["ant-forest"].users == pytest.approx(3e8, rel=0.1)
    assert "article" in (alibaba.nodes["ant-forest"].source or "")


def test_dingtalk_is_a_sub_ecosystem_of_alibaba_with_partners() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    assert eco.nodes["dingtalk"].kind == "sub-ecosystem"
    assert "alibaba" in eco.ancestors_in_tree("dingtalk")
    partners = [m for m in eco.members("dingtalk") if eco.nodes[m].kind == "partner"]
    assert {"attendance-maker", "erp-vendor"} <= set(partners)


def test_china_internet_includes_the_four_and_adds_pipes_between_them() -> None:
    merged = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")
    parts = [
        ecograph.load(ROOT / "ecosystems" / f"{n}.yaml")
        for n in ("alibaba", "tencent", "xiaomi", "toutiao")
    ]
    assert len(merged.files) == 5
    for part in parts:
        assert set(part.nodes) <= set(merged.nodes)
    home = {node: i for i, part in enumerate(parts) for node in part.nodes}
    across = [
        p
        for p in merged.pipes
        if p.from_node in home and p.to_node in home and home[p.from_node] != home[p.to_node]
    ]
    assert across, "china-internet.yaml adds pipes between the four ecosystems"


def test_toutiao_map_carries_the_stool_maker_story() -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    assert eco.nodes["village-xiaoqiao"].kind == "channel"
    assert eco.nodes["stool-maker"].kind == "producer"
    feeds = {(p.from_node, p.to_node) for p in eco.pipes if p.kind == "traffic" and p.is_open}
    assert ("toutiao-users", "village-xiaoqiao") in feeds
    assert ("village-xiaoqiao", "stool-maker") in feeds
