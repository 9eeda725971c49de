"""``ecograph longtail`` mirrors the library function; charts, every example map, errors."""

from __future__ import annotations

import csv
import glob
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import ecograph
from ecograph.analysis.longtail import longtail
from ecograph.cli import main
from ecograph.formatting import to_json
from ecograph.render.charts import CHART_SIZE

EXAMPLES = sorted(glob.glob("ecosystems/*.yaml"))

# partners a..e receive 50, 20, 15, 10, 5 (total 100); f receives nothing (its pipe is
# blocked); g is a channel
SMALL = """
ecograph: 1
name: small
title: 小地图 Small
nodes:
  plat: {kind: platform}
  pool: {kind: pool, parent: plat, inflow: 100}
  sub:  {kind: sub-ecosystem, parent: plat}
  a: {kind: partner, parent: sub, outflow: 50}
  b: {kind: partner, parent: sub, outflow: 20}
  c: {kind: partner, parent: plat, outflow: 15}
  d: {kind: producer, parent: plat, outflow: 10}
  e: {kind: producer, parent: plat, outflow: 5}
  f: {kind: producer, parent: plat, label: "<script>alert(1)</script>"}
  g: {kind: channel, parent: plat}
pipes:
  - {from: pool, to: a, volume: 50}
  - {from: pool, to: b, volume: 20}
  - {from: pool, to: c, volume: 15}
  - {from: pool, to: d, volume: 10}
  - {from: pool, to: g, volume: 5}
  - {from: g, to: e, volume: 5}
  - {from: pool, to: f, status: blocked}
"""


@pytest.fixture()
def small(tmp_path: Path) -> str:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_json_is_the_library_result(small: str) -> None:
    code, out, err = run("longtail", small, "--format", "json", "--top", "2")
    assert code == 0, err
    data = json.loads(out)
    assert data == json.loads(to_json(longtail(ecograph.load(small), top=2)))
    # by hand: 6 nodes, top 20% = ceil(6/5) = 2 nodes: (50 + 20) / 100
    assert data["nodes"] == 6 and data["top20_count"] == 2
    assert data["top20_share"] == pytest.approx(0.7)
    # beyond the top 2: 15 + 10 + 5 + 0 of 100
    assert data["tail_share"] == pytest.approx(0.3)
    # nodes for 80%: 50, 70, 85 -> 3
    assert data["nodes_for_80"] == 3


@pytest.mark.parametrize("path", EXAMPLES)
def test_every_example_map(path: str) -> None:
    code, out, err = run("longtail", path, "--format", "json")
    assert code == 0, err
    assert json.loads(out) == json.loads(to_json(longtail(ecograph.load(path))))
    code, out, _ = run("longtail", path)
    assert code == 0 and "gini:" in out and "top 20% (" in out


def test_table(small: str) -> None:
    code, out, _ = run("longtail", small, "--top", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "traffic received per month by 6 partners and producers (1 receive none)"
    assert "total: 100" in lines
    assert "top 20% (2 of 6) hold: 70.0%" in lines
    assert "top 3 hold: 85.0%; tail beyond them: 15.0%" in lines
    assert "nodes for 80%: 3" in lines
    rows = [line.split()[:4] for line in lines if line[:2] in ("a ", "b ", "c ", "d ", "e ", "f ")]
    assert [r[0] for r in rows] == ["a", "b", "c", "d", "e", "f"]
    assert rows[0] == ["a", "50", "0.5", "0.5"] and rows[2] == ["c", "15", "0.15", "0.85"]


def test_table_limit(small: str) -> None:
    _, out, _ = run("longtail", small, "--limit", "2")
    assert "... 4 more nodes" in out
    assert "\nc " not in out


def test_csv(small: str) -> None:
    code, out, _ = run("longtail", small, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["node"] for r in rows] == ["a", "b", "c", "d", "e", "f"]
    assert [float(r["received"]) for r in rows] == [50, 20, 15, 10, 5, 0]
    assert float(rows[3]["cumulative_share"]) == pytest.approx(0.95)
    assert rows[5]["label"] == "<script>alert(1)</script>"


def test_group_and_node_kind(small: str) -> None:
    _, out, _ = run("longtail", small, "--group", "sub", "--format", "json")
    assert json.loads(out)["values"] == {"a": 50.0, "b": 20.0}
    _, out, _ = run(
        "longtail", small, "--node-kind", "channel", "--node-kind", "producer", "--format", "json"
    )
    assert json.loads(out)["values"] == {"d": 10.0, "g": 5.0, "e": 5.0, "f": 0.0}


@pytest.mark.parametrize(("name", "style"), [("c.png", "pareto"), ("c.PNG", "lorenz")])
def test_png_chart(small: str, tmp_path: Path, name: str, style: str) -> None:
    target = tmp_path / name
    code, out, err = run("longtail", small, "-o", str(target), "--chart", style)
    assert code == 0
    assert err.strip() == f"{target}: {style} chart of 6 nodes written"
    assert "gini:" in out  # the figures still go to standard output
    image = Image.open(target)
    assert image.format == "PNG" and image.size == CHART_SIZE
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ecograph-")]


@pytest.mark.parametrize("style", ["pareto", "lorenz"])
def test_svg_chart_has_no_script(small: str, tmp_path: Path, style: str) -> None:
    target = tmp_path / "c.svg"
    assert run("longtail", small, "-o", str(target), "--chart", style)[0] == 0
    data = target.read_bytes()
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    assert not [el for el in root.iter() if el.tag.split("}")[-1].lower() == "script"]
    assert b"<script" not in data.lower()


def test_bad_output_extension_exit_2_and_nothing_written(small: str, tmp_path: Path) -> None:
    target = tmp_path / "chart.pdf"
    code, _, err = run("longtail", small, "-o", str(target))
    assert code == 2
    assert ".png, .svg" in err and "chart.pdf" in err
    assert not target.exists()


def test_unknown_group_exit_1_with_hint(small: str) -> None:
    code, out, err = run("longtail", small, "--group", "sbu")
    assert code == 1 and out == ""
    assert err.strip() == f"{small}: error: unknown node 'sbu' (did you mean 'sub'?)"


def test_unknown_node_kind_exit_2(small: str) -> None:
    code, _, err = run("longtail", small, "--node-kind", "partnr")
    assert code == 2 and "'partnr' is not one of" in err


def test_no_nodes_of_the_kinds_is_a_clear_message(small: str) -> None:
    code, out, err = run("longtail", small, "--node-kind", "fund")
    assert code == 1 and out == ""
    assert err.strip() == (
        f"{small}: error: no fund nodes in map 'small'; "
        "choose other node kinds (kinds=) or another group"
    )
    assert "Traceback" not in err


def test_bad_currency_and_top(small: str) -> None:
    assert run("longtail", small, "--kind", "trafic")[0] == 2
    assert run("longtail", small, "--top", "-1")[0] == 2
    assert run("longtail", small, "--chart", "pie")[0] == 2


def test_help_text() -> None:
    code, out, _ = run("longtail", "--help")
    assert code == 0
    assert "How a currency is spread over partners and producers" in out
    assert "Example: ecograph longtail ecosystems/alibaba.yaml -o tail.png" in out


def test_no_traffic_at_all_prints_dashes_and_still_charts(small: str, tmp_path: Path) -> None:
    # no capital pipe in the map: every share is undefined, the chart still draws
    target = tmp_path / "zero.svg"
    code, out, _ = run("longtail", small, "--kind", "capital", "-o", str(target))
    assert code == 0
    assert "top 20% (2 of 6) hold: -" in out and "herfindahl: -" in out
    ET.fromstring(target.read_bytes())
    _, out, _ = run("longtail", small, "--kind", "capital", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["received"], r["share"], r["cumulative_share"]) for r in rows} == {("0.0", "", "")}
    _, out, _ = run("longtail", small, "--kind", "capital", "--format", "json")
    assert json.loads(out)["top20_share"] is None
