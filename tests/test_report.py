"""The report page, checked without a browser: sections, numbers, safety, files, command line.

Every number is compared with a second computation: worked by hand on a small
map, or computed another way (networkx, numpy, the dense ENA oracle of
``tests/oracles.py``). The page carries each exact value in a ``data-value``
attribute next to the formatted text, which is what the tests read.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from oracles import closed_dense

import ecograph
from ecograph.analysis.centrality import centrality
from ecograph.analysis.diagnose import STATUSES, diagnose
from ecograph.analysis.flow import flow
from ecograph.cli import main
from ecograph.errors import UsageError
from ecograph.graph import flow_layer
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import describe, to_html
from ecograph.render.report import SECTIONS, report, report_html

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))
VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "col", "area", "base"}


# -- reading the page -----------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    attrs: dict[str, str | None]

    @property
    def value(self) -> float:
        raw = self.attrs.get("data-value")
        assert raw is not None, f"cell {self.text!r} carries no data-value"
        return float(raw)


@dataclass
class Row:
    attrs: dict[str, str | None]
    cells: list[Cell] = field(default_factory=list)


class Page(HTMLParser):
    """The parts of a page the tests read: tags, section ids, tables (by id), texts by id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.sections: list[str] = []
        self.tables: dict[str, list[Row]] = {}
        self.texts: dict[str, str] = {}
        self.title = ""
        self._stack: list[tuple[str, str | None]] = []
        self._cell: Cell | None = None
        self._in_title = False
        self.feed(text)
        self.close()

    def _table_key(self) -> str | None:
        ids = [i for tag, i in self._stack if i is not None]
        tables = [i for tag, i in self._stack if tag == "table" and i is not None]
        return tables[-1] if tables else (ids[-1] if ids else None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.sections.append(str(a.get("id")))
        if tag == "title":
            self._in_title = True
        if tag == "tr":
            key = self._table_key()
            if key is not None:
                self.tables.setdefault(key, []).append(Row(a))
        if tag in ("td", "th"):
            key = self._table_key()
            if key is not None and self.tables.get(key):
                self._cell = Cell("", a)
                self.tables[key][-1].cells.append(self._cell)
        if tag not in VOID:
            self._stack.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in ("td", "th"):
            self._cell = None
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell.text += data
        for _tag, element_id in self._stack:
            if element_id is not None:
                self.texts[element_id] = self.texts.get(element_id, "") + data

    def rows(self, table: str) -> list[Row]:
        """Body rows of a table: rows with at least one ``td`` and a data attribute."""
        return [
            r for r in self.tables.get(table, []) if any(k.startswith("data-") for k in r.attrs)
        ]

    def one(self, tag: str, **attrs: str) -> dict[str, str | None]:
        found = [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


@cache
def example(stem: str) -> tuple[Ecosystem, str]:
    eco = ecograph.load(ROOT / "ecosystems" / f"{stem}.yaml")
    return eco, report_html(eco)


def hand_map() -> Ecosystem:
    """Two pools feed two partners evenly; one partner behind a blocked pipe; one chain dry.

    By the definitions of ``diagnose``: a and d get 30 from each of two giants
    (Herfindahl 0.5, each draws exactly half of each pool: not more) -> healthy;
    b's only pipe is blocked while u1 has water -> blocked-pipe; x and c have no
    source upstream -> empty-pipe.
    """
    return ecograph.loads(
        """
ecograph: 1
name: hand
title: 手工 Hand map
nodes:
  u1: {kind: pool, inflow: 60}
  u2: {kind: pool, inflow: 60}
  x:  {kind: channel, label: 渠道 Channel}
  a:  {kind: partner, outflow: 60}
  d:  {kind: partner, outflow: 60}
  b:  {kind: partner}
  c:  {kind: producer}
pipes:
  - {from: u1, to: a, volume: 30}
  - {from: u1, to: d, volume: 30}
  - {from: u2, to: a, volume: 30}
  - {from: u2, to: d, volume: 30}
  - {from: u1, to: b, status: blocked}
  - {from: x, to: c}
"""
    )


def cycle_map() -> Ecosystem:
    """u (inflow 100) -> a; a -> b 150; b -> a 50; b leaves 100.

    By hand: throughflow u 100, a 150, b 150, TST 400, boundary input 100,
    APL 4. a's flow returns to a with probability 1/3 (a -> b, then 50 of b's
    150 back), so N_aa = 1.5 and (N_aa - 1) / N_aa = 1/3 of T_a = 50 is cycled;
    the same for b; FCI = 100 / 400 = 0.25. BFI = 100 / 400; the direct flow is
    what the entry node u sends on, 100: DFI = 0.25; IFI = 1 - 0.5 = 0.5.
    """
    return ecograph.loads(
        """
ecograph: 1
name: cycle
nodes:
  u: {kind: pool, inflow: 100}
  a: {kind: partner}
  b: {kind: partner, outflow: 100}
pipes:
  - {from: u, to: a, volume: 100}
  - {from: a, to: b, volume: 150}
  - {from: b, to: a, volume: 50}
"""
    )


# -- every example ------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_gives_a_page_with_every_section_and_its_counts(path: Path) -> None:
    eco, text = example(path.stem)
    page = Page(text)
    assert page.sections == list(SECTIONS)
    assert page.texts["title"] == eco.title
    assert page.title == f"{eco.title} — ecosystem report"
    kinds = Counter(node.kind for node in eco.nodes.values())
    assert {r.attrs["data-kind"]: r.cells[1].value for r in page.rows("counts-nodes")} == kinds
    pipes = Counter(p.kind for p in eco.pipes)
    assert {r.attrs["data-currency"]: r.cells[1].value for r in page.rows("counts-pipes")} == pipes
    volume: dict[str, float] = {}
    for p in eco.pipes:
        if p.status == "open":
            volume[p.kind] = volume.get(p.kind, 0.0) + (p.volume or 0.0)
    got = {r.attrs["data-currency"]: r.cells[1].value for r in page.rows("counts-volume")}
    assert got == pytest.approx(volume, rel=1e-12)
    for name in eco.files:
        assert name in page.texts["files"]
    # the map is the very page `ecograph render` writes, in a sandboxed frame
    frame = page.one("iframe")
    assert frame["sandbox"] == "allow-scripts"
    assert frame["srcdoc"] == to_html(describe(eco), embedded=True)
    # the report itself runs nothing and loads nothing
    assert [t for t, _ in page.tags if t in ("script", "object", "embed", "form", "base")] == []
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("src", "href"):
                assert value is not None and value.startswith(("data:", "#")), (tag, name, value)
    assert "<script" not in text.lower()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_through_the_command_line(path: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{path.stem}-report.html"
    with CliRunner().isolation() as (stdout, stderr, _):
        code = main(["report", str(path), "-o", str(out)])
        printed, errors = stdout.getvalue().decode(), stderr.getvalue().decode()
    assert code == 0, errors
    assert printed == ""
    assert errors.count("\n") == 1 and errors.startswith(f"{out}: report on ")
    assert out.read_text(encoding="utf-8") == example(path.stem)[1]


# -- flow indices ----------------------------------------------------------------------------


def flow_values(page: Page) -> dict[str, float]:
    return {str(r.attrs["data-index"]): r.cells[1].value for r in page.rows("flow-table")}


def test_flow_indices_match_a_hand_worked_map_with_a_cycle() -> None:
    page = Page(report_html(cycle_map()))
    assert flow_values(page) == pytest.approx(
        {
            "tst": 400.0,
            "boundary": 100.0,
            "apl": 4.0,
            "fci": 0.25,
            "bfi": 0.25,
            "dfi": 0.25,
            "ifi": 0.5,
        },
        rel=1e-9,
    )
    meanings = {str(r.attrs["data-index"]): r.cells[2].text for r in page.rows("flow-table")}
    assert all(len(m) > 20 for m in meanings.values())
    assert "cycles" in meanings["fci"]


@pytest.mark.parametrize("stem", ["alibaba", "china-internet", "xiaomi"])
def test_flow_indices_match_the_dense_oracle_and_the_library(stem: str) -> None:
    eco, text = example(stem)
    got = flow_values(Page(text))
    o = closed_dense(eco)
    T, z, P = o["T"], o["z"], o["P"]
    tst = T.sum()
    N = np.linalg.inv(o["I-P"])
    diag = np.diag(N)
    cycled = float(((diag - 1) / diag * T).sum())
    direct = float((z @ P).sum())
    indirect = float((z @ (N - np.eye(len(T)) - P)).sum())
    expected = {
        "tst": tst,
        "boundary": z.sum(),
        "apl": tst / z.sum(),
        "fci": cycled / tst,
        "bfi": z.sum() / tst,
        "dfi": direct / tst,
        "ifi": indirect / tst,
    }
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    lib = flow(eco)
    assert got["tst"] == lib.total_system_throughflow
    assert got["fci"] == lib.cycling_index


# -- diagnosis ---------------------------------------------------------------------------------


def test_diagnosis_of_a_hand_worked_map_most_severe_first() -> None:
    page = Page(report_html(hand_map()))
    rows = page.rows("diagnosis-table")
    assert [(r.attrs["data-node"], r.attrs["data-status"]) for r in rows] == [
        ("x", "empty-pipe"),
        ("c", "empty-pipe"),
        ("b", "blocked-pipe"),
        ("a", "healthy"),
        ("d", "healthy"),
    ]
    assert [r.cells[3].value for r in rows] == [0, 0, 0, 60, 60]
    assert "渠道 Channel" in rows[0].cells[0].text and "x" in rows[0].cells[0].text
    assert "u1->b:traffic" in rows[2].cells[4].text
    counts = {r.attrs["data-status"]: r.cells[1].value for r in page.rows("diagnosis-counts")}
    assert counts == {"empty-pipe": 2, "blocked-pipe": 1, "healthy": 2}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_diagnosed_node_shows_its_library_status(path: Path) -> None:
    eco, text = example(path.stem)
    page = Page(text)
    expected = diagnose(eco)
    rows = page.rows("diagnosis-table")
    assert {r.attrs["data-node"]: r.attrs["data-status"] for r in rows} == {
        n: d.status for n, d in expected.items()
    }
    assert len(rows) == len(expected)
    rank = [STATUSES.index(str(r.attrs["data-status"])) for r in rows]
    assert rank == sorted(rank)
    counts = {r.attrs["data-status"]: r.cells[1].value for r in page.rows("diagnosis-counts")}
    assert counts == Counter(d.status for d in expected.values())
    for row in rows:
        for reason in expected[str(row.attrs["data-node"])].reasons:
            assert reason in row.cells[4].text


def test_a_long_diagnosis_is_cut_with_a_note_keeping_the_most_severe() -> None:
    eco = hand_map()
    page = Page(report_html(eco, max_rows=3))
    rows = page.rows("diagnosis-table")
    assert [r.attrs["data-status"] for r in rows] == ["empty-pipe", "empty-pipe", "blocked-pipe"]
    note = page.texts["diagnosis"]
    assert "2 more nodes (healthy) not listed" in note
    # the counts still cover every node
    assert sum(r.cells[1].value for r in page.rows("diagnosis-counts")) == 5


# -- rankings --------------------------------------------------------------------------------


def weighted_layer(eco: Ecosystem) -> nx.DiGraph:
    D = flow_layer(eco.graph, "traffic")
    D.remove_edges_from([(u, v) for u, v, w in D.edges(data="volume") if not w])
    return D


@pytest.mark.parametrize("stem", ["alibaba", "china-internet", "tencent"])
def test_pagerank_ranking_is_the_top_of_networkx_pagerank(stem: str) -> None:
    eco, text = example(stem)
    rows = Page(text).rows("ranking-metric")
    assert len(rows) == 10
    shown = {str(r.attrs["data-node"]): r.cells[3].value for r in rows}
    reference = nx.pagerank(weighted_layer(eco), weight="volume", tol=1e-13, max_iter=10_000)
    for node, value in shown.items():
        assert value == pytest.approx(reference[node], abs=1e-9)
    values = list(shown.values())
    assert values == sorted(values, reverse=True)
    left_out = max(v for n, v in reference.items() if n not in shown)
    assert min(values) >= left_out - 1e-9
    assert [r.cells[0].value for r in rows] == list(range(1, 11))
    assert list(shown) == list(centrality(eco, "pagerank", top=10)["values"])


def test_another_metric_and_length_are_ranked() -> None:
    eco, _ = example("alibaba")
    rows = Page(report_html(eco, metric="in-degree", top=4)).rows("ranking-metric")
    # degrees count every open connection (flow_layer leaves blocked pipes out)
    degrees = dict(flow_layer(eco.graph, "traffic").in_degree())
    shown = {str(r.attrs["data-node"]): r.cells[3].value for r in rows}
    assert len(shown) == 4
    assert all(v == degrees[n] for n, v in shown.items())
    assert min(shown.values()) >= max(v for n, v in degrees.items() if n not in shown)


@pytest.mark.parametrize("stem", ["alibaba", "toutiao", "minimal"])
def test_traffic_received_ranking_is_inflow_plus_open_volume_in(stem: str) -> None:
    eco, text = example(stem)
    rows = Page(text).rows("ranking-received")
    D = flow_layer(eco.graph, "traffic")  # open pipes, parallel pipes summed
    received = {v: D.nodes[v]["inflow"] + D.in_degree(v, weight="volume") for v in D.nodes}
    order = list(eco.nodes)
    expected = sorted(
        (v for v in received if received[v] > 0), key=lambda v: (-received[v], order.index(v))
    )
    assert [r.attrs["data-node"] for r in rows] == expected[:10]
    for r in rows:
        assert r.cells[3].value == pytest.approx(received[str(r.attrs["data-node"])], rel=1e-12)


# -- long tail -------------------------------------------------------------------------------


def pairwise_gini(x: np.ndarray) -> float:
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


@pytest.mark.parametrize("stem", ["alibaba", "china-internet", "tencent", "toutiao"])
def test_long_tail_figures_and_chart(stem: str) -> None:
    eco, text = example(stem)
    page = Page(text)
    D = flow_layer(eco.graph, "traffic")
    ids = [n for n, node in eco.nodes.items() if node.kind in ("partner", "producer")]
    x = np.array(sorted(D.nodes[v]["inflow"] + D.in_degree(v, weight="volume") for v in ids))[::-1]
    total = x.sum()
    k = math.ceil(len(x) / 5)
    figures = {
        str(r.attrs["data-figure"]): r.cells[1].value for r in page.rows("long-tail-figures")
    }
    assert figures["nodes"] == len(x)
    assert figures["total"] == pytest.approx(total, rel=1e-12)
    assert figures["gini"] == pytest.approx(pairwise_gini(x), rel=1e-9)
    assert figures["top20"] == pytest.approx(x[:k].sum() / total, rel=1e-9)
    assert figures["tail"] == pytest.approx(x[10:].sum() / total, rel=1e-9, abs=1e-15)
    assert figures["herfindahl"] == pytest.approx(((x / total) ** 2).sum(), rel=1e-9)
    cumulative = np.cumsum(x) / total
    assert figures["nodes80"] == int(np.argmax(cumulative >= 0.8 - 1e-12)) + 1
    img = page.one("img", id="long-tail-chart")
    src = str(img["src"])
    assert src.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(src.split(",", 1)[1], validate=True)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    names = {element.tag.split("}")[-1] for element in root.iter()}
    assert "script" not in names and "foreignObject" not in names
    assert len([e for e in root.iter() if e.tag.endswith("path")]) > 10  # bars, line, glyphs
    assert f"Gini {pairwise_gini(x):.3f}" in str(img["alt"])


# -- maps without what a section needs --------------------------------------------------------


def notes(page: Page, section: str) -> str:
    return page.texts[section]


def test_a_map_without_traffic_or_partners_still_gives_every_section_with_a_note() -> None:
    eco = Ecosystem(
        "capital",
        nodes={"fund": Node("fund", "fund", inflow={"capital": 5.0}), "hq": Node("hq", "platform")},
        pipes=(Pipe("fund->hq:capital", "fund", "hq", kind="capital", volume=5.0),),
    )
    page = Page(report_html(eco))
    assert page.sections == list(SECTIONS)
    assert "has no traffic layer" in notes(page, "flow")
    assert "No partner, producer or channel" in notes(page, "diagnosis")
    assert "has no traffic pipes" in notes(page, "rankings")
    assert "has no partners or producers" in notes(page, "long-tail")
    assert page.tables.get("flow-table") is None and page.tables.get("ranking-metric") is None
    assert not [a for t, a in page.tags if t == "img"]
    # the capital layer of the same map has figures: TST 10 (fund 5 + hq 5), APL 2
    capital = flow_values(Page(report_html(eco, kind="capital")))
    assert capital["tst"] == pytest.approx(10.0) and capital["apl"] == pytest.approx(2.0)


def test_partners_that_receive_nothing_get_a_note_not_a_chart() -> None:
    eco = Ecosystem(
        "dry",
        nodes={"u": Node("u", "pool"), "a": Node("a", "partner")},
        pipes=(Pipe("u->a:traffic", "u", "a"),),
    )
    page = Page(report_html(eco))
    assert "No traffic reaches the 1 node" in notes(page, "long-tail")
    assert "No traffic flows through this map" in notes(page, "flow")
    assert not [a for t, a in page.tags if t == "img"]


def test_an_empty_map_gives_a_page() -> None:
    page = Page(report_html(Ecosystem("empty")))
    assert page.sections == list(SECTIONS)
    assert page.texts["title"] == "empty"


# -- safety ------------------------------------------------------------------------------------

EVIL = ["<script>alert(1)</script>", "</script><script>", "<img src=x onerror=alert(1)>", "\"'&"]


def evil_map() -> Ecosystem:
    nodes = {"pool": Node("pool", "pool", label=EVIL[0], inflow={"traffic": 100.0})}
    pipes = []
    for i, text in enumerate(EVIL):
        nodes[text] = Node(text, "partner", label=EVIL[(i + 1) % 4], tags=(text,))
        pipes.append(Pipe(f"pool->{i}", "pool", text, volume=10.0 * (i + 1), label=text))
    nodes["p"] = Node("p", "sub-ecosystem", label=EVIL[2], genes=(EVIL[3],))
    return Ecosystem(
        EVIL[3],
        title=" ".join(EVIL),
        description=EVIL[1] + EVIL[2],
        nodes=nodes,
        pipes=tuple(pipes),
        units={"traffic": EVIL[2]},
        files=(EVIL[0] + ".yaml",),
    )


def test_labels_that_look_like_markup_stay_text() -> None:
    eco = evil_map()
    text = report_html(eco)
    page = Page(text)
    allowed = {
        "html", "head", "meta", "link", "title", "style", "body", "header", "h1", "h2", "h3",
        "p", "span", "code", "div", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "nav",
        "a", "section", "ul", "li", "figure", "figcaption", "iframe", "img", "footer",
    }  # fmt: skip
    assert {t for t, _ in page.tags} <= allowed
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert "<script" not in text.lower() and "<img src=x" not in text
    # every string shows literally
    assert page.texts["title"] == eco.title
    assert page.title == f"{eco.title} — ecosystem report"
    assert EVIL[1] + EVIL[2] in page.texts["summary"]
    assert EVIL[0] + ".yaml" in page.texts["files"]
    assert EVIL[2] in page.texts["counts-volume"]  # the unit
    ranked = [r.attrs["data-node"] for r in page.rows("ranking-received")]
    assert set(EVIL) <= set(ranked)
    for row in page.rows("diagnosis-table"):
        node = eco.nodes[str(row.attrs["data-node"])]
        assert node.label in row.cells[0].text and node.id in row.cells[0].text
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 1 and str(imgs[0]["src"]).startswith("data:image/svg+xml;base64,")
    # the map page inside the frame: exactly its own scripts (vis-network, page.js, sankey.js),
    # the data escaped in JSON
    inner = str(page.one("iframe")["srcdoc"])
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", inner, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [
        ' type="application/json" id="ecograph-data"',
        "",
        "",
        "",
    ]
    assert EVIL[2] not in inner and EVIL[0] not in inner


def test_the_policy_allows_only_the_map_pages_own_scripts() -> None:
    _, text = example("minimal")
    page = Page(text)
    csp = str(page.one("meta", **{"http-equiv": "Content-Security-Policy"})["content"])
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    inner = str(page.one("iframe")["srcdoc"])
    scripts = re.findall(r"<script>(.*?)</script>", inner, flags=re.S)
    assert len(scripts) == 3  # vis-network, page.js, sankey.js
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }
    assert set(directives["script-src"].split()) == hashes
    assert "'unsafe-inline'" not in directives["script-src"]


# -- files and determinism ------------------------------------------------------------------


def test_same_map_same_bytes_even_in_fresh_processes(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"r{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "ecograph", "report", "ecosystems/alibaba.yaml", "-o", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(b"<!DOCTYPE html>")


def test_the_write_is_atomic_and_a_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(UsageError, match=r"cannot write .*: disk full"):
        report(hand_map(), target)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    monkeypatch.undo()
    # a bad option fails before anything is written
    with pytest.raises(UsageError):
        report(hand_map(), target, metric="pagerak")
    assert target.read_text(encoding="utf-8") == "old report"
    assert report(hand_map(), target) == target
    assert target.read_text(encoding="utf-8") == report_html(hand_map())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_bad_options_say_what_is_wrong() -> None:
    eco = hand_map()
    with pytest.raises(UsageError, match=r"unknown metric 'pagerak' \(did you mean 'pagerank'\?\)"):
        report_html(eco, metric="pagerak")
    with pytest.raises(UsageError, match="unknown currency 'trafic'"):
        report_html(eco, kind="trafic")
    with pytest.raises(UsageError, match="top must be a whole number of at least 1"):
        report_html(eco, top=0)
    with pytest.raises(UsageError, match="max_nodes"):
        report_html(eco, max_nodes=0)


def test_will_not_overwrite_the_map_or_write_into_a_missing_directory(tmp_path: Path) -> None:
    source = tmp_path / "m.yaml"
    source.write_text((ROOT / "ecosystems" / "minimal.yaml").read_text(encoding="utf-8"))
    before = source.read_bytes()
    eco = ecograph.load(source)
    with pytest.raises(UsageError, match="it is an input of this command"):
        report(eco, source)
    assert source.read_bytes() == before
    with pytest.raises(UsageError, match="no directory"):
        report(eco, tmp_path / "missing" / "r.html")
    with pytest.raises(UsageError, match="it is a directory"):
        report(eco, tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_command_line_errors_are_one_line_with_the_right_exit_code(tmp_path: Path) -> None:
    path = str(ROOT / "ecosystems" / "minimal.yaml")
    code, _, err = run("report", path, "-o", str(tmp_path / "none" / "r.html"))
    assert code == 1 and err.count("\n") == 1 and "no directory" in err
    code, _, err = run("report", path, "-o", str(tmp_path / "r.html"), "--metric", "pagerak")
    assert code == 2 and "Traceback" not in err
    code, _, err = run("report", path)
    assert code == 2 and "Missing option '-o'" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("ecograph: 1\nname: bad\nnodes:\n  a: {kind: partnr}\n", encoding="utf-8")
    code, _, err = run("report", str(bad), "-o", str(tmp_path / "r.html"))
    assert code == 1 and re.match(rf"{re.escape(str(bad))}:4:\d+: ", err)
    assert not (tmp_path / "r.html").exists()


def test_command_line_options_reach_the_page(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, err = run(
        "report",
        str(ROOT / "ecosystems" / "alibaba.yaml"),
        "-o",
        str(out),
        "--kind",
        "capital",
        "--metric",
        "betweenness",
        "--top",
        "3",
        "--max-nodes",
        "10",
    )
    assert code == 0, err
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    text = out.read_text(encoding="utf-8")
    assert text == report_html(eco, kind="capital", metric="betweenness", top=3, max_nodes=10)
    page = Page(text)
    assert page.texts["flow"].strip().startswith("Flow indices: capital")
    assert len(page.rows("ranking-metric")) == 3
    assert "folded into summary nodes" in page.texts["map-notes"]
    drawn = describe(eco, max_nodes=10)
    assert str(page.one("iframe")["srcdoc"]) == to_html(drawn, embedded=True)


def test_no_diagnosis_leaves_only_that_section_out(tmp_path: Path) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    full, short = report_html(eco), report_html(eco, diagnosis=False)

    def cut(page: str, key: str) -> str:
        start = page.index(f'<section id="{key}">')
        return page[start : page.index("</section>", start)]

    assert "stool-maker" in cut(full, "diagnosis") and "narrow-pipe" in cut(full, "diagnosis")
    assert "stool-maker" not in cut(short, "diagnosis")
    assert "Left out of this report (--no-diagnosis)" in cut(short, "diagnosis")
    # every other section is the same text
    for key in SECTIONS:
        if key != "diagnosis":
            assert cut(full, key) == cut(short, key)
    out = tmp_path / "r.html"
    code, _, _ = run(
        "report", str(ROOT / "ecosystems" / "toutiao.yaml"), "-o", str(out), "--no-diagnosis"
    )
    assert code == 0 and out.read_text(encoding="utf-8") == short
