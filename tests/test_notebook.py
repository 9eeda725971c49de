"""The analyst notebook in docs/ runs from top to bottom, offline, and shows true figures."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import ecograph
from ecograph.render import describe, to_html

NOTEBOOK = Path(__file__).parent.parent / "docs" / "analyst.ipynb"
MAP = Path(__file__).parent.parent / "ecosystems" / "alibaba.yaml"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # one more cell hands the final join back to the test as data
    nb.cells.append(nbformat.v4.new_code_cell('print(joined.to_json(orient="records"))'))
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    return nb


def test_every_cell_runs(executed: nbformat.NotebookNode) -> None:
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")


def test_the_chart_is_drawn(executed: nbformat.NotebookNode) -> None:
    images = [
        o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(images) == 1


#: Most a cell that shows a map may add to the notebook (the page it used to embed: 640 KB).
MAP_DISPLAY_BOUND = 60_000


def _map_displays(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("data", {}).get("text/html", "").lstrip().startswith("<svg")
    ]


def test_showing_the_map_adds_its_light_view_not_the_page(executed: nbformat.NotebookNode) -> None:
    displays = _map_displays(executed)
    assert len(displays) == 1
    shown = displays[0]
    assert set(shown["data"]) == {"text/html", "text/plain"}  # one drawing, not two
    svg = shown["data"]["text/html"]
    root = ET.fromstring(svg)
    assert not [el.tag for el in root.iter() if el.tag.endswith(("script", "foreignObject"))]
    assert len(json.dumps(shown).encode()) < MAP_DISPLAY_BOUND
    # the page the same map used to embed is more than ten times as big
    page = to_html(describe(ecograph.load(MAP)))
    assert len(page.encode()) > 10 * len(json.dumps(shown).encode())


def test_the_stored_notebook_holds_the_light_view(executed: nbformat.NotebookNode) -> None:
    stored = nbformat.read(NOTEBOOK, as_version=4)
    displays = _map_displays(stored)
    assert len(displays) == 1 and len(json.dumps(displays[0]).encode()) < MAP_DISPLAY_BOUND
    assert NOTEBOOK.stat().st_size < 150_000


def test_the_join_holds_the_hand_computed_sheet(executed: nbformat.NotebookNode) -> None:
    rows = json.loads(executed.cells[-1].outputs[0].text)
    margin = {
        "shaanxi-apples": 0.20,
        "shaanxi-eggs": 0.15,
        "hen-seller": 0.10,
        "attendance-maker": 0.60,
    }
    assert {r["node"] for r in rows} == set(margin)
    # independently of the analyses: from the map's pipe objects, the value sheet's rules —
    # revenue = price * sum(volume * conversion) over open traffic pipes into the node;
    # spend = sum(volume * cost) over open pipes it pays for (the receiver, unless paid_by: from)
    eco = ecograph.load("ecosystems/alibaba.yaml")
    for row in rows:
        node = eco.nodes[row["node"]]
        orders = math.fsum(
            (p.volume or 0.0) * (p.conversion if p.conversion is not None else 1.0)
            for p in eco.pipes
            if p.to_node == node.id and p.kind == "traffic" and p.status == "open"
        )
        spend = math.fsum(
            (p.volume or 0.0) * p.cost
            for p in eco.pipes
            if p.cost is not None
            and p.status == "open"
            and (p.to_node if p.paid_by == "to" else p.from_node) == node.id
        )
        revenue = orders * (node.price or 0.0)
        assert row["revenue"] == pytest.approx(revenue), row["node"]
        assert row["spend"] == pytest.approx(spend), row["node"]
        assert row["profit"] == pytest.approx(revenue * margin[node.id] - spend), row["node"]
