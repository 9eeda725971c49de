"""Long tail: every figure checked against an independent computation.

Closed forms (equal values, one holder of everything), small maps worked by
hand, and hypothesis-generated data against the all-pairs definition of the
Gini (numpy broadcasting) and exact rational arithmetic (``fractions``) for the
shares; the traffic itself against the networkx flow layer of the map.
"""

from __future__ import annotations

import glob
import io
import json
import math
import xml.etree.ElementTree as ET
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import ecograph
from ecograph.analysis.longtail import LongTail, gini, longtail, received
from ecograph.errors import UsageError
from ecograph.formatting import to_json
from ecograph.graph import flow_layer
from ecograph.model import Ecosystem, Node
from ecograph.render.charts import CHART_SIZE, chart

EXAMPLES = sorted(glob.glob("ecosystems/*.yaml"))

# A map worked by hand. Traffic received by each partner/producer:
#   big   = 50 (pool) + 10 (inflow of its own)          = 60
#   mid   = 20 (pool) + 10 (from channel) ; the blocked 40 does not count = 30
#   small = 5 (pool) + 0 (pipe with no volume) + 5 (second pipe) = 10; capital ignored
#   tiny  = 0 (nothing reaches it)
#   shop  = 0 ... is a channel: not selected by default
HAND = """
ecograph: 1
name: hand
title: Hand map
nodes:
  plat:  {kind: platform}
  pool:  {kind: pool, parent: plat, inflow: 100}
  sub:   {kind: sub-ecosystem, parent: plat}
  big:   {kind: partner, parent: sub, inflow: 10}
  mid:   {kind: partner, parent: sub}
  small: {kind: producer, parent: plat}
  tiny:  {kind: producer, parent: plat}
  shop:  {kind: channel, parent: plat}
  fund:  {kind: fund}
pipes:
  - {from: pool, to: big, volume: 50}
  - {from: pool, to: mid, volume: 20}
  - {from: pool, to: mid, volume: 40, status: blocked}
  - {from: pool, to: shop, volume: 10}
  - {from: shop, to: mid, volume: 10}
  - {from: pool, to: small, volume: 5}
  - {from: pool, to: small}
  - {from: pool, to: small, volume: 5}
  - {from: fund, to: small, kind: capital, volume: 1000}
"""


@pytest.fixture(scope="module")
def hand() -> Ecosystem:
    return ecograph.loads(HAND)


# -- the Gini coefficient ----------------------------------------------------------------


def gini_pairs(values: list[float]) -> float:
    """The definition: mean absolute difference over all ordered pairs / (2 * mean)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or x.sum() == 0:
        return 0.0
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean()))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 50])
def test_gini_closed_forms(n: int) -> None:
    assert gini([4.0] * n) == 0.0
    assert gini([0.0] * (n - 1) + [9.0]) == pytest.approx((n - 1) / n, abs=1e-15)


def test_gini_by_hand() -> None:
    # [1, 3]: ordered pairs |1-3| + |3-1| = 4; n^2 = 4; mean 2 -> 4 / (2*4*2) = 1/4
    assert gini([1, 3]) == pytest.approx(0.25)
    # [1, 2, 3]: 2*(1 + 2 + 1) = 8 over 9 pairs, mean 2 -> 8 / (2*9*2) = 2/9
    assert gini([3, 1, 2]) == pytest.approx(2 / 9)
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0


def test_gini_rejects_negative_and_nan() -> None:
    with pytest.raises(ValueError):
        gini([1.0, -1.0])
    with pytest.raises(ValueError):
        gini([1.0, math.nan])


values_lists = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=0, max_value=1e9, allow_subnormal=False)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(values_lists)
def test_gini_matches_all_pairs_definition(values: list[float]) -> None:
    assert gini(values) == pytest.approx(gini_pairs(values), rel=1e-9, abs=1e-12)


# -- every figure of a generated map against exact arithmetic ---------------------------


def eco_of(values: list[float]) -> Ecosystem:
    """Partners whose only traffic is their boundary inflow."""
    nodes = {
        f"n{i:03d}": Node(f"n{i:03d}", "partner", inflow={"traffic": v} if v else {})
        for i, v in enumerate(values)
    }
    return Ecosystem("gen", nodes=nodes)


ints = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(ints, st.integers(min_value=0, max_value=45))
def test_figures_match_exact_computation(values: list[int], top: int) -> None:
    lt = longtail(eco_of([float(v) for v in values]), top=top)
    n = len(values)
    ranked = sorted(values, reverse=True)
    total = sum(values)
    k = math.ceil(Fraction(n, 5))  # exact ceil(0.2 n)
    assert lt.n == n and lt.total == total and lt.top20_count == k
    assert lt.zero == values.count(0)
    assert lt.gini == pytest.approx(gini_pairs([float(v) for v in values]), abs=1e-12)
    assert list(lt.values.values()) == [float(v) for v in ranked]
    if total == 0:
        assert lt.gini == 0.0
        assert math.isnan(lt.top20_share) and math.isnan(lt.tail_share)
        assert lt.nodes_for_80 is None
        return
    assert lt.top20_share == pytest.approx(float(Fraction(sum(ranked[:k]), total)), rel=1e-12)
    assert lt.tail_share == pytest.approx(float(Fraction(sum(ranked[top:]), total)), abs=1e-12)
    assert lt.top_share + lt.tail_share == pytest.approx(1.0)
    hhi = sum(Fraction(v, total) ** 2 for v in values)
    assert lt.herfindahl == pytest.approx(float(hhi), rel=1e-12)
    need = next(i for i in range(1, n + 1) if Fraction(sum(ranked[:i]), total) >= Fraction(4, 5))
    assert lt.nodes_for_80 == need
    cumulative = list(lt.cumulative_share.values())
    assert cumulative[-1] == pytest.approx(1.0) and cumulative == sorted(cumulative)
    assert sum(lt.share.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("n", range(1, 101))
def test_top20_count_is_exact_ceil(n: int) -> None:
    # rounded up: 10 nodes -> 2, 11 to 15 -> 3; fewer than 5 -> 1
    lt = longtail(eco_of([1.0] * n))
    assert lt.top20_count == -(-n // 5) == math.ceil(Fraction(n, 5))
    assert lt.top20_share == pytest.approx(lt.top20_count / n)


def test_ties_are_ordered_by_id() -> None:
    lt = longtail(eco_of([2.0, 5.0, 2.0, 5.0]))
    assert list(lt.values) == ["n001", "n003", "n000", "n002"]


# -- the hand map ----------------------------------------------------------------------


def test_hand_map(hand: Ecosystem) -> None:
    lt = longtail(hand, top=2)
    assert dict(lt.values) == {"big": 60.0, "mid": 30.0, "small": 10.0, "tiny": 0.0}
    assert lt.total == 100.0
    # n = 4 < 5: the top 20% is the single largest node
    assert (lt.top20_count, lt.top20_share) == (1, 0.6)
    # beyond the top 2: small + tiny = 10 of 100
    assert lt.tail_share == pytest.approx(0.1) and lt.top_share == pytest.approx(0.9)
    # Gini: pairs 30, 50, 60, 20, 30, 10 sum to 200, twice over ordered pairs = 400;
    # 400 / (2 * 16 * 25) = 0.5
    assert lt.gini == pytest.approx(0.5)
    assert lt.herfindahl == pytest.approx(0.36 + 0.09 + 0.01)
    assert lt.nodes_for_80 == 2  # 60 + 30 = 90 >= 80; 60 alone is not
    assert lt.zero == 1
    assert lt.labels["big"] == "big" and lt.title == "Hand map" and lt.period == "month"


def test_hand_map_other_kinds_and_currency(hand: Ecosystem) -> None:
    lt = longtail(hand, kinds=("channel", "partner"))
    assert dict(lt.values) == {"big": 60.0, "mid": 30.0, "shop": 10.0}
    capital = longtail(hand, kind="capital")
    assert dict(capital.values) == {"small": 1000.0, "big": 0.0, "mid": 0.0, "tiny": 0.0}
    assert capital.gini == pytest.approx(3 / 4)  # one holds all of 4


def test_group_restricts_to_members(hand: Ecosystem) -> None:
    assert set(longtail(hand, group="sub").values) == {"big", "mid"}
    assert set(longtail(hand, group="plat").values) == {"big", "mid", "small", "tiny"}
    sub = longtail(hand, group="sub", top=1)
    assert sub.total == 90.0 and sub.tail_share == pytest.approx(30 / 90)
    assert sub.group == "sub"


def test_errors(hand: Ecosystem) -> None:
    with pytest.raises(UsageError, match=r"unknown node 'sbu' \(did you mean 'sub'\?\)"):
        longtail(hand, group="sbu")
    with pytest.raises(UsageError, match=r"unknown node kind 'partnr' \(did you mean 'partner'"):
        longtail(hand, kinds=("partnr",))
    with pytest.raises(UsageError, match="unknown currency"):
        longtail(hand, kind="trafic")
    with pytest.raises(UsageError, match="no node kinds"):
        longtail(hand, kinds=())
    with pytest.raises(UsageError, match="top must be"):
        longtail(hand, top=-1)
    with pytest.raises(UsageError, match="no partner or producer nodes among the members"):
        longtail(hand, group="pool")
    with pytest.raises(UsageError, match="no fund nodes"):
        longtail(ecograph.loads("ecograph: 1\nname: p\nnodes: {p: {kind: pool}}\n"), kinds=["fund"])


def test_top_beyond_n_and_zero(hand: Ecosystem) -> None:
    assert longtail(hand, top=4).tail_share == 0.0
    assert longtail(hand, top=100).tail_share == 0.0
    assert longtail(hand, top=0).tail_share == pytest.approx(1.0)


def test_zero_total_is_defined() -> None:
    lt = longtail(eco_of([0.0, 0.0, 0.0]))
    assert lt.gini == 0.0 and lt.nodes_for_80 is None and lt.zero == 3
    data = json.loads(to_json(lt))
    assert data["top20_share"] is None and data["tail_share"] is None
    assert data["share"] == {"n000": None, "n001": None, "n002": None}


def test_to_dict_is_json_ready(hand: Ecosystem) -> None:
    data = json.loads(to_json(longtail(hand)))
    assert data["values"] == {"big": 60.0, "mid": 30.0, "small": 10.0, "tiny": 0.0}
    assert data["share"] == {"big": 0.6, "mid": 0.3, "small": 0.1, "tiny": 0.0}
    assert data["cumulative_share"] == pytest.approx(
        {"big": 0.6, "mid": 0.9, "small": 1.0, "tiny": 1.0}
    )
    assert data["kinds"] == ["partner", "producer"] and data["nodes"] == 4


# -- the example maps --------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES)
def test_traffic_is_what_the_flow_layer_delivers(path: str) -> None:
    eco = ecograph.load(path)
    D = flow_layer(eco.graph, "traffic")
    expected = {
        n: D.nodes[n]["inflow"] + sum(d["volume"] for _, _, d in D.in_edges(n, data=True))
        for n in D
    }
    assert received(eco) == pytest.approx(expected)
    lt = longtail(eco)
    picked = {n for n, node in eco.nodes.items() if node.kind in ("partner", "producer")}
    assert set(lt.values) == picked
    assert dict(lt.values) == pytest.approx({n: expected[n] for n in picked})
    assert lt.gini == pytest.approx(gini_pairs(list(lt.values.values())))


# -- charts -------------------------------------------------------------------------------

NASTY = {
    "a": "<script>alert(1)</script>",
    "b": "<img src=x onerror=alert(1)>",
    "c": 'x -- y --> "&amp;" \x00',
    "d": "阿里巴巴 Alibaba",
}


def nasty() -> LongTail:
    eco = Ecosystem(
        "x",
        title="<script>alert('t')</script>",
        nodes={
            k: Node(k, "partner", label=v, inflow={"traffic": float(i + 1)})
            for i, (k, v) in enumerate(NASTY.items())
        },
    )
    return longtail(eco)


def assert_not_blank(png: bytes) -> None:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10
    assert pixels.std() > 10


@pytest.mark.parametrize("style", ["pareto", "lorenz"])
def test_png_opens_with_the_right_size_and_is_not_blank(hand: Ecosystem, style: str) -> None:
    assert_not_blank(chart(longtail(hand), "png", style=style))


@pytest.mark.parametrize("style", ["pareto", "lorenz"])
def test_svg_is_xml_without_script_and_deterministic(style: str) -> None:
    result = nasty()
    svg = chart(result, "svg", style=style)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert not [el for el in root.iter() if el.tag.split("}")[-1].lower() == "script"]
    assert b"<script" not in svg.lower() and b"<img" not in svg.lower()
    assert not [k for el in root.iter() for k in el.attrib if k.lower().startswith("on")]
    assert chart(result, "svg", style=style) == svg


def test_chart_draws_differently_per_style_and_data(hand: Ecosystem) -> None:
    lt = longtail(hand)
    pareto, lorenz = chart(lt, "png"), chart(lt, "png", style="lorenz")
    assert pareto != lorenz
    assert chart(longtail(hand, top=1), "png") != pareto  # the tail figure is in the legend


def test_chart_of_zero_total_draws() -> None:
    lt = longtail(eco_of([0.0, 0.0]))
    for style in ("pareto", "lorenz"):
        assert_not_blank(chart(lt, "png", style=style))


def test_chart_rejects_unknown_format_and_style(hand: Ecosystem) -> None:
    lt = longtail(hand)
    with pytest.raises(UsageError, match="fmt must be one of png, svg"):
        chart(lt, "pdf")
    with pytest.raises(UsageError, match="style must be one of pareto, lorenz"):
        chart(lt, "png", style="pie")


@pytest.mark.parametrize("path", EXAMPLES)
def test_every_example_map_charts(path: str) -> None:
    lt = longtail(ecograph.load(path))
    assert_not_blank(chart(lt, "png"))
    ET.fromstring(chart(lt, "svg", style="lorenz"))


def test_many_nodes_gini_and_binned_charts() -> None:
    # speed is measured in benchmarks, not here; this checks the figures and the binning
    rng = np.random.default_rng(5)
    values = np.floor(rng.pareto(1.2, 100_000) * 1000).tolist()
    lt = longtail(eco_of(values))
    assert lt.n == 100_000
    # Brown's formula: 1 - twice the area under the Lorenz curve (trapezoids)
    lorenz = np.concatenate(([0.0], np.cumsum(np.sort(values)) / np.sum(values)))
    assert lt.gini == pytest.approx(1 - np.sum(lorenz[1:] + lorenz[:-1]) / len(values), rel=1e-9)
    for style in ("pareto", "lorenz"):
        assert_not_blank(chart(lt, "png", style=style))
        # bars are binned and the curve sampled: 100,000 bars would weigh megabytes
        assert len(chart(lt, "svg", style=style)) < 400_000
